/*
 * test_deliver.c: API batches stored over several event-loop turns
 * (deliver_batch_*, store.h's long transaction): all or none, contiguous
 * and in order in their streams, whatever comes between the turns; urgent
 * submissions in other streams go first (the batch is rolled back and
 * stored again), anything else has the batch committed first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>
#include <sqlite3.h>

#include "api.h"
#include "deliver.h"
#include "hotlined.h"
#include "signer.h"
#include "store.h"
#include "testlib.h"
#include "util.h"
#include "wire.h"

#define NB	250	/* messages in the test batches */

struct fx {
	char			 dir[PATH_MAX];
	char			 path[PATH_MAX + 16];
	struct testlib_node	 node;
	struct hotlined		 d;
	struct peer		 peer;
	struct peer_conf	 pc;
	struct msg		 ms[NB];
	char			*bodies[NB];
	char			 ids[NB][ID_HEX_LEN + 1];
	struct deliver_batch	*b;
	int			 preempts, finishes, commit_rc;
	int			 durable;	/* 1 ok, -1 not */
};

static int
setup(void **state)
{
	struct fx *fx;
	char err[256];

	fx = calloc(1, sizeof(*fx));
	if (fx == NULL || testlib_tmpdir(fx->dir, sizeof(fx->dir),
	    "deliver") == -1 || testlib_node_init(&fx->node, fx->dir, "us") ==
	    -1 || testlib_path_join(fx->path, sizeof(fx->path), fx->dir,
	    "hotline.db") == -1 || (fx->d.st = store_open(fx->path, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "setup failed\n");
		return -1;
	}
	snprintf(fx->d.cf.party, sizeof(fx->d.cf.party), "us");
	fx->d.cf.max_body = 49152;
	fx->d.signer = fx->node.signer;
	snprintf(fx->pc.party, sizeof(fx->pc.party), "ru");
	fx->peer.d = &fx->d;
	fx->peer.conf = &fx->pc;
	fx->d.peers = &fx->peer;
	fx->d.npeers = 1;
	if (deliver_init(&fx->d) == -1)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	int i;

	deliver_batch_free(fx->b);
	for (i = 0; i < NB; i++)
		free(fx->bodies[i]);
	store_free(fx->d.st);
	testlib_node_free(&fx->node);
	testlib_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* A request to send, as the API parses it. */
static void
request(struct msg *m, char **body, const char *channel, const char *prec,
    int n)
{
	char text[256], ref[ID_HEX_LEN + 1], err[256];
	int status, len;

	len = snprintf(text, sizeof(text), "{\"to\":\"ru\",\"channel\":\"%s\","
	    "\"kind\":\"test\",\"precedence\":\"%s\",\"body\":{\"n\":%d}}",
	    channel, prec, n);
	assert_true(len > 0 && len < (int)sizeof(text));
	assert_int_equal(api_parse_submit(text, (size_t)len, 49152, m, body,
	    ref, &status, err, sizeof(err)), 0);
}

/* The batch's owner, as api.c's batch_resolve (without its limit). */
static void
resolve(void *arg, bool preempt)
{
	struct fx *fx = arg;
	const char *errmsg = NULL;
	int status;

	if (preempt) {
		fx->preempts++;
		deliver_batch_rollback(fx->b);
		return;
	}
	fx->finishes++;
	fx->commit_rc = deliver_batch_commit(fx->b, fx->ids, &status,
	    &errmsg);
}

/* Start a batch of NB on channel/prec and store its first part. */
static void
batch_start(struct fx *fx, const char *channel, const char *prec)
{
	int i, bad, status;
	const char *errmsg = NULL;

	for (i = 0; i < NB; i++)
		request(&fx->ms[i], &fx->bodies[i], channel, prec, i);
	fx->b = deliver_batch_new(&fx->d, fx->ms, NB, NULL, resolve, fx,
	    &bad, &status, &errmsg);
	assert_non_null(fx->b);
	assert_int_equal(deliver_batch_step(fx->b, 100), 0);
	assert_true(store_long_open(fx->d.st));
}

/* Store the rest part by part and commit, as api.c's turns do. */
static void
batch_rest(struct fx *fx)
{
	const char *errmsg = NULL;
	int rc, status;

	while ((rc = deliver_batch_step(fx->b, 100)) == 0)
		;
	assert_int_equal(rc, 1);
	assert_int_equal(deliver_batch_commit(fx->b, fx->ids, &status,
	    &errmsg), 0);
	deliver_batch_free(fx->b);
	fx->b = NULL;
}

/* One more request, submitted while the batch is in progress. */
static void
submit_one(struct fx *fx, const char *channel, const char *prec,
    char id[ID_HEX_LEN + 1])
{
	struct msg m;
	char *body = NULL;
	const char *errmsg = NULL;
	int status;

	request(&m, &body, channel, prec, 9999);
	assert_int_equal(deliver_submit(&fx->d, &m, id, &status, &errmsg), 0);
	free(body);
}

static int64_t
sql_int(struct fx *fx, const char *sql, const char *id)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(store_db(fx->d.st), sql, -1, &s,
	    NULL), SQLITE_OK);
	if (id != NULL)
		sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* The batch is all there, seqs first..first+NB-1 in request order, its
 * rows stored contiguously, the stream's out_last past it. */
static void
check_batch(struct fx *fx, int ch, int prec, uint64_t first)
{
	char sql[256];
	int i;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM msgs WHERE dir = %d "
	    "AND channel = %d AND prec = %d AND seq BETWEEN %llu AND %llu",
	    DIR_OUT, ch, prec, (unsigned long long)first,
	    (unsigned long long)(first + NB - 1));
	assert_int_equal(sql_int(fx, sql, NULL), NB);
	for (i = 0; i < NB; i++) {
		assert_int_equal(fx->ms[i].seq, first + (uint64_t)i);
		assert_int_equal(sql_int(fx, "SELECT seq FROM msgs WHERE id = ?",
		    fx->ids[i]), (int64_t)(first + (uint64_t)i));
	}
	assert_int_equal(sql_int(fx, "SELECT rid FROM msgs WHERE id = ?",
	    fx->ids[NB - 1]) - sql_int(fx, "SELECT rid FROM msgs WHERE id = ?",
	    fx->ids[0]), NB - 1);
	assert_true(fx->peer.s.out_last[ch][prec] >= first + NB - 1);
}

/* A FLASH message in another stream goes first: the batch's part is
 * rolled back, the batch is stored again after it, whole and in order. */
static void
test_urgent_goes_first(void **state)
{
	struct fx *fx = *state;
	char id[ID_HEX_LEN + 1];

	batch_start(fx, "cert", "routine");
	submit_one(fx, "direct", "flash", id);
	assert_int_equal(fx->preempts, 1);
	assert_int_equal(fx->finishes, 0);
	assert_false(store_long_open(fx->d.st));
	/* Committed alone: nothing of the batch yet. */
	assert_int_equal(sql_int(fx, "SELECT count(*) FROM msgs", NULL), 1);
	assert_int_equal(sql_int(fx, "SELECT seq FROM msgs WHERE id = ?", id),
	    1);
	batch_rest(fx);
	check_batch(fx, CH_CERT, PREC_ROUTINE, 1);
	assert_true(sql_int(fx, "SELECT rid FROM msgs WHERE id = ?", id) <
	    sql_int(fx, "SELECT rid FROM msgs WHERE id = ?", fx->ids[0]));
	assert_int_equal(fx->peer.s.out_last[CH_DIRECT][PREC_FLASH], 1);
}

/* Anything not urgent waits for the batch: it is stored whole and
 * committed first, then the newcomer. */
static void
test_other_work_waits(void **state)
{
	struct fx *fx = *state;
	char id[ID_HEX_LEN + 1];

	batch_start(fx, "cert", "routine");
	submit_one(fx, "direct", "routine", id);
	assert_int_equal(fx->preempts, 0);
	assert_int_equal(fx->finishes, 1);
	assert_int_equal(fx->commit_rc, 0);
	assert_false(store_long_open(fx->d.st));
	check_batch(fx, CH_CERT, PREC_ROUTINE, 1);
	assert_true(sql_int(fx, "SELECT rid FROM msgs WHERE id = ?", id) >
	    sql_int(fx, "SELECT rid FROM msgs WHERE id = ?", fx->ids[NB - 1]));
}

/* An urgent message in the batch's own stream takes the seq after the
 * batch's, so the batch goes first. */
static void
test_urgent_same_stream_waits(void **state)
{
	struct fx *fx = *state;
	char id[ID_HEX_LEN + 1];

	batch_start(fx, "direct", "flash");
	submit_one(fx, "direct", "flash", id);
	assert_int_equal(fx->preempts, 0);
	assert_int_equal(fx->finishes, 1);
	check_batch(fx, CH_DIRECT, PREC_FLASH, 1);
	assert_int_equal(sql_int(fx, "SELECT seq FROM msgs WHERE id = ?", id),
	    NB + 1);
}

/* Rolled back and waiting for its next turn, the batch still holds its
 * seqs: a message in its stream has it committed first. */
static void
test_rolled_back_batch_keeps_seqs(void **state)
{
	struct fx *fx = *state;
	char id1[ID_HEX_LEN + 1], id2[ID_HEX_LEN + 1];

	batch_start(fx, "cert", "routine");
	submit_one(fx, "direct", "flash", id1);
	assert_int_equal(fx->preempts, 1);
	submit_one(fx, "cert", "routine", id2);
	assert_int_equal(fx->finishes, 1);
	assert_int_equal(fx->commit_rc, 0);
	check_batch(fx, CH_CERT, PREC_ROUTINE, 1);
	assert_int_equal(sql_int(fx, "SELECT seq FROM msgs WHERE id = ?", id2),
	    NB + 1);
}

/* A transaction begun by anyone else (here: not urgent) has the batch
 * committed first; an urgent one has it rolled back. */
static void
test_store_begin_resolves(void **state)
{
	struct fx *fx = *state;

	batch_start(fx, "cert", "routine");
	store_set_urgent(fx->d.st, true);
	assert_int_equal(store_begin(fx->d.st), 0);
	store_set_urgent(fx->d.st, false);
	assert_int_equal(fx->preempts, 1);
	assert_int_equal(sql_int(fx, "SELECT count(*) FROM msgs", NULL), 0);
	assert_int_equal(store_commit(fx->d.st), 0);
	assert_int_equal(deliver_batch_step(fx->b, 100), 0);
	assert_int_equal(store_begin(fx->d.st), 0);
	assert_int_equal(fx->finishes, 1);
	assert_int_equal(fx->commit_rc, 0);
	assert_int_equal(store_commit(fx->d.st), 0);
	check_batch(fx, CH_CERT, PREC_ROUTINE, 1);
}

/* A write outside any transaction joined the batch's: it is no longer
 * rolled back for urgent work (that would undo the write), but committed. */
static void
test_foreign_write_not_undone(void **state)
{
	struct fx *fx = *state;

	batch_start(fx, "cert", "routine");
	assert_true(store_long_intact(fx->d.st));
	assert_int_equal(sqlite3_exec(store_db(fx->d.st), "CREATE TABLE t(x);"
	    "INSERT INTO t VALUES (42)", NULL, NULL, NULL), SQLITE_OK);
	assert_false(store_long_intact(fx->d.st));
	/* Still so after the batch's next part. */
	assert_int_equal(deliver_batch_step(fx->b, 100), 0);
	assert_false(store_long_intact(fx->d.st));
	store_set_urgent(fx->d.st, true);
	assert_int_equal(store_begin(fx->d.st), 0);
	store_set_urgent(fx->d.st, false);
	assert_int_equal(fx->preempts, 0);
	assert_int_equal(fx->finishes, 1);
	assert_int_equal(store_commit(fx->d.st), 0);
	check_batch(fx, CH_CERT, PREC_ROUTINE, 1);
	assert_int_equal(sql_int(fx, "SELECT x FROM t", NULL), 42);
}

/* Freed before its commit (the client went away, the daemon stops):
 * nothing of it stays, and its seqs are free again. */
static void
test_free_rolls_back(void **state)
{
	struct fx *fx = *state;
	char id[ID_HEX_LEN + 1];

	batch_start(fx, "cert", "routine");
	deliver_batch_free(fx->b);
	fx->b = NULL;
	assert_false(store_long_open(fx->d.st));
	assert_int_equal(sql_int(fx, "SELECT count(*) FROM msgs", NULL), 0);
	submit_one(fx, "cert", "routine", id);
	assert_int_equal(sql_int(fx, "SELECT seq FROM msgs WHERE id = ?", id),
	    1);
	assert_int_equal(fx->finishes + fx->preempts, 0);
}

static void
durable(void *arg, bool ok)
{
	struct fx *fx = arg;

	fx->durable = ok ? 1 : -1;
}

/* Start a batch, store it all and commit it lazily (with a sync thread):
 * committed, but its stream does not advance until the WAL is synced. */
static struct event_base *
batch_lazy(struct fx *fx)
{
	struct event_base *base = event_base_new();
	const char *errmsg = NULL;
	int status;

	assert_non_null(base);
	assert_int_equal(store_sync_thread(fx->d.st, base), 0);
	batch_start(fx, "cert", "routine");
	while (deliver_batch_step(fx->b, 100) == 0)
		;
	assert_int_equal(deliver_batch_commit_lazy(fx->b, fx->ids, &status,
	    &errmsg, durable, fx), 0);
	assert_int_equal(sql_int(fx, "SELECT count(*) FROM msgs", NULL), NB);
	assert_int_equal(fx->peer.s.out_last[CH_CERT][PREC_ROUTINE], 0);
	assert_int_equal(fx->durable, 0);
	return base;
}

static void
lazy_done(struct fx *fx, struct event_base *base)
{
	deliver_batch_free(fx->b);
	fx->b = NULL;
	store_free(fx->d.st);	/* joins the sync thread */
	fx->d.st = NULL;
	event_base_free(base);
}

/* Answered once the sync thread has synced the WAL. */
static void
test_lazy_commit_synced(void **state)
{
	struct fx *fx = *state;
	struct event_base *base = batch_lazy(fx);
	struct timeval tick = { 0, 20000 };
	int i;

	for (i = 0; i < 500 && fx->durable == 0; i++) {
		(void)event_base_loopexit(base, &tick);
		(void)event_base_loop(base, 0);
	}
	assert_int_equal(fx->durable, 1);
	check_batch(fx, CH_CERT, PREC_ROUTINE, 1);
	assert_int_equal(fx->peer.s.out_last[CH_CERT][PREC_ROUTINE], NB);
	lazy_done(fx, base);
}

/* Work that needs the batch's stream meanwhile has it synced inline and
 * answered first, then takes the next seq. */
static void
test_lazy_commit_needed(void **state)
{
	struct fx *fx = *state;
	struct event_base *base = batch_lazy(fx);
	char id[ID_HEX_LEN + 1];

	submit_one(fx, "cert", "routine", id);
	assert_int_equal(fx->durable, 1);
	check_batch(fx, CH_CERT, PREC_ROUTINE, 1);
	assert_int_equal(sql_int(fx, "SELECT seq FROM msgs WHERE id = ?", id),
	    NB + 1);
	lazy_done(fx, base);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

/* Light traffic commits fully, bulk lazily, urgent frames never lazily. */
static void
test_frames_lazy(void **state)
{
	struct fx *fx = *state;
	struct peer *p = &fx->peer;

	memset(p->s.out_last, 0, sizeof(p->s.out_last));
	memset(p->s.out_delivered, 0, sizeof(p->s.out_delivered));
	assert_false(deliver_frames_lazy(p, 1, 0));
	assert_false(deliver_frames_lazy(p, DELIVER_LAZY_MIN - 1, 0));
	assert_true(deliver_frames_lazy(p, DELIVER_LAZY_MIN, 0));
	assert_false(deliver_frames_lazy(p, DELIVER_LAZY_MIN, 1));
	/* One receipt while our messages are in flight: bulk. */
	p->s.out_last[CH_CERT][PREC_ROUTINE] = 1000;
	p->s.out_delivered[CH_CERT][PREC_ROUTINE] = 1000 - DELIVER_LAZY_MIN;
	assert_false(deliver_frames_lazy(p, 1, 0));
	p->s.out_delivered[CH_CERT][PREC_ROUTINE] = 1000 - DELIVER_LAZY_MIN -
	    1;
	assert_true(deliver_frames_lazy(p, 1, 0));
	assert_false(deliver_frames_lazy(p, 1, 1));
	/* Counted over every stream. */
	p->s.out_delivered[CH_CERT][PREC_ROUTINE] = 1000 - 2;
	p->s.out_last[CH_NRRC][PREC_PRIORITY] = DELIVER_LAZY_MIN;
	assert_true(deliver_frames_lazy(p, 1, 0));
	/* A receipt state past what was accepted counts as nothing. */
	p->s.out_last[CH_NRRC][PREC_PRIORITY] = 0;
	p->s.out_delivered[CH_NRRC][PREC_PRIORITY] = 50;
	assert_false(deliver_frames_lazy(p, 1, 0));
}

/*
 * Urgent traffic in flight (bulk yields to it): a FLASH or IMMEDIATE
 * message of ours not yet receipted by a peer whose link is up, for at
 * most DELIVER_URGENT_YIELD_US from when that began.
 */
static void
test_urgent_in_flight(void **state)
{
	struct fx *fx = *state;
	struct peer *p = &fx->peer;
	struct hotlined *d = &fx->d;

	memset(p->s.out_last, 0, sizeof(p->s.out_last));
	memset(p->s.out_delivered, 0, sizeof(p->s.out_delivered));
	p->s.out_last[CH_DIRECT][PREC_FLASH] = 3;
	p->s.out_delivered[CH_DIRECT][PREC_FLASH] = 2;
	assert_null(p->link);
	assert_false(deliver_urgent_in_flight(d));	/* the link is down */
	/* Only looked at, never used (no event base: nothing pumped). */
	p->link = (struct link *)p;
	assert_true(deliver_urgent_in_flight(d));
	assert_int_not_equal(d->urgent_since, 0);
	/* Receipted: bulk goes on. */
	p->s.out_delivered[CH_DIRECT][PREC_FLASH] = 3;
	assert_false(deliver_urgent_in_flight(d));
	assert_int_equal(d->urgent_since, 0);
	/* Bulk in flight is not urgent; IMMEDIATE on any channel is. */
	p->s.out_last[CH_CERT][PREC_ROUTINE] = 500;
	p->s.out_last[CH_NRRC][PREC_PRIORITY] = 4;
	assert_false(deliver_urgent_in_flight(d));
	p->s.out_last[CH_NRRC][PREC_IMMEDIATE] = 1;
	assert_true(deliver_urgent_in_flight(d));
	/* A peer that does not answer stops bulk for a bounded time only,
	 * and the bound is not restarted while the message stays
	 * unreceipted. */
	d->urgent_since -= DELIVER_URGENT_YIELD_US;
	assert_false(deliver_urgent_in_flight(d));
	assert_false(deliver_urgent_in_flight(d));
	p->s.out_delivered[CH_NRRC][PREC_IMMEDIATE] = 1;
	assert_false(deliver_urgent_in_flight(d));
	assert_int_equal(d->urgent_since, 0);
	/* The next urgent message yields afresh. */
	p->s.out_last[CH_DIRECT][PREC_IMMEDIATE] = 1;
	assert_true(deliver_urgent_in_flight(d));
	p->link = NULL;
	assert_false(deliver_urgent_in_flight(d));
}

/* Only batches of bulk messages yield to urgent traffic in flight. */
static void
test_batch_yields(void **state)
{
	struct fx *fx = *state;
	struct peer *p = &fx->peer;
	int i;

	p->s.out_last[CH_NRRC][PREC_FLASH] = 1;
	p->link = (struct link *)p;	/* only looked at */
	batch_start(fx, "cert", "priority");
	assert_true(deliver_batch_yields(fx->b));
	p->s.out_delivered[CH_NRRC][PREC_FLASH] = 1;
	assert_false(deliver_batch_yields(fx->b));
	p->s.out_last[CH_NRRC][PREC_FLASH] = 2;
	assert_true(deliver_batch_yields(fx->b));
	p->link = NULL;		/* committing pumps: no fake link then */
	assert_false(deliver_batch_yields(fx->b));
	batch_rest(fx);
	for (i = 0; i < NB; i++) {
		free(fx->bodies[i]);
		fx->bodies[i] = NULL;
	}
	batch_start(fx, "wg", "immediate");
	p->link = (struct link *)p;
	assert_false(deliver_batch_yields(fx->b));
	p->link = NULL;
	batch_rest(fx);
}

static void
due(struct peer *p, int ch, int prec, uint64_t seq)
{
	struct receipt r;

	memset(&r, 0, sizeof(r));
	r.channel = (uint8_t)ch;
	r.prec = (uint8_t)prec;
	r.seq = seq;
	deliver_receipt_due(p, &r);
}

/* Synced receipts: the latest per stream is kept and sent at the end of
 * the loop turn, then forgotten; with no event base, at once. */
static void
test_receipts_due(void **state)
{
	struct fx *fx = *state;
	struct peer *p = &fx->peer;
	struct event_base *base = event_base_new();

	assert_non_null(base);
	fx->d.base = base;
	due(p, CH_CERT, PREC_ROUTINE, 5);
	assert_true(p->rc_due_armed);
	due(p, CH_CERT, PREC_ROUTINE, 9);
	due(p, CH_CERT, PREC_ROUTINE, 7);
	due(p, CH_NRRC, PREC_PRIORITY, 3);
	assert_int_equal(p->rc_due[CH_CERT][PREC_ROUTINE].seq, 9);
	assert_int_equal(p->rc_due[CH_NRRC][PREC_PRIORITY].seq, 3);
	assert_int_equal(p->rc_due[CH_DIRECT][PREC_FLASH].seq, 0);
	(void)event_base_loop(base, EVLOOP_NONBLOCK);
	assert_false(p->rc_due_armed);
	assert_int_equal(p->rc_due[CH_CERT][PREC_ROUTINE].seq, 0);
	assert_int_equal(p->rc_due[CH_NRRC][PREC_PRIORITY].seq, 0);
	/* Armed again by the next one. */
	due(p, CH_CERT, PREC_ROUTINE, 12);
	assert_true(p->rc_due_armed);
	assert_int_equal(deliver_receipts_flush(p), 0);	/* no link */
	assert_int_equal(p->rc_due[CH_CERT][PREC_ROUTINE].seq, 0);
	fx->d.base = NULL;
	event_base_free(base);
	due(p, CH_CERT, PREC_ROUTINE, 13);
	assert_false(p->rc_due_armed);
	assert_int_equal(p->rc_due[CH_CERT][PREC_ROUTINE].seq, 0);
}

/*
 * Our receipts coming back, a read batch of receipts only: committed
 * lazily and delivered at once (the receiver synced the message before it
 * signed), then synced by the sync thread RECEIPTS_SYNC_MS later (or by
 * the next full commit, whichever is first).
 */
static void
test_receipts_only_lazy(void **state)
{
	struct fx *fx = *state;
	struct event_base *base = event_base_new();
	struct timeval tick = { 0, 20000 };
	struct testlib_node ru;
	char dir[PATH_MAX], id[ID_HEX_LEN + 1], why[160];
	struct receipt r;
	struct msg_row row;
	struct frame_ref f;
	struct buf b;
	int i;

	assert_non_null(base);
	assert_int_equal(testlib_tmpdir(dir, sizeof(dir), "deliver-ru"), 0);
	assert_int_equal(testlib_node_init(&ru, dir, "ru"), 0);
	fx->peer.pub = signer_pubkey(ru.signer);
	fx->d.base = base;
	assert_int_equal(store_sync_thread(fx->d.st, base), 0);
	submit_one(fx, "direct", "flash", id);
	assert_false(store_lazy_pending(fx->d.st));

	memset(&r, 0, sizeof(r));
	r.version = MSG_VERSION;
	snprintf(r.from, sizeof(r.from), "us");
	snprintf(r.to, sizeof(r.to), "ru");
	r.channel = CH_DIRECT;
	r.prec = PREC_FLASH;
	r.seq = 1;
	r.time = now_utc_ms();
	assert_int_equal(hex_decode(id, r.last_id, MSG_ID_LEN), 0);
	assert_int_equal(receipt_sign(&r, ru.signer), 0);
	buf_init(&b, 4096);
	assert_int_equal(receipt_encode(&r, &b), 0);
	f.type = FR_RECEIPT;
	f.p = b.data;
	f.len = (uint32_t)b.len;
	assert_int_equal(deliver_frames(&fx->peer, NULL, &f, 1, why,
	    sizeof(why)), 0);

	/* Delivered now, in memory and in the store; not yet synced. */
	assert_int_equal(fx->peer.s.out_delivered[CH_DIRECT][PREC_FLASH], 1);
	assert_int_equal(store_msg_get(fx->d.st, id, &row), 0);
	assert_int_equal(row.state, ST_DELIVERED);
	msg_row_clear(&row);
	assert_true(store_lazy_pending(fx->d.st));
	assert_true(fx->d.rcpt_sync_armed);
	for (i = 0; i < 500 && store_lazy_pending(fx->d.st); i++) {
		(void)event_base_loopexit(base, &tick);
		(void)event_base_loop(base, 0);
	}
	assert_false(store_lazy_pending(fx->d.st));
	assert_false(fx->d.rcpt_sync_armed);

	buf_free(&b);
	store_free(fx->d.st);	/* joins the sync thread */
	fx->d.st = NULL;
	fx->d.base = NULL;
	event_base_free(base);
	testlib_node_free(&ru);
	testlib_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_urgent_goes_first),
		T(test_receipts_due),
		T(test_urgent_in_flight),
		T(test_batch_yields),
		T(test_other_work_waits),
		T(test_urgent_same_stream_waits),
		T(test_rolled_back_batch_keeps_seqs),
		T(test_store_begin_resolves),
		T(test_foreign_write_not_undone),
		T(test_free_rolls_back),
		T(test_lazy_commit_synced),
		T(test_frames_lazy),
		T(test_lazy_commit_needed),
		T(test_receipts_only_lazy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
