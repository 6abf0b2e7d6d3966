/*
 * stix.h: STIX 2.1 objects as the CERT channel takes them in: validation
 * of the common and type-specific required properties, the facts the store
 * and the TAXII server index (id, type, versions, revocation, validity),
 * and the subset of the STIX patterning language that retro-hunt can match.
 */
#ifndef HOTLINE_STIX_H
#define HOTLINE_STIX_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define STIX_ID_MAX	300	/* type (<= 250) + "--" + 36 */
#define STIX_TYPE_MAX	250

/* What validation extracts from an object. Times are UTC microseconds
 * since 1970 (STIX timestamps may carry more precision; versions are
 * compared at microsecond precision). */
struct stix_meta {
	char		 type[STIX_TYPE_MAX + 1];
	char		 id[STIX_ID_MAX + 1];
	char		 spec_version[8];	/* "2.1", or "" for an SCO without it */
	int64_t		 created;		/* 0 if none (SCO) */
	int64_t		 modified;		/* version: modified, else created, else 0 */
	int		 revoked;
	int64_t		 valid_until;		/* indicators; 0 if none */
	const char	*pattern;		/* indicators with pattern_type stix; points into the object */
	const char	*sighting_of;		/* sightings; points into the object */
};

/*
 * Validate one STIX 2.1 object: id form (type--UUID), type name, spec_version
 * 2.1 (optional only on cyber-observable objects), created/modified
 * timestamps with modified >= created, revoked a boolean, and the
 * properties each known type requires. Unknown types are accepted if the
 * common properties hold. Returns 0 with *m filled (pointers into o), or -1
 * with the reason in why.
 */
int	stix_validate(json_t *o, struct stix_meta *m, char *why, size_t whylen);

/* Parse a STIX timestamp ("2016-05-12T08:17:27.000Z", any fraction) into
 * microseconds. 0 or -1. */
int	stix_time_parse(const char *s, int64_t *us);
/* Format microseconds as "YYYY-MM-DDTHH:MM:SS.ssssssZ" (or with
 * milliseconds when the microseconds are a whole millisecond); out holds
 * 40 bytes. */
void	stix_time_format(int64_t us, char out[40]);
/* A fresh random id "type--uuid4" in out (STIX_ID_MAX + 1). 0 or -1. */
int	stix_id_new(const char *type, char *out, size_t outsz);

/* The values retro-hunt matches. */
enum stix_term_kind {
	TERM_IPV4 = 1,	/* "a.b.c.d" or "a.b.c.d/n" */
	TERM_IPV6,	/* any inet_pton form, optionally "/n" */
	TERM_DOMAIN,	/* lowercase */
	TERM_URL,	/* as given */
	TERM_MD5,	/* lowercase hex */
	TERM_SHA1,
	TERM_SHA256,
};
const char *stix_term_kind_name(int kind);

/* Called for each value of a matchable pattern; returns 0, or -1 to stop. */
typedef int (*stix_term_cb)(void *arg, int kind, const char *value,
    size_t len);
/*
 * Parse a STIX pattern and hand every value it compares to cb. Matchable
 * means: observation expressions joined by OR, each a comparison or an OR
 * of comparisons, each `path = 'v'`, `path IN ('v', ...)` or, for
 * addresses, `path ISSUBSET 'cidr'`, on ipv4-addr:value, ipv6-addr:value,
 * domain-name:value, url:value, network-traffic:(src|dst)_ref.value, and
 * file:hashes.(MD5|'SHA-1'|'SHA-256'). Returns 0, or -1 with why naming
 * what is not matchable (AND, NOT, qualifiers, other operators or paths, a
 * malformed pattern or value); cb may have been called for some values
 * before a -1.
 */
int	stix_pattern_terms(const char *pattern, stix_term_cb cb, void *arg,
	    char *why, size_t whylen);
/* The same for a pattern of len bytes, not NUL-terminated. */
int	stix_pattern_terms_len(const char *pattern, size_t len,
	    stix_term_cb cb, void *arg, char *why, size_t whylen);

#endif
