"""test_kill_sender: accepted messages survive SIGKILL of the sender.

Part 1: with ru stopped, us accepts 200 messages (they stay queued); us is
killed with SIGKILL; ru is started, then us again: all 200 are delivered
exactly once, in order.

Part 2: with both up, us is killed with SIGKILL in the middle of a stream
of 400 and restarted; the rest is sent after the restart: all 400 are
delivered exactly once, in order (the nrrc/priority stream, so the two
parts use different streams of the same pair)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log  # noqa: E402

N1 = 200
N2 = 400


def test(env):
    us, ru = env.pair("us", "ru", start=False)

    # Part 1: queued while the receiver is down.
    us.start()
    for i in range(1, N1 + 1):
        us.send("ru", {"n": i, "text": "queued %d" % i})
    queued = us.list_all(dir="out", peer="ru")
    check(len(queued) == N1 and all(m["state"] == "queued" for m in queued),
          "with ru down, not all %d messages are queued: %s" % (
              N1, sorted({m["state"] for m in queued})))
    us.kill9()
    log("us accepted %d with ru down; killed us (SIGKILL)" % N1)
    ru.start()
    us.start()
    hlib.wait_delivered(us, ru, N1, hlib.scaled(30))
    hlib.check_stream(us, ru, N1)
    log("part 1: %d delivered exactly once, in order" % N1)

    # Part 2: the sender dies in the middle of a live stream.
    us.wait_link_up("ru")
    kw = {"channel": "nrrc", "kind": "notification",
          "precedence": "priority"}
    n = 0
    while n < N2:
        n += 1
        us.send("ru", {"n": n, "text": "live %d" % n}, **kw)
        if n == N2 // 2:
            held = ru.sql("SELECT count(*) FROM msgs WHERE dir=1 AND "
                          "channel=2")[0][0]
            us.kill9()
            log("accepted %d, ru held %d: killed us (SIGKILL)" % (n, held))
            us.start()
    hlib.wait_delivered(us, ru, N1 + N2, hlib.scaled(60))
    hlib.check_stream(us, ru, N2, channel="nrrc", precedence="priority")
    hlib.check_stream(us, ru, N1)
    check(ru.sql("SELECT count(*) FROM msgs")[0][0] == N1 + N2,
          "ru holds %d rows, not %d" % (ru.sql("SELECT count(*) FROM msgs")
                                        [0][0], N1 + N2))
    log("part 2: %d delivered exactly once, in order" % N2)


if __name__ == "__main__":
    hlib.main(test)
