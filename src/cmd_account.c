/*
 * cmd_account.c: `hotline account add|list|disable|enable|passwd`, the
 * operator accounts of the console and the HTTPS API. They go through the
 * daemon's local API (/v1/accounts), where the Unix socket's caller is the
 * node's administrator; the daemon hashes the password (argon2id) and
 * stores it. A password is read from the terminal without echo (twice),
 * or with --password-stdin as the first line of standard input.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "cli.h"
#include "client.h"

#define PW_MAX	256

/* Read one line into buf (no newline), without echo on a terminal.
 * 0, or -1. */
static int
read_line(const char *prompt, int from_stdin, char *buf, size_t bufsz)
{
	struct termios old, noecho;
	int tty = !from_stdin && isatty(STDIN_FILENO), rc = -1;
	size_t n;

	if (!from_stdin && !tty) {
		fprintf(stderr, "hotline: no terminal to read the password "
		    "from; use --password-stdin\n");
		return -1;
	}
	if (tty) {
		fprintf(stderr, "%s", prompt);
		if (tcgetattr(STDIN_FILENO, &old) == -1)
			return -1;
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho) == -1)
			return -1;
	}
	if (fgets(buf, (int)bufsz, stdin) != NULL) {
		n = strcspn(buf, "\r\n");
		if (buf[n] == '\0' && n + 1 == bufsz)
			fprintf(stderr, "\nhotline: password longer than %d "
			    "bytes\n", PW_MAX);
		else {
			buf[n] = '\0';
			rc = 0;
		}
	}
	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	return rc;
}

/* The new password into pw: asked twice on a terminal. 0 or -1. */
static int
get_password(int from_stdin, char *pw, size_t pwsz)
{
	char again[PW_MAX + 2];
	int rc = -1;

	if (read_line("New password: ", from_stdin, pw, pwsz) == -1)
		return -1;
	if (from_stdin)
		return 0;
	if (read_line("Again: ", 0, again, sizeof(again)) == 0) {
		if (strcmp(pw, again) == 0)
			rc = 0;
		else
			fprintf(stderr, "hotline: the passwords differ\n");
	}
	OPENSSL_cleanse(again, sizeof(again));
	return rc;
}

static int
print_json(json_t *v)
{
	if (json_dumpf(v, stdout, JSON_INDENT(2)) == -1 ||
	    fputc('\n', stdout) == EOF)
		return 1;
	return 0;
}

static int
account_list(struct cli *cli)
{
	json_t *resp = NULL, *arr, *a;
	size_t i;
	int rv = 1;

	if (client_request(cli, "GET", "/v1/accounts", NULL, &resp) == -1)
		return 1;
	if (cli->json) {
		rv = print_json(resp);
		goto done;
	}
	arr = json_object_get(resp, "accounts");
	printf("%-24s %-10s %-9s %s\n", "NAME", "ROLE", "STATE", "CHANGED");
	json_array_foreach(arr, i, a)
		printf("%-24s %-10s %-9s %s\n",
		    json_string_value(json_object_get(a, "name")),
		    json_string_value(json_object_get(a, "role")),
		    json_is_true(json_object_get(a, "disabled")) ?
		    "disabled" : "enabled",
		    json_string_value(json_object_get(a, "changed")));
	rv = 0;
 done:
	json_decref(resp);
	return rv;
}

int
cmd_account(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "role",		required_argument,	NULL, 'r' },
		{ "password-stdin",	no_argument,		NULL, 'p' },
		{ "json",		no_argument,		NULL, 'j' },
		{ "help",		no_argument,		NULL, 'h' },
		{ NULL,			0,			NULL, 0 },
	};
	const char *role = NULL, *sub, *name = NULL;
	char pw[PW_MAX + 2], path[160];
	json_t *req = NULL, *resp = NULL;
	int ch, from_stdin = 0, rv = 1;

	pw[0] = '\0';
	if (argc < 2)
		goto usage;
	sub = argv[1];
	argc--;
	argv++;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "r:pjh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r': role = optarg; break;
		case 'p': from_stdin = 1; break;
		case 'j': cli->json = true; break;
		default: goto usage;
		}
	}
	if (strcmp(sub, "list") == 0) {
		if (optind != argc)
			goto usage;
		return account_list(cli);
	}
	if (optind + 1 != argc)
		goto usage;
	name = argv[optind];
	if (strlen(name) > 64 || strspn(name,
	    "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(name)) {
		fprintf(stderr, "hotline: %s: not an account name "
		    "([a-z0-9._-]{1,64})\n", name);
		goto done;
	}
	if (strcmp(sub, "add") == 0) {
		if (role == NULL) {
			fprintf(stderr, "hotline: account add needs --role "
			    "(admin, watch, cert, principal, auditor)\n");
			goto usage;
		}
		if (get_password(from_stdin, pw, sizeof(pw)) == -1)
			goto done;
		req = json_pack("{s:s, s:s, s:s}", "name", name, "role", role,
		    "password", pw);
		(void)snprintf(path, sizeof(path), "/v1/accounts");
	} else if (strcmp(sub, "passwd") == 0) {
		if (get_password(from_stdin, pw, sizeof(pw)) == -1)
			goto done;
		req = json_pack("{s:s}", "password", pw);
		(void)snprintf(path, sizeof(path), "/v1/accounts/%s/password",
		    name);
	} else if (strcmp(sub, "disable") == 0 || strcmp(sub, "enable") == 0) {
		req = json_object();
		(void)snprintf(path, sizeof(path), "/v1/accounts/%s/%s", name,
		    sub);
	} else
		goto usage;
	if (req == NULL) {
		fprintf(stderr, "hotline: the password must be UTF-8\n");
		goto done;
	}
	if (client_request(cli, "POST", path, req, &resp) == -1)
		goto done;
	if (cli->json)
		rv = print_json(resp);
	else {
		printf("account %s: %s\n", name, strcmp(sub, "add") == 0 ?
		    "added" : strcmp(sub, "passwd") == 0 ? "password changed" :
		    strcmp(sub, "disable") == 0 ? "disabled" : "enabled");
		rv = 0;
	}
	goto done;
 usage:
	fprintf(stderr, "usage: hotline account add NAME --role ROLE "
	    "[--password-stdin]\n"
	    "       hotline account passwd NAME [--password-stdin]\n"
	    "       hotline account disable|enable NAME\n"
	    "       hotline account list [--json]\n"
	    "roles: admin, watch (nrrc, check), cert, principal (direct), "
	    "auditor (read-only)\n");
	rv = 2;
 done:
	OPENSSL_cleanse(pw, sizeof(pw));
	if (req != NULL) {
		/* The request held the password; jansson frees without
		 * wiping, so overwrite it first. */
		json_t *p = json_object_get(req, "password");

		if (p != NULL && json_string_length(p) > 0)
			OPENSSL_cleanse((char *)json_string_value(p),
			    json_string_length(p));
	}
	json_decref(req);
	json_decref(resp);
	return rv;
}
