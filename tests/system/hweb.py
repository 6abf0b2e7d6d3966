"""hweb.py: helpers for the tests of the HTTPS listener (issue 8): turn it
on for a node, add accounts through the local API, and talk HTTPS to it
with the node's own certificate as the only trust anchor.

Python 3.11 standard library only.
"""

import base64
import http.client
import json
import os
import ssl

import hlib
from hlib import check, conf_set, free_port


def enable_https(node):
    """Give node an [https] listener on a free loopback port. Call before
    node.start()."""
    node.https_port = free_port()
    node.https_addr = "127.0.0.1:%d" % node.https_port
    conf_set(node.conf, "https", {"listen": node.https_addr})
    node.https_cert = os.path.join(os.path.dirname(node.conf),
                                   "https-cert.pem")
    return node


def add_account(node, name, role, password):
    """`hotline account add` through the node's local socket."""
    hlib.hotline(["-c", node.conf, "account", "add", name, "--role", role,
                  "--password-stdin"], input=password + "\n", check_rc=0)


def pair_with_officer(env, name, password):
    """Nodes us and ru, linked and running, ru with an HTTPS listener and a
    watch officer's account (nrrc and check channels only); returns (us,
    ru, an Https client of ru logged in as that officer)."""
    us, ru = env.pair("us", "ru", start=False)
    enable_https(ru)
    us.start()
    ru.start()
    us.wait_link_up("ru")
    add_account(ru, name, "watch", password)
    officer = Https(ru, timeout=70)
    officer.basic = "%s:%s" % (name, password)
    return us, ru, officer


class Https:
    """One HTTPS client of a node: Basic credentials or a console session
    (cookie + CSRF token), kept across requests."""

    def __init__(self, node, timeout=10):
        self.node = node
        self.timeout = timeout
        self.ctx = ssl.create_default_context(cafile=node.https_cert)
        self.cookie = None
        self.csrf = None
        self.basic = None

    def conn(self):
        return http.client.HTTPSConnection("127.0.0.1", self.node.https_port,
                                           timeout=self.timeout,
                                           context=self.ctx)

    def request(self, method, path, body=None, headers=None, csrf=True,
                raw=False):
        """(status, headers dict (lower-case names), parsed JSON or raw
        bytes)."""
        h = {"Host": self.node.https_addr}
        if self.basic:
            h["Authorization"] = "Basic " + base64.b64encode(
                self.basic.encode()).decode()
        if self.cookie:
            h["Cookie"] = self.cookie
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if headers:
            h.update(headers)
        c = self.conn()
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            payload = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            if raw:
                return r.status, hdrs, payload
            try:
                obj = json.loads(payload) if payload else None
            except ValueError:
                obj = payload
            return r.status, hdrs, obj
        finally:
            c.close()

    def login(self, name, password, expect=200):
        st, h, obj = self.request("POST", "/v1/login",
                                  {"name": name, "password": password})
        check(st == expect, "login %s: HTTP %d %r" % (name, st, obj))
        if st == 200:
            cookie = h.get("set-cookie", "")
            for attr in ("Secure", "HttpOnly", "SameSite=Strict",
                         "Path=/"):
                check(attr in cookie, "session cookie lacks %s: %r" %
                      (attr, cookie))
            self.cookie = cookie.split(";")[0]
            self.csrf = obj["csrf"]
        return st, obj
