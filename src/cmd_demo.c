/*
 * cmd_demo.c: `hotline demo`, a self-contained run of the whole system on
 * one machine. It creates two nodes (us, ru) in a fresh temporary
 * directory, pins each one's key in the other's configuration, starts two
 * hotlined processes on loopback, and drives them through their local APIs:
 * an NRRC FLASH notification us -> ru, its human acknowledgment by ru, and a
 * direct-line reply ru -> us. It then prints a transcript with both clocks,
 * the signed receipts and the keys that verified them.
 *
 * Every wait is bounded; on any failure the daemons' logs are printed. The
 * daemons are always stopped (SIGTERM, then SIGKILL after 5 s) and reaped,
 * also when the demo is interrupted, and they die with the demo
 * (PR_SET_PDEATHSIG) if it is killed outright.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "client.h"
#include "config.h"
#include "identity.h"
#include "store.h"
#include "util.h"

#define DEMO_WAIT_MS	20000
#define DEMO_POLL_MS	50
#define DEMO_STOP_MS	5000
#define DEMO_LOG_TAIL	(32 * 1024)

struct node {
	const char	*party;
	char		 dir[PATH_MAX];
	char		 conf[PATH_MAX];
	char		 sock[PATH_MAX];
	char		 log[PATH_MAX];
	char		 fpr[FPR_HEX_LEN + 1];
	uint16_t	 port;
	pid_t		 pid;
	struct cli	 cli;
};

static volatile sig_atomic_t demo_interrupted;

static void
demo_on_signal(int sig)
{
	demo_interrupted = sig;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A loopback TCP port that was free a moment ago. 0 or -1. */
static int
free_port(uint16_t *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, rv = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0) {
		*port = ntohs(sin.sin_port);
		rv = 0;
	}
	close(fd);
	return rv;
}

/* The hotlined binary: $HOTLINED, else next to this program. 0 or -1. */
static int
find_hotlined(char *out, size_t outsz)
{
	const char *env = getenv("HOTLINED");
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (env != NULL && *env != '\0') {
		if (snprintf(out, outsz, "%s", env) >= (int)outsz)
			return -1;
	} else {
		if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) ==
		    -1)
			return -1;
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) == NULL)
			return -1;
		*slash = '\0';
		if (snprintf(out, outsz, "%s/hotlined", self) >= (int)outsz)
			return -1;
	}
	if (access(out, X_OK) == -1) {
		fprintf(stderr, "hotline: demo: %s: %s (set $HOTLINED)\n", out,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Create the node's identity and learn its fingerprint. 0 or -1. */
static int
node_init(struct node *n, const char *base)
{
	char err[512], listen[64], cert[PATH_MAX];
	EVP_PKEY *pub;
	int rv = -1;

	if (snprintf(n->dir, sizeof(n->dir), "%s/%s", base, n->party) >=
	    (int)sizeof(n->dir) ||
	    snprintf(n->conf, sizeof(n->conf), "%s/hotline.conf", n->dir) >=
	    (int)sizeof(n->conf) ||
	    snprintf(n->sock, sizeof(n->sock), "%s/api.sock", n->dir) >=
	    (int)sizeof(n->sock) ||
	    snprintf(n->log, sizeof(n->log), "%s/hotlined.log", n->dir) >=
	    (int)sizeof(n->log) ||
	    snprintf(cert, sizeof(cert), "%s/cert.pem", n->dir) >=
	    (int)sizeof(cert)) {
		fprintf(stderr, "hotline: demo: temporary path too long\n");
		return -1;
	}
	if (strlen(n->sock) >= sizeof(((struct sockaddr_un *)NULL)->sun_path)) {
		fprintf(stderr, "hotline: demo: %s is too long for a Unix "
		    "socket; set TMPDIR to a shorter directory\n", n->sock);
		return -1;
	}
	if (free_port(&n->port) == -1) {
		fprintf(stderr, "hotline: demo: no free loopback port: %s\n",
		    strerror(errno));
		return -1;
	}
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", (unsigned)n->port);
	if (identity_init(n->dir, n->party, listen, err, sizeof(err)) == -1) {
		fprintf(stderr, "hotline: demo: init %s: %s\n", n->party, err);
		return -1;
	}
	if ((pub = identity_load_cert_pubkey(cert)) == NULL ||
	    identity_fingerprint(pub, n->fpr) == -1)
		fprintf(stderr, "hotline: demo: %s: cannot read the key\n", cert);
	else
		rv = 0;
	EVP_PKEY_free(pub);
	n->cli.socket = n->sock;
	return rv;
}

/* Replace the node's configuration with one that pins the other node. */
static int
node_configure(struct node *n, const struct node *other)
{
	char text[2048];
	int w;

	w = snprintf(text, sizeof(text),
	    "# written by hotline demo\n"
	    "[node]\n"
	    "party = %s\n"
	    "listen = 127.0.0.1:%u\n"
	    "data_dir = .\n"
	    "\n"
	    "[link]\n"
	    "heartbeat = 1s\n"
	    "dead_after = 5s\n"
	    "reconnect_min = 50ms\n"
	    "reconnect_max = 1s\n"
	    "\n"
	    "[peer %s]\n"
	    "fingerprint = %s\n"
	    "address = 127.0.0.1:%u\n",
	    n->party, (unsigned)n->port, other->party, other->fpr,
	    (unsigned)other->port);
	if (w < 0 || w >= (int)sizeof(text) ||
	    write_file_atomic(n->conf, text, (size_t)w, 0600) == -1) {
		fprintf(stderr, "hotline: demo: cannot write %s\n", n->conf);
		return -1;
	}
	return 0;
}

static int
node_start(struct node *n, const char *hotlined)
{
	int fd;

	if ((n->pid = fork()) == -1) {
		fprintf(stderr, "hotline: demo: fork: %s\n", strerror(errno));
		return -1;
	}
	if (n->pid != 0)
		return 0;
	/* Child: die with the demo; logs to the node's log file. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if ((fd = open(n->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		_exit(127);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if ((fd = open("/dev/null", O_RDONLY)) != -1)
		dup2(fd, STDIN_FILENO);
	execl(hotlined, "hotlined", "-d", "-c", n->conf, (char *)NULL);
	fprintf(stderr, "exec %s: %s\n", hotlined, strerror(errno));
	_exit(127);
}

/* Stop one daemon: SIGTERM, then SIGKILL after DEMO_STOP_MS; reap it. */
static void
node_stop(struct node *n)
{
	int waited, status;

	if (n->pid <= 0)
		return;
	kill(n->pid, SIGTERM);
	for (waited = 0; waited < DEMO_STOP_MS; waited += DEMO_POLL_MS) {
		if (waitpid(n->pid, &status, WNOHANG) == n->pid) {
			n->pid = 0;
			return;
		}
		sleep_ms(DEMO_POLL_MS);
	}
	fprintf(stderr, "hotline: demo: %s daemon did not stop; killing it\n",
	    n->party);
	kill(n->pid, SIGKILL);
	waitpid(n->pid, &status, 0);
	n->pid = 0;
}

/* Is the daemon still running? Reaps it (and says so) if not. */
static int
node_alive(struct node *n)
{
	int status;

	if (n->pid <= 0)
		return 0;
	if (waitpid(n->pid, &status, WNOHANG) != n->pid)
		return 1;
	fprintf(stderr, "hotline: demo: the %s daemon exited (%s %d)\n",
	    n->party, WIFEXITED(status) ? "status" : "signal",
	    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	n->pid = 0;
	return 0;
}

/* Does something accept connections on the node's API socket? */
static int
node_answers(const struct node *n)
{
	struct sockaddr_un sun;
	int fd, ok;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", n->sock) >=
	    (int)sizeof(sun.sun_path))
		return 0;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return ok;
}

/*
 * Call a node's API expecting status want. Returns 0 with *resp set, 1 if
 * another status came back (resp freed), -1 if the call itself failed.
 */
static int
node_api(struct node *n, const char *method, const char *path, json_t *body,
    long want, json_t **resp)
{
	long status;

	if (client_call(&n->cli, method, path, body, resp, &status) == -1)
		return -1;
	if (status == want)
		return 0;
	if (status != 404)
		fprintf(stderr, "hotline: demo: %s %s on %s: HTTP %ld: %s\n",
		    method, path, n->party, status,
		    json_string_value(json_object_get(*resp, "error")) ?
		    json_string_value(json_object_get(*resp, "error")) : "?");
	json_decref(*resp);
	*resp = NULL;
	return 1;
}

typedef int (*demo_cond)(struct node *n, const char *arg, json_t **out);

/*
 * Poll cond until it returns 1 (*out set), for at most DEMO_WAIT_MS, while
 * both daemons live and no signal arrived. 0 or -1 (reason printed).
 */
static int
wait_for(struct node *nodes, struct node *n, demo_cond cond, const char *arg,
    const char *what, json_t **out)
{
	int waited, r;

	for (waited = 0; waited < DEMO_WAIT_MS; waited += DEMO_POLL_MS) {
		if (demo_interrupted) {
			fprintf(stderr, "hotline: demo: interrupted\n");
			return -1;
		}
		if (!node_alive(&nodes[0]) || !node_alive(&nodes[1]))
			return -1;
		if ((r = cond(n, arg, out)) == 1)
			return 0;
		if (r == -1)
			return -1;
		sleep_ms(DEMO_POLL_MS);
	}
	fprintf(stderr, "hotline: demo: timed out after %d s waiting for %s\n",
	    DEMO_WAIT_MS / 1000, what);
	return -1;
}

static int
cond_api_up(struct node *n, const char *arg, json_t **out)
{
	return node_answers(n) ? 1 : 0;
}

static int
cond_link_up(struct node *n, const char *arg, json_t **out)
{
	json_t *resp, *p;
	int up;

	if (node_api(n, "GET", "/v1/peers", NULL, 200, &resp) != 0)
		return -1;
	p = json_array_get(json_object_get(resp, "peers"), 0);
	up = p != NULL && strcmp(json_string_value(json_object_get(p,
	    "state")) ? json_string_value(json_object_get(p, "state")) : "",
	    "up") == 0;
	if (up)
		*out = resp;
	else
		json_decref(resp);
	return up;
}

/* arg: "ID" or "ID=state": the message exists (in that state). */
static int
cond_msg(struct node *n, const char *arg, json_t **out)
{
	char path[128], id[ID_HEX_LEN + 1];
	const char *eq = strchr(arg, '='), *st;
	json_t *resp;
	int r;

	snprintf(id, sizeof(id), "%.*s", eq != NULL ? (int)(eq - arg) :
	    (int)strlen(arg), arg);
	snprintf(path, sizeof(path), "/v1/messages/%s", id);
	if ((r = node_api(n, "GET", path, NULL, 200, &resp)) == -1)
		return -1;
	if (r == 1)
		return 0;
	st = json_string_value(json_object_get(resp, "state"));
	if (eq != NULL && (st == NULL || strcmp(st, eq + 1) != 0)) {
		json_decref(resp);
		return 0;
	}
	*out = resp;
	return 1;
}

static const char *
js(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "-";
}

/* The history event named ev of a message object, or NULL. */
static json_t *
event_of(json_t *m, const char *ev)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(m, "history"), i, e)
		if (strcmp(js(e, "event"), ev) == 0)
			return e;
	return NULL;
}

/*
 * Print one message of the transcript from the sender's view (delivery
 * receipt, acknowledgment) and the receiver's view (received time).
 */
static void
print_message(int no, json_t *snd, json_t *rcv, json_t *ackmsg)
{
	json_t *body = json_object_get(snd, "body"), *del, *r, *ack;
	char prec[16];
	size_t i;

	snprintf(prec, sizeof(prec), "%s", js(snd, "precedence"));
	for (i = 0; prec[i] != '\0'; i++)
		if (prec[i] >= 'a' && prec[i] <= 'z')
			prec[i] = (char)(prec[i] - 'a' + 'A');
	printf("%d. %s -> %s   %s/%s   %s%s   id %.12s\n", no, js(snd, "from"),
	    js(snd, "to"), js(snd, "channel"), js(snd, "kind"), prec,
	    json_is_true(json_object_get(snd, "exercise")) ? "   EXERCISE" : "",
	    js(snd, "id"));
	if (json_is_string(json_object_get(body, "template")))
		printf("   template      %s, reference %s\n", js(body,
		    "template"), js(json_object_get(body, "fields"),
		    "reference"));
	else
		printf("   text          \"%s\" (%s)\n", js(body, "text"),
		    js(body, "lang"));
	printf("   created       %s  (%s's clock)\n", js(snd, "created"),
	    js(snd, "from"));
	printf("   received      %s  (%s's clock)\n", js(rcv, "received"),
	    js(rcv, "to"));
	del = event_of(snd, "delivered");
	r = del != NULL ? json_object_get(del, "receipt") : NULL;
	if (r != NULL)
		printf("   delivered     %s  (signed receipt %.12s from %s, "
		    "seq %lld)\n", js(r, "time"), js(r, "id"),
		    js(r, "signed_by"),
		    (long long)json_integer_value(json_object_get(r, "seq")));
	if ((ack = event_of(snd, "acknowledged")) != NULL) {
		printf("   acknowledged  %s  by %s (ack %.12s)", js(ack, "time"),
		    js(ack, "by"), js(ack, "ack_id"));
		if (ackmsg != NULL && json_string_value(json_object_get(
		    json_object_get(ackmsg, "body"), "note")) != NULL)
			printf(": \"%s\"", js(json_object_get(ackmsg, "body"),
			    "note"));
		printf("\n");
	}
	printf("   message       signature verified (ed25519, key %.12s of "
	    "%s) by %s\n", js(rcv, "key"), js(rcv, "from"), js(rcv, "to"));
	if (r != NULL)
		printf("   receipt       signature verified (ed25519, key %.12s "
		    "of %s) by %s\n", js(r, "key"), js(r, "signed_by"),
		    js(snd, "from"));
	printf("\n");
}

static void
print_log_tail(const struct node *n)
{
	char buf[4096];
	FILE *fp;
	long size;
	size_t k;

	fprintf(stderr, "\n---- %s daemon log (%s) ----\n", n->party, n->log);
	if ((fp = fopen(n->log, "r")) == NULL) {
		fprintf(stderr, "(cannot open: %s)\n", strerror(errno));
		return;
	}
	if (fseek(fp, 0, SEEK_END) == 0 && (size = ftell(fp)) > DEMO_LOG_TAIL)
		fseek(fp, size - DEMO_LOG_TAIL, SEEK_SET);
	else
		fseek(fp, 0, SEEK_SET);
	while ((k = fread(buf, 1, sizeof(buf), fp)) > 0)
		fwrite(buf, 1, k, stderr);
	fclose(fp);
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	if (remove(path) == -1)
		fprintf(stderr, "hotline: demo: remove %s: %s\n", path,
		    strerror(errno));
	return 0;
}

/* Submit a message on node n to path; its id goes to id. 0 or -1. */
static int
demo_send_path(struct node *n, const char *path, json_t *req,
    char id[ID_HEX_LEN + 1])
{
	json_t *resp;
	int rv = -1;

	if (req == NULL) {
		fprintf(stderr, "hotline: demo: out of memory\n");
		return -1;
	}
	if (node_api(n, "POST", path, req, 201, &resp) == 0 &&
	    snprintf(id, ID_HEX_LEN + 1, "%s", js(resp, "id")) == ID_HEX_LEN)
		rv = 0;
	else
		fprintf(stderr, "hotline: demo: %s could not send\n", n->party);
	json_decref(resp);
	json_decref(req);
	return rv;
}

static int
demo_send(struct node *n, json_t *req, char id[ID_HEX_LEN + 1])
{
	return demo_send_path(n, "/v1/messages", req, id);
}

/* Print n's rendering of message id in lang, indented. */
static void
print_render(struct node *n, const char *id, const char *lang)
{
	char path[160];
	json_t *resp = NULL;
	const char *t, *nl;

	snprintf(path, sizeof(path), "/v1/render/%s?lang=%s", id, lang);
	if (node_api(n, "GET", path, NULL, 200, &resp) != 0)
		return;
	for (t = js(resp, "text"); *t != '\0'; t = *nl != '\0' ? nl + 1 : nl) {
		if ((nl = strchr(t, '\n')) == NULL)
			nl = t + strlen(t);
		printf("   | %.*s\n", (int)(nl - t), t);
	}
	json_decref(resp);
}

/* The scenario itself, with both daemons running. 0 or -1. */
static int
demo_run(struct node *nodes)
{
	struct node *us = &nodes[0], *ru = &nodes[1];
	char id1[ID_HEX_LEN + 1], id2[ID_HEX_LEN + 1], arg[ID_HEX_LEN + 32];
	char path[128], ackid[ID_HEX_LEN + 1];
	json_t *peers = NULL, *s1 = NULL, *r1 = NULL, *s2 = NULL, *r2 = NULL;
	json_t *ackm = NULL, *resp = NULL, *p;
	int i, rv = -1;

	for (i = 0; i < 2; i++)
		if (wait_for(nodes, &nodes[i], cond_api_up, NULL,
		    nodes[i].party[0] == 'u' ? "the us API socket" :
		    "the ru API socket", NULL) == -1)
			goto done;
	if (wait_for(nodes, us, cond_link_up, NULL, "the link us <-> ru",
	    &peers) == -1 ||
	    wait_for(nodes, ru, cond_link_up, NULL, "the link ru <-> us",
	    &resp) == -1)
		goto done;
	json_decref(resp);
	resp = NULL;
	p = json_array_get(json_object_get(peers, "peers"), 0);
	printf("link us <-> ru up via %s", js(p, "address"));
	if (json_is_number(json_object_get(p, "rtt_ms")))
		printf(", rtt %.2f ms", json_number_value(json_object_get(p,
		    "rtt_ms")));
	printf("\n\n");

	/* 1. A FLASH incident notification, us -> ru, from the template
	 * (an exercise). */
	if (demo_send_path(us, "/v1/notify", json_pack("{s:s, s:s, s:s, "
	    "s:b, s:{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:{s:s, s:s}, "
	    "s:{s:s, s:s}, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}, "
	    "s:{s:s, s:s}}}",
	    "to", "ru", "template", "incident-notification", "precedence",
	    "flash", "exercise", 1, "fields",
	    "reference", "US-NRRC-2026-0042",
	    "incident_start", "2026-11-23T08:40:00Z",
	    "detected", "2026-11-23T08:52:00Z",
	    "sector", "energy",
	    "systems", "text", "Control networks of two regional grid "
	    "operators", "lang", "en",
	    "activity", "scanning",
	    "observed", "text", "Scanning of energy-sector networks from "
	    "198.51.100.23 and 198.51.100.24", "lang", "en",
	    "origin", "text", "Address space that appears to be in your "
	    "territory", "lang", "en",
	    "origin_confidence", "moderate",
	    "impact", "minimal",
	    "actions", "text", "Sources blocked at the perimeter", "lang", "en",
	    "request", "text", "Please tell us what you find about these "
	    "addresses", "lang", "en",
	    "contacts", "text", "US NRRC watch officer", "lang", "en"),
	    id1) == -1)
		goto done;
	if (wait_for(nodes, ru, cond_msg, id1, "ru to receive the notification",
	    &resp) == -1)
		goto done;
	json_decref(resp);
	resp = NULL;

	/* 2. A watch officer at ru acknowledges it. */
	snprintf(path, sizeof(path), "/v1/messages/%s/ack", id1);
	if ((resp = json_pack("{s:s}", "note", "Received; investigating.")) ==
	    NULL)
		goto done;
	if (node_api(ru, "POST", path, resp, 201, &ackm) != 0) {
		fprintf(stderr, "hotline: demo: ru could not acknowledge\n");
		goto done;
	}
	snprintf(ackid, sizeof(ackid), "%s", js(ackm, "id"));
	json_decref(resp);
	json_decref(ackm);
	resp = ackm = NULL;
	snprintf(arg, sizeof(arg), "%s=acknowledged", id1);
	if (wait_for(nodes, us, cond_msg, arg, "us to see the acknowledgment",
	    &s1) == -1)
		goto done;

	/* 3. A direct-line message ru -> us. */
	if (demo_send(ru, json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}}",
	    "to", "us", "channel", "direct", "kind", "text", "precedence",
	    "immediate", "body", "text", "We see the activity too. Our team "
	    "is on it; update within the hour.", "lang", "en"), id2) == -1)
		goto done;
	snprintf(arg, sizeof(arg), "%s=delivered", id2);
	if (wait_for(nodes, ru, cond_msg, arg, "delivery of the direct "
	    "message", &s2) == -1 ||
	    wait_for(nodes, us, cond_msg, id2, "us to hold the direct message",
	    &r2) == -1 ||
	    wait_for(nodes, ru, cond_msg, id1, "ru's copy of the notification",
	    &r1) == -1 ||
	    wait_for(nodes, us, cond_msg, ackid, "the acknowledgment message",
	    &ackm) == -1)
		goto done;

	printf("transcript (times are UTC; each side's own clock)\n\n");
	print_message(1, s1, r1, ackm);
	printf("   as ru's watch officer reads it (hotline show %.12s --lang "
	    "ru):\n", id1);
	print_render(ru, id1, "ru");
	printf("\n");
	print_message(2, s2, r2, NULL);
	rv = 0;
 done:
	json_decref(peers);
	json_decref(resp);
	json_decref(s1);
	json_decref(r1);
	json_decref(s2);
	json_decref(r2);
	json_decref(ackm);
	return rv;
}

/* hotline demo [--keep] */
int
cmd_demo(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "keep",	no_argument,	NULL, 'k' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL,		0,		NULL, 0 },
	};
	struct node nodes[2];
	struct sigaction sa, old_int, old_term;
	char base[PATH_MAX], hotlined[PATH_MAX];
	const char *tmp;
	int ch, i, keep = 0, rv = 1;

	while ((ch = getopt_long(argc, argv, "kh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			keep = 1;
			break;
		default:
			fprintf(stderr, "usage: hotline demo [--keep]\n");
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: hotline demo [--keep]\n");
		return 2;
	}
	if (find_hotlined(hotlined, sizeof(hotlined)) == -1)
		return 1;
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	if (snprintf(base, sizeof(base), "%s/hotline-demo.XXXXXX", tmp) >=
	    (int)sizeof(base) || mkdtemp(base) == NULL) {
		fprintf(stderr, "hotline: demo: cannot create a directory in "
		    "%s: %s\n", tmp, strerror(errno));
		return 1;
	}
	memset(nodes, 0, sizeof(nodes));
	nodes[0].party = "us";
	nodes[1].party = "ru";

	/* Interrupts end the waits; the daemons are then stopped as usual. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = demo_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	printf("hotline demo: two nodes on loopback in %s\n", base);
	for (i = 0; i < 2; i++)
		if (node_init(&nodes[i], base) == -1)
			goto done;
	if (node_configure(&nodes[0], &nodes[1]) == -1 ||
	    node_configure(&nodes[1], &nodes[0]) == -1)
		goto done;
	for (i = 0; i < 2; i++)
		printf("  %s  127.0.0.1:%u  key %s\n", nodes[i].party,
		    (unsigned)nodes[i].port, nodes[i].fpr);
	fflush(stdout);
	for (i = 0; i < 2; i++)
		if (node_start(&nodes[i], hotlined) == -1)
			goto done;
	if (demo_run(nodes) == -1)
		goto done;
	rv = 0;
 done:
	for (i = 0; i < 2; i++)
		node_stop(&nodes[i]);
	if (rv != 0)
		for (i = 0; i < 2; i++)
			if (nodes[i].dir[0] != '\0')
				print_log_tail(&nodes[i]);
	if (keep)
		printf("the nodes' files are kept in %s\n", base);
	else
		nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (rv == 0)
		printf("demo complete\n");
	return rv;
}
