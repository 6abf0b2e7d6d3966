/*
 * test_stixdb.c: unit tests for src/stixdb.c on a real database: version
 * deduplication by (id, modified), the newest version current whatever the
 * arrival order, revoked staying revoked, collections kept apart,
 * provenance stored, query filters (type, id, versions first/last/all and
 * exact, added_after, paging by row), delete restoring the current
 * version, the indicator list (revoked and expired left out), statuses and
 * grants.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "stix.h"
#include "stixdb.h"
#include "store.h"
#include "testlib.h"

struct fx {
	char		 dir[PATH_MAX];
	char		 path[PATH_MAX];
	struct store	*st;
	struct stixdb	*db;
	int64_t		 added;
};

static int
setup(void **state)
{
	char err[256];
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL || testlib_tmpdir(fx->dir, sizeof(fx->dir), "stixdb") ==
	    -1 || testlib_path_join(fx->path, sizeof(fx->path), fx->dir,
	    "db") == -1 || (fx->st = store_open(fx->path, err, sizeof(err))) ==
	    NULL)
		return -1;
	fx->db = stixdb_new(fx->st);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	stixdb_free(fx->db);
	store_free(fx->st);
	testlib_rmtree(fx->dir);
	free(fx);
	return 0;
}

#define ID1 "indicator--11111111-1111-4111-8111-111111111111"
#define ID2 "indicator--22222222-2222-4222-8222-222222222222"

/* Put an indicator version; returns stixdb_put's result. */
static int
put(struct fx *fx, const char *coll, const char *id, const char *modified,
    int revoked, const char *valid_until, char *why)
{
	char text[1024];
	struct stix_meta m;
	json_t *o;
	int rc;

	snprintf(text, sizeof(text), "{\"type\":\"indicator\",\"spec_version\":"
	    "\"2.1\",\"id\":\"%s\",\"created\":\"2020-01-01T00:00:00Z\","
	    "\"modified\":\"%s\",\"pattern\":\"[ipv4-addr:value = "
	    "'1.2.3.4']\",\"pattern_type\":\"stix\",\"valid_from\":"
	    "\"2020-01-01T00:00:00Z\",\"revoked\":%s%s%s%s}", id, modified,
	    revoked ? "true" : "false", valid_until ? ",\"valid_until\":\"" :
	    "", valid_until ? valid_until : "", valid_until ? "\"" : "");
	o = json_loads(text, 0, NULL);
	assert_non_null(o);
	assert_int_equal(stix_validate(o, &m, why, 256), 0);
	assert_int_equal(store_begin(fx->st), 0);
	rc = stixdb_put(fx->db, coll, &m, 2, text, "peer:ru", "abcd",
	    ++fx->added, why, 256);
	assert_int_equal(store_commit(fx->st), 0);
	json_decref(o);
	return rc;
}

struct rows {
	int	 n;
	char	 versions[16][40];
	int	 current[16];
	char	 source[32];
};

static int
rows_cb(void *arg, const struct stixdb_row *r)
{
	struct rows *rs = arg;

	if (rs->n < 16) {
		stix_time_format(r->version, rs->versions[rs->n]);
		rs->current[rs->n] = r->current;
		snprintf(rs->source, sizeof(rs->source), "%s", r->source);
	}
	rs->n++;
	return 0;
}

static struct rows
query(struct fx *fx, struct stixdb_filter *f)
{
	struct rows rs;

	memset(&rs, 0, sizeof(rs));
	if (f->limit == 0)
		f->limit = 100;
	assert_true(stixdb_query(fx->db, f, rows_cb, &rs) >= 0);
	return rs;
}

static void
test_versions(void **state)
{
	struct fx *fx = *state;
	struct stixdb_filter f;
	struct rows rs;
	char why[256];

	assert_int_equal(put(fx, "in:ru", ID1, "2020-02-01T00:00:00Z", 0, NULL,
	    why), 0);
	/* the same version again, also written differently: held */
	assert_int_equal(put(fx, "in:ru", ID1, "2020-02-01T00:00:00Z", 0, NULL,
	    why), 1);
	assert_int_equal(put(fx, "in:ru", ID1, "2020-02-01T00:00:00.000Z", 0,
	    NULL, why), 1);
	/* an older version arriving later is kept but not current */
	assert_int_equal(put(fx, "in:ru", ID1, "2020-01-15T00:00:00Z", 0, NULL,
	    why), 0);
	assert_int_equal(put(fx, "in:ru", ID1, "2020-03-01T00:00:00Z", 0, NULL,
	    why), 0);
	/* another collection is separate */
	assert_int_equal(put(fx, "local", ID1, "2020-02-01T00:00:00Z", 0, NULL,
	    why), 0);

	memset(&f, 0, sizeof(f));
	f.coll = "in:ru";
	f.v_all = 1;
	rs = query(fx, &f);
	assert_int_equal(rs.n, 3);
	assert_string_equal(rs.source, "peer:ru");
	memset(&f, 0, sizeof(f));
	f.coll = "in:ru";
	f.v_last = 1;
	rs = query(fx, &f);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.versions[0], "2020-03-01T00:00:00.000Z");
	memset(&f, 0, sizeof(f));
	f.coll = "in:ru";
	f.v_first = 1;
	rs = query(fx, &f);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.versions[0], "2020-01-15T00:00:00.000Z");
	{
		int64_t v[1];

		assert_int_equal(stix_time_parse("2020-02-01T00:00:00Z", &v[0]),
		    0);
		memset(&f, 0, sizeof(f));
		f.coll = "in:ru";
		f.versions = v;
		f.nversions = 1;
		rs = query(fx, &f);
		assert_int_equal(rs.n, 1);
		assert_int_equal(rs.current[0], 0);
	}
	/* no collection: every collection's current version */
	memset(&f, 0, sizeof(f));
	rs = query(fx, &f);
	assert_int_equal(rs.n, 2);
}

static void
test_revoked(void **state)
{
	struct fx *fx = *state;
	char why[256];

	assert_int_equal(put(fx, "in:ru", ID2, "2020-02-01T00:00:00Z", 0, NULL,
	    why), 0);
	assert_int_equal(put(fx, "in:ru", ID2, "2020-03-01T00:00:00Z", 1, NULL,
	    why), 0);
	assert_int_equal(put(fx, "in:ru", ID2, "2020-04-01T00:00:00Z", 0, NULL,
	    why), 2);
	assert_non_null(strstr(why, "revoked"));
	/* a later revoked version is fine; an earlier unrevoked one too */
	assert_int_equal(put(fx, "in:ru", ID2, "2020-05-01T00:00:00Z", 1, NULL,
	    why), 0);
	assert_int_equal(put(fx, "in:ru", ID2, "2020-01-01T00:00:00Z", 0, NULL,
	    why), 0);
}

struct inds {
	int	 n;
};

static int
ind_cb(void *arg, const struct stixdb_row *r)
{
	struct inds *is = arg;

	assert_non_null(r->pattern);
	is->n++;
	return 0;
}

static void
test_indicators(void **state)
{
	struct fx *fx = *state;
	struct inds is = { 0 };
	char why[256];

	assert_int_equal(put(fx, "in:ru", ID1, "2020-02-01T00:00:00Z", 0, NULL,
	    why), 0);
	assert_int_equal(put(fx, "in:ru", ID2, "2020-02-01T00:00:00Z", 0,
	    "2021-01-01T00:00:00Z", why), 0);
	assert_int_equal(put(fx, "local", ID2, "2020-02-01T00:00:00Z", 1, NULL,
	    why), 0);
	/* now = 2020-06: ID2 in in:ru is still valid */
	assert_int_equal(stixdb_indicators(fx->db, 1591000000000000LL, ind_cb,
	    &is), 2);
	/* 2022: expired */
	is.n = 0;
	assert_int_equal(stixdb_indicators(fx->db, 1650000000000000LL, ind_cb,
	    &is), 1);
}

static void
test_paging_delete(void **state)
{
	struct fx *fx = *state;
	struct stixdb_filter f;
	struct rows rs;
	char why[256], id[64];
	int i;

	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "indicator--%08d-0000-4000-8000-"
		    "000000000000", i);
		assert_int_equal(put(fx, "local", id, "2020-02-01T00:00:00Z", 0,
		    NULL, why), 0);
	}
	memset(&f, 0, sizeof(f));
	f.coll = "local";
	f.added_after = 5;
	rs = query(fx, &f);
	assert_int_equal(rs.n, 5);
	memset(&f, 0, sizeof(f));
	f.coll = "local";
	f.after_rid = 3;
	f.limit = 4;
	rs = query(fx, &f);
	assert_int_equal(rs.n, 4);
	/* delete the newest version: the older one becomes current */
	assert_int_equal(put(fx, "local", "indicator--00000001-0000-4000-8000-"
	    "000000000000", "2020-03-01T00:00:00Z", 0, NULL, why), 0);
	memset(&f, 0, sizeof(f));
	f.coll = "local";
	f.v_last = 1;
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(stixdb_delete(fx->db, &f, "indicator--00000001-0000-"
	    "4000-8000-000000000000"), 1);
	assert_int_equal(store_commit(fx->st), 0);
	memset(&f, 0, sizeof(f));
	f.coll = "local";
	rs = query(fx, &f);
	assert_int_equal(rs.n, 10);
}

static void
test_status_grants(void **state)
{
	struct fx *fx = *state;
	char *body;
	int r, w;

	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(stixdb_status_put(fx->db, "s1", 1, "{}"), 0);
	assert_int_equal(stixdb_grant_set(fx->db, "alice", "out:ru", 1, 0), 0);
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(stixdb_status_get(fx->db, "s1", &body), 0);
	assert_string_equal(body, "{}");
	free(body);
	assert_int_equal(stixdb_status_get(fx->db, "s2", &body), 1);
	assert_int_equal(stixdb_grant_get(fx->db, "alice", "out:ru", &r, &w),
	    0);
	assert_int_equal(r, 1);
	assert_int_equal(w, 0);
	assert_int_equal(stixdb_grant_get(fx->db, "bob", "out:ru", &r, &w), 1);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(stixdb_grant_set(fx->db, "alice", "out:ru", 0, 0), 0);
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(stixdb_grant_get(fx->db, "alice", "out:ru", &r, &w),
	    1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_indicators, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_paging_delete, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_status_grants, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
