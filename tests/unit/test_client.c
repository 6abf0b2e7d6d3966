/*
 * test_client.c: the CLI's API client (src/client.c): query encoding and
 * its bounds, and client_call() against a missing socket and against a
 * one-shot fake server (a forked child on a Unix socket in a temporary
 * directory) answering JSON, non-JSON and an HTTP error.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "cli.h"
#include "client.h"
#include "testlib.h"

struct fixture {
	char	dir[256];
	char	sock[300];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (testlib_tmpdir(f->dir, sizeof(f->dir), "client") == -1 ||
	    testlib_path_join(f->sock, sizeof(f->sock), f->dir, "s") == -1) {
		testlib_rmtree(f->dir);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	testlib_rmtree(f->dir);
	free(f);
	return 0;
}

/*
 * Fork a server that accepts one connection, reads the request headers
 * and answers with the raw response. Returns the child's pid.
 */
static pid_t
fake_server(const char *path, const char *response)
{
	struct sockaddr_un sun;
	char buf[8192];
	size_t len = 0;
	ssize_t n;
	pid_t pid;
	int fd, c;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 1), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid != 0) {
		close(fd);
		return pid;
	}
	alarm(10);
	if ((c = accept(fd, NULL, NULL)) == -1)
		_exit(1);
	while (len < sizeof(buf) - 1 &&
	    (n = read(c, buf + len, sizeof(buf) - 1 - len)) > 0) {
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			break;
	}
	if (write(c, response, strlen(response)) < 0)
		_exit(1);
	close(c);
	_exit(0);
}

static void
reap(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void
test_query_add(void **state)
{
	char path[64] = "/v1/messages";

	assert_int_equal(client_query_add(path, sizeof(path), "dir", "in"), 0);
	assert_string_equal(path, "/v1/messages?dir=in");
	assert_int_equal(client_query_add(path, sizeof(path), "since",
	    "2026-11-23T09:00:00+01:00"), 0);
	assert_string_equal(path, "/v1/messages?dir=in&since="
	    "2026-11-23T09%3A00%3A00%2B01%3A00");
	/* Too long for the buffer: refused, not truncated silently. */
	assert_int_equal(client_query_add(path, sizeof(path), "peer",
	    "abcdefghijklmnopqrstuvwxyz"), -1);
}

static void
test_query_add_encodes_everything(void **state)
{
	char path[64] = "/p";

	assert_int_equal(client_query_add(path, sizeof(path), "k",
	    "a b&c=d\xc3\xa9/~"), 0);
	assert_string_equal(path, "/p?k=a%20b%26c%3Dd%C3%A9%2F~");
}

static void
test_call_no_daemon(void **state)
{
	struct fixture *f = *state;
	struct cli cli = { NULL, f->sock, false };
	json_t *resp = (json_t *)1;
	long status = 1;

	assert_int_equal(client_call(&cli, "GET", "/v1/status", NULL, &resp,
	    &status), -1);
	assert_null(resp);
}

static void
test_call_json(void **state)
{
	struct fixture *f = *state;
	struct cli cli = { NULL, f->sock, false };
	json_t *resp = NULL, *body;
	long status = 0;
	pid_t pid;

	pid = fake_server(f->sock, "HTTP/1.1 201 Created\r\n"
	    "Content-Type: application/json\r\nContent-Length: 22\r\n"
	    "Connection: close\r\n\r\n{\"id\":\"ab\",\"state\":1}\n");
	body = json_pack("{s:s}", "to", "ru");
	assert_non_null(body);
	assert_int_equal(client_call(&cli, "POST", "/v1/messages", body, &resp,
	    &status), 0);
	reap(pid);
	assert_int_equal(status, 201);
	assert_non_null(resp);
	assert_string_equal(json_string_value(json_object_get(resp, "id")),
	    "ab");
	json_decref(resp);
	json_decref(body);
}

static void
test_call_error_status(void **state)
{
	struct fixture *f = *state;
	struct cli cli = { NULL, f->sock, false };
	json_t *resp = NULL;
	long status = 0;
	pid_t pid;

	pid = fake_server(f->sock, "HTTP/1.1 404 Not Found\r\n"
	    "Content-Length: 23\r\nConnection: close\r\n\r\n"
	    "{\"error\":\"no message\"}\n");
	/* client_call returns the answer whatever the status... */
	assert_int_equal(client_call(&cli, "GET", "/v1/messages/abcd", NULL,
	    &resp, &status), 0);
	reap(pid);
	assert_int_equal(status, 404);
	json_decref(resp);
	/* ...client_request treats it as a failure. */
	pid = fake_server(f->sock, "HTTP/1.1 404 Not Found\r\n"
	    "Content-Length: 23\r\nConnection: close\r\n\r\n"
	    "{\"error\":\"no message\"}\n");
	resp = (json_t *)1;
	assert_int_equal(client_request(&cli, "GET", "/v1/messages/abcd", NULL,
	    &resp), -1);
	reap(pid);
	assert_null(resp);
}

static void
test_call_not_json(void **state)
{
	struct fixture *f = *state;
	struct cli cli = { NULL, f->sock, false };
	json_t *resp = NULL;
	long status = 0;
	pid_t pid;

	pid = fake_server(f->sock, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	    "Connection: close\r\n\r\nhello");
	assert_int_equal(client_call(&cli, "GET", "/v1/status", NULL, &resp,
	    &status), -1);
	reap(pid);
	assert_null(resp);
	/* A JSON array is not an API answer either. */
	pid = fake_server(f->sock, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	    "Connection: close\r\n\r\n[]");
	assert_int_equal(client_call(&cli, "GET", "/v1/status", NULL, &resp,
	    &status), -1);
	reap(pid);
	assert_null(resp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_add),
		cmocka_unit_test(test_query_add_encodes_everything),
		cmocka_unit_test_setup_teardown(test_call_no_daemon, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_call_json, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_call_error_status, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_call_not_json, setup,
		    teardown),
	};
	int rv;

	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rv = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rv;
}
