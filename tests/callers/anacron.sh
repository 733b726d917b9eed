# Debian's anacron (2.3-36, bookworm), whose runjob.c mails a job's
# output: execl("/usr/sbin/sendmail", "/usr/sbin/sendmail", "-FAnacron",
# "-odi", mailto, NULL) with MAILTO as one argument (a comma list stays
# one argument), no -i, and on stdin the unlinked temporary file holding
# anacron's header (From, To, Subject, Content-Type with the locale's
# codeset) and the output. The order of the header lines comes from the
# bookworm binary. anacron is not installed: run from its package it
# would run the host's cron.daily; this runs its exact call.
printf "From: Anacron <root>\nTo: ops@example.org,root\nSubject: Anacron job 'cron.daily' on %s\nContent-Type: text/plain; charset=ANSI_X3.4-1968\n\n/etc/cron.daily/logrotate:\nerror: skipping \"/var/log/app.log\" because parent directory has insecure permissions\nrun-parts: /etc/cron.daily/logrotate exited with return code 1\n" \
	"$MF_HOSTNAME" >anacron.in
anacron_mail() {
	cp anacron.in anacron.tmp
	exec 3<anacron.tmp
	rm anacron.tmp
	env -i PATH=/usr/bin:/bin "$1" -FAnacron -odi ops@example.org,root <&3 3<&- >/dev/null 2>"$2"
	rc=$?
	exec 3<&-
	return $rc
}

begin
anacron_mail "$OK_SM" err
rc=$?
show err
check "exit 0, got $rc" [ "$rc" -eq 0 ]
check "one message arrived" wait_ok 1
check "argv: -FAnacron -odi ops@example.org,root" argv_is -FAnacron -odi ops@example.org,root
check "stdin the unlinked temporary file" fd_is 0 '*anacron.tmp (deleted)'
check "envelope sender: the login, qualified" mail_from_is root@host.example.org
check "recipients: both names of the comma list, root through the aliases" rcpts_are ops@example.org admin@example.org
check "CRLF only on the wire" crlf_only "$M/data"
check "From: the bare <root> qualified" header_is "$M/message" 'From: Anacron <root@host.example.org>'
check "To: root becomes its alias, the list kept" header_is "$M/message" 'To: ops@example.org,admin@example.org'
check "Subject kept" header_is "$M/message" "Subject: Anacron job 'cron.daily' on $MF_HOSTNAME"
check "Content-Type kept" header_is "$M/message" 'Content-Type: text/plain; charset=ANSI_X3.4-1968'
check "Date and Message-ID added" sh -c "[ \$(grep -c '^Date:' '$M/message') -eq 1 ] && [ \$(grep -c '^Message-ID:' '$M/message') -eq 1 ]"
check "body intact" body_is "$M/message" '/etc/cron.daily/logrotate:\r\nerror: skipping "/var/log/app.log" because parent directory has insecure permissions\r\nrun-parts: /etc/cron.daily/logrotate exited with return code 1\r\n'

begin
anacron_mail "$FAIL_SM" err
rc=$?
show err
# anacron logs "Tried to mail output of job `cron.daily', but mailer
# process (/usr/sbin/sendmail) exited with status 67".
check "refused: exit status 67 for anacron to log, got $rc" [ "$rc" -eq 67 ]
check "refused: stderr says why" has err '550 5.1.1 no such user here'
check "refused: nothing queued" nothing_queued
caller_done
