/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HBitmap: the hierarchical dirty bitmap behind block dirty bitmaps. */
#ifndef HBITMAP_H
#define HBITMAP_H

#include "qemu/bitops.h"

/*
 * Terms used below.  An HBitmap covers @size "items" (for block dirty
 * bitmaps: bytes of a disk).  Items are grouped in runs of 2^granularity,
 * and each group is one bit: setting any item of a group sets the whole
 * group, and answers are given in items (a group's first item, or counts
 * of items).  A group is "dirty" when its bit is set, "clean" otherwise.
 *
 * Ranges are given as (start, count) in items; count 0 is an empty range.
 * Passing a range outside the bitmap is a programming error (asserted),
 * except where a function says it clamps.
 *
 * Every function may be called on any bitmap from one thread at a time;
 * HBitmap has no lock of its own.
 */
typedef struct HBitmapIter HBitmapIter;
typedef struct HBitmap HBitmap;

/* log2 of the bits in a level word (an unsigned long). */
#define BITS_PER_LEVEL          (HOST_LONG_BITS == 64 ? 6 : 5)

/* log2 of the most groups a bitmap can have. */
#define HBITMAP_LOG_MAX_SIZE    (HOST_LONG_BITS == 64 ? 41 : 34)

/*
 * Levels, including the one-word top level that holds the end-of-search
 * marker bit (hence one more than the division gives, even when exact).
 */
#define HBITMAP_LEVELS          (1 + HBITMAP_LOG_MAX_SIZE / BITS_PER_LEVEL)

/*
 * An iterator lives wherever the caller puts it (often on the stack), so
 * its layout is public; only hbitmap_iter_*() read or write its fields.
 */
struct HBitmapIter {
    /* The bitmap being walked. */
    const HBitmap *hb;

    /* Index, in the bottom level, of the word the walk is in. */
    uint64_t word;

    /*
     * Per level, the bits of the word the walk is in that are still to be
     * visited.  Above the bottom, each stands for a whole word below.
     */
    unsigned long pending[HBITMAP_LEVELS];
};

/*
 * Creating, resizing, freeing.
 *
 * hbitmap_alloc() returns an all-clean bitmap of @size items (at most
 * INT64_MAX) in groups of 2^@granularity (0 <= @granularity < 64); it may
 * have at most 2^HBITMAP_LOG_MAX_SIZE groups.  Large levels are reserved
 * as virtual memory that only becomes resident where bits get set.
 *
 * hbitmap_truncate() changes the size to @size items.  Groups added by
 * growing are clean; on shrinking, a dirty group cut by the new end stays
 * dirty.  Iterators on the bitmap must not be used afterwards.
 *
 * hbitmap_free() releases the bitmap; NULL is accepted.
 */
HBitmap *hbitmap_alloc(uint64_t size, int granularity);
void hbitmap_truncate(HBitmap *hb, uint64_t size);
void hbitmap_free(HBitmap *hb);

/*
 * Queries.
 *
 * hbitmap_granularity(): the group size as a shift.
 * hbitmap_count(): dirty groups times the group size, in items (so it can
 * exceed the size when the last, partial group is dirty).
 * hbitmap_empty(): whether no group is dirty.
 * hbitmap_get(): whether the group holding @item is dirty.
 */
int hbitmap_granularity(const HBitmap *hb);
uint64_t hbitmap_count(const HBitmap *hb);
bool hbitmap_empty(const HBitmap *hb);
bool hbitmap_get(const HBitmap *hb, uint64_t item);

/*
 * Changes.
 *
 * hbitmap_set(): make dirty every group that [@start, @start + @count)
 * touches.
 *
 * hbitmap_reset(): make clean the groups of [@start, @start + @count).
 * @start must be a group boundary, and so must @start + @count unless it
 * is the end of the bitmap.
 *
 * hbitmap_reset_all(): make every group clean; large levels hand their
 * memory back to the kernel instead of being overwritten.
 */
void hbitmap_set(HBitmap *hb, uint64_t start, uint64_t count);
void hbitmap_reset(HBitmap *hb, uint64_t start, uint64_t count);
void hbitmap_reset_all(HBitmap *hb);

/*
 * Merging.  hbitmap_merge() stores @a OR @b in @result, which may be @a or
 * @b.  All three must have the same size in items (hbitmap_can_merge()
 * answers that for two of them; minivmm keeps it, QEMU 7.2 asserts only).
 * The granularities may differ: a dirty group of a finer source dirties the
 * coarser group of @result that holds it.
 */
bool hbitmap_can_merge(const HBitmap *a, const HBitmap *b);
void hbitmap_merge(const HBitmap *a, const HBitmap *b, HBitmap *result);

/*
 * Searching.  @start and @count (or @end) are non-negative item numbers;
 * ranges are clamped to the end of the bitmap, so INT64_MAX as a count or
 * an end means "to the end".  A dirty group that holds @start counts from
 * @start, not from its first item.  Looking for dirty items skips clean
 * subtrees a level word at a time, so searching an empty bitmap costs a
 * few word reads whatever its size.
 *
 * hbitmap_next_dirty(), hbitmap_next_zero(): the first dirty (clean) item
 * of [@start, @start + @count), or -1 when there is none.
 *
 * hbitmap_next_dirty_area(): the first dirty run in [@start, @end), cut to
 * at most @max_dirty_count (> 0) items.  Returns false, leaving the outputs
 * alone, when [@start, @end) has no dirty item; otherwise stores the run in
 * *@dirty_start and *@dirty_count and returns true.
 *
 * hbitmap_status(): whether @start is dirty, with the length of the run of
 * items from @start that share its state (at most @count, which must be
 * > 0 and keep the range inside the bitmap) in *@pnum.  QEMU 7.2 answers
 * false for a dirty run shorter than @count; minivmm answers true.
 */
int64_t hbitmap_next_dirty(const HBitmap *hb, int64_t start, int64_t count);
int64_t hbitmap_next_zero(const HBitmap *hb, int64_t start, int64_t count);
bool hbitmap_next_dirty_area(const HBitmap *hb, int64_t start, int64_t end,
                             int64_t max_dirty_count, int64_t *dirty_start,
                             int64_t *dirty_count);
bool hbitmap_status(const HBitmap *hb, int64_t start, int64_t count,
                    int64_t *pnum);

/*
 * Iterating.  hbitmap_iter_init() places @hbi on the group that holds
 * @first (inside the bitmap); each hbitmap_iter_next() then returns the
 * first item of the next dirty group, in increasing order, and -1 at the
 * end.  The first answer can lie below @first when @first is inside a
 * dirty group.
 *
 * The bitmap may change during the walk: a group made clean is never
 * returned, and a group made dirty is returned unless the walk already
 * decided that its part of the bitmap was clean (it may be missed).
 */
void hbitmap_iter_init(HBitmapIter *hbi, const HBitmap *hb, uint64_t first);
int64_t hbitmap_iter_next(HBitmapIter *hbi);

/*
 * Serialization: the byte format of dirty bitmaps in migration streams and
 * image files.  A chunk is the group bits of a range of items, packed
 * eight per byte, least significant bit first, in 64-bit little-endian
 * words: bit j of byte k is group (@start >> granularity) + 8 * k + j.  It
 * is the same on every host.
 *
 * hbitmap_is_serializable(): whether the functions below may be used: the
 * alignment must fit in 64 bits (granularity below 58).
 *
 * hbitmap_serialization_align(): chunks start at multiples of this many
 * items (64 groups), and all but one that ends at the end of the bitmap
 * have a length that is a multiple of it too.
 *
 * hbitmap_serialization_size(): bytes in the chunk for [@start, @start +
 * @count): 8 per 64 groups it touches, 0 for an empty range.
 *
 * hbitmap_serialize_part(): write that chunk into @buf.
 *
 * hbitmap_deserialize_part(): replace the groups of the chunk with those
 * read from @buf.  hbitmap_deserialize_zeroes() and _ones() do the same as
 * for an all-zero or all-ones buffer; _ones() on the last chunk also sets
 * the bits past the end of the bitmap in its last word, as QEMU does (they
 * show in the SHA-256, not in any count or search).
 *
 * With @finish false, the bitmap's summaries and count may be stale until
 * hbitmap_deserialize_finish(); only hbitmap_get() is reliable meanwhile.
 */
bool hbitmap_is_serializable(const HBitmap *hb);
uint64_t hbitmap_serialization_align(const HBitmap *hb);
uint64_t hbitmap_serialization_size(const HBitmap *hb, uint64_t start,
                                    uint64_t count);
void hbitmap_serialize_part(const HBitmap *hb, uint8_t *buf, uint64_t start,
                            uint64_t count);
void hbitmap_deserialize_zeroes(HBitmap *hb, uint64_t start, uint64_t count,
                                bool finish);
void hbitmap_deserialize_ones(HBitmap *hb, uint64_t start, uint64_t count,
                              bool finish);
void hbitmap_deserialize_part(HBitmap *hb, uint8_t *buf, uint64_t start,
                              uint64_t count, bool finish);
void hbitmap_deserialize_finish(HBitmap *hb);

/*
 * hbitmap_sha256(): SHA-256 of the whole bottom level in the serialization
 * format (padding bits included), as 64 lowercase hexadecimal digits in a
 * new string for g_free(); NULL with @errp set on failure.  Equal bitmaps
 * give QEMU 7.2's digest.
 */
char *hbitmap_sha256(const HBitmap *bitmap, Error **errp);

#endif /* HBITMAP_H */
