/*
 * msg.h: messages and receipts: their byte encoding, ids, signatures and
 * verification. The exact layout is in docs/PROTOCOL.md. Signatures cover
 * exact bytes, never re-serialised JSON.
 */
#ifndef HOTLINE_MSG_H
#define HOTLINE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "buf.h"
#include "identity.h"
#include "tlog.h"
#include "util.h"

#define MSG_VERSION	1
#define MSG_ID_LEN	32
#define MSG_KIND_MAX	32
#define MSG_BODY_MAX	(48 * 1024)	/* hard protocol limit */

#define MSG_DOMAIN	"hotline/msg/v1"	/* signed with its NUL */
#define RCPT_DOMAIN	"hotline/rcpt/v1"
#define BATCH_DOMAIN	"hotline/batch/v1"	/* signed with its NUL */

/*
 * Batch signatures (docs/PROTOCOL.md "Signatures"): messages accepted
 * together are signed once, over the RFC 6962 Merkle root of their ids.
 * Each carries the one signature, its index, the batch size and its
 * inclusion path, so it stays verifiable on its own.
 */
#define MSG_BATCH_MAX		4096	/* messages under one batch signature */
#define MSG_BATCH_PATH_MAX	12	/* path hashes for MSG_BATCH_MAX */
/* The encoded signature field: 64 bytes (plain) or 72 + 32 * path (batch). */
#define MSG_SIG_MAX	(ED25519_SIG_LEN + 8 + MSG_BATCH_PATH_MAX * MSG_ID_LEN)

enum channel {
	CH_DIRECT = 1, CH_NRRC = 2, CH_CHECK = 3, CH_WG = 4, CH_CERT = 5,
};
#define CH_MIN		1
#define CH_MAX		5	/* values are also scheduling priority: lower first */

enum precedence {
	PREC_FLASH = 1, PREC_IMMEDIATE = 2, PREC_PRIORITY = 3, PREC_ROUTINE = 4,
};
#define PREC_MIN	1
#define PREC_MAX	4

#define MSG_F_EXERCISE	0x01
#define MSG_F_REF	0x02

struct msg {
	uint8_t		 version;
	char		 from[PARTY_MAX + 1];
	char		 to[PARTY_MAX + 1];
	uint8_t		 channel;
	char		 kind[MSG_KIND_MAX + 1];
	uint8_t		 prec;
	uint64_t	 seq;
	uint64_t	 created;	/* sender's UTC ms */
	bool		 exercise;
	bool		 has_ref;
	uint8_t		 ref[MSG_ID_LEN];
	const uint8_t	*body;		/* not owned: points into a frame or a row */
	uint32_t	 body_len;
	/* Not on the wire: the body was made by json_dumps() of a JSON
	 * object (or, for CERT bundles, from objects of a JSON text jansson
	 * has parsed), so msg_check() need not parse it again. */
	bool		 body_valid;
	/* The signature: plain (batch_n == 0) over the message's signed
	 * bytes, or batch (batch_n >= 2) over the batch statement, with
	 * this message's index and inclusion path in the batch's tree. */
	uint8_t		 sig[ED25519_SIG_LEN];
	uint32_t	 batch_n;
	uint32_t	 batch_idx;
	uint8_t		 batch_plen;
	uint8_t		 batch_path[MSG_BATCH_PATH_MAX][MSG_ID_LEN];
	uint8_t		 id[MSG_ID_LEN];	/* set by msg_sign / msg_decode */
};

/*
 * Batch roots already verified, so the messages of one batch cost one
 * Ed25519 verification between them. Entries are (public key, n, root,
 * signature),
 * filled only after a verification succeeded; the oldest is replaced.
 * Each keeps the path of the last message verified under it: the next
 * message of the batch computes its root by joining that path
 * (tlog_root_from_path), about one hash instead of one per level.
 */
#define MSG_VCACHE_SIZE	8
struct msg_vcache {
	struct {
		uint8_t		pub[ED25519_PUB_LEN];
		uint32_t	n;
		uint8_t		root[MSG_ID_LEN];
		uint8_t		sig[ED25519_SIG_LEN];
		struct tlog_path path;	/* n = 0: none */
	}		 e[MSG_VCACHE_SIZE];
	int		 used;
	int		 next;		/* slot to fill next */
	uint64_t	 verifies;	/* Ed25519 verifications done (statistics) */
};

struct receipt {
	uint8_t		 version;
	char		 from[PARTY_MAX + 1];	/* the stream's sender */
	char		 to[PARTY_MAX + 1];	/* the stream's receiver = signer */
	uint8_t		 channel;
	uint8_t		 prec;
	uint64_t	 seq;		/* highest contiguous seq held */
	uint8_t		 last_id[MSG_ID_LEN];	/* id of the message at seq */
	uint64_t	 time;		/* receiver's UTC ms at commit */
	uint8_t		 sig[ED25519_SIG_LEN];
	uint8_t		 id[MSG_ID_LEN];	/* SHA-256 of the signed bytes */
};

struct signer;

const char	*channel_name(int ch);		/* "?" if unknown */
int		 channel_from_name(const char *s);	/* -1 if unknown */
const char	*prec_name(int p);
int		 prec_from_name(const char *s);
bool		 kind_valid(const char *s);	/* [a-z0-9-]{1,32} */

/* Check the header fields (ids, channel, kind, precedence, flags, body
 * length). Returns 0 or -1 with a reason in *why. */
int	msg_check(const struct msg *m, const char **why);
/* Sign m with s: fills sig and id. 0 or -1. */
int	msg_sign(struct msg *m, struct signer *s);
/* Validate each of ms[0..n-1] (msg_check), set their ids and sign them
 * together: n == 1 gives a plain signature, 2 <= n <= MSG_BATCH_MAX a
 * batch signature. 0 or -1 (then no signature is set). */
int	msg_sign_batch(struct msg *const *ms, int n, struct signer *s);
/* Recompute the id from the fields and verify the signature (either form)
 * against pub, on its own: offline, without the batch's other messages. */
bool	msg_verify(struct msg *m, EVP_PKEY *pub);
/* The same, skipping the Ed25519 verification of a batch whose (pub, n,
 * root) vc holds; a batch verified here is added to vc. vc may be NULL. */
bool	msg_verify_cached(struct msg *m, EVP_PKEY *pub, struct msg_vcache *vc);
/* msg_verify_cached() for m exactly as msg_decode*() left it: the id the
 * decoder computed from the bytes is used, not computed again (a batch
 * signature covers only the id). Never for a message changed since. */
bool	msg_verify_decoded(struct msg *m, EVP_PKEY *pub,
	    struct msg_vcache *vc);
/* The root a batch-signed message's path gives (from m->id). 0 or -1. */
int	msg_batch_root(const struct msg *m, uint8_t root[MSG_ID_LEN]);
/* The signature field's bytes (as on the wire and in the store) into out;
 * returns the length (64 or 72 + 32 * path), or 0 if m's form is bad. */
size_t	msg_sig_encode(const struct msg *m, uint8_t out[MSG_SIG_MAX]);
/* Parse a signature field into m's sig and batch fields, strictly (the
 * path length must be the one (index, n) gives). 0 or -1 with *why. */
int	msg_sig_decode(struct msg *m, const uint8_t *p, size_t len,
	    const char **why);
/* Compute id from the fields (no signature check). */
void	msg_compute_id(struct msg *m);
/* Encode m (including sig) as a MSG frame payload. 0 or -1. */
int	msg_encode(const struct msg *m, struct buf *b);
/* Decode a MSG payload; the whole cursor must be consumed. m->body points
 * into the cursor's memory. Computes m->id. Does not verify the signature.
 * Returns 0 or -1 with a reason in *why. */
int	msg_decode(struct cursor *c, struct msg *m, const char **why);
/* msg_decode() without the body's JSON check: the caller must check the
 * body (msg_check_body, or a parse of its own with the same flags) before
 * it uses or stores the message. */
int	msg_decode_lazy(struct cursor *c, struct msg *m, const char **why);
/* The body must be one JSON object in valid UTF-8, without duplicate keys
 * (jansson, JSON_REJECT_DUPLICATES). 0 or -1 with a reason in *why. */
int	msg_check_body(const uint8_t *body, size_t len, const char **why);

int	receipt_sign(struct receipt *r, struct signer *s);
bool	receipt_verify(struct receipt *r, EVP_PKEY *pub);
int	receipt_encode(const struct receipt *r, struct buf *b);
int	receipt_decode(struct cursor *c, struct receipt *r, const char **why);
/*
 * The stream (channel, precedence) a MSG (receipt false) or RECEIPT
 * (receipt true) payload names, read from its leading fields only: no
 * other validation. 0, or -1 if the payload is too short for them.
 */
int	msg_peek_stream(const uint8_t *p, size_t n, bool receipt,
	    uint8_t *channel, uint8_t *prec);

#endif
