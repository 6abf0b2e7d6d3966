"""hnetns.py: network namespaces for the link-fault system tests.

The tests test_netns_loss, test_netns_partition and test_netns_failover run
two hotline nodes, each in a network namespace of its own, joined by one or
two veth pairs with private addresses that exist only inside those
namespaces (10.231.1.0/24 primary, 10.231.2.0/24 backup). Faults are injected
inside the namespaces only: nftables rules in a table of the test's own
(random loss), `ip -n NS link set DEV down` (partition, failed primary).
Nothing here touches the root namespace's interfaces, routes or firewall, nor
any address outside the namespaces.

Namespaces are named after the test's PID (hlt-<pid>-a, hlt-<pid>-b) so that
parallel runs do not collide. They are deleted when the test ends, passed
or failed (after every daemon has been stopped by PID), and at interpreter
exit as a last resort. A run killed outright (SIGKILL) leaves its
namespaces behind (its daemons die with it through PR_SET_PDEATHSIG); the
next run deletes those whose PID no longer exists.

Where the tests cannot run (not root, no `ip`, `ip netns add` refused, no
`nft` for the loss test) they print the reason and exit with status 77,
which ctest reports as skipped (SKIP_RETURN_CODE in CMakeLists.txt).

Node timers used by every test here, in both configurations ([link]):
heartbeat 1s, dead_after 3s, reconnect_min 100ms, reconnect_max 2s,
handshake_timeout 3s. From the link code (src/link.c) a link whose path is
back is up again at most
    handshake_timeout (a dial already in flight into the dead path)
  + 1.25 * reconnect_max (the capped backoff with its +25% jitter)
  + one connect and handshake (milliseconds here)
after the fault clears, 3 + 2.5 = 5.5 s; RECOVERY_BOUND adds a margin for a
loaded two-core machine and is stretched for sanitizer builds.
"""

import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlib  # noqa: E402
from hlib import check, log  # noqa: E402

SKIP = 77

NS_LINK = {
    "heartbeat": "1s",
    "dead_after": "3s",
    "reconnect_min": "100ms",
    "reconnect_max": "2s",
    "handshake_timeout": "3s",
}

# Stated bound (seconds, before hlib.scaled) from a cleared fault to the
# link being up again; see the module docstring.
RECOVERY_BOUND = 8.0

N = 10000
BATCH = 1000
PORT = 7443     # inside the namespaces only: they have no other listener

PRIMARY = ("10.231.1.1", "10.231.1.2")     # (side a, side b), /24
BACKUP = ("10.231.2.1", "10.231.2.2")


def skip(reason):
    print("SKIP: %s" % reason, flush=True)
    sys.exit(SKIP)


def _sh(argv, timeout=15):
    """Run a set-up command; returns CompletedProcess (never raises on a
    non-zero status)."""
    return subprocess.run(argv, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=timeout)


def must(argv, timeout=15):
    cp = _sh(argv, timeout)
    if cp.returncode != 0:
        raise hlib.TestFailure("%s: exit %d: %s" % (" ".join(argv),
                               cp.returncode, cp.stderr.strip()))
    return cp


class Netns:
    """Two namespaces a and b and the veth pairs between them."""

    def __init__(self, need_nft=False):
        if os.geteuid() != 0:
            skip("network-namespace tests need root (euid %d)" %
                 os.geteuid())
        self.ip = shutil.which("ip") or (
            "/usr/sbin/ip" if os.path.exists("/usr/sbin/ip") else None)
        if self.ip is None:
            skip("no `ip` command (Debian package iproute2)")
        self.nftcmd = shutil.which("nft") or (
            "/usr/sbin/nft" if os.path.exists("/usr/sbin/nft") else None)
        if need_nft and self.nftcmd is None:
            skip("no `nft` command (Debian package nftables) to inject "
                 "packet loss")
        self._sweep()
        pid = os.getpid()
        self.a = "hlt-%d-a" % pid
        self.b = "hlt-%d-b" % pid
        self.made = []
        atexit.register(self.delete)
        for ns in (self.a, self.b):
            cp = _sh([self.ip, "netns", "add", ns])
            if cp.returncode != 0:
                self.delete()
                skip("`ip netns add %s` failed: %s" % (ns,
                     cp.stderr.strip()))
            self.made.append(ns)
        for ns in (self.a, self.b):
            must([self.ip, "-n", ns, "link", "set", "lo", "up"])

    def _sweep(self):
        """Delete namespaces of this naming (hlt-<pid>-a/b) left by an
        earlier run that was killed outright (SIGKILL: no clean-up ran), when
        no process <pid> exists any more. Nothing else is touched."""
        cp = _sh([self.ip, "netns", "list"])
        for ln in cp.stdout.splitlines():
            m = re.match(r"^(hlt-(\d+)-[ab])(\s|$)", ln)
            if m and not os.path.exists("/proc/%s" % m.group(2)):
                log("deleting stale namespace %s" % m.group(1))
                _sh([self.ip, "netns", "del", m.group(1)])

    def veth(self, dev, addrs):
        """A veth pair named dev in both namespaces, addrs = (a's, b's)
        /24 addresses."""
        must([self.ip, "-n", self.a, "link", "add", dev, "type", "veth",
              "peer", "name", dev, "netns", self.b])
        for ns, addr in ((self.a, addrs[0]), (self.b, addrs[1])):
            must([self.ip, "-n", ns, "addr", "add", addr + "/24", "dev", dev])
            must([self.ip, "-n", ns, "link", "set", dev, "up"])

    def link_set(self, ns, dev, state):
        log("ip -n %s link set %s %s" % (ns, dev, state))
        must([self.ip, "-n", ns, "link", "set", dev, state])

    def nft(self, ns, script):
        """Load an nft script (text) inside namespace ns."""
        path = os.path.join(hlib.TEST_TMP, "hlt-%d-%s.nft" % (os.getpid(),
                                                             ns[-1]))
        with open(path, "w") as f:
            f.write(script)
        try:
            must([self.ip, "netns", "exec", ns, self.nftcmd, "-f", path])
        finally:
            os.unlink(path)

    def delete(self):
        """Stop every process the test started (by PID), then delete the
        namespaces. Idempotent."""
        if not self.made:
            return
        hlib._stop_all()
        for ns in list(self.made):
            cp = _sh([self.ip, "netns", "del", ns])
            if cp.returncode != 0:
                log("ip netns del %s: %s" % (ns, cp.stderr.strip()))
            self.made.remove(ns)


class NsNode(hlib.Node):
    """A hlib.Node whose daemon runs inside a network namespace (through
    `ip netns exec`, which execs hotlined in place, so the PID recorded is
    the daemon's). It listens on 0.0.0.0:PORT, which exists only inside
    its namespace. The API socket is a Unix socket on the file system, so
    the test reaches it from the root namespace."""

    def __init__(self, env, party, ns, ipcmd, name=None):
        super().__init__(env, party, name)
        self.ns = ns
        self.ipcmd = ipcmd
        self.addr = "0.0.0.0:%d" % PORT

    def start(self, debug=True, wait=True):
        check(self.proc is None or self.proc.poll() is not None,
              "%s already running" % self.name)
        self.starts += 1
        logf = open(self.logpath, "a")
        logf.write("\n===== start %d of %s in %s =====\n" % (
            self.starts, self.name, self.ns))
        logf.flush()
        argv = [self.ipcmd, "netns", "exec", self.ns, hlib.HOTLINED] + \
            (["-d"] if debug else []) + ["-c", self.conf]
        try:
            self.proc = hlib.spawn(argv, stdin=subprocess.DEVNULL,
                                   stdout=logf, stderr=logf)
        finally:
            logf.close()
        if wait:
            self.wait_ready()
        return self

    def pin(self, other, addrs):
        """Pin other's key with the addresses in order (primary first);
        none: accept only."""
        argv = ["-c", self.conf, "peer", "add", "--party", other.party,
                "--fingerprint", other.fingerprint()]
        for a in addrs:
            argv += ["--address", "%s:%d" % (a, PORT)]
        hlib.hotline(argv, check_rc=0)

    def peer(self, party):
        _, j = self.api("GET", "/v1/peers", expect=None)
        for p in (j or {}).get("peers", []):
            if p.get("party") == party:
                return p
        return {}


def make_pair(env, netns, addr_lists, suffix=""):
    """us in namespace a, ru in namespace b; addr_lists = (list of b's
    addresses for us to dial, list of a's addresses for ru to dial; empty:
    accept only). suffix names the nodes' directories apart when a test
    makes more than one pair."""
    us = NsNode(env, "us", netns.a, netns.ip, "us" + suffix)
    ru = NsNode(env, "ru", netns.b, netns.ip, "ru" + suffix)
    env.nodes += [us, ru]
    for n in (us, ru):
        n.init(link=NS_LINK)
    hlib.conf_set(us.conf, "limits", {"api_max_request": "4194304"})
    us.pin(ru, addr_lists[0])
    ru.pin(us, addr_lists[1])
    us.start()
    ru.start()
    us.wait_link_up("ru", hlib.scaled(20))
    ru.wait_link_up("us", hlib.scaled(20))
    return us, ru


class Stream:
    """The 10,000-message stream us -> ru, sent in batches of 1,000 through
    POST /v1/messages/batch."""

    def __init__(self, sender, to, tag):
        self.sender = sender
        self.to = to
        self.tag = tag
        self.ids = []

    def send(self, count):
        while count > 0:
            k = min(count, BATCH)
            base = len(self.ids)
            msgs = [{"to": self.to, "channel": "cert", "kind": "text",
                     "precedence": "routine",
                     "body": {"n": base + i + 1,
                              "text": "%s %d" % (self.tag, base + i + 1)}}
                    for i in range(k)]
            r = self.sender.post("/v1/messages/batch", {"messages": msgs},
                                 timeout=hlib.scaled(60))
            ids = (r or {}).get("ids")
            check(isinstance(ids, list) and len(ids) == k,
                  "batch answer without %d ids: %s" % (
                      k, json.dumps(r)[:300]))
            self.ids += ids
            count -= k

    def delivered(self):
        return self.sender.delivered_count(self.to)

    def verify(self, receiver):
        n = len(self.ids)
        check(n == N, "sent %d messages, not %d" % (n, N))
        hlib.check_stream(self.sender, receiver, N)
        out = [i for _, i in self.sender.stream_rows(0, self.to)]
        check(out == self.ids, "the sender's stream ids differ from the ids "
              "the batch route returned")
        held = receiver.sql("SELECT count(*) FROM msgs WHERE dir=1")[0][0]
        check(held == N, "%s holds %d incoming messages, not %d" % (
            receiver.name, held, N))


def wait_up_both(us, ru, timeout, what):
    """Wait until both sides report the link up; returns seconds waited."""
    t0 = time.monotonic()
    hlib.wait_until(lambda: us.peer_state("ru") == "up" and
                    ru.peer_state("us") == "up", timeout, what, interval=0.05)
    return time.monotonic() - t0


def log_mark(node):
    """The current length of node's log, for log_lines(since=)."""
    return len(node.log_text())


def log_lines(node, *needles, since=0):
    """Lines of node's log (from offset since) containing every needle."""
    return [ln for ln in node.log_text()[since:].splitlines()
            if all(s in ln for s in needles)]


def run(fn, need_nft=False):
    """Skip where the tests cannot run, else set up the namespaces and run
    fn(env, netns) under hlib.main. Daemons are stopped before the
    namespaces are deleted."""
    netns = Netns(need_nft=need_nft)
    # hlib.main stops the nodes as its Env closes and exits; Netns.delete
    # (atexit, registered after hlib's own) stops anything left and then
    # deletes the namespaces.
    hlib.main(lambda env: fn(env, netns))
