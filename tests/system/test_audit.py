"""test_audit: the transparency record between two real nodes.

1. us sends an NRRC flash notification to ru, ru acknowledges it, more
   traffic flows both ways. Each node's checkpoints are cosigned by the
   other (checkpoint_interval 500ms).
2. `hotline audit prove` on us writes a proof file; `hotline audit verify`
   checks it offline with only the two verifier keys (`hotline audit
   key`): it is PROVEN, cosigned by ru, acknowledged by ru, with ru's
   delivery receipt. The same message proven from ru's log ("from us was in
   ru's log ... cosigned by us").
3. Altered proofs and wrong keys are NOT PROVEN (exit 1).
4. `hotline audit check` passes on both nodes.
5. ru rewrites its history (its log tables are wiped while it is stopped,
   and it starts a new log): us, the witness, raises the alarm twice -
   first a shrunk log, then, when the new log outgrows the old one, a
   checkpoint that is not an extension of what us cosigned - stores the
   evidence, never cosigns the rewritten log, and messages still flow."""

import base64
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log  # noqa: E402

hlib.FAST_LINK["checkpoint_interval"] = "500ms"


def audit(node, args, rc=0):
    return hlib.hotline(["-c", node.conf, "audit"] + args, check_rc=rc)


def verify(path, keys, rc):
    argv = ["audit", "verify", path]
    for k in keys:
        argv += ["--key", k]
    cp = hlib.hotline(argv, check_rc=rc)
    return cp.stdout


def wait_cosigned(node, what):
    """Until node's latest checkpoint covers its whole log and is
    cosigned."""
    def ok():
        s = node.get("/v1/audit")
        return (s["cosignatures"] >= 1 and s["checkpoint_size"] == s["size"]
                and s["size"] > 0)
    hlib.wait_until(ok, hlib.scaled(20), what)
    return node.get("/v1/audit")


def test(env):
    us, ru = env.pair("us", "ru")
    nid = us.send("ru", {"text": "incident notification"}, channel="nrrc",
                  kind="notification", precedence="flash")
    hlib.wait_until(lambda: ru.api("GET", "/v1/messages/" + nid,
                                   expect=None)[0] == 200,
                    hlib.scaled(10), "the notification at ru")
    ack = ru.post("/v1/messages/%s/ack" % nid, {"note": "seen"})
    ackid = ack["id"]
    hlib.wait_until(lambda: us.get("/v1/messages/" + nid)["state"] ==
                    "acknowledged", hlib.scaled(10), "the ack at us")
    for i in range(30):
        us.send("ru", {"n": i})
        ru.send("us", {"n": i})
    hlib.wait_delivered(us, ru, 31, hlib.scaled(20))
    # Five messages accepted together: one batch signature (PROTOCOL 3.3).
    bids = us.post("/v1/messages/batch", {"messages": [
        {"to": "ru", "channel": "cert", "kind": "text", "body": {"b": i}}
        for i in range(5)]})["ids"]
    hlib.wait_delivered(us, ru, 36, hlib.scaled(20))
    for node in (us, ru):
        sg = [node.get("/v1/messages/" + i)["signature"] for i in bids]
        check(sg == [{"form": "ed25519-batch", "batch_index": i,
                      "batch_size": 5} for i in range(5)],
              "%s: batch signature forms %r" % (node.name, sg))
    check(us.get("/v1/messages/" + nid)["signature"] == {"form": "ed25519"},
          "a lone message is not plainly signed")
    su = wait_cosigned(us, "us's log cosigned by ru")
    sr = wait_cosigned(ru, "ru's log cosigned by us")
    log("us log %d leaves, ru log %d leaves, both cosigned" % (
        su["size"], sr["size"]))
    check(su["size"] >= 31 + 1 + 2, "us's log is too small: %d" % su["size"])

    keys = {}
    for n in (us, ru):
        lines = audit(n, ["key"]).stdout.split()
        check(len(lines) == 2 and lines[0].startswith("hotline/%s+" %
              n.party), "bad audit key output %r" % lines)
        keys[n.party] = lines
        check(lines[0] == n.get("/v1/audit")["vkey"], "key differs")
    allkeys = keys["us"] + keys["ru"]

    # 2. Prove on us, verify offline.
    pf = os.path.join(env.root, "proof-us.json")
    audit(us, ["prove", nid[:12], "-o", pf])
    out = verify(pf, allkeys, 0)
    log(out)
    check("PROVEN: message %s from us was in us's log" % nid[:12] in out,
          "not proven from us's log")
    check("cosigned by ru at" in out, "no cosignature by ru")
    check("acknowledged by ru" in out, "no acknowledgment")
    check("delivery receipt signed by ru" in out, "no receipt")
    # From ru's log: received, cosigned by us.
    pr = os.path.join(env.root, "proof-ru.json")
    audit(ru, ["prove", nid, "-o", pr])
    out = verify(pr, allkeys, 0)
    log(out)
    check("PROVEN: message %s from us was in ru's log" % nid[:12] in out and
          "received by ru" in out and "cosigned by us at" in out,
          "not proven from ru's log")
    # A batch-signed message proven and verified on its own, offline.
    for node, name in ((us, "us"), (ru, "ru")):
        pb = os.path.join(env.root, "proof-batch-%s.json" % name)
        audit(node, ["prove", bids[3], "-o", pb])
        out = verify(pb, allkeys, 0)
        log(out)
        check("PROVEN: message %s from us was in %s's log" % (
            bids[3][:12], name) in out and "batch signature: message 4 "
              "of 5" in out, "batch message not proven from %s's log" %
              name)
    # Its inclusion path in the batch altered: the signature fails.
    with open(pb) as f:
        doc = json.load(f)
    ents = [dict(e) for e in doc["entries"]]
    mb = bytearray(base64.b64decode(ents[0]["message"]))
    mb[-5] ^= 0x10                      # inside the last path hash
    ents[0]["message"] = base64.b64encode(bytes(mb)).decode()
    bad = dict(doc)
    bad["entries"] = ents
    bf = os.path.join(env.root, "bad-batch.json")
    with open(bf, "w") as f:
        json.dump(bad, f)
    out = verify(bf, allkeys, 1)
    check("does NOT verify" in out, "altered batch path accepted: %r" % out)
    # The ack proven from ru's log too.
    pa = os.path.join(env.root, "proof-ack.json")
    audit(ru, ["prove", ackid, "-o", pa])
    verify(pa, allkeys, 0)

    # 3. What must not verify.
    with open(pf) as f:
        doc = json.load(f)
    out = verify(pf, keys["us"][:1] + keys["ru"][1:], 0)
    check("cosigned by ru" in out, "cosigner key alone not enough")
    out = verify(pf, keys["ru"], 1)       # no log key for us
    check("NOT PROVEN" in out, "verified without the log's key")
    bad = dict(doc)
    ents = [dict(e) for e in doc["entries"]]
    p0 = list(ents[0]["proof"])
    check(len(p0) > 0, "empty inclusion proof")
    h = bytearray(base64.b64decode(p0[0]))
    h[0] ^= 1
    p0[0] = base64.b64encode(bytes(h)).decode()
    ents[0]["proof"] = p0
    bad["entries"] = ents
    bf = os.path.join(env.root, "bad1.json")
    with open(bf, "w") as f:
        json.dump(bad, f)
    out = verify(bf, allkeys, 1)
    check("NOT in the log" in out, "altered proof accepted")
    bad = dict(doc)
    bad["checkpoint"] = doc["checkpoint"].replace("\n", "\n", 1).replace(
        "\n%d\n" % doc["size"], "\n%d\n" % (doc["size"] + 1), 1)
    with open(bf, "w") as f:
        json.dump(bad, f)
    out = verify(bf, allkeys, 1)
    check("NOT PROVEN" in out, "altered checkpoint accepted")
    bad = dict(doc)
    ents = [dict(e) for e in doc["entries"]]
    ents[0]["message"], ents[1]["message"] = (ents[1]["message"],
                                              ents[0]["message"])
    bad["entries"] = ents
    with open(bf, "w") as f:
        json.dump(bad, f)
    verify(bf, allkeys, 1)

    # 4. Whole-log checks.
    for n in (us, ru):
        out = audit(n, ["check"]).stdout
        check(out.startswith("log OK"), "audit check on %s: %s" % (n, out))

    # 5. ru rewrites history.
    cos_before = ru.sql("SELECT count(*) FROM tlog_cosigs")[0][0]
    old_size = sr["size"]
    ru.stop()
    db = sqlite3.connect(ru.db)
    for t in ("tlog_leaves", "tlog_hashes", "tlog_checkpoints",
              "tlog_cosigs"):
        db.execute("DELETE FROM %s" % t)
    db.commit()
    db.close()
    ru.start()
    ru.wait_link_up("us")
    ru.send("us", {"text": "rewritten history"})
    hlib.wait_until(lambda: any(e["kind"] == "shrink" for e in
                                us.get("/v1/audit/evidence")["evidence"]),
                    hlib.scaled(15), "the shrink alarm at us")
    log("us raised the alarm for ru's shrunk log")
    for i in range(old_size + 5):
        ru.send("us", {"n": i, "text": "new history"})
    hlib.wait_until(lambda: any(e["kind"] == "inconsistent" for e in
                                us.get("/v1/audit/evidence")["evidence"]),
                    hlib.scaled(20), "the inconsistency alarm at us")
    ev = us.get("/v1/audit/evidence")
    check(ev["alarms_since_start"] >= 2, "alarms not counted")
    for e in ev["evidence"]:
        check(e["peer"] == "ru" and e["old_checkpoint"] and
              e["new_checkpoint"] and e["old_checkpoint"] !=
              e["new_checkpoint"], "bad evidence %r" % e)
    check("ALARM: transparency log of ru" in us.log_text(), "no ALARM log")
    check(us.sql("SELECT count(*) FROM events WHERE kind='tlog-alarm'")
          [0][0] >= 2, "no alarm events")
    out = audit(us, ["evidence"]).stdout
    check("ALARM" in out and "inconsistent" in out, "evidence: %r" % out)
    # Nothing of the rewritten log is cosigned by us; messages still flow.
    time.sleep(2)
    check(ru.sql("SELECT count(*) FROM tlog_cosigs")[0][0] == 0,
          "us cosigned ru's rewritten log (had %d before)" % cos_before)
    wit = us.sql("SELECT size FROM tlog_witnessed WHERE peer='ru'")[0][0]
    check(wit == old_size or wit <= old_size, "us moved its view of ru "
          "to the rewritten log: %d" % wit)
    us.send("ru", {"text": "still talking"})
    hlib.wait_until(lambda: us.delivered_count("ru") >= 32,
                    hlib.scaled(10), "delivery after the alarm")
    # us's own log is untouched and still cosigned by ru.
    wait_cosigned(us, "us's log still cosigned")
    check(audit(us, ["check"]).stdout.startswith("log OK"), "us damaged")


if __name__ == "__main__":
    hlib.main(test)
