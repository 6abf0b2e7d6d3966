"""test_cli: the operator's round trip with the hotline command-line tool.

us sends a FLASH NRRC notification with `hotline send`; ru's `inbox` lists
it (human and --json); `show` gives its history; `ack --note` acknowledges
it and us's `show` then reports it acknowledged; `status` shows the peer
up. With us's daemon stopped, or with a wrong -s path, `status` fails with
a clear error naming the socket."""

import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log  # noqa: E402

TEXT = "Incident 42: scanning from 203.0.113.7 \u2014 please confirm"
NOTE = "seen by the watch officer, investigating"


def cli(node, *args, rc=0):
    return hlib.hotline(["-c", node.conf] + list(args), check_rc=rc)


def test(env):
    us, ru = env.pair("us", "ru")

    cp = cli(us, "send", "--to", "ru", "--channel", "nrrc", "--kind",
             "notification", "--precedence", "flash", "--text", TEXT)
    m = re.search(r"\b([0-9a-f]{8,64})\b", cp.stdout)
    check(m is not None, "send printed no id: %r" % cp.stdout)
    short = m.group(1)
    log("send: " + cp.stdout.strip())
    full = [i for (i,) in us.sql("SELECT id FROM msgs WHERE dir=0")]
    check(len(full) == 1 and full[0].startswith(short), "the printed id %s "
          "is not the stored message's id %r" % (short, full))
    mid = full[0]
    hlib.wait_delivered(us, ru, 1, hlib.scaled(15))

    # inbox, human.
    cp = cli(ru, "inbox")
    rows = [ln for ln in cp.stdout.splitlines() if short[:8] in ln]
    check(len(rows) == 1, "inbox does not list %s once:\n%s" % (short,
                                                               cp.stdout))
    row = rows[0]
    for want in ("FLASH", "nrrc", "notification", "us", "Incident 42"):
        check(want in row, "inbox line lacks %r: %r" % (want, row))
    # inbox --json, both as a global option and after the command.
    for argv in (["--json", "inbox"], ["inbox", "--json"]):
        cp = cli(ru, *argv)
        j = json.loads(cp.stdout)
        check([x["id"] for x in j["messages"]] == [mid], "inbox %s: %r" % (
            argv, j))
        x = j["messages"][0]
        check(x["body"]["text"] == TEXT and x["precedence"] == "flash" and
              x["channel"] == "nrrc" and x["from"] == "us", "inbox --json "
              "fields: %r" % x)

    # show on the receiving side: history present.
    cp = cli(ru, "show", short)
    check(mid in cp.stdout and "history" in cp.stdout.lower() and
          TEXT in cp.stdout, "ru show:\n%s" % cp.stdout)
    cp = cli(ru, "--json", "show", mid)
    j = json.loads(cp.stdout)
    check(j["id"] == mid and isinstance(j.get("history"), list) and
          j["history"], "show --json has no history: %r" % j)

    # ack with a note; us then reports acknowledged.
    cp = cli(ru, "ack", short, "--note", NOTE)
    log("ack: " + cp.stdout.strip())
    check("acknowledged" in cp.stdout.lower() or re.search(
        r"[0-9a-f]{8}", cp.stdout), "ack printed %r" % cp.stdout)

    def acked():
        j = json.loads(cli(us, "--json", "show", mid).stdout)
        return j if j.get("state") == "acknowledged" else None
    j = hlib.wait_until(acked, hlib.scaled(15), "us to see the ack")
    check(j.get("ack_id"), "acknowledged without ack_id: %r" % j)
    ack = us.get("/v1/messages/" + j["ack_id"])
    check(ack["kind"] == "ack" and ack["ref"] == mid and ack["from"] == "ru"
          and NOTE in json.dumps(ack["body"], ensure_ascii=False),
          "the ack message at us: %r" % ack)
    cp = cli(us, "show", short)
    check("acknowledged" in cp.stdout, "us show does not report "
          "acknowledged:\n%s" % cp.stdout)
    hist = [ln for ln in cp.stdout.splitlines() if "acknowledged" in ln]
    log("us show: " + " | ".join(h.strip() for h in hist))

    # status shows the peer up.
    cp = cli(us, "status")
    peer = [ln for ln in cp.stdout.splitlines() if ln.split()[:1] == ["ru"]]
    check(peer and re.search(r"\bup\b", peer[0]), "status:\n%s" %
          cp.stdout)
    j = json.loads(cli(us, "--json", "status").stdout)
    check(any(p["party"] == "ru" and p["state"] == "up" for p in
              j["peers"]), "status --json: %r" % j)

    # A wrong -s path: non-zero with a clear error naming the socket.
    bad = os.path.join(env.root, "nowhere", "api.sock")
    cp = hlib.hotline(["-c", us.conf, "-s", bad, "status"])
    check(cp.returncode != 0 and bad in cp.stderr, "wrong -s: rc %d, "
          "stderr %r" % (cp.returncode, cp.stderr))
    log("wrong -s: " + cp.stderr.strip())

    # The daemon stopped: non-zero, the error names the socket.
    us.stop()
    cp = hlib.hotline(["-c", us.conf, "status"])
    check(cp.returncode != 0, "status with hotlined stopped exits 0")
    check(us.sock in cp.stderr and "socket" not in cp.stdout,
          "status with the daemon stopped: stderr %r" % cp.stderr)
    check(cp.stdout == "", "status printed to stdout on failure: %r" %
          cp.stdout)
    log("stopped: " + cp.stderr.strip())

    # Killed with SIGKILL: a stale socket file may remain; same clear error.
    us.start()
    us.kill9()
    cp = hlib.hotline(["-c", us.conf, "status"])
    check(cp.returncode != 0 and us.sock in cp.stderr and cp.stdout == "",
          "status after SIGKILL: rc %d, stderr %r" % (cp.returncode,
                                                      cp.stderr))
    log("killed: " + cp.stderr.strip())


if __name__ == "__main__":
    hlib.main(test)
