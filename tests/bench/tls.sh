#!/bin/sh
# tests/bench/tls.sh MAILFERRY: benchmark 2 (issue 8). One small message
# per process over STARTTLS + AUTH to the test Postfix (tests/servers/
# smarthost: submission port, Dovecot SASL, its relay switched to Postfix's
# discard transport), mailferry and msmtp alternating (BENCH_RUNS_SMALL,
# default 30); then instructions per message (callgrind, BENCH_RUNS_IR,
# default 3) and where mailferry's go. Both programs use AUTH PLAIN (what
# msmtp picks here with `auth on`); mailferry's own choice with `auth on`
# (SCRAM-SHA-256) is a third row. Needs root (the smarthost does).
# Prints Markdown. Never asserts a time.
set -u
MAILFERRY=${1:?usage: tls.sh MAILFERRY}
RUNS=${BENCH_RUNS_SMALL:-30}
IR_RUNS=${BENCH_RUNS_IR:-3}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

work=$(bench_tmpdir)
BENCH_DIR=$work
trap 'bench_cleanup' EXIT
trap 'exit 130' INT TERM
start_smarthost "$work"
tls=$(smarthost_tls)
write_rc "$work/rc" "$SMARTHOST_SUBMISSION_PORT" "$tls" "auth plain"
write_rc "$work/rc.on" "$SMARTHOST_SUBMISSION_PORT" "$tls" "auth on"
printf 'From: cron@example.org\nTo: root@example.org\nSubject: cron report\n\nAll jobs finished.\n' >"$work/small.eml"

echo "### 2. One small message per process, STARTTLS + AUTH to the test Postfix"
echo
echo "Submission port of tests/servers/smarthost (Postfix, TLS 1.3, ECDSA P-256"
echo "certificate, Dovecot SASL); $RUNS runs each, alternating; seconds; peak RSS in MiB."
echo "\`mailferry\` and \`msmtp\` use \`auth plain\`; \`mailferry-auth-on\` is"
echo "mailferry with \`auth on\`, which picks SCRAM-SHA-256 (msmtp picks PLAIN)."
echo
# one unmeasured run each: Postfix starts an smtpd, Dovecot an auth process
measure warmup "$MAILFERRY" -C "$work/rc" -i -f cron@example.org root@example.org <"$work/small.eml"
measure warmup msmtp -C "$work/rc" -f cron@example.org root@example.org <"$work/small.eml"
for i in $(seq "$RUNS"); do
	measure mailferry "$MAILFERRY" -C "$work/rc" -i -f cron@example.org root@example.org <"$work/small.eml"
	measure msmtp msmtp -C "$work/rc" -f cron@example.org root@example.org <"$work/small.eml"
	measure mailferry-auth-on "$MAILFERRY" -C "$work/rc.on" -i -f cron@example.org root@example.org <"$work/small.eml"
done
table mailferry msmtp mailferry-auth-on
note tls_wall "$(median mailferry)" "$(median msmtp)"

if command -v valgrind >/dev/null 2>&1; then
	for i in $(seq "$IR_RUNS"); do
		count_ir mailferry "$MAILFERRY" -C "$work/rc" -i -f cron@example.org root@example.org <"$work/small.eml"
		count_ir msmtp msmtp -C "$work/rc" -f cron@example.org root@example.org <"$work/small.eml"
		count_ir mailferry-auth-on "$MAILFERRY" -C "$work/rc.on" -i -f cron@example.org root@example.org <"$work/small.eml"
	done
	echo
	echo "Instructions executed for one message (callgrind, whole process; $IR_RUNS runs each):"
	echo
	ir_table mailferry msmtp mailferry-auth-on
	note tls_ir "$(ir_median mailferry)" "$(ir_median msmtp)"
	echo
	echo "Where mailferry's instructions go (\`auth plain\`, last callgrind run,"
	echo "own cost per function):"
	echo
	top_functions mailferry 10
	echo
	echo "With \`auth on\` (SCRAM-SHA-256):"
	echo
	top_functions mailferry-auth-on 5
fi
