"""test_nrrc: the NRRC channel end to end with two daemons on loopback.

us composes an incident notification from the template with `hotline
notify` (flags; a missing or invalid field is refused naming the field,
and nothing is sent) and a goodwill message through the interactive
prompt; both sides render it with `show --lang en|ru` and state the same
facts. ru does not acknowledge in time (nrrc_flash = 2s here): the message
becomes overdue on both sides (inbox, API, log), ru's escalate_hook runs
exactly once with the message's facts in its environment, also across a
restart; ru's late ack is recorded as late on both sides. A message naming
a template or catalogue version ru does not have is stored, flagged and
shown raw with an explanation. Checks: one answered in time, one late, one
unanswered (and an exercise one, not counted) give exactly those
statistics. `hotline shift` summarises it all; HELLO carried each side's
catalogue version."""

import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log  # noqa: E402

CHECK_LIMIT = 5  # seconds: [deadlines] check_immediate

FIELDS = [
    ("reference", "US-NRRC-2026-0042"),
    ("incident_start", "2026-11-23T06:40:00Z"),
    ("detected", "2026-11-23T07:05:30Z"),
    ("sector", "energy"),
    ("systems", "SCADA servers of a regional grid operator"),
    ("activity", "intrusion"),
    ("observed", "Remote logins with stolen credentials"),
    ("origin@ru", "Инфраструктура на территории получателя"),
    ("origin_confidence", "moderate"),
    ("impact", "significant"),
    ("actions", "Hosts isolated; credentials revoked"),
    ("request", "Please investigate 203.0.113.7"),
    ("contacts", "US NRRC duty officer, +1 202 555 0100"),
]


def cli(node, *args, rc=0, input=None):
    return hlib.hotline(["-c", node.conf] + list(args), check_rc=rc,
                        input=input)


def sets(fields):
    out = []
    for k, v in fields:
        out += ["--set", "%s=%s" % (k, v)]
    return out


def count_out(node):
    return node.sql("SELECT COUNT(*) FROM msgs WHERE dir = 0")[0][0]


def after_header(text):
    """The template part of a rendering: everything after the header."""
    return text.split("\n\n", 1)[1]


def test(env):
    us = env.node("us").init()
    ru = env.node("ru").init()
    us.add_peer(ru)
    ru.add_peer(us)
    hookout = os.path.join(env.root, "hook.out")
    for n in (us, ru):
        hlib.conf_set(n.conf, "deadlines", {
            "nrrc_flash": "2s", "check_immediate": "%ds" % CHECK_LIMIT})
    hlib.conf_set(ru.conf, "nrrc", {
        "escalate_hook": "env | grep ^HOTLINE_ | sort >> %s; echo --- >> %s"
        % (hookout, hookout)})
    us.start()
    ru.start()
    us.wait_link_up("ru")
    ru.wait_link_up("us")

    # HELLO carried the catalogue.
    t = us.get("/v1/templates")
    check(t["catalogue"] == "hotline-nrrc" and t["version"] >= 1,
          "catalogue: %r" % {k: t[k] for k in ("catalogue", "version")})
    check(len(t["templates"]) >= 7, "templates: %r" % t["templates"])
    peer = [p for p in t["peers"] if p["party"] == "ru"][0]
    check(peer == {"party": "ru", "catalogue": "hotline-nrrc",
                   "version": t["version"]}, "ru's announced catalogue: %r"
          % peer)
    cp = cli(us, "notify", "--list")
    check("incident-notification" in cp.stdout and "УВЕДОМЛЕНИЕ" in
          cp.stdout, "notify --list: %r" % cp.stdout)

    # Refusals name the field; nothing is sent.
    before = count_out(us)
    bad = [f for f in FIELDS if f[0] != "detected"]
    cp = cli(us, "notify", "incident-notification", "--to", "ru",
             "--precedence", "flash", *sets(bad), rc=1)
    check("'detected'" in cp.stderr and "nothing sent" in cp.stderr,
          "missing field not named: %r" % cp.stderr)
    bad = [(k, "bakery" if k == "sector" else v) for k, v in FIELDS]
    cp = cli(us, "notify", "incident-notification", "--to", "ru",
             "--precedence", "flash", *sets(bad), rc=1)
    check("'sector'" in cp.stderr and "energy" in cp.stderr,
          "bad enum not named: %r" % cp.stderr)
    bad = [(k, "2026-11-23 07:05" if k == "detected" else v)
           for k, v in FIELDS]
    cp = cli(us, "notify", "incident-notification", "--to", "ru",
             *sets(bad), rc=1)
    check("'detected'" in cp.stderr, "bad time not named: %r" % cp.stderr)
    # The API refuses the same way.
    r = us.api("POST", "/v1/notify", {
        "to": "ru", "template": "incident-notification",
        "fields": {"reference": "X"}}, expect=400)[1]
    check("incident_start" in r["error"], "API refusal: %r" % r)
    check(count_out(us) == before, "a refused notify sent something")

    # The real one.
    cp = cli(us, "notify", "incident-notification", "--to", "ru",
             "--precedence", "flash", *sets(FIELDS))
    m = re.search(r"\b([0-9a-f]{12})\b", cp.stdout)
    check(m is not None, "notify printed no id: %r" % cp.stdout)
    mid = [i for (i,) in us.sql("SELECT id FROM msgs WHERE dir=0 AND "
                                "kind='notification'")][0]
    check(mid.startswith(m.group(1)), "printed id is not the message's")
    hlib.wait_until(lambda: ru.sql("SELECT COUNT(*) FROM msgs WHERE id=?",
                                   (mid,))[0][0] == 1,
                    hlib.scaled(15), "the notification at ru")

    # Both sides, both languages: the same facts.
    renders = {}
    for node in (us, ru):
        for lang in ("en", "ru"):
            renders[node.party, lang] = cli(node, "show", mid[:12],
                                            "--lang", lang).stdout
    en, ruru = renders["ru", "en"], renders["ru", "ru"]
    for want in ("INCIDENT NOTIFICATION", "US-NRRC-2026-0042",
                 "Affected sector: energy", "FLASH",
                 "23 November 2026, 06:40:00 UTC",
                 "Инфраструктура на территории получателя",
                 "written in: Russian"):
        check(want in en, "en rendering lacks %r:\n%s" % (want, en))
    for want in ("УВЕДОМЛЕНИЕ ОБ ИНЦИДЕНТЕ", "US-NRRC-2026-0042",
                 "Затронутая отрасль: энергетика", "МОЛНИЯ",
                 "23 ноября 2026 г., 06:40:00 UTC",
                 "Please investigate 203.0.113.7",
                 "язык оригинала: английский"):
        check(want in ruru, "ru rendering lacks %r:\n%s" % (want, ruru))
    for lang in ("en", "ru"):
        check(after_header(renders["us", lang]) ==
              after_header(renders["ru", lang]),
              "sender and receiver render different facts (%s):\n%s\n---\n"
              "%s" % (lang, renders["us", lang], renders["ru", lang]))

    # Interactive compose: a goodwill message (occasion skipped).
    cp = cli(us, "notify", "goodwill", "--to", "ru", "-i", "--exercise",
             input="\nHappy New Year to the watch at the other end\ny\n")
    check("queued" in cp.stdout and "EXERCISE" in cp.stdout,
          "interactive notify: %r / %r" % (cp.stdout, cp.stderr))
    check("MESSAGE OF GOODWILL" in cp.stderr, "no preview: %r" % cp.stderr)
    gw = [i for (i,) in us.sql("SELECT id FROM msgs WHERE dir=0 AND "
                               "kind='text'")][0]
    hlib.wait_until(lambda: ru.sql("SELECT COUNT(*) FROM msgs WHERE id=?",
                                   (gw,))[0][0] == 1, hlib.scaled(15),
                    "the goodwill message at ru")
    # The prompt asks again after an invalid answer, naming the field.
    cp = cli(ru, "notify", "acknowledgment", "--to", "us", "--ref", gw[:12],
             "--exercise", "-i", "--yes", input="\nmaybe\nreceived\n\n")
    check("field 'status'" in cp.stderr and "again" in cp.stderr and
          "queued" in cp.stdout, "interactive re-ask: %r / %r" % (
              cp.stdout, cp.stderr))
    # End of input before the required fields: nothing sent.
    n0 = count_out(us)
    cp = cli(us, "notify", "request-for-assistance", "--to", "ru", "-i",
             input="US-1\n", rc=1)
    check("nothing sent" in cp.stderr and count_out(us) == n0,
          "interactive EOF: %r" % cp.stderr)

    # Overdue: 2 s after receipt without an ack.
    def overdue(node):
        x = node.get("/v1/messages/" + mid)
        return x["deadline_state"] == "overdue" and x["overdue_since"]
    hlib.wait_until(lambda: overdue(ru) and overdue(us), hlib.scaled(15),
                    "the notification overdue on both sides")
    hlib.wait_until(lambda: os.path.exists(hookout) and
                    "---" in open(hookout).read(), hlib.scaled(10),
                    "ru's escalate_hook")
    hook = open(hookout).read()
    for want in ("HOTLINE_EVENT=overdue", "HOTLINE_MSG_ID=" + mid,
                 "HOTLINE_DIRECTION=in", "HOTLINE_PEER=us",
                 "HOTLINE_PRECEDENCE=flash", "HOTLINE_EXERCISE=0",
                 "HOTLINE_TEMPLATE=incident-notification",
                 "HOTLINE_REFERENCE=US-NRRC-2026-0042"):
        check(want + "\n" in hook, "hook environment lacks %r:\n%s" %
              (want, hook))
    cp = cli(ru, "inbox")
    line = [ln for ln in cp.stdout.splitlines() if mid[:12] in ln]
    check(line and "OVERDUE" in line[0], "ru's inbox: %r" % cp.stdout)
    ov = ru.get("/v1/overdue")["overdue"]
    check([x["id"] for x in ov] == [mid], "ru /v1/overdue: %r" % ov)
    check("OVERDUE: not acknowledged in time" in
          cli(ru, "show", mid[:12], "--lang", "en").stdout,
          "rendering does not say overdue")
    check(re.search(r"overdue %s" % mid[:12], ru.log_text()),
          "no overdue line in ru's log")
    # A restart changes nothing: the hook does not run again.
    ru.restart()
    ru.wait_link_up("us")
    time.sleep(2.5)
    check(open(hookout).read().count("---") == 1, "hook ran again:\n%s" %
          open(hookout).read())
    check(overdue(ru), "overdue state lost in the restart")

    # The late ack is recorded late on both sides.
    cli(ru, "ack", mid[:12])

    def late(node):
        x = node.get("/v1/messages/" + mid)
        return x["deadline_state"] == "acknowledged-late" and x["ack_late"]
    hlib.wait_until(lambda: late(ru) and late(us), hlib.scaled(15),
                    "the ack recorded late on both sides")
    hlib.wait_until(lambda: ru.sql("SELECT COUNT(*) FROM events WHERE "
                                   "kind='ack-late'")[0][0] == 1,
                    hlib.scaled(10), "one ack-late event at ru")
    check(re.search(r"ack-late %s" % mid[:12], ru.log_text()),
          "no ack-late line in ru's log")
    check(ru.get("/v1/overdue")["overdue"] == [], "still overdue after ack")

    # A request for information, acknowledged and answered with templates.
    cp = cli(us, "notify", "request-for-information", "--to", "ru",
             "--precedence", "immediate", "--json",
             "--set", "reference=US-NRRC-2026-0043",
             "--set", "subject=Address 203.0.113.7",
             "--set", "questions@ru=Какие ещё индикаторы?",
             "--set", "contacts=US NRRC")
    rfi = json.loads(cp.stdout)["id"]
    hlib.wait_until(lambda: ru.sql("SELECT COUNT(*) FROM msgs WHERE id=?",
                                   (rfi,))[0][0] == 1, hlib.scaled(15),
                    "the RFI at ru")
    cp = cli(ru, "notify", "acknowledgment", "--to", "us",
             "--set", "status=reviewing", rc=1)
    check("--ref" in cp.stderr, "ack without ref: %r" % cp.stderr)
    cli(ru, "notify", "acknowledgment", "--to", "us", "--precedence",
        "immediate", "--ref", rfi[:12], "--set", "status=reviewing",
        "--set", "reference=US-NRRC-2026-0043")
    cli(ru, "notify", "response", "--to", "us", "--ref", rfi[:12],
        "--lang", "ru", "--set", "reference=US-NRRC-2026-0043",
        "--set", "status=interim", "--set", "answer=Проверяем")
    hlib.wait_until(lambda: us.get("/v1/messages/" + rfi)["deadline_state"]
                    == "acknowledged", hlib.scaled(15),
                    "the RFI acknowledged in time at us")
    resp = [i for (i,) in us.sql("SELECT id FROM msgs WHERE dir=1 AND "
                                 "kind='response' AND ref=?", (rfi,))]
    check(len(resp) == 1, "no response at us")
    text = cli(us, "show", resp[0][:12], "--lang", "en").stdout
    check("RESPONSE" in text and "Проверяем" in text and
          "interim answer" in text and "In reply to: " + rfi in text,
          "response rendering:\n%s" % text)

    # Unknown template and unknown catalogue version: stored, flagged, raw.
    unknown = {"template": "treaty-notice", "catalogue": "hotline-nrrc",
               "version": 1, "fields": {"clause": "Статья 5"}}
    newer = {"template": "incident-notification", "catalogue":
             "hotline-nrrc", "version": 99, "fields": {"reference": "Z-9",
                                                       "new": "x"}}
    ids = []
    for body in (unknown, newer):
        r = us.post("/v1/messages", {"to": "ru", "channel": "nrrc",
                                     "kind": "notification",
                                     "precedence": "routine",
                                     "body": body})
        ids.append(r["id"])
    hlib.wait_until(lambda: ru.sql("SELECT COUNT(*) FROM msgs WHERE id IN "
                                   "(?, ?)", tuple(ids))[0][0] == 2,
                    hlib.scaled(15), "the unknown-template messages at ru")
    for i, status, word in ((ids[0], "unknown-template", "treaty-notice"),
                            (ids[1], "unknown-catalogue-version",
                             "version 99")):
        x = ru.get("/v1/messages/" + i)
        check(x["template"]["status"] == status and
              x["template"]["explanation"], "flag of %s: %r" % (
                  status, x["template"]))
        text = cli(ru, "show", i[:12], "--lang", "en").stdout
        check("NOT RENDERED" in text and word in text and
              "exactly as received" in text, "raw rendering of %s:\n%s" %
              (status, text))
        text = cli(ru, "show", i[:12], "--lang", "ru").stdout
        check("НЕ ОТОБРАЖЕНО" in text, "raw rendering (ru):\n%s" % text)
    check("Статья 5" in cli(ru, "show", ids[0][:12], "--lang",
                            "en").stdout, "raw body not shown")
    check(re.search(r"received %s .*treaty-notice cannot be rendered here"
                    % ids[0][:12], ru.log_text()),
          "the unknown template is not flagged in ru's log")
    inbox = cli(ru, "inbox").stdout
    check("[RAW: unknown template]" in inbox and
          "[RAW: unknown catalogue version]" in inbox,
          "inbox does not flag them:\n%s" % inbox)

    # Communication checks: in time, late, unanswered; plus an exercise one.
    cids = []
    for i in range(3):
        cp = cli(us, "checks", "send", "--to", "ru", "--json")
        cids.append(json.loads(cp.stdout)["id"])
    cp = cli(us, "checks", "send", "--to", "ru", "--exercise", "--json")
    exid = json.loads(cp.stdout)["id"]
    hlib.wait_until(lambda: ru.sql("SELECT COUNT(*) FROM msgs WHERE "
                                   "channel=3 AND kind='ping'")[0][0] == 4,
                    hlib.scaled(15), "the checks at ru")
    hlib.wait_until(lambda: us.sql("SELECT COUNT(*) FROM msgs m JOIN "
                                   "msgs_out o ON o.rid = m.rid WHERE "
                                   "m.channel=3 AND m.kind='ping' AND "
                                   "o.received IS NOT NULL")[0][0] == 4,
                    hlib.scaled(15), "receipts for the checks")
    cli(ru, "checks", "answer", cids[0][:12])
    cli(ru, "checks", "answer", exid[:12])
    shift = json.loads(cli(ru, "shift", "--json").stdout)
    check(len(shift["checks_to_answer"]) == 2, "ru's checks to answer: %r"
          % shift["checks_to_answer"])
    time.sleep(CHECK_LIMIT + 1)
    cli(ru, "checks", "answer", cids[1][:12])

    def stats():
        j = json.loads(cli(us, "checks", "--json").stdout)
        return j["peers"]
    hlib.wait_until(lambda: stats() and stats()[0]["answered_late"] == 1,
                    hlib.scaled(15), "the late answer at us")
    s = stats()[0]
    check((s["peer"], s["sent"], s["answered_in_time"], s["answered_late"],
           s["unanswered"], s["pending"]) == ("ru", 3, 1, 1, 1, 0),
          "check statistics: %r" % s)
    check(s["worst_response_ms"] > CHECK_LIMIT * 1000 and
          s["median_response_ms"] <= s["worst_response_ms"],
          "response times: %r" % s)
    ex = json.loads(cli(us, "checks", "--exercise", "--json").stdout)
    check([(p["sent"], p["answered_in_time"]) for p in ex["peers"]] ==
          [(1, 1)], "exercise statistics: %r" % ex)
    cp = cli(us, "checks")
    check(re.search(r"ru\s+3\s+1\s+1\s+1\s+0", cp.stdout),
          "checks table: %r" % cp.stdout)

    # The handover summary.
    cp = cli(us, "shift")
    log("us's shift summary:\n" + cp.stdout)
    log("ru's inbox:\n" + cli(ru, "inbox").stdout)
    for want in ("HANDOVER us", "Our checks unanswered past their limit: 1",
                 "Link health", "ru", "Communication checks"):
        check(want in cp.stdout, "shift lacks %r:\n%s" % (want, cp.stdout))
    sj = json.loads(cli(us, "shift", "--json").stdout)
    check([x["id"] for x in sj["checks_unanswered"]] == [cids[2]],
          "unanswered checks in shift: %r" % sj["checks_unanswered"])
    check(sj["links"][0]["peer"] == "ru" and sj["links"][0]["state"] ==
          "up", "links in shift: %r" % sj["links"])
    # Scheduled checks: every check_interval, resumed from the store.
    def scheduled():
        return ru.sql("SELECT COUNT(*) FROM msgs WHERE channel=3 AND "
                      "kind='ping' AND CAST(body AS TEXT) LIKE "
                      "'%\"scheduled\":\"scheduled\"%'")[0][0]
    check(scheduled() == 0, "a scheduled check without check_interval")
    hlib.conf_set(us.conf, "nrrc", {"check_interval": "2s"})
    us.restart()
    us.wait_link_up("ru")
    hlib.wait_until(lambda: scheduled() >= 2, hlib.scaled(20),
                    "two scheduled checks at ru")
    check("scheduled communication check" in us.log_text(),
          "scheduled check not logged")
    log("nrrc: notify, render en/ru both sides, overdue + hook once across "
        "a restart, late ack, raw unknown templates, check statistics OK")


if __name__ == "__main__":
    hlib.main(test)
