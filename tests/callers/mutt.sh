# Mutt in batch mode (mutt -s ... -- rcpts < body), with a muttrc as a
# user would write it: set sendmail="PATH -oem -oi". Mutt appends
# -B8BITMIME (use_8bitmime), -f (use_envelope_from), -N/-R (dsn_notify,
# dsn_return, see mutt-dsn), then -- and every recipient, Bcc included;
# it writes no Bcc header. neomutt is used when mutt is not there.
mutt=$(command -v mutt || command -v neomutt) || skip_caller "mutt not installed (Debian package mutt)"
# mutt_rc SENDMAIL [EXTRA]: write the muttrc.
mutt_rc() {
	mkdir -p "$W/tmp"
	cat >muttrc <<RC
set sendmail="$1 -oem -oi"
set use_8bitmime=yes
set use_envelope_from=yes
set from="Mutt User <mutt@example.org>"
set hostname=host.example.org
set tmpdir="$W/tmp"
set copy=no
set record=""
set charset=utf-8
set send_charset=utf-8
${2:-}
RC
	[ -s muttrc ] || { echo "not ok - no muttrc"; exit 1; }
}
printf 'H\303\251llo from mutt\n.\nafter the dot\n' >body
subject=$(printf 'mutt t\303\251st')
mutt_send() { timeout 60 "$mutt" -n -F muttrc -s "$subject" "$@" <body >out 2>err; }

if [ "${mutt_dsn:-no}" = no ]; then
	mutt_rc "$OK_SM"
	begin
	mutt_send -c cc@example.org -b bcc@example.org -- to@example.org
	rc=$?
	show out; show err
	check "exit 0, got $rc" [ "$rc" -eq 0 ]
	check "one message arrived" wait_ok 1
	check "argv: -oem -oi -B8BITMIME -f from -- to cc bcc" argv_is -oem -oi -B8BITMIME -f mutt@example.org -- to@example.org cc@example.org bcc@example.org
	check "stdin a temporary file" fd_is 0 '/*'
	check "envelope sender from -f" mail_from_is mutt@example.org
	check "recipients from the command line" rcpts_are to@example.org cc@example.org bcc@example.org
	check "8-bit body announced (BODY=8BITMIME)" mail_param BODY=8BITMIME
	check "CRLF only on the wire" crlf_only "$M/data"
	check "no Bcc header" no_header "$M/message" Bcc
	check "From, To, Cc kept" sh -c "grep -q '^From: Mutt User <mutt@example.org>.\$' '$M/message' && grep -q '^To: to@example.org.\$' '$M/message' && grep -q '^Cc: cc@example.org.\$' '$M/message'"
	check "mutt's encoded Subject kept" header_is "$M/message" 'Subject: mutt =?utf-8?B?dMOpc3Q=?='
	check "body intact: UTF-8, the lone dot kept (-oi)" body_is "$M/message" 'H\303\251llo from mutt\r\n.\r\nafter the dot\r\n'

	mutt_rc "$FAIL_SM"
	begin
	mutt_send -- to@example.org
	rc=$?
	show out; show err
	check "refused: mutt exits 1, got $rc" [ "$rc" -eq 1 ]
	check "refused: mutt names the exit status" has err 'Error sending message, child exited 67'
	check "refused: mailferry's reason on stderr" has err '550 5.1.1 no such user here'
	check "refused: nothing queued" nothing_queued
	caller_done
fi
