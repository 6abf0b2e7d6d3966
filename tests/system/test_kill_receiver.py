"""test_kill_receiver: while 1,000 messages stream us -> ru, ru is killed
with SIGKILL three times (after about 200, 500 and 800 accepted) and
restarted each time. In the end ru holds seqs 1..1000 exactly once, in
order, with us's ids, and every us message is delivered: commit before
ack loses nothing and duplicates nothing."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log  # noqa: E402

N = 1000
KILL_AT = (200, 500, 800)


def test(env):
    us, ru = env.pair("us", "ru")
    kills = 0
    n = 0
    while n < N:
        n += 1
        us.send("ru", {"n": n, "text": "kill receiver %d" % n})
        if n in KILL_AT:
            held = ru.sql("SELECT count(*) FROM msgs WHERE dir=1")[0][0]
            ru.kill9()
            kills += 1
            log("accepted %d, ru held %d: killed ru (SIGKILL %d)" % (
                n, held, kills))
            # Keep accepting while ru is down.
            for _ in range(20):
                n += 1
                us.send("ru", {"n": n, "text": "kill receiver %d" % n})
            ru.start()
            log("ru restarted after %d accepted" % n)
    check(kills == 3, "ru was killed %d times" % kills)
    hlib.wait_delivered(us, ru, N, hlib.scaled(60))
    hlib.check_stream(us, ru, N)
    st = us.get("/v1/messages?dir=out&state=delivered&limit=1000")
    check(len(st["messages"]) == N, "API: %d delivered" %
          len(st["messages"]))
    log("all %d delivered exactly once, in order, across %d kills" % (N,
                                                                      kills))


if __name__ == "__main__":
    hlib.main(test)
