# Symfony Mailer, sendmail transport in -bs mode ("sendmail -bs", its
# default command): SMTP on the pipes, HELO not EHLO. Symfony is not in
# Debian and composer cannot reach packagist here, so symfony-bs.php
# speaks exactly SmtpTransport's dialogue (see its header).
bs_flags=${bs_flags:--bs}
need_cmd php php-cli
begin
# shellcheck disable=SC2086
timeout 60 php "$CALLERS/symfony-bs.php" "$OK_SM $bs_flags" >out 2>err
show out; show err
check "sent: the final dot was answered 250" grep -qx sent out
check "greeting 220, HELO [127.0.0.1] answered 250" sh -c "grep -q '^S: 220 ' out && grep -A1 '^C: HELO \\[127.0.0.1\\]' out | grep -q '^S: 250 '"
check "QUIT answered 221, then the process ended with 0" sh -c "grep -A1 '^C: QUIT' out | grep -q '^S: 221 ' && grep -qx 'exit 0' out"
check "nothing on stderr" sh -c "! grep -q '^stderr:' out"
check "one message arrived" wait_ok 1
# shellcheck disable=SC2086
check "argv: $bs_flags" argv_is $bs_flags
check "stdin, stdout and stderr are pipes" sh -c "grep -c '^fd[012] pipe:' '$(call_fds)' | grep -qx 3"
check "envelope sender from MAIL FROM" mail_from_is shop@example.org
check "recipients from RCPT TO" rcpts_are customer@example.org archive@example.org
check "CRLF only on the wire" crlf_only "$M/data"
check "Symfony's Message-ID kept" header_is "$M/message" 'Message-ID: <4f6d1c7e2a8b@example.org>'
check "Symfony's Date kept" header_is "$M/message" 'Date: Mon, 23 Nov 2026 10:00:00 +0000'
check "body: dot-stuffing undone once, the lone dot kept, the last line ended" \
	body_is "$M/message" 'Thank you for your order.\r\n.hidden dot line\r\n.\r\nEnd\r\n'

begin
# shellcheck disable=SC2086
timeout 60 php "$CALLERS/symfony-bs.php" "$FAIL_SM $bs_flags" >out 2>err
show out; show err
check "refused: the transport throws Symfony's exception with the 550" \
	grep -q '^failed: Expected response code "250" but got code "550", with message "550 5.1.1 .*no such user here' out
check "refused: RSET answered 250, QUIT 221" sh -c "grep -A1 '^C: RSET' out | grep -q '^S: 250 ' && grep -A1 '^C: QUIT' out | grep -q '^S: 221 '"
check "refused: nothing queued" nothing_queued
caller_done
