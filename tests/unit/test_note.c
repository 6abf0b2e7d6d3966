/*
 * test_note.c: C2SP signed notes, verifier keys, checkpoints and
 * cosignatures (src/note.c), against the test vectors published with Go's
 * golang.org/x/mod/sumdb/note (the PeterNeumann and EnochRoot keys and
 * signatures of note_test.go), valid notes made here, and malformed ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "note.h"
#include "signer.h"
#include "testlib.h"

/* Published with golang.org/x/mod/sumdb/note (note_test.go). */
#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define PETER_SEED "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define ENOCH_VKEY "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
#define TEXT "If you think cryptography is the answer to your problem,\n" \
	"then you don't know what your problem is.\n"
#define PETER_SIG "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
#define ENOCH_SIG "\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

static int
parse_str(const char *s, struct note *nt)
{
	const char *why = NULL;
	char *cp = (char *)testlib_dup_exact(s, strlen(s));
	int rc;

	rc = note_parse(cp, strlen(s), nt, &why);
	/* nt->text points into cp: keep only the verdict. */
	free(cp);
	return rc;
}

static void
test_vkeys(void **state)
{
	struct note_verifier v;
	const char *why;
	char out[NOTE_VKEY_MAX + 1];

	(void)state;
	assert_int_equal(note_vkey_parse(PETER_VKEY, &v, &why), 0);
	assert_string_equal(v.name, "PeterNeumann");
	assert_int_equal(v.keyid, 0xc74f20a3);
	assert_int_equal(v.type, NOTE_ALG_ED25519);
	assert_int_equal(note_vkey_format(v.name, v.type, v.pub, out,
	    sizeof(out)), 0);
	assert_string_equal(out, PETER_VKEY);
	assert_int_equal(note_vkey_parse(ENOCH_VKEY, &v, &why), 0);
	/* Go's bad keys: wrong length, unknown algorithm, wrong id. */
	assert_int_equal(note_vkey_parse("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==", &v, &why), -1);
	assert_int_equal(note_vkey_parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &v, &why), -1);
	assert_int_equal(note_vkey_parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &v, &why), -1);
	assert_int_equal(note_vkey_parse("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &v, &why), -1);
	assert_int_equal(note_vkey_parse("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &v, &why), -1);
	assert_int_equal(note_vkey_parse("PeterNeumann+c74f20a3", &v, &why), -1);
	assert_int_equal(note_vkey_parse("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &v, &why), -1);
	assert_int_equal(note_vkey_parse("a+b+c+d", &v, &why), -1);
	/* base64 may itself hold '+': only the first two separate. */
	assert_int_equal(note_vkey_parse("hotline/us+d014576f+ARmcN8ddXvSTTVWbBqiRc3qBlre+MZbAomWz2XvfqPpg", &v, &why), 0);
	assert_int_equal(note_vkey_parse("", &v, &why), -1);
}

static void
test_go_vectors(void **state)
{
	struct note_verifier vs[2];
	struct note_result res[2];
	struct note nt;
	const char *why;
	const char *both = TEXT "\n" PETER_SIG ENOCH_SIG;
	char *bad;

	(void)state;
	assert_int_equal(note_vkey_parse(PETER_VKEY, &vs[0], &why), 0);
	assert_int_equal(note_vkey_parse(ENOCH_VKEY, &vs[1], &why), 0);
	assert_int_equal(note_parse(both, strlen(both), &nt, &why), 0);
	assert_int_equal(nt.textlen, strlen(TEXT));
	assert_memory_equal(nt.text, TEXT, nt.textlen);
	assert_int_equal(nt.nsigs, 2);
	assert_int_equal(note_verify(&nt, vs, 1, res, &why), 1);
	assert_true(res[0].verified);
	assert_int_equal(note_verify(&nt, vs, 2, res, &why), 2);
	assert_true(res[1].verified);
	assert_int_equal(note_verify(&nt, vs + 1, 1, res, &why), 1);
	assert_int_equal(note_verify(&nt, vs, 0, res, &why), -1);
	/* A known key whose signature fails rejects the note. */
	bad = strdup(both);
	bad[strlen(TEXT) - 5] = 'X';
	assert_int_equal(note_parse(bad, strlen(bad), &nt, &why), 0);
	assert_int_equal(note_verify(&nt, vs, 2, res, &why), -1);
	free(bad);
	/* Same name, other key id: ignored, so nothing verifies. */
	vs[0].keyid ^= 1;
	assert_int_equal(note_parse(both, strlen(both), &nt, &why), 0);
	assert_int_equal(note_verify(&nt, vs, 1, res, &why), -1);
}

static void
test_malformed(void **state)
{
	struct note nt;

	(void)state;
	assert_int_equal(parse_str(TEXT "\n" PETER_SIG, &nt), 0);
	assert_int_equal(parse_str("", &nt), -1);
	assert_int_equal(parse_str(TEXT, &nt), -1);			/* no sigs */
	assert_int_equal(parse_str(TEXT "\n", &nt), -1);		/* blank, no sigs */
	assert_int_equal(parse_str(TEXT PETER_SIG, &nt), -1);		/* no blank line */
	assert_int_equal(parse_str(TEXT "\n" "- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", &nt), -1);	/* hyphen, not em dash */
	assert_int_equal(parse_str(TEXT "\n" "\xe2\x80\x94PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", &nt), -1);	/* no space */
	assert_int_equal(parse_str(TEXT "\n" "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n", &nt), -1);	/* base64 unpadded */
	assert_int_equal(parse_str(TEXT "\n" "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=", &nt), -1);	/* no final newline */
	assert_int_equal(parse_str(TEXT "\n" "\xe2\x80\x94 Peter+Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", &nt), -1);	/* plus in name */
	assert_int_equal(parse_str(TEXT "\n" "\xe2\x80\x94  x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", &nt), -1);	/* empty name */
	assert_int_equal(parse_str(TEXT "\n" "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM= \n", &nt), -1);	/* trailing space */
	assert_int_equal(parse_str("bad\tchar\n\n" PETER_SIG, &nt), -1);	/* control char */
	assert_int_equal(parse_str("cr\r\n\n" PETER_SIG, &nt), -1);
	assert_int_equal(parse_str("bad \xc0\xaf utf8\n\n" PETER_SIG, &nt), -1);	/* overlong */
	assert_int_equal(parse_str("bad \xed\xa0\x80 utf8\n\n" PETER_SIG, &nt), -1);	/* surrogate */
	assert_int_equal(parse_str("cut \xe2\x80\n\n" PETER_SIG, &nt), -1);
	assert_int_equal(parse_str(TEXT "\n" "\xe2\x80\x94 Peter\xc2\xa0Neumann AAAAAAA=\n", &nt), -1);	/* no-break space in name */
	assert_int_equal(parse_str(TEXT "\n" "\xe2\x80\x94 PeterNeumann AAAA\n", &nt), -1);	/* 3 bytes: no signature */
	/* The last blank line separates: a blank line inside the text. */
	assert_int_equal(parse_str("a\n\nb\n\n" PETER_SIG, &nt), 0);
	/* Too many signatures. */
	{
		char *big = malloc(NOTE_MAX + 1);
		size_t n = 0;
		int i;

		n += (size_t)snprintf(big, NOTE_MAX, "x\n\n");
		for (i = 0; i < NOTE_SIGS_MAX + 1; i++)
			n += (size_t)snprintf(big + n, NOTE_MAX - n, "%s",
			    PETER_SIG);
		assert_true(n < NOTE_MAX);
		assert_int_equal(note_parse(big, n, &nt, &(const char *){0}), -1);
		free(big);
	}
}

static void
test_base64(void **state)
{
	uint8_t out[8];
	size_t n;
	char enc[16];

	(void)state;
	assert_int_equal(b64_decode("AA==", 4, out, sizeof(out), &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(b64_decode("AB==", 4, out, sizeof(out), &n), -1);	/* non-canonical */
	assert_int_equal(b64_decode("AAB=", 4, out, sizeof(out), &n), -1);
	assert_int_equal(b64_decode("AAA=", 4, out, sizeof(out), &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(b64_decode("A===", 4, out, sizeof(out), &n), -1);
	assert_int_equal(b64_decode("=AAA", 4, out, sizeof(out), &n), -1);
	assert_int_equal(b64_decode("AA=A", 4, out, sizeof(out), &n), -1);
	assert_int_equal(b64_decode("AAAAAAAAAAAA", 12, out, sizeof(out), &n), -1);	/* too big */
	assert_int_equal(b64_encode((const uint8_t *)"hotline", 7, enc,
	    sizeof(enc)), 12);
	assert_string_equal(enc, "aG90bGluZQ==");
}

static void
test_checkpoint(void **state)
{
	struct checkpoint c, back;
	char text[256];
	const char *why;
	size_t n;

	(void)state;
	memset(&c, 0, sizeof(c));
	snprintf(c.origin, sizeof(c.origin), "hotline/us");
	c.size = 20852163;
	memset(c.root, 0x5a, 32);
	n = checkpoint_format(&c, text, sizeof(text));
	assert_true(n > 0);
	assert_int_equal(checkpoint_parse(text, n, &back, &why), 0);
	assert_memory_equal(&c, &back, sizeof(c));
	/* The C2SP example checkpoint. */
#define EX "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
	assert_int_equal(checkpoint_parse(EX, strlen(EX), &back, &why), 0);
	assert_string_equal(back.origin, "example.com/behind-the-sofa");
	assert_int_equal(back.size, 20852163);
	assert_int_equal(checkpoint_parse(EX "ext line\n", strlen(EX) + 9,
	    &back, &why), 0);
#define BAD(s) assert_int_equal(checkpoint_parse(s, strlen(s), &back, &why), -1)
	BAD("o\n012\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
	BAD("o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
	BAD("o\n1 \nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
	BAD("o\n99999999999999999999\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
	BAD("\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
	BAD("o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2=\n");
	BAD("o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
	BAD("o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n");
	BAD("o\n1\n");
}

/* Our signer, given Go's PeterNeumann private key, writes Go's signature;
 * cosignatures round-trip and bind text, time and key. */
static void
test_sign_cosign(void **state)
{
	char dir[4096], path[4200], line[NOTE_SIGLINE_MAX + 1], vkey[200];
	char note[1024];
	uint8_t raw[40], pub[32];
	struct note_verifier v[2];
	struct note_result res[2];
	struct signer *s;
	struct note nt;
	EVP_PKEY *pk;
	const char *why;
	size_t n, publen = 32;
	char err[200];

	(void)state;
	assert_int_equal(b64_decode(PETER_SEED, strlen(PETER_SEED), raw,
	    sizeof(raw), &n), 0);
	assert_int_equal(n, 33);
	assert_non_null(pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519,
	    NULL, raw + 1, 32));
	assert_int_equal(testlib_tmpdir(dir, sizeof(dir), "note"), 0);
	assert_int_equal(testlib_path_join(path, sizeof(path), dir, "k.pem"),
	    0);
	assert_int_equal(testlib_key_write(path, pk, NULL), 0);
	EVP_PKEY_free(pk);
	assert_non_null(s = signer_load(path, err, sizeof(err)));
	assert_int_equal(note_sign(s, "PeterNeumann", TEXT, strlen(TEXT), line,
	    sizeof(line)), 0);
	assert_string_equal(line, PETER_SIG);

	/* cosignature/v1 */
	assert_int_equal(EVP_PKEY_get_raw_public_key(signer_pubkey(s), pub,
	    &publen), 0 + 1);
	assert_int_equal(note_vkey_format("witness.example/w1",
	    NOTE_ALG_COSIG_V1, pub, vkey, sizeof(vkey)), 0);
	assert_int_equal(note_vkey_parse(vkey, &v[1], &why), 0);
	assert_int_equal(note_vkey_parse(PETER_VKEY, &v[0], &why), 0);
#define CP "hotline/us\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
	assert_int_equal(note_sign(s, "PeterNeumann", CP, strlen(CP), line,
	    sizeof(line)), 0);
	n = (size_t)snprintf(note, sizeof(note), "%s\n%s", CP, line);
	assert_int_equal(note_cosign(s, "witness.example/w1", 1679315147, CP,
	    strlen(CP), note + n, sizeof(note) - n), 0);
	assert_int_equal(note_parse(note, strlen(note), &nt, &why), 0);
	assert_int_equal(note_verify(&nt, v, 2, res, &why), 2);
	assert_true(res[0].verified && res[1].verified);
	assert_int_equal(res[1].cosig_time, 1679315147);
	/* The cosigner alone is enough; a cosignature key is not a note
	 * signing key (different key id). */
	assert_int_equal(note_verify(&nt, v + 1, 1, res, &why), 1);
	v[1].type = NOTE_ALG_ED25519;
	v[1].keyid = note_keyid(v[1].name, NOTE_ALG_ED25519, v[1].pub);
	assert_int_equal(note_verify(&nt, v + 1, 1, res, &why), -1);
	/* Changing the timestamp bytes breaks it. */
	{
		char *p = strrchr(note, ' ') + 1 + 8;

		*p = *p == 'A' ? 'B' : 'A';
		assert_int_equal(note_parse(note, strlen(note), &nt, &why), 0);
		assert_int_equal(note_verify(&nt, v, 1, res, &why), 1);
		assert_int_equal(note_vkey_parse(vkey, &v[1], &why), 0);
		assert_int_equal(note_verify(&nt, v, 2, res, &why), -1);
	}
	signer_free(s);
	testlib_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vkeys),
		cmocka_unit_test(test_go_vectors),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_checkpoint),
		cmocka_unit_test(test_sign_cosign),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
