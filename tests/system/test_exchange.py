"""test_exchange: 1,000 messages us -> ru on the cert channel, routine
precedence, POSTed one by one, arrive exactly once and in order with the
same ids and bodies; every us message ends delivered with a receipt; the
signatures of messages and of the final receipt verify with the openssl
command line over bytes rebuilt from docs/PROTOCOL.md, and tampered copies
do not."""

import hashlib
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log  # noqa: E402

N = 1000


def body(i):
    return {"n": i, "type": "indicator",
            "pattern": "[ipv4-addr:value = '198.51.100.%d']" % (i % 256),
            "note": "exchange test \u043f\u0440\u0438\u0432\u0435\u0442"}


def test(env):
    us, ru = env.pair("us", "ru")
    log("link up; sending %d messages" % N)
    ids = []
    for i in range(1, N + 1):
        ids.append(us.send("ru", body(i), channel="cert", kind="text",
                           precedence="routine"))
    check(len(set(ids)) == N, "POST returned duplicate ids")
    out = us.stream_rows(0, "ru")
    check([i for _, i in out] == ids, "us's stream ids differ from the ids "
          "the API returned")
    hlib.wait_delivered(us, ru, N, hlib.scaled(60))
    log("all delivered")
    hlib.check_stream(us, ru, N)

    # Nothing else on ru, nothing in the reverse direction.
    check(ru.sql("SELECT count(*) FROM msgs")[0][0] == N,
          "ru holds other messages than the stream")

    # The API agrees: every out message delivered with a receipt id.
    msgs = us.list_all(dir="out", peer="ru")
    check(len(msgs) == N, "API lists %d out messages, not %d" % (len(msgs),
                                                                  N))
    check([m["id"] for m in msgs] == ids[::-1], "API list is not newest "
          "first or ids differ")
    bad = [m for m in msgs if m["state"] != "delivered" or
           not m.get("receipt_id")]
    check(not bad, "%d messages not delivered with a receipt id, e.g. %r" %
          (len(bad), bad[:1]))
    rcpt_ids = {m["receipt_id"] for m in msgs}
    held = {r[0] for r in us.sql("SELECT id FROM receipts WHERE dir=1")}
    check(rcpt_ids <= held, "receipt ids not stored at us: %s" %
          sorted(rcpt_ids - held)[:3])
    # Each message's receipt covers it.
    for sq, rid in us.sql("SELECT m.seq, r.seq FROM msgs m JOIN msgs_out o "
                          "ON o.rid = m.rid JOIN receipts r "
                          "ON r.id = o.receipt AND r.dir = 1 WHERE m.dir = 0"):
        check(rid >= sq, "receipt for seq %d only covers %d" % (sq, rid))
    inb = ru.list_all(dir="in", peer="us")
    check(len(inb) == N and all(m["state"] in ("delivered", "acknowledged")
                                for m in inb), "ru's API inbox is wrong")
    check([m["body"] for m in inb[::-1]] == [body(i) for i in range(1,
          N + 1)], "bodies as listed by ru's API differ from what was sent")

    # Independent signature checks with openssl.
    us_pub = us.pubkey_pem()
    ru_pub = ru.pubkey_pem()
    last = us.sql("SELECT id, seq, last_id, sender, recipient FROM receipts "
                  "WHERE dir=1 AND peer='ru' AND channel=5 AND prec=4 "
                  "ORDER BY seq DESC LIMIT 1")
    check(last, "us holds no receipt from ru")
    rid, rseq, rlast, rsnd, rrcp = last[0]
    check(rseq == N and rlast == ids[-1] and rsnd == "us" and rrcp == "ru",
          "last receipt does not cover seq %d / last id: %r" % (N, last[0]))
    data, sig = hlib.rcpt_row_signed_bytes(us, rid)
    check(hashlib.sha256(data).hexdigest() == rid, "receipt id is not "
          "SHA-256 of its signed bytes as rebuilt from PROTOCOL.md")
    check(hlib.openssl_verify(env, ru_pub, data, sig), "openssl: last "
          "receipt's signature does not verify with ru's key")
    check(not hlib.openssl_verify(env, us_pub, data, sig), "receipt "
          "verifies with the wrong key")
    tampered = bytearray(data)
    tampered[-1] ^= 1       # the time
    check(not hlib.openssl_verify(env, ru_pub, bytes(tampered), sig),
          "tampered receipt verifies")

    rnd = random.Random(1)
    sample = sorted({0, N - 1} | set(rnd.sample(range(N), 8)))
    for k in sample:
        for node in (ru, us):
            data, sig = hlib.msg_row_signed_bytes(node, ids[k])
            check(hashlib.sha256(data).hexdigest() == ids[k], "%s: id of "
                  "seq %d is not SHA-256 of its signed bytes" % (node.name,
                                                                 k + 1))
        data, sig = hlib.msg_row_signed_bytes(ru, ids[k])
        check(hlib.openssl_verify(env, us_pub, data, sig), "openssl: "
              "message seq %d does not verify with us's key" % (k + 1))
    data, sig = hlib.msg_row_signed_bytes(ru, ids[-1])
    t = bytearray(data)
    t[-5] ^= 0x80           # inside the body hash
    check(not hlib.openssl_verify(env, us_pub, bytes(t), sig),
          "tampered message verifies")
    bsig = bytearray(sig)
    bsig[0] ^= 1
    check(not hlib.openssl_verify(env, us_pub, data, bytes(bsig)),
          "message verifies with a flipped signature bit")

    # The detail view carries history and the receipt.
    d = us.get("/v1/messages/" + ids[-1])
    last_ids = {r[0] for r in us.sql("SELECT id FROM receipts WHERE dir=1 "
                                     "AND channel=5 AND prec=4 AND seq=?",
                                     (N,))}
    check(d["state"] == "delivered" and d.get("receipts") and
          d["receipts"][0]["id"] in last_ids, "GET /v1/messages/ID: %r" %
          {k: d.get(k) for k in ("state", "receipts")})
    check(isinstance(d.get("history"), list) and d["history"],
          "no history in the detail view")
    log("signatures verified")


if __name__ == "__main__":
    hlib.main(test)
