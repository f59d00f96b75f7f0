/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Multifd migrations: channels and sync packets, hostile channels, 7.2. */
#include "qemu/osdep.h"

#include <glib/gstdio.h>

#include "qemu/bswap.h"

#include "libqtest.h"
#include "migration-helpers.h"

#define VM_ARGS "-M none -nodefaults"
#define DISK_ARGS VM_ARGS " -blockdev driver=null-co,node-name=drive0," \
                  "size=67108864"
#define BIG_DRIVE_ARG "-blockdev driver=null-co,node-name=drive0," \
                      "size=68719476736"

/* A sync packet's size on the wire, as QEMU 7.2 sends it. */
#define SYNC_PACKET_LEN 1344
#define INIT_PACKET_LEN 64

static char *tmpdir;

static char *tmp_path(const char *name)
{
    return g_build_filename(tmpdir, name, NULL);
}

static void set_channels(QTestState *qts, unsigned channels)
{
    g_autofree char *p = g_strdup_printf("\"multifd-channels\": %u",
                                         channels);

    mig_set_params(qts, p);
}

/* minivmm wrote no error or warning ("minivmm: ...") on @qts. */
static void assert_quiet(QTestState *qts)
{
    g_autofree char *log = qtest_get_log(qts);

    if (strstr(log, "minivmm:")) {
        g_printerr("%s", log);
    }
    g_assert_null(strstr(log, "minivmm:"));
}

/*
 * multifd with @channels on both sides, migrate over @uri (switching to
 * postcopy at once if @postcopy: the source never converges), wait
 * until both completed and the destination runs.
 */
static void migrate_multifd(QTestState *src, QTestState *dst,
                            const char *uri, unsigned channels,
                            bool postcopy)
{
    g_autofree char *st = NULL;

    mig_set_caps(src, "events,dirty-bitmaps,multifd");
    mig_set_caps(dst, "events,dirty-bitmaps,multifd");
    set_channels(src, channels);
    set_channels(dst, channels);
    if (postcopy) {
        mig_set_params(src, "\"downtime-limit\": 0");
    }
    qtest_qmp_assert_success(dst, "{\"execute\": \"migrate-incoming\", "
                             "\"arguments\": {\"uri\": \"%s\"}}", uri);
    mig_migrate_to(src, uri);
    if (postcopy) {
        g_free(mig_wait_status(src, "active"));
        qtest_qmp_assert_success(src, "{\"execute\": "
                                 "\"migrate-start-postcopy\"}");
        g_free(mig_wait_status(src, "postcopy-active"));
    }
    g_free(mig_wait_status(src, "completed"));
    g_free(mig_wait_status(dst, "completed"));
    st = mig_runstate_leaves(dst, "inmigrate");
    g_assert_cmpstr(st, ==, "running");
}

/* Which binary runs each side, and how the migration goes. */
typedef struct MultifdCase {
    bool peer_source;           /* QEMU 7.2 is the source */
    bool peer_destination;      /* QEMU 7.2 is the destination */
    bool postcopy;              /* switch to postcopy at once */
    bool postcopy_ram;          /* with postcopy-ram (QEMU 7.2 takes it) */
    unsigned channels;          /* multifd-channels on both */
    const char *compression;    /* multifd-compression on both, or NULL */
} MultifdCase;

/* Start a side: QEMU 7.2 if @peer, else minivmm. */
static QTestState *start_side(bool peer, const char *args)
{
    return peer ? mig_vm_start_binary(mig_qemu_7_2(), args)
                : qtest_init(args);
}

/* Migrate over @uri as @mc says, a bitmap going along. */
static void do_multifd(const char *uri, const MultifdCase *mc)
{
    g_autofree char *sha_src = NULL;
    g_autofree char *sha_dst = NULL;
    QTestState *src, *dst;
    uint64_t bytes;

    if ((mc->peer_source || mc->peer_destination) &&
        mig_skip_without_qemu_7_2()) {
        return;
    }
    src = start_side(mc->peer_source, DISK_ARGS);
    dst = start_side(mc->peer_destination, DISK_ARGS " -incoming defer");
    mig_bitmap_add(src, "drive0", "bm0", 0, false);
    g_free(qtest_hmp(src, "qemu-io drive0 \"write 0 64k\""));
    sha_src = mig_bitmap_sha256(src, "drive0", "bm0");
    if (mc->postcopy_ram) {
        /* Then 'ram' is postcopiable: its last sync comes in postcopy. */
        mig_set_caps(src, "postcopy-ram");
        mig_set_caps(dst, "postcopy-ram");
    }
    if (mc->compression) {
        /* Sync packets carry no pages: nothing differs on the wire. */
        g_autofree char *p = g_strdup_printf("\"multifd-compression\": "
                                             "\"%s\"", mc->compression);

        mig_set_params(src, p);
        mig_set_params(dst, p);
    }
    migrate_multifd(src, dst, uri, mc->channels, mc->postcopy);

    /* One sync per channel at setup, each iteration and completion. */
    bytes = mig_ram_stat(src, "multifd-bytes");
    g_assert_cmpuint(bytes, >=, 2 * mc->channels * SYNC_PACKET_LEN);
    g_assert_cmpuint(bytes % (mc->channels * SYNC_PACKET_LEN), ==, 0);

    sha_dst = mig_bitmap_sha256(dst, "drive0", "bm0");
    g_assert_cmpstr(sha_src, ==, sha_dst);
    if (!mc->peer_source) {
        assert_quiet(src);
    }
    if (!mc->peer_destination) {
        assert_quiet(dst);
    }
    qtest_quit(src);
    qtest_quit(dst);
}

static void test_unix(const void *opaque)
{
    g_autofree char *uri = mig_unix_uri(tmpdir, "mfd.sock");

    do_multifd(uri, opaque);
}

static void test_tcp(const void *opaque)
{
    g_autofree char *uri = g_strdup_printf("tcp:127.0.0.1:%d",
                                           qtest_free_tcp_port());

    do_multifd(uri, opaque);
}

/*
 * A source and a destination listening on @uri, both with the test-only
 * section's @load bytes ("32M") to migrate.
 */
static void start_pair_load(const char *uri, const char *load,
                            QTestState **src, QTestState **dst)
{
    g_autofree char *dst_args = g_strdup_printf(VM_ARGS " -incoming %s",
                                                uri);

    g_setenv("MINIVMM_MIGRATION_TEST_LOAD", load, true);
    *dst = qtest_init(dst_args);
    *src = qtest_init(VM_ARGS);
    g_unsetenv("MINIVMM_MIGRATION_TEST_LOAD");
}

/*
 * Pause a postcopy migration with multifd and recover it: only the main
 * channel is reconnected, the multifd channels go on and sync at the
 * completion.  256 KiB of bitmap bits at 20 kB/s keep postcopy going
 * (the bitmap itself does not survive a recovery, as in QEMU 7.2).
 */
static void test_postcopy_recover(void)
{
    g_autofree char *uri = mig_unix_uri(tmpdir, "mfd-rec.sock");
    g_autofree char *uri2 = mig_unix_uri(tmpdir, "mfd-rec2.sock");
    g_autofree char *st = NULL;
    QTestState *src = qtest_init(VM_ARGS " " BIG_DRIVE_ARG);
    QTestState *dst = qtest_init(VM_ARGS " " BIG_DRIVE_ARG
                                 " -incoming defer");

    mig_bitmap_add(src, "drive0", "bm0", 512, false);
    g_free(qtest_hmp(src, "qemu-io drive0 \"write -z 0 1G\""));
    mig_set_caps(src, "events,dirty-bitmaps,postcopy-ram,multifd");
    mig_set_caps(dst, "events,dirty-bitmaps,postcopy-ram,multifd");
    mig_set_params(src, "\"max-bandwidth\": 100000, "
                   "\"max-postcopy-bandwidth\": 20000");
    qtest_qmp_assert_success(dst, "{\"execute\": \"migrate-incoming\", "
                             "\"arguments\": {\"uri\": \"%s\"}}", uri);
    mig_migrate_to(src, uri);
    g_free(mig_wait_status(src, "active"));
    qtest_qmp_assert_success(src, "{\"execute\": "
                             "\"migrate-start-postcopy\"}");
    g_free(mig_wait_status(src, "postcopy-active"));
    qtest_qmp_eventwait(dst, "RESUME");
    qtest_qmp_assert_success(src, "{\"execute\": \"migrate-pause\"}");
    g_free(mig_wait_status(src, "postcopy-paused"));
    g_free(mig_wait_status(dst, "postcopy-paused"));
    qtest_qmp_assert_success(dst, "{\"execute\": \"migrate-recover\", "
                             "\"arguments\": {\"uri\": \"%s\"}}", uri2);
    qtest_qmp_assert_success(src, "{\"execute\": \"migrate\", "
                             "\"arguments\": {\"uri\": \"%s\", "
                             "\"resume\": true}}", uri2);
    g_free(mig_wait_status(src, "postcopy-active"));
    mig_set_params(src, "\"max-postcopy-bandwidth\": 0");
    g_free(mig_wait_status(src, "completed"));
    g_free(mig_wait_status(dst, "completed"));
    st = mig_runstate(dst);
    g_assert_cmpstr(st, ==, "running");
    g_assert_cmpuint(mig_ram_stat(src, "multifd-bytes"), >=,
                     2 * 2 * SYNC_PACKET_LEN);
    qtest_quit(src);
    qtest_quit(dst);
}

/*
 * Cancel a multifd migration while active: the source takes its channels
 * down (the destination fails, as without multifd) and can migrate with
 * multifd again at once.
 */
static void test_cancel(void)
{
    g_autofree char *uri = mig_unix_uri(tmpdir, "mfd-cancel.sock");
    g_autofree char *uri2 = mig_unix_uri(tmpdir, "mfd-again.sock");
    g_autofree char *log = NULL;
    QTestState *src, *dst, *dst2;

    start_pair_load(uri, "64M", &src, &dst);
    mig_set_caps(src, "events,multifd");
    mig_set_caps(dst, "multifd");
    mig_set_params(src, "\"max-bandwidth\": 8388608");
    mig_migrate_to(src, uri);
    g_free(mig_wait_status(src, "active"));
    qtest_qmp_assert_success(src, "{\"execute\": \"migrate_cancel\"}");
    g_free(mig_wait_status(src, "cancelled"));
    mig_wait_exit_status(dst, 1);
    log = qtest_get_log(dst);
    g_assert_nonnull(strstr(log, "minivmm: load of migration failed: "));
    qtest_quit(dst);

    /* The new destination has the test section too, of any size. */
    mig_set_params(src, "\"max-bandwidth\": 134217728");
    g_setenv("MINIVMM_MIGRATION_TEST_LOAD", "1M", true);
    dst2 = qtest_init(VM_ARGS " -incoming defer");
    g_unsetenv("MINIVMM_MIGRATION_TEST_LOAD");
    migrate_multifd(src, dst2, uri2, 2, false);
    qtest_quit(src);
    qtest_quit(dst2);
}

/*
 * multifd on the source only: the destination stops listening once it
 * took the main connection, so the channels cannot connect (or, if they
 * came before, are reset with the listener) and the source fails; the
 * destination fails on the cut stream.
 */
static void test_mismatch(void)
{
    g_autofree char *uri = g_strdup_printf("tcp:127.0.0.1:%d",
                                           qtest_free_tcp_port());
    QTestState *src, *dst;
    const char *desc;
    json_t *ret;

    /* More than socket buffers hold: the source cannot end unaccepted. */
    start_pair_load(uri, "16M", &src, &dst);
    mig_set_caps(src, "events,multifd");
    mig_migrate_to(src, uri);
    g_free(mig_wait_status(src, "failed"));
    ret = qtest_qmp_assert_success_ref(src, "{\"execute\": "
                                       "\"query-migrate\"}");
    desc = json_string_value(json_object_get(ret, "error-desc"));
    g_assert_nonnull(desc);
    if (!g_str_has_prefix(desc, "Failed to connect to ")) {
        g_assert_true(g_str_has_prefix(desc, "multifd_send_sync_main: "
                                       "channel "));
    }
    json_decref(ret);
    mig_wait_exit_status(dst, 1);
    qtest_quit(dst);
    qtest_quit(src);
}

/*
 * A source with the capabilities @caps (events at least) migrates to
 * exec:, into the scratch file @name, and ends with @status.
 */
static QTestState *migrate_to_file(const char *name, const char *caps,
                                   const char *status)
{
    g_autofree char *file = tmp_path(name);
    g_autofree char *uri = g_strdup_printf("exec:cat > %s", file);
    QTestState *src = qtest_init(VM_ARGS);

    mig_set_caps(src, caps);
    mig_migrate_to(src, uri);
    g_free(mig_wait_status(src, status));
    return src;
}

/* As QEMU 7.2: exec: carries no channels, the migration fails. */
static void test_exec_source(void)
{
    QTestState *src = migrate_to_file("exec.bin", "events,multifd",
                                      "failed");
    json_t *ret;

    ret = qtest_qmp_assert_success_ref(src, "{\"execute\": "
                                       "\"query-migrate\"}");
    g_assert_cmpstr(json_string_value(json_object_get(ret, "error-desc")),
                    ==, "multifd is not supported by current protocol");
    json_decref(ret);
    qtest_quit(src);
}

/* And a destination drops such a stream and waits on, as 7.2 does. */
static void test_exec_destination(void)
{
    g_autofree char *file = tmp_path("exec-dst.bin");
    g_autofree char *log = NULL;
    g_autofree char *st = NULL;
    QTestState *dst = qtest_init(VM_ARGS " -incoming defer");
    gint64 deadline;

    g_assert_true(g_file_set_contents(file, "QEVM", 4, NULL));
    mig_set_caps(dst, "multifd");
    qtest_qmp_assert_success(dst, "{\"execute\": \"migrate-incoming\", "
                             "\"arguments\": {\"uri\": \"exec:cat %s\"}}",
                             file);
    deadline = g_get_monotonic_time() + MIG_POLL_SECONDS * G_USEC_PER_SEC;
    do {
        g_free(st);
        st = mig_runstate(dst);
        g_free(log);
        log = qtest_get_log(dst);
    } while (!strstr(log, "multifd is not supported by current protocol") &&
             g_get_monotonic_time() < deadline);
    g_assert_nonnull(strstr(log, "multifd is not supported by current "
                            "protocol"));
    g_assert_cmpstr(st, ==, "inmigrate");
    qtest_quit(dst);
}

/* A main stream without guest RAM from a source with multifd off. */
static gchar *main_stream(gsize *len)
{
    g_autofree char *file = tmp_path("main.bin");
    gchar *data;

    qtest_quit(migrate_to_file("main.bin", "events", "completed"));
    g_assert_true(g_file_get_contents(file, &data, len, NULL));
    return data;
}

static void init_packet(uint8_t *p, uint32_t magic, uint32_t version,
                        uint8_t id)
{
    memset(p, 0, INIT_PACKET_LEN);
    stl_be_p(p, magic);
    stl_be_p(p + 4, version);
    p[24] = id;
}

static void sync_packet(uint8_t *p, uint32_t normal, const char *block)
{
    memset(p, 0, SYNC_PACKET_LEN);
    stl_be_p(p, 0x11223344);
    stl_be_p(p + 4, 1);
    stl_be_p(p + 8, 1);
    stl_be_p(p + 12, 128);
    stl_be_p(p + 16, normal);
    strcpy((char *)p + 64, block);
}

typedef struct HostileCase {
    uint32_t magic;             /* of channel 0's init packet */
    uint32_t version;
    uint8_t id;
    uint32_t pages;             /* in its first packet */
    bool no_channels;           /* the source leaves without them */
    const char *message;        /* the destination's error */
} HostileCase;

/*
 * A destination expecting two channels gets the main stream and
 * channels made by hand from @data: it must exit with its error.
 */
static void test_hostile(const void *opaque)
{
    const HostileCase *hc = opaque;
    g_autofree char *sock = tmp_path("hostile.sock");
    g_autofree char *args = g_strdup_printf(VM_ARGS " -incoming defer");
    g_autofree gchar *stream = NULL;
    g_autofree char *log = NULL;
    uint8_t init[INIT_PACKET_LEN];
    uint8_t packet[SYNC_PACKET_LEN];
    QTestConn *chan[2] = { NULL, NULL };
    QTestConn *main_conn;
    QTestState *dst;
    gsize len;

    stream = main_stream(&len);
    dst = qtest_init(args);
    mig_set_caps(dst, "multifd");
    qtest_qmp_assert_success(dst, "{\"execute\": \"migrate-incoming\", "
                             "\"arguments\": {\"uri\": \"unix:%s\"}}", sock);
    main_conn = qtest_conn_unix(sock, 30);
    qtest_conn_send_raw(main_conn, stream, len);
    if (hc->no_channels) {
        qtest_conn_free(main_conn);
        main_conn = NULL;
    }
    for (int i = 0; !hc->no_channels && i < 2; i++) {
        chan[i] = qtest_conn_unix(sock, 30);
        init_packet(init, i ? 0x11223344 : hc->magic,
                    i ? 1 : hc->version, i ? 1 : hc->id);
        qtest_conn_send_raw(chan[i], init, sizeof(init));
        sync_packet(packet, i ? 0 : hc->pages, i ? "" : "pc.ram");
        qtest_conn_try_send_raw(chan[i], packet, sizeof(packet));
    }
    qtest_set_expected_status(dst, 1);
    mig_wait_exit_status(dst, 1);
    log = qtest_get_log(dst);
    g_assert_nonnull(strstr(log, hc->message));
    g_assert_nonnull(strstr(log, "load of migration failed"));
    for (int i = 0; i < 2; i++) {
        if (chan[i]) {
            qtest_conn_free(chan[i]);
        }
    }
    if (main_conn) {
        qtest_conn_free(main_conn);
    }
    qtest_quit(dst);
}

/*
 * A destination that waits for channels which never come (the source
 * stays connected) still quits at once, without an error.
 */
static void test_quit_waiting(void)
{
    g_autofree char *sock = tmp_path("waiting.sock");
    g_autofree gchar *stream = NULL;
    QTestConn *main_conn, *chan;
    QTestState *dst;
    uint8_t init[INIT_PACKET_LEN];
    gsize len;

    stream = main_stream(&len);
    dst = qtest_init(VM_ARGS " -incoming defer");
    mig_set_caps(dst, "events,multifd");
    qtest_qmp_assert_success(dst, "{\"execute\": \"migrate-incoming\", "
                             "\"arguments\": {\"uri\": \"unix:%s\"}}", sock);
    main_conn = qtest_conn_unix(sock, 30);
    qtest_conn_send_raw(main_conn, stream, len);
    /* One of the two channels, and no packet on it. */
    chan = qtest_conn_unix(sock, 30);
    init_packet(init, 0x11223344, 1, 1);
    qtest_conn_send_raw(chan, init, sizeof(init));
    g_free(mig_wait_status(dst, "active"));
    qtest_qmp_assert_success(dst, "{\"execute\": \"quit\"}");
    mig_wait_exit_status(dst, 0);
    assert_quiet(dst);
    qtest_conn_free(chan);
    qtest_conn_free(main_conn);
    qtest_quit(dst);
}

int main(int argc, char **argv)
{
    static const HostileCase bad_magic = {
        0x12223344, 1, 0, 0, false, "minivmm: failed to receive packet via "
        "multifd channel 0: multifd: received packet magic 12223344 "
        "expected 11223344\n"
    };
    static const HostileCase bad_version = {
        0x11223344, 2, 0, 0, false, "multifd: received packet version 2 "
        "expected 1\n"
    };
    static const HostileCase bad_id = {
        0x11223344, 1, 2, 0, false, "multifd: received channel id 2 is "
        "greater than number of channels 2\n"
    };
    static const HostileCase pages = {
        0x11223344, 1, 0, 1, false, "minivmm: multifd: unknown ram block "
        "pc.ram\n"
    };
    static const HostileCase gone = {
        .no_channels = true, .message = "minivmm: multifd: the source closed "
        "the migration stream before opening all channels\n"
    };
    static const MultifdCase one = { .channels = 1 };
    static const MultifdCase four = { .channels = 4 };
    static const MultifdCase post = { .postcopy = true, .postcopy_ram = true,
                                      .channels = 2 };
    static const MultifdCase from_peer = { .peer_source = true,
                                           .channels = 2 };
    static const MultifdCase to_peer = { .peer_destination = true,
                                         .channels = 4 };
    static const MultifdCase from_peer_post = { .peer_source = true,
                                                .postcopy = true,
                                                .channels = 3 };
    static const MultifdCase from_peer_zlib = { .peer_source = true,
                                                .channels = 2,
                                                .compression = "zlib" };
    static const MultifdCase to_peer_zstd = { .peer_destination = true,
                                              .channels = 2,
                                              .compression = "zstd" };
    int ret;

    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("multifd-test-XXXXXX", NULL);
    g_assert_nonnull(tmpdir);
    g_test_add_data_func("/migration/multifd/unix/1", &one, test_unix);
    g_test_add_data_func("/migration/multifd/unix/4", &four, test_unix);
    g_test_add_data_func("/migration/multifd/tcp/1", &one, test_tcp);
    g_test_add_data_func("/migration/multifd/tcp/4", &four, test_tcp);
    g_test_add_data_func("/migration/multifd/postcopy", &post, test_unix);
    g_test_add_func("/migration/multifd/cancel", test_cancel);
    g_test_add_func("/migration/multifd/postcopy-recover",
                    test_postcopy_recover);
    g_test_add_func("/migration/multifd/mismatch", test_mismatch);
    g_test_add_func("/migration/multifd/exec/source", test_exec_source);
    g_test_add_func("/migration/multifd/exec/destination",
                    test_exec_destination);
    g_test_add_data_func("/migration/multifd/hostile/bad-magic", &bad_magic,
                         test_hostile);
    g_test_add_data_func("/migration/multifd/hostile/bad-version",
                         &bad_version, test_hostile);
    g_test_add_data_func("/migration/multifd/hostile/bad-id", &bad_id,
                         test_hostile);
    g_test_add_data_func("/migration/multifd/hostile/pages", &pages,
                         test_hostile);
    g_test_add_data_func("/migration/multifd/hostile/no-channels", &gone,
                         test_hostile);
    g_test_add_func("/migration/multifd/hostile/quit-waiting",
                    test_quit_waiting);
    g_test_add_data_func("/migration/multifd/interop/from-qemu-7.2",
                         &from_peer, test_unix);
    g_test_add_data_func("/migration/multifd/interop/to-qemu-7.2",
                         &to_peer, test_unix);
    g_test_add_data_func("/migration/multifd/interop/from-qemu-7.2/zlib",
                         &from_peer_zlib, test_unix);
    g_test_add_data_func("/migration/multifd/interop/to-qemu-7.2/zstd",
                         &to_peer_zstd, test_unix);
    g_test_add_data_func("/migration/multifd/interop/from-qemu-7.2/postcopy",
                         &from_peer_post, test_unix);
    /*
     * No to-qemu-7.2/postcopy: a QEMU 7.2 destination aborts at the end
     * of a postcopy migration with multifd, from QEMU 7.2 too (its yank
     * instance still has the channels' functions).
     */
    ret = g_test_run();
    for (const char *const *f = (const char *const[]) {
             "exec.bin", "exec-dst.bin", "main.bin", NULL }; *f; f++) {
        g_autofree char *path = tmp_path(*f);

        unlink(path);
    }
    g_rmdir(tmpdir);
    g_free(tmpdir);
    return ret;
}
