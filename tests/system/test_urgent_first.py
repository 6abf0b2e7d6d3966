"""test_urgent_first: a FLASH message on the direct line overtakes bulk.

us queues 100,000 cert-channel messages (routine, ~200 bytes each) for ru
through the batch route while ru is down; ru starts and the bulk streams;
once 2,000 are delivered, us sends one FLASH message on the direct channel.
Stated bound: the flash message is delivered (its signed receipt back at
us) within 1 s of its acceptance (x3 under the sanitizers), while more
than 90% of the bulk is still undelivered, and ru receives it before the
last bulk message. The link
scheduler sends direct > nrrc > check > wg > cert, flash first within a
channel, keeps at most ~32 KiB of bulk in the link's output buffer (a
FLASH/IMMEDIATE message is queued without waiting for it to drain) and
~16 KiB unsent in the kernel (TCP_NOTSENT_LOWAT); the receiver reads up to
1 MiB ahead and applies FLASH/IMMEDIATE frames found anywhere in what it
has read before the bulk ahead of them. What remains ahead of the flash
message is the current read batch (at most 256 frames) and the bulk still
in the kernel's buffers (SO_RCVBUF 32 KiB, the sender's unsent data and
output), at the receiver's processing rate (bound by signature
verification and the insert): a few tens of milliseconds on this 2-core
machine (docs/BENCHMARKS.md has the figures)."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log  # noqa: E402

BULK = int(os.environ.get("URGENT_BULK", "100000"))
BATCH = 1000


def test(env):
    us = env.node("us").init()
    ru = env.node("ru").init()
    us.add_peer(ru)
    ru.add_peer(us)
    hlib.conf_set(us.conf, "limits", {"api_max_request": "16777216"})
    us.start(debug=False)

    t0 = time.monotonic()
    last = None
    for start in range(0, BULK, BATCH):
        msgs = [{"to": "ru", "channel": "cert", "kind": "stix-bundle",
                 "precedence": "routine",
                 "body": {"n": start + i, "pad": "x" * 160}}
                for i in range(BATCH)]
        last = us.post("/v1/messages/batch", {"messages": msgs},
                       timeout=hlib.scaled(60))["ids"][-1]
    log("queued %d bulk messages in %.1f s" % (BULK, time.monotonic() - t0))
    ru.start(debug=False)
    hlib.wait_until(lambda: us.delivered_count("ru") >= 2000,
                    hlib.scaled(60), "bulk streaming", interval=0.02)

    t1 = time.monotonic()
    fid = us.send("ru", {"text": "FLASH: principals, call now"},
                  channel="direct", kind="text", precedence="flash")
    _, m = us.api("GET", "/v1/messages/%s?wait=delivered&timeout=%d" % (
        fid, int(hlib.scaled(10) * 1000)), timeout=hlib.scaled(20))
    lat = time.monotonic() - t1
    held = us.delivered_count("ru")
    log("flash delivered %.1f ms after acceptance; %d of %d bulk delivered "
        "at that moment" % (lat * 1000, held, BULK))
    check(m["state"] in ("delivered", "acknowledged"),
          "flash not delivered within the wait: %s" % m["state"])
    check(lat <= hlib.scaled(1.0), "flash took %.3f s (bound 1 s)" % lat)
    check(held < BULK // 10, "the flash message waited until %d of the "
          "bulk was delivered" % held)

    # ru received the flash before the last bulk message, by ru's clock.
    hlib.wait_until(lambda: ru.sql("SELECT count(*) FROM msgs WHERE id=?",
                                   (last,))[0][0] == 1,
                    hlib.scaled(300), "the bulk to drain", interval=0.5)
    fr = ru.sql("SELECT received FROM msgs WHERE id=?", (fid,))[0][0]
    lr = ru.sql("SELECT received FROM msgs WHERE id=?", (last,))[0][0]
    check(fr < lr, "ru received the flash (%d) after the last bulk (%d)" %
          (fr, lr))
    log("bulk drained %.1f s after the flash" % (time.monotonic() - t1))
    hlib.wait_delivered(us, ru, BULK + 1, hlib.scaled(60))
    hlib.check_stream(us, ru, BULK)


if __name__ == "__main__":
    hlib.main(test)
