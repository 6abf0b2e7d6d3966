#!/usr/bin/env python3
"""cert_bench.py: benchmarks of the CERT channel (issue 6).

  cert_bench.py import [--n N] [--batch B] [--runs R]
      Two nodes us -> ru on loopback (tests/system/hlib.py, fresh databases,
      release build in ./build unless HOTLINED/HOTLINE are set). N indicators
      (TLP:GREEN, default 1,000,000) are POSTed through TAXII to us's
      outbound collection for ru in envelopes of B objects (default 2,000),
      over one Unix-socket connection per request. Measured: time until the
      last POST is answered (every object committed at us and queued in
      signed bundles), time until ru has committed all N in its inbound
      collection (replicated durably), objects/s, peak RSS of both daemons
      (VmHWM), their CPU seconds, and the time a restart of us with nothing
      new takes to settle (link up, nothing to send).
  cert_bench.py match CORPUS_DIR [--runs R] [--threads T]
      CORPUS_DIR from ../shared/bench/gen_logs.py (indicators.txt, log.txt,
      expected.txt). Runs `hotline match --indicators BUNDLE` (1 thread and
      T threads), LC_ALL=C grep -F -c -f, rg -F -c -f and hsgrep (Hyperscan)
      on the same files in the same run, R times each (page cache warm);
      prints medians, GB/s, ratios, peak RSS and hit counts against the
      planted count.
One JSON object per measurement goes to stdout; a summary to stderr."""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
os.environ.setdefault("HOTLINED", os.path.join(TOP, "build", "hotlined"))
os.environ.setdefault("HOTLINE", os.path.join(TOP, "build", "hotline"))
os.environ.setdefault("HOTLINE_TEST_TMP", "/tmp/cert-bench")
import hlib  # noqa: E402
from taxii_client import TaxiiClient  # noqa: E402

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def say(*a):
    print(*a, file=sys.stderr, flush=True)


def proc_stat(pid):
    """(VmHWM in MiB, user+system CPU seconds) of a process."""
    hwm = 0
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmHWM:"):
                hwm = int(ln.split()[1]) / 1024
    with open("/proc/%d/stat" % pid) as f:
        parts = f.read().rsplit(")", 1)[1].split()
    tck = os.sysconf("SC_CLK_TCK")
    return hwm, (int(parts[11]) + int(parts[12])) / tck


def bodies(n, batch):
    """Pre-built envelopes (bytes), so the client's JSON work is not
    timed."""
    out = []
    for k in range(0, n, batch):
        objs = []
        for i in range(k, min(n, k + batch)):
            objs.append({
                "type": "indicator", "spec_version": "2.1",
                "id": "indicator--%s" % uuid.UUID(int=(i + 1) << 64 | 0x4000
                                                  << 48 | 0x8000 << 32),
                "created": "2024-01-01T00:00:00.000Z",
                "modified": "2024-01-01T00:00:00.000Z",
                "name": "bench %d" % i, "indicator_types":
                ["malicious-activity"], "pattern_type": "stix",
                "pattern": "[ipv4-addr:value = '%d.%d.%d.%d']" % (
                    100 + (i >> 24) % 100, i >> 16 & 255, i >> 8 & 255,
                    i & 255),
                "valid_from": "2024-01-01T00:00:00Z",
                "object_marking_refs": [GREEN]})
        out.append(json.dumps({"objects": objs},
                              separators=(",", ":")).encode())
    return out


def in_count(node):
    return node.sql("SELECT count(*) FROM stix_objects WHERE coll='in:us'"
                    )[0][0]


def run_import(args, envs):
    with hlib.Env("cert_bench_import") as env:
        us, ru = env.pair("us", "ru", start=False)
        for n in (us, ru):
            hlib.conf_set(n.conf, "limits", {"api_max_request": "16777216"})
        us.start(debug=False)
        ru.start(debug=False)
        us.wait_link_up("ru")
        c = TaxiiClient(unix=us.sock, timeout=600)
        root = "/taxii2/api/"
        cid = {x["title"]: x["id"] for x in c.collections(root)}["out:ru"]
        env_bodies = envs
        path = "%scollections/%s/objects/" % (root, cid)
        t0 = time.monotonic()
        for b in env_bodies:
            st, _, body = c.request("POST", path, b)
            if st != 202 or body["failure_count"]:
                raise SystemExit("POST failed: %d %r" % (st, str(body)[:300]))
        t_post = time.monotonic() - t0
        hlib.wait_until(lambda: in_count(ru) >= args.n, 3600,
                        "replication", interval=0.25)
        t_repl = time.monotonic() - t0
        us_hwm, us_cpu = proc_stat(us.proc.pid)
        ru_hwm, ru_cpu = proc_stat(ru.proc.pid)
        nmsg = us.sql("SELECT count(*) FROM msgs WHERE dir=0")[0][0]
        hlib.wait_delivered(us, ru, nmsg, 600)
        # Sync with nothing new: restart us, time until settled.
        us.stop()
        t1 = time.monotonic()
        us.start(debug=False)
        us.wait_link_up("ru")
        hlib.wait_until(lambda: us.delivered_count("ru") == nmsg, 30,
                        "settled", interval=0.01)
        t_idle = time.monotonic() - t1
        dbsize = sum(os.path.getsize(os.path.join(n.dir, f)) for n in (us,)
                     for f in os.listdir(n.dir) if f.startswith("hotline.db"))
        r = {"mode": "import", "n": args.n, "batch": args.batch,
             "post_s": round(t_post, 2), "replicated_s": round(t_repl, 2),
             "post_objs_per_s": round(args.n / t_post),
             "replicated_objs_per_s": round(args.n / t_repl),
             "bundles": nmsg, "us_rss_mib": round(us_hwm),
             "ru_rss_mib": round(ru_hwm), "us_cpu_s": round(us_cpu, 1),
             "ru_cpu_s": round(ru_cpu, 1), "nothing_new_restart_s":
             round(t_idle, 3), "us_db_mib": round(dbsize / 2**20)}
        print(json.dumps(r), flush=True)
        say("import: %(n)d objects: POST %(post_s)ss (%(post_objs_per_s)d/s),"
            " replicated %(replicated_s)ss (%(replicated_objs_per_s)d/s), "
            "%(bundles)d bundles, RSS us %(us_rss_mib)d MiB ru "
            "%(ru_rss_mib)d MiB, CPU us %(us_cpu_s)ss ru %(ru_cpu_s)ss, "
            "restart with nothing new %(nothing_new_restart_s)ss" % r)
        return r


def timed(argv, stdin=None, env=None):
    """(seconds, stdout, peak RSS MiB of this child, and in timed.cpu its
    CPU seconds), from wait4() on the child itself."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env, stdin=stdin)
    out, err = [], []
    te = threading.Thread(target=lambda: err.append(p.stderr.read()))
    te.start()
    out.append(p.stdout.read())
    te.join()
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    timed.cpu = ru.ru_utime + ru.ru_stime
    if p.returncode not in (0, 1):
        raise SystemExit("%s failed: %s" % (argv[0], err[0][-500:]))
    return dt, out[0], ru.ru_maxrss / 1024


def run_match(args):
    d = args.corpus
    log = os.path.join(d, "log.txt")
    ind = os.path.join(d, "indicators.txt")
    size = os.path.getsize(log)
    exp = open(os.path.join(d, "expected.txt")).read()
    planted = int(exp.split("planted_hit_lines=")[1].split()[0])
    bundle = os.path.join(d, "indicators.stix.json")
    if args.bundle and not os.path.exists(bundle):
        vals = open(ind).read().split()
        objs = []
        for i, v in enumerate(vals):
            if len(v) == 64:
                p = "[file:hashes.'SHA-256' = '%s']" % v
            elif v.replace(".", "").isdigit():
                p = "[ipv4-addr:value = '%s']" % v
            else:
                p = "[domain-name:value = '%s']" % v
            objs.append({"type": "indicator", "spec_version": "2.1",
                         "id": "indicator--%s" % uuid.UUID(int=(i + 1) << 64
                                                           | 0x4000 << 48 |
                                                           0x8000 << 32),
                         "created": "2024-01-01T00:00:00Z",
                         "modified": "2024-01-01T00:00:00Z",
                         "pattern_type": "stix", "pattern": p,
                         "valid_from": "2024-01-01T00:00:00Z"})
        with open(bundle, "w") as f:
            json.dump({"type": "bundle", "id": "bundle--%s" % uuid.uuid4(),
                       "objects": objs}, f)
    tsv = os.path.join(d, "indicators.tsv")
    if not os.path.exists(tsv):
        with open(tsv, "w") as f:
            for i, v in enumerate(open(ind).read().split()):
                if len(v) == 64:
                    p = "[file:hashes.'SHA-256' = '%s']" % v
                elif v.replace(".", "").isdigit():
                    p = "[ipv4-addr:value = '%s']" % v
                else:
                    p = "[domain-name:value = '%s']" % v
                f.write("indicator--%s\tpeer:bench\tP\t%s\n" % (
                    uuid.UUID(int=(i + 1) << 64 | 0x4000 << 48 |
                              0x8000 << 32), p))
    hsgrep = os.path.join(d, "hsgrep")
    if not os.path.exists(hsgrep):
        subprocess.run(["gcc", "-O2", "-o", hsgrep,
                        "/work/shared/bench/hsgrep.c", "-lhs"], check=True)
    subprocess.run(["cat", log], stdout=subprocess.DEVNULL)  # warm cache
    cenv = dict(os.environ, LC_ALL="C")
    tools = [
        ("hotline-1t", [os.environ["HOTLINE"], "match", "--quiet", "--json",
                        "--threads", "1", "--indicators", tsv, log]),
        ("hotline-%dt" % args.threads,
         [os.environ["HOTLINE"], "match", "--quiet", "--json", "--threads",
          str(args.threads), "--indicators", tsv, log]),
        ("hyperscan", [hsgrep, ind, log]),
        ("grep", ["grep", "-F", "-c", "-f", ind, log]),
    ]
    if shutil.which("rg"):
        tools.append(("rg", ["rg", "-F", "-c", "-f", ind, log]))
    if args.only:
        tools = [t for t in tools if t[0] in args.only.split(",")]
    res = {}
    for name, argv in tools:
        times, cpus, rss, count = [], [], 0, None
        for _ in range(args.runs if name.startswith("hotline") else
                       args.slow_runs):
            dt, out, r = timed(argv, env=cenv)
            times.append(dt)
            cpus.append(timed.cpu)
            rss = max(rss, r)
            if name.startswith("hotline"):
                j = json.loads(out)
                count = j["hit_lines"]
            else:
                txt = out.decode().strip().split()
                count = int(txt[-1]) if txt else 0
        med = statistics.median(times)
        res[name] = med
        rec = {"mode": "match", "tool": name, "runs": len(times),
               "median_s": round(med, 2), "times": [round(t, 2) for t in
                                                     times],
               "gb_per_s": round(size / med / 1e9, 3), "rss_mib": round(rss),
               "cpu_s_median": round(statistics.median(cpus), 2),
               "load_avg": os.getloadavg()[0],
               "count": count, "planted_lines": planted, "bytes": size}
        print(json.dumps(rec), flush=True)
        say("%-12s median %7.2fs  %6.3f GB/s  CPU %6.2fs  RSS %6d MiB  "
            "count %s (planted lines %d)  load %.1f" % (
                name, med, size / med / 1e9, statistics.median(cpus), rss,
                count, planted, os.getloadavg()[0]))
    base = res.get("hotline-1t")
    if base:
        for k, v in res.items():
            say("ratio %s / hotline-1t: %.1fx" % (k, v / base))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    a = sub.add_parser("import")
    a.add_argument("--n", type=int, default=1000000)
    a.add_argument("--batch", type=int, default=2000)
    a.add_argument("--runs", type=int, default=1)
    m = sub.add_parser("match")
    m.add_argument("corpus")
    m.add_argument("--runs", type=int, default=3)
    m.add_argument("--slow-runs", type=int, default=1)
    m.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    m.add_argument("--only", default="")
    m.add_argument("--bundle", action="store_true",
                   help="also write the indicators as a STIX bundle")
    args = ap.parse_args()
    if args.mode == "import":
        t0 = time.monotonic()
        envs = bodies(args.n, args.batch)
        say("built %d envelopes in %.1fs" % (len(envs),
                                             time.monotonic() - t0))
        rs = [run_import(args, envs) for _ in range(args.runs)]
        if len(rs) > 1:
            say("median replicated_s %.2f" % statistics.median(
                r["replicated_s"] for r in rs))
    else:
        run_match(args)


if __name__ == "__main__":
    main()
