"""test_taxii: the TAXII 2.1 server of the CERT channel, driven by an
independent client (taxii_client.py, written from the specification):
discovery, API root, collections, paging through every object with more and
next, adding objects (status resource), manifest, versions, object and
DELETE; the filters of the specification's examples; 406 and 415; a next
reused with changed filters refused; X-TAXII-Date-Added-First/Last; version
deduplication and revoked staying revoked; the TLP rule that stops an
object, in the status, the CLI policy and the log; and the objects shared in
us's outbound collection for ru arriving in ru's inbound collection."""

import json
import os
import socket
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log  # noqa: E402
from taxii_client import MEDIA, TaxiiClient, TaxiiError  # noqa: E402

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
STRICT = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"


def indicator(i, marking=GREEN, modified="2024-01-01T00:00:00.000Z",
              oid=None, revoked=None):
    o = {"type": "indicator", "spec_version": "2.1",
         "id": oid or "indicator--%s" % uuid.uuid4(),
         "created": "2024-01-01T00:00:00.000Z", "modified": modified,
         "name": "test %d" % i, "pattern_type": "stix",
         "pattern": "[ipv4-addr:value = '198.51.%d.%d']" % (i // 250,
                                                           i % 250 + 1),
         "valid_from": "2024-01-01T00:00:00Z"}
    if marking:
        o["object_marking_refs"] = [marking]
    if revoked is not None:
        o["revoked"] = revoked
    return o


def test(env):
    us, ru = env.pair("us", "ru", start=False)
    hlib.conf_set(us.conf, "peer ru", {"tlp_share": "clear green"})
    hlib.conf_set(us.conf, "limits", {"api_max_request": "4194304"})
    us.start()
    ru.start()
    us.wait_link_up("ru")
    c = TaxiiClient(unix=us.sock)

    # Discovery and API root (sections 4.1, 4.2).
    disc = c.discover("/taxii2/")
    check(disc["api_roots"] == ["/taxii2/api/"], "api_roots: %r" % disc)
    root = disc["default"]
    ar = c.api_root(root)
    check(MEDIA in ar["versions"], "versions: %r" % ar)
    check(ar["max_content_length"] > 0, "max_content_length")
    colls = {x["title"]: x for x in c.collections(root)}
    check(set(colls) == {"local", "out:ru", "in:ru"}, "collections: %r" %
          list(colls))
    check(colls["in:ru"]["can_write"] is False and
          colls["out:ru"]["can_write"] is True, "can_write flags")
    out = colls["out:ru"]["id"]
    check(c.collection(root, out)["title"] == "out:ru", "collection")

    # 406 and 415.
    st, _, body = c.request("GET", root, accept="application/json")
    check(st == 406 and body["http_status"] == "406", "406: %d" % st)
    st, _, _ = c.request("POST", "%scollections/%s/objects/" % (root, out),
                         {"objects": []}, content_type="application/json")
    check(st == 415, "415: %d" % st)
    st, _, _ = c.request("GET", root, accept="application/taxii+json")
    check(st == 200, "Accept without version: %d" % st)

    # Add 2,500 objects (GREEN) in 5 requests, plus one RED, one
    # AMBER+STRICT, one AMBER, one invalid: the status says which.
    objs = [indicator(i) for i in range(2500)]
    for k in range(0, 2500, 500):
        s = c.add_objects(root, out, objs[k:k + 500])
        check(s["status"] == "complete" and s["success_count"] == 500 and
              s["failure_count"] == 0, "status: %r" % {
                  k: v for k, v in s.items() if k != "successes"})
        again = c.status(root, s["id"])
        check(again["success_count"] == 500, "status resource")
    bad = [indicator(1, RED), indicator(2, STRICT), indicator(3, AMBER),
           indicator(4, None), {"type": "indicator", "id": "nope"}]
    s = c.add_objects(root, out, bad)
    check(s["success_count"] == 0 and s["failure_count"] == 5,
          "refusals: %r" % s)
    msgs = [f["message"] for f in s["failures"]]
    log("refusals: %r" % msgs)
    check("never leaves" in msgs[0], "RED rule: %s" % msgs[0])
    check("same organisation" in msgs[1], "STRICT rule: %s" % msgs[1])
    check("tlp_share" in msgs[2] and "TLP:AMBER" in msgs[2], "AMBER rule")
    check("unmarked" in msgs[3], "unmarked rule: %s" % msgs[3])
    check("id" in msgs[4], "invalid object: %s" % msgs[4])
    check("never leaves this node" in us.log_text(), "RED rule not logged")
    cp = hlib.hotline(["-c", us.conf, "indicators", "policy", "ru", "red"],
                      check_rc=1)
    check("never leaves" in cp.stdout, "CLI policy: %r" % cp.stdout)
    cp = hlib.hotline(["-c", us.conf, "indicators", "policy", "ru",
                       "green"], check_rc=0)
    check("shared" in cp.stdout, "CLI policy green: %r" % cp.stdout)

    # Page through everything with limit 700: 4 pages, more/next.
    t0 = time.monotonic()
    got = c.all_objects(root, out, limit=700)
    log("paged %d objects in %.2fs" % (len(got), time.monotonic() - t0))
    check([o["id"] for o in got] == [o["id"] for o in objs],
          "paging lost, duplicated or reordered objects")
    p1 = c.objects_page(root, out, limit=700)
    check(p1["more"] is True and "next" in p1, "first page more/next")
    h = c.last_headers
    check("x-taxii-date-added-first" in h and "x-taxii-date-added-last" in h,
          "X-TAXII-Date-Added headers: %r" % h)
    # A next reused with changed filters is refused.
    try:
        c.objects_page(root, out, limit=700, next=p1["next"],
                       type="malware")
        check(False, "next with changed filters was accepted")
    except TaxiiError as e:
        check(e.status == 400, "next reuse: %d" % e.status)
    # ...but a changed limit is fine.
    p2 = c.objects_page(root, out, limit=10, next=p1["next"])
    check(p2["objects"][0]["id"] == objs[700]["id"], "next with new limit")

    # added_after is the date added here: from the last-added header of
    # page 1 it gives exactly the objects after it.
    after = h["x-taxii-date-added-last"]
    rest = c.all_objects(root, out, added_after=after)
    check(len(rest) == 2500 - 700, "added_after: %d" % len(rest))

    # Spec examples: match[type], match[id] lists, versions.
    ids = "%s,%s" % (objs[5]["id"], objs[9]["id"])
    r = c.objects_page(root, out, id=ids)
    check(sorted(o["id"] for o in r["objects"]) == sorted(ids.split(",")),
          "match[id] list")
    check("objects" not in c.objects_page(root, out, type="malware") or
          not c.objects_page(root, out, type="malware")["objects"],
          "match[type]=malware")
    check(len(c.objects_page(root, out, type="indicator,malware",
                             limit=3)["objects"]) == 3, "match[type] list")

    # Versions: a new version of objs[0], the same version again (dedup),
    # then a revoked version and an attempt to un-revoke.
    oid = objs[0]["id"]
    v2 = indicator(0, oid=oid, modified="2024-02-01T00:00:00.000Z")
    s = c.add_objects(root, out, [v2, v2])
    check(s["success_count"] == 2, "v2: %r" % s)
    s = c.add_objects(root, out, [v2])
    check(s["successes"][0].get("message") == "already held", "dedup")
    vs = c.versions(root, out, oid)["versions"]
    check(vs == ["2024-01-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z"],
          "versions: %r" % vs)
    # (In local, emptied after: the checks below count the others.)
    # Two versions of a new id and one of them again, in one request: the
    # repeat is "already held", the newer version is current.
    loc = colls["local"]["id"]
    nid = "indicator--%s" % uuid.uuid4()
    w1 = indicator(7, oid=nid, modified="2024-05-01T00:00:00.000Z")
    w2 = indicator(7, oid=nid, modified="2024-06-01T00:00:00.000Z")
    s = c.add_objects(root, loc, [w2, w1, w2])
    check(s["success_count"] == 3 and s["failure_count"] == 0 and
          [d.get("message") for d in s["successes"]].count("already held")
          == 1, "versions in one request: %r" % s)
    check(sorted(c.versions(root, loc, nid)["versions"]) ==
          ["2024-05-01T00:00:00.000Z", "2024-06-01T00:00:00.000Z"] and
          c.get_object(root, loc, nid)["objects"][0]["modified"] ==
          w2["modified"], "newest of one request is current")
    c.delete_object(root, loc, nid)
    # A refused object's id goes back escaped as it came (the status is
    # written as text).
    odd = 'indicator--"q\\u\u00e9\n'
    s = c.add_objects(root, loc, [{"type": "indicator", "id": odd}])
    check(s["failure_count"] == 1 and s["failures"][0]["id"] == odd,
          "escaped id in the status: %r" % s)
    check(c.status(root, s["id"])["failures"][0]["id"] == odd,
          "escaped id in the kept status")
    last = c.get_object(root, out, oid)["objects"]
    check(len(last) == 1 and last[0]["modified"] == v2["modified"],
          "object default is the last version")
    allv = c.get_object(root, out, oid, version="all")["objects"]
    check(len(allv) == 2, "match[version]=all")
    first = c.get_object(root, out, oid, version="first")["objects"]
    check(first[0]["modified"] == objs[0]["modified"], "first")
    exact = c.get_object(root, out, oid,
                         version="2024-01-01T00:00:00Z")["objects"]
    check(len(exact) == 1 and exact[0]["modified"] == objs[0]["modified"],
          "match[version]=timestamp")
    v3 = indicator(0, oid=oid, modified="2024-03-01T00:00:00.000Z",
                   revoked=True)
    v4 = indicator(0, oid=oid, modified="2024-04-01T00:00:00.000Z")
    s = c.add_objects(root, out, [v3])
    check(s["success_count"] == 1, "revoke")
    s = c.add_objects(root, out, [v4])
    check(s["failure_count"] == 1 and "revoked" in
          s["failures"][0]["message"], "un-revoke refused: %r" % s)
    man = c.manifest(root, out, limit=2)
    check(man["more"] is True and len(man["objects"]) == 2 and
          man["objects"][0]["media_type"].startswith("application/stix+json"),
          "manifest: %r" % man)

    # A client that hangs up while its envelope is being taken: the
    # objects are stored all the same, and the daemon goes on.
    hang = [indicator(3000 + i, None) for i in range(300)]
    body = json.dumps({"objects": hang}).encode()
    sk = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sk.connect(us.sock)
    sk.sendall(("POST %scollections/%s/objects/ HTTP/1.1\r\nHost: x\r\n"
                "Content-Type: %s\r\nAccept: %s\r\nContent-Length: %d"
                "\r\n\r\n" % (root, loc, MEDIA, MEDIA, len(body))).encode()
               + body)
    sk.close()

    def stored():
        try:
            return all(c.get_object(root, loc, o["id"])["objects"]
                       for o in hang)
        except TaxiiError as e:
            check(e.status == 404, "GET object: %d" % e.status)
            return False
    hlib.wait_until(stored, hlib.scaled(30), "the hung-up POST stored")
    for o in hang:
        c.delete_object(root, loc, o["id"])

    # Four clients at once, each with 50 objects of its own and the same
    # 50 shared ones: each shared object is stored once, "already held"
    # for the three others.
    shared = [indicator(4000 + i, None) for i in range(50)]
    sets = [[indicator(4100 + 50 * t + i, None) for i in range(50)] + shared
            for t in range(4)]
    results = [None] * 4

    def post(t):
        results[t] = TaxiiClient(unix=us.sock).add_objects(root, loc,
                                                           sets[t])
    ths = [threading.Thread(target=post, args=(t,)) for t in range(4)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    check(all(r is not None and r["success_count"] == 100 for r in results),
          "concurrent POSTs: %r" % [r and r["success_count"] for r in results])
    held = sum([d.get("message") for d in r["successes"]].count(
        "already held") for r in results)
    check(held == 150, "shared objects held once: %d" % held)
    inloc = c.all_objects(root, loc, limit=1000)
    check(len(inloc) == 250, "local holds %d" % len(inloc))
    for o in inloc:
        c.delete_object(root, loc, o["id"])

    # DELETE: only in local.
    lo = indicator(77, None)
    c.add_objects(root, loc, [lo])
    check(len(c.all_objects(root, loc)) == 1, "local holds one")
    c.delete_object(root, loc, lo["id"])
    check(len(c.all_objects(root, loc)) == 0, "deleted")
    try:
        c.delete_object(root, out, objs[1]["id"])
        check(False, "DELETE in an outbound collection accepted")
    except TaxiiError as e:
        check(e.status == 403, "DELETE out: %d" % e.status)
    # in:ru is read-only.
    try:
        c.add_objects(root, colls["in:ru"]["id"], [indicator(5)])
        check(False, "POST to in:ru accepted")
    except TaxiiError as e:
        check(e.status == 403, "POST in: %d" % e.status)

    # Sync: everything shared reaches ru's inbound collection, once.
    rc = TaxiiClient(unix=ru.sock)
    rcolls = {x["title"]: x["id"] for x in rc.collections(root)}

    def arrived():
        return len(rc.all_objects(root, rcolls["in:us"], limit=10000)) \
            == 2500
    hlib.wait_until(arrived, hlib.scaled(60), "2,500 objects at ru")
    got = rc.all_objects(root, rcolls["in:us"], version="all", limit=10000)
    check(len(got) == 2500 + 2, "ru holds %d versions" % len(got))
    check(len(rc.versions(root, rcolls["in:us"], oid)["versions"]) == 3,
          "versions at ru")
    cp = hlib.hotline(["-c", ru.conf, "indicators", "show", oid],
                      check_rc=0)
    check("peer:us" in cp.stdout, "provenance at ru: %r" % cp.stdout[:300])


if __name__ == "__main__":
    hlib.main(test)
