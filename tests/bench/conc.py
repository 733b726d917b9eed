#!/usr/bin/env python3
"""conc.py N INPUT OUT CMD...: start N copies of CMD at once, each with
INPUT as stdin and stdout/stderr to /dev/null (posix_spawn(3), so that
starting them costs little), and append one line per
copy to OUT: "wall_s exit_status cpu_s" (wall from its own start to the
moment it was reaped, CPU from wait4()). Exits 0 even when copies fail;
the caller counts them. Every copy is waited for (no time limit here:
the programs have their own timeouts)."""
import os
import sys
import time


def main():
    n, inp, out, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
    actions = [(os.POSIX_SPAWN_OPEN, 0, inp, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
               (os.POSIX_SPAWN_DUP2, 1, 2)]
    started = {}
    for _ in range(n):
        t0 = time.perf_counter()
        pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=actions)
        started[pid] = t0
    rows = []
    while started:
        pid, status, ru = os.wait4(-1, 0)
        t = time.perf_counter()
        if pid in started:
            rows.append((t - started.pop(pid), os.waitstatus_to_exitcode(status),
                         ru.ru_utime + ru.ru_stime))
    with open(out, "a") as f:
        for w, rc, cpu in rows:
            f.write(f"{w:.6f} {rc} {cpu:.6f}\n")


if __name__ == "__main__":
    main()
