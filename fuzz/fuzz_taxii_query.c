/*
 * fuzz_taxii_query.c: TAXII request query strings (taxii_query_parse in
 * src/taxii.c). The input is the query after '?'. Properties, when it
 * parses:
 *  - limit is within 1..TAXII_PAGE_MAX and list counts within bounds;
 *  - a next made for the parsed filters is taken back with the same
 *    query (and gives its row), and refused for another collection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "taxii.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct taxii_query *q, *q2;
	char why[256], next[64], *s, *s2;

	if (size > 8192 || memchr(data, '\0', size) != NULL)
		return 0;
	q = malloc(sizeof(*q));
	q2 = malloc(sizeof(*q2));
	s = malloc(size + 1);
	s2 = malloc(size + 80);
	if (q == NULL || q2 == NULL || s == NULL || s2 == NULL)
		goto done;
	memcpy(s, data, size);
	s[size] = '\0';
	why[0] = '\0';
	if (taxii_query_parse(s, "out:ru", q, why, sizeof(why)) == -1) {
		FUZZ_CHECK(why[0] != '\0');
		goto done;
	}
	FUZZ_CHECK(q->limit >= 1 && q->limit <= TAXII_PAGE_MAX);
	FUZZ_CHECK(q->nids <= TAXII_LIST_MAX && q->ntypes <= TAXII_LIST_MAX &&
	    q->nspec <= TAXII_LIST_MAX && q->nversions <= TAXII_LIST_MAX);
	taxii_next_make(q, 42, next, sizeof(next));
	snprintf(s2, size + 80, "%s&next=%s", s, next);
	if (taxii_query_parse(s2, "out:ru", q2, why, sizeof(why)) == 0)
		FUZZ_CHECK(q2->next_rid == 42 && q2->hash == q->hash);
	else	/* only when the query does not fit the value buffer */
		FUZZ_CHECK(strstr(why, "too long") != NULL ||
		    strstr(why, "malformed") != NULL);
	FUZZ_CHECK(taxii_query_parse(s2, "local", q2, why, sizeof(why)) == -1);
done:
	free(q);
	free(q2);
	free(s);
	free(s2);
	return 0;
}
