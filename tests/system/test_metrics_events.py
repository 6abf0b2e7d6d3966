#!/usr/bin/env python3
"""test_metrics_events: /metrics and /v1/events (issue 8).

/metrics must parse as the Prometheus text format 0.0.4 (a strict small
parser below: HELP/TYPE before samples, valid names and labels, float
values, no duplicate series, counters named *_total) and its figures must
move with traffic: messages sent by us and received by ru, link state and
RTT, queue depth while ru is down, overdue counts, login counters over
HTTPS.

/v1/events must stream Server-Sent Events: a hello on connecting, a
"messages" event soon after a message is accepted or arrives, "peers"
events when a link goes down; over HTTPS only with credentials.
"""

import re
import socket
import time

import hlib
import hweb
from hlib import check, log, scaled

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"'
SAMPLE = re.compile(r"^(%s)(\{(.*)\})? (\S+)( -?\d+)?$" % NAME)


def parse_prom(text):
    """{(name, frozenset(labels)): value}, {family: type}; fails the test
    on anything outside the text format."""
    types, helps, series = {}, {}, {}
    check(text.endswith("\n"), "exposition does not end with a newline")
    for ln in text.split("\n")[:-1]:
        if ln.startswith("#"):
            m = re.match(r"^# (HELP|TYPE) (%s) (.*)$" % NAME, ln)
            if not m:
                check(not ln.startswith("# HELP") and
                      not ln.startswith("# TYPE"), "bad comment %r" % ln)
                continue
            kind, fam, rest = m.groups()
            if kind == "TYPE":
                check(rest in ("counter", "gauge", "histogram", "summary",
                               "untyped"), "bad type %r" % ln)
                check(fam not in types, "TYPE twice for %s" % fam)
                types[fam] = rest
            else:
                check(fam not in helps, "HELP twice for %s" % fam)
                helps[fam] = rest
            continue
        check(ln.strip() != "", "blank line in exposition")
        m = SAMPLE.match(ln)
        check(m is not None, "bad sample line %r" % ln)
        name, _, labels, value = m.group(1), m.group(2), m.group(3), m.group(4)
        check(name in types, "sample %s before its TYPE" % name)
        lab = []
        if labels:
            rest = labels
            while rest:
                lm = re.match(LABEL + r"(,|$)", rest)
                check(lm is not None, "bad labels in %r" % ln)
                lab.append((lm.group(1), lm.group(2)))
                rest = rest[lm.end():]
            check(len(set(k for k, _ in lab)) == len(lab),
                  "duplicate label in %r" % ln)
        try:
            v = float(value)
        except ValueError:
            check(value in ("NaN", "+Inf", "-Inf"), "bad value %r" % ln)
            v = float(value.replace("Inf", "inf"))
        key = (name, frozenset(lab))
        check(key not in series, "duplicate series %r" % ln)
        series[key] = v
    for fam, t in types.items():
        if t == "counter":
            check(fam.endswith("_total"), "counter %s not *_total" % fam)
    return series, types


def metric(series, name, **labels):
    return series.get((name, frozenset(labels.items())))


def scrape(node):
    st, j = None, None
    c = hlib.UnixHTTPConnection(node.sock, scaled(10))
    try:
        c.request("GET", "/metrics")
        r = c.getresponse()
        body = r.read().decode()
        check(r.status == 200, "/metrics: %d %s" % (r.status, body[:200]))
        check(r.getheader("Content-Type", "").startswith(
              "text/plain; version=0.0.4"), "content type %r" %
              r.getheader("Content-Type"))
    finally:
        c.close()
    return parse_prom(body)[0]


class SSE:
    """A raw event-stream reader over the Unix socket."""

    def __init__(self, node):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(scaled(10))
        self.s.connect(node.sock)
        self.s.sendall(b"GET /v1/events HTTP/1.1\r\nHost: x\r\n"
                       b"Accept: text/event-stream\r\n\r\n")
        self.buf = b""

    def events(self, timeout):
        """Read for up to timeout seconds; return the event names seen."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.s.settimeout(max(0.05, end - time.monotonic()))
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                break
            if not d:
                break
            self.buf += d
        names = re.findall(rb"\nevent: ([a-z]+)\n", self.buf)
        return [n.decode() for n in names], self.buf

    def wait_for(self, name, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            names, raw = self.events(0.2)
            if name in names:
                return raw
        raise hlib.TestFailure("no %r event within %.0fs: %r" %
                               (name, timeout, self.buf[-600:]))

    def reset(self):
        self.buf = b""

    def close(self):
        self.s.close()


def test(env):
    us = env.node("us").init()
    ru = env.node("ru").init()
    us.add_peer(ru)
    ru.add_peer(us)
    hweb.enable_https(us)
    hlib.conf_set(us.conf, "link", {"checkpoint_interval": "1s"})
    us.start()
    ru.start()
    us.wait_link_up("ru")
    hweb.add_account(us, "prom", "auditor", "scrape password")

    m0 = scrape(us)
    check(metric(m0, "hotline_peer_up", peer="ru") == 1, "peer_up != 1")
    check(metric(m0, "hotline_info", party="us", version="0.1.0") == 1,
          "hotline_info")
    out0 = metric(m0, "hotline_messages_total", channel="nrrc", dir="out")
    check(out0 == 0, "nrrc out at start: %r" % out0)

    # The event stream: hello, then a messages event after a send.
    sse = SSE(us)
    raw = sse.wait_for("hello", scaled(5))
    check(b"Content-Type: text/event-stream" in raw and b"retry: 2000" in raw,
          "stream head: %r" % raw[:400])
    sse.reset()
    t0 = time.monotonic()
    ids = [us.send("ru", {"n": i}, channel="nrrc", kind="notification",
                   precedence="flash") for i in range(5)]
    sse.wait_for("messages", scaled(3))
    log("messages event %.0f ms after the first send" %
        ((time.monotonic() - t0) * 1000))
    hlib.wait_until(lambda: all(us.get("/v1/messages/" + i)["state"] ==
                                "delivered" for i in ids), scaled(15),
                    "delivered")
    # An arrival at ru is an event at ru too.
    sse_ru = SSE(ru)
    sse_ru.wait_for("hello", scaled(5))
    sse_ru.reset()
    us.send("ru", {"n": 99}, channel="check", kind="ping")
    sse_ru.wait_for("messages", scaled(5))
    sse_ru.close()

    m1 = scrape(us)
    check(metric(m1, "hotline_messages_total", channel="nrrc", dir="out") ==
          5, "nrrc out after 5 sends: %r" %
          metric(m1, "hotline_messages_total", channel="nrrc", dir="out"))
    check(metric(m1, "hotline_messages", channel="nrrc", dir="out",
                 state="delivered") == 5, "delivered gauge")
    hlib.wait_until(lambda: (metric(scrape(us), "hotline_peer_rtt_seconds",
                                    peer="ru") or 0) > 0, scaled(5),
                    "an RTT after a heartbeat")
    # The transparency log grows with traffic; checkpoints are cosigned.
    check(metric(m1, "hotline_tlog_leaves") >= 5, "tlog leaves: %r" %
          metric(m1, "hotline_tlog_leaves"))
    hlib.wait_until(lambda: metric(scrape(us), "hotline_checkpoint_age_seconds",
                                   cosigned="true") is not None, scaled(10),
                    "a cosigned checkpoint")
    m1b = scrape(us)
    check(metric(m1b, "hotline_checkpoint_age_seconds", cosigned="false") <
          scaled(5) and metric(m1b, "hotline_witness_alarms_total") == 0,
          "checkpoint age / alarms: %r" % [
              (k, v) for k, v in m1b.items() if "checkpoint" in k[0]])
    r1 = scrape(ru)
    check(metric(r1, "hotline_messages_total", channel="nrrc", dir="in") ==
          5, "nrrc in at ru")
    check(metric(r1, "hotline_overdue_messages", channel="nrrc", precedence="flash") == 0,
          "overdue before any deadline")

    # Link down: a peers event, peer_up 0, and the queue grows.
    sse.reset()
    ru.stop()
    raw = sse.wait_for("peers", scaled(8))
    for i in range(3):
        us.send("ru", {"q": i}, channel="nrrc", kind="notification")
    hlib.wait_until(lambda: metric(scrape(us), "hotline_peer_up",
                                   peer="ru") == 0, scaled(10), "peer down")
    m2 = scrape(us)
    check(metric(m2, "hotline_peer_queue_depth", peer="ru") == 3,
          "queue depth: %r" % metric(m2, "hotline_peer_queue_depth",
                                     peer="ru"))
    check(metric(m2, "hotline_messages_total", channel="nrrc", dir="out") ==
          8, "nrrc out after 8")
    check(metric(m2, "hotline_store_bytes", file="db") > 0, "store bytes")
    sse.close()

    # Overdue: a flash received 11 minutes ago (its receipt time moved back
    # while ru is stopped) counts as overdue.
    import sqlite3
    db = sqlite3.connect(ru.db)
    db.execute("UPDATE msgs SET received = received - 660000 WHERE id = ?",
               (ids[0],))
    db.commit()
    db.close()
    ru.start()
    r2 = scrape(ru)
    check(metric(r2, "hotline_overdue_messages", channel="nrrc", precedence="flash") == 1,
          "overdue flash: %r" % metric(r2, "hotline_overdue_messages",
                                       channel="nrrc", precedence="flash"))
    us.wait_link_up("ru")

    # Over HTTPS: credentials needed; Basic works; counters move.
    h = hweb.Https(us)
    st, _, _ = h.request("GET", "/metrics")
    check(st == 401, "/metrics without credentials: %d" % st)
    st, _, _ = h.request("GET", "/v1/events")
    check(st == 401, "/v1/events without credentials: %d" % st)
    h.basic = "prom:scrape password"
    st, hdr, body = h.request("GET", "/metrics", raw=True)
    check(st == 200, "/metrics over HTTPS: %d" % st)
    s3, _ = parse_prom(body.decode())
    check(metric(s3, "hotline_https_logins_total", result="ok") >= 1 and
          metric(s3, "hotline_https_refused_total", reason="auth") >= 2,
          "https counters: %r" % {k: v for k, v in s3.items()
                                  if "https" in k[0]})


if __name__ == "__main__":
    hlib.main(test)
