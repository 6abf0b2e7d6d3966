/*
 * cmd_msg.c: the message commands of the CLI: send (and its alias notify),
 * inbox, show, ack and status. Each builds one request to the daemon's
 * local API (client.c) and prints the answer for a watch officer, or the
 * API's JSON with --json. Exit status: 0 ok, 1 failure, 2 usage.
 */
#include <sys/ioctl.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "client.h"
#include "msg.h"
#include "util.h"

#define BODY_FILE_MAX	(1024 * 1024)	/* the daemon refuses far less */
#define PATH_Q_MAX	2048

static int
print_json(json_t *v)
{
	if (json_dumpf(v, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6)) ==
	    -1 ||
	    fputc('\n', stdout) == EOF) {
		fprintf(stderr, "hotline: cannot write the output\n");
		return 1;
	}
	return 0;
}

/* A string field of o, or def if absent or not a string. */
static const char *
jstr(json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : def;
}

/* "2026-11-23T09:25:44.123Z" -> "11-23 09:25:44" (UTC), or "-". */
static void
short_time(const char *t, char out[16])
{
	if (t == NULL || strlen(t) < 19) {
		snprintf(out, 16, "-");
		return;
	}
	snprintf(out, 16, "%.5s %.8s", t + 5, t + 11);
}

static void
upper(const char *s, char *out, size_t outsz)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < outsz; i++)
		out[i] = (char)toupper((unsigned char)s[i]);
	out[i] = '\0';
}

/* Bytes of the UTF-8 sequence starting at p (1 for a stray byte). */
static size_t
u8len(const unsigned char *p)
{
	size_t n = 1;

	if (*p >= 0xc0)
		while (n < 4 && p[n] >= 0x80 && p[n] < 0xc0)
			n++;
	return n;
}

/*
 * Copy the first line of s into out: at most width characters (a UTF-8
 * sequence counts as one), control characters shown as spaces, and "..."
 * at the end when it had to be cut. out must hold 4 * width + 4 bytes or
 * the line is cut earlier.
 */
static void
first_line(const char *s, size_t width, char *out, size_t outsz)
{
	const unsigned char *p = (const unsigned char *)s, *q;
	size_t n = 0, chars = 0, keep, clen;

	for (q = p; *q != '\0' && *q != '\n' && *q != '\r'; q += u8len(q))
		chars++;
	keep = chars <= width ? chars : (width > 3 ? width - 3 : 0);
	while (keep-- > 0) {
		clen = u8len(p);
		if (n + clen + 4 > outsz)
			break;
		if (clen == 1 && (*p < 0x20 || *p == 0x7f))
			out[n++] = ' ';
		else {
			memcpy(out + n, p, clen);
			n += clen;
		}
		p += clen;
	}
	if (chars > width || keep != (size_t)-1) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

static size_t
term_width(void)
{
	struct winsize ws;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col >= 40)
		return ws.ws_col;
	/* Not a terminal: do not cut (first_line still bounds it). */
	return 0;
}

/* Read a whole file (or stdin for "-"), at most BODY_FILE_MAX bytes. */
static char *
read_file_bounded(const char *path, size_t *lenp)
{
	FILE *fp;
	char *data;
	size_t len = 0, n;

	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "hotline: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	data = xmalloc(BODY_FILE_MAX + 1);
	while ((n = fread(data + len, 1, BODY_FILE_MAX + 1 - len, fp)) > 0) {
		len += n;
		if (len > BODY_FILE_MAX)
			break;
	}
	if (ferror(fp) || len > BODY_FILE_MAX) {
		fprintf(stderr, "hotline: %s: %s\n", path, ferror(fp) ?
		    "read error" : "larger than 1 MiB");
		free(data);
		data = NULL;
	}
	if (fp != stdin)
		fclose(fp);
	*lenp = len;
	return data;
}

/*
 * hotline send --to PARTY [--channel C] [--kind K] [--precedence P]
 *     [--ref ID] [--exercise] (--text T [--lang L] | --body JSON |
 *     --body-file FILE|-)
 */
int
cmd_send(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "to",		required_argument,	NULL, 't' },
		{ "channel",	required_argument,	NULL, 'C' },
		{ "kind",	required_argument,	NULL, 'k' },
		{ "precedence",	required_argument,	NULL, 'p' },
		{ "ref",	required_argument,	NULL, 'r' },
		{ "exercise",	no_argument,		NULL, 'x' },
		{ "text",	required_argument,	NULL, 'T' },
		{ "lang",	required_argument,	NULL, 'l' },
		{ "body",	required_argument,	NULL, 'b' },
		{ "body-file",	required_argument,	NULL, 'f' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	const char *to = NULL, *channel = "nrrc", *kind = "notification";
	const char *prec = "routine", *ref = NULL, *text = NULL, *lang = "en";
	const char *bodyarg = NULL, *bodyfile = NULL;
	char *filedata = NULL, precup[16], shortid[13];
	json_t *body = NULL, *req = NULL, *resp = NULL;
	json_error_t jerr;
	bool exercise = false;
	size_t len;
	int ch, nsrc, rv = 1;

	while ((ch = getopt_long(argc, argv, "t:C:k:p:r:xT:l:b:f:jh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 't': to = optarg; break;
		case 'C': channel = optarg; break;
		case 'k': kind = optarg; break;
		case 'p': prec = optarg; break;
		case 'r': ref = optarg; break;
		case 'x': exercise = true; break;
		case 'T': text = optarg; break;
		case 'l': lang = optarg; break;
		case 'b': bodyarg = optarg; break;
		case 'f': bodyfile = optarg; break;
		case 'j': cli->json = true; break;
		default: goto usage;
		}
	}
	nsrc = (text != NULL) + (bodyarg != NULL) + (bodyfile != NULL);
	if (optind != argc || to == NULL || nsrc != 1)
		goto usage;

	if (text != NULL) {
		body = json_pack("{s:s, s:s}", "text", text, "lang", lang);
		if (body == NULL) {
			fprintf(stderr, "hotline: --text and --lang must be "
			    "UTF-8\n");
			goto done;
		}
	} else {
		if (bodyfile != NULL) {
			if ((filedata = read_file_bounded(bodyfile, &len)) ==
			    NULL)
				goto done;
		}
		body = bodyfile != NULL ?
		    json_loadb(filedata, len, JSON_REJECT_DUPLICATES, &jerr) :
		    json_loads(bodyarg, JSON_REJECT_DUPLICATES, &jerr);
		if (body == NULL) {
			fprintf(stderr, "hotline: body: malformed JSON at line "
			    "%d column %d: %s\n", jerr.line, jerr.column,
			    jerr.text);
			goto done;
		}
		if (!json_is_object(body)) {
			fprintf(stderr, "hotline: body must be a JSON object\n");
			goto done;
		}
	}
	req = json_pack("{s:s, s:s, s:s, s:s, s:O, s:b}", "to", to, "channel",
	    channel, "kind", kind, "precedence", prec, "body", body,
	    "exercise", exercise);
	if (req == NULL || (ref != NULL &&
	    json_object_set_new(req, "ref", json_string(ref)) == -1)) {
		fprintf(stderr, "hotline: arguments must be UTF-8\n");
		goto done;
	}
	if (client_request(cli, "POST", "/v1/messages", req, &resp) == -1)
		goto done;
	if (cli->json)
		rv = print_json(resp);
	else {
		snprintf(shortid, sizeof(shortid), "%s", jstr(resp, "id", "?"));
		upper(prec, precup, sizeof(precup));
		printf("%s %s  %s/%s %s to %s%s\n", jstr(resp, "state", "queued"),
		    shortid, channel, kind, precup, to,
		    exercise ? "  EXERCISE" : "");
		rv = 0;
	}
	goto done;
 usage:
	fprintf(stderr, "usage: hotline %s --to PARTY [--channel nrrc] "
	    "[--kind notification]\n"
	    "           [--precedence flash|immediate|priority|routine] "
	    "[--ref ID] [--exercise]\n"
	    "           (--text TEXT [--lang en] | --body JSON | --body-file "
	    "FILE|-) [--json]\n", argv[0]);
	rv = 2;
 done:
	json_decref(resp);
	json_decref(req);
	json_decref(body);
	free(filedata);
	return rv;
}

/*
 * The one-line summary of a body: its "text", else its "note" (acks), else
 * its compact JSON.
 */
static void
body_summary(json_t *body, size_t width, char *out, size_t outsz)
{
	const char *t, *tn, *x;
	json_t *f;
	char *dump;

	/* A structured (template) body: its template and its reference or
	 * main text; `hotline show ID --lang` renders the rest. */
	if ((tn = json_string_value(json_object_get(body, "template"))) !=
	    NULL && json_is_object(f = json_object_get(body, "fields"))) {
		if ((x = json_string_value(json_object_get(f, "reference"))) ==
		    NULL && (x = json_string_value(json_object_get(
		    json_object_get(f, "message"), "text"))) == NULL &&
		    (x = json_string_value(json_object_get(f, "scheduled"))) ==
		    NULL)
			x = "";
		if ((dump = xmalloc(strlen(tn) + strlen(x) + 3)) != NULL) {
			snprintf(dump, strlen(tn) + strlen(x) + 3, "%s: %s", tn,
			    x);
			first_line(dump, width, out, outsz);
			free(dump);
			return;
		}
	}
	if ((t = json_string_value(json_object_get(body, "text"))) != NULL ||
	    (t = json_string_value(json_object_get(body, "note"))) != NULL ||
	    (t = json_string_value(body)) != NULL) {
		first_line(t, width, out, outsz);
		return;
	}
	if ((dump = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL) {
		snprintf(out, outsz, "?");
		return;
	}
	first_line(dump, width, out, outsz);
	free(dump);
}

/* The state column: OVERDUE and late acknowledgments stand out. */
static const char *
inbox_state(json_t *m)
{
	const char *dl = jstr(m, "deadline_state", "");

	if (strcmp(dl, "overdue") == 0)
		return "OVERDUE";
	if (strcmp(dl, "acknowledged-late") == 0)
		return "acked-LATE";
	return jstr(m, "state", "?");
}

/* A structured body this node cannot render is flagged in the list. */
static const char *
template_flag(json_t *m)
{
	const char *st = jstr(json_object_get(m, "template"), "status", "ok");

	if (strcmp(st, "unknown-template") == 0)
		return "[RAW: unknown template] ";
	if (strcmp(st, "unknown-catalogue-version") == 0)
		return "[RAW: unknown catalogue version] ";
	if (strcmp(st, "invalid") == 0)
		return "[RAW: invalid template fields] ";
	return "";
}

static void
prec_label(const char *prec, char *out, size_t outsz)
{
	char up[16];

	upper(prec, up, sizeof(up));
	if (strcmp(prec, "flash") == 0 || strcmp(prec, "immediate") == 0)
		(void)snprintf(out, outsz, "!%.14s", up);
	else
		(void)snprintf(out, outsz, " %.14s", up);
}

/*
 * hotline inbox [--all|--out] [--channel C] [--peer P] [--state S]
 *     [--since T] [--limit N] [--before CURSOR]
 */
int
cmd_inbox(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all",	no_argument,		NULL, 'a' },
		{ "out",	no_argument,		NULL, 'o' },
		{ "channel",	required_argument,	NULL, 'C' },
		{ "peer",	required_argument,	NULL, 'P' },
		{ "state",	required_argument,	NULL, 'S' },
		{ "since",	required_argument,	NULL, 'i' },
		{ "limit",	required_argument,	NULL, 'n' },
		{ "before",	required_argument,	NULL, 'B' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	const char *dir = "in", *keys[6] = { "channel", "peer", "state",
	    "since", "limit", "before" }, *vals[6] = { NULL };
	char path[PATH_Q_MAX] = "/v1/messages", label[16], ck[48], fromto[72];
	char created[16], received[16], text[512], shortid[13];
	json_t *resp = NULL, *msgs, *m;
	const char *next;
	size_t i, width, tw;
	int ch, rv = 1;

	while ((ch = getopt_long(argc, argv, "aoC:P:S:i:n:B:jh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'a': dir = NULL; break;
		case 'o': dir = "out"; break;
		case 'C': vals[0] = optarg; break;
		case 'P': vals[1] = optarg; break;
		case 'S': vals[2] = optarg; break;
		case 'i': vals[3] = optarg; break;
		case 'n': vals[4] = optarg; break;
		case 'B': vals[5] = optarg; break;
		case 'j': cli->json = true; break;
		default: goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if (dir != NULL && client_query_add(path, sizeof(path), "dir",
	    dir) == -1)
		goto toolong;
	for (i = 0; i < 6; i++)
		if (vals[i] != NULL && client_query_add(path, sizeof(path),
		    keys[i], vals[i]) == -1)
			goto toolong;
	if (client_request(cli, "GET", path, NULL, &resp) == -1)
		goto done;
	if (cli->json) {
		rv = print_json(resp);
		goto done;
	}
	msgs = json_object_get(resp, "messages");
	if (!json_is_array(msgs)) {
		fprintf(stderr, "hotline: unexpected answer from the daemon\n");
		goto done;
	}
	if (json_array_size(msgs) == 0) {
		printf("no messages\n");
		rv = 0;
		goto done;
	}
	tw = term_width();
	printf("%-12s  %-10s  %-22s  %-9s  %-14s  %-14s  %-12s  %s\n", "ID",
	    " PREC", "CHANNEL/KIND", "FROM->TO", "CREATED (UTC)",
	    "RECEIVED", "STATE", "TEXT");
	/* Everything before TEXT takes 115 columns. */
	if (tw == 0)
		width = 120;
	else
		width = tw > 115 + 20 ? tw - 115 : 20;
	json_array_foreach(msgs, i, m) {
		snprintf(shortid, sizeof(shortid), "%s", jstr(m, "id", "?"));
		prec_label(jstr(m, "precedence", "?"), label, sizeof(label));
		snprintf(ck, sizeof(ck), "%s/%s", jstr(m, "channel", "?"),
		    jstr(m, "kind", "?"));
		snprintf(fromto, sizeof(fromto), "%s->%s", jstr(m, "from", "?"),
		    jstr(m, "to", "?"));
		short_time(jstr(m, "created", NULL), created);
		short_time(jstr(m, "received", NULL), received);
		if (json_is_true(json_object_get(m, "exercise"))) {
			snprintf(text, sizeof(text), "[EXERCISE] ");
			body_summary(json_object_get(m, "body"),
			    width > 11 ? width - 11 : 1, text + 11,
			    sizeof(text) - 11);
		} else
			body_summary(json_object_get(m, "body"), width, text,
			    sizeof(text));
		printf("%-12s  %-10s  %-22s  %-9s  %-14s  %-14s  %-12s  %s%s\n",
		    shortid, label, ck, fromto, created, received,
		    inbox_state(m), template_flag(m), text);
	}
	if ((next = json_string_value(json_object_get(resp, "next"))) != NULL)
		printf("(more: hotline inbox --before %s ...)\n", next);
	rv = 0;
	goto done;
 toolong:
	fprintf(stderr, "hotline: filter arguments too long\n");
	goto done;
 usage:
	fprintf(stderr, "usage: hotline inbox [--all | --out] [--channel C] "
	    "[--peer P] [--state S]\n"
	    "           [--since TIME] [--limit N] [--before CURSOR] "
	    "[--json]\n");
	rv = 2;
 done:
	json_decref(resp);
	return rv;
}

/* One receipt as a line: "receipt 1a2b.. by ru, seq 3, ...". */
static void
print_receipt(json_t *r)
{
	const char *key = jstr(r, "key", NULL);

	printf("receipt %.12s by %s, seq %lld, signature %s (%s, key %.12s)",
	    jstr(r, "id", "?"), jstr(r, "signed_by", "?"),
	    (long long)json_integer_value(json_object_get(r, "seq")),
	    json_is_true(json_object_get(r, "verified")) ? "verified" :
	    "NOT verified", jstr(r, "algorithm", "ed25519"),
	    key != NULL ? key : "unknown");
}

/* hotline show ID [--lang en|ru] */
int
cmd_show(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "lang",	required_argument, NULL, 'L' },
		{ "json",	no_argument,	NULL, 'j' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL,		0,		NULL, 0 },
	};
	char path[256], up[16];
	json_t *resp = NULL, *hist, *e, *body, *r;
	const char *dir, *t;
	const char *lang = NULL;
	char *pretty = NULL;
	size_t i;
	int ch, rv = 1;

	while ((ch = getopt_long(argc, argv, "L:jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'L': lang = optarg; break;
		case 'j': cli->json = true; break;
		default: goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	if (strspn(argv[optind], "0123456789abcdefABCDEF") !=
	    strlen(argv[optind]) || strlen(argv[optind]) > 64) {
		fprintf(stderr, "hotline: %s: not a message id (hex)\n",
		    argv[optind]);
		goto done;
	}
	if (lang != NULL)
		return cmd_show_render(cli, argv[optind], lang);
	snprintf(path, sizeof(path), "/v1/messages/%s", argv[optind]);
	if (client_request(cli, "GET", path, NULL, &resp) == -1)
		goto done;
	if (cli->json) {
		rv = print_json(resp);
		goto done;
	}
	dir = jstr(resp, "dir", "?");
	upper(jstr(resp, "precedence", "?"), up, sizeof(up));
	printf("message     %s\n", jstr(resp, "id", "?"));
	printf("direction   %s: %s -> %s\n", strcmp(dir, "in") == 0 ?
	    "inbound" : "outbound", jstr(resp, "from", "?"),
	    jstr(resp, "to", "?"));
	printf("channel     %s/%s\n", jstr(resp, "channel", "?"),
	    jstr(resp, "kind", "?"));
	printf("precedence  %s\n", up);
	printf("seq         %lld\n",
	    (long long)json_integer_value(json_object_get(resp, "seq")));
	if (json_is_true(json_object_get(resp, "exercise")))
		printf("exercise    yes: EXERCISE TRAFFIC\n");
	if ((t = jstr(resp, "ref", NULL)) != NULL)
		printf("ref         %s\n", t);
	printf("created     %s (sender's clock)\n", jstr(resp, "created", "-"));
	printf("state       %s\n", jstr(resp, "state", "?"));
	if ((t = jstr(resp, "deadline", NULL)) != NULL)
		printf("deadline    %s: %s\n", t, jstr(resp, "deadline_state",
		    "?"));
	if ((body = json_object_get(resp, "template")) != NULL &&
	    json_is_object(body)) {
		printf("template    %s (%s)\n", jstr(body, "name", "?"),
		    jstr(body, "status", "?"));
		if ((t = jstr(body, "explanation", NULL)) != NULL)
			printf("            not rendered here: %s\n", t);
		printf("            hotline show %.12s --lang en|ru renders "
		    "it\n", jstr(resp, "id", "?"));
	}
	if ((t = jstr(resp, "key", NULL)) != NULL)
		printf("signed by   %s, ed25519 key %s\n",
		    jstr(resp, "from", "?"), t);
	body = json_object_get(resp, "signature");
	if (strcmp(jstr(body, "form", ""), "ed25519-batch") == 0)
		printf("signature   batch: message %lld of %lld under one "
		    "signature of their Merkle root\n",
		    (long long)json_integer_value(json_object_get(body,
		    "batch_index")) + 1, (long long)json_integer_value(
		    json_object_get(body, "batch_size")));
	body = json_object_get(resp, "body");
	if ((t = json_string_value(json_object_get(body, "text"))) != NULL) {
		printf("text (%s):\n", jstr(body, "lang", "?"));
		printf("  %s\n", t);
	}
	if ((pretty = json_dumps(body, JSON_INDENT(2) | JSON_ENCODE_ANY)) !=
	    NULL)
		printf("body:\n%s\n", pretty);
	printf("history:\n");
	hist = json_object_get(resp, "history");
	json_array_foreach(hist, i, e) {
		r = json_object_get(e, "receipt");
		t = jstr(e, "ack_id", NULL);
		printf("  %-24s  ", jstr(e, "time", "-"));
		printf(r != NULL || t != NULL ? "%-12s" : "%s",
		    jstr(e, "event", "?"));
		if (r != NULL) {
			printf("  ");
			print_receipt(r);
		}
		if (t != NULL)
			printf("  by %s (ack %.12s)", jstr(e, "by", "?"), t);
		printf("\n");
	}
	rv = 0;
	goto done;
 usage:
	fprintf(stderr, "usage: hotline show ID [--lang en|ru] [--json]\n");
	rv = 2;
 done:
	free(pretty);
	json_decref(resp);
	return rv;
}

/* hotline ack ID [--note TEXT] */
int
cmd_ack(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "note",	required_argument,	NULL, 'n' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	const char *note = NULL;
	char path[256];
	json_t *req = NULL, *resp = NULL;
	int ch, rv = 1;

	while ((ch = getopt_long(argc, argv, "n:jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n': note = optarg; break;
		case 'j': cli->json = true; break;
		default: goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	if (strspn(argv[optind], "0123456789abcdefABCDEF") !=
	    strlen(argv[optind]) || strlen(argv[optind]) > 64) {
		fprintf(stderr, "hotline: %s: not a message id (hex)\n",
		    argv[optind]);
		goto done;
	}
	snprintf(path, sizeof(path), "/v1/messages/%s/ack", argv[optind]);
	req = note != NULL ? json_pack("{s:s}", "note", note) : json_object();
	if (req == NULL) {
		fprintf(stderr, "hotline: --note must be UTF-8\n");
		goto done;
	}
	if (client_request(cli, "POST", path, req, &resp) == -1)
		goto done;
	if (cli->json)
		rv = print_json(resp);
	else {
		printf("acknowledged %.12s (ack message %.12s)\n",
		    jstr(resp, "ref", argv[optind]), jstr(resp, "id", "?"));
		rv = 0;
	}
	goto done;
 usage:
	fprintf(stderr, "usage: hotline ack ID [--note TEXT] [--json]\n");
	rv = 2;
 done:
	json_decref(req);
	json_decref(resp);
	return rv;
}

/* hotline status */
int
cmd_status(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json",	no_argument,	NULL, 'j' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL,		0,		NULL, 0 },
	};
	json_t *resp = NULL, *peers, *p, *rtt, *q;
	char rttbuf[32], seen[16], queue[24];
	const char *addr;
	size_t i;
	int ch, rv = 1;

	while ((ch = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': cli->json = true; break;
		default: goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if (client_request(cli, "GET", "/v1/status", NULL, &resp) == -1)
		goto done;
	if (cli->json) {
		rv = print_json(resp);
		goto done;
	}
	printf("node         %s\n", jstr(resp, "party", "?"));
	printf("fingerprint  %s\n", jstr(resp, "fingerprint", "?"));
	printf("version      %s, up since %s\n", jstr(resp, "version", "?"),
	    jstr(resp, "started", "?"));
	printf("time         %s\n\n", jstr(resp, "time", "?"));
	peers = json_object_get(resp, "peers");
	if (json_array_size(peers) == 0) {
		printf("no peers configured\n");
		rv = 0;
		goto done;
	}
	printf("%-10s  %-10s  %-24s  %-9s  %-14s  %-6s  %s\n", "PEER", "STATE",
	    "ADDRESS", "RTT", "LAST SEEN", "QUEUE", "LAST ERROR");
	json_array_foreach(peers, i, p) {
		rtt = json_object_get(p, "rtt_ms");
		if (json_is_number(rtt))
			snprintf(rttbuf, sizeof(rttbuf), "%.1f ms",
			    json_number_value(rtt));
		else
			snprintf(rttbuf, sizeof(rttbuf), "-");
		short_time(jstr(p, "last_seen", NULL), seen);
		q = json_object_get(p, "queue");
		if (json_is_integer(q))
			snprintf(queue, sizeof(queue), "%lld",
			    (long long)json_integer_value(q));
		else
			snprintf(queue, sizeof(queue), "?");
		addr = jstr(p, "address", NULL);
		if (addr == NULL)
			addr = json_string_value(json_array_get(
			    json_object_get(p, "addresses"), 0));
		printf("%-10s  %-10s  %-24s  %-9s  %-14s  %-6s  %s\n",
		    jstr(p, "party", "?"), jstr(p, "state", "?"),
		    addr != NULL ? addr : "-", rttbuf, seen, queue,
		    jstr(p, "last_error", "-"));
	}
	rv = 0;
	goto done;
 usage:
	fprintf(stderr, "usage: hotline status [--json]\n");
	rv = 2;
 done:
	json_decref(resp);
	return rv;
}
