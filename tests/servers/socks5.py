#!/usr/bin/env python3
"""socks5.py - a small SOCKS5 proxy (RFC 1928) for mailferry tests.

Python 3 standard library only.  Runs in the foreground (the caller puts it
in the background), one thread per client, exits on SIGTERM/SIGINT or after
--lifetime seconds.

Usage
-----
  socks5.py --listen 127.0.0.1 --port 0 --port-file FILE --log FILE
            [--lifetime SECONDS] [--idle-timeout SECONDS]
            [--reply CODE] [--auth-only]

Only loopback listen addresses are accepted, and the proxy only connects to
loopback destinations (a name is resolved here, as a real proxy would; a
destination that is not loopback gets reply 2, "connection not allowed by
ruleset").  --port 0 picks a free port, written to --port-file (temp file +
rename) once listening.

Supported: method 0 (no authentication) and the CONNECT command with ATYP 1
(IPv4), 3 (domain name) and 4 (IPv6).  --auth-only offers only method 2
(username/password), so a client offering "no authentication" gets 0xFF.
--reply CODE answers every CONNECT with that reply code (1-8) instead of
connecting.

--log FILE gets one line per event, written before the reply is sent:
  methods 00 01 ...            the methods the client offered (hex)
  connect domain NAME PORT     a CONNECT by name (ATYP 3)
  connect ipv4 ADDR PORT       by IPv4 address (ATYP 1)
  connect ipv6 ADDR PORT       by IPv6 address (ATYP 4)
  reply N                      the reply code sent
  closed IN OUT                relayed byte counts when the session ended
"""

import argparse
import ipaddress
import os
import select
import signal
import socket
import struct
import sys
import threading
import time


class Proxy:
    def __init__(self, args):
        self.args = args
        self.stop = threading.Event()
        self.log_lock = threading.Lock()

    def log(self, text):
        with self.log_lock:
            with open(self.args.log, "a") as f:
                f.write(text + "\n")

    # -- one client ----------------------------------------------------------
    def recv_exact(self, sock, n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("client closed")
            data += chunk
        return data

    def reply(self, sock, code):
        self.log("reply %d" % code)
        # BND.ADDR 0.0.0.0, BND.PORT 0
        sock.sendall(bytes([5, code, 0, 1, 0, 0, 0, 0, 0, 0]))

    def destinations(self, host, port):
        """The loopback addresses of host (a name is resolved here)."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror:
            return []
        return [(fam, addr) for fam, _, _, _, addr in infos
                if ipaddress.ip_address(addr[0]).is_loopback]

    def connect(self, dests):
        """Connect to the first address that answers: (socket, None) or
        (None, reply code)."""
        code = 4
        for fam, addr in dests:
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.settimeout(5)
            try:
                s.connect(addr)
                return s, None
            except ConnectionRefusedError:
                code = 5
            except OSError:
                pass
            s.close()
        return None, code

    def session(self, client):
        a = self.args
        client.settimeout(a.idle_timeout)
        up = None
        sent = received = 0
        try:
            ver, n = self.recv_exact(client, 2)
            if ver != 5:
                self.log("bad version %d" % ver)
                return
            methods = self.recv_exact(client, n)
            self.log("methods " + " ".join("%02x" % m for m in methods))
            want = 2 if a.auth_only else 0
            if want not in methods:
                client.sendall(bytes([5, 0xFF]))
                return
            client.sendall(bytes([5, want]))
            if a.auth_only:
                return  # username/password is not implemented further
            ver, cmd, _, atyp = self.recv_exact(client, 4)
            if atyp == 1:
                host = socket.inet_ntop(socket.AF_INET,
                                        self.recv_exact(client, 4))
                kind = "ipv4"
            elif atyp == 4:
                host = socket.inet_ntop(socket.AF_INET6,
                                        self.recv_exact(client, 16))
                kind = "ipv6"
            elif atyp == 3:
                (n,) = self.recv_exact(client, 1)
                host = self.recv_exact(client, n).decode("ascii", "replace")
                kind = "domain"
            else:
                self.log("bad address type %d" % atyp)
                self.reply(client, 8)
                return
            (port,) = struct.unpack("!H", self.recv_exact(client, 2))
            self.log("connect %s %s %d" % (kind, host, port))
            if cmd != 1:
                self.reply(client, 7)
                return
            if a.reply:
                self.reply(client, a.reply)
                return
            dests = self.destinations(host, port)
            if not dests:
                self.reply(client, 2)
                return
            up, code = self.connect(dests)
            if up is None:
                self.reply(client, code)
                return
            self.reply(client, 0)
            sent, received = self.relay(client, up)
            self.log("closed %d %d" % (sent, received))
        except (OSError, ConnectionError, ValueError):
            pass
        finally:
            for s in (client, up):
                if s is not None:
                    try:
                        s.close()
                    except OSError:
                        pass

    def relay(self, client, up):
        """Copy both ways until one side closes or is idle too long."""
        counts = {client: 0, up: 0}
        peer = {client: up, up: client}
        open_ = {client, up}
        idle = self.args.idle_timeout
        while open_ and not self.stop.is_set():
            r, _, _ = select.select(list(open_), [], [], min(idle, 0.5))
            if not r:
                idle -= 0.5
                if idle <= 0:
                    break
                continue
            idle = self.args.idle_timeout
            for s in r:
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    open_.discard(s)
                    try:
                        peer[s].shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    continue
                counts[s] += len(data)
                try:
                    peer[s].sendall(data)
                except OSError:
                    return counts[client], counts[up]
        return counts[client], counts[up]

    # -- main loop -------------------------------------------------------
    def serve(self):
        a = self.args
        try:
            addr = ipaddress.ip_address(a.listen)
        except ValueError:
            sys.exit("socks5.py: --listen needs a numeric loopback address")
        if not addr.is_loopback:
            sys.exit("socks5.py: refusing to listen on non-loopback %s"
                     % a.listen)
        fam = socket.AF_INET6 if addr.version == 6 else socket.AF_INET
        lsock = socket.socket(fam, socket.SOCK_STREAM)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind((a.listen, a.port))
        lsock.listen(16)
        lsock.settimeout(0.2)
        if a.port_file:
            tmp = "%s.tmp.%d" % (a.port_file, os.getpid())
            with open(tmp, "w") as f:
                f.write("%d\n" % lsock.getsockname()[1])
            os.replace(tmp, a.port_file)
        deadline = time.monotonic() + a.lifetime if a.lifetime > 0 else None
        threads = []
        while not self.stop.is_set():
            if deadline and time.monotonic() > deadline:
                break
            try:
                conn, _ = lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                if self.stop.is_set():
                    break
                raise
            t = threading.Thread(target=self.session, args=(conn,),
                                 daemon=True)
            threads.append(t)
            t.start()
            threads = [t for t in threads if t.is_alive()]
        lsock.close()
        self.stop.set()
        for t in threads:
            t.join(2)


def main():
    p = argparse.ArgumentParser(description="SOCKS5 test proxy")
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--log", required=True)
    p.add_argument("--lifetime", type=float, default=0)
    p.add_argument("--idle-timeout", type=float, default=30)
    p.add_argument("--reply", type=int, default=0, choices=range(0, 9))
    p.add_argument("--auth-only", action="store_true")
    a = p.parse_args()
    proxy = Proxy(a)

    def on_signal(signum, frame):
        proxy.stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    proxy.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
