#!/bin/sh
# tests/bench/intake.sh MAILFERRY [SIZE_MB]: benchmark 3 (issue 8). A large
# message (base64 attachment; SIZE_MB MiB, default BENCH_MB or 100) through
# intake, header repair and the wire transformation, mailferry and msmtp
# alternating (BENCH_RUNS_LARGE runs, default 3):
#   plain  into Postfix's smtp-sink on loopback, and into sink.py (which
#          reads faster than smtp-sink's ~150 MB/s);
#   TLS    into sink.py with implicit TLS (smtp-sink has none; the test
#          Postfix refuses messages over 50 MB and queues what it accepts),
#          both clients limited to AES-128-GCM (tls_priorities).
# wire.py, a client that only sends a prepared wire file (sendfile(2), or
# Python's ssl), shows what each sink can take. Throughput is reported as
# a fraction of the machine's own limits, measured in the same run
# (limits.py: loopback TCP, GnuTLS AES-128-GCM). The same runs at
# BENCH_MB_SMALL MiB (default 10; 0 skips) show whether the peak RSS
# stays flat as the size grows. Prints Markdown. Never asserts a time.
set -u
MAILFERRY=${1:?usage: intake.sh MAILFERRY [SIZE_MB]}
SIZE_MB=${2:-${BENCH_MB:-100}}
SMALL_MB=${BENCH_MB_SMALL:-10}
RUNS=${BENCH_RUNS_LARGE:-3}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

work=$(bench_tmpdir)
BENCH_DIR=$work
trap 'bench_cleanup' EXIT
trap 'exit 130' INT TERM

# make_message MB: $work/big.eml and its wire form $work/big.wire (CRLF,
# dot-stuffed, CRLF . CRLF at the end) for wire.py.
make_message() {
	python3 - "$work/big.eml" "$work/big.wire" "$1" <<'PY'
import base64, os, sys
path, wire, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
block = b"".join(base64.b64encode(os.urandom(57)) + b"\n" for _ in range(16384))
head = (b"From: bench@example.org\nTo: sink@example.org\n"
        b"Subject: large message\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n"
        b"Content-Type: text/plain\n\nsee the attachment\n--b\n"
        b"Content-Type: application/octet-stream\n"
        b"Content-Transfer-Encoding: base64\n\n")
tail = b"\n--b--\n"
with open(path, "wb") as f, open(wire, "wb") as w:
    f.write(head)
    w.write(head.replace(b"\n", b"\r\n"))
    left = mb * 1024 * 1024
    while left > 0:
        chunk = block[:left]
        f.write(chunk)
        w.write(chunk.replace(b"\n", b"\r\n"))
        left -= len(chunk)
    f.write(tail)
    w.write(tail.replace(b"\n", b"\r\n") + b".\r\n")
PY
}

start_sink "$work"
"$here/../servers/smarthost" certs "$work/ca" >/dev/null 2>&1 ||
	{ echo "bench: cannot make test certificates (certtool)" >&2; exit 1; }
start_pysink "$work" PYSINK
start_pysink "$work" TLSSINK "$work/ca/server.pem" "$work/ca/server-key.pem"
write_rc "$work/rc" "$SINK_PORT"
write_rc "$work/rc.py" "$PYSINK_PORT"
write_rc "$work/rc.tls" "$TLSSINK_PORT" "tls on" "tls_starttls off" \
	"tls_trust_file $work/ca/ca.pem" "tls_priorities NORMAL:-CIPHER-ALL:+AES-128-GCM"

limits=$(python3 "$here/limits.py")
tcp=$(echo "$limits" | sed -n 's/^tcp=//p')
aes=$(echo "$limits" | sed -n 's/^aes=//p')

sizes=$SIZE_MB
[ "${SMALL_MB:-0}" -gt 0 ] && [ "$SMALL_MB" -lt "$SIZE_MB" ] && sizes="$SMALL_MB $SIZE_MB"

echo "### 3. Large message (base64 attachment): ${SIZE_MB} MiB, plain and TLS"
echo
echo "Machine limits measured in this run: loopback TCP ${tcp:-?} MB/s (limits.py,"
echo "python3 sockets, best of 3), GnuTLS AES-128-GCM ${aes:-?} MB/s"
echo "(\`gnutls-cli --benchmark-ciphers\`, one core). MB = 10^6 bytes; sizes in MiB."
echo "plain: into smtp-sink, and into sink.py (Python, discarding, reads in large"
echo "blocks); TLS: implicit TLS into sink.py (OpenSSL), both clients limited to"
echo "AES-128-GCM. \`wire.py\` shows the ceiling of each sink: a client that only sends"
echo "the prepared wire bytes (sendfile(2), or Python's ssl). $RUNS runs each,"
echo "alternating; seconds; peak RSS in MiB."
for mb in $sizes; do
	make_message "$mb"
	bytes=$(wc -c <"$work/big.eml")
	for i in $(seq "$RUNS"); do
		for s in smtp-sink sink.py tls; do
			case $s in
			smtp-sink) cfg=$work/rc port=$SINK_PORT ca= ;;
			sink.py) cfg=$work/rc.py port=$PYSINK_PORT ca= ;;
			tls) cfg=$work/rc.tls port=$TLSSINK_PORT ca=$work/ca/ca.pem ;;
			esac
			measure "mailferry-$mb-$s" "$MAILFERRY" -C "$cfg" -i -f bench@example.org sink@example.org <"$work/big.eml"
			measure "msmtp-$mb-$s" msmtp -C "$cfg" -f bench@example.org sink@example.org <"$work/big.eml"
			measure "wire.py-$mb-$s" python3 "$here/wire.py" 127.0.0.1 "$port" "$work/big.wire" ${ca:+"$ca"}
		done
	done
	rm -f "$work/big.eml" "$work/big.wire"
	[ "$mb" = "$SIZE_MB" ] || continue
	for s in smtp-sink sink.py tls; do
		echo
		case $s in
		smtp-sink) echo "Plain SMTP into smtp-sink, $mb MiB:" ;;
		sink.py) echo "Plain SMTP into sink.py, $mb MiB:" ;;
		tls) echo "TLS (AES-128-GCM) into sink.py, $mb MiB:" ;;
		esac
		echo
		aesopt=
		[ $s = tls ] && aesopt=$aes
		table --ref "msmtp-$mb-$s" --strip "-$mb-$s" --bytes "$bytes" --tcp "$tcp" \
			${aesopt:+--aes "$aesopt"} "mailferry-$mb-$s" "msmtp-$mb-$s" "wire.py-$mb-$s"
		note "large_wall_$s" "$(median "mailferry-$mb-$s")" "$(median "msmtp-$mb-$s")"
	done
done

echo
echo "Peak RSS (MiB, largest of the runs) as the message grows:"
echo
printf '| program |'
for mb in $sizes; do printf ' plain %s MiB | TLS %s MiB |' "$mb" "$mb"; done
echo
printf '|---|'
for mb in $sizes; do printf -- '---|---|'; done
echo
for p in mailferry msmtp; do
	printf '| %s |' "$p"
	for mb in $sizes; do
		plain=$(python3 "$here/stats.py" "$work" rss "$p-$mb-smtp-sink")
		tls=$(python3 "$here/stats.py" "$work" rss "$p-$mb-tls")
		printf ' %s | %s |' "$plain" "$tls"
		# "large_rss PROGRAM MIB PLAIN TLS", for the goals table
		note large_rss "$p" "$mb" "$plain" "$tls"
	done
	echo
done
