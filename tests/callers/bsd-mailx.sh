# bsd-mailx (Debian's default mail/mailx): "set sendmail=PATH" in
# ~/.mailrc. It runs sendmail -i -t (with -f from -r) on a temporary
# file holding the whole message, and waits for it.
need_cmd bsd-mailx bsd-mailx
printf 'set sendmail=%s\n' "$OK_SM" >"$HOME/.mailrc"
printf 'Disk usage on /var is 91%%.\n..two dots\nend\n' >body
begin
timeout 60 bsd-mailx -s 'Disk report' -c cc@example.org -b bcc@example.org -r reports@example.org to@example.org <body >out 2>err
rc=$?
show out; show err
check "exit 0, got $rc" [ "$rc" -eq 0 ]
check "one message arrived" wait_ok 1
check "argv: -i -t -f <-r address>" argv_is -i -t -f reports@example.org
check "stdin a temporary file" fd_is 0 '/*'
check "envelope sender from -f" mail_from_is reports@example.org
check "recipients: To, Cc, Bcc (-t)" rcpts_are to@example.org cc@example.org bcc@example.org
check "CRLF only on the wire" crlf_only "$M/data"
check "Bcc removed" no_header "$M/message" Bcc
check "To and Cc kept" sh -c "grep -qx 'To: to@example.org.' '$M/message' && grep -qx 'Cc: cc@example.org.' '$M/message'"
check "a From header, the -r address" sh -c "grep -c '^From:.*reports@example.org' '$M/message' | grep -qx 1"
check "body intact (two dots kept: -i)" body_is "$M/message" 'Disk usage on /var is 91%%.\r\n..two dots\r\nend\r\n'

printf 'set sendmail=%s\n' "$FAIL_SM" >"$HOME/.mailrc"
begin
timeout 60 bsd-mailx -s 'Disk report' to@example.org <body >out 2>err
rc=$?
show out; show err
check "refused: mailx exits non-zero, got $rc" [ "$rc" -ne 0 ]
check "refused: mailx reports it" has err "Can't send mail: sendmail process failed"
check "refused: mailferry's reason on stderr" has err '550 5.1.1 no such user here'
check "refused: nothing queued" nothing_queued
caller_done
