/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP block-dirty-bitmap-* commands: results and every error string. */
#include "qemu/osdep.h"

#include "block-qmp-util.h"
#include "migration-helpers.h"

#define NULL_NODE "-blockdev '{\"driver\": \"null-co\", \"node-name\": " \
                  "\"node0\", \"size\": 1048576}'"

static void add(QTestState *qts, const char *name, int gran)
{
    mig_bitmap_add(qts, "node0", name, gran, false);
}

static void io(QTestState *qts, const char *cmd)
{
    g_autofree char *out = qtest_hmp(qts, "qemu-io node0 \"%s\"", cmd);

    g_assert_cmpstr(out, ==, "");
}

static void test_add_errors(void)
{
    QTestState *qts = qtest_init("-M none " NULL_NODE);
    g_autofree char *longname = g_strnfill(1024, 'b');
    g_autofree char *cmd = NULL;
    g_autofree char *msg = NULL;
    json_t *list, *bm;

    qmp_expect_error(qts, "Bitmap name cannot be empty",
                 "{\"execute\": \"block-dirty-bitmap-add\", \"arguments\": "
                 "{\"node\": \"nosuch\", \"name\": \"\"}}");
    qmp_expect_error(qts, "Cannot find device='nosuch' nor node-name='nosuch'",
                 "{\"execute\": \"block-dirty-bitmap-add\", \"arguments\": "
                 "{\"node\": \"nosuch\", \"name\": \"b\"}}");
    qmp_expect_error(qts, "Granularity must be power of 2 and at least 512",
                 "{\"execute\": \"block-dirty-bitmap-add\", \"arguments\": "
                 "{\"node\": \"node0\", \"name\": \"b\", "
                 "\"granularity\": 1000}}");
    qmp_expect_error(qts, "Granularity must be power of 2 and at least 512",
                 "{\"execute\": \"block-dirty-bitmap-add\", \"arguments\": "
                 "{\"node\": \"node0\", \"name\": \"b\", "
                 "\"granularity\": 256}}");
    qmp_expect_error(qts, "Granularity must be power of 2 and at least 512",
                 "{\"execute\": \"block-dirty-bitmap-add\", \"arguments\": "
                 "{\"node\": \"node0\", \"name\": \"b\", "
                 "\"granularity\": 0}}");
    qmp_expect_error(qts, "Can't store persistent bitmaps to node0: Operation "
                 "not supported",
                 "{\"execute\": \"block-dirty-bitmap-add\", \"arguments\": "
                 "{\"node\": \"node0\", \"name\": \"b\", "
                 "\"persistent\": true}}");
    add(qts, "b", 0);
    qmp_expect_error(qts, "Bitmap already exists: b",
                 "{\"execute\": \"block-dirty-bitmap-add\", \"arguments\": "
                 "{\"node\": \"node0\", \"name\": \"b\"}}");
    cmd = g_strdup_printf("{\"execute\": \"block-dirty-bitmap-add\", "
                          "\"arguments\": {\"node\": \"node0\", "
                          "\"name\": \"%s\"}}", longname);
    msg = g_strdup_printf("Bitmap name too long: %s", longname);
    qmp_expect_error(qts, msg, cmd);

    /* Only "b" exists, with the null-co default granularity. */
    list = mig_node_bitmaps(qts, "node0");
    g_assert_cmpint(json_array_size(list), ==, 1);
    bm = mig_find_bitmap(list, "b");
    g_assert_cmpint(json_integer_value(json_object_get(bm, "granularity")),
                    ==, 65536);
    g_assert(json_is_true(json_object_get(bm, "recording")));
    g_assert(json_is_false(json_object_get(bm, "busy")));
    g_assert(json_is_false(json_object_get(bm, "persistent")));
    g_assert_null(json_object_get(bm, "inconsistent"));
    json_decref(list);
    qtest_quit(qts);
}

static void test_lookup_errors(void)
{
    static const char *const cmds[] = {
        "block-dirty-bitmap-remove", "block-dirty-bitmap-clear",
        "block-dirty-bitmap-enable", "block-dirty-bitmap-disable",
        "x-debug-block-dirty-bitmap-sha256",
    };
    QTestState *qts = qtest_init("-M none " NULL_NODE);
    size_t i;

    for (i = 0; i < ARRAY_SIZE(cmds); i++) {
        g_autofree char *c1 = g_strdup_printf(
            "{\"execute\": \"%s\", \"arguments\": {\"node\": \"nosuch\", "
            "\"name\": \"b\"}}", cmds[i]);
        g_autofree char *c2 = g_strdup_printf(
            "{\"execute\": \"%s\", \"arguments\": {\"node\": \"node0\", "
            "\"name\": \"bitmap0\"}}", cmds[i]);

        qmp_expect_error(qts, "Node 'nosuch' not found", c1);
        qmp_expect_error(qts, "Dirty bitmap 'bitmap0' not found", c2);
    }
    qtest_quit(qts);
}

/* The counts and hashes of interface-contract §4.2 and §4.4. */
static void test_writes_and_hashes(void)
{
    QTestState *qts = qtest_init("-M none " NULL_NODE);
    g_autofree char *sha_fine = NULL;
    json_t *list;

    add(qts, "fine", 512);
    add(qts, "coarse", 65536);
    io(qts, "write 0 64k");
    io(qts, "write -z 65536 512");
    list = mig_node_bitmaps(qts, "node0");
    g_assert_cmpint(json_integer_value(json_object_get(
        mig_find_bitmap(list, "fine"), "count")), ==, 66048);
    g_assert_cmpint(json_integer_value(json_object_get(
        mig_find_bitmap(list, "coarse"), "count")), ==, 131072);
    /* Newest first. */
    g_assert_cmpstr(json_string_value(json_object_get(
        json_array_get(list, 0), "name")), ==, "coarse");
    json_decref(list);

    /* 129 dirty 512 B chunks of a 1 MiB disk. */
    sha_fine = mig_bitmap_sha256(qts, "node0", "fine");
    g_assert_cmpstr(sha_fine, ==, "1d07fea6bb5eb14d0d6d3e1b0a1496b5"
                    "05628f2223347b6c00e5ecd910ced904");

    /* null-co has no discard: nothing is dirtied. */
    qtest_qmp_assert_success(qts, "{\"execute\": "
                             "\"block-dirty-bitmap-clear\", \"arguments\": "
                             "{\"node\": \"node0\", \"name\": \"fine\"}}");
    io(qts, "discard 0 1M");
    list = mig_node_bitmaps(qts, "node0");
    g_assert_cmpint(json_integer_value(json_object_get(
        mig_find_bitmap(list, "fine"), "count")), ==, 0);
    json_decref(list);

    /* Disabled bitmaps do not record; enable/disable are idempotent. */
    qtest_qmp_assert_success(qts, "{\"execute\": "
                             "\"block-dirty-bitmap-disable\", \"arguments\":"
                             " {\"node\": \"node0\", \"name\": \"fine\"}}");
    qtest_qmp_assert_success(qts, "{\"execute\": "
                             "\"block-dirty-bitmap-disable\", \"arguments\":"
                             " {\"node\": \"node0\", \"name\": \"fine\"}}");
    io(qts, "write 0 512");
    list = mig_node_bitmaps(qts, "node0");
    g_assert(json_is_false(json_object_get(mig_find_bitmap(list, "fine"),
                                           "recording")));
    g_assert_cmpint(json_integer_value(json_object_get(
        mig_find_bitmap(list, "fine"), "count")), ==, 0);
    json_decref(list);
    qtest_qmp_assert_success(qts, "{\"execute\": "
                             "\"block-dirty-bitmap-enable\", \"arguments\":"
                             " {\"node\": \"node0\", \"name\": \"fine\"}}");
    io(qts, "write 512 512");
    g_free(sha_fine);
    sha_fine = mig_bitmap_sha256(qts, "node0", "fine");
    /* Only granule 1: byte 0 of the hash input is 0x02. */
    g_assert_cmpstr(sha_fine, !=, "1d07fea6bb5eb14d0d6d3e1b0a1496b5"
                    "05628f2223347b6c00e5ecd910ced904");

    qtest_qmp_assert_success(qts, "{\"execute\": "
                             "\"block-dirty-bitmap-remove\", \"arguments\":"
                             " {\"node\": \"node0\", \"name\": \"fine\"}}");
    list = mig_node_bitmaps(qts, "node0");
    g_assert_cmpint(json_array_size(list), ==, 1);
    json_decref(list);
    qtest_qmp_assert_success(qts, "{\"execute\": "
                             "\"block-dirty-bitmap-remove\", \"arguments\":"
                             " {\"node\": \"node0\", \"name\": \"coarse\"}}");
    /* No bitmaps: the member is absent. */
    g_assert_null(mig_node_bitmaps(qts, "node0"));
    qtest_quit(qts);
}

static void test_merge(void)
{
    QTestState *qts = qtest_init("-M none " NULL_NODE " -blockdev "
                                 "'{\"driver\": \"null-co\", \"node-name\": "
                                 "\"node1\", \"size\": 1048576}' "
                                 "-blockdev '{\"driver\": \"null-co\", "
                                 "\"node-name\": \"big\"}'");
    g_autofree char *before = NULL, *after = NULL;
    json_t *list;

    add(qts, "t", 4096);
    add(qts, "s", 65536);
    qtest_qmp_assert_success(qts, "{\"execute\": \"block-dirty-bitmap-add\","
                             " \"arguments\": {\"node\": \"node1\", "
                             "\"name\": \"o\", \"granularity\": 512}}");
    qtest_qmp_assert_success(qts, "{\"execute\": \"block-dirty-bitmap-add\","
                             " \"arguments\": {\"node\": \"big\", "
                             "\"name\": \"g\"}}");
    io(qts, "write 0 4k");
    before = mig_bitmap_sha256(qts, "node0", "t");

    /* A failing later source leaves the target unchanged. */
    qmp_expect_error(qts, "Dirty bitmap 'nosuch' not found",
                 "{\"execute\": \"block-dirty-bitmap-merge\", \"arguments\":"
                 " {\"node\": \"node0\", \"target\": \"t\", \"bitmaps\": "
                 "[\"s\", \"nosuch\"]}}");
    qmp_expect_error(qts, "Node 'nosuch' not found",
                 "{\"execute\": \"block-dirty-bitmap-merge\", \"arguments\":"
                 " {\"node\": \"node0\", \"target\": \"t\", \"bitmaps\": "
                 "[{\"node\": \"nosuch\", \"name\": \"o\"}]}}");
    qmp_expect_error(qts, "Dirty bitmap 'nosuch' not found",
                 "{\"execute\": \"block-dirty-bitmap-merge\", \"arguments\":"
                 " {\"node\": \"node0\", \"target\": \"nosuch\", "
                 "\"bitmaps\": []}}");
    qmp_expect_error(qts, "Bitmaps are of different sizes (destination size is "
                 "1073741824, source size is 1048576) and can't be merged",
                 "{\"execute\": \"block-dirty-bitmap-merge\", \"arguments\":"
                 " {\"node\": \"big\", \"target\": \"g\", \"bitmaps\": "
                 "[{\"node\": \"node0\", \"name\": \"s\"}]}}");
    after = mig_bitmap_sha256(qts, "node0", "t");
    g_assert_cmpstr(before, ==, after);

    /* Another node and a coarser granularity: the whole 64 KiB. */
    g_free(qtest_hmp(qts, "qemu-io node1 \"write 65536 1\""));
    qtest_qmp_assert_success(qts, "{\"execute\": "
                             "\"block-dirty-bitmap-merge\", \"arguments\": "
                             "{\"node\": \"node0\", \"target\": \"t\", "
                             "\"bitmaps\": [\"s\", {\"node\": \"node1\", "
                             "\"name\": \"o\"}]}}");
    list = mig_node_bitmaps(qts, "node0");
    /* s: granule 0 (64 KiB); o: 512 B at 64 KiB -> one 4 KiB granule */
    g_assert_cmpint(json_integer_value(json_object_get(
        mig_find_bitmap(list, "t"), "count")), ==, 65536 + 4096);
    json_decref(list);
    qtest_qmp_assert_success(qts, "{\"execute\": "
                             "\"block-dirty-bitmap-merge\", \"arguments\": "
                             "{\"node\": \"node0\", \"target\": \"t\", "
                             "\"bitmaps\": []}}");
    qtest_quit(qts);
}

/* Writes through a -drive reach the format node's bitmaps. */
static void test_drive_name(void)
{
    QTestState *qts = qtest_init("-M none -drive if=none,id=drive0,"
                                 "file=null-co://,format=null-co");
    g_autofree char *out = NULL;
    json_t *r, *inserted;

    qtest_qmp_assert_success(qts, "{\"execute\": \"block-dirty-bitmap-add\","
                             " \"arguments\": {\"node\": \"drive0\", "
                             "\"name\": \"bitmap0\"}}");
    out = qtest_hmp(qts, "qemu-io drive0 \"write 0 65536\"");
    g_assert_cmpstr(out, ==, "");
    r = qtest_qmp_assert_success_ref(qts, "{\"execute\": \"query-block\"}");
    g_assert_cmpint(json_array_size(r), ==, 1);
    inserted = json_object_get(json_array_get(r, 0), "inserted");
    g_assert_cmpint(json_array_size(json_object_get(inserted,
                                                    "dirty-bitmaps")), ==, 1);
    g_assert_cmpint(json_integer_value(json_object_get(json_array_get(
        json_object_get(inserted, "dirty-bitmaps"), 0), "count")), ==,
        65536);
    json_decref(r);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/bitmap-qmp/add/errors", test_add_errors);
    g_test_add_func("/bitmap-qmp/lookup-errors", test_lookup_errors);
    g_test_add_func("/bitmap-qmp/writes-and-hashes", test_writes_and_hashes);
    g_test_add_func("/bitmap-qmp/merge", test_merge);
    g_test_add_func("/bitmap-qmp/drive-name", test_drive_name);

    return g_test_run();
}
