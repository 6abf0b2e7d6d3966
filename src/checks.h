/*
 * checks.h: communication checks. A check is a message on the check
 * channel, kind "ping", body of the communication-check template, that a
 * human at the other side must acknowledge (`hotline ack`, or `hotline
 * checks answer`) within the check channel's deadline for its precedence
 * ([deadlines] check_*, hotline.conf(5)). Times recorded: sent (our clock),
 * received (the peer's, from its signed receipt), answered (the peer's ack
 * time). The response time is answered - received, both on the peer's
 * clock: the time a human took. Scheduled checks go to every peer each
 * check_interval; ad-hoc ones on request. Exercise checks are counted
 * apart and never in the real statistics.
 */
#ifndef HOTLINE_CHECKS_H
#define HOTLINE_CHECKS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "config.h"
#include "store.h"

struct hotlined;

/* Statistics for one peer over a period. */
struct check_stats {
	char		peer[PARTY_MAX + 1];
	uint64_t	sent;		/* checks sent in the period */
	uint64_t	in_time;	/* answered within the limit */
	uint64_t	late;		/* answered after it */
	uint64_t	unanswered;	/* limit passed, no answer */
	uint64_t	pending;	/* no answer, limit not yet passed */
	uint64_t	median_ms;	/* of the answered ones; 0 if none */
	uint64_t	worst_ms;
};

/*
 * Statistics of the checks we sent (accepted in [since, until)) to peer
 * (NULL: every peer), as judged at now: exercise checks only when
 * exercise is set, real ones otherwise. *out gets a new array of *nout
 * entries, one per peer that was sent a check, ordered by peer. 0 or -1.
 */
int	checks_stats(struct store *st, const struct config *cf, const char *peer,
	    uint64_t since, uint64_t until, uint64_t now, bool exercise,
	    struct check_stats **out, int *nout);
/* The same as the API's JSON. New object or NULL. */
json_t	*checks_stats_json(struct store *st, const struct config *cf,
	    const char *peer, uint64_t since, uint64_t until, uint64_t now,
	    bool exercise);

/*
 * Send a check to peer now (daemon only): precedence prec, body from the
 * communication-check template, op the operator's account (NULL: the
 * schedule or the local socket). 0 with the id, or -1 with an HTTP status
 * and a message.
 */
int	checks_send(struct hotlined *d, const char *peer, int prec,
	    bool exercise, bool scheduled, const char *note, const char *op,
	    char id_out[ID_HEX_LEN + 1], int *status, const char **errmsg);
/* Send the scheduled checks that are due (check_interval). */
void	checks_tick(struct hotlined *d, uint64_t now);

#endif
