/*
 * test_checks.c: communication check statistics (checks_stats in
 * src/checks.c) from a real store with chosen times: a check answered in
 * time, one answered late and one unanswered give exactly those figures;
 * one still within its limit is pending; exercise checks are counted only
 * on their own; the period bounds the checks counted; median and worst
 * response times are the human's (receipt to answer, the peer's clock).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checks.h"
#include "config.h"
#include "msg.h"
#include "store.h"
#include "testlib.h"
#include "util.h"

#define T0	1795417531000ULL
#define SEC	1000ULL
#define MIN	(60 * SEC)

struct env {
	char		 dir[4096];
	char		 db[4200];
	struct config	 cf;
	struct store	*st;
	uint8_t		 tag;
	uint64_t	 seq[2];
};

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	char err[256];

	assert_int_equal(testlib_tmpdir(e->dir, sizeof(e->dir), "checks"), 0);
	snprintf(e->db, sizeof(e->db), "%s/hotline.db", e->dir);
	assert_int_equal(config_load_string("[node]\nparty = us\n"
	    "[deadlines]\ncheck_immediate = 5m\n", "t.conf", &e->cf, err,
	    sizeof(err)), 0);
	assert_non_null(e->st = store_open(e->db, err, sizeof(err)));
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;

	store_free(e->st);
	testlib_rmtree(e->dir);
	free(e);
	return 0;
}

/*
 * A check to peer accepted at sent, received by the peer at recv (0: no
 * receipt yet), answered at answered (0: not). Returns nothing; asserts.
 */
static void
check_msg(struct env *e, const char *peer, bool exercise, uint64_t sent,
    uint64_t recv, uint64_t answered)
{
	struct msg m, ack;
	int pi = strcmp(peer, "ru") == 0 ? 0 : 1;

	memset(&m, 0, sizeof(m));
	m.version = MSG_VERSION;
	snprintf(m.from, sizeof(m.from), "us");
	snprintf(m.to, sizeof(m.to), "%s", peer);
	m.channel = CH_CHECK;
	m.prec = PREC_IMMEDIATE;
	snprintf(m.kind, sizeof(m.kind), "ping");
	m.seq = ++e->seq[pi];
	m.created = sent;
	m.exercise = exercise;
	m.body = (const uint8_t *)"{}";
	m.body_len = 2;
	memset(m.id, ++e->tag, sizeof(m.id));
	assert_int_equal(store_begin(e->st), 0);
	assert_int_equal(store_msg_insert(e->st, &m, DIR_OUT, peer, sent, NULL), 0);
	if (recv != 0)
		assert_int_equal(store_out_mark_delivered(e->st, peer, CH_CHECK,
		    PREC_IMMEDIATE, m.seq, m.seq, recv, ""), 0);
	if (answered != 0) {
		ack = m;
		snprintf(ack.from, sizeof(ack.from), "%s", peer);
		snprintf(ack.to, sizeof(ack.to), "us");
		snprintf(ack.kind, sizeof(ack.kind), "ack");
		ack.created = answered;
		ack.has_ref = true;
		memcpy(ack.ref, m.id, sizeof(ack.ref));
		memset(ack.id, ++e->tag, sizeof(ack.id));
		assert_int_equal(store_msg_insert(e->st, &ack, DIR_IN, peer,
		    answered + SEC, NULL), 0);
		assert_int_equal(store_msg_mark_acked(e->st, &ack), 0);
	}
	assert_int_equal(store_commit(e->st), 0);
}

static void
test_stats(void **state)
{
	struct env *e = *state;
	struct check_stats *s = NULL;
	int n = 0;

	/* ru: in time (2 min), late (7 min), unanswered, pending. */
	check_msg(e, "ru", false, T0, T0 + 1 * SEC, T0 + 1 * SEC + 2 * MIN);
	check_msg(e, "ru", false, T0 + 1 * MIN, T0 + 1 * MIN + SEC,
	    T0 + 1 * MIN + SEC + 7 * MIN);
	check_msg(e, "ru", false, T0 + 2 * MIN, T0 + 2 * MIN + SEC, 0);
	check_msg(e, "ru", false, T0 + 20 * MIN, T0 + 20 * MIN + SEC, 0);
	/* ru, exercise: answered in 30 s; never in the real figures. */
	check_msg(e, "ru", true, T0, T0 + SEC, T0 + 31 * SEC);
	/* fr: never received, limit passed: unanswered. */
	check_msg(e, "fr", false, T0, 0, 0);

	assert_int_equal(checks_stats(e->st, &e->cf, NULL, T0, T0 + 60 * MIN,
	    T0 + 22 * MIN, false, &s, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(s[0].peer, "fr");
	assert_int_equal(s[0].sent, 1);
	assert_int_equal(s[0].unanswered, 1);
	assert_int_equal(s[0].in_time + s[0].late + s[0].pending, 0);
	assert_string_equal(s[1].peer, "ru");
	assert_int_equal(s[1].sent, 4);
	assert_int_equal(s[1].in_time, 1);
	assert_int_equal(s[1].late, 1);
	assert_int_equal(s[1].unanswered, 1);
	assert_int_equal(s[1].pending, 1);
	assert_int_equal(s[1].median_ms, (2 * MIN + 7 * MIN) / 2);
	assert_int_equal(s[1].worst_ms, 7 * MIN);
	free(s);

	/* Exercise checks alone. */
	assert_int_equal(checks_stats(e->st, &e->cf, "ru", T0, T0 + 60 * MIN,
	    T0 + 22 * MIN, true, &s, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(s[0].sent, 1);
	assert_int_equal(s[0].in_time, 1);
	assert_int_equal(s[0].median_ms, 30 * SEC);
	free(s);

	/* The period: only the first two of ru's. */
	assert_int_equal(checks_stats(e->st, &e->cf, "ru", T0, T0 + 2 * MIN,
	    T0 + 22 * MIN, false, &s, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(s[0].sent, 2);
	assert_int_equal(s[0].in_time, 1);
	assert_int_equal(s[0].late, 1);
	free(s);

	/* Later, the pending one is unanswered too. */
	assert_int_equal(checks_stats(e->st, &e->cf, "ru", 0, T0 + 60 * MIN,
	    T0 + 26 * MIN, false, &s, &n), 0);
	assert_int_equal(s[0].unanswered, 2);
	assert_int_equal(s[0].pending, 0);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
