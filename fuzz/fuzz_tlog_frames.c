/*
 * fuzz_tlog_frames.c: the transparency-log frame payloads a peer sends
 * (checkpoint_frame_decode, consist_req_decode, consist_proof_decode,
 * cosig_frame_decode in src/wire.c). The first input byte picks the frame
 * type (CHECKPOINT + byte % 4), the rest is the payload. Properties,
 * whenever decoding succeeds: the fields are in range, and encoding them
 * again gives a whole frame whose payload is exactly the input's.
 */
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "wire.h"

static void
same_payload(struct buf *b, uint8_t want, const uint8_t *p, size_t n)
{
	const char *why = NULL;
	uint32_t len;
	uint8_t type;

	FUZZ_CHECK(wire_peek(b->data, b->len, &type, &len, &why) == 1);
	FUZZ_CHECK(type == want && len == n);
	FUZZ_CHECK(b->len == WIRE_HDR_LEN + n);
	FUZZ_CHECK(memcmp(b->data + WIRE_HDR_LEN, p, n) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wire_proof pr;
	char line[WIRE_COSIG_LINE_MAX + 1];
	const char *why = NULL, *note;
	uint64_t a, b2;
	uint8_t type, root[32];
	struct cursor c;
	struct buf b;
	size_t len;

	if (size == 0)
		return 0;
	type = (uint8_t)(FR_CHECKPOINT + data[0] % 4);
	data++;
	size--;
	cur_init(&c, data, size);
	buf_init(&b, WIRE_HDR_LEN + WIRE_FRAME_MAX);
	switch (type) {
	case FR_CHECKPOINT:
		if (checkpoint_frame_decode(&c, &note, &len, &why) == 0) {
			FUZZ_CHECK(len > 0 && len <= WIRE_NOTE_MAX);
			FUZZ_CHECK(checkpoint_frame_encode(&b, note, len) == 0);
			same_payload(&b, type, data, size);
		}
		break;
	case FR_CONSIST_REQ:
		if (consist_req_decode(&c, &a, &b2, &why) == 0) {
			FUZZ_CHECK(a >= 1 && a <= b2 && b2 <= INT64_MAX);
			FUZZ_CHECK(consist_req_encode(&b, a, b2) == 0);
			same_payload(&b, type, data, size);
		}
		break;
	case FR_CONSIST_PROOF:
		if (consist_proof_decode(&c, &pr, &why) == 0) {
			FUZZ_CHECK(pr.n <= WIRE_PROOF_MAX);
			FUZZ_CHECK(pr.old_size <= pr.new_size);
			FUZZ_CHECK(consist_proof_encode(&b, &pr) == 0);
			same_payload(&b, type, data, size);
		}
		break;
	default:
		if (cosig_frame_decode(&c, &a, root, line, sizeof(line),
		    &why) == 0) {
			FUZZ_CHECK(strlen(line) > 0 &&
			    strlen(line) <= WIRE_COSIG_LINE_MAX);
			FUZZ_CHECK(cosig_frame_encode(&b, a, root, line) == 0);
			same_payload(&b, type, data, size);
		}
		break;
	}
	buf_free(&b);
	return 0;
}
