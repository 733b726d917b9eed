# Perl MIME::Lite (libmime-lite-perl), send by sendmail: -t -oi -oem -f.
need_cmd perl perl
perl -MMIME::Lite -e 1 2>/dev/null || skip_caller "MIME::Lite not installed (Debian package libmime-lite-perl)"
begin
timeout 60 perl "$CALLERS/mime-lite.pl" "$OK_SM" >out 2>err
rc=$?
show out; show err
check "send succeeded, got $rc" sh -c "[ $rc -eq 0 ] && grep -qx sent out"
check "one message arrived" wait_ok 1
check "argv: -t -oi -oem -f<from>" argv_is -t -oi -oem -freports@example.org
check "stdin a pipe" fd_is 0 'pipe:*'
check "envelope sender from -f" mail_from_is reports@example.org
check "recipients: To and Bcc (-t)" rcpts_are to@example.org bcc@example.org
check "CRLF only on the wire" crlf_only "$M/data"
check "Bcc removed" no_header "$M/message" Bcc
boundary=$(sed -n 's/^Content-Type: multipart\/mixed; boundary="\(.*\)"\r$/\1/p' "$M/message")
check "the multipart header kept" [ -n "$boundary" ]
check "the parts intact: text with its lone dot, the attachment, the end" sh -c "
	grep -c -- '^--$boundary.\$' '$M/message' | grep -qx 2 &&
	grep -q -- '^--$boundary--.\$' '$M/message' &&
	grep -A5 '^Content-Type: text/plain.\$' '$M/message' | tr -d '\\r' | grep -qx 'Hello from MIME::Lite' &&
	grep -c '^\\..\$' '$M/message' | grep -qx 1 &&
	grep -q '^Content-Disposition: attachment; filename=\"r.csv\".\$' '$M/message' &&
	grep -q '^1,2.\$' '$M/message'"

begin
timeout 60 perl "$CALLERS/mime-lite.pl" "$FAIL_SM" >out 2>err
rc=$?
show out; show err
check "refused: MIME::Lite dies with the exit status, got $rc" sh -c "[ $rc -eq 1 ] && grep -qF 'failed: error closing $FAIL_SM:' out && grep -q '(exit 17152)' out"
check "refused: mailferry's reason on stderr" has err '550 5.1.1 no such user here'
check "refused: nothing queued" nothing_queued
caller_done
