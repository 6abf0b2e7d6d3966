/*
 * test_match.c: unit tests for src/match.c: whole-token matching of IPv4
 * (exact and CIDR), IPv6 (exact and CIDR, inside brackets), domains and
 * hashes case-insensitively, URLs exactly; no substring false positives;
 * line numbers and offsets; the same hits with 1 and 4 threads on a text
 * large enough to be split; empty input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "match.h"
#include "stix.h"

static struct match_set *
set_make(void)
{
	struct match_set *ms = match_set_new();
	static const struct {
		int		 kind;
		const char	*v;
	} vals[] = {
		{ TERM_IPV4, "198.51.100.7" },		/* 0 */
		{ TERM_IPV4, "203.0.113.0/24" },	/* 1 */
		{ TERM_IPV6, "2001:db8::1" },		/* 2 */
		{ TERM_IPV6, "2001:db8:1::/48" },	/* 3 */
		{ TERM_DOMAIN, "evil.example" },	/* 4 */
		{ TERM_URL, "http://bad.example/a?b=1" },	/* 5 */
		{ TERM_MD5, "d41d8cd98f00b204e9800998ecf8427e" },	/* 6 */
		{ TERM_DOMAIN, "evil.example" },	/* 7: same value, second indicator */
	};
	size_t i;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		assert_int_equal(match_set_add(ms, vals[i].kind, vals[i].v,
		    strlen(vals[i].v), (uint32_t)i), 0);
	assert_int_equal(match_set_add(ms, TERM_IPV4, "1.2.3", 5, 99), -1);
	return ms;
}

static void
test_tokens(void **state)
{
	const char *text =
	    "a 198.51.100.7 b\n"			/* 1: 0 */
	    "x 198.51.100.70 11.198.51.100.7 198.51.100.7.\n" /* 2: 0 (trailing dot) */
	    "SRC=203.0.113.250:443\n"			/* 3: 1 */
	    "dst [2001:db8::1]:80 and 2001:db8:1:ffff::9\n"	/* 4: 2, 3 */
	    "q EVIL.Example, www.evil.example evil.example.org\n" /* 5: 4,7 */
	    "GET http://bad.example/a?b=1 http://bad.example/a?b=12\n" /* 6: 5 */
	    "md5=D41D8CD98F00B204E9800998ECF8427E\n"	/* 7: 6 */
	    "nothing 203.0.114.1 2001:db9::1 d41d8cd98f00b204e9800998ecf8427\n";
	struct match_set *ms = set_make();
	struct match_hit *h;
	size_t n, i;
	uint32_t want_ind[] = { 0, 0, 1, 2, 3, 4, 7, 5, 6 };
	uint64_t want_line[] = { 1, 2, 3, 4, 4, 5, 5, 6, 7 };

	(void)state;
	assert_int_equal(match_scan(ms, text, strlen(text), 1, &h, &n), 0);
	assert_int_equal(n, 9);
	for (i = 0; i < n; i++) {
		assert_int_equal(h[i].line, want_line[i]);
		if (i == 5 || i == 6)	/* same value, either order */
			assert_true(h[i].ind == 4 || h[i].ind == 7);
		else
			assert_int_equal(h[i].ind, want_ind[i]);
	}
	assert_memory_equal(text + h[0].off, "198.51.100.7", 12);
	free(h);
	assert_int_equal(match_scan(ms, "", 0, 1, &h, &n), 0);
	assert_int_equal(n, 0);
	free(h);
	match_set_free(ms);
}

static void
test_threads(void **state)
{
	struct match_set *ms = set_make();
	struct match_hit *h1, *h4;
	size_t n1, n4, i, len = 0, cap = 4 * 1024 * 1024;
	char *text = malloc(cap);
	int line = 0;

	(void)state;
	assert_non_null(text);
	while (len + 200 < cap) {
		line++;
		len += (size_t)snprintf(text + len, cap - len, "%s line %d "
		    "10.0.%d.%d host.example\n", line % 997 == 0 ?
		    "198.51.100.7" : "x", line, line % 250, line % 200);
	}
	assert_int_equal(match_scan(ms, text, len, 1, &h1, &n1), 0);
	assert_int_equal(match_scan(ms, text, len, 4, &h4, &n4), 0);
	assert_int_equal(n1, (size_t)line / 997);
	assert_int_equal(n1, n4);
	for (i = 0; i < n1; i++) {
		assert_int_equal(h1[i].line, h4[i].line);
		assert_int_equal(h1[i].off, h4[i].off);
		assert_int_equal(h1[i].line % 997, 0);
	}
	free(h1);
	free(h4);
	free(text);
	match_set_free(ms);
}

/* A second set: several IPv4 prefix lengths, a value of digits and dots
 * only (which the block scanners must then look up), a SHA-1. */
static struct match_set *
set_make2(void)
{
	struct match_set *ms = match_set_new();
	static const struct {
		int		 kind;
		const char	*v;
	} vals[] = {
		{ TERM_IPV4, "198.51.100.7" },
		{ TERM_IPV4, "198.51.0.0/16" },
		{ TERM_IPV4, "10.0.0.0/8" },
		{ TERM_IPV4, "0.0.0.0/0" },
		{ TERM_DOMAIN, "1700000000.123" },
		{ TERM_DOMAIN, "evil.example" },
		{ TERM_SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
		{ TERM_SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934"
		    "ca495991b7852b855" },
	};
	size_t i;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		assert_int_equal(match_set_add(ms, vals[i].kind, vals[i].v,
		    strlen(vals[i].v), (uint32_t)i), 0);
	return ms;
}

/* Scan text with the reference scanner and with mode: the same hits. */
static size_t
paths_agree(struct match_set *ms, const char *text, size_t len, int mode,
    int nthreads)
{
	struct match_hit *h1, *h2;
	size_t n1, n2, i;

	assert_int_equal(match_scan_opt(ms, text, len, 1, MATCH_SCALAR, &h1,
	    &n1), 0);
	assert_int_equal(match_scan_opt(ms, text, len, nthreads, mode, &h2,
	    &n2), 0);
	for (i = 0; i < n1 && i < n2; i++)
		if (h1[i].off != h2[i].off || h1[i].ind != h2[i].ind) {
			fprintf(stderr, "first difference at hit %zu: scalar "
			    "'%.*s' (%u), simd '%.*s' (%u), context '%.40s'\n",
			    i, (int)h1[i].len, text + h1[i].off, h1[i].ind,
			    (int)h2[i].len, text + h2[i].off, h2[i].ind,
			    text + (h1[i].off > 20 ? h1[i].off - 20 : 0));
			break;
		}
	assert_int_equal(n1, n2);
	for (i = 0; i < n1; i++) {
		assert_int_equal(h1[i].off, h2[i].off);
		assert_int_equal(h1[i].len, h2[i].len);
		assert_int_equal(h1[i].line, h2[i].line);
		assert_int_equal(h1[i].ind, h2[i].ind);
	}
	free(h1);
	free(h2);
	return n1;
}

/* The block scanners (SSE2, and AVX2 where the CPU has it) and the
 * byte-at-a-time scanner agree on random text made of value-like tokens
 * (some long enough to cross 64-byte blocks), separators and newlines,
 * for lengths that end anywhere in a block. */
static void
test_paths_agree(void **state)
{
	static const char *const toks[] = { "198.51.100.7", "198.51.100.70",
	    "203.0.113.9", "evil.example", "EVIL.EXAMPLE.", "x.evil.example",
	    "http://bad.example/a?b=1", "2001:db8::1", "[2001:db8:1::5]:22",
	    "d41d8cd98f00b204e9800998ecf8427e",
	    "d41d8cd98f00b204e9800998ecf8427e0", "abc", "a-b_c", "1.2",
	    "....", "::", "\x80\xff", "=", "\"", "'", "1700000000.123",
	    "10.1.2.3", "010.1.2.3", "256.1.1.1", "1.2.3.4.", "1.2.3.4.5",
	    "198.51.7.7", "0.0.0.0", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "a-very-long-host-name-that-crosses-a-block.evil.example",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.evil.example",
	    "1.2.3.4444", "12.34", "9", "\x7f" "198.51.100.7\x7f", "_evil.example" };
	static const char seps[] = " \t\n,;=:/[]()<>\"'";
	struct match_set *ms = set_make(), *ms2 = set_make2();
	size_t len = 0, cap = 1 << 20, cut;
	char *text = malloc(cap);
	unsigned r = 12345;

	(void)state;
	assert_non_null(text);
	while (len + 200 < cap) {
		const char *t;

		r = r * 1103515245 + 12345;
		t = toks[(r >> 16) % (sizeof(toks) / sizeof(toks[0]))];
		memcpy(text + len, t, strlen(t));
		len += strlen(t);
		r = r * 1103515245 + 12345;
		if ((r >> 16) % 8 != 0)	/* sometimes tokens touch */
			text[len++] = seps[(r >> 20) % (sizeof(seps) - 1)];
	}
	assert_true(paths_agree(ms, text, len, MATCH_AUTO, 3) > 1000);
	assert_true(paths_agree(ms, text, len, MATCH_SSE2, 1) > 1000);
	assert_true(paths_agree(ms2, text, len, MATCH_AUTO, 2) > 1000);
	assert_true(paths_agree(ms2, text, len, MATCH_SSE2, 1) > 1000);
	/* every end position within a block, on a short text */
	for (cut = 4000; cut < 4000 + 130; cut++) {
		paths_agree(ms, text, cut, MATCH_AUTO, 1);
		paths_agree(ms2, text, cut, MATCH_SSE2, 1);
	}
	free(text);
	match_set_free(ms);
	match_set_free(ms2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_paths_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
