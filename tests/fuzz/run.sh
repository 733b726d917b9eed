#!/bin/sh
# tests/fuzz/run.sh BUILDDIR SRCDIR [SECONDS]: run every libFuzzer target
# built in BUILDDIR (configure --enable-fuzzers) for SECONDS each (default
# 20), starting from the seeds in SRCDIR/tests/fuzz/corpus/<name>/, in a
# scratch copy so the committed seeds stay as they are. Prints one
# "fuzz <name>: ok|FAILED" line per target and exits non-zero on a crash.
set -u
build=${1:?usage: run.sh BUILDDIR SRCDIR [SECONDS]}
src=${2:?usage: run.sh BUILDDIR SRCDIR [SECONDS]}
seconds=${3:-20}
status=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in address aliases header config reply rfc2047 longlines queue server; do
	bin="$build/tests/fuzz/fuzz_$target"
	if [ ! -x "$bin" ]; then
		echo "fuzz $target: FAILED (not built: $bin)"
		status=1
		continue
	fi
	mkdir -p "$work/$target"
	[ -d "$src/tests/fuzz/corpus/$target" ] &&
		cp "$src/tests/fuzz/corpus/$target"/* "$work/$target/" 2>/dev/null
	if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/crash-$target-" "$work/$target" \
		>"$work/$target.log" 2>&1; then
		runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$target.log" | grep -o '[0-9]*$')
		[ -n "$runs" ] || runs=$(grep -o '#[0-9]*' "$work/$target.log" | tail -1 | tr -d '#')
		echo "fuzz $target: ok (${runs:-?} runs in ${seconds}s)"
	else
		echo "fuzz $target: FAILED"
		tail -40 "$work/$target.log"
		for a in "$work"/crash-"$target"-*; do
			[ -f "$a" ] && { echo "reproducer:"; od -c "$a" | head -20; }
		done
		status=1
	fi
done
exit $status
