/*
 * jsonv.h: a fast, validate-only check of message bodies. The rule for a
 * body (docs/PROTOCOL.md §3.1) is "jansson's json_loadb() with
 * JSON_REJECT_DUPLICATES accepts it and gives an object"; jansson stays the
 * authority. jsonv_object() answers only the common case, at a few
 * instructions per byte and without building a tree: true means "certainly
 * accepted", false means "not sure" and the caller asks jansson, which then
 * decides and gives the error.
 */
#ifndef HOTLINE_JSONV_H
#define HOTLINE_JSONV_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Limits of the fast path; past them the answer is false ("ask jansson"),
 * never a verdict on the text.
 */
#define JSONV_DEPTH	32	/* open objects and arrays */
#define JSONV_KEYS	64	/* keys remembered across the open objects */
#define JSONV_INT_DIGITS 18	/* integers: |n| < 10^18 fits jansson's int64 */
#define JSONV_REAL_DIGITS 300	/* reals without exponent: < 10^300, finite */

/*
 * True only if text[0..len) is exactly one JSON object (whitespace around
 * it allowed) that json_loadb(text, len, JSON_REJECT_DUPLICATES) accepts.
 * False for everything else and for what the fast path does not decide:
 * escapes in keys, \u0000, lone surrogates, exponents, long numbers, depth
 * or key counts past the limits above. Never reads outside text[0..len).
 */
bool	jsonv_object(const void *text, size_t len);

/* Where a member's value lies in the text; len 0: none recorded. */
struct jsonv_span {
	size_t	off;
	size_t	len;
};

/*
 * jsonv_object(), and find the object values of a member without parsing
 * them: with array NULL, the member named member of the top-level object
 * (spans[0]); else, for each element i < nspans of the top-level object's
 * member named array, if it is an array, and that element is an object,
 * its member named member (spans[i]). A span is recorded only for an
 * object written exactly as json_dumpb(JSON_COMPACT) writes the object it
 * parses to (no whitespace, no escapes but \" \\ \b \f \n \r \t, no reals,
 * no "-0"), so that its bytes can stand for that dump. Returns what
 * jsonv_object() returns; the spans mean something only if true. Keys are
 * compared as raw bytes (the fast path never accepts escaped keys).
 */
bool	jsonv_spans(const void *text, size_t len, const char *array,
	    const char *member, struct jsonv_span *spans, size_t nspans);

/*
 * True only if text[0..len) is one JSON object that jansson accepts and
 * exactly json_dumpb(JSON_COMPACT) of the object it parses to (the rule
 * of the spans above, for the whole text; no whitespace around it), so
 * that the bytes can be copied where that dump would go. False also for
 * what the fast path does not decide.
 */
bool	jsonv_compact(const void *text, size_t len);

#endif
