/*
 * walbuf.h: a VFS over SQLite's default one that writes a WAL's frames in
 * large writes instead of two small ones per frame (walbuf.c).
 */
#ifndef HOTLINE_WALBUF_H
#define HOTLINE_WALBUF_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* Writes to WAL files: as SQLite made them, and as they reached the file. */
struct walbuf_stats {
	uint64_t	writes;
	uint64_t	flushes;
};

/*
 * Register the VFS (once; not as the default). Returns its name, for
 * sqlite3_open_v2(), or NULL if it could not be registered (then open
 * with the default VFS).
 */
const char	*walbuf_vfs(void);
void		 walbuf_stats(struct walbuf_stats *);

/*
 * Zero-fill db's WAL file up to size bytes (never shorten it) and sync it,
 * so that commits write over blocks the file already has. Returns the
 * bytes added, or -1 with a message in err.
 */
sqlite3_int64	 walbuf_prefill(sqlite3 *db, sqlite3_int64 size, char *err,
		    size_t errlen);

#endif
