/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared helpers for the dirty-bitmap migration integration suite. */
#ifndef DBM_COMMON_H
#define DBM_COMMON_H

#include <jansson.h>
#include "libqtest.h"
#include "migration-helpers.h"

/*
 * Every helper drives real VMM processes through QMP/HMP only, and
 * asserts QEMU 7.2 behaviour: the suite also runs with QEMU 7.2's own
 * module built in (scripts/check-module.sh), and log checks look for
 * message texts without the "<binary>: " prefix.
 */

/* Machine options every VM of the suite starts with. */
#define DBM_BASE_ARGS "-M none -nodefaults "

/* sha256 of the bitmaps bmA and bmB of the captures (CAPTURES.txt). */
#define DBM_SHA_BMA \
    "46c6ec8ea1782b34c09bbcf6dba3194b22bf826e48f964b5408a9c94956298d5"
#define DBM_SHA_BMB \
    "653e36a4f85d6516f3960a5c8f1d20eda0996acdab5d356c6742c23d5fab60bf"

/**
 * DBMOracle: the expected contents of one bitmap, as a plain byte array
 * (bit g of the bitmap is bit g % 8 of byte g / 8), fed with the same
 * writes as the VM.  dbm_oracle_sha256() hashes it the way
 * x-debug-block-dirty-bitmap-sha256 does (64-bit little-endian words).
 */
typedef struct DBMOracle {
    uint64_t disk_size;     /* bytes */
    uint64_t granularity;   /* bytes, a power of two >= 512 */
    uint64_t nbits;         /* ceil(disk_size / granularity) */
    bool enabled;           /* records writes */
    uint8_t *bits;          /* 8 * ceil(nbits / 64) bytes */
} DBMOracle;

DBMOracle *dbm_oracle_new(uint64_t disk_size, uint64_t granularity,
                          bool enabled);
void dbm_oracle_free(DBMOracle *o);
/* Mark [@off, @off + @len) if the oracle is enabled (or @force). */
void dbm_oracle_write(DBMOracle *o, uint64_t off, uint64_t len, bool force);
/*
 * BlockDirtyInfo.count: set bits * granularity, not clipped at the disk
 * end (QEMU 7.2's hbitmap_count() shifts the bit count).
 */
uint64_t dbm_oracle_count(const DBMOracle *o);
char *dbm_oracle_sha256(const DBMOracle *o);

/* Start a VM with DBM_BASE_ARGS and @fmt's arguments. */
QTestState *dbm_vm_start(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Like dbm_vm_start(), plus "-incoming defer". */
QTestState *dbm_vm_start_incoming(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* qemu-io write (@zero: write -z) through HMP. */
void dbm_write(QTestState *s, const char *node, uint64_t off, uint64_t len,
               bool zero);
/*
 * Assert the bitmap's flags and granularity in query-named-block-nodes,
 * and, when @device is not NULL, the same entry in query-block's
 * "inserted" of that device.
 */
void dbm_assert_bitmap(QTestState *s, const char *device, const char *node,
                       const char *name, bool recording, bool busy,
                       bool persistent, uint64_t granularity);
/* Assert that @node has no bitmap @name (and, if NULL, no bitmap at all). */
void dbm_assert_no_bitmap(QTestState *s, const char *node, const char *name);
/* Assert sha256 and count of @node's @name equal the oracle's. */
void dbm_assert_oracle(QTestState *s, const char *node, const char *name,
                       const DBMOracle *o);
/* Assert that @src's bitmap and @dst's have the same sha256. */
void dbm_assert_same_sha(QTestState *src, const char *src_node,
                         const char *src_name, QTestState *dst,
                         const char *dst_node, const char *dst_name);
/* Assert that removing @name is refused as busy. */
void dbm_assert_busy_remove(QTestState *s, const char *node,
                            const char *name);

/*
 * Poll until no bitmap of @node is busy: after a 'failed' MIGRATION
 * event the source releases its bitmaps in the cleanup that follows
 * (as in QEMU, where migrate_fd_cleanup runs in a bottom half).
 */
void dbm_wait_not_busy(QTestState *s, const char *node);
/* Poll (QMP round trips, bounded by the timeout) until the bitmap exists. */
void dbm_wait_bitmap(QTestState *s, const char *node, const char *name);

/* Assert the log of @s contains / lacks @text. */
void dbm_assert_log_has(QTestState *s, const char *text);
void dbm_assert_log_lacks(QTestState *s, const char *text);

/* A string of @len characters: @prefix, then 'x'. */
char *dbm_long_name(const char *prefix, size_t len);

#endif /* DBM_COMMON_H */
