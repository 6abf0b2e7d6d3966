/*
 * tls.h: TLS 1.3 contexts with mutual authentication by pinned keys. No CA
 * is trusted: a certificate is accepted only if its Ed25519 key's
 * fingerprint matches a pin. The pin check runs inside the handshake, so a
 * wrong key is refused before any application data.
 */
#ifndef HOTLINE_TLS_H
#define HOTLINE_TLS_H

#include <openssl/ssl.h>

#include "config.h"
#include "signer.h"

/*
 * The pin check asks this: is fpr (hex) acceptable on this connection?
 * expected is the party we dialled (NULL for an accepted connection, when
 * any configured peer's pin is acceptable). Return 1 to accept.
 */
typedef int (*tls_pin_cb)(void *arg, const char *expected, const char *fpr);

/* A context for both directions: TLS 1.3 only, no session tickets, our cert
 * and key, peer certificate required, pin callback. NULL with err. */
SSL_CTX	*tls_ctx_new(struct signer *s, const char *cert_path, tls_pin_cb cb,
	    void *cbarg, char *err, size_t errlen);
/* A new SSL for one connection; expected as above (copied). NULL on error. */
SSL	*tls_ssl_new(SSL_CTX *ctx, const char *expected);
/* The fingerprint the peer presented (valid after the handshake or inside a
 * failed one, "" if none). */
const char *tls_offered_fpr(SSL *ssl);

#endif
