/*
 * test_taxii.c: unit tests for the request parsing of src/taxii.c: the
 * TAXII filters (match[id|type|version|spec_version], added_after, limit,
 * percent-encoded keys), their errors, and next tokens bound to their
 * filters and collection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "taxii.h"

static void
test_filters(void **state)
{
	struct taxii_query *q = malloc(sizeof(*q));
	char why[256];

	(void)state;
	assert_int_equal(taxii_query_parse("", "local", q, why, sizeof(why)),
	    0);
	assert_int_equal(q->v_last, 1);
	assert_int_equal(q->limit, TAXII_PAGE_DEFAULT);
	assert_int_equal(taxii_query_parse("match[type]=indicator,sighting&"
	    "match%5Bid%5D=indicator--a&match[version]=first,"
	    "2016-01-01T01:01:01.000Z&match[spec_version]=2.1&"
	    "added_after=2016-02-01T00:00:01.000Z&limit=50", "local", q, why,
	    sizeof(why)), 0);
	assert_int_equal(q->ntypes, 2);
	assert_string_equal(q->types[1], "sighting");
	assert_int_equal(q->nids, 1);
	assert_string_equal(q->ids[0], "indicator--a");
	assert_int_equal(q->v_first, 1);
	assert_int_equal(q->v_last, 0);
	assert_int_equal(q->nversions, 1);
	assert_int_equal(q->nspec, 1);
	assert_true(q->added_after > 0);
	assert_int_equal(q->limit, 50);
	assert_int_equal(taxii_query_parse("limit=999999", "local", q, why,
	    sizeof(why)), 0);
	assert_int_equal(q->limit, TAXII_PAGE_MAX);
	assert_int_equal(taxii_query_parse("limit=0", "local", q, why,
	    sizeof(why)), -1);
	assert_int_equal(taxii_query_parse("limit=x", "local", q, why,
	    sizeof(why)), -1);
	assert_int_equal(taxii_query_parse("added_after=yesterday", "local", q,
	    why, sizeof(why)), -1);
	assert_int_equal(taxii_query_parse("match[version]=newest", "local", q,
	    why, sizeof(why)), -1);
	assert_int_equal(taxii_query_parse("match[type]=a,,b", "local", q, why,
	    sizeof(why)), -1);
	assert_int_equal(taxii_query_parse("match[type]=%zz", "local", q, why,
	    sizeof(why)), -1);
	assert_int_equal(taxii_query_parse("match[type]=%00", "local", q, why,
	    sizeof(why)), -1);
	assert_int_equal(taxii_query_parse("unknown=1&x", "local", q, why,
	    sizeof(why)), 0);
	free(q);
}

static void
test_next(void **state)
{
	struct taxii_query *q = malloc(sizeof(*q));
	char why[256], next[64], query[256];

	(void)state;
	assert_int_equal(taxii_query_parse("match[type]=indicator&limit=5",
	    "out:ru", q, why, sizeof(why)), 0);
	taxii_next_make(q, 1234, next, sizeof(next));
	/* same filters, other limit: fine */
	snprintf(query, sizeof(query), "match[type]=indicator&limit=7&next=%s",
	    next);
	assert_int_equal(taxii_query_parse(query, "out:ru", q, why,
	    sizeof(why)), 0);
	assert_int_equal(q->next_rid, 1234);
	/* changed filters, another collection, or no filters: refused */
	snprintf(query, sizeof(query), "match[type]=malware&next=%s", next);
	assert_int_equal(taxii_query_parse(query, "out:ru", q, why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "other filters"));
	snprintf(query, sizeof(query), "match[type]=indicator&next=%s", next);
	assert_int_equal(taxii_query_parse(query, "local", q, why,
	    sizeof(why)), -1);
	snprintf(query, sizeof(query), "next=%s", next);
	assert_int_equal(taxii_query_parse(query, "out:ru", q, why,
	    sizeof(why)), -1);
	snprintf(query, sizeof(query), "match[type]=indicator&"
	    "added_after=2016-01-01T00:00:00Z&next=%s", next);
	assert_int_equal(taxii_query_parse(query, "out:ru", q, why,
	    sizeof(why)), -1);
	/* malformed */
	assert_int_equal(taxii_query_parse("next=zz", "out:ru", q, why,
	    sizeof(why)), -1);
	assert_int_equal(taxii_query_parse("next=0-0000000000000000", "out:ru",
	    q, why, sizeof(why)), -1);
	free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_next),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
