"""test_taxii_https: TAXII 2.1 over the HTTPS listener (issue 8) with
operator accounts and per-collection grants (`hotline indicators grant`),
driven by the independent client (taxii_client.py) over TLS 1.3 with HTTP
Basic credentials: no credentials is 401; a watch officer gets 403; a CERT
analyst sees only the collections granted to it, can post where it may
write (the objects reach the peer and name the account as provenance),
gets 403 where it may only read and 404 for the rest; taking a grant away
takes effect at once; the administrator sees every collection."""

import base64
import os
import ssl
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
import hweb  # noqa: E402
from hlib import check, log  # noqa: E402
from taxii_client import TaxiiClient, TaxiiError  # noqa: E402

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
PW = "correct horse battery"


def ind(i):
    return {"type": "indicator", "spec_version": "2.1",
            "id": "indicator--%s" % uuid.uuid4(),
            "created": "2024-01-01T00:00:00.000Z",
            "modified": "2024-01-01T00:00:00.000Z", "pattern_type": "stix",
            "pattern": "[domain-name:value = 'h%d.example']" % i,
            "valid_from": "2024-01-01T00:00:00Z",
            "object_marking_refs": [GREEN]}


def client(node, name):
    ctx = ssl.create_default_context(cafile=node.https_cert)
    auth = None
    if name:
        auth = "Basic " + base64.b64encode(("%s:%s" % (name, PW)).encode()
                                           ).decode()
    return TaxiiClient("127.0.0.1", node.https_port, ssl_context=ctx,
                       auth=auth)


def test(env):
    us = env.node("us").init()
    ru = env.node("ru").init()
    us.add_peer(ru)
    ru.add_peer(us)
    hweb.enable_https(us)
    us.start()
    ru.start()
    us.wait_link_up("ru")
    for name, role in (("carl", "cert"), ("wanda", "watch"),
                       ("adam", "admin")):
        hweb.add_account(us, name, role, PW)
    root = "/taxii2/api/"

    st, _, _ = client(us, None).request("GET", "/taxii2/")
    check(st == 401, "no credentials: %d" % st)
    st, _, _ = client(us, "wanda").request("GET", "/taxii2/")
    check(st == 403, "watch officer: %d" % st)

    carl = client(us, "carl")
    check(carl.discover("/taxii2/")["default"] == root, "discovery")
    check(carl.collections(root) == [], "carl sees collections without "
          "grants")
    hlib.hotline(["-c", us.conf, "indicators", "grant", "carl", "out:ru",
                  "rw"], check_rc=0)
    hlib.hotline(["-c", us.conf, "indicators", "grant", "carl", "in:ru",
                  "r"], check_rc=0)
    cols = {c["title"]: c for c in carl.collections(root)}
    check(set(cols) == {"out:ru", "in:ru"}, "carl's collections: %r" %
          list(cols))
    check(cols["out:ru"]["can_write"] and cols["out:ru"]["can_read"] and
          not cols["in:ru"]["can_write"], "flags: %r" % cols)
    objs = [ind(i) for i in range(50)]
    s = carl.add_objects(root, cols["out:ru"]["id"], objs)
    check(s["success_count"] == 50, "carl's post: %r" % s)
    check(len(carl.all_objects(root, cols["out:ru"]["id"], limit=7)) == 50,
          "carl pages his objects")
    try:
        carl.add_objects(root, cols["in:ru"]["id"], [ind(99)])
        check(False, "carl wrote to in:ru")
    except TaxiiError as e:
        check(e.status == 403, "in:ru write: %d" % e.status)
    adam = client(us, "adam")
    acols = {c["title"]: c["id"] for c in adam.collections(root)}
    check(set(acols) == {"local", "out:ru", "in:ru"}, "admin's: %r" %
          list(acols))
    try:
        carl.objects_page(root, acols["local"])
        check(False, "carl read local")
    except TaxiiError as e:
        check(e.status == 404, "local for carl: %d" % e.status)

    # The objects reach ru; provenance at us names the account.
    rc = TaxiiClient(unix=ru.sock)
    rin = {c["title"]: c["id"] for c in rc.collections(root)}["in:us"]
    hlib.wait_until(lambda: len(rc.all_objects(root, rin)) == 50,
                    hlib.scaled(30), "50 objects at ru")
    row = us.get("/v1/cert/objects/%s" % objs[0]["id"])["versions"][0]
    check(row["source"] == "taxii:carl", "provenance: %r" % row["source"])

    # Taking write away is immediate.
    hlib.hotline(["-c", us.conf, "indicators", "grant", "carl", "out:ru",
                  "r"], check_rc=0)
    try:
        carl.add_objects(root, cols["out:ru"]["id"], [ind(100)])
        check(False, "write after the grant was reduced")
    except TaxiiError as e:
        check(e.status == 403, "reduced grant: %d" % e.status)
    log("TAXII over HTTPS with accounts and grants: ok")


if __name__ == "__main__":
    hlib.main(test)
