/*
 * events.c: Server-Sent Events (text/event-stream) on GET /v1/events, for
 * the console's live updates. Events carry no message content, only what
 * changed, so they are the same for every role; the console then asks the
 * API (which applies the role's limits) for what it shows:
 *
 *   event: hello     data: {"party", "time"}           on connecting
 *   event: messages  data: {"seq", "time"}             after a commit that
 *                                                      may change messages
 *   event: peers     data: {"peers": [as /v1/peers]}   when a link's state
 *                    changes, and every EVENTS_PEERS_EVERY ticks
 *   ": keepalive"    a comment every EVENTS_KEEPALIVE_S
 *
 * Every event has an id (a counter); "retry: 2000" asks browsers to
 * reconnect after 2 s, and the console reloads its state on reconnecting.
 * Streams count as API clients (api_max_clients). A client that went away
 * is noticed when a write fails (at the latest at the next keepalive) and
 * forgotten through api.c's connection close callback.
 *
 * Messages events are coalesced: a commit only marks them due, and a
 * timer EVENTS_COALESCE_MS later sends one, so a burst of group commits
 * (a flood of indicators) costs at most one event per client per interval.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "api.h"
#include "events.h"
#include "hotlined.h"
#include "log.h"
#include "util.h"

struct sse {
	TAILQ_ENTRY(sse)	 entry;
	struct evhttp_request	*r;
	struct evhttp_connection *evcon;
};

struct rtt_ring {
	uint64_t	 t[EVENTS_RTT_SAMPLES];
	double		 ms[EVENTS_RTT_SAMPLES];
	int		 n, head;		/* head: next slot */
};

struct events {
	struct hotlined		*d;
	TAILQ_HEAD(, sse)	 clients;
	int			 nclients;
	struct event		*tick;
	struct event		*soon;		/* coalesced messages event */
	uint64_t		 id;
	uint64_t		 seq;		/* messages changes */
	int			 ticks;
	int			*state;		/* per peer, last sent */
	uint64_t		*last_rtt;	/* per peer, last sampled */
	struct rtt_ring		*rtt;		/* per peer */
};

static void
sse_free(struct events *e, struct sse *c)
{
	TAILQ_REMOVE(&e->clients, c, entry);
	e->nclients--;
	free(c);
}

/* Send one event (or a comment if name is NULL) to every client. */
static void
broadcast(struct events *e, const char *name, json_t *data)
{
	struct evbuffer *b;
	struct sse *c;
	char *text = NULL;

	if (TAILQ_EMPTY(&e->clients))
		return;
	if (data != NULL && (text = json_dumps(data, JSON_COMPACT)) == NULL)
		return;
	e->id++;
	TAILQ_FOREACH(c, &e->clients, entry) {
		if ((b = evbuffer_new()) == NULL)
			break;
		if (name != NULL)
			evbuffer_add_printf(b, "id: %llu\nevent: %s\ndata: %s\n\n",
			    (unsigned long long)e->id, name, text != NULL ?
			    text : "{}");
		else
			evbuffer_add_printf(b, ": keepalive\n\n");
		evhttp_send_reply_chunk(c->r, b);
		evbuffer_free(b);
	}
	free(text);
}

static void
send_peers(struct events *e)
{
	json_t *peers = api_peers_json(e->d), *o;

	if (peers == NULL)
		return;
	o = json_pack("{s:o}", "peers", peers);
	broadcast(e, "peers", o);
	json_decref(o);
}

static void
on_soon(evutil_socket_t fd, short ev, void *arg)
{
	struct events *e = arg;
	json_t *o;

	o = json_pack("{s:I, s:o}", "seq", (json_int_t)e->seq, "time",
	    api_j_time(now_utc_ms()));
	broadcast(e, "messages", o);
	json_decref(o);
}

/* Once a tick: record RTTs, and tell clients about link changes. */
static void
on_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct events *e = arg;
	struct hotlined *d = e->d;
	struct rtt_ring *rr;
	int i, changed = 0;

	e->ticks++;
	for (i = 0; i < d->npeers; i++) {
		if (d->peers[i].state != e->state[i]) {
			e->state[i] = d->peers[i].state;
			changed = 1;
		}
		/* A new heartbeat's round trip is a new sample. */
		if (d->peers[i].state == LINK_UP && d->peers[i].rtt_us != 0 &&
		    d->peers[i].rtt_us != e->last_rtt[i]) {
			e->last_rtt[i] = d->peers[i].rtt_us;
			rr = &e->rtt[i];
			rr->t[rr->head] = now_utc_ms();
			rr->ms[rr->head] = (double)d->peers[i].rtt_us / 1000.0;
			rr->head = (rr->head + 1) % EVENTS_RTT_SAMPLES;
			if (rr->n < EVENTS_RTT_SAMPLES)
				rr->n++;
		}
	}
	if (changed || e->ticks % EVENTS_PEERS_EVERY == 0)
		send_peers(e);
	if (e->ticks % (EVENTS_KEEPALIVE_S * 1000 / EVENTS_TICK_MS) == 0)
		broadcast(e, NULL, NULL);
}

int
events_start(struct hotlined *d)
{
	struct events *e = xcalloc(1, sizeof(*e));
	struct timeval tv = { EVENTS_TICK_MS / 1000,
	    (EVENTS_TICK_MS % 1000) * 1000 };

	e->d = d;
	TAILQ_INIT(&e->clients);
	e->state = xcalloc((size_t)d->npeers + 1, sizeof(*e->state));
	e->rtt = xcalloc((size_t)d->npeers + 1, sizeof(*e->rtt));
	e->last_rtt = xcalloc((size_t)d->npeers + 1, sizeof(*e->last_rtt));
	e->tick = event_new(d->base, -1, EV_PERSIST, on_tick, e);
	e->soon = evtimer_new(d->base, on_soon, e);
	if (e->tick == NULL || e->soon == NULL || event_add(e->tick, &tv) == -1) {
		d->events = e;
		events_stop(d);
		return -1;
	}
	d->events = e;
	return 0;
}

void
events_stop(struct hotlined *d)
{
	struct events *e = d->events;

	if (e == NULL)
		return;
	/* The requests belong to evhttp, which frees them with their
	 * connections; only our records go. */
	while (!TAILQ_EMPTY(&e->clients))
		sse_free(e, TAILQ_FIRST(&e->clients));
	if (e->tick != NULL)
		event_free(e->tick);
	if (e->soon != NULL)
		event_free(e->soon);
	free(e->state);
	free(e->rtt);
	free(e->last_rtt);
	free(e);
	d->events = NULL;
}

void
events_changed(struct hotlined *d)
{
	struct events *e = d->events;
	struct timeval soon = { 0, EVENTS_COALESCE_MS * 1000 };

	if (e == NULL)
		return;
	e->seq++;
	if (!TAILQ_EMPTY(&e->clients) && !evtimer_pending(e->soon, NULL))
		evtimer_add(e->soon, &soon);
}

void
events_conn_closed(struct hotlined *d, struct evhttp_connection *evcon)
{
	struct events *e = d != NULL ? d->events : NULL;
	struct evhttp_request *r;
	struct sse *c, *next;

	if (e == NULL)
		return;
	for (c = TAILQ_FIRST(&e->clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->evcon != evcon)
			continue;
		r = c->r;
		sse_free(e, c);
		/*
		 * When the client went away (EOF, timeout), evhttp detaches
		 * an unfinished reply from its connection and leaves it to
		 * us; when the connection is freed for other reasons (the
		 * daemon stopping) it still owns the request.
		 */
		if (evhttp_request_get_connection(r) == NULL)
			evhttp_request_free(r);
	}
}

void
events_api(struct api_req *q, const char *rest)
{
	struct events *e = q->d->events;
	struct evkeyvalq *hdr;
	struct evbuffer *b;
	struct sse *c;
	char *text;
	json_t *o;

	if (*rest != '\0') {
		api_reply_error(q, 404, "no such route: /v1/events%.100s", rest);
		return;
	}
	if (evhttp_request_get_command(q->r) != EVHTTP_REQ_GET) {
		api_method_not_allowed(q, "GET");
		return;
	}
	if (e == NULL || evhttp_request_get_connection(q->r) == NULL) {
		api_reply_error(q, 503, "event stream unavailable");
		return;
	}
	hdr = evhttp_request_get_output_headers(q->r);
	evhttp_add_header(hdr, "Content-Type", "text/event-stream");
	evhttp_add_header(hdr, "Cache-Control", "no-store");
	evhttp_add_header(hdr, "X-Accel-Buffering", "no");
	evhttp_send_reply_start(q->r, 200, "OK");
	c = xcalloc(1, sizeof(*c));
	c->r = q->r;
	c->evcon = evhttp_request_get_connection(q->r);
	TAILQ_INSERT_TAIL(&e->clients, c, entry);
	e->nclients++;
	o = json_pack("{s:s, s:o, s:I}", "party", q->d->cf.party, "time",
	    api_j_time(now_utc_ms()), "seq", (json_int_t)e->seq);
	text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if ((b = evbuffer_new()) != NULL) {
		evbuffer_add_printf(b, "retry: 2000\nid: %llu\nevent: hello\n"
		    "data: %s\n\n", (unsigned long long)++e->id,
		    text != NULL ? text : "{}");
		evhttp_send_reply_chunk(q->r, b);
		evbuffer_free(b);
	}
	free(text);
	log_debug("events: stream opened for %s (%d open)",
	    q->who.local ? "local" : q->who.account, e->nclients);
}

int
events_clients(struct hotlined *d)
{
	return d->events != NULL ? d->events->nclients : 0;
}

json_t *
events_rtt_history(struct hotlined *d, int i)
{
	struct rtt_ring *rr;
	json_t *arr;
	int k, idx;

	if (d->events == NULL || i < 0 || i >= d->npeers ||
	    (arr = json_array()) == NULL)
		return NULL;
	rr = &d->events->rtt[i];
	for (k = 0; k < rr->n; k++) {
		idx = (rr->head - rr->n + k + EVENTS_RTT_SAMPLES) %
		    EVENTS_RTT_SAMPLES;
		json_array_append_new(arr, json_pack("[o, f]",
		    api_j_time(rr->t[idx]), rr->ms[idx]));
	}
	return arr;
}
