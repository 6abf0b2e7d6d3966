/*
 * identity.h: the node's key and certificate files and key fingerprints.
 * The fingerprint of a key is SHA-256 over its raw 32-byte Ed25519 public
 * key, written as 64 lowercase hex digits. Public-key operations
 * (fingerprints, signature verification) live here; the private key is only
 * touched by signer.c.
 */
#ifndef HOTLINE_IDENTITY_H
#define HOTLINE_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "config.h"

#define ED25519_PUB_LEN	32
#define ED25519_SIG_LEN	64

/*
 * Create DIR (0700 if missing), DIR/key.pem (Ed25519, O_EXCL|O_NOFOLLOW,
 * 0600), DIR/cert.pem (self-signed X.509, CN=hotline <party>) and
 * DIR/hotline.conf (commented, listen on listen_addr). Refuses to overwrite.
 * Returns 0 or -1 with a message in err.
 */
int	identity_init(const char *dir, const char *party, const char *listen_addr,
	    char *err, size_t errlen);

/* Fingerprint of a public key (Ed25519 only). 0 or -1. */
int	identity_fingerprint(EVP_PKEY *pub, char out[FPR_HEX_LEN + 1]);
/* Load the certificate file; return its public key (caller frees) or NULL. */
EVP_PKEY *identity_load_cert_pubkey(const char *cert_path);
/* Build a public key from 32 raw bytes (caller frees) or NULL. */
EVP_PKEY *identity_pubkey_from_raw(const uint8_t raw[ED25519_PUB_LEN]);

/*
 * Verify an Ed25519 signature over data. true only if valid. Keeps an
 * initialised context (and a reference) for the last few keys verified.
 */
bool	identity_verify(EVP_PKEY *pub, const void *data, size_t len,
	    const uint8_t sig[ED25519_SIG_LEN]);

/* Drop the cached verification contexts and their key references. */
void	identity_verify_cache_clear(void);

/*
 * Refuse a key file that is not a regular file owned by us, or is readable
 * or writable by group or others. Returns 0 or -1 with a message in err.
 */
int	identity_check_key_perms(const char *path, char *err, size_t errlen);

#endif
