/*
 * http.c: the request guard in front of evhttp.
 *
 * libevent 2.1 answers the requests it refuses itself (a head over its
 * limit, a body over evhttp_set_max_body_size, an unknown method, a
 * malformed line) with a fixed HTML page, and has no hook to change that.
 * So every API connection's input passes through a bufferevent filter that
 * reads each request head first, within max_head bytes:
 *
 *   - an acceptable head (request line "METHOD target HTTP/1.x" with a
 *     method evhttp serves, well-formed header lines, a Content-Length of
 *     at most max_body and no Transfer-Encoding) goes to evhttp unchanged,
 *     followed by exactly Content-Length body bytes; then the next head;
 *   - anything else is replaced by a synthetic request
 *     "GET /.hotline/refused/<n> HTTP/1.1" with Connection: close, and every
 *     later byte of the connection is dropped. The router answers that
 *     request with the refusal's status and a JSON error, and evhttp closes
 *     the connection once the answer is written.
 *
 * Request bodies must carry a Content-Length (every client of the API
 * does); chunked bodies are refused with 411, which RFC 9110 allows.
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"
#include "util.h"

enum {
	R_HEAD_TOO_LARGE,
	R_BAD_REQUEST_LINE,
	R_METHOD,
	R_VERSION,
	R_BAD_HEADER,
	R_BAD_LENGTH,
	R_BODY_TOO_LARGE,
	R_TRANSFER_ENCODING,
	R_MAX
};

static const struct http_refusal refusals[R_MAX] = {
	[R_HEAD_TOO_LARGE] = { 431, "request line and headers too large" },
	[R_BAD_REQUEST_LINE] = { 400, "malformed request line" },
	[R_METHOD] = { 501, "method not implemented; the API serves GET, "
	    "HEAD, POST, PUT, DELETE, PATCH and OPTIONS" },
	[R_VERSION] = { 505, "HTTP version not supported; use HTTP/1.1" },
	[R_BAD_HEADER] = { 400, "malformed header line" },
	[R_BAD_LENGTH] = { 400, "malformed or conflicting Content-Length" },
	[R_BODY_TOO_LARGE] = { 413, "request body larger than api_max_request "
	    "bytes" },
	[R_TRANSFER_ENCODING] = { 411, "Transfer-Encoding is not accepted; "
	    "send the body with a Content-Length" },
};

static const char *const methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", NULL
};

const struct http_refusal *
http_refusal_get(const char *rest)
{
	uint64_t n;

	if (rest == NULL || rest[0] != '/' ||
	    parse_u64(rest + 1, 0, R_MAX - 1, &n) == -1)
		return NULL;
	return &refusals[n];
}

/* RFC 9110 tchar. */
static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~",
	    c) != NULL);
}

/* Is [p, p+n) equal to s, ignoring ASCII case? */
static int
span_ieq(const unsigned char *p, size_t n, const char *s)
{
	size_t i;

	if (strlen(s) != n)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char a = p[i], b = (unsigned char)s[i];

		if (a >= 'A' && a <= 'Z')
			a = (unsigned char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (unsigned char)(b - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return 1;
}

/* The request line [p, p+n) (no line end): 0 or -1 with *reason. */
static int
check_request_line(const unsigned char *p, size_t n, int *reason)
{
	size_t i = 0, m, t;
	int k;

	while (i < n && p[i] >= 'A' && p[i] <= 'Z')
		i++;
	m = i;
	if (m == 0 || i >= n || p[i] != ' ') {
		*reason = R_BAD_REQUEST_LINE;
		return -1;
	}
	for (k = 0; methods[k] != NULL; k++)
		if (strlen(methods[k]) == m && memcmp(p, methods[k], m) == 0)
			break;
	i++;
	t = i;
	while (i < n && p[i] > 0x20 && p[i] < 0x7f)
		i++;
	if (i == t || i >= n || p[i] != ' ') {
		*reason = R_BAD_REQUEST_LINE;
		return -1;
	}
	i++;
	if (n - i != 8 || memcmp(p + i, "HTTP/1.", 7) != 0 ||
	    p[i + 7] < '0' || p[i + 7] > '9') {
		*reason = n - i >= 5 && memcmp(p + i, "HTTP/", 5) == 0 ?
		    R_VERSION : R_BAD_REQUEST_LINE;
		return -1;
	}
	if (p[i + 7] > '1') {
		*reason = R_VERSION;
		return -1;
	}
	if (methods[k] == NULL) {
		*reason = R_METHOD;
		return -1;
	}
	return 0;
}

/*
 * One header line [p, p+n) (no line end). Content-Length sets *len (a
 * repeat must agree: *have_len counts them); Transfer-Encoding is refused.
 * 0 or -1 with *reason.
 */
static int
check_header(const unsigned char *p, size_t n, uint64_t max_body,
    uint64_t *len, int *have_len, int *reason)
{
	char digits[24];
	size_t i = 0, name, v, e;
	uint64_t val;

	while (i < n && is_tchar(p[i]))
		i++;
	name = i;
	if (name == 0 || i >= n || p[i] != ':') {
		*reason = R_BAD_HEADER;
		return -1;
	}
	for (v = i + 1; v < n && (p[v] == ' ' || p[v] == '\t'); v++)
		;
	for (e = n; e > v && (p[e - 1] == ' ' || p[e - 1] == '\t'); e--)
		;
	for (i = v; i < e; i++)
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f) {
			*reason = R_BAD_HEADER;
			return -1;
		}
	if (span_ieq(p, name, "transfer-encoding")) {
		*reason = R_TRANSFER_ENCODING;
		return -1;
	}
	if (!span_ieq(p, name, "content-length"))
		return 0;
	if (e - v == 0 || e - v >= sizeof(digits)) {
		*reason = e - v == 0 ? R_BAD_LENGTH : R_BODY_TOO_LARGE;
		return -1;
	}
	for (i = v; i < e; i++)
		if (p[i] < '0' || p[i] > '9') {
			*reason = R_BAD_LENGTH;
			return -1;
		}
	memcpy(digits, p + v, e - v);
	digits[e - v] = '\0';
	if (parse_u64(digits, 0, UINT64_MAX, &val) == -1) {
		*reason = R_BODY_TOO_LARGE;
		return -1;
	}
	if (*have_len && val != *len) {
		*reason = R_BAD_LENGTH;
		return -1;
	}
	if (val > max_body) {
		*reason = R_BODY_TOO_LARGE;
		return -1;
	}
	*len = val;
	*have_len = 1;
	return 0;
}

int
http_head_check(const unsigned char *p, size_t len, size_t max_head,
    uint64_t max_body, size_t *head_len, uint64_t *body_len, int *reason)
{
	const unsigned char *nl;
	size_t off = 0, n, scan = len < max_head ? len : max_head;
	int line = 0, have_len = 0;

	*body_len = 0;
	/* RFC 9112 2.2: ignore empty lines before the request line. */
	while (off < scan && (p[off] == '\r' || p[off] == '\n'))
		off++;
	for (;;) {
		nl = memchr(p + off, '\n', scan - off);
		if (nl == NULL) {
			if (len >= max_head) {
				*reason = R_HEAD_TOO_LARGE;
				return -1;
			}
			return 1;
		}
		n = (size_t)(nl - (p + off));
		if (n > 0 && p[off + n - 1] == '\r')
			n--;
		if (line == 0) {
			if (check_request_line(p + off, n, reason) == -1)
				return -1;
		} else if (n == 0) {
			*head_len = (size_t)(nl - p) + 1;
			return 0;
		} else if (memchr(p + off, '\r', n) != NULL) {
			*reason = R_BAD_HEADER;		/* a bare CR */
			return -1;
		} else if (check_header(p + off, n, max_body, body_len,
		    &have_len, reason) == -1)
			return -1;
		line++;
		off = (size_t)(nl - p) + 1;
	}
}

/* One connection's place in its request stream. */
struct guard {
	size_t		 max_head;
	uint64_t	 max_body;
	enum { G_HEAD, G_BODY, G_DROP } state;
	uint64_t	 body_left;
	size_t		 out_copied;	/* output bytes copied below, unwritten */
	struct bufferevent *bev;	/* the filter */
	struct event	*kick;		/* runs the output filter (see below) */
};

static void
guard_free(void *ctx)
{
	struct guard *g = ctx;

	if (g->kick != NULL)
		event_free(g->kick);
	free(g);
}

/*
 * libevent 2.1's filter runs its output filter when bytes are added only
 * if writing is enabled at that moment, and not when writing is enabled
 * later; evhttp adds its answer before enabling writing (on every request
 * but a connection's first). So every addition also schedules a flush in
 * the next loop iteration.
 */
static void
guard_kick(evutil_socket_t fd, short ev, void *arg)
{
	struct guard *g = arg;

	(void)fd;
	(void)ev;
	if (evbuffer_get_length(bufferevent_get_output(g->bev)) > 0)
		(void)bufferevent_flush(g->bev, EV_WRITE, BEV_FLUSH);
}

static void
guard_out_added(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct guard *g = arg;

	(void)buf;
	if (info->n_added > 0)
		event_active(g->kick, EV_TIMEOUT, 0);
}

/* Put the synthetic request for reason in dst and drop all later input. */
static void
guard_refuse(struct guard *g, struct evbuffer *dst, int reason)
{
	if (evbuffer_add_printf(dst, "GET %s/%d HTTP/1.1\r\nHost: local\r\n"
	    "Connection: close\r\n\r\n", HTTP_REFUSED_PATH, reason) < 0)
		log_warnx("api: cannot queue a refusal");
	log_info("api: request refused before routing: %d %s",
	    refusals[reason].status, refusals[reason].message);
	g->state = G_DROP;
}

static enum bufferevent_filter_result
guard_input(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
    enum bufferevent_flush_mode mode, void *ctx)
{
	struct guard *g = ctx;
	unsigned char *p;
	size_t have, n, head_len;
	uint64_t body_len;
	int moved = 0, reason, rv;

	(void)limit;
	(void)mode;
	while ((have = evbuffer_get_length(src)) > 0) {
		switch (g->state) {
		case G_DROP:
			evbuffer_drain(src, have);
			return moved ? BEV_OK : BEV_NEED_MORE;
		case G_BODY:
			n = have < g->body_left ? have : (size_t)g->body_left;
			if (evbuffer_remove_buffer(src, dst, n) != (int)n)
				return BEV_ERROR;
			g->body_left -= n;
			if (g->body_left == 0)
				g->state = G_HEAD;
			moved = 1;
			break;
		case G_HEAD:
			n = have < g->max_head ? have : g->max_head;
			if ((p = evbuffer_pullup(src, (ev_ssize_t)n)) == NULL)
				return BEV_ERROR;
			rv = http_head_check(p, n, g->max_head, g->max_body,
			    &head_len, &body_len, &reason);
			if (rv == 1)
				return moved ? BEV_OK : BEV_NEED_MORE;
			if (rv == -1) {
				guard_refuse(g, dst, reason);
				moved = 1;
				break;
			}
			if (evbuffer_remove_buffer(src, dst, head_len) !=
			    (int)head_len)
				return BEV_ERROR;
			g->body_left = body_len;
			if (body_len > 0)
				g->state = G_BODY;
			moved = 1;
			break;
		}
	}
	return moved ? BEV_OK : BEV_NEED_MORE;
}

/*
 * Output: evhttp closes a connection (shutdown(SHUT_WR), then close) as
 * soon as its bufferevent reports the answer written. A filter reports that
 * when the bytes have moved to the bufferevent below, before they reach
 * the socket, so the answer to a "Connection: close" request would be lost.
 * So the output is copied down, not moved, and dropped from the filter's
 * buffer only once the bufferevent below has written it (its write
 * callback, at an empty buffer, runs this again): "written" then means in
 * the kernel. Nothing else writes to the buffer below.
 */
static enum bufferevent_filter_result
guard_output(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
    enum bufferevent_flush_mode mode, void *ctx)
{
	struct guard *g = ctx;
	struct evbuffer_ptr pos;
	struct evbuffer_iovec v[16];
	size_t pending = evbuffer_get_length(dst), have;
	int moved = 0, i, nv;

	(void)limit;
	(void)mode;
	if (pending < g->out_copied) {
		if (evbuffer_drain(src, g->out_copied - pending) == -1)
			return BEV_ERROR;
		g->out_copied = pending;
		moved = 1;
	}
	while ((have = evbuffer_get_length(src)) > g->out_copied) {
		if (evbuffer_ptr_set(src, &pos, g->out_copied,
		    EVBUFFER_PTR_SET) == -1)
			return BEV_ERROR;
		nv = evbuffer_peek(src, (ev_ssize_t)(have - g->out_copied),
		    &pos, v, 16);
		if (nv <= 0)
			return BEV_ERROR;
		for (i = 0; i < nv && i < 16; i++) {
			if (evbuffer_add(dst, v[i].iov_base, v[i].iov_len) ==
			    -1)
				return BEV_ERROR;
			g->out_copied += v[i].iov_len;
		}
		moved = 1;
	}
	return moved ? BEV_OK : BEV_NEED_MORE;
}

struct bufferevent *
http_guard_new(struct bufferevent *under, size_t max_head, uint64_t max_body)
{
	struct bufferevent *bev;
	struct guard *g;

	g = xcalloc(1, sizeof(*g));
	g->max_head = max_head;
	g->max_body = max_body;
	g->state = G_HEAD;
	bev = bufferevent_filter_new(under, guard_input, guard_output,
	    BEV_OPT_CLOSE_ON_FREE, guard_free, g);
	if (bev == NULL) {
		free(g);
		bufferevent_free(under);
		log_warnx("api: bufferevent_filter_new failed");
		return NULL;
	}
	g->bev = bev;
	g->kick = event_new(bufferevent_get_base(bev), -1, 0, guard_kick, g);
	if (g->kick == NULL || evbuffer_add_cb(bufferevent_get_output(bev),
	    guard_out_added, g) == NULL) {
		log_warnx("api: cannot set up the request guard");
		bufferevent_free(bev);	/* frees g and under */
		return NULL;
	}
	return bev;
}
