/*
 * test_notify.c: deadlines and escalation (src/notify.c) with an injected
 * clock and a real store: a notification not acknowledged in time becomes
 * overdue, the hook runs once with the right environment, a late ack is
 * recorded as late, and a restart (store and notify closed and reopened)
 * in between changes nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "msg.h"
#include "notify.h"
#include "store.h"
#include "store_nrrc.h"
#include "templates.h"
#include "testlib.h"
#include "util.h"

#define T0	1795417531000ULL	/* 2026-11-23T07:05:31Z */
#define MIN	60000ULL

static uint64_t fake_now;

static uint64_t
fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

static void
mkmsg(struct msg *m, uint8_t tag, const char *from, const char *to, int ch,
    int prec, uint64_t seq, const char *kind, const char *body)
{
	memset(m, 0, sizeof(*m));
	m->version = MSG_VERSION;
	snprintf(m->from, sizeof(m->from), "%s", from);
	snprintf(m->to, sizeof(m->to), "%s", to);
	m->channel = (uint8_t)ch;
	snprintf(m->kind, sizeof(m->kind), "%s", kind);
	m->prec = (uint8_t)prec;
	m->seq = seq;
	m->created = T0 - 1000;	/* the sender's clock: never used */
	m->body = (const uint8_t *)body;
	m->body_len = (uint32_t)strlen(body);
	memset(m->sig, 0xa5, sizeof(m->sig));
	memset(m->id, tag, sizeof(m->id));
}

struct env {
	char		 dir[4096];
	char		 db[4200];
	char		 out[4200];
	struct config	 cf;
	struct store	*st;
	struct tpl_cat	*cat;
	struct notify	*n;
};

static void
env_open(struct env *e)
{
	char err[256];

	e->st = store_open(e->db, err, sizeof(err));
	assert_non_null(e->st);
	e->n = notify_new(e->st, &e->cf, e->cat, fake_clock, NULL);
}

static void
env_close(struct env *e)
{
	notify_free(e->n);
	store_free(e->st);
	e->n = NULL;
	e->st = NULL;
}

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	char err[256], cfg[16384];

	assert_int_equal(testlib_tmpdir(e->dir, sizeof(e->dir), "notify"), 0);
	snprintf(e->db, sizeof(e->db), "%s/hotline.db", e->dir);
	snprintf(e->out, sizeof(e->out), "%s/hook.out", e->dir);
	snprintf(cfg, sizeof(cfg), "[node]\nparty = ru\ndata_dir = %s\n"
	    "[nrrc]\nescalate_hook = env | grep ^HOTLINE_ | sort >> %s; "
	    "echo --- >> %s\n", e->dir, e->out, e->out);
	assert_int_equal(config_load_string(cfg, "test.conf", &e->cf, err,
	    sizeof(err)), 0);
	/* The defaults of the issue. */
	assert_int_equal(e->cf.deadline_ms[CH_NRRC][PREC_FLASH], 10 * MIN);
	assert_int_equal(e->cf.deadline_ms[CH_NRRC][PREC_IMMEDIATE], 60 * MIN);
	assert_int_equal(e->cf.deadline_ms[CH_NRRC][PREC_PRIORITY],
	    6 * 60 * MIN);
	assert_int_equal(e->cf.deadline_ms[CH_NRRC][PREC_ROUTINE],
	    24 * 60 * MIN);
	assert_int_equal(e->cf.deadline_ms[CH_CERT][PREC_FLASH], 0);
	e->cat = tpl_cat_load_dir(e->cf.templates_dir, err, sizeof(err));
	assert_non_null(e->cat);
	env_open(e);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;

	env_close(e);
	tpl_cat_free(e->cat);
	testlib_rmtree(e->dir);
	free(e);
	return 0;
}

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *data;
	size_t n;

	if (fp == NULL)
		return xstrdup("");
	data = xmalloc(65536);
	n = fread(data, 1, 65535, fp);
	data[n] = '\0';
	fclose(fp);
	return data;
}

static int
count(const char *s, const char *needle)
{
	int n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static const char incident[] = "{\"template\":\"incident-notification\","
    "\"catalogue\":\"hotline-nrrc\",\"version\":1,\"fields\":{\"reference\":"
    "\"US-NRRC-2026-0042\"}}";

static void
facts(struct env *e, const char *id, struct deadline_facts *f)
{
	struct msg_row row;

	assert_int_equal(store_msg_get(e->st, id, &row), 0);
	assert_int_equal(notify_facts(e->st, &e->cf, &row, fake_now, f), 0);
	msg_row_clear(&row);
}

static void
test_overdue_hook_late(void **state)
{
	struct env *e = *state;
	struct deadline_facts f;
	struct msg m, ack, cert;
	char id[ID_HEX_LEN + 1], *out;

	/* A FLASH notification from us arrives at T0 (sender's clock is
	 * earlier: it does not count); a cert message, no deadline. */
	mkmsg(&m, 0x11, "us", "ru", CH_NRRC, PREC_FLASH, 1, "notification",
	    incident);
	mkmsg(&cert, 0x12, "us", "ru", CH_CERT, PREC_FLASH, 1, "stix-bundle",
	    "{}");
	assert_int_equal(store_begin(e->st), 0);
	assert_int_equal(store_msg_insert(e->st, &m, DIR_IN, "us", T0, NULL), 0);
	assert_int_equal(store_msg_insert(e->st, &cert, DIR_IN, "us", T0, NULL), 0);
	assert_int_equal(store_commit(e->st), 0);
	hex_encode(m.id, MSG_ID_LEN, id);

	fake_now = T0 + 9 * MIN;
	assert_int_equal(notify_scan(e->n), 0);
	facts(e, id, &f);
	assert_int_equal(f.state, DL_OPEN);
	assert_int_equal(f.deadline, T0 + 10 * MIN);

	/* One minute past: overdue, escalated, hook started once. */
	fake_now = T0 + 11 * MIN;
	assert_int_equal(notify_scan(e->n), 1);
	assert_int_equal(notify_hooks_wait(e->n, 5000), 0);
	facts(e, id, &f);
	assert_int_equal(f.state, DL_OVERDUE);
	assert_int_equal(f.overdue_at, T0 + 11 * MIN);
	assert_int_equal(f.hook_at, T0 + 11 * MIN);
	out = slurp(e->out);
	assert_int_equal(count(out, "---"), 1);
	assert_non_null(strstr(out, "HOTLINE_EVENT=overdue\n"));
	assert_non_null(strstr(out, "HOTLINE_MSG_ID="));
	assert_non_null(strstr(out, id));
	assert_non_null(strstr(out, "HOTLINE_DIRECTION=in\n"));
	assert_non_null(strstr(out, "HOTLINE_PEER=us\n"));
	assert_non_null(strstr(out, "HOTLINE_CHANNEL=nrrc\n"));
	assert_non_null(strstr(out, "HOTLINE_PRECEDENCE=flash\n"));
	assert_non_null(strstr(out, "HOTLINE_RECEIVED=2026-11-23T07:05:31.000Z"));
	assert_non_null(strstr(out, "HOTLINE_DEADLINE=2026-11-23T07:15:31.000Z"));
	assert_non_null(strstr(out, "HOTLINE_EXERCISE=0\n"));
	assert_non_null(strstr(out, "HOTLINE_TEMPLATE=incident-notification\n"));
	assert_non_null(strstr(out, "HOTLINE_REFERENCE=US-NRRC-2026-0042\n"));
	free(out);

	/* More passes, then a restart: nothing new. */
	fake_now = T0 + 12 * MIN;
	assert_int_equal(notify_scan(e->n), 0);
	env_close(e);
	env_open(e);
	fake_now = T0 + 13 * MIN;
	assert_int_equal(notify_scan(e->n), 0);
	assert_int_equal(notify_hooks_wait(e->n, 5000), 0);
	facts(e, id, &f);
	assert_int_equal(f.state, DL_OVERDUE);
	out = slurp(e->out);
	assert_int_equal(count(out, "---"), 1);
	free(out);

	/* The watch officer acknowledges at T0 + 14 min: late. */
	mkmsg(&ack, 0x21, "ru", "us", CH_NRRC, PREC_FLASH, 1, "ack", "{}");
	ack.created = T0 + 14 * MIN;
	ack.has_ref = true;
	memcpy(ack.ref, m.id, MSG_ID_LEN);
	assert_int_equal(store_begin(e->st), 0);
	assert_int_equal(store_msg_insert(e->st, &ack, DIR_OUT, "us",
	    ack.created, NULL), 0);
	assert_int_equal(store_msg_mark_acked(e->st, &ack), 0);
	assert_int_equal(store_commit(e->st), 0);
	/* Restart before the pass: the queued ack survives. */
	env_close(e);
	env_open(e);
	fake_now = T0 + 15 * MIN;
	assert_int_equal(notify_scan(e->n), 1);
	facts(e, id, &f);
	assert_int_equal(f.state, DL_LATE);
	assert_int_equal(f.late_at, T0 + 14 * MIN);
	/* Recorded once; no further hook. */
	assert_int_equal(notify_scan(e->n), 0);
	env_close(e);
	env_open(e);
	facts(e, id, &f);
	assert_int_equal(f.state, DL_LATE);
	assert_int_equal(notify_hooks_wait(e->n, 5000), 0);
	out = slurp(e->out);
	assert_int_equal(count(out, "---"), 1);
	free(out);
}

/* An ack in time is not late and nothing escalates; outbound deadlines
 * run from the peer's receipt time. */
static void
test_in_time_and_outbound(void **state)
{
	struct env *e = *state;
	struct deadline_facts f;
	struct msg m, ack, out;
	char id[ID_HEX_LEN + 1], oid[ID_HEX_LEN + 1], *hooks;

	mkmsg(&m, 0x31, "us", "ru", CH_NRRC, PREC_IMMEDIATE, 1, "inquiry",
	    "{}");
	mkmsg(&out, 0x32, "ru", "us", CH_NRRC, PREC_ROUTINE, 1, "notification",
	    "{}");
	out.exercise = true;
	assert_int_equal(store_begin(e->st), 0);
	assert_int_equal(store_msg_insert(e->st, &m, DIR_IN, "us", T0, NULL), 0);
	assert_int_equal(store_msg_insert(e->st, &out, DIR_OUT, "us", T0, NULL), 0);
	/* Not delivered yet: no deadline. Then the peer's receipt at T0+1h. */
	assert_int_equal(store_commit(e->st), 0);
	hex_encode(m.id, MSG_ID_LEN, id);
	hex_encode(out.id, MSG_ID_LEN, oid);
	fake_now = T0 + 100 * 60 * MIN;
	facts(e, oid, &f);
	assert_int_equal(f.state, DL_NONE);
	assert_int_equal(store_begin(e->st), 0);
	assert_int_equal(store_out_mark_delivered(e->st, "us", CH_NRRC,
	    PREC_ROUTINE, 1, 1, T0 + 60 * MIN, ""), 0);
	mkmsg(&ack, 0x33, "ru", "us", CH_NRRC, PREC_IMMEDIATE, 1, "ack", "{}");
	ack.created = T0 + 59 * MIN;
	ack.has_ref = true;
	memcpy(ack.ref, m.id, MSG_ID_LEN);
	assert_int_equal(store_msg_insert(e->st, &ack, DIR_OUT, "us",
	    ack.created, NULL), 0);
	assert_int_equal(store_msg_mark_acked(e->st, &ack), 0);
	assert_int_equal(store_commit(e->st), 0);

	fake_now = T0 + 60 * MIN + 24 * 60 * MIN - 1;
	assert_int_equal(notify_scan(e->n), 0);
	facts(e, id, &f);
	assert_int_equal(f.state, DL_MET);
	facts(e, oid, &f);
	assert_int_equal(f.state, DL_OPEN);
	assert_int_equal(f.deadline, T0 + 60 * MIN + 24 * 60 * MIN);
	fake_now += 2;
	assert_int_equal(notify_scan(e->n), 1);
	assert_int_equal(notify_hooks_wait(e->n, 5000), 0);
	facts(e, oid, &f);
	assert_int_equal(f.state, DL_OVERDUE);
	hooks = slurp(e->out);
	assert_int_equal(count(hooks, "---"), 1);
	assert_non_null(strstr(hooks, "HOTLINE_DIRECTION=out\n"));
	assert_non_null(strstr(hooks, "HOTLINE_EXERCISE=1\n"));
	free(hooks);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_overdue_hook_late, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_in_time_and_outbound,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
