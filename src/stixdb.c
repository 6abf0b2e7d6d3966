/*
 * stixdb.c: the CERT channel's SQL (tables created by migration 2 in
 * store.c). Versions of an object are rows (coll, id, version) with the
 * version in microseconds; exactly one row per (coll, id) has current = 1,
 * the newest. A revoked object stays revoked: a newer version that is not
 * revoked is refused. Queries are built from fixed fragments and every
 * value is bound. Statements are prepared per call: these paths are not
 * per-message hot paths, and a TAXII page amortises the preparation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "stixdb.h"
#include "util.h"

#define SQL_MAX		8192
#define FILTER_LIST_MAX	100	/* values per match[] list */

struct stixdb {
	struct store	*st;
	sqlite3_stmt	*check, *uncur, *insert;
};

struct stixdb *
stixdb_new(struct store *st)
{
	struct stixdb *db = xcalloc(1, sizeof(*db));

	db->st = st;
	return db;
}

void
stixdb_free(struct stixdb *db)
{
	if (db == NULL)
		return;
	sqlite3_finalize(db->check);
	sqlite3_finalize(db->uncur);
	sqlite3_finalize(db->insert);
	free(db);
}

/* A cached statement, prepared on first use, reset for this use. */
static sqlite3_stmt *
cached(struct stixdb *db, sqlite3_stmt **slot, const char *sql)
{
	if (*slot == NULL && sqlite3_prepare_v3(store_db(db->st), sql, -1,
	    SQLITE_PREPARE_PERSISTENT, slot, NULL) != SQLITE_OK) {
		log_warnx("stixdb: %s: %s", sql, sqlite3_errmsg(store_db(db->st)));
		return NULL;
	}
	sqlite3_reset(*slot);
	sqlite3_clear_bindings(*slot);
	return *slot;
}

static sqlite3_stmt *
prep(struct stixdb *db, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(store_db(db->st), sql, -1, &s, NULL) != SQLITE_OK) {
		log_warnx("stixdb: %s: %s", sql, sqlite3_errmsg(store_db(db->st)));
		return NULL;
	}
	return s;
}

static int
bind_t(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(s, i) == SQLITE_OK ? 0 : -1;
	return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) == SQLITE_OK ?
	    0 : -1;
}

static int
bind_i(sqlite3_stmt *s, int i, int64_t v)
{
	return sqlite3_bind_int64(s, i, v) == SQLITE_OK ? 0 : -1;
}

static const char *
col_t(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/*
 * The facts about (coll, m->id) put needs: whether this version is held,
 * the newest version and whether any is held. 0 new, 1 held, 2 refused,
 * -1 error.
 */
static int
check(struct stixdb *db, const char *coll, const struct stix_meta *m,
    char *why, size_t whylen, int *has, int64_t *newest)
{
	sqlite3_stmt *s;
	int64_t v, minrev = 0;
	int rc = -1, step, held = 0, revoked = 0;

	/* One seek in stix_version: a new object (the common case) has no
	 * row; a known one has a row per version held. */
	s = cached(db, &db->check, "SELECT version, revoked FROM stix_objects "
	    "WHERE coll = ?1 AND id = ?2");
	if (s == NULL)
		return -1;
	*has = 0;
	*newest = 0;
	if (bind_t(s, 1, coll) == -1 || bind_t(s, 2, m->id) == -1)
		goto done;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		v = sqlite3_column_int64(s, 0);
		if (!*has || v > *newest)
			*newest = v;
		*has = 1;
		if (v == m->modified)
			held = 1;
		if (sqlite3_column_int(s, 1) && (!revoked || v < minrev)) {
			minrev = v;
			revoked = 1;
		}
	}
	if (step != SQLITE_DONE)
		goto done;
	if (held) {
		rc = 1;
		goto done;
	}
	rc = 0;
	if (revoked && m->modified > minrev && !m->revoked) {
		snprintf(why, whylen, "%s was revoked; a later version cannot "
		    "un-revoke it", m->id);
		rc = 2;
	}
done:
	if (rc == -1)
		log_warnx("stixdb: check: %s", sqlite3_errmsg(store_db(db->st)));
	sqlite3_reset(s);
	return rc;
}

int
stixdb_check(struct stixdb *db, const char *coll, const struct stix_meta *m,
    char *why, size_t whylen)
{
	int64_t newest;
	int has;

	return check(db, coll, m, why, whylen, &has, &newest);
}

int
stixdb_check_ex(struct stixdb *db, const char *coll,
    const struct stix_meta *m, char *why, size_t whylen, int *has,
    int64_t *newest)
{
	return check(db, coll, m, why, whylen, has, newest);
}

int
stixdb_put(struct stixdb *db, const char *coll, const struct stix_meta *m,
    int tlp, const char *text, const char *source, const char *msg,
    int64_t added, char *why, size_t whylen)
{
	int64_t newest = 0;
	int rc, has = 0;

	if ((rc = check(db, coll, m, why, whylen, &has, &newest)) != 0)
		return rc;
	return stixdb_insert(db, coll, m, tlp, text, source, msg, added, has,
	    newest);
}

int
stixdb_insert(struct stixdb *db, const char *coll, const struct stix_meta *m,
    int tlp, const char *text, const char *source, const char *msg,
    int64_t added, int has, int64_t newest)
{
	sqlite3_stmt *s = NULL;
	int rc = -1, current;

	current = !has || m->modified > newest;
	if (has && current) {
		if ((s = cached(db, &db->uncur, "UPDATE stix_objects SET "
		    "current = 0 WHERE coll = ? AND id = ? AND current = 1")) ==
		    NULL)
			return -1;
		if (bind_t(s, 1, coll) == -1 || bind_t(s, 2, m->id) == -1 ||
		    sqlite3_step(s) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(s);
	}
	if ((s = cached(db, &db->insert, "INSERT INTO stix_objects (coll, id, "
	    "type, spec_version, version, added, current, revoked, "
	    "valid_until, tlp, pattern, source, msg, obj) VALUES (?, ?, ?, "
	    "'2.1', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) == NULL)
		return -1;
	if (bind_t(s, 1, coll) == -1 || bind_t(s, 2, m->id) == -1 ||
	    bind_t(s, 3, m->type) == -1 || bind_i(s, 4, m->modified) == -1 ||
	    bind_i(s, 5, added) == -1 || bind_i(s, 6, current) == -1 ||
	    bind_i(s, 7, m->revoked) == -1 ||
	    (m->valid_until != 0 ? bind_i(s, 8, m->valid_until) :
	    sqlite3_bind_null(s, 8)) != 0 || bind_i(s, 9, tlp) == -1 ||
	    bind_t(s, 10, m->pattern) == -1 || bind_t(s, 11, source) == -1 ||
	    bind_t(s, 12, msg) == -1 || bind_t(s, 13, text) == -1 ||
	    sqlite3_step(s) != SQLITE_DONE)
		goto fail;
	rc = 0;
fail:
	if (rc == -1)
		log_warnx("stixdb: put %s: %s", m->id,
		    sqlite3_errmsg(store_db(db->st)));
	if (s != NULL)
		sqlite3_reset(s);
	return rc;
}

int
stixdb_last_added(struct stixdb *db, int64_t *out)
{
	sqlite3_stmt *s;
	int rc = -1;

	/* added grows with rid: the last row has the highest (O(1)). */
	if ((s = prep(db, "SELECT COALESCE((SELECT added FROM stix_objects "
	    "ORDER BY rid DESC LIMIT 1), 0)")) == NULL)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		rc = 0;
	}
	sqlite3_finalize(s);
	return rc;
}

/* Append frag to the SQL text; -1 if it would not fit. */
static int
add(char *sql, size_t *len, const char *frag)
{
	size_t n = strlen(frag);

	if (*len + n >= SQL_MAX)
		return -1;
	memcpy(sql + *len, frag, n + 1);
	*len += n;
	return 0;
}

/* " AND col IN (?, ?, ...)" for n values. */
static int
add_in(char *sql, size_t *len, const char *col, int n)
{
	int i;

	if (n <= 0)
		return 0;
	if (n > FILTER_LIST_MAX || add(sql, len, " AND ") == -1 ||
	    add(sql, len, col) == -1 || add(sql, len, " IN (") == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (add(sql, len, i ? ", ?" : "?") == -1)
			return -1;
	return add(sql, len, ")");
}

#define ROW_COLS "rid, coll, id, type, spec_version, version, added, " \
	"current, revoked, tlp, valid_until, source, msg, pattern, obj"

static void
row_read(sqlite3_stmt *s, struct stixdb_row *r)
{
	r->rid = sqlite3_column_int64(s, 0);
	r->coll = col_t(s, 1);
	r->id = col_t(s, 2);
	r->type = col_t(s, 3);
	r->spec_version = col_t(s, 4);
	r->version = sqlite3_column_int64(s, 5);
	r->added = sqlite3_column_int64(s, 6);
	r->current = sqlite3_column_int(s, 7);
	r->revoked = sqlite3_column_int(s, 8);
	r->tlp = sqlite3_column_int(s, 9);
	r->valid_until = sqlite3_column_int64(s, 10);
	r->source = col_t(s, 11);
	r->msg = col_t(s, 12);
	r->pattern = col_t(s, 13);
	r->obj = col_t(s, 14);
}

/* Build the WHERE clause of f (after "WHERE 1") and bind it from index 1;
 * *next is the next free index. */
static int
filter_sql(const struct stixdb_filter *f, char *sql, size_t *len)
{
	int i, nv = 0;

	if (f->coll != NULL && add(sql, len, " AND coll = ?") == -1)
		return -1;
	if (add_in(sql, len, "id", f->nids) == -1 ||
	    add_in(sql, len, "type", f->ntypes) == -1 ||
	    add_in(sql, len, "spec_version", f->nspec) == -1)
		return -1;
	if (f->added_after != 0 && add(sql, len, " AND added > ?") == -1)
		return -1;
	if (f->after_rid != 0 && add(sql, len, " AND rid > ?") == -1)
		return -1;
	if (f->search != NULL && add(sql, len, " AND instr(obj, ?) > 0") == -1)
		return -1;
	if (f->v_all)
		return 0;
	if (f->nversions > FILTER_LIST_MAX)
		return -1;
	if (!f->v_last && !f->v_first && f->nversions == 0)
		return add(sql, len, " AND current = 1");
	if (add(sql, len, " AND (0") == -1)
		return -1;
	if (f->v_last && add(sql, len, " OR current = 1") == -1)
		return -1;
	if (f->v_first && add(sql, len, " OR version = (SELECT MIN(version) "
	    "FROM stix_objects o2 WHERE o2.coll = stix_objects.coll AND "
	    "o2.id = stix_objects.id)") == -1)
		return -1;
	for (i = 0; i < f->nversions; i++, nv++)
		if (add(sql, len, " OR version = ?") == -1)
			return -1;
	return add(sql, len, ")");
}

static int
filter_bind(sqlite3_stmt *s, const struct stixdb_filter *f, int *idx)
{
	int i;

	if (f->coll != NULL && bind_t(s, (*idx)++, f->coll) == -1)
		return -1;
	for (i = 0; i < f->nids; i++)
		if (bind_t(s, (*idx)++, f->ids[i]) == -1)
			return -1;
	for (i = 0; i < f->ntypes; i++)
		if (bind_t(s, (*idx)++, f->types[i]) == -1)
			return -1;
	for (i = 0; i < f->nspec; i++)
		if (bind_t(s, (*idx)++, f->spec_versions[i]) == -1)
			return -1;
	if (f->added_after != 0 && bind_i(s, (*idx)++, f->added_after) == -1)
		return -1;
	if (f->after_rid != 0 && bind_i(s, (*idx)++, f->after_rid) == -1)
		return -1;
	if (f->search != NULL && bind_t(s, (*idx)++, f->search) == -1)
		return -1;
	if (!f->v_all)
		for (i = 0; i < f->nversions; i++)
			if (bind_i(s, (*idx)++, f->versions[i]) == -1)
				return -1;
	return 0;
}

/*
 * Step the prepared, bound statement s over its rows, handing each to cb
 * until cb returns -1; finalizes s. The number of rows handed, or -1
 * (logged with what).
 */
static int
rows_each(struct stixdb *db, sqlite3_stmt *s, stixdb_row_cb cb, void *arg,
    const char *what)
{
	struct stixdb_row r;
	int n = 0, step;

	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		row_read(s, &r);
		n++;
		if (cb(arg, &r) == -1)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		log_warnx("stixdb: %s: %s", what,
		    sqlite3_errmsg(store_db(db->st)));
		n = -1;
	}
	sqlite3_finalize(s);
	return n;
}

int
stixdb_query(struct stixdb *db, const struct stixdb_filter *f,
    stixdb_row_cb cb, void *arg)
{
	char sql[SQL_MAX];
	sqlite3_stmt *s = NULL;
	size_t len = 0;
	int idx = 1;

	if (add(sql, &len, "SELECT " ROW_COLS " FROM stix_objects WHERE 1") ==
	    -1 || filter_sql(f, sql, &len) == -1 ||
	    add(sql, &len, " ORDER BY rid LIMIT ?") == -1)
		return -1;
	if ((s = prep(db, sql)) == NULL)
		return -1;
	if (filter_bind(s, f, &idx) == -1 || bind_i(s, idx, f->limit) == -1) {
		sqlite3_finalize(s);
		return -1;
	}
	return rows_each(db, s, cb, arg, "query");
}

int
stixdb_delete(struct stixdb *db, const struct stixdb_filter *f,
    const char *id)
{
	struct stixdb_filter g = *f;
	const char *ids[1] = { id };
	char sql[SQL_MAX];
	sqlite3_stmt *s = NULL;
	size_t len = 0;
	int idx = 1, n;

	g.ids = ids;
	g.nids = 1;
	g.types = NULL;
	g.ntypes = 0;
	g.added_after = 0;
	g.after_rid = 0;
	g.search = NULL;
	if (!g.v_last && !g.v_first && g.nversions == 0)
		g.v_all = 1;
	if (g.coll == NULL)
		return -1;
	if (add(sql, &len, "DELETE FROM stix_objects WHERE 1") == -1 ||
	    filter_sql(&g, sql, &len) == -1)
		return -1;
	if ((s = prep(db, sql)) == NULL)
		return -1;
	if (filter_bind(s, &g, &idx) == -1 || sqlite3_step(s) != SQLITE_DONE)
		goto fail;
	n = sqlite3_changes(store_db(db->st));
	sqlite3_finalize(s);
	s = prep(db, "UPDATE stix_objects SET current = 1 WHERE coll = ?1 AND "
	    "id = ?2 AND version = (SELECT MAX(version) FROM stix_objects "
	    "WHERE coll = ?1 AND id = ?2) AND current = 0 AND NOT EXISTS "
	    "(SELECT 1 FROM stix_objects WHERE coll = ?1 AND id = ?2 AND "
	    "current = 1)");
	if (s == NULL || bind_t(s, 1, g.coll) == -1 || bind_t(s, 2, id) == -1 ||
	    sqlite3_step(s) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(s);
	return n;
fail:
	log_warnx("stixdb: delete: %s", sqlite3_errmsg(store_db(db->st)));
	sqlite3_finalize(s);
	return -1;
}

int
stixdb_indicators(struct stixdb *db, int64_t now_us, stixdb_row_cb cb,
    void *arg)
{
	sqlite3_stmt *s;

	s = prep(db, "SELECT " ROW_COLS " FROM stix_objects WHERE "
	    "type = 'indicator' AND current = 1 AND revoked = 0 AND "
	    "(valid_until IS NULL OR valid_until > ?) ORDER BY rid");
	if (s == NULL)
		return -1;
	if (bind_i(s, 1, now_us) == -1) {
		sqlite3_finalize(s);
		return -1;
	}
	return rows_each(db, s, cb, arg, "indicators");
}

int
stixdb_counts(struct stixdb *db, void (*cb)(void *, const char *, int64_t),
    void *arg)
{
	sqlite3_stmt *s;
	int step;

	if ((s = prep(db, "SELECT coll, COUNT(*) FROM stix_objects WHERE "
	    "current = 1 GROUP BY coll")) == NULL)
		return -1;
	while ((step = sqlite3_step(s)) == SQLITE_ROW)
		cb(arg, col_t(s, 0), sqlite3_column_int64(s, 1));
	sqlite3_finalize(s);
	return step == SQLITE_DONE ? 0 : -1;
}

int
stixdb_status_put(struct stixdb *db, const char *id, int64_t created,
    const char *body)
{
	sqlite3_stmt *s;
	int rc = -1;

	if ((s = prep(db, "INSERT OR REPLACE INTO taxii_status (id, created, "
	    "body) VALUES (?, ?, ?)")) == NULL)
		return -1;
	if (bind_t(s, 1, id) == 0 && bind_i(s, 2, created) == 0 &&
	    bind_t(s, 3, body) == 0 && sqlite3_step(s) == SQLITE_DONE)
		rc = 0;
	sqlite3_finalize(s);
	return rc;
}

int
stixdb_status_get(struct stixdb *db, const char *id, char **body)
{
	sqlite3_stmt *s;
	int rc = -1, step;

	*body = NULL;
	if ((s = prep(db, "SELECT body FROM taxii_status WHERE id = ?")) ==
	    NULL)
		return -1;
	if (bind_t(s, 1, id) == 0) {
		step = sqlite3_step(s);
		if (step == SQLITE_ROW) {
			*body = xstrdup(col_t(s, 0));
			rc = 0;
		} else if (step == SQLITE_DONE)
			rc = 1;
	}
	sqlite3_finalize(s);
	return rc;
}

int
stixdb_grant_set(struct stixdb *db, const char *account, const char *coll,
    int can_read, int can_write)
{
	sqlite3_stmt *s;
	int rc = -1;

	if (!can_read && !can_write)
		s = prep(db, "DELETE FROM taxii_grants WHERE account = ? AND "
		    "coll = ?");
	else
		s = prep(db, "INSERT OR REPLACE INTO taxii_grants (account, "
		    "coll, can_read, can_write) VALUES (?, ?, ?, ?)");
	if (s == NULL)
		return -1;
	if (bind_t(s, 1, account) == 0 && bind_t(s, 2, coll) == 0 &&
	    ((!can_read && !can_write) || (bind_i(s, 3, can_read) == 0 &&
	    bind_i(s, 4, can_write) == 0)) && sqlite3_step(s) == SQLITE_DONE)
		rc = 0;
	sqlite3_finalize(s);
	return rc;
}

int
stixdb_grant_get(struct stixdb *db, const char *account, const char *coll,
    int *can_read, int *can_write)
{
	sqlite3_stmt *s;
	int rc = -1, step;

	*can_read = *can_write = 0;
	if ((s = prep(db, "SELECT can_read, can_write FROM taxii_grants WHERE "
	    "account = ? AND coll = ?")) == NULL)
		return -1;
	if (bind_t(s, 1, account) == 0 && bind_t(s, 2, coll) == 0) {
		step = sqlite3_step(s);
		if (step == SQLITE_ROW) {
			*can_read = sqlite3_column_int(s, 0);
			*can_write = sqlite3_column_int(s, 1);
			rc = 0;
		} else if (step == SQLITE_DONE)
			rc = 1;
	}
	sqlite3_finalize(s);
	return rc;
}
