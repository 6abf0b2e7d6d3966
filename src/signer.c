/*
 * signer.c: the only code that holds the node's private key.
 *
 * signer_load() refuses a key file that others could read or replace,
 * reads it through a descriptor opened with O_NOFOLLOW into a bounded
 * buffer that is wiped afterwards, and keeps the key in an EVP_PKEY (for
 * TLS) and as libsodium's expanded secret key (for signatures: ~12 us a
 * signature here against OpenSSL 3.0's ~21, docs/ARCHITECTURE.md), neither
 * of which leaves this file. Callers get signatures, the public half (a
 * separate public-only EVP_PKEY), the fingerprint, and a way to install the
 * key into a TLS context. Keeping the interface this small lets it move to
 * a privilege-separated process later without touching its callers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "signer.h"
#include "util.h"

#define SIGNER_KEY_MAX	16384	/* an Ed25519 PEM is 119 bytes */

struct signer {
	EVP_PKEY	*key;	/* private; never handed out */
	EVP_PKEY	*pub;	/* public only, for signer_pubkey() */
	/* key as libsodium's secret key: seed, then public key */
	uint8_t		 sk[crypto_sign_ed25519_SECRETKEYBYTES];
	char		 fpr[FPR_HEX_LEN + 1];
};

/* Never prompt on a terminal: an encrypted key is simply an error. */
static int
signer_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/*
 * Read the whole key file into buf (at most bufsz - 1 bytes). The file is
 * opened without following symlinks and must still be a regular file of
 * ours that nobody else can access: this closes the window between
 * identity_check_key_perms() and the open. Returns the length or -1.
 */
static ssize_t
signer_read_key(const char *path, char *buf, size_t bufsz, char *err,
    size_t errlen)
{
	struct stat st;
	size_t len = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		(void)snprintf(err, errlen, "%s: changed while being opened",
		    path);
		goto fail;
	}
	for (;;) {
		if (len == bufsz - 1) {
			(void)snprintf(err, errlen, "%s: too large for a key",
			    path);
			goto fail;
		}
		if ((r = read(fd, buf + len, bufsz - 1 - len)) == -1) {
			if (errno == EINTR)
				continue;
			(void)snprintf(err, errlen, "%s: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
fail:
	close(fd);
	return -1;
}

/*
 * Load the private key at key_path. Returns a signer the caller frees with
 * signer_free(), or NULL with a message in err (never key material).
 */
struct signer *
signer_load(const char *key_path, char *err, size_t errlen)
{
	struct signer *s = NULL;
	char *pem = NULL;
	uint8_t raw[ED25519_PUB_LEN], pk[crypto_sign_ed25519_PUBLICKEYBYTES];
	uint8_t seed[crypto_sign_ed25519_SEEDBYTES];
	size_t rawlen = sizeof(raw), seedlen = sizeof(seed);
	ssize_t len;
	BIO *bio = NULL;

	if (identity_check_key_perms(key_path, err, errlen) == -1)
		return NULL;
	pem = xmalloc(SIGNER_KEY_MAX);
	if ((len = signer_read_key(key_path, pem, SIGNER_KEY_MAX, err,
	    errlen)) == -1)
		goto fail;
	s = xcalloc(1, sizeof(*s));
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (s->key = PEM_read_bio_PrivateKey(bio, NULL, signer_no_passphrase,
	    NULL)) == NULL) {
		(void)snprintf(err, errlen, "%s: not a readable unencrypted "
		    "PEM private key", key_path);
		goto fail;
	}
	if (EVP_PKEY_get_id(s->key) != EVP_PKEY_ED25519) {
		(void)snprintf(err, errlen, "%s: not an Ed25519 key", key_path);
		goto fail;
	}
	/* RFC 8032's private key is the seed both libraries expand; the
	 * public key libsodium derives from it must be the one OpenSSL
	 * holds, or the key file is not what it claims. */
	if (EVP_PKEY_get_raw_public_key(s->key, raw, &rawlen) != 1 ||
	    rawlen != sizeof(raw) ||
	    EVP_PKEY_get_raw_private_key(s->key, seed, &seedlen) != 1 ||
	    seedlen != sizeof(seed) || sodium_init() == -1 ||
	    crypto_sign_ed25519_seed_keypair(pk, s->sk, seed) != 0 ||
	    memcmp(pk, raw, sizeof(raw)) != 0 ||
	    (s->pub = identity_pubkey_from_raw(raw)) == NULL ||
	    identity_fingerprint(s->pub, s->fpr) == -1) {
		(void)snprintf(err, errlen, "%s: cannot set up the key",
		    key_path);
		goto fail;
	}
	OPENSSL_cleanse(seed, sizeof(seed));
	BIO_free(bio);
	OPENSSL_cleanse(pem, SIGNER_KEY_MAX);
	free(pem);
	ERR_clear_error();
	return s;
fail:
	OPENSSL_cleanse(seed, sizeof(seed));
	BIO_free(bio);
	OPENSSL_cleanse(pem, SIGNER_KEY_MAX);
	free(pem);
	signer_free(s);
	ERR_clear_error();
	return NULL;
}

void
signer_free(struct signer *s)
{
	if (s == NULL)
		return;
	/* EVP_PKEY_free() wipes Ed25519 private key material. */
	EVP_PKEY_free(s->key);
	EVP_PKEY_free(s->pub);
	OPENSSL_cleanse(s, sizeof(*s));	/* and the secret key in it */
	free(s);
}

/* Pure Ed25519 over exactly len bytes of data into sig. 0 or -1. */
int
signer_sign(struct signer *s, const void *data, size_t len,
    uint8_t sig[ED25519_SIG_LEN])
{
	return crypto_sign_ed25519_detached(sig, NULL, data, len, s->sk) == 0 ?
	    0 : -1;
}

EVP_PKEY *
signer_pubkey(struct signer *s)
{
	return s->pub;
}

const char *
signer_fingerprint(struct signer *s)
{
	return s->fpr;
}

int
signer_tls_use(struct signer *s, SSL_CTX *ctx)
{
	return SSL_CTX_use_PrivateKey(ctx, s->key) == 1 ? 0 : -1;
}
