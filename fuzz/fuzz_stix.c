/*
 * fuzz_stix.c: STIX objects and patterns (stix_validate and
 * stix_pattern_terms in src/stix.c), as received from TAXII clients and
 * peers. The input is parsed as JSON and validated; the whole input is also
 * parsed as a pattern. Properties:
 *  - a valid object's id starts with its type and "--"; its version is not
 *    before its creation; timestamps format and parse back to themselves;
 *  - every value a pattern yields is non-empty and normalised: hashes
 *    lowercase hex of their length, domains lowercase;
 *  - a refusal always has a reason.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "stix.h"

static int
term_cb(void *arg, int kind, const char *v, size_t len)
{
	size_t i;

	(void)arg;
	FUZZ_CHECK(len > 0 && strlen(v) == len);
	if (kind == TERM_MD5 || kind == TERM_SHA1 || kind == TERM_SHA256) {
		FUZZ_CHECK(len == (kind == TERM_MD5 ? 32u : kind == TERM_SHA1 ?
		    40u : 64u));
		for (i = 0; i < len; i++)
			FUZZ_CHECK(isxdigit((unsigned char)v[i]) &&
			    !isupper((unsigned char)v[i]));
	}
	if (kind == TERM_DOMAIN)
		for (i = 0; i < len; i++)
			FUZZ_CHECK(!isupper((unsigned char)v[i]));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stix_meta m;
	char why[256], ts[40], *s;
	int64_t t;
	json_t *o;

	o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (o != NULL) {
		why[0] = '\0';
		if (stix_validate(o, &m, why, sizeof(why)) == 0) {
			FUZZ_CHECK(strncmp(m.id, m.type, strlen(m.type)) == 0);
			FUZZ_CHECK(strncmp(m.id + strlen(m.type), "--", 2) ==
			    0);
			FUZZ_CHECK(m.modified == 0 || m.modified >= m.created);
			if (m.modified > 0) {
				stix_time_format(m.modified, ts);
				FUZZ_CHECK(stix_time_parse(ts, &t) == 0 &&
				    t == m.modified);
			}
			if (m.pattern != NULL)
				(void)stix_pattern_terms(m.pattern, term_cb,
				    NULL, why, sizeof(why));
		} else
			FUZZ_CHECK(why[0] != '\0');
		json_decref(o);
	}
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	why[0] = '\0';
	if (stix_pattern_terms(s, term_cb, NULL, why, sizeof(why)) == -1)
		FUZZ_CHECK(why[0] != '\0');
	(void)stix_time_parse(s, &t);
	free(s);
	return 0;
}
