#!/usr/bin/env python3
"""limits.py [MB]: the machine's own limits for the large-message runs,
measured now, on the same (possibly busy) machine:

  tcp=N   loopback TCP throughput in MB/s (10^6 bytes): one process sends
          MB megabytes (default 200) with sendall() to another reading
          with recv_into(); best of three.
  aes=N   GnuTLS AES-128-GCM throughput in MB/s, the first result of
          `gnutls-cli --benchmark-ciphers` (which is stopped right after
          it: the whole list takes minutes). Absent without gnutls-cli.

Prints one key=value per line."""
import os
import shutil
import socket
import subprocess
import sys
import time


def tcp_once(total):
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    port = ls.getsockname()[1]
    pid = os.fork()
    if pid == 0:
        try:
            ls.close()
            c = socket.create_connection(("127.0.0.1", port))
            block = b"x" * (1 << 20)
            left = total
            while left > 0:
                n = min(left, len(block))
                c.sendall(block[:n] if n < len(block) else block)
                left -= n
            c.close()
        finally:
            os._exit(0)
    conn, _ = ls.accept()
    buf = bytearray(1 << 20)
    got = 0
    t0 = time.perf_counter()
    while True:
        n = conn.recv_into(buf)
        if n == 0:
            break
        got += n
    dt = time.perf_counter() - t0
    conn.close()
    ls.close()
    os.waitpid(pid, 0)
    return got / dt / 1e6


def aes():
    exe = shutil.which("gnutls-cli")
    if exe is None:
        return None
    argv = [exe, "--benchmark-ciphers"]
    if shutil.which("stdbuf"):
        argv = ["stdbuf", "-oL"] + argv
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    val = None
    try:
        deadline = time.monotonic() + 60
        for line in p.stdout:
            if "AES-128-GCM" in line:
                f = line.split()
                units = {"GB/sec": 1e3, "MB/sec": 1.0, "KB/sec": 1e-3}
                val = float(f[1]) * units.get(f[2], float("nan"))
                break
            if time.monotonic() > deadline:
                break
    finally:
        p.kill()
        p.wait()
    return val


def main():
    mb = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    print(f"tcp={max(tcp_once(mb * 1000000) for _ in range(3)):.0f}")
    a = aes()
    if a is not None:
        print(f"aes={a:.0f}")


if __name__ == "__main__":
    main()
