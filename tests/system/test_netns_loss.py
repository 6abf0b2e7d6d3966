"""test_netns_loss: 20% random packet loss, both directions, on the link
between two nodes in their own network namespaces (see hnetns.py).

us (namespace a, 10.231.1.1) streams 10,000 messages to ru (namespace b,
10.231.1.2) through POST /v1/messages/batch: 2,000 before the fault, 6,000
while nftables in namespace a drops 20% of the packets to and from ru at
random (numgen random mod 100 < 20, counted), 2,000 after the rules are
removed. Halfway through the middle part ru is restarted, so that a
connection and TLS handshake also cross the lossy path (the link must be
up again within UP_UNDER_LOSS, 30 s: a lost SYN costs 1 s, and a handshake
that misses handshake_timeout 3s is redialled). In the end ru holds seqs
1..10000 exactly once, in order, with us's ids, and every message is
delivered (receipt back at us).

The rules must have dropped packets, and messages must have been delivered
while they were in place. After the rules go, the link is up on both sides
within the stated bound hnetns.RECOVERY_BOUND (8 s, from heartbeat 1s,
dead_after 3s, reconnect_max 2s, handshake_timeout 3s) and the rest of the
stream is delivered.

Measured here (debug build, two cores): 10 s under loss, about 6,800
messages delivered at about 600 msg/s (the pace the test sends at), 130-160
packets dropped by the rules, link up again 0-0.2 s after ru's restart
under loss, link up at once after the rules go (it stays up through 20%
loss), the whole stream delivered 0.6 s later.
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
import hnetns  # noqa: E402
from hlib import check, log  # noqa: E402

BEFORE, DURING, AFTER = 2000, 6000, 2000
LOSS = 20       # percent
DEV = "p0"
LOSS_SECONDS = 10   # the middle part is sent over this long under loss
PACE_BATCHES = 20
UP_UNDER_LOSS = 30.0


def loss_rules(peer_ip):
    return ("table inet hlt {\n"
            " chain out { type filter hook output priority 0; policy accept;\n"
            "  ip daddr %s numgen random mod 100 < %d counter drop\n }\n"
            " chain in { type filter hook input priority 0; policy accept;\n"
            "  ip saddr %s numgen random mod 100 < %d counter drop\n }\n"
            "}\n" % (peer_ip, LOSS, peer_ip, LOSS))


def dropped(netns):
    cp = hnetns.must([netns.ip, "netns", "exec", netns.a, netns.nftcmd,
                      "list", "table", "inet", "hlt"])
    return sum(int(m) for m in re.findall(r"counter packets (\d+)",
                                          cp.stdout))


def test(env, netns):
    netns.veth(DEV, hnetns.PRIMARY)
    us, ru = hnetns.make_pair(env, netns, ([hnetns.PRIMARY[1]],
                                           [hnetns.PRIMARY[0]]))
    st = hnetns.Stream(us, "ru", "loss")
    st.send(BEFORE)
    hlib.wait_until(lambda: st.delivered() >= BEFORE // 2, hlib.scaled(30),
                    "half the first part delivered before the fault")

    netns.nft(netns.a, loss_rules(hnetns.PRIMARY[1]))
    t_fault = time.monotonic()
    d0 = st.delivered()
    log("%d%% loss on in namespace %s (%d delivered)" % (LOSS, netns.a, d0))
    # Pace the middle part over LOSS_SECONDS so that the lossy link carries
    # a stream of small and large writes, heartbeats and receipts, then
    # keep the loss until all of it is delivered (or at least half of it
    # where the lossy link is slow).
    step = DURING // PACE_BATCHES
    for i in range(PACE_BATCHES):
        st.send(step)
        time.sleep(LOSS_SECONDS / PACE_BATCHES)
        if i == PACE_BATCHES // 2:
            # A new connection and TLS handshake across the lossy path.
            log("restarting ru under loss (%d delivered)" % st.delivered())
            ru.restart()
            t_r = hnetns.wait_up_both(us, ru, hlib.scaled(UP_UNDER_LOSS),
                                      "link up again after ru's restart "
                                      "under loss")
            log("link up %.2fs after ru's restart under loss" % t_r)
    target = BEFORE + DURING // 2
    hlib.wait_until(lambda: st.delivered() >= target, hlib.scaled(60),
                    "%d delivered under %d%% loss" % (target, LOSS),
                    interval=0.2)
    deadline = time.monotonic() + hlib.scaled(LOSS_SECONDS)
    while st.delivered() < BEFORE + DURING and time.monotonic() < deadline:
        time.sleep(0.2)
    d1 = st.delivered()
    drops = dropped(netns)
    t_lossy = time.monotonic() - t_fault
    log("under loss for %.1fs: %d delivered (%.0f msg/s), %d packets "
        "dropped" % (t_lossy, d1 - d0, (d1 - d0) / t_lossy, drops))
    check(drops > 0, "the nftables rules dropped no packet")
    check(d1 > d0, "nothing delivered under loss")

    hnetns.must([netns.ip, "netns", "exec", netns.a, netns.nftcmd,
                 "delete", "table", "inet", "hlt"])
    t_clear = time.monotonic()
    rec = hnetns.wait_up_both(us, ru, hlib.scaled(hnetns.RECOVERY_BOUND),
                              "link up within %.0fs after the loss "
                              "cleared" % hlib.scaled(hnetns.RECOVERY_BOUND))
    log("loss cleared; link up on both sides %.2fs later" % rec)
    st.send(AFTER)
    hlib.wait_delivered(us, ru, hnetns.N, hlib.scaled(60))
    log("all %d delivered %.1fs after the loss cleared" % (
        hnetns.N, time.monotonic() - t_clear))
    st.verify(ru)
    flaps = len(hnetns.log_lines(us, "link to ru down"))
    log("link went down %d times at us during the test" % flaps)
    log("10000 delivered exactly once, in order, through %d%% loss" % LOSS)


if __name__ == "__main__":
    hnetns.run(test, need_nft=True)
