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
 *
 * The matrix (/dbm-faults/matrix/MODE/PHASE/FAULT): every fault at every
 * phase of both modes, with the return path on so that the source sees
 * what happens to the stream to its end.  Its cases all end the same
 * way, checked by verify_src() and verify_dst():
 *   - the source, if alive, reaches a final status (a paused postcopy is
 *     cancelled, as an operator would), and a failure says why
 *     (error-desc, and the log); its bitmaps are as they were
 *     (sha256, count, not busy, recording); it runs again unless it had
 *     handed the VM over (then it waits in postmigrate with its disks
 *     inactive for 'cont'); a new migration to a fresh destination
 *     carries the same bitmaps; its descriptors are back to where they
 *     were;
 *   - the destination, if alive, either exits with status 1 ("load of
 *     migration failed", precopy and before the package) or runs with
 *     exactly the bitmaps whose COMPLETE reached it, each with the
 *     source's sha256 and none busy (a log line says the others were
 *     lost).
 * Most cases run in the slow suite (dbm-faults-test-slow, -m slow); a
 * few in the default one.  docs/reliability.md has the outcomes of a
 * run, and of one against QEMU 7.2.
 *
 * DBM_FAULTS_OBSERVE=1 (for a run against QEMU 7.2 with
 * QTEST_QEMU_BINARY=qemu-system-x86_64) turns each check that fails into
 * a "DIFF" message and bounds every wait to OBSERVE_WAIT_S seconds, so
 * that the outcome of every case is printed ("RESULT" messages, --tap)
 * instead of the run stopping at the first difference.
 */

#include "qemu/osdep.h"
#include <sys/wait.h>
#include "dbm-common.h"
#include "migration-relay.h"

#define DISK (UINT64_C(64) << 30)
#define DRIVE "-blockdev driver=null-co,node-name=drive0,size=68719476736"
#define NBITMAPS 3
#define MIB (UINT64_C(1) << 20)

/* Command ids of the stream (migration-stream.md 1.9). */
#define MIG_CMD_PACKAGED 7
/* Dense dirty data for the full-socket cases: 1 MiB at 512 B granules. */
#define DENSE_START (UINT64_C(4) << 30)
#define DENSE_LEN (UINT64_C(4) << 30)
#define WRITE_MAX (UINT64_C(1) << 30)
#define OBSERVE_WAIT_S 10

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

/* ---- The matrix ---- */

/*
 * Precopy converges at once with the largest downtime-limit (QEMU 7.2's
 * precopy does not converge otherwise: it counts the bitmaps' pending
 * granules); "live" keeps the default one, with which minivmm sends the
 * bitmap data in PART sections while the source runs (QEMU 7.2 never
 * ends such a precopy).  Postcopy holds precopy with downtime-limit 0 and
 * paces the bulk phase with max-postcopy-bandwidth.
 */
typedef enum Mode {
    MODE_PRECOPY,
    MODE_LIVE,
    MODE_POSTCOPY,
    MODE__MAX,
} Mode;

/* Where the relay stops the stream, in stream order. */
typedef enum Phase {
    PHASE_SETUP,            /* between the first two bitmap STARTs */
    PHASE_PRE_PACKAGE,      /* postcopy: right before the package */
    PHASE_POST_PACKAGE,     /* postcopy: right after it */
    PHASE_BULK,             /* after the second BITS chunk */
    PHASE_COMPLETES,        /* between the first two COMPLETEs */
    PHASE_EOF,              /* right before the main stream's EOF */
    PHASE_LAST_BYTE,        /* precopy: before the trailer's last byte */
    PHASE__MAX,
} Phase;

typedef enum Fault {
    FAULT_CUT,              /* the relay closes both ways */
    FAULT_KILL_SRC,         /* SIGKILL */
    FAULT_KILL_DST,
    FAULT_STOP_CONT_SRC,    /* SIGSTOP, the link runs on, SIGCONT */
    FAULT_STOP_CONT_DST,
    FAULT_STOP_KILL_SRC,    /* SIGSTOP, then SIGKILL */
    FAULT_STOP_KILL_DST,
    FAULT_CANCEL,           /* migrate_cancel */
    FAULT_FULL_CANCEL,      /* the destination reads nothing until the
                               source's socket is full; migrate_cancel */
    FAULT_DST_QUIT,         /* 'quit' on the destination */
    FAULT__MAX,
} Fault;

static const char *const mode_names[MODE__MAX] = {
    "precopy", "live", "postcopy",
};
static const char *const phase_names[PHASE__MAX] = {
    "setup", "pre-package", "post-package", "bulk", "completes", "eof",
    "last-byte",
};
static const char *const fault_names[FAULT__MAX] = {
    "cut", "kill-src", "kill-dst", "stop-cont-src", "stop-cont-dst",
    "stop-kill-src", "stop-kill-dst", "cancel", "full-cancel", "dst-quit",
};

typedef struct Case {
    char *path;
    Mode mode;
    Phase phase;
    Fault fault;
    bool rp;                /* return-path capability */
} Case;

/* What happened, for the RESULT line and the checks. */
typedef struct Outcome {
    GString *diffs;         /* observe mode: the checks that failed */
    char *src;              /* final status, "killed", or "hangs in X" */
    char *dst;              /* "exit N", "killed", "completed K/3", ... */
} Outcome;

static bool observe;

/* A failed check: fatal, or in observe mode a DIFF to report. */
static void G_GNUC_PRINTF(3, 4)
check(Outcome *o, bool ok, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    if (ok) {
        return;
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (!observe) {
        g_error("%s", msg);
    }
    g_test_message("DIFF: %s", msg);
    g_string_append_printf(o->diffs, "%s%s", o->diffs->len ? "; " : "",
                           msg);
}

static bool case_handed_over(const Case *c)
{
    return c->mode == MODE_POSTCOPY && c->phase >= PHASE_PRE_PACKAGE;
}

static bool case_package_arrived(const Case *c)
{
    return c->mode == MODE_POSTCOPY && c->phase >= PHASE_POST_PACKAGE;
}

static bool fault_is_pause(Fault f)
{
    return f == FAULT_STOP_CONT_SRC || f == FAULT_STOP_CONT_DST;
}

static bool fault_is_cancel(Fault f)
{
    return f == FAULT_CANCEL || f == FAULT_FULL_CANCEL;
}

/* The full-socket case needs a source with more to send than buffers. */
static bool case_valid(const Case *c)
{
    if (c->mode != MODE_POSTCOPY &&
        (c->phase == PHASE_PRE_PACKAGE || c->phase == PHASE_POST_PACKAGE)) {
        return false;
    }
    if (c->mode == MODE_POSTCOPY && c->phase == PHASE_LAST_BYTE) {
        return false;       /* a postcopy stream has no trailer */
    }
    if (c->fault == FAULT_FULL_CANCEL) {
        return c->mode != MODE_POSTCOPY ? c->phase <= PHASE_BULK
                                        : c->phase >= PHASE_PRE_PACKAGE &&
                                          c->phase <= PHASE_BULK;
    }
    return true;
}

/* Where each phase is, as a relay mark (see mig_relay_at_mark()). */
static const struct {
    MigRelayMark mark;
    unsigned nth;
    bool after;
    uint64_t back;          /* bytes before the mark's point */
} phase_marks[PHASE__MAX] = {
    [PHASE_SETUP] = { MIG_RELAY_MARK_DBM_START, 1, true, 0 },
    [PHASE_PRE_PACKAGE] = { MIG_RELAY_MARK_PACKAGED, 1, false, 0 },
    [PHASE_POST_PACKAGE] = { MIG_RELAY_MARK_PACKAGED, 1, true, 0 },
    [PHASE_BULK] = { MIG_RELAY_MARK_DBM_BITS, 2, true, 0 },
    [PHASE_COMPLETES] = { MIG_RELAY_MARK_DBM_COMPLETE, 1, true, 0 },
    [PHASE_EOF] = { MIG_RELAY_MARK_EOF, 1, false, 0 },
    [PHASE_LAST_BYTE] = { MIG_RELAY_MARK_VMDESC, 1, true, 1 },
};

/* Arm the relay at @c's phase: cut there, or hold everything there. */
static void arm_phase(MigRelay *r, const Case *c)
{
    MigRelayAction a = c->fault == FAULT_CUT ? MIG_RELAY_CUT
                                             : MIG_RELAY_STALL;

    mig_relay_at_mark(r, phase_marks[c->phase].mark,
                      phase_marks[c->phase].nth, phase_marks[c->phase].after,
                      phase_marks[c->phase].back, a);
}

static unsigned fd_count(QTestState *s)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/fd", qtest_pid(s));
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    unsigned n = 0;

    g_assert_nonnull(dir);
    while (g_dir_read_name(dir)) {
        n++;
    }
    return n;
}

static gint64 deadline_in(int seconds)
{
    return g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
}

static int wait_seconds(void)
{
    return observe ? OBSERVE_WAIT_S : qtest_get_default_timeout();
}

/*
 * Poll query-migrate (QMP round trips) until its status is one of the
 * '|'-separated @want; NULL when the wait is over first.
 */
static char *poll_status(QTestState *s, const char *want)
{
    g_auto(GStrv) w = g_strsplit(want, "|", -1);
    gint64 deadline = deadline_in(wait_seconds());
    char *st;

    for (;;) {
        st = mig_query_status(s);
        if (g_strv_contains((const char *const *)w, st) ||
            g_get_monotonic_time() > deadline) {
            break;
        }
        g_free(st);
    }
    if (g_strv_contains((const char *const *)w, st)) {
        return st;
    }
    g_free(st);
    return NULL;
}

/* Like wait_runstate(), bounded as poll_status(); the last one seen. */
static char *poll_runstate(QTestState *s, const char *want)
{
    gint64 deadline = deadline_in(wait_seconds());
    char *st;

    for (;;) {
        st = query_runstate(s);
        if (!strcmp(st, want) || g_get_monotonic_time() > deadline) {
            return st;
        }
        g_free(st);
    }
}

/* Poll until @s has at most @n descriptors; the last count seen. */
static unsigned poll_fds(QTestState *s, unsigned n)
{
    gint64 deadline = deadline_in(wait_seconds());
    unsigned now;

    for (;;) {
        g_free(mig_query_status(s));    /* a round trip: cleanup runs */
        now = fd_count(s);
        if (now <= n || g_get_monotonic_time() > deadline) {
            return now;
        }
    }
}

/* Poll until the log of @s has @text; whether it came in time. */
static bool poll_log(QTestState *s, const char *text)
{
    gint64 deadline = deadline_in(wait_seconds());

    for (;;) {
        g_autofree char *log = qtest_get_log(s);

        if (strstr(log, text)) {
            return true;
        }
        if (g_get_monotonic_time() > deadline) {
            return false;
        }
        g_free(mig_query_status(s));    /* a round trip: cleanup runs */
    }
}

/* Every bitmap of the source as it was; @recording the flag expected. */
static void check_src_bitmaps(Faulty *t, Outcome *o)
{
    for (int i = 0; i < NBITMAPS; i++) {
        g_autofree char *sha = mig_bitmap_sha256(t->src, "drive0", names[i]);
        json_t *bm = mig_bitmap_info(t->src, "drive0", names[i]);

        check(o, bm != NULL, "source lost bitmap %s", names[i]);
        if (!bm) {
            continue;
        }
        check(o, !g_strcmp0(sha, t->sha[i]), "source bitmap %s changed",
              names[i]);
        check(o, !json_is_true(json_object_get(bm, "busy")),
              "source bitmap %s is busy", names[i]);
        check(o, json_is_true(json_object_get(bm, "recording")),
              "source bitmap %s does not record", names[i]);
        check(o, json_integer_value(json_object_get(bm, "count")) ==
              (json_int_t)t->count[i], "source bitmap %s count changed",
              names[i]);
        json_decref(bm);
    }
}

/* The source's run state is @want (polled: it settles after the event). */
static void check_runstate(QTestState *s, Outcome *o, const char *who,
                           const char *want)
{
    g_autofree char *rs = poll_runstate(s, want);

    check(o, !strcmp(rs, want), "%s run state '%s', expected '%s'", who, rs,
          want);
}

/*
 * The source after the fault: its final status (a paused postcopy is
 * cancelled), then its bitmaps and run state.  Returns the status, or
 * NULL if it hangs.
 */
static char *verify_src_status(Faulty *t, const Case *c, Outcome *o)
{
    char *st = poll_status(t->src, "completed|failed|cancelled|"
                                   "postcopy-paused");

    if (st && !strcmp(st, "postcopy-paused")) {
        dbm_assert_log_has(t->src, "Detected IO failure for postcopy. "
                           "Migration paused.");
        qtest_qmp_assert_success(t->src,
                                 "{\"execute\": \"migrate_cancel\"}");
        g_free(st);
        st = poll_status(t->src, "cancelled");
        o->src = g_strdup(st ? "paused, cancelled" : "paused, hangs");
    } else {
        o->src = st ? g_strdup(st) : mig_query_status(t->src);
        if (!st) {
            char *h = g_strdup_printf("hangs in %s", o->src);

            g_free(o->src);
            o->src = h;
        }
    }
    if (!st) {
        check(o, false, "source hangs: %s", o->src);
        return NULL;
    }
    if (fault_is_pause(c->fault)) {
        check(o, !strcmp(st, "completed"), "source %s, expected completed",
              st);
    } else if (fault_is_cancel(c->fault)) {
        check(o, !strcmp(st, "cancelled"), "source %s, expected cancelled",
              st);
    } else if (c->rp) {
        check(o, strcmp(st, "completed") != 0,
              "source completed though the stream broke");
    }
    return st;
}

/* Start a precopy to a fresh destination; it must carry the bitmaps. */
static void remigrate(Faulty *t, const Case *c, Outcome *o)
{
    QTestState *dst2 = dbm_vm_start_incoming(DRIVE);
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;

    mig_set_params(t->src, "\"downtime-limit\": 2000000, "
                   "\"max-postcopy-bandwidth\": 0");
    mig_set_caps(dst2, c->rp ? "events,dirty-bitmaps,return-path"
                             : "events,dirty-bitmaps");
    mig_migrate(t->src, dst2);
    a = poll_status(t->src, "completed|failed|cancelled");
    b = poll_status(dst2, "completed|failed");
    check(o, !g_strcmp0(a, "completed") && !g_strcmp0(b, "completed"),
          "a new migration ends %s/%s", a ? a : "hanging",
          b ? b : "hanging");
    if (b && !strcmp(b, "completed")) {
        for (int i = 0; i < NBITMAPS; i++) {
            g_autofree char *x = mig_bitmap_sha256(t->src, "drive0",
                                                   names[i]);
            g_autofree char *y = mig_bitmap_sha256(dst2, "drive0", names[i]);

            check(o, !strcmp(x, y), "bitmap %s differs after a new "
                  "migration", names[i]);
        }
    }
    qtest_quit(dst2);
}

/*
 * The source after everything: bitmaps as they were, the VM where it
 * should be; then the operator's 'cont' where needed, a write the
 * bitmaps must record, and a new migration.
 */
static void verify_src(Faulty *t, const Case *c, Outcome *o, bool dst_whole,
                       unsigned fds)
{
    g_autofree char *st = verify_src_status(t, c, o);
    bool completed = st && !strcmp(st, "completed");
    bool held = completed || case_handed_over(c);

    if (!st) {
        return;
    }
    dbm_wait_not_busy(t->src, "drive0");
    if (!strcmp(st, "failed")) {
        json_t *info = qtest_qmp_assert_success_ref(t->src,
            "{\"execute\": \"query-migrate\"}");
        const char *why = json_string_value(json_object_get(info,
                                                            "error-desc"));

        /* The cleanup, which may come after the bitmaps, logs it. */
        check(o, why && poll_log(t->src, why), "the source failed "
              "without saying why (error-desc '%s')", why ? why : "");
        json_decref(info);
    }
    check_src_bitmaps(t, o);
    check_runstate(t->src, o, "source", held ? "postmigrate" : "running");
    if (completed && dst_whole) {
        return;         /* the migration went through */
    }
    if (held) {
        g_autofree char *out = qtest_hmp(t->src,
                                         "qemu-io drive0 \"write 0 512\"");

        check(o, strstr(out, "Block node is read-only") != NULL,
              "the source's disk takes writes while stopped: %s", out);
        qtest_qmp_assert_success(t->src, "{\"execute\": \"cont\"}");
        check_runstate(t->src, o, "source", "running");
    }
    /* 64 KiB-aligned, on ground no earlier write touched. */
    dbm_write(t->src, "drive0", DISK - 3 * 65536, 2 * 65536, false);
    for (int i = 0; i < NBITMAPS; i++) {
        t->count[i] += 2 * 65536;
        g_free(t->sha[i]);
        t->sha[i] = mig_bitmap_sha256(t->src, "drive0", names[i]);
    }
    check_src_bitmaps(t, o);
    remigrate(t, c, o);
    check(o, poll_fds(t->src, fds) <= fds, "the source holds %u "
          "descriptors, %u before", fd_count(t->src), fds);
}

static bool is_completed_event(json_t *ev)
{
    json_t *data = json_object_get(ev, "data");

    return !g_strcmp0(json_string_value(json_object_get(ev, "event")),
                      "MIGRATION") &&
           !g_strcmp0(json_string_value(json_object_get(data, "status")),
                      "completed");
}

/*
 * Wait for the destination's end: false if it exits (its QMP connection
 * closes), true once its migration completes (event).  Bounded by the
 * harness's timeout.
 */
static bool dst_wait_end(QTestState *s)
{
    json_t *ev;

    while ((ev = qtest_qmp_event_ref(s, "MIGRATION"))) {
        bool done = is_completed_event(ev);

        json_decref(ev);
        if (done) {
            return true;
        }
    }
    for (;;) {
        json_t *msg = qtest_conn_recv_json(qtest_qmp_conn(s));
        bool done;

        if (!msg) {
            return false;
        }
        done = is_completed_event(msg);
        json_decref(msg);
        if (done) {
            return true;
        }
    }
}

/*
 * The destination after the fault: it exits with status 1, or runs with
 * the bitmaps whose COMPLETE it got.  Returns whether it has them all.
 */
static bool verify_dst(Faulty *t, const Case *c, Outcome *o)
{
    bool complete_expected = fault_is_pause(c->fault) ||
        case_package_arrived(c) ||
        c->phase == PHASE_LAST_BYTE;
    unsigned k, have = 0;

    if (!dst_wait_end(t->dst)) {
        int status;

        g_assert_true(qtest_wait_exit(t->dst, &status));
        o->dst = g_strdup_printf("exit %d", WEXITSTATUS(status));
        check(o, !complete_expected && WIFEXITED(status) &&
              WEXITSTATUS(status) == 1,
              "destination ends with status %#x", status);
        dbm_assert_log_has(t->dst, "load of migration failed");
        qtest_set_expected_status(t->dst, WEXITSTATUS(status));
        return false;
    }
    mig_relay_wait_closed(t->relay);
    k = fault_is_pause(c->fault) ? NBITMAPS :
        mig_relay_marks(t->relay, MIG_RELAY_MARK_DBM_COMPLETE, true);
    for (int i = 0; i < NBITMAPS; i++) {
        json_t *bm = mig_bitmap_info(t->dst, "drive0", names[i]);
        g_autofree char *sha = NULL;

        if (!bm) {
            continue;
        }
        have++;
        sha = mig_bitmap_sha256(t->dst, "drive0", names[i]);
        check(o, !strcmp(sha, t->sha[i]), "destination bitmap %s is not "
              "the source's", names[i]);
        check(o, !json_is_true(json_object_get(bm, "busy")),
              "destination bitmap %s stays busy", names[i]);
        check(o, json_is_true(json_object_get(bm, "recording")),
              "destination bitmap %s does not record", names[i]);
        json_decref(bm);
    }
    o->dst = g_strdup_printf("completed %u/%d", have, NBITMAPS);
    check(o, complete_expected, "destination completed");
    check(o, have == k, "destination has %u bitmaps, %u arrived whole",
          have, k);
    if (have < NBITMAPS) {
        dbm_assert_log_has(t->dst, "All states are migrated except dirty "
                           "bitmaps");
    }
    check_runstate(t->dst, o, "destination", "running");
    dbm_write(t->dst, "drive0", 0, 512, false);
    return have == NBITMAPS;
}

/* SIGSTOP @s, and wait until it has stopped. */
static void stop_process(QTestState *s)
{
    int status;

    qtest_kill(s, SIGSTOP);
    g_assert_cmpint(waitpid(qtest_pid(s), &status, WUNTRACED), ==,
                    qtest_pid(s));
    g_assert_true(WIFSTOPPED(status));
}

/* The live side answers QMP while the other is stopped. */
static void probe(QTestState *s)
{
    g_free(mig_query_status(s));
}

/* SIGKILL @s, reap it, and close the link. */
static void kill_peer(Faulty *t, QTestState *s, bool *alive)
{
    int status;

    qtest_kill(s, SIGKILL);
    g_assert_true(qtest_wait_exit(s, &status));
    *alive = false;
    mig_relay_cut(t->relay);
}

static void inject(Faulty *t, const Case *c, bool *src_alive,
                   bool *dst_alive)
{
    switch (c->fault) {
    case FAULT_CUT:
        break;
    case FAULT_STOP_KILL_SRC:
        stop_process(t->src);
        probe(t->dst);
        /* fall through */
    case FAULT_KILL_SRC:
        kill_peer(t, t->src, src_alive);
        break;
    case FAULT_STOP_KILL_DST:
        stop_process(t->dst);
        mig_relay_release(t->relay);
        probe(t->src);
        /* fall through */
    case FAULT_KILL_DST:
        kill_peer(t, t->dst, dst_alive);
        break;
    case FAULT_STOP_CONT_SRC:
    case FAULT_STOP_CONT_DST: {
        QTestState *stopped = c->fault == FAULT_STOP_CONT_SRC ? t->src
                                                              : t->dst;

        stop_process(stopped);
        mig_relay_release(t->relay);
        probe(stopped == t->src ? t->dst : t->src);
        qtest_kill(stopped, SIGCONT);
        if (c->mode == MODE_POSTCOPY && !case_handed_over(c)) {
            qtest_qmp_assert_success(t->src,
                "{\"execute\": \"migrate-start-postcopy\"}");
        }
        break;
    }
    case FAULT_FULL_CANCEL:
        mig_relay_wait_backlog(t->relay, MIG_RELAY_BUF_BYTES);
        probe(t->src);
        /* fall through */
    case FAULT_CANCEL:
        qtest_qmp_assert_success(t->src,
                                 "{\"execute\": \"migrate_cancel\"}");
        mig_relay_cut(t->relay);
        break;
    case FAULT_DST_QUIT:
        qtest_qmp_send(t->dst, "{\"execute\": \"quit\"}");
        mig_wait_exit_status(t->dst, 0);
        *dst_alive = false;
        mig_relay_cut(t->relay);
        break;
    default:
        g_assert_not_reached();
    }
}

static void test_matrix(gconstpointer opaque)
{
    const Case *c = opaque;
    Faulty *t = faulty_new(c->rp ? "events,dirty-bitmaps,return-path"
                                 : "events,dirty-bitmaps");
    Outcome o = { .diffs = g_string_new("") };
    bool src_alive = true, dst_alive = true, dst_whole = false;
    unsigned fds;

    if (c->fault == FAULT_FULL_CANCEL) {
        for (uint64_t off = 0; off < DENSE_LEN; off += WRITE_MAX) {
            dbm_write(t->src, "drive0", DENSE_START + off, WRITE_MAX, true);
        }
        for (int i = 0; i < NBITMAPS; i++) {
            g_free(t->sha[i]);
            t->sha[i] = mig_bitmap_sha256(t->src, "drive0", names[i]);
            t->count[i] = bitmap_count(t->src, names[i]);
        }
    }
    fds = fd_count(t->src);
    arm_phase(t->relay, c);
    if (c->mode == MODE_POSTCOPY) {
        mig_set_params(t->src, "\"downtime-limit\": 0, "
                       "\"max-postcopy-bandwidth\": 400000");
    } else if (c->mode == MODE_PRECOPY) {
        mig_set_params(t->src, "\"downtime-limit\": 2000000");
    }
    qtest_qmp_assert_success(t->src,
        "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"%s\"}}",
        mig_relay_uri(t->relay));
    if (case_handed_over(c)) {
        g_free(mig_wait_status(t->src, "active"));
        qtest_qmp_assert_success(t->src,
                                 "{\"execute\": \"migrate-start-postcopy\"}");
    }
    mig_relay_wait(t->relay);
    g_assert_null(mig_relay_parse_error(t->relay));
    if (case_handed_over(c)) {
        g_free(mig_wait_status(t->src, "postcopy-active"));
    }
    inject(t, c, &src_alive, &dst_alive);

    if (dst_alive) {
        dst_whole = verify_dst(t, c, &o);
    } else {
        o.dst = g_strdup(c->fault == FAULT_DST_QUIT ? "quit" : "killed");
    }
    if (src_alive) {
        verify_src(t, c, &o, dst_whole, fds);
    } else {
        o.src = g_strdup("killed");
    }
    g_test_message("RESULT %s src=%s dst=%s%s%s", c->path, o.src, o.dst,
                   o.diffs->len ? " diffs=" : "", o.diffs->str);
    if (strstr(o.diffs->str, "hangs")) {
        /* Observe mode: a hanging peer would hold 'quit' up too. */
        qtest_kill(t->src, SIGKILL);
        qtest_kill(t->dst, SIGKILL);
    }
    g_free(o.src);
    g_free(o.dst);
    g_string_free(o.diffs, true);
    faulty_free(t);
}

/* Cases that run in the default suite: one of each kind of fault. */
static bool case_quick(const Case *c)
{
    static const Case quick[] = {
        { NULL, MODE_PRECOPY, PHASE_SETUP, FAULT_CUT, true },
        { NULL, MODE_LIVE, PHASE_BULK, FAULT_KILL_DST, true },
        { NULL, MODE_PRECOPY, PHASE_COMPLETES, FAULT_CANCEL, true },
        { NULL, MODE_POSTCOPY, PHASE_BULK, FAULT_KILL_SRC, true },
        { NULL, MODE_POSTCOPY, PHASE_POST_PACKAGE, FAULT_STOP_CONT_DST, true },
        { NULL, MODE_POSTCOPY, PHASE_COMPLETES, FAULT_DST_QUIT, true },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(quick); i++) {
        if (quick[i].mode == c->mode && quick[i].phase == c->phase &&
            quick[i].fault == c->fault && quick[i].rp == c->rp) {
            return true;
        }
    }
    return false;
}

static void add_matrix(void)
{
    for (Mode m = 0; m < MODE__MAX; m++) {
        for (Phase p = 0; p < PHASE__MAX; p++) {
            for (Fault f = 0; f < FAULT__MAX; f++) {
                for (int rp = 1; rp >= 0; rp--) {
                    Case c = { NULL, m, p, f, rp };

                    if (!case_valid(&c) || (!rp && f != FAULT_CUT) ||
                        case_quick(&c) == g_test_slow()) {
                        continue;
                    }
                    c.path = g_strdup_printf("/dbm-faults/matrix/%s/%s/%s%s",
                                             mode_names[m], phase_names[p],
                                             fault_names[f],
                                             rp ? "" : "-no-rp");
                    g_test_add_data_func(c.path, g_slice_dup(Case, &c),
                                         test_matrix);
                }
            }
        }
    }
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
    observe = g_strcmp0(g_getenv("DBM_FAULTS_OBSERVE"), "1") == 0;
    add_matrix();
    return g_test_run();
}
