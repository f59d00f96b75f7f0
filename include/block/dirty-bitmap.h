/* SPDX-License-Identifier: GPL-2.0-or-later */
/* BdrvDirtyBitmap: per-node dirty tracking in bytes (QEMU 7.2 API). */
#ifndef BLOCK_DIRTY_BITMAP_H
#define BLOCK_DIRTY_BITMAP_H

#include "qemu/hbitmap.h"

/*
 * A node (BlockDriverState) keeps a list of bitmaps, newest first; each
 * marks the granules (power-of-two byte ranges, at least 512 bytes) that
 * guest writes and discards touched while it was enabled. All offsets and
 * lengths below are in bytes.
 *
 * Locking: the list changes with the BQL and the node's
 * dirty_bitmap_mutex held (either one suffices to walk it); bits and
 * flags change under the mutex. Functions take the mutex themselves
 * unless their name ends in _locked, which means "called within
 * bdrv_dirty_bitmap_lock()..bdrv_dirty_bitmap_unlock()". The mutex is not
 * recursive. Lookups, getters, searches and (de)serialization take no
 * lock: the caller keeps the bitmap from changing under them.
 */

typedef struct BlockDirtyInfoList BlockDirtyInfoList;

/* Longest bitmap name accepted (qcow2's limit), in bytes without the NUL. */
#define BDRV_BITMAP_MAX_NAME_SIZE 1023

/* States bdrv_dirty_bitmap_check() refuses; tested in this order. */
typedef enum BitmapCheckFlags {
    BDRV_BITMAP_BUSY = 1,
    BDRV_BITMAP_RO = 2,
    BDRV_BITMAP_INCONSISTENT = 4,
} BitmapCheckFlags;

/* Refuse all three: what an operation that changes the bits wants. */
#define BDRV_BITMAP_DEFAULT \
    (BDRV_BITMAP_BUSY | BDRV_BITMAP_RO | BDRV_BITMAP_INCONSISTENT)
/* Readonly is fine: reading a bitmap, or toggling whether it records. */
#define BDRV_BITMAP_ALLOW_RO (BDRV_BITMAP_DEFAULT & ~BDRV_BITMAP_RO)

/* ---- The node's list (called with BQL taken) ---- */

/**
 * bdrv_create_dirty_bitmap: a new bitmap covering the whole node
 * @granularity: bytes per bit, a power of two of at least 512
 * @name: the bitmap's name, or NULL for an anonymous (internal) bitmap
 *
 * The bitmap is empty, enabled, not persistent, and first in the list.
 * Fails with "Granularity must be power of 2 and at least 512",
 * "Bitmap already exists: %s", "Bitmap name too long: %s", or when the
 * node's length is unknown or the map would be unreasonably large.
 */
BdrvDirtyBitmap *bdrv_create_dirty_bitmap(BlockDriverState *bs,
                                          uint32_t granularity,
                                          const char *name,
                                          Error **errp);
/* The bitmap called @name on @bs, or NULL. Never an anonymous one. */
BdrvDirtyBitmap *bdrv_find_dirty_bitmap(BlockDriverState *bs,
                                        const char *name);
/* Walk the list, anonymous bitmaps included; NULL after the last. */
BdrvDirtyBitmap *bdrv_dirty_bitmap_first(BlockDriverState *bs);
BdrvDirtyBitmap *bdrv_dirty_bitmap_next(BdrvDirtyBitmap *bitmap);
#define FOR_EACH_DIRTY_BITMAP(bs, bitmap)                             \
    for ((bitmap) = bdrv_dirty_bitmap_first(bs); (bitmap) != NULL;    \
         (bitmap) = bdrv_dirty_bitmap_next(bitmap))
bool bdrv_has_named_bitmaps(BlockDriverState *bs);
/* While true, writes and discards to the node fail with -EPERM. */
bool bdrv_has_readonly_bitmaps(BlockDriverState *bs);
/* Unlink and free; it must not be busy, have a successor or iterators. */
void bdrv_release_dirty_bitmap(BdrvDirtyBitmap *bitmap);
/* Release every named bitmap of @bs (when the node closes). */
void bdrv_release_named_dirty_bitmaps(BlockDriverState *bs);

/* ---- State ---- */

const char *bdrv_dirty_bitmap_name(const BdrvDirtyBitmap *bitmap);
int64_t bdrv_dirty_bitmap_size(const BdrvDirtyBitmap *bitmap);
uint32_t bdrv_dirty_bitmap_granularity(const BdrvDirtyBitmap *bitmap);
/* Bytes covered by dirty granules (a partial last granule counts whole). */
int64_t bdrv_get_dirty_count(BdrvDirtyBitmap *bitmap);
/* What a new bitmap on @bs gets when QMP names no granularity. */
uint32_t bdrv_get_default_bitmap_granularity(BlockDriverState *bs);

/* Enabled bitmaps record writes; disabling freezes the bits. */
bool bdrv_dirty_bitmap_enabled(BdrvDirtyBitmap *bitmap);
void bdrv_enable_dirty_bitmap(BdrvDirtyBitmap *bitmap);
void bdrv_enable_dirty_bitmap_locked(BdrvDirtyBitmap *bitmap);
void bdrv_disable_dirty_bitmap(BdrvDirtyBitmap *bitmap);
/* Busy: an operation (migration, a job) owns the bitmap. */
void bdrv_dirty_bitmap_set_busy(BdrvDirtyBitmap *bitmap, bool busy);
/* Readonly: set by drivers for bitmaps of read-only images. */
bool bdrv_dirty_bitmap_readonly(const BdrvDirtyBitmap *bitmap);
void bdrv_dirty_bitmap_set_readonly(BdrvDirtyBitmap *bitmap, bool value);
/* Persistent: the driver stores it in the image at inactivation. */
void bdrv_dirty_bitmap_set_persistence(BdrvDirtyBitmap *bitmap,
                                       bool persistent);
/* Persistent and not skipped, i.e. whether the next store writes it. */
bool bdrv_dirty_bitmap_get_persistence(BdrvDirtyBitmap *bitmap);
/* While @skip, the driver neither stores nor releases it (migration). */
void bdrv_dirty_bitmap_skip_store(BdrvDirtyBitmap *bitmap, bool skip);
/* The stored copy was in use when loaded: disabled until removed. */
void bdrv_dirty_bitmap_set_inconsistent(BdrvDirtyBitmap *bitmap);
bool bdrv_dirty_bitmap_inconsistent(const BdrvDirtyBitmap *bitmap);
/* Declared by QEMU 7.2 without a definition; always false here. */
bool bdrv_dirty_bitmap_get_autoload(const BdrvDirtyBitmap *bitmap);

/**
 * bdrv_dirty_bitmap_check: may an operation use @bitmap?
 * @flags: the BDRV_BITMAP_* states to refuse
 *
 * Returns 0, or -1 with @errp set for the first refused state, in the
 * order busy, readonly, inconsistent.
 */
int bdrv_dirty_bitmap_check(const BdrvDirtyBitmap *bitmap, uint32_t flags,
                            Error **errp);

/*
 * ---- Successors (called with BQL taken) ----
 * An operation that reads a bitmap over time freezes it: an anonymous
 * successor records new writes meanwhile. When the operation ends the
 * successor is either merged back (reclaim: the operation failed, keep
 * everything) or replaces the bitmap (abdicate: what was read is done).
 */

/* Create the successor; @bitmap becomes disabled and busy. 0 or -1. */
int bdrv_dirty_bitmap_create_successor(BdrvDirtyBitmap *bitmap,
                                       Error **errp);
bool bdrv_dirty_bitmap_has_successor(BdrvDirtyBitmap *bitmap);
/* Let the successor record (it must exist); @bitmap stays frozen. */
void bdrv_dirty_bitmap_enable_successor(BdrvDirtyBitmap *bitmap);
/* The successor takes name and persistence; @bitmap is released. */
BdrvDirtyBitmap *bdrv_dirty_bitmap_abdicate(BdrvDirtyBitmap *bitmap,
                                            Error **errp);
/* Merge the successor in and release it; @bitmap takes its enabled state. */
BdrvDirtyBitmap *bdrv_reclaim_dirty_bitmap(BdrvDirtyBitmap *bitmap,
                                           Error **errp);
BdrvDirtyBitmap *bdrv_reclaim_dirty_bitmap_locked(BdrvDirtyBitmap *bitmap,
                                                  Error **errp);

/* ---- Bits ---- */

void bdrv_dirty_bitmap_lock(BdrvDirtyBitmap *bitmap);
void bdrv_dirty_bitmap_unlock(BdrvDirtyBitmap *bitmap);
/* Is the granule holding @offset dirty? */
bool bdrv_dirty_bitmap_get(BdrvDirtyBitmap *bitmap, int64_t offset);
bool bdrv_dirty_bitmap_get_locked(BdrvDirtyBitmap *bitmap, int64_t offset);
/* Mark every granule the range touches. Not on readonly bitmaps. */
void bdrv_set_dirty_bitmap(BdrvDirtyBitmap *bitmap,
                           int64_t offset, int64_t bytes);
void bdrv_set_dirty_bitmap_locked(BdrvDirtyBitmap *bitmap,
                                  int64_t offset, int64_t bytes);
/* Clear whole granules: the range is granule-aligned or ends the map. */
void bdrv_reset_dirty_bitmap(BdrvDirtyBitmap *bitmap,
                             int64_t offset, int64_t bytes);
void bdrv_reset_dirty_bitmap_locked(BdrvDirtyBitmap *bitmap,
                                    int64_t offset, int64_t bytes);
/**
 * bdrv_merge_dirty_bitmap: OR @src into @dest
 * @backup: if not NULL, receives @dest's previous bits, for
 *          bdrv_restore_dirty_bitmap()
 *
 * @dest must pass check(DEFAULT), @src check(ALLOW_RO), and both must
 * cover the same number of bytes ("Bitmaps are of different sizes ...");
 * granularities and nodes may differ. On failure nothing changes.
 */
bool bdrv_merge_dirty_bitmap(BdrvDirtyBitmap *dest,
                             const BdrvDirtyBitmap *src,
                             HBitmap **backup, Error **errp);

/* ---- Reading: iterators, searches, serialization (no locking) ---- */

/* Iterators visit the start of each dirty granule; -1 at the end. */
BdrvDirtyBitmapIter *bdrv_dirty_iter_new(BdrvDirtyBitmap *bitmap);
int64_t bdrv_dirty_iter_next(BdrvDirtyBitmapIter *iter);
/* Restart @hbi at @offset. */
void bdrv_set_dirty_iter(BdrvDirtyBitmapIter *hbi, int64_t offset);
void bdrv_dirty_iter_free(BdrvDirtyBitmapIter *iter);

int64_t bdrv_dirty_bitmap_next_dirty(BdrvDirtyBitmap *bitmap, int64_t offset,
                                     int64_t bytes);
int64_t bdrv_dirty_bitmap_next_zero(BdrvDirtyBitmap *bitmap, int64_t offset,
                                    int64_t bytes);
/* The first dirty run in [start, end), at most @max_dirty_count long. */
bool bdrv_dirty_bitmap_next_dirty_area(BdrvDirtyBitmap *bitmap,
        int64_t start, int64_t end, int64_t max_dirty_count,
        int64_t *dirty_start, int64_t *dirty_count);

/* Hex SHA-256 of the bit array as 64-bit little-endian words. */
char *bdrv_dirty_bitmap_sha256(const BdrvDirtyBitmap *bitmap, Error **errp);

/*
 * Serialization: one bit per granule, 64-bit little-endian words.
 * Chunks start on bdrv_dirty_bitmap_serialization_align() and only the
 * last one may be shorter; see hbitmap_serialize_part(). The count and
 * searches are stale between deserializing and _finish().
 */
uint64_t bdrv_dirty_bitmap_serialization_align(const BdrvDirtyBitmap *bitmap);
/* Bytes of node described by @serialized_chunk_size (a multiple of 8). */
uint64_t bdrv_dirty_bitmap_serialization_coverage(int serialized_chunk_size,
        const BdrvDirtyBitmap *bitmap);
uint64_t bdrv_dirty_bitmap_serialization_size(const BdrvDirtyBitmap *bitmap,
                                              uint64_t offset,
                                              uint64_t bytes);
void bdrv_dirty_bitmap_serialize_part(const BdrvDirtyBitmap *bitmap,
                                      uint8_t *buf, uint64_t offset,
                                      uint64_t bytes);
void bdrv_dirty_bitmap_deserialize_part(BdrvDirtyBitmap *bitmap,
                                        uint8_t *buf, uint64_t offset,
                                        uint64_t bytes, bool finish);
void bdrv_dirty_bitmap_deserialize_zeroes(BdrvDirtyBitmap *bitmap,
                                          uint64_t offset, uint64_t bytes,
                                          bool finish);
void bdrv_dirty_bitmap_deserialize_ones(BdrvDirtyBitmap *bitmap,
                                        uint64_t offset, uint64_t bytes,
                                        bool finish);
void bdrv_dirty_bitmap_deserialize_finish(BdrvDirtyBitmap *bitmap);

/* ---- Node queries and the driver's persistent storage ---- */

/* One BlockDirtyInfo per bitmap, list order, anonymous ones included. */
BlockDirtyInfoList *bdrv_query_dirty_bitmaps(BlockDriverState *bs);
/* Can the driver of @bs store bitmaps in its image at all? */
bool bdrv_supports_persistent_dirty_bitmap(BlockDriverState *bs);
/**
 * bdrv_remove_persistent_dirty_bitmap: delete @name from the image
 *
 * Returns 0 if the driver keeps no bitmaps or the image has no @name;
 * the in-memory bitmap is left alone.
 */
int bdrv_remove_persistent_dirty_bitmap(BlockDriverState *bs,
                                        const char *name, Error **errp);

#endif /* BLOCK_DIRTY_BITMAP_H */
