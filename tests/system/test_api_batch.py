"""test_api_batch: POST /v1/messages/batch, parsed on the API worker thread.

The request is parsed and checked off the event loop, then stored on it in
one transaction. This test checks what must not change with that:

1. Errors: a malformed or wrong-shaped request, and a bad element (its
   index named; the first bad element in request order, whether the fault
   is found while parsing or, like a ref to no message, on the loop), are
   refused with the same messages as before, and nothing of a refused batch
   is stored (all or none), even when only the last of 1,000 is bad.
2. A batch of 1,000 and a single message posted while it is being prepared
   are both accepted; the batch's messages stay contiguous and in request
   order in their stream, the single message before or after them.
3. A client that hangs up right after sending a batch: the daemon goes on
   serving, and that batch is stored whole or not at all.
4. SIGTERM with a batch in flight: the daemon exits cleanly (exit status 0,
   no sanitizer report), and the batch is stored whole or not at all.
5. The body bytes stored and sent are the compact serialisation of the
   body whatever form the client wrote it in: bodies already compact are
   taken from the request as they stand (api.c load_request), the others
   are parsed and re-serialised; both on the batch and the single route,
   and the receiver stores the same bytes. The API's answers (one message,
   a page) give each body as sent."""

import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log  # noqa: E402

N = 1000


def msgs(n, tag, **kw):
    out = []
    for i in range(n):
        m = {"to": "ru", "channel": "cert", "kind": "text",
             "precedence": "routine", "body": {"tag": tag, "n": i,
                                               "pad": "x" * 200}}
        m.update(kw)
        out.append(m)
    return out


def raw_post(node, path, data):
    """Send a POST on a raw Unix socket without reading the answer."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(hlib.scaled(15))
    s.connect(node.sock)
    head = ("POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
            "application/json\r\nContent-Length: %d\r\n\r\n" %
            (path, len(data))).encode()
    s.sendall(head + data)
    return s


def read_answer(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        check(chunk, "connection closed before the answer")
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    status = int(head.split()[1])
    clen = 0
    for ln in head.split(b"\r\n")[1:]:
        k, _, v = ln.partition(b":")
        if k.strip().lower() == b"content-length":
            clen = int(v.strip())
    while len(body) < clen:
        chunk = s.recv(65536)
        check(chunk, "connection closed in the answer")
        body += chunk
    return status, json.loads(body[:clen])


def raw_api(node, data):
    c = hlib.UnixHTTPConnection(node.sock, hlib.scaled(15))
    try:
        c.request("POST", "/v1/messages/batch", body=data,
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, json.loads(r.read())
    finally:
        c.close()


def count(node):
    return node.sql("SELECT count(*) FROM msgs")[0][0]


def refused(node, body, status, error, raw=None):
    """The batch is refused with that status and error, and nothing is
    stored. A body given as an object is sent twice: as json.dumps writes
    it (bodies with spaces: parsed by jansson) and compactly (bodies taken
    from the request's bytes, api.c load_request): same answer."""
    before = count(node)
    answers = []
    if raw is None:
        answers.append(node.api("POST", "/v1/messages/batch", body,
                                expect=None))
        answers.append(raw_api(node, json.dumps(
            body, separators=(",", ":")).encode()))
    else:
        answers.append(raw_api(node, raw))
    for st, j in answers:
        err = (j or {}).get("error", "")
        check(st == status and err.startswith(error),
              "expected %d %r..., got %d %r" % (status, error, st, err))
        check(err == (answers[0][1] or {}).get("error", ""),
              "compact request answered otherwise: %r" % err)
    check(count(node) == before, "a refused batch stored something")


def test(env):
    us = env.node("us").init()
    ru = env.node("ru").init()
    us.add_peer(ru)
    ru.add_peer(us)
    hlib.conf_set(us.conf, "limits", {"api_max_request": "8388608"})
    us.start()
    ru.start()
    us.wait_link_up("ru")

    # 1. Errors, as before the worker thread.
    refused(us, None, 400, "request body must be a JSON object", raw=b"")
    refused(us, None, 400, "malformed JSON at line 1 column", raw=b"nope")
    refused(us, None, 400, "request body must be a JSON object",
            raw=b"[1, 2]")
    refused(us, {"messages": msgs(1, "a"), "x": 1}, 400,
            'unknown field "x"')
    refused(us, {"messages": "a"}, 400,
            '"messages" must be an array of 1..1000 messages')
    refused(us, {"messages": []}, 400, '"messages" must be an array')
    refused(us, {"messages": msgs(N + 1, "a")}, 400,
            '"messages" must be an array of 1..1000')
    bad = msgs(N, "a")
    bad[N - 1]["precedence"] = "urgent"
    refused(us, {"messages": bad}, 400, 'messages[999]: precedence: unknown '
            '"urgent" (flash, immediate, priority, routine)')
    bad = msgs(3, "a")
    bad[1]["ref"] = "abcdabcd"
    bad[2]["channel"] = "nope"
    refused(us, {"messages": bad}, 404, "ref: no message abcdabcd")
    bad = msgs(3, "a")
    bad[1]["channel"] = "nope"
    bad[2]["ref"] = "abcdabcd"
    refused(us, {"messages": bad}, 400, 'messages[1]: channel: unknown '
            '"nope"')
    bad = msgs(2, "a")
    bad[1]["body"] = "text"
    refused(us, {"messages": bad}, 400, 'messages[1]: field "body" must be '
            'a JSON object')
    bad = msgs(2, "a")
    bad[1]["body"] = {"big": "y" * 50000}
    refused(us, {"messages": bad}, 413, "messages[1]: body is 50010 bytes; "
            "the limit is 49152")
    log("malformed batches refused with the same errors, nothing stored")

    # 5. Body bytes: compact as they stand, or re-serialised.
    forms = [
        b'{"p":"x","n":1}',                       # compact: taken as is
        b'{"a":{"b":[true,false,null,{},[]]},"c":-7}',
        '{"ru":"при 😀"}'.encode(),  # raw UTF-8
        '{"ru":"при","e":"\\u00e9"}'.encode(),  # \u escape: dumped
        b'{"s":"a\\"b\\\\c\\nd\\te\\/f"}',  # \/: dumped as /
        b'{ "a" : [1, 2] }',                      # whitespace
        b'{"z":-0,"r":1.5}',                      # -0 and a real
        b'{"k\\u0065y":1}',                      # escaped key
    ]
    def compact(f):
        return json.dumps(json.loads(f), separators=(",", ":"),
                          ensure_ascii=False).encode()

    head = b'{"to":"ru","channel":"cert","kind":"text","body":'
    # The escaped key makes the whole request one jsonv is not sure of:
    # then every body is parsed and dumped. Without it, the compact ones
    # are taken from the request.
    ids, sent = [], []
    for batch in (forms[:-1], forms):
        req = (b'{"messages":[' + b",".join(head + f + b"}" for f in batch) +
               b"]}")
        st, j = raw_api(us, req)
        check(st == 201 and len(j.get("ids", [])) == len(batch),
              "batch of body forms: %d %r" % (st, j))
        ids += j["ids"]
        sent += batch
    for f in forms:
        c = hlib.UnixHTTPConnection(us.sock, hlib.scaled(15))
        try:
            c.request("POST", "/v1/messages", body=head + f + b"}",
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            a = json.loads(r.read())
            check(r.status == 201, "single %r: %d %r" % (f, r.status, a))
            ids.append(a["id"])
            sent.append(f)
        finally:
            c.close()
    hlib.wait_delivered(us, ru, len(ids), hlib.scaled(30))
    for node in (us, ru):
        for k, i in enumerate(ids):
            got = bytes(node.sql("SELECT body FROM msgs WHERE id=?",
                                 (i,))[0][0])
            check(got == compact(sent[k]),
                  "%s: body %d stored as %r, want %r" % (
                      node.name, k, got, compact(sent[k])))
    log("bodies stored compactly on both nodes, every form and route")
    # The answers carry each body as the client sent it: copied from the
    # stored bytes when they are the compact dump (api.c dump_json), parsed
    # and dumped when not (the real); one by one and in a page.
    for node in (us, ru):
        page = node.get("/v1/messages?after=0&limit=100")["messages"]
        listed = {m["id"]: m["body"] for m in page}
        for k, i in enumerate(ids):
            want = json.loads(sent[k])
            got = node.get("/v1/messages/" + i)["body"]
            check(got == want and listed.get(i) == want,
                  "%s: body %d answered as %r (listed %r), want %r" % (
                      node.name, k, got, listed.get(i), want))
    log("bodies answered as sent on both nodes, one by one and listed")

    # 2. A single message while a batch is being prepared.
    s = raw_post(us, "/v1/messages/batch",
                 json.dumps({"messages": msgs(N, "b")}).encode())
    single = us.send("ru", {"single": 1})
    st, j = read_answer(s)
    s.close()
    check(st == 201 and len(j.get("ids", [])) == N,
          "batch beside a single message: %d %r" % (st, str(j)[:200]))
    rows = us.stream_rows(0, "ru")
    ids = [i for _, i in rows]
    seqs = [q for q, _ in rows]
    check(seqs == sorted(seqs) and len(set(seqs)) == len(seqs),
          "stream seqs not increasing")
    check(single in ids, "the single message was not stored")
    k = ids.index(j["ids"][0])
    check(ids[k:k + N] == j["ids"], "the batch is not contiguous and in "
          "request order in its stream")
    check(ids.index(single) < k or ids.index(single) >= k + N,
          "the single message landed inside the batch")
    log("batch and single message both accepted; batch contiguous")

    # 3. A client that hangs up after sending a batch.
    before = count(us)
    s = raw_post(us, "/v1/messages/batch",
                 json.dumps({"messages": msgs(N, "c")}).encode())
    s.shutdown(socket.SHUT_RDWR)
    s.close()
    # Another batch behind it on the worker: answered after it was done.
    r = us.post("/v1/messages/batch", {"messages": msgs(10, "d")})
    check(len(r["ids"]) == 10, "batch after a hang-up: %r" % r)
    n = count(us) - before
    check(n in (10, N + 10), "hung-up batch stored partly: %d rows" % n)
    log("client hang-up: %s" % ("batch dropped" if n == 10 else
                                "batch stored whole"))

    # 4. SIGTERM with a batch in flight.
    before = count(us)
    s = raw_post(us, "/v1/messages/batch",
                 json.dumps({"messages": msgs(N, "e")}).encode())
    us.stop()
    s.close()
    check(not us.sanitizer_reports(), "sanitizer: %s" %
          us.sanitizer_reports()[:3])
    us.start()
    n = count(us) - before
    check(n in (0, N), "batch at shutdown stored partly: %d rows" % n)
    check(us.running() and ru.running(), "a daemon died")
    log("shutdown with a batch in flight: clean exit, %d stored" % n)


if __name__ == "__main__":
    hlib.main(test)
