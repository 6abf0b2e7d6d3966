/*
 * https.c: the HTTPS listener on [https] listen: the web console's files,
 * and the API routes of api.c for authenticated accounts.
 *
 * Each connection is TLS (1.3 only; OpenSSL through libevent's
 * bufferevent_openssl) under the same request guard as the Unix socket
 * (http.c), handed to evhttp with evhttp_set_bevcb. Before a request is
 * routed, its caller is established and written into struct api_req.who:
 *
 *   - Authorization: Basic (RFC 7617), for API and TAXII clients and
 *     Prometheus. Verified against the argon2id hash (account.c), then
 *     remembered for a minute as a keyed hash (auth.c).
 *   - the hotline_session cookie (Secure, HttpOnly, SameSite=Strict), for
 *     the console, set by POST /v1/login. Every request that is not GET or
 *     HEAD must carry the session's CSRF token in X-CSRF-Token.
 *
 * Any state-changing request whose Origin is not this listener, or whose
 * Sec-Fetch-Site says cross-site, is refused whatever its credentials.
 * Logins are throttled per account and per client address (auth.c).
 *
 * The certificate is [https] cert/key; if neither file exists a
 * self-signed ECDSA P-256 certificate is made on first start (browsers do
 * not accept Ed25519 server certificates, so the node's link certificate
 * cannot serve the console; API clients may still be given it).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "account.h"
#include "api.h"
#include "auth.h"
#include "config.h"
#include "hotlined.h"
#include "http.h"
#include "https.h"
#include "identity.h"
#include "log.h"
#include "util.h"

#define HTTPS_MAX_HEADERS	8192
#define HTTPS_TIMEOUT_S		30
#define HTTPS_FILE_MAX		(2 * 1024 * 1024)
#define HTTPS_CERT_DAYS		825

struct https {
	struct hotlined		*d;
	struct evhttp		*http;
	SSL_CTX			*ctx;
	struct auth		*auth;
	struct https_stats	 st;
	char			 dummy[128];	/* account_dummy_hash() */
};

static uint64_t
now_ms(void)
{
	return now_mono_us() / 1000;
}

/*
 * Make a self-signed ECDSA P-256 certificate for host (an IP address or
 * a name; also localhost, 127.0.0.1 and ::1) and write the key (0600,
 * not replacing a file) and the certificate. 0 or -1 (logged).
 */
static int
cert_create(const char *certpath, const char *keypath, const char *party,
    const char *host)
{
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	X509_NAME *nm;
	BIO *kb = NULL, *cb = NULL;
	char cn[96], san[CONFIG_ADDR_MAX + 64], *kp, *cp;
	long klen, clen;
	uint64_t serial;
	int rc = -1, isip, fd;

	if ((pk = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL)
		goto fail;
	if (RAND_bytes((unsigned char *)&serial, sizeof(serial)) != 1)
		goto fail;
	(void)snprintf(cn, sizeof(cn), "hotline %s console", party);
	isip = strspn(host, "0123456789.:abcdefABCDEF") == strlen(host) &&
	    strpbrk(host, ".:") != NULL;
	if (strcmp(host, "localhost") == 0 || strcmp(host, "127.0.0.1") == 0 ||
	    strcmp(host, "::1") == 0 || host[0] == '\0')
		(void)snprintf(san, sizeof(san), "DNS:localhost,IP:127.0.0.1,"
		    "IP:::1");
	else
		(void)snprintf(san, sizeof(san), "%s:%s,DNS:localhost,"
		    "IP:127.0.0.1,IP:::1", isip ? "IP" : "DNS", host);
	nm = X509_get_subject_name(x);
	if (X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set_uint64(X509_get_serialNumber(x),
	    serial >> 1) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x),
	    (long)HTTPS_CERT_DAYS * 86400) == NULL ||
	    X509_set_pubkey(x, pk) != 1 ||
	    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, nm) != 1)
		goto fail;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
	    san)) == NULL || X509_add_ext(x, ext, -1) != 1) {
		X509_EXTENSION_free(ext);
		goto fail;
	}
	X509_EXTENSION_free(ext);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, NID_ext_key_usage,
	    "serverAuth")) == NULL || X509_add_ext(x, ext, -1) != 1) {
		X509_EXTENSION_free(ext);
		goto fail;
	}
	X509_EXTENSION_free(ext);
	if (X509_sign(x, pk, EVP_sha256()) == 0)
		goto fail;
	if ((kb = BIO_new(BIO_s_mem())) == NULL ||
	    (cb = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PrivateKey(kb, pk, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_X509(cb, x) != 1)
		goto fail;
	klen = BIO_get_mem_data(kb, &kp);
	clen = BIO_get_mem_data(cb, &cp);
	/* The key first, never over an existing file. */
	fd = open(keypath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1) {
		log_warn("https: %s", keypath);
		goto out;
	}
	if (write(fd, kp, (size_t)klen) != klen || fsync(fd) == -1) {
		log_warn("https: writing %s", keypath);
		close(fd);
		unlink(keypath);
		goto out;
	}
	close(fd);
	if (write_file_atomic(certpath, cp, (size_t)clen, 0644) == -1) {
		log_warn("https: writing %s", certpath);
		unlink(keypath);
		goto out;
	}
	log_info("https: made a self-signed certificate %s (%s)", certpath,
	    san);
	rc = 0;
	goto out;
 fail:
	log_warnx("https: cannot make a certificate: %s",
	    ERR_reason_error_string(ERR_get_error()));
 out:
	BIO_free(kb);
	BIO_free(cb);
	X509_free(x);
	EVP_PKEY_free(pk);
	return rc;
}

/* The TLS context: TLS 1.3, our certificate, no client certificates. */
static SSL_CTX *
https_ctx_new(struct hotlined *d)
{
	struct config *cf = &d->cf;
	char host[CONFIG_ADDR_MAX], port[16], err[256];
	struct stat sb;
	SSL_CTX *ctx;
	int hc, hk;

	hc = stat(cf->https_cert, &sb) == 0;
	hk = stat(cf->https_key, &sb) == 0;
	if (!hc && !hk) {
		if (config_addr_split(cf->https_listen, host, sizeof(host), port,
		    sizeof(port)) == -1)
			host[0] = '\0';
		if (cert_create(cf->https_cert, cf->https_key, cf->party,
		    host) == -1)
			return NULL;
	} else if (!hc || !hk) {
		log_warnx("https: %s exists but %s does not", hc ?
		    cf->https_cert : cf->https_key, hc ? cf->https_key :
		    cf->https_cert);
		return NULL;
	}
	if (identity_check_key_perms(cf->https_key, err, sizeof(err)) == -1) {
		log_warnx("https: %s", err);
		return NULL;
	}
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return NULL;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_use_certificate_chain_file(ctx, cf->https_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, cf->https_key,
	    SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		log_warnx("https: %s / %s: %s", cf->https_cert, cf->https_key,
		    ERR_reason_error_string(ERR_get_error()));
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
}

/* evhttp's bufferevent for a connection: TLS, then the request guard. */
static struct bufferevent *
https_bevcb(struct event_base *base, void *arg)
{
	struct hotlined *d = arg;
	struct bufferevent *under;
	struct timeval tv = { HTTPS_TIMEOUT_S, 0 };
	SSL *ssl;

	if ((ssl = SSL_new(d->https->ctx)) == NULL)
		return NULL;
	under = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (under == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(under, 1);
	bufferevent_set_timeouts(under, &tv, &tv);
	return http_guard_new(under, HTTPS_MAX_HEADERS, d->cf.api_max_request);
}

static const char *
in_header(struct evhttp_request *r, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(r), name);
}

static void
out_header(struct evhttp_request *r, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(r), name, value);
}

/* The client's address, for throttling and logs. */
static const char *
client_addr(struct evhttp_request *r)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(r);
	char *host = NULL;
	ev_uint16_t port;

	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &host, &port);
	return host != NULL ? host : "?";
}

static bool
state_changing(struct evhttp_request *r)
{
	enum evhttp_cmd_type c = evhttp_request_get_command(r);

	return c != EVHTTP_REQ_GET && c != EVHTTP_REQ_HEAD;
}

/*
 * Refuse a state-changing request sent from another site: an Origin that
 * is not https://<Host>, or Sec-Fetch-Site: cross-site. 0, or -1 after a
 * 403.
 */
static int
origin_check(struct https *h, struct api_req *q)
{
	const char *origin = in_header(q->r, "Origin");
	const char *host = in_header(q->r, "Host");
	const char *site = in_header(q->r, "Sec-Fetch-Site");

	if (!state_changing(q->r))
		return 0;
	if ((site != NULL && strcmp(site, "cross-site") == 0) ||
	    (origin != NULL && (host == NULL ||
	    strncmp(origin, "https://", 8) != 0 ||
	    strcmp(origin + 8, host) != 0))) {
		h->st.csrf_refused++;
		log_warnx("https: refused a cross-site %s %s from %s (Origin "
		    "%.100s)", "request", evhttp_request_get_uri(q->r),
		    client_addr(q->r), origin != NULL ? origin : "none");
		api_reply_error(q, 403, "cross-site request refused");
		return -1;
	}
	return 0;
}

/* Throttle keys of a login attempt. */
static void
throttle_keys(const char *name, const char *addr, char *ku, size_t kusz,
    char *ka, size_t kasz)
{
	(void)snprintf(ku, kusz, "u:%.64s", name);
	(void)snprintf(ka, kasz, "a:%.60s", addr);
}

/* 429 with Retry-After if the attempt must wait. 0 go ahead, -1 answered. */
static int
throttle_check(struct https *h, struct api_req *q, const char *ku,
    const char *ka)
{
	uint64_t w1, w2, now = now_ms();
	char ra[32];

	w1 = auth_throttle_wait(h->auth, ku, now);
	w2 = auth_throttle_wait(h->auth, ka, now);
	if (w2 > w1)
		w1 = w2;
	if (w1 == 0)
		return 0;
	h->st.logins_throttled++;
	(void)snprintf(ra, sizeof(ra), "%llu",
	    (unsigned long long)(w1 + 999) / 1000);
	out_header(q->r, "Retry-After", ra);
	api_reply_error(q, 429, "too many failed logins; try again in %s s",
	    ra);
	return -1;
}

/*
 * Check a name and password (throttled). 1 and *a filled when they are
 * an enabled account's, 0 after answering 401 or 429, -1 after a 503.
 */
static int
login_check(struct https *h, struct api_req *q, const char *name,
    const char *pw, size_t pwlen, struct account_row *a)
{
	char ku[96], ka[96], b1[160], b2[80];
	const char *addr = client_addr(q->r);
	int rc;

	throttle_keys(name, addr, ku, sizeof(ku), ka, sizeof(ka));
	if (throttle_check(h, q, ku, ka) == -1)
		return 0;
	rc = account_check(h->d->st, h->dummy, name, pw, pwlen, a);
	if (rc == -1) {
		api_reply_error(q, 503, "store unavailable");
		return -1;
	}
	if (rc == 0) {
		auth_throttle_fail(h->auth, ku, now_ms());
		auth_throttle_fail(h->auth, ka, now_ms());
		h->st.logins_failed++;
		log_event(1, "login_failed", "account=%s addr=%s",
		    log_q(name, b1, sizeof(b1)), log_q(addr, b2, sizeof(b2)));
		api_reply_error(q, 401, "wrong name or password, or the "
		    "account is disabled");
		return 0;
	}
	auth_throttle_ok(h->auth, ku);
	auth_throttle_ok(h->auth, ka);
	return 1;
}

static void
session_reply(struct api_req *q, int status, const struct auth_session *s)
{
	api_reply_json(q, status, json_pack("{s:s, s:s, s:s, s:s}", "account",
	    s->account, "role", account_role_name(s->role), "csrf", s->csrf,
	    "party", q->d->cf.party));
}

/* POST /v1/login {"name", "password"}: a session cookie. */
static void
h_login(struct https *h, struct api_req *q)
{
	static const char *const fields[] = { "name", "password", NULL };
	const struct auth_session *s;
	struct account_row a;
	char cookie[128], b2[80];
	const char *name, *pw;
	json_t *req, *v;

	if (evhttp_request_get_command(q->r) != EVHTTP_REQ_POST) {
		api_method_not_allowed(q, "POST");
		return;
	}
	if (origin_check(h, q) == -1 || (req = api_read_body(q, 0)) == NULL)
		return;
	if (api_check_fields(q, req, fields) == -1)
		goto done;
	name = json_string_value(json_object_get(req, "name"));
	v = json_object_get(req, "password");
	if (name == NULL || !json_is_string(v) ||
	    json_string_length(v) > ACCOUNT_PASSWORD_MAX) {
		api_reply_error(q, 400, "expected {\"name\": ..., "
		    "\"password\": ...}");
		goto done;
	}
	pw = json_string_value(v);
	if (login_check(h, q, name, pw, json_string_length(v), &a) != 1)
		goto done;
	if ((s = auth_session_new(h->auth, a.name, a.role, now_ms())) ==
	    NULL) {
		api_reply_error(q, 500, "cannot make a session");
		goto done;
	}
	h->st.logins_ok++;
	log_event(0, "login", "account=%s role=%s addr=%s", a.name,
	    account_role_name(a.role), log_q(client_addr(q->r), b2,
	    sizeof(b2)));
	(void)snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; Secure; "
	    "HttpOnly; SameSite=Strict", AUTH_COOKIE, s->token);
	out_header(q->r, "Set-Cookie", cookie);
	session_reply(q, 200, s);
 done:
	json_decref(req);
}

/* The session of the request's cookie, or NULL. */
static const struct auth_session *
cookie_session(struct https *h, struct evhttp_request *r)
{
	char tok[AUTH_TOKEN_LEN + 1];

	if (auth_cookie_find(in_header(r, "Cookie"), AUTH_COOKIE, tok,
	    sizeof(tok)) != 0)
		return NULL;
	return auth_session_get(h->auth, tok, now_ms());
}

static void
reply_unauthorized(struct https *h, struct api_req *q, const char *why)
{
	char b1[300], b2[80];

	h->st.auth_refused++;
	log_event(1, "auth_refused", "uri=%s addr=%s",
	    log_q(evhttp_request_get_uri(q->r), b1, sizeof(b1)),
	    log_q(client_addr(q->r), b2, sizeof(b2)));
	/* No challenge for the console's own requests, so the browser does
	 * not pop up its password dialog. */
	if (in_header(q->r, "X-Hotline-Console") == NULL)
		out_header(q->r, "WWW-Authenticate",
		    "Basic realm=\"hotline\", charset=\"UTF-8\"");
	api_reply_error(q, 401, "%s", why);
}

/*
 * Establish the caller of a request into q->who: Basic credentials or a
 * session cookie (with its CSRF token on state-changing requests). 0, or
 * -1 after answering.
 */
static int
https_authenticate(struct https *h, struct api_req *q)
{
	const char *authz = in_header(q->r, "Authorization");
	const struct auth_session *s;
	struct account_row a;
	char user[ACCOUNT_NAME_MAX + 1], pw[ACCOUNT_PASSWORD_MAX + 1];
	size_t pwlen;
	int role, rc = -1;

	if (origin_check(h, q) == -1)
		return -1;
	if (authz != NULL) {
		if (auth_parse_basic(authz, user, sizeof(user), pw, sizeof(pw),
		    &pwlen) == -1) {
			reply_unauthorized(h, q, "malformed Authorization "
			    "(expected Basic credentials)");
			goto done;
		}
		if (auth_cache_get(h->auth, user, pw, pwlen, now_ms(),
		    &role) == 1) {
			(void)snprintf(q->who.account, sizeof(q->who.account),
			    "%s", user);
			q->who.role = role;
			rc = 0;
			goto done;
		}
		if (login_check(h, q, user, pw, pwlen, &a) != 1)
			goto done;
		h->st.logins_ok++;
		auth_cache_put(h->auth, a.name, pw, pwlen, a.role, now_ms());
		(void)snprintf(q->who.account, sizeof(q->who.account), "%s",
		    a.name);
		q->who.role = a.role;
		rc = 0;
		goto done;
	}
	if ((s = cookie_session(h, q->r)) == NULL) {
		reply_unauthorized(h, q, "log in first (POST /v1/login) or send "
		    "Basic credentials");
		return -1;
	}
	if (state_changing(q->r) &&
	    !auth_csrf_ok(s, in_header(q->r, "X-CSRF-Token"))) {
		h->st.csrf_refused++;
		log_warnx("https: %s: missing or wrong CSRF token on %s from %s",
		    s->account, evhttp_request_get_uri(q->r),
		    client_addr(q->r));
		api_reply_error(q, 403, "missing or wrong CSRF token "
		    "(X-CSRF-Token)");
		return -1;
	}
	(void)snprintf(q->who.account, sizeof(q->who.account), "%s",
	    s->account);
	q->who.role = s->role;
	return 0;
 done:
	OPENSSL_cleanse(pw, sizeof(pw));
	return rc;
}

/* POST /v1/logout; GET /v1/session. */
static void
h_session(struct https *h, struct api_req *q, int logout)
{
	const struct auth_session *s = cookie_session(h, q->r);
	char cookie[128];

	if (logout) {
		if (evhttp_request_get_command(q->r) != EVHTTP_REQ_POST) {
			api_method_not_allowed(q, "POST");
			return;
		}
		if (origin_check(h, q) == -1)
			return;
		if (s != NULL && !auth_csrf_ok(s,
		    in_header(q->r, "X-CSRF-Token"))) {
			h->st.csrf_refused++;
			api_reply_error(q, 403, "missing or wrong CSRF token");
			return;
		}
		if (s != NULL) {
			log_info("https: %s logged out", s->account);
			auth_session_end(h->auth, s->token);
		}
		(void)snprintf(cookie, sizeof(cookie), "%s=; Path=/; Secure; "
		    "HttpOnly; SameSite=Strict; Max-Age=0", AUTH_COOKIE);
		out_header(q->r, "Set-Cookie", cookie);
		api_reply_json(q, 200, json_pack("{s:b}", "logged_out", 1));
		return;
	}
	if (evhttp_request_get_command(q->r) != EVHTTP_REQ_GET) {
		api_method_not_allowed(q, "GET");
		return;
	}
	if (s == NULL) {
		reply_unauthorized(h, q, "no session; log in");
		return;
	}
	session_reply(q, 200, s);
}

static const char *
content_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL)
		return NULL;
	if (strcmp(dot, ".html") == 0)
		return "text/html; charset=utf-8";
	if (strcmp(dot, ".css") == 0)
		return "text/css; charset=utf-8";
	if (strcmp(dot, ".js") == 0)
		return "text/javascript; charset=utf-8";
	if (strcmp(dot, ".json") == 0)
		return "application/json";
	if (strcmp(dot, ".svg") == 0)
		return "image/svg+xml";
	if (strcmp(dot, ".wav") == 0)
		return "audio/wav";
	return NULL;
}

/*
 * GET /console/NAME: a file of web_dir. Names are [a-z0-9-]+.EXT, one
 * level, with a known extension: nothing else of the disk is reachable.
 */
static void
h_static(struct https *h, struct api_req *q, const char *name)
{
	struct evbuffer *out;
	const char *type;
	char path[PATH_MAX];
	struct stat sb;
	size_t n = strlen(name), stem;
	int fd;

	if (evhttp_request_get_command(q->r) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(q->r) != EVHTTP_REQ_HEAD) {
		api_method_not_allowed(q, "GET");
		return;
	}
	if (*name == '\0')
		name = "index.html", n = strlen(name);
	stem = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-");
	if (n > 64 || stem == 0 || name[stem] != '.' ||
	    strspn(name + stem + 1, "abcdefghijklmnopqrstuvwxyz") !=
	    n - stem - 1 || (type = content_type(name)) == NULL ||
	    snprintf(path, sizeof(path), "%s/%s", h->d->cf.web_dir, name) >=
	    (int)sizeof(path)) {
		api_reply_error(q, 404, "no such console file");
		return;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > HTTPS_FILE_MAX) {
		if (fd != -1)
			close(fd);
		api_reply_error(q, 404, "no such console file");
		return;
	}
	out = evhttp_request_get_output_buffer(q->r);
	if (evbuffer_add_file(out, fd, 0, sb.st_size) == -1) {	/* owns fd */
		api_reply_error(q, 500, "cannot read %s", name);
		return;
	}
	out_header(q->r, "Content-Type", type);
	out_header(q->r, "Cache-Control", "no-cache");
	evhttp_send_reply(q->r, 200, "OK", NULL);
}

static void
security_headers(struct evhttp_request *r)
{
	out_header(r, "Strict-Transport-Security", "max-age=31536000");
	out_header(r, "X-Content-Type-Options", "nosniff");
	out_header(r, "X-Frame-Options", "DENY");
	out_header(r, "Referrer-Policy", "no-referrer");
	out_header(r, "Content-Security-Policy", "default-src 'self'; "
	    "img-src 'self' data:; media-src 'self' data:; "
	    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
}

static void
https_request(struct evhttp_request *r, void *arg)
{
	struct hotlined *d = arg;
	struct https *h = d->https;
	struct api_req q = { d, r, { "", -1, 0 } };
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;

	security_headers(r);
	if (path == NULL || strncmp(path, HTTP_REFUSED_PATH,
	    sizeof(HTTP_REFUSED_PATH) - 1) == 0) {
		api_serve(&q);	/* the guard's refusal, or a 400 */
		return;
	}
	if (strcmp(path, "/") == 0 || strcmp(path, "/console") == 0) {
		out_header(r, "Location", "/console/");
		evhttp_send_reply(r, 303, "See Other", NULL);
		return;
	}
	if (strncmp(path, "/console/", 9) == 0) {
		h_static(h, &q, path + 9);
		return;
	}
	if (strcmp(path, "/v1/login") == 0) {
		h_login(h, &q);
		return;
	}
	if (strcmp(path, "/v1/logout") == 0 || strcmp(path, "/v1/session") ==
	    0) {
		h_session(h, &q, path[4] == 'l');
		return;
	}
	if (https_authenticate(h, &q) == -1)
		return;
	out_header(r, "Cache-Control", "no-store");
	api_serve(&q);
}

int
https_start(struct hotlined *d)
{
	struct https *h;
	char host[CONFIG_ADDR_MAX], port[16];
	uint64_t p;

	if (d->cf.https_listen[0] == '\0')
		return 0;
	h = xcalloc(1, sizeof(*h));
	h->d = d;
	d->https = h;
	if (config_addr_split(d->cf.https_listen, host, sizeof(host), port,
	    sizeof(port)) == -1 || parse_u64(port, 1, 65535, &p) == -1) {
		log_warnx("https: bad listen address %s", d->cf.https_listen);
		goto fail;
	}
	if ((h->ctx = https_ctx_new(d)) == NULL || (h->auth = auth_new()) ==
	    NULL || (h->http = evhttp_new(d->base)) == NULL ||
	    account_dummy_hash(h->dummy, sizeof(h->dummy)) == -1)
		goto fail;
	evhttp_set_bevcb(h->http, https_bevcb, d);
	evhttp_set_max_body_size(h->http, (ev_ssize_t)d->cf.api_max_request);
	evhttp_set_max_headers_size(h->http, 2 * HTTPS_MAX_HEADERS);
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_HEAD);
	evhttp_set_default_content_type(h->http, "application/json");
	evhttp_set_gencb(h->http, https_request, d);
	if (evhttp_bind_socket(h->http, host, (ev_uint16_t)p) == -1) {
		log_warn("https: cannot listen on %s", d->cf.https_listen);
		goto fail;
	}
	log_info("https: listening on %s (console https://%s/console/)",
	    d->cf.https_listen, d->cf.https_listen);
	return 0;
 fail:
	https_stop(d);
	return -1;
}

void
https_stop(struct hotlined *d)
{
	struct https *h = d->https;

	if (h == NULL)
		return;
	if (h->http != NULL)
		evhttp_free(h->http);
	SSL_CTX_free(h->ctx);
	auth_free(h->auth);
	free(h);
	d->https = NULL;
}

void
https_account_changed(struct hotlined *d, const char *name)
{
	if (d->https != NULL)
		auth_account_drop(d->https->auth, name);
}

int
https_stats_get(struct hotlined *d, struct https_stats *s)
{
	if (d->https == NULL)
		return -1;
	*s = d->https->st;
	s->sessions = auth_session_count(d->https->auth);
	return 0;
}
