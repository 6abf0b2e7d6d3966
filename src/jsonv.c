/*
 * jsonv.c: validate-only JSON check for message bodies (jsonv.h).
 *
 * Why hand-written: every received message's body must be "one JSON object
 * that jansson accepts with JSON_REJECT_DUPLICATES" (docs/PROTOCOL.md
 * §3.1), and jansson has no validate-only mode: json_loadb() reads the text
 * byte by byte through its stream and string buffers and builds a tree,
 * ~140 instructions per byte of a 1 KiB body. This file answers the common
 * case in a few instructions per byte and says "not sure" (false) for
 * everything else, so that a caller falls back to jansson. It must never
 * say true where jansson would refuse; fuzz/fuzz_jsonv.c checks exactly
 * that against jansson, and that it does say true on plain bodies.
 *
 * What it follows of jansson 2.14 (load.c, utf.c, strconv.c):
 *  - whitespace is space, tab, LF, CR; the top level must be an object and
 *    nothing but whitespace may follow it;
 *  - strings: raw bytes 0x00-0x1F refused, 0x7F allowed; UTF-8 strict
 *    (no overlongs, no surrogates D800-DFFF, nothing past U+10FFFF);
 *    escapes \" \\ \/ \b \f \n \r \t \uXXXX (any case hex); \u0000 refused
 *    (no JSON_ALLOW_NUL); a high surrogate escape must be followed by a low
 *    one, a lone low one is refused;
 *  - numbers: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, integers
 *    must fit int64, reals must not overflow a double;
 *  - duplicate keys compare unescaped bytes.
 * The fast path leaves to jansson: any escape in a key, any \u escape it
 * does not accept outright, exponents, integers of more than 18 digits,
 * reals of more than 300 integer digits, nesting deeper than JSONV_DEPTH,
 * more than JSONV_KEYS keys in the open objects together.
 */
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "jsonv.h"

#define JV_ESC		1	/* a string holds an escape */
#define JV_ESC_ODD	2	/* ... that json_dumpb() would not write */

struct jv_key {
	const uint8_t	*p;
	size_t		 len;
};

static inline int
jv_is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline int
jv_is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static const uint8_t *
jv_skip_ws(const uint8_t *p, const uint8_t *e)
{
	while (p < e && jv_is_ws(*p))
		p++;
	return p;
}

/* The value of 4 hex digits at p (the caller checked p + 4 <= end), or -1. */
static long
jv_hex4(const uint8_t *p)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		uint8_t c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * One escape at p (p[0] == '\\'). Returns the byte after it, or NULL if it
 * is bad or not decided here (\u0000, surrogates other than a high + low
 * pair).
 */
static const uint8_t *
jv_escape(const uint8_t *p, const uint8_t *e)
{
	long v, v2;

	if (e - p < 2)
		return NULL;
	switch (p[1]) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r':
	case 't':
		return p + 2;
	case 'u':
		break;
	default:
		return NULL;
	}
	if (e - p < 6 || (v = jv_hex4(p + 2)) <= 0)
		return NULL;			/* bad hex, or \u0000 */
	if (v >= 0xDC00 && v <= 0xDFFF)
		return NULL;			/* lone low surrogate */
	if (v < 0xD800 || v > 0xDBFF)
		return p + 6;
	if (e - p < 12 || p[6] != '\\' || p[7] != 'u' ||
	    (v2 = jv_hex4(p + 8)) < 0xDC00 || v2 > 0xDFFF)
		return NULL;			/* high without low */
	return p + 12;
}

/*
 * One UTF-8 sequence at p (p[0] >= 0x80), well-formed by Unicode's table
 * 3-7 (what jansson's utf8_check_first/utf8_check_full accept). Returns the
 * byte after it, or NULL.
 */
static const uint8_t *
jv_utf8(const uint8_t *p, const uint8_t *e)
{
	uint8_t c = p[0], lo = 0x80, hi = 0xBF;
	size_t n;

	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;		/* overlong */
		else if (c == 0xED)
			hi = 0x9F;		/* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;		/* overlong */
		else if (c == 0xF4)
			hi = 0x8F;		/* past U+10FFFF */
	} else
		return NULL;
	if ((size_t)(e - p) < n || p[1] < lo || p[1] > hi)
		return NULL;
	if (n >= 3 && (p[2] < 0x80 || p[2] > 0xBF))
		return NULL;
	if (n == 4 && (p[3] < 0x80 || p[3] > 0xBF))
		return NULL;
	return p + n;
}

/*
 * A string whose opening quote is just before p. Returns the byte after
 * the closing quote, or NULL. *escaped gets JV_ESC if it holds an escape,
 * and JV_ESC_ODD too if one of them is not how json_dumpb() writes that
 * character (\/ and \u escapes; dumps use \uXXXX only for controls, in
 * upper case, and only when no short form exists: not worth matching).
 * Plain runs are skipped 16 bytes at a time with SSE2 (x86-64's baseline):
 * a byte stops the run if it is '"', '\\', or below 0x20 or above 0x7F
 * (both are below 0x20 as signed bytes).
 */
static const uint8_t *
jv_string(const uint8_t *p, const uint8_t *e, int *escaped)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i bslash = _mm_set1_epi8('\\');
	const __m128i space = _mm_set1_epi8(0x20);
#endif
	uint8_t c;

	for (;;) {
#ifdef __SSE2__
		while (e - p >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const
			    void *)p);
			__m128i stop = _mm_or_si128(_mm_or_si128(
			    _mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v,
			    bslash)), _mm_cmplt_epi8(v, space));
			unsigned m = (unsigned)_mm_movemask_epi8(stop);

			if (m != 0) {
				p += __builtin_ctz(m);
				break;
			}
			p += 16;
		}
#endif
		if (p >= e)
			return NULL;
		c = *p;
		if (c == '"')
			return p + 1;
		if (c == '\\') {
			*escaped |= JV_ESC;
			if (e - p >= 2 && (p[1] == '/' || p[1] == 'u'))
				*escaped |= JV_ESC_ODD;
			if ((p = jv_escape(p, e)) == NULL)
				return NULL;
		} else if (c >= 0x80) {
			if ((p = jv_utf8(p, e)) == NULL)
				return NULL;
		} else if (c < 0x20)
			return NULL;
		else
			p++;
	}
}

/*
 * A number at p. Returns the byte after it, or NULL if it is malformed or
 * one the fast path leaves to jansson (exponent, too many digits). *odd is
 * set if json_dumpb() would write it otherwise: "-0" (the integer 0) and
 * every real (written with %.17g).
 */
static const uint8_t *
jv_number(const uint8_t *p, const uint8_t *e, int *odd)
{
	const uint8_t *start;
	size_t nint;

	if (p < e && *p == '-') {
		p++;
		if (p < e && *p == '0')
			*odd = 1;
	}
	start = p;
	if (p >= e)
		return NULL;
	if (*p == '0') {
		p++;
		if (p < e && jv_is_digit(*p))
			return NULL;		/* leading zero */
	} else if (*p >= '1' && *p <= '9') {
		while (p < e && jv_is_digit(*p))
			p++;
	} else
		return NULL;
	nint = (size_t)(p - start);
	if (p < e && *p == '.') {
		p++;
		if (p >= e || !jv_is_digit(*p))
			return NULL;
		while (p < e && jv_is_digit(*p))
			p++;
		*odd = 1;
		if (nint > JSONV_REAL_DIGITS)
			return NULL;
	} else if (nint > JSONV_INT_DIGITS)
		return NULL;
	if (p < e && (*p == 'e' || *p == 'E'))
		return NULL;			/* jansson decides overflow */
	return p;
}

/* A literal (true, false, null) at p. Returns the byte after it or NULL. */
static const uint8_t *
jv_literal(const uint8_t *p, const uint8_t *e, const char *word, size_t n)
{
	if ((size_t)(e - p) < n || memcmp(p, word, n) != 0)
		return NULL;
	return p + n;
}

/*
 * What jsonv_spans() looks for (f->array NULL: the member of the top-level
 * object; else the member of each object element of the top-level array
 * member f->array) and the state of the search.
 */
struct jv_find {
	const char		*array, *member;
	size_t			 alen, mlen;
	struct jsonv_span	*spans;
	size_t			 nspans;
	const uint8_t		*text;
	/* state */
	int			 in_array;	/* f->array's array is open */
	int			 in_elem;	/* one of its objects is open */
	size_t			 nelem;		/* its elements so far */
	int			 hit;		/* the key just read is member */
	size_t			 want;		/* depth of the member's object */
	size_t			 idx;		/* its span */
	const uint8_t		*start;		/* its '{' (want > 0) */
	int			 odd;		/* not as json_dumpb() writes it */
};

/* Whitespace inside a value being looked at makes it not compact. */
#define JV_WS() do {							\
	const uint8_t *ws0_ = p;					\
	p = jv_skip_ws(p, e);						\
	if (f != NULL && f->want > 0 && p != ws0_ && depth >= f->want)	\
		f->odd = 1;						\
} while (0)

/* The walk behind jsonv_object() and jsonv_spans(); f may be NULL. */
static inline bool
jv_walk(const uint8_t *p, size_t len, struct jv_find *f)
{
	const uint8_t *e, *k;
	uint8_t open[JSONV_DEPTH];	/* '{' or '[' per level */
	size_t kbase[JSONV_DEPTH];	/* first key of each level in keys[] */
	struct jv_key keys[JSONV_KEYS];
	size_t depth, nkeys = 0, klen, i;
	int escaped, odd;

	if (p == NULL)
		return false;
	e = p + len;
	depth = 0;
	JV_WS();
	if (p >= e || *p != '{')
		return false;
	p++;
	open[0] = '{';
	kbase[0] = 0;
	depth = 1;

object:	/* just after '{' */
	JV_WS();
	if (p < e && *p == '}') {
		p++;
		goto close;
	}
key:	/* a key is due */
	JV_WS();
	if (p >= e || *p != '"')
		return false;
	k = ++p;
	escaped = 0;
	if ((p = jv_string(p, e, &escaped)) == NULL || escaped)
		return false;			/* escaped keys: ask jansson */
	klen = (size_t)(p - 1 - k);
	for (i = kbase[depth - 1]; i < nkeys; i++)
		if (keys[i].len == klen && memcmp(keys[i].p, k, klen) == 0)
			return false;		/* duplicate */
	if (nkeys == JSONV_KEYS)
		return false;
	keys[nkeys].p = k;
	keys[nkeys].len = klen;
	nkeys++;
	if (f != NULL) {
		if (depth == 1 && f->array != NULL)
			f->hit = klen == f->alen && memcmp(k, f->array,
			    klen) == 0;
		else if ((depth == 1 && f->array == NULL) ||
		    (depth == 3 && f->in_elem))
			f->hit = klen == f->mlen && memcmp(k, f->member,
			    klen) == 0;
	}
	JV_WS();
	if (p >= e || *p != ':')
		return false;
	p++;
value:	/* a value is due */
	JV_WS();
	if (p >= e)
		return false;
	if (f != NULL && f->want == 0) {
		if (depth == 2 && f->in_array) {
			f->idx = f->nelem++;
			f->in_elem = *p == '{';
			f->hit = 0;
		} else if (f->hit && depth == 1 && f->array != NULL) {
			f->in_array = *p == '[';
			f->hit = 0;
		} else if (f->hit && *p == '{' && ((depth == 1 &&
		    f->array == NULL) || (depth == 3 && f->in_elem))) {
			if (f->array == NULL)
				f->idx = 0;
			f->want = depth + 1;
			f->start = p;
			f->odd = 0;
			f->hit = 0;
		}
	}
	switch (*p) {
	case '"':
		escaped = 0;
		p = jv_string(p + 1, e, &escaped);
		if (escaped & JV_ESC_ODD && f != NULL)
			f->odd = 1;
		break;
	case '{':
	case '[':
		if (depth == JSONV_DEPTH)
			return false;
		open[depth] = *p;
		kbase[depth] = nkeys;
		depth++;
		if (*p++ == '{')
			goto object;
		JV_WS();
		if (p < e && *p == ']') {
			p++;
			goto close;
		}
		goto value;
	case 't':
		p = jv_literal(p, e, "true", 4);
		break;
	case 'f':
		p = jv_literal(p, e, "false", 5);
		break;
	case 'n':
		p = jv_literal(p, e, "null", 4);
		break;
	default:
		odd = 0;
		p = jv_number(p, e, &odd);
		if (odd && f != NULL)
			f->odd = 1;
		break;
	}
	if (p == NULL)
		return false;
next:	/* after a value inside open[depth - 1] */
	JV_WS();
	if (p >= e)
		return false;
	if (*p == ',') {
		p++;
		if (open[depth - 1] == '{')
			goto key;
		goto value;
	}
	if (*p != (open[depth - 1] == '{' ? '}' : ']'))
		return false;
	p++;
close:	/* the container open[depth - 1] just closed */
	depth--;
	nkeys = kbase[depth];
	if (f != NULL) {
		if (f->want > 0 && depth + 1 == f->want) {
			if (!f->odd && f->idx < f->nspans) {
				f->spans[f->idx].off = (size_t)(f->start -
				    f->text);
				f->spans[f->idx].len = (size_t)(p - f->start);
			}
			f->want = 0;
		} else if (depth == 2 && f->in_elem)
			f->in_elem = 0;
		else if (depth == 1 && f->in_array)
			f->in_array = 0;
		f->hit = 0;
	}
	if (depth > 0)
		goto next;
	JV_WS();
	return p == e;
}

bool
jsonv_object(const void *text, size_t len)
{
	return jv_walk(text, len, NULL);
}

bool
jsonv_spans(const void *text, size_t len, const char *array,
    const char *member, struct jsonv_span *spans, size_t nspans)
{
	struct jv_find f;

	memset(&f, 0, sizeof(f));
	memset(spans, 0, nspans * sizeof(*spans));
	f.array = array;
	f.alen = array != NULL ? strlen(array) : 0;
	f.member = member;
	f.mlen = strlen(member);
	f.spans = spans;
	f.nspans = nspans;
	f.text = text;
	return jv_walk(text, len, &f);
}

bool
jsonv_compact(const void *text, size_t len)
{
	struct jsonv_span span;
	struct jv_find f;

	if (text == NULL || len == 0 || *(const uint8_t *)text != '{')
		return false;
	memset(&f, 0, sizeof(f));
	memset(&span, 0, sizeof(span));
	f.member = "";		/* no member is looked for: */
	f.want = 1;		/* the span is the top-level object's */
	f.start = text;
	f.spans = &span;
	f.nspans = 1;
	f.text = text;
	return jv_walk(text, len, &f) && span.len == len;
}
