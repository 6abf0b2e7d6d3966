/*
 * deliver.h: streams, resume points, receipts and the urgent-first
 * scheduler. Messages are committed before they are acknowledged to anyone:
 * deliver_submit() returns an id only after the commit; inbound messages are
 * committed (one transaction per read batch) before their receipts are sent.
 */
#ifndef HOTLINE_DELIVER_H
#define HOTLINE_DELIVER_H

#include <stdint.h>

#include "hotlined.h"
#include "msg.h"
#include "store.h"
#include "wire.h"

/* Load stream state from the store into every peer. 0 or -1. */
int	deliver_init(struct hotlined *d);

/* A request to send: the caller fills to, channel, kind, prec, exercise,
 * has_ref/ref, body/body_len. from, seq, created, sig and id are set here.
 * On success returns 0 with the id in id_out. On a client error returns -1
 * with an HTTP status (400, 404, 409, 413) and a message in *errmsg; 500 on
 * an internal failure. */
int	deliver_submit(struct hotlined *d, struct msg *m, char id_out[ID_HEX_LEN + 1],
	    int *status, const char **errmsg);
/* The same for n requests in one transaction, all or none: ids[i] gets
 * the id of ms[i]; on failure *bad is the offending index (-1: store). */
int	deliver_submit_many(struct hotlined *d, struct msg *ms, int n,
	    char (*ids)[ID_HEX_LEN + 1], int *bad, int *status,
	    const char **errmsg);
/* The same, with hook called inside the transaction after the messages
 * are inserted (their ids set) and before the commit; a -1 from it rolls
 * everything back (503). */
typedef int (*deliver_tx_hook)(void *arg, const struct msg *ms, int n);
int	deliver_submit_many_hook(struct hotlined *d, struct msg *ms, int n,
	    char (*ids)[ID_HEX_LEN + 1], int *bad, int *status,
	    const char **errmsg, deliver_tx_hook hook, void *hook_arg);
/* Acknowledge inbound message id (full hex) with a kind=ack message on the
 * same channel and precedence, body {"note": note} (note may be NULL). */
int	deliver_ack(struct hotlined *d, const char *id, const char *note,
	    char ack_id_out[ID_HEX_LEN + 1], int *status, const char **errmsg);

/* The same, recording op (the account of the operator who sent or
 * acknowledged; NULL or "" for the local socket) with each message in the
 * same transaction (issue 8). */
int	deliver_submit_as(struct hotlined *d, struct msg *m, const char *op,
	    char id_out[ID_HEX_LEN + 1], int *status, const char **errmsg);
int	deliver_submit_many_as(struct hotlined *d, struct msg *ms, int n,
	    const char *op, char (*ids)[ID_HEX_LEN + 1], int *bad, int *status,
	    const char **errmsg);
/* Both: op recorded and hook run, in the one transaction. */
int	deliver_submit_many_ex(struct hotlined *d, struct msg *ms, int n,
	    const char *op, char (*ids)[ID_HEX_LEN + 1], int *bad, int *status,
	    const char **errmsg, deliver_tx_hook hook, void *hook_arg);
int	deliver_ack_as(struct hotlined *d, const char *id, const char *note,
	    const char *op, char ack_id_out[ID_HEX_LEN + 1], int *status,
	    const char **errmsg);

/*
 * The same for an API batch, stored over several event-loop turns so that
 * no turn holds the loop long (store.h: the long transaction): route,
 * sequence and sign at once (deliver_batch_new: NULL with *bad, *status
 * and *errmsg on a refusal; any other batch in progress is finished
 * first), then deliver_batch_step() stores up to max more messages per
 * turn (1: all stored, 0: more to do, -1: the store failed, rolled back),
 * then deliver_batch_commit() (also stores what is left; 0, or -1 with
 * *status and *errmsg: nothing accepted). Until then the batch's seqs are
 * taken: other work that begins a transaction, or submits, has
 * resolve(arg, preempt) called first (store.h). preempt (urgent work in
 * other streams): call deliver_batch_rollback() and step again later,
 * from the start; else deliver_batch_commit() now. deliver_batch_free()
 * rolls back what is not committed. ms[] must stay valid until then.
 */
struct deliver_batch;
struct deliver_batch *deliver_batch_new(struct hotlined *d, struct msg *ms,
	    int n, const char *op, store_long_fn resolve, void *arg, int *bad,
	    int *status, const char **errmsg);
int	deliver_batch_step(struct deliver_batch *b, int max);
/* Its transaction is open (begun by a step, not yet ended). */
bool	deliver_batch_open(const struct deliver_batch *b);
/*
 * Urgent traffic of ours in flight: a FLASH or IMMEDIATE message accepted
 * and not yet receipted by a peer whose link is up. Bulk work yields to it
 * (API batches of bulk messages do not store while it is true,
 * deliver_batch_yields; the pump sends no
 * ROUTINE or PRIORITY frames), so that its receipt finds the loop, the
 * store, the link and the CPU free; for at most
 * DELIVER_URGENT_YIELD_US from when it began, so that a peer that does not
 * answer cannot stop bulk traffic.
 */
#ifndef DELIVER_URGENT_YIELD_US
#define DELIVER_URGENT_YIELD_US	50000
#endif
bool	deliver_urgent_in_flight(struct hotlined *d);
/* An API batch of ROUTINE/PRIORITY messages only, while urgent traffic is
 * in flight: it does not store its next turn. */
bool	deliver_batch_yields(struct deliver_batch *b);
void	deliver_stop(struct hotlined *d);
int	deliver_batch_commit(struct deliver_batch *b,
	    char (*ids)[ID_HEX_LEN + 1], int *status, const char **errmsg);
/* The same commit without waiting for the WAL's sync on the loop: -1
 * failed (nothing accepted); 1 durable now (ids set); 0 committed, and
 * durable(arg, ok) follows once the WAL is synced (ok false: the sync
 * failed; the batch stays committed but may not be durable), or earlier,
 * inline, if other work needs the batch's streams meanwhile. Until then
 * its streams do not advance: nothing of it is sent or answered. */
typedef void (*deliver_batch_fn)(void *arg, bool ok);
int	deliver_batch_commit_lazy(struct deliver_batch *b,
	    char (*ids)[ID_HEX_LEN + 1], int *status, const char **errmsg,
	    deliver_batch_fn durable, void *arg);
void	deliver_batch_rollback(struct deliver_batch *b);
void	deliver_batch_free(struct deliver_batch *b);

/* Store the "sent" times not yet written (they normally ride along with
 * the next commit). 0 or -1. */
int	deliver_flush_sent(struct peer *p);

/* Called by link.c. */
/* Fill the HELLO's resume points for peer p. */
void	deliver_hello_fill(struct peer *p, struct hello *h);
/* The peer's HELLO arrived on the live link l: set send cursors, send fresh
 * receipts for every stream we hold, start transmitting. 0 or -1 (close). */
int	deliver_link_up(struct peer *p, struct link *l, const struct hello *h);
/* The link can take more: queue frames in priority order. */
void	deliver_pump(struct peer *p, struct link *l);
/* A batch of MSG and RECEIPT frames read in one loop iteration. Frames are
 * handled in order; valid ones are committed in one transaction, then
 * receipts are sent. Returns 0, or -1 if a frame was bad (why set): frames
 * before it are committed, nothing of it is stored, the link must close. */
struct frame_ref {
	uint8_t		 type;
	const uint8_t	*p;
	uint32_t	 len;
};
int	deliver_frames(struct peer *p, struct link *l, const struct frame_ref *f,
	    int n, char *why, size_t whylen);
/*
 * A read batch of n RECEIPT frames only, while API clients wait for states
 * (api_waiting): check and verify them and answer the clients whose
 * messages they cover (deliver.c, "Answering before the record"). Returns
 * how many were answered; if any, the caller must hand the same frames to
 * deliver_frames() in a later loop turn, which then does not check them
 * again. 0: nothing answered (or a frame is bad); apply them now.
 */
int	deliver_receipts_early(struct peer *p, const struct frame_ref *f,
	    int n);
/* A FLASH or IMMEDIATE message, or a receipt for such a stream (from the
 * frame's leading fields; false if they cannot be read). */
bool	deliver_frame_urgent(const struct frame_ref *f);

/*
 * Whether deliver_frames() commits a read batch of n frames, nurgent of
 * them FLASH/IMMEDIATE, that holds messages lazily as bulk (store.h): only
 * bulk, never urgent frames. A batch of receipts only is always committed
 * lazily and never as bulk (deliver_frames).
 */
#ifndef DELIVER_LAZY_MIN
#define DELIVER_LAZY_MIN 4	/* frames, or our messages in flight */
#endif
bool	deliver_frames_lazy(const struct peer *p, int n, int nurgent);

/*
 * A receipt of a lazy commit, now synced: kept as p's latest for its
 * stream (unless one with a higher seq is) and sent with the others by
 * deliver_receipts_flush() at the end of the loop turn (at once if there is
 * no event base).
 */
void	deliver_receipt_due(struct peer *p, const struct receipt *r);
/* Send p's due receipts on its link (none if it has none) and forget them;
 * returns how many were sent. */
int	deliver_receipts_flush(struct peer *p);

#endif
