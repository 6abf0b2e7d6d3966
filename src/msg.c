/*
 * msg.c: the message and receipt codec. It turns struct msg and struct
 * receipt into the exact bytes of MSG and RECEIPT frame payloads and back,
 * validates every field of what it decodes, and computes ids and Ed25519
 * signatures over domain-separated signed bytes (docs/PROTOCOL.md has the
 * layouts byte by byte). Signatures always cover exact bytes: the header as
 * encoded, the body length and SHA-256 of the body bytes as sent; JSON is
 * never re-serialised. Channel and precedence names live here too.
 *
 * This is a hot path: signed bytes are built in a small stack buffer and
 * nothing is allocated per message except jansson's parse of the body.
 */
#include <string.h>

#include <stdlib.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "buf.h"
#include "identity.h"
#include "jsonv.h"
#include "msg.h"
#include "signer.h"
#include "tlog.h"
#include "util.h"

/*
 * The header is everything before body_len: version, from, to, channel,
 * kind, precedence, seq, created, flags and the optional ref.
 */
#define MSG_HDR_MAX	(1 + (1 + PARTY_MAX) * 2 + 1 + (1 + MSG_KIND_MAX) + \
			    1 + 8 + 8 + 1 + MSG_ID_LEN)
#define MSG_DOMAIN_LEN	(sizeof(MSG_DOMAIN))	/* includes the NUL */
#define MSG_SIGNED_MAX	(MSG_DOMAIN_LEN + MSG_HDR_MAX + 4 + SHA256_DIGEST_LENGTH)

/* A receipt's signed bytes: domain then everything before the signature. */
#define RCPT_DOMAIN_LEN	(sizeof(RCPT_DOMAIN))
#define RCPT_BODY_MAX	(1 + (1 + PARTY_MAX) * 2 + 1 + 1 + 8 + MSG_ID_LEN + 8)
#define RCPT_SIGNED_MAX	(RCPT_DOMAIN_LEN + RCPT_BODY_MAX)

/* A batch statement: BATCH_DOMAIN NUL | u32 n | root. */
#define BATCH_DOMAIN_LEN	(sizeof(BATCH_DOMAIN))
#define BATCH_STMT_LEN		(BATCH_DOMAIN_LEN + 4 + MSG_ID_LEN)
#define SIG_BATCH_FIXED		(ED25519_SIG_LEN + 4 + 4)

static const char *const channel_names[] = {
	NULL, "direct", "nrrc", "check", "wg", "cert",
};
static const char *const prec_names[] = {
	NULL, "flash", "immediate", "priority", "routine",
};

/*
 * A fixed-size output area on the stack. Writes past cap set err instead of
 * writing; callers check err once at the end.
 */
struct sbuf {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
	int	 err;
};

static void
sb_add(struct sbuf *s, const void *p, size_t n)
{
	if (s->err || n > s->cap - s->len) {
		s->err = 1;
		return;
	}
	if (n > 0)
		memcpy(s->p + s->len, p, n);
	s->len += n;
}

static void
sb_u8(struct sbuf *s, uint8_t v)
{
	sb_add(s, &v, 1);
}

static void
sb_u32(struct sbuf *s, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	sb_add(s, x, sizeof(x));
}

static void
sb_u64(struct sbuf *s, uint64_t v)
{
	sb_u32(s, (uint32_t)(v >> 32));
	sb_u32(s, (uint32_t)v);
}

/* str8 from a fixed char array that may lack its NUL. */
static void
sb_str8(struct sbuf *s, const char *str, size_t arrsz)
{
	size_t n = strnlen(str, arrsz);

	if (n > 255 || n == arrsz) {
		s->err = 1;
		return;
	}
	sb_u8(s, (uint8_t)n);
	sb_add(s, str, n);
}

const char *
channel_name(int ch)
{
	if (ch < CH_MIN || ch > CH_MAX)
		return "?";
	return channel_names[ch];
}

int
channel_from_name(const char *s)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = CH_MIN; i <= CH_MAX; i++)
		if (strcmp(s, channel_names[i]) == 0)
			return i;
	return -1;
}

const char *
prec_name(int p)
{
	if (p < PREC_MIN || p > PREC_MAX)
		return "?";
	return prec_names[p];
}

int
prec_from_name(const char *s)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = PREC_MIN; i <= PREC_MAX; i++)
		if (strcmp(s, prec_names[i]) == 0)
			return i;
	return -1;
}

bool
kind_valid(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strnlen(s, MSG_KIND_MAX + 1);
	if (n < 1 || n > MSG_KIND_MAX)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* A party id held in a PARTY_MAX + 1 array, which may lack its NUL. */
static bool
party_ok(const char *s)
{
	return strnlen(s, PARTY_MAX + 1) <= PARTY_MAX && party_id_valid(s);
}

/*
 * Everything msg_check() checks except the body's JSON: cheap, so it can
 * run on every encode. 0 or -1 with a reason in *why.
 */
static int
msg_check_header(const struct msg *m, const char **why)
{
	if (m->version != MSG_VERSION)
		*why = "bad version";
	else if (!party_ok(m->from))
		*why = "bad from";
	else if (!party_ok(m->to))
		*why = "bad to";
	else if (strcmp(m->from, m->to) == 0)
		*why = "from equals to";
	else if (m->channel < CH_MIN || m->channel > CH_MAX)
		*why = "bad channel";
	else if (!kind_valid(m->kind))
		*why = "bad kind";
	else if (m->prec < PREC_MIN || m->prec > PREC_MAX)
		*why = "bad precedence";
	else if (m->seq < 1)
		*why = "bad seq";
	else if (m->body_len > MSG_BODY_MAX)
		*why = "body too large";
	else if (m->body == NULL && m->body_len > 0)
		*why = "no body";
	else
		return 0;
	return -1;
}

/*
 * The body must be one JSON object in valid UTF-8, without duplicate keys:
 * what jansson accepts (docs/PROTOCOL.md §3.1). jsonv_object() says yes to
 * plain bodies without building a tree; anything it is not sure of goes
 * to jansson, which decides.
 */
int
msg_check_body(const uint8_t *body, size_t len, const char **why)
{
	json_error_t err;
	json_t *j;
	int ok;

	if (len == 0 || body == NULL) {
		*why = "body is not JSON";
		return -1;
	}
	if (jsonv_object(body, len))
		return 0;
	if ((j = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES,
	    &err)) == NULL) {
		*why = "body is not JSON";
		return -1;
	}
	ok = json_is_object(j);
	json_decref(j);
	if (!ok) {
		*why = "body is not a JSON object";
		return -1;
	}
	return 0;
}

int
msg_check(const struct msg *m, const char **why)
{
	if (msg_check_header(m, why) == -1)
		return -1;
	if (m->body_valid && m->body_len > 0)
		return 0;	/* json_dumps() of an object made it */
	return msg_check_body(m->body, m->body_len, why);
}

/* Append the header (version through ref) to s. */
static void
msg_put_header(struct sbuf *s, const struct msg *m)
{
	sb_u8(s, m->version);
	sb_str8(s, m->from, sizeof(m->from));
	sb_str8(s, m->to, sizeof(m->to));
	sb_u8(s, m->channel);
	sb_str8(s, m->kind, sizeof(m->kind));
	sb_u8(s, m->prec);
	sb_u64(s, m->seq);
	sb_u64(s, m->created);
	sb_u8(s, (uint8_t)((m->exercise ? MSG_F_EXERCISE : 0) |
	    (m->has_ref ? MSG_F_REF : 0)));
	if (m->has_ref)
		sb_add(s, m->ref, MSG_ID_LEN);
}

/*
 * Build the signed bytes from an already encoded header:
 * MSG_DOMAIN NUL | header | u32 body_len | SHA-256(body).
 * out must hold MSG_SIGNED_MAX bytes. Returns the length, or 0 on error.
 */
static size_t
msg_signed_from_header(const uint8_t *hdr, size_t hdrlen,
    const uint8_t *body, uint32_t body_len, uint8_t out[MSG_SIGNED_MAX])
{
	struct sbuf s = { out, 0, MSG_SIGNED_MAX, 0 };
	uint8_t h[SHA256_DIGEST_LENGTH];

	sha256(body_len > 0 ? body : (const uint8_t *)"", body_len, h);
	sb_add(&s, MSG_DOMAIN, MSG_DOMAIN_LEN);
	sb_add(&s, hdr, hdrlen);
	sb_u32(&s, body_len);
	sb_add(&s, h, sizeof(h));
	return s.err ? 0 : s.len;
}

/* The signed bytes of m from its fields; 0 on error (bad strings). */
static size_t
msg_signed_bytes(const struct msg *m, uint8_t out[MSG_SIGNED_MAX])
{
	uint8_t hdr[MSG_HDR_MAX];
	struct sbuf s = { hdr, 0, sizeof(hdr), 0 };

	msg_put_header(&s, m);
	if (s.err || (m->body == NULL && m->body_len > 0))
		return 0;
	return msg_signed_from_header(hdr, s.len, m->body, m->body_len, out);
}

/*
 * Set m->id from the fields. If the fields cannot be encoded (an unterminated
 * string) the id is all zeroes, which no real message has.
 */
void
msg_compute_id(struct msg *m)
{
	uint8_t sb[MSG_SIGNED_MAX];
	size_t n;

	if ((n = msg_signed_bytes(m, sb)) == 0)
		memset(m->id, 0, sizeof(m->id));
	else
		sha256(sb, n, m->id);
}

/*
 * Validate m fully (msg_check), then set m->id and a plain signature with
 * the signer's key. Returns 0, or -1 (invalid message or signing failure).
 */
int
msg_sign(struct msg *m, struct signer *s)
{
	return msg_sign_batch(&m, 1, s);
}

/*
 * The batch's Merkle tree in memory: the hash of every complete subtree,
 * level by level (level L holds n >> L of them), read through tlog.c's
 * proof and tree-hash functions so that the hashing is tlog.c's.
 */
struct btree {
	uint64_t	 n;
	int		 levels;
	uint8_t		(*lv[MSG_BATCH_PATH_MAX + 1])[MSG_ID_LEN];
	uint8_t		(*mem)[MSG_ID_LEN];
};

static int
btree_read(void *arg, int level, uint64_t idx, uint8_t out[TLOG_HASH_LEN])
{
	struct btree *t = arg;

	if (level < 0 || level >= t->levels || idx >= (t->n >> level))
		return -1;
	memcpy(out, t->lv[level][idx], TLOG_HASH_LEN);
	return 0;
}

/* Build the tree over the ids of ms[0..n-1] (2 <= n <= MSG_BATCH_MAX). */
static void
btree_build(struct btree *t, struct msg *const *ms, int n)
{
	size_t total = 0;
	uint64_t i, k;
	int L;

	memset(t, 0, sizeof(*t));
	t->n = (uint64_t)n;
	for (L = 0; L <= MSG_BATCH_PATH_MAX && (t->n >> L) > 0; L++)
		total += (size_t)(t->n >> L);
	t->levels = L;
	t->mem = xcalloc(total, sizeof(*t->mem));
	for (L = 0, total = 0; L < t->levels; L++) {
		t->lv[L] = t->mem + total;
		total += (size_t)(t->n >> L);
	}
	for (i = 0; i < t->n; i++)
		tlog_leaf_hash(ms[i]->id, MSG_ID_LEN, t->lv[0][i]);
	for (L = 1; L < t->levels; L++)
		for (k = 0; k < (t->n >> L); k++)
			tlog_node_hash(t->lv[L - 1][2 * k], t->lv[L - 1][2 * k + 1],
			    t->lv[L][k]);
}

/* BATCH_DOMAIN NUL | u32 n | root into out (BATCH_STMT_LEN bytes). */
static void
batch_statement(uint32_t n, const uint8_t root[MSG_ID_LEN],
    uint8_t out[BATCH_STMT_LEN])
{
	struct sbuf s = { out, 0, BATCH_STMT_LEN, 0 };

	sb_add(&s, BATCH_DOMAIN, BATCH_DOMAIN_LEN);
	sb_u32(&s, n);
	sb_add(&s, root, MSG_ID_LEN);
}

int
msg_sign_batch(struct msg *const *ms, int n, struct signer *s)
{
	uint8_t sb[MSG_SIGNED_MAX], root[MSG_ID_LEN], st[BATCH_STMT_LEN];
	uint8_t sig[ED25519_SIG_LEN];
	struct btree t;
	const char *why;
	size_t len = 0;
	int i, plen, rc = -1;

	if (n < 1 || n > MSG_BATCH_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (msg_check(ms[i], &why) == -1 ||
		    (len = msg_signed_bytes(ms[i], sb)) == 0)
			return -1;
		else
			sha256(sb, len, ms[i]->id);
	if (n == 1) {
		/* One message: the plain form (the latency path). */
		ms[0]->batch_n = ms[0]->batch_idx = 0;
		ms[0]->batch_plen = 0;
		return signer_sign(s, sb, len, ms[0]->sig);
	}
	btree_build(&t, ms, n);
	if (tlog_tree_hash(btree_read, &t, t.n, root) == -1)
		goto done;
	batch_statement((uint32_t)n, root, st);
	if (signer_sign(s, st, sizeof(st), sig) == -1)
		goto done;
	for (i = 0; i < n; i++) {
		if (tlog_inclusion_len((uint64_t)i, t.n) > MSG_BATCH_PATH_MAX ||
		    tlog_prove_inclusion(btree_read, &t, t.n, (uint64_t)i,
		    ms[i]->batch_path, &plen) == -1)
			goto done;
		memcpy(ms[i]->sig, sig, sizeof(sig));
		ms[i]->batch_n = (uint32_t)n;
		ms[i]->batch_idx = (uint32_t)i;
		ms[i]->batch_plen = (uint8_t)plen;
	}
	rc = 0;
done:
	free(t.mem);
	return rc;
}

/*
 * The root of the batch m claims to belong to, from its path: joining
 * known (another leaf's path of that batch, or NULL) when it can, keeping
 * m's own path in out (or not: NULL). 0, or -1 if m's batch fields are
 * bad.
 */
static int
batch_root_path(const struct msg *m, const struct tlog_path *known,
    struct tlog_path *out, uint8_t root[MSG_ID_LEN])
{
	uint8_t leaf[TLOG_HASH_LEN];

	if (m->batch_n < 2 || m->batch_n > MSG_BATCH_MAX ||
	    m->batch_idx >= m->batch_n || m->batch_plen > MSG_BATCH_PATH_MAX)
		return -1;
	tlog_leaf_hash(m->id, MSG_ID_LEN, leaf);
	return tlog_root_from_path(m->batch_idx, m->batch_n, leaf,
	    (const uint8_t (*)[TLOG_HASH_LEN])m->batch_path, m->batch_plen,
	    known, out, root);
}

int
msg_batch_root(const struct msg *m, uint8_t root[MSG_ID_LEN])
{
	return batch_root_path(m, NULL, NULL, root);
}

/* The path kept with an entry of the same key, size and signature as m
 * (the batch m claims to belong to), or NULL. */
static const struct tlog_path *
vcache_path(const struct msg_vcache *vc, const uint8_t pub[ED25519_PUB_LEN],
    const struct msg *m)
{
	int i;

	for (i = 0; i < vc->used; i++)
		if (vc->e[i].n == m->batch_n && vc->e[i].path.n != 0 &&
		    memcmp(vc->e[i].sig, m->sig, ED25519_SIG_LEN) == 0 &&
		    memcmp(vc->e[i].pub, pub, ED25519_PUB_LEN) == 0)
			return &vc->e[i].path;
	return NULL;
}

static int
vcache_find(const struct msg_vcache *vc, const uint8_t pub[ED25519_PUB_LEN],
    const struct msg *m, const uint8_t root[MSG_ID_LEN])
{
	int i;

	for (i = 0; i < vc->used; i++)
		if (vc->e[i].n == m->batch_n &&
		    memcmp(vc->e[i].root, root, MSG_ID_LEN) == 0 &&
		    memcmp(vc->e[i].sig, m->sig, ED25519_SIG_LEN) == 0 &&
		    memcmp(vc->e[i].pub, pub, ED25519_PUB_LEN) == 0)
			return i;
	return -1;
}

static void
vcache_add(struct msg_vcache *vc, const uint8_t pub[ED25519_PUB_LEN],
    const struct msg *m, const uint8_t root[MSG_ID_LEN],
    const struct tlog_path *path)
{
	int i = vc->next;

	vc->e[i].path = *path;
	memcpy(vc->e[i].pub, pub, ED25519_PUB_LEN);
	vc->e[i].n = m->batch_n;
	memcpy(vc->e[i].root, root, MSG_ID_LEN);
	memcpy(vc->e[i].sig, m->sig, ED25519_SIG_LEN);
	vc->next = (i + 1) % MSG_VCACHE_SIZE;
	if (vc->used < MSG_VCACHE_SIZE)
		vc->used++;
}

/*
 * Recompute m->id from the fields and check the signature with pub: a
 * plain one over the signed bytes, a batch one over the statement of the
 * root that m's path gives (unless vc has seen that exact signature on
 * that root from that key). True only if valid.
 */
static bool
verify(struct msg *m, EVP_PKEY *pub, struct msg_vcache *vc, bool have_id)
{
	uint8_t sb[MSG_SIGNED_MAX], root[MSG_ID_LEN], st[BATCH_STMT_LEN];
	uint8_t raw[ED25519_PUB_LEN];
	struct tlog_path path;
	size_t n = 0, rawlen = sizeof(raw);
	bool ok;
	int i;

	if (pub == NULL)
		return false;
	/* A batch signature covers the id alone; a plain one the bytes. */
	if (!have_id || m->batch_n == 0) {
		if ((n = msg_signed_bytes(m, sb)) == 0)
			return false;
		sha256(sb, n, m->id);
	}
	if (m->batch_n == 0) {
		if (vc != NULL)
			vc->verifies++;
		return identity_verify(pub, sb, n, m->sig);
	}
	if (vc != NULL && (EVP_PKEY_get_raw_public_key(pub, raw, &rawlen) !=
	    1 || rawlen != sizeof(raw)))
		return false;
	/* The root, joining the path of the batch m names if one is kept;
	 * with a cache, accepted at once if it is a root already verified. */
	if (batch_root_path(m, vc != NULL ? vcache_path(vc, raw, m) : NULL,
	    vc != NULL ? &path : NULL, root) == -1)
		return false;
	if (vc != NULL && (i = vcache_find(vc, raw, m, root)) != -1) {
		if (path.n != 0)
			vc->e[i].path = path;
		return true;
	}
	if (vc != NULL)
		vc->verifies++;
	batch_statement(m->batch_n, root, st);
	ok = identity_verify(pub, st, sizeof(st), m->sig);
	if (ok && vc != NULL)
		vcache_add(vc, raw, m, root, &path);
	return ok;
}

bool
msg_verify_cached(struct msg *m, EVP_PKEY *pub, struct msg_vcache *vc)
{
	return verify(m, pub, vc, false);
}

bool
msg_verify_decoded(struct msg *m, EVP_PKEY *pub, struct msg_vcache *vc)
{
	return verify(m, pub, vc, true);
}

bool
msg_verify(struct msg *m, EVP_PKEY *pub)
{
	return msg_verify_cached(m, pub, NULL);
}

size_t
msg_sig_encode(const struct msg *m, uint8_t out[MSG_SIG_MAX])
{
	struct sbuf s = { out, 0, MSG_SIG_MAX, 0 };

	sb_add(&s, m->sig, ED25519_SIG_LEN);
	if (m->batch_n == 0)
		return s.len;
	if (m->batch_n < 2 || m->batch_n > MSG_BATCH_MAX ||
	    m->batch_idx >= m->batch_n ||
	    tlog_inclusion_len(m->batch_idx, m->batch_n) != m->batch_plen)
		return 0;
	sb_u32(&s, m->batch_n);
	sb_u32(&s, m->batch_idx);
	sb_add(&s, m->batch_path, (size_t)m->batch_plen * MSG_ID_LEN);
	return s.err ? 0 : s.len;
}

int
msg_sig_decode(struct msg *m, const uint8_t *p, size_t len, const char **why)
{
	struct cursor c;
	int plen;

	cur_init(&c, p, len);
	m->batch_n = m->batch_idx = 0;
	m->batch_plen = 0;
	*why = "bad signature field";
	if (cur_get(&c, m->sig, ED25519_SIG_LEN) == -1)
		return -1;
	if (c.len == 0)
		return 0;	/* plain */
	if (c.len < 8) {
		*why = "trailing bytes";	/* after a plain signature */
		return -1;
	}
	if (cur_get_u32(&c, &m->batch_n) == -1 ||
	    cur_get_u32(&c, &m->batch_idx) == -1)
		return -1;
	if (m->batch_n < 2 || m->batch_n > MSG_BATCH_MAX ||
	    m->batch_idx >= m->batch_n) {
		*why = "bad batch size or index";
		return -1;
	}
	plen = tlog_inclusion_len(m->batch_idx, m->batch_n);
	if (plen < 1 || plen > MSG_BATCH_PATH_MAX ||
	    c.len != (size_t)plen * MSG_ID_LEN ||
	    cur_get(&c, m->batch_path, c.len) == -1) {
		*why = "bad batch path length";
		return -1;
	}
	m->batch_plen = (uint8_t)plen;
	return 0;
}

/*
 * Append the MSG payload (header, body_len, body, sig) to b. The header is
 * checked (cheaply, not the body's JSON: msg_sign has done that). Returns 0,
 * or -1 with b unchanged.
 */
int
msg_encode(const struct msg *m, struct buf *b)
{
	uint8_t hdr[MSG_HDR_MAX], sig[MSG_SIG_MAX];
	struct sbuf s = { hdr, 0, sizeof(hdr), 0 };
	const char *why;
	size_t siglen, start = b->len;
	int errs = 0;

	if (msg_check_header(m, &why) == -1)
		return -1;
	msg_put_header(&s, m);
	if (s.err || (siglen = msg_sig_encode(m, sig)) == 0)
		return -1;
	errs += buf_add(b, hdr, s.len);
	errs += buf_add_u32(b, m->body_len);
	errs += buf_add(b, m->body, m->body_len);
	errs += buf_add(b, sig, siglen);
	if (errs) {
		b->len = start;
		return -1;
	}
	return 0;
}

/*
 * Read a str8 into out (outsz bytes with the NUL). Sets *why to "truncated"
 * or to toolong when the string does not fit or holds a NUL.
 */
static int
get_str8(struct cursor *c, char *out, size_t outsz, const char *toolong,
    const char **why)
{
	const uint8_t *p;
	uint8_t n;

	if (cur_get_u8(c, &n) == -1 || cur_get_ptr(c, &p, n) == -1) {
		*why = "truncated";
		return -1;
	}
	if (n >= outsz || memchr(p, '\0', n) != NULL) {
		*why = toolong;
		return -1;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* Skip a str8 field (a length byte, then that many bytes). 0 or -1. */
static int
skip_str8(struct cursor *c)
{
	const uint8_t *p;
	uint8_t n;

	return cur_get_u8(c, &n) == -1 || cur_get_ptr(c, &p, n) == -1 ?
	    -1 : 0;
}

/*
 * The leading fields as msg_decode() and receipt_decode() read them:
 * version, from, to, then channel, kind and prec (MSG) or channel and prec
 * (RECEIPT). Used only to order a read batch (deliver.c); the frame is
 * decoded and checked in full when it is applied.
 */
int
msg_peek_stream(const uint8_t *p, size_t n, bool receipt, uint8_t *channel,
    uint8_t *prec)
{
	struct cursor c;
	uint8_t version;

	cur_init(&c, p, n);
	if (cur_get_u8(&c, &version) == -1 || skip_str8(&c) == -1 ||
	    skip_str8(&c) == -1 || cur_get_u8(&c, channel) == -1)
		return -1;
	if (!receipt && skip_str8(&c) == -1)
		return -1;
	return cur_get_u8(&c, prec);
}

/*
 * Decode and validate a MSG payload. The id is computed from the header
 * bytes exactly as received (the encoding is canonical: decode rejects
 * anything encode would not produce). m->body borrows the cursor's memory.
 * Returns 0, or -1 with a static reason in *why; m is then unspecified.
 */
static int
decode(struct cursor *c, struct msg *m, const char **why, int check_body)
{
	uint8_t sb[MSG_SIGNED_MAX];
	const uint8_t *hdr = c->p;
	size_t hdrlen, n;
	uint8_t flags;

	memset(m, 0, sizeof(*m));
	*why = "truncated";
	if (cur_get_u8(c, &m->version) == -1)
		return -1;
	if (m->version != MSG_VERSION) {
		*why = "bad version";
		return -1;
	}
	if (get_str8(c, m->from, sizeof(m->from), "bad from", why) == -1 ||
	    get_str8(c, m->to, sizeof(m->to), "bad to", why) == -1 ||
	    cur_get_u8(c, &m->channel) == -1 ||
	    get_str8(c, m->kind, sizeof(m->kind), "bad kind", why) == -1 ||
	    cur_get_u8(c, &m->prec) == -1 ||
	    cur_get_u64(c, &m->seq) == -1 ||
	    cur_get_u64(c, &m->created) == -1 ||
	    cur_get_u8(c, &flags) == -1)
		return -1;	/* *why: "truncated" or get_str8's reason */
	if (flags & ~(MSG_F_EXERCISE | MSG_F_REF)) {
		*why = "bad flags";
		return -1;
	}
	m->exercise = (flags & MSG_F_EXERCISE) != 0;
	m->has_ref = (flags & MSG_F_REF) != 0;
	if (m->has_ref && cur_get(c, m->ref, MSG_ID_LEN) == -1) {
		*why = "truncated";
		return -1;
	}
	hdrlen = (size_t)(c->p - hdr);
	*why = "truncated";
	if (cur_get_u32(c, &m->body_len) == -1)
		return -1;
	if (m->body_len > MSG_BODY_MAX) {
		*why = "body too large";
		return -1;
	}
	if (cur_get_ptr(c, &m->body, m->body_len) == -1)
		return -1;
	/* The rest is the signature field: 64 bytes, or a batch form. */
	if (c->len < ED25519_SIG_LEN)
		return -1;
	if (c->len > MSG_SIG_MAX) {
		*why = "trailing bytes";
		return -1;
	}
	if (msg_sig_decode(m, c->p, c->len, why) == -1)
		return -1;
	c->p += c->len;
	c->len = 0;
	if (m->body_len == 0)
		m->body = NULL;
	if ((check_body ? msg_check(m, why) : msg_check_header(m, why)) == -1)
		return -1;
	if ((n = msg_signed_from_header(hdr, hdrlen, m->body, m->body_len,
	    sb)) == 0) {
		*why = "internal error";
		return -1;
	}
	sha256(sb, n, m->id);
	return 0;
}

int
msg_decode(struct cursor *c, struct msg *m, const char **why)
{
	return decode(c, m, why, 1);
}

int
msg_decode_lazy(struct cursor *c, struct msg *m, const char **why)
{
	return decode(c, m, why, 0);
}

/* Receipts. */

static int
receipt_check(const struct receipt *r, const char **why)
{
	if (r->version != MSG_VERSION)
		*why = "bad version";
	else if (!party_ok(r->from))
		*why = "bad from";
	else if (!party_ok(r->to))
		*why = "bad to";
	else if (strcmp(r->from, r->to) == 0)
		*why = "from equals to";
	else if (r->channel < CH_MIN || r->channel > CH_MAX)
		*why = "bad channel";
	else if (r->prec < PREC_MIN || r->prec > PREC_MAX)
		*why = "bad precedence";
	else if (r->seq < 1)
		*why = "bad seq";
	else
		return 0;
	return -1;
}

/*
 * The receipt's signed bytes: RCPT_DOMAIN NUL | version .. time. out holds
 * RCPT_SIGNED_MAX bytes. Returns the length, or 0 on error. The part after
 * the domain is also exactly what receipt_encode() writes before the sig.
 */
static size_t
receipt_signed_bytes(const struct receipt *r, uint8_t out[RCPT_SIGNED_MAX])
{
	struct sbuf s = { out, 0, RCPT_SIGNED_MAX, 0 };

	sb_add(&s, RCPT_DOMAIN, RCPT_DOMAIN_LEN);
	sb_u8(&s, r->version);
	sb_str8(&s, r->from, sizeof(r->from));
	sb_str8(&s, r->to, sizeof(r->to));
	sb_u8(&s, r->channel);
	sb_u8(&s, r->prec);
	sb_u64(&s, r->seq);
	sb_add(&s, r->last_id, MSG_ID_LEN);
	sb_u64(&s, r->time);
	return s.err ? 0 : s.len;
}

/*
 * Validate r, then set r->id and r->sig with the signer's key (the signer
 * must be r->to's). Returns 0 or -1.
 */
int
receipt_sign(struct receipt *r, struct signer *s)
{
	uint8_t sb[RCPT_SIGNED_MAX];
	const char *why;
	size_t n;

	if (receipt_check(r, &why) == -1 ||
	    (n = receipt_signed_bytes(r, sb)) == 0)
		return -1;
	sha256(sb, n, r->id);
	return signer_sign(s, sb, n, r->sig);
}

/* Recompute r->id and check r->sig with pub (r->to's key). */
bool
receipt_verify(struct receipt *r, EVP_PKEY *pub)
{
	uint8_t sb[RCPT_SIGNED_MAX];
	size_t n;

	if (pub == NULL || (n = receipt_signed_bytes(r, sb)) == 0)
		return false;
	sha256(sb, n, r->id);
	return identity_verify(pub, sb, n, r->sig);
}

/* Append the RECEIPT payload to b. 0, or -1 with b unchanged. */
int
receipt_encode(const struct receipt *r, struct buf *b)
{
	uint8_t sb[RCPT_SIGNED_MAX];
	const char *why;
	size_t n, start = b->len;
	int errs = 0;

	if (receipt_check(r, &why) == -1 ||
	    (n = receipt_signed_bytes(r, sb)) == 0)
		return -1;
	errs += buf_add(b, sb + RCPT_DOMAIN_LEN, n - RCPT_DOMAIN_LEN);
	errs += buf_add(b, r->sig, sizeof(r->sig));
	if (errs) {
		b->len = start;
		return -1;
	}
	return 0;
}

/*
 * Decode and validate a RECEIPT payload; computes r->id, does not verify the
 * signature. Returns 0, or -1 with a static reason in *why.
 */
int
receipt_decode(struct cursor *c, struct receipt *r, const char **why)
{
	uint8_t sb[RCPT_SIGNED_MAX];
	const uint8_t *start = c->p;
	size_t n;

	memset(r, 0, sizeof(*r));
	*why = "truncated";
	if (cur_get_u8(c, &r->version) == -1)
		return -1;
	if (r->version != MSG_VERSION) {
		*why = "bad version";
		return -1;
	}
	if (get_str8(c, r->from, sizeof(r->from), "bad from", why) == -1 ||
	    get_str8(c, r->to, sizeof(r->to), "bad to", why) == -1)
		return -1;
	*why = "truncated";
	if (cur_get_u8(c, &r->channel) == -1 ||
	    cur_get_u8(c, &r->prec) == -1 ||
	    cur_get_u64(c, &r->seq) == -1 ||
	    cur_get(c, r->last_id, MSG_ID_LEN) == -1 ||
	    cur_get_u64(c, &r->time) == -1)
		return -1;
	n = (size_t)(c->p - start);
	if (cur_get(c, r->sig, sizeof(r->sig)) == -1)
		return -1;
	if (cur_end(c) == -1) {
		*why = "trailing bytes";
		return -1;
	}
	if (receipt_check(r, why) == -1)
		return -1;
	/* Hash the bytes as received; the encoding is canonical. */
	if (n > RCPT_SIGNED_MAX - RCPT_DOMAIN_LEN) {
		*why = "internal error";
		return -1;
	}
	memcpy(sb, RCPT_DOMAIN, RCPT_DOMAIN_LEN);
	memcpy(sb + RCPT_DOMAIN_LEN, start, n);
	sha256(sb, RCPT_DOMAIN_LEN + n, r->id);
	return 0;
}
