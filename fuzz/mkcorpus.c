/*
 * mkcorpus.c: writes the seed corpora of the fuzz targets, or checks that
 * the committed seeds are still what the current code would write. Seeds
 * are well-formed inputs (signed with the test key of fuzz.h, so they get
 * past signature checks) plus a few edge cases one step from valid. Ed25519
 * signatures are deterministic, so the output is the same on every run.
 *
 *	mkcorpus DIR		write DIR/<target>/seed-<name>
 *	mkcorpus -c DIR		compare them with the files in DIR; exit 1 on
 *				any difference (the encoding changed: rerun
 *				without -c and commit the new seeds)
 *
 * Findings of the fuzzers live next to the seeds as crash-* or regress-*
 * files; this program never touches them.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "buf.h"
#include "fuzz.h"
#include "msg.h"
#include "note.h"
#include "signer.h"
#include "util.h"
#include "wire.h"

#define EX_CREATED	1700000000000ULL	/* the worked example's time */
#define LONG_PARTY	"a-party-id-of-thirty-two-chars-x"
#define LONG_KIND	"a-kind-name-of-thirty-two-chars0"

static const char	*outdir;
static int		 checking;
static int		 nbad;
static struct signer	*key;

/* Write or compare outdir/target/seed-name. Failures are counted. */
static void
emit(const char *target, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];
	uint8_t *old = NULL;
	FILE *fp;
	long n;
	int ok = 0;

	if (snprintf(path, sizeof(path), "%s/%s", outdir, target) >=
	    (int)sizeof(path))
		goto done;
	if (!checking && mkdir(path, 0755) == -1 && errno != EEXIST) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		goto done;
	}
	if (snprintf(path, sizeof(path), "%s/%s/seed-%s", outdir, target,
	    name) >= (int)sizeof(path))
		goto done;
	if (!checking) {
		if ((fp = fopen(path, "wb")) == NULL)
			goto done;
		ok = fwrite(data, 1, len, fp) == len;
		if (fclose(fp) != 0)
			ok = 0;
		goto done;
	}
	if ((fp = fopen(path, "rb")) == NULL)
		goto done;
	old = xmalloc(len + 1);
	n = (long)fread(old, 1, len + 1, fp);
	fclose(fp);
	ok = n == (long)len && memcmp(old, data, len) == 0;
done:
	if (!ok) {
		fprintf(stderr, "%s: %s\n", path, checking ? "missing or "
		    "different from what the code writes now" : "cannot write");
		nbad++;
	}
	free(old);
}

static void
emit_buf(const char *target, const char *name, const struct buf *b)
{
	emit(target, name, b->data, b->len);
}

static void
emit_str(const char *target, const char *name, const char *s)
{
	emit(target, name, s, strlen(s));
}

/* A message from FUZZ_PEER to FUZZ_SELF (the worked example's fields). */
static void
msg_fill(struct msg *m, int ch, int prec, uint64_t seq, const char *kind,
    const char *body)
{
	memset(m, 0, sizeof(*m));
	m->version = MSG_VERSION;
	memcpy(m->from, FUZZ_PEER, sizeof(FUZZ_PEER));
	memcpy(m->to, FUZZ_SELF, sizeof(FUZZ_SELF));
	m->channel = (uint8_t)ch;
	(void)snprintf(m->kind, sizeof(m->kind), "%s", kind);
	m->prec = (uint8_t)prec;
	m->seq = seq;
	m->created = EX_CREATED;
	m->exercise = true;
	m->body = (const uint8_t *)body;
	m->body_len = (uint32_t)strlen(body);
}

/* Sign m and append its payload (frame = 0) or whole frame to b. */
static void
msg_put(struct buf *b, struct msg *m, int sign, int frame)
{
	size_t start = 0;

	if (sign && msg_sign(m, key) == -1) {
		fprintf(stderr, "cannot sign a seed message\n");
		exit(1);
	}
	if ((frame && wire_begin(b, FR_MSG, &start) == -1) ||
	    msg_encode(m, b) == -1 || (frame && wire_finish(b, start) == -1)) {
		fprintf(stderr, "cannot encode a seed message\n");
		exit(1);
	}
}

/* A receipt for the stream FUZZ_SELF -> FUZZ_PEER, signed by the peer. */
static void
rcpt_put(struct buf *b, const char *from, const char *to, int ch, int prec,
    uint64_t seq, const uint8_t last_id[MSG_ID_LEN], int frame)
{
	struct receipt r;
	size_t start = 0;

	memset(&r, 0, sizeof(r));
	r.version = MSG_VERSION;
	(void)snprintf(r.from, sizeof(r.from), "%s", from);
	(void)snprintf(r.to, sizeof(r.to), "%s", to);
	r.channel = (uint8_t)ch;
	r.prec = (uint8_t)prec;
	r.seq = seq;
	memcpy(r.last_id, last_id, MSG_ID_LEN);
	r.time = EX_CREATED + 1234;
	if (receipt_sign(&r, key) == -1 ||
	    (frame && wire_begin(b, FR_RECEIPT, &start) == -1) ||
	    receipt_encode(&r, b) == -1 ||
	    (frame && wire_finish(b, start) == -1)) {
		fprintf(stderr, "cannot make a seed receipt\n");
		exit(1);
	}
}

static void
hello_put(struct buf *b, const char *party, const char *peer, int nstreams,
    uint64_t seq)
{
	struct hello h;
	int ch, prec;

	memset(&h, 0, sizeof(h));
	h.version = WIRE_VERSION;
	(void)snprintf(h.party, sizeof(h.party), "%s", party);
	(void)snprintf(h.peer, sizeof(h.peer), "%s", peer);
	h.time = EX_CREATED;
	for (ch = CH_MIN; ch <= CH_MAX; ch++)
		for (prec = PREC_MIN; prec <= PREC_MAX; prec++) {
			if (h.nresume == nstreams)
				break;
			h.resume[h.nresume].channel = (uint8_t)ch;
			h.resume[h.nresume].prec = (uint8_t)prec;
			h.resume[h.nresume].seq = seq;
			h.nresume++;
		}
	if (hello_encode(&h, b) == -1) {
		fprintf(stderr, "cannot encode a seed HELLO\n");
		exit(1);
	}
}

/* Payload only: a whole frame minus its header. */
static void
emit_payload(const char *target, const char *name, const struct buf *b)
{
	emit(target, name, b->data + WIRE_HDR_LEN, b->len - WIRE_HDR_LEN);
}

static void
seeds_msg(uint8_t example_id[MSG_ID_LEN])
{
	struct buf b;
	struct msg m;
	char big[2048];
	size_t i, n;

	buf_init(&b, WIRE_FRAME_MAX);
	msg_fill(&m, CH_NRRC, PREC_FLASH, 1, "notification",
	    "{\"text\":\"test\"}");
	msg_put(&b, &m, 1, 0);
	memcpy(example_id, m.id, MSG_ID_LEN);
	emit_buf("fuzz_msg", "example", &b);
	/* Edge cases one step from the example. */
	emit("fuzz_msg", "truncated", b.data, b.len - 1);
	b.data[b.len - 1] ^= 0x01;
	emit_buf("fuzz_msg", "bad-sig", &b);
	b.data[b.len - 1] ^= 0x01;
	i = 1 + 3 + 3 + 1 + 13 + 1 + 8 + 8;	/* offset of flags */
	b.data[i] = 0x04;
	emit_buf("fuzz_msg", "bad-flags", &b);

	buf_reset(&b);
	msg_fill(&m, CH_DIRECT, PREC_IMMEDIATE, 2, "ack", "{}");
	m.exercise = false;
	m.has_ref = true;
	memcpy(m.ref, example_id, MSG_ID_LEN);
	msg_put(&b, &m, 1, 0);
	emit_buf("fuzz_msg", "ack-ref", &b);

	buf_reset(&b);
	msg_fill(&m, CH_CERT, PREC_ROUTINE, UINT64_MAX, LONG_KIND,
	    "{\"s\":\"\xd0\xb6\\u0436\\n\",\"n\":[1,-2.5e3,true,null,{}]}");
	memcpy(m.from, LONG_PARTY, sizeof(LONG_PARTY));
	m.created = 0;
	msg_put(&b, &m, 1, 0);
	emit_buf("fuzz_msg", "long-fields", &b);

	buf_reset(&b);
	n = (size_t)snprintf(big, sizeof(big), "{\"type\":\"bundle\","
	    "\"objects\":[");
	for (i = 0; n + 64 < sizeof(big); i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
		    "%s{\"id\":\"indicator--%04zu\"}", i ? "," : "", i);
	(void)snprintf(big + n, sizeof(big) - n, "]}");
	msg_fill(&m, CH_CERT, PREC_PRIORITY, 7, "stix-bundle", big);
	msg_put(&b, &m, 1, 0);
	emit_buf("fuzz_msg", "stix-bundle", &b);

	/* Batch signatures: a batch of 3 (paths of 2, 2 and 1 hashes). */
	{
		struct msg bm[3], *bp[3];
		int k;

		for (k = 0; k < 3; k++) {
			msg_fill(&bm[k], CH_CERT, PREC_ROUTINE,
			    10 + (uint64_t)k, "stix-bundle",
			    "{\"type\":\"bundle\"}");
			bp[k] = &bm[k];
		}
		if (msg_sign_batch(bp, 3, key) == -1) {
			fprintf(stderr, "cannot sign a seed batch\n");
			exit(1);
		}
		buf_reset(&b);
		msg_put(&b, &bm[0], 0, 0);
		emit_buf("fuzz_msg", "batch-0", &b);
		buf_reset(&b);
		msg_put(&b, &bm[2], 0, 0);
		emit_buf("fuzz_msg", "batch-2", &b);
		bm[2].batch_idx = 1;	/* wrong index, path length fits */
		bm[2].batch_plen = 2;
		memcpy(bm[2].batch_path, bm[1].batch_path,
		    sizeof(bm[2].batch_path));
		memset(bm[2].batch_path[0], 0x5a, MSG_ID_LEN);
		buf_reset(&b);
		msg_put(&b, &bm[2], 0, 0);
		emit_buf("fuzz_msg", "batch-bad-path", &b);
	}

	/* Bodies that are not one JSON object: encode without signing. */
	buf_reset(&b);
	msg_fill(&m, CH_WG, PREC_ROUTINE, 1, "text", "[1,2]");
	msg_put(&b, &m, 0, 0);
	emit_buf("fuzz_msg", "body-array", &b);
	buf_reset(&b);
	msg_fill(&m, CH_WG, PREC_ROUTINE, 1, "text", "{\"a\":1,\"a\":2}");
	msg_put(&b, &m, 0, 0);
	emit_buf("fuzz_msg", "body-dup-key", &b);
	buf_free(&b);
}

static void
seeds_receipt(const uint8_t example_id[MSG_ID_LEN])
{
	struct buf b;

	buf_init(&b, WIRE_FRAME_MAX);
	rcpt_put(&b, FUZZ_SELF, FUZZ_PEER, CH_NRRC, PREC_FLASH, 1, example_id,
	    0);
	emit_buf("fuzz_receipt", "basic", &b);
	emit("fuzz_receipt", "truncated", b.data, b.len - 1);
	b.data[b.len - 1] ^= 0x80;
	emit_buf("fuzz_receipt", "bad-sig", &b);
	buf_reset(&b);
	rcpt_put(&b, LONG_PARTY, FUZZ_PEER, CH_CERT, PREC_ROUTINE, UINT64_MAX,
	    example_id, 0);
	emit_buf("fuzz_receipt", "long-fields", &b);
	buf_free(&b);
}

static void
seeds_hello(void)
{
	struct buf b;

	buf_init(&b, WIRE_HDR_LEN + WIRE_FRAME_MAX);
	hello_put(&b, FUZZ_PEER, FUZZ_SELF, 0, 0);
	emit_payload("fuzz_hello", "no-streams", &b);
	buf_reset(&b);
	hello_put(&b, FUZZ_PEER, FUZZ_SELF, WIRE_HELLO_MAX_STREAMS, 41);
	emit_payload("fuzz_hello", "all-streams", &b);
	buf_reset(&b);
	hello_put(&b, LONG_PARTY, "x", 3, UINT64_MAX);
	emit_payload("fuzz_hello", "long-party", &b);
	/* Two entries for one stream: the decoder must refuse it. */
	b.data[b.len - 9] = 1;
	b.data[b.len - 10] = 1;
	emit_payload("fuzz_hello", "dup-stream", &b);
	buf_free(&b);
}

static void
seeds_frame(const uint8_t example_id[MSG_ID_LEN])
{
	static const uint8_t empty[] = { 0, 0, 0, 0, FR_PING };
	static const uint8_t huge[] = { 0, 1, 0, 1, FR_MSG };
	static const uint8_t unknown[] = { 0, 0, 0, 1, 9 };
	struct buf b, one;
	struct msg m;
	int ch;

	buf_init(&b, 4 * WIRE_FRAME_MAX);
	buf_init(&one, WIRE_FRAME_MAX);
	/* A whole session: HELLO, two messages, a receipt, PING, PONG, BYE. */
	hello_put(&b, FUZZ_PEER, FUZZ_SELF, 2, 0);
	msg_fill(&m, CH_NRRC, PREC_FLASH, 1, "notification",
	    "{\"text\":\"test\"}");
	msg_put(&b, &m, 1, 1);
	msg_fill(&m, CH_NRRC, PREC_FLASH, 2, "text", "{\"text\":\"second\"}");
	msg_put(&b, &m, 1, 1);
	rcpt_put(&b, FUZZ_SELF, FUZZ_PEER, CH_NRRC, PREC_FLASH, 3, example_id,
	    1);
	if (wire_encode_u64(&b, FR_PING, 0x0123456789abcdefULL) == -1 ||
	    wire_encode_u64(&b, FR_PONG, 42) == -1 ||
	    bye_encode(&b, "shutting down") == -1)
		exit(1);
	emit_buf("fuzz_frame", "session", &b);

	/* One message on every channel, then a replay. */
	buf_reset(&b);
	hello_put(&b, FUZZ_PEER, FUZZ_SELF, 0, 0);
	for (ch = CH_MIN; ch <= CH_MAX; ch++) {
		msg_fill(&m, ch, PREC_ROUTINE, 1, "text", "{}");
		msg_put(&b, &m, 1, 1);
	}
	msg_put(&b, &m, 1, 1);
	emit_buf("fuzz_frame", "channels-replay", &b);

	/* A message before HELLO; a gap; a second HELLO. */
	buf_reset(&b);
	msg_fill(&m, CH_NRRC, PREC_FLASH, 1, "notification", "{}");
	msg_put(&one, &m, 1, 1);
	(void)buf_add(&b, one.data, one.len);
	hello_put(&b, FUZZ_PEER, FUZZ_SELF, 0, 0);
	emit_buf("fuzz_frame", "msg-before-hello", &b);
	buf_reset(&b);
	hello_put(&b, FUZZ_PEER, FUZZ_SELF, 0, 0);
	msg_fill(&m, CH_NRRC, PREC_FLASH, 2, "notification", "{}");
	msg_put(&b, &m, 1, 1);
	emit_buf("fuzz_frame", "gap", &b);
	buf_reset(&b);
	hello_put(&b, FUZZ_PEER, FUZZ_SELF, 0, 0);
	hello_put(&b, FUZZ_PEER, FUZZ_SELF, 1, 5);
	emit_buf("fuzz_frame", "two-hellos", &b);
	/* HELLO from someone else, and to someone else. */
	buf_reset(&b);
	hello_put(&b, "xx", FUZZ_SELF, 0, 0);
	emit_buf("fuzz_frame", "wrong-party", &b);

	/* Bad headers, and a frame cut short. */
	emit("fuzz_frame", "empty-frame", empty, sizeof(empty));
	emit("fuzz_frame", "huge-frame", huge, sizeof(huge));
	emit("fuzz_frame", "unknown-type", unknown, sizeof(unknown));
	emit("fuzz_frame", "cut-msg", one.data, one.len - 10);
	buf_free(&one);
	buf_free(&b);
}

static void
seeds_config(void)
{
	emit_str("fuzz_config", "minimal", "[node]\nparty = us\n");
	emit_str("fuzz_config", "full",
	    "; hotline.conf(5)\n"
	    "[node]\n"
	    "party = us                 ; comment\n"
	    "listen = 127.0.0.1:7701\n"
	    "data_dir = /var/lib/hotline/./us//\n"
	    "api_socket = run/api.sock\n"
	    "key = /etc/hotline/key.pem\n"
	    "cert = cert.pem\n"
	    "\n"
	    "[link]\n"
	    "heartbeat = 2s\n"
	    "dead_after = 1m\n"
	    "handshake_timeout = 1500ms\n"
	    "reconnect_min = 100ms\n"
	    "reconnect_max = 1h\n"
	    "[limits]\n"
	    "max_body = 1000\n"
	    "api_max_request = 1024\n"
	    "api_max_clients = 7\n"
	    "peer_max_pending = 16384\n"
	    "[peer ru]                  ; the other party\n"
	    "fingerprint = 3A6EB0790F39AC87C94F3856B2DD2C5D"
	    "110E6811602261A9A923D3BB23ADC8B7\n"
	    "address = 127.0.0.1:7702\n"
	    "address = [::1]:7703\n"
	    "address = backup.example:7704\n"
	    "[peer cn]\n"
	    "fingerprint = 0000000000000000000000000000000000000000000000000"
	    "000000000000000\n");
	emit_str("fuzz_config", "relative-paths",
	    "[node]\nparty = a-1\nlisten = [::]:1\ndata_dir = ../d/./e\n"
	    "[link]\nheartbeat = 100ms\ndead_after = 24h\n"
	    "reconnect_min = 30m\nreconnect_max = 30m\n");
	emit_str("fuzz_config", "ipv6-scoped",
	    "[node]\r\nparty = ru\r\nlisten = [fe80::1%eth0]:65535\r\n"
	    "[peer us]\r\nfingerprint = d75a980182b10ab7d54bfed3c964073a0ee17"
	    "2f3daa62325af021a68f707511a\r\naddress = hotline.example-1.org:1"
	    "\r\n");
	emit_str("fuzz_config", "bad-key", "[node]\nparty = us\nfoo = bar\n");
	emit_str("fuzz_config", "bad-number",
	    "[node]\nparty = us\n[limits]\nmax_body = 99999999999999999999\n");
	emit_str("fuzz_config", "bad-line", "[node]\nparty = us\nnot a pair\n");
	emit_str("fuzz_config", "dup-peer",
	    "[node]\nparty = us\n[peer ru]\nfingerprint = 00\n[peer ru]\n");
	emit_str("fuzz_config", "dead-before-heartbeat",
	    "[node]\nparty = us\n[link]\nheartbeat = 10s\ndead_after = 5s\n");
}

static void
seeds_api_json(void)
{
	emit_str("fuzz_api_json", "notify",
	    "{\"to\":\"ru\",\"channel\":\"nrrc\",\"kind\":\"notification\","
	    "\"precedence\":\"flash\",\"exercise\":true,"
	    "\"body\":{\"text\":\"test\"}}");
	emit_str("fuzz_api_json", "minimal",
	    "{\"to\":\"ru\",\"channel\":\"cert\",\"kind\":\"text\","
	    "\"body\":{}}");
	emit_str("fuzz_api_json", "ack-ref",
	    "{ \"to\": \"a-party-id-of-thirty-two-chars-x\", \"channel\": "
	    "\"direct\", \"kind\": \"ack\", \"ref\": \"5FCCd038\", "
	    "\"exercise\": false, \"precedence\": \"immediate\",\n"
	    "  \"body\": {\"n\": [1, -2.5e3, 1e300, true, null, {}], "
	    "\"s\": \"\\u0436\xd0\xb6\\n\\ud83d\\ude00\"}}\n");
	emit_str("fuzz_api_json", "unknown-field",
	    "{\"to\":\"ru\",\"channel\":\"wg\",\"kind\":\"text\","
	    "\"body\":{},\"from\":\"us\"}");
	emit_str("fuzz_api_json", "dup-key",
	    "{\"to\":\"ru\",\"to\":\"us\",\"channel\":\"wg\","
	    "\"kind\":\"text\",\"body\":{}}");
	emit_str("fuzz_api_json", "nul-in-string",
	    "{\"to\":\"r\\u0000u\",\"channel\":\"wg\",\"kind\":\"text\","
	    "\"body\":{}}");
	emit_str("fuzz_api_json", "body-array",
	    "{\"to\":\"ru\",\"channel\":\"check\",\"kind\":\"ping\","
	    "\"body\":[1]}");
	emit_str("fuzz_api_json", "bad-ref",
	    "{\"to\":\"ru\",\"channel\":\"check\",\"kind\":\"pong\","
	    "\"ref\":\"xyz\",\"body\":{}}");
	emit_str("fuzz_api_json", "not-object", "[\"to\",\"ru\"]");
}

/* Bodies for fuzz_jsonv: one step either side of each fast-path rule. */
static void
seeds_jsonv(void)
{
	char buf[2048];
	size_t n, i;

	emit_str("fuzz_jsonv", "plain", "{\"text\":\"test\",\"n\":1}");
	memcpy(buf, "{\"p\":\"", 6);
	memset(buf + 6, 'x', 1024);
	memcpy(buf + 1030, "\"}", 2);
	emit("fuzz_jsonv", "bench-1k", buf, 1032);
	emit_str("fuzz_jsonv", "mixed",
	    " {\"a\":[1,-2,0,-0,1.5,-0.25,true,false,null,{},[]],\n"
	    "\t\"b\":{\"a\":{\"a\":[{\"k\":\"v\"},{\"k\":\"v\"}]}}} \r\n");
	emit_str("fuzz_jsonv", "escapes",
	    "{\"e\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0001\\u00e9\\u20AC"
	    "\\ud83d\\ude00\"}");
	emit_str("fuzz_jsonv", "utf8-edges",
	    "{\"\xd0\xba\":\"\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf"
	    "\xee\x80\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"}");
	emit_str("fuzz_jsonv", "utf8-overlong", "{\"a\":\"\xe0\x9f\xbf\"}");
	emit_str("fuzz_jsonv", "utf8-surrogate", "{\"a\":\"\xed\xa0\x80\"}");
	emit_str("fuzz_jsonv", "utf8-too-big", "{\"a\":\"\xf4\x90\x80\x80\"}");
	emit_str("fuzz_jsonv", "utf8-truncated", "{\"a\":\"\xf0\x9f\x98\"}");
	emit_str("fuzz_jsonv", "esc-nul", "{\"a\":\"\\u0000\"}");
	emit_str("fuzz_jsonv", "esc-lone-high", "{\"a\":\"\\ud800x\"}");
	emit_str("fuzz_jsonv", "esc-lone-low", "{\"a\":\"\\udc00\"}");
	emit_str("fuzz_jsonv", "esc-key", "{\"a\":1,\"\\u0061\":2}");
	emit_str("fuzz_jsonv", "control", "{\"a\":\"x\ty\"}");
	emit_str("fuzz_jsonv", "dup", "{\"a\":{\"b\":1,\"c\":2,\"b\":3}}");
	emit_str("fuzz_jsonv", "trailing", "{\"a\":1} x");
	emit_str("fuzz_jsonv", "not-object", "[{\"a\":1}]");
	emit_str("fuzz_jsonv", "numbers",
	    "{\"a\":999999999999999999,\"b\":-999999999999999999,"
	    "\"c\":9223372036854775807,\"d\":-9223372036854775808,"
	    "\"e\":1e308,\"f\":-1.5E-400,\"g\":0.5}");
	emit_str("fuzz_jsonv", "number-overflow",
	    "{\"a\":9223372036854775808,\"b\":1e400}");
	emit_str("fuzz_jsonv", "number-bad", "{\"a\":[01,1.,.5,-,+1]}");
	n = 0;
	for (i = 0; i < 33; i++) {
		memcpy(buf + n, i ? "\"a\":{" : "{", i ? 5 : 1);
		n += i ? 5 : 1;
	}
	memset(buf + n, '}', 33);
	emit("fuzz_jsonv", "depth-33", buf, n + 33);
	n = 0;
	buf[n++] = '{';
	for (i = 0; i < 65; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\"k%zu\":%zu",
		    i ? "," : "", i, i);
	buf[n++] = '}';
	emit("fuzz_jsonv", "keys-65", buf, n);
	/* requests as the API gets them (jsonv_spans) */
	emit_str("fuzz_jsonv", "request",
	    "{\"to\":\"ru\",\"channel\":\"nrrc\",\"kind\":\"note\","
	    "\"body\":{\"p\":\"x\\n\",\"q\":{\"r\":[1,-2,true]}}}");
	emit_str("fuzz_jsonv", "request-odd-body",
	    "{\"to\":\"ru\",\"body\":{\"p\":\"\\u0041\\/\",\"n\":-0}}");
	emit_str("fuzz_jsonv", "batch",
	    "{\"messages\":[{\"to\":\"ru\",\"channel\":\"cert\","
	    "\"kind\":\"t\",\"body\":{\"p\":\"x\"}},{\"body\":{\"a\":[1,{}]}},"
	    "{\"body\":{\"a\": 1}},{\"body\":{\"n\":-0}},{\"body\":{\"r\":1.5}},"
	    "{\"body\":{\"s\":\"\\u0041\"}},{\"body\":[1]},1,[{\"body\":{}}],"
	    "{\"x\":{\"body\":{}},\"body\":{}}],\"body\":{\"top\":1}}");
}

static void
seeds_http_head(void)
{
	emit_str("fuzz_http_head", "get", "GET /v1/status HTTP/1.1\r\n"
	    "Host: localhost\r\nAccept: */*\r\n\r\n");
	emit_str("fuzz_http_head", "post-pipelined", "POST /v1/messages "
	    "HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: "
	    "2\r\n\r\n{}GET /v1/peers HTTP/1.0\n\n");
	emit_str("fuzz_http_head", "chunked", "POST /v1/messages HTTP/1.1\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
	emit_str("fuzz_http_head", "two-lengths", "POST /x HTTP/1.1\r\n"
	    "Content-Length: 2\r\ncontent-length: 02\r\n\r\n{}");
	emit_str("fuzz_http_head", "folded", "GET / HTTP/1.1\r\nX-A: 1\r\n"
	    " more\r\n\r\n");
	emit_str("fuzz_http_head", "method", "BREW /pot HTTP/1.1\r\n\r\n");
	emit_str("fuzz_http_head", "version", "GET / HTTP/2.0\r\n\r\n");
	emit_str("fuzz_http_head", "leading-crlf", "\r\n\r\nOPTIONS * "
	    "HTTP/1.1\r\nContent-Length:\t 0 \r\n\r\n");
}

static void
seeds_auth(void)
{
	emit_str("fuzz_auth", "basic", "Basic d2FuZGE6Y29ycmVjdCBob3JzZQ==");
	emit_str("fuzz_auth", "basic-lower", "basic   YTpiOmM=  ");
	emit_str("fuzz_auth", "basic-no-colon", "Basic d2FuZGE=");
	emit_str("fuzz_auth", "basic-bad-pad", "Basic d2FuZGE6=Q==");
	emit_str("fuzz_auth", "basic-ctl", "Basic YQpiOmM=");
	emit_str("fuzz_auth", "cookie", "theme=dark; hotline_session="
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; lang=ru");
	emit_str("fuzz_auth", "cookie-quoted", "hotline_session=\"abc\"; "
	    "hotline_session=second");
	emit_str("fuzz_auth", "cookie-bad", "a=b;; =c; d");
	emit_str("fuzz_auth", "cookie-long", "hotline_session="
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	emit_str("fuzz_auth", "token", "0123456789abcdefghijABCDEFGHIJ-_0123456789x");
}

/* Write the test key to a fresh 0600 file and load it like the daemon. */
static struct signer *
load_test_key(void)
{
	struct signer *s = NULL;
	char dir[64] = "/tmp/mkcorpus.XXXXXX", path[PATH_MAX], err[256];
	uint8_t seed[32];
	EVP_PKEY *pk = NULL;
	FILE *fp;
	int fd, ok;

	if (mkdtemp(dir) == NULL)
		return NULL;
	if (snprintf(path, sizeof(path), "%s/key.pem", dir) >=
	    (int)sizeof(path) ||
	    hex_decode(FUZZ_SEED_HEX, seed, sizeof(seed)) == -1 ||
	    (pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
	    sizeof(seed))) == NULL)
		goto done;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
	    0600)) == -1)
		goto done;
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		goto done;
	}
	ok = PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL, NULL) == 1;
	if (fclose(fp) != 0 || !ok)
		goto done;
	if ((s = signer_load(path, err, sizeof(err))) == NULL)
		fprintf(stderr, "%s: %s\n", path, err);
done:
	EVP_PKEY_free(pk);
	(void)unlink(path);
	(void)rmdir(dir);
	return s;
}

/* Signed notes, checkpoints and verifier keys for fuzz_note. */
static void
seeds_note(void)
{
	char text[256], line[NOTE_SIGLINE_MAX + 1], cos[NOTE_SIGLINE_MAX + 1];
	char note[1024], vkey[NOTE_VKEY_MAX + 1];
	uint8_t pub[ED25519_PUB_LEN];
	size_t n = sizeof(pub);
	struct checkpoint cp;
	size_t tlen;

	memset(&cp, 0, sizeof(cp));
	memcpy(cp.origin, "hotline/us", 11);
	cp.size = 1234;
	memset(cp.root, 0xa5, sizeof(cp.root));
	if ((tlen = checkpoint_format(&cp, text, sizeof(text))) == 0 ||
	    note_sign(key, "hotline/us", text, tlen, line, sizeof(line)) ==
	    -1 || note_cosign(key, "hotline/us", 1700000000, text, tlen, cos,
	    sizeof(cos)) == -1 ||
	    EVP_PKEY_get_raw_public_key(signer_pubkey(key), pub, &n) != 1) {
		fprintf(stderr, "cannot make the note seeds\n");
		exit(1);
	}
	(void)snprintf(note, sizeof(note), "%s\n%s", text, line);
	emit_str("fuzz_note", "checkpoint", note);
	(void)snprintf(note, sizeof(note), "%s\n%s%s", text, line, cos);
	emit_str("fuzz_note", "cosigned", note);
	(void)snprintf(note, sizeof(note), "%sext line\n\n%s", text, line);
	emit_str("fuzz_note", "extension", note);
	(void)snprintf(note, sizeof(note), "%s\n%s", text, line + 4);
	emit_str("fuzz_note", "no-dash", note);
	if (note_vkey_format("hotline/us", NOTE_ALG_COSIG_V1, pub, vkey,
	    sizeof(vkey)) == 0)
		emit_str("fuzz_note", "vkey", vkey);
}

/* Payloads of the transparency-log frames for fuzz_tlog_frames (the first
 * byte picks the type: 0 CHECKPOINT, 1 CONSIST_REQ, 2 CONSIST_PROOF,
 * 3 COSIG). */
static void
seeds_tlog_frames(void)
{
	static struct wire_proof pr;
	const char *note = "hotline/us\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n"
	    "\xe2\x80\x94 hotline/us AAAA\n";
	uint8_t root[32];
	struct buf b;
	int i;

	buf_init(&b, WIRE_HDR_LEN + WIRE_FRAME_MAX);
	memset(root, 7, sizeof(root));
	for (i = 0; i < 4; i++) {
		buf_reset(&b);
		if (buf_add_u8(&b, (uint8_t)i) == -1)
			exit(1);
		/* the type byte, then the frame without its 5-byte header */
		switch (i) {
		case 0:
			(void)checkpoint_frame_encode(&b, note, strlen(note));
			break;
		case 1:
			(void)consist_req_encode(&b, 5, 9);
			break;
		case 2:
			pr.old_size = 5;
			pr.new_size = 9;
			pr.n = 3;
			memset(pr.h, 0x3c, sizeof(pr.h));
			(void)consist_proof_encode(&b, &pr);
			break;
		default:
			(void)cosig_frame_encode(&b, 9, root,
			    "\xe2\x80\x94 hotline/ru AAAA\n");
			break;
		}
		memmove(b.data + 1, b.data + 1 + WIRE_HDR_LEN,
		    b.len - 1 - WIRE_HDR_LEN);
		b.len -= WIRE_HDR_LEN;
		emit_buf("fuzz_tlog_frames", i == 0 ? "checkpoint" : i == 1 ?
		    "consist-req" : i == 2 ? "consist-proof" : "cosig", &b);
	}
	buf_free(&b);
}

/* STIX objects and patterns (fuzz_stix): the specification's examples. */
static void
seeds_stix(void)
{
	emit_str("fuzz_stix", "indicator", "{\"type\":\"indicator\","
	    "\"spec_version\":\"2.1\",\"id\":\"indicator--8e2e2d2b-17d4-"
	    "4cbf-938f-98ee46b3cd3f\",\"created\":\"2016-04-06T20:03:48.000Z\","
	    "\"modified\":\"2016-04-06T20:03:48.000Z\",\"indicator_types\":"
	    "[\"malicious-activity\"],\"name\":\"Poison Ivy Malware\","
	    "\"pattern\":\"[file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c"
	    "5577cd02275510b2227f473d03f533924f877']\",\"pattern_type\":"
	    "\"stix\",\"valid_from\":\"2016-01-01T00:00:00Z\","
	    "\"object_marking_refs\":[\"marking-definition--bab4a63c-aed9-"
	    "4cf5-a766-dfca5abac2bb\"]}");
	emit_str("fuzz_stix", "malware", "{\"type\":\"malware\","
	    "\"spec_version\":\"2.1\",\"id\":\"malware--31b940d4-6f7f-459a-"
	    "80ea-9c1f17b5891b\",\"created\":\"2016-04-06T20:07:09.000Z\","
	    "\"modified\":\"2016-04-06T20:07:09.000Z\",\"name\":"
	    "\"Poison Ivy\",\"is_family\":false}");
	emit_str("fuzz_stix", "sighting", "{\"type\":\"sighting\","
	    "\"spec_version\":\"2.1\",\"id\":\"sighting--ee20065d-2555-424f-"
	    "ad9e-0f8fd6e7ceb0\",\"created\":\"2016-04-06T20:08:31.000Z\","
	    "\"modified\":\"2016-04-06T20:08:31.000Z\",\"sighting_of_ref\":"
	    "\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\",\"count\":1}");
	emit_str("fuzz_stix", "sco", "{\"type\":\"ipv4-addr\",\"id\":"
	    "\"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd\",\"value\":"
	    "\"198.51.100.3\"}");
	emit_str("fuzz_stix", "pattern-or",
	    "[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = "
	    "'203.0.113.33/32'] OR [domain-name:value IN ('a.example', "
	    "'b.example')]");
	emit_str("fuzz_stix", "pattern-and",
	    "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' AND "
	    "file:size = 0] WITHIN 60 SECONDS");
	emit_str("fuzz_stix", "pattern-v6",
	    "[ipv6-addr:value ISSUBSET '2001:db8::/32']");
	emit_str("fuzz_stix", "timestamp", "2016-05-12T08:17:27.123456Z");
	emit_str("fuzz_stix", "pattern-plain",
	    "[domain-name:value = 'EVIL.example']");
}

/* Log lines (fuzz_match): the kinds bench/gen_logs.py writes, with values
 * of fuzz_match.c's set, and words that cross 64-byte blocks. */
static void
seeds_match(void)
{
	emit_str("fuzz_match", "firewall", "Nov  3 12:00:01 fw01 kernel: "
	    "[FW-DROP] IN=eth0 OUT=eth1 SRC=10.1.2.3 DST=198.51.100.7 LEN=60 "
	    "TOS=0x00 PROTO=TCP SPT=51000 DPT=443 SYN\n"
	    "Nov  3 12:00:02 fw01 sshd[123]: Failed password for root from "
	    "203.0.113.250 port 4242 ssh2\n");
	emit_str("fuzz_match", "proxy", "1700000000.123    17 10.0.0.9 "
	    "TCP_MISS/200 512 GET http://bad.example/a?b=1 - HIER_DIRECT/"
	    "198.51.100.70 text/html\nnamed[9]: client @0x7f00 10.0.0.9#53 "
	    "(EVIL.Example): query: evil.example. IN A + (10.0.0.53)\n");
	emit_str("fuzz_match", "edr", "edr[77]: event=process_create "
	    "image=C:\\Temp\\x.exe sha256=E3B0C44298FC1C149AFBF4C8996FB924"
	    "27AE41E4649B934CA495991B7852B855 md5=d41d8cd98f00b204e9800998ecf84"
	    "27e sha1=da39a3ee5e6b4b0d3255bfef95601890afd80709\n");
	emit_str("fuzz_match", "v6", "dst [2001:db8::1]:80 and "
	    "2001:db8:1:ffff::9 and a-very-long-host-name-that-crosses-a-"
	    "64-byte-block.evil.example 1.2.3.4. 010.1.2.3\n");
}

/* TAXII query strings (fuzz_taxii_query), after the specification. */
static void
seeds_taxii(void)
{
	emit_str("fuzz_taxii_query", "filters", "match[type]=indicator,sighting"
	    "&match[version]=all&added_after=2016-02-01T00:00:01.000Z&limit=5");
	emit_str("fuzz_taxii_query", "encoded", "match%5Bid%5D=indicator--"
	    "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f&match%5Bspec_version%5D=2.1");
	emit_str("fuzz_taxii_query", "versions", "match[version]=first,last,"
	    "2016-01-01T01:01:01.000Z");
	emit_str("fuzz_taxii_query", "next", "match[type]=indicator&next="
	    "4d2-0123456789abcdef");
	emit_str("fuzz_taxii_query", "bad", "limit=0&match[type]=%zz&&=");
}

int
main(int argc, char *argv[])
{
	uint8_t example_id[MSG_ID_LEN];

	if (argc == 3 && strcmp(argv[1], "-c") == 0) {
		checking = 1;
		outdir = argv[2];
	} else if (argc == 2 && argv[1][0] != '-')
		outdir = argv[1];
	else {
		fprintf(stderr, "usage: mkcorpus [-c] dir\n");
		return 2;
	}
	if (!checking && mkdir(outdir, 0755) == -1 && errno != EEXIST) {
		fprintf(stderr, "%s: %s\n", outdir, strerror(errno));
		return 1;
	}
	if ((key = load_test_key()) == NULL) {
		fprintf(stderr, "cannot load the test key\n");
		return 1;
	}
	seeds_msg(example_id);
	seeds_receipt(example_id);
	seeds_hello();
	seeds_frame(example_id);
	seeds_config();
	seeds_api_json();
	seeds_jsonv();
	seeds_http_head();
	seeds_note();
	seeds_tlog_frames();
	seeds_stix();
	seeds_match();
	seeds_taxii();
	seeds_auth();
	signer_free(key);
	if (nbad > 0) {
		fprintf(stderr, "%d seed%s %s\n", nbad, nbad == 1 ? "" : "s",
		    checking ? "out of date: run mkcorpus DIR and commit" :
		    "not written");
		return 1;
	}
	return 0;
}
