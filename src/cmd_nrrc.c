/*
 * cmd_nrrc.c: the watch officer's NRRC commands: notify (compose from a
 * template, by flags or an interactive prompt, validated field by field
 * before anything is sent), shift (the handover summary), checks
 * (communication check statistics, ad hoc checks, answering one) and the
 * rendering behind `show --lang`. The template catalogue comes from the
 * daemon (GET /v1/templates), so the CLI validates against exactly what the
 * daemon will accept. Exit status: 0 ok, 1 failure, 2 usage.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "client.h"
#include "templates.h"
#include "util.h"

#define SETS_MAX	64
#define LINE_MAX_IN	8192

static int
print_json(json_t *v)
{
	if (json_dumpf(v, stdout, JSON_INDENT(2)) == -1 ||
	    fputc('\n', stdout) == EOF) {
		fprintf(stderr, "hotline: cannot write the output\n");
		return 1;
	}
	return 0;
}

static const char *
jstr(json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : def;
}

/* The daemon's catalogue, or NULL (reason printed). */
static struct tpl_cat *
fetch_catalogue(struct cli *cli)
{
	struct tpl_cat *c;
	json_t *resp = NULL;
	char err[512];

	if (client_request(cli, "GET", "/v1/templates", NULL, &resp) == -1)
		return NULL;
	c = tpl_cat_from_json(json_object_get(resp, "definition"), err,
	    sizeof(err));
	if (c == NULL)
		fprintf(stderr, "hotline: the daemon's catalogue: %s\n", err);
	json_decref(resp);
	return c;
}


/* One line per field: name, required, type, label (en / ru). */
static void
print_fields(const struct tpl_cat *c, const struct tpl *t)
{
	char vals[512];
	int i, ty;

	printf("%s: %s / %s (channel %s, kind %s%s)\n", tpl_name(t),
	    tpl_title(t, "en"), tpl_title(t, "ru"), tpl_channel(t),
	    tpl_kind(t), tpl_ref_rule(t) == TREF_REQUIRED ? ", needs --ref" :
	    "");
	for (i = 0; i < tpl_nfields(t); i++) {
		ty = tpl_field_type(t, i);
		printf("  %-18s %-8s %-8s %s / %s\n", tpl_field_name(t, i),
		    tpl_field_required(t, i) ? "required" : "optional",
		    ty == TF_ENUM ? "enum" : ty == TF_TEXT ? "text" :
		    ty == TF_TIME ? "time" : "line", tpl_field_label(t, i, "en"),
		    tpl_field_label(t, i, "ru"));
		if (ty == TF_ENUM) {
			tpl_enum_values(c, tpl_field_enum(t, i), vals,
			    sizeof(vals));
			printf("  %-18s %-17s values: %s\n", "", "", vals);
		}
	}
}

/*
 * Read one line from stdin into out (no newline). 0, -1 at EOF, or -2
 * for a line longer than out (the rest of it is read and dropped, so it
 * cannot become the next answer).
 */
static int
read_line(char *out, size_t outsz)
{
	size_t n;
	int c;

	if (fgets(out, (int)outsz, stdin) == NULL)
		return -1;
	n = strlen(out);
	if (n > 0 && out[n - 1] != '\n' && !feof(stdin)) {
		while ((c = getchar()) != EOF && c != '\n')
			;
		out[0] = '\0';
		return -2;
	}
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return 0;
}

/*
 * Prompt for every field of t not already in fields, validating each
 * answer and asking again on a bad one. A text answer may continue over
 * lines ending in '\'; "@ru " at its start marks its language. An empty
 * answer skips an optional field. 0, or -1 at end of input.
 */
static int
prompt_fields(const struct tpl_cat *c, const struct tpl *t, json_t *fields,
    const char *lang)
{
	char line[LINE_MAX_IN], text[LINE_MAX_IN * 4], vals[512], err[512];
	char tl[8];
	const char *val, *l;
	json_t *v;
	size_t n;
	int i, ty, rl;

	for (i = 0; i < tpl_nfields(t); i++) {
		if (json_object_get(fields, tpl_field_name(t, i)) != NULL)
			continue;
		ty = tpl_field_type(t, i);
		for (;;) {
			fprintf(stderr, "%s / %s (%s, %s", tpl_field_label(t, i,
			    "en"), tpl_field_label(t, i, "ru"),
			    tpl_field_name(t, i), tpl_field_required(t, i) ?
			    "required" : "optional, empty to skip");
			if (ty == TF_ENUM) {
				tpl_enum_values(c, tpl_field_enum(t, i), vals,
				    sizeof(vals));
				fprintf(stderr, "; one of: %s", vals);
			} else if (ty == TF_TIME)
				fprintf(stderr, "; UTC, e.g. "
				    "2026-11-23T08:15:00Z");
			else if (ty == TF_TEXT)
				fprintf(stderr, "; language %s unless it "
				    "starts with @xx; end a line with \\ to "
				    "go on", lang);
			fprintf(stderr, ")\n> ");
			text[0] = '\0';
			n = 0;
			for (;;) {
				if ((rl = read_line(line, sizeof(line))) ==
				    -1) {
					fprintf(stderr, "\nhotline: end of "
					    "input: nothing sent\n");
					return -1;
				}
				if (rl == -2) {
					fprintf(stderr, "  line longer than %d "
					    "bytes: dropped\n", LINE_MAX_IN - 2);
					n = 0;
					text[0] = '\0';
					fprintf(stderr, "> ");
					continue;
				}
				if (n + strlen(line) + 2 >= sizeof(text))
					break;
				memcpy(text + n, line, strlen(line) + 1);
				n += strlen(line);
				if (ty != TF_TEXT || n == 0 ||
				    text[n - 1] != '\\')
					break;
				text[n - 1] = '\n';
				fprintf(stderr, "> ");
			}
			val = text;
			l = lang;
			if (ty == TF_TEXT && text[0] == '@' &&
			    strlen(text) > 3 && text[3] == ' ') {
				snprintf(tl, sizeof(tl), "%.2s", text + 1);
				l = tl;
				val = text + 4;
			}
			if (val[0] == '\0' && !tpl_field_required(t, i))
				break;
			v = tpl_field_from_input(c, t, i, val, l, err,
			    sizeof(err));
			if (v != NULL) {
				json_object_set_new(fields,
				    tpl_field_name(t, i), v);
				break;
			}
			fprintf(stderr, "  %s; again, please.\n", err);
		}
	}
	return 0;
}

/* Preview in the sender's language, then "Send? [y/N]". 1 yes, 0 no. */
static int
confirm(struct cli *cli, const char *tname, json_t *fields, const char *to,
    const char *prec, bool exercise, const char *lang)
{
	json_t *req, *resp = NULL;
	char line[64];
	int yes = 0;

	req = json_pack("{s:s, s:O, s:s, s:s, s:s, s:b}", "template", tname,
	    "fields", fields, "lang", lang, "to", to, "precedence", prec,
	    "exercise", exercise);
	if (req != NULL && client_request(cli, "POST", "/v1/render", req,
	    &resp) == 0)
		fprintf(stderr, "\n%s\n", jstr(resp, "text", ""));
	json_decref(req);
	json_decref(resp);
	fprintf(stderr, "Send this to %s? [y/N] ", to);
	if (read_line(line, sizeof(line)) == 0 && (line[0] == 'y' ||
	    line[0] == 'Y'))
		yes = 1;
	if (!yes)
		fprintf(stderr, "not sent\n");
	return yes;
}

/*
 * hotline notify --list
 * hotline notify TEMPLATE --fields
 * hotline notify TEMPLATE --to PARTY [--precedence P] [--exercise]
 *     [--ref ID] [--lang L] [--set FIELD[@LANG]=VALUE ...] [-i] [--yes]
 */
int
cmd_notify(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "to",		required_argument,	NULL, 't' },
		{ "precedence",	required_argument,	NULL, 'p' },
		{ "exercise",	no_argument,		NULL, 'x' },
		{ "ref",	required_argument,	NULL, 'r' },
		{ "lang",	required_argument,	NULL, 'l' },
		{ "set",	required_argument,	NULL, 'S' },
		{ "interactive", no_argument,		NULL, 'i' },
		{ "yes",	no_argument,		NULL, 'y' },
		{ "list",	no_argument,		NULL, 'L' },
		{ "fields",	no_argument,		NULL, 'F' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	const char *to = NULL, *prec = "routine", *ref = NULL, *lang = "en";
	const char *sets[SETS_MAX];
	struct tpl_cat *c = NULL;
	const struct tpl *t;
	json_t *fields = NULL, *req = NULL, *resp = NULL, *v;
	char name[64], flang[8], err[512], *eq, *at;
	bool exercise = false, interactive = false, yes = false, list = false;
	bool showfields = false;
	int ch, nsets = 0, i, fi, rv = 1;

	while ((ch = getopt_long(argc, argv, "t:p:xr:l:S:iyLFjh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 't': to = optarg; break;
		case 'p': prec = optarg; break;
		case 'x': exercise = true; break;
		case 'r': ref = optarg; break;
		case 'l': lang = optarg; break;
		case 'S':
			if (nsets == SETS_MAX)
				goto usage;
			sets[nsets++] = optarg;
			break;
		case 'i': interactive = true; break;
		case 'y': yes = true; break;
		case 'L': list = true; break;
		case 'F': showfields = true; break;
		case 'j': cli->json = true; break;
		default: goto usage;
		}
	}
	if (list ? optind != argc : optind + 1 != argc)
		goto usage;
	if ((c = fetch_catalogue(cli)) == NULL)
		goto done;
	if (list) {
		printf("catalogue %s version %u\n", tpl_cat_id(c),
		    tpl_cat_version(c));
		for (i = 0; i < tpl_cat_count(c); i++) {
			t = tpl_cat_get(c, i);
			printf("  %-24s %-8s %s / %s\n", tpl_name(t),
			    tpl_channel(t), tpl_title(t, "en"),
			    tpl_title(t, "ru"));
		}
		rv = 0;
		goto done;
	}
	if ((t = tpl_find(c, argv[optind])) == NULL) {
		fprintf(stderr, "hotline: no template \"%s\" in catalogue %s "
		    "version %u (hotline notify --list)\n", argv[optind],
		    tpl_cat_id(c), tpl_cat_version(c));
		goto done;
	}
	if (showfields) {
		print_fields(c, t);
		rv = 0;
		goto done;
	}
	if (to == NULL)
		goto usage;
	fields = json_object();
	for (i = 0; i < nsets; i++) {
		if ((eq = strchr(sets[i], '=')) == NULL ||
		    (size_t)(eq - sets[i]) >= sizeof(name)) {
			fprintf(stderr, "hotline: --set %s: expected "
			    "FIELD=VALUE\n", sets[i]);
			goto done;
		}
		memcpy(name, sets[i], (size_t)(eq - sets[i]));
		name[eq - sets[i]] = '\0';
		snprintf(flang, sizeof(flang), "%s", lang);
		if ((at = strchr(name, '@')) != NULL) {
			*at = '\0';
			snprintf(flang, sizeof(flang), "%s", at + 1);
		}
		if ((fi = tpl_field_index(t, name)) == -1) {
			fprintf(stderr, "hotline: field '%s': not a field of "
			    "template %s (hotline notify %s --fields)\n", name,
			    tpl_name(t), tpl_name(t));
			goto done;
		}
		if (json_object_get(fields, name) != NULL) {
			fprintf(stderr, "hotline: field '%s': given twice\n",
			    name);
			goto done;
		}
		if ((v = tpl_field_from_input(c, t, fi, eq + 1, flang, err,
		    sizeof(err))) == NULL) {
			fprintf(stderr, "hotline: %s\n", err);
			goto done;
		}
		json_object_set_new(fields, name, v);
	}
	if (interactive && prompt_fields(c, t, fields, lang) == -1)
		goto done;
	if (tpl_validate(c, t, fields, err, sizeof(err)) == -1) {
		fprintf(stderr, "hotline: %s: nothing sent\n", err);
		goto done;
	}
	if (tpl_ref_rule(t) == TREF_REQUIRED && ref == NULL) {
		fprintf(stderr, "hotline: template %s answers a message: give "
		    "--ref ID; nothing sent\n", tpl_name(t));
		goto done;
	}
	if (interactive && !yes && !confirm(cli, tpl_name(t), fields, to, prec,
	    exercise, lang))
		goto done;
	req = json_pack("{s:s, s:s, s:O, s:s, s:b}", "to", to, "template",
	    tpl_name(t), "fields", fields, "precedence", prec, "exercise",
	    exercise);
	if (req == NULL || (ref != NULL && json_object_set_new(req, "ref",
	    json_string(ref)) == -1)) {
		fprintf(stderr, "hotline: arguments must be UTF-8\n");
		goto done;
	}
	if (client_request(cli, "POST", "/v1/notify", req, &resp) == -1)
		goto done;
	if (cli->json)
		rv = print_json(resp);
	else {
		printf("%s %.12s  %s %s to %s%s\n", jstr(resp, "state", "?"),
		    jstr(resp, "id", "?"), tpl_name(t), jstr(resp,
		    "precedence", prec), to, exercise ? "  EXERCISE" : "");
		rv = 0;
	}
	goto done;
usage:
	fprintf(stderr, "usage: hotline notify --list\n"
	    "       hotline notify TEMPLATE --fields\n"
	    "       hotline notify TEMPLATE --to PARTY [--precedence P] "
	    "[--exercise] [--ref ID]\n"
	    "           [--lang L] [--set FIELD[@LANG]=VALUE ...] "
	    "[-i [--yes]] [--json]\n");
	rv = 2;
done:
	json_decref(resp);
	json_decref(req);
	json_decref(fields);
	tpl_cat_free(c);
	return rv;
}

/* `hotline show ID --lang L`: the daemon's rendering. */
int
cmd_show_render(struct cli *cli, const char *id, const char *lang)
{
	char path[256];
	json_t *resp = NULL;
	int rv = 1;

	if (snprintf(path, sizeof(path), "/v1/render/%s", id) >=
	    (int)sizeof(path) || client_query_add(path, sizeof(path), "lang",
	    lang) == -1) {
		fprintf(stderr, "hotline: id too long\n");
		return 1;
	}
	if (client_request(cli, "GET", path, NULL, &resp) == -1)
		return 1;
	if (cli->json)
		rv = print_json(resp);
	else {
		fputs(jstr(resp, "text", ""), stdout);
		rv = 0;
	}
	json_decref(resp);
	return rv;
}

/* "2026-11-23T09:25:44.123Z" -> "11-23 09:25" or "-". */
static void
hm(const char *t, char out[16])
{
	if (t == NULL || strlen(t) < 16)
		snprintf(out, 16, "-");
	else
		snprintf(out, 16, "%.5s %.5s", t + 5, t + 11);
}

static void
print_items(const char *title, json_t *arr)
{
	char rcv[16], dl[16], prec[16], what[96];
	const char *s;
	json_t *m;
	size_t i, k;

	printf("%s: %zu\n", title, json_array_size(arr));
	json_array_foreach(arr, i, m) {
		hm(jstr(m, "received", NULL), rcv);
		hm(jstr(m, "deadline", NULL), dl);
		s = jstr(m, "precedence", "?");
		for (k = 0; s[k] != '\0' && k + 1 < sizeof(prec); k++)
			prec[k] = (char)toupper((unsigned char)s[k]);
		prec[k] = '\0';
		snprintf(what, sizeof(what), "%s%s%s",
		    jstr(m, "title_en", jstr(m, "kind", "?")),
		    json_is_string(json_object_get(m, "reference")) ? " " : "",
		    jstr(m, "reference", ""));
		printf("  %.12s  %-3s %-6s %-10s %-40.40s recv %-11s due %-11s "
		    "%s%s\n", jstr(m, "id", "?"), jstr(m, "dir", "?"),
		    jstr(m, "peer", "?"), prec, what, rcv, dl,
		    strcmp(jstr(m, "deadline_state", ""), "overdue") == 0 ?
		    "OVERDUE" : jstr(m, "deadline_state", ""),
		    json_is_true(json_object_get(m, "exercise")) ?
		    "  EXERCISE" : "");
	}
}

static void
print_stats_line(json_t *p)
{
	json_t *med = json_object_get(p, "median_response_ms");
	json_t *worst = json_object_get(p, "worst_response_ms");
	char m[32], w[32];

	if (json_is_integer(med))
		snprintf(m, sizeof(m), "%.1f s",
		    (double)json_integer_value(med) / 1000.0);
	else
		snprintf(m, sizeof(m), "-");
	if (json_is_integer(worst))
		snprintf(w, sizeof(w), "%.1f s",
		    (double)json_integer_value(worst) / 1000.0);
	else
		snprintf(w, sizeof(w), "-");
	printf("  %-10s %5lld %8lld %6lld %11lld %8lld  %-10s %s\n",
	    jstr(p, "peer", "?"),
	    (long long)json_integer_value(json_object_get(p, "sent")),
	    (long long)json_integer_value(json_object_get(p,
	    "answered_in_time")),
	    (long long)json_integer_value(json_object_get(p, "answered_late")),
	    (long long)json_integer_value(json_object_get(p, "unanswered")),
	    (long long)json_integer_value(json_object_get(p, "pending")),
	    m, w);
}

static void
print_stats(json_t *peers)
{
	json_t *p;
	size_t i;

	if (json_array_size(peers) == 0) {
		printf("  no checks sent in the period\n");
		return;
	}
	printf("  %-10s %5s %8s %6s %11s %8s  %-10s %s\n", "PEER", "SENT",
	    "IN TIME", "LATE", "UNANSWERED", "PENDING", "MEDIAN", "WORST");
	json_array_foreach(peers, i, p)
		print_stats_line(p);
}

/* hotline shift [--since 8h] */
int
cmd_shift(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since",	required_argument,	NULL, 's' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	char path[256] = "/v1/shift", rtt[32];
	const char *since = NULL;
	json_t *resp = NULL, *l, *e;
	size_t i;
	int ch, rv = 1;

	while ((ch = getopt_long(argc, argv, "s:jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': since = optarg; break;
		case 'j': cli->json = true; break;
		default: goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if (since != NULL && client_query_add(path, sizeof(path), "since",
	    since) == -1)
		goto usage;
	if (client_request(cli, "GET", path, NULL, &resp) == -1)
		goto done;
	if (cli->json) {
		rv = print_json(resp);
		goto done;
	}
	printf("HANDOVER %s  %s .. %s (UTC)\n\n", jstr(resp, "party", "?"),
	    jstr(resp, "since", "?"), jstr(resp, "until", "?"));
	print_items("OVERDUE (act now)", json_object_get(resp, "overdue"));
	printf("\n");
	print_items("Open, received, awaiting our acknowledgment",
	    json_object_get(resp, "open_in"));
	printf("\n");
	print_items("Open, sent, awaiting their acknowledgment",
	    json_object_get(resp, "open_out"));
	printf("\n");
	print_items("Checks from peers awaiting our answer",
	    json_object_get(resp, "checks_to_answer"));
	printf("\n");
	print_items("Our checks unanswered past their limit",
	    json_object_get(resp, "checks_unanswered"));
	printf("\nLink health over the shift (observed since %s):\n",
	    jstr(resp, "links_observed_since", "?"));
	json_array_foreach(json_object_get(resp, "links"), i, l) {
		e = json_object_get(l, "rtt_ms");
		if (json_is_number(e))
			snprintf(rtt, sizeof(rtt), "%.1f ms",
			    json_number_value(e));
		else
			snprintf(rtt, sizeof(rtt), "-");
		printf("  %-10s now %-10s rtt %-10s up %.2f%%, down %.0f s, "
		    "%lld link changes\n", jstr(l, "peer", "?"),
		    jstr(l, "state", "?"), rtt, 100.0 * json_number_value(
		    json_object_get(l, "availability")),
		    (double)json_integer_value(json_object_get(l, "down_ms")) /
		    1000.0, (long long)json_integer_value(json_object_get(l,
		    "changes")));
	}
	json_array_foreach(json_object_get(resp, "link_events"), i, e)
		printf("    %s  %-8s %-9s %s\n", jstr(e, "time", "?"),
		    jstr(e, "peer", "?"), jstr(e, "kind", "?"),
		    jstr(e, "detail", ""));
	printf("\nCommunication checks over the shift:\n");
	print_stats(json_object_get(resp, "checks"));
	if (json_array_size(json_object_get(resp, "exercise_checks")) > 0) {
		printf("EXERCISE checks (not in the figures above):\n");
		print_stats(json_object_get(resp, "exercise_checks"));
	}
	rv = 0;
	goto done;
usage:
	fprintf(stderr, "usage: hotline shift [--since 8h|TIME] [--json]\n");
	rv = 2;
done:
	json_decref(resp);
	return rv;
}

/*
 * hotline checks [--peer P] [--since 30d|TIME] [--until TIME] [--exercise]
 * hotline checks send --to P [--precedence P] [--exercise] [--note T]
 * hotline checks answer ID
 */
int
cmd_checks(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "peer",	required_argument,	NULL, 'P' },
		{ "since",	required_argument,	NULL, 's' },
		{ "until",	required_argument,	NULL, 'u' },
		{ "exercise",	no_argument,		NULL, 'x' },
		{ "to",		required_argument,	NULL, 't' },
		{ "precedence",	required_argument,	NULL, 'p' },
		{ "note",	required_argument,	NULL, 'n' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	const char *peer = NULL, *since = NULL, *until = NULL, *to = NULL;
	const char *prec = "immediate", *note = NULL, *sub = NULL;
	char path[512] = "/v1/checks";
	json_t *req = NULL, *resp = NULL;
	bool exercise = false;
	int ch, rv = 1;

	if (argc > 1 && argv[1][0] != '-') {
		sub = argv[1];
		argc--;
		argv++;
	}
	while ((ch = getopt_long(argc, argv, "P:s:u:xt:p:n:jh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'P': peer = optarg; break;
		case 's': since = optarg; break;
		case 'u': until = optarg; break;
		case 'x': exercise = true; break;
		case 't': to = optarg; break;
		case 'p': prec = optarg; break;
		case 'n': note = optarg; break;
		case 'j': cli->json = true; break;
		default: goto usage;
		}
	}
	if (sub != NULL && strcmp(sub, "answer") == 0) {
		if (optind + 1 != argc || strlen(argv[optind]) > 64 ||
		    strspn(argv[optind], "0123456789abcdefABCDEF") !=
		    strlen(argv[optind]))
			goto usage;
		snprintf(path, sizeof(path), "/v1/messages/%s/ack",
		    argv[optind]);
		req = json_object();
		if (client_request(cli, "POST", path, req, &resp) == -1)
			goto done;
		if (cli->json)
			rv = print_json(resp);
		else {
			printf("answered check %.12s\n", jstr(resp, "ref",
			    argv[optind]));
			rv = 0;
		}
		goto done;
	}
	if (optind != argc)
		goto usage;
	if (sub != NULL && strcmp(sub, "send") == 0) {
		if (to == NULL)
			goto usage;
		req = json_pack("{s:s, s:s, s:b}", "to", to, "precedence", prec,
		    "exercise", exercise);
		if (req == NULL || (note != NULL && json_object_set_new(req,
		    "note", json_string(note)) == -1)) {
			fprintf(stderr, "hotline: arguments must be UTF-8\n");
			goto done;
		}
		if (client_request(cli, "POST", "/v1/checks", req, &resp) == -1)
			goto done;
		if (cli->json)
			rv = print_json(resp);
		else {
			printf("check %.12s sent to %s, to be answered within "
			    "%lld s%s\n", jstr(resp, "id", "?"), to,
			    (long long)json_integer_value(json_object_get(resp,
			    "answer_within_ms")) / 1000, exercise ?
			    "  EXERCISE" : "");
			rv = 0;
		}
		goto done;
	}
	if (sub != NULL)
		goto usage;
	if ((peer != NULL && client_query_add(path, sizeof(path), "peer",
	    peer) == -1) || (since != NULL && client_query_add(path,
	    sizeof(path), "since", since) == -1) || (until != NULL &&
	    client_query_add(path, sizeof(path), "until", until) == -1) ||
	    (exercise && client_query_add(path, sizeof(path), "exercise",
	    "1") == -1))
		goto usage;
	if (client_request(cli, "GET", path, NULL, &resp) == -1)
		goto done;
	if (cli->json) {
		rv = print_json(resp);
		goto done;
	}
	printf("%scommunication checks sent %s .. %s (UTC)\n", exercise ?
	    "EXERCISE " : "", jstr(resp, "since", "?"), jstr(resp, "until",
	    "?"));
	print_stats(json_object_get(resp, "peers"));
	rv = 0;
	goto done;
usage:
	fprintf(stderr, "usage: hotline checks [--peer P] [--since 30d|TIME] "
	    "[--until TIME] [--exercise] [--json]\n"
	    "       hotline checks send --to PARTY [--precedence P] "
	    "[--exercise] [--note TEXT]\n"
	    "       hotline checks answer ID\n");
	rv = 2;
done:
	json_decref(req);
	json_decref(resp);
	return rv;
}
