/*
 * store_nrrc.h: the NRRC tables of the store (schema migration 2 in
 * store.c): `deadlines` (a message that went overdue, when, whether its
 * hook was started, and a late acknowledgment) and `acks_queue` (filled by
 * a trigger whenever a message is marked acknowledged, drained by
 * notify.c). Used by notify.c, checks.c and nrrc_api.c only. Write
 * functions must run inside store_begin()/store_commit().
 */
#ifndef HOTLINE_STORE_NRRC_H
#define HOTLINE_STORE_NRRC_H

#include <stdint.h>

#include "store.h"

typedef int (*store_id_cb)(void *arg, const char *id);

/*
 * Ids of messages on (ch, prec) that are not acknowledged, were received
 * (in: by us; out: by the peer, from its receipt) at or before
 * received_before, are not themselves an ack or pong, and have no
 * deadlines row: at most limit, oldest first. Count handed to cb or -1.
 */
int	store_nrrc_due(struct store *st, int ch, int prec,
	    uint64_t received_before, int limit, store_id_cb cb, void *arg);
/* Record id as overdue at now with its deadline; hook is the time its
 * hook is started (0: no hook). 0 recorded, 1 already recorded, -1. */
int	store_nrrc_mark_overdue(struct store *st, const char *id,
	    uint64_t deadline, uint64_t now, uint64_t hook);
/* Record id's acknowledgment at acked as after its deadline. 0 or -1. */
int	store_nrrc_mark_late(struct store *st, const char *id,
	    uint64_t deadline, uint64_t acked);
/* Queued acknowledgments, oldest first, at most limit: cb gets the
 * message id; *last_rid the queue position of the last one. Count or -1. */
int	store_nrrc_acks(struct store *st, int limit, store_id_cb cb, void *arg,
	    uint64_t *last_rid);
/* Drop queued acknowledgments up to rid. 0 or -1. */
int	store_nrrc_acks_done(struct store *st, uint64_t rid);
/* The deadlines row of id: 0 found (times, 0 = unset), 1 none, -1. */
int	store_nrrc_deadline_get(struct store *st, const char *id,
	    uint64_t *overdue, uint64_t *hook, uint64_t *late);
/* Overdue messages still not acknowledged, oldest first. Count or -1. */
int	store_nrrc_overdue_list(struct store *st, int limit, store_id_cb cb,
	    void *arg);
/* An event at time (the caller's clock). 0 or -1. */
int	store_nrrc_event(struct store *st, uint64_t time, const char *peer,
	    const char *kind, const char *detail);
/* Events with since <= time < until, oldest first, at most limit. */
typedef int (*store_nrrc_event_cb)(void *arg, uint64_t time, const char *peer,
    const char *kind, const char *detail);
int	store_nrrc_events(struct store *st, uint64_t since, uint64_t until,
	    int limit, store_nrrc_event_cb cb, void *arg);

#endif
