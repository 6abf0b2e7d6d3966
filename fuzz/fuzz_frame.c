/*
 * fuzz_frame.c: the byte stream a peer sends on a link after TLS. The input
 * is read as consecutive frames exactly as link_readcb() in src/link.c reads
 * them (wire_peek on each header, then the payload by type), and each frame
 * goes to the decoder the daemon uses: hello_decode with the same party
 * checks as link_handle_hello(), msg_decode and receipt_decode with the
 * stream, sequence and signature checks of apply_msg() / apply_receipt() in
 * src/deliver.c (minus the store), wire_decode_u64 for PING and PONG,
 * bye_decode for BYE. Whatever the daemon would answer with link_close()
 * ends the input here, as it ends the link there.
 *
 * The link under test is FUZZ_SELF's, to FUZZ_PEER, whose key is the test
 * key, so the seeds (signed by fuzz/mkcorpus.c) reach past the signature
 * checks into the sequence logic. Properties: every decoder that fails says
 * why; PING/PONG tokens and BYE reasons re-encode to the same bytes; a
 * message accepted on a stream advances it by exactly one.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "msg.h"
#include "util.h"
#include "wire.h"

/* What the link and its peer keep between frames. */
struct sim {
	bool		hello_rcvd;
	uint64_t	in_held[CH_MAX + 1][PREC_MAX + 1];
};

/* Re-encode a PING/PONG token or BYE reason; must give back the frame. */
static void
check_reencoded(const struct buf *b, uint8_t type, const uint8_t *payload,
    uint32_t len)
{
	const char *why = NULL;
	uint32_t elen;
	uint8_t etype;

	FUZZ_CHECK(wire_peek(b->data, b->len, &etype, &elen, &why) == 1);
	FUZZ_CHECK(etype == type && elen == len);
	FUZZ_CHECK(b->len == WIRE_HDR_LEN + len);
	FUZZ_CHECK(memcmp(b->data + WIRE_HDR_LEN, payload, len) == 0);
}

/* link_handle_hello() minus the store and timers. 0, or -1: close. */
static int
sim_hello(struct sim *s, struct cursor *c)
{
	const char *why = NULL;
	struct hello h;

	if (s->hello_rcvd)
		return -1;	/* "second HELLO" */
	if (hello_decode(c, &h, &why) == -1) {
		FUZZ_CHECK(why != NULL);
		return -1;
	}
	if (strcmp(h.party, FUZZ_PEER) != 0 || strcmp(h.peer, FUZZ_SELF) != 0)
		return -1;
	s->hello_rcvd = true;
	return 0;
}

/* apply_msg() minus the store. 0, or -1: close. */
static int
sim_msg(struct sim *s, struct cursor *c)
{
	const char *why = NULL;
	uint64_t held;
	struct msg m;

	if (msg_decode(c, &m, &why) == -1) {
		FUZZ_CHECK(why != NULL);
		return -1;
	}
	FUZZ_CHECK(m.channel >= CH_MIN && m.channel <= CH_MAX);
	FUZZ_CHECK(m.prec >= PREC_MIN && m.prec <= PREC_MAX);
	if (strcmp(m.from, FUZZ_PEER) != 0 || strcmp(m.to, FUZZ_SELF) != 0)
		return -1;
	held = s->in_held[m.channel][m.prec];
	if (m.seq <= held || m.seq != held + 1)
		return -1;	/* replay or gap */
	if (!msg_verify(&m, fuzz_pubkey()))
		return -1;
	s->in_held[m.channel][m.prec] = m.seq;
	FUZZ_CHECK(s->in_held[m.channel][m.prec] == held + 1);
	return 0;
}

/* apply_receipt() minus the store (which knows what was sent). */
static int
sim_receipt(struct sim *s, struct cursor *c)
{
	const char *why = NULL;
	struct receipt r;

	if (receipt_decode(c, &r, &why) == -1) {
		FUZZ_CHECK(why != NULL);
		return -1;
	}
	FUZZ_CHECK(r.channel >= CH_MIN && r.channel <= CH_MAX);
	FUZZ_CHECK(r.prec >= PREC_MIN && r.prec <= PREC_MAX);
	if (strcmp(r.from, FUZZ_SELF) != 0 || strcmp(r.to, FUZZ_PEER) != 0)
		return -1;
	if (!receipt_verify(&r, fuzz_pubkey()))
		return -1;
	return 0;
}

/* One frame, as link_readcb() dispatches it. 0, or -1: close. */
/* A transparency-log frame: 0 if it decodes, -1 (close) if not. */
static int
sim_tlog(uint8_t type, struct cursor *c)
{
	static struct wire_proof pr;
	char line[WIRE_COSIG_LINE_MAX + 1];
	const char *why = NULL, *note;
	uint8_t root[32];
	uint64_t a, b;
	size_t n;
	int r;

	if (type == FR_CHECKPOINT)
		r = checkpoint_frame_decode(c, &note, &n, &why);
	else if (type == FR_CONSIST_REQ)
		r = consist_req_decode(c, &a, &b, &why);
	else if (type == FR_CONSIST_PROOF)
		r = consist_proof_decode(c, &pr, &why);
	else
		r = cosig_frame_decode(c, &a, root, line, sizeof(line), &why);
	FUZZ_CHECK(r == 0 || why != NULL);
	return r;
}

static int
sim_frame(struct sim *s, uint8_t type, const uint8_t *payload, uint32_t len)
{
	char reason[WIRE_REASON_MAX + 1];
	const char *why = NULL;
	struct cursor c;
	struct buf b;
	uint64_t v;

	cur_init(&c, payload, len);
	switch (type) {
	case FR_HELLO:
		return sim_hello(s, &c);
	case FR_MSG:
	case FR_RECEIPT:
		if (!s->hello_rcvd)
			return -1;	/* "... before HELLO" */
		return type == FR_MSG ? sim_msg(s, &c) : sim_receipt(s, &c);
	case FR_PING:
	case FR_PONG:
		if (wire_decode_u64(&c, &v, &why) == -1) {
			FUZZ_CHECK(why != NULL);
			return -1;
		}
		buf_init(&b, WIRE_HDR_LEN + WIRE_FRAME_MAX);
		FUZZ_CHECK(wire_encode_u64(&b, type, v) == 0);
		check_reencoded(&b, type, payload, len);
		buf_free(&b);
		return 0;
	case FR_BYE:
		if (bye_decode(&c, reason, sizeof(reason), &why) == -1) {
			FUZZ_CHECK(why != NULL);
			return -1;
		}
		FUZZ_CHECK(strlen(reason) <= WIRE_REASON_MAX);
		buf_init(&b, WIRE_HDR_LEN + WIRE_FRAME_MAX);
		FUZZ_CHECK(bye_encode(&b, reason) == 0);
		check_reencoded(&b, FR_BYE, payload, len);
		buf_free(&b);
		return -1;	/* "peer said goodbye" */
	case FR_CHECKPOINT:
	case FR_CONSIST_REQ:
	case FR_CONSIST_PROOF:
	case FR_COSIG:
		/* link.c hands these to witness.c after HELLO; their
		 * decoders have their own target (fuzz_tlog_frames). */
		if (!s->hello_rcvd)
			return -1;
		return sim_tlog(type, &c);
	default:
		FUZZ_CHECK(strcmp(frame_type_name(type), "?") == 0);
		return -1;	/* "unknown frame type" */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	uint8_t *payload;
	struct sim s;
	uint32_t len;
	uint8_t type;
	int r;

	memset(&s, 0, sizeof(s));
	while (size > 0) {
		r = wire_peek(data, size, &type, &len, &why);
		if (r == 0) {
			FUZZ_CHECK(size < WIRE_HDR_LEN);
			break;		/* wait for more bytes */
		}
		if (r == -1) {
			FUZZ_CHECK(why != NULL);
			break;		/* "bad frame header" */
		}
		FUZZ_CHECK(len < WIRE_FRAME_MAX);
		if (size - WIRE_HDR_LEN < len)
			break;		/* incomplete frame */
		/* An exact copy, so ASan catches a read past the payload. */
		payload = xmalloc(len == 0 ? 1 : len);
		memcpy(payload, data + WIRE_HDR_LEN, len);
		r = sim_frame(&s, type, payload, len);
		free(payload);
		if (r == -1)
			break;
		data += WIRE_HDR_LEN + len;
		size -= WIRE_HDR_LEN + len;
	}
	return 0;
}
