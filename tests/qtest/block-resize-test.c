/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP and HMP block_resize: sizes, bitmaps resized, QEMU 7.2's errors. */
#include "qemu/osdep.h"

#include "block-qmp-util.h"

static int64_t file_size(const char *path)
{
    struct stat st;

    g_assert_cmpint(stat(path, &st), ==, 0);
    return st.st_size;
}

static void resize(QTestState *qts, const char *node, int64_t size)
{
    qtest_qmp_assert_success(qts, "{\"execute\": \"block_resize\", "
                             "\"arguments\": {\"node-name\": \"%s\", "
                             "\"size\": %" PRId64 "}}", node, size);
}

static int64_t bitmap_count(QTestState *qts, const char *node,
                            const char *name)
{
    json_t *info = mig_node_info(qts, node);
    json_t *bm;
    int64_t count = -1;
    size_t i;

    json_array_foreach(json_object_get(info, "dirty-bitmaps"), i, bm) {
        if (!g_strcmp0(json_string_value(json_object_get(bm, "name")),
                       name)) {
            count = json_integer_value(json_object_get(bm, "count"));
        }
    }
    json_decref(info);
    return count;
}

static void test_errors(void)
{
    g_autofree char *img = make_image(block_test_dir(), "errors.raw", 1 * MiB);
    QTestState *qts = qtest_init("-M none");

    add_null_node(qts, "n0", 1 * MiB);
    qtest_qmp_assert_success(qts, "{\"execute\": \"blockdev-add\", "
        "\"arguments\": {\"driver\": \"raw\", \"node-name\": \"fixed\", "
        "\"size\": 4096, \"file\": {\"driver\": \"file\", \"node-name\": "
        "\"ff\", \"filename\": \"%s\"}}}", img);

    qmp_expect_error(qts, "Cannot find device='' nor node-name=''",
                     "{\"execute\": \"block_resize\", \"arguments\": "
                     "{\"size\": 1048576}}");
    qmp_expect_error(qts, "Cannot find device='' nor node-name='nosuch'",
                     "{\"execute\": \"block_resize\", \"arguments\": "
                     "{\"node-name\": \"nosuch\", \"size\": -1}}");
    /* a node name is no device name */
    qmp_expect_error(qts, "Cannot find device='n0' nor node-name=''",
                     "{\"execute\": \"block_resize\", \"arguments\": "
                     "{\"device\": \"n0\", \"size\": 1048576}}");
    qmp_expect_error(qts, "Parameter 'size' expects a >0 size",
                     "{\"execute\": \"block_resize\", \"arguments\": "
                     "{\"node-name\": \"n0\", \"size\": -1}}");
    qmp_expect_error(qts, "Image format driver does not support resize",
                     "{\"execute\": \"block_resize\", \"arguments\": "
                     "{\"device\": \"n0\", \"node-name\": \"n0\", "
                     "\"size\": 1048576}}");
    qmp_expect_error(qts, "Cannot resize fixed-size raw disks",
                     "{\"execute\": \"block_resize\", \"arguments\": "
                     "{\"node-name\": \"fixed\", \"size\": 8192}}");
    /* a fixed window over the file: the file may not change size */
    qmp_expect_error(qts, "Permission conflict on node 'ff': permissions "
                     "'resize' are both required by an unnamed block device "
                     "(uses node 'ff' as 'root' child) and unshared by node "
                     "'fixed' (uses node 'ff' as 'file' child).",
                     "{\"execute\": \"block_resize\", \"arguments\": "
                     "{\"node-name\": \"ff\", \"size\": 8192}}");
    qtest_qmp_assert_success(qts, "{\"execute\": \"blockdev-add\", "
        "\"arguments\": {\"driver\": \"file\", \"node-name\": \"f2\", "
        "\"filename\": \"%s\", \"locking\": \"off\"}}", img);
    qmp_expect_error(qts, "offset(9223372036854775807) exceeds "
                     "maximum(9223372035781033984)",
                     "{\"execute\": \"block_resize\", \"arguments\": "
                     "{\"node-name\": \"f2\", "
                     "\"size\": 9223372036854775807}}");
    qtest_qmp_assert_success(qts, "{\"execute\": \"blockdev-reopen\", "
        "\"arguments\": {\"options\": [{\"driver\": \"file\", "
        "\"node-name\": \"f2\", \"filename\": \"%s\", "
        "\"locking\": \"off\", \"read-only\": true}]}}", img);
    qmp_expect_error(qts, "Image is read-only",
                     "{\"execute\": \"block_resize\", \"arguments\": "
                     "{\"node-name\": \"f2\", \"size\": 8192}}");
    g_assert_cmpint(file_size(img), ==, 1 * MiB);
    qtest_quit(qts);
    unlink(img);
}

/*
 * Grow and shrink a raw node over a file: the file follows, and so do
 * the bitmaps: grown space is clean, a kept partial granule keeps its bit.
 */
static void test_bitmaps_resized(void)
{
    g_autofree char *img = make_image(block_test_dir(), "resize.raw", 1 * MiB);
    g_autofree char *sha_before = NULL, *sha = NULL;
    QTestState *qts = qtest_init("-M none");

    qtest_qmp_assert_success(qts, "{\"execute\": \"blockdev-add\", "
        "\"arguments\": {\"driver\": \"raw\", \"node-name\": \"r0\", "
        "\"file\": {\"driver\": \"file\", \"node-name\": \"f0\", "
        "\"filename\": \"%s\"}}}", img);
    qtest_qmp_assert_success(qts, "{\"execute\": \"block-dirty-bitmap-add\","
        " \"arguments\": {\"node\": \"r0\", \"name\": \"b0\"}}");
    qtest_qmp_assert_success(qts, "{\"execute\": \"block-dirty-bitmap-add\","
        " \"arguments\": {\"node\": \"f0\", \"name\": \"fb\", "
        "\"granularity\": 512}}");
    qemu_io(qts, "r0", "write 960k 64k");
    sha_before = mig_bitmap_sha256(qts, "r0", "b0");

    resize(qts, "r0", 2 * MiB);
    g_assert_cmpint(node_size(qts, "r0"), ==, 2 * MiB);
    g_assert_cmpint(node_size(qts, "f0"), ==, 2 * MiB);
    g_assert_cmpint(file_size(img), ==, 2 * MiB);
    g_assert_cmpint(bitmap_count(qts, "r0", "b0"), ==, 65536);
    g_assert_cmpint(bitmap_count(qts, "f0", "fb"), ==, 65536);
    /* 32 granules now: one merge proves the sizes match */
    qtest_qmp_assert_success(qts, "{\"execute\": \"block-dirty-bitmap-add\","
        " \"arguments\": {\"node\": \"r0\", \"name\": \"new\"}}");
    qtest_qmp_assert_success(qts, "{\"execute\": "
        "\"block-dirty-bitmap-merge\", \"arguments\": {\"node\": \"r0\", "
        "\"target\": \"new\", \"bitmaps\": [\"b0\"]}}");
    qemu_io(qts, "r0", "write 1536k 4k");
    g_assert_cmpint(bitmap_count(qts, "r0", "b0"), ==, 131072);

    /* Shrink into the first dirty granule: its bit stays. */
    resize(qts, "r0", 1000000);
    g_assert_cmpint(node_size(qts, "r0"), ==, 1000448);
    g_assert_cmpint(file_size(img), ==, 1000000);
    g_assert_cmpint(bitmap_count(qts, "r0", "b0"), ==, 65536);
    sha = mig_bitmap_sha256(qts, "r0", "b0");
    g_assert_cmpstr(sha, ==, sha_before);
    /* every bitmap of the node follows: they still merge */
    g_assert_cmpint(bitmap_count(qts, "r0", "new"), ==, 65536);
    qtest_qmp_assert_success(qts, "{\"execute\": "
        "\"block-dirty-bitmap-merge\", \"arguments\": {\"node\": \"r0\", "
        "\"target\": \"new\", \"bitmaps\": [\"b0\"]}}");
    qtest_quit(qts);
    unlink(img);
}

/* The parent's length follows a resize of its file node. */
static void test_file_node(void)
{
    g_autofree char *img = make_image(block_test_dir(), "file.raw", 1 * MiB);
    QTestState *qts = qtest_init("-M none");

    qtest_qmp_assert_success(qts, "{\"execute\": \"blockdev-add\", "
        "\"arguments\": {\"driver\": \"raw\", \"node-name\": \"r0\", "
        "\"file\": {\"driver\": \"file\", \"node-name\": \"f0\", "
        "\"filename\": \"%s\"}}}", img);
    resize(qts, "f0", 3 * MiB);
    g_assert_cmpint(node_size(qts, "r0"), ==, 3 * MiB);
    resize(qts, "f0", 0);
    g_assert_cmpint(node_size(qts, "r0"), ==, 0);
    g_assert_cmpint(file_size(img), ==, 0);
    qtest_quit(qts);
    unlink(img);
}

/* HMP block_resize DEVICE SIZE: a drive name, MiB without a suffix. */
static void test_hmp(void)
{
    g_autofree char *img = make_image(block_test_dir(), "hmp.raw", 1 * MiB);
    QTestState *qts = qtest_initf("-M none -drive if=none,id=d0,file=%s,"
                                  "format=raw,node-name=n0", img);
    char *out;

    out = qtest_hmp(qts, "block_resize d0 2M");
    g_assert_cmpstr(out, ==, "");
    g_free(out);
    g_assert_cmpint(file_size(img), ==, 2 * MiB);
    out = qtest_hmp(qts, "block_resize d0 3");
    g_assert_cmpstr(out, ==, "");
    g_free(out);
    g_assert_cmpint(file_size(img), ==, 3 * MiB);
    out = qtest_hmp(qts, "block_resize d0 1k");
    g_assert_cmpstr(out, ==, "");
    g_free(out);
    g_assert_cmpint(file_size(img), ==, 1024);
    out = qtest_hmp(qts, "block_resize n0 2M");
    g_assert_cmpstr(out, ==,
                    "Error: Cannot find device='n0' nor node-name=''\r\n");
    g_free(out);
    out = qtest_hmp(qts, "block_resize d0 -1");
    g_assert_cmpstr(out, ==, "invalid size\r\n"
                    "Try \"help block_resize\" for more information\r\n");
    g_free(out);
    out = qtest_hmp(qts, "block_resize d0");
    g_assert_cmpstr(out, ==, "invalid size\r\n"
                    "Try \"help block_resize\" for more information\r\n");
    g_free(out);
    out = qtest_hmp(qts, "help block_resize");
    g_assert_cmpstr(out, ==,
                    "block_resize device size -- resize a block image\r\n");
    g_free(out);
    g_assert_cmpint(file_size(img), ==, 1024);
    qtest_quit(qts);
    unlink(img);
}

/* Nothing runs as a block job here; QEMU's harness asks. */
static void test_no_jobs(void)
{
    QTestState *qts = qtest_init("-M none");
    json_t *r;

    r = qtest_qmp_assert_success_ref(qts, "{\"execute\": "
                                     "\"query-block-jobs\"}");
    g_assert_true(json_is_array(r) && json_array_size(r) == 0);
    json_decref(r);
    r = qtest_qmp_assert_success_ref(qts, "{\"execute\": \"query-jobs\"}");
    g_assert_true(json_is_array(r) && json_array_size(r) == 0);
    json_decref(r);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/block-resize/errors", test_errors);
    g_test_add_func("/block-resize/bitmaps", test_bitmaps_resized);
    g_test_add_func("/block-resize/file-node", test_file_node);
    g_test_add_func("/block-resize/hmp", test_hmp);
    g_test_add_func("/block-resize/no-jobs", test_no_jobs);

    return g_test_run();
}
