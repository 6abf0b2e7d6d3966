/*
 * client.h: the CLI's HTTP client for the daemon's local API (JSON over a
 * Unix socket, libcurl). Every failure is reported on stderr in words an
 * operator can act on.
 */
#ifndef HOTLINE_CLIENT_H
#define HOTLINE_CLIENT_H

#include <stddef.h>

#include <jansson.h>

#include "cli.h"

#define CLIENT_MAX_RESPONSE	(16 * 1024 * 1024)
#define CLIENT_TIMEOUT_S	30

/*
 * The API socket path: cli->socket if set, else api_socket from the config
 * file (cli->config, else $HOTLINE_CONF, else ./hotline.conf). 0, or -1
 * with the reason printed.
 */
int	client_socket_path(struct cli *cli, char *out, size_t outsz);

/*
 * Call the API: method "GET" or "POST", path such as "/v1/status", body
 * (may be NULL; not stolen) sent as JSON. On success returns 0 with the
 * parsed JSON object in *resp (caller decrefs) and the HTTP status in
 * *status, whatever the status. Returns -1 with the reason printed if the
 * daemon cannot be reached or its answer is not a JSON object.
 */
int	client_call(struct cli *cli, const char *method, const char *path,
	    json_t *body, json_t **resp, long *status);

/*
 * client_call() that also treats a non-2xx status as failure, printing the
 * API's error message. 0 with *resp set, or -1.
 */
int	client_request(struct cli *cli, const char *method, const char *path,
	    json_t *body, json_t **resp);

/* Append "&key=value" ("?" first) to path, value percent-encoded. 0 or -1
 * if it would not fit. */
int	client_query_add(char *path, size_t pathsz, const char *key,
	    const char *value);

#endif
