# at/atd (3.2.5, bookworm). atd runs a job with its output in a file under
# /var/spool/cron/atspool that starts with the header atd writes
# ("Subject: Output from your job %8lu\nTo: <login>\n\n"), then, when
# there was output, runs execl("/usr/sbin/sendmail", "sendmail", "-i",
# mailname, NULL) with that file as stdin, as the job's owner. atd cannot
# run a job from a test's spool directory (the path is built in), so
# this is that call; the strings come from the bookworm atd binary.
printf 'Subject: Output from your job        7\nTo: root\n\nreport:\n.\ndone, 0 errors\n' >atjob.out
begin
env -i PATH=/usr/bin:/bin "$OK_SM" -i root <atjob.out >/dev/null 2>err
rc=$?
show err
check "exit 0, got $rc" [ "$rc" -eq 0 ]
check "one message arrived" wait_ok 1
check "argv: -i <login>" argv_is -i root
check "stdin the output file" fd_is 0 '*/atjob.out'
check "envelope sender: the login, qualified" mail_from_is root@host.example.org
check "recipient: the login through the aliases" rcpts_are admin@example.org
check "CRLF only on the wire" crlf_only "$M/data"
check "From added: the sender" header_is "$M/message" 'From: root@host.example.org'
check "To: the alias target" header_is "$M/message" 'To: admin@example.org'
check "Subject with atd's padded job number kept" header_is "$M/message" 'Subject: Output from your job        7'
check "Date and Message-ID added" sh -c "[ \$(grep -c '^Date:' '$M/message') -eq 1 ] && [ \$(grep -c '^Message-ID:' '$M/message') -eq 1 ]"
check "body intact, the lone dot kept (-i)" body_is "$M/message" 'report:\r\n.\r\ndone, 0 errors\r\n'

begin
env -i PATH=/usr/bin:/bin "$FAIL_SM" -i root <atjob.out >/dev/null 2>err
rc=$?
show err
check "refused: exit status 67 (atd waits for the mailer and goes on), got $rc" [ "$rc" -eq 67 ]
check "refused: stderr says why" has err '550 5.1.1 no such user here'
check "refused: nothing queued" nothing_queued
caller_done
