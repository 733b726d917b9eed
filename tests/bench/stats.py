#!/usr/bin/env python3
"""stats.py: summaries for the benchmark scripts (tests/bench/). Reads the
DIR/LABEL.runs files that lib.sh's `measure` appends to (one line per run:
"wall_s maxrss_kib user_s sys_s", or FAILED) and prints Markdown.

  stats.py DIR table [--ref LABEL] [--strip SUFFIX] [--bytes N] [--tcp MBPS]
                     [--aes MBPS] LABEL...
      header and one row per label: wall min/median/max, CPU median, peak
      RSS (the largest of the runs), failed runs, and the ratios of the
      medians to --ref (default msmtp). With --bytes, the throughput of the
      median run in MB/s (10^6 bytes) and, with --tcp/--aes, that as a
      percentage of the loopback TCP and AES-128-GCM limits. --strip
      removes SUFFIX from the names shown.
  stats.py DIR ir LABEL...
      "min median max" of the instruction counts in DIR/LABEL.ir.
  stats.py DIR median LABEL
      the median wall time of LABEL, in seconds.
  stats.py DIR rss LABEL
      the peak RSS of LABEL's runs (the largest), in MiB.
  stats.py DIR conc-note NCPU BATCH NAME
      the same figures for NAME as one line for the goals table:
      "conc LONE_MEDIAN MAX FLOOR SUCCEEDED TOTAL NCPU BATCH".
  stats.py SUMMARY goals
      the goals of issue 8 against the figures the benchmarks noted in
      the file SUMMARY (lib.sh's note): one row per goal, the measured
      value, and whether it is met; a goal whose benchmark did not run
      says so.
  stats.py DIR conc NCPU BATCH NAME...
      for the concurrency runs of conc.py (DIR/NAME.lone: runs alone,
      DIR/NAME.conc: runs started together; "wall exit cpu" per line):
      the lone median, the concurrent min/median/max, max and median over
      the lone median, the copies that succeeded, and the CPU floor (the
      CPU that BATCH copies need at the lone median, spread over NCPU
      cores: no batch can end sooner).
Nothing here judges a number: there are no thresholds."""
import statistics
import sys


def load(d, label):
    ok, failed = [], 0
    try:
        with open(f"{d}/{label}.runs") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                if line == "FAILED":
                    failed += 1
                    continue
                w, rss, u, s = line.split()[:4]
                ok.append((float(w), int(rss), float(u) + float(s)))
    except FileNotFoundError:
        pass
    return ok, failed


def summary(d, label):
    ok, failed = load(d, label)
    if not ok:
        return None, failed
    wall = sorted(r[0] for r in ok)
    return {
        "min": wall[0], "med": statistics.median(wall), "max": wall[-1],
        "cpu": statistics.median(r[2] for r in ok),
        "rss": max(r[1] for r in ok) / 1024, "n": len(ok),
    }, failed


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


def show(label, strip):
    return label[:-len(strip)] if strip and label.endswith(strip) else label


def table(d, args):
    ref, strip, nbytes, tcp, aes, labels = "msmtp", "", None, None, None, []
    it = iter(args)
    for a in it:
        if a == "--ref":
            ref = next(it)
        elif a == "--strip":
            strip = next(it)
        elif a == "--bytes":
            nbytes = int(next(it))
        elif a == "--tcp":
            tcp = float(next(it))
        elif a == "--aes":
            aes = float(next(it))
        else:
            labels.append(a)
    head = ["program", "wall min", "wall median", "wall max",
            "CPU median (user+sys)", "peak RSS (MiB)", "failed runs",
            f"wall vs {show(ref, strip)}", f"CPU vs {show(ref, strip)}"]
    if nbytes:
        head.append("MB/s (median)")
        if tcp:
            head.append("% of loopback TCP")
        if aes:
            head.append("% of AES-128-GCM")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    r0, _ = summary(d, ref)
    for label in labels:
        r, failed = summary(d, label)
        if r is None:
            print(f"| {show(label, strip)} | all failed |" + " |" * (len(head) - 2))
            continue
        row = [show(label, strip), f"{r['min']:.4f}", f"{r['med']:.4f}", f"{r['max']:.4f}",
               f"{r['cpu']:.4f}", f"{r['rss']:.1f}", str(failed),
               ratio(r["med"], r0 and r0["med"]), ratio(r["cpu"], r0 and r0["cpu"])]
        if nbytes:
            mbps = nbytes / r["med"] / 1e6
            row.append(f"{mbps:.0f}")
            if tcp:
                row.append(f"{100 * mbps / tcp:.1f}")
            if aes:
                row.append(f"{100 * mbps / aes:.1f}")
        print("| " + " | ".join(row) + " |")


def ir(d, labels):
    for label in labels:
        with open(f"{d}/{label}.ir") as f:
            v = sorted(int(x) for x in f.read().split())
        print(v[0], int(statistics.median(v)), v[-1])


def conc_figures(d, name, ncpu, batch):
    rows = {}
    for kind in ("lone", "conc"):
        try:
            with open(f"{d}/{name}.{kind}") as f:
                rows[kind] = [tuple(float(x) for x in line.split()) for line in f if line.strip()]
        except FileNotFoundError:
            rows[kind] = []
    lone = [r[0] for r in rows["lone"] if r[1] == 0]
    ok = sorted(r[0] for r in rows["conc"] if r[1] == 0)
    if not lone or not ok:
        return None, len(ok), len(rows["conc"])
    cpu_lone = statistics.median(r[2] for r in rows["lone"] if r[1] == 0)
    return ({"lone": statistics.median(lone), "ok": ok,
             "floor": batch * cpu_lone / ncpu}, len(ok), len(rows["conc"]))


def conc_note(d, ncpu, batch, name):
    f, n_ok, n_all = conc_figures(d, name, ncpu, batch)
    if f is None:
        print(f"conc nan nan nan {n_ok} {n_all} {ncpu} {batch}")
        return
    print(f"conc {f['lone']:.6f} {f['ok'][-1]:.6f} {f['floor']:.6f} {n_ok} {n_all} {ncpu} {batch}")


def goals(path):
    notes = {}
    try:
        with open(path) as f:
            for line in f:
                w = line.split()
                if w:
                    notes.setdefault(w[0], []).append(w[1:])
    except FileNotFoundError:
        pass

    def num(x):
        try:
            v = float(x)
        except (TypeError, ValueError):
            return None
        return None if v != v else v

    def ratio_of(key):
        if key not in notes:
            return None
        a, b = (num(x) for x in notes[key][-1][:2])
        return a / b if a is not None and b else None

    rows = []

    def at_most(goal, what, key, limit):
        r = ratio_of(key)
        if key not in notes:
            rows.append((goal, what, "not run", "-"))
        elif r is None:
            rows.append((goal, what, "failed", "no"))
        else:
            rows.append((goal, what, f"{r:.2f}x", "met" if r <= limit else "no"))

    at_most("1", "small message, plain: wall <= 0.15x msmtp", "small_wall", 0.15)
    at_most("1", "small message, plain: instructions <= 0.6x", "small_ir", 0.6)
    at_most("2", "small message, STARTTLS + AUTH: wall <= 0.15x", "tls_wall", 0.15)
    at_most("2", "small message, STARTTLS + AUTH: instructions <= 0.7x", "tls_ir", 0.7)
    at_most("3", "large message, plain into smtp-sink: wall <= 0.35x", "large_wall_smtp-sink", 0.35)
    at_most("3", "large message, plain into sink.py: wall <= 0.35x", "large_wall_sink.py", 0.35)
    at_most("3", "large message, TLS: wall <= 0.5x", "large_wall_tls", 0.5)
    # peak RSS: "large_rss PROGRAM MIB PLAIN TLS"
    rss = {}
    for w in notes.get("large_rss", []):
        if len(w) == 4:
            rss[(w[0], int(w[1]))] = (num(w[2]), num(w[3]))
    sizes = sorted({mb for (_, mb) in rss})
    if not sizes:
        rows.append(("3", "peak RSS no higher than msmtp's, flat as the size grows", "not run", "-"))
    else:
        big = sizes[-1]
        mf, ms = rss.get(("mailferry", big)), rss.get(("msmtp", big))
        if mf and ms and None not in mf + ms:
            ok = mf[0] <= ms[0] and mf[1] <= ms[1]
            rows.append(("3", f"peak RSS at {big} MiB no higher than msmtp's (plain, TLS)",
                         f"{mf[0]:.1f}/{mf[1]:.1f} MiB against {ms[0]:.1f}/{ms[1]:.1f}",
                         "met" if ok else "no"))
        if len(sizes) > 1:
            small = rss.get(("mailferry", sizes[0]))
            if small and mf and None not in small + mf:
                growth = max(mf[0] - small[0], mf[1] - small[1])
                rows.append(("3", f"peak RSS flat from {sizes[0]} to {big} MiB (grows < 1 MiB)",
                             f"+{growth:.1f} MiB", "met" if growth < 1.0 else "no"))
    q = ratio_of("queue")
    if "queue" not in notes:
        rows.append(("4", "queue run >= 20x faster than as many msmtp calls", "not run", "-"))
    else:
        rows.append(("4", "queue run >= 20x faster than as many msmtp calls",
                     f"{1 / q:.0f}x" if q else "failed", "met" if q and 1 / q >= 20 else "no"))
    if "conc" not in notes:
        rows.append(("5", "concurrent invocations: all succeed", "not run", "-"))
        rows.append(("5", "concurrent invocations: none slower than 2x a lone one", "not run", "-"))
    else:
        lone, mx, floor, n_ok, n_all, ncpu, batch = notes["conc"][-1][:7]
        lone, mx, floor = num(lone), num(mx), num(floor)
        rows.append(("5", f"{batch} concurrent invocations: all succeed", f"{n_ok}/{n_all}",
                     "met" if n_ok == n_all and n_all != "0" else "no"))
        if lone and mx:
            rows.append(("5", f"{batch} concurrent invocations: none slower than 2x a lone one",
                         f"{mx / lone:.2f}x (CPU floor {floor / lone:.2f}x on {ncpu} cores)",
                         "met" if mx / lone <= 2 else "no"))
    print("| goal | what | measured | met |")
    print("|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


def conc(d, ncpu, batch, names):
    print("| program | lone median | concurrent min | concurrent median | concurrent max"
          " | max / lone | median / lone | succeeded | CPU floor of a batch |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        rows = {}
        for kind in ("lone", "conc"):
            try:
                with open(f"{d}/{name}.{kind}") as f:
                    rows[kind] = [tuple(float(x) for x in line.split()) for line in f if line.strip()]
            except FileNotFoundError:
                rows[kind] = []
        lone = [r[0] for r in rows["lone"] if r[1] == 0]
        allc = rows["conc"]
        ok = [r[0] for r in allc if r[1] == 0]
        if not lone or not ok:
            print(f"| {name} | - | - | - | - | - | - | {len(ok)}/{len(allc)} | - |")
            continue
        lm = statistics.median(lone)
        c = sorted(ok)
        cpu_lone = statistics.median(r[2] for r in rows["lone"] if r[1] == 0)
        floor = batch * cpu_lone / ncpu
        print(f"| {name} | {lm:.4f} | {c[0]:.4f} | {statistics.median(c):.4f} | {c[-1]:.4f}"
              f" | {c[-1] / lm:.2f} | {statistics.median(c) / lm:.2f} | {len(ok)}/{len(allc)}"
              f" | {floor:.4f} |")


def main():
    d, cmd, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    if cmd == "table":
        table(d, rest)
    elif cmd == "ir":
        ir(d, rest)
    elif cmd == "median":
        r, _ = summary(d, rest[0])
        print(f"{r['med']:.6f}" if r else "nan")
    elif cmd == "conc":
        conc(d, int(rest[0]), int(rest[1]), rest[2:])
    elif cmd == "conc-note":
        conc_note(d, int(rest[0]), int(rest[1]), rest[2])
    elif cmd == "goals":
        goals(d)
    elif cmd == "rss":
        r, _ = summary(d, rest[0])
        print(f"{r['rss']:.1f}" if r else "-")
    else:
        sys.exit(f"stats.py: unknown command {cmd}")


if __name__ == "__main__":
    main()
