"""test_link_limits: peer_max_connections.

us has peer_max_connections = 4 and its link with ru up (ru dials: its
inbound connection comes from 127.0.0.1 too). Six raw TCP connections from
127.0.0.1 that never start TLS: those over the limit are closed at once and
logged; the others are closed by handshake_timeout. Throughout, the link to
ru stays up and delivers, and once the idle ones are gone new connections
are accepted again: the limit degrades only the connections over it."""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log  # noqa: E402


def closed_within(s, seconds):
    s.settimeout(seconds)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


def test(env):
    us = env.node("us").init()
    ru = env.node("ru").init()
    us.add_peer(ru)
    ru.add_peer(us)
    hlib.conf_set(us.conf, "limits", {"peer_max_connections": "4"})
    hlib.conf_set(us.conf, "link", {"handshake_timeout": "3s"})
    us.start()
    ru.start()
    us.wait_link_up("ru")
    ru.wait_link_up("us")
    port = us.port

    conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(6)]
    time.sleep(hlib.scaled(0.5))
    shut = [closed_within(s, 0.2) for s in conns]
    log("closed at once: %s" % shut)
    check(sum(shut) >= 2, "fewer than 2 of 6 idle connections refused at "
          "once: %s" % shut)
    check(not all(shut), "every idle connection was refused")
    hlib.wait_until(lambda: "peer_max_connections" in us.log_text(),
                    hlib.scaled(5), "refusal logged")
    check(us.peer_state("ru") == "up", "link to ru went down")
    us.send("ru", {"text": "still flowing"})
    hlib.wait_delivered(us, ru, 1, hlib.scaled(10))

    # The admitted idle ones are closed by handshake_timeout.
    t0 = time.monotonic()
    for s, was in zip(conns, shut):
        if not was:
            check(closed_within(s, hlib.scaled(8)),
                  "an idle connection outlived handshake_timeout")
    log("idle connections closed after %.1f s" % (time.monotonic() - t0))
    for s in conns:
        s.close()

    fresh = socket.create_connection(("127.0.0.1", port))
    check(not closed_within(fresh, 0.5), "a new connection is refused after "
          "the idle ones left")
    fresh.close()
    us.send("ru", {"text": "after"})
    hlib.wait_delivered(us, ru, 2, hlib.scaled(10))
    check(us.peer_state("ru") == "up", "link to ru went down")


if __name__ == "__main__":
    hlib.main(test)
