/*
 * https.h: the HTTPS listener ([https] listen in hotline.conf(5)). It
 * serves the web console's files and the same routes as the Unix socket
 * (api.c), to authenticated accounts only: HTTP Basic for API and TAXII
 * clients, session cookies (with CSRF tokens) for the console.
 */
#ifndef HOTLINE_HTTPS_H
#define HOTLINE_HTTPS_H

#include <stdint.h>

#include "hotlined.h"

/* Start listening if [https] listen is set (creating a self-signed
 * certificate and key if neither file exists). 0 or -1 (logged). */
int	https_start(struct hotlined *d);
void	https_stop(struct hotlined *d);	/* no-op if not started */
/* An account was disabled or its password changed: end its sessions. */
void	https_account_changed(struct hotlined *d, const char *name);

/* Figures for /metrics. */
struct https_stats {
	uint64_t	logins_ok;
	uint64_t	logins_failed;
	uint64_t	logins_throttled;
	uint64_t	auth_refused;	/* requests without valid credentials */
	uint64_t	csrf_refused;
	int		sessions;
};
/* 0, or -1 if the listener is not running. */
int	https_stats_get(struct hotlined *d, struct https_stats *s);

#endif
