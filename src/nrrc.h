/*
 * nrrc.h: the daemon's NRRC module: it loads the template catalogue,
 * runs the deadline scan and the check schedule once a second, and serves
 * the NRRC routes of the local API (/v1/templates, /v1/render, /v1/notify,
 * /v1/overdue, /v1/checks, /v1/shift; docs/API.md).
 */
#ifndef HOTLINE_NRRC_H
#define HOTLINE_NRRC_H

#include <stdint.h>

#include <jansson.h>

#include "api.h"
#include "hotlined.h"
#include "store.h"

struct tpl_cat;
struct notify;

struct nrrc {
	struct tpl_cat	*cat;		/* NULL: the catalogue did not load */
	char		 cat_err[512];	/* why, then */
	struct notify	*notify;
	struct event	*timer;
	uint64_t	*last_check;	/* per peer: last scheduled check, UTC ms */
};

/* Load the catalogue (a failure is logged; the daemon runs on and shows
 * structured messages raw) and start the timer. 0 or -1. */
int	nrrc_start(struct hotlined *d);
void	nrrc_stop(struct hotlined *d);

/* Add the NRRC facts of row to its API object o: "deadline",
 * "deadline_state", "overdue_since", "ack_late", and "template"
 * {name, status, explanation}. 0 or -1. */
int	nrrc_msg_annotate(struct hotlined *d, const struct msg_row *row,
	    json_t *o);

/* HELLO: announce our catalogue; note the peer's (logged when it
 * differs from ours). */
struct hello;
void	nrrc_hello_fill(struct hotlined *d, struct hello *h);
void	nrrc_hello_seen(struct peer *p, const struct hello *h);

/* Log a message just received from p (before its commit): kind,
 * precedence, EXERCISE, and its template, flagged when this node cannot
 * render it (it is stored all the same). */
void	nrrc_log_received(struct peer *p, const struct msg *m);

/* Route handlers (api.c's api_routes). */
void	nrrc_api_templates(struct api_req *q, const char *rest);
void	nrrc_api_render(struct api_req *q, const char *rest);
void	nrrc_api_notify(struct api_req *q, const char *rest);
void	nrrc_api_overdue(struct api_req *q, const char *rest);
void	nrrc_api_checks(struct api_req *q, const char *rest);
void	nrrc_api_shift(struct api_req *q, const char *rest);

#endif
