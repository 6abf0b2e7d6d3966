"""test_config_check: `hotlined -n -c FILE` checks a configuration.

A good configuration (made by `hotline init` and `hotline peer add`, and a
hand-written one with unnormalised spellings) exits 0 and prints a
normalised configuration that `hotlined -n` accepts again and prints
identically. A configuration with an error on line N (unknown key in each
kind of section, unknown section, bad value, duplicate key) exits non-zero
and its stderr names `hotline.conf:N:`."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log  # noqa: E402

FPR_UP = "AB" * 32


def check_conf(path):
    return hlib.run([hlib.HOTLINED, "-n", "-c", path])


def normalise_twice(env, path, tag):
    """-n on path, then -n on its output (saved in another directory):
    both exit 0 and print the same text. Returns the text."""
    cp = check_conf(path)
    check(cp.returncode == 0, "%s: hotlined -n exit %d: %s" % (
        tag, cp.returncode, cp.stderr))
    check("[node]" in cp.stdout, "%s: no normalised config on stdout: %r" %
          (tag, cp.stdout))
    d = os.path.join(env.root, "renorm-" + tag)
    os.makedirs(d)
    again = os.path.join(d, "hotline.conf")
    with open(again, "w") as f:
        f.write(cp.stdout)
    cp2 = check_conf(again)
    check(cp2.returncode == 0, "%s: normalised config rejected: %s" % (
        tag, cp2.stderr))
    check(cp2.stdout == cp.stdout, "%s: normalising twice differs:\n%s\n"
          "----\n%s" % (tag, cp.stdout, cp2.stdout))
    return cp.stdout


def section(text, name):
    """key = value pairs of [name] in a normalised config (list, in order)."""
    out, cur = [], None
    for ln in text.splitlines():
        s = ln.strip()
        if s.startswith("["):
            cur = s.strip("[]").strip()
        elif cur == name and "=" in s and not s.startswith((";", "#")):
            k, v = s.split("=", 1)
            out.append((k.strip(), v.strip()))
    return out


def test(env):
    # 1. What `hotline init` and `peer add` write.
    us = env.node("us").init()
    ru = env.node("ru").init()
    us.add_peer(ru)
    text = normalise_twice(env, us.conf, "init")
    node = dict(section(text, "node"))
    check(node.get("party") == "us" and node.get("listen") == us.addr,
          "normalised [node]: %r" % node)
    peer = section(text, "peer ru")
    check(("fingerprint", ru.fingerprint()) in peer and
          ("address", ru.addr) in peer, "normalised [peer ru]: %r" % peer)
    link = dict(section(text, "link"))
    check(link.get("heartbeat") == "1s" and
          link.get("reconnect_min") == "100ms", "normalised [link]: %r" %
          link)

    # 2. Hand-written, with spellings to normalise.
    d = os.path.join(env.root, "hand")
    os.makedirs(d)
    good = os.path.join(d, "hotline.conf")
    with open(good, "w") as f:
        f.write("; a hand-written configuration\n"
                "[node]\n"
                "party=us\n"
                "listen =   127.0.0.1:7701\n"
                "data_dir = data\n"
                "\n"
                "[link]\n"
                "heartbeat = 1000ms\n"
                "dead_after = 3s\n"
                "\n"
                "[peer ru]\n"
                "fingerprint = %s\n"
                "address = 127.0.0.1:7702\n"
                "address = 127.0.0.1:7703\n" % FPR_UP)
    text = normalise_twice(env, good, "hand")
    peer = section(text, "peer ru")
    check(peer == [("fingerprint", FPR_UP.lower()),
                   ("address", "127.0.0.1:7702"),
                   ("address", "127.0.0.1:7703"),
                   # the CERT channel's sharing defaults (hotline.conf(5))
                   ("tlp_share", "clear green"),
                   ("tlp_unmarked", "AMBER"),
                   ("same_organisation", "no"),
                   ("send_sightings", "no")],
          "normalised peer section: %r" % peer)
    node = dict(section(text, "node"))
    check(node.get("data_dir") == os.path.join(d, "data"), "data_dir not "
          "resolved against the config's directory: %r" % node)
    check(dict(section(text, "link")).get("heartbeat") == "1s",
          "1000ms not normalised to 1s")

    # 3. Errors name hotline.conf:LINE:.
    base = ["; comment line 1", "[node]", "party = us",
            "listen = 127.0.0.1:7701", "", "[link]", "heartbeat = 1s", "",
            "[peer ru]", "fingerprint = %s" % FPR_UP.lower(),
            "address = 127.0.0.1:7702"]
    cases = [
        ("unknown key in [node]", 3, "colour = blue"),
        ("unknown key in [link]", 7, "heartbeet = 1s"),
        ("unknown key in [peer]", 11, "adress = 127.0.0.1:1"),
        ("unknown key at the end", len(base) + 1, "bogus = 1"),
        ("unknown section", 9, "[pier ru]"),
        ("bad duration", 8, "dead_after = soon"),
        ("duplicate key", 8, "heartbeat = 2s"),
    ]
    # (what, line, replacement): the line itself is bad.
    cases += [("bad fingerprint", 10, "fingerprint = 1234", True),
              ("bad address", 4, "listen = 127.0.0.1:99999", True)]
    for i, case in enumerate(cases):
        what, line, bad = case[:3]
        lines = list(base)
        if len(case) > 3:
            lines[line - 1] = bad
        else:
            lines.insert(line - 1, bad)
        cd = os.path.join(env.root, "bad%d" % i)
        os.makedirs(cd)
        path = os.path.join(cd, "hotline.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        cp = check_conf(path)
        want = "hotline.conf:%d:" % line
        check(cp.returncode != 0, "%s: hotlined -n exit 0" % what)
        check(want in cp.stderr, "%s: stderr lacks %r: %r" % (
            what, want, cp.stderr))
        check("[node]" not in cp.stdout, "%s: printed a config anyway" %
              what)
        log("%-24s -> %s" % (what, cp.stderr.strip()))

    # A missing file is an error too.
    cp = check_conf(os.path.join(env.root, "missing", "hotline.conf"))
    check(cp.returncode != 0 and "hotline.conf" in cp.stderr,
          "missing file: rc %d %r" % (cp.returncode, cp.stderr))


if __name__ == "__main__":
    hlib.main(test)
