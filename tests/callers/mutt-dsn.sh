# Mutt with delivery status notifications asked for (set dsn_notify,
# dsn_return): it adds -N failure,delay -R hdrs. mailferry(1) says -N and
# -R set the account's dsn_notify and dsn_return, which ask the server
# (RFC 3461) when it offers DSN, as the test smarthost does here.
mutt_dsn=yes
. "$CALLERS/mutt.sh"
mutt_rc "$OK_SM" 'set dsn_notify="failure,delay"
set dsn_return=hdrs'
begin
mutt_send -- to@example.org
rc=$?
show out; show err
check "exit 0, got $rc" [ "$rc" -eq 0 ]
check "one message arrived" wait_ok 1
check "argv: -oem -oi -B8BITMIME -f from -N failure,delay -R hdrs -- to" argv_is -oem -oi -B8BITMIME -f mutt@example.org -N failure,delay -R hdrs -- to@example.org
check "MAIL asks for the headers back (RET=HDRS)" mail_param RET=HDRS
check "RCPT asks for failure and delay notices (NOTIFY=FAILURE,DELAY)" rcpt_param NOTIFY=FAILURE,DELAY
caller_done
