/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP transaction with the bitmap actions: all or nothing. */
#include "qemu/osdep.h"

#include "block-qmp-util.h"

#define TXN(actions) \
    "{\"execute\": \"transaction\", \"arguments\": {\"actions\": [" \
    actions "]}}"
#define ACT(type, data) "{\"type\": \"" type "\", \"data\": " data "}"
#define BM(node, name) "{\"node\": \"" node "\", \"name\": \"" name "\"}"

/*
 * Two 1 MiB null-co nodes with bitmaps in several states: on n0, a
 * enabled (3 granules dirty), b disabled (512 B granules), c enabled
 * (1 granule); on r0, d enabled (1 granule).
 */
static QTestState *start(void)
{
    QTestState *qts = qtest_init("-M none");

    add_null_node(qts, "n0", 1 * MiB);
    add_null_node(qts, "r0", 1 * MiB);
    qtest_qmp_assert_success(qts, TXN(
        ACT("block-dirty-bitmap-add", BM("n0", "a")) ", "
        ACT("block-dirty-bitmap-add", "{\"node\": \"n0\", \"name\": \"b\", "
            "\"granularity\": 512}") ", "
        ACT("block-dirty-bitmap-add", BM("r0", "d"))));
    qemu_io(qts, "n0", "write 0 100k");
    qemu_io(qts, "r0", "write 512k 4k");
    qtest_qmp_assert_success(qts, TXN(
        ACT("block-dirty-bitmap-disable", BM("n0", "b")) ", "
        ACT("block-dirty-bitmap-add", BM("n0", "c"))));
    qemu_io(qts, "n0", "write 700k 1k");
    return qts;
}

/* @failing fails in the middle of actions that would change everything. */
static void check_nothing_changes(const char *failing, const char *error)
{
    QTestState *qts = start();
    g_autofree char *before = bitmaps_snapshot(qts);
    g_autofree char *after = NULL;

    g_assert_true(strstr(before, "n0/a count=196608 ") != NULL);
    qmp_expect_errorf(qts, error, TXN(
        ACT("block-dirty-bitmap-clear", BM("n0", "a")) ", "
        ACT("block-dirty-bitmap-disable", BM("n0", "c")) ", "
        ACT("block-dirty-bitmap-enable", BM("n0", "b")) ", "
        ACT("block-dirty-bitmap-merge", "{\"node\": \"r0\", \"target\": "
            "\"d\", \"bitmaps\": [{\"node\": \"n0\", \"name\": \"b\"}]}")
        ", "
        ACT("block-dirty-bitmap-add", BM("n0", "e")) ", "
        ACT("block-dirty-bitmap-remove", BM("n0", "c")) ", "
        "%s, "
        ACT("block-dirty-bitmap-add", BM("r0", "f"))), failing);
    after = bitmaps_snapshot(qts);
    g_assert_cmpstr(after, ==, before);
    /* c is not left busy: it can go, and e never came */
    qtest_qmp_assert_success(qts, "{\"execute\": "
        "\"block-dirty-bitmap-remove\", \"arguments\": " BM("n0", "c") "}");
    qmp_expect_error(qts, "Dirty bitmap 'e' not found",
                     "{\"execute\": \"block-dirty-bitmap-remove\", "
                     "\"arguments\": " BM("n0", "e") "}");
    qtest_quit(qts);
}

static void test_fail_abort_action(void)
{
    check_nothing_changes(ACT("abort", "{}"),
                          "Transaction aborted using Abort action");
}

static void test_fail_duplicate(void)
{
    check_nothing_changes(ACT("block-dirty-bitmap-add", BM("n0", "e")),
                          "Bitmap already exists: e");
}

static void test_fail_busy(void)
{
    check_nothing_changes(ACT("block-dirty-bitmap-clear", BM("n0", "c")),
                          "Bitmap 'c' is currently in use by another "
                          "operation and cannot be used");
}

static void test_fail_merge_source(void)
{
    check_nothing_changes(ACT("block-dirty-bitmap-merge",
                              "{\"node\": \"n0\", \"target\": \"a\", "
                              "\"bitmaps\": [\"b\", \"nosuch\"]}"),
                          "Dirty bitmap 'nosuch' not found");
}

static void test_fail_unsupported(void)
{
    if (strstr(qtest_binary(), "qemu-system")) {
        g_test_skip("QEMU 7.2 implements blockdev-snapshot-sync");
        return;
    }
    check_nothing_changes(ACT("blockdev-snapshot-sync",
                              "{\"node-name\": \"n0\", \"snapshot-file\": "
                              "\"/nonexistent/snap.qcow2\"}"),
                          "Action 'blockdev-snapshot-sync' is not "
                          "supported");
}

/* The same actions, none failing: each takes effect, in order. */
static void test_commit(void)
{
    QTestState *qts = start();
    g_autofree char *sha_b = mig_bitmap_sha256(qts, "n0", "b");
    g_autofree char *sha_a = mig_bitmap_sha256(qts, "n0", "a");
    g_autofree char *sha_d = NULL, *snap = NULL;

    qtest_qmp_assert_success(qts, TXN(
        ACT("block-dirty-bitmap-add", BM("n0", "e")) ", "
        ACT("block-dirty-bitmap-merge", "{\"node\": \"n0\", \"target\": "
            "\"e\", \"bitmaps\": [\"a\"]}") ", "
        ACT("block-dirty-bitmap-clear", BM("n0", "a")) ", "
        ACT("block-dirty-bitmap-disable", BM("n0", "c")) ", "
        ACT("block-dirty-bitmap-enable", BM("n0", "b")) ", "
        ACT("block-dirty-bitmap-remove", BM("r0", "d")) ", "
        ACT("block-dirty-bitmap-add", "{\"node\": \"r0\", \"name\": \"g\", "
            "\"granularity\": 512, \"disabled\": true}") ", "
        ACT("block-dirty-bitmap-merge", "{\"node\": \"r0\", \"target\": "
            "\"g\", \"bitmaps\": [{\"node\": \"n0\", \"name\": \"b\"}]}")));
    snap = bitmaps_snapshot(qts);
    g_assert_true(strstr(snap, "n0/a count=0 gran=65536 rec=1 ") != NULL);
    g_assert_true(strstr(snap, "n0/b count=102400 gran=512 rec=1 ") != NULL);
    g_assert_true(strstr(snap, "n0/c count=65536 gran=65536 rec=0 ") !=
                  NULL);
    g_assert_true(strstr(snap, "n0/e count=196608 gran=65536 rec=1 ") !=
                  NULL);
    g_assert_true(strstr(snap, "r0/g count=102400 gran=512 rec=0 ") != NULL);
    g_assert_true(strstr(snap, "r0/d ") == NULL);
    g_assert_true(strstr(snap, "busy=1") == NULL);
    g_free(snap);
    snap = mig_bitmap_sha256(qts, "n0", "e");
    g_assert_cmpstr(snap, ==, sha_a);
    sha_d = mig_bitmap_sha256(qts, "r0", "g");
    g_assert_cmpstr(sha_d, ==, sha_b);
    qtest_quit(qts);
}

static void test_errors(void)
{
    QTestState *qts = start();
    g_autofree char *before = bitmaps_snapshot(qts);
    g_autofree char *after = NULL;
    static const char *const bitmap_actions[] = {
        "block-dirty-bitmap-add", "block-dirty-bitmap-remove",
        "block-dirty-bitmap-clear", "block-dirty-bitmap-enable",
        "block-dirty-bitmap-disable",
    };
    size_t i;

    qtest_qmp_assert_success(qts, TXN(""));
    qmp_expect_error(qts, "Transaction aborted using Abort action",
                     "{\"execute\": \"transaction\", \"arguments\": "
                     "{\"actions\": [" ACT("abort", "{}") "], "
                     "\"properties\": {\"completion-mode\": "
                     "\"grouped\"}}}");
    for (i = 0; i < ARRAY_SIZE(bitmap_actions); i++) {
        g_autofree char *msg = NULL;

        if (strstr(qtest_binary(), "qemu-system") &&
            !strcmp(bitmap_actions[i], "block-dirty-bitmap-enable")) {
            continue;   /* QEMU 7.2 crashes undoing this one */
        }
        msg = g_strdup_printf("Action '%s' does not support "
                              "Transaction property completion-mode = "
                              "grouped", bitmap_actions[i]);

        qmp_expect_errorf(qts, msg, "{\"execute\": \"transaction\", "
                          "\"arguments\": {\"actions\": [{\"type\": "
                          "\"%s\", \"data\": " BM("n0", "a") "}], "
                          "\"properties\": {\"completion-mode\": "
                          "\"grouped\"}}}", bitmap_actions[i]);
    }
    qtest_qmp_assert_success(qts, "{\"execute\": \"transaction\", "
                             "\"arguments\": {\"actions\": [], "
                             "\"properties\": {\"completion-mode\": "
                             "\"individual\"}}}");
    qmp_expect_error(qts, "Bitmap name cannot be empty",
                     TXN(ACT("block-dirty-bitmap-add", BM("n0", ""))));
    qmp_expect_error(qts, "Can't store persistent bitmaps to n0: Operation "
                     "not supported",
                     TXN(ACT("block-dirty-bitmap-add", "{\"node\": \"n0\", "
                             "\"name\": \"p\", \"persistent\": true}")));
    qmp_expect_error(qts, "Node 'nosuch' not found",
                     TXN(ACT("block-dirty-bitmap-clear", BM("nosuch", "a"))));
    /* the other actions: nodes looked up as QEMU 7.2 does */
    qmp_expect_error(qts, "Cannot find device='n0' nor node-name=''",
                     TXN(ACT("blockdev-snapshot-sync", "{\"device\": "
                             "\"n0\", \"snapshot-file\": \"/x\"}")));
    qmp_expect_error(qts, "Cannot find device='nosuch' nor "
                     "node-name='nosuch'",
                     TXN(ACT("drive-backup", "{\"device\": \"nosuch\", "
                             "\"target\": \"/x\", \"sync\": \"full\"}")));
    qmp_expect_error(qts, "Cannot find device='nosuch' nor "
                     "node-name='nosuch'",
                     TXN(ACT("blockdev-backup", "{\"device\": \"n0\", "
                             "\"target\": \"nosuch\", \"sync\": \"full\"}")));
    qmp_expect_error(qts, "Cannot find device='nosuch' nor "
                     "node-name='nosuch'",
                     TXN(ACT("blockdev-snapshot", "{\"node\": \"nosuch\", "
                             "\"overlay\": \"n0\"}")));
    qmp_expect_error(qts, "Cannot find device='nosuch' nor "
                     "node-name='nosuch'",
                     TXN(ACT("blockdev-snapshot-internal-sync",
                             "{\"device\": \"nosuch\", \"name\": \"s\"}")));
    qmp_expect_error(qts, "Action 'blockdev-snapshot' does not support "
                     "Transaction property completion-mode = grouped",
                     "{\"execute\": \"transaction\", \"arguments\": "
                     "{\"actions\": [" ACT("blockdev-snapshot",
                     "{\"node\": \"nosuch\", \"overlay\": \"n0\"}") "], "
                     "\"properties\": {\"completion-mode\": "
                     "\"grouped\"}}}");
    after = bitmaps_snapshot(qts);
    g_assert_cmpstr(after, ==, before);
    qtest_quit(qts);
}

/*
 * An enable whose prepare failed leaves the bitmap alone when the
 * transaction is undone. (QEMU 7.2's abort disables it: not copied.)
 */
static void test_failed_enable_undone(void)
{
    QTestState *qts = start();
    g_autofree char *before = bitmaps_snapshot(qts);
    g_autofree char *after = NULL;

    if (strstr(qtest_binary(), "qemu-system")) {
        g_test_skip("QEMU 7.2 disables the bitmap here");
        qtest_quit(qts);
        return;
    }
    qmp_expect_error(qts, "Bitmap 'a' is currently in use by another "
                     "operation and cannot be used",
                     TXN(ACT("block-dirty-bitmap-remove", BM("n0", "a")) ", "
                         ACT("block-dirty-bitmap-enable", BM("n0", "a"))));
    after = bitmaps_snapshot(qts);
    g_assert_cmpstr(after, ==, before);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/transaction/fail/abort-action", test_fail_abort_action);
    g_test_add_func("/transaction/fail/duplicate", test_fail_duplicate);
    g_test_add_func("/transaction/fail/busy", test_fail_busy);
    g_test_add_func("/transaction/fail/merge-source", test_fail_merge_source);
    g_test_add_func("/transaction/fail/unsupported", test_fail_unsupported);
    g_test_add_func("/transaction/commit", test_commit);
    g_test_add_func("/transaction/errors", test_errors);
    g_test_add_func("/transaction/failed-enable-undone",
                    test_failed_enable_undone);
    return g_test_run();
}
