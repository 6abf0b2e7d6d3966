#!/usr/bin/env python3
"""wal_pages.py: WAL pages per commit of bulk messages on hotline's schema.

Builds the schema from src/store.c's migrations in a fresh database, then
inserts N messages in commits of B, as the store does per message: the msgs
row (1 KiB body), its msgs_out row, a log leaf and a log hash, and the id's
lookup entry. After each commit `PRAGMA wal_checkpoint` reports how many
frames (pages) the commit wrote. Prints the median per 100 commits.

  --ids random       SHA-256-like ids (as in production)
  --ids sequential   ids in insertion order (what an index on them costs)
  --index msgs_id    an index on msgs.id (the layout before migration 8)
  --index keys       msg_keys / msg_keys_new with sweeps (migration 8)

Uses Python's sqlite3 (the same SQLite library as the daemon on Debian 12).
Example: bench/wal_pages.py --ids random --index keys --count 1000000
"""
import argparse, os, re, sqlite3, sys, tempfile

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def migrations():
    src = open(os.path.join(top, 'src', 'store.c')).read()
    # string macros used in the migrations (#define NAME \ "..." \ ...)
    for name, body in re.findall(r'#define (MSGS_\w+) \\\n((?:\t"[^\n]*\n)+)',
                                 src):
        text = ''.join(re.findall(r'"((?:[^"\\]|\\.)*)"', body))
        src = src.replace('\t' + name + ' ', '\t"' + text + '" ')
    m = re.search(r'static const char \*const migrations\[\] = \{(.*?)\n\};',
                  src, re.S)
    out, cur = [], ''
    for line in m.group(1).split('\n'):
        s = line.strip()
        if not s or s.startswith('/*') or s.startswith('*'):
            continue
        for lit in re.findall(r'"((?:[^"\\]|\\.)*)"', s):
            cur += lit
        if s.endswith('",'):
            out.append(cur)
            cur = ''
    return out


def idkey(t):
    u = int(t[:16], 16) ^ (1 << 63)
    return u - (1 << 64) if u >= 1 << 63 else u


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ids', choices=('random', 'sequential'), default='random')
    ap.add_argument('--index', choices=('msgs_id', 'keys'), default='keys')
    ap.add_argument('--count', type=int, default=1000000)
    ap.add_argument('--batch', type=int, default=1000)
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix='wal_pages.')
    db = sqlite3.connect(os.path.join(d, 't.db'), isolation_level=None)
    db.create_function('hl_idkey', 1, idkey, deterministic=True)
    for p in ('journal_mode=WAL', 'synchronous=OFF', 'cache_size=-65536',
              'wal_autocheckpoint=0'):
        db.execute('PRAGMA ' + p)
    for s in migrations():
        db.executescript(s)
    if a.index == 'msgs_id':
        db.execute('CREATE UNIQUE INDEX msgs_id ON msgs (id)')
    body, sig = os.urandom(1024), os.urandom(64 + 4 + 32 * 10)
    rid = 0
    cur = 0           # sweep position, unsigned
    sweep_every, balance, rmin = 256, 512, 4096
    frames = []
    for b in range(a.count // a.batch):
        db.execute('PRAGMA wal_checkpoint(TRUNCATE)')
        db.execute('BEGIN')
        for _ in range(a.batch):
            rid += 1
            mid = os.urandom(32).hex() if a.ids == 'random' else '%064x' % rid
            db.execute(
                "INSERT INTO msgs (id, dir, peer, sender, recipient, channel,"
                " kind, prec, seq, version, created, exercise, ref, body, sig,"
                " accepted) VALUES (?, 0, 'ru', 'us', 'ru', 5, 'indicator', 0,"
                " ?, 1, ?, 0, NULL, ?, ?, ?)", (mid, rid, rid, body, sig, rid))
            db.execute("INSERT INTO msgs_out (rid, peer) VALUES (?, 'ru')",
                       (rid,))
            db.execute("INSERT INTO tlog_leaves (idx, type, ref, time, hash,"
                       " data) VALUES (?, 1, ?, ?, ?, ?)",
                       (rid - 1, bytes.fromhex(mid), rid, os.urandom(32),
                        os.urandom(40)))
            db.execute("INSERT INTO tlog_hashes (pos, hash) VALUES (?, ?)",
                       (rid * 64, os.urandom(32)))
            if a.index == 'keys':
                db.execute("INSERT INTO msg_keys_new (k, rid) VALUES (?, ?)",
                           (idkey(mid), rid))
                if rid % sweep_every == 0:
                    r = max(rmin, int((balance * rid) ** 0.5))
                    span = (2**64 - 1) // r * sweep_every
                    hi = min(2**64 - 1, cur + span - 1)
                    lo_k = cur - (1 << 63)
                    hi_k = hi - (1 << 63)
                    db.execute("INSERT OR IGNORE INTO msg_keys SELECT k, rid"
                               " FROM msg_keys_new WHERE k BETWEEN ? AND ?",
                               (lo_k, hi_k))
                    db.execute("DELETE FROM msg_keys_new WHERE k BETWEEN ?"
                               " AND ?", (lo_k, hi_k))
                    cur = 0 if hi == 2**64 - 1 else hi + 1
        db.execute('COMMIT')
        frames.append(db.execute('PRAGMA wal_checkpoint(PASSIVE)').fetchone()[1])
        if (b + 1) % 100 == 0:
            last = sorted(frames[-100:])
            print('%d messages: %d pages per commit of %d (median of 100)' %
                  (rid, last[50], a.batch), flush=True)
    db.close()
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    os.rmdir(d)


if __name__ == '__main__':
    sys.exit(main())
