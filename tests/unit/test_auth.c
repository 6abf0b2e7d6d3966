/*
 * test_auth.c: src/auth.c (header parsing, sessions, CSRF tokens,
 * throttling, the Basic cache) and the password hashing of src/account.c.
 * The HTTPS listener that uses them is tested end to end by
 * tests/system/test_https_auth.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "account.h"
#include "auth.h"
#include "testlib.h"

static void
test_basic(void **state)
{
	char u[65], p[257];
	size_t n;

	(void)state;
	/* "wanda:correct horse" */
	assert_int_equal(auth_parse_basic("Basic d2FuZGE6Y29ycmVjdCBob3JzZQ==",
	    u, sizeof(u), p, sizeof(p), &n), 0);
	assert_string_equal(u, "wanda");
	assert_string_equal(p, "correct horse");
	assert_int_equal(n, 13);
	/* Scheme case-insensitive; the password may hold ':'. "a:b:c" */
	assert_int_equal(auth_parse_basic("basic YTpiOmM=", u, sizeof(u), p,
	    sizeof(p), &n), 0);
	assert_string_equal(u, "a");
	assert_string_equal(p, "b:c");
	/* No colon, empty user, bad padding, bad alphabet, other schemes,
	 * control bytes ("a\nb:c"), a user too long for the buffer. */
	assert_int_equal(auth_parse_basic("Basic d2FuZGE=", u, sizeof(u), p,
	    sizeof(p), &n), -1);
	assert_int_equal(auth_parse_basic("Basic OnBhc3M=", u, sizeof(u), p,
	    sizeof(p), &n), -1);
	assert_int_equal(auth_parse_basic("Basic d2FuZGE6=Q==", u, sizeof(u),
	    p, sizeof(p), &n), -1);
	assert_int_equal(auth_parse_basic("Basic d2F*ZGE6", u, sizeof(u), p,
	    sizeof(p), &n), -1);
	assert_int_equal(auth_parse_basic("Bearer abc", u, sizeof(u), p,
	    sizeof(p), &n), -1);
	assert_int_equal(auth_parse_basic("Basic YQpiOmM=", u, sizeof(u), p,
	    sizeof(p), &n), -1);
	assert_int_equal(auth_parse_basic("Basic d2FuZGE6eA==", u, 3, p,
	    sizeof(p), &n), -1);
	assert_int_equal(auth_parse_basic(NULL, u, sizeof(u), p, sizeof(p),
	    &n), -1);
}

static void
test_cookie(void **state)
{
	char v[44];

	(void)state;
	assert_int_equal(auth_cookie_find("a=1; hotline_session=xyz; b=2",
	    AUTH_COOKIE, v, sizeof(v)), 0);
	assert_string_equal(v, "xyz");
	assert_int_equal(auth_cookie_find("hotline_session=\"q\"",
	    AUTH_COOKIE, v, sizeof(v)), 0);
	assert_string_equal(v, "q");
	/* The first of two wins; a prefix of the name is not the name. */
	assert_int_equal(auth_cookie_find("hotline_session=1; "
	    "hotline_session=2", AUTH_COOKIE, v, sizeof(v)), 0);
	assert_string_equal(v, "1");
	assert_int_equal(auth_cookie_find("hotline_sessionX=1", AUTH_COOKIE,
	    v, sizeof(v)), 1);
	assert_int_equal(auth_cookie_find(NULL, AUTH_COOKIE, v, sizeof(v)), 1);
	assert_int_equal(auth_cookie_find("a", AUTH_COOKIE, v, sizeof(v)), -1);
	assert_int_equal(auth_cookie_find("a=b c", AUTH_COOKIE, v, sizeof(v)),
	    -1);
	assert_int_equal(auth_cookie_find("hotline_session=" "0123456789"
	    "0123456789012345678901234567890123456789", AUTH_COOKIE, v,
	    sizeof(v)), -1);
}

static void
test_sessions(void **state)
{
	struct auth *a = auth_new();
	const struct auth_session *s, *s2;
	char tok[AUTH_TOKEN_LEN + 1], csrf[AUTH_TOKEN_LEN + 1];
	int i;

	(void)state;
	assert_non_null(a);
	s = auth_session_new(a, "wanda", 1, 1000);
	assert_non_null(s);
	assert_true(auth_token_valid(s->token) && auth_token_valid(s->csrf));
	assert_string_not_equal(s->token, s->csrf);
	memcpy(tok, s->token, sizeof(tok));
	memcpy(csrf, s->csrf, sizeof(csrf));
	assert_ptr_equal(auth_session_get(a, tok, 2000), s);
	assert_true(auth_csrf_ok(s, csrf));
	assert_false(auth_csrf_ok(s, tok));
	assert_false(auth_csrf_ok(s, NULL));
	tok[0] = tok[0] == 'A' ? 'B' : 'A';
	assert_null(auth_session_get(a, tok, 2000));
	tok[0] = s->token[0];
	/* Idle too long: gone. */
	assert_null(auth_session_get(a, tok, 2000 + AUTH_SESSION_IDLE_MS + 1));
	assert_null(auth_session_get(a, tok, 3000));
	/* Used within the idle time, but older than the maximum: gone. */
	s = auth_session_new(a, "wanda", 1, 0);
	memcpy(tok, s->token, sizeof(tok));
	for (i = 1; i <= 4; i++)
		assert_non_null(auth_session_get(a, tok,
		    (uint64_t)i * AUTH_SESSION_IDLE_MS / 2));
	assert_null(auth_session_get(a, tok, AUTH_SESSION_MAX_MS + 1));
	/* Dropping an account ends its sessions only. */
	s = auth_session_new(a, "carl", 2, 10);
	s2 = auth_session_new(a, "ivan", 1, 10);
	memcpy(tok, s->token, sizeof(tok));
	memcpy(csrf, s2->token, sizeof(csrf));
	auth_account_drop(a, "carl");
	assert_null(auth_session_get(a, tok, 20));
	assert_non_null(auth_session_get(a, csrf, 20));
	auth_session_end(a, csrf);
	assert_null(auth_session_get(a, csrf, 20));
	/* The table is bounded: the least recently used session goes. */
	for (i = 0; i < AUTH_SESSIONS_MAX + 5; i++)
		assert_non_null(auth_session_new(a, "bulk", 1, 100 + i));
	assert_int_equal(auth_session_count(a), AUTH_SESSIONS_MAX);
	auth_free(a);
}

static void
test_throttle(void **state)
{
	struct auth *a = auth_new();
	uint64_t t = 1000000;
	int i;

	(void)state;
	for (i = 0; i < AUTH_FREE_FAILURES; i++) {
		assert_int_equal(auth_throttle_wait(a, "u:x", t), 0);
		auth_throttle_fail(a, "u:x", t);
	}
	assert_int_equal(auth_throttle_wait(a, "u:x", t), 1000);
	assert_int_equal(auth_throttle_wait(a, "u:x", t + 1000), 0);
	auth_throttle_fail(a, "u:x", t + 1000);
	assert_int_equal(auth_throttle_wait(a, "u:x", t + 1000), 2000);
	for (i = 0; i < 40; i++)
		auth_throttle_fail(a, "u:x", t);
	assert_int_equal(auth_throttle_wait(a, "u:x", t), AUTH_LOCK_MAX_MS);
	assert_int_equal(auth_throttle_wait(a, "u:y", t), 0);
	auth_throttle_ok(a, "u:x");
	assert_int_equal(auth_throttle_wait(a, "u:x", t), 0);
	auth_free(a);
}

static void
test_cache(void **state)
{
	struct auth *a = auth_new();
	int role = -1;

	(void)state;
	auth_cache_put(a, "wanda", "pw-one", 6, 1, 100);
	assert_int_equal(auth_cache_get(a, "wanda", "pw-one", 6, 200, &role), 1);
	assert_int_equal(role, 1);
	assert_int_equal(auth_cache_get(a, "wanda", "pw-two", 6, 200, &role), 0);
	assert_int_equal(auth_cache_get(a, "carl", "pw-one", 6, 200, &role), 0);
	assert_int_equal(auth_cache_get(a, "wanda", "pw-one", 6,
	    100 + AUTH_CACHE_MS, &role), 0);
	auth_cache_put(a, "wanda", "pw-one", 6, 1, 100);
	auth_account_drop(a, "wanda");
	assert_int_equal(auth_cache_get(a, "wanda", "pw-one", 6, 200, &role), 0);
	auth_free(a);
}

static void
test_hash(void **state)
{
	char h[256], h2[256];

	(void)state;
	assert_int_equal(account_hash("correct horse", 13, h, sizeof(h)), 0);
	assert_true(strncmp(h, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
	assert_int_equal(account_verify(h, "correct horse", 13), 1);
	assert_int_equal(account_verify(h, "correct horsE", 13), 0);
	assert_int_equal(account_verify(h, "correct hors", 12), 0);
	assert_int_equal(account_verify("$argon2i$v=19$x", "a", 1), -1);
	/* Salted: the same password hashes differently. */
	assert_int_equal(account_hash("correct horse", 13, h2, sizeof(h2)), 0);
	assert_string_not_equal(h, h2);
	assert_int_equal(account_hash("x", 1, h, 20), -1);
	assert_true(account_name_valid("wanda.k-1_x"));
	assert_false(account_name_valid("Wanda"));
	assert_false(account_name_valid(".x"));
	assert_false(account_name_valid(""));
	assert_int_equal(account_role_from_name("auditor"), 4);
	assert_int_equal(account_role_from_name("root"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_sessions),
		cmocka_unit_test(test_throttle),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
