/*
 * hotline.c: the operator's command-line tool. It parses the global options
 * (which stop at the command name), then dispatches through a table to the
 * cmd_*.c files, each of which parses its own options. Most commands talk to
 * the daemon's local API (client.c); init, fingerprint, peer and demo work
 * offline. Exit status: 0 success, 1 failure, 2 usage error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli.h"
#include "log.h"

struct command {
	const char	*name;
	int		(*fn)(struct cli *, int, char **);
	const char	*help;
};

static const struct command commands[] = {
	{ "init", cmd_init,
	    "create a node: key, certificate and configuration" },
	{ "fingerprint", cmd_fingerprint,
	    "print this node's key fingerprint (to give to peers)" },
	{ "peer", cmd_peer,
	    "pin a peer's key and addresses in the configuration" },
	{ "send", cmd_send,
	    "send a message" },
	{ "notify", cmd_notify,
	    "compose an NRRC message from a template and send it" },
	{ "inbox", cmd_inbox,
	    "list messages, newest first" },
	{ "show", cmd_show,
	    "show a message, its body, receipt and history" },
	{ "ack", cmd_ack,
	    "acknowledge a received message" },
	{ "status", cmd_status,
	    "this node and the state of its peer links" },
	{ "shift", cmd_shift,
	    "the watch handover summary: open, overdue, checks, links" },
	{ "checks", cmd_checks,
	    "communication checks: statistics, send one, answer one" },
	{ "account", cmd_account,
	    "operator accounts of the console: add, list, disable, passwd" },
	{ "demo", cmd_demo,
	    "run two nodes on loopback and exchange messages" },
	{ "audit", cmd_audit,
	    "transparency record: verifier key, proofs, offline verify, check" },
	{ "indicators", cmd_indicators,
	    "list, search, show, import STIX objects; TLP policy" },
	{ "match", cmd_match,
	    "retro-hunt: scan logs for the current indicators" },
};
#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: hotline [-c FILE] [-s SOCKET] [--json] [-V] "
	    "COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(fp, "  %-12s %s\n", commands[i].name, commands[i].help);
	fprintf(fp, "  %-12s %s\n", "help", "this list");
	fprintf(fp, "\noptions:\n"
	    "  -c, --config FILE   configuration (default $HOTLINE_CONF, "
	    "else ./hotline.conf)\n"
	    "  -s, --socket PATH   the daemon's API socket (default: "
	    "api_socket in the config)\n"
	    "      --json          print the API's JSON instead of text\n"
	    "  -V, --version       print the version\n"
	    "\n`hotline COMMAND --help` shows a command's options; see "
	    "hotline(1).\n");
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "socket",	required_argument,	NULL, 's' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	struct cli cli = { NULL, NULL, false };
	const struct command *cmd = NULL;
	size_t i;
	int ch, rv;

	log_init("hotline", 0);
	while ((ch = getopt_long(argc, argv, "+c:s:jVh", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			cli.config = optarg;
			break;
		case 's':
			cli.socket = optarg;
			break;
		case 'j':
			cli.json = true;
			break;
		case 'V':
			printf("hotline %s\n", HOTLINE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[0], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		fprintf(stderr, "hotline: unknown command \"%s\"\n\n", argv[0]);
		usage(stderr);
		return 2;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "hotline: cannot initialise libcurl\n");
		return 1;
	}
	/* Each command parses its own options from argv[0] = its name. */
	optind = 0;
	rv = cmd->fn(&cli, argc, argv);
	curl_global_cleanup();
	return rv;
}
