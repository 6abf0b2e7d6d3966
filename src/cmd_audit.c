/*
 * cmd_audit.c: `hotline audit`, the transparency record for operators and
 * auditors.
 *
 *   audit key [--dir DIR]        this node's verifier keys (offline)
 *   audit prove ID [-o FILE]     write a proof file for message ID
 *   audit verify FILE --key VKEY [--key VKEY ...]
 *                                check a proof file offline, with nothing
 *                                but the parties' verifier keys
 *   audit verify-note FILE --key VKEY [--key VKEY ...]
 *                                check any C2SP signed note (and, if it is
 *                                one, the checkpoint in it) offline
 *   audit check                  recompute the node's whole log and check
 *                                its checkpoints and cosignatures
 *   audit evidence               alarms raised about peers' logs
 *   audit status                 the log, its latest checkpoint
 *
 * `verify` trusts nothing in the file: every signature, leaf and inclusion
 * proof is checked against the keys given, and it says exactly what is
 * proven. Exit 0 only if everything in the file verified.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "cli.h"
#include "client.h"
#include "config.h"
#include "identity.h"
#include "msg.h"
#include "note.h"
#include "store.h"
#include "tlog.h"
#include "util.h"
#include "witness.h"

#define AUDIT_FILE_MAX	(1024 * 1024)
#define AUDIT_KEYS_MAX	16

static int
audit_usage(void)
{
	fprintf(stderr,
	    "usage: hotline audit key [--dir DIR]\n"
	    "       hotline audit prove ID [-o FILE] [--wait SECONDS]\n"
	    "       hotline audit verify FILE --key VKEY [--key VKEY ...]\n"
	    "       hotline audit verify-note FILE --key VKEY [--key VKEY ...]\n"
	    "       hotline audit check | evidence | status [--json]\n");
	return 2;
}

static int
out_json(json_t *v)
{
	if (json_dumpf(v, stdout, JSON_INDENT(2)) == -1 ||
	    fputc('\n', stdout) == EOF) {
		fprintf(stderr, "hotline: cannot write the output\n");
		return 1;
	}
	return 0;
}

static const char *
conf_path(struct cli *cli)
{
	const char *e;

	if (cli->config != NULL)
		return cli->config;
	if ((e = getenv("HOTLINE_CONF")) != NULL && *e != '\0')
		return e;
	return "hotline.conf";
}

static int
audit_key(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir",	required_argument,	NULL, 'd' },
		{ "json",	no_argument,		NULL, 'j' },
		{ NULL,		0,			NULL, 0 },
	};
	struct config *cf;
	char cert[PATH_MAX + 16], err[512], lk[NOTE_VKEY_MAX + 1];
	char ck[NOTE_VKEY_MAX + 1], party[PARTY_MAX + 1] = "";
	const char *dir = NULL;
	EVP_PKEY *pub;
	int ch, rv = 1;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "d:j", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'j': cli->json = true; break;
		default: return audit_usage();
		}
	}
	if (optind != argc)
		return audit_usage();
	cf = xcalloc(1, sizeof(*cf));
	if (dir != NULL) {
		snprintf(cert, sizeof(cert), "%s/hotline.conf", dir);
		if (config_load(cert, cf, err, sizeof(err)) == -1) {
			fprintf(stderr, "hotline: %s\n", err);
			goto done;
		}
	} else if (config_load(conf_path(cli), cf, err, sizeof(err)) == -1) {
		fprintf(stderr, "hotline: %s\n", err);
		goto done;
	}
	snprintf(party, sizeof(party), "%s", cf->party);
	if ((pub = identity_load_cert_pubkey(cf->cert_file)) == NULL) {
		fprintf(stderr, "hotline: %s: cannot read the certificate\n",
		    cf->cert_file);
		goto done;
	}
	rv = witness_vkeys(party, pub, lk, sizeof(lk), ck, sizeof(ck));
	EVP_PKEY_free(pub);
	if (rv == -1) {
		rv = 1;
		fprintf(stderr, "hotline: cannot format the verifier keys\n");
		goto done;
	}
	if (cli->json)
		rv = out_json(json_pack("{s:s, s:s, s:s}", "party", party,
		    "vkey", lk, "cosigner_vkey", ck));
	else {
		printf("%s\n%s\n", lk, ck);
		rv = 0;
	}
done:
	free(cf);
	return rv;
}

static int
audit_prove(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output",	required_argument,	NULL, 'o' },
		{ "wait",	required_argument,	NULL, 'w' },
		{ NULL,		0,			NULL, 0 },
	};
	const char *out = NULL;
	char path[128];
	json_t *resp = NULL;
	uint64_t wait_s = 10, t0;
	long status;
	char *text = NULL;
	int ch, rv = 1;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "o:w:", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': out = optarg; break;
		case 'w':
			if (parse_u64(optarg, 0, 3600, &wait_s) == -1)
				return audit_usage();
			break;
		default: return audit_usage();
		}
	}
	if (optind + 1 != argc || strlen(argv[optind]) > ID_HEX_LEN)
		return audit_usage();
	snprintf(path, sizeof(path), "/v1/audit/proof/%s", argv[optind]);
	/* A fresh message waits for a checkpoint the peer has cosigned. */
	t0 = now_mono_us();
	for (;;) {
		json_decref(resp);
		resp = NULL;
		if (client_call(cli, "GET", path, NULL, &resp, &status) == -1)
			goto done;
		if (status != 200) {
			fprintf(stderr, "hotline: %s\n", json_string_value(
			    json_object_get(resp, "error")) ?
			    json_string_value(json_object_get(resp, "error")) :
			    "request failed");
			goto done;
		}
		if (json_integer_value(json_object_get(resp,
		    "cosignatures")) > 0 ||
		    now_mono_us() - t0 >= wait_s * 1000000)
			break;
		usleep(250000);
	}
	if (json_integer_value(json_object_get(resp, "cosignatures")) == 0)
		fprintf(stderr, "hotline: warning: no peer has cosigned a "
		    "checkpoint covering this message yet; the proof rests "
		    "on this node's signature alone\n");
	if ((text = json_dumps(resp, JSON_INDENT(2))) == NULL)
		goto done;
	if (out == NULL) {
		printf("%s\n", text);
		rv = 0;
	} else {
		size_t n = strlen(text);

		text[n] = '\n';	/* json_dumps left room for the NUL */
		if (write_file_atomic(out, text, n + 1, 0644) == -1) {
			fprintf(stderr, "hotline: %s: cannot write\n", out);
			goto done;
		}
		fprintf(stderr, "proof written to %s\n", out);
		rv = 0;
	}
done:
	free(text);
	json_decref(resp);
	return rv;
}

/* Decode a base64 JSON string field into a malloc'd buffer. */
static uint8_t *
jb64(json_t *o, const char *key, size_t *len)
{
	const char *s = json_string_value(json_object_get(o, key));
	uint8_t *p;
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > AUDIT_FILE_MAX)
		return NULL;
	p = xmalloc(n / 4 * 3 + 3);
	if (b64_decode(s, n, p, n / 4 * 3 + 3, len) == -1) {
		free(p);
		return NULL;
	}
	return p;
}

struct vctx {
	struct note_verifier	 keys[AUDIT_KEYS_MAX];
	int			 nkeys;
	struct checkpoint	 cp;
	char			 owner[PARTY_MAX + 1];
	int			 failures;
	json_t			*facts;		/* for --json */
	bool			 quiet;
};

static void
say(struct vctx *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(struct vctx *v, const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	json_array_append_new(v->facts, json_string(line));
	if (!v->quiet)
		printf("%s\n", line);
}

static void
fail(struct vctx *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail(struct vctx *v, const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	v->failures++;
	say(v, "FAILED: %s", line);
}

/* The public key of party, from a verifier key named hotline/<party>. */
static EVP_PKEY *
party_key(struct vctx *v, const char *party)
{
	char name[CHECKPOINT_ORIGIN_MAX + 1];
	int i;

	if (witness_origin(party, name, sizeof(name)) == -1)
		return NULL;
	for (i = 0; i < v->nkeys; i++)
		if (strcmp(v->keys[i].name, name) == 0)
			return identity_pubkey_from_raw(v->keys[i].pub);
	return NULL;
}

/* Check one entry's leaf and inclusion; fills lf. 0 or -1. */
static int
check_leaf(struct vctx *v, json_t *e, const char *what, struct tlog_leaf *lf)
{
	uint8_t *leaf, proof[TLOG_PROOF_MAX][TLOG_HASH_LEN], h[TLOG_HASH_LEN];
	json_t *jp = json_object_get(e, "proof"), *x;
	json_int_t idx = json_integer_value(json_object_get(e, "index"));
	const char *err;
	size_t len, i, n;
	int plen = 0;

	if ((leaf = jb64(e, "leaf", &len)) == NULL ||
	    tlog_leaf_decode(leaf, len, lf, &err) == -1) {
		free(leaf);
		fail(v, "%s: the leaf is missing or malformed", what);
		return -1;
	}
	tlog_leaf_hash(leaf, len, h);
	free(leaf);
	if (!json_is_array(jp) || json_array_size(jp) > TLOG_PROOF_MAX ||
	    idx < 0) {
		fail(v, "%s: bad inclusion proof", what);
		return -1;
	}
	json_array_foreach(jp, i, x) {
		uint8_t tmp[TLOG_HASH_LEN + 3];
		const char *s = json_string_value(x);

		if (s == NULL || b64_decode(s, strlen(s), tmp, sizeof(tmp),
		    &n) == -1 || n != TLOG_HASH_LEN) {
			fail(v, "%s: bad hash in the inclusion proof", what);
			return -1;
		}
		memcpy(proof[plen++], tmp, TLOG_HASH_LEN);
	}
	if (!tlog_verify_inclusion((uint64_t)idx, v->cp.size, h,
	    (const uint8_t (*)[TLOG_HASH_LEN])proof, plen, v->cp.root)) {
		fail(v, "%s: leaf %lld is NOT in the log at size %llu (the "
		    "inclusion proof does not verify)", what, (long long)idx,
		    (unsigned long long)v->cp.size);
		return -1;
	}
	return 0;
}

static const char *
fmt_t(uint64_t ms, char buf[32])
{
	fmt_utc_ms(ms, buf);
	return buf;
}

/* A message entry: its leaf, inclusion, id and sender's signature. */
static int
check_msg(struct vctx *v, json_t *e, const char *what, struct msg *m,
    struct tlog_leaf *lf, uint8_t **bytes)
{
	struct cursor c;
	const char *err;
	char id[ID_HEX_LEN + 1], t1[32], t2[32];
	EVP_PKEY *pk;
	size_t len;
	bool sigok;

	*bytes = NULL;
	if (check_leaf(v, e, what, lf) == -1)
		return -1;
	if ((*bytes = jb64(e, "message", &len)) == NULL) {
		fail(v, "%s: the message is missing", what);
		return -1;
	}
	cur_init(&c, *bytes, len);
	if (msg_decode(&c, m, &err) == -1) {
		fail(v, "%s: malformed message: %s", what, err);
		return -1;
	}
	hex_encode(m->id, MSG_ID_LEN, id);
	if (lf->type != LEAF_MSG || memcmp(lf->id, m->id, MSG_ID_LEN) != 0) {
		fail(v, "%s: the leaf does not commit to message %.12s", what,
		    id);
		return -1;
	}
	if ((pk = party_key(v, m->from)) == NULL) {
		fail(v, "%s %.12s: no key given for its sender %s", what, id,
		    m->from);
		return -1;
	}
	sigok = msg_verify(m, pk);
	EVP_PKEY_free(pk);
	if (!sigok) {
		fail(v, "%s %.12s: the signature by %s does NOT verify", what,
		    id, m->from);
		return -1;
	}
	say(v, "%s %.12s: %s/%s %s from %s to %s, created %s; signed by %s "
	    "(verified)", what, id, channel_name(m->channel), m->kind,
	    prec_name(m->prec), m->from, m->to, fmt_t(m->created, t1),
	    m->from);
	if (m->batch_n != 0)
		say(v, "  batch signature: message %u of %u under one Ed25519 "
		    "signature of their Merkle root; its inclusion path "
		    "verified", m->batch_idx + 1, m->batch_n);
	say(v, "  in %s's log: leaf %llu, %s %s at %s (%s's clock); "
	    "inclusion in the checkpoint verified", v->owner,
	    (unsigned long long)json_integer_value(json_object_get(e,
	    "index")), lf->dir == DIR_OUT ? "sent to" :
	    "received from", lf->peer, fmt_t(lf->time, t2), v->owner);
	return 0;
}

static int
audit_verify(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key",	required_argument,	NULL, 'k' },
		{ "json",	no_argument,		NULL, 'j' },
		{ NULL,		0,			NULL, 0 },
	};
	struct vctx *v;
	struct note_result res[AUDIT_KEYS_MAX];
	struct note nt;
	json_error_t jerr;
	json_t *doc = NULL, *ents, *e;
	const char *err, *log, *note, *role;
	char *keys[AUDIT_KEYS_MAX], t1[32], id[ID_HEX_LEN + 1];
	char cosigners[512] = "", ackline[300] = "", rcptline[300] = "";
	struct msg m, ack;
	struct tlog_leaf lf, alf;
	uint8_t *mbytes = NULL, *abytes = NULL;
	int ch, i, nk = 0, rv = 1, have_msg = 0;
	size_t k;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "k:j", opts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			if (nk == AUDIT_KEYS_MAX)
				return audit_usage();
			keys[nk++] = optarg;
			break;
		case 'j': cli->json = true; break;
		default: return audit_usage();
		}
	}
	if (optind + 1 != argc || nk == 0)
		return audit_usage();
	v = xcalloc(1, sizeof(*v));
	v->facts = json_array();
	v->quiet = cli->json;
	for (i = 0; i < nk; i++)
		if (note_vkey_parse(keys[i], &v->keys[v->nkeys++], &err) ==
		    -1) {
			fprintf(stderr, "hotline: %s: %s\n", keys[i], err);
			goto done;
		}
	if ((doc = json_load_file(argv[optind], JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		fprintf(stderr, "hotline: %s: %s\n", argv[optind], jerr.text);
		goto done;
	}
	if (strcmp(json_string_value(json_object_get(doc, "format")) ?
	    json_string_value(json_object_get(doc, "format")) : "",
	    "hotline-proof/v1") != 0 ||
	    (log = json_string_value(json_object_get(doc, "log"))) == NULL ||
	    (note = json_string_value(json_object_get(doc, "checkpoint"))) ==
	    NULL || !json_is_array(ents = json_object_get(doc, "entries"))) {
		fprintf(stderr, "hotline: %s: not a hotline proof file\n",
		    argv[optind]);
		goto done;
	}
	if (strncmp(log, "hotline/", 8) != 0 || !party_id_valid(log + 8)) {
		fprintf(stderr, "hotline: %s: bad log name\n", argv[optind]);
		goto done;
	}
	snprintf(v->owner, sizeof(v->owner), "%s", log + 8);
	/* The checkpoint: signed by the log's owner, cosigned by peers. */
	if (note_parse(note, strlen(note), &nt, &err) == -1 ||
	    note_verify(&nt, v->keys, v->nkeys, res, &err) == -1 ||
	    checkpoint_parse(nt.text, nt.textlen, &v->cp, &err) == -1) {
		fail(v, "the checkpoint: %s", err);
		goto report;
	}
	if (strcmp(v->cp.origin, log) != 0) {
		fail(v, "the checkpoint is of log %s, not %s", v->cp.origin,
		    log);
		goto report;
	}
	for (i = 0; i < v->nkeys; i++)
		if (res[i].verified && v->keys[i].type == NOTE_ALG_ED25519 &&
		    strcmp(v->keys[i].name, log) == 0)
			break;
	if (i == v->nkeys) {
		fail(v, "the checkpoint is not signed by %s's log key (give "
		    "its verifier key %s+...)", v->owner, log);
		goto report;
	}
	say(v, "checkpoint: log %s at size %llu, signed by %s (verified)",
	    log, (unsigned long long)v->cp.size, v->owner);
	for (i = 0; i < v->nkeys; i++) {
		size_t used = strlen(cosigners);

		if (!res[i].verified || v->keys[i].type != NOTE_ALG_COSIG_V1)
			continue;
		say(v, "  cosigned by %s at %s (cosignature verified)",
		    strncmp(v->keys[i].name, "hotline/", 8) == 0 ?
		    v->keys[i].name + 8 : v->keys[i].name,
		    fmt_t(res[i].cosig_time * 1000, t1));
		snprintf(cosigners + used, sizeof(cosigners) - used,
		    "%scosigned by %s at %s", used ? ", " : "",
		    strncmp(v->keys[i].name, "hotline/", 8) == 0 ?
		    v->keys[i].name + 8 : v->keys[i].name, t1);
	}
	if (cosigners[0] == '\0')
		say(v, "  no cosignature by a key given: this rests on %s's "
		    "word alone", v->owner);
	json_array_foreach(ents, k, e) {
		role = json_string_value(json_object_get(e, "role"));
		if (role == NULL)
			role = "?";
		if (strcmp(role, "message") == 0 && !have_msg) {
			if (check_msg(v, e, "message", &m, &lf, &mbytes) == 0)
				have_msg = 1;
		} else if (strcmp(role, "ack") == 0 && have_msg) {
			if (check_msg(v, e, "acknowledgment", &ack, &alf,
			    &abytes) == -1)
				continue;
			if (strcmp(ack.kind, "ack") != 0 || !ack.has_ref ||
			    memcmp(ack.ref, m.id, MSG_ID_LEN) != 0 ||
			    strcmp(ack.from, m.to) != 0) {
				fail(v, "the acknowledgment does not "
				    "acknowledge the message");
				continue;
			}
			snprintf(ackline, sizeof(ackline), "; acknowledged by "
			    "%s at %s (its signed time)", ack.from,
			    fmt_t(ack.created, t1));
		} else if (strcmp(role, "receipt") == 0 && have_msg) {
			struct receipt r;
			struct cursor c;
			uint8_t *rb;
			size_t rlen;
			EVP_PKEY *pk;
			bool ok;

			if (check_leaf(v, e, "receipt", &alf) == -1)
				continue;
			if ((rb = jb64(e, "receipt", &rlen)) == NULL) {
				fail(v, "receipt: missing");
				continue;
			}
			cur_init(&c, rb, rlen);
			ok = receipt_decode(&c, &r, &err) == 0;
			free(rb);
			if (!ok || alf.type != LEAF_RECEIPT ||
			    memcmp(alf.id, r.id, MSG_ID_LEN) != 0) {
				fail(v, "receipt: malformed or not the leaf's");
				continue;
			}
			if ((pk = party_key(v, r.to)) == NULL) {
				fail(v, "receipt: no key given for %s", r.to);
				continue;
			}
			ok = receipt_verify(&r, pk);
			EVP_PKEY_free(pk);
			if (!ok || strcmp(r.from, m.from) != 0 ||
			    strcmp(r.to, m.to) != 0 || r.channel != m.channel ||
			    r.prec != m.prec || r.seq < m.seq) {
				fail(v, "receipt: signature or coverage does "
				    "not verify");
				continue;
			}
			say(v, "receipt: %s holds %s's %s/%s stream up to seq "
			    "%llu (message is seq %llu) at %s; signed by %s "
			    "(verified); leaf %lld of the log", r.to, r.from,
			    channel_name(r.channel), prec_name(r.prec),
			    (unsigned long long)r.seq,
			    (unsigned long long)m.seq, fmt_t(r.time, t1), r.to,
			    (long long)json_integer_value(json_object_get(e,
			    "index")));
			snprintf(rcptline, sizeof(rcptline), "; delivery "
			    "receipt signed by %s at %s", r.to, t1);
		} else
			fail(v, "unexpected entry \"%s\"", role);
	}
	if (!have_msg)
		fail(v, "no verified message in the file");
report:
	if (v->failures == 0) {
		hex_encode(m.id, MSG_ID_LEN, id);
		fmt_t(lf.time, t1);
		say(v, "PROVEN: message %.12s from %s was in %s's log at size "
		    "%llu (%s by %s at %s)%s%s%s%s.", id, m.from, v->owner,
		    (unsigned long long)v->cp.size, lf.dir == DIR_OUT ?
		    "sent" : "received", v->owner, t1, cosigners[0] ? ", " :
		    ", not cosigned", cosigners, ackline, rcptline);
		rv = 0;
	} else
		say(v, "NOT PROVEN: %d check(s) failed", v->failures);
	if (cli->json)
		(void)out_json(json_pack("{s:b, s:O}", "proven", rv == 0,
		    "facts", v->facts));
done:
	free(mbytes);
	free(abytes);
	json_decref(doc);
	json_decref(v->facts);
	free(v);
	return rv;
}

/* Read a whole small file into a malloc'd buffer. */
static char *
read_small(const char *path, size_t *len)
{
	FILE *fp;
	char *p;
	size_t n;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	p = xmalloc(NOTE_MAX + 2);
	n = fread(p, 1, NOTE_MAX + 1, fp);
	fclose(fp);
	if (n > NOTE_MAX) {
		free(p);
		return NULL;
	}
	p[n] = '\0';
	*len = n;
	return p;
}

static int
audit_verify_note(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key",	required_argument,	NULL, 'k' },
		{ NULL,		0,			NULL, 0 },
	};
	struct note_verifier keys[AUDIT_KEYS_MAX];
	struct note_result res[AUDIT_KEYS_MAX];
	struct checkpoint cp;
	struct note nt;
	const char *err;
	char *text, t[32], b64[48];
	size_t len;
	int ch, i, nk = 0, rv = 1;

	(void)cli;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "k:", opts, NULL)) != -1) {
		if (ch != 'k' || nk == AUDIT_KEYS_MAX)
			return audit_usage();
		if (note_vkey_parse(optarg, &keys[nk++], &err) == -1) {
			fprintf(stderr, "hotline: %s: %s\n", optarg, err);
			return 1;
		}
	}
	if (optind + 1 != argc || nk == 0)
		return audit_usage();
	if ((text = read_small(argv[optind], &len)) == NULL) {
		fprintf(stderr, "hotline: %s: cannot read (or over %d bytes)\n",
		    argv[optind], NOTE_MAX);
		return 1;
	}
	if (note_parse(text, len, &nt, &err) == -1 ||
	    note_verify(&nt, keys, nk, res, &err) == -1) {
		printf("NOT VERIFIED: %s\n", err);
		goto done;
	}
	for (i = 0; i < nk; i++) {
		if (!res[i].verified)
			continue;
		if (keys[i].type == NOTE_ALG_COSIG_V1)
			printf("cosigned by %s at %s (verified)\n", keys[i].name,
			    fmt_t(res[i].cosig_time * 1000, t));
		else
			printf("signed by %s (verified)\n", keys[i].name);
	}
	if (checkpoint_parse(nt.text, nt.textlen, &cp, &err) == 0 &&
	    b64_encode(cp.root, 32, b64, sizeof(b64)) > 0)
		printf("checkpoint: origin %s, size %llu, root %s\n", cp.origin,
		    (unsigned long long)cp.size, b64);
	rv = 0;
done:
	free(text);
	return rv;
}

static int
audit_get(struct cli *cli, const char *path, int argc, char **argv)
{
	json_t *resp = NULL, *x;
	int rv = 1, ch;
	size_t i;

	optind = 0;
	while ((ch = getopt(argc, argv, "j")) != -1) {
		if (ch != 'j')
			return audit_usage();
		cli->json = true;
	}
	if (optind != argc)
		return audit_usage();
	if (client_request(cli, strcmp(path, "/v1/audit/checkpoint") == 0 ?
	    "POST" : "GET", path, NULL, &resp) == -1)
		return 1;
	if (cli->json) {
		rv = out_json(resp);
		json_decref(resp);
		return rv;
	}
	if (strcmp(path, "/v1/audit/check") == 0) {
		printf("%s: %lld leaves, %lld checkpoints, %lld "
		    "cosignatures\n", json_is_true(json_object_get(resp,
		    "ok")) ? "log OK" : "LOG DAMAGED",
		    (long long)json_integer_value(json_object_get(resp,
		    "leaves")), (long long)json_integer_value(
		    json_object_get(resp, "checkpoints")),
		    (long long)json_integer_value(json_object_get(resp,
		    "cosignatures")));
		json_array_foreach(json_object_get(resp, "problems"), i, x)
			printf("  %s\n", json_string_value(x));
		rv = json_is_true(json_object_get(resp, "ok")) ? 0 : 1;
	} else if (strcmp(path, "/v1/audit/evidence") == 0) {
		json_array_foreach(json_object_get(resp, "evidence"), i, x)
			printf("ALARM %s %s %s: %s\n", json_string_value(
			    json_object_get(x, "time")), json_string_value(
			    json_object_get(x, "peer")), json_string_value(
			    json_object_get(x, "kind")), json_string_value(
			    json_object_get(x, "detail")));
		if (json_array_size(json_object_get(resp, "evidence")) == 0)
			printf("no alarms\n");
		rv = 0;
	} else {
		printf("log          %s\nsize         %lld leaves\n"
		    "vkey         %s\ncosigner     %s\n"
		    "checkpoint   size %lld, %lld cosignature(s)\n"
		    "alarms       %lld since start\n",
		    json_string_value(json_object_get(resp, "origin")),
		    (long long)json_integer_value(json_object_get(resp, "size")),
		    json_string_value(json_object_get(resp, "vkey")),
		    json_string_value(json_object_get(resp, "cosigner_vkey")),
		    (long long)json_integer_value(json_object_get(resp,
		    "checkpoint_size")), (long long)json_integer_value(
		    json_object_get(resp, "cosignatures")),
		    (long long)json_integer_value(json_object_get(resp,
		    "alarms_since_start")));
		rv = 0;
	}
	json_decref(resp);
	return rv;
}

int
cmd_audit(struct cli *cli, int argc, char **argv)
{
	const char *sub;

	if (argc < 2)
		return audit_usage();
	sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "key") == 0)
		return audit_key(cli, argc, argv);
	if (strcmp(sub, "prove") == 0)
		return audit_prove(cli, argc, argv);
	if (strcmp(sub, "verify") == 0)
		return audit_verify(cli, argc, argv);
	if (strcmp(sub, "verify-note") == 0)
		return audit_verify_note(cli, argc, argv);
	if (strcmp(sub, "check") == 0)
		return audit_get(cli, "/v1/audit/check", argc, argv);
	if (strcmp(sub, "evidence") == 0)
		return audit_get(cli, "/v1/audit/evidence", argc, argv);
	if (strcmp(sub, "status") == 0)
		return audit_get(cli, "/v1/audit", argc, argv);
	if (strcmp(sub, "checkpoint") == 0)
		return audit_get(cli, "/v1/audit/checkpoint", argc, argv);
	return audit_usage();
}
