# Perl Email::Sender (libemail-sender-perl), Sendmail transport.
need_cmd perl perl
perl -MEmail::Sender::Simple -MEmail::Sender::Transport::Sendmail -MEmail::Simple::Creator -e 1 2>/dev/null ||
	skip_caller "Email::Sender not installed (Debian package libemail-sender-perl)"
begin
timeout 60 perl "$CALLERS/email-sender.pl" "$OK_SM" >out 2>err
rc=$?
show out; show err
check "sendmail() succeeded, got $rc" sh -c "[ $rc -eq 0 ] && grep -qx sent out"
check "one message arrived" wait_ok 1
check "argv: -i -f from -- to cc" argv_is -i -f perl@example.org -- to@example.org cc@example.org
check "stdin a pipe" fd_is 0 'pipe:*'
check "envelope sender from -f" mail_from_is perl@example.org
check "recipients from the command line" rcpts_are to@example.org cc@example.org
check "CRLF only on the wire" crlf_only "$M/data"
check "Bcc removed (without -t too)" no_header "$M/message" Bcc
check "From, To, Cc kept" sh -c "grep -q '^From: Perl App <perl@example.org>.\$' '$M/message' && grep -q '^To: to@example.org.\$' '$M/message' && grep -q '^Cc: cc@example.org.\$' '$M/message'"
check "Date and Message-ID added" sh -c "[ \$(grep -c '^Date:' '$M/message') -eq 1 ] && [ \$(grep -c '^Message-ID:' '$M/message') -eq 1 ]"
check "body intact, the lone dot kept (-i)" body_is "$M/message" 'Hello from Email::Sender\r\n.\r\nafter the dot\r\n'

begin
timeout 60 perl "$CALLERS/email-sender.pl" "$FAIL_SM" >out 2>err
rc=$?
show out; show err
check "refused: Email::Sender throws, got $rc" sh -c "[ $rc -eq 1 ] && grep -q '^failed: error when closing pipe to sendmail' out"
check "refused: mailferry's reason on stderr" has err '550 5.1.1 no such user here'
check "refused: nothing queued" nothing_queued
caller_done
