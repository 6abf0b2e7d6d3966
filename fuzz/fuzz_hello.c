/*
 * fuzz_hello.c: HELLO frame payloads (hello_decode in src/wire.c), the first
 * frame of the handshake after TLS. The input is a payload without the frame
 * header. Properties, checked whenever decoding succeeds:
 *  - the decoded fields are in range (parties valid and different, at most
 *    WIRE_HELLO_MAX_STREAMS resume points, no duplicate stream);
 *  - hello_encode() of the decoded HELLO is a whole frame whose header
 *    wire_peek() accepts as a HELLO of the input's length and whose payload
 *    is exactly the input.
 */
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "msg.h"
#include "util.h"
#include "wire.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool seen[CH_MAX + 1][PREC_MAX + 1];
	const struct resume_point *rp;
	const char *why = NULL;
	struct cursor c;
	struct hello h;
	struct buf b;
	uint32_t len;
	uint8_t type, i;

	cur_init(&c, data, size);
	if (hello_decode(&c, &h, &why) == -1) {
		FUZZ_CHECK(why != NULL);
		return 0;
	}
	FUZZ_CHECK(h.version == WIRE_VERSION);
	FUZZ_CHECK(party_id_valid(h.party) && party_id_valid(h.peer));
	FUZZ_CHECK(strcmp(h.party, h.peer) != 0);
	FUZZ_CHECK(h.nresume <= WIRE_HELLO_MAX_STREAMS);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < h.nresume; i++) {
		rp = &h.resume[i];
		FUZZ_CHECK(rp->channel >= CH_MIN && rp->channel <= CH_MAX);
		FUZZ_CHECK(rp->prec >= PREC_MIN && rp->prec <= PREC_MAX);
		FUZZ_CHECK(!seen[rp->channel][rp->prec]);
		seen[rp->channel][rp->prec] = true;
	}

	buf_init(&b, WIRE_HDR_LEN + WIRE_FRAME_MAX);
	FUZZ_CHECK(hello_encode(&h, &b) == 0);
	FUZZ_CHECK(wire_peek(b.data, b.len, &type, &len, &why) == 1);
	FUZZ_CHECK(type == FR_HELLO && len == size);
	FUZZ_CHECK(b.len == WIRE_HDR_LEN + size);
	FUZZ_CHECK(memcmp(b.data + WIRE_HDR_LEN, data, size) == 0);
	buf_free(&b);
	return 0;
}
