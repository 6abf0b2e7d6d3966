/*
 * console.c: the routes the web console (web/) needs beyond the message
 * API. GET /v1/console describes the caller and the node so the page can
 * show only what the role may use and plug in the parts that exist:
 *
 *   {"party", "account", "role", "read": [channels], "write": [channels],
 *    "peers": [parties], "deadlines": {"flash": ms, ...},
 *    "deadline_source": "defaults", "features": {...}}
 *
 * GET /v1/console/health gives per peer the RTT samples of the last ten
 * minutes (events.c) and its recent link events from the store (outages
 * with their reasons).
 *
 * GET /v1/console/proof/{id} says how far the transparency log (tlog.c,
 * witness.c) proves a message: its leaf, and the checkpoint that holds it
 * with the peers that cosigned it. `hotline audit prove` (audit.c) gives
 * the proof file itself.
 */
#include <string.h>

#include <event2/http.h>
#include <jansson.h>

#include "account.h"
#include "api.h"
#include "console.h"
#include "events.h"
#include "hotlined.h"
#include "msg.h"
#include "notify.h"
#include "store.h"
#include "tlog.h"
#include "util.h"

#define CONSOLE_LINK_EVENTS	20

static void
console_info(struct api_req *q)
{
	struct hotlined *d = q->d;
	json_t *o, *rd, *wr, *peers, *dl, *dc;
	int ch, i, errs = 0;

	o = json_object();
	rd = json_array();
	wr = json_array();
	peers = json_array();
	dl = json_object();
	if (o == NULL || rd == NULL || wr == NULL || peers == NULL ||
	    dl == NULL)
		errs = 1;
	for (ch = CH_MIN; ch <= CH_MAX && !errs; ch++) {
		if (api_may_read(&q->who, ch))
			errs |= json_array_append_new(rd,
			    json_string(channel_name(ch)));
		if (api_may_write(&q->who, ch))
			errs |= json_array_append_new(wr,
			    json_string(channel_name(ch)));
	}
	for (i = 0; i < d->npeers && !errs; i++)
		errs |= json_array_append_new(peers,
		    json_string(d->peers[i].conf->party));
	/* [deadlines] of hotline.conf(5) (notify.c), by channel: 0 = none. */
	for (ch = CH_MIN; ch <= CH_MAX && !errs; ch++) {
		if ((dc = json_object()) == NULL ||
		    json_object_set_new(dl, channel_name(ch), dc) == -1) {
			errs = 1;
			break;
		}
		for (i = PREC_MIN; i <= PREC_MAX && !errs; i++)
			errs |= json_object_set_new(dc, prec_name(i),
			    json_integer((json_int_t)notify_duration(&d->cf, ch,
			    i)));
	}
	if (errs) {
		json_decref(o);
		json_decref(rd);
		json_decref(wr);
		json_decref(peers);
		json_decref(dl);
		api_reply_error(q, 500, "cannot describe the console");
		return;
	}
	errs |= json_object_set_new(o, "party", json_string(d->cf.party));
	errs |= json_object_set_new(o, "account", q->who.local ?
	    json_null() : json_string(q->who.account));
	errs |= json_object_set_new(o, "role", json_string(
	    account_role_name(q->who.role) != NULL ?
	    account_role_name(q->who.role) : "unknown"));
	errs |= json_object_set_new(o, "read", rd);
	errs |= json_object_set_new(o, "write", wr);
	errs |= json_object_set_new(o, "peers", peers);
	errs |= json_object_set_new(o, "deadlines", dl);
	/* The NRRC channel's [deadlines]; each message also carries its
	 * own "deadline" (issue 5). */
	errs |= json_object_set_new(o, "deadline_source",
	    json_string("config"));
	/* Parts that other modules add; the page shows them when true. */
	errs |= json_object_set_new(o, "features", json_pack(
	    "{s:b, s:b, s:b}", "templates", d->nrrc != NULL, "cert",
	    d->cert != NULL, "tlog", d->tlog != NULL));
	if (errs) {
		json_decref(o);
		api_reply_error(q, 500, "cannot describe the console");
		return;
	}
	api_reply_json(q, 200, o);
}

static int
event_cb(void *arg, uint64_t t, const char *kind, const char *detail)
{
	json_t *arr = arg;

	return json_array_append_new(arr, json_pack("{s:o, s:s, s:s}", "time",
	    api_j_time(t), "kind", kind, "detail", detail));
}

static void
console_health(struct api_req *q)
{
	struct hotlined *d = q->d;
	json_t *arr, *peers, *p, *ev, *rtt;
	size_t i;

	if ((peers = api_peers_json(d)) == NULL ||
	    (arr = json_array()) == NULL) {
		json_decref(peers);
		api_reply_error(q, 500, "cannot build the health report");
		return;
	}
	json_array_foreach(peers, i, p) {
		ev = json_array();
		rtt = events_rtt_history(d, (int)i);
		if (ev != NULL && store_events_recent(d->st,
		    d->peers[i].conf->party, CONSOLE_LINK_EVENTS, event_cb,
		    ev) == -1) {
			json_decref(ev);
			ev = NULL;
		}
		json_object_set_new(p, "link_events", ev != NULL ? ev :
		    json_null());
		json_object_set_new(p, "rtt_history", rtt != NULL ? rtt :
		    json_array());
	}
	json_decref(arr);
	api_reply_json(q, 200, json_pack("{s:o, s:o}", "peers", peers, "time",
	    api_j_time(now_utc_ms())));
}

/* GET /v1/console/proof/{id} (a full id) */
static void
console_proof(struct api_req *q, const char *id)
{
	struct hotlined *d = q->d;
	struct msg_row row;
	uint64_t idx, size, t;
	char peers[CONFIG_MAX_PEERS * (PARTY_MAX + 1) + 1];
	const char *status;
	json_t *o, *ck = NULL;
	int rc;

	if (strlen(id) != ID_HEX_LEN ||
	    strspn(id, "0123456789abcdef") != ID_HEX_LEN) {
		api_reply_error(q, 404, "expected /v1/console/proof/ID (64 "
		    "lowercase hex digits)");
		return;
	}
	if ((rc = store_msg_get(d->st, id, &row)) != 0) {
		api_reply_error(q, rc == 1 ? 404 : 503, rc == 1 ?
		    "no message %s" : "store unavailable", id);
		return;
	}
	if (!api_may_read(&q->who, row.m.channel)) {
		api_reply_error(q, 403, "your role may not read the %s channel",
		    channel_name(row.m.channel));
		goto done;
	}
	if (d->tlog == NULL) {
		api_reply_json(q, 200, json_pack("{s:s}", "status", "no-log"));
		goto done;
	}
	rc = tlog_leaf_find(d->tlog, LEAF_MSG, row.m.id, row.dir == DIR_OUT ?
	    row.accepted : row.received, &idx);
	if (rc == -1) {
		api_reply_error(q, 503, "transparency log unavailable");
		goto done;
	}
	if (rc == 1) {
		api_reply_json(q, 200, json_pack("{s:s, s:I}", "status",
		    "not-in-log", "log_size", (json_int_t)tlog_size(d->tlog)));
		goto done;
	}
	rc = store_tlog_covering(d->st, idx, &size, &t, peers, sizeof(peers));
	if (rc == -1) {
		api_reply_error(q, 503, "store unavailable");
		goto done;
	}
	/* witnessed: in a checkpoint a peer cosigned; checkpointed: in a
	 * signed checkpoint not yet cosigned; logged: a leaf only. */
	status = rc == 1 ? "logged" : peers[0] != '\0' ? "witnessed" :
	    "checkpointed";
	if (rc == 0)
		ck = json_pack("{s:I, s:o, s:s}", "size", (json_int_t)size, "time",
		    api_j_time(t), "cosigned_by", peers);
	o = json_pack("{s:s, s:I, s:I, s:o}", "status", status, "leaf",
	    (json_int_t)idx, "log_size", (json_int_t)tlog_size(d->tlog),
	    "checkpoint", ck != NULL ? ck : json_null());
	api_reply_json(q, 200, o);
 done:
	msg_row_clear(&row);
}

void
console_api(struct api_req *q, const char *rest)
{
	if (evhttp_request_get_command(q->r) != EVHTTP_REQ_GET) {
		api_method_not_allowed(q, "GET");
		return;
	}
	if (*rest == '\0')
		console_info(q);
	else if (strcmp(rest, "/health") == 0)
		console_health(q);
	else if (strncmp(rest, "/proof/", 7) == 0)
		console_proof(q, rest + 7);
	else
		api_reply_error(q, 404, "no such route: /v1/console%.100s",
		    rest);
}
