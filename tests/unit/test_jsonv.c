/*
 * test_jsonv.c: the validate-only body check (src/jsonv.c) and its use in
 * msg_check_body(). Every text is also given to jansson with the flags
 * msg_check_body uses, so that each case's expectation is checked against
 * the authority: "fast" cases must be answered true by jsonv_object() and
 * accepted by jansson; "never" cases must not be answered true, and jansson
 * must refuse them; "unsure" cases are valid bodies left to jansson (false
 * from jsonv_object, accepted by msg_check_body). Inputs live in malloc'd
 * buffers of exactly their size, so an overread is caught by ASan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "jsonv.h"
#include "msg.h"
#include "testlib.h"

/* jansson's verdict, with msg_check_body's flags: an object or not. */
static int
jansson_object(const char *s, size_t n)
{
	json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
	int ok = j != NULL && json_is_object(j);

	json_decref(j);
	return ok;
}

static int
fast(const char *s, size_t n)
{
	uint8_t *p = testlib_dup_exact(s, n);
	int ok = jsonv_object(p, n);

	free(p);
	return ok;
}

static int
body_ok(const char *s, size_t n)
{
	uint8_t *p = testlib_dup_exact(s, n);
	const char *why = NULL;
	int ok = msg_check_body(p, n, &why) == 0;

	if (!ok)
		assert_non_null(why);
	free(p);
	return ok;
}

/* Sized strings, so that NUL bytes can be part of a case. */
struct tcase {
	const char	*s;
	size_t		 n;
};
#define T(lit)	{ lit, sizeof(lit) - 1 }

static void
expect(const struct tcase *c, size_t count, int want_fast, int want_jansson)
{
	size_t i;

	for (i = 0; i < count; i++) {
		int f = fast(c[i].s, c[i].n), j = jansson_object(c[i].s, c[i].n);

		if (f != want_fast || j != want_jansson ||
		    body_ok(c[i].s, c[i].n) != want_jansson) {
			print_error("case %zu (%zu bytes) \"%.*s\": fast %d "
			    "(want %d), jansson %d (want %d)\n", i, c[i].n,
			    (int)c[i].n, c[i].s, f, want_fast, j, want_jansson);
			fail();
		}
	}
}

/* Plain bodies: the fast path must say yes. */
static void
test_fast_valid(void **state)
{
	static const struct tcase c[] = {
		T("{}"), T(" \t\r\n{ } \n"), T("{\"\":1}"),
		T("{\"p\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}"),
		T("{\"a\":1,\"b\":-2,\"c\":0,\"d\":-0,\"e\":1.5,\"f\":-0.25}"),
		T("{\"a\":123456789012345678,\"b\":-123456789012345678}"),
		T("{\"a\":true,\"b\":false,\"c\":null,\"d\":[],\"e\":{}}"),
		T("{\"a\":[1,[2,[3,{}]],\"x\",true,null,{\"a\":1}]}"),
		T("{ \"a\" : [ 1 , 2 ] , \"b\" : { \"a\" : 2 } }"),
		/* the same key in different objects is no duplicate */
		T("{\"a\":{\"a\":1,\"b\":2},\"b\":{\"a\":1,\"b\":2}}"),
		T("{\"a\":[{\"k\":1},{\"k\":1}]}"),
		/* keys differing only in length or the last byte */
		T("{\"ab\":1,\"abc\":2,\"abd\":3,\"a\":4,\"\":5}"),
		/* escapes in values */
		T("{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}"),
		T("{\"a\":\"\\u0001\\u001F\\u00e9\\u20AC\\uFFFF\\uffff\"}"),
		T("{\"a\":\"\\ud83d\\ude00 \\uD800\\uDC00 \\uDBFF\\uDFFF\"}"),
		/* UTF-8 at the edges of every length */
		T("{\"a\":\"\x7f \xc2\x80 \xdf\xbf \xe0\xa0\x80 \xed\x9f\xbf "
		    "\xee\x80\x80 \xef\xbf\xbf \xf0\x90\x80\x80 "
		    "\xf4\x8f\xbf\xbf\"}"),
		T("{\"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87\":\"\xd0\xbf\xd1\x80"
		    "\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\"}"),
		/* SIMD boundaries: stop bytes at offsets 15, 16, 17 */
		T("{\"p\":\"0123456789abcdef0123456789abcdef\\n0123456789\"}"),
		T("{\"p\":\"0123456789\xc3\xa9" "0123456789abcdef\\u00e9\"}"),
		T("{\"p\":\"0123456789abcdef\"}"),
		T("{\"0123456789abcdef\":\"0123456789abcde\"}"),
		T("{\"a\":1.0000000000000000000000000001,\"b\":0.5}"),
	};

	(void)state;
	expect(c, sizeof(c) / sizeof(c[0]), 1, 1);
}

/* Bodies jansson refuses: the fast path must never say yes. */
static void
test_never_valid(void **state)
{
	static const struct tcase c[] = {
		/* top level and trailing data */
		T(""), T(" "), T("[]"), T("[{}]"), T("\"a\""), T("1"),
		T("true"), T("null"), T("{}x"), T("{} {}"), T("{}]"),
		T("{}\0"), T("\xef\xbb\xbf{}"), T("{"), T("{\"a\":1"),
		T("{\"a\"}"), T("{\"a\":}"), T("{\"a\" 1}"), T("{,}"),
		T("{\"a\":1,}"), T("{\"a\":[1,]}"), T("{\"a\":[,1]}"),
		T("{\"a\":1 \"b\":2}"), T("{'a':1}"), T("{a:1}"),
		T("{\"a\":[1}"), T("{\"a\":{]}"), T("{\"a\":1]"),
		T("{\"a\":tru}"), T("{\"a\":truex}"), T("{\"a\":nul}"),
		T("{\"a\":True}"), T("{\"a\":NaN}"), T("{\"a\":Infinity}"),
		T("{\"a\":1}\v"), T("\f{}"),
		/* duplicates, at every level */
		T("{\"a\":1,\"a\":1}"), T("{\"a\":1,\"b\":2,\"a\":3}"),
		T("{\"\":1,\"\":2}"), T("{\"x\":{\"a\":1,\"a\":2}}"),
		T("{\"x\":[{\"a\":1,\"b\":{},\"a\":2}]}"),
		T("{\"\xd0\xba\":1,\"\xd0\xba\":2}"),
		/* strings: controls, bad escapes, NUL */
		T("{\"a\":\"\x01\"}"), T("{\"a\":\"\x1f\"}"),
		T("{\"a\":\"\t\"}"), T("{\"a\":\"\n\"}"),
		T("{\"a\":\"x\0y\"}"), T("{\"a\x01\":1}"),
		T("{\"a\":\"\\u0000\"}"), T("{\"\\u0000\":1}"),
		T("{\"a\":\"\\x41\"}"), T("{\"a\":\"\\a\"}"),
		T("{\"a\":\"\\'\"}"), T("{\"a\":\"\\u12\"}"),
		T("{\"a\":\"\\u12g4\"}"), T("{\"a\":\"\\U1234\"}"),
		T("{\"a\":\"\\\"}"), T("{\"a\":\"abc}"),
		/* lone and mismatched surrogates */
		T("{\"a\":\"\\ud800\"}"), T("{\"a\":\"\\udbff x\"}"),
		T("{\"a\":\"\\udc00\"}"), T("{\"a\":\"\\udfff\\ud800\"}"),
		T("{\"a\":\"\\ud800\\ud800\"}"), T("{\"a\":\"\\ud800\\u0041\"}"),
		T("{\"a\":\"\\ud800\\n\"}"), T("{\"a\":\"\\ud800\\\"}"),
		/* UTF-8: continuation alone, overlongs, surrogates, too big,
		 * truncated, bad continuation, 5- and 6-byte forms */
		T("{\"a\":\"\x80\"}"), T("{\"a\":\"\xbf\"}"),
		T("{\"a\":\"\xc0\x80\"}"), T("{\"a\":\"\xc1\xbf\"}"),
		T("{\"a\":\"\xe0\x80\x80\"}"), T("{\"a\":\"\xe0\x9f\xbf\"}"),
		T("{\"a\":\"\xf0\x80\x80\x80\"}"),
		T("{\"a\":\"\xf0\x8f\xbf\xbf\"}"),
		T("{\"a\":\"\xed\xa0\x80\"}"), T("{\"a\":\"\xed\xbf\xbf\"}"),
		T("{\"a\":\"\xf4\x90\x80\x80\"}"),
		T("{\"a\":\"\xf5\x80\x80\x80\"}"), T("{\"a\":\"\xff\"}"),
		T("{\"a\":\"\xf8\x88\x80\x80\x80\"}"),
		T("{\"a\":\"\xfc\x84\x80\x80\x80\x80\"}"),
		T("{\"a\":\"\xc3\"}"), T("{\"a\":\"\xe2\x82\"}"),
		T("{\"a\":\"\xf0\x9f\x98\"}"), T("{\"a\":\"\xc3\x28\"}"),
		T("{\"a\":\"\xe2\x28\xa1\"}"), T("{\"a\":\"\xf0\x9f\x28\x80\"}"),
		T("{\"a\":\"x\"}\xc3\xa9"), T("{\"a\xff\":1}"), T("{\"a\":\"\xc3"),
		/* numbers */
		T("{\"a\":01}"), T("{\"a\":-01}"), T("{\"a\":00}"),
		T("{\"a\":1.}"), T("{\"a\":.5}"), T("{\"a\":-}"),
		T("{\"a\":+1}"), T("{\"a\":1e}"), T("{\"a\":1e+}"),
		T("{\"a\":1.5e}"), T("{\"a\":0x10}"), T("{\"a\":1.2.3}"),
		T("{\"a\":- 1}"), T("{\"a\":1e400}"), T("{\"a\":-1e400}"),
		T("{\"a\":99999999999999999999}"),
		T("{\"a\":-99999999999999999999}"),
		T("{\"a\":9223372036854775808}"),
		T("{\"a\":-9223372036854775809}"),
	};

	(void)state;
	expect(c, sizeof(c) / sizeof(c[0]), 0, 0);
}

/* Valid bodies the fast path leaves to jansson: msg_check_body accepts. */
static void
test_unsure_valid(void **state)
{
	static const struct tcase c[] = {
		T("{\"a\\u0062\":1}"), T("{\"a\\n\":1,\"a\":2}"),
		T("{\"\\/\":1}"), T("{\"a\":1e5}"), T("{\"a\":1E+5}"),
		T("{\"a\":-1.5e-300}"), T("{\"a\":1e-400}"),
		T("{\"a\":1234567890123456789}"),
		T("{\"a\":9223372036854775807}"),
		T("{\"a\":-9223372036854775808}"),
	};

	(void)state;
	expect(c, sizeof(c) / sizeof(c[0]), 0, 1);
}

/* Duplicates that only jansson can see (escaped keys): never fast. */
static void
test_escaped_duplicates(void **state)
{
	static const struct tcase c[] = {
		T("{\"a\":1,\"\\u0061\":2}"), T("{\"\\u0061\":1,\"a\":2}"),
		T("{\"a/\":1,\"a\\/\":2}"),
		T("{\"\xc3\xa9\":1,\"\\u00e9\":2}"),
	};

	(void)state;
	expect(c, sizeof(c) / sizeof(c[0]), 0, 0);
}

/* The limits: at them fast, past them left to jansson (which accepts). */
static void
test_limits(void **state)
{
	char buf[8192];
	size_t n, i;
	int d;

	(void)state;
	/* depth: JSONV_DEPTH levels in all (the body is one) */
	for (d = JSONV_DEPTH; d <= JSONV_DEPTH + 1; d++) {
		/* nested objects {"a":{"a":...{}}} */
		n = 0;
		for (i = 0; i < (size_t)d; i++) {
			if (i == 0)
				buf[n++] = '{';
			else {
				memcpy(buf + n, "\"a\":{", 5);
				n += 5;
			}
		}
		for (i = 0; i < (size_t)d; i++)
			buf[n++] = '}';
		assert_true(jansson_object(buf, n));
		assert_int_equal(fast(buf, n), d <= JSONV_DEPTH);
		assert_true(body_ok(buf, n));
	}
	/* keys: JSONV_KEYS in one object, then one more */
	for (d = JSONV_KEYS; d <= JSONV_KEYS + 1; d++) {
		n = 0;
		buf[n++] = '{';
		for (i = 0; i < (size_t)d; i++)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			    "%s\"k%zu\":%zu", i ? "," : "", i, i);
		buf[n++] = '}';
		assert_true(jansson_object(buf, n));
		assert_int_equal(fast(buf, n), d <= JSONV_KEYS);
		assert_true(body_ok(buf, n));
		/* and the duplicate of the first key last is refused */
		n--;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, ",\"k0\":1}");
		assert_false(jansson_object(buf, n));
		assert_false(fast(buf, n));
		assert_false(body_ok(buf, n));
	}
	/* closed objects give their keys back */
	n = 0;
	buf[n++] = '{';
	for (i = 0; i < 3 * JSONV_KEYS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "%s\"o%zu\":{\"a\":1,\"b\":2}", i ? "," : "", i % 40);
	buf[n++] = '}';
	/* o0..o39 repeat: a duplicate at the top level */
	assert_false(jansson_object(buf, n));
	assert_false(fast(buf, n));
	n = 0;
	buf[n++] = '{';
	buf[n++] = '"';
	buf[n++] = 'x';
	buf[n++] = '"';
	buf[n++] = ':';
	buf[n++] = '[';
	for (i = 0; i < 3 * JSONV_KEYS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "%s{\"a\":1,\"b\":{\"c\":2}}", i ? "," : "");
	buf[n++] = ']';
	buf[n++] = '}';
	assert_true(jansson_object(buf, n));
	assert_true(fast(buf, n));
	/* integers: 18 digits fast, 19 left to jansson */
	assert_true(fast("{\"a\":999999999999999999}", 24));
	assert_false(fast("{\"a\":1000000000000000000}", 25));
	assert_true(body_ok("{\"a\":1000000000000000000}", 25));
	/* reals: 300 integer digits fast, 301 left to jansson, 309 too big */
	for (d = JSONV_REAL_DIGITS; d <= 310; d++) {
		n = 0;
		memcpy(buf, "{\"a\":", 5);
		n = 5;
		for (i = 0; i < (size_t)d; i++)
			buf[n++] = '9';
		memcpy(buf + n, ".5}", 3);
		n += 3;
		assert_int_equal(fast(buf, n), d <= JSONV_REAL_DIGITS);
		assert_int_equal(jansson_object(buf, n), d <= 308);
		assert_int_equal(body_ok(buf, n), d <= 308);
	}
}

/* A 1 KiB body like the benchmark's, and every truncation of it. */
static void
test_truncations(void **state)
{
	static const char base[] = "{\"p\":\"abc\\n\xc3\xa9\xe2\x82\xac"
	    "\xf0\x9f\x98\x80\\ud83d\\ude00\",\"n\":[1,-2.5,true,null,{}],"
	    "\"o\":{\"k\":\"v\"}} ";
	char big[1100];
	size_t n;

	(void)state;
	assert_true(fast(base, sizeof(base) - 1));
	for (n = 0; n < sizeof(base) - 2; n++) {
		assert_false(fast(base, n));
		assert_false(jansson_object(base, n));
	}
	memcpy(big, "{\"p\":\"", 6);
	memset(big + 6, 'x', 1024);
	memcpy(big + 1030, "\"}", 2);
	assert_true(fast(big, 1032));
	big[500] = '\x1f';
	assert_false(fast(big, 1032));
	big[500] = '\x7f';
	assert_true(fast(big, 1032));
	big[500] = '"';
	assert_false(fast(big, 1032));
	assert_false(jansson_object(big, 1032));
}

/* The body spans the API takes instead of parsing (jsonv_spans). */
static void
test_spans(void **state)
{
	static const char batch[] = "{\"messages\":["
	    "{\"to\":\"ru\",\"body\":{\"p\":\"x\\n\\\"\"},\"kind\":\"t\"},"
	    "{\"body\":{\"a\":[1,{}],\"b\":{\"c\":null}}},"
	    "{\"body\":{\"a\": 1}},{\"body\":{\"n\":-0}},{\"body\":{\"r\":1.5}},"
	    "{\"body\":{\"s\":\"\\u0041\"}},{\"body\":{\"s\":\"\\/\"}},"
	    "{\"body\":[1]},1,[{\"body\":{}}],"
	    "{\"x\":{\"body\":{\"y\":1}},\"body\":{}}],\"body\":{\"top\":1}}";
	static const char *const want[] = { "{\"p\":\"x\\n\\\"\"}",
	    "{\"a\":[1,{}],\"b\":{\"c\":null}}", NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL, NULL, "{}", NULL };
	struct jsonv_span sp[12];
	uint8_t *p;
	size_t i, n = sizeof(batch) - 1;

	(void)state;
	p = testlib_dup_exact(batch, n);
	assert_true(jansson_object(batch, n));
	assert_true(jsonv_spans(p, n, "messages", "body", sp, 12));
	for (i = 0; i < 12; i++) {
		if (want[i] == NULL) {
			assert_int_equal(sp[i].len, 0);
			continue;
		}
		assert_int_equal(sp[i].len, strlen(want[i]));
		assert_memory_equal(p + sp[i].off, want[i], sp[i].len);
	}
	/* fewer spans than elements: the rest are not written */
	assert_true(jsonv_spans(p, n, "messages", "body", sp, 1));
	assert_int_equal(sp[0].len, strlen(want[0]));
	/* the single form: the top object's own body */
	assert_true(jsonv_spans(p, n, NULL, "body", sp, 1));
	assert_int_equal(sp[0].len, 9);
	assert_memory_equal(p + sp[0].off, "{\"top\":1}", 9);
	/* a bad text: false, as jsonv_object */
	assert_false(jsonv_spans(p, n - 1, "messages", "body", sp, 12));
	free(p);
}

/* Whole texts the API copies instead of parsing and dumping (jsonv_compact):
 * each true one must be byte for byte what jansson dumps of it. */
static void
test_compact(void **state)
{
	static const struct {
		const char	*text;
		bool		 compact;
	} cases[] = {
		{ "{\"p\":\"x\"}", true },
		{ "{}", true },
		{ "{\"a\":[1,{},[]],\"b\":{\"c\":null},\"t\":true,\"f\":false}",
		    true },
		{ "{\"p\":\"x\\n\\\"\\\\\\t\\b\\f\\r\"}", true },
		{ "{\"u\":\"\xc3\xa9\xe2\x82\xac\x7f\",\"n\":-12}", true },
		{ "{\"a\": 1}", false },		/* whitespace */
		{ " {\"a\":1}", false },
		{ "{\"a\":1} ", false },
		{ "{\"a\":1}\n", false },
		{ "{\"x\":[ 1]}", false },
		{ "{\"n\":-0}", false },		/* dumped as 0 */
		{ "{\"r\":1.5}", false },		/* reals: %.17g */
		{ "{\"s\":\"\\u0041\"}", false },	/* dumped as A */
		{ "{\"s\":\"\\/\"}", false },
		{ "{\"a\":1,\"a\":2}", false },	/* refused */
		{ "[1]", false },
		{ "{\"a\":1", false },
		{ "", false },
	};
	char dump[256];
	uint8_t *p;
	size_t i, n, len;
	json_t *j;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = strlen(cases[i].text);
		p = testlib_dup_exact(cases[i].text, len);
		if (jsonv_compact(p, len) != cases[i].compact)
			fail_msg("case %zu: %s", i, cases[i].text);
		if (cases[i].compact) {
			j = json_loadb(cases[i].text, len,
			    JSON_REJECT_DUPLICATES, NULL);
			assert_non_null(j);
			n = json_dumpb(j, dump, sizeof(dump), JSON_COMPACT);
			assert_int_equal(n, len);
			assert_memory_equal(dump, cases[i].text, len);
			json_decref(j);
		}
		free(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fast_valid),
		cmocka_unit_test(test_never_valid),
		cmocka_unit_test(test_unsure_valid),
		cmocka_unit_test(test_escaped_duplicates),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_compact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
