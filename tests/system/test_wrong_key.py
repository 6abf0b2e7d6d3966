"""test_wrong_key: only the pinned key connects.

An impostor node calls itself "ru" but has its own key (its own `hotline
init`); it pins us's real key and dials us. us refuses it inside the TLS
handshake and logs the offered fingerprint; us stores nothing; the
impostor's messages stay undelivered. us, which pins the genuine ru's key
but is given the impostor's address, refuses the impostor when it dials it
too. Then the genuine ru connects and messages flow both ways."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log  # noqa: E402

NIMP = 5


def lines_with(node, *needles):
    return [ln for ln in node.log_text().splitlines()
            if all(n in ln for n in needles)]


def test(env):
    us = env.node("us").init()
    ru = env.node("ru").init()
    imp = env.node("ru", name="impostor").init()
    check(imp.fingerprint() != ru.fingerprint(), "impostor got ru's key")
    us.add_peer(ru, address=imp.addr)   # genuine key, impostor's address
    ru.add_peer(us)
    imp.add_peer(us)                    # the impostor pins us's real key
    fimp = imp.fingerprint()

    us.start()
    imp.start()
    before = us.sql("SELECT count(*) FROM msgs")[0][0]
    rbefore = us.sql("SELECT count(*) FROM receipts")[0][0]
    for i in range(NIMP):
        imp.send("us", {"text": "impostor %d" % i}, channel="nrrc",
                 kind="notification", precedence="flash")

    # us refuses the impostor's inbound connection in the handshake...
    hlib.wait_until(lambda: lines_with(us, "handshake from", fimp),
                    hlib.scaled(15), "us to log the impostor's inbound "
                    "handshake with its fingerprint")
    # ...and the impostor when us dials the impostor's address.
    hlib.wait_until(lambda: lines_with(us, "handshake to", fimp),
                    hlib.scaled(15), "us to log its outbound handshake "
                    "refusal with the impostor's fingerprint")
    inbound = lines_with(us, "handshake from", fimp)[0]
    outbound = lines_with(us, "handshake to", fimp)[0]
    log("us inbound:  " + inbound.strip())
    log("us outbound: " + outbound.strip())
    check("not pinned" in outbound or "failed" in outbound,
          "outbound refusal does not say why: %r" % outbound)
    # Let a few redial rounds happen; nothing may get through.
    time.sleep(hlib.scaled(2))
    check(not lines_with(us, "link to ru up"), "us brought a link up with "
          "the impostor: %r" % lines_with(us, "link to ru up"))
    check(not lines_with(imp, "link to us up"), "impostor got a link up")
    check(us.peer_state("ru") != "up", "us says ru is up")
    check(imp.peer_state("us") != "up", "impostor says us is up")
    check(us.sql("SELECT count(*) FROM msgs")[0][0] == before,
          "us stored messages while only the impostor was around")
    check(us.sql("SELECT count(*) FROM msgs WHERE sender='ru'")[0][0] == 0,
          "us holds messages from 'ru'")
    check(us.sql("SELECT count(*) FROM receipts")[0][0] == rbefore,
          "us stored receipts from the impostor")
    pend = imp.list_all(dir="out")
    check(len(pend) == NIMP and all(m["state"] in ("queued", "sent") and
                                    not m.get("receipt_id") for m in pend),
          "impostor's messages are not all undelivered: %r" %
          [m["state"] for m in pend])
    check(imp.delivered_count("us") == 0, "impostor holds receipts")
    imp.stop()

    # The genuine ru (which dials us at us's real address) connects fine.
    ru.start()
    us.wait_link_up("ru")
    ru.wait_link_up("us")
    a = ru.send("us", {"text": "genuine ru"}, channel="nrrc",
                kind="notification", precedence="flash")
    b = us.send("ru", {"text": "hello ru"}, channel="nrrc",
                kind="notification", precedence="flash")
    hlib.wait_delivered(ru, us, 1, hlib.scaled(15))
    hlib.wait_delivered(us, ru, 1, hlib.scaled(15))
    got = us.sql("SELECT id, sender FROM msgs WHERE dir=1")
    check(got == [(a, "ru")], "us holds %r, expected only ru's %s" % (got,
                                                                      a))
    check(ru.sql("SELECT id FROM msgs WHERE dir=1") == [(b,)],
          "ru did not get us's message")
    log("genuine ru connected and exchanged messages")


if __name__ == "__main__":
    hlib.main(test)
