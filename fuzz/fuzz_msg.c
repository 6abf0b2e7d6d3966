/*
 * fuzz_msg.c: MSG frame payloads (msg_decode in src/msg.c). The input is a
 * payload without the frame header. Properties, checked whenever decoding
 * succeeds:
 *  - the encoding is canonical: msg_encode() of the decoded message gives
 *    back exactly the input bytes (ids and signatures cover exact bytes, so
 *    two encodings of one message would be two ids);
 *  - the id computed from the bytes as received equals the id computed from
 *    the decoded fields (msg_compute_id) and the one msg_verify() computes;
 *  - msg_verify() against the test key runs on anything that decodes, and
 *    accepts the seeds signed with it;
 *  - the signature field (plain or batch form, docs/PROTOCOL.md) re-encodes
 *    to the same bytes, a batch form's path gives a root, and the cached
 *    verification (msg_verify_cached, as the daemon uses it) agrees with
 *    msg_verify both on a cold cache and on one the first call filled;
 *  - msg_peek_stream() runs on anything, and on what decodes it names the
 *    decoded channel and precedence;
 *  - msg_decode_lazy() (the receiver's decode, deliver.c) followed by the
 *    body check it leaves to its caller accepts exactly what msg_decode()
 *    accepts, with the same id; and cert_bundle_parse(), the check the
 *    receiver does instead for a CERT bundle, agrees with msg_check_body().
 */
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "cert.h"
#include "fuzz.h"
#include "msg.h"
#include "wire.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t id[MSG_ID_LEN], root[MSG_ID_LEN], sig[MSG_SIG_MAX];
	struct msg_vcache vc;
	const char *why = NULL;
	size_t siglen;
	bool ok;
	struct cursor c;
	struct buf b;
	struct msg m, lm;
	json_t *j;
	int lazy, full;
	uint8_t ch, prec;
	int peeked;

	peeked = msg_peek_stream(data, size, false, &ch, &prec);
	cur_init(&c, data, size);
	lazy = msg_decode_lazy(&c, &lm, &why) == 0;
	cur_init(&c, data, size);
	full = msg_decode(&c, &m, &why) == 0;
	if (lazy) {
		const char *w1 = NULL, *w2 = NULL;
		int body_ok = msg_check_body(lm.body, lm.body_len, &w1) == 0;

		FUZZ_CHECK(full == body_ok);
		j = cert_bundle_parse(&lm, &w2);
		FUZZ_CHECK((j != NULL) == body_ok);
		FUZZ_CHECK(body_ok || strcmp(w1, w2) == 0);
		json_decref(j);
		if (full)
			FUZZ_CHECK(memcmp(lm.id, m.id, sizeof(m.id)) == 0);
	} else
		FUZZ_CHECK(!full);
	if (!full) {
		FUZZ_CHECK(why != NULL);
		return 0;
	}
	FUZZ_CHECK(peeked == 0 && ch == m.channel && prec == m.prec);
	FUZZ_CHECK(m.body_len <= MSG_BODY_MAX);
	FUZZ_CHECK(m.body >= data && m.body + m.body_len <= data + size);
	memcpy(id, m.id, sizeof(id));

	buf_init(&b, WIRE_FRAME_MAX);
	FUZZ_CHECK(msg_encode(&m, &b) == 0);
	FUZZ_CHECK(b.len == size && memcmp(b.data, data, size) == 0);
	buf_free(&b);

	FUZZ_CHECK(msg_check(&m, &why) == 0);
	msg_compute_id(&m);
	FUZZ_CHECK(memcmp(id, m.id, sizeof(id)) == 0);
	ok = msg_verify(&m, fuzz_pubkey());
	FUZZ_CHECK(memcmp(id, m.id, sizeof(id)) == 0);

	siglen = msg_sig_encode(&m, sig);
	FUZZ_CHECK(siglen >= ED25519_SIG_LEN && siglen <= size &&
	    memcmp(sig, data + size - siglen, siglen) == 0);
	if (m.batch_n != 0)
		FUZZ_CHECK(msg_batch_root(&m, root) == 0);
	memset(&vc, 0, sizeof(vc));
	FUZZ_CHECK(msg_verify_cached(&m, fuzz_pubkey(), &vc) == ok);
	FUZZ_CHECK(vc.verifies == 1);
	FUZZ_CHECK(msg_verify_cached(&m, fuzz_pubkey(), &vc) == ok);
	FUZZ_CHECK(vc.verifies == (ok && m.batch_n != 0 ? 1u : 2u));
	return 0;
}
