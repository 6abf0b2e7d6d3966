/*
 * store.c: the node's SQLite database. It opens the file in WAL mode with
 * synchronous=FULL, brings the schema up to date through a numbered list of
 * migrations (PRAGMA user_version), and owns every SQL statement the daemon
 * runs: each is prepared once at open and reused (reset and unbound after
 * every use), and finalised by store_free(). Values are always bound, never
 * pasted into SQL text.
 *
 * Four tables: msgs (every signed message sent or received, written once),
 * msgs_out (the delivery facts of each out message: sent, received, the
 * receipt; narrow, so marking them rewrites little), receipts (signed
 * cumulative receipts, received from peers or issued by us) and events (an
 * operational journal). A stream is
 * (peer, dir, channel, precedence); its seq runs 1, 2, 3... without gaps,
 * which the unique index msgs_stream enforces together with id uniqueness.
 *
 * The database is used by one thread; the connection is opened NOMUTEX.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "pcache.h"
#include "walbuf.h"
#include "store.h"
#include "trace.h"
#include "util.h"
#include "worker.h"

#define LIST_LIMIT_MAX		1000
#define STORE_KEPT_MAX		4	/* store_stmt_kept() statements */

/*
 * The checkpoint thread copies the WAL in passes until a pass finds
 * nothing added since the one before, at most this many. If frames are
 * left, bulk writers hold off (store_held) while it makes a last pass of
 * at most STORE_CK_FINAL_PASSES, so that the WAL is wholly copied and the
 * next write starts it over. The hold lasts at most STORE_HOLD_US once the
 * last pass is handed over, and waits at most STORE_HOLD_WAIT_US for an
 * open long transaction (an API batch) to end before that.
 */
#define STORE_CK_PASSES		16
#define STORE_CK_FINAL_PASSES	4
#ifndef STORE_HOLD_US
#define STORE_HOLD_US		50000
#endif
#define STORE_HOLD_WAIT_US	200000
/* Lazy commits (store_begin_lazy); -DSTORE_LAZY=0 makes every commit full
 * (for comparisons in bench/). */
#ifndef STORE_LAZY
#define STORE_LAZY		1
#endif
#define STORE_STR_(x)	#x
#define STORE_STR(x)	STORE_STR_(x)

/* The columns of msgs after its id as migration 1 made them (migration 8
 * makes the table again with them). */
#define MSGS_V1_COLUMNS \
	"  dir INTEGER NOT NULL CHECK (dir IN (0, 1))," \
	"  peer TEXT NOT NULL," \
	"  sender TEXT NOT NULL," \
	"  recipient TEXT NOT NULL," \
	"  channel INTEGER NOT NULL," \
	"  kind TEXT NOT NULL," \
	"  prec INTEGER NOT NULL," \
	"  seq INTEGER NOT NULL CHECK (seq >= 1)," \
	"  version INTEGER NOT NULL," \
	"  created INTEGER NOT NULL," \
	"  exercise INTEGER NOT NULL," \
	"  ref TEXT," \
	"  body BLOB NOT NULL," \
	"  sig BLOB NOT NULL," \
	"  accepted INTEGER," \
	"  sent INTEGER," \
	"  received INTEGER," \
	"  receipt TEXT," \
	"  ack_id TEXT," \
	"  acked INTEGER"

/*
 * Migrations: migrations[i] takes the schema from user_version i to i + 1.
 * Append only; never edit a migration that has shipped.
 */
static const char *const migrations[] = {
	/* 1: everything */
	"CREATE TABLE msgs ("
	"  rid INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	MSGS_V1_COLUMNS ");"
	"CREATE UNIQUE INDEX msgs_stream ON msgs (dir, peer, channel, prec, seq);"
	"CREATE INDEX msgs_ref ON msgs (ref) WHERE ref IS NOT NULL;"
	/* Listing by channel, newest first: (channel, rid) order. */
	"CREATE INDEX msgs_channel ON msgs (channel);"
	/* Undelivered out messages only: pending counts, queued/sent lists. */
	"CREATE INDEX msgs_pending ON msgs (peer)"
	"  WHERE dir = 0 AND received IS NULL;"
	"CREATE TABLE receipts ("
	"  rid INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  dir INTEGER NOT NULL CHECK (dir IN (0, 1)),"
	"  peer TEXT NOT NULL,"
	"  sender TEXT,"
	"  recipient TEXT,"
	"  channel INTEGER,"
	"  prec INTEGER,"
	"  seq INTEGER,"
	"  version INTEGER,"
	"  last_id TEXT,"
	"  time INTEGER,"
	"  sig BLOB,"
	"  stored INTEGER);"
	"CREATE INDEX receipts_stream ON receipts (dir, peer, channel, prec, seq);"
	"CREATE TABLE events ("
	"  rid INTEGER PRIMARY KEY,"
	"  time INTEGER NOT NULL,"
	"  peer TEXT,"
	"  kind TEXT NOT NULL,"
	"  detail TEXT);",
	/* 2: the transparency log (tlog.c, witness.c). Leaf hashes live
	 * with the leaves; tlog_hashes holds complete subtrees of level >= 1. */
	"CREATE TABLE tlog_leaves ("
	"  idx INTEGER PRIMARY KEY,"
	"  type INTEGER NOT NULL,"
	"  ref BLOB NOT NULL,"
	"  time INTEGER NOT NULL,"
	"  hash BLOB NOT NULL,"
	"  data BLOB NOT NULL);"
	/* Found by (time, ref): the time index grows at its end, where
	 * an index of random ids would touch a random page per leaf. */
	"CREATE INDEX tlog_leaves_time ON tlog_leaves (time);"
	"CREATE TABLE tlog_hashes ("
	"  lvl INTEGER NOT NULL,"
	"  idx INTEGER NOT NULL,"
	"  hash BLOB NOT NULL,"
	"  PRIMARY KEY (lvl, idx)) WITHOUT ROWID;"
	"CREATE TABLE tlog_checkpoints ("
	"  size INTEGER PRIMARY KEY,"
	"  root BLOB NOT NULL,"
	"  time INTEGER NOT NULL,"
	"  note TEXT NOT NULL);"
	"CREATE TABLE tlog_cosigs ("
	"  size INTEGER NOT NULL,"
	"  peer TEXT NOT NULL,"
	"  time INTEGER NOT NULL,"
	"  line TEXT NOT NULL,"
	"  PRIMARY KEY (size, peer));"
	"CREATE TABLE tlog_witnessed ("
	"  peer TEXT PRIMARY KEY,"
	"  size INTEGER NOT NULL,"
	"  root BLOB NOT NULL,"
	"  time INTEGER NOT NULL,"
	"  note TEXT NOT NULL);"
	"CREATE TABLE tlog_evidence ("
	"  rid INTEGER PRIMARY KEY,"
	"  time INTEGER NOT NULL,"
	"  peer TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  old_note TEXT,"
	"  new_note TEXT NOT NULL,"
	"  proof BLOB,"
	"  detail TEXT);",
	/* 3: NRRC deadlines (store_nrrc.c, notify.c): escalations and late
	 * acknowledgments; every ack recorded is queued for notify.c by a
	 * trigger, whichever code path records it. */
	"CREATE TABLE deadlines ("
	"  id TEXT PRIMARY KEY,"
	"  deadline INTEGER NOT NULL,"
	"  overdue INTEGER,"
	"  hook INTEGER,"
	"  late INTEGER);"
	"CREATE TABLE acks_queue ("
	"  rid INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL);"
	"CREATE TRIGGER msgs_acked AFTER UPDATE OF ack_id ON msgs"
	"  WHEN NEW.ack_id IS NOT NULL AND OLD.ack_id IS NULL"
	"  BEGIN INSERT INTO acks_queue (id) VALUES (NEW.id); END;"
	/* Not CERT (5): bulk indicators are never acknowledged and would
	 * only grow the index. */
	"CREATE INDEX msgs_open ON msgs (channel, prec, received)"
	"  WHERE ack_id IS NULL AND channel <> 5;",
	/* 4: the CERT channel (stixdb.c): STIX objects by collection with
	 * their versions and provenance, TAXII status resources, and
	 * per-account TAXII grants. */
	"CREATE TABLE stix_objects ("
	"  rid INTEGER PRIMARY KEY,"
	"  coll TEXT NOT NULL,"
	"  id TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  spec_version TEXT NOT NULL,"
	"  version INTEGER NOT NULL,"
	"  added INTEGER NOT NULL,"
	"  current INTEGER NOT NULL,"
	"  revoked INTEGER NOT NULL,"
	"  valid_until INTEGER,"
	"  tlp INTEGER NOT NULL,"
	"  pattern TEXT,"
	"  source TEXT NOT NULL,"
	"  msg TEXT,"
	"  obj TEXT NOT NULL);"
	"CREATE UNIQUE INDEX stix_version ON stix_objects (coll, id, version);"
	"CREATE INDEX stix_coll ON stix_objects (coll, rid);"
	"CREATE INDEX stix_id ON stix_objects (id);"
	"CREATE TABLE taxii_status ("
	"  id TEXT PRIMARY KEY,"
	"  created INTEGER NOT NULL,"
	"  body TEXT NOT NULL);"
	"CREATE TABLE taxii_grants ("
	"  account TEXT NOT NULL,"
	"  coll TEXT NOT NULL,"
	"  can_read INTEGER NOT NULL,"
	"  can_write INTEGER NOT NULL,"
	"  PRIMARY KEY (account, coll));",
	/* 5: operator accounts; the operator who sent (or acknowledged:
	 * the ack is a sent message) each message (issue 8) */
	"CREATE TABLE accounts ("
	"  name TEXT PRIMARY KEY,"
	"  hash TEXT NOT NULL,"
	"  role INTEGER NOT NULL,"
	"  disabled INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL,"
	"  changed INTEGER NOT NULL);"
	"ALTER TABLE msgs ADD COLUMN operator TEXT;",
	/* 6 (STORE_V_TLOG_POS): tlog_hashes keyed in append order (tlog.c
	 * node_pos): pos =
	 * 64 * (the subtree's last leaf) + level. Keyed by (lvl, idx), each
	 * commit appended inside every level's range, a b-tree page per
	 * level; now all of a commit's hashes go to the table's end. */
	"CREATE TABLE tlog_hashes_new ("
	"  pos INTEGER PRIMARY KEY,"
	"  hash BLOB NOT NULL);"
	"INSERT INTO tlog_hashes_new (pos, hash)"
	"  SELECT (((idx + 1) << lvl) - 1) * 64 + lvl, hash FROM tlog_hashes"
	"  ORDER BY 1;"
	"DROP TABLE tlog_hashes;"
	"ALTER TABLE tlog_hashes_new RENAME TO tlog_hashes;",
	/* 7 (STORE_V_OUT_STATE): the delivery facts of out messages (sent;
	 * received, the receiver's time from the receipt; that receipt's id)
	 * move from msgs to the narrow msgs_out, one row per out message
	 * (rid = msgs.rid) that store_msg_insert() adds with the message (not a
	 * trigger: that cost ~12 k instructions per message). The msgs
	 * row (body and signature, ~1.5 KiB for 1 KiB bodies) is then
	 * written once instead of three times; marking sent and delivered
	 * rewrites ~90-byte rows. In messages keep `received` (our time) in
	 * msgs. Out rows' msgs.sent/received/receipt are not read any more:
	 * NULL on new rows; on older ones left as they were (rewriting every
	 * out row would write the whole table once more at the upgrade),
	 * except `received` where msgs_open indexes it (unacknowledged,
	 * not CERT), which store_nrrc_due reads as NULL for out rows.
	 * msgs_out_pending replaces msgs_pending. Running it again changes
	 * nothing (test_tlog re-runs the migrations after
	 * STORE_V_TLOG_POS on a migrated database). */
	"CREATE TABLE IF NOT EXISTS msgs_out ("
	"  rid INTEGER PRIMARY KEY,"
	"  peer TEXT NOT NULL,"
	"  sent INTEGER,"
	"  received INTEGER,"
	"  receipt TEXT);"
	"INSERT OR IGNORE INTO msgs_out (rid, peer, sent, received, receipt)"
	"  SELECT rid, peer, sent, received, receipt FROM msgs"
	"  WHERE dir = 0 ORDER BY rid;"
	"UPDATE msgs SET received = NULL WHERE dir = 0 AND ack_id IS NULL"
	"  AND channel <> 5 AND received IS NOT NULL;"
	"DROP INDEX IF EXISTS msgs_pending;"
	/* Undelivered out messages only: pending counts, queued/sent lists. */
	"CREATE INDEX IF NOT EXISTS msgs_out_pending ON msgs_out (peer)"
	"  WHERE received IS NULL;",
	/* 8 (STORE_V_ID_KEYS): msgs without the UNIQUE index on id (a random
	 * page per message); ids are found through msg_keys and
	 * msg_keys_new instead ("Finding messages by id" below). The table
	 * is rebuilt as SQLite's ALTER TABLE procedure says, its indexes and
	 * trigger as migrations 1, 3 and 5 left them (an upgrade writes
	 * every message once more). Running it again
	 * rebuilds the same tables (test_tlog, test_store re-run migrations
	 * on migrated databases). */
	"CREATE TABLE msgs_new ("
	"  rid INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL,"
	MSGS_V1_COLUMNS ","
	"  operator TEXT);"
	"INSERT INTO msgs_new SELECT rid, id, dir, peer, sender, recipient,"
	"  channel, kind, prec, seq, version, created, exercise, ref, body,"
	"  sig, accepted, sent, received, receipt, ack_id, acked, operator"
	"  FROM msgs ORDER BY rid;"
	"DROP TABLE msgs;"
	"ALTER TABLE msgs_new RENAME TO msgs;"
	"CREATE UNIQUE INDEX msgs_stream ON msgs (dir, peer, channel, prec, seq);"
	"CREATE INDEX msgs_ref ON msgs (ref) WHERE ref IS NOT NULL;"
	"CREATE INDEX msgs_channel ON msgs (channel);"
	"CREATE TRIGGER msgs_acked AFTER UPDATE OF ack_id ON msgs"
	"  WHEN NEW.ack_id IS NOT NULL AND OLD.ack_id IS NULL"
	"  BEGIN INSERT INTO acks_queue (id) VALUES (NEW.id); END;"
	"CREATE INDEX msgs_open ON msgs (channel, prec, received)"
	"  WHERE ack_id IS NULL AND channel <> 5;"
	"DROP TABLE IF EXISTS msg_keys;"
	"DROP TABLE IF EXISTS msg_keys_new;"
	"CREATE TABLE msg_keys ("
	"  k INTEGER NOT NULL,"
	"  rid INTEGER NOT NULL,"
	"  PRIMARY KEY (k, rid)) WITHOUT ROWID;"
	"CREATE TABLE msg_keys_new ("
	"  k INTEGER NOT NULL,"
	"  rid INTEGER NOT NULL,"
	"  PRIMARY KEY (k, rid)) WITHOUT ROWID;"
	"INSERT INTO msg_keys SELECT hl_idkey(id), rid FROM msgs"
	"  ORDER BY 1, 2;",
};
#define SCHEMA_VERSION	((int)(sizeof(migrations) / sizeof(migrations[0])))

/*
 * The columns of a message row, in the order row_fill() reads them, and the
 * tables they come from: an out message's delivery facts are in msgs_out
 * (migration 7), an in message's `received` in msgs.
 */
#define MSG_COLS \
	"m.rid, m.id, m.dir, m.peer, m.sender, m.recipient, m.channel, " \
	"m.kind, m.prec, m.seq, m.version, m.created, m.exercise, m.ref, " \
	"m.body, m.sig, m.accepted, o.sent, " \
	"CASE WHEN m.dir = 0 THEN o.received ELSE m.received END, " \
	"o.receipt, m.ack_id, m.acked"
#define MSG_FROM	"msgs m LEFT JOIN msgs_out o ON o.rid = m.rid"

/*
 * Finding messages by id. Ids are SHA-256 hashes, so an index on them puts
 * each new message on a random page of it: at 1,000,000 messages that
 * index was ~1.4 of the ~2 WAL pages each bulk message wrote. Ids are
 * found through (k, rid) pairs instead, k being the id's first 8 bytes
 * (hex_key(), SQL hl_idkey()), in two tables: msg_keys_new takes every new
 * message and stays small (its pages stay in the cache, and a commit of
 * many messages writes each of them once); store_msg_insert() moves one
 * slice of the key space from it to msg_keys every KEY_SWEEP_EVERY
 * messages (key_sweep()), so msg_keys is written in key order, a run of
 * adjacent pages at a time. A lookup reads both and then compares the
 * whole id (RIDS_OF_ID in store.h).
 */
enum {
	C_RID, C_ID, C_DIR, C_PEER, C_SENDER, C_RECIPIENT, C_CHANNEL, C_KIND,
	C_PREC, C_SEQ, C_VERSION, C_CREATED, C_EXERCISE, C_REF, C_BODY, C_SIG,
	C_ACCEPTED, C_SENT, C_RECEIVED, C_RECEIPT, C_ACK_ID, C_ACKED,
};

#define RCPT_COLS \
	"id, dir, peer, sender, recipient, channel, prec, seq, version, " \
	"last_id, time, sig, stored"
enum {
	R_ID, R_DIR, R_PEER, R_SENDER, R_RECIPIENT, R_CHANNEL, R_PREC, R_SEQ,
	R_VERSION, R_LAST_ID, R_TIME, R_SIG, R_STORED,
};

enum stmt_id {
	S_BEGIN, S_BEGIN_READ, S_COMMIT, S_ROLLBACK, S_SYNC_NORMAL, S_SYNC_FULL,
	S_MSG_INSERT, S_KEY_FIND, S_KEY_ADD, S_KEY_MOVE, S_KEY_DROP,
	S_OUT_INSERT, S_MARK_SENT, S_MARK_DELIVERED, S_RCPT_INSERT,
	S_MARK_ACKED, S_EVENT,
	S_STREAM_NEXT, S_STREAM_MAX, S_STREAM_RCPT,
	S_OUT_FETCH, S_ID_AT, S_RESOLVE, S_MSG_GET, S_MSG_OPERATOR,
	S_RCPT_FOR, S_PENDING,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	/* Deferred: its first read takes the WAL read lock, kept to COMMIT. */
	[S_BEGIN_READ] = "BEGIN",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	/* Lazy commits switch these per transaction (prepared once). */
	[S_SYNC_NORMAL] = "PRAGMA synchronous = NORMAL",
	[S_SYNC_FULL] = "PRAGMA synchronous = FULL",
	[S_MSG_INSERT] = "INSERT INTO msgs (id, dir, peer, sender, recipient, "
	    "channel, kind, prec, seq, version, created, exercise, ref, body, "
	    "sig, accepted, received, operator) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[S_KEY_FIND] = "SELECT 1 FROM " MSGS_OF_ID("?1") " WHERE m.id = ?1",
	[S_KEY_ADD] = "INSERT INTO msg_keys_new (k, rid) VALUES (?, ?)",
	[S_KEY_MOVE] = "INSERT OR IGNORE INTO msg_keys (k, rid) "
	    "SELECT k, rid FROM msg_keys_new WHERE k BETWEEN ? AND ?",
	[S_KEY_DROP] = "DELETE FROM msg_keys_new WHERE k BETWEEN ? AND ?",
	[S_OUT_INSERT] = "INSERT INTO msgs_out (rid, peer) VALUES (?, ?)",
	/* The stream's rids from msgs_stream (no msgs row is read), then
	 * msgs_out by rid. */
	[S_MARK_SENT] = "UPDATE msgs_out SET sent = ? WHERE rid IN "
	    "(SELECT rid FROM msgs WHERE dir = 0 AND peer = ? "
	    "AND channel = ? AND prec = ? AND seq BETWEEN ? AND ?) "
	    "AND sent IS NULL",
	[S_MARK_DELIVERED] = "UPDATE msgs_out SET received = ?, receipt = ? "
	    "WHERE rid IN (SELECT rid FROM msgs WHERE dir = 0 AND peer = ? "
	    "AND channel = ? AND prec = ? AND seq BETWEEN ? AND ?) "
	    "AND received IS NULL",
	[S_RCPT_INSERT] = "INSERT INTO receipts (id, dir, peer, sender, "
	    "recipient, channel, prec, seq, version, last_id, time, sig, "
	    "stored) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT (id) DO NOTHING",
	[S_MARK_ACKED] = "UPDATE msgs SET ack_id = ?1, acked = ?2 "
	    "WHERE rid IN " RIDS_OF_ID("?3") " AND id = ?3 AND ack_id IS NULL",
	[S_EVENT] = "INSERT INTO events (time, peer, kind, detail) "
	    "VALUES (?, ?, ?, ?)",
	/* A loose index scan: the next stream after the given one. */
	[S_STREAM_NEXT] = "SELECT dir, peer, channel, prec FROM msgs "
	    "WHERE (dir, peer, channel, prec) > (?, ?, ?, ?) "
	    "ORDER BY dir, peer, channel, prec LIMIT 1",
	[S_STREAM_MAX] = "SELECT MAX(seq) FROM msgs WHERE dir = ? AND "
	    "peer = ? AND channel = ? AND prec = ?",
	[S_STREAM_RCPT] = "SELECT MAX(seq) FROM receipts WHERE dir = 1 AND "
	    "peer = ? AND channel = ? AND prec = ?",
	[S_OUT_FETCH] = "SELECT " MSG_COLS " FROM " MSG_FROM " WHERE "
	    "m.dir = 0 AND m.peer = ? AND m.channel = ? AND m.prec = ? AND "
	    "m.seq >= ? ORDER BY m.seq LIMIT ?",
	[S_ID_AT] = "SELECT id FROM msgs WHERE dir = ? AND peer = ? AND "
	    "channel = ? AND prec = ? AND seq = ?",
	/* Keys in [?1, ?2], ids in [?3, ?4). */
	[S_RESOLVE] = "SELECT id FROM msgs WHERE rid IN "
	    "(SELECT rid FROM msg_keys WHERE k BETWEEN ?1 AND ?2 UNION ALL "
	    "SELECT rid FROM msg_keys_new WHERE k BETWEEN ?1 AND ?2) "
	    "AND id >= ?3 AND id < ?4 ORDER BY id LIMIT 2",
	[S_MSG_GET] = "SELECT " MSG_COLS " FROM " MSGS_OF_ID("?1")
	    " LEFT JOIN msgs_out o ON o.rid = m.rid WHERE m.id = ?1",
	[S_MSG_OPERATOR] = "SELECT m.operator FROM " MSGS_OF_ID("?1")
	    " WHERE m.id = ?1",
	[S_RCPT_FOR] = "SELECT " RCPT_COLS " FROM receipts WHERE dir = ? AND "
	    "peer = ? AND channel = ? AND prec = ? AND seq >= ? "
	    "ORDER BY seq, rid LIMIT ?",
	[S_PENDING] = "SELECT COUNT(*) FROM msgs_out INDEXED BY "
	    "msgs_out_pending WHERE peer = ? AND received IS NULL",
};

/*
 * store_msg_list() statements are built from fixed fragments chosen by
 * which filters are set, prepared on first use and kept: one slot per
 * combination of the optional filters times the five state choices.
 */
enum {
	LF_CHANNEL = 0x01, LF_PEER = 0x02, LF_DIR = 0x04, LF_SINCE = 0x08,
	LF_BEFORE = 0x10, LF_AFTER = 0x20, LF_ALL = 0x40,
};
#define LIST_NSTATE	5	/* any, then ST_QUEUED..ST_ACKED */
#define LIST_SLOTS	(LF_ALL * LIST_NSTATE)

struct store {
	sqlite3		*db;
	sqlite3_stmt	*stmt[S_COUNT];
	sqlite3_stmt	*list[LIST_SLOTS];
	store_tx_hook	 tx_hook;
	void		*tx_hook_arg;
	/* Checkpoints on a background thread (store_checkpoint_thread). */
	sqlite3		*ckdb;		/* used only by that thread */
	struct worker	*ckw;
	enum {
		CK_IDLE,	/* nothing queued or running */
		CK_PASSES,	/* the thread's passes (ck_run) */
		CK_WAIT,	/* hold: waiting for the open transaction */
		CK_FINAL,	/* the last pass, bulk writers held (or not) */
	}		 ck_state;
	int		 ck_passes;	/* passes of the job queued or running */
	int		 ck_rc;		/* its result, read in ck_done */
	int		 ck_frames;	/* its last pass: WAL frames, */
	int		 ck_copied;	/* and how many of them are copied */
	int		 wal_frames;	/* in the WAL after the last commit */
	bool		 held;		/* bulk writers hold off (store_held) */
	int		 unrestarted;	/* holds since the WAL last started over */
	uint64_t	 hold_start;	/* monotonic us */
	uint64_t	 hold_until;	/* gives up then */
	uint64_t	 hold_max;	/* STORE_HOLD_US, or a test's */
	uint64_t	 hold_wait_max;	/* STORE_HOLD_WAIT_US, or a test's */
	_Atomic bool	 ck_paused;	/* tests: the last pass waits */
	struct store_ck_stats ck_stats;
	/* The long transaction (store_long_begin), if one is open. */
	store_long_fn	 lt_fn;
	void		*lt_arg;
	bool		 lt_inside;	/* its owner is storing a part */
	int64_t		 lt_changes;	/* rows changed when it paused */
	bool		 lt_foreign;	/* someone else changed rows in it */
	bool		 urgent;	/* store_set_urgent */
	/* Lazy commits (store_begin_lazy) and their syncs on a thread. */
	struct worker	*syncw;
	int		 walfd;		/* the WAL file, for fdatasync */
	char		 walpath[PATH_MAX];
	bool		 lazy_tx;	/* the open transaction is lazy */
	bool		 lazy_bulk;	/* ... and begun by store_begin_lazy */
	uint64_t	 bulk_seq;	/* commits of such transactions so far */
	uint64_t	 ck_bulk_seq;	/* bulk_seq when a checkpoint began */
	uint64_t	 lazy_seq;	/* lazy commits so far */
	uint64_t	 synced_seq;	/* lazy commits known on disk */
	/* Shared with the sync thread: lazy commits written (set by the
	 * loop after each) and synced (set by the thread after each sync),
	 * so that one fdatasync serves every job queued behind it. */
	_Atomic uint64_t lazy_written;
	_Atomic uint64_t lazy_synced;
	/* Message keys (key_sweep): rows in msg_keys (an estimate), new
	 * messages so far, where the next slice starts. */
	uint64_t	 key_rows;
	uint64_t	 key_added;
	uint64_t	 key_cur;
	/* store_stmt_kept(): other modules' statements, keyed by SQL. */
	const char	*kept_sql[STORE_KEPT_MAX];
	sqlite3_stmt	*kept[STORE_KEPT_MAX];
};

static const char *const state_names[] = {
	[ST_QUEUED] = "queued",
	[ST_SENT] = "sent",
	[ST_DELIVERED] = "delivered",
	[ST_ACKED] = "acknowledged",
};
#define NSTATES	((int)(sizeof(state_names) / sizeof(state_names[0])))

static const uint8_t empty_body[1];

const char *
msg_state_name(int s)
{
	if (s < 0 || s >= NSTATES)
		return "?";
	return state_names[s];
}

int
msg_state_from_name(const char *s)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = 0; i < NSTATES; i++)
		if (strcmp(s, state_names[i]) == 0)
			return i;
	return -1;
}

void
msg_row_clear(struct msg_row *r)
{
	if (r == NULL)
		return;
	free(r->body);
	r->body = NULL;
	r->m.body = NULL;
	r->m.body_len = 0;
}

static void setmsg(char *, size_t, const char *, ...) LOG_ATTR(3, 4);

static void
setmsg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	/* Truncation of an error message is harmless; it stays terminated. */
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Reset a statement after use so it holds no locks and no bindings. */
static void
stmt_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static void
store_warn(struct store *st, const char *what)
{
	log_warnx("store: %s: %s", what, sqlite3_errmsg(st->db));
}

/*
 * Binding helpers: each returns 0 or -1, so a whole statement's bindings
 * are accumulated as errs |= ... and checked once.
 */
static int
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(s, i) == SQLITE_OK ? 0 : -1;
	return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) == SQLITE_OK ?
	    0 : -1;
}

static int
bind_blob(sqlite3_stmt *s, int i, const void *p, size_t n)
{
	if (n > INT32_MAX)
		return -1;
	/* A NULL pointer would bind SQL NULL; an empty body is a blob. */
	if (p == NULL || n == 0)
		p = empty_body;
	return sqlite3_bind_blob(s, i, p, (int)n, SQLITE_STATIC) == SQLITE_OK ?
	    0 : -1;
}

static int
bind_int(sqlite3_stmt *s, int i, int64_t v)
{
	return sqlite3_bind_int64(s, i, v) == SQLITE_OK ? 0 : -1;
}

/* A stored number: SQLite integers are signed, so refuse what won't fit. */
static int
bind_u64(sqlite3_stmt *s, int i, uint64_t v)
{
	if (v > INT64_MAX)
		return -1;
	return bind_int(s, i, (int64_t)v);
}

/* A bound of a comparison: anything beyond INT64_MAX means "no bound". */
static int
bind_bound(sqlite3_stmt *s, int i, uint64_t v)
{
	return bind_int(s, i, v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

/* Bind a named parameter if the statement has it. */
static int
bind_named(sqlite3_stmt *s, const char *name, int64_t v)
{
	int i;

	if ((i = sqlite3_bind_parameter_index(s, name)) == 0)
		return 0;
	return bind_int(s, i, v);
}

/*
 * Run a statement that returns no rows and reset it. Returns 0, -2 on a
 * constraint violation, -1 on any other failure (logged).
 */
static int
stmt_exec(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
		stmt_done(s);
		return 0;
	}
	store_warn(st, what);
	stmt_done(s);
	return (rc & 0xff) == SQLITE_CONSTRAINT ? -2 : -1;
}

static uint64_t
col_u64(sqlite3_stmt *s, int i)
{
	int64_t v = sqlite3_column_int64(s, i);

	return v < 0 ? 0 : (uint64_t)v;
}

/* Copy a text column into out[outsz]; NULL gives "". 0 or -1 if too long. */
static int
col_text(sqlite3_stmt *s, int i, char *out, size_t outsz)
{
	const unsigned char *t;
	int n;

	t = sqlite3_column_text(s, i);
	n = sqlite3_column_bytes(s, i);
	if (t == NULL) {
		out[0] = '\0';
		return 0;
	}
	if (n < 0 || (size_t)n >= outsz)
		return -1;
	memcpy(out, t, (size_t)n);
	out[n] = '\0';
	return 0;
}

/* A hex id column into MSG_ID_LEN bytes; NULL gives zeros. 0 or -1. */
static int
col_id(sqlite3_stmt *s, int i, uint8_t out[MSG_ID_LEN])
{
	char hex[ID_HEX_LEN + 1];

	if (sqlite3_column_type(s, i) == SQLITE_NULL) {
		memset(out, 0, MSG_ID_LEN);
		return 0;
	}
	if (col_text(s, i, hex, sizeof(hex)) == -1)
		return -1;
	return hex_decode(hex, out, MSG_ID_LEN);
}

/* A fixed-size blob column (signatures); NULL gives zeros. 0 or -1. */
static int
col_fixed(sqlite3_stmt *s, int i, uint8_t *out, size_t n)
{
	const void *p;

	if (sqlite3_column_type(s, i) == SQLITE_NULL) {
		memset(out, 0, n);
		return 0;
	}
	p = sqlite3_column_blob(s, i);
	if ((size_t)sqlite3_column_bytes(s, i) != n || p == NULL)
		return -1;
	memcpy(out, p, n);
	return 0;
}

/* A message's signature field (msg_sig_encode's bytes): either form. */
static int
col_sig(sqlite3_stmt *s, int i, struct msg *m)
{
	const void *p = sqlite3_column_blob(s, i);
	int n = sqlite3_column_bytes(s, i);
	const char *why;

	if (p == NULL || n <= 0)
		return -1;
	return msg_sig_decode(m, p, (size_t)n, &why);
}

static int
row_state(int dir, bool acked, bool received, bool sent)
{
	if (acked)
		return ST_ACKED;
	if (received || dir == DIR_IN)
		return ST_DELIVERED;
	return sent ? ST_SENT : ST_QUEUED;
}

/*
 * Fill r from the current row of a MSG_COLS statement. With copy_body the
 * body is malloc'd into r->body (msg_row_clear frees it); otherwise
 * r->body is NULL and r->m.body points into SQLite's memory, valid until
 * the statement is stepped or reset. Returns 0 or -1 on a malformed row.
 */
static int
row_fill(struct store *st, sqlite3_stmt *s, struct msg_row *r, bool copy_body)
{
	const void *body;
	int blen, errs = 0;

	memset(r, 0, sizeof(*r));
	r->rid = col_u64(s, C_RID);
	r->dir = sqlite3_column_int(s, C_DIR);
	errs |= col_text(s, C_ID, r->id, sizeof(r->id));
	errs |= col_id(s, C_ID, r->m.id);
	errs |= col_text(s, C_PEER, r->peer, sizeof(r->peer));
	errs |= col_text(s, C_SENDER, r->m.from, sizeof(r->m.from));
	errs |= col_text(s, C_RECIPIENT, r->m.to, sizeof(r->m.to));
	errs |= col_text(s, C_KIND, r->m.kind, sizeof(r->m.kind));
	r->m.channel = (uint8_t)sqlite3_column_int(s, C_CHANNEL);
	r->m.prec = (uint8_t)sqlite3_column_int(s, C_PREC);
	r->m.seq = col_u64(s, C_SEQ);
	r->m.version = (uint8_t)sqlite3_column_int(s, C_VERSION);
	r->m.created = col_u64(s, C_CREATED);
	r->m.exercise = sqlite3_column_int(s, C_EXERCISE) != 0;
	r->m.has_ref = sqlite3_column_type(s, C_REF) != SQLITE_NULL;
	errs |= col_id(s, C_REF, r->m.ref);
	errs |= col_sig(s, C_SIG, &r->m);
	r->accepted = col_u64(s, C_ACCEPTED);
	r->sent = col_u64(s, C_SENT);
	r->received = col_u64(s, C_RECEIVED);
	errs |= col_text(s, C_RECEIPT, r->receipt_id, sizeof(r->receipt_id));
	errs |= col_text(s, C_ACK_ID, r->ack_id, sizeof(r->ack_id));
	r->acked = col_u64(s, C_ACKED);
	r->state = row_state(r->dir, r->ack_id[0] != '\0',
	    sqlite3_column_type(s, C_RECEIVED) != SQLITE_NULL,
	    sqlite3_column_type(s, C_SENT) != SQLITE_NULL);

	body = sqlite3_column_blob(s, C_BODY);
	blen = sqlite3_column_bytes(s, C_BODY);
	if (blen < 0 || (blen > 0 && body == NULL))
		errs = -1;
	else if (blen == 0)
		body = empty_body;
	if (errs != 0) {
		log_warnx("store: malformed message row %llu",
		    (unsigned long long)r->rid);
		return -1;
	}
	r->m.body_len = (uint32_t)blen;
	if (copy_body) {
		r->body = xmalloc((size_t)blen);
		if (blen > 0)
			memcpy(r->body, body, (size_t)blen);
		r->m.body = r->body;
	} else
		r->m.body = body;
	return 0;
}

/* Run a whole migration's SQL. 0 or -1 with a message in err. */
static int
exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		setmsg(err, errlen, "%s: %s", sql,
		    msg != NULL ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* A pragma returning one value as text into out. 0 or -1. */
static int
pragma_get(sqlite3 *db, const char *sql, char *out, size_t outsz)
{
	sqlite3_stmt *s = NULL;
	int ret = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(s) != SQLITE_ROW)
		goto fail;
	if (col_text(s, 0, out, outsz) == -1)
		goto fail;
	ret = 0;
fail:
	sqlite3_finalize(s);
	return ret;
}

/* Message keys ("Finding messages by id"): one slice of the key space
 * moves to msg_keys every KEY_SWEEP_EVERY new messages, and the whole of
 * it every sqrt(KEY_SWEEP_BALANCE * rows in msg_keys) messages, at least
 * every KEY_SWEEP_MIN. Per commit of B new messages msg_keys_new costs
 * about as many pages as it holds, ~R / 2 / 240 for a sweep every R
 * messages, and the sweeps B * rows / 240 / R: least for R = sqrt(2 B
 * rows), and BALANCE is 2 B for the link's read batches (256). At
 * 1,000,000 messages R is ~22,600: ~50 pages of msg_keys_new, ~50 of
 * msg_keys per sweep step. */
#define KEY_SWEEP_EVERY		256
#define KEY_SWEEP_BALANCE	512
#define KEY_SWEEP_MIN		4096
#define KEY_MID			(UINT64_C(1) << 63)

/* The key of the 64-bit number u (an id's first 8 bytes, big-endian):
 * a signed SQLite integer in the same order. */
static int64_t
key_of(uint64_t u)
{
	return u >= KEY_MID ? (int64_t)(u - KEY_MID) :
	    -(int64_t)(KEY_MID - 1 - u) - 1;
}

/* The number of the first min(n, 16) hex digits of s followed by pad
 * digits (0 or 0xf) up to 16. 0, or -1 if one is not a hex digit. */
static int
hex_key(const char *s, size_t n, unsigned pad, int64_t *k)
{
	uint64_t u = 0;
	unsigned v;
	size_t i;
	char c;

	for (i = 0; i < 16; i++) {
		if (i >= n)
			v = pad;
		else if ((c = s[i]) >= '0' && c <= '9')
			v = (unsigned)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = (unsigned)((c | 0x20) - 'a' + 10);
		else
			return -1;
		u = u << 4 | v;
	}
	*k = key_of(u);
	return 0;
}

/* SQL hl_idkey(id): the key of a hex id, NULL if it is not one. */
static void
sql_idkey(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	const char *t = (const char *)sqlite3_value_text(argv[0]);
	int64_t k;

	(void)argc;
	if (t == NULL || sqlite3_value_bytes(argv[0]) < 16 ||
	    hex_key(t, 16, 0, &k) == -1)
		sqlite3_result_null(cx);
	else
		sqlite3_result_int64(cx, k);
}

static uint64_t
isqrt(uint64_t v)
{
	uint64_t x = v, y;

	if (v < 2)
		return v;
	for (y = (x + v / x) / 2; y < x; y = (x + v / x) / 2)
		x = y;
	return x;
}

/*
 * Move the next slice of the key space from msg_keys_new to msg_keys (in
 * the open transaction). The slice follows the last one, wrapping at the
 * end; a rolled-back slice stays in msg_keys_new until the next pass,
 * where lookups find it all the same. 0 or -1.
 */
static int
key_sweep(struct store *st)
{
	sqlite3_stmt *mv = st->stmt[S_KEY_MOVE], *dr = st->stmt[S_KEY_DROP];
	uint64_t r, span, lo = st->key_cur, hi;
	int errs = 0;

	r = isqrt(KEY_SWEEP_BALANCE * (st->key_rows < (UINT64_C(1) << 48) ?
	    st->key_rows : (UINT64_C(1) << 48)));
	if (r < KEY_SWEEP_MIN)
		r = KEY_SWEEP_MIN;
	span = UINT64_MAX / r * KEY_SWEEP_EVERY;
	hi = UINT64_MAX - lo < span ? UINT64_MAX : lo + span - 1;
	st->key_cur = hi == UINT64_MAX ? 0 : hi + 1;
	errs |= bind_int(mv, 1, key_of(lo));
	errs |= bind_int(mv, 2, key_of(hi));
	errs |= bind_int(dr, 1, key_of(lo));
	errs |= bind_int(dr, 2, key_of(hi));
	if (errs != 0) {
		store_warn(st, "key sweep: bind");
		stmt_done(mv);
		stmt_done(dr);
		return -1;
	}
	if (stmt_exec(st, mv, "key sweep") != 0) {
		stmt_done(dr);
		return -1;
	}
	st->key_rows += (uint64_t)sqlite3_changes(st->db);
	return stmt_exec(st, dr, "key sweep") == 0 ? 0 : -1;
}

/*
 * Bring the schema to SCHEMA_VERSION inside one IMMEDIATE transaction, so
 * two processes opening a fresh file cannot both migrate it. Refuses a
 * database from newer code. 0 or -1 with a message in err.
 */
static int
store_migrate(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	char val[32], sql[64];
	uint64_t v;
	int i, n;

	if (exec_sql(db, "BEGIN IMMEDIATE", err, errlen) == -1)
		return -1;
	if (pragma_get(db, "PRAGMA user_version", val, sizeof(val)) == -1 ||
	    parse_u64(val, 0, INT32_MAX, &v) == -1) {
		setmsg(err, errlen, "%s: cannot read user_version: %s", path,
		    sqlite3_errmsg(db));
		goto fail;
	}
	if (v > (uint64_t)SCHEMA_VERSION) {
		setmsg(err, errlen, "%s: schema version %llu > %d: database "
		    "is from newer software", path, (unsigned long long)v,
		    SCHEMA_VERSION);
		goto fail;
	}
	for (i = (int)v; i < SCHEMA_VERSION; i++) {
		if (exec_sql(db, migrations[i], err, errlen) == -1)
			goto fail;
		n = snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    i + 1);
		if (n < 0 || (size_t)n >= sizeof(sql)) {
			setmsg(err, errlen, "%s: %s", path, "user_version");
			goto fail;
		}
		if (exec_sql(db, sql, err, errlen) == -1)
			goto fail;
		if (i + 1 == SCHEMA_VERSION)
			log_info("store: %s: schema at version %d", path, i + 1);
	}
	if (exec_sql(db, "COMMIT", err, errlen) == -1)
		goto fail;
	return 0;
fail:
	if (!sqlite3_get_autocommit(db))
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/*
 * Open or create the database at path (created mode 0600; SQLite gives
 * the -wal and -shm files the same mode), switch it to WAL with
 * synchronous=FULL, migrate it and prepare every statement. Returns the
 * store, or NULL with a message in err. ":memory:" is not supported: the
 * store insists on WAL.
 */
struct store *
store_open(const char *path, char *err, size_t errlen)
{
	struct store *st;
	char mode[16], num[32];
	int fd, i;

	/* Before SQLite initialises itself (the first open): pcache.c. */
	if (pcache_install() == -1)
		log_debug("SQLite page cache wrapper not installed");
	st = xcalloc(1, sizeof(*st));
	st->walfd = -1;
	st->hold_max = STORE_HOLD_US;
	st->hold_wait_max = STORE_HOLD_WAIT_US;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		setmsg(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	close(fd);
	/* The loop's connection writes the WAL in large writes (walbuf.c). */
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, walbuf_vfs()) !=
	    SQLITE_OK) {
		setmsg(err, errlen, "%s: %s", path, st->db != NULL ?
		    sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	(void)sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	if (sqlite3_busy_timeout(st->db, 5000) != SQLITE_OK) {
		setmsg(err, errlen, "%s: busy_timeout: %s", path,
		    sqlite3_errmsg(st->db));
		goto fail;
	}
	if (pragma_get(st->db, "PRAGMA journal_mode = WAL", mode,
	    sizeof(mode)) == -1 || strcmp(mode, "wal") != 0) {
		setmsg(err, errlen, "%s: cannot switch to WAL: %s", path,
		    sqlite3_errmsg(st->db));
		goto fail;
	}
	/* Before the migrations: STORE_V_ID_KEYS uses it. */
	if (sqlite3_create_function_v2(st->db, "hl_idkey", 1, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL, sql_idkey, NULL,
	    NULL, NULL) != SQLITE_OK) {
		setmsg(err, errlen, "%s: hl_idkey: %s", path,
		    sqlite3_errmsg(st->db));
		goto fail;
	}
	if (exec_sql(st->db, "PRAGMA synchronous = FULL;"
	    "PRAGMA wal_autocheckpoint = " STORE_STR(STORE_WAL_CHECKPOINT) ";"
	    "PRAGMA foreign_keys = ON;"
	    "PRAGMA trusted_schema = OFF;", err, errlen) == -1)
		goto fail;
	if (store_migrate(st->db, path, err, errlen) == -1)
		goto fail;
	for (i = 0; i < S_COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL) !=
		    SQLITE_OK) {
			setmsg(err, errlen, "%s: %s", stmt_sql[i],
			    sqlite3_errmsg(st->db));
			goto fail;
		}
	}
	if (pragma_get(st->db, "SELECT coalesce(max(rid), 0) FROM msgs", num,
	    sizeof(num)) == -1 || parse_u64(num, 0, INT64_MAX,
	    &st->key_rows) == -1) {
		setmsg(err, errlen, "%s: max(rid): %s", path,
		    sqlite3_errmsg(st->db));
		goto fail;
	}
	return st;
fail:
	store_free(st);
	return NULL;
}

int
store_wal_prefill(struct store *st, char *err, size_t errlen)
{
	char num[32];
	uint64_t page;
	sqlite3_int64 added;

	if (pragma_get(st->db, "PRAGMA page_size", num, sizeof(num)) == -1 ||
	    parse_u64(num, 512, 65536, &page) == -1) {
		setmsg(err, errlen, "page_size: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	/* The WAL's header, then frames of a 24-byte header and a page. */
	added = walbuf_prefill(st->db, 32 + (sqlite3_int64)STORE_WAL_PREFILL *
	    (24 + (sqlite3_int64)page), err, errlen);
	if (added == -1)
		return -1;
	if (added > 0)
		log_info("store: WAL zero-filled by %lld KiB for %d frames",
		    (long long)added / 1024, STORE_WAL_PREFILL);
	return 0;
}

/* On the checkpoint thread: copy what the WAL holds into the database. */
static void
ck_run(void *arg)
{
	struct store *st = arg;
	const struct timespec ms = { 0, 1000000 };
	int frames = 0, copied = 0, prev = -1, pass = 0;

	while (st->ck_passes == STORE_CK_FINAL_PASSES &&
	    atomic_load(&st->ck_paused))
		(void)nanosleep(&ms, NULL);	/* tests: store_ck_pause */
	/*
	 * Again while the loop's commits added frames meanwhile (a pass
	 * reports the WAL as it was when it began), until a pass finds the
	 * whole WAL copied and no frame added since the pass before.
	 */
	do {
		st->ck_rc = sqlite3_wal_checkpoint_v2(st->ckdb, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
		if (st->ck_rc != SQLITE_OK || (copied == frames &&
		    frames == prev))
			break;
		prev = frames;
	} while (++pass < st->ck_passes);
	st->ck_frames = frames;
	st->ck_copied = copied;
}

static void	ck_done(void *, int);

/* Hand a checkpoint job of `passes` passes to the thread: 0 or -1. */
static int
ck_submit(struct store *st, int passes)
{
	st->ck_passes = passes;
	return worker_submit(st->ckw, ck_run, st, ck_done, st, 0, 1);
}

/* The hold is over: the last pass is back, or it took too long. */
static void
hold_end(struct store *st, bool gave_up)
{
	uint64_t d;

	if (!st->held)
		return;
	st->held = false;
	st->unrestarted++;	/* until the WAL hook sees it start over */
	TRACE_SUB(gave_up ? "ck_hold_gave_up" : "ck_hold", st->hold_start);
	d = now_mono_us() - st->hold_start;
	st->ck_stats.hold_sum_us += d;
	if (d > st->ck_stats.hold_max_us)
		st->ck_stats.hold_max_us = d;
	if (gave_up)
		st->ck_stats.gave_up++;
}

/* Between transactions, with bulk writers held: the last pass. */
static void
ck_final(struct store *st)
{
	st->ck_state = CK_FINAL;
	st->hold_until = now_mono_us() + st->hold_max;
	if (ck_submit(st, STORE_CK_FINAL_PASSES) == -1) {
		st->ck_state = CK_IDLE;
		hold_end(st, false);
	}
}

/*
 * Back on the loop. After the thread's passes: if frames are left (the
 * commits made during the last pass, or a reader kept it from copying
 * all), hold bulk writers off and hand over a last pass, once no
 * transaction is open; without that, under steady writing the WAL would
 * never be wholly copied, SQLite could never start it over and it would
 * grow without bound (measured: 137 MB in a 200,000-message run when the
 * thread's passes were left alone). After the last pass: the hold ends;
 * if it copied everything, the next write starts the WAL over (a write
 * during the pass, urgent work, only spoils that; the WAL hook then
 * starts again).
 */
static void
ck_done(void *arg, int cancelled)
{
	struct store *st = arg;
	int state = st->ck_state;

	st->ck_state = CK_IDLE;
	if (cancelled) {
		st->held = false;
		return;
	}
	if (st->ck_rc != SQLITE_OK && st->ck_rc != SQLITE_BUSY)
		log_warnx("store: checkpoint: %s", sqlite3_errstr(st->ck_rc));
	if (state == CK_FINAL) {
		if (st->ck_rc == SQLITE_OK && st->ck_copied == st->ck_frames)
			st->ck_stats.copied++;
		hold_end(st, false);
		return;
	}
	if (st->ck_rc != SQLITE_OK || (st->ck_copied == st->ck_frames &&
	    st->wal_frames <= st->ck_frames))
		return;		/* failed, or all copied: restarts next */
	st->ck_stats.holds++;
	st->held = true;
	st->hold_start = now_mono_us();
	if (sqlite3_get_autocommit(st->db))
		ck_final(st);
	else {
		/* A long transaction is open (store_long_begin): its owner
		 * finishes it; the last pass follows its end. */
		st->ck_state = CK_WAIT;
		st->hold_until = st->hold_start + st->hold_wait_max;
	}
}

/* A transaction ended (committed or rolled back): a hold waiting for
 * that hands over the last pass now. */
static void
ck_tx_ended(struct store *st)
{
	if (st->ck_state == CK_WAIT && sqlite3_get_autocommit(st->db))
		ck_final(st);
}

bool
store_held(struct store *st)
{
	if (!st->held)
		return false;
	if (now_mono_us() < st->hold_until)
		return true;
	/* Too long: bulk goes on (and spoils this restart; the WAL hook
	 * starts again once the thread is done). */
	if (st->ck_state == CK_WAIT)
		st->ck_state = CK_IDLE;
	hold_end(st, true);
	return false;
}

bool
store_hold_firm(const struct store *st)
{
	return st->unrestarted > 0;
}

void
store_ck_stats(const struct store *st, struct store_ck_stats *s)
{
	*s = st->ck_stats;
	s->busy = st->ck_state != CK_IDLE;
}

void
store_set_hold_max(struct store *st, uint64_t us)
{
	st->hold_max = us;
	st->hold_wait_max = us;
}

void
store_ck_pause(struct store *st, bool pause)
{
	atomic_store(&st->ck_paused, pause);
}

/*
 * After each commit on the loop's connection (SQLite's WAL hook, which
 * replaces its automatic checkpoint): once the WAL holds
 * STORE_WAL_CHECKPOINT frames (STORE_WAL_CHECKPOINT_BULK while bulk
 * streams), hand a checkpoint to the thread, or run it here when there is
 * no thread.
 */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store *st = arg;

	if (frames < st->wal_frames)
		st->unrestarted = 0;	/* the WAL started over */
	st->wal_frames = frames;
	if (frames > st->ck_stats.wal_peak)
		st->ck_stats.wal_peak = frames;
	ck_tx_ended(st);
	/* Bulk: this commit is of a bulk lazy transaction, or one was since
	 * the last checkpoint (store_begin_lazy_light's do not count). */
	if (frames < (st->lazy_bulk || st->bulk_seq != st->ck_bulk_seq ?
	    STORE_WAL_CHECKPOINT_BULK : STORE_WAL_CHECKPOINT) ||
	    st->ck_state != CK_IDLE)
		return SQLITE_OK;
	st->ck_bulk_seq = st->bulk_seq + (st->lazy_bulk ? 1 : 0); /* this one */
	st->ck_state = CK_PASSES;
	st->ck_stats.cycles++;
	if (ck_submit(st, STORE_CK_PASSES) == -1) {
		st->ck_state = CK_IDLE;
		(void)sqlite3_wal_checkpoint_v2(db, name,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	}
	return SQLITE_OK;
}

/*
 * The daemon's checkpoints: a WAL checkpoint copies up to
 * STORE_WAL_CHECKPOINT pages into the database file and syncs it, which on
 * the loop's connection ran inside a commit and held every request and link
 * behind it for tens of milliseconds. A second connection on a worker
 * thread does it instead (a PASSIVE checkpoint never blocks the writer).
 */
int
store_checkpoint_thread(struct store *st, struct event_base *base)
{
	const char *path = sqlite3_db_filename(st->db, "main");
	char err[256];

	if (path == NULL || sqlite3_open_v2(path, &st->ckdb,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_warnx("store: checkpoint connection: %s", st->ckdb != NULL ?
		    sqlite3_errmsg(st->ckdb) : "out of memory");
		goto fail;
	}
	if (exec_sql(st->ckdb, "PRAGMA synchronous = FULL;", err,
	    sizeof(err)) == -1) {
		log_warnx("store: checkpoint connection: %s", err);
		goto fail;
	}
	st->ckw = worker_new(base, "checkpoint");
	sqlite3_wal_hook(st->db, wal_hook, st);
	return 0;
fail:
	sqlite3_close(st->ckdb);
	st->ckdb = NULL;
	return -1;
}

void
store_free(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	if (st->ck_stats.cycles > 0)
		log_info("store: %llu checkpoints, %llu holds (%llu copied "
		    "the whole WAL, %llu gave up; held %llu ms in all, at most "
		    "%llu ms), WAL at most %d frames",
		    (unsigned long long)st->ck_stats.cycles,
		    (unsigned long long)st->ck_stats.holds,
		    (unsigned long long)st->ck_stats.copied,
		    (unsigned long long)st->ck_stats.gave_up,
		    (unsigned long long)st->ck_stats.hold_sum_us / 1000,
		    (unsigned long long)st->ck_stats.hold_max_us / 1000,
		    st->ck_stats.wal_peak);
	worker_free(st->syncw);	/* answers what is queued: not synced */
	if (st->walfd != -1)
		close(st->walfd);
	worker_free(st->ckw);
	if (st->ckdb != NULL)
		sqlite3_close(st->ckdb);
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	for (i = 0; i < LIST_SLOTS; i++)
		sqlite3_finalize(st->list[i]);
	for (i = 0; i < STORE_KEPT_MAX; i++)
		sqlite3_finalize(st->kept[i]);
	if (st->db != NULL && sqlite3_close(st->db) != SQLITE_OK)
		log_warnx("store: close: %s", sqlite3_errmsg(st->db));
	free(st);
}

/* Back to full commits after a lazy transaction. */
static void
lazy_end(struct store *st)
{
	st->lazy_tx = false;
	st->lazy_bulk = false;
	(void)stmt_exec(st, st->stmt[S_SYNC_FULL], "synchronous = FULL");
}

int
store_begin(struct store *st)
{
	if (st->lt_fn != NULL && !st->lt_inside)
		store_long_resolve(st, st->urgent);
	return stmt_exec(st, st->stmt[S_BEGIN], "begin") == 0 ? 0 : -1;
}

bool
store_read_begin(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		return false;
	return stmt_exec(st, st->stmt[S_BEGIN_READ], "begin read") == 0;
}

void
store_read_end(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		(void)stmt_exec(st, st->stmt[S_COMMIT], "end read");
}

/*
 * Lazy commits. A commit normally returns after SQLite's fdatasync of the
 * WAL (synchronous=FULL), on the event loop. A lazy one (synchronous=
 * NORMAL for that commit) writes the same WAL frames but returns without
 * the sync; the caller then has store_sync_submit() sync the WAL on the
 * sync thread and acknowledges nothing before its done callback. The WAL
 * is one file written in order, so that sync (or any later full commit's)
 * makes every commit before it durable. Without a sync thread a lazy
 * commit is a full one.
 */
static int
begin_lazy(struct store *st, bool bulk)
{
	if (st->syncw == NULL || !STORE_LAZY)
		return store_begin(st);
	if (st->lt_fn != NULL && !st->lt_inside)
		store_long_resolve(st, st->urgent);
	if (stmt_exec(st, st->stmt[S_SYNC_NORMAL], "synchronous = NORMAL") ==
	    -1)
		return -1;
	st->lazy_tx = true;
	st->lazy_bulk = bulk;
	if (stmt_exec(st, st->stmt[S_BEGIN], "begin") == 0)
		return 0;
	lazy_end(st);
	return -1;
}

int
store_begin_lazy(struct store *st)
{
	return begin_lazy(st, true);
}

int
store_begin_lazy_light(struct store *st)
{
	return begin_lazy(st, false);
}

bool
store_lazy_pending(const struct store *st)
{
	return st->synced_seq != st->lazy_seq;
}

struct sync_job {
	int		 fd;
	int		 rc;
	uint64_t	 seq;
	struct store	*st;
	store_sync_fn	 done;
	void		*arg;
};

static void
sync_run(void *arg)
{
	struct sync_job *j = arg;
	uint64_t upto;

	if (j->seq <= atomic_load(&j->st->lazy_synced)) {
		j->rc = 0;	/* an earlier job's sync covered it */
		return;
	}
	upto = atomic_load(&j->st->lazy_written);
	j->rc = j->fd == -1 ? -1 : fdatasync(j->fd);
	if (j->rc == 0 && upto > atomic_load(&j->st->lazy_synced))
		atomic_store(&j->st->lazy_synced, upto);
}

static void
sync_done(void *arg, int cancelled)
{
	struct sync_job *j = arg;
	bool ok = !cancelled && j->rc == 0;

	if (ok && j->seq > j->st->synced_seq)
		j->st->synced_seq = j->seq;
	if (!cancelled && j->rc != 0)
		log_warnx("store: WAL fdatasync failed");
	j->done(j->arg, ok);
	free(j);
}

/*
 * The WAL file, opened once and again if SQLite made a new one. Only the
 * inode numbers are asked for: a stat that reports the times marks them
 * read, and Linux (6.13+, multigrain timestamps) then gives the next write
 * a new fine-grained time, which makes the next fdatasync write the inode
 * as well (on ext4 without a journal, as on the bench machine, +35-45 us).
 */
static int
wal_fd(struct store *st)
{
	struct statx a, b;

	if (st->walfd != -1 &&
	    statx(st->walfd, "", AT_EMPTY_PATH, STATX_INO, &a) == 0 &&
	    statx(AT_FDCWD, st->walpath, 0, STATX_INO, &b) == 0 &&
	    a.stx_ino == b.stx_ino && a.stx_dev_major == b.stx_dev_major &&
	    a.stx_dev_minor == b.stx_dev_minor)
		return st->walfd;
	if (st->walfd != -1)
		close(st->walfd);
	st->walfd = open(st->walpath, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (st->walfd == -1)
		log_warn("store: %s", st->walpath);
	return st->walfd;
}

int
store_sync_submit(struct store *st, store_sync_fn done, void *arg)
{
	struct sync_job *j = xcalloc(1, sizeof(*j));

	j->st = st;
	j->done = done;
	j->arg = arg;
	j->seq = st->lazy_seq;
	if (!store_lazy_pending(st)) {
		sync_done(j, 0);	/* a full commit synced it already */
		return 0;
	}
	j->fd = wal_fd(st);
	if (st->syncw == NULL || worker_submit(st->syncw, sync_run, j,
	    sync_done, j, 0, 1) == -1) {
		sync_run(j);
		sync_done(j, 0);
	}
	return 0;
}

int
store_sync(struct store *st)
{
	int fd;

	if (!store_lazy_pending(st))
		return 0;
	if ((fd = wal_fd(st)) == -1 || fdatasync(fd) == -1) {
		log_warn("store: WAL fdatasync");
		return -1;
	}
	st->synced_seq = st->lazy_seq;
	return 0;
}

int
store_sync_thread(struct store *st, struct event_base *base)
{
	const char *path = sqlite3_db_filename(st->db, "main");

	if (path == NULL || snprintf(st->walpath, sizeof(st->walpath),
	    "%s-wal", path) >= (int)sizeof(st->walpath))
		return -1;
	st->syncw = worker_new(base, "sync");
	return st->syncw != NULL ? 0 : -1;
}

int
store_long_begin(struct store *st, store_long_fn resolve, void *arg)
{
	if (store_begin_lazy(st) == -1)
		return -1;
	st->lt_fn = resolve;
	st->lt_arg = arg;
	st->lt_inside = true;
	st->lt_foreign = false;
	return 0;
}

void
store_long_resume(struct store *st)
{
	if (sqlite3_total_changes64(st->db) != st->lt_changes)
		st->lt_foreign = true;	/* for good: it is in there */
	st->lt_inside = true;
}

void
store_long_pause(struct store *st)
{
	st->lt_inside = false;
	st->lt_changes = sqlite3_total_changes64(st->db);
}

void
store_long_end(struct store *st)
{
	st->lt_fn = NULL;
	st->lt_arg = NULL;
	st->lt_inside = false;
}

bool
store_long_open(const struct store *st)
{
	return st->lt_fn != NULL;
}

bool
store_in_transaction(const struct store *st)
{
	return !sqlite3_get_autocommit(st->db);
}

bool
store_long_intact(const struct store *st)
{
	return st->lt_fn != NULL && !sqlite3_get_autocommit(st->db) &&
	    !st->lt_foreign && (st->lt_inside ||
	    sqlite3_total_changes64(st->db) == st->lt_changes);
}

void
store_long_resolve(struct store *st, bool urgent)
{
	store_long_fn fn = st->lt_fn;

	if (fn == NULL || st->lt_inside)
		return;
	fn(st->lt_arg, urgent && store_long_intact(st));
	if (st->lt_fn != NULL) {	/* the owner must have ended it */
		log_warnx("store: long transaction not resolved; rolled back");
		store_long_end(st);
		store_rollback(st);
	}
}

void
store_set_urgent(struct store *st, bool urgent)
{
	st->urgent = urgent;
}

/*
 * Commit the transaction. On failure (disk full, I/O error, busy) the
 * transaction is rolled back, so nothing of it is durable: returns -1.
 */
int
store_commit(struct store *st)
{
	int rc;
	TRACE_BEGIN(t0);

#ifdef HOTLINE_TRACE
	int pw0 = 0, pw1 = 0, hi = 0;
	char det[32];

	(void)sqlite3_db_status(st->db, SQLITE_DBSTATUS_CACHE_WRITE, &pw0,
	    &hi, 0);
#endif
	rc = stmt_exec(st, st->stmt[S_COMMIT], "commit");
#ifdef HOTLINE_TRACE
	(void)sqlite3_db_status(st->db, SQLITE_DBSTATUS_CACHE_WRITE, &pw1,
	    &hi, 0);
	snprintf(det, sizeof(det), "pages=%d", pw1 - pw0);
	TRACE_END(st->lazy_tx ? "commit_lazy" : "commit", det, t0);
#else
	TRACE_END(st->lazy_tx ? "commit_lazy" : "commit", NULL, t0);
#endif
	if (rc == 0) {
		if (st->lazy_tx) {
			st->lazy_seq++;
			st->bulk_seq += st->lazy_bulk ? 1 : 0;
			atomic_store(&st->lazy_written, st->lazy_seq);
			lazy_end(st);
		} else
			st->synced_seq = st->lazy_seq;	/* WAL synced */
		if (st->tx_hook != NULL)
			st->tx_hook(st->tx_hook_arg, true);
		return 0;
	}
	store_rollback(st);
	return -1;
}

void
store_rollback(struct store *st)
{
	if (st->tx_hook != NULL)
		st->tx_hook(st->tx_hook_arg, false);
	/* SQLite may already have rolled back after an I/O error. */
	if (!sqlite3_get_autocommit(st->db))
		(void)stmt_exec(st, st->stmt[S_ROLLBACK], "rollback");
	if (st->lazy_tx)
		lazy_end(st);
	ck_tx_ended(st);
}

void
store_set_tx_hook(struct store *st, store_tx_hook fn, void *arg)
{
	st->tx_hook = fn;
	st->tx_hook_arg = arg;
}

sqlite3 *
store_db(struct store *st)
{
	return st->db;
}

sqlite3_stmt *
store_stmt_kept(struct store *st, const char *sql)
{
	int i;

	for (i = 0; i < STORE_KEPT_MAX && st->kept_sql[i] != NULL; i++)
		if (st->kept_sql[i] == sql)
			return st->kept[i];
	if (i == STORE_KEPT_MAX) {
		log_warnx("store: more than %d kept statements", STORE_KEPT_MAX);
		return NULL;
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &st->kept[i], NULL) != SQLITE_OK) {
		log_warnx("store: %s: %s", sql, sqlite3_errmsg(st->db));
		sqlite3_finalize(st->kept[i]);
		st->kept[i] = NULL;
		return NULL;
	}
	st->kept_sql[i] = sql;
	return st->kept[i];
}

/* Is a message with this id stored? 1 yes, 0 no, -1 on failure. */
static int
key_find(struct store *st, const char *id)
{
	sqlite3_stmt *s = st->stmt[S_KEY_FIND];
	int rc;

	if (bind_text(s, 1, id) != 0) {
		stmt_done(s);
		return -1;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		store_warn(st, "key find");
	stmt_done(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
store_msg_insert(struct store *st, const struct msg *m, int dir,
    const char *peer, uint64_t local_ms, const char *op)
{
	sqlite3_stmt *s = st->stmt[S_MSG_INSERT];
	char id[ID_HEX_LEN + 1], ref[ID_HEX_LEN + 1];
	uint8_t sig[MSG_SIG_MAX];
	size_t siglen;
	int64_t rid, k;
	int errs = 0, i = 1, rc;

	if (dir != DIR_OUT && dir != DIR_IN) {
		log_warnx("store: msg insert: bad direction %d", dir);
		return -1;
	}
	hex_encode(m->id, MSG_ID_LEN, id);
	if (m->has_ref)
		hex_encode(m->ref, MSG_ID_LEN, ref);
	/* No index makes ids unique (msg_keys): the same id again, at
	 * another stream position, is refused here. */
	if ((rc = key_find(st, id)) != 0)
		return rc == 1 ? -2 : -1;
	errs |= bind_text(s, i++, id);
	errs |= bind_int(s, i++, dir);
	errs |= bind_text(s, i++, peer);
	errs |= bind_text(s, i++, m->from);
	errs |= bind_text(s, i++, m->to);
	errs |= bind_int(s, i++, m->channel);
	errs |= bind_text(s, i++, m->kind);
	errs |= bind_int(s, i++, m->prec);
	errs |= bind_u64(s, i++, m->seq);
	errs |= bind_int(s, i++, m->version);
	errs |= bind_u64(s, i++, m->created);
	errs |= bind_int(s, i++, m->exercise ? 1 : 0);
	errs |= bind_text(s, i++, m->has_ref ? ref : NULL);
	errs |= bind_blob(s, i++, m->body, m->body_len);
	if ((siglen = msg_sig_encode(m, sig)) == 0)
		errs |= -1;
	errs |= bind_blob(s, i++, sig, siglen);
	/* accepted (out) or received (in): our own clock either way */
	if (dir == DIR_OUT) {
		errs |= bind_u64(s, i++, local_ms);
		errs |= bind_text(s, i++, NULL);
	} else {
		errs |= bind_text(s, i++, NULL);
		errs |= bind_u64(s, i++, local_ms);
	}
	errs |= bind_text(s, i++, op != NULL && *op != '\0' ? op : NULL);
	if (errs != 0) {
		/* Out-of-range numbers from a message are a bad message. */
		log_warnx("store: msg %s: cannot bind (number out of range?)",
		    id);
		stmt_done(s);
		return -2;
	}
	if ((rc = stmt_exec(st, s, "msg insert")) != 0)
		return rc;
	rid = sqlite3_last_insert_rowid(st->db);
	s = st->stmt[S_KEY_ADD];
	if (hex_key(id, 16, 0, &k) != 0 || bind_int(s, 1, k) != 0 ||
	    bind_int(s, 2, rid) != 0) {
		store_warn(st, "msg insert: bind");
		stmt_done(s);
		return -1;
	}
	if (stmt_exec(st, s, "msg insert") != 0 ||
	    (++st->key_added % KEY_SWEEP_EVERY == 0 && key_sweep(st) != 0))
		return -1;
	if (dir != DIR_OUT)
		return 0;
	/* Its delivery facts, in the same transaction. */
	s = st->stmt[S_OUT_INSERT];
	if (bind_int(s, 1, rid) != 0 ||
	    bind_text(s, 2, peer) != 0) {
		store_warn(st, "msg insert: bind");
		stmt_done(s);
		return -1;
	}
	return stmt_exec(st, s, "msg insert") == 0 ? 0 : -1;
}

int
store_out_mark_sent(struct store *st, const char *peer, int ch, int prec,
    uint64_t lo, uint64_t hi, uint64_t t)
{
	sqlite3_stmt *s = st->stmt[S_MARK_SENT];
	int errs = 0;

	errs |= bind_u64(s, 1, t);
	errs |= bind_text(s, 2, peer);
	errs |= bind_int(s, 3, ch);
	errs |= bind_int(s, 4, prec);
	errs |= bind_bound(s, 5, lo);
	errs |= bind_bound(s, 6, hi);
	if (errs != 0) {
		store_warn(st, "mark sent: bind");
		stmt_done(s);
		return -1;
	}
	return stmt_exec(st, s, "mark sent") == 0 ? 0 : -1;
}

int
store_out_mark_delivered(struct store *st, const char *peer, int ch,
    int prec, uint64_t lo, uint64_t hi, uint64_t t, const char *receipt_id)
{
	sqlite3_stmt *s = st->stmt[S_MARK_DELIVERED];
	int errs = 0;

	errs |= bind_u64(s, 1, t);
	errs |= bind_text(s, 2, receipt_id);
	errs |= bind_text(s, 3, peer);
	errs |= bind_int(s, 4, ch);
	errs |= bind_int(s, 5, prec);
	errs |= bind_bound(s, 6, lo);
	errs |= bind_bound(s, 7, hi);
	if (errs != 0) {
		store_warn(st, "mark delivered: bind");
		stmt_done(s);
		return -1;
	}
	return stmt_exec(st, s, "mark delivered") == 0 ? 0 : -1;
}

int
store_receipt_insert(struct store *st, const struct receipt *r, int dir,
    const char *peer, uint64_t stored)
{
	sqlite3_stmt *s = st->stmt[S_RCPT_INSERT];
	char id[ID_HEX_LEN + 1], last[ID_HEX_LEN + 1];
	int errs = 0, i = 1;

	if (dir != DIR_OUT && dir != DIR_IN) {
		log_warnx("store: receipt insert: bad direction %d", dir);
		return -1;
	}
	hex_encode(r->id, MSG_ID_LEN, id);
	hex_encode(r->last_id, MSG_ID_LEN, last);
	errs |= bind_text(s, i++, id);
	errs |= bind_int(s, i++, dir);
	errs |= bind_text(s, i++, peer);
	errs |= bind_text(s, i++, r->from);
	errs |= bind_text(s, i++, r->to);
	errs |= bind_int(s, i++, r->channel);
	errs |= bind_int(s, i++, r->prec);
	errs |= bind_u64(s, i++, r->seq);
	errs |= bind_int(s, i++, r->version);
	errs |= bind_text(s, i++, last);
	errs |= bind_u64(s, i++, r->time);
	errs |= bind_blob(s, i++, r->sig, sizeof(r->sig));
	errs |= bind_u64(s, i++, stored);
	if (errs != 0) {
		log_warnx("store: receipt %s: cannot bind (number out of "
		    "range?)", id);
		stmt_done(s);
		return -1;
	}
	return stmt_exec(st, s, "receipt insert") == 0 ? 0 : -1;
}

int
store_msg_mark_acked(struct store *st, const struct msg *ack)
{
	sqlite3_stmt *s = st->stmt[S_MARK_ACKED];
	char id[ID_HEX_LEN + 1], ref[ID_HEX_LEN + 1];
	int errs = 0;

	if (!ack->has_ref) {
		log_warnx("store: mark acked: ack without ref");
		return -1;
	}
	hex_encode(ack->id, MSG_ID_LEN, id);
	hex_encode(ack->ref, MSG_ID_LEN, ref);
	errs |= bind_text(s, 1, id);
	errs |= bind_u64(s, 2, ack->created);
	errs |= bind_text(s, 3, ref);
	if (errs != 0) {
		store_warn(st, "mark acked: bind");
		stmt_done(s);
		return -1;
	}
	if (stmt_exec(st, s, "mark acked") != 0)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 0 : 1;
}

int
store_event(struct store *st, const char *peer, const char *kind,
    const char *detail)
{
	sqlite3_stmt *s = st->stmt[S_EVENT];
	int errs = 0;

	errs |= bind_u64(s, 1, now_utc_ms());
	errs |= bind_text(s, 2, peer);
	errs |= bind_text(s, 3, kind);
	errs |= bind_text(s, 4, detail);
	if (errs != 0) {
		store_warn(st, "event: bind");
		stmt_done(s);
		return -1;
	}
	return stmt_exec(st, s, "event") == 0 ? 0 : -1;
}

/* Run a "SELECT MAX(seq)" statement already bound: the value, 0 if none. */
static int
stream_max(struct store *st, sqlite3_stmt *s, uint64_t *out)
{
	int rc;

	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		store_warn(st, "stream max");
		stmt_done(s);
		return -1;
	}
	*out = col_u64(s, 0);
	stmt_done(s);
	return 0;
}

/*
 * Walk the streams with a loose index scan over msgs_stream (one seek per
 * stream, not one step per message), so start-up does not read every row.
 */
int
store_streams_load(struct store *st, store_stream_cb cb, void *arg)
{
	sqlite3_stmt *next = st->stmt[S_STREAM_NEXT];
	sqlite3_stmt *smax = st->stmt[S_STREAM_MAX];
	sqlite3_stmt *srcpt = st->stmt[S_STREAM_RCPT];
	char peer[PARTY_MAX + 1] = "";
	int dir = -1, ch = 0, prec = 0, rc, errs;
	uint64_t maxseq, delivered;

	for (;;) {
		errs = 0;
		errs |= bind_int(next, 1, dir);
		errs |= bind_text(next, 2, peer);
		errs |= bind_int(next, 3, ch);
		errs |= bind_int(next, 4, prec);
		if (errs != 0)
			goto fail_next;
		rc = sqlite3_step(next);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW)
			goto fail_next;
		dir = sqlite3_column_int(next, 0);
		if (col_text(next, 1, peer, sizeof(peer)) == -1) {
			log_warnx("store: streams: peer id too long");
			stmt_done(next);
			return -1;
		}
		ch = sqlite3_column_int(next, 2);
		prec = sqlite3_column_int(next, 3);
		stmt_done(next);

		errs = 0;
		errs |= bind_int(smax, 1, dir);
		errs |= bind_text(smax, 2, peer);
		errs |= bind_int(smax, 3, ch);
		errs |= bind_int(smax, 4, prec);
		if (errs != 0 || stream_max(st, smax, &maxseq) == -1) {
			stmt_done(smax);
			return -1;
		}
		delivered = 0;
		if (dir == DIR_OUT) {
			errs = 0;
			errs |= bind_text(srcpt, 1, peer);
			errs |= bind_int(srcpt, 2, ch);
			errs |= bind_int(srcpt, 3, prec);
			if (errs != 0 ||
			    stream_max(st, srcpt, &delivered) == -1) {
				stmt_done(srcpt);
				return -1;
			}
		}
		cb(arg, peer, dir, ch, prec, maxseq, delivered);
	}
	stmt_done(next);
	return 0;
fail_next:
	store_warn(st, "streams");
	stmt_done(next);
	return -1;
}

/*
 * Step a MSG_COLS statement, handing each row to cb with its body borrowed
 * from SQLite. Returns the number of rows handed over (cb returning -1
 * stops early and is not an error) or -1. The statement is reset.
 */
static int
rows_emit(struct store *st, sqlite3_stmt *s, store_row_cb cb, void *arg,
    const char *what)
{
	struct msg_row row;
	int rc, n = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (row_fill(st, s, &row, false) == -1)
			goto fail;
		n++;
		if (cb(arg, &row) == -1)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_warn(st, what);
		goto fail;
	}
	stmt_done(s);
	return n;
fail:
	stmt_done(s);
	return -1;
}

/* A statement is in use by an outer call: callbacks must not recurse. */
static int
stmt_free_to_use(sqlite3_stmt *s, const char *what)
{
	if (sqlite3_stmt_busy(s)) {
		log_warnx("store: %s: called from its own callback", what);
		return -1;
	}
	return 0;
}

int
store_out_fetch(struct store *st, const char *peer, int ch, int prec,
    uint64_t from, int maxn, store_row_cb cb, void *arg)
{
	sqlite3_stmt *s = st->stmt[S_OUT_FETCH];
	int errs = 0;

	if (maxn <= 0)
		return 0;
	if (stmt_free_to_use(s, "out fetch") == -1)
		return -1;
	errs |= bind_text(s, 1, peer);
	errs |= bind_int(s, 2, ch);
	errs |= bind_int(s, 3, prec);
	errs |= bind_bound(s, 4, from);
	errs |= bind_int(s, 5, maxn);
	if (errs != 0) {
		store_warn(st, "out fetch: bind");
		stmt_done(s);
		return -1;
	}
	return rows_emit(st, s, cb, arg, "out fetch");
}

int
store_msg_id_at(struct store *st, int dir, const char *peer, int ch,
    int prec, uint64_t seq, char id[ID_HEX_LEN + 1])
{
	sqlite3_stmt *s = st->stmt[S_ID_AT];
	int errs = 0, rc, ret = -1;

	errs |= bind_int(s, 1, dir);
	errs |= bind_text(s, 2, peer);
	errs |= bind_int(s, 3, ch);
	errs |= bind_int(s, 4, prec);
	errs |= bind_bound(s, 5, seq);
	if (errs != 0) {
		store_warn(st, "id at: bind");
		goto done;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		ret = 1;
	else if (rc != SQLITE_ROW)
		store_warn(st, "id at");
	else if (col_text(s, 0, id, ID_HEX_LEN + 1) == -1)
		log_warnx("store: id at: malformed id");
	else
		ret = 0;
done:
	stmt_done(s);
	return ret;
}

/*
 * Ids are lowercase hex, so every id starting with prefix p lies in
 * [p, p "g"): 'g' sorts after every hex digit. A prefix that is not 4..64
 * hex digits matches nothing (1).
 */
int
store_msg_resolve(struct store *st, const char *prefix,
    char id[ID_HEX_LEN + 1])
{
	sqlite3_stmt *s = st->stmt[S_RESOLVE];
	char lo[ID_HEX_LEN + 1], hi[ID_HEX_LEN + 2], c;
	int64_t klo, khi;
	size_t n, i;
	int rc, ret = -1, errs = 0;

	n = strnlen(prefix, ID_HEX_LEN + 1);
	if (n < 4 || n > ID_HEX_LEN)
		return 1;
	for (i = 0; i < n; i++) {
		c = prefix[i];
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return 1;
		lo[i] = hi[i] = c;
	}
	lo[n] = '\0';
	hi[n] = 'g';
	hi[n + 1] = '\0';
	/* the keys of the first and the last id with that prefix */
	if (hex_key(lo, n, 0, &klo) == -1 || hex_key(lo, n, 0xf, &khi) == -1)
		return 1;
	errs |= bind_int(s, 1, klo);
	errs |= bind_int(s, 2, khi);
	errs |= bind_text(s, 3, lo);
	errs |= bind_text(s, 4, hi);
	if (errs != 0) {
		store_warn(st, "resolve: bind");
		goto done;
	}
	if ((rc = sqlite3_step(s)) == SQLITE_DONE) {
		ret = 1;
		goto done;
	}
	if (rc != SQLITE_ROW) {
		store_warn(st, "resolve");
		goto done;
	}
	if (col_text(s, 0, id, ID_HEX_LEN + 1) == -1) {
		log_warnx("store: resolve: malformed id");
		goto done;
	}
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		ret = 2;
	else if (rc == SQLITE_DONE)
		ret = 0;
	else
		store_warn(st, "resolve");
done:
	stmt_done(s);
	return ret;
}

int
store_msg_get(struct store *st, const char *id, struct msg_row *row)
{
	sqlite3_stmt *s = st->stmt[S_MSG_GET];
	int rc, ret = -1;

	memset(row, 0, sizeof(*row));
	if (bind_text(s, 1, id) == -1) {
		store_warn(st, "msg get: bind");
		goto done;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		ret = 1;
	else if (rc != SQLITE_ROW)
		store_warn(st, "msg get");
	else if (row_fill(st, s, row, true) == 0)
		ret = 0;
done:
	stmt_done(s);
	return ret;
}

/* Append a fixed SQL fragment. 0 or -1 if it does not fit. */
static int
sql_add(char *sql, size_t size, size_t *len, const char *frag)
{
	size_t n = strlen(frag);

	if (n >= size - *len)
		return -1;
	memcpy(sql + *len, frag, n + 1);
	*len += n;
	return 0;
}

/*
 * The list statement for this combination of filters, prepared on first
 * use. peer and dir are low-selectivity (a handful of peers, two
 * directions): the unary + keeps the planner off msgs_stream, whose use
 * would sort every matching row; it walks rid (or msgs_channel, which is
 * in rid order per channel) newest first and stops at the limit instead;
 * a feed (after) walks it oldest first from its cursor.
 * Queued and sent messages are the undelivered backlog: those lists read
 * only the partial index msgs_out_pending (in rid order for one peer) and
 * join msgs by rid.
 */
static sqlite3_stmt *
list_stmt(struct store *st, const struct msg_filter *f)
{
	static const char *const state_sql[NSTATES] = {
		[ST_QUEUED] = " AND m.ack_id IS NULL AND m.dir = 0"
		    " AND o.received IS NULL AND o.sent IS NULL",
		[ST_SENT] = " AND m.ack_id IS NULL AND m.dir = 0"
		    " AND o.received IS NULL AND o.sent IS NOT NULL",
		[ST_DELIVERED] = " AND m.ack_id IS NULL"
		    " AND (o.received IS NOT NULL OR m.dir = 1)",
		[ST_ACKED] = " AND m.ack_id IS NOT NULL",
	};
	char sql[1024];
	size_t len = 0;
	int mask = 0, slot, errs = 0;
	bool pending;

	if (f->channel != 0)
		mask |= LF_CHANNEL;
	if (f->peer != NULL)
		mask |= LF_PEER;
	if (f->dir != -1)
		mask |= LF_DIR;
	if (f->since != 0)
		mask |= LF_SINCE;
	if (f->before_rid != 0)
		mask |= LF_BEFORE;
	if (f->after)
		mask |= LF_AFTER;
	slot = mask * LIST_NSTATE + f->state + 1;
	if (st->list[slot] != NULL)
		return st->list[slot];

	pending = f->state == ST_QUEUED || f->state == ST_SENT;
	errs |= sql_add(sql, sizeof(sql), &len, "SELECT " MSG_COLS " FROM ");
	/* CROSS JOIN: SQLite keeps msgs_out as the outer loop. */
	errs |= sql_add(sql, sizeof(sql), &len, pending ?
	    "msgs_out o INDEXED BY msgs_out_pending CROSS JOIN msgs m"
	    " ON m.rid = o.rid WHERE o.received IS NULL" :
	    MSG_FROM " WHERE 1");
	if (mask & LF_CHANNEL)
		errs |= sql_add(sql, sizeof(sql), &len, " AND m.channel = :ch");
	if (mask & LF_PEER)
		errs |= sql_add(sql, sizeof(sql), &len, pending ?
		    " AND o.peer = :peer" : " AND +m.peer = :peer");
	if (mask & LF_DIR)
		errs |= sql_add(sql, sizeof(sql), &len, " AND +m.dir = :dir");
	if (mask & LF_SINCE)
		errs |= sql_add(sql, sizeof(sql), &len,
		    " AND m.created >= :since");
	if (mask & LF_BEFORE)
		errs |= sql_add(sql, sizeof(sql), &len, pending ?
		    " AND o.rid < :before" : " AND m.rid < :before");
	if (mask & LF_AFTER)
		errs |= sql_add(sql, sizeof(sql), &len, pending ?
		    " AND o.rid > :after" : " AND m.rid > :after");
	if (f->state != -1)
		errs |= sql_add(sql, sizeof(sql), &len, state_sql[f->state]);
	errs |= sql_add(sql, sizeof(sql), &len, pending ?
	    " ORDER BY o.rid" : " ORDER BY m.rid");
	errs |= sql_add(sql, sizeof(sql), &len, mask & LF_AFTER ?
	    " ASC LIMIT :limit" : " DESC LIMIT :limit");
	if (errs != 0) {
		log_warnx("store: list: query too long");
		return NULL;
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &st->list[slot], NULL) != SQLITE_OK) {
		store_warn(st, "list: prepare");
		st->list[slot] = NULL;
		return NULL;
	}
	return st->list[slot];
}

int
store_msg_list(struct store *st, const struct msg_filter *f,
    store_row_cb cb, void *arg)
{
	sqlite3_stmt *s;
	int errs = 0, limit, i;

	if ((f->dir != -1 && f->dir != DIR_OUT && f->dir != DIR_IN) ||
	    f->state < -1 || f->state >= NSTATES) {
		log_warnx("store: list: bad filter (dir %d, state %d)",
		    f->dir, f->state);
		return -1;
	}
	if ((s = list_stmt(st, f)) == NULL)
		return -1;
	if (stmt_free_to_use(s, "list") == -1)
		return -1;
	limit = f->limit < 1 ? 1 : f->limit > LIST_LIMIT_MAX ?
	    LIST_LIMIT_MAX : f->limit;
	errs |= bind_named(s, ":ch", f->channel);
	if ((i = sqlite3_bind_parameter_index(s, ":peer")) != 0)
		errs |= bind_text(s, i, f->peer);
	errs |= bind_named(s, ":dir", f->dir);
	errs |= bind_named(s, ":since",
	    f->since > INT64_MAX ? INT64_MAX : (int64_t)f->since);
	errs |= bind_named(s, ":before",
	    f->before_rid > INT64_MAX ? INT64_MAX : (int64_t)f->before_rid);
	errs |= bind_named(s, ":after",
	    f->after_rid > INT64_MAX ? INT64_MAX : (int64_t)f->after_rid);
	errs |= bind_named(s, ":limit", limit);
	if (errs != 0) {
		store_warn(st, "list: bind");
		stmt_done(s);
		return -1;
	}
	return rows_emit(st, s, cb, arg, "list");
}

static int
receipt_fill(sqlite3_stmt *s, struct receipt_row *r)
{
	int errs = 0;

	memset(r, 0, sizeof(*r));
	errs |= col_id(s, R_ID, r->r.id);
	r->dir = sqlite3_column_int(s, R_DIR);
	errs |= col_text(s, R_PEER, r->peer, sizeof(r->peer));
	errs |= col_text(s, R_SENDER, r->r.from, sizeof(r->r.from));
	errs |= col_text(s, R_RECIPIENT, r->r.to, sizeof(r->r.to));
	r->r.channel = (uint8_t)sqlite3_column_int(s, R_CHANNEL);
	r->r.prec = (uint8_t)sqlite3_column_int(s, R_PREC);
	r->r.seq = col_u64(s, R_SEQ);
	r->r.version = (uint8_t)sqlite3_column_int(s, R_VERSION);
	errs |= col_id(s, R_LAST_ID, r->r.last_id);
	r->r.time = col_u64(s, R_TIME);
	errs |= col_fixed(s, R_SIG, r->r.sig, sizeof(r->r.sig));
	r->stored = col_u64(s, R_STORED);
	return errs != 0 ? -1 : 0;
}

/*
 * Receipts of row's stream at or beyond its seq, oldest first, at most
 * RECEIPTS_FOR_MAX: for an out message those the peer sent us (the first
 * proved delivery), for an in message those we issued. Returns the number
 * handed to cb (which may return -1 to stop) or -1.
 */
int
store_receipts_for(struct store *st, const struct msg_row *row,
    store_receipt_cb cb, void *arg)
{
	sqlite3_stmt *s = st->stmt[S_RCPT_FOR];
	struct receipt_row rr;
	int errs = 0, rc, n = 0;

	if (stmt_free_to_use(s, "receipts for") == -1)
		return -1;
	errs |= bind_int(s, 1, row->dir == DIR_OUT ? DIR_IN : DIR_OUT);
	errs |= bind_text(s, 2, row->peer);
	errs |= bind_int(s, 3, row->m.channel);
	errs |= bind_int(s, 4, row->m.prec);
	errs |= bind_bound(s, 5, row->m.seq);
	errs |= bind_int(s, 6, RECEIPTS_FOR_MAX);
	if (errs != 0) {
		store_warn(st, "receipts for: bind");
		goto fail;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (receipt_fill(s, &rr) == -1) {
			log_warnx("store: malformed receipt row");
			goto fail;
		}
		n++;
		if (cb(arg, &rr) == -1)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_warn(st, "receipts for");
		goto fail;
	}
	stmt_done(s);
	return n;
fail:
	stmt_done(s);
	return -1;
}

int
store_out_pending(struct store *st, const char *peer, uint64_t *count)
{
	sqlite3_stmt *s = st->stmt[S_PENDING];
	int ret = -1;

	if (bind_text(s, 1, peer) == -1) {
		store_warn(st, "pending: bind");
		goto done;
	}
	if (sqlite3_step(s) != SQLITE_ROW) {
		store_warn(st, "pending");
		goto done;
	}
	*count = col_u64(s, 0);
	ret = 0;
done:
	stmt_done(s);
	return ret;
}

/*
 * Operator accounts, the operator of a message, and the figures /metrics
 * reports (issue 8). These statements are rare (account changes, a login,
 * a scrape), so they are prepared when used rather than kept.
 */
static sqlite3_stmt *
prep(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_warn(st, sql);
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

/* Step a prepared-on-use statement with no rows, finalize it. 0, -2, -1. */
static int
prep_exec(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	log_warnx("store: %s: %s", what, sqlite3_errmsg(st->db));
	return (rc & 0xff) == SQLITE_CONSTRAINT ? -2 : -1;
}

int
store_account_add(struct store *st, const char *name, const char *hash,
    int role, uint64_t now)
{
	sqlite3_stmt *s;
	int errs = 0, rc;

	if ((s = prep(st, "INSERT INTO accounts (name, hash, role, disabled, "
	    "created, changed) VALUES (?, ?, ?, 0, ?, ?)")) == NULL)
		return -1;
	errs |= bind_text(s, 1, name);
	errs |= bind_text(s, 2, hash);
	errs |= bind_int(s, 3, role);
	errs |= bind_u64(s, 4, now);
	errs |= bind_u64(s, 5, now);
	if (errs) {
		sqlite3_finalize(s);
		return -1;
	}
	rc = prep_exec(st, s, "account add");
	return rc == -2 ? 1 : rc;
}

static void
account_fill(sqlite3_stmt *s, struct account_row *a)
{
	memset(a, 0, sizeof(*a));
	(void)col_text(s, 0, a->name, sizeof(a->name));
	(void)col_text(s, 1, a->hash, sizeof(a->hash));
	a->role = sqlite3_column_int(s, 2);
	a->disabled = sqlite3_column_int(s, 3) != 0;
	a->created = col_u64(s, 4);
	a->changed = col_u64(s, 5);
}

int
store_account_get(struct store *st, const char *name, struct account_row *a)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = prep(st, "SELECT name, hash, role, disabled, created, changed "
	    "FROM accounts WHERE name = ?")) == NULL)
		return -1;
	if (bind_text(s, 1, name) == -1) {
		sqlite3_finalize(s);
		return -1;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		account_fill(s, a);
	else if (rc != SQLITE_DONE)
		store_warn(st, "account get");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int
store_account_list(struct store *st, store_account_cb cb, void *arg)
{
	struct account_row a;
	sqlite3_stmt *s;
	int rc, n = 0;

	if ((s = prep(st, "SELECT name, hash, role, disabled, created, changed "
	    "FROM accounts ORDER BY name")) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		account_fill(s, &a);
		n++;
		if (cb(arg, &a) == -1)
			break;
	}
	explicit_bzero(&a, sizeof(a));
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_warn(st, "account list");
		n = -1;
	}
	sqlite3_finalize(s);
	return n;
}

int
store_account_update(struct store *st, const char *name, const char *hash,
    int disabled, uint64_t now)
{
	sqlite3_stmt *s;
	int errs = 0, rc;

	if ((s = prep(st, "UPDATE accounts SET hash = coalesce(?, hash), "
	    "disabled = CASE WHEN ? < 0 THEN disabled ELSE ? END, changed = ? "
	    "WHERE name = ?")) == NULL)
		return -1;
	errs |= bind_text(s, 1, hash);
	errs |= bind_int(s, 2, disabled);
	errs |= bind_int(s, 3, disabled);
	errs |= bind_u64(s, 4, now);
	errs |= bind_text(s, 5, name);
	if (errs) {
		sqlite3_finalize(s);
		return -1;
	}
	if ((rc = prep_exec(st, s, "account update")) != 0)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 0 : 1;
}

int
store_msg_operator(struct store *st, const char *id, char *out, size_t outsz)
{
	sqlite3_stmt *s = st->stmt[S_MSG_OPERATOR];
	int rc;

	if (outsz > 0)
		out[0] = '\0';
	if (bind_text(s, 1, id) == -1) {
		stmt_done(s);
		return -1;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		(void)col_text(s, 0, out, outsz);
	else if (rc != SQLITE_DONE)
		store_warn(st, "operator");
	stmt_done(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int
store_msg_counts(struct store *st, store_count_cb cb, void *arg)
{
	sqlite3_stmt *s;
	int rc, n = 0;

	/* The state as msg_state(): acked > delivered > sent > queued. */
	if ((s = prep(st, "SELECT m.channel, m.dir, CASE"
	    "  WHEN m.ack_id IS NOT NULL THEN 3"
	    "  WHEN m.dir = 1 OR o.received IS NOT NULL THEN 2"
	    "  WHEN o.sent IS NOT NULL THEN 1 ELSE 0 END AS st, count(*) "
	    "FROM " MSG_FROM " GROUP BY m.channel, m.dir, st")) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		n++;
		cb(arg, sqlite3_column_int(s, 0), sqlite3_column_int(s, 1),
		    sqlite3_column_int(s, 2), col_u64(s, 3));
	}
	if (rc != SQLITE_DONE) {
		store_warn(st, "msg counts");
		n = -1;
	}
	sqlite3_finalize(s);
	return n;
}

int
store_unacked_before(struct store *st, int ch, int prec, uint64_t before,
    uint64_t *count)
{
	sqlite3_stmt *s;
	int errs = 0, rc;

	/* Received messages still unanswered (the msgs_open index). */
	if ((s = prep(st, "SELECT count(*) FROM msgs WHERE ack_id IS NULL AND "
	    "channel = ? AND prec = ? AND received < ? AND dir = 1 AND "
	    "kind != 'ack'")) == NULL)
		return -1;
	errs |= bind_int(s, 1, ch);
	errs |= bind_int(s, 2, prec);
	errs |= bind_bound(s, 3, before);
	if (errs) {
		sqlite3_finalize(s);
		return -1;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*count = col_u64(s, 0);
	else
		store_warn(st, "unacked count");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_size(struct store *st, uint64_t *bytes)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = prep(st, "SELECT page_count * page_size FROM "
	    "pragma_page_count(), pragma_page_size()")) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*bytes = col_u64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_events_recent(struct store *st, const char *peer, int limit,
    store_event_cb cb, void *arg)
{
	sqlite3_stmt *s;
	char kind[32], detail[256];
	int rc, n = 0;

	if ((s = prep(st, "SELECT time, kind, coalesce(detail, '') FROM events "
	    "WHERE peer = ? ORDER BY rid DESC LIMIT ?")) == NULL)
		return -1;
	if (bind_text(s, 1, peer) == -1 || bind_int(s, 2, limit) == -1) {
		sqlite3_finalize(s);
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		kind[0] = detail[0] = '\0';
		(void)col_text(s, 1, kind, sizeof(kind));
		(void)col_text(s, 2, detail, sizeof(detail));
		n++;
		if (cb(arg, col_u64(s, 0), kind, detail) == -1)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_warn(st, "events");
		n = -1;
	}
	sqlite3_finalize(s);
	return n;
}

int
store_tlog_covering(struct store *st, uint64_t idx, uint64_t *size,
    uint64_t *time, char *peers, size_t peersz)
{
	sqlite3_stmt *s;
	int rc;

	/* The smallest cosigned checkpoint whose tree holds leaf idx, else
	 * the smallest such checkpoint at all. */
	if ((s = prep(st, "SELECT c.size, c.time, (SELECT group_concat(peer, "
	    "' ') FROM tlog_cosigs s WHERE s.size = c.size) FROM "
	    "tlog_checkpoints c WHERE c.size > ? ORDER BY EXISTS (SELECT 1 "
	    "FROM tlog_cosigs s WHERE s.size = c.size) DESC, c.size LIMIT 1"))
	    == NULL)
		return -1;
	if (bind_u64(s, 1, idx) == -1) {
		sqlite3_finalize(s);
		return -1;
	}
	peers[0] = '\0';
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*size = col_u64(s, 0);
		*time = col_u64(s, 1);
		if (col_text(s, 2, peers, peersz) == -1)
			peers[0] = '\0';
	} else if (rc != SQLITE_DONE)
		store_warn(st, "tlog covering");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int
store_tlog_latest(struct store *st, uint64_t *size, uint64_t *time,
    uint64_t *cosigned_time)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = prep(st, "SELECT (SELECT size FROM tlog_checkpoints ORDER BY "
	    "size DESC LIMIT 1), (SELECT max(time) FROM tlog_checkpoints), "
	    "(SELECT max(c.time) FROM tlog_checkpoints c WHERE EXISTS "
	    "(SELECT 1 FROM tlog_cosigs s WHERE s.size = c.size))")) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*size = col_u64(s, 0);
		*time = col_u64(s, 1);
		*cosigned_time = col_u64(s, 2);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}
