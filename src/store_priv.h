/*
 * store_priv.h: for the files that extend the store layer (store_nrrc.c)
 * and nothing else: the SQLite connection behind a struct store. SQL stays
 * inside store*.c.
 */
#ifndef HOTLINE_STORE_PRIV_H
#define HOTLINE_STORE_PRIV_H

#include <sqlite3.h>

#include "store.h"

sqlite3	*store_sqlite(struct store *st);

#endif
