#!/usr/bin/env python3
"""tests/corpus/gen.py OUTDIR: write the large corpus inputs at test time.

The committed corpus (tests/corpus/*.eml) holds the small cases byte for
byte; the ones that are megabytes, or whose layout depends on exact
offsets, are generated here so that the repository stays small. Each
NAME.eml may come with NAME.expect (the message that must arrive, in the
format of tests/corpus/cases) or NAME.args (one mailferry argument a line).
Deterministic: the same files on every run.
"""

import os
import sys

# mailferry reads standard input 64 KiB at a time (src/submit.c); the
# chunk-* cases put a CR, an LF or a dot line start right at that seam.
CHUNK = 65536


def head(name):
    return (b"From: Sender <sender@example.org>\n"
            b"To: Rcpt <a@example.org>\n"
            b"Subject: " + name.encode() + b"\n"
            b"Date: Mon, 23 Nov 2026 20:00:00 +0900\n"
            b"Message-ID: <" + name.encode() + b"@corpus.example>\n")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    def w(name, data):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)

    # A 2 MiB header line without a blank to fold at, and one with blanks.
    w("header-2mb.eml", head("header-2mb") +
      b"X-Big: " + b"A" * (2 * 1024 * 1024) + b"\n\nbody\n")
    w("header-2mb-words.eml", head("header-2mb-words") +
      b"X-Big: " + b"word " * (2 * 1024 * 1024 // 5) + b"\n\nbody\n")
    # 5 MB of short header fields: more than the 4 MiB header block.
    w("header-block-5mb.eml", b"".join(
        b"X-H%06d: %s\n" % (i, b"v" * 40) for i in range(100000)) +
      b"\nbody\n")

    # One body line of 64 KiB, then a short one.
    w("body-line-64k.eml", head("body-line-64k") + b"\n" +
      b"B" * 65536 + b"\nshort line\n")

    # 10 MB of body, streamed through.
    line = b"0123456789" * 7 + b"\n"
    w("body-10mb.eml", head("body-10mb") + b"\n" +
      line * (10 * 1024 * 1024 // len(line)))

    # 10 000 recipients on the command line ...
    rcpts = [b"r%05d@example.org" % i for i in range(1, 10001)]
    w("rcpt-10000.args", b"\n".join(rcpts) + b"\n")
    # ... and in a To field (one 190 KB line) with each of them again in
    # a Cc field written differently (domain in upper case).
    w("rcpt-10000-t.eml",
      b"From: Sender <sender@example.org>\n"
      b"To: " + b", ".join(rcpts) + b"\n"
      b"Cc: " + b",\n ".join(r.replace(b"example.org", b"EXAMPLE.ORG")
                             for r in rcpts) + b"\n"
      b"Subject: rcpt-10000-t\n"
      b"Date: Mon, 23 Nov 2026 20:00:00 +0900\n"
      b"Message-ID: <rcpt-10000-t@corpus.example>\n\nbody\n")
    # 100 001 recipients in four To fields (each under the 1 MiB field
    # limit): one more than LIMIT_RECIPIENTS.
    many = [b"r%06d@example.org" % i for i in range(1, 100002)]
    w("rcpt-100001-t.eml", b"From: Sender <sender@example.org>\n" +
      b"".join(b"To: " + b", ".join(many[k:k + 25001]) + b"\n"
               for k in range(0, len(many), 25001)) +
      b"Subject: rcpt-100001-t\n\nbody\n")
    # An address of 2000 octets (over LIMIT_ADDRESS), one of 1000 (under
    # it, but its RCPT command is over the server's 1000-octet line).
    w("address-too-long.args", b"l" * 2000 + b"@example.org\n")
    w("address-1000.args", b"l" * 1000 + b"@example.org\n")
    # A -F name of 3000 octets without a blank.
    w("F-3000.args", b"-F\n" + b"x" * 3000 + b"\nb@example.org\n")

    # Chunk seams. filler(n): body lines making the input exactly n bytes
    # long after the header block.
    def filler(name, n):
        h = head(name) + b"\n"
        left = n - len(h)
        lines = []
        while left > 81:
            lines.append(b"f" * 70 + b"\n")
            left -= 71
        lines.append(b"g" * (left - 1) + b"\n")
        return h, b"".join(lines)

    def chunk_case(name, tail_in, tail_out, dot=False):
        h, body = filler(name, CHUNK - 4)
        data = h + body + tail_in
        assert len(h + body) == CHUNK - 4
        w(name + ".eml", data)
        w(name + ".expect", h + body + tail_out)

    # "abc" CR | LF "next": one line end, not two.
    chunk_case("chunk-crlf", b"abc\r\nnext\n", b"abc\nnext\n")
    # "abc" CR | "xyz": a bare CR is a line end on both sides of the seam.
    chunk_case("chunk-cr", b"abc\rxyz\n", b"abc\nxyz\n")
    # LF | "..dot": without -i a leading ".." loses one dot at the seam too.
    chunk_case("chunk-dot", b"abc\n..dot\nlast\n", b"abc\n.dot\nlast\n")
    # LF | "." LF: without -i a lone dot at the seam ends the message.
    chunk_case("chunk-lonedot", b"abc\n.\nnot sent\n", b"abc\n")


if __name__ == "__main__":
    main()
