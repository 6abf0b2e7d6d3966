/*
 * fuzz_config.c: hotline.conf(5) text (config_load_string in src/config.c,
 * which hands the lines to inih). The input is the file's bytes; a copy
 * with a NUL added is parsed, so the parser sees text up to the first NUL
 * as it would with a file. Properties:
 *  - a refused file has a non-empty, terminated error message;
 *  - an accepted file prints (config_print) as text that loads again, and
 *    to the same struct, byte for byte, and prints identically again:
 *    `hotlined -n` output is a valid configuration meaning the same thing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "util.h"

/* config_print() into a new NUL-terminated string the caller frees. */
static char *
print_config(const struct config *cf)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	FUZZ_CHECK((fp = open_memstream(&text, &len)) != NULL);
	config_print(fp, cf);
	FUZZ_CHECK(fclose(fp) == 0);
	FUZZ_CHECK(text != NULL && strlen(text) == len);
	return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cf, *cf2;
	char err[512], *text, *p1, *p2;

	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	cf = xcalloc(1, sizeof(*cf));
	cf2 = xcalloc(1, sizeof(*cf2));
	err[0] = '\0';
	if (config_load_string(text, "fuzz.conf", cf, err, sizeof(err)) == -1) {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		goto done;
	}
	p1 = print_config(cf);
	/* Under the same name, so that cf2->path matches too. */
	if (config_load_string(p1, cf->path, cf2, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "printed configuration refused: %s\n%s", err,
		    p1);
		FUZZ_CHECK(!"printed configuration loads");
	}
	p2 = print_config(cf2);
	if (strcmp(p1, p2) != 0)
		fprintf(stderr, "first print:\n%s\nsecond print:\n%s", p1, p2);
	FUZZ_CHECK(strcmp(p1, p2) == 0);
	/* Whole-struct compare: a field print forgot would show here. */
	FUZZ_CHECK(memcmp(cf, cf2, sizeof(*cf)) == 0);
	free(p1);
	free(p2);
done:
	free(cf2);
	free(cf);
	free(text);
	return 0;
}
