/*
 * store_nrrc.c: the statements on the NRRC tables (deadlines, acks_queue)
 * and the event journal reads that notify.c, checks.c and nrrc.c need.
 * Part of the store layer, on the store's handle (store_db()): like
 * store.c it binds every value. These run a few times a second at most, so
 * each statement is prepared per call, but for store_nrrc_due's, which
 * runs per (channel, precedence) every second: kept (store_stmt_kept).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "store_nrrc.h"

static sqlite3_stmt *
prep(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) !=
	    SQLITE_OK) {
		log_warnx("store: %s: %s", sql,
		    sqlite3_errmsg(store_db(st)));
		return NULL;
	}
	return s;
}

static int
bind_u64(sqlite3_stmt *s, int i, uint64_t v)
{
	if (v > INT64_MAX)
		v = INT64_MAX;
	return sqlite3_bind_int64(s, i, (int64_t)v) == SQLITE_OK ? 0 : -1;
}

static uint64_t
col_u64(sqlite3_stmt *s, int i)
{
	int64_t v = sqlite3_column_int64(s, i);

	return v < 0 ? 0 : (uint64_t)v;
}

/* Step a bound statement that returns no rows and finalize it. 0 or -1. */
static int
run(struct store *st, sqlite3_stmt *s, int errs, const char *what)
{
	int rc = -1;

	if (s == NULL)
		return -1;
	if (errs == 0 && sqlite3_step(s) == SQLITE_DONE)
		rc = 0;
	else
		log_warnx("store: %s: %s", what,
		    sqlite3_errmsg(store_db(st)));
	sqlite3_finalize(s);
	return rc;
}

/* Finalize s, or reset a kept one for its next use. */
static void
stmt_end(sqlite3_stmt *s, bool kept)
{
	if (kept) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	} else
		sqlite3_finalize(s);
}

/* Hand the first column (an id) of each row to cb, then stmt_end(s, kept).
 * Count or -1. */
static int
each_id(struct store *st, sqlite3_stmt *s, bool kept, int errs,
    store_id_cb cb, void *arg, uint64_t *last)
{
	const unsigned char *id;
	int rc, n = 0;

	if (s == NULL)
		return -1;
	if (errs != 0) {
		stmt_end(s, kept);
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((id = sqlite3_column_text(s, 0)) == NULL)
			continue;
		if (last != NULL)
			*last = col_u64(s, 1);
		n++;
		if (cb(arg, (const char *)id) == -1)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("store: %s", sqlite3_errmsg(store_db(st)));
		n = -1;
	}
	stmt_end(s, kept);
	return n;
}

int
store_nrrc_due(struct store *st, int ch, int prec, uint64_t received_before,
    int limit, store_id_cb cb, void *arg)
{
	/* In messages: msgs.received (our time) in msgs_open. Out messages:
	 * received is the receipt's time in msgs_out (store.c, migration
	 * 7); their msgs_open entries have a NULL received. */
	static const char sql[] = "SELECT id, received AS r FROM msgs "
	    "INDEXED BY msgs_open WHERE channel = ?1 AND prec = ?2 AND "
	    "ack_id IS NULL AND channel <> 5 AND dir = 1 AND "
	    "received IS NOT NULL AND received <= ?3 AND kind NOT IN "
	    "('ack', 'pong') AND NOT EXISTS (SELECT 1 FROM deadlines d "
	    "WHERE d.id = msgs.id) "
	    "UNION ALL "
	    "SELECT m.id, o.received FROM msgs m INDEXED BY msgs_open "
	    "JOIN msgs_out o ON o.rid = m.rid WHERE m.channel = ?1 AND "
	    "m.prec = ?2 AND m.ack_id IS NULL AND m.channel <> 5 AND "
	    "m.received IS NULL AND m.dir = 0 AND o.received IS NOT NULL AND "
	    "o.received <= ?3 AND m.kind NOT IN ('ack', 'pong') AND NOT EXISTS "
	    "(SELECT 1 FROM deadlines d WHERE d.id = m.id) "
	    "ORDER BY 2 LIMIT ?4";
	sqlite3_stmt *s = store_stmt_kept(st, sql);
	int errs = 0;

	if (s == NULL)
		return -1;
	errs |= sqlite3_bind_int(s, 1, ch);
	errs |= sqlite3_bind_int(s, 2, prec);
	errs |= bind_u64(s, 3, received_before);
	errs |= sqlite3_bind_int(s, 4, limit);
	return each_id(st, s, true, errs, cb, arg, NULL);
}

int
store_nrrc_mark_overdue(struct store *st, const char *id, uint64_t deadline,
    uint64_t now, uint64_t hook)
{
	sqlite3_stmt *s = prep(st, "INSERT INTO deadlines (id, deadline, "
	    "overdue, hook) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING");
	int errs = 0;

	if (s == NULL)
		return -1;
	errs |= sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	errs |= bind_u64(s, 2, deadline);
	errs |= bind_u64(s, 3, now);
	errs |= hook != 0 ? bind_u64(s, 4, hook) : sqlite3_bind_null(s, 4);
	if (run(st, s, errs, "mark overdue") == -1)
		return -1;
	return sqlite3_changes(store_db(st)) > 0 ? 0 : 1;
}

int
store_nrrc_mark_late(struct store *st, const char *id, uint64_t deadline,
    uint64_t acked)
{
	sqlite3_stmt *s = prep(st, "INSERT INTO deadlines (id, deadline, "
	    "late) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
	    "late = excluded.late");
	int errs = 0;

	if (s == NULL)
		return -1;
	errs |= sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	errs |= bind_u64(s, 2, deadline);
	errs |= bind_u64(s, 3, acked);
	return run(st, s, errs, "mark late");
}

int
store_nrrc_acks(struct store *st, int limit, store_id_cb cb, void *arg,
    uint64_t *last_rid)
{
	sqlite3_stmt *s = prep(st, "SELECT id, rid FROM acks_queue "
	    "ORDER BY rid LIMIT ?");

	*last_rid = 0;
	if (s == NULL)
		return -1;
	return each_id(st, s, false, sqlite3_bind_int(s, 1, limit), cb, arg,
	    last_rid);
}

int
store_nrrc_acks_done(struct store *st, uint64_t rid)
{
	sqlite3_stmt *s = prep(st, "DELETE FROM acks_queue WHERE rid <= ?");

	if (s == NULL)
		return -1;
	return run(st, s, bind_u64(s, 1, rid), "acks done");
}

int
store_nrrc_deadline_get(struct store *st, const char *id, uint64_t *overdue,
    uint64_t *hook, uint64_t *late)
{
	sqlite3_stmt *s = prep(st, "SELECT overdue, hook, late FROM deadlines "
	    "WHERE id = ?");
	int rc;

	*overdue = *hook = *late = 0;
	if (s == NULL)
		return -1;
	if (sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		sqlite3_finalize(s);
		return -1;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*overdue = col_u64(s, 0);
		*hook = col_u64(s, 1);
		*late = col_u64(s, 2);
		rc = 0;
	} else
		rc = rc == SQLITE_DONE ? 1 : -1;
	sqlite3_finalize(s);
	return rc;
}

int
store_nrrc_overdue_list(struct store *st, int limit, store_id_cb cb,
    void *arg)
{
	sqlite3_stmt *s = prep(st, "SELECT d.id FROM deadlines d "
	    "WHERE d.overdue IS NOT NULL AND EXISTS (SELECT 1 FROM msgs m "
	    "WHERE m.rid IN " RIDS_OF_ID("d.id") " AND m.id = d.id "
	    "AND m.ack_id IS NULL) ORDER BY d.deadline LIMIT ?");

	if (s == NULL)
		return -1;
	return each_id(st, s, false, sqlite3_bind_int(s, 1, limit), cb, arg,
	    NULL);
}

int
store_nrrc_event(struct store *st, uint64_t time, const char *peer,
    const char *kind, const char *detail)
{
	sqlite3_stmt *s = prep(st, "INSERT INTO events (time, peer, kind, "
	    "detail) VALUES (?, ?, ?, ?)");
	int errs = 0;

	if (s == NULL)
		return -1;
	errs |= bind_u64(s, 1, time);
	errs |= sqlite3_bind_text(s, 2, peer, -1, SQLITE_TRANSIENT);
	errs |= sqlite3_bind_text(s, 3, kind, -1, SQLITE_TRANSIENT);
	errs |= sqlite3_bind_text(s, 4, detail, -1, SQLITE_TRANSIENT);
	return run(st, s, errs, "event");
}

int
store_nrrc_events(struct store *st, uint64_t since, uint64_t until,
    int limit, store_nrrc_event_cb cb, void *arg)
{
	sqlite3_stmt *s = prep(st, "SELECT time, peer, kind, detail FROM "
	    "events WHERE time >= ? AND time < ? ORDER BY rid LIMIT ?");
	int rc, n = 0, errs = 0;

	if (s == NULL)
		return -1;
	errs |= bind_u64(s, 1, since);
	errs |= bind_u64(s, 2, until);
	errs |= sqlite3_bind_int(s, 3, limit);
	if (errs != 0) {
		sqlite3_finalize(s);
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		n++;
		if (cb(arg, col_u64(s, 0), (const char *)sqlite3_column_text(s,
		    1), (const char *)sqlite3_column_text(s, 2),
		    (const char *)sqlite3_column_text(s, 3)) == -1)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		n = -1;
	sqlite3_finalize(s);
	return n;
}
