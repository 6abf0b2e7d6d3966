/*
 * fuzz_auth.c: the header values an HTTPS client sends to authenticate
 * (src/auth.c): the input, up to its first NUL, is taken as the value of
 * Authorization, of Cookie and of X-CSRF-Token in turn. Properties:
 *  - a Basic credential that parses has a non-empty user without ':' or
 *    control bytes, both parts within their buffers, and parses back to
 *    the same pair once re-encoded;
 *  - a cookie found fits its buffer and holds only cookie-octets;
 *  - a session is found only for its own token, and a CSRF header passes
 *    only when it is the session's token, whatever the input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth.h"
#include "fuzz.h"

#define AUTH_INPUT_MAX	8192

static struct auth			*a;
static const struct auth_session	*sess;

static void
basic_props(const char *in)
{
	char user[65], pass[257], user2[65], pass2[257], hdr[1024];
	unsigned char raw[330];
	size_t plen, plen2, i;
	int n;

	if (auth_parse_basic(in, user, sizeof(user), pass, sizeof(pass),
	    &plen) == -1)
		return;
	FUZZ_CHECK(user[0] != '\0' && strlen(user) < sizeof(user));
	FUZZ_CHECK(strchr(user, ':') == NULL && plen < sizeof(pass));
	for (i = 0; user[i] != '\0'; i++)
		FUZZ_CHECK((unsigned char)user[i] >= 0x20 && user[i] != 0x7f);
	for (i = 0; i < plen; i++)
		FUZZ_CHECK((unsigned char)pass[i] >= 0x20 && pass[i] != 0x7f);
	n = snprintf((char *)raw, sizeof(raw), "%s:", user);
	FUZZ_CHECK(n > 0 && (size_t)n + plen < sizeof(raw));
	memcpy(raw + n, pass, plen);
	memcpy(hdr, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)hdr + 6, raw, n + (int)plen);
	FUZZ_CHECK(auth_parse_basic(hdr, user2, sizeof(user2), pass2,
	    sizeof(pass2), &plen2) == 0);
	FUZZ_CHECK(strcmp(user, user2) == 0 && plen == plen2 &&
	    memcmp(pass, pass2, plen) == 0);
}

static void
cookie_props(const char *in)
{
	char out[AUTH_TOKEN_LEN + 1];
	const struct auth_session *s;
	size_t i;
	int rc;

	rc = auth_cookie_find(in, AUTH_COOKIE, out, sizeof(out));
	FUZZ_CHECK(rc >= -1 && rc <= 1);
	if (rc != 0)
		return;
	for (i = 0; out[i] != '\0'; i++)
		FUZZ_CHECK(out[i] > 0x20 && out[i] < 0x7f && out[i] != '"' &&
		    out[i] != ',' && out[i] != ';' && out[i] != '\\');
	s = auth_session_get(a, out, 1000);
	FUZZ_CHECK(s == NULL || (s == sess && strcmp(out, sess->token) == 0));
	if (strcmp(out, sess->token) != 0)
		FUZZ_CHECK(s == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in;

	if (a == NULL) {
		FUZZ_CHECK((a = auth_new()) != NULL);
		FUZZ_CHECK((sess = auth_session_new(a, "wanda", 1, 1000)) !=
		    NULL);
	}
	if (size > AUTH_INPUT_MAX)
		size = AUTH_INPUT_MAX;
	in = malloc(size + 1);
	FUZZ_CHECK(in != NULL);
	memcpy(in, data, size);
	in[size] = '\0';
	basic_props(in);
	cookie_props(in);
	FUZZ_CHECK(!auth_csrf_ok(sess, in) || strcmp(in, sess->csrf) == 0);
	FUZZ_CHECK(auth_token_valid(in) == (strlen(in) == AUTH_TOKEN_LEN &&
	    strspn(in, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") == AUTH_TOKEN_LEN));
	free(in);
	return 0;
}
