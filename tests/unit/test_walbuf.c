/*
 * test_walbuf.c: the VFS that gathers WAL writes (src/walbuf.c). Another
 * connection, on SQLite's default VFS, must see every commit as soon as
 * it returns (its frames are in the file), never a part of one; the
 * writer must read back what it spilled from a small cache; WAL restarts
 * after checkpoints, roll-backs and a process that dies in the middle of
 * a transaction must leave the database whole, with every commit in it.
 * And the writes must in fact be gathered.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "walbuf.h"
#include "testlib.h"

struct fix {
	char	 dir[4096];
	char	 path[4200];
};

static sqlite3 *
open_db(const char *path, const char *vfs)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, vfs), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (f == NULL || testlib_tmpdir(f->dir, sizeof(f->dir), "walbuf") ==
	    -1)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	testlib_rmtree(f->dir);
	free(f);
	return 0;
}

/* Insert n rows with random keys and bodies of 100-3,000 bytes. */
static void
insert_rows(sqlite3 *db, int n, unsigned *seed)
{
	sqlite3_stmt *s;
	char body[3000];
	int i, len;

	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t (k, body) "
	    "VALUES (?, ?)", -1, &s, NULL), SQLITE_OK);
	for (i = 0; i < n; i++) {
		len = 100 + (int)(rand_r(seed) % 2900);
		memset(body, 'a' + (int)(rand_r(seed) % 26), (size_t)len);
		sqlite3_bind_int64(s, 1, ((int64_t)rand_r(seed) << 31) ^
		    rand_r(seed));
		sqlite3_bind_blob(s, 2, body, len, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			fail_msg("insert: %s", sqlite3_errmsg(db));
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
}

static const char *count_sql = "SELECT count(*) FROM t";
static const char *sum_sql = "SELECT total(length(body)) + total(k % 1000) "
    "FROM t";

/* Commits, roll-backs, spills and checkpoints, checked from outside after
 * each step. */
static void
test_commits_seen_at_once(void **state)
{
	struct fix *f = *state;
	const char *vfs = walbuf_vfs();
	struct walbuf_stats s0, s1;
	sqlite3 *w, *r;
	unsigned seed = 7;
	int64_t n = 0, sum;
	int round;

	assert_non_null(vfs);
	w = open_db(f->path, vfs);
	testlib_sql_exec(w, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = NORMAL;"
	    "CREATE TABLE t (k INTEGER, body BLOB);"
	    "CREATE INDEX t_k ON t (k);");
	r = open_db(f->path, NULL);
	for (round = 0; round < 60; round++) {
		/* Every fifth round a tiny cache: the transaction spills
		 * frames before its commit and reads them back. */
		testlib_sql_exec(w, round % 5 == 4 ? "PRAGMA cache_size = 10" :
		    "PRAGMA cache_size = -8192");
		sum = (int64_t)testlib_sql_int(r, sum_sql);
		testlib_sql_exec(w, "BEGIN");
		insert_rows(w, 50 + round * 7, &seed);
		if (round % 7 == 3) {
			testlib_sql_exec(w, "ROLLBACK");
			assert_int_equal(testlib_sql_int(r, count_sql), n);
			assert_int_equal(testlib_sql_int(r, sum_sql), sum);
			continue;
		}
		if (round % 4 == 1)	/* rows changed again before commit */
			testlib_sql_exec(w, "UPDATE t SET body = zeroblob(50) "
			    "WHERE k % 5 = 0");
		/* Not committed: the reader sees none of it. */
		assert_int_equal(testlib_sql_int(r, count_sql), n);
		testlib_sql_exec(w, "COMMIT");
		n += 50 + round * 7;
		assert_int_equal(testlib_sql_int(r, count_sql), n);
		assert_int_equal(testlib_sql_int(r, sum_sql),
		    testlib_sql_int(w, sum_sql));
		if (round % 9 == 8)	/* the writer starts the WAL over */
			testlib_sql_exec(r, "PRAGMA wal_checkpoint(TRUNCATE)");
	}
	/* A commit from a cache that holds it: SQLite's two writes per
	 * frame reach the file as a few large ones. */
	testlib_sql_exec(w, "PRAGMA cache_size = -8192");
	walbuf_stats(&s0);
	testlib_sql_exec(w, "BEGIN");
	insert_rows(w, 2000, &seed);
	testlib_sql_exec(w, "COMMIT");
	n += 2000;
	walbuf_stats(&s1);
	assert_int_equal(testlib_sql_int(r, count_sql), n);
	assert_true(s1.writes - s0.writes > 1000);
	assert_true((s1.flushes - s0.flushes) * 20 < s1.writes - s0.writes);
	sqlite3_close(r);
	sqlite3_close(w);
	w = open_db(f->path, NULL);
	assert_int_equal(testlib_sql_int(w, count_sql), n);
	assert_int_equal(testlib_sql_int(w, "SELECT count(*) FROM "
	    "pragma_integrity_check "
	    "WHERE integrity_check != 'ok'"), 0);
	sqlite3_close(w);
}

/* A process that dies in a transaction (after gathering frames it never
 * wrote) leaves every commit before it, and nothing of it. */
static void
test_death_mid_transaction(void **state)
{
	struct fix *f = *state;
	int p[2], status;
	int64_t committed = -1, v;
	pid_t pid;
	sqlite3 *db;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		unsigned seed = 11;
		int i;

		close(p[0]);
		db = open_db(f->path, walbuf_vfs());
		testlib_sql_exec(db, "PRAGMA journal_mode = WAL;"
		    "PRAGMA synchronous = FULL;"
		    "CREATE TABLE t (k INTEGER, body BLOB);"
		    "CREATE INDEX t_k ON t (k);");
		for (i = 0; i < 20; i++) {
			testlib_sql_exec(db, "BEGIN");
			insert_rows(db, 100, &seed);
			testlib_sql_exec(db, "COMMIT");
			v = testlib_sql_int(db, count_sql);
			if (write(p[1], &v, sizeof(v)) != sizeof(v))
				_exit(2);
		}
		testlib_sql_exec(db, "BEGIN");
		insert_rows(db, 3000, &seed);	/* gathered, not written */
		_exit(0);
	}
	close(p[1]);
	while (read(p[0], &v, sizeof(v)) == sizeof(v))
		committed = v;
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(committed, 2000);
	db = open_db(f->path, NULL);
	assert_int_equal(testlib_sql_int(db, count_sql), committed);
	assert_int_equal(testlib_sql_int(db, "SELECT count(*) FROM "
	    "pragma_integrity_check WHERE integrity_check != 'ok'"), 0);
	sqlite3_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commits_seen_at_once,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_death_mid_transaction,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
