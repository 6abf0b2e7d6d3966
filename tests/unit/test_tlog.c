/*
 * test_tlog.c: the Merkle log (src/tlog.c). Tree hashes, inclusion proofs
 * and consistency proofs computed from stored subtree hashes are compared,
 * for every tree size up to N_MAX and every leaf / old size, with a
 * straightforward reference computation of RFC 6962 section 2.1 over the
 * plain list of leaf hashes (recomputing everything from the leaves), and
 * checked with the RFC 9162 verifiers, which must also refuse every
 * altered proof. The same is done for the SQLite-backed log, which must
 * also follow rollbacks, survive a reopen, and be read the same after the
 * migration from subtree hashes keyed by (level, index).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>
#include <sqlite3.h>

#include "store.h"
#include "testlib.h"
#include "tlog.h"

#define N_MAX	300

/* The reference: RFC 6962 2.1, over leaves[lo, hi), no stored state. */
static uint8_t leaves[N_MAX][32];

static uint64_t
ref_k(uint64_t n)
{
	uint64_t k = 1;

	while (2 * k < n)
		k *= 2;
	return k;
}

/* Memo of ref_mth over the current leaves (cleared when they change), so
 * the reference stays the plain recursion without costing O(n) per call. */
static uint8_t memo[N_MAX + 1][N_MAX + 1][32];
static uint8_t memo_set[N_MAX + 1][N_MAX + 1];

static void
ref_mth(uint64_t lo, uint64_t hi, uint8_t out[32])
{
	uint8_t a[32], b[32], buf[65];
	uint64_t k;

	if (memo_set[lo][hi]) {
		memcpy(out, memo[lo][hi], 32);
		return;
	}
	if (hi == lo) {
		SHA256((const uint8_t *)"", 0, out);
		return;
	}
	if (hi - lo == 1) {
		memcpy(out, leaves[lo], 32);
		return;
	}
	k = ref_k(hi - lo);
	ref_mth(lo, lo + k, a);
	ref_mth(lo + k, hi, b);
	buf[0] = 1;
	memcpy(buf + 1, a, 32);
	memcpy(buf + 33, b, 32);
	SHA256(buf, sizeof(buf), out);
	memcpy(memo[lo][hi], out, 32);
	memo_set[lo][hi] = 1;
}

static void
ref_path(uint64_t m, uint64_t lo, uint64_t hi, uint8_t p[][32], int *n)
{
	uint64_t k;

	if (hi - lo <= 1)
		return;
	k = ref_k(hi - lo);
	if (m < k) {
		ref_path(m, lo, lo + k, p, n);
		ref_mth(lo + k, hi, p[(*n)++]);
	} else {
		ref_path(m - k, lo + k, hi, p, n);
		ref_mth(lo, lo + k, p[(*n)++]);
	}
}

static void
ref_subproof(uint64_t m, uint64_t lo, uint64_t hi, int b, uint8_t p[][32],
    int *n)
{
	uint64_t k;

	if (m == hi - lo) {
		if (!b)
			ref_mth(lo, hi, p[(*n)++]);
		return;
	}
	k = ref_k(hi - lo);
	if (m <= k) {
		ref_subproof(m, lo, lo + k, b, p, n);
		ref_mth(lo + k, hi, p[(*n)++]);
	} else {
		ref_subproof(m - k, lo + k, hi, 0, p, n);
		ref_mth(lo, lo + k, p[(*n)++]);
	}
}

/* An in-memory store of complete-subtree hashes. */
static uint8_t mem[TLOG_LEVELS][N_MAX][32];
static uint8_t mem_set[TLOG_LEVELS][N_MAX];

static int
mem_read(void *arg, int level, uint64_t idx, uint8_t out[32])
{
	(void)arg;
	if (level >= TLOG_LEVELS || idx >= N_MAX || !mem_set[level][idx])
		return -1;
	memcpy(out, mem[level][idx], 32);
	return 0;
}

static int
mem_write(void *arg, int level, uint64_t idx, const uint8_t h[32])
{
	(void)arg;
	if (level >= TLOG_LEVELS || idx >= N_MAX || mem_set[level][idx])
		return -1;	/* written twice: a bug */
	memcpy(mem[level][idx], h, 32);
	mem_set[level][idx] = 1;
	return 0;
}

static void
make_leaves(void)
{
	uint8_t data[16];
	int i;

	for (i = 0; i < N_MAX; i++) {
		memset(data, 0, sizeof(data));
		snprintf((char *)data, sizeof(data), "leaf %d", i);
		tlog_leaf_hash(data, sizeof(data), leaves[i]);
	}
	memset(memo_set, 0, sizeof(memo_set));
}

/* Every altered version of a proof must fail. */
static void
check_inclusion_tamper(uint64_t m, uint64_t n, uint8_t p[][32], int plen,
    const uint8_t root[32])
{
	uint8_t bad[TLOG_PROOF_MAX][32];
	int i;

	for (i = 0; i < plen; i++) {
		memcpy(bad, p, (size_t)plen * 32);
		bad[i][i % 32] ^= 0x01;
		assert_false(tlog_verify_inclusion(m, n, leaves[m],
		    (const uint8_t (*)[32])bad, plen, root));
	}
	if (plen > 0)
		assert_false(tlog_verify_inclusion(m, n, leaves[m],
		    (const uint8_t (*)[32])p, plen - 1, root));
	if (m + 1 < n)
		assert_false(tlog_verify_inclusion(m + 1, n, leaves[m],
		    (const uint8_t (*)[32])p, plen, root));
}

static void
test_frontier_and_proofs(void **state)
{
	struct tlog_frontier f;
	uint8_t root[32], ref[32], old[32];
	uint8_t p[TLOG_PROOF_MAX][32], rp[TLOG_PROOF_MAX][32];
	int plen, rlen;
	uint64_t n, m;

	(void)state;
	make_leaves();
	memset(mem_set, 0, sizeof(mem_set));
	memset(&f, 0, sizeof(f));
	tlog_frontier_root(&f, root);
	ref_mth(0, 0, ref);
	assert_memory_equal(root, ref, 32);
	for (n = 1; n <= N_MAX; n++) {
		assert_int_equal(tlog_frontier_append(&f, leaves[n - 1],
		    mem_write, NULL), 0);
		assert_int_equal(f.size, n);
		ref_mth(0, n, ref);
		tlog_frontier_root(&f, root);
		assert_memory_equal(root, ref, 32);
		assert_int_equal(tlog_tree_hash(mem_read, NULL, n, root), 0);
		assert_memory_equal(root, ref, 32);
		for (m = 0; m < n; m++) {
			assert_int_equal(tlog_prove_inclusion(mem_read, NULL,
			    n, m, p, &plen), 0);
			rlen = 0;
			ref_path(m, 0, n, rp, &rlen);
			assert_int_equal(plen, rlen);
			assert_memory_equal(p, rp, (size_t)plen * 32);
			assert_true(tlog_verify_inclusion(m, n, leaves[m],
			    (const uint8_t (*)[32])p, plen, ref));
			if (n <= 64 || m % 17 == 0)
				check_inclusion_tamper(m, n, p, plen, ref);
		}
		assert_int_equal(tlog_prove_inclusion(mem_read, NULL, n, n, p,
		    &plen), -1);
		for (m = 1; m <= n; m++) {
			assert_int_equal(tlog_prove_consistency(mem_read, NULL,
			    m, n, p, &plen), 0);
			rlen = 0;
			if (m < n)
				ref_subproof(m, 0, n, 1, rp, &rlen);
			assert_int_equal(plen, rlen);
			assert_memory_equal(p, rp, (size_t)plen * 32);
			ref_mth(0, m, old);
			assert_true(tlog_verify_consistency(m, n,
			    (const uint8_t (*)[32])p, plen, old, ref));
			if (plen > 0) {
				/* A different old root or a changed hash. */
				old[0] ^= 1;
				assert_false(tlog_verify_consistency(m, n,
				    (const uint8_t (*)[32])p, plen, old, ref));
				old[0] ^= 1;
				p[plen - 1][3] ^= 0x40;
				assert_false(tlog_verify_consistency(m, n,
				    (const uint8_t (*)[32])p, plen, old, ref));
				assert_false(tlog_verify_consistency(m, n,
				    (const uint8_t (*)[32])p, plen - 1, old,
				    ref));
			}
		}
		/* The frontier reloads from the stored hashes. */
		if (n % 37 == 0) {
			struct tlog_frontier g;

			assert_int_equal(tlog_frontier_load(&g, n, mem_read,
			    NULL), 0);
			tlog_frontier_root(&g, root);
			assert_memory_equal(root, ref, 32);
		}
	}
}

/* The reference root of leaf m's proof p, computed in full. */
static void
full_root(uint64_t m, uint64_t n, const uint8_t leaf[32], uint8_t p[][32],
    int plen, int rc, uint8_t out[32])
{
	assert_int_equal(tlog_root_from_inclusion(m, n, leaf,
	    (const uint8_t (*)[32])p, plen, out), rc);
}

/*
 * tlog_root_from_path(): for every pair of leaves (j known, m new) of trees
 * up to 40 leaves, and every altered proof of m (each hash, the index, the
 * size, a path one shorter), the root is exactly the full computation's.
 * The join is real: with the known root replaced, every other leaf's root
 * comes back as the replacement (the walk stopped on known's path).
 */
static void
test_root_from_path(void **state)
{
	struct tlog_path known, out, fake;
	uint8_t p[TLOG_PROOF_MAX][32], bad[TLOG_PROOF_MAX][32];
	uint8_t root[32], ref[32], want[32];
	uint64_t n, m, j;
	int plen, jlen, i, rc;

	(void)state;
	make_leaves();
	for (n = 1; n <= 40; n++) {
		ref_mth(0, n, ref);
		for (j = 0; j < n; j++) {
			jlen = 0;
			ref_path(j, 0, n, p, &jlen);
			assert_int_equal(tlog_root_from_path(j, n, leaves[j],
			    (const uint8_t (*)[32])p, jlen, NULL, &known,
			    root), 0);
			assert_memory_equal(root, ref, 32);
			assert_int_equal(known.n, n);
			assert_memory_equal(known.node[jlen], ref, 32);
			fake = known;
			memset(fake.node[jlen], 0xab, 32);
			for (m = 0; m < n; m++) {
				plen = 0;
				ref_path(m, 0, n, p, &plen);
				assert_int_equal(tlog_root_from_path(m, n,
				    leaves[m], (const uint8_t (*)[32])p, plen,
				    &known, &out, root), 0);
				assert_memory_equal(root, ref, 32);
				/* out is m's own path, usable in turn. */
				assert_int_equal(out.n, n);
				assert_int_equal(out.plen, plen);
				assert_memory_equal(out.node[0], leaves[m], 32);
				assert_memory_equal(out.node[plen], ref, 32);
				assert_int_equal(tlog_root_from_path(m, n,
				    leaves[m], (const uint8_t (*)[32])p, plen,
				    &fake, NULL, root), 0);
				if (m != j) {
					memset(want, 0xab, 32);
					assert_memory_equal(root, want, 32);
				} else
					assert_memory_equal(root, ref, 32);
				/* Altered proofs: as the full computation. */
				for (i = 0; i < plen; i++) {
					memcpy(bad, p, (size_t)plen * 32);
					bad[i][(i * 7) % 32] ^= 0x01;
					full_root(m, n, leaves[m], bad, plen, 0,
					    want);
					assert_int_equal(tlog_root_from_path(m,
					    n, leaves[m],
					    (const uint8_t (*)[32])bad, plen,
					    &known, NULL, root), 0);
					assert_memory_equal(root, want, 32);
					assert_memory_not_equal(root, ref, 32);
				}
				if (m + 1 < n && tlog_inclusion_len(m + 1, n) ==
				    plen) {
					full_root(m + 1, n, leaves[m], p, plen,
					    0, want);
					assert_int_equal(tlog_root_from_path(
					    m + 1, n, leaves[m],
					    (const uint8_t (*)[32])p, plen,
					    &known, NULL, root), 0);
					assert_memory_equal(root, want, 32);
					assert_memory_not_equal(root, ref, 32);
				}
				if (tlog_inclusion_len(m, n + 1) == plen) {
					full_root(m, n + 1, leaves[m], p, plen,
					    0, want);
					/* known is of size n: not joined. */
					assert_int_equal(tlog_root_from_path(m,
					    n + 1, leaves[m],
					    (const uint8_t (*)[32])p, plen,
					    &fake, NULL, root), 0);
					assert_memory_equal(root, want, 32);
				}
				rc = plen > 0 ? -1 : 0;
				if (plen > 0) {
					full_root(m, n, leaves[m], p, plen - 1,
					    -1, want);
					assert_int_equal(tlog_root_from_path(m,
					    n, leaves[m],
					    (const uint8_t (*)[32])p, plen - 1,
					    &known, NULL, root), rc);
				}
			}
		}
	}
}

static void
test_leaf_codec(void **state)
{
	struct tlog_leaf lf, back;
	uint8_t data[TLOG_LEAF_MAX], *cp;
	const char *why;
	size_t n, i;

	(void)state;
	memset(&lf, 0, sizeof(lf));
	lf.type = LEAF_MSG;
	lf.dir = DIR_IN;
	snprintf(lf.peer, sizeof(lf.peer), "ru");
	memset(lf.id, 0xab, 32);
	lf.time = 1763900000123ULL;
	n = tlog_leaf_encode(&lf, data);
	assert_int_equal(n, 3 + 1 + 2 + 32 + 8);
	assert_int_equal(tlog_leaf_decode(data, n, &back, &why), 0);
	assert_memory_equal(&lf, &back, sizeof(lf));
	for (i = 0; i < n; i++) {
		cp = testlib_dup_exact(data, i);
		assert_int_equal(tlog_leaf_decode(cp, i, &back, &why), -1);
		free(cp);
	}
	data[1] = 9;
	assert_int_equal(tlog_leaf_decode(data, n, &back, &why), -1);
}

static void
side_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/*
 * Put the store at path back to the layout before STORE_V_TLOG_POS:
 * tlog_hashes keyed by (lvl, idx), filled from the reference over the
 * first n leaves (leaves[]), not from what the store holds.
 */
static void
old_layout(const char *path, uint64_t n)
{
	char sql[128];
	sqlite3 *db;
	sqlite3_stmt *s;
	uint8_t h[32];
	uint64_t idx;
	int lvl;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE tlog_hashes;"
	    "CREATE TABLE tlog_hashes (lvl INTEGER NOT NULL, idx INTEGER NOT "
	    "NULL, hash BLOB NOT NULL, PRIMARY KEY (lvl, idx)) WITHOUT ROWID;",
	    NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO tlog_hashes "
	    "VALUES (?, ?, ?)", -1, &s, NULL), SQLITE_OK);
	memset(memo_set, 0, sizeof(memo_set));
	for (lvl = 1; (UINT64_C(1) << lvl) <= n; lvl++)
		for (idx = 0; (idx + 1) << lvl <= n; idx++) {
			ref_mth(idx << lvl, (idx + 1) << lvl, h);
			sqlite3_bind_int(s, 1, lvl);
			sqlite3_bind_int64(s, 2, (sqlite3_int64)idx);
			sqlite3_bind_blob(s, 3, h, 32, SQLITE_TRANSIENT);
			assert_int_equal(sqlite3_step(s), SQLITE_DONE);
			sqlite3_reset(s);
		}
	sqlite3_finalize(s);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    STORE_V_TLOG_POS - 1);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* The stored log's inclusion and consistency proofs for every step-th leaf
 * of a log of n leaves verify against the reference root ref. */
static void
check_log_proofs(struct tlog *t, uint64_t n, uint64_t step,
    const uint8_t ref[32])
{
	uint8_t root[32], p[TLOG_PROOF_MAX][32];
	uint64_t m;
	int plen;

	for (m = 0; m < n; m += step) {
		assert_int_equal(tlog_log_inclusion(t, n, m, p, &plen), 0);
		assert_true(tlog_verify_inclusion(m, n, leaves[m],
		    (const uint8_t (*)[32])p, plen, ref));
		assert_int_equal(tlog_log_tree_hash(t, m + 1, root), 0);
		assert_int_equal(tlog_log_consistency(t, m + 1, n, p, &plen),
		    0);
		assert_true(tlog_verify_consistency(m + 1, n,
		    (const uint8_t (*)[32])p, plen, root, ref));
	}
}

static void
test_store_log(void **state)
{
	char dir[4096], path[4200], why[200];
	struct store *st;
	struct tlog *t;
	uint8_t id[32], root[32], ref[32];
	uint8_t data[TLOG_LEAF_MAX];
	struct tlog_leaf lf;
	const char *err;
	uint64_t i, idx;
	size_t len;

	(void)state;
	assert_int_equal(testlib_tmpdir(dir, sizeof(dir), "tlog"), 0);
	assert_int_equal(testlib_path_join(path, sizeof(path), dir, "db"), 0);
	assert_non_null(st = store_open(path, why, sizeof(why)));
	assert_non_null(t = tlog_open(st));
	assert_int_equal(tlog_size(t), 0);
	/* Leaves appended in batches; one batch rolled back. */
	for (i = 0; i < 120; i++) {
		if (i % 10 == 0)
			assert_int_equal(store_begin(st), 0);
		memset(id, 0, sizeof(id));
		id[0] = (uint8_t)i;
		id[1] = (uint8_t)(i >> 8);
		assert_int_equal(tlog_append_msg(t, id, i % 2, "ru", 1000 + i),
		    0);
		if (i % 10 == 9) {
			if (i == 49)
				store_rollback(st);
			else
				assert_int_equal(store_commit(st), 0);
		}
	}
	assert_int_equal(tlog_size(t), 110);
	/* Reference: recompute from the stored leaf data. */
	for (i = 0; i < 110; i++) {
		assert_int_equal(tlog_leaf_get(t, i, data, &len), 0);
		assert_int_equal(tlog_leaf_decode(data, len, &lf, &err), 0);
		assert_int_equal(lf.time, i < 40 ? 1000 + i : 1010 + i);
		tlog_leaf_hash(data, len, leaves[i]);
	}
	memset(memo_set, 0, sizeof(memo_set));
	ref_mth(0, 110, ref);
	tlog_root(t, root);
	assert_memory_equal(root, ref, 32);
	check_log_proofs(t, 110, 7, ref);
	memset(id, 0, sizeof(id));
	id[0] = 45;	/* rolled back */
	assert_int_equal(tlog_leaf_find(t, LEAF_MSG, id, 1045, &idx), 1);
	id[0] = 55;
	assert_int_equal(tlog_leaf_find(t, LEAF_MSG, id, 1055, &idx), 0);
	assert_int_equal(idx, 45);
	assert_int_equal(tlog_leaf_find(t, LEAF_MSG, id, 1056, &idx), 1);
	assert_int_equal(tlog_leaf_find(t, LEAF_RECEIPT, id, 1055, &idx), 1);
	assert_int_equal(tlog_check_all(t, why, sizeof(why)), 0);
	tlog_free(t);
	store_free(st);
	/* Reopen: same tree. */
	assert_non_null(st = store_open(path, why, sizeof(why)));
	assert_non_null(t = tlog_open(st));
	assert_int_equal(tlog_size(t), 110);
	tlog_root(t, root);
	assert_memory_equal(root, ref, 32);
	tlog_free(t);
	store_free(st);
	old_layout(path, 110);
	/* Migrated: the same tree, proofs and a clean check. */
	assert_non_null(st = store_open(path, why, sizeof(why)));
	assert_non_null(t = tlog_open(st));
	assert_int_equal(tlog_size(t), 110);
	tlog_root(t, root);
	assert_memory_equal(root, ref, 32);
	assert_int_equal(tlog_check_all(t, why, sizeof(why)), 0);
	check_log_proofs(t, 110, 3, ref);
	/* Appends after the migration extend the same tree. */
	assert_int_equal(store_begin(st), 0);
	for (i = 110; i < 130; i++) {
		memset(id, 0, sizeof(id));
		id[0] = (uint8_t)i;
		assert_int_equal(tlog_append_msg(t, id, 0, "ru", 2000 + i), 0);
	}
	assert_int_equal(store_commit(st), 0);
	for (i = 110; i < 130; i++) {
		assert_int_equal(tlog_leaf_get(t, i, data, &len), 0);
		tlog_leaf_hash(data, len, leaves[i]);
	}
	memset(memo_set, 0, sizeof(memo_set));
	ref_mth(0, 130, ref);
	tlog_root(t, root);
	assert_memory_equal(root, ref, 32);
	assert_int_equal(tlog_check_all(t, why, sizeof(why)), 0);
	/* A wrong stored hash is still found. */
	tlog_free(t);
	store_free(st);
	side_exec(path, "UPDATE tlog_hashes SET hash = zeroblob(32) WHERE "
	    "rowid = (SELECT rowid FROM tlog_hashes LIMIT 1 OFFSET 7)");
	assert_non_null(st = store_open(path, why, sizeof(why)));
	assert_non_null(t = tlog_open(st));
	assert_int_equal(tlog_check_all(t, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "stored subtree hash"));
	tlog_free(t);
	store_free(st);
	testlib_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frontier_and_proofs),
		cmocka_unit_test(test_root_from_path),
		cmocka_unit_test(test_leaf_codec),
		cmocka_unit_test(test_store_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
