/*
 * replay.c: a main() for fuzz targets built without libFuzzer. It calls
 * LLVMFuzzerTestOneInput() once for each file named on the command line,
 * and for each regular file in each directory named (not recursively, in
 * name order, so a run is reproducible). ctest uses it to replay every seed
 * corpus and every past finding on each build; a target that crashes or
 * breaks one of its properties aborts, and the test fails.
 *
 * Exit status: 0 if every input ran, 1 if a file could not be read or
 * nothing was replayed (an empty or missing corpus is a broken test).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

#define REPLAY_FILE_MAX	(4 * 1024 * 1024)	/* bigger inputs are refused */

/*
 * Read path whole into a new buffer of exactly its size (at least one byte
 * allocated, so that an empty input has a valid pointer). 0 or -1 with a
 * message on stderr.
 */
static int
read_file(const char *path, uint8_t **out, size_t *outlen)
{
	struct stat st;
	uint8_t *data = NULL;
	size_t len = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		goto fail;
	}
	if (st.st_size < 0 || st.st_size > REPLAY_FILE_MAX) {
		fprintf(stderr, "%s: larger than %d bytes\n", path,
		    REPLAY_FILE_MAX);
		goto fail;
	}
	if ((data = malloc((size_t)st.st_size + 1)) == NULL) {
		fprintf(stderr, "%s: out of memory\n", path);
		goto fail;
	}
	while (len < (size_t)st.st_size) {
		r = read(fd, data + len, (size_t)st.st_size - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;	/* shrank under us: replay what we have */
		len += (size_t)r;
	}
	close(fd);
	/* Exactly len bytes, so ASan sees any read past the input. */
	if ((*out = malloc(len == 0 ? 1 : len)) == NULL) {
		free(data);
		fprintf(stderr, "%s: out of memory\n", path);
		return -1;
	}
	memcpy(*out, data, len);
	free(data);
	*outlen = len;
	return 0;
fail:
	free(data);
	close(fd);
	return -1;
}

static int
run_file(const char *path)
{
	uint8_t *data;
	size_t len;

	if (read_file(path, &data, &len) == -1)
		return -1;
	(void)LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

static int
entry_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Run every regular file in dir. Returns the number of inputs run, or -1. */
static int
run_dir(const char *dir)
{
	struct dirent **ents;
	struct stat st;
	char path[PATH_MAX];
	int i, n, ran = 0, bad = 0;

	if ((n = scandir(dir, &ents, NULL, entry_cmp)) == -1) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] == '.')
			goto next;
		if (snprintf(path, sizeof(path), "%s/%s", dir,
		    ents[i]->d_name) >= (int)sizeof(path)) {
			fprintf(stderr, "%s/%s: path too long\n", dir,
			    ents[i]->d_name);
			bad = 1;
			goto next;
		}
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
			goto next;
		if (run_file(path) == -1)
			bad = 1;
		else
			ran++;
next:
		free(ents[i]);
	}
	free(ents);
	return bad ? -1 : ran;
}

int
main(int argc, char *argv[])
{
	struct stat st;
	int i, n, total = 0, bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s file|dir ...\n", argv[0]);
		return 1;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			bad = 1;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if ((n = run_dir(argv[i])) == -1)
				bad = 1;
			else
				total += n;
		} else if (run_file(argv[i]) == -1)
			bad = 1;
		else
			total++;
	}
	printf("%s: replayed %d inputs\n", argv[0], total);
	return bad || total == 0 ? 1 : 0;
}
