/*
 * walbuf.c: SQLite writes each WAL frame as two writes, its 24-byte
 * header and then the page, and a frame (24 + 4,096 bytes) straddles two
 * pages of the file: a 1,000-message API batch's commit of ~1,900 frames
 * made ~3,800 pwrite()s and held the event loop ~7 ms, most of it in the
 * kernel (docs/BENCHMARKS.md, session 6). This VFS passes everything to
 * SQLite's default VFS except writes to WAL files, which it gathers while
 * they follow on from each other, up to WALBUF_CAP (~31 frames), and
 * writes them in one go.
 *
 * What SQLite relies on stays true:
 * - a committed frame is in the file before SQLite can publish it to
 *   other connections (in the shared WAL index, after the frames are
 *   written): the page of a commit frame (header field "database size
 *   after commit" not zero) is written out at once, with all before it;
 * - SQLite reads what it wrote: a read, size, truncate, sync, file
 *   control or close of the WAL writes out what is gathered first;
 * - order: a write that does not follow on writes out what is gathered
 *   first, then is gathered itself.
 * A failed write-out is returned by the call that caused it, as a failed
 * write would have been; frames not yet written out belong to a
 * transaction that is not committed.
 *
 * One connection uses each open file at a time (SQLite serialises it), so
 * the state needs no lock; the counters are atomics.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "walbuf.h"

#define WALBUF_NAME		"hotline-walbuf"
/* SQLite's unix VFS writes at most 128 KiB - 1 per write() call (it masks
 * the length with 0x1ffff: a write of exactly 128 KiB would write nothing),
 * so gather up to that. */
#define WALBUF_CAP		0x1ffff
#define WAL_FRAME_HDRSIZE	24

struct wb_file {
	sqlite3_file	 base;		/* pMethods: wb_io */
	sqlite3_file	*inner;		/* the default VFS's, right after */
	int		 wal;		/* a WAL file: writes are gathered */
	int		 commit_next;	/* the next write is a commit's page */
	unsigned char	*buf;		/* WALBUF_CAP, for a WAL */
	sqlite3_int64	 off;		/* where buf[0] goes in the file */
	size_t		 len;
};

static sqlite3_vfs		*root;	/* the default VFS */
static sqlite3_vfs		 wb_vfs;
static const char		*wb_name;
static pthread_once_t		 wb_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t		 n_writes, n_flushes;

#define INNER(f)	(((struct wb_file *)(f))->inner)
#define IO(f)		(INNER(f)->pMethods)

/* Write out what is gathered. */
static int
wb_flush(struct wb_file *f)
{
	int rc;

	if (f->len == 0)
		return SQLITE_OK;
	atomic_fetch_add(&n_flushes, 1);
	rc = f->inner->pMethods->xWrite(f->inner, f->buf, (int)f->len,
	    f->off);
	f->len = 0;
	return rc;
}

static int
wb_close(sqlite3_file *file)
{
	struct wb_file *f = (struct wb_file *)file;
	int rc = wb_flush(f), rc2;

	free(f->buf);
	f->buf = NULL;
	rc2 = IO(f)->xClose(f->inner);
	return rc != SQLITE_OK ? rc : rc2;
}

static int
wb_read(sqlite3_file *file, void *p, int amt, sqlite3_int64 off)
{
	int rc = wb_flush((struct wb_file *)file);

	return rc != SQLITE_OK ? rc : IO(file)->xRead(INNER(file), p, amt,
	    off);
}

static int
wb_write(sqlite3_file *file, const void *p, int amt, sqlite3_int64 off)
{
	struct wb_file *f = (struct wb_file *)file;
	const unsigned char *h = p;
	int rc;

	if (!f->wal)
		return IO(f)->xWrite(f->inner, p, amt, off);
	atomic_fetch_add(&n_writes, 1);
	if (f->len > 0 && (off != f->off + (sqlite3_int64)f->len ||
	    (size_t)amt > WALBUF_CAP - f->len) &&
	    (rc = wb_flush(f)) != SQLITE_OK)
		return rc;
	if (amt < 0 || (size_t)amt > WALBUF_CAP) {
		f->commit_next = 0;	/* written through at once anyway */
		return IO(f)->xWrite(f->inner, p, amt, off);
	}
	if (f->len == 0)
		f->off = off;
	memcpy(f->buf + f->len, p, (size_t)amt);
	f->len += (size_t)amt;
	if (amt == WAL_FRAME_HDRSIZE) {
		/* Bytes 4-7: the database size after a commit, else 0. */
		f->commit_next = (h[4] | h[5] | h[6] | h[7]) != 0;
		return SQLITE_OK;
	}
	if (!f->commit_next)
		return SQLITE_OK;
	f->commit_next = 0;	/* the commit frame's page: out it goes */
	return wb_flush(f);
}

static int
wb_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	int rc = wb_flush((struct wb_file *)file);

	return rc != SQLITE_OK ? rc : IO(file)->xTruncate(INNER(file), size);
}

static int
wb_sync(sqlite3_file *file, int flags)
{
	int rc = wb_flush((struct wb_file *)file);

	return rc != SQLITE_OK ? rc : IO(file)->xSync(INNER(file), flags);
}

static int
wb_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	int rc = wb_flush((struct wb_file *)file);

	return rc != SQLITE_OK ? rc : IO(file)->xFileSize(INNER(file), size);
}

static int
wb_lock(sqlite3_file *file, int lock)
{
	return IO(file)->xLock(INNER(file), lock);
}

static int
wb_unlock(sqlite3_file *file, int lock)
{
	return IO(file)->xUnlock(INNER(file), lock);
}

static int
wb_check_reserved(sqlite3_file *file, int *out)
{
	return IO(file)->xCheckReservedLock(INNER(file), out);
}

static int
wb_file_control(sqlite3_file *file, int op, void *arg)
{
	int rc = wb_flush((struct wb_file *)file);

	return rc != SQLITE_OK ? rc : IO(file)->xFileControl(INNER(file), op,
	    arg);
}

static int
wb_sector_size(sqlite3_file *file)
{
	return IO(file)->xSectorSize(INNER(file));
}

static int
wb_device_chars(sqlite3_file *file)
{
	return IO(file)->xDeviceCharacteristics(INNER(file));
}

static int
wb_shm_map(sqlite3_file *file, int pg, int pgsz, int extend,
    void volatile **pp)
{
	return IO(file)->xShmMap(INNER(file), pg, pgsz, extend, pp);
}

static int
wb_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	return IO(file)->xShmLock(INNER(file), offset, n, flags);
}

static void
wb_shm_barrier(sqlite3_file *file)
{
	IO(file)->xShmBarrier(INNER(file));
}

static int
wb_shm_unmap(sqlite3_file *file, int del)
{
	return IO(file)->xShmUnmap(INNER(file), del);
}

static int
wb_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **pp)
{
	return IO(file)->xFetch(INNER(file), off, amt, pp);
}

static int
wb_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	return IO(file)->xUnfetch(INNER(file), off, p);
}

static const sqlite3_io_methods wb_io = {
	3,
	wb_close, wb_read, wb_write, wb_truncate, wb_sync, wb_file_size,
	wb_lock, wb_unlock, wb_check_reserved, wb_file_control,
	wb_sector_size, wb_device_chars,
	wb_shm_map, wb_shm_lock, wb_shm_barrier, wb_shm_unmap,
	wb_fetch, wb_unfetch
};

static int
wb_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file,
    int flags, int *out_flags)
{
	struct wb_file *f = (struct wb_file *)file;
	int rc;

	(void)vfs;
	memset(f, 0, sizeof(*f));
	f->inner = (sqlite3_file *)&f[1];
	f->wal = (flags & SQLITE_OPEN_WAL) != 0;
	if (f->wal && (f->buf = malloc(WALBUF_CAP)) == NULL)
		return SQLITE_NOMEM;
	rc = root->xOpen(root, name, f->inner, flags, out_flags);
	if (rc != SQLITE_OK || f->inner->pMethods == NULL) {
		free(f->buf);
		f->buf = NULL;
		return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
	}
	/* The default VFS's files have every method (version 3). */
	if (f->inner->pMethods->iVersion < 3) {
		f->inner->pMethods->xClose(f->inner);
		free(f->buf);
		f->buf = NULL;
		return SQLITE_CANTOPEN;
	}
	f->base.pMethods = &wb_io;
	return SQLITE_OK;
}

static int
wb_delete(sqlite3_vfs *vfs, const char *name, int sync)
{
	(void)vfs;
	return root->xDelete(root, name, sync);
}

static int
wb_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return root->xAccess(root, name, flags, out);
}

static int
wb_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return root->xFullPathname(root, name, n, out);
}

static void *
wb_dlopen(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return root->xDlOpen(root, name);
}

static void
wb_dlerror(sqlite3_vfs *vfs, int n, char *msg)
{
	(void)vfs;
	root->xDlError(root, n, msg);
}

static void (*wb_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return root->xDlSym(root, h, sym);
}

static void
wb_dlclose(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	root->xDlClose(root, h);
}

static int
wb_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return root->xRandomness(root, n, out);
}

static int
wb_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return root->xSleep(root, us);
}

static int
wb_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return root->xCurrentTime(root, out);
}

static int
wb_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return root->xGetLastError(root, n, out);
}

static int
wb_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return root->xCurrentTimeInt64(root, out);
}

static void
wb_register(void)
{
	if ((root = sqlite3_vfs_find(NULL)) == NULL || root->iVersion < 2)
		return;
	wb_vfs.iVersion = 2;
	wb_vfs.szOsFile = (int)sizeof(struct wb_file) + root->szOsFile;
	wb_vfs.mxPathname = root->mxPathname;
	wb_vfs.zName = WALBUF_NAME;
	wb_vfs.xOpen = wb_open;
	wb_vfs.xDelete = wb_delete;
	wb_vfs.xAccess = wb_access;
	wb_vfs.xFullPathname = wb_full_pathname;
	wb_vfs.xDlOpen = wb_dlopen;
	wb_vfs.xDlError = wb_dlerror;
	wb_vfs.xDlSym = wb_dlsym;
	wb_vfs.xDlClose = wb_dlclose;
	wb_vfs.xRandomness = wb_randomness;
	wb_vfs.xSleep = wb_sleep;
	wb_vfs.xCurrentTime = wb_current_time;
	wb_vfs.xGetLastError = wb_last_error;
	wb_vfs.xCurrentTimeInt64 = wb_current_time64;
	if (sqlite3_vfs_register(&wb_vfs, 0) == SQLITE_OK)
		wb_name = WALBUF_NAME;
}

const char *
walbuf_vfs(void)
{
	(void)pthread_once(&wb_once, wb_register);
	return wb_name;
}

/*
 * Zero-fill db's WAL file from its end to size bytes, and sync it: a
 * commit that writes over blocks already in the file syncs its data alone,
 * where one that makes the file longer also waits for the filesystem to
 * record the new blocks and size (on this machine's ext4, which has no
 * journal, fdatasync after a 4 KiB write: 84 against 130 us at the median,
 * docs/BENCHMARKS.md, session 11). SQLite starts the WAL over from its beginning after each
 * complete checkpoint and never shortens it (no journal_size_limit), so
 * the file only grows until it has held the most frames between two
 * checkpoints: each node paid that growth again after every start.
 *
 * Safe for SQLite: bytes past the WAL's last frame are never read as
 * frames (a frame of zeros has page number 0 and no salt, which recovery
 * and readers reject), as with the stale frames a WAL left longer than its
 * content has anyway. The fill happens inside BEGIN IMMEDIATE, holding the
 * WAL's write lock, so no connection writes frames there meanwhile, and
 * through SQLite's own file object for the WAL (SQLITE_FCNTL_JOURNAL_POINTER).
 * Returns the bytes added, or -1 with SQLite's message in err.
 */
sqlite3_int64
walbuf_prefill(sqlite3 *db, sqlite3_int64 size, char *err, size_t errlen)
{
	/* The unix VFS writes less than 128 KiB per call (see WALBUF_CAP). */
	static const unsigned char zero[64 * 1024];
	sqlite3_file *wal = NULL;
	sqlite3_int64 have = 0, off;
	int n, rc;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "WAL prefill: %s", sqlite3_errmsg(db));
		return -1;
	}
	rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER,
	    &wal);
	if (rc == SQLITE_OK && (wal == NULL || wal->pMethods == NULL))
		rc = SQLITE_NOTFOUND;	/* no WAL open: not in WAL mode */
	if (rc == SQLITE_OK)
		rc = wal->pMethods->xFileSize(wal, &have);
	for (off = have; rc == SQLITE_OK && off < size; off += n) {
		n = size - off < (sqlite3_int64)sizeof(zero) ? (int)(size -
		    off) : (int)sizeof(zero);
		rc = wal->pMethods->xWrite(wal, zero, n, off);
	}
	if (rc == SQLITE_OK && have < size)
		rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL |
		    SQLITE_SYNC_DATAONLY);
	/* The transaction changed nothing: it only held the lock. */
	(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "WAL prefill: %s", sqlite3_errstr(rc));
		return -1;
	}
	return have < size ? size - have : 0;
}

void
walbuf_stats(struct walbuf_stats *s)
{
	s->writes = atomic_load(&n_writes);
	s->flushes = atomic_load(&n_flushes);
}
