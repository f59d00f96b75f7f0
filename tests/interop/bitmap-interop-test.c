/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The same bitmap operations on minivmm and QEMU 7.2 give the same bits. */
#include "qemu/osdep.h"

#include "libqtest.h"
#include "migration-helpers.h"

static char *tmpdir;
static const char *minivmm_binary;

/* Guest-style writes every run replays, as qemu-io commands. */
static const char *const io_cmds[] = {
    "write 0 64k",
    "write -z 65536 512",
    "write 1000 1",
    "write 3M 100k",
    "write -P 0x55 536870400 1024",
    "discard 5M 1M",
    "write -z 1073676288 65536",
    "write 200000000 300000",
    "discard 8M 3M",
    "write 1073741823 1",
};

typedef struct RunResult {
    char *sha[2];               /* sha256 of "bm" on "n0" and on "f0" */
    int64_t count[2];           /* its count in query-named-block-nodes */
} RunResult;

/* The count of @node's one bitmap in query-named-block-nodes. */
static int64_t bitmap_count(QTestState *qts, const char *node)
{
    json_t *bms = mig_node_bitmaps(qts, node);
    int64_t count;

    g_assert_cmpint(json_array_size(bms), ==, 1);
    count = json_integer_value(json_object_get(json_array_get(bms, 0),
                                               "count"));
    json_decref(bms);
    return count;
}

/* One VM of @binary: a null-co node and a raw file node with discard. */
static void run(const char *binary, const char *image, int granularity,
                RunResult *res)
{
    static const char *const nodes[] = { "n0", "f0" };
    QTestState *qts;
    size_t i, n;
    int fd;

    fd = open(image, O_CREAT | O_TRUNC | O_RDWR, 0600);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, 1 * GiB), ==, 0);
    close(fd);

    qts = mig_vm_start_binary(binary, "-M none -nodefaults");
    qtest_qmp_assert_success(qts, "{\"execute\": \"blockdev-add\", "
                             "\"arguments\": {\"driver\": \"null-co\", "
                             "\"node-name\": \"n0\"}}");
    qtest_qmp_assert_success(qts, "{\"execute\": \"blockdev-add\", "
                             "\"arguments\": {\"driver\": \"raw\", "
                             "\"node-name\": \"f0\", \"discard\": "
                             "\"unmap\", \"file\": {\"driver\": \"file\", "
                             "\"filename\": \"%s\"}}}", image);
    for (n = 0; n < ARRAY_SIZE(nodes); n++) {
        mig_bitmap_add(qts, nodes[n], "bm", granularity, false);
        for (i = 0; i < ARRAY_SIZE(io_cmds); i++) {
            g_free(qtest_hmp(qts, "qemu-io %s \"%s\"", nodes[n],
                             io_cmds[i]));
        }
        res->sha[n] = mig_bitmap_sha256(qts, nodes[n], "bm");
        res->count[n] = bitmap_count(qts, nodes[n]);
    }
    qtest_quit(qts);
    unlink(image);
}

static void test_granularity(gconstpointer data)
{
    int granularity = GPOINTER_TO_INT(data);
    g_autofree char *image = g_build_filename(tmpdir, "img.raw", NULL);
    RunResult qemu = { { NULL } }, ours = { { NULL } };
    int n;

    if (mig_skip_without_qemu_7_2()) {
        return;
    }
    run(mig_qemu_7_2(), image, granularity, &qemu);
    run(minivmm_binary, image, granularity, &ours);
    for (n = 0; n < 2; n++) {
        g_assert_cmpstr(ours.sha[n], ==, qemu.sha[n]);
        g_assert_cmpint(ours.count[n], ==, qemu.count[n]);
        g_assert_cmpint(ours.count[n], >, 0);
        g_free(ours.sha[n]);
        g_free(qemu.sha[n]);
    }
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    minivmm_binary = g_strdup(qtest_binary());
    tmpdir = g_dir_make_tmp("bitmap-interop-XXXXXX", NULL);

    g_test_add_data_func("/interop/bitmap/granularity-512",
                         GINT_TO_POINTER(512), test_granularity);
    g_test_add_data_func("/interop/bitmap/granularity-64k",
                         GINT_TO_POINTER(65536), test_granularity);
    g_test_add_data_func("/interop/bitmap/granularity-1m",
                         GINT_TO_POINTER(1048576), test_granularity);

    ret = g_test_run();
    rmdir(tmpdir);
    g_free(tmpdir);
    return ret;
}
