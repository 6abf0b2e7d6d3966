/*
 * cert.c: the CERT channel's core. Objects come in through cert_ingest()
 * (TAXII POST, `hotline indicators import`, sightings) or cert_bundle_in()
 * (a stix-bundle message from a peer, inside the transaction that stores
 * the message). For an outbound collection out:PARTY every object passes
 * the TLP policy (tlp.c) first; the objects that may go are packed into
 * bundles of at most max_body bytes, each a signed message on the cert
 * channel, and stored in the same transaction as those messages. The
 * message layer then delivers them exactly once, in order, resuming after
 * restarts and outages without resending what the peer holds.
 *
 * A TAXII POST comes in as a cert_prep: its envelope is parsed and its
 * objects validated on this module's one worker thread (jansson and stix.c
 * only), then cert_ingest_text() finishes it on the event loop.
 *
 * It also serves the /v1/cert API the CLI uses (collections, objects and
 * their provenance, import, the TLP decision, the indicator list for
 * retro-hunt, sightings, TAXII grants).
 */
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <sqlite3.h>

#include "api.h"
#include "cert.h"
#include "deliver.h"
#include "log.h"
#include "stix.h"
#include "stixdb.h"
#include "tlp.h"
#include "util.h"

/* Bytes of a bundle message around its objects:
 * {"type":"bundle","id":"bundle--<36>","objects":[...]} */
#define BUNDLE_OVERHEAD	128

/* One envelope waiting for, or done by, the worker thread. */
struct cert_job {
	TAILQ_ENTRY(cert_job)	 entry;
	struct cert_prep	*prep;
	cert_prep_done		 done;
	void			*arg;
};
TAILQ_HEAD(cert_jobs, cert_job);

/*
 * The worker thread parses and validates TAXII envelopes (cert_prep_run:
 * jansson and stix.c only, no SQLite, no libevent) so the event loop keeps
 * the links pumping meanwhile; the rest of an ingest runs on the loop. It
 * is started on first use; done jobs come back through a pipe.
 */
struct cert {
	struct stixdb	*db;
	int64_t		 last_added;
	struct hotlined	*d;
	int		 th_up, th_failed, stop;
	pthread_t	 th;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct cert_jobs todo, done;
	int		 pfd[2];
	struct event	*ev;
};

/* The validation of one object of an envelope. */
struct prep_obj {
	struct stix_meta m;	/* pointers into the envelope's tree */
	int		 tlp;
	char		*why;		/* refused: the reason; NULL: valid */
};

struct cert_prep {
	char		*body;		/* the envelope as received (owned) */
	size_t		 len;
	json_t		*env;		/* NULL: no envelope (400) */
	json_t		*objs;		/* borrowed from env, or the caller's */
	struct cert_span *raw;		/* each object's bytes, or NULL */
	struct prep_obj	*po;		/* one per element of objs */
	size_t		 n;
};

int
cert_start(struct hotlined *d)
{
	struct cert *c = xcalloc(1, sizeof(*c));

	c->d = d;
	c->pfd[0] = c->pfd[1] = -1;
	TAILQ_INIT(&c->todo);
	TAILQ_INIT(&c->done);
	c->db = stixdb_new(d->st);
	/* STIX ids are random: a larger page cache keeps index inserts off
	 * the disk for collections of millions of objects. */
	(void)sqlite3_exec(store_db(d->st), "PRAGMA cache_size = -65536", NULL,
	    NULL, NULL);
	if (stixdb_last_added(c->db, &c->last_added) == -1) {
		stixdb_free(c->db);
		free(c);
		return -1;
	}
	d->cert = c;
	return 0;
}

void
cert_stop(struct hotlined *d)
{
	struct cert *c = d->cert;
	struct cert_job *j;

	if (c == NULL)
		return;
	if (c->th_up) {
		pthread_mutex_lock(&c->mu);
		c->stop = 1;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->th, NULL);
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
	}
	/* Jobs never answered: their requests went with the API. */
	TAILQ_CONCAT(&c->done, &c->todo, entry);
	while ((j = TAILQ_FIRST(&c->done)) != NULL) {
		TAILQ_REMOVE(&c->done, j, entry);
		if (j->done != NULL)
			j->done(j->arg, 1);
		else
			cert_prep_free(j->prep);
		free(j);
	}
	if (c->ev != NULL)
		event_free(c->ev);
	if (c->pfd[0] != -1)
		close(c->pfd[0]);
	if (c->pfd[1] != -1)
		close(c->pfd[1]);
	stixdb_free(d->cert->db);
	free(d->cert);
	d->cert = NULL;
}

struct stixdb *
cert_db(struct hotlined *d)
{
	return d->cert->db;
}

int64_t
cert_next_added(struct hotlined *d)
{
	int64_t now = (int64_t)now_utc_ms() * 1000;

	if (now <= d->cert->last_added)
		now = d->cert->last_added + 1;
	d->cert->last_added = now;
	return now;
}

struct peer *
cert_coll_peer(struct hotlined *d, const char *coll, int *out)
{
	if (strncmp(coll, "out:", 4) == 0) {
		*out = 1;
		return hotlined_peer_find(d, coll + 4);
	}
	if (strncmp(coll, "in:", 3) == 0) {
		*out = 0;
		return hotlined_peer_find(d, coll + 3);
	}
	*out = 0;
	return NULL;
}

int
cert_coll_valid(struct hotlined *d, const char *coll)
{
	int out;

	return strcmp(coll, "local") == 0 || cert_coll_peer(d, coll, &out) !=
	    NULL;
}

/* One object of an ingest on its way in. */
struct item {
	json_t		*obj;		/* borrowed */
	char		*text;		/* compact JSON */
	size_t		 len;
	struct stix_meta m;
	int		 tlp;
	int		 bundle;	/* index of its message, -1: none */
	int		 has;		/* from stixdb_check_ex */
	int		 dupid;		/* another version of its id is in this request */
	int		 prev_id;	/* the item before with its id, or -1 */
	int64_t		 newest;
};

struct ingest {
	struct hotlined	*d;
	const char	*coll;
	const char	*source;
	struct item	*items;		/* the new ones */
	int		 nitems;
};

/*
 * Where status details go: jansson arrays (cert_ingest) or JSON text
 * (cert_ingest_text, the TAXII POST: 2,000 details per envelope are
 * cheaper written than built as trees and serialised).
 */
struct sink {
	json_t		*succ, *fail;
	struct cert_details *txt;
	int		 err;
};

/* Append s as a JSON string. Plain ASCII (every id and version, and most
 * messages) is copied; anything else goes through jansson's escaping. */
static void
put_str(struct sink *k, struct evbuffer *b, const char *s)
{
	const unsigned char *c;
	json_t *j;
	char *t;

	for (c = (const unsigned char *)s; *c != '\0'; c++)
		if (*c < 0x20 || *c >= 0x7f || *c == '"' || *c == '\\')
			break;
	if (*c == '\0') {
		k->err |= evbuffer_add_printf(b, "\"%s\"", s) < 0;
		return;
	}
	/* Invalid UTF-8 (a reason cut by snprintf): json_string refuses it;
	 * keep what can be said. */
	if ((j = json_string(s)) == NULL)
		j = json_string("(not valid UTF-8)");
	t = j != NULL ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	json_decref(j);
	if (t == NULL) {
		k->err = 1;
		return;
	}
	k->err |= evbuffer_add(b, t, strlen(t)) == -1;
	free(t);
}

/* One TAXII status detail {id, version, message} into the successes (ok)
 * or the failures. */
static void
detail(struct sink *k, int ok, const struct stix_meta *m, const char *id,
    const char *message)
{
	char ver[40];
	struct evbuffer *b;
	json_t *o;
	int errs = 0;

	if (m != NULL && m->modified != 0)
		stix_time_format(m->modified, ver);
	if (k->txt != NULL) {
		b = ok ? k->txt->ok : k->txt->bad;
		if ((ok ? k->txt->nok++ : k->txt->nbad++) > 0)
			k->err |= evbuffer_add(b, ",", 1) == -1;
		k->err |= evbuffer_add(b, "{\"id\":", 6) == -1;
		put_str(k, b, id != NULL ? id : m->id);
		if (m != NULL && m->modified != 0)
			k->err |= evbuffer_add_printf(b, ",\"version\":\"%s\"",
			    ver) < 0;
		if (message != NULL) {
			k->err |= evbuffer_add(b, ",\"message\":", 11) == -1;
			put_str(k, b, message);
		}
		k->err |= evbuffer_add(b, "}", 1) == -1;
		return;
	}
	if ((o = json_object()) == NULL) {
		k->err = 1;
		return;
	}
	errs |= json_object_set_new(o, "id", json_string(id != NULL ? id :
	    m->id));
	if (m != NULL && m->modified != 0)
		errs |= json_object_set_new(o, "version", json_string(ver));
	if (message != NULL)
		errs |= json_object_set_new(o, "message", json_string(message));
	if (errs)
		json_decref(o);
	else
		json_array_append_new(ok ? k->succ : k->fail, o);
}

/* Store the new items inside the transaction; for bundled items the
 * message id is their provenance. */
static int
ingest_store(void *arg, const struct msg *ms, int n)
{
	struct ingest *g = arg;
	char why[256], idhex[ID_HEX_LEN + 1];
	struct item *it;
	int i, rc;

	for (i = 0; i < g->nitems; i++) {
		it = &g->items[i];
		if (it->bundle >= 0 && it->bundle < n)
			hex_encode(ms[it->bundle].id, MSG_ID_LEN, idhex);
		/*
		 * Checked before the transaction on this same thread, and
		 * an id appears once per request unless as another
		 * version: then check again.
		 */
		if (it->dupid)
			rc = stixdb_put(g->d->cert->db, g->coll, &it->m,
			    it->tlp, it->text, g->source, it->bundle >= 0 ?
			    idhex : NULL, cert_next_added(g->d), why,
			    sizeof(why));
		else
			rc = stixdb_insert(g->d->cert->db, g->coll, &it->m,
			    it->tlp, it->text, g->source, it->bundle >= 0 ?
			    idhex : NULL, cert_next_added(g->d), it->has,
			    it->newest);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* Pack the items into bundle bodies of at most maxb bytes: fills msgs
 * (bodies owned by bodies[]) and each item's bundle. The count, or -1. */
static int
ingest_pack(struct ingest *g, struct peer *p, size_t maxb, struct msg **msgs,
    char ***bodies)
{
	struct msg *ms = NULL;
	char **bs = NULL, bid[STIX_ID_MAX + 1];
	size_t len = 0, cap = 0;
	int i, n = 0;

	for (i = 0; i < g->nitems; i++) {
		struct item *it = &g->items[i];

		if (n == 0 || len + it->len + 1 + 2 > maxb) {
			if (n > 0) {
				memcpy(bs[n - 1] + len, "]}", 3);
				ms[n - 1].body_len = (uint32_t)(len + 2);
			}
			ms = xreallocarray(ms, (size_t)n + 1, sizeof(*ms));
			bs = xreallocarray(bs, (size_t)n + 1, sizeof(*bs));
			cap = maxb + 1;
			bs[n] = xmalloc(cap);
			if (stix_id_new("bundle", bid, sizeof(bid)) == -1)
				goto fail;
			len = (size_t)snprintf(bs[n], cap, "{\"type\":\"bundle\","
			    "\"id\":\"%s\",\"objects\":[", bid);
			memset(&ms[n], 0, sizeof(ms[n]));
			snprintf(ms[n].to, sizeof(ms[n].to), "%s", p->conf->party);
			ms[n].channel = CH_CERT;
			snprintf(ms[n].kind, sizeof(ms[n].kind), "%s",
			    CERT_KIND_BUNDLE);
			ms[n].prec = PREC_ROUTINE;
			ms[n].body = (const uint8_t *)bs[n];
			/* Objects jansson parsed (their bytes as received, or
			 * json_dumps of them) in a fixed frame: one JSON
			 * object with no duplicate key, not parsed again. */
			ms[n].body_valid = true;
			n++;
		} else
			bs[n - 1][len++] = ',';
		memcpy(bs[n - 1] + len, it->text, it->len);
		len += it->len;
		it->bundle = n - 1;
	}
	if (n > 0) {
		memcpy(bs[n - 1] + len, "]}", 3);
		ms[n - 1].body_len = (uint32_t)(len + 2);
	}
	*msgs = ms;
	*bodies = bs;
	return n;
fail:
	for (i = 0; i < n; i++)
		free(bs[i]);
	free(bs);
	free(ms);
	return -1;
}

/* Skip one JSON value at p (< end): the position after it, or NULL. The
 * text is known to be valid JSON; this only has to stay in bounds. */
static const char *
skip_value(const char *p, const char *end)
{
	int depth = 0;

	for (; p < end; p++) {
		switch (*p) {
		case '"':
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			if (p >= end)
				return NULL;
			if (depth == 0)
				return p + 1;
			break;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return p;	/* end of the enclosing one */
			if (--depth == 0)
				return p + 1;
			break;
		case ',':
			if (depth == 0)
				return p;
			break;
		default:
			break;
		}
	}
	return depth == 0 ? p : NULL;
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

struct cert_span *
cert_raw_elements(const char *text, size_t len, const char *key, size_t n)
{
	const char *p = text, *end = text + len, *ks, *v;
	struct cert_span *sp;
	size_t klen = strlen(key), i = 0;

	p = skip_ws(p, end);
	if (p >= end || *p++ != '{')
		return NULL;
	for (;;) {
		p = skip_ws(p, end);
		if (p >= end || *p != '"')
			return NULL;
		ks = ++p;
		while (p < end && *p != '"' && *p != '\\')
			p++;
		if (p >= end || *p != '"')
			return NULL;	/* escaped keys: not plain */
		p = skip_ws(p + 1, end);
		if (p >= end || *p++ != ':')
			return NULL;
		p = skip_ws(p, end);
		if ((size_t)(p - ks) >= klen && (size_t)(skip_ws(ks, end) -
		    ks) == 0 && memcmp(ks, key, klen) == 0 && ks[klen] == '"')
			break;
		if ((p = skip_value(p, end)) == NULL)
			return NULL;
		p = skip_ws(p, end);
		if (p >= end || *p++ != ',')
			return NULL;
	}
	if (p >= end || *p++ != '[')
		return NULL;
	sp = xcalloc(n + 1, sizeof(*sp));
	for (;;) {
		p = skip_ws(p, end);
		if (p < end && *p == ']' && i == 0)
			break;
		if (i >= n || (v = skip_value(p, end)) == NULL)
			goto fail;
		sp[i].p = p;
		sp[i].len = (size_t)(v - p);
		while (sp[i].len > 0 && (p[sp[i].len - 1] == ' ' ||
		    p[sp[i].len - 1] == '\n' || p[sp[i].len - 1] == '\t' ||
		    p[sp[i].len - 1] == '\r'))
			sp[i].len--;
		i++;
		p = skip_ws(v, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == ']')
			break;
		goto fail;
	}
	if (i != n)
		goto fail;
	return sp;
fail:
	free(sp);
	return NULL;
}

/* Validate every object of p->objs into p->po (thread-safe). */
static void
prep_validate(struct cert_prep *p)
{
	char why[512];
	json_t *o;
	size_t i;

	p->n = json_array_size(p->objs);
	if (p->n > CERT_INGEST_MAX)
		return;		/* ingest() answers 413 */
	p->po = xcalloc(p->n + 1, sizeof(*p->po));
	for (i = 0; i < p->n; i++) {
		o = json_array_get(p->objs, i);
		if (stix_validate(o, &p->po[i].m, why, sizeof(why)) == -1) {
			p->po[i].why = xstrdup(why);
			continue;
		}
		p->po[i].tlp = tlp_of_object(o);
	}
}

struct cert_prep *
cert_prep_new(char *body, size_t len)
{
	struct cert_prep *p = xcalloc(1, sizeof(*p));

	p->body = body;
	p->len = len;
	return p;
}

void
cert_prep_run(struct cert_prep *p)
{
	json_error_t jerr;

	p->env = json_loadb(p->body, p->len, JSON_REJECT_DUPLICATES, &jerr);
	if (p->env == NULL || !json_is_object(p->env) ||
	    !json_is_array(p->objs = json_object_get(p->env, "objects"))) {
		json_decref(p->env);
		p->env = NULL;
		p->objs = NULL;
		return;
	}
	p->raw = cert_raw_elements(p->body, p->len, "objects",
	    json_array_size(p->objs));
	prep_validate(p);
}

int
cert_prep_ok(const struct cert_prep *p)
{
	return p->env != NULL;
}

void
cert_prep_free(struct cert_prep *p)
{
	size_t i;

	if (p == NULL)
		return;
	if (p->po != NULL)
		for (i = 0; i < p->n; i++)
			free(p->po[i].why);
	free(p->po);
	free(p->raw);
	json_decref(p->env);
	free(p->body);
	free(p);
}

static void *
worker(void *arg)
{
	struct cert *c = arg;
	struct cert_job *j;
	ssize_t w;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->stop && TAILQ_EMPTY(&c->todo))
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		j = TAILQ_FIRST(&c->todo);
		TAILQ_REMOVE(&c->todo, j, entry);
		pthread_mutex_unlock(&c->mu);
		if (j->done == NULL) {
			/* cert_prep_release(): free the tree here. */
			cert_prep_free(j->prep);
			free(j);
			pthread_mutex_lock(&c->mu);
			continue;
		}
		cert_prep_run(j->prep);
		pthread_mutex_lock(&c->mu);
		TAILQ_INSERT_TAIL(&c->done, j, entry);
		/* Full pipe: a wake-up is already pending. */
		do
			w = write(c->pfd[1], "", 1);
		while (w == -1 && errno == EINTR);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* The event loop's side: hand the done jobs to their callbacks. */
static void
worker_done(evutil_socket_t fd, short ev, void *arg)
{
	struct cert *c = arg;
	struct cert_jobs done;
	struct cert_job *j;
	char buf[64];

	(void)ev;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	TAILQ_INIT(&done);
	pthread_mutex_lock(&c->mu);
	TAILQ_CONCAT(&done, &c->done, entry);
	pthread_mutex_unlock(&c->mu);
	while ((j = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, j, entry);
		j->done(j->arg, 0);
		free(j);
	}
}

/* Start the worker thread and its pipe; 0 or -1. */
static int
worker_start(struct cert *c)
{
	int i;

	if (pipe(c->pfd) == -1) {
		log_warn("cert: pipe");
		return -1;
	}
	for (i = 0; i < 2; i++)
		if (fcntl(c->pfd[i], F_SETFL, O_NONBLOCK) == -1 ||
		    fcntl(c->pfd[i], F_SETFD, FD_CLOEXEC) == -1)
			goto fail;
	if ((c->ev = event_new(c->d->base, c->pfd[0], EV_READ | EV_PERSIST,
	    worker_done, c)) == NULL || event_add(c->ev, NULL) == -1)
		goto fail;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (pthread_create(&c->th, NULL, worker, c) != 0) {
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
		goto fail;
	}
	c->th_up = 1;
	return 0;
fail:
	log_warnx("cert: cannot start the worker thread; parsing on the "
	    "event loop");
	if (c->ev != NULL)
		event_free(c->ev);
	c->ev = NULL;
	close(c->pfd[0]);
	close(c->pfd[1]);
	c->pfd[0] = c->pfd[1] = -1;
	return -1;
}

void
cert_prep_release(struct hotlined *d, struct cert_prep *p)
{
	struct cert *c = d->cert;
	struct cert_job *j;

	if (p == NULL)
		return;
	if (!c->th_up) {
		cert_prep_free(p);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->prep = p;
	pthread_mutex_lock(&c->mu);
	/* First: at most the trees of the envelope being parsed and of the
	 * ones being answered live at once, however many clients post. */
	TAILQ_INSERT_HEAD(&c->todo, j, entry);
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

void
cert_prep_submit(struct hotlined *d, struct cert_prep *p, cert_prep_done done,
    void *arg)
{
	struct cert *c = d->cert;
	struct cert_job *j;

	if (!c->th_up && (c->th_failed || c->d->base == NULL ||
	    (c->th_failed = worker_start(c) == -1))) {
		cert_prep_run(p);
		done(arg, 0);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->prep = p;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&c->mu);
	TAILQ_INSERT_TAIL(&c->todo, j, entry);
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

/*
 * The ids taken so far in one request: an open-addressed table of item
 * indices by id, each item chaining to the previous one with its id, so a
 * repeated (id, version) and another version of an id are found without
 * a tree per object.
 */
struct seen {
	int		*slot;		/* item index + 1; 0: empty */
	size_t		 mask;
};

static uint64_t
id_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The slot of id: the one holding an item with this id, or an empty one. */
static int *
seen_slot(struct seen *sn, const struct item *items, const char *id)
{
	size_t i = (size_t)id_hash(id) & sn->mask;

	while (sn->slot[i] != 0 && strcmp(items[sn->slot[i] - 1].m.id, id) !=
	    0)
		i = (i + 1) & sn->mask;
	return &sn->slot[i];
}

/*
 * Take the objects into coll; details go to k. The body of cert_ingest()
 * and cert_ingest_text(). 0, or -1 with an HTTP status and message.
 */
static int
ingest(struct hotlined *d, const char *coll, struct cert_prep *pr,
    const char *source, struct sink *k, int *status, const char **errmsg)
{
	struct ingest g = { d, coll, source, NULL, 0 };
	struct item *items = NULL, *it;
	struct seen sn = { NULL, 0 };
	const struct cert_span *raw = pr->raw;
	struct peer *p;
	struct msg *ms = NULL;
	char **bodies = NULL, why[512];
	char (*ids)[ID_HEX_LEN + 1] = NULL;
	json_t *o;
	size_t i, n, maxb, cap;
	int out, rc, nb = 0, bad, ret = -1, j, *slot, prev, dup, intx;

	n = pr->n;
	if (n > CERT_INGEST_MAX || pr->po == NULL) {
		*status = 413;
		*errmsg = "too many objects in one request";
		goto done;
	}
	p = cert_coll_peer(d, coll, &out);
	maxb = d->cf.max_body;
	items = xcalloc(n + 1, sizeof(*items));
	for (cap = 16; cap < 2 * n; cap *= 2)
		;
	sn.slot = xcalloc(cap, sizeof(*sn.slot));
	sn.mask = cap - 1;
	/* The checks read in one transaction: each statement alone would
	 * take and drop SQLite's file locks (fcntl) per object. Nothing is
	 * written here; the store's transaction comes after. */
	intx = store_begin(d->st) == 0;
	for (i = 0; i < n; i++) {
		it = &items[g.nitems];
		it->obj = o = json_array_get(pr->objs, i);
		if (pr->po[i].why != NULL) {
			json_t *idv = json_object_get(o, "id");

			detail(k, 0, NULL, json_is_string(idv) ?
			    json_string_value(idv) : "", pr->po[i].why);
			continue;
		}
		it->m = pr->po[i].m;
		it->tlp = pr->po[i].tlp;
		if (p != NULL && out &&
		    !tlp_may_share(p->conf, it->tlp, why, sizeof(why))) {
			log_info("cert: %s not shared with %s: %s", it->m.id,
			    p->conf->party, why);
			detail(k, 0, &it->m, NULL, why);
			continue;
		}
		slot = seen_slot(&sn, items, it->m.id);
		for (dup = 0, prev = *slot - 1; prev >= 0 && !dup;
		    prev = items[prev].prev_id)
			dup = items[prev].m.modified == it->m.modified;
		if (dup) {
			detail(k, 1, &it->m, NULL, "already held");
			continue;
		}
		rc = stixdb_check_ex(d->cert->db, coll, &it->m, why,
		    sizeof(why), &it->has, &it->newest);
		if (rc == -1) {
			if (intx)
				store_rollback(d->st);
			*status = 503;
			*errmsg = "the store failed; nothing taken";
			goto done;
		}
		if (rc == 1) {
			detail(k, 1, &it->m, NULL, "already held");
			continue;
		}
		if (rc == 2) {
			detail(k, 0, &it->m, NULL, why);
			continue;
		}
		if (raw != NULL) {
			it->text = xmalloc(raw[i].len + 1);
			memcpy(it->text, raw[i].p, raw[i].len);
			it->text[raw[i].len] = '\0';
		} else
			it->text = json_dumps(o, JSON_COMPACT);
		if (it->text == NULL) {
			detail(k, 0, &it->m, NULL, "cannot serialise");
			continue;
		}
		it->len = strlen(it->text);
		it->bundle = -1;
		if (p != NULL && out && it->len + BUNDLE_OVERHEAD > maxb) {
			snprintf(why, sizeof(why), "object of %zu bytes does "
			    "not fit a message body (max_body %llu)", it->len,
			    (unsigned long long)maxb);
			detail(k, 0, &it->m, NULL, why);
			free(it->text);
			it->text = NULL;
			continue;
		}
		it->prev_id = *slot - 1;
		it->dupid = *slot != 0;
		*slot = g.nitems + 1;
		g.nitems++;
	}
	if (intx)
		store_rollback(d->st);	/* read only: nothing to keep */
	g.items = items;
	if (g.nitems == 0) {
		ret = 0;
		goto done;
	}
	if (p != NULL && out) {
		if ((nb = ingest_pack(&g, p, maxb - BUNDLE_OVERHEAD / 2, &ms,
		    &bodies)) == -1) {
			*status = 500;
			*errmsg = "cannot build bundles";
			goto done;
		}
		ids = xcalloc((size_t)nb, sizeof(*ids));
		if (deliver_submit_many_hook(d, ms, nb, ids, &bad, status,
		    errmsg, ingest_store, &g) == -1)
			goto done;
		log_info("cert: %d object(s) queued to %s in %d bundle(s)",
		    g.nitems, p->conf->party, nb);
	} else {
		if (store_begin(d->st) == -1 || ingest_store(&g, NULL, 0) == -1) {
			store_rollback(d->st);
			*status = 503;
			*errmsg = "the store failed; nothing taken";
			goto done;
		}
		if (store_commit(d->st) == -1) {
			*status = 503;
			*errmsg = "the store failed; nothing taken";
			goto done;
		}
	}
	for (j = 0; j < g.nitems; j++)
		detail(k, 1, &items[j].m, NULL, NULL);
	ret = 0;
done:
	if (ret == 0 && k->err) {
		*status = 500;
		*errmsg = "out of memory";
		ret = -1;
	}
	for (j = 0; j < nb; j++)
		free(bodies[j]);
	free(bodies);
	free(ms);
	free(ids);
	for (j = 0; j < g.nitems; j++)
		free(items[j].text);
	free(items);
	free(sn.slot);
	return ret;
}

int
cert_ingest(struct hotlined *d, const char *coll, json_t *objects,
    const char *source, json_t **successes, json_t **failures, int *status,
    const char **errmsg)
{
	struct sink k = { json_array(), json_array(), NULL, 0 };
	struct cert_prep pr;
	size_t i;
	int rc = -1;

	*successes = *failures = NULL;
	memset(&pr, 0, sizeof(pr));
	pr.objs = objects;
	prep_validate(&pr);
	if (k.succ == NULL || k.fail == NULL) {
		*status = 500;
		*errmsg = "out of memory";
	} else if ((rc = ingest(d, coll, &pr, source, &k, status, errmsg)) ==
	    0) {
		*successes = k.succ;
		*failures = k.fail;
		k.succ = k.fail = NULL;
	}
	json_decref(k.succ);
	json_decref(k.fail);
	if (pr.po != NULL)
		for (i = 0; i < pr.n; i++)
			free(pr.po[i].why);
	free(pr.po);
	return rc;
}

int
cert_ingest_text(struct hotlined *d, const char *coll,
    struct cert_prep *prep, const char *source, struct cert_details *out,
    int *status, const char **errmsg)
{
	struct sink k = { NULL, NULL, out, 0 };

	return ingest(d, coll, prep, source, &k, status, errmsg);
}

json_t *
cert_bundle_parse(const struct msg *m, const char **why)
{
	json_error_t jerr;
	json_t *b;

	if (m->body_len == 0 || m->body == NULL ||
	    (b = json_loadb((const char *)m->body, m->body_len,
	    JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		*why = "body is not JSON";
		return NULL;
	}
	if (!json_is_object(b)) {
		json_decref(b);
		*why = "body is not a JSON object";
		return NULL;
	}
	return b;
}

int
cert_bundle_in(struct hotlined *d, const char *peer, const struct msg *m,
    json_t *b)
{
	char coll[COLL_NAME_MAX + 1], src[PARTY_MAX + 8], why[256];
	char idhex[ID_HEX_LEN + 1], *text;
	struct cert_span *raw = NULL;
	struct stix_meta meta;
	json_t *objs, *o;
	size_t i;
	int rc, stored = 0, skipped = 0;

	hex_encode(m->id, MSG_ID_LEN, idhex);
	snprintf(coll, sizeof(coll), "in:%s", peer);
	snprintf(src, sizeof(src), "peer:%s", peer);
	if (!json_is_array(objs = json_object_get(b, "objects"))) {
		log_warnx("cert: %s: stix-bundle %.12s is not a bundle; kept "
		    "as a message only", peer, idhex);
		return 0;
	}
	raw = cert_raw_elements((const char *)m->body, m->body_len, "objects",
	    json_array_size(objs));
	json_array_foreach(objs, i, o) {
		if (stix_validate(o, &meta, why, sizeof(why)) == -1) {
			log_warnx("cert: %s: bundle %.12s object %zu refused: "
			    "%s", peer, idhex, i, why);
			skipped++;
			continue;
		}
		if (raw != NULL) {
			text = xmalloc(raw[i].len + 1);
			memcpy(text, raw[i].p, raw[i].len);
			text[raw[i].len] = '\0';
		} else if ((text = json_dumps(o, JSON_COMPACT)) == NULL) {
			free(raw);
			return -1;
		}
		rc = stixdb_put(d->cert->db, coll, &meta, tlp_of_object(o),
		    text, src, idhex, cert_next_added(d), why, sizeof(why));
		free(text);
		if (rc == -1) {
			free(raw);
			return -1;
		}
		if (rc == 2)
			log_warnx("cert: %s: %s", peer, why);
		if (rc == 0)
			stored++;
		else
			skipped++;
	}
	log_debug("cert: %s: bundle %.12s: %d stored, %d skipped", peer, idhex,
	    stored, skipped);
	free(raw);
	return 0;
}
