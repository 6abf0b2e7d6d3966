/*
 * metrics.c: GET /metrics in the Prometheus text format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/), on the
 * Unix socket and, for any account, over HTTPS (Basic credentials suit
 * Prometheus' basic_auth). Every family has HELP and TYPE lines; label
 * values are escaped (backslash, double quote, newline).
 *
 * Message counts come from the store at scrape time (GROUP BY over msgs:
 * a full scan, fine at the scrape intervals and table sizes of a node;
 * messages are never deleted, so hotline_messages_total only grows).
 * Overdue counts use the NRRC channel's [deadlines] (hotline.conf(5)).
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "api.h"
#include "notify.h"
#include "events.h"
#include "hotlined.h"
#include "https.h"
#include "metrics.h"
#include "msg.h"
#include "store.h"
#include "tlog.h"
#include "util.h"
#include "witness.h"

/* Label value escaping of the text format into out. */
static const char *
esc(const char *s, char *out, size_t outsz)
{
	size_t o = 0;

	for (; *s != '\0' && o + 3 < outsz; s++) {
		if (*s == '\\' || *s == '"') {
			out[o++] = '\\';
			out[o++] = *s;
		} else if (*s == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else
			out[o++] = *s;
	}
	out[o] = '\0';
	return out;
}

static void
family(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

struct counts {
	uint64_t	n[CH_MAX + 1][2][ST_ACKED + 1];
};

static void
count_cb(void *arg, int ch, int dir, int st, uint64_t count)
{
	struct counts *c = arg;

	if (ch >= CH_MIN && ch <= CH_MAX && (dir == 0 || dir == 1) &&
	    st >= 0 && st <= ST_ACKED)
		c->n[ch][dir][st] += count;
}

static void
metrics_write(struct hotlined *d, struct evbuffer *b)
{
	struct https_stats hs;
	struct counts c;
	struct peer *p;
	char pe[2 * PARTY_MAX + 1], path[PATH_MAX + 8];
	uint64_t v, now = now_utc_ms(), sum;
	struct stat sb;
	int i, ch, dir, st;

	family(b, "hotline_info", "gauge", "This node: party and version.");
	evbuffer_add_printf(b, "hotline_info{party=\"%s\",version=\"%s\"} 1\n",
	    esc(d->cf.party, pe, sizeof(pe)), HOTLINE_VERSION);
	family(b, "hotline_start_time_seconds", "gauge",
	    "When the daemon started (UTC seconds).");
	evbuffer_add_printf(b, "hotline_start_time_seconds %.3f\n",
	    (double)d->started / 1000.0);

	family(b, "hotline_peer_up", "gauge", "1 if the link to the peer is "
	    "up.");
	for (i = 0; i < d->npeers; i++)
		evbuffer_add_printf(b, "hotline_peer_up{peer=\"%s\"} %d\n",
		    esc(d->peers[i].conf->party, pe, sizeof(pe)),
		    d->peers[i].state == LINK_UP);
	family(b, "hotline_peer_rtt_seconds", "gauge", "Last heartbeat round "
	    "trip to the peer (absent if unknown).");
	for (i = 0; i < d->npeers; i++)
		if ((p = &d->peers[i])->rtt_us != 0)
			evbuffer_add_printf(b, "hotline_peer_rtt_seconds{peer="
			    "\"%s\"} %.6f\n", esc(p->conf->party, pe,
			    sizeof(pe)), (double)p->rtt_us / 1e6);
	family(b, "hotline_peer_last_seen_timestamp_seconds", "gauge",
	    "When the last frame from the peer arrived (UTC seconds).");
	for (i = 0; i < d->npeers; i++)
		if ((p = &d->peers[i])->last_seen != 0)
			evbuffer_add_printf(b, "hotline_peer_last_seen_timestamp_"
			    "seconds{peer=\"%s\"} %.3f\n", esc(p->conf->party,
			    pe, sizeof(pe)), (double)p->last_seen / 1000.0);
	family(b, "hotline_peer_connects_total", "counter", "Links established "
	    "with the peer since start.");
	for (i = 0; i < d->npeers; i++)
		evbuffer_add_printf(b, "hotline_peer_connects_total{peer=\"%s\"} "
		    "%llu\n", esc(d->peers[i].conf->party, pe, sizeof(pe)),
		    (unsigned long long)d->peers[i].connects);
	family(b, "hotline_peer_queue_depth", "gauge", "Messages to the peer "
	    "accepted and not yet delivered.");
	for (i = 0; i < d->npeers; i++)
		if (store_out_pending(d->st, d->peers[i].conf->party, &v) == 0)
			evbuffer_add_printf(b, "hotline_peer_queue_depth{peer="
			    "\"%s\"} %llu\n", esc(d->peers[i].conf->party, pe,
			    sizeof(pe)), (unsigned long long)v);

	memset(&c, 0, sizeof(c));
	if (store_msg_counts(d->st, count_cb, &c) >= 0) {
		family(b, "hotline_messages_total", "counter", "Messages stored, "
		    "by channel and direction (sent: out, received: in).");
		for (ch = CH_MIN; ch <= CH_MAX; ch++)
			for (dir = 0; dir < 2; dir++) {
				for (sum = 0, st = 0; st <= ST_ACKED; st++)
					sum += c.n[ch][dir][st];
				evbuffer_add_printf(b, "hotline_messages_total{"
				    "channel=\"%s\",dir=\"%s\"} %llu\n",
				    channel_name(ch), dir ? "in" : "out",
				    (unsigned long long)sum);
			}
		family(b, "hotline_messages", "gauge", "Messages by channel, "
		    "direction and current state.");
		for (ch = CH_MIN; ch <= CH_MAX; ch++)
			for (dir = 0; dir < 2; dir++)
				for (st = 0; st <= ST_ACKED; st++)
					if (c.n[ch][dir][st] != 0 ||
					    st == ST_DELIVERED)
						evbuffer_add_printf(b,
						    "hotline_messages{channel="
						    "\"%s\",dir=\"%s\",state="
						    "\"%s\"} %llu\n",
						    channel_name(ch), dir ? "in" :
						    "out", msg_state_name(st),
						    (unsigned long long)
						    c.n[ch][dir][st]);
	}
	family(b, "hotline_overdue_messages", "gauge", "Received messages not "
	    "acknowledged within their [deadlines] (channels with one).");
	for (ch = CH_MIN; ch <= CH_MAX; ch++)
		for (i = PREC_MIN; i <= PREC_MAX; i++) {
			uint64_t dl = notify_duration(&d->cf, ch, i);

			v = 0;
			if (dl == 0 || (now > dl && store_unacked_before(d->st,
			    ch, i, now - dl, &v) == -1))
				continue;
			evbuffer_add_printf(b, "hotline_overdue_messages{channel="
			    "\"%s\",precedence=\"%s\"} %llu\n",
			    channel_name(ch), prec_name(i),
			    (unsigned long long)v);
		}
	family(b, "hotline_store_bytes", "gauge", "Size of the database "
	    "(pages in use) and of its write-ahead log.");
	if (store_size(d->st, &v) == 0)
		evbuffer_add_printf(b, "hotline_store_bytes{file=\"db\"} %llu\n",
		    (unsigned long long)v);
	if (snprintf(path, sizeof(path), "%s/hotline.db-wal", d->cf.data_dir) <
	    (int)sizeof(path) && stat(path, &sb) == 0)
		evbuffer_add_printf(b, "hotline_store_bytes{file=\"wal\"} %lld\n",
		    (long long)sb.st_size);
	family(b, "hotline_event_streams", "gauge", "Open /v1/events streams.");
	evbuffer_add_printf(b, "hotline_event_streams %d\n", events_clients(d));
	if (https_stats_get(d, &hs) == 0) {
		family(b, "hotline_https_logins_total", "counter", "Console "
		    "logins and Basic credential checks, by result.");
		evbuffer_add_printf(b, "hotline_https_logins_total{result=\"ok\"}"
		    " %llu\nhotline_https_logins_total{result=\"failed\"} %llu\n"
		    "hotline_https_logins_total{result=\"throttled\"} %llu\n",
		    (unsigned long long)hs.logins_ok,
		    (unsigned long long)hs.logins_failed,
		    (unsigned long long)hs.logins_throttled);
		family(b, "hotline_https_refused_total", "counter", "Requests "
		    "refused for missing credentials or a failed CSRF/Origin "
		    "check.");
		evbuffer_add_printf(b, "hotline_https_refused_total{reason="
		    "\"auth\"} %llu\nhotline_https_refused_total{reason="
		    "\"csrf\"} %llu\n", (unsigned long long)hs.auth_refused,
		    (unsigned long long)hs.csrf_refused);
		family(b, "hotline_https_sessions", "gauge", "Console sessions "
		    "open.");
		evbuffer_add_printf(b, "hotline_https_sessions %d\n",
		    hs.sessions);
	}
	if (d->tlog != NULL) {
		uint64_t size, t, ct;

		family(b, "hotline_tlog_leaves", "gauge", "Leaves of the "
		    "node's transparency log.");
		evbuffer_add_printf(b, "hotline_tlog_leaves %llu\n",
		    (unsigned long long)tlog_size(d->tlog));
		family(b, "hotline_witness_alarms_total", "counter", "Peer logs "
		    "found inconsistent (fork, shrink) since start.");
		evbuffer_add_printf(b, "hotline_witness_alarms_total %llu\n",
		    (unsigned long long)witness_alarms(d));
		if (store_tlog_latest(d->st, &size, &t, &ct) == 0 && t != 0) {
			family(b, "hotline_checkpoint_age_seconds", "gauge",
			    "Age of the latest signed checkpoint of the log, "
			    "and of the latest one a peer cosigned.");
			evbuffer_add_printf(b, "hotline_checkpoint_age_seconds{"
			    "cosigned=\"false\"} %.3f\n", now > t ?
			    (double)(now - t) / 1000.0 : 0.0);
			if (ct != 0)
				evbuffer_add_printf(b, "hotline_checkpoint_age_"
				    "seconds{cosigned=\"true\"} %.3f\n", now > ct ?
				    (double)(now - ct) / 1000.0 : 0.0);
			family(b, "hotline_checkpoint_size", "gauge", "Tree "
			    "size of the latest signed checkpoint.");
			evbuffer_add_printf(b, "hotline_checkpoint_size %llu\n",
			    (unsigned long long)size);
		}
	}
}

void
metrics_api(struct api_req *q, const char *rest)
{
	struct evbuffer *b;

	if (*rest != '\0') {
		api_reply_error(q, 404, "no such route: /metrics%.100s", rest);
		return;
	}
	if (evhttp_request_get_command(q->r) != EVHTTP_REQ_GET) {
		api_method_not_allowed(q, "GET");
		return;
	}
	if ((b = evbuffer_new()) == NULL) {
		api_reply_error(q, 500, "out of memory");
		return;
	}
	metrics_write(q->d, b);
	evhttp_add_header(evhttp_request_get_output_headers(q->r),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(q->r, 200, "OK", b);
	evbuffer_free(b);
}
