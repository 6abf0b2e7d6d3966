/*
 * templates.c: the NRRC template catalogue and structured bodies.
 *
 * This file owns loading the catalogue (templates/catalogue.json plus one
 * file per template, see templates/README.md), checking that it is
 * complete (every label, title and enumeration value in every language the
 * catalogue declares, which must include en and ru), validating field
 * values against a template, classifying a structured body received from
 * anyone (the parser of untrusted bytes that fuzz/fuzz_tpl_body.c
 * exercises), and rendering a message in one language. The catalogue is
 * kept as its combined JSON; the structs below only index into it.
 *
 * Renderings of one body in en and ru come from the same values: labels,
 * enumeration names and dates are looked up per language; free text is
 * copied as written and marked with its language, never translated.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "msg.h"
#include "templates.h"
#include "util.h"

#define FIELD_NAME_MAX		32
#define STRING_MAX_DEFAULT	200
#define TEXT_MAX_DEFAULT	4000
#define BODY_PARSE_MAX		(64 * 1024)
#define RENDER_MAX		(512 * 1024)

struct tpl_field {
	const char	*name;
	int		 type;		/* enum tpl_ftype */
	bool		 required;
	const char	*enumname;	/* TF_ENUM only */
	size_t		 max;		/* characters (bytes for UTF-8 here) */
	json_t		*label;		/* {lang: text} */
};

struct tpl {
	const char		*name;
	const char		*channel;
	const char		*kind;
	int			 ref;	/* enum tpl_refrule */
	json_t			*title;
	int			 nfields;
	struct tpl_field	*f;
};

struct tpl_cat {
	json_t		*j;		/* the combined catalogue */
	const char	*id;
	uint32_t	 version;
	json_t		*langs, *labels, *months, *enums;
	int		 n;
	struct tpl	*t;
};

static const char *const status_names[] = {
	[TPL_NONE] = "none",
	[TPL_OK] = "ok",
	[TPL_UNKNOWN_TEMPLATE] = "unknown-template",
	[TPL_UNKNOWN_VERSION] = "unknown-catalogue-version",
	[TPL_INVALID] = "invalid",
};

static const char *const type_names[] = {
	[TF_STRING] = "string", [TF_TEXT] = "text", [TF_ENUM] = "enum",
	[TF_TIME] = "time",
};

const char *
tpl_status_name(int st)
{
	if (st < 0 || st > TPL_INVALID)
		return "?";
	return status_names[st];
}

static void errf(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	/* A cut message is still a message. */
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* [a-z0-9] then [a-z0-9-_] up to max. */
static bool
name_ok(const char *s, size_t max, bool dash, bool underscore)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (i = 0; i < n; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))
			continue;
		if ((dash && s[i] == '-') || (underscore && s[i] == '_'))
			if (i > 0)
				continue;
		return false;
	}
	return true;
}

/*
 * Is s well-formed UTF-8 without control characters (C0, DEL, C1), except
 * newline and tab when multiline? A peer's text reaches terminals.
 */
static bool
text_clean(const char *s, size_t n, bool multiline)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, len;
	uint32_t cp;

	while (i < n) {
		if (p[i] < 0x80) {
			if ((p[i] < 0x20 && !(multiline && (p[i] == '\n' ||
			    p[i] == '\t'))) || p[i] == 0x7f)
				return false;
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			len = 2;
			cp = p[i] & 0x1f;
		} else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			len = 3;
			cp = p[i] & 0x0f;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			len = 4;
			cp = p[i] & 0x07;
		} else
			return false;
		if (i + len > n)
			return false;
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 ||
		    cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029)
			return false;
		i += len;
	}
	return true;
}

/* A label object {lang: string} complete for every catalogue language. */
static int
label_check(const struct tpl_cat *c, json_t *label, const char *what,
    char *err, size_t errlen)
{
	json_t *l;
	size_t i;
	const char *s;

	if (!json_is_object(label)) {
		errf(err, errlen, "%s: missing or not an object of "
		    "translations", what);
		return -1;
	}
	json_array_foreach(c->langs, i, l) {
		s = json_string_value(json_object_get(label,
		    json_string_value(l)));
		if (s == NULL || s[0] == '\0' ||
		    !text_clean(s, strlen(s), false)) {
			errf(err, errlen, "%s: no '%s' text", what,
			    json_string_value(l));
			return -1;
		}
	}
	return 0;
}

/* Read a catalogue file (regular, at most TPL_FILE_MAX) as JSON. */
static json_t *
load_json_file(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	json_error_t jerr;
	json_t *v;
	FILE *fp;

	if ((fp = fopen(path, "re")) == NULL) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > TPL_FILE_MAX) {
		errf(err, errlen, "%s: not a regular file of at most %d bytes",
		    path, TPL_FILE_MAX);
		fclose(fp);
		return NULL;
	}
	v = json_loadf(fp, JSON_REJECT_DUPLICATES, &jerr);
	fclose(fp);
	if (v == NULL)
		errf(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column,
		    jerr.text);
	return v;
}

struct tpl_cat *
tpl_cat_load_dir(const char *dir, char *err, size_t errlen)
{
	struct tpl_cat *c = NULL;
	char path[4096];
	json_t *cat, *names, *arr = NULL, *t, *v;
	const char *name;
	size_t i;
	int n;

	n = snprintf(path, sizeof(path), "%s/catalogue.json", dir);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errf(err, errlen, "%s: path too long", dir);
		return NULL;
	}
	if ((cat = load_json_file(path, err, errlen)) == NULL)
		return NULL;
	names = json_object_get(cat, "templates");
	if (!json_is_array(names) || json_array_size(names) == 0 ||
	    json_array_size(names) > 256) {
		errf(err, errlen, "%s: \"templates\" must list 1..256 template "
		    "names", path);
		goto done;
	}
	arr = json_array();
	json_array_foreach(names, i, v) {
		name = json_string_value(v);
		if (name == NULL || !name_ok(name, TPL_NAME_MAX, true, false)) {
			errf(err, errlen, "%s: template %zu: bad name", path,
			    i + 1);
			goto done;
		}
		n = snprintf(path, sizeof(path), "%s/%s.json", dir, name);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			errf(err, errlen, "%s: path too long", dir);
			goto done;
		}
		if ((t = load_json_file(path, err, errlen)) == NULL)
			goto done;
		if (!json_is_object(t) || !json_is_string(json_object_get(t,
		    "name")) || strcmp(json_string_value(json_object_get(t,
		    "name")), name) != 0) {
			errf(err, errlen, "%s: \"name\" must be \"%s\"", path,
			    name);
			json_decref(t);
			goto done;
		}
		json_array_append_new(arr, t);
	}
	json_object_set(cat, "templates", arr);
	c = tpl_cat_from_json(cat, err, errlen);
done:
	json_decref(arr);
	json_decref(cat);
	return c;
}

static int
field_parse(struct tpl_cat *c, struct tpl *t, json_t *jf, int idx,
    struct tpl_field *f, char *err, size_t errlen)
{
	static const char *const keys[] = { "name", "type", "required",
	    "enum", "max", "label", NULL };
	char what[160];
	const char *k, *ty;
	json_t *v, *mx;
	int i;

	if (!json_is_object(jf)) {
		errf(err, errlen, "template %s: field %d is not an object",
		    t->name, idx + 1);
		return -1;
	}
	json_object_foreach(jf, k, v) {
		for (i = 0; keys[i] != NULL && strcmp(keys[i], k) != 0; i++)
			;
		if (keys[i] == NULL) {
			errf(err, errlen, "template %s: field %d: unknown key "
			    "\"%.40s\"", t->name, idx + 1, k);
			return -1;
		}
	}
	f->name = json_string_value(json_object_get(jf, "name"));
	if (f->name == NULL || !name_ok(f->name, FIELD_NAME_MAX, false, true)) {
		errf(err, errlen, "template %s: field %d: bad name", t->name,
		    idx + 1);
		return -1;
	}
	for (i = 0; i < idx; i++)
		if (strcmp(t->f[i].name, f->name) == 0) {
			errf(err, errlen, "template %s: field %s twice",
			    t->name, f->name);
			return -1;
		}
	ty = json_string_value(json_object_get(jf, "type"));
	for (i = 0; ty != NULL && i <= TF_TIME && strcmp(ty, type_names[i]);
	    i++)
		;
	if (ty == NULL || i > TF_TIME) {
		errf(err, errlen, "template %s: field %s: type must be string, "
		    "text, enum or time", t->name, f->name);
		return -1;
	}
	f->type = i;
	if (!json_is_boolean(json_object_get(jf, "required"))) {
		errf(err, errlen, "template %s: field %s: \"required\" must be "
		    "true or false", t->name, f->name);
		return -1;
	}
	f->required = json_is_true(json_object_get(jf, "required"));
	f->max = f->type == TF_TEXT ? TEXT_MAX_DEFAULT : STRING_MAX_DEFAULT;
	if ((mx = json_object_get(jf, "max")) != NULL) {
		if (!json_is_integer(mx) || json_integer_value(mx) < 1 ||
		    json_integer_value(mx) > MSG_BODY_MAX) {
			errf(err, errlen, "template %s: field %s: bad max",
			    t->name, f->name);
			return -1;
		}
		f->max = (size_t)json_integer_value(mx);
	}
	f->enumname = json_string_value(json_object_get(jf, "enum"));
	if ((f->type == TF_ENUM) != (f->enumname != NULL) ||
	    (f->enumname != NULL && !json_is_object(json_object_get(c->enums,
	    f->enumname)))) {
		errf(err, errlen, "template %s: field %s: an enum field names "
		    "an enumeration of the catalogue (and only it does)",
		    t->name, f->name);
		return -1;
	}
	f->label = json_object_get(jf, "label");
	snprintf(what, sizeof(what), "template %s: field %s: label", t->name,
	    f->name);
	return label_check(c, f->label, what, err, errlen);
}

static int
tpl_parse(struct tpl_cat *c, json_t *jt, struct tpl *t, char *err,
    size_t errlen)
{
	json_t *fields;
	const char *ref;
	char what[120];
	size_t i;

	t->name = json_string_value(json_object_get(jt, "name"));
	if (t->name == NULL || !name_ok(t->name, TPL_NAME_MAX, true, false)) {
		errf(err, errlen, "template with a bad or no name");
		return -1;
	}
	t->channel = json_string_value(json_object_get(jt, "channel"));
	t->kind = json_string_value(json_object_get(jt, "kind"));
	if (t->channel == NULL || channel_from_name(t->channel) == -1 ||
	    t->kind == NULL || !kind_valid(t->kind)) {
		errf(err, errlen, "template %s: bad channel or kind", t->name);
		return -1;
	}
	ref = json_string_value(json_object_get(jt, "ref"));
	if (ref == NULL || (strcmp(ref, "none") && strcmp(ref, "optional") &&
	    strcmp(ref, "required"))) {
		errf(err, errlen, "template %s: \"ref\" must be none, optional "
		    "or required", t->name);
		return -1;
	}
	t->ref = ref[0] == 'n' ? TREF_NONE : ref[0] == 'o' ? TREF_OPTIONAL :
	    TREF_REQUIRED;
	if (strcmp(t->kind, "ack") == 0 && t->ref != TREF_REQUIRED) {
		errf(err, errlen, "template %s: an ack needs \"ref\": "
		    "\"required\"", t->name);
		return -1;
	}
	t->title = json_object_get(jt, "title");
	snprintf(what, sizeof(what), "template %s: title", t->name);
	if (label_check(c, t->title, what, err, errlen) == -1)
		return -1;
	fields = json_object_get(jt, "fields");
	if (!json_is_array(fields) || json_array_size(fields) > 64) {
		errf(err, errlen, "template %s: \"fields\" must be an array of "
		    "at most 64", t->name);
		return -1;
	}
	t->nfields = (int)json_array_size(fields);
	t->f = xcalloc((size_t)t->nfields + 1, sizeof(*t->f));
	for (i = 0; i < json_array_size(fields); i++)
		if (field_parse(c, t, json_array_get(fields, i), (int)i,
		    &t->f[i], err, errlen) == -1)
			return -1;
	return 0;
}

struct tpl_cat *
tpl_cat_from_json(json_t *j, char *err, size_t errlen)
{
	static const char *const labels[] = { "exercise", "from", "to",
	    "channel", "precedence", "created", "received", "deadline",
	    "overdue", "ack_late", "in_reply_to", "template", "not_given",
	    "written_in", "not_translated", "utc", "message", NULL };
	static const char *const enums[] = { "language", "precedence",
	    "channel", NULL };
	struct tpl_cat *c;
	json_t *tpls, *v, *e, *l, *m;
	const char *k, *s;
	char what[160];
	size_t i, jx;
	int x;

	c = xcalloc(1, sizeof(*c));
	c->j = json_deep_copy(j);
	if (!json_is_object(c->j)) {
		errf(err, errlen, "catalogue: not a JSON object");
		goto fail;
	}
	c->id = json_string_value(json_object_get(c->j, "catalogue"));
	v = json_object_get(c->j, "version");
	if (c->id == NULL || !name_ok(c->id, TPL_NAME_MAX, true, false) ||
	    !json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > UINT32_MAX) {
		errf(err, errlen, "catalogue: needs \"catalogue\" (a name) and "
		    "\"version\" (a positive integer)");
		goto fail;
	}
	c->version = (uint32_t)json_integer_value(v);
	c->langs = json_object_get(c->j, "languages");
	if (!json_is_array(c->langs) || json_array_size(c->langs) > 8) {
		errf(err, errlen, "catalogue: \"languages\" must be an array");
		goto fail;
	}
	json_array_foreach(c->langs, i, l) {
		s = json_string_value(l);
		if (s == NULL || !name_ok(s, 8, true, false)) {
			errf(err, errlen, "catalogue: bad language code");
			goto fail;
		}
	}
	if (!tpl_lang_ok(c, "en") || !tpl_lang_ok(c, "ru")) {
		errf(err, errlen, "catalogue: \"languages\" must include en "
		    "and ru");
		goto fail;
	}
	c->labels = json_object_get(c->j, "labels");
	for (x = 0; labels[x] != NULL; x++) {
		snprintf(what, sizeof(what), "catalogue: label %s", labels[x]);
		if (label_check(c, json_object_get(c->labels, labels[x]), what,
		    err, errlen) == -1)
			goto fail;
	}
	c->months = json_object_get(c->j, "months");
	json_array_foreach(c->langs, i, l) {
		m = json_object_get(c->months, json_string_value(l));
		if (!json_is_array(m) || json_array_size(m) != 12) {
			errf(err, errlen, "catalogue: months: 12 names for "
			    "'%s' needed", json_string_value(l));
			goto fail;
		}
		for (jx = 0; jx < 12; jx++)
			if (!json_is_string(json_array_get(m, jx))) {
				errf(err, errlen, "catalogue: months: not a "
				    "string");
				goto fail;
			}
	}
	c->enums = json_object_get(c->j, "enums");
	if (!json_is_object(c->enums)) {
		errf(err, errlen, "catalogue: \"enums\" must be an object");
		goto fail;
	}
	json_object_foreach(c->enums, k, e) {
		if (!name_ok(k, FIELD_NAME_MAX, false, true) ||
		    !json_is_object(e) || json_object_size(e) == 0) {
			errf(err, errlen, "catalogue: enumeration %.40s: bad "
			    "name or no values", k);
			goto fail;
		}
		json_object_foreach(e, s, v) {
			snprintf(what, sizeof(what), "catalogue: enumeration "
			    "%.40s value %.40s", k, s);
			if (!name_ok(s, FIELD_NAME_MAX, true, false)) {
				errf(err, errlen, "%s: bad value name", what);
				goto fail;
			}
			if (label_check(c, v, what, err, errlen) == -1)
				goto fail;
		}
	}
	for (x = 0; enums[x] != NULL; x++)
		if (json_object_get(c->enums, enums[x]) == NULL) {
			errf(err, errlen, "catalogue: enumeration %s missing",
			    enums[x]);
			goto fail;
		}
	tpls = json_object_get(c->j, "templates");
	if (!json_is_array(tpls) || json_array_size(tpls) == 0 ||
	    json_array_size(tpls) > 256) {
		errf(err, errlen, "catalogue: \"templates\" must hold 1..256 "
		    "templates");
		goto fail;
	}
	c->t = xcalloc(json_array_size(tpls), sizeof(*c->t));
	json_array_foreach(tpls, i, v) {
		if (!json_is_object(v)) {
			errf(err, errlen, "catalogue: template %zu is not an "
			    "object", i + 1);
			goto fail;
		}
		c->n++;
		if (tpl_parse(c, v, &c->t[i], err, errlen) == -1)
			goto fail;
		for (jx = 0; jx < i; jx++)
			if (strcmp(c->t[jx].name, c->t[i].name) == 0) {
				errf(err, errlen, "catalogue: template %s "
				    "twice", c->t[i].name);
				goto fail;
			}
	}
	return c;
fail:
	tpl_cat_free(c);
	return NULL;
}

void
tpl_cat_free(struct tpl_cat *c)
{
	int i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		free(c->t[i].f);
	free(c->t);
	json_decref(c->j);
	free(c);
}

json_t *
tpl_cat_json(const struct tpl_cat *c)
{
	return c->j;
}

const char *
tpl_cat_id(const struct tpl_cat *c)
{
	return c->id;
}

uint32_t
tpl_cat_version(const struct tpl_cat *c)
{
	return c->version;
}

int
tpl_cat_count(const struct tpl_cat *c)
{
	return c->n;
}

const struct tpl *
tpl_cat_get(const struct tpl_cat *c, int i)
{
	if (i < 0 || i >= c->n)
		return NULL;
	return &c->t[i];
}

const struct tpl *
tpl_find(const struct tpl_cat *c, const char *name)
{
	int i;

	if (c == NULL || name == NULL)
		return NULL;
	for (i = 0; i < c->n; i++)
		if (strcmp(c->t[i].name, name) == 0)
			return &c->t[i];
	return NULL;
}

bool
tpl_lang_ok(const struct tpl_cat *c, const char *lang)
{
	json_t *l;
	size_t i;

	if (c == NULL || lang == NULL)
		return false;
	json_array_foreach(c->langs, i, l)
		if (strcmp(json_string_value(l), lang) == 0)
			return true;
	return false;
}

const char *tpl_name(const struct tpl *t) { return t->name; }
const char *tpl_channel(const struct tpl *t) { return t->channel; }
const char *tpl_kind(const struct tpl *t) { return t->kind; }
int tpl_ref_rule(const struct tpl *t) { return t->ref; }
int tpl_nfields(const struct tpl *t) { return t->nfields; }
const char *tpl_field_name(const struct tpl *t, int i) { return t->f[i].name; }
int tpl_field_type(const struct tpl *t, int i) { return t->f[i].type; }
bool tpl_field_required(const struct tpl *t, int i) { return t->f[i].required; }
const char *tpl_field_enum(const struct tpl *t, int i) { return t->f[i].enumname; }

/* A label's text in lang, falling back to en. */
static const char *
label_text(json_t *label, const char *lang)
{
	const char *s = json_string_value(json_object_get(label, lang));

	if (s == NULL)
		s = json_string_value(json_object_get(label, "en"));
	return s != NULL ? s : "?";
}

const char *
tpl_title(const struct tpl *t, const char *lang)
{
	return label_text(t->title, lang);
}

const char *
tpl_field_label(const struct tpl *t, int i, const char *lang)
{
	return label_text(t->f[i].label, lang);
}

int
tpl_field_index(const struct tpl *t, const char *name)
{
	int i;

	for (i = 0; i < t->nfields; i++)
		if (strcmp(t->f[i].name, name) == 0)
			return i;
	return -1;
}

void
tpl_enum_values(const struct tpl_cat *c, const char *e, char *out,
    size_t outsz)
{
	const char *k;
	json_t *v;
	size_t n = 0;
	int r;

	out[0] = '\0';
	json_object_foreach(json_object_get(c->enums, e), k, v) {
		r = snprintf(out + n, outsz - n, "%s%s", n > 0 ? ", " : "", k);
		if (r < 0 || (size_t)r >= outsz - n)
			return;
		n += (size_t)r;
	}
}

static bool
is_leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (y >= 1970). */
static uint64_t
days_from_civil(unsigned y, unsigned m, unsigned d)
{
	static const unsigned cum[12] = { 0, 31, 59, 90, 120, 151, 181, 212,
	    243, 273, 304, 334 };
	uint64_t days = 0;
	unsigned yy;

	for (yy = 1970; yy < y; yy++)
		days += is_leap(yy) ? 366 : 365;
	days += cum[m - 1] + (m > 2 && is_leap(y) ? 1 : 0) + d - 1;
	return days;
}

/* n decimal digits at s into *v. */
static bool
digits(const char *s, int n, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return true;
}

int
tpl_time_parse(const char *s, uint64_t *ms)
{
	static const unsigned mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31,
	    30, 31, 30, 31 };
	unsigned y, mo, d, h, mi, sec, frac = 0, dim;
	size_t n = strlen(s), i;

	if (n < 20 || n > 24)
		return -1;
	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) || s[10] != 'T' ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) ||
	    s[16] != ':' || !digits(s + 17, 2, &sec))
		return -1;
	i = 19;
	if (s[i] == '.') {
		/* 1 to 3 digits of a second */
		if (n - i < 3 || n - i > 5 ||
		    !digits(s + i + 1, (int)(n - i - 2), &frac))
			return -1;
		for (i = n - i - 2; i < 3; i++)
			frac *= 10;
		i = n - 1;
	}
	if (i != n - 1 || s[i] != 'Z')
		return -1;
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || h > 23 || mi > 59 ||
	    sec > 59)
		return -1;
	dim = mdays[mo - 1] + (mo == 2 && is_leap(y) ? 1 : 0);
	if (d < 1 || d > dim)
		return -1;
	*ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + sec;
	*ms = *ms * 1000 + frac;
	return 0;
}

/* A language tag: 2 or 3 lowercase letters. */
static bool
lang_code_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 2 || n > 3)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return false;
	return true;
}

/* Check one value v of field f. 0 or -1 with err naming the field. */
static int
value_check(const struct tpl_cat *c, const struct tpl_field *f, json_t *v,
    char *err, size_t errlen)
{
	const char *s, *lang, *k;
	json_t *x;
	uint64_t ms;
	size_t n;

	switch (f->type) {
	case TF_STRING:
	case TF_TIME:
	case TF_ENUM:
		if ((s = json_string_value(v)) == NULL) {
			errf(err, errlen, "field '%s': must be a string",
			    f->name);
			return -1;
		}
		n = json_string_length(v);
		if (n == 0 || n > f->max || strlen(s) != n ||
		    !text_clean(s, n, false)) {
			errf(err, errlen, "field '%s': must be 1 to %zu "
			    "characters on one line", f->name, f->max);
			return -1;
		}
		if (f->type == TF_TIME && tpl_time_parse(s, &ms) == -1) {
			errf(err, errlen, "field '%s': not a UTC time like "
			    "2026-11-23T08:15:00Z", f->name);
			return -1;
		}
		if (f->type == TF_ENUM && json_object_get(json_object_get(
		    c->enums, f->enumname), s) == NULL) {
			char vals[512];

			tpl_enum_values(c, f->enumname, vals, sizeof(vals));
			errf(err, errlen, "field '%s': '%.40s' is not one of: "
			    "%s", f->name, s, vals);
			return -1;
		}
		return 0;
	case TF_TEXT:
		if (!json_is_object(v)) {
			errf(err, errlen, "field '%s': must be {\"text\": ..., "
			    "\"lang\": ...}", f->name);
			return -1;
		}
		json_object_foreach(v, k, x)
			if (strcmp(k, "text") != 0 && strcmp(k, "lang") != 0) {
				errf(err, errlen, "field '%s': unknown key "
				    "'%.40s'", f->name, k);
				return -1;
			}
		s = json_string_value(json_object_get(v, "text"));
		lang = json_string_value(json_object_get(v, "lang"));
		if (lang == NULL || !lang_code_ok(lang)) {
			errf(err, errlen, "field '%s': its language must be "
			    "given as a code such as en or ru", f->name);
			return -1;
		}
		if (s == NULL) {
			errf(err, errlen, "field '%s': no text", f->name);
			return -1;
		}
		n = json_string_length(json_object_get(v, "text"));
		if (n == 0 || n > f->max || strlen(s) != n ||
		    !text_clean(s, n, true)) {
			errf(err, errlen, "field '%s': text must be 1 to %zu "
			    "bytes of UTF-8 without control characters",
			    f->name, f->max);
			return -1;
		}
		return 0;
	}
	return -1;
}

int
tpl_validate(const struct tpl_cat *c, const struct tpl *t, json_t *fields,
    char *err, size_t errlen)
{
	const char *k;
	json_t *v;
	int i;

	if (!json_is_object(fields)) {
		errf(err, errlen, "fields must be a JSON object");
		return -1;
	}
	json_object_foreach(fields, k, v)
		if (tpl_field_index(t, k) == -1) {
			errf(err, errlen, "field '%.40s': not a field of "
			    "template %s", k, t->name);
			return -1;
		}
	for (i = 0; i < t->nfields; i++) {
		v = json_object_get(fields, t->f[i].name);
		if (v == NULL) {
			if (t->f[i].required) {
				errf(err, errlen, "field '%s' (%s): required "
				    "but missing", t->f[i].name,
				    label_text(t->f[i].label, "en"));
				return -1;
			}
			continue;
		}
		if (value_check(c, &t->f[i], v, err, errlen) == -1)
			return -1;
	}
	return 0;
}

json_t *
tpl_field_from_input(const struct tpl_cat *c, const struct tpl *t, int i,
    const char *input, const char *lang, char *err, size_t errlen)
{
	json_t *v;

	if (i < 0 || i >= t->nfields || input == NULL)
		return NULL;
	if (t->f[i].type == TF_TEXT)
		v = json_pack("{s:s, s:s}", "text", input, "lang",
		    lang != NULL ? lang : "en");
	else
		v = json_string(input);
	if (v == NULL) {
		errf(err, errlen, "field '%s': not valid UTF-8", t->f[i].name);
		return NULL;
	}
	if (value_check(c, &t->f[i], v, err, errlen) == -1) {
		json_decref(v);
		return NULL;
	}
	return v;
}

json_t *
tpl_body_new(const struct tpl_cat *c, const struct tpl *t, json_t *fields)
{
	return json_pack("{s:s, s:s, s:I, s:O}", "template", t->name,
	    "catalogue", c->id, "version", (json_int_t)c->version, "fields",
	    fields);
}

int
tpl_body_classify(const struct tpl_cat *c, const uint8_t *body, size_t len,
    char name[TPL_NAME_MAX + 1], char catid[TPL_NAME_MAX + 1],
    uint32_t *version, json_t **fields, char *why, size_t whylen)
{
	const struct tpl *t;
	json_t *j, *v, *f;
	const char *s, *k;
	int st = TPL_INVALID;

	name[0] = catid[0] = '\0';
	*version = 0;
	*fields = NULL;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (len > BODY_PARSE_MAX) {
		errf(why, whylen, "body larger than %d bytes", BODY_PARSE_MAX);
		return TPL_NONE;
	}
	/* Most bodies (CERT bundles, plain text) name no template: skip the
	 * parse. A key spelled with escapes is not a template key here,
	 * everywhere alike (this is the only classifier). */
	if (memmem(body, len, "\"template\"", 10) == NULL)
		return TPL_NONE;
	j = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES,
	    NULL);
	if (!json_is_object(j) || json_object_get(j, "template") == NULL) {
		json_decref(j);
		return TPL_NONE;
	}
	json_object_foreach(j, k, v)
		if (strcmp(k, "template") && strcmp(k, "catalogue") &&
		    strcmp(k, "version") && strcmp(k, "fields")) {
			errf(why, whylen, "unknown key '%.40s' in a structured "
			    "body", k);
			goto done;
		}
	s = json_string_value(json_object_get(j, "template"));
	if (s == NULL || !name_ok(s, TPL_NAME_MAX, true, false)) {
		errf(why, whylen, "\"template\" is not a template name");
		goto done;
	}
	memcpy(name, s, strlen(s) + 1);
	s = json_string_value(json_object_get(j, "catalogue"));
	v = json_object_get(j, "version");
	if (s == NULL || !name_ok(s, TPL_NAME_MAX, true, false) ||
	    !json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > UINT32_MAX) {
		errf(why, whylen, "\"catalogue\" and \"version\" must name the "
		    "catalogue and its version");
		goto done;
	}
	memcpy(catid, s, strlen(s) + 1);
	*version = (uint32_t)json_integer_value(v);
	f = json_object_get(j, "fields");
	if (json_is_object(f))
		*fields = json_incref(f);
	if (c == NULL) {
		errf(why, whylen, "this node has no template catalogue");
		st = TPL_UNKNOWN_TEMPLATE;
		goto done;
	}
	if (strcmp(catid, c->id) != 0 || *version > c->version) {
		errf(why, whylen, "catalogue %s version %u is not known here "
		    "(this node has %s version %u)", catid, *version, c->id,
		    c->version);
		st = TPL_UNKNOWN_VERSION;
		goto done;
	}
	if ((t = tpl_find(c, name)) == NULL) {
		errf(why, whylen, "template %s is not in catalogue %s version "
		    "%u", name, c->id, c->version);
		st = TPL_UNKNOWN_TEMPLATE;
		goto done;
	}
	if (*fields == NULL) {
		errf(why, whylen, "\"fields\" must be an object");
		goto done;
	}
	if (tpl_validate(c, t, *fields, why, whylen) == -1)
		goto done;
	st = TPL_OK;
done:
	json_decref(j);
	return st;
}

/* Rendering */

static void sb_printf(struct buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Append formatted text; an overlong rendering is cut (buf's max). */
static void
sb_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[1024], *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		(void)buf_add(b, tmp, (size_t)n);
		return;
	}
	big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	(void)vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	(void)buf_add(b, big, (size_t)n);
	free(big);
}

static const char *
lbl(const struct tpl_cat *c, const char *key, const char *lang)
{
	return label_text(json_object_get(c->labels, key), lang);
}

static const char *
enum_text(const struct tpl_cat *c, const char *e, const char *v,
    const char *lang)
{
	json_t *l = json_object_get(json_object_get(c->enums, e), v);

	return l != NULL ? label_text(l, lang) : v;
}

/* "23 November 2026, 08:15:00 UTC" / "23 ноября 2026 г., 08:15:00 UTC". */
static void
render_time(const struct tpl_cat *c, struct buf *b, uint64_t ms,
    const char *lang)
{
	static const unsigned mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31,
	    30, 31, 30, 31 };
	uint64_t secs = ms / 1000, days = secs / 86400, rem = secs % 86400;
	unsigned y = 1970, mo = 0, dim;
	const char *mname;

	for (;;) {
		dim = is_leap(y) ? 366 : 365;
		if (days < dim)
			break;
		days -= dim;
		y++;
	}
	for (mo = 0; mo < 12; mo++) {
		dim = mdays[mo] + (mo == 1 && is_leap(y) ? 1 : 0);
		if (days < dim)
			break;
		days -= dim;
	}
	mname = json_string_value(json_array_get(json_object_get(c->months,
	    lang), mo));
	sb_printf(b, "%u %s %u%s, %02u:%02u:%02u", (unsigned)days + 1,
	    mname != NULL ? mname : "?", y, strcmp(lang, "ru") == 0 ? " г." :
	    "", (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60),
	    (unsigned)(rem % 60));
	if (ms % 1000 != 0)
		sb_printf(b, ".%03u", (unsigned)(ms % 1000));
	sb_printf(b, " %s", lbl(c, "utc", lang));
}

/* Free text, indented by four spaces on every line. */
static void
render_indented(struct buf *b, const char *s)
{
	const char *nl;

	while (*s != '\0') {
		nl = strchr(s, '\n');
		if (nl == NULL)
			nl = s + strlen(s);
		sb_printf(b, "    %.*s\n", (int)(nl - s), s);
		s = *nl == '\n' ? nl + 1 : nl;
	}
}

static void
render_field(const struct tpl_cat *c, struct buf *b, const struct tpl_field *f,
    json_t *v, const char *lang)
{
	const char *label = label_text(f->label, lang), *s, *tl;
	uint64_t ms;

	if (v == NULL) {
		sb_printf(b, "%s: %s\n", label, lbl(c, "not_given", lang));
		return;
	}
	switch (f->type) {
	case TF_STRING:
		sb_printf(b, "%s: %s\n", label, json_string_value(v));
		break;
	case TF_ENUM:
		sb_printf(b, "%s: %s\n", label, enum_text(c, f->enumname,
		    json_string_value(v), lang));
		break;
	case TF_TIME:
		sb_printf(b, "%s: ", label);
		if (tpl_time_parse(json_string_value(v), &ms) == 0)
			render_time(c, b, ms, lang);
		sb_printf(b, "\n");
		break;
	case TF_TEXT:
		s = json_string_value(json_object_get(v, "text"));
		tl = json_string_value(json_object_get(v, "lang"));
		sb_printf(b, "%s [%s: %s; %s]:\n", label,
		    lbl(c, "written_in", lang), enum_text(c, "language", tl,
		    lang), lbl(c, "not_translated", lang));
		render_indented(b, s);
		break;
	}
}

/* The explanation for a body we cannot render, in lang. */
static void
render_raw(struct buf *b, const uint8_t *body, size_t len, int st,
    const char *name, const char *catid, uint32_t version, const char *why,
    const char *lang)
{
	bool ru = strcmp(lang, "ru") == 0;
	json_t *j;
	char *dump = NULL;

	switch (st) {
	case TPL_UNKNOWN_TEMPLATE:
		sb_printf(b, ru ? "НЕ ОТОБРАЖЕНО: шаблон «%s» отсутствует в "
		    "каталоге этого узла.\n" : "NOT RENDERED: template \"%s\" "
		    "is not in this node's catalogue.\n", name);
		break;
	case TPL_UNKNOWN_VERSION:
		sb_printf(b, ru ? "НЕ ОТОБРАЖЕНО: сообщение составлено по "
		    "каталогу %s версии %u, неизвестному этому узлу.\n" :
		    "NOT RENDERED: the message uses catalogue %s version %u, "
		    "which this node does not have.\n", catid, version);
		break;
	case TPL_INVALID:
		sb_printf(b, ru ? "НЕ ОТОБРАЖЕНО: структурированное сообщение "
		    "не соответствует шаблону.\n" : "NOT RENDERED: the "
		    "structured message does not match its template.\n");
		break;
	default:
		sb_printf(b, ru ? "Сообщение не по шаблону.\n" :
		    "Not a templated message.\n");
		break;
	}
	if (st != TPL_NONE && why[0] != '\0')
		sb_printf(b, "(%s)\n", why);
	if (st != TPL_NONE)
		sb_printf(b, ru ? "Сообщение сохранено полностью и показано "
		    "ниже в исходном виде, без перевода:\n" :
		    "The message is stored in full and shown below exactly as "
		    "received, untranslated:\n");
	j = json_loadb((const char *)body, len, 0, NULL);
	if (j != NULL)
		dump = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY |
		    JSON_PRESERVE_ORDER);
	json_decref(j);
	if (dump != NULL) {
		render_indented(b, dump);
		free(dump);
	} else {
		/* Not JSON: show it as a JSON string, escapes and all. */
		j = json_stringn_nocheck((const char *)body, len);
		dump = j != NULL ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
		json_decref(j);
		if (dump != NULL)
			sb_printf(b, "    %s\n", dump);
		free(dump);
	}
}

char *
tpl_render(const struct tpl_cat *c, const struct tpl_meta *meta,
    const uint8_t *body, size_t len, const char *lang, int *status)
{
	char name[TPL_NAME_MAX + 1], catid[TPL_NAME_MAX + 1], why[512];
	const struct tpl *t;
	json_t *fields = NULL;
	uint32_t version;
	struct buf b;
	char *out;
	int st, i;

	if (!tpl_lang_ok(c, lang))
		return NULL;
	st = tpl_body_classify(c, body, len, name, catid, &version, &fields,
	    why, sizeof(why));
	if (status != NULL)
		*status = st;
	buf_init(&b, RENDER_MAX);
	if (meta->exercise)
		sb_printf(&b, "*** %s ***\n", lbl(c, "exercise", lang));
	if (meta->id != NULL)
		sb_printf(&b, "%s: %s\n", lbl(c, "message", lang), meta->id);
	if (meta->from != NULL)
		sb_printf(&b, "%s: %s\n", lbl(c, "from", lang), meta->from);
	if (meta->to != NULL)
		sb_printf(&b, "%s: %s\n", lbl(c, "to", lang), meta->to);
	if (meta->channel != NULL)
		sb_printf(&b, "%s: %s\n", lbl(c, "channel", lang),
		    enum_text(c, "channel", meta->channel, lang));
	if (meta->precedence != NULL)
		sb_printf(&b, "%s: %s\n", lbl(c, "precedence", lang),
		    enum_text(c, "precedence", meta->precedence, lang));
	if (meta->ref != NULL)
		sb_printf(&b, "%s: %s\n", lbl(c, "in_reply_to", lang),
		    meta->ref);
	if (meta->created != 0) {
		sb_printf(&b, "%s: ", lbl(c, "created", lang));
		render_time(c, &b, meta->created, lang);
		sb_printf(&b, "\n");
	}
	if (meta->received != 0) {
		sb_printf(&b, "%s: ", lbl(c, "received", lang));
		render_time(c, &b, meta->received, lang);
		sb_printf(&b, "\n");
	}
	if (meta->deadline != 0) {
		sb_printf(&b, "%s: ", lbl(c, "deadline", lang));
		render_time(c, &b, meta->deadline, lang);
		sb_printf(&b, "\n");
	}
	if (meta->overdue)
		sb_printf(&b, "!!! %s\n", lbl(c, "overdue", lang));
	if (meta->ack_late)
		sb_printf(&b, "!!! %s\n", lbl(c, "ack_late", lang));
	sb_printf(&b, "\n");
	if (st == TPL_OK) {
		t = tpl_find(c, name);
		sb_printf(&b, "%s\n", tpl_title(t, lang));
		sb_printf(&b, "(%s: %s, %s %u)\n\n", lbl(c, "template", lang),
		    t->name, c->id, version);
		for (i = 0; i < t->nfields; i++)
			render_field(c, &b, &t->f[i], json_object_get(fields,
			    t->f[i].name), lang);
	} else
		render_raw(&b, body, len, st, name, catid, version, why, lang);
	if (meta->exercise)
		sb_printf(&b, "*** %s ***\n", lbl(c, "exercise", lang));
	json_decref(fields);
	out = xmalloc(b.len + 1);
	if (b.len > 0)
		memcpy(out, b.data, b.len);
	out[b.len] = '\0';
	buf_free(&b);
	return out;
}
