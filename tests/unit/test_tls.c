/*
 * test_tls.c: in-memory handshakes (BIO pairs) between contexts made from
 * temporary identities. Pinned keys connect over TLS 1.3; an unpinned key,
 * a key pinned for another party, a missing client certificate and a
 * TLS 1.2-only client are all refused, and in every refused case the
 * server reads no application data.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "identity.h"
#include "signer.h"
#include "testlib.h"
#include "tls.h"
#include "util.h"

#define NPIN 4

/* What a pin callback accepts, and what it was asked. */
struct pins {
	const char	*party[NPIN];
	char		 fpr[NPIN][FPR_HEX_LEN + 1];
	int		 n;
	int		 calls;
	bool		 expected_null;	/* last call's expected */
	char		 expected[PARTY_MAX + 1];
};

struct fixture {
	char			 base[PATH_MAX];
	struct testlib_node	 us, ru, rogue;
	struct pins		 spins;	/* the server's ("us") pins */
	struct pins		 cpins;	/* the client's ("ru") pins */
};

enum { HS_WANT, HS_OK, HS_FAIL };

static const char secret[] = "application data that must not arrive";

static int
pin_cb(void *arg, const char *expected, const char *fpr)
{
	struct pins *p = arg;
	int i;

	p->calls++;
	p->expected_null = expected == NULL;
	(void)snprintf(p->expected, sizeof(p->expected), "%s",
	    expected ? expected : "");
	for (i = 0; i < p->n; i++) {
		if (expected != NULL && strcmp(expected, p->party[i]) != 0)
			continue;
		if (strcmp(fpr, p->fpr[i]) == 0)
			return 1;
	}
	return 0;
}

static void
pins_add(struct pins *p, const char *party, const struct testlib_node *n)
{
	p->party[p->n] = party;
	memcpy(p->fpr[p->n], signer_fingerprint(n->signer), FPR_HEX_LEN + 1);
	p->n++;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (testlib_tmpdir(f->base, sizeof(f->base), "tls") == -1 ||
	    testlib_node_init(&f->us, f->base, "us") == -1 ||
	    testlib_node_init(&f->ru, f->base, "ru") == -1 ||
	    testlib_node_init(&f->rogue, f->base, "rogue") == -1)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	testlib_node_free(&f->us);
	testlib_node_free(&f->ru);
	testlib_node_free(&f->rogue);
	testlib_rmtree(f->base);
	free(f);
	return 0;
}

/* Reset the pins before each test: server pins ru, client pins us. */
static int
reset_pins(void **state)
{
	struct fixture *f = *state;

	memset(&f->spins, 0, sizeof(f->spins));
	memset(&f->cpins, 0, sizeof(f->cpins));
	pins_add(&f->spins, "ru", &f->ru);
	pins_add(&f->cpins, "us", &f->us);
	ERR_clear_error();
	return 0;
}

static SSL_CTX *
ctx_for(struct testlib_node *n, struct pins *p)
{
	char err[256];
	SSL_CTX *ctx;

	ctx = tls_ctx_new(n->signer, n->cert, pin_cb, p, err, sizeof(err));
	if (ctx == NULL)
		print_error("tls_ctx_new: %s\n", err);
	assert_non_null(ctx);
	return ctx;
}

static void
hs_step(SSL *ssl, int *st)
{
	int r, e;

	if (*st != HS_WANT)
		return;
	if ((r = SSL_do_handshake(ssl)) == 1) {
		*st = HS_OK;
		return;
	}
	e = SSL_get_error(ssl, r);
	if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
		*st = HS_FAIL;
}

/*
 * Connect c (client) and s (server) through a BIO pair and run both
 * handshakes until each has finished or failed. As soon as the client
 * believes it is connected it sends the secret: in TLS 1.3 that happens
 * before the server has checked the client's certificate, so this is the
 * earliest application data an attacker could send.
 */
static void
handshake(SSL *c, SSL *s, int *cst, int *sst)
{
	BIO *bc, *bs;
	int i;

	assert_int_equal(BIO_new_bio_pair(&bc, 0, &bs, 0), 1);
	SSL_set_bio(c, bc, bc);
	SSL_set_bio(s, bs, bs);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	*cst = *sst = HS_WANT;
	for (i = 0; i < 64 && *cst == HS_WANT; i++) {
		hs_step(c, cst);
		if (*cst == HS_WANT)
			hs_step(s, sst);
	}
	if (*cst == HS_OK)
		(void)SSL_write(c, secret, sizeof(secret));
	/* Let the server finish (or fail) on what the client sent. */
	for (i = 0; i < 64 && *sst == HS_WANT; i++) {
		hs_step(s, sst);
		hs_step(c, cst);
	}
}

/* The server must not be able to read anything. */
static void
assert_server_reads_nothing(SSL *s)
{
	char buf[256];
	int r;

	memset(buf, 0, sizeof(buf));
	r = SSL_read(s, buf, sizeof(buf));
	assert_true(r <= 0);
	assert_null(memmem(buf, sizeof(buf), "application", 11));
	assert_int_equal(SSL_is_init_finished(s), 0);
}

/* Free a client and server connection and their contexts. */
static void
conn_free(SSL *c, SSL *s, SSL_CTX *cctx, SSL_CTX *sctx)
{
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}

static void
test_pinned_ok(void **state)
{
	struct fixture *f = *state;
	SSL_CTX *sctx, *cctx;
	SSL *s, *c;
	char buf[128];
	int cst, sst;

	sctx = ctx_for(&f->us, &f->spins);
	cctx = ctx_for(&f->ru, &f->cpins);
	s = tls_ssl_new(sctx, NULL);
	c = tls_ssl_new(cctx, "us");
	assert_non_null(s);
	assert_non_null(c);
	assert_string_equal(tls_offered_fpr(s), "");
	handshake(c, s, &cst, &sst);
	assert_int_equal(cst, HS_OK);
	assert_int_equal(sst, HS_OK);
	assert_int_equal(SSL_version(c), TLS1_3_VERSION);
	assert_int_equal(SSL_version(s), TLS1_3_VERSION);
	assert_false(SSL_session_reused(c));

	/* Each side saw the other's key and asked its pins about it. */
	assert_string_equal(tls_offered_fpr(s),
	    signer_fingerprint(f->ru.signer));
	assert_string_equal(tls_offered_fpr(c),
	    signer_fingerprint(f->us.signer));
	assert_int_equal(f->spins.calls, 1);
	assert_true(f->spins.expected_null);
	assert_int_equal(f->cpins.calls, 1);
	assert_false(f->cpins.expected_null);
	assert_string_equal(f->cpins.expected, "us");

	/* The data sent right after the handshake arrives, both ways. */
	assert_int_equal(SSL_read(s, buf, sizeof(buf)), (int)sizeof(secret));
	assert_memory_equal(buf, secret, sizeof(secret));
	assert_int_equal(SSL_write(s, "pong", 4), 4);
	assert_int_equal(SSL_read(c, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "pong", 4);

	conn_free(c, s, cctx, sctx);
}

/* An accepted SSL made with plain SSL_new() works too. */
static void
test_plain_ssl_new(void **state)
{
	struct fixture *f = *state;
	SSL_CTX *sctx, *cctx;
	SSL *s, *c;
	int cst, sst;

	sctx = ctx_for(&f->us, &f->spins);
	cctx = ctx_for(&f->ru, &f->cpins);
	s = SSL_new(sctx);
	c = tls_ssl_new(cctx, "us");
	assert_non_null(s);
	assert_string_equal(tls_offered_fpr(s), "");
	handshake(c, s, &cst, &sst);
	assert_int_equal(cst, HS_OK);
	assert_int_equal(sst, HS_OK);
	assert_string_equal(tls_offered_fpr(s),
	    signer_fingerprint(f->ru.signer));
	conn_free(c, s, cctx, sctx);
}

/* A client whose key the server has not pinned. */
static void
test_client_not_pinned(void **state)
{
	struct fixture *f = *state;
	SSL_CTX *sctx, *cctx;
	SSL *s, *c;
	int cst, sst;

	sctx = ctx_for(&f->us, &f->spins);
	cctx = ctx_for(&f->rogue, &f->cpins);
	s = tls_ssl_new(sctx, NULL);
	c = tls_ssl_new(cctx, "us");
	handshake(c, s, &cst, &sst);
	/* TLS 1.3: the client finished and sent data before the refusal. */
	assert_int_equal(cst, HS_OK);
	assert_int_equal(sst, HS_FAIL);
	assert_int_equal(f->spins.calls, 1);
	assert_int_equal(SSL_get_verify_result(s),
	    X509_V_ERR_APPLICATION_VERIFICATION);
	assert_string_equal(tls_offered_fpr(s),
	    signer_fingerprint(f->rogue.signer));
	assert_server_reads_nothing(s);
	conn_free(c, s, cctx, sctx);
}

/* A server whose key the client has not pinned: the client refuses. */
static void
test_server_not_pinned(void **state)
{
	struct fixture *f = *state;
	SSL_CTX *sctx, *cctx;
	SSL *s, *c;
	int cst, sst;

	sctx = ctx_for(&f->rogue, &f->spins);
	cctx = ctx_for(&f->ru, &f->cpins);
	s = tls_ssl_new(sctx, NULL);
	c = tls_ssl_new(cctx, "us");
	handshake(c, s, &cst, &sst);
	assert_int_equal(cst, HS_FAIL);
	assert_int_equal(sst, HS_FAIL);
	assert_int_equal(SSL_get_verify_result(c),
	    X509_V_ERR_APPLICATION_VERIFICATION);
	assert_string_equal(tls_offered_fpr(c),
	    signer_fingerprint(f->rogue.signer));
	/* The client stopped before sending its certificate. */
	assert_int_equal(f->spins.calls, 0);
	assert_server_reads_nothing(s);
	conn_free(c, s, cctx, sctx);
}

/* A pinned key is accepted only for its own party when dialling. */
static void
test_wrong_party(void **state)
{
	struct fixture *f = *state;
	SSL_CTX *sctx, *cctx;
	SSL *s, *c;
	int cst, sst;

	pins_add(&f->cpins, "ru2", &f->rogue);
	sctx = ctx_for(&f->us, &f->spins);
	cctx = ctx_for(&f->ru, &f->cpins);
	s = tls_ssl_new(sctx, NULL);
	c = tls_ssl_new(cctx, "ru2");		/* dial ru2, reach us */
	handshake(c, s, &cst, &sst);
	assert_int_equal(cst, HS_FAIL);
	assert_int_equal(sst, HS_FAIL);
	assert_string_equal(f->cpins.expected, "ru2");
	assert_string_equal(tls_offered_fpr(c),
	    signer_fingerprint(f->us.signer));
	assert_server_reads_nothing(s);
	conn_free(c, s, cctx, sctx);
}

/* A client that presents no certificate at all. */
static void
test_no_client_cert(void **state)
{
	struct fixture *f = *state;
	SSL_CTX *sctx, *cctx;
	SSL *s, *c;
	int cst, sst;

	sctx = ctx_for(&f->us, &f->spins);
	cctx = SSL_CTX_new(TLS_method());
	assert_non_null(cctx);
	assert_int_equal(SSL_CTX_set_min_proto_version(cctx, TLS1_3_VERSION),
	    1);
	SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, NULL);
	s = tls_ssl_new(sctx, NULL);
	c = SSL_new(cctx);
	assert_non_null(c);
	handshake(c, s, &cst, &sst);
	assert_int_equal(cst, HS_OK);
	assert_int_equal(sst, HS_FAIL);
	assert_int_equal(f->spins.calls, 0);
	assert_string_equal(tls_offered_fpr(s), "");
	assert_null(SSL_get0_peer_certificate(s));
	assert_server_reads_nothing(s);
	conn_free(c, s, cctx, sctx);
}

/* A pinned client limited to TLS 1.2 is refused before any key check. */
static void
test_tls12_refused(void **state)
{
	struct fixture *f = *state;
	SSL_CTX *sctx, *cctx;
	SSL *s, *c;
	int cst, sst;

	sctx = ctx_for(&f->us, &f->spins);
	cctx = ctx_for(&f->ru, &f->cpins);
	s = tls_ssl_new(sctx, NULL);
	c = tls_ssl_new(cctx, "us");
	assert_int_equal(SSL_set_min_proto_version(c, TLS1_2_VERSION), 1);
	assert_int_equal(SSL_set_max_proto_version(c, TLS1_2_VERSION), 1);
	handshake(c, s, &cst, &sst);
	assert_int_equal(sst, HS_FAIL);
	assert_int_equal(cst, HS_FAIL);
	assert_int_equal(f->spins.calls, 0);
	assert_int_equal(f->cpins.calls, 0);
	assert_server_reads_nothing(s);
	conn_free(c, s, cctx, sctx);
}

static void
test_ctx_errors(void **state)
{
	struct fixture *f = *state;
	char err[256], missing[PATH_MAX + 16];

	/* Our certificate with someone else's key. */
	err[0] = '\0';
	assert_null(tls_ctx_new(f->ru.signer, f->us.cert, pin_cb, &f->spins,
	    err, sizeof(err)));
	assert_non_null(strstr(err, "does not match"));
	assert_true(snprintf(missing, sizeof(missing), "%s/none.pem",
	    f->base) < (int)sizeof(missing));
	assert_null(tls_ctx_new(f->us.signer, missing, pin_cb, &f->spins,
	    err, sizeof(err)));
	assert_non_null(strstr(err, "none.pem"));
	assert_null(tls_ctx_new(f->us.signer, f->us.cert, NULL, NULL, err,
	    sizeof(err)));
	assert_string_equal(tls_offered_fpr(NULL), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_pinned_ok, reset_pins),
		cmocka_unit_test_setup(test_plain_ssl_new, reset_pins),
		cmocka_unit_test_setup(test_client_not_pinned, reset_pins),
		cmocka_unit_test_setup(test_server_not_pinned, reset_pins),
		cmocka_unit_test_setup(test_wrong_party, reset_pins),
		cmocka_unit_test_setup(test_no_client_cert, reset_pins),
		cmocka_unit_test_setup(test_tls12_refused, reset_pins),
		cmocka_unit_test_setup(test_ctx_errors, reset_pins),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
