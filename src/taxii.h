/*
 * taxii.h: a TAXII 2.1 server (OASIS TAXII 2.1, sections 4 and 5) under
 * /taxii2/ on the local API: discovery, one API root (/taxii2/api/),
 * collections (local, and out:PARTY / in:PARTY per peer), objects GET /
 * POST / DELETE, object, versions, manifest and status resources.
 */
#ifndef HOTLINE_TAXII_H
#define HOTLINE_TAXII_H

#include <stddef.h>
#include <stdint.h>

struct api_req;
struct hotlined;

#define TAXII_MEDIA	"application/taxii+json;version=2.1"
#define STIX_MEDIA	"application/stix+json;version=2.1"
#define TAXII_PAGE_DEFAULT	1000
#define TAXII_PAGE_MAX		10000

/* The route handler for "/taxii2" (api_routes in api.c). */
void	taxii_api(struct api_req *q, const char *rest);

/* A parsed request query: the TAXII filters. Exposed for the fuzz target
 * and the unit test. */
#define TAXII_LIST_MAX	100
struct taxii_query {
	const char	*ids[TAXII_LIST_MAX];
	int		 nids;
	const char	*types[TAXII_LIST_MAX];
	int		 ntypes;
	const char	*spec[TAXII_LIST_MAX];
	int		 nspec;
	int		 v_last, v_first, v_all;
	int64_t		 versions[TAXII_LIST_MAX];
	int		 nversions;
	int64_t		 added_after;
	int		 limit;
	int64_t		 next_rid;	/* from next; 0 if none */
	uint64_t	 hash;		/* of the filters, binds next */
	char		 buf[4096];	/* decoded values point here */
};
/*
 * Parse a URI query string ("match[id]=a,b&limit=5", keys and values
 * percent-decoded) into q for collection coll: 0, or -1 with a reason in
 * why (a 400). A next token issued for other filters is refused.
 */
int	taxii_query_parse(const char *query, const char *coll,
	    struct taxii_query *q, char *why, size_t whylen);
/* The next token for the row after rid under the filters of q. */
void	taxii_next_make(const struct taxii_query *q, int64_t rid, char *out,
	    size_t outsz);

#endif
