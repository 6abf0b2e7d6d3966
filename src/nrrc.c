/*
 * nrrc.c: the daemon's NRRC module (nrrc.h): start-up (catalogue, the
 * once-a-second deadline scan and check schedule), the NRRC facts added to
 * every message the API shows, and the NRRC routes of the local API:
 *
 *   GET  /v1/templates[/NAME]       the catalogue (and peers' versions)
 *   GET  /v1/render/ID?lang=en|ru   a stored message rendered in a language
 *   POST /v1/render                 a preview of {template, fields, lang}
 *   POST /v1/notify                 compose from a template and send
 *   GET  /v1/overdue                open messages past their deadline
 *   GET  /v1/checks                 communication check statistics
 *   POST /v1/checks                 send an ad hoc check
 *   GET  /v1/shift                  the watch handover summary
 *
 * Every request is answered exactly once; nothing a client sends reaches
 * fatal(). docs/API.md describes the JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "api.h"
#include "checks.h"
#include "deliver.h"
#include "hotlined.h"
#include "log.h"
#include "msg.h"
#include "notify.h"
#include "nrrc.h"
#include "store.h"
#include "store_nrrc.h"
#include "templates.h"
#include "util.h"
#include "wire.h"

#define TICK_MS		1000
#define LIST_CAP	1000		/* items per list in /v1/shift */
#define DAY_MS		(24ULL * 3600 * 1000)
#define QUERY_MAX	8

static void
nrrc_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct hotlined *d = arg;
	struct nrrc *n = d->nrrc;
	struct timeval tv = { TICK_MS / 1000, (TICK_MS % 1000) * 1000 };

	(void)fd;
	(void)ev;
	if (notify_scan(n->notify) > 0)
		api_changed(d);
	checks_tick(d, now_utc_ms());
	evtimer_add(n->timer, &tv);
}

int
nrrc_start(struct hotlined *d)
{
	struct nrrc *n = xcalloc(1, sizeof(*n));
	struct timeval tv = { 0, 0 };

	d->nrrc = n;
	n->cat = tpl_cat_load_dir(d->cf.templates_dir, n->cat_err,
	    sizeof(n->cat_err));
	if (n->cat == NULL)
		log_warnx("template catalogue not loaded: %s; structured "
		    "messages will be shown raw", n->cat_err);
	else
		log_info("template catalogue %s version %u: %d templates from "
		    "%s", tpl_cat_id(n->cat), tpl_cat_version(n->cat),
		    tpl_cat_count(n->cat), d->cf.templates_dir);
	n->last_check = xcalloc((size_t)d->npeers + 1, sizeof(uint64_t));
	n->notify = notify_new(d->st, &d->cf, n->cat, NULL, NULL);
	if ((n->timer = evtimer_new(d->base, nrrc_tick, d)) == NULL)
		return -1;
	evtimer_add(n->timer, &tv);
	return 0;
}

void
nrrc_stop(struct hotlined *d)
{
	struct nrrc *n = d->nrrc;

	if (n == NULL)
		return;
	if (n->timer != NULL)
		event_free(n->timer);
	notify_free(n->notify);
	tpl_cat_free(n->cat);
	free(n->last_check);
	free(n);
	d->nrrc = NULL;
}

void
nrrc_hello_fill(struct hotlined *d, struct hello *h)
{
	if (d->nrrc == NULL || d->nrrc->cat == NULL)
		return;
	h->cat_version = tpl_cat_version(d->nrrc->cat);
	snprintf(h->cat_id, sizeof(h->cat_id), "%s",
	    tpl_cat_id(d->nrrc->cat));
}

void
nrrc_hello_seen(struct peer *p, const struct hello *h)
{
	const struct tpl_cat *cat = p->d->nrrc != NULL ? p->d->nrrc->cat :
	    NULL;

	p->cat_version = h->cat_version;
	snprintf(p->cat_id, sizeof(p->cat_id), "%s", h->cat_id);
	if (h->cat_version == 0)
		log_info("%s announces no template catalogue", p->conf->party);
	else if (cat == NULL || strcmp(h->cat_id, tpl_cat_id(cat)) != 0 ||
	    h->cat_version != tpl_cat_version(cat))
		log_warnx("%s uses template catalogue %s version %u, this node "
		    "%s%s version %u: messages from templates we do not have "
		    "will be stored and shown raw", p->conf->party, h->cat_id,
		    h->cat_version, cat != NULL ? "has " : "has none, not ",
		    cat != NULL ? tpl_cat_id(cat) : "", cat != NULL ?
		    tpl_cat_version(cat) : 0);
}

void
nrrc_log_received(struct peer *p, const struct msg *m)
{
	char name[TPL_NAME_MAX + 1], catid[TPL_NAME_MAX + 1], why[256];
	char id[ID_HEX_LEN + 1];
	json_t *fields = NULL;
	uint32_t ver;
	int st;

	hex_encode(m->id, MSG_ID_LEN, id);
	st = tpl_body_classify(p->d->nrrc != NULL ? p->d->nrrc->cat : NULL,
	    m->body, m->body_len, name, catid, &ver, &fields, why,
	    sizeof(why));
	json_decref(fields);
	if (st == TPL_NONE || st == TPL_OK)
		log_info("received %.12s %s/%s %s from %s%s%s%s", id,
		    channel_name(m->channel), m->kind, prec_name(m->prec),
		    p->conf->party, st == TPL_OK ? ": " : "",
		    st == TPL_OK ? name : "", m->exercise ? " EXERCISE" : "");
	else
		log_warnx("received %.12s %s/%s %s from %s%s: template %s "
		    "cannot be rendered here (%s): stored, flagged, shown raw",
		    id, channel_name(m->channel), m->kind, prec_name(m->prec),
		    p->conf->party, m->exercise ? " EXERCISE" : "", name, why);
}

/* Who may do what on these routes. */
static int
may_read(struct api_req *q)
{
	if (q->who.role != ROLE_ADMIN && q->who.role != ROLE_WATCH &&
	    q->who.role != ROLE_AUDITOR) {
		api_reply_error(q, 403, "the NRRC routes are for watch "
		    "officers and auditors");
		return 0;
	}
	return 1;
}

static int
may_write(struct api_req *q)
{
	if (q->who.role != ROLE_ADMIN && q->who.role != ROLE_WATCH) {
		api_reply_error(q, 403, "only watch officers send NRRC "
		    "messages and checks");
		return 0;
	}
	return 1;
}

/* Is the template catalogue loaded? If not, answers 503 with the reason. */
static int
catalogue_ready(struct api_req *q)
{
	struct nrrc *n = q->d->nrrc;

	if (n != NULL && n->cat != NULL)
		return 1;
	api_reply_error(q, 503, "no template catalogue loaded: %s",
	    n != NULL ? n->cat_err : "not started");
	return 0;
}

/* Parsed query parameters, only the allowed keys. */
struct query {
	const char	*key[QUERY_MAX];
	char		*val[QUERY_MAX];
	int		 n;
};

static void
query_free(struct query *qs)
{
	int i;

	for (i = 0; i < qs->n; i++)
		free(qs->val[i]);
	qs->n = 0;
}

/* Parse the query string; unknown keys refused. 0, or -1 after a 400. */
static int
query_parse(struct api_req *q, const char *const *allowed, struct query *qs)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(q->r);
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq params;
	struct evkeyval *kv;
	int i, rc = 0;

	memset(qs, 0, sizeof(*qs));
	if (query == NULL)
		return 0;
	TAILQ_INIT(&params);
	if (evhttp_parse_query_str(query, &params) == -1) {
		api_reply_error(q, 400, "malformed query string");
		return -1;
	}
	TAILQ_FOREACH(kv, &params, next) {
		for (i = 0; allowed[i] != NULL && strcmp(allowed[i],
		    kv->key) != 0; i++)
			;
		if (allowed[i] == NULL || qs->n == QUERY_MAX) {
			api_reply_error(q, 400, "unknown parameter \"%.32s\"",
			    kv->key);
			rc = -1;
			break;
		}
		qs->key[qs->n] = allowed[i];
		qs->val[qs->n++] = xstrdup(kv->value);
	}
	evhttp_clear_headers(&params);
	if (rc == -1)
		query_free(qs);
	return rc;
}

static const char *
query_get(const struct query *qs, const char *key)
{
	int i;

	for (i = 0; i < qs->n; i++)
		if (strcmp(qs->key[i], key) == 0)
			return qs->val[i];
	return NULL;
}

/*
 * A point in time from a parameter: RFC 3339 UTC ("2026-11-23T08:00:00Z"),
 * or a duration ago ("8h", "30m", "7d"). 0 or -1.
 */
static int
time_param(const char *s, uint64_t now, uint64_t *out)
{
	uint64_t v;
	size_t n = strlen(s);
	char num[32];

	if (tpl_time_parse(s, out) == 0)
		return 0;
	if (n > 1 && n < sizeof(num) && s[n - 1] == 'd') {
		memcpy(num, s, n - 1);
		num[n - 1] = '\0';
		if (parse_u64(num, 0, 3650, &v) == -1)
			return -1;
		v *= DAY_MS;
	} else if (parse_duration_ms(s, 0, 3650 * DAY_MS, &v) == -1)
		return -1;
	*out = v > now ? 0 : now - v;
	return 0;
}

int
nrrc_msg_annotate(struct hotlined *d, const struct msg_row *row, json_t *o)
{
	char name[TPL_NAME_MAX + 1], catid[TPL_NAME_MAX + 1], why[512];
	struct deadline_facts f;
	json_t *fields = NULL, *t;
	uint32_t ver;
	int st, errs = 0;

	if (notify_facts(d->st, &d->cf, row, now_utc_ms(), &f) == -1)
		return -1;
	errs |= json_object_set_new(o, "deadline", api_j_time(f.deadline));
	errs |= json_object_set_new(o, "deadline_state",
	    json_string(deadline_state_name(f.state)));
	errs |= json_object_set_new(o, "overdue_since",
	    api_j_time(f.overdue_at));
	errs |= json_object_set_new(o, "ack_late",
	    json_boolean(f.state == DL_LATE));
	st = tpl_body_classify(d->nrrc != NULL ? d->nrrc->cat : NULL,
	    row->m.body, row->m.body_len, name, catid, &ver, &fields, why,
	    sizeof(why));
	json_decref(fields);
	if (st == TPL_NONE)
		t = json_null();
	else {
		t = json_pack("{s:s, s:s, s:s?, s:I}", "name", name, "status",
		    tpl_status_name(st), "catalogue", catid[0] != '\0' ?
		    catid : NULL, "version", (json_int_t)ver);
		if (t != NULL && st != TPL_OK)
			json_object_set_new(t, "explanation",
			    json_string(why));
	}
	errs |= json_object_set_new(o, "template", t);
	return errs != 0 ? -1 : 0;
}

/* GET /v1/templates[/NAME] */
void
nrrc_api_templates(struct api_req *q, const char *rest)
{
	struct nrrc *n = q->d->nrrc;
	const struct tpl *t;
	json_t *o, *arr, *peers, *p, *tj;
	size_t i;
	int k;

	if (evhttp_request_get_command(q->r) != EVHTTP_REQ_GET) {
		api_method_not_allowed(q, "GET");
		return;
	}
	if (!may_read(q))
		return;
	if (!catalogue_ready(q))
		return;
	if (rest[0] == '/') {
		json_array_foreach(json_object_get(tpl_cat_json(n->cat),
		    "templates"), i, tj)
			if (strcmp(json_string_value(json_object_get(tj,
			    "name")), rest + 1) == 0) {
				api_reply_json(q, 200, json_incref(tj));
				return;
			}
		api_reply_error(q, 404, "no such template: %.64s", rest + 1);
		return;
	}
	arr = json_array();
	for (k = 0; k < tpl_cat_count(n->cat); k++) {
		t = tpl_cat_get(n->cat, k);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, "
		    "s:s}", "name", tpl_name(t), "channel", tpl_channel(t),
		    "kind", tpl_kind(t), "title_en", tpl_title(t, "en"),
		    "title_ru", tpl_title(t, "ru")));
	}
	peers = json_array();
	for (k = 0; k < q->d->npeers; k++) {
		p = json_pack("{s:s}", "party", q->d->peers[k].conf->party);
		json_object_set_new(p, "catalogue",
		    q->d->peers[k].cat_version != 0 ?
		    json_string(q->d->peers[k].cat_id) : json_null());
		json_object_set_new(p, "version",
		    q->d->peers[k].cat_version != 0 ?
		    json_integer(q->d->peers[k].cat_version) : json_null());
		json_array_append_new(peers, p);
	}
	o = json_pack("{s:s, s:I, s:O, s:o, s:o, s:O}", "catalogue",
	    tpl_cat_id(n->cat), "version",
	    (json_int_t)tpl_cat_version(n->cat),
	    "languages", json_object_get(tpl_cat_json(n->cat), "languages"),
	    "templates", arr, "peers", peers, "definition",
	    tpl_cat_json(n->cat));
	api_reply_json(q, 200, o);
}

/* The tpl_meta of a stored row and its deadline facts. */
static void
row_meta(struct hotlined *d, const struct msg_row *row, char *ref,
    struct tpl_meta *meta)
{
	struct deadline_facts f;

	memset(meta, 0, sizeof(*meta));
	meta->id = row->id;
	meta->from = row->m.from;
	meta->to = row->m.to;
	meta->channel = channel_name(row->m.channel);
	meta->precedence = prec_name(row->m.prec);
	if (row->m.has_ref) {
		hex_encode(row->m.ref, MSG_ID_LEN, ref);
		meta->ref = ref;
	}
	meta->created = row->m.created;
	meta->received = row->received;
	meta->exercise = row->m.exercise;
	if (notify_facts(d->st, &d->cf, row, now_utc_ms(), &f) == 0) {
		meta->deadline = f.deadline;
		meta->overdue = f.state == DL_OVERDUE;
		meta->ack_late = f.state == DL_LATE;
	}
}

static void
render_reply(struct api_req *q, const struct tpl_meta *meta,
    const uint8_t *body, size_t len, const char *lang)
{
	struct nrrc *n = q->d->nrrc;
	char *text;
	int st;

	text = tpl_render(n->cat, meta, body, len, lang, &st);
	if (text == NULL) {
		api_reply_error(q, 400, "lang: \"en\" or \"ru\"");
		return;
	}
	api_reply_json(q, 200, json_pack("{s:s?, s:s, s:s, s:b, s:s}", "id",
	    meta->id, "lang", lang, "template_status", tpl_status_name(st),
	    "exercise", meta->exercise, "text", text));
	free(text);
}

/* GET /v1/render/ID?lang=..; POST /v1/render {template, fields, lang,
 * precedence, exercise} (a preview: nothing is stored or sent). */
void
nrrc_api_render(struct api_req *q, const char *rest)
{
	static const char *const qkeys[] = { "lang", NULL };
	static const char *const bkeys[] = { "template", "fields", "lang",
	    "precedence", "exercise", "to", NULL };
	struct nrrc *n = q->d->nrrc;
	struct query qs;
	struct msg_row row;
	struct tpl_meta meta;
	const struct tpl *t;
	json_t *req = NULL, *body = NULL;
	char id[ID_HEX_LEN + 1], ref[ID_HEX_LEN + 1], err[512], *bytes;
	const char *lang, *prec;
	int rc;

	if (!catalogue_ready(q))
		return;
	if (evhttp_request_get_command(q->r) == EVHTTP_REQ_POST &&
	    rest[0] == '\0') {
		if (!may_read(q) || (req = api_read_body(q, 0)) == NULL)
			return;
		if (api_check_fields(q, req, bkeys) == -1)
			goto done;
		lang = json_string_value(json_object_get(req, "lang"));
		t = tpl_find(n->cat, json_string_value(json_object_get(req,
		    "template")));
		if (t == NULL) {
			api_reply_error(q, 400, "template: not in catalogue "
			    "%s version %u", tpl_cat_id(n->cat),
			    tpl_cat_version(n->cat));
			goto done;
		}
		if (tpl_validate(n->cat, t, json_object_get(req, "fields"),
		    err, sizeof(err)) == -1) {
			api_reply_error(q, 400, "%s", err);
			goto done;
		}
		prec = json_string_value(json_object_get(req, "precedence"));
		memset(&meta, 0, sizeof(meta));
		meta.from = q->d->cf.party;
		meta.to = json_string_value(json_object_get(req, "to"));
		meta.channel = tpl_channel(t);
		meta.precedence = prec != NULL && prec_from_name(prec) != -1 ?
		    prec : NULL;
		meta.exercise = json_is_true(json_object_get(req, "exercise"));
		body = tpl_body_new(n->cat, t, json_object_get(req, "fields"));
		bytes = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
		if (bytes == NULL) {
			api_reply_error(q, 500, "out of memory");
			goto done;
		}
		render_reply(q, &meta, (uint8_t *)bytes, strlen(bytes),
		    lang != NULL ? lang : "en");
		free(bytes);
		goto done;
	}
	if (evhttp_request_get_command(q->r) != EVHTTP_REQ_GET ||
	    rest[0] != '/') {
		api_method_not_allowed(q, "GET (/v1/render/ID), POST "
		    "(/v1/render)");
		return;
	}
	if (query_parse(q, qkeys, &qs) == -1)
		return;
	lang = query_get(&qs, "lang");
	if ((rc = store_msg_resolve(q->d->st, rest + 1, id)) != 0) {
		if (rc == 2)
			api_reply_error(q, 409, "id: ambiguous prefix");
		else if (rc == 1)
			api_reply_error(q, 404, "no such message");
		else
			api_reply_error(q, 503, "the message store failed");
		goto qdone;
	}
	if ((rc = store_msg_get(q->d->st, id, &row)) != 0) {
		api_reply_error(q, rc == 1 ? 404 : 503, rc == 1 ?
		    "no such message" : "the message store failed");
		goto qdone;
	}
	/* Rendering shows the message: only to who may read its channel
	 * (a principal's staff render the direct line). */
	if (!api_may_read(&q->who, row.m.channel)) {
		api_reply_error(q, 403, "your role may not read the %s channel",
		    channel_name(row.m.channel));
		msg_row_clear(&row);
		goto qdone;
	}
	row_meta(q->d, &row, ref, &meta);
	render_reply(q, &meta, row.m.body, row.m.body_len,
	    lang != NULL ? lang : "en");
	msg_row_clear(&row);
qdone:
	query_free(&qs);
done:
	json_decref(body);
	json_decref(req);
}

/* POST /v1/notify {to, template, fields, precedence, exercise, ref} */
void
nrrc_api_notify(struct api_req *q, const char *rest)
{
	static const char *const keys[] = { "to", "template", "fields",
	    "precedence", "exercise", "ref", NULL };
	struct nrrc *n = q->d->nrrc;
	const struct tpl *t;
	json_t *req = NULL, *body = NULL, *v;
	char err[512], id[ID_HEX_LEN + 1], refid[ID_HEX_LEN + 1], *text = NULL;
	const char *to, *prec, *ref, *errmsg;
	struct msg m;
	int p, rc, status;

	if (rest[0] != '\0') {
		api_reply_error(q, 404, "no such route");
		return;
	}
	if (evhttp_request_get_command(q->r) != EVHTTP_REQ_POST) {
		api_method_not_allowed(q, "POST");
		return;
	}
	if (!may_write(q))
		return;
	if (!catalogue_ready(q))
		return;
	if ((req = api_read_body(q, 0)) == NULL)
		return;
	if (api_check_fields(q, req, keys) == -1)
		goto done;
	to = json_string_value(json_object_get(req, "to"));
	if (to == NULL || !party_id_valid(to) ||
	    hotlined_peer_find(q->d, to) == NULL) {
		api_reply_error(q, 400, "to: not a configured peer");
		goto done;
	}
	t = tpl_find(n->cat, json_string_value(json_object_get(req,
	    "template")));
	if (t == NULL) {
		api_reply_error(q, 400, "template: not in catalogue %s version "
		    "%u", tpl_cat_id(n->cat), tpl_cat_version(n->cat));
		goto done;
	}
	prec = json_string_value(json_object_get(req, "precedence"));
	if ((p = prec_from_name(prec != NULL ? prec : "routine")) == -1) {
		api_reply_error(q, 400, "precedence: flash, immediate, "
		    "priority or routine");
		goto done;
	}
	v = json_object_get(req, "exercise");
	if (v != NULL && !json_is_boolean(v)) {
		api_reply_error(q, 400, "exercise: true or false");
		goto done;
	}
	if (tpl_validate(n->cat, t, json_object_get(req, "fields"), err,
	    sizeof(err)) == -1) {
		api_reply_error(q, 400, "%s", err);
		goto done;
	}
	memset(&m, 0, sizeof(m));
	ref = json_string_value(json_object_get(req, "ref"));
	if (ref == NULL && json_object_get(req, "ref") != NULL &&
	    !json_is_null(json_object_get(req, "ref"))) {
		api_reply_error(q, 400, "ref: a message id");
		goto done;
	}
	if (ref != NULL && tpl_ref_rule(t) == TREF_NONE) {
		api_reply_error(q, 400, "ref: template %s does not answer "
		    "another message", tpl_name(t));
		goto done;
	}
	if (ref == NULL && tpl_ref_rule(t) == TREF_REQUIRED) {
		api_reply_error(q, 400, "ref: template %s answers a message: "
		    "give its id", tpl_name(t));
		goto done;
	}
	if (ref != NULL) {
		if ((rc = store_msg_resolve(q->d->st, ref, refid)) != 0) {
			api_reply_error(q, rc == 2 ? 409 : rc == 1 ? 404 : 503,
			    "ref: %s", rc == 2 ? "ambiguous prefix" : rc == 1 ?
			    "no such message" : "the message store failed");
			goto done;
		}
		(void)hex_decode(refid, m.ref, MSG_ID_LEN);
		m.has_ref = true;
	}
	body = tpl_body_new(n->cat, t, json_object_get(req, "fields"));
	if (body == NULL || (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		api_reply_error(q, 500, "out of memory");
		goto done;
	}
	if (strlen(text) > q->d->cf.max_body) {
		api_reply_error(q, 413, "the message is larger than max_body "
		    "(%llu bytes)", (unsigned long long)q->d->cf.max_body);
		goto done;
	}
	snprintf(m.to, sizeof(m.to), "%s", to);
	m.channel = (uint8_t)channel_from_name(tpl_channel(t));
	m.prec = (uint8_t)p;
	snprintf(m.kind, sizeof(m.kind), "%s", tpl_kind(t));
	m.exercise = json_is_true(v);
	m.body = (const uint8_t *)text;
	m.body_len = (uint32_t)strlen(text);
	if (deliver_submit_as(q->d, &m, q->who.account, id, &status,
	    &errmsg) == -1) {
		api_reply_error(q, status, "%s", errmsg);
		goto done;
	}
	log_info("%snotification %.12s: %s %s to %s", m.exercise ?
	    "EXERCISE " : "", id, tpl_name(t), prec_name(m.prec), to);
	api_reply_json(q, 201, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, "
	    "s:b}", "id", id, "state", "queued", "template", tpl_name(t),
	    "channel", tpl_channel(t), "kind", tpl_kind(t), "precedence",
	    prec_name(m.prec), "exercise", m.exercise));
done:
	free(text);
	json_decref(body);
	json_decref(req);
}

/* The short JSON of a row for lists: header facts, deadline, template. */
static json_t *
item_json(struct hotlined *d, const struct msg_row *row)
{
	char name[TPL_NAME_MAX + 1], catid[TPL_NAME_MAX + 1];
	const struct tpl *t = NULL;
	json_t *o, *fields = NULL;
	const char *refno = NULL;
	uint32_t ver;
	int st;

	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:o, s:o}",
	    "id", row->id, "dir", row->dir == DIR_IN ? "in" : "out", "peer",
	    row->peer, "channel", channel_name(row->m.channel), "kind",
	    row->m.kind, "precedence", prec_name(row->m.prec), "exercise",
	    row->m.exercise, "created", api_j_time(row->m.created), "received",
	    api_j_time(row->received), "acknowledged",
	    api_j_time(row->acked));
	if (o == NULL)
		return NULL;
	(void)nrrc_msg_annotate(d, row, o);
	st = tpl_body_classify(d->nrrc->cat, row->m.body, row->m.body_len,
	    name, catid, &ver, &fields, NULL, 0);
	if (st == TPL_OK) {
		t = tpl_find(d->nrrc->cat, name);
		refno = json_string_value(json_object_get(fields,
		    "reference"));
	}
	json_object_set_new(o, "title_en", t != NULL ?
	    json_string(tpl_title(t, "en")) : json_null());
	json_object_set_new(o, "title_ru", t != NULL ?
	    json_string(tpl_title(t, "ru")) : json_null());
	json_object_set_new(o, "reference", refno != NULL ?
	    json_string(refno) : json_null());
	json_decref(fields);
	return o;
}

struct collect {
	struct hotlined	*d;
	json_t		*arr;
};

static int
collect_id(void *arg, const char *id)
{
	struct collect *c = arg;
	struct msg_row row;
	json_t *o;

	if (store_msg_get(c->d->st, id, &row) != 0)
		return 0;
	if ((o = item_json(c->d, &row)) != NULL)
		json_array_append_new(c->arr, o);
	msg_row_clear(&row);
	return 0;
}

/* GET /v1/overdue */
void
nrrc_api_overdue(struct api_req *q, const char *rest)
{
	struct collect c = { q->d, NULL };

	if (rest[0] != '\0') {
		api_reply_error(q, 404, "no such route");
		return;
	}
	if (evhttp_request_get_command(q->r) != EVHTTP_REQ_GET) {
		api_method_not_allowed(q, "GET");
		return;
	}
	if (!may_read(q))
		return;
	c.arr = json_array();
	if (store_nrrc_overdue_list(q->d->st, LIST_CAP, collect_id, &c) ==
	    -1) {
		json_decref(c.arr);
		api_reply_error(q, 503, "the message store failed");
		return;
	}
	api_reply_json(q, 200, json_pack("{s:o}", "overdue", c.arr));
}

/* GET /v1/checks?peer=&since=&until=&exercise=; POST /v1/checks {to,
 * precedence, exercise, note} */
void
nrrc_api_checks(struct api_req *q, const char *rest)
{
	static const char *const qkeys[] = { "peer", "since", "until",
	    "exercise", NULL };
	static const char *const bkeys[] = { "to", "precedence", "exercise",
	    "note", NULL };
	struct query qs;
	uint64_t now = now_utc_ms(), since, until = now;
	json_t *req, *o, *v;
	const char *s, *errmsg, *prec;
	char id[ID_HEX_LEN + 1];
	int status, p;

	if (rest[0] != '\0') {
		api_reply_error(q, 404, "no such route");
		return;
	}
	if (!may_read(q))
		return;
	if (evhttp_request_get_command(q->r) == EVHTTP_REQ_POST) {
		if (!may_write(q) || (req = api_read_body(q, 0)) == NULL)
			return;
		if (api_check_fields(q, req, bkeys) == -1) {
			json_decref(req);
			return;
		}
		s = json_string_value(json_object_get(req, "to"));
		prec = json_string_value(json_object_get(req, "precedence"));
		v = json_object_get(req, "exercise");
		if (s == NULL || hotlined_peer_find(q->d, s) == NULL)
			api_reply_error(q, 400, "to: not a configured peer");
		else if ((p = prec_from_name(prec != NULL ? prec :
		    "immediate")) == -1)
			api_reply_error(q, 400, "precedence: flash, immediate, "
			    "priority or routine");
		else if (v != NULL && !json_is_boolean(v))
			api_reply_error(q, 400, "exercise: true or false");
		else if (checks_send(q->d, s, p, json_is_true(v), false,
		    json_string_value(json_object_get(req, "note")),
		    q->who.account, id, &status, &errmsg) == -1)
			api_reply_error(q, status, "%s", errmsg);
		else
			api_reply_json(q, 201, json_pack("{s:s, s:s, s:s, s:b,"
			    " s:o}", "id", id, "to", s, "precedence",
			    prec_name(p), "exercise", json_is_true(v),
			    "answer_within_ms", json_integer((json_int_t)
			    notify_duration(&q->d->cf, CH_CHECK, p))));
		json_decref(req);
		return;
	}
	if (evhttp_request_get_command(q->r) != EVHTTP_REQ_GET) {
		api_method_not_allowed(q, "GET, POST");
		return;
	}
	if (query_parse(q, qkeys, &qs) == -1)
		return;
	since = now > 30 * DAY_MS ? now - 30 * DAY_MS : 0;
	if ((s = query_get(&qs, "since")) != NULL && time_param(s, now,
	    &since) == -1) {
		api_reply_error(q, 400, "since: a UTC time (2026-11-23T08:00:00Z)"
		    " or a duration ago (8h, 7d)");
		goto done;
	}
	if ((s = query_get(&qs, "until")) != NULL && time_param(s, now,
	    &until) == -1) {
		api_reply_error(q, 400, "until: a UTC time or a duration ago");
		goto done;
	}
	s = query_get(&qs, "exercise");
	if (s != NULL && strcmp(s, "0") && strcmp(s, "1") &&
	    strcmp(s, "true") && strcmp(s, "false")) {
		api_reply_error(q, 400, "exercise: 1 or 0");
		goto done;
	}
	o = checks_stats_json(q->d->st, &q->d->cf, query_get(&qs, "peer"),
	    since, until, now, s != NULL && (s[0] == '1' || s[0] == 't'));
	if (o == NULL)
		api_reply_error(q, 503, "the message store failed");
	else
		api_reply_json(q, 200, o);
done:
	query_free(&qs);
}

/* The open (unacknowledged, acknowledgment expected) messages. */
struct open_walk {
	struct hotlined	*d;
	json_t		*in, *out, *chk_in, *chk_out, *overdue;
	uint64_t	 last_rid;
	int		 rows;
};

static int
open_row(void *arg, const struct msg_row *row)
{
	struct open_walk *w = arg;
	json_t *o, *dst;
	const char *dl;

	w->rows++;
	w->last_rid = row->rid;
	if (row->ack_id[0] != '\0' || strcmp(row->m.kind, "ack") == 0 ||
	    strcmp(row->m.kind, "pong") == 0)
		return 0;
	if ((o = item_json(w->d, row)) == NULL)
		return 0;
	if (row->m.channel == CH_CHECK)
		dst = row->dir == DIR_IN ? w->chk_in : w->chk_out;
	else
		dst = row->dir == DIR_IN ? w->in : w->out;
	dl = json_string_value(json_object_get(o, "deadline_state"));
	if (dl != NULL && strcmp(dl, "overdue") == 0)
		json_array_append(w->overdue, o);
	/* Outbound checks still within their limit are not "unanswered". */
	if (dst == w->chk_out && (dl == NULL || strcmp(dl, "overdue") != 0)) {
		json_decref(o);
		return 0;
	}
	if (json_array_size(dst) < LIST_CAP)
		json_array_append(dst, o);
	json_decref(o);
	return 0;
}

struct link_walk {
	json_t		*events;
	int		 n;
};

static int
link_event(void *arg, uint64_t time, const char *peer, const char *kind,
    const char *detail)
{
	struct link_walk *w = arg;

	if (kind == NULL || (strcmp(kind, "link-up") != 0 &&
	    strcmp(kind, "link-down") != 0))
		return 0;
	w->n++;
	json_array_append_new(w->events, json_pack("{s:o, s:s?, s:s, s:s?}",
	    "time", api_j_time(time), "peer", peer, "kind", kind, "detail",
	    detail));
	return 0;
}

/*
 * Down time of peer in [since, until) from its link events. Before the
 * first event in the window the link is taken to be in the state opposite
 * to that event; with no event, in its state now. The caller starts the
 * window no earlier than the daemon's start: the link's state while the
 * daemon was not running is not known here.
 */
static uint64_t
down_ms(json_t *events, const char *peer, uint64_t since, uint64_t until,
    const char *state_now, int *transitions)
{
	uint64_t t, last = since, down = 0;
	const char *p, *kind;
	json_t *e;
	size_t i;
	int is_down = -1;

	*transitions = 0;
	json_array_foreach(events, i, e) {
		p = json_string_value(json_object_get(e, "peer"));
		kind = json_string_value(json_object_get(e, "kind"));
		if (p == NULL || kind == NULL || strcmp(p, peer) != 0 ||
		    tpl_time_parse(json_string_value(json_object_get(e,
		    "time")), &t) == -1 || t < since)
			continue;
		if (is_down == -1)
			is_down = strcmp(kind, "link-up") == 0;
		if (is_down)
			down += t - last;
		last = t;
		is_down = strcmp(kind, "link-down") == 0;
		(*transitions)++;
	}
	if (is_down == -1)
		is_down = strcmp(state_now, "up") != 0;
	if (is_down && until > last)
		down += until - last;
	return down;
}

/* GET /v1/shift?since=8h (default: the last 8 hours) */
void
nrrc_api_shift(struct api_req *q, const char *rest)
{
	static const char *const qkeys[] = { "since", NULL };
	static const int chans[] = { CH_DIRECT, CH_NRRC, CH_CHECK };
	struct open_walk w;
	struct link_walk lw = { NULL, 0 };
	struct msg_filter f;
	struct query qs;
	uint64_t now = now_utc_ms(), since = now - 8 * 3600 * 1000ULL, dms;
	uint64_t obs;
	json_t *o, *links, *stats, *ex;
	const char *s;
	size_t c;
	int i, st, tr;

	if (rest[0] != '\0') {
		api_reply_error(q, 404, "no such route");
		return;
	}
	if (evhttp_request_get_command(q->r) != EVHTTP_REQ_GET) {
		api_method_not_allowed(q, "GET");
		return;
	}
	if (!may_read(q) || query_parse(q, qkeys, &qs) == -1)
		return;
	if ((s = query_get(&qs, "since")) != NULL && time_param(s, now,
	    &since) == -1) {
		api_reply_error(q, 400, "since: a UTC time or a duration ago "
		    "(8h)");
		query_free(&qs);
		return;
	}
	query_free(&qs);
	memset(&w, 0, sizeof(w));
	w.d = q->d;
	w.in = json_array();
	w.out = json_array();
	w.chk_in = json_array();
	w.chk_out = json_array();
	w.overdue = json_array();
	for (c = 0; c < sizeof(chans) / sizeof(chans[0]); c++)
		for (st = ST_QUEUED; st <= ST_DELIVERED; st++) {
			memset(&f, 0, sizeof(f));
			f.channel = chans[c];
			f.dir = -1;
			f.state = st;
			f.limit = LIST_CAP;
			w.rows = 0;
			(void)store_msg_list(q->d->st, &f, open_row, &w);
		}
	lw.events = json_array();
	(void)store_nrrc_events(q->d->st, since, now + 1, 10000, link_event,
	    &lw);
	links = json_array();
	obs = since > q->d->started ? since : q->d->started;
	for (i = 0; i < q->d->npeers; i++) {
		s = link_state_name(q->d->peers[i].state);
		dms = down_ms(lw.events, q->d->peers[i].conf->party, obs, now,
		    q->d->peers[i].state == LINK_UP ? "up" : "down", &tr);
		json_array_append_new(links, json_pack("{s:s, s:s, s:o, s:I, "
		    "s:I, s:f, s:o}", "peer", q->d->peers[i].conf->party,
		    "state", s, "rtt_ms", q->d->peers[i].rtt_us != 0 ?
		    json_real((double)q->d->peers[i].rtt_us / 1000.0) :
		    json_null(), "changes", (json_int_t)tr, "down_ms",
		    (json_int_t)dms, "availability", now > obs ?
		    1.0 - (double)dms / (double)(now - obs) : 1.0,
		    "last_seen", api_j_time(q->d->peers[i].last_seen)));
	}
	stats = checks_stats_json(q->d->st, &q->d->cf, NULL, since, now + 1,
	    now, false);
	ex = checks_stats_json(q->d->st, &q->d->cf, NULL, since, now + 1, now,
	    true);
	o = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:o, s:o}", "party", q->d->cf.party, "since", api_j_time(since),
	    "until", api_j_time(now), "open_in", w.in, "open_out", w.out,
	    "overdue", w.overdue, "checks_to_answer", w.chk_in,
	    "checks_unanswered", w.chk_out, "links", links, "link_events",
	    lw.events, "checks", stats != NULL ? json_incref(
	    json_object_get(stats, "peers")) : json_null(), "exercise_checks",
	    ex != NULL ? json_incref(json_object_get(ex, "peers")) :
	    json_null());
	if (o != NULL)
		json_object_set_new(o, "links_observed_since",
		    api_j_time(obs));
	json_decref(stats);
	json_decref(ex);
	api_reply_json(q, 200, o);
}
