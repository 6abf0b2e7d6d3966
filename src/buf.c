/*
 * buf.c: bounded serialisation buffers and parse cursors (see buf.h).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static int
buf_reserve(struct buf *b, size_t n)
{
	size_t want;

	if (n > b->max || b->len > b->max - n)
		return -1;
	if (b->len + n <= b->cap)
		return 0;
	want = b->cap ? b->cap : 256;
	while (want < b->len + n)
		want *= 2;
	if (want > b->max)
		want = b->max;
	b->data = xreallocarray(b->data, want, 1);
	b->cap = want;
	return 0;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int
buf_add_u8(struct buf *b, uint8_t v)
{
	return buf_add(b, &v, 1);
}

int
buf_add_u16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return buf_add(b, x, sizeof(x));
}

int
buf_add_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	return buf_add(b, x, sizeof(x));
}

int
buf_add_u64(struct buf *b, uint64_t v)
{
	return buf_add_u32(b, (uint32_t)(v >> 32)) |
	    buf_add_u32(b, (uint32_t)v);
}

int
buf_add_str8(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	if (n > 255)
		return -1;
	if (buf_add_u8(b, (uint8_t)n) == -1)
		return -1;
	return buf_add(b, s, n);
}

int
buf_set_u32(struct buf *b, size_t off, uint32_t v)
{
	if (off > b->len || b->len - off < 4)
		return -1;
	b->data[off] = (uint8_t)(v >> 24);
	b->data[off + 1] = (uint8_t)(v >> 16);
	b->data[off + 2] = (uint8_t)(v >> 8);
	b->data[off + 3] = (uint8_t)v;
	return 0;
}

void
cur_init(struct cursor *c, const void *p, size_t n)
{
	c->p = p;
	c->len = n;
}

int
cur_get_ptr(struct cursor *c, const uint8_t **p, size_t n)
{
	if (c->len < n)
		return -1;
	*p = c->p;
	c->p += n;
	c->len -= n;
	return 0;
}

int
cur_get(struct cursor *c, void *out, size_t n)
{
	const uint8_t *p;

	if (cur_get_ptr(c, &p, n) == -1)
		return -1;
	if (n > 0)
		memcpy(out, p, n);
	return 0;
}

int
cur_get_u8(struct cursor *c, uint8_t *v)
{
	return cur_get(c, v, 1);
}

int
cur_get_u16(struct cursor *c, uint16_t *v)
{
	const uint8_t *p;

	if (cur_get_ptr(c, &p, 2) == -1)
		return -1;
	*v = (uint16_t)(p[0] << 8 | p[1]);
	return 0;
}

int
cur_get_u32(struct cursor *c, uint32_t *v)
{
	const uint8_t *p;

	if (cur_get_ptr(c, &p, 4) == -1)
		return -1;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	return 0;
}

int
cur_get_u64(struct cursor *c, uint64_t *v)
{
	uint32_t hi, lo;

	if (cur_get_u32(c, &hi) == -1 || cur_get_u32(c, &lo) == -1)
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int
cur_get_str8(struct cursor *c, char *out, size_t outsz)
{
	const uint8_t *p;
	uint8_t n;

	if (cur_get_u8(c, &n) == -1 || n >= outsz ||
	    cur_get_ptr(c, &p, n) == -1 || memchr(p, '\0', n) != NULL)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int
cur_end(const struct cursor *c)
{
	return c->len == 0 ? 0 : -1;
}
