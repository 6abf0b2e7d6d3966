/*
 * deliver.c: streams, resume points, receipts and the urgent-first
 * scheduler.
 *
 * A stream is (from, to, channel, precedence); its seq runs 1, 2, 3...
 * with no gaps. Keeping precedence in the stream key lets the scheduler send
 * a FLASH notification before ROUTINE traffic of the same channel without
 * renumbering anything: seq and signature are fixed when the message is
 * accepted, so the API can return the final id at once.
 *
 * Commit before ack, both ways: deliver_submit() returns an id only after
 * the message is committed; deliver_frames() commits a whole read batch in
 * one transaction, with the receipts it will send, before sending them.
 * In-memory stream state is updated only after a commit succeeds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "api.h"
#include "cert.h"
#include "deliver.h"
#include "link.h"
#include "log.h"
#include "nrrc.h"
#include "signer.h"
#include "store.h"
#include "tlog.h"
#include "trace.h"
#include "util.h"

#define PUMP_FETCH_MAX	64	/* rows per store fetch while pumping */

static void	pump_all(struct hotlined *d);

static void
load_stream(void *arg, const char *party, int dir, int ch, int prec,
    uint64_t maxseq, uint64_t delivered)
{
	struct hotlined *d = arg;
	struct peer *p;

	if ((p = hotlined_peer_find(d, party)) == NULL || ch < CH_MIN ||
	    ch > CH_MAX || prec < PREC_MIN || prec > PREC_MAX) {
		log_debug("store has a stream with unconfigured peer %s", party);
		return;
	}
	if (dir == DIR_OUT) {
		p->s.out_last[ch][prec] = maxseq;
		p->s.out_delivered[ch][prec] = delivered;
	} else
		p->s.in_held[ch][prec] = maxseq;
}

int
deliver_init(struct hotlined *d)
{
	return store_streams_load(d->st, load_stream, d);
}

/* Store the pending "sent" times (inside the caller's transaction). */
static int
flush_sent(struct peer *p)
{
	int ch, prec;

	for (ch = CH_MIN; ch <= CH_MAX; ch++)
		for (prec = PREC_MIN; prec <= PREC_MAX; prec++) {
			if (p->s.sent_lo[ch][prec] == 0)
				continue;
			if (store_out_mark_sent(p->d->st, p->conf->party, ch,
			    prec, p->s.sent_lo[ch][prec], p->s.sent_hi[ch][prec],
			    p->s.sent_time[ch][prec]) == -1)
				return -1;
		}
	return 0;
}

static void
clear_sent(struct peer *p)
{
	memset(p->s.sent_lo, 0, sizeof(p->s.sent_lo));
	memset(p->s.sent_hi, 0, sizeof(p->s.sent_hi));
}

/*
 * Store pending "sent" times in a transaction of their own, for when no
 * other commit is coming soon (heartbeat, link loss). 0 or -1.
 */
int
deliver_flush_sent(struct peer *p)
{
	int ch, prec, any = 0;

	for (ch = CH_MIN; ch <= CH_MAX; ch++)
		for (prec = PREC_MIN; prec <= PREC_MAX; prec++)
			any |= p->s.sent_lo[ch][prec] != 0;
	if (!any)
		return 0;
	if (store_begin(p->d->st) == -1)
		return -1;
	if (flush_sent(p) == -1) {
		store_rollback(p->d->st);
		return -1;
	}
	if (store_commit(p->d->st) == -1)
		return -1;
	clear_sent(p);
	return 0;
}

/*
 * Check a request to send and make it a message ready to sign: from,
 * created and the next seq of its stream (after *last, the stream's highest
 * seq so far, which is advanced) are set here. Returns 0, or -1 with an
 * HTTP status and a message. Signing is done per batch (sign_batches).
 */
static int
submit_prepare(struct hotlined *d, struct peer *p, struct msg *m,
    uint64_t *last, int *status, const char **errmsg)
{
	const char *why = NULL;

	m->version = MSG_VERSION;
	snprintf(m->from, sizeof(m->from), "%s", d->cf.party);
	m->created = now_utc_ms();
	m->seq = *last + 1;
	if (msg_check(m, &why) == -1) {
		*status = 400;
		*errmsg = why;
		return -1;
	}
	if (m->body_len > d->cf.max_body) {
		*status = 413;
		*errmsg = "message body exceeds max_body";
		return -1;
	}
	m->body_valid = true;	/* checked: msg_sign_batch need not parse */
	(*last)++;
	return 0;
}

/*
 * Sign the n prepared messages ms[] (to peers ps[]): the messages to each
 * peer together, under one batch signature per MSG_BATCH_MAX of them (a
 * lone message gets a plain signature). Batches never mix peers, so a
 * message's path reveals nothing about traffic to anyone else. 0 or -1.
 */
static int
sign_batches(struct hotlined *d, struct msg *ms, struct peer **ps, int n)
{
	struct msg **grp;
	int i, j, k, rc = 0;

	grp = xcalloc((size_t)n, sizeof(*grp));
	for (j = 0; j < d->npeers && rc == 0; j++) {
		for (i = 0, k = 0; i < n && rc == 0; i++) {
			if (ps[i] != &d->peers[j])
				continue;
			grp[k++] = &ms[i];
			if (k == MSG_BATCH_MAX) {
				rc = msg_sign_batch(grp, k, d->signer);
				k = 0;
			}
		}
		if (k > 0 && rc == 0)
			rc = msg_sign_batch(grp, k, d->signer);
	}
	free(grp);
	return rc;
}

/*
 * Append the leaf of a message or receipt to the transparency log, in the
 * transaction that stores it (tlog.c). No log (unit tests): nothing.
 */
static int
log_leaf(struct hotlined *d, int type, const uint8_t id[MSG_ID_LEN], int dir,
    const char *peer, uint64_t t)
{
	if (d->tlog == NULL)
		return 0;
	if (type == LEAF_MSG)
		return tlog_append_msg(d->tlog, id, dir, peer, t);
	return tlog_append_receipt(d->tlog, id, dir, peer, t);
}

/* Insert a prepared message (inside a transaction); an ack also marks the
 * message it acknowledges. 0 or -1. */
static int
submit_store(struct hotlined *d, struct peer *p, const struct msg *m,
    const char *op)
{
	if (store_msg_insert(d->st, m, DIR_OUT, p->conf->party,
	    m->created, op) != 0 || log_leaf(d, LEAF_MSG, m->id, DIR_OUT,
	    p->conf->party, m->created) == -1)
		return -1;
	if (strcmp(m->kind, "ack") == 0 && m->has_ref &&
	    store_msg_mark_acked(d->st, m) == -1)
		return -1;
	return 0;
}

/*
 * Check the routing fields of a request and, for kind=ack, that its ref is
 * an unacknowledged message from that peer. Returns the peer, or NULL with
 * an HTTP status and a message.
 */
static struct peer *
submit_route(struct hotlined *d, const struct msg *m, int *status,
    const char **errmsg)
{
	struct peer *p;
	struct msg_row row;
	char refhex[ID_HEX_LEN + 1];
	int rc;

	if (!party_id_valid(m->to) || (p = hotlined_peer_find(d, m->to)) ==
	    NULL) {
		*status = 400;
		*errmsg = "unknown peer in \"to\"";
		return NULL;
	}
	if (m->channel < CH_MIN || m->channel > CH_MAX || m->prec < PREC_MIN ||
	    m->prec > PREC_MAX) {
		*status = 400;
		*errmsg = "bad channel or precedence";
		return NULL;
	}
	if (strcmp(m->kind, "ack") != 0)
		return p;
	if (!m->has_ref) {
		*status = 400;
		*errmsg = "an ack needs a ref";
		return NULL;
	}
	hex_encode(m->ref, MSG_ID_LEN, refhex);
	if ((rc = store_msg_get(d->st, refhex, &row)) != 0) {
		*status = rc == 1 ? 404 : 503;
		*errmsg = rc == 1 ? "ref: no such message" :
		    "the message store failed";
		return NULL;
	}
	rc = row.dir != DIR_IN || strcmp(row.peer, p->conf->party) != 0 ||
	    row.ack_id[0] != '\0' || strcmp(row.m.kind, "ack") == 0;
	msg_row_clear(&row);
	if (rc) {
		*status = 409;
		*errmsg = "ref is not an unacknowledged message from that peer";
		return NULL;
	}
	return p;
}

/*
 * Accept n messages in one transaction: all or none. ids[i] receives the
 * id of ms[i]. On failure *bad is the index of the offending request (-1
 * if the store failed). After the commit, the peers' links are pumped.
 */
int
deliver_submit_many(struct hotlined *d, struct msg *ms, int n,
    char (*ids)[ID_HEX_LEN + 1], int *bad, int *status, const char **errmsg)
{
	return deliver_submit_many_ex(d, ms, n, NULL, ids, bad, status,
	    errmsg, NULL, NULL);
}

int
deliver_submit_many_hook(struct hotlined *d, struct msg *ms, int n,
    char (*ids)[ID_HEX_LEN + 1], int *bad, int *status, const char **errmsg,
    deliver_tx_hook hook, void *hook_arg)
{
	return deliver_submit_many_ex(d, ms, n, NULL, ids, bad, status,
	    errmsg, hook, hook_arg);
}

int
deliver_submit_many_as(struct hotlined *d, struct msg *ms, int n,
    const char *op, char (*ids)[ID_HEX_LEN + 1], int *bad, int *status,
    const char **errmsg)
{
	return deliver_submit_many_ex(d, ms, n, op, ids, bad, status, errmsg,
	    NULL, NULL);
}

/*
 * n submissions being accepted, all or none: routed, sequenced and signed
 * at once (batch_new), stored in one transaction (batch_store; the API's
 * batches spread that over loop turns, deliver_batch_step), committed
 * (batch_commit). The streams' out_last advance only after the commit.
 */
struct deliver_batch {
	struct hotlined	*d;
	struct msg	*ms;
	struct peer	**ps;
	const char	*op;		/* operator to record, or NULL */
	int		 n;
	int		 stored;	/* in the open transaction */
	/* An API batch (deliver_batch_new): its owner, and whether its
	 * long transaction is open (else it waits to be stored again). */
	store_long_fn	 resolve;
	void		*arg;
	bool		 open;
	bool		 urgent;	/* has FLASH/IMMEDIATE messages */
	/* Committed lazily, waiting for the WAL's sync (store.h): its seqs
	 * are still taken, the streams not advanced, nothing answered. */
	bool		 syncing;
	struct batch_sync *sync;	/* the sync job's link back to us */
	deliver_batch_fn durable;
	void		*durable_arg;
	char		(*ids)[ID_HEX_LEN + 1];
};

struct batch_sync {
	struct deliver_batch *b;	/* NULL: the batch is gone */
};

static void	batch_sync_now(struct deliver_batch *);

/*
 * Is the work of ms[n] urgent enough to go before the open long batch, if
 * any: every message FLASH or IMMEDIATE and none in a stream of the batch
 * (whose seqs are taken but not yet committed).
 */
static bool
urgent_before_batch(struct hotlined *d, const struct msg *ms, int n)
{
	const struct deliver_batch *b = d->long_batch;
	int i, k;

	for (i = 0; i < n; i++) {
		if (ms[i].prec < PREC_MIN || ms[i].prec > PREC_IMMEDIATE)
			return false;
		for (k = 0; b != NULL && k < b->n; k++)
			if (b->ms[k].channel == ms[i].channel &&
			    b->ms[k].prec == ms[i].prec &&
			    strcmp(b->ms[k].to, ms[i].to) == 0)
				return false;
	}
	return true;
}

/*
 * Before other work that takes seqs: an API batch in progress has its
 * seqs taken already, so it is stored whole and committed first, unless
 * the work is urgent and in other streams (urgent_ok): then it goes first,
 * and an open batch transaction is rolled back to be stored again later.
 */
static void
batch_settle(struct hotlined *d, bool urgent_ok)
{
	struct deliver_batch *b = d->long_batch;

	if (b == NULL)
		return;
	if (b->open)
		store_long_resolve(d->st, urgent_ok);
	else if (!urgent_ok && !b->syncing)
		b->resolve(b->arg, false);
	/* Committed lazily (now or before): its streams advance only once
	 * it is on disk, so sync it here unless this work may go first. */
	if (!urgent_ok && (b = d->long_batch) != NULL && b->syncing)
		batch_sync_now(b);
}

static void
batch_free(struct deliver_batch *b)
{
	if (b == NULL)
		return;
	free(b->ps);
	free(b);
}

/* Route, sequence (after the committed out_last) and sign ms[n]. */
static struct deliver_batch *
batch_new(struct hotlined *d, struct msg *ms, int n, const char *op,
    int *bad, int *status, const char **errmsg)
{
	struct deliver_batch *b;
	uint64_t (*last)[CH_MAX + 1][PREC_MAX + 1];
	uint64_t t0 = TRACE_NOW();
	int i, j;

	(void)t0;
	b = xcalloc(1, sizeof(*b));
	b->d = d;
	b->ms = ms;
	b->n = n;
	/* Without an explicit operator, the account of the API request
	 * being served (api_serve), if any: so what module routes submit
	 * (/v1/notify, /v1/checks) names its operator too. */
	b->op = op != NULL ? op : d->operator;
	b->ps = xcalloc((size_t)n, sizeof(*b->ps));
	/* Working copies of every peer's out_last. */
	last = xcalloc((size_t)d->npeers, sizeof(*last));
	for (j = 0; j < d->npeers; j++)
		memcpy(last[j], d->peers[j].s.out_last, sizeof(last[j]));
	for (i = 0; i < n; i++) {
		if ((b->ps[i] = submit_route(d, &ms[i], status, errmsg)) ==
		    NULL || submit_prepare(d, b->ps[i], &ms[i],
		    &last[b->ps[i] - d->peers][ms[i].channel][ms[i].prec],
		    status, errmsg) == -1) {
			*bad = i;
			goto fail;
		}
	}
	free(last);
	last = NULL;
	TRACE_SUB("sub_prep", t0);
	t0 = TRACE_NOW();
	if (sign_batches(d, ms, b->ps, n) == -1) {
		*status = 500;
		*errmsg = "signing failed";
		goto fail;
	}
	TRACE_SUB("sub_sign", t0);
	return b;
fail:
	free(last);
	batch_free(b);
	return NULL;
}

/* Store messages b->stored .. upto - 1 in the open transaction. 0 or -1. */
static int
batch_store(struct deliver_batch *b, int upto)
{
	uint64_t t0 = TRACE_NOW();

	(void)t0;
	for (; b->stored < upto; b->stored++)
		if (submit_store(b->d, b->ps[b->stored], &b->ms[b->stored],
		    b->op) == -1)
			return -1;
	TRACE_SUB("sub_store", t0);
	return 0;
}

/* Committed and durable: advance the streams; announce: set the ids,
 * tell API clients, pump. */
static void
batch_finalize(struct deliver_batch *b, bool announce)
{
	struct hotlined *d = b->d;
	char (*ids)[ID_HEX_LEN + 1] = b->ids;
	struct msg *m;
	int i;

	b->syncing = false;
	if (d->long_batch == b)
		d->long_batch = NULL;
	/* Per message, not a copy of the working out_last: other streams
	 * may have advanced meanwhile (urgent work that went first). */
	for (i = 0; i < b->n; i++) {
		m = &b->ms[i];
		if (m->seq > b->ps[i]->s.out_last[m->channel][m->prec])
			b->ps[i]->s.out_last[m->channel][m->prec] = m->seq;
		if (!announce)
			continue;
		hex_encode(m->id, MSG_ID_LEN, ids[i]);
		TRACE_FLASH("accepted", m->channel, m->prec, m->seq,
		    (uint64_t)b->n);
		log_debug("accepted %.12s %s/%s %s seq %llu to %s%s", ids[i],
		    channel_name(m->channel), m->kind, prec_name(m->prec),
		    (unsigned long long)m->seq, b->ps[i]->conf->party,
		    m->exercise ? " EXERCISE" : "");
	}
	if (!announce)
		return;
	api_changed(d);
	pump_all(d);
}

/* Everything stored: run hook, commit (lazily if the transaction was
 * begun so). 0 or -1 (rolled back, *status and *errmsg set). */
static int
batch_commit(struct deliver_batch *b, char (*ids)[ID_HEX_LEN + 1],
    int *status, const char **errmsg, deliver_tx_hook hook, void *hook_arg)
{
	struct hotlined *d = b->d;
	int j;

	b->ids = ids;
	if (hook != NULL && hook(hook_arg, b->ms, b->n) == -1)
		goto fail_rollback;
	for (j = 0; j < d->npeers; j++)
		if (flush_sent(&d->peers[j]) == -1)
			goto fail_rollback;
	if (store_commit(d->st) == -1)
		goto fail;
	b->stored = 0;
	for (j = 0; j < d->npeers; j++)
		clear_sent(&d->peers[j]);
	return 0;
fail_rollback:
	store_rollback(d->st);
fail:
	b->stored = 0;
	*status = 503;
	*errmsg = "the message store failed; nothing accepted";
	return -1;
}

/* The WAL synced after a lazy batch commit (or could not be). */
static void
batch_synced(void *arg, bool ok)
{
	struct batch_sync *bsy = arg;
	struct deliver_batch *b = bsy->b;

	free(bsy);
	if (b == NULL)
		return;		/* freed meanwhile (shutdown) */
	b->sync = NULL;
	/* Committed either way: the streams must move past its seqs. */
	batch_finalize(b, true);
	b->durable(b->durable_arg, ok);	/* may free b */
}

/* A lazily committed batch is needed durable now: sync inline. */
static void
batch_sync_now(struct deliver_batch *b)
{
	bool ok = store_sync(b->d->st) == 0;

	if (b->sync != NULL)
		b->sync->b = NULL;	/* the queued job finds nothing */
	b->sync = NULL;
	batch_finalize(b, true);
	b->durable(b->durable_arg, ok);	/* may free b */
}

/*
 * Accept n messages in one transaction: route, sequence and sign each,
 * store them (recording op, the operator, when not NULL), run hook in the
 * same transaction, commit, then pump. 0, or -1 with *status, *errmsg and
 * *bad (the index of the refused message, or -1). An API batch being
 * stored over several loop turns (deliver_batch_step) is finished first,
 * or, if these messages are urgent and in other streams, rolled back to
 * be stored again after them.
 */
int
deliver_submit_many_ex(struct hotlined *d, struct msg *ms, int n,
    const char *op, char (*ids)[ID_HEX_LEN + 1], int *bad, int *status,
    const char **errmsg, deliver_tx_hook hook, void *hook_arg)
{
	struct deliver_batch *b;
	int rc;

	*bad = -1;
	if (n <= 0)
		return 0;
	batch_settle(d, urgent_before_batch(d, ms, n));
	if ((b = batch_new(d, ms, n, op, bad, status, errmsg)) == NULL)
		return -1;
	rc = store_begin(d->st);	/* a full commit: answered at once */
	if (rc == 0 && (rc = batch_store(b, n)) == -1)
		store_rollback(d->st);
	if (rc == -1) {
		*status = 503;
		*errmsg = "the message store failed; nothing accepted";
		batch_free(b);
		return -1;
	}
	if ((rc = batch_commit(b, ids, status, errmsg, hook, hook_arg)) == 0)
		batch_finalize(b, true);
	batch_free(b);
	return rc;
}

struct deliver_batch *
deliver_batch_new(struct hotlined *d, struct msg *ms, int n, const char *op,
    store_long_fn resolve, void *arg, int *bad, int *status,
    const char **errmsg)
{
	struct deliver_batch *b;
	int i;

	*bad = -1;
	if (n <= 0) {
		*status = 400;
		*errmsg = "no messages";
		return NULL;
	}
	batch_settle(d, false);
	if ((b = batch_new(d, ms, n, op, bad, status, errmsg)) == NULL)
		return NULL;
	b->resolve = resolve;
	b->arg = arg;
	for (i = 0; i < n && !b->urgent; i++)
		b->urgent = ms[i].prec >= PREC_MIN &&
		    ms[i].prec <= PREC_IMMEDIATE;
	d->long_batch = b;	/* its seqs are taken */
	return b;
}

bool
deliver_batch_yields(struct deliver_batch *b)
{
	return !b->urgent && deliver_urgent_in_flight(b->d);
}

bool
deliver_batch_open(const struct deliver_batch *b)
{
	return b->open;
}

int
deliver_batch_step(struct deliver_batch *b, int max)
{
	struct hotlined *d = b->d;

	if (!b->open) {
		/* First part (or again after a rollback). */
		b->stored = 0;
		if (store_long_begin(d->st, b->resolve, b->arg) == -1)
			return -1;
		b->open = true;
	} else
		store_long_resume(d->st);
	if (batch_store(b, b->n - b->stored > max ? b->stored + max :
	    b->n) == -1) {
		deliver_batch_rollback(b);
		return -1;
	}
	store_long_pause(d->st);
	return b->stored == b->n;
}

/*
 * Store what of the batch is not stored yet (all of it if its long
 * transaction ended under it) and commit: 0, or -1 with *status and
 * *errmsg set (nothing of the batch is then left in the store).
 */
static int
batch_store_commit(struct deliver_batch *b, char (*ids)[ID_HEX_LEN + 1],
    int *status, const char **errmsg)
{
	struct hotlined *d = b->d;

	if (b->open) {
		store_long_end(d->st);
		b->open = false;
		if (!store_in_transaction(d->st))
			b->stored = 0;	/* ended under us: once more */
	} else
		b->stored = 0;
	if ((b->stored == 0 && store_begin(d->st) == -1) ||
	    batch_store(b, b->n) == -1) {
		if (store_in_transaction(d->st))
			store_rollback(d->st);
		b->stored = 0;
		if (d->long_batch == b)
			d->long_batch = NULL;
		*status = 503;
		*errmsg = "the message store failed; nothing accepted";
		return -1;
	}
	if (batch_commit(b, ids, status, errmsg, NULL, NULL) == -1) {
		if (d->long_batch == b)
			d->long_batch = NULL;
		return -1;
	}
	return 0;
}

int
deliver_batch_commit(struct deliver_batch *b, char (*ids)[ID_HEX_LEN + 1],
    int *status, const char **errmsg)
{
	struct hotlined *d = b->d;

	if (batch_store_commit(b, ids, status, errmsg) == -1)
		return -1;
	if (store_sync(d->st) == -1) {
		batch_finalize(b, true);	/* committed: seqs used */
		*status = 503;
		*errmsg = "the message store failed to sync";
		return -1;
	}
	batch_finalize(b, true);
	return 0;
}

int
deliver_batch_commit_lazy(struct deliver_batch *b,
    char (*ids)[ID_HEX_LEN + 1], int *status, const char **errmsg,
    deliver_batch_fn durable, void *arg)
{
	struct hotlined *d = b->d;

	if (batch_store_commit(b, ids, status, errmsg) == -1)
		return -1;
	if (!store_lazy_pending(d->st)) {
		batch_finalize(b, true);
		return 1;
	}
	/* Answered, and its streams advanced, once the WAL is synced. */
	b->syncing = true;
	b->durable = durable;
	b->durable_arg = arg;
	b->sync = xcalloc(1, sizeof(*b->sync));
	b->sync->b = b;
	(void)store_sync_submit(d->st, batch_synced, b->sync);
	return 0;
}

void
deliver_batch_rollback(struct deliver_batch *b)
{
	struct hotlined *d = b->d;

	if (b->open) {
		store_long_end(d->st);
		b->open = false;
		if (store_in_transaction(d->st))
			store_rollback(d->st);
	}
	b->stored = 0;
}

void
deliver_batch_free(struct deliver_batch *b)
{
	if (b == NULL)
		return;
	deliver_batch_rollback(b);
	if (b->sync != NULL)
		b->sync->b = NULL;	/* committed lazily: stays */
	if (b->syncing)
		batch_finalize(b, false);	/* its seqs are used */
	if (b->d->long_batch == b)
		b->d->long_batch = NULL;
	batch_free(b);
}

int
deliver_submit(struct hotlined *d, struct msg *m, char id_out[ID_HEX_LEN + 1],
    int *status, const char **errmsg)
{
	return deliver_submit_as(d, m, NULL, id_out, status, errmsg);
}

int
deliver_submit_as(struct hotlined *d, struct msg *m, const char *op,
    char id_out[ID_HEX_LEN + 1], int *status, const char **errmsg)
{
	char ids[1][ID_HEX_LEN + 1];
	int bad;

	if (deliver_submit_many_as(d, m, 1, op, ids, &bad, status,
	    errmsg) == -1)
		return -1;
	memcpy(id_out, ids[0], sizeof(ids[0]));
	return 0;
}

int
deliver_ack(struct hotlined *d, const char *id, const char *note,
    char ack_id_out[ID_HEX_LEN + 1], int *status, const char **errmsg)
{
	return deliver_ack_as(d, id, note, NULL, ack_id_out, status, errmsg);
}

int
deliver_ack_as(struct hotlined *d, const char *id, const char *note,
    const char *op, char ack_id_out[ID_HEX_LEN + 1], int *status,
    const char **errmsg)
{
	struct msg_row row;
	struct msg m;
	json_t *body = NULL;
	char *text = NULL;
	int rc;

	if ((rc = store_msg_get(d->st, id, &row)) != 0) {
		*status = rc == 1 ? 404 : 503;
		*errmsg = rc == 1 ? "no such message" : "the message store failed";
		return -1;
	}
	rc = -1;
	*status = 409;
	if (row.dir != DIR_IN) {
		*errmsg = "only messages received from a peer can be acknowledged";
		goto done;
	}
	if (strcmp(row.m.kind, "ack") == 0) {
		*errmsg = "an acknowledgment is not itself acknowledged";
		goto done;
	}
	if (row.ack_id[0] != '\0') {
		*errmsg = "already acknowledged";
		goto done;
	}
	memset(&m, 0, sizeof(m));
	snprintf(m.to, sizeof(m.to), "%s", row.peer);
	m.channel = row.m.channel;
	m.prec = row.m.prec;
	snprintf(m.kind, sizeof(m.kind), "ack");
	m.exercise = row.m.exercise;
	m.has_ref = true;
	memcpy(m.ref, row.m.id, MSG_ID_LEN);
	body = note != NULL ? json_pack("{s:s}", "note", note) : json_object();
	if (body == NULL || (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		*status = 400;
		*errmsg = "note must be valid UTF-8";
		goto done;
	}
	m.body = (const uint8_t *)text;
	m.body_len = (uint32_t)strlen(text);
	rc = deliver_submit_as(d, &m, op, ack_id_out, status, errmsg);
done:
	free(text);
	json_decref(body);
	msg_row_clear(&row);
	return rc;
}

void
deliver_hello_fill(struct peer *p, struct hello *h)
{
	int ch, prec;

	h->version = WIRE_VERSION;
	snprintf(h->party, sizeof(h->party), "%s", p->d->cf.party);
	snprintf(h->peer, sizeof(h->peer), "%s", p->conf->party);
	h->time = now_utc_ms();
	h->nresume = 0;
	for (ch = CH_MIN; ch <= CH_MAX; ch++)
		for (prec = PREC_MIN; prec <= PREC_MAX; prec++) {
			if (p->s.in_held[ch][prec] == 0)
				continue;
			h->resume[h->nresume].channel = (uint8_t)ch;
			h->resume[h->nresume].prec = (uint8_t)prec;
			h->resume[h->nresume].seq = p->s.in_held[ch][prec];
			h->nresume++;
		}
}

/* Encode and queue one signed receipt frame. */
static int
send_receipt(struct link *l, const struct receipt *r)
{
	struct buf *b = link_wbuf(l);
	size_t start;

	if (wire_begin(b, FR_RECEIPT, &start) == -1 ||
	    receipt_encode(r, b) == -1 || wire_finish(b, start) == -1)
		return -1;
	return link_send_frame(l, b->data, b->len);
}

/* Build and sign our receipt for the peer's stream (ch, prec) at seq. */
static int
make_receipt(struct peer *p, int ch, int prec, uint64_t seq,
    struct receipt *r)
{
	char idhex[ID_HEX_LEN + 1];

	memset(r, 0, sizeof(*r));
	r->version = MSG_VERSION;
	snprintf(r->from, sizeof(r->from), "%s", p->conf->party);
	snprintf(r->to, sizeof(r->to), "%s", p->d->cf.party);
	r->channel = (uint8_t)ch;
	r->prec = (uint8_t)prec;
	r->seq = seq;
	r->time = now_utc_ms();
	if (store_msg_id_at(p->d->st, DIR_IN, p->conf->party, ch, prec, seq,
	    idhex) != 0 || hex_decode(idhex, r->last_id, MSG_ID_LEN) == -1)
		return -1;
	return receipt_sign(r, p->d->signer);
}

int
deliver_link_up(struct peer *p, struct link *l, const struct hello *h)
{
	struct receipt r[CH_MAX * PREC_MAX];
	int ch, prec, i, n = 0;
	uint64_t held;

	p->nearly = 0;	/* verified on a link gone: verified again */
	/* The fresh receipts below cover everything committed, some of it
	 * maybe lazily (deliver_frames): on disk first. */
	if (store_sync(p->d->st) == -1)
		return -1;
	for (ch = CH_MIN; ch <= CH_MAX; ch++)
		for (prec = PREC_MIN; prec <= PREC_MAX; prec++)
			*link_cursor(l, ch, prec) = 1;
	for (i = 0; i < h->nresume; i++) {
		ch = h->resume[i].channel;
		prec = h->resume[i].prec;
		held = h->resume[i].seq;
		if (held > p->s.out_last[ch][prec]) {
			log_warnx("peer %s claims to hold %s/%s seq %llu but we "
			    "only ever sent %llu", p->conf->party,
			    channel_name(ch), prec_name(prec),
			    (unsigned long long)held,
			    (unsigned long long)p->s.out_last[ch][prec]);
			return -1;
		}
		*link_cursor(l, ch, prec) = held + 1;
	}
	/* Fresh signed receipts for everything we hold, so a receipt lost
	 * with a connection (or a crash) is replaced. */
	if (store_begin(p->d->st) == -1)
		return -1;
	for (ch = CH_MIN; ch <= CH_MAX; ch++)
		for (prec = PREC_MIN; prec <= PREC_MAX; prec++) {
			if (p->s.in_held[ch][prec] == 0)
				continue;
			if (make_receipt(p, ch, prec, p->s.in_held[ch][prec],
			    &r[n]) == -1 || store_receipt_insert(p->d->st, &r[n],
			    DIR_OUT, p->conf->party, r[n].time) == -1 ||
			    log_leaf(p->d, LEAF_RECEIPT, r[n].id, DIR_OUT,
			    p->conf->party, r[n].time) == -1) {
				store_rollback(p->d->st);
				return -1;
			}
			n++;
		}
	if (store_commit(p->d->st) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (send_receipt(l, &r[i]) == -1)
			return -1;
	deliver_pump(p, l);
	return 0;
}

/*
 * Frames are gathered into one buffer and written PUMP_WRITE_BYTES or a
 * little more at a time, so that TLS records are full rather than one
 * small record per evbuffer chunk: the receiver's bufferevent reads at most
 * two records per loop iteration, so record size decides how many messages
 * it commits together. Measured (20,000 x 1 KiB, fdatasyncs per daemon):
 * ~6,900 with per-frame writes (~3 messages per commit), ~1,900 with this.
 * Cutting the writes at whole frames of at most one record, or raising the
 * bufferevent's max single read to 64 KiB, both gave ~2,800.
 */
#define PUMP_WRITE_BYTES	(16 * 1024)

struct pump_ctx {
	struct peer	*p;
	struct link	*l;
	struct buf	*out;		/* frames not yet written to the link */
	int		 ch, prec;
	int		 failed;
};

/* Write the gathered frames to the link. 0 or -1 (link closing). */
static int
pump_flush(struct link *l, struct buf *out)
{
	int rc = 0;

	if (out->len > 0)
		rc = link_send_frame(l, out->data, out->len);
	buf_reset(out);
	return rc;
}

static int
pump_row(void *arg, const struct msg_row *row)
{
	struct pump_ctx *pc = arg;
	struct buf *b = pc->out;
	struct streams *s = &pc->p->s;
	uint64_t *next = link_cursor(pc->l, pc->ch, pc->prec);
	size_t start;

	if (row->m.seq != *next) {
		log_warnx("store returned seq %llu, wanted %llu",
		    (unsigned long long)row->m.seq, (unsigned long long)*next);
		pc->failed = 1;
		return -1;
	}
	if (wire_begin(b, FR_MSG, &start) == -1 ||
	    msg_encode(&row->m, b) == -1 || wire_finish(b, start) == -1) {
		log_warnx("cannot encode message %s", row->id);
		pc->failed = 1;
		return -1;
	}
	if (b->len >= PUMP_WRITE_BYTES && pump_flush(pc->l, b) ==
	    -1) {
		pc->failed = 1;
		return -1;
	}
	TRACE_FLASH("queued", pc->ch, pc->prec, row->m.seq,
	    link_out_pending(pc->l) + b->len);
	(*next)++;
	if (row->sent == 0) {
		if (s->sent_lo[pc->ch][pc->prec] == 0) {
			s->sent_lo[pc->ch][pc->prec] = row->m.seq;
			s->sent_time[pc->ch][pc->prec] = now_utc_ms();
		}
		s->sent_hi[pc->ch][pc->prec] = row->m.seq;
	}
	return (pc->prec <= PREC_IMMEDIATE ? link_out_room_urgent(pc->l) :
	    link_out_room(pc->l)) > b->len ? 0 : -1;
}

/*
 * The urgent-first scheduler: while the link's output is below its mark,
 * send the next message of the most urgent stream that has one: channels
 * in order direct, nrrc, check, wg, cert; precedences flash first within a
 * channel; seq order within a stream. The output is small, so a FLASH
 * message accepted now waits behind at most one output's worth of bulk.
 * FLASH and IMMEDIATE messages do not wait for the output to drain below
 * its mark: they are queued at once (up to LINK_OUT_URGENT), so they
 * need not wait for the loop to come back to the link's write callback,
 * which a large API batch can delay.
 */
void
deliver_pump(struct peer *p, struct link *l)
{
	struct pump_ctx pc;
	struct buf out;
	int ch, prec, n;
	uint64_t next, fetch;

	buf_init(&out, PUMP_WRITE_BYTES + WIRE_HDR_LEN + WIRE_FRAME_MAX);
	while (link_out_room_urgent(l) > out.len) {
		for (ch = CH_MIN; ch <= CH_MAX; ch++)
			for (prec = PREC_MIN; prec <= PREC_MAX; prec++)
				if (*link_cursor(l, ch, prec) <=
				    p->s.out_last[ch][prec])
					goto found;
		break;
found:
		if (prec > PREC_IMMEDIATE && (link_out_room(l) <= out.len ||
		    deliver_urgent_in_flight(p->d)))
			break;
		next = *link_cursor(l, ch, prec);
		/* Never past out_last: rows after it belong to an API batch
		 * still being stored, or committed but not yet synced, which
		 * this connection sees; sent, they were receipted before the
		 * stream knew them ("receipt ... never sent": link closed). */
		fetch = p->s.out_last[ch][prec] - next + 1;
		if (fetch > PUMP_FETCH_MAX)
			fetch = PUMP_FETCH_MAX;
		memset(&pc, 0, sizeof(pc));
		pc.p = p;
		pc.l = l;
		pc.out = &out;
		pc.ch = ch;
		pc.prec = prec;
		n = store_out_fetch(p->d->st, p->conf->party, ch, prec, next,
		    (int)fetch, pump_row, &pc);
		if (pc.failed || n == -1 || *link_cursor(l, ch, prec) == next) {
			if (!pc.failed && n != -1)
				log_warnx("%s: outbound %s/%s seq %llu missing "
				    "from the store", p->conf->party,
				    channel_name(ch), prec_name(prec),
				    (unsigned long long)next);
			link_close(l, "cannot send queued messages");
			buf_free(&out);
			return;
		}
	}
	(void)pump_flush(l, &out);
	buf_free(&out);
}

/* Stream state while a batch is being applied; copied to the peer only
 * after the commit. */
struct batch_state {
	uint64_t	in_held[CH_MAX + 1][PREC_MAX + 1];
	uint64_t	out_delivered[CH_MAX + 1][PREC_MAX + 1];
	uint8_t		touched[CH_MAX + 1][PREC_MAX + 1];
};

static int
apply_msg(struct peer *p, struct batch_state *bs, const struct frame_ref *f,
    char *why, size_t whylen)
{
	struct hotlined *d = p->d;
	const char *err = NULL;
	struct cursor c;
	struct msg m;
	json_t *bundle = NULL;
	uint64_t held, received;
	int rc, ret = -1;

	cur_init(&c, f->p, f->len);
	if (msg_decode_lazy(&c, &m, &err) == -1) {
		snprintf(why, whylen, "malformed message: %s", err);
		return -1;
	}
	/* The body's JSON check, as msg_decode() does it; a CERT bundle is
	 * parsed once, here, and the tree handed to cert_bundle_in(). */
	if (m.channel == CH_CERT && strcmp(m.kind, CERT_KIND_BUNDLE) == 0) {
		if ((bundle = cert_bundle_parse(&m, &err)) == NULL) {
			snprintf(why, whylen, "malformed message: %s", err);
			return -1;
		}
	} else if (msg_check_body(m.body, m.body_len, &err) == -1) {
		snprintf(why, whylen, "malformed message: %s", err);
		return -1;
	}
	if (strcmp(m.from, p->conf->party) != 0 ||
	    strcmp(m.to, d->cf.party) != 0) {
		snprintf(why, whylen, "message from %s to %s on %s's link",
		    m.from, m.to, p->conf->party);
		goto done;
	}
	held = bs->in_held[m.channel][m.prec];
	if (m.seq <= held) {
		snprintf(why, whylen, "replayed %s/%s seq %llu (holding %llu)",
		    channel_name(m.channel), prec_name(m.prec),
		    (unsigned long long)m.seq, (unsigned long long)held);
		goto done;
	}
	if (m.seq != held + 1) {
		snprintf(why, whylen, "sequence gap on %s/%s: seq %llu after "
		    "%llu", channel_name(m.channel), prec_name(m.prec),
		    (unsigned long long)m.seq, (unsigned long long)held);
		goto done;
	}
	if (m.body_len > d->cf.max_body) {
		snprintf(why, whylen, "message body of %u bytes over max_body",
		    m.body_len);
		goto done;
	}
	if (!msg_verify_decoded(&m, p->pub, &p->vcache)) {
		snprintf(why, whylen, "bad signature on %s/%s seq %llu",
		    channel_name(m.channel), prec_name(m.prec),
		    (unsigned long long)m.seq);
		goto done;
	}
	received = now_utc_ms();
	if ((rc = store_msg_insert(d->st, &m, DIR_IN, p->conf->party,
	    received, NULL)) != 0) {
		snprintf(why, whylen, rc == -2 ? "message id already stored "
		    "(replay)" : "store failed");
		goto done;
	}
	if (log_leaf(d, LEAF_MSG, m.id, DIR_IN, p->conf->party, received) ==
	    -1) {
		snprintf(why, whylen, "store failed");
		goto done;
	}
	if (m.channel == CH_CERT && strcmp(m.kind, CERT_KIND_BUNDLE) == 0 &&
	    cert_bundle_in(d, p->conf->party, &m, bundle) == -1) {
		snprintf(why, whylen, "store failed");
		goto done;
	}
	if (strcmp(m.kind, "ack") == 0 && m.has_ref &&
	    (rc = store_msg_mark_acked(d->st, &m)) != 0) {
		if (rc == -1) {
			snprintf(why, whylen, "store failed");
			goto done;
		}
		log_info("%s acknowledged a message we do not hold",
		    p->conf->party);
	}
	TRACE_FLASH("rx", m.channel, m.prec, m.seq, 0);
	bs->in_held[m.channel][m.prec] = m.seq;
	bs->touched[m.channel][m.prec] = 1;
	/* The watch log: every message but bulk CERT traffic. */
	if (m.channel != CH_CERT)
		nrrc_log_received(p, &m);
	ret = 0;
done:
	json_decref(bundle);
	return ret;
}

/*
 * Decode the RECEIPT frame f into r and check it: for a stream of ours to
 * p, signed by p, for a seq we sent and naming the message we sent there.
 * A receipt deliver_receipts_early() has checked is not checked again.
 * 0, or -1 with why set.
 */
static int
receipt_take(struct peer *p, const struct frame_ref *f, struct receipt *r,
    char *why, size_t whylen)
{
	struct hotlined *d = p->d;
	const char *err = NULL;
	char idhex[ID_HEX_LEN + 1], want[ID_HEX_LEN + 1];
	struct cursor c;
	int i;

	cur_init(&c, f->p, f->len);
	if (receipt_decode(&c, r, &err) == -1) {
		snprintf(why, whylen, "malformed receipt: %s", err);
		return -1;
	}
	/* r->id is the hash of the signed bytes as received (receipt_decode):
	 * the same id and signature passed the checks below, with the same
	 * key, and what they compare with does not change meanwhile. */
	for (i = 0; i < p->nearly; i++)
		if (memcmp(p->early[i].id, r->id, MSG_ID_LEN) == 0 &&
		    memcmp(p->early[i].sig, r->sig, sizeof(r->sig)) == 0)
			return 0;
	if (strcmp(r->from, d->cf.party) != 0 ||
	    strcmp(r->to, p->conf->party) != 0) {
		snprintf(why, whylen, "receipt for stream %s->%s on %s's link",
		    r->from, r->to, p->conf->party);
		return -1;
	}
	if (!receipt_verify(r, p->pub)) {
		snprintf(why, whylen, "bad signature on receipt for %s/%s seq "
		    "%llu", channel_name(r->channel), prec_name(r->prec),
		    (unsigned long long)r->seq);
		return -1;
	}
	if (r->seq > p->s.out_last[r->channel][r->prec]) {
		snprintf(why, whylen, "receipt for %s/%s seq %llu never sent",
		    channel_name(r->channel), prec_name(r->prec),
		    (unsigned long long)r->seq);
		return -1;
	}
	if (store_msg_id_at(d->st, DIR_OUT, p->conf->party, r->channel,
	    r->prec, r->seq, want) != 0) {
		snprintf(why, whylen, "store failed");
		return -1;
	}
	hex_encode(r->last_id, MSG_ID_LEN, idhex);
	if (strcmp(idhex, want) != 0) {
		snprintf(why, whylen, "receipt for %s/%s seq %llu names id "
		    "%.12s, we sent %.12s", channel_name(r->channel),
		    prec_name(r->prec), (unsigned long long)r->seq, idhex, want);
		return -1;
	}
	return 0;
}

static int
apply_receipt(struct peer *p, struct batch_state *bs,
    const struct frame_ref *f, char *why, size_t whylen)
{
	struct hotlined *d = p->d;
	char rid[ID_HEX_LEN + 1];
	struct receipt r;
	uint64_t have, stored;

	if (receipt_take(p, f, &r, why, whylen) == -1)
		return -1;
	have = bs->out_delivered[r.channel][r.prec];
	hex_encode(r.id, MSG_ID_LEN, rid);
	if (r.seq > have) {
		stored = now_utc_ms();
		if (store_receipt_insert(d->st, &r, DIR_IN, p->conf->party,
		    stored) == -1 || log_leaf(d, LEAF_RECEIPT, r.id, DIR_IN,
		    p->conf->party, stored) == -1 ||
		    store_out_mark_delivered(d->st, p->conf->party, r.channel,
		    r.prec, have + 1, r.seq, r.time, rid) == -1) {
			snprintf(why, whylen, "store failed");
			return -1;
		}
		bs->out_delivered[r.channel][r.prec] = r.seq;
	}
	TRACE_FLASH("rcpt_rx", r.channel, r.prec, r.seq, 0);
	return 0;
}

/*
 * Answering before the record. The receipts of a receipts-only read batch
 * are verified here and the API clients waiting for the messages they
 * cover are answered at once, from each message's row as apply_receipt()
 * and flush_sent() will leave it; the link applies the batch (stores the
 * receipts, their log leaves and the delivery marks) from its resume
 * timer, a loop turn later, after those answers are written. The ~0.1 ms
 * of storing is then off the client's way. The client is told nothing the
 * stored record would not say: the verified receipt is the receiver's
 * signed word (the same reasoning as the lazy commit of such a batch
 * below), and nothing else happens on the loop in between.
 */
struct early {
	struct peer	*p;
	struct receipt	 r[DELIVER_EARLY_MAX];
	int		 n;
	int		 answered;
};

/* api_cover_fn: row as storing e's receipts leaves it (apply_receipt). */
static int
early_cover(void *arg, struct msg_row *row, struct receipt_row *extra,
    int max)
{
	struct early *e = arg;
	struct peer *p = e->p;
	const struct receipt *r;
	uint64_t have;
	int i, ch = row->m.channel, prec = row->m.prec, k = 0;

	if (row->dir != DIR_OUT || row->state >= ST_DELIVERED ||
	    strcmp(row->peer, p->conf->party) != 0)
		return 0;
	have = p->s.out_delivered[ch][prec];
	for (i = 0; i < e->n && k < max; i++) {
		r = &e->r[i];
		if (r->channel != ch || r->prec != prec || r->seq <= have)
			continue;	/* another stream, or not stored */
		have = r->seq;
		if (r->seq < row->m.seq)
			continue;	/* stored, but does not cover it */
		if (k == 0) {		/* the receipt that marks it */
			row->state = ST_DELIVERED;
			row->received = r->time;
			hex_encode(r->id, MSG_ID_LEN, row->receipt_id);
		}
		memset(&extra[k], 0, sizeof(extra[k]));
		extra[k].r = *r;
		extra[k].dir = DIR_IN;
		(void)snprintf(extra[k].peer, sizeof(extra[k].peer), "%s",
		    p->conf->party);
		k++;
	}
	/* Its "sent" time, if still pending: flush_sent() stores it in the
	 * same transaction. */
	if (k > 0 && row->sent == 0 && p->s.sent_lo[ch][prec] != 0 &&
	    row->m.seq >= p->s.sent_lo[ch][prec] &&
	    row->m.seq <= p->s.sent_hi[ch][prec])
		row->sent = p->s.sent_time[ch][prec];
	e->answered += k > 0;
	return k;
}

int
deliver_receipts_early(struct peer *p, const struct frame_ref *f, int n)
{
	struct early e;
	char why[256];
	int i;

	if (n > DELIVER_EARLY_MAX)
		return 0;
	memset(&e, 0, sizeof(e));
	e.p = p;
	p->nearly = 0;
	for (i = 0; i < n; i++) {
		if (f[i].type != FR_RECEIPT ||
		    receipt_take(p, &f[i], &e.r[i], why, sizeof(why)) == -1)
			return 0;	/* applied as usual, and refused */
		memcpy(p->early[i].id, e.r[i].id, MSG_ID_LEN);
		memcpy(p->early[i].sig, e.r[i].sig, sizeof(e.r[i].sig));
	}
	e.n = p->nearly = n;
	api_changed_early(p->d, early_cover, &e);
	if (e.answered > 0)
		log_debug("answered %d waiting request%s from %d receipt%s of "
		    "%s before storing them", e.answered, e.answered == 1 ?
		    "" : "s", n, n == 1 ? "" : "s", p->conf->party);
	return e.answered;
}

/*
 * A read batch with no urgent frame is committed lazily (store.h): its
 * commit does not wait for the WAL's fdatasync on the loop; the receipts
 * it issues are sent, and API clients told, only once the sync thread has
 * synced the WAL (frames_synced). Urgent frames are committed fully and
 * receipted at once; their sync covers every lazy commit before them.
 */
struct frames_sync {
	struct peer	*p;
	struct receipt	 rc[CH_MAX * PREC_MAX];
	int		 nr;
};

static void
frames_synced(void *arg, bool ok)
{
	struct frames_sync *fs = arg;
	struct peer *p = fs->p;
	int i;

	/* Not synced (shutting down, or the sync failed): nothing is
	 * acknowledged; the peer is sent fresh receipts after its next
	 * HELLO (deliver_link_up syncs first). */
	if (ok) {
		api_changed(p->d);
		for (i = 0; i < fs->nr; i++)
			deliver_receipt_due(p, &fs->rc[i]);
	}
	free(fs);
}

/*
 * A read batch of receipts only (ours come back) is committed lazily, and
 * API clients are told at once that their messages are delivered: the
 * receipt, verified, is the receiver's signed word that it has committed
 * and synced the message, which was synced here before it was accepted.
 * Only our record of that receipt is not yet on disk: a killed daemon
 * still finds it (the WAL's frames are written, in the page cache), and
 * if a power cut loses it, the peer sends fresh signed receipts for all it
 * holds after the next HELLO (deliver_link_up). The next commit's sync
 * covers it, usually the next message's accept a moment later, so a lone
 * message costs two fdatasyncs rather than three; if none comes within
 * RECEIPTS_SYNC_MS, the sync thread syncs it.
 */
#define RECEIPTS_SYNC_MS	2

static void
receipts_synced(void *arg, bool ok)
{
	(void)arg;
	(void)ok;	/* a failed sync is logged by the store */
}

static void
receipts_synccb(evutil_socket_t fd, short ev, void *arg)
{
	struct hotlined *d = arg;

	(void)fd;
	(void)ev;
	d->rcpt_sync_armed = false;
	if (store_lazy_pending(d->st))
		(void)store_sync_submit(d->st, receipts_synced, NULL);
}

static void
receipts_sync_later(struct hotlined *d)
{
	static const struct timeval tv = { 0, RECEIPTS_SYNC_MS * 1000 };

	if (d->rcpt_sync_armed)
		return;
	if (d->base == NULL || event_base_once(d->base, -1, EV_TIMEOUT,
	    receipts_synccb, d, &tv) == -1) {
		(void)store_sync(d->st);
		return;
	}
	d->rcpt_sync_armed = true;
}

static void
receipts_flushcb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)deliver_receipts_flush(arg);
}

/*
 * One WAL sync often makes several lazily committed read batches durable
 * at once, and their done callbacks run one after the other in one loop
 * turn. Receipts are cumulative, so only the latest of each stream is
 * sent, once those callbacks are done: fewer receipt frames for the peer
 * to verify and store. Every receipt is still signed, stored and logged
 * here as before (deliver_frames).
 */
void
deliver_receipt_due(struct peer *p, const struct receipt *r)
{
	struct receipt *due = &p->rc_due[r->channel][r->prec];
	static const struct timeval now = { 0, 0 };

	if (due->seq >= r->seq)
		return;
	*due = *r;
	if (p->rc_due_armed)
		return;
	if (p->d->base == NULL || event_base_once(p->d->base, -1,
	    EV_TIMEOUT, receipts_flushcb, p, &now) == -1) {
		(void)deliver_receipts_flush(p);
		return;
	}
	p->rc_due_armed = true;
}

int
deliver_receipts_flush(struct peer *p)
{
	int ch, prec, n = 0;

	p->rc_due_armed = false;
	for (ch = CH_MIN; ch <= CH_MAX; ch++)
		for (prec = PREC_MIN; prec <= PREC_MAX; prec++) {
			if (p->rc_due[ch][prec].seq == 0)
				continue;
			if (p->link != NULL &&
			    send_receipt(p->link, &p->rc_due[ch][prec]) == 0)
				n++;
			p->rc_due[ch][prec].seq = 0;
		}
	return n;
}

/* Our messages to p of precedence prec accepted and not yet receipted, in
 * some channel. */
static bool
any_stream_ahead(const struct peer *p, int prec)
{
	int ch;

	for (ch = CH_MIN; ch <= CH_MAX; ch++)
		if (p->s.out_last[ch][prec] > p->s.out_delivered[ch][prec])
			return true;
	return false;
}

/* Our messages to p accepted and not yet receipted, in all streams. */
static uint64_t
out_in_flight(const struct peer *p)
{
	uint64_t n = 0;
	int ch, prec;

	for (ch = CH_MIN; ch <= CH_MAX; ch++)
		for (prec = PREC_MIN; prec <= PREC_MAX; prec++)
			if (p->s.out_last[ch][prec] >
			    p->s.out_delivered[ch][prec])
				n += p->s.out_last[ch][prec] -
				    p->s.out_delivered[ch][prec];
	return n;
}

static void
pump_all(struct hotlined *d)
{
	int i;

	for (i = 0; i < d->npeers; i++)
		if (d->peers[i].link != NULL)
			deliver_pump(&d->peers[i], d->peers[i].link);
}

/* The yield to urgent traffic ran out, or ended a loop turn ago: bulk goes
 * on. */
static void
urgent_expired(evutil_socket_t fd, short ev, void *arg)
{
	struct hotlined *d = arg;

	(void)fd;
	(void)ev;
	d->urgent_settling = false;
	pump_all(d);
}

bool
deliver_urgent_in_flight(struct hotlined *d)
{
	const struct peer *p;
	struct timeval tv = { 0, DELIVER_URGENT_YIELD_US };
	uint64_t now;
	int i, prec;

	if (d->urgent_settling)
		return true;
	for (i = 0; i < d->npeers; i++) {
		p = &d->peers[i];
		if (p->link == NULL)
			continue;
		for (prec = PREC_MIN; prec <= PREC_IMMEDIATE; prec++)
			if (any_stream_ahead(p, prec))
				goto in_flight;
	}
	d->urgent_since = 0;
	return false;
in_flight:
	now = now_mono_us();
	if (d->urgent_since == 0) {
		d->urgent_since = now;
		if (d->urgent_ev == NULL && d->base != NULL)
			d->urgent_ev = evtimer_new(d->base, urgent_expired, d);
		if (d->urgent_ev != NULL)
			evtimer_add(d->urgent_ev, &tv);
	}
	return now - d->urgent_since < DELIVER_URGENT_YIELD_US;
}

/*
 * Receipts came in: if they ended the yield to urgent traffic, bulk goes on
 * from the next loop turn, not this one: the answers to API clients waiting
 * for the urgent messages (api_changed) are written to their sockets in the
 * next turn, before the bulk work that this turn would otherwise begin.
 */
static void
urgent_settle(struct hotlined *d)
{
	struct timeval zero = { 0, 0 };

	if (d->urgent_since == 0 || d->urgent_settling)
		return;
	(void)deliver_urgent_in_flight(d);
	if (d->urgent_since != 0)
		return;		/* still in flight, yielded to or not */
	if (d->urgent_ev == NULL) {
		pump_all(d);
		return;
	}
	d->urgent_settling = true;
	evtimer_add(d->urgent_ev, &zero);
}

void
deliver_stop(struct hotlined *d)
{
	if (d->urgent_ev != NULL)
		event_free(d->urgent_ev);
	d->urgent_ev = NULL;
}

/*
 * Light traffic (the latency path) commits fully: handing a lone message's
 * or receipt's sync to the thread, and answering after it, adds a wake-up
 * and an fdatasync beside the loop's next commit (accept p50 +0.1 ms, e2e
 * p50 +0.2 ms measured). Bulk read batches, and batches with receipts while
 * more of our messages are in flight, commit lazily; urgent frames never
 * do. (A batch of receipts only is committed lazily in any case, but light,
 * never as bulk: bulk lowers the store's checkpoint mark to
 * STORE_WAL_CHECKPOINT_BULK, which behind a sender of lone messages meant a
 * checkpoint every 50-100 ms; and it is answered at once:
 * receipts_sync_later.)
 */
bool
deliver_frames_lazy(const struct peer *p, int n, int nurgent)
{
	return nurgent == 0 && (n >= DELIVER_LAZY_MIN ||
	    out_in_flight(p) > DELIVER_LAZY_MIN);
}

static int	frames_apply(struct peer *, struct link *,
		    const struct frame_ref *, int, char *, size_t);

int
deliver_frames(struct peer *p, struct link *l, const struct frame_ref *f,
    int n, char *why, size_t whylen)
{
	int rc;

	rc = frames_apply(p, l, f, n, why, whylen);
	p->nearly = 0;	/* applied (or refused): verified ahead no more */
	return rc;
}

static int
frames_apply(struct peer *p, struct link *l, const struct frame_ref *f,
    int n, char *why, size_t whylen)
{
	struct hotlined *d = p->d;
	struct batch_state bs;
	struct receipt rc[CH_MAX * PREC_MAX];
	struct frames_sync *fs;
	int i, ch, prec, nr = 0, bad = 0, rc_begin, nurgent, nmsg;
	bool bulk;

	memcpy(bs.in_held, p->s.in_held, sizeof(bs.in_held));
	memcpy(bs.out_delivered, p->s.out_delivered, sizeof(bs.out_delivered));
	memset(bs.touched, 0, sizeof(bs.touched));
	/* Urgent frames go before an API batch being stored (store.h). */
	for (i = 0, nurgent = 0, nmsg = 0; i < n; i++) {
		nurgent += deliver_frame_urgent(&f[i]);
		nmsg += f[i].type == FR_MSG;
	}
	/* Receipts only: lazy but light (deliver_frames_lazy). */
	bulk = nmsg > 0 && deliver_frames_lazy(p, n, nurgent);
	store_set_urgent(d->st, nurgent == n);
	rc_begin = bulk ? store_begin_lazy(d->st) : nmsg == 0 ?
	    store_begin_lazy_light(d->st) : store_begin(d->st);
	store_set_urgent(d->st, false);
	if (rc_begin == -1) {
		snprintf(why, whylen, "store failed");
		return -1;
	}
	for (i = 0; i < n && !bad; i++) {
		if (f[i].type == FR_MSG)
			bad = apply_msg(p, &bs, &f[i], why, whylen) == -1;
		else
			bad = apply_receipt(p, &bs, &f[i], why, whylen) == -1;
	}
	/* Frames before a bad one are kept; the bad one left nothing. */
	for (ch = CH_MIN; ch <= CH_MAX; ch++)
		for (prec = PREC_MIN; prec <= PREC_MAX; prec++) {
			if (!bs.touched[ch][prec])
				continue;
			if (make_receipt(p, ch, prec, bs.in_held[ch][prec],
			    &rc[nr]) == -1 || store_receipt_insert(d->st,
			    &rc[nr], DIR_OUT, p->conf->party, rc[nr].time) ==
			    -1 || log_leaf(d, LEAF_RECEIPT, rc[nr].id, DIR_OUT,
			    p->conf->party, rc[nr].time) == -1)
				goto fail;
			nr++;
		}
	if (flush_sent(p) == -1)
		goto fail;
	if (store_commit(d->st) == -1)
		goto fail_committed;
	clear_sent(p);
	if (bs.touched[CH_DIRECT][PREC_FLASH])
		TRACE_FLASH("rx_commit", CH_DIRECT, PREC_FLASH,
		    bs.in_held[CH_DIRECT][PREC_FLASH], (uint64_t)n);
	if (bs.out_delivered[CH_DIRECT][PREC_FLASH] !=
	    p->s.out_delivered[CH_DIRECT][PREC_FLASH])
		TRACE_FLASH("rcpt_commit", CH_DIRECT, PREC_FLASH,
		    bs.out_delivered[CH_DIRECT][PREC_FLASH], (uint64_t)n);
	memcpy(p->s.in_held, bs.in_held, sizeof(bs.in_held));
	memcpy(p->s.out_delivered, bs.out_delivered, sizeof(bs.out_delivered));
	urgent_settle(d);
	if (nmsg == 0 && store_lazy_pending(d->st)) {
		/* Receipts only: delivered now (receipts_sync_later). */
		api_changed(d);
		receipts_sync_later(d);
		return bad ? -1 : 0;
	}
	if (bulk && store_lazy_pending(d->st)) {
		/* Receipts and state changes wait for the WAL's sync. */
		fs = xcalloc(1, sizeof(*fs));
		fs->p = p;
		fs->nr = nr;
		memcpy(fs->rc, rc, sizeof(rc[0]) * (size_t)nr);
		(void)store_sync_submit(d->st, frames_synced, fs);
		return bad ? -1 : 0;
	}
	/* The receipts first: the peer waits for them, API clients here
	 * can be told a moment later. */
	for (i = 0; i < nr && send_receipt(l, &rc[i]) == 0; i++)
		;
	api_changed(d);
	return bad ? -1 : 0;
fail:
	store_rollback(d->st);
fail_committed:
	snprintf(why, whylen, "store failed; batch not committed");
	return -1;
}

bool
deliver_frame_urgent(const struct frame_ref *f)
{
	uint8_t ch, prec;

	return (f->type == FR_MSG || f->type == FR_RECEIPT) &&
	    msg_peek_stream(f->p, f->len, f->type == FR_RECEIPT, &ch,
	    &prec) == 0 && prec >= PREC_MIN && prec <= PREC_IMMEDIATE;
}
