/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bitmaps of a given length over unsigned long arrays (bitmap_set ...). */
#ifndef BITMAP_H
#define BITMAP_H

#include "qemu/bitops.h"

/*
 * A bitmap of @nbits bits is BITS_TO_LONGS(nbits) words laid out as in
 * qemu/bitops.h.  The bits of the last word at or above @nbits carry no
 * meaning: readers mask them off, and the whole-map operations below leave
 * them clear in what they write.
 *
 * Whole maps, @nbits long:
 *   bitmap_zero, bitmap_fill, bitmap_copy          dst = 0, ~0, src
 *   bitmap_and, bitmap_or, bitmap_xor, bitmap_andnot
 *                                                  dst = src1 OP src2
 *   bitmap_complement                              dst = ~src
 *   bitmap_empty, bitmap_full                      all clear?  all set?
 *   bitmap_equal, bitmap_intersects                same?  a common bit?
 *   bitmap_count_one                               number of set bits
 * Ranges of bits:
 *   bitmap_set, bitmap_clear, bitmap_test_and_clear (and _atomic forms),
 *   bitmap_count_one_with_offset, bitmap_find_next_zero_area,
 *   bitmap_copy_with_src_offset, bitmap_copy_with_dst_offset.
 * Conversions: bitmap_to_le, bitmap_from_le (words as little-endian).
 *
 * bitmap_and() and bitmap_andnot() return whether the result has a bit set.
 * The slow_bitmap_*() names are QEMU's out-of-line versions of the same
 * operations; here there is only one version of each, and bitmap_*() are
 * their inline spellings.
 */

/* The bits of a word at or above bit (@start % BITS_PER_LONG). */
#define BITMAP_FIRST_WORD_MASK(start) \
    (~0UL << ((start) % BITS_PER_LONG))
/* The bits of the last word of an @nbits bitmap that are below @nbits. */
#define BITMAP_LAST_WORD_MASK(nbits) \
    (~0UL >> ((BITS_PER_LONG - (nbits) % BITS_PER_LONG) % BITS_PER_LONG))

#define DECLARE_BITMAP(name, bits) \
    unsigned long name[BITS_TO_LONGS(bits)]

/* Allocation: zeroed; bitmap_try_new() returns NULL when out of memory. */
static inline unsigned long *bitmap_new(long nbits)
{
    return g_new0(unsigned long, BITS_TO_LONGS(nbits));
}

static inline unsigned long *bitmap_try_new(long nbits)
{
    return g_try_new0(unsigned long, BITS_TO_LONGS(nbits));
}

static inline void bitmap_zero(unsigned long *dst, long nbits)
{
    memset(dst, 0, BITS_TO_LONGS(nbits) * sizeof(*dst));
}

static inline void bitmap_fill(unsigned long *dst, long nbits)
{
    size_t words = BITS_TO_LONGS(nbits);

    memset(dst, 0xff, words * sizeof(*dst));
    if (words) {
        dst[words - 1] &= BITMAP_LAST_WORD_MASK(nbits);
    }
}

static inline void bitmap_copy(unsigned long *dst, const unsigned long *src,
                               long nbits)
{
    memcpy(dst, src, BITS_TO_LONGS(nbits) * sizeof(*dst));
}

/* Combining two maps into a third (which may be one of them). */
int slow_bitmap_and(unsigned long *dst, const unsigned long *bitmap1,
                    const unsigned long *bitmap2, long bits);
static inline int bitmap_and(unsigned long *dst, const unsigned long *src1,
                             const unsigned long *src2, long nbits)
{
    return slow_bitmap_and(dst, src1, src2, nbits);
}

int slow_bitmap_andnot(unsigned long *dst, const unsigned long *bitmap1,
                       const unsigned long *bitmap2, long bits);
static inline int bitmap_andnot(unsigned long *dst,
                                const unsigned long *src1,
                                const unsigned long *src2, long nbits)
{
    return slow_bitmap_andnot(dst, src1, src2, nbits);
}

void slow_bitmap_or(unsigned long *dst, const unsigned long *bitmap1,
                    const unsigned long *bitmap2, long bits);
static inline void bitmap_or(unsigned long *dst, const unsigned long *src1,
                             const unsigned long *src2, long nbits)
{
    slow_bitmap_or(dst, src1, src2, nbits);
}

void slow_bitmap_xor(unsigned long *dst, const unsigned long *bitmap1,
                     const unsigned long *bitmap2, long bits);
static inline void bitmap_xor(unsigned long *dst, const unsigned long *src1,
                              const unsigned long *src2, long nbits)
{
    slow_bitmap_xor(dst, src1, src2, nbits);
}

void slow_bitmap_complement(unsigned long *dst, const unsigned long *src,
                            long bits);
static inline void bitmap_complement(unsigned long *dst,
                                     const unsigned long *src,
                                     long nbits)
{
    slow_bitmap_complement(dst, src, nbits);
}

/* Questions about one or two maps. */
int slow_bitmap_empty(const unsigned long *bitmap, long bits);
static inline int bitmap_empty(const unsigned long *src, long nbits)
{
    return slow_bitmap_empty(src, nbits);
}

int slow_bitmap_full(const unsigned long *bitmap, long bits);
static inline int bitmap_full(const unsigned long *src, long nbits)
{
    return slow_bitmap_full(src, nbits);
}

int slow_bitmap_equal(const unsigned long *bitmap1,
                      const unsigned long *bitmap2, long bits);
static inline int bitmap_equal(const unsigned long *src1,
                               const unsigned long *src2, long nbits)
{
    return slow_bitmap_equal(src1, src2, nbits);
}

int slow_bitmap_intersects(const unsigned long *bitmap1,
                           const unsigned long *bitmap2, long bits);
static inline int bitmap_intersects(const unsigned long *src1,
                                    const unsigned long *src2, long nbits)
{
    return slow_bitmap_intersects(src1, src2, nbits);
}

long slow_bitmap_count_one(const unsigned long *bitmap, long nbits);
static inline long bitmap_count_one(const unsigned long *bitmap, long nbits)
{
    return slow_bitmap_count_one(bitmap, nbits);
}

/* Number of set bits in [@offset, @offset + @nbits). */
long bitmap_count_one_with_offset(const unsigned long *bitmap,
                                  long offset, long nbits);

/*
 * Ranges [@start, @start + @nr), with @start and @nr >= 0.
 * bitmap_test_and_clear() returns whether a bit of the range was set.
 */
void bitmap_set(unsigned long *map, long start, long nr);
void bitmap_clear(unsigned long *map, long start, long nr);
bool bitmap_test_and_clear(unsigned long *map, long start, long nr);

/*
 * Resize a g_malloc'd bitmap from @old_nbits to @new_nbits bits (growing
 * only); the new bits are clear.  Returns the possibly moved array.
 */
static inline unsigned long *bitmap_zero_extend(unsigned long *old,
                                                long old_nbits,
                                                long new_nbits)
{
    unsigned long *map = g_renew(unsigned long, old,
                                 BITS_TO_LONGS(new_nbits));

    bitmap_clear(map, old_nbits, new_nbits - old_nbits);
    return map;
}

/**
 * bitmap_find_next_zero_area:
 * @map: The bitmap.
 * @size: Its length in bits.
 * @start: Where to start looking.
 * @nr: Length of the area wanted.
 * @align_mask: The area must start at a multiple of @align_mask + 1 (a
 * power of two).
 *
 * Return the start of the first aligned run of @nr clear bits at or after
 * @start that ends by @size; when there is none, a value whose run would end
 * past @size (so greater than @size - @nr).
 */
unsigned long bitmap_find_next_zero_area(unsigned long *map,
                                         unsigned long size,
                                         unsigned long start, unsigned long nr,
                                         unsigned long align_mask);

/*
 * Atomic forms, for maps that other threads update with atomics too.  Each
 * acts as a full memory barrier.  bitmap_copy_and_clear_atomic() moves the
 * first @nr bits of @src to @dst, emptying @src one word at a time with
 * atomic exchanges, so that a bit set concurrently is either moved or left
 * for the next call.
 */
void bitmap_set_atomic(unsigned long *map, long start, long nr);
bool bitmap_test_and_clear_atomic(unsigned long *map, long start, long nr);
void bitmap_copy_and_clear_atomic(unsigned long *dst, unsigned long *src,
                                  long nr);

/*
 * Copy @nbits bits between a host bitmap and one whose words are stored
 * little-endian (the layout bitmaps have in files and streams).
 */
void bitmap_to_le(unsigned long *dst, const unsigned long *src,
                  long nbits);
void bitmap_from_le(unsigned long *dst, const unsigned long *src,
                    long nbits);

/*
 * Bit-granular copies: bits [@offset, @offset + @nbits) of @src to the
 * start of @dst, or the first @nbits bits of @src to bit @shift of @dst.
 * Bits of @dst outside the destination range keep their value.
 */
void bitmap_copy_with_src_offset(unsigned long *dst,
                                 const unsigned long *src,
                                 unsigned long offset, unsigned long nbits);
void bitmap_copy_with_dst_offset(unsigned long *dst,
                                 const unsigned long *src,
                                 unsigned long shift, unsigned long nbits);

#endif /* BITMAP_H */
