/*
 * cmd_cert.c: the CERT channel commands of the CLI.
 *   hotline indicators [list] [--collection C] [--type T] [--limit N]
 *   hotline indicators search TEXT
 *   hotline indicators show STIX-ID
 *   hotline indicators import [--share PEER] FILE   (a STIX 2.1 bundle)
 *   hotline indicators policy PEER TLP
 *   hotline match [--json] [--threads N] [--indicators BUNDLE]
 *       [--sightings] [FILE...]
 * Exit status: 0 ok (match: hits found or not), 1 failure, 2 usage.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cli.h"
#include "client.h"
#include "match.h"
#include "stix.h"
#include "util.h"

struct loaded;
static int	load_daemon(struct cli *, struct loaded *);

#define IMPORT_BATCH_BYTES	(48 * 1024)
#define STDIN_MAX		((size_t)1 << 34)

static int
print_json(json_t *v)
{
	if (json_dumpf(v, stdout, JSON_INDENT(2)) == -1 ||
	    fputc('\n', stdout) == EOF)
		return 1;
	return 0;
}

static const char *
jstr(json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : def;
}

static int
ind_list(struct cli *cli, int argc, char **argv, const char *search)
{
	static const struct option lo[] = {
		{ "collection", required_argument, NULL, 'C' },
		{ "type", required_argument, NULL, 't' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	char path[2048] = "/v1/cert/objects";
	json_t *resp, *o;
	size_t i;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "C:t:n:j", lo, NULL)) != -1) {
		switch (ch) {
		case 'C':
			if (client_query_add(path, sizeof(path), "collection",
			    optarg) == -1)
				return 2;
			break;
		case 't':
			if (client_query_add(path, sizeof(path), "type",
			    optarg) == -1)
				return 2;
			break;
		case 'n':
			if (client_query_add(path, sizeof(path), "limit",
			    optarg) == -1)
				return 2;
			break;
		case 'j': cli->json = true; break;
		default: return 2;
		}
	}
	if (search != NULL && client_query_add(path, sizeof(path), "q",
	    search) == -1)
		return 2;
	if (client_request(cli, "GET", path, NULL, &resp) == -1)
		return 1;
	if (cli->json) {
		print_json(resp);
		json_decref(resp);
		return 0;
	}
	printf("%-50s %-10s %-17s %-10s %s\n", "ID", "COLLECTION", "TLP",
	    "SOURCE", "PATTERN/VERSION");
	json_array_foreach(json_object_get(resp, "objects"), i, o)
		printf("%-50s %-10s %-17s %-10s %s%s\n", jstr(o, "id", "?"),
		    jstr(o, "collection", "?"), jstr(o, "tlp", "?"),
		    jstr(o, "source", "?"), jstr(o, "pattern",
		    jstr(o, "version", "")), json_is_true(json_object_get(o,
		    "revoked")) ? " (revoked)" : "");
	json_decref(resp);
	return 0;
}

static int
ind_show(struct cli *cli, const char *id)
{
	char path[512];
	json_t *resp, *v;
	size_t i;

	if (snprintf(path, sizeof(path), "/v1/cert/objects/%s", id) >=
	    (int)sizeof(path))
		return 2;
	if (client_request(cli, "GET", path, NULL, &resp) == -1)
		return 1;
	if (cli->json) {
		print_json(resp);
		json_decref(resp);
		return 0;
	}
	printf("%s\n", id);
	json_array_foreach(json_object_get(resp, "versions"), i, v) {
		printf("  version %s in %s%s%s\n", jstr(v, "version", "?"),
		    jstr(v, "collection", "?"), json_is_true(json_object_get(v,
		    "current")) ? " (current)" : "",
		    json_is_true(json_object_get(v, "revoked")) ? " REVOKED" :
		    "");
		printf("    from %s, added %s, %s%s%s\n", jstr(v, "source", "?"),
		    jstr(v, "date_added", "?"), jstr(v, "tlp", "?"),
		    json_object_get(v, "message") != NULL &&
		    !json_is_null(json_object_get(v, "message")) ?
		    ", message " : "", jstr(v, "message", ""));
		if (json_object_get(v, "pattern") != NULL)
			printf("    pattern %s\n", jstr(v, "pattern", ""));
	}
	json_decref(resp);
	return 0;
}

static int
import_batch(struct cli *cli, const char *coll, json_t *objs, size_t *ok,
    size_t *bad)
{
	json_t *req, *resp, *f;
	size_t i;

	req = json_pack("{s:s, s:O}", "collection", coll, "objects", objs);
	if (client_request(cli, "POST", "/v1/cert/import", req, &resp) == -1) {
		json_decref(req);
		return -1;
	}
	json_decref(req);
	*ok += (size_t)json_integer_value(json_object_get(resp,
	    "success_count"));
	json_array_foreach(json_object_get(resp, "failures"), i, f) {
		(*bad)++;
		fprintf(cli->json ? stderr : stdout, "refused %s: %s\n",
		    jstr(f, "id", "?"), jstr(f, "message", "?"));
	}
	json_decref(resp);
	return 0;
}

static int
ind_import(struct cli *cli, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "share", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	char coll[64] = "local";
	json_error_t jerr;
	json_t *b, *objs, *batch, *o;
	size_t i, bytes = 0, ok = 0, bad = 0;
	char *t;
	int ch, rv = 1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "S:", lo, NULL)) != -1) {
		if (ch != 'S')
			return 2;
		snprintf(coll, sizeof(coll), "out:%s", optarg);
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: hotline indicators import [--share "
		    "PEER] FILE\n");
		return 2;
	}
	if ((b = json_load_file(argv[optind], JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		fprintf(stderr, "hotline: %s:%d: %s\n", argv[optind], jerr.line,
		    jerr.text);
		return 1;
	}
	if (!json_is_array(objs = json_object_get(b, "objects")) ||
	    strcmp(jstr(b, "type", ""), "bundle") != 0) {
		fprintf(stderr, "hotline: %s is not a STIX bundle\n",
		    argv[optind]);
		json_decref(b);
		return 1;
	}
	batch = json_array();
	json_array_foreach(objs, i, o) {
		t = json_dumps(o, JSON_COMPACT);
		bytes += t != NULL ? strlen(t) : 0;
		free(t);
		json_array_append(batch, o);
		if (bytes > IMPORT_BATCH_BYTES) {
			if (import_batch(cli, coll, batch, &ok, &bad) == -1)
				goto done;
			json_array_clear(batch);
			bytes = 0;
		}
	}
	if (json_array_size(batch) > 0 &&
	    import_batch(cli, coll, batch, &ok, &bad) == -1)
		goto done;
	printf("imported into %s: %zu taken, %zu refused\n", coll, ok, bad);
	rv = bad > 0 ? 1 : 0;
done:
	json_decref(batch);
	json_decref(b);
	return rv;
}

static int
ind_policy(struct cli *cli, const char *peer, const char *tlp)
{
	char path[256] = "/v1/cert/policy";
	json_t *resp;
	int share;

	if (client_query_add(path, sizeof(path), "peer", peer) == -1 ||
	    client_query_add(path, sizeof(path), "tlp", tlp) == -1)
		return 2;
	if (client_request(cli, "GET", path, NULL, &resp) == -1)
		return 1;
	share = json_is_true(json_object_get(resp, "share"));
	if (cli->json)
		print_json(resp);
	else
		printf("%s to %s: %s (%s)\n", jstr(resp, "tlp", "?"), peer,
		    share ? "shared" : "NOT shared", jstr(resp, "rule", "?"));
	json_decref(resp);
	return share ? 0 : 1;
}

/* TAXII access of an operator account to a collection: r, w, rw or ""
 * (none). */
static int
ind_grant(struct cli *cli, const char *acct, const char *coll,
    const char *rw)
{
	json_t *req, *resp;

	if (strspn(rw, "rw") != strlen(rw)) {
		fprintf(stderr, "hotline: access is r, w, rw or nothing\n");
		return 2;
	}
	req = json_pack("{s:s, s:s, s:b, s:b}", "account", acct, "collection",
	    coll, "read", strchr(rw, 'r') != NULL, "write",
	    strchr(rw, 'w') != NULL);
	if (client_request(cli, "POST", "/v1/cert/grants", req, &resp) == -1) {
		json_decref(req);
		return 1;
	}
	json_decref(req);
	printf("%s on %s: read %s, write %s\n", acct, coll,
	    json_is_true(json_object_get(resp, "read")) ? "yes" : "no",
	    json_is_true(json_object_get(resp, "write")) ? "yes" : "no");
	json_decref(resp);
	return 0;
}

int
cmd_indicators(struct cli *cli, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "list";

	if (strcmp(sub, "list") == 0 || sub[0] == '-')
		return ind_list(cli, argc - (sub[0] != '-'), argv +
		    (sub[0] != '-'), NULL);
	if (strcmp(sub, "search") == 0 && argc >= 3)
		return ind_list(cli, argc - 2, argv + 2, argv[2]);
	if (strcmp(sub, "show") == 0 && argc == 3)
		return ind_show(cli, argv[2]);
	if (strcmp(sub, "import") == 0)
		return ind_import(cli, argc - 1, argv + 1);
	if (strcmp(sub, "policy") == 0 && argc == 4)
		return ind_policy(cli, argv[2], argv[3]);
	if (strcmp(sub, "export") == 0 && argc == 2)
		return load_daemon(cli, NULL) == 0 ? 0 : 1;
	if (strcmp(sub, "grant") == 0 && (argc == 4 || argc == 5))
		return ind_grant(cli, argv[2], argv[3], argc == 5 ? argv[4] :
		    "");
	fprintf(stderr, "usage: hotline indicators [list [--collection C] "
	    "[--type T] [--limit N]] | search TEXT | show ID | import [--share "
	    "PEER] FILE | policy PEER TLP | export | grant ACCOUNT COLLECTION "
	    "[r|w|rw]\n");
	return 2;
}

/* ---- match ---- */

struct input {
	const char	*name;
	char		*data;
	size_t		 len;
	int		 mapped;
};
static int	input_open(const char *, struct input *);
static void	input_close(struct input *);

/* An indicator's id and source point into text the loader keeps. */
struct indicator {
	const char	*id;
	const char	*source;
	int		 idlen, srclen;
};

struct loaded {
	struct indicator *ind;
	size_t		 n, cap;
	struct match_set *set;
	json_t		*unmatchable;	/* [{id, source, reason}] */
	size_t		 nterms;
	char		*text;		/* indicator lines from hotlined */
	struct input	 file;		/* a mapped indicator file */
	json_t		*bundle;	/* a STIX bundle */
};

struct term_arg {
	struct loaded	*L;
	uint32_t	 idx;
	int		 bad;
};

static int
term_cb(void *arg, int kind, const char *value, size_t len)
{
	struct term_arg *ta = arg;

	if (match_set_add(ta->L->set, kind, value, len, ta->idx) == -1) {
		ta->bad = 1;
		return -1;
	}
	ta->L->nterms++;
	return 0;
}

/* One indicator: its pattern (plen bytes), or NULL and why it has none
 * (rlen bytes). id and source must outlive L. */
static void
load_one(struct loaded *L, const char *id, size_t idlen, const char *source,
    size_t srclen, const char *pattern, size_t plen, const char *reason,
    size_t rlen)
{
	struct term_arg ta = { L, (uint32_t)L->n, 0 };
	struct indicator *ind;
	char why[256];

	if (L->n == L->cap) {
		L->cap = L->cap ? L->cap * 2 : 1024;
		L->ind = xreallocarray(L->ind, L->cap, sizeof(*L->ind));
	}
	ind = &L->ind[L->n++];
	ind->id = id;
	ind->idlen = idlen > INT_MAX ? INT_MAX : (int)idlen;
	ind->source = source;
	ind->srclen = srclen > INT_MAX ? INT_MAX : (int)srclen;
	if (pattern == NULL || stix_pattern_terms_len(pattern, plen, term_cb,
	    &ta, why, sizeof(why)) == -1) {
		if (pattern != NULL) {
			reason = why;
			rlen = strlen(why);
		}
		json_array_append_new(L->unmatchable, json_pack("{s:s%, s:s%, "
		    "s:s%}", "id", id, idlen, "source", source, srclen,
		    "reason", reason, rlen));
	}
}

/* Unescape \\ \t \n \r from s (n bytes) into out (n + 1 bytes, NUL-
 * terminated); the length written. */
static size_t
unescape(const char *s, size_t n, char *out)
{
	char *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			i++;
			*o++ = s[i] == 't' ? '\t' : s[i] == 'n' ? '\n' :
			    s[i] == 'r' ? '\r' : s[i];
		} else
			*o++ = s[i];
	}
	*o = '\0';
	return (size_t)(o - out);
}

struct rawbuf {
	char	*p;
	size_t	 len, cap;
};

static size_t
raw_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct rawbuf *b = arg;
	size_t n = size * nmemb;

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xreallocarray(b->p, b->cap, 1);
	}
	memcpy(b->p + b->len, ptr, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

/* Load indicator lines (id TAB source TAB P|X TAB pattern|reason, as
 * GET /v1/cert/indicators and `hotline indicators export` give them) from
 * len bytes of text, which must outlive L; only an escaped pattern is
 * copied. */
static void
load_tsv(struct loaded *L, const char *text, size_t len)
{
	const char *line = text, *end, *eol, *f[4], *t;
	size_t flen[4], n;
	size_t lines = 1;
	char *un;
	int i, pat;

	if (len == 0)
		return;
	end = text + len;
	/* one indicator, and mostly one value, a line: room for all */
	for (t = text; (t = memchr(t, '\n', (size_t)(end - t))) != NULL; t++)
		lines++;
	if (L->n + lines > L->cap) {
		L->cap = L->n + lines;
		L->ind = xreallocarray(L->ind, L->cap, sizeof(*L->ind));
	}
	match_set_reserve(L->set, lines, len);
	for (; line < end; line = eol < end ? eol + 1 : end) {
		if ((eol = memchr(line, '\n', (size_t)(end - line))) == NULL)
			eol = end;
		t = line;
		for (i = 0; i < 4; i++) {
			f[i] = t;
			if (i < 3) {
				if ((t = memchr(t, '\t', (size_t)(eol - t))) ==
				    NULL)
					break;
				flen[i] = (size_t)(t - f[i]);
				t++;
			} else
				flen[i] = (size_t)(eol - f[i]);
		}
		if (i < 4)
			continue;
		pat = flen[2] > 0 && f[2][0] == 'P';
		if (memchr(f[3], '\\', flen[3]) == NULL) {
			load_one(L, f[0], flen[0], f[1], flen[1], pat ? f[3] :
			    NULL, flen[3], f[3], flen[3]);
			continue;
		}
		un = xmalloc(flen[3] + 1);
		n = unescape(f[3], flen[3], un);
		load_one(L, f[0], flen[0], f[1], flen[1], pat ? un : NULL, n,
		    un, n);
		free(un);
	}
}

/* Load the daemon's current indicators (GET /v1/cert/indicators). */
static int
load_daemon(struct cli *cli, struct loaded *L)
{
	char sock[256];
	struct rawbuf b = { NULL, 0, 0 };
	long status = 0;
	CURL *c;
	int rv = -1;

	if (client_socket_path(cli, sock, sizeof(sock)) == -1)
		return -1;
	if ((c = curl_easy_init()) == NULL)
		return -1;
	if (curl_easy_setopt(c, CURLOPT_URL,
	    "http://localhost/v1/cert/indicators") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, raw_write) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b) != CURLE_OK ||
	    curl_easy_perform(c) != CURLE_OK) {
		fprintf(stderr, "hotline: cannot fetch indicators from "
		    "hotlined at %s\n", sock);
		goto done;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		fprintf(stderr, "hotline: hotlined answered %ld for the "
		    "indicators\n", status);
		goto done;
	}
	if (b.p == NULL) {
		rv = 0;
		goto done;
	}
	if (L == NULL) {	/* export */
		rv = fwrite(b.p, 1, b.len, stdout) == b.len ? 0 : -1;
		goto done;
	}
	load_tsv(L, b.p, b.len);
	L->text = b.p;
	b.p = NULL;
	rv = 0;
done:
	free(b.p);
	curl_easy_cleanup(c);
	return rv;
}

/* Load indicators from a STIX bundle file, or from indicator lines as
 * `hotline indicators export` writes them (no daemon needed). */
static int
load_bundle(const char *path, struct loaded *L)
{
	struct stix_meta m;
	json_error_t jerr;
	json_t *b, *o;
	char why[256];
	const char *id;
	size_t i;
	int64_t now = (int64_t)now_utc_ms() * 1000;

	if (input_open(path, &L->file) == -1)
		return -1;
	for (i = 0; i < L->file.len && (L->file.data[i] == ' ' ||
	    L->file.data[i] == '\n' || L->file.data[i] == '\t' ||
	    L->file.data[i] == '\r'); i++)
		;
	if (i == L->file.len || L->file.data[i] != '{') {
		/* indicator lines: the mapping stays for the ids */
		load_tsv(L, L->file.data, L->file.len);
		return 0;
	}
	input_close(&L->file);
	memset(&L->file, 0, sizeof(L->file));
	if ((b = json_load_file(path, 0, &jerr)) == NULL) {
		fprintf(stderr, "hotline: %s:%d: %s\n", path, jerr.line,
		    jerr.text);
		return -1;
	}
	L->bundle = b;	/* the ids point into it */
	json_array_foreach(json_object_get(b, "objects"), i, o) {
		if (stix_validate(o, &m, why, sizeof(why)) == -1 ||
		    strcmp(m.type, "indicator") != 0 || m.revoked ||
		    (m.valid_until != 0 && m.valid_until <= now) ||
		    (id = json_string_value(json_object_get(o, "id"))) == NULL)
			continue;
		load_one(L, id, strlen(id), path, strlen(path), m.pattern,
		    m.pattern != NULL ? strlen(m.pattern) : 0,
		    "pattern_type is not stix", 24);
	}
	return 0;
}

static int
input_open(const char *path, struct input *in)
{
	struct stat sb;
	ssize_t r;
	int fd = 0;

	memset(in, 0, sizeof(*in));
	in->name = path != NULL ? path : "-";
	if (path != NULL && (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		goto fail;
	if (path != NULL && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		in->len = (size_t)sb.st_size;
		if (in->len > 0) {
			in->data = mmap(NULL, in->len, PROT_READ, MAP_PRIVATE,
			    fd, 0);
			if (in->data == MAP_FAILED)
				goto fail;
			/* one pass; (advice values are not flags to OR) */
			(void)madvise(in->data, in->len, MADV_SEQUENTIAL);
			in->mapped = 1;
		}
		close(fd);
		return 0;
	}
	for (;;) {
		size_t cap = in->len + 1024 * 1024;

		if (cap > STDIN_MAX) {
			errno = EFBIG;
			goto fail;
		}
		in->data = xreallocarray(in->data, cap, 1);
		r = read(fd, in->data + in->len, cap - in->len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		if (r == 0)
			break;
		in->len += (size_t)r;
	}
	if (fd != 0)
		close(fd);
	return 0;
fail:
	fprintf(stderr, "hotline: %s: %s\n", in->name, strerror(errno));
	if (fd > 0)
		close(fd);
	return -1;
}

static void
input_close(struct input *in)
{
	if (in->mapped)
		munmap(in->data, in->len);
	else
		free(in->data);
}

int
cmd_match(struct cli *cli, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "threads", required_argument, NULL, 'T' },
		{ "indicators", required_argument, NULL, 'I' },
		{ "sightings", no_argument, NULL, 'S' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct loaded L;
	struct input in;
	struct match_hit *hits = NULL;
	const char *bundle = NULL;
	json_t *jhits = NULL, *counts = NULL, *out, *u;
	uint64_t nt = 0;
	size_t nhits, total = 0, i, hitlines = 0;
	uint64_t lastline;
	int ch, f, rv = 1, sightings = 0, quiet = 0, nfiles;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	optind = 1;
	while ((ch = getopt_long(argc, argv, "jT:I:Sq", lo, NULL)) != -1) {
		switch (ch) {
		case 'j': cli->json = true; break;
		case 'T':
			if (parse_u64(optarg, 1, 64, &nt) == -1)
				return 2;
			break;
		case 'I': bundle = optarg; break;
		case 'S': sightings = 1; break;
		case 'q': quiet = 1; break;
		default:
			fprintf(stderr, "usage: hotline match [--json] "
			    "[--threads N] [--indicators BUNDLE] [--sightings] "
			    "[FILE...]\n");
			return 2;
		}
	}
	if (nt == 0)
		nt = ncpu > 0 ? (uint64_t)ncpu : 1;
	memset(&L, 0, sizeof(L));
	L.set = match_set_new();
	L.unmatchable = json_array();
	counts = json_object();
	if ((bundle != NULL ? load_bundle(bundle, &L) :
	    load_daemon(cli, &L)) == -1)
		goto done;
	if (cli->json)
		jhits = json_array();
	nfiles = argc - optind;
	for (f = 0; f < (nfiles > 0 ? nfiles : 1); f++) {
		if (input_open(nfiles > 0 ? argv[optind + f] : NULL, &in) == -1)
			goto done;
		if (match_scan(L.set, in.data, in.len, (int)nt, &hits,
		    &nhits) == -1) {
			input_close(&in);
			fprintf(stderr, "hotline: scan failed\n");
			goto done;
		}
		lastline = 0;
		for (i = 0; i < nhits; i++) {
			const struct match_hit *h = &hits[i];

			if (h->line != lastline) {
				hitlines++;
				lastline = h->line;
			}
			const struct indicator *ind = &L.ind[h->ind];
			json_t *c = json_object_getn(counts, ind->id,
			    (size_t)ind->idlen);

			json_object_setn_new(counts, ind->id, (size_t)ind->idlen,
			    json_integer((c != NULL ? json_integer_value(c) :
			    0) + 1));
			if (quiet)
				continue;
			if (jhits != NULL)
				json_array_append_new(jhits, json_pack("{s:s, "
				    "s:I, s:s%, s:s%, s:s%}", "file", in.name,
				    "line", (json_int_t)h->line, "value",
				    in.data + h->off, (size_t)h->len,
				    "indicator", ind->id, (size_t)ind->idlen,
				    "source", ind->source,
				    (size_t)ind->srclen));
			else
				printf("%s:%llu: %.*s %.*s %.*s\n", in.name,
				    (unsigned long long)h->line, (int)h->len,
				    in.data + h->off, ind->idlen, ind->id,
				    ind->srclen, ind->source);
		}
		total += nhits;
		free(hits);
		hits = NULL;
		input_close(&in);
	}
	if (cli->json) {
		out = json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:O}",
		    "indicators", (json_int_t)L.n, "values",
		    (json_int_t)L.nterms, "unmatchable_count",
		    (json_int_t)json_array_size(L.unmatchable), "hit_count",
		    (json_int_t)total, "hit_lines", (json_int_t)hitlines,
		    "hits", jhits, "unmatchable", L.unmatchable);
		jhits = NULL;
		print_json(out);
		json_decref(out);
	} else {
		fprintf(stderr, "%zu hit(s) on %zu line(s); %zu indicator(s), "
		    "%zu value(s); %zu indicator(s) not matchable%s\n", total,
		    hitlines, L.n, L.nterms,
		    json_array_size(L.unmatchable),
		    json_array_size(L.unmatchable) ? ":" : "");
		json_array_foreach(L.unmatchable, i, u)
			fprintf(stderr, "  %s (%s): %s\n", jstr(u, "id", "?"),
			    jstr(u, "source", "?"), jstr(u, "reason", "?"));
	}
	if (sightings && json_object_size(counts) > 0) {
		json_t *req = json_pack("{s:[]}", "hits"), *resp, *v;
		const char *k;

		json_object_foreach(counts, k, v)
			json_array_append_new(json_object_get(req, "hits"),
			    json_pack("{s:s, s:O}", "indicator", k, "count",
			    v));
		if (client_request(cli, "POST", "/v1/cert/sightings", req,
		    &resp) == -1) {
			json_decref(req);
			goto done;
		}
		fprintf(stderr, "sightings sent: %zu, not sent: %zu\n",
		    json_array_size(json_object_get(resp, "sent")),
		    json_array_size(json_object_get(resp, "skipped")));
		json_decref(resp);
		json_decref(req);
	}
	rv = 0;
done:
	json_decref(jhits);
	json_decref(counts);
	free(L.ind);
	free(L.text);
	if (L.file.data != NULL)
		input_close(&L.file);
	json_decref(L.bundle);
	match_set_free(L.set);
	json_decref(L.unmatchable);
	return rv;
}
