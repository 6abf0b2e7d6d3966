/*
 * fuzz_tpl_body.c: structured (template) message bodies as a peer or a
 * client sends them (tpl_body_classify and tpl_render in src/templates.c),
 * against the repository's catalogue (templates/). The input is a message
 * body. Properties:
 *  - classification never fails to return one of the enum tpl_status
 *    values, with an explanation for every status but none and ok;
 *  - every body renders in en and ru (raw, with an explanation, when it is
 *    not a valid template body), and the rendering is valid UTF-8 text
 *    without control characters other than newline when the body was ok;
 *  - an ok body re-encoded from its fields (tpl_body_new) classifies ok
 *    again and renders to the same text: rendering depends only on the
 *    values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "templates.h"

static struct tpl_cat *cat;

static void
load(void)
{
	char err[512];

	if (cat != NULL)
		return;
	cat = tpl_cat_load_dir(HOTLINE_TEMPLATES_DIR, err, sizeof(err));
	if (cat == NULL) {
		fprintf(stderr, "fuzz_tpl_body: %s\n", err);
		abort();
	}
}

static void
check_clean(const char *s)
{
	for (; *s != '\0'; s++)
		FUZZ_CHECK((unsigned char)*s >= 0x20 || *s == '\n' ||
		    *s == '\t');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct tpl_meta meta = { .from = "us", .to = "ru",
	    .channel = "nrrc", .precedence = "flash", .created = 1,
	    .received = 2 };
	char name[TPL_NAME_MAX + 1], catid[TPL_NAME_MAX + 1], why[512];
	const struct tpl *t;
	json_t *fields = NULL, *body;
	char *en, *ru, *again, *bytes;
	uint32_t ver;
	int st, st2;

	load();
	st = tpl_body_classify(cat, data, size, name, catid, &ver, &fields,
	    why, sizeof(why));
	FUZZ_CHECK(st >= TPL_NONE && st <= TPL_INVALID);
	if (st != TPL_NONE && st != TPL_OK)
		FUZZ_CHECK(why[0] != '\0');
	en = tpl_render(cat, &meta, data, size, "en", &st2);
	FUZZ_CHECK(en != NULL && st2 == st);
	ru = tpl_render(cat, &meta, data, size, "ru", &st2);
	FUZZ_CHECK(ru != NULL && st2 == st);
	if (st == TPL_OK) {
		check_clean(en);
		check_clean(ru);
		FUZZ_CHECK((t = tpl_find(cat, name)) != NULL);
		body = tpl_body_new(cat, t, fields);
		FUZZ_CHECK(body != NULL);
		/* Same catalogue version as the input's for the same text. */
		json_object_set_new(body, "version", json_integer(ver));
		bytes = json_dumps(body, JSON_COMPACT);
		FUZZ_CHECK(bytes != NULL);
		again = tpl_render(cat, &meta, (const uint8_t *)bytes,
		    strlen(bytes), "en", &st2);
		FUZZ_CHECK(st2 == TPL_OK && again != NULL &&
		    strcmp(again, en) == 0);
		free(again);
		free(bytes);
		json_decref(body);
	}
	free(en);
	free(ru);
	json_decref(fields);
	return 0;
}
