#!/bin/sh
# tests/bench/queue.sh MAILFERRY: benchmark 4 (issue 8). BENCH_QUEUE_N
# (default 1000) small messages queued with `mailferry -odq` into a
# private queue_dir, then one timed `mailferry -q` that delivers them all
# into smtp-sink over one connection, against BENCH_QUEUE_N msmtp
# invocations (and, for scale, as many direct mailferry invocations and
# the -odq calls that filled the queue). BENCH_QUEUE_ROUNDS rounds
# (default 3), alternating. Each loop counts as failed when any of its
# messages fails, or when the queue is not empty after the run.
# Prints Markdown. Never asserts a time.
set -u
MAILFERRY=${1:?usage: queue.sh MAILFERRY}
N=${BENCH_QUEUE_N:-1000}
ROUNDS=${BENCH_QUEUE_ROUNDS:-3}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

work=$(bench_tmpdir)
BENCH_DIR=$work
trap 'bench_cleanup' EXIT
trap 'exit 130' INT TERM
start_sink "$work"
write_rc "$work/rc" "$SINK_PORT"
write_rc "$work/rc.q" "$SINK_PORT" "queue_dir $work/queue"
printf 'From: cron@example.org\nTo: root@example.org\nSubject: cron report\n\nAll jobs finished.\n' >"$work/small.eml"

# loop N CMD...: run CMD N times (stdin: the small message); exit 1 if any failed.
write_loop "$work/loop.sh"
export MSG="$work/small.eml"
queued() { find "$work/queue/env" -type f 2>/dev/null | wc -l; }

for _ in $(seq "$ROUNDS"); do
	measure "mailferry -odq x$N" sh "$work/loop.sh" "$N" \
		"$MAILFERRY" -C "$work/rc.q" -odq -i -f cron@example.org root@example.org
	q=$(queued)
	[ "$q" -eq "$N" ] || echo "bench: $q messages queued, not $N" >&2
	measure "mailferry -q ($N queued)" "$MAILFERRY" -C "$work/rc.q" -q </dev/null
	q=$(queued)
	if [ "$q" -ne 0 ]; then
		echo "bench: $q messages still queued after mailferry -q" >&2
		sed -i '$s/.*/FAILED/' "$work/mailferry -q ($N queued).runs"
		rm -rf "$work/queue"
	fi
	measure "msmtp x$N" sh "$work/loop.sh" "$N" msmtp -C "$work/rc" -f cron@example.org root@example.org
	measure "mailferry x$N" sh "$work/loop.sh" "$N" \
		"$MAILFERRY" -C "$work/rc" -i -f cron@example.org root@example.org
done

echo "### 4. A queue run of $N messages against $N msmtp invocations"
echo
echo "\`mailferry -q\` delivers $N messages queued with \`mailferry -odq\` (a private"
echo "queue_dir) into smtp-sink over one connection; \`msmtp x$N\` is $N invocations"
echo "from a shell loop, one message each. The direct \`mailferry x$N\` and the"
echo "\`-odq\` calls that filled the queue are there for scale. $ROUNDS rounds,"
echo "alternating; seconds for the whole batch; peak RSS of one process in MiB."
echo
table --ref "msmtp x$N" "mailferry -q ($N queued)" "msmtp x$N" "mailferry x$N" "mailferry -odq x$N"
m=$(python3 "$here/stats.py" "$work" median "mailferry -q ($N queued)")
s=$(python3 "$here/stats.py" "$work" median "msmtp x$N")
note queue "$m" "$s"
echo
echo "The queue run is $(python3 -c "print(f'{$s/$m:.0f}' if $m == $m and $m > 0 else '-')") times as fast as $N msmtp invocations (medians)."
