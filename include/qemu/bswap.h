/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Byte order: swaps, conversions, unaligned little/big-endian accessors. */
#ifndef BSWAP_H
#define BSWAP_H

/* 1 on big-endian hosts, 0 on little-endian ones (usable in #if). */
#if G_BYTE_ORDER == G_BIG_ENDIAN
#define HOST_BIG_ENDIAN 1
#else
#define HOST_BIG_ENDIAN 0
#endif

/*
 * Byte swaps, by value (bswapN) and in place (bswapNs).  GLib's
 * GUINTn_SWAP_LE_BE() compile to the compiler's byte-swap builtins.
 */
#define BSWAP_SWAPS(n)                                                  \
    static inline uint##n##_t bswap##n(uint##n##_t x)                   \
    {                                                                   \
        return GUINT##n##_SWAP_LE_BE(x);                                \
    }                                                                   \
    static inline void bswap##n##s(uint##n##_t *p)                      \
    {                                                                   \
        *p = bswap##n(*p);                                              \
    }

BSWAP_SWAPS(16)
BSWAP_SWAPS(32)
BSWAP_SWAPS(64)

#undef BSWAP_SWAPS

/*
 * Conversions between host order and a fixed order @e (le or be): by value,
 * {le,be}N_to_cpu() and cpu_to_{le,be}N(), and in place, the same names
 * with an "s" suffix.  Each is GLib's GUINTn_{FROM,TO}_{LE,BE}().
 */
#define BSWAP_CONVERSIONS(e, E, n)                                      \
    static inline uint##n##_t e##n##_to_cpu(uint##n##_t v)              \
    {                                                                   \
        return GUINT##n##_FROM_##E(v);                                  \
    }                                                                   \
    static inline uint##n##_t cpu_to_##e##n(uint##n##_t v)              \
    {                                                                   \
        return GUINT##n##_TO_##E(v);                                    \
    }                                                                   \
    static inline void e##n##_to_cpus(uint##n##_t *p)                   \
    {                                                                   \
        *p = e##n##_to_cpu(*p);                                         \
    }                                                                   \
    static inline void cpu_to_##e##n##s(uint##n##_t *p)                 \
    {                                                                   \
        *p = cpu_to_##e##n(*p);                                         \
    }

#define BSWAP_ORDER(e, E)                                               \
    BSWAP_CONVERSIONS(e, E, 16)                                         \
    BSWAP_CONVERSIONS(e, E, 32)                                         \
    BSWAP_CONVERSIONS(e, E, 64)

BSWAP_ORDER(le, LE)
BSWAP_ORDER(be, BE)

#undef BSWAP_ORDER
#undef BSWAP_CONVERSIONS

/* The same for a host unsigned long (bitmap words). */
#if __SIZEOF_LONG__ == 8
#define leul_to_cpu(v) ((unsigned long)le64_to_cpu(v))
#define cpu_to_leul(v) ((unsigned long)cpu_to_le64(v))
#define beul_to_cpu(v) ((unsigned long)be64_to_cpu(v))
#define cpu_to_beul(v) ((unsigned long)cpu_to_be64(v))
#else
#define leul_to_cpu(v) ((unsigned long)le32_to_cpu(v))
#define cpu_to_leul(v) ((unsigned long)cpu_to_le32(v))
#define beul_to_cpu(v) ((unsigned long)be32_to_cpu(v))
#define cpu_to_beul(v) ((unsigned long)cpu_to_be32(v))
#endif

/*
 * Loads and stores at any alignment, QEMU's names:
 *   ld<size>_<order>_p(ptr), st<size>_<order>_p(ptr, value)
 * <size>: ub/sb (8 bits, unsigned/signed, no order), uw/sw and w (16), l
 * (32), q (64); <order>: he (host), le, be.  Loads narrower than 64 bits
 * return int: zero-extended for ub/uw, sign-extended for sb/sw, and the
 * 32 bits as they are for l.
 */
static inline int ldub_p(const void *ptr)
{
    return *(const uint8_t *)ptr;
}

static inline int ldsb_p(const void *ptr)
{
    return *(const int8_t *)ptr;
}

static inline void stb_p(void *ptr, uint8_t v)
{
    *(uint8_t *)ptr = v;
}

/*
 * Host order is a plain byte copy; memcpy() is what lets the compiler emit
 * one unaligned access where the host allows it.  Copies through these two
 * helpers are the only memory accesses the wider accessors make.
 */
static inline uint64_t bswap_load_host(const void *ptr, size_t size)
{
    union {
        uint8_t b[8];
        uint16_t w;
        uint32_t l;
        uint64_t q;
    } u;

    __builtin_memcpy(u.b, ptr, size);
    switch (size) {
    case 2:
        return u.w;
    case 4:
        return u.l;
    default:
        return u.q;
    }
}

static inline void bswap_store_host(void *ptr, uint64_t v, size_t size)
{
    uint16_t w = v;
    uint32_t l = v;

    switch (size) {
    case 2:
        __builtin_memcpy(ptr, &w, 2);
        break;
    case 4:
        __builtin_memcpy(ptr, &l, 4);
        break;
    default:
        __builtin_memcpy(ptr, &v, 8);
        break;
    }
}

/*
 * Per order, the conversion from host order; for "he" there is nothing to
 * do.  (Private: undefined again once the accessors exist.)
 */
#define bswap_he16(v) (v)
#define bswap_he32(v) (v)
#define bswap_he64(v) (v)
#define bswap_le16(v) le16_to_cpu(v)
#define bswap_le32(v) le32_to_cpu(v)
#define bswap_le64(v) le64_to_cpu(v)
#define bswap_be16(v) be16_to_cpu(v)
#define bswap_be32(v) be32_to_cpu(v)
#define bswap_be64(v) be64_to_cpu(v)

/*
 * BSWAP_ACCESSORS(o) makes the 16-, 32- and 64-bit accessors for order o.
 * A conversion to or from a fixed order is its own inverse, so the same
 * bswap_oN() serves loads and stores.
 */
#define BSWAP_ACCESSORS(o)                                              \
    static inline int lduw_##o##_p(const void *ptr)                     \
    {                                                                   \
        return (uint16_t)bswap_##o##16(bswap_load_host(ptr, 2));        \
    }                                                                   \
    static inline int ldsw_##o##_p(const void *ptr)                     \
    {                                                                   \
        return (int16_t)bswap_##o##16(bswap_load_host(ptr, 2));         \
    }                                                                   \
    static inline int ldl_##o##_p(const void *ptr)                      \
    {                                                                   \
        return (int32_t)bswap_##o##32(bswap_load_host(ptr, 4));         \
    }                                                                   \
    static inline uint64_t ldq_##o##_p(const void *ptr)                 \
    {                                                                   \
        return bswap_##o##64(bswap_load_host(ptr, 8));                  \
    }                                                                   \
    static inline void stw_##o##_p(void *ptr, uint16_t v)               \
    {                                                                   \
        bswap_store_host(ptr, bswap_##o##16(v), 2);                     \
    }                                                                   \
    static inline void stl_##o##_p(void *ptr, uint32_t v)               \
    {                                                                   \
        bswap_store_host(ptr, bswap_##o##32(v), 4);                     \
    }                                                                   \
    static inline void stq_##o##_p(void *ptr, uint64_t v)               \
    {                                                                   \
        bswap_store_host(ptr, bswap_##o##64(v), 8);                     \
    }

BSWAP_ACCESSORS(he)
BSWAP_ACCESSORS(le)
BSWAP_ACCESSORS(be)

#undef BSWAP_ACCESSORS
#undef bswap_he16
#undef bswap_he32
#undef bswap_he64
#undef bswap_le16
#undef bswap_le32
#undef bswap_le64
#undef bswap_be16
#undef bswap_be32
#undef bswap_be64

#endif /* BSWAP_H */
