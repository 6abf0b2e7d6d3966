"""test_wait_early: a client waiting for "delivered" is answered from the
verified receipt before the sender stores it (deliver.c, "Answering before
the record"), and that answer is the message exactly as a later GET shows
it once the receipt is stored.

Phase 1, single messages: 30 times, POST a message and GET it with
wait=delivered at once, then GET it again after the link has applied the
receipt; the two answers must be equal in every field (state, history with
its "sent" and "delivered" events, the receipt). Phase 2, a cumulative
receipt: ru is stopped, five messages wait at us with a client each (and a
sixth client waits for "acknowledged", which no receipt gives); ru starts,
and one receipt answers the five, each equal to its later GET, while the
sixth is still held. us's log must show answers given before the record
(a build without them fails here, not only on timing)."""

import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log  # noqa: E402

EARLY = "before storing them"


def wait_path(mid, state="delivered", ms=60000):
    return "/v1/messages/%s?wait=%s&timeout=%d" % (mid, state, ms)


def same_as_stored(us, mid, early):
    """The early answer must equal a GET after the receipt is stored."""
    hlib.wait_until(lambda: us.sql(
        "SELECT count(*) FROM msgs m JOIN msgs_out o ON o.rid = m.rid "
        "WHERE m.id = ? AND o.receipt IS NOT NULL", (mid,))[0][0] == 1,
        hlib.scaled(10), "the receipt of %s stored" % mid[:12])
    later = us.get("/v1/messages/" + mid)
    check(early == later, "the answer before the record differs from the "
          "stored message:\n%s\n%s" % (json.dumps(early, sort_keys=True),
                                       json.dumps(later, sort_keys=True)))
    check(early["state"] == "delivered" and early["receipts"] and
          [e["event"] for e in early["history"]] ==
          ["accepted", "sent", "delivered"],
          "not a delivered message with its receipt: %r" % early)


def test(env):
    us, ru = env.pair("us", "ru")
    for i in range(30):
        mid = us.send("ru", {"n": i}, channel="nrrc" if i % 3 else "cert")
        early = us.get(wait_path(mid))
        same_as_stored(us, mid, early)
    n1 = us.log_text().count(EARLY)
    log("phase 1: %d of 30 answered before the record" % n1)

    ru.stop()
    ids = [us.send("ru", {"n": 100 + i}) for i in range(5)]
    acked_id = us.send("ru", {"n": 200})
    got = {}

    def waiter(key, path):
        got[key] = us.api("GET", path, expect=None, timeout=70)

    ths = [threading.Thread(target=waiter, args=(mid, wait_path(mid)))
           for mid in ids]
    ths.append(threading.Thread(target=waiter, args=(
        "acked", wait_path(acked_id, "acknowledged", 30000))))
    for th in ths:
        th.start()
    time.sleep(0.5)
    check(not got, "answered while ru is down: %r" % got)
    ru.start()
    for th in ths[:5]:
        th.join(hlib.scaled(30))
    check(all(mid in got for mid in ids), "not every waiter answered: %r" %
          sorted(got))
    for mid in ids:
        st, early = got[mid]
        check(st == 200, "wait for %s answered %d" % (mid[:12], st))
        same_as_stored(us, mid, early)
    check("acked" not in got, "a wait for acknowledged was answered by a "
          "receipt: %r" % got.get("acked"))
    n2 = us.log_text().count(EARLY) - n1
    log("phase 2: %d answers before the record" % n2)
    check(n1 + n2 > 0, "no answer was given before the record (%r not in "
          "us's log)" % EARLY)
    # The sixth waits on; acknowledge it from ru to end it.
    ru.post("/v1/messages/%s/ack" % acked_id, {})
    ths[5].join(hlib.scaled(30))
    st, m = got.get("acked", (None, None))
    check(st == 200 and m["state"] == "acknowledged", "the wait for "
          "acknowledged: %r" % (got.get("acked"),))


if __name__ == "__main__":
    hlib.main(test)
