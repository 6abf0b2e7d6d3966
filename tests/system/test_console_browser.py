#!/usr/bin/env python3
"""test_console_browser: the web console end to end in a real browser.

Two nodes (us, ru) with HTTPS listeners and accounts; then
tests/browser/console.test.mjs drives Debian's chromium through
playwright-core: log in (one of them keyboard only), ru composes an
exercise FLASH to us, us's console shows it without a reload (alarm,
EXERCISE mark, countdown), switches language, acknowledges and replies in
one step, ru's console shows it acknowledged; a request without the CSRF
token and a cross-site form are refused and send nothing; a CERT analyst
cannot read or send on the direct line. Screenshots of the main screens go
to BUILD/browser-artifacts/.

Skips (exit 77) with the reason when chromium, node or playwright-core
(`npm ci` in tests/browser, done by scripts/deps.sh) is missing.
"""

import os
import shutil
import sys

import hlib
import hweb
from hlib import check, log, scaled

HERE = os.path.dirname(os.path.abspath(__file__))
BROWSER_DIR = os.path.join(os.path.dirname(HERE), "browser")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = os.path.join(os.path.dirname(os.path.abspath(hlib.TEST_TMP)),
                         "browser-artifacts")
PASSWORD = "watch floor password"


def skip_reason():
    if not os.access(CHROMIUM, os.X_OK):
        return "no chromium at %s (scripts/deps.sh installs it)" % CHROMIUM
    if shutil.which("node") is None:
        return "no node on PATH (Debian nodejs)"
    if not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules",
                                      "playwright-core")):
        return ("playwright-core not installed: run `npm ci` in %s "
                "(scripts/deps.sh does)" % BROWSER_DIR)
    return None


def test(env):
    us = env.node("us").init()
    ru = env.node("ru").init()
    us.add_peer(ru)
    ru.add_peer(us)
    hweb.enable_https(us)
    hweb.enable_https(ru)
    for n in (us, ru):		# checkpoints (and cosignatures) every second
        hlib.conf_set(n.conf, "link", {"checkpoint_interval": "1s"})
    us.start()
    ru.start()
    us.wait_link_up("ru")
    hweb.add_account(us, "wanda", "watch", PASSWORD)
    hweb.add_account(us, "carl", "cert", PASSWORD)
    hweb.add_account(ru, "ivan", "watch", PASSWORD)
    direct_id = us.send("ru", {"text": "principals only"}, channel="direct",
                        kind="text", precedence="flash")
    us.send("ru", {"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-"
                   "33f4c354e56d", "objects": [{
                       "type": "indicator", "spec_version": "2.1",
                       "id": "indicator--8e2e2d2b-17d4-4cbf-938f-"
                       "98ee46b3cd3f",
                       "pattern": "[ipv4-addr:value = '198.51.100.7']",
                       "pattern_type": "stix",
                       "object_marking_refs": [
                           "marking-definition--bab4a63c-aed9-4cf5-a766-"
                           "dfca5abac2bb"]}, {
                       "type": "sighting", "spec_version": "2.1",
                       "id": "sighting--ee20065d-2555-424f-ad9e-"
                       "0f8428623c75", "count": 3,
                       "sighting_of_ref": "indicator--8e2e2d2b-17d4-4cbf-"
                       "938f-98ee46b3cd3f"}]},
            channel="cert", kind="stix-bundle")
    os.makedirs(ARTIFACTS, exist_ok=True)
    e = dict(os.environ)
    e.update({"US_URL": "https://" + us.https_addr,
              "RU_URL": "https://" + ru.https_addr,
              "PASSWORD": PASSWORD, "DIRECT_ID": direct_id,
              "ARTIFACTS": ARTIFACTS, "CHROMIUM": CHROMIUM})
    cp = hlib.run(["node", os.path.join(BROWSER_DIR, "console.test.mjs")],
                  timeout=scaled(120), env=e)
    for ln in (cp.stdout + cp.stderr).splitlines():
        log(ln)
    check(cp.returncode == 0, "browser test failed (exit %d)" %
          cp.returncode)
    shots = sorted(f for f in os.listdir(ARTIFACTS) if f.endswith(".png"))
    check(len(shots) >= 8, "screenshots: %r" % shots)
    log("screenshots in %s: %s" % (ARTIFACTS, ", ".join(shots)))
    # The peer's record agrees: acknowledged by us, our operator recorded.
    flash = [m for m in us.list_all(channel="nrrc")
             if m["precedence"] == "flash" and m["dir"] == "in"]
    check(len(flash) == 1 and flash[0]["state"] == "acknowledged",
          "flash at us: %r" % flash)
    m = us.get("/v1/messages/" + flash[0]["id"])
    ack = [h for h in m["history"] if h["event"] == "acknowledged"]
    check(ack and ack[0]["operator"] == "wanda", "ack operator: %r" % ack)


if __name__ == "__main__":
    why = skip_reason()
    if why:
        print("SKIP test_console_browser: " + why, flush=True)
        sys.exit(77)
    hlib.main(test)
