/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Integer helpers: bit counts, powers of two, wide multiply, overflow. */
#ifndef HOST_UTILS_H
#define HOST_UTILS_H

/*
 * Counting.  The compiler builtins leave a zero operand undefined for the
 * leading/trailing zero counts; QEMU's API defines the answer as the
 * operand's width, so every count goes through these two, which work on a
 * value of @width bits (8..64) widened to 64.
 */
static inline int host_utils_clz(uint64_t val, int width)
{
    if (!val) {
        return width;
    }
    return __builtin_clzll(val) - (64 - width);
}

static inline int host_utils_ctz(uint64_t val, int width)
{
    if (!val) {
        return width;
    }
    return __builtin_ctzll(val);
}

/*
 * HOST_UTILS_COUNTS(n) makes clzN(), ctzN() and ctpopN() for N-bit unsigned
 * operands: leading zeros, trailing zeros, set bits.
 */
#define HOST_UTILS_COUNTS(n)                                            \
    static inline int clz##n(uint##n##_t val)                           \
    {                                                                   \
        return host_utils_clz(val, n);                                  \
    }                                                                   \
    static inline int ctz##n(uint##n##_t val)                           \
    {                                                                   \
        return host_utils_ctz(val, n);                                  \
    }                                                                   \
    static inline int ctpop##n(uint##n##_t val)                         \
    {                                                                   \
        return __builtin_popcountll(val);                               \
    }

HOST_UTILS_COUNTS(8)
HOST_UTILS_COUNTS(16)
HOST_UTILS_COUNTS(32)
HOST_UTILS_COUNTS(64)

#undef HOST_UTILS_COUNTS

/* Leading and trailing ones are the zeros of the complement. */
static inline int clo32(uint32_t val)
{
    return host_utils_clz((uint32_t)~val, 32);
}

static inline int clo64(uint64_t val)
{
    return host_utils_clz(~val, 64);
}

static inline int cto32(uint32_t val)
{
    return host_utils_ctz((uint32_t)~val, 32);
}

static inline int cto64(uint64_t val)
{
    return host_utils_ctz(~val, 64);
}

/* The same counts on a host long (the word of qemu/bitmap.h). */
static inline int clzl(unsigned long val)
{
    return host_utils_clz(val, __SIZEOF_LONG__ * 8);
}

static inline int ctzl(unsigned long val)
{
    return host_utils_ctz(val, __SIZEOF_LONG__ * 8);
}

static inline int ctpopl(unsigned long val)
{
    return __builtin_popcountl(val);
}

/* Redundant sign bits: copies of the sign bit below it (0 .. width - 1). */
static inline int clrsb32(uint32_t val)
{
    return __builtin_clrsb((int32_t)val);
}

static inline int clrsb64(uint64_t val)
{
    return __builtin_clrsbll((int64_t)val);
}

/*
 * Bit reversal.  Mirroring a word is mirroring each byte and then reversing
 * the byte order; the first half is three mask-and-shift swaps (neighbour
 * bits, pairs, nibbles) on all eight bytes at once, the second a GLib swap.
 */
static inline uint64_t host_utils_mirror_bytes(uint64_t x)
{
    const uint64_t odd1 = 0x5555555555555555ULL;
    const uint64_t odd2 = 0x3333333333333333ULL;
    const uint64_t odd4 = 0x0f0f0f0f0f0f0f0fULL;

    x = ((x & odd1) << 1) | ((x >> 1) & odd1);
    x = ((x & odd2) << 2) | ((x >> 2) & odd2);
    return ((x & odd4) << 4) | ((x >> 4) & odd4);
}

static inline uint8_t revbit8(uint8_t x)
{
    return host_utils_mirror_bytes(x);
}

static inline uint16_t revbit16(uint16_t x)
{
    return GUINT16_SWAP_LE_BE((uint16_t)host_utils_mirror_bytes(x));
}

static inline uint32_t revbit32(uint32_t x)
{
    return GUINT32_SWAP_LE_BE((uint32_t)host_utils_mirror_bytes(x));
}

static inline uint64_t revbit64(uint64_t x)
{
    return GUINT64_SWAP_LE_BE(host_utils_mirror_bytes(x));
}

/**
 * mulu64:
 * @plow: Output: bits 0..63 of the product.
 * @phigh: Output: bits 64..127 of the product.
 * @a: Multiplicand.
 * @b: Multiplier.
 *
 * Full 128-bit product of two unsigned 64-bit numbers.
 */
static inline void mulu64(uint64_t *plow, uint64_t *phigh,
                          uint64_t a, uint64_t b)
{
    unsigned __int128 product = (unsigned __int128)a * b;

    *phigh = (uint64_t)(product >> 64);
    *plow = (uint64_t)product;
}

/**
 * muls64:
 * @plow: Output: bits 0..63 of the two's complement product.
 * @phigh: Output: bits 64..127 of it.
 * @a: Multiplicand.
 * @b: Multiplier.
 *
 * Full 128-bit product of two signed 64-bit numbers.
 */
static inline void muls64(uint64_t *plow, uint64_t *phigh,
                          int64_t a, int64_t b)
{
    unsigned __int128 product = (unsigned __int128)((__int128)a * b);

    *phigh = (uint64_t)(product >> 64);
    *plow = (uint64_t)product;
}

/**
 * muldiv64:
 * Return @a * @b / @c computed without losing the high bits of the
 * product (it needs at most 96), truncated to 64 bits.
 */
static inline uint64_t muldiv64(uint64_t a, uint32_t b, uint32_t c)
{
    unsigned __int128 product = (unsigned __int128)a * b;

    return (uint64_t)(product / c);
}

/* |@v| as an unsigned number, so that INT64_MIN has an answer. */
static inline uint64_t uabs64(int64_t v)
{
    uint64_t u = v;

    return v >= 0 ? u : 0 - u;
}

/*
 * Checked arithmetic: store the wrapped result in *@ret and return whether
 * it overflowed.  HOST_UTILS_CHECKED(name, builtin, type) makes
 * name_overflow() over one of the GCC overflow builtins.
 */
#define HOST_UTILS_CHECKED(name, builtin, type)                         \
    static inline bool name##_overflow(type x, type y, type *ret)       \
    {                                                                   \
        return builtin(x, y, ret);                                      \
    }

HOST_UTILS_CHECKED(sadd32, __builtin_add_overflow, int32_t)
HOST_UTILS_CHECKED(sadd64, __builtin_add_overflow, int64_t)
HOST_UTILS_CHECKED(uadd32, __builtin_add_overflow, uint32_t)
HOST_UTILS_CHECKED(uadd64, __builtin_add_overflow, uint64_t)
HOST_UTILS_CHECKED(ssub32, __builtin_sub_overflow, int32_t)
HOST_UTILS_CHECKED(ssub64, __builtin_sub_overflow, int64_t)
HOST_UTILS_CHECKED(usub32, __builtin_sub_overflow, uint32_t)
HOST_UTILS_CHECKED(usub64, __builtin_sub_overflow, uint64_t)
HOST_UTILS_CHECKED(smul64, __builtin_mul_overflow, int64_t)
HOST_UTILS_CHECKED(umul64, __builtin_mul_overflow, uint64_t)

#undef HOST_UTILS_CHECKED

/* Exactly one bit set (so 0 is not a power of two). */
static inline bool is_power_of_2(uint64_t value)
{
    return __builtin_popcountll(value) == 1;
}

/* The largest power of two <= @value; 0 for 0. */
static inline uint64_t pow2floor(uint64_t value)
{
    return value ? 1ULL << (63 - clz64(value)) : 0;
}

/*
 * The smallest power of two >= @value, in 64-bit arithmetic: 1 for 0 and 1,
 * and 0 (it wraps) once @value is above 2^63.
 */
static inline uint64_t pow2ceil(uint64_t value)
{
    if (value <= 1) {
        return 1;
    }
    if (value > 1ULL << 63) {
        return 0;
    }
    return 1ULL << (64 - clz64(value - 1));
}

/* The smallest power of two > @x: 1 for 0, and 0 (it wraps) from 2^31. */
static inline uint32_t pow2roundup32(uint32_t x)
{
    if (x >> 31) {
        return 0;
    }
    return 1U << (32 - clz32(x));
}

#endif /* HOST_UTILS_H */
