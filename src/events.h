/*
 * events.h: live updates for the console over Server-Sent Events
 * (GET /v1/events), and the link-health history the console shows (RTT
 * samples per peer, kept in memory).
 */
#ifndef HOTLINE_EVENTS_H
#define HOTLINE_EVENTS_H

#include <stdint.h>

#include <jansson.h>

#include "api.h"
#include "hotlined.h"

struct evhttp_connection;

#define EVENTS_TICK_MS		1000	/* peers checked for changes */
#define EVENTS_COALESCE_MS	50	/* messages events at most this often */
#define EVENTS_PEERS_EVERY	5	/* ticks between periodic peers events */
#define EVENTS_KEEPALIVE_S	15
#define EVENTS_RTT_SAMPLES	120	/* per peer, one per heartbeat: 10 min
					 * at the default 5 s */

int	events_start(struct hotlined *d);
void	events_stop(struct hotlined *d);	/* NULL context is a no-op */
/* A commit may have changed messages: tell every client. */
void	events_changed(struct hotlined *d);
/* api.c: a connection closed; drop its stream if it had one. */
void	events_conn_closed(struct hotlined *d, struct evhttp_connection *evcon);
/* GET /v1/events */
void	events_api(struct api_req *q, const char *rest);
/* Open event streams. */
int	events_clients(struct hotlined *d);
/* [[time, rtt_ms], ...] of peer, oldest first (new reference), or NULL. */
json_t	*events_rtt_history(struct hotlined *d, int peer_index);

#endif
