/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Migration between minivmm processes (and QEMU 7.2): flows, events, errors. */
#include "qemu/osdep.h"

#include <sys/stat.h>
#include <glib/gstdio.h>

#include "libqtest.h"
#include "migration-helpers.h"

#define VM_ARGS "-M none -nodefaults"

/* Scratch directory for migration sockets and stream files. */
static char *tmpdir;

static char *tmp_path(const char *name)
{
    return g_build_filename(tmpdir, name, NULL);
}

/*
 * Start a VM with the test-only 'x-test-load' section streaming @load
 * bytes ("16M"), or none if @load is NULL.  Both sides need the same.
 */
static QTestState *vm_start_load(const char *load, const char *args)
{
    QTestState *qts;

    if (load) {
        g_setenv("MINIVMM_MIGRATION_TEST_LOAD", load, true);
    }
    qts = qtest_init(args);
    g_unsetenv("MINIVMM_MIGRATION_TEST_LOAD");
    return qts;
}

/*
 * A destination waiting on -incoming @incoming, then a source, both
 * with @load and the extra arguments @extra.
 */
static void start_pair(const char *incoming, const char *load,
                       const char *extra, QTestState **src, QTestState **dst)
{
    g_autofree char *dst_args = g_strdup_printf(VM_ARGS "%s -incoming "
                                                "\"%s\"", extra, incoming);
    g_autofree char *src_args = g_strdup_printf(VM_ARGS "%s", extra);

    *dst = vm_start_load(load, dst_args);
    *src = vm_start_load(load, src_args);
}

/* "unix:" and the socket @name in the scratch directory. */
static char *tmp_uri(const char *name)
{
    return mig_unix_uri(tmpdir, name);
}

static double event_time(json_t *ev)
{
    json_t *ts = json_object_get(ev, "timestamp");

    return json_integer_value(json_object_get(ts, "seconds")) +
           json_integer_value(json_object_get(ts, "microseconds")) / 1e6;
}

/*
 * Wait for MIGRATION with @status; return its time.  *@seen (if given)
 * collects the statuses met on the way, "|"-separated.
 */
static double wait_mig_status(QTestState *qts, const char *status,
                              GString *seen)
{
    json_t *ev = mig_wait_event(qts, status, seen);
    double t = event_time(ev);

    json_decref(ev);
    return t;
}

static double wait_event_time(QTestState *qts, const char *name)
{
    json_t *ev = qtest_qmp_eventwait_ref(qts, name);
    double t = event_time(ev);

    json_decref(ev);
    return t;
}

static int64_t dirty_sync_count(QTestState *qts)
{
    json_t *ret = qtest_qmp_assert_success_ref(qts, "{\"execute\": "
                                               "\"query-migrate\"}");
    int64_t n = json_integer_value(json_object_get(
        json_object_get(ret, "ram"), "dirty-sync-count"));

    json_decref(ret);
    return n;
}

/*
 * After the source's migration ended: query-migrate's dirty-sync-count
 * N matches the MIGRATION_PASS events, exactly 1..N in order (QEMU 7.2
 * emits one per dirty log sync: setup, each estimate below the
 * threshold, the completion).  Returns N.
 */
static int64_t assert_passes(QTestState *src)
{
    int64_t n = dirty_sync_count(src);
    json_t *ev;

    for (int64_t i = 1; i <= n; i++) {
        ev = qtest_qmp_eventwait_ref(src, "MIGRATION_PASS");
        g_assert_cmpint(json_integer_value(json_object_get(
            json_object_get(ev, "data"), "pass")), ==, i);
        json_decref(ev);
    }
    ev = qtest_qmp_event_ref(src, "MIGRATION_PASS");
    g_assert_null(ev);
    return n;
}

/* A full precopy to @uri_dst (listening) from @uri_src, with checks. */
static void do_precopy(const char *dst_incoming, const char *src_uri,
                       const char *load)
{
    g_autoptr(GString) src_seen = g_string_new(NULL);
    g_autoptr(GString) dst_seen = g_string_new(NULL);
    double t_stop, t_done, t_resume, t_dst_done;
    g_autofree char *st = NULL;
    g_autofree char *log = NULL;
    QTestState *src, *dst;
    json_t *ret;

    start_pair(dst_incoming, load, "", &src, &dst);
    mig_set_caps(src, "events,dirty-bitmaps");
    mig_set_caps(dst, "events,dirty-bitmaps");
    st = mig_runstate(dst);
    g_assert_cmpstr(st, ==, "inmigrate");
    g_clear_pointer(&st, g_free);

    mig_migrate_to(src, src_uri);
    t_done = wait_mig_status(src, "completed", src_seen);
    g_assert_cmpstr(src_seen->str, ==, "setup|active|completed");
    t_stop = wait_event_time(src, "STOP");
    g_assert_cmpfloat(t_stop, <=, t_done);
    /*
     * Passes: setup, each estimate made with a non-zero threshold, the
     * completion.  Without data the first estimate (threshold still 0)
     * completes: two passes, as QEMU 7.2 -M none.
     */
    if (load) {
        g_assert_cmpint(assert_passes(src), >=, 2);
    } else {
        g_assert_cmpint(assert_passes(src), ==, 2);
    }
    st = mig_runstate_leaves(src, "finish-migrate");
    g_assert_cmpstr(st, ==, "postmigrate");
    g_clear_pointer(&st, g_free);

    t_dst_done = wait_mig_status(dst, "completed", dst_seen);
    g_assert_cmpstr(dst_seen->str, ==, "active|completed");
    t_resume = wait_event_time(dst, "RESUME");
    g_assert_cmpfloat(t_resume, <=, t_dst_done);
    st = mig_runstate(dst);
    g_assert_cmpstr(st, ==, "running");

    ret = qtest_qmp_assert_success_ref(src, "{\"execute\": "
                                       "\"query-migrate\"}");
    g_assert_cmpstr(json_string_value(json_object_get(ret, "status")), ==,
                    "completed");
    g_assert_nonnull(json_object_get(ret, "total-time"));
    g_assert_nonnull(json_object_get(ret, "downtime"));
    json_decref(ret);
    ret = qtest_qmp_assert_success_ref(dst, "{\"execute\": "
                                       "\"query-migrate\"}");
    g_assert_cmpstr(json_string_value(json_object_get(ret, "status")), ==,
                    "completed");
    g_assert_null(json_object_get(ret, "ram"));
    json_decref(ret);

    /* 'cont' on the source takes its disks back and runs again. */
    g_free(mig_runstate_leaves(src, "finish-migrate"));
    qtest_qmp_assert_success(src, "{\"execute\": \"cont\"}");
    qtest_qmp_eventwait(src, "RESUME");

    log = qtest_get_log(src);
    g_assert_null(strstr(log, "minivmm:"));
    g_free(log);
    log = qtest_get_log(dst);
    g_assert_null(strstr(log, "minivmm:"));
    qtest_quit(src);
    qtest_quit(dst);
}

static void test_precopy_unix(void)
{
    g_autofree char *uri = tmp_uri("mig.sock");

    do_precopy(uri, uri, "16M");
}

static void test_precopy_unix_empty(void)
{
    g_autofree char *uri = tmp_uri("mig0.sock");

    do_precopy(uri, uri, NULL);
}

/*
 * A precopy that keeps going syncs (and emits MIGRATION_PASS) once per
 * loop, as QEMU 7.2's ram does; dirty-sync-count follows the events.
 */
static void test_precopy_passes(void)
{
    g_autofree char *uri = tmp_uri("passes.sock");
    QTestState *src, *dst;
    gint64 deadline;

    start_pair(uri, "64M", "", &src, &dst);
    deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    mig_set_caps(src, "events");
    mig_set_caps(dst, "events");
    mig_set_params(src, "\"max-bandwidth\": 4194304");
    mig_migrate_to(src, uri);
    wait_mig_status(src, "active", NULL);
    /* Each round trip yields to the source's main loop. */
    while (dirty_sync_count(src) < 8) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
    }
    mig_set_params(src, "\"max-bandwidth\": 1073741824");
    wait_mig_status(src, "completed", NULL);
    g_assert_cmpint(assert_passes(src), >, 8);
    wait_mig_status(dst, "completed", NULL);
    qtest_quit(src);
    qtest_quit(dst);
}

static void test_precopy_tcp(void)
{
    g_autofree char *uri = g_strdup_printf("tcp:127.0.0.1:%d",
                                           qtest_free_tcp_port());

    do_precopy(uri, uri, "16M");
}

static void test_precopy_exec(void)
{
    g_autofree char *fifo = tmp_path("mig.fifo");
    g_autofree char *dst_uri = g_strdup_printf("exec:cat %s", fifo);
    g_autofree char *src_uri = g_strdup_printf("exec:cat > %s", fifo);

    unlink(fifo);
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    do_precopy(dst_uri, src_uri, "8M");
}

/* file: (QEMU 8.2's scheme): write a stream, then load it. */
static void test_precopy_file(void)
{
    g_autofree char *file = tmp_path("stream.bin");
    g_autofree char *dst_args = g_strdup_printf(VM_ARGS " -incoming file:%s",
                                                file);
    g_autofree char *uri = g_strdup_printf("file:%s", file);
    g_autofree char *st = NULL;
    QTestState *src, *dst;

    src = vm_start_load("4M", VM_ARGS);
    mig_set_caps(src, "events");
    mig_migrate_to(src, uri);
    wait_mig_status(src, "completed", NULL);
    qtest_quit(src);

    dst = vm_start_load("4M", dst_args);
    st = mig_runstate_leaves(dst, "inmigrate");
    g_assert_cmpstr(st, ==, "running");
    g_clear_pointer(&st, g_free);
    st = mig_query_status(dst);
    g_assert_cmpstr(st, ==, "completed");
    qtest_quit(dst);
}

static void test_postcopy(void)
{
    g_autofree char *uri = tmp_uri("pc.sock");
    QTestState *src, *dst;
    g_autoptr(GString) src_seen = g_string_new(NULL);
    g_autoptr(GString) dst_seen = g_string_new(NULL);
    double t_stop, t_resume, t_done;
    g_autofree char *st = NULL;

    start_pair(uri, "32M", "", &src, &dst);
    mig_set_caps(src, "events,dirty-bitmaps");
    mig_set_caps(dst, "events,dirty-bitmaps");
    /* Never converge in precopy; 16 MiB/s keeps the precopy phase going. */
    mig_set_params(src, "\"downtime-limit\": 0, "
                   "\"max-bandwidth\": 16777216");
    mig_migrate_to(src, uri);
    wait_mig_status(src, "active", src_seen);
    qtest_qmp_assert_success(src, "{\"execute\": "
                             "\"migrate-start-postcopy\"}");
    wait_mig_status(src, "completed", src_seen);
    g_assert_cmpstr(src_seen->str, ==,
                    "setup|active|postcopy-active|completed");
    t_stop = wait_event_time(src, "STOP");
    st = mig_runstate_leaves(src, "finish-migrate");
    g_assert_cmpstr(st, ==, "postmigrate");
    g_clear_pointer(&st, g_free);

    t_done = wait_mig_status(dst, "completed", dst_seen);
    g_assert_cmpstr(dst_seen->str, ==, "active|postcopy-active|completed");
    t_resume = wait_event_time(dst, "RESUME");
    g_assert_cmpfloat(t_stop, <=, t_resume);
    g_assert_cmpfloat(t_resume, <=, t_done);
    st = mig_runstate(dst);
    g_assert_cmpstr(st, ==, "running");
    qtest_quit(src);
    qtest_quit(dst);
}

static void test_postcopy_errors(void)
{
    QTestState *qts = qtest_init(VM_ARGS);
    json_t *rsp;

    rsp = qtest_qmp(qts, "{\"execute\": \"migrate-start-postcopy\"}");
    g_assert_cmpstr(json_string_value(json_object_get(
        json_object_get(rsp, "error"), "desc")), ==,
        "Enable postcopy with migrate_set_capability before the start of "
        "migration");
    json_decref(rsp);
    mig_set_caps(qts, "dirty-bitmaps");
    rsp = qtest_qmp(qts, "{\"execute\": \"migrate-start-postcopy\"}");
    g_assert_cmpstr(json_string_value(json_object_get(
        json_object_get(rsp, "error"), "desc")), ==,
        "Postcopy must be started after migration has been started");
    json_decref(rsp);
    qtest_quit(qts);
}

/* Cancel on the source while the stream flows; the destination fails. */
static void test_cancel_active(void)
{
    g_autofree char *uri = tmp_uri("cancel.sock");
    QTestState *src, *dst;
    g_autoptr(GString) seen = g_string_new(NULL);
    g_autofree char *st = NULL;
    g_autofree char *log = NULL;

    start_pair(uri, "64M", "", &src, &dst);
    mig_set_caps(src, "events");
    mig_set_params(src, "\"max-bandwidth\": 8388608");
    mig_migrate_to(src, uri);
    wait_mig_status(src, "active", seen);
    qtest_qmp_assert_success(src, "{\"execute\": \"migrate_cancel\"}");
    wait_mig_status(src, "cancelled", seen);
    g_assert_cmpstr(seen->str, ==, "setup|active|cancelling|cancelled");
    st = mig_runstate(src);
    g_assert_cmpstr(st, ==, "running");
    g_clear_pointer(&st, g_free);
    st = mig_query_status(src);
    g_assert_cmpstr(st, ==, "cancelled");

    /* The destination exits with status 1, as QEMU 7.2. */
    mig_wait_exit_status(dst, 1);
    log = qtest_get_log(dst);
    g_assert_nonnull(strstr(log, "minivmm: load of migration failed: "));
    qtest_quit(dst);

    /* cancel with nothing running is fine; a new migration can start. */
    qtest_qmp_assert_success(src, "{\"execute\": \"migrate_cancel\"}");
    qtest_quit(src);
}

/* Cancel while the source is in postcopy: the destination keeps running. */
static void test_cancel_postcopy(void)
{
    g_autofree char *uri = tmp_uri("cpc.sock");
    QTestState *src, *dst;
    g_autoptr(GString) seen = g_string_new(NULL);

    start_pair(uri, "64M", "", &src, &dst);
    mig_set_caps(src, "events,dirty-bitmaps");
    mig_set_caps(dst, "events,dirty-bitmaps");
    mig_set_params(src, "\"downtime-limit\": 0, \"max-bandwidth\": 8388608, "
                   "\"max-postcopy-bandwidth\": 8388608");
    mig_migrate_to(src, uri);
    wait_mig_status(src, "active", seen);
    qtest_qmp_assert_success(src, "{\"execute\": "
                             "\"migrate-start-postcopy\"}");
    wait_mig_status(src, "postcopy-active", seen);
    qtest_qmp_eventwait(dst, "RESUME");
    qtest_qmp_assert_success(src, "{\"execute\": \"migrate_cancel\"}");
    wait_mig_status(src, "cancelled", seen);
    /* Only the test section's data is lost: the destination goes on. */
    wait_mig_status(dst, "completed", NULL);
    g_free(mig_runstate(dst));
    qtest_quit(src);
    qtest_quit(dst);
}

#define PAUSED_DRIVE \
    "-blockdev driver=null-co,node-name=drive0,size=67108864"

/* Busy flag of the source bitmap 'b0' on drive0. */
static bool bitmap_busy(QTestState *qts)
{
    json_t *bm = mig_bitmap_info(qts, "drive0", "b0");
    bool busy;

    g_assert_nonnull(bm);
    busy = json_is_true(json_object_get(bm, "busy"));
    json_decref(bm);
    return busy;
}

/*
 * Kill the destination during postcopy: as QEMU 7.2 the source pauses
 * (postcopy-paused, VM stopped in finish-migrate, bitmaps still busy)
 * instead of failing.  Returns the source; *@seen has its statuses.
 */
static QTestState *start_paused(const char *name, GString *seen)
{
    g_autofree char *uri = tmp_uri(name);
    g_autofree char *dir = NULL;
    g_autofree char *st = NULL;
    QTestState *src, *dst;
    const char *entry;
    GDir *d;
    int status;

    start_pair(uri, "64M", " " PAUSED_DRIVE, &src, &dst);
    dir = g_strdup(qtest_tmpdir(dst));
    mig_set_caps(src, "events,dirty-bitmaps");
    mig_set_caps(dst, "events,dirty-bitmaps");
    mig_bitmap_add(src, "drive0", "b0", 512, false);
    mig_set_params(src, "\"downtime-limit\": 0, \"max-bandwidth\": 8388608, "
                   "\"max-postcopy-bandwidth\": 4194304");
    mig_migrate_to(src, uri);
    wait_mig_status(src, "active", seen);
    qtest_qmp_assert_success(src, "{\"execute\": "
                             "\"migrate-start-postcopy\"}");
    wait_mig_status(src, "postcopy-active", seen);
    qtest_qmp_eventwait(dst, "RESUME");

    qtest_kill(dst, SIGKILL);
    g_assert_true(qtest_wait_exit(dst, &status));
    g_assert_true(WIFSIGNALED(status));
    d = g_dir_open(dir, 0, NULL);
    g_assert_nonnull(d);
    while ((entry = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, entry, NULL);

        g_unlink(path);
    }
    g_dir_close(d);
    g_rmdir(dir);

    wait_mig_status(src, "postcopy-paused", seen);
    g_assert_cmpstr(seen->str, ==,
                    "setup|active|postcopy-active|postcopy-paused");
    st = mig_query_status(src);
    g_assert_cmpstr(st, ==, "postcopy-paused");
    g_clear_pointer(&st, g_free);
    st = mig_runstate(src);
    g_assert_cmpstr(st, ==, "finish-migrate");
    g_assert_true(bitmap_busy(src));
    return src;
}

/* migrate_cancel leaves postcopy-paused: cancelled, bitmaps released. */
static void test_postcopy_paused_cancel(void)
{
    g_autoptr(GString) seen = g_string_new(NULL);
    QTestState *src = start_paused("paused-cancel.sock", seen);
    g_autofree char *st = NULL;
    g_autofree char *log = NULL;

    qtest_qmp_assert_success(src, "{\"execute\": \"migrate_cancel\"}");
    wait_mig_status(src, "cancelled", seen);
    g_assert_cmpstr(seen->str, ==,
                    "setup|active|postcopy-active|postcopy-paused|"
                    "cancelling|cancelled");
    st = mig_query_status(src);
    g_assert_cmpstr(st, ==, "cancelled");
    g_assert_false(bitmap_busy(src));
    qtest_qmp_assert_success(src, "{\"execute\": "
                             "\"block-dirty-bitmap-remove\", \"arguments\": "
                             "{\"node\": \"drive0\", \"name\": \"b0\"}}");
    log = qtest_get_log(src);
    g_assert_nonnull(strstr(log, "minivmm: Detected IO failure for "
                            "postcopy. Migration paused."));
    qtest_quit(src);
}

/* quit in postcopy-paused exits cleanly (status 0), as QEMU 7.2. */
static void test_postcopy_paused_quit(void)
{
    g_autoptr(GString) seen = g_string_new(NULL);
    QTestState *src = start_paused("paused-quit.sock", seen);

    qtest_quit(src);
}

/* Garbage on the incoming socket: clean failure, exit status 1. */
static void test_incoming_garbage(void)
{
    g_autofree char *sock = tmp_path("garbage.sock");
    g_autofree char *args = g_strdup_printf(VM_ARGS " -incoming unix:%s",
                                            sock);
    QTestState *dst = qtest_init(args);
    QTestConn *c = qtest_conn_unix(sock, 30);
    g_autofree char *log = NULL;

    qtest_conn_send_raw(c, "GARBAGE!GARBAGE!", 16);
    qtest_conn_free(c);
    mig_wait_exit_status(dst, 1);
    log = qtest_get_log(dst);
    g_assert_nonnull(strstr(log, "minivmm: Not a migration stream\n"));
    g_assert_nonnull(strstr(log, "minivmm: load of migration failed: "
                            "Invalid argument\n"));
    qtest_quit(dst);
}

/*
 * minivmm has no TLS: tls-creds names credentials it cannot find, and
 * QEMU 7.2's error says so (a source fails, a destination drops the
 * channel and waits on), instead of migrating in the clear.
 */
static void test_tls_creds(void)
{
    QTestState *src = qtest_init(VM_ARGS);
    QTestState *dst = qtest_init(VM_ARGS " -incoming defer");
    QTestState *src2 = qtest_init(VM_ARGS);
    g_autofree char *uri = mig_unix_uri(qtest_tmpdir(dst), "mig.sock");
    gint64 deadline;
    g_autofree char *st = NULL;
    g_autofree char *st2 = NULL;
    g_autofree char *log = NULL;
    json_t *ret;

    mig_set_caps(src, "events");
    mig_set_params(src, "\"tls-creds\": \"foo\"");
    mig_set_params(dst, "\"tls-creds\": \"foo\"");
    mig_migrate(src, dst);
    st = mig_wait_status(src, "failed");
    ret = qtest_qmp_assert_success_ref(src, "{\"execute\": "
                                       "\"query-migrate\"}");
    g_assert_cmpstr(json_string_value(json_object_get(ret, "error-desc")),
                    ==, "No TLS credentials with id 'foo'");
    json_decref(ret);
    g_free(st);
    st = mig_runstate_leaves(src, "finish-migrate");
    g_assert_cmpstr(st, ==, "running");

    /* A source without TLS reaches the destination, which drops it. */
    mig_set_caps(src2, "events");
    mig_migrate_to(src2, uri);
    st2 = mig_wait_status(src2, "completed|failed");
    deadline = g_get_monotonic_time() + MIG_POLL_SECONDS * G_USEC_PER_SEC;
    do {
        ret = qtest_qmp_assert_success_ref(dst, "{\"execute\": "
                                           "\"query-migrate\"}");
        g_assert_null(json_object_get(ret, "status"));
        json_decref(ret);
        g_free(log);
        log = qtest_get_log(dst);
    } while (!strstr(log, "No TLS credentials with id 'foo'") &&
             g_get_monotonic_time() < deadline);
    g_assert_nonnull(strstr(log, "No TLS credentials with id 'foo'"));
    qtest_quit(src);
    qtest_quit(src2);
    qtest_quit(dst);
}

static const char *error_desc(json_t *rsp)
{
    return json_string_value(json_object_get(json_object_get(rsp, "error"),
                                             "desc"));
}

static void assert_qmp_error(QTestState *qts, const char *cmd,
                             const char *desc)
{
    json_t *rsp = qtest_qmp(qts, "%s", cmd);

    g_assert_cmpstr(error_desc(rsp), ==, desc);
    json_decref(rsp);
}

static void test_migrate_errors(void)
{
    static const struct {
        const char *uri, *desc;
    } bad_addrs[] = {
        { "tcp:", "error parsing address ''" },
        { "tcp:localhost", "error parsing address 'localhost'" },
        { "tcp::", "error parsing port in address ':'" },
        { "tcp:[::1", "error parsing IPv6 address '[::1'" },
        { "unix:", "invalid Unix socket address" },
    };
    QTestState *qts = qtest_init(VM_ARGS);
    size_t i;
    g_autofree char *st = NULL;
    g_autofree char *log = NULL;
    json_t *ret;

    mig_set_caps(qts, "events");
    assert_qmp_error(qts, "{\"execute\": \"migrate\", \"arguments\": "
                     "{\"uri\": \"bogus:x\"}}",
                     "Parameter 'uri' expects a valid migration protocol");
    st = mig_query_status(qts);
    g_assert_cmpstr(st, ==, "failed");
    g_clear_pointer(&st, g_free);
    wait_mig_status(qts, "setup", NULL);
    wait_mig_status(qts, "failed", NULL);

    /* A bad address: QEMU's socket-layer message, in query-migrate too. */
    for (i = 0; i < G_N_ELEMENTS(bad_addrs); i++) {
        g_autofree char *cmd = g_strdup_printf(
            "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"%s\"}}",
            bad_addrs[i].uri);

        assert_qmp_error(qts, cmd, bad_addrs[i].desc);
        ret = qtest_qmp_assert_success_ref(qts, "{\"execute\": "
                                           "\"query-migrate\"}");
        g_assert_cmpstr(json_string_value(json_object_get(ret, "status")),
                        ==, "failed");
        g_assert_cmpstr(json_string_value(json_object_get(ret,
                                                          "error-desc")),
                        ==, bad_addrs[i].desc);
        json_decref(ret);
        wait_mig_status(qts, "setup", NULL);
        wait_mig_status(qts, "failed", NULL);
    }

    /* Connection failure: {} now, failed later with the reason. */
    mig_migrate_to(qts, "unix:/nonexistent-dir/x.sock");
    wait_mig_status(qts, "failed", NULL);
    ret = qtest_qmp_assert_success_ref(qts, "{\"execute\": "
                                       "\"query-migrate\"}");
    g_assert_cmpstr(json_string_value(json_object_get(ret, "error-desc")),
                    ==, "Failed to connect to '/nonexistent-dir/x.sock': "
                    "No such file or directory");
    json_decref(ret);
    st = mig_runstate(qts);
    g_assert_cmpstr(st, ==, "running");
    log = qtest_get_log(qts);
    /* The thread prints it on its way out; the event came first. */
    while (!strstr(log, "minivmm: Failed to connect to")) {
        g_free(log);
        g_free(mig_runstate(qts));
        log = qtest_get_log(qts);
    }
    assert_qmp_error(qts, "{\"execute\": \"migrate\", \"arguments\": "
                     "{\"uri\": \"exec:true\", \"blk\": true}}",
                     "QEMU compiled without old-style (blk/-b, inc/-i) "
                     "block migration");
    assert_qmp_error(qts, "{\"execute\": \"migrate-incoming\", "
                     "\"arguments\": {\"uri\": \"unix:/x\"}}",
                     "'-incoming' was not specified on the command line");
    qtest_quit(qts);

    qts = qtest_init(VM_ARGS " -incoming defer");
    assert_qmp_error(qts, "{\"execute\": \"migrate\", \"arguments\": "
                     "{\"uri\": \"exec:true\"}}",
                     "Guest is waiting for an incoming migration");
    ret = qtest_qmp_assert_success_ref(qts, "{\"execute\": "
                                       "\"query-migrate\"}");
    g_assert_cmpuint(json_object_size(ret), ==, 0);
    json_decref(ret);
    assert_qmp_error(qts, "{\"execute\": \"migrate-incoming\", "
                     "\"arguments\": {\"uri\": \"bogus:x\"}}",
                     "unknown migration protocol: bogus:x");
    /* The setup event comes even without the events capability. */
    qtest_qmp_eventwait(qts, "MIGRATION");
    g_free(log);
    log = tmp_path("inc.sock");
    qtest_qmp_assert_success(qts, "{\"execute\": \"migrate-incoming\", "
                             "\"arguments\": {\"uri\": \"unix:%s\"}}", log);
    ret = qtest_qmp_assert_success_ref(qts, "{\"execute\": "
                                       "\"query-migrate\"}");
    g_assert_cmpstr(json_string_value(json_object_get(json_array_get(
        json_object_get(ret, "socket-address"), 0), "path")), ==, log);
    g_assert_null(json_object_get(ret, "status"));
    json_decref(ret);
    assert_qmp_error(qts, "{\"execute\": \"migrate-incoming\", "
                     "\"arguments\": {\"uri\": \"unix:/x\"}}",
                     "The incoming migration has already been started");
    qtest_quit(qts);
}

static void test_caps_params(void)
{
    QTestState *qts = qtest_init(VM_ARGS);
    g_autofree char *text = NULL;
    json_t *ret;

    ret = qtest_qmp_assert_success_ref(qts, "{\"execute\": "
                                       "\"query-migrate-capabilities\"}");
    g_assert_cmpuint(json_array_size(ret), ==, 21);
    g_assert_cmpstr(json_string_value(json_object_get(json_array_get(ret, 0),
                                                      "capability")),
                    ==, "xbzrle");
    g_assert_cmpstr(json_string_value(json_object_get(json_array_get(ret, 20),
                                                      "capability")),
                    ==, "postcopy-preempt");
    json_decref(ret);
    assert_qmp_error(qts, "{\"execute\": \"migrate-set-capabilities\", "
                     "\"arguments\": {\"capabilities\": [{\"capability\": "
                     "\"postcopy-ram\", \"state\": true}, {\"capability\": "
                     "\"postcopy-preempt\", \"state\": true}]}}",
                     "Postcopy preempt is not supported");
    assert_qmp_error(qts, "{\"execute\": \"migrate-set-capabilities\", "
                     "\"arguments\": {\"capabilities\": [{\"capability\": "
                     "\"postcopy-ram\", \"state\": true}, {\"capability\": "
                     "\"x-ignore-shared\", \"state\": true}]}}",
                     "Postcopy is not compatible with ignore-shared");
    assert_qmp_error(qts, "{\"execute\": \"migrate-set-capabilities\", "
                     "\"arguments\": {\"capabilities\": [{\"capability\": "
                     "\"postcopy-preempt\", \"state\": true}]}}",
                     "Postcopy preempt requires postcopy-ram");
    mig_set_caps(qts, "events,dirty-bitmaps,return-path");
    text = qtest_hmp(qts, "info migrate_capabilities");
    g_assert_nonnull(strstr(text, "xbzrle: off\r\n"));
    g_assert_nonnull(strstr(text, "events: on\r\n"));
    g_assert_nonnull(strstr(text, "dirty-bitmaps: on\r\n"));
    g_clear_pointer(&text, g_free);

    ret = qtest_qmp_assert_success_ref(qts, "{\"execute\": "
                                       "\"query-migrate-parameters\"}");
    g_assert_cmpint(json_integer_value(json_object_get(ret, "max-bandwidth")),
                    ==, 134217728);
    g_assert_cmpint(json_integer_value(json_object_get(ret,
                                                       "downtime-limit")),
                    ==, 300);
    g_assert_cmpstr(json_string_value(json_object_get(ret, "tls-creds")), ==,
                    "");
    g_assert_null(json_object_get(ret, "block-bitmap-mapping"));
    g_assert_cmpuint(json_object_size(ret), ==, 26);
    json_decref(ret);
    assert_qmp_error(qts, "{\"execute\": \"migrate-set-parameters\", "
                     "\"arguments\": {\"downtime-limit\": 2000001}}",
                     "Parameter 'downtime_limit' expects an integer in the "
                     "range of 0 to (2000 * 1000) ms");
    assert_qmp_error(qts, "{\"execute\": \"migrate-set-parameters\", "
                     "\"arguments\": {\"compress-level\": 10}}",
                     "Parameter 'compress_level' expects a value between 0 "
                     "and 9");
    assert_qmp_error(qts, "{\"execute\": \"migrate-set-parameters\", "
                     "\"arguments\": {\"announce-step\": 0}}",
                     "Parameter 'announce_step' expects a value between 0 "
                     "and 10000");
    mig_set_params(qts, "\"block-bitmap-mapping\": "
                   "[{\"node-name\": \"node0\", \"alias\": \"xx\", "
                   "\"bitmaps\": [{\"name\": \"bmap0\", \"alias\": \"b\"}]}, "
                   "{\"node-name\": \"nodeZ\", \"alias\": \"yy\", "
                   "\"bitmaps\": []}], \"downtime-limit\": 1000");
    text = qtest_hmp(qts, "info migrate_parameters");
    g_assert_nonnull(strstr(text, "downtime-limit: 1000 ms\r\n"));
    g_assert_nonnull(strstr(text, "max-bandwidth: 134217728 bytes/second\r\n"
                            "downtime-limit"));
    g_assert_true(g_str_has_suffix(text, "tls-authz: ''\r\n"
                                   "block-bitmap-mapping:\r\n"
                                   "  'node0' -> 'xx'\r\n"
                                   "    'bmap0' -> 'b'\r\n"
                                   "  'nodeZ' -> 'yy'\r\n"));
    g_clear_pointer(&text, g_free);
    mig_set_params(qts, "\"block-bitmap-mapping\": []");
    ret = qtest_qmp_assert_success_ref(qts, "{\"execute\": "
                                       "\"query-migrate-parameters\"}");
    g_assert_cmpuint(json_array_size(json_object_get(ret,
                                                     "block-bitmap-mapping")),
                     ==, 0);
    g_assert_true(json_is_array(json_object_get(ret,
                                                "block-bitmap-mapping")));
    json_decref(ret);

    text = qtest_hmp(qts, "info migrate");
    g_assert_cmpstr(text, ==, "globals:\r\nstore-global-state: on\r\n"
                    "only-migratable: off\r\nsend-configuration: on\r\n"
                    "send-section-footer: on\r\n"
                    "decompress-error-check: on\r\n"
                    "clear-bitmap-shift: 18\r\n");
    qtest_quit(qts);
}

/* Changing capabilities while a migration runs is refused. */
static void test_caps_during_migration(void)
{
    g_autofree char *fifo = tmp_path("busy.fifo");
    g_autofree char *uri = g_strdup_printf("exec:cat > %s", fifo);
    QTestState *src;
    g_autoptr(GString) seen = g_string_new(NULL);
    int fd;

    unlink(fifo);
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    src = vm_start_load("64M", VM_ARGS);
    mig_set_caps(src, "events");
    /* Nobody reads the FIFO until we open it: the migration waits. */
    mig_migrate_to(src, uri);
    assert_qmp_error(src, "{\"execute\": \"migrate-set-capabilities\", "
                     "\"arguments\": {\"capabilities\": [{\"capability\": "
                     "\"events\", \"state\": false}]}}",
                     "There's a migration process in progress");
    assert_qmp_error(src, "{\"execute\": \"migrate\", \"arguments\": "
                     "{\"uri\": \"exec:true\"}}",
                     "There's a migration process in progress");
    qtest_qmp_assert_success(src, "{\"execute\": \"migrate_cancel\"}");
    /* Unblock the writer if it got as far as the FIFO. */
    fd = open(fifo, O_RDONLY | O_NONBLOCK);
    wait_mig_status(src, "cancelled", seen);
    close(fd);
    qtest_quit(src);
}

/* A stream minivmm writes loads into a real QEMU 7.2 -M none. */
static void test_interop_to_qemu(void)
{
    g_autofree char *file = tmp_path("to-qemu.bin");
    g_autofree char *uri = g_strdup_printf("exec:cat > %s", file);
    g_autofree char *log = NULL;
    QTestState *src, *dst;

    if (mig_skip_without_qemu_7_2()) {
        return;
    }
    src = qtest_init(VM_ARGS);
    mig_set_caps(src, "events,dirty-bitmaps");
    mig_migrate_to(src, uri);
    wait_mig_status(src, "completed", NULL);
    qtest_quit(src);

    dst = mig_vm_start_binary(mig_qemu_7_2(), VM_ARGS " -incoming defer");
    mig_set_caps(dst, "events,dirty-bitmaps");
    qtest_qmp_assert_success(dst, "{\"execute\": \"migrate-incoming\", "
                             "\"arguments\": {\"uri\": \"exec:cat %s\"}}",
                             file);
    wait_mig_status(dst, "completed", NULL);
    g_free(mig_runstate_leaves(dst, "inmigrate"));
    log = qtest_get_log(dst);
    g_assert_null(strstr(log, "qemu-system-"));
    qtest_quit(dst);
}

/* And a real QEMU 7.2 source streams into minivmm. */
static void test_interop_from_qemu(void)
{
    g_autofree char *uri = tmp_uri("from-qemu.sock");
    g_autofree char *args = g_strdup_printf(VM_ARGS " -incoming %s", uri);
    QTestState *src, *dst;
    g_autofree char *st = NULL;

    if (mig_skip_without_qemu_7_2()) {
        return;
    }
    dst = qtest_init(args);
    mig_set_caps(dst, "events,dirty-bitmaps");
    src = mig_vm_start_binary(mig_qemu_7_2(), VM_ARGS);
    mig_set_caps(src, "events,dirty-bitmaps,return-path");
    mig_migrate_to(src, uri);
    wait_mig_status(src, "completed", NULL);
    wait_mig_status(dst, "completed", NULL);
    st = mig_runstate(dst);
    g_assert_cmpstr(st, ==, "running");
    qtest_quit(src);
    qtest_quit(dst);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("migration-test-XXXXXX", NULL);
    g_assert_nonnull(tmpdir);

    g_test_add_func("/migration/precopy/unix", test_precopy_unix);
    g_test_add_func("/migration/precopy/unix-empty", test_precopy_unix_empty);
    g_test_add_func("/migration/precopy/passes", test_precopy_passes);
    g_test_add_func("/migration/precopy/tcp", test_precopy_tcp);
    g_test_add_func("/migration/precopy/exec", test_precopy_exec);
    g_test_add_func("/migration/precopy/file", test_precopy_file);
    g_test_add_func("/migration/postcopy/unix", test_postcopy);
    g_test_add_func("/migration/postcopy/errors", test_postcopy_errors);
    g_test_add_func("/migration/postcopy/paused-cancel",
                    test_postcopy_paused_cancel);
    g_test_add_func("/migration/postcopy/paused-quit",
                    test_postcopy_paused_quit);
    g_test_add_func("/migration/cancel/active", test_cancel_active);
    g_test_add_func("/migration/cancel/postcopy", test_cancel_postcopy);
    g_test_add_func("/migration/cancel/waiting", test_caps_during_migration);
    g_test_add_func("/migration/incoming/garbage", test_incoming_garbage);
    g_test_add_func("/migration/qmp/tls-creds", test_tls_creds);
    g_test_add_func("/migration/qmp/errors", test_migrate_errors);
    g_test_add_func("/migration/qmp/caps-params", test_caps_params);
    g_test_add_func("/migration/interop/to-qemu-7.2", test_interop_to_qemu);
    g_test_add_func("/migration/interop/from-qemu-7.2",
                    test_interop_from_qemu);
    ret = g_test_run();
    rmdir(tmpdir);
    g_free(tmpdir);
    return ret;
}
