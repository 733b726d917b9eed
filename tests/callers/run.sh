#!/bin/sh
# tests/callers/run.sh [CALLER...]: the caller suite. Real programs that
# run /usr/sbin/sendmail (PHP, PHPMailer, mailx, mutt, git send-email,
# sudo, logwatch, Perl and Node.js modules, and the exact command lines of
# cron, anacron, at and fail2ban) are pointed at the built mailferry
# through their own settings, or through a bind mount in a private mount
# namespace (sudo, logwatch); each sends a message through the scriptable
# test smarthost, and what arrived is checked byte by byte. Then each is
# pointed at a smarthost that refuses every recipient, and its reaction is
# checked. doc/internals/testing.md describes every caller.
#
# Prints one line per caller (PASS, FAIL or SKIP with the reason), the log
# of each failed caller, and "callers: N passed, N failed, N skipped".
# Exit 0 when none failed (77 when all were skipped), 1 otherwise. A
# caller whose program is not installed is a SKIP, or a FAIL when
# MF_REQUIRE_SERVERS=1 (tests/check, CI). Run alone from the top of a
# built tree: tests/callers/run.sh, or tests/callers/run.sh mutt cron.
orig_home=${HOME:-}
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
CALLERS="$top_srcdir/tests/callers"
. "$CALLERS/lib.sh"

ALL="php-mail phpmailer symfony-bs laravel-bs cron anacron at bsd-mailx
mailutils mailutils-sender mutt mutt-dsn s-nail git-send-email fail2ban
sudo logwatch email-sender mime-lite nodemailer"
# shellcheck disable=SC2086
[ $# -gt 0 ] || set -- $ALL
for c in "$@"; do
	[ -f "$CALLERS/$c.sh" ] || { echo "run.sh: no caller '$c' (callers: $(echo $ALL))"; exit 99; }
done
[ -x "$MAILFERRY" ] || { echo "run.sh: $MAILFERRY is not built"; exit 99; }

# The smarthosts: one accepts everything (and offers DSN, so mutt's
# -N/-R can show), one refuses every recipient with a permanent 550.
printf 'ehlo-add DSN\n' >"$T/ok.script"
start_smtpd ok --script "$T/ok.script" --lifetime 900
printf 'on RCPT reply 550 5.1.1 no such user here\n' >"$T/fail.script"
start_smtpd fail --script "$T/fail.script" --lifetime 900
OK_DIR=$ok_DIR
FAIL_DIR=$fail_DIR

# root's mail goes to a real address; bare names get host.example.org.
printf 'root: admin@example.org\n' >"$T/aliases"
for which in ok fail; do
	eval "port=\$${which}_PORT"
	write_config "$T/$which.conf" <<CONF
defaults
timeout 10
maildomain host.example.org
aliases $T/aliases

account default
host 127.0.0.1
port $port
queue_dir $T/queue-$which
CONF
done

# The recording wrappers: what the callers run as sendmail. Each call
# leaves CALLS/PID.argv (one argument a line) and CALLS/PID.fds (where
# descriptors 0-2 lead), then becomes the built mailferry. They write
# nothing on stdout or stderr, keep closed descriptors closed, and carry
# absolute paths, since sudo and cron run the mailer with a scrubbed
# environment.
CALLS="$T/calls"
mkdir -p "$CALLS" "$T/tmp"
for which in ok fail; do
	mkdir -p "$T/bin-$which"
	cat >"$T/bin-$which/sendmail" <<WRAPPER
#!/bin/sh
rec="$CALLS/\$\$"
(
	for a in "\$@"; do printf '%s\\n' "\$a"; done >"\$rec.argv"
	for fd in 0 1 2; do
		printf 'fd%s %s\\n' "\$fd" "\$(readlink "/proc/\$\$/fd/\$fd" 2>/dev/null || echo closed)"
	done >"\$rec.fds"
) 2>/dev/null
exec "$MAILFERRY" -C "$T/$which.conf" "\$@"
WRAPPER
	chmod 755 "$T/bin-$which/sendmail"
done
OK_SM="$T/bin-ok/sendmail"
FAIL_SM="$T/bin-fail/sendmail"
MF_HOSTNAME=$(uname -n)
TMPDIR="$T/tmp"
LC_ALL=C.UTF-8
export TMPDIR LC_ALL
unset LANGUAGE MAIL MAILRC NAME EMAIL REPLYTO

n_pass=0
n_fail=0
n_skip=0
report=""
failed_callers=""
suite_start=$(date +%s%N)
for c in "$@"; do
	W="$T/$c"
	mkdir -p "$W/home" "$W/tmp"
	start=$(date +%s%N)
	(
		cd "$W" || exit 99
		HOME="$W/home"
		export HOME W
		passed=0
		failed=0
		. "$CALLERS/$c.sh"
	) >"$W/log" 2>&1 </dev/null
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	time=$(printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100)))
	case $rc in
	0) n_pass=$((n_pass + 1)); line=$(printf '%-18s PASS  %6s' "$c" "$time") ;;
	77) n_skip=$((n_skip + 1)); line=$(printf '%-18s SKIP  %6s  %s' "$c" "$time" "$(cat "$W/skip" 2>/dev/null)") ;;
	*)
		n_fail=$((n_fail + 1))
		failed_callers="$failed_callers $c"
		why=$(grep -m1 '^not ok' "$W/log" | sed 's/^not ok - //')
		line=$(printf '%-18s FAIL  %6s  %s' "$c" "$time" "${why:-exit status $rc}")
		;;
	esac
	echo "$line"
	report="$report$line
"
done
ms=$((($(date +%s%N) - suite_start) / 1000000))

for c in $failed_callers; do
	echo
	echo "=== $c ($T/$c/log)"
	cat "$T/$c/log"
done
echo
printf '%s' "$report" >"$T/report"
echo "callers: $n_pass passed, $n_fail failed, $n_skip skipped ($((ms / 1000)).$((ms % 1000 / 100)) s)"
failed=$n_fail
[ "$n_fail" -eq 0 ] || exit 1
[ "$n_pass" -gt 0 ] || exit 77
exit 0
