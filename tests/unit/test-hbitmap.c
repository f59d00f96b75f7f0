/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HBitmap tests: random operations against a byte-array oracle, and more. */
#include "qemu/osdep.h"
#include "qemu/hbitmap.h"
#include "qemu/bswap.h"
#include <sys/resource.h>

/*
 * The oracle: one byte per group ("granule") of 2^g items, mirroring every
 * operation, compared with the bitmap after each step.
 */
typedef struct Oracle {
    uint64_t size;      /* items */
    int g;              /* granularity shift */
    uint64_t nbits;     /* ceil(size / 2^g) */
    uint8_t *bits;      /* nbits bytes, 0 or 1 */
} Oracle;

typedef struct TestHBitmapData {
    HBitmap *hb;
    Oracle o;
    bool plant_mismatch;    /* flip one oracle bit before a check */
} TestHBitmapData;

static uint64_t bits_for(uint64_t size, int g)
{
    return (size + (UINT64_C(1) << g) - 1) >> g;
}

static void oracle_init(Oracle *o, uint64_t size, int g)
{
    o->size = size;
    o->g = g;
    o->nbits = bits_for(size, g);
    o->bits = g_malloc0(o->nbits + 1);
}

static void oracle_truncate(Oracle *o, uint64_t size)
{
    uint64_t nbits = bits_for(size, o->g);

    o->bits = g_realloc(o->bits, nbits + 1);
    if (nbits > o->nbits) {
        memset(o->bits + o->nbits, 0, nbits - o->nbits);
    }
    o->size = size;
    o->nbits = nbits;
}

static void oracle_set(Oracle *o, uint64_t start, uint64_t count)
{
    uint64_t i;

    if (count) {
        for (i = start >> o->g; i <= (start + count - 1) >> o->g; i++) {
            o->bits[i] = 1;
        }
    }
}

static void oracle_reset(Oracle *o, uint64_t start, uint64_t count)
{
    uint64_t i;

    if (count) {
        for (i = start >> o->g; i <= (start + count - 1) >> o->g; i++) {
            o->bits[i] = 0;
        }
    }
}

static uint64_t oracle_count(const Oracle *o)
{
    uint64_t i, n = 0;

    for (i = 0; i < o->nbits; i++) {
        n += o->bits[i];
    }
    return n << o->g;
}

static int64_t oracle_next(const Oracle *o, int64_t start, int64_t count,
                           uint8_t want)
{
    uint64_t end, end_bit, j;

    if ((uint64_t)start >= o->size || count == 0) {
        return -1;
    }
    end = (uint64_t)count > o->size - start ? o->size : start + count;
    end_bit = bits_for(end, o->g);
    if (!want && (uint64_t)count > o->size - start) {
        end_bit = o->nbits;
    }
    for (j = (uint64_t)start >> o->g; j < end_bit; j++) {
        if (o->bits[j] == want) {
            return MAX((uint64_t)start, j << o->g);
        }
    }
    return -1;
}

static bool oracle_dirty_area(const Oracle *o, int64_t start, int64_t end,
                              int64_t max, int64_t *ds, int64_t *dc)
{
    int64_t s, e, z;

    end = MIN((uint64_t)end, o->size);
    if (start >= end) {
        return false;
    }
    s = oracle_next(o, start, end - start, 1);
    if (s < 0) {
        return false;
    }
    e = s + MIN(end - s, max);
    z = oracle_next(o, s, e - s, 0);
    *ds = s;
    *dc = (z >= 0 ? z : e) - s;
    return true;
}

/* Serialize the oracle as hbitmap_serialize_part() does the whole map. */
static uint8_t *oracle_serialize(const Oracle *o, size_t *len)
{
    size_t words = MAX((o->nbits + 63) / 64, 1);
    uint8_t *buf = g_malloc0(words * 8);
    uint64_t i;

    for (i = 0; i < o->nbits; i++) {
        buf[i / 8] |= o->bits[i] << (i % 8);
    }
    *len = words * 8;
    return buf;
}

static uint64_t rand_u64(uint64_t bound)
{
    uint64_t r = ((uint64_t)g_test_rand_int() << 32) ^ g_test_rand_int();

    return bound ? r % bound : 0;
}

/* Compare every query of the bitmap with the oracle. */
static void check(TestHBitmapData *data)
{
    Oracle *o = &data->o;
    HBitmap *hb = data->hb;
    HBitmapIter hbi;
    int64_t next, ds, dc, eds, edc, pnum;
    uint64_t i, j;
    size_t len;
    int k;

    if (data->plant_mismatch && o->nbits) {
        o->bits[rand_u64(o->nbits)] ^= 1;
    }

    g_assert_cmpuint(hbitmap_count(hb), ==, oracle_count(o));
    g_assert_cmpint(hbitmap_empty(hb), ==, oracle_count(o) == 0);
    g_assert_cmpint(hbitmap_granularity(hb), ==, o->g);
    for (i = 0; i < o->nbits; i++) {
        uint64_t item = (i << o->g) + rand_u64(UINT64_C(1) << o->g);

        g_assert_cmpint(hbitmap_get(hb, i << o->g), ==, o->bits[i]);
        g_assert_cmpint(hbitmap_get(hb, item), ==, o->bits[i]);
    }

    /* Iteration from the start returns each set group once, in order. */
    if (o->nbits) {
        uint64_t first = rand_u64(o->size);

        hbitmap_iter_init(&hbi, hb, 0);
        for (i = 0; i < o->nbits; i++) {
            if (o->bits[i]) {
                g_assert_cmpint(hbitmap_iter_next(&hbi), ==, i << o->g);
            }
        }
        g_assert_cmpint(hbitmap_iter_next(&hbi), ==, -1);

        hbitmap_iter_init(&hbi, hb, first);
        for (i = first >> o->g; i < o->nbits; i++) {
            if (o->bits[i]) {
                g_assert_cmpint(hbitmap_iter_next(&hbi), ==, i << o->g);
            }
        }
        g_assert_cmpint(hbitmap_iter_next(&hbi), ==, -1);
    }

    /* Searches from random points, with random and unbounded lengths. */
    for (k = 0; k < 24; k++) {
        int64_t start = rand_u64(o->size + 2);
        int64_t count = k % 3 == 0 ? INT64_MAX : (int64_t)rand_u64(o->size + 2);
        int64_t end = k % 4 == 0 ? INT64_MAX : (int64_t)rand_u64(o->size + 2);
        int64_t max = 1 + rand_u64(k % 2 ? 4 << o->g : o->size + 1);

        g_assert_cmpint(hbitmap_next_dirty(hb, start, count), ==,
                        oracle_next(o, start, count, 1));
        g_assert_cmpint(hbitmap_next_zero(hb, start, count), ==,
                        oracle_next(o, start, count, 0));
        ds = dc = eds = edc = -7;
        g_assert_cmpint(hbitmap_next_dirty_area(hb, start, end, max,
                                                &ds, &dc), ==,
                        oracle_dirty_area(o, start, end, max, &eds, &edc));
        g_assert_cmpint(ds, ==, eds);
        g_assert_cmpint(dc, ==, edc);

        if ((uint64_t)start < o->size) {
            bool dirty = o->bits[start >> o->g];

            count = 1 + rand_u64(o->size - start);
            next = oracle_next(o, start, count, !dirty);
            g_assert_cmpint(hbitmap_status(hb, start, count, &pnum), ==,
                            dirty);
            g_assert_cmpint(pnum, ==, next < 0 ? count : next - start);
        }
    }

    /* The whole map serializes to the oracle's bits. */
    if (o->nbits) {
        g_autofree uint8_t *want = oracle_serialize(o, &len);
        g_autofree uint8_t *got = NULL;

        g_assert_cmpuint(hbitmap_serialization_size(hb, 0, o->size), ==, len);
        got = g_malloc(len);
        hbitmap_serialize_part(hb, got, 0, o->size);
        for (j = 0; j < len; j++) {
            g_assert_cmphex(got[j], ==, want[j]);
        }
    }
}

/* Random operations */

static void random_range(const Oracle *o, uint64_t *start, uint64_t *count)
{
    uint64_t span = o->nbits << o->g;   /* items that map to real bits */

    *start = rand_u64(span);
    switch (g_test_rand_int_range(0, 4)) {
    case 0:
        *count = 1 + rand_u64(MIN(span - *start, 3));
        break;
    case 1:
        *count = span - *start;
        break;
    default:
        *count = 1 + rand_u64(span - *start);
        break;
    }
}

static void op_set(TestHBitmapData *data)
{
    uint64_t start, count;

    random_range(&data->o, &start, &count);
    hbitmap_set(data->hb, start, count);
    oracle_set(&data->o, start, count);
}

static void op_reset(TestHBitmapData *data)
{
    Oracle *o = &data->o;
    uint64_t gran = UINT64_C(1) << o->g;
    uint64_t start, count;

    random_range(o, &start, &count);
    start = QEMU_ALIGN_DOWN(start, gran);
    if (g_test_rand_bit() && o->size > start) {
        count = o->size - start;        /* the unaligned tail case */
    } else {
        count = QEMU_ALIGN_UP(count, gran);
        count = MIN(count, (o->nbits << o->g) - start);
    }
    hbitmap_reset(data->hb, start, count);
    oracle_reset(o, start, count);
}

static void op_truncate(TestHBitmapData *data)
{
    Oracle *o = &data->o;
    uint64_t size = 1 + rand_u64(MAX(o->size * 2, 8));

    hbitmap_truncate(data->hb, size);
    oracle_truncate(o, size);
}

static void fill_random(HBitmap *hb, Oracle *o, int density)
{
    uint64_t i;

    for (i = 0; i < o->nbits; i++) {
        if (g_test_rand_int_range(0, 100) < density) {
            hbitmap_set(hb, i << o->g, 1);
            o->bits[i] = 1;
        }
    }
}

static void op_merge(TestHBitmapData *data)
{
    Oracle *o = &data->o;
    int bg = g_test_rand_bit() ? o->g : g_test_rand_int_range(0, 5);
    Oracle ob;
    HBitmap *b = hbitmap_alloc(o->size, bg);
    HBitmap *res = NULL;
    uint64_t j, i;

    oracle_init(&ob, o->size, bg);
    fill_random(b, &ob, g_test_rand_int_range(0, 30));
    for (j = 0; j < ob.nbits; j++) {
        if (ob.bits[j]) {
            uint64_t s = j << bg;
            uint64_t e = MIN((j + 1) << bg, o->size);

            for (i = s >> o->g; i <= (e - 1) >> o->g; i++) {
                o->bits[i] = 1;
            }
        }
    }
    if (g_test_rand_bit()) {
        hbitmap_merge(data->hb, b, data->hb);
    } else if (g_test_rand_bit()) {
        hbitmap_merge(b, data->hb, data->hb);
    } else {
        /* Into a third bitmap that had junk in it. */
        res = hbitmap_alloc(o->size, o->g);
        hbitmap_set(res, 0, o->size);
        hbitmap_merge(data->hb, b, res);
        hbitmap_free(data->hb);
        data->hb = res;
    }
    hbitmap_free(b);
    g_free(ob.bits);
}

static void op_deserialize(TestHBitmapData *data)
{
    Oracle *o = &data->o;
    HBitmap *hb = data->hb;
    uint64_t align = hbitmap_serialization_align(hb);
    uint64_t nchunks = DIV_ROUND_UP(o->size, align);
    uint64_t c0 = rand_u64(nchunks);
    uint64_t c1 = c0 + rand_u64(MIN(nchunks - c0, 4));
    uint64_t start = c0 * align;
    uint64_t count = MIN((c1 + 1) * align, o->size) - start;
    uint64_t len = hbitmap_serialization_size(hb, start, count);
    g_autofree uint8_t *buf = g_malloc(len);
    uint64_t i, first = start >> o->g;
    int kind = g_test_rand_int_range(0, 3);
    bool last_chunk = start + count == o->size;

    for (i = 0; i < len * 8; i++) {
        uint8_t bit = g_test_rand_bit();

        if (first + i >= o->nbits) {
            bit = 0;        /* padding stays clear here */
        }
        if (kind == 2 && !last_chunk) {
            bit = 1;
        } else if (kind == 1) {
            bit = 0;
        }
        if (i % 8 == 0) {
            buf[i / 8] = 0;
        }
        buf[i / 8] |= bit << (i % 8);
        if (first + i < o->nbits) {
            o->bits[first + i] = bit;
        }
    }
    if (kind == 1) {
        hbitmap_deserialize_zeroes(hb, start, count, false);
    } else if (kind == 2 && !last_chunk) {
        hbitmap_deserialize_ones(hb, start, count, false);
    } else {
        hbitmap_deserialize_part(hb, buf, start, count, false);
    }
    /* Before finish, get already answers from the new bits. */
    for (i = first; i < MIN(first + len * 8, o->nbits); i++) {
        g_assert_cmpint(hbitmap_get(hb, i << o->g), ==, o->bits[i]);
    }
    hbitmap_deserialize_finish(hb);
}

typedef struct RandomParams {
    uint64_t size;
    int g;
    int steps;
} RandomParams;

static void run_random(const RandomParams *p, bool plant)
{
    TestHBitmapData data = { .plant_mismatch = plant };
    int step;

    data.hb = hbitmap_alloc(p->size, p->g);
    oracle_init(&data.o, p->size, p->g);
    check(&data);
    for (step = 0; step < p->steps; step++) {
        switch (g_test_rand_int_range(0, 12)) {
        case 0: case 1: case 2: case 3:
            op_set(&data);
            break;
        case 4: case 5: case 6:
            op_reset(&data);
            break;
        case 7:
            if (g_test_rand_int_range(0, 4) == 0) {
                hbitmap_reset_all(data.hb);
                memset(data.o.bits, 0, data.o.nbits);
            } else {
                op_set(&data);
            }
            break;
        case 8:
            op_truncate(&data);
            break;
        case 9:
            op_merge(&data);
            break;
        default:
            op_deserialize(&data);
            break;
        }
        check(&data);
    }
    hbitmap_free(data.hb);
    g_free(data.o.bits);
}

static void test_random(const void *opaque)
{
    run_random(opaque, false);
}

/* The checker must notice a single wrong bit. */
static void test_random_planted_mismatch(void)
{
    static const RandomParams p = { .size = 1000, .g = 1, .steps = 20 };

    if (g_test_subprocess()) {
        run_random(&p, true);
        return;
    }
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*assertion failed*");
}

/* Sizes and granularities */

static void test_small_sizes(void)
{
    static const uint64_t sizes[] = { 0, 1, 63, 64, 65, 127, 128, 129, 4095,
                                      4096, 4097, 262145 };
    size_t i;
    int g;

    for (i = 0; i < G_N_ELEMENTS(sizes); i++) {
        for (g = 0; g <= 5; g++) {
            RandomParams p = { .size = sizes[i], .g = g, .steps = 0 };
            TestHBitmapData data = { 0 };
            uint64_t j;

            data.hb = hbitmap_alloc(p.size, g);
            oracle_init(&data.o, p.size, g);
            check(&data);
            if (sizes[i]) {
                /* Every single group, then all, then none. */
                for (j = 0; j < data.o.nbits && j < 300; j++) {
                    hbitmap_set(data.hb, j << g, 1);
                    oracle_set(&data.o, j << g, 1);
                }
                check(&data);
                hbitmap_set(data.hb, 0, p.size);
                oracle_set(&data.o, 0, p.size);
                check(&data);
                hbitmap_reset(data.hb, 0, p.size);
                oracle_reset(&data.o, 0, p.size);
                check(&data);
                g_assert_true(hbitmap_empty(data.hb));
            } else {
                g_assert_cmpint(hbitmap_next_dirty(data.hb, 0, 1), ==, -1);
                g_assert_cmpint(hbitmap_next_zero(data.hb, 0, 1), ==, -1);
            }
            hbitmap_free(data.hb);
            g_free(data.o.bits);
        }
    }
}

static void test_count_partial_group(void)
{
    /* A 10-item write on a 64 KiB group counts the whole group. */
    HBitmap *hb = hbitmap_alloc(1 * MiB, 16);

    hbitmap_set(hb, 5, 10);
    g_assert_cmpuint(hbitmap_count(hb), ==, 65536);
    /* Unaligned tail reset: the last, partial group. */
    hbitmap_truncate(hb, 65536 + 100);
    hbitmap_set(hb, 65536 + 3, 1);
    g_assert_cmpuint(hbitmap_count(hb), ==, 2 * 65536);
    hbitmap_reset(hb, 65536, 100);
    g_assert_cmpuint(hbitmap_count(hb), ==, 65536);
    hbitmap_free(hb);
}

static void test_truncate_edges(void)
{
    HBitmap *hb = hbitmap_alloc(1000, 4);

    /* Shrinking keeps a dirty group straddling the new end. */
    hbitmap_set(hb, 500, 500);
    hbitmap_truncate(hb, 505);
    g_assert_true(hbitmap_get(hb, 504));
    g_assert_cmpuint(hbitmap_count(hb), ==, 16 * (32 - 31));
    /* Growing adds clean space. */
    hbitmap_truncate(hb, 100000);
    g_assert_cmpint(hbitmap_next_dirty(hb, 512, INT64_MAX), ==, -1);
    g_assert_cmpint(hbitmap_next_dirty(hb, 505, INT64_MAX), ==, 505);
    g_assert_cmpint(hbitmap_next_dirty(hb, 0, INT64_MAX), ==, 496);
    g_assert_cmpint(hbitmap_next_zero(hb, 500, INT64_MAX), ==, 512);
    /* Same bit count: only orig_size changes. */
    hbitmap_truncate(hb, 99999);
    g_assert_cmpint(hbitmap_next_zero(hb, 99990, INT64_MAX), ==, 99990);
    /* Down to nothing and back. */
    hbitmap_truncate(hb, 0);
    g_assert_true(hbitmap_empty(hb));
    hbitmap_truncate(hb, 1 << 20);
    g_assert_true(hbitmap_empty(hb));
    g_assert_cmpint(hbitmap_next_dirty(hb, 0, INT64_MAX), ==, -1);
    hbitmap_free(hb);
}

/* Levels move between g_malloc and mmap memory as they cross the limit. */
static void test_truncate_memory_kinds(void)
{
    HBitmap *hb = hbitmap_alloc(1000, 0);
    uint64_t big = UINT64_C(1) << 22;   /* 512 KiB bottom level */

    hbitmap_set(hb, 0, 3);
    hbitmap_set(hb, 999, 1);
    hbitmap_truncate(hb, big);
    g_assert_cmpuint(hbitmap_count(hb), ==, 4);
    g_assert_cmpint(hbitmap_next_dirty(hb, 3, INT64_MAX), ==, 999);
    hbitmap_set(hb, big - 1, 1);
    hbitmap_set(hb, big / 2, 100);
    hbitmap_truncate(hb, 1000);
    g_assert_cmpuint(hbitmap_count(hb), ==, 4);
    hbitmap_truncate(hb, big * 2);
    g_assert_cmpint(hbitmap_next_dirty(hb, 1000, INT64_MAX), ==, -1);
    g_assert_cmpuint(hbitmap_count(hb), ==, 4);
    hbitmap_set(hb, big * 2 - 1, 1);
    hbitmap_truncate(hb, big);
    g_assert_cmpint(hbitmap_next_dirty(hb, 1000, INT64_MAX), ==, -1);
    g_assert_cmpint(hbitmap_next_zero(hb, 0, INT64_MAX), ==, 3);
    hbitmap_free(hb);
}

static void test_iter_concurrent(void)
{
    HBitmap *hb = hbitmap_alloc(1 << 20, 0);
    HBitmapIter hbi;

    hbitmap_set(hb, 10, 1);
    hbitmap_set(hb, 100, 1);
    hbitmap_set(hb, 100000, 1);
    hbitmap_iter_init(&hbi, hb, 0);
    g_assert_cmpint(hbitmap_iter_next(&hbi), ==, 10);
    /* Reset bits are never returned, even when already cached. */
    hbitmap_reset(hb, 100, 1);
    /* A bit set in a word not loaded yet is found... */
    hbitmap_set(hb, 100001, 1);
    /* ...one under a summary bit cached as clear is missed (as in QEMU). */
    hbitmap_set(hb, 600000, 1);
    g_assert_cmpint(hbitmap_iter_next(&hbi), ==, 100000);
    g_assert_cmpint(hbitmap_iter_next(&hbi), ==, 100001);
    g_assert_cmpint(hbitmap_iter_next(&hbi), ==, -1);
    /* A new iterator sees everything. */
    hbitmap_iter_init(&hbi, hb, 11);
    g_assert_cmpint(hbitmap_iter_next(&hbi), ==, 100000);
    g_assert_cmpint(hbitmap_iter_next(&hbi), ==, 100001);
    g_assert_cmpint(hbitmap_iter_next(&hbi), ==, 600000);
    g_assert_cmpint(hbitmap_iter_next(&hbi), ==, -1);

    /* First item in the middle of a dirty group yields the group start. */
    hbitmap_free(hb);
    hb = hbitmap_alloc(1 << 20, 9);
    hbitmap_set(hb, 1024, 512);
    hbitmap_iter_init(&hbi, hb, 1300);
    g_assert_cmpint(hbitmap_iter_next(&hbi), ==, 1024);
    g_assert_cmpint(hbitmap_next_dirty(hb, 1300, 10), ==, 1300);
    hbitmap_free(hb);
}

static void test_status(void)
{
    HBitmap *hb = hbitmap_alloc(4096, 0);
    int64_t pnum;

    hbitmap_set(hb, 100, 50);
    g_assert_false(hbitmap_status(hb, 0, 4096, &pnum));
    g_assert_cmpint(pnum, ==, 100);
    /* Dirty run shorter than count: true (7.2 wrongly says false). */
    g_assert_true(hbitmap_status(hb, 100, 1000, &pnum));
    g_assert_cmpint(pnum, ==, 50);
    g_assert_true(hbitmap_status(hb, 120, 10, &pnum));
    g_assert_cmpint(pnum, ==, 10);
    g_assert_false(hbitmap_status(hb, 150, 3946, &pnum));
    g_assert_cmpint(pnum, ==, 3946);
    hbitmap_free(hb);
}

static void test_merge_granularities(void)
{
    uint64_t size = 1 * GiB;
    HBitmap *fine = hbitmap_alloc(size, 12);
    HBitmap *coarse = hbitmap_alloc(size, 16);
    HBitmap *other = hbitmap_alloc(size + 1, 16);

    g_assert_true(hbitmap_can_merge(fine, coarse));
    g_assert_false(hbitmap_can_merge(fine, other));

    hbitmap_set(fine, 4096 * 17, 4096);
    hbitmap_set(coarse, 1 * MiB, 64 * KiB);
    /* 64 KiB into 4 KiB: 16 fine groups. */
    hbitmap_merge(fine, coarse, fine);
    g_assert_cmpuint(hbitmap_count(fine), ==, 17 * 4096);
    /* 4 KiB into 64 KiB: the fine group dirties its whole coarse group. */
    hbitmap_merge(coarse, fine, coarse);
    g_assert_cmpuint(hbitmap_count(coarse), ==, 2 * 65536);
    g_assert_true(hbitmap_get(coarse, 65536));
    g_assert_false(hbitmap_get(coarse, 0));

    /* Empty sources change nothing; both empty resets the result. */
    hbitmap_reset_all(fine);
    hbitmap_merge(coarse, fine, coarse);
    g_assert_cmpuint(hbitmap_count(coarse), ==, 2 * 65536);
    hbitmap_reset_all(coarse);
    hbitmap_set(other, 0, 1);
    hbitmap_truncate(other, size);
    hbitmap_merge(fine, coarse, other);
    g_assert_true(hbitmap_empty(other));
    hbitmap_free(fine);
    hbitmap_free(coarse);
    hbitmap_free(other);
}

/* Serialization */

static bool all_zero(const uint8_t *buf, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (buf[i]) {
            return false;
        }
    }
    return true;
}

/* Chunk the map as the migration module does: 8192 groups per chunk. */
static void migrate_like(HBitmap *src, HBitmap *dst, uint64_t disk, int g)
{
    uint64_t total = DIV_ROUND_UP(disk, 512);
    uint64_t per_chunk = (UINT64_C(1024) * 8 << g) / 512;
    uint64_t cur, n, len, start, count;

    for (cur = 0; cur < total; cur += n) {
        g_autofree uint8_t *buf = NULL;

        n = MIN(total - cur, per_chunk);
        start = cur * 512;
        count = n * 512;
        len = hbitmap_serialization_size(src, start, count);
        g_assert_cmpuint(len, >, 0);
        g_assert_cmpuint(len, <=, 1024);
        g_assert_cmpuint(len, ==, hbitmap_serialization_size(dst, start,
                                                             count));
        buf = g_malloc(len);
        hbitmap_serialize_part(src, buf, start, count);
        if (all_zero(buf, len)) {
            hbitmap_deserialize_zeroes(dst, start, count, false);
        } else {
            hbitmap_deserialize_part(dst, buf, start, count, false);
        }
    }
    hbitmap_deserialize_finish(dst);
}

static char *sha256_of(const void *buf, size_t len)
{
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, buf, len);
}

static void check_sha256(HBitmap *hb, const char *want)
{
    g_autofree char *got = hbitmap_sha256(hb, NULL);

    g_assert_cmpstr(got, ==, want);
}

/* Values that QEMU 7.2 reported for the same writes (reference/streams). */
static void test_sha256_reference(void)
{
    HBitmap *bma = hbitmap_alloc(1 * GiB, 16);
    HBitmap *bmb = hbitmap_alloc(1 * GiB, 12);
    HBitmap *odd = hbitmap_alloc(104858112, 16);
    HBitmap *dst;

    check_sha256(bma, "e5a00aa9991ac8a5ee3109844d84a555"
                      "83bd20572ad3ffcd42792f3c36b183ad");
    check_sha256(bmb, "c35020473aed1b4642cd726cad727b63"
                      "fff2824ad68cedd7ffb73c7cbd890479");

    hbitmap_set(bma, 0, 4096);
    hbitmap_set(bmb, 0, 4096);
    hbitmap_set(bma, 1 * MiB, 64 * KiB);
    hbitmap_set(bmb, 1 * MiB, 64 * KiB);
    hbitmap_set(bma, 512 * MiB, 1);
    hbitmap_set(bmb, 512 * MiB, 1);
    hbitmap_set(bma, 1073676288, 64 * KiB);
    hbitmap_set(bma, 200000000, 300000);
    check_sha256(bma, "46c6ec8ea1782b34c09bbcf6dba3194b"
                      "22bf826e48f964b5408a9c94956298d5");
    check_sha256(bmb, "653e36a4f85d6516f3960a5c8f1d20ed"
                      "a0996acdab5d356c6742c23d5fab60bf");
    g_assert_cmpuint(hbitmap_count(bma), ==, 10 * 65536);
    g_assert_cmpuint(hbitmap_count(bmb), ==, 18 * 4096);

    hbitmap_set(odd, 0, 4096);
    hbitmap_set(odd, 104857600, 512);
    check_sha256(odd, "45230ae80494a2d95857308e02cbb6e9"
                      "dd79d0ac4cb752ea6679157d83b16f27");
    /* needed = 26 words for the one chunk of the odd disk. */
    g_assert_cmpuint(hbitmap_serialization_size(odd, 0, 204801 * 512), ==,
                     208);

    /* The same hashes after a migration-style round trip. */
    dst = hbitmap_alloc(1 * GiB, 16);
    migrate_like(bma, dst, 1 * GiB, 16);
    check_sha256(dst, "46c6ec8ea1782b34c09bbcf6dba3194b"
                      "22bf826e48f964b5408a9c94956298d5");
    g_assert_cmpuint(hbitmap_count(dst), ==, 10 * 65536);
    hbitmap_free(dst);
    dst = hbitmap_alloc(1 * GiB, 12);
    migrate_like(bmb, dst, 1 * GiB, 12);
    check_sha256(dst, "653e36a4f85d6516f3960a5c8f1d20ed"
                      "a0996acdab5d356c6742c23d5fab60bf");
    hbitmap_free(dst);
    dst = hbitmap_alloc(104858112, 16);
    migrate_like(odd, dst, 104858112, 16);
    check_sha256(dst, "45230ae80494a2d95857308e02cbb6e9"
                      "dd79d0ac4cb752ea6679157d83b16f27");
    hbitmap_free(dst);

    hbitmap_free(bma);
    hbitmap_free(bmb);
    hbitmap_free(odd);

    /* interface-contract.md 4.4 */
    bma = hbitmap_alloc(1 * GiB, 16);
    hbitmap_set(bma, 0, 64 * KiB);
    check_sha256(bma, "d5990a0fe875a0aa109edb831f0e95b8"
                      "f0a3a46b9b78daeaea9ce05c32c7201f");
    hbitmap_free(bma);
    bma = hbitmap_alloc(1 * MiB, 9);
    hbitmap_set(bma, 0, 129 * 512);
    check_sha256(bma, "1d07fea6bb5eb14d0d6d3e1b0a1496b5"
                      "05628f2223347b6c00e5ecd910ced904");
    hbitmap_free(bma);
}

static void test_sha256_small(void)
{
    static const uint8_t one[8] = { 1 };
    static const uint8_t zero[8];
    g_autofree char *want_one = sha256_of(one, sizeof(one));
    g_autofree char *want_zero = sha256_of(zero, sizeof(zero));
    HBitmap *hb = hbitmap_alloc(16, 0);
    HBitmap *empty = hbitmap_alloc(0, 9);

    /* One dirty group at bit 0 of a 16-bit map hashes 8 bytes 01 00... */
    hbitmap_set(hb, 0, 1);
    check_sha256(hb, want_one);
    g_assert_true(g_str_has_prefix(want_one, "7c9fa136"));
    g_assert_true(g_str_has_suffix(want_one, "f4b8"));
    /* A zero-size bitmap hashes one zero word. */
    check_sha256(empty, want_zero);
    hbitmap_free(hb);
    hbitmap_free(empty);
}

/* Bytes of the first BITS chunks of bmA (migration-stream.md 4.6). */
static void test_serialize_reference_chunk(void)
{
    HBitmap *bma = hbitmap_alloc(1 * GiB, 16);
    uint8_t buf[1024];
    uint64_t chunk = 1048576 * UINT64_C(512);
    size_t i;

    hbitmap_set(bma, 0, 4096);
    hbitmap_set(bma, 1 * MiB, 64 * KiB);
    hbitmap_set(bma, 512 * MiB, 1);
    hbitmap_set(bma, 1073676288, 64 * KiB);
    hbitmap_set(bma, 200000000, 300000);

    g_assert_cmpuint(hbitmap_serialization_size(bma, 0, chunk), ==, 1024);
    hbitmap_serialize_part(bma, buf, 0, chunk);
    g_assert_cmphex(ldq_le_p(buf), ==, 0x10001);
    g_assert_cmphex(ldq_le_p(buf + 47 * 8), ==, 0x0001F80000000000ULL);
    for (i = 8; i < sizeof(buf); i++) {
        if (i / 8 != 47) {
            g_assert_cmphex(buf[i], ==, 0);
        }
    }
    hbitmap_serialize_part(bma, buf, chunk, chunk);
    g_assert_cmphex(buf[0], ==, 0x01);
    g_assert_cmphex(buf[1023], ==, 0x80);
    hbitmap_free(bma);
}

/* Round trips at odd sizes, chunked on align boundaries and on edges. */
static void test_serialize_odd_size(void)
{
    static const uint64_t sizes[] = { 1, 63, 64, 65, 1000, 4097, 70001,
                                      104858112 };
    size_t i;
    int g;

    for (i = 0; i < G_N_ELEMENTS(sizes); i++) {
        for (g = 0; g <= 16; g += (sizes[i] > 100000 ? 4 : 1)) {
            HBitmap *src = hbitmap_alloc(sizes[i], g);
            HBitmap *dst = hbitmap_alloc(sizes[i], g);
            Oracle o;
            uint64_t align = hbitmap_serialization_align(src);
            uint64_t start, count, len, per;
            g_autofree char *h1 = NULL;
            g_autofree char *h2 = NULL;

            oracle_init(&o, sizes[i], g);
            if (o.nbits < 100000) {
                fill_random(src, &o, 40);
            } else {
                hbitmap_set(src, 0, 1);
                hbitmap_set(src, sizes[i] - 1, 1);
            }
            /* Chunks of 1..3 alignment units; the last one is odd. */
            per = align * (1 + i % 3) * (o.nbits < 100000 ? 1 : 1024);
            for (start = 0; start < sizes[i]; start += count) {
                g_autofree uint8_t *buf = NULL;

                count = MIN(per, sizes[i] - start);
                len = hbitmap_serialization_size(src, start, count);
                g_assert_cmpuint(len, ==,
                                 8 * (((start + count - 1) >> g) / 64 -
                                      (start >> g) / 64 + 1));
                buf = g_malloc(len);
                hbitmap_serialize_part(src, buf, start, count);
                hbitmap_deserialize_part(dst, buf, start, count, false);
            }
            hbitmap_deserialize_finish(dst);
            g_assert_cmpuint(hbitmap_count(dst), ==, hbitmap_count(src));
            h1 = hbitmap_sha256(src, NULL);
            h2 = hbitmap_sha256(dst, NULL);
            g_assert_cmpstr(h1, ==, h2);
            g_assert_cmpint(hbitmap_next_dirty(dst, 0, INT64_MAX), ==,
                            hbitmap_next_dirty(src, 0, INT64_MAX));
            hbitmap_free(src);
            hbitmap_free(dst);
            g_free(o.bits);
        }
    }
}

static void test_serialize_misc(void)
{
    HBitmap *hb = hbitmap_alloc(1000, 3);
    uint8_t buf[16];

    g_assert_true(hbitmap_is_serializable(hb));
    g_assert_cmpuint(hbitmap_serialization_align(hb), ==, 64 << 3);
    g_assert_cmpuint(hbitmap_serialization_size(hb, 0, 0), ==, 0);
    /* count == 0 is a no-op everywhere. */
    hbitmap_serialize_part(hb, buf, 512, 0);
    hbitmap_deserialize_part(hb, buf, 512, 0, true);
    hbitmap_deserialize_zeroes(hb, 512, 0, true);
    hbitmap_deserialize_ones(hb, 512, 0, true);
    hbitmap_free(hb);

    hb = hbitmap_alloc(INT64_MAX, 57);
    g_assert_true(hbitmap_is_serializable(hb));
    hbitmap_free(hb);
    hb = hbitmap_alloc(INT64_MAX, 58);
    g_assert_false(hbitmap_is_serializable(hb));
    hbitmap_free(hb);
}

/* deserialize_ones on the final chunk sets padding bits past the end. */
static void test_deserialize_ones_padding(void)
{
    HBitmap *hb = hbitmap_alloc(100, 0);
    uint8_t want[16];
    g_autofree char *want_hash = NULL;
    HBitmapIter hbi;
    int64_t i;

    hbitmap_deserialize_ones(hb, 0, 100, true);
    g_assert_cmpuint(hbitmap_count(hb), ==, 100);
    g_assert_cmpint(hbitmap_next_zero(hb, 0, INT64_MAX), ==, -1);
    memset(want, 0xff, sizeof(want));
    want_hash = sha256_of(want, sizeof(want));
    check_sha256(hb, want_hash);
    /* Raw iteration sees the padding bits too, as in QEMU. */
    hbitmap_iter_init(&hbi, hb, 0);
    for (i = 0; i < 128; i++) {
        g_assert_cmpint(hbitmap_iter_next(&hbi), ==, i);
    }
    g_assert_cmpint(hbitmap_iter_next(&hbi), ==, -1);
    /* next_dirty stops at the end, though. */
    g_assert_cmpint(hbitmap_next_dirty(hb, 99, INT64_MAX), ==, 99);

    /* Growing does not turn padding into dirty bits. */
    hbitmap_reset(hb, 0, 100);
    hbitmap_truncate(hb, 300);
    g_assert_true(hbitmap_empty(hb));
    g_assert_cmpint(hbitmap_next_dirty(hb, 0, INT64_MAX), ==, -1);
    hbitmap_set(hb, 299, 1);
    g_assert_cmpint(hbitmap_next_dirty(hb, 0, INT64_MAX), ==, 299);
    g_assert_cmpuint(hbitmap_count(hb), ==, 1);

    /* reset_all clears padding too. */
    hbitmap_truncate(hb, 100);
    hbitmap_deserialize_ones(hb, 0, 100, true);
    hbitmap_reset_all(hb);
    memset(want, 0, sizeof(want));
    g_free(want_hash);
    want_hash = sha256_of(want, sizeof(want));
    check_sha256(hb, want_hash);
    hbitmap_free(hb);
}

/* Large bitmaps: cost and memory */

static uint64_t minor_faults(void)
{
    struct rusage ru;

    g_assert_cmpint(getrusage(RUSAGE_SELF, &ru), ==, 0);
    return ru.ru_minflt;
}

static uint64_t rss_bytes(void)
{
    g_autofree char *text = NULL;
    unsigned long pages, resident;

    g_assert_true(g_file_get_contents("/proc/self/statm", &text, NULL, NULL));
    g_assert_cmpint(sscanf(text, "%lu %lu", &pages, &resident), ==, 2);
    return (uint64_t)resident * sysconf(_SC_PAGESIZE);
}

/*
 * Searching an empty bitmap reads one word per level.  Scanning the bottom
 * level instead would fault in thousands of (zero) pages.
 */
static void check_search_cost(HBitmap *hb, uint64_t size)
{
    uint64_t faults = minor_faults();
    int64_t ds = -7, dc = -7;
    int i;

    /* On a fresh bitmap: at most one page per level is read. */
    g_assert_cmpint(hbitmap_next_dirty(hb, 0, INT64_MAX), ==, -1);
    g_assert_cmpint(hbitmap_next_dirty(hb, size / 2 + 12345, INT64_MAX), ==,
                    -1);
    g_assert_cmpuint(minor_faults() - faults, <, 2 * HBITMAP_LEVELS + 4);

    for (i = 0; i < 1000; i++) {
        uint64_t start = rand_u64(size);

        g_assert_cmpint(hbitmap_next_dirty(hb, start, INT64_MAX), ==, -1);
        g_assert_false(hbitmap_next_dirty_area(hb, start, INT64_MAX,
                                               INT64_MAX, &ds, &dc));
    }
    g_assert_cmpint(ds, ==, -7);
    g_assert_cmpint(dc, ==, -7);
}

static void test_large_empty_search(void)
{
    uint64_t size28 = UINT64_C(1) << 28;
    uint64_t size44 = UINT64_C(1) << 44;  /* 2^35 groups of 512 */
    HBitmap *hb = hbitmap_alloc(size28, 0);
    HBitmapIter hbi;
    uint64_t faults;

    check_search_cost(hb, size28);
    faults = minor_faults();
    hbitmap_set(hb, size28 - 1, 1);
    g_assert_cmpint(hbitmap_next_dirty(hb, 0, INT64_MAX), ==, size28 - 1);
    hbitmap_iter_init(&hbi, hb, 0);
    g_assert_cmpint(hbitmap_iter_next(&hbi), ==, size28 - 1);
    g_assert_cmpint(hbitmap_iter_next(&hbi), ==, -1);
    hbitmap_reset(hb, 0, size28);
    g_assert_true(hbitmap_empty(hb));
    hbitmap_reset_all(hb);
    g_assert_cmpuint(minor_faults() - faults, <, 64);
    hbitmap_free(hb);

    hb = hbitmap_alloc(size44, 9);
    check_search_cost(hb, size44);
    hbitmap_set(hb, size44 - 1, 1);
    hbitmap_set(hb, size44 / 3, 1);
    g_assert_cmpint(hbitmap_next_dirty(hb, 0, INT64_MAX), ==,
                    QEMU_ALIGN_DOWN(size44 / 3, 512));
    g_assert_cmpint(hbitmap_next_dirty(hb, size44 / 2, INT64_MAX), ==,
                    size44 - 512);
    g_assert_cmpuint(hbitmap_count(hb), ==, 1024);
    hbitmap_free(hb);
}

/* 256 GiB at 512 B: a 64 MiB bottom level that stays virtual while empty. */
static void test_large_memory(void)
{
    uint64_t size = UINT64_C(256) * GiB;
    uint64_t chunk = 8192 * 512;    /* CHUNK_SIZE bytes of bitmap */
    int64_t rss0, rss1;
    uint64_t start;
    HBitmap *hb, *dst;

    rss0 = rss_bytes();
    hb = hbitmap_alloc(size, 9);
    dst = hbitmap_alloc(size, 9);
    g_assert_cmpint((int64_t)rss_bytes() - rss0, <, 4 * MiB);

    /* Sparse use, searches, resets and empty merges stay cheap. */
    hbitmap_set(hb, 0, 1);
    hbitmap_set(hb, size / 2, 1 * MiB);
    hbitmap_set(hb, size - 1, 1);
    g_assert_cmpint(hbitmap_next_dirty(hb, 512, INT64_MAX), ==, size / 2);
    g_assert_cmpint(hbitmap_next_zero(hb, size / 2, INT64_MAX), ==,
                    size / 2 + 1 * MiB);
    hbitmap_merge(hb, dst, dst);
    g_assert_cmpuint(hbitmap_count(dst), ==, 1 * MiB + 1024);
    hbitmap_reset(hb, 0, size);
    hbitmap_reset_all(hb);
    hbitmap_reset_all(dst);
    hbitmap_truncate(hb, size * 2);
    hbitmap_truncate(hb, size / 2);
    hbitmap_truncate(hb, size);

    /* An empty migration: every chunk arrives as ZEROES. */
    for (start = 0; start < size; start += chunk) {
        hbitmap_deserialize_zeroes(hb, start, chunk, false);
    }
    hbitmap_deserialize_finish(hb);
    g_assert_true(hbitmap_empty(hb));

    rss1 = rss_bytes();
    g_assert_cmpint(rss1 - rss0, <, 8 * MiB);

    /* Filling it really does use memory, and reset_all gives it back. */
    hbitmap_set(hb, 0, size);
    g_assert_cmpuint(hbitmap_count(hb), ==, size);
    rss1 = rss_bytes();
    g_assert_cmpint(rss1 - rss0, >, 60 * MiB);
    hbitmap_reset_all(hb);
    g_assert_cmpint(rss_bytes(), <, rss1 - 60 * MiB);
    g_assert_cmpint(hbitmap_next_dirty(hb, 0, INT64_MAX), ==, -1);
    hbitmap_free(hb);
    hbitmap_free(dst);
}

int main(int argc, char **argv)
{
    static const RandomParams random_params[] = {
        { 1, 0, 100 }, { 63, 0, 200 }, { 64, 0, 200 }, { 65, 0, 200 },
        { 1000, 0, 300 }, { 1000, 1, 300 }, { 4097, 2, 300 },
        { 5000, 3, 200 }, { 70001, 4, 100 }, { 300000, 0, 20 },
        { 100000, 9, 200 },
    };
    size_t i;

    g_test_init(&argc, &argv, NULL);

    for (i = 0; i < G_N_ELEMENTS(random_params); i++) {
        g_autofree char *path =
            g_strdup_printf("/hbitmap/random/size-%" PRIu64 "-g%d",
                            random_params[i].size, random_params[i].g);

        g_test_add_data_func(path, &random_params[i], test_random);
    }
    g_test_add_func("/hbitmap/random/planted-mismatch",
                    test_random_planted_mismatch);
    g_test_add_func("/hbitmap/size/small", test_small_sizes);
    g_test_add_func("/hbitmap/count/partial-group", test_count_partial_group);
    g_test_add_func("/hbitmap/truncate/edges", test_truncate_edges);
    g_test_add_func("/hbitmap/truncate/memory-kinds",
                    test_truncate_memory_kinds);
    g_test_add_func("/hbitmap/iter/concurrent", test_iter_concurrent);
    g_test_add_func("/hbitmap/status", test_status);
    g_test_add_func("/hbitmap/merge/granularities", test_merge_granularities);
    g_test_add_func("/hbitmap/sha256/reference", test_sha256_reference);
    g_test_add_func("/hbitmap/sha256/small", test_sha256_small);
    g_test_add_func("/hbitmap/serialize/reference-chunk",
                    test_serialize_reference_chunk);
    g_test_add_func("/hbitmap/serialize/odd-size", test_serialize_odd_size);
    g_test_add_func("/hbitmap/serialize/misc", test_serialize_misc);
    g_test_add_func("/hbitmap/deserialize/ones-padding",
                    test_deserialize_ones_padding);
    g_test_add_func("/hbitmap/large/empty-search", test_large_empty_search);
    g_test_add_func("/hbitmap/large/memory", test_large_memory);
    return g_test_run();
}
