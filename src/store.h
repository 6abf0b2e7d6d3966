/*
 * store.h: the node's SQLite database (WAL, synchronous=FULL), its schema
 * and migrations, and every statement the daemon runs. Nothing else touches
 * SQL, so a PostgreSQL back end can later sit behind the same interface.
 *
 * Ids are stored and passed as 64 lowercase hex characters.
 * Write functions must be called inside store_begin()/store_commit().
 */
#ifndef HOTLINE_STORE_H
#define HOTLINE_STORE_H

#include <stdbool.h>
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

/* One message with its delivery facts. body is owned by the row. */
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
	int		 limit;		/* 1..1000 */
};

struct store	*store_open(const char *path, char *err, size_t errlen);
void		 store_free(struct store *st);	/* NULL is a no-op */
int		 store_begin(struct store *st);
int		 store_commit(struct store *st);
void		 store_rollback(struct store *st);

/* Called for every stream at start-up: its highest seq (out: assigned; in:
 * held, always contiguous) and, for out streams, the highest receipted seq. */
typedef void (*store_stream_cb)(void *arg, const char *peer, int dir, int ch,
    int prec, uint64_t maxseq, uint64_t delivered);
int	store_streams_load(struct store *st, store_stream_cb cb, void *arg);

/* Write path (inside a transaction). m must be signed (id set). */
int	store_msg_insert(struct store *st, const struct msg *m, int dir,
	    const char *peer, uint64_t local_ms);
int	store_out_mark_sent(struct store *st, const char *peer, int ch, int prec,
	    uint64_t lo, uint64_t hi, uint64_t t);
int	store_out_mark_delivered(struct store *st, const char *peer, int ch,
	    int prec, uint64_t lo, uint64_t hi, uint64_t t, const char *receipt_id);
int	store_receipt_insert(struct store *st, const struct receipt *r, int dir,
	    const char *peer, uint64_t stored);
/* Record that ack message ack (already inserted) acknowledges ack->ref. */
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
/* Resolve a hex id or unique prefix (>= 4 chars): 0 found, 1 not found,
 * 2 ambiguous, -1 error. */
int	store_msg_resolve(struct store *st, const char *prefix,
	    char id[ID_HEX_LEN + 1]);
/* 0 found (row filled; msg_row_clear it), 1 not found, -1 error. */
int	store_msg_get(struct store *st, const char *id, struct msg_row *row);
int	store_msg_list(struct store *st, const struct msg_filter *f,
	    store_row_cb cb, void *arg);
/* Receipts covering a message (out: received; in: issued), oldest first. */
typedef int (*store_receipt_cb)(void *arg, const struct receipt_row *row);
int	store_receipts_for(struct store *st, const struct msg_row *row,
	    store_receipt_cb cb, void *arg);
/* Counts of out messages to peer not yet delivered. */
int	store_out_pending(struct store *st, const char *peer, uint64_t *count);

#endif
