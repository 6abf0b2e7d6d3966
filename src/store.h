/*
 * store.h: the node's SQLite database (WAL, synchronous=FULL), its schema
 * and migrations, and every statement the daemon runs. Nothing else touches
 * SQL, so a PostgreSQL back end can later sit behind the same interface.
 *
 * Ids are stored and passed as 64 lowercase hex characters.
 * Write functions must be called inside store_begin()/store_commit().
 * Functions that take a callback must not be re-entered from it (the same
 * prepared statement is in use); other store calls from a callback are fine.
 */
#ifndef HOTLINE_STORE_H
#define HOTLINE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

#define ID_HEX_LEN	(MSG_ID_LEN * 2)

enum msg_dir { DIR_OUT = 0, DIR_IN = 1 };

/* What a user sees of a message, derived from its timestamps. */
enum msg_state {
	ST_QUEUED,	/* out: committed, not yet handed to a live link */
	ST_SENT,	/* out: written to a live link, no receipt yet */
	ST_DELIVERED,	/* out: signed receipt held; in: committed here */
	ST_ACKED,	/* a human ack message (kind=ack, ref=id) exists */
};
const char *msg_state_name(int st);
int	     msg_state_from_name(const char *s);	/* -1 if unknown */

struct store;

/*
 * WAL frames between automatic checkpoints (SQLite's default is 1000). A
 * checkpoint copies each page changed since the last one into the database
 * file and syncs it, and every commit's fdatasync, a flash message's too,
 * waits behind that sync's writes on the disk. While bulk streams (a
 * store_begin_lazy commit since the last checkpoint) the mark is
 * STORE_WAL_CHECKPOINT_BULK:
 * at 8,192 frames (32 MiB at a time) flash p99 under bulk load was 18-21
 * ms, at 1,024 12-13 ms, for ~8 % of throughput. Otherwise it is
 * STORE_WAL_CHECKPOINT: a checkpoint every 1,024 frames doubled the p99 of
 * single messages (end to end 1.0 -> 2.0 ms), every commit of theirs
 * meeting one more often (docs/BENCHMARKS.md, session 7). The WAL file
 * grows to about this many 4 KiB pages.
 */
#ifndef STORE_WAL_CHECKPOINT
#define STORE_WAL_CHECKPOINT		8192
#endif
#ifndef STORE_WAL_CHECKPOINT_BULK
#define STORE_WAL_CHECKPOINT_BULK	1024
#endif

/* WAL frames the daemon's WAL file is zero-filled to at start: what it
 * holds at a checkpoint's mark, and half as much again for what is written
 * while the checkpoint copies (the most seen: ~8,900 after 8,192). About 48
 * MiB with 4 KiB pages. */
#ifndef STORE_WAL_PREFILL
#define STORE_WAL_PREFILL	(STORE_WAL_CHECKPOINT + STORE_WAL_CHECKPOINT / 2)
#endif

/* The schema version whose migration keys tlog_hashes by position (tests). */
#define STORE_V_TLOG_POS	6
/* The schema version whose migration moves out messages' delivery facts to
 * msgs_out (tests). */
#define STORE_V_OUT_STATE	7
/* The schema version whose migration finds ids through msg_keys (tests). */
#define STORE_V_ID_KEYS	8

/* SQL for the store's own files (store.c, store_nrrc.c): the rids of the
 * messages whose id may be x, an SQL expression of a hex id; compare
 * msgs.id = x as well. Ids are found through msg_keys, not an index
 * (store.c, "Finding messages by id"). */
#define RIDS_OF_ID(x) \
	"(SELECT rid FROM msg_keys WHERE k = hl_idkey(" x ") UNION ALL " \
	"SELECT rid FROM msg_keys_new WHERE k = hl_idkey(" x "))"
/* The same as a FROM clause: msgs m joined to those rids, which SQLite
 * flattens into two index lookups; "rid IN" RIDS_OF_ID fills a temporary
 * table on every call (~4 KiB zeroed, a b-tree made). */
#define MSGS_OF_ID(x) \
	RIDS_OF_ID(x) " AS r CROSS JOIN msgs m ON m.rid = r.rid"

/* One message with its delivery facts. From store_msg_get() body is owned
 * by the row (msg_row_clear frees it). In store_out_fetch/store_msg_list
 * callbacks body is NULL and m.body points into SQLite's memory, valid only
 * during the call. m.body is never NULL, even for an empty body. */
struct msg_row {
	struct msg	 m;		/* m.body points at body below */
	char		 id[ID_HEX_LEN + 1];
	int		 dir;
	char		 peer[PARTY_MAX + 1];
	int		 state;
	uint64_t	 accepted;	/* out: local UTC ms of acceptance */
	uint64_t	 sent;		/* out: first handed to a link, 0 if not */
	uint64_t	 received;	/* in: our time; out: receiver's time (receipt), 0 if not */
	char		 receipt_id[ID_HEX_LEN + 1];	/* receipt covering it, "" if none */
	char		 ack_id[ID_HEX_LEN + 1];	/* "" if not acknowledged */
	uint64_t	 acked;		/* created time of the ack message */
	uint64_t	 rid;		/* row id: paging cursor for msg_filter.before_rid */
	uint8_t		*body;
};
void	msg_row_clear(struct msg_row *r);	/* frees body */

struct receipt_row {
	struct receipt	 r;
	int		 dir;		/* DIR_IN: received from peer; DIR_OUT: issued */
	char		 peer[PARTY_MAX + 1];
	uint64_t	 stored;	/* local UTC ms */
};

struct msg_filter {
	int		 channel;	/* 0 = any */
	const char	*peer;		/* NULL = any */
	int		 dir;		/* -1 = any */
	int		 state;		/* -1 = any */
	uint64_t	 since;		/* created >= since (UTC ms), 0 = any */
	uint64_t	 before_rid;	/* paging: rows older than this, 0 = newest */
	/* a feed: rows newer than after_rid (0: all), oldest first */
	bool		 after;
	uint64_t	 after_rid;
	int		 limit;		/* 1..1000 */
};

struct store	*store_open(const char *path, char *err, size_t errlen);
void		 store_free(struct store *st);	/* NULL is a no-op */
/*
 * The daemon's, at start: zero-fill the WAL file to the size it reaches
 * between two checkpoints (STORE_WAL_PREFILL frames; walbuf_prefill()),
 * so that no commit makes it longer. 0, or -1 with a message in err.
 */
int		 store_wal_prefill(struct store *st, char *err, size_t errlen);
struct event_base;
/* The daemon's WAL checkpoints on a background thread with its own
 * connection. 0, or -1 (logged; checkpoints stay automatic, in commits). */
int		 store_checkpoint_thread(struct store *st,
		    struct event_base *base);
/*
 * The checkpoint's hold. Under steady writing the thread's passes never
 * find the WAL wholly copied, and SQLite starts the WAL over only when a
 * write begins with every frame copied. So when the passes leave frames,
 * bulk writers hold off while the thread makes a last pass: store_held()
 * is true then, and callers with bulk work (link read batches of routine
 * or priority traffic, API batches not yet begun) leave it for a moment
 * later. Urgent work goes on: it never waits for the hold, it only keeps
 * that pass from copying everything (the next checkpoint tries again).
 * The hold waits up to 200 ms for an open long transaction to end, then
 * lasts up to 50 ms (store_set_hold_max) before it gives up by itself.
 */
bool		 store_held(struct store *st);
/* The last hold did not end with the WAL started over: callers that cut
 * their waits short for latency (link.c) should hold off fully this time. */
bool		 store_hold_firm(const struct store *st);
struct store_ck_stats {
	uint64_t	 cycles;	/* checkpoints handed to the thread */
	uint64_t	 holds;		/* holds begun */
	uint64_t	 copied;	/* last passes that copied the whole WAL */
	uint64_t	 gave_up;	/* holds that ran out of time */
	uint64_t	 hold_sum_us;	/* time held, in all */
	uint64_t	 hold_max_us;	/* the longest hold */
	int		 wal_peak;	/* most frames in the WAL after a commit */
	bool		 busy;		/* a checkpoint is queued or running */
};
void		 store_ck_stats(const struct store *st,
		    struct store_ck_stats *s);
/* For tests: the hold's bounds (both) in us; the last pass waits while
 * paused. */
void		 store_set_hold_max(struct store *st, uint64_t us);
void		 store_ck_pause(struct store *st, bool pause);
int		 store_begin(struct store *st);
int		 store_commit(struct store *st);
void		 store_rollback(struct store *st);
/*
 * A read transaction around several reads, so that they share one WAL
 * read lock (each statement outside a transaction takes and drops its
 * own: four fcntl calls). true if it began one, to be ended with
 * store_read_end() before anything begins a write; false if a transaction
 * was open already (its reads are inside it) or BEGIN failed (the reads
 * then run each on its own, as without it).
 */
bool		 store_read_begin(struct store *st);
void		 store_read_end(struct store *st);

/*
 * Lazy commits (store.c): store_begin_lazy() begins a transaction whose
 * commit returns before the WAL is synced; nothing of it may be
 * acknowledged to anyone until store_sync_submit()'s done(arg, true) (the
 * WAL synced on the sync thread; false: not synced, or shutting down) or
 * store_sync() (inline) returned 0. A full commit syncs every lazy one
 * before it too. Without store_sync_thread() everything is full.
 */
int		 store_sync_thread(struct store *st, struct event_base *base);
int		 store_begin_lazy(struct store *st);
/* The same for light traffic (a few receipts): its commits do not count
 * as bulk for the checkpoint mark (STORE_WAL_CHECKPOINT_BULK above). */
int		 store_begin_lazy_light(struct store *st);
typedef void (*store_sync_fn)(void *arg, bool ok);
int		 store_sync_submit(struct store *st, store_sync_fn done,
		    void *arg);
int		 store_sync(struct store *st);
bool		 store_lazy_pending(const struct store *st);

/*
 * A transaction kept open across event-loop turns by one owner (the API's
 * batches: deliver_batch_*), so that storing many rows does not hold the
 * loop in one go. store_long_begin() begins it; the owner stores a part in
 * each turn, between store_long_resume() and store_long_pause(), and ends
 * it with store_long_end() followed by its own commit or rollback. It is
 * begun lazily (store_begin_lazy): its owner syncs before answering.
 *
 * Whoever else begins a transaction meanwhile (store_begin) first has the
 * owner resolve its transaction: resolve(arg, preempt). preempt true: roll
 * it back (the owner starts over later; nothing of it was durable) so the
 * newcomer goes first; false: store the rest and commit now. preempt is
 * true only if the newcomer is urgent (store_set_urgent) and nothing but
 * the owner changed rows in the open transaction (a write outside any
 * transaction would have joined it). Rows of an open long transaction are
 * visible to reads on this connection before the commit.
 */
typedef void (*store_long_fn)(void *arg, bool preempt);
int		 store_long_begin(struct store *st, store_long_fn resolve,
		    void *arg);
void		 store_long_resume(struct store *st);
void		 store_long_pause(struct store *st);
void		 store_long_end(struct store *st);
bool		 store_long_open(const struct store *st);
/* A transaction is open on the store's connection. */
bool		 store_in_transaction(const struct store *st);
/* Still open (not ended by anyone else) and changed only by its owner. */
bool		 store_long_intact(const struct store *st);
/* Have the owner finish (or, if urgent, roll back) its transaction now. */
void		 store_long_resolve(struct store *st, bool urgent);
/* The next store_begin() is for urgent work (FLASH/IMMEDIATE traffic). */
void		 store_set_urgent(struct store *st, bool urgent);

/* Called for every stream at start-up: its highest seq (out: assigned; in:
 * held, always contiguous) and, for out streams, the highest receipted seq
 * (0 if none). Returns 0 or -1. */
typedef void (*store_stream_cb)(void *arg, const char *peer, int dir, int ch,
    int prec, uint64_t maxseq, uint64_t delivered);
int	store_streams_load(struct store *st, store_stream_cb cb, void *arg);

/* Write path (inside a transaction). m must be signed (id set).
 * store_msg_insert: 0, -2 if the row violates a constraint (duplicate id,
 * duplicate stream position (dir, peer, channel, prec, seq), seq 0, or a
 * number beyond INT64_MAX): a protocol error for the caller, the
 * transaction is still usable; -1 on a database failure. local_ms is
 * `accepted` for DIR_OUT and `received` for DIR_IN; op is the operator
 * (account name) who sent it, or NULL or "" for none.
 * mark_sent / mark_delivered touch only out rows of that stream with seq in
 * [lo, hi] whose sent / received is still unset: 0 or -1.
 * store_receipt_insert: a receipt already stored (same id) is not an error. */
int	store_msg_insert(struct store *st, const struct msg *m, int dir,
	    const char *peer, uint64_t local_ms, const char *op);
int	store_out_mark_sent(struct store *st, const char *peer, int ch, int prec,
	    uint64_t lo, uint64_t hi, uint64_t t);
int	store_out_mark_delivered(struct store *st, const char *peer, int ch,
	    int prec, uint64_t lo, uint64_t hi, uint64_t t, const char *receipt_id);
int	store_receipt_insert(struct store *st, const struct receipt *r, int dir,
	    const char *peer, uint64_t stored);
/* Record that ack message ack (already inserted) acknowledges ack->ref:
 * 0 marked, 1 nothing matched (unknown or already acknowledged message:
 * the caller may log it), -1 error (also if ack has no ref). */
int	store_msg_mark_acked(struct store *st, const struct msg *ack);
int	store_event(struct store *st, const char *peer, const char *kind,
	    const char *detail);

/* Outbound messages of one stream with seq >= from, in seq order, at most
 * maxn of them; cb gets each (row is only valid during the call) and may
 * return -1 to stop. Returns the number delivered to cb or -1. */
typedef int (*store_row_cb)(void *arg, const struct msg_row *row);
int	store_out_fetch(struct store *st, const char *peer, int ch, int prec,
	    uint64_t from, int maxn, store_row_cb cb, void *arg);
/* The id of a message of a stream at seq: 0, 1 if none, -1 on error. */
int	store_msg_id_at(struct store *st, int dir, const char *peer, int ch,
	    int prec, uint64_t seq, char id[ID_HEX_LEN + 1]);

/* Read side (outside transactions is fine). */
/* Resolve a hex id or unique prefix (4..64 hex digits, any case): 0 found
 * (id filled), 1 not found (also for a prefix that is not 4..64 hex
 * digits), 2 ambiguous (id holds one of the matches), -1 error. */
int	store_msg_resolve(struct store *st, const char *prefix,
	    char id[ID_HEX_LEN + 1]);
/* 0 found (row filled; msg_row_clear it), 1 not found, -1 error. */
int	store_msg_get(struct store *st, const char *id, struct msg_row *row);
/* Messages matching f, newest (highest rid) first, limit clamped to
 * 1..1000. Returns the number handed to cb (which may return -1 to stop)
 * or -1 (also for a dir or state out of range). */
int	store_msg_list(struct store *st, const struct msg_filter *f,
	    store_row_cb cb, void *arg);
/* Receipts covering a message (out: received; in: issued), oldest first,
 * at most RECEIPTS_FOR_MAX: those of its stream with seq >= its seq; for an
 * out message the first is the one that proved delivery. Count handed to
 * cb, or -1. */
#define RECEIPTS_FOR_MAX	4
typedef int (*store_receipt_cb)(void *arg, const struct receipt_row *row);
int	store_receipts_for(struct store *st, const struct msg_row *row,
	    store_receipt_cb cb, void *arg);
/*
 * For the modules that keep their own tables in this database (tlog.c,
 * witness.c): the handle, and one hook told the outcome of every
 * transaction ended through store_commit() (true) or store_rollback()
 * (false), so in-memory state can follow what became durable.
 */
struct sqlite3;
struct sqlite3	*store_db(struct store *st);
/* sql (a string with static storage: the pointer is the key) prepared on
 * its first use and kept until store_free(), for such a module's statement
 * that runs often; the caller resets it after use (sqlite3_reset,
 * sqlite3_clear_bindings), never finalizes it. NULL on error (logged). */
struct sqlite3_stmt;
struct sqlite3_stmt *store_stmt_kept(struct store *st, const char *sql);
typedef void (*store_tx_hook)(void *arg, bool committed);
void	store_set_tx_hook(struct store *st, store_tx_hook fn, void *arg);

/* Counts of out messages to peer not yet delivered. 0 or -1. */
int	store_out_pending(struct store *st, const char *peer, uint64_t *count);

/*
 * Operator accounts (account.c decides what they mean). name is
 * [a-z0-9._-]{1,64}; hash is an argon2id encoded string.
 */
#define ACCOUNT_NAME_MAX	64
#define ACCOUNT_HASH_MAX	255
struct account_row {
	char		 name[ACCOUNT_NAME_MAX + 1];
	char		 hash[ACCOUNT_HASH_MAX + 1];
	int		 role;		/* enum api_role */
	bool		 disabled;
	uint64_t	 created, changed;	/* UTC ms */
};
/* 0 added, 1 the name exists, -1 error. */
int	store_account_add(struct store *st, const char *name, const char *hash,
	    int role, uint64_t now);
/* 0 found, 1 none, -1 error. */
int	store_account_get(struct store *st, const char *name,
	    struct account_row *a);
typedef int (*store_account_cb)(void *arg, const struct account_row *a);
/* Every account by name; the count handed to cb, or -1. */
int	store_account_list(struct store *st, store_account_cb cb, void *arg);
/* Set the hash (unless NULL) and disabled (unless -1): 0, 1 none, -1. */
int	store_account_update(struct store *st, const char *name,
	    const char *hash, int disabled, uint64_t now);
/* The operator of message id into out ("" if none): 0, 1 no message, -1. */
int	store_msg_operator(struct store *st, const char *id, char *out,
	    size_t outsz);
/* Message counts by channel, direction and state (enum msg_state) for
 * /metrics: cb gets each group. Groups, or -1. */
typedef void (*store_count_cb)(void *arg, int channel, int dir, int state,
    uint64_t count);
int	store_msg_counts(struct store *st, store_count_cb cb, void *arg);
/* Received, unacknowledged messages of channel ch and precedence prec
 * received before `before` (UTC ms). 0 or -1. */
int	store_unacked_before(struct store *st, int ch, int prec,
	    uint64_t before, uint64_t *count);
/* The database's size in bytes (pages in use). 0 or -1. */
int	store_size(struct store *st, uint64_t *bytes);

/* The newest limit link events (kind "link-up"/"link-down", detail) of
 * peer, newest first. Count handed to cb, or -1. */
typedef int (*store_event_cb)(void *arg, uint64_t time, const char *kind,
    const char *detail);
int	store_events_recent(struct store *st, const char *peer, int limit,
	    store_event_cb cb, void *arg);

/* The transparency log's checkpoints (tables of witness.c), for the
 * console and /metrics. store_tlog_covering: the checkpoint that proves
 * leaf idx (the smallest cosigned one holding it, else the smallest one):
 * 0 with its size, UTC ms time and the cosigning peers (space-separated,
 * "" if none), 1 if no checkpoint holds it yet, -1. store_tlog_latest: the
 * latest checkpoint's size and time and the latest cosigned one's time
 * (0 when there is none). 0 or -1. */
int	store_tlog_covering(struct store *st, uint64_t idx, uint64_t *size,
	    uint64_t *time, char *peers, size_t peersz);
int	store_tlog_latest(struct store *st, uint64_t *size, uint64_t *time,
	    uint64_t *cosigned_time);

#endif
