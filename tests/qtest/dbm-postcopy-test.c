/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Dirty-bitmap postcopy and cancellation: acting during each phase. */

/*
 * Phases are held without sleeping: downtime-limit 0 keeps precopy
 * active while bitmaps are pending, and a tiny max-postcopy-bandwidth
 * lets the postcopy bulk phase send about one chunk per 100 ms window
 * (the bitmaps below make a few hundred dense chunks).  Raising the
 * bandwidth releases it.  Each step waits for MIGRATION/RESUME events.
 * A precopy that must converge gets the largest downtime-limit: the
 * pending estimate counts bitmap bits, and these bitmaps have many.
 */

#include "qemu/osdep.h"
#include <glib/gstdio.h>
#include "dbm-common.h"

#define MIB (UINT64_C(1) << 20)
#define DISK (64 * MIB)
#define NBITMAPS 15
#define DRIVE "-blockdev driver=null-co,node-name=drive0,size=67108864"

typedef struct Pair {
    QTestState *src;
    QTestState *dst;
    DBMOracle *oracle[NBITMAPS];
    char name[NBITMAPS][8];
} Pair;

static bool bitmap_enabled(int i)
{
    return !(i % 3 == 2);
}

static void pair_write(Pair *p, QTestState *s, uint64_t off, uint64_t len,
                       bool zero)
{
    int i;

    dbm_write(s, "drive0", off, len, zero);
    for (i = 0; i < NBITMAPS; i++) {
        dbm_oracle_write(p->oracle[i], off, len, false);
    }
}

/* Both VMs, 15 dense 512 B..8 KiB bitmaps, some disabled. */
static Pair *pair_new(void)
{
    Pair *p = g_new0(Pair, 1);
    int i;

    p->src = dbm_vm_start(DRIVE);
    p->dst = dbm_vm_start_incoming(DRIVE);
    for (i = 0; i < NBITMAPS; i++) {
        snprintf(p->name[i], sizeof(p->name[i]), "b%02d", i);
        p->oracle[i] = dbm_oracle_new(DISK, 512 << (i % 5), true);
        mig_bitmap_add(p->src, "drive0", p->name[i], 512 << (i % 5), false);
    }
    pair_write(p, p->src, 0, DISK / 2 + 1, true);
    pair_write(p, p->src, DISK - 700, 700, false);
    for (i = 0; i < NBITMAPS; i++) {
        if (!bitmap_enabled(i)) {
            qtest_qmp_assert_success(p->src,
                "{\"execute\": \"block-dirty-bitmap-disable\", "
                "\"arguments\": {\"node\": \"drive0\", \"name\": \"%s\"}}",
                p->name[i]);
            p->oracle[i]->enabled = false;
        }
    }
    pair_write(p, p->src, DISK / 2 + 4096, 8192, false);
    mig_set_caps(p->src, "events,dirty-bitmaps");
    mig_set_caps(p->dst, "events,dirty-bitmaps");
    return p;
}

static void pair_free(Pair *p)
{
    int i;

    for (i = 0; i < NBITMAPS; i++) {
        dbm_oracle_free(p->oracle[i]);
    }
    g_free(p);
}

/* Start and hold in precopy 'active', the destination bitmaps created. */
static void hold_active(Pair *p)
{
    g_autofree char *st = NULL;
    int i;

    mig_set_params(p->src, "\"downtime-limit\": 0, "
                   "\"max-postcopy-bandwidth\": 10");
    mig_migrate(p->src, p->dst);
    st = mig_wait_status(p->src, "active");
    for (i = 0; i < NBITMAPS; i++) {
        dbm_wait_bitmap(p->dst, "drive0", p->name[i]);
    }
}

/* Go on to postcopy and return once the destination runs. */
static void hold_postcopy(Pair *p)
{
    g_autofree char *st = NULL;

    hold_active(p);
    qtest_qmp_assert_success(p->src,
        "{\"execute\": \"migrate-start-postcopy\"}");
    st = mig_wait_status(p->src, "postcopy-active");
    g_free(st);
    st = mig_wait_status(p->dst, "postcopy-active");
    g_free(st);
    qtest_qmp_eventwait(p->dst, "RESUME");
    st = mig_query_status(p->dst);
    g_assert_cmpstr(st, ==, "postcopy-active");
}

static void release(Pair *p)
{
    mig_set_params(p->src, "\"max-postcopy-bandwidth\": 1073741824");
}

/*
 * After a failed or cancelled attempt, the source migrates its bitmaps
 * to a fresh destination intact; then both quit and @p is freed.
 */
static void remigrate_and_finish(Pair *p)
{
    int i;

    p->dst = dbm_vm_start_incoming(DRIVE);
    mig_set_caps(p->dst, "events,dirty-bitmaps");
    mig_set_params(p->src, "\"downtime-limit\": 2000000");
    mig_migrate(p->src, p->dst);
    g_free(mig_wait_status(p->src, "completed"));
    g_free(mig_wait_status(p->dst, "completed"));
    for (i = 0; i < NBITMAPS; i++) {
        dbm_assert_oracle(p->dst, "drive0", p->name[i], p->oracle[i]);
    }
    qtest_quit(p->src);
    qtest_quit(p->dst);
    pair_free(p);
}

/* Source bitmaps are free again and unchanged. */
static void assert_source_intact(Pair *p)
{
    int i;

    for (i = 0; i < NBITMAPS; i++) {
        dbm_assert_bitmap(p->src, NULL, "drive0", p->name[i],
                          bitmap_enabled(i), false, false,
                          p->oracle[i]->granularity);
        dbm_assert_oracle(p->src, "drive0", p->name[i], p->oracle[i]);
    }
}

/* The destination lives on: responsive, usable, clean exit on quit. */
static void assert_alive(QTestState *s)
{
    json_t *ret = qtest_qmp_assert_success_ref(s,
        "{\"execute\": \"query-status\"}");

    g_assert_cmpstr(json_string_value(json_object_get(ret, "status")), ==,
                    "running");
    json_decref(ret);
    mig_bitmap_add(s, "drive0", "fresh", 65536, false);
    dbm_write(s, "drive0", 0, 1, false);
    dbm_assert_bitmap(s, NULL, "drive0", "fresh", true, false, false, 65536);
}

/* Kill @s with @sig, check it died of it, and quit (free) it. */
static void kill_vm(QTestState *s, int sig)
{
    int status;

    qtest_kill(s, sig);
    g_assert_true(qtest_wait_exit(s, &status));
    g_assert_true(WIFSIGNALED(status));
    g_assert_cmpint(WTERMSIG(status), ==, sig);
    qtest_quit(s);
}

/*
 * Writes on the destination while bitmap data still streams in end up
 * in its enabled bitmaps; busy on both sides until then.
 */
static void test_dest_writes(void)
{
    Pair *p = pair_new();
    g_autofree char *st = NULL;
    int i;

    hold_postcopy(p);
    for (i = 0; i < NBITMAPS; i++) {
        /* Enabled bitmaps record through their successor already. */
        dbm_assert_bitmap(p->dst, NULL, "drive0", p->name[i],
                          bitmap_enabled(i), true, false,
                          p->oracle[i]->granularity);
        dbm_assert_bitmap(p->src, NULL, "drive0", p->name[i],
                          bitmap_enabled(i), true, false,
                          p->oracle[i]->granularity);
    }
    dbm_assert_busy_remove(p->dst, "drive0", p->name[0]);
    dbm_assert_busy_remove(p->src, "drive0", p->name[0]);
    dbm_assert_busy_remove(p->dst, "drive0", p->name[2]);

    pair_write(p, p->dst, DISK - 3 * MIB, 5000, false);
    pair_write(p, p->dst, 3 * MIB + 17, 1, false);
    /* Still in postcopy: the writes came before the data was complete. */
    st = mig_query_status(p->dst);
    g_assert_cmpstr(st, ==, "postcopy-active");
    g_clear_pointer(&st, g_free);

    release(p);
    st = mig_wait_status(p->src, "completed");
    g_clear_pointer(&st, g_free);
    st = mig_wait_status(p->dst, "completed");
    for (i = 0; i < NBITMAPS; i++) {
        dbm_assert_bitmap(p->dst, NULL, "drive0", p->name[i],
                          bitmap_enabled(i), false, false,
                          p->oracle[i]->granularity);
        dbm_assert_oracle(p->dst, "drive0", p->name[i], p->oracle[i]);
    }
    dbm_assert_log_lacks(p->dst, "itmap");
    qtest_quit(p->src);
    qtest_quit(p->dst);
    pair_free(p);
}

/*
 * The source dies during postcopy: the destination drops every bitmap
 * still loading (none had completed) and runs on, as QEMU 7.2 does for
 * a bitmaps-only postcopy ("All states are migrated except dirty
 * bitmaps"): its migration status becomes 'completed'.
 */
static void test_source_killed(void)
{
    Pair *p = pair_new();
    g_autofree char *st = NULL;

    hold_postcopy(p);
    kill_vm(p->src, SIGKILL);
    p->src = NULL;
    st = mig_wait_status(p->dst, "completed");
    dbm_assert_no_bitmap(p->dst, "drive0", NULL);
    assert_alive(p->dst);
    qtest_quit(p->dst);
    pair_free(p);
}

/*
 * The destination quits during postcopy: it exits cleanly, and the
 * source pauses (postcopy-paused, as QEMU 7.2) with its bitmaps still
 * busy, while it stays responsive.
 */
static void test_dest_quit(void)
{
    Pair *p = pair_new();
    g_autofree char *st = NULL;
    json_t *ret;

    hold_postcopy(p);
    qtest_quit(p->dst);
    st = mig_wait_status(p->src, "postcopy-paused");
    ret = qtest_qmp_assert_success_ref(p->src,
                                       "{\"execute\": \"query-status\"}");
    g_assert_cmpstr(json_string_value(json_object_get(ret, "status")), ==,
                    "finish-migrate");
    json_decref(ret);
    dbm_assert_bitmap(p->src, NULL, "drive0", p->name[0], true, true, false,
                      p->oracle[0]->granularity);
    qtest_quit(p->src);
    pair_free(p);
}

/*
 * migrate_cancel right behind migrate, in the same QMP batch: it lands
 * in 'setup' (or, if the migration thread is fast, early 'active').
 * Then the same source migrates for real: nothing was left behind.
 */
static void test_cancel_setup(void)
{
    Pair *p = pair_new();
    g_autofree char *sink = g_strdup_printf("%s/sink.sock",
                                            qtest_tmpdir(p->src));
    g_autofree char *st = NULL;
    g_autoptr(GString) seen = g_string_new(NULL);
    /* Listens and never accepts: a silent destination. */
    int fd = qtest_listen_unix(sink);
    json_t *rsp;
    int i;

    mig_set_params(p->src, "\"downtime-limit\": 0");
    qtest_qmp_send(p->src, "{\"execute\": \"migrate\", \"arguments\": "
                   "{\"uri\": \"unix:%s\"}}{\"execute\": \"migrate_cancel\"}",
                   sink);
    rsp = qtest_qmp_receive(p->src);
    g_assert_nonnull(json_object_get(rsp, "return"));
    json_decref(rsp);
    rsp = qtest_qmp_receive(p->src);
    g_assert_nonnull(json_object_get(rsp, "return"));
    json_decref(rsp);
    for (;;) {
        g_free(st);
        st = mig_wait_status(p->src, "setup|active|cancelling|cancelled");
        g_string_append_printf(seen, "%s%s", seen->len ? "|" : "", st);
        if (!strcmp(st, "cancelled")) {
            break;
        }
    }
    g_test_message("source went %s", seen->str);
    g_assert_true(g_str_has_prefix(seen->str, "setup|"));
    g_assert_true(g_str_has_suffix(seen->str, "|cancelling|cancelled"));
    close(fd);
    assert_source_intact(p);

    mig_set_params(p->src, "\"downtime-limit\": 2000000");
    mig_migrate(p->src, p->dst);
    g_free(mig_wait_status(p->src, "completed"));
    g_free(mig_wait_status(p->dst, "completed"));
    for (i = 0; i < NBITMAPS; i++) {
        dbm_assert_oracle(p->dst, "drive0", p->name[i], p->oracle[i]);
    }
    qtest_quit(p->src);
    qtest_quit(p->dst);
    pair_free(p);
}

/*
 * Cancel in precopy 'active': the source takes its bitmaps back; the
 * destination loses its stream and exits with 1 (bitmaps dropped).
 */
static void test_cancel_active(void)
{
    Pair *p = pair_new();
    g_autofree char *st = NULL;
    int i;

    hold_active(p);
    for (i = 0; i < NBITMAPS; i++) {
        dbm_assert_bitmap(p->dst, NULL, "drive0", p->name[i], false, true,
                          false, p->oracle[i]->granularity);
    }
    qtest_qmp_assert_success(p->src, "{\"execute\": \"migrate_cancel\"}");
    st = mig_wait_status(p->src, "cancelled");
    g_clear_pointer(&st, g_free);
    st = mig_query_status(p->src);
    g_assert_cmpstr(st, ==, "cancelled");
    assert_source_intact(p);
    mig_wait_exit_status(p->dst, 1);
    dbm_assert_log_has(p->dst, "load of migration failed");
    qtest_quit(p->dst);

    /* The source still works: a new migration to a new VM succeeds. */
    remigrate_and_finish(p);
}

/*
 * Cancel in 'postcopy-active': the source ends 'cancelled' with its
 * bitmaps free; the destination, already running, drops the bitmaps
 * still loading and runs on.
 */
static void test_cancel_postcopy(void)
{
    Pair *p = pair_new();
    g_autofree char *st = NULL;

    hold_postcopy(p);
    qtest_qmp_assert_success(p->src, "{\"execute\": \"migrate_cancel\"}");
    st = mig_wait_status(p->src, "cancelled");
    g_clear_pointer(&st, g_free);
    assert_source_intact(p);
    st = mig_wait_status(p->dst, "completed");
    dbm_assert_no_bitmap(p->dst, "drive0", NULL);
    assert_alive(p->dst);
    qtest_quit(p->src);
    qtest_quit(p->dst);
    pair_free(p);
}

/* The source dies in precopy: the destination fails and exits with 1. */
static void test_source_killed_active(void)
{
    Pair *p = pair_new();

    hold_active(p);
    kill_vm(p->src, SIGKILL);
    p->src = NULL;
    mig_wait_exit_status(p->dst, 1);
    dbm_assert_log_has(p->dst, "load of migration failed");
    qtest_quit(p->dst);
    pair_free(p);
}

/*
 * The destination quits in precopy: the source fails, takes its bitmaps
 * back, runs on, and migrates them to another destination.
 */
static void test_dest_quit_active(void)
{
    Pair *p = pair_new();
    g_autofree char *st = NULL;

    hold_active(p);
    qtest_quit(p->dst);
    st = mig_wait_status(p->src, "failed");
    dbm_wait_not_busy(p->src, "drive0");
    assert_source_intact(p);

    remigrate_and_finish(p);
}

/*
 * QEMU 7.2's destination enters 'postcopy-active' at LISTEN, before
 * RUN starts its VM: by RESUME the event is out and query-migrate says
 * so, while the bitmap data is still held back at the source.
 */
static void test_dest_state_at_resume(void)
{
    Pair *p = pair_new();
    g_autofree char *st = NULL;
    g_autoptr(GString) seen = g_string_new(NULL);
    json_t *ev;

    hold_active(p);
    qtest_qmp_assert_success(p->src,
        "{\"execute\": \"migrate-start-postcopy\"}");
    qtest_qmp_eventwait(p->dst, "RESUME");
    st = mig_query_status(p->dst);
    while ((ev = qtest_qmp_event_ref(p->dst, "MIGRATION"))) {
        g_string_append_printf(seen, "%s%s", seen->len ? "|" : "",
                               json_string_value(json_object_get(
                                   json_object_get(ev, "data"), "status")));
        json_decref(ev);
    }
    g_test_message("destination before RESUME: %s; at RESUME: %s",
                   seen->str, st);
    g_assert_cmpstr(seen->str, ==, "setup|active|postcopy-active");
    g_assert_cmpstr(st, ==, "postcopy-active");
    release(p);
    g_free(mig_wait_status(p->src, "completed"));
    g_free(mig_wait_status(p->dst, "completed"));
    qtest_quit(p->src);
    qtest_quit(p->dst);
    pair_free(p);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/dbm/postcopy/destination-writes", test_dest_writes);
    g_test_add_func("/dbm/postcopy/destination-state-at-resume",
                    test_dest_state_at_resume);
    g_test_add_func("/dbm/postcopy/source-killed", test_source_killed);
    g_test_add_func("/dbm/postcopy/destination-quit", test_dest_quit);
    g_test_add_func("/dbm/cancel/setup", test_cancel_setup);
    g_test_add_func("/dbm/cancel/active", test_cancel_active);
    g_test_add_func("/dbm/cancel/postcopy-active", test_cancel_postcopy);
    g_test_add_func("/dbm/cancel/source-killed-active",
                    test_source_killed_active);
    g_test_add_func("/dbm/cancel/destination-quit-active",
                    test_dest_quit_active);
    return g_test_run();
}
