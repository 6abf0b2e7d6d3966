/*
 * test_pcache.c: the page cache wrapper (src/pcache.c). Random-key inserts
 * move pages beyond the end of the file and back (balance_nonroot); the
 * commits that follow must not hand their truncation to SQLite's cache,
 * while every truncation that can drop a page (a rolled-back transaction
 * that grew the file, a cache reset after another connection wrote) must.
 * The data stays right through it all: a model of the table is compared
 * after every step, and the database passes integrity_check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "pcache.h"
#include "testlib.h"

#define NKEYS	20000

static int	installed = -1;

struct fix {
	char	 dir[4096];
	char	 path[4200];
	sqlite3	*db;
};

static int64_t
rows(struct fix *f)
{
	return testlib_sql_int(f->db, "SELECT COUNT(*) FROM t");
}

static void
check_ok(sqlite3 *db)
{
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check",
	    -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
	sqlite3_finalize(s);
}

static sqlite3 *
open_db(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	testlib_sql_exec(db, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = OFF;"
	    "PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 0");
	return db;
}

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(installed, 0);
	assert_int_equal(testlib_tmpdir(f->dir, sizeof(f->dir), "pcache"),
	    0);
	assert_int_equal(testlib_path_join(f->path, sizeof(f->path), f->dir,
	    "t.db"), 0);
	f->db = open_db(f->path);
	testlib_sql_exec(f->db,
	    "CREATE TABLE t (k BLOB NOT NULL UNIQUE, v INTEGER)");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	sqlite3_close(f->db);
	testlib_rmtree(f->dir);
	free(f);
	return 0;
}

/* Insert n rows with random 32-byte keys and v = base + i, in one
 * transaction; commit or roll back. */
static void
insert_random(sqlite3 *db, int n, int64_t base, bool commit)
{
	sqlite3_stmt *s;
	uint8_t key[32];
	int i, j;

	testlib_sql_exec(db, "BEGIN");
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?, ?)",
	    -1, &s, NULL), SQLITE_OK);
	for (i = 0; i < n; i++) {
		for (j = 0; j < (int)sizeof(key); j++)
			key[j] = (uint8_t)random();
		sqlite3_bind_blob(s, 1, key, sizeof(key), SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, base + i);
		assert_int_equal(sqlite3_step(s), SQLITE_DONE);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	testlib_sql_exec(db, commit ? "COMMIT" : "ROLLBACK");
}

/* Growing by random keys: pages go past the end and back, and not one
 * commit's truncation is handed on. */
static void
test_commits_skip(void **state)
{
	struct fix *f = *state;
	struct pcache_stats a, b;
	int i;

	srandom(1);
	insert_random(f->db, 2000, 0, true);
	pcache_stats(&a);
	for (i = 0; i < 50; i++)
		insert_random(f->db, NKEYS / 50, 2000 + i * (NKEYS / 50), true);
	pcache_stats(&b);
	assert_true(b.high_rekeys > a.high_rekeys);
	assert_true(b.truncates - a.truncates >= 50);
	assert_int_equal(b.passed, a.passed);
	assert_int_equal(rows(f), 2000 +
	    NKEYS);
	assert_int_equal(testlib_sql_int(f->db, "SELECT SUM(v) FROM t"),
	    (int64_t)(2000 + NKEYS) * (2000 + NKEYS - 1) / 2);
	check_ok(f->db);
}

/* A rolled-back transaction that grew the file: its pages past the old end
 * must be dropped, so the truncation goes through; the next transaction
 * reuses those page numbers and reads nothing stale. */
static void
test_rollback_passes(void **state)
{
	struct fix *f = *state;
	struct pcache_stats a, b;
	int64_t pages, n;
	int i;

	srandom(2);
	insert_random(f->db, 3000, 0, true);
	for (i = 0; i < 5; i++) {
		pages = testlib_sql_int(f->db, "PRAGMA page_count");
		n = rows(f);
		pcache_stats(&a);
		insert_random(f->db, 3000, 1000000, false);
		pcache_stats(&b);
		assert_true(b.passed > a.passed);
		assert_int_equal(testlib_sql_int(f->db, "PRAGMA page_count"),
		    pages);
		assert_int_equal(rows(f), n);
		assert_int_equal(testlib_sql_int(f->db,
		    "SELECT COUNT(*) FROM t "
		    "WHERE v >= 1000000"), 0);
		insert_random(f->db, 1000, 10000 * (i + 1), true);
		check_ok(f->db);
	}
	assert_int_equal(rows(f), 8000);
}

/* Another connection writes: the first one's cache is reset (handed on)
 * and it sees the new rows. */
static void
test_other_writer(void **state)
{
	struct fix *f = *state;
	struct pcache_stats a, b;
	sqlite3 *db2;

	srandom(3);
	insert_random(f->db, 2000, 0, true);
	assert_int_equal(rows(f), 2000);
	db2 = open_db(f->path);
	insert_random(db2, 2000, 2000, true);
	pcache_stats(&a);
	assert_int_equal(rows(f), 4000);
	assert_int_equal(testlib_sql_int(f->db, "SELECT SUM(v) FROM t"),
	    (int64_t)4000 * 3999 / 2);
	pcache_stats(&b);
	assert_true(b.passed > a.passed);
	insert_random(f->db, 500, 4000, true);
	assert_int_equal(testlib_sql_int(db2, "SELECT COUNT(*) FROM t"), 4500);
	/* Shrinking the file (VACUUM after deletes) and growing again. */
	testlib_sql_exec(f->db, "DELETE FROM t WHERE v % 2 = 0; VACUUM");
	insert_random(db2, 1000, 100000, true);
	assert_int_equal(rows(f), 3250);
	check_ok(f->db);
	check_ok(db2);
	sqlite3_close(db2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commits_skip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rollback_passes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_other_writer, setup,
		    teardown),
	};

	/* Before anything opens a database. */
	installed = pcache_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
