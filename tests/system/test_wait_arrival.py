"""test_wait_arrival: GET /v1/messages/{id}?wait=delivered on the receiving
node for a whole id that is not there yet waits for the message to arrive.

us accepts a message while ru is down, then stops too; ru starts alone and
a client asks ru for that id with wait=delivered: the request stays open
(no answer for 1 s) until us starts, the link comes up and the message is
committed at ru; the answer is then 200 with the message inbound and
"delivered". A wait for an id that never comes ends with 404 at its
timeout, and a whole id that is not hex is refused at once (400). The same
wait from a watch officer's account (HTTPS, nrrc and check channels only)
for a direct-line message is refused when it arrives (403), not before,
since only then is its channel known."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
import hweb  # noqa: E402
from hlib import check, log  # noqa: E402


PW = "correct horse battery"


def test(env):
    us, ru, ivan = hweb.pair_with_officer(env, "ivan", PW)
    ru.stop()
    mid = us.send("ru", {"text": "on its way"}, channel="direct",
                  precedence="flash")
    us.stop()
    ru.start()

    got, denied = {}, {}
    # The longest wait the API allows (60 s), whatever the scale.
    path = "/v1/messages/%s?wait=delivered&timeout=60000" % mid

    def waiter():
        t0 = time.monotonic()
        got["status"], got["msg"] = ru.api("GET", path, expect=None,
                                           timeout=70)
        got["secs"] = time.monotonic() - t0

    def officer():
        t0 = time.monotonic()
        denied["status"], _, denied["msg"] = ivan.request("GET", path)
        denied["secs"] = time.monotonic() - t0

    ths = [threading.Thread(target=waiter), threading.Thread(target=officer)]
    for th in ths:
        th.start()
    time.sleep(1.0)
    check(all(th.is_alive() for th in ths), "a wait for an absent id "
          "answered at once: %r %r" % (got, denied))
    log("ru holds the requests for %s; starting us" % mid[:12])
    us.start()
    for th in ths:
        th.join(70)
    check(not any(th.is_alive() for th in ths),
          "a wait did not end after the message came")
    check(got["status"] == 200, "wait answered %r" % got)
    check(denied["status"] == 403 and denied["secs"] >= 1.0,
          "a watch officer waiting for a direct-line message: %r" % denied)
    m = got["msg"]
    check(m["id"] == mid and m["dir"] == "in" and m["state"] ==
          "delivered" and m["body"] == {"text": "on its way"},
          "the answer is not the arrived message: %r" % m)
    check(got["secs"] >= 1.0, "answered after %.2f s" % got["secs"])

    # An id that never comes: 404 at the timeout, not before.
    t0 = time.monotonic()
    st, _ = ru.api("GET", "/v1/messages/%s?wait=delivered&timeout=400" %
                   ("ab" * 32), expect=None)
    secs = time.monotonic() - t0
    check(st == 404 and secs >= 0.35, "absent id: HTTP %d after %.2f s" %
          (st, secs))
    # Not hex: refused at once.
    st, _ = ru.api("GET", "/v1/messages/%s?wait=delivered" % ("zz" * 32),
                   expect=None)
    check(st == 400, "a non-hex id answered %d" % st)
    # timeout=0: answered at once, 404.
    st, _ = ru.api("GET", "/v1/messages/%s?wait=delivered&timeout=0" %
                   ("cd" * 32), expect=None)
    check(st == 404, "timeout=0 on an absent id answered %d" % st)


if __name__ == "__main__":
    hlib.main(test)
