#!/usr/bin/env python3
"""test_https_auth: the HTTPS listener and operator accounts (issue 8).

Two nodes with [https] listeners. Accounts are added with `hotline account`
through the local socket. Over HTTPS (the node's self-signed certificate as
the only trust anchor, TLS 1.3):
  - no credentials, a wrong password, a disabled account: 401;
  - Basic credentials reach the same routes as the Unix socket;
  - a console session: Secure/HttpOnly/SameSite=Strict cookie; a POST
    without the CSRF token, or with a wrong one, or from another Origin,
    is refused (403) and sends nothing;
  - roles: a CERT analyst cannot send on or read the direct line, a watch
    officer can send nrrc but not cert, the auditor reads everything and
    sends nothing, only the admin manages accounts;
  - the operator who sent and who acknowledged is recorded;
  - failed logins are throttled (429 + Retry-After), per name and address;
  - passwords are stored as argon2id hashes, never in clear.
"""

import ssl

import hlib
import hweb
from hlib import check, log, scaled


def test(env):
    us = env.node("us").init()
    ru = env.node("ru").init()
    us.add_peer(ru)
    ru.add_peer(us)
    hweb.enable_https(us)
    hweb.enable_https(ru)
    us.start()
    ru.start()
    us.wait_link_up("ru")

    pw = "correct horse battery"
    for name, role in (("wanda", "watch"), ("carl", "cert"),
                       ("pat", "principal"), ("audrey", "auditor"),
                       ("adam", "admin")):
        hweb.add_account(us, name, role, pw)
    hweb.add_account(ru, "ivan", "watch", pw)
    out = hlib.hotline(["-c", us.conf, "account", "list"], check_rc=0).stdout
    check("wanda" in out and "watch" in out and "enabled" in out,
          "account list: %r" % out)
    # Duplicate names and bad roles are refused.
    cp = hlib.hotline(["-c", us.conf, "account", "add", "wanda", "--role",
                       "watch", "--password-stdin"], input=pw + "\n")
    check(cp.returncode == 1 and "exists" in cp.stderr, "dup account: %r" %
          cp.stderr)
    cp = hlib.hotline(["-c", us.conf, "account", "add", "x1", "--role",
                       "god", "--password-stdin"], input=pw + "\n")
    check(cp.returncode == 1, "bad role accepted")
    cp = hlib.hotline(["-c", us.conf, "account", "add", "x2", "--role",
                       "watch", "--password-stdin"], input="short\n")
    check(cp.returncode == 1, "short password accepted")
    rows = us.sql("SELECT name, hash FROM accounts")
    for name, h in rows:
        check(h.startswith("$argon2id$v=19$m=19456,t=2,p=1$") and pw not in h,
              "hash of %s: %r" % (name, h))

    # TLS 1.3 only; the certificate verifies against itself for 127.0.0.1.
    anon = hweb.Https(us)
    anon.ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    try:
        anon.request("GET", "/v1/status")
        check(False, "TLS 1.2 accepted")
    except (ssl.SSLError, OSError):
        pass
    anon = hweb.Https(us)
    st, h, _ = anon.request("GET", "/v1/status")
    check(st == 401 and h.get("www-authenticate", "").startswith("Basic"),
          "no credentials: %d %r" % (st, h))
    st, h, _ = anon.request("GET", "/v1/status",
                            headers={"X-Hotline-Console": "1"})
    check(st == 401 and "www-authenticate" not in h,
          "console request got a Basic challenge")
    st, h, body = anon.request("GET", "/console/", raw=True)
    check(st == 200 and b"<html" in body.lower(), "console page: %d" % st)
    check("frame-ancestors 'none'" in h.get("content-security-policy", ""),
          "no CSP on the console")
    st, _, _ = anon.request("GET", "/console/..%2fhotline.conf")
    check(st == 404, "path traversal: %d" % st)

    # Basic credentials.
    wanda = hweb.Https(us)
    wanda.basic = "wanda:" + pw
    st, _, obj = wanda.request("GET", "/v1/status")
    check(st == 200 and obj["party"] == "us", "basic status: %d %r" %
          (st, obj))
    bad = hweb.Https(us)
    bad.basic = "wanda:wrong password!"
    st, _, _ = bad.request("GET", "/v1/status")
    check(st == 401, "wrong password: %d" % st)
    st, _, obj = wanda.request("POST", "/v1/messages", {
        "to": "ru", "channel": "nrrc", "kind": "notification",
        "precedence": "flash", "body": {"text": "basic flash"}})
    check(st == 201, "watch officer nrrc send: %d %r" % (st, obj))
    flash_id = obj["id"]
    st, _, obj = wanda.request("POST", "/v1/messages", {
        "to": "ru", "channel": "cert", "kind": "text", "body": {}})
    check(st == 403, "watch officer sent on cert: %d %r" % (st, obj))

    # The operator is recorded with the message, and shown.
    check(us.sql("SELECT operator FROM msgs WHERE id = ?", (flash_id,)) ==
          [("wanda",)], "operator of the flash not recorded")
    m = us.get("/v1/messages/" + flash_id)
    check(m.get("operator") == "wanda", "operator not shown: %r" %
          m.get("operator"))

    # A console session on ru: cookie + CSRF.
    ivan = hweb.Https(ru)
    ivan.login("ivan", pw)
    hlib.wait_until(lambda: ru.sql("SELECT count(*) FROM msgs WHERE id = ?",
                                   (flash_id,))[0][0] == 1, scaled(10),
                    "flash at ru")
    st, _, obj = ivan.request("GET", "/v1/messages?channel=nrrc")
    check(st == 200 and any(x["id"] == flash_id for x in obj["messages"]),
          "session list: %d %r" % (st, obj))
    st, _, obj = ivan.request("GET", "/v1/session")
    check(st == 200 and obj["account"] == "ivan" and obj["role"] == "watch"
          and obj["csrf"] == ivan.csrf, "session: %r" % obj)
    # No token, wrong token, foreign Origin: refused, nothing sent.
    st, _, obj = ivan.request("POST", "/v1/messages/%s/ack" % flash_id, {},
                              csrf=False)
    check(st == 403 and "CSRF" in obj["error"], "ack without CSRF: %d %r" %
          (st, obj))
    st, _, obj = ivan.request("POST", "/v1/messages/%s/ack" % flash_id, {},
                              headers={"X-CSRF-Token": "A" * 43})
    check(st == 403, "ack with a wrong CSRF token: %d" % st)
    st, _, obj = ivan.request("POST", "/v1/messages/%s/ack" % flash_id, {},
                              headers={"Origin": "https://evil.example"})
    check(st == 403 and "cross-site" in obj["error"],
          "cross-site ack: %d %r" % (st, obj))
    st, _, obj = ivan.request("POST", "/v1/messages/%s/ack" % flash_id, {},
                              headers={"Sec-Fetch-Site": "cross-site"})
    check(st == 403, "Sec-Fetch-Site cross-site: %d" % st)
    check(ru.sql("SELECT ack_id FROM msgs WHERE id = ?", (flash_id,)) ==
          [(None,)], "a refused request acknowledged the message")
    st, _, obj = ivan.request("POST", "/v1/messages/%s/ack" % flash_id,
                              {"note": "seen"},
                              headers={"Origin": "https://" + ru.https_addr})
    check(st == 201, "ack with CSRF: %d %r" % (st, obj))
    ack_id = obj["id"]
    check(ru.sql("SELECT operator FROM msgs WHERE id = ?", (ack_id,)) ==
          [("ivan",)], "operator of the ack not recorded")
    hlib.wait_until(lambda: us.get("/v1/messages/" + flash_id)["state"] ==
                    "acknowledged", scaled(10), "ack back at us")
    m = ru.get("/v1/messages/" + flash_id)
    acked = [e for e in m["history"] if e["event"] == "acknowledged"]
    check(acked and acked[0].get("operator") == "ivan",
          "history lacks the acknowledging operator: %r" % m["history"])
    # Logout ends the session.
    st, h, _ = ivan.request("POST", "/v1/logout", {})
    check(st == 200 and "Max-Age=0" in h.get("set-cookie", ""),
          "logout: %d" % st)
    st, _, _ = ivan.request("GET", "/v1/status")
    check(st == 401, "session alive after logout: %d" % st)

    # Roles.
    carl = hweb.Https(us)
    carl.login("carl", pw)
    st, _, obj = carl.request("POST", "/v1/messages", {
        "to": "ru", "channel": "direct", "kind": "text",
        "precedence": "flash", "body": {"text": "x"}})
    check(st == 403 and "direct" in obj["error"],
          "CERT analyst sent on direct: %d %r" % (st, obj))
    st, _, obj = carl.request("GET", "/v1/messages?channel=direct")
    check(st == 403, "CERT analyst listed direct: %d" % st)
    pat = hweb.Https(us)
    pat.basic = "pat:" + pw
    st, _, obj = pat.request("POST", "/v1/messages", {
        "to": "ru", "channel": "direct", "kind": "text",
        "precedence": "flash", "body": {"text": "principal"}})
    check(st == 201, "principal direct: %d %r" % (st, obj))
    direct_id = obj["id"]
    st, _, obj = carl.request("GET", "/v1/messages/" + direct_id)
    check(st == 403, "CERT analyst read a direct message: %d" % st)
    st, _, obj = carl.request("GET", "/v1/messages")
    check(st == 200 and all(x["channel"] == "cert"
                            for x in obj["messages"]),
          "CERT analyst's list shows other channels: %r" %
          [x["channel"] for x in obj["messages"]])
    st, _, obj = carl.request("GET", "/v1/accounts")
    check(st == 403, "non-admin listed accounts: %d" % st)
    audrey = hweb.Https(us)
    audrey.basic = "audrey:" + pw
    st, _, obj = audrey.request("GET", "/v1/messages/" + direct_id)
    check(st == 200, "auditor read direct: %d" % st)
    st, _, obj = audrey.request("POST", "/v1/messages", {
        "to": "ru", "channel": "nrrc", "kind": "text", "body": {}})
    check(st == 403, "auditor sent: %d" % st)
    # The other modules' routes follow the same roles: rendering and
    # transparency proofs show a message, so they need its channel; the
    # NRRC routes are for watch officers and auditors; the whole-log check
    # and the evidence for auditors and administrators.
    st, _, obj = carl.request("GET", "/v1/render/" + flash_id)
    check(st == 403, "CERT analyst rendered an NRRC message: %d" % st)
    st, _, obj = pat.request("GET", "/v1/render/" + direct_id)
    check(st == 200, "principal rendering the direct line: %d %r" %
          (st, obj))
    st, _, obj = carl.request("GET", "/v1/overdue")
    check(st == 403, "CERT analyst read the NRRC overdue list: %d" % st)
    st, _, obj = pat.request("GET", "/v1/shift")
    check(st == 403, "principal read the NRRC shift summary: %d" % st)
    st, _, obj = audrey.request("GET", "/v1/shift")
    check(st == 200, "auditor shift summary: %d %r" % (st, obj))
    st, _, obj = carl.request("GET", "/v1/audit/proof/" + direct_id)
    check(st == 403, "CERT analyst got a direct message's proof: %d" % st)
    st, _, obj = carl.request("GET", "/v1/audit/evidence")
    check(st == 403, "CERT analyst read the witness evidence: %d" % st)
    st, _, obj = audrey.request("GET", "/v1/audit/evidence")
    check(st == 200, "auditor evidence: %d %r" % (st, obj))
    st, _, obj = audrey.request("POST", "/v1/audit/checkpoint", {})
    check(st == 403, "auditor signed a checkpoint: %d" % st)
    adam = hweb.Https(us)
    adam.basic = "adam:" + pw
    st, _, obj = adam.request("GET", "/v1/accounts")
    check(st == 200 and len(obj["accounts"]) == 5 and
          all("hash" not in a for a in obj["accounts"]),
          "admin accounts: %d %r" % (st, obj))

    # Disable: sessions and cached credentials end at once.
    hlib.hotline(["-c", us.conf, "account", "disable", "carl"], check_rc=0)
    st, _, _ = carl.request("GET", "/v1/status")
    check(st == 401, "disabled account's session alive: %d" % st)
    c2 = hweb.Https(us)
    c2.login("carl", pw, expect=401)
    hlib.hotline(["-c", us.conf, "account", "enable", "carl"], check_rc=0)
    c2.login("carl", pw)
    # A new password: the old one no longer works, even cached.
    st, _, _ = wanda.request("GET", "/v1/status")
    check(st == 200, "wanda before passwd")
    hlib.hotline(["-c", us.conf, "account", "passwd", "wanda",
                  "--password-stdin"], input="another long one\n",
                 check_rc=0)
    st, _, _ = wanda.request("GET", "/v1/status")
    check(st == 401, "old password works after passwd: %d" % st)
    wanda.basic = "wanda:another long one"
    st, _, _ = wanda.request("GET", "/v1/status")
    check(st == 200, "new password refused: %d" % st)

    # Throttling: after 5 failures the 6th attempt waits, even with the
    # right password.
    t = hweb.Https(us)
    for i in range(5):
        st, _, _ = t.request("POST", "/v1/login", {"name": "audrey",
                                                   "password": "nope" * 3})
        check(st == 401, "failure %d: %d" % (i, st))
    st, h, obj = t.request("POST", "/v1/login", {"name": "audrey",
                                                 "password": pw})
    check(st == 429 and int(h.get("retry-after", "0")) >= 1,
          "no throttling after 5 failures: %d %r" % (st, obj))
    log("throttled: %s" % obj["error"])
    check("event=login_failed account=audrey" in us.log_text(),
          "failed login not logged")


if __name__ == "__main__":
    hlib.main(test)
