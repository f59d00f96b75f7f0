/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The migration controls management tools use, next to QEMU 7.2. */

/*
 * Each scenario runs on minivmm and, where the test says so, on QEMU
 * 7.2 (-M none) with the same commands and the same assertions, so a
 * difference from QEMU fails on one of the two runs.  Phases are held
 * by the features under test (pre-switchover, postcopy-paused) or by a
 * small bandwidth; every wait is an event or a QMP round trip.
 */

#include "qemu/osdep.h"
#include <arpa/inet.h>
#include <sys/un.h>
#include "dbm-common.h"
#include "migration-relay.h"

/* 64 GiB, so that 1 GiB written at 512 B granularity is 256 KiB of bits. */
#define BIG_DRIVE "-blockdev driver=null-co,node-name=d0,size=68719476736"

typedef void (*ScenarioFn)(const char *binary);

/* Run @fn on minivmm, then on QEMU 7.2 when it is installed. */
static void on_both(ScenarioFn fn)
{
    fn(qtest_binary());
    if (g_file_test(mig_qemu_7_2(), G_FILE_TEST_IS_EXECUTABLE)) {
        fn(mig_qemu_7_2());
    } else {
        g_test_message("QEMU 7.2 (%s) not found: the comparison run is "
                       "skipped (set DBM_PEER_QEMU)", mig_qemu_7_2());
    }
}

static QTestState *vm_start(const char *binary, const char *args)
{
    g_autofree char *full = g_strdup_printf(DBM_BASE_ARGS "%s", args);

    return mig_vm_start_binary(binary, full);
}

/* Assert that @cmd with JSON @args fails with exactly @desc. */
static void assert_qmp_error(QTestState *s, const char *cmd,
                             const char *args, const char *desc)
{
    g_autofree char *err = mig_qmp_error(s, cmd, args);

    g_assert_cmpstr(err, ==, desc);
}

/* The run state, once it is no longer finish-migrate unless @want is. */
static void assert_runstate(QTestState *s, const char *want)
{
    g_autofree char *rs = g_str_equal(want, "finish-migrate") ?
                          mig_runstate(s) :
                          mig_runstate_leaves(s, "finish-migrate");

    g_assert_cmpstr(rs, ==, want);
}

static void assert_query_status(QTestState *s, const char *want)
{
    g_autofree char *st = mig_query_status(s);

    g_assert_cmpstr(st, ==, want);
}

/* Wait for @statuses and assert that exactly @path led there. */
static void assert_path(QTestState *s, const char *statuses,
                        const char *path)
{
    g_autoptr(GString) seen = g_string_new("");

    json_decref(mig_wait_event(s, statuses, seen));
    g_assert_cmpstr(seen->str, ==, path);
}

/* pause-before-switchover */

/* Migrate to nowhere and wait for the pause. */
static void migrate_until_paused(QTestState *s)
{
    mig_migrate_to(s, "exec:cat >/dev/null");
    assert_path(s, "pre-switchover", "setup|active|pre-switchover");
}

/* migrate-continue; the migration goes on by @path to completed. */
static void continue_to_completion(QTestState *s, const char *path)
{
    g_assert_null(mig_qmp_error(s, "migrate-continue",
                                "{\"state\": \"pre-switchover\"}"));
    assert_path(s, "completed", path);
}

static void pause_precopy(const char *binary)
{
    QTestState *s = vm_start(binary, BIG_DRIVE);

    assert_qmp_error(s, "migrate-continue", "{\"state\": \"pre-switchover\"}",
                     "Migration not in expected state: none");
    mig_set_caps(s, "events,pause-before-switchover");
    migrate_until_paused(s);
    assert_query_status(s, "pre-switchover");
    assert_runstate(s, "finish-migrate");
    assert_qmp_error(s, "migrate-continue", "{\"state\": \"active\"}",
                     "Migration not in expected state: pre-switchover");
    assert_qmp_error(s, "migrate-continue", "{\"state\": \"device\"}",
                     "Migration not in expected state: pre-switchover");
    continue_to_completion(s, "device|completed");
    assert_runstate(s, "postmigrate");
    assert_qmp_error(s, "migrate-continue", "{\"state\": \"pre-switchover\"}",
                     "Migration not in expected state: completed");
    qtest_quit(s);
}

static void test_pause_precopy(void)
{
    on_both(pause_precopy);
}

static void pause_cancel(const char *binary)
{
    QTestState *s = vm_start(binary, BIG_DRIVE);
    g_autoptr(GString) seen = g_string_new("");

    mig_set_caps(s, "events,pause-before-switchover");
    migrate_until_paused(s);
    g_assert_null(mig_qmp_error(s, "migrate_cancel", NULL));
    json_decref(mig_wait_event(s, "cancelled", seen));
    /*
     * QEMU 7.2 wakes the paused thread before it marks the cancel, which
     * sometimes gets to 'device' first; minivmm marks it first.
     */
    if (g_str_equal(binary, qtest_binary()) ||
        !g_str_equal(seen->str, "device|cancelling|cancelled")) {
        g_assert_cmpstr(seen->str, ==, "cancelling|cancelled");
    }
    assert_runstate(s, "running");
    /* The next migration pauses again: no wake-up was left over. */
    migrate_until_paused(s);
    continue_to_completion(s, "device|completed");
    qtest_quit(s);
}

static void test_pause_cancel(void)
{
    on_both(pause_cancel);
}

/*
 * Postcopy: the VM stops, pauses in pre-switchover and continues in
 * postcopy-active (no 'device' state, and no postcopy-active before
 * the pause, as QEMU 7.2 does it).
 */
static void pause_postcopy(const char *binary)
{
    QTestState *s = vm_start(binary, BIG_DRIVE);

    mig_set_caps(s, "events,pause-before-switchover,dirty-bitmaps");
    mig_set_params(s, "\"max-bandwidth\": 100000, "
                   "\"max-postcopy-bandwidth\": 4000000");
    mig_bitmap_add(s, "d0", "b1", 512, false);
    dbm_write(s, "d0", 0, 1 << 30, true);
    mig_migrate_to(s, "exec:cat >/dev/null");
    assert_path(s, "active", "setup|active");
    g_assert_null(mig_qmp_error(s, "migrate-start-postcopy", NULL));
    assert_path(s, "pre-switchover", "pre-switchover");
    assert_runstate(s, "finish-migrate");
    assert_qmp_error(s, "migrate-continue", "{\"state\": \"device\"}",
                     "Migration not in expected state: pre-switchover");
    continue_to_completion(s, "postcopy-active|completed");
    assert_runstate(s, "postmigrate");
    qtest_quit(s);
}

static void test_pause_postcopy(void)
{
    on_both(pause_postcopy);
}

/*
 * postcopy-ram with dirty-bitmaps.  With no guest RAM there is nothing
 * to fault in; the stream is QEMU 7.2's with postcopy-ram: ADVISE with
 * 16 bytes of page sizes, ram kept open into postcopy, PINGs 2, 3, 4
 * around the package, and a return path.  QEMU 7.2 -M none as the
 * destination of a postcopy-ram switch-over exits at LISTEN ("Failed to
 * map postcopy_tmp_pages": it has no RAM block to size its buffers
 * from); precopy to it completes.
 */

#define POSTCOPY_CAPS "events,dirty-bitmaps,postcopy-ram"
/* Where a postcopy-ram stream's ADVISE ends: header 8, configuration 9,
 * OPEN_RETURN_PATH 5, PING 9, ADVISE 5 + 16. */
#define ADVISE_END 0x34

typedef struct VmPair {
    QTestState *src;
    QTestState *dst;
    MigRelay *relay;
} VmPair;

/*
 * Start @src_bin and @dst_bin with @caps and a bitmap to move, and
 * migrate through a relay; with @postcopy, switch to postcopy.
 */
static void pair_migrate_at(VmPair *p, const char *src_bin,
                            const char *dst_bin, const char *caps,
                            bool postcopy, int postcopy_bandwidth)
{
    g_autofree char *in = NULL;
    g_autofree char *via = NULL;

    p->src = vm_start(src_bin, BIG_DRIVE);
    p->dst = vm_start(dst_bin, BIG_DRIVE " -incoming defer");
    mig_set_caps(p->src, caps);
    mig_set_caps(p->dst, caps);
    mig_bitmap_add(p->src, "d0", "b1", 512, false);
    dbm_write(p->src, "d0", 0, 1 << 30, true);
    if (postcopy) {
        g_autofree char *params = g_strdup_printf(
            "\"max-bandwidth\": 100000, \"max-postcopy-bandwidth\": %d",
            postcopy_bandwidth);

        mig_set_params(p->src, params);
    } else {
        /* Converge at once, whatever the measured bandwidth. */
        mig_set_params(p->src, "\"downtime-limit\": 2000000");
    }
    in = g_strdup_printf("%s/in.sock", qtest_tmpdir(p->dst));
    via = g_strdup_printf("%s/relay.sock", qtest_tmpdir(p->src));
    qtest_qmp_assert_success(p->dst, "{\"execute\": \"migrate-incoming\", "
                             "\"arguments\": {\"uri\": \"unix:%s\"}}", in);
    p->relay = mig_relay_new(via, in);
    mig_relay_at_cmd(p->relay, 3, true, MIG_RELAY_NOTE);
    mig_migrate_to(p->src, mig_relay_uri(p->relay));
    if (postcopy) {
        assert_path(p->src, "active", "setup|active");
        g_assert_null(mig_qmp_error(p->src, "migrate-start-postcopy", NULL));
    }
}

static void pair_migrate(VmPair *p, const char *src_bin, const char *dst_bin,
                         const char *caps, bool postcopy)
{
    pair_migrate_at(p, src_bin, dst_bin, caps, postcopy, 4000000);
}

static void pair_free(VmPair *p)
{
    qtest_quit(p->src);
    qtest_quit(p->dst);
    mig_relay_free(p->relay);
}

/* Both sides complete, the bitmap arrived whole and the VM runs there. */
static void pair_assert_completed(VmPair *p, bool postcopy)
{
    g_assert_cmphex(mig_relay_wait(p->relay), ==, ADVISE_END);
    assert_path(p->src, "completed",
                postcopy ? "postcopy-active|completed" :
                           "setup|active|completed");
    json_decref(mig_wait_event(p->dst, "completed", NULL));
    dbm_assert_same_sha(p->src, "d0", "b1", p->dst, "d0", "b1");
    assert_runstate(p->dst, "running");
    assert_runstate(p->src, "postmigrate");
}

static void postcopy_ram_between(const char *src_bin, const char *dst_bin)
{
    for (int postcopy = 0; postcopy < 2; postcopy++) {
        VmPair p;

        pair_migrate(&p, src_bin, dst_bin, POSTCOPY_CAPS, postcopy);
        pair_assert_completed(&p, postcopy);
        pair_free(&p);
    }
}

static void test_postcopy_ram_caps(void)
{
    QTestState *s = vm_start(qtest_binary(), "");

    mig_set_caps(s, "postcopy-ram");
    assert_qmp_error(s, "migrate-set-capabilities",
                     "{\"capabilities\": [{\"capability\": \"x-ignore-shared\","
                     " \"state\": true}]}",
                     "Postcopy is not compatible with ignore-shared");
    /* A second channel for urgent RAM pages: beyond what we have. */
    assert_qmp_error(s, "migrate-set-capabilities",
                     "{\"capabilities\": [{\"capability\": "
                     "\"postcopy-preempt\", \"state\": true}]}",
                     "Postcopy preempt is not supported");
    qtest_quit(s);
}

static void test_postcopy_ram_minivmm(void)
{
    postcopy_ram_between(qtest_binary(), qtest_binary());
}

static void test_postcopy_ram_from_qemu(void)
{
    if (!mig_skip_without_qemu_7_2()) {
        postcopy_ram_between(mig_qemu_7_2(), qtest_binary());
    }
}

/* To QEMU 7.2: precopy completes; a switch-over loses the destination. */
static void test_postcopy_ram_to_qemu(void)
{
    VmPair p;

    if (mig_skip_without_qemu_7_2()) {
        return;
    }
    pair_migrate(&p, qtest_binary(), mig_qemu_7_2(), POSTCOPY_CAPS, false);
    pair_assert_completed(&p, false);
    pair_free(&p);

    /*
     * Slowly, so that the source meets the broken channel while it still
     * sends (it pauses), not at its end (the return path fails it).
     */
    pair_migrate_at(&p, qtest_binary(), mig_qemu_7_2(), POSTCOPY_CAPS, true,
                    20000);
    g_assert_cmphex(mig_relay_wait(p.relay), ==, ADVISE_END);
    mig_wait_exit_status(p.dst, 1);
    dbm_assert_log_has(p.dst, "Failed to map postcopy_tmp_pages");
    /* As QEMU 7.2's own source does: paused, the VM stopped. */
    assert_path(p.src, "postcopy-paused", "postcopy-active|postcopy-paused");
    assert_runstate(p.src, "finish-migrate");
    dbm_assert_log_has(p.src, "Detected IO failure for postcopy. "
                       "Migration paused.");
    pair_free(&p);
}

/*
 * Capabilities that differ: a destination with postcopy-ram refuses the
 * 0-byte ADVISE of a source without it (QEMU's message, exit 1), and a
 * destination without it refuses the 16-byte one.
 */
static void advise_mismatch(const char *dst_bin)
{
    static const struct {
        const char *src_caps, *dst_caps, *message;
    } cases[] = {
        { "events,dirty-bitmaps", POSTCOPY_CAPS,
          "RAM postcopy is enabled but have 0 byte advise" },
        { POSTCOPY_CAPS, "events,dirty-bitmaps",
          "RAM postcopy is disabled but have 16 byte advise" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        QTestState *src = vm_start(qtest_binary(), BIG_DRIVE);
        g_autofree char *dargs = g_strdup_printf(DBM_BASE_ARGS "%s",
                                                 BIG_DRIVE " -incoming defer");
        QTestState *dst = mig_vm_start_binary(dst_bin, dargs);

        mig_set_caps(src, cases[i].src_caps);
        mig_set_caps(dst, cases[i].dst_caps);
        mig_migrate(src, dst);
        mig_wait_exit_status(dst, 1);
        dbm_assert_log_has(dst, cases[i].message);
        qtest_quit(dst);
        json_decref(mig_wait_event(src, "failed|completed", NULL));
        qtest_quit(src);
    }
}

static void test_postcopy_ram_advise_mismatch(void)
{
    on_both(advise_mismatch);
}

/*
 * fd: URIs, the way libvirt hands over the migration socket: one end of
 * a socketpair goes to the source over its QMP socket (getfd, then
 * migrate uri=fd:NAME), the other is inherited by the destination
 * (-incoming fd:N) or passed to it too (migrate-incoming uri=fd:NAME).
 */

static void fd_errors(const char *binary)
{
    QTestState *s = vm_start(binary, "");
    int sv[2];
    json_t *rsp;

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                    ==, 0);
    assert_qmp_error(s, "getfd", "{\"fdname\": \"m\"}",
                     "No file descriptor supplied via SCM_RIGHTS");
    rsp = qtest_qmp_fds(s, sv, 1, "{\"execute\": \"getfd\", \"arguments\": "
                        "{\"fdname\": \"3x\"}}");
    g_assert_cmpstr(json_string_value(json_object_get(json_object_get(rsp,
                    "error"), "desc")), ==,
                    "Parameter 'fdname' expects a name not starting with a "
                    "digit");
    json_decref(rsp);
    /* Twice the same name: the second replaces the first. */
    for (int i = 0; i < 2; i++) {
        json_decref(qtest_qmp_fds(s, sv, 2, "{\"execute\": \"getfd\", "
                                  "\"arguments\": {\"fdname\": \"m\"}}"));
    }
    assert_qmp_error(s, "closefd", "{\"fdname\": \"nosuch\"}",
                     "File descriptor named 'nosuch' not found");
    g_assert_null(mig_qmp_error(s, "closefd", "{\"fdname\": \"m\"}"));
    assert_qmp_error(s, "closefd", "{\"fdname\": \"m\"}",
                     "File descriptor named 'm' not found");
    /* migrate fails at once, and query-migrate says why. */
    assert_qmp_error(s, "migrate", "{\"uri\": \"fd:nosuch\"}",
                     "File descriptor named 'nosuch' has not been found");
    assert_query_status(s, "failed");
    rsp = qtest_qmp_assert_success_ref(s, "{\"execute\": \"query-migrate\"}");
    g_assert_cmpstr(json_string_value(json_object_get(rsp, "error-desc")), ==,
                    "File descriptor named 'nosuch' has not been found");
    json_decref(rsp);
    assert_qmp_error(s, "migrate", "{\"uri\": \"fd:3\"}",
                     "File descriptor named '3' has not been found");
    close(sv[0]);
    close(sv[1]);
    qtest_quit(s);
}

static void test_fd_errors(void)
{
    on_both(fd_errors);
}

static void test_fd_cmdline_errors(void)
{
    static const char *const bad[] = { "abc", "", "-1" };

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *args = g_strdup_printf("-M none -incoming fd:%s",
                                                bad[i]);
        g_autofree char *want = g_strdup_printf(
            "-incoming fd:%s: Invalid file descriptor number '%s'",
            bad[i], bad[i]);
        g_autofree char *out = NULL;

        g_assert_cmpint(qtest_run(args, &out), ==, 1);
        g_assert_nonnull(strstr(out, want));
    }
}

/*
 * Start @binary as a destination that inherits @fd as descriptor number
 * @fd (-incoming fd:N), or, when @by_name, that gets it through getfd
 * and migrate-incoming uri=fd:NAME.
 */
static QTestState *fd_destination(const char *binary, int fd, bool by_name)
{
    g_autofree char *args = NULL;
    QTestState *d;

    if (by_name) {
        d = vm_start(binary, BIG_DRIVE " -incoming defer");
        json_decref(qtest_qmp_fds(d, &fd, 1, "{\"execute\": \"getfd\", "
                                  "\"arguments\": {\"fdname\": \"mig\"}}"));
        return d;
    }
    /* Inherited by this one child only: no CLOEXEC while it starts. */
    g_assert_cmpint(fcntl(fd, F_SETFD, 0), ==, 0);
    args = g_strdup_printf(BIG_DRIVE " -incoming fd:%d", fd);
    d = vm_start(binary, args);
    g_assert_cmpint(fcntl(fd, F_SETFD, FD_CLOEXEC), ==, 0);
    return d;
}

static void fd_migrate(const char *src_bin, const char *dst_bin,
                       bool by_name)
{
    QTestState *src = vm_start(src_bin, BIG_DRIVE);
    QTestState *dst;
    int sv[2];

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                    ==, 0);
    dst = fd_destination(dst_bin, sv[1], by_name);
    close(sv[1]);
    mig_set_caps(src, "events,dirty-bitmaps,return-path");
    mig_set_caps(dst, "events,dirty-bitmaps,return-path");
    mig_set_params(src, "\"downtime-limit\": 2000000");
    mig_bitmap_add(src, "d0", "b1", 65536, false);
    mig_bitmap_add(src, "d0", "b2", 512, true);
    dbm_write(src, "d0", 0, 1 << 30, true);
    if (by_name) {
        qtest_qmp_assert_success(dst, "{\"execute\": \"migrate-incoming\", "
                                 "\"arguments\": {\"uri\": \"fd:mig\"}}");
    }
    json_decref(qtest_qmp_fds(src, sv, 1, "{\"execute\": \"getfd\", "
                              "\"arguments\": {\"fdname\": \"mig\"}}"));
    close(sv[0]);
    mig_migrate_to(src, "fd:mig");
    json_decref(mig_wait_event(src, "completed", NULL));
    json_decref(mig_wait_event(dst, "completed", NULL));
    dbm_assert_same_sha(src, "d0", "b1", dst, "d0", "b1");
    dbm_assert_same_sha(src, "d0", "b2", dst, "d0", "b2");
    assert_runstate(dst, "running");
    /* The name was used up by migrate. */
    assert_qmp_error(src, "closefd", "{\"fdname\": \"mig\"}",
                     "File descriptor named 'mig' not found");
    qtest_quit(src);
    qtest_quit(dst);
}

static void test_fd_minivmm(void)
{
    fd_migrate(qtest_binary(), qtest_binary(), false);
    fd_migrate(qtest_binary(), qtest_binary(), true);
}

static void test_fd_qemu(void)
{
    if (mig_skip_without_qemu_7_2()) {
        return;
    }
    fd_migrate(qtest_binary(), mig_qemu_7_2(), false);
    fd_migrate(mig_qemu_7_2(), qtest_binary(), false);
    fd_migrate(mig_qemu_7_2(), qtest_binary(), true);
}

/*
 * migrate-pause and postcopy recovery.  QEMU 7.2 allows them in postcopy
 * with postcopy-ram (whose return path carries RESUME_ACK): migrate-
 * pause on either side breaks the channel and both go postcopy-paused;
 * migrate-recover gives the destination a new URI, migrate resume=true
 * takes the source there.  QEMU 7.2 -M none cannot be the destination
 * (see above), so its source is checked against our destination.  The
 * destination drops the bitmaps it was loading at the break, as QEMU's
 * module does.
 */

static void recover_errors(const char *binary)
{
    QTestState *s = vm_start(binary, "");

    assert_qmp_error(s, "migrate-pause", NULL,
                     "migrate-pause is currently only supported during "
                     "postcopy-active state");
    assert_qmp_error(s, "migrate-recover", "{\"uri\": \"unix:/nonexistent\"}",
                     "Migrate recover can only be run when postcopy is "
                     "paused.");
    assert_qmp_error(s, "migrate", "{\"uri\": \"unix:/nonexistent\", "
                     "\"resume\": true}",
                     "Cannot resume if there is no paused migration");
    qtest_quit(s);
}

static void test_recover_errors(void)
{
    on_both(recover_errors);
}

/* Poll (QMP round trips, bounded) until @s's log holds @text. */
static void wait_log_has(QTestState *s, const char *text)
{
    for (int i = 0; i < 100000; i++) {
        g_autofree char *log = qtest_get_log(s);

        if (strstr(log, text)) {
            return;
        }
        assert_query_status(s, "postcopy-paused");
    }
    g_error("log never showed '%s'", text);
}

/*
 * Wait until the switch-over is over on both sides: the destination
 * runs, and the source sent postcopy data (ram's first postcopy section
 * counts in postcopy-bytes).  QEMU 7.2's source fails, instead of
 * pausing, on a channel broken while it still finishes the package.
 */
static void wait_postcopy_proper(QTestState *src, QTestState *dst)
{
    qtest_qmp_eventwait(dst, "RESUME");
    for (int i = 0; ; i++) {
        json_t *rsp = qtest_qmp_assert_success_ref(src,
                                "{\"execute\": \"query-migrate\"}");
        json_int_t bytes = json_integer_value(json_object_get(
            json_object_get(rsp, "ram"), "postcopy-bytes"));

        json_decref(rsp);
        if (bytes > 0) {
            return;
        }
        g_assert_cmpint(i, <, 100000);
    }
}

/* Pause on the source (or @pause_dst) in postcopy, recover, complete. */
static void recover_flow(const char *src_bin, bool pause_dst)
{
    VmPair p;
    g_autofree char *in2 = NULL;
    g_autofree char *missing = NULL;
    g_autofree char *resume = NULL;
    QTestState *pauser;

    /* 256 KiB of bits at 20 kB/s: postcopy lasts long enough to pause. */
    pair_migrate_at(&p, src_bin, qtest_binary(), POSTCOPY_CAPS, true, 20000);
    assert_path(p.src, "postcopy-active", "postcopy-active");
    wait_postcopy_proper(p.src, p.dst);
    pauser = pause_dst ? p.dst : p.src;
    g_assert_null(mig_qmp_error(pauser, "migrate-pause", NULL));
    assert_path(p.src, "postcopy-paused", "postcopy-paused");
    assert_path(p.dst, "postcopy-paused",
                "setup|active|postcopy-active|postcopy-paused");
    assert_runstate(p.src, "finish-migrate");
    assert_runstate(p.dst, "running");
    assert_qmp_error(pauser, "migrate-pause", NULL,
                     "migrate-pause is currently only supported during "
                     "postcopy-active state");

    /* A resume whose connect fails leaves it paused, said in the log. */
    missing = g_strdup_printf("{\"uri\": \"unix:%s/missing.sock\", "
                              "\"resume\": true}", qtest_tmpdir(p.src));
    g_assert_null(mig_qmp_error(p.src, "migrate", missing));
    wait_log_has(p.src, "Failed to connect to");
    assert_query_status(p.src, "postcopy-paused");

    in2 = g_strdup_printf("{\"uri\": \"unix:%s/in2.sock\"}",
                          qtest_tmpdir(p.dst));
    g_assert_null(mig_qmp_error(p.dst, "migrate-recover", in2));
    assert_qmp_error(p.dst, "migrate-recover", "{\"uri\": \"unix:/x\"}",
                     "Migrate recovery is triggered already");
    resume = g_strdup_printf("{\"uri\": \"unix:%s/in2.sock\", "
                             "\"resume\": true}", qtest_tmpdir(p.dst));
    g_assert_null(mig_qmp_error(p.src, "migrate", resume));
    assert_path(p.src, "postcopy-active", "postcopy-recover|postcopy-active");
    json_decref(mig_wait_event(p.dst, "postcopy-active", NULL));

    mig_set_params(p.src, "\"max-postcopy-bandwidth\": 0");
    assert_path(p.src, "completed", "completed");
    json_decref(mig_wait_event(p.dst, "completed", NULL));
    assert_runstate(p.src, "postmigrate");
    assert_runstate(p.dst, "running");
    dbm_assert_no_bitmap(p.dst, "d0", "b1");
    dbm_assert_log_has(p.dst, "Detected IO failure for postcopy. "
                       "Migration paused.");
    pair_free(&p);
}

static void test_recover_minivmm(void)
{
    recover_flow(qtest_binary(), false);
    recover_flow(qtest_binary(), true);
}

/*
 * quit on a destination paused for migrate-recover: the listen thread
 * stops waiting and the process exits 0 (qtest_quit checks it), first.
 */
static void test_recover_quit_paused(void)
{
    VmPair p;

    pair_migrate_at(&p, qtest_binary(), qtest_binary(), POSTCOPY_CAPS, true,
                    20000);
    assert_path(p.src, "postcopy-active", "postcopy-active");
    wait_postcopy_proper(p.src, p.dst);
    g_assert_null(mig_qmp_error(p.dst, "migrate-pause", NULL));
    assert_path(p.dst, "postcopy-paused",
                "setup|active|postcopy-active|postcopy-paused");
    qtest_quit(p.dst);
    qtest_quit(p.src);
    mig_relay_free(p.relay);
}

static void test_recover_qemu_source(void)
{
    if (mig_skip_without_qemu_7_2()) {
        return;
    }
    recover_flow(mig_qemu_7_2(), false);
    recover_flow(mig_qemu_7_2(), true);
}

/*
 * Without postcopy-ram the source still pauses (dirty-bitmaps postcopy,
 * as QEMU 7.2), but no destination pauses or answers a resume: QEMU
 * 7.2 would accept it and wait in postcopy-recover for good; we refuse.
 */
static void test_recover_needs_postcopy_ram(void)
{
    VmPair p;

    pair_migrate_at(&p, qtest_binary(), qtest_binary(),
                    "events,dirty-bitmaps", true, 20000);
    assert_path(p.src, "postcopy-active", "postcopy-active");
    qtest_qmp_eventwait(p.dst, "RESUME");
    g_assert_null(mig_qmp_error(p.src, "migrate-pause", NULL));
    assert_path(p.src, "postcopy-paused", "postcopy-paused");
    assert_qmp_error(p.src, "migrate", "{\"uri\": \"exec:cat >/dev/null\", "
                     "\"resume\": true}",
                     "Postcopy recovery needs the postcopy-ram capability");
    /* No pause there: the destination gives the bitmaps up and runs on. */
    assert_runstate(p.dst, "running");
    g_assert_null(mig_qmp_error(p.src, "migrate_cancel", NULL));
    assert_path(p.src, "cancelled", "cancelling|cancelled");
    pair_free(&p);
}

/*
 * Cancel and quit during a connect that never completes: a listener
 * whose accept queue is full (backlog 0 and one connection nobody
 * accepts) drops further SYNs, so a TCP connect waits in SYN_SENT for
 * about two minutes; a unix one finds the backlog full.  The VM's
 * timeout is short, so a connect that blocked would fail the test.
 * QEMU 7.2 answers quit at once but stays in 'cancelling' until its
 * connect times out: only minivmm is run here.
 */
typedef struct Blackhole {
    int listen_fd;
    int filler_fd;      /* the connection that fills the queue */
    char *uri;
    int port;           /* tcp only */
} Blackhole;

static Blackhole *blackhole_new(bool tcp, const char *dir)
{
    Blackhole *b = g_new0(Blackhole, 1);
    struct sockaddr_storage ss = { 0 };
    socklen_t len;

    if (tcp) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;

        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(*in);
    } else {
        struct sockaddr_un *un = (struct sockaddr_un *)&ss;

        un->sun_family = AF_UNIX;
        g_snprintf(un->sun_path, sizeof(un->sun_path), "%s/full.sock", dir);
        len = sizeof(*un);
    }
    b->listen_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(b->listen_fd, >=, 0);
    g_assert_cmpint(bind(b->listen_fd, (struct sockaddr *)&ss, len), ==, 0);
    g_assert_cmpint(listen(b->listen_fd, 0), ==, 0);
    g_assert_cmpint(getsockname(b->listen_fd, (struct sockaddr *)&ss, &len),
                    ==, 0);
    b->filler_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(connect(b->filler_fd, (struct sockaddr *)&ss, len), ==,
                    0);
    if (tcp) {
        b->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        b->uri = g_strdup_printf("tcp:127.0.0.1:%d", b->port);
    } else {
        b->uri = g_strdup_printf("unix:%s",
                                 ((struct sockaddr_un *)&ss)->sun_path);
    }
    return b;
}

static void blackhole_free(Blackhole *b)
{
    close(b->filler_fd);
    close(b->listen_fd);
    g_free(b->uri);
    g_free(b);
}

/* Whether a socket of this network namespace is in SYN_SENT to @port. */
static bool syn_sent_to(int port)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    g_autofree char *want = g_strdup_printf("0100007F:%04X", port);

    g_assert_true(g_file_get_contents("/proc/net/tcp", &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        g_auto(GStrv) f = g_strsplit_set(g_strstrip(*l), " ", -1);
        g_autoptr(GPtrArray) cols = g_ptr_array_new();

        for (char **c = f; *c; c++) {
            if (**c) {
                g_ptr_array_add(cols, *c);
            }
        }
        if (cols->len > 3 && g_str_equal(cols->pdata[2], want) &&
            g_str_equal(cols->pdata[3], "02")) {
            return true;
        }
    }
    return false;
}

/* Start a migration into @b and return once its connect is waiting. */
static QTestState *migrate_into_blackhole(Blackhole **bp, bool tcp)
{
    QTestState *s = vm_start(qtest_binary(), "");
    int i;

    qtest_set_timeout(s, 10);
    *bp = blackhole_new(tcp, qtest_tmpdir(s));
    mig_set_caps(s, "events");
    mig_migrate_to(s, (*bp)->uri);
    assert_path(s, "setup", "setup");
    for (i = 0; tcp && !syn_sent_to((*bp)->port); i++) {
        g_assert_cmpint(i, <, 100000);
        assert_query_status(s, "setup");    /* a QMP round trip */
    }
    assert_query_status(s, "setup");
    return s;
}

static void connect_cancel(bool tcp)
{
    Blackhole *b;
    QTestState *s = migrate_into_blackhole(&b, tcp);

    g_assert_null(mig_qmp_error(s, "migrate_cancel", NULL));
    assert_path(s, "cancelled", "cancelling|cancelled");
    assert_runstate(s, "running");
    qtest_quit(s);
    blackhole_free(b);
}

static void test_connect_cancel_tcp(void)
{
    connect_cancel(true);
}

static void test_connect_cancel_unix(void)
{
    connect_cancel(false);
}

static void test_connect_quit(void)
{
    Blackhole *b;
    QTestState *s = migrate_into_blackhole(&b, true);

    qtest_quit(s);      /* within the 10 s timeout, exit status 0 */
    blackhole_free(b);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/migration/controls/pause/precopy", test_pause_precopy);
    g_test_add_func("/migration/controls/pause/cancel", test_pause_cancel);
    g_test_add_func("/migration/controls/pause/postcopy",
                    test_pause_postcopy);
    g_test_add_func("/migration/controls/postcopy-ram/caps",
                    test_postcopy_ram_caps);
    g_test_add_func("/migration/controls/postcopy-ram/minivmm",
                    test_postcopy_ram_minivmm);
    g_test_add_func("/migration/controls/postcopy-ram/from-qemu",
                    test_postcopy_ram_from_qemu);
    g_test_add_func("/migration/controls/postcopy-ram/to-qemu",
                    test_postcopy_ram_to_qemu);
    g_test_add_func("/migration/controls/postcopy-ram/advise-mismatch",
                    test_postcopy_ram_advise_mismatch);
    g_test_add_func("/migration/controls/fd/errors", test_fd_errors);
    g_test_add_func("/migration/controls/fd/cmdline-errors",
                    test_fd_cmdline_errors);
    g_test_add_func("/migration/controls/fd/minivmm", test_fd_minivmm);
    g_test_add_func("/migration/controls/fd/qemu", test_fd_qemu);
    g_test_add_func("/migration/controls/recover/errors",
                    test_recover_errors);
    g_test_add_func("/migration/controls/recover/minivmm",
                    test_recover_minivmm);
    g_test_add_func("/migration/controls/recover/quit-paused",
                    test_recover_quit_paused);
    g_test_add_func("/migration/controls/recover/qemu-source",
                    test_recover_qemu_source);
    g_test_add_func("/migration/controls/recover/needs-postcopy-ram",
                    test_recover_needs_postcopy_ram);
    g_test_add_func("/migration/controls/connect/cancel-tcp",
                    test_connect_cancel_tcp);
    g_test_add_func("/migration/controls/connect/cancel-unix",
                    test_connect_cancel_unix);
    g_test_add_func("/migration/controls/connect/quit", test_connect_quit);
    return g_test_run();
}
