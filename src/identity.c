/*
 * identity.c: the node's identity files and public-key operations.
 *
 * identity_init() creates a node directory: a fresh Ed25519 key (PKCS#8
 * PEM, mode 0600, created with O_EXCL|O_NOFOLLOW), a self-signed X.509
 * certificate for it (the TLS certificate; peers pin its key, not the
 * certificate) and a commented hotline.conf. It never overwrites a file and
 * removes what it created if a later step fails.
 *
 * Fingerprints are SHA-256 over the raw 32-byte Ed25519 public key, in
 * lowercase hex, so they do not change when a certificate is re-issued for
 * the same key. Signature verification is here because it needs only public
 * keys; everything that touches the private key after creation is in
 * signer.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "identity.h"
#include "util.h"

#define IDENTITY_DEFAULT_LISTEN	"127.0.0.1:7701"
#define IDENTITY_CERT_DAYS	(20 * 365 + 5)	/* 20 years with leap days */

enum { F_KEY, F_CERT, F_CONF, F_COUNT };

static const char *const identity_files[F_COUNT] = {
	"key.pem", "cert.pem", "hotline.conf"
};

static const char identity_conf_fmt[] =
"# hotline.conf: configuration of the hotline node for party \"%s\". See hotline.conf(5).\n"
"[node]\n"
"party = %s\n"
"# Address the peers dial (TLS 1.3, pinned keys). Empty: accept nothing, only dial.\n"
"listen = %s\n"
"# Data directory (database, key, certificate); relative to this file's directory.\n"
"data_dir = .\n"
"# api_socket = api.sock     ; local HTTP API (Unix socket, mode 0660), default DATA_DIR/api.sock\n"
"# key = key.pem             ; default DATA_DIR/key.pem, must be mode 0600\n"
"# cert = cert.pem           ; default DATA_DIR/cert.pem\n"
"\n"
"[link]\n"
"# heartbeat = 5s\n"
"# dead_after = 15s\n"
"# handshake_timeout = 10s\n"
"# reconnect_min = 250ms\n"
"# reconnect_max = 10s\n"
"\n"
"[limits]\n"
"# max_body = 49152\n"
"# api_max_request = 65536\n"
"# api_max_clients = 64\n"
"# peer_max_pending = 262144\n"
"# peer_max_connections = 4\n"
"\n"
"# One section per peer party; get its fingerprint out of band (`hotline fingerprint` on its node):\n"
"# [peer ru]\n"
"# fingerprint = 64 hex digits\n"
"# address = 192.0.2.10:7701     ; tried in order: primary first, then backups\n"
"# address = 198.51.100.10:7701\n";

/* Append OpenSSL's first queued error, if any, to a message. */
static void
identity_err(char *err, size_t errlen, const char *what, const char *path)
{
	char ossl[256];
	unsigned long e;

	e = ERR_get_error();
	ERR_clear_error();
	if (e != 0)
		ERR_error_string_n(e, ossl, sizeof(ossl));
	/* Truncation only shortens the message. */
	if (path != NULL)
		(void)snprintf(err, errlen, "%s: %s%s%s", path, what,
		    e != 0 ? ": " : "", e != 0 ? ossl : "");
	else
		(void)snprintf(err, errlen, "%s%s%s", what,
		    e != 0 ? ": " : "", e != 0 ? ossl : "");
}

static int
write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Create path exclusively (never through a symlink) with mode, write data
 * and fsync it. Returns 0, or -1 with errno set and nothing left behind
 * except when the file already existed (EEXIST: it is not ours to remove).
 */
static int
create_file(const char *path, int mode, const void *data, size_t len)
{
	int fd, saved;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode)) == -1)
		return -1;
	if (write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(path);
		errno = saved;
		return -1;
	}
	if (close(fd) == -1) {
		saved = errno;
		unlink(path);
		errno = saved;
		return -1;
	}
	return 0;
}

/* The value written after "listen = ": one token, no INI metacharacters. */
static bool
listen_addr_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n >= CONFIG_ADDR_MAX)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == ';' || s[i] == '#')
			return false;
	}
	return true;
}

/* Self-signed X.509 v3 certificate for key, CN "hotline <party>". */
static X509 *
identity_make_cert(EVP_PKEY *key, const char *party)
{
	X509 *x = NULL;
	X509_NAME *name = NULL;
	X509_EXTENSION *ext = NULL;
	X509V3_CTX v3;
	BIGNUM *bn = NULL;
	ASN1_INTEGER *serial = NULL;
	unsigned char rnd[16];
	char cn[sizeof("hotline ") + PARTY_MAX];
	static const struct { int nid; const char *value; } exts[] = {
		{ NID_basic_constraints, "critical,CA:FALSE" },
		{ NID_key_usage, "critical,digitalSignature" },
	};
	size_t i;

	if (snprintf(cn, sizeof(cn), "hotline %s", party) >= (int)sizeof(cn))
		return NULL;
	if ((x = X509_new()) == NULL ||
	    X509_set_version(x, X509_VERSION_3) != 1)
		goto fail;
	/* 128 random bits, a positive INTEGER of at most 17 octets. */
	if (RAND_bytes(rnd, sizeof(rnd)) != 1 ||
	    (bn = BN_bin2bn(rnd, sizeof(rnd), NULL)) == NULL ||
	    (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    X509_set_serialNumber(x, serial) != 1)
		goto fail;
	if (X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), IDENTITY_CERT_DAYS, 0,
	    NULL) == NULL)
		goto fail;
	if ((name = X509_NAME_new()) == NULL ||
	    X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, name) != 1 ||
	    X509_set_pubkey(x, key) != 1)
		goto fail;
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		if ((ext = X509V3_EXT_conf_nid(NULL, &v3, exts[i].nid,
		    exts[i].value)) == NULL || X509_add_ext(x, ext, -1) != 1)
			goto fail;
		X509_EXTENSION_free(ext);
		ext = NULL;
	}
	/* Ed25519 signs the whole TBSCertificate itself: no digest. */
	if (X509_sign(x, key, NULL) <= 0)
		goto fail;
	X509_NAME_free(name);
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	return x;
fail:
	X509_EXTENSION_free(ext);
	X509_NAME_free(name);
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	X509_free(x);
	return NULL;
}

int
identity_init(const char *dir, const char *party, const char *listen_addr,
    char *err, size_t errlen)
{
	char paths[F_COUNT][PATH_MAX];
	bool created[F_COUNT] = { false };
	struct stat st;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	BIO *bio = NULL;
	BUF_MEM *bm;
	char *conf = NULL;
	int i, n, dfd;

	if (listen_addr == NULL)
		listen_addr = IDENTITY_DEFAULT_LISTEN;
	if (!party_id_valid(party)) {
		(void)snprintf(err, errlen, "bad party id \"%s\": want "
		    "[a-z0-9-]{1,%d}", party ? party : "", PARTY_MAX);
		return -1;
	}
	if (!listen_addr_valid(listen_addr)) {
		(void)snprintf(err, errlen, "bad listen address \"%s\"",
		    listen_addr);
		return -1;
	}
	for (i = 0; i < F_COUNT; i++) {
		if (snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir,
		    identity_files[i]) >= (int)sizeof(paths[i])) {
			(void)snprintf(err, errlen, "%s: path too long", dir);
			return -1;
		}
	}

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		(void)snprintf(err, errlen, "mkdir %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		(void)snprintf(err, errlen, "%s: not a directory", dir);
		return -1;
	}
	/* Check all three first so that a refusal changes nothing. */
	for (i = 0; i < F_COUNT; i++) {
		if (lstat(paths[i], &st) == 0) {
			(void)snprintf(err, errlen, "%s: exists; refusing to "
			    "overwrite it", paths[i]);
			return -1;
		}
		if (errno != ENOENT) {
			(void)snprintf(err, errlen, "%s: %s", paths[i],
			    strerror(errno));
			return -1;
		}
	}

	/* The key, PEM-encoded in secure memory that is wiped when freed. */
	if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL) {
		identity_err(err, errlen, "Ed25519 key generation failed",
		    NULL);
		goto fail;
	}
	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL,
	    NULL) != 1 ||
	    BIO_get_mem_ptr(bio, &bm) != 1) {
		identity_err(err, errlen, "cannot encode the key",
		    paths[F_KEY]);
		goto fail;
	}
	if (create_file(paths[F_KEY], 0600, bm->data, bm->length) == -1) {
		(void)snprintf(err, errlen, "%s: %s", paths[F_KEY],
		    strerror(errno));
		goto fail;
	}
	created[F_KEY] = true;
	BIO_free(bio);
	bio = NULL;

	if ((cert = identity_make_cert(key, party)) == NULL ||
	    (bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509(bio, cert) != 1 ||
	    BIO_get_mem_ptr(bio, &bm) != 1) {
		identity_err(err, errlen, "cannot make the certificate",
		    paths[F_CERT]);
		goto fail;
	}
	if (create_file(paths[F_CERT], 0644, bm->data, bm->length) == -1) {
		(void)snprintf(err, errlen, "%s: %s", paths[F_CERT],
		    strerror(errno));
		goto fail;
	}
	created[F_CERT] = true;

	if ((n = asprintf(&conf, identity_conf_fmt, party, party,
	    listen_addr)) == -1) {
		conf = NULL;
		(void)snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* Group-readable: operators in the node's group run the CLI. */
	if (create_file(paths[F_CONF], 0640, conf, (size_t)n) == -1) {
		(void)snprintf(err, errlen, "%s: %s", paths[F_CONF],
		    strerror(errno));
		goto fail;
	}
	created[F_CONF] = true;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(conf);
	BIO_free(bio);
	X509_free(cert);
	EVP_PKEY_free(key);
	return 0;
fail:
	for (i = 0; i < F_COUNT; i++)
		if (created[i])
			unlink(paths[i]);
	free(conf);
	BIO_free(bio);
	X509_free(cert);
	EVP_PKEY_free(key);
	return -1;
}

int
identity_fingerprint(EVP_PKEY *pub, char out[FPR_HEX_LEN + 1])
{
	uint8_t raw[ED25519_PUB_LEN], md[32];
	size_t rawlen = sizeof(raw);
	unsigned int mdlen = sizeof(md);

	out[0] = '\0';
	if (pub == NULL || EVP_PKEY_get_id(pub) != EVP_PKEY_ED25519 ||
	    EVP_PKEY_get_raw_public_key(pub, raw, &rawlen) != 1 ||
	    rawlen != sizeof(raw) ||
	    EVP_Digest(raw, rawlen, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != sizeof(md))
		return -1;
	hex_encode(md, sizeof(md), out);
	return 0;
}

/*
 * Read a PEM certificate and return its public key (a new reference the
 * caller frees). Only Ed25519 keys are returned: nothing else can be a
 * hotline identity.
 */
EVP_PKEY *
identity_load_cert_pubkey(const char *cert_path)
{
	FILE *fp;
	X509 *x;
	EVP_PKEY *pk = NULL;

	if ((fp = fopen(cert_path, "re")) == NULL)
		return NULL;
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (x == NULL)
		return NULL;
	pk = X509_get_pubkey(x);
	X509_free(x);
	if (pk != NULL && EVP_PKEY_get_id(pk) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	return pk;
}

EVP_PKEY *
identity_pubkey_from_raw(const uint8_t raw[ED25519_PUB_LEN])
{
	return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw,
	    ED25519_PUB_LEN);
}

/*
 * Signatures are verified with libsodium (~33 us a verification here
 * against OpenSSL 3.0's ~57; docs/ARCHITECTURE.md), which takes the raw
 * 32-byte public key. The raw keys of the keys verified most recently (the
 * peers' keys) are kept: getting one out of an EVP_PKEY goes through
 * OpenSSL's provider each time. Each entry holds a reference on its key, so
 * a cached pointer can never name a different, later key. The daemon
 * verifies on its one event-loop thread; the cache is per thread anyway.
 */
#define VERIFY_CACHE	4

static _Thread_local struct verify_key {
	EVP_PKEY	*key;
	uint8_t		 raw[ED25519_PUB_LEN];
} vcache[VERIFY_CACHE];
static _Thread_local unsigned vcache_next;

/* The raw public key of pub, cached on first use; NULL if none. */
static const uint8_t *
verify_key_get(EVP_PKEY *pub)
{
	struct verify_key *v;
	size_t len = ED25519_PUB_LEN;
	int i;

	for (i = 0; i < VERIFY_CACHE; i++)
		if (vcache[i].key == pub)
			return vcache[i].raw;
	v = &vcache[vcache_next++ % VERIFY_CACHE];
	EVP_PKEY_free(v->key);
	memset(v, 0, sizeof(*v));
	if (EVP_PKEY_get_raw_public_key(pub, v->raw, &len) != 1 ||
	    len != ED25519_PUB_LEN || EVP_PKEY_up_ref(pub) != 1) {
		memset(v, 0, sizeof(*v));
		return NULL;
	}
	v->key = pub;
	return v->raw;
}

void
identity_verify_cache_clear(void)
{
	int i;

	for (i = 0; i < VERIFY_CACHE; i++) {
		EVP_PKEY_free(vcache[i].key);
		memset(&vcache[i], 0, sizeof(vcache[i]));
	}
}

/*
 * Pure Ed25519 (RFC 8032) over exactly these bytes; true only if valid.
 * libsodium also refuses what RFC 8032 leaves open (a non-canonical or
 * small-order R or public key), which no honest signer produces.
 */
bool
identity_verify(EVP_PKEY *pub, const void *data, size_t len,
    const uint8_t sig[ED25519_SIG_LEN])
{
	const uint8_t *raw;

	if (pub == NULL || EVP_PKEY_get_id(pub) != EVP_PKEY_ED25519 ||
	    sodium_init() == -1 || (raw = verify_key_get(pub)) == NULL) {
		ERR_clear_error();
		return false;
	}
	return crypto_sign_ed25519_verify_detached(sig, data, len, raw) == 0;
}

int
identity_check_key_perms(const char *path, char *err, size_t errlen)
{
	struct stat st;
	mode_t mode;
	const char *why;

	if (lstat(path, &st) == -1) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		(void)snprintf(err, errlen, "%s: is a symbolic link; the key "
		    "must be a regular file", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		(void)snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		(void)snprintf(err, errlen, "%s: owned by uid %lu, not by us "
		    "(uid %lu)", path, (unsigned long)st.st_uid,
		    (unsigned long)geteuid());
		return -1;
	}
	mode = st.st_mode & 07777;
	if ((mode & 077) != 0) {
		if (mode & 044)
			why = "readable by others";
		else if (mode & 022)
			why = "writable by others";
		else
			why = "accessible by others";
		(void)snprintf(err, errlen, "%s: mode %04o: %s; chmod 600",
		    path, (unsigned)mode, why);
		return -1;
	}
	return 0;
}
