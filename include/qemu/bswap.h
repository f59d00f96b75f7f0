/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Byte swapping and unaligned big/little-endian loads and stores. */
#ifndef BSWAP_H
#define BSWAP_H

static inline uint16_t bswap16(uint16_t x)
{
    return __builtin_bswap16(x);
}

static inline uint32_t bswap32(uint32_t x)
{
    return __builtin_bswap32(x);
}

static inline uint64_t bswap64(uint64_t x)
{
    return __builtin_bswap64(x);
}

static inline void bswap16s(uint16_t *s)
{
    *s = __builtin_bswap16(*s);
}

static inline void bswap32s(uint32_t *s)
{
    *s = __builtin_bswap32(*s);
}

static inline void bswap64s(uint64_t *s)
{
    *s = __builtin_bswap64(*s);
}

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_BIG_ENDIAN 1
#define be_bswap(v, size) (v)
#define le_bswap(v, size) glue(__builtin_bswap, size)(v)
#define be_bswaps(v, size)
#define le_bswaps(p, size) \
            do { *p = glue(__builtin_bswap, size)(*p); } while (0)
#else
#define HOST_BIG_ENDIAN 0
#define le_bswap(v, size) (v)
#define be_bswap(v, size) glue(__builtin_bswap, size)(v)
#define le_bswaps(v, size)
#define be_bswaps(p, size) \
            do { *p = glue(__builtin_bswap, size)(*p); } while (0)
#endif

/* Value conversions: cpu_to_be32(), le64_to_cpu() ... and in-place *s. */
#define CPU_CONVERT(endian, size, type)                                 \
static inline type endian ## size ## _to_cpu(type v)                    \
{                                                                       \
    return glue(endian, _bswap)(v, size);                               \
}                                                                       \
                                                                        \
static inline type cpu_to_ ## endian ## size(type v)                    \
{                                                                       \
    return glue(endian, _bswap)(v, size);                               \
}                                                                       \
                                                                        \
static inline void endian ## size ## _to_cpus(type *p)                  \
{                                                                       \
    glue(endian, _bswaps)(p, size);                                     \
}                                                                       \
                                                                        \
static inline void cpu_to_ ## endian ## size ## s(type *p)              \
{                                                                       \
    glue(endian, _bswaps)(p, size);                                     \
}

CPU_CONVERT(be, 16, uint16_t)
CPU_CONVERT(be, 32, uint32_t)
CPU_CONVERT(be, 64, uint64_t)

CPU_CONVERT(le, 16, uint16_t)
CPU_CONVERT(le, 32, uint32_t)
CPU_CONVERT(le, 64, uint64_t)

#undef CPU_CONVERT

/* Host-long conversions (used to (de)serialize unsigned long arrays). */
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
 * Unaligned loads and stores:
 *   ld{type}{sign}{size}_{endian}_p(ptr)
 *   st{type}{size}_{endian}_p(ptr, val)
 * type: b (8), w (16), l (32), q (64); sign: u or s (b/w only);
 * endian: le or be (none for bytes).
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

static inline int lduw_he_p(const void *ptr)
{
    uint16_t r;

    __builtin_memcpy(&r, ptr, sizeof(r));
    return r;
}

static inline int ldsw_he_p(const void *ptr)
{
    int16_t r;

    __builtin_memcpy(&r, ptr, sizeof(r));
    return r;
}

static inline void stw_he_p(void *ptr, uint16_t v)
{
    __builtin_memcpy(ptr, &v, sizeof(v));
}

static inline int ldl_he_p(const void *ptr)
{
    int32_t r;

    __builtin_memcpy(&r, ptr, sizeof(r));
    return r;
}

static inline void stl_he_p(void *ptr, uint32_t v)
{
    __builtin_memcpy(ptr, &v, sizeof(v));
}

static inline uint64_t ldq_he_p(const void *ptr)
{
    uint64_t r;

    __builtin_memcpy(&r, ptr, sizeof(r));
    return r;
}

static inline void stq_he_p(void *ptr, uint64_t v)
{
    __builtin_memcpy(ptr, &v, sizeof(v));
}

static inline int lduw_le_p(const void *ptr)
{
    return (uint16_t)le_bswap((uint16_t)lduw_he_p(ptr), 16);
}

static inline int ldsw_le_p(const void *ptr)
{
    return (int16_t)le_bswap((uint16_t)lduw_he_p(ptr), 16);
}

static inline int ldl_le_p(const void *ptr)
{
    return le_bswap((uint32_t)ldl_he_p(ptr), 32);
}

static inline uint64_t ldq_le_p(const void *ptr)
{
    return le_bswap(ldq_he_p(ptr), 64);
}

static inline void stw_le_p(void *ptr, uint16_t v)
{
    stw_he_p(ptr, le_bswap(v, 16));
}

static inline void stl_le_p(void *ptr, uint32_t v)
{
    stl_he_p(ptr, le_bswap(v, 32));
}

static inline void stq_le_p(void *ptr, uint64_t v)
{
    stq_he_p(ptr, le_bswap(v, 64));
}

static inline int lduw_be_p(const void *ptr)
{
    return (uint16_t)be_bswap((uint16_t)lduw_he_p(ptr), 16);
}

static inline int ldsw_be_p(const void *ptr)
{
    return (int16_t)be_bswap((uint16_t)lduw_he_p(ptr), 16);
}

static inline int ldl_be_p(const void *ptr)
{
    return be_bswap((uint32_t)ldl_he_p(ptr), 32);
}

static inline uint64_t ldq_be_p(const void *ptr)
{
    return be_bswap(ldq_he_p(ptr), 64);
}

static inline void stw_be_p(void *ptr, uint16_t v)
{
    stw_he_p(ptr, be_bswap(v, 16));
}

static inline void stl_be_p(void *ptr, uint32_t v)
{
    stl_he_p(ptr, be_bswap(v, 32));
}

static inline void stq_be_p(void *ptr, uint64_t v)
{
    stq_he_p(ptr, be_bswap(v, 64));
}

#endif /* BSWAP_H */
