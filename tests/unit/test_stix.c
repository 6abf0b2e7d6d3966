/*
 * test_stix.c: unit tests for src/stix.c: timestamps, validation of the
 * common and type-specific properties (each refusal with its reason), and
 * the matchable subset of STIX patterns (values, normalisation, and every
 * construct reported as unmatchable).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "stix.h"

#define UUID "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"

static void
test_time(void **state)
{
	int64_t us;
	char out[40];

	(void)state;
	assert_int_equal(stix_time_parse("1970-01-01T00:00:00Z", &us), 0);
	assert_int_equal(us, 0);
	assert_int_equal(stix_time_parse("2016-05-12T08:17:27.000Z", &us), 0);
	assert_int_equal(us, 1463041047000000LL);
	stix_time_format(us, out);
	assert_string_equal(out, "2016-05-12T08:17:27.000Z");
	assert_int_equal(stix_time_parse("2016-05-12T08:17:27.123456789Z", &us),
	    0);
	assert_int_equal(us % 1000000, 123456);
	stix_time_format(us, out);
	assert_string_equal(out, "2016-05-12T08:17:27.123456Z");
	assert_int_equal(stix_time_parse("2024-02-29T00:00:00Z", &us), 0);
	assert_int_equal(stix_time_parse("2023-02-29T00:00:00Z", &us), -1);
	assert_int_equal(stix_time_parse("2016-05-12T08:17:27", &us), -1);
	assert_int_equal(stix_time_parse("2016-05-12 08:17:27Z", &us), -1);
	assert_int_equal(stix_time_parse("2016-13-12T08:17:27Z", &us), -1);
	assert_int_equal(stix_time_parse("2016-05-12T08:17:27.Z", &us), -1);
	assert_int_equal(stix_time_parse("2016-05-12T08:17:27Zx", &us), -1);
	assert_int_equal(stix_time_parse("", &us), -1);
}

static int
validate(const char *json, struct stix_meta *m, char *why, size_t whylen)
{
	json_t *o = json_loads(json, 0, NULL);
	int rc;

	assert_non_null(o);
	rc = stix_validate(o, m, why, whylen);
	json_decref(o);
	return rc;
}

#define IND(extra) "{\"type\":\"indicator\",\"spec_version\":\"2.1\"," \
	"\"id\":\"indicator--" UUID "\",\"created\":" \
	"\"2016-04-06T20:03:48.000Z\",\"modified\":\"2016-04-06T20:03:48.000Z\"," \
	"\"pattern\":\"[ipv4-addr:value = '1.2.3.4']\",\"pattern_type\":" \
	"\"stix\",\"valid_from\":\"2016-01-01T00:00:00Z\"" extra "}"

static void
test_validate(void **state)
{
	struct stix_meta m;
	char why[256];

	(void)state;
	assert_int_equal(validate(IND(""), &m, why, sizeof(why)), 0);
	assert_string_equal(m.type, "indicator");
	assert_string_equal(m.id, "indicator--" UUID);
	assert_non_null(m.pattern);
	assert_int_equal(m.revoked, 0);
	assert_int_equal(validate(IND(",\"revoked\":true"), &m, why,
	    sizeof(why)), 0);
	assert_int_equal(m.revoked, 1);
	assert_int_equal(validate(IND(",\"revoked\":1"), &m, why, sizeof(why)),
	    -1);
	assert_int_equal(validate(IND(",\"valid_until\":"
	    "\"2015-01-01T00:00:00Z\""), &m, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "valid_until"));
	assert_int_equal(validate(IND(",\"object_marking_refs\":[\"identity--"
	    UUID "\"]"), &m, why, sizeof(why)), -1);
	/* missing pattern */
	assert_int_equal(validate("{\"type\":\"indicator\",\"spec_version\":"
	    "\"2.1\",\"id\":\"indicator--" UUID "\",\"created\":"
	    "\"2016-04-06T20:03:48.000Z\",\"modified\":"
	    "\"2016-04-06T20:03:48.000Z\",\"pattern_type\":\"stix\","
	    "\"valid_from\":\"2016-01-01T00:00:00Z\"}", &m, why, sizeof(why)),
	    -1);
	assert_non_null(strstr(why, "pattern"));
	/* id of another type, bad uuid, spec_version */
	assert_int_equal(validate("{\"type\":\"malware\",\"id\":\"indicator--"
	    UUID "\"}", &m, why, sizeof(why)), -1);
	assert_int_equal(validate("{\"type\":\"malware\",\"id\":\"malware--"
	    "xyz\"}", &m, why, sizeof(why)), -1);
	assert_int_equal(validate("{\"type\":\"malware\",\"id\":\"malware--"
	    UUID "\",\"spec_version\":\"2.0\",\"created\":"
	    "\"2016-04-06T20:03:48.000Z\",\"modified\":"
	    "\"2016-04-06T20:03:48.000Z\",\"is_family\":false}", &m, why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "spec_version"));
	/* malware needs is_family as a boolean */
	assert_int_equal(validate("{\"type\":\"malware\",\"id\":\"malware--"
	    UUID "\",\"spec_version\":\"2.1\",\"created\":"
	    "\"2016-04-06T20:03:48.000Z\",\"modified\":"
	    "\"2016-04-06T20:03:48.000Z\",\"is_family\":false}", &m, why,
	    sizeof(why)), 0);
	assert_int_equal(validate("{\"type\":\"malware\",\"id\":\"malware--"
	    UUID "\",\"spec_version\":\"2.1\",\"created\":"
	    "\"2016-04-06T20:03:48.000Z\",\"modified\":"
	    "\"2016-04-06T20:03:48.000Z\",\"is_family\":\"no\"}", &m, why,
	    sizeof(why)), -1);
	/* modified before created */
	assert_int_equal(validate("{\"type\":\"malware\",\"id\":\"malware--"
	    UUID "\",\"spec_version\":\"2.1\",\"created\":"
	    "\"2016-04-06T20:03:48.000Z\",\"modified\":"
	    "\"2016-04-06T20:03:47.000Z\",\"is_family\":false}", &m, why,
	    sizeof(why)), -1);
	/* an SCO without spec_version or timestamps is fine */
	assert_int_equal(validate("{\"type\":\"ipv4-addr\",\"id\":"
	    "\"ipv4-addr--" UUID "\",\"value\":\"1.2.3.4\"}", &m, why,
	    sizeof(why)), 0);
	assert_int_equal(m.modified, 0);
	/* marking-definition: created, no modified */
	assert_int_equal(validate("{\"type\":\"marking-definition\","
	    "\"spec_version\":\"2.1\",\"id\":\"marking-definition--" UUID "\","
	    "\"created\":\"2017-01-20T00:00:00.000Z\",\"definition_type\":"
	    "\"statement\",\"definition\":{\"statement\":\"x\"}}", &m, why,
	    sizeof(why)), 0);
	/* unknown types pass with the common properties */
	assert_int_equal(validate("{\"type\":\"x-acme-thing\",\"spec_version\":"
	    "\"2.1\",\"id\":\"x-acme-thing--" UUID "\",\"created\":"
	    "\"2017-01-20T00:00:00.000Z\",\"modified\":"
	    "\"2017-01-20T00:00:00.000Z\"}", &m, why, sizeof(why)), 0);
	/* relationships and sightings need refs */
	assert_int_equal(validate("{\"type\":\"sighting\",\"spec_version\":"
	    "\"2.1\",\"id\":\"sighting--" UUID "\",\"created\":"
	    "\"2017-01-20T00:00:00.000Z\",\"modified\":"
	    "\"2017-01-20T00:00:00.000Z\",\"sighting_of_ref\":\"nope\"}", &m,
	    why, sizeof(why)), -1);
	assert_int_equal(validate("[]", &m, why, sizeof(why)), -1);
	assert_int_equal(validate("{\"type\":\"bundle\",\"id\":\"bundle--" UUID
	    "\"}", &m, why, sizeof(why)), -1);
	assert_int_equal(validate("{\"type\":\"A--b\",\"id\":\"A--b--" UUID
	    "\"}", &m, why, sizeof(why)), -1);
}

struct terms {
	char	 buf[1024];
	int	 n;
};

static int
term_cb(void *arg, int kind, const char *v, size_t len)
{
	struct terms *t = arg;
	size_t used = strlen(t->buf);

	snprintf(t->buf + used, sizeof(t->buf) - used, "%s%s=%.*s",
	    t->n ? " " : "", stix_term_kind_name(kind), (int)len, v);
	t->n++;
	return 0;
}

static const char *
terms(const char *pattern, struct terms *t, char *why, size_t whylen)
{
	memset(t, 0, sizeof(*t));
	if (stix_pattern_terms(pattern, term_cb, t, why, whylen) == -1)
		return NULL;
	return t->buf;
}

static void
test_patterns(void **state)
{
	struct terms t;
	char why[256];

	(void)state;
	assert_string_equal(terms("[ipv4-addr:value = '198.51.100.1']", &t,
	    why, sizeof(why)), "ipv4-addr=198.51.100.1");
	assert_string_equal(terms("[ipv4-addr:value = '198.51.100.0/24']", &t,
	    why, sizeof(why)), "ipv4-addr=198.51.100.0/24");
	assert_string_equal(terms("[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
	    &t, why, sizeof(why)), "ipv4-addr=10.0.0.0/8");
	assert_string_equal(terms("[domain-name:value = 'EVIL.Example'] OR "
	    "[url:value = 'http://a.b/c']", &t, why, sizeof(why)),
	    "domain-name=evil.example url=http://a.b/c");
	assert_string_equal(terms("[file:hashes.'SHA-256' = "
	    "'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'"
	    " OR file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']", &t,
	    why, sizeof(why)), "SHA-256=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa MD5=d41d8cd98f00b204e9800998ecf8427e");
	assert_string_equal(terms("[ipv4-addr:value IN ('1.2.3.4', "
	    "'5.6.7.8')]", &t, why, sizeof(why)),
	    "ipv4-addr=1.2.3.4 ipv4-addr=5.6.7.8");
	assert_string_equal(terms("([ipv6-addr:value = '2001:db8::1'] OR "
	    "[network-traffic:dst_ref.value = '9.9.9.9'])", &t, why,
	    sizeof(why)), "ipv6-addr=2001:db8::1 ipv4-addr=9.9.9.9");
	assert_string_equal(terms("[file:hashes.'SHA-1' = "
	    "'da39a3ee5e6b4b0d3255bfef95601890afd80709']", &t, why,
	    sizeof(why)), "SHA-1=da39a3ee5e6b4b0d3255bfef95601890afd80709");
	assert_string_equal(terms("[url:value = 'http://x/it\\'s']", &t, why,
	    sizeof(why)), "url=http://x/it's");

	/* not matchable, each with a reason */
	assert_null(terms("[ipv4-addr:value = '1.2.3.4' AND "
	    "domain-name:value = 'a.b']", &t, why, sizeof(why)));
	assert_non_null(strstr(why, "AND"));
	assert_null(terms("[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value"
	    " = 'a.b']", &t, why, sizeof(why)));
	assert_null(terms("[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY "
	    "[ipv4-addr:value = '1.2.3.5']", &t, why, sizeof(why)));
	assert_null(terms("[ipv4-addr:value = '1.2.3.4'] WITHIN 5 SECONDS",
	    &t, why, sizeof(why)));
	assert_non_null(strstr(why, "qualifier"));
	assert_null(terms("[NOT ipv4-addr:value = '1.2.3.4']", &t, why,
	    sizeof(why)));
	assert_null(terms("[ipv4-addr:value != '1.2.3.4']", &t, why,
	    sizeof(why)));
	assert_null(terms("[domain-name:value LIKE '%.ru']", &t, why,
	    sizeof(why)));
	assert_null(terms("[process:name = 'evil.exe']", &t, why, sizeof(why)));
	assert_non_null(strstr(why, "process:name"));
	assert_null(terms("[ipv4-addr:value = '1.2.3.999']", &t, why,
	    sizeof(why)));
	assert_null(terms("[ipv4-addr:value = '1.2.3.4/33']", &t, why,
	    sizeof(why)));
	assert_null(terms("[file:hashes.MD5 = 'xyz']", &t, why, sizeof(why)));
	assert_null(terms("[domain-name:value ISSUBSET 'a.b']", &t, why,
	    sizeof(why)));
	assert_null(terms("[ipv4-addr:value = '1.2.3.4'", &t, why,
	    sizeof(why)));
	assert_null(terms("[ipv4-addr:value = '1.2.3.4] ", &t, why,
	    sizeof(why)));
	assert_null(terms("[ipv4-addr:value = '1.2.3.4'] junk", &t, why,
	    sizeof(why)));
	assert_null(terms("", &t, why, sizeof(why)));
	assert_null(terms("((((((((((((((((((((((((((((((((((((((((((", &t,
	    why, sizeof(why)));
}

/* The plain form "[PATH = 'VALUE']" (taken without the general parser)
 * gives the same values, and the same refusals, as the same comparison
 * written so that only the general parser takes it. */
static void
test_patterns_plain(void **state)
{
	static const char *const cases[][2] = {
		{ "ipv4-addr:value", "198.51.100.1" },
		{ "ipv4-addr:value", "198.51.100.0/24" },
		{ "ipv4-addr:value", "198.51.100.0/33" },
		{ "ipv4-addr:value", "1.2.3" },
		{ "ipv6-addr:value", "2001:DB8::1" },
		{ "domain-name:value", "EVIL.Example" },
		{ "domain-name:value", "bad domain" },
		{ "domain-name:value", "" },
		{ "url:value", "http://a.b/c?d=1" },
		{ "url:value", "http://a b" },
		{ "file:hashes.'SHA-256'", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
		{ "file:hashes.MD5", "d41d8cd98f00b204e9800998ecf8427" },
		{ "file:hashes.'SHA-1'", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709" },
		{ "network-traffic:dst_ref.value", "9.9.9.9" },
		{ "process:name", "evil.exe" },
	};
	struct terms t1, t2;
	char p1[256], p2[256], w1[256], w2[256];
	const char *r1, *r2;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(p1, sizeof(p1), "[%s = '%s']", cases[i][0],
		    cases[i][1]);
		/* spaces the plain form does not take */
		snprintf(p2, sizeof(p2), "[ %s  =  '%s' ]", cases[i][0],
		    cases[i][1]);
		w1[0] = w2[0] = '\0';
		r1 = terms(p1, &t1, w1, sizeof(w1));
		r2 = terms(p2, &t2, w2, sizeof(w2));
		if (r1 == NULL || r2 == NULL) {
			assert_null(r1);
			assert_null(r2);
			assert_string_equal(w1, w2);
		} else
			assert_string_equal(r1, r2);
	}
	/* not NUL-terminated: only len bytes count */
	memset(&t1, 0, sizeof(t1));
	assert_int_equal(stix_pattern_terms_len("[ipv4-addr:value = "
	    "'1.2.3.4']XYZ", 29, term_cb, &t1, w1, sizeof(w1)), 0);
	assert_string_equal(t1.buf, "ipv4-addr=1.2.3.4");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_patterns_plain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
