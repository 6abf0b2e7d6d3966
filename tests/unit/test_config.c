/*
 * test_config.c: unit tests for src/config.c: a full file round-trips
 * through config_print, every kind of error names the right line, defaults
 * and path resolution, address splitting, file size and line limits.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "testlib.h"

#define FPR_RU	"0123456789abcdef0123456789abcdef" \
		"0123456789abcdef0123456789abcdef"
#define FPR_RU_UPPER "0123456789ABCDEF0123456789ABCDEF" \
		"0123456789ABCDEF0123456789ABCDEF"
#define FPR_OSCE "fedcba9876543210fedcba9876543210" \
		"fedcba9876543210fedcba9876543210"

static const char valid_conf[] =
    "; hotline test configuration\n"
    "[node]\n"
    "party = us                 ; comment\n"
    "listen = 127.0.0.1:7701\n"
    "data_dir = /var/lib/hotline/./us//\n"
    "api_socket = run/api.sock\n"
    "key = /etc/hotline/key.pem\n"
    "cert = cert.pem\n"
    "\n"
    "[link]\n"
    "heartbeat = 2s\n"
    "dead_after = 1m\n"
    "handshake_timeout = 1500ms\n"
    "reconnect_min = 100ms\n"
    "reconnect_max = 1h\n"
    "[limits]\n"
    "max_body = 1000\n"
    "api_max_request = 1024\n"
    "api_max_clients = 7\n"
    "peer_max_pending = 16384\n"
    "[peer ru]                  ; the other party\n"
    "fingerprint = " FPR_RU_UPPER "\n"
    "address = 127.0.0.1:7702\n"
    "address = [::1]:7703\n"
    "address = backup.example:7704\n"
    "[peer osce]\n"
    "fingerprint = " FPR_OSCE "\n";

static struct config *
cf_new(void)
{
	struct config *cf = calloc(1, sizeof(*cf));

	assert_non_null(cf);
	return cf;
}

/* Print cf into a new string the caller frees. */
static char *
print_str(const struct config *cf)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	assert_non_null(fp = open_memstream(&text, &len));
	config_print(fp, cf);
	assert_int_equal(fclose(fp), 0);
	return text;
}

static void
test_valid_fields(void **state)
{
	struct config *cf = cf_new();
	char err[512] = "";

	(void)state;
	if (config_load_string(valid_conf, "t.conf", cf, err,
	    sizeof(err)) == -1)
		fail_msg("load: %s", err);
	assert_string_equal(cf->path, "t.conf");
	assert_string_equal(cf->party, "us");
	assert_string_equal(cf->listen, "127.0.0.1:7701");
	assert_string_equal(cf->data_dir, "/var/lib/hotline/us");
	assert_string_equal(cf->api_socket, "/var/lib/hotline/us/run/api.sock");
	assert_string_equal(cf->key_file, "/etc/hotline/key.pem");
	assert_string_equal(cf->cert_file, "/var/lib/hotline/us/cert.pem");
	assert_int_equal(cf->heartbeat_ms, 2000);
	assert_int_equal(cf->dead_after_ms, 60000);
	assert_int_equal(cf->handshake_timeout_ms, 1500);
	assert_int_equal(cf->reconnect_min_ms, 100);
	assert_int_equal(cf->reconnect_max_ms, 3600000);
	assert_int_equal(cf->max_body, 1000);
	assert_int_equal(cf->api_max_request, 1024);
	assert_int_equal(cf->api_max_clients, 7);
	assert_int_equal(cf->peer_max_pending, 16384);
	assert_int_equal(cf->npeers, 2);
	assert_string_equal(cf->peers[0].party, "ru");
	assert_string_equal(cf->peers[0].fingerprint, FPR_RU);
	assert_int_equal(cf->peers[0].naddrs, 3);
	assert_string_equal(cf->peers[0].addrs[0], "127.0.0.1:7702");
	assert_string_equal(cf->peers[0].addrs[1], "[::1]:7703");
	assert_string_equal(cf->peers[0].addrs[2], "backup.example:7704");
	assert_string_equal(cf->peers[1].party, "osce");
	assert_string_equal(cf->peers[1].fingerprint, FPR_OSCE);
	assert_int_equal(cf->peers[1].naddrs, 0);

	assert_ptr_equal(config_peer_find(cf, "ru"), &cf->peers[0]);
	assert_ptr_equal(config_peer_find(cf, "osce"), &cf->peers[1]);
	assert_null(config_peer_find(cf, "us"));
	assert_null(config_peer_find(cf, "r"));
	assert_null(config_peer_find(cf, NULL));
	free(cf);
}

static void
test_roundtrip(void **state)
{
	static const char *inputs[] = {
		valid_conf,
		"[node]\nparty = us\n",
		"[node]\nparty = a-1\nlisten = [::]:1\n[link]\n"
		    "heartbeat = 100ms\ndead_after = 24h\n"
		    "reconnect_min = 30m\nreconnect_max = 30m\n",
	};
	struct config *a, *b;
	char err[512] = "", *t1, *t2;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		a = cf_new();
		b = cf_new();
		if (config_load_string(inputs[i], "t.conf", a, err,
		    sizeof(err)) == -1)
			fail_msg("load %zu: %s", i, err);
		t1 = print_str(a);
		if (config_load_string(t1, a->path, b, err,
		    sizeof(err)) == -1)
			fail_msg("reload %zu: %s\n%s", i, err, t1);
		/* Whole-struct compare also catches a field print forgot. */
		if (memcmp(a, b, sizeof(*a)) != 0)
			fail_msg("round trip %zu differs:\n%s", i, t1);
		t2 = print_str(b);
		assert_string_equal(t1, t2);
		free(t1);
		free(t2);
		free(a);
		free(b);
	}
}

static void
test_print_format(void **state)
{
	struct config *cf = cf_new();
	char err[512] = "", *t;

	(void)state;
	if (config_load_string(valid_conf, "t.conf", cf, err,
	    sizeof(err)) == -1)
		fail_msg("load: %s", err);
	t = print_str(cf);
	assert_non_null(strstr(t, "[node]\nparty = us\n"));
	assert_non_null(strstr(t, "heartbeat = 2s\n"));
	assert_non_null(strstr(t, "dead_after = 1m\n"));
	assert_non_null(strstr(t, "handshake_timeout = 1500ms\n"));
	assert_non_null(strstr(t, "reconnect_max = 1h\n"));
	assert_non_null(strstr(t, "[peer ru]\nfingerprint = " FPR_RU "\n"
	    "address = 127.0.0.1:7702\naddress = [::1]:7703\n"
	    "address = backup.example:7704\n"));
	assert_non_null(strstr(t, "[peer osce]\nfingerprint = " FPR_OSCE));
	assert_true(strstr(t, "[peer ru]") < strstr(t, "[peer osce]"));
	free(t);
	free(cf);
}

static void
test_defaults(void **state)
{
	struct config *cf = cf_new();
	char err[512] = "", cwd[PATH_MAX], want[PATH_MAX + 16];

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	if (config_load_string("[node]\nparty = us\n", "t.conf", cf, err,
	    sizeof(err)) == -1)
		fail_msg("load: %s", err);
	assert_string_equal(cf->party, "us");
	assert_string_equal(cf->listen, "");
	assert_string_equal(cf->data_dir, cwd);
	snprintf(want, sizeof(want), "%s/api.sock", strcmp(cwd, "/") ? cwd :
	    "");
	assert_string_equal(cf->api_socket, want);
	snprintf(want, sizeof(want), "%s/key.pem", strcmp(cwd, "/") ? cwd :
	    "");
	assert_string_equal(cf->key_file, want);
	snprintf(want, sizeof(want), "%s/cert.pem", strcmp(cwd, "/") ? cwd :
	    "");
	assert_string_equal(cf->cert_file, want);
	assert_int_equal(cf->heartbeat_ms, 5000);
	assert_int_equal(cf->dead_after_ms, 15000);
	assert_int_equal(cf->handshake_timeout_ms, 10000);
	assert_int_equal(cf->reconnect_min_ms, 250);
	assert_int_equal(cf->reconnect_max_ms, 10000);
	assert_int_equal(cf->max_body, 49152);
	assert_int_equal(cf->api_max_request, 65536);
	assert_int_equal(cf->api_max_clients, 64);
	assert_int_equal(cf->peer_max_pending, 262144);
	assert_int_equal(cf->npeers, 0);
	free(cf);
}

/* Accepted syntax: CRLF, BOM, '#' comments, indentation, empty listen. */
static void
test_syntax_accepted(void **state)
{
	struct config *cf = cf_new();
	char err[512] = "";

	(void)state;
	if (config_load_string("\xef\xbb\xbf[node]\r\n"
	    "# a comment\r\n"
	    "   party = us\r\n"
	    "\tlisten =\r\n"
	    "[peer ru] ; x\r\n"
	    "    fingerprint = " FPR_RU "\r\n"
	    "    address = h:1", "t.conf", cf, err, sizeof(err)) == -1)
		fail_msg("load: %s", err);
	assert_string_equal(cf->party, "us");
	assert_string_equal(cf->listen, "");
	assert_int_equal(cf->npeers, 1);
	assert_string_equal(cf->peers[0].addrs[0], "h:1");
	free(cf);
}

static const struct errcase {
	const char	*text;
	int		 line;		/* 0: no line number */
	const char	*msg;		/* substring of the message */
} errcases[] = {
	{ "[node]\nparty = us\nlisen = x\n", 3,
	    "unknown key 'lisen' in [node]" },
	{ "[node]\nparty = us\n\n[nodes]\nparty = x\n", 4,
	    "unknown section [nodes]" },
	{ "[node]\nparty = us\n[bogus]\n", 3, "unknown section [bogus]" },
	{ "[node]\nparty = US\n", 2, "invalid party" },
	{ "[node]\nparty = " "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 2,
	    "invalid party" },
	{ "[node]\nparty =\n", 2, "invalid party" },
	{ "[node]\nparty = us\n[peer ru]\nfingerprint = "
	    "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcde\n",
	    4, "invalid fingerprint" },
	{ "[node]\nparty = us\n[peer ru]\nfingerprint = "
	    "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdeg\n",
	    4, "invalid fingerprint" },
	{ "[node]\nparty = us\n[peer ru]\nfingerprint = " FPR_RU "0\n",
	    4, "invalid fingerprint" },
	{ "[node]\nparty = us\n[peer ru]\nfingerprint = " FPR_RU "\n"
	    "address = 127.0.0.1:0\n", 5, "invalid address" },
	{ "[node]\nparty = us\n[peer ru]\nfingerprint = " FPR_RU "\n"
	    "address = 127.0.0.1:65536\n", 5, "invalid address" },
	{ "[node]\nparty = us\n[peer ru]\nfingerprint = " FPR_RU "\n"
	    "address = 127.0.0.1:http\n", 5, "invalid address" },
	{ "[node]\nparty = us\nlisten = 127.0.0.1:0\n", 3,
	    "invalid listen address" },
	{ "[node]\nparty = us\nlisten = ::1:7701\n", 3,
	    "invalid listen address" },
	{ "[node]\nparty = us\n[peer ru]\nfingerprint = " FPR_RU "\n"
	    "[peer ru]\nfingerprint = " FPR_OSCE "\n", 5,
	    "duplicate section [peer ru]" },
	{ "[node]\nparty = us\n[peer us]\nfingerprint = " FPR_RU "\n", 3,
	    "own party" },
	{ "[peer us]\nfingerprint = " FPR_RU "\n[node]\nparty = us\n", 1,
	    "own party" },
	{ "[node]\nparty = us\n[peer RU]\n", 3, "invalid peer party" },
	{ "[node]\nparty = us\n[peer]\n", 3, "unknown section [peer]" },
	{ "[node]\nparty = us\n[link]\nheartbeat = 5s\ndead_after = 5s\n",
	    5, "dead_after must be greater than heartbeat" },
	{ "[node]\nparty = us\n[link]\nheartbeat = 20s\n", 4,
	    "dead_after must be greater than heartbeat" },
	{ "[node]\nparty = us\n[link]\nreconnect_min = 5s\n"
	    "reconnect_max = 4s\n", 5, "reconnect_max" },
	{ "[node]\nparty = us\n[link]\nheartbeat = 5x\n", 4,
	    "invalid heartbeat" },
	{ "[node]\nparty = us\n[link]\nheartbeat = 0ms\n", 4,
	    "invalid heartbeat" },
	{ "[node]\nparty = us\n[limits]\nmax_body = 49153\n", 4,
	    "invalid max_body" },
	{ "[node]\nparty = us\n[limits]\nmax_body = 0\n", 4,
	    "invalid max_body" },
	{ "[node]\nparty = us\n[limits]\nmax_body = -1\n", 4,
	    "invalid max_body" },
	{ "[node]\nparty = us\n[limits]\napi_max_request = 1023\n", 4,
	    "invalid api_max_request" },
	{ "[node]\nparty = us\n[limits]\npeer_max_pending = 1073741825\n", 4,
	    "invalid peer_max_pending" },
	{ "[node]\nparty = us\nlisten = 127.0.0.1:1\nlisten = 127.0.0.1:2\n",
	    4, "duplicate key 'listen' in [node]" },
	{ "[node]\nparty = us\n[peer ru]\nfingerprint = " FPR_RU "\n"
	    "fingerprint = " FPR_RU "\n", 5, "duplicate key 'fingerprint'" },
	{ "[node]\nparty = us\n[node]\n", 3, "duplicate section [node]" },
	{ "[node]\nparty = us\n[link\nheartbeat = 1s\n", 3,
	    "missing ']'" },
	{ "[node\nparty = us\n", 1, "missing ']'" },
	{ "[node]\nparty = us\n[link ; ]\n", 3, "missing ']'" },
	{ "[node] junk\nparty = us\n", 1, "unexpected text" },
	{ "[node]\nlisten = 127.0.0.1:1\n", 1, "missing party in [node]" },
	{ "", 0, "missing [node] section" },
	{ "[link]\nheartbeat = 1s\n", 0, "missing [node] section" },
	{ "[node]\nparty = us\n[peer ru]\naddress = h:1\n", 3,
	    "missing fingerprint in [peer ru]" },
	{ "[node]\nparty = us\n[peer ru]\nfingerprint = " FPR_RU "\n"
	    "[peer osce]\nfingerprint = " FPR_RU_UPPER "\n", 6,
	    "same fingerprint" },
	{ "party = us\n[node]\n", 1, "outside any section" },
	{ "[node]\nparty = us\njust some words\n", 3,
	    "expected 'key = value'" },
	/* The earliest error wins, whoever finds it. */
	{ "[node]\nnonsense\nparty = us\nlisen = x\n", 2,
	    "expected 'key = value'" },
	{ "[node]\nlisen = x\nnonsense\nparty = us\n", 2, "unknown key" },
	/* No continuation lines: an indented line is a line of its own. */
	{ "[node]\nparty = us\n  lisen = x\n", 3, "unknown key 'lisen'" },
	{ "[node]\nparty = us\n[peer ru]\nfingerprint = " FPR_RU "\n"
	    "address = h:1\naddress = h:2\naddress = h:3\naddress = h:4\n"
	    "address = h:5\naddress = h:6\naddress = h:7\naddress = h:8\n"
	    "address = h:9\n", 13, "too many addresses" },
	{ "[node]\nparty = us\n[peer ru]\nfingerprint = " FPR_RU "\n"
	    "address = h:1\naddress = h:1\n", 6, "duplicate address" },
	{ "[node]\nparty = us\n[peer ru]\nfingerprint = " FPR_RU "\n"
	    "addresses = h:1\n", 5, "unknown key 'addresses' in [peer ru]" },
	{ "[node]\nparty = us\ndata_dir =\n", 3, "empty data_dir" },
};

static void
check_error(const char *text, const char *name, int line, const char *msg)
{
	struct config *cf = cf_new();
	char err[512] = "", prefix[PATH_MAX + 32];

	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", name, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", name);
	if (config_load_string(text, name, cf, err, sizeof(err)) != -1)
		fail_msg("accepted:\n%s", text);
	if (strncmp(err, prefix, strlen(prefix)) != 0 ||
	    strstr(err, msg) == NULL)
		fail_msg("got \"%s\", want prefix \"%s\" and \"%s\" for:\n%s",
		    err, prefix, msg, text);
	free(cf);
}

static void
test_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(errcases) / sizeof(errcases[0]); i++)
		check_error(errcases[i].text, "t.conf", errcases[i].line,
		    errcases[i].msg);
}

/* Errors leave the caller's struct alone. */
static void
test_error_untouched(void **state)
{
	struct config *cf = cf_new();
	char err[512];

	(void)state;
	memset(cf, 0xa5, sizeof(*cf));
	assert_int_equal(config_load_string("[node]\nparty = us\nx = 1\n",
	    "t.conf", cf, err, sizeof(err)), -1);
	assert_int_equal(((unsigned char *)cf)[0], 0xa5);
	assert_int_equal(((unsigned char *)cf)[sizeof(*cf) - 1], 0xa5);
	free(cf);
}

static void
test_too_many_peers(void **state)
{
	char *text, *p;
	size_t cap = 128 * (CONFIG_MAX_PEERS + 2);
	int i, n;

	(void)state;
	assert_non_null(text = malloc(cap));
	p = text;
	n = snprintf(p, cap, "[node]\nparty = us\n");
	p += n;
	for (i = 0; i <= CONFIG_MAX_PEERS; i++) {
		n = snprintf(p, cap - (size_t)(p - text),
		    "[peer p%d]\nfingerprint = %064x\n", i, i);
		assert_true(n > 0 && (size_t)n < cap - (size_t)(p - text));
		p += n;
	}
	check_error(text, "t.conf", 3 + 2 * CONFIG_MAX_PEERS,
	    "too many peers");
	/* Exactly the maximum is fine. */
	*strstr(text, "[peer p64]") = '\0';
	{
		struct config *cf = cf_new();
		char err[512];

		if (config_load_string(text, "t.conf", cf, err,
		    sizeof(err)) == -1)
			fail_msg("%s", err);
		assert_int_equal(cf->npeers, CONFIG_MAX_PEERS);
		free(cf);
	}
	free(text);
}

static void
test_long_line(void **state)
{
	char text[512];
	char v[300];

	(void)state;
	memset(v, 'a', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	snprintf(text, sizeof(text), "[node]\nparty = us\n; %s\n", v);
	check_error(text, "t.conf", 3, "line too long");
	/* A long line must not be split into lines inih would parse. */
	snprintf(text, sizeof(text), "[node]\nparty = us\ndata_dir = /%.190s"
	    "\n", v);
	check_error(text, "t.conf", 3, "line too long");
}

static void
test_addr_split(void **state)
{
	static const char *bad[] = {
		"", ":80", "host", "host:", "host:0", "host:65536",
		"host:http", "host:+80", "host:080000", "::1:80", "[::1]80",
		"[]:80", "[::1]:", "[::1]", "[1.2.3.4]:80", "ho st:80",
		"host:80 ", "[::1%]:80", "[::g]:80", "host:-1",
	};
	char host[64], port[8], small[3], longaddr[CONFIG_ADDR_MAX + 8];
	size_t i;

	(void)state;
	assert_int_equal(config_addr_split("127.0.0.1:7701", host,
	    sizeof(host), port, sizeof(port)), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_string_equal(port, "7701");
	assert_int_equal(config_addr_split("[::1]:7702", host, sizeof(host),
	    port, sizeof(port)), 0);
	assert_string_equal(host, "::1");
	assert_string_equal(port, "7702");
	assert_int_equal(config_addr_split("[fe80::1%eth0]:65535", host,
	    sizeof(host), port, sizeof(port)), 0);
	assert_string_equal(host, "fe80::1%eth0");
	assert_string_equal(port, "65535");
	assert_int_equal(config_addr_split("hotline.example-1.org:1", host,
	    sizeof(host), port, sizeof(port)), 0);
	assert_string_equal(host, "hotline.example-1.org");
	assert_string_equal(port, "1");
	assert_int_equal(config_addr_split("a:1", NULL, 0, NULL, 0), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (config_addr_split(bad[i], host, sizeof(host), port,
		    sizeof(port)) != -1)
			fail_msg("accepted '%s'", bad[i]);
	assert_int_equal(config_addr_split(NULL, host, sizeof(host), port,
	    sizeof(port)), -1);
	/* Output buffers too small. */
	assert_int_equal(config_addr_split("abc:80", small, sizeof(small),
	    port, sizeof(port)), -1);
	assert_int_equal(config_addr_split("ab:8080", small, sizeof(small),
	    small, sizeof(small)), -1);
	assert_int_equal(config_addr_split("ab:80", small, sizeof(small),
	    port, sizeof(port)), 0);
	/* Whole address bounded by CONFIG_ADDR_MAX. */
	memset(longaddr, 'a', CONFIG_ADDR_MAX - 3);
	memcpy(longaddr + CONFIG_ADDR_MAX - 3, ":1", 3);
	assert_int_equal(config_addr_split(longaddr, NULL, 0, NULL, 0), 0);
	memset(longaddr, 'a', CONFIG_ADDR_MAX - 2);
	memcpy(longaddr + CONFIG_ADDR_MAX - 2, ":1", 3);
	assert_int_equal(config_addr_split(longaddr, NULL, 0, NULL, 0), -1);
}

static void
test_file_paths(void **state)
{
	struct config *cf = cf_new();
	char dir[PATH_MAX], real[PATH_MAX], cwd[PATH_MAX], path[PATH_MAX + 16];
	char want[2 * PATH_MAX], parent[PATH_MAX], err[512] = "";
	static const char text[] =
	    "[node]\nparty = us\ndata_dir = data/./x/..\n"
	    "api_socket = s/api.sock\nkey = /etc/hotline/key.pem\n";

	(void)state;
	assert_int_equal(testlib_tmpdir(dir, sizeof(dir), "config"), 0);
	assert_non_null(realpath(dir, real));
	snprintf(path, sizeof(path), "%s/hotline.conf", real);
	testlib_file_write(path, text, strlen(text));

	/* Absolute config path: data_dir relative to the file's directory. */
	if (config_load(path, cf, err, sizeof(err)) == -1)
		fail_msg("load: %s", err);
	assert_string_equal(cf->path, path);
	snprintf(want, sizeof(want), "%s/data", real);
	assert_string_equal(cf->data_dir, want);
	snprintf(want, sizeof(want), "%s/data/s/api.sock", real);
	assert_string_equal(cf->api_socket, want);
	assert_string_equal(cf->key_file, "/etc/hotline/key.pem");
	snprintf(want, sizeof(want), "%s/data/cert.pem", real);
	assert_string_equal(cf->cert_file, want);

	/* Relative config path, loaded from the parent directory. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(parent, sizeof(parent), "%s", real);
	*strrchr(parent, '/') = '\0';
	assert_int_equal(chdir(parent), 0);
	snprintf(path, sizeof(path), "%s/hotline.conf", strrchr(real, '/') + 1);
	memset(cf, 0, sizeof(*cf));
	if (config_load(path, cf, err, sizeof(err)) == -1)
		fail_msg("load relative: %s", err);
	snprintf(want, sizeof(want), "%s/data", real);
	assert_string_equal(cf->data_dir, want);
	snprintf(want, sizeof(want), "%s/hotline.conf", real);
	assert_string_equal(cf->path, want);

	/* ".." climbs out of the config directory. */
	testlib_file_write(want, "[node]\nparty = us\ndata_dir = ../var\n", 36);
	if (config_load(path, cf, err, sizeof(err)) == -1)
		fail_msg("load dotdot: %s", err);
	snprintf(want, sizeof(want), "%s/var", parent);
	assert_string_equal(cf->data_dir, want);

	/* Errors from a file carry the path as given. */
	snprintf(want, sizeof(want), "%s/hotline.conf", real);
	testlib_file_write(want, "[node]\nparty = us\n\n\n\n\nlisen = 1\n", 32);
	assert_int_equal(config_load(path, cf, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:7: unknown key 'lisen' in [node]",
	    path);
	assert_string_equal(err, want);
	assert_int_equal(chdir(cwd), 0);

	snprintf(want, sizeof(want), "%s/hotline.conf", real);
	assert_int_equal(unlink(want), 0);
	assert_int_equal(rmdir(real), 0);
	free(cf);
}

static void
test_file_limits(void **state)
{
	struct config *cf = cf_new();
	char dir[PATH_MAX], path[PATH_MAX + 16], err[512] = "", *big;
	size_t n = 1024 * 1024, hdr;
	static const char head[] = "[node]\nparty = us\n";

	(void)state;
	assert_int_equal(testlib_tmpdir(dir, sizeof(dir), "config"), 0);
	snprintf(path, sizeof(path), "%s/hotline.conf", dir);

	/* Exactly 1 MiB of comments after a valid header is accepted. */
	assert_non_null(big = malloc(n + 2));
	memset(big, '\n', n + 1);
	hdr = strlen(head);
	memcpy(big, head, hdr);
	testlib_file_write(path, big, n);
	if (config_load(path, cf, err, sizeof(err)) == -1)
		fail_msg("1 MiB: %s", err);
	/* One byte more is not. */
	testlib_file_write(path, big, n + 1);
	assert_int_equal(config_load(path, cf, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "file too large"));
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	/* And the same limit applies to strings. */
	big[n + 1] = '\0';
	assert_int_equal(config_load_string(big, "t.conf", cf, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "t.conf: file too large"));

	/* A NUL byte would hide the rest of the file. */
	testlib_file_write(path, "[node]\nparty = us\0\nlisen = 1\n", 29);
	assert_int_equal(config_load(path, cf, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "NUL"));

	assert_int_equal(unlink(path), 0);
	assert_int_equal(config_load(path, cf, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	/* A directory is not a config file. */
	assert_int_equal(config_load(dir, cf, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(rmdir(dir), 0);
	free(big);
	free(cf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_fields),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_print_format),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_syntax_accepted),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_untouched),
		cmocka_unit_test(test_too_many_peers),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_addr_split),
		cmocka_unit_test(test_file_paths),
		cmocka_unit_test(test_file_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
