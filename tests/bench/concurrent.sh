#!/bin/sh
# tests/bench/concurrent.sh MAILFERRY: benchmark 5 (issue 8). BENCH_CONC
# (default 20) invocations started at once, mailferry alone and msmtp
# alone, each a small message over plain SMTP into smtp-sink; every copy
# must succeed, and each one's wall time is set against a lone run (the
# median of BENCH_CONC_LONE lone runs per round, default 3) of the same
# program. BENCH_CONC_ROUNDS rounds (default 5), alternating. conc.py
# starts the copies and times each. Prints Markdown. Never asserts a time.
set -u
MAILFERRY=${1:?usage: concurrent.sh MAILFERRY}
N=${BENCH_CONC:-20}
ROUNDS=${BENCH_CONC_ROUNDS:-5}
LONE=${BENCH_CONC_LONE:-3}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

work=$(bench_tmpdir)
BENCH_DIR=$work
trap 'bench_cleanup' EXIT
trap 'exit 130' INT TERM
start_sink "$work"
write_rc "$work/rc" "$SINK_PORT"
printf 'From: cron@example.org\nTo: root@example.org\nSubject: cron report\n\nAll jobs finished.\n' >"$work/small.eml"

run() { # NAME COUNT KIND
	case $1 in
	mailferry) set -- "$@" "$MAILFERRY" -C "$work/rc" -i ;;
	msmtp) set -- "$@" msmtp -C "$work/rc" ;;
	esac
	name=$1 count=$2 kind=$3
	shift 3
	python3 "$here/conc.py" "$count" "$work/small.eml" "$work/$name.$kind" \
		"$@" -f cron@example.org root@example.org
}

for _ in $(seq "$ROUNDS"); do
	for p in mailferry msmtp; do
		for i in $(seq "$LONE"); do
			run "$p" 1 lone
		done
		run "$p" "$N" conc
	done
done

echo "### 5. $N concurrent invocations"
echo
echo "$N copies of one program started at once (a small message each, plain SMTP"
echo "into smtp-sink), $ROUNDS rounds, against $((ROUNDS * LONE)) lone runs of the same"
echo "program; seconds. Every copy must succeed. The CPU floor is the CPU time $N"
echo "copies need at the lone median, spread over this machine's $(nproc) cores: about"
echo "the soonest a batch of $N can end (cache-warm copies may need a little less)."
echo
python3 "$here/stats.py" "$work" conc "$(nproc)" "$N" mailferry msmtp
if [ -n "${BENCH_SUMMARY:-}" ]; then
	python3 "$here/stats.py" "$work" conc-note "$(nproc)" "$N" mailferry >>"$BENCH_SUMMARY"
fi
