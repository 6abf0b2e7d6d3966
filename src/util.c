/*
 * util.c: allocation wrappers, checked number parsing, clocks, hex, base64,
 * party ids and atomic file writes, shared by the daemon and the CLI.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "log.h"
#include "util.h"

/* The calling thread's SHA-256 context, initialised for the first call. */
static EVP_MD_CTX *
sha256_ctx(void)
{
	static _Thread_local EVP_MD_CTX *ctx;
	static _Thread_local EVP_MD *md;

	if (md == NULL && (md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		fatalx("cannot fetch SHA-256");
	if (ctx == NULL && (ctx = EVP_MD_CTX_new()) == NULL)
		fatalx("cannot allocate a digest context");
	if (EVP_DigestInit_ex2(ctx, md, NULL) != 1)
		fatalx("SHA-256 init failed");
	return ctx;
}

void
sha256_2(const void *a, size_t na, const void *b, size_t nb, uint8_t out[32])
{
	EVP_MD_CTX *ctx = sha256_ctx();

	if ((na > 0 && EVP_DigestUpdate(ctx, a, na) != 1) ||
	    (nb > 0 && EVP_DigestUpdate(ctx, b, nb) != 1) ||
	    EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		fatalx("SHA-256 failed");
}

void
sha256(const void *p, size_t n, uint8_t out[32])
{
	sha256_2(p, n, NULL, 0, out);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		fatal("malloc %zu", n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);

	if (p == NULL)
		fatal("calloc %zu*%zu", n, size);
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	void *q = reallocarray(p, n == 0 ? 1 : n, size == 0 ? 1 : size);

	if (q == NULL)
		fatal("reallocarray %zu*%zu", n, size);
	return q;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		fatal("strdup");
	return p;
}

int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s == NULL || *s == '\0' || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
parse_duration_ms(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	static const struct { const char *sfx; uint64_t mul; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "", 1000 },
	};
	char num[32];
	size_t n, i;
	uint64_t v;

	if (s == NULL)
		return -1;
	n = strspn(s, "0123456789");
	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s + n, units[i].sfx) != 0)
			continue;
		if (parse_u64(num, 0, UINT64_MAX / units[i].mul, &v) == -1)
			return -1;
		v *= units[i].mul;
		if (v < min || v > max)
			return -1;
		*out = v;
		return 0;
	}
	return -1;
}

uint64_t
now_utc_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
now_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void
fmt_utc_ms(uint64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000)) >= 32)
		snprintf(out, 32, "?");
}

bool
party_id_valid(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strlen(s);
	if (n < 1 || n > PARTY_MAX)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

void
hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(const char *in, uint8_t *out, size_t n)
{
	size_t i;
	int hi, lo;

	if (strlen(in) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if ((hi = hexval(in[2 * i])) == -1 ||
		    (lo = hexval(in[2 * i + 1])) == -1)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

bool
ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int
write_file_atomic(const char *path, const void *data, size_t len, int mode)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const uint8_t *p = data;
	char *slash;
	ssize_t w;
	int fd = -1, dfd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp) || snprintf(dir, sizeof(dir), "%s", path) >=
	    (int)sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode)) == -1)
		return -1;
	while (len > 0) {
		if ((w = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	if ((slash = strrchr(dir, '/')) != NULL) {
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	} else
		snprintf(dir, sizeof(dir), ".");
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

/*
 * Standard base64 (RFC 4648 section 4, '=' padding) through OpenSSL's
 * EVP_EncodeBlock. Writes the NUL-terminated text to out; returns its
 * length, or 0 if it does not fit in outsz.
 */
size_t
b64_encode(const uint8_t *in, size_t n, char *out, size_t outsz)
{
	if (n > INT_MAX / 4 * 3 - 3 || (n + 2) / 3 * 4 + 1 > outsz)
		return 0;
	return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

/*
 * Strict base64 decode of in[0..len): only the canonical encoding is
 * accepted (length a multiple of 4, the alphabet, at most two '=' at the
 * end, unused bits zero; EVP_DecodeBlock alone would skip whitespace and
 * keep padding bytes), checked by encoding the result again. Writes at
 * most outsz bytes. 0 and *outlen, or -1.
 */
int
b64_decode(const char *in, size_t len, uint8_t *out, size_t outsz,
    size_t *outlen)
{
	unsigned char *tmp = NULL;
	char *again = NULL;
	size_t pad = 0, n;
	int rc = -1;

	if (len == 0 || len % 4 != 0 || len > (size_t)INT_MAX)
		return -1;
	if (in[len - 1] == '=')
		pad = in[len - 2] == '=' ? 2 : 1;
	n = len / 4 * 3;
	if (n - pad > outsz)
		return -1;
	tmp = xmalloc(n + 1);
	again = xmalloc(len + 1);
	if (EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)len) !=
	    (int)n)
		goto done;
	if (EVP_EncodeBlock((unsigned char *)again, tmp, (int)(n - pad)) !=
	    (int)len || memcmp(again, in, len) != 0)
		goto done;
	memcpy(out, tmp, n - pad);
	*outlen = n - pad;
	rc = 0;
done:
	OPENSSL_cleanse(tmp, n + 1);	/* may be a password (auth.c) */
	free(tmp);
	free(again);
	return rc;
}
