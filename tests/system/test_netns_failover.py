"""test_netns_failover: the primary address of a peer that has a backup
address fails; the link must fail over by itself, say so in the log, and
carry the stream on over the backup path. Two nodes in their own network
namespaces (see hnetns.py), joined by two veth pairs: p0 (primary,
10.231.1.1 <-> 10.231.1.2) and b0 (backup, 10.231.2.1 <-> 10.231.2.2).
us pins ru with `address = 10.231.1.2:7443` then `address = 10.231.2.2:7443`;
both listen on 0.0.0.0:7443 inside their namespaces.

Two scenarios, each with fresh nodes and a 10,000-message stream us -> ru
through POST /v1/messages/batch: 3,000 over the primary path, 4,000 right
after p0 goes down, 3,000 once the link is up over the backup path.
- near: ru also dials us (primary then backup); us's end of p0 goes down,
  so us's redial of the primary fails at once (no route).
- far: ru only accepts; ru's end of p0 goes down, so us's redial of the
  primary hangs on a path without carrier until handshake_timeout.
The link is up first via the primary address; after the failure a log says
"failing over to address <backup>" and "link to ... up via <backup> (backup
address)", /v1/peers shows the backup address, and the link is up on both
sides within FAILOVER_BOUND of the failure: dead_after 3s (+ up to one
heartbeat, 1s) to notice, one dial of the primary that fails at once or
after handshake_timeout 3s, then an immediate dial of the backup: 7 s, plus
a margin, 10 s (stretched for sanitizer builds). Measured here: near about
3.8 s, far about 6.9 s. In the end ru holds seqs 1..10000 exactly once, in
order, with us's ids, and every message is delivered (receipt back at us).
Restoring the primary path afterwards must not disturb the link.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
import hnetns  # noqa: E402
from hlib import check, log  # noqa: E402

BEFORE, DURING, AFTER = 3000, 4000, 3000
FAILOVER_BOUND = 10.0


def addr(ip):
    return "%s:%d" % (ip, hnetns.PORT)


def scenario(env, netns, name, far):
    """One failover. far false: both nodes dial (primary then backup) and
    us's end of p0 goes down, so us's dials of the primary fail at once
    (no route). far true: ru only accepts, so us alone must find the way,
    and ru's end of p0 goes down, so us's dial of the primary hangs on a
    path without carrier until handshake_timeout."""
    P, B = hnetns.PRIMARY, hnetns.BACKUP
    us, ru = hnetns.make_pair(env, netns, ([P[1], B[1]],
                                           [] if far else [P[0], B[0]]),
                              suffix="-" + name)
    check(us.peer("ru").get("addresses") == [addr(P[1]), addr(B[1])],
          "us's /v1/peers addresses for ru: %r" % us.peer("ru"))
    up_primary = (hnetns.log_lines(us, "link to ru up via %s " % addr(P[1]),
                                   "(primary address)") +
                  hnetns.log_lines(ru, "link to us up via %s " % addr(P[0]),
                                   "(primary address)"))
    check(up_primary, "neither side logged the link up via its primary "
          "address")
    log("[%s] first up: %s" % (name, up_primary[0].strip()))

    st = hnetns.Stream(us, "ru", "failover " + name)
    st.send(BEFORE)
    hlib.wait_until(lambda: st.delivered() >= BEFORE // 2, hlib.scaled(30),
                    "half the first part delivered over the primary path")

    mark_us, mark_ru = hnetns.log_mark(us), hnetns.log_mark(ru)
    failed_ns = netns.b if far else netns.a
    netns.link_set(failed_ns, "p0", "down")
    t_fail = time.monotonic()
    st.send(DURING)
    bound = hlib.scaled(FAILOVER_BOUND)

    def on_backup():
        pu, pr = us.peer("ru"), ru.peer("us")
        return (pu.get("state") == "up" and pr.get("state") == "up" and
                (pu.get("address") == addr(B[1]) or
                 pr.get("address") == addr(B[0]) or
                 str(pr.get("address")).startswith(B[0] + ":")))
    hlib.wait_until(on_backup, bound, "the link up over the backup "
                    "addresses within %.0fs of the primary failing" % bound,
                    interval=0.05)
    t_over = time.monotonic() - t_fail
    log("[%s] failed over in %.2fs (bound %.0fs): us sees ru at %s, ru sees "
        "us at %s" % (name, t_over, bound, us.peer("ru").get("address"),
                      ru.peer("us").get("address")))

    # Only what was logged after the failure counts (a node started
    # before its peer listens may fail over at start-up already).
    fo = (hnetns.log_lines(us, "peer ru: failing over to address %s" %
                           addr(B[1]), since=mark_us) +
          hnetns.log_lines(ru, "peer us: failing over to address %s" %
                           addr(B[0]), since=mark_ru))
    check(fo, "neither side logged 'failing over to address <backup>'")
    up_backup = (hnetns.log_lines(us, "link to ru up via %s " % addr(B[1]),
                                  "(backup address)", since=mark_us) +
                 hnetns.log_lines(ru, "link to us up via %s " % addr(B[0]),
                                  "(backup address)", since=mark_ru))
    check(up_backup, "neither side logged the link up via its backup "
          "address")
    if far:
        check(hnetns.log_lines(us, "failing over", since=mark_us) and
              hnetns.log_lines(us, "(backup address)", since=mark_us),
              "us, the only dialler, did not log its failover")
    for ln in fo[:2] + up_backup[:2]:
        log("[%s] logged: %s" % (name, ln.strip()))

    st.send(AFTER)
    hlib.wait_delivered(us, ru, hnetns.N, hlib.scaled(60))
    log("[%s] all %d delivered %.1fs after the primary failed" % (
        name, hnetns.N, time.monotonic() - t_fail))
    st.verify(ru)

    # The primary comes back: the link (on the backup path) stays up and
    # the stream stays whole; a few more messages still get through.
    netns.link_set(failed_ns, "p0", "up")
    for i in range(10):
        us.send("ru", {"n": hnetns.N + i + 1, "text": "after restore"},
                channel="direct")
    hlib.wait_until(lambda: st.delivered() >= hnetns.N + 10,
                    hlib.scaled(20), "10 more delivered after the primary "
                    "came back", interval=0.1)
    hlib.check_stream(us, ru, hnetns.N)
    log("[%s] 10000 delivered exactly once, in order, across the failover"
        % name)
    us.stop()
    ru.stop()


def test(env, netns):
    netns.veth("p0", hnetns.PRIMARY)
    netns.veth("b0", hnetns.BACKUP)
    scenario(env, netns, "near", far=False)
    scenario(env, netns, "far", far=True)


if __name__ == "__main__":
    hnetns.run(test)
