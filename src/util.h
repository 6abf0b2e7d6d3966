/*
 * util.h: small helpers shared by the daemon and the CLI: allocation that
 * never returns NULL, checked number parsing, clocks, hex, party ids.
 */
#ifndef HOTLINE_UTIL_H
#define HOTLINE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PARTY_MAX 32 /* party ids: [a-z0-9-]{1,32} */

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);

/* Parse a whole decimal string into [min, max]. Returns 0 or -1. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Parse a duration: "250ms", "5s", "2m", "1h", or plain seconds. */
int parse_duration_ms(const char *s, uint64_t min, uint64_t max, uint64_t *out);

uint64_t now_utc_ms(void);   /* wall clock, for timestamps shown or signed */
uint64_t now_mono_us(void);  /* monotonic, for timers and RTT */
/* Format UTC ms as "2026-11-23T09:25:44.123Z"; out must hold 32 bytes. */
void fmt_utc_ms(uint64_t ms, char out[32]);

bool party_id_valid(const char *s);

/* hex: out must hold 2*n+1 bytes. */
/* SHA-256 of p (n bytes), then of a || b, into out[32]. A per-thread
 * digest context is set up once and reused: OpenSSL 3's one-shot SHA256()
 * fetches the algorithm on every call, which costs more than hashing a
 * 1 KiB message. Abort if OpenSSL cannot hash at all. */
void sha256(const void *p, size_t n, uint8_t out[32]);
void sha256_2(const void *a, size_t na, const void *b, size_t nb,
    uint8_t out[32]);
void hex_encode(const uint8_t *in, size_t n, char *out);
/* Decode exactly n bytes from 2*n hex chars (case-insensitive). 0 or -1. */
int hex_decode(const char *in, uint8_t *out, size_t n);
/* Standard base64 with padding; strict decode (canonical only).
 * b64_encode returns the length written (NUL-terminated) or 0;
 * b64_decode 0 with *outlen, or -1. */
size_t	b64_encode(const uint8_t *in, size_t n, char *out, size_t outsz);
int	b64_decode(const char *in, size_t len, uint8_t *out, size_t outsz,
	    size_t *outlen);

/* Constant-time compare of n bytes. */
bool ct_equal(const void *a, const void *b, size_t n);

/* Write a file atomically: temp file in the same dir, fsync, rename, fsync
 * dir. mode applies to the new file. Returns 0 or -1 (errno set). */
int write_file_atomic(const char *path, const void *data, size_t len, int mode);

#endif
