"""test_go_interop: hotline's checkpoints, signed notes and proofs checked
by an independent implementation, Go's golang.org/x/mod/sumdb/note and
sumdb/tlog (tests/interop/tlog_interop.go), and a Go-signed note checked by
`hotline audit verify-note`.

Skipped (exit 77) when Go or the Debian package golang-golang-x-mod-dev is
not installed. Built offline in GOPATH mode from /usr/share/gocode: no
network."""

import base64
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log  # noqa: E402

GOPATH = "/usr/share/gocode"
PROG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                    "interop", "tlog_interop.go")
hlib.FAST_LINK["checkpoint_interval"] = "300ms"


def test(env):
    us, ru = env.pair("us", "ru")
    nid = us.send("ru", {"text": "notification"}, channel="nrrc",
                  kind="notification", precedence="immediate")
    hlib.wait_until(lambda: ru.api("GET", "/v1/messages/" + nid,
                                   expect=None)[0] == 200,
                    hlib.scaled(10), "the message at ru")
    ru.post("/v1/messages/%s/ack" % nid, {})
    for i in range(150):
        us.send("ru", {"n": i})
        if i % 37 == 0:
            hlib.time.sleep(0.4)    # several checkpoints
    hlib.wait_delivered(us, ru, 151, hlib.scaled(20))

    def covered():
        s = us.get("/v1/audit")
        return s["cosignatures"] >= 1 and s["checkpoint_size"] == s["size"]
    hlib.wait_until(covered, hlib.scaled(20), "cosigned checkpoint")
    pf = os.path.join(env.root, "proof.json")
    hlib.hotline(["-c", us.conf, "audit", "prove", nid, "-o", pf],
                 check_rc=0)
    s = us.get("/v1/audit")
    leaves = [base64.b64encode(r[0]).decode() for r in
              us.sql("SELECT data FROM tlog_leaves ORDER BY idx")]
    cps = [r[0] for r in us.sql("SELECT note FROM tlog_checkpoints "
                                "ORDER BY size")]
    check(len(cps) >= 3, "only %d checkpoints" % len(cps))
    size = s["size"]
    cons = []
    for a, b in ((1, size), (2, size), (3, 7), (size // 3, size - 1),
                 (size - 1, size), (size, size), (64, 128), (63, 129)):
        if 1 <= a <= b <= size:
            cons.append(us.get("/v1/audit/consistency?from=%d&to=%d" %
                               (a, b)))
    with open(pf) as f:
        proof = json.load(f)
    inp = os.path.join(env.root, "interop.json")
    with open(inp, "w") as f:
        json.dump({"vkey": s["vkey"],
                   "cosigner_vkey": ru.get("/v1/audit")["cosigner_vkey"],
                   "leaves": leaves, "checkpoints": cps, "proof": proof,
                   "consistency": cons}, f)
    genv = dict(os.environ, GO111MODULE="off", GOPATH=GOPATH,
                GOCACHE=os.path.join(env.root, "gocache"), GOFLAGS="",
                GOPROXY="off", CGO_ENABLED="0", HOME=env.root)
    cp = subprocess.run(["go", "run", PROG, inp], env=genv,
                        capture_output=True, text=True,
                        timeout=hlib.scaled(240))
    log(cp.stdout + cp.stderr)
    check(cp.returncode == 0, "the Go check failed (exit %d)" %
          cp.returncode)
    out = json.loads(cp.stdout.strip().splitlines()[-1])
    nf = os.path.join(env.root, "go-note")
    with open(nf, "w") as f:
        f.write(out["note"])
    r = hlib.hotline(["audit", "verify-note", nf, "--key", out["vkey"]],
                     check_rc=0)
    log(r.stdout)
    check("signed by go.example/interop (verified)" in r.stdout and
          "checkpoint: origin go.example/log, size %d" % size in r.stdout,
          "hotline did not verify Go's note: %r" % r.stdout)
    # A changed note or someone else's key: refused.
    with open(nf, "w") as f:
        f.write(out["note"].replace("go.example/log", "go.example/lag", 1))
    r = hlib.hotline(["audit", "verify-note", nf, "--key", out["vkey"]],
                     check_rc=1)
    r = hlib.hotline(["audit", "verify-note", nf, "--key", s["vkey"]],
                     check_rc=1)


if __name__ == "__main__":
    if shutil.which("go") is None or not os.path.isdir(
            os.path.join(GOPATH, "src/golang.org/x/mod/sumdb/tlog")):
        print("go or golang-golang-x-mod-dev missing: skipped")
        sys.exit(77)
    hlib.main(test)
