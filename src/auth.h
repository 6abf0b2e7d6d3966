/*
 * auth.h: who is calling the HTTPS listener. Parsing of the untrusted
 * Authorization (Basic) and Cookie headers, console sessions with their
 * CSRF tokens, a short cache of verified Basic credentials, and login
 * throttling. Everything here is in memory: sessions end when the daemon
 * restarts (the console then asks to log in again).
 */
#ifndef HOTLINE_AUTH_H
#define HOTLINE_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define AUTH_TOKEN_LEN		43	/* base64url of 32 random bytes */
#define AUTH_COOKIE		"hotline_session"
#define AUTH_SESSIONS_MAX	256
#define AUTH_SESSION_IDLE_MS	(8ULL * 3600 * 1000)	/* a shift */
#define AUTH_SESSION_MAX_MS	(24ULL * 3600 * 1000)
#define AUTH_FREE_FAILURES	5	/* then 1 s, 2 s, 4 s ... */
#define AUTH_LOCK_MAX_MS	(15ULL * 60 * 1000)
#define AUTH_CACHE_MS		60000	/* Basic credentials verified */

/*
 * Parse an Authorization header value "Basic <base64(user:password)>"
 * (scheme case-insensitive, RFC 7617). user gets the part before the first
 * ':' (NUL-terminated, at most usz - 1 bytes), pass the rest (NUL-
 * terminated, *passlen bytes). 0, or -1 if it is not a well-formed Basic
 * credential that fits (no NUL or control bytes in either part).
 */
int	auth_parse_basic(const char *hdr, char *user, size_t usz, char *pass,
	    size_t psz, size_t *passlen);
/*
 * Find cookie name in a Cookie header value ("a=b; c=d", RFC 6265 5.4).
 * 0 with the value in out, 1 if absent, -1 if the header is malformed or
 * the value does not fit.
 */
int	auth_cookie_find(const char *hdr, const char *name, char *out,
	    size_t outsz);
/* A session or CSRF token: exactly AUTH_TOKEN_LEN base64url characters. */
bool	auth_token_valid(const char *s);

struct auth;
struct auth_session {
	char		 token[AUTH_TOKEN_LEN + 1];
	char		 csrf[AUTH_TOKEN_LEN + 1];
	char		 account[ACCOUNT_NAME_MAX + 1];
	int		 role;
	uint64_t	 created, used;		/* monotonic ms */
};

struct auth	*auth_new(void);
void		 auth_free(struct auth *a);	/* NULL is a no-op */

/* A new session for account: its token and CSRF token are random. Evicts
 * the least recently used session when AUTH_SESSIONS_MAX are open. */
const struct auth_session *auth_session_new(struct auth *a,
	    const char *account, int role, uint64_t now);
/* The live session of token (constant-time compare), its use time set to
 * now; NULL if unknown or expired (an expired one is dropped). */
const struct auth_session *auth_session_get(struct auth *a, const char *token,
	    uint64_t now);
void	auth_session_end(struct auth *a, const char *token);
/* 1 if hdr (the X-CSRF-Token header, may be NULL) is the session's. */
bool	auth_csrf_ok(const struct auth_session *s, const char *hdr);
/* Sessions open. */
int	auth_session_count(struct auth *a);

/* Throttling, by key ("u:name" and "a:address"): milliseconds to wait
 * before another attempt may be checked (0: go ahead). */
uint64_t auth_throttle_wait(struct auth *a, const char *key, uint64_t now);
void	auth_throttle_fail(struct auth *a, const char *key, uint64_t now);
void	auth_throttle_ok(struct auth *a, const char *key);

/* Verified Basic credentials, kept AUTH_CACHE_MS as a keyed hash (never the
 * password): 1 and *role if user:pass was verified recently, else 0. */
int	auth_cache_get(struct auth *a, const char *user, const char *pass,
	    size_t len, uint64_t now, int *role);
void	auth_cache_put(struct auth *a, const char *user, const char *pass,
	    size_t len, int role, uint64_t now);

/* An account was disabled or its password changed: end its sessions and
 * forget its cached credentials. */
void	auth_account_drop(struct auth *a, const char *account);

#endif
