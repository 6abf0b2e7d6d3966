/*
 * mqtt_bench: load client for Mosquitto 2.0 over MQTT 3.1.1 with TLS 1.3
 * and a client certificate (libmosquitto), all messages QoS 2.  A publish
 * is accepted when PUBCOMP arrives (libmosquitto's on_publish for QoS 2);
 * mosquitto sends PUBCOMP before the snapshot that holds the message is
 * fsync'ed.  Subscribers use persistent sessions (clean session off) so
 * that queued messages belong to the persisted state; a QoS 2 message
 * reaches on_message once the subscriber's PUBREC/PUBREL exchange is done.
 *
 * Modes as in amqp_bench: accept, e2e, throughput, flash (MQTT has no
 * priorities either: flash messages use their own topic and connections).
 * Each client runs libmosquitto's network thread (mosquitto_loop_start).
 * One JSON object per run on stdout.
 */
#include <math.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

#define PEER		"mosquitto-2.0-qos2"
#define DURABILITY	"PUBCOMP before the snapshot fsync (persistence, " \
			"autosave_on_changes, autosave_interval 1)"

static struct opts	 o;
static uint64_t		 run_id;

struct client {
	struct mosquitto	*m;
	const char		*name;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 connected;
	int			 subscribed;
	size_t			 acked;		/* PUBCOMPs received */
	size_t			 got;		/* messages of this run */
	uint64_t		 last_ns;
	struct lat		*lat;		/* subscriber latencies or NULL */
};

static void
on_connect(struct mosquitto *m, void *obj, int rc)
{
	struct client *c = obj;

	(void)m;
	pthread_mutex_lock(&c->mu);
	c->connected = rc == 0 ? 1 : -1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static void
on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *qos)
{
	struct client *c = obj;

	(void)m;
	(void)mid;
	pthread_mutex_lock(&c->mu);
	c->subscribed = n == 1 && qos[0] == 2 ? 1 : -1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static void
on_publish(struct mosquitto *m, void *obj, int mid)
{
	struct client *c = obj;

	(void)m;
	(void)mid;
	pthread_mutex_lock(&c->mu);
	c->acked++;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static void
on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
	struct client *c = obj;
	uint64_t now = now_ns(), t, run, seq;

	(void)m;
	if (payload_read(msg->payload, (size_t)msg->payloadlen, &t, &run,
	    &seq) != 0 || run != run_id)
		return;		/* left over from an earlier run */
	pthread_mutex_lock(&c->mu);
	if (c->lat != NULL)
		lat_add(c->lat, (double)(now - t) / 1e6);
	c->got++;
	c->last_ns = now;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

/*
 * Connects a client; with topic, as a persistent-session subscriber at
 * QoS 2 (returns once SUBACK is in).
 */
static void
client_open(struct client *c, const char *id, const char *topic,
    struct lat *lat)
{
	char ca[512], crt[512], key[512];
	int rc;

	memset(c, 0, sizeof(*c));
	c->name = id;
	c->lat = lat;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (snprintf(ca, sizeof(ca), "%s/ca.crt", o.dir) >= (int)sizeof(ca) ||
	    snprintf(crt, sizeof(crt), "%s/client.crt", o.dir) >=
	    (int)sizeof(crt) ||
	    snprintf(key, sizeof(key), "%s/client.key", o.dir) >=
	    (int)sizeof(key))
		die("certificate path too long");
	if ((c->m = mosquitto_new(id, topic == NULL, c)) == NULL)
		die("mosquitto_new");
	if (mosquitto_tls_set(c->m, ca, NULL, crt, key, NULL) !=
	    MOSQ_ERR_SUCCESS)
		die("mosquitto_tls_set");
	if (mosquitto_tls_opts_set(c->m, 1, "tlsv1.3", NULL) !=
	    MOSQ_ERR_SUCCESS)
		die("mosquitto_tls_opts_set");
	mosquitto_int_option(c->m, MOSQ_OPT_TCP_NODELAY, 1);
	/* our own window bounds what is in flight; do not queue in the lib */
	mosquitto_max_inflight_messages_set(c->m, 0);
	mosquitto_connect_callback_set(c->m, on_connect);
	mosquitto_subscribe_callback_set(c->m, on_subscribe);
	mosquitto_publish_callback_set(c->m, on_publish);
	mosquitto_message_callback_set(c->m, on_message);
	if ((rc = mosquitto_connect(c->m, "127.0.0.1", o.port, 60)) !=
	    MOSQ_ERR_SUCCESS)
		die("connect 127.0.0.1:%d: %s", o.port, mosquitto_strerror(rc));
	if (mosquitto_loop_start(c->m) != MOSQ_ERR_SUCCESS)
		die("mosquitto_loop_start");
	pthread_mutex_lock(&c->mu);
	while (c->connected == 0)
		pthread_cond_wait(&c->cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
	if (c->connected < 0)
		die("%s: connection refused", id);
	if (topic == NULL)
		return;
	if (mosquitto_subscribe(c->m, NULL, topic, 2) != MOSQ_ERR_SUCCESS)
		die("subscribe");
	pthread_mutex_lock(&c->mu);
	while (c->subscribed == 0)
		pthread_cond_wait(&c->cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
	if (c->subscribed < 0)
		die("%s: subscription refused", id);
}

static void
client_close(struct client *c)
{
	mosquitto_disconnect(c->m);
	mosquitto_loop_stop(c->m, false);
	mosquitto_destroy(c->m);
}

static void
publish(struct client *c, const char *topic, unsigned char *buf,
    uint64_t seq)
{
	int rc;

	payload_fill(buf, o.size, now_ns(), run_id, seq);
	if ((rc = mosquitto_publish(c->m, NULL, topic, (int)o.size, buf, 2,
	    false)) != MOSQ_ERR_SUCCESS)
		die("publish: %s", mosquitto_strerror(rc));
}

/* Waits until the PUBCOMP count reaches n. */
static void
wait_acked(struct client *c, size_t n)
{
	pthread_mutex_lock(&c->mu);
	while (c->acked < n)
		pthread_cond_wait(&c->cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
}

/* Waits until the subscriber has n messages of this run. */
static void
wait_got(struct client *c, size_t n)
{
	pthread_mutex_lock(&c->mu);
	while (c->got < n)
		pthread_cond_wait(&c->cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
}

/* Publishes n messages keeping at most window without PUBCOMP. */
static void
publish_windowed(struct client *c, const char *topic, size_t n,
    size_t window)
{
	unsigned char *buf = malloc(o.size);
	size_t sent;

	if (buf == NULL)
		die("out of memory");
	for (sent = 0; sent < n; sent++) {
		if (sent >= window)
			wait_acked(c, sent - window + 1);
		publish(c, topic, buf, sent + 1);
	}
	wait_acked(c, n);
	free(buf);
}

static void
mode_accept(void)
{
	struct client p, s;
	struct lat lat = { 0 };
	struct rss r;
	unsigned char *buf = malloc(o.size);
	size_t i, total = o.warmup + o.count;
	uint64_t t0;

	if (buf == NULL)
		die("out of memory");
	/*
	 * Without a subscriber mosquitto stores nothing and writes no
	 * snapshot; a persistent-session subscriber makes each message a
	 * queued (and snapshotted) one, as a durable relay needs.
	 */
	client_open(&s, "bench-sub-accept", "bench/accept", NULL);
	client_open(&p, "bench-pub", NULL, NULL);
	rss_start(&r, o.broker_pid);
	for (i = 1; i <= total; i++) {
		t0 = now_ns();
		publish(&p, "bench/accept", buf, i);
		wait_acked(&p, i);
		if (i > o.warmup)
			lat_add(&lat, (double)(now_ns() - t0) / 1e6);
	}
	rss_stop(&r);
	emit_json(&o, PEER, DURABILITY, &lat, o.count, NAN, &r,
	    "publish -> PUBCOMP, one at a time; a persistent-session "
	    "subscriber is connected");
	client_close(&p);
	client_close(&s);
	free(buf);
	lat_free(&lat);
}

static void
mode_e2e(void)
{
	struct client p, s;
	struct lat lat = { 0 };
	struct rss r;
	unsigned char *buf = malloc(o.size);
	size_t i, total = o.warmup + o.count;

	if (buf == NULL)
		die("out of memory");
	client_open(&s, "bench-sub-e2e", "bench/e2e", &lat);
	client_open(&p, "bench-pub", NULL, NULL);
	rss_start(&r, o.broker_pid);
	for (i = 1; i <= total; i++) {
		if (i == o.warmup + 1) {
			pthread_mutex_lock(&s.mu);
			lat.n = 0;	/* drop the warm-up samples */
			pthread_mutex_unlock(&s.mu);
		}
		publish(&p, "bench/e2e", buf, i);
		wait_acked(&p, i);
		wait_got(&s, i);
	}
	rss_stop(&r);
	emit_json(&o, PEER, DURABILITY, &lat, o.count, NAN, &r,
	    "publish -> delivered (QoS 2 exchange done) to a subscriber on a "
	    "2nd connection; publisher also waits for PUBCOMP");
	client_close(&p);
	client_close(&s);
	free(buf);
	lat_free(&lat);
}

static void
mode_throughput(void)
{
	struct client p, s;
	struct rss r;
	uint64_t t0;
	double secs;

	client_open(&s, "bench-sub-tp", "bench/tp", NULL);
	client_open(&p, "bench-pub", NULL, NULL);
	rss_start(&r, o.broker_pid);
	t0 = now_ns();
	publish_windowed(&p, "bench/tp", o.count, o.window);
	wait_got(&s, o.count);
	secs = (double)(s.last_ns - t0) / 1e9;
	rss_stop(&r);
	emit_json(&o, PEER, DURABILITY, NULL, o.count, secs, &r,
	    "first publish -> subscriber has all; window of PUBCOMPs");
	client_close(&p);
	client_close(&s);
}

struct flasher {
	struct client	*c;
	atomic_int	*stop;
	size_t		 sent;
};

static void *
flash_loop(void *arg)
{
	struct flasher *f = arg;
	unsigned char *buf = malloc(o.size);
	uint64_t next = now_ns();

	if (buf == NULL)
		die("out of memory");
	while (!atomic_load(f->stop)) {
		while (now_ns() < next)
			usleep(1000);
		next += (uint64_t)o.interval_ms * 1000000u;
		f->sent++;
		publish(f->c, "bench/flash", buf, f->sent);
		wait_acked(f->c, f->sent);
	}
	free(buf);
	return NULL;
}

static void
mode_flash(void)
{
	struct client pb, pf, sb, sf;
	struct flasher fl = { 0 };
	struct lat lat = { 0 };
	struct rss r;
	atomic_int stop = 0;
	pthread_t th;
	uint64_t t0;
	double secs;

	client_open(&sb, "bench-sub-bulk", "bench/bulk", NULL);
	client_open(&sf, "bench-sub-flash", "bench/flash", &lat);
	client_open(&pb, "bench-pub-bulk", NULL, NULL);
	client_open(&pf, "bench-pub-flash", NULL, NULL);
	fl.c = &pf;
	fl.stop = &stop;
	rss_start(&r, o.broker_pid);
	t0 = now_ns();
	if (pthread_create(&th, NULL, flash_loop, &fl) != 0)
		die("pthread_create");
	publish_windowed(&pb, "bench/bulk", o.count, o.window);
	wait_got(&sb, o.count);
	secs = (double)(sb.last_ns - t0) / 1e9;
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	wait_got(&sf, fl.sent);
	rss_stop(&r);
	emit_json(&o, PEER, DURABILITY, &lat, o.count, secs, &r,
	    "latencies: flash publish -> flash subscriber while bulk streams; "
	    "msgs_per_s: bulk; MQTT has no priorities: flash uses its own "
	    "topic and connections");
	client_close(&pf);
	client_close(&pb);
	client_close(&sf);
	client_close(&sb);
	lat_free(&lat);
}

int
main(int argc, char **argv)
{
	opts_parse(&o, argc, argv, 8883);
	run_id = run_id_new();
	mosquitto_lib_init();
	switch (o.mode) {
	case MODE_ACCEPT:
		mode_accept();
		break;
	case MODE_E2E:
		mode_e2e();
		break;
	case MODE_THROUGHPUT:
		mode_throughput();
		break;
	case MODE_FLASH:
		mode_flash();
		break;
	}
	mosquitto_lib_cleanup();
	return 0;
}
