/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for bitops, bitmap, host-utils, bswap and queue macros. */
#include "qemu/osdep.h"
#include "qemu/bitops.h"
#include "qemu/bitmap.h"
#include "qemu/host-utils.h"
#include "qemu/bswap.h"
#include "qemu/queue.h"

/*
 * Bitmap operations are checked against an oracle: a plain bool array
 * that each operation is mirrored into.
 */
#define NBITS 517   /* not a multiple of the word size */

typedef struct Oracle {
    unsigned long map[BITS_TO_LONGS(NBITS)];
    bool bits[NBITS];
} Oracle;

static void oracle_check(const Oracle *o, long nbits)
{
    long i;

    for (i = 0; i < nbits; i++) {
        if (!!test_bit(i, o->map) != o->bits[i]) {
            g_test_message("bit %ld differs", i);
            g_assert_not_reached();
        }
    }
}

static bool oracle_matches(const Oracle *o, long nbits)
{
    long i;

    for (i = 0; i < nbits; i++) {
        if (!!test_bit(i, o->map) != o->bits[i]) {
            return false;
        }
    }
    return true;
}

static void test_bitmap_set_clear(void)
{
    Oracle o;
    GRand *r = g_rand_new_with_seed(42);
    int iter;
    long i;

    memset(&o, 0, sizeof(o));
    for (iter = 0; iter < 2000; iter++) {
        long start = g_rand_int_range(r, 0, NBITS);
        long len = g_rand_int_range(r, 0, NBITS - start + 1);
        int op = g_rand_int_range(r, 0, 4);
        bool any = false;

        for (i = start; i < start + len; i++) {
            any |= o.bits[i];
        }
        switch (op) {
        case 0:
            bitmap_set(o.map, start, len);
            break;
        case 1:
            bitmap_set_atomic(o.map, start, len);
            break;
        case 2:
            bitmap_clear(o.map, start, len);
            break;
        case 3:
            g_assert_cmpint(bitmap_test_and_clear_atomic(o.map, start, len),
                            ==, any);
            break;
        }
        for (i = start; i < start + len; i++) {
            o.bits[i] = op < 2;
        }
        oracle_check(&o, NBITS);
        g_assert_cmpint(bitmap_count_one(o.map, NBITS), ==,
                        slow_bitmap_count_one(o.map, NBITS));
    }

    /* A planted mismatch must be detected by the comparison. */
    o.bits[NBITS / 2] = !o.bits[NBITS / 2];
    g_assert_false(oracle_matches(&o, NBITS));
    g_rand_free(r);
}

static void test_find_bits(void)
{
    unsigned long map[BITS_TO_LONGS(NBITS)] = { 0 };
    long i, j;

    g_assert_cmpuint(find_first_bit(map, NBITS), ==, NBITS);
    g_assert_cmpuint(find_next_bit(map, NBITS, 3), ==, NBITS);
    g_assert_cmpuint(find_last_bit(map, NBITS), ==, NBITS);
    g_assert_cmpuint(find_next_zero_bit(map, NBITS, 0), ==, 0);

    set_bit(5, map);
    set_bit(64, map);
    set_bit(NBITS - 1, map);
    g_assert_cmpuint(find_first_bit(map, NBITS), ==, 5);
    g_assert_cmpuint(find_next_bit(map, NBITS, 6), ==, 64);
    g_assert_cmpuint(find_next_bit(map, NBITS, 65), ==, NBITS - 1);
    g_assert_cmpuint(find_next_bit(map, NBITS - 1, 65), ==, NBITS - 1);
    g_assert_cmpuint(find_last_bit(map, NBITS), ==, NBITS - 1);
    g_assert_cmpuint(find_last_bit(map, NBITS - 1), ==, 64);

    bitmap_fill(map, NBITS);
    g_assert_cmpuint(find_next_zero_bit(map, NBITS, 0), ==, NBITS);
    clear_bit(300, map);
    g_assert_cmpuint(find_next_zero_bit(map, NBITS, 10), ==, 300);
    g_assert_cmpuint(find_first_zero_bit(map, NBITS), ==, 300);
    g_assert_true(test_and_set_bit(300, map) == 0);
    g_assert_true(test_and_clear_bit(300, map) == 1);

    /* Every start offset against a brute force search. */
    bitmap_zero(map, NBITS);
    for (i = 0; i < NBITS; i += 7) {
        set_bit(i, map);
    }
    for (i = 0; i <= NBITS; i++) {
        unsigned long expect = NBITS, expect_zero = NBITS;

        for (j = i; j < NBITS; j++) {
            if (test_bit(j, map)) {
                expect = j;
                break;
            }
        }
        for (j = i; j < NBITS; j++) {
            if (!test_bit(j, map)) {
                expect_zero = j;
                break;
            }
        }
        g_assert_cmpuint(find_next_bit(map, NBITS, i), ==, expect);
        g_assert_cmpuint(find_next_zero_bit(map, NBITS, i), ==, expect_zero);
    }
}

static void test_bitmap_ops(void)
{
    DECLARE_BITMAP(a, NBITS);
    DECLARE_BITMAP(b, NBITS);
    DECLARE_BITMAP(d, NBITS);
    long i;

    bitmap_zero(a, NBITS);
    bitmap_zero(b, NBITS);
    g_assert_true(bitmap_empty(a, NBITS));
    bitmap_set(a, 10, 100);
    bitmap_set(b, 100, 300);
    g_assert_true(bitmap_intersects(a, b, NBITS));
    g_assert_true(bitmap_and(d, a, b, NBITS));
    g_assert_cmpint(bitmap_count_one(d, NBITS), ==, 10);
    bitmap_or(d, a, b, NBITS);
    g_assert_cmpint(bitmap_count_one(d, NBITS), ==, 390);
    bitmap_xor(d, a, b, NBITS);
    g_assert_cmpint(bitmap_count_one(d, NBITS), ==, 380);
    g_assert_true(bitmap_andnot(d, a, b, NBITS));
    g_assert_cmpint(bitmap_count_one(d, NBITS), ==, 90);
    bitmap_complement(d, a, NBITS);
    g_assert_cmpint(bitmap_count_one(d, NBITS), ==, NBITS - 100);
    bitmap_copy(d, a, NBITS);
    g_assert_true(bitmap_equal(d, a, NBITS));
    bitmap_fill(d, NBITS);
    g_assert_true(bitmap_full(d, NBITS));
    g_assert_cmpint(bitmap_count_one_with_offset(a, 50, 100), ==, 60);
    g_assert_true(bitmap_test_and_clear(a, 0, 20));
    g_assert_false(bitmap_test_and_clear(a, 0, 20));

    /* Copies with offsets, against bit-by-bit copies. */
    for (i = 0; i < NBITS; i++) {
        if ((i * 7919) % 3 == 0) {
            set_bit(i, b);
        } else {
            clear_bit(i, b);
        }
    }
    for (i = 0; i < 130; i += 13) {
        long n = NBITS - 130, k;

        bitmap_zero(d, NBITS);
        bitmap_copy_with_src_offset(d, b, i, n);
        for (k = 0; k < n; k++) {
            g_assert_cmpint(test_bit(k, d), ==, test_bit(k + i, b));
        }
        bitmap_fill(d, NBITS);
        bitmap_copy_with_dst_offset(d, b, i, n);
        for (k = 0; k < i; k++) {
            g_assert_true(test_bit(k, d));
        }
        for (k = 0; k < n; k++) {
            g_assert_cmpint(test_bit(k + i, d), ==, test_bit(k, b));
        }
    }

    /* a: bits 20..109 set */
    g_assert_cmpuint(bitmap_find_next_zero_area(a, NBITS, 0, 5, 0), ==, 0);
    g_assert_cmpuint(bitmap_find_next_zero_area(a, NBITS, 18, 5, 0), ==,
                     110);
    g_assert_cmpuint(bitmap_find_next_zero_area(a, NBITS, 0, 21, 0), ==,
                     110);
}

static void test_host_utils(void)
{
    g_assert_cmpint(clz32(0), ==, 32);
    g_assert_cmpint(clz64(0), ==, 64);
    g_assert_cmpint(clz64(1), ==, 63);
    g_assert_cmpint(ctz32(0), ==, 32);
    g_assert_cmpint(ctz64(0), ==, 64);
    g_assert_cmpint(ctz64(1ULL << 40), ==, 40);
    g_assert_cmpint(ctpop64(0xf0f0f0f0f0f0f0f0ULL), ==, 32);
    g_assert_cmpint(clo64(~0ULL), ==, 64);
    g_assert_cmpint(cto32(7), ==, 3);
    g_assert_true(is_power_of_2(1));
    g_assert_true(is_power_of_2(1ULL << 63));
    g_assert_false(is_power_of_2(0));
    g_assert_false(is_power_of_2(6));
    g_assert_cmpuint(pow2floor(0), ==, 0);
    g_assert_cmpuint(pow2floor(1000), ==, 512);
    g_assert_cmpuint(pow2ceil(0), ==, 1);
    g_assert_cmpuint(pow2ceil(1), ==, 1);
    g_assert_cmpuint(pow2ceil(1000), ==, 1024);
    g_assert_cmpuint(pow2ceil(1024), ==, 1024);
    g_assert_cmpuint(pow2ceil((1ULL << 63) + 1), ==, 0);
    g_assert_cmpuint(muldiv64(1ULL << 62, 1000, 10), ==, (1ULL << 62) * 100);
    g_assert_cmpuint(revbit8(0x01), ==, 0x80);
    g_assert_cmpuint(revbit64(1), ==, 1ULL << 63);
    g_assert_cmpuint(extract64(0xabcd, 4, 8), ==, 0xbc);
    g_assert_cmpuint(deposit64(0, 60, 4, 0xf), ==, 0xfULL << 60);
    g_assert_cmpint(sextract32(0x80, 4, 4), ==, -8);
    g_assert_cmpuint(MAKE_64BIT_MASK(8, 8), ==, 0xff00);
    g_assert_cmpuint(BIT_ULL(40), ==, 1ULL << 40);
    g_assert_cmpuint(BITS_TO_LONGS(65), ==, 2);
    g_assert_cmpuint(rol32(0x80000001, 1), ==, 3);
}

static void test_bswap(void)
{
    uint8_t buf[9] = { 0 };

    stq_be_p(buf + 1, 0x0102030405060708ULL);
    g_assert_cmpuint(buf[1], ==, 1);
    g_assert_cmpuint(buf[8], ==, 8);
    g_assert_cmpuint(ldq_be_p(buf + 1), ==, 0x0102030405060708ULL);
    g_assert_cmpuint(ldq_le_p(buf + 1), ==, 0x0807060504030201ULL);
    stl_be_p(buf + 1, 0xdeadbeef);
    g_assert_cmpuint((uint32_t)ldl_be_p(buf + 1), ==, 0xdeadbeef);
    g_assert_cmpuint(buf[1], ==, 0xde);
    stw_le_p(buf, 0xfffe);
    g_assert_cmpint(lduw_le_p(buf), ==, 0xfffe);
    g_assert_cmpint(ldsw_le_p(buf), ==, -2);
    g_assert_cmpint(lduw_be_p(buf), ==, 0xfeff);
    g_assert_cmpuint(cpu_to_be32(1), ==, 0x01000000);
    g_assert_cmpuint(be64_to_cpu(cpu_to_be64(0x1122334455667788ULL)), ==,
                     0x1122334455667788ULL);
    g_assert_cmpuint(cpu_to_le16(0x1234), ==, 0x1234);
    g_assert_cmpuint(bswap16(0x1234), ==, 0x3412);
}

typedef struct Elem {
    int v;
    QSIMPLEQ_ENTRY(Elem) sq;
    QTAILQ_ENTRY(Elem) tq;
    QLIST_ENTRY(Elem) l;
    QSLIST_ENTRY(Elem) sl;
} Elem;

static void test_queues(void)
{
    QSIMPLEQ_HEAD(, Elem) sq = QSIMPLEQ_HEAD_INITIALIZER(sq);
    QSIMPLEQ_HEAD(, Elem) sq2 = QSIMPLEQ_HEAD_INITIALIZER(sq2);
    QTAILQ_HEAD(, Elem) tq = QTAILQ_HEAD_INITIALIZER(tq);
    QLIST_HEAD(, Elem) l = QLIST_HEAD_INITIALIZER(l);
    QSLIST_HEAD(, Elem) sl = QSLIST_HEAD_INITIALIZER(sl);
    Elem e[5], *p, *n;
    int i, sum;

    for (i = 0; i < 5; i++) {
        e[i].v = i;
        QSIMPLEQ_INSERT_TAIL(&sq, &e[i], sq);
        QTAILQ_INSERT_TAIL(&tq, &e[i], tq);
        QLIST_INSERT_HEAD(&l, &e[i], l);
        QSLIST_INSERT_HEAD(&sl, &e[i], sl);
    }
    g_assert_true(QSIMPLEQ_FIRST(&sq) == &e[0]);
    g_assert_true(QSIMPLEQ_LAST(&sq, Elem, sq) == &e[4]);
    QSIMPLEQ_REMOVE(&sq, &e[4], Elem, sq);
    g_assert_true(QSIMPLEQ_LAST(&sq, Elem, sq) == &e[3]);
    QSIMPLEQ_REMOVE_HEAD(&sq, sq);
    QSIMPLEQ_INSERT_HEAD(&sq2, &e[4], sq);
    QSIMPLEQ_PREPEND(&sq, &sq2);
    g_assert_true(QSIMPLEQ_EMPTY(&sq2));
    sum = 0;
    QSIMPLEQ_FOREACH(p, &sq, sq) {
        sum = sum * 10 + p->v;
    }
    g_assert_cmpint(sum, ==, 4123);
    QSIMPLEQ_FOREACH_SAFE(p, &sq, sq, n) {
        QSIMPLEQ_REMOVE(&sq, p, Elem, sq);
    }
    g_assert_true(QSIMPLEQ_EMPTY(&sq));
    QSIMPLEQ_INSERT_TAIL(&sq, &e[1], sq);  /* tail pointer still valid */
    g_assert_true(QSIMPLEQ_LAST(&sq, Elem, sq) == &e[1]);

    g_assert_true(QTAILQ_LAST(&tq) == &e[4]);
    g_assert_true(QTAILQ_PREV(&e[2], tq) == &e[1]);
    QTAILQ_REMOVE(&tq, &e[4], tq);
    g_assert_false(QTAILQ_IN_USE(&e[4], tq));
    g_assert_true(QTAILQ_LAST(&tq) == &e[3]);
    QTAILQ_INSERT_BEFORE(&e[0], &e[4], tq);
    QTAILQ_REMOVE(&tq, &e[2], tq);
    QTAILQ_INSERT_AFTER(&tq, &e[3], &e[2], tq);
    sum = 0;
    QTAILQ_FOREACH_REVERSE(p, &tq, tq) {
        sum = sum * 10 + p->v;
    }
    g_assert_cmpint(sum, ==, 23104);
    QTAILQ_FOREACH_SAFE(p, &tq, tq, n) {
        QTAILQ_REMOVE(&tq, p, tq);
    }
    g_assert_true(QTAILQ_EMPTY(&tq));
    g_assert_null(QTAILQ_LAST(&tq));

    sum = 0;
    QLIST_FOREACH_SAFE(p, &l, l, n) {
        sum = sum * 10 + p->v;
        if (p->v % 2) {
            QLIST_REMOVE(p, l);
            g_assert_false(QLIST_IS_INSERTED(p, l));
        }
    }
    g_assert_cmpint(sum, ==, 43210);
    sum = 0;
    QLIST_FOREACH(p, &l, l) {
        sum = sum * 10 + p->v;
    }
    g_assert_cmpint(sum, ==, 420);

    QSLIST_REMOVE(&sl, &e[2], Elem, sl);
    QSLIST_REMOVE_HEAD(&sl, sl);
    sum = 0;
    QSLIST_FOREACH(p, &sl, sl) {
        sum = sum * 10 + p->v;
    }
    g_assert_cmpint(sum, ==, 310);
}

/*
 * The counting, reversing and arithmetic helpers against bit-by-bit
 * definitions, on edge values and on random ones.
 */
static int naive_clz(uint64_t v, int width)
{
    int n = 0;

    while (n < width && !(v & (1ULL << (width - 1 - n)))) {
        n++;
    }
    return n;
}

static int naive_ctz(uint64_t v, int width)
{
    int n = 0;

    while (n < width && !(v & (1ULL << n))) {
        n++;
    }
    return n;
}

static int naive_popcount(uint64_t v)
{
    int n = 0;

    for (; v; v >>= 1) {
        n += v & 1;
    }
    return n;
}

static uint64_t naive_revbit(uint64_t v, int width)
{
    uint64_t r = 0;
    int i;

    for (i = 0; i < width; i++) {
        if (v & (1ULL << i)) {
            r |= 1ULL << (width - 1 - i);
        }
    }
    return r;
}

static void check_counts(uint64_t v)
{
    uint32_t v32 = v;
    uint16_t v16 = v;
    uint8_t v8 = v;

    g_assert_cmpint(clz64(v), ==, naive_clz(v, 64));
    g_assert_cmpint(clz32(v32), ==, naive_clz(v32, 32));
    g_assert_cmpint(clz16(v16), ==, naive_clz(v16, 16));
    g_assert_cmpint(clz8(v8), ==, naive_clz(v8, 8));
    g_assert_cmpint(ctz64(v), ==, naive_ctz(v, 64));
    g_assert_cmpint(ctz32(v32), ==, naive_ctz(v32, 32));
    g_assert_cmpint(ctz16(v16), ==, naive_ctz(v16, 16));
    g_assert_cmpint(ctz8(v8), ==, naive_ctz(v8, 8));
    g_assert_cmpint(clo64(v), ==, naive_clz(~v, 64));
    g_assert_cmpint(clo32(v32), ==, naive_clz((uint32_t)~v32, 32));
    g_assert_cmpint(cto64(v), ==, naive_ctz(~v, 64));
    g_assert_cmpint(cto32(v32), ==, naive_ctz((uint32_t)~v32, 32));
    g_assert_cmpint(clzl(v), ==, naive_clz((unsigned long)v, HOST_LONG_BITS));
    g_assert_cmpint(ctzl(v), ==, naive_ctz((unsigned long)v, HOST_LONG_BITS));
    g_assert_cmpint(ctpop64(v), ==, naive_popcount(v));
    g_assert_cmpint(ctpop32(v32) + ctpop32(v >> 32), ==, ctpop64(v));
    g_assert_cmpint(ctpop16(v16) + ctpop16(v32 >> 16), ==, ctpop32(v32));
    g_assert_cmpint(ctpop8(v8) + ctpop8(v16 >> 8), ==, ctpop16(v16));
    g_assert_cmpint(ctpopl(v), ==, ctpop64((unsigned long)v));
    /* Redundant sign bits: the run of bits equal to the sign, minus it. */
    g_assert_cmpint(clrsb64(v), ==,
                    naive_clz((v >> 63) ? ~v : v, 64) - 1);
    g_assert_cmpint(clrsb32(v32), ==,
                    naive_clz((v32 >> 31) ? (uint32_t)~v32 : v32, 32) - 1);
    g_assert_cmpuint(revbit64(v), ==, naive_revbit(v, 64));
    g_assert_cmpuint(revbit32(v32), ==, naive_revbit(v32, 32));
    g_assert_cmpuint(revbit16(v16), ==, naive_revbit(v16, 16));
    g_assert_cmpuint(revbit8(v8), ==, naive_revbit(v8, 8));
}

static void test_host_utils_oracle(void)
{
    static const uint64_t edges[] = {
        0, 1, 2, 3, 0x80, 0xff, 0x100, 0x8000, 0xffff, 0x80000000,
        0xffffffff, 0x100000000ULL, 1ULL << 63, ~0ULL, ~0ULL - 1,
        0x8000000000000001ULL, 0x7fffffffffffffffULL,
    };
    GRand *r = g_rand_new_with_seed(7);
    uint64_t lo, hi;
    int i;

    for (i = 0; i < G_N_ELEMENTS(edges); i++) {
        check_counts(edges[i]);
    }
    for (i = 0; i < 2000; i++) {
        uint64_t v = ((uint64_t)g_rand_int(r) << 32) | g_rand_int(r);

        /* Also values with long runs of zeros or ones at either end. */
        check_counts(v);
        check_counts(v >> g_rand_int_range(r, 0, 64));
        check_counts(v << g_rand_int_range(r, 0, 64));
        check_counts(~(v >> g_rand_int_range(r, 0, 64)));
    }
    g_rand_free(r);

    mulu64(&lo, &hi, ~0ULL, ~0ULL);
    g_assert_cmpuint(hi, ==, ~0ULL - 1);
    g_assert_cmpuint(lo, ==, 1);
    mulu64(&lo, &hi, 1ULL << 40, 1ULL << 40);
    g_assert_cmpuint(hi, ==, 1ULL << 16);
    g_assert_cmpuint(lo, ==, 0);
    muls64(&lo, &hi, -1, 5);
    g_assert_cmpuint(hi, ==, ~0ULL);
    g_assert_cmpuint(lo, ==, (uint64_t)-5);
    muls64(&lo, &hi, INT64_MIN, -1);
    g_assert_cmpuint(hi, ==, 0);
    g_assert_cmpuint(lo, ==, 1ULL << 63);
    g_assert_cmpuint(muldiv64(~0ULL, 0xffffffff, 0xffffffff), ==, ~0ULL);
    g_assert_cmpuint(muldiv64(1000, 3, 7), ==, 428);
    g_assert_cmpuint(uabs64(INT64_MIN), ==, 1ULL << 63);
    g_assert_cmpuint(uabs64(-3), ==, 3);
    g_assert_cmpuint(uabs64(3), ==, 3);

    {
        int32_t s32;
        int64_t s64;
        uint32_t u32;
        uint64_t u64;

        g_assert_true(sadd32_overflow(INT32_MAX, 1, &s32));
        g_assert_cmpint(s32, ==, INT32_MIN);
        g_assert_false(sadd32_overflow(-1, 1, &s32));
        g_assert_true(sadd64_overflow(INT64_MIN, -1, &s64));
        g_assert_cmpint(s64, ==, INT64_MAX);
        g_assert_true(uadd32_overflow(UINT32_MAX, 2, &u32));
        g_assert_cmpuint(u32, ==, 1);
        g_assert_false(uadd64_overflow(1, 2, &u64));
        g_assert_cmpuint(u64, ==, 3);
        g_assert_true(ssub32_overflow(INT32_MIN, 1, &s32));
        g_assert_false(ssub64_overflow(0, INT64_MAX, &s64));
        g_assert_cmpint(s64, ==, -INT64_MAX);
        g_assert_true(usub32_overflow(0, 1, &u32));
        g_assert_cmpuint(u32, ==, UINT32_MAX);
        g_assert_true(usub64_overflow(1, 2, &u64));
        g_assert_true(smul64_overflow(INT64_MIN, -1, &s64));
        g_assert_false(smul64_overflow(-4, 5, &s64));
        g_assert_cmpint(s64, ==, -20);
        g_assert_true(umul64_overflow(1ULL << 32, 1ULL << 32, &u64));
        g_assert_false(umul64_overflow(1ULL << 31, 1ULL << 32, &u64));
    }

    for (i = 0; i < 64; i++) {
        uint64_t p = 1ULL << i;

        g_assert_true(is_power_of_2(p));
        g_assert_cmpuint(pow2floor(p), ==, p);
        g_assert_cmpuint(pow2ceil(p), ==, p);
        if (i > 1) {
            g_assert_false(is_power_of_2(p + 1));
            g_assert_cmpuint(pow2floor(p + 1), ==, p);
            g_assert_cmpuint(pow2floor(p - 1), ==, p >> 1);
            g_assert_cmpuint(pow2ceil(p - 1), ==, p);
            g_assert_cmpuint(pow2ceil(p + 1), ==, p << 1);
        }
        if (i < 32) {
            g_assert_cmpuint(pow2roundup32(p), ==, (uint32_t)(p << 1));
            g_assert_cmpuint(pow2roundup32(p - 1), ==, (uint32_t)p);
        }
    }
    g_assert_cmpuint(pow2ceil(~0ULL), ==, 0);
    g_assert_cmpuint(pow2roundup32(0), ==, 1);
    g_assert_cmpuint(pow2roundup32(UINT32_MAX), ==, 0);
}

/* Rotations, half swaps and bit fields against bit-by-bit definitions. */
static uint64_t naive_rol(uint64_t v, unsigned shift, int width)
{
    uint64_t r = 0;
    int i;

    for (i = 0; i < width; i++) {
        if (v & (1ULL << i)) {
            r |= 1ULL << ((i + shift) % width);
        }
    }
    return r;
}

static uint64_t naive_extract(uint64_t v, int start, int length)
{
    uint64_t r = 0;
    int i;

    for (i = 0; i < length; i++) {
        r |= ((v >> (start + i)) & 1) << i;
    }
    return r;
}

static void test_rotate_fields(void)
{
    GRand *r = g_rand_new_with_seed(11);
    DECLARE_BITMAP(map, 130) = { 0 };
    int i;

    for (i = 0; i < 3000; i++) {
        uint64_t v = ((uint64_t)g_rand_int(r) << 32) | g_rand_int(r);
        unsigned shift = g_rand_int_range(r, 0, 200);
        int width = 8 << g_rand_int_range(r, 0, 4);
        int start = g_rand_int_range(r, 0, width);
        int length = g_rand_int_range(r, 1, width - start + 1);
        uint64_t field = ((uint64_t)g_rand_int(r) << 32) | g_rand_int(r);
        uint64_t mask = naive_extract(~0ULL, 0, length) << start;
        uint64_t expect;

        g_assert_cmpuint(rol64(v, shift), ==, naive_rol(v, shift, 64));
        g_assert_cmpuint(ror64(v, shift), ==,
                         naive_rol(v, 64 - shift % 64, 64));
        g_assert_cmpuint(rol32(v, shift), ==,
                         naive_rol((uint32_t)v, shift, 32));
        g_assert_cmpuint(ror32(v, shift), ==,
                         naive_rol((uint32_t)v, 32 - shift % 32, 32));
        g_assert_cmpuint(rol16(v, shift), ==,
                         naive_rol((uint16_t)v, shift, 16));
        g_assert_cmpuint(ror16(v, shift), ==,
                         naive_rol((uint16_t)v, 16 - shift % 16, 16));
        g_assert_cmpuint(rol8(v, shift), ==, naive_rol((uint8_t)v, shift, 8));
        g_assert_cmpuint(ror8(v, shift), ==,
                         naive_rol((uint8_t)v, 8 - shift % 8, 8));

        v &= naive_extract(~0ULL, 0, width);
        expect = naive_extract(v, start, length);
        switch (width) {
        case 8:
            g_assert_cmpuint(extract8(v, start, length), ==, expect);
            break;
        case 16:
            g_assert_cmpuint(extract16(v, start, length), ==, expect);
            break;
        case 32:
            g_assert_cmpuint(extract32(v, start, length), ==, expect);
            g_assert_cmpint(sextract32(v, start, length), ==,
                            (int64_t)(expect << (64 - length)) >>
                            (64 - length));
            g_assert_cmpuint(deposit32(v, start, length, field), ==,
                             (v & ~mask) | ((field << start) & mask &
                                            0xffffffffu));
            break;
        case 64:
            g_assert_cmpuint(extract64(v, start, length), ==, expect);
            g_assert_cmpint(sextract64(v, start, length), ==,
                            (int64_t)(expect << (64 - length)) >>
                            (64 - length));
            g_assert_cmpuint(deposit64(v, start, length, field), ==,
                             (v & ~mask) | ((field << start) & mask));
            break;
        }
    }
    g_rand_free(r);

    g_assert_cmpuint(hswap32(0x11223344), ==, 0x33441122);
    g_assert_cmpuint(hswap64(0x1111222233334444ULL), ==,
                     0x4444333322221111ULL);
    g_assert_cmpuint(wswap64(0x1111222233334444ULL), ==,
                     0x3333444411112222ULL);
    g_assert_cmpuint(BIT(3), ==, 8);
    g_assert_cmpuint(BIT_WORD(BITS_PER_LONG + 1), ==, 1);
    g_assert_cmpuint(BIT_MASK(BITS_PER_LONG + 1), ==, 2);

    /* The single-bit operations that the tests above do not reach. */
    change_bit(129, map);
    g_assert_true(test_bit(129, map));
    g_assert_true(test_and_change_bit(129, map));
    g_assert_false(test_and_change_bit(129, map));
    g_assert_true(test_bit(129, map));
    set_bit_atomic(64, map);
    g_assert_true(test_bit(64, map));
    g_assert_cmpuint(find_last_bit(map, 130), ==, 129);
    clear_bit_atomic(129, map);
    g_assert_cmpuint(find_last_bit(map, 130), ==, 64);
    g_assert_cmpuint(find_last_bit(map, 64), ==, 64);
    g_assert_cmpuint(find_last_bit(map, 0), ==, 0);
}

/*
 * Every accessor at every misalignment, against bytes composed by hand:
 * little-endian puts the least significant byte first, big-endian last.
 */
static uint64_t bytes_le(const uint8_t *p, int size)
{
    uint64_t v = 0;
    int i;

    for (i = size - 1; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static uint64_t bytes_be(const uint8_t *p, int size)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < size; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

static void test_bswap_accessors(void)
{
    const uint64_t x = 0x8192a3b4c5d6e7f8ULL;
    uint8_t buf[24];
    uint16_t w = 0x1234;
    uint32_t l = 0x12345678;
    uint64_t q = 0x123456789abcdef0ULL;
    int off;

    for (off = 0; off < 16; off++) {
        uint8_t *p = buf + off;
        uint64_t host_q;

        memset(buf, 0xaa, sizeof(buf));
        stq_le_p(p, x);
        g_assert_cmpuint(bytes_le(p, 8), ==, x);
        g_assert_cmpuint(ldq_le_p(p), ==, x);
        g_assert_cmpuint(ldq_be_p(p), ==, bswap64(x));
        g_assert_cmpuint(buf[off + 8], ==, 0xaa);
        g_assert_cmpuint(off ? buf[off - 1] : 0xaa, ==, 0xaa);
        stq_be_p(p, x);
        g_assert_cmpuint(bytes_be(p, 8), ==, x);
        g_assert_cmpuint(ldq_be_p(p), ==, x);
        stq_he_p(p, x);
        memcpy(&host_q, p, 8);
        g_assert_cmpuint(host_q, ==, x);
        g_assert_cmpuint(ldq_he_p(p), ==, x);

        stl_le_p(p, (uint32_t)x);
        g_assert_cmpuint(bytes_le(p, 4), ==, (uint32_t)x);
        g_assert_cmpuint((uint32_t)ldl_le_p(p), ==, (uint32_t)x);
        g_assert_cmpint(ldl_le_p(p), ==, (int32_t)(uint32_t)x);
        g_assert_cmpuint(buf[off + 4], ==, x >> 32 & 0xff);
        stl_be_p(p, (uint32_t)x);
        g_assert_cmpuint(bytes_be(p, 4), ==, (uint32_t)x);
        g_assert_cmpuint((uint32_t)ldl_be_p(p), ==, (uint32_t)x);
        stl_he_p(p, (uint32_t)x);
        g_assert_cmpuint((uint32_t)ldl_he_p(p), ==, (uint32_t)x);
        g_assert_cmpuint(bytes_le(p, 4), ==,
                         HOST_BIG_ENDIAN ? bswap32(x) : (uint32_t)x);

        stw_le_p(p, (uint16_t)x);
        g_assert_cmpuint(bytes_le(p, 2), ==, (uint16_t)x);
        g_assert_cmpint(lduw_le_p(p), ==, (uint16_t)x);
        g_assert_cmpint(ldsw_le_p(p), ==, (int16_t)(uint16_t)x);
        stw_be_p(p, (uint16_t)x);
        g_assert_cmpuint(bytes_be(p, 2), ==, (uint16_t)x);
        g_assert_cmpint(lduw_be_p(p), ==, (uint16_t)x);
        g_assert_cmpint(ldsw_be_p(p), ==, (int16_t)(uint16_t)x);
        stw_he_p(p, (uint16_t)x);
        g_assert_cmpint(lduw_he_p(p), ==, (uint16_t)x);
        g_assert_cmpint(ldsw_he_p(p), ==, (int16_t)(uint16_t)x);

        stb_p(p, 0x80);
        g_assert_cmpint(ldub_p(p), ==, 0x80);
        g_assert_cmpint(ldsb_p(p), ==, -128);
    }

    /* Value conversions: a fixed order reads the same bytes on any host. */
    q = cpu_to_le64(x);
    g_assert_cmpuint(bytes_le((uint8_t *)&q, 8), ==, x);
    g_assert_cmpuint(le64_to_cpu(q), ==, x);
    q = cpu_to_be64(x);
    g_assert_cmpuint(bytes_be((uint8_t *)&q, 8), ==, x);
    l = cpu_to_le32((uint32_t)x);
    g_assert_cmpuint(bytes_le((uint8_t *)&l, 4), ==, (uint32_t)x);
    g_assert_cmpuint(le32_to_cpu(l), ==, (uint32_t)x);
    l = cpu_to_be32((uint32_t)x);
    g_assert_cmpuint(be32_to_cpu(l), ==, (uint32_t)x);
    w = cpu_to_be16((uint16_t)x);
    g_assert_cmpuint(bytes_be((uint8_t *)&w, 2), ==, (uint16_t)x);
    g_assert_cmpuint(be16_to_cpu(w), ==, (uint16_t)x);
    w = cpu_to_le16((uint16_t)x);
    g_assert_cmpuint(le16_to_cpu(w), ==, (uint16_t)x);
    g_assert_cmpuint(leul_to_cpu(cpu_to_leul(~0UL - 5)), ==, ~0UL - 5);
    g_assert_cmpuint(beul_to_cpu(cpu_to_beul(12345)), ==, 12345);

    /* In place: the "s" forms. */
    q = 0x0102030405060708ULL;
    bswap64s(&q);
    g_assert_cmpuint(q, ==, 0x0807060504030201ULL);
    l = 0x01020304;
    bswap32s(&l);
    g_assert_cmpuint(l, ==, 0x04030201);
    w = 0x0102;
    bswap16s(&w);
    g_assert_cmpuint(w, ==, 0x0201);
    q = x;
    cpu_to_be64s(&q);
    be64_to_cpus(&q);
    cpu_to_le32s(&l);
    le32_to_cpus(&l);
    g_assert_cmpuint(q, ==, x);
    g_assert_cmpuint(l, ==, 0x04030201);
    w = 0x1234;
    cpu_to_be16s(&w);
    g_assert_cmpuint(bytes_be((uint8_t *)&w, 2), ==, 0x1234);
    be16_to_cpus(&w);
    g_assert_cmpuint(w, ==, 0x1234);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/bitops/bitmap/set-clear-oracle", test_bitmap_set_clear);
    g_test_add_func("/bitops/find", test_find_bits);
    g_test_add_func("/bitops/bitmap/ops", test_bitmap_ops);
    g_test_add_func("/bitops/host-utils", test_host_utils);
    g_test_add_func("/bitops/bswap", test_bswap);
    g_test_add_func("/bitops/bswap/accessors", test_bswap_accessors);
    g_test_add_func("/bitops/queues", test_queues);
    g_test_add_func("/bitops/host-utils/oracle", test_host_utils_oracle);
    g_test_add_func("/bitops/rotate-fields", test_rotate_fields);

    return g_test_run();
}
