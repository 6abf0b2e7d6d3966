/*
 * evilpeer.c: a scripted misbehaving peer for the system tests.
 *
 * It loads a real node identity (NODEDIR/key.pem and cert.pem from
 * `hotline init`), so it holds a key the target has pinned, dials the
 * target, completes the TLS 1.3 handshake with that key and then follows
 * one scenario: frames built with the project's own encoders (hello_encode,
 * msg_sign + msg_encode, receipt_sign + receipt_encode), then corrupted as
 * the scenario asks. It prints what it sent and how the connection ended
 * (BYE reason, EOF or reset, and after how long), one line per event,
 * prefixed "evilpeer: ". Ids of messages that must NOT be stored are
 * printed as "evilpeer: bad-id HEX", ids that must be stored as
 * "evilpeer: good-id HEX"; the python tests judge the daemon from those
 * and from its log and database.
 *
 * Exit status: 0 when the script ran to its end (however the daemon
 * reacted), 1 when the tool itself failed (bad arguments, no key, no
 * connection, TLS refused, or, for the control scenario "good", no valid
 * receipt), 2 for usage errors. Every scenario is bounded in time: nothing
 * runs longer than about 30 seconds, and an alarm backs that up.
 *
 * The pin: the fingerprint given with --pin, else the one NODEDIR's
 * hotline.conf pins for --peer, else any key is accepted (and printed).
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "buf.h"
#include "config.h"
#include "identity.h"
#include "msg.h"
#include "signer.h"
#include "store.h"
#include "tls.h"
#include "util.h"
#include "wire.h"

#define EV_CONNECT_MS		10000
#define EV_HELLO_WAIT_MS	5000
#define EV_DRAIN_MS		12000	/* after the script, wait for the end */
#define EV_RECEIPT_WAIT_MS	8000
#define EV_IDLE_MAX_MS		25000
#define EV_NOREAD_MS		15000
#define EV_DRIP_MAX		20	/* bytes */
#define EV_ALARM_S		45	/* hard backstop */
#define EV_RBUF			(2 * (WIRE_HDR_LEN + WIRE_FRAME_MAX))

struct evil {
	const char	*dir;
	const char	*connect;
	const char	*party;
	const char	*peer;
	const char	*scenario;
	const char	*claim;
	uint64_t	 count;
	char		 pin[FPR_HEX_LEN + 1];	/* "" = accept any key */
	char		 offered[FPR_HEX_LEN + 1];
	int		 fd;
	SSL_CTX		*ctx;
	SSL		*ssl;
	struct signer	*signer;
	EVP_PKEY	*peer_pub;		/* owned by the peer's cert */
	uint64_t	 t0_us;			/* handshake done */
	uint64_t	 tsend_us;		/* last byte we wrote */
	int		 closed;		/* the connection is over */
	char		 end[300];		/* how it ended */
	char		 bye[WIRE_REASON_MAX + 1];
	int		 got_hello;
	struct hello	 hello;			/* the target's */
	int		 got_msg;		/* a MSG from the target */
	struct msg	 last_in;		/* its fields (body not kept) */
	uint64_t	 rcpt_seq;		/* highest valid receipt seq */
	int		 rcpt_bad;		/* a receipt did not verify */
	uint64_t	 nmsgs_in;
	uint8_t		 rbuf[EV_RBUF];
	size_t		 rlen;
};

/* The stream the scenarios write to. */
#define EV_CH	CH_NRRC
#define EV_PREC	PREC_ROUTINE

static void
say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	va_list ap;

	fputs("evilpeer: ", stdout);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static double
since(const struct evil *e, uint64_t t_us)
{
	return (double)(now_mono_us() - t_us) / 1e6;
}

static uint64_t
deadline_in(uint64_t ms)
{
	return now_mono_us() + ms * 1000;
}

/* Milliseconds left before deadline (0 if passed). */
static int
ms_left(uint64_t deadline)
{
	uint64_t now = now_mono_us();

	if (now >= deadline)
		return 0;
	return (int)((deadline - now + 999) / 1000);
}

static int
pin_cb(void *arg, const char *expected, const char *fpr)
{
	struct evil *e = arg;

	snprintf(e->offered, sizeof(e->offered), "%s", fpr);
	if (e->pin[0] == '\0')
		return 1;
	return strcmp(e->pin, fpr) == 0;
}

/* Record that the connection is over and why (first reason wins). */
static void
set_end(struct evil *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
set_end(struct evil *e, const char *fmt, ...)
{
	va_list ap;

	if (e->closed)
		return;
	e->closed = 1;
	va_start(ap, fmt);
	if (vsnprintf(e->end, sizeof(e->end), fmt, ap) >= (int)sizeof(e->end))
		e->end[sizeof(e->end) - 1] = '\0';
	va_end(ap);
}

/* Describe a failed SSL call: EOF, reset, TLS alert... */
static void
ssl_failed(struct evil *e, int r, const char *op)
{
	int err = SSL_get_error(e->ssl, r), saved = errno;
	unsigned long le;
	char es[200] = "";

	le = ERR_peek_last_error();
	if (le != 0)
		ERR_error_string_n(le, es, sizeof(es));
	ERR_clear_error();
	switch (err) {
	case SSL_ERROR_ZERO_RETURN:
		set_end(e, "eof (close_notify) while %s", op);
		break;
	case SSL_ERROR_SYSCALL:
		if (saved == ECONNRESET)
			set_end(e, "reset while %s", op);
		else if (saved == EPIPE)
			set_end(e, "broken pipe (reset) while %s", op);
		else if (saved == 0)
			set_end(e, "eof while %s", op);
		else
			set_end(e, "socket error while %s: %s", op,
			    strerror(saved));
		break;
	case SSL_ERROR_SSL:
		if (ERR_GET_REASON(le) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
			set_end(e, "eof (no close_notify) while %s", op);
		else
			set_end(e, "tls error while %s: %s", op, es);
		break;
	default:
		set_end(e, "ssl error %d while %s", err, op);
		break;
	}
}

/* Wait for the socket; 1 ready, 0 timeout. */
static int
wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd pfd;
	int r;

	pfd.fd = fd;
	pfd.events = events;
	pfd.revents = 0;
	do {
		r = poll(&pfd, 1, ms_left(deadline));
	} while (r == -1 && errno == EINTR);
	return r > 0;
}

/*
 * Write all n bytes before deadline. 0 on success, -1 if the connection
 * ended (e->end says how) or the deadline passed.
 */
static int
ssl_write_all(struct evil *e, const void *p, size_t n, uint64_t deadline)
{
	const uint8_t *q = p;
	size_t off = 0;
	int r, err;

	if (e->closed)
		return -1;
	while (off < n) {
		errno = 0;
		r = SSL_write(e->ssl, q + off, (int)(n - off));
		if (r > 0) {
			off += (size_t)r;
			e->tsend_us = now_mono_us();
			continue;
		}
		err = SSL_get_error(e->ssl, r);
		if ((err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) &&
		    wait_fd(e->fd, err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN,
		    deadline))
			continue;
		if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
			say("write of %zu bytes stalled: %zu written before "
			    "the deadline", n, off);
			return -1;
		}
		ssl_failed(e, r, "writing");
		return -1;
	}
	return 0;
}

static void
handle_frame(struct evil *e, uint8_t type, const uint8_t *p, uint32_t len)
{
	struct cursor c;
	const char *why = NULL;
	struct buf b;
	uint64_t v;
	char idhex[ID_HEX_LEN + 1];

	cur_init(&c, p, len);
	switch (type) {
	case FR_HELLO:
		if (hello_decode(&c, &e->hello, &why) == -1) {
			say("target sent a bad HELLO: %s", why);
			return;
		}
		e->got_hello = 1;
		say("got hello party=%s peer=%s resume=%u", e->hello.party,
		    e->hello.peer, e->hello.nresume);
		break;
	case FR_MSG:
		if (msg_decode(&c, &e->last_in, &why) == -1) {
			say("target sent a bad MSG: %s", why);
			return;
		}
		e->last_in.body = NULL;
		e->got_msg = 1;
		e->nmsgs_in++;
		break;
	case FR_RECEIPT: {
		struct receipt r;

		if (receipt_decode(&c, &r, &why) == -1) {
			say("target sent a bad RECEIPT: %s", why);
			e->rcpt_bad = 1;
			return;
		}
		if (!receipt_verify(&r, e->peer_pub)) {
			say("receipt seq=%llu does not verify",
			    (unsigned long long)r.seq);
			e->rcpt_bad = 1;
			return;
		}
		hex_encode(r.last_id, MSG_ID_LEN, idhex);
		say("got receipt %s/%s seq=%llu last_id=%s verified",
		    channel_name(r.channel), prec_name(r.prec),
		    (unsigned long long)r.seq, idhex);
		if (r.channel == EV_CH && r.prec == EV_PREC &&
		    r.seq > e->rcpt_seq)
			e->rcpt_seq = r.seq;
		break;
	}
	case FR_PING:
		if (wire_decode_u64(&c, &v, &why) == -1)
			return;
		buf_init(&b, 64);
		if (wire_encode_u64(&b, FR_PONG, v) == 0)
			(void)ssl_write_all(e, b.data, b.len, deadline_in(2000));
		buf_free(&b);
		break;
	case FR_PONG:
		break;
	case FR_BYE:
		if (bye_decode(&c, e->bye, sizeof(e->bye), &why) == -1)
			say("target sent a bad BYE: %s", why);
		else
			say("got bye after %.2fs: %s", since(e, e->t0_us),
			    e->bye);
		break;
	default:
		say("target sent frame type %u", type);
		break;
	}
}

/*
 * Read and handle frames until deadline, until the connection ends, or
 * until done(e) says so. Returns 1 if done() became true, 0 otherwise.
 */
static int
pump(struct evil *e, uint64_t deadline, int (*done)(struct evil *))
{
	uint8_t type;
	uint32_t len;
	const char *why = NULL;
	size_t flen;
	int r, err;

	for (;;) {
		if (done != NULL && done(e))
			return 1;
		if (e->closed)
			return 0;
		/* Every complete frame in the buffer first. */
		if (e->rlen >= WIRE_HDR_LEN) {
			r = wire_peek(e->rbuf, e->rlen, &type, &len, &why);
			if (r == -1) {
				say("target sent a bad frame header: %s", why);
				set_end(e, "tool gave up: bad frame from target");
				return 0;
			}
			flen = WIRE_HDR_LEN + len;
			if (r == 1 && e->rlen >= flen) {
				handle_frame(e, type, e->rbuf + WIRE_HDR_LEN,
				    len);
				memmove(e->rbuf, e->rbuf + flen, e->rlen - flen);
				e->rlen -= flen;
				continue;
			}
		}
		if (ms_left(deadline) == 0)
			return 0;
		errno = 0;
		r = SSL_read(e->ssl, e->rbuf + e->rlen,
		    (int)(sizeof(e->rbuf) - e->rlen));
		if (r > 0) {
			e->rlen += (size_t)r;
			continue;
		}
		err = SSL_get_error(e->ssl, r);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
			(void)wait_fd(e->fd, err == SSL_ERROR_WANT_READ ?
			    POLLIN : POLLOUT, deadline);
			continue;
		}
		ssl_failed(e, r, "reading");
		return 0;
	}
}

static int
done_hello(struct evil *e)
{
	return e->got_hello;
}

static int
done_msg(struct evil *e)
{
	return e->got_msg;
}

static uint64_t want_rcpt;

static int
done_rcpt(struct evil *e)
{
	return e->rcpt_seq >= want_rcpt;
}

/* The seq the target holds of our stream (EV_CH, EV_PREC). */
static uint64_t
held_seq(const struct evil *e)
{
	int i;

	for (i = 0; i < e->hello.nresume; i++)
		if (e->hello.resume[i].channel == EV_CH &&
		    e->hello.resume[i].prec == EV_PREC)
			return e->hello.resume[i].seq;
	return 0;
}

static int
make_hello(struct evil *e, struct buf *b, const char *party, const char *peer)
{
	struct hello h;

	memset(&h, 0, sizeof(h));
	h.version = WIRE_VERSION;
	snprintf(h.party, sizeof(h.party), "%s", party);
	snprintf(h.peer, sizeof(h.peer), "%s", peer);
	h.time = now_utc_ms();
	h.nresume = 0;		/* we hold nothing of theirs: resend all */
	return hello_encode(&h, b);
}

static int
send_hello(struct evil *e, const char *party, const char *peer)
{
	struct buf b;
	int rc;

	buf_init(&b, WIRE_HDR_LEN + WIRE_FRAME_MAX);
	if (make_hello(e, &b, party, peer) == -1) {
		buf_free(&b);
		say("cannot encode HELLO");
		return -1;
	}
	rc = ssl_write_all(e, b.data, b.len, deadline_in(5000));
	buf_free(&b);
	say("sent hello party=%s peer=%s%s", party, peer,
	    rc == -1 ? " (write failed)" : "");
	return 0;
}

/*
 * Append a signed MSG frame from `from` (to the target) with seq to b;
 * idhex gets its id. The body carries tag and a random nonce so every
 * message has a fresh id. 0 or -1.
 */
static int
make_msg(struct evil *e, struct buf *b, const char *from, uint64_t seq,
    const char *tag, char idhex[ID_HEX_LEN + 1])
{
	struct msg m;
	char body[160];
	uint8_t nonce[8];
	char nh[17];
	size_t start;
	int n;

	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return -1;
	hex_encode(nonce, sizeof(nonce), nh);
	n = snprintf(body, sizeof(body), "{\"text\":\"evilpeer %s seq %llu\","
	    "\"nonce\":\"%s\"}", tag, (unsigned long long)seq, nh);
	if (n < 0 || (size_t)n >= sizeof(body))
		return -1;
	memset(&m, 0, sizeof(m));
	m.version = MSG_VERSION;
	snprintf(m.from, sizeof(m.from), "%s", from);
	snprintf(m.to, sizeof(m.to), "%s", e->peer);
	m.channel = EV_CH;
	snprintf(m.kind, sizeof(m.kind), "notification");
	m.prec = EV_PREC;
	m.seq = seq;
	m.created = now_utc_ms();
	m.exercise = true;
	m.body = (const uint8_t *)body;
	m.body_len = (uint32_t)n;
	if (msg_sign(&m, e->signer) == -1)
		return -1;
	if (wire_begin(b, FR_MSG, &start) == -1 || msg_encode(&m, b) == -1 ||
	    wire_finish(b, start) == -1)
		return -1;
	hex_encode(m.id, MSG_ID_LEN, idhex);
	return 0;
}

/* Send one message frame; label it good or bad for the tests. */
static int
send_msg(struct evil *e, uint64_t seq, int good, int flip_sig,
    const char *from, const char *tag)
{
	struct buf b;
	char idhex[ID_HEX_LEN + 1];
	int rc;

	buf_init(&b, WIRE_HDR_LEN + WIRE_FRAME_MAX);
	if (make_msg(e, &b, from, seq, tag, idhex) == -1) {
		buf_free(&b);
		say("cannot build message seq %llu", (unsigned long long)seq);
		return -1;
	}
	if (flip_sig)
		b.data[b.len - 10] ^= 0x01;	/* inside the signature */
	say("%s %s", good ? "good-id" : "bad-id", idhex);
	rc = ssl_write_all(e, b.data, b.len, deadline_in(5000));
	say("sent msg seq=%llu from=%s %s%s", (unsigned long long)seq, from,
	    tag, rc == -1 ? " (write failed)" : "");
	buf_free(&b);
	return 0;
}

static int
send_raw(struct evil *e, const void *p, size_t n, const char *what)
{
	int rc;

	rc = ssl_write_all(e, p, n, deadline_in(5000));
	say("sent %s (%zu bytes)%s", what, n, rc == -1 ? " (write failed)" : "");
	return 0;
}

/* Connect and run the TLS handshake. 0 or -1 (printed). */
static int
dial(struct evil *e)
{
	struct addrinfo hints, *res = NULL;
	char host[CONFIG_ADDR_MAX], port[8];
	uint64_t deadline = deadline_in(EV_CONNECT_MS);
	const X509 *cert;
	int r, err, soerr;
	socklen_t sl = sizeof(soerr);

	if (config_addr_split(e->connect, host, sizeof(host), port,
	    sizeof(port)) == -1) {
		say("bad --connect address %s", e->connect);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0) {
		say("cannot resolve %s", e->connect);
		return -1;
	}
	e->fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (e->fd == -1) {
		freeaddrinfo(res);
		say("socket: %s", strerror(errno));
		return -1;
	}
	r = connect(e->fd, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (r == -1 && errno != EINPROGRESS) {
		say("connect %s: %s", e->connect, strerror(errno));
		return -1;
	}
	if (r == -1) {
		if (!wait_fd(e->fd, POLLOUT, deadline) ||
		    getsockopt(e->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1 ||
		    soerr != 0) {
			say("connect %s failed", e->connect);
			return -1;
		}
	}
	if ((e->ssl = tls_ssl_new(e->ctx, e->peer)) == NULL ||
	    SSL_set_fd(e->ssl, e->fd) != 1) {
		say("cannot create TLS state");
		return -1;
	}
	SSL_set_mode(e->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE);
	for (;;) {
		errno = 0;
		r = SSL_connect(e->ssl);
		if (r == 1)
			break;
		err = SSL_get_error(e->ssl, r);
		if ((err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) &&
		    wait_fd(e->fd, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
		    deadline))
			continue;
		ssl_failed(e, r, "handshaking");
		say("TLS handshake failed: %s", e->end);
		return -1;
	}
	e->t0_us = e->tsend_us = now_mono_us();
	if ((cert = SSL_get0_peer_certificate(e->ssl)) == NULL ||
	    (e->peer_pub = X509_get0_pubkey(cert)) == NULL) {
		say("target presented no usable certificate");
		return -1;
	}
	say("TLS %s up with %s at %s, target key %s", SSL_get_version(e->ssl),
	    e->peer, e->connect, e->offered);
	return 0;
}

/* The target's HELLO, so we know what it holds of our stream. */
static void
await_hello(struct evil *e)
{
	if (!pump(e, deadline_in(EV_HELLO_WAIT_MS), done_hello))
		say("no HELLO from the target%s%s", e->closed ? ": " : "",
		    e->closed ? e->end : "");
}

/*
 * Batch signatures. The scenarios below write, in one TLS write so that the
 * target reads them as one batch, a plainly signed message, then the
 * EV_BATCH_N messages of one batch signature (msg_sign_batch), then another
 * plain one, with the batch message at EV_BATCH_BAD corrupted as the
 * scenario asks. Messages from the bad one on must not be stored.
 */
#define EV_BATCH_N	4
#define EV_BATCH_BAD	1

enum batch_fault {
	BF_NONE, BF_PATH, BF_INDEX, BF_SIZE, BF_OTHER_KEY, BF_SIG,
};

/* A signer over a fresh random key (another party's, as far as the target
 * knows), through a private temporary file. NULL on failure. */
static struct signer *
other_signer(void)
{
	char path[] = "/tmp/evilpeer-key-XXXXXX", err[256];
	struct signer *s = NULL;
	EVP_PKEY *k;
	FILE *f;
	int fd;

	if ((k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL ||
	    (fd = mkstemp(path)) == -1) {
		EVP_PKEY_free(k);
		return NULL;
	}
	if ((f = fdopen(fd, "w")) != NULL) {
		if (PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1 &&
		    fclose(f) == 0)
			s = signer_load(path, err, sizeof(err));
		else
			(void)fclose(f);
	} else
		close(fd);
	(void)unlink(path);
	EVP_PKEY_free(k);
	return s;
}

/* Fill m as make_msg does, with body text from tag and a nonce. */
static int
fill_msg(struct evil *e, struct msg *m, char *body, size_t bodysz,
    const char *from, uint64_t seq, const char *tag)
{
	uint8_t nonce[8];
	char nh[17];
	int n;

	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return -1;
	hex_encode(nonce, sizeof(nonce), nh);
	n = snprintf(body, bodysz, "{\"text\":\"evilpeer %s seq %llu\","
	    "\"nonce\":\"%s\"}", tag, (unsigned long long)seq, nh);
	if (n < 0 || (size_t)n >= bodysz)
		return -1;
	memset(m, 0, sizeof(*m));
	m->version = MSG_VERSION;
	snprintf(m->from, sizeof(m->from), "%s", from);
	snprintf(m->to, sizeof(m->to), "%s", e->peer);
	m->channel = EV_CH;
	snprintf(m->kind, sizeof(m->kind), "notification");
	m->prec = EV_PREC;
	m->seq = seq;
	m->created = now_utc_ms();
	m->exercise = true;
	m->body = (const uint8_t *)body;
	m->body_len = (uint32_t)n;
	return 0;
}

static int
run_batch(struct evil *e, enum batch_fault fault)
{
	struct msg ms[EV_BATCH_N + 2], *bp[EV_BATCH_N];
	char bodies[EV_BATCH_N + 2][160], idhex[ID_HEX_LEN + 1];
	struct signer *other = NULL;
	struct buf b;
	uint64_t held;
	size_t start;
	int i, bad = -1, rc = -1;

	await_hello(e);
	held = held_seq(e);
	if (send_hello(e, e->party, e->peer) == -1)
		return -1;
	for (i = 0; i < EV_BATCH_N + 2; i++)
		if (fill_msg(e, &ms[i], bodies[i], sizeof(bodies[i]), e->party,
		    held + 1 + (uint64_t)i, i == 0 || i == EV_BATCH_N + 1 ?
		    "plain" : "batch") == -1)
			return -1;
	for (i = 0; i < EV_BATCH_N; i++)
		bp[i] = &ms[1 + i];
	if (fault == BF_OTHER_KEY && (other = other_signer()) == NULL) {
		say("cannot make another key");
		return -1;
	}
	if (msg_sign(&ms[0], e->signer) == -1 ||
	    msg_sign_batch(bp, EV_BATCH_N, other != NULL ? other :
	    e->signer) == -1 ||
	    msg_sign(&ms[EV_BATCH_N + 1], e->signer) == -1) {
		say("cannot sign");
		goto out;
	}
	if (fault == BF_OTHER_KEY)
		bad = 1;	/* the batch's first message */
	else if (fault != BF_NONE)
		bad = 1 + EV_BATCH_BAD;
	switch (fault) {
	case BF_PATH:
		ms[bad].batch_path[0][7] ^= 0x20;
		break;
	case BF_INDEX:	/* same path length, another leaf's place */
		ms[bad].batch_idx = EV_BATCH_N - 1;
		break;
	case BF_SIZE:	/* index 1 of 3 has a path of two hashes too */
		ms[bad].batch_n = EV_BATCH_N - 1;
		break;
	case BF_SIG:	/* after the batch's root was verified */
		ms[bad].sig[5] ^= 0x01;
		break;
	default:
		break;
	}
	buf_init(&b, (EV_BATCH_N + 2) * (WIRE_HDR_LEN + WIRE_FRAME_MAX));
	for (i = 0; i < EV_BATCH_N + 2; i++) {
		if (wire_begin(&b, FR_MSG, &start) == -1 ||
		    msg_encode(&ms[i], &b) == -1 || wire_finish(&b, start) ==
		    -1) {
			say("cannot encode message %d", i);
			buf_free(&b);
			goto out;
		}
		hex_encode(ms[i].id, MSG_ID_LEN, idhex);
		say("%s %s", bad == -1 || i < bad ? "good-id" : "bad-id",
		    idhex);
	}
	rc = ssl_write_all(e, b.data, b.len, deadline_in(5000));
	say("sent %d msgs seq=%llu..%llu in one write (plain, batch of %d%s, "
	    "plain)%s", EV_BATCH_N + 2, (unsigned long long)held + 1,
	    (unsigned long long)held + EV_BATCH_N + 2, EV_BATCH_N,
	    fault == BF_NONE ? "" : ", one forged", rc == -1 ?
	    " (write failed)" : "");
	buf_free(&b);
	rc = 0;
	if (fault == BF_NONE) {
		want_rcpt = held + EV_BATCH_N + 2;
		if (!pump(e, deadline_in(EV_RECEIPT_WAIT_MS), done_rcpt)) {
			say("no valid receipt for seq %llu",
			    (unsigned long long)want_rcpt);
			rc = -1;
		} else
			say("all %d messages acknowledged by signed receipt",
			    EV_BATCH_N + 2);
	}
out:
	signer_free(other);
	return rc;
}

static int
sc_batch_good(struct evil *e)
{
	return run_batch(e, BF_NONE);
}

static int
sc_batch_bad_path(struct evil *e)
{
	return run_batch(e, BF_PATH);
}

static int
sc_batch_bad_index(struct evil *e)
{
	return run_batch(e, BF_INDEX);
}

static int
sc_batch_bad_size(struct evil *e)
{
	return run_batch(e, BF_SIZE);
}

static int
sc_batch_other_key(struct evil *e)
{
	return run_batch(e, BF_OTHER_KEY);
}

static int
sc_batch_bad_sig(struct evil *e)
{
	return run_batch(e, BF_SIG);
}

static int
sc_good(struct evil *e)
{
	uint64_t held, i, n = e->count ? e->count : 3;

	await_hello(e);
	held = held_seq(e);
	say("target holds seq %llu of our stream", (unsigned long long)held);
	if (send_hello(e, e->party, e->peer) == -1)
		return -1;
	for (i = 1; i <= n; i++)
		if (send_msg(e, held + i, 1, 0, e->party, "good") == -1)
			return -1;
	want_rcpt = held + n;
	if (!pump(e, deadline_in(EV_RECEIPT_WAIT_MS), done_rcpt)) {
		say("no valid receipt for seq %llu%s%s",
		    (unsigned long long)want_rcpt, e->closed ? ": " : "",
		    e->closed ? e->end : "");
		return -1;
	}
	say("all %llu messages acknowledged by signed receipt",
	    (unsigned long long)n);
	return 0;
}

static int
sc_bad_msg_sig(struct evil *e)
{
	uint64_t held;

	await_hello(e);
	held = held_seq(e);
	if (send_hello(e, e->party, e->peer) == -1)
		return -1;
	return send_msg(e, held + 1, 0, 1, e->party, "bad-sig");
}

static int
sc_bad_rcpt_sig(struct evil *e)
{
	struct receipt r;
	struct buf b;
	size_t start;
	char idhex[ID_HEX_LEN + 1];

	await_hello(e);
	if (send_hello(e, e->party, e->peer) == -1)
		return -1;
	/* A receipt for a real message of the target's, if it sends one. */
	(void)pump(e, deadline_in(3000), done_msg);
	memset(&r, 0, sizeof(r));
	r.version = MSG_VERSION;
	snprintf(r.from, sizeof(r.from), "%s", e->peer);
	snprintf(r.to, sizeof(r.to), "%s", e->party);
	if (e->got_msg) {
		r.channel = e->last_in.channel;
		r.prec = e->last_in.prec;
		r.seq = e->last_in.seq;
		memcpy(r.last_id, e->last_in.id, MSG_ID_LEN);
	} else {
		r.channel = EV_CH;
		r.prec = EV_PREC;
		r.seq = 1;
	}
	r.time = now_utc_ms();
	buf_init(&b, WIRE_HDR_LEN + WIRE_FRAME_MAX);
	if (receipt_sign(&r, e->signer) == -1 ||
	    wire_begin(&b, FR_RECEIPT, &start) == -1 ||
	    receipt_encode(&r, &b) == -1 || wire_finish(&b, start) == -1) {
		buf_free(&b);
		say("cannot build receipt");
		return -1;
	}
	b.data[b.len - 5] ^= 0x80;		/* inside the signature */
	hex_encode(r.last_id, MSG_ID_LEN, idhex);
	say("receipt for %s/%s seq=%llu last_id=%s (%s message of the "
	    "target's)", channel_name(r.channel), prec_name(r.prec),
	    (unsigned long long)r.seq, idhex, e->got_msg ? "a real" : "no");
	send_raw(e, b.data, b.len, "receipt with a flipped signature bit");
	buf_free(&b);
	return 0;
}

static int
sc_replay(struct evil *e)
{
	uint64_t held;

	await_hello(e);
	held = held_seq(e);
	if (send_hello(e, e->party, e->peer) == -1)
		return -1;
	if (send_msg(e, held + 1, 1, 0, e->party, "first") == -1)
		return -1;
	want_rcpt = held + 1;
	if (!pump(e, deadline_in(EV_RECEIPT_WAIT_MS), done_rcpt))
		say("no receipt for the first message");
	/* The same seq again, with another body (so another id). */
	return send_msg(e, held + 1, 0, 0, e->party, "replay");
}

static int
sc_gap(struct evil *e)
{
	await_hello(e);
	if (send_hello(e, e->party, e->peer) == -1)
		return -1;
	return send_msg(e, held_seq(e) + 2, 0, 0, e->party, "gap");
}

static int
sc_oversize(struct evil *e)
{
	uint8_t *junk;
	size_t n = WIRE_HDR_LEN + WIRE_FRAME_MAX + 1;

	await_hello(e);
	if (send_hello(e, e->party, e->peer) == -1)
		return -1;
	junk = xcalloc(1, n);
	junk[0] = (uint8_t)((WIRE_FRAME_MAX + 1) >> 24);
	junk[1] = (uint8_t)((WIRE_FRAME_MAX + 1) >> 16);
	junk[2] = (uint8_t)((WIRE_FRAME_MAX + 1) >> 8);
	junk[3] = (uint8_t)(WIRE_FRAME_MAX + 1);
	junk[4] = FR_MSG;
	memset(junk + WIRE_HDR_LEN, 'A', n - WIRE_HDR_LEN);
	send_raw(e, junk, n, "frame header with length WIRE_FRAME_MAX+1 "
	    "and its bytes");
	free(junk);
	return 0;
}

/*
 * A correctly framed MSG whose body is over MSG_BODY_MAX: the header comes
 * from the real encoder (a message with body "{}"), then a 60000-byte JSON
 * object and a signature.
 */
static int
sc_oversize_body(struct evil *e)
{
	struct buf small, b;
	char idhex[ID_HEX_LEN + 1];
	size_t hdrlen, bodylen = 60000, start, i;
	struct cursor c;
	uint32_t blen;
	uint8_t *body;
	int errs = 0;

	await_hello(e);
	if (send_hello(e, e->party, e->peer) == -1)
		return -1;
	buf_init(&small, WIRE_HDR_LEN + WIRE_FRAME_MAX);
	if (make_msg(e, &small, e->party, held_seq(e) + 1, "big", idhex) == -1) {
		buf_free(&small);
		return -1;
	}
	/*
	 * The frame is header(5), message header, u32 body_len, body,
	 * sig(64): find the body_len field that makes that layout fit.
	 */
	hdrlen = 0;
	for (i = WIRE_HDR_LEN; i + 4 + 64 <= small.len; i++) {
		cur_init(&c, small.data + i, 4);
		if (cur_get_u32(&c, &blen) == 0 &&
		    i + 4 + (size_t)blen + 64 == small.len) {
			hdrlen = i - WIRE_HDR_LEN;
			break;
		}
	}
	if (hdrlen == 0) {
		buf_free(&small);
		say("cannot find the body length in my own message");
		return -1;
	}
	body = xmalloc(bodylen);
	memset(body, ' ', bodylen);
	body[0] = '{';
	body[bodylen - 1] = '}';
	buf_init(&b, WIRE_HDR_LEN + WIRE_FRAME_MAX);
	errs += wire_begin(&b, FR_MSG, &start);
	errs += buf_add(&b, small.data + WIRE_HDR_LEN, hdrlen);
	errs += buf_add_u32(&b, (uint32_t)bodylen);
	errs += buf_add(&b, body, bodylen);
	errs += buf_add(&b, small.data + small.len - 64, 64);
	errs += wire_finish(&b, start);
	free(body);
	buf_free(&small);
	if (errs) {
		buf_free(&b);
		say("cannot build the oversized message");
		return -1;
	}
	say("message seq=%llu with a %zu-byte body (MSG_BODY_MAX %d)",
	    (unsigned long long)(held_seq(e) + 1), bodylen, MSG_BODY_MAX);
	send_raw(e, b.data, b.len, "MSG frame with an oversized body");
	buf_free(&b);
	return 0;
}

static int
sc_truncated(struct evil *e)
{
	struct buf b;
	char idhex[ID_HEX_LEN + 1];
	size_t cut = 20;

	await_hello(e);
	if (send_hello(e, e->party, e->peer) == -1)
		return -1;
	buf_init(&b, WIRE_HDR_LEN + WIRE_FRAME_MAX);
	if (make_msg(e, &b, e->party, held_seq(e) + 1, "cut", idhex) == -1) {
		buf_free(&b);
		return -1;
	}
	b.len -= cut;
	if (buf_set_u32(&b, 0, (uint32_t)(b.len - 4)) == -1) {
		buf_free(&b);
		return -1;
	}
	say("bad-id %s", idhex);
	send_raw(e, b.data, b.len, "MSG frame whose payload is a message "
	    "encoding cut by 20 bytes");
	buf_free(&b);
	return 0;
}

/* A frame header promising 1000 bytes, 100 of them, then EOF. */
static int
sc_truncated_eof(struct evil *e)
{
	struct buf b;
	char idhex[ID_HEX_LEN + 1];

	await_hello(e);
	if (send_hello(e, e->party, e->peer) == -1)
		return -1;
	buf_init(&b, WIRE_HDR_LEN + WIRE_FRAME_MAX);
	if (make_msg(e, &b, e->party, held_seq(e) + 1, "eof", idhex) == -1) {
		buf_free(&b);
		return -1;
	}
	if (buf_set_u32(&b, 0, 1000) == -1 || b.len < 100) {
		buf_free(&b);
		return -1;
	}
	say("bad-id %s", idhex);
	send_raw(e, b.data, 100, "frame header (length 1000) and 95 bytes");
	buf_free(&b);
	(void)SSL_shutdown(e->ssl);
	(void)shutdown(e->fd, SHUT_WR);
	say("sent close_notify and FIN");
	return 0;
}

static int
sc_unknown_type(struct evil *e)
{
	static const uint8_t fr[] = { 0, 0, 0, 9, 0x63, 1, 2, 3, 4, 5, 6, 7, 8 };

	await_hello(e);
	if (send_hello(e, e->party, e->peer) == -1)
		return -1;
	send_raw(e, fr, sizeof(fr), "frame of type 99");
	return 0;
}

static int
sc_garbage(struct evil *e)
{
	size_t n = e->count ? e->count : 256;
	uint8_t *junk;

	if (n > 65536)
		n = 65536;
	junk = xmalloc(n);
	if (RAND_bytes(junk, (int)n) != 1) {
		free(junk);
		return -1;
	}
	/* Keep it garbage whatever RAND says: no sane frame header. */
	junk[0] |= 0x80;
	send_raw(e, junk, n, "random bytes right after the handshake");
	free(junk);
	return 0;
}

static int
sc_wrong_party(struct evil *e)
{
	await_hello(e);
	return send_hello(e, e->claim ? e->claim : "xx", e->peer);
}

static int
sc_wrong_peer(struct evil *e)
{
	await_hello(e);
	return send_hello(e, e->party, e->claim ? e->claim : "xx");
}

static int
sc_msg_before_hello(struct evil *e)
{
	await_hello(e);
	return send_msg(e, held_seq(e) + 1, 0, 0, e->party, "early");
}

static int
sc_spoof_from(struct evil *e)
{
	await_hello(e);
	if (send_hello(e, e->party, e->peer) == -1)
		return -1;
	return send_msg(e, 1, 0, 0, e->claim ? e->claim : "fr", "spoof");
}

static int
sc_idle(struct evil *e)
{
	say("sending nothing");
	return 0;
}

/* HELLO and a MSG, one byte a second, reading between bytes. */
static int
sc_drip(struct evil *e)
{
	struct buf b;
	char idhex[ID_HEX_LEN + 1];
	size_t i, max = e->count ? e->count : EV_DRIP_MAX;

	await_hello(e);
	buf_init(&b, WIRE_HDR_LEN + WIRE_FRAME_MAX);
	if (make_hello(e, &b, e->party, e->peer) == -1 ||
	    make_msg(e, &b, e->party, held_seq(e) + 1, "drip", idhex) == -1) {
		buf_free(&b);
		return -1;
	}
	say("bad-id %s", idhex);
	for (i = 0; i < b.len && i < max && !e->closed; i++) {
		if (ssl_write_all(e, b.data + i, 1, deadline_in(2000)) == -1)
			break;
		(void)pump(e, deadline_in(1000), NULL);
	}
	say("dripped %zu of %zu bytes, one a second", i, b.len);
	buf_free(&b);
	return 0;
}

/* HELLO, then never read: watch only for the connection to go away. */
static int
sc_noread(struct evil *e)
{
	struct pollfd pfd;
	uint64_t deadline = deadline_in(e->count ? e->count * 1000 :
	    EV_NOREAD_MS);
	int r;

	if (send_hello(e, e->party, e->peer) == -1)
		return -1;
	say("not reading anything from now on");
	for (;;) {
		pfd.fd = e->fd;
		pfd.events = POLLRDHUP;
		pfd.revents = 0;
		r = poll(&pfd, 1, ms_left(deadline));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) {
			set_end(e, "target closed the connection (%s) after "
			    "%.2fs without us reading", pfd.revents & POLLERR ?
			    "error/reset" : "FIN", since(e, e->t0_us));
			return 0;
		}
		/* Readable data only: we do not read it; wait a little. */
		usleep(100000);
		if (ms_left(deadline) == 0)
			break;
	}
	set_end(e, "still open after %.2fs of not reading (FIN held back "
	    "by our full receive window, or the target kept it)",
	    since(e, e->t0_us));
	return 0;
}

/* After noread: how much the target pushed before flow control stopped it. */
static void
report_unread(struct evil *e)
{
	int n = 0;

	if (ioctl(e->fd, FIONREAD, &n) == 0)
		say("unread bytes in our receive queue: %d", n);
}

struct scenario {
	const char	*name;
	int		(*run)(struct evil *);
	int		 drain;		/* read until the end afterwards */
	int		 nodrain_ok;	/* script closes the connection itself */
};

static const struct scenario scenarios[] = {
	{ "good",		sc_good,		0, 1 },
	{ "batch-good",		sc_batch_good,		0, 1 },
	{ "batch-bad-path",	sc_batch_bad_path,	1, 0 },
	{ "batch-bad-index",	sc_batch_bad_index,	1, 0 },
	{ "batch-bad-size",	sc_batch_bad_size,	1, 0 },
	{ "batch-other-key",	sc_batch_other_key,	1, 0 },
	{ "batch-bad-sig",	sc_batch_bad_sig,	1, 0 },
	{ "bad-msg-sig",	sc_bad_msg_sig,		1, 0 },
	{ "bad-rcpt-sig",	sc_bad_rcpt_sig,	1, 0 },
	{ "replay",		sc_replay,		1, 0 },
	{ "gap",		sc_gap,			1, 0 },
	{ "oversize",		sc_oversize,		1, 0 },
	{ "oversize-body",	sc_oversize_body,	1, 0 },
	{ "truncated",		sc_truncated,		1, 0 },
	{ "truncated-eof",	sc_truncated_eof,	1, 0 },
	{ "unknown-type",	sc_unknown_type,	1, 0 },
	{ "garbage",		sc_garbage,		1, 0 },
	{ "wrong-party",	sc_wrong_party,		1, 0 },
	{ "wrong-peer",		sc_wrong_peer,		1, 0 },
	{ "msg-before-hello",	sc_msg_before_hello,	1, 0 },
	{ "spoof-from",		sc_spoof_from,		1, 0 },
	{ "idle",		sc_idle,		1, 0 },
	{ "drip",		sc_drip,		1, 0 },
	{ "noread",		sc_noread,		0, 1 },
};

static void
usage(void)
{
	size_t i;

	fprintf(stderr, "usage: evilpeer --dir NODEDIR --connect HOST:PORT "
	    "--party ID --peer ID --scenario NAME\n"
	    "                [--count N] [--claim ID] [--pin FPR]\n"
	    "scenarios:");
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		fprintf(stderr, " %s", scenarios[i].name);
	fprintf(stderr, "\n");
	exit(2);
}

/* The pin for --peer from NODEDIR/hotline.conf, if it has one. */
static void
load_pin(struct evil *e)
{
	struct config *cf = xcalloc(1, sizeof(*cf));
	const struct peer_conf *pc;
	char path[PATH_MAX], err[512];

	if (snprintf(path, sizeof(path), "%s/hotline.conf", e->dir) >=
	    (int)sizeof(path) || access(path, R_OK) == -1 ||
	    config_load(path, cf, err, sizeof(err)) == -1 ||
	    (pc = config_peer_find(cf, e->peer)) == NULL) {
		say("no pin for %s in %s: accepting any key", e->peer, path);
		free(cf);
		return;
	}
	snprintf(e->pin, sizeof(e->pin), "%s", pc->fingerprint);
	free(cf);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir",	required_argument, NULL, 'd' },
		{ "connect",	required_argument, NULL, 'c' },
		{ "party",	required_argument, NULL, 'p' },
		{ "peer",	required_argument, NULL, 'P' },
		{ "scenario",	required_argument, NULL, 's' },
		{ "count",	required_argument, NULL, 'n' },
		{ "claim",	required_argument, NULL, 'C' },
		{ "pin",	required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	static struct evil e;	/* large read buffer: not on the stack */
	const struct scenario *sc = NULL;
	char key[PATH_MAX], cert[PATH_MAX], err[512];
	size_t i;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': e.dir = optarg; break;
		case 'c': e.connect = optarg; break;
		case 'p': e.party = optarg; break;
		case 'P': e.peer = optarg; break;
		case 's': e.scenario = optarg; break;
		case 'C': e.claim = optarg; break;
		case 'n':
			if (parse_u64(optarg, 0, 1000000, &e.count) == -1)
				usage();
			break;
		case 'f':
			if (strlen(optarg) != FPR_HEX_LEN)
				usage();
			snprintf(e.pin, sizeof(e.pin), "%s", optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || e.dir == NULL || e.connect == NULL ||
	    e.party == NULL || e.peer == NULL || e.scenario == NULL ||
	    !party_id_valid(e.party) || !party_id_valid(e.peer) ||
	    (e.claim != NULL && strlen(e.claim) > PARTY_MAX))
		usage();
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (strcmp(scenarios[i].name, e.scenario) == 0)
			sc = &scenarios[i];
	if (sc == NULL)
		usage();
	signal(SIGPIPE, SIG_IGN);
	alarm(EV_ALARM_S);
	e.fd = -1;

	if (snprintf(key, sizeof(key), "%s/key.pem", e.dir) >=
	    (int)sizeof(key) || snprintf(cert, sizeof(cert), "%s/cert.pem",
	    e.dir) >= (int)sizeof(cert)) {
		say("--dir too long");
		return 1;
	}
	if ((e.signer = signer_load(key, err, sizeof(err))) == NULL) {
		say("%s", err);
		return 1;
	}
	if (e.pin[0] == '\0')
		load_pin(&e);
	if ((e.ctx = tls_ctx_new(e.signer, cert, pin_cb, &e, err,
	    sizeof(err))) == NULL) {
		say("%s", err);
		rc = 1;
		goto out;
	}
	say("scenario %s as %s (key %s) against %s at %s", sc->name, e.party,
	    signer_fingerprint(e.signer), e.peer, e.connect);
	if (dial(&e) == -1) {
		rc = 1;
		goto out;
	}
	rc = sc->run(&e) == -1 ? 1 : 0;
	if (sc->run == sc_noread)
		report_unread(&e);
	if (sc->drain && !e.closed) {
		uint64_t limit = strcmp(sc->name, "idle") == 0 ?
		    EV_IDLE_MAX_MS : EV_DRAIN_MS;

		(void)pump(&e, deadline_in(limit), NULL);
		if (!e.closed)
			set_end(&e, "still open %.1fs after the script ended",
			    since(&e, e.tsend_us));
	}
	if (!e.closed && sc->nodrain_ok) {
		struct buf b;

		buf_init(&b, 512);
		if (bye_encode(&b, "evilpeer done") == 0)
			(void)ssl_write_all(&e, b.data, b.len, deadline_in(2000));
		buf_free(&b);
		(void)SSL_shutdown(e.ssl);
		set_end(&e, "we closed it");
	}
	say("received %llu msg frame(s) from the target",
	    (unsigned long long)e.nmsgs_in);
	say("ended: %s; %.2fs after the handshake, %.2fs after our last "
	    "write%s%s", e.end, since(&e, e.t0_us), since(&e, e.tsend_us),
	    e.bye[0] ? "; bye: " : "", e.bye);
out:
	if (e.ssl != NULL)
		SSL_free(e.ssl);
	if (e.fd != -1)
		close(e.fd);
	SSL_CTX_free(e.ctx);
	signer_free(e.signer);
	return rc;
}
