/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qcow2 persistent dirty bitmaps, image locks and activation. */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qapi/error.h"
#include "qcow2-helpers.h"

static const BdrvChildClass child_test = {
    .parent_is_bds = false,
};

static void write_bytes(BlockDriverState *bs, int64_t off, int64_t len)
{
    BdrvChild *c = bdrv_root_attach_child(bs, "root", &child_test, 0, NULL,
                                          &error_abort);
    g_autofree uint8_t *buf = g_malloc(len);

    memset(buf, 0x5a, len);
    g_assert_cmpint(bdrv_pwrite(c, off, len, buf, 0), ==, 0);
    bdrv_root_unref_child(c);
}

static BdrvDirtyBitmap *find(BlockDriverState *bs, const char *name)
{
    BdrvDirtyBitmap *bm = bdrv_find_dirty_bitmap(bs, name);

    g_assert_nonnull(bm);
    return bm;
}

static int count_bitmaps(BlockDriverState *bs)
{
    BdrvDirtyBitmap *bm;
    int n = 0;

    FOR_EACH_DIRTY_BITMAP(bs, bm) {
        n++;
    }
    return n;
}

/* An image with bitmaps b1 (64k), b2 (512 B) and b3 (disabled). */
static char *make_bitmap_image(const char *name)
{
    char *path = qcow2_test_path(name);

    g_free(qemu_img("create -f qcow2 '%s' 16M", path));
    g_free(qemu_img("bitmap --add '%s' b1", path));
    g_free(qemu_img("bitmap --add -g 512 '%s' b2", path));
    g_free(qemu_img("bitmap --add '%s' b3", path));
    g_free(qemu_img("bitmap --disable '%s' b3", path));
    g_free(qemu_io("-f qcow2 -c 'write 0 64k' -c 'write 1M 1000' '%s'",
                   path));
    return path;
}

/* Bitmaps qemu-img made load with their bits, and store back. */
static void test_load_store(void)
{
    g_autofree char *path = make_bitmap_image("load.qcow2");
    BdrvDirtyBitmap *b1, *b2, *b3;
    BlockDriverState *bs;
    json_t *info;

    bs = qcow2_open_image(path, BDRV_O_RDWR, &error_abort);
    g_assert_cmpint(count_bitmaps(bs), ==, 3);
    b1 = find(bs, "b1");
    b2 = find(bs, "b2");
    b3 = find(bs, "b3");
    g_assert_cmpuint(bdrv_dirty_bitmap_granularity(b1), ==, 65536);
    g_assert_cmpuint(bdrv_dirty_bitmap_granularity(b2), ==, 512);
    g_assert(bdrv_dirty_bitmap_enabled(b1) && bdrv_dirty_bitmap_enabled(b2));
    g_assert(!bdrv_dirty_bitmap_enabled(b3));
    g_assert(bdrv_dirty_bitmap_get_persistence(b1));
    g_assert(!bdrv_dirty_bitmap_readonly(b1));
    g_assert(bdrv_dirty_bitmap_get(b1, 0));
    g_assert(bdrv_dirty_bitmap_get(b1, 1 * MiB));
    g_assert(!bdrv_dirty_bitmap_get(b1, 2 * MiB));
    g_assert_cmpint(bdrv_get_dirty_count(b1), ==, 2 * 65536);
    g_assert_cmpint(bdrv_get_dirty_count(b2), ==, 65536 + 1024);
    g_assert_cmpint(bdrv_get_dirty_count(b3), ==, 0);

    /* Loaded by a writer: IN_USE in the image until stored. */
    info = qimg_info(path, true);
    g_assert(info_bitmap_has_flag(info, "b1", "in-use"));
    g_assert(info_bitmap_has_flag(info, "b3", "in-use"));
    json_decref(info);

    write_bytes(bs, 3 * MiB, 10);
    bdrv_unref(bs);

    qimg_assert_clean(path);
    info = qimg_info(path, false);
    g_assert(!info_bitmap_has_flag(info, "b1", "in-use"));
    g_assert(info_bitmap_has_flag(info, "b1", "auto"));
    g_assert(info_bitmap_has_flag(info, "b2", "auto"));
    g_assert(!info_bitmap_has_flag(info, "b3", "auto"));
    g_assert(!info_bitmap_has_flag(info, "b3", "in-use"));
    g_assert_cmpint(json_integer_value(json_object_get(
        info_bitmap(info, "b2"), "granularity")), ==, 512);
    json_decref(info);

    /* Read-only: the bits are there, the bitmaps cannot change. */
    bs = qcow2_open_image(path, 0, &error_abort);
    b1 = find(bs, "b1");
    g_assert(bdrv_dirty_bitmap_readonly(b1));
    g_assert_cmpint(bdrv_get_dirty_count(b1), ==, 3 * 65536);
    g_assert_cmpint(bdrv_get_dirty_count(find(bs, "b2")), ==,
                    65536 + 1024 + 512);
    g_assert_cmpint(bdrv_get_dirty_count(find(bs, "b3")), ==, 0);
    bdrv_unref(bs);
}

/* An entry left IN_USE by a process that did not store it. */
static void test_in_use(void)
{
    g_autofree char *path = make_bitmap_image("inuse-src.qcow2");
    g_autofree char *copy = qcow2_test_path("inuse.qcow2");
    g_autoptr(GBytes) snap = NULL;
    BlockDriverState *bs;
    BdrvDirtyBitmap *b1;
    json_t *info;

    bs = qcow2_open_image(path, BDRV_O_RDWR, &error_abort);
    snap = file_contents(path);     /* as a crash would leave it */
    bdrv_unref(bs);
    g_assert(g_file_set_contents(copy, g_bytes_get_data(snap, NULL),
                                 g_bytes_get_size(snap), NULL));

    bs = qcow2_open_image(copy, BDRV_O_RDWR, &error_abort);
    b1 = find(bs, "b1");
    g_assert(bdrv_dirty_bitmap_inconsistent(b1));
    g_assert(!bdrv_dirty_bitmap_enabled(b1));
    g_assert_cmpint(bdrv_get_dirty_count(b1), ==, 0);
    /* Only removal is left to do with it. */
    g_assert_cmpint(bdrv_remove_persistent_dirty_bitmap(bs, "b1",
                                                        &error_abort), ==, 0);
    bdrv_release_dirty_bitmap(b1);
    bdrv_unref(bs);

    qimg_assert_clean(copy);
    info = qimg_info(copy, false);
    g_assert_null(info_bitmap(info, "b1"));
    g_assert(info_bitmap_has_flag(info, "b2", "in-use"));
    json_decref(info);
}

static char *numbered_name(int i)
{
    return g_strdup_printf("bitmap-%02d-%s", i, i % 3 ? "" : "long-name");
}

/* Remove bitmaps @first, @first + 2, ... of test_add_remove(). */
static void remove_every_other(BlockDriverState *bs, int first)
{
    int i;

    for (i = first; i < 40; i += 2) {
        g_autofree char *name = numbered_name(i);

        g_assert_cmpint(bdrv_remove_persistent_dirty_bitmap(bs, name,
                                                            &error_abort),
                        ==, 0);
        bdrv_release_dirty_bitmap(find(bs, name));
    }
}

/* Bitmaps made persistent here, many of them; then removed again. */
static void test_add_remove(void)
{
    g_autofree char *path = qcow2_test_path("add.qcow2");
    BlockDriverState *bs;
    BdrvDirtyBitmap *bm;
    json_t *info;
    int i;

    g_free(qemu_img("create -f qcow2 -o cluster_size=512 '%s' 4M", path));
    bs = qcow2_open_image(path, BDRV_O_RDWR, &error_abort);
    for (i = 0; i < 40; i++) {
        g_autofree char *name = numbered_name(i);
        uint32_t gran = 512u << (i % 9);

        g_assert(bdrv_can_store_new_dirty_bitmap(bs, name, gran,
                                                 &error_abort));
        bm = bdrv_create_dirty_bitmap(bs, gran, name, &error_abort);
        bdrv_dirty_bitmap_set_persistence(bm, true);
        if (i % 4 == 1) {
            bdrv_disable_dirty_bitmap(bm);
        }
        write_bytes(bs, i * 100000, 1000 + i);
    }
    bdrv_create_dirty_bitmap(bs, 65536, "transient", &error_abort);
    bdrv_unref(bs);

    qimg_assert_clean(path);
    info = qimg_info(path, false);
    g_assert_cmpint(json_array_size(qimg_info_bitmaps(info)), ==, 40);
    g_assert_null(info_bitmap(info, "transient"));
    g_assert(!info_bitmap_has_flag(info, "bitmap-01-", "auto"));
    g_assert(info_bitmap_has_flag(info, "bitmap-02-", "auto"));
    g_assert_cmpint(json_integer_value(json_object_get(
        info_bitmap(info, "bitmap-08-"), "granularity")), ==, 512 << 8);
    json_decref(info);

    bs = qcow2_open_image(path, BDRV_O_RDWR, &error_abort);
    g_assert_cmpint(count_bitmaps(bs), ==, 40);
    /* bitmap-38 saw its own write and one more, bitmap-00 saw all */
    bm = find(bs, "bitmap-38-");
    g_assert(bdrv_dirty_bitmap_get(bm, 38 * 100000));
    g_assert(bdrv_dirty_bitmap_get(bm, 39 * 100000));
    g_assert(!bdrv_dirty_bitmap_get(bm, 0));
    g_assert(bdrv_dirty_bitmap_get(find(bs, "bitmap-00-long-name"),
                                   37 * 100000));
    remove_every_other(bs, 0);
    info = qimg_info(path, true);
    g_assert_cmpint(json_array_size(qimg_info_bitmaps(info)), ==, 20);
    json_decref(info);
    bdrv_unref(bs);
    qimg_assert_clean(path);

    bs = qcow2_open_image(path, BDRV_O_RDWR, &error_abort);
    remove_every_other(bs, 1);
    bdrv_unref(bs);
    qimg_assert_clean(path);
    info = qimg_info(path, false);
    g_assert_null(qimg_info_bitmaps(info));
    json_decref(info);
}

static void assert_cannot_store(BlockDriverState *bs, const char *name,
                                uint32_t gran, const char *msg)
{
    Error *err = NULL;

    g_assert(!bdrv_can_store_new_dirty_bitmap(bs, name, gran, &err));
    g_assert_cmpstr(error_get_pretty(err), ==, msg);
    error_free(err);
}

static void test_can_store(void)
{
    g_autofree char *v2 = qcow2_test_path("v2.qcow2");
    g_autofree char *v3 = make_bitmap_image("store.qcow2");
    g_autofree char *long_name = g_strnfill(1024, 'n');
    g_autofree char *long_msg = g_strdup_printf(
        "Can't make bitmap '%s' persistent in '%s': Name length exceeds "
        "maximum (1023 characters)", long_name, "n3");
    BlockDriverState *bs;
    json_t *opts;

    g_free(qemu_img("create -f qcow2 -o compat=0.10 '%s' 1M", v2));
    opts = json_pack("{s:s, s:s, s:{s:s, s:s}}", "driver", "qcow2",
                     "node-name", "n2", "file", "driver", "file",
                     "filename", v2);
    bs = bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &error_abort);
    g_assert(!bdrv_supports_persistent_dirty_bitmap(bs));
    assert_cannot_store(bs, "x", 65536, "Can't make bitmap 'x' persistent "
                        "in 'n2': Cannot store dirty bitmaps in qcow2 v2 "
                        "files");
    bdrv_unref(bs);

    opts = json_pack("{s:s, s:s, s:{s:s, s:s}}", "driver", "qcow2",
                     "node-name", "n3", "file", "driver", "file",
                     "filename", v3);
    bs = bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &error_abort);
    g_assert(bdrv_supports_persistent_dirty_bitmap(bs));
    assert_cannot_store(bs, "b2", 65536, "Bitmap already exists: b2");
    assert_cannot_store(bs, long_name, 65536, long_msg);
    assert_cannot_store(bs, "small", 256, "Can't make bitmap 'small' "
                        "persistent in 'n3': Granularity is under minimum "
                        "(512 bytes)");
    g_assert(bdrv_can_store_new_dirty_bitmap(bs, "big", 1u << 31,
                                             &error_abort));
    bdrv_unref(bs);
}

static void assert_open_fails(const char *path, int flags, const char *msg);

/* A 0-byte disk: QEMU 7.2 cannot store its bitmaps either. */
static void test_empty_disk(void)
{
    g_autofree char *path = qcow2_test_path("empty.qcow2");
    BlockDriverState *bs;
    BdrvDirtyBitmap *bm;
    json_t *info;

    g_free(qemu_img("create -f qcow2 '%s' 0", path));
    bs = qcow2_open_image(path, BDRV_O_RDWR, &error_abort);
    g_assert(bdrv_can_store_new_dirty_bitmap(bs, "zz", 65536,
                                             &error_abort));
    bm = bdrv_create_dirty_bitmap(bs, 65536, "zz", &error_abort);
    bdrv_dirty_bitmap_set_persistence(bm, true);
    g_assert_cmpint(bdrv_inactivate_all(), <, 0);
    /* still active, and still holding the image */
    assert_open_fails(path, BDRV_O_RDWR, "Failed to get \"write\" lock");
    bdrv_unref(bs);
    qimg_assert_clean(path);
    info = qimg_info(path, false);
    g_assert_null(qimg_info_bitmaps(info));
    json_decref(info);
}

static void assert_open_fails(const char *path, int flags, const char *msg)
{
    Error *err = NULL;

    g_assert_null(qcow2_open_image(path, flags, &err));
    g_assert_nonnull(err);
    g_assert_cmpstr(error_get_pretty(err), ==, msg);
    error_free(err);
}

/* Two writers fail as in QEMU; inactive and read-only opens write nothing. */
static void test_locks_and_activation(void)
{
    g_autofree char *path = make_bitmap_image("locks.qcow2");
    g_autoptr(GBytes) before = NULL, after = NULL;
    BlockDriverState *a, *b;
    json_t *info;

    a = qcow2_open_image(path, BDRV_O_RDWR, &error_abort);
    assert_open_fails(path, BDRV_O_RDWR, "Failed to get \"write\" lock");
    assert_open_fails(path, 0, "Failed to get shared \"write\" lock");
    b = bdrv_open(NULL, NULL, json_pack("{s:s, s:b, s:b, s:{s:s, s:s}}",
                                        "driver", "qcow2", "read-only", 1,
                                        "force-share", 1, "file", "driver",
                                        "file", "filename", path),
                  0, &error_abort);
    bdrv_unref(b);
    bdrv_unref(a);

    /* A reader (without force-share) keeps writers out, not readers. */
    a = qcow2_open_image(path, 0, &error_abort);
    b = qcow2_open_image(path, 0, &error_abort);
    assert_open_fails(path, BDRV_O_RDWR, "Failed to get \"write\" lock");
    bdrv_unref(b);
    bdrv_unref(a);

    before = file_contents(path);
    a = qcow2_open_image(path, 0, &error_abort);
    g_assert(bdrv_dirty_bitmap_readonly(find(a, "b1")));
    bdrv_unref(a);

    /* Inactive (an incoming migration): no lock, no bitmaps, no writes. */
    a = qcow2_open_image(path, BDRV_O_RDWR | BDRV_O_INACTIVE, &error_abort);
    g_assert_cmpint(count_bitmaps(a), ==, 0);
    after = file_contents(path);
    g_assert(g_bytes_equal(before, after));
    b = qcow2_open_image(path, BDRV_O_RDWR, &error_abort);
    bdrv_unref(b);

    /* Activation loads the bitmaps and takes the image. */
    g_assert_cmpint(bdrv_activate(a, &error_abort), ==, 0);
    g_assert_cmpint(count_bitmaps(a), ==, 3);
    assert_open_fails(path, BDRV_O_RDWR, "Failed to get \"write\" lock");
    info = qimg_info(path, true);
    g_assert(info_bitmap_has_flag(info, "b1", "in-use"));
    json_decref(info);
    write_bytes(a, 8 * MiB, 512);

    /* Inactivation stores and releases them, and lets go of the image. */
    g_assert_cmpint(bdrv_inactivate_all(), ==, 0);
    g_assert_cmpint(count_bitmaps(a), ==, 0);
    info = qimg_info(path, false);
    g_assert(!info_bitmap_has_flag(info, "b1", "in-use"));
    json_decref(info);
    qimg_assert_clean(path);
    b = qcow2_open_image(path, BDRV_O_RDWR, &error_abort);
    g_assert(bdrv_dirty_bitmap_get(find(b, "b1"), 8 * MiB));
    bdrv_unref(b);

    /* Activated again (a failed migration): the image is read again. */
    g_assert_cmpint(bdrv_activate(a, &error_abort), ==, 0);
    g_assert(bdrv_dirty_bitmap_get(find(a, "b1"), 8 * MiB));
    bdrv_unref(a);
    qimg_assert_clean(path);
}

/* Offset of the end-of-extensions marker in header cluster @c0. */
static size_t ext_end(const uint8_t *c0)
{
    size_t pos = ldl_be_p(c0 + 100);

    while (ldl_be_p(c0 + pos) != 0) {
        pos += 8 + ROUND_UP(ldl_be_p(c0 + pos + 4), 8);
    }
    return pos;
}

/* The data of extension @type in @c0, or NULL. */
static const uint8_t *find_ext(const uint8_t *c0, uint32_t type,
                               uint32_t *len)
{
    size_t pos = ldl_be_p(c0 + 100);

    while (ldl_be_p(c0 + pos) != 0) {
        if ((uint32_t)ldl_be_p(c0 + pos) == type) {
            *len = ldl_be_p(c0 + pos + 4);
            return c0 + pos + 8;
        }
        pos += 8 + ROUND_UP(ldl_be_p(c0 + pos + 4), 8);
    }
    return NULL;
}

/*
 * Header fields and extensions minivmm does not know survive a header
 * rewrite (here: storing a new bitmap); unknown autoclear bits do not.
 */
static void test_unknown_header_parts(void)
{
    g_autofree char *path = qcow2_test_path("unknown.qcow2");
    g_autofree uint8_t *c0 = g_malloc0(65536);
    static const uint8_t extra[8] = "extra!!";
    const uint8_t *data;
    BlockDriverState *bs;
    BdrvDirtyBitmap *bm;
    uint32_t len = 0, feat_len = 0;
    json_t *info;
    size_t end;
    int fd;

    g_free(qemu_img("create -f qcow2 '%s' 16M", path));
    fd = open(path, O_RDWR);
    g_assert_cmpint(pread(fd, c0, 65536, 0), ==, 65536);
    /* an unknown 8-byte header field, then the extensions moved up */
    end = ext_end(c0);
    memmove(c0 + 120, c0 + 112, end + 8 - 112);
    memcpy(c0 + 112, extra, 8);
    stl_be_p(c0 + 100, 120);
    end = ext_end(c0);
    stl_be_p(c0 + end, 0x12345678);
    stl_be_p(c0 + end + 4, 5);
    memcpy(c0 + end + 8, "hello\0\0\0", 8);
    memset(c0 + end + 16, 0, 8);
    stq_be_p(c0 + 80, 1ull << 7);       /* unknown compatible bit */
    stq_be_p(c0 + 88, 1ull << 5);       /* unknown autoclear bit */
    g_assert_cmpint(pwrite(fd, c0, 65536, 0), ==, 65536);
    close(fd);
    qimg_assert_clean(path);

    bs = qcow2_open_image(path, BDRV_O_RDWR, &error_abort);
    bm = bdrv_create_dirty_bitmap(bs, 65536, "new", &error_abort);
    bdrv_dirty_bitmap_set_persistence(bm, true);
    bdrv_unref(bs);

    fd = open(path, O_RDONLY);
    g_assert_cmpint(pread(fd, c0, 65536, 0), ==, 65536);
    close(fd);
    g_assert_cmpint(ldl_be_p(c0 + 100), ==, 120);
    g_assert(memcmp(c0 + 112, extra, 8) == 0);
    g_assert_cmphex(ldq_be_p(c0 + 80), ==, 1ull << 7);
    g_assert_cmphex(ldq_be_p(c0 + 88), ==, 1);  /* bitmaps only */
    data = find_ext(c0, 0x12345678, &len);
    g_assert_nonnull(data);
    g_assert_cmpint(len, ==, 5);
    g_assert(memcmp(data, "hello", 5) == 0);
    g_assert_nonnull(find_ext(c0, 0x6803f857, &feat_len));
    g_assert_nonnull(find_ext(c0, 0x23852875, &len));
    qimg_assert_clean(path);
    info = qimg_info(path, false);
    g_assert(info_bitmap_has_flag(info, "new", "auto"));
    json_decref(info);
}

int main(int argc, char **argv)
{
    qcow2_test_init(&argc, &argv, "test-qcow2-bitmaps");
    g_test_add_func("/qcow2/bitmaps/load-store", test_load_store);
    g_test_add_func("/qcow2/bitmaps/in-use", test_in_use);
    g_test_add_func("/qcow2/bitmaps/add-remove", test_add_remove);
    g_test_add_func("/qcow2/bitmaps/can-store", test_can_store);
    g_test_add_func("/qcow2/bitmaps/empty-disk", test_empty_disk);
    g_test_add_func("/qcow2/header/unknown-parts",
                    test_unknown_header_parts);
    g_test_add_func("/qcow2/locks-and-activation",
                    test_locks_and_activation);
    return qcow2_test_run();
}
