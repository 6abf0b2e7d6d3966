/*
 * test_cert.c: unit tests for the raw-element finder of src/cert.c
 * (cert_raw_elements), which lets objects be stored byte for byte as
 * received: spans of each element of the top-level "objects" array, with
 * other keys before it, nested values, strings holding brackets and
 * escapes, white space; NULL when the key is escaped or missing or the
 * count differs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cert.h"

static void
test_spans(void **state)
{
	const char *t = " { \"id\" : \"x]\\\"[\" , \"more\": {\"objects\": [1]},"
	    "\"objects\" : [ {\"a\":[1,{\"b\":\"]}\"}]} ,\n\"s\\\\\" , 42 , "
	    "[ ] ] , \"z\": null }";
	struct cert_span *sp;

	(void)state;
	sp = cert_raw_elements(t, strlen(t), "objects", 4);
	assert_non_null(sp);
	assert_int_equal(sp[0].len, strlen("{\"a\":[1,{\"b\":\"]}\"}]}"));
	assert_memory_equal(sp[0].p, "{\"a\":[1,{\"b\":\"]}\"}]}", sp[0].len);
	assert_memory_equal(sp[1].p, "\"s\\\\\"", sp[1].len);
	assert_memory_equal(sp[2].p, "42", sp[2].len);
	assert_memory_equal(sp[3].p, "[ ]", sp[3].len);
	free(sp);
	assert_null(cert_raw_elements(t, strlen(t), "objects", 3));
	assert_null(cert_raw_elements(t, strlen(t), "object", 4));
	assert_null(cert_raw_elements("{\"obj\\u0065cts\":[1]}", 20, "objects",
	    1));
	sp = cert_raw_elements("{\"objects\":[]}", 14, "objects", 0);
	assert_non_null(sp);
	free(sp);
	/* truncated input never reads past the end */
	assert_null(cert_raw_elements(t, 60, "objects", 4));
	assert_null(cert_raw_elements("{\"objects\":[\"abc", 16, "objects",
	    1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spans),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
