# tests/bench/lib.sh: shared by the benchmark scripts (sourced).
# Runs go through /usr/bin/time; results are kept per label in a file and
# summarised as min/median/max. Nothing here asserts a time.

bench_tmpdir() {
	d=$(mktemp -d "${TMPDIR:-/tmp}/mf-bench.XXXXXX")
	chmod 755 "$d"
	BENCH_DIR=$d
	echo "$d"
}

bench_cleanup() {
	[ -n "${SINK_PID:-}" ] && kill "$SINK_PID" 2>/dev/null
	[ -n "${BENCH_DIR:-}" ] && rm -rf "$BENCH_DIR"
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_sink DIR: Postfix's smtp-sink, discarding, on a free loopback port.
start_sink() {
	SINK_PORT=$(free_port)
	smtp-sink -c -u nobody 127.0.0.1:"$SINK_PORT" 256 >"$1/sink.log" 2>&1 &
	SINK_PID=$!
	i=0
	until python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $SINK_PORT), 1)" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 50 ] || { echo "bench: smtp-sink did not start" >&2; exit 1; }
		sleep 0.1
	done
}

# write_rc FILE plain: a config (msmtp syntax, read by both programs).
write_rc() {
	cat >"$1" <<RC
defaults
host 127.0.0.1
port $SINK_PORT
from bench@example.org
timeout 120

account default
RC
	chmod 600 "$1"
}

# measure LABEL CMD...: one timed run; stdin is the caller's.
measure() {
	label=$1
	shift
	python3 "$(dirname "$0")/timeit.py" "$BENCH_DIR/time.out" "$@" 2>"$BENCH_DIR/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "bench: $label failed (exit $rc): $(head -3 "$BENCH_DIR/err")" >&2
		echo "FAILED" >>"$BENCH_DIR/$label.runs"
		return
	fi
	tail -1 "$BENCH_DIR/time.out" >>"$BENCH_DIR/$label.runs"
}

table_head() {
	echo "| program | wall min | wall median | wall max | CPU median (user+sys) | peak RSS (MiB) | wall vs msmtp | CPU vs msmtp |"
	echo "|---|---|---|---|---|---|---|---|"
}

# table_rows LABEL...: one row per label; ratios use the medians.
table_rows() {
	python3 - "$BENCH_DIR" "$@" <<'PY'
import statistics, sys
d, labels = sys.argv[1], sys.argv[2:]
res = {}
for l in labels:
    rows = [r.split() for r in open(f"{d}/{l}.runs") if r.strip() and r.strip() != "FAILED"]
    if not rows:
        res[l] = None
        continue
    wall = sorted(float(r[0]) for r in rows)
    rss = max(int(r[1]) for r in rows) / 1024
    cpu = statistics.median(float(r[2]) + float(r[3]) for r in rows)
    res[l] = (wall[0], statistics.median(wall), wall[-1], rss, cpu)
def ratio(a, b, k):
    if res.get(a) is None or res.get(b) is None or res[b][k] == 0:
        return "-"
    return f"{res[a][k] / res[b][k]:.2f}"
for l in labels:
    r = res[l]
    if r is None:
        print(f"| {l} | failed | | | | | | |")
        continue
    print(f"| {l} | {r[0]:.4f} | {r[1]:.4f} | {r[2]:.4f} | {r[4]:.4f} | {r[3]:.1f} | "
          f"{ratio(l, 'msmtp', 1)} | {ratio(l, 'msmtp', 4)} |")
PY
}
