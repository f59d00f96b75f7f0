/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Migration and bitmap helpers shared by the qtests (QMP only). */
#ifndef MIGRATION_HELPERS_H
#define MIGRATION_HELPERS_H

#include <jansson.h>
#include "libqtest.h"

/*
 * Everything here talks QMP to a QTestState and works the same on QEMU
 * 7.2, which several suites run as a peer or as the binary under test.
 * Every wait is bounded: events by the state's timeout, polling loops
 * by MIG_POLL_SECONDS.
 */
#define MIG_POLL_SECONDS 60

/* Processes */

/* QEMU 7.2's binary: $DBM_PEER_QEMU, else the Debian package's. */
const char *mig_qemu_7_2(void);
/* If QEMU 7.2 is not there, mark the test skipped and return true. */
bool mig_skip_without_qemu_7_2(void);
/* Like qtest_init(@args), but spawning @binary. */
QTestState *mig_vm_start_binary(const char *binary, const char *args);
/* Wait until @s exits on its own with exit status @status. */
void mig_wait_exit_status(QTestState *s, int status);

/* QMP queries and settings */

/* QMP @cmd with JSON @args (may be NULL); the error desc or NULL. */
char *mig_qmp_error(QTestState *s, const char *cmd, const char *args);
/* query-migrate's "status" ("" when there is none); g_free it. */
char *mig_query_status(QTestState *s);
/* The member @name of query-migrate's "ram" (0 when absent). */
uint64_t mig_ram_stat(QTestState *s, const char *name);
/* query-status's "status" (the run state); g_free it. */
char *mig_runstate(QTestState *s);
/*
 * Poll the run state while it is @transient (a 'completed' event may
 * come a little before the run state changes, as in QEMU); return it.
 */
char *mig_runstate_leaves(QTestState *s, const char *transient);

/* Enable each capability of the comma-separated list @caps. */
void mig_set_caps(QTestState *s, const char *caps);
/* migrate-set-parameters with the JSON members @members; must succeed. */
void mig_set_params(QTestState *s, const char *members);
/* migrate-set-parameters; the error desc (g_free it) or NULL. */
char *mig_set_params_error(QTestState *s, const char *members);

/* Migrating */

/* "unix:@dir/@name" (g_free it). */
char *mig_unix_uri(const char *dir, const char *name);
/* The migrate command to @uri; it must be accepted. */
void mig_migrate_to(QTestState *src, const char *uri);
/* migrate-incoming on @dst (a unix socket in its tmpdir), then migrate. */
void mig_migrate(QTestState *src, QTestState *dst);
/* Enable events and dirty-bitmaps on both, migrate, wait for completed. */
void mig_migrate_and_complete(QTestState *src, QTestState *dst);

/*
 * Wait for a MIGRATION event whose status is one of the '|'-separated
 * @statuses and return it (json_decref it).  Every status met on the
 * way, that one included, is appended to @seen ('|'-separated) unless
 * @seen is NULL.  A "failed" that is not in @statuses fails the test.
 */
json_t *mig_wait_event(QTestState *s, const char *statuses, GString *seen);
/* Like mig_wait_event(), but return the status found (g_free it). */
char *mig_wait_status(QTestState *s, const char *statuses);

/* Dirty bitmaps */

/* block-dirty-bitmap-add (@granularity 0: the default); must succeed. */
void mig_bitmap_add(QTestState *s, const char *node, const char *name,
                    uint64_t granularity, bool disabled);
/* x-debug-block-dirty-bitmap-sha256 of @node's bitmap @name (g_free it). */
char *mig_bitmap_sha256(QTestState *s, const char *node, const char *name);
/*
 * @node's entry in query-named-block-nodes, else the "inserted" member
 * of the query-block device @node; NULL if neither (json_decref it).
 */
json_t *mig_node_info(QTestState *s, const char *node);
/* The BlockDirtyInfo named @name in the list @bitmaps (borrowed), or NULL. */
json_t *mig_find_bitmap(json_t *bitmaps, const char *name);
/* @node's "dirty-bitmaps" list, NULL if it has none (json_decref it). */
json_t *mig_node_bitmaps(QTestState *s, const char *node);
/*
 * The BlockDirtyInfo of @node's bitmap @name, NULL if there is none
 * (json_decref it).  @node must exist.
 */
json_t *mig_bitmap_info(QTestState *s, const char *node, const char *name);

#endif /* MIGRATION_HELPERS_H */
