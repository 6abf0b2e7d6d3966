/*
 * tls.c: TLS 1.3 contexts for peer links, authenticated by pinned keys.
 *
 * Both ends present their self-signed certificate and require the other's.
 * No CA store is consulted: a certificate verification callback replaces
 * chain building entirely. It takes the leaf, requires an Ed25519 key,
 * computes its fingerprint and asks the caller's pin callback whether that
 * key is acceptable for this connection. The signature in CertificateVerify
 * proves the peer holds the pinned key, so validity dates and the
 * self-signature are irrelevant. The check runs while the handshake is in
 * progress: a refused peer never gets to application data.
 *
 * Session tickets and the session cache are off, so every connection runs a
 * full handshake and the pin check; nothing below TLS 1.3 is offered or
 * accepted.
 *
 * Per-connection state (the party we dialled, the fingerprint the peer
 * offered) hangs off the SSL as ex_data and is freed with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "identity.h"
#include "tls.h"
#include "util.h"

/* Groups in order of preference; the first list needs OpenSSL >= 3.5. */
#define TLS_GROUPS_PQ	"X25519MLKEM768:X25519:P-256"
#define TLS_GROUPS	"X25519:P-256"

struct tls_pin {
	tls_pin_cb	 cb;
	void		*arg;
};

struct tls_conn {
	/* The party we dialled; NULL for an accepted connection. */
	char	*expected;
	/* The peer's key fingerprint; "" until a certificate is seen. */
	char	 offered[FPR_HEX_LEN + 1];
};

/* ex_data indexes: allocated once per process, never changed after. */
static CRYPTO_ONCE tls_once = CRYPTO_ONCE_STATIC_INIT;
static int tls_ctx_idx = -1;
static int tls_ssl_idx = -1;

static void
tls_ctx_exfree(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	free(ptr);
}

static void
tls_ssl_exfree(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	struct tls_conn *c = ptr;

	if (c == NULL)
		return;
	free(c->expected);
	free(c);
}

static void
tls_init_once(void)
{
	tls_ctx_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
	    tls_ctx_exfree);
	tls_ssl_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL,
	    tls_ssl_exfree);
}

static int
tls_init(void)
{
	if (!CRYPTO_THREAD_run_once(&tls_once, tls_init_once) ||
	    tls_ctx_idx == -1 || tls_ssl_idx == -1)
		return -1;
	return 0;
}

/* The connection's state, created on first use (e.g. for an SSL made with
 * SSL_new() rather than tls_ssl_new()). NULL only if out of memory. */
static struct tls_conn *
tls_conn_get(SSL *ssl)
{
	struct tls_conn *c;

	if ((c = SSL_get_ex_data(ssl, tls_ssl_idx)) != NULL)
		return c;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (SSL_set_ex_data(ssl, tls_ssl_idx, c) != 1) {
		free(c);
		return NULL;
	}
	return c;
}

/*
 * Certificate verification, replacing OpenSSL's chain check. Returns 1 to
 * accept the peer, 0 to abort the handshake (with an alert).
 */
static int
tls_verify_cb(X509_STORE_CTX *xctx, void *arg)
{
	struct tls_pin *pin = arg;
	struct tls_conn *c;
	SSL *ssl;
	X509 *leaf;
	EVP_PKEY *pk;
	char fpr[FPR_HEX_LEN + 1];

	ssl = X509_STORE_CTX_get_ex_data(xctx,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl == NULL || (c = tls_conn_get(ssl)) == NULL)
		goto refuse;
	c->offered[0] = '\0';
	if ((leaf = X509_STORE_CTX_get0_cert(xctx)) == NULL ||
	    (pk = X509_get0_pubkey(leaf)) == NULL ||
	    EVP_PKEY_get_id(pk) != EVP_PKEY_ED25519 ||
	    identity_fingerprint(pk, fpr) == -1)
		goto refuse;
	memcpy(c->offered, fpr, sizeof(fpr));
	if (pin->cb == NULL || pin->cb(pin->arg, c->expected, fpr) != 1)
		goto refuse;
	X509_STORE_CTX_set_error(xctx, X509_V_OK);
	return 1;
refuse:
	X509_STORE_CTX_set_error(xctx, X509_V_ERR_APPLICATION_VERIFICATION);
	return 0;
}

static void
tls_err(char *err, size_t errlen, const char *what, const char *path)
{
	char ossl[256];
	unsigned long e;

	e = ERR_get_error();
	ERR_clear_error();
	if (e != 0)
		ERR_error_string_n(e, ossl, sizeof(ossl));
	(void)snprintf(err, errlen, "%s%s%s%s%s", path ? path : "",
	    path ? ": " : "", what, e != 0 ? ": " : "", e != 0 ? ossl : "");
}

/*
 * A context for both dialled and accepted connections, holding our
 * certificate and (through the signer) our key. cb decides which peer keys
 * are acceptable; cbarg must outlive the context. Returns a context the
 * caller frees with SSL_CTX_free(), or NULL with a message in err.
 */
SSL_CTX *
tls_ctx_new(struct signer *s, const char *cert_path, tls_pin_cb cb,
    void *cbarg, char *err, size_t errlen)
{
	SSL_CTX *ctx = NULL;
	struct tls_pin *pin;

	if (tls_init() == -1) {
		tls_err(err, errlen, "cannot allocate TLS ex_data", NULL);
		return NULL;
	}
	if (cb == NULL) {
		(void)snprintf(err, errlen, "no pin callback");
		return NULL;
	}
	if ((ctx = SSL_CTX_new(TLS_method())) == NULL) {
		tls_err(err, errlen, "SSL_CTX_new", NULL);
		return NULL;
	}
	pin = xcalloc(1, sizeof(*pin));
	pin->cb = cb;
	pin->arg = cbarg;
	if (SSL_CTX_set_ex_data(ctx, tls_ctx_idx, pin) != 1) {
		free(pin);
		tls_err(err, errlen, "SSL_CTX_set_ex_data", NULL);
		goto fail;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_num_tickets(ctx, 0) != 1) {
		tls_err(err, errlen, "cannot restrict to TLS 1.3", NULL);
		goto fail;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_set1_groups_list(ctx, TLS_GROUPS_PQ) != 1) {
		ERR_clear_error();
		if (SSL_CTX_set1_groups_list(ctx, TLS_GROUPS) != 1) {
			tls_err(err, errlen, "cannot set key exchange groups",
			    NULL);
			goto fail;
		}
	}
	if (SSL_CTX_use_certificate_file(ctx, cert_path,
	    SSL_FILETYPE_PEM) != 1) {
		tls_err(err, errlen, "cannot load certificate", cert_path);
		goto fail;
	}
	if (signer_tls_use(s, ctx) == -1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		tls_err(err, errlen, "certificate does not match the node's "
		    "key", cert_path);
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, tls_verify_cb, pin);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/*
 * A connection on ctx. expected is the party we dial (copied), or NULL for
 * an accepted connection. The caller frees the SSL with SSL_free(), which
 * also frees the state attached here.
 */
SSL *
tls_ssl_new(SSL_CTX *ctx, const char *expected)
{
	struct tls_conn *c;
	SSL *ssl;

	if (tls_init() == -1 || (ssl = SSL_new(ctx)) == NULL)
		return NULL;
	if ((c = tls_conn_get(ssl)) == NULL)
		goto fail;
	if (expected != NULL && (c->expected = strdup(expected)) == NULL)
		goto fail;
	return ssl;
fail:
	SSL_free(ssl);
	return NULL;
}

const char *
tls_offered_fpr(SSL *ssl)
{
	struct tls_conn *c;

	if (ssl == NULL || tls_init() == -1 ||
	    (c = SSL_get_ex_data(ssl, tls_ssl_idx)) == NULL)
		return "";
	return c->offered;
}
