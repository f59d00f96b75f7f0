/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for BdrvDirtyBitmap over null-co nodes and BlockBackends. */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "block/block_int.h"
#include "sysemu/block-backend.h"
#include "qapi/qapi-types-block-core.h"
#include "qapi/qapi-commands-block-core.h"

/* A null-co node with its own BlockBackend for I/O. */
typedef struct Fixture {
    BlockDriverState *bs;
    BlockBackend *blk;
} Fixture;

static int node_counter;

static BlockDriverState *open_null(int64_t size, Error **errp)
{
    g_autofree char *name = g_strdup_printf("n%d", node_counter++);
    json_t *opts = json_pack("{s:s, s:s, s:I}", "driver", "null-co",
                             "node-name", name, "size", (json_int_t)size);

    return bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, errp);
}

static void fixture_init(Fixture *f, int64_t size)
{
    f->bs = open_null(size, &error_abort);
    f->blk = blk_new(NULL, BLK_PERM_ALL, BLK_PERM_ALL);
    g_assert_cmpint(blk_insert_bs(f->blk, f->bs, &error_abort), ==, 0);
}

static void setup_1g(Fixture *f, gconstpointer data)
{
    fixture_init(f, 1 * GiB);
}

static void setup_1m(Fixture *f, gconstpointer data)
{
    fixture_init(f, 1 * MiB);
}

static void teardown(Fixture *f, gconstpointer data)
{
    BdrvDirtyBitmap *bm, *next;

    /* Release whatever a test left (successors first via reclaim). */
    for (bm = bdrv_dirty_bitmap_first(f->bs); bm; bm = next) {
        next = bdrv_dirty_bitmap_next(bm);
        if (bdrv_dirty_bitmap_has_successor(bm)) {
            bdrv_reclaim_dirty_bitmap(bm, &error_abort);
            next = bdrv_dirty_bitmap_first(f->bs);
            continue;
        }
    }
    while ((bm = bdrv_dirty_bitmap_first(f->bs)) != NULL) {
        bdrv_dirty_bitmap_set_busy(bm, false);
        bdrv_release_dirty_bitmap(bm);
    }
    blk_unref(f->blk);
    bdrv_unref(f->bs);
}

static void assert_sha(BdrvDirtyBitmap *bm, const char *expected)
{
    g_autofree char *sha = bdrv_dirty_bitmap_sha256(bm, &error_abort);

    g_assert_cmpstr(sha, ==, expected);
}

static void test_create_errors(Fixture *f, gconstpointer data)
{
    Error *err = NULL;
    BdrvDirtyBitmap *bm;
    g_autofree char *longname = g_strnfill(1024, 'b');
    g_autofree char *okname = g_strnfill(1023, 'b');

    bm = bdrv_create_dirty_bitmap(f->bs, 65536, "a", &error_abort);
    g_assert(bdrv_find_dirty_bitmap(f->bs, "a") == bm);
    g_assert_null(bdrv_create_dirty_bitmap(f->bs, 4096, "a", &err));
    g_assert_cmpstr(error_get_pretty(err), ==, "Bitmap already exists: a");
    error_free(err);
    err = NULL;

    g_assert_null(bdrv_create_dirty_bitmap(f->bs, 4096, longname, &err));
    g_assert(g_str_has_prefix(error_get_pretty(err),
                              "Bitmap name too long: bbbb"));
    error_free(err);
    err = NULL;
    g_assert_nonnull(bdrv_create_dirty_bitmap(f->bs, 512, okname,
                                              &error_abort));

    /* Bad granularities fail cleanly instead of asserting. */
    g_assert_null(bdrv_create_dirty_bitmap(f->bs, 0, "z", &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Granularity must be power of 2 and at least 512");
    error_free(err);
    err = NULL;
    g_assert_null(bdrv_create_dirty_bitmap(f->bs, 1000, "z", &err));
    error_free(err);
    err = NULL;
    g_assert_null(bdrv_create_dirty_bitmap(f->bs, 256, "z", &err));
    error_free(err);
    g_assert_null(bdrv_find_dirty_bitmap(f->bs, "z"));
}

static void test_defaults_and_list(Fixture *f, gconstpointer data)
{
    BdrvDirtyBitmap *a, *b, *anon, *bm;
    int n = 0;

    a = bdrv_create_dirty_bitmap(f->bs, 65536, "a", &error_abort);
    b = bdrv_create_dirty_bitmap(f->bs, 4096, "b", &error_abort);
    g_assert_cmpuint(bdrv_dirty_bitmap_granularity(a), ==, 65536);
    g_assert_cmpuint(bdrv_dirty_bitmap_granularity(b), ==, 4096);
    g_assert_cmpint(bdrv_dirty_bitmap_size(a), ==, 1 * GiB);
    g_assert(bdrv_dirty_bitmap_enabled(a));
    g_assert(!bdrv_dirty_bitmap_get_persistence(a));
    g_assert(!bdrv_dirty_bitmap_readonly(a));
    g_assert(!bdrv_dirty_bitmap_inconsistent(a));
    g_assert(!bdrv_dirty_bitmap_get_autoload(a));
    g_assert_cmpuint(bdrv_get_default_bitmap_granularity(f->bs), ==, 65536);

    /* Newest first; anonymous bitmaps are on the list too. */
    anon = bdrv_create_dirty_bitmap(f->bs, 65536, NULL, &error_abort);
    g_assert(bdrv_dirty_bitmap_first(f->bs) == anon);
    g_assert(bdrv_dirty_bitmap_next(anon) == b);
    g_assert(bdrv_dirty_bitmap_next(b) == a);
    FOR_EACH_DIRTY_BITMAP(f->bs, bm) {
        n++;
    }
    g_assert_cmpint(n, ==, 3);
    g_assert(bdrv_has_named_bitmaps(f->bs));
    bdrv_release_dirty_bitmap(a);
    bdrv_release_dirty_bitmap(b);
    g_assert(!bdrv_has_named_bitmaps(f->bs));
    g_assert_null(bdrv_dirty_bitmap_name(anon));
}

static void test_check(Fixture *f, gconstpointer data)
{
    BdrvDirtyBitmap *bm;
    Error *err = NULL;

    bm = bdrv_create_dirty_bitmap(f->bs, 65536, "bm", &error_abort);
    g_assert_cmpint(bdrv_dirty_bitmap_check(bm, BDRV_BITMAP_DEFAULT,
                                            &error_abort), ==, 0);

    bdrv_dirty_bitmap_set_readonly(bm, true);
    g_assert_cmpint(bdrv_dirty_bitmap_check(bm, BDRV_BITMAP_DEFAULT, &err),
                    ==, -1);
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Bitmap 'bm' is readonly and cannot be modified");
    error_free(err);
    err = NULL;
    g_assert_cmpint(bdrv_dirty_bitmap_check(bm, BDRV_BITMAP_ALLOW_RO,
                                            &error_abort), ==, 0);

    /* Busy wins over readonly. */
    bdrv_dirty_bitmap_set_busy(bm, true);
    g_assert_cmpint(bdrv_dirty_bitmap_check(bm, BDRV_BITMAP_DEFAULT, &err),
                    ==, -1);
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Bitmap 'bm' is currently in use by another operation "
                    "and cannot be used");
    error_free(err);
    err = NULL;
    bdrv_dirty_bitmap_set_busy(bm, false);
    bdrv_dirty_bitmap_set_readonly(bm, false);

    bdrv_dirty_bitmap_set_persistence(bm, true);
    bdrv_dirty_bitmap_set_inconsistent(bm);
    g_assert(!bdrv_dirty_bitmap_enabled(bm));
    g_assert_cmpint(bdrv_dirty_bitmap_check(bm, BDRV_BITMAP_DEFAULT, &err),
                    ==, -1);
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Bitmap 'bm' is inconsistent and cannot be used");
    error_free(err);
    g_assert_cmpint(bdrv_dirty_bitmap_check(bm, BDRV_BITMAP_BUSY |
                                            BDRV_BITMAP_RO, &error_abort),
                    ==, 0);
}

static void test_persistence_skip_store(Fixture *f, gconstpointer data)
{
    BdrvDirtyBitmap *bm;

    bm = bdrv_create_dirty_bitmap(f->bs, 65536, "p", &error_abort);
    bdrv_dirty_bitmap_set_persistence(bm, true);
    g_assert(bdrv_dirty_bitmap_get_persistence(bm));
    bdrv_dirty_bitmap_skip_store(bm, true);
    g_assert(!bdrv_dirty_bitmap_get_persistence(bm));
    bdrv_dirty_bitmap_skip_store(bm, false);
    g_assert(bdrv_dirty_bitmap_get_persistence(bm));
}

/* The reference values of interface-contract §4.4 and CAPTURES.txt. */
static void test_sha256_reference(Fixture *f, gconstpointer data)
{
    BdrvDirtyBitmap *a, *b;

    a = bdrv_create_dirty_bitmap(f->bs, 65536, "bmA", &error_abort);
    b = bdrv_create_dirty_bitmap(f->bs, 4096, "bmB", &error_abort);
    assert_sha(a, "e5a00aa9991ac8a5ee3109844d84a555"
                  "83bd20572ad3ffcd42792f3c36b183ad");
    assert_sha(b, "c35020473aed1b4642cd726cad727b63"
                  "fff2824ad68cedd7ffb73c7cbd890479");

    g_assert_cmpint(blk_pwrite(f->blk, 0, 4096, NULL, BDRV_REQ_ZERO_WRITE),
                    ==, 0);
    g_assert_cmpint(blk_pwrite_zeroes(f->blk, 1048576, 65536, 0), ==, 0);
    g_assert_cmpint(blk_pwrite_zeroes(f->blk, 536870912, 1, 0), ==, 0);
    bdrv_disable_dirty_bitmap(b);
    g_assert_cmpint(blk_pwrite_zeroes(f->blk, 1073676288, 65536, 0), ==, 0);
    g_assert_cmpint(blk_pwrite_zeroes(f->blk, 200000000, 300000, 0), ==, 0);

    assert_sha(a, "46c6ec8ea1782b34c09bbcf6dba3194b"
                  "22bf826e48f964b5408a9c94956298d5");
    assert_sha(b, "653e36a4f85d6516f3960a5c8f1d20ed"
                  "a0996acdab5d356c6742c23d5fab60bf");
    g_assert_cmpint(bdrv_get_dirty_count(a), ==, 10 * 65536);
    g_assert_cmpint(bdrv_get_dirty_count(b), ==, 18 * 4096);
}

static void test_sha256_small(Fixture *f, gconstpointer data)
{
    BdrvDirtyBitmap *bm;

    bm = bdrv_create_dirty_bitmap(f->bs, 512, "s", &error_abort);
    g_assert_cmpint(blk_pwrite_zeroes(f->blk, 0, 129 * 512, 0), ==, 0);
    assert_sha(bm, "1d07fea6bb5eb14d0d6d3e1b0a1496b5"
                   "05628f2223347b6c00e5ecd910ced904");
}

static void test_odd_size_sha(void)
{
    BlockDriverState *bs = open_null(104858112, &error_abort);
    BlockBackend *blk = blk_new(NULL, BLK_PERM_ALL, BLK_PERM_ALL);
    BdrvDirtyBitmap *bm;
    uint8_t buf[512];

    memset(buf, 0xcd, sizeof(buf));
    blk_insert_bs(blk, bs, &error_abort);
    bm = bdrv_create_dirty_bitmap(bs, 65536, "odd", &error_abort);
    g_assert_cmpint(blk_pwrite(blk, 0, 512, buf, 0), ==, 0);
    g_assert_cmpint(blk_pwrite(blk, 104857600, 512, buf, 0), ==, 0);
    assert_sha(bm, "45230ae80494a2d95857308e02cbb6e9"
                   "dd79d0ac4cb752ea6679157d83b16f27");
    bdrv_release_dirty_bitmap(bm);
    blk_unref(blk);
    bdrv_unref(bs);
}

static void test_successor(Fixture *f, gconstpointer data)
{
    BdrvDirtyBitmap *p, *s;
    Error *err = NULL;

    p = bdrv_create_dirty_bitmap(f->bs, 65536, "p", &error_abort);
    blk_pwrite_zeroes(f->blk, 0, 65536, 0);

    g_assert_null(bdrv_reclaim_dirty_bitmap(p, &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Cannot reclaim a successor when none is present");
    error_free(err);
    err = NULL;
    g_assert_null(bdrv_dirty_bitmap_abdicate(p, &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Cannot relinquish control if there's no successor "
                    "present");
    error_free(err);
    err = NULL;

    g_assert_cmpint(bdrv_dirty_bitmap_create_successor(p, &error_abort),
                    ==, 0);
    g_assert(bdrv_dirty_bitmap_has_successor(p));
    g_assert(!bdrv_dirty_bitmap_enabled(p));
    s = bdrv_dirty_bitmap_first(f->bs);
    g_assert_null(bdrv_dirty_bitmap_name(s));
    g_assert(bdrv_dirty_bitmap_enabled(s));

    /* Busy parent: a second successor is refused by the busy check. */
    g_assert_cmpint(bdrv_dirty_bitmap_create_successor(p, &err), ==, -1);
    g_assert(g_str_has_prefix(error_get_pretty(err), "Bitmap 'p' is "
                              "currently in use"));
    error_free(err);
    err = NULL;
    bdrv_dirty_bitmap_set_busy(p, false);
    g_assert_cmpint(bdrv_dirty_bitmap_create_successor(p, &err), ==, -1);
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Cannot create a successor for a bitmap that already "
                    "has one");
    error_free(err);
    bdrv_dirty_bitmap_set_busy(p, true);

    /* Writes go to the successor only. */
    blk_pwrite_zeroes(f->blk, 10 * 65536, 1, 0);
    g_assert(!bdrv_dirty_bitmap_get(p, 10 * 65536));
    g_assert(bdrv_dirty_bitmap_get(s, 10 * 65536));
    g_assert(!bdrv_dirty_bitmap_get(s, 0));

    g_assert(bdrv_reclaim_dirty_bitmap(p, &error_abort) == p);
    g_assert(!bdrv_dirty_bitmap_has_successor(p));
    g_assert(bdrv_dirty_bitmap_enabled(p));
    g_assert_cmpint(bdrv_dirty_bitmap_check(p, BDRV_BITMAP_BUSY, NULL), ==,
                    0);
    g_assert(bdrv_dirty_bitmap_get(p, 0));
    g_assert(bdrv_dirty_bitmap_get(p, 10 * 65536));
    g_assert(bdrv_dirty_bitmap_first(f->bs) == p);
    g_assert_null(bdrv_dirty_bitmap_next(p));
}

/* A disabled parent with an enabled successor records into the latter. */
static void test_successor_disabled_parent(Fixture *f, gconstpointer data)
{
    BdrvDirtyBitmap *p, *s;

    p = bdrv_create_dirty_bitmap(f->bs, 65536, "p", &error_abort);
    bdrv_disable_dirty_bitmap(p);
    bdrv_dirty_bitmap_create_successor(p, &error_abort);
    s = bdrv_dirty_bitmap_first(f->bs);
    g_assert(!bdrv_dirty_bitmap_enabled(s));
    blk_pwrite_zeroes(f->blk, 0, 1, 0);
    g_assert(!bdrv_dirty_bitmap_get(s, 0));

    bdrv_dirty_bitmap_enable_successor(p);
    g_assert(!bdrv_dirty_bitmap_enabled(p));
    blk_pwrite_zeroes(f->blk, 65536, 1, 0);
    g_assert(bdrv_dirty_bitmap_get(s, 65536));
    g_assert(!bdrv_dirty_bitmap_get(p, 65536));

    bdrv_reclaim_dirty_bitmap(p, &error_abort);
    g_assert(bdrv_dirty_bitmap_enabled(p));
    g_assert(bdrv_dirty_bitmap_get(p, 65536));
    g_assert_cmpint(bdrv_get_dirty_count(p), ==, 65536);
}

static void test_abdicate(Fixture *f, gconstpointer data)
{
    BdrvDirtyBitmap *p, *s;

    p = bdrv_create_dirty_bitmap(f->bs, 65536, "p", &error_abort);
    bdrv_dirty_bitmap_set_persistence(p, true);
    bdrv_dirty_bitmap_skip_store(p, true);
    blk_pwrite_zeroes(f->blk, 0, 1, 0);
    bdrv_dirty_bitmap_create_successor(p, &error_abort);
    blk_pwrite_zeroes(f->blk, 65536, 1, 0);
    s = bdrv_dirty_bitmap_abdicate(p, &error_abort);
    g_assert(bdrv_find_dirty_bitmap(f->bs, "p") == s);
    g_assert(bdrv_dirty_bitmap_get_persistence(s));
    g_assert(!bdrv_dirty_bitmap_get(s, 0));
    g_assert(bdrv_dirty_bitmap_get(s, 65536));
    g_assert_null(bdrv_dirty_bitmap_next(s));
}

static void test_merge(Fixture *f, gconstpointer data)
{
    BdrvDirtyBitmap *dst, *src, *other;
    BlockDriverState *small = open_null(1 * MiB, &error_abort);
    HBitmap *backup = NULL;
    Error *err = NULL;
    g_autofree char *before = NULL;

    dst = bdrv_create_dirty_bitmap(f->bs, 4096, "dst", &error_abort);
    src = bdrv_create_dirty_bitmap(f->bs, 65536, "src", &error_abort);
    bdrv_set_dirty_bitmap(dst, 0, 4096);
    bdrv_set_dirty_bitmap(src, 1 * MiB, 1);
    before = bdrv_dirty_bitmap_sha256(dst, &error_abort);

    /* Coarse into fine: the whole coarse granule becomes dirty. */
    g_assert(bdrv_merge_dirty_bitmap(dst, src, &backup, &error_abort));
    g_assert_cmpint(bdrv_get_dirty_count(dst), ==, 4096 + 65536);
    bdrv_restore_dirty_bitmap(dst, backup);
    assert_sha(dst, before);

    other = bdrv_create_dirty_bitmap(small, 65536, "o", &error_abort);
    g_assert(!bdrv_merge_dirty_bitmap(dst, other, NULL, &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Bitmaps are of different sizes (destination size is "
                    "1073741824, source size is 1048576) and can't be "
                    "merged");
    error_free(err);
    err = NULL;
    assert_sha(dst, before);

    bdrv_dirty_bitmap_set_busy(src, true);
    g_assert(!bdrv_merge_dirty_bitmap(dst, src, NULL, &err));
    error_free(err);
    err = NULL;
    bdrv_dirty_bitmap_set_busy(src, false);
    bdrv_dirty_bitmap_set_readonly(src, true);
    g_assert(bdrv_merge_dirty_bitmap(dst, src, NULL, &error_abort));
    bdrv_dirty_bitmap_set_readonly(src, false);
    bdrv_dirty_bitmap_set_readonly(dst, true);
    g_assert(!bdrv_merge_dirty_bitmap(dst, src, NULL, &err));
    error_free(err);
    bdrv_dirty_bitmap_set_readonly(dst, false);

    bdrv_release_dirty_bitmap(other);
    bdrv_unref(small);
}

static void test_clear(Fixture *f, gconstpointer data)
{
    BdrvDirtyBitmap *bm;
    HBitmap *out = NULL;

    bm = bdrv_create_dirty_bitmap(f->bs, 65536, "c", &error_abort);
    bdrv_set_dirty_bitmap(bm, 0, 1 * MiB);
    g_assert_cmpint(bdrv_get_dirty_count(bm), ==, 1 * MiB);
    bdrv_clear_dirty_bitmap(bm, &out);
    g_assert_cmpint(bdrv_get_dirty_count(bm), ==, 0);
    bdrv_restore_dirty_bitmap(bm, out);
    g_assert_cmpint(bdrv_get_dirty_count(bm), ==, 1 * MiB);
    bdrv_reset_dirty_bitmap(bm, 65536, 65536);
    g_assert_cmpint(bdrv_get_dirty_count(bm), ==, 1 * MiB - 65536);
    g_assert_cmpint(bdrv_dirty_bitmap_next_zero(bm, 0, INT64_MAX), ==,
                    65536);
    g_assert_cmpint(bdrv_dirty_bitmap_next_dirty(bm, 65536, INT64_MAX), ==,
                    131072);
    bdrv_clear_dirty_bitmap(bm, NULL);
    g_assert_cmpint(bdrv_get_dirty_count(bm), ==, 0);
    g_assert_cmpint(bdrv_dirty_bitmap_next_dirty(bm, 0, INT64_MAX), ==, -1);
}

/* The _locked variants, inside bdrv_dirty_bitmap_lock()..unlock(). */
static void test_locked(Fixture *f, gconstpointer data)
{
    BdrvDirtyBitmap *bm;

    bm = bdrv_create_dirty_bitmap(f->bs, 65536, "l", &error_abort);
    bdrv_disable_dirty_bitmap(bm);
    bdrv_dirty_bitmap_lock(bm);
    bdrv_enable_dirty_bitmap_locked(bm);
    bdrv_set_dirty_bitmap_locked(bm, 0, 3 * 65536);
    bdrv_reset_dirty_bitmap_locked(bm, 65536, 65536);
    g_assert_true(bdrv_dirty_bitmap_get_locked(bm, 0));
    g_assert_false(bdrv_dirty_bitmap_get_locked(bm, 65536));
    g_assert_true(bdrv_dirty_bitmap_get_locked(bm, 2 * 65536));
    bdrv_dirty_bitmap_unlock(bm);

    g_assert_true(bdrv_dirty_bitmap_enabled(bm));
    g_assert_cmpint(bdrv_get_dirty_count(bm), ==, 2 * 65536);
    /* Enabled again, it records writes; the lock is free again. */
    g_assert_cmpint(blk_pwrite_zeroes(f->blk, 65536, 1, 0), ==, 0);
    g_assert_cmpint(bdrv_get_dirty_count(bm), ==, 3 * 65536);
}

static void test_iter_and_area(Fixture *f, gconstpointer data)
{
    BdrvDirtyBitmap *bm;
    BdrvDirtyBitmapIter *it;
    int64_t start, count;

    bm = bdrv_create_dirty_bitmap(f->bs, 65536, "i", &error_abort);
    bdrv_set_dirty_bitmap(bm, 3 * 65536, 2 * 65536);
    bdrv_set_dirty_bitmap(bm, 100 * 65536, 1);
    it = bdrv_dirty_iter_new(bm);
    g_assert_cmpint(bdrv_dirty_iter_next(it), ==, 3 * 65536);
    g_assert_cmpint(bdrv_dirty_iter_next(it), ==, 4 * 65536);
    g_assert_cmpint(bdrv_dirty_iter_next(it), ==, 100 * 65536);
    g_assert_cmpint(bdrv_dirty_iter_next(it), ==, -1);
    bdrv_set_dirty_iter(it, 4 * 65536);
    g_assert_cmpint(bdrv_dirty_iter_next(it), ==, 4 * 65536);
    bdrv_dirty_iter_free(it);
    bdrv_dirty_iter_free(NULL);

    g_assert(bdrv_dirty_bitmap_next_dirty_area(bm, 0, INT64_MAX, INT64_MAX,
                                               &start, &count));
    g_assert_cmpint(start, ==, 3 * 65536);
    g_assert_cmpint(count, ==, 2 * 65536);
    g_assert(!bdrv_dirty_bitmap_next_dirty_area(bm, 101 * 65536, INT64_MAX,
                                                INT64_MAX, &start, &count));
}

/* Round trips through serialization at chunk edges and odd sizes. */
static void test_serialize_roundtrip(void)
{
    static const int64_t sizes[] = {
        512, 65536 * 64 - 512, 65536 * 64, 65536 * 64 + 512,
        104858112, 1 * GiB + 512,
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(sizes); i++) {
        BlockDriverState *src_bs = open_null(sizes[i], &error_abort);
        BlockDriverState *dst_bs = open_null(sizes[i], &error_abort);
        BdrvDirtyBitmap *src, *dst;
        uint64_t align, off, size = bdrv_getlength(src_bs);
        g_autofree char *sha_src = NULL;
        /* 8192 granules per chunk, as the migration module sends. */
        uint64_t chunk;
        int64_t p;

        src = bdrv_create_dirty_bitmap(src_bs, 512, "s", &error_abort);
        dst = bdrv_create_dirty_bitmap(dst_bs, 512, "s", &error_abort);
        for (p = 0; p < size; p += 7 * 4096 + 512) {
            bdrv_set_dirty_bitmap(src, p, 1);
        }
        bdrv_set_dirty_bitmap(src, size - 1, 1);
        align = bdrv_dirty_bitmap_serialization_align(src);
        g_assert_cmpuint(align, ==, 64 * 512);
        chunk = 8192 * 512;
        bdrv_disable_dirty_bitmap(dst);
        for (off = 0; off < size; off += chunk) {
            uint64_t len = MIN(chunk, size - off);
            uint64_t bsize = bdrv_dirty_bitmap_serialization_size(src, off,
                                                                  len);
            g_autofree uint8_t *buf = g_malloc0(bsize);

            g_assert_cmpuint(bsize, <=, 1024);
            bdrv_dirty_bitmap_serialize_part(src, buf, off, len);
            if ((off / chunk) % 3 == 2 && buffer_is_zero(buf, bsize)) {
                bdrv_dirty_bitmap_deserialize_zeroes(dst, off, len, false);
            } else {
                bdrv_dirty_bitmap_deserialize_part(dst, buf, off, len,
                                                   false);
            }
        }
        bdrv_dirty_bitmap_deserialize_finish(dst);
        sha_src = bdrv_dirty_bitmap_sha256(src, &error_abort);
        assert_sha(dst, sha_src);
        g_assert_cmpint(bdrv_get_dirty_count(dst), ==,
                        bdrv_get_dirty_count(src));

        g_assert_cmpuint(bdrv_dirty_bitmap_serialization_coverage(8, src),
                         ==, 64 * 512);
        bdrv_release_dirty_bitmap(src);
        bdrv_release_dirty_bitmap(dst);
        bdrv_unref(src_bs);
        bdrv_unref(dst_bs);
    }
}

static void test_deserialize_ones(Fixture *f, gconstpointer data)
{
    BdrvDirtyBitmap *bm;

    bm = bdrv_create_dirty_bitmap(f->bs, 512, "o", &error_abort);
    bdrv_dirty_bitmap_deserialize_ones(bm, 0, 1 * MiB, true);
    g_assert_cmpint(bdrv_get_dirty_count(bm), ==, 1 * MiB);
    bdrv_dirty_bitmap_deserialize_zeroes(bm, 0, 64 * 512, true);
    g_assert_cmpint(bdrv_get_dirty_count(bm), ==, 1 * MiB - 64 * 512);
}

static void test_truncate(Fixture *f, gconstpointer data)
{
    BdrvDirtyBitmap *bm;

    bm = bdrv_create_dirty_bitmap(f->bs, 65536, "t", &error_abort);
    bdrv_set_dirty_bitmap(bm, 1 * MiB - 1, 1);
    bdrv_dirty_bitmap_truncate(f->bs, 2 * MiB);
    g_assert_cmpint(bdrv_dirty_bitmap_size(bm), ==, 2 * MiB);
    g_assert(!bdrv_dirty_bitmap_get(bm, 1 * MiB));
    bdrv_dirty_bitmap_truncate(f->bs, 1 * MiB - 512);
    g_assert(bdrv_dirty_bitmap_get(bm, 1 * MiB - 65536));
    g_assert_cmpint(bdrv_get_dirty_count(bm), ==, 65536);
}

/* A 256 GiB node at 512 B granularity: one lazily zeroed allocation. */
static void test_big_bitmap(void)
{
    BlockDriverState *bs = open_null(256 * GiB, &error_abort);
    BdrvDirtyBitmap *bm;

    bm = bdrv_create_dirty_bitmap(bs, 512, "big", &error_abort);
    bdrv_set_dirty_bitmap(bm, 255 * GiB, 1);
    g_assert_cmpint(bdrv_dirty_bitmap_next_dirty(bm, 0, INT64_MAX), ==,
                    255 * GiB);
    g_assert_cmpint(bdrv_get_dirty_count(bm), ==, 512);
    bdrv_release_dirty_bitmap(bm);
    bdrv_unref(bs);
}

static void test_too_big_bitmap(void)
{
    BlockDriverState *bs = open_null(INT64_MAX / 2, &error_abort);
    Error *err = NULL;

    g_assert_null(bdrv_create_dirty_bitmap(bs, 512, "huge", &err));
    g_assert_nonnull(err);
    error_free(err);
    bdrv_unref(bs);
}

/* bdrv_query_dirty_bitmaps: newest first, successors unnamed, flags. */
static void test_query(Fixture *f, gconstpointer data)
{
    BdrvDirtyBitmap *p, *q;
    BlockDirtyInfoList *list, *l;

    g_assert_null(bdrv_query_dirty_bitmaps(f->bs));
    p = bdrv_create_dirty_bitmap(f->bs, 65536, "p", &error_abort);
    q = bdrv_create_dirty_bitmap(f->bs, 512, "q", &error_abort);
    bdrv_dirty_bitmap_set_persistence(q, true);
    bdrv_dirty_bitmap_skip_store(q, true);
    bdrv_dirty_bitmap_set_inconsistent(q);
    bdrv_disable_dirty_bitmap(p);
    bdrv_dirty_bitmap_create_successor(p, &error_abort);
    bdrv_dirty_bitmap_enable_successor(p);
    blk_pwrite_zeroes(f->blk, 0, 10, 0);

    list = bdrv_query_dirty_bitmaps(f->bs);
    l = list;
    /* the successor: anonymous, recording, holds the write */
    g_assert(!l->value->has_name);
    g_assert(l->value->recording);
    g_assert_cmpint(l->value->count, ==, 65536);
    l = l->next;
    g_assert_cmpstr(l->value->name, ==, "q");
    g_assert(l->value->persistent);     /* raw flag, despite skip_store */
    g_assert(l->value->has_inconsistent && l->value->inconsistent);
    g_assert(!l->value->recording);
    g_assert_cmpuint(l->value->granularity, ==, 512);
    l = l->next;
    g_assert_cmpstr(l->value->name, ==, "p");
    g_assert(l->value->recording);      /* via its enabled successor */
    g_assert(l->value->busy);
    g_assert(!l->value->has_inconsistent);
    g_assert_cmpint(l->value->count, ==, 0);
    g_assert_null(l->next);
    qapi_free_BlockDirtyInfoList(list);
    bdrv_reclaim_dirty_bitmap(p, &error_abort);
}

/* Prepend a bare-name merge source (on the target's node) to @list. */
static BlockDirtyBitmapOrStrList *local_source(BlockDirtyBitmapOrStrList *list,
                                               const char *name)
{
    BlockDirtyBitmapOrStr *src = g_new0(BlockDirtyBitmapOrStr, 1);

    src->type = QTYPE_QSTRING;
    src->u.local = g_strdup(name);
    QAPI_LIST_PREPEND(list, src);
    return list;
}

static void assert_merge_error(const char *node, const char *target,
                               BlockDirtyBitmapOrStrList *list,
                               const char *msg)
{
    Error *err = NULL;

    qmp_block_dirty_bitmap_merge(node, target, list, &err);
    g_assert_nonnull(err);
    g_assert_cmpstr(error_get_pretty(err), ==, msg);
    error_free(err);
}

/*
 * block-dirty-bitmap-merge checks as QEMU 7.2 does: source by source, the
 * target before each source, and a failure rolls earlier sources back.
 */
static void test_qmp_merge_order(Fixture *f, gconstpointer data)
{
    const char *node = bdrv_get_node_name(f->bs);
    BdrvDirtyBitmap *t, *a, *b;
    BlockDirtyBitmapOrStrList *ab = local_source(local_source(NULL, "b"),
                                                 "a");
    BlockDirtyBitmapOrStrList *a_only = local_source(NULL, "a");

    t = bdrv_create_dirty_bitmap(f->bs, 65536, "t", &error_abort);
    a = bdrv_create_dirty_bitmap(f->bs, 65536, "a", &error_abort);
    b = bdrv_create_dirty_bitmap(f->bs, 65536, "b", &error_abort);
    bdrv_set_dirty_bitmap(a, 0, 1);
    bdrv_set_dirty_bitmap(b, 65536, 1);

    /* A busy target and a busy source: the target is reported. */
    bdrv_dirty_bitmap_set_busy(t, true);
    bdrv_dirty_bitmap_set_busy(a, true);
    assert_merge_error(node, "t", a_only, "Bitmap 't' is currently in use "
                       "by another operation and cannot be used");
    /* No sources: nothing is checked, not even the target. */
    qmp_block_dirty_bitmap_merge(node, "t", NULL, &error_abort);
    bdrv_dirty_bitmap_set_busy(t, false);
    assert_merge_error(node, "t", a_only, "Bitmap 'a' is currently in use "
                       "by another operation and cannot be used");
    bdrv_dirty_bitmap_set_busy(a, false);

    /* The second source fails: the first one's bits are taken back. */
    bdrv_dirty_bitmap_set_busy(b, true);
    assert_merge_error(node, "t", ab, "Bitmap 'b' is currently in use "
                       "by another operation and cannot be used");
    g_assert_cmpint(bdrv_get_dirty_count(t), ==, 0);
    bdrv_dirty_bitmap_set_busy(b, false);

    qmp_block_dirty_bitmap_merge(node, "t", ab, &error_abort);
    g_assert_cmpint(bdrv_get_dirty_count(t), ==, 2 * 65536);
    qapi_free_BlockDirtyBitmapOrStrList(ab);
    qapi_free_BlockDirtyBitmapOrStrList(a_only);
}

#define ADD(path, setup, fn) \
    g_test_add(path, Fixture, NULL, setup, fn, teardown)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* The block layer's global state is the BQL holder's, as in QEMU. */
    qemu_mutex_lock_iothread();
    bdrv_init();

    ADD("/dirty-bitmap/create/errors", setup_1g, test_create_errors);
    ADD("/dirty-bitmap/create/defaults", setup_1g, test_defaults_and_list);
    ADD("/dirty-bitmap/check", setup_1g, test_check);
    ADD("/dirty-bitmap/query", setup_1g, test_query);
    ADD("/dirty-bitmap/persistence", setup_1g, test_persistence_skip_store);
    ADD("/dirty-bitmap/sha256/reference", setup_1g, test_sha256_reference);
    ADD("/dirty-bitmap/sha256/small", setup_1m, test_sha256_small);
    g_test_add_func("/dirty-bitmap/sha256/odd-size", test_odd_size_sha);
    ADD("/dirty-bitmap/successor/reclaim", setup_1g, test_successor);
    ADD("/dirty-bitmap/successor/disabled-parent", setup_1g,
        test_successor_disabled_parent);
    ADD("/dirty-bitmap/successor/abdicate", setup_1g, test_abdicate);
    ADD("/dirty-bitmap/merge", setup_1g, test_merge);
    ADD("/dirty-bitmap/qmp/merge-order", setup_1g, test_qmp_merge_order);
    ADD("/dirty-bitmap/clear", setup_1g, test_clear);
    ADD("/dirty-bitmap/locked", setup_1g, test_locked);
    ADD("/dirty-bitmap/iter", setup_1g, test_iter_and_area);
    g_test_add_func("/dirty-bitmap/serialize/roundtrip",
                    test_serialize_roundtrip);
    ADD("/dirty-bitmap/serialize/ones", setup_1m, test_deserialize_ones);
    ADD("/dirty-bitmap/truncate", setup_1m, test_truncate);
    g_test_add_func("/dirty-bitmap/create/256g", test_big_bitmap);
    g_test_add_func("/dirty-bitmap/create/too-big", test_too_big_bitmap);

    return g_test_run();
}
