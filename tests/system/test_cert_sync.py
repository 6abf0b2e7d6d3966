"""test_cert_sync: objects posted to us's outbound collection for ru reach
ru's inbound collection exactly once across an outage and a crash. ru is
down while 20,000 indicators are posted over TAXII (and then a FLASH
direct-line message, which must still arrive first); when ru starts, all
arrive. Then 20,000 more are posted and us is killed with SIGKILL while they
flow; after its restart only what ru lacks is sent: ru ends with exactly
40,000 objects, its stream of stix-bundle messages equals us's (seqs 1..n,
same ids, nothing replayed), and each object's provenance names the message
it came in. A restart with nothing new settles within a second."""

import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log  # noqa: E402
from taxii_client import TaxiiClient  # noqa: E402

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
N = 20000


def objs(base, n):
    return [{"type": "indicator", "spec_version": "2.1",
             "id": "indicator--%s" % uuid.uuid4(),
             "created": "2024-01-01T00:00:00.000Z",
             "modified": "2024-01-01T00:00:00.000Z",
             "pattern_type": "stix",
             "pattern": "[ipv4-addr:value = '10.%d.%d.%d']" % (
                 (base + i) >> 16 & 255, (base + i) >> 8 & 255,
                 (base + i) & 255),
             "valid_from": "2024-01-01T00:00:00Z",
             "object_marking_refs": [GREEN]} for i in range(n)]


def post_all(c, root, cid, items):
    for k in range(0, len(items), 1000):
        s = c.add_objects(root, cid, items[k:k + 1000])
        check(s["success_count"] == len(items[k:k + 1000]), "status %r" % {
            k: v for k, v in s.items() if k not in ("successes",)})


def in_count(node):
    return node.sql("SELECT count(*) FROM stix_objects WHERE coll='in:us'"
                    )[0][0]


def test(env):
    us, ru = env.pair("us", "ru", start=False)
    hlib.conf_set(us.conf, "limits", {"api_max_request": "4194304"})
    us.start()
    c = TaxiiClient(unix=us.sock)
    root = "/taxii2/api/"
    cid = {x["title"]: x["id"] for x in c.collections(root)}["out:ru"]

    # 1. ru down: objects are queued durably.
    t0 = time.monotonic()
    post_all(c, root, cid, objs(0, N))
    log("posted %d objects in %.2fs with ru down" % (N,
                                                     time.monotonic() - t0))
    nmsg = len(us.stream_rows(0, "ru"))
    check(nmsg > 0, "no bundles queued")
    log("%d bundles queued" % nmsg)
    # A FLASH on the direct line queued behind them goes first.
    flash = us.send("ru", {"text": "flash"}, channel="direct", kind="text",
                    precedence="flash")
    ru.start()
    hlib.wait_until(lambda: in_count(ru) == N, hlib.scaled(60),
                    "%d objects at ru" % N, interval=0.2)
    hlib.check_stream(us, ru, nmsg)
    order = [r[0] for r in ru.sql("SELECT id FROM msgs WHERE dir=1 ORDER BY "
                                   "rid")]
    check(order[0] == flash, "the FLASH message was not the first stored "
          "at ru (position %d)" % order.index(flash))

    # 2. kill -9 us while the next 20,000 flow, restart it.
    post_all(c, root, cid, objs(N, N))
    nmsg = len(us.stream_rows(0, "ru"))
    time.sleep(0.05)
    us.kill9()
    mid = in_count(ru)
    log("us killed with %d of %d objects at ru" % (mid, 2 * N))
    us.start()
    hlib.wait_until(lambda: in_count(ru) == 2 * N, hlib.scaled(60),
                    "%d objects at ru" % (2 * N), interval=0.2)
    hlib.wait_delivered(us, ru, nmsg, hlib.scaled(30))
    hlib.check_stream(us, ru, nmsg)
    check("replayed" not in ru.log_text(), "a message was sent twice")
    dup = ru.sql("SELECT count(*) FROM (SELECT id FROM stix_objects WHERE "
                 "coll='in:us' GROUP BY id HAVING count(*) > 1)")[0][0]
    check(dup == 0, "%d objects stored twice" % dup)
    bad = ru.sql("SELECT count(*) FROM stix_objects s WHERE coll='in:us' "
                 "AND NOT EXISTS (SELECT 1 FROM msgs m WHERE m.id = s.msg "
                 "AND m.dir = 1 AND m.kind = 'stix-bundle')")[0][0]
    check(bad == 0, "%d objects without their message" % bad)

    # 3. nothing new: a restart settles (link up, nothing to send) fast.
    total = us.sql("SELECT count(*) FROM msgs WHERE dir=0")[0][0]
    us.stop()
    t0 = time.monotonic()
    us.start()
    us.wait_link_up("ru")
    hlib.wait_until(lambda: us.delivered_count("ru") == total, 5,
                    "nothing pending")
    dt = time.monotonic() - t0
    log("restart with nothing new: settled in %.3fs" % dt)
    check(dt < 1.0 * hlib.scaled(1), "sync with nothing new took %.2fs" % dt)
    check(in_count(ru) == 2 * N, "count changed")


if __name__ == "__main__":
    hlib.main(test)
