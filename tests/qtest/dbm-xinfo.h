/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for minivmm's x-dirty-bitmaps (query-migrate) in the qtests. */
#ifndef DBM_XINFO_H
#define DBM_XINFO_H

#include <jansson.h>
#include "libqtest.h"

/*
 * query-migrate's "x-dirty-bitmaps" member of @s (minivmm's extension,
 * qapi/migration.json), as a new reference, or NULL if it has none.
 */
json_t *xdbm_query(QTestState *s);
/* Member @name of @x, an unsigned integer (asserted present). */
uint64_t xdbm_uint(json_t *x, const char *name);
/* @x's per-bitmap entry for bitmap @name, or NULL (borrowed). */
json_t *xdbm_bitmap(json_t *x, const char *name);
/* @x's "dropped" entry for bitmap @name, or NULL (borrowed). */
json_t *xdbm_dropped(json_t *x, const char *name);
/* The number of "dropped" entries of @x. */
size_t xdbm_n_dropped(json_t *x);
/*
 * Assert @x lists bitmap @name of node @node as dropped for @reason,
 * kept (with "dirty-from" @dirty_from) or not.
 */
void xdbm_assert_dropped(json_t *x, const char *node, const char *name,
                         const char *reason, bool kept, uint64_t dirty_from);

/*
 * The bytes of reference capture @file (tests/data/streams, or
 * $DBM_STREAMS_DIR), or NULL after marking the test skipped.
 */
GByteArray *xdbm_capture(const char *file);
/* Write @len bytes of @data as @name in @s's tmpdir; its path (g_free). */
char *xdbm_tmp_file(QTestState *s, const char *name, const void *data,
                    size_t len);
/*
 * Poll query-migrate (round trips, bounded by the harness timeout) until
 * the status is "completed" or "failed"; return it (g_free).
 */
char *xdbm_wait_end(QTestState *s);
/*
 * Migrate @src to @dst in postcopy at @bandwidth bytes/s: precopy held
 * (downtime-limit 0) until @bitmap exists on @dst, then the switch.
 */
void xdbm_slow_postcopy(QTestState *src, QTestState *dst,
                        uint64_t bandwidth, const char *bitmap);

#endif /* DBM_XINFO_H */
