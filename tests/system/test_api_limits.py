"""test_api_limits: batch submission and the open-clients limit.

1. POST /v1/messages/batch accepts 500 messages in one request (one
   transaction): ids come back in order and all are delivered exactly once,
   in order. A batch with one bad element is refused with its index, and
   nothing of it is stored (all or none).
2. api_max_clients = 4: four clients holding keep-alive connections are
   served; a fifth gets a JSON 503 and is closed, while the four keep being
   served; once one of them leaves, a new client is admitted. Hitting the
   limit degrades service for that client only."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log  # noqa: E402

N = 500


def request(conn, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, body=data,
                 headers={"Content-Type": "application/json"} if data else {})
    r = conn.getresponse()
    raw = r.read()
    return r.status, json.loads(raw) if raw else None


def test(env):
    us = env.node("us").init()
    ru = env.node("ru").init()
    us.add_peer(ru)
    ru.add_peer(us)
    hlib.conf_set(us.conf, "limits", {"api_max_clients": "4",
                                      "api_max_request": "4194304"})
    us.start()
    ru.start()
    us.wait_link_up("ru")

    # 1. Batch.
    msgs = [{"to": "ru", "channel": "cert", "kind": "text",
             "precedence": "routine", "body": {"n": i}}
            for i in range(1, N + 1)]
    r = us.post("/v1/messages/batch", {"messages": msgs})
    ids = r["ids"]
    check(len(ids) == N and len(set(ids)) == N, "batch: %d ids" % len(ids))
    hlib.wait_delivered(us, ru, N, hlib.scaled(30))
    hlib.check_stream(us, ru, N)
    out = us.stream_rows(0, "ru")
    check([i for _, i in out] == ids, "batch ids are not in seq order")
    log("batch of %d accepted in one request, delivered in order" % N)

    before = us.sql("SELECT count(*) FROM msgs")[0][0]
    bad = [dict(msgs[0]), dict(msgs[1], precedence="urgent"), dict(msgs[2])]
    st, j = us.api("POST", "/v1/messages/batch", {"messages": bad},
                   expect=None)
    check(st == 400 and "messages[1]" in j.get("error", ""),
          "bad batch answered %s %r" % (st, j))
    check(us.sql("SELECT count(*) FROM msgs")[0][0] == before,
          "a refused batch stored something")
    st, j = us.api("POST", "/v1/messages/batch", {"messages": []},
                   expect=None)
    check(st == 400, "empty batch answered %s" % st)
    log("bad batch refused whole: %s" % j["error"])

    # 2. Open clients.
    held = []
    for i in range(4):
        c = hlib.UnixHTTPConnection(us.sock, hlib.scaled(10))
        st, _ = request(c, "GET", "/v1/status")
        check(st == 200, "client %d not served: %s" % (i, st))
        held.append(c)
    extra = hlib.UnixHTTPConnection(us.sock, hlib.scaled(10))
    st, j = request(extra, "GET", "/v1/status")
    check(st == 503 and "api_max_clients" in j.get("error", ""),
          "fifth client answered %s %r" % (st, j))
    extra.close()
    log("fifth client refused: %s" % j["error"])
    for i, c in enumerate(held):
        st, _ = request(c, "GET", "/v1/peers")
        check(st == 200, "held client %d not served at the limit" % i)
    held.pop().close()

    def admitted():
        c = hlib.UnixHTTPConnection(us.sock, hlib.scaled(10))
        try:
            st, _ = request(c, "GET", "/v1/status")
        finally:
            c.close()
        return st == 200
    hlib.wait_until(admitted, hlib.scaled(10), "a new client admitted "
                    "after one left")
    for c in held:
        c.close()
    check(us.running(), "us died")
    log("limit degrades only the client over it")


if __name__ == "__main__":
    hlib.main(test)
