/*
 * tlog_bench.c: the transparency log's own costs (src/tlog.c), on a real
 * SQLite store (WAL, synchronous=FULL) in a fresh temporary directory:
 *
 *   append       N leaves, in transactions of B (the daemon appends a read
 *                batch or an API batch in one transaction): leaves/s
 *   reopen       tlog_open() of the N-leaf log (loads the right edge)
 *   inclusion    P inclusion proofs of random leaves in the full tree,
 *                each verified: proofs/s (and without verification)
 *   consistency  P consistency proofs between random sizes: proofs/s
 *   check        tlog_check_all() over the whole log: leaves/s
 *
 *	tlog_bench [-n LEAVES] [-b BATCH] [-p PROOFS] [-d DIR]
 *
 * Built by `cmake --build build --target tlog_bench`; results in
 * docs/BENCHMARKS.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "store.h"
#include "tlog.h"
#include "util.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t
rnd(uint64_t n)
{
	uint64_t v;

	RAND_bytes((unsigned char *)&v, sizeof(v));
	return v % n;
}

int
main(int argc, char *argv[])
{
	uint8_t proof[TLOG_PROOF_MAX][TLOG_HASH_LEN], root[32], old[32];
	uint8_t leaf[TLOG_LEAF_MAX], lh[32], id[32];
	char tmpl[] = "/tmp/tlog_bench.XXXXXX", path[256], err[256];
	const char *dir = NULL;
	uint64_t n = 1000000, batch = 1000, np = 100000, i, m, k, total = 0;
	struct store *st;
	struct tlog *t;
	struct stat sb;
	double t0, t1;
	size_t len;
	int ch, plen, bad = 0;

	while ((ch = getopt(argc, argv, "n:b:p:d:")) != -1) {
		switch (ch) {
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 'b': batch = strtoull(optarg, NULL, 10); break;
		case 'p': np = strtoull(optarg, NULL, 10); break;
		case 'd': dir = optarg; break;
		default:
			fprintf(stderr, "usage: tlog_bench [-n LEAVES] "
			    "[-b BATCH] [-p PROOFS] [-d DIR]\n");
			return 2;
		}
	}
	if (n < 2 || batch < 1 || np < 1)
		return 2;
	if (dir == NULL && (dir = mkdtemp(tmpl)) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	if ((st = store_open(path, err, sizeof(err))) == NULL ||
	    (t = tlog_open(st)) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}

	t0 = now_s();
	for (i = 0; i < n; i += batch) {
		if (store_begin(st) == -1)
			return 1;
		for (k = i; k < i + batch && k < n; k++) {
			RAND_bytes(id, sizeof(id));
			if (tlog_append_msg(t, id, (int)(k & 1), "ru",
			    1763900000000ULL + k) == -1)
				return 1;
		}
		if (store_commit(st) == -1)
			return 1;
	}
	t1 = now_s();
	stat(path, &sb);
	printf("append       %llu leaves in transactions of %llu: %.2f s, "
	    "%.0f leaves/s (database %.0f MiB)\n", (unsigned long long)n,
	    (unsigned long long)batch, t1 - t0, (double)n / (t1 - t0),
	    (double)sb.st_size / 1048576.0);

	tlog_free(t);
	t0 = now_s();
	if ((t = tlog_open(st)) == NULL)
		return 1;
	t1 = now_s();
	printf("reopen       %.3f ms\n", (t1 - t0) * 1e3);
	tlog_root(t, root);

	t0 = now_s();
	for (i = 0; i < np; i++) {
		m = rnd(n);
		if (tlog_log_inclusion(t, n, m, proof, &plen) == -1)
			return 1;
		total += (uint64_t)plen;
	}
	t1 = now_s();
	printf("inclusion    %llu proofs (tree of %llu, avg %.1f hashes): "
	    "%.0f proofs/s\n", (unsigned long long)np, (unsigned long long)n,
	    (double)total / (double)np, (double)np / (t1 - t0));

	t0 = now_s();
	for (i = 0; i < np; i++) {
		m = rnd(n);
		if (tlog_log_inclusion(t, n, m, proof, &plen) == -1 ||
		    tlog_leaf_get(t, m, leaf, &len) != 0)
			return 1;
		tlog_leaf_hash(leaf, len, lh);
		bad += !tlog_verify_inclusion(m, n, lh,
		    (const uint8_t (*)[TLOG_HASH_LEN])proof, plen, root);
	}
	t1 = now_s();
	printf("  + leaf read and verification: %.0f proofs/s, %d failed\n",
	    (double)np / (t1 - t0), bad);

	t0 = now_s();
	for (i = 0; i < np / 10; i++) {
		m = 1 + rnd(n - 1);
		if (tlog_log_consistency(t, m, n, proof, &plen) == -1 ||
		    tlog_log_tree_hash(t, m, old) == -1)
			return 1;
		bad += !tlog_verify_consistency(m, n,
		    (const uint8_t (*)[TLOG_HASH_LEN])proof, plen, old, root);
	}
	t1 = now_s();
	printf("consistency  %llu proofs with old tree hash and "
	    "verification: %.0f proofs/s, %d failed\n",
	    (unsigned long long)(np / 10), (double)(np / 10) / (t1 - t0), bad);

	t0 = now_s();
	if (tlog_check_all(t, err, sizeof(err)) != 0) {
		fprintf(stderr, "check: %s\n", err);
		return 1;
	}
	t1 = now_s();
	printf("check        whole log: %.2f s, %.0f leaves/s\n", t1 - t0,
	    (double)n / (t1 - t0));
	tlog_free(t);
	store_free(st);
	if (strncmp(dir, "/tmp/tlog_bench.", 16) == 0) {
		char f[300];

		snprintf(f, sizeof(f), "%s/bench.db-wal", dir);
		unlink(f);
		snprintf(f, sizeof(f), "%s/bench.db-shm", dir);
		unlink(f);
		unlink(path);
		rmdir(dir);
	}
	return bad != 0;
}
