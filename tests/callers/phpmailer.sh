# PHPMailer from Debian (libphp-phpmailer), isSendmail(): it appends
# -oi -f<sender> -t to PHP's sendmail_path, which already says -t -i.
need_cmd php php-cli
[ -f /usr/share/php/libphp-phpmailer/autoload.php ] ||
	skip_caller "PHPMailer not installed (Debian package libphp-phpmailer)"
begin
timeout 60 php -d sendmail_path="$OK_SM -t -i" "$CALLERS/phpmailer.php" >out 2>err
show out; show err
check "send() returned true" grep -qx 'bool(true)' out
check "one message arrived" wait_ok 1
check "argv: -t -i -oi -f<sender> -t" argv_is -t -i -oi -fshop@example.org -t
check "stdin is a pipe" fd_is 0 'pipe:*'
check "envelope sender" mail_from_is shop@example.org
check "recipients: To, Cc, Bcc" rcpts_are to@example.org cc@example.org bcc@example.org
check "CRLF only on the wire" crlf_only "$M/data"
check "Bcc removed" no_header "$M/message" Bcc
check "encoded From kept byte for byte" header_is "$M/message" 'From: =?UTF-8?Q?Shop_=C3=9Cn=C3=AFcode?= <shop@example.org>'
check "encoded Subject kept" header_is "$M/message" 'Subject: =?UTF-8?Q?PHPMailer_t=C3=A9st?='
check "To kept" header_is "$M/message" 'To: To Person <to@example.org>'
check "PHPMailer's Message-ID and Date kept, none added" sh -c "grep -c '^Message-ID:' '$M/message' | grep -qx 1 && grep -c '^Date:' '$M/message' | grep -qx 1"
check "body intact, the lone dot kept" body_is "$M/message" 'Hello from PHPMailer\r\n.\r\nend\r\n'

begin
timeout 60 php -d sendmail_path="$FAIL_SM -t -i" "$CALLERS/phpmailer.php" >out 2>err
show out; show err
check "refused: send() returned false" grep -qx 'bool(false)' out
check "refused: ErrorInfo names the command" grep -qxF "ErrorInfo: Could not execute: $FAIL_SM -t -i" out
check "refused: mailferry's reason on stderr" has err '550 5.1.1 no such user here'
check "refused: nothing queued" nothing_queued
caller_done
