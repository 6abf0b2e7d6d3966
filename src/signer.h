/*
 * signer.h: the only interface to the node's private key. Everything that
 * signs (messages, receipts, later checkpoints) and the TLS context set-up go
 * through it, so it can move into a separate privilege-separated process.
 */
#ifndef HOTLINE_SIGNER_H
#define HOTLINE_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "identity.h"

struct signer;

/* Load the key (refusing unsafe permissions). NULL with err on failure. */
struct signer	*signer_load(const char *key_path, char *err, size_t errlen);
void		 signer_free(struct signer *s);	/* NULL is a no-op; wipes the key */
/* Ed25519 over data. 0 or -1. */
int		 signer_sign(struct signer *s, const void *data, size_t len,
		    uint8_t sig[ED25519_SIG_LEN]);
/* The public half (owned by the signer; do not free). */
EVP_PKEY	*signer_pubkey(struct signer *s);
const char	*signer_fingerprint(struct signer *s);
/* Install the private key into a TLS context. 0 or -1. */
int		 signer_tls_use(struct signer *s, SSL_CTX *ctx);

#endif
