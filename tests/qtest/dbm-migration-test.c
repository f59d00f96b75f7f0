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
#include "libqtest.h"

#define SHA_BMA \
    "46c6ec8ea1782b34c09bbcf6dba3194b22bf826e48f964b5408a9c94956298d5"
#define SHA_BMB \
    "653e36a4f85d6516f3960a5c8f1d20eda0996acdab5d356c6742c23d5fab60bf"

#define VM_ARGS "-M none -nodefaults " \
    "-blockdev driver=null-co,node-name=%s,size=1073741824"

/* Which binary runs each side, and how the migration goes. */
typedef struct MigrationCase {
    bool peer_source;           /* QEMU 7.2 is the source */
    bool peer_destination;      /* QEMU 7.2 is the destination */
    bool postcopy;
} MigrationCase;

static const char *peer_qemu(void)
{
    const char *peer = g_getenv("DBM_PEER_QEMU");

    return peer ? peer : "/usr/bin/qemu-system-x86_64";
}

/* Start a VM; with @peer, QEMU 7.2 instead of the binary under test. */
static QTestState *start_vm(bool peer, const char *args)
{
    g_autofree char *saved = g_strdup(g_getenv("MINIVMM_BINARY"));
    QTestState *s;

    if (!peer) {
        return qtest_init(args);
    }
    g_setenv("MINIVMM_BINARY", peer_qemu(), true);
    s = qtest_init(args);
    if (saved) {
        g_setenv("MINIVMM_BINARY", saved, true);
    } else {
        g_unsetenv("MINIVMM_BINARY");
    }
    return s;
}

static QTestState *start_source_on(bool peer, const char *node)
{
    g_autofree char *args = g_strdup_printf(VM_ARGS, node);

    return start_vm(peer, args);
}

static QTestState *start_destination_on(bool peer, const char *node)
{
    g_autofree char *args = g_strdup_printf(VM_ARGS " -incoming defer",
                                            node);

    return start_vm(peer, args);
}

static QTestState *start_source(const char *node)
{
    return start_source_on(false, node);
}

static QTestState *start_destination(const char *node)
{
    return start_destination_on(false, node);
}

/*
 * Capabilities, and the largest downtime-limit: precopy converges once
 * the pending estimate (one byte per bitmap bit, 278528 here) is below
 * bandwidth times downtime-limit, and the bandwidth measured while
 * nothing but empty ram sections flows is tiny on a loaded host.
 */
static void set_caps(QTestState *s, bool dirty_bitmaps)
{
    qtest_qmp_assert_success(s,
        "{\"execute\": \"migrate-set-capabilities\", \"arguments\": "
        "{\"capabilities\": [{\"capability\": \"events\", \"state\": true},"
        " {\"capability\": \"dirty-bitmaps\", \"state\": %s}]}}",
        dirty_bitmaps ? "true" : "false");
    qtest_qmp_assert_success(s,
        "{\"execute\": \"migrate-set-parameters\", \"arguments\": "
        "{\"downtime-limit\": 2000000}}");
}

static void bitmap_add(QTestState *s, const char *node, const char *name,
                       uint32_t granularity)
{
    qtest_qmp_assert_success(s,
        "{\"execute\": \"block-dirty-bitmap-add\", \"arguments\": "
        "{\"node\": \"%s\", \"name\": \"%s\", \"granularity\": %" PRIu32
        "}}", node, name, granularity);
}

static void io_write(QTestState *s, const char *node, int64_t off,
                     int64_t len)
{
    g_autofree char *out = qtest_hmp(s, "qemu-io %s \"write %" PRId64 " %"
                                     PRId64 "\"", node, off, len);

    g_assert_null(strstr(out, "error"));
}

/* CAPTURES.txt's bitmaps: bmA (64 KiB, recording) and bmB (4 KiB, not). */
static void make_source_bitmaps(QTestState *s, const char *node)
{
    bitmap_add(s, node, "bmA", 65536);
    bitmap_add(s, node, "bmB", 4096);
    io_write(s, node, 0, 4096);
    io_write(s, node, 1048576, 65536);
    io_write(s, node, 536870912, 1);
    qtest_qmp_assert_success(s,
        "{\"execute\": \"block-dirty-bitmap-disable\", \"arguments\": "
        "{\"node\": \"%s\", \"name\": \"bmB\"}}", node);
    io_write(s, node, 1073676288, 65536);
    io_write(s, node, 200000000, 300000);
}

static char *bitmap_sha256(QTestState *s, const char *node, const char *name)
{
    json_t *ret = qtest_qmp_assert_success_ref(s,
        "{\"execute\": \"x-debug-block-dirty-bitmap-sha256\", "
        "\"arguments\": {\"node\": \"%s\", \"name\": \"%s\"}}", node, name);
    char *sha = g_strdup(json_string_value(json_object_get(ret, "sha256")));

    json_decref(ret);
    g_assert_nonnull(sha);
    return sha;
}

static void assert_sha256(QTestState *s, const char *node, const char *name,
                          const char *expected)
{
    g_autofree char *sha = bitmap_sha256(s, node, name);

    g_assert_cmpstr(sha, ==, expected);
}

/* The dirty-bitmaps entry of @node's @name, or NULL (caller decrefs). */
static json_t *bitmap_info(QTestState *s, const char *node, const char *name)
{
    json_t *nodes = qtest_qmp_assert_success_ref(s,
        "{\"execute\": \"query-named-block-nodes\", "
        "\"arguments\": {\"flat\": true}}");
    json_t *found = NULL;
    json_t *n, *bm;
    size_t i, j;

    json_array_foreach(nodes, i, n) {
        if (strcmp(json_string_value(json_object_get(n, "node-name")),
                   node)) {
            continue;
        }
        json_array_foreach(json_object_get(n, "dirty-bitmaps"), j, bm) {
            const char *bm_name = json_string_value(json_object_get(bm,
                                                                    "name"));

            if (bm_name && !strcmp(bm_name, name)) {
                found = json_incref(bm);
            }
        }
    }
    json_decref(nodes);
    return found;
}

static void assert_bitmap_state(QTestState *s, const char *node,
                                const char *name, bool recording,
                                bool persistent, uint32_t granularity)
{
    json_t *bm = bitmap_info(s, node, name);

    g_assert_nonnull(bm);
    g_assert_cmpint(json_is_true(json_object_get(bm, "recording")), ==,
                    recording);
    g_assert_cmpint(json_is_true(json_object_get(bm, "persistent")), ==,
                    persistent);
    g_assert_false(json_is_true(json_object_get(bm, "busy")));
    g_assert_cmpint(json_integer_value(json_object_get(bm, "granularity")),
                    ==, granularity);
    json_decref(bm);
}

/* Wait for a MIGRATION event with @status; fail on "failed". */
static void wait_migration_status(QTestState *s, const char *status)
{
    for (;;) {
        json_t *ev = qtest_qmp_eventwait_ref(s, "MIGRATION");
        const char *st = json_string_value(
            json_object_get(json_object_get(ev, "data"), "status"));
        bool done = !g_strcmp0(st, status);

        g_assert_cmpstr(st, !=, "failed");
        json_decref(ev);
        if (done) {
            return;
        }
    }
}

static void start_migration(QTestState *src, QTestState *dst)
{
    g_autofree char *uri = g_strdup_printf("unix:%s/mig.sock",
                                           qtest_tmpdir(dst));

    qtest_qmp_assert_success(dst,
        "{\"execute\": \"migrate-incoming\", \"arguments\": "
        "{\"uri\": \"%s\"}}", uri);
    qtest_qmp_assert_success(src,
        "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"%s\"}}", uri);
}

/* The source's migration bitmaps may not be removed while it runs. */
static void assert_busy_remove(QTestState *s, const char *node,
                               const char *name)
{
    json_t *rsp = qtest_qmp(s,
        "{\"execute\": \"block-dirty-bitmap-remove\", \"arguments\": "
        "{\"node\": \"%s\", \"name\": \"%s\"}}", node, name);
    g_autofree char *want = g_strdup_printf(
        "Bitmap '%s' is currently in use by another operation and cannot "
        "be used", name);
    json_t *err = json_object_get(rsp, "error");

    g_assert_nonnull(err);
    g_assert_cmpstr(json_string_value(json_object_get(err, "desc")), ==,
                    want);
    json_decref(rsp);
}

static void assert_log_clean(QTestState *s)
{
    g_autofree char *log = qtest_get_log(s);

    g_assert_null(strstr(log, "itmap"));
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
        !g_file_test(peer_qemu(), G_FILE_TEST_IS_EXECUTABLE)) {
        g_test_skip("QEMU 7.2 not found (set DBM_PEER_QEMU)");
        return;
    }
    src = start_source_on(mc->peer_source, "drive0");
    dst = start_destination_on(mc->peer_destination, "drive0");

    make_source_bitmaps(src, "drive0");
    assert_sha256(src, "drive0", "bmA", SHA_BMA);
    assert_sha256(src, "drive0", "bmB", SHA_BMB);
    set_caps(src, true);
    set_caps(dst, true);
    if (mc->postcopy) {
        qtest_qmp_assert_success(src,
            "{\"execute\": \"migrate-set-parameters\", \"arguments\": "
            "{\"downtime-limit\": 0}}");
    }

    start_migration(src, dst);
    if (mc->postcopy) {
        wait_migration_status(src, "active");
        assert_busy_remove(src, "drive0", "bmA");
        qtest_qmp_assert_success(src,
            "{\"execute\": \"migrate-start-postcopy\"}");
    }
    wait_migration_status(src, "completed");
    wait_migration_status(dst, "completed");
    qtest_qmp_eventwait(dst, "RESUME");

    assert_sha256(dst, "drive0", "bmA", SHA_BMA);
    assert_sha256(dst, "drive0", "bmB", SHA_BMB);
    assert_bitmap_state(dst, "drive0", "bmA", true, false, 65536);
    assert_bitmap_state(dst, "drive0", "bmB", false, false, 4096);
    /* The source keeps its bitmaps, free again. */
    assert_bitmap_state(src, "drive0", "bmA", true, false, 65536);
    assert_sha256(src, "drive0", "bmA", SHA_BMA);

    /* On the destination, bmA records and bmB does not. */
    io_write(dst, "drive0", 4 * 65536, 1);
    assert_sha256(dst, "drive0", "bmB", SHA_BMB);
    {
        g_autofree char *sha = bitmap_sha256(dst, "drive0", "bmA");

        g_assert_cmpstr(sha, !=, SHA_BMA);
    }

    assert_log_clean(src);
    assert_log_clean(dst);
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
    QTestState *src = start_source("src0");
    QTestState *dst = start_destination("dst0");
    json_t *bm;

    make_source_bitmaps(src, "src0");
    set_caps(src, true);
    set_caps(dst, true);
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

    start_migration(src, dst);
    wait_migration_status(src, "completed");
    wait_migration_status(dst, "completed");

    assert_sha256(dst, "dst0", "copyA", SHA_BMA);
    assert_bitmap_state(dst, "dst0", "copyA", true, true, 65536);
    bm = bitmap_info(dst, "dst0", "bmB");
    g_assert_null(bm);
    bm = bitmap_info(dst, "dst0", "bmA");
    g_assert_null(bm);

    assert_log_clean(src);
    assert_log_clean(dst);
    qtest_quit(src);
    qtest_quit(dst);
}

/* An unknown node on the destination drops the bitmaps, nothing else. */
static void test_unknown_node(void)
{
    QTestState *src = start_source("drive0");
    QTestState *dst = start_destination("other0");
    g_autofree char *log = NULL;
    json_t *bm;

    make_source_bitmaps(src, "drive0");
    set_caps(src, true);
    set_caps(dst, true);
    start_migration(src, dst);
    wait_migration_status(src, "completed");
    wait_migration_status(dst, "completed");

    bm = bitmap_info(dst, "other0", "bmA");
    g_assert_null(bm);
    log = qtest_get_log(dst);
    g_assert_nonnull(strstr(log, "Cannot find device='drive0' nor "
                            "node-name='drive0'"));
    qtest_quit(src);
    qtest_quit(dst);
}

/* A bitmap name already taken on the destination fails the migration. */
static void test_name_clash(void)
{
    QTestState *src = start_source("drive0");
    QTestState *dst = start_destination("drive0");
    g_autofree char *log = NULL;
    int status;

    make_source_bitmaps(src, "drive0");
    bitmap_add(dst, "drive0", "bmA", 65536);
    set_caps(src, true);
    set_caps(dst, true);
    start_migration(src, dst);

    g_assert_true(qtest_wait_exit(dst, &status));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    log = qtest_get_log(dst);
    g_assert_nonnull(strstr(log, "Bitmap with the same name ('bmA') already "
                            "exists on destination"));
    qtest_set_expected_status(dst, 1);
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
