/*
 * hotline_bench.c: load client for hotline's local HTTP API (issue 4).
 *
 * It speaks HTTP/1.1 with keep-alive over the Unix socket of the sending
 * node (AF_UNIX, plain read/write, no HTTP library) so that the client adds
 * as little as possible to the figures, and prints one JSON object per run
 * in the shape of bench/peers (peer, mode, durability, size, count, p50_ms
 * ... max_ms, msgs_per_s, RSS, loadavg).  Modes:
 *
 *   accept      sequential POST /v1/messages; latency = request written ->
 *               201 read (the daemon answers after its commit).
 *   e2e         sequential POST, then GET /v1/messages/ID?wait=delivered on
 *               the same connection; e2e = 201 -> answer of the wait (the
 *               signed receipt is back at the sender); "total" = request ->
 *               delivered.
 *   oneway      sequential POST, each with a consumer already waiting on
 *               the receiver's feed (--recv-sock; GET /v1/messages?dir=in&
 *               after=CURSOR&wait=, asked before the POST); latency =
 *               request written -> the feed's answer: a consumer at the
 *               receiver has the message (committed there), what a
 *               broker's publish -> consumer measures.
 *   throughput  COUNT messages through POST /v1/messages/batch, BATCH per
 *               request, CONNS connections each sending batches one after
 *               another; time from the first request until the last id of
 *               every connection is delivered (receipts are cumulative per
 *               stream, so that implies all).
 *   flash       BULK routine messages on the cert channel stream as in
 *               throughput, while every INTERVAL ms a flash message on the
 *               direct channel goes out on its own connection; latency =
 *               POST written -> wait=delivered answered.
 *
 * HB_GAP_US=N (environment): each bulk streamer pauses N us between its
 * batches, to see how flash latency depends on the bulk rate.
 *
 * Memory: both daemons' VmRSS is sampled every 20 ms (--pid-a, --pid-b) and
 * their VmHWM read at the end.  Not part of the project's build or tests.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define DURABILITY "commit before ack: SQLite WAL synchronous=FULL on both " \
    "nodes; signed receipt"

enum mode { M_ACCEPT, M_E2E, M_ONEWAY, M_THROUGHPUT, M_FLASH };

struct opts {
	enum mode	 mode;
	const char	*mode_name;
	const char	*sock;		/* sender's api.sock */
	const char	*recv_sock;	/* receiver's api.sock (oneway mode) */
	const char	*to;
	size_t		 count;		/* messages (bulk in flash mode) */
	size_t		 size;		/* compact body bytes */
	size_t		 batch;
	size_t		 conns;
	size_t		 warmup;
	unsigned	 interval_ms;
	pid_t		 pid_a, pid_b;
};

struct lat {
	double		*v;
	size_t		 n, cap;
};

struct conn {
	int		 fd;
	char		*buf;
	size_t		 len, cap;	/* bytes buffered after the last reply */
	int		 status;
	char		*body;		/* of the last reply, NUL-terminated */
	size_t		 bodylen;
};

struct rss {
	pid_t		 pid[2];
	long		 peak_kb[2];
	double		 cpu0[2];	/* CPU seconds at the start */
	volatile int	 stop;
	pthread_t	 th;
};

static struct opts o;

static void die(const char *, ...) __attribute__((format(printf, 1, 2),
    noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("hotline_bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n)) == NULL)
		die("out of memory");
	return p;
}

static void
lat_add(struct lat *l, double ms)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		if ((l->v = realloc(l->v, l->cap * sizeof(double))) == NULL)
			die("out of memory");
	}
	l->v[l->n++] = ms;
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile; sorts in place. */
static double
lat_pct(struct lat *l, double p)
{
	size_t k;

	if (l->n == 0)
		return NAN;
	qsort(l->v, l->n, sizeof(double), dcmp);
	k = (size_t)ceil(p / 100.0 * (double)l->n);
	if (k == 0)
		k = 1;
	return l->v[k - 1];
}

/* ------------------------------------------------------------------ HTTP */

static void
conn_open_at(struct conn *c, const char *path)
{
	struct sockaddr_un sun;

	memset(c, 0, sizeof(*c));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		die("socket path too long");
	memcpy(sun.sun_path, path, strlen(path));
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		die("socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		die("connect %s: %s", path, strerror(errno));
	c->cap = 65536;
	c->buf = xmalloc(c->cap);
}

static void
conn_open(struct conn *c)
{
	conn_open_at(c, o.sock);
}

static void
conn_close(struct conn *c)
{
	close(c->fd);
	free(c->buf);
	free(c->body);
}

static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			die("write: %s", strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
}

static void
fill(struct conn *c)
{
	ssize_t r;

	if (c->len == c->cap) {
		c->cap *= 2;
		if ((c->buf = realloc(c->buf, c->cap)) == NULL)
			die("out of memory");
	}
	for (;;) {
		r = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			die("read: %s", strerror(errno));
		if (r == 0)
			die("the daemon closed the API connection");
		c->len += (size_t)r;
		return;
	}
}

/* Send one request (headers and body in one write). */
static void
request(struct conn *c, const char *method, const char *path,
    const char *body, size_t blen)
{
	char hdr[512];
	int n;

	n = snprintf(hdr, sizeof(hdr), "%s %s HTTP/1.1\r\nHost: localhost\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
	    method, path, blen);
	if (n < 0 || (size_t)n >= sizeof(hdr))
		die("request line too long");
	if (blen == 0) {
		write_all(c->fd, hdr, (size_t)n);
		return;
	}
	{
		char *p = xmalloc((size_t)n + blen);

		memcpy(p, hdr, (size_t)n);
		memcpy(p + n, body, blen);
		write_all(c->fd, p, (size_t)n + blen);
		free(p);
	}
}

/* Read one response: status, Content-Length body. */
static void
response(struct conn *c)
{
	char *end, *p, *line;
	size_t hlen, clen = 0;
	int have_len = 0;

	for (;;) {
		if (c->len >= 4 && (end = memmem(c->buf, c->len, "\r\n\r\n",
		    4)) != NULL)
			break;
		fill(c);
	}
	hlen = (size_t)(end - c->buf) + 4;
	*end = '\0';
	if (strncmp(c->buf, "HTTP/1.", 7) != 0 || hlen < 12)
		die("bad response: %.80s", c->buf);
	c->status = (int)strtol(c->buf + 9, NULL, 10);
	for (line = strstr(c->buf, "\r\n"); line != NULL;
	    line = strstr(line + 2, "\r\n")) {
		p = line + 2;
		if (strncasecmp(p, "Content-Length:", 15) == 0) {
			clen = (size_t)strtoull(p + 15, NULL, 10);
			have_len = 1;
		}
		if (strncasecmp(p, "Transfer-Encoding:", 18) == 0)
			die("chunked responses are not supported");
	}
	if (!have_len)
		die("response without Content-Length");
	while (c->len < hlen + clen)
		fill(c);
	free(c->body);
	c->body = xmalloc(clen + 1);
	memcpy(c->body, c->buf + hlen, clen);
	c->body[clen] = '\0';
	c->bodylen = clen;
	memmove(c->buf, c->buf + hlen + clen, c->len - hlen - clen);
	c->len -= hlen + clen;
}

/* The last 64-hex-digit string in quotes in s (the last id). */
static int
last_id(const char *s, char id[65])
{
	const char *p, *found = NULL;
	size_t i;

	for (p = strchr(s, '"'); p != NULL; p = strchr(p + 1, '"')) {
		for (i = 0; i < 64; i++) {
			char ch = p[1 + i];

			if (!((ch >= '0' && ch <= '9') || (ch >= 'a' &&
			    ch <= 'f')))
				break;
		}
		if (i == 64 && p[65] == '"')
			found = p + 1;
	}
	if (found == NULL)
		return -1;
	memcpy(id, found, 64);
	id[64] = '\0';
	return 0;
}

static int
is_delivered(const char *body)
{
	return strstr(body, "\"state\":\"delivered\"") != NULL ||
	    strstr(body, "\"state\":\"acknowledged\"") != NULL;
}

/* Hold GET ?wait=delivered until it is (the daemon caps a wait at 60 s). */
static void
wait_delivered(struct conn *c, const char *id)
{
	char path[160];

	snprintf(path, sizeof(path), "/v1/messages/%s?wait=delivered&"
	    "timeout=60000", id);
	for (;;) {
		request(c, "GET", path, NULL, 0);
		response(c);
		if (c->status != 200)
			die("GET %s: HTTP %d %s", path, c->status, c->body);
		if (is_delivered(c->body))
			return;
	}
}

/* ------------------------------------------------------------ messages */

/* One message object whose body serialises to exactly o.size bytes. */
static char *
msg_json(const char *channel, const char *prec, uint64_t n, size_t *lenp)
{
	size_t pad = o.size > 8 ? o.size - 8 : 1;
	char head[256], *s, *p;
	int h;

	h = snprintf(head, sizeof(head), "{\"to\":\"%s\",\"channel\":\"%s\","
	    "\"kind\":\"bench\",\"precedence\":\"%s\",\"body\":{\"p\":\"",
	    o.to, channel, prec);
	if (h < 0 || (size_t)h >= sizeof(head))
		die("message head too long");
	s = xmalloc((size_t)h + pad + 4);
	memcpy(s, head, (size_t)h);
	p = s + h;
	memset(p, 'x', pad);
	/* Unique bodies, so that ids never repeat. */
	{
		char num[24];
		int k = snprintf(num, sizeof(num), "%016llx",
		    (unsigned long long)n);

		if (k > 0 && (size_t)k <= pad)
			memcpy(p, num, (size_t)k);
	}
	p += pad;
	memcpy(p, "\"}}", 3);
	p += 3;
	*p = '\0';
	*lenp = (size_t)(p - s);
	return s;
}

static uint64_t seqno;
static pthread_mutex_t seq_mu = PTHREAD_MUTEX_INITIALIZER;

static uint64_t
next_seq(uint64_t n)
{
	uint64_t v;

	pthread_mutex_lock(&seq_mu);
	v = seqno;
	seqno += n;
	pthread_mutex_unlock(&seq_mu);
	return v;
}

/* POST one message; returns its id in id. */
static void
post_one(struct conn *c, const char *channel, const char *prec, char id[65])
{
	size_t len;
	char *m = msg_json(channel, prec, next_seq(1) ^ ((uint64_t)getpid() <<
	    40) ^ now_ns(), &len);

	request(c, "POST", "/v1/messages", m, len);
	free(m);
	response(c);
	if (c->status != 201 || last_id(c->body, id) == -1)
		die("POST /v1/messages: HTTP %d %s", c->status, c->body);
}

/* ---------------------------------------------------------------- RSS */

static long
status_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* CPU seconds (user + system) a process has used so far, or -1. */
static double
cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;
	int i;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the command's closing parenthesis (field 2): utime
	 * and stime are fields 14 and 15. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	for (i = 0; i < 12 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		return -1;
	ut = strtoull(p + 1, &p, 10);
	st = strtoull(p, NULL, 10);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void *
rss_loop(void *arg)
{
	struct rss *r = arg;
	int i;
	long v;

	while (!r->stop) {
		for (i = 0; i < 2; i++)
			if ((v = status_kb(r->pid[i], "VmRSS")) > r->peak_kb[i])
				r->peak_kb[i] = v;
		usleep(20000);
	}
	return NULL;
}

/* ----------------------------------------------------------------- output */

static void
jnum(const char *k, double v)
{
	if (isnan(v))
		printf(",\"%s\":null", k);
	else
		printf(",\"%s\":%.3f", k, v);
}

static void
emit(struct lat *l, struct lat *total, size_t count, double seconds,
    struct rss *r, const char *note)
{
	double la[3] = { -1, -1, -1 };
	long hwm_a = status_kb(o.pid_a, "VmHWM");
	long hwm_b = status_kb(o.pid_b, "VmHWM");
	struct rusage ru;

	getloadavg(la, 3);
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"peer\":\"hotline\",\"mode\":\"%s\",\"durability\":\"%s\"",
	    o.mode_name, DURABILITY);
	printf(",\"size\":%zu,\"window\":%zu,\"count\":%zu", o.size,
	    o.mode == M_ACCEPT || o.mode == M_E2E || o.mode == M_ONEWAY ?
	    (size_t)1 :
	    o.batch * o.conns, count);
	if (l != NULL) {
		printf(",\"samples\":%zu", l->n);
		jnum("p50_ms", lat_pct(l, 50));
		jnum("p90_ms", lat_pct(l, 90));
		jnum("p99_ms", lat_pct(l, 99));
		jnum("max_ms", lat_pct(l, 100));
	}
	if (total != NULL && o.mode == M_FLASH) {
		/* The flash message's own acceptance (POST -> 201). */
		jnum("accept_p50_ms", lat_pct(total, 50));
		jnum("accept_p99_ms", lat_pct(total, 99));
	} else if (total != NULL) {
		jnum("total_p50_ms", lat_pct(total, 50));
		jnum("total_p99_ms", lat_pct(total, 99));
	}
	jnum("seconds", seconds);
	jnum("msgs_per_s", seconds > 0 ? (double)count / seconds : NAN);
	/* broker_*: both daemons together, to compare with one broker. */
	printf(",\"broker_rss_peak_kb\":%ld,\"broker_hwm_kb\":%ld",
	    r ? r->peak_kb[0] + r->peak_kb[1] : -1L, hwm_a + hwm_b);
	printf(",\"sender_rss_peak_kb\":%ld,\"receiver_rss_peak_kb\":%ld",
	    r ? r->peak_kb[0] : -1L, r ? r->peak_kb[1] : -1L);
	printf(",\"sender_hwm_kb\":%ld,\"receiver_hwm_kb\":%ld", hwm_a,
	    hwm_b);
	printf(",\"batch\":%zu,\"conns\":%zu", o.batch, o.conns);
	if (r != NULL) {
		jnum("sender_cpu_s", cpu_s(o.pid_a) - r->cpu0[0]);
		jnum("receiver_cpu_s", cpu_s(o.pid_b) - r->cpu0[1]);
	}
	printf(",\"client_maxrss_kb\":%ld", ru.ru_maxrss);
	printf(",\"loadavg\":%.2f", la[0]);
	printf(",\"note\":\"%s\"}\n", note ? note : "");
	fflush(stdout);
}

/* ------------------------------------------------------------- modes */

static int	feed_next(const char *, char *, size_t);

/*
 * The receiver's feed cursor (GET /v1/messages?after=): the newest row's,
 * from a one-row page (its "next"), or "0" on an empty node.
 */
static void
feed_start(struct conn *rx, char *cursor, size_t len)
{
	request(rx, "GET", "/v1/messages?limit=1", NULL, 0);
	response(rx);
	if (rx->status != 200)
		die("GET /v1/messages: HTTP %d %s", rx->status, rx->body);
	if (feed_next(rx->body, cursor, len) == -1)
		snprintf(cursor, len, "0");
}

/* The "next" cursor of a list answer, or -1 if it is null. */
static int
feed_next(const char *body, char *cursor, size_t len)
{
	const char *p = strstr(body, "\"next\":\"");
	size_t n;

	if (p == NULL)
		return -1;
	p += 8;
	n = strspn(p, "0123456789");
	if (n == 0 || n >= len || p[n] != '"')
		return -1;
	memcpy(cursor, p, n);
	cursor[n] = '\0';
	return 0;
}

/* Ask the receiver's feed for the next inbound message (answered later). */
static void
feed_ask(struct conn *rx, const char *cursor)
{
	char path[128];

	snprintf(path, sizeof(path), "/v1/messages?dir=in&limit=1&after=%s&"
	    "wait=60000", cursor);
	request(rx, "GET", path, NULL, 0);
}

/* The feed's answer: it must be message id; cursor moves past it. */
static void
feed_got(struct conn *rx, const char *id, char *cursor, size_t len)
{
	response(rx);
	if (rx->status != 200 || strstr(rx->body, id) == NULL ||
	    feed_next(rx->body, cursor, len) == -1)
		die("feed: HTTP %d %.200s (waiting for %.12s)", rx->status,
		    rx->body, id);
}

static void
run_seq(void)
{
	struct conn c, rx;
	struct lat l = { 0 }, tot = { 0 };
	char id[65], cursor[32];
	uint64_t t0, t1, t2;
	size_t i;
	/* HB_SEQ_TRACE=FILE: monotonic us of request, 201, delivered (or
	 * the feed's answer) per counted message, as HB_FLASH_TRACE. */
	const char *tp = getenv("HB_SEQ_TRACE");
	FILE *tf = tp != NULL && *tp != '\0' ? fopen(tp, "w") : NULL;

	conn_open(&c);
	if (o.mode == M_ONEWAY) {
		conn_open_at(&rx, o.recv_sock);
		feed_start(&rx, cursor, sizeof(cursor));
	}
	for (i = 0; i < o.warmup + o.count; i++) {
		/* oneway: a consumer already waits at the receiver. */
		if (o.mode == M_ONEWAY)
			feed_ask(&rx, cursor);
		t0 = now_ns();
		post_one(&c, "cert", "routine", id);
		t1 = now_ns();
		if (o.mode == M_E2E) {
			wait_delivered(&c, id);
			t2 = now_ns();
		} else if (o.mode == M_ONEWAY) {
			feed_got(&rx, id, cursor, sizeof(cursor));
			t2 = now_ns();
		} else
			t2 = t1;
		if (i < o.warmup)
			continue;
		if (tf != NULL)
			fprintf(tf, "%llu %llu %llu %.12s\n",
			    (unsigned long long)(t0 / 1000),
			    (unsigned long long)(t1 / 1000),
			    (unsigned long long)(t2 / 1000), id);
		if (o.mode == M_ACCEPT)
			lat_add(&l, (double)(t1 - t0) / 1e6);
		else if (o.mode == M_ONEWAY)
			lat_add(&l, (double)(t2 - t0) / 1e6);
		else {
			lat_add(&l, (double)(t2 - t1) / 1e6);
			lat_add(&tot, (double)(t2 - t0) / 1e6);
		}
	}
	conn_close(&c);
	if (tf != NULL)
		fclose(tf);
	if (o.mode == M_ONEWAY)
		conn_close(&rx);
	emit(&l, o.mode == M_E2E ? &tot : NULL, o.count, -1, NULL,
	    o.mode == M_E2E ? "p50..max: 201 accepted -> signed receipt back "
	    "at the sender (wait=delivered); total_*: request -> delivered" :
	    o.mode == M_ONEWAY ? "request -> a consumer waiting at the "
	    "receiver has it (its feed, GET /v1/messages?after=&wait=, "
	    "answered by the commit there), as a broker's publish -> "
	    "consumer; the receipt goes back meanwhile" :
	    "request written -> 201 read (after commit)");
	free(l.v);
	free(tot.v);
}

/* Bulk streamer: one per connection. */
struct streamer {
	pthread_t	 th;
	size_t		 count;		/* messages this streamer sends */
	const char	*channel, *prec;
	char		 last[65];
};

static void *
stream_loop(void *arg)
{
	struct streamer *s = arg;
	struct conn c;
	size_t sent = 0, n, i, len, cap, blen;
	char *body, *m;
	uint64_t base;
	const char *gap = getenv("HB_GAP_US");
	useconds_t gap_us;

	gap_us = gap != NULL ? (useconds_t)atoi(gap) : 0;
	conn_open(&c);
	cap = o.batch * (o.size + 256) + 64;
	body = xmalloc(cap);
	while (sent < s->count) {
		n = s->count - sent < o.batch ? s->count - sent : o.batch;
		base = next_seq(n);
		memcpy(body, "{\"messages\":[", 13);
		blen = 13;
		for (i = 0; i < n; i++) {
			m = msg_json(s->channel, s->prec, base + i, &len);
			if (blen + len + 4 > cap)
				die("batch buffer too small");
			if (i > 0)
				body[blen++] = ',';
			memcpy(body + blen, m, len);
			blen += len;
			free(m);
		}
		memcpy(body + blen, "]}", 2);
		blen += 2;
		request(&c, "POST", "/v1/messages/batch", body, blen);
		response(&c);
		if (c.status != 201 || last_id(c.body, s->last) == -1)
			die("POST /v1/messages/batch: HTTP %d %.200s", c.status,
			    c.body);
		sent += n;
		if (gap_us > 0)
			usleep(gap_us);
	}
	free(body);
	/* Receipts are cumulative: the last id delivered implies the rest. */
	wait_delivered(&c, s->last);
	conn_close(&c);
	return NULL;
}

static volatile int flash_stop;
static struct lat flash_lat, flash_acc;	/* POST -> delivered, POST -> 201 */

static void *
flash_loop(void *arg)
{
	struct conn c;
	char id[65];
	uint64_t t0, t1, t2, next;
	const char *tp = getenv("HB_FLASH_TRACE");
	FILE *tf = tp != NULL && *tp != '\0' ? fopen(tp, "w") : NULL;

	(void)arg;
	conn_open(&c);
	next = now_ns();
	while (!flash_stop) {
		t0 = now_ns();
		post_one(&c, "direct", "flash", id);
		t1 = now_ns();
		lat_add(&flash_acc, (double)(t1 - t0) / 1e6);
		wait_delivered(&c, id);
		t2 = now_ns();
		lat_add(&flash_lat, (double)(t2 - t0) / 1e6);
		/* HB_FLASH_TRACE=FILE: monotonic us of POST, 201, delivered
		 * per flash message, to join with a -DHOTLINE_TRACE=ON
		 * daemon's lines (bench/trace_flash.py). */
		if (tf != NULL)
			fprintf(tf, "%llu %llu %llu %.12s\n",
			    (unsigned long long)(t0 / 1000),
			    (unsigned long long)(t1 / 1000),
			    (unsigned long long)(t2 / 1000), id);
		next += (uint64_t)o.interval_ms * 1000000u;
		while (!flash_stop && now_ns() < next)
			usleep(1000);
		if (now_ns() > next + (uint64_t)o.interval_ms * 1000000u)
			next = now_ns();
	}
	if (tf != NULL)
		fclose(tf);
	conn_close(&c);
	return NULL;
}

static void
run_stream(void)
{
	struct streamer *s;
	struct rss r;
	pthread_t fth;
	uint64_t t0, t1;
	size_t i;
	char note[256];

	memset(&r, 0, sizeof(r));
	r.pid[0] = o.pid_a;
	r.pid[1] = o.pid_b;
	r.cpu0[0] = cpu_s(o.pid_a);
	r.cpu0[1] = cpu_s(o.pid_b);
	pthread_create(&r.th, NULL, rss_loop, &r);
	s = calloc(o.conns, sizeof(*s));
	if (s == NULL)
		die("out of memory");
	if (o.mode == M_FLASH)
		pthread_create(&fth, NULL, flash_loop, NULL);
	t0 = now_ns();
	for (i = 0; i < o.conns; i++) {
		s[i].count = o.count / o.conns + (i < o.count % o.conns);
		s[i].channel = "cert";
		s[i].prec = "routine";
		pthread_create(&s[i].th, NULL, stream_loop, &s[i]);
	}
	for (i = 0; i < o.conns; i++)
		pthread_join(s[i].th, NULL);
	t1 = now_ns();
	if (o.mode == M_FLASH) {
		flash_stop = 1;
		pthread_join(fth, NULL);
	}
	r.stop = 1;
	pthread_join(r.th, NULL);
	if (o.mode == M_FLASH)
		snprintf(note, sizeof(note), "p50..max: flash message on "
		    "direct, POST -> delivered, every %u ms while the bulk "
		    "streams; msgs_per_s: bulk, first request -> last "
		    "delivered; batches of %zu on %zu connections",
		    o.interval_ms, o.batch, o.conns);
	else
		snprintf(note, sizeof(note), "first request -> last message "
		    "delivered (signed receipt at the sender); batches of %zu "
		    "on %zu connections", o.batch, o.conns);
	emit(o.mode == M_FLASH ? &flash_lat : NULL, o.mode == M_FLASH ?
	    &flash_acc : NULL, o.count,
	    (double)(t1 - t0) / 1e9, &r, note);
	free(s);
}

/* ------------------------------------------------------------------ main */

static size_t
num(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		die("bad number for %s: %s", what, s);
	return (size_t)v;
}

static void
usage(void)
{
	die("usage: hotline_bench accept|e2e|oneway|throughput|flash "
	    "--sock API_SOCK "
	    "[--recv-sock API_SOCK] [--to PARTY] [--count N] [--bulk N] "
	    "[--size BYTES] [--batch N] [--conns N] [--interval-ms N] "
	    "[--warmup N] [--pid-a PID] [--pid-b PID]");
}

int
main(int argc, char **argv)
{
	int i;

	if (argc < 2)
		usage();
	o.mode_name = argv[1];
	if (strcmp(argv[1], "accept") == 0)
		o.mode = M_ACCEPT;
	else if (strcmp(argv[1], "e2e") == 0)
		o.mode = M_E2E;
	else if (strcmp(argv[1], "oneway") == 0)
		o.mode = M_ONEWAY;
	else if (strcmp(argv[1], "throughput") == 0)
		o.mode = M_THROUGHPUT;
	else if (strcmp(argv[1], "flash") == 0)
		o.mode = M_FLASH;
	else
		usage();
	o.to = "ru";
	o.size = o.mode == M_ACCEPT || o.mode == M_E2E || o.mode == M_ONEWAY ?
	    256 : 1024;
	o.count = o.mode == M_THROUGHPUT ? 100000 : o.mode == M_FLASH ?
	    1000000 : 2000;
	o.batch = 1000;
	o.conns = 1;
	o.warmup = 50;
	o.interval_ms = 50;
	for (i = 2; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			usage();
		i++;
		if (strcmp(k, "--sock") == 0)
			o.sock = v;
		else if (strcmp(k, "--recv-sock") == 0)
			o.recv_sock = v;
		else if (strcmp(k, "--to") == 0)
			o.to = v;
		else if (strcmp(k, "--count") == 0 || strcmp(k, "--bulk") == 0)
			o.count = num(v, k);
		else if (strcmp(k, "--size") == 0)
			o.size = num(v, k);
		else if (strcmp(k, "--batch") == 0)
			o.batch = num(v, k);
		else if (strcmp(k, "--conns") == 0)
			o.conns = num(v, k);
		else if (strcmp(k, "--warmup") == 0)
			o.warmup = num(v, k);
		else if (strcmp(k, "--interval-ms") == 0)
			o.interval_ms = (unsigned)num(v, k);
		else if (strcmp(k, "--pid-a") == 0)
			o.pid_a = (pid_t)num(v, k);
		else if (strcmp(k, "--pid-b") == 0)
			o.pid_b = (pid_t)num(v, k);
		else
			usage();
	}
	if (o.sock == NULL || o.size < 9 || o.batch < 1 || o.batch > 1000 ||
	    o.conns < 1 || o.count < 1 || o.interval_ms < 1)
		usage();
	if (o.mode == M_ONEWAY && o.recv_sock == NULL)
		die("oneway needs --recv-sock (the receiver's api.sock)");
	if (o.mode == M_ACCEPT || o.mode == M_E2E || o.mode == M_ONEWAY)
		run_seq();
	else
		run_stream();
	return 0;
}
