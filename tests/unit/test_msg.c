/*
 * test_msg.c: the message and receipt codec (src/msg.c): round trips,
 * every truncation, bad field values with their reasons, bodies that are
 * not JSON objects, tampering with any byte of a signed message or receipt,
 * wrong keys, and the worked example of docs/PROTOCOL.md byte for byte (so
 * the document cannot go stale). Batch signatures: every message of a
 * batch verifies alone and offline, a cache makes a batch one verification,
 * and forged paths, indexes, sizes, keys and signatures are refused, also
 * once the batch's root is cached. Set HOTLINE_PRINT_EXAMPLE=1 to print the
 * example's bytes.
 *
 * Keys are written as 0600 PEM files in a fresh directory under
 * $HOTLINE_TEST_TMP and loaded with signer_load(), like the daemon does.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "buf.h"
#include "identity.h"
#include "msg.h"
#include "signer.h"
#include "testlib.h"
#include "tlog.h"
#include "util.h"
#include "wire.h"

/*
 * The worked example (docs/PROTOCOL.md). The key is RFC 8032's first
 * Ed25519 test key, so anyone can check the signature with other tools.
 */
static const char ex_seed[] =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char ex_pub[] =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char ex_body[] = "{\"text\":\"test\"}";
#define EX_CREATED	1700000000000ULL	/* 2023-11-14T22:13:20.000Z */

#define EX_HEADER						\
    "01"			/* version */			\
    "02" "7573"			/* from "us" */			\
    "02" "7275"			/* to "ru" */			\
    "02"			/* channel nrrc */		\
    "0c" "6e6f74696669636174696f6e"	/* kind "notification" */	\
    "01"			/* precedence flash */		\
    "0000000000000001"		/* seq 1 */			\
    "0000018bcfe56800"		/* created 1700000000000 */	\
    "01"			/* flags: exercise */		\
    "0000000f"			/* body_len 15 */
#define EX_SIG								\
    "4d697b7454361ee7d7459eee4a9482c859895a45f75263bb5f84229d07216d8c"	\
    "d152c46f420d360083d317acb79ebd8f078b7aa592b0e21f5dbad4b4e77ab100"

static const char ex_frame[] =
    "0000007b"			/* frame length 123 */
    "02"			/* type MSG */
    EX_HEADER
    "7b2274657874223a2274657374227d"	/* body */
    EX_SIG;
static const char ex_signed[] =
    "686f746c696e652f6d73672f763100"	/* "hotline/msg/v1" NUL */
    EX_HEADER
    "d1ff99a16f70ec5faa16f73703a1ea3c60da3a46d5024dc95b174b2aaf9e6264";
static const char ex_id[] =
    "5fccd03841c66cfd08399ee4865ef56a87f06fc8bc5ab00d3b6af6bac4f1da22";
static const char ex_sig[] = EX_SIG;

struct fx {
	char		 dir[PATH_MAX];
	char		 keya[PATH_MAX];	/* the example key */
	char		 keyb[PATH_MAX];	/* a random key */
	struct signer	*sa;
	struct signer	*sb;
	EVP_PKEY	*pa;
	EVP_PKEY	*pb;
};

static struct signer *
load_key(const char *path, EVP_PKEY *pkey)
{
	struct signer *s;
	char err[256];

	if (testlib_key_write(path, pkey, NULL) == -1)
		return NULL;
	if ((s = signer_load(path, err, sizeof(err))) == NULL)
		fprintf(stderr, "signer_load %s: %s\n", path, err);
	return s;
}

static int
setup(void **state)
{
	struct fx *fx;
	EVP_PKEY *a = NULL, *b = NULL;
	uint8_t seed[32];

	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return -1;
	if (testlib_tmpdir(fx->dir, sizeof(fx->dir), "test_msg") == -1 ||
	    testlib_path_join(fx->keya, sizeof(fx->keya), fx->dir, "a.pem") ==
	    -1 ||
	    testlib_path_join(fx->keyb, sizeof(fx->keyb), fx->dir, "b.pem") ==
	    -1)
		return -1;
	if (hex_decode(ex_seed, seed, sizeof(seed)) == -1 ||
	    (a = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
	    sizeof(seed))) == NULL ||
	    (b = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL)
		return -1;
	fx->sa = load_key(fx->keya, a);
	fx->sb = load_key(fx->keyb, b);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	if (fx->sa == NULL || fx->sb == NULL)
		return -1;
	fx->pa = signer_pubkey(fx->sa);
	fx->pb = signer_pubkey(fx->sb);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	if (fx == NULL)
		return 0;
	signer_free(fx->sa);
	signer_free(fx->sb);
	testlib_rmtree(fx->dir);
	free(fx);
	return 0;
}

static void
fill_msg(struct msg *m, const char *body, bool ref, bool exercise)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	m->version = MSG_VERSION;
	memcpy(m->from, "us", 3);
	memcpy(m->to, "ru", 3);
	m->channel = CH_NRRC;
	memcpy(m->kind, "notification", sizeof("notification"));
	m->prec = PREC_FLASH;
	m->seq = 1;
	m->created = EX_CREATED;
	m->exercise = exercise;
	m->has_ref = ref;
	if (ref)
		for (i = 0; i < MSG_ID_LEN; i++)
			m->ref[i] = (uint8_t)(0xa0 + i);
	m->body = (const uint8_t *)body;
	m->body_len = (uint32_t)strlen(body);
}

/* Return an exact-size copy of b's bytes (their count in *n); free b. */
static uint8_t *
buf_take_exact(struct buf *b, size_t *n)
{
	uint8_t *p;

	*n = b->len;
	p = testlib_dup_exact(b->data, b->len);
	buf_free(b);
	return p;
}

/* Sign m with s and return an exact-size copy of its MSG payload. */
static uint8_t *
signed_payload(struct msg *m, struct signer *s, size_t *n)
{
	struct buf b;

	buf_init(&b, WIRE_FRAME_MAX);
	assert_int_equal(msg_sign(m, s), 0);
	assert_int_equal(msg_encode(m, &b), 0);
	return buf_take_exact(&b, n);
}

static void
assert_same_msg(const struct msg *a, const struct msg *b)
{
	assert_int_equal(a->version, b->version);
	assert_string_equal(a->from, b->from);
	assert_string_equal(a->to, b->to);
	assert_int_equal(a->channel, b->channel);
	assert_string_equal(a->kind, b->kind);
	assert_int_equal(a->prec, b->prec);
	assert_true(a->seq == b->seq);
	assert_true(a->created == b->created);
	assert_int_equal(a->exercise, b->exercise);
	assert_int_equal(a->has_ref, b->has_ref);
	if (a->has_ref)
		assert_memory_equal(a->ref, b->ref, MSG_ID_LEN);
	assert_int_equal(a->body_len, b->body_len);
	assert_memory_equal(a->body, b->body, a->body_len);
	assert_memory_equal(a->sig, b->sig, ED25519_SIG_LEN);
	assert_memory_equal(a->id, b->id, MSG_ID_LEN);
}

static void
test_names(void **state)
{
	static const char *const ch[] = { "direct", "nrrc", "check", "wg",
	    "cert" };
	static const char *const pr[] = { "flash", "immediate", "priority",
	    "routine" };
	char k[MSG_KIND_MAX + 2];
	int i;

	for (i = 0; i < 5; i++) {
		assert_string_equal(channel_name(CH_MIN + i), ch[i]);
		assert_int_equal(channel_from_name(ch[i]), CH_MIN + i);
	}
	assert_int_equal(CH_DIRECT, 1);
	assert_int_equal(CH_CERT, 5);
	for (i = 0; i < 4; i++) {
		assert_string_equal(prec_name(PREC_MIN + i), pr[i]);
		assert_int_equal(prec_from_name(pr[i]), PREC_MIN + i);
	}
	assert_string_equal(channel_name(0), "?");
	assert_string_equal(channel_name(6), "?");
	assert_string_equal(prec_name(0), "?");
	assert_string_equal(prec_name(5), "?");
	assert_int_equal(channel_from_name("Direct"), -1);
	assert_int_equal(channel_from_name(""), -1);
	assert_int_equal(channel_from_name(NULL), -1);
	assert_int_equal(prec_from_name("urgent"), -1);

	assert_true(kind_valid("notification"));
	assert_true(kind_valid("stix-bundle"));
	assert_true(kind_valid("a"));
	assert_false(kind_valid(""));
	assert_false(kind_valid("Ack"));
	assert_false(kind_valid("a b"));
	assert_false(kind_valid("a_b"));
	assert_false(kind_valid(NULL));
	memset(k, 'k', sizeof(k));
	k[MSG_KIND_MAX] = '\0';
	assert_true(kind_valid(k));
	k[MSG_KIND_MAX] = 'k';
	k[MSG_KIND_MAX + 1] = '\0';
	assert_false(kind_valid(k));
}

static void
roundtrip(struct fx *fx, const char *body, bool ref, bool exercise)
{
	struct msg m, d;
	struct cursor c;
	const char *why = NULL;
	uint8_t *p, id[MSG_ID_LEN];
	size_t n;

	fill_msg(&m, body, ref, exercise);
	p = signed_payload(&m, fx->sa, &n);
	cur_init(&c, p, n);
	assert_int_equal(msg_decode(&c, &d, &why), 0);
	assert_same_msg(&m, &d);
	/* The body is borrowed from the input, not copied. */
	assert_ptr_equal(d.body, p + n - ED25519_SIG_LEN - m.body_len);
	assert_true(msg_verify(&d, fx->pa));
	assert_false(msg_verify(&d, fx->pb));
	memcpy(id, d.id, sizeof(id));
	memset(d.id, 0, sizeof(d.id));
	msg_compute_id(&d);
	assert_memory_equal(d.id, id, sizeof(id));
	free(p);
}

static void
test_roundtrip(void **state)
{
	struct fx *fx = *state;
	char *big;
	size_t n;

	roundtrip(fx, "{\"text\":\"hello\"}", false, false);
	roundtrip(fx, "{\"text\":\"hello\"}", true, false);
	roundtrip(fx, "{\"text\":\"hello\"}", false, true);
	roundtrip(fx, "{\"text\":\"\xd0\xbf\xd1\x80\xd0\xb8\"}", true, true);
	roundtrip(fx, "{}", false, false);

	/* The largest body allowed. */
	big = malloc(MSG_BODY_MAX + 1);
	assert_non_null(big);
	n = MSG_BODY_MAX;
	memcpy(big, "{\"a\":\"", 6);
	memset(big + 6, 'x', n - 8);
	memcpy(big + n - 2, "\"}", 3);
	assert_int_equal(strlen(big), MSG_BODY_MAX);
	roundtrip(fx, big, true, true);
	free(big);
}

/* A max-size message also fits a frame. */
static void
test_max_frame(void **state)
{
	struct fx *fx = *state;
	struct msg m, d;
	struct buf b;
	struct cursor c;
	const char *why;
	char *big;
	size_t start;
	uint8_t type;
	uint32_t len;

	big = malloc(MSG_BODY_MAX + 2);
	assert_non_null(big);
	memcpy(big, "{\"a\":\"", 6);
	memset(big + 6, 'x', MSG_BODY_MAX - 8);
	memcpy(big + MSG_BODY_MAX - 2, "\"}", 3);
	fill_msg(&m, big, true, true);
	memset(m.kind, 'k', MSG_KIND_MAX);
	m.kind[MSG_KIND_MAX] = '\0';
	memset(m.from, 'f', PARTY_MAX);
	m.from[PARTY_MAX] = '\0';
	memset(m.to, 't', PARTY_MAX);
	m.to[PARTY_MAX] = '\0';
	assert_int_equal(msg_sign(&m, fx->sa), 0);
	buf_init(&b, WIRE_HDR_LEN + WIRE_FRAME_MAX);
	assert_int_equal(wire_begin(&b, FR_MSG, &start), 0);
	assert_int_equal(msg_encode(&m, &b), 0);
	assert_int_equal(wire_finish(&b, start), 0);
	assert_int_equal(wire_peek(b.data, b.len, &type, &len, &why), 1);
	assert_int_equal(type, FR_MSG);
	assert_int_equal(len, b.len - WIRE_HDR_LEN);
	cur_init(&c, b.data + WIRE_HDR_LEN, len);
	assert_int_equal(msg_decode(&c, &d, &why), 0);
	assert_true(msg_verify(&d, fx->pa));
	buf_free(&b);

	/* The largest batch form fits a frame with the largest body too. */
	assert_true(WIRE_HDR_LEN + 1 + 1 + 2 * (1 + PARTY_MAX) + 1 +
	    (1 + MSG_KIND_MAX) + 1 + 8 + 8 + 1 + MSG_ID_LEN + 4 +
	    MSG_BODY_MAX + MSG_SIG_MAX <= WIRE_HDR_LEN + WIRE_FRAME_MAX);

	/* One byte more is refused by check, sign and encode. */
	memcpy(big + MSG_BODY_MAX - 2, " }", 3);
	big[MSG_BODY_MAX] = '}';
	big[MSG_BODY_MAX + 1] = '\0';
	big[MSG_BODY_MAX - 1] = '"';
	m.body_len = MSG_BODY_MAX + 1;
	assert_int_equal(msg_check(&m, &why), -1);
	assert_string_equal(why, "body too large");
	assert_int_equal(msg_sign(&m, fx->sa), -1);
	buf_init(&b, 2 * WIRE_FRAME_MAX);
	assert_int_equal(msg_encode(&m, &b), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
	free(big);
}

static void
test_truncations(void **state)
{
	struct fx *fx = *state;
	struct msg m, d;
	struct cursor c;
	const char *why;
	uint8_t *p, *q;
	size_t n, i;
	int r;

	for (r = 0; r < 2; r++) {
		fill_msg(&m, "{\"note\":\"x\"}", r == 1, r == 1);
		p = signed_payload(&m, fx->sa, &n);
		for (i = 0; i < n; i++) {
			q = testlib_dup_exact(p, i);
			cur_init(&c, q, i);
			why = NULL;
			assert_int_equal(msg_decode(&c, &d, &why), -1);
			assert_string_equal(why, "truncated");
			free(q);
		}
		q = testlib_dup_nul(p, n);
		cur_init(&c, q, n + 1);
		assert_int_equal(msg_decode(&c, &d, &why), -1);
		assert_string_equal(why, "trailing bytes");
		free(q);
		free(p);
	}
}

/* A MSG payload spelled out field by field, valid or not. */
struct raw {
	uint8_t		 version;
	const char	*from;
	const char	*to;
	uint8_t		 channel;
	const char	*kind;
	uint8_t		 prec;
	uint64_t	 seq;
	uint8_t		 flags;
	const char	*body;
	size_t		 body_len;	/* bytes of body sent */
	uint32_t	 body_len_field;
};

static void
raw_default(struct raw *r, const char *body)
{
	memset(r, 0, sizeof(*r));
	r->version = MSG_VERSION;
	r->from = "us";
	r->to = "ru";
	r->channel = CH_CHECK;
	r->kind = "ping";
	r->prec = PREC_ROUTINE;
	r->seq = 42;
	r->flags = MSG_F_REF;
	r->body = body;
	r->body_len = strlen(body);
	r->body_len_field = (uint32_t)r->body_len;
}

/* Encode r, decode it, expect failure with reason (or success if NULL). */
static void
raw_expect(const struct raw *r, const char *reason)
{
	static const uint8_t ref[MSG_ID_LEN], sig[ED25519_SIG_LEN];
	struct buf b;
	struct cursor c;
	struct msg d;
	const char *why = NULL;
	uint8_t *p;
	int errs = 0;

	buf_init(&b, 2 * WIRE_FRAME_MAX);
	errs += buf_add_u8(&b, r->version);
	errs += buf_add_str8(&b, r->from);
	errs += buf_add_str8(&b, r->to);
	errs += buf_add_u8(&b, r->channel);
	errs += buf_add_str8(&b, r->kind);
	errs += buf_add_u8(&b, r->prec);
	errs += buf_add_u64(&b, r->seq);
	errs += buf_add_u64(&b, EX_CREATED);
	errs += buf_add_u8(&b, r->flags);
	if (r->flags & MSG_F_REF)
		errs += buf_add(&b, ref, sizeof(ref));
	errs += buf_add_u32(&b, r->body_len_field);
	errs += buf_add(&b, r->body, r->body_len);
	errs += buf_add(&b, sig, sizeof(sig));
	assert_int_equal(errs, 0);
	p = testlib_dup_exact(b.data, b.len);
	cur_init(&c, p, b.len);
	if (reason == NULL) {
		assert_int_equal(msg_decode(&c, &d, &why), 0);
	} else {
		assert_int_equal(msg_decode(&c, &d, &why), -1);
		assert_non_null(why);
		assert_string_equal(why, reason);
	}
	free(p);
	buf_free(&b);
}

static void
test_bad_fields(void **state)
{
	static const char long33[] = "abcdefghijklmnopqrstuvwxyz0123456";
	struct raw r;
	char *big;

	raw_default(&r, "{}");
	raw_expect(&r, NULL);
	r.flags = 0;
	raw_expect(&r, NULL);
	r.flags = MSG_F_EXERCISE;
	raw_expect(&r, NULL);

#define BAD(field, value, reason) do {				\
	raw_default(&r, "{}");					\
	r.field = value;					\
	raw_expect(&r, reason);					\
} while (0)
	BAD(version, 0, "bad version");
	BAD(version, 2, "bad version");
	BAD(from, "US", "bad from");
	BAD(from, "", "bad from");
	BAD(from, long33, "bad from");
	BAD(to, "r u", "bad to");
	BAD(to, long33, "bad to");
	BAD(to, "us", "from equals to");
	BAD(channel, 0, "bad channel");
	BAD(channel, CH_MAX + 1, "bad channel");
	BAD(channel, 255, "bad channel");
	BAD(kind, "", "bad kind");
	BAD(kind, "Ping", "bad kind");
	BAD(kind, "pi.ng", "bad kind");
	BAD(kind, long33, "bad kind");
	BAD(prec, 0, "bad precedence");
	BAD(prec, PREC_MAX + 1, "bad precedence");
	BAD(seq, 0, "bad seq");
	BAD(flags, 0x04, "bad flags");
	BAD(flags, 0x80 | MSG_F_REF, "bad flags");
	BAD(body_len_field, MSG_BODY_MAX + 1, "body too large");
	BAD(body_len_field, UINT32_MAX, "body too large");
	BAD(body_len_field, 3, "truncated");
	BAD(body_len_field, 1, "trailing bytes");
#undef BAD

#define BADBODY(text, len, reason) do {				\
	raw_default(&r, text);					\
	r.body_len = r.body_len_field = (len);			\
	raw_expect(&r, reason);					\
} while (0)
	BADBODY("", 0, "body is not JSON");
	BADBODY("not json", 8, "body is not JSON");
	BADBODY("{", 1, "body is not JSON");
	BADBODY("{} {}", 5, "body is not JSON");
	BADBODY("[1,2]", 5, "body is not a JSON object");
	BADBODY("\"s\"", 3, "body is not JSON");
	BADBODY("{\"a\":\"\xff\"}", 8, "body is not JSON");
	BADBODY("{\"a\":\"\xc0\xaf\"}", 9, "body is not JSON");
	BADBODY("{\"a\":\"\xed\xa0\x80\"}", 10, "body is not JSON");
	BADBODY("{\"a\":1,\"a\":2}", 13, "body is not JSON");
	BADBODY("{\"a\":1}\0", 8, "body is not JSON");
	BADBODY("{\"a\":\"\\u0000\"}", 14, "body is not JSON");
#undef BADBODY

	/* A body of MSG_BODY_MAX + 1 bytes that is otherwise fine. */
	big = malloc(MSG_BODY_MAX + 2);
	assert_non_null(big);
	memcpy(big, "{\"a\":\"", 6);
	memset(big + 6, 'x', MSG_BODY_MAX + 1 - 8);
	memcpy(big + MSG_BODY_MAX + 1 - 2, "\"}", 3);
	raw_default(&r, big);
	raw_expect(&r, "body too large");
	free(big);
}

static void
test_check(void **state)
{
	struct fx *fx = *state;
	struct msg m;
	const char *why = NULL;

	fill_msg(&m, "{}", false, false);
	assert_int_equal(msg_check(&m, &why), 0);
	m.from[0] = 'U';
	assert_int_equal(msg_check(&m, &why), -1);
	assert_string_equal(why, "bad from");
	assert_int_equal(msg_sign(&m, fx->sa), -1);
	fill_msg(&m, "[]", false, false);
	assert_int_equal(msg_check(&m, &why), -1);
	assert_string_equal(why, "body is not a JSON object");
	assert_int_equal(msg_sign(&m, fx->sa), -1);
	/* An unterminated id is bad, not an overread. */
	fill_msg(&m, "{}", false, false);
	memset(m.to, 'r', sizeof(m.to));
	assert_int_equal(msg_check(&m, &why), -1);
	assert_string_equal(why, "bad to");
	fill_msg(&m, "{}", false, false);
	m.seq = 0;
	assert_int_equal(msg_check(&m, &why), -1);
	assert_string_equal(why, "bad seq");
}

/*
 * Change every byte of a signed message in turn (three ways): decoding
 * fails or the signature does not verify. Nothing slips through.
 */
static void
test_tamper(void **state)
{
	static const uint8_t masks[] = { 0x01, 0x80, 0xff };
	struct fx *fx = *state;
	struct msg m, d;
	struct cursor c;
	const char *why;
	uint8_t *p, *q;
	size_t n, i, k, verified = 0;
	int r;

	for (r = 0; r < 2; r++) {
		fill_msg(&m, "{\"note\":\"abc\",\"n\":12}", r == 1, r == 0);
		p = signed_payload(&m, fx->sa, &n);
		cur_init(&c, p, n);
		assert_int_equal(msg_decode(&c, &d, &why), 0);
		assert_true(msg_verify(&d, fx->pa));
		for (i = 0; i < n; i++) {
			for (k = 0; k < sizeof(masks); k++) {
				q = testlib_dup_exact(p, n);
				q[i] ^= masks[k];
				cur_init(&c, q, n);
				if (msg_decode(&c, &d, &why) == 0) {
					verified++;
					assert_false(msg_verify(&d, fx->pa));
				}
				free(q);
			}
		}
		free(p);
	}
	/* Most changes decode fine (body text, seq, time, ref, sig): the
	 * signature is what catches them. */
	assert_true(verified > 100);
}

static void
fill_rcpt(struct receipt *r)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->version = MSG_VERSION;
	memcpy(r->from, "ru", 3);
	memcpy(r->to, "us", 3);
	r->channel = CH_DIRECT;
	r->prec = PREC_IMMEDIATE;
	r->seq = 1234;
	for (i = 0; i < MSG_ID_LEN; i++)
		r->last_id[i] = (uint8_t)i;
	r->time = EX_CREATED + 250;
}

static uint8_t *
rcpt_payload(struct receipt *r, struct signer *s, size_t *n)
{
	struct buf b;

	buf_init(&b, WIRE_FRAME_MAX);
	assert_int_equal(receipt_sign(r, s), 0);
	assert_int_equal(receipt_encode(r, &b), 0);
	return buf_take_exact(&b, n);
}

static void
test_receipt(void **state)
{
	static const uint8_t masks[] = { 0x01, 0x80, 0xff };
	struct fx *fx = *state;
	struct receipt r, d;
	struct cursor c;
	const char *why;
	uint8_t *p, *q;
	size_t n, i, k, verified = 0;

	fill_rcpt(&r);
	p = rcpt_payload(&r, fx->sa, &n);
	assert_int_equal(n, 1 + 3 + 3 + 1 + 1 + 8 + 32 + 8 + 64);
	cur_init(&c, p, n);
	assert_int_equal(receipt_decode(&c, &d, &why), 0);
	assert_string_equal(d.from, "ru");
	assert_string_equal(d.to, "us");
	assert_int_equal(d.channel, CH_DIRECT);
	assert_int_equal(d.prec, PREC_IMMEDIATE);
	assert_true(d.seq == 1234);
	assert_memory_equal(d.last_id, r.last_id, MSG_ID_LEN);
	assert_true(d.time == r.time);
	assert_memory_equal(d.id, r.id, MSG_ID_LEN);
	assert_true(receipt_verify(&d, fx->pa));
	assert_false(receipt_verify(&d, fx->pb));

	for (i = 0; i < n; i++) {
		q = testlib_dup_exact(p, i);
		cur_init(&c, q, i);
		assert_int_equal(receipt_decode(&c, &d, &why), -1);
		assert_string_equal(why, "truncated");
		free(q);
	}
	q = testlib_dup_nul(p, n);
	cur_init(&c, q, n + 1);
	assert_int_equal(receipt_decode(&c, &d, &why), -1);
	assert_string_equal(why, "trailing bytes");
	free(q);

	for (i = 0; i < n; i++) {
		for (k = 0; k < sizeof(masks); k++) {
			q = testlib_dup_exact(p, n);
			q[i] ^= masks[k];
			cur_init(&c, q, n);
			if (receipt_decode(&c, &d, &why) == 0) {
				verified++;
				assert_false(receipt_verify(&d, fx->pa));
			}
			free(q);
		}
	}
	assert_true(verified > 100);

	free(p);
}

/* msg_peek_stream: the stream of a message or receipt from its leading
 * fields; -1 when they are cut short. */
static void
test_peek_stream(void **state)
{
	struct fx *fx = *state;
	struct msg m;
	struct receipt r;
	uint8_t *p, ch, prec;
	size_t n, i, need;

	fill_msg(&m, "{\"text\":\"hello\"}", true, false);
	m.channel = CH_CERT;
	m.prec = PREC_ROUTINE;
	p = signed_payload(&m, fx->sa, &n);
	assert_int_equal(msg_peek_stream(p, n, false, &ch, &prec), 0);
	assert_int_equal(ch, CH_CERT);
	assert_int_equal(prec, PREC_ROUTINE);
	/* version, from, to, channel, kind, prec */
	need = 1 + 1 + strlen(m.from) + 1 + strlen(m.to) + 1 + 1 +
	    strlen(m.kind) + 1;
	assert_int_equal(msg_peek_stream(p, need, false, &ch, &prec), 0);
	for (i = 0; i < need; i++)
		assert_int_equal(msg_peek_stream(p, i, false, &ch, &prec), -1);
	free(p);

	fill_rcpt(&r);
	p = rcpt_payload(&r, fx->sa, &n);
	assert_int_equal(msg_peek_stream(p, n, true, &ch, &prec), 0);
	assert_int_equal(ch, CH_DIRECT);
	assert_int_equal(prec, PREC_IMMEDIATE);
	need = 1 + 1 + strlen(r.from) + 1 + strlen(r.to) + 1 + 1;
	for (i = 0; i < need; i++)
		assert_int_equal(msg_peek_stream(p, i, true, &ch, &prec), -1);
	free(p);
}

static void
test_receipt_bad(void **state)
{
	struct fx *fx = *state;
	struct receipt r, d;
	struct cursor c;
	const char *why;
	uint8_t *p, *q;
	size_t n;

	fill_rcpt(&r);
	p = rcpt_payload(&r, fx->sa, &n);
	if (n < 17)	/* also tells gcc the offsets below are in bounds */
		abort();
#define RBAD(off, val, reason) do {				\
	q = testlib_dup_exact(p, n);					\
	q[off] = (val);						\
	cur_init(&c, q, n);					\
	why = NULL;						\
	assert_int_equal(receipt_decode(&c, &d, &why), -1);	\
	assert_non_null(why);					\
	assert_string_equal(why, reason);			\
	free(q);						\
} while (0)
	/* Offsets: version 0, from 1-3 ("ru"), to 4-6 ("us"), channel 7,
	 * precedence 8, seq 9-16. */
	RBAD(0, 2, "bad version");
	RBAD(2, 'R', "bad from");
	RBAD(5, '_', "bad to");
	RBAD(7, 0, "bad channel");
	RBAD(7, CH_MAX + 1, "bad channel");
	RBAD(8, 0, "bad precedence");
	RBAD(8, PREC_MAX + 1, "bad precedence");
#undef RBAD
	q = testlib_dup_exact(p, n);
	memset(q + 9, 0, 8);
	cur_init(&c, q, n);
	assert_int_equal(receipt_decode(&c, &d, &why), -1);
	assert_string_equal(why, "bad seq");
	free(q);
	q = testlib_dup_exact(p, n);
	memcpy(q + 5, "ru", 2);		/* to = from */
	cur_init(&c, q, n);
	assert_int_equal(receipt_decode(&c, &d, &why), -1);
	assert_string_equal(why, "from equals to");
	free(q);
	free(p);

	fill_rcpt(&r);
	r.seq = 0;
	assert_int_equal(receipt_sign(&r, fx->sa), -1);
	fill_rcpt(&r);
	memcpy(r.to, "ru", 3);
	assert_int_equal(receipt_sign(&r, fx->sa), -1);
}

/* Hex of the worked example's pieces, for docs/PROTOCOL.md. */
static void
print_hex(const char *label, const uint8_t *p, size_t n)
{
	char *h = malloc(2 * n + 1);

	assert_non_null(h);
	hex_encode(p, n, h);
	printf("%s %s\n", label, h);
	free(h);
}

static void
assert_hex(const char *expect, const uint8_t *p, size_t n)
{
	char *h = malloc(2 * n + 1);

	assert_non_null(h);
	hex_encode(p, n, h);
	assert_string_equal(h, expect);
	free(h);
}

static void
test_worked_example(void **state)
{
	struct fx *fx = *state;
	uint8_t pub[ED25519_PUB_LEN], body_hash[SHA256_DIGEST_LENGTH];
	uint8_t signed_bytes[512], id[MSG_ID_LEN];
	struct msg m, d;
	struct buf b;
	struct cursor c;
	const char *why;
	size_t start, publen = sizeof(pub), hdrlen, sn;

	assert_int_equal(EVP_PKEY_get_raw_public_key(fx->pa, pub, &publen), 1);
	assert_hex(ex_pub, pub, sizeof(pub));

	fill_msg(&m, ex_body, false, true);
	assert_int_equal(msg_sign(&m, fx->sa), 0);
	buf_init(&b, WIRE_HDR_LEN + WIRE_FRAME_MAX);
	assert_int_equal(wire_begin(&b, FR_MSG, &start), 0);
	assert_int_equal(msg_encode(&m, &b), 0);
	assert_int_equal(wire_finish(&b, start), 0);

	/* The signed bytes, built here independently of msg.c: the domain,
	 * the header as encoded (everything in the payload before body_len),
	 * body_len and SHA-256 of the body. */
	hdrlen = b.len - WIRE_HDR_LEN - 4 - m.body_len - ED25519_SIG_LEN;
	SHA256(m.body, m.body_len, body_hash);
	sn = 0;
	memcpy(signed_bytes, MSG_DOMAIN, sizeof(MSG_DOMAIN));
	sn += sizeof(MSG_DOMAIN);
	memcpy(signed_bytes + sn, b.data + WIRE_HDR_LEN, hdrlen + 4);
	sn += hdrlen + 4;
	memcpy(signed_bytes + sn, body_hash, sizeof(body_hash));
	sn += sizeof(body_hash);
	SHA256(signed_bytes, sn, id);
	assert_memory_equal(id, m.id, MSG_ID_LEN);
	assert_true(identity_verify(fx->pa, signed_bytes, sn, m.sig));

	if (getenv("HOTLINE_PRINT_EXAMPLE") != NULL) {
		print_hex("frame ", b.data, b.len);
		print_hex("signed", signed_bytes, sn);
		print_hex("id    ", m.id, MSG_ID_LEN);
		print_hex("sig   ", m.sig, ED25519_SIG_LEN);
	}
	assert_hex(ex_frame, b.data, b.len);
	assert_hex(ex_signed, signed_bytes, sn);
	assert_hex(ex_id, m.id, MSG_ID_LEN);
	assert_hex(ex_sig, m.sig, ED25519_SIG_LEN);

	cur_init(&c, b.data + WIRE_HDR_LEN, b.len - WIRE_HDR_LEN);
	assert_int_equal(msg_decode(&c, &d, &why), 0);
	assert_true(msg_verify(&d, fx->pa));
	buf_free(&b);
}

/*
 * Batch signatures.
 */
#define TB_MAX	40
#define SIG_LEN_FOR(plen)	((size_t)ED25519_SIG_LEN + 8 + \
				    (size_t)(plen) * MSG_ID_LEN)

struct tbatch {
	struct msg	 m[TB_MAX];
	struct msg	*p[TB_MAX];
	char		 body[TB_MAX][64];
	int		 n;
};

/* n messages on one stream, seq 1..n, bodies distinct, signed as a batch
 * by s (plain form for n == 1). */
static void
tbatch_sign(struct tbatch *t, int n, struct signer *s, unsigned salt)
{
	int i;

	assert_true(n >= 1 && n <= TB_MAX);
	t->n = n;
	for (i = 0; i < n; i++) {
		snprintf(t->body[i], sizeof(t->body[i]),
		    "{\"text\":\"batch %u message %d\"}", salt, i);
		fill_msg(&t->m[i], t->body[i], i % 3 == 1, i % 2 == 0);
		t->m[i].seq = (uint64_t)i + 1;
		t->p[i] = &t->m[i];
	}
	assert_int_equal(msg_sign_batch(t->p, n, s), 0);
}

/* Encode m; decode the bytes into *d (which borrows *pp: free it). */
static void
reencode(const struct msg *m, struct msg *d, uint8_t **pp)
{
	struct buf b;
	struct cursor c;
	const char *why = NULL;
	size_t n;

	buf_init(&b, WIRE_FRAME_MAX);
	assert_int_equal(msg_encode(m, &b), 0);
	*pp = buf_take_exact(&b, &n);
	cur_init(&c, *pp, n);
	assert_int_equal(msg_decode(&c, d, &why), 0);
}

static void
test_batch_good(void **state)
{
	static const int sizes[] = { 2, 3, 4, 5, 7, 8, 9, 16, 17, 33, 40 };
	struct fx *fx = *state;
	struct tbatch *t = calloc(1, sizeof(*t));
	struct msg_vcache vc;
	struct msg d;
	uint8_t *p, root[MSG_ID_LEN], root0[MSG_ID_LEN];
	size_t k;
	int i;

	assert_non_null(t);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		tbatch_sign(t, sizes[k], fx->sa, (unsigned)k);
		memset(&vc, 0, sizeof(vc));
		for (i = 0; i < t->n; i++) {
			assert_int_equal(t->m[i].batch_n, (uint32_t)t->n);
			assert_int_equal(t->m[i].batch_idx, (uint32_t)i);
			assert_int_equal(t->m[i].batch_plen,
			    tlog_inclusion_len((uint64_t)i, (uint64_t)t->n));
			/* One signature for the whole batch. */
			assert_memory_equal(t->m[i].sig, t->m[0].sig,
			    ED25519_SIG_LEN);
			assert_int_equal(msg_batch_root(&t->m[i], root), 0);
			if (i == 0)
				memcpy(root0, root, sizeof(root));
			assert_memory_equal(root, root0, sizeof(root));
			reencode(&t->m[i], &d, &p);
			assert_same_msg(&t->m[i], &d);
			assert_int_equal(d.batch_n, t->m[i].batch_n);
			assert_int_equal(d.batch_idx, t->m[i].batch_idx);
			assert_int_equal(d.batch_plen, t->m[i].batch_plen);
			assert_memory_equal(d.batch_path, t->m[i].batch_path,
			    (size_t)d.batch_plen * MSG_ID_LEN);
			assert_true(msg_verify(&d, fx->pa));
			assert_false(msg_verify(&d, fx->pb));
			assert_true(msg_verify_cached(&d, fx->pa, &vc));
			free(p);
		}
		/* A batch of n costs one Ed25519 verification. */
		assert_int_equal(vc.verifies, 1);
	}
	/* The id does not depend on the form: a plain signature of the
	 * same fields gives the same id. */
	tbatch_sign(t, 5, fx->sa, 99);
	memcpy(root, t->m[3].id, MSG_ID_LEN);
	assert_int_equal(msg_sign(&t->m[3], fx->sa), 0);
	assert_int_equal(t->m[3].batch_n, 0);
	assert_memory_equal(t->m[3].id, root, MSG_ID_LEN);
	/* A batch of one is the plain form. */
	tbatch_sign(t, 1, fx->sa, 100);
	assert_int_equal(t->m[0].batch_n, 0);
	assert_true(msg_verify(&t->m[0], fx->pa));
	free(t);
}

/*
 * msg_verify_decoded(): decoded messages of a batch, in order, backwards
 * and shuffled, pass with one Ed25519 verification per batch; a decoded
 * message with an altered path, or one whose bytes were altered before
 * decoding, does not; a plain message is checked over its bytes.
 */
static void
test_verify_decoded(void **state)
{
	struct fx *fx = *state;
	struct tbatch *t = calloc(1, sizeof(*t));
	struct msg_vcache vc;
	struct msg d;
	uint8_t *p;
	int i, k, o, idx;

	assert_non_null(t);
	for (o = 0; o < 3; o++) {
		tbatch_sign(t, 37, fx->sa, 200 + (unsigned)o);
		memset(&vc, 0, sizeof(vc));
		for (k = 0; k < t->n; k++) {
			idx = o == 0 ? k : o == 1 ? t->n - 1 - k :
			    (k * 11) % t->n;
			reencode(&t->m[idx], &d, &p);
			assert_true(msg_verify_decoded(&d, fx->pa, &vc));
			assert_memory_equal(d.id, t->m[idx].id, MSG_ID_LEN);
			free(p);
		}
		assert_int_equal(vc.verifies, 1);
		for (k = 0; k < t->n; k++) {
			idx = (k * 11) % t->n;
			reencode(&t->m[idx], &d, &p);
			/* Its path altered anywhere: refused. */
			for (i = 0; i < d.batch_plen; i++) {
				d.batch_path[i][5] ^= 0x10;
				assert_false(msg_verify_decoded(&d, fx->pa,
				    &vc));
				d.batch_path[i][5] ^= 0x10;
			}
			assert_true(msg_verify_decoded(&d, fx->pa, &vc));
			free(p);
			/* Its seq altered before encoding: another id. */
			d = t->m[idx];
			d.seq += 1000;
			reencode(&d, &d, &p);
			assert_false(msg_verify_decoded(&d, fx->pa, &vc));
			free(p);
		}
	}
	/* The plain form: the signature is over the bytes. */
	tbatch_sign(t, 1, fx->sa, 300);
	memset(&vc, 0, sizeof(vc));
	reencode(&t->m[0], &d, &p);
	assert_true(msg_verify_decoded(&d, fx->pa, &vc));
	assert_false(msg_verify_decoded(&d, fx->pb, &vc));
	free(p);
	free(t);
}

/* Offline: one message's bytes alone, after the batch is gone. */
static void
test_batch_offline(void **state)
{
	struct fx *fx = *state;
	struct tbatch *t = calloc(1, sizeof(*t));
	struct msg d;
	struct cursor c;
	const char *why = NULL;
	uint8_t *bytes;
	size_t n;
	struct buf b;
	EVP_PKEY *pub;
	uint8_t raw[ED25519_PUB_LEN];
	size_t rawlen = sizeof(raw);

	assert_non_null(t);
	tbatch_sign(t, 13, fx->sa, 7);
	buf_init(&b, WIRE_FRAME_MAX);
	assert_int_equal(msg_encode(&t->m[11], &b), 0);
	bytes = buf_take_exact(&b, &n);
	memset(t, 0, sizeof(*t));
	free(t);
	/* Only the bytes and the sender's raw public key. */
	assert_int_equal(EVP_PKEY_get_raw_public_key(fx->pa, raw, &rawlen), 1);
	assert_non_null(pub = identity_pubkey_from_raw(raw));
	cur_init(&c, bytes, n);
	assert_int_equal(msg_decode(&c, &d, &why), 0);
	assert_int_equal(d.batch_n, 13);
	assert_int_equal(d.batch_idx, 11);
	assert_true(msg_verify(&d, pub));
	EVP_PKEY_free(pub);
	free(bytes);
}

/* Every forged form is refused, cold and with the root already cached. */
static void
test_batch_forged(void **state)
{
	struct fx *fx = *state;
	struct tbatch *t = calloc(1, sizeof(*t)), *o = calloc(1, sizeof(*o));
	struct msg_vcache vc;
	struct msg d;
	const char *why = NULL;
	uint8_t *p, sig[MSG_SIG_MAX], root[MSG_ID_LEN];
	size_t n, i;
	int k, c;

	assert_non_null(t);
	assert_non_null(o);
	tbatch_sign(t, 6, fx->sa, 1);
	for (c = 0; c < 2; c++) {
		memset(&vc, 0, sizeof(vc));
		if (c == 1)	/* cache the genuine root first */
			assert_true(msg_verify_cached(&t->m[0], fx->pa, &vc));
		/* A tampered path. */
		for (k = 0; k < t->m[2].batch_plen; k++) {
			d = t->m[2];
			d.batch_path[k][31] ^= 0x01;
			assert_false(msg_verify(&d, fx->pa));
			assert_false(msg_verify_cached(&d, fx->pa, &vc));
		}
		/* The wrong index, with a path of the right length. */
		d = t->m[2];
		d.batch_idx = 3;
		assert_int_equal(tlog_inclusion_len(3, 6), d.batch_plen);
		assert_false(msg_verify(&d, fx->pa));
		assert_false(msg_verify_cached(&d, fx->pa, &vc));
		/* The wrong size, with a path of the right length. */
		d = t->m[2];
		d.batch_n = 5;
		assert_int_equal(tlog_inclusion_len(2, 5), d.batch_plen);
		assert_false(msg_verify(&d, fx->pa));
		assert_false(msg_verify_cached(&d, fx->pa, &vc));
		d.batch_n = 7;
		assert_int_equal(tlog_inclusion_len(2, 7), d.batch_plen);
		assert_false(msg_verify_cached(&d, fx->pa, &vc));
		/* A changed message under the genuine path. */
		d = t->m[2];
		d.seq++;
		assert_false(msg_verify_cached(&d, fx->pa, &vc));
		/* A changed signature on a cached root. */
		d = t->m[4];
		d.sig[0] ^= 0x80;
		assert_false(msg_verify(&d, fx->pa));
		assert_false(msg_verify_cached(&d, fx->pa, &vc));
		/* Out-of-range sizes and indexes. */
		d = t->m[2];
		d.batch_idx = 6;
		assert_false(msg_verify_cached(&d, fx->pa, &vc));
		d.batch_n = MSG_BATCH_MAX + 1;
		assert_false(msg_verify_cached(&d, fx->pa, &vc));
		d.batch_n = 1;
		d.batch_idx = 0;
		assert_false(msg_verify_cached(&d, fx->pa, &vc));
		/* The genuine messages still pass. */
		for (k = 0; k < t->n; k++)
			assert_true(msg_verify_cached(&t->m[k], fx->pa, &vc));
	}

	/* The same messages' root signed by another key: the statement is
	 * the same, the signature is B's. Refused under A's key, also with
	 * A's signature of that root cached. */
	tbatch_sign(o, 6, fx->sb, 1);
	assert_int_equal(msg_batch_root(&o->m[0], root), 0);
	memset(&vc, 0, sizeof(vc));
	assert_true(msg_verify_cached(&t->m[0], fx->pa, &vc));
	for (k = 0; k < o->n; k++) {
		assert_false(msg_verify(&o->m[k], fx->pa));
		assert_false(msg_verify_cached(&o->m[k], fx->pa, &vc));
		assert_true(msg_verify(&o->m[k], fx->pb));
	}
	/* A's genuine root cached does not let B's key pass A's messages,
	 * nor A's signature pass under B's key. */
	assert_false(msg_verify_cached(&t->m[1], fx->pb, &vc));
	assert_true(msg_verify_cached(&o->m[1], fx->pb, &vc));

	/* The decoder: sizes, indexes and path lengths that do not fit. */
	n = msg_sig_encode(&t->m[2], sig);
	assert_int_equal(n, SIG_LEN_FOR(t->m[2].batch_plen));
	d = t->m[2];
	assert_int_equal(msg_sig_decode(&d, sig, n, &why), 0);
	assert_int_equal(msg_sig_decode(&d, sig, n - 1, &why), -1);
	assert_string_equal(why, "bad batch path length");
	assert_int_equal(msg_sig_decode(&d, sig, n - MSG_ID_LEN, &why), -1);
	assert_int_equal(msg_sig_decode(&d, sig, 64 + 4, &why), -1);
	assert_string_equal(why, "trailing bytes");
	sig[64 + 3] = 1;	/* n = 1 */
	assert_int_equal(msg_sig_decode(&d, sig, n, &why), -1);
	assert_string_equal(why, "bad batch size or index");
	sig[64 + 3] = 6;
	sig[64 + 7] = 6;	/* index = n */
	assert_int_equal(msg_sig_decode(&d, sig, n, &why), -1);
	assert_string_equal(why, "bad batch size or index");
	/* Every single-byte change of an encoded batch message is refused by
	 * decode or by verification, cached or not. */
	reencode(&t->m[2], &d, &p);
	free(p);
	{
		struct buf b;
		uint8_t *q, *src;
		struct cursor cc;
		size_t len;

		buf_init(&b, WIRE_FRAME_MAX);
		assert_int_equal(msg_encode(&t->m[2], &b), 0);
		src = buf_take_exact(&b, &len);
		memset(&vc, 0, sizeof(vc));
		assert_true(msg_verify_cached(&t->m[0], fx->pa, &vc));
		for (i = 0; i < len; i++) {
			q = testlib_dup_exact(src, len);
			q[i] ^= 0x04;
			cur_init(&cc, q, len);
			if (msg_decode(&cc, &d, &why) == 0) {
				assert_false(msg_verify(&d, fx->pa));
				assert_false(msg_verify_cached(&d, fx->pa, &vc));
			}
			free(q);
		}
		free(src);
	}
	free(t);
	free(o);
}

/* The cache holds MSG_VCACHE_SIZE roots; the oldest goes first. */
static void
test_batch_cache(void **state)
{
	struct fx *fx = *state;
	struct tbatch *t = calloc(MSG_VCACHE_SIZE + 1, sizeof(*t));
	struct msg_vcache vc;
	int i;

	assert_non_null(t);
	memset(&vc, 0, sizeof(vc));
	for (i = 0; i <= MSG_VCACHE_SIZE; i++) {
		tbatch_sign(&t[i], 3, fx->sa, 200 + (unsigned)i);
		assert_true(msg_verify_cached(&t[i].m[0], fx->pa, &vc));
		assert_int_equal(vc.verifies, (uint64_t)i + 1);
	}
	assert_int_equal(vc.used, MSG_VCACHE_SIZE);
	/* The newest MSG_VCACHE_SIZE are held: no verification. */
	for (i = 1; i <= MSG_VCACHE_SIZE; i++)
		assert_true(msg_verify_cached(&t[i].m[2], fx->pa, &vc));
	assert_int_equal(vc.verifies, MSG_VCACHE_SIZE + 1);
	/* The first was evicted: verified again (and still valid). */
	assert_true(msg_verify_cached(&t[0].m[1], fx->pa, &vc));
	assert_int_equal(vc.verifies, MSG_VCACHE_SIZE + 2);
	/* That evicted the second. */
	assert_true(msg_verify_cached(&t[1].m[1], fx->pa, &vc));
	assert_int_equal(vc.verifies, MSG_VCACHE_SIZE + 3);
	assert_true(msg_verify_cached(&t[0].m[2], fx->pa, &vc));
	assert_int_equal(vc.verifies, MSG_VCACHE_SIZE + 3);
	/* Plain messages always cost a verification. */
	assert_int_equal(msg_sign(&t[0].m[0], fx->sa), 0);
	assert_true(msg_verify_cached(&t[0].m[0], fx->pa, &vc));
	assert_true(msg_verify_cached(&t[0].m[0], fx->pa, &vc));
	assert_int_equal(vc.verifies, MSG_VCACHE_SIZE + 5);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_max_frame),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_receipt),
		cmocka_unit_test(test_receipt_bad),
		cmocka_unit_test(test_peek_stream),
		cmocka_unit_test(test_worked_example),
		cmocka_unit_test(test_batch_good),
		cmocka_unit_test(test_batch_offline),
		cmocka_unit_test(test_verify_decoded),
		cmocka_unit_test(test_batch_forged),
		cmocka_unit_test(test_batch_cache),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
