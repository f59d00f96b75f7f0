/* SPDX-License-Identifier: GPL-2.0-or-later */
/* blockdev-reopen, block_resize, transaction: QEMU 7.2 replies, compared. */
#include "qemu/osdep.h"

#include "libqtest.h"

#define QEMU_BINARY "/usr/bin/qemu-system-x86_64"

static char *tmpdir;
static const char *minivmm_binary;

/*
 * Each scenario is a list of QMP commands; "@IMG@" stands for a 1 MiB
 * raw image made afresh for each run. Both binaries must give the same
 * replies, except for actual-size (allocation is the file system's) and
 * the numbers in generated node names. Known differences are left out:
 * QEMU 7.2 aborts on an empty blockdev-reopen list and on a grouped
 * block-dirty-bitmap-enable, and its abort of a failed enable disables
 * the bitmap.
 */
static const char *const scenario_reopen[] = {
    "{'execute': 'blockdev-add', 'arguments': {'driver': 'null-co', "
    "'node-name': 'n0', 'size': 1048576}}",
    "{'execute': 'block-dirty-bitmap-add', 'arguments': {'node': 'n0', "
    "'name': 'b0'}}",
    "{'execute': 'blockdev-reopen', 'arguments': {'options': "
    "[{'driver': 'null-co'}]}}",
    "{'execute': 'blockdev-reopen', 'arguments': {'options': "
    "[{'driver': 'null-co', 'node-name': 'nosuch'}]}}",
    "{'execute': 'blockdev-reopen', 'arguments': {'options': "
    "[{'driver': 'null-co', 'node-name': 'n0', 'read-only': true}]}}",
    "{'execute': 'blockdev-reopen', 'arguments': {'options': "
    "[{'driver': 'null-aio', 'node-name': 'n0', 'size': 1048576}]}}",
    "{'execute': 'blockdev-reopen', 'arguments': {'options': "
    "[{'driver': 'null-co', 'node-name': 'n0', 'size': 1048576, "
    "'read-only': true, 'detect-zeroes': 'on', "
    "'cache': {'direct': true}}]}}",
    "{'execute': 'block-dirty-bitmap-clear', 'arguments': {'node': 'n0', "
    "'name': 'b0'}}",
    "{'execute': 'human-monitor-command', 'arguments': {'command-line': "
    "'qemu-io n0 \\\"write 0 4k\\\"'}}",
    "{'execute': 'query-named-block-nodes'}",
    "{'execute': 'blockdev-reopen', 'arguments': {'options': "
    "[{'driver': 'null-co', 'node-name': 'n0', 'size': 1048576, "
    "'force-share': true}]}}",
    "{'execute': 'blockdev-add', 'arguments': {'driver': 'raw', "
    "'node-name': 'r0', 'file': {'driver': 'file', 'node-name': 'fc', "
    "'filename': '@IMG@'}}}",
    "{'execute': 'block-dirty-bitmap-add', 'arguments': {'node': 'r0', "
    "'name': 'b1', 'granularity': 512}}",
    "{'execute': 'human-monitor-command', 'arguments': {'command-line': "
    "'qemu-io r0 \\\"write 1000 70k\\\"'}}",
    "{'execute': 'blockdev-reopen', 'arguments': {'options': "
    "[{'driver': 'raw', 'node-name': 'r0', 'file': 'fc', "
    "'read-only': true}]}}",
    "{'execute': 'query-named-block-nodes', 'arguments': {'flat': true}}",
    "{'execute': 'x-debug-block-dirty-bitmap-sha256', 'arguments': "
    "{'node': 'r0', 'name': 'b1'}}",
    "{'execute': 'blockdev-reopen', 'arguments': {'options': "
    "[{'driver': 'raw', 'node-name': 'r0', 'file': 'fc'}]}}",
    "{'execute': 'query-named-block-nodes', 'arguments': {'flat': true}}",
    "{'execute': 'blockdev-reopen', 'arguments': {'options': "
    "[{'driver': 'raw', 'node-name': 'r0', 'file': {'driver': 'file', "
    "'filename': '@IMG@', 'read-only': false}, 'offset': 512, "
    "'size': 4096}]}}",
    "{'execute': 'query-named-block-nodes', 'arguments': {'flat': true}}",
    "{'execute': 'blockdev-reopen', 'arguments': {'options': "
    "[{'driver': 'raw', 'node-name': 'r0', 'file': 'fc', 'size': 4000}]}}",
    "{'execute': 'blockdev-reopen', 'arguments': {'options': "
    "[{'driver': 'raw', 'node-name': 'r0', 'file': 'fc', "
    "'offset': 5120000}]}}",
    "{'execute': 'blockdev-reopen', 'arguments': {'options': "
    "[{'driver': 'raw', 'node-name': 'r0', 'file': 'r0'}]}}",
    "{'execute': 'blockdev-reopen', 'arguments': {'options': "
    "[{'driver': 'raw', 'node-name': 'r0', 'file': 'nosuch'}]}}",
    "{'execute': 'blockdev-reopen', 'arguments': {'options': "
    "[{'driver': 'raw', 'node-name': 'r0', 'file': {'driver': 'file', "
    "'node-name': 'zz', 'filename': '@IMG@'}}]}}",
    "{'execute': 'blockdev-reopen', 'arguments': {'options': "
    "[{'driver': 'file', 'node-name': 'fc', 'filename': '@IMG@', "
    "'locking': 'on'}]}}",
    "{'execute': 'blockdev-reopen', 'arguments': {'options': "
    "[{'driver': 'raw', 'node-name': 'r0', 'file': 'fc', "
    "'detect-zeroes': 'unmap'}]}}",
    "{'execute': 'blockdev-add', 'arguments': {'driver': 'raw', "
    "'node-name': 'r1', 'file': 'n0'}}",
    "{'execute': 'blockdev-reopen', 'arguments': {'options': "
    "[{'driver': 'raw', 'node-name': 'r0', 'file': 'n0'}, "
    "{'driver': 'null-co', 'node-name': 'n0', 'size': 512}]}}",
    "{'execute': 'blockdev-reopen', 'arguments': {'options': "
    "[{'driver': 'raw', 'node-name': 'r0', 'file': 'n0'}]}}",
    "{'execute': 'query-named-block-nodes', 'arguments': {'flat': true}}",
    NULL
};

static const char *const scenario_resize[] = {
    "{'execute': 'blockdev-add', 'arguments': {'driver': 'null-co', "
    "'node-name': 'n0', 'size': 1048576}}",
    "{'execute': 'blockdev-add', 'arguments': {'driver': 'raw', "
    "'node-name': 'r0', 'file': {'driver': 'file', 'node-name': 'f0', "
    "'filename': '@IMG@'}}}",
    "{'execute': 'block-dirty-bitmap-add', 'arguments': {'node': 'r0', "
    "'name': 'b0'}}",
    "{'execute': 'human-monitor-command', 'arguments': {'command-line': "
    "'qemu-io r0 \\\"write 960k 64k\\\"'}}",
    "{'execute': 'block_resize', 'arguments': {'size': 1048576}}",
    "{'execute': 'block_resize', 'arguments': {'node-name': 'nosuch', "
    "'size': -1}}",
    "{'execute': 'block_resize', 'arguments': {'device': 'n0', "
    "'size': 1048576}}",
    "{'execute': 'block_resize', 'arguments': {'node-name': 'n0', "
    "'size': -1}}",
    "{'execute': 'block_resize', 'arguments': {'node-name': 'n0', "
    "'size': 2097152}}",
    "{'execute': 'block_resize', 'arguments': {'node-name': 'r0', "
    "'size': 2097152}}",
    "{'execute': 'query-named-block-nodes', 'arguments': {'flat': true}}",
    "{'execute': 'block_resize', 'arguments': {'node-name': 'r0', "
    "'size': 1000000}}",
    "{'execute': 'query-named-block-nodes', 'arguments': {'flat': true}}",
    "{'execute': 'x-debug-block-dirty-bitmap-sha256', 'arguments': "
    "{'node': 'r0', 'name': 'b0'}}",
    "{'execute': 'block_resize', 'arguments': {'node-name': 'f0', "
    "'size': 9223372036854775807}}",
    "{'execute': 'blockdev-reopen', 'arguments': {'options': "
    "[{'driver': 'raw', 'node-name': 'r0', 'file': 'f0', 'size': 4096}]}}",
    "{'execute': 'block_resize', 'arguments': {'node-name': 'r0', "
    "'size': 8192}}",
    "{'execute': 'human-monitor-command', 'arguments': {'command-line': "
    "'block_resize r0 2M'}}",
    "{'execute': 'human-monitor-command', 'arguments': {'command-line': "
    "'block_resize r0 x'}}",
    "{'execute': 'query-block-jobs'}",
    "{'execute': 'query-jobs'}",
    NULL
};

static const char *const scenario_transaction[] = {
    "{'execute': 'blockdev-add', 'arguments': {'driver': 'null-co', "
    "'node-name': 'n0', 'size': 1048576}}",
    "{'execute': 'transaction', 'arguments': {'actions': ["
    "{'type': 'block-dirty-bitmap-add', 'data': {'node': 'n0', "
    "'name': 'a'}}, {'type': 'block-dirty-bitmap-add', 'data': "
    "{'node': 'n0', 'name': 'b', 'granularity': 512, 'disabled': true}}]}}",
    "{'execute': 'human-monitor-command', 'arguments': {'command-line': "
    "'qemu-io n0 \\\"write 0 100k\\\"'}}",
    "{'execute': 'transaction', 'arguments': {'actions': []}}",
    "{'execute': 'transaction', 'arguments': {'actions': ["
    "{'type': 'abort', 'data': {}}]}}",
    "{'execute': 'transaction', 'arguments': {'actions': ["
    "{'type': 'block-dirty-bitmap-clear', 'data': {'node': 'n0', "
    "'name': 'a'}}, {'type': 'block-dirty-bitmap-enable', 'data': "
    "{'node': 'n0', 'name': 'b'}}, {'type': 'block-dirty-bitmap-add', "
    "'data': {'node': 'n0', 'name': 'c'}}, {'type': "
    "'block-dirty-bitmap-merge', 'data': {'node': 'n0', 'target': 'a', "
    "'bitmaps': ['b', 'nosuch']}}]}}",
    "{'execute': 'query-named-block-nodes'}",
    "{'execute': 'x-debug-block-dirty-bitmap-sha256', 'arguments': "
    "{'node': 'n0', 'name': 'a'}}",
    "{'execute': 'transaction', 'arguments': {'actions': ["
    "{'type': 'block-dirty-bitmap-remove', 'data': {'node': 'n0', "
    "'name': 'a'}}, {'type': 'block-dirty-bitmap-add', 'data': "
    "{'node': 'n0', 'name': 'a'}}]}}",
    "{'execute': 'transaction', 'arguments': {'actions': ["
    "{'type': 'block-dirty-bitmap-add', 'data': {'node': 'n0', "
    "'name': 'c'}}, {'type': 'block-dirty-bitmap-remove', 'data': "
    "{'node': 'n0', 'name': 'c'}}]}}",
    "{'execute': 'transaction', 'arguments': {'actions': ["
    "{'type': 'block-dirty-bitmap-disable', 'data': {'node': 'n0', "
    "'name': 'a'}}, {'type': 'block-dirty-bitmap-remove', 'data': "
    "{'node': 'n0', 'name': 'a'}}, {'type': 'abort', 'data': {}}]}}",
    "{'execute': 'transaction', 'arguments': {'actions': ["
    "{'type': 'block-dirty-bitmap-add', 'data': {'node': 'n0', "
    "'name': 'z'}}], 'properties': {'completion-mode': 'grouped'}}}",
    "{'execute': 'transaction', 'arguments': {'actions': ["
    "{'type': 'block-dirty-bitmap-disable', 'data': {'node': 'n0', "
    "'name': 'a'}}], 'properties': {'completion-mode': 'grouped'}}}",
    "{'execute': 'transaction', 'arguments': {'actions': ["
    "{'type': 'blockdev-snapshot-sync', 'data': {'device': 'nosuch', "
    "'snapshot-file': '/nonexistent'}}]}}",
    "{'execute': 'transaction', 'arguments': {'actions': ["
    "{'type': 'blockdev-backup', 'data': {'device': 'n0', "
    "'target': 'nosuch', 'sync': 'full'}}]}}",
    "{'execute': 'transaction', 'arguments': {'actions': ["
    "{'type': 'block-dirty-bitmap-merge', 'data': {'node': 'n0', "
    "'target': 'a', 'bitmaps': ['b']}}, {'type': "
    "'block-dirty-bitmap-clear', 'data': {'node': 'n0', 'name': 'b'}}]}}",
    "{'execute': 'query-named-block-nodes'}",
    "{'execute': 'x-debug-block-dirty-bitmap-sha256', 'arguments': "
    "{'node': 'n0', 'name': 'a'}}",
    NULL
};

/* Drop what differs for reasons outside the commands' semantics. */
static void normalize(json_t *v)
{
    const char *key;
    json_t *m;
    size_t i;

    if (json_is_object(v)) {
        json_object_del(v, "actual-size");
        json_object_foreach(v, key, m) {
            normalize(m);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, m) {
            normalize(m);
        }
    }
}

static GPtrArray *run(const char *binary, const char *const *cmds)
{
    g_autofree char *img = g_build_filename(tmpdir, "img.raw", NULL);
    g_autoptr(GRegex) gen = g_regex_new("#block[0-9]+", 0, 0, NULL);
    GPtrArray *replies = g_ptr_array_new_with_free_func(g_free);
    QTestState *qts;
    int fd;

    fd = open(img, O_CREAT | O_TRUNC | O_RDWR, 0600);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, 1 * MiB), ==, 0);
    close(fd);
    g_setenv("MINIVMM_BINARY", binary, true);
    qts = qtest_init("-M none -nodefaults");
    for (; *cmds; cmds++) {
        g_autofree char *quoted = g_strdelimit(g_strdup(*cmds), "'", '"');
        g_auto(GStrv) parts = g_strsplit(quoted, "@IMG@", -1);
        g_autofree char *cmd = g_strjoinv(img, parts);
        g_autofree char *text = NULL, *reply = NULL;
        json_t *r = qtest_qmp(qts, "%s", cmd);

        normalize(r);
        text = json_dumps(r, JSON_SORT_KEYS | JSON_COMPACT);
        reply = g_regex_replace_literal(gen, text, -1, 0, "#blockN", 0,
                                        NULL);
        g_ptr_array_add(replies, g_strdup_printf("%s\n  -> %s", cmd,
                                                 reply));
        json_decref(r);
    }
    qtest_quit(qts);
    unlink(img);
    return replies;
}

static void test_scenario(gconstpointer data)
{
    const char *const *cmds = data;
    g_autoptr(GPtrArray) qemu = NULL, ours = NULL;
    guint i;

    if (access(QEMU_BINARY, X_OK) != 0) {
        g_test_skip("QEMU 7.2 (" QEMU_BINARY ") is not installed");
        return;
    }
    qemu = run(QEMU_BINARY, cmds);
    ours = run(minivmm_binary, cmds);
    g_assert_cmpuint(ours->len, ==, qemu->len);
    for (i = 0; i < qemu->len; i++) {
        g_assert_cmpstr(g_ptr_array_index(ours, i), ==,
                        g_ptr_array_index(qemu, i));
    }
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    minivmm_binary = g_strdup(qtest_binary());
    tmpdir = g_dir_make_tmp("block-ops-interop-XXXXXX", NULL);

    g_test_add_data_func("/interop/block/reopen", scenario_reopen,
                         test_scenario);
    g_test_add_data_func("/interop/block/resize", scenario_resize,
                         test_scenario);
    g_test_add_data_func("/interop/block/transaction", scenario_transaction,
                         test_scenario);
    ret = g_test_run();
    rmdir(tmpdir);
    return ret;
}
