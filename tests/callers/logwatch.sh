# logwatch (7.7, bookworm) --output mail: it opens "|$mailer" with
# Debian's mailer = "/usr/sbin/sendmail -t" and writes To (from
# --mailto), From (MailFrom = root in Debian's dist.conf), Subject,
# Auto-Submitted, Precedence, the MIME fields and the report. logwatch
# runs with its own configuration, in a private mount namespace where the
# test's wrapper is bind-mounted over /usr/sbin/sendmail and the test's
# log directory over /var/log (so it reads only the test's dpkg.log). It
# makes and removes its work directory in /tmp (Debian's TmpDir); a
# logwatch.conf cannot move that into the test directory, because
# logwatch lower-cases the values of most keywords (LogDir too, in
# practice) and the test directory's name has capitals.
need_cmd logwatch logwatch
need_mount_ns
[ -e /usr/sbin/sendmail ] ||
	skip_caller "no /usr/sbin/sendmail to mount over (an MTA package: postfix in CI)"
mkdir -p logs
now=$(date '+%Y-%m-%d %H:%M:%S')
printf '%s install hello:amd64 <none> 2.10-3\n%s status installed hello:amd64 2.10-3\n' "$now" "$now" >logs/dpkg.log
# run_logwatch WRAPPER: logwatch with /usr/sbin/sendmail being WRAPPER.
run_logwatch() {
	timeout 60 unshare -m sh -c 'mount --bind "$1" /usr/sbin/sendmail &&
		mount --bind "$2" /var/log &&
		exec logwatch --output mail --mailto root --service dpkg --range today' \
		sh "$1" "$W/logs" >out 2>err
}

begin
run_logwatch "$OK_SM"
rc=$?
show out; show err
check "exit 0, got $rc" [ "$rc" -eq 0 ]
check "nothing on stderr" [ ! -s err ]
check "one message arrived" wait_ok 1
check "argv: -t" argv_is -t
check "stdin a pipe" fd_is 0 'pipe:*'
check "envelope sender: root, qualified" mail_from_is root@host.example.org
check "recipient: --mailto root through the aliases" rcpts_are admin@example.org
check "CRLF only on the wire" crlf_only "$M/data"
check "From: root qualified" header_is "$M/message" 'From: root@host.example.org'
check "To: the alias target" header_is "$M/message" 'To: admin@example.org'
check "Subject kept" grep -q "^Subject: Logwatch for $MF_HOSTNAME (.*).\$" "$M/message"
check "Precedence and Auto-Submitted kept" sh -c "grep -q '^Precedence: bulk.\$' '$M/message' && grep -q '^Auto-Submitted: auto-generated.\$' '$M/message'"
check "Date and Message-ID added" sh -c "[ \$(grep -c '^Date:' '$M/message') -eq 1 ] && [ \$(grep -c '^Message-ID:' '$M/message') -eq 1 ]"
check "the report in the body" body_has "$M/message" '    hello:amd64 2.10-3'

begin
run_logwatch "$FAIL_SM"
rc=$?
show out; show err
check "refused: logwatch ignores the mailer's status: exit 0, got $rc" [ "$rc" -eq 0 ]
check "refused: mailferry's reason on logwatch's stderr (which cron mails)" has err '550 5.1.1 no such user here'
check "refused: nothing queued" nothing_queued
caller_done
