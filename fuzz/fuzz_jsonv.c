/*
 * fuzz_jsonv.c: the validate-only body check (src/jsonv.c) against jansson,
 * the authority (docs/PROTOCOL.md §3.1). The input is a message body.
 * Properties:
 *  - sound: if jsonv_object() says true, json_loadb() with
 *    JSON_REJECT_DUPLICATES accepts the input and gives an object;
 *  - msg_check_body() (fast path, then jansson) agrees with jansson;
 *  - not a stub: whenever jansson accepts an object, its compact dump is
 *    fed back, and if the tree is within the fast path's documented limits
 *    (no reals, integers below 10^18, keys without escapes, depth and key
 *    counts within JSONV_DEPTH / JSONV_KEYS) jsonv_object() must say true.
 *    A fast path that always answers "not sure" fails on the first seed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "jsonv.h"
#include "msg.h"

/* A key the dump writes as it is: no byte that json_dumpb escapes. */
static int
plain_key(const char *k)
{
	for (; *k != '\0'; k++)
		if ((unsigned char)*k < 0x20 || *k == '"' || *k == '\\')
			return 0;
	return 1;
}

/*
 * Whether the compact dump of v is within the fast path's limits: depth is
 * v's level (1 for the top object), open the keys remembered by the
 * enclosing objects when v starts (jsonv.c keeps every key of every open
 * object, including the one whose value is being read).
 */
static int
within_limits(json_t *v, size_t depth, size_t open)
{
	const char *k;
	json_t *x;
	size_t i, nkeys = 0;
	json_int_t n;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (depth > JSONV_DEPTH)
			return 0;
		json_object_foreach(v, k, x) {
			nkeys++;
			if (open + nkeys > JSONV_KEYS || !plain_key(k) ||
			    !within_limits(x, depth + 1, open + nkeys))
				return 0;
		}
		return 1;
	case JSON_ARRAY:
		if (depth > JSONV_DEPTH)
			return 0;
		json_array_foreach(v, i, x)
			if (!within_limits(x, depth + 1, open))
				return 0;
		return 1;
	case JSON_INTEGER:
		n = json_integer_value(v);
		return n > -1000000000000000000LL && n < 1000000000000000000LL;
	case JSON_REAL:
		return 0;			/* %.17g may write an exponent */
	default:
		return 1;			/* strings, true, false, null */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dump[256 * 1024];
	const char *why = NULL;
	json_t *j;
	size_t n;
	int fast, ok;

	fast = jsonv_object(data, size);
	j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	ok = j != NULL && json_is_object(j);
	if (fast)
		FUZZ_CHECK(ok);
	FUZZ_CHECK((msg_check_body(data, size, &why) == 0) == ok);
	if (ok && within_limits(j, 1, 0)) {
		n = json_dumpb(j, dump, sizeof(dump), JSON_COMPACT);
		if (n > 0 && n <= sizeof(dump))
			FUZZ_CHECK(jsonv_object(dump, n));
	}
	json_decref(j);
	return 0;
}
