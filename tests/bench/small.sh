#!/bin/sh
# tests/bench/small.sh MAILFERRY: one small message per process, plain SMTP
# into Postfix's smtp-sink on loopback, mailferry and msmtp alternating;
# then the instructions each executes for one message (callgrind, which
# counts the same whatever else the machine does). Never asserts a time.
set -u
MAILFERRY=${1:?usage: small.sh MAILFERRY}
RUNS=${BENCH_RUNS_SMALL:-30}
PATH="$PATH:/usr/sbin:/sbin"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

work=$(bench_tmpdir)
BENCH_DIR=$work
trap 'bench_cleanup' EXIT
start_sink "$work"
write_rc "$work/rc" plain
printf 'From: cron@example.org\nTo: root@example.org\nSubject: cron report\n\nAll jobs finished.\n' >"$work/small.eml"

echo "### One small message per process, plain SMTP into smtp-sink"
echo
echo "$RUNS runs each, alternating; seconds; peak RSS in MiB."
echo
table_head
for i in $(seq "$RUNS"); do
	measure mailferry "$MAILFERRY" -C "$work/rc" -i -f cron@example.org root@example.org <"$work/small.eml"
	measure msmtp msmtp -C "$work/rc" -f cron@example.org root@example.org <"$work/small.eml"
	measure baseline true
done
table_rows mailferry msmtp baseline
echo
echo "baseline is \`true\` under the same harness (fork, GNU time for the peak"
echo "RSS, exec): a fixed cost included in every row."

if command -v valgrind >/dev/null 2>&1; then
	echo
	echo "| program | instructions for one message (callgrind) | vs msmtp |"
	echo "|---|---|---|"
	for p in mailferry msmtp; do
		if [ $p = mailferry ]; then cmd=$MAILFERRY; else cmd=msmtp; fi
		valgrind --tool=callgrind --callgrind-out-file="$work/cg.$p" \
			"$cmd" -C "$work/rc" -f cron@example.org root@example.org \
			<"$work/small.eml" >/dev/null 2>"$work/cg.$p.log"
		sed -n 's/.*Collected : *\([0-9]*\).*/\1/p; s/.*refs: *\([0-9,]*\).*/\1/p' "$work/cg.$p.log" | tr -d , | head -1 >"$work/ir.$p"
	done
	m=$(cat "$work/ir.mailferry"); s=$(cat "$work/ir.msmtp")
	echo "| mailferry | $m | $(python3 -c "print(f'{$m/$s:.2f}')") |"
	echo "| msmtp | $s | 1.00 |"
fi
