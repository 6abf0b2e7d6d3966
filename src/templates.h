/*
 * templates.h: the NRRC message template catalogue (templates/NAME.json in the
 * source tree, hotline.conf(5) [nrrc] templates), the structured message
 * body that names a template, its validation, and its rendering in English
 * and Russian from the same field values.
 *
 * A structured body is a JSON object:
 *   {"template": NAME, "catalogue": ID, "version": N, "fields": {...}}
 * Field values by type: "string" a short line shown as is; "text" an
 * object {"text": ..., "lang": CODE}, free text shown as written with its
 * language marked, never translated; "enum" the name of a value of the
 * named enumeration; "time" UTC as "YYYY-MM-DDTHH:MM:SSZ" (fractions of a
 * second allowed, always Z).
 */
#ifndef HOTLINE_TEMPLATES_H
#define HOTLINE_TEMPLATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#ifndef HOTLINE_TEMPLATES_DIR
#define HOTLINE_TEMPLATES_DIR	"templates"
#endif

#define TPL_NAME_MAX		64
#define TPL_FILE_MAX		(256 * 1024)	/* one catalogue file */

struct tpl_cat;
struct tpl;

enum tpl_ftype { TF_STRING, TF_TEXT, TF_ENUM, TF_TIME };
enum tpl_refrule { TREF_NONE, TREF_OPTIONAL, TREF_REQUIRED };

/* What a body is with respect to this node's catalogue. */
enum tpl_status {
	TPL_NONE,		/* not a structured body (no "template" key) */
	TPL_OK,			/* a template we know; fields valid */
	TPL_UNKNOWN_TEMPLATE,	/* a template name we do not have */
	TPL_UNKNOWN_VERSION,	/* another catalogue, or a newer version of ours */
	TPL_INVALID,		/* structured, but malformed or fields invalid */
};
const char *tpl_status_name(int st);	/* "none", "ok", "unknown-template"... */

/* Load templates/catalogue.json and the template files it lists from dir.
 * Returns the catalogue, or NULL with a message in err. */
struct tpl_cat	*tpl_cat_load_dir(const char *dir, char *err, size_t errlen);
/* Build a catalogue from its combined JSON (tpl_cat_json's form: the
 * catalogue object with "templates" holding the template objects). j is
 * borrowed. NULL with a message in err. */
struct tpl_cat	*tpl_cat_from_json(json_t *j, char *err, size_t errlen);
void		 tpl_cat_free(struct tpl_cat *c);	/* NULL is a no-op */
/* The combined JSON (borrowed; valid while c lives). */
json_t		*tpl_cat_json(const struct tpl_cat *c);
const char	*tpl_cat_id(const struct tpl_cat *c);
uint32_t	 tpl_cat_version(const struct tpl_cat *c);
int		 tpl_cat_count(const struct tpl_cat *c);
const struct tpl *tpl_cat_get(const struct tpl_cat *c, int i);
const struct tpl *tpl_find(const struct tpl_cat *c, const char *name);

const char	*tpl_name(const struct tpl *t);
const char	*tpl_channel(const struct tpl *t);	/* "nrrc", "check"... */
const char	*tpl_kind(const struct tpl *t);
int		 tpl_ref_rule(const struct tpl *t);	/* enum tpl_refrule */
const char	*tpl_title(const struct tpl *t, const char *lang);
int		 tpl_nfields(const struct tpl *t);
/* Field i: name, type, required, label in lang, enumeration name (or
 * NULL). */
const char	*tpl_field_name(const struct tpl *t, int i);
int		 tpl_field_type(const struct tpl *t, int i);
bool		 tpl_field_required(const struct tpl *t, int i);
const char	*tpl_field_label(const struct tpl *t, int i, const char *lang);
const char	*tpl_field_enum(const struct tpl *t, int i);
int		 tpl_field_index(const struct tpl *t, const char *name);
/* Names of the values of enumeration e, joined with ", " into out. */
void		 tpl_enum_values(const struct tpl_cat *c, const char *e,
		    char *out, size_t outsz);

/*
 * Check fields (a JSON object) against template t: every required field
 * present, no unknown field, every value of its type. Returns 0, or -1 with
 * err naming the field ("field 'sector': ...").
 */
int	tpl_validate(const struct tpl_cat *c, const struct tpl *t, json_t *fields,
	    char *err, size_t errlen);
/*
 * Turn the text input for field i (a flag's value or a prompt's answer)
 * into its JSON value; lang marks a text field's language. Returns a new
 * value, or NULL with err naming the field.
 */
json_t	*tpl_field_from_input(const struct tpl_cat *c, const struct tpl *t,
	    int i, const char *input, const char *lang, char *err, size_t errlen);
/* The structured body for t with fields (borrowed), stamped with this
 * catalogue's id and version. New object. */
json_t	*tpl_body_new(const struct tpl_cat *c, const struct tpl *t,
	    json_t *fields);

/*
 * The structured-body parser for bytes from a peer or a client (len bytes,
 * need not be NUL-terminated, at most 64 KiB). On TPL_NONE nothing else is
 * set. Otherwise name/catid/version are filled as far as they parse, and
 * *fields gets a new reference to the fields object (NULL if malformed).
 * Then classified against c (c may be NULL: every template is unknown).
 * Returns the enum tpl_status; why gets a one-line explanation.
 */
int	tpl_body_classify(const struct tpl_cat *c, const uint8_t *body,
	    size_t len, char name[TPL_NAME_MAX + 1], char catid[TPL_NAME_MAX + 1],
	    uint32_t *version, json_t **fields, char *why, size_t whylen);

/* Header facts a rendering shows, in the language of the rendering. */
struct tpl_meta {
	const char	*id;		/* hex, NULL = omit */
	const char	*from, *to;	/* NULL = omit */
	const char	*channel;	/* name, NULL = omit */
	const char	*precedence;	/* name, NULL = omit */
	const char	*ref;		/* hex, NULL = none */
	uint64_t	 created;	/* UTC ms, 0 = omit */
	uint64_t	 received;	/* UTC ms, 0 = omit */
	uint64_t	 deadline;	/* UTC ms, 0 = none */
	bool		 overdue;
	bool		 ack_late;
	bool		 exercise;
};

/*
 * Render a message in lang ("en" or "ru"): the header facts of meta, then
 * the template's title and every field with its label, enumerations and
 * dates in lang and free text as written with its language. A body that is
 * not TPL_OK is shown raw (its JSON, indented) after an explanation in
 * lang of why it cannot be rendered. Returns a new string (free()), or
 * NULL for an unsupported lang (or no catalogue); *status gets the body's
 * enum tpl_status.
 */
char	*tpl_render(const struct tpl_cat *c, const struct tpl_meta *meta,
	    const uint8_t *body, size_t len, const char *lang, int *status);
/* Is lang one this catalogue renders? */
bool	 tpl_lang_ok(const struct tpl_cat *c, const char *lang);

/* "2026-11-23T08:15:00Z" (or .sss) -> UTC ms. 0 or -1. */
int	tpl_time_parse(const char *s, uint64_t *ms);

#endif
