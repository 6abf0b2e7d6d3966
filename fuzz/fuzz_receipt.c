/*
 * fuzz_receipt.c: RECEIPT frame payloads (receipt_decode in src/msg.c).
 * The input is a payload without the frame header. Properties, checked
 * whenever decoding succeeds:
 *  - receipt_encode() of the decoded receipt gives back exactly the input
 *    bytes (the encoding is canonical; the id hashes bytes as received);
 *  - receipt_verify() against the test key runs, and the id it recomputes
 *    from the fields equals the id decoded from the bytes;
 *  - msg_peek_stream() runs on anything, and on what decodes it names the
 *    decoded channel and precedence.
 */
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "msg.h"
#include "wire.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t id[MSG_ID_LEN];
	const char *why = NULL;
	struct receipt r;
	struct cursor c;
	struct buf b;
	uint8_t ch, prec;
	int peeked;

	peeked = msg_peek_stream(data, size, true, &ch, &prec);
	cur_init(&c, data, size);
	if (receipt_decode(&c, &r, &why) == -1) {
		FUZZ_CHECK(why != NULL);
		return 0;
	}
	/* msg_peek_stream() reads the stream of what decodes */
	FUZZ_CHECK(peeked == 0 && ch == r.channel && prec == r.prec);
	memcpy(id, r.id, sizeof(id));

	buf_init(&b, WIRE_FRAME_MAX);
	FUZZ_CHECK(receipt_encode(&r, &b) == 0);
	FUZZ_CHECK(b.len == size && memcmp(b.data, data, size) == 0);
	buf_free(&b);

	(void)receipt_verify(&r, fuzz_pubkey());
	FUZZ_CHECK(memcmp(id, r.id, sizeof(id)) == 0);
	return 0;
}
