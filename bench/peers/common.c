/*
 * common.c: helpers shared by the peer load clients (see common.h).  The
 * JSON object printed per run has: peer, mode, durability, size, window,
 * count, p50_ms p90_ms p99_ms max_ms (latency modes), seconds and msgs_per_s
 * (throughput and flash), broker_rss_peak_kb, broker_hwm_kb and
 * client_maxrss_kb, loadavg (one minute, at the end) and a note.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

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
	die("usage: BENCH accept|e2e|throughput|flash --dir CERTDIR "
	    "[--port N] [--count N] [--bulk N] [--size BYTES] [--window N] "
	    "[--interval-ms N] [--broker-pid PID] [--warmup N]");
}

/*
 * Defaults: accept/e2e 2000 messages of 256 B; throughput 100,000 of 1 KiB;
 * flash 1,000,000 bulk of 1 KiB with a flash message every 50 ms; window 64.
 */
void
opts_parse(struct opts *o, int argc, char **argv, int default_port)
{
	int i;
	size_t count = 0, size = 0;

	memset(o, 0, sizeof(*o));
	if (argc < 2)
		usage();
	o->mode_name = argv[1];
	if (strcmp(argv[1], "accept") == 0)
		o->mode = MODE_ACCEPT;
	else if (strcmp(argv[1], "e2e") == 0)
		o->mode = MODE_E2E;
	else if (strcmp(argv[1], "throughput") == 0)
		o->mode = MODE_THROUGHPUT;
	else if (strcmp(argv[1], "flash") == 0)
		o->mode = MODE_FLASH;
	else
		usage();
	o->port = default_port;
	o->window = 64;
	o->interval_ms = 50;
	o->warmup = 50;
	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			usage();
		if (strcmp(a, "--dir") == 0)
			o->dir = v;
		else if (strcmp(a, "--port") == 0)
			o->port = (int)num(v, a);
		else if (strcmp(a, "--count") == 0 || strcmp(a, "--bulk") == 0)
			count = num(v, a);
		else if (strcmp(a, "--size") == 0)
			size = num(v, a);
		else if (strcmp(a, "--window") == 0)
			o->window = num(v, a);
		else if (strcmp(a, "--interval-ms") == 0)
			o->interval_ms = (unsigned)num(v, a);
		else if (strcmp(a, "--broker-pid") == 0)
			o->broker_pid = (pid_t)num(v, a);
		else if (strcmp(a, "--warmup") == 0)
			o->warmup = num(v, a);
		else
			usage();
		i++;
	}
	if (o->dir == NULL)
		usage();
	switch (o->mode) {
	case MODE_ACCEPT:
	case MODE_E2E:
		o->count = count ? count : 2000;
		o->size = size ? size : 256;
		break;
	case MODE_THROUGHPUT:
		o->count = count ? count : 100000;
		o->size = size ? size : 1024;
		break;
	case MODE_FLASH:
		o->count = count ? count : 1000000;
		o->size = size ? size : 1024;
		break;
	}
	if (o->size < PAYLOAD_HDR)
		o->size = PAYLOAD_HDR;
	if (o->window == 0)
		o->window = 1;
}

void
lat_add(struct lat *l, double ms)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 1024;
		double *nv = realloc(l->v, nc * sizeof(*nv));

		if (nv == NULL)
			die("out of memory");
		l->v = nv;
		l->cap = nc;
	}
	l->v[l->n++] = ms;
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile p (0..100) of the samples; NAN when empty. */
double
lat_pct(struct lat *l, double p)
{
	size_t k;

	if (l->n == 0)
		return NAN;
	qsort(l->v, l->n, sizeof(*l->v), dcmp);
	k = (size_t)ceil(p / 100.0 * (double)l->n);
	if (k == 0)
		k = 1;
	if (k > l->n)
		k = l->n;
	return l->v[k - 1];
}

void
lat_free(struct lat *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Reads "Field:   1234 kB" from /proc/PID/status; -1 if absent. */
static long
status_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	FILE *f;
	long v = -1;
	size_t fl = strlen(field);
	int n;

	n = snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
			v = strtol(line + fl + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static void *
rss_loop(void *arg)
{
	struct rss *r = arg;
	long v;

	while (!r->stop) {
		v = status_kb(r->pid, "VmRSS");
		if (v > r->peak_kb)
			r->peak_kb = v;
		usleep(20000);
	}
	return NULL;
}

/* Samples VmRSS of pid every 20 ms until rss_stop; pid 0 samples nothing. */
void
rss_start(struct rss *r, pid_t pid)
{
	memset(r, 0, sizeof(*r));
	r->pid = pid;
	r->peak_kb = -1;
	r->hwm_kb = -1;
	if (pid <= 0)
		return;
	if (pthread_create(&r->th, NULL, rss_loop, r) != 0)
		die("pthread_create");
	r->running = 1;
}

void
rss_stop(struct rss *r)
{
	long v;

	if (!r->running)
		return;
	r->stop = 1;
	pthread_join(r->th, NULL);
	r->running = 0;
	v = status_kb(r->pid, "VmRSS");
	if (v > r->peak_kb)
		r->peak_kb = v;
	r->hwm_kb = status_kb(r->pid, "VmHWM");
}

long
self_maxrss_kb(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	return ru.ru_maxrss;
}

uint64_t
run_id_new(void)
{
	uint64_t id = 0;
	int fd;

	if ((fd = open("/dev/urandom", O_RDONLY)) >= 0) {
		if (read(fd, &id, sizeof(id)) != (ssize_t)sizeof(id))
			id = 0;
		close(fd);
	}
	if (id == 0)
		id = now_ns() ^ ((uint64_t)getpid() << 32);
	return id;
}

static void
put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (56 - 8 * i));
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

void
payload_fill(unsigned char *p, size_t len, uint64_t t, uint64_t run,
    uint64_t seq)
{
	size_t i;

	put64(p, t);
	put64(p + 8, run);
	put64(p + 16, seq);
	for (i = PAYLOAD_HDR; i < len; i++)
		p[i] = (unsigned char)('a' + i % 26);
}

/* 0 and the header fields when len holds a header; -1 otherwise. */
int
payload_read(const unsigned char *p, size_t len, uint64_t *t, uint64_t *run,
    uint64_t *seq)
{
	if (len < PAYLOAD_HDR)
		return -1;
	*t = get64(p);
	*run = get64(p + 8);
	*seq = get64(p + 16);
	return 0;
}

/* One-minute load average, to show how busy the machine was; -1 if unknown. */
static double
loadavg1(void)
{
	double v;

	if (getloadavg(&v, 1) != 1)
		return -1;
	return v;
}

static void
jnum(const char *key, double v)
{
	if (isnan(v))
		printf(",\"%s\":null", key);
	else
		printf(",\"%s\":%.3f", key, v);
}

void
emit_json(const struct opts *o, const char *peer, const char *durability,
    struct lat *l, size_t count, double seconds, const struct rss *r,
    const char *note)
{
	printf("{\"peer\":\"%s\",\"mode\":\"%s\",\"durability\":\"%s\"",
	    peer, o->mode_name, durability);
	printf(",\"size\":%zu,\"window\":%zu,\"count\":%zu", o->size,
	    o->mode == MODE_ACCEPT || o->mode == MODE_E2E ? (size_t)1 :
	    o->window, count);
	if (l != NULL) {
		printf(",\"samples\":%zu", l->n);
		jnum("p50_ms", lat_pct(l, 50));
		jnum("p90_ms", lat_pct(l, 90));
		jnum("p99_ms", lat_pct(l, 99));
		jnum("max_ms", lat_pct(l, 100));
	}
	jnum("seconds", seconds);
	jnum("msgs_per_s", seconds > 0 ? (double)count / seconds : NAN);
	printf(",\"broker_rss_peak_kb\":%ld,\"broker_hwm_kb\":%ld",
	    r ? r->peak_kb : -1L, r ? r->hwm_kb : -1L);
	printf(",\"client_maxrss_kb\":%ld", self_maxrss_kb());
	printf(",\"loadavg\":%.2f", loadavg1());
	printf(",\"note\":\"%s\"}\n", note ? note : "");
	fflush(stdout);
}
