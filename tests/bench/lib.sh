# tests/bench/lib.sh: shared by the benchmark scripts (sourced; the caller
# sets `here` to tests/bench first). Runs go through timeit.py (and GNU
# time for the peak RSS); results are kept per label in BENCH_DIR/LABEL.runs
# and summarised by stats.py as min/median/max. Nothing here asserts a time.
# Servers run on 127.0.0.1 only and are stopped by bench_cleanup (EXIT trap).

PATH="$PATH:/usr/sbin:/sbin"

bench_tmpdir() {
	d=$(mktemp -d "${TMPDIR:-/tmp}/mf-bench.XXXXXX")
	chmod 755 "$d"
	BENCH_DIR=$d
	echo "$d"
}

bench_cleanup() {
	[ -n "${SINK_PID:-}" ] && kill "$SINK_PID" 2>/dev/null
	for p in ${PYSINK_PIDS:-}; do kill "$p" 2>/dev/null; done
	[ -n "${SMARTHOST_STATE:-}" ] &&
		"$here/../servers/smarthost" stop "$SMARTHOST_STATE" >/dev/null 2>&1
	[ -n "${BENCH_DIR:-}" ] && rm -rf "$BENCH_DIR"
	return 0
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT NAME: until 127.0.0.1:PORT accepts (at most 5 s).
wait_port() {
	i=0
	until python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 1).close()" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 50 ] || { echo "bench: $2 did not start" >&2; exit 1; }
		sleep 0.1
	done
}

# start_sink DIR: Postfix's smtp-sink, discarding, on a free loopback port
# (SINK_PORT, SINK_PID).
start_sink() {
	SINK_PORT=$(free_port)
	smtp-sink -u nobody 127.0.0.1:"$SINK_PORT" 256 >"$1/sink.log" 2>&1 &
	SINK_PID=$!
	wait_port "$SINK_PORT" smtp-sink
}

# start_pysink DIR NAME [CERT KEY]: sink.py, discarding, plain or (with a
# certificate) implicit TLS; sets NAME_PORT and NAME_PID (NAME is a shell
# word: PYSINK, TLSSINK). Stopped by bench_cleanup.
start_pysink() {
	rm -f "$1/$2.port"
	python3 "$here/sink.py" --port-file "$1/$2.port" ${3:+--cert "$3" --key "$4"} \
		--lifetime 1800 >"$1/$2.log" 2>&1 &
	eval "$2_PID=\$!"
	PYSINK_PIDS="${PYSINK_PIDS:-} $!"
	i=0
	until [ -s "$1/$2.port" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "bench: sink.py did not start" >&2; exit 1; }
		sleep 0.05
	done
	eval "$2_PORT=\$(cat \"\$1/\$2.port\")"
}

# start_smarthost DIR: the test Postfix + Dovecot (tests/servers/smarthost)
# in DIR/smarthost, its SMARTHOST_* variables sourced. Its relay is
# switched to Postfix's discard transport, so accepted mail goes nowhere
# instead of into the recording sink (less work on the machine while we
# measure). Needs root, like the integration tests.
start_smarthost() {
	SMARTHOST_STATE=$1/smarthost
	"$here/../servers/smarthost" start "$SMARTHOST_STATE" >"$1/smarthost.log" 2>&1 ||
		{ echo "bench: the test smarthost did not start:" >&2; cat "$1/smarthost.log" >&2; exit 1; }
	. "$SMARTHOST_STATE/env"
	postconf -c "$SMARTHOST_STATE/postfix" -e 'default_transport = discard:bench' &&
		touch -d '-10 seconds' "$SMARTHOST_STATE/postfix/main.cf" &&
		postfix -c "$SMARTHOST_STATE/postfix" reload >>"$1/smarthost.log" 2>&1 ||
		echo "bench: note: the smarthost still relays to its recording sink" >&2
}

# write_rc FILE PORT [LINE...]: a config in msmtp syntax (read by both
# programs): the defaults, the LINEs, then the default account.
write_rc() {
	f=$1
	port=$2
	shift 2
	{
		printf 'defaults\nhost 127.0.0.1\nport %s\nfrom bench@example.org\ntimeout 120\n' "$port"
		for l in "$@"; do
			printf '%s\n' "$l"
		done
		printf '\naccount default\n'
	} >"$f"
	chmod 600 "$f"
}

# note KEY VALUE...: a figure for the goals table run.sh prints at the
# end (BENCH_SUMMARY, one "KEY VALUE..." line each; nothing when unset).
note() {
	[ -n "${BENCH_SUMMARY:-}" ] && echo "$*" >>"$BENCH_SUMMARY"
	return 0
}

# median LABEL: the median wall time of LABEL's runs (nan: none).
median() {
	python3 "$here/stats.py" "$BENCH_DIR" median "$1"
}

# ir_median LABEL: the median instruction count of LABEL (nan: none).
ir_median() {
	python3 "$here/stats.py" "$BENCH_DIR" ir "$1" 2>/dev/null | cut -d' ' -f2 | grep . || echo nan
}

# write_loop FILE: a script "sh FILE N CMD..." that runs CMD N times,
# stdin the file $MSG, and exits 1 when any run failed.
write_loop() {
	cat >"$1" <<'SH'
n=$1
shift
i=0 failed=0
while [ $i -lt "$n" ]; do
	"$@" <"$MSG" >/dev/null 2>&1 || failed=$((failed + 1))
	i=$((i + 1))
done
[ $failed -eq 0 ] || { echo "$failed of $n failed" >&2; exit 1; }
SH
}

# smarthost_tls: the configuration lines for the test smarthost's
# submission port (STARTTLS, its CA, its user); after start_smarthost.
smarthost_tls() {
	printf 'tls on\ntls_starttls on\ntls_trust_file %s\nuser %s\npassword %s' \
		"$SMARTHOST_CA" "$SMARTHOST_USER" "$SMARTHOST_PASSWORD"
}

# measure LABEL CMD...: one timed run; stdin is the caller's.
measure() {
	label=$1
	shift
	python3 "$here/timeit.py" "$BENCH_DIR/time.out" "$@" 2>"$BENCH_DIR/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "bench: $label failed (exit $rc): $(head -3 "$BENCH_DIR/err")" >&2
		echo "FAILED" >>"$BENCH_DIR/$label.runs"
		return
	fi
	tail -1 "$BENCH_DIR/time.out" >>"$BENCH_DIR/$label.runs"
}

# table [--ref LABEL] [--bytes N] [--tcp MBPS] [--aes MBPS] LABEL...:
# the Markdown table of the labels' runs (stats.py).
table() {
	python3 "$here/stats.py" "$BENCH_DIR" table "$@"
}

# count_ir LABEL CMD...: one run under callgrind; appends the number of
# instructions executed to BENCH_DIR/LABEL.ir and keeps the profile as
# BENCH_DIR/cg.LABEL (the last run's). stdin is the caller's.
count_ir() {
	label=$1
	shift
	if ! valgrind --tool=callgrind --callgrind-out-file="$BENCH_DIR/cg.$label" \
		"$@" >/dev/null 2>"$BENCH_DIR/cg.$label.log"; then
		echo "bench: $label failed under callgrind: $(tail -3 "$BENCH_DIR/cg.$label.log")" >&2
		return
	fi
	sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' "$BENCH_DIR/cg.$label.log" | head -1 >>"$BENCH_DIR/$label.ir"
}

# ir_table LABEL...: min/median/max instructions and the ratio of the
# medians to msmtp's (label msmtp).
ir_table() {
	echo "| program | instructions min | median | max | median vs msmtp |"
	echo "|---|---|---|---|---|"
	ref=$(python3 "$here/stats.py" "$BENCH_DIR" ir msmtp 2>/dev/null | cut -d' ' -f2)
	for l in "$@"; do
		# shellcheck disable=SC2046 # three numbers, split on purpose
		set -- $(python3 "$here/stats.py" "$BENCH_DIR" ir "$l" 2>/dev/null)
		if [ $# -ne 3 ]; then
			echo "| $l | failed | | | |"
			continue
		fi
		echo "| $l | $1 | $2 | $3 | $(python3 -c "print(f'{$2/${ref:-0}:.2f}' if ${ref:-0} else '-')") |"
	done
}

# top_functions LABEL [N]: the N (default 12) functions with the most
# instructions of their own in BENCH_DIR/cg.LABEL, as a Markdown table
# with the shared object each belongs to.
top_functions() {
	callgrind_annotate --inclusive=no "$BENCH_DIR/cg.$1" 2>/dev/null | python3 -c '
import re, sys
n = int(sys.argv[1]); rows = []; total = None
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+) \(\s*([\d.]+)%\)\s+(\S.*)$", line)
    if not m:
        continue
    what = m.group(3)
    if "PROGRAM TOTALS" in what:
        total = m.group(1)
        continue
    fn, _, obj = what.partition(" [")
    fn = fn.split(":", 1)[1] if ":" in fn and not fn.startswith("0x") else fn
    obj = obj.rstrip("]").rsplit("/", 1)[-1]
    rows.append((m.group(1), m.group(2), fn, obj))
print("| instructions (own) | % | function | object |")
print("|---|---|---|---|")
for r in rows[:n]:
    print(f"| {r[0]} | {r[1]} | `{r[2]}` | {r[3]} |")
' "${2:-12}"
}
