#!/usr/bin/env python3
"""sink.py --port-file FILE [--cert CERT --key KEY] [--lifetime S]:
a discarding SMTP server for the benchmarks. Postfix's smtp-sink has no
TLS and reads the data line by line (about 150 MB/s here), which bounds
the large-message runs before either client does; this one reads in large
blocks and looks only for the CRLF . CRLF that ends the data.

With --cert it speaks implicit TLS (SMTPS) through Python's ssl module
(OpenSSL) over memory BIOs: the socket is read in 64 KiB blocks and the
records are decrypted from memory, so a client that sends many small
records costs the sink no system call per record. Without --cert, plain
SMTP. It accepts everything (EHLO with PIPELINING and 8BITMIME, MAIL,
RCPT, DATA, RSET, NOOP, QUIT) and keeps nothing. One thread per
connection; loopback only; exits after --lifetime seconds (default 1800)
or on SIGTERM. The port file is written (temp + rename) once listening."""
import argparse
import os
import signal
import socket
import ssl
import sys
import threading

EHLO = (b"250-bench.localhost\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
        b"250 ENHANCEDSTATUSCODES\r\n")
END = b"\r\n.\r\n"
BLOCK = 1 << 16  # larger blocks cost more (mmap per recv)


class Plain:
    def __init__(self, sock):
        self.sock = sock

    def recv(self):
        return self.sock.recv(BLOCK)

    def send(self, data):
        self.sock.sendall(data)


class TLS:
    """Server side of a TLS session over memory BIOs."""

    def __init__(self, sock, ctx):
        self.sock = sock
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_side=True)
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                if not self.fill():
                    raise OSError("EOF in handshake")
        self.flush()

    def fill(self):
        data = self.sock.recv(BLOCK)
        if not data:
            return False
        self.inc.write(data)
        return True

    def flush(self):
        data = self.out.read()
        if data:
            self.sock.sendall(data)

    def recv(self):
        """What the records buffered so far hold (reading the socket when
        none is complete); b"" at the end. One read() returns one record
        at most, so small records are gathered into one block here."""
        parts, got = [], 0
        while got < BLOCK:
            try:
                data = self.obj.read(16384)
            except ssl.SSLWantReadError:
                if parts:
                    break
                self.flush()
                if not self.fill():
                    return b""
                continue
            except ssl.SSLZeroReturnError:
                break
            if not data:
                break
            parts.append(data)
            got += len(data)
        self.flush()  # TLS 1.3 may answer (key update)
        return b"".join(parts)

    def send(self, data):
        self.obj.write(data)
        self.flush()


def serve(sock, ctx):
    """One SMTP session; any error simply ends it."""
    try:
        sock.settimeout(300)
        conn = TLS(sock, ctx) if ctx is not None else Plain(sock)
        conn.send(b"220 bench.localhost ESMTP sink.py\r\n")
        buf = b""
        while True:
            nl = buf.find(b"\n")
            if nl < 0:
                if len(buf) > 4096:
                    return
                more = conn.recv()
                if not more:
                    return
                buf += more
                continue
            line, buf = buf[:nl + 1], buf[nl + 1:]
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                conn.send(EHLO if verb == b"EHLO" else b"250 bench.localhost\r\n")
            elif verb == b"DATA":
                conn.send(b"354 go ahead\r\n")
                buf = read_data(conn, buf)
                if buf is None:
                    return
                conn.send(b"250 2.0.0 discarded\r\n")
            elif verb == b"QUIT":
                conn.send(b"221 2.0.0 bye\r\n")
                return
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                conn.send(b"250 2.0.0 ok\r\n")
            else:
                conn.send(b"502 5.5.1 not here\r\n")
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass


def read_data(conn, pending):
    """Discard the data up to CRLF . CRLF; return the bytes after it
    (pipelined commands), or None at EOF. The data starts after a CRLF
    (the DATA line), so an empty message is just ". CRLF"."""
    window = b"\r\n" + pending
    while True:
        i = window.find(END)
        if i >= 0:
            return window[i + len(END):]
        more = conn.recv()
        if not more:
            return None
        window = window[-4:] + more


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--lifetime", type=float, default=1800)
    a = ap.parse_args()
    ctx = None
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{ls.getsockname()[1]}\n")
    os.rename(tmp, a.port_file)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGALRM, lambda *_: os._exit(0))
    signal.alarm(int(a.lifetime))
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=serve, args=(conn, ctx), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
