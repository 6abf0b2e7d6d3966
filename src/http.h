/*
 * http.h: the request guard in front of evhttp. It reads each request head
 * itself, bounded, before evhttp sees it, so that every refusal at the HTTP
 * layer (head too large, malformed request line or header, unknown method,
 * body over the limit, Transfer-Encoding) is answered by the API in JSON,
 * not by libevent 2.1's fixed HTML pages.
 */
#ifndef HOTLINE_HTTP_H
#define HOTLINE_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct bufferevent;
struct event_base;

/* The path of the synthetic request that stands for a refused one:
 * HTTP_REFUSED_PATH "/<reason>" (see http_refusal). */
#define HTTP_REFUSED_PATH	"/.hotline/refused"

/* What the router answers for a refused request. */
struct http_refusal {
	int		 status;	/* HTTP status */
	const char	*message;	/* for the JSON error */
};

/*
 * Wrap under (a socket or TLS bufferevent, owned by the result from now
 * on) in the guard: requests whose head is over max_head bytes or whose
 * Content-Length is over max_body are refused, as are malformed heads.
 * Returns the filtering bufferevent to hand to evhttp, or NULL (under is
 * then freed).
 */
struct bufferevent *http_guard_new(struct bufferevent *under,
	    size_t max_head, uint64_t max_body);

/*
 * The refusal named by the rest of a HTTP_REFUSED_PATH request ("/<n>"),
 * or NULL if rest names none.
 */
const struct http_refusal *http_refusal_get(const char *rest);

/*
 * The guard's parser on its own, for the fuzz target and tests: look at
 * the len bytes of p as the start of a request. Returns 0 and sets *head_len
 * and *body_len when a whole acceptable head is there, 1 when more bytes
 * are needed, or -1 with *reason set (an index for http_refusal_get).
 */
int	http_head_check(const unsigned char *p, size_t len, size_t max_head,
	    uint64_t max_body, size_t *head_len, uint64_t *body_len,
	    int *reason);

#endif
