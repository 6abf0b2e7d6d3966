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

#endif
