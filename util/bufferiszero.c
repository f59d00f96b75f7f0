/* SPDX-License-Identifier: GPL-2.0-or-later */
/* buffer_is_zero(): find out fast whether a buffer holds only zero bytes. */
#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qemu/bswap.h"
#include "qemu/atomic.h"

/*
 * Strategy (all variants): OR together the first and last word with
 * unaligned loads, then every aligned word in between, several words per
 * iteration, testing the accumulator once per iteration so that a
 * non-zero buffer is rejected early.  Loads never leave [buf, buf + len).
 */

/* A word that may alias the caller's buffer of any type. */
typedef uint64_t __attribute__((may_alias)) ZeroWord;

/* Portable version for any length; 8-byte words, 8 per iteration. */
static bool buffer_zero_int(const void *buf, size_t len)
{
    const unsigned char *b = buf;
    const ZeroWord *p, *e;
    uint64_t t;

    if (unlikely(len < 8)) {
        unsigned char acc = 0;
        size_t i;

        for (i = 0; i < len; i++) {
            acc |= b[i];
        }
        return acc == 0;
    }

    t = ldq_he_p(b) | ldq_he_p(b + len - 8);
    p = QEMU_ALIGN_PTR_UP((const ZeroWord *)(b + 1), 8);
    e = QEMU_ALIGN_PTR_DOWN((const ZeroWord *)(b + len - 1), 8);

    /* Aligned words p[0] .. e[-1]; the head and tail are covered above. */
    for (; p + 8 <= e; p += 8) {
        if (t) {
            return false;
        }
        t = p[0] | p[1] | p[2] | p[3] | p[4] | p[5] | p[6] | p[7];
    }
    while (p < e) {
        t |= *p++;
    }
    return t == 0;
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/* SSE2 (always present on x86-64): 16-byte vectors, 4 per iteration. */
static bool buffer_zero_sse2(const void *buf, size_t len)
{
    const char *b = buf;
    const __m128i *p, *e;
    __m128i zero = _mm_setzero_si128();
    __m128i t;

    if (unlikely(len < 64)) {
        return buffer_zero_int(buf, len);
    }

    t = _mm_or_si128(_mm_loadu_si128((const __m128i *)b),
                     _mm_loadu_si128((const __m128i *)(b + len - 16)));
    p = QEMU_ALIGN_PTR_UP((const __m128i *)(b + 1), 16);
    e = QEMU_ALIGN_PTR_DOWN((const __m128i *)(b + len - 1), 16);

    for (; p + 4 <= e; p += 4) {
        if (unlikely(_mm_movemask_epi8(_mm_cmpeq_epi8(t, zero)) != 0xffff)) {
            return false;
        }
        t = _mm_or_si128(_mm_or_si128(p[0], p[1]),
                         _mm_or_si128(p[2], p[3]));
    }
    while (p < e) {
        t = _mm_or_si128(t, *p++);
    }
    return _mm_movemask_epi8(_mm_cmpeq_epi8(t, zero)) == 0xffff;
}

/* AVX2: 32-byte vectors, 4 per iteration (128 bytes). */
__attribute__((target("avx2")))
static bool buffer_zero_avx2(const void *buf, size_t len)
{
    const char *b = buf;
    const __m256i *p, *e;
    __m256i t;

    if (unlikely(len < 256)) {
        return buffer_zero_sse2(buf, len);
    }

    t = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)b),
                        _mm256_loadu_si256((const __m256i *)(b + len - 32)));
    p = QEMU_ALIGN_PTR_UP((const __m256i *)(b + 1), 32);
    e = QEMU_ALIGN_PTR_DOWN((const __m256i *)(b + len - 1), 32);

    for (; p + 4 <= e; p += 4) {
        if (unlikely(!_mm256_testz_si256(t, t))) {
            return false;
        }
        t = _mm256_or_si256(_mm256_or_si256(p[0], p[1]),
                            _mm256_or_si256(p[2], p[3]));
    }
    while (p < e) {
        t = _mm256_or_si256(t, *p++);
    }
    return _mm256_testz_si256(t, t);
}

typedef bool BufferZeroFn(const void *buf, size_t len);

/* The chosen implementation; set on first use from the CPU's features. */
static BufferZeroFn *buffer_zero_accel;

static BufferZeroFn *select_accel_fn(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) {
        return buffer_zero_avx2;
    }
    return buffer_zero_sse2;
}

bool buffer_is_zero(const void *buf, size_t len)
{
    BufferZeroFn *fn = qatomic_read(&buffer_zero_accel);

    if (unlikely(!fn)) {
        fn = select_accel_fn();
        qatomic_set(&buffer_zero_accel, fn);
    }
    return fn(buf, len);
}

#else

bool buffer_is_zero(const void *buf, size_t len)
{
    return buffer_zero_int(buf, len);
}

#endif
