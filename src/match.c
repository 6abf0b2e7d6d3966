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
};

/* Case-folded FNV-1a; never 0. */
static uint64_t
hash_fold(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)tolower((unsigned char)s[i]);
		h *= 0x100000001b3ULL;
	}
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
	if (slash != NULL)
		bits = atoi(slash + 1);	/* checked by stix_pattern_terms */
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
	uint64_t h = hash_fold(s, n);
	size_t i = h & (ms->cap - 1);
	const struct slot *e;

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

static void *
scan_chunk(void *arg)
{
	struct scan *sc = arg;
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
match_scan(const struct match_set *ms, const char *buf, size_t len,
    int nthreads, struct match_hit **hits, size_t *nhits)
{
	struct scan *sc;
	pthread_t *th;
	size_t per, from, to, i, total = 0, k = 0;
	uint64_t lines = 0;
	int t, started = 0, rc = -1;

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
