# PHP mail(): sendmail_path (-d, as php.ini would set it) points at the
# wrapper with PHP's default flags -t -i; the application adds -f.
need_cmd php php-cli
begin
timeout 60 php -d sendmail_path="$OK_SM -t -i" "$CALLERS/php-mail.php" >out 2>err
show out; show err
check "mail() returned true" grep -qx 'bool(true)' out
check "nothing on stderr" [ ! -s err ]
check "one message arrived" wait_ok 1
check "called once" calls_were 1
check "argv: sendmail_path's -t -i, then additional_parameters" argv_is -t -i -fbounce@example.org
check "stdin is a pipe" fd_is 0 'pipe:*'
check "envelope sender from -f" mail_from_is bounce@example.org
check "recipients: To (a list), Cc and Bcc" rcpts_are to@example.org second@example.org cc@example.org hidden@example.org
check "CRLF headers + LF body: CRLF only on the wire" crlf_only "$M/data"
check "Bcc removed" no_header "$M/message" Bcc
check "To kept" header_is "$M/message" 'To: to@example.org, Second <second@example.org>'
check "From kept" header_is "$M/message" 'From: Web App <webapp@example.org>'
check "Subject kept" header_is "$M/message" 'Subject: PHP mail() test'
check "Date added" header_count "$M/message" Date 1
check "Message-ID added" header_count "$M/message" Message-ID 1
check "body intact (the lone dot kept: -i), PHP's final CRLF too" \
	body_is "$M/message" 'Line one\r\nLine two\r\n.\r\nlast line\r\n\r\n'

begin
timeout 60 php -d sendmail_path="$FAIL_SM -t -i" "$CALLERS/php-mail.php" >out 2>err
show out; show err
check "refused: mail() returned false" grep -qx 'bool(false)' out
check "refused: mailferry's reason reached PHP's stderr" has err '550 5.1.1 no such user here'
check "refused: the smarthost was asked" wait_fail 1
check "refused: nothing queued" nothing_queued
caller_done
