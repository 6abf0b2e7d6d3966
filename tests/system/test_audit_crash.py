"""test_audit_crash: the transparency log survives SIGKILL mid-append.

us accepts batches of messages for ru as fast as it can (each batch is one
transaction appending its leaves) while it is killed with SIGKILL three
times at arbitrary moments and restarted. Afterwards:
- `hotline audit check` on us recomputes the whole log: every leaf, every
  stored subtree hash, every checkpoint (all still have their root at
  their size) and cosignature: OK;
- the log holds exactly one leaf per message us committed (out) or
  received, and per receipt;
- ru, witnessing us's log across the crashes, raised no alarm and has
  cosigned us's latest checkpoint, which covers the whole log."""

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log  # noqa: E402

hlib.FAST_LINK["checkpoint_interval"] = "300ms"
hlib.FAST_LINK["checkpoint_burst"] = "200"


def sender(us, stop, count):
    batch = [{"to": "ru", "channel": "cert", "kind": "text",
              "precedence": "routine", "body": {"n": i}} for i in range(50)]
    while not stop.is_set():
        try:
            st, j = us.api("POST", "/v1/messages/batch",
                           {"messages": batch}, expect=None, timeout=5)
            if st == 201:
                count[0] += len(batch)
        except Exception:
            pass    # the daemon is being killed


def test(env):
    us, ru = env.pair("us", "ru")
    stop = threading.Event()
    for k in range(3):
        count = [0]
        t = threading.Thread(target=sender, args=(us, stop, count))
        t.start()
        hlib.time.sleep(0.4 + 0.3 * k)
        us.kill9()
        stop.set()
        t.join()
        stop.clear()
        log("round %d: killed us after ~%d accepted" % (k + 1, count[0]))
        us.start()
        us.wait_link_up("ru")
    total = us.sql("SELECT count(*) FROM msgs WHERE dir=0")[0][0]
    hlib.wait_delivered(us, ru, total, hlib.scaled(60))

    def covered():
        s = us.get("/v1/audit")
        return s["cosignatures"] >= 1 and s["checkpoint_size"] == s["size"]
    hlib.wait_until(covered, hlib.scaled(20), "a cosigned checkpoint "
                    "covering us's whole log")
    out = hlib.hotline(["-c", us.conf, "audit", "check"], check_rc=0).stdout
    log(out.strip())
    check(out.startswith("log OK"), "audit check: %s" % out)
    leaves = us.sql("SELECT count(*) FROM tlog_leaves")[0][0]
    msgs = us.sql("SELECT count(*) FROM msgs")[0][0]
    rcpts = us.sql("SELECT count(*) FROM receipts")[0][0]
    check(leaves == msgs + rcpts, "%d leaves for %d messages and %d "
          "receipts" % (leaves, msgs, rcpts))
    ck = us.sql("SELECT count(*) FROM tlog_checkpoints")[0][0]
    check(ck >= 3, "only %d checkpoints" % ck)
    ev = ru.get("/v1/audit/evidence")
    check(ev["evidence"] == [] and ev["alarms_since_start"] == 0,
          "ru raised an alarm about us: %r" % ev)
    check("ALARM" not in ru.log_text(), "ALARM in ru's log")
    log("%d messages, %d leaves, %d checkpoints; witness content" % (
        total, leaves, ck))


if __name__ == "__main__":
    hlib.main(test)
