/*
 * link.c: peer connections. Dials and accepts TLS 1.3 connections (pins are
 * checked inside the handshake by tls.c through link_pin_check), identifies
 * the peer by its key, keeps exactly one live connection per peer, reads
 * frames in bounded batches and hands them to deliver.c, sends heartbeats,
 * detects dead links and redials with capped exponential backoff and jitter
 * across the peer's addresses (primary first, then backups).
 *
 * One connection per pair: when a second connection to the same peer
 * completes its handshake, the survivor is the one dialled by the party
 * whose id sorts first; if both were dialled by the same side, the newer
 * one survives (the dialler evidently lost the older one). Both sides apply
 * the same rule to the same facts, so they agree. A connection becomes live
 * at that moment and only then sends its HELLO, so the resume points in it
 * reflect everything committed from any earlier connection.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "deliver.h"
#include "link.h"
#include "log.h"
#include "nrrc.h"
#include "store.h"
#include "tls.h"
#include "trace.h"
#include "util.h"
#include "wire.h"
#include "witness.h"

/*
 * How much bulk can sit ahead of an urgent frame: the link's output buffer
 * (filled to LINK_OUT_TARGET), the kernel's unsent data (TCP_NOTSENT_LOWAT)
 * and the receiver's socket buffer (SO_RCVBUF). Each can be overridden at
 * build time (-DLINK_RCVBUF=...) for the benchmarks in bench/.
 */
#ifndef LINK_OUT_TARGET
#define LINK_OUT_TARGET		(32 * 1024)	/* fill the output up to this */
#endif
#define LINK_OUT_LOWAT		(LINK_OUT_TARGET / 2)	/* pump again below */
/* FLASH/IMMEDIATE messages are queued without waiting up to this much. */
#define LINK_OUT_URGENT		(4 * LINK_OUT_TARGET)
#ifndef LINK_NOTSENT_LOWAT
#define LINK_NOTSENT_LOWAT	(16 * 1024)	/* TCP_NOTSENT_LOWAT */
#endif
#ifndef LINK_RCVBUF
#define LINK_RCVBUF		(32 * 1024)	/* SO_RCVBUF */
#endif
#ifndef LINK_BATCH_FRAMES
#define LINK_BATCH_FRAMES	256	/* frames handled per read batch */
#endif
#define LINK_BATCH_BYTES	(256 * 1024)
/* Read this far ahead of the batch being handled, so that urgent frames
 * behind bulk are seen in user space (link_urgent_first) rather than
 * waiting in the socket buffer. */
#ifndef LINK_READ_AHEAD
#define LINK_READ_AHEAD		(1024 * 1024)
#endif
#define LINK_SCAN_FRAMES	4096	/* frames looked at for urgent ones */
/* Receipts nobody waits for are handled this long after the first arrives,
 * so that one commit covers several (link_defer_receipts). */
#ifndef LINK_RCPT_DEFER_US
#define LINK_RCPT_DEFER_US	2000
#endif
/* Coalescing bulk reads into one commit (link_readcb). */
#define LINK_COALESCE_BYTES	(128 * 1024)	/* below LINK_BATCH_BYTES */
#define LINK_COALESCE_MAX	32	/* read events waited for at most */
#define LINK_COALESCE_US	2000	/* then process anyway */
/* While an API batch is being stored (store.h: the long transaction),
 * non-urgent input waits for it, looking again every LINK_BATCH_POLL_US,
 * at most LINK_BATCH_WAIT_US (then it has the batch finish at once). */
#define LINK_BATCH_POLL_US	1000
#define LINK_BATCH_WAIT_US	50000
/*
 * While the store holds bulk writes off for a checkpoint's last pass
 * (store_held), at most this long: input left unread fills the read-ahead
 * within a millisecond or two under load, and then the socket is not read,
 * so an urgent frame behind it waits in TCP until the backlog is handled.
 * Most last passes take less (a longer one is spoilt, and tried again).
 * If the last hold did not get the WAL started over (store_hold_firm),
 * this one waits up to LINK_BATCH_WAIT_US, so that the WAL stays bounded.
 */
#ifndef LINK_HOLD_WAIT_US
#define LINK_HOLD_WAIT_US	5000
#endif
#define LINK_BYE_GRACE_MS	1000
#define LINK_STABLE_MS		10000	/* up this long: redial quickly */

enum conn_state { C_TLS, C_LIVE, C_CLOSING };

struct link {
	TAILQ_ENTRY(link)	 entry;
	struct hotlined		*d;
	struct peer		*peer;		/* known from the start when dialling */
	struct bufferevent	*bev;
	SSL			*ssl;
	int			 outbound;
	int			 state;
	int			 hello_rcvd;
	char			 addr[CONFIG_ADDR_MAX];	/* remote, for logs */
	char			 host[CONFIG_ADDR_MAX];	/* inbound: source address */
	int			 addr_idx;	/* outbound: which configured address */
	struct event		*timer;		/* handshake timeout, then heartbeat */
	struct event		*reaper;	/* frees a closing link */
	struct event		*coalesce;	/* ends a wait for more bulk */
	int			 coalesced;	/* read events waited so far */
	int			 coalesce_ok;	/* frames at the head known bulk */
	int			 coalesce_now;	/* the timer fired: process */
	uint64_t		 last_rx_us;	/* monotonic, last complete frame */
	uint64_t		 ping_token;	/* outstanding ping, 0 = none */
	uint64_t		 next[CH_MAX + 1][PREC_MAX + 1];	/* next seq to send */
	struct buf		 wbuf;		/* frame encoding scratch */
	struct frame_ref	 batch[LINK_BATCH_FRAMES];
	/* Urgent frames already applied ahead of their turn: offsets from
	 * the head of the input, ascending; skipped when their turn comes. */
	uint32_t		 done[LINK_BATCH_FRAMES];
	int			 ndone;
	struct event		*resume;	/* handle the rest of the input */
	uint64_t		 defer_until;	/* monotonic us; 0: not deferring */
	bool			 early;		/* the input's receipts answered */
	uint64_t		 batch_until;	/* monotonic us; 0: not waiting */
};

static void	link_readcb(struct bufferevent *, void *);
static void	link_resumecb(evutil_socket_t, short, void *);
static void	link_writecb(struct bufferevent *, void *);
static void	link_eventcb(struct bufferevent *, short, void *);
static void	link_timercb(evutil_socket_t, short, void *);
static void	link_coalescecb(evutil_socket_t, short, void *);
static void	link_free(struct link *);
static void	peer_schedule_dial(struct peer *, int);
static void	peer_dial(evutil_socket_t, short, void *);

const char *
link_state_name(int s)
{
	switch (s) {
	case LINK_DOWN:		return "down";
	case LINK_CONNECTING:	return "connecting";
	case LINK_UP:		return "up";
	}
	return "?";
}

struct peer *
hotlined_peer_find(struct hotlined *d, const char *party)
{
	int i;

	for (i = 0; i < d->npeers; i++)
		if (strcmp(d->peers[i].conf->party, party) == 0)
			return &d->peers[i];
	return NULL;
}

struct peer *
hotlined_peer_by_fpr(struct hotlined *d, const char *fpr)
{
	int i;

	for (i = 0; i < d->npeers; i++)
		if (strlen(fpr) == FPR_HEX_LEN &&
		    ct_equal(d->peers[i].conf->fingerprint, fpr, FPR_HEX_LEN))
			return &d->peers[i];
	return NULL;
}

/*
 * The pin check, called by tls.c inside the handshake. A dialled
 * connection accepts only the pin of the party it dialled; an accepted one
 * accepts any configured peer's pin.
 */
int
link_pin_check(void *arg, const char *expected, const char *fpr)
{
	struct hotlined *d = arg;
	struct peer *p;

	if ((p = hotlined_peer_by_fpr(d, fpr)) == NULL)
		return 0;
	if (expected != NULL && strcmp(p->conf->party, expected) != 0)
		return 0;
	return 1;
}

static void
set_sockopts(evutil_socket_t fd)
{
	int one = 1, lowat = LINK_NOTSENT_LOWAT, rcvbuf = LINK_RCVBUF;

	if (fd < 0)
		return;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat,
	    sizeof(lowat));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	/* Whatever sits in the receiver's buffers is ahead of the next FLASH
	 * message; keep it to a few hundred messages. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
}

static struct link *
link_new(struct hotlined *d, struct peer *p, int outbound, SSL *ssl,
    struct bufferevent *bev, const char *addr)
{
	struct link *l = xcalloc(1, sizeof(*l));
	struct timeval tv;

	l->d = d;
	l->peer = p;
	l->outbound = outbound;
	l->ssl = ssl;
	l->bev = bev;
	l->state = C_TLS;
	snprintf(l->addr, sizeof(l->addr), "%s", addr);
	buf_init(&l->wbuf, WIRE_HDR_LEN + WIRE_FRAME_MAX);
	TAILQ_INSERT_TAIL(&d->links, l, entry);
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	bufferevent_setcb(bev, link_readcb, link_writecb, link_eventcb, l);
	bufferevent_setwatermark(bev, EV_WRITE, LINK_OUT_LOWAT, 0);
	/* Stop reading the socket while this much is buffered. */
	bufferevent_setwatermark(bev, EV_READ, 0, LINK_READ_AHEAD);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	l->timer = evtimer_new(d->base, link_timercb, l);
	l->resume = evtimer_new(d->base, link_resumecb, l);
	l->coalesce = evtimer_new(d->base, link_coalescecb, l);
	tv.tv_sec = (time_t)(d->cf.handshake_timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(d->cf.handshake_timeout_ms % 1000) * 1000;
	evtimer_add(l->timer, &tv);
	l->last_rx_us = now_mono_us();
	return l;
}

static void
link_free(struct link *l)
{
	if (l == NULL)
		return;
	TAILQ_REMOVE(&l->d->links, l, entry);
	if (l->timer != NULL)
		event_free(l->timer);
	if (l->reaper != NULL)
		event_free(l->reaper);
	if (l->resume != NULL)
		event_free(l->resume);
	if (l->coalesce != NULL)
		event_free(l->coalesce);
	if (l->bev != NULL)
		bufferevent_free(l->bev);	/* frees the SSL, closes the fd */
	buf_free(&l->wbuf);
	free(l);
}

static void
link_reapcb(evutil_socket_t fd, short ev, void *arg)
{
	link_free(arg);
}

/* The live link of p went away: mark the peer down and plan a redial. */
static void
peer_link_lost(struct peer *p, const char *why)
{
	uint64_t was_up_ms = p->up_since ? now_utc_ms() - p->up_since : 0;

	p->link = NULL;
	p->state = LINK_DOWN;
	(void)deliver_flush_sent(p);
	p->up_since = 0;
	p->down_since = now_utc_ms();
	snprintf(p->last_error, sizeof(p->last_error), "%.150s", why);
	log_info("link to %s down: %s", p->conf->party, why);
	(void)store_event(p->d->st, p->conf->party, "link-down", why);
	/* A link that stayed up a while earns a quick redial; one that
	 * failed at once backs off like a failed dial. */
	if (was_up_ms >= LINK_STABLE_MS)
		p->backoff_ms = 0;
	p->addr_idx = 0;
	p->backoff_ms = p->backoff_ms == 0 ? p->d->cf.reconnect_min_ms :
	    p->backoff_ms * 2;
	if (p->backoff_ms > p->d->cf.reconnect_max_ms)
		p->backoff_ms = p->d->cf.reconnect_max_ms;
	peer_schedule_dial(p, 0);
}

/*
 * Close a connection. Reading stops at once; a BYE with the reason is
 * queued and the connection is freed when it has drained or after a short
 * grace, never inside the caller's stack.
 */
void
link_close(struct link *l, const char *fmt, ...)
{
	char why[256];
	struct timeval tv = { 0, 0 };
	va_list ap;
	int was_live;

	if (l->state == C_CLOSING)
		return;
	va_start(ap, fmt);
	if (vsnprintf(why, sizeof(why), fmt, ap) >= (int)sizeof(why))
		why[sizeof(why) - 2] = '.';
	va_end(ap);
	was_live = l->state == C_LIVE;
	l->state = C_CLOSING;
	(was_live ? log_info : log_debug)("closing %s connection %s %s: %s",
	    l->outbound ? "outbound" : "inbound",
	    l->outbound ? "to" : "from", l->peer != NULL ?
	    l->peer->conf->party : l->addr, why);
	if (l->timer != NULL)
		evtimer_del(l->timer);
	bufferevent_disable(l->bev, EV_READ);
	bufferevent_setcb(l->bev, NULL, link_writecb, link_eventcb, l);
	if (was_live) {
		buf_reset(&l->wbuf);
		if (bye_encode(&l->wbuf, why) == 0)
			bufferevent_write(l->bev, l->wbuf.data, l->wbuf.len);
		bufferevent_setwatermark(l->bev, EV_WRITE, 0, 0);
		tv.tv_sec = LINK_BYE_GRACE_MS / 1000;
		tv.tv_usec = (LINK_BYE_GRACE_MS % 1000) * 1000;
	}
	if (l->peer != NULL && l->peer->link == l)
		peer_link_lost(l->peer, why);
	else if (l->outbound && l->peer != NULL && l->peer->link == NULL &&
	    l->peer->state == LINK_CONNECTING) {
		l->peer->state = LINK_DOWN;
		snprintf(l->peer->last_error, sizeof(l->peer->last_error),
		    "%.60s: %.90s", l->addr, why);
		/* Failover: the next attempt goes to the next address. */
		peer_schedule_dial(l->peer, 1);
	}
	l->reaper = evtimer_new(l->d->base, link_reapcb, l);
	if (!was_live || evbuffer_get_length(bufferevent_get_output(l->bev)) == 0)
		tv.tv_sec = 0, tv.tv_usec = 0;
	evtimer_add(l->reaper, &tv);
}

size_t
link_out_pending(struct link *l)
{
	return evbuffer_get_length(bufferevent_get_output(l->bev));
}

/* Bytes that may still be queued on a live link before mark is reached. */
static size_t
link_room_below(struct link *l, size_t mark)
{
	size_t n;

	if (l->state != C_LIVE || !l->hello_rcvd ||
	    (n = link_out_pending(l)) >= mark)
		return 0;
	return mark - n;
}

int
link_wants_more(struct link *l)
{
	return link_room_below(l, LINK_OUT_TARGET) > 0;
}

size_t
link_out_room(struct link *l)
{
	return link_room_below(l, LINK_OUT_TARGET);
}

size_t
link_out_room_urgent(struct link *l)
{
	return link_room_below(l, LINK_OUT_URGENT);
}

int
link_send_frame(struct link *l, const void *frame, size_t len)
{
	if (l->state == C_CLOSING)
		return -1;
	if (link_out_pending(l) + len > l->d->cf.peer_max_pending) {
		link_close(l, "peer is not reading: %zu bytes pending",
		    link_out_pending(l));
		return -1;
	}
	if (bufferevent_write(l->bev, frame, len) == -1) {
		link_close(l, "write failed");
		return -1;
	}
	return 0;
}

uint64_t *
link_cursor(struct link *l, int ch, int prec)
{
	return &l->next[ch][prec];
}

struct buf *
link_wbuf(struct link *l)
{
	buf_reset(&l->wbuf);
	return &l->wbuf;
}

static int
link_send_u64(struct link *l, uint8_t type, uint64_t v)
{
	struct buf *b = link_wbuf(l);

	if (wire_encode_u64(b, type, v) == -1)
		return -1;
	return link_send_frame(l, b->data, b->len);
}

static void
arm_timer(struct link *l, uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(l->timer, &tv);
}

/* Handshake timeout before the link is live; heartbeat after. */
static void
link_timercb(evutil_socket_t fd, short ev, void *arg)
{
	struct link *l = arg;
	struct hotlined *d = l->d;
	uint64_t idle_ms;

	if (l->state == C_CLOSING)
		return;
	if (l->state != C_LIVE || !l->hello_rcvd) {
		link_close(l, "handshake not completed within %llu ms",
		    (unsigned long long)d->cf.handshake_timeout_ms);
		return;
	}
	idle_ms = (now_mono_us() - l->last_rx_us) / 1000;
	if (idle_ms >= d->cf.dead_after_ms) {
		link_close(l, "dead: no frame for %llu ms",
		    (unsigned long long)idle_ms);
		return;
	}
	(void)deliver_flush_sent(l->peer);
	l->ping_token = now_mono_us();
	if (link_send_u64(l, FR_PING, l->ping_token) == -1)
		return;
	arm_timer(l, d->cf.heartbeat_ms);
}

/* Whose dial made this connection. */
static const char *
link_dialler(struct link *l)
{
	return l->outbound ? l->d->cf.party : l->peer->conf->party;
}

/*
 * TLS is done and the peer is known: decide whether this connection is the
 * pair's one live link, and if so send our HELLO.
 */
static void
link_established(struct link *l)
{
	struct hotlined *d = l->d;
	struct peer *p;
	struct link *old;
	const char *fpr = tls_offered_fpr(l->ssl);
	const char *first;
	struct hello h;
	struct buf *b;
	int keep_new, n = 0;

	if (SSL_version(l->ssl) != TLS1_3_VERSION) {
		link_close(l, "not TLS 1.3");
		return;
	}
	if ((p = hotlined_peer_by_fpr(d, fpr)) == NULL ||
	    (l->peer != NULL && l->peer != p)) {
		/* tls.c already refused this; belt and braces. */
		link_close(l, "key %s is not pinned", fpr);
		return;
	}
	l->peer = p;
	TAILQ_FOREACH(old, &d->links, entry)
		if (old != l && old->peer == p && old->state != C_CLOSING)
			n++;
	if ((uint64_t)n >= d->cf.peer_max_connections) {
		link_close(l, "%d connections of %s already "
		    "(peer_max_connections)", n, p->conf->party);
		return;
	}
	if (p->pub == NULL) {
		X509 *cert = SSL_get1_peer_certificate(l->ssl);

		if (cert != NULL) {
			p->pub = X509_get_pubkey(cert);
			X509_free(cert);
		}
		if (p->pub == NULL) {
			link_close(l, "no public key");
			return;
		}
	}
	if ((old = p->link) != NULL && old != l) {
		first = strcmp(d->cf.party, p->conf->party) < 0 ?
		    d->cf.party : p->conf->party;
		if (old->outbound == l->outbound)
			keep_new = 1;
		else
			keep_new = strcmp(link_dialler(l), first) == 0;
		if (!keep_new) {
			link_close(l, "duplicate connection; keeping the one "
			    "dialled by %s", link_dialler(old));
			return;
		}
		link_close(old, "replaced by a connection dialled by %s",
		    link_dialler(l));
	}
	p->link = l;
	p->state = LINK_CONNECTING;	/* up when the peer's HELLO arrives */
	l->state = C_LIVE;
	snprintf(p->addr_up, sizeof(p->addr_up), "%s", l->addr);
	log_info("TLS 1.3 with %s (%s, key %.16s...) %s", p->conf->party,
	    l->addr, fpr, l->outbound ? "dialled" : "accepted");

	memset(&h, 0, sizeof(h));
	deliver_hello_fill(p, &h);
	nrrc_hello_fill(l->d, &h);
	b = link_wbuf(l);
	if (hello_encode(&h, b) == -1) {
		link_close(l, "cannot encode HELLO");
		return;
	}
	(void)link_send_frame(l, b->data, b->len);
}

static void
link_handle_hello(struct link *l, struct cursor *c)
{
	struct peer *p = l->peer;
	struct hello h;
	const char *why = NULL;
	char detail[CONFIG_ADDR_MAX + 16];

	if (l->hello_rcvd) {
		link_close(l, "second HELLO");
		return;
	}
	if (hello_decode(c, &h, &why) == -1) {
		link_close(l, "bad HELLO: %s", why);
		return;
	}
	if (strcmp(h.party, p->conf->party) != 0) {
		link_close(l, "peer with %s's key claims to be \"%s\"",
		    p->conf->party, h.party);
		return;
	}
	if (strcmp(h.peer, l->d->cf.party) != 0) {
		link_close(l, "peer thinks it talks to \"%s\"", h.peer);
		return;
	}
	nrrc_hello_seen(p, &h);
	l->hello_rcvd = 1;
	p->state = LINK_UP;
	p->up_since = now_utc_ms();
	p->connects++;
	p->last_error[0] = '\0';
	evtimer_del(l->timer);
	arm_timer(l, l->d->cf.heartbeat_ms);
	log_info("link to %s up via %s (%s)", p->conf->party, l->addr,
	    l->outbound ? (l->addr_idx == 0 ? "primary address" :
	    "backup address") : "inbound");
	snprintf(detail, sizeof(detail), "%s %s", l->addr,
	    l->outbound ? "outbound" : "inbound");
	(void)store_event(l->d->st, p->conf->party, "link-up", detail);
	if (p->redial_ev != NULL)
		evtimer_del(p->redial_ev);
	if (deliver_link_up(p, l, &h) == -1) {
		link_close(l, "resume failed");
		return;
	}
	witness_link_up(p, l);
}

static bool
link_done(const struct link *l, uint32_t off)
{
	int i;

	for (i = 0; i < l->ndone; i++)
		if (l->done[i] == off)
			return true;
	return false;
}

/* total bytes were drained from the input: shift the applied offsets. */
static void
link_done_drained(struct link *l, size_t total)
{
	int i, k = 0;

	for (i = 0; i < l->ndone; i++)
		if (l->done[i] >= total)
			l->done[k++] = l->done[i] - (uint32_t)total;
	l->ndone = k;
}

/*
 * The complete frame at base[*off..avail) into f, *off moved past it: 1,
 * or 0 if no complete frame with a good header starts there.
 */
static int
link_scan_frame(const uint8_t *base, size_t avail, size_t *off,
    struct frame_ref *f)
{
	const char *why = NULL;
	uint8_t type;
	uint32_t len;

	if (avail - *off < WIRE_HDR_LEN || wire_peek(base + *off,
	    WIRE_HDR_LEN, &type, &len, &why) != 1 ||
	    avail - *off - WIRE_HDR_LEN < len)
		return 0;
	f->type = type;
	f->p = base + *off + WIRE_HDR_LEN;
	f->len = len;
	*off += WIRE_HDR_LEN + len;
	return 1;
}

/*
 * Urgent first, also on the receiving side: look through the complete
 * MSG/RECEIPT frames in the input (up to the first control frame) for
 * FLASH/IMMEDIATE ones. If there are any, and other data frames not yet
 * handled besides them, apply them now in a transaction of their own
 * (deliver_frames commits and queues their receipts), remember their
 * offsets so they are skipped in turn, and come back for the rest from a
 * timer, after the loop has written those receipts. Every stream is
 * (channel, precedence): its frames are all urgent or all not, so each
 * stream stays in order. Returns 1 if it did that, 0 if there was nothing
 * to do, -1 if the link was closed.
 */
static int
link_urgent_first(struct link *l, struct evbuffer *in, size_t avail)
{
	struct frame_ref u[LINK_BATCH_FRAMES];
	uint32_t uoff[LINK_BATCH_FRAMES];
	const uint8_t *base;
	char werr[256];
	size_t off = 0, start;
	int n = 0, nu = 0, bulk = 0, i, j;
	struct timeval zero = { 0, 0 };

	if (!l->hello_rcvd || l->peer == NULL || avail > UINT32_MAX ||
	    (base = evbuffer_pullup(in, (ev_ssize_t)avail)) == NULL)
		return 0;
	while (n < LINK_SCAN_FRAMES && nu < LINK_BATCH_FRAMES &&
	    l->ndone + nu < LINK_BATCH_FRAMES) {
		start = off;
		if (!link_scan_frame(base, avail, &off, &u[nu]) ||
		    (u[nu].type != FR_MSG && u[nu].type != FR_RECEIPT))
			break;	/* bad, incomplete or control: stop here */
		if (!link_done(l, (uint32_t)start)) {
			if (deliver_frame_urgent(&u[nu]))
				uoff[nu++] = (uint32_t)start;
			else
				bulk = 1;
		}
		n++;
	}
	if (nu == 0 || !bulk)
		return 0;	/* none, or nothing else to go before */
	if (deliver_frames(l->peer, l, u, nu, werr, sizeof(werr)) == -1) {
		link_close(l, "%s", werr);
		return -1;
	}
	/* Keep done[] ascending: merge uoff[] (ascending) into it. */
	for (i = 0; i < nu; i++) {
		for (j = l->ndone; j > 0 && l->done[j - 1] > uoff[i]; j--)
			l->done[j] = l->done[j - 1];
		l->done[j] = uoff[i];
		l->ndone++;
	}
	evtimer_add(l->resume, &zero);
	return 1;
}

/*
 * Whether the input is complete RECEIPT frames only, at most max of them,
 * and none urgent unless urgent_ok: their number (each in f[] if f is
 * set), else 0 (anything else in it, a partial frame, or more than max).
 * The frames point into the input, valid until it is drained.
 */
static int
link_receipts_only(struct evbuffer *in, size_t avail, struct frame_ref *f,
    int max, bool urgent_ok)
{
	struct frame_ref one, *fr;
	const uint8_t *base;
	size_t off = 0;
	int n = 0;

	if (avail < WIRE_HDR_LEN ||
	    (base = evbuffer_pullup(in, (ev_ssize_t)avail)) == NULL)
		return 0;
	while (avail - off >= WIRE_HDR_LEN) {
		fr = f != NULL ? &f[n] : &one;
		if (n == max || !link_scan_frame(base, avail, &off, fr) ||
		    fr->type != FR_RECEIPT ||
		    (!urgent_ok && deliver_frame_urgent(fr)))
			return 0;
		n++;
	}
	return off == avail ? n : 0;	/* else a partial frame: read on */
}

/*
 * Group commit of receipts: a sender that streams single messages gets one
 * receipt per message, and committing each on its own costs a second
 * fdatasync per message on the loop that also serves the API. When the
 * input holds only complete RECEIPT frames, none of them urgent, and no API
 * client waits for a state change (GET ?wait=), leave them for up to
 * LINK_RCPT_DEFER_US so that one transaction covers all that arrive
 * meanwhile (a GET ?wait= arriving ends the wait: link_receipts_now).
 * Nothing is acknowledged to anyone before that commit, so durability is
 * unchanged; "delivered" shows up to that much later.
 * Returns true if the input was left for l->resume.
 */
static bool
link_defer_receipts(struct link *l, struct evbuffer *in, size_t avail)
{
	uint64_t now;
	struct timeval tv;

	if (!l->hello_rcvd || l->peer == NULL || api_waiting(l->d) ||
	    link_receipts_only(in, avail, NULL, LINK_SCAN_FRAMES, false) == 0)
		goto no;
	now = now_mono_us();
	if (l->defer_until == 0)
		l->defer_until = now + LINK_RCPT_DEFER_US;
	if (now < l->defer_until) {
		tv.tv_sec = 0;
		tv.tv_usec = (suseconds_t)(l->defer_until - now);
		evtimer_add(l->resume, &tv);
		return true;
	}
no:
	l->defer_until = 0;
	return false;
}

/*
 * An API batch is being stored over several loop turns (deliver.c,
 * deliver_batch_step): handling input now would begin a transaction, and
 * so have the batch stored whole and committed first, in this turn. The
 * same while the store holds bulk writes off for a checkpoint's last pass
 * (store_held): a write now would keep it from copying the whole WAL. Input
 * that is all FLASH/IMMEDIATE goes first instead (the batch is rolled back
 * and stored again after it; link_urgent_first has taken such frames out
 * of mixed input already); anything else waits for the batch, up to
 * LINK_BATCH_WAIT_US. Returns true if the input was left for l->resume.
 */
static bool
link_wait_for_batch(struct link *l, struct evbuffer *in, size_t avail)
{
	struct frame_ref f;
	const uint8_t *base;
	size_t off = 0, start;
	uint64_t now;
	struct timeval tv = { 0, LINK_BATCH_POLL_US };
	int n = 0;

	if ((!store_long_open(l->d->st) && !store_held(l->d->st)) ||
	    !l->hello_rcvd || l->peer == NULL || l->resume == NULL) {
		l->batch_until = 0;
		return false;
	}
	now = now_mono_us();
	if (l->batch_until == 0)
		l->batch_until = now + (store_long_open(l->d->st) ||
		    store_hold_firm(l->d->st) ? LINK_BATCH_WAIT_US :
		    LINK_HOLD_WAIT_US);
	else if (now >= l->batch_until) {
		l->batch_until = 0;
		return false;
	}
	if (avail < WIRE_HDR_LEN ||
	    (base = evbuffer_pullup(in, (ev_ssize_t)avail)) == NULL)
		goto wait;
	while (n < LINK_SCAN_FRAMES) {
		start = off;
		if (!link_scan_frame(base, avail, &off, &f))
			break;
		if (!link_done(l, (uint32_t)start) && !deliver_frame_urgent(&f))
			goto wait;
		n++;
	}
	if (n == 0)
		goto wait;	/* nothing complete yet */
	l->batch_until = 0;
	return false;		/* only urgent frames: they go first */
wait:
	evtimer_add(l->resume, &tv);
	return true;
}

/*
 * Input of RECEIPT frames only while API clients wait for states: deliver.c
 * verifies them and answers those clients now (deliver_receipts_early), and
 * they are applied from l->resume in the next loop turn, after the answers
 * have been written (libevent runs the turn's I/O callbacks before its
 * expired timers). Returns true if the input was left for l->resume.
 */
static bool
link_answer_early(struct link *l, struct evbuffer *in, size_t avail)
{
	struct frame_ref f[DELIVER_EARLY_MAX];
	struct timeval zero = { 0, 0 };
	int n;

	if (!l->hello_rcvd || l->peer == NULL || l->resume == NULL ||
	    !api_waiting(l->d) || (n = link_receipts_only(in, avail, f,
	    DELIVER_EARLY_MAX, true)) == 0 ||
	    deliver_receipts_early(l->peer, f, n) == 0)
		return false;
	l->early = true;
	evtimer_add(l->resume, &zero);
	return true;
}

void
link_receipts_now(struct hotlined *d)
{
	struct timeval zero = { 0, 0 };
	struct link *l;

	TAILQ_FOREACH(l, &d->links, entry)
		if (l->defer_until != 0 && l->resume != NULL) {
			l->defer_until = 1;	/* long past */
			evtimer_add(l->resume, &zero);
		}
}

static void
link_resumecb(evutil_socket_t fd, short ev, void *arg)
{
	struct link *l = arg;

	(void)fd;
	(void)ev;
	link_readcb(l->bev, l);
}

/*
 * Read every complete frame in the input (bounded per call), handle
 * control frames here and hand runs of MSG/RECEIPT frames to deliver.c,
 * which commits them in one transaction before sending receipts. Urgent
 * frames further on go first (link_urgent_first).
 */
/*
 * Is the complete frame at off (len bytes) in `in` a MSG of routine or
 * priority precedence? Only the header is read (version, from, to,
 * channel, kind, precedence); anything unexpected counts as not bulk, and
 * is then handled (and refused) at once.
 */
static int
frame_is_bulk(struct evbuffer *in, uint8_t type, uint32_t off, uint32_t len)
{
	uint8_t h[1 + 3 * (1 + 32) + 2];	/* party ids and kind <= 32 */
	struct evbuffer_ptr pos;
	ev_ssize_t n;
	size_t i = 1, k;

	if (type != FR_MSG)
		return 0;
	if (evbuffer_ptr_set(in, &pos, off, EVBUFFER_PTR_SET) == -1 ||
	    (n = evbuffer_copyout_from(in, &pos, h, len < sizeof(h) ? len :
	    sizeof(h))) <= 0)
		return 0;
	for (k = 0; k < 3; k++) {	/* from, to; then channel, kind */
		if (i >= (size_t)n)
			return 0;
		if (k == 2)
			i++;		/* channel */
		if (i >= (size_t)n)
			return 0;
		i += 1 + h[i];
	}
	return i < (size_t)n && h[i] >= PREC_PRIORITY && h[i] <= PREC_MAX;
}

/* The wait for more bulk frames is over: process what is there. */
static void
link_coalescecb(evutil_socket_t fd, short ev, void *arg)
{
	struct link *l = arg;

	(void)fd;
	(void)ev;
	if (l->state == C_CLOSING)
		return;
	l->coalesce_now = 1;
	bufferevent_trigger(l->bev, EV_READ, 0);
}

static void	link_readcb_(struct bufferevent *, void *);

static void
link_readcb(struct bufferevent *bev, void *arg)
{
	TRACE_BEGIN(t0);

	link_readcb_(bev, arg);
	TRACE_END("link_read", NULL, t0);
}

static void
link_readcb_(struct bufferevent *bev, void *arg)
{
	struct link *l = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr pos;
	uint8_t hdr[WIRE_HDR_LEN], type;
	uint32_t len;
	size_t avail, total = 0, off;
	const uint8_t *base;
	const char *why = NULL;
	char reason[WIRE_REASON_MAX + 1], werr[256];
	struct cursor c;
	uint64_t v;
	int nframes = 0, i, ndata, r, more = 0;
	struct {
		uint8_t type;
		uint32_t off, len;
	} fr[LINK_BATCH_FRAMES];

	if (l->state == C_CLOSING)
		return;
	avail = evbuffer_get_length(in);
	if (l->ndone < LINK_BATCH_FRAMES &&
	    (r = link_urgent_first(l, in, avail)) != 0)
		return;	/* closed, or the rest comes from l->resume */
	if (link_wait_for_batch(l, in, avail))
		return;
	if (!l->early && (link_defer_receipts(l, in, avail) ||
	    link_answer_early(l, in, avail)))
		return;
	l->early = false;	/* applied now */
	/* Find the complete frames at the head of the buffer. */
	while (nframes < LINK_BATCH_FRAMES && total < LINK_BATCH_BYTES) {
		if (avail - total < WIRE_HDR_LEN)
			break;
		evbuffer_ptr_set(in, &pos, total, EVBUFFER_PTR_SET);
		if (evbuffer_copyout_from(in, &pos, hdr, sizeof(hdr)) !=
		    sizeof(hdr))
			break;
		r = wire_peek(hdr, sizeof(hdr), &type, &len, &why);
		if (r == -1) {
			link_close(l, "bad frame header: %s", why);
			return;
		}
		if (avail - total - WIRE_HDR_LEN < len)
			break;
		if (l->ndone > 0 && link_done(l, (uint32_t)total)) {
			/* applied ahead of its turn */
			total += WIRE_HDR_LEN + len;
			continue;
		}
		fr[nframes].type = type;
		fr[nframes].off = (uint32_t)(total + WIRE_HDR_LEN);
		fr[nframes].len = len;
		nframes++;
		total += WIRE_HDR_LEN + len;
	}
	if (nframes == LINK_BATCH_FRAMES || total >= LINK_BATCH_BYTES)
		more = avail > total;
	if (total == 0)
		return;
	/*
	 * Coalescing. libevent's TLS bufferevent hands over at most two
	 * records (~32 KiB) per loop iteration, and each read batch is one
	 * commit (an fdatasync) and one signed receipt. When the input ends
	 * inside a frame, the rest of the peer's write is in flight (frames
	 * are written whole): if everything complete so far is routine or
	 * priority traffic, wait for it, up to LINK_COALESCE_BYTES, a few
	 * read events or LINK_COALESCE_US, so that one commit covers a
	 * whole burst. Flash and immediate messages, receipts and control
	 * frames are never held back, and a burst that ends on a frame
	 * boundary is handled at once: a single message waits for nothing.
	 */
	if (!l->coalesce_now && !more && avail > total &&
	    total < LINK_COALESCE_BYTES && l->coalesced < LINK_COALESCE_MAX &&
	    l->coalesce != NULL) {
		for (i = l->coalesce_ok; i < nframes; i++)
			if (!frame_is_bulk(in, fr[i].type, fr[i].off,
			    fr[i].len))
				break;
		if (i == nframes) {
			struct timeval tv = { 0, LINK_COALESCE_US };

			l->coalesce_ok = nframes;
			if (l->coalesced++ == 0)
				evtimer_add(l->coalesce, &tv);
			return;
		}
	}
	l->coalesced = 0;
	l->coalesce_ok = 0;
	l->coalesce_now = 0;
	if (l->coalesce != NULL)
		evtimer_del(l->coalesce);
	if ((base = evbuffer_pullup(in, (ev_ssize_t)total)) == NULL) {
		link_close(l, "out of memory");
		return;
	}
	l->last_rx_us = now_mono_us();
	if (l->peer != NULL)
		l->peer->last_seen = now_utc_ms();

	for (i = 0; i < nframes && l->state != C_CLOSING; ) {
		type = fr[i].type;
		if (type == FR_MSG || type == FR_RECEIPT) {
			if (!l->hello_rcvd) {
				link_close(l, "%s before HELLO",
				    frame_type_name(type));
				break;
			}
			for (ndata = 0; i < nframes && (fr[i].type == FR_MSG ||
			    fr[i].type == FR_RECEIPT); i++, ndata++) {
				l->batch[ndata].type = fr[i].type;
				l->batch[ndata].p = base + fr[i].off;
				l->batch[ndata].len = fr[i].len;
			}
			if (deliver_frames(l->peer, l, l->batch, ndata, werr,
			    sizeof(werr)) == -1) {
				link_close(l, "%s", werr);
				break;
			}
			continue;
		}
		off = fr[i].off;
		cur_init(&c, base + off, fr[i].len);
		switch (type) {
		case FR_HELLO:
			link_handle_hello(l, &c);
			break;
		case FR_PING:
			if (wire_decode_u64(&c, &v, &why) == -1)
				link_close(l, "bad PING: %s", why);
			else
				(void)link_send_u64(l, FR_PONG, v);
			break;
		case FR_PONG:
			if (wire_decode_u64(&c, &v, &why) == -1)
				link_close(l, "bad PONG: %s", why);
			else if (v != 0 && v == l->ping_token) {
				l->peer->rtt_us = now_mono_us() - v;
				l->ping_token = 0;
			}
			break;
		case FR_CHECKPOINT:
		case FR_CONSIST_REQ:
		case FR_CONSIST_PROOF:
		case FR_COSIG:
			if (!l->hello_rcvd)
				link_close(l, "%s before HELLO",
				    frame_type_name(type));
			else if (witness_frame(l->peer, l, type, &c, werr,
			    sizeof(werr)) == -1)
				link_close(l, "%s", werr);
			break;
		case FR_BYE:
			if (bye_decode(&c, reason, sizeof(reason), &why) == -1)
				link_close(l, "bad BYE: %s", why);
			else
				link_close(l, "peer said goodbye: %s", reason);
			break;
		default:
			link_close(l, "unknown frame type %u", type);
			break;
		}
		i++;
	}
	if (l->state == C_CLOSING)
		return;
	evbuffer_drain(in, total);
	link_done_drained(l, total);
	if (more) {
		/* Let other links and the API run; come back next iteration. */
		bufferevent_trigger(bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
	}
}

static void
link_writecb(struct bufferevent *bev, void *arg)
{
	struct link *l = arg;

	if (l->state == C_CLOSING) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0 &&
		    l->reaper != NULL)
			event_active(l->reaper, EV_TIMEOUT, 0);
		return;
	}
	if (l->state == C_LIVE && l->hello_rcvd) {
		TRACE_BEGIN(t0);

		deliver_pump(l->peer, l);
		TRACE_END("link_write", NULL, t0);
	}
}

/*
 * Why a connection failed, for the log. libevent queues the SSL_get_error()
 * code (a small number) next to OpenSSL's own error codes; the first real
 * OpenSSL error says most, then the socket error.
 */
static void
describe_ssl_error(struct link *l, char *out, size_t outsz)
{
	unsigned long e, real = 0;
	int sslcode = 0, sockerr = EVUTIL_SOCKET_ERROR();
	char es[200] = "";
	const char *fpr;

	while ((e = bufferevent_get_openssl_error(l->bev)) != 0) {
		if (ERR_GET_LIB(e) == 0 && !ERR_SYSTEM_ERROR(e))
			sslcode = (int)e;
		else if (real == 0)
			real = e;
	}
	if (real != 0 && ERR_SYSTEM_ERROR(real))
		snprintf(es, sizeof(es), "%s", strerror(ERR_GET_REASON(real)));
	else if (real != 0 && ERR_reason_error_string(real) != NULL)
		snprintf(es, sizeof(es), "%s", ERR_reason_error_string(real));
	else if (real != 0)
		ERR_error_string_n(real, es, sizeof(es));
	else if (sockerr != 0 && sslcode != SSL_ERROR_SSL)
		snprintf(es, sizeof(es), "%s",
		    evutil_socket_error_to_string(sockerr));
	else if (sslcode == SSL_ERROR_SYSCALL)
		snprintf(es, sizeof(es), "connection closed by the other side");
	else
		snprintf(es, sizeof(es), "connection closed");
	fpr = l->ssl != NULL ? tls_offered_fpr(l->ssl) : "";
	if (snprintf(out, outsz, "%s%s%s%s", es,
	    fpr[0] ? "; offered key fingerprint " : "", fpr,
	    fpr[0] && hotlined_peer_by_fpr(l->d, fpr) == NULL ?
	    " (not pinned)" : "") >= (int)outsz)
		out[outsz - 1] = '\0';
}

static void
link_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct link *l = arg;
	char why[400];

	if (what & BEV_EVENT_CONNECTED) {
		if (l->state == C_TLS)
			link_established(l);
		return;
	}
	if (l->state == C_CLOSING) {
		if (l->reaper != NULL)
			event_active(l->reaper, EV_TIMEOUT, 0);
		return;
	}
	if (l->state == C_TLS) {
		describe_ssl_error(l, why, sizeof(why));
		if (what & BEV_EVENT_TIMEOUT)
			snprintf(why, sizeof(why), "timeout");
		else if (l->outbound && (SSL_get_wbio(l->ssl) == NULL ||
		    BIO_number_written(SSL_get_wbio(l->ssl)) == 0)) {
			/* Nothing of TLS was sent: the TCP connect failed.
			 * Say so once, not at every redial. */
			if (strstr(l->peer->last_error, why) == NULL)
				log_info("cannot connect to %s at %s: %s",
				    l->peer->conf->party, l->addr, why);
			else
				log_debug("cannot connect to %s at %s: %s",
				    l->peer->conf->party, l->addr, why);
			link_close(l, "cannot connect: %s", why);
			return;
		}
		log_warnx("TLS handshake %s %s (%s) failed: %s",
		    l->outbound ? "to" : "from", l->peer ? l->peer->conf->party :
		    "unknown", l->addr, why);
		link_close(l, "TLS handshake failed: %s", why);
		return;
	}
	if (what & BEV_EVENT_EOF)
		link_close(l, "connection closed by peer");
	else if (what & BEV_EVENT_TIMEOUT)
		link_close(l, "timeout");
	else {
		describe_ssl_error(l, why, sizeof(why));
		link_close(l, "connection error: %s%s%s", why,
		    errno ? ": " : "", errno ? strerror(errno) : "");
	}
}

static void
addr_string(const struct sockaddr *sa, socklen_t len, char *out, size_t outsz)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(out, outsz, "?");
	else if (sa->sa_family == AF_INET6)
		snprintf(out, outsz, "[%.64s]:%.8s", host, serv);
	else
		snprintf(out, outsz, "%.64s:%.8s", host, serv);
}

static int
host_string(const struct sockaddr *sa, socklen_t len, char *out, size_t outsz)
{
	char host[NI_MAXHOST];

	if (getnameinfo(sa, len, host, sizeof(host), NULL, 0,
	    NI_NUMERICHOST) != 0 || snprintf(out, outsz, "%s", host) >=
	    (int)outsz)
		return -1;
	return 0;
}

/* Open inbound connections from one source address. */
static uint64_t
count_from_host(struct hotlined *d, const char *host)
{
	struct link *l;
	uint64_t n = 0;

	TAILQ_FOREACH(l, &d->links, entry)
		if (!l->outbound && l->state != C_CLOSING &&
		    strcmp(l->host, host) == 0)
			n++;
	return n;
}

static void
link_acceptcb(struct evconnlistener *lis, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct hotlined *d = arg;
	struct bufferevent *bev;
	char addr[CONFIG_ADDR_MAX], host[CONFIG_ADDR_MAX];
	struct link *l;
	SSL *ssl;

	addr_string(sa, (socklen_t)salen, addr, sizeof(addr));
	if (host_string(sa, (socklen_t)salen, host, sizeof(host)) == -1 ||
	    count_from_host(d, host) >= d->cf.peer_max_connections) {
		log_warnx("refusing connection from %s: %llu connections from "
		    "that address already (peer_max_connections)", addr,
		    (unsigned long long)d->cf.peer_max_connections);
		evutil_closesocket(fd);
		return;
	}
	set_sockopts(fd);
	if ((ssl = tls_ssl_new(d->ssl_ctx, NULL)) == NULL) {
		log_warnx("accept from %s: cannot create TLS state", addr);
		evutil_closesocket(fd);
		return;
	}
	bev = bufferevent_openssl_socket_new(d->base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		log_warnx("accept from %s: cannot create bufferevent", addr);
		SSL_free(ssl);
		evutil_closesocket(fd);
		return;
	}
	log_debug("accepted connection from %s", addr);
	l = link_new(d, NULL, 0, ssl, bev, addr);
	snprintf(l->host, sizeof(l->host), "%s", host);
}

/* Next dial of p: immediately to the next address (failover), or after the
 * backoff when a whole round of addresses has failed. */
static void
peer_schedule_dial(struct peer *p, int failed)
{
	struct hotlined *d = p->d;
	uint64_t delay, jitter;
	uint32_t rnd = 0;
	struct timeval tv;

	if (p->conf->naddrs == 0 || p->link != NULL)
		return;
	if (failed) {
		p->addr_idx++;
		if (p->addr_idx < p->conf->naddrs) {
			log_info("peer %s: failing over to address %s",
			    p->conf->party, p->conf->addrs[p->addr_idx]);
			delay = 0;
			goto arm;
		}
		p->addr_idx = 0;
		p->backoff_ms = p->backoff_ms == 0 ? d->cf.reconnect_min_ms :
		    p->backoff_ms * 2;
		if (p->backoff_ms > d->cf.reconnect_max_ms)
			p->backoff_ms = d->cf.reconnect_max_ms;
		delay = p->backoff_ms;
	} else
		delay = p->backoff_ms;
	/* Jitter: uniformly 75%..125% of the delay. */
	if (delay > 0) {
		(void)RAND_bytes((unsigned char *)&rnd, sizeof(rnd));
		jitter = delay / 2;
		delay = delay - delay / 4 + (jitter ? rnd % (jitter + 1) : 0);
	}
arm:
	tv.tv_sec = (time_t)(delay / 1000);
	tv.tv_usec = (suseconds_t)(delay % 1000) * 1000;
	evtimer_add(p->redial_ev, &tv);
}

static void
peer_dial(evutil_socket_t fd, short ev, void *arg)
{
	struct peer *p = arg;
	struct hotlined *d = p->d;
	struct addrinfo hints, *res = NULL;
	char host[CONFIG_ADDR_MAX], port[8];
	const char *addr;
	struct bufferevent *bev;
	struct link *l;
	SSL *ssl;
	int rc;

	if (p->link != NULL)
		return;
	addr = p->conf->addrs[p->addr_idx];
	p->state = LINK_CONNECTING;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (config_addr_split(addr, host, sizeof(host), port,
	    sizeof(port)) == -1 ||
	    (rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		log_warnx("peer %s: cannot resolve %s", p->conf->party, addr);
		p->state = LINK_DOWN;
		peer_schedule_dial(p, 1);
		return;
	}
	if ((ssl = tls_ssl_new(d->ssl_ctx, p->conf->party)) == NULL) {
		freeaddrinfo(res);
		p->state = LINK_DOWN;
		peer_schedule_dial(p, 1);
		return;
	}
	bev = bufferevent_openssl_socket_new(d->base, -1, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		freeaddrinfo(res);
		p->state = LINK_DOWN;
		peer_schedule_dial(p, 1);
		return;
	}
	l = link_new(d, p, 1, ssl, bev, addr);
	l->addr_idx = p->addr_idx;
	log_debug("dialling %s at %s", p->conf->party, addr);
	if (bufferevent_socket_connect(bev, res->ai_addr,
	    (int)res->ai_addrlen) == -1) {
		freeaddrinfo(res);
		link_close(l, "connect failed");
		return;
	}
	freeaddrinfo(res);
	set_sockopts(bufferevent_getfd(bev));
}

int
link_start(struct hotlined *d)
{
	struct addrinfo hints, *res = NULL;
	char host[CONFIG_ADDR_MAX], port[8];
	int i;

	if (d->cf.listen[0] != '\0') {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
		if (config_addr_split(d->cf.listen, host, sizeof(host), port,
		    sizeof(port)) == -1 ||
		    getaddrinfo(host, port, &hints, &res) != 0) {
			log_warnx("cannot resolve listen address %s",
			    d->cf.listen);
			return -1;
		}
		d->listener = evconnlistener_new_bind(d->base, link_acceptcb, d,
		    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE |
		    LEV_OPT_CLOSE_ON_EXEC, 64, res->ai_addr,
		    (int)res->ai_addrlen);
		freeaddrinfo(res);
		if (d->listener == NULL) {
			log_warn("cannot listen on %s", d->cf.listen);
			return -1;
		}
		log_info("listening for peers on %s", d->cf.listen);
	}
	for (i = 0; i < d->npeers; i++) {
		d->peers[i].redial_ev = evtimer_new(d->base, peer_dial,
		    &d->peers[i]);
		d->peers[i].addr_idx = 0;
		d->peers[i].down_since = now_utc_ms();
		peer_schedule_dial(&d->peers[i], 0);
	}
	return 0;
}

void
link_stop(struct hotlined *d)
{
	struct link *l;
	int i;

	while ((l = TAILQ_FIRST(&d->links)) != NULL) {
		if (l->peer != NULL && l->peer->link == l)
			l->peer->link = NULL;
		link_free(l);
	}
	for (i = 0; i < d->npeers; i++) {
		if (d->peers[i].redial_ev != NULL) {
			event_free(d->peers[i].redial_ev);
			d->peers[i].redial_ev = NULL;
		}
	}
	if (d->listener != NULL) {
		evconnlistener_free(d->listener);
		d->listener = NULL;
	}
}
