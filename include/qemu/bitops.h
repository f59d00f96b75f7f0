/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Single bits of unsigned long arrays, bit searches, rotations, fields. */
#ifndef BITOPS_H
#define BITOPS_H

#include "host-utils.h"
#include "atomic.h"

/*
 * A bit array is an array of unsigned long; bit @nr lives in word
 * BIT_WORD(nr), at the position BIT_MASK(nr) selects.
 */
#define BITS_PER_BYTE           CHAR_BIT
#define BITS_PER_LONG           (sizeof(unsigned long) * BITS_PER_BYTE)
/* The same number as a plain integer constant, for #if. */
#define HOST_LONG_BITS          (__SIZEOF_LONG__ * 8)

#define BIT(nr)                 (1UL << (nr))
#define BIT_ULL(nr)             (1ULL << (nr))
#define BIT_WORD(nr)            ((nr) / BITS_PER_LONG)
#define BIT_MASK(nr)            BIT((nr) & (BITS_PER_LONG - 1))
#define BITS_TO_LONGS(nr)       DIV_ROUND_UP(nr, BITS_PER_LONG)

/* @length (1..64) consecutive ones, the lowest of them at bit @shift. */
#define MAKE_64BIT_MASK(shift, length) \
    ((~0ULL >> (64 - (length))) << (shift))

/*
 * Plain accessors: not atomic, the caller serialises access to the word.
 * The test_and_*() forms return the bit's value from before the change.
 */
static inline int test_bit(long nr, const unsigned long *addr)
{
    return (addr[BIT_WORD(nr)] & BIT_MASK(nr)) != 0;
}

static inline void set_bit(long nr, unsigned long *addr)
{
    addr[BIT_WORD(nr)] |= BIT_MASK(nr);
}

static inline void clear_bit(long nr, unsigned long *addr)
{
    addr[BIT_WORD(nr)] &= ~BIT_MASK(nr);
}

static inline void change_bit(long nr, unsigned long *addr)
{
    addr[BIT_WORD(nr)] ^= BIT_MASK(nr);
}

static inline int test_and_set_bit(long nr, unsigned long *addr)
{
    int was = test_bit(nr, addr);

    set_bit(nr, addr);
    return was;
}

static inline int test_and_clear_bit(long nr, unsigned long *addr)
{
    int was = test_bit(nr, addr);

    clear_bit(nr, addr);
    return was;
}

static inline int test_and_change_bit(long nr, unsigned long *addr)
{
    int was = test_bit(nr, addr);

    change_bit(nr, addr);
    return was;
}

/* Atomic (sequentially consistent) forms, for words shared by threads. */
static inline void set_bit_atomic(long nr, unsigned long *addr)
{
    qatomic_or(&addr[BIT_WORD(nr)], BIT_MASK(nr));
}

static inline void clear_bit_atomic(long nr, unsigned long *addr)
{
    qatomic_and(&addr[BIT_WORD(nr)], ~BIT_MASK(nr));
}

/**
 * find_next_bit:
 * @addr: The bit array.
 * @size: Number of bits in it; nothing at or past it is looked at.
 * @offset: First bit to consider.
 *
 * Return the index of the first set bit in [@offset, @size), or @size when
 * there is none (also when @offset >= @size).
 */
unsigned long find_next_bit(const unsigned long *addr, unsigned long size,
                            unsigned long offset);

/**
 * find_next_zero_bit:
 *
 * Like find_next_bit(), for the first clear bit.
 */
unsigned long find_next_zero_bit(const unsigned long *addr,
                                 unsigned long size, unsigned long offset);

/**
 * find_last_bit:
 * @addr: The bit array.
 * @size: Number of bits in it.
 *
 * Return the index of the highest set bit below @size, or @size when no bit
 * is set.
 */
unsigned long find_last_bit(const unsigned long *addr, unsigned long size);

/* The first set (or clear) bit of the whole array, or @size. */
static inline unsigned long find_first_bit(const unsigned long *addr,
                                           unsigned long size)
{
    return find_next_bit(addr, size, 0);
}

static inline unsigned long find_first_zero_bit(const unsigned long *addr,
                                                unsigned long size)
{
    return find_next_zero_bit(addr, size, 0);
}

/*
 * Rotations by any @shift (taken modulo the width).  BITOPS_ROTATIONS(n)
 * makes roln() and rorn() for n-bit words.
 */
#define BITOPS_ROTATIONS(n)                                             \
    static inline uint##n##_t rol##n(uint##n##_t word, unsigned int shift) \
    {                                                                   \
        shift %= n;                                                     \
        if (!shift) {                                                   \
            return word;                                                \
        }                                                               \
        return (uint##n##_t)(word << shift) | (word >> (n - shift));    \
    }                                                                   \
    static inline uint##n##_t ror##n(uint##n##_t word, unsigned int shift) \
    {                                                                   \
        return rol##n(word, n - shift % n);                             \
    }

BITOPS_ROTATIONS(8)
BITOPS_ROTATIONS(16)
BITOPS_ROTATIONS(32)
BITOPS_ROTATIONS(64)

#undef BITOPS_ROTATIONS

/* Exchange the 16-bit halves of a 32-bit word. */
static inline uint32_t hswap32(uint32_t h)
{
    return rol32(h, 16);
}

/* Exchange the 32-bit halves of a 64-bit word. */
static inline uint64_t wswap64(uint64_t h)
{
    return rol64(h, 32);
}

/* Reverse the order of the four 16-bit units of a 64-bit word. */
static inline uint64_t hswap64(uint64_t h)
{
    return ((uint64_t)hswap32((uint32_t)h) << 32) | hswap32(h >> 32);
}

/*
 * Bit fields: the @length bits of a @width-bit value that start at bit
 * @start.  The field must be non-empty and lie inside the value; breaking
 * that is a programming error.  Everything is done in 64 bits and narrowed
 * on return.
 */
#define BITOPS_CHECK_FIELD(start, length, width) \
    assert((start) >= 0 && (length) > 0 && (length) <= (width) - (start))

static inline uint64_t bitops_low_ones(int length)
{
    return ~0ULL >> (64 - length);
}

/* extractN: the field, zero-extended. */
static inline uint64_t extract64(uint64_t value, int start, int length)
{
    BITOPS_CHECK_FIELD(start, length, 64);
    return (value >> start) & bitops_low_ones(length);
}

static inline uint32_t extract32(uint32_t value, int start, int length)
{
    BITOPS_CHECK_FIELD(start, length, 32);
    return extract64(value, start, length);
}

static inline uint16_t extract16(uint16_t value, int start, int length)
{
    BITOPS_CHECK_FIELD(start, length, 16);
    return extract64(value, start, length);
}

static inline uint8_t extract8(uint8_t value, int start, int length)
{
    BITOPS_CHECK_FIELD(start, length, 8);
    return extract64(value, start, length);
}

/*
 * sextractN: the field, sign-extended.  It is moved up against bit 63 and
 * brought back down with an arithmetic shift, which copies its top bit.
 */
static inline int64_t sextract64(uint64_t value, int start, int length)
{
    BITOPS_CHECK_FIELD(start, length, 64);
    return (int64_t)(value << (64 - start - length)) >> (64 - length);
}

static inline int32_t sextract32(uint32_t value, int start, int length)
{
    BITOPS_CHECK_FIELD(start, length, 32);
    return sextract64(value, start, length);
}

/*
 * depositN: @value with the field replaced by the low @length bits of
 * @fieldval (its other bits are ignored).
 */
static inline uint64_t deposit64(uint64_t value, int start, int length,
                                 uint64_t fieldval)
{
    uint64_t field;

    BITOPS_CHECK_FIELD(start, length, 64);
    field = bitops_low_ones(length) << start;
    return value ^ ((value ^ (fieldval << start)) & field);
}

static inline uint32_t deposit32(uint32_t value, int start, int length,
                                 uint32_t fieldval)
{
    BITOPS_CHECK_FIELD(start, length, 32);
    return deposit64(value, start, length, fieldval);
}

#endif /* BITOPS_H */
