/* SPDX-License-Identifier: GPL-2.0-or-later */
/* BdrvDirtyBitmap: per-node dirty tracking in bytes (QEMU 7.2 API). */
#ifndef BLOCK_DIRTY_BITMAP_H
#define BLOCK_DIRTY_BITMAP_H

#include "qemu/hbitmap.h"

typedef struct BlockDirtyInfoList BlockDirtyInfoList;

/* Longest bitmap name accepted (qcow2's limit), in bytes without the NUL. */
#define BDRV_BITMAP_MAX_NAME_SIZE 1023

typedef enum BitmapCheckFlags {
    BDRV_BITMAP_BUSY = 1,
    BDRV_BITMAP_RO = 2,
    BDRV_BITMAP_INCONSISTENT = 4,
} BitmapCheckFlags;

#define BDRV_BITMAP_DEFAULT (BDRV_BITMAP_BUSY | BDRV_BITMAP_RO |        \
                             BDRV_BITMAP_INCONSISTENT)
#define BDRV_BITMAP_ALLOW_RO (BDRV_BITMAP_BUSY | BDRV_BITMAP_INCONSISTENT)

/**
 * bdrv_create_dirty_bitmap: create a bitmap covering the whole node
 * @bs: the node; @granularity: bytes per bit, a power of two >= 512
 * @name: the bitmap name, or NULL for an anonymous bitmap
 *
 * The new bitmap is empty, enabled, and goes to the head of the node's list.
 * Fails with "Bitmap already exists: %s" or "Bitmap name too long: %s".
 * Called with BQL taken.
 */
BdrvDirtyBitmap *bdrv_create_dirty_bitmap(BlockDriverState *bs,
                                          uint32_t granularity,
                                          const char *name,
                                          Error **errp);
/**
 * bdrv_dirty_bitmap_create_successor: freeze @bitmap, divert new writes
 *
 * Creates an anonymous successor with @bitmap's enabled state, disables and
 * marks @bitmap busy. Returns 0 or -1 with @errp set.
 */
int bdrv_dirty_bitmap_create_successor(BdrvDirtyBitmap *bitmap,
                                       Error **errp);
/**
 * bdrv_dirty_bitmap_abdicate: replace @bitmap by its successor
 *
 * The successor takes the name and persistence; @bitmap is released.
 */
BdrvDirtyBitmap *bdrv_dirty_bitmap_abdicate(BdrvDirtyBitmap *bitmap,
                                            Error **errp);
/**
 * bdrv_reclaim_dirty_bitmap: merge the successor back into @bitmap
 *
 * @bitmap takes the successor's enabled state and is no longer busy.
 */
BdrvDirtyBitmap *bdrv_reclaim_dirty_bitmap(BdrvDirtyBitmap *bitmap,
                                           Error **errp);
/* As bdrv_reclaim_dirty_bitmap; called within bdrv_dirty_bitmap_lock. */
BdrvDirtyBitmap *bdrv_reclaim_dirty_bitmap_locked(BdrvDirtyBitmap *bitmap,
                                                  Error **errp);
/* Enable the successor of @bitmap (which must have one). */
void bdrv_dirty_bitmap_enable_successor(BdrvDirtyBitmap *bitmap);
/* First bitmap named @name on @bs, or NULL. Anonymous bitmaps never match. */
BdrvDirtyBitmap *bdrv_find_dirty_bitmap(BlockDriverState *bs,
                                        const char *name);
/**
 * bdrv_dirty_bitmap_check: can @bitmap be used for an operation?
 * @flags: BDRV_BITMAP_* conditions to refuse
 *
 * Returns 0, or -1 with @errp set by the first failing condition in the
 * order busy, readonly, inconsistent.
 */
int bdrv_dirty_bitmap_check(const BdrvDirtyBitmap *bitmap, uint32_t flags,
                            Error **errp);
/* Unlink and free @bitmap: not busy, no successor, no iterators. */
void bdrv_release_dirty_bitmap(BdrvDirtyBitmap *bitmap);
/* Release every named bitmap of @bs (used when the node closes). */
void bdrv_release_named_dirty_bitmaps(BlockDriverState *bs);
/**
 * bdrv_remove_persistent_dirty_bitmap: delete @name from the image
 *
 * Returns 0 when the driver has no persistent storage. Does not release
 * the in-memory bitmap.
 */
int bdrv_remove_persistent_dirty_bitmap(BlockDriverState *bs,
                                        const char *name, Error **errp);
/* Does the driver of @bs store bitmaps in the image? */
bool bdrv_supports_persistent_dirty_bitmap(BlockDriverState *bs);
void bdrv_disable_dirty_bitmap(BdrvDirtyBitmap *bitmap);
void bdrv_enable_dirty_bitmap(BdrvDirtyBitmap *bitmap);
/* Called within bdrv_dirty_bitmap_lock..unlock. */
void bdrv_enable_dirty_bitmap_locked(BdrvDirtyBitmap *bitmap);
/* Query entries for every bitmap of @bs, newest first, anonymous included. */
BlockDirtyInfoList *bdrv_query_dirty_bitmaps(BlockDriverState *bs);
/* Granularity in bytes */
uint32_t bdrv_get_default_bitmap_granularity(BlockDriverState *bs);
uint32_t bdrv_dirty_bitmap_granularity(const BdrvDirtyBitmap *bitmap);

BdrvDirtyBitmapIter *bdrv_dirty_iter_new(BdrvDirtyBitmap *bitmap);
void bdrv_dirty_iter_free(BdrvDirtyBitmapIter *iter);
int64_t bdrv_dirty_iter_next(BdrvDirtyBitmapIter *iter);
void bdrv_set_dirty_iter(BdrvDirtyBitmapIter *hbi, int64_t offset);

/* Serialization: byte offsets; see hbitmap_serialize_part for the rules. */
uint64_t bdrv_dirty_bitmap_serialization_size(const BdrvDirtyBitmap *bitmap,
                                              uint64_t offset,
                                              uint64_t bytes);
uint64_t bdrv_dirty_bitmap_serialization_align(const BdrvDirtyBitmap *bitmap);
/* Bytes of disk covered by @serialized_chunk_size bytes of serialization. */
uint64_t bdrv_dirty_bitmap_serialization_coverage(int serialized_chunk_size,
        const BdrvDirtyBitmap *bitmap);
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

void bdrv_dirty_bitmap_set_readonly(BdrvDirtyBitmap *bitmap, bool value);
void bdrv_dirty_bitmap_set_persistence(BdrvDirtyBitmap *bitmap,
                                       bool persistent);
/* Mark a persistent bitmap as unusable (also disables it); permanent. */
void bdrv_dirty_bitmap_set_inconsistent(BdrvDirtyBitmap *bitmap);
void bdrv_dirty_bitmap_set_busy(BdrvDirtyBitmap *bitmap, bool busy);
/* Merge @src into @dest; on success *@backup (if given) holds old bits. */
bool bdrv_merge_dirty_bitmap(BdrvDirtyBitmap *dest,
                             const BdrvDirtyBitmap *src,
                             HBitmap **backup, Error **errp);
/* While @skip is set, @bitmap is not stored to the image at close. */
void bdrv_dirty_bitmap_skip_store(BdrvDirtyBitmap *bitmap, bool skip);
bool bdrv_dirty_bitmap_get(BdrvDirtyBitmap *bitmap, int64_t offset);

/* Functions that require manual locking. */
void bdrv_dirty_bitmap_lock(BdrvDirtyBitmap *bitmap);
void bdrv_dirty_bitmap_unlock(BdrvDirtyBitmap *bitmap);
bool bdrv_dirty_bitmap_get_locked(BdrvDirtyBitmap *bitmap, int64_t offset);
void bdrv_set_dirty_bitmap_locked(BdrvDirtyBitmap *bitmap,
                                  int64_t offset, int64_t bytes);
void bdrv_reset_dirty_bitmap_locked(BdrvDirtyBitmap *bitmap,
                                    int64_t offset, int64_t bytes);
/* Number of bytes covered by dirty granules. */
int64_t bdrv_get_dirty_count(BdrvDirtyBitmap *bitmap);
/* Size of @bitmap in bytes. */
int64_t bdrv_dirty_bitmap_size(const BdrvDirtyBitmap *bitmap);
bool bdrv_dirty_bitmap_readonly(const BdrvDirtyBitmap *bitmap);
bool bdrv_has_readonly_bitmaps(BlockDriverState *bs);
bool bdrv_has_named_bitmaps(BlockDriverState *bs);
bool bdrv_dirty_bitmap_get_autoload(const BdrvDirtyBitmap *bitmap);
/* persistent and not skip_store */
bool bdrv_dirty_bitmap_get_persistence(BdrvDirtyBitmap *bitmap);
bool bdrv_dirty_bitmap_inconsistent(const BdrvDirtyBitmap *bitmap);

BdrvDirtyBitmap *bdrv_dirty_bitmap_first(BlockDriverState *bs);
BdrvDirtyBitmap *bdrv_dirty_bitmap_next(BdrvDirtyBitmap *bitmap);
#define FOR_EACH_DIRTY_BITMAP(bs, bitmap) \
for (bitmap = bdrv_dirty_bitmap_first(bs); bitmap; \
     bitmap = bdrv_dirty_bitmap_next(bitmap))

char *bdrv_dirty_bitmap_sha256(const BdrvDirtyBitmap *bitmap, Error **errp);
int64_t bdrv_dirty_bitmap_next_dirty(BdrvDirtyBitmap *bitmap, int64_t offset,
                                     int64_t bytes);
int64_t bdrv_dirty_bitmap_next_zero(BdrvDirtyBitmap *bitmap, int64_t offset,
                                    int64_t bytes);
bool bdrv_dirty_bitmap_next_dirty_area(BdrvDirtyBitmap *bitmap,
        int64_t start, int64_t end, int64_t max_dirty_count,
        int64_t *dirty_start, int64_t *dirty_count);
bool bdrv_dirty_bitmap_status(BdrvDirtyBitmap *bitmap, int64_t offset,
                              int64_t bytes, int64_t *count);

bool bdrv_dirty_bitmap_enabled(BdrvDirtyBitmap *bitmap);
bool bdrv_dirty_bitmap_has_successor(BdrvDirtyBitmap *bitmap);
const char *bdrv_dirty_bitmap_name(const BdrvDirtyBitmap *bitmap);
void bdrv_set_dirty_bitmap(BdrvDirtyBitmap *bitmap,
                           int64_t offset, int64_t bytes);
void bdrv_reset_dirty_bitmap(BdrvDirtyBitmap *bitmap,
                             int64_t offset, int64_t bytes);

#endif /* BLOCK_DIRTY_BITMAP_H */
