/*
 * cert_api.c: the /v1/cert routes of the local API, used by `hotline
 * indicators`, `hotline match` and `hotline taxii`:
 *   GET  /v1/cert/collections          objects per collection
 *   GET  /v1/cert/objects?collection=&type=&q=&limit=&after=
 *   GET  /v1/cert/objects/{stix-id}    every version, with provenance
 *   POST /v1/cert/import               {collection, objects}
 *   GET  /v1/cert/policy?peer=&tlp=    the TLP decision and its rule
 *   GET  /v1/cert/indicators           current indicators, text lines
 *   POST /v1/cert/sightings            {hits: [{indicator, count, ...}]}
 *   POST /v1/cert/grants               {account, collection, read, write}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "api.h"
#include "cert.h"
#include "log.h"
#include "stix.h"
#include "stixdb.h"
#include "tlp.h"
#include "util.h"

static json_t *
row_json(const struct stixdb_row *r, int with_obj)
{
	char ver[40], added[40];
	json_t *o;

	stix_time_format(r->version, ver);
	stix_time_format(r->added, added);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:s, s:s?}",
	    "id", r->id, "type", r->type, "collection", r->coll, "version",
	    ver, "date_added", added, "current", r->current, "revoked",
	    r->revoked, "tlp", tlp_name(r->tlp), "source", r->source,
	    "message", r->msg);
	if (o != NULL && r->pattern != NULL)
		json_object_set_new(o, "pattern", json_string(r->pattern));
	if (o != NULL && with_obj)
		json_object_set_new(o, "object", json_loads(r->obj, 0, NULL));
	return o;
}

static int
list_cb(void *arg, const struct stixdb_row *r)
{
	return json_array_append_new(arg, row_json(r, 0));
}

static int
show_cb(void *arg, const struct stixdb_row *r)
{
	return json_array_append_new(arg, row_json(r, 1));
}

static void
counts_cb(void *arg, const char *coll, int64_t n)
{
	json_object_set_new(arg, coll, json_integer(n));
}

/* The value of a query parameter, or NULL. */
static const char *
param(struct evkeyvalq *params, const char *key)
{
	return evhttp_find_header(params, key);
}

static void
h_objects(struct api_req *q, struct evkeyvalq *params)
{
	struct stixdb_filter f;
	const char *types[1], *v;
	uint64_t n;
	json_t *list = json_array();

	memset(&f, 0, sizeof(f));
	f.v_last = 1;
	f.limit = 100;
	f.coll = param(params, "collection");
	if ((v = param(params, "type")) != NULL) {
		types[0] = v;
		f.types = types;
		f.ntypes = 1;
	}
	f.search = param(params, "q");
	if ((v = param(params, "limit")) != NULL) {
		if (parse_u64(v, 1, 10000, &n) == -1) {
			json_decref(list);
			api_reply_error(q, 400, "limit must be 1..10000");
			return;
		}
		f.limit = (int)n;
	}
	if ((v = param(params, "after")) != NULL) {
		if (parse_u64(v, 0, INT64_MAX, &n) == -1) {
			json_decref(list);
			api_reply_error(q, 400, "after must be a row number");
			return;
		}
		f.after_rid = (int64_t)n;
	}
	if (stixdb_query(cert_db(q->d), &f, list_cb, list) == -1) {
		json_decref(list);
		api_reply_error(q, 503, "the store failed");
		return;
	}
	api_reply_json(q, 200, json_pack("{s:o}", "objects", list));
}

static void
h_show(struct api_req *q, const char *id)
{
	struct stixdb_filter f;
	const char *ids[1] = { id };
	json_t *list = json_array();

	memset(&f, 0, sizeof(f));
	f.v_all = 1;
	f.ids = ids;
	f.nids = 1;
	f.limit = 1000;
	if (stixdb_query(cert_db(q->d), &f, show_cb, list) == -1) {
		json_decref(list);
		api_reply_error(q, 503, "the store failed");
		return;
	}
	if (json_array_size(list) == 0) {
		json_decref(list);
		api_reply_error(q, 404, "no object %s", id);
		return;
	}
	api_reply_json(q, 200, json_pack("{s:s, s:o}", "id", id, "versions",
	    list));
}

static void
h_import(struct api_req *q)
{
	static const char *const fields[] = { "collection", "objects", NULL };
	json_t *b, *succ, *fail, *objs, *c;
	const char *coll = "local", *errmsg = NULL;
	int status = 500;

	if ((b = api_read_body(q, 0)) == NULL)
		return;
	if (api_check_fields(q, b, fields) == -1)
		goto done;
	if ((c = json_object_get(b, "collection")) != NULL) {
		if (!json_is_string(c)) {
			api_reply_error(q, 400, "collection must be a string");
			goto done;
		}
		coll = json_string_value(c);
	}
	if (!cert_coll_valid(q->d, coll) || strncmp(coll, "in:", 3) == 0) {
		api_reply_error(q, 400, "collection must be local or out:PEER "
		    "of a configured peer");
		goto done;
	}
	if (!json_is_array(objs = json_object_get(b, "objects"))) {
		api_reply_error(q, 400, "objects must be a list");
		goto done;
	}
	if (cert_ingest(q->d, coll, objs, "local", &succ, &fail, &status,
	    &errmsg) == -1) {
		api_reply_error(q, status, "%s", errmsg);
		goto done;
	}
	api_reply_json(q, 200, json_pack("{s:s, s:I, s:I, s:o, s:o}",
	    "collection", coll, "success_count",
	    (json_int_t)json_array_size(succ), "failure_count",
	    (json_int_t)json_array_size(fail), "successes", succ, "failures",
	    fail));
done:
	json_decref(b);
}

static void
h_policy(struct api_req *q, struct evkeyvalq *params)
{
	const char *peer = param(params, "peer"), *t = param(params, "tlp");
	struct peer *p;
	char rule[256];
	int level, ok;

	if (peer == NULL || (p = hotlined_peer_find(q->d, peer)) == NULL) {
		api_reply_error(q, 400, "peer= must name a configured peer");
		return;
	}
	if (t == NULL || (strcmp(t, "unmarked") == 0 ? (level = TLP_NONE, 0) :
	    (level = tlp_from_word(t)) == -1)) {
		api_reply_error(q, 400, "tlp= must be clear, green, amber, "
		    "amber+strict, red or unmarked");
		return;
	}
	ok = tlp_may_share(p->conf, level, rule, sizeof(rule));
	api_reply_json(q, 200, json_pack("{s:s, s:s, s:b, s:s}", "peer", peer,
	    "tlp", tlp_name(level), "share", ok, "rule", rule));
}

/* One line per indicator: id TAB source TAB (P pattern | X reason), the
 * pattern with backslash, tab and newline escaped. */
static int
ind_cb(void *arg, const struct stixdb_row *r)
{
	struct evbuffer *b = arg;
	const char *s;

	evbuffer_add_printf(b, "%s\t%s\t", r->id, r->source);
	if (r->pattern == NULL) {
		evbuffer_add_printf(b, "X\tpattern_type is not stix\n");
		return 0;
	}
	evbuffer_add(b, "P\t", 2);
	for (s = r->pattern; *s != '\0'; s++) {
		if (*s == '\\')
			evbuffer_add(b, "\\\\", 2);
		else if (*s == '\t')
			evbuffer_add(b, "\\t", 2);
		else if (*s == '\n')
			evbuffer_add(b, "\\n", 2);
		else if (*s == '\r')
			evbuffer_add(b, "\\r", 2);
		else
			evbuffer_add(b, s, 1);
	}
	evbuffer_add(b, "\n", 1);
	return 0;
}

static void
h_indicators(struct api_req *q)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(q->r);
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(q->r);

	if (stixdb_indicators(cert_db(q->d), (int64_t)now_utc_ms() * 1000,
	    ind_cb, out) == -1) {
		evbuffer_drain(out, evbuffer_get_length(out));
		api_reply_error(q, 503, "the store failed");
		return;
	}
	evhttp_add_header(hdr, "Content-Type", "text/tab-separated-values");
	evhttp_send_reply(q->r, 200, "OK", NULL);
}

struct find_ind {
	char	 coll[COLL_NAME_MAX + 1];
	json_t	*refs;
};

static int
find_cb(void *arg, const struct stixdb_row *r)
{
	struct find_ind *fi = arg;
	json_t *o;

	if (strncmp(r->coll, "in:", 3) != 0)
		return 0;
	snprintf(fi->coll, sizeof(fi->coll), "%s", r->coll);
	o = json_loads(r->obj, 0, NULL);
	json_decref(fi->refs);
	fi->refs = json_incref(json_object_get(o, "object_marking_refs"));
	json_decref(o);
	return -1;
}

static void
h_sightings(struct api_req *q)
{
	static const char *const fields[] = { "hits", NULL };
	json_t *b, *hits, *h, *sent = json_array(), *skipped = json_array();
	json_t *objs, *succ, *fail, *sg;
	struct stixdb_filter f;
	struct find_ind fi;
	struct peer *p;
	const char *ids[1], *errmsg;
	char sid[STIX_ID_MAX + 1], now[40], coll[COLL_NAME_MAX + 1];
	size_t i;
	int out, status;

	if ((b = api_read_body(q, 0)) == NULL)
		goto done;
	if (api_check_fields(q, b, fields) == -1)
		goto done;
	if (!json_is_array(hits = json_object_get(b, "hits"))) {
		api_reply_error(q, 400, "hits must be a list");
		goto done;
	}
	stix_time_format((int64_t)now_utc_ms() * 1000, now);
	json_array_foreach(hits, i, h) {
		json_t *idv = json_object_get(h, "indicator");
		json_t *cnt = json_object_get(h, "count");

		if (!json_is_string(idv)) {
			api_reply_error(q, 400, "each hit needs an indicator");
			goto done;
		}
		memset(&f, 0, sizeof(f));
		memset(&fi, 0, sizeof(fi));
		ids[0] = json_string_value(idv);
		f.ids = ids;
		f.nids = 1;
		f.v_last = 1;
		f.limit = 100;
		if (stixdb_query(cert_db(q->d), &f, find_cb, &fi) == -1) {
			api_reply_error(q, 503, "the store failed");
			goto done;
		}
		p = fi.coll[0] != '\0' ? cert_coll_peer(q->d, fi.coll, &out) :
		    NULL;
		if (p == NULL || !p->conf->send_sightings) {
			json_array_append_new(skipped, json_pack("{s:s, s:s}",
			    "indicator", ids[0], "reason", p == NULL ? "not a "
			    "peer's indicator" : "send_sightings = no for "
			    "that peer"));
			json_decref(fi.refs);
			continue;
		}
		if (stix_id_new("sighting", sid, sizeof(sid)) == -1) {
			json_decref(fi.refs);
			api_reply_error(q, 500, "no randomness");
			goto done;
		}
		sg = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "type",
		    "sighting", "spec_version", "2.1", "id", sid, "created",
		    now, "modified", now, "sighting_of_ref", ids[0], "count",
		    json_is_integer(cnt) ? json_integer_value(cnt) : 1);
		if (fi.refs != NULL)
			json_object_set_new(sg, "object_marking_refs", fi.refs);
		if (json_is_string(json_object_get(h, "first_seen")))
			json_object_set(sg, "first_seen",
			    json_object_get(h, "first_seen"));
		if (json_is_string(json_object_get(h, "last_seen")))
			json_object_set(sg, "last_seen",
			    json_object_get(h, "last_seen"));
		snprintf(coll, sizeof(coll), "out:%s", p->conf->party);
		objs = json_pack("[o]", sg);
		if (cert_ingest(q->d, coll, objs, "local", &succ, &fail,
		    &status, &errmsg) == -1) {
			json_decref(objs);
			api_reply_error(q, status, "%s", errmsg);
			goto done;
		}
		if (json_array_size(fail) > 0)
			json_array_append_new(skipped, json_pack("{s:s, s:O}",
			    "indicator", ids[0], "reason", json_object_get(
			    json_array_get(fail, 0), "message")));
		else
			json_array_append_new(sent, json_pack("{s:s, s:s, s:s}",
			    "indicator", ids[0], "sighting", sid, "to",
			    p->conf->party));
		json_decref(objs);
		json_decref(succ);
		json_decref(fail);
	}
	api_reply_json(q, 200, json_pack("{s:O, s:O}", "sent", sent, "skipped",
	    skipped));
done:
	json_decref(b);
	json_decref(sent);
	json_decref(skipped);
}

static void
h_grants(struct api_req *q)
{
	static const char *const fields[] = { "account", "collection", "read",
	    "write", NULL };
	json_t *b;
	const char *acct, *coll;

	if (!q->who.local && q->who.role != ROLE_ADMIN) {
		api_reply_error(q, 403, "only an administrator grants access");
		return;
	}
	if ((b = api_read_body(q, 0)) == NULL)
		return;
	if (api_check_fields(q, b, fields) == -1)
		goto done;
	acct = json_string_value(json_object_get(b, "account"));
	coll = json_string_value(json_object_get(b, "collection"));
	if (acct == NULL || acct[0] == '\0' || strlen(acct) > API_ACCOUNT_MAX ||
	    coll == NULL || !cert_coll_valid(q->d, coll)) {
		api_reply_error(q, 400, "account and collection (local, "
		    "out:PEER, in:PEER) required");
		goto done;
	}
	if (store_begin(q->d->st) == -1 || stixdb_grant_set(cert_db(q->d),
	    acct, coll, json_is_true(json_object_get(b, "read")),
	    json_is_true(json_object_get(b, "write"))) == -1 ||
	    store_commit(q->d->st) == -1) {
		store_rollback(q->d->st);
		api_reply_error(q, 503, "the store failed");
		goto done;
	}
	log_info("cert: TAXII grant %s on %s: read %s, write %s", acct, coll,
	    json_is_true(json_object_get(b, "read")) ? "yes" : "no",
	    json_is_true(json_object_get(b, "write")) ? "yes" : "no");
	api_reply_json(q, 200, json_pack("{s:s, s:s, s:b, s:b}", "account",
	    acct, "collection", coll, "read",
	    json_is_true(json_object_get(b, "read")), "write",
	    json_is_true(json_object_get(b, "write"))));
done:
	json_decref(b);
}

void
cert_api(struct api_req *q, const char *rest)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(q->r);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(q->r);
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq params;
	json_t *o;

	if (!q->who.local && q->who.role != ROLE_ADMIN &&
	    q->who.role != ROLE_CERT) {
		api_reply_error(q, 403, "the CERT channel is for CERT accounts");
		return;
	}
	TAILQ_INIT(&params);
	if (query != NULL && evhttp_parse_query_str(query, &params) == -1) {
		api_reply_error(q, 400, "malformed query");
		return;
	}
	if (strcmp(rest, "/collections") == 0 && cmd == EVHTTP_REQ_GET) {
		o = json_object();
		if (stixdb_counts(cert_db(q->d), counts_cb, o) == -1) {
			json_decref(o);
			api_reply_error(q, 503, "the store failed");
		} else
			api_reply_json(q, 200, json_pack("{s:o}",
			    "collections", o));
	} else if (strcmp(rest, "/objects") == 0 && cmd == EVHTTP_REQ_GET)
		h_objects(q, &params);
	else if (strncmp(rest, "/objects/", 9) == 0 && cmd == EVHTTP_REQ_GET)
		h_show(q, rest + 9);
	else if (strcmp(rest, "/import") == 0 && cmd == EVHTTP_REQ_POST)
		h_import(q);
	else if (strcmp(rest, "/policy") == 0 && cmd == EVHTTP_REQ_GET)
		h_policy(q, &params);
	else if (strcmp(rest, "/indicators") == 0 && cmd == EVHTTP_REQ_GET)
		h_indicators(q);
	else if (strcmp(rest, "/sightings") == 0 && cmd == EVHTTP_REQ_POST)
		h_sightings(q);
	else if (strcmp(rest, "/grants") == 0 && cmd == EVHTTP_REQ_POST)
		h_grants(q);
	else
		api_reply_error(q, 404, "no such route: /v1/cert%.200s", rest);
	evhttp_clear_headers(&params);
}
