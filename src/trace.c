/*
 * trace.c: see trace.h. Only built into the daemon with -DHOTLINE_TRACE=ON.
 * Event-loop only (no locking): spans nest, and only the outermost one is
 * counted towards the time a stall is explained by.
 */
#ifdef HOTLINE_TRACE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "msg.h"
#include "trace.h"
#include "util.h"

#define TRACE_TICK_US	1000

static struct event	*tick;
static uint64_t		 tick_due;	/* when the tick should fire */
static uint64_t		 spans_us;	/* outermost spans since the tick */
static int		 depth;
static int		 schedfd = -1;	/* the loop thread's schedstat */
static uint64_t		 run0, wait0;	/* its counters at the last tick */

/* The loop thread's time on a CPU and waiting for one, in ns. */
static void
sched_read(uint64_t *run, uint64_t *wait)
{
	unsigned long long r, w;
	char buf[96], *end, *end2;
	ssize_t n;

	*run = *wait = 0;
	if (schedfd == -1 || (n = pread(schedfd, buf, sizeof(buf) - 1, 0)) <= 0)
		return;
	buf[n] = '\0';
	/* "run wait slices\n", decimal */
	errno = 0;
	r = strtoull(buf, &end, 10);
	if (end == buf || *end != ' ')
		return;
	w = strtoull(end + 1, &end2, 10);
	if (end2 == end + 1 || errno != 0)
		return;
	*run = r;
	*wait = w;
}

static void
tickcb(evutil_socket_t fd, short ev, void *arg)
{
	uint64_t now = now_mono_us(), run, wait;

	(void)fd;
	(void)ev;
	(void)arg;
	sched_read(&run, &wait);
	/* A stall: how late, how much of it traced callbacks explain, and
	 * how long the thread ran and waited for a CPU since the last tick
	 * (the rest it was blocked: fdatasync, reads). */
	if (tick_due != 0 && now > tick_due + TRACE_SLOW_US)
		fprintf(stderr, "trace %llu stall %llu %llu %llu %llu\n",
		    (unsigned long long)now,
		    (unsigned long long)(now - tick_due),
		    (unsigned long long)spans_us,
		    (unsigned long long)((run - run0) / 1000),
		    (unsigned long long)((wait - wait0) / 1000));
	run0 = run;
	wait0 = wait;
	spans_us = 0;
	tick_due = now + TRACE_TICK_US;
}

void
trace_start(struct event_base *base)
{
	struct timeval tv = { 0, TRACE_TICK_US };

	setvbuf(stderr, NULL, _IOLBF, 0);
	schedfd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	sched_read(&run0, &wait0);
	tick = event_new(base, -1, EV_PERSIST, tickcb, NULL);
	if (tick != NULL)
		event_add(tick, &tv);
	tick_due = now_mono_us() + TRACE_TICK_US;
}

void
trace_stop(void)
{
	if (tick != NULL)
		event_free(tick);
	tick = NULL;
	if (schedfd != -1)
		close(schedfd);
	schedfd = -1;
}

uint64_t
trace_begin(void)
{
	depth++;
	return now_mono_us();
}

void
trace_end(const char *what, const char *detail, uint64_t t0)
{
	uint64_t now = now_mono_us(), dur = now - t0;

	if (--depth == 0)
		spans_us += dur;
	if (dur >= TRACE_SLOW_US)
		fprintf(stderr, "trace %llu span %s %llu %s\n",
		    (unsigned long long)now, what, (unsigned long long)dur,
		    detail != NULL ? detail : "");
}

void
trace_sub(const char *what, uint64_t t0)
{
	uint64_t now = now_mono_us();

	if (now - t0 >= TRACE_SLOW_US / 5)
		fprintf(stderr, "trace %llu span %s %llu\n",
		    (unsigned long long)now, what,
		    (unsigned long long)(now - t0));
}

void
trace_flash(const char *phase, int ch, int prec, uint64_t seq,
    uint64_t value)
{
	if (ch != CH_DIRECT || prec != PREC_FLASH)
		return;
	fprintf(stderr, "trace %llu flash %s %llu %llu\n",
	    (unsigned long long)now_mono_us(), phase,
	    (unsigned long long)seq, (unsigned long long)value);
}
#else
typedef int trace_empty_unit;	/* ISO C: no empty translation unit */
#endif
