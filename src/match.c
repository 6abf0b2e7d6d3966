/*
 * match.c: the retro-hunt matcher.
 *
 * The scanner walks the text once and cuts it into words: maximal runs of
 * [A-Za-z0-9._-]. Only words shaped like a value are looked up: containing
 * a dot (addresses, domain names) or 32, 40 or 64 characters long
 * (hashes). IPv4 words are parsed into a number and looked up, per prefix
 * length in use, in a table of (masked address, prefix length). When the
 * set holds URLs or IPv6 values, the longer runs around a colon (non-blank,
 * non-quote characters) are checked too. Strings are compared
 * case-insensitively (domain names and hex hashes are; URLs as given),
 * always whole: 1.2.3.4 never matches inside 11.2.3.45.
 *
 * The fast path classifies 64 bytes at a time into bit masks (word bytes,
 * dots, colons) with AVX2 when the CPU has it, else SSE2, and finds the
 * words around dots and the long dot-less runs with bit arithmetic on the
 * masks; a block of plain text costs a few dozen instructions. Lookups are
 * queued: a token's hash is computed and its table slot prefetched, and
 * the queue is drained when full, so the cache misses of many lookups
 * overlap instead of following one another. Line numbers are counted only
 * for hits, from the previous hit (the bytes between are still in cache).
 *
 * The set keeps its values in arrays as they are added and builds its two
 * open-addressing tables at the first scan, sized once: IPv4 (address,
 * prefix length, indicator) slots, and (hash tag, entry) slots for every
 * other value (domain names, hashes, URLs, IPv6 addresses as 16 binary
 * bytes, IPv6 ranges as 16 masked bytes and the prefix length). A value
 * of several indicators appears once per indicator. Text is split at line
 * boundaries into one chunk per thread; hits carry chunk-local line numbers
 * until the chunks' newline counts are summed.
 */
#include <sys/mman.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "match.h"
#include "stix.h"
#include "log.h"
#include "util.h"

/* Inlined into each block scanner, compiled for its instruction set. */
#define ALWAYS_INLINE inline __attribute__((always_inline))

struct v4ent {
	uint32_t	 addr;		/* masked to its prefix */
	uint32_t	 bits;		/* prefix length + 1; 0: empty slot */
	uint32_t	 ind;
};

struct sslot {
	uint32_t	 tag;		/* hash bits, never 0; 0: empty slot */
	uint32_t	 e;		/* index into ents */
};

struct ent {
	uint32_t	 off, len;	/* value in the arena */
	uint32_t	 ind;
	uint32_t	 kind;
};

struct match_set {
	/* as added */
	struct v4ent	*v4list;
	size_t		 v4n, v4listcap;
	struct ent	*ents;
	size_t		 nents, entcap;
	char		*arena;
	size_t		 alen, acap;
	uint64_t	 v4bits;	/* prefix lengths in use: bit n = /n */
	uint64_t	 v6bits[2];	/* IPv6 prefix lengths 0..127 in use */
	int		 has_url, has_v6;
	/* a string value made of digits and dots only: without one, such
	 * words (timestamps) that are not IPv4 addresses need no lookup */
	int		 has_numeric;
	/* built by set_build() for the entries above */
	struct v4ent	*v4t;
	size_t		 v4cap;		/* a power of two */
	struct sslot	*st;
	size_t		 scap;		/* a power of two */
	uint64_t	*filter;
	size_t		 fwords;
	unsigned	 fshift;	/* 64 - log2(fwords) */
	size_t		 built_v4, built_s;
};

/*
 * A hash of s folded to lowercase (bit 5 set on every byte, which lowers
 * ASCII letters and leaves digits, '.', '-', ':' and '/' alone; values
 * that differ only in that bit are told apart by the comparison after).
 * Eight bytes per step.
 */
static ALWAYS_INLINE uint64_t
hash_fold(const char *s, size_t n)
{
	uint64_t h = (uint64_t)n * 0x9e3779b97f4a7c15ULL, w;

	while (n >= 8) {
		memcpy(&w, s, 8);
		w |= 0x2020202020202020ULL;
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 29;
		s += 8;
		n -= 8;
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, s, n);
		w |= 0x2020202020202020ULL & ((1ULL << (8 * n)) - 1);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 29;
	}
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 32;
	return h;
}

static ALWAYS_INLINE uint32_t
hash_tag(uint64_t h)
{
	return (uint32_t)(h >> 32) | 1;
}

/* The hash of (addr, prefix length) for the IPv4 table. */
static ALWAYS_INLINE uint64_t
v4_hash(uint32_t addr, unsigned bits)
{
	uint64_t h = ((uint64_t)addr << 6 | bits) * 0x9e3779b97f4a7c15ULL;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

/*
 * The filter: one 64-bit word per hash (its top bits), two bits set in it
 * (from two other parts of the hash) per value, about 32 bits per value.
 * Almost every token is not in the set, and one probe of this word, far
 * smaller than the tables, says so with a branch that is almost always
 * taken the same way; well under 1 % of tokens go on to the tables.
 */
static ALWAYS_INLINE uint64_t
filter_bits(uint64_t h)
{
	return 1ULL << ((h >> 32) & 63) | 1ULL << ((h >> 40) & 63);
}

static ALWAYS_INLINE const uint64_t *
filter_word(const struct match_set *ms, uint64_t h)
{
	return &ms->filter[h >> ms->fshift];
}

static ALWAYS_INLINE uint32_t
v4_mask(unsigned bits)
{
	return bits == 0 ? 0 : 0xffffffffu << (32 - bits);
}

static void	table_free(void *, size_t);

struct match_set *
match_set_new(void)
{
	return xcalloc(1, sizeof(struct match_set));
}

void
match_set_free(struct match_set *ms)
{
	if (ms == NULL)
		return;
	free(ms->v4list);
	free(ms->ents);
	free(ms->arena);
	table_free(ms->v4t, ms->v4cap * sizeof(*ms->v4t));
	table_free(ms->st, ms->scap * sizeof(*ms->st));
	table_free(ms->filter, ms->fwords * sizeof(*ms->filter));
	free(ms);
}

size_t
match_set_size(const struct match_set *ms)
{
	return ms->v4n + ms->nents;
}

/* A dotted-quad word: parse strictly (no leading zeros beyond "0"). */
static ALWAYS_INLINE int
parse_v4(const char *s, size_t n, uint32_t *out)
{
	uint32_t a = 0;
	size_t i;
	int part = 0, v = -1, digits = 0;

	for (i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d <= 9) {
			if (digits == 3 || (digits == 1 && v == 0))
				return -1;
			v = (v < 0 ? 0 : v) * 10 + (int)d;
			digits++;
			if (v > 255)
				return -1;
		} else if (s[i] == '.') {
			if (v < 0 || part == 3)
				return -1;
			a = a << 8 | (uint32_t)v;
			part++;
			v = -1;
			digits = 0;
		} else
			return -1;
	}
	if (v < 0 || part != 3)
		return -1;
	*out = a << 8 | (uint32_t)v;
	return 0;
}

void
match_set_reserve(struct match_set *ms, size_t nvalues, size_t nbytes)
{
	if (nvalues > ms->entcap) {
		ms->entcap = nvalues;
		ms->ents = xreallocarray(ms->ents, ms->entcap,
		    sizeof(*ms->ents));
	}
	if (nvalues > ms->v4listcap) {
		ms->v4listcap = nvalues;
		ms->v4list = xreallocarray(ms->v4list, ms->v4listcap,
		    sizeof(*ms->v4list));
	}
	if (nbytes > ms->acap) {
		ms->acap = nbytes;
		ms->arena = xreallocarray(ms->arena, ms->acap, 1);
	}
}

static int
add_string(struct match_set *ms, int kind, const char *v, size_t len,
    uint32_t ind)
{
	struct ent *e;

	if (len == 0 || len > UINT32_MAX || ms->alen + len > UINT32_MAX ||
	    ms->nents >= UINT32_MAX)
		return -1;
	if (ms->nents == ms->entcap) {
		ms->entcap = ms->entcap ? ms->entcap * 2 : 1024;
		ms->ents = xreallocarray(ms->ents, ms->entcap,
		    sizeof(*ms->ents));
	}
	if (ms->alen + len > ms->acap) {
		ms->acap = (ms->acap + len) * 2;
		ms->arena = xreallocarray(ms->arena, ms->acap, 1);
	}
	memcpy(ms->arena + ms->alen, v, len);
	e = &ms->ents[ms->nents++];
	e->off = (uint32_t)ms->alen;
	e->len = (uint32_t)len;
	e->ind = ind;
	e->kind = (uint32_t)kind;
	ms->alen += len;
	return 0;
}

static void
add_v4(struct match_set *ms, uint32_t addr, unsigned bits, uint32_t ind)
{
	struct v4ent *e;

	if (ms->v4n == ms->v4listcap) {
		ms->v4listcap = ms->v4listcap ? ms->v4listcap * 2 : 1024;
		ms->v4list = xreallocarray(ms->v4list, ms->v4listcap,
		    sizeof(*ms->v4list));
	}
	e = &ms->v4list[ms->v4n++];
	e->addr = addr & v4_mask(bits);
	e->bits = bits + 1;
	e->ind = ind;
	ms->v4bits |= 1ULL << bits;
}

int
match_set_add(struct match_set *ms, int kind, const char *value, size_t len,
    uint32_t ind)
{
	char addr[64];
	uint8_t a[17];
	const char *slash;
	size_t alen, i;
	uint64_t b;
	uint32_t v4;
	int bits, v6;

	if (kind == TERM_URL)
		ms->has_url = 1;
	if (kind != TERM_IPV4 && kind != TERM_IPV6)
		return add_string(ms, kind, value, len, ind);
	v6 = kind == TERM_IPV6;
	slash = memchr(value, '/', len);
	alen = slash != NULL ? (size_t)(slash - value) : len;
	if (alen >= sizeof(addr))
		return -1;
	memcpy(addr, value, alen);
	addr[alen] = '\0';
	bits = v6 ? 128 : 32;
	if (slash != NULL) {
		char pfx[4];
		size_t plen = len - alen - 1;

		if (plen == 0 || plen >= sizeof(pfx))
			return -1;
		memcpy(pfx, slash + 1, plen);
		pfx[plen] = '\0';
		if (parse_u64(pfx, 0, v6 ? 128 : 32, &b) == -1)
			return -1;
		bits = (int)b;
	}
	/* the strict dotted quad the scanner parses is what inet_pton
	 * takes for IPv4, only faster */
	if (!v6 && parse_v4(addr, alen, &v4) == 0) {
		add_v4(ms, v4, (unsigned)bits, ind);
		return 0;
	}
	memset(a, 0, sizeof(a));
	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, a) != 1)
		return -1;
	if (!v6) {
		add_v4(ms, (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
		    (uint32_t)a[2] << 8 | a[3], (unsigned)bits, ind);
		return 0;
	}
	ms->has_v6 = 1;
	/* Exact addresses are their 16 binary bytes; ranges the masked
	 * address and the prefix length. */
	if (bits == 128)
		return add_string(ms, kind, (const char *)a, 16, ind);
	for (i = (size_t)bits; i < 128; i++)
		a[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	a[16] = (uint8_t)bits;
	ms->v6bits[bits / 64] |= 1ULL << (bits % 64);
	return add_string(ms, kind, (const char *)a, 17, ind);
}

/* A power of two with n at most 3/4 of it, at least 16. */
static size_t
table_cap(size_t n)
{
	size_t cap = 16;

	while (cap / 4 * 3 < n)
		cap *= 2;
	return cap;
}

/* A zeroed table of n bytes; big ones mapped apart, on huge pages where
 * the kernel gives them on request (random probes then miss the TLB far
 * less). Freed with table_free() and the same n. */
#define TABLE_HUGE	((size_t)2 << 20)

static void *
table_alloc(size_t n)
{
	void *p;

	if (n < TABLE_HUGE)
		return xcalloc(1, n);
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		fatal("match: cannot map %zu bytes", n);
	(void)madvise(p, n, MADV_HUGEPAGE);
	return p;
}

static void
table_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	if (n < TABLE_HUGE)
		free(p);
	else
		munmap(p, n);
}

#define BUILD_BATCH	32

/* (Re)build the lookup tables and the filter for the values added so
 * far. */
static void
set_build(struct match_set *ms)
{
	uint64_t h, hb[BUILD_BATCH];
	size_t i, j, k, n, words;
	unsigned lg;

	if (ms->v4t != NULL && ms->built_v4 == ms->v4n && ms->built_s ==
	    ms->nents)
		return;
	for (words = 64, lg = 6; words * 2 < ms->v4n + ms->nents && lg < 28;
	    words *= 2)
		lg++;
	table_free(ms->filter, ms->fwords * sizeof(*ms->filter));
	ms->filter = table_alloc(words * sizeof(uint64_t));
	ms->fwords = words;
	ms->fshift = 64 - lg;
	table_free(ms->v4t, ms->v4cap * sizeof(*ms->v4t));
	ms->v4cap = table_cap(ms->v4n);
	ms->v4t = table_alloc(ms->v4cap * sizeof(*ms->v4t));
	/* in batches: hash, prefetch, then insert (the inserts' cache
	 * misses overlap) */
	for (i = 0; i < ms->v4n; i += BUILD_BATCH) {
		n = ms->v4n - i < BUILD_BATCH ? ms->v4n - i : BUILD_BATCH;
		for (k = 0; k < n; k++) {
			const struct v4ent *e = &ms->v4list[i + k];

			hb[k] = v4_hash(e->addr, e->bits - 1);
			__builtin_prefetch(&ms->filter[hb[k] >> ms->fshift], 1);
			__builtin_prefetch(&ms->v4t[hb[k] & (ms->v4cap - 1)], 1);
		}
		for (k = 0; k < n; k++) {
			h = hb[k];
			ms->filter[h >> ms->fshift] |= filter_bits(h);
			for (j = h & (ms->v4cap - 1); ms->v4t[j].bits != 0;
			    j = (j + 1) & (ms->v4cap - 1))
				;
			ms->v4t[j] = ms->v4list[i + k];
		}
	}
	table_free(ms->st, ms->scap * sizeof(*ms->st));
	ms->scap = table_cap(ms->nents);
	ms->st = table_alloc(ms->scap * sizeof(*ms->st));
	ms->has_numeric = 0;
	for (i = 0; i < ms->nents; i += BUILD_BATCH) {
		n = ms->nents - i < BUILD_BATCH ? ms->nents - i : BUILD_BATCH;
		for (k = 0; k < n; k++) {
			const struct ent *e = &ms->ents[i + k];

			hb[k] = hash_fold(ms->arena + e->off, e->len);
			__builtin_prefetch(&ms->filter[hb[k] >> ms->fshift], 1);
			__builtin_prefetch(&ms->st[hb[k] & (ms->scap - 1)], 1);
		}
		for (k = 0; k < n; k++) {
			const struct ent *e = &ms->ents[i + k];
			const char *v = ms->arena + e->off;

			h = hb[k];
			ms->filter[h >> ms->fshift] |= filter_bits(h);
			for (j = h & (ms->scap - 1); ms->st[j].tag != 0;
			    j = (j + 1) & (ms->scap - 1))
				;
			ms->st[j].tag = hash_tag(h);
			ms->st[j].e = (uint32_t)(i + k);
			for (j = 0; j < e->len && e->kind != TERM_IPV6 &&
			    (isdigit((unsigned char)v[j]) || v[j] == '.'); j++)
				;
			if (j == e->len)
				ms->has_numeric = 1;
		}
	}
	ms->built_v4 = ms->v4n;
	ms->built_s = ms->nents;
}

/* ---- scanning ---- */

enum { C_OTHER = 0, C_WORD = 1, C_NL = 2 };
#define QLEN	16
#ifndef PF_AHEAD
#define PF_AHEAD	1024
#endif

/* A queued lookup: its slot is being prefetched. */
struct pend {
	const char	*s;
	uint64_t	 h;		/* the hash */
	uint32_t	 n;		/* bytes of the value (= of the hit) */
	uint32_t	 addr;		/* IPv4 */
};

struct scan {
	const struct match_set	*ms;
	const char		*base;		/* whole buffer */
	size_t			 from, to;	/* this chunk */
	struct match_hit	*hits;
	size_t			 nhits, cap;
	uint64_t		 lines;		/* newlines in the chunk */
	size_t			 lpos;		/* line counted up to here */
	uint64_t		 lline;		/* the line at lpos */
	int			 mode;		/* MATCH_AUTO, ... */
	int			 last;		/* the last chunk */
	int			 nq, n4;
	struct pend		 q[QLEN];	/* strings */
	struct pend		 q4[QLEN];	/* IPv4 addresses */
	uint8_t			 cls[256];
};

/* Newlines in n bytes at p, 16 bytes at a time. */
static uint64_t
count_nl(const char *p, size_t n)
{
	uint64_t c = 0;
	size_t i = 0;
#if defined(__SSE2__)
	const __m128i nl = _mm_set1_epi8('\n'), z = _mm_setzero_si128();

	while (n - i >= 16) {
		__m128i acc = z;
		size_t k;

		/* at most 255 blocks before the byte counters overflow */
		for (k = 0; k < 255 && n - i >= 16; k++, i += 16)
			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(
			    _mm_loadu_si128((const __m128i *)(p + i)), nl));
		acc = _mm_sad_epu8(acc, z);
		c += (uint64_t)_mm_cvtsi128_si64(acc) +
		    (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(acc, acc));
	}
#endif
	for (; i < n; i++)
		c += p[i] == '\n';
	return c;
}

static void
hit_add(struct scan *sc, size_t off, size_t len, uint32_t ind)
{
	struct match_hit *h;

	if (sc->nhits == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 64;
		sc->hits = xreallocarray(sc->hits, sc->cap, sizeof(*sc->hits));
	}
	/* the line: from the previous hit, forwards or (queued lookups
	 * and fields come slightly out of order) backwards */
	if (off >= sc->lpos)
		sc->lline += count_nl(sc->base + sc->lpos, off - sc->lpos);
	else
		sc->lline -= count_nl(sc->base + off, sc->lpos - off);
	sc->lpos = off;
	h = &sc->hits[sc->nhits++];
	h->line = sc->lline;
	h->off = off;
	h->len = (uint32_t)len;
	h->ind = ind;
}

/* The indicators of (key, prefix length) with hash h. */
static void
find_v4_key(struct scan *sc, uint32_t key, unsigned bits, uint64_t h,
    const char *s, size_t n)
{
	const struct match_set *ms = sc->ms;
	size_t j;

	for (j = h & (ms->v4cap - 1); ms->v4t[j].bits != 0;
	    j = (j + 1) & (ms->v4cap - 1))
		if (ms->v4t[j].addr == key && ms->v4t[j].bits == bits + 1)
			hit_add(sc, (size_t)(s - sc->base), n, ms->v4t[j].ind);
}

/* Every indicator for the IPv4 address a at [s, s + n): exact (hash h)
 * and per prefix length in use. */
static ALWAYS_INLINE void
find_v4(struct scan *sc, uint32_t a, uint64_t h, const char *s, size_t n)
{
	const struct match_set *ms = sc->ms;
	uint64_t lens = ms->v4bits & ~(1ULL << 32), fb = filter_bits(h), hb;
	unsigned bits;

	if ((*filter_word(ms, h) & fb) == fb)
		find_v4_key(sc, a, 32, h, s, n);
	while (__builtin_expect(lens != 0, 0)) {
		bits = (unsigned)__builtin_ctzll(lens);
		lens &= lens - 1;
		hb = v4_hash(a & v4_mask(bits), bits);
		fb = filter_bits(hb);
		if ((*filter_word(ms, hb) & fb) == fb)
			find_v4_key(sc, a & v4_mask(bits), bits, hb, s, n);
	}
}

/* Every indicator whose value equals v (len n, hash h): binary 1 for
 * IPv6 values (16 or 17 bytes), 2 for URLs (exact), 0 for the other kinds
 * (case-insensitively). The hit is [s, s + hitlen). */
static ALWAYS_INLINE void
find_str(struct scan *sc, const char *v, size_t n, uint64_t h, int binary,
    const char *s, size_t hitlen)
{
	const struct match_set *ms = sc->ms;
	uint64_t fb = filter_bits(h);
	uint32_t tag;
	const struct sslot *sl;
	const struct ent *e;
	size_t j;

	if (__builtin_expect((*filter_word(ms, h) & fb) != fb, 1))
		return;
	tag = hash_tag(h);
	for (j = h & (ms->scap - 1);; j = (j + 1) & (ms->scap - 1)) {
		sl = &ms->st[j];
		if (sl->tag == 0)
			return;
		if (sl->tag != tag)
			continue;
		e = &ms->ents[sl->e];
		if (e->len != n)
			continue;
		if (binary == 1 ? e->kind == TERM_IPV6 &&
		    memcmp(ms->arena + e->off, v, n) == 0 : binary == 2 ?
		    e->kind == TERM_URL && memcmp(ms->arena + e->off, v,
		    n) == 0 : e->kind != TERM_IPV4 && e->kind != TERM_IPV6 &&
		    e->kind != TERM_URL && strncasecmp(ms->arena + e->off, v,
		    n) == 0)
			hit_add(sc, (size_t)(s - sc->base), hitlen, e->ind);
	}
}

static void
q_drain(struct scan *sc)
{
	int i;

	for (i = 0; i < sc->nq; i++)
		find_str(sc, sc->q[i].s, sc->q[i].n, sc->q[i].h, 0, sc->q[i].s,
		    sc->q[i].n);
	sc->nq = 0;
}

static void
q_drain4(struct scan *sc)
{
	int i;

	for (i = 0; i < sc->n4; i++)
		find_v4(sc, sc->q4[i].addr, sc->q4[i].h, sc->q4[i].s,
		    sc->q4[i].n);
	sc->n4 = 0;
}

static ALWAYS_INLINE void
q_v4(struct scan *sc, const char *s, size_t n, uint32_t a)
{
	struct pend *p;
	uint64_t h;

	if (sc->ms->v4n == 0)
		return;
	h = v4_hash(a, 32);
	__builtin_prefetch(filter_word(sc->ms, h));
	p = &sc->q4[sc->n4++];
	p->s = s;
	p->n = (uint32_t)n;
	p->addr = a;
	p->h = h;
	if (sc->n4 == QLEN)
		q_drain4(sc);
}

static ALWAYS_INLINE void
q_str(struct scan *sc, const char *s, size_t n)
{
	struct pend *p;
	uint64_t h;

	if (sc->ms->nents == 0)
		return;
	h = hash_fold(s, n);
	__builtin_prefetch(filter_word(sc->ms, h));
	p = &sc->q[sc->nq++];
	p->s = s;
	p->n = (uint32_t)n;
	p->h = h;
	if (sc->nq == QLEN)
		q_drain(sc);
}

/* The word [s, s + n) holding dots dots: look it up if shaped like a
 * value. */
static ALWAYS_INLINE void
word(struct scan *sc, const char *s, size_t n, unsigned dots)
{
	uint32_t a;

	/* Trailing dots belong to the sentence, not the value. */
	while (n > 0 && s[n - 1] == '.') {
		n--;
		dots--;
	}
	if (n == 0)
		return;
	if (dots == 3 && n <= 15 && s[0] >= '0' && s[0] <= '9' &&
	    parse_v4(s, n, &a) == 0) {
		q_v4(sc, s, n, a);
		return;
	}
	if (dots > 0 || n == 32 || n == 40 || n == 64)
		q_str(sc, s, n);
}

/* The IPv6 address a (16 bytes) at [s, s + n): exact and ranges. */
static void
find_v6(struct scan *sc, const uint8_t *a, const char *s, size_t n)
{
	const struct match_set *ms = sc->ms;
	uint8_t k[17];
	unsigned bits, i;

	find_str(sc, (const char *)a, 16, hash_fold((const char *)a, 16), 1,
	    s, n);
	for (bits = 0; bits < 128; bits++) {
		if (!(ms->v6bits[bits / 64] & (1ULL << (bits % 64))))
			continue;
		memcpy(k, a, 16);
		for (i = bits; i < 128; i++)
			k[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
		k[16] = (uint8_t)bits;
		find_str(sc, (const char *)k, 17, hash_fold((const char *)k,
		    17), 1, s, n);
	}
}

/* The run of non-blank, non-quote bytes [fs, fe): URLs, IPv6. */
static void
field(struct scan *sc, const char *fs, const char *fe)
{
	size_t n = (size_t)(fe - fs), i;
	char addr[64];
	uint8_t a[16];
	int colons = 0;

	if (sc->ms->has_url && n > 7 && memmem(fs, n, "://", 3) != NULL) {
		find_str(sc, fs, n, hash_fold(fs, n), 2, fs, n);
		/* and without trailing punctuation */
		while (n > 0 && strchr(".,;)]>", fs[n - 1]) != NULL)
			n--;
		if (n != (size_t)(fe - fs))
			find_str(sc, fs, n, hash_fold(fs, n), 2, fs, n);
	}
	if (!sc->ms->has_v6)
		return;
	/* IPv6: each run of hex digits, ':' and '.' with two colons or
	 * more ("SRC=[2001:db8::7]:443" holds 2001:db8::7). */
	for (i = 0; i < n; ) {
		size_t j = i;

		colons = 0;
		while (j < n && (isxdigit((unsigned char)fs[j]) ||
		    fs[j] == ':' || fs[j] == '.'))
			colons += fs[j++] == ':';
		if (colons >= 2 && j - i < sizeof(addr)) {
			memcpy(addr, fs + i, j - i);
			addr[j - i] = '\0';
			if (inet_pton(AF_INET6, addr, a) == 1)
				find_v6(sc, a, fs + i, j - i);
		}
		i = j > i ? j : i + 1;
	}
}

static int
is_field_end(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '"' || c == '\'' ||
	    c == '<' || c == '>';
}

/* The reference scanner: byte by byte through the class table. */
static void
scan_bytes(struct scan *sc)
{
	const unsigned char *p = (const unsigned char *)sc->base + sc->from;
	const unsigned char *end = (const unsigned char *)sc->base + sc->to;
	const unsigned char *ws, *fs;
	unsigned dots;
	int wide = sc->ms->has_url || sc->ms->has_v6;

	fs = p;
	while (p < end) {
		if (sc->cls[*p] == C_WORD) {
			ws = p;
			dots = 0;
			while (p < end && sc->cls[*p] == C_WORD) {
				dots += *p == '.';
				p++;
			}
			if (dots > 0 || p - ws == 32 || p - ws == 40 ||
			    p - ws == 64)
				word(sc, (const char *)ws, (size_t)(p - ws),
				    dots);
			continue;
		}
		if (wide && is_field_end(*p)) {
			if (p > fs)
				field(sc, (const char *)fs, (const char *)p);
			fs = p + 1;
		}
		p++;
	}
	if (wide && p > fs)
		field(sc, (const char *)fs, (const char *)p);
}

#if defined(__x86_64__) && defined(__SSE2__)
#define HAVE_BLOCKS 1

static ALWAYS_INLINE uint64_t
lowmask(unsigned n)
{
	return n >= 64 ? ~0ULL : (1ULL << n) - 1;
}

/* Bit masks of 64 bytes at p: word bytes, dots, colons. */
static inline void
masks_sse2(const char *p, uint64_t *W, uint64_t *D, uint64_t *C,
    uint64_t *G)
{
	/* signed compares after a bias: x - lo - 128 < n - 128 is the
	 * unsigned lo <= x < lo + n */
	const __m128i k20 = _mm_set1_epi8(0x20), und = _mm_set1_epi8('_');
	const __m128i ba = _mm_set1_epi8((char)('a' + 128));
	const __m128i b0 = _mm_set1_epi8((char)('0' + 128));
	const __m128i bd = _mm_set1_epi8((char)('-' + 128));
	const __m128i n26 = _mm_set1_epi8(26 - 128), n10 = _mm_set1_epi8(
	    10 - 128), n2 = _mm_set1_epi8(2 - 128);
	const __m128i dot = _mm_set1_epi8('.'), colon = _mm_set1_epi8(':');
	uint64_t w = 0, d = 0, c = 0, g = 0;
	int i;

	for (i = 0; i < 4; i++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * i));
		__m128i t = _mm_or_si128(v, k20);
		__m128i dg = _mm_cmplt_epi8(_mm_sub_epi8(v, b0), n10);
		__m128i m = _mm_or_si128(_mm_or_si128(
		    _mm_cmplt_epi8(_mm_sub_epi8(t, ba), n26), dg),
		    _mm_or_si128(_mm_cmplt_epi8(_mm_sub_epi8(v, bd), n2),
		    _mm_cmpeq_epi8(v, und)));

		w |= (uint64_t)(unsigned)_mm_movemask_epi8(m) << (16 * i);
		g |= (uint64_t)(unsigned)_mm_movemask_epi8(dg) << (16 * i);
		d |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v,
		    dot)) << (16 * i);
		c |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v,
		    colon)) << (16 * i);
	}
	*W = w;
	*D = d;
	*C = c;
	*G = g;
}

/*
 * The same with AVX2: a byte is a word byte when the class bits of its
 * high nibble and of its low nibble meet. Classes: 1 "-." (2D-2E), 2
 * digits (30-39), 4 A-O a-o (41-4F, 61-6F), 8 P-Z p-z (50-5A, 70-7A),
 * 16 '_' (5F).
 */
__attribute__((target("avx2")))
static inline void
masks_avx2(const char *p, uint64_t *W, uint64_t *D, uint64_t *C,
    uint64_t *G)
{
	const __m256i lo_t = _mm256_setr_epi8(
	    0x0a, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,
	    0x0e, 0x0e, 0x0c, 0x04, 0x04, 0x05, 0x05, 0x14,
	    0x0a, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,
	    0x0e, 0x0e, 0x0c, 0x04, 0x04, 0x05, 0x05, 0x14);
	const __m256i hi_t = _mm256_setr_epi8(
	    0, 0, 0x01, 0x02, 0x04, 0x18, 0x04, 0x08, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0x01, 0x02, 0x04, 0x18, 0x04, 0x08, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m256i k0f = _mm256_set1_epi8(0x0f), z = _mm256_setzero_si256();
	const __m256i k2 = _mm256_set1_epi8(2);
	const __m256i dot = _mm256_set1_epi8('.');
	const __m256i colon = _mm256_set1_epi8(':');
	__m256i v0 = _mm256_loadu_si256((const __m256i *)p);
	__m256i v1 = _mm256_loadu_si256((const __m256i *)(p + 32));
	__m256i c0 = _mm256_and_si256(_mm256_shuffle_epi8(lo_t,
	    _mm256_and_si256(v0, k0f)), _mm256_shuffle_epi8(hi_t,
	    _mm256_and_si256(_mm256_srli_epi16(v0, 4), k0f)));
	__m256i c1 = _mm256_and_si256(_mm256_shuffle_epi8(lo_t,
	    _mm256_and_si256(v1, k0f)), _mm256_shuffle_epi8(hi_t,
	    _mm256_and_si256(_mm256_srli_epi16(v1, 4), k0f)));

	*W = ~((uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(c0,
	    z)) | (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
	    c1, z)) << 32);
	*D = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0,
	    dot)) | (uint64_t)(uint32_t)_mm256_movemask_epi8(
	    _mm256_cmpeq_epi8(v1, dot)) << 32;
	*C = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0,
	    colon)) | (uint64_t)(uint32_t)_mm256_movemask_epi8(
	    _mm256_cmpeq_epi8(v1, colon)) << 32;
	/* class 2 alone: digits */
	*G = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(c0,
	    k2)) | (uint64_t)(uint32_t)_mm256_movemask_epi8(
	    _mm256_cmpeq_epi8(c1, k2)) << 32;
}

static ALWAYS_INLINE unsigned
dots_in(uint64_t D, unsigned s, unsigned e)
{
	return (unsigned)__builtin_popcountll(D & lowmask(e) & ~lowmask(s));
}

/* One octet of a dotted quad: the digits [a, a + len), len 1..3 (else
 * *bad is set, as for a leading zero or a value over 255). Reads up to 2
 * bytes past the octet; no branches, the four octets are checked once. */
static ALWAYS_INLINE unsigned
octet(const char *s, unsigned a, unsigned len, unsigned *bad)
{
	unsigned c0 = (unsigned)(unsigned char)s[a] - '0';
	unsigned c1 = (unsigned)(unsigned char)s[a + 1] - '0';
	unsigned c2 = (unsigned)(unsigned char)s[a + 2] - '0';
	unsigned v2 = c0 * 10 + c1, v3 = v2 * 10 + c2;
	unsigned v = len == 1 ? c0 : len == 2 ? v2 : v3;

	*bad |= (len - 1 > 2u) | ((len > 1) & (c0 == 0)) | (v > 255);
	return v;
}

/*
 * word() for a word [p + s, p + e) inside a block, with the block's dot
 * and digit masks: a word of digits and three dots is parsed from the dot
 * positions; other words of digits and dots need no lookup when the set
 * has no such string value. Needs 2 readable bytes after the word.
 */
static ALWAYS_INLINE void
word_block(struct scan *sc, const char *p, unsigned s, unsigned e,
    uint64_t D, uint64_t G)
{
	uint64_t r = lowmask(e) & ~lowmask(s), dm = D & r, x;
	unsigned n = e - s, d1, d2, d3, bad = 0, o0, o1, o2, o3;

	if (dm & (1ULL << (e - 1))) {	/* trailing dot: the general way */
		word(sc, p + s, n, (unsigned)__builtin_popcountll(dm));
		return;
	}
	if ((r & ~G & ~D) != 0) {	/* not all digits and dots */
		if (dm != 0 || n == 32 || n == 40 || n == 64)
			q_str(sc, p + s, n);
		return;
	}
	if (__builtin_popcountll(dm) == 3 && n <= 15) {
		x = dm;
		d1 = (unsigned)__builtin_ctzll(x);
		x &= x - 1;
		d2 = (unsigned)__builtin_ctzll(x);
		x &= x - 1;
		d3 = (unsigned)__builtin_ctzll(x);
		o0 = octet(p, s, d1 - s, &bad);
		o1 = octet(p, d1 + 1, d2 - d1 - 1, &bad);
		o2 = octet(p, d2 + 1, d3 - d2 - 1, &bad);
		o3 = octet(p, d3 + 1, e - d3 - 1, &bad);
		if (!bad) {
			q_v4(sc, p + s, n, o0 << 24 | o1 << 16 | o2 << 8 | o3);
			return;
		}
	}
	if (sc->ms->has_numeric && (dm != 0 || n == 32 || n == 40 ||
	    n == 64))
		q_str(sc, p + s, n);
}

/*
 * The block scanner. Per 64-byte block: the word that runs in from the
 * blocks before ("run" bytes, "rdots" dots) ends at the first non-word
 * byte; the words around the dots inside the block, and the dot-less runs
 * of 32 bytes or more inside it, are found from the masks; the word bytes
 * at the top of the block run on into the next. Fields (URLs, IPv6) are
 * cut around each colon as in scan_bytes().
 */
static inline __attribute__((always_inline)) void
scan_blocks(struct scan *sc, int avx2)
{
	const char *start = sc->base + sc->from, *end = sc->base + sc->to;
	const char *p, *fskip = start, *q, *a, *b;
	int wide = sc->ms->has_url || sc->ms->has_v6;
	uint64_t W, D, C, G, m, x, pD = 0, pG = 0;
	size_t run = 0, len;
	unsigned rdots = 0, e0, t, d, s, e, dots;
	char tmp[64];

	for (p = start; p < end; p += end - p >= 64 ? 64 : end - p) {
		if (end - p > PF_AHEAD)
			__builtin_prefetch(p + PF_AHEAD);
		if (end - p >= 64) {
			if (avx2)
				masks_avx2(p, &W, &D, &C, &G);
			else
				masks_sse2(p, &W, &D, &C, &G);
		} else {
			/* zeros after the end: never word bytes */
			memset(tmp, 0, sizeof(tmp));
			memcpy(tmp, p, (size_t)(end - p));
			if (avx2)
				masks_avx2(tmp, &W, &D, &C, &G);
			else
				masks_sse2(tmp, &W, &D, &C, &G);
		}
		if (wide) {
			for (m = C; m != 0; m &= m - 1) {
				q = p + __builtin_ctzll(m);
				if (q < fskip)
					continue;
				for (a = q; a > start && !is_field_end(
				    (unsigned char)a[-1]); a--)
					;
				for (b = q; b < end && !is_field_end(
				    (unsigned char)*b); b++)
					;
				field(sc, a, b);
				fskip = b;
			}
		}
		if (W == ~0ULL) {
			run += 64;
			rdots += (unsigned)__builtin_popcountll(D);
			pD = D;
			pG = G;
			continue;
		}
		/* the word running in ends at e0: with this block's masks
		 * and the last one's when it fits in 64 bytes */
		e0 = (unsigned)__builtin_ctzll(~W);
		len = run + e0;
		if (len > 0) {
			dots = rdots + dots_in(D, 0, e0);
			if (dots == 0 && len != 32 && len != 40 && len != 64)
				;
			else if (run == 0 && end - p > e0 + 2)
				word_block(sc, p, 0, e0, D, G);
			else if (run < 64 && len <= 64 && end - p > e0 + 2)
				word_block(sc, p - run, 0, (unsigned)len,
				    pD >> (64 - run) | D << run,
				    pG >> (64 - run) | G << run);
			else
				word(sc, p - run, len, dots);
		}
		/* the word bytes at the top run on */
		t = (unsigned)__builtin_clzll(~W);
		/* words inside: after e0, below the top run */
		m = lowmask(64 - t) & ~lowmask(e0 + 1);
		for (x = D & m; x != 0; x &= ~lowmask(e)) {
			d = (unsigned)__builtin_ctzll(x);
			s = 64 - (unsigned)__builtin_clzll(~W & lowmask(d));
			e = d + (unsigned)__builtin_ctzll(~W >> d);
			if (end - p > e + 2)
				word_block(sc, p, s, e, D, G);
			else
				word(sc, p + s, e - s, dots_in(D, s, e));
		}
		/* dot-less runs of 32 bytes or more inside */
		x = W & m;
		x &= x >> 1;
		x &= x >> 2;
		x &= x >> 4;
		x &= x >> 8;
		x &= x >> 16;
		for (; x != 0; x &= ~lowmask(e)) {
			s = (unsigned)__builtin_ctzll(x);
			e = s + (unsigned)__builtin_ctzll(~W >> s);
			if (dots_in(D, s, e) == 0 && (e - s == 32 ||
			    e - s == 40 || e - s == 64))
				word(sc, p + s, e - s, 0);
		}
		run = t;
		rdots = t > 0 ? (unsigned)__builtin_popcountll(D >> (64 - t)) :
		    0;
		pD = D;
		pG = G;
	}
	/* a word up to the end (the last block was full) */
	if (run > 0 && (rdots > 0 || run == 32 || run == 40 || run == 64))
		word(sc, end - run, run, rdots);
}

static void
scan_blocks_sse2(struct scan *sc)
{
	scan_blocks(sc, 0);
}

__attribute__((target("avx2,popcnt,bmi,bmi2,lzcnt")))
static void
scan_blocks_avx2(struct scan *sc)
{
	scan_blocks(sc, 1);
}
#endif

static int
hit_cmp(const void *a, const void *b)
{
	const struct match_hit *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->ind < y->ind ? -1 : x->ind > y->ind;
}

static void *
scan_chunk(void *arg)
{
	struct scan *sc = arg;

	sc->lpos = sc->from;
	sc->lline = 1;
#if defined(HAVE_BLOCKS)
	if (sc->mode == MATCH_AUTO && __builtin_cpu_supports("avx2"))
		scan_blocks_avx2(sc);
	else if (sc->mode != MATCH_SCALAR)
		scan_blocks_sse2(sc);
	else
#endif
		scan_bytes(sc);
	q_drain(sc);
	q_drain4(sc);
	/* Queued lookups and fields (found after the words inside them)
	 * come slightly out of order. */
	if (sc->nhits > 1)
		qsort(sc->hits, sc->nhits, sizeof(*sc->hits), hit_cmp);
	if (!sc->last)
		sc->lines = sc->lline - 1 + count_nl(sc->base + sc->lpos,
		    sc->to - sc->lpos);
	return NULL;
}

static void
classes(uint8_t cls[256])
{
	int i;

	memset(cls, C_OTHER, 256);
	for (i = 0; i < 256; i++)
		if (isalnum(i) && i < 128)
			cls[i] = C_WORD;
	cls['.'] = cls['-'] = cls['_'] = C_WORD;
	cls['\n'] = C_NL;
}

int
match_scan(struct match_set *ms, const char *buf, size_t len,
    int nthreads, struct match_hit **hits, size_t *nhits)
{
	return match_scan_opt(ms, buf, len, nthreads, MATCH_AUTO, hits,
	    nhits);
}

int
match_scan_opt(struct match_set *ms, const char *buf, size_t len,
    int nthreads, int mode, struct match_hit **hits, size_t *nhits)
{
	struct scan *sc;
	pthread_t *th;
	size_t per, from, to, i, total = 0, k = 0;
	uint64_t lines = 0;
	int t, started = 0, rc = -1;

	set_build(ms);
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > 64)
		nthreads = 64;
	if (len < (size_t)nthreads * 65536)
		nthreads = 1;
	sc = xcalloc((size_t)nthreads, sizeof(*sc));
	th = xcalloc((size_t)nthreads, sizeof(*th));
	per = len / (size_t)nthreads;
	from = 0;
	for (t = 0; t < nthreads; t++) {
		to = t == nthreads - 1 ? len : from + per;
		if (to < from)
			to = from;
		/* chunks end after a newline */
		while (to < len && to > 0 && buf[to - 1] != '\n')
			to++;
		sc[t].ms = ms;
		sc[t].base = buf;
		sc[t].from = from;
		sc[t].to = to;
		sc[t].mode = mode;
		sc[t].last = t == nthreads - 1;
		classes(sc[t].cls);
		from = to;
	}
	for (t = 1; t < nthreads; t++) {
		if (pthread_create(&th[t], NULL, scan_chunk, &sc[t]) != 0)
			goto join;
		started = t;
	}
	scan_chunk(&sc[0]);
	rc = 0;
join:
	for (t = 1; t <= started; t++)
		pthread_join(th[t], NULL);
	if (rc == 0) {
		for (t = 0; t < nthreads; t++)
			total += sc[t].nhits;
		*hits = xcalloc(total + 1, sizeof(**hits));
		for (t = 0; t < nthreads; t++) {
			for (i = 0; i < sc[t].nhits; i++) {
				(*hits)[k] = sc[t].hits[i];
				(*hits)[k++].line += lines;
			}
			/* a chunk ends with its newline, except the last */
			lines += sc[t].lines;
		}
		*nhits = total;
	}
	for (t = 0; t < nthreads; t++)
		free(sc[t].hits);
	free(sc);
	free(th);
	return rc;
}
