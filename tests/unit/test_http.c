/*
 * test_http.c: the request guard's head parser (src/http.c). Each input
 * lives in a malloc'd buffer of exactly its size, so a read past the end
 * is caught by AddressSanitizer. The guard's behaviour on a live socket
 * (JSON refusals, pipelining, Connection: close) is tested end to end by
 * tests/system/test_api_hostile.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"
#include "testlib.h"

#define MAX_HEAD	256
#define MAX_BODY	1000

struct result {
	int		rv;
	size_t		head_len;
	uint64_t	body_len;
	int		status;		/* of the refusal, when rv is -1 */
};

static struct result
check(const char *s)
{
	struct result r = { 0, 0, 0, 0 };
	const struct http_refusal *ref;
	char rest[16];
	uint8_t *p = testlib_dup_exact(s, strlen(s));
	int reason = -1;

	r.rv = http_head_check(p, strlen(s), MAX_HEAD, MAX_BODY, &r.head_len,
	    &r.body_len, &reason);
	if (r.rv == -1) {
		snprintf(rest, sizeof(rest), "/%d", reason);
		ref = http_refusal_get(rest);
		assert_non_null(ref);
		r.status = ref->status;
	}
	free(p);
	return r;
}

static void
test_accepts(void **state)
{
	static const char *const ok[] = {
		"GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /v1/status HTTP/1.0\n\n",
		"\r\nPOST /v1/messages HTTP/1.1\r\nContent-Length: 2\r\n\r\n",
		"DELETE /taxii2/x/ HTTP/1.1\r\ncontent-length:\t0 \r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nX-Empty:\r\n\r\n",
		"PATCH /a HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct result r = check(ok[i]);

		assert_int_equal(r.rv, 0);
		assert_int_equal(r.head_len, strlen(ok[i]));
	}
	assert_int_equal(check(ok[2]).body_len, 2);
	assert_int_equal(check(ok[5]).body_len, 5);
}

/* Only the head is taken: the body and the next request stay. */
static void
test_head_only(void **state)
{
	const char *s = "POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET";
	struct result r = check(s);

	(void)state;
	assert_int_equal(r.rv, 0);
	assert_int_equal(r.head_len, strlen(s) - 6);
	assert_int_equal(r.body_len, 3);
}

static void
test_needs_more(void **state)
{
	static const char *const more[] = {
		"", "GET", "GET /v1/status HTTP/1.1",
		"GET /v1/status HTTP/1.1\r\nHost: x\r\n",
		"GET /v1/status HTTP/1.1\r\nHost: x\r\n\r",
		"\r\n\r\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		assert_int_equal(check(more[i]).rv, 1);
}

static void
test_refusals(void **state)
{
	static const struct {
		const char	*s;
		int		 status;
	} bad[] = {
		{ "BREW /pot HTTP/1.1\r\n\r\n", 501 },
		{ "get /v1 HTTP/1.1\r\n\r\n", 400 },
		{ "GET  /v1 HTTP/1.1\r\n\r\n", 400 },
		{ "GET /v1\r\n\r\n", 400 },
		{ "GET /v1 HTTP/2.0\r\n\r\n", 505 },
		{ "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505 },
		{ "GET /v1 HTTPS/1.1\r\n\r\n", 400 },
		{ "GET /v\x01 HTTP/1.1\r\n\r\n", 400 },
		{ "GET /v1 HTTP/1.1\r\nHost x\r\n\r\n", 400 },
		{ "GET /v1 HTTP/1.1\r\n: x\r\n\r\n", 400 },
		{ "GET /v1 HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n", 400 },
		{ "GET /v1 HTTP/1.1\r\nX-A: a\rb\r\n\r\n", 400 },
		{ "GET /v1 HTTP/1.1\r\nX-A: a\x7f\r\n\r\n", 400 },
		{ "POST /v1 HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400 },
		{ "POST /v1 HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", 400 },
		{ "POST /v1 HTTP/1.1\r\nContent-Length:\r\n\r\n", 400 },
		{ "POST /v1 HTTP/1.1\r\nContent-Length: 2\r\n"
		  "Content-Length: 3\r\n\r\n", 400 },
		{ "POST /v1 HTTP/1.1\r\nContent-Length: 1001\r\n\r\n", 413 },
		{ "POST /v1 HTTP/1.1\r\nContent-Length: "
		  "99999999999999999999999\r\n\r\n", 413 },
		{ "POST /v1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
		  411 },
		/* Refused as soon as the bad line is complete. */
		{ "BREW /pot HTTP/1.1\r\n", 501 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct result r = check(bad[i].s);

		if (r.rv != -1 || r.status != bad[i].status)
			fail_msg("case %zu: rv %d status %d, want %d", i, r.rv,
			    r.status, bad[i].status);
	}
}

/* A head that reaches MAX_HEAD bytes without ending is 431. */
static void
test_too_large(void **state)
{
	char s[MAX_HEAD + 64];
	struct result r;

	(void)state;
	memset(s, 'a', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	memcpy(s, "GET /v1 HTTP/1.1\r\nX: ", 21);
	r = check(s);
	assert_int_equal(r.rv, -1);
	assert_int_equal(r.status, 431);
	s[MAX_HEAD - 1] = '\0';		/* one short of the limit: wait */
	assert_int_equal(check(s).rv, 1);
}

static void
test_refusal_get(void **state)
{
	(void)state;
	assert_null(http_refusal_get(NULL));
	assert_null(http_refusal_get(""));
	assert_null(http_refusal_get("/"));
	assert_null(http_refusal_get("/99"));
	assert_null(http_refusal_get("/-1"));
	assert_null(http_refusal_get("/1x"));
	assert_non_null(http_refusal_get("/0"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_head_only),
		cmocka_unit_test(test_needs_more),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_refusal_get),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
