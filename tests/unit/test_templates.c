/*
 * test_templates.c: the template catalogue and structured bodies
 * (src/templates.c). Every template of the repository's catalogue renders
 * in English and in Russian from the same field values, held against the
 * golden files in tests/golden/templates/ (NAME.fields.json gives the
 * values, NAME.en.txt and NAME.ru.txt the expected renderings). Set
 * HOTLINE_UPDATE_GOLDEN=1 to rewrite the .txt files after a deliberate
 * change, and review the diff.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "templates.h"
#include "testlib.h"
#include "util.h"

static char golden_dir[4096];

static struct tpl_cat *
load_cat(void)
{
	char err[512] = "";
	struct tpl_cat *c = tpl_cat_load_dir(HOTLINE_TEMPLATES_DIR, err,
	    sizeof(err));

	if (c == NULL)
		fprintf(stderr, "catalogue: %s\n", err);
	assert_non_null(c);
	return c;
}

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *data;
	size_t n;

	if (fp == NULL)
		return NULL;
	data = xmalloc(1024 * 1024);
	n = fread(data, 1, 1024 * 1024 - 1, fp);
	data[n] = '\0';
	fclose(fp);
	return data;
}

static const struct tpl_meta golden_meta = {
	.id = "5f1c0ffee0ddba11ab1e5eed0ddf00d5ca1ab1e0123456789abcdef01234567",
	.from = "us", .to = "ru", .channel = "nrrc", .precedence = "flash",
	.created = 1795417530123ULL,	/* 2026-11-23T07:05:30.123Z */
	.received = 1795417531000ULL,
	.deadline = 1795418131000ULL,
};

static void
test_golden(void **state)
{
	static const char *const langs[] = { "en", "ru" };
	struct tpl_cat *c = load_cat();
	const struct tpl *t;
	char path[4200], err[512];
	json_t *fields, *body;
	char *text, *want, *bytes;
	int i, l, st, failed = 0;
	FILE *fp;

	(void)state;
	/* The seven templates the NRRC channel needs are there. */
	assert_non_null(tpl_find(c, "incident-notification"));
	assert_non_null(tpl_find(c, "request-for-information"));
	assert_non_null(tpl_find(c, "request-for-assistance"));
	assert_non_null(tpl_find(c, "response"));
	assert_non_null(tpl_find(c, "acknowledgment"));
	assert_non_null(tpl_find(c, "communication-check"));
	assert_non_null(tpl_find(c, "goodwill"));
	for (i = 0; i < tpl_cat_count(c); i++) {
		t = tpl_cat_get(c, i);
		snprintf(path, sizeof(path), "%s/%s.fields.json", golden_dir,
		    tpl_name(t));
		fields = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
		if (fields == NULL)
			fprintf(stderr, "no golden fields for %s\n",
			    tpl_name(t));
		assert_non_null(fields);
		assert_int_equal(tpl_validate(c, t, fields, err, sizeof(err)),
		    0);
		body = tpl_body_new(c, t, fields);
		bytes = json_dumps(body, JSON_COMPACT);
		for (l = 0; l < 2; l++) {
			text = tpl_render(c, &golden_meta, (uint8_t *)bytes,
			    strlen(bytes), langs[l], &st);
			assert_non_null(text);
			assert_int_equal(st, TPL_OK);
			snprintf(path, sizeof(path), "%s/%s.%s.txt",
			    golden_dir, tpl_name(t), langs[l]);
			if (getenv("HOTLINE_UPDATE_GOLDEN") != NULL) {
				assert_non_null(fp = fopen(path, "w"));
				fputs(text, fp);
				fclose(fp);
			}
			want = slurp(path);
			if (want == NULL || strcmp(want, text) != 0) {
				fprintf(stderr, "%s differs from the rendering:"
				    "\n%s\n", path, text);
				failed++;
			}
			free(want);
			free(text);
		}
		free(bytes);
		json_decref(body);
		json_decref(fields);
	}
	assert_int_equal(failed, 0);
	tpl_cat_free(c);
}

/* Same fields, two languages: every value that is not language-dependent
 * appears in both; labels differ. */
static void
test_same_facts(void **state)
{
	struct tpl_cat *c = load_cat();
	const struct tpl *t = tpl_find(c, "incident-notification");
	char path[4200];
	json_t *fields, *body;
	char *bytes, *en, *ru;

	(void)state;
	snprintf(path, sizeof(path), "%s/incident-notification.fields.json",
	    golden_dir);
	assert_non_null(fields = json_load_file(path, 0, NULL));
	body = tpl_body_new(c, t, fields);
	bytes = json_dumps(body, JSON_COMPACT);
	en = tpl_render(c, &golden_meta, (uint8_t *)bytes, strlen(bytes), "en",
	    NULL);
	ru = tpl_render(c, &golden_meta, (uint8_t *)bytes, strlen(bytes), "ru",
	    NULL);
	assert_non_null(strstr(en, "US-NRRC-2026-0042"));
	assert_non_null(strstr(ru, "US-NRRC-2026-0042"));
	/* Free text is shown as written, in both. */
	assert_non_null(strstr(en, "Please investigate 203.0.113.7"));
	assert_non_null(strstr(ru, "Please investigate 203.0.113.7"));
	assert_non_null(strstr(ru, "язык оригинала: английский"));
	/* Enumerations and dates in each language. */
	assert_non_null(strstr(en, "Affected sector: energy"));
	assert_non_null(strstr(ru, "Затронутая отрасль: энергетика"));
	assert_non_null(strstr(en, "23 November 2026, 06:40:00 UTC"));
	assert_non_null(strstr(ru, "23 ноября 2026 г., 06:40:00 UTC"));
	assert_non_null(strstr(en, "FLASH"));
	assert_non_null(strstr(ru, "МОЛНИЯ"));
	/* An unsupported language is refused. */
	assert_null(tpl_render(c, &golden_meta, (uint8_t *)bytes,
	    strlen(bytes), "fr", NULL));
	free(en);
	free(ru);
	free(bytes);
	json_decref(body);
	json_decref(fields);
	tpl_cat_free(c);
}

/* Validation names the field. */
static void
test_validate(void **state)
{
	struct tpl_cat *c = load_cat();
	const struct tpl *t = tpl_find(c, "incident-notification");
	char path[4200], err[512];
	json_t *fields, *v;

	(void)state;
	snprintf(path, sizeof(path), "%s/incident-notification.fields.json",
	    golden_dir);
	assert_non_null(fields = json_load_file(path, 0, NULL));
	json_object_del(fields, "detected");
	assert_int_equal(tpl_validate(c, t, fields, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'detected'"));
	assert_non_null(strstr(err, "missing"));
	json_object_set_new(fields, "detected",
	    json_string("2026-02-30T10:00:00Z"));
	assert_int_equal(tpl_validate(c, t, fields, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'detected'"));
	json_object_set_new(fields, "detected",
	    json_string("2026-11-23T10:00:00+03:00"));
	assert_int_equal(tpl_validate(c, t, fields, err, sizeof(err)), -1);
	json_object_set_new(fields, "detected",
	    json_string("2026-11-23T10:00:00Z"));
	assert_int_equal(tpl_validate(c, t, fields, err, sizeof(err)), 0);
	json_object_set_new(fields, "sector", json_string("bakery"));
	assert_int_equal(tpl_validate(c, t, fields, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'sector'"));
	assert_non_null(strstr(err, "energy"));
	json_object_set_new(fields, "sector", json_string("nuclear"));
	json_object_set_new(fields, "colour", json_string("red"));
	assert_int_equal(tpl_validate(c, t, fields, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'colour'"));
	json_object_del(fields, "colour");
	/* Free text without its language, or with a control character. */
	json_object_set_new(fields, "observed", json_string("plain"));
	assert_int_equal(tpl_validate(c, t, fields, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'observed'"));
	json_object_set_new(fields, "observed", json_pack("{s:s,s:s}", "text",
	    "a\033[2Jb", "lang", "en"));
	assert_int_equal(tpl_validate(c, t, fields, err, sizeof(err)), -1);
	/* From input, as the CLI builds it. */
	v = tpl_field_from_input(c, t, tpl_field_index(t, "observed"),
	    "Вход в систему", "ru", err, sizeof(err));
	assert_non_null(v);
	assert_string_equal(json_string_value(json_object_get(v, "lang")),
	    "ru");
	json_decref(v);
	assert_null(tpl_field_from_input(c, t, tpl_field_index(t, "impact"),
	    "catastrophic", NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "'impact'"));
	json_decref(fields);
	tpl_cat_free(c);
}

/* A template or catalogue version this node does not have: flagged and
 * shown raw with an explanation, never dropped or guessed at. */
static void
test_unknown(void **state)
{
	static const char newer[] = "{\"template\":\"incident-notification\","
	    "\"catalogue\":\"hotline-nrrc\",\"version\":7,\"fields\":"
	    "{\"reference\":\"X-1\",\"new_field\":\"v\"}}";
	static const char unknown[] = "{\"template\":\"treaty-notice\","
	    "\"catalogue\":\"hotline-nrrc\",\"version\":1,\"fields\":"
	    "{\"clause\":\"Статья 5\"}}";
	static const char other[] = "{\"template\":\"goodwill\","
	    "\"catalogue\":\"osce-cbm\",\"version\":1,\"fields\":{}}";
	static const char plain[] = "{\"text\":\"hello\",\"lang\":\"en\"}";
	static const char broken[] = "{\"template\":42}";
	struct tpl_meta meta = { .from = "ru", .to = "us" };
	char name[TPL_NAME_MAX + 1], catid[TPL_NAME_MAX + 1], why[256];
	struct tpl_cat *c = load_cat();
	json_t *fields;
	uint32_t ver;
	char *text;
	int st;

	(void)state;
	assert_int_equal(tpl_body_classify(c, (const uint8_t *)newer,
	    strlen(newer), name, catid, &ver, &fields, why, sizeof(why)),
	    TPL_UNKNOWN_VERSION);
	assert_int_equal(ver, 7);
	json_decref(fields);
	text = tpl_render(c, &meta, (const uint8_t *)newer, strlen(newer),
	    "en", &st);
	assert_int_equal(st, TPL_UNKNOWN_VERSION);
	assert_non_null(strstr(text, "NOT RENDERED"));
	assert_non_null(strstr(text, "version 7"));
	assert_non_null(strstr(text, "\"new_field\": \"v\""));
	free(text);
	text = tpl_render(c, &meta, (const uint8_t *)unknown, strlen(unknown),
	    "ru", &st);
	assert_int_equal(st, TPL_UNKNOWN_TEMPLATE);
	assert_non_null(strstr(text, "НЕ ОТОБРАЖЕНО"));
	assert_non_null(strstr(text, "treaty-notice"));
	assert_non_null(strstr(text, "Статья 5"));
	free(text);
	assert_int_equal(tpl_body_classify(c, (const uint8_t *)other,
	    strlen(other), name, catid, &ver, &fields, why, sizeof(why)),
	    TPL_UNKNOWN_VERSION);
	json_decref(fields);
	assert_int_equal(tpl_body_classify(c, (const uint8_t *)plain,
	    strlen(plain), name, catid, &ver, &fields, why, sizeof(why)),
	    TPL_NONE);
	assert_int_equal(tpl_body_classify(c, (const uint8_t *)broken,
	    strlen(broken), name, catid, &ver, &fields, why, sizeof(why)),
	    TPL_INVALID);
	/* Older version of our catalogue: still rendered (versions only
	 * add). Not JSON at all: raw. */
	text = tpl_render(c, &meta, (const uint8_t *)"\x01\xff", 2, "en", &st);
	assert_int_equal(st, TPL_NONE);
	assert_non_null(text);
	free(text);
	tpl_cat_free(c);
}

/* A broken catalogue is refused with a reason. */
static void
test_bad_catalogue(void **state)
{
	char err[512];
	json_t *j;
	struct tpl_cat *c = load_cat(), *c2;

	(void)state;
	j = json_deep_copy(tpl_cat_json(c));
	/* The combined JSON reloads. */
	assert_non_null(c2 = tpl_cat_from_json(j, err, sizeof(err)));
	tpl_cat_free(c2);
	json_object_del(json_object_get(json_object_get(json_object_get(j,
	    "enums"), "sector"), "energy"), "ru");
	assert_null(tpl_cat_from_json(j, err, sizeof(err)));
	assert_non_null(strstr(err, "energy"));
	json_decref(j);
	assert_null(tpl_cat_load_dir("/nonexistent", err, sizeof(err)));
	tpl_cat_free(c);
}

static void
test_time(void **state)
{
	uint64_t ms;

	(void)state;
	assert_int_equal(tpl_time_parse("1970-01-01T00:00:00Z", &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(tpl_time_parse("2026-11-23T07:05:30.123Z", &ms), 0);
	assert_int_equal(ms, 1795417530123ULL);
	assert_int_equal(tpl_time_parse("2024-02-29T00:00:00.5Z", &ms), 0);
	assert_int_equal(ms % 1000, 500);
	assert_int_equal(tpl_time_parse("2023-02-29T00:00:00Z", &ms), -1);
	assert_int_equal(tpl_time_parse("2026-11-23 07:05:30Z", &ms), -1);
	assert_int_equal(tpl_time_parse("2026-11-23T24:00:00Z", &ms), -1);
	assert_int_equal(tpl_time_parse("2026-11-23T07:05:30.1234Z", &ms), -1);
	assert_int_equal(tpl_time_parse("2026-11-23T07:05:30.Z", &ms), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_same_facts),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_bad_catalogue),
		cmocka_unit_test(test_time),
	};
	char *slash;

	snprintf(golden_dir, sizeof(golden_dir), "%s", __FILE__);
	if ((slash = strrchr(golden_dir, '/')) != NULL)
		*slash = '\0';
	strncat(golden_dir, "/../golden/templates",
	    sizeof(golden_dir) - strlen(golden_dir) - 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
