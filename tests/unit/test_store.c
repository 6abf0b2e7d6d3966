/*
 * test_store.c: unit tests for src/store.c on a real SQLite file in a fresh
 * temporary directory: WAL and schema versioning, insert/get round trips,
 * constraint violations, transactions, stream loading, fetch, delivery
 * marks, prefix resolution, listing filters, receipts and pending counts.
 * Messages are built by hand (ids filled directly), so these tests do not
 * depend on msg.c.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <sqlite3.h>

#include "store.h"
#include "store_nrrc.h"
#include "testlib.h"

struct fx {
	char		 dir[PATH_MAX];
	char		 path[PATH_MAX];
	struct store	*st;
};

static int
setup(void **state)
{
	char err[256] = "";
	struct fx *fx;

	fx = calloc(1, sizeof(*fx));
	if (fx == NULL)
		return -1;
	if (testlib_tmpdir(fx->dir, sizeof(fx->dir), "store") == -1) {
		free(fx);
		return -1;
	}
	if (testlib_path_join(fx->path, sizeof(fx->path), fx->dir,
	    "hotline.db") == -1 ||
	    (fx->st = store_open(fx->path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "store_open: %s\n", err);
		testlib_rmtree(fx->dir);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	store_free(fx->st);
	testlib_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* A message whose id starts with the 4 bytes of seed (then 0x5a...). */
static void
mkmsg(struct msg *m, uint32_t seed, const char *from, const char *to, int ch,
    int prec, uint64_t seq, const char *body)
{
	memset(m, 0, sizeof(*m));
	m->version = MSG_VERSION;
	snprintf(m->from, sizeof(m->from), "%s", from);
	snprintf(m->to, sizeof(m->to), "%s", to);
	m->channel = (uint8_t)ch;
	snprintf(m->kind, sizeof(m->kind), "%s", "text");
	m->prec = (uint8_t)prec;
	m->seq = seq;
	m->created = 1700000000000ULL + seq;
	m->body = (const uint8_t *)body;
	m->body_len = (uint32_t)strlen(body);
	memset(m->sig, 0xa5, sizeof(m->sig));
	memset(m->id, 0x5a, sizeof(m->id));
	m->id[0] = (uint8_t)(seed >> 24);
	m->id[1] = (uint8_t)(seed >> 16);
	m->id[2] = (uint8_t)(seed >> 8);
	m->id[3] = (uint8_t)seed;
}

static uint32_t
seed_of(const uint8_t *id)
{
	return (uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 |
	    (uint32_t)id[2] << 8 | id[3];
}

static void
idhex(const struct msg *m, char out[ID_HEX_LEN + 1])
{
	hex_encode(m->id, MSG_ID_LEN, out);
}

/* Insert one message in its own transaction; returns the insert result. */
static int
put(struct store *st, const struct msg *m, int dir, const char *peer,
    uint64_t local)
{
	int rc;

	assert_int_equal(store_begin(st), 0);
	rc = store_msg_insert(st, m, dir, peer, local, NULL);
	assert_int_equal(store_commit(st), 0);
	return rc;
}

/* Out message us->peer (or in peer->us) with a body naming its seq. */
static void
put_simple(struct store *st, uint32_t seed, int dir, const char *peer, int ch,
    int prec, uint64_t seq, uint64_t created)
{
	static char bodies[64][32];
	static int nb;
	struct msg m;
	char *b = bodies[nb++ % 64];

	snprintf(b, 32, "body-%llu", (unsigned long long)seq);
	if (dir == DIR_OUT)
		mkmsg(&m, seed, "us", peer, ch, prec, seq, b);
	else
		mkmsg(&m, seed, peer, "us", ch, prec, seq, b);
	if (created != 0)
		m.created = created;
	assert_int_equal(put(st, &m, dir, peer, 1000 + seq), 0);
}

static int
state_of(struct store *st, const struct msg *m)
{
	struct msg_row r;
	char id[ID_HEX_LEN + 1];
	int s;

	idhex(m, id);
	assert_int_equal(store_msg_get(st, id, &r), 0);
	s = r.state;
	msg_row_clear(&r);
	return s;
}

static sqlite3 *
side_open(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	return db;
}

static int64_t
side_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void
test_open_wal(void **state)
{
	struct fx *fx = *state;
	sqlite3 *db = side_open(fx->path);
	sqlite3_stmt *s;
	struct stat sb;

	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	assert_true(side_int(db, "PRAGMA user_version") >= 1);
	assert_int_equal(side_int(db, "SELECT COUNT(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name IN ('msgs', 'receipts', 'events')"),
	    3);
	/* no index on msgs.id: ids are found through msg_keys */
	assert_int_equal(side_int(db, "SELECT COUNT(*) FROM sqlite_master "
	    "WHERE type = 'index' AND tbl_name = 'msgs' AND (sql IS NULL OR "
	    "sql LIKE '%(id)%')"), 0);
	sqlite3_close(db);
	assert_int_equal(stat(fx->path, &sb), 0);
	assert_int_equal(sb.st_mode & 077, 0);
	/* Per connection: the store's own, not SQLite's default of 1000. */
	assert_int_equal(side_int(store_db(fx->st), "PRAGMA wal_autocheckpoint"),
	    STORE_WAL_CHECKPOINT);
	assert_int_equal(side_int(store_db(fx->st), "PRAGMA synchronous"), 2);
}

static void
test_reopen(void **state)
{
	struct fx *fx = *state;
	struct msg m;
	struct msg_row r;
	char id[ID_HEX_LEN + 1], err[256];
	sqlite3 *db;
	int64_t v1, v2;

	mkmsg(&m, 0x01020304, "us", "ru", CH_NRRC, PREC_FLASH, 1, "{}");
	assert_int_equal(put(fx->st, &m, DIR_OUT, "ru", 5), 0);
	db = side_open(fx->path);
	v1 = side_int(db, "PRAGMA user_version");
	sqlite3_close(db);
	store_free(fx->st);
	fx->st = store_open(fx->path, err, sizeof(err));
	assert_non_null(fx->st);
	db = side_open(fx->path);
	v2 = side_int(db, "PRAGMA user_version");
	sqlite3_close(db);
	assert_int_equal(v1, v2);
	idhex(&m, id);
	assert_int_equal(store_msg_get(fx->st, id, &r), 0);
	assert_int_equal(r.m.seq, 1);
	assert_int_equal(r.accepted, 5);
	msg_row_clear(&r);
}

/*
 * store_wal_prefill: the WAL grows to its full size with zeros after what
 * it held, its frames untouched; a commit afterwards writes over the zeros
 * (the file does not grow); and the files as a crash leaves them (no -shm,
 * so SQLite rebuilds the index from the WAL) give back every message.
 */
static void
test_wal_prefill(void **state)
{
	struct fx *fx = *state;
	char wal[PATH_MAX + 8], dir2[PATH_MAX], path2[PATH_MAX], wal2[PATH_MAX + 8];
	char err[256], id[ID_HEX_LEN + 1];
	uint8_t *before, *after, *db;
	size_t nbefore, nafter, ndb, full, i;
	struct msg m1, m2;
	struct msg_row r;
	struct store *st2;
	int64_t page;

	mkmsg(&m1, 0x11000001, "us", "ru", CH_NRRC, PREC_FLASH, 1, "{\"a\":1}");
	mkmsg(&m2, 0x11000002, "us", "ru", CH_NRRC, PREC_FLASH, 2, "{\"a\":2}");
	assert_int_equal(put(fx->st, &m1, DIR_OUT, "ru", 5), 0);
	snprintf(wal, sizeof(wal), "%s-wal", fx->path);
	before = testlib_file_read(wal, &nbefore);
	assert_true(nbefore > 32);
	page = side_int(store_db(fx->st), "PRAGMA page_size");
	full = 32 + (size_t)STORE_WAL_PREFILL * (24 + (size_t)page);
	assert_true(nbefore < full);

	assert_int_equal(store_wal_prefill(fx->st, err, sizeof(err)), 0);
	after = testlib_file_read(wal, &nafter);
	assert_int_equal(nafter, full);
	assert_memory_equal(after, before, nbefore);
	for (i = nbefore; i < nafter && after[i] == 0; i++)
		;
	assert_int_equal(i, nafter);
	free(after);
	/* Again: nothing to add. */
	assert_int_equal(store_wal_prefill(fx->st, err, sizeof(err)), 0);

	assert_int_equal(put(fx->st, &m2, DIR_OUT, "ru", 6), 0);
	after = testlib_file_read(wal, &nafter);
	assert_int_equal(nafter, full);
	assert_memory_equal(after, before, nbefore);
	assert_memory_not_equal(after + nbefore, after + nafter - 4096, 64);

	/* The files as a crash would leave them, opened elsewhere. */
	assert_int_equal(testlib_tmpdir(dir2, sizeof(dir2), "store2"), 0);
	assert_int_equal(testlib_path_join(path2, sizeof(path2), dir2,
	    "hotline.db"), 0);
	snprintf(wal2, sizeof(wal2), "%s-wal", path2);
	db = testlib_file_read(fx->path, &ndb);
	testlib_file_write(path2, db, ndb);
	testlib_file_write(wal2, after, nafter);
	free(db);
	free(after);
	free(before);
	st2 = store_open(path2, err, sizeof(err));
	assert_non_null(st2);
	idhex(&m1, id);
	assert_int_equal(store_msg_get(st2, id, &r), 0);
	assert_int_equal(r.m.seq, 1);
	msg_row_clear(&r);
	idhex(&m2, id);
	assert_int_equal(store_msg_get(st2, id, &r), 0);
	assert_int_equal(r.m.seq, 2);
	assert_int_equal(r.accepted, 6);
	msg_row_clear(&r);
	store_free(st2);
	testlib_rmtree(dir2);
}

static void
test_newer_schema_refused(void **state)
{
	struct fx *fx = *state;
	char err[256] = "";
	sqlite3 *db;

	store_free(fx->st);
	fx->st = NULL;
	db = side_open(fx->path);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 1000", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(store_open(fx->path, err, sizeof(err)));
	assert_non_null(strstr(err, "newer"));
}

static void
test_roundtrip(void **state)
{
	static const uint8_t body[] = { 'a', 0, 'b', 0, 0xff, 0, '}' };
	struct fx *fx = *state;
	struct msg m, in;
	struct msg_row r;
	char id[ID_HEX_LEN + 1], ref[ID_HEX_LEN + 1];
	size_t i;

	mkmsg(&m, 0xdeadbeef, "us", "ru", CH_DIRECT, PREC_IMMEDIATE, 7, "");
	for (i = 0; i < sizeof(m.sig); i++)
		m.sig[i] = (uint8_t)i;
	for (i = 0; i < sizeof(m.id); i++)
		m.id[i] = (uint8_t)(0xde + i * 7);
	m.exercise = true;
	m.has_ref = true;
	memset(m.ref, 0x3c, sizeof(m.ref));
	m.ref[31] = 0x01;
	snprintf(m.kind, sizeof(m.kind), "%s", "notification");
	m.created = 1763890000123ULL;
	m.body = body;
	m.body_len = sizeof(body);
	assert_int_equal(put(fx->st, &m, DIR_OUT, "ru", 1763890000999ULL), 0);

	idhex(&m, id);
	hex_encode(m.ref, MSG_ID_LEN, ref);
	assert_int_equal(store_msg_get(fx->st, id, &r), 0);
	assert_string_equal(r.id, id);
	assert_memory_equal(r.m.id, m.id, MSG_ID_LEN);
	assert_int_equal(r.dir, DIR_OUT);
	assert_string_equal(r.peer, "ru");
	assert_int_equal(r.m.version, m.version);
	assert_string_equal(r.m.from, "us");
	assert_string_equal(r.m.to, "ru");
	assert_int_equal(r.m.channel, CH_DIRECT);
	assert_string_equal(r.m.kind, "notification");
	assert_int_equal(r.m.prec, PREC_IMMEDIATE);
	assert_int_equal(r.m.seq, 7);
	assert_int_equal(r.m.created, m.created);
	assert_true(r.m.exercise);
	assert_true(r.m.has_ref);
	assert_memory_equal(r.m.ref, m.ref, MSG_ID_LEN);
	assert_int_equal(r.m.body_len, sizeof(body));
	assert_ptr_equal(r.m.body, r.body);
	assert_memory_equal(r.body, body, sizeof(body));
	assert_memory_equal(r.m.sig, m.sig, sizeof(m.sig));
	assert_int_equal(r.accepted, 1763890000999ULL);
	assert_int_equal(r.sent, 0);
	assert_int_equal(r.received, 0);
	assert_string_equal(r.receipt_id, "");
	assert_string_equal(r.ack_id, "");
	assert_int_equal(r.acked, 0);
	assert_int_equal(r.state, ST_QUEUED);
	assert_true(r.rid > 0);
	msg_row_clear(&r);
	assert_null(r.body);
	msg_row_clear(NULL);

	/* inbound, no ref, empty body */
	mkmsg(&in, 0x11111111, "ru", "us", CH_CERT, PREC_ROUTINE, 1, "");
	assert_int_equal(put(fx->st, &in, DIR_IN, "ru", 42), 0);
	idhex(&in, id);
	assert_int_equal(store_msg_get(fx->st, id, &r), 0);
	assert_int_equal(r.dir, DIR_IN);
	assert_false(r.m.has_ref);
	assert_false(r.m.exercise);
	assert_int_equal(r.m.body_len, 0);
	assert_non_null(r.m.body);
	assert_int_equal(r.received, 42);
	assert_int_equal(r.accepted, 0);
	assert_int_equal(r.state, ST_DELIVERED);
	msg_row_clear(&r);

	id[0] = id[0] == '0' ? '1' : '0';
	assert_int_equal(store_msg_get(fx->st, id, &r), 1);
}

static void
test_duplicates(void **state)
{
	struct fx *fx = *state;
	struct msg a, b;
	struct msg_row r;
	char id[ID_HEX_LEN + 1];

	mkmsg(&a, 0xa0000001, "us", "ru", CH_NRRC, PREC_FLASH, 1, "{}");
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_msg_insert(fx->st, &a, DIR_OUT, "ru", 1, NULL), 0);
	/* same id, another position */
	b = a;
	b.seq = 2;
	assert_int_equal(store_msg_insert(fx->st, &b, DIR_OUT, "ru", 1, NULL), -2);
	/* another id, same position */
	mkmsg(&b, 0xa0000002, "us", "ru", CH_NRRC, PREC_FLASH, 1, "{}");
	assert_int_equal(store_msg_insert(fx->st, &b, DIR_OUT, "ru", 1, NULL), -2);
	/* seq 0 is not a stream position */
	mkmsg(&b, 0xa0000003, "us", "ru", CH_NRRC, PREC_FLASH, 0, "{}");
	assert_int_equal(store_msg_insert(fx->st, &b, DIR_OUT, "ru", 1, NULL), -2);
	/* a seq SQLite cannot hold */
	mkmsg(&b, 0xa0000004, "us", "ru", CH_NRRC, PREC_FLASH, UINT64_MAX, "");
	assert_int_equal(store_msg_insert(fx->st, &b, DIR_OUT, "ru", 1, NULL), -2);
	/* the same position in the other direction is another stream */
	mkmsg(&b, 0xa0000005, "ru", "us", CH_NRRC, PREC_FLASH, 1, "{}");
	assert_int_equal(store_msg_insert(fx->st, &b, DIR_IN, "ru", 1, NULL), 0);
	/* the transaction survived the violations */
	assert_int_equal(store_commit(fx->st), 0);

	idhex(&a, id);
	assert_int_equal(store_msg_get(fx->st, id, &r), 0);
	msg_row_clear(&r);
	idhex(&b, id);
	assert_int_equal(store_msg_get(fx->st, id, &r), 0);
	msg_row_clear(&r);
}

/*
 * Ids are found through msg_keys and msg_keys_new (store.c, "Finding
 * messages by id"). With messages enough for the key space to be swept
 * several times: every message is found by its id and a 16-digit prefix,
 * whichever table holds its key; each message has one key, that of its
 * id; msg_keys_new stays bounded; ids whose keys collide are told apart;
 * the same id again is refused wherever its key is; and a rolled-back
 * transaction, sweeps included, leaves all of that as it was.
 */
#define NKEYS		12000
#define KEYS_TX		1000

static uint32_t
key_seed(uint32_t i)
{
	return i * 2654435761u;		/* odd: distinct seeds, spread keys */
}

static void
key_msg(struct msg *m, uint32_t i)
{
	mkmsg(m, key_seed(i), "us", "ru", CH_CERT, PREC_ROUTINE, i, "{}");
}

/* The tables hold n keys, one per message, each that of its id. */
static void
keys_consistent(const char *path, int64_t n)
{
	sqlite3 *db = side_open(path);
	sqlite3_stmt *s;
	char h[17];
	uint8_t b[8];
	uint64_t u;
	int64_t k, rows = 0;
	int i;

	assert_int_equal(side_int(db, "SELECT count(*) FROM msgs"), n);
	assert_int_equal(side_int(db, "SELECT (SELECT count(*) FROM msg_keys) "
	    "+ (SELECT count(*) FROM msg_keys_new)"), n);
	assert_int_equal(side_int(db, "SELECT count(*) FROM msg_keys "
	    "JOIN msg_keys_new USING (rid)"), 0);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT m.id, k.k FROM msgs m "
	    "JOIN (SELECT k, rid FROM msg_keys UNION ALL SELECT k, rid FROM "
	    "msg_keys_new) k USING (rid)", -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(h, sizeof(h), "%s", sqlite3_column_text(s, 0));
		assert_int_equal(hex_decode(h, b, 8), 0);
		for (u = 0, i = 0; i < 8; i++)
			u = u << 8 | b[i];
		u ^= UINT64_C(1) << 63;	/* signed, in the same order */
		memcpy(&k, &u, sizeof(k));
		assert_true(sqlite3_column_int64(s, 1) == k);
		rows++;
	}
	sqlite3_finalize(s);
	assert_true(rows == n);
	sqlite3_close(db);
}

/* Message i is found by its id and by the id's first 16 digits. */
static void
key_found(struct store *st, uint32_t i)
{
	struct msg m;
	struct msg_row r;
	char id[ID_HEX_LEN + 1], got[ID_HEX_LEN + 1], pfx[17];

	key_msg(&m, i);
	idhex(&m, id);
	assert_int_equal(store_msg_get(st, id, &r), 0);
	assert_string_equal(r.id, id);
	assert_true(r.m.seq == i);
	msg_row_clear(&r);
	memcpy(pfx, id, 16);
	pfx[16] = '\0';
	assert_int_equal(store_msg_resolve(st, pfx, got), 0);
	assert_string_equal(got, id);
}

static void
test_id_keys(void **state)
{
	struct fx *fx = *state;
	struct msg m, twin;
	struct msg_row r;
	char id[ID_HEX_LEN + 1], pfx[17];
	sqlite3 *db;
	uint32_t i;

	/* Before the first sweep (every 256 messages): all in msg_keys_new. */
	assert_int_equal(store_begin(fx->st), 0);
	for (i = 1; i <= 200; i++) {
		key_msg(&m, i);
		assert_int_equal(store_msg_insert(fx->st, &m, DIR_OUT, "ru", i,
		    NULL), 0);
	}
	assert_int_equal(store_commit(fx->st), 0);
	keys_consistent(fx->path, 200);
	db = side_open(fx->path);
	assert_int_equal(side_int(db, "SELECT count(*) FROM msg_keys"), 0);
	sqlite3_close(db);
	for (i = 1; i <= 200; i++)
		key_found(fx->st, i);

	for (; i <= NKEYS; i++) {
		if (i == 201 || i % KEYS_TX == 1)
			assert_int_equal(store_begin(fx->st), 0);
		key_msg(&m, i);
		assert_int_equal(store_msg_insert(fx->st, &m, DIR_OUT, "ru", i,
		    NULL), 0);
		if (i % KEYS_TX == 0 || i == NKEYS)
			assert_int_equal(store_commit(fx->st), 0);
	}
	keys_consistent(fx->path, NKEYS);
	for (i = 1; i <= NKEYS; i++)
		key_found(fx->st, i);
	db = side_open(fx->path);
	/* A whole sweep every 4,096 messages at this size (KEY_SWEEP_MIN):
	 * msg_keys_new holds at most that many and a slice more. */
	assert_true(side_int(db, "SELECT count(*) FROM msg_keys_new") <=
	    4096 + 256);
	assert_true(side_int(db, "SELECT count(*) FROM msg_keys") >=
	    NKEYS - 4096 - 256);
	/* the first message's key was swept, the last one's not yet */
	assert_int_equal(side_int(db, "SELECT count(*) FROM msg_keys_new "
	    "WHERE rid = 1"), 0);
	assert_int_equal(side_int(db, "SELECT count(*) FROM msg_keys_new "
	    "WHERE rid = (SELECT max(rid) FROM msgs)"), 1);
	sqlite3_close(db);

	/* The same id at another position, its key in either table. */
	assert_int_equal(store_begin(fx->st), 0);
	key_msg(&m, 1);
	m.seq = NKEYS + 1;
	assert_int_equal(store_msg_insert(fx->st, &m, DIR_OUT, "ru", 1, NULL),
	    -2);
	key_msg(&m, NKEYS);
	m.seq = NKEYS + 1;
	assert_int_equal(store_msg_insert(fx->st, &m, DIR_OUT, "ru", 1, NULL),
	    -2);
	/* Another id with message 5's key: stored, both found, its prefix
	 * of 16 digits ambiguous. */
	key_msg(&twin, 5);
	twin.id[MSG_ID_LEN - 1] ^= 0xff;
	twin.seq = NKEYS + 1;
	assert_int_equal(store_msg_insert(fx->st, &twin, DIR_OUT, "ru", 1,
	    NULL), 0);
	assert_int_equal(store_commit(fx->st), 0);
	key_msg(&m, 5);
	idhex(&m, id);
	assert_int_equal(store_msg_get(fx->st, id, &r), 0);
	assert_true(r.m.seq == 5);
	msg_row_clear(&r);
	idhex(&twin, id);
	assert_int_equal(store_msg_get(fx->st, id, &r), 0);
	assert_true(r.m.seq == NKEYS + 1);
	msg_row_clear(&r);
	memcpy(pfx, id, 16);
	pfx[16] = '\0';
	assert_int_equal(store_msg_resolve(fx->st, pfx, id), 2);
	keys_consistent(fx->path, NKEYS + 1);

	/* Rolled back, sweeps and all. */
	assert_int_equal(store_begin(fx->st), 0);
	for (i = NKEYS + 2; i <= NKEYS + 700; i++) {
		key_msg(&m, i);
		assert_int_equal(store_msg_insert(fx->st, &m, DIR_OUT, "ru", i,
		    NULL), 0);
	}
	store_rollback(fx->st);
	keys_consistent(fx->path, NKEYS + 1);
	key_msg(&m, NKEYS + 2);
	idhex(&m, id);
	assert_int_equal(store_msg_get(fx->st, id, &r), 1);
	for (i = 1; i <= NKEYS; i += 97)
		key_found(fx->st, i);
	/* and the store goes on: the next messages, and a reopen */
	assert_int_equal(put(fx->st, &m, DIR_OUT, "ru", 1), 0);
	key_found(fx->st, NKEYS + 2);
	store_free(fx->st);
	fx->st = store_open(fx->path, id, sizeof(id));
	assert_non_null(fx->st);
	key_found(fx->st, NKEYS + 2);
	key_found(fx->st, 1);
	keys_consistent(fx->path, NKEYS + 2);
}

static void
test_rollback(void **state)
{
	struct fx *fx = *state;
	struct msg m;
	struct msg_row r;
	char id[ID_HEX_LEN + 1];
	uint64_t n = 99;

	mkmsg(&m, 0xb0000001, "us", "ru", CH_NRRC, PREC_FLASH, 1, "{}");
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_msg_insert(fx->st, &m, DIR_OUT, "ru", 1, NULL), 0);
	assert_int_equal(store_event(fx->st, "ru", "test", NULL), 0);
	store_rollback(fx->st);
	idhex(&m, id);
	assert_int_equal(store_msg_get(fx->st, id, &r), 1);
	assert_int_equal(store_out_pending(fx->st, "ru", &n), 0);
	assert_int_equal(n, 0);
	/* a rollback outside a transaction is harmless; a new one works */
	store_rollback(fx->st);
	assert_int_equal(put(fx->st, &m, DIR_OUT, "ru", 1), 0);
	assert_int_equal(store_msg_get(fx->st, id, &r), 0);
	msg_row_clear(&r);
}

struct streams {
	struct {
		char		 peer[PARTY_MAX + 1];
		int		 dir, ch, prec;
		uint64_t	 max, delivered;
	} s[16];
	int	n;
};

static void
stream_cb(void *arg, const char *peer, int dir, int ch, int prec,
    uint64_t maxseq, uint64_t delivered)
{
	struct streams *ss = arg;

	assert_true(ss->n < 16);
	snprintf(ss->s[ss->n].peer, sizeof(ss->s[0].peer), "%s", peer);
	ss->s[ss->n].dir = dir;
	ss->s[ss->n].ch = ch;
	ss->s[ss->n].prec = prec;
	ss->s[ss->n].max = maxseq;
	ss->s[ss->n].delivered = delivered;
	ss->n++;
}

static int
stream_find(const struct streams *ss, const char *peer, int dir, int ch,
    int prec)
{
	int i;

	for (i = 0; i < ss->n; i++)
		if (strcmp(ss->s[i].peer, peer) == 0 && ss->s[i].dir == dir &&
		    ss->s[i].ch == ch && ss->s[i].prec == prec)
			return i;
	return -1;
}

static void
mkrcpt(struct receipt *r, uint32_t seed, const char *from, const char *to,
    int ch, int prec, uint64_t seq, uint64_t time)
{
	memset(r, 0, sizeof(*r));
	r->version = MSG_VERSION;
	snprintf(r->from, sizeof(r->from), "%s", from);
	snprintf(r->to, sizeof(r->to), "%s", to);
	r->channel = (uint8_t)ch;
	r->prec = (uint8_t)prec;
	r->seq = seq;
	memset(r->last_id, (int)(seq & 0xff), sizeof(r->last_id));
	r->time = time;
	memset(r->sig, 0x77, sizeof(r->sig));
	memset(r->id, 0xc3, sizeof(r->id));
	r->id[0] = (uint8_t)(seed >> 24);
	r->id[1] = (uint8_t)(seed >> 16);
	r->id[2] = (uint8_t)(seed >> 8);
	r->id[3] = (uint8_t)seed;
}

static void
put_rcpt(struct store *st, const struct receipt *r, int dir, const char *peer)
{
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_receipt_insert(st, r, dir, peer, r->time + 1), 0);
	assert_int_equal(store_commit(st), 0);
}

static void
test_streams_load(void **state)
{
	struct fx *fx = *state;
	struct streams ss;
	struct receipt rc;
	uint64_t q;
	int i;

	memset(&ss, 0, sizeof(ss));
	assert_int_equal(store_streams_load(fx->st, stream_cb, &ss), 0);
	assert_int_equal(ss.n, 0);

	for (q = 1; q <= 5; q++)
		put_simple(fx->st, 0x10000000 + (uint32_t)q, DIR_OUT, "ru",
		    CH_NRRC, PREC_FLASH, q, 0);
	for (q = 1; q <= 2; q++)
		put_simple(fx->st, 0x20000000 + (uint32_t)q, DIR_OUT, "ru",
		    CH_CERT, PREC_ROUTINE, q, 0);
	for (q = 1; q <= 7; q++)
		put_simple(fx->st, 0x30000000 + (uint32_t)q, DIR_IN, "ru",
		    CH_NRRC, PREC_FLASH, q, 0);
	put_simple(fx->st, 0x40000001, DIR_OUT, "ca", CH_NRRC, PREC_FLASH, 1,
	    0);
	/* receipts from ru for our nrrc/flash stream: 2, then 3 */
	mkrcpt(&rc, 0xe0000001, "us", "ru", CH_NRRC, PREC_FLASH, 3, 50);
	put_rcpt(fx->st, &rc, DIR_IN, "ru");
	mkrcpt(&rc, 0xe0000002, "us", "ru", CH_NRRC, PREC_FLASH, 2, 40);
	put_rcpt(fx->st, &rc, DIR_IN, "ru");
	/* a receipt we issued for ru's stream does not count as delivery */
	mkrcpt(&rc, 0xe0000003, "ru", "us", CH_NRRC, PREC_FLASH, 7, 60);
	put_rcpt(fx->st, &rc, DIR_OUT, "ru");

	assert_int_equal(store_streams_load(fx->st, stream_cb, &ss), 0);
	assert_int_equal(ss.n, 4);
	i = stream_find(&ss, "ru", DIR_OUT, CH_NRRC, PREC_FLASH);
	assert_true(i >= 0);
	assert_int_equal(ss.s[i].max, 5);
	assert_int_equal(ss.s[i].delivered, 3);
	i = stream_find(&ss, "ru", DIR_OUT, CH_CERT, PREC_ROUTINE);
	assert_true(i >= 0);
	assert_int_equal(ss.s[i].max, 2);
	assert_int_equal(ss.s[i].delivered, 0);
	i = stream_find(&ss, "ru", DIR_IN, CH_NRRC, PREC_FLASH);
	assert_true(i >= 0);
	assert_int_equal(ss.s[i].max, 7);
	assert_int_equal(ss.s[i].delivered, 0);
	i = stream_find(&ss, "ca", DIR_OUT, CH_NRRC, PREC_FLASH);
	assert_true(i >= 0);
	assert_int_equal(ss.s[i].max, 1);
	assert_int_equal(ss.s[i].delivered, 0);
}

struct coll {
	uint32_t	 seed[64];
	uint64_t	 seq[64];
	uint64_t	 rid[64];
	int		 state[64];
	int		 n;
	int		 stop_after;	/* 0 = never */
	bool		 check_body;
};

static int
coll_cb(void *arg, const struct msg_row *row)
{
	struct coll *c = arg;
	char want[32];

	assert_true(c->n < 64);
	assert_non_null(row->m.body);
	assert_null(row->body);
	if (c->check_body) {
		snprintf(want, sizeof(want), "body-%llu",
		    (unsigned long long)row->m.seq);
		assert_int_equal(row->m.body_len, strlen(want));
		assert_memory_equal(row->m.body, want, strlen(want));
	}
	c->seed[c->n] = seed_of(row->m.id);
	c->seq[c->n] = row->m.seq;
	c->rid[c->n] = row->rid;
	c->state[c->n] = row->state;
	c->n++;
	if (c->stop_after != 0 && c->n >= c->stop_after)
		return -1;
	return 0;
}

static void
test_fetch(void **state)
{
	static const uint64_t order[] = { 3, 1, 2, 6, 5, 4 };
	struct fx *fx = *state;
	struct coll c;
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		put_simple(fx->st, 0x50000000 + (uint32_t)order[i], DIR_OUT,
		    "ru", CH_WG, PREC_PRIORITY, order[i], 0);
	/* same peer, other streams: never fetched */
	put_simple(fx->st, 0x51000001, DIR_IN, "ru", CH_WG, PREC_PRIORITY, 1,
	    0);
	put_simple(fx->st, 0x52000001, DIR_OUT, "ru", CH_WG, PREC_FLASH, 1, 0);
	put_simple(fx->st, 0x53000001, DIR_OUT, "ca", CH_WG, PREC_PRIORITY, 1,
	    0);

	memset(&c, 0, sizeof(c));
	c.check_body = true;
	assert_int_equal(store_out_fetch(fx->st, "ru", CH_WG, PREC_PRIORITY, 2,
	    3, coll_cb, &c), 3);
	assert_int_equal(c.n, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(c.seq[i], 2 + i);
		assert_int_equal(c.seed[i], 0x50000000 + 2 + i);
	}
	memset(&c, 0, sizeof(c));
	c.check_body = true;
	assert_int_equal(store_out_fetch(fx->st, "ru", CH_WG, PREC_PRIORITY, 5,
	    100, coll_cb, &c), 2);
	assert_int_equal(c.seq[0], 5);
	assert_int_equal(c.seq[1], 6);
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_out_fetch(fx->st, "ru", CH_WG, PREC_PRIORITY, 7,
	    100, coll_cb, &c), 0);
	assert_int_equal(store_out_fetch(fx->st, "ru", CH_WG, PREC_PRIORITY, 1,
	    0, coll_cb, &c), 0);
	assert_int_equal(c.n, 0);
	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	assert_int_equal(store_out_fetch(fx->st, "ru", CH_WG, PREC_PRIORITY, 1,
	    100, coll_cb, &c), 2);
	assert_int_equal(c.seq[0], 1);
	assert_int_equal(c.seq[1], 2);
	/* the statement was reset: a fresh fetch starts over */
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_out_fetch(fx->st, "ru", CH_WG, PREC_PRIORITY, 1,
	    100, coll_cb, &c), 6);
}

static void
test_id_at(void **state)
{
	struct fx *fx = *state;
	char id[ID_HEX_LEN + 1], want[ID_HEX_LEN + 1];
	struct msg m;

	put_simple(fx->st, 0x60000001, DIR_OUT, "ru", CH_NRRC, PREC_FLASH, 1,
	    0);
	mkmsg(&m, 0x60000002, "us", "ru", CH_NRRC, PREC_FLASH, 2, "x");
	assert_int_equal(put(fx->st, &m, DIR_OUT, "ru", 1), 0);
	idhex(&m, want);
	assert_int_equal(store_msg_id_at(fx->st, DIR_OUT, "ru", CH_NRRC,
	    PREC_FLASH, 2, id), 0);
	assert_string_equal(id, want);
	assert_int_equal(store_msg_id_at(fx->st, DIR_OUT, "ru", CH_NRRC,
	    PREC_FLASH, 3, id), 1);
	assert_int_equal(store_msg_id_at(fx->st, DIR_IN, "ru", CH_NRRC,
	    PREC_FLASH, 2, id), 1);
}

static void
test_marks(void **state)
{
	struct fx *fx = *state;
	struct msg m[4], other, ack;
	struct msg_row r;
	char id[ID_HEX_LEN + 1], r1[ID_HEX_LEN + 1], r2[ID_HEX_LEN + 1];
	uint64_t n;
	int i;

	for (i = 0; i < 4; i++) {
		mkmsg(&m[i], 0x70000001 + (uint32_t)i, "us", "ru", CH_NRRC,
		    PREC_IMMEDIATE, (uint64_t)i + 1, "{}");
		assert_int_equal(put(fx->st, &m[i], DIR_OUT, "ru", 10), 0);
	}
	mkmsg(&other, 0x71000001, "us", "ca", CH_NRRC, PREC_IMMEDIATE, 1, "{}");
	assert_int_equal(put(fx->st, &other, DIR_OUT, "ca", 10), 0);
	assert_int_equal(store_out_pending(fx->st, "ru", &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(store_out_pending(fx->st, "ca", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_out_pending(fx->st, "xx", &n), 0);
	assert_int_equal(n, 0);

	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_out_mark_sent(fx->st, "ru", CH_NRRC,
	    PREC_IMMEDIATE, 1, 2, 100), 0);
	assert_int_equal(store_out_mark_sent(fx->st, "ru", CH_NRRC,
	    PREC_IMMEDIATE, 2, 3, 200), 0);
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(state_of(fx->st, &m[0]), ST_SENT);
	assert_int_equal(state_of(fx->st, &m[1]), ST_SENT);
	assert_int_equal(state_of(fx->st, &m[2]), ST_SENT);
	assert_int_equal(state_of(fx->st, &m[3]), ST_QUEUED);
	assert_int_equal(state_of(fx->st, &other), ST_QUEUED);
	idhex(&m[1], id);
	assert_int_equal(store_msg_get(fx->st, id, &r), 0);
	assert_int_equal(r.sent, 100);	/* first hand-over wins */
	msg_row_clear(&r);
	idhex(&m[2], id);
	assert_int_equal(store_msg_get(fx->st, id, &r), 0);
	assert_int_equal(r.sent, 200);
	msg_row_clear(&r);

	memset(r1, '1', ID_HEX_LEN);
	r1[ID_HEX_LEN] = '\0';
	memset(r2, '2', ID_HEX_LEN);
	r2[ID_HEX_LEN] = '\0';
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_out_mark_delivered(fx->st, "ru", CH_NRRC,
	    PREC_IMMEDIATE, 1, 2, 300, r1), 0);
	assert_int_equal(store_out_mark_delivered(fx->st, "ru", CH_NRRC,
	    PREC_IMMEDIATE, 1, 3, 400, r2), 0);
	assert_int_equal(store_commit(fx->st), 0);
	idhex(&m[0], id);
	assert_int_equal(store_msg_get(fx->st, id, &r), 0);
	assert_int_equal(r.state, ST_DELIVERED);
	assert_int_equal(r.received, 300);
	assert_string_equal(r.receipt_id, r1);
	msg_row_clear(&r);
	idhex(&m[2], id);
	assert_int_equal(store_msg_get(fx->st, id, &r), 0);
	assert_int_equal(r.state, ST_DELIVERED);
	assert_int_equal(r.received, 400);
	assert_string_equal(r.receipt_id, r2);
	msg_row_clear(&r);
	assert_int_equal(state_of(fx->st, &m[3]), ST_QUEUED);
	assert_int_equal(store_out_pending(fx->st, "ru", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_out_pending(fx->st, "ca", &n), 0);
	assert_int_equal(n, 1);

	/* ru acknowledges m[0] */
	mkmsg(&ack, 0x72000001, "ru", "us", CH_NRRC, PREC_IMMEDIATE, 1, "{}");
	snprintf(ack.kind, sizeof(ack.kind), "%s", "ack");
	ack.has_ref = true;
	memcpy(ack.ref, m[0].id, MSG_ID_LEN);
	ack.created = 555;
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_msg_insert(fx->st, &ack, DIR_IN, "ru", 9, NULL), 0);
	assert_int_equal(store_msg_mark_acked(fx->st, &ack), 0);
	assert_int_equal(store_msg_mark_acked(fx->st, &ack), 1);
	assert_int_equal(store_commit(fx->st), 0);
	idhex(&m[0], id);
	assert_int_equal(store_msg_get(fx->st, id, &r), 0);
	assert_int_equal(r.state, ST_ACKED);
	assert_int_equal(r.acked, 555);
	idhex(&ack, id);
	assert_string_equal(r.ack_id, id);
	msg_row_clear(&r);
	/* an inbound message can be acknowledged too */
	assert_int_equal(state_of(fx->st, &ack), ST_DELIVERED);

	/* unknown ref, and no ref at all */
	memset(ack.ref, 0xee, MSG_ID_LEN);
	ack.id[5] ^= 1;
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_msg_mark_acked(fx->st, &ack), 1);
	ack.has_ref = false;
	assert_int_equal(store_msg_mark_acked(fx->st, &ack), -1);
	assert_int_equal(store_commit(fx->st), 0);
}

static void
test_resolve(void **state)
{
	struct fx *fx = *state;
	char id[ID_HEX_LEN + 1], want[ID_HEX_LEN + 1], up[ID_HEX_LEN + 2];
	struct msg m;
	size_t i;

	put_simple(fx->st, 0xabcd0001, DIR_OUT, "ru", CH_NRRC, PREC_FLASH, 1,
	    0);
	put_simple(fx->st, 0xabcd0002, DIR_OUT, "ru", CH_NRRC, PREC_FLASH, 2,
	    0);
	put_simple(fx->st, 0xffffffff, DIR_OUT, "ru", CH_NRRC, PREC_FLASH, 3,
	    0);
	mkmsg(&m, 0x12345678, "us", "ru", CH_NRRC, PREC_FLASH, 4, "x");
	assert_int_equal(put(fx->st, &m, DIR_OUT, "ru", 1), 0);
	idhex(&m, want);

	assert_int_equal(store_msg_resolve(fx->st, "1234", id), 0);
	assert_string_equal(id, want);
	assert_int_equal(store_msg_resolve(fx->st, want, id), 0);
	assert_string_equal(id, want);
	for (i = 0; want[i] != '\0'; i++)
		up[i] = (want[i] >= 'a' && want[i] <= 'f') ?
		    (char)(want[i] - 'a' + 'A') : want[i];
	up[i] = '\0';
	assert_int_equal(store_msg_resolve(fx->st, up, id), 0);
	assert_string_equal(id, want);

	assert_int_equal(store_msg_resolve(fx->st, "abcd0001", id), 0);
	assert_int_equal(strncmp(id, "abcd0001", 8), 0);
	assert_int_equal(store_msg_resolve(fx->st, "abcd", id), 2);
	assert_int_equal(store_msg_resolve(fx->st, "abcd000", id), 2);
	assert_int_equal(store_msg_resolve(fx->st, "ffff", id), 0);
	assert_int_equal(strncmp(id, "ffffffff", 8), 0);
	assert_int_equal(store_msg_resolve(fx->st, "abce", id), 1);
	assert_int_equal(store_msg_resolve(fx->st, "0000", id), 1);
	/* malformed: too short, too long, not hex, wildcards */
	assert_int_equal(store_msg_resolve(fx->st, "abc", id), 1);
	assert_int_equal(store_msg_resolve(fx->st, "", id), 1);
	up[ID_HEX_LEN] = '0';
	up[ID_HEX_LEN + 1] = '\0';
	assert_int_equal(store_msg_resolve(fx->st, up, id), 1);
	assert_int_equal(store_msg_resolve(fx->st, "abcz", id), 1);
	assert_int_equal(store_msg_resolve(fx->st, "ab%_", id), 1);
	assert_int_equal(store_msg_resolve(fx->st, "abcd 001", id), 1);
}

/*
 * The list data set, in insertion (rid) order:
 *  1 out ru nrrc  seq1 created 1000 queued
 *  2 out ru nrrc  seq2 created 2000 sent
 *  3 out ru cert  seq1 created 3000 delivered
 *  4 in  ru nrrc  seq1 created 4000 delivered
 *  5 out ca nrrc  seq1 created 5000 queued
 *  6 in  ca cert  seq1 created 6000 acknowledged (by 7)
 *  7 out ca cert  seq1 created 7000 queued (the ack)
 */
static void
list_data(struct store *st)
{
	struct msg ack;
	char r1[ID_HEX_LEN + 1];

	put_simple(st, 1, DIR_OUT, "ru", CH_NRRC, PREC_FLASH, 1, 1000);
	put_simple(st, 2, DIR_OUT, "ru", CH_NRRC, PREC_FLASH, 2, 2000);
	put_simple(st, 3, DIR_OUT, "ru", CH_CERT, PREC_ROUTINE, 1, 3000);
	put_simple(st, 4, DIR_IN, "ru", CH_NRRC, PREC_FLASH, 1, 4000);
	put_simple(st, 5, DIR_OUT, "ca", CH_NRRC, PREC_FLASH, 1, 5000);
	put_simple(st, 6, DIR_IN, "ca", CH_CERT, PREC_ROUTINE, 1, 6000);
	mkmsg(&ack, 7, "us", "ca", CH_CERT, PREC_ROUTINE, 1, "body-1");
	ack.created = 7000;
	ack.has_ref = true;
	memset(ack.ref, 0x5a, MSG_ID_LEN);
	ack.ref[0] = ack.ref[1] = ack.ref[2] = 0;
	ack.ref[3] = 6;
	memset(r1, 'c', ID_HEX_LEN);
	r1[ID_HEX_LEN] = '\0';
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_msg_insert(st, &ack, DIR_OUT, "ca", 7, NULL), 0);
	assert_int_equal(store_msg_mark_acked(st, &ack), 0);
	assert_int_equal(store_out_mark_sent(st, "ru", CH_NRRC, PREC_FLASH, 2,
	    2, 10), 0);
	assert_int_equal(store_out_mark_delivered(st, "ru", CH_CERT,
	    PREC_ROUTINE, 1, 1, 20, r1), 0);
	assert_int_equal(store_commit(st), 0);
}

static void
filter_init(struct msg_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->dir = -1;
	f->state = -1;
	f->limit = 100;
}

/* List with f and check the seeds returned, newest first. */
static void
list_expect(struct store *st, const struct msg_filter *f,
    const uint32_t *want, int nwant)
{
	struct coll c;
	int i;

	memset(&c, 0, sizeof(c));
	c.check_body = true;
	assert_int_equal(store_msg_list(st, f, coll_cb, &c), nwant);
	assert_int_equal(c.n, nwant);
	for (i = 0; i < nwant; i++)
		assert_int_equal(c.seed[i], want[i]);
	for (i = 1; i < c.n; i++)
		assert_true(c.rid[i] < c.rid[i - 1]);
}

#define EXPECT(st, f, ...) do {						\
	static const uint32_t w_[] = { __VA_ARGS__ };			\
	list_expect((st), (f), w_, (int)(sizeof(w_) / sizeof(w_[0])));	\
} while (0)

static void
test_list(void **state)
{
	struct fx *fx = *state;
	struct msg_filter f;
	struct coll c;
	uint64_t cursor;
	int i;

	list_data(fx->st);

	filter_init(&f);
	EXPECT(fx->st, &f, 7, 6, 5, 4, 3, 2, 1);
	f.channel = CH_NRRC;
	EXPECT(fx->st, &f, 5, 4, 2, 1);
	filter_init(&f);
	f.peer = "ca";
	EXPECT(fx->st, &f, 7, 6, 5);
	filter_init(&f);
	f.dir = DIR_IN;
	EXPECT(fx->st, &f, 6, 4);
	f.dir = DIR_OUT;
	EXPECT(fx->st, &f, 7, 5, 3, 2, 1);
	filter_init(&f);
	f.state = ST_QUEUED;
	EXPECT(fx->st, &f, 7, 5, 1);
	f.state = ST_SENT;
	EXPECT(fx->st, &f, 2);
	f.state = ST_DELIVERED;
	EXPECT(fx->st, &f, 4, 3);
	f.state = ST_ACKED;
	EXPECT(fx->st, &f, 6);
	filter_init(&f);
	f.since = 4000;
	EXPECT(fx->st, &f, 7, 6, 5, 4);
	filter_init(&f);
	f.channel = CH_NRRC;
	f.dir = DIR_OUT;
	f.peer = "ru";
	EXPECT(fx->st, &f, 2, 1);
	f.state = ST_QUEUED;
	EXPECT(fx->st, &f, 1);
	f.peer = "nobody";
	list_expect(fx->st, &f, NULL, 0);

	/* the state in each row agrees with the state filter */
	for (i = ST_QUEUED; i <= ST_ACKED; i++) {
		filter_init(&f);
		f.state = i;
		memset(&c, 0, sizeof(c));
		assert_true(store_msg_list(fx->st, &f, coll_cb, &c) > 0);
		while (c.n-- > 0)
			assert_int_equal(c.state[c.n], i);
	}

	/* paging: 3 at a time, newest first, by rid cursor */
	filter_init(&f);
	f.limit = 3;
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_msg_list(fx->st, &f, coll_cb, &c), 3);
	assert_int_equal(c.seed[2], 5);
	cursor = c.rid[2];
	f.before_rid = cursor;
	EXPECT(fx->st, &f, 4, 3, 2);
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_msg_list(fx->st, &f, coll_cb, &c), 3);
	f.before_rid = c.rid[2];
	EXPECT(fx->st, &f, 1);
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_msg_list(fx->st, &f, coll_cb, &c), 1);
	f.before_rid = c.rid[0];
	list_expect(fx->st, &f, NULL, 0);

	/* limit is clamped to 1..1000 */
	filter_init(&f);
	f.limit = 0;
	EXPECT(fx->st, &f, 7);
	f.limit = -5;
	EXPECT(fx->st, &f, 7);
	f.limit = 1000000;
	EXPECT(fx->st, &f, 7, 6, 5, 4, 3, 2, 1);

	/* the callback may stop early */
	filter_init(&f);
	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	assert_int_equal(store_msg_list(fx->st, &f, coll_cb, &c), 2);

	/* bad filters */
	filter_init(&f);
	f.state = 9;
	assert_int_equal(store_msg_list(fx->st, &f, coll_cb, &c), -1);
	filter_init(&f);
	f.dir = 5;
	assert_int_equal(store_msg_list(fx->st, &f, coll_cb, &c), -1);
}

/* The list data set as a model, to check every filter combination. */
static const struct {
	uint32_t	 seed;
	int		 dir;
	const char	*peer;
	int		 ch;
	uint64_t	 created;
	int		 state;
} list_model[] = {
	{ 1, DIR_OUT, "ru", CH_NRRC, 1000, ST_QUEUED },
	{ 2, DIR_OUT, "ru", CH_NRRC, 2000, ST_SENT },
	{ 3, DIR_OUT, "ru", CH_CERT, 3000, ST_DELIVERED },
	{ 4, DIR_IN, "ru", CH_NRRC, 4000, ST_DELIVERED },
	{ 5, DIR_OUT, "ca", CH_NRRC, 5000, ST_QUEUED },
	{ 6, DIR_IN, "ca", CH_CERT, 6000, ST_ACKED },
	{ 7, DIR_OUT, "ca", CH_CERT, 7000, ST_QUEUED },
};
#define LIST_N	((int)(sizeof(list_model) / sizeof(list_model[0])))

static void
test_list_combinations(void **state)
{
	struct fx *fx = *state;
	struct msg_filter f;
	struct msg_row r;
	struct msg m;
	struct coll c;
	uint64_t rid[LIST_N];
	char id[ID_HEX_LEN + 1];
	int mask, st, i, n;

	list_data(fx->st);
	for (i = 0; i < LIST_N; i++) {
		mkmsg(&m, list_model[i].seed, "us", "ru", 0, 0, 0, "");
		idhex(&m, id);
		assert_int_equal(store_msg_get(fx->st, id, &r), 0);
		assert_int_equal(r.state, list_model[i].state);
		rid[i] = r.rid;
		msg_row_clear(&r);
	}
	for (mask = 0; mask < 32; mask++) {
		for (st = -1; st <= ST_ACKED; st++) {
			filter_init(&f);
			f.state = st;
			if (mask & 1)
				f.channel = CH_NRRC;
			if (mask & 2)
				f.peer = "ca";
			if (mask & 4)
				f.dir = DIR_OUT;
			if (mask & 8)
				f.since = 2000;
			if (mask & 16)
				f.before_rid = rid[5];
			memset(&c, 0, sizeof(c));
			assert_true(store_msg_list(fx->st, &f, coll_cb, &c) >=
			    0);
			n = 0;
			for (i = LIST_N - 1; i >= 0; i--) {
				if ((f.channel != 0 &&
				    list_model[i].ch != f.channel) ||
				    (f.peer != NULL &&
				    strcmp(list_model[i].peer, f.peer) != 0) ||
				    (f.dir != -1 && list_model[i].dir != f.dir) ||
				    list_model[i].created < f.since ||
				    (f.before_rid != 0 && rid[i] >= f.before_rid) ||
				    (st != -1 && list_model[i].state != st))
					continue;
				assert_true(n < c.n);
				assert_int_equal(c.seed[n], list_model[i].seed);
				n++;
			}
			assert_int_equal(c.n, n);
		}
	}
}

struct rcoll {
	struct receipt_row	r[8];
	int			n;
};

static int
rcoll_cb(void *arg, const struct receipt_row *row)
{
	struct rcoll *c = arg;

	assert_true(c->n < 8);
	c->r[c->n++] = *row;
	return 0;
}

/*
 * Migration STORE_V_OUT_STATE: out messages' delivery facts move from msgs
 * to msgs_out. A snapshot of everything the store reports (each row, every
 * list filter, pending counts, counts by state, NRRC deadlines, streams),
 * taken on data in every state, must read the same after the database is
 * put back to the layout before the migration (facts in msgs.sent,
 * received, receipt; msgs_pending) and reopened, which migrates it again.
 */
struct snap {
	char	 s[32768];
	size_t	 len;
};

static void
snap_add(struct snap *sn, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sn->s + sn->len, sizeof(sn->s) - sn->len, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(sn->s) - sn->len);
	sn->len += (size_t)n;
}

static int
snap_row(void *arg, const struct msg_row *r)
{
	snap_add(arg, "row %s rid %llu dir %d peer %s ch %d prec %d seq %llu "
	    "kind %s state %d acc %llu sent %llu recv %llu rcpt %s ack %s "
	    "acked %llu body %.*s\n", r->id, (unsigned long long)r->rid,
	    r->dir, r->peer, r->m.channel, r->m.prec,
	    (unsigned long long)r->m.seq, r->m.kind, r->state,
	    (unsigned long long)r->accepted, (unsigned long long)r->sent,
	    (unsigned long long)r->received, r->receipt_id, r->ack_id,
	    (unsigned long long)r->acked, (int)r->m.body_len,
	    (const char *)r->m.body);
	return 0;
}

static int
snap_id(void *arg, const char *id)
{
	snap_add(arg, " %s", id);
	return 0;
}

static void
snap_count(void *arg, int ch, int dir, int st, uint64_t n)
{
	snap_add(arg, "count ch %d dir %d state %d: %llu\n", ch, dir, st,
	    (unsigned long long)n);
}

static void
snap_stream(void *arg, const char *peer, int dir, int ch, int prec,
    uint64_t maxseq, uint64_t delivered)
{
	snap_add(arg, "stream %s %d %d %d max %llu delivered %llu\n", peer,
	    dir, ch, prec, (unsigned long long)maxseq,
	    (unsigned long long)delivered);
}

static void
snapshot(struct store *st, struct snap *sn)
{
	static const char *const peers[] = { NULL, "ru", "ca" };
	struct msg_filter f;
	struct msg_row r;
	uint64_t n;
	size_t p;
	int ch, prec, state, dir;

	sn->len = 0;
	sn->s[0] = '\0';
	for (p = 0; p < sizeof(peers) / sizeof(peers[0]); p++)
		for (dir = -1; dir <= DIR_IN; dir++)
			for (state = -1; state <= ST_ACKED; state++) {
				filter_init(&f);
				f.peer = peers[p];
				f.dir = dir;
				f.state = state;
				snap_add(sn, "list %s %d %d:\n",
				    peers[p] ? peers[p] : "*", dir, state);
				assert_true(store_msg_list(st, &f, snap_row,
				    sn) >= 0);
			}
	for (p = 1; p < sizeof(peers) / sizeof(peers[0]); p++) {
		assert_int_equal(store_out_pending(st, peers[p], &n), 0);
		snap_add(sn, "pending %s %llu\n", peers[p],
		    (unsigned long long)n);
	}
	assert_true(store_msg_counts(st, snap_count, sn) > 0);
	for (ch = CH_MIN; ch <= CH_MAX; ch++)
		for (prec = PREC_MIN; prec <= PREC_MAX; prec++) {
			snap_add(sn, "due %d %d:", ch, prec);
			assert_true(store_nrrc_due(st, ch, prec, 50000, 100,
			    snap_id, sn) >= 0);
			snap_add(sn, "\n");
		}
	assert_int_equal(store_streams_load(st, snap_stream, sn), 0);
	/* store_msg_get agrees with the list's rows */
	filter_init(&f);
	f.limit = 1000;
	assert_true(store_msg_list(st, &f, snap_row, sn) > 0);
	{
		struct msg m;
		char id[ID_HEX_LEN + 1];
		uint32_t seed;

		for (seed = 1; seed <= 12; seed++) {
			mkmsg(&m, seed, "us", "ru", 0, 0, 0, "");
			idhex(&m, id);
			if (store_msg_get(st, id, &r) != 0)
				continue;
			snap_add(sn, "get ");
			snap_row(sn, &r);
			msg_row_clear(&r);
		}
	}
}

/* The layout before STORE_V_OUT_STATE, from what the store holds now. */
static void
out_state_undo(const char *path)
{
	sqlite3 *db = side_open(path);
	char sql[64];

	assert_int_equal(sqlite3_exec(db, "UPDATE msgs SET "
	    "sent = (SELECT sent FROM msgs_out o WHERE o.rid = msgs.rid), "
	    "received = (SELECT received FROM msgs_out o "
	    "WHERE o.rid = msgs.rid), "
	    "receipt = (SELECT receipt FROM msgs_out o WHERE o.rid = msgs.rid) "
	    "WHERE dir = 0;"
	    "DROP TABLE msgs_out;"
	    "CREATE INDEX msgs_pending ON msgs (peer)"
	    "  WHERE dir = 0 AND received IS NULL;", NULL, NULL, NULL),
	    SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    STORE_V_OUT_STATE - 1);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
test_migrate_out_state(void **state)
{
	struct fx *fx = *state;
	static struct snap before, after;
	struct msg m, ack;
	char err[256], r2[ID_HEX_LEN + 1], want[256];
	sqlite3 *db;

	/* Every state: queued, sent, delivered, acknowledged out; delivered
	 * and acknowledged in (list_data); and an NRRC out message delivered
	 * at 20000 (due), one delivered and acknowledged, one delivered at
	 * 90000 (not yet due), and an in one received at 30000 (due). */
	list_data(fx->st);
	put_simple(fx->st, 8, DIR_OUT, "ru", CH_DIRECT, PREC_FLASH, 1, 8000);
	put_simple(fx->st, 9, DIR_OUT, "ru", CH_DIRECT, PREC_FLASH, 2, 9000);
	put_simple(fx->st, 10, DIR_OUT, "ru", CH_DIRECT, PREC_FLASH, 3, 9500);
	put_simple(fx->st, 11, DIR_IN, "ru", CH_DIRECT, PREC_FLASH, 1, 9600);
	memset(r2, 'd', ID_HEX_LEN);
	r2[ID_HEX_LEN] = '\0';
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_out_mark_sent(fx->st, "ru", CH_DIRECT,
	    PREC_FLASH, 1, 3, 15000), 0);
	assert_int_equal(store_out_mark_delivered(fx->st, "ru", CH_DIRECT,
	    PREC_FLASH, 1, 2, 20000, r2), 0);
	r2[0] = 'e';
	assert_int_equal(store_out_mark_delivered(fx->st, "ru", CH_DIRECT,
	    PREC_FLASH, 3, 3, 90000, r2), 0);
	mkmsg(&m, 9, "us", "ru", 0, 0, 0, "");
	mkmsg(&ack, 12, "ru", "us", CH_DIRECT, PREC_FLASH, 2, "body-2");
	snprintf(ack.kind, sizeof(ack.kind), "%s", "ack");
	ack.has_ref = true;
	memcpy(ack.ref, m.id, MSG_ID_LEN);
	ack.created = 25000;
	assert_int_equal(store_msg_insert(fx->st, &ack, DIR_IN, "ru", 30000, NULL),
	    0);
	assert_int_equal(store_msg_mark_acked(fx->st, &ack), 0);
	assert_int_equal(store_commit(fx->st), 0);

	snapshot(fx->st, &before);
	/* the data covers what it should: out seed 8 and in seed 11 due,
	 * not the acknowledged 9 nor 10 (delivered at 90000) */
	mkmsg(&m, 11, "ru", "us", 0, 0, 0, "");
	idhex(&m, r2);
	snprintf(want, sizeof(want), "due %d %d: %s", CH_DIRECT, PREC_FLASH,
	    r2);
	mkmsg(&m, 8, "us", "ru", 0, 0, 0, "");
	idhex(&m, r2);
	snprintf(want + strlen(want), sizeof(want) - strlen(want), " %s\n",
	    r2);
	assert_non_null(strstr(before.s, want));
	assert_non_null(strstr(before.s, "pending ru 2\n"));
	store_free(fx->st);

	out_state_undo(fx->path);
	fx->st = store_open(fx->path, err, sizeof(err));
	assert_non_null(fx->st);
	snapshot(fx->st, &after);
	assert_string_equal(after.s, before.s);
	db = side_open(fx->path);
	assert_int_equal(side_int(db, "PRAGMA user_version"),
	    STORE_V_ID_KEYS);
	/* out rows: the old facts stay (unread) but for msgs_open's */
	assert_int_equal(side_int(db, "SELECT count(*) FROM msgs WHERE "
	    "dir = 0 AND received IS NOT NULL AND ack_id IS NULL AND "
	    "channel <> 5"), 0);
	assert_true(side_int(db, "SELECT count(*) FROM msgs WHERE "
	    "dir = 0 AND received IS NOT NULL") > 0);
	assert_int_equal(side_int(db, "SELECT count(*) FROM msgs_out"),
	    side_int(db, "SELECT count(*) FROM msgs WHERE dir = 0"));
	assert_int_equal(side_int(db, "SELECT count(*) FROM sqlite_master "
	    "WHERE name = 'msgs_pending'"), 0);
	sqlite3_close(db);

	/* Run again on the migrated database (as test_tlog does): no change,
	 * and a new out message gets its msgs_out row. */
	store_free(fx->st);
	db = side_open(fx->path);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 6", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	fx->st = store_open(fx->path, err, sizeof(err));
	assert_non_null(fx->st);
	snapshot(fx->st, &after);
	assert_string_equal(after.s, before.s);
	put_simple(fx->st, 13, DIR_OUT, "ca", CH_NRRC, PREC_FLASH, 2, 9900);
	mkmsg(&m, 13, "us", "ca", 0, 0, 0, "");
	assert_int_equal(state_of(fx->st, &m), ST_QUEUED);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_out_mark_sent(fx->st, "ca", CH_NRRC,
	    PREC_FLASH, 2, 2, 99), 0);
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(state_of(fx->st, &m), ST_SENT);
}

static void
test_receipts_for(void **state)
{
	struct fx *fx = *state;
	struct receipt rc, r3;
	struct msg_row row;
	struct rcoll c;
	char id[ID_HEX_LEN + 1];
	struct msg m;
	uint64_t q;

	for (q = 1; q <= 3; q++)
		put_simple(fx->st, 0x80000000 + (uint32_t)q, DIR_OUT, "ru",
		    CH_NRRC, PREC_FLASH, q, 0);
	for (q = 1; q <= 2; q++)
		put_simple(fx->st, 0x81000000 + (uint32_t)q, DIR_IN, "ru",
		    CH_NRRC, PREC_FLASH, q, 0);
	/* received from ru for our stream: seq 3 then seq 1 (out of order) */
	mkrcpt(&r3, 0xe1000003, "us", "ru", CH_NRRC, PREC_FLASH, 3, 30);
	put_rcpt(fx->st, &r3, DIR_IN, "ru");
	mkrcpt(&rc, 0xe1000001, "us", "ru", CH_NRRC, PREC_FLASH, 1, 10);
	put_rcpt(fx->st, &rc, DIR_IN, "ru");
	/* a duplicate is not an error and is not stored twice */
	put_rcpt(fx->st, &rc, DIR_IN, "ru");
	/* another stream's receipt */
	mkrcpt(&rc, 0xe1000009, "us", "ru", CH_CERT, PREC_FLASH, 9, 90);
	put_rcpt(fx->st, &rc, DIR_IN, "ru");
	/* issued by us for ru's stream */
	mkrcpt(&rc, 0xe2000002, "ru", "us", CH_NRRC, PREC_FLASH, 2, 20);
	put_rcpt(fx->st, &rc, DIR_OUT, "ru");

	/* out seq 1: receipts 1 then 3, oldest first */
	mkmsg(&m, 0x80000001, "us", "ru", 0, 0, 0, "");
	idhex(&m, id);
	assert_int_equal(store_msg_get(fx->st, id, &row), 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_receipts_for(fx->st, &row, rcoll_cb, &c), 2);
	msg_row_clear(&row);
	assert_int_equal(c.r[0].r.seq, 1);
	assert_int_equal(c.r[1].r.seq, 3);
	/* every field of the seq 3 receipt */
	assert_int_equal(c.r[1].dir, DIR_IN);
	assert_string_equal(c.r[1].peer, "ru");
	assert_int_equal(c.r[1].stored, 31);
	assert_int_equal(c.r[1].r.version, r3.version);
	assert_string_equal(c.r[1].r.from, "us");
	assert_string_equal(c.r[1].r.to, "ru");
	assert_int_equal(c.r[1].r.channel, CH_NRRC);
	assert_int_equal(c.r[1].r.prec, PREC_FLASH);
	assert_memory_equal(c.r[1].r.last_id, r3.last_id, MSG_ID_LEN);
	assert_int_equal(c.r[1].r.time, 30);
	assert_memory_equal(c.r[1].r.sig, r3.sig, sizeof(r3.sig));
	assert_memory_equal(c.r[1].r.id, r3.id, MSG_ID_LEN);

	/* out seq 2: only the seq 3 receipt covers it */
	mkmsg(&m, 0x80000002, "us", "ru", 0, 0, 0, "");
	idhex(&m, id);
	assert_int_equal(store_msg_get(fx->st, id, &row), 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_receipts_for(fx->st, &row, rcoll_cb, &c), 1);
	msg_row_clear(&row);
	assert_int_equal(c.r[0].r.seq, 3);

	/* in seq 1 and 2: the one we issued at seq 2 */
	mkmsg(&m, 0x81000001, "ru", "us", 0, 0, 0, "");
	idhex(&m, id);
	assert_int_equal(store_msg_get(fx->st, id, &row), 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_receipts_for(fx->st, &row, rcoll_cb, &c), 1);
	msg_row_clear(&row);
	assert_int_equal(c.r[0].dir, DIR_OUT);
	assert_int_equal(c.r[0].r.seq, 2);
	assert_string_equal(c.r[0].r.from, "ru");
}

static void
test_events(void **state)
{
	struct fx *fx = *state;
	sqlite3 *db;

	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_event(fx->st, "ru", "link-up", "10.0.0.1:7400"),
	    0);
	assert_int_equal(store_event(fx->st, NULL, "start", NULL), 0);
	assert_int_equal(store_commit(fx->st), 0);
	db = side_open(fx->path);
	assert_int_equal(side_int(db, "SELECT COUNT(*) FROM events"), 2);
	assert_int_equal(side_int(db, "SELECT COUNT(*) FROM events WHERE "
	    "peer = 'ru' AND kind = 'link-up' AND detail = '10.0.0.1:7400' "
	    "AND time > 0"), 1);
	assert_int_equal(side_int(db, "SELECT COUNT(*) FROM events WHERE "
	    "peer IS NULL AND detail IS NULL AND kind = 'start'"), 1);
	sqlite3_close(db);
}

static void
test_state_names(void **state)
{
	int i;

	(void)state;
	for (i = ST_QUEUED; i <= ST_ACKED; i++)
		assert_int_equal(msg_state_from_name(msg_state_name(i)), i);
	assert_string_equal(msg_state_name(ST_ACKED), "acknowledged");
	assert_string_equal(msg_state_name(99), "?");
	assert_int_equal(msg_state_from_name("bogus"), -1);
	assert_int_equal(msg_state_from_name(NULL), -1);
	store_free(NULL);
}

/* The WAL header's checkpoint sequence (bytes 12-15, big-endian). */
static uint32_t
wal_ckpt_seq(const char *dbpath)
{
	char path[PATH_MAX];
	unsigned char h[16];
	FILE *f;

	assert_true(snprintf(path, sizeof(path), "%s-wal", dbpath) <
	    (int)sizeof(path));
	assert_non_null(f = fopen(path, "rb"));
	assert_int_equal(fread(h, 1, sizeof(h), f), sizeof(h));
	fclose(f);
	return (uint32_t)h[12] << 24 | (uint32_t)h[13] << 16 |
	    (uint32_t)h[14] << 8 | h[15];
}

static bool	loop_until(struct event_base *, struct store *,
		    bool (*)(struct store *));
static bool	ck_idle(struct store *);

/*
 * Checkpoints on the store's thread: once the WAL passes its mark (and no
 * checkpoint runs in the commits: the store's WAL hook replaces SQLite's),
 * the thread copies it into the database file, and a later commit starts
 * the WAL over (the first after the thread copied all of it: maybe one of
 * the 48, maybe the last one here), so it stays bounded.
 */
static void
test_checkpoint_thread(void **state)
{
	struct fx *fx = *state;
	sqlite3 *db = store_db(fx->st);
	struct event_base *base = event_base_new();
	struct timeval tick = { 0, 20000 };
	struct stat sb;
	uint32_t seq;
	int i;

	assert_non_null(base);
	assert_int_equal(store_checkpoint_thread(fx->st, base), 0);
	assert_int_equal(sqlite3_exec(db, "PRAGMA synchronous = OFF;"
	    "CREATE TABLE ck(x BLOB)", NULL, NULL, NULL), SQLITE_OK);
	seq = wal_ckpt_seq(fx->path);
	/* 48 commits of 1 MiB (257 frames each): ~12,300 frames, past the
	 * mark. Below it all is still in the WAL, nothing in the database
	 * file; later the thread may already be copying while the commits
	 * go on. */
	for (i = 0; i < 48; i++) {
		assert_int_equal(sqlite3_exec(db, "INSERT INTO ck "
		    "VALUES (zeroblob(1048576))", NULL, NULL, NULL), SQLITE_OK);
		if (i == STORE_WAL_CHECKPOINT / 257 - 1) {
			assert_int_equal(stat(fx->path, &sb), 0);
			assert_true(sb.st_size < 1048576);
		}
	}
	/* Let the thread copy and its done callback run on this loop. */
	for (i = 0; i < 500; i++) {
		(void)event_base_loopexit(base, &tick);
		(void)event_base_loop(base, 0);
		assert_int_equal(stat(fx->path, &sb), 0);
		if (sb.st_size > 32 * 1048576)
			break;
	}
	assert_true(sb.st_size > 32 * 1048576);
	/* Until the thread is done (its passes, and a last one under a
	 * hold if frames were left): a fixed few ticks were too few on a
	 * loaded machine. */
	assert_true(loop_until(base, fx->st, ck_idle));
	assert_int_equal(sqlite3_exec(db, "INSERT INTO ck VALUES (1)", NULL,
	    NULL, NULL), SQLITE_OK);
	assert_true(wal_ckpt_seq(fx->path) > seq);	/* the WAL started over */
	store_free(fx->st);	/* joins the thread before the base goes */
	fx->st = NULL;
	event_base_free(base);
}

/* Run the loop until cond(st) or ~10 s of ticks; returns cond(st). */
static bool
loop_until(struct event_base *base, struct store *st,
    bool (*cond)(struct store *))
{
	struct timeval tick = { 0, 20000 };
	int i;

	for (i = 0; i < 500 && !cond(st); i++) {
		(void)event_base_loopexit(base, &tick);
		(void)event_base_loop(base, 0);
	}
	return cond(st);
}

static bool
ck_held(struct store *st)
{
	return store_held(st);
}

static bool
ck_hold_begun(struct store *st)
{
	struct store_ck_stats cs;

	store_ck_stats(st, &cs);
	return cs.holds > 0;
}

static bool
ck_idle(struct store *st)
{
	struct store_ck_stats cs;

	store_ck_stats(st, &cs);
	return !cs.busy;
}

/*
 * Past the WAL's mark, with a reader on another connection whose snapshot
 * keeps the thread's passes from copying the new frames: the passes come
 * back with frames left. Returns the reader (ROLLBACK and close it).
 */
static sqlite3 *
ck_fill_behind_reader(struct fx *fx, struct event_base *base)
{
	sqlite3 *db = store_db(fx->st), *rd = NULL;
	int i;

	assert_int_equal(store_checkpoint_thread(fx->st, base), 0);
	assert_int_equal(sqlite3_exec(db, "PRAGMA synchronous = OFF;"
	    "CREATE TABLE ck(x BLOB)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_open(fx->path, &rd), SQLITE_OK);
	assert_int_equal(sqlite3_exec(rd, "BEGIN; SELECT count(*) FROM ck",
	    NULL, NULL, NULL), SQLITE_OK);
	for (i = 0; i < 40; i++)	/* ~10,200 frames */
		assert_int_equal(sqlite3_exec(db, "INSERT INTO ck "
		    "VALUES (zeroblob(1048576))", NULL, NULL, NULL), SQLITE_OK);
	return rd;
}

static void
ck_reader_close(sqlite3 *rd)
{
	assert_int_equal(sqlite3_exec(rd, "ROLLBACK", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_close(rd), SQLITE_OK);
}

/* A write of the loop's own (urgent work, say), in a transaction. */
static void
ck_write(struct store *st)
{
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(sqlite3_exec(store_db(st), "INSERT INTO ck VALUES "
	    "(1)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(store_commit(st), 0);
}

/*
 * The hold: the thread's passes leave frames, so bulk writers are held
 * off (store_held) while it makes a last pass. Other writes during the
 * hold go through at once; once the last pass copied everything the hold
 * ends and the next write starts the WAL over (without the hold and the
 * last pass, nothing would copy what the reader kept the passes from
 * copying, and the WAL would not start over).
 */
static void
test_checkpoint_hold(void **state)
{
	struct fx *fx = *state;
	struct event_base *base = event_base_new();
	struct store_ck_stats cs;
	sqlite3 *rd;
	uint32_t seq;

	assert_non_null(base);
	store_set_hold_max(fx->st, 600 * 1000000ULL);	/* not by time */
	store_ck_pause(fx->st, true);
	rd = ck_fill_behind_reader(fx, base);
	seq = wal_ckpt_seq(fx->path);
	assert_true(loop_until(base, fx->st, ck_held));
	store_ck_stats(fx->st, &cs);
	assert_int_equal(cs.holds, 1);
	assert_true(cs.busy);
	assert_true(cs.wal_peak > 10000);	/* all of it, behind the reader */
	assert_false(store_hold_firm(fx->st));	/* the first hold */
	/* Not blocked by the hold, and the hold goes on. */
	ck_write(fx->st);
	assert_true(store_held(fx->st));
	ck_reader_close(rd);
	store_ck_pause(fx->st, false);
	assert_true(loop_until(base, fx->st, ck_idle));
	assert_false(store_held(fx->st));
	store_ck_stats(fx->st, &cs);
	assert_int_equal(cs.copied, 1);
	assert_int_equal(cs.gave_up, 0);
	assert_int_equal(wal_ckpt_seq(fx->path), seq);
	assert_true(store_hold_firm(fx->st));	/* not started over yet */
	ck_write(fx->st);
	assert_true(wal_ckpt_seq(fx->path) > seq);	/* started over */
	assert_false(store_hold_firm(fx->st));
	store_free(fx->st);	/* joins the thread before the base goes */
	fx->st = NULL;
	event_base_free(base);
}

static void
ck_long_resolve(void *arg, bool preempt)
{
	(void)arg;
	(void)preempt;
	fail_msg("the hold must not resolve a long transaction");
}

/*
 * A hold that begins while a long transaction is open (an API batch
 * being stored over several turns) hands over its last pass only when
 * that transaction ends: a pass before would find its frames uncommitted.
 */
static void
test_checkpoint_hold_waits(void **state)
{
	struct fx *fx = *state;
	struct event_base *base = event_base_new();
	struct timeval tick = { 0, 20000 };
	struct store_ck_stats cs;
	sqlite3 *rd;
	uint32_t seq;
	int i;

	assert_non_null(base);
	store_set_hold_max(fx->st, 600 * 1000000ULL);
	rd = ck_fill_behind_reader(fx, base);
	seq = wal_ckpt_seq(fx->path);
	assert_int_equal(store_long_begin(fx->st, ck_long_resolve, NULL), 0);
	assert_int_equal(sqlite3_exec(store_db(fx->st), "INSERT INTO ck "
	    "VALUES (2)", NULL, NULL, NULL), SQLITE_OK);
	store_long_pause(fx->st);
	assert_true(loop_until(base, fx->st, ck_held));
	ck_reader_close(rd);
	/* Every pass so far came back: a last one handed over now would be
	 * back within a second too (was 10 x 10 s of waiting). */
	for (i = 0; i < 50 && !ck_idle(fx->st); i++) {
		(void)event_base_loopexit(base, &tick);
		(void)event_base_loop(base, 0);
	}
	assert_false(ck_idle(fx->st));
	assert_true(store_held(fx->st));
	store_long_resume(fx->st);
	store_long_end(fx->st);
	assert_int_equal(store_commit(fx->st), 0);
	assert_true(loop_until(base, fx->st, ck_idle));
	assert_false(store_held(fx->st));
	store_ck_stats(fx->st, &cs);
	assert_int_equal(cs.holds, 1);
	assert_int_equal(cs.copied, 1);
	ck_write(fx->st);
	assert_true(wal_ckpt_seq(fx->path) > seq);
	store_free(fx->st);
	fx->st = NULL;
	event_base_free(base);
}

/*
 * The hold is bounded: past its time bulk writers go on even though the
 * last pass is not back (paused here), it counts as given up, and once
 * the pass is back the next checkpoint can begin.
 */
static void
test_checkpoint_hold_bounded(void **state)
{
	struct fx *fx = *state;
	struct event_base *base = event_base_new();
	struct store_ck_stats cs;
	sqlite3 *rd;

	assert_non_null(base);
	store_set_hold_max(fx->st, 0);
	store_ck_pause(fx->st, true);
	rd = ck_fill_behind_reader(fx, base);
	assert_true(loop_until(base, fx->st, ck_hold_begun));
	assert_false(store_held(fx->st));
	store_ck_stats(fx->st, &cs);
	assert_int_equal(cs.gave_up, 1);
	assert_true(cs.busy);		/* the last pass is still paused */
	assert_int_equal(cs.cycles, 1);
	ck_write(fx->st);
	store_ck_pause(fx->st, false);
	assert_true(loop_until(base, fx->st, ck_idle));
	/* The reader kept the last pass from copying it all: the WAL is
	 * still past its mark, and the next commit begins a checkpoint. */
	ck_write(fx->st);
	store_ck_stats(fx->st, &cs);
	assert_int_equal(cs.cycles, 2);
	/* The hold did not get the WAL started over: the next holds firm. */
	assert_true(store_hold_firm(fx->st));
	ck_reader_close(rd);
	store_free(fx->st);
	fx->st = NULL;
	event_base_free(base);
}

static void
synced(void *arg, bool ok)
{
	int *n = arg;

	*n = ok ? 1 : -1;
}

/*
 * Lazy commits: committed (visible) at once, known synced only after the
 * sync thread's fdatasync of the WAL (or an inline store_sync, or a full
 * commit after them); until then store_lazy_pending() says so.
 */
static void
test_lazy_commit(void **state)
{
	struct fx *fx = *state;
	sqlite3 *db = store_db(fx->st);
	struct event_base *base = event_base_new();
	struct timeval tick = { 0, 20000 };
	int done = 0, i;

	assert_non_null(base);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE lz(x)", NULL, NULL,
	    NULL), SQLITE_OK);
	/* No sync thread: a lazy commit is a full one. */
	assert_int_equal(store_begin_lazy(fx->st), 0);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO lz VALUES (1)", NULL,
	    NULL, NULL), SQLITE_OK);
	assert_int_equal(store_commit(fx->st), 0);
	assert_false(store_lazy_pending(fx->st));
	assert_int_equal(store_sync_thread(fx->st, base), 0);
	assert_int_equal(store_begin_lazy(fx->st), 0);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO lz VALUES (2)", NULL,
	    NULL, NULL), SQLITE_OK);
	assert_int_equal(store_commit(fx->st), 0);
	assert_true(store_lazy_pending(fx->st));
	assert_int_equal(side_int(db, "SELECT count(*) FROM lz"), 2);
	/* Back to full commits for everyone else. */
	assert_int_equal(side_int(db, "PRAGMA synchronous"), 2);
	assert_int_equal(store_sync_submit(fx->st, synced, &done), 0);
	for (i = 0; i < 500 && done == 0; i++) {
		(void)event_base_loopexit(base, &tick);
		(void)event_base_loop(base, 0);
	}
	assert_int_equal(done, 1);
	assert_false(store_lazy_pending(fx->st));
	/* Inline, and a full commit covering a lazy one. */
	assert_int_equal(store_begin_lazy(fx->st), 0);
	assert_int_equal(store_commit(fx->st), 0);
	assert_true(store_lazy_pending(fx->st));
	assert_int_equal(store_sync(fx->st), 0);
	assert_false(store_lazy_pending(fx->st));
	assert_int_equal(store_begin_lazy(fx->st), 0);
	assert_int_equal(store_commit(fx->st), 0);
	assert_true(store_lazy_pending(fx->st));
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_commit(fx->st), 0);
	assert_false(store_lazy_pending(fx->st));
	done = 0;
	assert_int_equal(store_sync_submit(fx->st, synced, &done), 0);
	assert_int_equal(done, 1);	/* nothing to sync: at once */
	/* A rolled back lazy transaction leaves full commits behind too. */
	assert_int_equal(store_begin_lazy(fx->st), 0);
	store_rollback(fx->st);
	assert_int_equal(side_int(db, "PRAGMA synchronous"), 2);
	store_free(fx->st);
	fx->st = NULL;
	event_base_free(base);
}

/* A commit of 1 MiB (257 WAL frames) into table ck, lazy or full. */
static void
ck_put(struct store *st, bool lazy)
{
	assert_int_equal(lazy ? store_begin_lazy(st) : store_begin(st), 0);
	assert_int_equal(sqlite3_exec(store_db(st), "INSERT INTO ck "
	    "VALUES (zeroblob(1048576))", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(store_commit(st), 0);
}

/*
 * The checkpoint mark (wal_hook): STORE_WAL_CHECKPOINT frames after full
 * commits only, STORE_WAL_CHECKPOINT_BULK while bulk streams (this commit
 * is lazy, or one was since the last checkpoint), but not for light lazy
 * commits (store_begin_lazy_light).
 */
static void
test_checkpoint_marks(void **state)
{
	struct fx *fx = *state;
	struct event_base *base = event_base_new();
	struct store_ck_stats cs;
	int i;

	assert_non_null(base);
	assert_true(STORE_WAL_CHECKPOINT_BULK + 2 * 257 < STORE_WAL_CHECKPOINT);
	assert_int_equal(store_checkpoint_thread(fx->st, base), 0);
	assert_int_equal(store_sync_thread(fx->st, base), 0);
	assert_int_equal(sqlite3_exec(store_db(fx->st), "CREATE TABLE "
	    "ck(x BLOB)", NULL, NULL, NULL), SQLITE_OK);
	/* Full commits past the bulk mark: no checkpoint. */
	for (i = 0; i * 257 <= STORE_WAL_CHECKPOINT_BULK; i++)
		ck_put(fx->st, false);
	store_ck_stats(fx->st, &cs);
	assert_int_equal(cs.cycles, 0);
	/* A lazy one: bulk, past its mark. */
	ck_put(fx->st, true);
	store_ck_stats(fx->st, &cs);
	assert_int_equal(cs.cycles, 1);
	assert_true(loop_until(base, fx->st, ck_idle));
	/* Full commits only since: the long mark again. */
	for (i = 0; i * 257 <= STORE_WAL_CHECKPOINT_BULK; i++)
		ck_put(fx->st, false);
	store_ck_stats(fx->st, &cs);
	assert_int_equal(cs.cycles, 1);
	/* A lazy commit's checkpoint, then (the WAL starts over) a small
	 * lazy commit, and full ones past the bulk mark: bulk since the
	 * last checkpoint, so a full commit starts the next one. */
	ck_put(fx->st, true);
	store_ck_stats(fx->st, &cs);
	assert_int_equal(cs.cycles, 2);
	assert_true(loop_until(base, fx->st, ck_idle));
	assert_int_equal(store_begin_lazy(fx->st), 0);
	assert_int_equal(sqlite3_exec(store_db(fx->st), "INSERT INTO ck "
	    "VALUES (1)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(store_commit(fx->st), 0);
	store_ck_stats(fx->st, &cs);
	assert_int_equal(cs.cycles, 2);
	for (i = 0; i * 257 <= STORE_WAL_CHECKPOINT_BULK; i++)
		ck_put(fx->st, false);
	store_ck_stats(fx->st, &cs);
	assert_int_equal(cs.cycles, 3);
	assert_true(loop_until(base, fx->st, ck_idle));
	/* A light lazy commit (receipts coming back) is not bulk: full
	 * commits past the bulk mark after it start no checkpoint. */
	assert_int_equal(store_begin_lazy_light(fx->st), 0);
	assert_int_equal(sqlite3_exec(store_db(fx->st), "INSERT INTO ck "
	    "VALUES (2)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(store_commit(fx->st), 0);
	assert_true(store_lazy_pending(fx->st));
	for (i = 0; i * 257 <= STORE_WAL_CHECKPOINT_BULK; i++)
		ck_put(fx->st, false);
	assert_false(store_lazy_pending(fx->st));	/* synced by those */
	store_ck_stats(fx->st, &cs);
	assert_int_equal(cs.cycles, 3);
	store_free(fx->st);
	fx->st = NULL;
	event_base_free(base);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_wal),
		T(test_reopen),
		T(test_wal_prefill),
		T(test_newer_schema_refused),
		T(test_roundtrip),
		T(test_duplicates),
		T(test_rollback),
		T(test_streams_load),
		T(test_fetch),
		T(test_id_at),
		T(test_marks),
		T(test_resolve),
		T(test_id_keys),
		T(test_list),
		T(test_list_combinations),
		T(test_migrate_out_state),
		T(test_receipts_for),
		T(test_events),
		T(test_checkpoint_thread),
		T(test_checkpoint_hold),
		T(test_checkpoint_hold_waits),
		T(test_checkpoint_hold_bounded),
		T(test_lazy_commit),
		T(test_checkpoint_marks),
		cmocka_unit_test(test_state_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
