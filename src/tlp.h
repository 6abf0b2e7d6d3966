/*
 * tlp.h: the TLP 2.0 sharing policy of the CERT channel. It reads the TLP
 * marking of a STIX 2.1 object (object_marking_refs naming the standard
 * TLP 2.0 or TLP 1.0 marking-definitions) and decides whether the object
 * may leave this node for a given peer, naming the rule that decided.
 */
#ifndef HOTLINE_TLP_H
#define HOTLINE_TLP_H

#include <stddef.h>

#include <jansson.h>

struct peer_conf;

enum tlp_level {
	TLP_NONE = 0,		/* unmarked */
	TLP_CLEAR,
	TLP_GREEN,
	TLP_AMBER,
	TLP_AMBER_STRICT,
	TLP_RED,
};
#define TLP_MAX	TLP_RED

/* "TLP:CLEAR"...; "unmarked" for TLP_NONE. */
const char	*tlp_name(int level);
/* "clear", "green", "amber", "amber+strict", "red", "none": the word
 * hotline.conf(5) uses for a level. */
const char	*tlp_word(int level);
/* "clear", "green", "amber", "amber+strict", "red" (any case, "white" is
 * CLEAR): the level, or -1. */
int		 tlp_from_word(const char *s);
/* The level of a standard TLP marking-definition id, or TLP_NONE. */
int		 tlp_from_marking_id(const char *id);
/*
 * The TLP level of a STIX object: the most restrictive TLP marking among
 * its object_marking_refs, TLP_NONE if it has none. Granular markings
 * that are TLP markings count as well (they mark part of the object, and
 * the object travels whole). A marking-definition that is itself a
 * standard TLP definition is TLP_CLEAR.
 */
int		 tlp_of_object(json_t *obj);
/*
 * May an object of level leave for peer pc? Returns 1 (yes) or 0, and in
 * either case the rule that decided in rule (for the API, CLI and log).
 */
int		 tlp_may_share(const struct peer_conf *pc, int level, char *rule,
		    size_t rulesz);
/* Parse a list of words ("clear, green amber") into a bit set of
 * 1 << level. RED and AMBER+STRICT are refused (they have fixed rules).
 * 0 or -1. */
int		 tlp_parse_share(const char *s, unsigned *out);
/* Print a share set as "clear green amber" into out. */
void		 tlp_format_share(unsigned set, char *out, size_t outsz);

#define TLP_SHARE_DEFAULT	((1u << TLP_CLEAR) | (1u << TLP_GREEN))
#define TLP_UNMARKED_DEFAULT	TLP_AMBER

#endif
