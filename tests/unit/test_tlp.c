/*
 * test_tlp.c: unit tests for src/tlp.c: the level of an object from its
 * markings (TLP 2.0 and 1.0 ids, granular markings, most restrictive wins,
 * other markings ignored), every marking against every peer rule (tlp_share
 * sets, same_organisation, tlp_unmarked), the rule text, and the parsing of
 * the configuration keys (also through config_load_string).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "config.h"
#include "tlp.h"

#define CLEAR	"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define GREEN	"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define AMBER	"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define STRICT	"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
#define RED	"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
#define RED1	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
#define WHITE1	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
#define OTHER	"marking-definition--00000000-0000-4000-8000-000000000000"

static int
level_of(const char *json)
{
	json_t *o = json_loads(json, 0, NULL);
	int l;

	assert_non_null(o);
	l = tlp_of_object(o);
	json_decref(o);
	return l;
}

static void
test_levels(void **state)
{
	(void)state;
	assert_int_equal(level_of("{}"), TLP_NONE);
	assert_int_equal(level_of("{\"object_marking_refs\":[\"" CLEAR "\"]}"),
	    TLP_CLEAR);
	assert_int_equal(level_of("{\"object_marking_refs\":[\"" WHITE1
	    "\"]}"), TLP_CLEAR);
	assert_int_equal(level_of("{\"object_marking_refs\":[\"" GREEN "\"]}"),
	    TLP_GREEN);
	assert_int_equal(level_of("{\"object_marking_refs\":[\"" AMBER "\"]}"),
	    TLP_AMBER);
	assert_int_equal(level_of("{\"object_marking_refs\":[\"" STRICT
	    "\"]}"), TLP_AMBER_STRICT);
	assert_int_equal(level_of("{\"object_marking_refs\":[\"" RED "\"]}"),
	    TLP_RED);
	assert_int_equal(level_of("{\"object_marking_refs\":[\"" RED1 "\"]}"),
	    TLP_RED);
	/* most restrictive wins; non-TLP markings are ignored */
	assert_int_equal(level_of("{\"object_marking_refs\":[\"" GREEN "\",\""
	    RED "\",\"" CLEAR "\"]}"), TLP_RED);
	assert_int_equal(level_of("{\"object_marking_refs\":[\"" OTHER "\"]}"),
	    TLP_NONE);
	assert_int_equal(level_of("{\"object_marking_refs\":[\"" GREEN
	    "\"],\"granular_markings\":[{\"marking_ref\":\"" STRICT
	    "\",\"selectors\":[\"description\"]}]}"), TLP_AMBER_STRICT);
	/* a TLP marking-definition itself travels as CLEAR */
	assert_int_equal(level_of("{\"id\":\"" RED "\"}"), TLP_CLEAR);
	/* junk is not a marking */
	assert_int_equal(level_of("{\"object_marking_refs\":[1,null]}"),
	    TLP_NONE);
	assert_int_equal(level_of("{\"object_marking_refs\":\"" RED "\"}"),
	    TLP_NONE);
}

static struct peer_conf
peer(unsigned share, int same_org, int unmarked)
{
	struct peer_conf pc;

	memset(&pc, 0, sizeof(pc));
	snprintf(pc.party, sizeof(pc.party), "ru");
	pc.tlp_share = share;
	pc.same_org = same_org;
	pc.tlp_unmarked = unmarked;
	return pc;
}

/* Every marking against every share set and both organisation settings. */
static void
test_matrix(void **state)
{
	char rule[256];
	unsigned share;
	int l, org, ok, want;

	(void)state;
	for (share = 0; share < 16; share += 2)	/* subsets of {C,G,A} */
		for (org = 0; org <= 1; org++)
			for (l = TLP_CLEAR; l <= TLP_RED; l++) {
				struct peer_conf pc = peer(share, org,
				    TLP_AMBER);

				ok = tlp_may_share(&pc, l, rule, sizeof(rule));
				if (l == TLP_RED)
					want = 0;
				else if (l == TLP_AMBER_STRICT)
					want = org;
				else
					want = (share >> l) & 1;
				assert_int_equal(ok, want);
				assert_true(strlen(rule) > 10);
			}
}

static void
test_rules_text(void **state)
{
	struct peer_conf pc = peer(TLP_SHARE_DEFAULT, 0, TLP_AMBER);
	char rule[256];

	(void)state;
	assert_int_equal(tlp_may_share(&pc, TLP_RED, rule, sizeof(rule)), 0);
	assert_non_null(strstr(rule, "TLP:RED never leaves"));
	/* RED never leaves even for the same organisation */
	pc.same_org = 1;
	pc.tlp_share = (1u << TLP_CLEAR) | (1u << TLP_GREEN) | (1u << TLP_AMBER);
	assert_int_equal(tlp_may_share(&pc, TLP_RED, rule, sizeof(rule)), 0);
	assert_int_equal(tlp_may_share(&pc, TLP_AMBER_STRICT, rule,
	    sizeof(rule)), 1);
	assert_non_null(strstr(rule, "same_organisation = yes"));
	pc.same_org = 0;
	assert_int_equal(tlp_may_share(&pc, TLP_AMBER_STRICT, rule,
	    sizeof(rule)), 0);
	assert_non_null(strstr(rule, "same organisation"));
	pc.tlp_share = TLP_SHARE_DEFAULT;
	assert_int_equal(tlp_may_share(&pc, TLP_AMBER, rule, sizeof(rule)), 0);
	assert_non_null(strstr(rule, "tlp_share = clear green"));
	assert_int_equal(tlp_may_share(&pc, TLP_GREEN, rule, sizeof(rule)), 1);
}

/* Unmarked objects follow tlp_unmarked, including the fixed rules. */
static void
test_unmarked(void **state)
{
	struct peer_conf pc = peer(TLP_SHARE_DEFAULT, 0, TLP_AMBER);
	char rule[256];

	(void)state;
	assert_int_equal(tlp_may_share(&pc, TLP_NONE, rule, sizeof(rule)), 0);
	assert_non_null(strstr(rule, "unmarked"));
	pc.tlp_unmarked = TLP_GREEN;
	assert_int_equal(tlp_may_share(&pc, TLP_NONE, rule, sizeof(rule)), 1);
	pc.tlp_unmarked = TLP_CLEAR;
	assert_int_equal(tlp_may_share(&pc, TLP_NONE, rule, sizeof(rule)), 1);
	pc.tlp_unmarked = TLP_RED;
	pc.tlp_share = 0xe;
	assert_int_equal(tlp_may_share(&pc, TLP_NONE, rule, sizeof(rule)), 0);
	assert_non_null(strstr(rule, "never leaves"));
	pc.tlp_unmarked = TLP_AMBER_STRICT;
	assert_int_equal(tlp_may_share(&pc, TLP_NONE, rule, sizeof(rule)), 0);
	pc.same_org = 1;
	assert_int_equal(tlp_may_share(&pc, TLP_NONE, rule, sizeof(rule)), 1);
}

static void
test_parse(void **state)
{
	unsigned s;
	char out[64];

	(void)state;
	assert_int_equal(tlp_parse_share("clear, green amber", &s), 0);
	assert_int_equal(s, (1u << TLP_CLEAR) | (1u << TLP_GREEN) |
	    (1u << TLP_AMBER));
	tlp_format_share(s, out, sizeof(out));
	assert_string_equal(out, "clear green amber");
	assert_int_equal(tlp_parse_share("none", &s), 0);
	assert_int_equal(s, 0);
	tlp_format_share(s, out, sizeof(out));
	assert_string_equal(out, "none");
	assert_int_equal(tlp_parse_share("TLP:WHITE", &s), 0);
	assert_int_equal(s, 1u << TLP_CLEAR);
	assert_int_equal(tlp_parse_share("red", &s), -1);
	assert_int_equal(tlp_parse_share("amber+strict", &s), -1);
	assert_int_equal(tlp_parse_share("purple", &s), -1);
	assert_int_equal(tlp_parse_share("greenish-long-word-here", &s), -1);
	assert_int_equal(tlp_from_word("AMBER+STRICT"), TLP_AMBER_STRICT);
	assert_int_equal(tlp_from_word("tlp:red"), TLP_RED);
	assert_int_equal(tlp_from_word("x"), -1);
}

static void
test_config(void **state)
{
	struct config cf;
	char err[256];
	const char *base = "[node]\nparty = us\ndata_dir = /tmp\n"
	    "[peer ru]\nfingerprint = "
	    "0000000000000000000000000000000000000000000000000000000000000001\n";
	char text[1024];

	(void)state;
	assert_int_equal(config_load_string(base, "t", &cf, err, sizeof(err)),
	    0);
	assert_int_equal(cf.peers[0].tlp_share, TLP_SHARE_DEFAULT);
	assert_int_equal(cf.peers[0].tlp_unmarked, TLP_AMBER);
	assert_int_equal(cf.peers[0].same_org, 0);
	assert_int_equal(cf.peers[0].send_sightings, 0);
	snprintf(text, sizeof(text), "%stlp_share = clear green amber\n"
	    "tlp_unmarked = green\nsame_organisation = yes\n"
	    "send_sightings = yes\n", base);
	assert_int_equal(config_load_string(text, "t", &cf, err, sizeof(err)),
	    0);
	assert_int_equal(cf.peers[0].tlp_share, 0xe);
	assert_int_equal(cf.peers[0].tlp_unmarked, TLP_GREEN);
	assert_int_equal(cf.peers[0].same_org, 1);
	assert_int_equal(cf.peers[0].send_sightings, 1);
	snprintf(text, sizeof(text), "%stlp_share = red\n", base);
	assert_int_equal(config_load_string(text, "t", &cf, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "tlp_share"));
	snprintf(text, sizeof(text), "%ssame_organisation = maybe\n", base);
	assert_int_equal(config_load_string(text, "t", &cf, err, sizeof(err)),
	    -1);
	snprintf(text, sizeof(text), "%stlp_unmarked = blue\n", base);
	assert_int_equal(config_load_string(text, "t", &cf, err, sizeof(err)),
	    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_rules_text),
		cmocka_unit_test(test_unmarked),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
