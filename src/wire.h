/*
 * wire.h: link frames. A frame is u32 length (of what follows), u8 type,
 * payload. The length is checked against WIRE_FRAME_MAX before anything is
 * buffered. HELLO, PING, PONG and BYE payloads are encoded here; MSG and
 * RECEIPT payloads by msg.c.
 */
#ifndef HOTLINE_WIRE_H
#define HOTLINE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "msg.h"

#define WIRE_VERSION		1
#define WIRE_HDR_LEN		5
#define WIRE_FRAME_MAX		(64 * 1024)	/* type + payload */
#define WIRE_HELLO_MAX_STREAMS	(CH_MAX * PREC_MAX)
#define WIRE_REASON_MAX		200
#define WIRE_CAT_ID_MAX		64

enum frame_type {
	FR_HELLO = 1, FR_MSG = 2, FR_RECEIPT = 3, FR_PING = 4, FR_PONG = 5,
	FR_BYE = 6,
	/* transparency log (witness.c) */
	FR_CHECKPOINT = 7, FR_CONSIST_REQ = 8, FR_CONSIST_PROOF = 9,
	FR_COSIG = 10,
};
#define FR_MAX		FR_COSIG

#define WIRE_NOTE_MAX		8192	/* = NOTE_MAX */
#define WIRE_PROOF_MAX		128	/* hashes; = TLOG_PROOF_MAX */
#define WIRE_COSIG_LINE_MAX	400

struct resume_point {
	uint8_t		channel;
	uint8_t		prec;
	uint64_t	seq;	/* highest contiguous seq held of the peer's stream */
};

struct hello {
	uint16_t		version;
	char			party[PARTY_MAX + 1];	/* who sends it */
	char			peer[PARTY_MAX + 1];	/* whom it thinks it talks to */
	uint64_t		time;			/* sender UTC ms */
	uint8_t			nresume;
	struct resume_point	resume[WIRE_HELLO_MAX_STREAMS];
	/* optional trailer: the sender's template catalogue (0: none) */
	uint32_t		cat_version;
	char			cat_id[WIRE_CAT_ID_MAX + 1];
};

const char *frame_type_name(int type);

/*
 * Look at the first bytes of a stream. Returns 1 and sets *type, *len
 * (payload length, excluding type) when a header is complete and sane, 0 if
 * more bytes are needed, -1 if the frame is invalid (length 0 or over
 * WIRE_FRAME_MAX) with *why set.
 */
int	wire_peek(const uint8_t *p, size_t n, uint8_t *type, uint32_t *len,
	    const char **why);
/* Start a frame: reserve the header; wire_finish() fills the length, or
 * removes the frame from b and fails if it is over WIRE_FRAME_MAX. MSG and
 * RECEIPT frames are wire_begin + msg_encode/receipt_encode + wire_finish. */
int	wire_begin(struct buf *b, uint8_t type, size_t *start);
int	wire_finish(struct buf *b, size_t start);

/*
 * The encoders below append a whole frame (header included) to b and return
 * 0, or -1 with b unchanged. The decoders take a cursor over the payload
 * only (after the type byte), must consume all of it, and return 0 or -1
 * with a static reason in *why. hello_decode checks the version, the party
 * ids (valid, different), channel and precedence ranges and rejects
 * duplicate (channel, precedence) entries.
 */
int	hello_encode(const struct hello *h, struct buf *b);
int	hello_decode(struct cursor *c, struct hello *h, const char **why);
int	wire_encode_u64(struct buf *b, uint8_t type, uint64_t v); /* PING/PONG */
int	wire_decode_u64(struct cursor *c, uint64_t *v, const char **why);
/* The reason is cut to WIRE_REASON_MAX; non-printable bytes become '?'. */
int	bye_encode(struct buf *b, const char *reason);
/* Rejects reasons over WIRE_REASON_MAX, not fitting reasonsz, or holding
 * anything but printable ASCII. */
int	bye_decode(struct cursor *c, char *reason, size_t reasonsz, const char **why);

/*
 * Transparency log frames (layouts in docs/PROTOCOL.md):
 * CHECKPOINT: u16 length, a C2SP signed note (the log owner's checkpoint).
 * CONSIST_REQ: u64 old size, u64 new size (the witness asks for a proof).
 * CONSIST_PROOF: u64 old size, u64 new size, u8 count, count * 32 hashes.
 * COSIG: u64 size, 32-byte root, u16 length, one cosignature/v1 note
 * signature line (with its newline) over the owner's checkpoint.
 * The decoders check lengths and bounds only; note.c and witness.c judge
 * the content.
 */
struct wire_proof {
	uint64_t	old_size, new_size;
	uint8_t		n;
	uint8_t		h[WIRE_PROOF_MAX][32];
};
int	checkpoint_frame_encode(struct buf *b, const char *note, size_t len);
int	checkpoint_frame_decode(struct cursor *c, const char **note, size_t *len,
	    const char **why);
int	consist_req_encode(struct buf *b, uint64_t old_size, uint64_t new_size);
int	consist_req_decode(struct cursor *c, uint64_t *old_size,
	    uint64_t *new_size, const char **why);
int	consist_proof_encode(struct buf *b, const struct wire_proof *p);
int	consist_proof_decode(struct cursor *c, struct wire_proof *p,
	    const char **why);
int	cosig_frame_encode(struct buf *b, uint64_t size, const uint8_t root[32],
	    const char *line);
/* line (linesz >= WIRE_COSIG_LINE_MAX + 1) gets the NUL-terminated line;
 * a NUL inside is refused. */
int	cosig_frame_decode(struct cursor *c, uint64_t *size, uint8_t root[32],
	    char *line, size_t linesz, const char **why);

#endif
