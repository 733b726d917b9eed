#!/bin/sh
# tests/bench/small.sh MAILFERRY: benchmark 1 (issue 8). One small message
# per process, plain SMTP into Postfix's smtp-sink on loopback, mailferry
# and msmtp alternating (BENCH_RUNS_SMALL, default 30); then the
# instructions each executes for one message (callgrind, which counts the
# same whatever else the machine does; BENCH_RUNS_IR runs, default 3).
# Prints Markdown. Never asserts a time.
set -u
MAILFERRY=${1:?usage: small.sh MAILFERRY}
RUNS=${BENCH_RUNS_SMALL:-30}
IR_RUNS=${BENCH_RUNS_IR:-3}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

work=$(bench_tmpdir)
BENCH_DIR=$work
trap 'bench_cleanup' EXIT
trap 'exit 130' INT TERM
start_sink "$work"
write_rc "$work/rc" "$SINK_PORT"
printf 'From: cron@example.org\nTo: root@example.org\nSubject: cron report\n\nAll jobs finished.\n' >"$work/small.eml"

echo "### 1. One small message per process, plain SMTP into smtp-sink"
echo
echo "$RUNS runs each, alternating; seconds; peak RSS in MiB."
echo
# one unmeasured run each: page cache, smtp-sink's first accept
measure warmup "$MAILFERRY" -C "$work/rc" -i -f cron@example.org root@example.org <"$work/small.eml"
measure warmup msmtp -C "$work/rc" -f cron@example.org root@example.org <"$work/small.eml"
for i in $(seq "$RUNS"); do
	measure mailferry "$MAILFERRY" -C "$work/rc" -i -f cron@example.org root@example.org <"$work/small.eml"
	measure msmtp msmtp -C "$work/rc" -f cron@example.org root@example.org <"$work/small.eml"
	measure baseline true
done
table mailferry msmtp baseline
echo
m=$(python3 "$here/stats.py" "$work" median mailferry)
s=$(python3 "$here/stats.py" "$work" median msmtp)
b=$(python3 "$here/stats.py" "$work" median baseline)
note small_wall "$m" "$s"
echo "baseline is \`true\` under the same harness (posix_spawn, GNU time for the"
echo "peak RSS, exec): a fixed cost included in every row. Net of it, mailferry takes"
echo "$(python3 -c "print(f'{($m-$b)/($s-$b):.2f}')" 2>/dev/null || echo '?') of msmtp's wall time (medians)."

if command -v valgrind >/dev/null 2>&1; then
	for i in $(seq "$IR_RUNS"); do
		count_ir mailferry "$MAILFERRY" -C "$work/rc" -i -f cron@example.org root@example.org <"$work/small.eml"
		count_ir msmtp msmtp -C "$work/rc" -f cron@example.org root@example.org <"$work/small.eml"
	done
	echo
	echo "Instructions executed for one message (valgrind --tool=callgrind, whole"
	echo "process including the dynamic loader; $IR_RUNS runs each):"
	echo
	ir_table mailferry msmtp
	note small_ir "$(ir_median mailferry)" "$(ir_median msmtp)"
fi
