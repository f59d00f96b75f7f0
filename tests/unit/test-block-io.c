/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the block graph: names, drivers, I/O marking, activation. */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "qapi/error.h"
#include "block/block_int.h"
#include "sysemu/block-backend.h"

static char *tmpdir;
static GPtrArray *tmpfiles;     /* paths to unlink at exit */

/* A parent that is neither a node nor a BlockBackend. */
static const BdrvChildClass child_test = {
    .parent_is_bds = false,
};

/* Open @json (a JSON text) as blockdev options; NULL + @errp on error. */
static BlockDriverState *open_json(const char *json, Error **errp)
{
    json_error_t jerr;
    json_t *opts = json_loads(json, 0, &jerr);

    g_assert_nonnull(opts);
    return bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, errp);
}

static void assert_open_error(const char *json, const char *msg)
{
    Error *err = NULL;

    g_assert_null(open_json(json, &err));
    g_assert_nonnull(err);
    g_assert_cmpstr(error_get_pretty(err), ==, msg);
    error_free(err);
}

static BlockBackend *new_blk(BlockDriverState *bs)
{
    BlockBackend *blk = blk_new(NULL, BLK_PERM_ALL, BLK_PERM_ALL);

    g_assert_cmpint(blk_insert_bs(blk, bs, &error_abort), ==, 0);
    return blk;
}

static char *make_image(const char *name, int64_t size)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, size), ==, 0);
    close(fd);
    g_ptr_array_add(tmpfiles, g_strdup(path));
    return path;
}

static void test_node_names(void)
{
    BlockDriverState *bs, *anon;
    BlockBackend *blk;
    g_autofree char *name31 = g_strnfill(31, 'n');
    g_autofree char *json31 = g_strdup_printf(
        "{\"driver\": \"null-co\", \"node-name\": \"%s\"}", name31);
    g_autofree char *json32 = g_strdup_printf(
        "{\"driver\": \"null-co\", \"node-name\": \"%sx\"}", name31);

    bs = open_json("{\"driver\": \"null-co\", \"node-name\": \"node0\"}",
                   &error_abort);
    g_assert_cmpstr(bdrv_get_node_name(bs), ==, "node0");
    g_assert(bdrv_find_node("node0") == bs);
    assert_open_error("{\"driver\": \"null-co\", \"node-name\": \"node0\"}",
                      "Duplicate nodes with node-name='node0'");
    assert_open_error("{\"driver\": \"null-co\", \"node-name\": \"1bad\"}",
                      "Invalid node-name: '1bad'");
    assert_open_error("{\"driver\": \"null-co\", \"node-name\": \"#x\"}",
                      "Invalid node-name: '#x'");
    assert_open_error(json32, "Node name too long");
    bdrv_unref(open_json(json31, &error_abort));

    blk = blk_new(NULL, BLK_PERM_ALL, BLK_PERM_ALL);
    g_assert(monitor_add_blk(blk, "drive0", &error_abort));
    assert_open_error("{\"driver\": \"null-co\", \"node-name\": \"drive0\"}",
                      "node-name=drive0 is conflicting with a device id");

    anon = open_json("{\"driver\": \"null-co\"}", &error_abort);
    g_assert(g_str_has_prefix(bdrv_get_node_name(anon), "#block"));
    g_assert_cmpint(strlen(bdrv_get_node_name(anon)), >=, 9);

    monitor_remove_blk(blk);
    blk_unref(blk);
    bdrv_unref(anon);
    bdrv_unref(bs);
    g_assert_null(bdrv_find_node("node0"));
}

static void test_lookup(void)
{
    BlockDriverState *bs;
    BlockBackend *blk, *empty;
    Error *err = NULL;

    bs = open_json("{\"driver\": \"null-co\", \"node-name\": \"n0\"}",
                   &error_abort);
    blk = new_blk(bs);
    g_assert(monitor_add_blk(blk, "dev0", &error_abort));
    empty = blk_new(NULL, 0, BLK_PERM_ALL);
    g_assert(monitor_add_blk(empty, "dev1", &error_abort));

    g_assert(bdrv_lookup_bs("dev0", "dev0", &error_abort) == bs);
    g_assert(bdrv_lookup_bs("n0", "n0", &error_abort) == bs);
    g_assert(bdrv_lookup_bs(NULL, "n0", &error_abort) == bs);
    g_assert_cmpstr(bdrv_get_device_name(bs), ==, "dev0");
    g_assert_cmpstr(bdrv_get_device_or_node_name(bs), ==, "dev0");
    g_assert(blk_by_name("dev0") == blk);
    g_assert(blk_next(NULL) == blk);
    g_assert(blk_next(blk) == empty);
    g_assert_cmpstr(blk_name(blk), ==, "dev0");

    g_assert_null(bdrv_lookup_bs("nosuch", "nosuch", &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Cannot find device='nosuch' nor node-name='nosuch'");
    error_free(err);
    err = NULL;
    g_assert_null(bdrv_lookup_bs(NULL, "nosuch", &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Cannot find device='' nor node-name='nosuch'");
    error_free(err);
    err = NULL;
    g_assert_null(bdrv_lookup_bs("dev1", "dev1", &err));
    g_assert_cmpstr(error_get_pretty(err), ==, "Device 'dev1' has no medium");
    error_free(err);

    monitor_remove_blk(empty);
    monitor_remove_blk(blk);
    blk_unref(empty);
    blk_unref(blk);
    bdrv_unref(bs);
}

static void test_open_errors(void)
{
    g_autofree char *missing = g_build_filename(tmpdir, "nonexist", "x",
                                                NULL);
    g_autofree char *json = g_strdup_printf(
        "{\"driver\": \"file\", \"node-name\": \"f\", \"filename\": \"%s\"}",
        missing);
    g_autofree char *msg = g_strdup_printf(
        "Could not open '%s': No such file or directory", missing);

    assert_open_error("{\"driver\": \"nosuch\", \"node-name\": \"a\"}",
                      "Unknown driver 'nosuch'");
    assert_open_error("{\"driver\": \"null-co\", \"node-name\": \"a\", "
                      "\"bogus\": 1}",
                      "Block protocol 'null-co' doesn't support the option "
                      "'bogus'");
    assert_open_error("{\"driver\": \"raw\", \"node-name\": \"a\", "
                      "\"file\": \"f0\"}",
                      "Cannot find device='f0' nor node-name='f0'");
    assert_open_error("{\"driver\": \"raw\", \"node-name\": \"a\"}",
                      "A block device must be specified for \"file\"");
    assert_open_error(json, msg);
    assert_open_error("{\"driver\": \"null-co\", \"node-name\": \"a\", "
                      "\"size\": \"x\"}",
                      "Parameter 'size' expects size");
    assert_open_error("{\"driver\": \"null-co\", \"node-name\": \"a\", "
                      "\"discard\": \"x\"}", "Invalid discard option");
    /* A failed open leaves no node behind. */
    g_assert_null(bdrv_find_node("a"));
    g_assert_null(bdrv_next_all_states(NULL));
}

/* A node from a driver alone; a BlockBackend that opens its own root. */
static void test_open_driver_and_blk(void)
{
    BlockDriver *drv = bdrv_find_format("null-co");
    BlockDriverState *bs, *ro;
    BlockBackend *blk;
    Error *err = NULL;

    bs = bdrv_new_open_driver(drv, "drv", BDRV_O_RDWR, &error_abort);
    g_assert_cmpstr(bdrv_get_node_name(bs), ==, "drv");
    g_assert_false(bdrv_is_read_only(bs));
    ro = bdrv_new_open_driver(drv, NULL, 0, &error_abort);
    g_assert_true(bdrv_is_read_only(ro));
    g_assert_true(g_str_has_prefix(bdrv_get_node_name(ro), "#block"));
    g_assert_null(bdrv_new_open_driver(drv, "drv", BDRV_O_RDWR, &err));
    error_free_or_abort(&err);
    bdrv_unref(ro);
    bdrv_unref(bs);
    g_assert_null(bdrv_find_node("drv"));

    blk = blk_new_open(NULL, NULL,
                       json_pack("{s:s, s:s}", "driver", "null-co",
                                 "node-name", "bo"),
                       BDRV_O_RDWR, &error_abort);
    g_assert(blk_bs(blk) == bdrv_find_node("bo"));
    g_assert_cmpint(blk_pwrite_zeroes(blk, 0, 512, 0), ==, 0);
    blk_unref(blk);                 /* it held the only reference */
    g_assert_null(bdrv_find_node("bo"));
    g_assert_null(blk_new_open(NULL, NULL,
                               json_pack("{s:s}", "driver", "nosuch"),
                               BDRV_O_RDWR, &err));
    g_assert_cmpstr(error_get_pretty(err), ==, "Unknown driver 'nosuch'");
    error_free(err);
}

static void test_null_options(void)
{
    BlockDriverState *bs;
    BlockBackend *blk;
    uint8_t buf[512];

    bs = open_json("{\"driver\": \"null-co\", \"node-name\": \"n\"}",
                   &error_abort);
    g_assert_cmpint(bdrv_getlength(bs), ==, 1 * GiB);
    g_assert_cmpstr(bs->filename, ==, "null-co://");
    bdrv_unref(bs);

    bs = open_json("{\"driver\": \"null-co\", \"node-name\": \"n\", "
                   "\"size\": 65536, \"read-zeroes\": true}", &error_abort);
    g_assert_cmpint(bdrv_getlength(bs), ==, 65536);
    /* QEMU's QDict order, checked against qemu-system-x86_64 7.2 */
    g_assert_cmpstr(bs->filename, ==, "json:{\"read-zeroes\": true, "
                    "\"driver\": \"null-co\", \"size\": 65536}");
    blk = new_blk(bs);
    memset(buf, 0xaa, sizeof(buf));
    g_assert_cmpint(blk_pread(blk, 0, sizeof(buf), buf, 0), ==, 0);
    g_assert_cmpint(buf[0], ==, 0);
    g_assert_cmpint(blk_pread(blk, 65536, 1, buf, 0), ==, -EIO);
    g_assert_cmpint(blk_pwrite(blk, 65535, 2, buf, 0), ==, -EIO);
    g_assert_cmpint(blk_pwrite(blk, -1, 1, buf, 0), ==, -EIO);
    g_assert_cmpint(blk_pdiscard(blk, 0, -1), ==, -EIO);
    blk_unref(blk);
    bdrv_unref(bs);

    /* keyval-style strings are accepted too (-blockdev, -drive). */
    bs = open_json("{\"driver\": \"null-co\", \"node-name\": \"n\", "
                   "\"size\": \"1M\", \"read-zeroes\": \"off\", "
                   "\"latency-ns\": \"0\"}", &error_abort);
    g_assert_cmpint(bdrv_getlength(bs), ==, 1 * MiB);
    bdrv_unref(bs);

    /* Sizes round up to whole sectors, as QEMU's total_sectors. */
    bs = open_json("{\"driver\": \"null-co\", \"node-name\": \"n\", "
                   "\"size\": 1000}", &error_abort);
    g_assert_cmpint(bdrv_getlength(bs), ==, 1024);
    bdrv_unref(bs);
}

static void test_io_marks_bitmaps(void)
{
    BlockDriverState *bs;
    BlockBackend *blk;
    BdrvDirtyBitmap *on, *off;
    uint8_t buf[4096] = { 0 };

    bs = open_json("{\"driver\": \"null-co\", \"node-name\": \"n\", "
                   "\"discard\": \"unmap\"}", &error_abort);
    blk = new_blk(bs);
    on = bdrv_create_dirty_bitmap(bs, 65536, "on", &error_abort);
    off = bdrv_create_dirty_bitmap(bs, 512, "off", &error_abort);
    bdrv_disable_dirty_bitmap(off);

    g_assert_cmpint(blk_pwrite(blk, 0, 10, buf, 0), ==, 0);
    g_assert_cmpint(bdrv_get_dirty_count(on), ==, 65536);
    g_assert_cmpint(blk_pwrite_zeroes(blk, 65536, 512, 0), ==, 0);
    g_assert_cmpint(bdrv_get_dirty_count(on), ==, 2 * 65536);
    g_assert_cmpint(blk_pread(blk, 10 * 65536, 4096, buf, 0), ==, 0);
    g_assert_cmpint(bdrv_get_dirty_count(on), ==, 2 * 65536);
    /* null-co has no discard: nothing is dirtied even with unmap. */
    g_assert_cmpint(blk_pdiscard(blk, 5 * MiB, 1 * MiB), ==, 0);
    g_assert_cmpint(bdrv_get_dirty_count(on), ==, 2 * 65536);
    g_assert_cmpint(bdrv_get_dirty_count(off), ==, 0);

    /* A readonly bitmap makes the whole node refuse writes. */
    bdrv_dirty_bitmap_set_readonly(off, true);
    g_assert_cmpint(blk_pwrite(blk, 0, 10, buf, 0), ==, -EPERM);
    g_assert_cmpint(blk_pwrite_zeroes(blk, 0, 10, 0), ==, -EPERM);
    bdrv_dirty_bitmap_set_readonly(off, false);

    bdrv_release_dirty_bitmap(on);
    bdrv_release_dirty_bitmap(off);
    blk_unref(blk);
    bdrv_unref(bs);
}

static void test_read_only(void)
{
    BlockDriverState *bs;
    BlockBackend *blk;
    uint8_t buf[512] = { 0 };

    bs = open_json("{\"driver\": \"null-co\", \"node-name\": \"n\", "
                   "\"read-only\": true}", &error_abort);
    g_assert(bdrv_is_read_only(bs));
    blk = new_blk(bs);
    g_assert_cmpint(blk_pwrite(blk, 0, 512, buf, 0), ==, -EPERM);
    g_assert_cmpint(blk_pread(blk, 0, 512, buf, 0), ==, 0);
    blk_unref(blk);
    bdrv_unref(bs);
}

static void test_inactivate(void)
{
    BlockDriverState *bs;
    BlockBackend *blk;
    BdrvDirtyBitmap *bm;
    uint8_t buf[512] = { 0 };

    bs = open_json("{\"driver\": \"null-co\", \"node-name\": \"n\"}",
                   &error_abort);
    blk = new_blk(bs);
    bm = bdrv_create_dirty_bitmap(bs, 65536, "b", &error_abort);
    bdrv_dirty_bitmap_set_persistence(bm, true);
    bdrv_dirty_bitmap_skip_store(bm, true);

    g_assert_cmpint(bdrv_inactivate_all(), ==, 0);
    g_assert(bs->open_flags & BDRV_O_INACTIVE);
    g_assert(!bdrv_is_writable(bs));
    g_assert_cmpint(blk_pwrite(blk, 0, 512, buf, 0), ==, -EPERM);
    g_assert_cmpint(bdrv_get_dirty_count(bm), ==, 0);
    /* Bitmaps may still be created on inactive nodes (destination). */
    bdrv_release_dirty_bitmap(bdrv_create_dirty_bitmap(bs, 512, "x",
                                                       &error_abort));

    bdrv_activate_all(&error_abort);
    g_assert(!(bs->open_flags & BDRV_O_INACTIVE));
    g_assert(bdrv_dirty_bitmap_get_persistence(bm));
    g_assert_cmpint(blk_pwrite(blk, 0, 512, buf, 0), ==, 0);
    g_assert_cmpint(bdrv_get_dirty_count(bm), ==, 65536);

    /* A node that was never inactivated keeps skip_store. */
    bdrv_dirty_bitmap_skip_store(bm, true);
    bdrv_activate_all(&error_abort);
    g_assert(!bdrv_dirty_bitmap_get_persistence(bm));

    bdrv_release_dirty_bitmap(bm);
    blk_unref(blk);
    bdrv_unref(bs);
}

static void test_file_raw_discard(void)
{
    g_autofree char *path = make_image("disk.raw", 4 * MiB);
    g_autofree char *json = g_strdup_printf(
        "{\"driver\": \"raw\", \"node-name\": \"fmt\", \"discard\": "
        "\"unmap\", \"file\": {\"driver\": \"file\", \"filename\": \"%s\"}}",
        path);
    BlockDriverState *bs, *file;
    BlockBackend *blk;
    BdrvDirtyBitmap *bm, *fbm;
    uint8_t wbuf[8192], rbuf[8192];

    bs = open_json(json, &error_abort);
    g_assert_nonnull(bs->file);
    file = bs->file->bs;
    /* The inline child is opened (and named) before its parent. */
    g_assert(bdrv_next_node(NULL) == file);
    g_assert(bdrv_next_node(file) == bs);
    g_assert(g_str_has_prefix(bdrv_get_node_name(file), "#block"));
    g_assert_cmpstr(bs->filename, ==, path);
    g_assert_cmpstr(file->filename, ==, path);
    g_assert_cmpint(bdrv_getlength(bs), ==, 4 * MiB);
    blk = new_blk(bs);
    bm = bdrv_create_dirty_bitmap(bs, 4096, "b", &error_abort);
    fbm = bdrv_create_dirty_bitmap(file, 4096, "fb", &error_abort);

    memset(wbuf, 0xcd, sizeof(wbuf));
    g_assert_cmpint(blk_pwrite(blk, 4096, sizeof(wbuf), wbuf, 0), ==, 0);
    g_assert_cmpint(blk_pread(blk, 4096, sizeof(rbuf), rbuf, 0), ==, 0);
    g_assert(!memcmp(wbuf, rbuf, sizeof(rbuf)));
    g_assert_cmpint(bdrv_get_dirty_count(bm), ==, 8192);
    g_assert_cmpint(bdrv_get_dirty_count(fbm), ==, 8192);

    /* discard=unmap on a driver that discards: dirty + hole. */
    g_assert_cmpint(blk_pdiscard(blk, 1 * MiB, 1 * MiB), ==, 0);
    g_assert_cmpint(bdrv_get_dirty_count(bm), ==, 8192 + 1 * MiB);
    g_assert_cmpint(blk_pwrite_zeroes(blk, 4096, 4096, BDRV_REQ_MAY_UNMAP),
                    ==, 0);
    g_assert_cmpint(blk_pread(blk, 4096, 4096, rbuf, 0), ==, 0);
    g_assert_cmpint(rbuf[0], ==, 0);
    g_assert_cmpint(rbuf[4095], ==, 0);

    bdrv_release_dirty_bitmap(bm);
    bdrv_release_dirty_bitmap(fbm);
    blk_unref(blk);
    bdrv_unref(bs);
    g_assert_null(bdrv_next_all_states(NULL));
}

static void test_json_filename(void)
{
    g_autofree char *path = make_image("j.raw", 1 * MiB);
    g_autofree char *json = g_strdup_printf(
        "{\"driver\": \"raw\", \"node-name\": \"r\", \"offset\": 4096, "
        "\"size\": 4096, \"file\": {\"driver\": \"file\", "
        "\"filename\": \"%s\"}}", path);
    g_autofree char *want = g_strdup_printf(
        "json:{\"offset\": 4096, \"driver\": \"raw\", \"size\": 4096, "
        "\"file\": {\"driver\": \"file\", \"filename\": \"%s\"}}", path);
    BlockDriverState *bs = open_json(json, &error_abort);
    BlockDriverState *cor;

    g_assert_cmpstr(bs->filename, ==, want);
    g_assert_cmpint(bdrv_getlength(bs), ==, 4096);
    /* A filter over a plain-named node takes that name. */
    cor = open_json("{\"driver\": \"copy-on-read\", \"node-name\": "
                    "\"c\", \"file\": {\"driver\": \"null-co\"}}",
                    &error_abort);
    g_assert_cmpstr(cor->filename, ==, "null-co://");
    bdrv_unref(cor);
    bdrv_unref(bs);
}

static void test_file_no_unmap(void)
{
    g_autofree char *path = make_image("disk2.raw", 1 * MiB);
    g_autofree char *json = g_strdup_printf(
        "{\"driver\": \"file\", \"node-name\": \"f\", \"filename\": \"%s\"}",
        path);
    BlockDriverState *bs = open_json(json, &error_abort);
    BlockBackend *blk = new_blk(bs);
    BdrvDirtyBitmap *bm = bdrv_create_dirty_bitmap(bs, 512, "b",
                                                   &error_abort);

    g_assert_cmpint(blk_pdiscard(blk, 0, 65536), ==, 0);
    g_assert_cmpint(bdrv_get_dirty_count(bm), ==, 0);
    bdrv_release_dirty_bitmap(bm);
    blk_unref(blk);
    bdrv_unref(bs);
}

static void test_file_locking(void)
{
    g_autofree char *path = make_image("locked.raw", 1 * MiB);
    g_autofree char *rw1 = g_strdup_printf(
        "{\"driver\": \"file\", \"node-name\": \"a\", \"filename\": \"%s\"}",
        path);
    g_autofree char *rw2 = g_strdup_printf(
        "{\"driver\": \"file\", \"node-name\": \"b\", \"filename\": \"%s\"}",
        path);
    g_autofree char *nolock = g_strdup_printf(
        "{\"driver\": \"file\", \"node-name\": \"d\", \"filename\": \"%s\", "
        "\"locking\": \"off\"}", path);
    BlockDriverState *a, *b, *d;
    Error *err = NULL;

    /* Opening takes no write lock; the first writer does (as QEMU). */
    a = open_json(rw1, &error_abort);
    b = open_json(rw2, &error_abort);
    g_assert_cmpint(bdrv_add_write_user(a, &error_abort), ==, 0);
    g_assert_cmpint(bdrv_add_write_user(a, &error_abort), ==, 0);
    g_assert_cmpint(bdrv_add_write_user(b, &err), <, 0);
    g_assert_cmpstr(error_get_pretty(err), ==, "Failed to get \"write\" lock");
    error_free(err);
    err = NULL;
    g_assert_cmpint(b->write_users, ==, 0);
    d = open_json(nolock, &error_abort);
    g_assert_cmpint(bdrv_add_write_user(d, &error_abort), ==, 0);
    bdrv_remove_write_user(d);
    bdrv_unref(d);

    /* Inactivation gives the write lock up; activation takes it back. */
    g_assert_cmpint(bdrv_inactivate_all(), ==, 0);
    g_assert_cmpint(bdrv_add_write_user(b, &error_abort), ==, 0);
    bdrv_remove_write_user(b);
    bdrv_activate_all(&error_abort);
    g_assert_cmpint(bdrv_add_write_user(b, &err), <, 0);
    error_free(err);

    /* The last writer leaving frees the image. */
    bdrv_remove_write_user(a);
    bdrv_remove_write_user(a);
    g_assert_cmpint(bdrv_add_write_user(b, &error_abort), ==, 0);
    bdrv_remove_write_user(b);
    bdrv_unref(a);
    bdrv_unref(b);
}

static void test_copy_on_read_filter(void)
{
    BlockDriverState *base, *cor;
    BlockBackend *blk;
    BdrvDirtyBitmap *bm;

    base = open_json("{\"driver\": \"null-co\", \"node-name\": \"base\"}",
                     &error_abort);
    cor = open_json("{\"driver\": \"copy-on-read\", \"node-name\": \"cor\", "
                    "\"file\": \"base\"}", &error_abort);
    g_assert(cor->drv->is_filter);
    g_assert(bdrv_filter_bs(cor) == base);
    g_assert(child_bs(bdrv_filter_or_cow_child(cor)) == base);
    g_assert(bdrv_skip_filters(cor) == base);
    g_assert_null(bdrv_filter_bs(base));
    g_assert_null(bdrv_filter_or_cow_child(base));    /* no backing either */
    g_assert_null(bdrv_filter_or_cow_child(NULL));
    g_assert(bdrv_has_parents(base));
    g_assert_cmpint(bdrv_getlength(cor), ==, 1 * GiB);
    g_assert_cmpuint(bdrv_get_default_bitmap_granularity(cor), ==, 65536);

    blk = new_blk(cor);
    bm = bdrv_create_dirty_bitmap(base, 65536, "b", &error_abort);
    g_assert_cmpint(blk_pwrite_zeroes(blk, 0, 1, 0), ==, 0);
    g_assert_cmpint(bdrv_get_dirty_count(bm), ==, 65536);
    bdrv_release_dirty_bitmap(bm);

    /* The filter is inactivated before its child, activated after. */
    g_assert_cmpint(bdrv_inactivate_all(), ==, 0);
    g_assert(base->open_flags & BDRV_O_INACTIVE);
    g_assert(cor->open_flags & BDRV_O_INACTIVE);
    bdrv_activate_all(&error_abort);
    g_assert(!(base->open_flags & BDRV_O_INACTIVE));

    blk_unref(blk);
    bdrv_unref(cor);
    g_assert(!bdrv_has_parents(base));
    bdrv_unref(base);
}

static void test_write_zeroes_fallback(void)
{
    g_autofree char *path = make_image("grow.raw", 0);
    g_autofree char *json = g_strdup_printf(
        "{\"driver\": \"file\", \"node-name\": \"g\", \"filename\": \"%s\"}",
        path);
    BlockDriverState *bs = open_json(json, &error_abort);
    BdrvChild *child;
    uint8_t buf[512];

    /* Writes past EOF grow a file node (as qcow2 needs of its file). */
    child = bdrv_root_attach_child(bs, "test", &child_test, 0, NULL,
                                   &error_abort);
    memset(buf, 1, sizeof(buf));
    g_assert_cmpint(bdrv_pwrite(child, 4096, 512, buf, 0), ==, 0);
    g_assert_cmpint(bdrv_getlength(bs), ==, 4608);
    g_assert_cmpint(bdrv_pread(child, 0, 512, buf, 0), ==, 0);
    g_assert_cmpint(buf[0], ==, 0);
    g_assert_cmpint(bdrv_pread(child, -1, 512, buf, 0), ==, -EIO);
    bdrv_root_unref_child(child);
    bdrv_unref(bs);
}

/*
 * A write that grows a node while one of its bitmaps is busy leaves every
 * bitmap at its old length: the idle one ignores the part past its end,
 * and a successor made for it later has its length, so reclaiming works.
 */
static void test_grow_with_busy_bitmap(void)
{
    g_autofree char *path = make_image("busy.raw", 64 * KiB);
    g_autofree char *json = g_strdup_printf(
        "{\"driver\": \"file\", \"node-name\": \"gb\", "
        "\"filename\": \"%s\"}", path);
    BlockDriverState *bs = open_json(json, &error_abort);
    BdrvDirtyBitmap *busy, *idle;
    BdrvChild *child;
    g_autofree uint8_t *buf = g_malloc0(8 * KiB);

    child = bdrv_root_attach_child(bs, "test", &child_test, 0, NULL,
                                   &error_abort);
    busy = bdrv_create_dirty_bitmap(bs, 4096, "busy", &error_abort);
    idle = bdrv_create_dirty_bitmap(bs, 4096, "idle", &error_abort);
    bdrv_dirty_bitmap_set_busy(busy, true);

    g_assert_cmpint(bdrv_pwrite(child, 60 * KiB, 8 * KiB, buf, 0), ==, 0);
    g_assert_cmpint(bdrv_getlength(bs), ==, 68 * KiB);
    g_assert_cmpint(bdrv_dirty_bitmap_size(idle), ==, 64 * KiB);
    g_assert_cmpint(bdrv_get_dirty_count(idle), ==, 4 * KiB);

    bdrv_dirty_bitmap_create_successor(idle, &error_abort);
    g_assert_cmpint(bdrv_pwrite(child, 0, 512, buf, 0), ==, 0);
    g_assert(bdrv_reclaim_dirty_bitmap(idle, &error_abort) == idle);
    g_assert_cmpint(bdrv_get_dirty_count(idle), ==, 8 * KiB);

    bdrv_dirty_bitmap_set_busy(busy, false);
    bdrv_release_dirty_bitmap(busy);
    bdrv_release_dirty_bitmap(idle);
    bdrv_root_unref_child(child);
    bdrv_unref(bs);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    /* The block layer's global state is the BQL holder's, as in QEMU. */
    qemu_mutex_lock_iothread();
    bdrv_init();
    tmpdir = g_dir_make_tmp("test-block-io-XXXXXX", NULL);
    tmpfiles = g_ptr_array_new_with_free_func(g_free);
    g_assert_nonnull(tmpdir);

    g_test_add_func("/block/node-names", test_node_names);
    g_test_add_func("/block/lookup", test_lookup);
    g_test_add_func("/block/open-errors", test_open_errors);
    g_test_add_func("/block/null/options", test_null_options);
    g_test_add_func("/block/open-driver", test_open_driver_and_blk);
    g_test_add_func("/block/io/marks-bitmaps", test_io_marks_bitmaps);
    g_test_add_func("/block/io/read-only", test_read_only);
    g_test_add_func("/block/inactivate", test_inactivate);
    g_test_add_func("/block/file/raw-discard", test_file_raw_discard);
    g_test_add_func("/block/file/no-unmap", test_file_no_unmap);
    g_test_add_func("/block/json-filename", test_json_filename);
    g_test_add_func("/block/file/locking", test_file_locking);
    g_test_add_func("/block/file/grow", test_write_zeroes_fallback);
    g_test_add_func("/block/file/grow-busy-bitmap",
                    test_grow_with_busy_bitmap);
    g_test_add_func("/block/copy-on-read", test_copy_on_read_filter);

    ret = g_test_run();
    for (guint i = 0; i < tmpfiles->len; i++) {
        unlink(g_ptr_array_index(tmpfiles, i));
    }
    rmdir(tmpdir);
    g_ptr_array_free(tmpfiles, true);
    g_free(tmpdir);
    return ret;
}
