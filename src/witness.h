/*
 * witness.h: checkpoints of the node's transparency log and the witnessing
 * of every peer's log. The node signs a C2SP checkpoint of its log on a
 * schedule and after bursts of appends and sends it to every live peer; a
 * peer checks it against the last checkpoint of ours it accepted (asking
 * for a consistency proof over the link) and sends back a cosignature/v1.
 * The same code witnesses the peers' logs: a checkpoint that is not an
 * extension of the last one seen (fork, rewritten history, shrunk tree)
 * raises an alarm, is stored as evidence and is never cosigned.
 */
#ifndef HOTLINE_WITNESS_H
#define HOTLINE_WITNESS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hotlined.h"
#include "note.h"

struct witness;

/* Start (the log must be open in d->tlog). NULL on failure. */
struct witness	*witness_new(struct hotlined *d);
void		 witness_free(struct witness *w);	/* NULL is a no-op */

/* The log's origin and key name: "hotline/<party>". */
int	witness_origin(const char *party, char *out, size_t outsz);
/* The verifier keys of a public key: the log's (type 0x01) and the
 * cosigner's (type 0x04). 0 or -1. */
int	witness_vkeys(const char *party, EVP_PKEY *pub, char *logkey,
	    size_t logsz, char *cosigkey, size_t cosigsz);

/* Sign a checkpoint of the current tree now if it grew since the last one
 * (or if there is none) and send it to every live peer. 0 or -1. */
int	witness_checkpoint_now(struct hotlined *d);
/* Alarms raised since start (also stored as evidence and events). */
uint64_t witness_alarms(struct hotlined *d);

/* Called by link.c: the link to p is up (send our latest checkpoint). */
void	witness_link_up(struct peer *p, struct link *l);
/* A CHECKPOINT, CONSIST_REQ, CONSIST_PROOF or COSIG frame from p. 0, or
 * -1 with why set if the frame is malformed or not from p (close the link).
 * An inconsistent log is not a reason to close: it raises the alarm. */
int	witness_frame(struct peer *p, struct link *l, uint8_t type,
	    struct cursor *c, char *why, size_t whylen);

#endif
