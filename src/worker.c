/*
 * worker.c: a background thread with a job queue, and a pipe back to the
 * event loop that hands finished jobs to their done callbacks (worker.h).
 * Used by the CERT module (TAXII envelopes) and the API (message batches).
 */
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "worker.h"

struct worker_job {
	TAILQ_ENTRY(worker_job)	 entry;
	worker_run		 run;
	void			*run_arg;
	worker_done		 done;
	void			*arg;
};
TAILQ_HEAD(worker_jobs, worker_job);

struct worker {
	struct event_base	*base;
	const char		*name;
	int			 up, failed, stop;
	pthread_t		 th;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct worker_jobs	 todo, done;
	int			 pfd[2];
	struct event		*ev;
};

struct worker *
worker_new(struct event_base *base, const char *name)
{
	struct worker *w = xcalloc(1, sizeof(*w));

	w->base = base;
	w->name = name;
	w->pfd[0] = w->pfd[1] = -1;
	TAILQ_INIT(&w->todo);
	TAILQ_INIT(&w->done);
	return w;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct worker_job *j;
	ssize_t n;

	/* Its name shows in top -H and /proc (at most 15 bytes). */
	(void)pthread_setname_np(pthread_self(), w->name);
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stop && TAILQ_EMPTY(&w->todo))
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		j = TAILQ_FIRST(&w->todo);
		TAILQ_REMOVE(&w->todo, j, entry);
		pthread_mutex_unlock(&w->mu);
		j->run(j->run_arg);
		pthread_mutex_lock(&w->mu);
		if (j->done == NULL) {
			free(j);
			continue;
		}
		TAILQ_INSERT_TAIL(&w->done, j, entry);
		/* Full pipe: a wake-up is already pending. */
		do
			n = write(w->pfd[1], "", 1);
		while (n == -1 && errno == EINTR);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* The event loop's side: hand the finished jobs to their callbacks. */
static void
worker_wake(evutil_socket_t fd, short ev, void *arg)
{
	struct worker *w = arg;
	struct worker_jobs done;
	struct worker_job *j;
	char buf[64];

	(void)ev;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	TAILQ_INIT(&done);
	pthread_mutex_lock(&w->mu);
	TAILQ_CONCAT(&done, &w->done, entry);
	pthread_mutex_unlock(&w->mu);
	while ((j = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, j, entry);
		j->done(j->arg, 0);
		free(j);
	}
}

/* Start the thread and its pipe; 0 or -1. */
static int
worker_start(struct worker *w)
{
	int i;

	if (w->base == NULL)
		return -1;
	if (pipe(w->pfd) == -1) {
		log_warn("%s: pipe", w->name);
		return -1;
	}
	for (i = 0; i < 2; i++)
		if (fcntl(w->pfd[i], F_SETFL, O_NONBLOCK) == -1 ||
		    fcntl(w->pfd[i], F_SETFD, FD_CLOEXEC) == -1)
			goto fail;
	if ((w->ev = event_new(w->base, w->pfd[0], EV_READ | EV_PERSIST,
	    worker_wake, w)) == NULL || event_add(w->ev, NULL) == -1)
		goto fail;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->th, NULL, worker_main, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		goto fail;
	}
	w->up = 1;
	return 0;
fail:
	log_warnx("%s: cannot start the worker thread; working on the event "
	    "loop", w->name);
	if (w->ev != NULL)
		event_free(w->ev);
	w->ev = NULL;
	close(w->pfd[0]);
	close(w->pfd[1]);
	w->pfd[0] = w->pfd[1] = -1;
	return -1;
}

int
worker_submit(struct worker *w, worker_run run, void *run_arg,
    worker_done done, void *arg, int first, int start)
{
	struct worker_job *j;

	if (w == NULL)
		return -1;
	if (!w->up && (!start || w->failed ||
	    (w->failed = worker_start(w) == -1)))
		return -1;
	j = xcalloc(1, sizeof(*j));
	j->run = run;
	j->run_arg = run_arg;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&w->mu);
	if (first)
		TAILQ_INSERT_HEAD(&w->todo, j, entry);
	else
		TAILQ_INSERT_TAIL(&w->todo, j, entry);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

void
worker_free(struct worker *w)
{
	struct worker_job *j;

	if (w == NULL)
		return;
	if (w->up) {
		pthread_mutex_lock(&w->mu);
		w->stop = 1;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->th, NULL);
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
	}
	/* Jobs never answered: their requests went with the API. */
	TAILQ_CONCAT(&w->done, &w->todo, entry);
	while ((j = TAILQ_FIRST(&w->done)) != NULL) {
		TAILQ_REMOVE(&w->done, j, entry);
		if (j->done != NULL)
			j->done(j->arg, 1);
		else
			j->run(j->run_arg);
		free(j);
	}
	if (w->ev != NULL)
		event_free(w->ev);
	if (w->pfd[0] != -1)
		close(w->pfd[0]);
	if (w->pfd[1] != -1)
		close(w->pfd[1]);
	free(w);
}
