/*
 * wire.c: link frames. It checks frame headers before anything is buffered
 * (wire_peek), writes frame headers and lengths (wire_begin/wire_finish),
 * and encodes and decodes the small control payloads: HELLO with its resume
 * points, PING/PONG tokens and BYE reasons. MSG and RECEIPT payloads belong
 * to msg.c. Every decoder reads through a bounded cursor, validates every
 * field, insists on consuming the whole payload and returns a short static
 * reason on failure. docs/PROTOCOL.md has the layouts byte by byte.
 */
#include <string.h>

#include "buf.h"
#include "msg.h"
#include "util.h"
#include "wire.h"

static const char *const frame_names[] = {
	NULL, "hello", "msg", "receipt", "ping", "pong", "bye",
	"checkpoint", "consist-req", "consist-proof", "cosig",
};

const char *
frame_type_name(int type)
{
	if (type < FR_HELLO || type > FR_MAX)
		return "?";
	return frame_names[type];
}

int
wire_peek(const uint8_t *p, size_t n, uint8_t *type, uint32_t *len,
    const char **why)
{
	struct cursor c;
	uint32_t flen;
	uint8_t t;

	if (n < WIRE_HDR_LEN)
		return 0;
	cur_init(&c, p, WIRE_HDR_LEN);
	if (cur_get_u32(&c, &flen) == -1 || cur_get_u8(&c, &t) == -1)
		return 0;
	if (flen == 0) {
		*why = "empty frame";
		return -1;
	}
	if (flen > WIRE_FRAME_MAX) {
		*why = "frame too large";
		return -1;
	}
	*type = t;
	*len = flen - 1;
	return 1;
}

int
wire_begin(struct buf *b, uint8_t type, size_t *start)
{
	size_t s = b->len;

	if (buf_add_u32(b, 0) == -1 || buf_add_u8(b, type) == -1) {
		b->len = s;
		return -1;
	}
	*start = s;
	return 0;
}

/*
 * Write the length of the frame that starts at start. On failure (frame
 * over WIRE_FRAME_MAX or a bad start) the frame is removed from b and -1 is
 * returned.
 */
int
wire_finish(struct buf *b, size_t start)
{
	size_t n;

	if (start > b->len || b->len - start < WIRE_HDR_LEN)
		return -1;
	n = b->len - start - 4;
	if (n > WIRE_FRAME_MAX || buf_set_u32(b, start, (uint32_t)n) == -1) {
		b->len = start;
		return -1;
	}
	return 0;
}

int
hello_encode(const struct hello *h, struct buf *b)
{
	size_t start;
	uint8_t i;
	int errs = 0;

	if (h->nresume > WIRE_HELLO_MAX_STREAMS ||
	    strnlen(h->party, sizeof(h->party)) == sizeof(h->party) ||
	    strnlen(h->peer, sizeof(h->peer)) == sizeof(h->peer) ||
	    wire_begin(b, FR_HELLO, &start) == -1)
		return -1;
	errs += buf_add_u16(b, h->version);
	errs += buf_add_str8(b, h->party);
	errs += buf_add_str8(b, h->peer);
	errs += buf_add_u64(b, h->time);
	errs += buf_add_u8(b, h->nresume);
	for (i = 0; i < h->nresume; i++) {
		errs += buf_add_u8(b, h->resume[i].channel);
		errs += buf_add_u8(b, h->resume[i].prec);
		errs += buf_add_u64(b, h->resume[i].seq);
	}
	if (h->cat_version != 0) {
		if (strnlen(h->cat_id, sizeof(h->cat_id)) == sizeof(h->cat_id))
			errs++;
		else {
			errs += buf_add_u32(b, h->cat_version);
			errs += buf_add_str8(b, h->cat_id);
		}
	}
	if (errs) {
		b->len = start;
		return -1;
	}
	return wire_finish(b, start);
}

/* Read a str8 party id; *why is "truncated" or bad. */
static int
get_party(struct cursor *c, char out[PARTY_MAX + 1], const char *bad,
    const char **why)
{
	const uint8_t *p;
	uint8_t n;

	if (cur_get_u8(c, &n) == -1 || cur_get_ptr(c, &p, n) == -1) {
		*why = "truncated";
		return -1;
	}
	if (n > PARTY_MAX || memchr(p, '\0', n) != NULL) {
		*why = bad;
		return -1;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	if (!party_id_valid(out)) {
		*why = bad;
		return -1;
	}
	return 0;
}

int
hello_decode(struct cursor *c, struct hello *h, const char **why)
{
	bool seen[CH_MAX + 1][PREC_MAX + 1];
	struct resume_point *r;
	uint8_t i;

	memset(h, 0, sizeof(*h));
	memset(seen, 0, sizeof(seen));
	*why = "truncated";
	if (cur_get_u16(c, &h->version) == -1)
		return -1;
	if (h->version != WIRE_VERSION) {
		*why = "bad version";
		return -1;
	}
	if (get_party(c, h->party, "bad party", why) == -1 ||
	    get_party(c, h->peer, "bad peer", why) == -1)
		return -1;
	if (strcmp(h->party, h->peer) == 0) {
		*why = "party equals peer";
		return -1;
	}
	*why = "truncated";
	if (cur_get_u64(c, &h->time) == -1 ||
	    cur_get_u8(c, &h->nresume) == -1)
		return -1;
	if (h->nresume > WIRE_HELLO_MAX_STREAMS) {
		*why = "too many streams";
		return -1;
	}
	for (i = 0; i < h->nresume; i++) {
		r = &h->resume[i];
		*why = "truncated";
		if (cur_get_u8(c, &r->channel) == -1 ||
		    cur_get_u8(c, &r->prec) == -1 ||
		    cur_get_u64(c, &r->seq) == -1)
			return -1;
		if (r->channel < CH_MIN || r->channel > CH_MAX) {
			*why = "bad channel";
			return -1;
		}
		if (r->prec < PREC_MIN || r->prec > PREC_MAX) {
			*why = "bad precedence";
			return -1;
		}
		if (seen[r->channel][r->prec]) {
			*why = "duplicate stream";
			return -1;
		}
		seen[r->channel][r->prec] = true;
	}
	/* Optional trailer: the template catalogue, u32 version and str8
	 * id ([a-z0-9-], 1..64). */
	if (cur_end(c) == -1) {
		*why = "truncated";
		if (cur_get_u32(c, &h->cat_version) == -1 ||
		    cur_get_str8(c, h->cat_id, sizeof(h->cat_id)) == -1)
			return -1;
		if (h->cat_version == 0 || h->cat_id[0] == '\0' ||
		    strspn(h->cat_id, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
		    strlen(h->cat_id)) {
			*why = "bad catalogue";
			return -1;
		}
	}
	if (cur_end(c) == -1) {
		*why = "trailing bytes";
		return -1;
	}
	return 0;
}

int
wire_encode_u64(struct buf *b, uint8_t type, uint64_t v)
{
	size_t start;

	if (wire_begin(b, type, &start) == -1)
		return -1;
	if (buf_add_u64(b, v) == -1) {
		b->len = start;
		return -1;
	}
	return wire_finish(b, start);
}

int
wire_decode_u64(struct cursor *c, uint64_t *v, const char **why)
{
	if (cur_get_u64(c, v) == -1) {
		*why = "truncated";
		return -1;
	}
	if (cur_end(c) == -1) {
		*why = "trailing bytes";
		return -1;
	}
	return 0;
}

static bool
printable(uint8_t ch)
{
	return ch >= 0x20 && ch <= 0x7e;
}

/*
 * A BYE frame. The reason is cut to WIRE_REASON_MAX bytes and anything that
 * is not printable ASCII becomes '?', so any error string can be sent.
 */
int
bye_encode(struct buf *b, const char *reason)
{
	char r[WIRE_REASON_MAX + 1];
	size_t i, n, start;

	if (reason == NULL)
		reason = "";
	n = strnlen(reason, WIRE_REASON_MAX);
	for (i = 0; i < n; i++)
		r[i] = printable((uint8_t)reason[i]) ? reason[i] : '?';
	r[n] = '\0';
	if (wire_begin(b, FR_BYE, &start) == -1)
		return -1;
	if (buf_add_str8(b, r) == -1) {
		b->len = start;
		return -1;
	}
	return wire_finish(b, start);
}

int
bye_decode(struct cursor *c, char *reason, size_t reasonsz, const char **why)
{
	const uint8_t *p;
	uint8_t n, i;

	if (cur_get_u8(c, &n) == -1 || cur_get_ptr(c, &p, n) == -1) {
		*why = "truncated";
		return -1;
	}
	if (n > WIRE_REASON_MAX || n >= reasonsz) {
		*why = "reason too long";
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!printable(p[i])) {
			*why = "bad reason";
			return -1;
		}
	}
	if (cur_end(c) == -1) {
		*why = "trailing bytes";
		return -1;
	}
	memcpy(reason, p, n);
	reason[n] = '\0';
	return 0;
}

int
checkpoint_frame_encode(struct buf *b, const char *note, size_t len)
{
	size_t start;

	if (len == 0 || len > WIRE_NOTE_MAX ||
	    wire_begin(b, FR_CHECKPOINT, &start) == -1)
		return -1;
	if (buf_add_u16(b, (uint16_t)len) == -1 || buf_add(b, note, len) == -1) {
		b->len = start;
		return -1;
	}
	return wire_finish(b, start);
}

int
checkpoint_frame_decode(struct cursor *c, const char **note, size_t *len,
    const char **why)
{
	const uint8_t *p;
	uint16_t n;

	if (cur_get_u16(c, &n) == -1 || cur_get_ptr(c, &p, n) == -1) {
		*why = "truncated";
		return -1;
	}
	if (n == 0 || n > WIRE_NOTE_MAX) {
		*why = "checkpoint note empty or too long";
		return -1;
	}
	if (cur_end(c) == -1) {
		*why = "trailing bytes";
		return -1;
	}
	*note = (const char *)p;
	*len = n;
	return 0;
}

int
consist_req_encode(struct buf *b, uint64_t old_size, uint64_t new_size)
{
	size_t start;

	if (wire_begin(b, FR_CONSIST_REQ, &start) == -1)
		return -1;
	if (buf_add_u64(b, old_size) == -1 || buf_add_u64(b, new_size) == -1) {
		b->len = start;
		return -1;
	}
	return wire_finish(b, start);
}

int
consist_req_decode(struct cursor *c, uint64_t *old_size, uint64_t *new_size,
    const char **why)
{
	if (cur_get_u64(c, old_size) == -1 || cur_get_u64(c, new_size) == -1) {
		*why = "truncated";
		return -1;
	}
	if (cur_end(c) == -1) {
		*why = "trailing bytes";
		return -1;
	}
	if (*old_size == 0 || *old_size > *new_size || *new_size > INT64_MAX) {
		*why = "bad sizes";
		return -1;
	}
	return 0;
}

int
consist_proof_encode(struct buf *b, const struct wire_proof *p)
{
	size_t start;
	int i, errs = 0;

	if (p->n > WIRE_PROOF_MAX || wire_begin(b, FR_CONSIST_PROOF, &start) ==
	    -1)
		return -1;
	errs += buf_add_u64(b, p->old_size);
	errs += buf_add_u64(b, p->new_size);
	errs += buf_add_u8(b, p->n);
	for (i = 0; i < p->n; i++)
		errs += buf_add(b, p->h[i], 32);
	if (errs != 0) {
		b->len = start;
		return -1;
	}
	return wire_finish(b, start);
}

int
consist_proof_decode(struct cursor *c, struct wire_proof *p, const char **why)
{
	int i;

	if (cur_get_u64(c, &p->old_size) == -1 ||
	    cur_get_u64(c, &p->new_size) == -1 || cur_get_u8(c, &p->n) == -1) {
		*why = "truncated";
		return -1;
	}
	if (p->n > WIRE_PROOF_MAX) {
		*why = "proof too long";
		return -1;
	}
	for (i = 0; i < p->n; i++)
		if (cur_get(c, p->h[i], 32) == -1) {
			*why = "truncated";
			return -1;
		}
	if (cur_end(c) == -1) {
		*why = "trailing bytes";
		return -1;
	}
	if (p->old_size > p->new_size || p->new_size > INT64_MAX) {
		*why = "bad sizes";
		return -1;
	}
	return 0;
}

int
cosig_frame_encode(struct buf *b, uint64_t size, const uint8_t root[32],
    const char *line)
{
	size_t start, n = strlen(line);

	if (n == 0 || n > WIRE_COSIG_LINE_MAX ||
	    wire_begin(b, FR_COSIG, &start) == -1)
		return -1;
	if (buf_add_u64(b, size) == -1 || buf_add(b, root, 32) == -1 ||
	    buf_add_u16(b, (uint16_t)n) == -1 || buf_add(b, line, n) == -1) {
		b->len = start;
		return -1;
	}
	return wire_finish(b, start);
}

int
cosig_frame_decode(struct cursor *c, uint64_t *size, uint8_t root[32],
    char *line, size_t linesz, const char **why)
{
	const uint8_t *p;
	uint16_t n;

	if (cur_get_u64(c, size) == -1 || cur_get(c, root, 32) == -1 ||
	    cur_get_u16(c, &n) == -1 || cur_get_ptr(c, &p, n) == -1) {
		*why = "truncated";
		return -1;
	}
	if (cur_end(c) == -1) {
		*why = "trailing bytes";
		return -1;
	}
	if (n == 0 || n > WIRE_COSIG_LINE_MAX || n >= linesz ||
	    memchr(p, '\0', n) != NULL) {
		*why = "bad cosignature line";
		return -1;
	}
	memcpy(line, p, n);
	line[n] = '\0';
	return 0;
}
