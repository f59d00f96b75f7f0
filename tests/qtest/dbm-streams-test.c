/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QEMU 7.2's captured migration streams loaded by one VMM process each. */

/*
 * Each capture in tests/data/streams (DBM_STREAMS_DIR; see
 * CAPTURES.txt there) is fed to a single process started, as a user
 * would, with "-blockdev driver=null-co,node-name=drive0,size=N" and
 * "-incoming 'exec:cat FILE'".  The destination needs no capability for
 * this: QEMU 7.2 registers the dirty-bitmap handlers unconditionally and
 * loads them whatever its own capabilities say.
 *
 * The stream may be read before the harness has negotiated QMP, so
 * MIGRATION and RESUME events cannot be relied on: completion is polled
 * with query-migrate, then the runstate with query-status (QMP round
 * trips bounded by a deadline; nothing sleeps).
 *
 * Each bitmap must come out with the sha256 CAPTURES.txt lists and the
 * flags QEMU 7.2 set: every expectation here was checked against
 * qemu-system-x86_64 7.2 (QTEST_QEMU_BINARY=/usr/bin/qemu-system-x86_64).
 * An oracle built from the set bits in the *.parsed.txt files must give
 * the same sha256 (so the table is self-checked) and then predicts how
 * a write on the destination changes each bitmap: an enabled bitmap
 * records it, a disabled one does not.
 */

#include "qemu/osdep.h"
#include "dbm-common.h"

#define SHA_ODD \
    "45230ae80494a2d95857308e02cbb6e9dd79d0ac4cb752ea6679157d83b16f27"

/* Disk size of precopy_odd_size.bin: 100 MiB + 512 bytes. */
#define ODD_SIZE 104858112

/* Set bits end with -1 (granule numbers, from the *.parsed.txt files). */
static const int64_t bits_bma[] = {
    0, 16, 3051, 3052, 3053, 3054, 3055, 3056, 8192, 16383, -1
};
static const int64_t bits_bmb[] = {
    0, 256, 257, 258, 259, 260, 261, 262, 263, 264, 265, 266, 267, 268,
    269, 270, 271, 131072, -1
};
static const int64_t bits_odd[] = { 0, 1600, -1 };

typedef struct StreamBitmap {
    const char *name;
    uint64_t granularity;   /* bytes */
    bool recording;         /* BlockDirtyInfo.recording after loading */
    bool persistent;        /* BlockDirtyInfo.persistent after loading */
    uint64_t count;         /* BlockDirtyInfo.count: bytes */
    const char *sha256;     /* CAPTURES.txt */
    const int64_t *bits;    /* set granules, -1 terminated */
} StreamBitmap;

typedef struct StreamCase {
    const char *file;
    uint64_t disk_size;     /* bytes, the source's null-co size */
    /* a write made on the destination after loading (offset, length) */
    uint64_t write_off;
    uint64_t write_len;
    StreamBitmap bitmaps[3];    /* up to two, ended by a NULL name */
} StreamCase;

static const StreamCase case_precopy_2bitmaps = {
    .file = "precopy_2bitmaps.bin", .disk_size = GiB,
    .write_off = 100 * 65536, .write_len = 4096,
    .bitmaps = {
        { "bmA", 65536, true, false, 655360, DBM_SHA_BMA, bits_bma },
        /* disabled on the source; mapping set transform.persistent */
        { "bmB", 4096, false, true, 73728, DBM_SHA_BMB, bits_bmb },
    },
};

static const StreamCase case_precopy_odd_size = {
    .file = "precopy_odd_size.bin", .disk_size = ODD_SIZE,
    .write_off = 7 * 65536, .write_len = 1,
    .bitmaps = {
        /* 1601 granules, the last one covering 512 bytes only */
        { "odd", 65536, true, false, 131072, SHA_ODD, bits_odd },
    },
};

static const StreamCase case_postcopy = {
    .file = "postcopy.s2d.bin", .disk_size = GiB,
    .write_off = 100 * 65536, .write_len = 4096,
    .bitmaps = {
        { "bmA", 65536, true, false, 655360, DBM_SHA_BMA, bits_bma },
        /* no mapping this time: bmB is not persistent */
        { "bmB", 4096, false, false, 73728, DBM_SHA_BMB, bits_bmb },
    },
};

/* Same, and the stream opens a return path (QEMU PINGs, we PONG). */
static const StreamCase case_postcopy_rp = {
    .file = "postcopy_rp.s2d.bin", .disk_size = GiB,
    .write_off = 100 * 65536, .write_len = 4096,
    .bitmaps = {
        { "bmA", 65536, true, false, 655360, DBM_SHA_BMA, bits_bma },
        { "bmB", 4096, false, false, 73728, DBM_SHA_BMB, bits_bmb },
    },
};

/* The dirty-bitmap section is there, with no bitmap in it. */
static const StreamCase case_precopy_nobitmaps = {
    .file = "precopy_nobitmaps.bin", .disk_size = GiB,
};

/* The capture's path, or NULL (test skipped) if it is not there. */
static char *capture_path(const char *file)
{
    const char *dir = g_getenv("DBM_STREAMS_DIR");
    char *path;

    if (!dir) {
        dir = "tests/data/streams";
    }
    path = g_build_filename(dir, file, NULL);
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_autofree char *msg = g_strdup_printf("reference capture %s not "
                                               "found (DBM_STREAMS_DIR)",
                                               path);

        g_test_skip(msg);
        g_free(path);
        return NULL;
    }
    return path;
}

/* The shell-quoted "-incoming" argument that cats @path. */
static char *incoming_arg(const char *path)
{
    g_autofree char *file = g_shell_quote(path);
    g_autofree char *uri = g_strdup_printf("exec:cat %s", file);

    return g_shell_quote(uri);
}

/* Poll query-migrate until the incoming migration has completed. */
static void wait_completed(QTestState *s)
{
    gint64 deadline = g_get_monotonic_time() +
                      MIG_POLL_SECONDS * G_USEC_PER_SEC;

    for (;;) {
        g_autofree char *st = mig_query_status(s);

        if (!strcmp(st, "completed")) {
            return;
        }
        if (!strcmp(st, "failed") ||
            g_get_monotonic_time() > deadline) {
            g_autofree char *log = qtest_get_log(s);

            g_error("incoming migration is '%s'; log:\n%s", st, log);
        }
    }
}

/*
 * Once the VM has left "inmigrate" (QEMU may report 'completed' just
 * before the bottom half that starts the VM has run), it runs.
 */
static void assert_runstate_running(QTestState *s)
{
    g_autofree char *st = mig_runstate_leaves(s, "inmigrate");
    json_t *ret;

    g_assert_cmpstr(st, ==, "running");
    ret = qtest_qmp_assert_success_ref(s, "{\"execute\": \"query-status\"}");
    g_assert_true(json_is_true(json_object_get(ret, "running")));
    json_decref(ret);
}

static DBMOracle *oracle_new(const StreamCase *c, const StreamBitmap *b)
{
    DBMOracle *o = dbm_oracle_new(c->disk_size, b->granularity,
                                  b->recording);
    g_autofree char *sha = NULL;
    const int64_t *g;

    for (g = b->bits; *g >= 0; g++) {
        dbm_oracle_write(o, *g * b->granularity, 1, true);
    }
    /* The table agrees with CAPTURES.txt. */
    sha = dbm_oracle_sha256(o);
    g_assert_cmpstr(sha, ==, b->sha256);
    g_assert_cmpuint(dbm_oracle_count(o), ==, b->count);
    return o;
}

static void assert_bitmaps(QTestState *s, const StreamCase *c,
                           DBMOracle **oracles)
{
    const StreamBitmap *b;
    size_t i;

    for (i = 0, b = c->bitmaps; b->name; i++, b++) {
        g_autofree char *sha = mig_bitmap_sha256(s, "drive0", b->name);
        json_t *info = mig_bitmap_info(s, "drive0", b->name);

        g_assert_nonnull(info);
        g_assert_cmpstr(sha, ==, b->sha256);
        g_assert_cmpuint(json_integer_value(json_object_get(info, "count")),
                         ==, b->count);
        json_decref(info);
        dbm_assert_bitmap(s, NULL, "drive0", b->name, b->recording, false,
                          b->persistent, b->granularity);
        dbm_assert_oracle(s, "drive0", b->name, oracles[i]);
    }
}

/* The node's bitmaps are exactly the expected ones. */
static void assert_bitmap_set(QTestState *s, const StreamCase *c)
{
    json_t *nodes = qtest_qmp_assert_success_ref(s,
        "{\"execute\": \"query-named-block-nodes\", "
        "\"arguments\": {\"flat\": true}}");
    json_t *n, *bitmaps = NULL;
    size_t i, want = 0;

    while (c->bitmaps[want].name) {
        want++;
    }
    json_array_foreach(nodes, i, n) {
        if (!g_strcmp0(json_string_value(json_object_get(n, "node-name")),
                       "drive0")) {
            bitmaps = json_object_get(n, "dirty-bitmaps");
        }
    }
    if (want) {
        g_assert_nonnull(bitmaps);
        g_assert_cmpuint(json_array_size(bitmaps), ==, want);
    } else {
        dbm_assert_no_bitmap(s, "drive0", NULL);
    }
    json_decref(nodes);
}

static void test_capture(gconstpointer opaque)
{
    const StreamCase *c = opaque;
    g_autofree char *path = capture_path(c->file);
    g_autofree char *arg = NULL;
    g_autofree char *log = NULL;
    DBMOracle *oracles[G_N_ELEMENTS(c->bitmaps)] = { NULL };
    QTestState *s;
    size_t i;

    if (!path) {
        return;
    }
    for (i = 0; c->bitmaps[i].name; i++) {
        oracles[i] = oracle_new(c, &c->bitmaps[i]);
    }
    arg = incoming_arg(path);
    s = dbm_vm_start("-blockdev driver=null-co,node-name=drive0,"
                     "size=%" PRIu64 " -incoming %s", c->disk_size, arg);
    wait_completed(s);
    assert_runstate_running(s);
    assert_bitmap_set(s, c);
    assert_bitmaps(s, c, oracles);
    /* QEMU 7.2 prints nothing at all while loading these. */
    log = qtest_get_log(s);
    g_assert_cmpstr(log, ==, "");

    if (c->write_len) {
        /*
         * Enabled bitmaps record writes made after the switchover (the
         * qemu-io report goes to stdout, hence the log check above).
         */
        dbm_write(s, "drive0", c->write_off, c->write_len, false);
        for (i = 0; c->bitmaps[i].name; i++) {
            dbm_oracle_write(oracles[i], c->write_off, c->write_len, false);
            dbm_assert_oracle(s, "drive0", c->bitmaps[i].name, oracles[i]);
        }
    }

    qtest_quit(s);
    for (i = 0; i < G_N_ELEMENTS(oracles); i++) {
        dbm_oracle_free(oracles[i]);
    }
}

/*
 * precopy_cfgsubs.bin carries the configuration subsections
 * 'configuration/capabilities' (x-ignore-shared on) and
 * 'configuration/uuid'.  With the command line of the other captures
 * QEMU 7.2 refuses it: x-ignore-shared is a capability both ends must
 * agree on.  The UUID only draws a warning, as no -uuid is given.  The
 * process exits with 1 on its own, so it runs without a harness monitor.
 */
static void test_cfgsubs_refused(void)
{
    g_autofree char *path = capture_path("precopy_cfgsubs.bin");
    g_autofree char *arg = NULL;
    g_autofree char *args = NULL;
    g_autofree char *out = NULL;
    int rc;

    if (!path) {
        return;
    }
    arg = incoming_arg(path);
    args = g_strdup_printf("-display none " DBM_BASE_ARGS
                           "-blockdev driver=null-co,node-name=drive0,"
                           "size=%" PRIu64 " -incoming %s", GiB, arg);
    rc = qtest_run(args, &out);
    g_assert_cmpint(rc, ==, 1);
    g_assert_nonnull(strstr(out, "warning: UUID is received "
                            "12345678-9abc-def0-1122-334455667788, but "
                            "local uuid isn't set\n"));
    g_assert_nonnull(strstr(out, "Capability x-ignore-shared is off, but "
                            "received capability is on\n"));
    g_assert_nonnull(strstr(out, "load of migration failed: Invalid "
                            "argument\n"));
}

/*
 * The same capture with x-ignore-shared on at the destination (set
 * before migrate-incoming, so -incoming defer): it loads, with the
 * UUID warning only.
 */
static void test_cfgsubs_ignore_shared(void)
{
    g_autofree char *path = capture_path("precopy_cfgsubs.bin");
    g_autofree char *file = NULL;
    g_autofree char *log = NULL;
    g_autofree char *st = NULL;
    QTestState *s;

    if (!path) {
        return;
    }
    file = g_shell_quote(path);
    s = dbm_vm_start_incoming("-blockdev driver=null-co,node-name=drive0,"
                              "size=%" PRIu64, GiB);
    mig_set_caps(s, "events,x-ignore-shared");
    qtest_qmp_assert_success(s,
        "{\"execute\": \"migrate-incoming\", \"arguments\": "
        "{\"uri\": \"exec:cat %s\"}}", file);
    st = mig_wait_status(s, "completed");
    qtest_qmp_eventwait(s, "RESUME");
    g_clear_pointer(&st, g_free);
    st = mig_query_status(s);
    g_assert_cmpstr(st, ==, "completed");
    assert_runstate_running(s);
    dbm_assert_no_bitmap(s, "drive0", NULL);
    log = qtest_get_log(s);
    g_assert_nonnull(strstr(log, "warning: UUID is received "
                            "12345678-9abc-def0-1122-334455667788, but "
                            "local uuid isn't set\n"));
    g_assert_null(strstr(log, "Capability"));
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_data_func("/dbm/streams/precopy-2bitmaps",
                         &case_precopy_2bitmaps, test_capture);
    g_test_add_data_func("/dbm/streams/precopy-odd-size",
                         &case_precopy_odd_size, test_capture);
    g_test_add_data_func("/dbm/streams/postcopy", &case_postcopy,
                         test_capture);
    g_test_add_data_func("/dbm/streams/precopy-nobitmaps",
                         &case_precopy_nobitmaps, test_capture);
    g_test_add_func("/dbm/streams/cfgsubs-refused", test_cfgsubs_refused);
    g_test_add_func("/dbm/streams/cfgsubs-ignore-shared",
                    test_cfgsubs_ignore_shared);
    g_test_add_data_func("/dbm/streams/postcopy-return-path",
                         &case_postcopy_rp, test_capture);
    return g_test_run();
}
