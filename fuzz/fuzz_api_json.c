/*
 * fuzz_api_json.c: the body of POST /v1/messages, the one request body of
 * the local API that becomes a signed message (api_parse_submit in
 * src/api.c: jansson with duplicate keys refused, known fields only, typed
 * and validated values, the body compacted and bounded). The input is the
 * HTTP request body. Properties:
 *  - a refused body gets status 400 or 413 and a non-empty message;
 *  - an accepted one yields a message whose header msg_check() accepts once
 *    from, seq and created are filled in as deliver_submit() would, whose
 *    body is valid JSON within max_body, and whose ref is "" or 4..64
 *    lowercase hex digits;
 *  - the body bytes are json_dumpb(JSON_COMPACT) of the request's body as
 *    jansson parses it (whether api.c dumped it or took its bytes from the
 *    request, load_request);
 *  - a request rebuilt from what was parsed parses to the same message
 *    fields, the same body bytes and the same ref: what the daemon signs is
 *    what the client sent, and compacting the body is a fixed point.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "fuzz.h"
#include "msg.h"
#include "store.h"
#include "util.h"

#define FUZZ_MAX_BODY	MSG_BODY_MAX	/* the default [limits] max_body */

/*
 * Build the request a client would send for m, body and ref, parse it, and
 * check that it gives back the same fields and bytes.
 */
static void
resubmit(const struct msg *m, const char *body, const char *ref)
{
	char ref2[ID_HEX_LEN + 1], err[512], *text, *body2 = NULL;
	json_t *req, *b;
	struct msg m2;
	int status = 0;

	FUZZ_CHECK((b = json_loads(body, JSON_REJECT_DUPLICATES, NULL)) != NULL);
	req = json_pack("{s:s, s:s, s:s, s:s, s:b, s:o}", "to", m->to,
	    "channel", channel_name(m->channel), "kind", m->kind,
	    "precedence", prec_name(m->prec), "exercise", m->exercise,
	    "body", b);
	FUZZ_CHECK(req != NULL);
	if (ref[0] != '\0')
		FUZZ_CHECK(json_object_set_new(req, "ref",
		    json_string(ref)) == 0);
	FUZZ_CHECK((text = json_dumps(req, JSON_COMPACT)) != NULL);
	json_decref(req);
	if (api_parse_submit(text, strlen(text), FUZZ_MAX_BODY, &m2, &body2,
	    ref2, &status, err, sizeof(err)) == -1) {
		fprintf(stderr, "rebuilt request refused: %s\n%s\n", err, text);
		FUZZ_CHECK(!"a rebuilt request is accepted");
	}
	FUZZ_CHECK(strcmp(m->to, m2.to) == 0 && strcmp(m->kind, m2.kind) == 0);
	FUZZ_CHECK(m->channel == m2.channel && m->prec == m2.prec);
	FUZZ_CHECK(m->exercise == m2.exercise && m->has_ref == m2.has_ref);
	FUZZ_CHECK(strcmp(body, body2) == 0 && strcmp(ref, ref2) == 0);
	free(body2);
	free(text);
}

/* The accepted body is jansson's compact dump of the request's body. */
static void
same_as_dump(const char *text, size_t len, const char *body)
{
	json_t *req;
	char *d;

	req = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	FUZZ_CHECK(req != NULL);
	d = json_dumps(json_object_get(req, "body"), JSON_COMPACT);
	FUZZ_CHECK(d != NULL && strcmp(d, body) == 0);
	free(d);
	json_decref(req);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char ref[ID_HEX_LEN + 1], err[512], *body = NULL, *copy;
	const char *why = NULL;
	struct msg m;
	size_t n;
	int status = 0;

	/* Exactly size bytes, not NUL-terminated, as evbuffer_pullup gives. */
	copy = xmalloc(size == 0 ? 1 : size);
	memcpy(copy, data, size);
	err[0] = '\0';
	if (api_parse_submit(copy, size, FUZZ_MAX_BODY, &m, &body, ref, &status,
	    err, sizeof(err)) == -1) {
		FUZZ_CHECK(status == 400 || status == 413);
		FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)));
		FUZZ_CHECK(body == NULL);
		goto done;
	}
	FUZZ_CHECK(body != NULL && m.body == (const uint8_t *)body);
	FUZZ_CHECK(m.body_len == strlen(body) && m.body_len <= FUZZ_MAX_BODY);
	n = strlen(ref);
	FUZZ_CHECK(n == 0 || (n >= 4 && n <= ID_HEX_LEN &&
	    strspn(ref, "0123456789abcdef") == n));
	same_as_dump(copy, size, body);
	resubmit(&m, body, ref);
	/* What deliver_submit() adds before signing. */
	memcpy(m.from, FUZZ_SELF, sizeof(FUZZ_SELF));
	m.seq = 1;
	m.created = 1;
	if (strcmp(m.to, FUZZ_SELF) == 0)
		memcpy(m.to, FUZZ_PEER, sizeof(FUZZ_PEER));
	if (msg_check(&m, &why) == -1) {
		fprintf(stderr, "accepted body fails msg_check: %s\n", why);
		FUZZ_CHECK(!"an accepted request makes a valid message");
	}
done:
	free(body);
	free(copy);
	return 0;
}
