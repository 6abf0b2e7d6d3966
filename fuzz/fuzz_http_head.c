/*
 * fuzz_http_head.c: the bytes a local API client sends, as the request
 * guard (src/http.c) frames them before evhttp sees anything. The input is
 * read as a stream of requests exactly as guard_input() reads it: a head
 * checked by http_head_check() within GUARD_MAX_HEAD bytes, then the body
 * by its Content-Length, then the next head; a refusal ends the stream.
 * Properties:
 *  - an accepted head lies within the input and the limit, ends with an
 *    empty line, and declares a body within GUARD_MAX_BODY;
 *  - every proper prefix of an accepted head asks for more bytes: the
 *    guard never decides on a head before it has all of it;
 *  - a refusal names a reason that http_refusal_get() knows, with a 4xx or
 *    5xx status and a message.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "http.h"

#define GUARD_MAX_HEAD	1024
#define GUARD_MAX_BODY	4096

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct http_refusal *r;
	size_t off = 0, have, n, head_len, k;
	uint64_t body_len, b2;
	char rest[16];
	int reason, rv, reason2;

	while (off < size) {
		have = size - off;
		n = have < GUARD_MAX_HEAD ? have : GUARD_MAX_HEAD;
		rv = http_head_check(data + off, n, GUARD_MAX_HEAD,
		    GUARD_MAX_BODY, &head_len, &body_len, &reason);
		if (rv == 1) {
			FUZZ_CHECK(n < GUARD_MAX_HEAD);
			break;
		}
		if (rv == -1) {
			FUZZ_CHECK(snprintf(rest, sizeof(rest), "/%d",
			    reason) < (int)sizeof(rest));
			r = http_refusal_get(rest);
			FUZZ_CHECK(r != NULL && r->status >= 400 &&
			    r->status <= 599 && r->message[0] != '\0');
			break;
		}
		FUZZ_CHECK(rv == 0 && head_len > 0 && head_len <= n);
		FUZZ_CHECK(body_len <= GUARD_MAX_BODY);
		FUZZ_CHECK(data[off + head_len - 1] == '\n');
		FUZZ_CHECK(head_len >= 2 && (data[off + head_len - 2] == '\n' ||
		    (data[off + head_len - 2] == '\r' && head_len >= 3 &&
		    data[off + head_len - 3] == '\n')));
		for (k = head_len / 2; k < head_len; k += (head_len - k + 1) / 2)
			FUZZ_CHECK(http_head_check(data + off, k,
			    GUARD_MAX_HEAD, GUARD_MAX_BODY, &n, &b2,
			    &reason2) == 1);
		off += head_len;
		if (body_len >= size - off)
			break;
		off += (size_t)body_len;
	}
	return 0;
}
