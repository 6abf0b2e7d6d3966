/*
 * note.h: the public formats of the transparency record, as C2SP defines
 * them: signed notes (c2sp.org/signed-note: text, a blank line, lines
 * "— <name> base64(key id || signature)"), verifier keys
 * ("<name>+<hex key id>+base64(type || public key)"), checkpoints
 * (c2sp.org/tlog-checkpoint: origin, decimal size, base64 root hash,
 * optional extension lines) and Ed25519 cosignatures
 * (c2sp.org/tlog-cosignature, signature type 0x04: a timestamp and an
 * Ed25519 signature over "cosignature/v1\ntime <t>\n" || checkpoint text).
 *
 * Parsing is strict and bounded: valid UTF-8, no control characters but
 * newline, canonical base64 and decimals, at most NOTE_SIGS_MAX signatures.
 */
#ifndef HOTLINE_NOTE_H
#define HOTLINE_NOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identity.h"

#define NOTE_MAX		8192	/* whole note, bytes */
#define NOTE_SIGS_MAX		32	/* the spec asks for at least 16 */
#define NOTE_NAME_MAX		128
#define NOTE_SIG_MAX		(4 + 8 + ED25519_SIG_LEN)	/* raw bytes after the key id */
#define NOTE_VKEY_MAX		(NOTE_NAME_MAX + 1 + 8 + 1 + 48)
#define NOTE_SIGLINE_MAX	(4 + NOTE_NAME_MAX + 1 + 108 + 1)

#define NOTE_ALG_ED25519	0x01
#define NOTE_ALG_COSIG_V1	0x04

#define CHECKPOINT_ORIGIN_MAX	NOTE_NAME_MAX

struct signer;

struct note_sig {
	char		name[NOTE_NAME_MAX + 1];
	uint32_t	keyid;
	uint8_t		sig[NOTE_SIG_MAX];	/* after the key id */
	size_t		siglen;
};

/* A parsed note. text points into the caller's input (not owned). */
struct note {
	const char	*text;		/* the signed text, ending in '\n' */
	size_t		 textlen;
	int		 nsigs;
	struct note_sig	 sigs[NOTE_SIGS_MAX];
};

/* A verifier key: a name, its key id, a type and the Ed25519 key. */
struct note_verifier {
	char		name[NOTE_NAME_MAX + 1];
	uint32_t	keyid;
	uint8_t		type;		/* NOTE_ALG_ED25519 or NOTE_ALG_COSIG_V1 */
	uint8_t		pub[ED25519_PUB_LEN];
};

/* What note_verify found for one verifier. */
struct note_result {
	bool		verified;
	uint64_t	cosig_time;	/* for cosignatures: their timestamp */
};

struct checkpoint {
	char		origin[CHECKPOINT_ORIGIN_MAX + 1];
	uint64_t	size;
	uint8_t		root[32];
};

/* Key names: non-empty, at most NOTE_NAME_MAX bytes of valid UTF-8 with no
 * Unicode space, no control character and no '+'. */
bool	note_name_valid(const char *name, size_t len);
uint32_t note_keyid(const char *name, uint8_t type,
	    const uint8_t pub[ED25519_PUB_LEN]);
/* "<name>+<8 hex>+<base64(type || pub)>"; 0 or -1 if it does not fit. */
int	note_vkey_format(const char *name, uint8_t type,
	    const uint8_t pub[ED25519_PUB_LEN], char *out, size_t outsz);
/* Parse and check a verifier key (the key id must match). 0 or -1. */
int	note_vkey_parse(const char *s, struct note_verifier *v, const char **why);

/* Parse a signed note of n bytes (not NUL-terminated). 0 or -1. */
int	note_parse(const char *p, size_t n, struct note *nt, const char **why);
/*
 * Verify the note's signatures with nv verifiers: a signature whose
 * (name, key id) matches no verifier is ignored; one that matches must
 * verify, else the note is rejected. res[i] (may be NULL) tells which
 * verifiers verified. Returns the number of verifiers that verified (>= 1),
 * or -1 (a known signature failed, or none verified) with why set.
 */
int	note_verify(const struct note *nt, const struct note_verifier *vs,
	    int nv, struct note_result *res, const char **why);

/* A signature line (with its '\n') by the signer over text: Ed25519 note
 * signature under name. 0 or -1. */
int	note_sign(struct signer *s, const char *name, const char *text,
	    size_t textlen, char *line, size_t linesz);
/* A cosignature/v1 line at POSIX time t over checkpoint text. 0 or -1. */
int	note_cosign(struct signer *s, const char *name, uint64_t t,
	    const char *text, size_t textlen, char *line, size_t linesz);

/* Checkpoint text (three lines, no extensions). Returns its length or 0. */
size_t	checkpoint_format(const struct checkpoint *c, char *out, size_t outsz);
/* Parse a checkpoint note text (extension lines allowed and ignored). */
int	checkpoint_parse(const char *text, size_t len, struct checkpoint *c,
	    const char **why);

#endif
