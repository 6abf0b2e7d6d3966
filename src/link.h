/*
 * link.h: peer connections. Both sides dial; after the TLS 1.3 handshake
 * (pins checked inside it) and the HELLO exchange, exactly one connection
 * per pair survives: the one dialled by the party whose id sorts first.
 * Reconnects use capped exponential backoff with jitter across the peer's
 * addresses in order; heartbeats measure RTT and detect dead links.
 */
#ifndef HOTLINE_LINK_H
#define HOTLINE_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hotlined.h"

/* Start listening (if configured) and dialling every peer. 0 or -1. */
int	link_start(struct hotlined *d);
/* Close every connection and stop timers. */
void	link_stop(struct hotlined *d);

/* Bytes queued for the socket but not yet written. */
size_t	link_out_pending(struct link *l);
/* True while the link wants more frames (its output is below the mark). */
int	link_wants_more(struct link *l);
/* Bytes the scheduler may still queue before the output is at its mark
 * (0: none, or the link is not live). */
size_t	link_out_room(struct link *l);
/* The same for FLASH and IMMEDIATE messages, which do not wait for the
 * output to drain below the mark: room up to a few marks' worth. */
size_t	link_out_room_urgent(struct link *l);
/* End every link's wait for more receipts (someone waits for a state). */
void	link_receipts_now(struct hotlined *d);
/* Append one already-encoded frame (header included). 0 or -1. */
int	link_send_frame(struct link *l, const void *frame, size_t len);
/* The pin check tls.c calls inside every handshake (arg: the context). */
int	link_pin_check(void *arg, const char *expected, const char *fpr);
/* The next seq of stream (ch, prec) to send on this link. */
uint64_t *link_cursor(struct link *l, int ch, int prec);
/* The link's frame-encoding scratch buffer, emptied. */
struct buf *link_wbuf(struct link *l);
/* Close the link with a logged reason (BYE sent best-effort). */
void	link_close(struct link *l, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
