/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Dirty-bitmap migration between two VMM processes, over QMP and HMP. */

/*
 * Source and destination are separate processes (-M none, null-co node
 * "drive0" of 1 GiB) driven through the qtest harness.  The source's
 * bitmaps are those of the reference captures (CAPTURES.txt), so both
 * sides must report the sha256 values QEMU 7.2 reported.  The same test
 * runs against QEMU 7.2 itself with QTEST_QEMU_BINARY=qemu-system-x86_64.
 * The interop cases put QEMU 7.2 ($DBM_PEER_QEMU, default
 * /usr/bin/qemu-system-x86_64; skipped if absent) on one side and the
 * binary under test on the other.
 */

#include "qemu/osdep.h"
#include "dbm-common.h"

#define DISK_ARG "-blockdev driver=null-co,node-name=%s,size=1073741824"

/* Which binary runs each side, and how the migration goes. */
typedef struct MigrationCase {
    bool peer_source;           /* QEMU 7.2 is the source */
    bool peer_destination;      /* QEMU 7.2 is the destination */
    bool postcopy;
} MigrationCase;

/*
 * A VM with the null-co node @node, waiting for a migration if
 * @incoming; with @peer, QEMU 7.2 instead of the binary under test.
 */
static QTestState *start_on(bool peer, const char *node, bool incoming)
{
    g_autofree char *args = g_strdup_printf(DBM_BASE_ARGS DISK_ARG "%s",
                                            node,
                                            incoming ? " -incoming defer"
                                                     : "");

    return peer ? mig_vm_start_binary(mig_qemu_7_2(), args)
                : qtest_init(args);
}

/*
 * Capabilities, and the largest downtime-limit: precopy converges once
 * the pending estimate (one byte per bitmap bit, 278528 here) is below
 * bandwidth times downtime-limit, and the bandwidth measured while
 * nothing but empty ram sections flows is tiny on a loaded host.
 */
static void set_caps(QTestState *s)
{
    mig_set_caps(s, "events,dirty-bitmaps");
    mig_set_params(s, "\"downtime-limit\": 2000000");
}

/* CAPTURES.txt's bitmaps: bmA (64 KiB, recording) and bmB (4 KiB, not). */
static void make_source_bitmaps(QTestState *s, const char *node)
{
    mig_bitmap_add(s, node, "bmA", 65536, false);
    mig_bitmap_add(s, node, "bmB", 4096, false);
    dbm_write(s, node, 0, 4096, false);
    dbm_write(s, node, 1048576, 65536, false);
    dbm_write(s, node, 536870912, 1, false);
    qtest_qmp_assert_success(s,
        "{\"execute\": \"block-dirty-bitmap-disable\", \"arguments\": "
        "{\"node\": \"%s\", \"name\": \"bmB\"}}", node);
    dbm_write(s, node, 1073676288, 65536, false);
    dbm_write(s, node, 200000000, 300000, false);
}

static void assert_sha256(QTestState *s, const char *node, const char *name,
                          const char *expected)
{
    g_autofree char *sha = mig_bitmap_sha256(s, node, name);

    g_assert_cmpstr(sha, ==, expected);
}

/* Both sides completed (the events capability is on). */
static void wait_completed(QTestState *src, QTestState *dst)
{
    g_free(mig_wait_status(src, "completed"));
    g_free(mig_wait_status(dst, "completed"));
}

/*
 * Precopy, or postcopy of bitmaps alone: downtime-limit 0 keeps precopy
 * going until migrate-start-postcopy, and the destination runs before the
 * bits arrive.
 */
static void test_migrate(gconstpointer opaque)
{
    const MigrationCase *mc = opaque;
    QTestState *src, *dst;

    if ((mc->peer_source || mc->peer_destination) &&
        mig_skip_without_qemu_7_2()) {
        return;
    }
    src = start_on(mc->peer_source, "drive0", false);
    dst = start_on(mc->peer_destination, "drive0", true);

    make_source_bitmaps(src, "drive0");
    assert_sha256(src, "drive0", "bmA", DBM_SHA_BMA);
    assert_sha256(src, "drive0", "bmB", DBM_SHA_BMB);
    set_caps(src);
    set_caps(dst);
    if (mc->postcopy) {
        mig_set_params(src, "\"downtime-limit\": 0");
    }

    mig_migrate(src, dst);
    if (mc->postcopy) {
        g_free(mig_wait_status(src, "active"));
        dbm_assert_busy_remove(src, "drive0", "bmA");
        qtest_qmp_assert_success(src,
            "{\"execute\": \"migrate-start-postcopy\"}");
    }
    wait_completed(src, dst);
    qtest_qmp_eventwait(dst, "RESUME");

    assert_sha256(dst, "drive0", "bmA", DBM_SHA_BMA);
    assert_sha256(dst, "drive0", "bmB", DBM_SHA_BMB);
    dbm_assert_bitmap(dst, NULL, "drive0", "bmA", true, false, false,
                      65536);
    dbm_assert_bitmap(dst, NULL, "drive0", "bmB", false, false, false,
                      4096);
    /* The source keeps its bitmaps, free again. */
    dbm_assert_bitmap(src, NULL, "drive0", "bmA", true, false, false,
                      65536);
    assert_sha256(src, "drive0", "bmA", DBM_SHA_BMA);

    /* On the destination, bmA records and bmB does not. */
    dbm_write(dst, "drive0", 4 * 65536, 1, false);
    assert_sha256(dst, "drive0", "bmB", DBM_SHA_BMB);
    {
        g_autofree char *sha = mig_bitmap_sha256(dst, "drive0", "bmA");

        g_assert_cmpstr(sha, !=, DBM_SHA_BMA);
    }

    dbm_assert_log_lacks(src, "itmap");
    dbm_assert_log_lacks(dst, "itmap");
    qtest_quit(src);
    qtest_quit(dst);
}

/*
 * block-bitmap-mapping on both sides: source node "src0" goes out as
 * alias "n0", bmA as "a"; the destination maps them onto node "dst0",
 * bitmap "copyA", and makes it persistent.  bmB is not mapped: it stays.
 */
static void test_mapping(void)
{
    QTestState *src = start_on(false, "src0", false);
    QTestState *dst = start_on(false, "dst0", true);
    json_t *bm;

    make_source_bitmaps(src, "src0");
    set_caps(src);
    set_caps(dst);
    qtest_qmp_assert_success(src,
        "{\"execute\": \"migrate-set-parameters\", \"arguments\": "
        "{\"block-bitmap-mapping\": [{\"node-name\": \"src0\", "
        "\"alias\": \"n0\", \"bitmaps\": [{\"name\": \"bmA\", "
        "\"alias\": \"a\"}]}]}}");
    qtest_qmp_assert_success(dst,
        "{\"execute\": \"migrate-set-parameters\", \"arguments\": "
        "{\"block-bitmap-mapping\": [{\"node-name\": \"dst0\", "
        "\"alias\": \"n0\", \"bitmaps\": [{\"name\": \"copyA\", "
        "\"alias\": \"a\", \"transform\": {\"persistent\": true}}]}]}}");

    mig_migrate(src, dst);
    wait_completed(src, dst);

    assert_sha256(dst, "dst0", "copyA", DBM_SHA_BMA);
    dbm_assert_bitmap(dst, NULL, "dst0", "copyA", true, false, true,
                      65536);
    bm = mig_bitmap_info(dst, "dst0", "bmB");
    g_assert_null(bm);
    bm = mig_bitmap_info(dst, "dst0", "bmA");
    g_assert_null(bm);

    dbm_assert_log_lacks(src, "itmap");
    dbm_assert_log_lacks(dst, "itmap");
    qtest_quit(src);
    qtest_quit(dst);
}

/* An unknown node on the destination drops the bitmaps, nothing else. */
static void test_unknown_node(void)
{
    QTestState *src = start_on(false, "drive0", false);
    QTestState *dst = start_on(false, "other0", true);
    json_t *bm;

    make_source_bitmaps(src, "drive0");
    set_caps(src);
    set_caps(dst);
    mig_migrate(src, dst);
    wait_completed(src, dst);

    bm = mig_bitmap_info(dst, "other0", "bmA");
    g_assert_null(bm);
    dbm_assert_log_has(dst, "Cannot find device='drive0' nor "
                       "node-name='drive0'");
    qtest_quit(src);
    qtest_quit(dst);
}

/* A bitmap name already taken on the destination fails the migration. */
static void test_name_clash(void)
{
    QTestState *src = start_on(false, "drive0", false);
    QTestState *dst = start_on(false, "drive0", true);

    make_source_bitmaps(src, "drive0");
    mig_bitmap_add(dst, "drive0", "bmA", 65536, false);
    set_caps(src);
    set_caps(dst);
    mig_migrate(src, dst);

    mig_wait_exit_status(dst, 1);
    dbm_assert_log_has(dst, "Bitmap with the same name ('bmA') already "
                       "exists on destination");
    qtest_quit(dst);
    qtest_quit(src);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    static const MigrationCase precopy = { 0 };
    static const MigrationCase postcopy = { .postcopy = true };
    static const MigrationCase from_peer = { .peer_source = true };
    static const MigrationCase to_peer = { .peer_destination = true };
    static const MigrationCase from_peer_post = { .peer_source = true,
                                                  .postcopy = true };
    static const MigrationCase to_peer_post = { .peer_destination = true,
                                                .postcopy = true };

    g_test_add_data_func("/dbm/migration/precopy", &precopy, test_migrate);
    g_test_add_data_func("/dbm/migration/postcopy", &postcopy, test_migrate);
    g_test_add_func("/dbm/migration/mapping", test_mapping);
    g_test_add_func("/dbm/migration/unknown-node", test_unknown_node);
    g_test_add_func("/dbm/migration/name-clash", test_name_clash);
    g_test_add_data_func("/dbm/migration/interop/from-qemu-7.2/precopy",
                         &from_peer, test_migrate);
    g_test_add_data_func("/dbm/migration/interop/to-qemu-7.2/precopy",
                         &to_peer, test_migrate);
    g_test_add_data_func("/dbm/migration/interop/from-qemu-7.2/postcopy",
                         &from_peer_post, test_migrate);
    g_test_add_data_func("/dbm/migration/interop/to-qemu-7.2/postcopy",
                         &to_peer_post, test_migrate);

    return g_test_run();
}
