/*
 * account.h: operator accounts of the console and the HTTPS API: names,
 * roles, argon2id password hashes, and the /v1/accounts routes by which
 * an administrator (the local CLI on the Unix socket, or an admin account)
 * adds, lists, disables and re-enables accounts and sets passwords.
 */
#ifndef HOTLINE_ACCOUNT_H
#define HOTLINE_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>

#include "api.h"
#include "store.h"

#define ACCOUNT_PASSWORD_MIN	10	/* bytes */
#define ACCOUNT_PASSWORD_MAX	256

/* "admin", "watch", "cert", "principal", "auditor"; NULL if out of range. */
const char *account_role_name(int role);
/* The enum api_role of a name, or -1. */
int	account_role_from_name(const char *name);
/* [a-z0-9._-]{1,64}, starting with a letter or digit. */
bool	account_name_valid(const char *name);

/*
 * Hash password with argon2id (t=2, m=19 MiB, p=1, 16-byte random salt,
 * 32-byte tag) into its encoded form "$argon2id$v=19$m=...". 0, or -1.
 */
int	account_hash(const char *password, size_t len, char *out, size_t outsz);
/* 1 if password matches the encoded hash, 0 if not, -1 on a bad hash. */
int	account_verify(const char *hash, const char *password, size_t len);

/*
 * Check name and password against the store (dummy: see
 * account_dummy_hash). Returns 1 and fills *a when
 * they match an enabled account, 0 when not (unknown name, wrong password
 * or disabled: the same answer and about the same time), -1 on a store
 * failure.
 */
int	account_check(struct store *st, const char *dummy, const char *name,
	    const char *password, size_t len, struct account_row *a);
/* dummy for account_check: the hash of a random password nobody knows,
 * with the same parameters, checked for unknown names so that they cost
 * the same time. 0 or -1. */
int	account_dummy_hash(char *out, size_t outsz);

/* /v1/accounts (admin only; see docs/API.md). */
void	account_api(struct api_req *q, const char *rest);

#endif
