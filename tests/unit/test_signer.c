/*
 * test_signer.c: signatures made by signer_sign() verify with the public
 * key and with nothing else; every single-bit change to the data or the
 * signature is rejected; non-Ed25519 and encrypted keys are refused. The
 * signatures are RFC 8032's, whichever library makes or checks them:
 * signer_sign() and identity_verify() (libsodium) against RFC 8032's test
 * vectors and against OpenSSL, which peers and stored records may have
 * used.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "identity.h"
#include "signer.h"
#include "testlib.h"
#include "util.h"

struct fixture {
	char			 base[PATH_MAX];
	struct testlib_node	 us;
	struct testlib_node	 ru;
	struct signer		*a;		/* us.signer */
	struct signer		*b;		/* ru.signer */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (testlib_tmpdir(f->base, sizeof(f->base), "signer") == -1 ||
	    testlib_node_init(&f->us, f->base, "us") == -1 ||
	    testlib_node_init(&f->ru, f->base, "ru") == -1)
		return -1;
	f->a = f->us.signer;
	f->b = f->ru.signer;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	testlib_node_free(&f->us);
	testlib_node_free(&f->ru);
	testlib_rmtree(f->base);
	free(f);
	return 0;
}

static void
test_sign_verify(void **state)
{
	struct fixture *f = *state;
	uint8_t data[300], sig[ED25519_SIG_LEN], sig2[ED25519_SIG_LEN];
	size_t len;

	assert_int_equal(RAND_bytes(data, sizeof(data)), 1);
	for (len = 0; len <= sizeof(data); len += 37) {
		assert_int_equal(signer_sign(f->a, data, len, sig), 0);
		assert_true(identity_verify(signer_pubkey(f->a), data, len,
		    sig));
		/* Ed25519 is deterministic. */
		assert_int_equal(signer_sign(f->a, data, len, sig2), 0);
		assert_memory_equal(sig, sig2, sizeof(sig));
	}
}

static void
test_flipped_bits(void **state)
{
	struct fixture *f = *state;
	uint8_t data[48], sig[ED25519_SIG_LEN];
	size_t i;

	assert_int_equal(RAND_bytes(data, sizeof(data)), 1);
	assert_int_equal(signer_sign(f->a, data, sizeof(data), sig), 0);
	assert_true(identity_verify(signer_pubkey(f->a), data, sizeof(data),
	    sig));
	for (i = 0; i < sizeof(data) * 8; i++) {
		data[i / 8] ^= (uint8_t)(1 << (i % 8));
		assert_false(identity_verify(signer_pubkey(f->a), data,
		    sizeof(data), sig));
		data[i / 8] ^= (uint8_t)(1 << (i % 8));
	}
	for (i = 0; i < sizeof(sig) * 8; i++) {
		sig[i / 8] ^= (uint8_t)(1 << (i % 8));
		assert_false(identity_verify(signer_pubkey(f->a), data,
		    sizeof(data), sig));
		sig[i / 8] ^= (uint8_t)(1 << (i % 8));
	}
	/* Shorter or longer data is other data. */
	assert_false(identity_verify(signer_pubkey(f->a), data,
	    sizeof(data) - 1, sig));
	assert_true(identity_verify(signer_pubkey(f->a), data, sizeof(data),
	    sig));
}

static void
test_wrong_key(void **state)
{
	struct fixture *f = *state;
	uint8_t data[] = "hotline/test\0wrong key";
	uint8_t sig[ED25519_SIG_LEN];

	assert_string_not_equal(signer_fingerprint(f->a),
	    signer_fingerprint(f->b));
	assert_int_equal(signer_sign(f->a, data, sizeof(data), sig), 0);
	assert_false(identity_verify(signer_pubkey(f->b), data, sizeof(data),
	    sig));
	assert_int_equal(signer_sign(f->b, data, sizeof(data), sig), 0);
	assert_false(identity_verify(signer_pubkey(f->a), data, sizeof(data),
	    sig));
	assert_true(identity_verify(signer_pubkey(f->b), data, sizeof(data),
	    sig));
}

/* The public key handed out matches the certificate and the fingerprint. */
static void
test_pubkey(void **state)
{
	struct fixture *f = *state;
	char cert[PATH_MAX + 16], fpr[FPR_HEX_LEN + 1];
	EVP_PKEY *pk;
	uint8_t raw[ED25519_PUB_LEN];
	size_t rawlen = sizeof(raw);

	assert_true(snprintf(cert, sizeof(cert), "%s/us/cert.pem", f->base) <
	    (int)sizeof(cert));
	pk = identity_load_cert_pubkey(cert);
	assert_non_null(pk);
	assert_int_equal(EVP_PKEY_eq(pk, signer_pubkey(f->a)), 1);
	EVP_PKEY_free(pk);
	assert_int_equal(identity_fingerprint(signer_pubkey(f->a), fpr), 0);
	assert_string_equal(fpr, signer_fingerprint(f->a));
	/* Public only: no private half to extract. */
	assert_int_equal(EVP_PKEY_get_raw_private_key(signer_pubkey(f->a),
	    raw, &rawlen), 0);
	signer_free(NULL);
}

static void
test_refuse_other_keys(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX + 16], err[256];
	EVP_PKEY *pk;

	/* An EC key is not an identity. */
	assert_true(snprintf(path, sizeof(path), "%s/ec.pem", f->base) <
	    (int)sizeof(path));
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(pk);
	assert_int_equal(testlib_key_write(path, pk, NULL), 0);
	EVP_PKEY_free(pk);
	err[0] = '\0';
	assert_null(signer_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, "Ed25519"));

	/* An encrypted key is refused, without prompting. */
	assert_true(snprintf(path, sizeof(path), "%s/enc.pem", f->base) <
	    (int)sizeof(path));
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(pk);
	assert_int_equal(testlib_key_write(path, pk, EVP_aes_256_cbc()), 0);
	EVP_PKEY_free(pk);
	assert_null(signer_load(path, err, sizeof(err)));

	assert_true(snprintf(path, sizeof(path), "%s/missing.pem", f->base) <
	    (int)sizeof(path));
	assert_null(signer_load(path, err, sizeof(err)));
}

static void
unhex(const char *h, uint8_t *out, size_t n)
{
	assert_int_equal(strlen(h), 2 * n);
	assert_int_equal(hex_decode(h, out, n), 0);
}

/* RFC 8032, section 7.1, TEST 1 (empty message) and TEST 2 (one byte). */
static const struct {
	const char *seed, *pub, *msg, *sig;
} rfc8032[] = {
	{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
	  "",
	  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
	  "72",
	  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
};

static void
test_rfc8032_vectors(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX + 16], err[256];
	uint8_t seed[32], pub[32], msg[1], want[ED25519_SIG_LEN];
	uint8_t sig[ED25519_SIG_LEN];
	size_t i, mlen;
	struct signer *s;
	EVP_PKEY *pk, *pubk;

	for (i = 0; i < sizeof(rfc8032) / sizeof(rfc8032[0]); i++) {
		unhex(rfc8032[i].seed, seed, sizeof(seed));
		unhex(rfc8032[i].pub, pub, sizeof(pub));
		mlen = strlen(rfc8032[i].msg) / 2;
		unhex(rfc8032[i].msg, msg, mlen);
		unhex(rfc8032[i].sig, want, sizeof(want));
		assert_true(snprintf(path, sizeof(path), "%s/rfc%zu.pem",
		    f->base, i) < (int)sizeof(path));
		pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
		    seed, sizeof(seed));
		assert_non_null(pk);
		assert_int_equal(testlib_key_write(path, pk, NULL), 0);
		EVP_PKEY_free(pk);
		s = signer_load(path, err, sizeof(err));
		assert_non_null(s);
		assert_int_equal(signer_sign(s, msg, mlen, sig), 0);
		assert_memory_equal(sig, want, sizeof(sig));
		pubk = identity_pubkey_from_raw(pub);
		assert_non_null(pubk);
		assert_true(identity_verify(pubk, msg, mlen, want));
		want[0] ^= 1;
		assert_false(identity_verify(pubk, msg, mlen, want));
		EVP_PKEY_free(pubk);
		signer_free(s);
	}
}

/* Signatures cross between this code and OpenSSL's Ed25519, both ways. */
static void
test_openssl_interop(void **state)
{
	struct fixture *f = *state;
	uint8_t data[200], sig[ED25519_SIG_LEN];
	size_t siglen = sizeof(sig), len;
	EVP_PKEY *pk, *pub;
	EVP_MD_CTX *ctx;
	uint8_t raw[ED25519_PUB_LEN];
	size_t rawlen = sizeof(raw);

	assert_int_equal(RAND_bytes(data, sizeof(data)), 1);
	for (len = 0; len <= sizeof(data); len += 50) {
		/* Ours, checked by OpenSSL. */
		assert_int_equal(signer_sign(f->a, data, len, sig), 0);
		ctx = EVP_MD_CTX_new();
		assert_non_null(ctx);
		assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, NULL, NULL,
		    signer_pubkey(f->a)), 1);
		assert_int_equal(EVP_DigestVerify(ctx, sig, sizeof(sig), data,
		    len), 1);
		EVP_MD_CTX_free(ctx);

		/* OpenSSL's, checked by ours. */
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		assert_non_null(pk);
		ctx = EVP_MD_CTX_new();
		assert_non_null(ctx);
		siglen = sizeof(sig);
		assert_int_equal(EVP_DigestSignInit(ctx, NULL, NULL, NULL, pk),
		    1);
		assert_int_equal(EVP_DigestSign(ctx, sig, &siglen, data, len),
		    1);
		EVP_MD_CTX_free(ctx);
		rawlen = sizeof(raw);
		assert_int_equal(EVP_PKEY_get_raw_public_key(pk, raw, &rawlen),
		    1);
		pub = identity_pubkey_from_raw(raw);
		assert_non_null(pub);
		assert_true(identity_verify(pub, data, len, sig));
		assert_false(identity_verify(signer_pubkey(f->a), data, len,
		    sig));
		EVP_PKEY_free(pub);
		EVP_PKEY_free(pk);
	}
}

/* Many signatures in a row all verify. */
static void
test_many(void **state)
{
	struct fixture *f = *state;
	uint8_t data[256], sig[ED25519_SIG_LEN];
	uint64_t t0, t1;
	int i, n = 2000;

	t0 = now_mono_us();
	for (i = 0; i < n; i++) {
		memset(data, i & 0xff, sizeof(data));
		assert_int_equal(signer_sign(f->a, data, sizeof(data), sig), 0);
	}
	t1 = now_mono_us();
	assert_true(identity_verify(signer_pubkey(f->a), data, sizeof(data),
	    sig));
	print_message("%d signatures in %.1f ms (%.0f/s)\n", n,
	    (double)(t1 - t0) / 1000.0,
	    (double)n * 1e6 / (double)(t1 - t0 + 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_flipped_bits),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_pubkey),
		cmocka_unit_test(test_refuse_other_keys),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_rfc8032_vectors),
		cmocka_unit_test(test_openssl_interop),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
