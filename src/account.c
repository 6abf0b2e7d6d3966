/*
 * account.c: operator accounts. An account has a name, a role (enum
 * api_role in api.h), an argon2id password hash (Debian's libargon2, the
 * reference implementation of RFC 9106) and a disabled flag. Accounts live
 * in the node's database (store.c); this file decides what they mean:
 * valid names and passwords, hashing and checking, and the admin-only
 * /v1/accounts routes the `hotline account` commands use.
 *
 * Passwords are never stored, logged or echoed; the buffers that held them
 * are wiped. Checking an unknown or disabled name costs one hash like a
 * real one, so the answer time does not tell which names exist.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>
#include <event2/http.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "account.h"
#include "api.h"
#include "https.h"
#include "log.h"
#include "store.h"
#include "util.h"

/* RFC 9106's second recommended option, scaled to OWASP's minimum memory
 * (19 MiB, 2 passes): about 30 ms here, once per login or new Basic
 * credential (https.c caches verified ones briefly). */
#define ARGON_T		2
#define ARGON_M_KIB	19456
#define ARGON_P		1
#define ARGON_SALT	16
#define ARGON_TAG	32

static const char *const role_names[] = {
	[ROLE_ADMIN] = "admin",
	[ROLE_WATCH] = "watch",
	[ROLE_CERT] = "cert",
	[ROLE_PRINCIPAL] = "principal",
	[ROLE_AUDITOR] = "auditor",
};
#define NROLES	((int)(sizeof(role_names) / sizeof(role_names[0])))

const char *
account_role_name(int role)
{
	if (role < 0 || role >= NROLES)
		return NULL;
	return role_names[role];
}

int
account_role_from_name(const char *name)
{
	int i;

	for (i = 0; i < NROLES; i++)
		if (strcmp(name, role_names[i]) == 0)
			return i;
	return -1;
}

bool
account_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > ACCOUNT_NAME_MAX || !isalnum((unsigned char)name[0]))
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

int
account_hash(const char *password, size_t len, char *out, size_t outsz)
{
	uint8_t salt[ARGON_SALT];
	size_t need;
	int rc;

	need = argon2_encodedlen(ARGON_T, ARGON_M_KIB, ARGON_P, ARGON_SALT,
	    ARGON_TAG, Argon2_id);
	if (need > outsz || len > ACCOUNT_PASSWORD_MAX)
		return -1;
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return -1;
	rc = argon2id_hash_encoded(ARGON_T, ARGON_M_KIB, ARGON_P, password, len,
	    salt, sizeof(salt), ARGON_TAG, out, outsz);
	OPENSSL_cleanse(salt, sizeof(salt));
	if (rc != ARGON2_OK) {
		log_warnx("account: argon2id: %s", argon2_error_message(rc));
		return -1;
	}
	return 0;
}

int
account_verify(const char *hash, const char *password, size_t len)
{
	int rc;

	if (strncmp(hash, "$argon2id$", 10) != 0)
		return -1;
	rc = argon2id_verify(hash, password, len);
	if (rc == ARGON2_OK)
		return 1;
	if (rc == ARGON2_VERIFY_MISMATCH)
		return 0;
	return -1;
}

int
account_dummy_hash(char *out, size_t outsz)
{
	unsigned char r[32];
	int rc;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	rc = account_hash((const char *)r, sizeof(r), out, outsz);
	OPENSSL_cleanse(r, sizeof(r));
	return rc;
}

int
account_check(struct store *st, const char *dummy, const char *name,
    const char *password, size_t len, struct account_row *a)
{
	int rc, ok;

	if (!account_name_valid(name)) {
		(void)account_verify(dummy, password, len);
		return 0;
	}
	rc = store_account_get(st, name, a);
	if (rc == -1)
		return -1;
	if (rc == 1) {
		(void)account_verify(dummy, password, len);
		return 0;
	}
	ok = account_verify(a->hash, password, len) == 1 && !a->disabled;
	OPENSSL_cleanse(a->hash, sizeof(a->hash));
	return ok;
}

/* The JSON of an account (never its hash), or NULL. */
static json_t *
account_json(const struct account_row *a)
{
	return json_pack("{s:s, s:s, s:b, s:o, s:o}", "name", a->name,
	    "role", account_role_name(a->role) != NULL ?
	    account_role_name(a->role) : "unknown", "disabled", a->disabled,
	    "created", api_j_time(a->created), "changed",
	    api_j_time(a->changed));
}

static int
list_cb(void *arg, const struct account_row *a)
{
	json_t *arr = arg, *o;

	if ((o = account_json(a)) == NULL || json_array_append_new(arr, o) == -1)
		return -1;
	return 0;
}

/*
 * The "password" field of req into a new hash. 0, or -1 after answering.
 */
static int
password_field(struct api_req *q, json_t *req, char *hash, size_t hashsz)
{
	json_t *v = json_object_get(req, "password");
	size_t n;

	if (!json_is_string(v)) {
		api_reply_error(q, 400, "field \"password\" must be a string");
		return -1;
	}
	n = json_string_length(v);
	if (n < ACCOUNT_PASSWORD_MIN || n > ACCOUNT_PASSWORD_MAX ||
	    memchr(json_string_value(v), '\0', n) != NULL) {
		api_reply_error(q, 400, "password: %d to %d bytes, no NUL",
		    ACCOUNT_PASSWORD_MIN, ACCOUNT_PASSWORD_MAX);
		return -1;
	}
	if (account_hash(json_string_value(v), n, hash, hashsz) == -1) {
		api_reply_error(q, 500, "cannot hash the password");
		return -1;
	}
	return 0;
}

/* POST /v1/accounts {"name", "role", "password"} */
static void
account_add(struct api_req *q)
{
	static const char *const fields[] = { "name", "role", "password",
	    NULL };
	char hash[ACCOUNT_HASH_MAX + 1];
	const char *name, *role;
	json_t *req;
	int r;

	if ((req = api_read_body(q, 0)) == NULL)
		return;
	if (api_check_fields(q, req, fields) == -1)
		goto done;
	name = json_string_value(json_object_get(req, "name"));
	role = json_string_value(json_object_get(req, "role"));
	if (name == NULL || !account_name_valid(name)) {
		api_reply_error(q, 400, "name: expected [a-z0-9._-]{1,%d} "
		    "starting with a letter or digit", ACCOUNT_NAME_MAX);
		goto done;
	}
	if (role == NULL || (r = account_role_from_name(role)) == -1) {
		api_reply_error(q, 400, "role: one of admin, watch, cert, "
		    "principal, auditor");
		goto done;
	}
	if (password_field(q, req, hash, sizeof(hash)) == -1)
		goto done;
	switch (store_account_add(q->d->st, name, hash, r, now_utc_ms())) {
	case 0:
		log_info("account: %s added with role %s by %s", name, role,
		    q->who.local ? "local admin" : q->who.account);
		api_reply_json(q, 201, json_pack("{s:s, s:s}", "name", name,
		    "role", role));
		break;
	case 1:
		api_reply_error(q, 409, "account %s exists", name);
		break;
	default:
		api_reply_error(q, 503, "store unavailable");
	}
 done:
	OPENSSL_cleanse(hash, sizeof(hash));
	json_decref(req);
}

/* POST /v1/accounts/{name}/{disable,enable,password} */
static void
account_change(struct api_req *q, const char *name, const char *what)
{
	static const char *const pwfields[] = { "password", NULL };
	static const char *const nofields[] = { NULL };
	char hash[ACCOUNT_HASH_MAX + 1];
	json_t *req;
	int disabled = -1, pw = 0;

	hash[0] = '\0';
	if (strcmp(what, "disable") == 0)
		disabled = 1;
	else if (strcmp(what, "enable") == 0)
		disabled = 0;
	else if (strcmp(what, "password") == 0)
		pw = 1;
	else {
		api_reply_error(q, 404, "no such account action: %.32s", what);
		return;
	}
	if ((req = api_read_body(q, !pw)) == NULL)
		return;
	if (api_check_fields(q, req, pw ? pwfields : nofields) == -1 ||
	    (pw && password_field(q, req, hash, sizeof(hash)) == -1))
		goto done;
	switch (store_account_update(q->d->st, name, pw ? hash : NULL,
	    disabled, now_utc_ms())) {
	case 0:
		/* Sessions and cached credentials of the account end now. */
		https_account_changed(q->d, name);
		log_info("account: %s: %s by %s", name, what,
		    q->who.local ? "local admin" : q->who.account);
		api_reply_json(q, 200, json_pack("{s:s, s:s}", "name", name,
		    "done", what));
		break;
	case 1:
		api_reply_error(q, 404, "no account %s", name);
		break;
	default:
		api_reply_error(q, 503, "store unavailable");
	}
 done:
	OPENSSL_cleanse(hash, sizeof(hash));
	json_decref(req);
}

void
account_api(struct api_req *q, const char *rest)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(q->r);
	char name[ACCOUNT_NAME_MAX + 1];
	const char *slash;
	json_t *arr;
	size_t n;

	if (q->who.role != ROLE_ADMIN) {
		api_reply_error(q, 403, "only an admin manages accounts");
		return;
	}
	if (*rest == '\0') {
		if (cmd == EVHTTP_REQ_POST) {
			account_add(q);
			return;
		}
		if (cmd != EVHTTP_REQ_GET) {
			api_method_not_allowed(q, "GET, POST");
			return;
		}
		if ((arr = json_array()) == NULL ||
		    store_account_list(q->d->st, list_cb, arr) == -1) {
			json_decref(arr);
			api_reply_error(q, 503, "store unavailable");
			return;
		}
		api_reply_json(q, 200, json_pack("{s:o}", "accounts", arr));
		return;
	}
	/* "/{name}/{action}" */
	rest++;
	if ((slash = strchr(rest, '/')) == NULL ||
	    (n = (size_t)(slash - rest)) == 0 || n > ACCOUNT_NAME_MAX) {
		api_reply_error(q, 404, "expected /v1/accounts/NAME/ACTION");
		return;
	}
	memcpy(name, rest, n);
	name[n] = '\0';
	if (!account_name_valid(name)) {
		api_reply_error(q, 404, "no account %.64s", name);
		return;
	}
	if (cmd != EVHTTP_REQ_POST) {
		api_method_not_allowed(q, "POST");
		return;
	}
	account_change(q, name, slash + 1);
}
