/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Dirty-bitmap migration under faults: cut, stalled and cancelled links. */

/*
 * Source and destination talk through a MigRelay (migration-relay.h),
 * which cuts or stalls the link at an exact point of the stream.  The
 * source has three enabled bitmaps on a 64 GiB null-co disk; postcopy is
 * held in its bulk phase by max-postcopy-bandwidth, so that every fault
 * lands while bitmap data is still to come.
 *
 * After the postcopy package the destination may run the VM: whatever
 * happens then, the source must stay stopped (postmigrate, as QEMU 7.2
 * keeps it) with its disks inactive until the operator's 'cont', and
 * its bitmaps must come back as they were: not busy, same sha256,
 * recording as before.
 *
 * DBM_FAULTS_REPEAT=N runs the racy cases N times (default 3).
 */

#include "qemu/osdep.h"
#include "dbm-common.h"
#include "migration-relay.h"

#define DISK (UINT64_C(64) << 30)
#define DRIVE "-blockdev driver=null-co,node-name=drive0,size=68719476736"
#define NBITMAPS 3
#define MIB (UINT64_C(1) << 20)

/* Command ids of the stream (migration-stream.md 1.9). */
#define MIG_CMD_PACKAGED 7

/* A source and a destination joined by a relay, with bitmaps to move. */
typedef struct Faulty {
    QTestState *src;
    QTestState *dst;
    MigRelay *relay;
    char *sha[NBITMAPS];        /* the source's bitmaps before migrating */
    uint64_t count[NBITMAPS];
} Faulty;

static const char *const names[NBITMAPS] = { "b-64k", "b-4k", "b-512" };
static const uint64_t grans[NBITMAPS] = { 65536, 4096, 512 };

static uint64_t bitmap_count(QTestState *s, const char *name)
{
    json_t *bm = mig_bitmap_info(s, "drive0", name);
    uint64_t count;

    g_assert_nonnull(bm);
    count = json_integer_value(json_object_get(bm, "count"));
    json_decref(bm);
    return count;
}

/* Both VMs, the bitmaps, and the relay in front of the destination. */
static Faulty *faulty_new(const char *caps)
{
    Faulty *t = g_new0(Faulty, 1);

    t->src = dbm_vm_start(DRIVE);
    t->dst = dbm_vm_start_incoming(DRIVE);
    for (int i = 0; i < NBITMAPS; i++) {
        mig_bitmap_add(t->src, "drive0", names[i], grans[i], false);
    }
    for (int i = 0; i < 4; i++) {
        dbm_write(t->src, "drive0", DISK / 4 * i + 4096 * i, MIB, false);
    }
    for (int i = 0; i < NBITMAPS; i++) {
        t->sha[i] = mig_bitmap_sha256(t->src, "drive0", names[i]);
        t->count[i] = bitmap_count(t->src, names[i]);
    }
    mig_set_caps(t->src, caps);
    mig_set_caps(t->dst, caps);
    t->relay = mig_relay_new_incoming(t->src, t->dst);
    return t;
}

static void faulty_free(Faulty *t)
{
    qtest_quit(t->src);
    qtest_quit(t->dst);
    mig_relay_free(t->relay);
    for (int i = 0; i < NBITMAPS; i++) {
        g_free(t->sha[i]);
    }
    g_free(t);
}

/*
 * Migrate through the relay, hold precopy 'active' until the bitmaps
 * exist on the destination, then switch to postcopy.
 */
static void faulty_start_postcopy(Faulty *t)
{
    mig_set_params(t->src, "\"downtime-limit\": 0, "
                   "\"max-postcopy-bandwidth\": 400000");
    qtest_qmp_assert_success(t->src,
        "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"%s\"}}",
        mig_relay_uri(t->relay));
    g_free(mig_wait_status(t->src, "active"));
    for (int i = 0; i < NBITMAPS; i++) {
        dbm_wait_bitmap(t->dst, "drive0", names[i]);
    }
    qtest_qmp_assert_success(t->src,
                             "{\"execute\": \"migrate-start-postcopy\"}");
}

static char *query_runstate(QTestState *s)
{
    json_t *ret = qtest_qmp_assert_success_ref(s,
        "{\"execute\": \"query-status\"}");
    char *st = g_strdup(json_string_value(json_object_get(ret, "status")));

    json_decref(ret);
    return st;
}

/*
 * Poll (QMP round trips, bounded by the timeout) until the run state is
 * @want: a failed migration reports 'failed' before its thread has
 * settled the run state, as in QEMU.
 */
static void wait_runstate(QTestState *s, const char *want)
{
    gint64 deadline = g_get_monotonic_time() +
                      (gint64)qtest_get_default_timeout() * G_USEC_PER_SEC;

    for (;;) {
        g_autofree char *st = query_runstate(s);

        if (!strcmp(st, want)) {
            return;
        }
        if (g_get_monotonic_time() > deadline) {
            g_error("run state stays '%s', expected '%s'", st, want);
        }
    }
}

/* The destination lives on: the VM runs, the disk takes writes. */
static void assert_dst_alive(Faulty *t)
{
    g_autofree char *rs = query_runstate(t->dst);

    g_assert_cmpstr(rs, ==, "running");
    dbm_write(t->dst, "drive0", 0, 512, false);
}

/*
 * After the hand-over failed or was cancelled: the source stays stopped
 * with its disks inactive, and its bitmaps are what they were.  Then the
 * operator's 'cont' gives the disks back, and the bitmaps record again.
 */
static void assert_src_held_then_cont(Faulty *t)
{
    g_autofree char *out = NULL;
    g_autofree char *rs = NULL;

    wait_runstate(t->src, "postmigrate");
    for (int i = 0; i < NBITMAPS; i++) {
        g_autofree char *sha = mig_bitmap_sha256(t->src, "drive0", names[i]);

        dbm_assert_bitmap(t->src, NULL, "drive0", names[i], true, false,
                          false, grans[i]);
        g_assert_cmpstr(sha, ==, t->sha[i]);
        g_assert_cmpuint(bitmap_count(t->src, names[i]), ==, t->count[i]);
    }
    out = qtest_hmp(t->src, "qemu-io drive0 \"write 0 512\"");
    g_assert_nonnull(strstr(out, "Block node is read-only"));

    qtest_qmp_assert_success(t->src, "{\"execute\": \"cont\"}");
    rs = query_runstate(t->src);
    g_assert_cmpstr(rs, ==, "running");
    /* 64 KiB-aligned, on ground no earlier write touched. */
    dbm_write(t->src, "drive0", DISK - 3 * 65536, 2 * 65536, false);
    for (int i = 0; i < NBITMAPS; i++) {
        g_assert_cmpuint(bitmap_count(t->src, names[i]), ==,
                         t->count[i] + 2 * 65536);
    }
}

static int repeat_count(void)
{
    const char *env = g_getenv("DBM_FAULTS_REPEAT");

    return env && atoi(env) > 0 ? atoi(env) : 3;
}

/*
 * The link breaks right behind the postcopy package (issue 11, defects 1
 * and 2).  The destination, told to run, starts its VM, drops the
 * bitmaps it was still loading and lives on: its listen thread used to
 * free them while the RUN bottom half walked them.  The source pauses
 * (postcopy-paused, as QEMU 7.2); migrate_cancel then ends it
 * 'cancelled' without resuming the VM.  @opaque: return-path on.
 */
static void test_cut_after_package(gconstpointer opaque)
{
    bool rp = GPOINTER_TO_INT(opaque);

    for (int n = repeat_count(); n > 0; n--) {
        Faulty *t = faulty_new(rp ? "events,dirty-bitmaps,return-path"
                                  : "events,dirty-bitmaps");

        mig_relay_at_cmd(t->relay, MIG_CMD_PACKAGED, true, MIG_RELAY_CUT);
        faulty_start_postcopy(t);
        mig_relay_wait(t->relay);

        g_free(mig_wait_status(t->dst, "completed"));
        dbm_assert_no_bitmap(t->dst, "drive0", NULL);
        dbm_assert_log_has(t->dst, "All states are migrated except dirty "
                           "bitmaps");
        assert_dst_alive(t);

        g_free(mig_wait_status(t->src, "postcopy-paused"));
        qtest_qmp_assert_success(t->src,
                                 "{\"execute\": \"migrate_cancel\"}");
        g_free(mig_wait_status(t->src, "cancelled"));
        assert_src_held_then_cont(t);
        faulty_free(t);
    }
}

/*
 * migrate_cancel in postcopy-active, the destination running: the
 * source ends 'cancelled' and stays stopped (issue 11, defect 2); the
 * destination drops the bitmaps still loading and runs on.
 */
static void test_cancel_postcopy_active(void)
{
    Faulty *t = faulty_new("events,dirty-bitmaps");

    mig_relay_at_cmd(t->relay, MIG_CMD_PACKAGED, true, MIG_RELAY_NOTE);
    faulty_start_postcopy(t);
    mig_relay_wait(t->relay);
    qtest_qmp_eventwait(t->dst, "RESUME");

    qtest_qmp_assert_success(t->src, "{\"execute\": \"migrate_cancel\"}");
    g_free(mig_wait_status(t->src, "cancelled"));
    assert_src_held_then_cont(t);

    g_free(mig_wait_status(t->dst, "completed"));
    dbm_assert_no_bitmap(t->dst, "drive0", NULL);
    assert_dst_alive(t);
    faulty_free(t);
}

/*
 * With the return path, the source has sent everything and waits for
 * the destination's SHUT, which the link never carries: the cut fails
 * the migration, and the source stays stopped (issue 11, defect 2;
 * QEMU 7.2 stays 'postcopy-active' and hangs in 'cancelling' on
 * migrate_cancel).  The destination got every bitmap whole.
 */
static void test_return_path_cut_before_shut(void)
{
    Faulty *t = faulty_new("events,dirty-bitmaps,return-path");

    mig_relay_stall(t->relay, MIG_RELAY_D2S);
    faulty_start_postcopy(t);
    qtest_qmp_eventwait(t->dst, "RESUME");
    mig_set_params(t->src, "\"max-postcopy-bandwidth\": 0");
    g_free(mig_wait_status(t->dst, "completed"));
    for (int i = 0; i < NBITMAPS; i++) {
        g_autofree char *sha = mig_bitmap_sha256(t->dst, "drive0", names[i]);

        g_assert_cmpstr(sha, ==, t->sha[i]);
    }

    mig_relay_cut(t->relay);
    g_free(mig_wait_status(t->src, "failed"));
    assert_src_held_then_cont(t);
    assert_dst_alive(t);
    faulty_free(t);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_data_func("/dbm-faults/postcopy/cut-after-package",
                         GINT_TO_POINTER(false), test_cut_after_package);
    g_test_add_data_func("/dbm-faults/postcopy/cut-after-package-rp",
                         GINT_TO_POINTER(true), test_cut_after_package);
    g_test_add_func("/dbm-faults/postcopy/cancel-active",
                    test_cancel_postcopy_active);
    g_test_add_func("/dbm-faults/postcopy/return-path-cut-before-shut",
                    test_return_path_cut_before_shut);
    return g_test_run();
}
