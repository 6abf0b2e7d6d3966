/*
 * note.c: C2SP signed notes, verifier keys, checkpoints and cosignatures
 * (see note.h). Everything here parses text that may come from a peer or
 * from a file handed to `hotline audit verify`, so every step is bounded
 * and strict; nothing here calls fatal().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "note.h"
#include "signer.h"
#include "util.h"

#define EM_DASH		"\xe2\x80\x94"	/* U+2014 */
#define COSIG_HDR	"cosignature/v1\n"

/*
 * Decode one UTF-8 code point at p (n bytes left). Returns its length and
 * sets *cp, or 0 for an invalid sequence (overlong, surrogate, > U+10FFFF,
 * truncated).
 */
static size_t
utf8_next(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2;
		c = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		c = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4;
		c = p[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
	    (len == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static bool
unicode_space(uint32_t c)
{
	return c == 0x20 || (c >= 0x09 && c <= 0x0d) || c == 0x85 ||
	    c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	    c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
	    c == 0x3000;
}

bool
note_name_valid(const char *name, size_t len)
{
	size_t i = 0, k;
	uint32_t c;

	if (len == 0 || len > NOTE_NAME_MAX)
		return false;
	while (i < len) {
		if ((k = utf8_next((const unsigned char *)name + i, len - i,
		    &c)) == 0)
			return false;
		if (c < 0x20 || c == 0x7f || c == '+' || unicode_space(c))
			return false;
		i += k;
	}
	return true;
}

uint32_t
note_keyid(const char *name, uint8_t type, const uint8_t pub[ED25519_PUB_LEN])
{
	uint8_t buf[NOTE_NAME_MAX + 2 + ED25519_PUB_LEN], h[32];
	size_t n = strlen(name);

	if (n > NOTE_NAME_MAX)
		n = NOTE_NAME_MAX;
	memcpy(buf, name, n);
	buf[n] = '\n';
	buf[n + 1] = type;
	memcpy(buf + n + 2, pub, ED25519_PUB_LEN);
	(void)SHA256(buf, n + 2 + ED25519_PUB_LEN, h);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3];
}

int
note_vkey_format(const char *name, uint8_t type,
    const uint8_t pub[ED25519_PUB_LEN], char *out, size_t outsz)
{
	uint8_t raw[1 + ED25519_PUB_LEN];
	char b64[64];
	int n;

	if (!note_name_valid(name, strlen(name)))
		return -1;
	raw[0] = type;
	memcpy(raw + 1, pub, ED25519_PUB_LEN);
	if (b64_encode(raw, sizeof(raw), b64, sizeof(b64)) == 0)
		return -1;
	n = snprintf(out, outsz, "%s+%08x+%s", name,
	    note_keyid(name, type, pub), b64);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

int
note_vkey_parse(const char *s, struct note_verifier *v, const char **why)
{
	const char *p1, *p2;
	uint8_t raw[1 + ED25519_PUB_LEN + 1];
	char hex[9];
	uint8_t idb[4];
	size_t n, rawlen;

	memset(v, 0, sizeof(v[0]));
	*why = "verifier key is not name+id+key";
	if ((n = strlen(s)) > NOTE_VKEY_MAX || (p1 = strchr(s, '+')) == NULL ||
	    (p2 = strchr(p1 + 1, '+')) == NULL)
		return -1;
	if (!note_name_valid(s, (size_t)(p1 - s))) {
		*why = "verifier key: bad name";
		return -1;
	}
	memcpy(v->name, s, (size_t)(p1 - s));
	if (p2 - p1 - 1 != 8) {
		*why = "verifier key: key id is not 8 hex digits";
		return -1;
	}
	memcpy(hex, p1 + 1, 8);
	hex[8] = '\0';
	/* lowercase only, as written by the spec's examples and Go */
	for (n = 0; n < 8; n++)
		if (!((hex[n] >= '0' && hex[n] <= '9') ||
		    (hex[n] >= 'a' && hex[n] <= 'f'))) {
			*why = "verifier key: key id is not 8 hex digits";
			return -1;
		}
	if (hex_decode(hex, idb, 4) == -1)
		return -1;
	v->keyid = (uint32_t)idb[0] << 24 | (uint32_t)idb[1] << 16 |
	    (uint32_t)idb[2] << 8 | idb[3];
	if (b64_decode(p2 + 1, strlen(p2 + 1), raw, sizeof(raw), &rawlen) ==
	    -1) {
		*why = "verifier key: bad base64";
		return -1;
	}
	if (rawlen != 1 + ED25519_PUB_LEN || (raw[0] != NOTE_ALG_ED25519 &&
	    raw[0] != NOTE_ALG_COSIG_V1)) {
		*why = "verifier key: not an Ed25519 (0x01) or cosignature/v1 "
		    "(0x04) key";
		return -1;
	}
	v->type = raw[0];
	memcpy(v->pub, raw + 1, ED25519_PUB_LEN);
	if (note_keyid(v->name, v->type, v->pub) != v->keyid) {
		*why = "verifier key: key id does not match the key";
		return -1;
	}
	return 0;
}

/* Check a whole note: UTF-8, no control characters but '\n'. */
static int
note_chars_ok(const char *p, size_t n)
{
	size_t i = 0, k;
	uint32_t c;

	while (i < n) {
		if ((k = utf8_next((const unsigned char *)p + i, n - i, &c)) ==
		    0)
			return -1;
		if ((c < 0x20 && c != '\n') || c == 0x7f)
			return -1;
		i += k;
	}
	return 0;
}

/* Parse one signature line [p, p + n) (without its '\n'). */
static int
sig_line_parse(const char *p, size_t n, struct note_sig *sg, const char **why)
{
	const char *name, *sp, *b;
	uint8_t raw[4 + NOTE_SIG_MAX];
	size_t namelen, rawlen;

	*why = "signature line does not start with an em dash and a space";
	if (n < 4 || memcmp(p, EM_DASH " ", 4) != 0)
		return -1;
	name = p + 4;
	if ((sp = memchr(name, ' ', n - 4)) == NULL) {
		*why = "signature line has no signature";
		return -1;
	}
	namelen = (size_t)(sp - name);
	if (!note_name_valid(name, namelen)) {
		*why = "signature line: bad key name";
		return -1;
	}
	b = sp + 1;
	if (memchr(b, ' ', n - (size_t)(b - p)) != NULL ||
	    b64_decode(b, n - (size_t)(b - p), raw, sizeof(raw), &rawlen) ==
	    -1 || rawlen < 5) {
		*why = "signature line: bad base64 signature";
		return -1;
	}
	memcpy(sg->name, name, namelen);
	sg->name[namelen] = '\0';
	sg->keyid = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 |
	    (uint32_t)raw[2] << 8 | raw[3];
	sg->siglen = rawlen - 4;
	memcpy(sg->sig, raw + 4, sg->siglen);
	return 0;
}

int
note_parse(const char *p, size_t n, struct note *nt, const char **why)
{
	size_t i, sep, start;

	memset(nt, 0, sizeof(*nt));
	if (n == 0 || n > NOTE_MAX) {
		*why = "note empty or too long";
		return -1;
	}
	if (note_chars_ok(p, n) == -1) {
		*why = "note is not UTF-8 without control characters";
		return -1;
	}
	if (p[n - 1] != '\n') {
		*why = "note does not end with a newline";
		return -1;
	}
	/* The text ends at the last blank line: the last "\n\n". */
	sep = 0;
	for (i = n - 1; i > 0; i--)
		if (p[i] == '\n' && p[i - 1] == '\n') {
			sep = i;
			break;
		}
	if (sep == 0) {
		*why = "note has no blank line before its signatures";
		return -1;
	}
	nt->text = p;
	nt->textlen = sep;	/* includes the text's final '\n' */
	start = sep + 1;
	if (start >= n) {
		*why = "note has no signatures";
		return -1;
	}
	while (start < n) {
		const char *nl = memchr(p + start, '\n', n - start);

		if (nl == NULL)
			return -1;	/* unreachable: p ends in '\n' */
		if (nt->nsigs == NOTE_SIGS_MAX) {
			*why = "note has too many signatures";
			return -1;
		}
		if (sig_line_parse(p + start, (size_t)(nl - (p + start)),
		    &nt->sigs[nt->nsigs], why) == -1)
			return -1;
		nt->nsigs++;
		start = (size_t)(nl - p) + 1;
	}
	return 0;
}

/* The cosignature/v1 signed message for text at time t. Length or 0. */
static size_t
cosig_message(uint64_t t, const char *text, size_t textlen, char *out,
    size_t outsz)
{
	int n;

	n = snprintf(out, outsz, COSIG_HDR "time %llu\n",
	    (unsigned long long)t);
	if (n < 0 || (size_t)n >= outsz || textlen > outsz - (size_t)n)
		return 0;
	memcpy(out + n, text, textlen);
	return (size_t)n + textlen;
}

static bool
ed25519_ok(const uint8_t pub[ED25519_PUB_LEN], const void *msg, size_t len,
    const uint8_t sig[ED25519_SIG_LEN])
{
	EVP_PKEY *pk;
	bool ok;

	if ((pk = identity_pubkey_from_raw(pub)) == NULL)
		return false;
	ok = identity_verify(pk, msg, len, sig);
	EVP_PKEY_free(pk);
	return ok;
}

int
note_verify(const struct note *nt, const struct note_verifier *vs, int nv,
    struct note_result *res, const char **why)
{
	char *msg = NULL;
	const struct note_sig *sg;
	uint64_t t;
	size_t mlen;
	int i, j, k, count = 0;
	bool ok;

	if (res != NULL)
		memset(res, 0, (size_t)nv * sizeof(*res));
	msg = xmalloc(NOTE_MAX + 64);
	for (i = 0; i < nt->nsigs; i++) {
		sg = &nt->sigs[i];
		for (j = 0; j < nv; j++) {
			if (vs[j].keyid != sg->keyid ||
			    strcmp(vs[j].name, sg->name) != 0)
				continue;
			if (vs[j].type == NOTE_ALG_ED25519)
				ok = sg->siglen == ED25519_SIG_LEN &&
				    ed25519_ok(vs[j].pub, nt->text, nt->textlen,
				    sg->sig);
			else {
				ok = false;
				t = 0;
				if (sg->siglen == 8 + ED25519_SIG_LEN) {
					for (k = 0; k < 8; k++)
						t = t << 8 | sg->sig[k];
					mlen = t > INT64_MAX ? 0 :
					    cosig_message(t, nt->text,
					    nt->textlen, msg, NOTE_MAX + 64);
					ok = mlen > 0 && ed25519_ok(vs[j].pub,
					    msg, mlen, sg->sig + 8);
				}
				if (ok && res != NULL)
					res[j].cosig_time = t;
			}
			if (!ok) {
				*why = "a signature by a known key does not "
				    "verify";
				free(msg);
				return -1;
			}
			if (res != NULL && !res[j].verified)
				res[j].verified = true;
			count++;
		}
	}
	free(msg);
	if (count == 0) {
		*why = "no signature by a known key";
		return -1;
	}
	return count;
}

static int
raw_pub(struct signer *s, uint8_t pub[ED25519_PUB_LEN])
{
	size_t n = ED25519_PUB_LEN;

	if (EVP_PKEY_get_raw_public_key(signer_pubkey(s), pub, &n) != 1 ||
	    n != ED25519_PUB_LEN)
		return -1;
	return 0;
}

/* "— name base64(id || raw)\n" into line. */
static int
sig_line_format(const char *name, uint32_t id, const uint8_t *raw, size_t n,
    char *line, size_t linesz)
{
	uint8_t all[4 + NOTE_SIG_MAX];
	char b64[4 * ((4 + NOTE_SIG_MAX + 2) / 3) + 1];
	int w;

	if (n > NOTE_SIG_MAX)
		return -1;
	all[0] = (uint8_t)(id >> 24);
	all[1] = (uint8_t)(id >> 16);
	all[2] = (uint8_t)(id >> 8);
	all[3] = (uint8_t)id;
	memcpy(all + 4, raw, n);
	if (b64_encode(all, 4 + n, b64, sizeof(b64)) == 0)
		return -1;
	w = snprintf(line, linesz, EM_DASH " %s %s\n", name, b64);
	return w < 0 || (size_t)w >= linesz ? -1 : 0;
}

int
note_sign(struct signer *s, const char *name, const char *text,
    size_t textlen, char *line, size_t linesz)
{
	uint8_t pub[ED25519_PUB_LEN], sig[ED25519_SIG_LEN];

	if (!note_name_valid(name, strlen(name)) || raw_pub(s, pub) == -1 ||
	    signer_sign(s, text, textlen, sig) == -1)
		return -1;
	return sig_line_format(name, note_keyid(name, NOTE_ALG_ED25519, pub),
	    sig, sizeof(sig), line, linesz);
}

int
note_cosign(struct signer *s, const char *name, uint64_t t, const char *text,
    size_t textlen, char *line, size_t linesz)
{
	uint8_t pub[ED25519_PUB_LEN], raw[8 + ED25519_SIG_LEN];
	char *msg;
	size_t mlen;
	int k, rc;

	if (t > INT64_MAX || !note_name_valid(name, strlen(name)) ||
	    raw_pub(s, pub) == -1)
		return -1;
	msg = xmalloc(NOTE_MAX + 64);
	mlen = cosig_message(t, text, textlen, msg, NOTE_MAX + 64);
	for (k = 0; k < 8; k++)
		raw[k] = (uint8_t)(t >> (56 - 8 * k));
	rc = mlen == 0 ? -1 : signer_sign(s, msg, mlen, raw + 8);
	free(msg);
	if (rc == -1)
		return -1;
	return sig_line_format(name, note_keyid(name, NOTE_ALG_COSIG_V1, pub),
	    raw, sizeof(raw), line, linesz);
}

size_t
checkpoint_format(const struct checkpoint *c, char *out, size_t outsz)
{
	char b64[48];
	int n;

	if (!note_name_valid(c->origin, strlen(c->origin)) ||
	    b64_encode(c->root, 32, b64, sizeof(b64)) == 0)
		return 0;
	n = snprintf(out, outsz, "%s\n%llu\n%s\n", c->origin,
	    (unsigned long long)c->size, b64);
	return n < 0 || (size_t)n >= outsz ? 0 : (size_t)n;
}

int
checkpoint_parse(const char *text, size_t len, struct checkpoint *c,
    const char **why)
{
	const char *l1, *l2, *l3, *e1, *e2, *e3, *end = text + len;
	char num[21];
	size_t n, rlen;

	memset(c, 0, sizeof(*c));
	*why = "checkpoint needs origin, size and root hash lines";
	if (len == 0 || text[len - 1] != '\n')
		return -1;
	l1 = text;
	if ((e1 = memchr(l1, '\n', (size_t)(end - l1))) == NULL)
		return -1;
	l2 = e1 + 1;
	if (l2 >= end || (e2 = memchr(l2, '\n', (size_t)(end - l2))) == NULL)
		return -1;
	l3 = e2 + 1;
	if (l3 >= end || (e3 = memchr(l3, '\n', (size_t)(end - l3))) == NULL)
		return -1;
	/* Extension lines after the third, if any, must not be empty. */
	for (const char *p = e3 + 1; p < end; ) {
		const char *e = memchr(p, '\n', (size_t)(end - p));

		if (e == NULL || e == p) {
			*why = "checkpoint has an empty extension line";
			return -1;
		}
		p = e + 1;
	}
	n = (size_t)(e1 - l1);
	if (n == 0 || n > CHECKPOINT_ORIGIN_MAX || note_chars_ok(l1, n) == -1) {
		*why = "checkpoint origin line is empty, too long or invalid";
		return -1;
	}
	memcpy(c->origin, l1, n);
	n = (size_t)(e2 - l2);
	if (n == 0 || n >= sizeof(num) || (n > 1 && l2[0] == '0')) {
		*why = "checkpoint size is not a canonical decimal";
		return -1;
	}
	memcpy(num, l2, n);
	num[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (num[i] < '0' || num[i] > '9') {
			*why = "checkpoint size is not a canonical decimal";
			return -1;
		}
	if (parse_u64(num, 0, INT64_MAX, &c->size) == -1) {
		*why = "checkpoint size out of range";
		return -1;
	}
	if (b64_decode(l3, (size_t)(e3 - l3), c->root, sizeof(c->root),
	    &rlen) == -1 || rlen != 32) {
		*why = "checkpoint root hash is not base64 of 32 bytes";
		return -1;
	}
	return 0;
}
