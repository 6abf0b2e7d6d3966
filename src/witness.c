/*
 * witness.c: our checkpoints, and witnessing the peers' logs (see
 * witness.h). The exchange over a live link, for a log owner O and a
 * witness W (every node is both, for every peer):
 *
 *   O -> W  CHECKPOINT    O's signed note "hotline/O\n<size>\n<root>\n"
 *   W -> O  CONSIST_REQ   (last size W accepted, new size), if it grew
 *   O -> W  CONSIST_PROOF the RFC 6962 proof between the two
 *   W -> O  COSIG         a cosignature/v1 line over the checkpoint
 *
 * W keeps the last checkpoint it accepted of each peer (tlog_witnessed).
 * A checkpoint smaller than it, of the same size with another root, or
 * whose proof does not verify is an alarm: logged as ALARM, stored with
 * both notes and the proof in tlog_evidence and as an event, and never
 * cosigned; W keeps its last good view, so every later checkpoint of the
 * forked log raises the alarm again. The first checkpoint seen of a peer
 * is accepted as is (nothing to compare it with).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "deliver.h"
#include "link.h"
#include "log.h"
#include "signer.h"
#include "store.h"
#include "tlog.h"
#include "util.h"
#include "wire.h"
#include "witness.h"

#define TICK_MS		250
/*
 * A periodic checkpoint that falls due while an API batch's transaction is
 * open (it would have the batch stored whole and committed first, 10-17 ms
 * of the loop at 1,000,000 messages) or while urgent traffic of ours is in
 * flight waits, looking again every DEFER_MS, for at most DEFER_MAX_MS.
 */
#define DEFER_MS	5
#define DEFER_MAX_MS	1000

enum wstmt {
	W_CKPT_INS, W_CKPT_LAST, W_CKPT_GET, W_COSIG_INS, W_WIT_GET, W_WIT_PUT,
	W_EVID_INS, W_EVID_SEEN, W_COUNT
};

static const char *const wsql[W_COUNT] = {
	[W_CKPT_INS] = "INSERT INTO tlog_checkpoints (size, root, time, note) "
	    "VALUES (?, ?, ?, ?) ON CONFLICT (size) DO NOTHING",
	[W_CKPT_LAST] = "SELECT size, note FROM tlog_checkpoints "
	    "ORDER BY size DESC LIMIT 1",
	[W_CKPT_GET] = "SELECT root, note FROM tlog_checkpoints WHERE size = ?",
	[W_COSIG_INS] = "INSERT INTO tlog_cosigs (size, peer, time, line) "
	    "VALUES (?, ?, ?, ?) ON CONFLICT (size, peer) DO UPDATE SET "
	    "time = excluded.time, line = excluded.line",
	[W_WIT_GET] = "SELECT size, note FROM tlog_witnessed WHERE peer = ?",
	[W_WIT_PUT] = "INSERT INTO tlog_witnessed (peer, size, root, time, "
	    "note) VALUES (?, ?, ?, ?, ?) ON CONFLICT (peer) DO UPDATE SET "
	    "size = excluded.size, root = excluded.root, "
	    "time = excluded.time, note = excluded.note",
	[W_EVID_INS] = "INSERT INTO tlog_evidence (time, peer, kind, old_note, "
	    "new_note, proof, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
	[W_EVID_SEEN] = "SELECT 1 FROM tlog_evidence WHERE peer = ? AND "
	    "kind = ? AND new_note = ? LIMIT 1",
};

/* A peer's checkpoint waiting for its consistency proof. */
struct wpending {
	char			*note;		/* NUL-terminated, NULL if none */
	size_t			 len;
	struct checkpoint	 cp;
	uint64_t		 old_size;
	char			*old_note;
	struct checkpoint	 old;
};

struct witness {
	struct hotlined		*d;
	sqlite3			*db;
	sqlite3_stmt		*s[W_COUNT];
	struct event		*tick;
	char			 origin[CHECKPOINT_ORIGIN_MAX + 1];
	uint64_t		 last_size;	/* of our latest checkpoint */
	uint64_t		 last_mono_us;	/* when it was made */
	uint64_t		 due_since;	/* a periodic one waits (mono us) */
	uint64_t		 alarms;
	struct wpending		*pend;		/* one per peer */
};

static void
wstmt_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

int
witness_origin(const char *party, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "hotline/%s", party);

	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

int
witness_vkeys(const char *party, EVP_PKEY *pub, char *logkey, size_t logsz,
    char *cosigkey, size_t cosigsz)
{
	uint8_t raw[ED25519_PUB_LEN];
	char name[CHECKPOINT_ORIGIN_MAX + 1];
	size_t n = sizeof(raw);

	if (EVP_PKEY_get_raw_public_key(pub, raw, &n) != 1 ||
	    n != ED25519_PUB_LEN || witness_origin(party, name,
	    sizeof(name)) == -1)
		return -1;
	if (logkey != NULL && note_vkey_format(name, NOTE_ALG_ED25519, raw,
	    logkey, logsz) == -1)
		return -1;
	if (cosigkey != NULL && note_vkey_format(name, NOTE_ALG_COSIG_V1, raw,
	    cosigkey, cosigsz) == -1)
		return -1;
	return 0;
}

/* A verifier for peer p's key: its log (0x01) or its cosignatures (0x04). */
static int
peer_verifier(struct peer *p, uint8_t type, struct note_verifier *v)
{
	size_t n = ED25519_PUB_LEN;

	memset(v, 0, sizeof(*v));
	if (witness_origin(p->conf->party, v->name, sizeof(v->name)) == -1 ||
	    EVP_PKEY_get_raw_public_key(p->pub, v->pub, &n) != 1 ||
	    n != ED25519_PUB_LEN)
		return -1;
	v->type = type;
	v->keyid = note_keyid(v->name, type, v->pub);
	return 0;
}

static void
pending_clear(struct wpending *wp)
{
	free(wp->note);
	free(wp->old_note);
	memset(wp, 0, sizeof(*wp));
}

/* Our latest checkpoint note (malloc'd, NUL-terminated) or NULL. */
static char *
latest_note(struct witness *w, uint64_t *size)
{
	sqlite3_stmt *s = w->s[W_CKPT_LAST];
	char *note = NULL;

	if (sqlite3_step(s) == SQLITE_ROW) {
		*size = (uint64_t)sqlite3_column_int64(s, 0);
		note = xstrdup((const char *)sqlite3_column_text(s, 1));
	}
	wstmt_done(s);
	return note;
}

static void
send_checkpoint(struct link *l, const char *note)
{
	struct buf *b = link_wbuf(l);

	if (checkpoint_frame_encode(b, note, strlen(note)) == 0)
		(void)link_send_frame(l, b->data, b->len);
}

int
witness_checkpoint_now(struct hotlined *d)
{
	struct witness *w = d->wit;
	struct checkpoint cp;
	char text[CHECKPOINT_ORIGIN_MAX + 80], line[NOTE_SIGLINE_MAX + 1];
	char note[sizeof(text) + sizeof(line) + 2];
	sqlite3_stmt *s;
	size_t tlen;
	int i, rc;

	w->last_mono_us = now_mono_us();
	memset(&cp, 0, sizeof(cp));
	/* Store the checkpoint on its own, not inside an API batch's open
	 * transaction (store.h), before it is sent: finish that first (it
	 * adds leaves, so before the size and root are taken). Some leaves
	 * may be committed lazily, not yet synced: the checkpoint's own full
	 * commit syncs the WAL, which is written in order, so they are on
	 * disk with it, before anyone is sent it (one fdatasync, not two). */
	store_long_resolve(d->st, false);
	cp.size = tlog_size(d->tlog);
	if (cp.size == 0 || cp.size == w->last_size)
		return 0;
	snprintf(cp.origin, sizeof(cp.origin), "%s", w->origin);
	tlog_root(d->tlog, cp.root);
	if ((tlen = checkpoint_format(&cp, text, sizeof(text))) == 0 ||
	    note_sign(d->signer, w->origin, text, tlen, line,
	    sizeof(line)) == -1) {
		log_warnx("tlog: cannot sign a checkpoint");
		return -1;
	}
	snprintf(note, sizeof(note), "%s\n%s", text, line);
	if (store_begin(d->st) == -1)
		return -1;
	s = w->s[W_CKPT_INS];
	sqlite3_bind_int64(s, 1, (sqlite3_int64)cp.size);
	sqlite3_bind_blob(s, 2, cp.root, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)now_utc_ms());
	sqlite3_bind_text(s, 4, note, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	wstmt_done(s);
	if (rc != SQLITE_DONE) {
		log_warnx("tlog: store checkpoint: %s", sqlite3_errmsg(w->db));
		store_rollback(d->st);
		return -1;
	}
	if (store_commit(d->st) == -1) {
		log_warnx("tlog: store checkpoint: commit failed");
		return -1;
	}
	w->last_size = cp.size;
	log_debug("tlog: checkpoint at size %llu", (unsigned long long)cp.size);
	for (i = 0; i < d->npeers; i++)
		if (d->peers[i].link != NULL)
			send_checkpoint(d->peers[i].link, note);
	return 0;
}

static void
witness_tickcb(evutil_socket_t fd, short ev, void *arg)
{
	struct witness *w = arg;
	struct hotlined *d = w->d;
	struct timeval tv = { 0, TICK_MS * 1000 };
	uint64_t size = tlog_size(d->tlog), now = now_mono_us();

	(void)fd;
	(void)ev;
	if (size != w->last_size && (size - w->last_size >=
	    d->cf.checkpoint_burst || now - w->last_mono_us >=
	    d->cf.checkpoint_interval_ms * 1000)) {
		if (w->due_since == 0)
			w->due_since = now;
		if ((store_long_open(d->st) || deliver_urgent_in_flight(d)) &&
		    now - w->due_since < DEFER_MAX_MS * 1000)
			tv.tv_usec = DEFER_MS * 1000;
		else {
			w->due_since = 0;
			(void)witness_checkpoint_now(d);
		}
	}
	evtimer_add(w->tick, &tv);
}

struct witness *
witness_new(struct hotlined *d)
{
	struct witness *w;
	struct timeval tv = { 0, TICK_MS * 1000 };
	char *note;
	int i;

	w = xcalloc(1, sizeof(*w));
	w->d = d;
	d->wit = w;
	w->db = store_db(d->st);
	w->pend = xcalloc((size_t)(d->npeers > 0 ? d->npeers : 1),
	    sizeof(*w->pend));
	if (witness_origin(d->cf.party, w->origin, sizeof(w->origin)) == -1)
		goto fail;
	for (i = 0; i < W_COUNT; i++)
		if (sqlite3_prepare_v3(w->db, wsql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &w->s[i], NULL) != SQLITE_OK) {
			log_warnx("witness: prepare: %s", sqlite3_errmsg(w->db));
			goto fail;
		}
	if ((note = latest_note(w, &w->last_size)) != NULL)
		free(note);
	w->last_mono_us = now_mono_us();
	if ((w->tick = evtimer_new(d->base, witness_tickcb, w)) == NULL)
		goto fail;
	evtimer_add(w->tick, &tv);
	return w;
fail:
	witness_free(w);
	d->wit = NULL;
	return NULL;
}

void
witness_free(struct witness *w)
{
	int i;

	if (w == NULL)
		return;
	if (w->tick != NULL)
		event_free(w->tick);
	for (i = 0; i < W_COUNT; i++)
		sqlite3_finalize(w->s[i]);
	if (w->pend != NULL)
		for (i = 0; i < w->d->npeers; i++)
			pending_clear(&w->pend[i]);
	free(w->pend);
	free(w);
}

uint64_t
witness_alarms(struct hotlined *d)
{
	return d->wit != NULL ? d->wit->alarms : 0;
}

void
witness_link_up(struct peer *p, struct link *l)
{
	struct witness *w = p->d->wit;
	uint64_t size;
	char *note;

	if (w == NULL)
		return;
	pending_clear(&w->pend[p - p->d->peers]);
	if ((note = latest_note(w, &size)) != NULL) {
		send_checkpoint(l, note);
		free(note);
	}
}

/*
 * The alarm: the peer's log is not an extension of what we saw before.
 * Logged loudly, stored as evidence (both notes, the proof) and as an
 * event. The same forked checkpoint is stored once.
 */
static void
raise_alarm(struct witness *w, struct peer *p, const char *kind,
    const char *old_note, const char *new_note, const struct wire_proof *pr,
    const char *detail)
{
	struct store *st = w->d->st;
	sqlite3_stmt *s;
	uint8_t proof[WIRE_PROOF_MAX * 32];
	char ev[300];
	int seen, rc, i;

	w->alarms++;
	log_warnx("ALARM: transparency log of %s: %s: %s", p->conf->party,
	    kind, detail);
	s = w->s[W_EVID_SEEN];
	sqlite3_bind_text(s, 1, p->conf->party, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, new_note, -1, SQLITE_STATIC);
	seen = sqlite3_step(s) == SQLITE_ROW;
	wstmt_done(s);
	if (seen)
		return;
	if (store_begin(st) == -1)
		return;
	s = w->s[W_EVID_INS];
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now_utc_ms());
	sqlite3_bind_text(s, 2, p->conf->party, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
	if (old_note != NULL)
		sqlite3_bind_text(s, 4, old_note, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, new_note, -1, SQLITE_STATIC);
	if (pr != NULL) {
		for (i = 0; i < pr->n; i++)
			memcpy(proof + 32 * i, pr->h[i], 32);
		sqlite3_bind_blob(s, 6, proof, 32 * pr->n, SQLITE_TRANSIENT);
	}
	sqlite3_bind_text(s, 7, detail, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	wstmt_done(s);
	snprintf(ev, sizeof(ev), "%s: %s", kind, detail);
	if (rc != SQLITE_DONE || store_event(st, p->conf->party, "tlog-alarm",
	    ev) == -1) {
		store_rollback(st);
		log_warnx("witness: cannot store evidence: %s",
		    sqlite3_errmsg(w->db));
		return;
	}
	(void)store_commit(st);
}

/* Accept note as the peer's latest view and send our cosignature. */
static int
accept_and_cosign(struct witness *w, struct peer *p, struct link *l,
    const char *note, const struct checkpoint *cp, const char *text,
    size_t textlen)
{
	char line[NOTE_SIGLINE_MAX + 1];
	sqlite3_stmt *s = w->s[W_WIT_PUT];
	struct buf *b;
	int rc;

	sqlite3_bind_text(s, 1, p->conf->party, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)cp->size);
	sqlite3_bind_blob(s, 3, cp->root, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)now_utc_ms());
	sqlite3_bind_text(s, 5, note, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	wstmt_done(s);
	if (rc != SQLITE_DONE) {
		log_warnx("witness: store %s's checkpoint: %s",
		    p->conf->party, sqlite3_errmsg(w->db));
		return 0;
	}
	if (note_cosign(w->d->signer, w->origin, now_utc_ms() / 1000, text,
	    textlen, line, sizeof(line)) == -1) {
		log_warnx("witness: cannot cosign");
		return 0;
	}
	b = link_wbuf(l);
	if (cosig_frame_encode(b, cp->size, cp->root, line) == 0)
		(void)link_send_frame(l, b->data, b->len);
	log_debug("witness: cosigned %s's log at size %llu", p->conf->party,
	    (unsigned long long)cp->size);
	return 0;
}

/* Our last accepted view of p's log: 1 found (note malloc'd), 0 none. */
static int
witnessed_get(struct witness *w, struct peer *p, char **note,
    struct checkpoint *cp)
{
	sqlite3_stmt *s = w->s[W_WIT_GET];
	struct note nt;
	const char *why;
	int found = 0;

	*note = NULL;
	sqlite3_bind_text(s, 1, p->conf->party, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*note = xstrdup((const char *)sqlite3_column_text(s, 1));
		found = 1;
	}
	wstmt_done(s);
	if (found && (note_parse(*note, strlen(*note), &nt, &why) == -1 ||
	    checkpoint_parse(nt.text, nt.textlen, cp, &why) == -1)) {
		log_warnx("witness: stored checkpoint of %s unreadable: %s",
		    p->conf->party, why);
		free(*note);
		*note = NULL;
		found = 0;
	}
	return found;
}

static int
on_checkpoint(struct witness *w, struct peer *p, struct link *l,
    struct cursor *c, char *why, size_t whylen)
{
	struct wpending *wp = &w->pend[p - w->d->peers];
	struct note_verifier v;
	struct checkpoint cp, old;
	struct note nt;
	const char *note, *err = NULL;
	char *copy, *oldnote = NULL, detail[200], origin[CHECKPOINT_ORIGIN_MAX + 1];
	size_t len;
	struct buf *b;

	if (checkpoint_frame_decode(c, &note, &len, &err) == -1) {
		snprintf(why, whylen, "bad CHECKPOINT: %s", err);
		return -1;
	}
	copy = xmalloc(len + 1);
	memcpy(copy, note, len);
	copy[len] = '\0';
	if (note_parse(copy, len, &nt, &err) == -1 ||
	    peer_verifier(p, NOTE_ALG_ED25519, &v) == -1 ||
	    note_verify(&nt, &v, 1, NULL, &err) == -1 ||
	    checkpoint_parse(nt.text, nt.textlen, &cp, &err) == -1) {
		snprintf(why, whylen, "bad CHECKPOINT: %s", err ? err :
		    "cannot verify");
		free(copy);
		return -1;
	}
	(void)witness_origin(p->conf->party, origin, sizeof(origin));
	if (strcmp(cp.origin, origin) != 0) {
		snprintf(why, whylen, "CHECKPOINT of log \"%s\" on %s's link",
		    cp.origin, p->conf->party);
		free(copy);
		return -1;
	}
	if (!witnessed_get(w, p, &oldnote, &old)) {
		log_info("witness: first checkpoint of %s's log, size %llu",
		    p->conf->party, (unsigned long long)cp.size);
		accept_and_cosign(w, p, l, copy, &cp, nt.text, nt.textlen);
		free(copy);
		return 0;
	}
	if (cp.size < old.size) {
		snprintf(detail, sizeof(detail), "log shrank from %llu to "
		    "%llu leaves", (unsigned long long)old.size,
		    (unsigned long long)cp.size);
		raise_alarm(w, p, "shrink", oldnote, copy, NULL, detail);
		goto done;
	}
	if (cp.size == old.size) {
		if (memcmp(cp.root, old.root, 32) != 0) {
			snprintf(detail, sizeof(detail), "two different roots "
			    "for size %llu", (unsigned long long)cp.size);
			raise_alarm(w, p, "fork", oldnote, copy, NULL, detail);
		} else
			accept_and_cosign(w, p, l, copy, &cp, nt.text,
			    nt.textlen);
		goto done;
	}
	/* It grew: ask for the proof, keep the checkpoint until it comes. */
	pending_clear(wp);
	wp->note = copy;
	wp->len = len;
	wp->cp = cp;
	wp->old = old;
	wp->old_note = oldnote;
	wp->old_size = old.size;
	b = link_wbuf(l);
	if (consist_req_encode(b, old.size, cp.size) == 0)
		(void)link_send_frame(l, b->data, b->len);
	return 0;
done:
	free(oldnote);
	free(copy);
	return 0;
}

static int
on_consist_proof(struct witness *w, struct peer *p, struct link *l,
    struct cursor *c, char *why, size_t whylen)
{
	struct wpending *wp = &w->pend[p - w->d->peers];
	struct wire_proof *pr;
	struct note nt;
	const char *err = NULL;
	char detail[200];
	int rc = 0;

	pr = xmalloc(sizeof(*pr));
	if (consist_proof_decode(c, pr, &err) == -1) {
		snprintf(why, whylen, "bad CONSIST_PROOF: %s", err);
		rc = -1;
		goto done;
	}
	if (wp->note == NULL || pr->old_size != wp->old_size ||
	    pr->new_size != wp->cp.size) {
		/* A stale answer (a newer checkpoint replaced it): ignore. */
		log_debug("witness: unexpected proof %llu..%llu from %s",
		    (unsigned long long)pr->old_size,
		    (unsigned long long)pr->new_size, p->conf->party);
		goto done;
	}
	if (!tlog_verify_consistency(pr->old_size, pr->new_size,
	    (const uint8_t (*)[32])pr->h, pr->n, wp->old.root, wp->cp.root)) {
		snprintf(detail, sizeof(detail), "checkpoint of size %llu is "
		    "not an extension of size %llu: history rewritten or "
		    "forked", (unsigned long long)wp->cp.size,
		    (unsigned long long)wp->old.size);
		raise_alarm(w, p, "inconsistent", wp->old_note, wp->note, pr,
		    detail);
	} else if (note_parse(wp->note, wp->len, &nt, &err) == 0)
		accept_and_cosign(w, p, l, wp->note, &wp->cp, nt.text,
		    nt.textlen);
	pending_clear(wp);
done:
	free(pr);
	return rc;
}

static int
on_consist_req(struct witness *w, struct peer *p, struct link *l,
    struct cursor *c, char *why, size_t whylen)
{
	struct wire_proof *pr;
	const char *err = NULL;
	uint64_t m, n;
	int plen = 0;
	struct buf *b;

	if (consist_req_decode(c, &m, &n, &err) == -1) {
		snprintf(why, whylen, "bad CONSIST_REQ: %s", err);
		return -1;
	}
	pr = xcalloc(1, sizeof(*pr));
	pr->old_size = m;
	pr->new_size = n;
	/* Sizes we cannot prove (not ours) get an empty proof, which the
	 * peer will find does not verify: that is its alarm to raise. */
	if (n <= tlog_size(w->d->tlog) && tlog_log_consistency(w->d->tlog, m,
	    n, pr->h, &plen) == 0 && plen <= WIRE_PROOF_MAX)
		pr->n = (uint8_t)plen;
	else
		log_warnx("witness: %s asks for a proof %llu..%llu we cannot "
		    "give (log size %llu)", p->conf->party,
		    (unsigned long long)m, (unsigned long long)n,
		    (unsigned long long)tlog_size(w->d->tlog));
	b = link_wbuf(l);
	if (consist_proof_encode(b, pr) == 0)
		(void)link_send_frame(l, b->data, b->len);
	free(pr);
	return 0;
}

static int
on_cosig(struct witness *w, struct peer *p, struct cursor *c, char *why,
    size_t whylen)
{
	char line[WIRE_COSIG_LINE_MAX + 1], *full = NULL;
	uint8_t root[32];
	struct note_verifier v;
	struct note_result res;
	struct note nt;
	sqlite3_stmt *s;
	const char *err = NULL;
	uint64_t size;
	size_t n;
	int rc, found = 0, ret = 0;

	if (cosig_frame_decode(c, &size, root, line, sizeof(line), &err) ==
	    -1) {
		snprintf(why, whylen, "bad COSIG: %s", err);
		return -1;
	}
	s = w->s[W_CKPT_GET];
	sqlite3_bind_int64(s, 1, (sqlite3_int64)(size > INT64_MAX ? 0 : size));
	if (sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_bytes(s, 0) == 32 &&
	    memcmp(sqlite3_column_blob(s, 0), root, 32) == 0) {
		const char *note = (const char *)sqlite3_column_text(s, 1);

		n = strlen(note) + strlen(line) + 1;
		full = xmalloc(n);
		snprintf(full, n, "%s%s", note, line);
		found = 1;
	}
	wstmt_done(s);
	if (!found) {
		log_warnx("witness: %s cosigned a checkpoint we never made "
		    "(size %llu)", p->conf->party, (unsigned long long)size);
		return 0;
	}
	/* Parse ours plus the new line; verify with the peer's cosigner
	 * key only (our own signature line is not its business). */
	if (note_parse(full, strlen(full), &nt, &err) == -1 ||
	    peer_verifier(p, NOTE_ALG_COSIG_V1, &v) == -1 ||
	    note_verify(&nt, &v, 1, &res, &err) == -1) {
		snprintf(why, whylen, "bad COSIG: %s", err ? err :
		    "cannot verify");
		ret = -1;
		goto done;
	}
	s = w->s[W_COSIG_INS];
	sqlite3_bind_int64(s, 1, (sqlite3_int64)size);
	sqlite3_bind_text(s, 2, p->conf->party, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)res.cosig_time);
	sqlite3_bind_text(s, 4, line, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	wstmt_done(s);
	if (rc != SQLITE_DONE)
		log_warnx("witness: store cosignature: %s",
		    sqlite3_errmsg(w->db));
	else
		log_debug("witness: %s cosigned our log at size %llu",
		    p->conf->party, (unsigned long long)size);
done:
	free(full);
	return ret;
}

int
witness_frame(struct peer *p, struct link *l, uint8_t type, struct cursor *c,
    char *why, size_t whylen)
{
	struct witness *w = p->d->wit;

	if (w == NULL) {
		snprintf(why, whylen, "transparency log not running");
		return -1;
	}
	switch (type) {
	case FR_CHECKPOINT:
		return on_checkpoint(w, p, l, c, why, whylen);
	case FR_CONSIST_REQ:
		return on_consist_req(w, p, l, c, why, whylen);
	case FR_CONSIST_PROOF:
		return on_consist_proof(w, p, l, c, why, whylen);
	case FR_COSIG:
		return on_cosig(w, p, c, why, whylen);
	}
	snprintf(why, whylen, "not a transparency log frame");
	return -1;
}
