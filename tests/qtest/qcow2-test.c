/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qcow2 in minivmm processes: options, locks, shared-storage switch-over. */

/*
 * QEMU 7.2 passes these tests too (MINIVMM_BINARY=qemu-system-x86_64):
 * what they assert is its behaviour.
 */

#include "qemu/osdep.h"

#include "dbm-common.h"
#include "qimg-common.h"

static char *tmpdir;

static char *new_image(const char *name, const char *size)
{
    char *path = g_build_filename(tmpdir, name, NULL);

    g_free(qimg_run("qemu-img create -f qcow2 %s %s", path, size));
    return path;
}

/* The flags of bitmap @name in @path, as "auto,in-use" ("" if none). */
static char *image_bitmap_flags(const char *path, bool force_share,
                                const char *name)
{
    json_t *info = qimg_info(path, force_share), *bm, *f;
    GString *flags = g_string_new(NULL);
    bool found = false;
    size_t i, j;

    json_array_foreach(qimg_info_bitmaps(info), i, bm) {
        if (!strcmp(json_string_value(json_object_get(bm, "name")), name)) {
            found = true;
            json_array_foreach(json_object_get(bm, "flags"), j, f) {
                g_string_append_printf(flags, "%s%s", flags->len ? "," : "",
                                       json_string_value(f));
            }
        }
    }
    json_decref(info);
    g_assert(found);
    return g_string_free(flags, false);
}

/* -drive format=qcow2 and blockdev-add both open qcow2 images. */
static void test_options(void)
{
    g_autofree char *a = new_image("drive.qcow2", "64M");
    g_autofree char *b = new_image("add.qcow2", "64M");
    g_autofree char *flags = NULL;
    QTestState *s;
    json_t *r;

    s = dbm_vm_start("-drive file=%s,format=qcow2,if=none,id=drive0", a);
    qtest_qmp_assert_success(s, "{\"execute\": \"blockdev-add\", "
                             "\"arguments\": {\"driver\": \"qcow2\", "
                             "\"node-name\": \"n1\", \"lazy-refcounts\": "
                             "true, \"file\": {\"driver\": \"file\", "
                             "\"filename\": \"%s\"}}}", b);
    r = qtest_qmp_assert_success_ref(s, "{\"execute\": \"query-block\"}");
    g_assert_cmpstr(json_string_value(json_object_get(json_object_get(
        json_array_get(r, 0), "inserted"), "drv")), ==, "qcow2");
    json_decref(r);
    mig_bitmap_add(s, "drive0", "d", 65536, false);
    qtest_qmp_assert_success(s, "{\"execute\": \"block-dirty-bitmap-add\", "
                             "\"arguments\": {\"node\": \"drive0\", "
                             "\"name\": \"p\", \"persistent\": true, "
                             "\"granularity\": 131072}}");
    qtest_qmp_assert_success(s, "{\"execute\": \"block-dirty-bitmap-add\", "
                             "\"arguments\": {\"node\": \"n1\", "
                             "\"name\": \"q\", \"persistent\": true, "
                             "\"disabled\": true}}");
    dbm_write(s, "drive0", 0, 1 * MiB, false);
    dbm_write(s, "n1", 4 * MiB, 4096, true);
    qtest_qmp_assert_success(s, "{\"execute\": \"blockdev-del\", "
                             "\"arguments\": {\"node-name\": \"n1\"}}");
    /* blockdev-del closed n1: its bitmap is stored already */
    flags = image_bitmap_flags(b, true, "q");
    g_assert_cmpstr(flags, ==, "");
    qtest_quit(s);

    g_free(flags);
    flags = image_bitmap_flags(a, false, "p");
    g_assert_cmpstr(flags, ==, "auto");
    qimg_assert_clean(a);
    qimg_assert_clean(b);
}

/* Bad options and files fail blockdev-add cleanly. */
static void test_open_errors(void)
{
    char *err;
    QTestState *s = dbm_vm_start(" ");

    err = mig_qmp_error(s, "blockdev-add", "{\"driver\": \"qcow2\", "
                        "\"node-name\": \"x\", \"file\": {\"driver\": "
                        "\"file\", \"filename\": \"/nonexistent\"}}");
    g_assert_nonnull(strstr(err, "No such file or directory"));
    g_free(err);
    err = mig_qmp_error(s, "blockdev-add", "{\"driver\": \"qcow2\", "
                        "\"node-name\": \"y\", \"l2-cache-size\": -5, "
                        "\"file\": {\"driver\": \"file\", \"filename\": "
                        "\"/nonexistent\"}}");
    g_assert_nonnull(err);
    g_free(err);
    err = mig_qmp_error(s, "blockdev-add", "{\"driver\": \"qcow2\", "
                        "\"node-name\": \"y\", \"data-file\": \"z\", "
                        "\"file\": {\"driver\": \"file\", \"filename\": "
                        "\"/nonexistent\"}}");
    g_assert_nonnull(err);
    g_free(err);
    g_free(qtest_hmp(s, "info version"));
    qtest_quit(s);
}

/* Two writers fail as with QEMU; an incoming (inactive) process does not. */
static void test_locks(void)
{
    g_autofree char *img = new_image("locked.qcow2", "64M");
    g_autofree char *args = g_strdup_printf(
        "-M none -nodefaults -blockdev driver=qcow2,node-name=n0,"
        "file.driver=file,file.filename=%s", img);
    g_autofree char *out = NULL, *out2 = NULL;
    QTestState *a, *b;

    a = dbm_vm_start("-blockdev driver=qcow2,node-name=n0,file.driver=file,"
                     "file.filename=%s", img);
    g_assert_cmpint(qtest_run(args, &out), ==, 1);
    g_assert_nonnull(strstr(out, "Failed to get \"write\" lock"));
    b = dbm_vm_start_incoming("-blockdev driver=qcow2,node-name=n0,"
                              "file.driver=file,file.filename=%s", img);
    qtest_quit(b);
    /* QEMU's tools see minivmm's locks as QEMU's */
    out2 = qimg_run_fails("qemu-img info %s", img);
    g_assert_nonnull(strstr(out2, "Failed to get shared \"write\" lock"));
    g_free(qimg_run("qemu-img info -U %s", img));
    qtest_quit(a);

    a = dbm_vm_start("-blockdev driver=qcow2,node-name=n0,read-only=on,"
                     "file.driver=file,file.filename=%s", img);
    g_free(out2);
    out2 = qimg_run_fails("qemu-io -c 'write 0 512' %s", img);
    g_assert_nonnull(strstr(out2, "Failed to get \"write\" lock"));
    g_free(qimg_run("qemu-io -r -c 'read 0 512' %s", img));
    qtest_quit(a);
    qimg_assert_clean(img);
}

/* A damaged image fails on the command line with QEMU's message. */
static void test_hostile_cmdline(void)
{
    g_autofree char *img = g_build_filename(tmpdir, "bad.qcow2", NULL);
    g_autofree char *args = g_strdup_printf(
        "-M none -nodefaults -drive file=%s,format=qcow2,if=none", img);
    g_autofree char *out = NULL;

    g_assert(g_file_set_contents(img, "QFI\xfb\0\0\0\x07", 8, NULL));
    g_assert_cmpint(qtest_run(args, &out), ==, 1);
    g_assert_nonnull(strstr(out, "Unsupported qcow2 version 7"));
}

/*
 * Shared storage without the dirty-bitmaps capability: the source stores
 * its persistent bitmaps at switch-over and the destination, which opened
 * the image inactive, loads them when it activates.
 */
static void test_shared_storage(void)
{
    g_autofree char *img = new_image("shared.qcow2", "64M");
    g_autofree char *sha = NULL, *sha2 = NULL, *flags = NULL;
    g_autofree char *st1 = NULL, *st2 = NULL;
    QTestState *src, *dst;

    src = dbm_vm_start("-blockdev driver=qcow2,node-name=n0,"
                       "file.driver=file,file.filename=%s", img);
    qtest_qmp_assert_success(src, "{\"execute\": \"block-dirty-bitmap-add\","
                             " \"arguments\": {\"node\": \"n0\", \"name\": "
                             "\"bm\", \"persistent\": true}}");
    dbm_write(src, "n0", 1 * MiB, 100000, false);
    dbm_write(src, "n0", 30 * MiB, 1, false);
    sha = mig_bitmap_sha256(src, "n0", "bm");

    dst = dbm_vm_start_incoming("-blockdev driver=qcow2,node-name=n0,"
                                "file.driver=file,file.filename=%s", img);
    dbm_assert_no_bitmap(dst, "n0", "bm");
    mig_set_caps(src, "events");
    mig_set_caps(dst, "events");
    mig_migrate(src, dst);
    st1 = mig_wait_status(src, "completed");
    st2 = mig_wait_status(dst, "completed");
    qtest_qmp_eventwait(dst, "RESUME");

    sha2 = mig_bitmap_sha256(dst, "n0", "bm");
    g_assert_cmpstr(sha2, ==, sha);
    dbm_assert_bitmap(dst, NULL, "n0", "bm", true, false, true, 65536);
    flags = image_bitmap_flags(img, true, "bm");
    g_assert_cmpstr(flags, ==, "in-use,auto");
    qtest_quit(src);
    qtest_quit(dst);

    g_free(flags);
    flags = image_bitmap_flags(img, false, "bm");
    g_assert_cmpstr(flags, ==, "auto");
    qimg_assert_clean(img);
}

/*
 * With the dirty-bitmaps capability the bitmap travels in the stream:
 * the source does not store it (its image entry stays IN_USE), the
 * destination skips that entry when it activates, keeps the migrated
 * bitmap and stores it when it quits.
 */
static void test_shared_storage_migrated_bitmap(void)
{
    g_autofree char *img = new_image("shared-cap.qcow2", "64M");
    g_autofree char *sha = NULL, *sha2 = NULL, *flags = NULL;
    QTestState *src, *dst;

    g_free(qimg_run("qemu-img bitmap --add -g 128k %s bm", img));
    g_free(qimg_run("qemu-io -f qcow2 -c 'write 0 1M' %s", img));
    src = dbm_vm_start("-blockdev driver=qcow2,node-name=n0,"
                       "file.driver=file,file.filename=%s", img);
    dbm_write(src, "n0", 40 * MiB, 4096, false);
    sha = mig_bitmap_sha256(src, "n0", "bm");
    dst = dbm_vm_start_incoming("-blockdev driver=qcow2,node-name=n0,"
                                "file.driver=file,file.filename=%s", img);
    mig_migrate_and_complete(src, dst);
    qtest_qmp_eventwait(dst, "RESUME");
    dbm_wait_not_busy(dst, "n0");

    sha2 = mig_bitmap_sha256(dst, "n0", "bm");
    g_assert_cmpstr(sha2, ==, sha);
    dbm_assert_bitmap(dst, NULL, "n0", "bm", true, false, true, 131072);
    flags = image_bitmap_flags(img, true, "bm");
    g_assert_cmpstr(flags, ==, "in-use,auto");
    dbm_write(dst, "n0", 50 * MiB, 1, false);
    g_free(sha2);
    sha2 = mig_bitmap_sha256(dst, "n0", "bm");
    qtest_quit(src);
    qtest_quit(dst);

    g_free(flags);
    flags = image_bitmap_flags(img, false, "bm");
    g_assert_cmpstr(flags, ==, "auto");
    qimg_assert_clean(img);
    /* what the destination stored is what it had */
    src = dbm_vm_start("-blockdev driver=qcow2,node-name=n0,read-only=on,"
                       "file.driver=file,file.filename=%s", img);
    g_free(sha);
    sha = mig_bitmap_sha256(src, "n0", "bm");
    g_assert_cmpstr(sha, ==, sha2);
    qtest_quit(src);
}

/* block_resize on node n0 of @s; NULL on success, else the error. */
static char *resize(QTestState *s, uint64_t size)
{
    g_autofree char *args = g_strdup_printf("{\"node-name\": \"n0\", "
                                            "\"size\": %" PRIu64 "}",
                                            size);

    return mig_qmp_error(s, "block_resize", args);
}

static void assert_resized(QTestState *s, uint64_t size)
{
    g_autofree char *err = resize(s, size);

    g_assert_null(err);
}

static void assert_resize_fails(QTestState *s, uint64_t size,
                                const char *error)
{
    g_autofree char *err = resize(s, size);

    g_assert_cmpstr(err, ==, error);
}

/* Oracles of bitmaps "p" (64 KiB) and "q" (512 B) on a @size disk. */
static void resize_oracles(DBMOracle **o, uint64_t size, bool shrunk)
{
    int i;

    o[0] = dbm_oracle_new(size, 65536, true);
    o[1] = dbm_oracle_new(size, 512, true);
    for (i = 0; i < 2; i++) {
        dbm_oracle_write(o[i], 0, 1 * MiB, false);
        dbm_oracle_write(o[i], 30 * MiB + 512, 4096, false);
        if (!shrunk) {
            dbm_oracle_write(o[i], 60 * MiB, 1, false);
        }
    }
}

static void free_oracles(DBMOracle **o)
{
    dbm_oracle_free(o[0]);
    dbm_oracle_free(o[1]);
}

/*
 * block_resize of a qcow2 node with persistent bitmaps, grown then
 * shrunk (snapshots kept): the bitmaps follow the disk, the image holds
 * them at the new size, the data and the snapshot stay, check is clean.
 */
static void test_resize(void)
{
    g_autofree char *img = new_image("resize.qcow2", "64M");
    g_autofree char *sha = NULL, *sha2 = NULL, *flags = NULL;
    DBMOracle *o[2];
    QTestState *s;
    json_t *info;

    g_free(qimg_run("qemu-img bitmap --add -g 512 %s q", img));
    g_free(qimg_run("qemu-io -f qcow2 -c 'write -P 0xaa 2M 1M' "
                    "-c 'write -P 0xbb 31M 1M' -c 'write -P 0xcc 50M 1M' %s",
                    img));
    g_free(qimg_run("qemu-img snapshot -c s1 %s", img));
    s = dbm_vm_start("-blockdev driver=qcow2,node-name=n0,"
                     "file.driver=file,file.filename=%s", img);
    qtest_qmp_assert_success(s, "{\"execute\": \"block-dirty-bitmap-add\","
                             " \"arguments\": {\"node\": \"n0\", \"name\": "
                             "\"p\", \"persistent\": true}}");
    qtest_qmp_assert_success(s, "{\"execute\": \"block-dirty-bitmap-clear\","
                             " \"arguments\": {\"node\": \"n0\", \"name\": "
                             "\"q\"}}");
    dbm_write(s, "n0", 0, 1 * MiB, false);
    dbm_write(s, "n0", 30 * MiB + 512, 4096, false);
    dbm_write(s, "n0", 60 * MiB, 1, false);

    assert_resized(s, 6 * GiB);
    resize_oracles(o, 6 * GiB, false);
    dbm_assert_oracle(s, "n0", "p", o[0]);
    dbm_assert_oracle(s, "n0", "q", o[1]);
    free_oracles(o);
    dbm_write(s, "n0", 5 * GiB, 4096, false);
    assert_resized(s, 40 * MiB + 512);
    resize_oracles(o, 40 * MiB + 512, true);
    dbm_assert_oracle(s, "n0", "p", o[0]);
    dbm_assert_oracle(s, "n0", "q", o[1]);
    free_oracles(o);
    sha = mig_bitmap_sha256(s, "n0", "q");
    qtest_quit(s);

    info = qimg_info(img, false);
    g_assert_cmpint(json_integer_value(json_object_get(info,
                    "virtual-size")), ==, 40 * MiB + 512);
    json_decref(info);
    flags = image_bitmap_flags(img, false, "p");
    g_assert_cmpstr(flags, ==, "auto");
    qimg_assert_clean(img);
    g_free(qimg_run("qemu-io -f qcow2 -c 'read -P 0xaa 2M 1M' "
                    "-c 'read -P 0xbb 31M 1M' %s", img));
    /* what it stored is what it had */
    s = dbm_vm_start("-blockdev driver=qcow2,node-name=n0,read-only=on,"
                     "file.driver=file,file.filename=%s", img);
    sha2 = mig_bitmap_sha256(s, "n0", "q");
    g_assert_cmpstr(sha2, ==, sha);
    assert_resize_fails(s, 64 * MiB, "Image is read-only");
    qtest_quit(s);

    /* the snapshot kept what the active disk no longer maps */
    g_free(qimg_run("qemu-img bitmap --remove %s p", img));
    g_free(qimg_run("qemu-img bitmap --remove %s q", img));
    g_free(qimg_run("qemu-img snapshot -a s1 %s", img));
    g_free(qimg_run("qemu-io -f qcow2 -c 'read -P 0xbb 31M 1M' "
                    "-c 'read -P 0xcc 50M 1M' %s", img));
    qimg_assert_clean(img);
}

/* What QEMU 7.2 refuses, with its messages; the images stay clean. */
static void test_resize_errors(void)
{
    g_autofree char *a = new_image("resize-inuse.qcow2", "64M");
    g_autofree char *b = g_build_filename(tmpdir, "resize-v2.qcow2", NULL);
    g_autofree char *c = g_build_filename(tmpdir, "resize-512.qcow2", NULL);
    g_autofree char *flags = NULL;
    QTestState *s;
    int status;

    /* a bitmap left in use by a process that died is inconsistent */
    s = dbm_vm_start("-blockdev driver=qcow2,node-name=n0,"
                     "file.driver=file,file.filename=%s", a);
    qtest_qmp_assert_success(s, "{\"execute\": \"block-dirty-bitmap-add\","
                             " \"arguments\": {\"node\": \"n0\", \"name\": "
                             "\"p\", \"persistent\": true}}");
    qtest_quit(s);
    s = dbm_vm_start("-blockdev driver=qcow2,node-name=n0,"
                     "file.driver=file,file.filename=%s", a);
    qtest_kill(s, SIGKILL);
    g_assert_true(qtest_wait_exit(s, &status));
    qtest_quit(s);
    s = dbm_vm_start("-blockdev driver=qcow2,node-name=n0,"
                     "file.driver=file,file.filename=%s", a);
    assert_resize_fails(s, 128 * MiB,
                        "Bitmap 'p' is inconsistent and cannot be used");
    assert_resize_fails(s, 1000, "The new size must be a multiple of 512");
    qtest_qmp_assert_success(s, "{\"execute\": \"block-dirty-bitmap-remove\","
                             " \"arguments\": {\"node\": \"n0\", \"name\": "
                             "\"p\"}}");
    assert_resized(s, 128 * MiB);
    qtest_quit(s);
    qimg_assert_clean(a);

    g_free(qimg_run("qemu-img create -f qcow2 -o compat=0.10 %s 1M", b));
    g_free(qimg_run("qemu-img snapshot -c s1 %s", b));
    g_free(qimg_run("qemu-img create -f qcow2 -o cluster_size=512 %s 1M",
                    c));
    s = dbm_vm_start("-blockdev driver=qcow2,node-name=n0,"
                     "file.driver=file,file.filename=%s "
                     "-blockdev driver=qcow2,node-name=n1,"
                     "file.driver=file,file.filename=%s", b, c);
    assert_resize_fails(s, 2 * MiB,
                        "Can't resize a v2 image which has snapshots");
    flags = mig_qmp_error(s, "block_resize", "{\"node-name\": \"n1\", "
                          "\"size\": 70368744177664}");
    g_assert_cmpstr(flags, ==, "Failed to grow the L1 table: File too "
                    "large");
    qtest_qmp_assert_success(s, "{\"execute\": \"block_resize\", "
                             "\"arguments\": {\"node-name\": \"n1\", "
                             "\"size\": 8589934592}}");
    qtest_quit(s);
    qimg_assert_clean(b);
    qimg_assert_clean(c);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("qcow2-test-XXXXXX", NULL);
    g_test_add_func("/qcow2/options", test_options);
    g_test_add_func("/qcow2/open-errors", test_open_errors);
    g_test_add_func("/qcow2/locks", test_locks);
    g_test_add_func("/qcow2/hostile-cmdline", test_hostile_cmdline);
    g_test_add_func("/qcow2/shared-storage", test_shared_storage);
    g_test_add_func("/qcow2/shared-storage-migrated-bitmap",
                    test_shared_storage_migrated_bitmap);
    g_test_add_func("/qcow2/resize", test_resize);
    g_test_add_func("/qcow2/resize-errors", test_resize_errors);
    ret = g_test_run();
    g_free(qimg_run("rm -rf %s", tmpdir));
    g_free(tmpdir);
    return ret;
}
