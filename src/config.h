/*
 * config.h: the node's configuration, read from an INI file with inih.
 * Unknown sections or keys and bad values are errors reported as file:line.
 */
#ifndef HOTLINE_CONFIG_H
#define HOTLINE_CONFIG_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

#define CONFIG_MAX_PEERS	64
#define CONFIG_MAX_ADDRS	8
#define CONFIG_ADDR_MAX		128	/* "host:port" or "[v6]:port" */
#define FPR_HEX_LEN		64	/* SHA-256 of the raw Ed25519 key, hex */
#define CONFIG_NCH		6	/* CH_MAX + 1 (msg.h) */
#define CONFIG_NPREC		5	/* PREC_MAX + 1 */

struct peer_conf {
	char		party[PARTY_MAX + 1];
	char		fingerprint[FPR_HEX_LEN + 1];	/* lowercase hex */
	char		addrs[CONFIG_MAX_ADDRS][CONFIG_ADDR_MAX];
	int		naddrs;		/* 0: we never dial, only accept */
	/* CERT channel (tlp.c): TLP levels shareable with this peer as a
	 * bit set of 1 << TLP_x (default CLEAR and GREEN), whether it is our
	 * own organisation (AMBER+STRICT may go), the level assumed for an
	 * unmarked object (default AMBER), and whether `hotline match` hits
	 * on its indicators are sent back to it as sightings. */
	unsigned	tlp_share;
	int		same_org;
	int		tlp_unmarked;
	int		send_sightings;
};

struct config {
	char		path[PATH_MAX];		/* file it was read from */
	/* [node] */
	char		party[PARTY_MAX + 1];
	char		listen[CONFIG_ADDR_MAX];	/* "" = do not listen */
	char		data_dir[PATH_MAX];
	char		api_socket[PATH_MAX];	/* default DATA_DIR/api.sock */
	char		key_file[PATH_MAX];	/* default DATA_DIR/key.pem */
	char		cert_file[PATH_MAX];	/* default DATA_DIR/cert.pem */
	/* [link] timers, milliseconds */
	uint64_t	heartbeat_ms;		/* default 5000 */
	uint64_t	dead_after_ms;		/* default 15000 */
	uint64_t	handshake_timeout_ms;	/* default 10000 */
	uint64_t	reconnect_min_ms;	/* default 250 */
	uint64_t	reconnect_max_ms;	/* default 10000 */
	/* transparency log: sign and exchange a checkpoint this often, or
	 * sooner once this many leaves were appended (witness.c) */
	uint64_t	checkpoint_interval_ms;	/* default 30000 */
	uint64_t	checkpoint_burst;	/* default 10000 */
	/* [limits] */
	uint64_t	max_body;		/* message body bytes, default 49152 */
	uint64_t	api_max_request;	/* API request body bytes, default 65536 */
	uint64_t	api_max_clients;	/* default 64 */
	uint64_t	peer_max_pending;	/* outbound bytes buffered per peer, default 262144 */
	uint64_t	peer_max_connections;	/* per peer, and per source address before TLS, default 4 */
	/* [nrrc] (issue 5: templates, deadlines, escalation, checks) */
	char		templates_dir[PATH_MAX];	/* default: the source tree's templates/ */
	char		escalate_hook[PATH_MAX];	/* "" = none; run with /bin/sh -c */
	uint64_t	check_interval_ms;		/* scheduled checks, 0 = none */
	/* [deadlines] acknowledgment deadline per [channel][precedence]
	 * (indexes as enum channel / enum precedence), 0 = none */
	uint64_t	deadline_ms[CONFIG_NCH][CONFIG_NPREC];
	/* [https] (issue 8): "" listen = no HTTPS listener */
	char		https_listen[CONFIG_ADDR_MAX];
	char		https_cert[PATH_MAX];	/* default DATA_DIR/https-cert.pem */
	char		https_key[PATH_MAX];	/* default DATA_DIR/https-key.pem */
	char		web_dir[PATH_MAX];	/* default HOTLINE_WEB_DIR */
	struct peer_conf peers[CONFIG_MAX_PEERS];
	int		npeers;
};

/*
 * Read path into *cf (defaults first). On error returns -1 and writes
 * "path:line: message" into err. Relative data_dir is taken relative to the
 * config file's directory.
 */
int	config_load(const char *path, struct config *cf, char *err, size_t errlen);
/* Same, from a string (for tests and fuzzing); name is used in messages. */
int	config_load_string(const char *text, const char *name, struct config *cf,
	    char *err, size_t errlen);
/* Print the configuration back, normalised, as a valid INI file. */
void	config_print(FILE *fp, const struct config *cf);
const struct peer_conf *config_peer_find(const struct config *cf, const char *party);
/* Split "host:port" or "[v6addr]:port" (port 1..65535). 0 or -1. */
int	config_addr_split(const char *addr, char *host, size_t hostsz,
	    char *port, size_t portsz);

#endif
