# fail2ban's "sendmail" action (action_mw and friends): printf %b of the
# mail text piped into "<mailcmd>" = sendmail -f "<sender>" "<dest>", run
# by /bin/sh from fail2ban's Python. fail2ban is not installed (its
# package starts a daemon); fail2ban-action.py runs its exact action text
# the way fail2ban 1.0.2 runs it. No -i, and the text has no final newline.
begin
timeout 60 "$PYTHON3" "$CALLERS/fail2ban-action.py" "$OK_SM" "$MF_HOSTNAME" >out 2>err
rc=$?
show out; show err
check "exit 0 (fail2ban logs nothing), got $rc" [ "$rc" -eq 0 ]
check "one message arrived" wait_ok 1
check "argv: -f sender dest" argv_is -f fail2ban@example.org root@localhost
check "stdin a pipe" fd_is 0 'pipe:*'
check "envelope sender from -f" mail_from_is fail2ban@example.org
check "recipient: root@localhost through the aliases" rcpts_are admin@example.org
check "CRLF only on the wire" crlf_only "$M/data"
check "From kept" header_is "$M/message" 'From: Fail2Ban <fail2ban@example.org>'
check "Subject kept" header_is "$M/message" "Subject: [Fail2Ban] sshd: banned 192.0.2.7 from $MF_HOSTNAME"
check "fail2ban's Date kept, no second one" header_count "$M/message" Date 1
check "Message-ID added" header_count "$M/message" Message-ID 1
check "body intact, a line break added at the end" body_is "$M/message" \
	'Hi,\r\n\r\nThe IP 192.0.2.7 has just been banned by Fail2Ban after\r\n5 attempts against sshd.\r\n\r\nRegards,\r\n\r\nFail2Ban\r\n'

begin
timeout 60 "$PYTHON3" "$CALLERS/fail2ban-action.py" "$FAIL_SM" "$MF_HOSTNAME" >out 2>err
rc=$?
show out; show err
check "refused: the action fails with 67, got $rc" [ "$rc" -eq 67 ]
check "refused: fail2ban logs mailferry's reason and the status" sh -c "grep -q 'stderr: .*550 5.1.1 no such user here' out && grep -q -- '-- returned 67' out"
check "refused: nothing queued" nothing_queued
caller_done
