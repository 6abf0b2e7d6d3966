/*
 * amqp_bench: load client for RabbitMQ quorum queues over AMQP 0-9-1 with
 * TLS 1.3 and a client certificate (librabbitmq's amqp_ssl_socket).
 * Publishers use publisher confirms (a confirm for a quorum queue comes
 * after the Raft log entry is fdatasync'ed); messages are persistent
 * (delivery_mode 2); consumers ack each message after it arrives.
 *
 * Modes (see README.md of bench/): accept (sequential publish -> confirm),
 * e2e (sequential publish -> delivery at a consumer on a second
 * connection, which acks it), throughput (COUNT messages, WINDOW unconfirmed
 * in flight, first publish -> consumer has all), flash (COUNT bulk messages
 * streaming with a window while one flash message every INTERVAL ms goes
 * through its own quorum queue on its own connections; quorum queues have
 * no priorities, so "flash" is a separate queue, not a higher priority).
 * One JSON object per run on stdout.
 */
#include <amqp.h>
#include <amqp_ssl_socket.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

#define PEER		"rabbitmq-3.10-quorum"
#define DURABILITY	"confirm after fdatasync of the quorum queue WAL " \
			"(grouped); persistent messages"
#define CH		1

static struct opts	 o;
static uint64_t		 run_id;

struct consumer {
	amqp_connection_state_t	 c;
	const char		*queue;
	size_t			 expect;	/* stop after this many (0: until stop) */
	unsigned		 prefetch;
	struct lat		*lat;		/* latencies recorded, or NULL */
	atomic_size_t		 got;
	atomic_int		 stop;
	uint64_t		 last_ns;	/* arrival of the last message */
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	pthread_t		 th;
};

static void
check_reply(amqp_rpc_reply_t r, const char *what)
{
	if (r.reply_type == AMQP_RESPONSE_NORMAL)
		return;
	if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION)
		die("%s: %s", what, amqp_error_string2(r.library_error));
	if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
	    r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
		amqp_channel_close_t *m = r.reply.decoded;
		die("%s: channel closed: %.*s", what,
		    (int)m->reply_text.len, (char *)m->reply_text.bytes);
	}
	if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
	    r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
		amqp_connection_close_t *m = r.reply.decoded;
		die("%s: connection closed: %.*s", what,
		    (int)m->reply_text.len, (char *)m->reply_text.bytes);
	}
	die("%s: failed (reply type %d)", what, r.reply_type);
}

/* Opens a TLS connection with channel CH; confirm mode when confirms. */
static amqp_connection_state_t
conn_open(int confirms)
{
	amqp_connection_state_t c;
	amqp_socket_t *s;
	char ca[512], crt[512], key[512];
	int st;

	if (snprintf(ca, sizeof(ca), "%s/ca.crt", o.dir) >= (int)sizeof(ca) ||
	    snprintf(crt, sizeof(crt), "%s/client.crt", o.dir) >=
	    (int)sizeof(crt) ||
	    snprintf(key, sizeof(key), "%s/client.key", o.dir) >=
	    (int)sizeof(key))
		die("certificate path too long");
	if ((c = amqp_new_connection()) == NULL)
		die("amqp_new_connection");
	if ((s = amqp_ssl_socket_new(c)) == NULL)
		die("amqp_ssl_socket_new");
	if (amqp_ssl_socket_set_ssl_versions(s, AMQP_TLSv1_2,
	    AMQP_TLSvLATEST) != AMQP_STATUS_OK)
		die("ssl versions");
	if (amqp_ssl_socket_set_cacert(s, ca) != AMQP_STATUS_OK)
		die("cacert %s", ca);
	if (amqp_ssl_socket_set_key(s, crt, key) != AMQP_STATUS_OK)
		die("client key %s", key);
	/*
	 * The chain is checked against the throwaway CA (which signs only
	 * this server); librabbitmq's host check knows no IP addresses.
	 */
	amqp_ssl_socket_set_verify_peer(s, 1);
	amqp_ssl_socket_set_verify_hostname(s, 0);
	if ((st = amqp_socket_open(s, "127.0.0.1", o.port)) != AMQP_STATUS_OK)
		die("connect 127.0.0.1:%d: %s", o.port, amqp_error_string2(st));
	check_reply(amqp_login(c, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
	    "guest", "guest"), "login");
	amqp_channel_open(c, CH);
	check_reply(amqp_get_rpc_reply(c), "channel.open");
	if (confirms) {
		amqp_confirm_select(c, CH);
		check_reply(amqp_get_rpc_reply(c), "confirm.select");
	}
	return c;
}

static void
conn_close(amqp_connection_state_t c)
{
	amqp_channel_close(c, CH, AMQP_REPLY_SUCCESS);
	amqp_connection_close(c, AMQP_REPLY_SUCCESS);
	amqp_destroy_connection(c);
}

/* Declares a durable quorum queue and empties it. */
static void
queue_prepare(amqp_connection_state_t c, const char *q)
{
	amqp_table_entry_t e;
	amqp_table_t args;

	e.key = amqp_cstring_bytes("x-queue-type");
	e.value.kind = AMQP_FIELD_KIND_UTF8;
	e.value.value.bytes = amqp_cstring_bytes("quorum");
	args.num_entries = 1;
	args.entries = &e;
	amqp_queue_declare(c, CH, amqp_cstring_bytes(q), 0, 1, 0, 0, args);
	check_reply(amqp_get_rpc_reply(c), "queue.declare");
	amqp_queue_purge(c, CH, amqp_cstring_bytes(q));
	check_reply(amqp_get_rpc_reply(c), "queue.purge");
}

static void
publish(amqp_connection_state_t c, const char *q, unsigned char *buf,
    uint64_t seq)
{
	amqp_basic_properties_t p;
	amqp_bytes_t body;

	memset(&p, 0, sizeof(p));
	p._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
	p.delivery_mode = 2;
	payload_fill(buf, o.size, now_ns(), run_id, seq);
	body.bytes = buf;
	body.len = o.size;
	if (amqp_basic_publish(c, CH, amqp_empty_bytes, amqp_cstring_bytes(q),
	    0, 0, &p, body) != AMQP_STATUS_OK)
		die("basic.publish");
}

/*
 * Confirm bookkeeping: tags 1..n; conf[tag] set once confirmed; low is the
 * lowest unconfirmed tag; nconf counts confirmed tags.
 */
struct confirms {
	unsigned char	*conf;
	size_t		 n, low, nconf;
};

static void
confirms_init(struct confirms *k, size_t n)
{
	k->conf = calloc(n + 2, 1);
	if (k->conf == NULL)
		die("out of memory");
	k->n = n;
	k->low = 1;
	k->nconf = 0;
}

static void
confirm_mark(struct confirms *k, uint64_t tag, int multiple)
{
	size_t t;

	if (tag > k->n)
		die("confirm for unknown tag %llu", (unsigned long long)tag);
	if (multiple) {
		for (t = k->low; t <= tag; t++)
			if (!k->conf[t]) {
				k->conf[t] = 1;
				k->nconf++;
			}
	} else if (!k->conf[tag]) {
		k->conf[tag] = 1;
		k->nconf++;
	}
	while (k->low <= k->n && k->conf[k->low])
		k->low++;
}

/* Blocks for the next frame on c and applies it if it is a confirm. */
static void
confirm_wait(amqp_connection_state_t c, struct confirms *k)
{
	amqp_frame_t f;
	int st;

	if ((st = amqp_simple_wait_frame(c, &f)) != AMQP_STATUS_OK)
		die("wait for confirm: %s", amqp_error_string2(st));
	if (f.frame_type != AMQP_FRAME_METHOD)
		return;
	if (f.payload.method.id == AMQP_BASIC_ACK_METHOD) {
		amqp_basic_ack_t *a = f.payload.method.decoded;
		confirm_mark(k, a->delivery_tag, a->multiple);
	} else if (f.payload.method.id == AMQP_BASIC_NACK_METHOD) {
		die("broker nacked a message");
	} else if (f.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ||
	    f.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD) {
		die("broker closed the channel");
	}
	amqp_maybe_release_buffers(c);
}

/* Publishes n messages to q keeping at most window unconfirmed. */
static void
publish_windowed(amqp_connection_state_t c, const char *q, size_t n,
    size_t window)
{
	struct confirms k;
	unsigned char *buf;
	size_t sent = 0;

	if ((buf = malloc(o.size)) == NULL)
		die("out of memory");
	confirms_init(&k, n);
	while (k.nconf < n) {
		while (sent < n && sent - k.nconf < window) {
			sent++;
			publish(c, q, buf, sent);
		}
		confirm_wait(c, &k);
	}
	free(k.conf);
	free(buf);
}

static void *
consumer_loop(void *arg)
{
	struct consumer *cs = arg;
	amqp_envelope_t env;
	amqp_rpc_reply_t r;
	struct timeval tv;
	uint64_t t, run, seq, now;

	amqp_basic_qos(cs->c, CH, 0, (uint16_t)cs->prefetch, 0);
	check_reply(amqp_get_rpc_reply(cs->c), "basic.qos");
	amqp_basic_consume(cs->c, CH, amqp_cstring_bytes(cs->queue),
	    amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
	check_reply(amqp_get_rpc_reply(cs->c), "basic.consume");
	pthread_mutex_lock(&cs->mu);
	pthread_cond_broadcast(&cs->cv);	/* consuming */
	pthread_mutex_unlock(&cs->mu);
	for (;;) {
		if (cs->expect && atomic_load(&cs->got) >= cs->expect)
			break;
		if (atomic_load(&cs->stop))
			break;
		tv.tv_sec = 0;
		tv.tv_usec = 100000;
		amqp_maybe_release_buffers(cs->c);
		r = amqp_consume_message(cs->c, &env, &tv, 0);
		if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
		    r.library_error == AMQP_STATUS_TIMEOUT)
			continue;
		check_reply(r, "consume");
		now = now_ns();
		if (payload_read(env.message.body.bytes, env.message.body.len,
		    &t, &run, &seq) == 0 && run == run_id) {
			if (cs->lat != NULL)
				lat_add(cs->lat, (double)(now - t) / 1e6);
			cs->last_ns = now;
			pthread_mutex_lock(&cs->mu);
			atomic_fetch_add(&cs->got, 1);
			pthread_cond_broadcast(&cs->cv);
			pthread_mutex_unlock(&cs->mu);
		}
		if (amqp_basic_ack(cs->c, CH, env.delivery_tag, 0) != 0)
			die("basic.ack");
		amqp_destroy_envelope(&env);
	}
	return NULL;
}

static void
consumer_start(struct consumer *cs, const char *q, size_t expect,
    unsigned prefetch, struct lat *lat)
{
	memset(cs, 0, sizeof(*cs));
	cs->c = conn_open(0);
	cs->queue = q;
	cs->expect = expect;
	cs->prefetch = prefetch;
	cs->lat = lat;
	pthread_mutex_init(&cs->mu, NULL);
	pthread_cond_init(&cs->cv, NULL);
	pthread_mutex_lock(&cs->mu);
	if (pthread_create(&cs->th, NULL, consumer_loop, cs) != 0)
		die("pthread_create");
	/* wait until basic.consume is acknowledged */
	pthread_cond_wait(&cs->cv, &cs->mu);
	pthread_mutex_unlock(&cs->mu);
}

/* Waits until the consumer has at least n messages. */
static void
consumer_wait(struct consumer *cs, size_t n)
{
	pthread_mutex_lock(&cs->mu);
	while (atomic_load(&cs->got) < n)
		pthread_cond_wait(&cs->cv, &cs->mu);
	pthread_mutex_unlock(&cs->mu);
}

static void
consumer_end(struct consumer *cs)
{
	atomic_store(&cs->stop, 1);
	pthread_join(cs->th, NULL);
	conn_close(cs->c);
}

static void
mode_accept(void)
{
	amqp_connection_state_t c = conn_open(1);
	struct confirms k;
	struct lat lat = { 0 };
	struct rss r;
	unsigned char *buf = malloc(o.size);
	size_t i, total = o.warmup + o.count;
	uint64_t t0;

	if (buf == NULL)
		die("out of memory");
	queue_prepare(c, "bench.accept");
	confirms_init(&k, total);
	rss_start(&r, o.broker_pid);
	for (i = 1; i <= total; i++) {
		t0 = now_ns();
		publish(c, "bench.accept", buf, i);
		while (k.nconf < i)
			confirm_wait(c, &k);
		if (i > o.warmup)
			lat_add(&lat, (double)(now_ns() - t0) / 1e6);
	}
	rss_stop(&r);
	queue_prepare(c, "bench.accept");
	emit_json(&o, PEER, DURABILITY, &lat, o.count, NAN, &r,
	    "publish -> publisher confirm, one at a time");
	free(k.conf);
	free(buf);
	lat_free(&lat);
	conn_close(c);
}

static void
mode_e2e(void)
{
	amqp_connection_state_t c = conn_open(1);
	struct consumer cs;
	struct confirms k;
	struct lat lat = { 0 };
	struct rss r;
	unsigned char *buf = malloc(o.size);
	size_t i, total = o.warmup + o.count;

	if (buf == NULL)
		die("out of memory");
	queue_prepare(c, "bench.e2e");
	confirms_init(&k, total);
	consumer_start(&cs, "bench.e2e", 0, 16, &lat);
	rss_start(&r, o.broker_pid);
	for (i = 1; i <= total; i++) {
		if (i == o.warmup + 1) {
			pthread_mutex_lock(&cs.mu);
			lat.n = 0;	/* drop the warm-up samples */
			pthread_mutex_unlock(&cs.mu);
		}
		publish(c, "bench.e2e", buf, i);
		while (k.nconf < i)
			confirm_wait(c, &k);
		consumer_wait(&cs, i);
	}
	rss_stop(&r);
	consumer_end(&cs);
	emit_json(&o, PEER, DURABILITY, &lat, o.count, NAN, &r,
	    "publish -> delivered to a consumer on a 2nd connection "
	    "(then acked); publisher also waits for its confirm");
	free(k.conf);
	free(buf);
	lat_free(&lat);
	conn_close(c);
}

static void
mode_throughput(void)
{
	amqp_connection_state_t c = conn_open(1);
	struct consumer cs;
	struct rss r;
	uint64_t t0;
	double secs;

	queue_prepare(c, "bench.tp");
	consumer_start(&cs, "bench.tp", o.count, 256, NULL);
	rss_start(&r, o.broker_pid);
	t0 = now_ns();
	publish_windowed(c, "bench.tp", o.count, o.window);
	consumer_wait(&cs, o.count);
	secs = (double)(cs.last_ns - t0) / 1e9;
	rss_stop(&r);
	consumer_end(&cs);
	emit_json(&o, PEER, DURABILITY, NULL, o.count, secs, &r,
	    "first publish -> consumer has all; confirms windowed, "
	    "consumer acks each");
	conn_close(c);
}

struct flasher {
	amqp_connection_state_t	 c;
	atomic_int		*stop;
	size_t			 sent;
};

static void *
flash_loop(void *arg)
{
	struct flasher *f = arg;
	struct confirms k;
	unsigned char *buf = malloc(o.size);
	size_t max = 10000000;
	uint64_t next = now_ns();

	if (buf == NULL)
		die("out of memory");
	confirms_init(&k, max);
	while (!atomic_load(f->stop) && f->sent < max) {
		while (now_ns() < next)
			usleep(1000);
		next += (uint64_t)o.interval_ms * 1000000u;
		f->sent++;
		publish(f->c, "bench.flash", buf, f->sent);
		while (k.nconf < f->sent)
			confirm_wait(f->c, &k);
	}
	free(k.conf);
	free(buf);
	return NULL;
}

static void
mode_flash(void)
{
	amqp_connection_state_t bulk = conn_open(1);
	struct flasher fl = { 0 };
	struct consumer cb, cf;
	struct lat lat = { 0 };
	struct rss r;
	atomic_int stop = 0;
	pthread_t th;
	uint64_t t0;
	double secs;

	queue_prepare(bulk, "bench.bulk");
	queue_prepare(bulk, "bench.flash");
	consumer_start(&cb, "bench.bulk", o.count, 256, NULL);
	consumer_start(&cf, "bench.flash", 0, 16, &lat);
	fl.c = conn_open(1);
	fl.stop = &stop;
	rss_start(&r, o.broker_pid);
	t0 = now_ns();
	if (pthread_create(&th, NULL, flash_loop, &fl) != 0)
		die("pthread_create");
	publish_windowed(bulk, "bench.bulk", o.count, o.window);
	consumer_wait(&cb, o.count);
	secs = (double)(cb.last_ns - t0) / 1e9;
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	consumer_wait(&cf, fl.sent);
	rss_stop(&r);
	consumer_end(&cb);
	consumer_end(&cf);
	emit_json(&o, PEER, DURABILITY, &lat, o.count, secs, &r,
	    "latencies: flash publish -> flash consumer while bulk streams; "
	    "msgs_per_s: bulk; quorum queues have no priorities: flash uses "
	    "its own queue and connections");
	lat_free(&lat);
	conn_close(fl.c);
	conn_close(bulk);
}

int
main(int argc, char **argv)
{
	opts_parse(&o, argc, argv, 5671);
	run_id = run_id_new();
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
	return 0;
}
