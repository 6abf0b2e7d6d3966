/*
 * walbuf.h: a VFS over SQLite's default one that writes a WAL's frames in
 * large writes instead of two small ones per frame (walbuf.c).
 */
#ifndef HOTLINE_WALBUF_H
#define HOTLINE_WALBUF_H

#include <stdint.h>

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

#endif
