/*
 * test_wire.c: frame headers and the HELLO, PING/PONG and BYE payloads
 * (src/wire.c). Decoders are fed exact-size heap copies so that an
 * overread shows up under AddressSanitizer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "testlib.h"
#include "wire.h"

static void
put_hdr(uint8_t h[WIRE_HDR_LEN], uint32_t len, uint8_t type)
{
	h[0] = (uint8_t)(len >> 24);
	h[1] = (uint8_t)(len >> 16);
	h[2] = (uint8_t)(len >> 8);
	h[3] = (uint8_t)len;
	h[4] = type;
}

static void
test_peek(void **state)
{
	uint8_t h[WIRE_HDR_LEN], type = 0, *p;
	uint32_t len = 0;
	const char *why = NULL;
	size_t n;

	put_hdr(h, 9, FR_PING);
	for (n = 0; n < WIRE_HDR_LEN; n++) {
		p = testlib_dup_exact(h, n);
		assert_int_equal(wire_peek(p, n, &type, &len, &why), 0);
		free(p);
	}
	p = testlib_dup_exact(h, sizeof(h));
	assert_int_equal(wire_peek(p, sizeof(h), &type, &len, &why), 1);
	assert_int_equal(type, FR_PING);
	assert_int_equal(len, 8);
	free(p);

	put_hdr(h, 0, FR_PING);
	assert_int_equal(wire_peek(h, sizeof(h), &type, &len, &why), -1);
	assert_non_null(why);

	why = NULL;
	put_hdr(h, WIRE_FRAME_MAX + 1, FR_MSG);
	assert_int_equal(wire_peek(h, sizeof(h), &type, &len, &why), -1);
	assert_string_equal(why, "frame too large");
	put_hdr(h, UINT32_MAX, FR_MSG);
	assert_int_equal(wire_peek(h, sizeof(h), &type, &len, &why), -1);

	put_hdr(h, WIRE_FRAME_MAX, FR_MSG);
	assert_int_equal(wire_peek(h, sizeof(h), &type, &len, &why), 1);
	assert_int_equal(len, WIRE_FRAME_MAX - 1);
	put_hdr(h, 1, 0xee);	/* a type-only frame of an unknown type */
	assert_int_equal(wire_peek(h, sizeof(h), &type, &len, &why), 1);
	assert_int_equal(type, 0xee);
	assert_int_equal(len, 0);
}

static void
test_begin_finish(void **state)
{
	struct buf b;
	size_t start;
	uint8_t pad[1024];

	memset(pad, 0xab, sizeof(pad));
	buf_init(&b, 3 * WIRE_FRAME_MAX);
	assert_int_equal(buf_add_u8(&b, 0x42), 0);	/* something before */
	assert_int_equal(wire_begin(&b, FR_MSG, &start), 0);
	assert_int_equal(start, 1);
	while (b.len - start - 4 + sizeof(pad) <= WIRE_FRAME_MAX)
		assert_int_equal(buf_add(&b, pad, sizeof(pad)), 0);
	assert_int_equal(buf_add(&b, pad,
	    WIRE_FRAME_MAX - (b.len - start - 4)), 0);
	assert_int_equal(wire_finish(&b, start), 0);	/* exactly the max */
	assert_int_equal(b.len, 1 + 4 + WIRE_FRAME_MAX);
	assert_int_equal(b.data[1], 0);
	assert_int_equal(b.data[2], (WIRE_FRAME_MAX >> 16) & 0xff);
	assert_int_equal(b.data[3], (WIRE_FRAME_MAX >> 8) & 0xff);
	assert_int_equal(b.data[4], WIRE_FRAME_MAX & 0xff);
	assert_int_equal(b.data[5], FR_MSG);

	/* One byte more: refused and the frame is dropped from b. */
	assert_int_equal(wire_begin(&b, FR_MSG, &start), 0);
	while (b.len - start - 4 <= WIRE_FRAME_MAX)
		assert_int_equal(buf_add(&b, pad, sizeof(pad)), 0);
	assert_int_equal(wire_finish(&b, start), -1);
	assert_int_equal(b.len, start);
	buf_free(&b);
}

static void
fill_hello(struct hello *h)
{
	memset(h, 0, sizeof(*h));
	h->version = WIRE_VERSION;
	memcpy(h->party, "us", 3);
	memcpy(h->peer, "ru", 3);
	h->time = 1700000000123ULL;
	h->nresume = 3;
	h->resume[0] = (struct resume_point){ CH_DIRECT, PREC_FLASH, 7 };
	h->resume[1] = (struct resume_point){ CH_CERT, PREC_ROUTINE,
	    0x0102030405060708ULL };
	h->resume[2] = (struct resume_point){ CH_NRRC, PREC_FLASH, 0 };
}

/* Encode h as a frame, check its header and return a copy of the payload. */
static uint8_t *
hello_payload(const struct hello *h, size_t *n)
{
	struct buf b;
	uint8_t type, *p;
	uint32_t len;
	const char *why;

	buf_init(&b, WIRE_FRAME_MAX + WIRE_HDR_LEN);
	assert_int_equal(hello_encode(h, &b), 0);
	assert_int_equal(wire_peek(b.data, b.len, &type, &len, &why), 1);
	assert_int_equal(type, FR_HELLO);
	assert_int_equal(len, b.len - WIRE_HDR_LEN);
	*n = len;
	p = testlib_dup_exact(b.data + WIRE_HDR_LEN, len);
	buf_free(&b);
	return p;
}

static void
test_hello_roundtrip(void **state)
{
	struct hello h, d;
	struct cursor c;
	const char *why = NULL;
	uint8_t *p, *q;
	size_t n, i;

	fill_hello(&h);
	p = hello_payload(&h, &n);
	assert_int_equal(n, 2 + 3 + 3 + 8 + 1 + 3 * 10);
	cur_init(&c, p, n);
	assert_int_equal(hello_decode(&c, &d, &why), 0);
	assert_int_equal(d.version, WIRE_VERSION);
	assert_string_equal(d.party, "us");
	assert_string_equal(d.peer, "ru");
	assert_true(d.time == h.time);
	assert_int_equal(d.nresume, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(d.resume[i].channel, h.resume[i].channel);
		assert_int_equal(d.resume[i].prec, h.resume[i].prec);
		assert_true(d.resume[i].seq == h.resume[i].seq);
	}

	/* Every truncation fails without reading past the end. */
	for (i = 0; i < n; i++) {
		q = testlib_dup_exact(p, i);
		cur_init(&c, q, i);
		why = NULL;
		assert_int_equal(hello_decode(&c, &d, &why), -1);
		assert_string_equal(why, "truncated");
		free(q);
	}
	/* A trailing byte is a cut catalogue trailer: it fails. */
	q = testlib_dup_nul(p, n);
	cur_init(&c, q, n + 1);
	assert_int_equal(hello_decode(&c, &d, &why), -1);
	assert_string_equal(why, "truncated");
	free(q);
	free(p);

	/* The optional catalogue trailer round-trips; cut anywhere inside
	 * it, the HELLO is refused; bytes after it are refused. */
	h.cat_version = 3;
	memcpy(h.cat_id, "hotline-nrrc", 13);
	p = hello_payload(&h, &n);
	cur_init(&c, p, n);
	assert_int_equal(hello_decode(&c, &d, &why), 0);
	assert_int_equal(d.cat_version, 3);
	assert_string_equal(d.cat_id, "hotline-nrrc");
	for (i = n - 4 - 1 - 12 + 1; i < n; i++) {
		q = testlib_dup_exact(p, i);
		cur_init(&c, q, i);
		assert_int_equal(hello_decode(&c, &d, &why), -1);
		free(q);
	}
	q = testlib_dup_nul(p, n);
	cur_init(&c, q, n + 1);
	assert_int_equal(hello_decode(&c, &d, &why), -1);
	assert_string_equal(why, "trailing bytes");
	free(q);
	p[n - 1] = 'X';
	cur_init(&c, p, n);
	assert_int_equal(hello_decode(&c, &d, &why), -1);
	assert_string_equal(why, "bad catalogue");
	free(p);
	h.cat_version = 0;
	h.cat_id[0] = '\0';

	/* No resume points at all is fine. */
	h.nresume = 0;
	p = hello_payload(&h, &n);
	cur_init(&c, p, n);
	assert_int_equal(hello_decode(&c, &d, &why), 0);
	assert_int_equal(d.nresume, 0);
	free(p);

	/* All WIRE_HELLO_MAX_STREAMS distinct streams. */
	h.nresume = 0;
	for (i = 0; i < WIRE_HELLO_MAX_STREAMS; i++) {
		h.resume[i].channel = (uint8_t)(CH_MIN + i / PREC_MAX);
		h.resume[i].prec = (uint8_t)(PREC_MIN + i % PREC_MAX);
		h.resume[i].seq = i;
		h.nresume++;
	}
	p = hello_payload(&h, &n);
	cur_init(&c, p, n);
	assert_int_equal(hello_decode(&c, &d, &why), 0);
	assert_int_equal(d.nresume, WIRE_HELLO_MAX_STREAMS);
	free(p);
}

/* Decode h after a change made by patch at payload offset off. */
static void
expect_bad(const struct hello *h, size_t off, uint8_t val, const char *reason)
{
	struct hello d;
	struct cursor c;
	const char *why = NULL;
	uint8_t *p;
	size_t n;

	p = hello_payload(h, &n);
	assert_true(off < n);
	p[off] = val;
	cur_init(&c, p, n);
	assert_int_equal(hello_decode(&c, &d, &why), -1);
	assert_non_null(why);
	assert_string_equal(why, reason);
	free(p);
}

static void
test_hello_bad(void **state)
{
	struct hello h;

	/* Offsets: version 0-1, party 2-4, peer 5-7, time 8-15, n 16,
	 * streams from 17 (channel, prec, seq). */
	fill_hello(&h);
	expect_bad(&h, 1, 2, "bad version");
	expect_bad(&h, 3, 'U', "bad party");
	expect_bad(&h, 6, '\0', "bad peer");
	expect_bad(&h, 5, 0, "bad peer");	/* empty id */
	expect_bad(&h, 6, '.', "bad peer");
	expect_bad(&h, 16, WIRE_HELLO_MAX_STREAMS + 1, "too many streams");
	expect_bad(&h, 17, 0, "bad channel");
	expect_bad(&h, 17, CH_MAX + 1, "bad channel");
	expect_bad(&h, 18, 0, "bad precedence");
	expect_bad(&h, 18, PREC_MAX + 1, "bad precedence");
	/* Third stream (nrrc, flash) becomes (direct, flash) = the first. */
	expect_bad(&h, 17 + 20, CH_DIRECT, "duplicate stream");
	/* n says 2 but 3 follow: the third is read as a catalogue
	 * trailer, which it is not. */
	expect_bad(&h, 16, 2, "bad catalogue");
	/* The encoder does not judge; the decoder does. */
	memcpy(h.peer, "us", 3);
	expect_bad(&h, 0, 0, "party equals peer");
}

static void
test_ping_pong(void **state)
{
	static const int types[] = { FR_PING, FR_PONG };
	struct buf b;
	struct cursor c;
	uint64_t v;
	uint8_t type, *p;
	uint32_t len;
	const char *why;
	size_t i, n;

	for (i = 0; i < 2; i++) {
		buf_init(&b, 64);
		assert_int_equal(wire_encode_u64(&b, (uint8_t)types[i],
		    0x1122334455667788ULL), 0);
		assert_int_equal(b.len, WIRE_HDR_LEN + 8);
		assert_int_equal(wire_peek(b.data, b.len, &type, &len, &why),
		    1);
		assert_int_equal(type, types[i]);
		assert_int_equal(len, 8);
		p = testlib_dup_exact(b.data + WIRE_HDR_LEN, len);
		cur_init(&c, p, len);
		assert_int_equal(wire_decode_u64(&c, &v, &why), 0);
		assert_true(v == 0x1122334455667788ULL);
		free(p);
		for (n = 0; n < 8; n++) {
			p = testlib_dup_exact(b.data + WIRE_HDR_LEN, n);
			cur_init(&c, p, n);
			assert_int_equal(wire_decode_u64(&c, &v, &why), -1);
			assert_string_equal(why, "truncated");
			free(p);
		}
		assert_int_equal(buf_add_u8(&b, 0), 0);
		cur_init(&c, b.data + WIRE_HDR_LEN, 9);
		assert_int_equal(wire_decode_u64(&c, &v, &why), -1);
		assert_string_equal(why, "trailing bytes");
		buf_free(&b);
	}
}

static void
test_bye(void **state)
{
	char reason[WIRE_REASON_MAX + 1], big[400];
	struct buf b;
	struct cursor c;
	const char *why;
	uint8_t *p;
	size_t n;

	buf_init(&b, 1024);
	assert_int_equal(bye_encode(&b, "bad signature"), 0);
	assert_int_equal(b.data[4], FR_BYE);
	n = b.len - WIRE_HDR_LEN;
	p = testlib_dup_exact(b.data + WIRE_HDR_LEN, n);
	cur_init(&c, p, n);
	assert_int_equal(bye_decode(&c, reason, sizeof(reason), &why), 0);
	assert_string_equal(reason, "bad signature");
	/* Too small an output fails rather than truncating. */
	cur_init(&c, p, n);
	assert_int_equal(bye_decode(&c, reason, 5, &why), -1);
	for (; n > 0; n--) {
		free(p);
		p = testlib_dup_exact(b.data + WIRE_HDR_LEN, n - 1);
		cur_init(&c, p, n - 1);
		assert_int_equal(bye_decode(&c, reason, sizeof(reason), &why),
		    -1);
		assert_string_equal(why, "truncated");
	}
	free(p);

	/* The encoder cleans and cuts what it is given. */
	buf_reset(&b);
	memset(big, 'x', sizeof(big));
	big[0] = '\n';
	big[1] = (char)0xc3;
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(bye_encode(&b, big), 0);
	cur_init(&c, b.data + WIRE_HDR_LEN, b.len - WIRE_HDR_LEN);
	assert_int_equal(bye_decode(&c, reason, sizeof(reason), &why), 0);
	assert_int_equal(strlen(reason), WIRE_REASON_MAX);
	assert_memory_equal(reason, "??xxx", 5);

	/* The decoder rejects what a sane encoder would not send. */
	buf_reset(&b);
	assert_int_equal(buf_add_str8(&b, "tab\there"), 0);
	cur_init(&c, b.data, b.len);
	assert_int_equal(bye_decode(&c, reason, sizeof(reason), &why), -1);
	assert_string_equal(why, "bad reason");
	buf_reset(&b);
	big[WIRE_REASON_MAX + 1] = '\0';
	memset(big, 'y', WIRE_REASON_MAX + 1);
	assert_int_equal(buf_add_str8(&b, big), 0);
	cur_init(&c, b.data, b.len);
	assert_int_equal(bye_decode(&c, big, sizeof(big), &why), -1);
	assert_string_equal(why, "reason too long");
	buf_reset(&b);
	assert_int_equal(buf_add_str8(&b, ""), 0);
	assert_int_equal(buf_add_u8(&b, 'z'), 0);
	cur_init(&c, b.data, b.len);
	assert_int_equal(bye_decode(&c, reason, sizeof(reason), &why), -1);
	assert_string_equal(why, "trailing bytes");
	buf_free(&b);
}

static void
test_names(void **state)
{
	assert_string_equal(frame_type_name(FR_HELLO), "hello");
	assert_string_equal(frame_type_name(FR_MSG), "msg");
	assert_string_equal(frame_type_name(FR_RECEIPT), "receipt");
	assert_string_equal(frame_type_name(FR_PING), "ping");
	assert_string_equal(frame_type_name(FR_PONG), "pong");
	assert_string_equal(frame_type_name(FR_BYE), "bye");
	assert_string_equal(frame_type_name(0), "?");
	assert_string_equal(frame_type_name(FR_CHECKPOINT), "checkpoint");
	assert_string_equal(frame_type_name(FR_COSIG), "cosig");
	assert_string_equal(frame_type_name(FR_MAX + 1), "?");
	assert_string_equal(frame_type_name(-1), "?");
	assert_string_equal(frame_type_name(255), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_begin_finish),
		cmocka_unit_test(test_hello_roundtrip),
		cmocka_unit_test(test_hello_bad),
		cmocka_unit_test(test_ping_pong),
		cmocka_unit_test(test_bye),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
