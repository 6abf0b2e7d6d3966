/*
 * testlib.c: helpers the unit tests share (see testlib.h). Everything here
 * works on the test's own temporary directory; failures are reported with
 * cmocka's print_error() and a -1 return, so the helpers can be used from
 * setup functions as well as from tests.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <sqlite3.h>

#include "identity.h"
#include "signer.h"
#include "testlib.h"

int
testlib_tmpdir(char *dir, size_t dirsz, const char *prefix)
{
	const char *base = getenv("HOTLINE_TEST_TMP");
	int n;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (mkdir(base, 0700) == -1 && errno != EEXIST) {
		print_error("mkdir %s: %s\n", base, strerror(errno));
		goto fail;
	}
	n = snprintf(dir, dirsz, "%s/%s.XXXXXX", base, prefix);
	if (n < 0 || (size_t)n >= dirsz) {
		print_error("%s/%s: path too long\n", base, prefix);
		goto fail;
	}
	if (mkdtemp(dir) == NULL) {
		print_error("mkdtemp %s: %s\n", dir, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	if (dirsz > 0)
		dir[0] = '\0';	/* testlib_rmtree() removes nothing */
	return -1;
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void
testlib_rmtree(const char *dir)
{
	if (dir == NULL || *dir == '\0')
		return;
	(void)nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

int
testlib_path_join(char *out, size_t outsz, const char *dir, const char *name)
{
	int n = snprintf(out, outsz, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

uint8_t *
testlib_dup_exact(const void *p, size_t n)
{
	uint8_t *q = malloc(n == 0 ? 1 : n);

	assert_non_null(q);
	if (n > 0)
		memcpy(q, p, n);
	return q;
}

uint8_t *
testlib_dup_nul(const void *p, size_t n)
{
	uint8_t *q = malloc(n + 1);

	assert_non_null(q);
	if (n > 0)
		memcpy(q, p, n);
	q[n] = 0;
	return q;
}

void
testlib_file_write(const char *path, const void *p, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(p, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

uint8_t *
testlib_file_read(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *p;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	assert_true((n = ftell(fp)) >= 0);
	rewind(fp);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, fp), (size_t)n);
	assert_int_equal(fclose(fp), 0);
	p[n] = 0;
	*len = (size_t)n;
	return p;
}

int
testlib_key_write(const char *path, EVP_PKEY *pk, const EVP_CIPHER *enc)
{
	static unsigned char pass[] = "secret";
	FILE *fp;
	int fd, ok;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600)) ==
	    -1) {
		print_error("open %s: %s\n", path, strerror(errno));
		return -1;
	}
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		return -1;
	}
	ok = PEM_write_PrivateKey(fp, pk, enc, enc ? pass : NULL,
	    enc ? (int)strlen((char *)pass) : 0, NULL, NULL) == 1;
	if (fclose(fp) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

int
testlib_node_init(struct testlib_node *n, const char *base,
    const char *party)
{
	char err[256];

	n->signer = NULL;
	if (testlib_path_join(n->dir, sizeof(n->dir), base, party) == -1 ||
	    testlib_path_join(n->key, sizeof(n->key), n->dir, "key.pem") ==
	    -1 ||
	    testlib_path_join(n->cert, sizeof(n->cert), n->dir, "cert.pem") ==
	    -1) {
		print_error("%s/%s: path too long\n", base, party);
		return -1;
	}
	if (identity_init(n->dir, party, NULL, err, sizeof(err)) == -1) {
		print_error("identity_init %s: %s\n", party, err);
		return -1;
	}
	if ((n->signer = signer_load(n->key, err, sizeof(err))) == NULL) {
		print_error("signer_load %s: %s\n", party, err);
		return -1;
	}
	return 0;
}

void
testlib_node_free(struct testlib_node *n)
{
	signer_free(n->signer);
	n->signer = NULL;
}

void
testlib_sql_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err != NULL ? err : "?");
}

int64_t
testlib_sql_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) != SQLITE_ROW)
		fail_msg("%s: %s (%d)", sql, sqlite3_errmsg(db),
		    sqlite3_extended_errcode(db));
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}
