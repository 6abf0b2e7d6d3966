/*
 * auth.c: credentials and sessions of the HTTPS listener (https.c).
 *
 * The header parsers read untrusted bytes with explicit bounds and refuse
 * anything ambiguous; fuzz/fuzz_auth.c drives them. Sessions are random
 * 256-bit tokens (base64url) held in a fixed table, compared in constant
 * time, each with its own CSRF token that the console echoes in an
 * X-CSRF-Token header on every state-changing request (the synchronizer
 * token pattern). Failed logins are throttled per account name and per
 * client address with an exponential wait after AUTH_FREE_FAILURES.
 * Verified Basic credentials are remembered for AUTH_CACHE_MS as an HMAC
 * under a per-process random key, so an API client's every request does
 * not cost an argon2id hash.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "auth.h"
#include "log.h"
#include "util.h"

#define THROTTLE_MAX	256
#define THROTTLE_KEY	(ACCOUNT_NAME_MAX + 64)
#define CACHE_MAX	64

struct throttle {
	char		 key[THROTTLE_KEY];
	unsigned	 fails;
	uint64_t	 last;		/* monotonic ms of the last failure */
};

struct cached {
	uint8_t		 mac[32];	/* HMAC(key, user \0 pass) */
	char		 account[ACCOUNT_NAME_MAX + 1];
	int		 role;
	uint64_t	 until;
};

struct auth {
	struct auth_session	 s[AUTH_SESSIONS_MAX];	/* token[0] == 0: free */
	struct throttle		 t[THROTTLE_MAX];	/* key[0] == 0: free */
	struct cached		 c[CACHE_MAX];		/* until == 0: free */
	uint8_t			 key[32];
};

int
auth_parse_basic(const char *hdr, char *user, size_t usz, char *pass,
    size_t psz, size_t *passlen)
{
	uint8_t raw[512];
	const char *p;
	size_t n, i, len, colon;
	int rc = -1;

	if (hdr == NULL || strncasecmp(hdr, "Basic ", 6) != 0)
		return -1;
	for (p = hdr + 6; *p == ' '; p++)
		;
	len = strlen(p);
	while (len > 0 && p[len - 1] == ' ')
		len--;
	if (len > 4 * (sizeof(raw) / 3) ||
	    b64_decode(p, len, raw, sizeof(raw), &n) == -1 || n == 0)
		goto done;
	for (colon = 0; colon < n && raw[colon] != ':'; colon++)
		;
	if (colon == n || colon == 0 || colon >= usz || n - colon - 1 >= psz)
		goto done;
	for (i = 0; i < (size_t)n; i++)
		if (raw[i] < 0x20 || raw[i] == 0x7f)
			goto done;
	memcpy(user, raw, colon);
	user[colon] = '\0';
	*passlen = (size_t)n - colon - 1;
	memcpy(pass, raw + colon + 1, *passlen);
	pass[*passlen] = '\0';
	rc = 0;
 done:
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

/* RFC 6265 cookie-octet, and token characters for the name. */
static bool
cookie_octet(int c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x2b) ||
	    (c >= 0x2d && c <= 0x3a) || (c >= 0x3c && c <= 0x5b) ||
	    (c >= 0x5d && c <= 0x7e);
}

static bool
token_char(int c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?={}", c) ==
	    NULL;
}

int
auth_cookie_find(const char *hdr, const char *name, char *out, size_t outsz)
{
	const char *p = hdr, *nm, *val;
	size_t nlen, vlen, want = strlen(name);
	int found = 0;

	if (hdr == NULL)
		return 1;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (nm = p; token_char((unsigned char)*p); p++)
			;
		if ((nlen = (size_t)(p - nm)) == 0 || *p != '=')
			return -1;
		p++;
		if (*p == '"') {
			val = ++p;
			while (cookie_octet((unsigned char)*p))
				p++;
			vlen = (size_t)(p - val);
			if (*p != '"')
				return -1;
			p++;
		} else {
			for (val = p; cookie_octet((unsigned char)*p); p++)
				;
			vlen = (size_t)(p - val);
		}
		/* The first of duplicate names wins, as browsers send the
		 * most specific path first. */
		if (!found && nlen == want && memcmp(nm, name, nlen) == 0) {
			if (vlen >= outsz)
				return -1;
			memcpy(out, val, vlen);
			out[vlen] = '\0';
			found = 1;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (*p != ';')
			return -1;
		p++;
	}
	return found ? 0 : 1;
}

bool
auth_token_valid(const char *s)
{
	size_t i;

	for (i = 0; i < AUTH_TOKEN_LEN; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return s[i] == '\0';
}

/* A random token: base64url (no padding) of 32 random bytes. 0 or -1. */
static int
token_new(char out[AUTH_TOKEN_LEN + 1])
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint8_t r[33];
	uint32_t acc;
	int i, j, o = 0;

	if (RAND_bytes(r, 32) != 1)
		return -1;
	r[32] = 0;
	for (i = 0; i < 33; i += 3) {
		acc = (uint32_t)r[i] << 16 | (uint32_t)r[i + 1] << 8 | r[i + 2];
		for (j = 0; j < 4 && o < AUTH_TOKEN_LEN; j++)
			out[o++] = al[(acc >> (18 - 6 * j)) & 63];
	}
	out[o] = '\0';
	OPENSSL_cleanse(r, sizeof(r));
	return 0;
}

struct auth *
auth_new(void)
{
	struct auth *a = xcalloc(1, sizeof(*a));

	if (RAND_bytes(a->key, sizeof(a->key)) != 1) {
		free(a);
		return NULL;
	}
	return a;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

const struct auth_session *
auth_session_new(struct auth *a, const char *account, int role, uint64_t now)
{
	struct auth_session *s = NULL;
	int i;

	for (i = 0; i < AUTH_SESSIONS_MAX; i++) {
		if (a->s[i].token[0] == '\0') {
			s = &a->s[i];
			break;
		}
		if (s == NULL || a->s[i].used < s->used)
			s = &a->s[i];
	}
	memset(s, 0, sizeof(*s));
	if (token_new(s->token) == -1 || token_new(s->csrf) == -1) {
		memset(s, 0, sizeof(*s));
		return NULL;
	}
	(void)snprintf(s->account, sizeof(s->account), "%s", account);
	s->role = role;
	s->created = s->used = now;
	return s;
}

const struct auth_session *
auth_session_get(struct auth *a, const char *token, uint64_t now)
{
	struct auth_session *s;
	int i, hit = -1;

	if (!auth_token_valid(token))
		return NULL;
	/* Look at every slot, so the time does not depend on where. */
	for (i = 0; i < AUTH_SESSIONS_MAX; i++)
		if (a->s[i].token[0] != '\0' &&
		    CRYPTO_memcmp(a->s[i].token, token, AUTH_TOKEN_LEN) == 0)
			hit = i;
	if (hit == -1)
		return NULL;
	s = &a->s[hit];
	if (now - s->used > AUTH_SESSION_IDLE_MS ||
	    now - s->created > AUTH_SESSION_MAX_MS) {
		OPENSSL_cleanse(s, sizeof(*s));
		return NULL;
	}
	s->used = now;
	return s;
}

void
auth_session_end(struct auth *a, const char *token)
{
	int i;

	if (!auth_token_valid(token))
		return;
	for (i = 0; i < AUTH_SESSIONS_MAX; i++)
		if (a->s[i].token[0] != '\0' &&
		    CRYPTO_memcmp(a->s[i].token, token, AUTH_TOKEN_LEN) == 0)
			OPENSSL_cleanse(&a->s[i], sizeof(a->s[i]));
}

bool
auth_csrf_ok(const struct auth_session *s, const char *hdr)
{
	if (hdr == NULL || !auth_token_valid(hdr))
		return false;
	return CRYPTO_memcmp(s->csrf, hdr, AUTH_TOKEN_LEN) == 0;
}

int
auth_session_count(struct auth *a)
{
	int i, n = 0;

	for (i = 0; i < AUTH_SESSIONS_MAX; i++)
		n += a->s[i].token[0] != '\0';
	return n;
}

static struct throttle *
throttle_find(struct auth *a, const char *key, bool create)
{
	struct throttle *t = NULL;
	int i;

	for (i = 0; i < THROTTLE_MAX; i++)
		if (a->t[i].key[0] != '\0' && strcmp(a->t[i].key, key) == 0)
			return &a->t[i];
	if (!create)
		return NULL;
	/* A free slot, else the one whose last failure is oldest. */
	for (i = 0; i < THROTTLE_MAX; i++) {
		if (a->t[i].key[0] == '\0') {
			t = &a->t[i];
			break;
		}
		if (t == NULL || a->t[i].last < t->last)
			t = &a->t[i];
	}
	memset(t, 0, sizeof(*t));
	(void)snprintf(t->key, sizeof(t->key), "%s", key);
	return t;
}

static uint64_t
throttle_delay(unsigned fails)
{
	unsigned over;

	if (fails < AUTH_FREE_FAILURES)
		return 0;
	over = fails - AUTH_FREE_FAILURES;
	if (over >= 20)
		return AUTH_LOCK_MAX_MS;
	return (1000ULL << over) < AUTH_LOCK_MAX_MS ? 1000ULL << over :
	    AUTH_LOCK_MAX_MS;
}

uint64_t
auth_throttle_wait(struct auth *a, const char *key, uint64_t now)
{
	struct throttle *t = throttle_find(a, key, false);
	uint64_t d;

	if (t == NULL)
		return 0;
	d = throttle_delay(t->fails);
	if (now - t->last >= d)
		return 0;
	return d - (now - t->last);
}

void
auth_throttle_fail(struct auth *a, const char *key, uint64_t now)
{
	struct throttle *t = throttle_find(a, key, true);

	if (t->fails < 1000)
		t->fails++;
	t->last = now;
}

void
auth_throttle_ok(struct auth *a, const char *key)
{
	struct throttle *t = throttle_find(a, key, false);

	if (t != NULL)
		memset(t, 0, sizeof(*t));
}

static void
cache_mac(struct auth *a, const char *user, const char *pass, size_t len,
    uint8_t mac[32])
{
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = m != NULL ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM params[2];
	size_t outl = 0;

	params[0] = OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (c == NULL || EVP_MAC_init(c, a->key, sizeof(a->key), params) != 1 ||
	    EVP_MAC_update(c, (const uint8_t *)user, strlen(user) + 1) != 1 ||
	    EVP_MAC_update(c, (const uint8_t *)pass, len) != 1 ||
	    EVP_MAC_final(c, mac, &outl, 32) != 1 || outl != 32) {
		/* A MAC that matches nothing: random bytes. */
		if (RAND_bytes(mac, 32) != 1)
			memset(mac, 0xa5, 32);
	}
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
}

int
auth_cache_get(struct auth *a, const char *user, const char *pass,
    size_t len, uint64_t now, int *role)
{
	uint8_t mac[32];
	int i, hit = 0;

	cache_mac(a, user, pass, len, mac);
	for (i = 0; i < CACHE_MAX; i++) {
		if (a->c[i].until == 0)
			continue;
		if (a->c[i].until <= now) {
			memset(&a->c[i], 0, sizeof(a->c[i]));
			continue;
		}
		if (CRYPTO_memcmp(a->c[i].mac, mac, sizeof(mac)) == 0 &&
		    strcmp(a->c[i].account, user) == 0) {
			*role = a->c[i].role;
			hit = 1;
		}
	}
	return hit;
}

void
auth_cache_put(struct auth *a, const char *user, const char *pass,
    size_t len, int role, uint64_t now)
{
	struct cached *c = NULL;
	int i;

	for (i = 0; i < CACHE_MAX; i++) {
		if (a->c[i].until <= now) {
			c = &a->c[i];
			break;
		}
		if (c == NULL || a->c[i].until < c->until)
			c = &a->c[i];
	}
	cache_mac(a, user, pass, len, c->mac);
	(void)snprintf(c->account, sizeof(c->account), "%s", user);
	c->role = role;
	c->until = now + AUTH_CACHE_MS;
}

void
auth_account_drop(struct auth *a, const char *account)
{
	int i;

	for (i = 0; i < AUTH_SESSIONS_MAX; i++)
		if (a->s[i].token[0] != '\0' &&
		    strcmp(a->s[i].account, account) == 0)
			OPENSSL_cleanse(&a->s[i], sizeof(a->s[i]));
	for (i = 0; i < CACHE_MAX; i++)
		if (a->c[i].until != 0 && strcmp(a->c[i].account, account) == 0)
			memset(&a->c[i], 0, sizeof(a->c[i]));
}
