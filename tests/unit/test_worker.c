/*
 * test_worker.c: the background worker (src/worker.c). Jobs run on the
 * thread and come back to the event loop in submission order; "first" jobs
 * jump the queue; without an event base there is no thread and the caller
 * is told to work inline; freeing the worker cancels what never came back
 * (done(arg, 1)) and runs the done-less jobs (they free).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "testlib.h"
#include "worker.h"

#define NJOBS	50

struct job {
	int	 ran;		/* set on the thread */
	int	 done;		/* 1 + order of done(), 0: not yet */
	int	 cancelled;
	int	*order;		/* shared counter */
	struct event_base *base;
	int	*left;
};

static void
job_run(void *arg)
{
	struct job *j = arg;

	j->ran = 1;
}

static void
job_done(void *arg, int cancelled)
{
	struct job *j = arg;

	j->cancelled = cancelled;
	j->done = ++*j->order;
	if (!cancelled && --*j->left == 0)
		event_base_loopbreak(j->base);
}

static void
count_run(void *arg)
{
	(*(int *)arg)++;
}

/* Queue the NJOBS jobs, in order, each counting into *order and *left. */
static void
submit_jobs(struct worker *w, struct event_base *base, struct job *jobs,
    int *order, int *left)
{
	int i;

	for (i = 0; i < NJOBS; i++) {
		jobs[i].order = order;
		jobs[i].base = base;
		jobs[i].left = left;
		assert_int_equal(worker_submit(w, job_run, &jobs[i], job_done,
		    &jobs[i], 0, 1), 0);
	}
}

static void
test_order(void **state)
{
	struct event_base *base = event_base_new();
	struct worker *w;
	struct job jobs[NJOBS];
	int i, order = 0, left = NJOBS;

	(void)state;
	assert_non_null(base);
	w = worker_new(base, "test");
	memset(jobs, 0, sizeof(jobs));
	submit_jobs(w, base, jobs, &order, &left);
	assert_int_equal(event_base_dispatch(base), 0);
	for (i = 0; i < NJOBS; i++) {
		assert_int_equal(jobs[i].ran, 1);
		assert_int_equal(jobs[i].cancelled, 0);
		assert_int_equal(jobs[i].done, i + 1);
	}
	worker_free(w);
	event_base_free(base);
}

static void
test_no_base_inline(void **state)
{
	struct worker *w = worker_new(NULL, "test");
	int n = 0;

	(void)state;
	/* No loop, no thread: the caller works inline; nothing queued. */
	assert_int_equal(worker_submit(w, count_run, &n, NULL, NULL, 0, 1), -1);
	assert_int_equal(worker_submit(NULL, count_run, &n, NULL, NULL, 0, 1),
	    -1);
	worker_free(w);
	assert_int_equal(n, 0);
}

static void
test_not_started(void **state)
{
	struct event_base *base = event_base_new();
	struct worker *w = worker_new(base, "test");
	int n = 0;

	(void)state;
	/* start 0 does not start the thread (cert_prep_release). */
	assert_int_equal(worker_submit(w, count_run, &n, NULL, NULL, 1, 0), -1);
	assert_int_equal(n, 0);
	worker_free(w);
	event_base_free(base);
}

static void
test_free_cancels(void **state)
{
	struct event_base *base = event_base_new();
	struct worker *w = worker_new(base, "test");
	struct job jobs[NJOBS];
	int i, order = 0, left = NJOBS, n = 0;

	(void)state;
	memset(jobs, 0, sizeof(jobs));
	submit_jobs(w, base, jobs, &order, &left);
	assert_int_equal(worker_submit(w, count_run, &n, NULL, NULL, 1, 0), 0);
	/* The loop never runs: every job is answered by worker_free, with
	 * cancelled set, and the done-less one is run (on the thread or at
	 * the free). */
	worker_free(w);
	for (i = 0; i < NJOBS; i++) {
		assert_int_equal(jobs[i].cancelled, 1);
		assert_true(jobs[i].done > 0);
	}
	assert_int_equal(order, NJOBS);
	assert_int_equal(n, 1);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_no_base_inline),
		cmocka_unit_test(test_not_started),
		cmocka_unit_test(test_free_cancels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
