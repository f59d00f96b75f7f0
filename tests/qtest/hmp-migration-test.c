/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HMP migration and block commands, against QEMU 7.2's output. */
#include "qemu/osdep.h"

#include "libqtest.h"
#include "dbm-common.h"

/*
 * Each table below holds HMP command lines and the text QEMU 7.2
 * answers to them.  minivmm must answer the same; when QEMU 7.2 is
 * installed it runs the same lines too, which keeps the tables honest.
 */
#define QEMU_BINARY "/usr/bin/qemu-system-x86_64"

static const char *minivmm_binary;
static char *tmpdir;

typedef struct HMPCase {
    const char *cmd;
    const char *expect;
} HMPCase;

static bool have_qemu(void)
{
    return access(QEMU_BINARY, X_OK) == 0;
}

static QTestState *start(const char *binary, const char *args)
{
    g_setenv("MINIVMM_BINARY", binary, true);
    return qtest_init(args);
}

/* @text with auto-generated node names ("#block123") made equal */
static char *normalise(const char *text)
{
    g_autoptr(GRegex) re = g_regex_new("#block[0-9]+", 0, 0, NULL);

    return g_regex_replace_literal(re, text, -1, 0, "#blockN", 0, NULL);
}

static char *hmp_normalised(QTestState *qts, const char *cmd)
{
    g_autofree char *out = qtest_hmp(qts, "%s", cmd);

    return normalise(out);
}

static void hmp_ok(QTestState *qts, const char *cmd)
{
    g_autofree char *out = qtest_hmp(qts, "%s", cmd);

    g_assert_cmpstr(out, ==, "");
}

static void run_cases_on(const char *binary, const char *args,
                         const HMPCase *cases, size_t n)
{
    QTestState *qts = start(binary, args);
    size_t i;

    for (i = 0; i < n; i++) {
        g_autofree char *out = hmp_normalised(qts, cases[i].cmd);

        if (g_strcmp0(out, cases[i].expect)) {
            g_test_message("%s: '%s'", binary, cases[i].cmd);
        }
        g_assert_cmpstr(out, ==, cases[i].expect);
    }
    qtest_quit(qts);
}

/* minivmm, and QEMU 7.2 if installed, give each case's text */
static void run_cases(const char *args, const HMPCase *cases, size_t n)
{
    run_cases_on(minivmm_binary, args, cases, n);
    if (have_qemu()) {
        run_cases_on(QEMU_BINARY, args, cases, n);
    } else {
        g_test_message("QEMU 7.2 (" QEMU_BINARY ") is not installed: "
                       "checked against the expected texts only");
    }
}

#define TRY(cmd) "Try \"help " cmd "\" for more information\r\n"

static void test_help(void)
{
    static const HMPCase cases[] = {
        { "help migrate",
          "migrate [-d] [-b] [-i] [-r] uri -- migrate to URI (using -d to "
          "not wait for completion)\r\n"
          "\t\t\t -b for migration without shared storage with full copy "
          "of disk\r\n"
          "\t\t\t -i for migration without shared storage with incremental "
          "copy of disk (base image shared between src and destination)"
          "\r\n"
          "\t\t\t -r to resume a paused migration\r\n" },
        { "help migrate_incoming",
          "migrate_incoming uri -- Continue an incoming migration from an "
          "-incoming defer\r\n" },
        { "help migrate_set_capability",
          "migrate_set_capability capability state -- Enable/Disable the "
          "usage of a capability for migration\r\n" },
        { "help migrate_set_parameter",
          "migrate_set_parameter parameter value -- Set the parameter for "
          "migration\r\n" },
        { "help migrate_cancel",
          "migrate_cancel  -- cancel the current VM migration\r\n" },
        { "help migrate_start_postcopy",
          "migrate_start_postcopy  -- Followup to a migration command to "
          "switch the migration to postcopy mode. The postcopy-ram "
          "capability must be set on both source and destination before "
          "the original migration command .\r\n" },
        { "help migrate_continue",
          "migrate_continue state -- Continue migration from the given "
          "paused state\r\n" },
        { "help migrate_pause",
          "migrate_pause  -- Pause an ongoing migration (postcopy-only)"
          "\r\n" },
        { "help migrate_recover",
          "migrate_recover uri -- Continue a paused incoming postcopy "
          "migration\r\n" },
        { "help info block",
          "info block [-n] [-v] [device] -- show info of one block device "
          "or all block devices (-n: show named nodes; -v: show details)"
          "\r\n" },
        { "help info migrate", "info migrate  -- show migration status\r\n" },
        /* QEMU 7.2 has no HMP forms of the bitmap commands */
        { "block_dirty_bitmap_add drive0 bm0",
          "unknown command: 'block_dirty_bitmap_add'\r\n" },
        { "block_dirty_bitmap_remove drive0 bm0",
          "unknown command: 'block_dirty_bitmap_remove'\r\n" },
        { "block_dirty_bitmap_clear drive0 bm0",
          "unknown command: 'block_dirty_bitmap_clear'\r\n" },
        { "block_dirty_bitmap_enable drive0 bm0",
          "unknown command: 'block_dirty_bitmap_enable'\r\n" },
        { "block_dirty_bitmap_disable drive0 bm0",
          "unknown command: 'block_dirty_bitmap_disable'\r\n" },
        { "block_dirty_bitmap_merge drive0 bm0 bm1",
          "unknown command: 'block_dirty_bitmap_merge'\r\n" },
        { "help block_dirty_bitmap_add",
          "unknown command: 'block_dirty_bitmap_add'\r\n" },
    };

    run_cases("-M none -nodefaults -S", cases, G_N_ELEMENTS(cases));
}

/* Every line our "help" and "info" print is one of QEMU 7.2's. */
static void test_help_lists(void)
{
    static const char *const cmds[] = { "help", "info" };
    QTestState *ours, *qemu;
    size_t i;

    if (!have_qemu()) {
        g_test_skip("QEMU 7.2 (" QEMU_BINARY ") is not installed");
        return;
    }
    ours = start(minivmm_binary, "-M none -nodefaults -S");
    qemu = start(QEMU_BINARY, "-M none -nodefaults -S");
    for (i = 0; i < G_N_ELEMENTS(cmds); i++) {
        g_autofree char *mine = qtest_hmp(ours, "%s", cmds[i]);
        g_autofree char *theirs = qtest_hmp(qemu, "%s", cmds[i]);
        g_auto(GStrv) lines = g_strsplit(mine, "\r\n", -1);
        g_auto(GStrv) qlines = g_strsplit(theirs, "\r\n", -1);
        char **l;

        for (l = lines; *l; l++) {
            if (!g_strv_contains((const char *const *)qlines, *l)) {
                g_error("'%s' prints '%s', which QEMU 7.2 does not",
                        cmds[i], *l);
            }
        }
    }
    qtest_quit(ours);
    qtest_quit(qemu);
}

static void test_syntax(void)
{
    static const HMPCase cases[] = {
        { "migrate_start_postcopy",
          "Error: Enable postcopy with migrate_set_capability before the "
          "start of migration\r\n" },
        { "migrate_set_capability dirty-bitmaps on", "" },
        { "migrate_start_postcopy",
          "Error: Postcopy must be started after migration has been "
          "started\r\n" },
        { "migrate_set_capability dirty-bitmaps off", "" },
        { "migrate", "migrate: string expected\r\n" TRY("migrate") },
        { "migrate -d", "migrate: string expected\r\n" TRY("migrate") },
        /* flags are taken in the order they are declared */
        { "migrate -r -d bogus:",
          "migrate: extraneous characters at the end of line\r\n"
          TRY("migrate") },
        { "migrate -d -r bogus:",
          "Error: Cannot resume if there is no paused migration\r\n" },
        { "migrate -d -d bogus:",
          "migrate: unsupported option -d\r\n" TRY("migrate") },
        { "migrate -x bogus:",
          "migrate: unsupported option -x\r\n" TRY("migrate") },
        { "migrate -dr bogus:",
          "migrate: extraneous characters at the end of line\r\n"
          TRY("migrate") },
        { "migrate -d-r bogus:",
          "Error: Cannot resume if there is no paused migration\r\n" },
        { "migrate -- bogus:",
          "migrate: unsupported option --\r\n" TRY("migrate") },
        { "migrate -5 bogus:",
          "migrate: unsupported option -5\r\n" TRY("migrate") },
        { "migrate -d -", "migrate: unsupported option -" TRY("migrate") },
        { "migrate \"-d\" bogus:",
          "migrate: extraneous characters at the end of line\r\n"
          TRY("migrate") },
        { "migrate -dd",
          "Error: Parameter 'uri' expects a valid migration protocol\r\n" },
        { "migrate bogus:",
          "Error: Parameter 'uri' expects a valid migration protocol\r\n" },
        { "migrate_continue",
          "migrate_continue: string expected\r\n" TRY("migrate_continue") },
        { "migrate_pause",
          "Error: migrate-pause is currently only supported during "
          "postcopy-active state\r\n" },
        { "migrate_pause x",
          "migrate_pause: extraneous characters at the end of line\r\n"
          TRY("migrate_pause") },
        { "migrate_recover",
          "migrate_recover: string expected\r\n" TRY("migrate_recover") },
        { "migrate_recover tcp:1.2.3.4:1",
          "Error: Migrate recover can only be run when postcopy is "
          "paused.\r\n" },
        { "migrate_continue bogus",
          "Error: invalid parameter value: bogus\r\n" },
        { "migrate_continue active",
          "Error: Migration not in expected state: failed\r\n" },
        { "migrate_continue failed", "" },
        { "migrate_continue pre-switchover x",
          "migrate_continue: extraneous characters at the end of line\r\n"
          TRY("migrate_continue") },
        { "migrate_set_capability",
          "migrate_set_capability: string expected\r\n"
          TRY("migrate_set_capability") },
        { "migrate_set_capability events",
          "Expected 'on' or 'off'\r\n" TRY("migrate_set_capability") },
        { "migrate_set_capability events yes",
          "Expected 'on' or 'off'\r\n" TRY("migrate_set_capability") },
        { "migrate_set_capability nosuch on",
          "Error: invalid parameter value: nosuch\r\n" },
        { "migrate_set_capability events on", "" },
        { "migrate_set_capability dirty-bitmaps on", "" },
        { "migrate_set_capability return-path on", "" },
        { "migrate_set_capability dirty-bitmaps off", "" },
        { "info migrate_capabilities",
          "xbzrle: off\r\nrdma-pin-all: off\r\nauto-converge: off\r\n"
          "zero-blocks: off\r\ncompress: off\r\nevents: on\r\n"
          "postcopy-ram: off\r\nx-colo: off\r\nrelease-ram: off\r\n"
          "block: off\r\nreturn-path: on\r\n"
          "pause-before-switchover: off\r\nmultifd: off\r\n"
          "dirty-bitmaps: off\r\npostcopy-blocktime: off\r\n"
          "late-block-activate: off\r\nx-ignore-shared: off\r\n"
          "validate-uuid: off\r\nbackground-snapshot: off\r\n"
          "zero-copy-send: off\r\npostcopy-preempt: off\r\n" },
        { "migrate_incoming",
          "migrate_incoming: string expected\r\n" TRY("migrate_incoming") },
        { "migrate_incoming unix:/nonexistent/sock",
          "Error: '-incoming' was not specified on the command line\r\n" },
        { "migrate_cancel", "" },
        { "migrate_cancel x",
          "migrate_cancel: extraneous characters at the end of line\r\n"
          TRY("migrate_cancel") },
        /* after the failed migrate, it is silently accepted */
        { "migrate_set_capability dirty-bitmaps on", "" },
        { "migrate_start_postcopy", "" },
    };

    run_cases("-M none -nodefaults -S", cases, G_N_ELEMENTS(cases));
}

/* migrate_set_parameter: QEMU's value syntax per parameter type */
static void test_parameters(void)
{
    static const HMPCase cases[] = {
        { "migrate_set_parameter",
          "migrate_set_parameter: string expected\r\n"
          TRY("migrate_set_parameter") },
        { "migrate_set_parameter max-bandwidth",
          "migrate_set_parameter: string expected\r\n"
          TRY("migrate_set_parameter") },
        { "migrate_set_parameter tls-creds a b",
          "migrate_set_parameter: extraneous characters at the end of line"
          "\r\n" TRY("migrate_set_parameter") },
        { "migrate_set_parameter nosuch 1",
          "Error: invalid parameter value: nosuch\r\n" },
        /* max-bandwidth: a size in MiB by default, below 2^63 */
        { "migrate_set_parameter max-bandwidth -1",
          "Error: Invalid size -1\r\n" },
        { "migrate_set_parameter max-bandwidth abc",
          "Error: Invalid size abc\r\n" },
        { "migrate_set_parameter max-bandwidth 8E",
          "Error: Invalid size 8E\r\n" },
        { "migrate_set_parameter max-bandwidth 1.5", "" },
        /* other sizes: bytes by default */
        { "migrate_set_parameter downtime-limit 5M",
          "Error: Parameter 'downtime_limit' expects an integer in the "
          "range of 0 to (2000 * 1000) ms\r\n" },
        { "migrate_set_parameter downtime-limit -1",
          "Error: Parameter 'downtime-limit' expects a non-negative number "
          "below 2^64\r\n"
          "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, "
          "tera-, peta-\r\nand exabytes, respectively.\r\n" },
        { "migrate_set_parameter announce-rounds 16E",
          "Error: Value '16E' is out of range for parameter "
          "'announce-rounds'\r\n" },
        { "migrate_set_parameter announce-rounds 1.5",
          "Error: Parameter 'announce-rounds' expects a non-negative number "
          "below 2^64\r\n"
          "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, "
          "tera-, peta-\r\nand exabytes, respectively.\r\n" },
        { "migrate_set_parameter downtime-limit 010", "" },
        { "migrate_set_parameter announce-initial 1k", "" },
        { "migrate_set_parameter announce-rounds 0x10", "" },
        { "migrate_set_parameter xbzrle-cache-size 1000",
          "Error: Parameter 'xbzrle_cache_size' expects a power of two no "
          "less than the target page size\r\n" },
        { "migrate_set_parameter xbzrle-cache-size 2M", "" },
        { "migrate_set_parameter max-postcopy-bandwidth 2k", "" },
        /* integers: C syntax, range of the type, then of the parameter */
        { "migrate_set_parameter compress-level 300",
          "Error: Parameter 'compress-level' expects uint8_t\r\n" },
        { "migrate_set_parameter compress-level x",
          "Error: Parameter 'compress-level' expects uint64\r\n" },
        { "migrate_set_parameter compress-threads -1",
          "Error: Parameter 'compress-threads' expects uint8_t\r\n" },
        { "migrate_set_parameter compress-threads 1k",
          "Error: Parameter 'compress-threads' expects uint64\r\n" },
        { "migrate_set_parameter compress-threads 1-3",
          "Error: Parameter 'compress-threads' expects uint64\r\n" },
        { "migrate_set_parameter compress-level 10",
          "Error: Parameter 'compress_level' expects a value between 0 and "
          "9\r\n" },
        { "migrate_set_parameter decompress-threads 010", "" },
        { "migrate_set_parameter compress-threads +5", "" },
        { "migrate_set_parameter x-checkpoint-delay 5000000000",
          "Error: Parameter 'x-checkpoint-delay' expects uint32_t\r\n" },
        { "migrate_set_parameter x-checkpoint-delay 0x10", "" },
        { "migrate_set_parameter multifd-channels 0",
          "Error: Parameter 'multifd_channels' expects a value between 1 "
          "and 255\r\n" },
        { "migrate_set_parameter throttle-trigger-threshold 0",
          "Error: Parameter 'throttle_trigger_threshold' expects an integer "
          "in the range of 1 to 100\r\n" },
        /* booleans */
        { "migrate_set_parameter compress-wait-thread maybe",
          "Error: Parameter 'compress-wait-thread' expects 'on' or 'off'"
          "\r\n" },
        { "migrate_set_parameter block-incremental On",
          "Error: Parameter 'block-incremental' expects 'on' or 'off'\r\n" },
        { "migrate_set_parameter compress-wait-thread no", "" },
        { "migrate_set_parameter cpu-throttle-tailslow y", "" },
        /* strings and the enum */
        { "migrate_set_parameter tls-creds foo", "" },
        { "migrate_set_parameter tls-authz \"a b\"", "" },
        { "migrate_set_parameter multifd-compression bogus",
          "Error: Parameter 'multifd-compression' does not accept value "
          "'bogus'\r\n" },
        { "migrate_set_parameter multifd-compression zlib", "" },
        { "migrate_set_parameter block-bitmap-mapping x",
          "Error: The block-bitmap-mapping parameter can only be set "
          "through QMP\r\n" },
        { "info migrate_parameters",
          "announce-initial: 1024 ms\r\nannounce-max: 550 ms\r\n"
          "announce-rounds: 16\r\nannounce-step: 100 ms\r\n"
          "compress-level: 1\r\ncompress-threads: 5\r\n"
          "compress-wait-thread: off\r\ndecompress-threads: 8\r\n"
          "throttle-trigger-threshold: 50\r\ncpu-throttle-initial: 20\r\n"
          "cpu-throttle-increment: 10\r\ncpu-throttle-tailslow: on\r\n"
          "max-cpu-throttle: 99\r\ntls-creds: 'foo'\r\n"
          "tls-hostname: ''\r\nmax-bandwidth: 1572864 bytes/second\r\n"
          "downtime-limit: 10 ms\r\nx-checkpoint-delay: 16 ms\r\n"
          "block-incremental: off\r\nmultifd-channels: 2\r\n"
          "multifd-compression: zlib\r\n"
          "xbzrle-cache-size: 2097152 bytes\r\n"
          "max-postcopy-bandwidth: 2048\r\ntls-authz: 'a b'\r\n" },
    };

    run_cases("-M none -nodefaults -S", cases, G_N_ELEMENTS(cases));
}

#define GLOBALS \
    "globals:\r\nstore-global-state: on\r\nonly-migratable: off\r\n" \
    "send-configuration: on\r\nsend-section-footer: on\r\n" \
    "decompress-error-check: on\r\nclear-bitmap-shift: 18\r\n"

static void test_incoming(void)
{
    g_autofree char *sock = g_build_filename(tmpdir, "in.sock", NULL);
    g_autofree char *listen = g_strdup_printf("migrate_incoming unix:%s",
                                              sock);
    g_autofree char *addr = g_strdup_printf(GLOBALS "socket address: [\r\n"
                                            "\tunix:%s\r\n]\r\n", sock);
    const HMPCase cases[] = {
        { "info migrate", GLOBALS },
        { "info status", "VM status: paused (inmigrate)\r\n" },
        { "migrate_incoming bogus:x",
          "Error: unknown migration protocol: bogus:x\r\n" },
        { listen, "" },
        { "info migrate", addr },
        { listen, "Error: The incoming migration has already been started"
          "\r\n" },
        { "migrate -d exec:cat>/dev/null",
          "Error: Guest is waiting for an incoming migration\r\n" },
    };
    const char *binaries[] = { minivmm_binary, QEMU_BINARY };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(binaries); i++) {
        if (i && !have_qemu()) {
            break;
        }
        unlink(sock);
        run_cases_on(binaries[i], "-M none -nodefaults -incoming defer",
                     cases, G_N_ELEMENTS(cases));
    }
    unlink(sock);
}

/* Wait until query-migrate's status is @status. */
static void wait_status(QTestState *qts, const char *status)
{
    for (;;) {
        json_t *r = qtest_qmp_assert_success_ref(qts,
            "{\"execute\": \"query-migrate\"}");
        bool done = !g_strcmp0(json_string_value(json_object_get(r,
                                                     "status")), status);

        json_decref(r);
        if (done) {
            return;
        }
        /* a MIGRATION event (capability events) says when to look again */
        json_decref(qtest_qmp_eventwait_ref(qts, "MIGRATION"));
    }
}

static void run_failed(const char *binary)
{
    QTestState *qts = start(binary, "-M none -nodefaults");
    g_autofree char *out = NULL;

    g_free(qtest_hmp(qts, "migrate_set_capability events on"));
    out = qtest_hmp(qts, "migrate -d unix:/nonexistent/dir/sock");
    g_assert_cmpstr(out, ==, "");
    wait_status(qts, "failed");
    g_free(out);
    out = qtest_hmp(qts, "info migrate");
    g_assert_cmpstr(out, ==, GLOBALS
                    "Migration status: failed (Failed to connect to "
                    "'/nonexistent/dir/sock': No such file or directory)\r\n"
                    "total time: 0 ms\r\n");
    qtest_quit(qts);
}

static void test_failed(void)
{
    run_failed(minivmm_binary);
    if (have_qemu()) {
        run_failed(QEMU_BINARY);
    }
}

/* Without -d, migrate over human-monitor-command cannot wait. */
static void run_sync_over_qmp(const char *binary)
{
    QTestState *qts = start(binary, "-M none -nodefaults");
    g_autofree char *out = NULL;

    g_free(qtest_hmp(qts, "migrate_set_capability events on"));
    out = qtest_hmp(qts, "migrate exec:cat>/dev/null");
    g_assert_cmpstr(out, ==, "terminal does not allow synchronous "
                    "migration, continuing detached\r\n");
    /* and it does go on */
    wait_status(qts, "completed");
    qtest_quit(qts);
}

static void test_sync_over_qmp(void)
{
    run_sync_over_qmp(minivmm_binary);
    if (have_qemu()) {
        run_sync_over_qmp(QEMU_BINARY);
    }
}

/*
 * On an interactive monitor (-monitor stdio), migrate without -d holds
 * the prompt until the migration is over: "info migrate" typed right
 * behind it already sees it completed.
 */
static void test_sync_stdio(void)
{
    g_autofree char *out = NULL;
    int status;

    /* QEMU's readline echoes what it reads: only ours is compared */
    g_setenv("MINIVMM_BINARY", minivmm_binary, true);
    status = qtest_run_stdin("-M none -nodefaults -display none "
                                 "-monitor stdio",
                                 "migrate exec:cat>/dev/null\n"
                                 "info migrate\nquit\n", &out);

    g_assert_cmpint(status, ==, 0);
    /* one prompt per command: migrate's came back after it ended */
    g_assert_true(g_str_has_prefix(out, "QEMU 7.2.0 monitor - type "
                                   "'help' for more information\r\n"
                                   "(qemu) (qemu) " GLOBALS
                                   "Migration status: completed\r\n"));
    g_assert_true(g_str_has_suffix(out, "\r\n(qemu) "));
}

/* QEMU names a node opened with options beyond its filename so */
#define N0_FILE "json:{\"driver\": \"null-co\", \"size\": 1048576}"

static void test_info_block(void)
{
    g_autofree char *image = g_build_filename(tmpdir, "disk.raw", NULL);
    g_autofree char *args = g_strdup_printf(
        "-M none -nodefaults -S "
        "-drive if=none,id=d1,driver=null-co "
        "-drive if=none,id=d2,file=%s,format=raw,readonly=on,cache=none,"
        "detect-zeroes=on "
        "-drive if=none,id=d3 "
        "-blockdev null-co,node-name=n0,size=1048576 "
        "-drive if=none,id=d4,file=%s,format=raw,cache=unsafe,"
        "detect-zeroes=unmap,discard=unmap", image, image);
    g_autofree char *d2 = g_strdup_printf(
        "d2 (#blockN): %s (raw, read-only)\r\n"
        "    Removable device: not locked, tray closed\r\n"
        "    Cache mode:       writeback, direct\r\n"
        "    Detect zeroes:    on\r\n", image);
    g_autofree char *d4 = g_strdup_printf(
        "d4 (#blockN): %s (raw)\r\n"
        "    Removable device: not locked, tray closed\r\n"
        "    Cache mode:       writeback, ignore flushes\r\n"
        "    Detect zeroes:    unmap\r\n", image);
    g_autofree char *images = g_strdup_printf(
        "\r\nImages:\r\nimage: %s\r\nfile format: raw\r\n"
        "virtual size: 2 MiB (2097152 bytes)\r\ndisk size: 0 B\r\n", image);
    g_autofree char *file_images = g_strdup_printf(
        "\r\nImages:\r\nimage: %s\r\nfile format: file\r\n"
        "virtual size: 2 MiB (2097152 bytes)\r\ndisk size: 0 B\r\n", image);
    const char *d1 =
        "d1 (#blockN): null-co:// (null-co)\r\n"
        "    Removable device: not locked, tray closed\r\n"
        "    Cache mode:       writeback\r\n";
    const char *d1_images =
        "\r\nImages:\r\nimage: null-co://\r\nfile format: null-co\r\n"
        "virtual size: 1 GiB (1073741824 bytes)\r\ndisk size: 0 B\r\n";
    const char *d3 =
        "d3: [not inserted]\r\n"
        "    Removable device: not locked, tray closed\r\n";
    const char *n0 =
        "n0: " N0_FILE " (null-co)\r\n"
        "    Cache mode:       writeback\r\n";
    g_autofree char *all = g_strjoin("\r\n", d1, d2, d3, d4, NULL);
    g_autofree char *all_v = g_strconcat(d1, d1_images, "\r\n", d2, images,
                                         "\r\n", d3, "\r\n", d4, images,
                                         NULL);
    g_autofree char *d2_alone = g_strconcat("\r\n", d2, NULL);
    g_autofree char *d1_v = g_strconcat(d1, d1_images, NULL);
    g_autofree char *n0_alone = g_strconcat("\r\n", n0, NULL);
    g_autofree char *nodes = NULL;
    g_autofree char *nodes_v = NULL;
    int fd;

    /* the nodes, newest first: d4's raw and file, d2's, d1's, then n0 */
    nodes = g_strdup_printf(
        "#blockN: %s (raw)\r\n    Cache mode:       writeback, ignore "
        "flushes\r\n    Detect zeroes:    unmap\r\n\r\n"
        "#blockN: %s (file)\r\n    Cache mode:       writeback, ignore "
        "flushes\r\n\r\n"
        "#blockN: %s (raw, read-only)\r\n    Cache mode:       writeback, "
        "direct\r\n    Detect zeroes:    on\r\n\r\n"
        "#blockN: %s (file, read-only)\r\n    Cache mode:       writeback, "
        "direct\r\n\r\n"
        "#blockN: null-co:// (null-co)\r\n    Cache mode:       writeback"
        "\r\n\r\n%s", image, image, image, image, n0);
    nodes_v = g_strdup_printf(
        "#blockN: %s (raw)\r\n    Cache mode:       writeback, ignore "
        "flushes\r\n    Detect zeroes:    unmap\r\n%s\r\n"
        "#blockN: %s (file)\r\n    Cache mode:       writeback, ignore "
        "flushes\r\n%s\r\n"
        "#blockN: %s (raw, read-only)\r\n    Cache mode:       writeback, "
        "direct\r\n    Detect zeroes:    on\r\n%s\r\n"
        "#blockN: %s (file, read-only)\r\n    Cache mode:       writeback, "
        "direct\r\n%s\r\n"
        "#blockN: null-co:// (null-co)\r\n    Cache mode:       writeback"
        "\r\n%s\r\n%s"
        "\r\nImages:\r\nimage: " N0_FILE "\r\nfile format: null-co\r\n"
        "virtual size: 1 MiB (1048576 bytes)\r\ndisk size: 0 B\r\n",
        image, images, image, file_images, image, images, image,
        file_images, d1_images, n0);

    fd = open(image, O_CREAT | O_TRUNC | O_RDWR, 0600);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, 2 * MiB), ==, 0);
    close(fd);
    {
        const HMPCase cases[] = {
            { "info block", all },
            { "info block -v", all_v },
            { "info block d2", d2_alone },
            { "info block -v d1", d1_v },
            { "info block n0", n0_alone },
            { "info block nosuch", "" },
            { "info block -n", nodes },
            { "info block -n -v", nodes_v },
            /* -n after -v is the device name */
            { "info block -v -n", "" },
            { "info block -x",
              "block: unsupported option -x\r\n" TRY("info block") },
            { "info block d1 d2",
              "block: extraneous characters at the end of line\r\n"
              TRY("info block") },
        };

        run_cases(args, cases, G_N_ELEMENTS(cases));
    }
    unlink(image);
}

/* Run qemu-io commands on a null-co node; return what @binary printed. */
static char *qemu_io_output(const char *binary, const char *const *cmds)
{
    QTestState *qts = start(binary, "-M none -nodefaults -S "
                            "-blockdev null-co,node-name=n0");
    char *log;
    int status;

    for (; *cmds; cmds++) {
        g_autofree char *hmp = g_strdup_printf("qemu-io n0 \"%s\"", *cmds);

        hmp_ok(qts, hmp);
    }
    /* QEMU's stdout is a buffered file: all of it is there at exit */
    json_decref(qtest_qmp(qts, "{\"execute\": \"quit\"}"));
    g_assert_true(qtest_wait_exit(qts, &status));
    log = qtest_get_log(qts);
    qtest_quit(qts);
    return log;
}

#define USAGE_READ \
    "[-abCqv] [-P pattern [-s off] [-l len]] off len -- reads a number " \
    "of bytes at a specified offset\n"
#define USAGE_WRITE \
    "[-bcCfnquz] [-P pattern | -s source_file] off len -- writes a number " \
    "of bytes at a specified offset\n"
#define USAGE_DISCARD \
    "[-Cq] off len -- discards a number of bytes at a specified offset\n"

/*
 * qemu-io's "help" and "help CMD" for the commands minivmm has.  What
 * QEMU 7.2 prints for @cmds is data, in tests/data/qemu-io/help.txt.
 */
static void test_qemu_io_help(void)
{
    static const char *const cmds[] = {
        "help write", "help r", "help discard", "help flush", "help l",
        "help ?", "help nosuch", "help w x", NULL,
    };
    static const char *const list[] = { "help", NULL };
    g_autofree char *path = g_build_filename(g_getenv("HMP_TEST_DATA") ?:
                                             "tests/data", "qemu-io",
                                             "help.txt", NULL);
    g_autofree char *expect = NULL;
    const char *expect_list =
        "discard " USAGE_DISCARD
        "flush -- flush all in-core file state to disk\n"
        "help [command] -- help for one or all commands\n"
        "length -- gets the length of the current file\n"
        "read " USAGE_READ
        "write " USAGE_WRITE
        "\nUse 'help commandname' for extended help.\n";
    g_autofree char *ours = qemu_io_output(minivmm_binary, cmds);
    g_autofree char *our_list = qemu_io_output(minivmm_binary, list);
    g_autofree char *qemu = NULL;
    g_autofree char *qemu_list = NULL;
    g_auto(GStrv) lines = NULL;
    g_auto(GStrv) qlines = NULL;
    char **l;

    g_assert_true(g_file_get_contents(path, &expect, NULL, NULL));
    g_assert_cmpstr(ours, ==, expect);
    g_assert_cmpstr(our_list, ==, expect_list);
    if (!have_qemu()) {
        return;
    }
    qemu = qemu_io_output(QEMU_BINARY, cmds);
    g_assert_cmpstr(qemu, ==, expect);
    /* QEMU has more commands: each line of ours is one of its lines */
    qemu_list = qemu_io_output(QEMU_BINARY, list);
    lines = g_strsplit(our_list, "\n", -1);
    qlines = g_strsplit(qemu_list, "\n", -1);
    for (l = lines; *l; l++) {
        g_assert_true(g_strv_contains((const char *const *)qlines, *l));
    }
}

/*
 * Bitmaps migrated between two minivmm processes, every migration step
 * typed in HMP as a QEMU user would.  QEMU 7.2 has no HMP command for
 * bitmaps themselves, so they are made over QMP, and qemu-io (HMP)
 * dirties them.
 */
#define BITMAP_VM_ARGS \
    "-M none -nodefaults -drive if=none,id=drive0,node-name=disk0," \
    "driver=null-co,size=64M"

static const struct {
    const char *name;
    uint64_t granularity;
    bool disabled;
} mig_bitmaps[] = {
    { "bm0", 65536, false },
    { "bm1", 512, false },
    { "bm2", 1 * MiB, true },
};

static void hmp_migrate_bitmaps(bool postcopy)
{
    QTestState *src = start(minivmm_binary, BITMAP_VM_ARGS);
    QTestState *dst = start(minivmm_binary, BITMAP_VM_ARGS
                            " -incoming defer");
    g_autofree char *uri = g_strdup_printf("unix:%s/mig.sock",
                                           qtest_tmpdir(dst));
    g_autofree char *incoming = g_strdup_printf("migrate_incoming %s", uri);
    g_autofree char *migrate = g_strdup_printf("migrate -d %s", uri);
    g_autofree char *info = NULL;
    char *sha[G_N_ELEMENTS(mig_bitmaps)];
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(mig_bitmaps); i++) {
        mig_bitmap_add(src, "drive0", mig_bitmaps[i].name,
                       mig_bitmaps[i].granularity, false);
    }
    hmp_ok(src, "qemu-io drive0 \"write 0 1M\"");
    hmp_ok(src, "qemu-io drive0 \"write -z 5M 100k\"");
    for (i = 0; i < G_N_ELEMENTS(mig_bitmaps); i++) {
        if (mig_bitmaps[i].disabled) {
            qtest_qmp_assert_success(src, "{\"execute\": "
                "\"block-dirty-bitmap-disable\", \"arguments\": "
                "{\"node\": \"drive0\", \"name\": \"%s\"}}",
                mig_bitmaps[i].name);
        }
    }
    hmp_ok(src, "qemu-io drive0 \"write 1000 1\"");
    hmp_ok(src, "qemu-io drive0 \"write 63M 4k\"");
    for (i = 0; i < G_N_ELEMENTS(mig_bitmaps); i++) {
        sha[i] = mig_bitmap_sha256(src, "drive0", mig_bitmaps[i].name);
    }

    hmp_ok(src, "migrate_set_capability dirty-bitmaps on");
    hmp_ok(src, "migrate_set_capability events on");
    hmp_ok(dst, "migrate_set_capability dirty-bitmaps on");
    hmp_ok(dst, "migrate_set_capability events on");
    /*
     * With no guest RAM the bandwidth estimate is next to nothing: a
     * generous limit lets precopy finish, none holds it until
     * migrate_start_postcopy.
     */
    hmp_ok(src, postcopy ? "migrate_set_parameter downtime-limit 0" :
           "migrate_set_parameter downtime-limit 2000000");
    hmp_ok(dst, incoming);
    hmp_ok(src, migrate);
    if (postcopy) {
        g_free(mig_wait_status(src, "active"));
        hmp_ok(src, "migrate_start_postcopy");
        g_free(mig_wait_status(src, "postcopy-active"));
        g_free(mig_wait_status(dst, "postcopy-active"));
    }
    g_free(mig_wait_status(src, "completed"));
    g_free(mig_wait_status(dst, "completed"));

    info = qtest_hmp(src, "info migrate");
    g_assert_nonnull(strstr(info, "\r\nMigration status: completed\r\n"));
    for (i = 0; i < G_N_ELEMENTS(mig_bitmaps); i++) {
        g_autofree char *got = mig_bitmap_sha256(dst, "drive0",
                                          mig_bitmaps[i].name);

        g_assert_cmpstr(got, ==, sha[i]);
        dbm_assert_bitmap(dst, "drive0", "disk0", mig_bitmaps[i].name,
                          !mig_bitmaps[i].disabled, false, false,
                          mig_bitmaps[i].granularity);
        g_free(sha[i]);
    }
    qtest_quit(src);
    qtest_quit(dst);
}

static void test_bitmaps_precopy(void)
{
    hmp_migrate_bitmaps(false);
}

static void test_bitmaps_postcopy(void)
{
    hmp_migrate_bitmaps(true);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    minivmm_binary = g_strdup(qtest_binary());
    tmpdir = g_dir_make_tmp("hmp-migration-XXXXXX", NULL);

    g_test_add_func("/hmp-migration/help", test_help);
    g_test_add_func("/hmp-migration/help-lists", test_help_lists);
    g_test_add_func("/hmp-migration/syntax", test_syntax);
    g_test_add_func("/hmp-migration/parameters", test_parameters);
    g_test_add_func("/hmp-migration/incoming", test_incoming);
    g_test_add_func("/hmp-migration/failed", test_failed);
    g_test_add_func("/hmp-migration/sync-over-qmp", test_sync_over_qmp);
    g_test_add_func("/hmp-migration/sync-stdio", test_sync_stdio);
    g_test_add_func("/hmp-migration/info-block", test_info_block);
    g_test_add_func("/hmp-migration/qemu-io-help", test_qemu_io_help);
    g_test_add_func("/hmp-migration/bitmaps-precopy", test_bitmaps_precopy);
    g_test_add_func("/hmp-migration/bitmaps-postcopy",
                    test_bitmaps_postcopy);

    ret = g_test_run();
    rmdir(tmpdir);
    g_free(tmpdir);
    return ret;
}
