/*
 * stixdb.h: the CERT channel's tables in the node's database: STIX objects
 * by collection, every version kept, with provenance; TAXII status
 * resources; per-account TAXII grants. Collections are named "local",
 * "out:PARTY" (what is shared with that peer) and "in:PARTY" (what that
 * peer sent). Write functions must be called inside store_begin()/
 * store_commit().
 */
#ifndef HOTLINE_STIXDB_H
#define HOTLINE_STIXDB_H

#include <stdint.h>

#include "stix.h"
#include "store.h"

#define COLL_NAME_MAX	(4 + PARTY_MAX)

/* The module's handle: the store and its cached hot statements. */
struct stixdb;
struct stixdb	*stixdb_new(struct store *st);
void		 stixdb_free(struct stixdb *db);	/* NULL is a no-op */

/* One stored version. Strings point into SQLite's memory, valid only
 * during the callback. */
struct stixdb_row {
	int64_t		 rid;
	const char	*coll, *id, *type, *spec_version;
	int64_t		 version;	/* microseconds */
	int64_t		 added;		/* microseconds, date added here */
	int		 current, revoked, tlp;
	int64_t		 valid_until;	/* 0 if none */
	const char	*source;	/* "local", "local:ACCOUNT" or "peer:PARTY" */
	const char	*msg;		/* message it arrived or left in, or NULL */
	const char	*pattern;	/* NULL unless a stix-pattern indicator */
	const char	*obj;		/* the object, compact JSON */
};
typedef int (*stixdb_row_cb)(void *arg, const struct stixdb_row *r);

/*
 * Would m be new in coll? 0 new, 1 already held (same id and version), 2
 * refused with why (a newer version of a revoked object that is not itself
 * revoked: revoked stays revoked), -1 database error.
 */
int	stixdb_check(struct stixdb *db, const char *coll,
	    const struct stix_meta *m, char *why, size_t whylen);
/* stixdb_check(), then store the object text as the version of m (the
 * newest version becomes current). added is the date added (microseconds);
 * the caller keeps it increasing. Same returns. */
int	stixdb_put(struct stixdb *db, const char *coll,
	    const struct stix_meta *m, int tlp, const char *text,
	    const char *source, const char *msg, int64_t added, char *why,
	    size_t whylen);
/* stixdb_check() that also tells whether any version of the object is
 * held and the newest version, for stixdb_insert(). */
int	stixdb_check_ex(struct stixdb *db, const char *coll,
	    const struct stix_meta *m, char *why, size_t whylen, int *has,
	    int64_t *newest);
/* Store a version already checked with stixdb_check_ex() (0) in this
 * transaction, with nothing stored for that id since: 0 or -1. */
int	stixdb_insert(struct stixdb *db, const char *coll,
	    const struct stix_meta *m, int tlp, const char *text,
	    const char *source, const char *msg, int64_t added, int has,
	    int64_t newest);
/* The highest date added so far (0 if none). 0 or -1. */
int	stixdb_last_added(struct stixdb *db, int64_t *out);

/* A TAXII-style query. NULL lists and 0 counts mean "any". */
struct stixdb_filter {
	const char	*coll;		/* NULL: every collection */
	const char	*const *ids;
	int		 nids;
	const char	*const *types;
	int		 ntypes;
	int		 v_last, v_first, v_all;	/* match[version] words */
	const int64_t	*versions;
	int		 nversions;
	const char	*const *spec_versions;
	int		 nspec;
	int64_t		 added_after;	/* 0: any */
	int64_t		 after_rid;	/* paging: rows with rid > this */
	const char	*search;	/* substring of the object text, or NULL */
	int		 limit;		/* rows handed to cb at most */
};
/* Rows matching f in rid (= date added) order: the count handed to cb
 * (which may return -1 to stop), or -1. */
int	stixdb_query(struct stixdb *db, const struct stixdb_filter *f,
	    stixdb_row_cb cb, void *arg);
/* Delete the versions of id in coll that f's version words select (all
 * if none); the newest remaining version becomes current. The count
 * deleted, or -1. Inside a transaction. */
int	stixdb_delete(struct stixdb *db, const struct stixdb_filter *f,
	    const char *id);
/* Every current, unrevoked, unexpired (at now_us) indicator, any
 * collection: cb gets rows with id, coll, source, pattern (NULL for other
 * pattern types) and obj set. Count or -1. */
int	stixdb_indicators(struct stixdb *db, int64_t now_us, stixdb_row_cb cb,
	    void *arg);
/* Objects per collection: cb(arg, coll, count). 0 or -1. */
int	stixdb_counts(struct stixdb *db, void (*cb)(void *, const char *,
	    int64_t), void *arg);

/* TAXII status resources. */
int	stixdb_status_put(struct stixdb *db, const char *id, int64_t created,
	    const char *body);
/* 0 found (*body a new string the caller frees), 1 not found, -1. */
int	stixdb_status_get(struct stixdb *db, const char *id, char **body);

/* TAXII grants: account may read / write coll. */
int	stixdb_grant_set(struct stixdb *db, const char *account,
	    const char *coll, int can_read, int can_write);
/* 0 found (flags set), 1 no grant, -1 error. */
int	stixdb_grant_get(struct stixdb *db, const char *account,
	    const char *coll, int *can_read, int *can_write);

#endif
