#!/usr/bin/env python3
"""test_tls_probes.py: clients that are not a pinned TLS 1.3 peer are
refused inside the handshake, before the daemon reads a byte of
application data.

Probes with `openssl s_client` against us's peer port:

  control   ru's pinned key, TLS 1.3, then a HELLO frame: the link comes up
            (shows the probe itself works, so the refusals below mean
            something);
  tls1.2    ru's pinned key, but -tls1_2 only: refused (protocol version);
  no cert   TLS 1.3 without a client certificate: refused (certificate
            required);
  unpinned  TLS 1.3 with a certificate whose key us has not pinned (a node
            that calls itself ru): refused, us logs the offered fingerprint;
  plain     not TLS at all (an HTTP request on the peer port): refused.

With TLS 1.3 the client sends its Finished before the server has judged
the client's certificate, so s_client may believe the handshake finished.
Every probe therefore sends a well-formed HELLO frame (as ru) after
connecting. For each refused probe: us logs the handshake failure (with
the offered fingerprint where there is one), never logs TLS 1.3 with ru or
the link up, stores nothing, and the client sees an alert or a closed
connection, never a HELLO from us. us goes on serving its API and its
link to fr.
"""

import os
import re
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log, scaled  # noqa: E402

DEFECTS = []
# The start of us's HELLO payload to ru: version 1, str8 "us", str8 "ru".
US_HELLO = "\x01\x00\x01\x02us\x02ru"

LINK = dict(hlib.FAST_LINK)
LINK["handshake_timeout"] = "3s"


def hello_frame(party, peer):
    """A HELLO frame (docs/PROTOCOL.md section 5), no resume points."""
    def s8(s):
        return bytes([len(s)]) + s.encode()
    payload = (struct.pack(">H", 1) + s8(party) + s8(peer) +
               struct.pack(">Q", int(time.time() * 1000)) + b"\0")
    return struct.pack(">I", 1 + len(payload)) + b"\x01" + payload


def s_client(us, extra, data):
    """Run openssl s_client against us with data on stdin; it keeps
    reading after stdin ends until us closes. Returns CompletedProcess."""
    argv = ["openssl", "s_client", "-connect", us.addr, "-ign_eof",
            "-nocommands", "-servername", "localhost"] + extra
    # Binary stdin and output: hlib.run() works in text mode.
    p = hlib.spawn(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(input=data, timeout=scaled(30))
    except subprocess.TimeoutExpired:
        hlib.stop_proc(p, grace=2)
        raise hlib.TestFailure("s_client %s did not end" % " ".join(extra))
    rc = hlib.stop_proc(p)
    return subprocess.CompletedProcess(argv, rc,
                                       out.decode("latin-1"),
                                       err.decode("latin-1"))


def store_counts(us):
    """Rows that did not come from the genuine peer fr (whose traffic, and
    its receipts arriving at any moment, are expected)."""
    return (us.sql("SELECT count(*) FROM msgs WHERE peer != 'fr'")[0][0],
            us.sql("SELECT count(*) FROM receipts WHERE peer != 'fr'")[0][0])


def alive(us, fr, tag):
    st, _ = us.api("GET", "/v1/status", expect=None)
    check(st == 200 and us.running(), "us is not serving after %s" % tag)
    us.wait_link_up("fr", timeout=scaled(10))
    mid = us.send("fr", {"text": "after %s" % tag})
    hlib.wait_until(lambda: fr.sql("SELECT count(*) FROM msgs WHERE id=?",
                                   (mid,))[0][0] == 1, scaled(10),
                    "fr to get us's message after %s" % tag)


def refused(us, fr, tag, cp, off, before, want_log, want_client,
            fpr=None):
    """The common checks for a refused probe. before: store_counts(us)
    taken before the probe."""
    out = cp.stdout + cp.stderr
    new = us.log_text()[off:]
    log("   s_client exit %d; its last lines:\n      %s" % (
        cp.returncode, "\n      ".join(out.strip().splitlines()[-6:])))
    fails = [ln for ln in new.splitlines() if "TLS handshake from" in ln]
    log("   us logged: %s" % fails)
    check(fails, "%s: us logged no handshake failure" % tag)
    if os.environ.get("PROBE_DEBUG"):
        log("   client output:\n" + out)
    check(any(re.search(r"TLS handshake from unknown \(127\.0\.0\.1:\d+\) "
                        r"failed", ln) for ln in fails),
          "%s: no handshake failure line for the probe: %s" % (tag, fails))
    if not any(re.search(want_log, ln) for ln in fails):
        # The refusal happened; its logged reason is wrong. Collected and
        # reported at the end so the other checks still run.
        log("   LOG DEFECT: the reason does not match /%s/" % want_log)
        DEFECTS.append("%s: us's handshake failure line does not match "
                       "/%s/: %s" % (tag, want_log, fails))
    if fpr is not None:
        check(any(("offered key fingerprint %s (not pinned)" % fpr) in ln
                  for ln in fails),
              "%s: us did not log the offered fingerprint %s" % (tag, fpr))
    check("TLS 1.3 with ru" not in new and "link to ru up" not in new,
          "%s: us went past the handshake:\n%s" % (tag, new))
    check(not re.search(r"closing inbound connection from ru:", new),
          "%s: us treated the connection as ru's" % tag)
    check(re.search(want_client, out), "%s: s_client output does not "
          "match /%s/" % (tag, want_client))
    check(cp.returncode != 0, "%s: s_client exited 0" % tag)
    check(US_HELLO not in cp.stdout, "%s: s_client received us's HELLO: "
          "a session was completed" % tag)
    check(store_counts(us) == before, "%s: us stored something" % tag)
    alive(us, fr, tag)


def test(env):
    us = env.node("us").init(link=LINK)
    ru = env.node("ru").init(link=LINK)
    fr = env.node("fr").init(link=LINK)
    intruder = env.node("ru", name="intruder").init(link=LINK)
    check(intruder.fingerprint() != ru.fingerprint(), "intruder has ru's key")
    us.add_peer(ru, address=False)
    us.add_peer(fr)
    fr.add_peer(us)
    us.start()
    fr.start()
    us.wait_link_up("fr")
    rukey = os.path.join(ru.dir, "key.pem")
    ikey = os.path.join(intruder.dir, "key.pem")
    hello = hello_frame("ru", "us")

    # control: the pinned key over TLS 1.3 gets through and the link is up.
    log("== control: ru's pinned key, TLS 1.3, HELLO")
    off = len(us.log_text())
    cp = s_client(us, ["-tls1_3", "-cert", ru.cert, "-key", rukey], hello)
    new = us.log_text()[off:]
    log("   s_client exit %d" % cp.returncode)
    check("TLS 1.3 with ru" in new and "link to ru up" in new,
          "control: the pinned key did not bring the link up:\n%s" % new)
    check("New, TLSv1.3" in cp.stdout, "control: s_client did not "
          "negotiate TLS 1.3")
    check(US_HELLO in cp.stdout, "control: s_client did not receive us's "
          "HELLO")
    hlib.wait_until(lambda: re.search(r"closing inbound connection from "
                                      r"ru: dead", us.log_text()[off:]),
                    scaled(10), "us to drop the silent control link")
    log("   control link up, then closed as dead (s_client sends nothing)")

    log("== TLS 1.2 only, with the pinned key")
    off = len(us.log_text())
    before = store_counts(us)
    cp = s_client(us, ["-tls1_2", "-cert", ru.cert, "-key", rukey], hello)
    refused(us, fr, "tls1.2", cp, off, before,
            r"from unknown .*unsupported protocol",
            r"alert protocol version|no protocols available|"
            r"unsupported protocol|wrong version")
    check("Cipher is (NONE)" in cp.stdout, "tls1.2: a cipher was "
          "negotiated")

    log("== TLS 1.3 without a client certificate")
    off = len(us.log_text())
    before = store_counts(us)
    cp = s_client(us, ["-tls1_3"], hello)
    refused(us, fr, "no cert", cp, off, before,
            r"from unknown .*(did not return a certificate|certificate "
            r"required)",
            r"alert certificate required|certificate required")

    log("== TLS 1.3 with an unpinned key claiming to be ru")
    off = len(us.log_text())
    before = store_counts(us)
    cp = s_client(us, ["-tls1_3", "-cert", intruder.cert, "-key", ikey],
                  hello)
    refused(us, fr, "unpinned", cp, off, before,
            r"from unknown .*certificate verify failed",
            r"alert handshake failure|alert bad certificate|"
            r"alert certificate unknown", fpr=intruder.fingerprint())

    log("== plain text on the peer port")
    off = len(us.log_text())
    before = store_counts(us)
    s = socket.create_connection(("127.0.0.1", us.port),
                                 timeout=scaled(10))
    try:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n" + hello)
        got = b""
        while True:
            try:
                b = s.recv(4096)
            except (ConnectionResetError, socket.timeout):
                break
            if not b:
                break
            got += b
    finally:
        s.close()
    new = us.log_text()[off:]
    fails = [ln for ln in new.splitlines() if "TLS handshake from" in ln]
    log("   us answered %d bytes; logged %s" % (len(got), fails))
    check(fails, "plain: us logged no handshake failure")
    check("link to ru up" not in new, "plain: link came up")
    check(store_counts(us) == before, "plain: us stored something")
    alive(us, fr, "plain")
    check(not DEFECTS, "every probe was refused, but %d log line(s) give "
          "the wrong reason:\n  %s" % (len(DEFECTS), "\n  ".join(DEFECTS)))


if __name__ == "__main__":
    hlib.main(test)
