/*
 * client.c: the CLI side of the local API. It finds the daemon's socket
 * (-s, or api_socket in the config file), sends one JSON request with
 * libcurl over the Unix socket and parses the JSON answer, with a bounded
 * response size and a timeout. Errors are printed here, once, so commands
 * only decide their exit status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "client.h"
#include "config.h"
#include "util.h"

struct resp_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	int	 toobig;
};

int
client_socket_path(struct cli *cli, char *out, size_t outsz)
{
	struct config *cf;
	const char *path;
	char err[512];
	int rv = -1;

	if (cli->socket != NULL) {
		if (snprintf(out, outsz, "%s", cli->socket) >= (int)outsz) {
			fprintf(stderr, "hotline: socket path too long\n");
			return -1;
		}
		return 0;
	}
	path = cli->config;
	if (path == NULL)
		path = getenv("HOTLINE_CONF");
	if (path == NULL || *path == '\0')
		path = "./hotline.conf";
	cf = xcalloc(1, sizeof(*cf));
	if (config_load(path, cf, err, sizeof(err)) == -1) {
		fprintf(stderr, "hotline: %s\n(give the configuration with -c "
		    "FILE or $HOTLINE_CONF, or the API socket with -s PATH)\n",
		    err);
		goto fail;
	}
	if (snprintf(out, outsz, "%s", cf->api_socket) >= (int)outsz) {
		fprintf(stderr, "hotline: socket path too long\n");
		goto fail;
	}
	rv = 0;
 fail:
	free(cf);
	return rv;
}

/* libcurl write callback: append, refusing to grow past the bound. */
static size_t
resp_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct resp_buf *rb = arg;
	size_t n = size * nmemb;

	if (n > CLIENT_MAX_RESPONSE - rb->len) {
		rb->toobig = 1;
		return 0;
	}
	if (rb->len + n + 1 > rb->cap) {
		while (rb->len + n + 1 > rb->cap)
			rb->cap = rb->cap ? rb->cap * 2 : 4096;
		rb->data = xreallocarray(rb->data, rb->cap, 1);
	}
	memcpy(rb->data + rb->len, p, n);
	rb->len += n;
	rb->data[rb->len] = '\0';
	return n;
}

int
client_call(struct cli *cli, const char *method, const char *path,
    json_t *body, json_t **resp, long *status)
{
	struct resp_buf rb = { NULL, 0, 0, 0 };
	struct curl_slist *hdrs = NULL;
	char sock[4096], url[2048], cerr[CURL_ERROR_SIZE];
	char *text = NULL;
	CURL *c = NULL;
	CURLcode rc;
	long oserr = 0;
	json_t *v;
	int rv = -1;

	*resp = NULL;
	*status = 0;
	if (client_socket_path(cli, sock, sizeof(sock)) == -1)
		return -1;
	if (snprintf(url, sizeof(url), "http://localhost%s", path) >=
	    (int)sizeof(url)) {
		fprintf(stderr, "hotline: request path too long\n");
		return -1;
	}
	if ((c = curl_easy_init()) == NULL) {
		fprintf(stderr, "hotline: cannot initialise libcurl\n");
		return -1;
	}
	cerr[0] = '\0';
	if (body != NULL) {
		if ((text = json_dumps(body, JSON_COMPACT)) == NULL) {
			fprintf(stderr, "hotline: cannot serialise the request\n");
			goto fail;
		}
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		if (hdrs == NULL)
			goto nomem;
	}
	/* Do not wait for "100 Continue" on large bodies. */
	if ((hdrs = curl_slist_append(hdrs, "Expect:")) == NULL)
		goto nomem;
	if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)CLIENT_TIMEOUT_S) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, resp_write) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &rb) != CURLE_OK)
		goto setopt;
	if (strcmp(method, "POST") == 0) {
		if (curl_easy_setopt(c, CURLOPT_POST, 1L) != CURLE_OK ||
		    curl_easy_setopt(c, CURLOPT_POSTFIELDS,
		    text != NULL ? text : "") != CURLE_OK ||
		    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
		    text != NULL ? (long)strlen(text) : 0L) != CURLE_OK)
			goto setopt;
	} else if (strcmp(method, "GET") != 0) {
		if (curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method) !=
		    CURLE_OK)
			goto setopt;
	}

	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		if (rb.toobig)
			fprintf(stderr, "hotline: the daemon's answer is larger "
			    "than %d bytes\n", CLIENT_MAX_RESPONSE);
		else if (rc == CURLE_COULDNT_CONNECT) {
			curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &oserr);
			fprintf(stderr, "hotline: cannot reach hotlined at %s: "
			    "%s (is the daemon running?)\n", sock,
			    oserr != 0 ? strerror((int)oserr) : "connection "
			    "failed");
		} else if (rc == CURLE_OPERATION_TIMEDOUT)
			fprintf(stderr, "hotline: hotlined at %s did not answer "
			    "within %d s\n", sock, CLIENT_TIMEOUT_S);
		else
			fprintf(stderr, "hotline: talking to hotlined at %s: "
			    "%s\n", sock, cerr[0] != '\0' ? cerr :
			    curl_easy_strerror(rc));
		goto fail;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	v = rb.data != NULL ? json_loadb(rb.data, rb.len, 0, NULL) : NULL;
	if (v == NULL || !json_is_object(v)) {
		json_decref(v);
		if (*status == 413)
			fprintf(stderr, "hotline: request too large for the "
			    "daemon (HTTP 413)\n");
		else if (*status >= 400 && *status <= 599)
			/* evhttp's own refusals (limits) are plain HTML. */
			fprintf(stderr, "hotline: hotlined at %s refused the "
			    "request (HTTP %ld)\n", sock, *status);
		else
			fprintf(stderr, "hotline: %s is not a hotline API "
			    "(HTTP %ld, answer is not a JSON object)\n", sock,
			    *status);
		goto fail;
	}
	*resp = v;
	rv = 0;
	goto fail;
 nomem:
	fprintf(stderr, "hotline: out of memory\n");
	goto fail;
 setopt:
	fprintf(stderr, "hotline: libcurl lacks a needed option (Unix "
	    "sockets, HTTP)\n");
 fail:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	free(text);
	free(rb.data);
	return rv;
}

int
client_request(struct cli *cli, const char *method, const char *path,
    json_t *body, json_t **resp)
{
	const char *msg;
	long status;

	if (client_call(cli, method, path, body, resp, &status) == -1)
		return -1;
	if (status >= 200 && status <= 299)
		return 0;
	msg = json_string_value(json_object_get(*resp, "error"));
	fprintf(stderr, "hotline: %s (HTTP %ld)\n", msg != NULL ? msg :
	    "request failed", status);
	json_decref(*resp);
	*resp = NULL;
	return -1;
}

int
client_query_add(char *path, size_t pathsz, const char *key,
    const char *value)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t n = strlen(path);
	const unsigned char *s;
	int w;

	w = snprintf(path + n, pathsz - n, "%s%s=", strchr(path, '?') ?
	    "&" : "?", key);
	if (w < 0 || (size_t)w >= pathsz - n)
		return -1;
	n += (size_t)w;
	for (s = (const unsigned char *)value; *s != '\0'; s++) {
		if (n + 4 > pathsz)
			return -1;
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~", *s) != NULL)
			path[n++] = (char)*s;
		else {
			path[n++] = '%';
			path[n++] = hexd[*s >> 4];
			path[n++] = hexd[*s & 0xf];
		}
	}
	path[n] = '\0';
	return 0;
}
