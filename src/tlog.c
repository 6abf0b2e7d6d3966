/*
 * tlog.c: the node's transparency log (see tlog.h): RFC 6962 / RFC 9162
 * Merkle arithmetic over stored complete-subtree hashes, the proof
 * verifiers, and the log persisted in the node's SQLite database.
 *
 * Every complete subtree's hash is stored once, when its last leaf is
 * appended: level 0 in tlog_leaves.hash, levels >= 1 in tlog_hashes. Any
 * subtree [lo, hi) with lo aligned is then the hash of at most log2(n)
 * stored subtrees, so tree hashes and proofs cost O(log n) reads, and
 * appending costs no reads (the right edge is kept in memory).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sqlite3.h>

#include "buf.h"
#include "log.h"
#include "store.h"
#include "tlog.h"
#include "util.h"

void
tlog_leaf_hash(const void *data, size_t len, uint8_t out[TLOG_HASH_LEN])
{
	static const uint8_t leaf_prefix = 0x00;

	sha256_2(&leaf_prefix, 1, data, len, out);
}

void
tlog_node_hash(const uint8_t l[TLOG_HASH_LEN], const uint8_t r[TLOG_HASH_LEN],
    uint8_t out[TLOG_HASH_LEN])
{
	uint8_t tmp[1 + 2 * TLOG_HASH_LEN];

	tmp[0] = 0x01;
	memcpy(tmp + 1, l, TLOG_HASH_LEN);
	memcpy(tmp + 1 + TLOG_HASH_LEN, r, TLOG_HASH_LEN);
	sha256(tmp, sizeof(tmp), out);
}

size_t
tlog_leaf_encode(const struct tlog_leaf *lf, uint8_t out[TLOG_LEAF_MAX])
{
	struct buf b;
	size_t n = 0;
	int errs = 0;

	buf_init(&b, TLOG_LEAF_MAX);
	errs += buf_add_u8(&b, TLOG_LEAF_VERSION);
	errs += buf_add_u8(&b, lf->type);
	errs += buf_add_u8(&b, lf->dir);
	errs += buf_add_str8(&b, lf->peer);
	errs += buf_add(&b, lf->id, 32);
	errs += buf_add_u64(&b, lf->time);
	if (errs == 0) {
		memcpy(out, b.data, b.len);
		n = b.len;
	}
	buf_free(&b);
	return n;
}

int
tlog_leaf_decode(const uint8_t *p, size_t n, struct tlog_leaf *lf,
    const char **why)
{
	struct cursor c;
	uint8_t v;

	memset(lf, 0, sizeof(*lf));
	cur_init(&c, p, n);
	if (cur_get_u8(&c, &v) == -1 || cur_get_u8(&c, &lf->type) == -1 ||
	    cur_get_u8(&c, &lf->dir) == -1 ||
	    cur_get_str8(&c, lf->peer, sizeof(lf->peer)) == -1 ||
	    cur_get(&c, lf->id, 32) == -1 || cur_get_u64(&c, &lf->time) == -1) {
		*why = "leaf truncated";
		return -1;
	}
	if (cur_end(&c) == -1) {
		*why = "trailing bytes after leaf";
		return -1;
	}
	if (v != TLOG_LEAF_VERSION) {
		*why = "unknown leaf version";
		return -1;
	}
	if (lf->type != LEAF_MSG && lf->type != LEAF_RECEIPT) {
		*why = "unknown leaf type";
		return -1;
	}
	if (lf->dir != DIR_OUT && lf->dir != DIR_IN) {
		*why = "bad leaf direction";
		return -1;
	}
	if (!party_id_valid(lf->peer)) {
		*why = "bad peer in leaf";
		return -1;
	}
	return 0;
}

/* Largest power of two strictly less than n (n >= 2). */
static uint64_t
split_point(uint64_t n)
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

static int
lowest_bit(uint64_t x)
{
	return __builtin_ctzll(x);
}

/*
 * Hash of the subtree over leaves [lo, lo + n), lo a multiple of the
 * largest power of two <= n (always true for the subtrees RFC 6962's
 * recursion visits). Complete subtrees are read; others are split.
 */
static int
range_hash(tlog_read_fn rd, void *arg, uint64_t lo, uint64_t n,
    uint8_t out[TLOG_HASH_LEN])
{
	uint8_t left[TLOG_HASH_LEN], right[TLOG_HASH_LEN];
	uint64_t k;
	int level;

	if (n == 0)
		return -1;
	if ((n & (n - 1)) == 0) {
		level = lowest_bit(n);
		return rd(arg, level, lo >> level, out);
	}
	/* Fold from the smallest (rightmost) complete piece leftwards. */
	k = split_point(n);
	if (rd(arg, lowest_bit(k), lo >> lowest_bit(k), left) == -1 ||
	    range_hash(rd, arg, lo + k, n - k, right) == -1)
		return -1;
	tlog_node_hash(left, right, out);
	return 0;
}

int
tlog_tree_hash(tlog_read_fn rd, void *arg, uint64_t n,
    uint8_t out[TLOG_HASH_LEN])
{
	if (n == 0) {
		(void)SHA256((const uint8_t *)"", 0, out);
		return 0;
	}
	return range_hash(rd, arg, 0, n, out);
}

/* RFC 6962 PATH(m, D[lo:lo+n]), appended to proof. */
static int
path(tlog_read_fn rd, void *arg, uint64_t m, uint64_t lo, uint64_t n,
    uint8_t proof[][TLOG_HASH_LEN], int *plen)
{
	uint64_t k;

	if (n <= 1)
		return 0;
	if (*plen >= TLOG_PROOF_MAX)
		return -1;
	k = split_point(n);
	if (m < k) {
		if (path(rd, arg, m, lo, k, proof, plen) == -1)
			return -1;
		return range_hash(rd, arg, lo + k, n - k, proof[(*plen)++]);
	}
	if (path(rd, arg, m - k, lo + k, n - k, proof, plen) == -1)
		return -1;
	return range_hash(rd, arg, lo, k, proof[(*plen)++]);
}

int
tlog_prove_inclusion(tlog_read_fn rd, void *arg, uint64_t n, uint64_t m,
    uint8_t proof[][TLOG_HASH_LEN], int *plen)
{
	*plen = 0;
	if (m >= n)
		return -1;
	return path(rd, arg, m, 0, n, proof, plen);
}

/* RFC 6962 SUBPROOF(m, D[lo:lo+n], b), appended to proof. */
static int
subproof(tlog_read_fn rd, void *arg, uint64_t m, uint64_t lo, uint64_t n,
    bool b, uint8_t proof[][TLOG_HASH_LEN], int *plen)
{
	uint64_t k;

	if (*plen >= TLOG_PROOF_MAX)
		return -1;
	if (m == n) {
		if (b)
			return 0;
		return range_hash(rd, arg, lo, n, proof[(*plen)++]);
	}
	k = split_point(n);
	if (m <= k) {
		if (subproof(rd, arg, m, lo, k, b, proof, plen) == -1)
			return -1;
		return range_hash(rd, arg, lo + k, n - k, proof[(*plen)++]);
	}
	if (subproof(rd, arg, m - k, lo + k, n - k, false, proof, plen) == -1)
		return -1;
	return range_hash(rd, arg, lo, k, proof[(*plen)++]);
}

int
tlog_prove_consistency(tlog_read_fn rd, void *arg, uint64_t m, uint64_t n,
    uint8_t proof[][TLOG_HASH_LEN], int *plen)
{
	*plen = 0;
	if (m == 0 || m > n)
		return -1;
	if (m == n)
		return 0;
	return subproof(rd, arg, m, 0, n, true, proof, plen);
}

int
tlog_inclusion_len(uint64_t m, uint64_t n)
{
	uint64_t k;
	int len = 0;

	if (m >= n)
		return -1;
	/* RFC 6962 PATH(m, D[n]): one hash per split until one leaf is left. */
	while (n > 1) {
		for (k = 1; k < n - k; k <<= 1)
			;
		if (m >= k) {
			m -= k;
			n -= k;
		} else
			n = k;
		len++;
	}
	return len;
}

int
tlog_root_from_inclusion(uint64_t m, uint64_t n,
    const uint8_t leaf[TLOG_HASH_LEN], const uint8_t (*proof)[TLOG_HASH_LEN],
    int plen, uint8_t root[TLOG_HASH_LEN])
{
	/* The walk of tlog_root_from_path with no path known or kept. */
	return tlog_root_from_path(m, n, leaf, proof, plen, NULL, NULL, root);
}

/*
 * The sides of proof for leaf m of n (RFC 9162 2.1.3.2's walk without the
 * hashing): left[i] = 1 if proof[i] is hashed on the left. 0, or -1 if
 * plen is wrong for (m, n).
 */
static int
path_sides(uint64_t m, uint64_t n, int plen, uint8_t *left)
{
	uint64_t fn, sn;
	int i;

	if (m >= n || plen < 0 || plen > TLOG_PROOF_MAX)
		return -1;
	fn = m;
	sn = n - 1;
	for (i = 0; i < plen; i++) {
		if (sn == 0)
			return -1;
		left[i] = (fn & 1) || fn == sn;
		if (left[i] && !(fn & 1))
			while (fn != 0 && !(fn & 1)) {
				fn >>= 1;
				sn >>= 1;
			}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 ? 0 : -1;
}

/*
 * Does the walk, with node r after t steps, join known's at known's step
 * s = t + known->plen - plen? Then both compute the same node at the next
 * step (r is known's sibling there and proof[t] known's node, on opposite
 * sides) and every node after it (the same proof hashes on the same sides),
 * up to the same root.
 */
static bool
path_joins(const struct tlog_path *known, int plen, int t,
    const uint8_t r[TLOG_HASH_LEN], const uint8_t (*proof)[TLOG_HASH_LEN],
    const uint8_t *left)
{
	int k, s = t + known->plen - plen;

	if (s < 0 || s >= known->plen || left[t] == known->left[s] ||
	    memcmp(r, known->proof[s], TLOG_HASH_LEN) != 0 ||
	    memcmp(proof[t], known->node[s], TLOG_HASH_LEN) != 0)
		return false;
	for (k = 1; t + k < plen; k++)
		if (left[t + k] != known->left[s + k] ||
		    memcmp(proof[t + k], known->proof[s + k],
		    TLOG_HASH_LEN) != 0)
			return false;
	return true;
}

int
tlog_root_from_path(uint64_t m, uint64_t n, const uint8_t leaf[TLOG_HASH_LEN],
    const uint8_t (*proof)[TLOG_HASH_LEN], int plen,
    const struct tlog_path *known, struct tlog_path *out,
    uint8_t root[TLOG_HASH_LEN])
{
	uint8_t left[TLOG_PROOF_MAX], r[TLOG_HASH_LEN];
	bool keep;
	int t, k, s;

	if (path_sides(m, n, plen, left) == -1)
		return -1;
	if (known != NULL && (known->n != n || known->plen > TLOG_PATH_KEEP))
		known = NULL;
	keep = out != NULL && plen <= TLOG_PATH_KEEP;
	if (out != NULL)
		out->n = 0;
	memcpy(r, leaf, TLOG_HASH_LEN);
	for (t = 0; t < plen; t++) {
		if (keep)
			memcpy(out->node[t], r, TLOG_HASH_LEN);
		if (known != NULL && path_joins(known, plen, t, r, proof, left)) {
			s = t + known->plen - plen;
			if (keep)
				for (k = t + 1; k <= plen; k++)
					memcpy(out->node[k],
					    known->node[s + k - t], TLOG_HASH_LEN);
			memcpy(r, known->node[known->plen], TLOG_HASH_LEN);
			break;
		}
		if (left[t])
			tlog_node_hash(proof[t], r, r);
		else
			tlog_node_hash(r, proof[t], r);
	}
	if (keep) {
		if (t == plen)
			memcpy(out->node[plen], r, TLOG_HASH_LEN);
		out->n = n;
		out->plen = plen;
		memcpy(out->left, left, (size_t)plen);
		memcpy(out->proof, proof, (size_t)plen * TLOG_HASH_LEN);
	}
	memcpy(root, r, TLOG_HASH_LEN);
	return 0;
}

bool
tlog_verify_inclusion(uint64_t m, uint64_t n, const uint8_t leaf[TLOG_HASH_LEN],
    const uint8_t (*proof)[TLOG_HASH_LEN], int plen,
    const uint8_t root[TLOG_HASH_LEN])
{
	uint8_t r[TLOG_HASH_LEN];

	return tlog_root_from_inclusion(m, n, leaf, proof, plen, r) == 0 &&
	    memcmp(r, root, TLOG_HASH_LEN) == 0;
}

bool
tlog_verify_consistency(uint64_t m, uint64_t n,
    const uint8_t (*proof)[TLOG_HASH_LEN], int plen,
    const uint8_t oldr[TLOG_HASH_LEN], const uint8_t newr[TLOG_HASH_LEN])
{
	uint8_t fr[TLOG_HASH_LEN], sr[TLOG_HASH_LEN];
	uint64_t fn, sn;
	int i = 0;

	if (m == 0 || m > n || plen < 0 || plen > TLOG_PROOF_MAX)
		return false;
	if (m == n)
		return plen == 0 && memcmp(oldr, newr, TLOG_HASH_LEN) == 0;
	if (plen == 0)
		return false;
	/* If m is a power of two, the old root is the proof's implicit
	 * first element. */
	fn = m - 1;
	sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	if ((m & (m - 1)) == 0) {
		memcpy(fr, oldr, TLOG_HASH_LEN);
		memcpy(sr, oldr, TLOG_HASH_LEN);
	} else {
		memcpy(fr, proof[0], TLOG_HASH_LEN);
		memcpy(sr, proof[0], TLOG_HASH_LEN);
		i = 1;
	}
	for (; i < plen; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			tlog_node_hash(proof[i], fr, fr);
			tlog_node_hash(proof[i], sr, sr);
			if (!(fn & 1))
				while (fn != 0 && !(fn & 1)) {
					fn >>= 1;
					sn >>= 1;
				}
		} else
			tlog_node_hash(sr, proof[i], sr);
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(fr, oldr, TLOG_HASH_LEN) == 0 &&
	    memcmp(sr, newr, TLOG_HASH_LEN) == 0;
}

int
tlog_frontier_load(struct tlog_frontier *f, uint64_t n, tlog_read_fn rd,
    void *arg)
{
	int level;

	memset(f, 0, sizeof(*f));
	for (level = 0; level < TLOG_LEVELS; level++) {
		if (!(n >> level & 1))
			continue;
		if (rd(arg, level, (n >> level) - 1, f->h[level]) == -1)
			return -1;
	}
	f->size = n;
	return 0;
}

int
tlog_frontier_append(struct tlog_frontier *f, const uint8_t leaf[TLOG_HASH_LEN],
    tlog_write_fn wr, void *arg)
{
	uint8_t cur[TLOG_HASH_LEN];
	uint64_t n = f->size;
	int level = 0;

	if (n >= (UINT64_C(1) << 62))
		return -1;
	if (wr(arg, 0, n, leaf) == -1)
		return -1;
	memcpy(cur, leaf, TLOG_HASH_LEN);
	/* Each set low bit of n is a left sibling the new leaf completes. */
	while (n >> level & 1) {
		tlog_node_hash(f->h[level], cur, cur);
		level++;
		if (wr(arg, level, n >> level, cur) == -1)
			return -1;
	}
	memcpy(f->h[level], cur, TLOG_HASH_LEN);
	f->size = n + 1;
	return 0;
}

void
tlog_frontier_root(const struct tlog_frontier *f, uint8_t out[TLOG_HASH_LEN])
{
	uint8_t r[TLOG_HASH_LEN];
	int level, first = 1;

	if (f->size == 0) {
		(void)SHA256((const uint8_t *)"", 0, out);
		return;
	}
	for (level = 0; level < TLOG_LEVELS; level++) {
		if (!(f->size >> level & 1))
			continue;
		if (first) {
			memcpy(r, f->h[level], TLOG_HASH_LEN);
			first = 0;
		} else
			tlog_node_hash(f->h[level], r, r);
	}
	memcpy(out, r, TLOG_HASH_LEN);
}

/*
 * The log in the store.
 */
enum tlog_stmt {
	T_LEAF_INS, T_HASH_INS, T_LEAF_HASH, T_HASH_GET, T_SIZE, T_LEAF_GET,
	T_LEAF_FIND, T_ALL, T_COUNT
};

static const char *const tlog_sql[T_COUNT] = {
	[T_LEAF_INS] = "INSERT INTO tlog_leaves (idx, type, ref, time, hash, "
	    "data) VALUES (?, ?, ?, ?, ?, ?)",
	[T_HASH_INS] = "INSERT INTO tlog_hashes (pos, hash) VALUES (?, ?)",
	[T_LEAF_HASH] = "SELECT hash FROM tlog_leaves WHERE idx = ?",
	[T_HASH_GET] = "SELECT hash FROM tlog_hashes WHERE pos = ?",
	[T_SIZE] = "SELECT COALESCE(MAX(idx) + 1, 0) FROM tlog_leaves",
	[T_LEAF_GET] = "SELECT data FROM tlog_leaves WHERE idx = ?",
	[T_LEAF_FIND] = "SELECT idx FROM tlog_leaves WHERE time = ? AND "
	    "ref = ? AND type = ? ORDER BY idx LIMIT 1",
	[T_ALL] = "SELECT idx, hash, data FROM tlog_leaves ORDER BY idx",
};

struct tlog {
	struct store		*st;
	sqlite3			*db;
	sqlite3_stmt		*s[T_COUNT];
	struct tlog_frontier	 com;	/* committed */
	struct tlog_frontier	 work;	/* inside the current transaction */
	int			 dirty;	/* work differs from com */
	/* the leaf being appended, for the level-0 write */
	const struct tlog_leaf	*cur;
	const uint8_t		*cur_data;
	size_t			 cur_len;
	int			 failed;
};

static void
tlog_stmt_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/*
 * The key of the subtree hash at level >= 1, index idx, in tlog_hashes:
 * 64 * (its last leaf) + level, so that the hashes an append completes
 * (its leaf's, levels upwards) sort after every earlier one and a commit
 * writes only the table's last page (store.c migration 6). 0, or -1 past
 * 2^57 leaves.
 */
static int
node_pos(int level, uint64_t idx, sqlite3_int64 *pos)
{
	uint64_t last;

	if (level < 1 || level > 57 || idx >= (UINT64_C(1) << 57) >> level)
		return -1;
	last = ((idx + 1) << level) - 1;
	*pos = (sqlite3_int64)(last * 64 + (uint64_t)level);
	return 0;
}

static int
db_read(void *arg, int level, uint64_t idx, uint8_t out[TLOG_HASH_LEN])
{
	struct tlog *t = arg;
	sqlite3_stmt *s;
	sqlite3_int64 pos;
	int ret = -1;

	if (idx > INT64_MAX)
		return -1;
	if (level == 0) {
		s = t->s[T_LEAF_HASH];
		sqlite3_bind_int64(s, 1, (sqlite3_int64)idx);
	} else {
		if (node_pos(level, idx, &pos) == -1)
			return -1;
		s = t->s[T_HASH_GET];
		sqlite3_bind_int64(s, 1, pos);
	}
	if (sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_bytes(s, 0) == TLOG_HASH_LEN) {
		memcpy(out, sqlite3_column_blob(s, 0), TLOG_HASH_LEN);
		ret = 0;
	} else
		log_warnx("tlog: no stored hash at level %d index %llu", level,
		    (unsigned long long)idx);
	tlog_stmt_done(s);
	return ret;
}

static int
db_write(void *arg, int level, uint64_t idx, const uint8_t h[TLOG_HASH_LEN])
{
	struct tlog *t = arg;
	sqlite3_stmt *s;
	sqlite3_int64 pos;
	int rc;

	if (idx > INT64_MAX)
		return -1;
	if (level == 0) {
		s = t->s[T_LEAF_INS];
		sqlite3_bind_int64(s, 1, (sqlite3_int64)idx);
		sqlite3_bind_int(s, 2, t->cur->type);
		sqlite3_bind_blob(s, 3, t->cur->id, 32, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)(t->cur->time >
		    INT64_MAX ? INT64_MAX : t->cur->time));
		sqlite3_bind_blob(s, 5, h, TLOG_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(s, 6, t->cur_data, (int)t->cur_len,
		    SQLITE_STATIC);
	} else {
		if (node_pos(level, idx, &pos) == -1)
			return -1;
		s = t->s[T_HASH_INS];
		sqlite3_bind_int64(s, 1, pos);
		sqlite3_bind_blob(s, 2, h, TLOG_HASH_LEN, SQLITE_STATIC);
	}
	rc = sqlite3_step(s);
	tlog_stmt_done(s);
	if (rc != SQLITE_DONE) {
		log_warnx("tlog: write level %d index %llu: %s", level,
		    (unsigned long long)idx, sqlite3_errmsg(t->db));
		return -1;
	}
	return 0;
}

/* The store's transaction ended: keep or drop what was appended. */
static void
tlog_tx_end(void *arg, bool committed)
{
	struct tlog *t = arg;

	if (!t->dirty)
		return;
	if (committed)
		t->com = t->work;
	else
		t->work = t->com;
	t->dirty = 0;
}

struct tlog *
tlog_open(struct store *st)
{
	struct tlog *t;
	sqlite3_stmt *s;
	uint64_t n = 0;
	int i;

	t = xcalloc(1, sizeof(*t));
	t->st = st;
	t->db = store_db(st);
	for (i = 0; i < T_COUNT; i++)
		if (sqlite3_prepare_v3(t->db, tlog_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &t->s[i], NULL) != SQLITE_OK) {
			log_warnx("tlog: prepare: %s", sqlite3_errmsg(t->db));
			goto fail;
		}
	s = t->s[T_SIZE];
	if (sqlite3_step(s) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(s, 0);
	tlog_stmt_done(s);
	if (tlog_frontier_load(&t->com, n, db_read, t) == -1) {
		log_warnx("tlog: cannot load the right edge of %llu leaves",
		    (unsigned long long)n);
		goto fail;
	}
	t->work = t->com;
	store_set_tx_hook(st, tlog_tx_end, t);
	return t;
fail:
	tlog_free(t);
	return NULL;
}

void
tlog_free(struct tlog *t)
{
	int i;

	if (t == NULL)
		return;
	if (t->st != NULL)
		store_set_tx_hook(t->st, NULL, NULL);
	for (i = 0; i < T_COUNT; i++)
		sqlite3_finalize(t->s[i]);
	free(t);
}

uint64_t
tlog_size(struct tlog *t)
{
	return t->com.size;
}

void
tlog_root(struct tlog *t, uint8_t out[TLOG_HASH_LEN])
{
	tlog_frontier_root(&t->com, out);
}

int
tlog_append(struct tlog *t, const struct tlog_leaf *lf, uint64_t *idx)
{
	uint8_t data[TLOG_LEAF_MAX], h[TLOG_HASH_LEN];
	struct tlog_frontier save;
	size_t n;

	if ((n = tlog_leaf_encode(lf, data)) == 0)
		return -1;
	tlog_leaf_hash(data, n, h);
	t->cur = lf;
	t->cur_data = data;
	t->cur_len = n;
	save = t->work;
	if (tlog_frontier_append(&t->work, h, db_write, t) == -1) {
		t->work = save;
		return -1;
	}
	t->dirty = 1;
	if (idx != NULL)
		*idx = t->work.size - 1;
	return 0;
}

static int
append_ref(struct tlog *t, int type, const uint8_t id[32], int dir,
    const char *peer, uint64_t time)
{
	struct tlog_leaf lf;

	memset(&lf, 0, sizeof(lf));
	lf.type = (uint8_t)type;
	lf.dir = (uint8_t)dir;
	if (snprintf(lf.peer, sizeof(lf.peer), "%s", peer) >=
	    (int)sizeof(lf.peer))
		return -1;
	memcpy(lf.id, id, 32);
	lf.time = time;
	return tlog_append(t, &lf, NULL);
}

int
tlog_append_msg(struct tlog *t, const uint8_t id[32], int dir,
    const char *peer, uint64_t time)
{
	return append_ref(t, LEAF_MSG, id, dir, peer, time);
}

int
tlog_append_receipt(struct tlog *t, const uint8_t id[32], int dir,
    const char *peer, uint64_t time)
{
	return append_ref(t, LEAF_RECEIPT, id, dir, peer, time);
}

int
tlog_leaf_get(struct tlog *t, uint64_t idx, uint8_t data[TLOG_LEAF_MAX],
    size_t *len)
{
	sqlite3_stmt *s = t->s[T_LEAF_GET];
	int rc, ret = -1, n;

	if (idx > INT64_MAX)
		return 1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)idx);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		ret = 1;
	else if (rc == SQLITE_ROW) {
		n = sqlite3_column_bytes(s, 0);
		if (n > 0 && n <= TLOG_LEAF_MAX) {
			memcpy(data, sqlite3_column_blob(s, 0), (size_t)n);
			*len = (size_t)n;
			ret = 0;
		}
	}
	tlog_stmt_done(s);
	return ret;
}

int
tlog_leaf_find(struct tlog *t, int type, const uint8_t id[32], uint64_t time,
    uint64_t *idx)
{
	sqlite3_stmt *s = t->s[T_LEAF_FIND];
	int rc, ret = -1;

	if (time > INT64_MAX)
		return 1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)time);
	sqlite3_bind_blob(s, 2, id, 32, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, type);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		ret = 1;
	else if (rc == SQLITE_ROW) {
		*idx = (uint64_t)sqlite3_column_int64(s, 0);
		ret = *idx < t->com.size ? 0 : 1;
	}
	tlog_stmt_done(s);
	return ret;
}

int
tlog_log_tree_hash(struct tlog *t, uint64_t n, uint8_t out[TLOG_HASH_LEN])
{
	if (n > t->com.size)
		return -1;
	if (n == t->com.size) {
		tlog_frontier_root(&t->com, out);
		return 0;
	}
	return tlog_tree_hash(db_read, t, n, out);
}

int
tlog_log_inclusion(struct tlog *t, uint64_t n, uint64_t m,
    uint8_t proof[][TLOG_HASH_LEN], int *plen)
{
	if (n > t->com.size)
		return -1;
	return tlog_prove_inclusion(db_read, t, n, m, proof, plen);
}

int
tlog_log_consistency(struct tlog *t, uint64_t m, uint64_t n,
    uint8_t proof[][TLOG_HASH_LEN], int *plen)
{
	if (n > t->com.size)
		return -1;
	return tlog_prove_consistency(db_read, t, m, n, proof, plen);
}

struct check_ctx {
	struct tlog	*t;
	int		 bad;
	int		 level;
	uint64_t	 idx;
};

/* During a check: compare a recomputed subtree hash with the stored one. */
static int
check_write(void *arg, int level, uint64_t idx, const uint8_t h[TLOG_HASH_LEN])
{
	struct check_ctx *cc = arg;
	uint8_t stored[TLOG_HASH_LEN];

	if (level == 0 || cc->bad)
		return 0;
	if (db_read(cc->t, level, idx, stored) == -1 ||
	    memcmp(stored, h, TLOG_HASH_LEN) != 0) {
		cc->bad = 1;
		cc->level = level;
		cc->idx = idx;
	}
	return 0;
}

int
tlog_check_all(struct tlog *t, char *why, size_t whylen)
{
	sqlite3_stmt *s = t->s[T_ALL];
	struct tlog_frontier f;
	struct check_ctx cc;
	struct tlog_leaf lf;
	uint8_t h[TLOG_HASH_LEN], r1[TLOG_HASH_LEN], r2[TLOG_HASH_LEN];
	const char *err;
	uint64_t idx;
	int rc, ret = -1, n;

	memset(&f, 0, sizeof(f));
	memset(&cc, 0, sizeof(cc));
	cc.t = t;
	why[0] = '\0';
	/* T_ALL stays open while check_write uses the other statements. */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		idx = (uint64_t)sqlite3_column_int64(s, 0);
		n = sqlite3_column_bytes(s, 2);
		if (idx != f.size) {
			snprintf(why, whylen, "leaf index %llu where %llu was "
			    "expected", (unsigned long long)idx,
			    (unsigned long long)f.size);
			ret = 1;
			goto done;
		}
		if (sqlite3_column_bytes(s, 1) != TLOG_HASH_LEN ||
		    tlog_leaf_decode(sqlite3_column_blob(s, 2), (size_t)n, &lf,
		    &err) == -1) {
			snprintf(why, whylen, "leaf %llu is malformed",
			    (unsigned long long)idx);
			ret = 1;
			goto done;
		}
		tlog_leaf_hash(sqlite3_column_blob(s, 2), (size_t)n, h);
		if (memcmp(h, sqlite3_column_blob(s, 1), TLOG_HASH_LEN) != 0) {
			snprintf(why, whylen, "leaf %llu: stored hash does not "
			    "match its data", (unsigned long long)idx);
			ret = 1;
			goto done;
		}
		(void)tlog_frontier_append(&f, h, check_write, &cc);
		if (cc.bad) {
			snprintf(why, whylen, "stored subtree hash at level %d "
			    "index %llu is wrong or missing", cc.level,
			    (unsigned long long)cc.idx);
			ret = 1;
			goto done;
		}
	}
	if (rc != SQLITE_DONE)
		goto done;
	tlog_frontier_root(&f, r1);
	tlog_frontier_root(&t->com, r2);
	if (f.size != t->com.size || memcmp(r1, r2, TLOG_HASH_LEN) != 0) {
		snprintf(why, whylen, "recomputed tree (%llu leaves) differs "
		    "from the loaded one (%llu)", (unsigned long long)f.size,
		    (unsigned long long)t->com.size);
		ret = 1;
		goto done;
	}
	ret = 0;
done:
	tlog_stmt_done(s);
	return ret;
}
