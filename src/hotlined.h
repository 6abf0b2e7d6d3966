/*
 * hotlined.h: the daemon's one context and the per-peer runtime state that
 * link.c, deliver.c and api.c share. There are no other mutable globals.
 */
#ifndef HOTLINE_HOTLINED_H
#define HOTLINE_HOTLINED_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "config.h"
#include "msg.h"

struct deliver_batch;
struct link;
struct api;
struct cert;
struct https;
struct events;
struct store;
struct signer;
struct tlog;
struct witness;
struct nrrc;

enum link_state { LINK_DOWN, LINK_CONNECTING, LINK_UP };
const char *link_state_name(int s);

/* Sequence state of the streams between us and one peer, indexed
 * [channel][precedence]. */
struct streams {
	uint64_t	out_last[CH_MAX + 1][PREC_MAX + 1];	/* highest seq assigned */
	uint64_t	out_delivered[CH_MAX + 1][PREC_MAX + 1];	/* highest receipted */
	uint64_t	in_held[CH_MAX + 1][PREC_MAX + 1];	/* highest contiguous held */
	/* out seqs handed to a link whose "sent" time is not yet stored:
	 * [lo, hi], flushed in the next transaction (0 = none) */
	uint64_t	sent_lo[CH_MAX + 1][PREC_MAX + 1];
	uint64_t	sent_hi[CH_MAX + 1][PREC_MAX + 1];
	uint64_t	sent_time[CH_MAX + 1][PREC_MAX + 1];
};

struct peer {
	struct hotlined		*d;
	const struct peer_conf	*conf;
	EVP_PKEY		*pub;		/* from its certificate; its fingerprint is the pin */
	struct streams		 s;
	struct msg_vcache	 vcache;	/* batch roots verified (msg.c) */
	/* Receipts checked and verified ahead of their record, not yet
	 * applied (deliver_receipts_early): ids and signatures. */
#define DELIVER_EARLY_MAX	16
	struct {
		uint8_t		 id[MSG_ID_LEN];
		uint8_t		 sig[ED25519_SIG_LEN];
	}			 early[DELIVER_EARLY_MAX];
	int			 nearly;
	/* Receipts of lazy commits synced and not yet sent, the latest per
	 * stream (deliver_receipt_due); sent together after the loop turn. */
	struct receipt		 rc_due[CH_MAX + 1][PREC_MAX + 1];
	bool			 rc_due_armed;
	struct link		*link;		/* the live link (HELLO done), or NULL */
	int			 state;		/* enum link_state */
	/* dialling */
	struct event		*redial_ev;
	uint64_t		 backoff_ms;
	int			 addr_idx;	/* address of the current/last dial */
	char			 addr_up[CONFIG_ADDR_MAX];	/* address of the live link */
	/* health, shown by GET /v1/peers */
	uint64_t		 rtt_us;	/* last heartbeat round trip, 0 = unknown */
	uint64_t		 last_seen;	/* UTC ms of the last frame received */
	uint64_t		 up_since;	/* UTC ms the link came up, 0 if down */
	uint64_t		 down_since;	/* UTC ms the link went down */
	uint64_t		 connects;	/* links established */
	/* template catalogue it announced in its HELLO (0: none) */
	uint32_t		 cat_version;
	char			 cat_id[65];
	char			 last_error[160];
};

struct hotlined {
	struct config		 cf;
	struct event_base	*base;
	struct store		*st;
	struct signer		*signer;
	SSL_CTX			*ssl_ctx;
	struct peer		*peers;
	int			 npeers;
	struct evconnlistener	*listener;
	TAILQ_HEAD(, link)	 links;		/* every connection, any state */
	struct api		*api;
	struct tlog		*tlog;		/* the transparency log (tlog.c) */
	struct witness		*wit;		/* checkpoints, witnessing (witness.c) */
	struct nrrc		*nrrc;		/* nrrc.c: templates, deadlines, checks */
	struct cert		*cert;		/* CERT channel (cert.c) */
	/* The account of the API request being served (set by api_serve for
	 * the duration of the handler; NULL otherwise or for the socket). */
	const char		*operator;
	struct https		*https;		/* NULL: no HTTPS listener */
	/* An API batch being stored over several loop turns (deliver.c). */
	struct deliver_batch	*long_batch;
	/* Since when (monotonic us) urgent traffic of ours has been in
	 * flight, 0 if none (deliver_urgent_in_flight). */
	uint64_t		 urgent_since;
	struct event		*urgent_ev;	/* pumps when that ends */
	bool			 urgent_settling;	/* ended, a turn ago */
	/* A sync of lazily committed receipts is due (deliver.c). */
	bool			 rcpt_sync_armed;
	struct events		*events;	/* Server-Sent Events clients */
	struct event		*ev_sigterm, *ev_sigint, *ev_sighup;
	uint64_t		 started;	/* UTC ms */
};

/* link.c */
struct peer *hotlined_peer_find(struct hotlined *d, const char *party);
struct peer *hotlined_peer_by_fpr(struct hotlined *d, const char *fpr);

#endif
