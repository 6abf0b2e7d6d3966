"""hlib.py: the shared harness of the system tests.

It sets up real hotline nodes on 127.0.0.1 in a fresh temporary directory
(below $HOTLINE_TEST_TMP), starts and stops their daemons, talks to each
node's local HTTP API over its Unix socket, reads the node's database
read-only for verification and verifies Ed25519 signatures independently
with the openssl command line.

Every process the harness starts is recorded and stopped by PID (SIGTERM,
then SIGKILL) when the Env is closed, at interpreter exit, and, through
PR_SET_PDEATHSIG, by the kernel if the test process itself dies. Nothing
else is ever signalled.

Only the Python 3.11 standard library is used.
"""

import atexit
import ctypes
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import traceback

HOTLINED = os.environ.get("HOTLINED", "")
HOTLINE = os.environ.get("HOTLINE", "")
TEST_TMP = os.environ.get("HOTLINE_TEST_TMP") or "/tmp"

MSG_DOMAIN = b"hotline/msg/v1\0"
RCPT_DOMAIN = b"hotline/rcpt/v1\0"
CHANNELS = {"direct": 1, "nrrc": 2, "check": 3, "wg": 4, "cert": 5}
PRECEDENCES = {"flash": 1, "immediate": 2, "priority": 3, "routine": 4}

# Fast link timers for tests (see [link] in hotline.conf(5)).
FAST_LINK = {
    "heartbeat": "1s",
    "dead_after": "3s",
    "reconnect_min": "100ms",
    "reconnect_max": "1s",
}


class TestFailure(AssertionError):
    pass


def log(*args):
    print("[%s]" % time.strftime("%H:%M:%S"), *args, flush=True)


def check(cond, what):
    """Fail the test with `what` unless cond holds."""
    if not cond:
        raise TestFailure(what)


def _sanitized(path):
    """True if the binary was built with AddressSanitizer (slower)."""
    try:
        with open(path, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


SLOW = 3.0 if _sanitized(HOTLINED) else 1.0


def scaled(seconds):
    """A timeout, stretched for sanitizer builds."""
    return seconds * SLOW


# ---------------------------------------------------------------- processes

_PR_SET_PDEATHSIG = 1
_libc = None


def _child_setup():
    # Runs in the child between fork and exec: die with the test process.
    try:
        if _libc is not None:
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass


try:
    _libc = ctypes.CDLL(None, use_errno=True)
except OSError:
    _libc = None

_procs = {}     # pid -> Popen, every process started and not yet reaped


def spawn(argv, **kw):
    """Start a process, recorded so that it is always stopped."""
    p = subprocess.Popen(argv, preexec_fn=_child_setup, **kw)
    _procs[p.pid] = p
    return p


def stop_proc(p, grace=None):
    """SIGTERM p (by PID), SIGKILL it after `grace` seconds; reap it.
    Returns its exit status."""
    if grace is None:
        grace = scaled(5)
    if p.poll() is None:
        try:
            p.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            try:
                p.kill()
            except ProcessLookupError:
                pass
            p.wait()
    _procs.pop(p.pid, None)
    return p.returncode


def kill9_proc(p):
    if p.poll() is None:
        try:
            p.kill()
        except ProcessLookupError:
            pass
    p.wait()
    _procs.pop(p.pid, None)


def _stop_all():
    for p in list(_procs.values()):
        try:
            stop_proc(p, grace=3)
        except Exception:
            pass


atexit.register(_stop_all)


def _on_sigterm(signum, frame):
    # ctest's timeout or an operator: unwind so finally blocks stop daemons.
    raise SystemExit(128 + signum)


signal.signal(signal.SIGTERM, _on_sigterm)


def run(argv, timeout=None, check_rc=None, input=None, env=None):
    """Run a command to completion (recorded while it runs). Returns
    CompletedProcess with text stdout/stderr."""
    if timeout is None:
        timeout = scaled(30)
    p = spawn(argv, stdin=subprocess.PIPE if input is not None else
              subprocess.DEVNULL, stdout=subprocess.PIPE,
              stderr=subprocess.PIPE, text=True, env=env)
    try:
        out, err = p.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_proc(p, grace=2)
        raise TestFailure("timed out after %.0fs: %s" % (timeout,
                          " ".join(argv)))
    finally:
        _procs.pop(p.pid, None)
    cp = subprocess.CompletedProcess(argv, p.returncode, out, err)
    if check_rc is not None and cp.returncode != check_rc:
        raise TestFailure("%s: exit %d (expected %d)\nstdout: %s\nstderr: %s"
                          % (" ".join(argv), cp.returncode, check_rc,
                             out[-2000:], err[-2000:]))
    return cp


def hotline(args, **kw):
    """Run the hotline CLI."""
    return run([HOTLINE] + list(args), **kw)


def wait_until(pred, timeout, what="condition", interval=0.05):
    """Poll pred() until it returns a true value (returned) or fail after
    timeout seconds."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = pred()
            if v:
                return v
            last_exc = None
        except (OSError, http.client.HTTPException, sqlite3.Error,
                ValueError) as e:
            last_exc = e
        if time.monotonic() >= deadline:
            raise TestFailure("timed out after %.1fs waiting for %s%s" % (
                timeout, what, " (last error: %r)" % last_exc
                if last_exc else ""))
        time.sleep(interval)


# -------------------------------------------------------------------- ports

def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = f.read().split()
        return int(lo), int(hi)
    except (OSError, ValueError):
        return 32768, 60999


_given_ports = set()


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now, chosen at
    random outside the kernel's ephemeral range: the nodes' own outgoing
    connections take their local ports from that range and could otherwise
    occupy a port before the node that is meant to listen on it starts.
    Random choice keeps parallel tests apart."""
    import random
    lo, hi = _ephemeral_range()
    rnd = random.SystemRandom()
    candidates = [(10000, lo - 1)] if lo - 1 > 10000 else []
    if hi + 1 < 65000:
        candidates.append((hi + 1, 65000))
    if not candidates:
        candidates = [(1024, 65535)]
    for _ in range(200):
        a, b = rnd.choice(candidates)
        port = rnd.randint(a, b)
        if port in _given_ports:
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        _given_ports.add(port)
        return port
    raise TestFailure("no free TCP port on 127.0.0.1")


# ---------------------------------------------------------------- HTTP/Unix

class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        try:
            s.connect(self.unix_path)
        except OSError:
            s.close()
            raise
        self.sock = s


class ApiError(TestFailure):
    def __init__(self, status, body, what):
        super().__init__("%s: HTTP %d %s" % (what, status, body))
        self.status = status
        self.body = body


# --------------------------------------------------------------- config edit

def conf_set(path, section, values):
    """Set key = value lines in [section] of an INI file, replacing keys that
    are there and appending the section if it is missing."""
    with open(path) as f:
        lines = f.read().splitlines()
    hdr = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
    start = None
    end = len(lines)
    for i, ln in enumerate(lines):
        m = hdr.match(ln)
        if m and start is None and m.group(1) == section:
            start = i
        elif m and start is not None:
            end = i
            break
    if start is None:
        if lines and lines[-1].strip():
            lines.append("")
        lines.append("[%s]" % section)
        lines += ["%s = %s" % (k, v) for k, v in values.items()]
    else:
        todo = dict(values)
        for i in range(start + 1, end):
            m = re.match(r"^\s*([A-Za-z0-9_]+)\s*[=:]", lines[i])
            if m and m.group(1) in todo:
                lines[i] = "%s = %s" % (m.group(1), todo.pop(m.group(1)))
        ins = ["%s = %s" % (k, v) for k, v in todo.items()]
        lines[start + 1:start + 1] = ins
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


# --------------------------------------------------------------------- nodes

class Node:
    """One hotline node: a directory with key, certificate, configuration,
    database and API socket, and (when started) its hotlined process."""

    def __init__(self, env, party, name=None):
        self.env = env
        self.party = party
        self.name = name or party
        self.dir = os.path.join(env.root, self.name)
        self.port = free_port()
        self.addr = "127.0.0.1:%d" % self.port
        self.conf = os.path.join(self.dir, "hotline.conf")
        self.sock = os.path.join(self.dir, "api.sock")
        self.db = os.path.join(self.dir, "hotline.db")
        self.cert = os.path.join(self.dir, "cert.pem")
        self.logpath = os.path.join(env.root, "%s.log" % self.name)
        self.proc = None
        self.starts = 0
        self._fpr = None

    def __repr__(self):
        return "Node(%s)" % self.name

    # --- set-up

    def init(self, link=None):
        """`hotline init`, then fast [link] timers."""
        hotline(["init", "--party", self.party, "--dir", self.dir,
                 "--listen", self.addr], check_rc=0)
        check(os.path.exists(self.conf), "hotline init made no %s" %
              self.conf)
        conf_set(self.conf, "link", link if link is not None else FAST_LINK)
        self._resolve_paths()
        return self

    def _resolve_paths(self):
        """Read cert and api_socket back from `hotlined -n`."""
        cp = run([HOTLINED, "-n", "-c", self.conf], check_rc=0)
        for ln in cp.stdout.splitlines():
            m = re.match(r"^\s*(cert|api_socket|data_dir)\s*=\s*(.+?)\s*$",
                         ln)
            if not m:
                continue
            if m.group(1) == "cert":
                self.cert = m.group(2)
            elif m.group(1) == "api_socket":
                self.sock = m.group(2)
            elif m.group(1) == "data_dir":
                self.db = os.path.join(m.group(2), "hotline.db")

    def fingerprint(self):
        if self._fpr is None:
            cp = hotline(["-c", self.conf, "fingerprint"], check_rc=0)
            m = re.search(r"\b([0-9a-f]{64})\b", cp.stdout)
            check(m is not None, "hotline fingerprint printed no "
                  "fingerprint: %r" % cp.stdout)
            self._fpr = m.group(1)
        return self._fpr

    def add_peer(self, other, address=True, fingerprint=None):
        """Pin `other` (a Node) as a peer. address: True = other's address,
        a string = that address, False/None = accept only."""
        argv = ["-c", self.conf, "peer", "add", "--party", other.party,
                "--fingerprint", fingerprint or other.fingerprint()]
        if address is True:
            argv += ["--address", other.addr]
        elif address:
            argv += ["--address", address]
        hotline(argv, check_rc=0)

    def pubkey_pem(self):
        """Write the node's public key (from its certificate) to a file and
        return the path."""
        path = os.path.join(self.env.root, "%s.pub.pem" % self.name)
        if not os.path.exists(path):
            cp = run(["openssl", "x509", "-in", self.cert, "-pubkey",
                      "-noout"], check_rc=0)
            with open(path, "w") as f:
                f.write(cp.stdout)
        return path

    # --- process

    def start(self, debug=True, wait=True):
        check(self.proc is None or self.proc.poll() is not None,
              "%s already running" % self.name)
        self.starts += 1
        logf = open(self.logpath, "a")
        logf.write("\n===== start %d of %s =====\n" % (self.starts,
                   self.name))
        logf.flush()
        argv = [HOTLINED] + (["-d"] if debug else []) + ["-c", self.conf]
        try:
            self.proc = spawn(argv, stdin=subprocess.DEVNULL, stdout=logf,
                              stderr=logf)
        finally:
            logf.close()
        if wait:
            self.wait_ready()
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, timeout=None):
        def ready():
            if self.proc.poll() is not None:
                raise TestFailure("%s exited with %s during start-up:\n%s" %
                                  (self.name, self.proc.returncode,
                                   self.log_tail()))
            st, _ = self.api("GET", "/v1/status", expect=None)
            return st == 200
        wait_until(ready, timeout or scaled(15), "%s's API" % self.name)

    def stop(self, check_exit=True):
        """SIGTERM, then SIGKILL. A daemon that does not exit 0 on SIGTERM
        (a crash, a hang, or a sanitizer's report) fails the test unless
        check_exit is false. Returns the exit status."""
        if self.proc is None:
            return None
        was_running = self.proc.poll() is None
        rc = stop_proc(self.proc)
        self.proc = None
        if check_exit:
            why = None
            if not was_running:
                why = "had already exited with status %s" % rc
            elif rc != 0:
                why = "exited with status %s after SIGTERM%s" % (
                    rc, " (SIGKILLed: did not stop in time)" if rc ==
                    -signal.SIGKILL else "")
            if why:
                raise TestFailure("%s's hotlined %s:\n%s" % (
                    self.name, why, self.log_tail()))
        return rc

    def sanitizer_reports(self):
        """Lines of the log where a sanitizer reported an error."""
        pat = re.compile(r"ERROR: (Address|Leak|Undefined)Sanitizer|"
                         r"runtime error:|AddressSanitizer:DEADLYSIGNAL")
        return [ln for ln in self.log_text().splitlines() if pat.search(ln)]

    def kill9(self):
        if self.proc is not None:
            kill9_proc(self.proc)
            self.proc = None

    def restart(self, **kw):
        self.stop()
        return self.start(**kw)

    # --- logs

    def log_text(self):
        try:
            with open(self.logpath, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def log_tail(self, n=40):
        return "\n".join(self.log_text().splitlines()[-n:])

    # --- API

    def api(self, method, path, body=None, expect=200, timeout=None):
        """One request to the local API. Returns (status, json). With expect
        set, any other status fails the test."""
        c = UnixHTTPConnection(self.sock, timeout or scaled(15))
        try:
            data = None
            headers = {}
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            c.request(method, path, body=data, headers=headers)
            r = c.getresponse()
            raw = r.read()
            status = r.status
        finally:
            c.close()
        try:
            j = json.loads(raw) if raw else None
        except ValueError:
            j = {"raw": raw.decode(errors="replace")}
        if expect is not None and status != expect:
            raise ApiError(status, j, "%s %s %s on %s" % (
                method, path, json.dumps(body)[:200] if body else "",
                self.name))
        return status, j

    def get(self, path, **kw):
        return self.api("GET", path, **kw)[1]

    def post(self, path, body, expect=201, **kw):
        return self.api("POST", path, body, expect=expect, **kw)[1]

    def send(self, to, body, channel="cert", kind="text",
             precedence="routine", **extra):
        """POST /v1/messages; returns the id."""
        req = {"to": to, "channel": channel, "kind": kind,
               "precedence": precedence, "body": body}
        req.update(extra)
        r = self.post("/v1/messages", req)
        check(isinstance(r, dict) and re.fullmatch(r"[0-9a-f]{64}",
              str(r.get("id"))), "bad POST /v1/messages answer %r" % r)
        return r["id"]

    def peer_state(self, party):
        _, j = self.api("GET", "/v1/peers", expect=None)
        for p in (j or {}).get("peers", []):
            if p.get("party") == party:
                return p.get("state")
        return None

    def wait_link_up(self, party, timeout=None):
        wait_until(lambda: self.peer_state(party) == "up",
                   timeout or scaled(20), "%s's link to %s up" %
                   (self.name, party))

    def list_all(self, **params):
        """Every message matching params, following the `next` cursor."""
        out = []
        before = None
        while True:
            q = dict(params)
            q.setdefault("limit", 1000)
            if before is not None:
                q["before"] = before
            qs = "&".join("%s=%s" % (k, v) for k, v in q.items())
            j = self.get("/v1/messages?" + qs)
            out += j["messages"]
            before = j.get("next")
            if before is None or not j["messages"]:
                return out

    # --- database (read-only)

    def sql(self, query, args=()):
        """Run a read-only query on the node's database. Works while the
        daemon runs (WAL) or after it stopped."""
        uri = "file:%s?mode=ro" % self.db
        c = sqlite3.connect(uri, uri=True, timeout=scaled(10))
        try:
            return c.execute(query, args).fetchall()
        finally:
            c.close()

    def stream_rows(self, dir, peer, channel="cert", precedence="routine"):
        """(seq, id) of one stream in insertion (rid) order."""
        return self.sql("SELECT seq, id FROM msgs WHERE dir=? AND peer=? AND "
                        "channel=? AND prec=? ORDER BY rid",
                        (dir, peer, CHANNELS[channel],
                         PRECEDENCES[precedence]))

    def delivered_count(self, peer):
        return self.sql("SELECT count(*) FROM msgs_out WHERE peer=? "
                        "AND received IS NOT NULL", (peer,))[0][0]


class Env:
    """A test's world: a fresh directory and the nodes in it. Use as a
    context manager: on exit every daemon is stopped; the directory is
    removed if the test passed and kept (with logs printed) if it failed."""

    def __init__(self, name):
        check(HOTLINED and os.path.exists(HOTLINED), "HOTLINED is not set "
              "to the hotlined binary")
        check(HOTLINE and os.path.exists(HOTLINE), "HOTLINE is not set to "
              "the hotline binary")
        os.makedirs(TEST_TMP, exist_ok=True)
        base = TEST_TMP
        # Unix socket paths are limited to 108 bytes.
        if len(os.path.abspath(base)) > 60:
            base = "/tmp"
        self.root = tempfile.mkdtemp(prefix="%s." % name,
                                     dir=os.path.abspath(base))
        self.name = name
        self.nodes = []

    def node(self, party, name=None):
        n = Node(self, party, name)
        self.nodes.append(n)
        return n

    def pair(self, a="us", b="ru", start=True):
        """Two initialised nodes pinned to each other, started with their
        link up."""
        na = self.node(a).init()
        nb = self.node(b).init()
        na.add_peer(nb)
        nb.add_peer(na)
        if start:
            na.start()
            nb.start()
            na.wait_link_up(b)
            nb.wait_link_up(a)
        return na, nb

    def close(self, ok):
        """Stop every node. Returns a list of problems found on the way (a
        daemon that did not exit cleanly, sanitizer reports)."""
        problems = []
        for n in self.nodes:
            try:
                n.stop()
            except Exception as e:
                problems.append("stopping %s: %s" % (n.name, e))
            rep = n.sanitizer_reports()
            if rep:
                problems.append("%s: sanitizer reports in %s: %s" % (
                    n.name, n.logpath, rep[:3]))
        ok = ok and not problems
        if ok:
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            for n in self.nodes:
                log("---- last lines of %s ----\n%s" % (n.logpath,
                                                       n.log_tail(60)))
            log("kept %s for inspection" % self.root)
        return problems

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        problems = self.close(et is None)
        if problems:
            for p in problems:
                log("problem: " + p)
            if et is None:
                raise TestFailure("; ".join(problems)[:4000])
        return False


def main(fn):
    """Run a test function fn(env) in an Env; exit 0 on success, 1 on
    failure (with a traceback)."""
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    t0 = time.monotonic()
    try:
        with Env(name) as env:
            fn(env)
    except BaseException as e:
        traceback.print_exc()
        log("FAIL %s after %.1fs" % (name, time.monotonic() - t0))
        _stop_all()
        sys.exit(1 if not isinstance(e, SystemExit) else e.code or 1)
    _stop_all()
    log("PASS %s in %.1fs" % (name, time.monotonic() - t0))
    sys.exit(0)


# ------------------------------------------------------- signed-bytes layout

def _str8(s):
    b = s.encode()
    check(len(b) <= 255, "str8 too long")
    return bytes([len(b)]) + b


def msg_signed_bytes(version, sender, recipient, channel, kind, prec, seq,
                     created, exercise, ref, body):
    """docs/PROTOCOL.md: "hotline/msg/v1" NUL | u8 version | str8 from |
    str8 to | u8 channel | str8 kind | u8 precedence | u64 seq | u64 created
    | u8 flags (1 exercise, 2 ref) | [ref 32] | u32 body_len |
    SHA-256(body). Integers big-endian."""
    flags = (1 if exercise else 0) | (2 if ref else 0)
    h = struct.pack(">B", version) + _str8(sender) + _str8(recipient)
    h += struct.pack(">B", channel) + _str8(kind)
    h += struct.pack(">BQQB", prec, seq, created, flags)
    if ref:
        h += bytes.fromhex(ref)
    return (MSG_DOMAIN + h + struct.pack(">I", len(body)) +
            hashlib.sha256(body).digest())


def rcpt_signed_bytes(version, sender, recipient, channel, prec, seq,
                      last_id, t):
    """"hotline/rcpt/v1" NUL | u8 version | str8 from | str8 to | u8 channel
    | u8 precedence | u64 seq | last_id 32 | u64 time."""
    return (RCPT_DOMAIN + struct.pack(">B", version) + _str8(sender) +
            _str8(recipient) + struct.pack(">BBQ", channel, prec, seq) +
            bytes.fromhex(last_id) + struct.pack(">Q", t))


def _blob(v):
    if isinstance(v, str):
        return v.encode()
    return bytes(v)


def msg_row_signed_bytes(node, msg_id):
    """The signed bytes and signature of a message, from node's database."""
    rows = node.sql("SELECT version, sender, recipient, channel, kind, prec, "
                    "seq, created, exercise, ref, body, sig FROM msgs WHERE "
                    "id=?", (msg_id,))
    check(len(rows) == 1, "%s holds %d rows with id %s" % (node.name,
          len(rows), msg_id))
    (ver, snd, rcp, ch, kind, prec, seq, created, ex, ref, body,
     sig) = rows[0]
    return (msg_signed_bytes(ver, snd, rcp, ch, kind, prec, seq, created,
                             ex, ref, _blob(body)), _blob(sig))


def rcpt_row_signed_bytes(node, rcpt_id):
    rows = node.sql("SELECT version, sender, recipient, channel, prec, seq, "
                    "last_id, time, sig FROM receipts WHERE id=?", (rcpt_id,))
    check(len(rows) >= 1, "%s holds no receipt %s" % (node.name, rcpt_id))
    ver, snd, rcp, ch, prec, seq, last_id, t, sig = rows[0]
    return (rcpt_signed_bytes(ver, snd, rcp, ch, prec, seq, last_id, t),
            _blob(sig))


def openssl_verify(env, pubpem, data, sig):
    """Verify an Ed25519 signature with the openssl command line. Returns
    True or False."""
    fd, dpath = tempfile.mkstemp(dir=env.root, suffix=".data")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    fd, spath = tempfile.mkstemp(dir=env.root, suffix=".sig")
    with os.fdopen(fd, "wb") as f:
        f.write(sig)
    try:
        cp = run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                  pubpem, "-rawin", "-in", dpath, "-sigfile", spath])
        ok = cp.returncode == 0 and "Signature Verified Successfully" in \
            cp.stdout
        bad = "Signature Verification Failure" in cp.stdout
        check(ok or bad or cp.returncode != 0, "unexpected openssl output")
        if not ok and not bad:
            raise TestFailure("openssl pkeyutl failed: %s %s" % (
                cp.stdout, cp.stderr))
        return ok
    finally:
        os.unlink(dpath)
        os.unlink(spath)


# ------------------------------------------------------- stream assertions

def check_stream(sender, receiver, n, channel="cert", precedence="routine"):
    """The receiver holds seqs 1..n of sender's stream exactly once, in
    insertion order, with ids equal to the sender's; every sender message
    is delivered (received time and receipt id set)."""
    out = sender.stream_rows(0, receiver.party, channel, precedence)
    inn = receiver.stream_rows(1, sender.party, channel, precedence)
    check([s for s, _ in out] == list(range(1, n + 1)),
          "%s's out stream is not seqs 1..%d (%d rows)" % (sender.name, n,
                                                           len(out)))
    seqs = [s for s, _ in inn]
    if seqs != list(range(1, n + 1)):
        dup = sorted({s for s in seqs if seqs.count(s) > 1})[:10]
        missing = sorted(set(range(1, n + 1)) - set(seqs))[:10]
        raise TestFailure("%s's in stream from %s: %d rows, duplicates %s, "
                          "missing %s, in order: %s" % (
                              receiver.name, sender.name, len(seqs), dup,
                              missing, seqs == sorted(seqs)))
    check([i for _, i in out] == [i for _, i in inn],
          "ids differ between %s and %s" % (sender.name, receiver.name))
    q = ("SELECT seq, body FROM msgs WHERE dir=? AND peer=? AND channel=? "
         "AND prec=? ORDER BY seq")
    ch, pr = CHANNELS[channel], PRECEDENCES[precedence]
    ob = [(s, _blob(b)) for s, b in sender.sql(q, (0, receiver.party, ch,
                                                    pr))]
    ib = [(s, _blob(b)) for s, b in receiver.sql(q, (1, sender.party, ch,
                                                      pr))]
    check(ob == ib, "bodies differ between %s and %s" % (sender.name,
                                                         receiver.name))
    undelivered = sender.sql(
        "SELECT m.seq FROM msgs m JOIN msgs_out o ON o.rid = m.rid WHERE "
        "m.dir=0 AND m.peer=? AND m.channel=? AND m.prec=?"
        " AND (o.received IS NULL OR o.receipt IS NULL) ORDER BY m.seq",
        (receiver.party, CHANNELS[channel], PRECEDENCES[precedence]))
    check(not undelivered, "%s: %d messages not delivered, first seqs %s" % (
        sender.name, len(undelivered), [r[0] for r in undelivered[:10]]))


def wait_delivered(sender, receiver, n, timeout):
    wait_until(lambda: sender.delivered_count(receiver.party) >= n,
               timeout, "%d messages %s->%s delivered" % (
                   n, sender.name, receiver.name), interval=0.2)
