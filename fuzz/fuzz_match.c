/*
 * fuzz_match.c: the retro-hunt scanner (match_scan in src/match.c) on
 * arbitrary log bytes. The 64-byte block scanners (SSE2, and AVX2 where the
 * CPU has it) parse words from bit masks and read a little past words;
 * the byte-at-a-time scanner is the reference. Properties:
 *  - every path finds exactly the reference's hits (offset, length, line,
 *    indicator), with 1 and 2 threads;
 *  - every hit lies inside the input, its line is 1 + the newlines before
 *    it, and its bytes equal the value when the value is a string.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "match.h"
#include "stix.h"

static const struct {
	int		 kind;
	const char	*v;
} vals[] = {
	{ TERM_IPV4, "198.51.100.7" },
	{ TERM_IPV4, "203.0.113.0/24" },
	{ TERM_IPV4, "10.0.0.0/8" },
	{ TERM_IPV6, "2001:db8::1" },
	{ TERM_IPV6, "2001:db8:1::/48" },
	{ TERM_DOMAIN, "evil.example" },
	{ TERM_DOMAIN, "1700000000.123" },
	{ TERM_URL, "http://bad.example/a?b=1" },
	{ TERM_MD5, "d41d8cd98f00b204e9800998ecf8427e" },
	{ TERM_SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
	{ TERM_SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca4959"
	    "91b7852b855" },
};

static struct match_set *
set(void)
{
	static struct match_set *ms;
	size_t i;

	if (ms == NULL) {
		ms = match_set_new();
		for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
			FUZZ_CHECK(match_set_add(ms, vals[i].kind, vals[i].v,
			    strlen(vals[i].v), (uint32_t)i) == 0);
	}
	return ms;
}

static void
same(const struct match_hit *a, size_t na, const struct match_hit *b,
    size_t nb)
{
	size_t i;

	FUZZ_CHECK(na == nb);
	for (i = 0; i < na; i++) {
		FUZZ_CHECK(a[i].off == b[i].off && a[i].len == b[i].len);
		FUZZ_CHECK(a[i].line == b[i].line && a[i].ind == b[i].ind);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int modes[] = { MATCH_SSE2, MATCH_AUTO };
	struct match_set *ms = set();
	const char *text = (const char *)data;
	struct match_hit *ref, *h;
	size_t nref, n, i, j, k;
	uint64_t line;
	int kind;

	FUZZ_CHECK(match_scan_opt(ms, text, size, 1, MATCH_SCALAR, &ref,
	    &nref) == 0);
	for (i = 0, j = 0, line = 1; i < nref; i++) {
		FUZZ_CHECK(ref[i].off + ref[i].len <= size);
		for (; j < ref[i].off; j++)
			line += text[j] == '\n';
		FUZZ_CHECK(ref[i].line == line);
		FUZZ_CHECK(ref[i].ind < sizeof(vals) / sizeof(vals[0]));
		kind = vals[ref[i].ind].kind;
		if (kind != TERM_IPV4 && kind != TERM_IPV6)
			FUZZ_CHECK(ref[i].len == strlen(vals[ref[i].ind].v) &&
			    strncasecmp(text + ref[i].off, vals[ref[i].ind].v,
			    ref[i].len) == 0);
	}
	for (k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		FUZZ_CHECK(match_scan_opt(ms, text, size, 1, modes[k], &h,
		    &n) == 0);
		same(ref, nref, h, n);
		free(h);
	}
	/* two chunks when the input is long enough to be split */
	FUZZ_CHECK(match_scan_opt(ms, text, size, 2, MATCH_AUTO, &h, &n) == 0);
	same(ref, nref, h, n);
	free(h);
	free(ref);
	return 0;
}
