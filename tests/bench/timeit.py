#!/usr/bin/env python3
"""timeit.py OUT CMD...: run CMD (stdin inherited, stdout to /dev/null)
and write "wall_s maxrss_kib user_s sys_s" to OUT. Wall time comes from a
monotonic clock in nanoseconds, CPU time from wait4()'s rusage, and the
peak RSS from GNU time running CMD (the rusage of a child started from
Python would count Python's own pages before exec). The child is started
with posix_spawn(3) (vfork-like: no copy of Python's page tables), which
keeps the harness's own cost, included in every run, near 2 ms."""
import os
import sys
import time

out, cmd = sys.argv[1], sys.argv[2:]
rss_file = out + ".rss"
argv = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd
actions = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
t0 = time.perf_counter_ns()
pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
_, status, ru = os.wait4(pid, 0)
wall = (time.perf_counter_ns() - t0) / 1e9
with open(rss_file) as f:
    rss = f.read().split()[-1]
with open(out, "w") as f:
    f.write(f"{wall:.6f} {rss} {ru.ru_utime:.6f} {ru.ru_stime:.6f}\n")
sys.exit(os.waitstatus_to_exitcode(status))
