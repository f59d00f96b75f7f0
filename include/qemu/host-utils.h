/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Integer helpers: bit counts, powers of two, wide multiply, as QEMU's. */
#ifndef HOST_UTILS_H
#define HOST_UTILS_H

/**
 * clz32/clz64/clz8/clz16 - count leading zeros; the width for zero.
 */
static inline int clz32(uint32_t val)
{
    return val ? __builtin_clz(val) : 32;
}

static inline int clz64(uint64_t val)
{
    return val ? __builtin_clzll(val) : 64;
}

static inline int clz8(uint8_t val)
{
    return clz32(val) - 24;
}

static inline int clz16(uint16_t val)
{
    return clz32(val) - 16;
}

/* clo32/clo64 - count leading ones. */
static inline int clo32(uint32_t val)
{
    return clz32(~val);
}

static inline int clo64(uint64_t val)
{
    return clz64(~val);
}

/**
 * ctz32/ctz64/ctz8/ctz16 - count trailing zeros; the width for zero.
 */
static inline int ctz32(uint32_t val)
{
    return val ? __builtin_ctz(val) : 32;
}

static inline int ctz64(uint64_t val)
{
    return val ? __builtin_ctzll(val) : 64;
}

static inline int ctz8(uint8_t val)
{
    return val ? __builtin_ctz(val) : 8;
}

static inline int ctz16(uint16_t val)
{
    return val ? __builtin_ctz(val) : 16;
}

/* cto32/cto64 - count trailing ones. */
static inline int cto32(uint32_t val)
{
    return ctz32(~val);
}

static inline int cto64(uint64_t val)
{
    return ctz64(~val);
}

/* clrsb32/clrsb64 - count leading redundant sign bits. */
static inline int clrsb32(uint32_t val)
{
    return __builtin_clrsb(val);
}

static inline int clrsb64(uint64_t val)
{
    return __builtin_clrsbll(val);
}

/* ctpop8/16/32/64 - population count. */
static inline int ctpop8(uint8_t val)
{
    return __builtin_popcount(val);
}

static inline int ctpop16(uint16_t val)
{
    return __builtin_popcount(val);
}

static inline int ctpop32(uint32_t val)
{
    return __builtin_popcount(val);
}

static inline int ctpop64(uint64_t val)
{
    return __builtin_popcountll(val);
}

/* revbit8/16/32/64 - reverse the bits in a word. */
static inline uint8_t revbit8(uint8_t x)
{
    x = ((x & 0xf0) >> 4) | ((x & 0x0f) << 4);
    x = ((x & 0x88) >> 3) | ((x & 0x44) >> 1)
      | ((x & 0x22) << 1) | ((x & 0x11) << 3);
    return x;
}

static inline uint16_t revbit16(uint16_t x)
{
    return ((uint16_t)revbit8(x & 0xff) << 8) | revbit8(x >> 8);
}

static inline uint32_t revbit32(uint32_t x)
{
    return ((uint32_t)revbit16(x & 0xffff) << 16) | revbit16(x >> 16);
}

static inline uint64_t revbit64(uint64_t x)
{
    return ((uint64_t)revbit32(x & 0xffffffffu) << 32) | revbit32(x >> 32);
}

/* Host-long variants (unsigned long), as QEMU's clzl/ctzl/ctpopl. */
static inline int clzl(unsigned long val)
{
    return val ? __builtin_clzl(val) : (int)(sizeof(long) * 8);
}

static inline int ctzl(unsigned long val)
{
    return val ? __builtin_ctzl(val) : (int)(sizeof(long) * 8);
}

static inline int ctpopl(unsigned long val)
{
    return __builtin_popcountl(val);
}

/**
 * mulu64 - 64x64 -> 128 unsigned multiply.
 */
static inline void mulu64(uint64_t *plow, uint64_t *phigh,
                          uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;

    *plow = r;
    *phigh = r >> 64;
}

/**
 * muls64 - 64x64 -> 128 signed multiply.
 */
static inline void muls64(uint64_t *plow, uint64_t *phigh,
                          int64_t a, int64_t b)
{
    __int128_t r = (__int128_t)a * b;

    *plow = r;
    *phigh = r >> 64;
}

/**
 * muldiv64 - compute (a * b) / c with a 96-bit intermediate result.
 * The result is truncated to 64 bits.
 */
static inline uint64_t muldiv64(uint64_t a, uint32_t b, uint32_t c)
{
    return (__int128_t)a * b / c;
}

/* Absolute value as uint64_t (correct for INT64_MIN). */
static inline uint64_t uabs64(int64_t v)
{
    return v < 0 ? -(uint64_t)v : v;
}

/* Overflow-checking arithmetic; return true on overflow. */
static inline bool sadd32_overflow(int32_t x, int32_t y, int32_t *ret)
{
    return __builtin_add_overflow(x, y, ret);
}

static inline bool sadd64_overflow(int64_t x, int64_t y, int64_t *ret)
{
    return __builtin_add_overflow(x, y, ret);
}

static inline bool uadd32_overflow(uint32_t x, uint32_t y, uint32_t *ret)
{
    return __builtin_add_overflow(x, y, ret);
}

static inline bool uadd64_overflow(uint64_t x, uint64_t y, uint64_t *ret)
{
    return __builtin_add_overflow(x, y, ret);
}

static inline bool ssub32_overflow(int32_t x, int32_t y, int32_t *ret)
{
    return __builtin_sub_overflow(x, y, ret);
}

static inline bool ssub64_overflow(int64_t x, int64_t y, int64_t *ret)
{
    return __builtin_sub_overflow(x, y, ret);
}

static inline bool usub32_overflow(uint32_t x, uint32_t y, uint32_t *ret)
{
    return __builtin_sub_overflow(x, y, ret);
}

static inline bool usub64_overflow(uint64_t x, uint64_t y, uint64_t *ret)
{
    return __builtin_sub_overflow(x, y, ret);
}

static inline bool smul64_overflow(int64_t x, int64_t y, int64_t *ret)
{
    return __builtin_mul_overflow(x, y, ret);
}

static inline bool umul64_overflow(uint64_t x, uint64_t y, uint64_t *ret)
{
    return __builtin_mul_overflow(x, y, ret);
}

/**
 * is_power_of_2 - true if @value is a power of two (0 is not).
 */
static inline bool is_power_of_2(uint64_t value)
{
    if (!value) {
        return false;
    }

    return !(value & (value - 1));
}

/**
 * pow2floor - round down to the nearest power of two; 0 for 0.
 */
static inline uint64_t pow2floor(uint64_t value)
{
    if (!value) {
        /* Avoid undefined shift by 64 */
        return 0;
    }
    return 0x8000000000000000ull >> clz64(value);
}

/**
 * pow2ceil - round up to the nearest power of two, modulo 2^64: 1 for 0,
 * and 0 for values above 2^63.
 */
static inline uint64_t pow2ceil(uint64_t value)
{
    int n = clz64(value - 1);

    if (!n) {
        /* value == 0 (value - 1 wrapped) or value > 2^63 */
        return !value;
    }
    return 0x8000000000000000ull >> (n - 1);
}

/* The smallest power of two strictly greater than @x (as QEMU). */
static inline uint32_t pow2roundup32(uint32_t x)
{
    x |= (x >> 1);
    x |= (x >> 2);
    x |= (x >> 4);
    x |= (x >> 8);
    x |= (x >> 16);
    return x + 1;
}

#endif /* HOST_UTILS_H */
