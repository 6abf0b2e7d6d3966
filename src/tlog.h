/*
 * tlog.h: the node's transparency log, an append-only Merkle tree with
 * RFC 6962 / RFC 9162 hashing (leaf hash SHA-256(0x00 || data), node hash
 * SHA-256(0x01 || left || right)).
 *
 * Two layers. The first is pure Merkle arithmetic over "stored hashes":
 * the hash of every complete subtree, addressed by (level, index), where
 * the subtree at (L, i) covers leaves [i * 2^L, (i + 1) * 2^L). From those,
 * the tree hash of any size, inclusion proofs and consistency proofs take
 * O(log n) reads. The verifiers are RFC 9162's algorithms (2.1.3.2 and
 * 2.1.4.2) and need no stored state at all.
 *
 * The second is the log itself, persisted in the node's SQLite database in
 * the caller's transaction (leaves and complete-subtree hashes; appending
 * writes amortised two rows per leaf and reads nothing: the right edge of
 * the tree is kept in memory and reloaded after a rollback).
 */
#ifndef HOTLINE_TLOG_H
#define HOTLINE_TLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct store;

#define TLOG_HASH_LEN		32
#define TLOG_LEVELS		64
#define TLOG_PROOF_MAX		128	/* hashes in any proof of a tree < 2^63 */
#define TLOG_LEAF_MAX		(4 + PARTY_MAX + 32 + 8)
#define TLOG_LEAF_VERSION	1

enum tlog_leaf_type { LEAF_MSG = 1, LEAF_RECEIPT = 2 };

/* A decoded leaf: what the node commits to for each message or receipt. */
struct tlog_leaf {
	uint8_t		 type;		/* enum tlog_leaf_type */
	uint8_t		 dir;		/* DIR_OUT: we sent / issued; DIR_IN: we received */
	char		 peer[PARTY_MAX + 1];
	uint8_t		 id[32];	/* message id or receipt id */
	uint64_t	 time;		/* node's UTC ms: acceptance or receipt */
};

/* Leaf data: u8 version, u8 type, u8 dir, str8 peer, id[32], u64 time.
 * Returns the length written to out (at most TLOG_LEAF_MAX) or 0. */
size_t	tlog_leaf_encode(const struct tlog_leaf *lf, uint8_t out[TLOG_LEAF_MAX]);
/* Strict decode; 0 or -1 with a reason. */
int	tlog_leaf_decode(const uint8_t *p, size_t n, struct tlog_leaf *lf,
	    const char **why);

void	tlog_leaf_hash(const void *data, size_t len, uint8_t out[TLOG_HASH_LEN]);
void	tlog_node_hash(const uint8_t l[TLOG_HASH_LEN], const uint8_t r[TLOG_HASH_LEN],
	    uint8_t out[TLOG_HASH_LEN]);

/* Read the stored hash of the complete subtree (level, idx). 0 or -1. */
typedef int (*tlog_read_fn)(void *arg, int level, uint64_t idx,
    uint8_t out[TLOG_HASH_LEN]);
/* Write a newly complete subtree's hash. 0 or -1. */
typedef int (*tlog_write_fn)(void *arg, int level, uint64_t idx,
    const uint8_t h[TLOG_HASH_LEN]);

/* The right edge of a tree of `size` leaves: h[L] is the hash of the
 * complete subtree at level L ending the tree's prefix, for each bit L set
 * in size. Enough to append and to compute the root without reading. */
struct tlog_frontier {
	uint64_t	size;
	uint8_t		h[TLOG_LEVELS][TLOG_HASH_LEN];
};

/* Load the frontier of a tree of n leaves through rd. 0 or -1. */
int	tlog_frontier_load(struct tlog_frontier *f, uint64_t n, tlog_read_fn rd,
	    void *arg);
/* Append one leaf hash; wr receives (0, size, leaf) and every subtree the
 * leaf completes. 0 or -1 (f unchanged on failure of wr only if the caller
 * discards f; the caller's transaction must roll back). */
int	tlog_frontier_append(struct tlog_frontier *f,
	    const uint8_t leaf[TLOG_HASH_LEN], tlog_write_fn wr, void *arg);
/* Root hash (SHA-256 of the empty string for size 0). */
void	tlog_frontier_root(const struct tlog_frontier *f, uint8_t out[TLOG_HASH_LEN]);

/* Tree hash of the first n leaves. 0 or -1. */
int	tlog_tree_hash(tlog_read_fn rd, void *arg, uint64_t n,
	    uint8_t out[TLOG_HASH_LEN]);
/* Inclusion proof of leaf m in the tree of size n (m < n): *plen hashes,
 * leaf side first (RFC 6962 PATH). 0 or -1. */
int	tlog_prove_inclusion(tlog_read_fn rd, void *arg, uint64_t n, uint64_t m,
	    uint8_t proof[][TLOG_HASH_LEN], int *plen);
/* Consistency proof from size m to size n (0 < m <= n; m == n gives an
 * empty proof): RFC 6962 PROOF. 0 or -1. */
int	tlog_prove_consistency(tlog_read_fn rd, void *arg, uint64_t m, uint64_t n,
	    uint8_t proof[][TLOG_HASH_LEN], int *plen);
/* The number of hashes in the inclusion proof of leaf m in a tree of n
 * leaves (RFC 6962 PATH), or -1 if m >= n. */
int	tlog_inclusion_len(uint64_t m, uint64_t n);
/* The root that proof gives for leaf hash `leaf` at index m of a tree of
 * size n (RFC 9162 2.1.3.2 without the final comparison). 0, or -1 if the
 * proof has the wrong length for (m, n). */
int	tlog_root_from_inclusion(uint64_t m, uint64_t n,
	    const uint8_t leaf[TLOG_HASH_LEN], const uint8_t (*proof)[TLOG_HASH_LEN],
	    int plen, uint8_t root[TLOG_HASH_LEN]);
/*
 * An inclusion path kept with every node it computes (node[0] the leaf,
 * node[plen] the root), so that another leaf of the same tree can join it
 * (tlog_root_from_path). Paths longer than TLOG_PATH_KEEP are not kept.
 */
#define TLOG_PATH_KEEP		16
struct tlog_path {
	uint64_t	n;		/* tree size; 0: empty */
	int		plen;
	uint8_t		left[TLOG_PATH_KEEP];	/* proof[i] hashed on the left */
	uint8_t		proof[TLOG_PATH_KEEP][TLOG_HASH_LEN];
	uint8_t		node[TLOG_PATH_KEEP + 1][TLOG_HASH_LEN];
};
/*
 * tlog_root_from_inclusion(), cheaper when known (may be NULL) is the path
 * of another leaf of the same tree: once the leaf's own nodes reach a
 * sibling on known's path, with the rest of proof equal to the rest of
 * known's and hashed on the same sides, the root is known's, exactly the
 * root the full computation would give. Whether known's root is good is
 * the caller's business. out (if not NULL, not known) receives this path
 * (out->n = 0 if it is too long to keep). 0, or -1 as
 * tlog_root_from_inclusion().
 */
int	tlog_root_from_path(uint64_t m, uint64_t n,
	    const uint8_t leaf[TLOG_HASH_LEN], const uint8_t (*proof)[TLOG_HASH_LEN],
	    int plen, const struct tlog_path *known, struct tlog_path *out,
	    uint8_t root[TLOG_HASH_LEN]);
/* RFC 9162 2.1.3.2: does proof show leaf hash `leaf` at index m in the tree
 * of size n with root `root`? */
bool	tlog_verify_inclusion(uint64_t m, uint64_t n,
	    const uint8_t leaf[TLOG_HASH_LEN], const uint8_t (*proof)[TLOG_HASH_LEN],
	    int plen, const uint8_t root[TLOG_HASH_LEN]);
/* RFC 9162 2.1.4.2: is the tree of size n with root `newr` an extension of
 * the tree of size m with root `oldr`? (m == n: roots equal, proof empty.) */
bool	tlog_verify_consistency(uint64_t m, uint64_t n,
	    const uint8_t (*proof)[TLOG_HASH_LEN], int plen,
	    const uint8_t oldr[TLOG_HASH_LEN], const uint8_t newr[TLOG_HASH_LEN]);

/*
 * The node's log in its store.
 */
struct tlog;

/* Open the log kept in st (the tables exist from the store's migrations)
 * and load its right edge. NULL on failure. */
struct tlog	*tlog_open(struct store *st);
void		 tlog_free(struct tlog *t);	/* NULL is a no-op */
/* Size and root of the committed tree. */
uint64_t	 tlog_size(struct tlog *t);
void		 tlog_root(struct tlog *t, uint8_t out[TLOG_HASH_LEN]);
/* Append a leaf inside the caller's store transaction; *idx gets its
 * index. The in-memory edge follows the transaction's outcome (commit or
 * rollback) through the store's transaction hook. 0 or -1. */
int	tlog_append(struct tlog *t, const struct tlog_leaf *lf, uint64_t *idx);
/* Convenience wrappers for deliver.c. */
int	tlog_append_msg(struct tlog *t, const uint8_t id[32], int dir,
	    const char *peer, uint64_t time);
int	tlog_append_receipt(struct tlog *t, const uint8_t id[32], int dir,
	    const char *peer, uint64_t time);
/* Leaf data and hash at idx (< tlog_size). 0, 1 if none, -1 on error. */
int	tlog_leaf_get(struct tlog *t, uint64_t idx, uint8_t data[TLOG_LEAF_MAX],
	    size_t *len);
/* Index of the leaf of type `type` for id, appended with time `time` (the
 * message's accepted or received time, the receipt's stored time): 0
 * found, 1 none, -1 error. */
int	tlog_leaf_find(struct tlog *t, int type, const uint8_t id[32],
	    uint64_t time, uint64_t *idx);
/* Proofs and hashes against the committed tree (sizes <= tlog_size). */
int	tlog_log_tree_hash(struct tlog *t, uint64_t n, uint8_t out[TLOG_HASH_LEN]);
int	tlog_log_inclusion(struct tlog *t, uint64_t n, uint64_t m,
	    uint8_t proof[][TLOG_HASH_LEN], int *plen);
int	tlog_log_consistency(struct tlog *t, uint64_t m, uint64_t n,
	    uint8_t proof[][TLOG_HASH_LEN], int *plen);
/* Recompute every leaf hash and stored subtree hash from the leaf data and
 * compare with what is stored: 0 all good, 1 mismatch (why set), -1 error. */
int	tlog_check_all(struct tlog *t, char *why, size_t whylen);

#endif
