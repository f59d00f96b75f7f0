/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP, quit and SIGTERM answer while a migration link is slow or dead. */

/*
 * Issue 11, point 3: a slow or black-holed link must never freeze the
 * monitor or make the process deaf to 'quit' and SIGTERM, on either
 * side and in any phase.  A MigRelay (migration-relay.h) stands between
 * source and destination and slows the stream to SLOW_RATE bytes/s or
 * stalls it at an exact point; then the side under test must answer
 * query-status and query-migrate within LATENCY_LIMIT_US per request,
 * and 'quit', SIGTERM (and, on the source, migrate_cancel) must end it
 * within END_LIMIT_US: exit status 0 after SHUTDOWN, as QEMU 7.2 ends
 * on 'quit' during an incoming migration.
 *
 * The phases:
 *   dst/precopy-slow, dst/precopy-stalled: the destination is in the
 *     middle of the bitmap data of a precopy stream (its incoming thread
 *     waits for bytes inside the dirty-bitmap section's loader);
 *   dst/postcopy-slow, dst/postcopy-stalled: the destination runs the
 *     VM and its listen thread waits for the bulk bitmap data;
 *   src/stalled: the source's migration thread writes the completion's
 *     bitmap data (more than the source stages in memory) into a link
 *     that carries nothing.
 *
 * The limits are generous so that a loaded machine passes; the measured
 * worst latency is printed (g_test_message, --verbose or --tap).
 */

#include "qemu/osdep.h"
#include "dbm-common.h"
#include "migration-relay.h"

#define DRIVE "-blockdev driver=null-co,node-name=drive0,size=68719476736"
/* Bytes marked dirty: 10 MiB of bitmap data at 512-byte granularity. */
#define DIRTY (UINT64_C(40) << 30)
#define GRANULARITY 512
/* A qemu-io write of at most this (its limit is just below 2 GiB). */
#define WRITE_MAX (UINT64_C(1) << 30)
#define SLOW_RATE 200000
/*
 * Precopy: a stream offset well inside the completion's bitmap data.
 * Postcopy: a quarter of it is the step into the bulk data after the
 * package.
 */
#define MID_STREAM (256 * 1024)
/* How long the stalled phases are probed: requests run back to back. */
#define PROBE_WINDOW_US (300 * 1000)
#define PROBE_MIN 4
#define LATENCY_LIMIT_US (2 * G_USEC_PER_SEC)
#define END_LIMIT_US (5 * G_USEC_PER_SEC)

/* Command ids of the stream (migration-stream.md 1.9). */
#define MIG_CMD_PACKAGED 7

typedef enum Phase {
    DST_PRECOPY_SLOW,
    DST_PRECOPY_STALLED,
    DST_POSTCOPY_SLOW,
    DST_POSTCOPY_STALLED,
    SRC_STALLED,
} Phase;

typedef enum Ending {
    END_QUIT,
    END_SIGTERM,
    END_CANCEL,         /* source only: migrate_cancel, then quit */
} Ending;

typedef struct Case {
    const char *path;
    Phase phase;
    Ending ending;
} Case;

typedef struct Link {
    QTestState *src;
    QTestState *dst;
    MigRelay *relay;
} Link;

static bool phase_is_postcopy(Phase p)
{
    return p == DST_POSTCOPY_SLOW || p == DST_POSTCOPY_STALLED;
}

static bool phase_is_slow(Phase p)
{
    return p == DST_PRECOPY_SLOW || p == DST_POSTCOPY_SLOW;
}

/* Both VMs, a dense bitmap on the source, the relay before the dst. */
static Link *link_new(void)
{
    Link *l = g_new0(Link, 1);

    l->src = dbm_vm_start(DRIVE);
    l->dst = dbm_vm_start_incoming(DRIVE);
    mig_bitmap_add(l->src, "drive0", "b0", GRANULARITY, false);
    for (uint64_t off = 0; off < DIRTY; off += WRITE_MAX) {
        dbm_write(l->src, "drive0", off, WRITE_MAX, true);
    }
    mig_set_caps(l->src, "events,dirty-bitmaps");
    mig_set_caps(l->dst, "events,dirty-bitmaps");
    l->relay = mig_relay_new_incoming(l->src, l->dst);
    return l;
}

/* Arm the relay for @phase and start the migration into it. */
static void link_start(Link *l, Phase phase)
{
    uint64_t at;

    if (phase_is_slow(phase)) {
        mig_relay_set_rate(l->relay, SLOW_RATE);
    }
    if (phase_is_postcopy(phase)) {
        mig_relay_at_cmd(l->relay, MIG_CMD_PACKAGED, true,
                         phase_is_slow(phase) ? MIG_RELAY_NOTE
                                              : MIG_RELAY_STALL);
        mig_set_params(l->src, "\"downtime-limit\": 0, "
                       "\"max-postcopy-bandwidth\": 400000");
    } else {
        /*
         * Precopy goes on while the bitmaps (postcopy-only data, one
         * unit per bit) exceed what fits in the downtime; the ram
         * section's empty rounds, few under max-bandwidth, measure the
         * bandwidth.  So completion comes after one window, and
         * MID_STREAM lies in its bitmap data.
         */
        mig_set_params(l->src, "\"downtime-limit\": 2000000, "
                       "\"max-bandwidth\": 100000");
        mig_relay_at_offset(l->relay, MID_STREAM,
                            phase_is_slow(phase) ? MIG_RELAY_NOTE
                                                 : MIG_RELAY_STALL);
    }
    qtest_qmp_assert_success(l->src,
        "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"%s\"}}",
        mig_relay_uri(l->relay));
    if (phase_is_postcopy(phase)) {
        g_free(mig_wait_status(l->src, "active"));
        dbm_wait_bitmap(l->dst, "drive0", "b0");
        qtest_qmp_assert_success(l->src,
                                 "{\"execute\": \"migrate-start-postcopy\"}");
    }
    at = mig_relay_wait(l->relay);
    if (phase_is_postcopy(phase)) {
        /* The destination runs the VM; its listen thread reads on. */
        qtest_qmp_eventwait(l->dst, "RESUME");
    }
    if (phase == DST_POSTCOPY_STALLED) {
        /* Stall again in the bulk data, inside a dirty-bitmap section. */
        mig_relay_at_offset(l->relay, at + MID_STREAM / 4, MIG_RELAY_STALL);
        mig_relay_release(l->relay);
        mig_relay_wait(l->relay);
    }
}

/* One QMP round trip, in microseconds; the reply must be a success. */
static gint64 timed_qmp(QTestState *s, const char *cmd)
{
    gint64 t0 = g_get_monotonic_time();
    json_t *ret = qtest_qmp_assert_success_ref(s, "{\"execute\": \"%s\"}",
                                               cmd);

    json_decref(ret);
    return g_get_monotonic_time() - t0;
}

/*
 * query-status and query-migrate, back to back for PROBE_WINDOW_US (at
 * least PROBE_MIN each): every answer within LATENCY_LIMIT_US.
 */
static void probe_responsive(QTestState *s, const char *who)
{
    gint64 end = g_get_monotonic_time() + PROBE_WINDOW_US;
    gint64 worst = 0;
    int n = 0;

    while (n < PROBE_MIN || g_get_monotonic_time() < end) {
        gint64 status_us = timed_qmp(s, "query-status");
        gint64 migrate_us = timed_qmp(s, "query-migrate");

        worst = MAX(worst, MAX(status_us, migrate_us));
        n++;
    }
    g_test_message("%s: %d probes, worst QMP latency %" PRId64 " us",
                   who, 2 * n, worst);
    g_assert_cmpint(worst, <=, LATENCY_LIMIT_US);
}

/*
 * 'quit' or SIGTERM: SHUTDOWN, then exit status 0, within END_LIMIT_US,
 * with no load failure reported.  The harness deadline bounds every
 * wait, so a deaf process fails.
 */
static void end_process(QTestState *s, Ending ending, const char *who)
{
    gint64 t0 = g_get_monotonic_time();
    int status;

    if (ending == END_SIGTERM) {
        kill(qtest_pid(s), SIGTERM);
    } else {
        qtest_qmp_assert_success(s, "{\"execute\": \"quit\"}");
    }
    qtest_qmp_eventwait(s, "SHUTDOWN");
    g_assert_true(qtest_wait_exit(s, &status));
    g_test_message("%s: %s ended the process in %" PRId64 " us", who,
                   ending == END_SIGTERM ? "SIGTERM" : "quit",
                   g_get_monotonic_time() - t0);
    g_assert_cmpint(g_get_monotonic_time() - t0, <=, END_LIMIT_US);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    /* Quitting is no failure of the load: not a word of one (QEMU's). */
    dbm_assert_log_lacks(s, "load of migration failed");
    dbm_assert_log_lacks(s, "loadvm failed");
}

/* migrate_cancel on a source stuck in a write: 'cancelled' in time. */
static void cancel_source(QTestState *s)
{
    gint64 t0 = g_get_monotonic_time();

    qtest_qmp_assert_success(s, "{\"execute\": \"migrate_cancel\"}");
    g_free(mig_wait_status(s, "cancelled"));
    g_test_message("source: migrate_cancel took %" PRId64 " us",
                   g_get_monotonic_time() - t0);
    g_assert_cmpint(g_get_monotonic_time() - t0, <=, END_LIMIT_US);
    probe_responsive(s, "source after cancel");
}

static void test_responsive(gconstpointer opaque)
{
    const Case *c = opaque;
    Link *l = link_new();
    bool on_src = c->phase == SRC_STALLED;
    QTestState *s = on_src ? l->src : l->dst;
    const char *who = on_src ? "source" : "destination";

    link_start(l, c->phase);
    probe_responsive(s, who);
    if (c->ending == END_CANCEL) {
        cancel_source(s);
        end_process(s, END_QUIT, who);
    } else {
        end_process(s, c->ending, who);
    }
    /*
     * Then the link goes: a destination in the middle of the stream
     * fails (status 1, as QEMU's); a source lives on.
     */
    mig_relay_free(l->relay);
    if (on_src) {
        mig_wait_exit_status(l->dst, 1);
    }
    qtest_quit(l->src);
    qtest_quit(l->dst);
    g_free(l);
}

static const Case cases[] = {
    { "dst/precopy-slow/quit", DST_PRECOPY_SLOW, END_QUIT },
    { "dst/precopy-slow/sigterm", DST_PRECOPY_SLOW, END_SIGTERM },
    { "dst/precopy-stalled/quit", DST_PRECOPY_STALLED, END_QUIT },
    { "dst/precopy-stalled/sigterm", DST_PRECOPY_STALLED, END_SIGTERM },
    { "dst/postcopy-slow/quit", DST_POSTCOPY_SLOW, END_QUIT },
    { "dst/postcopy-slow/sigterm", DST_POSTCOPY_SLOW, END_SIGTERM },
    { "dst/postcopy-stalled/quit", DST_POSTCOPY_STALLED, END_QUIT },
    { "dst/postcopy-stalled/sigterm", DST_POSTCOPY_STALLED, END_SIGTERM },
    { "src/stalled/quit", SRC_STALLED, END_QUIT },
    { "src/stalled/sigterm", SRC_STALLED, END_SIGTERM },
    { "src/stalled/cancel", SRC_STALLED, END_CANCEL },
};

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/migration-responsive/%s", cases[i].path);

        g_test_add_data_func(path, &cases[i], test_responsive);
    }
    return g_test_run();
}
