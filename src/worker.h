#ifndef HOTLINE_WORKER_H
#define HOTLINE_WORKER_H

#include <event2/event.h>

/*
 * worker.c: one background thread for pure work (parsing, validating,
 * serialising; no libevent, and no SQLite but a connection of the thread's
 * own, as store.c's checkpoints) so the event loop goes on meanwhile.
 * A job is run(run_arg) on the thread, then done(arg, 0) on the loop. The
 * thread and its wake-up pipe are started on first use; if that fails,
 * worker_submit() returns -1 and the caller does the work inline.
 */
struct worker;
typedef void (*worker_run)(void *arg);
/* cancelled: 1 when the worker is freed before the job came back (run may
 * or may not have happened); done must then only free arg. */
typedef void (*worker_done)(void *arg, int cancelled);

/* name is for the log ("cert", "api"). */
struct worker	*worker_new(struct event_base *base, const char *name);
/*
 * Queue run(run_arg) then done(arg, 0) on the loop, in order. With
 * done NULL the job is only run (freeing on the thread); first puts it
 * ahead of the queue. 0, or -1 when there is no thread (could not start, or
 * start is 0 and it is not running yet): nothing queued.
 */
int	worker_submit(struct worker *w, worker_run run, void *run_arg,
	    worker_done done, void *arg, int first, int start);
/* Stop and join the thread; queued and finished jobs get done(arg, 1), or
 * run(run_arg) when done is NULL. */
void	worker_free(struct worker *w);

#endif
