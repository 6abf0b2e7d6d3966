/*
 * match.h: retro-hunt. A set of indicator values (addresses and CIDR
 * ranges, domain names, URLs, file hashes) and a scanner that finds them
 * as whole tokens in log text: one pass over the bytes, a hash lookup only
 * for tokens shaped like a value, chunks scanned by threads in parallel.
 */
#ifndef HOTLINE_MATCH_H
#define HOTLINE_MATCH_H

#include <stddef.h>
#include <stdint.h>

struct match_set;

struct match_set *match_set_new(void);
void	match_set_free(struct match_set *ms);	/* NULL is a no-op */
/* Add a value of kind (enum stix_term_kind) for indicator number ind.
 * 0, or -1 if the value cannot be matched (bad address). */
int	match_set_add(struct match_set *ms, int kind, const char *value,
	    size_t len, uint32_t ind);
size_t	match_set_size(const struct match_set *ms);
/* Room for about nvalues values of nbytes in all, so that adding them does
 * not grow (and copy) the arrays; only a hint. */
void	match_set_reserve(struct match_set *ms, size_t nvalues,
	    size_t nbytes);

struct match_hit {
	uint64_t	 line;		/* 1-based */
	uint64_t	 off;		/* byte offset of the value */
	uint32_t	 len;		/* bytes of the value */
	uint32_t	 ind;
};

/*
 * Scan len bytes at buf with nthreads threads (1..64). On success returns
 * 0 with *hits (malloc'd, in offset order; free it) and *nhits. -1 on
 * allocation or thread failure. Builds the set's lookup filter first, so
 * the set must not change during the scan.
 */
int	match_scan(struct match_set *ms, const char *buf, size_t len,
	    int nthreads, struct match_hit **hits, size_t *nhits);

/* match_scan() on a chosen path: the fastest the CPU has, the
 * byte-at-a-time reference, or the SSE2 block path (the block paths are
 * checked against the reference in tests). */
enum { MATCH_AUTO = 0, MATCH_SCALAR = 1, MATCH_SSE2 = 2 };
int	match_scan_opt(struct match_set *ms, const char *buf, size_t len,
	    int nthreads, int mode, struct match_hit **hits, size_t *nhits);

#endif
