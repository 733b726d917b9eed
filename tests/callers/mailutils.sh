# GNU Mailutils mail(1): "set sendmail=sendmail://PATH" in ~/.mailrc. It
# runs sendmail -oi -f <login>@<short host name> -t with stdout and
# stderr closed.
need_cmd mail.mailutils mailutils
printf 'set sendmail=sendmail://%s\n' "$OK_SM" >"$HOME/.mailrc"
printf 'Hello from mailutils\n..two dots\n' >body
begin
timeout 60 mail.mailutils -s 'mailutils test' -a 'Bcc: hidden@example.org' to@example.org <body >out 2>err
rc=$?
show out; show err
check "exit 0, got $rc" [ "$rc" -eq 0 ]
check "one message arrived" wait_ok 1
me=$(id -un)
check "argv: -oi -f <login>@<host> -t" argv_is -oi -f "$me@$MF_HOSTNAME" -t
check "stdout and stderr closed" sh -c "grep -qx 'fd1 closed' '$(call_fds)' && grep -qx 'fd2 closed' '$(call_fds)'"
check "stdin a pipe" fd_is 0 'pipe:*'
check "recipients: To and Bcc (-t)" rcpts_are to@example.org hidden@example.org
check "CRLF only on the wire" crlf_only "$M/data"
check "Bcc removed" no_header "$M/message" Bcc
check "To kept" header_is "$M/message" 'To: <to@example.org>'
check "body intact (two dots kept: -oi)" body_is "$M/message" 'Hello from mailutils\r\n..two dots\r\n'

printf 'set sendmail=sendmail://%s\n' "$FAIL_SM" >"$HOME/.mailrc"
begin
timeout 60 mail.mailutils -s 'mailutils test' to@example.org <body >out 2>err
rc=$?
show out; show err
check "refused: exit 1, got $rc" [ "$rc" -eq 1 ]
check "refused: mail reports it" has err 'cannot send message: Process exited with a non-zero status'
check "refused: mail keeps the message in ~/dead.letter" has "$HOME/dead.letter" 'Hello from mailutils'
check "refused: nothing queued" nothing_queued
caller_done
