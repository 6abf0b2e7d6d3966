#!/usr/bin/python3
"""summarize.py RESULTS.jsonl: medians over runs of the peer benchmarks.

Reads the JSON objects that amqp_bench and mqtt_bench print (one per run,
one per line; other lines are ignored), groups them by peer, mode, message
size and count, and prints a markdown table of medians with the number of
runs and each peer's durability."""
import json
import statistics
import sys


def med(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None and r[key] >= 0]
    if not vals:
        return None
    return statistics.median(vals)


def fmt(v, nd=2):
    if v is None:
        return "–"
    if nd == 0:
        return f"{v:,.0f}"
    return f"{v:.{nd}f}"


def main():
    rows = []
    with open(sys.argv[1]) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    pass
    groups = {}
    for r in rows:
        groups.setdefault((r["peer"], r["mode"], r["size"], r["count"]),
                          []).append(r)
    order = {"accept": 0, "e2e": 1, "throughput": 2, "flash": 3}
    print("| peer | mode | size | count/run | runs | p50 ms | p90 ms | "
          "p99 ms | max ms | msgs/s | broker peak RSS MiB | "
          "client max RSS MiB | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    durab = {}
    for key in sorted(groups, key=lambda k: (k[0], order.get(k[1], 9),
                                             k[2], k[3])):
        g = groups[key]
        peer, mode, size, count = key
        durab[peer] = g[0]["durability"]
        rss = med(g, "broker_rss_peak_kb")
        crss = med(g, "client_maxrss_kb")
        print(f"| {peer} | {mode} | {size} B | {count:,} | {len(g)} | "
              f"{fmt(med(g, 'p50_ms'))} | {fmt(med(g, 'p90_ms'))} | "
              f"{fmt(med(g, 'p99_ms'))} | {fmt(med(g, 'max_ms'))} | "
              f"{fmt(med(g, 'msgs_per_s'), 0)} | "
              f"{fmt(rss / 1024 if rss else None, 0)} | "
              f"{fmt(crss / 1024 if crss else None, 1)} | "
              f"{fmt(med(g, 'loadavg'), 1)} |")
    print()
    for peer, d in sorted(durab.items()):
        print(f"- **{peer}**: {d}")


if __name__ == "__main__":
    main()
