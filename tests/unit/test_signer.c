/*
 * test_signer.c: signatures made by signer_sign() verify with the public
 * key and with nothing else; every single-bit change to the data or the
 * signature is rejected; non-Ed25519 and encrypted keys are refused.
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

/* Many signatures in a row all verify (the reused context stays sound). */
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
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
