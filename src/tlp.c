/*
 * tlp.c: TLP 2.0 markings and the sharing policy. The fixed rules come
 * first and no configuration can loosen them: TLP:RED never leaves the
 * node; TLP:AMBER+STRICT goes only to a peer configured as the same
 * organisation (same_organisation = yes). CLEAR, GREEN and AMBER go to a
 * peer when its tlp_share list names them. An unmarked object is treated
 * as the peer's tlp_unmarked level (default AMBER).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "tlp.h"

/* The standard marking-definition ids: TLP 2.0 (FIRST, 2022) and the
 * TLP 1.0 ones of STIX 2.1 section 7.2.1.4. */
static const struct {
	const char	*id;
	int		 level;
} tlp_ids[] = {
	{ "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", TLP_CLEAR },
	{ "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", TLP_GREEN },
	{ "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", TLP_AMBER },
	{ "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
	    TLP_AMBER_STRICT },
	{ "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", TLP_RED },
	{ "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", TLP_CLEAR },
	{ "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", TLP_GREEN },
	{ "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", TLP_AMBER },
	{ "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", TLP_RED },
};

static const char *const tlp_names[] = {
	[TLP_NONE] = "unmarked",
	[TLP_CLEAR] = "TLP:CLEAR",
	[TLP_GREEN] = "TLP:GREEN",
	[TLP_AMBER] = "TLP:AMBER",
	[TLP_AMBER_STRICT] = "TLP:AMBER+STRICT",
	[TLP_RED] = "TLP:RED",
};

static const char *const tlp_words[] = {
	[TLP_NONE] = "none",
	[TLP_CLEAR] = "clear",
	[TLP_GREEN] = "green",
	[TLP_AMBER] = "amber",
	[TLP_AMBER_STRICT] = "amber+strict",
	[TLP_RED] = "red",
};

const char *
tlp_name(int level)
{
	if (level < 0 || level > TLP_MAX)
		return "?";
	return tlp_names[level];
}

const char *
tlp_word(int level)
{
	if (level < 0 || level > TLP_MAX)
		return "?";
	return tlp_words[level];
}

int
tlp_from_word(const char *s)
{
	int i;

	if (strncasecmp(s, "TLP:", 4) == 0)
		s += 4;
	if (strcasecmp(s, "white") == 0)
		return TLP_CLEAR;
	for (i = TLP_CLEAR; i <= TLP_MAX; i++)
		if (strcasecmp(s, tlp_words[i]) == 0)
			return i;
	return -1;
}

int
tlp_from_marking_id(const char *id)
{
	size_t i;

	for (i = 0; i < sizeof(tlp_ids) / sizeof(tlp_ids[0]); i++)
		if (strcmp(id, tlp_ids[i].id) == 0)
			return tlp_ids[i].level;
	return TLP_NONE;
}

/* The most restrictive level named by an array of marking ids. */
static int
refs_level(json_t *refs)
{
	json_t *v;
	size_t i;
	int l, level = TLP_NONE;

	if (!json_is_array(refs))
		return TLP_NONE;
	json_array_foreach(refs, i, v) {
		if (!json_is_string(v))
			continue;
		l = tlp_from_marking_id(json_string_value(v));
		if (l > level)
			level = l;
	}
	return level;
}

int
tlp_of_object(json_t *obj)
{
	json_t *gm, *g, *id;
	size_t i;
	int l, level;

	id = json_object_get(obj, "id");
	if (json_is_string(id) &&
	    tlp_from_marking_id(json_string_value(id)) != TLP_NONE)
		return TLP_CLEAR;
	level = refs_level(json_object_get(obj, "object_marking_refs"));
	gm = json_object_get(obj, "granular_markings");
	if (json_is_array(gm))
		json_array_foreach(gm, i, g) {
			id = json_object_get(g, "marking_ref");
			if (!json_is_string(id))
				continue;
			l = tlp_from_marking_id(json_string_value(id));
			if (l > level)
				level = l;
		}
	return level;
}

int
tlp_may_share(const struct peer_conf *pc, int level, char *rule,
    size_t rulesz)
{
	char set[64];
	int eff = level;

	if (level == TLP_NONE)
		eff = pc->tlp_unmarked;
	if (eff == TLP_RED) {
		snprintf(rule, rulesz, "%s%s never leaves this node",
		    level == TLP_NONE ? "unmarked (treated as TLP:RED by "
		    "tlp_unmarked): " : "", "TLP:RED");
		return 0;
	}
	if (eff == TLP_AMBER_STRICT) {
		if (pc->same_org) {
			snprintf(rule, rulesz, "%sTLP:AMBER+STRICT may go to "
			    "%s: same_organisation = yes", level == TLP_NONE ?
			    "unmarked (treated as TLP:AMBER+STRICT): " : "",
			    pc->party);
			return 1;
		}
		snprintf(rule, rulesz, "%sTLP:AMBER+STRICT only to a peer of "
		    "the same organisation; %s is not (same_organisation = no)",
		    level == TLP_NONE ? "unmarked (treated as "
		    "TLP:AMBER+STRICT): " : "", pc->party);
		return 0;
	}
	tlp_format_share(pc->tlp_share, set, sizeof(set));
	if (pc->tlp_share & (1u << eff)) {
		snprintf(rule, rulesz, "%s%s shared with %s: tlp_share = %s",
		    level == TLP_NONE ? "unmarked, treated as " : "",
		    tlp_name(eff), pc->party, set);
		return 1;
	}
	snprintf(rule, rulesz, "%s%s not shared with %s: tlp_share = %s",
	    level == TLP_NONE ? "unmarked, treated as " : "", tlp_name(eff),
	    pc->party, set[0] != '\0' ? set : "(none)");
	return 0;
}

int
tlp_parse_share(const char *s, unsigned *out)
{
	char word[16];
	size_t n;
	int l;

	*out = 0;
	for (;;) {
		s += strspn(s, " \t,");
		if (*s == '\0')
			return 0;
		n = strcspn(s, " \t,");
		if (n >= sizeof(word))
			return -1;
		memcpy(word, s, n);
		word[n] = '\0';
		s += n;
		if (strcasecmp(word, "none") == 0)
			continue;
		l = tlp_from_word(word);
		if (l != TLP_CLEAR && l != TLP_GREEN && l != TLP_AMBER)
			return -1;
		*out |= 1u << l;
	}
}

void
tlp_format_share(unsigned set, char *out, size_t outsz)
{
	size_t len = 0;
	int l, n;

	if (outsz == 0)
		return;
	out[0] = '\0';
	for (l = TLP_CLEAR; l <= TLP_AMBER; l++) {
		if (!(set & (1u << l)))
			continue;
		n = snprintf(out + len, outsz - len, "%s%s", len ? " " : "",
		    tlp_words[l]);
		if (n < 0 || (size_t)n >= outsz - len)
			return;
		len += (size_t)n;
	}
	if (len == 0)
		snprintf(out, outsz, "none");
}
