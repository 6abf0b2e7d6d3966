/*
 * notify.c: acknowledgment deadlines, overdue escalation and late
 * acknowledgments (see notify.h for the rules).
 *
 * A pass of notify_scan() runs in one transaction: it records every newly
 * overdue message (table deadlines, an "overdue" event) and every
 * acknowledgment queued by the store's trigger that came after its
 * deadline (an "ack-late" event), then commits, and only then starts the
 * hooks. The deadlines row is committed before its hook starts, so a crash
 * in between loses that page rather than paging twice: the hook runs at
 * most once per message, and the overdue state stays in the log, the
 * inbox and the API either way.
 *
 * Hooks run as /bin/sh -c COMMAND with stdin from /dev/null, no inherited
 * descriptors beyond stdout/stderr, and HOTLINE_* variables describing the
 * message (docs in hotline.conf(5)). They are not waited for; finished ones
 * are reaped at the next pass and their exit status logged.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"
#include "msg.h"
#include "notify.h"
#include "store_nrrc.h"
#include "util.h"

#define SCAN_BATCH	64	/* messages per (channel, precedence) per pass */
#define HOOKS_MAX	64	/* hooks tracked for reaping */

struct notify {
	struct store		*st;
	const struct config	*cf;
	const struct tpl_cat	*cat;
	notify_clock_fn		 clock;
	void			*clock_arg;
	pid_t			 hooks[HOOKS_MAX];
	int			 nhooks;
};

static const char *const dl_names[] = {
	[DL_NONE] = "none", [DL_OPEN] = "open", [DL_OVERDUE] = "overdue",
	[DL_MET] = "acknowledged", [DL_LATE] = "acknowledged-late",
};

const char *
deadline_state_name(int s)
{
	if (s < DL_NONE || s > DL_LATE)
		return "?";
	return dl_names[s];
}

uint64_t
notify_duration(const struct config *cf, int ch, int prec)
{
	if (ch < CH_MIN || ch > CH_MAX || prec < PREC_MIN || prec > PREC_MAX)
		return 0;
	return cf->deadline_ms[ch][prec];
}

static bool
kind_needs_ack(const char *kind)
{
	return strcmp(kind, "ack") != 0 && strcmp(kind, "pong") != 0;
}

uint64_t
notify_deadline(const struct config *cf, const struct msg_row *r)
{
	uint64_t d = notify_duration(cf, r->m.channel, r->m.prec);

	if (d == 0 || r->received == 0 || !kind_needs_ack(r->m.kind))
		return 0;
	return r->received + d;
}

int
notify_facts(struct store *st, const struct config *cf,
    const struct msg_row *r, uint64_t now, struct deadline_facts *f)
{
	memset(f, 0, sizeof(*f));
	if ((f->deadline = notify_deadline(cf, r)) == 0)
		return 0;
	if (store_nrrc_deadline_get(st, r->id, &f->overdue_at, &f->hook_at,
	    &f->late_at) == -1)
		return -1;
	if (r->ack_id[0] != '\0')
		f->state = r->acked > f->deadline ? DL_LATE : DL_MET;
	else
		f->state = now >= f->deadline || f->overdue_at != 0 ?
		    DL_OVERDUE : DL_OPEN;
	return 0;
}

static uint64_t
wall_clock(void *arg)
{
	(void)arg;
	return now_utc_ms();
}

struct notify *
notify_new(struct store *st, const struct config *cf,
    const struct tpl_cat *cat, notify_clock_fn clock, void *clock_arg)
{
	struct notify *n = xcalloc(1, sizeof(*n));

	n->st = st;
	n->cf = cf;
	n->cat = cat;
	n->clock = clock != NULL ? clock : wall_clock;
	n->clock_arg = clock_arg;
	return n;
}

void
notify_free(struct notify *n)
{
	free(n);
}

/* Collect ids into a growing array of strings. */
struct idlist {
	char	(*ids)[ID_HEX_LEN + 1];
	int	  n, cap;
};

static int
idlist_add(void *arg, const char *id)
{
	struct idlist *l = arg;

	if (strlen(id) != ID_HEX_LEN)
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 16 : l->cap * 2;
		l->ids = xreallocarray(l->ids, (size_t)l->cap,
		    sizeof(*l->ids));
	}
	memcpy(l->ids[l->n++], id, ID_HEX_LEN + 1);
	return 0;
}

/* The template name and "reference" field of a body, if it has them. */
static void
body_names(const struct tpl_cat *cat, const struct msg_row *r, char *tname,
    size_t tsz, char *ref, size_t rsz, char *summary, size_t ssz)
{
	char name[TPL_NAME_MAX + 1], catid[TPL_NAME_MAX + 1];
	const struct tpl *t;
	json_t *fields = NULL;
	const char *s;
	uint32_t ver;
	int st;

	tname[0] = ref[0] = '\0';
	st = tpl_body_classify(cat, r->m.body, r->m.body_len, name, catid,
	    &ver, &fields, NULL, 0);
	if (st != TPL_NONE)
		snprintf(tname, tsz, "%s", name);
	/* A reference is worth passing on even from a body we cannot fully
	 * render, when it is a short printable line. */
	if ((s = json_string_value(json_object_get(fields, "reference"))) !=
	    NULL && strlen(s) < rsz && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_./:# ") == strlen(s))
		snprintf(ref, rsz, "%s", s);
	if (st == TPL_OK && (t = tpl_find(cat, name)) != NULL)
		snprintf(summary, ssz, "%s%s%s", tpl_title(t, "en"),
		    ref[0] != '\0' ? " " : "", ref);
	else
		snprintf(summary, ssz, "%s/%s %s", channel_name(r->m.channel),
		    r->m.kind, tname);
	json_decref(fields);
}

/* Start the hook for row r (already recorded as overdue). */
static void
hook_start(struct notify *n, const struct msg_row *r, uint64_t deadline)
{
	char tname[TPL_NAME_MAX + 1], ref[128], summary[256];
	char recv[32], dl[32];
	pid_t pid;
	int fd;

	body_names(n->cat, r, tname, sizeof(tname), ref, sizeof(ref), summary,
	    sizeof(summary));
	fmt_utc_ms(r->received, recv);
	fmt_utc_ms(deadline, dl);
	if (n->nhooks == HOOKS_MAX) {
		log_warnx("escalate_hook: %d hooks still running; not "
		    "starting another for %.12s", HOOKS_MAX, r->id);
		return;
	}
	if ((pid = fork()) == -1) {
		log_warn("escalate_hook: fork");
		return;
	}
	if (pid == 0) {
		/* Child: only async-signal-safe work would matter in a
		 * threaded parent; the daemon is single-threaded. */
		signal(SIGPIPE, SIG_DFL);
		if ((fd = open("/dev/null", O_RDONLY)) != -1) {
			(void)dup2(fd, STDIN_FILENO);
			if (fd > STDERR_FILENO)
				close(fd);
		}
		(void)close_range(3, ~0U, 0);
		setenv("HOTLINE_EVENT", "overdue", 1);
		setenv("HOTLINE_MSG_ID", r->id, 1);
		setenv("HOTLINE_DIRECTION", r->dir == DIR_IN ? "in" : "out", 1);
		setenv("HOTLINE_PEER", r->peer, 1);
		setenv("HOTLINE_FROM", r->m.from, 1);
		setenv("HOTLINE_TO", r->m.to, 1);
		setenv("HOTLINE_CHANNEL", channel_name(r->m.channel), 1);
		setenv("HOTLINE_KIND", r->m.kind, 1);
		setenv("HOTLINE_PRECEDENCE", prec_name(r->m.prec), 1);
		setenv("HOTLINE_RECEIVED", recv, 1);
		setenv("HOTLINE_DEADLINE", dl, 1);
		setenv("HOTLINE_EXERCISE", r->m.exercise ? "1" : "0", 1);
		setenv("HOTLINE_TEMPLATE", tname, 1);
		setenv("HOTLINE_REFERENCE", ref, 1);
		setenv("HOTLINE_SUMMARY", summary, 1);
		execl("/bin/sh", "sh", "-c", n->cf->escalate_hook,
		    (char *)NULL);
		_exit(127);
	}
	n->hooks[n->nhooks++] = pid;
	log_info("escalate_hook started for %.12s (pid %d)", r->id, (int)pid);
}

/* Reap finished hooks; with block, wait for each. */
static void
hooks_reap(struct notify *n, bool block)
{
	int i, status;
	pid_t r;

	for (i = 0; i < n->nhooks; ) {
		r = waitpid(n->hooks[i], &status, block ? 0 : WNOHANG);
		if (r == 0) {
			i++;
			continue;
		}
		if (r == n->hooks[i]) {
			if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
				log_warnx("escalate_hook (pid %d) exited %d",
				    (int)r, WEXITSTATUS(status));
			else if (WIFSIGNALED(status))
				log_warnx("escalate_hook (pid %d) killed by "
				    "signal %d", (int)r, WTERMSIG(status));
		}
		/* Reaped, or not our child any more (ECHILD). */
		n->hooks[i] = n->hooks[--n->nhooks];
	}
}

int
notify_hooks_wait(struct notify *n, int timeout_ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int waited = 0;

	for (;;) {
		hooks_reap(n, false);
		if (n->nhooks == 0 || waited >= timeout_ms)
			return n->nhooks;
		nanosleep(&ts, NULL);
		waited += 10;
	}
}

struct pending_hook {
	struct msg_row	row;
	uint64_t	deadline;
};

/* The event text for r. */
static void
event_detail(const struct msg_row *r, const char *what, uint64_t when,
    char *out, size_t outsz)
{
	char t[32];

	fmt_utc_ms(when, t);
	snprintf(out, outsz, "%s%s %.12s %s/%s %s %s %s, %s %s",
	    r->m.exercise ? "EXERCISE " : "", what, r->id,
	    channel_name(r->m.channel), r->m.kind, prec_name(r->m.prec),
	    r->dir == DIR_IN ? "from" : "to", r->peer,
	    strcmp(what, "overdue") == 0 ? "deadline" : "acknowledged", t);
}

int
notify_scan(struct notify *n)
{
	struct idlist due = { NULL, 0, 0 }, acks = { NULL, 0, 0 };
	struct pending_hook *ph = NULL;
	struct msg_row row;
	uint64_t now = n->clock(n->clock_arg), d, dl, last_rid = 0;
	char detail[256];
	int ch, prec, i, nph = 0, count = 0, rc;
	bool hook = n->cf->escalate_hook[0] != '\0';

	hooks_reap(n, false);
	for (ch = CH_MIN; ch <= CH_MAX; ch++)
		for (prec = PREC_MIN; prec <= PREC_MAX; prec++) {
			d = notify_duration(n->cf, ch, prec);
			if (d == 0 || now < d)
				continue;
			if (store_nrrc_due(n->st, ch, prec, now - d,
			    SCAN_BATCH, idlist_add, &due) == -1)
				goto fail;
		}
	if (store_nrrc_acks(n->st, SCAN_BATCH, idlist_add, &acks,
	    &last_rid) == -1)
		goto fail;
	if (due.n == 0 && acks.n == 0)
		goto done;

	if (store_begin(n->st) == -1)
		goto fail;
	ph = xcalloc((size_t)due.n + 1, sizeof(*ph));
	for (i = 0; i < due.n; i++) {
		if ((rc = store_msg_get(n->st, due.ids[i], &row)) != 0) {
			if (rc == -1)
				goto rollback;
			continue;
		}
		dl = notify_deadline(n->cf, &row);
		if (dl == 0 || (rc = store_nrrc_mark_overdue(n->st, row.id,
		    dl, now, hook ? now : 0)) != 0) {
			msg_row_clear(&row);
			if (rc == -1)
				goto rollback;
			continue;
		}
		event_detail(&row, "overdue", dl, detail, sizeof(detail));
		if (store_nrrc_event(n->st, now, row.peer, "overdue",
		    detail) == -1) {
			msg_row_clear(&row);
			goto rollback;
		}
		ph[nph].row = row;
		ph[nph++].deadline = dl;
	}
	for (i = 0; i < acks.n; i++) {
		if ((rc = store_msg_get(n->st, acks.ids[i], &row)) != 0) {
			if (rc == -1)
				goto rollback;
			continue;
		}
		dl = notify_deadline(n->cf, &row);
		if (dl != 0 && row.acked > dl) {
			event_detail(&row, "ack-late", row.acked, detail,
			    sizeof(detail));
			if (store_nrrc_mark_late(n->st, row.id, dl,
			    row.acked) == -1 || store_nrrc_event(n->st, now,
			    row.peer, "ack-late", detail) == -1) {
				msg_row_clear(&row);
				goto rollback;
			}
			log_warnx("%s", detail);
			count++;
		}
		msg_row_clear(&row);
	}
	if (acks.n > 0 && store_nrrc_acks_done(n->st, last_rid) == -1)
		goto rollback;
	if (store_commit(n->st) == -1)
		goto fail;
	for (i = 0; i < nph; i++) {
		event_detail(&ph[i].row, "overdue", ph[i].deadline, detail,
		    sizeof(detail));
		log_warnx("%s", detail);
		if (hook)
			hook_start(n, &ph[i].row, ph[i].deadline);
		count++;
	}
	goto done;
rollback:
	store_rollback(n->st);
fail:
	count = -1;
done:
	for (i = 0; i < nph; i++)
		msg_row_clear(&ph[i].row);
	free(ph);
	free(due.ids);
	free(acks.ids);
	return count;
}
