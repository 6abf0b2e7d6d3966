/*
 * pcache.c: SQLite's default page cache with one shortcut. At the end of
 * every write transaction SQLite truncates the page cache to the database
 * size (pager_end_transaction). Its cache (pcache1) does that cheaply only
 * if it has never held a page beyond the new end: otherwise it walks its
 * whole hash table and every page header in it. Splitting a B-tree page
 * out of order (balance_nonroot, i.e. any random-key index such as
 * msg_keys_new, or msgs.id before migration 8) moves a page to a
 * temporary key far beyond the end of the file and back again, so after
 * nearly every transaction of ours SQLite walked the whole 64 MiB cache
 * (16,384 pages, mostly cache misses): measured 16 % of the receiving
 * daemon's CPU in the throughput benchmark.
 *
 * The wrapper hands every call to SQLite's own cache unchanged, and keeps
 * for each cache an upper bound of the keys it can hold: the largest key
 * fetched or moved to, except keys a page was moved to beyond every other
 * key (a few slots), which are forgotten when the page moves on. A
 * truncation that cannot remove anything (no key at or past its limit) is
 * not handed on; its effect would have been none. Any doubt (a full slot
 * table, a page dropped while at a slot key) only makes a truncation go
 * through, as before.
 *
 * The state of a cache is used only by the connection that owns it, which
 * SQLite serialises; the counters are atomics.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "pcache.h"

/* Keys beyond every other key that are remembered (balance_nonroot moves
 * one page at a time through the temporary key). */
#define PCACHE_SLOTS	4

struct pcache {
	sqlite3_pcache	*inner;
	unsigned	 max;		/* keys held are <= max, or in slot[] */
	unsigned	 slot[PCACHE_SLOTS];	/* 0: free */
};

/* Set once by pcache_install() before SQLite uses them. */
static sqlite3_pcache_methods2	inner_m;
static bool			installed;
static pthread_once_t		install_once = PTHREAD_ONCE_INIT;

static _Atomic uint64_t	n_truncates, n_passed, n_high_rekeys;

static int
pc_init(void *arg)
{
	(void)arg;
	return inner_m.xInit(inner_m.pArg);
}

static void
pc_shutdown(void *arg)
{
	(void)arg;
	if (inner_m.xShutdown != NULL)
		inner_m.xShutdown(inner_m.pArg);
}

static sqlite3_pcache *
pc_create(int szPage, int szExtra, int bPurgeable)
{
	struct pcache *pc;

	if ((pc = sqlite3_malloc(sizeof(*pc))) == NULL)
		return NULL;
	memset(pc, 0, sizeof(*pc));
	if ((pc->inner = inner_m.xCreate(szPage, szExtra, bPurgeable)) ==
	    NULL) {
		sqlite3_free(pc);
		return NULL;
	}
	return (sqlite3_pcache *)pc;
}

static void
pc_cachesize(sqlite3_pcache *p, int n)
{
	inner_m.xCachesize(((struct pcache *)p)->inner, n);
}

static int
pc_pagecount(sqlite3_pcache *p)
{
	return inner_m.xPagecount(((struct pcache *)p)->inner);
}

static int
slot_find(const struct pcache *pc, unsigned key)
{
	int i;

	for (i = 0; i < PCACHE_SLOTS; i++)
		if (pc->slot[i] == key)
			return i;
	return -1;
}

static sqlite3_pcache_page *
pc_fetch(sqlite3_pcache *p, unsigned key, int create)
{
	struct pcache *pc = (struct pcache *)p;
	sqlite3_pcache_page *pg;

	pg = inner_m.xFetch(pc->inner, key, create);
	if (pg != NULL && key > pc->max && slot_find(pc, key) == -1)
		pc->max = key;
	return pg;
}

static void
pc_unpin(sqlite3_pcache *p, sqlite3_pcache_page *pg, int discard)
{
	inner_m.xUnpin(((struct pcache *)p)->inner, pg, discard);
}

static void
pc_rekey(sqlite3_pcache *p, sqlite3_pcache_page *pg, unsigned old_key,
    unsigned new_key)
{
	struct pcache *pc = (struct pcache *)p;
	int i;

	inner_m.xRekey(pc->inner, pg, old_key, new_key);
	/* One page per key: nothing is left at old_key. */
	if (old_key != 0 && (i = slot_find(pc, old_key)) != -1)
		pc->slot[i] = 0;
	if (new_key <= pc->max || slot_find(pc, new_key) != -1)
		return;
	if (new_key != 0 && (i = slot_find(pc, 0)) != -1) {
		pc->slot[i] = new_key;
		atomic_fetch_add_explicit(&n_high_rekeys, 1,
		    memory_order_relaxed);
	} else
		pc->max = new_key;
}

/*
 * Drop every page with a key >= limit: only if one may exist. Skipping is
 * exact: SQLite's cache would have found nothing to drop.
 */
static void
pc_truncate(sqlite3_pcache *p, unsigned limit)
{
	struct pcache *pc = (struct pcache *)p;
	bool need = limit == 0 || pc->max >= limit;
	int i;

	atomic_fetch_add_explicit(&n_truncates, 1, memory_order_relaxed);
	for (i = 0; i < PCACHE_SLOTS && !need; i++)
		need = pc->slot[i] >= limit;
	if (!need)
		return;
	atomic_fetch_add_explicit(&n_passed, 1, memory_order_relaxed);
	inner_m.xTruncate(pc->inner, limit);
	if (limit == 0) {
		pc->max = 0;
		memset(pc->slot, 0, sizeof(pc->slot));
		return;
	}
	if (pc->max >= limit)
		pc->max = limit - 1;
	for (i = 0; i < PCACHE_SLOTS; i++)
		if (pc->slot[i] >= limit)
			pc->slot[i] = 0;
}

static void
pc_destroy(sqlite3_pcache *p)
{
	struct pcache *pc = (struct pcache *)p;

	inner_m.xDestroy(pc->inner);
	sqlite3_free(pc);
}

static void
pc_shrink(sqlite3_pcache *p)
{
	inner_m.xShrink(((struct pcache *)p)->inner);
}

static const sqlite3_pcache_methods2 wrap_m = {
	.iVersion = 1,
	.pArg = NULL,
	.xInit = pc_init,
	.xShutdown = pc_shutdown,
	.xCreate = pc_create,
	.xCachesize = pc_cachesize,
	.xPagecount = pc_pagecount,
	.xFetch = pc_fetch,
	.xUnpin = pc_unpin,
	.xRekey = pc_rekey,
	.xTruncate = pc_truncate,
	.xDestroy = pc_destroy,
	.xShrink = pc_shrink,
};

static void
install(void)
{
	sqlite3_pcache_methods2 m;

	memset(&m, 0, sizeof(m));
	if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &m) != SQLITE_OK ||
	    m.xInit == NULL || m.xCreate == NULL || m.xFetch == NULL ||
	    m.xTruncate == NULL || m.xRekey == NULL || m.xUnpin == NULL ||
	    m.xDestroy == NULL || m.xCachesize == NULL ||
	    m.xPagecount == NULL || m.xShrink == NULL)
		return;
	inner_m = m;
	if (sqlite3_config(SQLITE_CONFIG_PCACHE2, &wrap_m) != SQLITE_OK)
		return;
	installed = true;
}

int
pcache_install(void)
{
	(void)pthread_once(&install_once, install);
	return installed ? 0 : -1;
}

void
pcache_stats(struct pcache_stats *s)
{
	s->truncates = atomic_load(&n_truncates);
	s->passed = atomic_load(&n_passed);
	s->high_rekeys = atomic_load(&n_high_rekeys);
}
