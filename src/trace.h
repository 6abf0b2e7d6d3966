/*
 * trace.h: latency tracing for the benchmarks (bench/README.md, "Tracing
 * flash latency"). Built only with -DHOTLINE_TRACE=ON (CMake option); in a
 * normal build every macro is empty and costs nothing.
 *
 * Two kinds of lines go to stderr, each with a monotonic timestamp in
 * microseconds (CLOCK_MONOTONIC is shared by the processes of one machine,
 * so the two daemons' lines can be joined; bench/trace_flash.py does):
 *   trace <us> span <what> <dur_us> [detail]
 *       an event-loop callback (or a commit inside one) that ran longer
 *       than TRACE_SLOW_US;
 *   trace <us> stall <late_us> <spans_us>
 *       the loop came back to a 1 ms timer that much late; spans_us is
 *       how much of it the traced callbacks account for;
 *   trace <us> flash <phase> <seq> [value]
 *       a FLASH message on the direct line passing a phase (post, accepted,
 *       queued, rx, rx_commit, rcpt_rx, rcpt_commit).
 */
#ifndef HOTLINE_TRACE_H
#define HOTLINE_TRACE_H

#include <stdint.h>

#include "util.h"

#define TRACE_SLOW_US	5000

#ifdef HOTLINE_TRACE
struct event_base;

void		trace_start(struct event_base *);
void		trace_stop(void);
uint64_t	trace_begin(void);
void		trace_end(const char *what, const char *detail, uint64_t t0);
void		trace_sub(const char *what, uint64_t t0);
void		trace_flash(const char *phase, int ch, int prec, uint64_t seq,
		    uint64_t value);

#define TRACE_BEGIN(v)			uint64_t v = trace_begin()
#define TRACE_END(what, detail, v)	trace_end((what), (detail), (v))
#define TRACE_FLASH(ph, ch, prec, seq, val) \
	trace_flash((ph), (ch), (prec), (seq), (val))
#define TRACE_NOW()			now_mono_us()
/* A part of a span: logged when slow, not counted towards stalls. */
#define TRACE_SUB(what, v)		trace_sub((what), (v))
#else
#define TRACE_BEGIN(v)			(void)0
#define TRACE_END(what, detail, v)	(void)0
#define TRACE_FLASH(ph, ch, prec, seq, val)	(void)0
#define TRACE_NOW()			0
#define TRACE_SUB(what, v)		(void)(v)
#define trace_start(base)		(void)(base)
#define trace_stop()			(void)0
#endif

#endif
