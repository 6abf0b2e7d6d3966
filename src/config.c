/*
 * config.c: the node's configuration file (hotline.conf(5)).
 *
 * This file owns reading the INI file into a struct config, checking every
 * value, applying defaults, resolving relative paths, and printing the
 * configuration back in a normalised form that reads back to an equal
 * struct. inih splits lines into sections and key = value pairs; we feed it
 * through our own line reader so that we know the line number of every key
 * and section header, can enforce the file and line size limits, and can
 * turn off inih's continuation lines (a line that starts with whitespace is
 * simply an indented line here). The first error wins and is reported as
 * "name:line: message".
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "tlp.h"
#include "msg.h"
#include "util.h"

#define CONFIG_FILE_MAX		(1024 * 1024)	/* bytes */
/*
 * Longest path we accept after resolution, so that config_print's
 * "api_socket = PATH" line stays within inih's line buffer and the printed
 * file always reads back.
 */
#define CONFIG_PATH_LEN		180
_Static_assert(sizeof("api_socket = ") - 1 + CONFIG_PATH_LEN + 3 <=
    INI_MAX_LINE, "printed path lines must fit inih's line buffer");

#define SECNAME_MAX		64
#define ERRMSG_MAX		256

enum section {
	SEC_NONE,		/* before the first header */
	SEC_BAD,		/* a header we rejected; its keys are ignored */
	SEC_NODE,
	SEC_LINK,
	SEC_LIMITS,
	SEC_NRRC,
	SEC_DEADLINES,
	SEC_PEER,
	SEC_HTTPS,
};

_Static_assert(CONFIG_NCH == CH_MAX + 1 && CONFIG_NPREC == PREC_MAX + 1,
    "config.h's deadline table must match msg.h");
#define DEADLINE_MAX	(30 * 24 * MS_H)

enum keytype {
	T_PARTY,
	T_LISTEN,
	T_PATH,
	T_DURATION,
	T_NUMBER,
	T_COMMAND,	/* a shell command line, not resolved */
};

#define STRF(f)	offsetof(struct config, f), sizeof(((struct config *)0)->f)
#define NUMF(f)	offsetof(struct config, f), sizeof(uint64_t)

#define MS_S	1000ULL
#define MS_M	(60 * MS_S)
#define MS_H	(60 * MS_M)

/* Single-valued keys of [node], [link] and [limits]. */
static const struct keydef {
	enum section	 sec;
	const char	*name;
	enum keytype	 type;
	size_t		 off;
	size_t		 size;
	uint64_t	 min, max;
} keydefs[] = {
	{ SEC_NODE, "party", T_PARTY, STRF(party), 0, 0 },
	{ SEC_NODE, "listen", T_LISTEN, STRF(listen), 0, 0 },
	{ SEC_NODE, "data_dir", T_PATH, STRF(data_dir), 0, 0 },
	{ SEC_NODE, "api_socket", T_PATH, STRF(api_socket), 0, 0 },
	{ SEC_NODE, "key", T_PATH, STRF(key_file), 0, 0 },
	{ SEC_NODE, "cert", T_PATH, STRF(cert_file), 0, 0 },
	{ SEC_LINK, "heartbeat", T_DURATION, NUMF(heartbeat_ms),
	    100, MS_H },
	{ SEC_LINK, "dead_after", T_DURATION, NUMF(dead_after_ms),
	    100, 24 * MS_H },
	{ SEC_LINK, "handshake_timeout", T_DURATION,
	    NUMF(handshake_timeout_ms), 100, MS_H },
	{ SEC_LINK, "reconnect_min", T_DURATION, NUMF(reconnect_min_ms),
	    10, MS_H },
	{ SEC_LINK, "reconnect_max", T_DURATION, NUMF(reconnect_max_ms),
	    10, 24 * MS_H },
	{ SEC_LINK, "checkpoint_interval", T_DURATION,
	    NUMF(checkpoint_interval_ms), 100, 24 * MS_H },
	{ SEC_LINK, "checkpoint_burst", T_NUMBER, NUMF(checkpoint_burst),
	    1, 100000000 },
	{ SEC_LIMITS, "max_body", T_NUMBER, NUMF(max_body), 1, MSG_BODY_MAX },
	{ SEC_LIMITS, "api_max_request", T_NUMBER, NUMF(api_max_request),
	    1024, 16777216 },
	{ SEC_LIMITS, "api_max_clients", T_NUMBER, NUMF(api_max_clients),
	    1, 100000 },
	{ SEC_LIMITS, "peer_max_pending", T_NUMBER, NUMF(peer_max_pending),
	    16384, 1073741824 },
	{ SEC_LIMITS, "peer_max_connections", T_NUMBER,
	    NUMF(peer_max_connections), 1, 1024 },
	{ SEC_NRRC, "templates", T_PATH, STRF(templates_dir), 0, 0 },
	{ SEC_NRRC, "escalate_hook", T_COMMAND, STRF(escalate_hook), 0, 0 },
	{ SEC_NRRC, "check_interval", T_DURATION, NUMF(check_interval_ms),
	    0, DEADLINE_MAX },
#define DL(c, cn, p, pn) { SEC_DEADLINES, cn "_" pn, T_DURATION, \
	NUMF(deadline_ms[c][p]), 0, DEADLINE_MAX }
#define DLC(c, cn) DL(c, cn, PREC_FLASH, "flash"), \
	DL(c, cn, PREC_IMMEDIATE, "immediate"), \
	DL(c, cn, PREC_PRIORITY, "priority"), DL(c, cn, PREC_ROUTINE, "routine")
	DLC(CH_DIRECT, "direct"), DLC(CH_NRRC, "nrrc"), DLC(CH_CHECK, "check"),
	DLC(CH_WG, "wg"),	/* cert: bulk, never acknowledged, no deadline */
#undef DLC
#undef DL
	/* [https]: the console and the API over HTTPS (issue 8) */
	{ SEC_HTTPS, "listen", T_LISTEN, STRF(https_listen), 0, 0 },
	{ SEC_HTTPS, "tls_cert", T_PATH, STRF(https_cert), 0, 0 },
	{ SEC_HTTPS, "tls_key", T_PATH, STRF(https_key), 0, 0 },
	{ SEC_HTTPS, "web_dir", T_PATH, STRF(web_dir), 0, 0 },
};
#define NKEYS	(sizeof(keydefs) / sizeof(keydefs[0]))

/* Indexes into keydefs, for the cross-key checks. */
enum {
	K_PARTY, K_LISTEN, K_DATA_DIR, K_API_SOCKET, K_KEY, K_CERT,
	K_HEARTBEAT, K_DEAD_AFTER, K_HANDSHAKE, K_RECONNECT_MIN,
	K_RECONNECT_MAX,
};

/* Parser state shared by the line reader and the inih handler. */
struct parse {
	struct config	*cf;
	const char	*name;		/* for messages */
	const char	*base;		/* what a relative data_dir is under */
	const char	*text;
	size_t		 len, pos;
	int		 lineno;	/* line last handed to inih */
	bool		 stop;		/* reader gives up (line too long) */

	enum section	 sec;
	char		 secname[SECNAME_MAX];
	int		 cur_peer;
	int		 node_line, link_line, limits_line, nrrc_line,
			 deadlines_line, https_line;
	int		 keyline[NKEYS];	/* 0: not set */
	int		 peer_line[CONFIG_MAX_PEERS];
	int		 fpr_line[CONFIG_MAX_PEERS];

	int		 errline;	/* of the first error; 0: none */
	bool		 failed;
	char		 errmsg[ERRMSG_MAX];
};

static void	perr(struct parse *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/*
 * Record an error at line (0: the file as a whole) unless an earlier one is
 * already recorded: the first error is the one reported.
 */
static void
perr(struct parse *p, int line, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	p->errline = line;
	va_start(ap, fmt);
	/* A truncated message is still a message. */
	(void)vsnprintf(p->errmsg, sizeof(p->errmsg), fmt, ap);
	va_end(ap);
}

/*
 * Copy untrusted text into out for an error message: at most 48 bytes,
 * non-printable bytes shown as '?', "..." when cut.
 */
static const char *
vis(const char *s, char *out, size_t outsz)
{
	size_t i, n = 0, lim = outsz < 52 ? outsz - 4 : 48;

	for (i = 0; s[i] != '\0' && n < lim; i++)
		out[n++] = isprint((unsigned char)s[i]) ? s[i] : '?';
	if (s[i] != '\0') {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

/* Store s into a fixed field, zero-filling the rest. 0, or -1 if too long. */
static int
setstr(char *dst, size_t dstsz, const char *s)
{
	size_t n = strlen(s);

	if (n >= dstsz)
		return -1;
	memset(dst, 0, dstsz);
	memcpy(dst, s, n);
	return 0;
}

/*
 * Join rel onto the absolute directory base (ignored if rel is absolute) and
 * clean the result lexically: no empty or "." components, ".." removes the
 * previous component (never above "/"), no trailing slash. Symbolic links
 * are not looked at. Returns 0, or -1 if the result does not fit.
 */
static int
path_clean_join(const char *base, const char *rel, char *out, size_t outsz)
{
	const char *parts[2], *s, *e;
	size_t len = 0, n;
	char *slash;
	int i;

	if (outsz < 2)
		return -1;
	parts[0] = rel[0] == '/' ? "" : base;
	parts[1] = rel;
	out[0] = '\0';
	for (i = 0; i < 2; i++) {
		for (s = parts[i]; *s != '\0'; s = e) {
			while (*s == '/')
				s++;
			e = s + strcspn(s, "/");
			n = (size_t)(e - s);
			if (n == 0 || (n == 1 && s[0] == '.'))
				continue;
			if (n == 2 && s[0] == '.' && s[1] == '.') {
				if ((slash = strrchr(out, '/')) != NULL) {
					*slash = '\0';
					len = (size_t)(slash - out);
				}
				continue;
			}
			if (len + 1 + n >= outsz)
				return -1;
			out[len++] = '/';
			memcpy(out + len, s, n);
			len += n;
			out[len] = '\0';
		}
	}
	if (len == 0) {
		out[0] = '/';
		out[1] = '\0';
	}
	return 0;
}

/*
 * Can this path be printed as an INI value and read back unchanged? inih
 * trims surrounding whitespace and cuts at " ;" (inline comment).
 */
static bool
path_printable(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || isspace((unsigned char)s[0]) ||
	    isspace((unsigned char)s[n - 1]))
		return false;
	for (i = 0; i < n; i++) {
		if (iscntrl((unsigned char)s[i]))
			return false;
		if (s[i] == ';' && i > 0 && isspace((unsigned char)s[i - 1]))
			return false;
	}
	return true;
}

static bool
addr_host_chars(const char *h, size_t n, bool bracketed)
{
	static const char name[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_";
	static const char v6[] = "0123456789abcdefABCDEF:.";
	size_t i;
	bool zone = false, colon = false;

	for (i = 0; i < n; i++) {
		if (!bracketed) {
			if (strchr(name, h[i]) == NULL)
				return false;
		} else if (zone) {
			if (strchr(name, h[i]) == NULL)
				return false;
		} else if (h[i] == '%' && i > 0 && i + 1 < n) {
			zone = true;
		} else if (strchr(v6, h[i]) == NULL) {
			return false;
		} else if (h[i] == ':')
			colon = true;
	}
	return !bracketed || colon;
}

/*
 * Split addr ("host:port" or "[v6addr]:port", shorter than
 * CONFIG_ADDR_MAX) into host (without brackets) and port. The host is a
 * non-empty name or IPv4 address ([A-Za-z0-9._-]), or inside brackets an
 * IPv6 address with an optional %zone; the port is 1..65535 in decimal.
 * host and port may be NULL to only validate. Returns 0, or -1 if addr is
 * malformed or a part does not fit its buffer.
 */
int
config_addr_split(const char *addr, char *host, size_t hostsz, char *port,
    size_t portsz)
{
	const char *h, *ps, *close;
	size_t alen, hlen, plen;
	uint64_t v;
	bool bracketed;

	if (addr == NULL)
		return -1;
	alen = strnlen(addr, CONFIG_ADDR_MAX);
	if (alen == 0 || alen >= CONFIG_ADDR_MAX)
		return -1;
	if ((bracketed = addr[0] == '[')) {
		if ((close = memchr(addr, ']', alen)) == NULL ||
		    close[1] != ':')
			return -1;
		h = addr + 1;
		hlen = (size_t)(close - h);
		ps = close + 2;
	} else {
		if ((close = strrchr(addr, ':')) == NULL)
			return -1;
		h = addr;
		hlen = (size_t)(close - h);
		ps = close + 1;
	}
	if (hlen == 0 || !addr_host_chars(h, hlen, bracketed))
		return -1;
	plen = strlen(ps);
	if (plen == 0 || plen > 5 || parse_u64(ps, 1, 65535, &v) == -1)
		return -1;
	if (host != NULL) {
		if (hlen >= hostsz)
			return -1;
		memcpy(host, h, hlen);
		host[hlen] = '\0';
	}
	if (port != NULL) {
		if (plen >= portsz)
			return -1;
		memcpy(port, ps, plen + 1);
	}
	return 0;
}

const struct peer_conf *
config_peer_find(const struct config *cf, const char *party)
{
	int i;

	if (cf == NULL || party == NULL)
		return NULL;
	for (i = 0; i < cf->npeers; i++)
		if (strcmp(cf->peers[i].party, party) == 0)
			return &cf->peers[i];
	return NULL;
}

static void
config_defaults(struct config *cf)
{
	int ch;

	memset(cf, 0, sizeof(*cf));
	cf->heartbeat_ms = 5 * MS_S;
	cf->dead_after_ms = 15 * MS_S;
	cf->handshake_timeout_ms = 10 * MS_S;
	cf->reconnect_min_ms = 250;
	cf->reconnect_max_ms = 10 * MS_S;
	cf->max_body = MSG_BODY_MAX;
	cf->api_max_request = 65536;
	cf->api_max_clients = 64;
	cf->peer_max_pending = 262144;
	cf->peer_max_connections = 4;
	cf->checkpoint_interval_ms = 30 * MS_S;
	cf->checkpoint_burst = 10000;
	(void)setstr(cf->templates_dir, sizeof(cf->templates_dir),
	    HOTLINE_TEMPLATES_DIR);
	for (ch = CH_MIN; ch <= CH_MAX; ch++) {
		if (ch == CH_WG || ch == CH_CERT)
			continue;	/* no acknowledgment deadline */
		cf->deadline_ms[ch][PREC_FLASH] = 10 * MS_M;
		cf->deadline_ms[ch][PREC_IMMEDIATE] = MS_H;
		cf->deadline_ms[ch][PREC_PRIORITY] = 6 * MS_H;
		cf->deadline_ms[ch][PREC_ROUTINE] = 24 * MS_H;
	}
}

/*
 * A section header was read at the current line: check it and make it the
 * current section. Keys of a rejected section are ignored (the header's
 * error is reported first anyway).
 */
static void
section_open(struct parse *p, const char *name, size_t n)
{
	struct config *cf = p->cf;
	struct peer_conf *pc;
	char v[64], party[PARTY_MAX + 2];
	const char *s;
	size_t plen;
	int i, *seen = NULL;

	p->sec = SEC_BAD;
	if (n >= sizeof(p->secname)) {
		memcpy(p->secname, name, sizeof(p->secname) - 1);
		p->secname[sizeof(p->secname) - 1] = '\0';
		perr(p, p->lineno, "unknown section [%s]",
		    vis(p->secname, v, sizeof(v)));
		return;
	}
	memcpy(p->secname, name, n);
	p->secname[n] = '\0';

	if (strcmp(p->secname, "node") == 0) {
		p->sec = SEC_NODE;
		seen = &p->node_line;
	} else if (strcmp(p->secname, "link") == 0) {
		p->sec = SEC_LINK;
		seen = &p->link_line;
	} else if (strcmp(p->secname, "limits") == 0) {
		p->sec = SEC_LIMITS;
		seen = &p->limits_line;
	} else if (strcmp(p->secname, "nrrc") == 0) {
		p->sec = SEC_NRRC;
		seen = &p->nrrc_line;
	} else if (strcmp(p->secname, "deadlines") == 0) {
		p->sec = SEC_DEADLINES;
		seen = &p->deadlines_line;
	} else if (strcmp(p->secname, "https") == 0) {
		p->sec = SEC_HTTPS;
		seen = &p->https_line;
	}
	if (seen != NULL) {
		if (*seen != 0) {
			perr(p, p->lineno, "duplicate section [%s] (first on "
			    "line %d)", p->secname, *seen);
			p->sec = SEC_BAD;
			return;
		}
		*seen = p->lineno;
		return;
	}

	if (strncmp(p->secname, "peer", 4) != 0 ||
	    (p->secname[4] != ' ' && p->secname[4] != '\t')) {
		perr(p, p->lineno, "unknown section [%s]",
		    vis(p->secname, v, sizeof(v)));
		return;
	}
	s = p->secname + 4;
	s += strspn(s, " \t");
	plen = strlen(s);
	if (plen < sizeof(party))
		memcpy(party, s, plen + 1);
	if (plen >= sizeof(party) || !party_id_valid(party)) {
		perr(p, p->lineno, "invalid peer party '%s' (expected "
		    "[a-z0-9-]{1,%d})", vis(s, v, sizeof(v)), PARTY_MAX);
		return;
	}
	for (i = 0; i < cf->npeers; i++)
		if (strcmp(cf->peers[i].party, party) == 0) {
			perr(p, p->lineno, "duplicate section [peer %s] "
			    "(first on line %d)", party, p->peer_line[i]);
			return;
		}
	if (cf->npeers >= CONFIG_MAX_PEERS) {
		perr(p, p->lineno, "too many peers (at most %d)",
		    CONFIG_MAX_PEERS);
		return;
	}
	p->cur_peer = cf->npeers++;
	p->peer_line[p->cur_peer] = p->lineno;
	pc = &cf->peers[p->cur_peer];
	(void)setstr(pc->party, sizeof(pc->party), party);
	pc->tlp_share = TLP_SHARE_DEFAULT;
	pc->tlp_unmarked = TLP_UNMARKED_DEFAULT;
	p->sec = SEC_PEER;
}

/*
 * Look at a line (leading whitespace already skipped, n bytes without the
 * line end) for a section header, the way inih will see it: '[' up to the
 * first ']' that is not inside a " ;" comment.
 */
static void
section_scan(struct parse *p, const char *s, size_t n)
{
	size_t i, j;

	if (n == 0 || s[0] != '[')
		return;
	for (i = 1; i < n; i++) {
		if (s[i] == ']')
			break;
		if (s[i] == ';' && i > 1 && isspace((unsigned char)s[i - 1]))
			i = n;
	}
	if (i >= n) {
		perr(p, p->lineno, "missing ']' in section header");
		return;
	}
	for (j = i + 1; j < n && isspace((unsigned char)s[j]); j++)
		;
	if (j < n && s[j] != ';') {
		perr(p, p->lineno, "unexpected text after section header");
		return;
	}
	section_open(p, s + 1, i - 1);
}

/*
 * inih's fgets-like reader over our in-memory text. Hands out one line per
 * call (so inih's line numbers are ours), drops a UTF-8 byte order mark and
 * leading whitespace, and refuses lines that would not fit inih's num-byte
 * buffer with their "\r\n\0" rather than letting inih split them.
 */
static char *
config_reader(char *str, int num, void *arg)
{
	struct parse *p = arg;
	const char *s, *nl;
	size_t len, content, skip;

	if (p->stop || p->pos >= p->len || num < 4)
		return NULL;
	s = p->text + p->pos;
	nl = memchr(s, '\n', p->len - p->pos);
	len = nl != NULL ? (size_t)(nl - s) + 1 : p->len - p->pos;
	p->pos += len;
	p->lineno++;

	content = len;
	if (content > 0 && s[content - 1] == '\n')
		content--;
	if (content > 0 && s[content - 1] == '\r')
		content--;
	if (content > (size_t)num - 3) {
		perr(p, p->lineno, "line too long (at most %d bytes)", num - 3);
		p->stop = true;
		return NULL;
	}
	skip = 0;
	if (p->lineno == 1 && content >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		skip = 3;
	while (skip < content && (s[skip] == ' ' || s[skip] == '\t' ||
	    s[skip] == '\v' || s[skip] == '\f'))
		skip++;
	memcpy(str, s + skip, len - skip);
	str[len - skip] = '\0';
	section_scan(p, s + skip, content - skip);
	return str;
}

/*
 * Print ms in the largest unit that divides it: "1h", "2m", "5s", "250ms".
 * out holds at least 24 bytes, enough for any uint64_t and a unit.
 */
static void
fmt_duration(uint64_t ms, char *out, size_t outsz)
{
	unsigned long long v = ms;

	if (v != 0 && v % MS_H == 0)
		(void)snprintf(out, outsz, "%lluh", v / MS_H);
	else if (v != 0 && v % MS_M == 0)
		(void)snprintf(out, outsz, "%llum", v / MS_M);
	else if (v != 0 && v % MS_S == 0)
		(void)snprintf(out, outsz, "%llus", v / MS_S);
	else
		(void)snprintf(out, outsz, "%llums", v);
}

/* Parse and store one value of [node], [link] or [limits]. 0 or -1. */
static int
key_set(struct parse *p, const struct keydef *k, const char *value)
{
	char *field = (char *)p->cf + k->off;
	char v[64], dmin[32], dmax[32];
	uint64_t n;

	switch (k->type) {
	case T_PARTY:
		if (!party_id_valid(value)) {
			perr(p, p->lineno, "invalid party '%s' (expected "
			    "[a-z0-9-]{1,%d})", vis(value, v, sizeof(v)),
			    PARTY_MAX);
			return -1;
		}
		break;
	case T_LISTEN:
		if (value[0] != '\0' &&
		    config_addr_split(value, NULL, 0, NULL, 0) == -1) {
			perr(p, p->lineno, "invalid listen address '%s' "
			    "(expected host:port or [v6]:port, port 1-65535)",
			    vis(value, v, sizeof(v)));
			return -1;
		}
		break;
	case T_COMMAND:
		if (value[0] != '\0' && (!path_printable(value) ||
		    strlen(value) > CONFIG_PATH_LEN)) {
			perr(p, p->lineno, "invalid %s '%s'", k->name,
			    vis(value, v, sizeof(v)));
			return -1;
		}
		break;
	case T_PATH:
		if (value[0] == '\0') {
			perr(p, p->lineno, "empty %s", k->name);
			return -1;
		}
		if (!path_printable(value) ||
		    strlen(value) > CONFIG_PATH_LEN) {
			perr(p, p->lineno, "invalid %s '%s'", k->name,
			    vis(value, v, sizeof(v)));
			return -1;
		}
		break;
	case T_DURATION:
		if (parse_duration_ms(value, k->min, k->max, &n) == -1) {
			fmt_duration(k->min, dmin, sizeof(dmin));
			fmt_duration(k->max, dmax, sizeof(dmax));
			perr(p, p->lineno, "invalid %s '%s' (expected a "
			    "duration such as 250ms, 5s, 2m or 1h, from %s "
			    "to %s)", k->name, vis(value, v, sizeof(v)), dmin,
			    dmax);
			return -1;
		}
		memcpy(field, &n, sizeof(n));
		return 0;
	case T_NUMBER:
		if (parse_u64(value, k->min, k->max, &n) == -1) {
			perr(p, p->lineno, "invalid %s '%s' (expected "
			    "%llu to %llu)", k->name, vis(value, v, sizeof(v)),
			    (unsigned long long)k->min,
			    (unsigned long long)k->max);
			return -1;
		}
		memcpy(field, &n, sizeof(n));
		return 0;
	}
	if (setstr(field, k->size, value) == -1) {
		perr(p, p->lineno, "%s too long", k->name);
		return -1;
	}
	return 0;
}

/* yes/no: 1, 0, or -1. */
static int
yesno(const char *value)
{
	if (strcmp(value, "yes") == 0)
		return 1;
	if (strcmp(value, "no") == 0)
		return 0;
	return -1;
}

/* The CERT channel keys of a [peer PARTY] section (tlp.c). 0 or -1. */
static int
peer_cert_key(struct parse *p, struct peer_conf *pc, const char *name,
    const char *value)
{
	char v[64];
	int l;

	if (strcmp(name, "tlp_share") == 0) {
		if (tlp_parse_share(value, &pc->tlp_share) == -1) {
			perr(p, p->lineno, "invalid tlp_share '%s' (expected "
			    "none or a list of clear, green, amber; RED and "
			    "AMBER+STRICT have fixed rules)",
			    vis(value, v, sizeof(v)));
			return -1;
		}
		return 0;
	}
	if (strcmp(name, "tlp_unmarked") == 0) {
		if ((l = tlp_from_word(value)) == -1) {
			perr(p, p->lineno, "invalid tlp_unmarked '%s' "
			    "(expected clear, green, amber, amber+strict or "
			    "red)", vis(value, v, sizeof(v)));
			return -1;
		}
		pc->tlp_unmarked = l;
		return 0;
	}
	if (strcmp(name, "same_organisation") == 0 ||
	    strcmp(name, "send_sightings") == 0) {
		if ((l = yesno(value)) == -1) {
			perr(p, p->lineno, "invalid %s '%s' (expected yes or "
			    "no)", name, vis(value, v, sizeof(v)));
			return -1;
		}
		if (name[0] == 's' && name[1] == 'a')
			pc->same_org = l;
		else
			pc->send_sightings = l;
		return 0;
	}
	perr(p, p->lineno, "unknown key '%s' in [peer %s]",
	    vis(name, v, sizeof(v)), pc->party);
	return -1;
}

/* Parse one key of a [peer PARTY] section. 0 or -1. */
static int
peer_key(struct parse *p, const char *name, const char *value)
{
	struct peer_conf *pc = &p->cf->peers[p->cur_peer];
	char v[64];
	size_t i, n;
	int j;

	if (strcmp(name, "fingerprint") == 0) {
		if (p->fpr_line[p->cur_peer] != 0) {
			perr(p, p->lineno, "duplicate key 'fingerprint' in "
			    "[%s] (first on line %d)", p->secname,
			    p->fpr_line[p->cur_peer]);
			return -1;
		}
		n = strlen(value);
		for (i = 0; i < n && isxdigit((unsigned char)value[i]); i++)
			;
		if (n != FPR_HEX_LEN || i != n) {
			perr(p, p->lineno, "invalid fingerprint '%s' (expected "
			    "%d hex digits)", vis(value, v, sizeof(v)),
			    FPR_HEX_LEN);
			return -1;
		}
		memset(pc->fingerprint, 0, sizeof(pc->fingerprint));
		for (i = 0; i < n; i++)
			pc->fingerprint[i] =
			    (char)tolower((unsigned char)value[i]);
		p->fpr_line[p->cur_peer] = p->lineno;
		return 0;
	}
	if (strcmp(name, "address") == 0) {
		if (config_addr_split(value, NULL, 0, NULL, 0) == -1) {
			perr(p, p->lineno, "invalid address '%s' (expected "
			    "host:port or [v6]:port, port 1-65535)",
			    vis(value, v, sizeof(v)));
			return -1;
		}
		for (j = 0; j < pc->naddrs; j++)
			if (strcmp(pc->addrs[j], value) == 0) {
				perr(p, p->lineno, "duplicate address '%s' "
				    "in [%s]", value, p->secname);
				return -1;
			}
		if (pc->naddrs >= CONFIG_MAX_ADDRS) {
			perr(p, p->lineno, "too many addresses in [%s] (at "
			    "most %d)", p->secname, CONFIG_MAX_ADDRS);
			return -1;
		}
		(void)setstr(pc->addrs[pc->naddrs++], CONFIG_ADDR_MAX, value);
		return 0;
	}
	return peer_cert_key(p, pc, name, value);
}

/* inih handler: one key = value pair. Returns 1 if fine, 0 on error. */
static int
config_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct parse *p = arg;
	const struct keydef *k;
	char v[64];
	size_t i;

	if (p->sec == SEC_BAD)
		return 0;
	if (p->sec == SEC_NONE) {
		perr(p, p->lineno, "key '%s' outside any section",
		    vis(name, v, sizeof(v)));
		return 0;
	}
	if (strcmp(section, p->secname) != 0) {
		/* Our header scan and inih disagree; never guess. */
		perr(p, p->lineno, "malformed section header");
		return 0;
	}
	if (p->sec == SEC_PEER)
		return peer_key(p, name, value) == 0;
	for (i = 0; i < NKEYS; i++) {
		k = &keydefs[i];
		if (k->sec != p->sec || strcmp(k->name, name) != 0)
			continue;
		if (p->keyline[i] != 0) {
			perr(p, p->lineno, "duplicate key '%s' in [%s] (first "
			    "on line %d)", name, p->secname, p->keyline[i]);
			return 0;
		}
		p->keyline[i] = p->lineno;
		return key_set(p, k, value) == 0;
	}
	perr(p, p->lineno, "unknown key '%s' in [%s]",
	    vis(name, v, sizeof(v)), p->secname);
	return 0;
}

/*
 * Resolve the path field of keydefs[ki] against dir: the configured value,
 * or def if the key was not given. An error is reported on the key's line,
 * or on deflt_line for a default.
 */
static int
path_resolve(struct parse *p, int ki, const char *dir, const char *def,
    int deflt_line)
{
	const struct keydef *k = &keydefs[ki];
	char *field = (char *)p->cf + k->off;
	char out[PATH_MAX];
	int line = p->keyline[ki] != 0 ? p->keyline[ki] : deflt_line;

	if (p->keyline[ki] == 0 && setstr(field, k->size, def) == -1)
		goto toolong;
	if (path_clean_join(dir, field, out, sizeof(out)) == -1 ||
	    strlen(out) > CONFIG_PATH_LEN)
		goto toolong;
	if (!path_printable(out)) {
		perr(p, line, "%s resolves to a path that cannot be written "
		    "in a config file", k->name);
		return -1;
	}
	if (ki == K_API_SOCKET &&
	    strlen(out) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		perr(p, line, "api_socket path %s too long for a Unix socket "
		    "(at most %zu bytes)", out,
		    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return -1;
	}
	(void)setstr(field, k->size, out);
	return 0;
toolong:
	perr(p, line, "%s too long once resolved (at most %d bytes)", k->name,
	    CONFIG_PATH_LEN);
	return -1;
}

/* The index in keydefs of a key. */
static int
key_index(enum section sec, const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (keydefs[i].sec == sec && strcmp(keydefs[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* [https] paths: tls_cert and tls_key default to DATA_DIR/https-cert.pem and
 * https-key.pem, web_dir to the console's installed files. 0 or -1. */
static int
https_finish(struct parse *p)
{
	const char *dir = p->cf->data_dir;
	int line = p->https_line != 0 ? p->https_line : p->node_line;

	if (path_resolve(p, key_index(SEC_HTTPS, "tls_cert"), dir,
	    "https-cert.pem", line) == -1 ||
	    path_resolve(p, key_index(SEC_HTTPS, "tls_key"), dir,
	    "https-key.pem", line) == -1 ||
	    path_resolve(p, key_index(SEC_HTTPS, "web_dir"), dir,
	    HOTLINE_WEB_DIR, line) == -1)
		return -1;
	return 0;
}

/* Whole-file checks once every line is read: required keys, cross-key
 * rules, path resolution. 0 or -1 (error recorded). */
static int
config_finish(struct parse *p)
{
	struct config *cf = p->cf;
	int i, j, line;

	if (p->node_line == 0) {
		perr(p, 0, "missing [node] section");
		return -1;
	}
	if (p->keyline[K_PARTY] == 0) {
		perr(p, p->node_line, "missing party in [node]");
		return -1;
	}
	for (i = 0; i < cf->npeers; i++) {
		if (strcmp(cf->peers[i].party, cf->party) == 0) {
			perr(p, p->peer_line[i], "peer '%s' is this node's "
			    "own party", cf->party);
			return -1;
		}
		if (p->fpr_line[i] == 0) {
			perr(p, p->peer_line[i], "missing fingerprint in "
			    "[peer %s]", cf->peers[i].party);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(cf->peers[i].fingerprint,
			    cf->peers[j].fingerprint) == 0) {
				perr(p, p->fpr_line[i], "peer '%s' has the "
				    "same fingerprint as peer '%s'",
				    cf->peers[i].party, cf->peers[j].party);
				return -1;
			}
	}
	if (cf->dead_after_ms <= cf->heartbeat_ms) {
		line = p->keyline[K_DEAD_AFTER] != 0 ?
		    p->keyline[K_DEAD_AFTER] : p->keyline[K_HEARTBEAT];
		perr(p, line, "dead_after must be greater than heartbeat");
		return -1;
	}
	if (cf->reconnect_max_ms < cf->reconnect_min_ms) {
		line = p->keyline[K_RECONNECT_MAX] != 0 ?
		    p->keyline[K_RECONNECT_MAX] : p->keyline[K_RECONNECT_MIN];
		perr(p, line, "reconnect_max must not be less than "
		    "reconnect_min");
		return -1;
	}
	line = p->keyline[K_DATA_DIR] != 0 ? p->keyline[K_DATA_DIR] :
	    p->node_line;
	if (path_resolve(p, K_DATA_DIR, p->base, ".", p->node_line) == -1 ||
	    path_resolve(p, K_API_SOCKET, cf->data_dir, "api.sock",
	    line) == -1 ||
	    path_resolve(p, K_KEY, cf->data_dir, "key.pem", line) == -1 ||
	    path_resolve(p, K_CERT, cf->data_dir, "cert.pem", line) == -1)
		return -1;
	/* templates: relative to the config file's directory */
	for (i = 0; i < (int)NKEYS; i++)
		if (keydefs[i].sec == SEC_NRRC &&
		    strcmp(keydefs[i].name, "templates") == 0)
			break;
	if (path_resolve(p, i, p->base, HOTLINE_TEMPLATES_DIR,
	    p->nrrc_line != 0 ? p->nrrc_line : p->node_line) == -1)
		return -1;
	return https_finish(p);
}

/*
 * Parse len bytes of text (no NUL inside) named name, with relative data_dir
 * under the absolute directory base. cfpath is what cf->path records. On
 * success fills *cf; on error leaves *cf alone and writes the message.
 */
static int
config_parse(const char *text, size_t len, const char *name,
    const char *cfpath, const char *base, struct config *cf, char *err,
    size_t errlen)
{
	struct parse *p;
	int ret, rc = -1;

	p = xcalloc(1, sizeof(*p));
	p->cf = xcalloc(1, sizeof(*p->cf));
	config_defaults(p->cf);
	p->name = name;
	p->base = base;
	p->text = text;
	p->len = len;
	p->sec = SEC_NONE;
	if (setstr(p->cf->path, sizeof(p->cf->path), cfpath) == -1) {
		perr(p, 0, "path too long");
		goto done;
	}
	if (len > CONFIG_FILE_MAX) {
		perr(p, 0, "file too large (at most %d bytes)",
		    CONFIG_FILE_MAX);
		goto done;
	}

	ret = ini_parse_stream(config_reader, p, config_handler, p);
	if (ret > 0 && (!p->failed || ret < p->errline)) {
		/*
		 * inih found a line that is neither a comment, a section
		 * header nor key = value, before any error of ours.
		 */
		p->failed = false;
		perr(p, ret, "expected 'key = value'");
	} else if (ret < 0)
		perr(p, 0, "parse error");
	if (p->failed || config_finish(p) == -1)
		goto done;
	memcpy(cf, p->cf, sizeof(*cf));
	rc = 0;
done:
	if (rc == -1 && err != NULL && errlen > 0) {
		/* A truncated message is still a message. */
		if (p->errline > 0)
			(void)snprintf(err, errlen, "%s:%d: %s", name,
			    p->errline, p->errmsg);
		else
			(void)snprintf(err, errlen, "%s: %s", name,
			    p->errmsg);
	}
	free(p->cf);
	free(p);
	return rc;
}

int
config_load_string(const char *text, const char *name, struct config *cf,
    char *err, size_t errlen)
{
	char cwd[PATH_MAX];

	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		(void)snprintf(err, errlen, "%s: cannot get current "
		    "directory: %s", name, strerror(errno));
		return -1;
	}
	return config_parse(text, strnlen(text, CONFIG_FILE_MAX + 1), name,
	    name, cwd, cf, err, errlen);
}

/*
 * Read the whole of path (a regular file of at most CONFIG_FILE_MAX bytes)
 * into a new NUL-terminated buffer the caller frees. 0 or -1 with a message.
 */
static int
config_read_file(const char *path, char **out, size_t *outlen, char *err,
    size_t errlen)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		(void)snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	/* O_NONBLOCK only kept a FIFO from hanging open(); a regular
	 * file reads the same either way. */
	if (st.st_size > CONFIG_FILE_MAX)
		goto toobig;
	/* One spare byte to notice a file that grew, one for the NUL. */
	data = xmalloc(CONFIG_FILE_MAX + 2);
	for (;;) {
		r = read(fd, data + len, CONFIG_FILE_MAX + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			(void)snprintf(err, errlen, "%s: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > CONFIG_FILE_MAX)
			goto toobig;
	}
	data[len] = '\0';
	if (memchr(data, '\0', len) != NULL) {
		(void)snprintf(err, errlen, "%s: NUL byte in file", path);
		goto fail;
	}
	close(fd);
	*out = data;
	*outlen = len;
	return 0;
toobig:
	(void)snprintf(err, errlen, "%s: file too large (at most %d bytes)",
	    path, CONFIG_FILE_MAX);
fail:
	free(data);
	close(fd);
	return -1;
}

int
config_load(const char *path, struct config *cf, char *err, size_t errlen)
{
	char cwd[PATH_MAX], abs[PATH_MAX], dir[PATH_MAX], *slash;
	char *text = NULL;
	size_t len;
	int rc;

	if (getcwd(cwd, sizeof(cwd)) == NULL ||
	    path_clean_join(cwd, path, abs, sizeof(abs)) == -1) {
		(void)snprintf(err, errlen, "%s: cannot make the path "
		    "absolute", path);
		return -1;
	}
	memcpy(dir, abs, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL)
		slash[slash == dir ? 1 : 0] = '\0';
	if (config_read_file(path, &text, &len, err, errlen) == -1)
		return -1;
	rc = config_parse(text, len, path, abs, dir, cf, err, errlen);
	free(text);
	return rc;
}

/*
 * Print cf as a hotline.conf(5) file: every key explicit, paths absolute,
 * peers in order. Loading the output gives back an equal struct (path
 * aside, which records where it was read from).
 */
void
config_print(FILE *fp, const struct config *cf)
{
	const struct keydef *k;
	const struct peer_conf *pc;
	enum section sec = SEC_NONE;
	char d[32];
	uint64_t n;
	size_t i;
	int j;

	fprintf(fp, "; hotline.conf(5), normalised\n");
	for (i = 0; i < NKEYS; i++) {
		k = &keydefs[i];
		if (k->sec != sec) {
			sec = k->sec;
			fprintf(fp, "%s[%s]\n", i == 0 ? "" : "\n",
			    sec == SEC_NODE ? "node" : sec == SEC_LINK ?
			    "link" : sec == SEC_LIMITS ? "limits" :
			    sec == SEC_NRRC ? "nrrc" : sec == SEC_HTTPS ? "https" :
			    "deadlines");
		}
		switch (k->type) {
		case T_PARTY:
		case T_LISTEN:
		case T_PATH:
		case T_COMMAND:
			if (((const char *)cf + k->off)[0] == '\0')
				fprintf(fp, "%s =\n", k->name);
			else
				fprintf(fp, "%s = %s\n", k->name,
				    (const char *)cf + k->off);
			break;
		case T_DURATION:
			memcpy(&n, (const char *)cf + k->off, sizeof(n));
			fmt_duration(n, d, sizeof(d));
			fprintf(fp, "%s = %s\n", k->name, d);
			break;
		case T_NUMBER:
			memcpy(&n, (const char *)cf + k->off, sizeof(n));
			fprintf(fp, "%s = %llu\n", k->name,
			    (unsigned long long)n);
			break;
		}
	}
	for (j = 0; j < cf->npeers; j++) {
		pc = &cf->peers[j];
		fprintf(fp, "\n[peer %s]\nfingerprint = %s\n", pc->party,
		    pc->fingerprint);
		for (i = 0; i < (size_t)pc->naddrs; i++)
			fprintf(fp, "address = %s\n", pc->addrs[i]);
		tlp_format_share(pc->tlp_share, d, sizeof(d));
		fprintf(fp, "tlp_share = %s\ntlp_unmarked = %s\n"
		    "same_organisation = %s\nsend_sightings = %s\n", d,
		    tlp_word(pc->tlp_unmarked), pc->same_org ? "yes" : "no",
		    pc->send_sightings ? "yes" : "no");
	}
}
