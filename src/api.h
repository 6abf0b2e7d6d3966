/*
 * api.h: the local HTTP API (JSON, versioned under /v1) on a Unix socket,
 * served by evhttp. It serves the CLI and, later, the console and TAXII.
 */
#ifndef HOTLINE_API_H
#define HOTLINE_API_H

#include <stddef.h>
#include <stdint.h>

#include "hotlined.h"
#include "msg.h"
#include "store.h"

/* Bind the socket (mode 0660, stale socket removed) and serve. 0 or -1. */
int	api_start(struct hotlined *d);
void	api_stop(struct hotlined *d);
/* Message states may have changed (a commit): answer the requests waiting
 * for them (GET /v1/messages/{id}?wait=...). */
void	api_changed(struct hotlined *d);	/* closes and unlinks the socket */

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
