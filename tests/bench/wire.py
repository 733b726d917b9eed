#!/usr/bin/env python3
"""wire.py HOST PORT WIREFILE [CAFILE]: the fastest SMTP client this
benchmark can think of, as a ceiling for the large-message runs. It sends
EHLO, MAIL, RCPT and DATA, then WIREFILE, which already holds the data
exactly as it goes on the wire (CRLF, dot-stuffed, ending in CRLF . CRLF):
with sendfile(2) on a plain connection, or through Python's ssl module
(OpenSSL) with implicit TLS when CAFILE is given. Exit 0 when the server
answered 250 to the data."""
import socket
import ssl
import sys


def reply(f):
    """Read one (multi-line) reply; return its code."""
    while True:
        line = f.readline()
        if not line:
            raise OSError("connection closed")
        if line[3:4] != b"-":
            return int(line[:3])


def main():
    host, port, wire = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    s = socket.create_connection((host, port), 60)
    if len(sys.argv) > 4:
        ctx = ssl.create_default_context(cafile=sys.argv[4])
        s = ctx.wrap_socket(s, server_hostname="localhost")
    f = s.makefile("rb")
    ok = reply(f) == 220
    for cmd in (b"EHLO wire.localhost", b"MAIL FROM:<bench@example.org>",
                b"RCPT TO:<sink@example.org>", b"DATA"):
        s.sendall(cmd + b"\r\n")
        ok = ok and reply(f) in (250, 354)
    with open(wire, "rb") as w:
        s.sendfile(w)
    ok = ok and reply(f) == 250
    s.sendall(b"QUIT\r\n")
    reply(f)
    s.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
