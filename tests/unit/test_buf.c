/*
 * test_buf.c: the bounded cursor and serialisation buffer (src/buf.c).
 * Short inputs live in malloc'd buffers of exactly their size, so an
 * overread is caught by AddressSanitizer, not just by the return value.
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

static void
test_short_gets(void **state)
{
	static const uint8_t src[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct cursor c;
	uint8_t *p, out[8], v8;
	const uint8_t *ptr;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;
	char s[16];
	size_t n;

	for (n = 0; n < 8; n++) {
		p = testlib_dup_exact(src, n);
		if (n < 1) {
			cur_init(&c, p, n);
			assert_int_equal(cur_get_u8(&c, &v8), -1);
			assert_int_equal(c.len, n);
		}
		if (n < 2) {
			cur_init(&c, p, n);
			assert_int_equal(cur_get_u16(&c, &v16), -1);
			assert_int_equal(c.len, n);
		}
		if (n < 4) {
			cur_init(&c, p, n);
			assert_int_equal(cur_get_u32(&c, &v32), -1);
			assert_int_equal(c.len, n);
		}
		cur_init(&c, p, n);
		assert_int_equal(cur_get_u64(&c, &v64), -1);
		cur_init(&c, p, n);
		assert_int_equal(cur_get(&c, out, n + 1), -1);
		assert_int_equal(c.len, n);
		cur_init(&c, p, n);
		assert_int_equal(cur_get_ptr(&c, &ptr, n + 1), -1);
		assert_int_equal(c.len, n);
		/* Exactly n bytes is fine and leaves the cursor at its end. */
		cur_init(&c, p, n);
		assert_int_equal(cur_get(&c, out, n), 0);
		assert_int_equal(cur_end(&c), 0);
		free(p);
	}

	/* A str8 whose length byte promises more than there is. */
	{
		static const uint8_t s8[] = { 5, 'a', 'b', 'c', 'd' };

		for (n = 0; n <= sizeof(s8); n++) {
			p = testlib_dup_exact(s8, n);
			cur_init(&c, p, n);
			assert_int_equal(cur_get_str8(&c, s, sizeof(s)), -1);
			free(p);
		}
	}
}

static void
test_str8(void **state)
{
	static const uint8_t ok[] = { 3, 'a', 'b', 'c' };
	static const uint8_t nul[] = { 3, 'a', '\0', 'c' };
	static const uint8_t empty[] = { 0 };
	struct cursor c;
	char s[4];
	uint8_t *p;

	p = testlib_dup_exact(ok, sizeof(ok));
	cur_init(&c, p, sizeof(ok));
	assert_int_equal(cur_get_str8(&c, s, sizeof(s)), 0);
	assert_string_equal(s, "abc");
	assert_int_equal(cur_end(&c), 0);
	/* "abc" needs 4 bytes with its NUL. */
	cur_init(&c, p, sizeof(ok));
	assert_int_equal(cur_get_str8(&c, s, 3), -1);
	free(p);

	p = testlib_dup_exact(nul, sizeof(nul));
	cur_init(&c, p, sizeof(nul));
	assert_int_equal(cur_get_str8(&c, s, sizeof(s)), -1);
	free(p);

	p = testlib_dup_exact(empty, sizeof(empty));
	cur_init(&c, p, sizeof(empty));
	assert_int_equal(cur_get_str8(&c, s, sizeof(s)), 0);
	assert_string_equal(s, "");
	free(p);
}

static void
test_roundtrip(void **state)
{
	static const uint64_t v64s[] = { 0, 1, 0x0102030405060708ULL,
	    UINT64_MAX };
	struct buf b;
	struct cursor c;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;
	uint8_t *p;
	size_t i;
	char s[8];

	buf_init(&b, 1024);
	assert_int_equal(buf_add_u16(&b, 0x0102), 0);
	assert_int_equal(buf_add_u32(&b, 0x03040506), 0);
	assert_int_equal(buf_add_u64(&b, 0x0708090a0b0c0d0eULL), 0);
	assert_int_equal(buf_add_str8(&b, "hey"), 0);
	assert_int_equal(b.len, 2 + 4 + 8 + 4);
	/* Big-endian on the wire, whatever the host is. */
	assert_int_equal(b.data[0], 0x01);
	assert_int_equal(b.data[1], 0x02);
	assert_int_equal(b.data[2], 0x03);
	assert_int_equal(b.data[5], 0x06);
	assert_int_equal(b.data[6], 0x07);
	assert_int_equal(b.data[13], 0x0e);
	assert_int_equal(b.data[14], 3);

	p = testlib_dup_exact(b.data, b.len);
	cur_init(&c, p, b.len);
	assert_int_equal(cur_get_u16(&c, &v16), 0);
	assert_int_equal(v16, 0x0102);
	assert_int_equal(cur_get_u32(&c, &v32), 0);
	assert_int_equal(v32, 0x03040506);
	assert_int_equal(cur_get_u64(&c, &v64), 0);
	assert_true(v64 == 0x0708090a0b0c0d0eULL);
	assert_int_equal(cur_end(&c), -1);
	assert_int_equal(cur_get_str8(&c, s, sizeof(s)), 0);
	assert_string_equal(s, "hey");
	assert_int_equal(cur_end(&c), 0);
	free(p);

	for (i = 0; i < sizeof(v64s) / sizeof(v64s[0]); i++) {
		buf_reset(&b);
		assert_int_equal(buf_add_u64(&b, v64s[i]), 0);
		cur_init(&c, b.data, b.len);
		assert_int_equal(cur_get_u64(&c, &v64), 0);
		assert_true(v64 == v64s[i]);
	}
	buf_free(&b);
	buf_free(&b);	/* freeing twice is harmless */
}

static void
test_max(void **state)
{
	char big[300];
	struct buf b;

	buf_init(&b, 10);
	assert_int_equal(buf_add_u64(&b, 1), 0);
	assert_int_equal(buf_add_u16(&b, 1), 0);
	assert_int_equal(b.len, 10);
	assert_int_equal(buf_add_u8(&b, 1), -1);
	assert_int_equal(buf_add(&b, "", 0), 0);
	assert_int_equal(b.len, 10);
	buf_reset(&b);
	assert_int_equal(buf_add_u32(&b, 1), 0);
	assert_int_equal(buf_add_u64(&b, 1), -1);
	assert_true(b.len <= 10);
	assert_int_equal(buf_add(&b, big, SIZE_MAX), -1);
	buf_free(&b);

	/* str8 refuses strings over 255 bytes. */
	buf_init(&b, 1024);
	memset(big, 'x', sizeof(big));
	big[256] = '\0';
	assert_int_equal(buf_add_str8(&b, big), -1);
	big[255] = '\0';
	assert_int_equal(buf_add_str8(&b, big), 0);
	assert_int_equal(b.len, 256);
	assert_int_equal(b.data[0], 255);

	/* buf_set_u32 stays inside the written bytes. */
	assert_int_equal(buf_set_u32(&b, 252, 0x01020304), 0);
	assert_int_equal(b.data[255], 0x04);
	assert_int_equal(buf_set_u32(&b, 253, 0), -1);
	assert_int_equal(buf_set_u32(&b, SIZE_MAX, 0), -1);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_gets),
		cmocka_unit_test(test_str8),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
