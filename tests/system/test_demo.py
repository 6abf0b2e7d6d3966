"""test_demo: `hotline demo` runs two nodes on loopback and exits 0 within
60 s; its transcript mentions us, ru, the acknowledgment and the verified
signatures; afterwards no hotlined whose command line points into the
demo's temporary directory is left, and the directory is removed. A demo
interrupted with SIGTERM while its daemons run leaves none behind either."""

import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log  # noqa: E402


def procs_in(path):
    """(pid, argv) of live processes whose command line mentions path."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                raw = f.read()
            with open("/proc/%s/stat" % d) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state == "Z":
            continue
        argv = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
        if any(path in a for a in argv):
            found.append((int(d), argv))
    return found


def daemons_in(path):
    return [(pid, argv) for pid, argv in procs_in(path)
            if argv and os.path.basename(argv[0]) == "hotlined"]


def demo_env(tmpdir):
    env = dict(os.environ)
    env["TMPDIR"] = tmpdir
    env["HOTLINED"] = hlib.HOTLINED
    return env


def test(env):
    tmp = os.path.join(env.root, "demo")
    os.makedirs(tmp)
    limit = max(60.0, hlib.scaled(60))
    t0 = time.monotonic()
    cp = hlib.run([hlib.HOTLINE, "demo"], timeout=limit, env=demo_env(tmp))
    took = time.monotonic() - t0
    out = cp.stdout
    check(cp.returncode == 0, "hotline demo exit %d\nstdout:\n%s\nstderr:\n"
          "%s" % (cp.returncode, out, cp.stderr))
    log("demo took %.1fs" % took)
    low = out.lower()
    for want in ("us", "ru", "acknowledged", "signature verified"):
        check(want in low, "transcript lacks %r:\n%s" % (want, out))
    check("us -> ru" in out or "us->ru" in out, "no us -> ru line")
    left = daemons_in(tmp)
    check(not left, "hotlined left running after the demo: %r" % left)
    check(not procs_in(tmp), "processes left in the demo dir: %r" %
          procs_in(tmp))
    check(os.listdir(tmp) == [], "demo left files: %r" % os.listdir(tmp))

    # Interrupted while its daemons run: they are stopped too.
    tmp2 = os.path.join(env.root, "demo2")
    os.makedirs(tmp2)
    p = hlib.spawn([hlib.HOTLINE, "demo"], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=demo_env(tmp2))
    try:
        seen = hlib.wait_until(lambda: daemons_in(tmp2) or p.poll() is not
                               None, limit, "the demo's daemons to start",
                               interval=0.005)
        if p.poll() is None and seen is not True:
            p.send_signal(signal.SIGTERM)
            log("SIGTERM to the demo while %d daemon(s) ran" % len(seen))
            try:
                rc = p.wait(timeout=hlib.scaled(20))
            except subprocess.TimeoutExpired:
                raise hlib.TestFailure("the demo did not exit within %.0fs "
                                       "of SIGTERM" % hlib.scaled(20))
            log("interrupted demo exited with %d" % rc)
        else:
            p.wait(timeout=limit)
            log("the demo finished before it could be interrupted")
        hlib.wait_until(lambda: not daemons_in(tmp2), hlib.scaled(5),
                        "no hotlined left after the interrupted demo")
    finally:
        hlib.stop_proc(p)


if __name__ == "__main__":
    hlib.main(test)
