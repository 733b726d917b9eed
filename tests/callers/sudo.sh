# sudo (1.9.13, bookworm) with mail_always: for each command it mails
# "To: <mailto>", "From: <user>", Auto-Submitted, the Subject "*** SECURITY
# information for <host> ***" and its log line to mailerpath with
# mailerflags (default -t), from a detached child with a scrubbed
# environment and stdout/stderr on /dev/null, without waiting. The
# sudoers file is fixed at /etc/sudoers, so the test's own one is bind-
# mounted over it in a private mount namespace (unshare -m), which ends
# with the command.
need_cmd sudo sudo
need_mount_ns
[ -f /etc/sudoers ] || skip_caller "no /etc/sudoers to mount over (Debian package sudo)"
sudoers() {
	rm -f sudoers
	cat >sudoers <<SUDOERS
Defaults mail_always
Defaults mailerpath="$1"
Defaults mailto="root"
Defaults !lecture
root ALL=(ALL:ALL) ALL
SUDOERS
	chmod 0440 sudoers
}
run_sudo() {
	timeout 60 unshare -m sh -c 'mount --bind "$1" /etc/sudoers && exec sudo -u root /bin/sh -c "echo ran >ran"' \
		sh "$W/sudoers" >out 2>err
}

sudoers "$OK_SM"
begin
run_sudo
rc=$?
show out; show err
check "sudo ran the command: exit 0, got $rc" sh -c "[ $rc -eq 0 ] && grep -qx ran ran"
# One mail when the command is accepted, one when it exits.
check "two messages arrived" wait_ok 2
check "argv: mailerflags -t" argv_is -t
check "stdin a pipe, stdout /dev/null" sh -c "grep -q '^fd0 pipe:' '$(call_fds)' && grep -qx 'fd1 /dev/null' '$(call_fds)'"
check "envelope sender: root, qualified" mail_from_is root@host.example.org
check "recipient: mailto root through the aliases" rcpts_are admin@example.org
check "CRLF only on the wire" crlf_only "$M/data"
check "From: root qualified" header_is "$M/message" 'From: root@host.example.org'
check "To: the alias target" header_is "$M/message" 'To: admin@example.org'
check "sudo's Subject kept" header_is "$M/message" "Subject: *** SECURITY information for $MF_HOSTNAME ***"
check "Auto-Submitted kept" header_is "$M/message" 'Auto-Submitted: auto-generated'
check "sudo's log line in the bodies" sh -c "grep -q \"^$MF_HOSTNAME : .* : root : PWD=$W ; USER=root ; COMMAND=/bin/sh -c 'echo ran >ran'.\\$\" '$M/message' '$M2/message'"

sudoers "$FAIL_SM"
rm -f ran
begin
run_sudo
rc=$?
show out; show err
check "refused: sudo still runs the command and exits 0, got $rc" sh -c "[ $rc -eq 0 ] && grep -qx ran ran"
check "refused: both mails were refused by the smarthost" wait_fail 2
check "refused: sudo shows nothing (the mailer's stderr is /dev/null)" [ ! -s err ]
check "refused: nothing queued" nothing_queued
caller_done
