/*
 * test_identity.c: identity_init() file creation and refusal to overwrite,
 * key permission checks (also through signer_load()), fingerprints, the
 * certificate's contents and signature verification by public key.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "identity.h"
#include "signer.h"
#include "testlib.h"
#include "util.h"

struct fixture {
	char	base[PATH_MAX];
	char	dir[PATH_MAX];	/* base/node, not created yet */
	char	key[PATH_MAX];
	char	cert[PATH_MAX];
	char	conf[PATH_MAX];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (testlib_tmpdir(f->base, sizeof(f->base), "identity") == -1 ||
	    testlib_path_join(f->dir, sizeof(f->dir), f->base, "node") == -1 ||
	    testlib_path_join(f->key, sizeof(f->key), f->dir, "key.pem") ==
	    -1 ||
	    testlib_path_join(f->cert, sizeof(f->cert), f->dir, "cert.pem") ==
	    -1 ||
	    testlib_path_join(f->conf, sizeof(f->conf), f->dir,
	    "hotline.conf") == -1)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	testlib_rmtree(f->base);
	free(f);
	return 0;
}

/* Read a whole small file into a NUL-terminated heap buffer. */
static char *
slurp(const char *path)
{
	FILE *fp;
	char *p;
	size_t n;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	p = calloc(1, 65536);
	n = fread(p, 1, 65535, fp);
	fclose(fp);
	p[n] = '\0';
	return p;
}

static void
fpr_of_cert(const char *cert, char out[FPR_HEX_LEN + 1])
{
	EVP_PKEY *pk;

	pk = identity_load_cert_pubkey(cert);
	assert_non_null(pk);
	assert_int_equal(identity_fingerprint(pk, out), 0);
	EVP_PKEY_free(pk);
}

static void
test_init_creates_files(void **state)
{
	struct fixture *f = *state;
	char err[256], *conf, *key;
	struct stat st;

	assert_int_equal(identity_init(f->dir, "us", NULL, err, sizeof(err)),
	    0);
	assert_int_equal(stat(f->dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(lstat(f->key, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(lstat(f->cert, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 077, st.st_mode & 044);
	assert_int_equal(identity_check_key_perms(f->key, err, sizeof(err)),
	    0);

	key = slurp(f->key);
	assert_non_null(key);
	assert_non_null(strstr(key, "-----BEGIN PRIVATE KEY-----"));
	free(key);

	conf = slurp(f->conf);
	assert_non_null(conf);
	assert_non_null(strstr(conf, "[node]\nparty = us\n"));
	assert_non_null(strstr(conf, "\nlisten = 127.0.0.1:7701\n"));
	assert_non_null(strstr(conf, "\ndata_dir = .\n"));
	assert_non_null(strstr(conf, "for party \"us\""));
	assert_non_null(strstr(conf, "\n[link]\n"));
	assert_non_null(strstr(conf, "\n[limits]\n"));
	assert_non_null(strstr(conf, "\n# [peer ru]\n"));
	free(conf);
}

static void
test_init_listen(void **state)
{
	struct fixture *f = *state;
	char err[256], *conf;

	assert_int_equal(identity_init(f->dir, "ru-2", "[::1]:7702", err,
	    sizeof(err)), 0);
	conf = slurp(f->conf);
	assert_non_null(conf);
	assert_non_null(strstr(conf, "\nparty = ru-2\n"));
	assert_non_null(strstr(conf, "\nlisten = [::1]:7702\n"));
	free(conf);
}

static void
test_init_empty_listen(void **state)
{
	struct fixture *f = *state;
	char err[256], *conf;

	assert_int_equal(identity_init(f->dir, "us", "", err, sizeof(err)), 0);
	conf = slurp(f->conf);
	assert_non_null(conf);
	assert_non_null(strstr(conf, "\nlisten = \n"));
	free(conf);
}

static void
test_init_refuses_bad_args(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct stat st;

	assert_int_equal(identity_init(f->dir, "US", NULL, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "party"));
	assert_int_equal(identity_init(f->dir, "", NULL, err, sizeof(err)),
	    -1);
	assert_int_equal(identity_init(f->dir, "us", "1.2.3.4:1\nx = y",
	    err, sizeof(err)), -1);
	assert_int_equal(identity_init(f->dir, "us", "1.2.3.4:1 ; x", err,
	    sizeof(err)), -1);
	/* Nothing was created by any of them. */
	assert_int_equal(stat(f->dir, &st), -1);
}

static void
test_init_refuses_overwrite(void **state)
{
	struct fixture *f = *state;
	char err[256], *key1, *key2, *cert1, *cert2;
	struct stat st;

	assert_int_equal(identity_init(f->dir, "us", NULL, err, sizeof(err)),
	    0);
	key1 = slurp(f->key);
	cert1 = slurp(f->cert);
	assert_int_equal(identity_init(f->dir, "us", NULL, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "exists"));
	key2 = slurp(f->key);
	cert2 = slurp(f->cert);
	assert_string_equal(key1, key2);
	assert_string_equal(cert1, cert2);
	free(key1);
	free(key2);
	free(cert1);
	free(cert2);

	/* Only the config is there: refused, and no key is left behind. */
	assert_int_equal(unlink(f->key), 0);
	assert_int_equal(unlink(f->cert), 0);
	assert_int_equal(identity_init(f->dir, "us", NULL, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "hotline.conf"));
	assert_int_equal(lstat(f->key, &st), -1);
	assert_int_equal(lstat(f->cert, &st), -1);

	/* A dangling symlink where the key goes is refused, not followed. */
	assert_int_equal(unlink(f->conf), 0);
	assert_int_equal(symlink("/nonexistent/hotline-test-key", f->key), 0);
	assert_int_equal(identity_init(f->dir, "us", NULL, err, sizeof(err)),
	    -1);
	assert_int_equal(lstat(f->cert, &st), -1);
	assert_int_equal(lstat(f->conf, &st), -1);
}

static void
test_key_perms(void **state)
{
	struct fixture *f = *state;
	char err[256], link[PATH_MAX + 8];
	struct signer *s;
	int fd;

	assert_int_equal(identity_init(f->dir, "us", NULL, err, sizeof(err)),
	    0);
	s = signer_load(f->key, err, sizeof(err));
	assert_non_null(s);
	signer_free(s);

	assert_int_equal(chmod(f->key, 0644), 0);
	assert_int_equal(identity_check_key_perms(f->key, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "mode 0644"));
	assert_non_null(strstr(err, "readable by others"));
	assert_non_null(strstr(err, "chmod 600"));
	err[0] = '\0';
	assert_null(signer_load(f->key, err, sizeof(err)));
	assert_non_null(strstr(err, "mode 0644"));

	/* Any group or other bit at all is refused. */
	assert_int_equal(chmod(f->key, 0620), 0);
	assert_int_equal(identity_check_key_perms(f->key, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "writable by others"));
	assert_int_equal(chmod(f->key, 0601), 0);
	assert_int_equal(identity_check_key_perms(f->key, err, sizeof(err)),
	    -1);
	assert_null(signer_load(f->key, err, sizeof(err)));
	assert_int_equal(chmod(f->key, 0400), 0);
	assert_int_equal(identity_check_key_perms(f->key, err, sizeof(err)),
	    0);
	assert_int_equal(chmod(f->key, 0600), 0);

	/* A symlink to a good key is refused. */
	assert_true(snprintf(link, sizeof(link), "%s.lnk", f->key) <
	    (int)sizeof(link));
	assert_int_equal(symlink(f->key, link), 0);
	assert_int_equal(identity_check_key_perms(link, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "symbolic link"));
	assert_null(signer_load(link, err, sizeof(err)));

	/* Missing file, directory. */
	assert_int_equal(unlink(link), 0);
	assert_int_equal(identity_check_key_perms(link, err, sizeof(err)), -1);
	assert_int_equal(identity_check_key_perms(f->dir, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "not a regular file"));

	/* A 0600 file that is not a key. */
	fd = open(link, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd != -1);
	assert_int_equal(write(fd, "hello\n", 6), 6);
	close(fd);
	assert_null(signer_load(link, err, sizeof(err)));
	assert_non_null(strstr(err, "PEM"));
}

static void
test_fingerprint(void **state)
{
	struct fixture *f = *state;
	char err[256], a[FPR_HEX_LEN + 1], b[FPR_HEX_LEN + 1];
	char other[PATH_MAX + 16], ocert[PATH_MAX + 32];
	struct signer *s;
	size_t i;

	assert_int_equal(identity_init(f->dir, "us", NULL, err, sizeof(err)),
	    0);
	fpr_of_cert(f->cert, a);
	fpr_of_cert(f->cert, b);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), FPR_HEX_LEN);
	for (i = 0; i < FPR_HEX_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));

	s = signer_load(f->key, err, sizeof(err));
	assert_non_null(s);
	assert_string_equal(signer_fingerprint(s), a);
	assert_int_equal(identity_fingerprint(signer_pubkey(s), b), 0);
	assert_string_equal(b, a);
	signer_free(s);

	/* A second identity has another fingerprint. */
	assert_true(snprintf(other, sizeof(other), "%s/other", f->base) <
	    (int)sizeof(other));
	assert_true(snprintf(ocert, sizeof(ocert), "%s/cert.pem", other) <
	    (int)sizeof(ocert));
	assert_int_equal(identity_init(other, "us", NULL, err, sizeof(err)),
	    0);
	fpr_of_cert(ocert, b);
	assert_string_not_equal(a, b);

	assert_int_equal(identity_fingerprint(NULL, b), -1);
	assert_null(identity_load_cert_pubkey(f->key));
	assert_null(identity_load_cert_pubkey(f->conf));
}

/* SHA-256 of the RFC 8032 test 1 public key, computed independently. */
static void
test_fingerprint_vector(void **state)
{
	static const char pubhex[] =
	    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
	uint8_t raw[ED25519_PUB_LEN];
	char fpr[FPR_HEX_LEN + 1];
	EVP_PKEY *pk;

	assert_int_equal(hex_decode(pubhex, raw, sizeof(raw)), 0);
	pk = identity_pubkey_from_raw(raw);
	assert_non_null(pk);
	assert_int_equal(identity_fingerprint(pk, fpr), 0);
	assert_string_equal(fpr,
	    "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9");
	EVP_PKEY_free(pk);
}

/* RFC 8032 test 2: a known signature verifies, a tampered one does not. */
static void
test_verify_vector(void **state)
{
	static const char pubhex[] =
	    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
	static const char sighex[] =
	    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";
	uint8_t raw[ED25519_PUB_LEN], sig[ED25519_SIG_LEN], msg[1] = { 0x72 };
	EVP_PKEY *pk;

	assert_int_equal(hex_decode(pubhex, raw, sizeof(raw)), 0);
	assert_int_equal(hex_decode(sighex, sig, sizeof(sig)), 0);
	pk = identity_pubkey_from_raw(raw);
	assert_non_null(pk);
	assert_true(identity_verify(pk, msg, sizeof(msg), sig));
	msg[0] ^= 1;
	assert_false(identity_verify(pk, msg, sizeof(msg), sig));
	msg[0] ^= 1;
	sig[63] ^= 0x40;
	assert_false(identity_verify(pk, msg, sizeof(msg), sig));
	assert_false(identity_verify(NULL, msg, sizeof(msg), sig));
	EVP_PKEY_free(pk);
}

static void
test_cert_contents(void **state)
{
	struct fixture *f = *state;
	char err[256], cn[64];
	X509 *x;
	FILE *fp;
	EVP_PKEY *pk;
	const ASN1_INTEGER *serial;
	BIGNUM *bn;
	int day, sec;

	assert_int_equal(identity_init(f->dir, "us", NULL, err, sizeof(err)),
	    0);
	fp = fopen(f->cert, "r");
	assert_non_null(fp);
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(x);

	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, cn, sizeof(cn)) > 0);
	assert_string_equal(cn, "hotline us");
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x),
	    X509_get_issuer_name(x)), 0);
	assert_int_equal(X509_check_ca(x), 0);
	assert_true(X509_get_extension_flags(x) & EXFLAG_BCONS);

	pk = X509_get0_pubkey(x);
	assert_non_null(pk);
	assert_int_equal(EVP_PKEY_get_id(pk), EVP_PKEY_ED25519);
	assert_int_equal(X509_verify(x, pk), 1);

	serial = X509_get0_serialNumber(x);
	bn = ASN1_INTEGER_to_BN(serial, NULL);
	assert_non_null(bn);
	assert_false(BN_is_negative(bn));
	assert_false(BN_is_zero(bn));
	assert_true(BN_num_bits(bn) > 64 && BN_num_bits(bn) <= 128);
	BN_free(bn);

	/* notBefore about an hour ago, notAfter about 20 years ahead. */
	assert_int_equal(ASN1_TIME_diff(&day, &sec, NULL,
	    X509_get0_notBefore(x)), 1);
	assert_true(day == 0 && sec <= -3500 && sec >= -3700);
	assert_int_equal(ASN1_TIME_diff(&day, &sec, NULL,
	    X509_get0_notAfter(x)), 1);
	assert_true(day >= 20 * 365 && day <= 20 * 366);
	X509_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_creates_files, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_init_listen, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_init_empty_listen, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_init_refuses_bad_args,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_refuses_overwrite,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_perms, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fingerprint, setup,
		    teardown),
		cmocka_unit_test(test_fingerprint_vector),
		cmocka_unit_test(test_verify_vector),
		cmocka_unit_test_setup_teardown(test_cert_contents, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
