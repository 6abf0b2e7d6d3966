/*
 * checks.c: communication checks (see checks.h): their statistics, built
 * from the stored times of the check messages we sent and of the peers'
 * acknowledgments, and sending them, ad hoc or on the check_interval
 * schedule.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "checks.h"
#include "deliver.h"
#include "log.h"
#include "msg.h"
#include "notify.h"
#include "nrrc.h"
#include "templates.h"
#include "util.h"

#define PAGE	500

struct acc {
	struct check_stats	 s;
	uint64_t		*resp;	/* response times of answered checks */
	size_t			 nresp, capresp;
};

struct walk {
	const struct config	*cf;
	const char		*peer;
	uint64_t		 since, until, now;
	bool			 exercise;
	struct acc		*acc;
	int			 nacc;
	uint64_t		 last_rid;
	int			 rows;
};

static struct acc *
acc_for(struct walk *w, const char *peer)
{
	int i;

	for (i = 0; i < w->nacc; i++)
		if (strcmp(w->acc[i].s.peer, peer) == 0)
			return &w->acc[i];
	w->acc = xreallocarray(w->acc, (size_t)w->nacc + 1, sizeof(*w->acc));
	memset(&w->acc[w->nacc], 0, sizeof(w->acc[0]));
	snprintf(w->acc[w->nacc].s.peer, sizeof(w->acc[0].s.peer), "%s", peer);
	return &w->acc[w->nacc++];
}

static int
walk_row(void *arg, const struct msg_row *r)
{
	struct walk *w = arg;
	struct acc *a;
	uint64_t limit, start, resp;

	w->rows++;
	w->last_rid = r->rid;
	if (r->dir != DIR_OUT || r->m.channel != CH_CHECK ||
	    strcmp(r->m.kind, "ping") != 0 || r->m.exercise != w->exercise ||
	    r->accepted < w->since || r->accepted >= w->until)
		return 0;
	if (w->peer != NULL && strcmp(w->peer, r->peer) != 0)
		return 0;
	a = acc_for(w, r->peer);
	a->s.sent++;
	limit = notify_duration(w->cf, CH_CHECK, r->m.prec);
	/* The clock the answer is judged on: the peer's receipt time if we
	 * hold its receipt, else our own send time. */
	start = r->received != 0 ? r->received : r->accepted;
	if (r->ack_id[0] != '\0') {
		resp = r->acked > start ? r->acked - start : 0;
		if (a->nresp == a->capresp) {
			a->capresp = a->capresp == 0 ? 16 : a->capresp * 2;
			a->resp = xreallocarray(a->resp, a->capresp,
			    sizeof(*a->resp));
		}
		a->resp[a->nresp++] = resp;
		if (limit == 0 || resp <= limit)
			a->s.in_time++;
		else
			a->s.late++;
	} else if (limit != 0 && w->now >= start + limit)
		a->s.unanswered++;
	else
		a->s.pending++;
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_peer(const void *a, const void *b)
{
	return strcmp(((const struct check_stats *)a)->peer,
	    ((const struct check_stats *)b)->peer);
}

int
checks_stats(struct store *st, const struct config *cf, const char *peer,
    uint64_t since, uint64_t until, uint64_t now, bool exercise,
    struct check_stats **out, int *nout)
{
	struct walk w;
	struct msg_filter f;
	struct acc *a;
	int i, rc = -1;

	memset(&w, 0, sizeof(w));
	w.cf = cf;
	w.peer = peer;
	w.since = since;
	w.until = until;
	w.now = now;
	w.exercise = exercise;
	memset(&f, 0, sizeof(f));
	f.channel = CH_CHECK;
	f.peer = peer;
	f.dir = DIR_OUT;
	f.state = -1;
	f.since = since;	/* created >= since: ours, = accepted */
	f.limit = PAGE;
	for (;;) {
		w.rows = 0;
		if (store_msg_list(st, &f, walk_row, &w) == -1)
			goto done;
		if (w.rows < PAGE)
			break;
		f.before_rid = w.last_rid;
	}
	*out = xcalloc((size_t)w.nacc + 1, sizeof(**out));
	for (i = 0; i < w.nacc; i++) {
		a = &w.acc[i];
		if (a->nresp > 0) {
			qsort(a->resp, a->nresp, sizeof(*a->resp), cmp_u64);
			/* The median of an even count is the mean of the
			 * middle two. */
			a->s.median_ms = a->nresp % 2 == 1 ?
			    a->resp[a->nresp / 2] :
			    (a->resp[a->nresp / 2 - 1] +
			    a->resp[a->nresp / 2]) / 2;
			a->s.worst_ms = a->resp[a->nresp - 1];
		}
		(*out)[i] = a->s;
	}
	qsort(*out, (size_t)w.nacc, sizeof(**out), cmp_peer);
	*nout = w.nacc;
	rc = 0;
done:
	for (i = 0; i < w.nacc; i++)
		free(w.acc[i].resp);
	free(w.acc);
	return rc;
}

json_t *
checks_stats_json(struct store *st, const struct config *cf, const char *peer,
    uint64_t since, uint64_t until, uint64_t now, bool exercise)
{
	struct check_stats *s = NULL;
	json_t *o, *arr, *p;
	int i, n = 0;

	if (checks_stats(st, cf, peer, since, until, now, exercise, &s,
	    &n) == -1)
		return NULL;
	arr = json_array();
	for (i = 0; i < n; i++) {
		p = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "peer",
		    s[i].peer, "sent", (json_int_t)s[i].sent,
		    "answered_in_time", (json_int_t)s[i].in_time,
		    "answered_late", (json_int_t)s[i].late,
		    "unanswered", (json_int_t)s[i].unanswered,
		    "pending", (json_int_t)s[i].pending);
		if (p == NULL)
			continue;
		json_object_set_new(p, "median_response_ms",
		    s[i].in_time + s[i].late > 0 ?
		    json_integer((json_int_t)s[i].median_ms) : json_null());
		json_object_set_new(p, "worst_response_ms",
		    s[i].in_time + s[i].late > 0 ?
		    json_integer((json_int_t)s[i].worst_ms) : json_null());
		json_array_append_new(arr, p);
	}
	free(s);
	o = json_object();
	json_object_set_new(o, "since", api_j_time(since));
	json_object_set_new(o, "until", api_j_time(until));
	json_object_set_new(o, "exercise", json_boolean(exercise));
	json_object_set_new(o, "peers", arr);
	return o;
}

int
checks_send(struct hotlined *d, const char *peer, int prec, bool exercise,
    bool scheduled, const char *note, const char *op,
    char id_out[ID_HEX_LEN + 1], int *status, const char **errmsg)
{
	const struct tpl_cat *cat = d->nrrc != NULL ? d->nrrc->cat : NULL;
	const struct tpl *t;
	json_t *fields = NULL, *body = NULL, *v;
	char *text = NULL, err[256];
	struct msg m;
	int rc = -1;

	*status = 503;
	*errmsg = "no template catalogue loaded";
	if (cat == NULL || (t = tpl_find(cat, "communication-check")) == NULL)
		return -1;
	fields = json_pack("{s:s}", "scheduled", scheduled ? "scheduled" :
	    "adhoc");
	if (note != NULL) {
		v = tpl_field_from_input(cat, t, tpl_field_index(t, "note"),
		    note, "en", err, sizeof(err));
		if (v == NULL) {
			*status = 400;
			*errmsg = "note: must be UTF-8 text without control "
			    "characters";
			goto done;
		}
		json_object_set_new(fields, "note", v);
	}
	body = tpl_body_new(cat, t, fields);
	if (body == NULL || (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		*status = 500;
		*errmsg = "out of memory";
		goto done;
	}
	memset(&m, 0, sizeof(m));
	snprintf(m.to, sizeof(m.to), "%s", peer);
	m.channel = CH_CHECK;
	m.prec = (uint8_t)prec;
	snprintf(m.kind, sizeof(m.kind), "ping");
	m.exercise = exercise;
	m.body = (const uint8_t *)text;
	m.body_len = (uint32_t)strlen(text);
	rc = deliver_submit_as(d, &m, op, id_out, status, errmsg);
done:
	free(text);
	json_decref(body);
	json_decref(fields);
	return rc;
}

/* The accepted time of our latest scheduled check to peer, 0 if none. */
struct last_sched {
	uint64_t	t;
};

static int
last_sched_row(void *arg, const struct msg_row *r)
{
	struct last_sched *l = arg;

	if (strcmp(r->m.kind, "ping") != 0 || r->m.body == NULL ||
	    memmem(r->m.body, r->m.body_len, "\"scheduled\":\"scheduled\"",
	    23) == NULL)
		return 0;
	l->t = r->accepted;
	return -1;
}

void
checks_tick(struct hotlined *d, uint64_t now)
{
	struct nrrc *n = d->nrrc;
	struct msg_filter f;
	struct last_sched l;
	char id[ID_HEX_LEN + 1];
	const char *err;
	int i, status;

	if (d->cf.check_interval_ms == 0 || n == NULL)
		return;
	for (i = 0; i < d->npeers; i++) {
		if (n->last_check[i] == 0) {
			/* First tick: resume the schedule from the store. */
			memset(&f, 0, sizeof(f));
			f.channel = CH_CHECK;
			f.peer = d->peers[i].conf->party;
			f.dir = DIR_OUT;
			f.state = -1;
			f.limit = 100;
			l.t = 0;
			(void)store_msg_list(d->st, &f, last_sched_row, &l);
			n->last_check[i] = l.t != 0 ? l.t : now;
		}
		if (now < n->last_check[i] + d->cf.check_interval_ms)
			continue;
		if (checks_send(d, d->peers[i].conf->party, PREC_ROUTINE,
		    false, true, NULL, NULL, id, &status, &err) == -1) {
			log_warnx("scheduled check to %s: %s",
			    d->peers[i].conf->party, err);
			n->last_check[i] = now;	/* retry next interval */
			continue;
		}
		n->last_check[i] = now;
		log_info("scheduled communication check %.12s sent to %s", id,
		    d->peers[i].conf->party);
	}
}
