#!/bin/sh
# tests/bench/intake.sh MAILFERRY [SIZE_MB]: a large message (base64
# attachment, default 1024 MiB) through intake, header repair and the wire
# transformation into Postfix's smtp-sink on loopback, side by side with
# msmtp (Debian's package) and with `cat FILE >/dev/null`, alternating
# runs. Prints a Markdown table: wall time (min/median/max), peak RSS, and
# ratios to msmtp and to cat. Never asserts a time.
set -u
MAILFERRY=${1:?usage: intake.sh MAILFERRY [SIZE_MB]}
SIZE_MB=${2:-1024}
RUNS=${BENCH_RUNS:-3}
PATH="$PATH:/usr/sbin:/sbin"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

work=$(bench_tmpdir)
BENCH_DIR=$work
trap 'bench_cleanup' EXIT

msg="$work/big.eml"
python3 - "$msg" "$SIZE_MB" <<'PY'
import base64, os, sys
path, mb = sys.argv[1], int(sys.argv[2])
block = b"".join(base64.b64encode(os.urandom(57)) + b"\n" for _ in range(16384))
with open(path, "wb") as f:
    f.write(b"From: bench@example.org\nTo: sink@example.org\n"
            b"Subject: large message\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n"
            b"Content-Type: text/plain\n\nsee the attachment\n--b\n"
            b"Content-Type: application/octet-stream\n"
            b"Content-Transfer-Encoding: base64\n\n")
    left = mb * 1024 * 1024
    while left > 0:
        f.write(block[:left])
        left -= len(block)
    f.write(b"\n--b--\n")
PY

start_sink "$work"
write_rc "$work/rc" plain

echo "### ${SIZE_MB} MiB message (base64 attachment) into smtp-sink on loopback"
echo
echo "$RUNS runs each, alternating; seconds; peak RSS in MiB."
echo
table_head
for i in $(seq "$RUNS"); do
	measure mailferry "$MAILFERRY" -C "$work/rc" -i -f bench@example.org sink@example.org <"$msg"
	measure msmtp msmtp -C "$work/rc" -f bench@example.org sink@example.org <"$msg"
	measure cat cat "$msg"
	measure cat-pipe sh -c 'cat "$1" | cat' sh "$msg"
done
table_rows mailferry msmtp cat cat-pipe
echo
echo "cat writes to /dev/null (the kernel may skip the copy); cat-pipe pushes the"
echo "bytes through a pipe, as a program writing to sendmail does. smtp-sink"
echo "runs on the other core and bounds the wall time of both SMTP clients."
