/*
 * buf.h: the bounded serialise / parse cursors. Every byte that comes from a
 * peer or a client is read through struct cursor, which can never read past
 * its end; serialisation accumulates errors (errs += buf_add_u16(...)) and
 * refuses to grow a buffer beyond its maximum. Big-endian throughout.
 */
#ifndef HOTLINE_BUF_H
#define HOTLINE_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;	/* hard limit on len */
};

struct cursor {
	const uint8_t	*p;
	size_t		 len;	/* bytes left */
};

void	buf_init(struct buf *b, size_t max);
void	buf_reset(struct buf *b);	/* len = 0, keeps memory */
void	buf_free(struct buf *b);	/* frees data; buf_init state after */
int	buf_add(struct buf *b, const void *p, size_t n);
int	buf_add_u8(struct buf *b, uint8_t v);
int	buf_add_u16(struct buf *b, uint16_t v);
int	buf_add_u32(struct buf *b, uint32_t v);
int	buf_add_u64(struct buf *b, uint64_t v);
/* u8 length then bytes; fails if strlen(s) > 255. */
int	buf_add_str8(struct buf *b, const char *s);
/* Overwrite 4 bytes at off with v (for length prefixes). */
int	buf_set_u32(struct buf *b, size_t off, uint32_t v);

void	cur_init(struct cursor *c, const void *p, size_t n);
int	cur_get(struct cursor *c, void *out, size_t n);
int	cur_get_u8(struct cursor *c, uint8_t *v);
int	cur_get_u16(struct cursor *c, uint16_t *v);
int	cur_get_u32(struct cursor *c, uint32_t *v);
int	cur_get_u64(struct cursor *c, uint64_t *v);
/* Borrow n bytes without copying. */
int	cur_get_ptr(struct cursor *c, const uint8_t **p, size_t n);
/* u8 length then bytes into out (NUL-terminated); fails if len >= outsz
 * or the bytes contain NUL. */
int	cur_get_str8(struct cursor *c, char *out, size_t outsz);
/* 0 if nothing is left, -1 otherwise. */
int	cur_end(const struct cursor *c);

#endif
