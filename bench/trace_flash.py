#!/usr/bin/env python3
"""trace_flash.py RUN_PREFIX: where the slow flash messages waited.

Joins a flash run's three traces (RUN_PREFIX.us.log and RUN_PREFIX.ru.log
from daemons built with -DHOTLINE_TRACE=ON, RUN_PREFIX.client from
hotline_bench with HB_FLASH_TRACE; run_hotline.sh keeps them with HB_LOGDIR)
on the message's seq in the direct/flash stream (the client's order) and
prints, per phase, p50/p99/max of the time spent in it, then the slowest
messages phase by phase with the loop stalls and slow spans of each daemon
that overlap them.  All times are CLOCK_MONOTONIC microseconds.

"one-way" is POST -> committed at the receiver, what a broker's publish ->
consumer figure measures (bench/peers flash mode).

Phases: post (client POST -> handler runs), accept (handler -> committed),
resp (-> 201 at the client), queue (commit -> frame written to the link
output), wire (-> receiver applies it), rxcommit (-> receiver committed),
rcpt (-> receipt read at the sender), rcommit (-> receipt committed),
notify (-> client sees delivered).
"""
import sys

def load(path):
    flash, spans, stalls = {}, [], []
    try:
        f = open(path, errors="replace")
    except OSError:
        return flash, spans, stalls
    for line in f:
        if not line.startswith("trace "):
            continue
        p = line.split()
        t = int(p[1])
        if p[2] == "flash":
            flash.setdefault(p[3], []).append((t, int(p[4]), int(p[5])))
        elif p[2] == "span":
            spans.append((t - int(p[4]), t, p[3], " ".join(p[5:])))
        elif p[2] == "stall":
            # late, traced callbacks; then (newer daemons) the loop
            # thread's run and run-queue wait over the interval
            run = int(p[5]) if len(p) > 6 else -1
            wait = int(p[6]) if len(p) > 6 else -1
            stalls.append((t - int(p[3]), t, int(p[4]), run, wait))
    return flash, spans, stalls

def first_at_least(evs, seq):
    """Time of the first event whose seq >= seq (cumulative phases)."""
    best = None
    for t, s, _ in evs:
        if s >= seq and (best is None or t < best):
            best = t
    return best

def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")

def main():
    pre = sys.argv[1]
    us, us_sp, us_st = load(pre + ".us.log")
    ru, ru_sp, ru_st = load(pre + ".ru.log")
    client = [l.split() for l in open(pre + ".client")]
    post = {s: (t, tin) for t, s, tin in us.get("post", [])}
    rows = []
    for seq, c in enumerate(client, 1):
        t0, t1, t2 = int(c[0]), int(c[1]), int(c[2])
        if seq not in post:
            continue
        tacc, tin = post[seq]
        q = first_at_least(us.get("queued", []), seq)
        rx = first_at_least(ru.get("rx", []), seq)
        rxc = first_at_least(ru.get("rx_commit", []), seq)
        rr = first_at_least(us.get("rcpt_rx", []), seq)
        rc = first_at_least(us.get("rcpt_commit", []), seq)
        pts = [t0, tin, tacc, t1, q, rx, rxc, rr, rc, t2]
        if None in pts:
            continue
        rows.append((seq, pts))
    names = ["post", "accept", "resp", "queue", "wire", "rxcommit", "rcpt",
             "rcommit", "notify"]
    # resp is 201 at the client; the chain continues from the commit.
    def phases(pts):
        t0, tin, tacc, t1, q, rx, rxc, rr, rc, t2 = pts
        return [tin - t0, tacc - tin, t1 - tacc, q - tacc, rx - q,
                rxc - rx, rr - rxc, rc - rr, t2 - rc]
    print("%d flash messages joined" % len(rows))
    tot = [(r[1][9] - r[1][0]) for r in rows]
    print("total  p50 %7.2f  p99 %7.2f  max %7.2f ms" %
          (pct(tot, .5) / 1e3, pct(tot, .99) / 1e3, max(tot) / 1e3))
    # What a broker's "publish -> consumer has it" measures: the message
    # committed at the receiver (no receipt back, no sender commit of it).
    one = [(r[1][6] - r[1][0]) for r in rows]
    print("one-way p50 %7.2f  p99 %7.2f  max %7.2f ms "
          "(POST -> committed at the receiver)" %
          (pct(one, .5) / 1e3, pct(one, .99) / 1e3, max(one) / 1e3))
    for i, n in enumerate(names):
        v = [phases(r[1])[i] for r in rows]
        print("%-9s p50 %7.2f  p99 %7.2f  max %7.2f ms" %
              (n, pct(v, .5) / 1e3, pct(v, .99) / 1e3, max(v) / 1e3))
    for who, st, sp in (("us", us_st, us_sp), ("ru", ru_st, ru_sp)):
        print("%s: %d stalls > 5 ms (sum %.0f ms%s), slow spans:" %
              (who, len(st), sum(s[1] - s[0] for s in st) / 1e3,
               "" if not st or st[0][3] < 0 else
               "; the loop ran %.0f, waited for a CPU %.0f, blocked %.0f" %
               (sum(s[3] for s in st) / 1e3, sum(s[4] for s in st) / 1e3,
                sum(s[1] - s[0] - s[3] - s[4] for s in st) / 1e3)))
        kinds = {}
        for a, b, what, _ in sp:
            k = kinds.setdefault(what, [])
            k.append(b - a)
        for what, v in sorted(kinds.items()):
            print("   %-12s n %5d  p50 %6.1f  max %6.1f ms" %
                  (what, len(v), pct(v, .5) / 1e3, max(v) / 1e3))
    rows.sort(key=lambda r: r[1][0] - r[1][9])
    print("slowest:")
    for seq, pts in rows[:int(sys.argv[2]) if len(sys.argv) > 2 else 8]:
        ph = phases(pts)
        print(" seq %d total %.1f ms: " % (seq, (pts[9] - pts[0]) / 1e3) +
              " ".join("%s %.1f" % (n, x / 1e3) for n, x in zip(names, ph)))
        for who, st, sp in (("us", us_st, us_sp), ("ru", ru_st, ru_sp)):
            for a, b, what, det in sp:
                if b > pts[0] and a < pts[9]:
                    print("   %s span %-10s %6.1f ms at +%.1f %s" %
                          (who, what, (b - a) / 1e3, (a - pts[0]) / 1e3,
                           det[:40]))
            for a, b, cov, run, wait in st:
                if b > pts[0] and a < pts[9]:
                    print("   %s stall %6.1f ms at +%.1f (spans %.1f%s)" %
                          (who, (b - a) / 1e3, (a - pts[0]) / 1e3,
                           cov / 1e3, "" if run < 0 else
                           ", ran %.1f, waited for a CPU %.1f" %
                           (run / 1e3, wait / 1e3)))

main()
