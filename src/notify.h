/*
 * notify.h: acknowledgment deadlines and escalation (NRRC channel and
 * every channel with a deadline in [deadlines], hotline.conf(5)).
 *
 * A message that is not an ack or pong has a deadline when its channel and
 * precedence have one: its receipt time (ours for inbound, the peer's,
 * from its signed receipt, for outbound) plus that duration. Never the
 * sender's clock. Everything is derived from stored times, so a restart of
 * either node changes nothing. notify_scan() finds messages past their
 * deadline and not acknowledged: each is recorded once (table deadlines),
 * logged, journalled as an "overdue" event, and the escalate_hook command
 * started once with the message's facts in its environment. Acks recorded
 * after the deadline are recorded as late ("ack-late" event). The clock is
 * injected so tests can move time.
 */
#ifndef HOTLINE_NOTIFY_H
#define HOTLINE_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "store.h"
#include "templates.h"

struct notify;

typedef uint64_t (*notify_clock_fn)(void *arg);	/* UTC ms */

/* What a message's deadline looks like now. */
enum deadline_state {
	DL_NONE,	/* no deadline (channel, kind, or not yet received) */
	DL_OPEN,	/* not acknowledged, deadline ahead */
	DL_OVERDUE,	/* not acknowledged, deadline passed */
	DL_MET,		/* acknowledged in time */
	DL_LATE,	/* acknowledged after the deadline */
};
const char *deadline_state_name(int s);	/* "none", "open", "overdue"... */

struct deadline_facts {
	int		 state;		/* enum deadline_state */
	uint64_t	 deadline;	/* UTC ms, 0 if none */
	uint64_t	 overdue_at;	/* when escalated (0: not yet) */
	uint64_t	 hook_at;	/* when its hook was started (0: none) */
	uint64_t	 late_at;	/* late ack recorded (its time), 0 if not */
};

/* The deadline duration for (ch, prec), 0 if none. */
uint64_t notify_duration(const struct config *cf, int ch, int prec);
/* The absolute deadline of a row, 0 if it has none. */
uint64_t notify_deadline(const struct config *cf, const struct msg_row *r);
/* The facts of row at now (reads the deadlines table). 0 or -1. */
int	 notify_facts(struct store *st, const struct config *cf,
	    const struct msg_row *r, uint64_t now, struct deadline_facts *f);

/* cf, st and cat (may be NULL) must outlive n. clock NULL = wall clock. */
struct notify *notify_new(struct store *st, const struct config *cf,
	    const struct tpl_cat *cat, notify_clock_fn clock, void *clock_arg);
void	 notify_free(struct notify *n);	/* NULL is a no-op; hooks run on */
/* One pass: escalate what is overdue, record late acks, reap finished
 * hooks. Returns the number of messages escalated or recorded late, or
 * -1 on a store failure (nothing of that pass is recorded). */
int	 notify_scan(struct notify *n);
/* Wait up to timeout_ms for the hooks started so far to finish (tests,
 * shutdown). Returns the number still running. */
int	 notify_hooks_wait(struct notify *n, int timeout_ms);

#endif
