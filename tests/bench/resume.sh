#!/bin/sh
# tests/bench/resume.sh MAILFERRY: benchmark 6 (issue 8's "TLS session
# resumption between connections of one run"). BENCH_RESUME_N (default
# 100) small messages queued for BENCH_RESUME_ACCOUNTS (default 10)
# accounts of the test Postfix (tests/servers/smarthost: submission port,
# STARTTLS, AUTH PLAIN, relay switched to discard), then one `mailferry -q`:
# one connection per account, each after the first resuming the TLS
# session of the one before. The same run with tickets switched off
# (tls_priorities ...:%NO_TICKETS, the same groups as mailferry's default)
# shows what resumption saves; BENCH_RESUME_N msmtp invocations, one
# handshake each, are the reference. BENCH_RESUME_ROUNDS rounds (default
# 3), alternating; then instructions of each queue run (callgrind, one run
# each). Needs root (the smarthost does). Prints Markdown. Never asserts a
# time.
set -u
MAILFERRY=${1:?usage: resume.sh MAILFERRY}
N=${BENCH_RESUME_N:-100}
K=${BENCH_RESUME_ACCOUNTS:-10}
ROUNDS=${BENCH_RESUME_ROUNDS:-3}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

work=$(bench_tmpdir)
BENCH_DIR=$work
trap 'bench_cleanup' EXIT
trap 'exit 130' INT TERM
start_smarthost "$work"
tls="$(smarthost_tls)
auth plain"
accounts() {
	i=1
	while [ $i -le "$K" ]; do
		printf '\naccount a%s\nfrom a%s@example.org\n' "$i" "$i"
		i=$((i + 1))
	done
}
write_rc "$work/rc" "$SMARTHOST_SUBMISSION_PORT" "$tls"
write_rc "$work/rc.q" "$SMARTHOST_SUBMISSION_PORT" "$tls" "queue_dir $work/queue"
accounts >>"$work/rc.q"
write_rc "$work/rc.nt" "$SMARTHOST_SUBMISSION_PORT" "$tls" "queue_dir $work/queue" \
	"tls_priorities NORMAL:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:+GROUP-SECP521R1:%NO_TICKETS"
accounts >>"$work/rc.nt"
chmod 600 "$work/rc.q" "$work/rc.nt"
printf 'From: cron@example.org\nTo: root@example.org\nSubject: cron report\n\nAll jobs finished.\n' >"$work/small.eml"

# fill: N messages into the queue, round robin over the K accounts.
fill() {
	i=0
	while [ $i -lt "$N" ]; do
		a=$((i % K + 1))
		"$MAILFERRY" -C "$work/rc.q" -a "a$a" -odq -i -f "a$a@example.org" \
			root@example.org <"$work/small.eml" >/dev/null 2>&1 ||
			echo "bench: queueing failed" >&2
		i=$((i + 1))
	done
}
queued() { find "$work/queue/env" -type f 2>/dev/null | wc -l; }
# after LABEL: the run counts as failed when messages are left.
after() {
	q=$(queued)
	if [ "$q" -ne 0 ]; then
		echo "bench: $q messages still queued after $1" >&2
		sed -i '$s/.*/FAILED/' "$work/$1.runs"
		rm -rf "$work/queue"
	fi
}
write_loop "$work/loop.sh"
export MSG="$work/small.eml"

# one unmeasured round: Postfix starts its smtpd processes, Dovecot auth
fill
"$MAILFERRY" -C "$work/rc.q" -q </dev/null >/dev/null 2>&1
rm -rf "$work/queue"
R="mailferry -q, resumed"
F="mailferry -q, full handshakes"
M="msmtp x$N"
for _ in $(seq "$ROUNDS"); do
	fill
	measure "$R" "$MAILFERRY" -C "$work/rc.q" -q </dev/null
	after "$R"
	fill
	measure "$F" "$MAILFERRY" -C "$work/rc.nt" -q </dev/null
	after "$F"
	measure "$M" sh "$work/loop.sh" "$N" msmtp -C "$work/rc" -f cron@example.org root@example.org
done

echo "### 6. A queue run over STARTTLS + AUTH: TLS session resumption"
echo
echo "$N messages queued for $K accounts of the test Postfix (submission port,"
echo "STARTTLS, AUTH PLAIN), delivered by one \`mailferry -q\`: one connection per"
echo "account, $K in all. \`resumed\`: each connection after the first resumes"
echo "the TLS session of the one before (mailferry's default); \`full handshakes\`:"
echo "the same with session tickets off (\`tls_priorities ...:%NO_TICKETS\`);"
echo "\`$M\`: one msmtp process and handshake per message. $ROUNDS rounds,"
echo "alternating; seconds for the whole batch."
echo
table --ref "$M" "$R" "$F" "$M"

if command -v valgrind >/dev/null 2>&1; then
	fill
	count_ir resumed "$MAILFERRY" -C "$work/rc.q" -q </dev/null
	after resumed
	fill
	count_ir full "$MAILFERRY" -C "$work/rc.nt" -q </dev/null
	after full
	r=$(python3 "$here/stats.py" "$work" ir resumed | cut -d' ' -f2)
	f=$(python3 "$here/stats.py" "$work" ir full | cut -d' ' -f2)
	echo
	echo "Instructions of one queue run (callgrind, whole process, $N messages,"
	echo "$K connections):"
	echo
	echo "| run | instructions |"
	echo "|---|---|"
	echo "| resumed | ${r:-failed} |"
	echo "| full handshakes | ${f:-failed} |"
	if [ -n "$r" ] && [ -n "$f" ]; then
		echo
		echo "Resumption saves $(python3 -c "print(f'{($f - $r) / 1e6:.1f}M instructions in all, {($f - $r) / ($K - 1) / 1e6:.2f}M per resumed connection')")."
	fi
fi
