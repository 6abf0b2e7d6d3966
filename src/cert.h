/*
 * cert.h: the CERT channel: taking STIX objects into collections (from
 * TAXII clients, the CLI, or peers), the TLP decision for each outbound
 * object, packing shared objects into signed messages (channel cert, kind
 * stix-bundle), storing what peers send in their inbound collections, and
 * sightings sent back to an indicator's originator.
 */
#ifndef HOTLINE_CERT_H
#define HOTLINE_CERT_H

#include <stdint.h>

#include <jansson.h>

#include "hotlined.h"
#include "msg.h"
#include "stixdb.h"

struct evbuffer;

#define CERT_KIND_BUNDLE	"stix-bundle"
/* Objects per ingest call at most (a TAXII POST, an import batch). */
#define CERT_INGEST_MAX		100000

struct api_req;

int	cert_start(struct hotlined *d);
void	cert_stop(struct hotlined *d);
struct stixdb *cert_db(struct hotlined *d);

/* Collection names: "local", "out:PARTY", "in:PARTY". The peer of an
 * out:/in: name, or NULL. */
struct peer *cert_coll_peer(struct hotlined *d, const char *coll, int *out);
/* Is coll one of this node's collections? */
int	cert_coll_valid(struct hotlined *d, const char *coll);
/* The next date added (microseconds, strictly increasing). */
int64_t	cert_next_added(struct hotlined *d);

/*
 * Take the objects (a JSON array) into coll on behalf of source ("local"
 * or "local:ACCOUNT"): validate each, refuse what TLP forbids for an
 * outbound collection (the rule is the failure message, also logged),
 * skip what is already held (a success), store the rest durably and, for
 * out:PARTY, queue them to the peer in stix-bundle messages in the same
 * transaction. *successes and *failures become new arrays of TAXII status
 * details {id, version, message}. Returns 0, or -1 with an HTTP status
 * and message (nothing stored).
 */
int	cert_ingest(struct hotlined *d, const char *coll, json_t *objects,
	    const char *source, json_t **successes, json_t **failures,
	    int *status, const char **errmsg);

/* The exact bytes of one element of a JSON array. */
struct cert_span {
	const char	*p;
	size_t		 len;
};
/*
 * In text (len bytes, already parsed successfully as a JSON object), find
 * the n elements of the top-level array under key: a new array of n spans
 * (caller frees), or NULL if the key is not found plainly or the count
 * differs. Lets objects be stored as received instead of re-serialised.
 */
struct cert_span *cert_raw_elements(const char *text, size_t len,
	    const char *key, size_t n);
/* TAXII status details as JSON text: the elements of the successes and
 * failures lists, comma-separated, and their counts. */
struct cert_details {
	struct evbuffer	*ok, *bad;	/* the caller's */
	size_t		 nok, nbad;
};
/*
 * A TAXII envelope on its way in: cert_prep_new() takes the received
 * bytes (malloc'd, owned from then on); cert_prep_run() parses them and
 * validates every object, touching nothing but the prep (jansson and
 * stix.c), so it may run on another thread; cert_prep_submit() runs it on
 * the CERT worker thread and then done(arg, 0) on the event loop, or
 * done(arg, 1) at shutdown for a job never run (free, do not answer).
 * Without a thread it runs both at once.
 */
struct cert_prep;
typedef void (*cert_prep_done)(void *arg, int cancelled);
struct cert_prep *cert_prep_new(char *body, size_t len);
void	cert_prep_run(struct cert_prep *p);
/* Was the body an envelope, {"objects": [...]}? */
int	cert_prep_ok(const struct cert_prep *p);
void	cert_prep_free(struct cert_prep *p);
/* Free p on the worker thread (a tree of 2,000 objects takes a while to
 * free), or here without one. */
void	cert_prep_release(struct hotlined *d, struct cert_prep *p);
void	cert_prep_submit(struct hotlined *d, struct cert_prep *p,
	    cert_prep_done done, void *arg);
/* cert_ingest() of a run prep (cert_prep_ok), storing each object's bytes
 * as received where it can, with the details written as text into out. */
int	cert_ingest_text(struct hotlined *d, const char *coll,
	    struct cert_prep *prep, const char *source,
	    struct cert_details *out, int *status, const char **errmsg);

/* deliver.c: the body of stix-bundle message m parsed as msg_decode()
 * checks bodies (one JSON object, no duplicate keys): the new tree, or
 * NULL with msg_check_body's reason in *why. */
json_t	*cert_bundle_parse(const struct msg *m, const char **why);
/* deliver.c, inside the transaction storing inbound message m from peer:
 * store the objects of its bundle b (from cert_bundle_parse, borrowed) in
 * in:PEER (bad objects are logged and skipped). 0, or -1 on a database
 * failure. */
int	cert_bundle_in(struct hotlined *d, const char *peer,
	    const struct msg *m, json_t *b);

/* The /v1/cert routes (api_routes in api.c). */
void	cert_api(struct api_req *q, const char *rest);

#endif
