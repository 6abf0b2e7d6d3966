/*
 * pcache.h: SQLite's own page cache, wrapped so that ending a transaction
 * does not scan the whole cache for nothing (pcache.c).
 */
#ifndef HOTLINE_PCACHE_H
#define HOTLINE_PCACHE_H

#include <stdint.h>

/* What the wrapper did since it was installed (all connections). */
struct pcache_stats {
	uint64_t	truncates;	/* truncate calls seen */
	uint64_t	passed;		/* of them handed to SQLite's cache */
	uint64_t	high_rekeys;	/* pages moved beyond every other key */
};

/*
 * Install the wrapper for every connection of the process. Must run before
 * SQLite is initialised (the first sqlite3_open*() does that); later it
 * changes nothing. Safe to call more than once, from one thread at a time.
 * Returns 0 if the wrapper is in place, -1 if not (SQLite already
 * initialised, or its cache could not be read).
 */
int	pcache_install(void);

/* A snapshot of the counters (zero if the wrapper is not installed). */
void	pcache_stats(struct pcache_stats *);

#endif
