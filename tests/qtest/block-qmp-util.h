/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for the block qtests: expected errors, node and bitmap state. */
#ifndef BLOCK_QMP_UTIL_H
#define BLOCK_QMP_UTIL_H

#include "libqtest.h"
#include "migration-helpers.h"

/* Send @cmd; expect a GenericError whose desc is @desc. */
void qmp_expect_error(QTestState *qts, const char *desc, const char *cmd);
/* The same, with the command made from @fmt. */
void qmp_expect_errorf(QTestState *qts, const char *desc, const char *fmt,
                       ...) G_GNUC_PRINTF(3, 4);

/* A sparse image file @name of @size bytes in @dir (g_free the path). */
char *make_image(const char *dir, const char *name, int64_t size);

/* A directory for the test's images, made once, removed at exit. */
const char *block_test_dir(void);

/* blockdev-add a null-co node @node of @size bytes. */
void add_null_node(QTestState *qts, const char *node, int64_t size);

/* Member @key of @node's BlockDeviceInfo, as an integer or a boolean. */
int64_t node_int(QTestState *qts, const char *node, const char *key);
bool node_bool(QTestState *qts, const char *node, const char *key);

/* The image size query-named-block-nodes reports for @node. */
int64_t node_size(QTestState *qts, const char *node);

/*
 * Every bitmap of every node, one line each in query order:
 * "node/name count=N gran=N rec=B busy=B pers=B sha=HEX" (g_free it).
 * Equal snapshots mean no bitmap changed in any way QMP shows.
 */
char *bitmaps_snapshot(QTestState *qts);

/* Run qemu-io @cmd on @node; the HMP reply must be empty. */
void qemu_io(QTestState *qts, const char *node, const char *cmd);

#endif /* BLOCK_QMP_UTIL_H */
