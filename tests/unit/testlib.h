/*
 * testlib.h: helpers shared by the cmocka unit tests (tests/unit/test_*.c):
 * fresh temporary directories under $HOTLINE_TEST_TMP and their removal,
 * checked path joining, exact-size heap copies for overread checks, PEM key
 * files and node identities (key, certificate, loaded signer) made the way
 * the daemon makes them, and two SQL shorthands. Not part of hotline_core;
 * linked into every unit test as hotline_testlib.
 */
#ifndef HOTLINE_TESTLIB_H
#define HOTLINE_TESTLIB_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

struct signer;
struct sqlite3;

/* A node identity made by testlib_node_init(): all paths below dir. */
struct testlib_node {
	char		 dir[PATH_MAX];
	char		 key[PATH_MAX + 16];
	char		 cert[PATH_MAX + 16];
	struct signer	*signer;
};

/*
 * Make a fresh directory "<base>/<prefix>.XXXXXX" with mkdtemp(), base being
 * $HOTLINE_TEST_TMP (or /tmp if unset or empty), which is created if
 * missing. dir (dirsz bytes) receives the path. Returns 0, or -1 with the
 * reason printed (and dir set to "", which testlib_rmtree() ignores).
 */
int	 testlib_tmpdir(char *dir, size_t dirsz, const char *prefix);

/* Remove dir and everything below it, following no links. NULL or "": no-op. */
void	 testlib_rmtree(const char *dir);

/* out = "dir/name" in outsz bytes. Returns 0, or -1 if it does not fit. */
int	 testlib_path_join(char *out, size_t outsz, const char *dir,
	    const char *name);

/*
 * A heap copy of exactly n bytes of p (one byte is allocated for n == 0), so
 * that AddressSanitizer catches any read past the end. Fails the test if
 * out of memory; the caller frees.
 */
uint8_t	*testlib_dup_exact(const void *p, size_t n);

/* Like testlib_dup_exact(), with one zero byte after the n (n + 1 in all). */
uint8_t	*testlib_dup_nul(const void *p, size_t n);

/* Write len bytes of p to a new or truncated file; fails the test if not. */
void	 testlib_file_write(const char *path, const void *p, size_t len);
/* The whole of a file in a heap buffer with a zero byte after it (the
 * caller frees), its size in *len; fails the test if it cannot be read. */
uint8_t	*testlib_file_read(const char *path, size_t *len);

/*
 * Write pk's private half to a new 0600 PEM file (O_EXCL, no links
 * followed), encrypted with enc and the passphrase "secret" if enc is not
 * NULL. Returns 0 or -1.
 */
int	 testlib_key_write(const char *path, EVP_PKEY *pk,
	    const EVP_CIPHER *enc);

/*
 * Create the identity of party in "<base>/<party>" with identity_init() and
 * load its key with signer_load(). Fills in n (n->signer is owned by n, see
 * testlib_node_free()). Returns 0, or -1 with the reason printed.
 */
int	 testlib_node_init(struct testlib_node *n, const char *base,
	    const char *party);

/* Free n's signer; the files stay. */
void	 testlib_node_free(struct testlib_node *n);

/* Run SQL (several statements) or fail the test with SQLite's message. */
void	 testlib_sql_exec(struct sqlite3 *db, const char *sql);
/* The first column of the first row of one query, as an integer; the test
 * fails if it has no row. */
int64_t	 testlib_sql_int(struct sqlite3 *db, const char *sql);

#endif /* HOTLINE_TESTLIB_H */
