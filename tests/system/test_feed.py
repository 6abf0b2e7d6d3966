"""test_feed: GET /v1/messages?after=CURSOR&wait=MS, a consumer's feed.

A request with nothing after its cursor is held (no answer for 1 s) and
answered by the commit that brings the next message, oldest first, with
the cursor to go on from. A watch officer's feed (HTTPS; nrrc and check
channels only) is not answered by a direct-line message, only by one it
may read, and its cursor then lies past both. A wait that finds nothing
ends with an empty page and the cursor it was given; limit pages oldest
first; wait without after, and after with before, are refused (400)."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
import hweb  # noqa: E402
from hlib import check, log  # noqa: E402


PW = "correct horse battery"


def held(fn, secs=1.0):
    """Run fn on a thread; check it is still waiting after secs. Returns
    (thread, result dict)."""
    out = {}

    def run():
        t0 = time.monotonic()
        out["r"] = fn()
        out["secs"] = time.monotonic() - t0

    th = threading.Thread(target=run)
    th.start()
    time.sleep(secs)
    check(th.is_alive(), "a feed with nothing new answered at once: %r" %
          out)
    return th, out


def test(env):
    us, ru, ivan = hweb.pair_with_officer(env, "ivan", PW)

    _, page = ru.api("GET", "/v1/messages?dir=in&after=0")
    check(page["messages"] == [] and page["next"] == "0",
          "a fresh node's feed: %r" % page)
    cur = page["next"]

    # Held until the next message is committed, then answered with it.
    th, out = held(lambda: ru.api(
        "GET", "/v1/messages?dir=in&after=%s&wait=60000" % cur,
        expect=None, timeout=70))
    mid = us.send("ru", {"text": "first"})
    th.join(70)
    check(not th.is_alive(), "the feed did not answer after a message")
    st, page = out["r"]
    check(st == 200 and [m["id"] for m in page["messages"]] == [mid] and
          page["messages"][0]["dir"] == "in", "feed answer %d %r" % (st,
          page))
    check(int(page["next"]) > int(cur), "the cursor did not move: %r" %
          page)
    cur = page["next"]
    log("feed answered in %.2f s with %s" % (out["secs"], mid[:12]))

    # A watch officer's feed: the direct line is not for it.
    th, out = held(lambda: ivan.request(
        "GET", "/v1/messages?after=%s&wait=60000" % cur))
    hidden = us.send("ru", {"text": "principals only"}, channel="direct",
                     precedence="flash")
    hlib.wait_until(lambda: ru.api("GET", "/v1/messages/%s" % hidden,
                                   expect=None)[0] == 200, 30,
                    "the direct-line message to arrive")
    time.sleep(0.5)
    check(th.is_alive(), "a watch officer's feed answered with a "
          "direct-line message: %r" % out)
    nid = us.send("ru", {"text": "notification"}, channel="nrrc")
    th.join(70)
    check(not th.is_alive(), "the officer's feed did not answer")
    st, _, page = out["r"]
    check(st == 200 and [m["id"] for m in page["messages"]] == [nid],
          "officer's feed answer %d %r" % (st, page))
    check(int(page["next"]) > int(cur) + 1, "the officer's cursor is not "
          "past the direct-line message: %r (was %s)" % (page, cur))
    cur = page["next"]

    # Nothing comes: an empty page at the end of the wait, same cursor.
    t0 = time.monotonic()
    _, page = ru.api("GET", "/v1/messages?after=%s&wait=400" % cur)
    secs = time.monotonic() - t0
    check(page == {"messages": [], "next": cur} and secs >= 0.35,
          "an empty wait: %r after %.2f s" % (page, secs))

    # Oldest first, a page at a time.
    ids = [us.send("ru", {"n": i}) for i in range(3)]
    hlib.wait_until(lambda: ru.api("GET", "/v1/messages/%s" % ids[-1],
                                   expect=None)[0] == 200, 30,
                    "three messages to arrive")
    _, p1 = ru.api("GET", "/v1/messages?dir=in&after=%s&limit=2" % cur)
    _, p2 = ru.api("GET", "/v1/messages?dir=in&after=%s&limit=2" %
                   p1["next"])
    got = [m["id"] for m in p1["messages"] + p2["messages"]]
    check(got == ids, "feed pages %r, sent %r" % (got, ids))

    for bad in ("/v1/messages?wait=100", "/v1/messages?after=1&before=5",
                "/v1/messages?after=x", "/v1/messages?after=0&wait=60001"):
        st, _ = ru.api("GET", bad, expect=None)
        check(st == 400, "%s answered %d" % (bad, st))


if __name__ == "__main__":
    hlib.main(test)
