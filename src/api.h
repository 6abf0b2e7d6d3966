/*
 * api.h: the local HTTP API (JSON, versioned under /v1) on a Unix socket,
 * served by evhttp. It serves the CLI and, later, the console and TAXII.
 */
#ifndef HOTLINE_API_H
#define HOTLINE_API_H

#include "hotlined.h"

/* Bind the socket (mode 0660, stale socket removed) and serve. 0 or -1. */
int	api_start(struct hotlined *d);
void	api_stop(struct hotlined *d);	/* closes and unlinks the socket */

#endif
