#!/usr/bin/env python3
"""test_hostile_peer.py: a peer holding a pinned key misbehaves; the daemon
closes the link, logs why with the peer's identity, stores nothing from the
bad frame, and goes on serving its API and its other links.

Nodes: us (the victim), ru (its key is pinned by us; the real ru daemon
never runs: evilpeer runs with ru's node directory instead) and fr, a
genuine peer linked to us the whole time. For every scenario of evilpeer
(tests/system/evilpeer.c):

  - us's log gets a "closing inbound connection from ru: REASON" line with
    the expected reason;
  - us's database holds exactly the messages evilpeer marked good-id and
    none it marked bad-id (read-only sqlite3);
  - afterwards us's API still answers, the link to fr is still up and a
    message us->fr is delivered.

The control scenario "good" proves the tool itself is right: its messages
are stored and acknowledged by receipts it verifies.

The last part, noread, queues many messages us->ru, then connects a peer
that never reads: us's resident memory must stay bounded and the link must
be closed by the dead-link timer (or the not-reading guard).
"""

import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log, scaled  # noqa: E402

EVILPEER = os.environ.get("EVILPEER", "")

LINK = dict(hlib.FAST_LINK)
LINK["handshake_timeout"] = "3s"

NOREAD_MSGS = int(os.environ.get("HOSTILE_NOREAD_MSGS", "20000"))
RSS_GROWTH_MAX_KIB = 64 * 1024

# scenario, extra args, what us must log as the reason (regex)
# Log lines are key=value (log.c): quotes inside msg="..." are escaped.
SCENARIOS = [
    ("bad-msg-sig", [], r"bad signature on nrrc/routine seq \d+"),
    ("bad-rcpt-sig", [], r"bad signature on receipt for nrrc/routine seq \d+"),
    # Batch signatures (docs/PROTOCOL.md): a plain message, a batch of 4,
    # a plain one in one read; one batch message forged.
    ("batch-bad-path", [], r"bad signature on nrrc/routine seq \d+"),
    ("batch-bad-index", [], r"bad signature on nrrc/routine seq \d+"),
    ("batch-bad-size", [], r"bad signature on nrrc/routine seq \d+"),
    ("batch-other-key", [], r"bad signature on nrrc/routine seq \d+"),
    ("batch-bad-sig", [], r"bad signature on nrrc/routine seq \d+"),
    ("replay", [], r"replayed nrrc/routine seq (\d+) \(holding \1\)"),
    ("gap", [], r"sequence gap on nrrc/routine: seq (\d+) after \d+"),
    ("oversize", [], r"bad frame header: frame too large"),
    ("oversize-body", [], r"malformed message: body too large"),
    ("truncated", [], r"malformed message: truncated"),
    ("truncated-eof", [], r"connection closed by peer"),
    ("unknown-type", [], r"unknown frame type 99"),
    ("garbage", [], r"bad frame header: frame too large"),
    ("wrong-party", [], r'peer with ru\'s key claims to be \\?"xx\\?"'),
    ("wrong-party", ["--claim", "fr"], r'peer with ru\'s key claims to be \\?"fr\\?"'),
    ("wrong-peer", [], r'peer thinks it talks to \\?"xx\\?"'),
    ("msg-before-hello", [], r"msg before HELLO"),
    ("spoof-from", [], r"message from fr to us on ru's link"),
    ("idle", [], r"handshake not completed within 3000 ms"),
    ("drip", [], r"handshake not completed within 3000 ms"),
]


def evil(us, ru, scenario, extra=(), timeout=60):
    """Run evilpeer against us with ru's identity; return (rc, stdout,
    good ids, bad ids)."""
    argv = [EVILPEER, "--dir", ru.dir, "--connect", us.addr, "--party",
            ru.party, "--peer", us.party, "--scenario", scenario] + list(extra)
    t0 = time.monotonic()
    cp = hlib.run(argv, timeout=scaled(timeout))
    out = cp.stdout
    for ln in out.splitlines():
        log("   ", ln)
    if cp.stderr.strip():
        log("    stderr:", cp.stderr.strip()[-2000:])
    good = re.findall(r"^evilpeer: good-id ([0-9a-f]{64})$", out, re.M)
    bad = re.findall(r"^evilpeer: bad-id ([0-9a-f]{64})$", out, re.M)
    log("    evilpeer %s exited %d after %.1fs" % (scenario, cp.returncode,
                                                   time.monotonic() - t0))
    return cp.returncode, out, good, bad


def inbound_ids(us, peer):
    return {r[0] for r in us.sql("SELECT id FROM msgs WHERE dir=1 AND "
                                 "peer=?", (peer,))}


def log_since(node, offset):
    return node.log_text()[offset:]


def close_lines(text, party):
    return re.findall(r"closing inbound connection from %s: (.*)" %
                      re.escape(party), text)


def still_serving(us, fr, tag):
    """us's API answers, its link to fr is up and carries a message."""
    st, j = us.api("GET", "/v1/status", expect=None)
    check(st == 200, "us's API does not answer after %s: %s %r" % (tag, st,
                                                                    j))
    check(us.running(), "us died during %s" % tag)
    us.wait_link_up("fr", timeout=scaled(10))
    mid = us.send("fr", {"text": "still alive after %s" % tag})
    hlib.wait_until(lambda: fr.sql("SELECT count(*) FROM msgs WHERE id=? "
                                   "AND dir=1", (mid,))[0][0] == 1,
                    scaled(10), "fr to receive us's message after %s" % tag)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    raise hlib.TestFailure("no VmRSS for %d" % pid)


def queue_bulk(us, to, n, batch=500):
    """Queue n messages us->to through POST /v1/messages/batch (one
    transaction per batch); returns the number accepted."""
    done = 0
    while done < n:
        k = min(batch, n - done)
        msgs = [{"to": to, "channel": "cert", "kind": "text",
                 "precedence": "routine",
                 "body": {"text": "bulk %d" % (done + i), "pad": "x" * 64}}
                for i in range(k)]
        r = us.post("/v1/messages/batch", {"messages": msgs})
        check(len(r.get("ids", [])) == k, "batch answered %r" % r)
        done += k
    return done


def test(env):
    check(EVILPEER and os.path.exists(EVILPEER), "EVILPEER is not set to "
          "the evilpeer binary")
    us = env.node("us").init(link=LINK)
    ru = env.node("ru").init(link=LINK)
    fr = env.node("fr").init(link=LINK)
    us.add_peer(ru, address=False)      # us only accepts ru
    ru.add_peer(us)                     # evilpeer pins us from here
    us.add_peer(fr)
    fr.add_peer(us)
    # Room for batches of 500 (the noread case queues through the batch
    # route), and enough connections for the scenarios' reconnects.
    hlib.conf_set(us.conf, "limits", {"api_max_request": "4194304",
                                      "peer_max_connections": "16"})
    us.start()
    fr.start()
    us.wait_link_up("fr")
    fr.wait_link_up("us")

    # The control case: the tool is right, its messages are stored.
    off = len(us.log_text())
    before = inbound_ids(us, "ru")
    rc, out, good, bad = evil(us, ru, "good", ["--count", "3"])
    check(rc == 0, "evilpeer good failed (exit %d)" % rc)
    check(len(good) == 3 and not bad, "good printed %d good ids" % len(good))
    check("all 3 messages acknowledged by signed receipt" in out,
          "evilpeer got no signed receipts")
    new = inbound_ids(us, "ru") - before
    check(new == set(good), "good: us stored %s, evilpeer sent %s" % (
        sorted(new), sorted(good)))
    hlib.wait_until(lambda: close_lines(log_since(us, off), "ru"),
                    scaled(5), "us to log the end of the good link")
    log("good: stored %d, us logged: %s" % (len(new), close_lines(
        log_since(us, off), "ru")))
    still_serving(us, fr, "good")

    # Mixed forms in one read: plain, a batch of 4, plain; all stored.
    off = len(us.log_text())
    before = inbound_ids(us, "ru")
    rc, out, good, bad = evil(us, ru, "batch-good")
    check(rc == 0, "evilpeer batch-good failed (exit %d)" % rc)
    check(len(good) == 6 and not bad, "batch-good printed %d good ids" %
          len(good))
    check("all 6 messages acknowledged by signed receipt" in out,
          "batch-good: evilpeer got no signed receipts")
    new = inbound_ids(us, "ru") - before
    check(new == set(good), "batch-good: us stored %s, evilpeer sent %s" % (
        sorted(new), sorted(good)))
    forms = us.sql("SELECT length(sig) FROM msgs WHERE dir=1 AND peer='ru' "
                   "AND id IN (%s) ORDER BY seq" % ",".join(
                       "'%s'" % i for i in good))
    check([f[0] for f in forms] == [64, 136, 136, 136, 136, 64],
          "batch-good: stored signature lengths %r" % forms)
    hlib.wait_until(lambda: close_lines(log_since(us, off), "ru"),
                    scaled(5), "us to log the end of the batch-good link")
    still_serving(us, fr, "batch-good")

    # One message us->ru waits, so bad-rcpt-sig can name a real message.
    pending = us.send("ru", {"text": "for the receipt test"}, channel="nrrc")

    failures = []
    for scenario, extra, want in SCENARIOS:
        tag = scenario + ("(%s)" % " ".join(extra) if extra else "")
        log("== %s" % tag)
        off = len(us.log_text())
        before = inbound_ids(us, "ru")
        nrcpt = us.sql("SELECT count(*) FROM receipts WHERE dir=1 AND "
                       "peer='ru'")[0][0]
        rc, out, good, bad = evil(us, ru, scenario, extra)
        check(rc == 0, "evilpeer %s did not run its script (exit %d)" % (
            tag, rc))
        check("TLS TLSv1.3 up" in out, "%s: no TLS 1.3 link" % tag)
        try:
            lines = hlib.wait_until(
                lambda: close_lines(log_since(us, off), "ru"), scaled(10),
                "us to log why it closed ru's connection")
            check(any(re.search(want, ln) for ln in lines),
                  "%s: us closed with %r, expected /%s/" % (tag, lines,
                                                            want))
            log("   us logged: closing inbound connection from ru: %s" %
                lines[0])
            check(re.search(r"^evilpeer: ended: (eof|reset|broken pipe|"
                            r"tls error|socket error)", out, re.M) or
                  scenario == "truncated-eof",
                  "%s: evilpeer does not report the daemon closing the "
                  "connection" % tag)
            new = inbound_ids(us, "ru") - before
            check(not (new & set(bad)), "%s: us stored a bad message %s" %
                  (tag, sorted(new & set(bad))))
            check(new == set(good), "%s: us stored %s, expected exactly "
                  "the good ones %s" % (tag, sorted(new), sorted(good)))
            nr = us.sql("SELECT count(*) FROM receipts WHERE dir=1 AND "
                        "peer='ru'")[0][0]
            check(nr == nrcpt, "%s: us stored a receipt from ru" % tag)
            if scenario == "bad-rcpt-sig":
                row = us.sql("SELECT o.received, o.receipt FROM msgs m "
                             "JOIN msgs_out o ON o.rid = m.rid WHERE "
                             "m.id=?", (pending,))
                check(row == [(None, None)], "bad-rcpt-sig marked %s "
                      "delivered: %r" % (pending, row))
                check("a real message of the target's" in out,
                      "bad-rcpt-sig: evilpeer got no message to name")
            still_serving(us, fr, tag)
        except hlib.TestFailure as e:
            log("   FAILED: %s" % e)
            failures.append(str(e))
            check(us.running(), "us died during %s" % tag)
    check(not failures, "%d scenario(s) failed:\n  %s" % (
        len(failures), "\n  ".join(failures)))

    # noread: many messages queued for ru, and a peer that never reads.
    t0 = time.monotonic()
    n = queue_bulk(us, "ru", NOREAD_MSGS)
    log("queued %d messages us->ru in %.1fs" % (n, time.monotonic() - t0))
    check(n == NOREAD_MSGS, "queued only %d of %d" % (n, NOREAD_MSGS))
    pid = us.proc.pid
    rss0 = rss_kib(pid)
    peak = [rss0]
    stop = threading.Event()

    def sampler():
        while not stop.is_set():
            try:
                peak[0] = max(peak[0], rss_kib(pid))
            except (OSError, hlib.TestFailure):
                return
            time.sleep(0.05)

    th = threading.Thread(target=sampler)
    th.start()
    off = len(us.log_text())
    try:
        rc, out, good, bad = evil(us, ru, "noread", ["--count", "12"])
    finally:
        stop.set()
        th.join()
    check(rc == 0, "evilpeer noread failed (exit %d)" % rc)
    m = re.search(r"unread bytes in our receive queue: (\d+)", out)
    check(m and int(m.group(1)) > 0, "noread: us sent nothing to the peer "
          "that does not read")
    lines = hlib.wait_until(lambda: close_lines(log_since(us, off), "ru"),
                            scaled(10), "us to close the non-reading link")
    log("noread: us logged: %s" % lines)
    check(any(re.search(r"dead: no frame for \d+ ms|peer is not reading",
                        ln) for ln in lines),
          "noread: unexpected close reason %r" % lines)
    growth = peak[0] - rss0
    log("noread: RSS %d KiB before, peak %d KiB (growth %d KiB, bound %d)"
        % (rss0, peak[0], growth, RSS_GROWTH_MAX_KIB))
    check(growth < RSS_GROWTH_MAX_KIB, "us's RSS grew by %d KiB" % growth)
    sent = us.sql("SELECT count(*) FROM msgs_out WHERE peer='ru' AND "
                  "sent IS NOT NULL")[0][0]
    log("noread: us marked %d of %d queued messages sent before closing"
        % (sent, n))
    check(us.sql("SELECT count(*) FROM msgs_out WHERE peer='ru' AND "
                 "received IS NOT NULL")[0][0] == 0,
          "noread: messages marked delivered without a receipt")
    still_serving(us, fr, "noread")


if __name__ == "__main__":
    hlib.main(test)
