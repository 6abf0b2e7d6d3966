/*
 * api.h: the local HTTP API (JSON, versioned under /v1) on a Unix socket,
 * served by evhttp. It serves the CLI and, later, the console and TAXII.
 */
#ifndef HOTLINE_API_H
#define HOTLINE_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hotlined.h"
#include "msg.h"
#include "store.h"

/* Bind the socket (mode 0660, stale socket removed) and serve. 0 or -1. */
int	api_start(struct hotlined *d);
void	api_stop(struct hotlined *d);
/* Stop the API worker thread: batches being parsed are dropped unanswered
 * (their requests go with their connections). Before https_stop. */
void	api_jobs_stop(struct hotlined *d);
/* Message states may have changed (a commit): answer the requests waiting
 * for them (GET /v1/messages/{id}?wait=...). */
void	api_changed(struct hotlined *d);
/*
 * Receipts have been verified but are not stored yet (deliver.c,
 * deliver_receipts_early): answer now the waiters for the messages they
 * cover, as api_changed() will find them once the receipts are stored.
 * cover(arg, row, extra, max) is given each waiter's row as stored; if
 * the receipts cover the message it changes row into the row as storing
 * them leaves it, puts those of them receipts_for would list after the
 * stored ones in extra (at most max) and returns how many; else 0 (the
 * waiter waits on).
 */
typedef int (*api_cover_fn)(void *arg, struct msg_row *row,
    struct receipt_row *extra, int max);
void	api_changed_early(struct hotlined *d, api_cover_fn cover, void *arg);
/* True while a GET ?wait= request is held (someone waits for a state). */
bool	api_waiting(struct hotlined *d);	/* closes and unlinks the socket */

/*
 * Who is asking. The listener sets it before routing: on the Unix socket
 * (mode 0660: the local CLI and scripts of the node's operators) it is the
 * local administrator; on the HTTPS listener (issue 8) it is the
 * authenticated account. Handlers check what a role may reach.
 */
enum api_role {
	ROLE_ADMIN,		/* everything, account management */
	ROLE_WATCH,		/* watch officer: nrrc, check */
	ROLE_CERT,		/* CERT analyst: cert (and TAXII) */
	ROLE_PRINCIPAL,		/* principal's staff: direct */
	ROLE_AUDITOR,		/* read-only, audit */
};
#define API_ACCOUNT_MAX	64
struct api_who {
	char	account[API_ACCOUNT_MAX + 1];	/* "" for the local socket */
	int	role;				/* enum api_role */
	int	local;				/* 1: the Unix socket */
};

/* One request being answered; modules' handlers get one. */
struct evhttp_request;
struct api_req {
	struct hotlined		*d;
	struct evhttp_request	*r;
	struct api_who		 who;
};
/* Route and answer a request whose caller (q->who) is set: the HTTPS
 * listener (https.c) calls this after authenticating. */
void	api_serve(struct api_req *q);
/* What q->who's role may reach on a channel (enum channel): the admin and
 * the local socket everything, the auditor reads all and writes nothing,
 * watch officers nrrc and check, CERT analysts cert, principals direct. */
bool	api_may_read(const struct api_who *w, int channel);
bool	api_may_write(const struct api_who *w, int channel);

/* A module's handler for a route prefix; rest is "" or "/..." (see the
 * api_routes table in api.c). It must answer the request exactly once. */
typedef void (*api_handler)(struct api_req *q, const char *rest);

/* Answer with obj serialised (reference stolen); NULL gives a 500. */
void	api_reply_json(struct api_req *q, int status, json_t *obj);
/* Answer {"error": message}. */
void	api_reply_error(struct api_req *q, int status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* The body as a JSON object (duplicate keys refused; empty gives {} when
 * allow_empty), or NULL after answering the error. */
json_t	*api_read_body(struct api_req *q, int allow_empty);
/* Refuse keys of obj not in allowed (NULL-terminated): 0, or -1 after a 400. */
int	 api_check_fields(struct api_req *q, json_t *obj,
	    const char *const *allowed);
/* 405 with an Allow header. */
void	 api_method_not_allowed(struct api_req *q, const char *allow);
/* The peers array of GET /v1/peers (new reference), or NULL. */
json_t	*api_peers_json(struct hotlined *d);
/* UTC milliseconds as an RFC 3339 string with milliseconds, "Z". */
json_t	*api_j_time(uint64_t ms);

/*
 * Parse the len bytes of a POST /v1/messages body (need not end in NUL):
 * a JSON object with duplicate and unknown keys refused. On success sets
 * m's version, to, channel, kind, precedence, exercise and body (the
 * compact JSON of "body", at most max_body and MSG_BODY_MAX bytes, in a new
 * string returned in *bodybuf that the caller frees), and ref_out to "" or
 * the "ref" field as 4..64 lowercase hex digits for the caller to resolve
 * (m->has_ref stays false). Returns 0, or -1 with *status (400, 413, or 500
 * out of memory), a message in err and *bodybuf NULL. Used by api.c and by
 * fuzz/fuzz_api_json.c.
 */
int	api_parse_submit(const char *text, size_t len, uint64_t max_body,
	    struct msg *m, char **bodybuf, char ref_out[ID_HEX_LEN + 1],
	    int *status, char *err, size_t errlen);

#endif
