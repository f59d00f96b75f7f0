/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hierarchical bitmap (HBitmap): QEMU 7.2's API for dirty-tracking bitmaps. */
#ifndef HBITMAP_H
#define HBITMAP_H

#include "bitops.h"
#include "host-utils.h"

typedef struct HBitmap HBitmap;
typedef struct HBitmapIter HBitmapIter;

/* log2 of the number of bits in one word of a level. */
#define BITS_PER_LEVEL         (BITS_PER_LONG == 32 ? 5 : 6)

/*
 * log2 of the largest number of bottom-level bits (granules) a bitmap may
 * have: 2^41 bits on 64-bit hosts, 2^34 on 32-bit ones.
 */
#define HBITMAP_LOG_MAX_SIZE   (BITS_PER_LONG == 32 ? 34 : 41)

/*
 * Number of levels.  One more than strictly needed when the maximum size is
 * a multiple of BITS_PER_LEVEL: level 0 always has room for the sentinel bit
 * that stops iteration.
 */
#define HBITMAP_LEVELS         ((HBITMAP_LOG_MAX_SIZE / BITS_PER_LEVEL) + 1)

/*
 * Iterator state.  The layout is public so that callers can embed it; only
 * the functions below may look inside.
 */
struct HBitmapIter {
    const HBitmap *hb;

    /* Copy of the bitmap's granularity (log2 of items per bit). */
    int granularity;

    /* Index of the current word in the bottom level. */
    size_t pos;

    /*
     * Per level, the bits of the current word that are still to be visited
     * (each one stands for a non-empty subtree of the level below).
     */
    unsigned long cur[HBITMAP_LEVELS];
};

/**
 * hbitmap_alloc:
 * @size: Number of items the bitmap covers.
 * @granularity: log2 of the number of items that share one bit, in [0, 64).
 * Every operation on a range of items affects each whole group of
 * 2^@granularity items that the range touches, and iteration returns the
 * first item of each set group.
 *
 * Allocate a new, empty HBitmap.  ceil(@size / 2^@granularity) must not
 * exceed 2^HBITMAP_LOG_MAX_SIZE and @size must not exceed INT64_MAX.
 * Memory for the levels is obtained zeroed and lazily from the kernel, so an
 * empty bitmap costs little resident memory whatever its size.
 */
HBitmap *hbitmap_alloc(uint64_t size, int granularity);

/**
 * hbitmap_truncate:
 * @hb: The bitmap to resize.
 * @size: The new number of items.
 *
 * Shrink or grow @hb to cover @size items.  Grown space is clean.  When
 * shrinking, a dirty group that straddles the new end stays dirty.
 * Invalidates every iterator on @hb.
 */
void hbitmap_truncate(HBitmap *hb, uint64_t size);

/**
 * hbitmap_merge:
 * @a: First source.
 * @b: Second source.
 * @result: Destination; may be the same object as @a or @b.
 *
 * Store @a | @b into @result.  All three must cover the same number of
 * items; granularities may differ, in which case each set group of a finer
 * source dirties the whole coarser group it falls in.
 */
void hbitmap_merge(const HBitmap *a, const HBitmap *b, HBitmap *result);

/**
 * hbitmap_can_merge:
 * @a: A bitmap.
 * @b: Another bitmap.
 *
 * Return whether hbitmap_merge() accepts @a and @b together, i.e. whether
 * they cover the same number of items.  (QEMU 7.2 dropped this helper and
 * asserts instead; minivmm keeps it for callers that want to ask first.)
 */
bool hbitmap_can_merge(const HBitmap *a, const HBitmap *b);

/**
 * hbitmap_empty:
 * @hb: HBitmap to operate on.
 *
 * Return whether no bit of @hb is set.
 */
bool hbitmap_empty(const HBitmap *hb);

/**
 * hbitmap_granularity:
 * @hb: HBitmap to operate on.
 *
 * Return the granularity of @hb as a shift (log2 of items per bit).
 */
int hbitmap_granularity(const HBitmap *hb);

/**
 * hbitmap_count:
 * @hb: HBitmap to operate on.
 *
 * Return the number of set bits times 2^granularity, in items.  This may
 * exceed the bitmap's size when the last, partial group is set.
 */
uint64_t hbitmap_count(const HBitmap *hb);

/**
 * hbitmap_set:
 * @hb: HBitmap to operate on.
 * @start: First item to set (0-based).
 * @count: Number of items to set; 0 does nothing.
 *
 * Set every group of items that [@start, @start + @count) touches.
 */
void hbitmap_set(HBitmap *hb, uint64_t start, uint64_t count);

/**
 * hbitmap_reset:
 * @hb: HBitmap to operate on.
 * @start: First item to reset (0-based), a multiple of 2^granularity.
 * @count: Number of items to reset; 0 does nothing.  A multiple of
 * 2^granularity unless the range ends exactly at the bitmap's size.
 *
 * Clear the groups in [@start, @start + @count).
 */
void hbitmap_reset(HBitmap *hb, uint64_t start, uint64_t count);

/**
 * hbitmap_reset_all:
 * @hb: HBitmap to operate on.
 *
 * Clear every bit of @hb.  Memory of large levels is given back to the
 * kernel rather than overwritten.
 */
void hbitmap_reset_all(HBitmap *hb);

/**
 * hbitmap_get:
 * @hb: HBitmap to operate on.
 * @item: Item to query (0-based).
 *
 * Return whether the group holding @item is set.
 */
bool hbitmap_get(const HBitmap *hb, uint64_t item);

/**
 * hbitmap_is_serializable:
 * @hb: HBitmap which should be (de-)serialized.
 *
 * Return whether the other (de-)serialization functions may be used on @hb
 * (its granularity is small enough for hbitmap_serialization_align() to be
 * representable).  (De-)serializing does not change the answer.
 */
bool hbitmap_is_serializable(const HBitmap *hb);

/**
 * hbitmap_serialization_align:
 * @hb: HBitmap to operate on.
 *
 * Return the alignment, in items, of serialization chunks: 64 groups.
 * Every chunk starts on a multiple of it, and every chunk but the one that
 * ends in the bitmap's last group has a length that is a multiple of it.
 */
uint64_t hbitmap_serialization_align(const HBitmap *hb);

/**
 * hbitmap_serialization_size:
 * @hb: HBitmap to operate on.
 * @start: First item of the chunk.
 * @count: Number of items in the chunk.
 *
 * Return the number of bytes hbitmap_(de)serialize_part() reads or writes
 * for this chunk: 8 per 64-bit word of the bottom level it covers (0 when
 * @count is 0).
 */
uint64_t hbitmap_serialization_size(const HBitmap *hb,
                                    uint64_t start, uint64_t count);

/**
 * hbitmap_serialize_part:
 * @hb: HBitmap to operate on.
 * @buf: Buffer of hbitmap_serialization_size() bytes to fill.
 * @start: First item to store.
 * @count: Number of items to store.
 *
 * Store the bottom-level words covering the chunk as little-endian 64-bit
 * values: bit j of byte k is group (@start >> granularity) + 8 * k + j.  The
 * format does not depend on the host's endianness or word size.
 */
void hbitmap_serialize_part(const HBitmap *hb, uint8_t *buf,
                            uint64_t start, uint64_t count);

/**
 * hbitmap_deserialize_part:
 * @hb: HBitmap to operate on.
 * @buf: Buffer of hbitmap_serialization_size() bytes to read.
 * @start: First item to restore.
 * @count: Number of items to restore.
 * @finish: Whether to call hbitmap_deserialize_finish() at the end.
 *
 * Overwrite the bottom-level words covering the chunk with @buf, in the
 * format of hbitmap_serialize_part().  Until hbitmap_deserialize_finish(),
 * only hbitmap_get() gives reliable answers.
 */
void hbitmap_deserialize_part(HBitmap *hb, uint8_t *buf,
                              uint64_t start, uint64_t count,
                              bool finish);

/**
 * hbitmap_deserialize_zeroes:
 * @hb: HBitmap to operate on.
 * @start: First item to restore.
 * @count: Number of items to restore.
 * @finish: Whether to call hbitmap_deserialize_finish() at the end.
 *
 * Clear the bottom-level words covering the chunk, as if deserializing an
 * all-zero buffer.  Same caveats as hbitmap_deserialize_part().
 */
void hbitmap_deserialize_zeroes(HBitmap *hb, uint64_t start, uint64_t count,
                                bool finish);

/**
 * hbitmap_deserialize_ones:
 * @hb: HBitmap to operate on.
 * @start: First item to restore.
 * @count: Number of items to restore.
 * @finish: Whether to call hbitmap_deserialize_finish() at the end.
 *
 * Fill the bottom-level words covering the chunk with ones, as if
 * deserializing an all-ones buffer; on the final chunk this also sets the
 * padding bits past the end of the bitmap.  Same caveats as
 * hbitmap_deserialize_part().
 */
void hbitmap_deserialize_ones(HBitmap *hb, uint64_t start, uint64_t count,
                              bool finish);

/**
 * hbitmap_deserialize_finish:
 * @hb: HBitmap to operate on.
 *
 * Rebuild the upper levels and the count after hbitmap_deserialize_part(),
 * _zeroes() or _ones() calls made with @finish false.
 */
void hbitmap_deserialize_finish(HBitmap *hb);

/**
 * hbitmap_sha256:
 * @bitmap: HBitmap to operate on.
 * @errp: Error object.
 *
 * Return the SHA-256 of the bottom level (its words as little-endian 64-bit
 * values, padding bits included) as 64 lowercase hex digits, newly
 * allocated (free with g_free()), or NULL with @errp set on failure.
 */
char *hbitmap_sha256(const HBitmap *bitmap, Error **errp);

/**
 * hbitmap_free:
 * @hb: HBitmap to operate on.
 *
 * Free @hb and all of its memory.
 */
void hbitmap_free(HBitmap *hb);

/**
 * hbitmap_iter_init:
 * @hbi: HBitmapIter to initialize.
 * @hb: HBitmap to iterate on.
 * @first: First item to visit (0-based); its group must be inside @hb.
 *
 * Set up @hbi so that hbitmap_iter_next() returns the set groups of @hb
 * from the one holding @first onwards.
 *
 * Bits reset while iterating are never returned.  Bits set while iterating
 * may be missed, but nothing worse happens.
 */
void hbitmap_iter_init(HBitmapIter *hbi, const HBitmap *hb, uint64_t first);

/**
 * hbitmap_next_dirty:
 * @hb: The HBitmap to operate on.
 * @start: The item to start from, >= 0.
 * @count: Number of items to look at, >= 0; the search stops at the end of
 * the bitmap, so INT64_MAX means "up to the end".
 *
 * Return the first dirty item in [@start, @start + @count): @start itself
 * when its group is dirty, else the first item of the first dirty group;
 * -1 if there is none.  Costs O(levels) per skipped empty subtree, so an
 * empty bitmap of any size is searched in constant time.
 */
int64_t hbitmap_next_dirty(const HBitmap *hb, int64_t start, int64_t count);

/**
 * hbitmap_next_zero:
 * @hb: The HBitmap to operate on.
 * @start: The item to start from, >= 0.
 * @count: Number of items to look at, >= 0; INT64_MAX means "up to the end".
 *
 * Return the first clean item in [@start, @start + @count), or -1.
 */
int64_t hbitmap_next_zero(const HBitmap *hb, int64_t start, int64_t count);

/**
 * hbitmap_next_dirty_area:
 * @hb: The HBitmap to operate on.
 * @start: The item to start from, >= 0.
 * @end: End of the search (exclusive), >= 0; clamped to the bitmap's size.
 * @max_dirty_count: Maximum length of the area returned, > 0.
 * @dirty_start: Output: start of the area found.
 * @dirty_count: Output: length of the area found.
 *
 * Find the first run of dirty items in [@start, @end), at most
 * @max_dirty_count long.  Return true and set the outputs if one is found;
 * otherwise return false and leave the outputs untouched.
 */
bool hbitmap_next_dirty_area(const HBitmap *hb, int64_t start, int64_t end,
                             int64_t max_dirty_count,
                             int64_t *dirty_start, int64_t *dirty_count);

/**
 * hbitmap_status:
 * @hb: The HBitmap to operate on.
 * @start: The item to start from, >= 0.
 * @count: Number of items to look at, > 0, within the bitmap.
 * @pnum: Output: length of the run starting at @start whose items all have
 * the state of @start, capped at @count.
 *
 * Return whether @start is dirty.  (QEMU 7.2 wrongly returns false when a
 * dirty run is shorter than @count; minivmm returns true, as documented.)
 */
bool hbitmap_status(const HBitmap *hb, int64_t start, int64_t count,
                    int64_t *pnum);

/**
 * hbitmap_iter_next:
 * @hbi: HBitmapIter to operate on.
 *
 * Return the first item of the next set group, or -1 when there is none.
 * The first result may be below the iterator's @first when @first was in
 * the middle of a set group.
 */
int64_t hbitmap_iter_next(HBitmapIter *hbi);

#endif /* HBITMAP_H */
