/*
 * cli.h: the command table of the `hotline` tool. Each cmd_*.c file
 * implements one command group. Commands return a process exit status:
 * 0 success, 1 failure (message already printed to stderr), 2 usage error.
 */
#ifndef HOTLINE_CLI_H
#define HOTLINE_CLI_H

#include <stdbool.h>

struct cli {
	const char	*config;	/* -c FILE, default $HOTLINE_CONF or ./hotline.conf */
	const char	*socket;	/* -s PATH overrides the config's api_socket */
	bool		 json;		/* --json: machine-readable output */
};

/* cmd_init.c: offline */
int	cmd_init(struct cli *cli, int argc, char **argv);
int	cmd_fingerprint(struct cli *cli, int argc, char **argv);
int	cmd_peer(struct cli *cli, int argc, char **argv);	/* peer add|list */
/* cmd_msg.c: talk to the daemon */
int	cmd_send(struct cli *cli, int argc, char **argv);
int	cmd_inbox(struct cli *cli, int argc, char **argv);
int	cmd_show(struct cli *cli, int argc, char **argv);
int	cmd_ack(struct cli *cli, int argc, char **argv);
int	cmd_status(struct cli *cli, int argc, char **argv);
/* cmd_nrrc.c */
int	cmd_notify(struct cli *cli, int argc, char **argv);
int	cmd_shift(struct cli *cli, int argc, char **argv);
int	cmd_checks(struct cli *cli, int argc, char **argv);
int	cmd_show_render(struct cli *cli, const char *id, const char *lang);
/* cmd_cert.c: CERT channel */
int	cmd_indicators(struct cli *cli, int argc, char **argv);
int	cmd_match(struct cli *cli, int argc, char **argv);
/* cmd_account.c: through the local API, as the node's administrator */
int	cmd_account(struct cli *cli, int argc, char **argv);
/* cmd_demo.c */
int	cmd_demo(struct cli *cli, int argc, char **argv);
/* cmd_audit.c: key and verify offline, the rest through the daemon */
int	cmd_audit(struct cli *cli, int argc, char **argv);

#endif
