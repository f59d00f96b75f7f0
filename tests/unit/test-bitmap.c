/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for qemu/bitmap.h against a bool-array oracle, many sizes. */
#include "qemu/osdep.h"
#include "qemu/bitmap.h"
#include "qemu/bswap.h"

/* Sizes around word boundaries, and one that spans many words. */
static const long sizes[] = { 1, 2, 63, 64, 65, 127, 128, 129, 700 };
#define MAX_BITS 700
#define MAX_WORDS BITS_TO_LONGS(MAX_BITS)

/* A random bitmap whose unused tail bits are random too. */
static void random_map(GRand *r, unsigned long *map, bool *bits, long nbits)
{
    long i;
    int density = g_rand_int_range(r, 0, 4);

    for (i = 0; i < MAX_WORDS; i++) {
        map[i] = ((unsigned long)g_rand_int(r) << 31) ^ g_rand_int(r);
        if (density == 0) {
            map[i] = 0;         /* also try empty ... */
        } else if (density == 1) {
            map[i] = ~0UL;      /* ... and full maps */
        }
    }
    if (density < 2 && nbits > 1 && g_rand_boolean(r)) {
        change_bit(g_rand_int_range(r, 0, nbits), map);
    }
    for (i = 0; i < nbits; i++) {
        bits[i] = test_bit(i, map);
    }
}

static void check_map(const unsigned long *map, const bool *bits, long nbits)
{
    long i;

    for (i = 0; i < nbits; i++) {
        if (!!test_bit(i, map) != bits[i]) {
            g_test_message("bit %ld of %ld differs", i, nbits);
            g_assert_not_reached();
        }
    }
}

static void test_whole_map_ops(void)
{
    GRand *r = g_rand_new_with_seed(3);
    unsigned long a[MAX_WORDS], b[MAX_WORDS], d[MAX_WORDS];
    bool ab[MAX_BITS], bb[MAX_BITS], db[MAX_BITS];
    int iter, s;
    long i;

    for (iter = 0; iter < 300; iter++) {
        for (s = 0; s < G_N_ELEMENTS(sizes); s++) {
            long n = sizes[s];
            bool any_and = false, any_andnot = false, equal = true;
            bool intersects = false, empty = true, full = true;
            long count = 0;

            random_map(r, a, ab, n);
            if (g_rand_boolean(r)) {
                random_map(r, b, bb, n);
            } else {
                /* Equal maps, with different unused tail bits. */
                memcpy(b, a, sizeof(b));
                memcpy(bb, ab, sizeof(bb));
                b[BITS_TO_LONGS(n) - 1] ^= ~BITMAP_LAST_WORD_MASK(n);
            }
            for (i = 0; i < n; i++) {
                any_and |= ab[i] && bb[i];
                any_andnot |= ab[i] && !bb[i];
                equal &= ab[i] == bb[i];
                intersects |= ab[i] && bb[i];
                empty &= !ab[i];
                full &= ab[i];
                count += ab[i];
            }
            g_assert_cmpint(bitmap_equal(a, b, n), ==, equal);
            g_assert_cmpint(bitmap_intersects(a, b, n), ==, intersects);
            g_assert_cmpint(bitmap_empty(a, n), ==, empty);
            g_assert_cmpint(bitmap_full(a, n), ==, full);
            g_assert_cmpint(bitmap_count_one(a, n), ==, count);
            g_assert_cmpint(slow_bitmap_count_one(a, n), ==, count);

            g_assert_cmpint(bitmap_and(d, a, b, n), ==, any_and);
            for (i = 0; i < n; i++) {
                db[i] = ab[i] && bb[i];
            }
            check_map(d, db, n);
            g_assert_cmpint(bitmap_andnot(d, a, b, n), ==, any_andnot);
            for (i = 0; i < n; i++) {
                db[i] = ab[i] && !bb[i];
            }
            check_map(d, db, n);
            bitmap_or(d, a, b, n);
            for (i = 0; i < n; i++) {
                db[i] = ab[i] || bb[i];
            }
            check_map(d, db, n);
            bitmap_xor(d, a, b, n);
            for (i = 0; i < n; i++) {
                db[i] = ab[i] != bb[i];
            }
            check_map(d, db, n);
            bitmap_complement(d, a, n);
            for (i = 0; i < n; i++) {
                db[i] = !ab[i];
            }
            check_map(d, db, n);
            g_assert_cmpint(bitmap_count_one(d, n), ==, n - count);

            /* In place: the destination may be a source. */
            memcpy(d, a, sizeof(d));
            bitmap_or(d, d, b, n);
            for (i = 0; i < n; i++) {
                db[i] = ab[i] || bb[i];
            }
            check_map(d, db, n);

            bitmap_copy(d, a, n);
            check_map(d, ab, n);
            bitmap_fill(d, n);
            g_assert_true(bitmap_full(d, n));
            g_assert_cmpint(bitmap_count_one(d, n), ==, n);
            bitmap_zero(d, n);
            g_assert_true(bitmap_empty(d, n));
        }
    }
    g_rand_free(r);
}

static void test_ranges(void)
{
    GRand *r = g_rand_new_with_seed(5);
    unsigned long map[MAX_WORDS], copy[MAX_WORDS];
    bool bits[MAX_BITS];
    int iter;
    long i;

    for (iter = 0; iter < 5000; iter++) {
        long n = sizes[g_rand_int_range(r, 0, G_N_ELEMENTS(sizes))];
        long start = g_rand_int_range(r, 0, n + 1);
        long len = g_rand_int_range(r, 0, n - start + 1);
        bool any = false;
        long count = 0;

        random_map(r, map, bits, n);
        for (i = start; i < start + len; i++) {
            any |= bits[i];
            count += bits[i];
        }
        g_assert_cmpint(bitmap_count_one_with_offset(map, start, len), ==,
                        count);
        memcpy(copy, map, sizeof(map));

        switch (g_rand_int_range(r, 0, 5)) {
        case 0:
            bitmap_set(map, start, len);
            memset(bits + start, 1, len);
            break;
        case 1:
            bitmap_set_atomic(map, start, len);
            memset(bits + start, 1, len);
            break;
        case 2:
            bitmap_clear(map, start, len);
            memset(bits + start, 0, len);
            break;
        case 3:
            g_assert_cmpint(bitmap_test_and_clear(map, start, len), ==, any);
            memset(bits + start, 0, len);
            break;
        case 4:
            g_assert_cmpint(bitmap_test_and_clear_atomic(map, start, len), ==,
                            any);
            memset(bits + start, 0, len);
            break;
        }
        check_map(map, bits, n);
        /* Words the range does not reach are not written at all. */
        for (i = 0; i < MAX_WORDS; i++) {
            if (len == 0 || i < BIT_WORD(start) ||
                i > BIT_WORD(start + len - 1)) {
                g_assert_cmpuint(map[i], ==, copy[i]);
            }
        }
    }
    g_rand_free(r);
}

static void test_offset_copies(void)
{
    GRand *r = g_rand_new_with_seed(9);
    unsigned long src[MAX_WORDS], dst[MAX_WORDS], before[MAX_WORDS];
    bool sb[MAX_BITS], db[MAX_BITS];
    int iter;
    long i;

    for (iter = 0; iter < 3000; iter++) {
        long offset = g_rand_int_range(r, 0, 200);
        long n = g_rand_int_range(r, 0, MAX_BITS - offset + 1);

        random_map(r, src, sb, MAX_BITS);
        random_map(r, dst, db, MAX_BITS);
        memcpy(before, dst, sizeof(dst));
        bitmap_copy_with_src_offset(dst, src, offset, n);
        for (i = 0; i < MAX_BITS; i++) {
            g_assert_cmpint(test_bit(i, dst), ==,
                            i < n ? sb[i + offset] : db[i]);
        }

        memcpy(dst, before, sizeof(dst));
        bitmap_copy_with_dst_offset(dst, src, offset, n);
        for (i = 0; i < MAX_BITS; i++) {
            bool inside = i >= offset && i < offset + n;

            g_assert_cmpint(test_bit(i, dst), ==,
                            inside ? sb[i - offset] : db[i]);
        }
    }
    g_rand_free(r);
}

static void test_zero_area(void)
{
    DECLARE_BITMAP(map, 256);
    unsigned long pos;

    bitmap_zero(map, 256);
    bitmap_set(map, 0, 3);
    bitmap_set(map, 10, 1);
    bitmap_set(map, 40, 20);
    /* Free: 3..9, 11..39, 60..255 */
    g_assert_cmpuint(bitmap_find_next_zero_area(map, 256, 0, 7, 0), ==, 3);
    g_assert_cmpuint(bitmap_find_next_zero_area(map, 256, 0, 8, 0), ==, 11);
    g_assert_cmpuint(bitmap_find_next_zero_area(map, 256, 0, 4, 7), ==, 16);
    g_assert_cmpuint(bitmap_find_next_zero_area(map, 256, 0, 30, 0), ==, 60);
    g_assert_cmpuint(bitmap_find_next_zero_area(map, 256, 0, 30, 63), ==,
                     64);
    g_assert_cmpuint(bitmap_find_next_zero_area(map, 256, 61, 2, 0), ==, 61);
    /* No room: the result leaves no room for @nr bits before @size. */
    pos = bitmap_find_next_zero_area(map, 256, 0, 197, 0);
    g_assert_cmpuint(pos, >, 256 - 197);
    pos = bitmap_find_next_zero_area(map, 256, 250, 8, 0);
    g_assert_cmpuint(pos, >, 256 - 8);
}

static void test_alloc_and_conversions(void)
{
    unsigned long *map = bitmap_new(100);
    unsigned long *other = bitmap_try_new(100);
    unsigned long src[2], dst[2], back[2];
    uint8_t bytes[sizeof(src)];
    long i;

    g_assert_nonnull(other);
    g_assert_true(bitmap_empty(map, 100));
    g_assert_true(bitmap_empty(other, 100));
    bitmap_set(map, 90, 10);
    map = bitmap_zero_extend(map, 100, 1000);
    g_assert_cmpint(bitmap_count_one(map, 1000), ==, 10);
    g_assert_cmpuint(find_first_bit(map, 1000), ==, 90);
    g_free(map);

    /* Atomic move: the source ends empty, the destination has its bits. */
    bitmap_set(other, 3, 50);
    memset(src, 0, sizeof(src));
    bitmap_copy_and_clear_atomic(src, other, 100);
    g_assert_true(bitmap_empty(other, 100));
    g_assert_cmpint(bitmap_count_one(src, 100), ==, 50);
    g_assert_cmpuint(find_first_bit(src, 100), ==, 3);
    g_free(other);

    /* Little-endian layout: bit 8 * k + j is bit j of byte k. */
    memset(src, 0, sizeof(src));
    set_bit(0, src);
    set_bit(9, src);
    set_bit(BITS_PER_LONG + 7, src);
    bitmap_to_le(dst, src, 2 * BITS_PER_LONG);
    memcpy(bytes, dst, sizeof(bytes));
    for (i = 0; i < sizeof(bytes); i++) {
        uint8_t expect = i == 0 ? 0x01 : i == 1 ? 0x02 :
                         i == sizeof(long) ? 0x80 : 0;

        g_assert_cmpuint(bytes[i], ==, expect);
    }
    bitmap_from_le(back, dst, 2 * BITS_PER_LONG);
    g_assert_true(bitmap_equal(back, src, 2 * BITS_PER_LONG));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/bitmap/whole-map-ops", test_whole_map_ops);
    g_test_add_func("/bitmap/ranges", test_ranges);
    g_test_add_func("/bitmap/offset-copies", test_offset_copies);
    g_test_add_func("/bitmap/zero-area", test_zero_area);
    g_test_add_func("/bitmap/alloc-and-conversions",
                    test_alloc_and_conversions);

    return g_test_run();
}
