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
 *  - jsonv_spans() (the API's way to skip parsing message bodies, both
 *    forms: member "body" of the top object, and of each element of the
 *    top object's array "messages") answers as jsonv_object(), and every
 *    span it records holds exactly json_dumpb(JSON_COMPACT) of that body
 *    as jansson parses it; on the dump within limits it records a span for
 *    every body whose dump has no \u or \/ escape.
 *  - jsonv_compact() (the API's way to copy a stored body into an answer)
 *    says true only of a text that is exactly json_dumpb(JSON_COMPACT) of
 *    what jansson parses, and says true of such a dump within the limits
 *    unless it holds a \u or \/ escape.
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

#define FUZZ_SPANS	16

/* The body that spans[i] stands for: top["body"], or top[array][i]["body"]. */
static json_t *
span_body(json_t *top, const char *array, size_t i)
{
	json_t *el = top;

	if (array == NULL && i > 0)
		return NULL;
	if (array != NULL)
		el = json_array_get(json_object_get(top, array), i);
	return json_object_get(el, "body");
}

/* The spans of text (parsed by jansson as top) for both forms. */
static void
check_spans(const uint8_t *text, size_t len, json_t *top, int fast,
    int complete)
{
	static char dump[256 * 1024];
	static const char *const arrays[] = { NULL, "messages" };
	struct jsonv_span spans[FUZZ_SPANS];
	json_t *b;
	size_t a, i, n;

	for (a = 0; a < 2; a++) {
		FUZZ_CHECK(jsonv_spans(text, len, arrays[a], "body", spans,
		    FUZZ_SPANS) == fast);
		if (!fast)
			continue;
		for (i = 0; i < FUZZ_SPANS; i++) {
			b = span_body(top, arrays[a], i);
			if (spans[i].len == 0) {
				if (!complete || !json_is_object(b))
					continue;
				n = json_dumpb(b, dump, sizeof(dump),
				    JSON_COMPACT);
				FUZZ_CHECK(n == 0 || n > sizeof(dump) ||
				    memmem(dump, n, "\\u", 2) != NULL ||
				    memmem(dump, n, "\\/", 2) != NULL);
				continue;
			}
			FUZZ_CHECK(arrays[a] != NULL || i == 0);
			FUZZ_CHECK(spans[i].off < len &&
			    spans[i].len <= len - spans[i].off);
			FUZZ_CHECK(json_is_object(b));
			n = json_dumpb(b, dump, sizeof(dump), JSON_COMPACT);
			FUZZ_CHECK(n == spans[i].len && memcmp(dump, text +
			    spans[i].off, n) == 0);
		}
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
	if (ok)
		check_spans(data, size, j, fast, 0);
	if (jsonv_compact(data, size)) {
		FUZZ_CHECK(fast);
		n = json_dumpb(j, dump, sizeof(dump), JSON_COMPACT);
		FUZZ_CHECK(n == size && memcmp(dump, data, size) == 0);
	}
	if (ok && within_limits(j, 1, 0)) {
		n = json_dumpb(j, dump, sizeof(dump), JSON_COMPACT);
		if (n > 0 && n <= sizeof(dump)) {
			FUZZ_CHECK(jsonv_object(dump, n));
			check_spans((const uint8_t *)dump, n, j, 1, 1);
			FUZZ_CHECK(jsonv_compact(dump, n) ||
			    memmem(dump, n, "\\u", 2) != NULL ||
			    memmem(dump, n, "\\/", 2) != NULL);
		}
	}
	json_decref(j);
	return 0;
}
