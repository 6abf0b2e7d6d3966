/*
 * audit.c: the transparency record on the local API, under /v1/audit:
 *
 *   GET  /v1/audit                 the log: origin, size, root, verifier
 *                                  keys, latest checkpoint with its
 *                                  cosignatures, alarms raised
 *   GET  /v1/audit/proof/{id}      a self-contained proof file for message
 *                                  id (docs/PROTOCOL.md, "Proof files")
 *   GET  /v1/audit/check           recompute the whole log and check every
 *                                  stored checkpoint and cosignature
 *   GET  /v1/audit/evidence        alarms about peers' logs, with evidence
 *   GET  /v1/audit/consistency?from=M&to=N
 *                                  RFC 6962 consistency proof between two
 *                                  sizes, with both tree hashes
 *   POST /v1/audit/checkpoint      sign and exchange a checkpoint now
 *
 * Roles (docs/API.md): every account sees the summary and the proofs of
 * the channels it reads; evidence and the whole-log check are for
 * auditors and administrators, checkpoint-now for administrators.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <sqlite3.h>

#include "api.h"
#include "audit.h"
#include "log.h"
#include "note.h"
#include "signer.h"
#include "store.h"
#include "tlog.h"
#include "util.h"
#include "wire.h"
#include "witness.h"

#define PROOF_ENTRIES_MAX	4

static json_t *
j_b64(const uint8_t *p, size_t n)
{
	char *s = xmalloc(n / 3 * 4 + 8);
	json_t *j;

	if (b64_encode(p, n, s, n / 3 * 4 + 8) == 0 && n > 0) {
		free(s);
		return NULL;
	}
	j = json_string(s);
	free(s);
	return j;
}

/* Our checkpoint at size (with every cosignature appended), or the best
 * one covering leaves [0, need): the largest cosigned, else the largest.
 * Returns a malloc'd note with *size and *ncosig set, or NULL. */
static char *
checkpoint_with_cosigs(struct hotlined *d, uint64_t need, uint64_t *size,
    int *ncosig)
{
	sqlite3 *db = store_db(d->st);
	sqlite3_stmt *s = NULL;
	char *note = NULL, *tmp;
	size_t n;

	*ncosig = 0;
	if (sqlite3_prepare_v2(db, "SELECT c.size, c.note FROM "
	    "tlog_checkpoints c WHERE c.size >= ? ORDER BY EXISTS (SELECT 1 "
	    "FROM tlog_cosigs s WHERE s.size = c.size) DESC, c.size DESC "
	    "LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		goto done;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)need);
	if (sqlite3_step(s) != SQLITE_ROW)
		goto done;
	*size = (uint64_t)sqlite3_column_int64(s, 0);
	note = xstrdup((const char *)sqlite3_column_text(s, 1));
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_prepare_v2(db, "SELECT line FROM tlog_cosigs WHERE "
	    "size = ? ORDER BY peer", -1, &s, NULL) != SQLITE_OK)
		goto done;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)*size);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(s, 0);

		n = strlen(note) + strlen(line) + 1;
		tmp = xmalloc(n);
		snprintf(tmp, n, "%s%s", note, line);
		free(note);
		note = tmp;
		(*ncosig)++;
	}
done:
	sqlite3_finalize(s);
	return note;
}

struct rcpt_found {
	struct receipt	r;
	uint64_t	stored;
	int		found;
};

struct entry {
	const char	*role;		/* "message", "ack", "receipt" */
	uint64_t	 idx;
	struct buf	 bytes;		/* message or receipt encoding */
	int		 is_receipt;
};

static int
first_receipt(void *arg, const struct receipt_row *rr)
{
	struct rcpt_found *out = arg;

	if (!out->found) {
		out->r = rr->r;
		out->stored = rr->stored;
		out->found = 1;
	}
	return -1;	/* the first is enough */
}

/* Add the message with hex id as an entry. 0, 1 not in the log, -1. */
static int
add_msg_entry(struct hotlined *d, const char *id, const char *role,
    struct entry *e, struct rcpt_found *rc)
{
	struct msg_row row;
	int rc2;

	if (store_msg_get(d->st, id, &row) != 0)
		return -1;
	rc2 = tlog_leaf_find(d->tlog, LEAF_MSG, row.m.id, row.dir == DIR_OUT ?
	    row.accepted : row.received, &e->idx);
	if (rc2 == 0) {
		e->role = role;
		buf_init(&e->bytes, 2 * WIRE_FRAME_MAX);
		if (msg_encode(&row.m, &e->bytes) == -1)
			rc2 = -1;
		if (rc != NULL) {
			memset(rc, 0, sizeof(*rc));
			(void)store_receipts_for(d->st, &row, first_receipt, rc);
		}
	}
	msg_row_clear(&row);
	return rc2;
}

static void
h_proof(struct api_req *q, const char *arg)
{
	struct hotlined *d = q->d;
	struct entry e[PROOF_ENTRIES_MAX];
	struct msg_row row;
	struct rcpt_found rcpt;
	char id[ID_HEX_LEN + 1], origin[CHECKPOINT_ORIGIN_MAX + 1];
	char ackid[ID_HEX_LEN + 1] = "";
	uint8_t proof[TLOG_PROOF_MAX][TLOG_HASH_LEN], leaf[TLOG_LEAF_MAX];
	uint64_t need = 0, size = 0;
	json_t *o = NULL, *ents, *je, *jp;
	char *note = NULL;
	size_t len;
	int ne = 0, i, k, plen, ncosig = 0, rc;

	memset(e, 0, sizeof(e));
	if ((rc = store_msg_resolve(d->st, arg, id)) != 0) {
		api_reply_error(q, rc == 2 ? 409 : rc == 1 ? 404 : 503,
		    rc == 2 ? "ambiguous id prefix" : rc == 1 ?
		    "no such message" : "the message store failed");
		return;
	}
	if (store_msg_get(d->st, id, &row) != 0) {
		api_reply_error(q, 503, "the message store failed");
		return;
	}
	/* A proof carries the message: only for who may read its channel
	 * (auditors and administrators read all). */
	if (q->who.role != ROLE_AUDITOR && !api_may_read(&q->who,
	    row.m.channel)) {
		api_reply_error(q, 403, "your role may not read the %s channel",
		    channel_name(row.m.channel));
		msg_row_clear(&row);
		return;
	}
	snprintf(ackid, sizeof(ackid), "%s", row.ack_id);
	msg_row_clear(&row);
	if ((rc = add_msg_entry(d, id, "message", &e[ne], &rcpt)) != 0) {
		api_reply_error(q, rc == 1 ? 404 : 503, rc == 1 ?
		    "message is not in the transparency log" :
		    "the message store failed");
		return;
	}
	ne++;
	if (ackid[0] != '\0' && add_msg_entry(d, ackid, "ack", &e[ne],
	    NULL) == 0)
		ne++;
	if (rcpt.found && tlog_leaf_find(d->tlog, LEAF_RECEIPT, rcpt.r.id,
	    rcpt.stored, &e[ne].idx) == 0) {
		e[ne].role = "receipt";
		e[ne].is_receipt = 1;
		buf_init(&e[ne].bytes, WIRE_FRAME_MAX);
		if (receipt_encode(&rcpt.r, &e[ne].bytes) == 0)
			ne++;
		else
			buf_free(&e[ne].bytes);
	}
	for (i = 0; i < ne; i++)
		if (e[i].idx + 1 > need)
			need = e[i].idx + 1;
	if ((note = checkpoint_with_cosigs(d, need, &size, &ncosig)) == NULL) {
		/* Nothing covers it yet: make one; the peers cosign soon. */
		(void)witness_checkpoint_now(d);
		note = checkpoint_with_cosigs(d, need, &size, &ncosig);
	}
	if (note == NULL) {
		api_reply_error(q, 503, "no checkpoint covers the message yet");
		goto done;
	}
	(void)witness_origin(d->cf.party, origin, sizeof(origin));
	ents = json_array();
	for (i = 0; i < ne; i++) {
		if (tlog_leaf_get(d->tlog, e[i].idx, leaf, &len) != 0 ||
		    tlog_log_inclusion(d->tlog, size, e[i].idx, proof,
		    &plen) == -1) {
			json_decref(ents);
			api_reply_error(q, 503, "cannot read the log");
			goto done;
		}
		jp = json_array();
		for (k = 0; k < plen; k++)
			json_array_append_new(jp, j_b64(proof[k], TLOG_HASH_LEN));
		je = json_pack("{s:s, s:I, s:o, s:o}", "role", e[i].role,
		    "index", (json_int_t)e[i].idx, "leaf", j_b64(leaf, len),
		    "proof", jp);
		json_object_set_new(je, e[i].is_receipt ? "receipt" : "message",
		    j_b64(e[i].bytes.data, e[i].bytes.len));
		json_array_append_new(ents, je);
	}
	o = json_pack("{s:s, s:s, s:s, s:I, s:i, s:o}", "format",
	    "hotline-proof/v1", "log", origin, "checkpoint", note, "size",
	    (json_int_t)size, "cosignatures", ncosig, "entries", ents);
	api_reply_json(q, 200, o);
done:
	free(note);
	for (i = 0; i < PROOF_ENTRIES_MAX; i++)
		buf_free(&e[i].bytes);
}

/* Check every stored checkpoint (and cosignature) against the tree. */
static void
h_check(struct api_req *q)
{
	struct hotlined *d = q->d;
	sqlite3 *db = store_db(d->st);
	sqlite3_stmt *s = NULL, *sc = NULL;
	struct note_verifier v;
	struct checkpoint cp;
	struct note nt;
	struct peer *p;
	uint8_t root[TLOG_HASH_LEN];
	char why[256], vk[NOTE_VKEY_MAX + 1];
	const char *err, *note;
	json_t *problems = json_array();
	uint64_t size, nck = 0, ncos = 0;
	int rc;

	rc = tlog_check_all(d->tlog, why, sizeof(why));
	if (rc != 0)
		json_array_append_new(problems, json_string(rc == 1 ? why :
		    "cannot read the log"));
	if (witness_vkeys(d->cf.party, signer_pubkey(d->signer), vk,
	    sizeof(vk), NULL, 0) == -1 || note_vkey_parse(vk, &v, &err) == -1)
		goto fail;
	if (sqlite3_prepare_v2(db, "SELECT size, root, note FROM "
	    "tlog_checkpoints ORDER BY size", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT peer, line FROM tlog_cosigs WHERE "
	    "size = ?", -1, &sc, NULL) != SQLITE_OK)
		goto fail;
	while (sqlite3_step(s) == SQLITE_ROW) {
		size = (uint64_t)sqlite3_column_int64(s, 0);
		note = (const char *)sqlite3_column_text(s, 2);
		nck++;
		if (note_parse(note, strlen(note), &nt, &err) == -1 ||
		    note_verify(&nt, &v, 1, NULL, &err) == -1 ||
		    checkpoint_parse(nt.text, nt.textlen, &cp, &err) == -1 ||
		    cp.size != size) {
			json_array_append_new(problems, json_sprintf(
			    "checkpoint %llu: %s", (unsigned long long)size,
			    err));
			continue;
		}
		if (size > tlog_size(d->tlog) || tlog_log_tree_hash(d->tlog,
		    size, root) == -1 || memcmp(root, cp.root, 32) != 0) {
			json_array_append_new(problems, json_sprintf(
			    "checkpoint %llu: the log now has another root at "
			    "that size", (unsigned long long)size));
			continue;
		}
		sqlite3_bind_int64(sc, 1, (sqlite3_int64)size);
		while (sqlite3_step(sc) == SQLITE_ROW) {
			const char *peer = (const char *)sqlite3_column_text(sc, 0);
			const char *line = (const char *)sqlite3_column_text(sc, 1);
			struct note_verifier pv;
			char *full, pk[NOTE_VKEY_MAX + 1];
			size_t n = strlen(note) + strlen(line) + 1;

			ncos++;
			full = xmalloc(n);
			snprintf(full, n, "%s%s", note, line);
			if ((p = hotlined_peer_find(d, peer)) == NULL ||
			    p->pub == NULL || witness_vkeys(peer, p->pub, NULL,
			    0, pk, sizeof(pk)) == -1 ||
			    note_vkey_parse(pk, &pv, &err) == -1 ||
			    note_parse(full, strlen(full), &nt, &err) == -1 ||
			    note_verify(&nt, &pv, 1, NULL, &err) == -1)
				json_array_append_new(problems, json_sprintf(
				    "checkpoint %llu: cosignature by %s does "
				    "not verify", (unsigned long long)size,
				    peer));
			free(full);
		}
		sqlite3_reset(sc);
	}
	api_reply_json(q, 200, json_pack("{s:b, s:I, s:I, s:I, s:o}", "ok",
	    json_array_size(problems) == 0, "leaves",
	    (json_int_t)tlog_size(d->tlog), "checkpoints", (json_int_t)nck,
	    "cosignatures", (json_int_t)ncos, "problems", problems));
	sqlite3_finalize(s);
	sqlite3_finalize(sc);
	return;
fail:
	sqlite3_finalize(s);
	sqlite3_finalize(sc);
	json_decref(problems);
	api_reply_error(q, 503, "cannot read the log");
}

static void
h_evidence(struct api_req *q)
{
	sqlite3 *db = store_db(q->d->st);
	sqlite3_stmt *s = NULL;
	json_t *a = json_array();

	if (sqlite3_prepare_v2(db, "SELECT time, peer, kind, old_note, "
	    "new_note, detail FROM tlog_evidence ORDER BY rid", -1, &s,
	    NULL) != SQLITE_OK) {
		json_decref(a);
		api_reply_error(q, 503, "cannot read the evidence");
		return;
	}
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:o, s:s, s:s, s:s?, "
		    "s:s, s:s?}", "time", api_j_time((uint64_t)
		    sqlite3_column_int64(s, 0)), "peer",
		    (const char *)sqlite3_column_text(s, 1), "kind",
		    (const char *)sqlite3_column_text(s, 2), "old_checkpoint",
		    (const char *)sqlite3_column_text(s, 3), "new_checkpoint",
		    (const char *)sqlite3_column_text(s, 4), "detail",
		    (const char *)sqlite3_column_text(s, 5)));
	sqlite3_finalize(s);
	api_reply_json(q, 200, json_pack("{s:I, s:o}", "alarms_since_start",
	    (json_int_t)witness_alarms(q->d), "evidence", a));
}

static void
h_summary(struct api_req *q)
{
	struct hotlined *d = q->d;
	char origin[CHECKPOINT_ORIGIN_MAX + 1], lk[NOTE_VKEY_MAX + 1];
	char ck[NOTE_VKEY_MAX + 1];
	uint8_t root[TLOG_HASH_LEN];
	uint64_t size = 0;
	char *note;
	int ncosig = 0;

	(void)witness_origin(d->cf.party, origin, sizeof(origin));
	if (witness_vkeys(d->cf.party, signer_pubkey(d->signer), lk,
	    sizeof(lk), ck, sizeof(ck)) == -1) {
		api_reply_error(q, 500, "cannot format the verifier keys");
		return;
	}
	tlog_root(d->tlog, root);
	note = checkpoint_with_cosigs(d, 0, &size, &ncosig);
	api_reply_json(q, 200, json_pack("{s:s, s:I, s:o, s:s, s:s, s:s?, "
	    "s:I, s:i, s:I}", "origin", origin, "size",
	    (json_int_t)tlog_size(d->tlog), "root", j_b64(root, 32),
	    "vkey", lk, "cosigner_vkey", ck, "checkpoint", note,
	    "checkpoint_size", (json_int_t)size, "cosignatures", ncosig,
	    "alarms_since_start", (json_int_t)witness_alarms(d)));
	free(note);
}

static void
h_consistency(struct api_req *q)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(q->r);
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	const char *a, *b;
	struct evkeyvalq params;
	uint8_t proof[TLOG_PROOF_MAX][TLOG_HASH_LEN], h1[32], h2[32];
	uint64_t m, n, size = tlog_size(q->d->tlog);
	json_t *jp;
	int plen, k;

	TAILQ_INIT(&params);
	if (query == NULL || evhttp_parse_query_str(query, &params) == -1 ||
	    (a = evhttp_find_header(&params, "from")) == NULL ||
	    (b = evhttp_find_header(&params, "to")) == NULL ||
	    parse_u64(a, 1, size, &m) == -1 || parse_u64(b, m, size, &n) ==
	    -1) {
		evhttp_clear_headers(&params);
		api_reply_error(q, 400, "from and to: 1 <= from <= to <= %llu",
		    (unsigned long long)size);
		return;
	}
	evhttp_clear_headers(&params);
	if (tlog_log_consistency(q->d->tlog, m, n, proof, &plen) == -1 ||
	    tlog_log_tree_hash(q->d->tlog, m, h1) == -1 ||
	    tlog_log_tree_hash(q->d->tlog, n, h2) == -1) {
		api_reply_error(q, 503, "cannot read the log");
		return;
	}
	jp = json_array();
	for (k = 0; k < plen; k++)
		json_array_append_new(jp, j_b64(proof[k], TLOG_HASH_LEN));
	api_reply_json(q, 200, json_pack("{s:I, s:I, s:o, s:o, s:o}", "from",
	    (json_int_t)m, "to", (json_int_t)n, "from_root", j_b64(h1, 32),
	    "to_root", j_b64(h2, 32), "proof", jp));
}

void
audit_api(struct api_req *q, const char *rest)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(q->r);

	if (q->d->tlog == NULL || q->d->wit == NULL) {
		api_reply_error(q, 503, "the transparency log is not running");
		return;
	}
	/*
	 * Roles: everyone signed in sees the summary and proofs of what they
	 * may read (h_proof checks the channel); the whole-log check, the
	 * consistency proofs and the evidence are for auditors and
	 * administrators; signing a checkpoint now for administrators.
	 */
	if (strcmp(rest, "") != 0 && strcmp(rest, "/") != 0 &&
	    strncmp(rest, "/proof/", 7) != 0 && q->who.role != ROLE_ADMIN &&
	    (q->who.role != ROLE_AUDITOR || strcmp(rest, "/checkpoint") == 0)) {
		api_reply_error(q, 403, "this audit resource is for auditors "
		    "and administrators");
		return;
	}
	if (strcmp(rest, "") == 0 || strcmp(rest, "/") == 0) {
		if (cmd == EVHTTP_REQ_GET)
			h_summary(q);
		else
			api_method_not_allowed(q, "GET");
	} else if (strncmp(rest, "/proof/", 7) == 0 && rest[7] != '\0' &&
	    strchr(rest + 7, '/') == NULL) {
		if (cmd == EVHTTP_REQ_GET)
			h_proof(q, rest + 7);
		else
			api_method_not_allowed(q, "GET");
	} else if (strcmp(rest, "/check") == 0) {
		if (cmd == EVHTTP_REQ_GET)
			h_check(q);
		else
			api_method_not_allowed(q, "GET");
	} else if (strcmp(rest, "/consistency") == 0) {
		if (cmd == EVHTTP_REQ_GET)
			h_consistency(q);
		else
			api_method_not_allowed(q, "GET");
	} else if (strcmp(rest, "/evidence") == 0) {
		if (cmd == EVHTTP_REQ_GET)
			h_evidence(q);
		else
			api_method_not_allowed(q, "GET");
	} else if (strcmp(rest, "/checkpoint") == 0) {
		if (cmd != EVHTTP_REQ_POST) {
			api_method_not_allowed(q, "POST");
			return;
		}
		if (witness_checkpoint_now(q->d) == -1)
			api_reply_error(q, 503, "cannot sign a checkpoint");
		else
			h_summary(q);
	} else
		api_reply_error(q, 404, "no such audit resource");
}
