/*
 * match.c: the retro-hunt matcher.
 *
 * The scanner walks the text once, byte by byte through a class table, and
 * cuts it into words: maximal runs of [A-Za-z0-9._-]. Only words shaped
 * like a value are looked up: containing a dot (addresses, domain names)
 * or 32, 40 or 64 characters long (hashes). IPv4 words are parsed into a
 * number and checked against the exact addresses and, per prefix length in
 * use, against the CIDR ranges. When the set holds URLs or IPv6 values, the
 * longer runs around a word (non-blank, non-quote characters) are checked
 * too. Strings are compared case-insensitively (domain names and hex
 * hashes are; URLs as given), always whole: 1.2.3.4 never matches inside
 * 11.2.3.45.
 *
 * The set is an open-addressing table of (hash, value, indicator); a value
 * of several indicators appears once per indicator. Text is split at line
 * boundaries into one chunk per thread; hits carry chunk-local line numbers
 * until the chunks' newline counts are summed.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "match.h"
#include "stix.h"
#include "util.h"

struct slot {
	uint64_t	 h;		/* 0: empty */
	uint32_t	 off, len;	/* value in the arena */
	uint32_t	 ind;
	uint32_t	 kind;
};

struct cidr {
	uint8_t		 a[16];
	int		 bits;
	int		 v6;
	uint32_t	 ind;
	uint32_t	 len;		/* of the written value */
};

struct match_set {
	struct slot	*t;
	size_t		 cap, n;	/* cap a power of two */
	char		*arena;
	size_t		 alen, acap;
	struct cidr	*cidrs;
	size_t		 ncidr;
	uint64_t	 v4bits;	/* prefix lengths in use, bit 32 = /32 too */
	int		 has_url, has_v6;
	/* One bit per hash value (its top bits): most tokens are not in
	 * the set, and this bitmap, far smaller than the table, says so
	 * without touching the table. Built by match_scan(). */
	uint64_t	*filter;
	unsigned	 filter_shift;	/* 64 - log2(bits) */
	size_t		 filter_n;	/* entries it was built for */
};

/*
 * A hash of s folded to lowercase (bit 5 set on every byte, which lowers
 * ASCII letters and leaves digits, '.', '-', ':' and '/' alone; values
 * that differ only in that bit are told apart by the comparison after).
 * Eight bytes per step. Never 0.
 */
static uint64_t
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
	return h | 1;
}

struct match_set *
match_set_new(void)
{
	struct match_set *ms = xcalloc(1, sizeof(*ms));

	ms->cap = 1024;
	ms->t = xcalloc(ms->cap, sizeof(*ms->t));
	return ms;
}

void
match_set_free(struct match_set *ms)
{
	if (ms == NULL)
		return;
	free(ms->t);
	free(ms->arena);
	free(ms->cidrs);
	free(ms->filter);
	free(ms);
}

size_t
match_set_size(const struct match_set *ms)
{
	return ms->n + ms->ncidr;
}

static void
table_put(struct slot *t, size_t cap, const struct slot *e)
{
	size_t i = e->h & (cap - 1);

	while (t[i].h != 0)
		i = (i + 1) & (cap - 1);
	t[i] = *e;
}

static int
add_string(struct match_set *ms, int kind, const char *v, size_t len,
    uint32_t ind)
{
	struct slot e, *nt;
	size_t i;

	if (len == 0 || len > UINT32_MAX || ms->alen + len > UINT32_MAX)
		return -1;
	if ((ms->n + 1) * 2 > ms->cap) {
		nt = xcalloc(ms->cap * 2, sizeof(*nt));
		for (i = 0; i < ms->cap; i++)
			if (ms->t[i].h != 0)
				table_put(nt, ms->cap * 2, &ms->t[i]);
		free(ms->t);
		ms->t = nt;
		ms->cap *= 2;
	}
	if (ms->alen + len > ms->acap) {
		ms->acap = (ms->acap + len) * 2;
		ms->arena = xreallocarray(ms->arena, ms->acap, 1);
	}
	memcpy(ms->arena + ms->alen, v, len);
	e.h = hash_fold(v, len);
	e.off = (uint32_t)ms->alen;
	e.len = (uint32_t)len;
	e.ind = ind;
	e.kind = (uint32_t)kind;
	ms->alen += len;
	table_put(ms->t, ms->cap, &e);
	ms->n++;
	return 0;
}

int
match_set_add(struct match_set *ms, int kind, const char *value, size_t len,
    uint32_t ind)
{
	char addr[64];
	const char *slash;
	struct cidr *c;
	size_t alen;
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
		uint64_t b;

		if (plen == 0 || plen >= sizeof(pfx))
			return -1;
		memcpy(pfx, slash + 1, plen);
		pfx[plen] = '\0';
		if (parse_u64(pfx, 0, v6 ? 128 : 32, &b) == -1)
			return -1;
		bits = (int)b;
	}
	ms->cidrs = xreallocarray(ms->cidrs, ms->ncidr + 1, sizeof(*ms->cidrs));
	c = &ms->cidrs[ms->ncidr];
	memset(c, 0, sizeof(*c));
	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, c->a) != 1 || bits < 0 ||
	    bits > (v6 ? 128 : 32))
		return -1;
	if (v6)
		ms->has_v6 = 1;
	/* Exact addresses go to the hash table as their binary form. */
	if (bits == (v6 ? 128 : 32))
		return add_string(ms, kind, (const char *)c->a, v6 ? 16 : 4,
		    ind);
	c->bits = bits;
	c->v6 = v6;
	c->ind = ind;
	if (!v6)
		ms->v4bits |= 1ULL << bits;
	ms->ncidr++;
	return 0;
}

/* ---- scanning ---- */

enum { C_OTHER = 0, C_WORD = 1, C_NL = 2 };

struct scan {
	const struct match_set	*ms;
	const char		*base;		/* whole buffer */
	size_t			 from, to;	/* this chunk */
	struct match_hit	*hits;
	size_t			 nhits, cap;
	uint64_t		 lines;		/* newlines in the chunk */
	int			 scalar;	/* byte-at-a-time path (tests) */
	int			 failed;
	uint8_t			 cls[256];
};

static void
hit_add(struct scan *sc, uint64_t line, size_t off, size_t len, uint32_t ind)
{
	if (sc->nhits == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 64;
		sc->hits = xreallocarray(sc->hits, sc->cap, sizeof(*sc->hits));
	}
	sc->hits[sc->nhits].line = line;
	sc->hits[sc->nhits].off = off;
	sc->hits[sc->nhits].len = (uint32_t)len;
	sc->hits[sc->nhits].ind = ind;
	sc->nhits++;
}

/* Every indicator whose value equals s (len n): binary 1 for addresses
 * (4 or 16 bytes), 2 for URLs (exact), 0 for the other kinds
 * (case-insensitively). */
static void
lookup(struct scan *sc, const char *s, size_t n, int binary, uint64_t line,
    size_t off, size_t hitlen)
{
	const struct match_set *ms = sc->ms;
	uint64_t h = hash_fold(s, n), fb = h >> ms->filter_shift;
	size_t i = h & (ms->cap - 1);
	const struct slot *e;

	if (!(ms->filter[fb >> 6] & (1ULL << (fb & 63))))
		return;

	for (;; i = (i + 1) & (ms->cap - 1)) {
		e = &ms->t[i];
		if (e->h == 0)
			return;
		if (e->h != h || e->len != n)
			continue;
		if (binary == 1 ? (e->kind == TERM_IPV4 ||
		    e->kind == TERM_IPV6) && memcmp(ms->arena + e->off, s,
		    n) == 0 : binary == 2 ? e->kind == TERM_URL &&
		    memcmp(ms->arena + e->off, s, n) == 0 :
		    e->kind != TERM_IPV4 && e->kind != TERM_IPV6 &&
		    e->kind != TERM_URL &&
		    strncasecmp(ms->arena + e->off, s, n) == 0)
			hit_add(sc, line, off, hitlen, e->ind);
	}
}

static int
prefix_eq(const uint8_t *a, const uint8_t *b, int bits)
{
	int full = bits / 8, rem = bits % 8;

	if (memcmp(a, b, (size_t)full) != 0)
		return 0;
	if (rem == 0)
		return 1;
	return ((a[full] ^ b[full]) & (0xff << (8 - rem))) == 0;
}

static void
check_cidrs(struct scan *sc, const uint8_t *a, int v6, uint64_t line,
    size_t off, size_t len)
{
	size_t i;

	for (i = 0; i < sc->ms->ncidr; i++) {
		const struct cidr *c = &sc->ms->cidrs[i];

		if (c->v6 == v6 && prefix_eq(a, c->a, c->bits))
			hit_add(sc, line, off, len, c->ind);
	}
}

/* A dotted-quad word: parse strictly (no leading zeros beyond "0"). */
static int
parse_v4(const char *s, size_t n, uint8_t out[4])
{
	size_t i = 0;
	int part = 0, v = -1, digits = 0;

	for (; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (digits == 3 || (digits == 1 && v == 0))
				return -1;
			v = (v < 0 ? 0 : v) * 10 + (s[i] - '0');
			digits++;
			if (v > 255)
				return -1;
		} else if (s[i] == '.') {
			if (v < 0 || part == 3)
				return -1;
			out[part++] = (uint8_t)v;
			v = -1;
			digits = 0;
		} else
			return -1;
	}
	if (v < 0 || part != 3)
		return -1;
	out[3] = (uint8_t)v;
	return 0;
}

static void
word(struct scan *sc, const char *s, size_t n, int dots, uint64_t line)
{
	size_t off = (size_t)(s - sc->base);
	uint8_t a[4];

	/* Trailing dots belong to the sentence, not the value. */
	while (n > 0 && s[n - 1] == '.') {
		n--;
		dots--;
	}
	if (n == 0)
		return;
	if (dots == 3 && n <= 15 && isdigit((unsigned char)s[0]) &&
	    parse_v4(s, n, a) == 0) {
		lookup(sc, (const char *)a, 4, 1, line, off, n);
		if (sc->ms->ncidr > 0)
			check_cidrs(sc, a, 0, line, off, n);
		return;
	}
	if (dots > 0 || n == 32 || n == 40 || n == 64)
		lookup(sc, s, n, 0, line, off, n);
}

/* word() for a run whose dots are not counted yet. */
static void
word_dots(struct scan *sc, const char *s, size_t n, uint64_t line)
{
	size_t i;
	int dots = 0;

	for (i = 0; i < n; i++)
		dots += s[i] == '.';
	if (dots > 0 || n == 32 || n == 40 || n == 64)
		word(sc, s, n, dots, line);
}

/* The run of non-blank, non-quote bytes around [ws, we): URLs, IPv6. */
static void
field(struct scan *sc, const char *fs, const char *fe, uint64_t line)
{
	size_t n = (size_t)(fe - fs), i;
	char addr[64];
	uint8_t a[16];
	int colons = 0;

	if (sc->ms->has_url && n > 7 && memmem(fs, n, "://", 3) != NULL) {
		lookup(sc, fs, n, 2, line, (size_t)(fs - sc->base), n);
		/* and without trailing punctuation */
		while (n > 0 && strchr(".,;)]>", fs[n - 1]) != NULL)
			n--;
		if (n != (size_t)(fe - fs))
			lookup(sc, fs, n, 2, line, (size_t)(fs - sc->base), n);
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
			if (inet_pton(AF_INET6, addr, a) == 1) {
				lookup(sc, (const char *)a, 16, 1, line,
				    (size_t)(fs + i - sc->base), j - i);
				if (sc->ms->ncidr > 0)
					check_cidrs(sc, a, 1, line,
					    (size_t)(fs + i - sc->base), j - i);
			}
		}
		i = j > i ? j : i + 1;
	}
}

static int
hit_cmp(const void *a, const void *b)
{
	const struct match_hit *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->ind < y->ind ? -1 : x->ind > y->ind;
}

#if defined(__SSE2__)
static void scan_chunk_sse2(struct scan *);
#endif

static void *
scan_chunk(void *arg)
{
	struct scan *sc = arg;
#if defined(__SSE2__)
	if (!sc->scalar) {
		scan_chunk_sse2(sc);
		if (sc->nhits > 1)
			qsort(sc->hits, sc->nhits, sizeof(*sc->hits), hit_cmp);
		return NULL;
	}
#endif
	{
	const unsigned char *p = (const unsigned char *)sc->base + sc->from;
	const unsigned char *end = (const unsigned char *)sc->base + sc->to;
	const unsigned char *ws, *fs;
	uint64_t line = 1;
	int dots, wide = sc->ms->has_url || sc->ms->has_v6;

	fs = p;
	while (p < end) {
		uint8_t c = sc->cls[*p];

		if (c == C_WORD) {
			ws = p;
			dots = 0;
			while (p < end && sc->cls[*p] == C_WORD) {
				dots += *p == '.';
				p++;
			}
			if (dots > 0 || p - ws == 32 || p - ws == 40 ||
			    p - ws == 64)
				word(sc, (const char *)ws, (size_t)(p - ws),
				    dots, line);
			continue;
		}
		if (wide && (*p == ' ' || *p == '\t' || *p == '\n' ||
		    *p == '"' || *p == '\'' || *p == '<' || *p == '>')) {
			if (p > fs)
				field(sc, (const char *)fs, (const char *)p,
				    line);
			fs = p + 1;
		}
		if (c == C_NL)
			line++;
		p++;
	}
	if (wide && p > fs)
		field(sc, (const char *)fs, (const char *)p, line);
	sc->lines = line - 1;
	/* Field values (URLs, IPv6) are found after the words inside them. */
	if (wide && sc->nhits > 1)
		qsort(sc->hits, sc->nhits, sizeof(*sc->hits), hit_cmp);
	return NULL;
	}
}

#if defined(__SSE2__)
#include <emmintrin.h>

/* Bits set in a 16-bit mask (no popcnt instruction in baseline x86-64). */
static inline unsigned
pop16(unsigned x)
{
	x = x - ((x >> 1) & 0x5555);
	x = (x & 0x3333) + ((x >> 2) & 0x3333);
	x = (x + (x >> 4)) & 0x0f0f;
	return (x + (x >> 8)) & 0x1f;
}

static int
is_field_end(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '"' || c == '\'' ||
	    c == '<' || c == '>';
}

/*
 * The same scan, 16 bytes at a time: masks of word bytes, dots, newlines
 * (and colons when URLs or IPv6 are wanted) per block. Only the words
 * around a dot, and dot-less words whose length is that of a hash, are
 * looked at; newlines are counted with popcount; a block of plain text
 * costs a few instructions.
 */
static void
scan_chunk_sse2(struct scan *sc)
{
	const char *start = sc->base + sc->from, *end = sc->base + sc->to;
	const char *p = start, *wskip = start, *fskip = start, *q, *a, *b;
	const __m128i dot = _mm_set1_epi8('.'), nl = _mm_set1_epi8('\n');
	const __m128i colon = _mm_set1_epi8(':'), under = _mm_set1_epi8('_');
	const __m128i dash = _mm_set1_epi8('-');
	const __m128i d0 = _mm_set1_epi8('0' - 1), d9 = _mm_set1_epi8('9' + 1);
	const __m128i ua = _mm_set1_epi8('A' - 1), uz = _mm_set1_epi8('Z' + 1);
	const __m128i la = _mm_set1_epi8('a' - 1), lz = _mm_set1_epi8('z' + 1);
	int wide = sc->ms->has_url || sc->ms->has_v6;
	uint64_t lines = 0, line;
	unsigned W, D, N, C, bits, carry = 0, lead, bit;
	char tmp[16];
	__m128i v;

	while (p < end) {
		if (end - p >= 16)
			v = _mm_loadu_si128((const __m128i *)p);
		else {
			memset(tmp, 0, sizeof(tmp));
			memcpy(tmp, p, (size_t)(end - p));
			v = _mm_loadu_si128((const __m128i *)tmp);
		}
		/* signed compares: bytes >= 0x80 are negative, never word */
		W = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
		    _mm_and_si128(_mm_cmpgt_epi8(v, d0), _mm_cmplt_epi8(v, d9)),
		    _mm_and_si128(_mm_cmpgt_epi8(v, ua), _mm_cmplt_epi8(v,
		    uz))), _mm_or_si128(_mm_and_si128(_mm_cmpgt_epi8(v, la),
		    _mm_cmplt_epi8(v, lz)), _mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(v, dot), _mm_cmpeq_epi8(v, dash)),
		    _mm_cmpeq_epi8(v, under)))));
		D = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, dot));
		N = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl));
		C = wide ? (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v,
		    colon)) : 0;
		for (bits = D; bits != 0; bits &= bits - 1) {
			bit = (unsigned)__builtin_ctz(bits);
			q = p + bit;
			if (q < wskip || q >= end)
				continue;
			for (a = q; a > start && sc->cls[(unsigned char)a[-1]] ==
			    C_WORD; a--)
				;
			for (b = q; b < end && sc->cls[(unsigned char)*b] ==
			    C_WORD; b++)
				;
			line = lines + (uint64_t)pop16(N &
			    ((1u << bit) - 1)) + 1;
			word_dots(sc, a, (size_t)(b - a), line);
			wskip = b;
		}
		for (bits = C; bits != 0; bits &= bits - 1) {
			bit = (unsigned)__builtin_ctz(bits);
			q = p + bit;
			if (q < fskip || q >= end)
				continue;
			for (a = q; a > start && !is_field_end((unsigned char)
			    a[-1]); a--)
				;
			for (b = q; b < end && !is_field_end((unsigned char)*b);
			    b++)
				;
			line = lines + (uint64_t)pop16(N &
			    ((1u << bit) - 1)) + 1;
			field(sc, a, b, line);
			fskip = b;
		}
		/* dot-less words of a hash's length */
		if (W == 0xffff)
			carry += 16;
		else {
			lead = (unsigned)__builtin_ctz(~W);
			if (carry + lead >= 32) {
				b = p + lead;
				a = b - (carry + lead);
				/* runs with a dot are the dot path's */
				if (memchr(a, '.', (size_t)(b - a)) == NULL)
					word_dots(sc, a, (size_t)(b - a), lines +
					    (uint64_t)pop16(N &
					    ((1u << lead) - 1)) + 1);
			}
			/* the word bytes at the top of the block */
			carry = (unsigned)__builtin_clz((~W & 0xffffu) << 16);
		}
		if (N != 0)
			lines += pop16(N);
		p += 16;
	}
	if (carry >= 32 && memchr(end - carry, '.', carry) == NULL)
		word_dots(sc, end - carry, carry, lines + 1);
	sc->lines = lines;
}
#endif

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

/* (Re)build the filter: 16 bits per entry, 2^16 .. 2^28 bits. */
static void
filter_build(struct match_set *ms)
{
	unsigned lg = 16;
	size_t i;
	uint64_t fb;

	if (ms->filter != NULL && ms->filter_n == ms->n)
		return;
	while (lg < 28 && ((size_t)1 << lg) < ms->n * 16)
		lg++;
	free(ms->filter);
	ms->filter = xcalloc(((size_t)1 << lg) / 64, sizeof(uint64_t));
	ms->filter_shift = 64 - lg;
	for (i = 0; i < ms->cap; i++)
		if (ms->t[i].h != 0) {
			fb = ms->t[i].h >> ms->filter_shift;
			ms->filter[fb >> 6] |= 1ULL << (fb & 63);
		}
	ms->filter_n = ms->n;
}

int
match_scan(struct match_set *ms, const char *buf, size_t len,
    int nthreads, struct match_hit **hits, size_t *nhits)
{
	return match_scan_opt(ms, buf, len, nthreads, 0, hits, nhits);
}

int
match_scan_opt(struct match_set *ms, const char *buf, size_t len,
    int nthreads, int scalar, struct match_hit **hits, size_t *nhits)
{
	struct scan *sc;
	pthread_t *th;
	size_t per, from, to, i, total = 0, k = 0;
	uint64_t lines = 0;
	int t, started = 0, rc = -1;

	filter_build(ms);
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
		sc[t].scalar = scalar;
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
