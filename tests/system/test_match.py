"""test_match: retro-hunt end to end. ru shares 10,000 indicators (IPv4,
domains, SHA-256 from ../shared/bench/gen_logs.py, plus a CIDR, a URL, an
MD5, an IPv6 and indicators that cannot be matched) with us over the link;
`hotline match` on us scans a generated log with planted hits and must
report exactly the planted hit lines, each with the line, value, indicator
id and source party (checked line by line against the corpus), list the
unmatchable indicators, agree between 1 and 2 threads and between a file
and stdin, and send sightings back to ru when configured."""

import json
import os
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "bench",
                                    "gen_logs.py"))
if not os.path.exists(GEN):
    GEN = "/work/shared/bench/gen_logs.py"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def ind(pattern, ptype="stix"):
    return {"type": "indicator", "spec_version": "2.1",
            "id": "indicator--%s" % uuid.uuid4(),
            "created": "2024-01-01T00:00:00.000Z",
            "modified": "2024-01-01T00:00:00.000Z",
            "pattern_type": ptype, "pattern": pattern,
            "valid_from": "2024-01-01T00:00:00Z",
            "object_marking_refs": [GREEN]}


def pattern_for(v):
    if len(v) == 64 and all(c in "0123456789abcdef" for c in v):
        return "[file:hashes.'SHA-256' = '%s']" % v
    if v.replace(".", "").isdigit():
        return "[ipv4-addr:value = '%s']" % v
    return "[domain-name:value = '%s']" % v


def test(env):
    if not os.path.exists(GEN):
        log("no gen_logs.py; skipping")
        sys.exit(77)
    us, ru = env.pair("us", "ru", start=False)
    hlib.conf_set(us.conf, "peer ru", {"send_sightings": "yes"})
    us.start()
    ru.start()
    us.wait_link_up("ru")
    corpus = os.path.join(env.root, "corpus")
    subprocess.run([sys.executable, GEN, corpus, "20e6", "10000", "300",
                    "7"], check=True, stdout=subprocess.DEVNULL)
    values = open(os.path.join(corpus, "indicators.txt")).read().split()
    objs = [ind(pattern_for(v)) for v in values]
    extra = {
        "cidr": ind("[ipv4-addr:value ISSUBSET '203.0.113.0/24']"),
        "url": ind("[url:value = 'http://bad.example/x.php?id=1']"),
        "md5": ind("[file:hashes.MD5 = 'D41D8CD98F00B204E9800998ECF8427E']"),
        "v6": ind("[ipv6-addr:value = '2001:db8::7']"),
        "or": ind("[domain-name:value = 'one.example' OR "
                  "domain-name:value = 'two.example']"),
        "in": ind("[ipv4-addr:value IN ('192.0.2.1', '192.0.2.2')]"),
    }
    unmatchable = [ind("[ipv4-addr:value = '1.2.3.4' AND "
                       "domain-name:value = 'x.example']"),
                   ind("title: x", ptype="sigma"),
                   ind("[process:name = 'evil.exe']")]
    bundle = {"type": "bundle", "id": "bundle--%s" % uuid.uuid4(),
              "objects": objs + list(extra.values()) + unmatchable}
    bpath = os.path.join(env.root, "bundle.json")
    with open(bpath, "w") as f:
        json.dump(bundle, f)
    cp = hlib.hotline(["-c", ru.conf, "indicators", "import", "--share",
                       "us", bpath], check_rc=0)
    log(cp.stdout.strip())
    total = len(bundle["objects"])

    def arrived():
        c = us.get("/v1/cert/collections")["collections"]
        return c.get("in:ru", 0) == total
    hlib.wait_until(arrived, hlib.scaled(60), "%d objects at us" % total)

    # Plant lines for the extra indicators at the end of the log.
    log_path = os.path.join(corpus, "log.txt")
    planted = ["fw: DROP SRC=203.0.113.77 DST=10.0.0.1",
               "proxy: GET http://bad.example/x.php?id=1 200",
               "edr: md5=d41d8cd98f00b204e9800998ecf8427e file=a.exe",
               "fw: DROP SRC=[2001:db8::7]:443",
               "dns: query two.example IN A",
               "fw: 192.0.2.2 denied.",
               "not hits: 203.0.114.1 http://bad.example/x.php?id=12 "
               "192.0.2.22 2001:db8::70 one.example.com"]
    with open(log_path, "a") as f:
        f.write("\n".join(planted) + "\n")
    exp = open(os.path.join(corpus, "expected.txt")).read()
    n_planted = int(exp.split("planted_hit_lines=")[1].split()[0])
    lines = open(log_path).read().split("\n")

    def run_match(args, stdin=None):
        cp = hlib.run([hlib.HOTLINE, "-c", us.conf, "match", "--json"] +
                      args, check_rc=0, input=stdin)
        return json.loads(cp.stdout)

    r = run_match(["--threads", "2", log_path])
    log("match: %d hits, %d indicators, %d unmatchable" % (
        r["hit_count"], r["indicators"], r["unmatchable_count"]))
    hit_lines = {h["line"] for h in r["hits"]}
    check(len(hit_lines) == n_planted + 6, "hit lines %d, planted %d + 6" %
          (len(hit_lines), n_planted))
    vals = set(values)
    ids = {o["id"]: o for o in bundle["objects"]}
    for h in r["hits"]:
        text = lines[h["line"] - 1]
        check(h["value"] in text, "value %r not on line %d" % (h["value"],
                                                                h["line"]))
        check(h["source"] == "peer:ru", "source %r" % h["source"])
        check(h["indicator"] in ids, "unknown indicator id")
        if h["line"] <= len(lines) - len(planted) - 1:
            check(h["value"].lower() in vals, "unexpected value %r" %
                  h["value"])
    check(r["unmatchable_count"] == 3, "unmatchable: %r" % r["unmatchable"])
    check(all(u["reason"] for u in r["unmatchable"]), "reasons")
    r1 = run_match(["--threads", "1", log_path])
    check(r1["hits"] == r["hits"], "1 thread and 2 threads differ")
    with open(log_path) as f:
        data = f.read()
    r2 = run_match([], stdin=data)
    check([(h["line"], h["indicator"]) for h in r2["hits"]] ==
          [(h["line"], h["indicator"]) for h in r["hits"]], "stdin differs")

    # Sightings back to ru.
    cp = hlib.run([hlib.HOTLINE, "-c", us.conf, "match", "--quiet",
                   "--sightings", log_path], check_rc=0)
    log(cp.stderr.strip().splitlines()[-1])
    n_ind = len({h["indicator"] for h in r["hits"]})

    def sighted():
        rows = ru.get("/v1/cert/objects?collection=in:us&type=sighting"
                      "&limit=10000")["objects"]
        return len(rows) == n_ind
    hlib.wait_until(sighted, hlib.scaled(30), "%d sightings at ru" % n_ind)
    row = ru.get("/v1/cert/objects?collection=in:us&type=sighting"
                 "&limit=1")["objects"][0]
    full = ru.get("/v1/cert/objects/%s" % row["id"])["versions"][0]
    check(full["object"]["sighting_of_ref"] in ids, "sighting_of_ref")
    check(full["source"] == "peer:us", "sighting provenance")


if __name__ == "__main__":
    hlib.main(test)
