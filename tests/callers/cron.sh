# Debian's cron (3.0pl1-162, bookworm). cron itself cannot be started in a
# test (it runs jobs on minute boundaries from /var/spool/cron), so this
# is its mailer call as do_command.c makes it: the command line
# "%s -FCronDaemon -i -B8BITMIME -oem  %s" (MAILFMT, with MAILTO) split at
# blanks and exec'd, the daemon's scrubbed environment, the job's output
# behind cron's header on a pipe, stdout and stderr on /dev/null. The
# strings and their order come from the bookworm cron binary.
printf 'From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@%s> /usr/local/bin/backup --quiet\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\nX-Cron-Env: <MAILTO=root>\nX-Cron-Env: <SHELL=/bin/sh>\nX-Cron-Env: <HOME=/root>\nX-Cron-Env: <PATH=/usr/bin:/bin>\nX-Cron-Env: <LOGNAME=root>\n\nbackup: 3 files, 1.2 MB \342\200\224 done\n..and a line that starts with two dots\n' \
	"${MF_HOSTNAME%%.*}" >cron.in
# cron_popen: fork, dup2 the pipe to 0, exec; cron's own descriptors 1
# and 2 are /dev/null (it daemonized).
cron_mail() {
	# shellcheck disable=SC2002 # a pipe, as cron's
	cat cron.in | env -i PATH=/usr/bin:/bin "$1" -FCronDaemon -i -B8BITMIME -oem root >/dev/null 2>"$2"
}

begin
cron_mail "$OK_SM" err
rc=$?
show err
check "exit 0 (cron: mail sent), got $rc" [ "$rc" -eq 0 ]
check "one message arrived" wait_ok 1
check "argv: -FCronDaemon -i -B8BITMIME -oem root" argv_is -FCronDaemon -i -B8BITMIME -oem root
check "stdin a pipe, stdout and stderr /dev/null" sh -c "grep -q '^fd0 pipe:' '$(call_fds)' && grep -q '^fd1 /dev/null' '$(call_fds)'"
check "envelope sender: root, qualified with maildomain" mail_from_is root@host.example.org
check "recipient: root through the aliases file" rcpts_are admin@example.org
check "8-bit body announced (BODY=8BITMIME)" mail_param BODY=8BITMIME
check "CRLF only on the wire" crlf_only "$M/data"
check "From qualified, cron's comment kept" header_is "$M/message" 'From: root@host.example.org (Cron Daemon)'
check "To names the alias target" header_is "$M/message" 'To: admin@example.org'
check "Subject kept" header_is "$M/message" "Subject: Cron <root@${MF_HOSTNAME%%.*}> /usr/local/bin/backup --quiet"
check "X-Cron-Env fields kept" header_count "$M/message" X-Cron-Env 5
check "Date added (Debian's cron writes none)" header_count "$M/message" Date 1
check "Message-ID added" header_count "$M/message" Message-ID 1
check "body intact: UTF-8 kept, two leading dots kept (-i)" \
	body_is "$M/message" 'backup: 3 files, 1.2 MB \342\200\224 done\r\n..and a line that starts with two dots\r\n'

begin
cron_mail "$FAIL_SM" err
rc=$?
show err
# cron only logs "(mailed N bytes of output but got status 0x%04x from
# MTA)"; what it gets is the exit status.
check "refused: a non-zero exit status for cron to log (EX_NOUSER 67), got $rc" [ "$rc" -eq 67 ]
check "refused: one line on stderr says why" sh -c "[ \$(wc -l <err) -eq 1 ] && grep -q '^mailferry: .*550 5.1.1 no such user here' err"
check "refused: nothing queued" nothing_queued
caller_done
