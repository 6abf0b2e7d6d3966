/*
 * api.c: the local HTTP API, JSON under /v1, served by libevent's evhttp on
 * a Unix socket (mode 0660). It is how the CLI (and later the console) asks
 * the daemon to send, list, show and acknowledge messages and to report the
 * health of the peer links.
 *
 * Everything a client sends is untrusted: the request size is bounded by
 * evhttp (headers 8 KiB, body [limits] api_max_request), bodies are parsed
 * with jansson with duplicate keys rejected, unknown fields and query
 * parameters are refused, and every request is answered with a JSON object,
 * errors as {"error": "..."} with a meaningful status. Nothing a client sends
 * can stop the daemon: failures answer that request and the loop goes on.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <jansson.h>

#include "account.h"
#include "api.h"
#include "audit.h"
#include "cert.h"
#include "taxii.h"
#include "console.h"
#include "deliver.h"
#include "events.h"
#include "hotlined.h"
#include "http.h"
#include "jsonv.h"
#include "link.h"
#include "log.h"
#include "metrics.h"
#include "msg.h"
#include "nrrc.h"
#include "signer.h"
#include "store.h"
#include "trace.h"
#include "util.h"
#include "worker.h"

#define API_MAX_HEADERS		8192
#define API_TIMEOUT_S		30
#define API_LIST_DEFAULT	50
/* GET ?wait= holds a request this long by default, and at most. */
#define API_WAIT_DEFAULT_MS	10000
#define API_WAIT_MAX_MS		60000
#define API_LIST_MAX		1000
#define API_NOTE_MAX		4096

struct api {
	struct hotlined		*d;
	struct evhttp		*http;	/* owns the bound listener */
	char			 path[PATH_MAX];
	dev_t			 dev;	/* identity of the socket file we made */
	ino_t			 ino;
	/* Connections that have made a request, at most api_max_clients;
	 * a linear set, small by configuration. */
	struct evhttp_connection **clients;
	size_t			 nclients;
	TAILQ_HEAD(, waiter)	 waiters;
	size_t			 nwaiters;
	size_t			 nfeeds;	/* of them, feeds */
	struct worker		*w;	/* batches being parsed (h_submit_batch) */
	struct batch_job	*storing;	/* being stored, or NULL */
};

/* A GET /v1/messages/{id}?wait=STATE held until the message reaches the
 * state or the timeout passes; answered like a plain GET either way. */
struct waiter {
	TAILQ_ENTRY(waiter)	 entry;
	struct api		*a;
	struct hotlined		*d;
	struct evhttp_request	*r;
	struct evhttp_connection *evcon;
	struct event		*timer;
	char			 id[ID_HEX_LEN + 1];
	int			 state;	/* wanted: ST_DELIVERED or ST_ACKED */
	struct api_who		 who;	/* who asked (its read rights apply) */
	bool			 absent;	/* the message was not here yet */
	/* A feed (GET /v1/messages?after=&wait=) instead of one message:
	 * its filter, whose peer points to peer here. */
	bool			 feed;
	struct msg_filter	 f;
	char			 peer[PARTY_MAX + 1];
};

static const char *
status_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 406: return "Not Acceptable";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 411: return "Length Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/*
 * What each role may read and write, by channel (bit 1 << channel). The
 * admin and the local socket reach everything; the auditor reads all and
 * writes nothing (docs/API.md, "Roles").
 */
#define CHB(c)	(1u << (c))
static unsigned
role_channels(int role, int write)
{
	switch (role) {
	case ROLE_ADMIN:
		return ~0u;
	case ROLE_WATCH:
		return CHB(CH_NRRC) | CHB(CH_CHECK);
	case ROLE_CERT:
		return CHB(CH_CERT);
	case ROLE_PRINCIPAL:
		return CHB(CH_DIRECT);
	case ROLE_AUDITOR:
		return write ? 0 : ~0u;
	default:
		return 0;
	}
}

bool
api_may_read(const struct api_who *w, int channel)
{
	if (channel < 0 || channel > 31)
		return false;
	return (role_channels(w->role, 0) & CHB(channel)) != 0;
}

bool
api_may_write(const struct api_who *w, int channel)
{
	if (channel < 0 || channel > 31)
		return false;
	return (role_channels(w->role, 1) & CHB(channel)) != 0;
}

/* 403 for a channel the caller's role may not reach. */
static void
api_reply_channel_denied(struct api_req *q, int channel, int write)
{
	api_reply_error(q, 403, "your role may not %s the %s channel",
	    write ? "send on" : "read", channel_name(channel));
}

/* How answers are serialised. */
#define API_JSON_FLAGS	(JSON_COMPACT | JSON_REAL_PRECISION(6))

static const char reply_failed[] = "{\"error\":\"internal error: cannot "
    "build the response\"}";

/* Send q's answer: status, and the JSON text in its output buffer (if it
 * could not be built, ok false: a 500 with a fixed error object). */
static void
reply_send(struct api_req *q, int status, bool ok)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(q->r);
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(q->r);

	if (!ok) {
		status = 500;
		(void)evbuffer_drain(out, evbuffer_get_length(out));
		if (evbuffer_add(out, reply_failed, sizeof(reply_failed) - 1)
		    == -1)
			log_warnx("api: cannot build a response");
	}
	if (evhttp_add_header(hdr, "Content-Type", "application/json") == -1 ||
	    evbuffer_add(out, "\n", 1) == -1)
		log_warnx("api: cannot build a response");
	log_debug("api: %s %s -> %d",
	    evhttp_request_get_command(q->r) == EVHTTP_REQ_POST ? "POST" : "GET",
	    evhttp_request_get_uri(q->r), status);
	evhttp_send_reply(q->r, status, status_reason(status), NULL);
}

/*
 * Append o's text to out; with body (a message's, which msg_json left out
 * of o: its stored bytes are what dumping it would write), "body": and
 * those bytes as o's last member. 0 or -1.
 */
static int
dump_json(struct evbuffer *out, json_t *o, const struct msg *body)
{
	char *text;
	size_t n;
	int rc = -1;

	if (o == NULL || (text = json_dumps(o, API_JSON_FLAGS)) == NULL)
		return -1;
	n = strlen(text);
	if (body == NULL)
		rc = evbuffer_add(out, text, n);
	else if (n > 2 && text[n - 1] == '}')	/* o has members: the id... */
		rc = evbuffer_add(out, text, n - 1) == -1 ||
		    evbuffer_add(out, ",\"body\":", 8) == -1 ||
		    evbuffer_add(out, body->body, body->body_len) == -1 ||
		    evbuffer_add(out, "}", 1) == -1 ? -1 : 0;
	free(text);
	return rc;
}

/*
 * Answer with obj serialised (reference stolen). If obj is NULL or cannot
 * be serialised, answer 500 with a fixed error object instead.
 */
void
api_reply_json(struct api_req *q, int status, json_t *obj)
{
	bool ok;

	ok = dump_json(evhttp_request_get_output_buffer(q->r), obj, NULL) == 0;
	json_decref(obj);
	reply_send(q, status, ok);
}

static int
utf8_valid(const char *s)
{
	json_t *v = json_string(s);	/* jansson validates UTF-8 */

	json_decref(v);
	return v != NULL;
}

void
api_reply_error(struct api_req *q, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	size_t i;
	int n;
	json_t *o;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		msg[0] = '\0';
	/*
	 * A truncated message is still the clearest thing we have. Client
	 * text quoted in it may not be UTF-8 (or be cut mid-character): then
	 * show every byte outside printable ASCII as '?'.
	 */
	if (!utf8_valid(msg))
		for (i = 0; msg[i] != '\0'; i++)
			if ((unsigned char)msg[i] < 0x20 ||
			    (unsigned char)msg[i] > 0x7e)
				msg[i] = '?';
	o = json_object();
	if (o != NULL && json_object_set_new(o, "error", json_string(msg)) == -1) {
		json_decref(o);
		o = NULL;
	}
	api_reply_json(q, status, o);
}

/* Small constructors; each returns a new reference or NULL. */
json_t *
api_j_time(uint64_t ms)
{
	char ts[32];

	if (ms == 0)
		return json_null();
	fmt_utc_ms(ms, ts);
	return json_string(ts);
}

static json_t *
j_hex(const uint8_t *p, size_t n)
{
	char hex[2 * MSG_ID_LEN + 1];

	if (n > MSG_ID_LEN)
		return NULL;
	hex_encode(p, n, hex);
	return json_string(hex);
}

static json_t *
j_str_or_null(const char *s)
{
	if (s == NULL || *s == '\0')
		return json_null();
	return json_string(s);
}

static json_t *
j_u64(uint64_t v)
{
	if (v > (uint64_t)LLONG_MAX)
		return NULL;
	return json_integer((json_int_t)v);
}

/* The key fingerprint that signs what party sends, or NULL if unknown. */
static const char *
party_key(struct hotlined *d, const char *party)
{
	struct peer *p;

	if (strcmp(party, d->cf.party) == 0)
		return signer_fingerprint(d->signer);
	if ((p = hotlined_peer_find(d, party)) == NULL)
		return NULL;
	return p->conf->fingerprint;
}

/*
 * The message body as JSON: the object it was sent as; if the stored bytes
 * do not parse, the bytes as a string; if they are not UTF-8 either, null.
 */
static json_t *
j_body(const struct msg *m)
{
	json_t *v;

	if (m->body == NULL)
		return json_null();
	v = json_loadb((const char *)m->body, m->body_len, 0, NULL);
	if (v != NULL)
		return v;
	v = json_stringn((const char *)m->body, m->body_len);
	return v != NULL ? v : json_null();
}

/*
 * The JSON form of a stored message (see docs/API.md), or NULL. With
 * copy_body set, a body stored exactly as its compact dump (jsonv_compact:
 * ours always, a peer's if it runs hotline) is left out and *copy_body
 * stays true: dump_json() copies its bytes in, where parsing them and
 * dumping the tree again would cost ~250 instructions a byte (callgrind).
 */
static json_t *
msg_json(struct hotlined *d, const struct msg_row *row, bool *copy_body)
{
	const struct msg *m = &row->m;
	json_t *o;
	int errs = 0;

	if (copy_body != NULL)
		*copy_body = m->body != NULL && jsonv_compact(m->body,
		    m->body_len);

	if ((o = json_object()) == NULL)
		return NULL;
	errs |= json_object_set_new(o, "id", json_string(row->id));
	errs |= json_object_set_new(o, "dir",
	    json_string(row->dir == DIR_IN ? "in" : "out"));
	errs |= json_object_set_new(o, "peer", json_string(row->peer));
	errs |= json_object_set_new(o, "from", json_string(m->from));
	errs |= json_object_set_new(o, "to", json_string(m->to));
	errs |= json_object_set_new(o, "channel",
	    json_string(channel_name(m->channel)));
	errs |= json_object_set_new(o, "kind", json_string(m->kind));
	errs |= json_object_set_new(o, "precedence",
	    json_string(prec_name(m->prec)));
	errs |= json_object_set_new(o, "seq", j_u64(m->seq));
	errs |= json_object_set_new(o, "created", api_j_time(m->created));
	errs |= json_object_set_new(o, "exercise", json_boolean(m->exercise));
	errs |= json_object_set_new(o, "ref",
	    m->has_ref ? j_hex(m->ref, MSG_ID_LEN) : json_null());
	if (copy_body == NULL || !*copy_body)
		errs |= json_object_set_new(o, "body", j_body(m));
	errs |= json_object_set_new(o, "state",
	    json_string(msg_state_name(row->state)));
	errs |= json_object_set_new(o, "accepted", api_j_time(row->accepted));
	errs |= json_object_set_new(o, "sent", api_j_time(row->sent));
	errs |= json_object_set_new(o, "received", api_j_time(row->received));
	errs |= json_object_set_new(o, "acknowledged", api_j_time(row->acked));
	errs |= json_object_set_new(o, "ack_id", j_str_or_null(row->ack_id));
	errs |= json_object_set_new(o, "receipt_id",
	    j_str_or_null(row->receipt_id));
	errs |= json_object_set_new(o, "key",
	    j_str_or_null(party_key(d, m->from)));
	/* The form of the sender's signature (docs/PROTOCOL.md 3.3). */
	errs |= json_object_set_new(o, "signature", m->batch_n == 0 ?
	    json_pack("{s:s}", "form", "ed25519") :
	    json_pack("{s:s,s:I,s:I}", "form", "ed25519-batch",
	    "batch_index", (json_int_t)m->batch_idx, "batch_size",
	    (json_int_t)m->batch_n));
	errs |= nrrc_msg_annotate(d, row, o);
	if (errs) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * Parse the request body as a JSON object. An empty body gives an empty
 * object when allow_empty is set. Returns the object, or NULL after
 * answering the request with the error.
 */
json_t *
api_read_body(struct api_req *q, int allow_empty)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(q->r);
	json_error_t jerr;
	unsigned char *p;
	size_t len;
	json_t *v;

	len = evbuffer_get_length(in);
	if (len > q->d->cf.api_max_request) {
		api_reply_error(q, 413, "request body larger than %llu bytes",
		    (unsigned long long)q->d->cf.api_max_request);
		return NULL;
	}
	if (len == 0 && !allow_empty) {
		api_reply_error(q, 400, "request body must be a JSON object");
		return NULL;
	}
	if (len == 0) {
		if ((v = json_object()) == NULL)
			api_reply_error(q, 500, "out of memory");
		return v;
	}
	if ((p = evbuffer_pullup(in, (ev_ssize_t)len)) == NULL) {
		api_reply_error(q, 500, "cannot read the request body");
		return NULL;
	}
	v = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL) {
		api_reply_error(q, 400, "malformed JSON at line %d column %d: %s",
		    jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		api_reply_error(q, 400, "request body must be a JSON object");
		return NULL;
	}
	return v;
}

/*
 * Refuse any key of obj not in allowed (NULL-terminated). 0, or -1 with a
 * message in err (a 400). No request needed, so api_parse_submit can use it.
 */
static int
fields_check(json_t *obj, const char *const *allowed, char *err,
    size_t errlen)
{
	const char *key;
	json_t *v;
	int i;

	json_object_foreach(obj, key, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL) {
			(void)snprintf(err, errlen, "unknown field \"%.64s\"",
			    key);
			return -1;
		}
	}
	return 0;
}

/*
 * An optional string field: *out is NULL if absent. Returns 0, or -1 with a
 * message in err (a 400) if present but not a string, holding a NUL, or
 * required and absent.
 */
static int
string_field(json_t *obj, const char *key, int required, const char **out,
    char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL) {
		if (!required)
			return 0;
		(void)snprintf(err, errlen, "missing field \"%s\"", key);
		return -1;
	}
	if (!json_is_string(v)) {
		(void)snprintf(err, errlen, "field \"%s\" must be a string", key);
		return -1;
	}
	*out = json_string_value(v);
	if (strlen(*out) != json_string_length(v)) {
		(void)snprintf(err, errlen, "field \"%s\" contains a NUL "
		    "character", key);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* fields_check, answering 400 on failure. */
int
api_check_fields(struct api_req *q, json_t *obj, const char *const *allowed)
{
	char err[128];

	if (fields_check(obj, allowed, err, sizeof(err)) == -1) {
		api_reply_error(q, 400, "%s", err);
		return -1;
	}
	return 0;
}

/* string_field, answering 400 on failure. */
static int
get_string(struct api_req *q, json_t *obj, const char *key, int required,
    const char **out)
{
	char err[128];

	if (string_field(obj, key, required, out, err, sizeof(err)) == -1) {
		api_reply_error(q, 400, "%s", err);
		return -1;
	}
	return 0;
}

/* s as a lowercase id or id prefix of at least min hex digits into out;
 * 0, or -1 if it is not one. */
static int
hex_prefix(const char *s, size_t min, char out[ID_HEX_LEN + 1])
{
	size_t i, n = strlen(s);

	if (n < min || n > ID_HEX_LEN || strspn(s, "0123456789abcdefABCDEF") !=
	    n)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[n] = '\0';
	return 0;
}

/*
 * Resolve a message id or unique hex prefix (4..64 hex digits) to the full
 * lowercase id. Returns 0, or -1 after answering (400 bad or ambiguous,
 * 404 unknown, 503 store failure). what names the value in messages.
 */
static int
resolve_id(struct api_req *q, const char *s, const char *what,
    char id[ID_HEX_LEN + 1])
{
	char prefix[ID_HEX_LEN + 1];

	if (hex_prefix(s, 4, prefix) == -1) {
		api_reply_error(q, 400, "%s: expected 4 to %d hex digits", what,
		    ID_HEX_LEN);
		return -1;
	}
	switch (store_msg_resolve(q->d->st, prefix, id)) {
	case 0:
		return 0;
	case 1:
		api_reply_error(q, 404, "%s: no message %s", what, prefix);
		return -1;
	case 2:
		api_reply_error(q, 400, "%s: prefix %s is ambiguous; give more "
		    "digits", what, prefix);
		return -1;
	default:
		api_reply_error(q, 503, "store unavailable");
		return -1;
	}
}

/* Set *status and write err; returns -1 for the caller's return. */
static int parse_fail(int *, int, char *, size_t, const char *, ...)
    __attribute__((format(printf, 5, 6)));

static int
parse_fail(int *status, int code, char *err, size_t errlen, const char *fmt,
    ...)
{
	va_list ap;

	*status = code;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Check one already parsed POST /v1/messages request (an element of a
 * batch, or a whole request parsed by api_parse_submit) into m. The body is
 * serialised once, compactly (*bodybuf, NUL-terminated), and marked valid so that it is not parsed
 * again (msg_check). Same results as api_parse_submit on the request's text.
 * raw, if not NULL, is the body's compact text as it stood in the request
 * (load_request): then req's "body" is only a stand-in {} and raw is used
 * instead of a dump, being the same bytes.
 */
static int
api_parse_submit_obj(json_t *req, uint64_t max_body, const char *raw,
    size_t rawlen, struct msg *m, char **bodybuf,
    char ref_out[ID_HEX_LEN + 1], int *status, char *err, size_t errlen)
{
	static const char *const fields[] = { "to", "channel", "kind",
	    "precedence", "body", "ref", "exercise", NULL };
	static _Thread_local char dumpbuf[MSG_BODY_MAX];
	const char *to, *chan, *kind, *prec, *ref;
	json_t *v;
	char *body = NULL;
	size_t blen, i, n;
	int ch, pr, rc = -1;

	*bodybuf = NULL;
	ref_out[0] = '\0';
	memset(m, 0, sizeof(*m));
	*status = 400;
	if (!json_is_object(req)) {
		(void)snprintf(err, errlen, "request body must be a JSON object");
		goto done;
	}
	if (fields_check(req, fields, err, errlen) == -1 ||
	    string_field(req, "to", 1, &to, err, errlen) == -1 ||
	    string_field(req, "channel", 1, &chan, err, errlen) == -1 ||
	    string_field(req, "kind", 1, &kind, err, errlen) == -1 ||
	    string_field(req, "precedence", 0, &prec, err, errlen) == -1 ||
	    string_field(req, "ref", 0, &ref, err, errlen) == -1)
		goto done;
	m->version = MSG_VERSION;
	if (!party_id_valid(to)) {
		(void)snprintf(err, errlen, "to: not a party id "
		    "([a-z0-9-]{1,32})");
		goto done;
	}
	memcpy(m->to, to, strlen(to) + 1);
	if ((ch = channel_from_name(chan)) == -1) {
		(void)snprintf(err, errlen, "channel: unknown \"%.32s\" (cert, "
		    "nrrc, direct, check, wg)", chan);
		goto done;
	}
	m->channel = (uint8_t)ch;
	if (!kind_valid(kind)) {
		(void)snprintf(err, errlen, "kind: expected [a-z0-9-]{1,32}");
		goto done;
	}
	memcpy(m->kind, kind, strlen(kind) + 1);
	if (prec == NULL)
		prec = "routine";
	if ((pr = prec_from_name(prec)) == -1) {
		(void)snprintf(err, errlen, "precedence: unknown \"%.32s\" "
		    "(flash, immediate, priority, routine)", prec);
		goto done;
	}
	m->prec = (uint8_t)pr;
	if ((v = json_object_get(req, "exercise")) != NULL) {
		if (!json_is_boolean(v)) {
			(void)snprintf(err, errlen, "field \"exercise\" must be "
			    "true or false");
			goto done;
		}
		m->exercise = json_is_true(v);
	}
	if (ref != NULL) {
		n = strlen(ref);
		if (n < 4 || n > ID_HEX_LEN ||
		    strspn(ref, "0123456789abcdefABCDEF") != n) {
			(void)snprintf(err, errlen, "ref: expected 4 to %d hex "
			    "digits", ID_HEX_LEN);
			goto done;
		}
		for (i = 0; i < n; i++)
			ref_out[i] = (char)tolower((unsigned char)ref[i]);
		ref_out[n] = '\0';
	}
	if ((v = json_object_get(req, "body")) == NULL) {
		(void)snprintf(err, errlen, "missing field \"body\"");
		goto done;
	}
	if (!json_is_object(v)) {
		(void)snprintf(err, errlen, "field \"body\" must be a JSON "
		    "object");
		goto done;
	}
	/*
	 * Serialised into a reused buffer (no growing string, no copy of
	 * it), then copied once at its size. json_dumpb() gives the full
	 * length even when the text does not fit, so too large a body is
	 * still reported with its size.
	 */
	if (raw != NULL)
		blen = rawlen;
	else if ((blen = json_dumpb(v, dumpbuf, sizeof(dumpbuf),
	    JSON_COMPACT)) == 0) {
		*status = 500;
		(void)snprintf(err, errlen, "cannot serialise the body");
		goto done;
	}
	if (blen > max_body || blen > MSG_BODY_MAX) {
		*status = 413;
		(void)snprintf(err, errlen, "body is %zu bytes; the limit is "
		    "%llu", blen, (unsigned long long)(max_body < MSG_BODY_MAX ?
		    max_body : MSG_BODY_MAX));
		goto done;
	}
	body = xmalloc(blen + 1);
	memcpy(body, raw != NULL ? raw : dumpbuf, blen);
	body[blen] = '\0';
	m->body = (const uint8_t *)body;
	m->body_len = (uint32_t)blen;
	m->body_valid = true;	/* json_dumpb() of an object, or its bytes */
	*bodybuf = body;
	body = NULL;
	rc = 0;
 done:
	if (rc == -1)
		ref_out[0] = '\0';
	free(body);
	return rc;
}

/*
 * json_loadb() with JSON_REJECT_DUPLICATES of a submit request: one
 * message (array NULL) or a batch (its messages in the member array). The
 * bodies are most of the bytes; jsonv_spans() finds those written exactly
 * as json_dumpb(JSON_COMPACT) would write them, and jansson parses the
 * request with each of them replaced by {}: the caller takes their bytes
 * from spans[i] (len > 0) instead of parsing and dumping them. Only when
 * jsonv is sure of the whole text, so jansson's verdict on the rest is the
 * same; otherwise the text is parsed as it stands (every span len 0) and
 * errors, with their line and column, are jansson's own. NULL with *jerr,
 * as json_loadb().
 */
static json_t *
load_request(const char *text, size_t len, const char *array,
    struct jsonv_span *spans, size_t nspans, json_error_t *jerr)
{
	json_t *req;
	char *hollow;
	size_t i, at = 0, n = 0;

	if (!jsonv_spans(text, len, array, "body", spans, nspans))
		goto plain;
	for (i = 0; i < nspans && spans[i].len == 0; i++)
		;
	if (i == nspans)
		goto plain;			/* nothing to leave out */
	hollow = xmalloc(len);		/* every span is at least "{}" */
	for (; i < nspans; i++) {
		if (spans[i].len == 0)
			continue;
		memcpy(hollow + n, text + at, spans[i].off - at);
		n += spans[i].off - at;
		memcpy(hollow + n, "{}", 2);
		n += 2;
		at = spans[i].off + spans[i].len;
	}
	memcpy(hollow + n, text + at, len - at);
	n += len - at;
	req = json_loadb(hollow, n, JSON_REJECT_DUPLICATES, jerr);
	free(hollow);
	if (req != NULL)
		return req;
	/* Not expected (jsonv was sure); jansson on the text decides. */
 plain:
	memset(spans, 0, nspans * sizeof(*spans));
	return json_loadb(text, len, JSON_REJECT_DUPLICATES, jerr);
}

/*
 * Parse and check a POST /v1/messages body (api.h). Everything but the ref's
 * store lookup and the submission itself, so that it can be fuzzed.
 */
int
api_parse_submit(const char *text, size_t len, uint64_t max_body,
    struct msg *m, char **bodybuf, char ref_out[ID_HEX_LEN + 1], int *status,
    char *err, size_t errlen)
{
	struct jsonv_span span;
	json_error_t jerr;
	json_t *req;
	int rc;

	*bodybuf = NULL;
	ref_out[0] = '\0';
	memset(m, 0, sizeof(*m));
	if (len == 0)
		return parse_fail(status, 400, err, errlen,
		    "request body must be a JSON object");
	if ((req = load_request(text, len, NULL, &span, 1, &jerr)) == NULL)
		return parse_fail(status, 400, err, errlen, "malformed JSON at "
		    "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
	rc = api_parse_submit_obj(req, max_body, span.len > 0 ? text +
	    span.off : NULL, span.len, m, bodybuf, ref_out, status, err,
	    errlen);
	json_decref(req);
	return rc;
}

/* POST /v1/messages */
static void
h_submit(struct api_req *q)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(q->r);
	struct hotlined *d = q->d;
	struct msg m;
	json_t *v;
	const char *errmsg = NULL;
	char id[ID_HEX_LEN + 1], ref[ID_HEX_LEN + 1], refid[ID_HEX_LEN + 1];
	char loc[128], err[256];
	char *body = NULL;
	unsigned char *p = NULL;
	int status = 0;
	size_t len;
	uint64_t t_in = TRACE_NOW();

	(void)t_in;
	len = evbuffer_get_length(in);
	if (len > d->cf.api_max_request) {
		api_reply_error(q, 413, "request body larger than %llu bytes",
		    (unsigned long long)d->cf.api_max_request);
		return;
	}
	if (len > 0 && (p = evbuffer_pullup(in, (ev_ssize_t)len)) == NULL) {
		api_reply_error(q, 500, "cannot read the request body");
		return;
	}
	if (api_parse_submit(len > 0 ? (const char *)p : "", len,
	    d->cf.max_body, &m, &body, ref, &status, err, sizeof(err)) == -1) {
		api_reply_error(q, status, "%s", err);
		return;
	}
	if (!api_may_write(&q->who, m.channel)) {
		api_reply_channel_denied(q, m.channel, 1);
		goto done;
	}
	if (ref[0] != '\0') {
		if (resolve_id(q, ref, "ref", refid) == -1)
			goto done;
		if (hex_decode(refid, m.ref, MSG_ID_LEN) == -1) {
			api_reply_error(q, 500, "internal error: bad stored id");
			goto done;
		}
		m.has_ref = true;
	}

	if (deliver_submit_as(d, &m, q->who.account, id, &status,
	    &errmsg) == -1) {
		if (status < 400 || status > 599)
			status = 500;
		api_reply_error(q, status, "%s", errmsg != NULL ? errmsg :
		    "cannot accept the message");
		goto done;
	}
	TRACE_FLASH("post", m.channel, m.prec, m.seq, t_in);
	if (snprintf(loc, sizeof(loc), "/v1/messages/%s", id) < (int)sizeof(loc))
		evhttp_add_header(evhttp_request_get_output_headers(q->r),
		    "Location", loc);
	v = json_pack("{s:s, s:s}", "id", id, "state",
	    msg_state_name(ST_QUEUED));
	api_reply_json(q, 201, v);
 done:
	free(body);
}

#define API_BATCH_MAX	1000	/* messages per POST /v1/messages/batch */
/* Messages of a batch stored per event-loop turn (deliver_batch_step). */
#define API_BATCH_STEP	50
/* Times a batch being stored is rolled back for urgent work before it
 * no longer yields (store.h: the long transaction). */
#define API_BATCH_YIELDS	4
/* A batch held off by the store (store_held) looks again this often. */
#define API_BATCH_HELD_US	1000

/*
 * A POST /v1/messages/batch while its request is parsed, every message
 * checked and each body serialised on the API worker thread (worker.c;
 * batch_prep: jansson only, no store, no libevent). The event loop then
 * does the rest in batch_done: roles, refs, sequencing, signing, one
 * transaction.
 */
struct batch_job {
	struct api_req	 q;		/* a copy: who and the request */
	char		*text;		/* the request body (owned) */
	size_t		 len;
	uint64_t	 max_body;
	/* Set by batch_prep. */
	size_t		 n;		/* messages in the request */
	size_t		 nok;		/* parsed, in order, before a bad one */
	struct msg	*ms;
	char		**bodies;
	char		(*refs)[ID_HEX_LEN + 1];
	int		 status;	/* 0, or the error of messages[nok] */
	int		 whole;		/* the error is the request's */
	char		 err[256];
	/* Being stored, over several loop turns (batch_step). */
	struct deliver_batch *db;
	char		(*ids)[ID_HEX_LEN + 1];
	struct event	*step;		/* the next part */
	int		 yields;	/* rolled back for urgent work */
};

/* On the worker thread: what h_submit_batch did before the store. */
static void	batch_stepcb(evutil_socket_t, short, void *);
static void	batch_refused(struct api_req *, int, int, const char *);
static void	batch_resolve(void *, bool);

static void
batch_prep(void *arg)
{
	static const char *const fields[] = { "messages", NULL };
	struct batch_job *j = arg;
	struct jsonv_span *spans = NULL;
	json_error_t jerr;
	json_t *req = NULL, *arr;
	size_t i;

	j->whole = 1;
	j->status = 400;
	if (j->len == 0) {
		(void)snprintf(j->err, sizeof(j->err), "request body must be a "
		    "JSON object");
		goto done;
	}
	spans = xcalloc(API_BATCH_MAX, sizeof(*spans));
	if ((req = load_request(j->text, j->len, "messages", spans,
	    API_BATCH_MAX, &jerr)) == NULL) {
		(void)snprintf(j->err, sizeof(j->err), "malformed JSON at line "
		    "%d column %d: %s", jerr.line, jerr.column, jerr.text);
		goto done;
	}
	if (!json_is_object(req)) {
		(void)snprintf(j->err, sizeof(j->err), "request body must be a "
		    "JSON object");
		goto done;
	}
	if (fields_check(req, fields, j->err, sizeof(j->err)) == -1)
		goto done;
	arr = json_object_get(req, "messages");
	if (!json_is_array(arr) || (j->n = json_array_size(arr)) == 0 ||
	    j->n > API_BATCH_MAX) {
		(void)snprintf(j->err, sizeof(j->err), "\"messages\" must be an "
		    "array of 1..%d messages", API_BATCH_MAX);
		goto done;
	}
	j->whole = 0;
	j->status = 0;
	j->ms = xcalloc(j->n, sizeof(*j->ms));
	j->bodies = xcalloc(j->n, sizeof(*j->bodies));
	j->refs = xcalloc(j->n, sizeof(*j->refs));
	/* Parsed once with the request: checked in place. */
	for (i = 0; i < j->n; i++) {
		if (api_parse_submit_obj(json_array_get(arr, i), j->max_body,
		    spans[i].len > 0 ? j->text + spans[i].off : NULL,
		    spans[i].len, &j->ms[i], &j->bodies[i], j->refs[i],
		    &j->status, j->err, sizeof(j->err)) == -1)
			break;
		j->status = 0;
	}
	j->nok = i;
 done:
	json_decref(req);	/* the request's tree is freed here too */
	free(spans);
	free(j->text);
	j->text = NULL;
}

static void
batch_job_free(struct batch_job *j)
{
	size_t i;

	if (j->step != NULL)
		event_free(j->step);
	deliver_batch_free(j->db);	/* rolls back what is not committed */
	free(j->ids);
	if (j->bodies != NULL)
		for (i = 0; i < j->n; i++)
			free(j->bodies[i]);
	free(j->bodies);
	free(j->refs);
	free(j->ms);
	free(j->text);
	free(j);
}

/*
 * On the event loop, once batch_prep has run: answer the request. A client
 * that hung up meanwhile left a request without a connection: nothing is
 * accepted for it. cancelled: the daemon is stopping (api_jobs_stop).
 */
static void
batch_done(void *arg, int cancelled)
{
	struct batch_job *j = arg;
	struct api_req *q = &j->q;
	struct hotlined *d = q->d;
	char refid[ID_HEX_LEN + 1];
	const char *errmsg = NULL;
	size_t i;
	int status = 0, bad = -1;
	TRACE_BEGIN(t0);

	if (evhttp_request_get_connection(q->r) == NULL) {
		/* Orphaned by evhttp (the client went away): ours to free. */
		log_debug("api: batch client went away; nothing accepted");
		evhttp_request_free(q->r);
		goto done;
	}
	if (cancelled)
		goto done;	/* evhttp_free() frees the request */
	if (j->whole) {
		api_reply_error(q, j->status, "%s", j->err);
		goto done;
	}
	for (i = 0; i < j->nok; i++) {
		if (!api_may_write(&q->who, j->ms[i].channel)) {
			api_reply_error(q, 403, "messages[%zu]: your role may not "
			    "send on the %s channel", i,
			    channel_name(j->ms[i].channel));
			goto done;
		}
		if (j->refs[i][0] != '\0') {
			if (resolve_id(q, j->refs[i], "ref", refid) == -1)
				goto done;
			if (hex_decode(refid, j->ms[i].ref, MSG_ID_LEN) == -1) {
				api_reply_error(q, 500, "internal error: bad id");
				goto done;
			}
			j->ms[i].has_ref = true;
		}
	}
	if (j->nok < j->n) {
		api_reply_error(q, j->status, "messages[%zu]: %s", j->nok,
		    j->err);
		goto done;
	}
	/* Routed, sequenced and signed now; stored in parts (batch_step). */
	if ((j->db = deliver_batch_new(d, j->ms, (int)j->n, q->who.account,
	    batch_resolve, j, &bad, &status, &errmsg)) == NULL) {
		batch_refused(q, status, bad, errmsg);
		goto done;
	}
	if ((j->step = evtimer_new(d->base, batch_stepcb, j)) == NULL) {
		api_reply_error(q, 500, "out of memory");
		goto done;
	}
	j->ids = xcalloc(j->n, sizeof(*j->ids));
	d->api->storing = j;
	batch_stepcb(-1, 0, j);
	TRACE_END("batch_done", NULL, t0);
	return;
 done:
	batch_job_free(j);
	TRACE_END("batch_done", NULL, t0);
}

static void
batch_refused(struct api_req *q, int status, int bad, const char *errmsg)
{
	if (status < 400 || status > 599)
		status = 500;
	if (bad >= 0)
		api_reply_error(q, status, "messages[%d]: %s", bad,
		    errmsg != NULL ? errmsg : "refused");
	else
		api_reply_error(q, status, "%s", errmsg != NULL ? errmsg :
		    "cannot accept the messages");
}

/* The batch being stored is done with, answered or not. */
static void
batch_end(struct batch_job *j)
{
	if (j->q.d->api->storing == j)
		j->q.d->api->storing = NULL;
	batch_job_free(j);
}

/* The batch is committed and on disk (ok), or its sync failed: answer. */
static void
batch_durable(void *arg, bool ok)
{
	struct batch_job *j = arg;
	struct api_req *q = &j->q;
	json_t *out;
	size_t i;

	if (evhttp_request_get_connection(q->r) == NULL) {
		/* Gone after the commit: stored, unanswered (API.md). */
		evhttp_request_free(q->r);
	} else if (!ok)
		api_reply_error(q, 503, "the message store failed to sync");
	else {
		out = json_array();
		for (i = 0; i < j->n; i++)
			json_array_append_new(out, json_string(j->ids[i]));
		api_reply_json(q, 201, json_pack("{s:o}", "ids", out));
	}
	batch_end(j);
}

/*
 * Everything stored (or storing the rest now): commit, without waiting
 * for the WAL's sync on the loop; answered in batch_durable once the sync
 * thread has synced it (store.h: lazy commits).
 */
static void
batch_finish(struct batch_job *j)
{
	struct api_req *q = &j->q;
	const char *errmsg = NULL;
	int status = 0, rc;

	/* Called from batch_stepcb, or from batch_resolve between two turns:
	 * no further turn then. */
	evtimer_del(j->step);
	if (evhttp_request_get_connection(q->r) == NULL) {
		/* The client went away before the commit: nothing stored. */
		log_debug("api: batch client went away; nothing accepted");
		evhttp_request_free(q->r);
		batch_end(j);
	} else if ((rc = deliver_batch_commit_lazy(j->db, j->ids, &status,
	    &errmsg, batch_durable, j)) == -1) {
		batch_refused(q, status, -1, errmsg);
		batch_end(j);
	} else if (rc == 1)
		batch_durable(j, true);
	/* else: batch_durable follows */
}

/*
 * Other work begins a transaction while the batch's is open (store.h):
 * urgent work goes first, up to API_BATCH_YIELDS times per batch (the
 * batch is rolled back and stored again from the next turn); anything
 * else waits for the batch, which is stored whole and committed now.
 */
static void
batch_resolve(void *arg, bool preempt)
{
	struct batch_job *j = arg;
	struct timeval zero = { 0, 0 };

	if (preempt && j->yields < API_BATCH_YIELDS) {
		j->yields++;
		deliver_batch_rollback(j->db);
		evtimer_add(j->step, &zero);
		return;
	}
	batch_finish(j);
}

/* Store the next API_BATCH_STEP messages of the batch, in its open
 * transaction; come back next turn for more, or commit. A batch not begun
 * yet waits while the store holds bulk writes off (store_held: a
 * checkpoint's last pass), and a batch of bulk messages while urgent
 * traffic of ours is in flight (deliver_batch_yields), looking again every
 * API_BATCH_HELD_US. */
static void
batch_stepcb(evutil_socket_t fd, short ev, void *arg)
{
	struct batch_job *j = arg;
	struct timeval zero = { 0, 0 };
	struct timeval held = { 0, API_BATCH_HELD_US };
	int rc;
	TRACE_BEGIN(t0);

	(void)fd;
	(void)ev;
	if (evhttp_request_get_connection(j->q.r) != NULL &&
	    ((!deliver_batch_open(j->db) && store_held(j->q.d->st)) ||
	    deliver_batch_yields(j->db))) {
		evtimer_add(j->step, &held);
		return;
	}
	if (evhttp_request_get_connection(j->q.r) == NULL) {
		log_debug("api: batch client went away; nothing accepted");
		evhttp_request_free(j->q.r);
		batch_end(j);	/* rolls back */
	} else if ((rc = deliver_batch_step(j->db, API_BATCH_STEP)) == -1) {
		batch_refused(&j->q, 503, -1,
		    "the message store failed; nothing accepted");
		batch_end(j);
	} else if (rc == 1)
		batch_finish(j);
	else
		evtimer_add(j->step, &zero);
	TRACE_END("batch_step", NULL, t0);
}

/*
 * POST /v1/messages/batch {"messages": [ {as POST /v1/messages}, ... ]}:
 * up to API_BATCH_MAX messages accepted in one transaction, all or none.
 * 201 {"ids": [...]} in request order; on a bad element, its index is in
 * the error message and nothing is accepted. The parsing runs on the API
 * worker (batch_prep) while the loop serves other requests and the links;
 * without a worker thread, inline.
 */
static void
h_submit_batch(struct api_req *q)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(q->r);
	struct batch_job *j;
	size_t len = evbuffer_get_length(in);

	if (len > q->d->cf.api_max_request) {
		api_reply_error(q, 413, "request body larger than %llu bytes",
		    (unsigned long long)q->d->cf.api_max_request);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->q = *q;
	j->max_body = q->d->cf.max_body;
	j->len = len;
	j->text = xmalloc(len + 1);
	if (evbuffer_remove(in, j->text, len) != (int)len) {
		batch_job_free(j);
		api_reply_error(q, 500, "cannot read the request body");
		return;
	}
	if (worker_submit(q->d->api->w, batch_prep, j, batch_done, j, 0,
	    1) == -1) {
		batch_prep(j);
		batch_done(j, 0);
	}
}

/*
 * Parse a time filter: UTC milliseconds as a decimal integer, or RFC 3339
 * "YYYY-MM-DDTHH:MM:SS[.fff]" followed by "Z" or "+HH:MM"/"-HH:MM".
 * 0 or -1.
 */
static int
take_digits(const char **s, int n, int *out)
{
	int v = 0;

	while (n-- > 0) {
		if (!isdigit((unsigned char)**s))
			return -1;
		v = v * 10 + (**s - '0');
		(*s)++;
	}
	*out = v;
	return 0;
}

static int
take_char(const char **s, const char *set)
{
	if (**s == '\0' || strchr(set, **s) == NULL)
		return -1;
	(*s)++;
	return 0;
}

static int
parse_time(const char *s, uint64_t *out)
{
	struct tm tm;
	time_t t;
	int y, mo, da, h, mi, se, oh = 0, om = 0, ms = 0, sign = 0, digit, n;
	int64_t v;

	if (s == NULL)
		return -1;
	if (parse_u64(s, 0, (uint64_t)INT64_MAX, out) == 0)
		return 0;
	if (take_digits(&s, 4, &y) == -1 || take_char(&s, "-") == -1 ||
	    take_digits(&s, 2, &mo) == -1 || take_char(&s, "-") == -1 ||
	    take_digits(&s, 2, &da) == -1 || take_char(&s, "Tt ") == -1 ||
	    take_digits(&s, 2, &h) == -1 || take_char(&s, ":") == -1 ||
	    take_digits(&s, 2, &mi) == -1 || take_char(&s, ":") == -1 ||
	    take_digits(&s, 2, &se) == -1)
		return -1;
	if (*s == '.') {
		s++;
		for (n = 0; isdigit((unsigned char)*s); n++, s++) {
			digit = *s - '0';
			if (n < 3)
				ms = ms * 10 + digit;
			if (n > 9)
				return -1;
		}
		if (n == 0)
			return -1;
		for (; n < 3; n++)
			ms *= 10;
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else {
		sign = *s == '-' ? -1 : 1;
		if (take_char(&s, "+-") == -1 ||
		    take_digits(&s, 2, &oh) == -1 || take_char(&s, ":") == -1 ||
		    take_digits(&s, 2, &om) == -1 || oh > 23 || om > 59)
			return -1;
	}
	if (*s != '\0' || y < 1970 || mo < 1 || mo > 12 || da < 1 ||
	    da > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = da;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	/* timegm normalises 31 February into March: refuse that. */
	if (tm.tm_mday != da || tm.tm_mon != mo - 1)
		return -1;
	v = (int64_t)t - (int64_t)sign * (oh * 3600 + om * 60);
	if (v < 0)
		return -1;
	*out = (uint64_t)v * 1000 + (uint64_t)ms;
	return 0;
}

struct list_ctx {
	struct hotlined	*d;
	const struct api_who *who;
	struct evbuffer	*out;		/* the rows' JSON, comma-separated */
	int		 n;		/* rows listed */
	int		 limit;
	int		 scanned;	/* rows the store handed over */
	uint64_t	 last_rid;
	int		 failed;
};
/* Store pages scanned at most for a role that reads only some channels. */
#define API_LIST_SCAN_PAGES	20

static int
list_cb(void *arg, const struct msg_row *row)
{
	struct list_ctx *lc = arg;
	json_t *o;
	bool copy;
	int bad;

	lc->scanned++;
	lc->last_rid = row->rid;
	if (!api_may_read(lc->who, row->m.channel))
		return 0;
	o = msg_json(lc->d, row, &copy);
	bad = o == NULL || (lc->n > 0 && evbuffer_add(lc->out, ",", 1) ==
	    -1) || dump_json(lc->out, o, copy ? &row->m : NULL) == -1;
	json_decref(o);
	if (bad) {
		lc->failed = 1;
		return -1;
	}
	lc->n++;
	return lc->n >= lc->limit ? -1 : 0;
}

/*
 * The page of f that q->who may read into lc (lc->out made here; the
 * caller frees it, list_done). A role that reads only some channels skips
 * the others' rows, reading further pages until the page is full
 * (bounded); f's cursor moves along. 0, or -1 after answering an error.
 */
static int
list_run(struct api_req *q, struct msg_filter *f, struct list_ctx *lc)
{
	int pages;

	memset(lc, 0, sizeof(*lc));
	lc->d = q->d;
	lc->who = &q->who;
	lc->limit = f->limit;
	if ((lc->out = evbuffer_new()) == NULL) {
		api_reply_error(q, 500, "out of memory");
		return -1;
	}
	for (pages = 0; pages < API_LIST_SCAN_PAGES; pages++) {
		lc->scanned = 0;
		if (store_msg_list(q->d->st, f, list_cb, lc) == -1 ||
		    lc->failed) {
			if (lc->failed)
				api_reply_error(q, 500, "cannot build the "
				    "message list");
			else
				api_reply_error(q, 503, "store unavailable");
			return -1;
		}
		if (lc->scanned > 0 && f->after)
			f->after_rid = lc->last_rid;
		if (lc->n >= lc->limit || lc->scanned < f->limit)
			break;
		if (!f->after)
			f->before_rid = lc->last_rid;
	}
	return 0;
}

/*
 * Answer with lc's page: {"messages", "next"}. Paging back (newest
 * first), a full page may have a next one: the cursor is the last row id
 * (null after the last page). A feed (f->after) always gets one: where to
 * go on from, past every row it scanned.
 */
static void
list_reply(struct api_req *q, const struct msg_filter *f,
    struct list_ctx *lc)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(q->r);
	uint64_t next = 0;
	bool ok;

	if (f->after)
		next = f->after_rid;
	else if ((lc->n >= lc->limit || lc->scanned == f->limit) &&
	    lc->last_rid > 1)
		next = lc->last_rid;
	/* The rows are JSON text already (list_cb); the frame around them is
	 * written here. */
	ok = evbuffer_add(out, "{\"messages\":[", 13) == 0 &&
	    evbuffer_add_buffer(out, lc->out) == 0 &&
	    (f->after || next != 0 ? evbuffer_add_printf(out,
	    "],\"next\":\"%llu\"}", (unsigned long long)next) > 0 :
	    evbuffer_add(out, "],\"next\":null}", 14) == 0);
	reply_send(q, 200, ok);
}

/* Free what list_run made. */
static void
list_done(struct list_ctx *lc)
{
	if (lc->out != NULL)
		evbuffer_free(lc->out);
	lc->out = NULL;
}

static void	feed_wait(struct api_req *, const struct msg_filter *,
		    uint64_t);

/* GET /v1/messages */
static void
h_list(struct api_req *q)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(q->r);
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq params;
	struct evkeyval *kv, *kv2;
	struct msg_filter f;
	struct list_ctx lc;
	uint64_t v, wait = 0;
	int parsed = 0;

	memset(&f, 0, sizeof(f));
	f.dir = -1;
	f.state = -1;
	f.limit = API_LIST_DEFAULT;
	memset(&lc, 0, sizeof(lc));
	TAILQ_INIT(&params);
	if (query != NULL) {
		if (evhttp_parse_query_str(query, &params) == -1) {
			api_reply_error(q, 400, "malformed query string");
			goto done;
		}
		parsed = 1;
	}
	TAILQ_FOREACH(kv, &params, next) {
		for (kv2 = TAILQ_NEXT(kv, next); kv2 != NULL;
		    kv2 = TAILQ_NEXT(kv2, next))
			if (strcmp(kv->key, kv2->key) == 0) {
				api_reply_error(q, 400, "parameter \"%.32s\" given "
				    "twice", kv->key);
				goto done;
			}
		if (strcmp(kv->key, "channel") == 0) {
			if ((f.channel = channel_from_name(kv->value)) == -1) {
				api_reply_error(q, 400, "channel: unknown \"%.32s\"",
				    kv->value);
				goto done;
			}
		} else if (strcmp(kv->key, "peer") == 0) {
			if (!party_id_valid(kv->value)) {
				api_reply_error(q, 400, "peer: not a party id");
				goto done;
			}
			f.peer = kv->value;
		} else if (strcmp(kv->key, "state") == 0) {
			if ((f.state = msg_state_from_name(kv->value)) == -1) {
				api_reply_error(q, 400, "state: unknown \"%.32s\" "
				    "(queued, sent, delivered, acknowledged)",
				    kv->value);
				goto done;
			}
		} else if (strcmp(kv->key, "dir") == 0) {
			if (strcmp(kv->value, "in") == 0)
				f.dir = DIR_IN;
			else if (strcmp(kv->value, "out") == 0)
				f.dir = DIR_OUT;
			else {
				api_reply_error(q, 400, "dir: expected in or out");
				goto done;
			}
		} else if (strcmp(kv->key, "since") == 0) {
			if (parse_time(kv->value, &f.since) == -1) {
				api_reply_error(q, 400, "since: expected UTC "
				    "milliseconds or an RFC 3339 time such as "
				    "2026-11-23T09:00:00Z");
				goto done;
			}
		} else if (strcmp(kv->key, "limit") == 0) {
			if (parse_u64(kv->value, 1, API_LIST_MAX, &v) == -1) {
				api_reply_error(q, 400, "limit: expected 1 to %d",
				    API_LIST_MAX);
				goto done;
			}
			f.limit = (int)v;
		} else if (strcmp(kv->key, "before") == 0) {
			if (parse_u64(kv->value, 1, (uint64_t)INT64_MAX,
			    &f.before_rid) == -1) {
				api_reply_error(q, 400, "before: not a cursor "
				    "returned as \"next\"");
				goto done;
			}
		} else if (strcmp(kv->key, "after") == 0) {
			if (parse_u64(kv->value, 0, (uint64_t)INT64_MAX,
			    &f.after_rid) == -1) {
				api_reply_error(q, 400, "after: 0 or a cursor "
				    "returned as \"next\"");
				goto done;
			}
			f.after = true;
		} else if (strcmp(kv->key, "wait") == 0) {
			if (parse_u64(kv->value, 0, API_WAIT_MAX_MS, &wait) ==
			    -1) {
				api_reply_error(q, 400, "wait: 0..%d ms",
				    API_WAIT_MAX_MS);
				goto done;
			}
		} else {
			api_reply_error(q, 400, "unknown parameter \"%.32s\"",
			    kv->key);
			goto done;
		}
	}

	if (f.channel != 0 && !api_may_read(&q->who, f.channel)) {
		api_reply_channel_denied(q, f.channel, 0);
		goto done;
	}
	if (f.after && f.before_rid != 0) {
		api_reply_error(q, 400, "after and before: one or the other");
		goto done;
	}
	if (wait > 0 && !f.after) {
		api_reply_error(q, 400, "wait: only with after");
		goto done;
	}
	if (list_run(q, &f, &lc) == -1)
		goto done;
	if (f.after && wait > 0 && lc.n == 0) {
		feed_wait(q, &f, wait);
		goto done;
	}
	list_reply(q, &f, &lc);
 done:
	list_done(&lc);
	if (parsed)
		evhttp_clear_headers(&params);
}

struct rcpt_ctx {
	struct hotlined	*d;
	json_t		*arr;	/* receipt objects, oldest first */
	int		 failed;
};

static int
rcpt_cb(void *arg, const struct receipt_row *rr)
{
	struct rcpt_ctx *rc = arg;
	const struct receipt *r = &rr->r;
	json_t *o;

	int errs = 0;

	if ((o = json_object()) == NULL)
		goto fail;
	errs |= json_object_set_new(o, "id", j_hex(r->id, MSG_ID_LEN));
	errs |= json_object_set_new(o, "seq", j_u64(r->seq));
	errs |= json_object_set_new(o, "time", api_j_time(r->time));
	errs |= json_object_set_new(o, "signed_by", json_string(r->to));
	errs |= json_object_set_new(o, "key",
	    j_str_or_null(party_key(rc->d, r->to)));
	errs |= json_object_set_new(o, "algorithm", json_string("ed25519"));
	/* Receipts are verified before they are stored (deliver.c). */
	errs |= json_object_set_new(o, "verified", json_true());
	if (errs) {
		json_decref(o);
		goto fail;
	}
	if (json_array_append_new(rc->arr, o) == -1)	/* o is released */
		goto fail;
	return 0;
 fail:
	rc->failed = 1;
	return -1;
}

/* Append {"event": name, "time": t} (plus o's fields if o set) to hist. */
static int
add_event(json_t *hist, const char *name, uint64_t t, json_t *extra)
{
	json_t *e;

	if ((e = json_object()) == NULL)
		goto fail;
	if (json_object_set_new(e, "event", json_string(name)) == -1 ||
	    json_object_set_new(e, "time", api_j_time(t)) == -1)
		goto fail;
	if (extra != NULL && json_object_update(e, extra) == -1)
		goto fail;
	json_decref(extra);
	return json_array_append_new(hist, e);
 fail:
	json_decref(e);
	json_decref(extra);
	return -1;
}

/*
 * The history of a message in its logical order (accepted, sent, delivered,
 * acknowledged; or received, acknowledged). Times come from different
 * clocks: "delivered" is the receiver's time from its signed receipt.
 */
static json_t *
history_json(struct hotlined *d, const struct msg_row *row, json_t *rcpts)
{
	json_t *hist, *rc = NULL, *x;
	const char *ackby, *xid;
	uint64_t t;
	size_t i;
	int errs = 0;

	if ((hist = json_array()) == NULL)
		return NULL;
	/* The receipt that marked it delivered, else the first covering it. */
	for (i = 0; i < json_array_size(rcpts); i++) {
		x = json_array_get(rcpts, i);
		xid = json_string_value(json_object_get(x, "id"));
		if (rc == NULL)
			rc = x;
		if (xid != NULL && strcmp(xid, row->receipt_id) == 0) {
			rc = x;
			break;
		}
	}
	if (row->dir == DIR_OUT) {
		errs |= add_event(hist, "accepted", row->accepted, NULL);
		if (row->sent != 0)
			errs |= add_event(hist, "sent", row->sent, NULL);
		if (row->received != 0 || rc != NULL) {
			t = row->received;
			if (t == 0 && rc != NULL)
				parse_time(json_string_value(json_object_get(rc,
				    "time")), &t);
			errs |= add_event(hist, "delivered", t, rc != NULL ?
			    json_pack("{s:O}", "receipt", rc) : NULL);
		}
		ackby = row->peer;
	} else {
		errs |= add_event(hist, "received", row->received, rc != NULL ?
		    json_pack("{s:O}", "receipt", rc) : NULL);
		ackby = d->cf.party;
	}
	if (row->ack_id[0] != '\0') {
		char op[API_ACCOUNT_MAX + 1];

		/* Our ack of an inbound message names our operator. */
		if (row->dir != DIR_IN || store_msg_operator(d->st, row->ack_id,
		    op, sizeof(op)) != 0)
			op[0] = '\0';
		errs |= add_event(hist, "acknowledged", row->acked,
		    json_pack("{s:s, s:s, s:o}", "ack_id", row->ack_id, "by",
		    ackby, "operator", j_str_or_null(op)));
	}
	if (errs) {
		json_decref(hist);
		return NULL;
	}
	return hist;
}

/* GET /v1/messages/{id} */
static void	show_row(struct api_req *, const struct msg_row *,
		    const struct receipt_row *, int);

static void
show_reply(struct api_req *q, const char *idarg)
{
	struct msg_row row;
	char id[ID_HEX_LEN + 1];

	/* A whole id needs no prefix search: the lookup below says 404. */
	if (hex_prefix(idarg, ID_HEX_LEN, id) == -1 && resolve_id(q, idarg,
	    "id", id) == -1)
		return;
	memset(&row, 0, sizeof(row));
	switch (store_msg_get(q->d->st, id, &row)) {
	case 0:
		show_row(q, &row, NULL, 0);
		msg_row_clear(&row);
		return;
	case 1:
		api_reply_error(q, 404, "no message %s", id);
		return;
	default:
		api_reply_error(q, 503, "store unavailable");
		return;
	}
}

/* Answer with row (looked up by the caller), if q->who may read it: the
 * message object with its operator, history and receipts (the stored ones,
 * then extra[nextra]: receipts verified but not stored yet). */
static void
show_row(struct api_req *q, const struct msg_row *row,
    const struct receipt_row *extra, int nextra)
{
	struct rcpt_ctx rc;
	char id[ID_HEX_LEN + 1], op[API_ACCOUNT_MAX + 1];
	json_t *o = NULL, *hist;
	bool copy;
	int i, n;

	if (!api_may_read(&q->who, row->m.channel)) {
		api_reply_channel_denied(q, row->m.channel, 0);
		return;
	}
	memset(&rc, 0, sizeof(rc));
	memcpy(id, row->id, sizeof(id));
	rc.d = q->d;
	if ((rc.arr = json_array()) == NULL) {
		api_reply_error(q, 500, "out of memory");
		goto done;
	}
	if ((n = store_receipts_for(q->d->st, row, rcpt_cb, &rc)) == -1) {
		api_reply_error(q, rc.failed ? 500 : 503, rc.failed ?
		    "cannot build the receipts" : "store unavailable");
		goto done;
	}
	for (i = 0; i < nextra && n + i < RECEIPTS_FOR_MAX; i++)
		if (rcpt_cb(&rc, &extra[i]) == -1) {
			api_reply_error(q, 500, "cannot build the receipts");
			goto done;
		}
	if (row->dir != DIR_OUT || store_msg_operator(q->d->st, id, op,
	    sizeof(op)) != 0)
		op[0] = '\0';
	if ((o = msg_json(q->d, row, &copy)) == NULL ||
	    json_object_set_new(o, "operator", j_str_or_null(op)) == -1 ||
	    (hist = history_json(q->d, row, rc.arr)) == NULL ||
	    json_object_set_new(o, "history", hist) == -1 ||
	    json_object_set(o, "receipts", rc.arr) == -1) {
		api_reply_error(q, 500, "cannot build the message");
		goto done;
	}
	reply_send(q, 200, dump_json(evhttp_request_get_output_buffer(q->r),
	    o, copy ? &row->m : NULL) == 0);
 done:
	json_decref(o);
	json_decref(rc.arr);
}

/* Whether the caller may answer on message id's channel: 0, or -1 after
 * answering. */
static int
check_write(struct api_req *q, const char *id)
{
	struct msg_row row;
	int rc, ch;

	if (q->who.role == ROLE_ADMIN)
		return 0;
	if ((rc = store_msg_get(q->d->st, id, &row)) != 0) {
		api_reply_error(q, rc == 1 ? 404 : 503, rc == 1 ?
		    "no message %s" : "store unavailable", id);
		return -1;
	}
	ch = row.m.channel;
	msg_row_clear(&row);
	if (!api_may_write(&q->who, ch)) {
		api_reply_channel_denied(q, ch, 1);
		return -1;
	}
	return 0;
}

static void
waiter_free(struct waiter *w)
{
	TAILQ_REMOVE(&w->a->waiters, w, entry);
	w->a->nwaiters--;
	w->a->nfeeds -= w->feed;
	event_free(w->timer);
	free(w);
}

/* Answer a feed with what it finds now (maybe nothing): 0; or -1, not
 * answered (nothing yet, and not timeout). */
static int
feed_answer(struct waiter *w, bool timeout)
{
	struct api_req q = { w->d, w->r, w->who };
	struct msg_filter f = w->f;
	struct list_ctx lc;

	if (list_run(&q, &f, &lc) == -1) {
		waiter_free(w);		/* answered with the error */
		list_done(&lc);
		return 0;
	}
	w->f.after_rid = f.after_rid;	/* past rows it may not read */
	if (lc.n == 0 && !timeout) {
		list_done(&lc);
		return -1;
	}
	waiter_free(w);
	list_reply(&q, &f, &lc);
	list_done(&lc);
	return 0;
}

/* Answer a waiter with the message (or the feed) as it is now: from row
 * (and extra, as show_row) if the caller has it, else looked up. */
static void
waiter_answer(struct waiter *w, const struct msg_row *row,
    const struct receipt_row *extra, int nextra)
{
	struct api_req q = { w->d, w->r, w->who };
	char id[ID_HEX_LEN + 1];

	if (w->feed) {
		(void)feed_answer(w, true);
		return;
	}
	memcpy(id, w->id, sizeof(id));
	waiter_free(w);
	if (row != NULL)
		show_row(&q, row, extra, nextra);	/* looked up by the caller */
	else
		show_reply(&q, id);
}

static void
waiter_timeout(evutil_socket_t fd, short ev, void *arg)
{
	waiter_answer(arg, NULL, NULL, 0);
}

/* Hold q for up to timeout ms: a waiter, or NULL after answering 503. */
static struct waiter *
waiter_new(struct api_req *q, uint64_t timeout)
{
	struct api *a = q->d->api;
	struct waiter *w;
	struct timeval tv;

	if (a->nwaiters >= q->d->cf.api_max_clients) {
		api_reply_error(q, 503, "too many waiting requests");
		return NULL;
	}
	w = xcalloc(1, sizeof(*w));
	w->a = a;
	w->d = q->d;
	w->r = q->r;
	w->evcon = evhttp_request_get_connection(q->r);
	w->who = q->who;
	w->timer = evtimer_new(q->d->base, waiter_timeout, w);
	tv.tv_sec = (time_t)(timeout / 1000);
	tv.tv_usec = (suseconds_t)(timeout % 1000) * 1000;
	evtimer_add(w->timer, &tv);
	TAILQ_INSERT_TAIL(&a->waiters, w, entry);
	a->nwaiters++;
	return w;
}

/* GET /v1/messages?after=CURSOR&wait=MS found nothing yet: hold it until
 * a commit brings a message it may read (api_changed), or the wait ends
 * (then an empty page). */
static void
feed_wait(struct api_req *q, const struct msg_filter *f, uint64_t timeout)
{
	struct waiter *w;

	if ((w = waiter_new(q, timeout)) == NULL)
		return;
	w->feed = true;
	w->f = *f;
	if (f->peer != NULL) {
		(void)snprintf(w->peer, sizeof(w->peer), "%s", f->peer);
		w->f.peer = w->peer;	/* the request's string goes */
	}
	w->a->nfeeds++;
}

/* Someone waits for a message's state (feeds wait for new messages, not
 * for receipts). */
bool
api_waiting(struct hotlined *d)
{
	return d->api != NULL && d->api->nwaiters > d->api->nfeeds;
}

/*
 * Answer the waiters whose message has reached the state they want, each
 * from its row looked up here (one lookup). With cover set, only those
 * whose row cover() changes into the row as receipts verified but not yet
 * stored will leave it (api_changed_early).
 */
static void
answer_waiters(struct hotlined *d, api_cover_fn cover, void *arg)
{
	struct api *a = d->api;
	struct waiter *w, *next;
	struct receipt_row extra[RECEIPTS_FOR_MAX];
	struct msg_row row;
	bool rtx;
	int n;

	if (a == NULL || TAILQ_EMPTY(&a->waiters))
		return;
	/* Each answer reads ~5 statements: under one read lock. */
	rtx = store_read_begin(d->st);
	for (w = TAILQ_FIRST(&a->waiters); w != NULL; w = next) {
		next = TAILQ_NEXT(w, entry);
		if (w->feed) {
			if (cover == NULL)
				(void)feed_answer(w, false);
			continue;
		}
		switch (store_msg_get(d->st, w->id, &row)) {
		case 0:
			n = cover != NULL ? cover(arg, &row, extra,
			    RECEIPTS_FOR_MAX) : 0;
			if ((cover == NULL || n > 0) && row.state >= w->state)
				waiter_answer(w, &row, extra, n);
			msg_row_clear(&row);
			break;
		default:	/* not (yet) here, or the store failed */
			if (cover == NULL && !w->absent)
				waiter_answer(w, NULL, NULL, 0); /* 404, 503 */
			break;
		}
	}
	if (rtx)
		store_read_end(d->st);
}

/* deliver.c calls this after a commit that may have changed states. */
void
api_changed(struct hotlined *d)
{
	events_changed(d);
	answer_waiters(d, NULL, NULL);
}

void
api_changed_early(struct hotlined *d, api_cover_fn cover, void *arg)
{
	answer_waiters(d, cover, arg);
}

/*
 * GET /v1/messages/{id}[?wait=delivered|acknowledged[&timeout=MS]]: with
 * wait, the answer is held until the message reaches that state or the
 * timeout (default 10 s, at most 60 s) passes; either way it is the
 * message as it is then, so the client reads "state". A whole id that is
 * not here (yet) is waited for as well, an inbound message on its way
 * being "delivered" once committed here: 404 if the wait ends first.
 */
static void
h_show(struct api_req *q, const char *idarg)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(q->r);
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq params;
	struct evkeyval *kv;
	struct waiter *w;
	struct msg_row row;
	char id[ID_HEX_LEN + 1];
	uint64_t timeout = API_WAIT_DEFAULT_MS;
	int want = -1, got = -1, parsed = 0;
	bool whole, absent;

	TAILQ_INIT(&params);
	if (query != NULL) {
		if (evhttp_parse_query_str(query, &params) == -1) {
			api_reply_error(q, 400, "malformed query string");
			return;
		}
		parsed = 1;
	}
	TAILQ_FOREACH(kv, &params, next) {
		if (strcmp(kv->key, "wait") == 0) {
			if (strcmp(kv->value, "delivered") == 0)
				want = ST_DELIVERED;
			else if (strcmp(kv->value, "acknowledged") == 0)
				want = ST_ACKED;
			else {
				api_reply_error(q, 400, "wait: \"delivered\" or "
				    "\"acknowledged\"");
				goto done;
			}
		} else if (strcmp(kv->key, "timeout") == 0) {
			if (parse_u64(kv->value, 0, API_WAIT_MAX_MS,
			    &timeout) == -1) {
				api_reply_error(q, 400, "timeout: 0..%d ms",
				    API_WAIT_MAX_MS);
				goto done;
			}
		} else {
			api_reply_error(q, 400, "unknown parameter \"%.32s\"",
			    kv->key);
			goto done;
		}
	}
	if (want == -1) {
		show_reply(q, idarg);
		goto done;
	}
	/* A whole id needs no prefix search, and one not (yet) here is
	 * waited for too: an inbound message on its way ("delivered" =
	 * committed here); 404 if the wait ends first. Its read rights are
	 * checked when it is answered. */
	whole = hex_prefix(idarg, ID_HEX_LEN, id) == 0;
	if (!whole && resolve_id(q, idarg, "id", id) == -1)
		goto done;
	/* One lookup: the answer now, or the read check before waiting. */
	memset(&row, 0, sizeof(row));
	got = store_msg_get(q->d->st, id, &row);
	absent = whole && got != 0;
	if (got == 0 && (timeout == 0 || row.state >= want)) {
		show_row(q, &row, NULL, 0);
		goto done;
	}
	if (got != 0 && (timeout == 0 || !absent)) {
		api_reply_error(q, got == 1 ? 404 : 503, got == 1 ?
		    "no message %s" : "store unavailable", id);
		goto done;
	}
	if (got == 0 && !api_may_read(&q->who, row.m.channel)) {
		api_reply_channel_denied(q, row.m.channel, 0);
		goto done;
	}
	if ((w = waiter_new(q, timeout)) == NULL)
		goto done;
	w->state = want;
	w->absent = absent;
	memcpy(w->id, id, sizeof(id));
	/* Receipts held back for a group commit are wanted now. */
	link_receipts_now(q->d);
 done:
	if (got == 0)
		msg_row_clear(&row);
	if (parsed)
		evhttp_clear_headers(&params);
}

/* POST /v1/messages/{id}/ack */
static void
h_ack(struct api_req *q, const char *idarg)
{
	static const char *const fields[] = { "note", NULL };
	char id[ID_HEX_LEN + 1], ackid[ID_HEX_LEN + 1], loc[128];
	const char *note, *errmsg = NULL;
	json_t *req;
	int status = 0;

	if ((req = api_read_body(q, 1)) == NULL)
		return;
	if (api_check_fields(q, req, fields) == -1 ||
	    get_string(q, req, "note", 0, &note) == -1)
		goto done;
	if (note != NULL && strlen(note) > API_NOTE_MAX) {
		api_reply_error(q, 413, "note longer than %d bytes", API_NOTE_MAX);
		goto done;
	}
	if (resolve_id(q, idarg, "id", id) == -1 || check_write(q, id) == -1)
		goto done;
	if (deliver_ack_as(q->d, id, note, q->who.account, ackid, &status,
	    &errmsg) == -1) {
		if (status < 400 || status > 599)
			status = 500;
		api_reply_error(q, status, "%s", errmsg != NULL ? errmsg :
		    "cannot acknowledge the message");
		goto done;
	}
	if (snprintf(loc, sizeof(loc), "/v1/messages/%s", ackid) <
	    (int)sizeof(loc))
		evhttp_add_header(evhttp_request_get_output_headers(q->r),
		    "Location", loc);
	api_reply_json(q, 201, json_pack("{s:s, s:s}", "id", ackid, "ref", id));
 done:
	json_decref(req);
}

/* The peers array of /v1/peers and /v1/status, or NULL. */
json_t *
api_peers_json(struct hotlined *d)
{
	json_t *arr, *o, *addrs;
	struct peer *p;
	uint64_t pending;
	int i, j, errs = 0;

	if ((arr = json_array()) == NULL)
		return NULL;
	for (i = 0; i < d->npeers && !errs; i++) {
		p = &d->peers[i];
		if ((o = json_object()) == NULL ||
		    json_array_append_new(arr, o) == -1) {
			errs = 1;
			break;
		}
		errs |= json_object_set_new(o, "party",
		    json_string(p->conf->party));
		errs |= json_object_set_new(o, "fingerprint",
		    json_string(p->conf->fingerprint));
		errs |= json_object_set_new(o, "state",
		    json_string(link_state_name(p->state)));
		errs |= json_object_set_new(o, "address",
		    p->state == LINK_UP ? j_str_or_null(p->addr_up) :
		    json_null());
		if ((addrs = json_array()) == NULL)
			errs = 1;
		for (j = 0; addrs != NULL && j < p->conf->naddrs; j++)
			errs |= json_array_append_new(addrs,
			    json_string(p->conf->addrs[j]));
		errs |= json_object_set_new(o, "addresses", addrs);
		errs |= json_object_set_new(o, "rtt_ms", p->rtt_us != 0 ?
		    json_real((double)p->rtt_us / 1000.0) : json_null());
		errs |= json_object_set_new(o, "last_seen", api_j_time(p->last_seen));
		errs |= json_object_set_new(o, "up_since", api_j_time(p->up_since));
		errs |= json_object_set_new(o, "down_since",
		    api_j_time(p->down_since));
		errs |= json_object_set_new(o, "connects", j_u64(p->connects));
		if (store_out_pending(d->st, p->conf->party, &pending) == 0)
			errs |= json_object_set_new(o, "queue", j_u64(pending));
		else
			errs |= json_object_set_new(o, "queue", json_null());
		errs |= json_object_set_new(o, "last_error",
		    j_str_or_null(p->last_error));
	}
	if (errs) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

/* GET /v1/peers */
static void
h_peers(struct api_req *q)
{
	json_t *peers;

	if ((peers = api_peers_json(q->d)) == NULL) {
		api_reply_error(q, 500, "cannot build the peer list");
		return;
	}
	api_reply_json(q, 200, json_pack("{s:o}", "peers", peers));
}

/* GET /v1/status */
static void
h_status(struct api_req *q)
{
	struct hotlined *d = q->d;
	json_t *o, *peers;
	int errs = 0;

	if ((peers = api_peers_json(d)) == NULL || (o = json_object()) == NULL) {
		json_decref(peers);
		api_reply_error(q, 500, "cannot build the status");
		return;
	}
	errs |= json_object_set_new(o, "party", json_string(d->cf.party));
	errs |= json_object_set_new(o, "fingerprint",
	    j_str_or_null(signer_fingerprint(d->signer)));
	errs |= json_object_set_new(o, "version", json_string(HOTLINE_VERSION));
	errs |= json_object_set_new(o, "started", api_j_time(d->started));
	errs |= json_object_set_new(o, "time", api_j_time(now_utc_ms()));
	errs |= json_object_set_new(o, "peers", peers);
	if (errs) {
		json_decref(o);
		api_reply_error(q, 500, "cannot build the status");
		return;
	}
	api_reply_json(q, 200, o);
}

void
api_method_not_allowed(struct api_req *q, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(q->r), "Allow",
	    allow);
	api_reply_error(q, 405, "method not allowed; use %s", allow);
}

/* The one request handler: route by path and method. */
static void
api_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct api *a = arg;
	struct waiter *w, *next;
	size_t i;

	events_conn_closed(a->d, evcon);
	/* A waiter whose client went away must not be answered. */
	for (w = TAILQ_FIRST(&a->waiters); w != NULL; w = next) {
		next = TAILQ_NEXT(w, entry);
		if (w->evcon == evcon)
			waiter_free(w);
	}
	for (i = 0; i < a->nclients; i++)
		if (a->clients[i] == evcon) {
			a->clients[i] = a->clients[--a->nclients];
			return;
		}
}

/*
 * Admit the connection of a request: 0 if it is (or now becomes) one of at
 * most api_max_clients open clients, -1 if the limit is reached. Only that
 * client is refused; the others go on.
 */
static int
api_admit(struct hotlined *d, struct evhttp_request *r)
{
	struct api *a = d->api;
	struct evhttp_connection *evcon = evhttp_request_get_connection(r);
	size_t i;

	if (evcon == NULL)
		return 0;
	for (i = 0; i < a->nclients; i++)
		if (a->clients[i] == evcon)
			return 0;
	if (a->nclients >= d->cf.api_max_clients)
		return -1;
	a->clients[a->nclients++] = evcon;
	evhttp_connection_set_closecb(evcon, api_conn_closed, a);
	return 0;
}

/*
 * Routes served by other modules: a request whose path is prefix, or
 * prefix followed by '/', goes to handler with the rest of the path ("" or
 * "/..."). Modules add one line here and declare the handler in their own
 * header.
 */
static const struct api_route {
	const char	*prefix;
	api_handler	 handler;
} api_routes[] = {
	/* { "/v1/example", example_api }, */
	{ "/v1/audit", audit_api },
	{ "/v1/templates", nrrc_api_templates },
	{ "/v1/render", nrrc_api_render },
	{ "/v1/notify", nrrc_api_notify },
	{ "/v1/overdue", nrrc_api_overdue },
	{ "/v1/checks", nrrc_api_checks },
	{ "/v1/shift", nrrc_api_shift },
	{ "/v1/cert", cert_api },
	{ "/taxii2", taxii_api },
	{ "/v1/accounts", account_api },
	{ "/v1/events", events_api },
	{ "/v1/console", console_api },
	{ "/metrics", metrics_api },
	{ NULL, NULL }
};

/* The Unix socket's requests: the local administrator. */
static void
api_request(struct evhttp_request *r, void *arg)
{
	struct api_req q = { arg, r, { "", ROLE_ADMIN, 1 } };
	TRACE_BEGIN(t0);

	api_serve(&q);
	TRACE_END("api", evhttp_request_get_uri(r), t0);
}

static void	api_route(struct api_req *);

void
api_serve(struct api_req *q)
{
	/* Whatever a handler submits is the caller's (deliver.c). */
	q->d->operator = q->who.local || q->who.account[0] == '\0' ? NULL :
	    q->who.account;
	api_route(q);
	q->d->operator = NULL;
}

static void
api_route(struct api_req *qp)
{
	struct api_req q = *qp;
	struct evhttp_request *r = q.r;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r);
	const char *path, *rest, *slash;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(r);
	char idarg[ID_HEX_LEN + 2];
	const struct http_refusal *refused;
	size_t i, n;

	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	/* A request the guard refused (http.c), answered even over the
	 * clients limit; evhttp closes the connection after it. */
	if (path != NULL && strncmp(path, HTTP_REFUSED_PATH "/",
	    sizeof(HTTP_REFUSED_PATH)) == 0 &&
	    (refused = http_refusal_get(path + sizeof(HTTP_REFUSED_PATH) - 1))
	    != NULL) {
		api_reply_error(&q, refused->status, "%s", refused->message);
		return;
	}
	if (api_admit(q.d, r) == -1) {
		evhttp_add_header(evhttp_request_get_output_headers(r),
		    "Connection", "close");
		log_warnx("api: %llu clients open (api_max_clients); refusing "
		    "another", (unsigned long long)q.d->cf.api_max_clients);
		api_reply_error(&q, 503, "too many API clients (api_max_clients "
		    "is %llu); try again later",
		    (unsigned long long)q.d->cf.api_max_clients);
		return;
	}
	if (path == NULL) {
		api_reply_error(&q, 400, "malformed request URI");
		return;
	}
	if (strcmp(path, "/v1/messages") == 0) {
		if (cmd == EVHTTP_REQ_GET)
			h_list(&q);
		else if (cmd == EVHTTP_REQ_POST)
			h_submit(&q);
		else
			api_method_not_allowed(&q, "GET, POST");
		return;
	}
	if (strcmp(path, "/v1/peers") == 0) {
		if (cmd == EVHTTP_REQ_GET)
			h_peers(&q);
		else
			api_method_not_allowed(&q, "GET");
		return;
	}
	if (strcmp(path, "/v1/status") == 0) {
		if (cmd == EVHTTP_REQ_GET)
			h_status(&q);
		else
			api_method_not_allowed(&q, "GET");
		return;
	}
	if (strcmp(path, "/v1/messages/batch") == 0) {
		if (cmd == EVHTTP_REQ_POST)
			h_submit_batch(&q);
		else
			api_method_not_allowed(&q, "POST");
		return;
	}
	if (strncmp(path, "/v1/messages/", 13) == 0) {
		rest = path + 13;
		slash = strchr(rest, '/');
		n = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
		if (n == 0 || n >= sizeof(idarg))
			goto notfound;
		memcpy(idarg, rest, n);
		idarg[n] = '\0';
		if (slash == NULL) {
			if (cmd == EVHTTP_REQ_GET)
				h_show(&q, idarg);
			else
				api_method_not_allowed(&q, "GET");
			return;
		}
		if (strcmp(slash, "/ack") == 0) {
			if (cmd == EVHTTP_REQ_POST)
				h_ack(&q, idarg);
			else
				api_method_not_allowed(&q, "POST");
			return;
		}
	}
 notfound:
	for (i = 0; api_routes[i].prefix != NULL; i++) {
		n = strlen(api_routes[i].prefix);
		if (strncmp(path, api_routes[i].prefix, n) == 0 &&
		    (path[n] == '\0' || path[n] == '/')) {
			api_routes[i].handler(&q, path + n);
			return;
		}
	}
	api_reply_error(&q, 404, "no such route: %.200s", path);
}

/*
 * A socket file already exists at path. If a server answers on it, refuse
 * (another daemon owns it); if nothing answers, remove the stale file.
 * Returns 0 when the path is free, -1 otherwise (logged).
 */
static int
api_clear_stale(const struct sockaddr_un *sun)
{
	struct stat sb;
	int fd, rv = -1;

	if (lstat(sun->sun_path, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("api: %s", sun->sun_path);
		return -1;
	}
	if (!S_ISSOCK(sb.st_mode)) {
		log_warnx("api: %s exists and is not a socket; refusing to "
		    "replace it", sun->sun_path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("api: socket");
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0)
		log_warnx("api: another daemon is listening on %s",
		    sun->sun_path);
	else if (errno == ECONNREFUSED || errno == ENOENT) {
		if (unlink(sun->sun_path) == -1 && errno != ENOENT)
			log_warn("api: unlink stale %s", sun->sun_path);
		else {
			log_info("api: removed stale socket %s", sun->sun_path);
			rv = 0;
		}
	} else
		log_warn("api: probing %s", sun->sun_path);
	close(fd);
	return rv;
}

/* evhttp's bufferevent for a new connection: a socket under the guard. */
static struct bufferevent *
api_bevcb(struct event_base *base, void *arg)
{
	struct hotlined *d = arg;
	struct bufferevent *under;

	struct timeval tv = { API_TIMEOUT_S, 0 };

	under = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (under == NULL)
		return NULL;
	/* The idle/stall timeout lives on the socket: libevent 2.1's filter
	 * has no working timeouts of its own. Reading is suspended while a
	 * request is being answered, so a held ?wait= answer is not cut. */
	bufferevent_set_timeouts(under, &tv, &tv);
	return http_guard_new(under, API_MAX_HEADERS, d->cf.api_max_request);
}

int
api_start(struct hotlined *d)
{
	struct sockaddr_un sun;
	struct evconnlistener *lev = NULL;
	struct api *a;
	struct stat sb;
	mode_t old;
	int fd = -1, rv;

	a = xcalloc(1, sizeof(*a));
	a->d = d;
	a->clients = xcalloc((size_t)d->cf.api_max_clients, sizeof(*a->clients));
	TAILQ_INIT(&a->waiters);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
	    d->cf.api_socket) >= (int)sizeof(sun.sun_path) ||
	    sun.sun_path[0] == '\0') {
		log_warnx("api: socket path \"%s\" is empty or longer than %zu "
		    "bytes", d->cf.api_socket, sizeof(sun.sun_path) - 1);
		goto fail;
	}
	if (api_clear_stale(&sun) == -1)
		goto fail;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("api: socket");
		goto fail;
	}
	/* No window in which the socket is open to others. */
	old = umask(0117);
	rv = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rv == -1) {
		log_warn("api: bind %s", sun.sun_path);
		goto fail;
	}
	memcpy(a->path, sun.sun_path, sizeof(sun.sun_path));
	if (chmod(a->path, 0660) == -1 || lstat(a->path, &sb) == -1) {
		log_warn("api: %s", a->path);
		goto fail;
	}
	a->dev = sb.st_dev;
	a->ino = sb.st_ino;
	if (listen(fd, 64) == -1) {
		log_warn("api: listen %s", a->path);
		goto fail;
	}
	lev = evconnlistener_new(d->base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (lev == NULL) {
		log_warnx("api: evconnlistener_new failed");
		goto fail;
	}
	fd = -1;	/* owned by lev */
	if ((a->http = evhttp_new(d->base)) == NULL) {
		log_warnx("api: evhttp_new failed");
		goto fail;
	}
	/* The guard (http.c) enforces the limits first and answers in JSON;
	 * evhttp's own limits stay as a backstop. */
	evhttp_set_bevcb(a->http, api_bevcb, d);
	evhttp_set_max_body_size(a->http, (ev_ssize_t)d->cf.api_max_request);
	evhttp_set_max_headers_size(a->http, 2 * API_MAX_HEADERS);
	/*
	 * evhttp itself answers a method it does not allow with a bare 501;
	 * letting the common ones through lets us answer 405 in JSON. Only
	 * GET and POST are routed.
	 */
	evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH |
	    EVHTTP_REQ_OPTIONS);
	evhttp_set_default_content_type(a->http, "application/json");
	evhttp_set_gencb(a->http, api_request, d);
	if (evhttp_bind_listener(a->http, lev) == NULL) {
		log_warnx("api: evhttp_bind_listener failed");
		goto fail;
	}
	a->w = worker_new(d->base, "api");
	d->api = a;
	log_info("api: listening on %s", a->path);
	return 0;
 fail:
	if (a->http != NULL)
		evhttp_free(a->http);
	if (lev != NULL)
		evconnlistener_free(lev);
	if (fd != -1)
		close(fd);
	if (a->path[0] != '\0')
		unlink(a->path);
	free(a->clients);
	free(a);
	return -1;
}

void
api_jobs_stop(struct hotlined *d)
{
	if (d->api == NULL)
		return;
	worker_free(d->api->w);
	d->api->w = NULL;
	/* A batch being stored: rolled back, unanswered (its request goes
	 * with its connection, or is freed here if orphaned). */
	if (d->api->storing != NULL) {
		if (evhttp_request_get_connection(d->api->storing->q.r) ==
		    NULL)
			evhttp_request_free(d->api->storing->q.r);
		batch_end(d->api->storing);
	}
}

void
api_stop(struct hotlined *d)
{
	struct api *a = d->api;
	struct stat sb;

	if (a == NULL)
		return;
	api_jobs_stop(d);
	while (!TAILQ_EMPTY(&a->waiters))
		waiter_free(TAILQ_FIRST(&a->waiters));
	evhttp_free(a->http);	/* frees the bound listener and its socket */
	free(a->clients);
	/* Unlink only the socket we created, not one a successor made. */
	if (lstat(a->path, &sb) == 0 && sb.st_dev == a->dev &&
	    sb.st_ino == a->ino)
		unlink(a->path);
	free(a);
	d->api = NULL;
}
