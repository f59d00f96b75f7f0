/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bitmap operations over unsigned long arrays (see qemu/bitmap.h). */
#include "qemu/osdep.h"
#include "qemu/bitmap.h"
#include "qemu/atomic.h"
#include "qemu/bswap.h"

/*
 * Every operation here walks a range of bits one word at a time.  For word
 * @w, span_mask() selects the bits of that word that lie in [@start, @end);
 * FOR_EACH_SPAN_WORD visits the words of [@start, @start + @nr) with @mask
 * set accordingly (no word at all when @nr is 0).
 */
static unsigned long span_mask(unsigned long w, unsigned long start,
                               unsigned long end)
{
    unsigned long mask = ~0UL;

    if (w == BIT_WORD(start)) {
        mask &= BITMAP_FIRST_WORD_MASK(start);
    }
    if (w == BIT_WORD(end - 1)) {
        mask &= BITMAP_LAST_WORD_MASK(end);
    }
    return mask;
}

#define FOR_EACH_SPAN_WORD(w, mask, start, nr)                          \
    for ((w) = BIT_WORD(start);                                         \
         (nr) > 0 && (w) <= BIT_WORD((start) + (nr) - 1) &&             \
         ((mask) = span_mask((w), (start), (start) + (nr)), true);      \
         (w)++)

/* Whole-map operations: one word of a result from a word of each source. */
typedef enum WordOp {
    WORD_AND,
    WORD_OR,
    WORD_XOR,
    WORD_ANDNOT,        /* a & ~b */
    WORD_NOT,           /* ~a, b is ignored */
} WordOp;

static unsigned long word_op(WordOp op, unsigned long a, unsigned long b)
{
    switch (op) {
    case WORD_AND:
        return a & b;
    case WORD_OR:
        return a | b;
    case WORD_XOR:
        return a ^ b;
    case WORD_ANDNOT:
        return a & ~b;
    case WORD_NOT:
        return ~a;
    }
    g_assert_not_reached();
}

/*
 * @dst = @a OP @b over @nbits bits, unused bits of the last word cleared.
 * Return whether the result has a bit set.  @dst may be @a or @b.
 */
static bool map_apply(unsigned long *dst, const unsigned long *a,
                      const unsigned long *b, long nbits, WordOp op)
{
    unsigned long w, mask, any = 0;

    FOR_EACH_SPAN_WORD(w, mask, 0, nbits) {
        dst[w] = word_op(op, a[w], b[w]) & mask;
        any |= dst[w];
    }
    return any != 0;
}

/* Whether @a OP @b would have a bit set within @nbits; nothing stored. */
static bool map_probe(const unsigned long *a, const unsigned long *b,
                      long nbits, WordOp op)
{
    unsigned long w, mask;

    FOR_EACH_SPAN_WORD(w, mask, 0, nbits) {
        if (word_op(op, a[w], b[w]) & mask) {
            return true;
        }
    }
    return false;
}

int slow_bitmap_empty(const unsigned long *bitmap, long bits)
{
    return !map_probe(bitmap, bitmap, bits, WORD_OR);
}

int slow_bitmap_full(const unsigned long *bitmap, long bits)
{
    return !map_probe(bitmap, bitmap, bits, WORD_NOT);
}

int slow_bitmap_equal(const unsigned long *bitmap1,
                      const unsigned long *bitmap2, long bits)
{
    return !map_probe(bitmap1, bitmap2, bits, WORD_XOR);
}

int slow_bitmap_intersects(const unsigned long *bitmap1,
                           const unsigned long *bitmap2, long bits)
{
    return map_probe(bitmap1, bitmap2, bits, WORD_AND);
}

void slow_bitmap_complement(unsigned long *dst, const unsigned long *src,
                            long bits)
{
    map_apply(dst, src, src, bits, WORD_NOT);
}

void slow_bitmap_or(unsigned long *dst, const unsigned long *bitmap1,
                    const unsigned long *bitmap2, long bits)
{
    map_apply(dst, bitmap1, bitmap2, bits, WORD_OR);
}

void slow_bitmap_xor(unsigned long *dst, const unsigned long *bitmap1,
                     const unsigned long *bitmap2, long bits)
{
    map_apply(dst, bitmap1, bitmap2, bits, WORD_XOR);
}

int slow_bitmap_and(unsigned long *dst, const unsigned long *bitmap1,
                    const unsigned long *bitmap2, long bits)
{
    return map_apply(dst, bitmap1, bitmap2, bits, WORD_AND);
}

int slow_bitmap_andnot(unsigned long *dst, const unsigned long *bitmap1,
                       const unsigned long *bitmap2, long bits)
{
    return map_apply(dst, bitmap1, bitmap2, bits, WORD_ANDNOT);
}

long bitmap_count_one_with_offset(const unsigned long *bitmap,
                                  long offset, long nbits)
{
    unsigned long w, mask;
    long count = 0;

    FOR_EACH_SPAN_WORD(w, mask, offset, nbits) {
        count += ctpopl(bitmap[w] & mask);
    }
    return count;
}

long slow_bitmap_count_one(const unsigned long *bitmap, long nbits)
{
    return bitmap_count_one_with_offset(bitmap, 0, nbits);
}

/* Range updates. */
typedef enum RangeOp {
    RANGE_SET,
    RANGE_SET_ATOMIC,
    RANGE_CLEAR,
    RANGE_CLEAR_ATOMIC,
} RangeOp;

/*
 * Set or clear bits [@start, @start + @nr) of @map.  For the clearing
 * operations, return whether any of them was set.
 */
static bool range_update(unsigned long *map, long start, long nr,
                         RangeOp op)
{
    unsigned long w, mask, seen = 0;

    assert(start >= 0 && nr >= 0);
    FOR_EACH_SPAN_WORD(w, mask, start, nr) {
        switch (op) {
        case RANGE_SET:
            map[w] |= mask;
            break;
        case RANGE_SET_ATOMIC:
            qatomic_or(&map[w], mask);
            break;
        case RANGE_CLEAR:
            seen |= map[w] & mask;
            map[w] &= ~mask;
            break;
        case RANGE_CLEAR_ATOMIC:
            seen |= qatomic_fetch_and(&map[w], ~mask) & mask;
            break;
        }
    }
    return seen != 0;
}

void bitmap_set(unsigned long *map, long start, long nr)
{
    range_update(map, start, nr, RANGE_SET);
}

void bitmap_set_atomic(unsigned long *map, long start, long nr)
{
    range_update(map, start, nr, RANGE_SET_ATOMIC);
}

void bitmap_clear(unsigned long *map, long start, long nr)
{
    range_update(map, start, nr, RANGE_CLEAR);
}

bool bitmap_test_and_clear(unsigned long *map, long start, long nr)
{
    return range_update(map, start, nr, RANGE_CLEAR);
}

bool bitmap_test_and_clear_atomic(unsigned long *map, long start, long nr)
{
    return range_update(map, start, nr, RANGE_CLEAR_ATOMIC);
}

void bitmap_copy_and_clear_atomic(unsigned long *dst, unsigned long *src,
                                  long nr)
{
    long w;

    for (w = 0; w < (long)BITS_TO_LONGS(nr); w++) {
        dst[w] = qatomic_xchg(&src[w], 0);
    }
}

unsigned long bitmap_find_next_zero_area(unsigned long *map,
                                         unsigned long size,
                                         unsigned long start,
                                         unsigned long nr,
                                         unsigned long align_mask)
{
    unsigned long from = start;

    for (;;) {
        unsigned long first = find_next_zero_bit(map, size, from);
        unsigned long base = (first + align_mask) & ~align_mask;
        unsigned long taken;

        if (base + nr > size) {
            /* No room left: the answer lies past the end, as documented. */
            return base + nr;
        }
        taken = find_next_bit(map, base + nr, base);
        if (taken == base + nr) {
            return base;
        }
        /* [base, taken] cannot hold the area; retry after the set bit. */
        from = taken + 1;
    }
}

/*
 * The little-endian word layout differs from the host's only on big-endian
 * hosts, where each word is byte-swapped; the swap is its own inverse, so
 * one loop serves both directions.
 */
static void words_to_from_le(unsigned long *dst, const unsigned long *src,
                             long nbits)
{
    long w;

    for (w = 0; w < (long)BITS_TO_LONGS(nbits); w++) {
        dst[w] = cpu_to_leul(src[w]);
    }
}

void bitmap_to_le(unsigned long *dst, const unsigned long *src, long nbits)
{
    words_to_from_le(dst, src, nbits);
}

void bitmap_from_le(unsigned long *dst, const unsigned long *src,
                    long nbits)
{
    words_to_from_le(dst, src, nbits);
}

/*
 * Bit-granular copying moves up to one word's worth of bits at a time:
 * bits_get() reads @n (1..BITS_PER_LONG) bits starting at bit @pos into the
 * low bits of the result, and bits_put() writes them back at another
 * position.  Either may straddle two words; neither touches a word the
 * range does not reach.
 */
static unsigned long bits_get(const unsigned long *map, unsigned long pos,
                              unsigned long n)
{
    unsigned long w = BIT_WORD(pos);
    unsigned long sh = pos % BITS_PER_LONG;
    unsigned long val = map[w] >> sh;

    if (sh + n > BITS_PER_LONG) {
        val |= map[w + 1] << (BITS_PER_LONG - sh);
    }
    return val & BITMAP_LAST_WORD_MASK(n);
}

static void bits_put(unsigned long *map, unsigned long pos, unsigned long n,
                     unsigned long val)
{
    unsigned long w = BIT_WORD(pos);
    unsigned long sh = pos % BITS_PER_LONG;
    unsigned long field = BITMAP_LAST_WORD_MASK(n);

    map[w] = (map[w] & ~(field << sh)) | (val << sh);
    if (sh + n > BITS_PER_LONG) {
        unsigned long spill = BITS_PER_LONG - sh;

        map[w + 1] = (map[w + 1] & ~(field >> spill)) | (val >> spill);
    }
}

static void copy_bits(unsigned long *dst, unsigned long dst_pos,
                      const unsigned long *src, unsigned long src_pos,
                      unsigned long nbits)
{
    unsigned long done, n;

    for (done = 0; done < nbits; done += n) {
        n = MIN(nbits - done, BITS_PER_LONG);
        bits_put(dst, dst_pos + done, n, bits_get(src, src_pos + done, n));
    }
}

void bitmap_copy_with_src_offset(unsigned long *dst,
                                 const unsigned long *src,
                                 unsigned long offset, unsigned long nbits)
{
    copy_bits(dst, 0, src, offset, nbits);
}

void bitmap_copy_with_dst_offset(unsigned long *dst,
                                 const unsigned long *src,
                                 unsigned long shift, unsigned long nbits)
{
    copy_bits(dst, shift, src, 0, nbits);
}
