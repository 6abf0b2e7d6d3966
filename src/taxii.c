/*
 * taxii.c: the TAXII 2.1 server. Requests arrive through the api.c route
 * table with who is asking; every resource is answered in
 * application/taxii+json;version=2.1, errors as TAXII error messages.
 * A request whose Accept header does not allow that media type gets 406,
 * a POST whose Content-Type is not it gets 415.
 *
 * Collections are this node's: "local", and per peer "out:PARTY" (what is
 * posted there is shared with the peer, subject to TLP) and "in:PARTY"
 * (what the peer sent; read-only). Their TAXII ids are UUIDs derived from
 * the names, so they are stable across restarts and nodes.
 *
 * Objects are listed in the order they were added to this server (row id);
 * added_after compares with that date added, never a STIX timestamp.
 * Paging: a page ends with "more" and an opaque "next" naming the last row
 * seen and a hash of the filters it was issued for; a next presented with
 * other filters is refused (400).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/sha.h>

#include "api.h"
#include "cert.h"
#include "log.h"
#include "stix.h"
#include "stixdb.h"
#include "taxii.h"
#include "util.h"

#define UUID_LEN	36
#define ROOT		"/api"	/* the one API root, also "api" below */

/* ---- replies ---- */

static void
reply_text(struct api_req *q, int status, const char *text, size_t len)
{
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(q->r);
	struct evbuffer *out = evhttp_request_get_output_buffer(q->r);

	evhttp_remove_header(hdr, "Content-Type");
	evhttp_add_header(hdr, "Content-Type", TAXII_MEDIA);
	if (evbuffer_add(out, text, len) == -1)
		log_warnx("taxii: cannot build a response");
	evhttp_send_reply(q->r, status, status == 200 ? "OK" : status == 202 ?
	    "Accepted" : "Error", NULL);
}

/* Answer with o (stolen). */
static void
reply(struct api_req *q, int status, json_t *o)
{
	char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	if (text == NULL) {
		reply_text(q, 500, "{\"title\":\"internal error\","
		    "\"http_status\":\"500\"}", 47);
		return;
	}
	reply_text(q, status, text, strlen(text));
	free(text);
}

static void
reply_error(struct api_req *q, int status, const char *title,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
reply_error(struct api_req *q, int status, const char *title,
    const char *fmt, ...)
{
	char desc[512], st[8];
	va_list ap;
	json_t *o, *utf8;

	va_start(ap, fmt);
	(void)vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	snprintf(st, sizeof(st), "%d", status);
	/* Client text quoted in desc may not be UTF-8: then leave it out. */
	utf8 = json_string(desc);
	o = json_pack("{s:s, s:s?, s:s}", "title", title, "description",
	    utf8 != NULL ? desc : NULL, "http_status", st);
	json_decref(utf8);
	reply(q, status, o);
}

/* ---- media types ---- */

/* Does one media range of an Accept or Content-Type header name TAXII
 * 2.1 (or, for Accept, allow it through a wildcard)? */
static int
media_ok(const char *s, size_t n, int accept)
{
	char t[128];
	size_t i, j = 0;

	/* strip spaces, lowercase, drop q= parameters */
	for (i = 0; i < n && j + 1 < sizeof(t); i++)
		if (!isspace((unsigned char)s[i]))
			t[j++] = (char)tolower((unsigned char)s[i]);
	t[j] = '\0';
	if (strstr(t, ";q=") != NULL)
		*strstr(t, ";q=") = '\0';
	if (strcmp(t, "application/taxii+json;version=2.1") == 0 ||
	    strcmp(t, "application/taxii+json") == 0)
		return 1;
	return accept && (strcmp(t, "*/*") == 0 ||
	    strcmp(t, "application/*") == 0);
}

static int
accept_ok(struct api_req *q)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(
	    q->r), "Accept");
	size_t n;

	if (h == NULL)
		return 1;
	while (*h != '\0') {
		n = strcspn(h, ",");
		if (media_ok(h, n, 1))
			return 1;
		h += n;
		if (*h == ',')
			h++;
	}
	return 0;
}

static int
content_type_ok(struct api_req *q)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(
	    q->r), "Content-Type");

	return h != NULL && media_ok(h, strlen(h), 0);
}

/* ---- collections ---- */

/* The TAXII id of collection name: a UUID (version 5 layout) from
 * SHA-256 of the name. */
static void
coll_uuid(const char *name, char out[UUID_LEN + 1])
{
	uint8_t h[SHA256_DIGEST_LENGTH];
	char in[64];
	int n;

	n = snprintf(in, sizeof(in), "hotline/taxii/collection/%s", name);
	SHA256((const unsigned char *)in, n > 0 && (size_t)n < sizeof(in) ?
	    (size_t)n : 0, h);
	h[6] = (h[6] & 0x0f) | 0x50;
	h[8] = (h[8] & 0x3f) | 0x80;
	snprintf(out, UUID_LEN + 1, "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x", h[0], h[1], h[2], h[3], h[4],
	    h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14],
	    h[15]);
}

/* The i-th collection name of this node: 0, or -1 past the end. */
static int
coll_name(struct hotlined *d, int i, char *out, size_t outsz)
{
	if (i == 0) {
		snprintf(out, outsz, "local");
		return 0;
	}
	i--;
	if (i >= 2 * d->npeers)
		return -1;
	snprintf(out, outsz, "%s:%s", i % 2 == 0 ? "out" : "in",
	    d->peers[i / 2].conf->party);
	return 0;
}

/* Find the collection with TAXII id uuid: 0 with its name, or -1. */
static int
coll_find(struct hotlined *d, const char *uuid, char *name, size_t namesz)
{
	char u[UUID_LEN + 1];
	int i;

	for (i = 0; coll_name(d, i, name, namesz) == 0; i++) {
		coll_uuid(name, u);
		if (strcasecmp(u, uuid) == 0)
			return 0;
	}
	return -1;
}

/* What who may do with coll. in:PARTY is never writable. Local callers
 * and administrators read everything and write local and out:*; CERT
 * analysts by grant (hotline taxii grant); other roles nothing. */
static void
coll_rights(struct api_req *q, const char *coll, int *r, int *w)
{
	int gr, gw;

	*r = *w = 0;
	if (q->who.local || q->who.role == ROLE_ADMIN) {
		*r = 1;
		*w = 1;
	} else if (q->who.role == ROLE_CERT &&
	    stixdb_grant_get(cert_db(q->d), q->who.account, coll, &gr, &gw) ==
	    0) {
		*r = gr;
		*w = gw;
	}
	if (strncmp(coll, "in:", 3) == 0)
		*w = 0;
}

static json_t *
coll_json(struct api_req *q, const char *name)
{
	char u[UUID_LEN + 1], title[96], desc[160];
	int r, w;

	coll_uuid(name, u);
	coll_rights(q, name, &r, &w);
	if (strcmp(name, "local") == 0) {
		snprintf(title, sizeof(title), "local");
		snprintf(desc, sizeof(desc), "Kept on this node, never shared");
	} else if (name[0] == 'o') {
		snprintf(title, sizeof(title), "%s", name);
		snprintf(desc, sizeof(desc), "Shared with %s over the hotline, "
		    "subject to TLP", name + 4);
	} else {
		snprintf(title, sizeof(title), "%s", name);
		snprintf(desc, sizeof(desc), "Received from %s (read-only)",
		    name + 3);
	}
	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:[s]}", "id", u, "title",
	    title, "description", desc, "can_read", r, "can_write", w,
	    "media_types", STIX_MEDIA);
}

/* ---- query parsing ---- */

static uint64_t
fnv(uint64_t h, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Split a decoded comma list into out[] (pointing into v, which is cut). */
static int
split_list(char *v, const char **out, int *n, char *why, size_t whylen)
{
	char *s = v, *c;

	for (;;) {
		if (*n >= TAXII_LIST_MAX) {
			snprintf(why, whylen, "more than %d values in a filter",
			    TAXII_LIST_MAX);
			return -1;
		}
		if ((c = strchr(s, ',')) != NULL)
			*c = '\0';
		if (*s == '\0') {
			snprintf(why, whylen, "empty value in a filter");
			return -1;
		}
		out[(*n)++] = s;
		if (c == NULL)
			return 0;
		s = c + 1;
	}
}

/* Percent-decode [s, s+n) into out (NUL-terminated); -1 if malformed or
 * it does not fit. */
static int
pct_decode(const char *s, size_t n, char *out, size_t outsz, size_t *used)
{
	size_t i, j = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (j + 1 >= outsz)
			return -1;
		if (s[i] == '%') {
			if (i + 2 >= n)
				return -1;
			hi = isxdigit((unsigned char)s[i + 1]) ?
			    (isdigit((unsigned char)s[i + 1]) ? s[i + 1] - '0' :
			    (tolower((unsigned char)s[i + 1]) - 'a' + 10)) : -1;
			lo = isxdigit((unsigned char)s[i + 2]) ?
			    (isdigit((unsigned char)s[i + 2]) ? s[i + 2] - '0' :
			    (tolower((unsigned char)s[i + 2]) - 'a' + 10)) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -1;
			out[j++] = (char)(hi * 16 + lo);
			i += 2;
		} else
			out[j++] = s[i];
	}
	out[j] = '\0';
	*used = j + 1;
	return 0;
}

int
taxii_query_parse(const char *query, const char *coll, struct taxii_query *q,
    char *why, size_t whylen)
{
	const char *vers[TAXII_LIST_MAX], *p = query, *next = NULL;
	char key[32], *val, *dash;
	size_t n, eq, used, off = 0;
	uint64_t h;
	int nvers = 0, i, have_ver = 0;
	int64_t t;

	memset(q, 0, sizeof(*q));
	q->limit = TAXII_PAGE_DEFAULT;
	h = fnv(0xcbf29ce484222325ULL, coll, strlen(coll) + 1);
	while (p != NULL && *p != '\0') {
		n = strcspn(p, "&");
		eq = strcspn(p, "=");
		if (eq > n)
			eq = n;
		if (pct_decode(p, eq, key, sizeof(key), &used) == -1) {
			snprintf(why, whylen, "malformed or unknown query "
			    "parameter");
			return -1;
		}
		val = q->buf + off;
		if (pct_decode(p + eq + (eq < n), n - eq - (eq < n), val,
		    sizeof(q->buf) - off, &used) == -1) {
			snprintf(why, whylen, "malformed or too long query");
			return -1;
		}
		off += used;
		if (strcmp(key, "match[id]") == 0) {
			if (split_list(val, q->ids, &q->nids, why, whylen) == -1)
				return -1;
		} else if (strcmp(key, "match[type]") == 0) {
			if (split_list(val, q->types, &q->ntypes, why,
			    whylen) == -1)
				return -1;
		} else if (strcmp(key, "match[spec_version]") == 0) {
			if (split_list(val, q->spec, &q->nspec, why,
			    whylen) == -1)
				return -1;
		} else if (strcmp(key, "match[version]") == 0) {
			have_ver = 1;
			if (split_list(val, vers, &nvers, why, whylen) == -1)
				return -1;
		} else if (strcmp(key, "added_after") == 0) {
			if (stix_time_parse(val, &q->added_after) == -1) {
				snprintf(why, whylen, "added_after is not a "
				    "timestamp");
				return -1;
			}
			h = fnv(h, "aa", 3);
			h = fnv(h, (const char *)&q->added_after,
			    sizeof(q->added_after));
		} else if (strcmp(key, "limit") == 0) {
			uint64_t l;

			if (parse_u64(val, 1, 1000000000, &l) == -1) {
				snprintf(why, whylen, "limit must be a "
				    "positive integer");
				return -1;
			}
			q->limit = l > TAXII_PAGE_MAX ? TAXII_PAGE_MAX : (int)l;
		} else if (strcmp(key, "next") == 0)
			next = val;
		/* Other parameters are ignored, as TAXII allows. */
		p += n;
		if (*p == '&')
			p++;
	}
	for (i = 0; i < nvers; i++) {
		if (strcmp(vers[i], "last") == 0)
			q->v_last = 1;
		else if (strcmp(vers[i], "first") == 0)
			q->v_first = 1;
		else if (strcmp(vers[i], "all") == 0)
			q->v_all = 1;
		else if (stix_time_parse(vers[i], &t) == 0)
			q->versions[q->nversions++] = t;
		else {
			snprintf(why, whylen, "match[version] values are "
			    "first, last, all or timestamps");
			return -1;
		}
	}
	if (!have_ver)
		q->v_last = 1;
	/* The filters that bind a next token, in a canonical form. */
	for (i = 0; i < q->nids; i++)
		h = fnv(fnv(h, "i", 2), q->ids[i], strlen(q->ids[i]) + 1);
	for (i = 0; i < q->ntypes; i++)
		h = fnv(fnv(h, "t", 2), q->types[i], strlen(q->types[i]) + 1);
	for (i = 0; i < q->nspec; i++)
		h = fnv(fnv(h, "s", 2), q->spec[i], strlen(q->spec[i]) + 1);
	h = fnv(h, "v", 2);
	h = fnv(h, (const char *)&q->v_last, sizeof(q->v_last));
	h = fnv(h, (const char *)&q->v_first, sizeof(q->v_first));
	h = fnv(h, (const char *)&q->v_all, sizeof(q->v_all));
	for (i = 0; i < q->nversions; i++)
		h = fnv(h, (const char *)&q->versions[i], sizeof(int64_t));
	q->hash = h;
	if (next != NULL) {
		uint64_t rid, hh;
		char *end;

		dash = strchr(next, '-');
		if (dash == NULL || dash == next || strlen(dash + 1) != 16) {
			snprintf(why, whylen, "malformed next");
			return -1;
		}
		*dash = '\0';
		rid = strtoull(next, &end, 16);
		if (*end != '\0' || rid == 0 || rid > INT64_MAX) {
			snprintf(why, whylen, "malformed next");
			return -1;
		}
		hh = strtoull(dash + 1, &end, 16);
		if (*end != '\0') {
			snprintf(why, whylen, "malformed next");
			return -1;
		}
		if (hh != h) {
			snprintf(why, whylen, "next was issued for other "
			    "filters or another collection; repeat the "
			    "request with the same filters, or start again "
			    "without next");
			return -1;
		}
		q->next_rid = (int64_t)rid;
	}
	return 0;
}

void
taxii_next_make(const struct taxii_query *q, int64_t rid, char *out,
    size_t outsz)
{
	snprintf(out, outsz, "%llx-%016llx", (unsigned long long)rid,
	    (unsigned long long)q->hash);
}

static void
filter_from(const struct taxii_query *tq, const char *coll,
    struct stixdb_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->coll = coll;
	f->ids = tq->ids;
	f->nids = tq->nids;
	f->types = tq->types;
	f->ntypes = tq->ntypes;
	f->spec_versions = tq->spec;
	f->nspec = tq->nspec;
	f->v_last = tq->v_last;
	f->v_first = tq->v_first;
	f->v_all = tq->v_all;
	f->versions = tq->versions;
	f->nversions = tq->nversions;
	f->added_after = tq->added_after;
	f->after_rid = tq->next_rid;
	f->limit = tq->limit + 1;	/* one more tells whether there is more */
}

/* ---- object pages ---- */

enum page_kind { PAGE_OBJECTS, PAGE_MANIFEST, PAGE_VERSIONS };

struct page {
	enum page_kind	 kind;
	struct evbuffer	*out;
	int		 n, limit;
	int64_t		 first_added, last_added, last_rid;
	int		 more;
	int		 err;
};

static int
page_row(void *arg, const struct stixdb_row *r)
{
	struct page *pg = arg;
	char ver[40], added[40];
	json_t *s;
	char *esc;

	if (pg->n == pg->limit) {
		pg->more = 1;
		return -1;
	}
	if (pg->n == 0)
		pg->first_added = r->added;
	pg->last_added = r->added;
	pg->last_rid = r->rid;
	stix_time_format(r->version, ver);
	stix_time_format(r->added, added);
	if (pg->n > 0)
		pg->err |= evbuffer_add(pg->out, ",", 1);
	switch (pg->kind) {
	case PAGE_OBJECTS:
		pg->err |= evbuffer_add(pg->out, r->obj, strlen(r->obj));
		break;
	case PAGE_MANIFEST:
		s = json_string(r->id);
		esc = s != NULL ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
		json_decref(s);
		if (esc == NULL) {
			pg->err = -1;
			return -1;
		}
		pg->err |= evbuffer_add_printf(pg->out, "{\"id\":%s,"
		    "\"date_added\":\"%s\",\"version\":\"%s\","
		    "\"media_type\":\"" STIX_MEDIA "\"}", esc, added, ver) < 0;
		free(esc);
		break;
	case PAGE_VERSIONS:
		pg->err |= evbuffer_add_printf(pg->out, "\"%s\"", ver) < 0;
		break;
	}
	pg->n++;
	return 0;
}

static void
send_page(struct api_req *q, struct taxii_query *tq, const char *coll,
    const char *only_id, enum page_kind kind)
{
	struct stixdb_filter f;
	struct page pg;
	struct evbuffer *body;
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(q->r);
	char next[64], ts[40];
	const char *ids[1];
	int rc;

	filter_from(tq, coll, &f);
	if (only_id != NULL) {
		ids[0] = only_id;
		f.ids = ids;
		f.nids = 1;
		if (kind == PAGE_VERSIONS) {
			f.v_all = 1;
			f.v_last = f.v_first = 0;
			f.nversions = 0;
		}
	}
	memset(&pg, 0, sizeof(pg));
	pg.kind = kind;
	pg.limit = tq->limit;
	if ((pg.out = evbuffer_new()) == NULL || (body = evbuffer_new()) ==
	    NULL) {
		evbuffer_free(pg.out);
		reply_error(q, 500, "internal error", "out of memory");
		return;
	}
	rc = stixdb_query(cert_db(q->d), &f, page_row, &pg);
	if (rc == -1 || pg.err) {
		evbuffer_free(pg.out);
		evbuffer_free(body);
		reply_error(q, 500, "internal error", "the store failed");
		return;
	}
	if (only_id != NULL && pg.n == 0 && tq->next_rid == 0) {
		evbuffer_free(pg.out);
		evbuffer_free(body);
		reply_error(q, 404, "not found", "no object %s in this "
		    "collection matches", only_id);
		return;
	}
	evbuffer_add_printf(body, "{\"more\":%s", pg.more ? "true" : "false");
	if (pg.more) {
		taxii_next_make(tq, pg.last_rid, next, sizeof(next));
		evbuffer_add_printf(body, ",\"next\":\"%s\"", next);
	}
	if (pg.n > 0) {
		evbuffer_add_printf(body, ",\"%s\":[", kind == PAGE_VERSIONS ?
		    "versions" : "objects");
		evbuffer_add_buffer(body, pg.out);
		evbuffer_add(body, "]", 1);
		stix_time_format(pg.first_added, ts);
		evhttp_add_header(hdr, "X-TAXII-Date-Added-First", ts);
		stix_time_format(pg.last_added, ts);
		evhttp_add_header(hdr, "X-TAXII-Date-Added-Last", ts);
	}
	evbuffer_add(body, "}", 1);
	evbuffer_free(pg.out);
	evhttp_remove_header(hdr, "Content-Type");
	evhttp_add_header(hdr, "Content-Type", TAXII_MEDIA);
	evbuffer_add_buffer(evhttp_request_get_output_buffer(q->r), body);
	evbuffer_free(body);
	evhttp_send_reply(q->r, 200, "OK", NULL);
}

/* ---- POST objects ---- */

/* A POST waiting for its envelope to be parsed (cert_prep_submit). */
struct post_job {
	struct api_req	 q;		/* a copy: who and the request */
	char		 coll[COLL_NAME_MAX + 1];
	int64_t		 now;
	struct cert_prep *prep;
};

/*
 * The rest of a POST, on the event loop: store what the envelope holds
 * (cert.c) and answer with the status resource, written as text (the
 * details are text), kept for GET status.
 */
static void
post_done(void *arg, int cancelled)
{
	struct post_job *j = arg;
	struct api_req *q = &j->q;
	struct cert_details det = { NULL, NULL, 0, 0 };
	struct evbuffer *st = NULL;
	char sid[UUID_LEN + 16], ts[40], *text;
	char src[8 + API_ACCOUNT_MAX + 1];
	const char *errmsg = NULL;
	size_t tlen;
	int status = 500, rc, errs = 0;

	if (cancelled)
		goto done;
	if (!cert_prep_ok(j->prep)) {
		reply_error(q, 400, "bad request", "the body must be an "
		    "envelope: {\"objects\": [...]}");
		goto done;
	}
	if (stix_id_new("status", sid, sizeof(sid)) == -1) {
		reply_error(q, 500, "internal error", "no randomness");
		goto done;
	}
	if ((det.ok = evbuffer_new()) == NULL || (det.bad = evbuffer_new()) ==
	    NULL || (st = evbuffer_new()) == NULL) {
		reply_error(q, 500, "internal error", "out of memory");
		goto done;
	}
	/* Provenance: the local socket, or the TAXII account. */
	snprintf(src, sizeof(src), "%s%s", q->who.local ? "local" : "taxii:",
	    q->who.local ? "" : q->who.account);
	/* As api_serve() does: whatever is submitted is the caller's. */
	q->d->operator = q->who.local || q->who.account[0] == '\0' ? NULL :
	    q->who.account;
	rc = cert_ingest_text(q->d, j->coll, j->prep, src, &det, &status,
	    &errmsg);
	q->d->operator = NULL;
	if (rc == -1) {
		reply_error(q, status, "not stored", "%s", errmsg);
		goto done;
	}
	stix_time_format(j->now, ts);
	errs |= evbuffer_add_printf(st, "{\"id\":\"%s\",\"status\":"
	    "\"complete\",\"request_timestamp\":\"%s\",\"total_count\":%zu,"
	    "\"success_count\":%zu,\"successes\":[", sid + 8, ts,
	    det.nok + det.nbad, det.nok) < 0;
	errs |= evbuffer_add_buffer(st, det.ok);
	errs |= evbuffer_add_printf(st, "],\"failure_count\":%zu,"
	    "\"failures\":[", det.nbad) < 0;
	errs |= evbuffer_add_buffer(st, det.bad);
	errs |= evbuffer_add_printf(st, "],\"pending_count\":0,"
	    "\"pendings\":[]}") < 0;
	tlen = evbuffer_get_length(st);
	if (errs || evbuffer_add(st, "", 1) == -1 || (text = (char *)
	    evbuffer_pullup(st, -1)) == NULL) {
		reply_error(q, 500, "internal error", "out of memory");
		goto done;
	}
	if (store_begin(q->d->st) == -1)
		log_warnx("taxii: cannot keep status %s", sid + 8);
	else if (stixdb_status_put(cert_db(q->d), sid + 8, j->now, text) ==
	    -1 || store_commit(q->d->st) == -1) {
		store_rollback(q->d->st);
		log_warnx("taxii: cannot keep status %s", sid + 8);
	}
	reply_text(q, 202, text, tlen);
done:
	if (det.ok != NULL)
		evbuffer_free(det.ok);
	if (det.bad != NULL)
		evbuffer_free(det.bad);
	if (st != NULL)
		evbuffer_free(st);
	if (cancelled)
		cert_prep_free(j->prep);
	else
		cert_prep_release(q->d, j->prep);
	free(j);
}

/*
 * POST objects: the envelope is parsed and validated on the CERT worker
 * thread while the event loop goes on (links keep pumping); post_done()
 * answers. evhttp keeps the request until it is answered; a client that
 * hangs up meanwhile leaves a request that the answer frees.
 */
static void
post_objects(struct api_req *q, const char *coll)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(q->r);
	struct post_job *j;
	size_t len = evbuffer_get_length(in);
	char *body;

	if (!content_type_ok(q)) {
		reply_error(q, 415, "unsupported media type", "POST a TAXII "
		    "envelope as " TAXII_MEDIA);
		return;
	}
	if (len > q->d->cf.api_max_request) {
		reply_error(q, 413, "request too large", "at most %llu bytes "
		    "(max_content_length)",
		    (unsigned long long)q->d->cf.api_max_request);
		return;
	}
	body = xmalloc(len + 1);
	if (evbuffer_remove(in, body, len) != (int)len) {
		free(body);
		reply_error(q, 500, "internal error", "cannot read the body");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->q = *q;
	snprintf(j->coll, sizeof(j->coll), "%s", coll);
	j->now = (int64_t)now_utc_ms() * 1000;
	j->prep = cert_prep_new(body, len);
	cert_prep_submit(q->d, j->prep, post_done, j);
}

/* ---- routing ---- */

/* Copy the next path segment of *p into seg; "" at the end. */
static int
segment(const char **p, char *seg, size_t segsz)
{
	size_t n;

	while (**p == '/')
		(*p)++;
	n = strcspn(*p, "/");
	if (n >= segsz)
		return -1;
	memcpy(seg, *p, n);
	seg[n] = '\0';
	*p += n;
	return 0;
}

static void
collection_routes(struct api_req *q, const char *p, const char *query)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(q->r);
	char uuid[64], name[COLL_NAME_MAX + 1], res[32], oid[STIX_ID_MAX + 2];
	char sub[32], why[256];
	struct taxii_query *tq = NULL;
	struct stixdb_filter f;
	int r, w, n;

	if (segment(&p, uuid, sizeof(uuid)) == -1 || segment(&p, res,
	    sizeof(res)) == -1 || segment(&p, oid, sizeof(oid)) == -1 ||
	    segment(&p, sub, sizeof(sub)) == -1) {
		reply_error(q, 404, "not found", "no such resource");
		return;
	}
	if (uuid[0] == '\0') {
		json_t *list = json_array();
		int i;

		if (cmd != EVHTTP_REQ_GET)
			goto method;
		for (i = 0; coll_name(q->d, i, name, sizeof(name)) == 0; i++) {
			coll_rights(q, name, &r, &w);
			if (r || w)
				json_array_append_new(list, coll_json(q, name));
		}
		reply(q, 200, json_pack("{s:o}", "collections", list));
		return;
	}
	if (coll_find(q->d, uuid, name, sizeof(name)) == -1) {
		reply_error(q, 404, "not found", "no collection %s", uuid);
		return;
	}
	coll_rights(q, name, &r, &w);
	if (!r && !w) {
		reply_error(q, 404, "not found", "no collection %s", uuid);
		return;
	}
	if (res[0] == '\0') {
		if (cmd != EVHTTP_REQ_GET)
			goto method;
		reply(q, 200, coll_json(q, name));
		return;
	}
	if (*p != '\0' && strcmp(p, "/") != 0) {
		reply_error(q, 404, "not found", "no such resource");
		return;
	}
	tq = xmalloc(sizeof(*tq));
	if (taxii_query_parse(query != NULL ? query : "", name, tq, why,
	    sizeof(why)) == -1) {
		reply_error(q, 400, "bad request", "%s", why);
		goto done;
	}
	if (strcmp(res, "manifest") == 0 && oid[0] == '\0') {
		if (cmd != EVHTTP_REQ_GET)
			goto method;
		if (!r)
			goto forbidden;
		send_page(q, tq, name, NULL, PAGE_MANIFEST);
		goto done;
	}
	if (strcmp(res, "objects") != 0) {
		reply_error(q, 404, "not found", "no such resource");
		goto done;
	}
	if (oid[0] == '\0') {
		if (cmd == EVHTTP_REQ_GET) {
			if (!r)
				goto forbidden;
			send_page(q, tq, name, NULL, PAGE_OBJECTS);
		} else if (cmd == EVHTTP_REQ_POST) {
			if (!w)
				goto forbidden;
			post_objects(q, name);
		} else
			goto method;
		goto done;
	}
	if (strcmp(sub, "versions") == 0) {
		if (cmd != EVHTTP_REQ_GET)
			goto method;
		if (!r)
			goto forbidden;
		send_page(q, tq, name, oid, PAGE_VERSIONS);
		goto done;
	}
	if (sub[0] != '\0') {
		reply_error(q, 404, "not found", "no such resource");
		goto done;
	}
	if (cmd == EVHTTP_REQ_GET) {
		if (!r)
			goto forbidden;
		send_page(q, tq, name, oid, PAGE_OBJECTS);
	} else if (cmd == EVHTTP_REQ_DELETE) {
		if (!w || strncmp(name, "out:", 4) == 0) {
			reply_error(q, 403, "forbidden", "objects of %s cannot "
			    "be deleted%s", name, strncmp(name, "out:", 4) ==
			    0 ? " (they were shared already)" : "");
			goto done;
		}
		filter_from(tq, name, &f);
		if (!tq->v_first && tq->nversions == 0)
			f.v_all = 1;	/* no match[version]: every version */
		if (store_begin(q->d->st) == -1 ||
		    (n = stixdb_delete(cert_db(q->d), &f, oid)) == -1 ||
		    store_commit(q->d->st) == -1) {
			store_rollback(q->d->st);
			reply_error(q, 500, "internal error", "the store "
			    "failed");
			goto done;
		}
		if (n == 0)
			reply_error(q, 404, "not found", "no object %s", oid);
		else
			reply_text(q, 200, "", 0);
	} else
		goto method;
	goto done;
forbidden:
	reply_error(q, 403, "forbidden", "no %s access to %s",
	    cmd == EVHTTP_REQ_GET ? "read" : "write", name);
	goto done;
method:
	evhttp_add_header(evhttp_request_get_output_headers(q->r), "Allow",
	    res[0] == '\0' || strcmp(res, "manifest") == 0 || sub[0] != '\0' ?
	    "GET" : oid[0] == '\0' ? "GET, POST" : "GET, DELETE");
	reply_error(q, 405, "method not allowed", "method not allowed here");
done:
	free(tq);
}

void
taxii_api(struct api_req *q, const char *rest)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(q->r);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(q->r);
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	const char *p = rest;
	char seg[64], sid[64], *body;
	int rc;

	if (!q->who.local && q->who.role != ROLE_ADMIN &&
	    q->who.role != ROLE_CERT) {
		reply_error(q, 403, "forbidden", "TAXII is for CERT accounts");
		return;
	}
	if (!accept_ok(q)) {
		reply_error(q, 406, "not acceptable", "this server answers "
		    "only " TAXII_MEDIA);
		return;
	}
	if (segment(&p, seg, sizeof(seg)) == -1)
		goto notfound;
	if (seg[0] == '\0') {
		if (cmd != EVHTTP_REQ_GET)
			goto method;
		reply(q, 200, json_pack("{s:s, s:s, s:s, s:s, s:[s]}", "title",
		    "hotline TAXII 2.1", "description", "CERT channel of "
		    "hotline node", "contact", q->d->cf.party, "default",
		    "/taxii2" ROOT "/", "api_roots", "/taxii2" ROOT "/"));
		return;
	}
	if (strcmp(seg, "api") != 0)
		goto notfound;
	if (segment(&p, seg, sizeof(seg)) == -1)
		goto notfound;
	if (seg[0] == '\0') {
		if (cmd != EVHTTP_REQ_GET)
			goto method;
		reply(q, 200, json_pack("{s:s, s:s, s:[s], s:I}", "title",
		    "hotline", "description", "CERT channel collections",
		    "versions", TAXII_MEDIA, "max_content_length",
		    (json_int_t)q->d->cf.api_max_request));
		return;
	}
	if (strcmp(seg, "collections") == 0) {
		collection_routes(q, p, query);
		return;
	}
	if (strcmp(seg, "status") == 0) {
		if (segment(&p, sid, sizeof(sid)) == -1 || sid[0] == '\0')
			goto notfound;
		if (cmd != EVHTTP_REQ_GET)
			goto method;
		rc = stixdb_status_get(cert_db(q->d), sid, &body);
		if (rc == 0) {
			reply_text(q, 200, body, strlen(body));
			free(body);
		} else if (rc == 1)
			reply_error(q, 404, "not found", "no status %s", sid);
		else
			reply_error(q, 500, "internal error", "store failed");
		return;
	}
notfound:
	reply_error(q, 404, "not found", "no such TAXII resource");
	return;
method:
	evhttp_add_header(evhttp_request_get_output_headers(q->r), "Allow",
	    "GET");
	reply_error(q, 405, "method not allowed", "use GET");
}
