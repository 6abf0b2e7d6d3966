#!/usr/bin/env python3
"""test_api_hostile.py: hostile input on the local API (the Unix socket)
never crashes the daemon, stores nothing, and is answered with a 4xx JSON
error; many clients are served at once; stalled clients block nobody.

  1. oversized request body (> [limits] api_max_request): 413 with a JSON
     {"error"}; a message body over max_body inside a small request: 413;
  2. oversized headers (> 8 KiB request head): 431 with a JSON {"error"};
  3. malformed JSON, wrong types, unknown fields and parameters, bad ids
     (non-hex, too short, unknown), wrong methods and routes: each a 4xx
     with a JSON {"error": "..."}; nothing stored; the API still serves;
  4. 50 threads x 20 requests, all served (200/201);
  5. clients that send half a request and stall: the others' requests are
     timed while they stall and stay fast, and the stalled connections are
     closed by the daemon's HTTP timeout (30 s).

Refusals at the HTTP layer (head too large, body over the limit, unknown
method, malformed request line or header, bad Content-Length, chunked
bodies, HTTP versions other than 1.x) are made by the request guard
(src/http.c) before evhttp parses the request, so they too are JSON; the
test requires the exact status and the JSON body for each.
"""

import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log, scaled  # noqa: E402

MAX_REQUEST = 65536     # [limits] api_max_request default
NTHREADS = 50
NREQ = 20
NSTALL = 30
STALL_REAP_S = 40       # evhttp timeout in api.c is 30 s


def raw(sock_path, data, timeout=10.0, shut=True, until_close=False):
    """Send raw bytes on a new API connection and read until the server
    closes or (unless until_close) a whole response (by Content-Length)
    arrived. Returns (status or None, headers dict, body bytes, note)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(scaled(timeout))
    note = ""
    got = b""
    try:
        s.connect(sock_path)
        try:
            s.sendall(data)
            if shut:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError) as e:
            note = "send: %s" % type(e).__name__
        while True:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                note += " reset"
                break
            except socket.timeout:
                note += " timeout"
                break
            if not b:
                break
            got += b
            st, hdr, body = parse_response(got)
            if not until_close and st is not None and \
                    "content-length" in hdr and \
                    len(body) >= int(hdr["content-length"]):
                break
    finally:
        s.close()
    st, hdr, body = parse_response(got)
    return st, hdr, body, note.strip()


def parse_response(got):
    if b"\r\n\r\n" not in got:
        return None, {}, b""
    head, body = got.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        return None, {}, b""
    hdr = {}
    for ln in lines[1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            hdr[k.strip().lower()] = v.strip()
    return int(parts[1]), hdr, body


def request(method, path, body=b"", headers=None):
    """An HTTP/1.1 request with Connection: close."""
    h = {"Host": "localhost", "Connection": "close"}
    if body or method == "POST":
        h["Content-Type"] = "application/json"
        h["Content-Length"] = str(len(body))
    h.update(headers or {})
    head = "%s %s HTTP/1.1\r\n" % (method, path)
    head += "".join("%s: %s\r\n" % kv for kv in h.items())
    return head.encode() + b"\r\n" + body


def json_error(tag, st, body, lo=400, hi=499):
    """Check a 4xx answer with a JSON {"error": "..."} body."""
    check(st is not None and lo <= st <= hi, "%s: status %s, expected "
          "%d..%d; body %r" % (tag, st, lo, hi, body[:200]))
    try:
        j = json.loads(body)
    except ValueError:
        raise hlib.TestFailure("%s: %d with a non-JSON body %r" % (
            tag, st, body[:200]))
    check(isinstance(j, dict) and isinstance(j.get("error"), str) and
          j["error"], "%s: no {\"error\"} in %r" % (tag, j))
    return j["error"]


def msg_count(us):
    return us.sql("SELECT count(*) FROM msgs")[0][0]


def good_msg(**over):
    m = {"to": "ru", "channel": "nrrc", "kind": "notification",
         "precedence": "routine", "body": {"text": "hello"}}
    m.update(over)
    return m


def test(env):
    us = env.node("us").init()
    ru = env.node("ru").init()
    us.add_peer(ru, address=False)
    us.start()
    sock = us.sock
    defects = []

    def expect_status(tag, data, want):
        expect_json_4xx(tag, data, want, want)

    def expect_json_4xx(tag, data, lo=400, hi=499):
        st, hdr, body, note = raw(sock, data)
        try:
            err = json_error(tag, st, body, lo, hi)
            log("   %-34s -> %d %s" % (tag, st, err[:70]))
        except hlib.TestFailure as e:
            log("   %-34s -> FAILED: %s %s" % (tag, e, note))
            defects.append(str(e))
        check(us.running(), "us died on %s" % tag)

    before = msg_count(us)

    # 1. Oversized bodies.
    log("== oversized request bodies")
    big = json.dumps(good_msg(body={"pad": "x" * (MAX_REQUEST + 100)}))
    expect_status("body > api_max_request", request(
        "POST", "/v1/messages", big.encode()), 413)
    # Content-Length promising more than the limit, few bytes sent.
    expect_status("Content-Length > api_max_request", request(
        "POST", "/v1/messages", b"{}", {"Content-Length":
                                        str(MAX_REQUEST * 16)}), 413)
    mid = json.dumps(good_msg(body={"pad": "x" * 50000}))
    check(len(mid) < MAX_REQUEST, "test bug: request too large")
    expect_json_4xx("message body > max_body", request(
        "POST", "/v1/messages", mid.encode()), 413, 413)

    # 2. Oversized headers.
    log("== oversized headers")
    expect_status("one 20 KB header", request(
        "GET", "/v1/status", b"", {"X-Junk": "y" * 20000}), 431)
    expect_status("200 headers x 100 B", request(
        "GET", "/v1/status", b"", {"X-H%d" % i: "v" * 100
                                   for i in range(200)}), 431)

    # 3. Malformed requests, each a 4xx JSON error.
    log("== malformed JSON, wrong types, unknown fields, bad ids")
    bad_bodies = [
        ("truncated JSON", b'{"to": "ru", "channel": '),
        ("not JSON", b"hello"),
        ("JSON array", b"[1, 2, 3]"),
        ("JSON string", b'"to"'),
        ("empty body", b""),
        ("duplicate key", b'{"to": "ru", "to": "fr", "channel": "nrrc", '
                          b'"kind": "text", "body": {}}'),
        ("invalid UTF-8", b'{"to": "ru", "channel": "nrrc", "kind": "x", '
                          b'"body": {"t": "\xff\xfe"}}'),
        ("NUL escape in a field", b'{"to": "r\\u0000u", "channel": "nrrc",'
                                  b' "kind": "x", "body": {}}'),
        ("deep nesting", b'{"to": "ru", "channel": "nrrc", "kind": "x", '
                         b'"body": ' + b"[" * 30000 + b"]" * 30000 + b"}"),
        ("trailing garbage", json.dumps(good_msg()).encode() + b" xyz"),
    ]
    for tag, b in bad_bodies:
        expect_json_4xx(tag, request("POST", "/v1/messages", b))
    bad_fields = [
        ("to not a string", good_msg(to=5)),
        ("to null", good_msg(to=None)),
        ("to not a party id", good_msg(to="RU!")),
        ("to an unknown peer", good_msg(to="zz")),
        ("to itself", good_msg(to="us")),
        ("channel unknown", good_msg(channel="telex")),
        ("channel a number", good_msg(channel=2)),
        ("precedence unknown", good_msg(precedence="urgent")),
        ("kind invalid", good_msg(kind="Not A Kind")),
        ("kind too long", good_msg(kind="k" * 33)),
        ("body a string", good_msg(body="text")),
        ("body an array", good_msg(body=[1])),
        ("body missing", {k: v for k, v in good_msg().items()
                          if k != "body"}),
        ("exercise a string", good_msg(exercise="yes")),
        ("unknown field", good_msg(priority="high")),
        ("ref non-hex", good_msg(ref="zzzz")),
        ("ref too short", good_msg(ref="ab")),
        ("ref unknown", good_msg(ref="0" * 64)),
        ("ref a number", good_msg(ref=12345)),
    ]
    for tag, m in bad_fields:
        expect_json_4xx(tag, request("POST", "/v1/messages",
                                     json.dumps(m).encode()))
    bad_paths = [
        ("show non-hex id", "GET", "/v1/messages/zzzzzz", b""),
        ("show too short id", "GET", "/v1/messages/ab", b""),
        ("show unknown id", "GET", "/v1/messages/" + "0" * 64, b""),
        ("show 65 hex digits", "GET", "/v1/messages/" + "a" * 65, b""),
        ("show id with %00", "GET", "/v1/messages/abcd%00ef", b""),
        ("ack non-hex id", "POST", "/v1/messages/xyz!/ack", b"{}"),
        ("ack unknown id", "POST", "/v1/messages/" + "1" * 64 + "/ack",
         b"{}"),
        ("ack unknown field", "POST", "/v1/messages/" + "1" * 64 + "/ack",
         b'{"nope": 1}'),
        ("list bad limit", "GET", "/v1/messages?limit=abc", b""),
        ("list limit 0", "GET", "/v1/messages?limit=0", b""),
        ("list huge limit", "GET",
         "/v1/messages?limit=99999999999999999999999", b""),
        ("list unknown param", "GET", "/v1/messages?foo=1", b""),
        ("list bad dir", "GET", "/v1/messages?dir=sideways", b""),
        ("list bad cursor", "GET", "/v1/messages?before=-1", b""),
        ("list duplicate param", "GET", "/v1/messages?limit=1&limit=2", b""),
        ("unknown route", "GET", "/v1/nothing", b""),
        ("no version", "GET", "/status", b""),
        ("path traversal", "GET", "/v1/../../etc/passwd", b""),
        ("DELETE status", "DELETE", "/v1/status", b""),
        ("PUT messages", "PUT", "/v1/messages", b"{}"),
        ("GET ack", "GET", "/v1/messages/" + "1" * 64 + "/ack", b""),
    ]
    for tag, method, path, b in bad_paths:
        expect_json_4xx(tag, request(method, path, b))

    # Not HTTP, or HTTP the API does not take: the guard's JSON refusals.
    for tag, data, want in [
            ("binary garbage", bytes(range(256)) * 4 + b"\r\n\r\n", 400),
            ("bad request line", b"HELLO THERE\r\n\r\n", 400),
            ("unknown method", b"BREW /v1/status HTTP/1.1\r\nHost: x\r\n\r\n",
             501),
            ("HTTP/9.9", b"GET /v1/status HTTP/9.9\r\n\r\n", 505),
            ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
            ("bad Content-Length", b"POST /v1/messages HTTP/1.1\r\n"
                                   b"Content-Length: -5\r\n\r\n{}", 400),
            ("two Content-Lengths", b"POST /v1/messages HTTP/1.1\r\n"
                                    b"Content-Length: 2\r\nContent-Length: 3"
                                    b"\r\n\r\n{}", 400),
            ("chunked body", b"POST /v1/messages HTTP/1.1\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n"
                             b"2\r\n{}\r\n0\r\n\r\n", 411),
            ("header without colon", b"GET /v1/status HTTP/1.1\r\n"
                                     b"Host x\r\n\r\n", 400),
            ("folded header", b"GET /v1/status HTTP/1.1\r\nX-A: 1\r\n"
                              b" folded\r\n\r\n", 400)]:
        expect_json_4xx(tag, data, want, want)

    # Pipelined requests on one connection, the last with Connection:
    # close: every answer arrives, in order (the guard frames requests by
    # Content-Length and must not lose or reorder bytes).
    pipe = (request("POST", "/v1/nothing", b"{}",
                    {"Connection": "keep-alive"}) +
            request("GET", "/v1/status", b"", {"Connection": "close"}))
    st, hdr, body, note = raw(sock, pipe, shut=False, until_close=True)
    check(st == 404 and body.count(b"HTTP/1.1 200 OK") == 1,
          "pipelined requests: first status %s, body %r" % (st, body[:200]))
    log("   pipelined 404 then 200: both answered")

    check(msg_count(us) == before, "bad requests stored %d message(s)" % (
        msg_count(us) - before))
    st, j = us.api("GET", "/v1/status", expect=None)
    check(st == 200, "the API does not serve after the bad requests")
    mid_ok = us.send("ru", {"text": "after the bad requests"})
    check(us.sql("SELECT count(*) FROM msgs WHERE id=?", (mid_ok,))[0][0]
          == 1, "the good message after the bad requests is not stored")
    log("   API still serves; nothing stored by the bad requests")

    # 4. Many concurrent clients.
    log("== %d threads x %d requests" % (NTHREADS, NREQ))
    results = []
    lock = threading.Lock()

    def worker(k):
        mine = []
        for i in range(NREQ):
            t0 = time.monotonic()
            try:
                if i % 2 == 0:
                    st, _ = us.api("GET", "/v1/status", expect=None,
                                   timeout=scaled(30))
                else:
                    st, _ = us.api("POST", "/v1/messages", good_msg(
                        body={"t": "c%d-%d" % (k, i)}), expect=None,
                        timeout=scaled(30))
            except Exception as e:     # noqa: BLE001
                st = repr(e)
            mine.append((st, time.monotonic() - t0))
        with lock:
            results.extend(mine)

    n0 = msg_count(us)
    t0 = time.monotonic()
    ts = [threading.Thread(target=worker, args=(k,)) for k in
          range(NTHREADS)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.monotonic() - t0
    bad = [r for r in results if r[0] not in (200, 201)]
    lat = sorted(r[1] for r in results)
    log("   %d requests in %.1fs; latency median %.0f ms, max %.0f ms; "
        "failures %d %s" % (len(results), wall, 1000 * lat[len(lat) // 2],
                            1000 * lat[-1], len(bad), bad[:3]))
    check(len(results) == NTHREADS * NREQ and not bad,
          "%d of %d concurrent requests failed: %s" % (
              len(bad), NTHREADS * NREQ, bad[:5]))
    check(msg_count(us) - n0 == NTHREADS * NREQ // 2,
          "concurrent POSTs stored %d, expected %d" % (
              msg_count(us) - n0, NTHREADS * NREQ // 2))

    # 5. Stalled clients do not block the others.
    log("== %d stalled clients" % NSTALL)
    stalled = []
    halves = [b'POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: '
              b'200\r\n\r\n{"to": "ru", ',
              b"GET /v1/sta",
              b"GET /v1/status HTTP/1.1\r\nHost: x\r\nX-Slow: "]
    try:
        for i in range(NSTALL):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(scaled(5))
            s.connect(sock)
            s.sendall(halves[i % len(halves)])
            stalled.append(s)
        lat = []
        for i in range(20):
            t0 = time.monotonic()
            st, _ = us.api("GET", "/v1/status", expect=None,
                           timeout=scaled(10))
            check(st == 200, "status during the stall: %s" % st)
            lat.append(time.monotonic() - t0)
            if i % 4 == 0:
                t0 = time.monotonic()
                us.send("ru", {"text": "during the stall %d" % i})
                lat.append(time.monotonic() - t0)
        log("   while %d clients stall: %d requests, max %.0f ms" % (
            NSTALL, len(lat), 1000 * max(lat)))
        check(max(lat) < scaled(1.0), "a request took %.2fs while clients "
              "stalled" % max(lat))
        # evhttp's timeout (API_TIMEOUT_S, 30 s) must reap them: a stalled
        # connection does not hold its slot for ever.
        t0 = time.monotonic()
        deadline = t0 + scaled(STALL_REAP_S)
        open_left = 0
        for s in stalled:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                while s.recv(4096):
                    pass
            except ConnectionResetError:
                pass
            except socket.timeout:
                open_left += 1
        log("   stalled connections closed by us within %.1fs; %d still "
            "open" % (time.monotonic() - t0, open_left))
        check(open_left == 0, "%d stalled connections still open after "
              "%ds" % (open_left, STALL_REAP_S))
    finally:
        for s in stalled:
            s.close()
    st, _ = us.api("GET", "/v1/status", expect=None)
    check(st == 200 and us.running(), "us is not serving at the end")
    check(not defects, "%d API answer(s) were wrong:\n  %s" % (
        len(defects), "\n  ".join(defects)))


if __name__ == "__main__":
    hlib.main(test)
