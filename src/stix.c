/*
 * stix.c: STIX 2.1 object validation and the matchable subset of the STIX
 * patterning language. Everything here works on untrusted input (objects
 * posted by TAXII clients or received from peers): no allocation beyond
 * fixed buffers, bounded scanning, a reason for every refusal.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "stix.h"

static int
fail(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Cyber-observable object types of STIX 2.1 (spec_version optional). */
static const char *const sco_types[] = {
	"artifact", "autonomous-system", "directory", "domain-name",
	"email-addr", "email-message", "file", "ipv4-addr", "ipv6-addr",
	"mac-addr", "mutex", "network-traffic", "process", "software", "url",
	"user-account", "windows-registry-key", "x509-certificate", NULL,
};

static int
is_sco(const char *type)
{
	int i;

	for (i = 0; sco_types[i] != NULL; i++)
		if (strcmp(type, sco_types[i]) == 0)
			return 1;
	return 0;
}

/* Required properties by type (besides the common ones). */
static const struct {
	const char	*type;
	const char	*props[4];
} required_props[] = {
	{ "indicator", { "pattern", "pattern_type", "valid_from", NULL } },
	{ "malware", { "is_family", NULL } },
	{ "relationship", { "relationship_type", "source_ref", "target_ref",
	    NULL } },
	{ "sighting", { "sighting_of_ref", NULL } },
	{ "identity", { "name", NULL } },
	{ "report", { "name", "published", "object_refs", NULL } },
	{ "observed-data", { "first_observed", "last_observed",
	    "number_observed", NULL } },
	{ "attack-pattern", { "name", NULL } },
	{ "campaign", { "name", NULL } },
	{ "course-of-action", { "name", NULL } },
	{ "grouping", { "context", "object_refs", NULL } },
	{ "infrastructure", { "name", NULL } },
	{ "intrusion-set", { "name", NULL } },
	{ "note", { "content", "object_refs", NULL } },
	{ "opinion", { "opinion", "object_refs", NULL } },
	{ "threat-actor", { "name", NULL } },
	{ "tool", { "name", NULL } },
	{ "vulnerability", { "name", NULL } },
	{ "domain-name", { "value", NULL } },
	{ "ipv4-addr", { "value", NULL } },
	{ "ipv6-addr", { "value", NULL } },
	{ "url", { "value", NULL } },
};

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
digits(const char **s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return -1;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*out = v;
	return 0;
}

int
stix_time_parse(const char *s, int64_t *us)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, mo, d, h, mi, sec, frac = 0, n = 0;

	if (digits(&s, 4, &y) == -1 || *s++ != '-' ||
	    digits(&s, 2, &mo) == -1 || *s++ != '-' ||
	    digits(&s, 2, &d) == -1 || *s++ != 'T' ||
	    digits(&s, 2, &h) == -1 || *s++ != ':' ||
	    digits(&s, 2, &mi) == -1 || *s++ != ':' ||
	    digits(&s, 2, &sec) == -1)
		return -1;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return -1;
		while (isdigit((unsigned char)*s)) {
			if (n < 6) {
				frac = frac * 10 + (*s - '0');
				n++;
			}
			s++;
		}
		for (; n < 6; n++)
			frac *= 10;
	}
	if (*s++ != 'Z' || *s != '\0')
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 &&
	    y % 400 != 0))) || h > 23 || mi > 59 || sec > 60)
		return -1;
	*us = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + sec) * 1000000) + frac;
	return 0;
}

/* Write the fields into out (40 bytes) through a buffer large enough for
 * any int, so no truncation is possible. */
static void
tmp_format(char out[40], int y, int m, int d, int h, int mi, int sec,
    int frac)
{
	char tmp[128];
	size_t n;

	if (frac % 1000 == 0)
		(void)snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:"
		    "%02d.%03dZ", y, m, d, h, mi, sec, frac / 1000);
	else
		(void)snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:"
		    "%02d.%06dZ", y, m, d, h, mi, sec, frac);
	n = strlen(tmp);
	if (n > 39)
		n = 39;
	memcpy(out, tmp, n);
	out[n] = '\0';
}

void
stix_time_format(int64_t us, char out[40])
{
	int64_t secs = us / 1000000, z, era;
	unsigned doe, yoe, doy, mp, d, m;
	int64_t y, sod;
	int frac = (int)(us % 1000000);

	if (us < 0) {
		snprintf(out, 40, "1970-01-01T00:00:00.000Z");
		return;
	}
	z = secs / 86400 + 719468;
	sod = secs % 86400;
	era = z / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	/* Years past 9999 are not STIX timestamps; keep the fields small so
	 * the text always fits. */
	if (y > 9999)
		y = 9999;
	tmp_format(out, (int)y, (int)m, (int)d, (int)(sod / 3600),
	    (int)(sod / 60 % 60), (int)(sod % 60), frac);
}

int
stix_id_new(const char *type, char *out, size_t outsz)
{
	uint8_t u[16];
	int n;

	if (RAND_bytes(u, sizeof(u)) != 1)
		return -1;
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	n = snprintf(out, outsz, "%s--%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x", type, u[0], u[1], u[2], u[3],
	    u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
	    u[14], u[15]);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

/* [a-z0-9-]{3,250}, no "--", starting with a letter or "x-". */
static int
type_valid(const char *t)
{
	size_t i, n = strlen(t);

	if (n < 3 || n > STIX_TYPE_MAX || !islower((unsigned char)t[0]))
		return 0;
	for (i = 0; i < n; i++) {
		if (!islower((unsigned char)t[i]) &&
		    !isdigit((unsigned char)t[i]) && t[i] != '-')
			return 0;
		if (t[i] == '-' && t[i + 1] == '-')
			return 0;
	}
	return t[n - 1] != '-';
}

/* 8-4-4-4-12 hex digits. */
static int
uuid_valid(const char *u)
{
	static const int groups[] = { 8, 4, 4, 4, 12 };
	int g, i;

	for (g = 0; g < 5; g++) {
		for (i = 0; i < groups[g]; i++, u++)
			if (!isxdigit((unsigned char)*u))
				return 0;
		if (g < 4 && *u++ != '-')
			return 0;
	}
	return *u == '\0';
}

/* A reference property: an id of any type. */
static int
ref_valid(json_t *v)
{
	const char *s, *dd;
	char type[STIX_TYPE_MAX + 1];
	size_t n;

	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	if ((dd = strstr(s, "--")) == NULL || (n = (size_t)(dd - s)) >
	    STIX_TYPE_MAX)
		return 0;
	memcpy(type, s, n);
	type[n] = '\0';
	return type_valid(type) && uuid_valid(dd + 2);
}

static int
time_prop(json_t *o, const char *key, int required, int64_t *out,
    char *why, size_t whylen)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (v == NULL) {
		if (required)
			return fail(why, whylen, "missing required property "
			    "\"%s\"", key);
		return 0;
	}
	if (!json_is_string(v) || stix_time_parse(json_string_value(v),
	    out) == -1)
		return fail(why, whylen, "\"%s\" is not a STIX timestamp "
		    "(YYYY-MM-DDTHH:MM:SS[.s+]Z)", key);
	return 0;
}

int
stix_validate(json_t *o, struct stix_meta *m, char *why, size_t whylen)
{
	json_t *v;
	const char *type, *id, *sv;
	int64_t t, modified;
	size_t i, n, j;
	int sco, sdo;

	memset(m, 0, sizeof(*m));
	if (!json_is_object(o))
		return fail(why, whylen, "not a JSON object");
	v = json_object_get(o, "type");
	if (!json_is_string(v) || !type_valid(type = json_string_value(v)))
		return fail(why, whylen, "missing or invalid \"type\"");
	if (strcmp(type, "bundle") == 0)
		return fail(why, whylen, "a bundle inside a bundle");
	memcpy(m->type, type, strlen(type) + 1);
	v = json_object_get(o, "id");
	if (!json_is_string(v))
		return fail(why, whylen, "missing \"id\"");
	id = json_string_value(v);
	n = strlen(type);
	if (strncmp(id, type, n) != 0 || strncmp(id + n, "--", 2) != 0 ||
	    !uuid_valid(id + n + 2))
		return fail(why, whylen, "\"id\" must be \"%s--\" and a UUID",
		    type);
	memcpy(m->id, id, strlen(id) + 1);
	sco = is_sco(type);
	sdo = !sco && strcmp(type, "marking-definition") != 0 &&
	    strcmp(type, "language-content") != 0 &&
	    strcmp(type, "extension-definition") != 0;
	v = json_object_get(o, "spec_version");
	if (v == NULL && !sco)
		return fail(why, whylen, "missing required property "
		    "\"spec_version\"");
	if (v != NULL) {
		if (!json_is_string(v) || strcmp(sv = json_string_value(v),
		    "2.1") != 0)
			return fail(why, whylen, "\"spec_version\" must be "
			    "\"2.1\"");
		memcpy(m->spec_version, sv, 4);
	}
	if (time_prop(o, "created", !sco, &m->created, why, whylen) == -1 ||
	    time_prop(o, "modified", sdo || strcmp(type,
	    "language-content") == 0 || strcmp(type,
	    "extension-definition") == 0, &modified, why, whylen) == -1)
		return -1;
	if (modified != 0 && modified < m->created)
		return fail(why, whylen, "\"modified\" is before \"created\"");
	m->modified = modified != 0 ? modified : m->created;
	if ((v = json_object_get(o, "revoked")) != NULL) {
		if (!json_is_boolean(v))
			return fail(why, whylen, "\"revoked\" must be a "
			    "boolean");
		m->revoked = json_is_true(v);
	}
	if ((v = json_object_get(o, "created_by_ref")) != NULL &&
	    !ref_valid(v))
		return fail(why, whylen, "\"created_by_ref\" is not an id");
	if ((v = json_object_get(o, "object_marking_refs")) != NULL) {
		if (!json_is_array(v))
			return fail(why, whylen, "\"object_marking_refs\" must "
			    "be a list");
		for (j = 0; j < json_array_size(v); j++)
			if (!ref_valid(json_array_get(v, j)) ||
			    strncmp(json_string_value(json_array_get(v, j)),
			    "marking-definition--", 20) != 0)
				return fail(why, whylen, "\"object_marking_"
				    "refs\" must hold marking-definition ids");
	}
	for (i = 0; i < sizeof(required_props) / sizeof(required_props[0]); i++) {
		if (strcmp(required_props[i].type, type) != 0)
			continue;
		for (j = 0; required_props[i].props[j] != NULL; j++)
			if (json_object_get(o, required_props[i].props[j]) == NULL)
				return fail(why, whylen, "%s: missing required "
				    "property \"%s\"", type,
				    required_props[i].props[j]);
	}
	if (strcmp(type, "indicator") == 0) {
		if (!json_is_string(json_object_get(o, "pattern")) ||
		    !json_is_string(json_object_get(o, "pattern_type")))
			return fail(why, whylen, "indicator: \"pattern\" and "
			    "\"pattern_type\" must be strings");
		if (time_prop(o, "valid_from", 1, &t, why, whylen) == -1 ||
		    time_prop(o, "valid_until", 0, &m->valid_until, why,
		    whylen) == -1)
			return -1;
		if (m->valid_until != 0 && m->valid_until <= t)
			return fail(why, whylen, "indicator: \"valid_until\" "
			    "must be after \"valid_from\"");
		if (strcmp(json_string_value(json_object_get(o,
		    "pattern_type")), "stix") == 0)
			m->pattern = json_string_value(json_object_get(o,
			    "pattern"));
	}
	if (strcmp(type, "malware") == 0 &&
	    !json_is_boolean(json_object_get(o, "is_family")))
		return fail(why, whylen, "malware: \"is_family\" must be a "
		    "boolean");
	if (strcmp(type, "relationship") == 0 &&
	    (!ref_valid(json_object_get(o, "source_ref")) ||
	    !ref_valid(json_object_get(o, "target_ref"))))
		return fail(why, whylen, "relationship: \"source_ref\" and "
		    "\"target_ref\" must be ids");
	if (strcmp(type, "sighting") == 0) {
		if (!ref_valid(v = json_object_get(o, "sighting_of_ref")))
			return fail(why, whylen, "sighting: \"sighting_of_ref\" "
			    "must be an id");
		m->sighting_of = json_string_value(v);
	}
	if ((strcmp(type, "report") == 0 || strcmp(type, "grouping") == 0 ||
	    strcmp(type, "note") == 0 || strcmp(type, "opinion") == 0) &&
	    (!json_is_array(v = json_object_get(o, "object_refs")) ||
	    json_array_size(v) == 0))
		return fail(why, whylen, "%s: \"object_refs\" must be a "
		    "non-empty list", type);
	if (strcmp(type, "report") == 0 &&
	    time_prop(o, "published", 1, &t, why, whylen) == -1)
		return -1;
	return 0;
}

/* ---- patterns ---- */

const char *
stix_term_kind_name(int kind)
{
	static const char *const names[] = { "?", "ipv4-addr", "ipv6-addr",
	    "domain-name", "url", "MD5", "SHA-1", "SHA-256" };

	if (kind < TERM_IPV4 || kind > TERM_SHA256)
		return "?";
	return names[kind];
}

#define PAT_VALUE_MAX	2048

struct pcur {
	const char	*p, *end;
	char		*why;
	size_t		 whylen;
	stix_term_cb	 cb;
	void		*arg;
};

static void
skip_ws(struct pcur *c)
{
	while (c->p < c->end && isspace((unsigned char)*c->p))
		c->p++;
}

/* Consume the keyword kw (case-sensitive, as STIX requires) if it is next
 * and not followed by an identifier character. */
static int
take_kw(struct pcur *c, const char *kw)
{
	size_t n = strlen(kw);

	skip_ws(c);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, kw, n) != 0)
		return 0;
	if (c->p + n < c->end && (isalnum((unsigned char)c->p[n]) ||
	    c->p[n] == '_'))
		return 0;
	c->p += n;
	return 1;
}

static int
take_ch(struct pcur *c, char ch)
{
	skip_ws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return 1;
	}
	return 0;
}

/* A quoted string literal with \' and \\ escapes into out. */
static int
take_string(struct pcur *c, char *out, size_t outsz, size_t *len)
{
	size_t n = 0;

	skip_ws(c);
	if (c->p >= c->end || *c->p != '\'')
		return fail(c->why, c->whylen, "expected a quoted string");
	c->p++;
	while (c->p < c->end && *c->p != '\'') {
		if (*c->p == '\\') {
			if (c->p + 1 >= c->end || (c->p[1] != '\'' &&
			    c->p[1] != '\\'))
				return fail(c->why, c->whylen, "bad escape in "
				    "a string");
			c->p++;
		}
		if (n + 1 >= outsz)
			return fail(c->why, c->whylen, "value longer than %d "
			    "bytes", PAT_VALUE_MAX);
		out[n++] = *c->p++;
	}
	if (c->p >= c->end)
		return fail(c->why, c->whylen, "unterminated string");
	c->p++;
	out[n] = '\0';
	*len = n;
	return 0;
}

static const struct {
	const char	*path;
	int		 kind;
} term_paths[] = {
	{ "ipv4-addr:value", TERM_IPV4 },
	{ "ipv6-addr:value", TERM_IPV6 },
	{ "domain-name:value", TERM_DOMAIN },
	{ "url:value", TERM_URL },
	{ "network-traffic:dst_ref.value", -2 },
	{ "network-traffic:src_ref.value", -2 },
	{ "file:hashes.MD5", TERM_MD5 },
	{ "file:hashes.'MD5'", TERM_MD5 },
	{ "file:hashes.'SHA-1'", TERM_SHA1 },
	{ "file:hashes.SHA1", TERM_SHA1 },
	{ "file:hashes.'SHA-256'", TERM_SHA256 },
	{ "file:hashes.SHA256", TERM_SHA256 },
};

/* The term kind of the object path s (n bytes), or 0 if not matchable. */
static int
path_kind(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(term_paths) / sizeof(term_paths[0]); i++)
		if (strlen(term_paths[i].path) == n &&
		    memcmp(term_paths[i].path, s, n) == 0)
			return term_paths[i].kind;
	return 0;
}

/* The object path up to the operator: its term kind, or -1 (why set). */
static int
take_path(struct pcur *c)
{
	const char *s;
	size_t n;
	int kind;

	skip_ws(c);
	s = c->p;
	while (c->p < c->end && !isspace((unsigned char)*c->p) &&
	    *c->p != '=' && *c->p != '!' && *c->p != '<' && *c->p != '>')
		c->p++;
	n = (size_t)(c->p - s);
	if ((kind = path_kind(s, n)) != 0)
		return kind;
	return fail(c->why, c->whylen, "object path %.*s is not matchable",
	    (int)(n > 80 ? 80 : n), s);
}

static int
all_hex(const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)v[i]))
			return 0;
	return 1;
}

/* Check and normalise one value of kind (-2: an IP of either family) and
 * hand it to the callback. */
static int
emit(struct pcur *c, int kind, char *v, size_t n, int subset)
{
	static const size_t hexlen[] = { [TERM_MD5] = 32, [TERM_SHA1] = 40,
	    [TERM_SHA256] = 64 };
	uint8_t a[16];
	char addr[64];
	const char *slash;
	uint64_t bits;
	size_t i, alen;

	if (kind == -2)
		kind = strchr(v, ':') != NULL ? TERM_IPV6 : TERM_IPV4;
	if (subset && kind != TERM_IPV4 && kind != TERM_IPV6)
		return fail(c->why, c->whylen, "ISSUBSET on a non-address");
	switch (kind) {
	case TERM_IPV4:
	case TERM_IPV6:
		slash = memchr(v, '/', n);
		alen = slash != NULL ? (size_t)(slash - v) : n;
		if (alen >= sizeof(addr))
			return fail(c->why, c->whylen, "bad address");
		memcpy(addr, v, alen);
		addr[alen] = '\0';
		if (inet_pton(kind == TERM_IPV4 ? AF_INET : AF_INET6, addr,
		    a) != 1)
			return fail(c->why, c->whylen, "bad %s value '%.64s'",
			    stix_term_kind_name(kind), v);
		if (slash != NULL) {
			bits = 0;
			for (i = 1; slash[i] != '\0'; i++) {
				if (!isdigit((unsigned char)slash[i]) || i > 3)
					return fail(c->why, c->whylen, "bad "
					    "prefix length in '%.64s'", v);
				bits = bits * 10 + (uint64_t)(slash[i] - '0');
			}
			if (i == 1 || bits > (kind == TERM_IPV4 ? 32u : 128u))
				return fail(c->why, c->whylen, "bad prefix "
				    "length in '%.64s'", v);
		}
		break;
	case TERM_DOMAIN:
		if (n == 0 || n > 253)
			return fail(c->why, c->whylen, "bad domain name");
		for (i = 0; i < n; i++) {
			v[i] = (char)tolower((unsigned char)v[i]);
			if (!isalnum((unsigned char)v[i]) && v[i] != '.' &&
			    v[i] != '-' && v[i] != '_')
				return fail(c->why, c->whylen, "bad domain "
				    "name '%.64s'", v);
		}
		break;
	case TERM_URL:
		if (n == 0)
			return fail(c->why, c->whylen, "empty url");
		for (i = 0; i < n; i++)
			if ((unsigned char)v[i] <= ' ')
				return fail(c->why, c->whylen, "url with "
				    "white space or control characters");
		break;
	case TERM_MD5:
	case TERM_SHA1:
	case TERM_SHA256:
		if (n != hexlen[kind] || !all_hex(v, n))
			return fail(c->why, c->whylen, "bad %s hash '%.64s'",
			    stix_term_kind_name(kind), v);
		for (i = 0; i < n; i++)
			v[i] = (char)tolower((unsigned char)v[i]);
		break;
	}
	if (c->cb != NULL && c->cb(c->arg, kind, v, n) == -1)
		return fail(c->why, c->whylen, "stopped");
	return 0;
}

/* comparison: path (= | ISSUBSET) 'v' | path IN ('v', ...) */
static int
comparison(struct pcur *c)
{
	char v[PAT_VALUE_MAX];
	size_t n;
	int kind, subset = 0;

	if (take_kw(c, "NOT"))
		return fail(c->why, c->whylen, "NOT is not matchable");
	if ((kind = take_path(c)) == -1)
		return -1;
	skip_ws(c);
	if (take_ch(c, '=')) {
		if (c->p < c->end && *c->p == '=')
			return fail(c->why, c->whylen, "bad operator ==");
	} else if (take_kw(c, "ISSUBSET"))
		subset = 1;
	else if (take_kw(c, "IN")) {
		if (!take_ch(c, '('))
			return fail(c->why, c->whylen, "IN needs a list");
		do {
			if (take_string(c, v, sizeof(v), &n) == -1 ||
			    emit(c, kind, v, n, 0) == -1)
				return -1;
		} while (take_ch(c, ','));
		if (!take_ch(c, ')'))
			return fail(c->why, c->whylen, "unterminated IN list");
		return 0;
	} else
		return fail(c->why, c->whylen, "operator not matchable (only "
		    "=, IN and ISSUBSET)");
	if (take_string(c, v, sizeof(v), &n) == -1)
		return -1;
	return emit(c, kind, v, n, subset);
}

/* observation: [ comparison (OR comparison)* ] with nesting of ( ) */
static int observation(struct pcur *c, int depth);

static int
comparisons(struct pcur *c, int depth)
{
	for (;;) {
		if (take_ch(c, '(')) {
			if (depth > 32)
				return fail(c->why, c->whylen, "nested too "
				    "deeply");
			if (comparisons(c, depth + 1) == -1)
				return -1;
			if (!take_ch(c, ')'))
				return fail(c->why, c->whylen, "missing ')'");
		} else if (comparison(c) == -1)
			return -1;
		if (take_kw(c, "AND"))
			return fail(c->why, c->whylen, "AND is not matchable");
		if (!take_kw(c, "OR"))
			return 0;
	}
}

static int
observation(struct pcur *c, int depth)
{
	if (depth > 32)
		return fail(c->why, c->whylen, "nested too deeply");
	if (take_ch(c, '(')) {
		if (observation(c, depth + 1) == -1)
			return -1;
		while (take_kw(c, "OR"))
			if (observation(c, depth + 1) == -1)
				return -1;
		if (!take_ch(c, ')'))
			return fail(c->why, c->whylen, "missing ')'");
		return 0;
	}
	if (!take_ch(c, '['))
		return fail(c->why, c->whylen, "expected '['");
	if (comparisons(c, depth) == -1)
		return -1;
	if (!take_ch(c, ']'))
		return fail(c->why, c->whylen, "expected ']'");
	return 0;
}

/*
 * The common form "[PATH = 'VALUE']", one comparison with a value free of
 * quotes and backslashes, taken without the general parser (the same
 * checks, through emit()): 1 if taken, 0 if the pattern is not of that
 * form, -1 if its value is refused (why set).
 */
static int
pattern_plain(struct pcur *c)
{
	char v[PAT_VALUE_MAX];
	const char *p = c->p, *end = c->end, *sp, *val;
	size_t n;
	int kind;

	if (end - p < 8 || p[0] != '[' || end[-1] != ']' || end[-2] != '\'')
		return 0;
	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL ||
	    end - sp < 6 || memcmp(sp, " = '", 4) != 0)
		return 0;
	if ((kind = path_kind(p + 1, (size_t)(sp - p - 1))) == 0)
		return 0;
	val = sp + 4;
	n = (size_t)(end - 2 - val);
	if (n + 1 >= sizeof(v) || memchr(val, '\'', n) != NULL ||
	    memchr(val, '\\', n) != NULL || memchr(val, '\0', n) != NULL)
		return 0;
	memcpy(v, val, n);
	v[n] = '\0';
	return emit(c, kind, v, n, 0) == -1 ? -1 : 1;
}

int
stix_pattern_terms(const char *pattern, stix_term_cb cb, void *arg,
    char *why, size_t whylen)
{
	return stix_pattern_terms_len(pattern, strlen(pattern), cb, arg, why,
	    whylen);
}

int
stix_pattern_terms_len(const char *pattern, size_t len, stix_term_cb cb,
    void *arg, char *why, size_t whylen)
{
	struct pcur c = { pattern, pattern + len, why, whylen, cb, arg };
	int rc;

	if ((rc = pattern_plain(&c)) != 0)
		return rc == 1 ? 0 : -1;
	do {
		if (observation(&c, 0) == -1)
			return -1;
		if (take_kw(&c, "AND") || take_kw(&c, "FOLLOWEDBY"))
			return fail(why, whylen, "AND and FOLLOWEDBY between "
			    "observations are not matchable");
		if (take_kw(&c, "WITHIN") || take_kw(&c, "REPEATS") ||
		    take_kw(&c, "START"))
			return fail(why, whylen, "qualifiers are not "
			    "matchable");
	} while (take_kw(&c, "OR"));
	skip_ws(&c);
	if (c.p != c.end)
		return fail(why, whylen, "unexpected text at offset %zu",
		    (size_t)(c.p - pattern));
	return 0;
}
