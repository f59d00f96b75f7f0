/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Dirty-bitmap migration error paths, filters and node naming. */

/*
 * Source-side errors fail the migration (the destination then exits
 * with status 1); destination-side lookup errors only drop the bitmaps;
 * a bitmap name that already exists on the destination is fatal there.
 * A node without any name cannot be made through the external interface
 * (every node gets at least an auto-generated name, as in QEMU), so the
 * module's "unnamed node" message has no test here.
 */

#include "qemu/osdep.h"
#include "dbm-common.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

/*
 * A source-side refusal: the source fails and runs on with its bitmaps
 * free again; the destination, left with a cut stream, exits with 1.
 */
static void migrate_source_fails(QTestState *src, QTestState *dst,
                                 const char *node, const char *message)
{
    g_autofree char *st = NULL;
    json_t *ret;

    mig_set_caps(src, "events,dirty-bitmaps");
    mig_set_caps(dst, "events,dirty-bitmaps");
    mig_migrate(src, dst);
    st = mig_wait_status(src, "failed");
    g_clear_pointer(&st, g_free);
    st = mig_query_status(src);
    g_assert_cmpstr(st, ==, "failed");
    g_clear_pointer(&st, g_free);
    dbm_wait_not_busy(src, node);
    dbm_assert_log_has(src, message);
    mig_wait_exit_status(dst, 1);
    dbm_assert_log_has(dst, "load of migration failed");
    qtest_quit(dst);
    ret = qtest_qmp_assert_success_ref(src, "{\"execute\": \"query-status\"}");
    g_assert_cmpstr(json_string_value(json_object_get(ret, "status")), ==,
                    "running");
    json_decref(ret);
}

static void test_name_too_long(void)
{
    g_autofree char *n256 = dbm_long_name("L", 256);
    g_autofree char *msg = g_strdup_printf("Cannot migrate bitmap '%s' on "
                                           "node 'drive0': Name is longer "
                                           "than 255 bytes", n256);
    QTestState *src = dbm_vm_start("-blockdev driver=null-co,"
                                   "node-name=drive0,size=%" PRIu64, MIB);
    QTestState *dst = dbm_vm_start_incoming("-blockdev driver=null-co,"
                                            "node-name=drive0,size=%" PRIu64,
                                            MIB);

    mig_bitmap_add(src, "drive0", "ok", 512, false);
    mig_bitmap_add(src, "drive0", n256, 512, false);
    migrate_source_fails(src, dst, "drive0", msg);
    dbm_assert_bitmap(src, NULL, "drive0", n256, true, false, false, 512);
    dbm_assert_bitmap(src, NULL, "drive0", "ok", true, false, false, 512);
    qtest_quit(src);
}

/* A bitmap on an auto-named filter node (its drive has no node-name). */
static void test_auto_named(void)
{
    const char *drive = "-drive if=none,id=drive0,driver=copy-on-read,"
                        "file.driver=null-co,file.node-name=base,"
                        "file.size=1048576";
    QTestState *src = dbm_vm_start("%s", drive);
    QTestState *dst = dbm_vm_start_incoming("%s", drive);
    json_t *blocks = qtest_qmp_assert_success_ref(src,
        "{\"execute\": \"query-block\"}");
    g_autofree char *node = g_strdup(json_string_value(json_object_get(
        json_object_get(json_array_get(blocks, 0), "inserted"),
        "node-name")));
    g_autofree char *msg = g_strdup_printf("Bitmap 'fbm' in a node with "
                                           "auto-generated name '%s' "
                                           "can't be migrated", node);

    json_decref(blocks);
    g_assert_true(node[0] == '#');
    /* "drive0" resolves to the device's root: the filter node. */
    mig_bitmap_add(src, "drive0", "fbm", 4096, false);
    dbm_assert_bitmap(src, "drive0", node, "fbm", true, false, false, 4096);
    migrate_source_fails(src, dst, node, msg);
    dbm_assert_bitmap(src, "drive0", node, "fbm", true, false, false, 4096);
    qtest_quit(src);
}

/*
 * A filter without bitmaps is skipped: the bitmaps of the null-co child
 * travel under the drive's name, and the destination creates them on
 * what "drive0" resolves to there, the drive's root (the filter).
 */
static void test_filter_child_bitmap(void)
{
    const char *drive = "-drive if=none,id=drive0,driver=copy-on-read,"
                        "file.driver=null-co,file.node-name=base,"
                        "file.size=1049088";
    QTestState *src = dbm_vm_start("%s", drive);
    QTestState *dst = dbm_vm_start_incoming("%s", drive);
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    json_t *bm;

    mig_bitmap_add(src, "base", "cbm", 512, false);
    dbm_write(src, "drive0", 1000, 3000, false);
    mig_migrate_and_complete(src, dst);
    bm = mig_bitmap_info(dst, "drive0", "cbm");
    g_assert_nonnull(bm);
    g_assert_true(json_is_true(json_object_get(bm, "recording")));
    g_assert_false(json_is_true(json_object_get(bm, "busy")));
    json_decref(bm);
    dbm_assert_no_bitmap(dst, "base", NULL);
    before = mig_bitmap_sha256(dst, "drive0", "cbm");
    {
        g_autofree char *a = mig_bitmap_sha256(src, "base", "cbm");

        g_assert_cmpstr(a, ==, before);
    }
    /* Writes through the drive on the destination are recorded. */
    dbm_write(dst, "drive0", MIB, 512, false);
    after = mig_bitmap_sha256(dst, "drive0", "cbm");
    g_assert_cmpstr(before, !=, after);
    dbm_assert_log_lacks(dst, "itmap");
    qtest_quit(src);
    qtest_quit(dst);
}

/* A named filter with bitmaps: everything goes by node names. */
static void test_filter_named(void)
{
    const char *drive = "-drive if=none,id=drive0,driver=copy-on-read,"
                        "node-name=cor0,file.driver=null-co,"
                        "file.node-name=base,file.size=1049088";
    QTestState *src = dbm_vm_start("%s", drive);
    QTestState *dst = dbm_vm_start_incoming("%s", drive);

    mig_bitmap_add(src, "drive0", "fbm", 1024, false);
    mig_bitmap_add(src, "base", "cbm", 2048, true);
    dbm_write(src, "drive0", 0, 5000, false);
    mig_migrate_and_complete(src, dst);
    dbm_assert_bitmap(dst, "drive0", "cor0", "fbm", true, false, false,
                      1024);
    dbm_assert_bitmap(dst, NULL, "base", "cbm", false, false, false, 2048);
    dbm_assert_no_bitmap(dst, "cor0", "cbm");
    dbm_assert_same_sha(src, "cor0", "fbm", dst, "cor0", "fbm");
    dbm_assert_same_sha(src, "base", "cbm", dst, "base", "cbm");
    qtest_quit(src);
    qtest_quit(dst);
}

/*
 * One of two source nodes is missing on the destination: the lookup
 * error cancels the whole incoming bitmap migration, so no bitmap is
 * left on the other node either.  The migration itself completes.
 */
static void test_unknown_node_partial(void)
{
    QTestState *src = dbm_vm_start("-blockdev driver=null-co,node-name=n1,"
                                   "size=1048576 -blockdev driver=null-co,"
                                   "node-name=n2,size=1048576");
    QTestState *dst = dbm_vm_start_incoming("-blockdev driver=null-co,"
                                            "node-name=n2,size=1048576");

    mig_bitmap_add(src, "n1", "b1", 512, false);
    mig_bitmap_add(src, "n2", "b2", 512, false);
    dbm_write(src, "n2", 0, 512, false);
    mig_migrate_and_complete(src, dst);
    dbm_assert_log_has(dst, "Cannot find device='n1' nor node-name='n1'");
    dbm_assert_no_bitmap(dst, "n2", NULL);
    qtest_quit(src);
    qtest_quit(dst);
}

/*
 * The destination already has the (mapped) name: fatal there, exit 1.
 * The source ends its migration one way or the other and stays usable.
 */
static void test_name_clash_mapped(void)
{
    QTestState *src = dbm_vm_start("-blockdev driver=null-co,"
                                   "node-name=drive0,size=1048576");
    QTestState *dst = dbm_vm_start_incoming("-blockdev driver=null-co,"
                                            "node-name=dst0,size=1048576");
    g_autofree char *st = NULL;

    mig_bitmap_add(src, "drive0", "bmA", 512, false);
    mig_bitmap_add(dst, "dst0", "taken", 65536, true);
    mig_set_params(dst, "\"block-bitmap-mapping\": [{\"node-name\": "
                   "\"dst0\", \"alias\": \"drive0\", \"bitmaps\": ["
                   "{\"name\": \"taken\", \"alias\": \"bmA\"}]}]");
    mig_set_caps(src, "events,dirty-bitmaps");
    mig_set_caps(dst, "events,dirty-bitmaps");
    mig_migrate(src, dst);
    mig_wait_exit_status(dst, 1);
    dbm_assert_log_has(dst, "Bitmap with the same name ('taken') already "
                       "exists on destination");
    qtest_quit(dst);
    st = mig_wait_status(src, "completed|failed");
    dbm_wait_not_busy(src, "drive0");
    dbm_assert_bitmap(src, NULL, "drive0", "bmA", true, false, false, 512);
    qtest_quit(src);
}

/* A copy of QEMU 7.2's capture with bmB's START granularity patched. */
static char *patched_capture(const char *dir, const char *tmpdir,
                             uint32_t granularity)
{
    static const char start_bmb[] = "\x1c\x06" "drive0" "\x03" "bmB";
    g_autofree char *path = g_build_filename(dir, "precopy_2bitmaps.bin",
                                             NULL);
    g_autofree char *data = NULL;
    char *out = g_strdup_printf("%s/patched-%u.bin", tmpdir, granularity);
    char *pos;
    gsize len;

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    pos = memmem(data, len, start_bmb, sizeof(start_bmb) - 1);
    g_assert_nonnull(pos);
    pos += sizeof(start_bmb) - 1;
    /* be32 granularity; the capture has 4096 */
    g_assert_cmpmem(pos, 4, "\x00\x00\x10\x00", 4);
    pos[0] = granularity >> 24;
    pos[1] = granularity >> 16;
    pos[2] = granularity >> 8;
    pos[3] = granularity;
    g_assert_true(g_file_set_contents(out, data, len, NULL));
    return out;
}

/* Load the capture (bmB's START patched to @granularity) into a new VM. */
static QTestState *load_capture(const char *dir, uint32_t granularity)
{
    QTestState *dst = dbm_vm_start_incoming("-blockdev driver=null-co,"
                                            "node-name=drive0,size=%" PRIu64,
                                            GIB);
    g_autofree char *file = patched_capture(dir, qtest_tmpdir(dst),
                                            granularity);
    g_autofree char *st = NULL;

    mig_set_caps(dst, "events");
    qtest_qmp_assert_success(dst,
        "{\"execute\": \"migrate-incoming\", \"arguments\": "
        "{\"uri\": \"exec:cat '%s'\"}}", file);
    st = mig_wait_status(dst, "completed");
    return dst;
}

/*
 * The seed's "granularity doesn't match" path: a BITS chunk whose
 * buffer size does not fit the destination bitmap's granularity.  A
 * same-version sender never makes one (the destination bitmap takes the
 * START granularity, and other disk sizes hit the serialization's
 * alignment asserts first), so the stream is QEMU 7.2's capture with
 * bmB announced at 64 KiB while its chunks are for 4 KiB.  The bitmap
 * migration is cancelled; the migration completes.
 */
static void test_granularity_mismatch(void)
{
    const char *dir = g_getenv("DBM_STREAMS_DIR");
    g_autofree char *path = NULL;
    QTestState *dst;

    if (!dir) {
        dir = "tests/data/streams";
    }
    path = g_build_filename(dir, "precopy_2bitmaps.bin", NULL);
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_autofree char *msg = g_strdup_printf("reference capture %s not "
                                               "found (DBM_STREAMS_DIR)",
                                               path);

        g_test_skip(msg);
        return;
    }

    /* Control: the unpatched granularity loads both bitmaps. */
    dst = load_capture(dir, 4096);
    {
        g_autofree char *a = mig_bitmap_sha256(dst, "drive0", "bmA");
        g_autofree char *b = mig_bitmap_sha256(dst, "drive0", "bmB");

        g_assert_cmpstr(a, ==, "46c6ec8ea1782b34c09bbcf6dba3194b22bf826e"
                        "48f964b5408a9c94956298d5");
        g_assert_cmpstr(b, ==, "653e36a4f85d6516f3960a5c8f1d20eda0996acd"
                        "ab5d356c6742c23d5fab60bf");
    }
    dbm_assert_bitmap(dst, NULL, "drive0", "bmB", false, false, true, 4096);
    qtest_quit(dst);

    dst = load_capture(dir, 65536);
    dbm_assert_log_has(dst, "Migrated bitmap granularity doesn't match the "
                       "destination bitmap 'bmB' granularity");
    dbm_assert_no_bitmap(dst, "drive0", NULL);
    qtest_quit(dst);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/dbm/errors/source/name-too-long", test_name_too_long);
    g_test_add_func("/dbm/errors/source/auto-named-node", test_auto_named);
    g_test_add_func("/dbm/errors/filter/child-bitmap",
                    test_filter_child_bitmap);
    g_test_add_func("/dbm/errors/filter/named", test_filter_named);
    g_test_add_func("/dbm/errors/destination/unknown-node-partial",
                    test_unknown_node_partial);
    g_test_add_func("/dbm/errors/destination/name-clash-mapped",
                    test_name_clash_mapped);
    g_test_add_func("/dbm/errors/destination/granularity-mismatch",
                    test_granularity_mismatch);
    return g_test_run();
}
