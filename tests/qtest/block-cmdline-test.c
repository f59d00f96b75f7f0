/* SPDX-License-Identifier: GPL-2.0-or-later */
/* -drive, -blockdev, blockdev-add/del, block queries, HMP qemu-io output. */
#include "qemu/osdep.h"

#include "block-qmp-util.h"

static char *tmpdir;

static char *progname(void)
{
    return g_path_get_basename(qtest_binary());
}

/* Run with @args; expect exit 1 and exactly "<progname>: @expect\n". */
static void assert_fails(const char *args, const char *expect)
{
    g_autofree char *out = NULL;
    g_autofree char *prog = progname();
    g_autofree char *want = g_strdup_printf("%s: %s\n", prog, expect);

    g_assert_cmpint(qtest_run(args, &out), ==, 1);
    g_assert_cmpstr(out, ==, want);
}

static void test_drive_errors(void)
{
    g_autofree char *img = make_image(tmpdir, "d.raw", 1 << 20);
    g_autofree char *a = NULL, *m = NULL;

    assert_fails("-M none -drive if=bogus,id=drive0,file=/tmp/a.qcow2",
                 "-drive if=bogus,id=drive0,file=/tmp/a.qcow2: unsupported "
                 "bus type 'bogus'");
    a = g_strdup_printf("-M none -drive if=none,id=drive0,file=%s,"
                        "format=raw,cache=bogus", img);
    m = g_strdup_printf("-drive if=none,id=drive0,file=%s,format=raw,"
                        "cache=bogus: invalid cache option", img);
    assert_fails(a, m);
    g_free(a);
    g_free(m);
    a = g_strdup_printf("-M none -drive if=none,id=drive0,file=%s,"
                        "format=raw,aio=bogus", img);
    m = g_strdup_printf("-drive if=none,id=drive0,file=%s,format=raw,"
                        "aio=bogus: invalid aio option", img);
    assert_fails(a, m);
    g_free(a);
    g_free(m);
    a = g_strdup_printf("-M none -drive if=none,id=drive0,file=%s,"
                        "format=raw,bogus=1", img);
    m = g_strdup_printf("-drive if=none,id=drive0,file=%s,format=raw,"
                        "bogus=1: Block format 'raw' does not support the "
                        "option 'bogus'", img);
    assert_fails(a, m);
    g_free(a);
    g_free(m);
    assert_fails("-M none -drive if=virtio,id=drive0,file=/nonexist,"
                 "format=raw",
                 "-drive if=virtio,id=drive0,file=/nonexist,format=raw: "
                 "Could not open '/nonexist': No such file or directory");
    a = g_strdup_printf("-M none -drive if=virtio,id=drive0,file=%s,"
                        "format=raw", img);
    m = g_strdup_printf("-drive if=virtio,id=drive0,file=%s,format=raw: "
                        "No 'PCI' bus found for device 'virtio-blk-pci'",
                        img);
    assert_fails(a, m);
    assert_fails("-M none -drive if=none,id=d0,format=null-co "
                 "-drive if=none,id=d0,format=null-co",
                 "-drive if=none,id=d0,format=null-co: Duplicate ID 'd0' "
                 "for drive");
}

/*
 * When a -drive has a medium: with a file, a format or a driver (QEMU
 * 7.2 inserts the driver's node); options for a node without one are an
 * error; only medium options (read-only...) leave the drive empty.
 */
static void test_drive_medium(void)
{
    QTestState *qts = qtest_init("-M none -nodefaults "
                                 "-drive if=none,driver=null-co,id=d1 "
                                 "-drive if=none,id=d2,driver=null-co,"
                                 "size=1M,read-only=on "
                                 "-drive if=none,id=d3,read-only=on,"
                                 "detect-zeroes=on,copy-on-read=on,file=");
    json_t *r = qtest_qmp_assert_success_ref(qts,
        "{\"execute\": \"query-block\"}");
    g_autofree char *log = NULL;
    json_t *ins, *image;

    g_assert_cmpint(json_array_size(r), ==, 3);
    ins = json_object_get(json_array_get(r, 0), "inserted");
    g_assert_cmpstr(json_string_value(json_object_get(ins, "drv")), ==,
                    "null-co");
    g_assert_cmpstr(json_string_value(json_object_get(ins, "file")), ==,
                    "null-co://");
    g_assert_true(json_is_false(json_object_get(ins, "ro")));
    image = json_object_get(ins, "image");
    g_assert_cmpstr(json_string_value(json_object_get(image, "format")), ==,
                    "null-co");
    g_assert_cmpint(json_integer_value(json_object_get(image,
                                                       "virtual-size")), ==,
                    1073741824);
    ins = json_object_get(json_array_get(r, 1), "inserted");
    g_assert_true(json_is_true(json_object_get(ins, "ro")));
    g_assert_cmpint(json_integer_value(json_object_get(
                        json_object_get(ins, "image"), "virtual-size")), ==,
                    1 << 20);
    g_assert_null(json_object_get(json_array_get(r, 2), "inserted"));
    json_decref(r);
    qtest_quit(qts);

    /* no format: QEMU probes even null-co's zeroes, and guesses raw */
    qts = qtest_init("-M none -nodefaults -drive if=none,id=d4,"
                     "file=null-co://");
    r = qtest_qmp_assert_success_ref(qts, "{\"execute\": \"query-block\"}");
    ins = json_object_get(json_array_get(r, 0), "inserted");
    g_assert_cmpstr(json_string_value(json_object_get(ins, "drv")), ==,
                    "raw");
    json_decref(r);
    log = qtest_get_log(qts);
    g_assert_nonnull(strstr(log, "WARNING: Image format was not specified "
                            "for 'null-co://' and probing guessed raw.\n"));
    qtest_quit(qts);

    assert_fails("-M none -drive if=none,id=x,size=1M",
                 "-drive if=none,id=x,size=1M: Must specify either driver "
                 "or file");
    assert_fails("-M none -drive if=none,id=x,cache=none",
                 "-drive if=none,id=x,cache=none: Must specify either "
                 "driver or file");
    assert_fails("-M none -drive if=none,id=x,driver=null-co,format=raw",
                 "-drive if=none,id=x,driver=null-co,format=raw: Cannot "
                 "specify both 'driver' and 'format'");
    assert_fails("-M none -drive if=none,id=x,driver=nosuch",
                 "-drive if=none,id=x,driver=nosuch: Unknown driver "
                 "'nosuch'");
}

/*
 * -device: every model "-device help" lists is accepted, on a drive or
 * a node, with QEMU 7.2's qdev paths and errors.
 */
static void test_device(void)
{
    g_autofree char *help = NULL;
    g_autoptr(GRegex) name_re = g_regex_new("^name \"([^\"]+)\"",
                                            G_REGEX_MULTILINE, 0, NULL);
    g_autoptr(GMatchInfo) m = NULL;
    QTestState *qts;
    json_t *r, *b;
    int models = 0;
    char *out;

    g_assert_cmpint(qtest_run("-M none -device help", &help), ==, 0);
    g_assert_nonnull(strstr(help, "name \"virtio-blk-pci\", bus PCI, alias "
                            "\"virtio-blk\"\n"));
    for (g_regex_match(name_re, help, 0, &m); g_match_info_matches(m);
         g_match_info_next(m, NULL)) {
        g_autofree char *model = g_match_info_fetch(m, 1);

        qts = qtest_initf("-nodefaults -drive if=none,id=d0,driver=null-co "
                          "-device %s,drive=d0", model);
        r = qtest_qmp_assert_success_ref(qts,
            "{\"execute\": \"query-block\"}");
        g_assert_cmpstr(json_string_value(json_object_get(
                            json_array_get(r, 0), "qdev")), ==,
                        "/machine/peripheral-anon/device[0]/virtio-backend");
        json_decref(r);
        qtest_quit(qts);
        models++;
    }
    g_assert_cmpint(models, >, 0);

    qts = qtest_init("-nodefaults -drive if=none,id=d0,driver=null-co "
                     "-blockdev null-co,node-name=n0 "
                     "-device virtio-blk,drive=d0,id=vd0 "
                     "-device virtio-blk-pci,drive=n0,bus=pci.0,addr=5");
    r = qtest_qmp_assert_success_ref(qts, "{\"execute\": \"query-block\"}");
    g_assert_cmpint(json_array_size(r), ==, 2);
    b = json_array_get(r, 0);
    g_assert_cmpstr(json_string_value(json_object_get(b, "device")), ==,
                    "d0");
    g_assert_cmpstr(json_string_value(json_object_get(b, "qdev")), ==,
                    "/machine/peripheral/vd0/virtio-backend");
    g_assert_true(json_is_false(json_object_get(b, "removable")));
    b = json_array_get(r, 1);
    g_assert_cmpstr(json_string_value(json_object_get(b, "device")), ==, "");
    g_assert_cmpstr(json_string_value(json_object_get(b, "qdev")), ==,
                    "/machine/peripheral-anon/device[0]/virtio-backend");
    json_decref(r);
    /* as QEMU 7.2: the pci device's id finds no backend */
    out = qtest_hmp(qts, "qemu-io -d vd0 \"read 0 512\"");
    g_assert_cmpstr(out, ==, "Error: Device does not have a block device "
                    "backend\r\n");
    g_free(out);
    /* a nameless backend goes by its node's name */
    out = qtest_hmp(qts, "info block");
    g_assert_true(g_str_has_suffix(out, "\r\n\r\nn0: null-co:// (null-co)\r\n"
                    "    Attached to:      /machine/peripheral-anon/device[0]"
                    "/virtio-backend\r\n    Cache mode:       writeback\r\n"));
    g_free(out);
    qtest_quit(qts);

    assert_fails("-M none -drive if=none,id=d0,driver=null-co "
                 "-device virtio-blk,drive=d0",
                 "-device virtio-blk,drive=d0: No 'PCI' bus found for device "
                 "'virtio-blk-pci'");
    assert_fails("-device nosuch", "-device nosuch: 'nosuch' is not a valid "
                 "device model name");
    assert_fails("-device virtio-blk", "-device virtio-blk: drive property "
                 "not set");
    assert_fails("-device virtio-blk,drive=nosuch",
                 "-device virtio-blk,drive=nosuch: Property "
                 "'virtio-blk-device.drive' can't find value 'nosuch'");
    assert_fails("-device virtio-blk,drive=nosuch,bogus=1",
                 "-device virtio-blk,drive=nosuch,bogus=1: Property "
                 "'virtio-blk-pci.bogus' not found");
    assert_fails("-device virtio-blk,bus=nosuch",
                 "-device virtio-blk,bus=nosuch: Bus 'nosuch' not found");
    assert_fails("-M none -device virtio-blk,id=v -device virtio-blk,id=v",
                 "-device virtio-blk,id=v: Duplicate ID 'v' for device");
    assert_fails("-drive if=none,id=d0,driver=null-co "
                 "-device virtio-blk,drive=d0 -device virtio-blk,drive=d0",
                 "-device virtio-blk,drive=d0: Drive 'd0' is already in use "
                 "by another device");
}

static void test_blockdev_errors(void)
{
    assert_fails("-M none -blockdev driver=null-co",
                 "-blockdev driver=null-co: 'node-name' must be specified "
                 "for the root node");
    assert_fails("-M none -blockdev node-name=n0,driver=nosuch",
                 "-blockdev node-name=n0,driver=nosuch: Parameter 'driver' "
                 "does not accept value 'nosuch'");
    assert_fails("-M none -blockdev driver=null-co,node-name=1bad",
                 "-blockdev driver=null-co,node-name=1bad: Invalid "
                 "node-name: '1bad'");
    assert_fails("-M none -blockdev driver=null-co,node-name=n0 "
                 "-blockdev driver=null-co,node-name=n0",
                 "-blockdev driver=null-co,node-name=n0: Duplicate nodes "
                 "with node-name='n0'");
    assert_fails("-M none -blockdev driver=null-co,node-name=drive0 "
                 "-drive if=none,id=drive0,format=null-co",
                 "-drive if=none,id=drive0,format=null-co: Device name "
                 "'drive0' conflicts with an existing node name");
}

/* Both -blockdev forms, and blockdev-add errors of §3.2 / §4.3. */
static void test_blockdev_add(void)
{
    g_autofree char *name32 = g_strnfill(32, 'n');
    g_autofree char *name31 = g_strnfill(31, 'n');
    g_autofree char *c = NULL;
    QTestState *qts = qtest_init("-M none -blockdev node-name=kv,"
                                 "driver=null-co,size=1048576,"
                                 "read-zeroes=off -blockdev "
                                 "'{\"node-name\": \"js\", \"driver\": "
                                 "\"null-co\", \"size\": 1048576}' "
                                 "-drive if=none,id=drive0,format=null-co");
    json_t *r;

    qmp_expect_error(qts, "'node-name' must be specified for the root node",
                 "{\"execute\": \"blockdev-add\", \"arguments\": "
                 "{\"driver\": \"null-co\"}}");
    qmp_expect_error(qts, "Invalid node-name: '1bad'",
                 "{\"execute\": \"blockdev-add\", \"arguments\": "
                 "{\"driver\": \"null-co\", \"node-name\": \"1bad\"}}");
    qmp_expect_error(qts, "Duplicate nodes with node-name='kv'",
                 "{\"execute\": \"blockdev-add\", \"arguments\": "
                 "{\"driver\": \"null-co\", \"node-name\": \"kv\"}}");
    qmp_expect_error(qts, "node-name=drive0 is conflicting with a device id",
                 "{\"execute\": \"blockdev-add\", \"arguments\": "
                 "{\"driver\": \"null-co\", \"node-name\": \"drive0\"}}");
    c = g_strdup_printf("{\"execute\": \"blockdev-add\", \"arguments\": "
                        "{\"driver\": \"null-co\", \"node-name\": \"%s\"}}",
                        name32);
    qmp_expect_error(qts, "Node name too long", c);
    g_free(c);
    c = g_strdup_printf("{\"execute\": \"blockdev-add\", \"arguments\": "
                        "{\"driver\": \"null-co\", \"node-name\": \"%s\"}}",
                        name31);
    qtest_qmp_assert_success(qts, "%s", c);
    qmp_expect_error(qts, "Parameter 'driver' does not accept value 'nosuch'",
                 "{\"execute\": \"blockdev-add\", \"arguments\": "
                 "{\"driver\": \"nosuch\", \"node-name\": \"x\"}}");
    qmp_expect_error(qts, "Could not open '/nonexist/x': No such file or "
                 "directory",
                 "{\"execute\": \"blockdev-add\", \"arguments\": "
                 "{\"driver\": \"file\", \"node-name\": \"x\", "
                 "\"filename\": \"/nonexist/x\"}}");
    qmp_expect_error(qts, "Cannot find device='f0' nor node-name='f0'",
                 "{\"execute\": \"blockdev-add\", \"arguments\": "
                 "{\"driver\": \"raw\", \"node-name\": \"x\", "
                 "\"file\": \"f0\"}}");

    /* A filter over kv: kv gets a parent and cannot be deleted. */
    qtest_qmp_assert_success(qts, "{\"execute\": \"blockdev-add\", "
                             "\"arguments\": {\"driver\": \"copy-on-read\","
                             " \"node-name\": \"cor\", \"file\": \"kv\"}}");
    qmp_expect_error(qts, "Block device kv is in use",
                 "{\"execute\": \"blockdev-del\", \"arguments\": "
                 "{\"node-name\": \"kv\"}}");
    qmp_expect_error(qts, "Failed to find node with node-name='nosuch'",
                 "{\"execute\": \"blockdev-del\", \"arguments\": "
                 "{\"node-name\": \"nosuch\"}}");
    qmp_expect_error(qts, "Failed to find node with node-name='drive0'",
                 "{\"execute\": \"blockdev-del\", \"arguments\": "
                 "{\"node-name\": \"drive0\"}}");

    /* Newest first; auto-named nodes are listed too. */
    r = qtest_qmp_assert_success_ref(qts, "{\"execute\": "
                                     "\"query-named-block-nodes\"}");
    g_assert_cmpstr(json_string_value(json_object_get(json_array_get(r, 0),
                                                      "node-name")), ==,
                    "cor");
    g_assert_cmpstr(json_string_value(json_object_get(json_array_get(r, 1),
                                                      "node-name")), ==,
                    name31);
    g_assert_cmpint(json_array_size(r), ==, 5);
    json_decref(r);

    qtest_qmp_assert_success(qts, "{\"execute\": \"blockdev-del\", "
                             "\"arguments\": {\"node-name\": \"cor\"}}");
    qtest_qmp_assert_success(qts, "{\"execute\": \"blockdev-del\", "
                             "\"arguments\": {\"node-name\": \"kv\"}}");
    qtest_quit(qts);
}

static void test_query_shapes(void)
{
    g_autofree char *img = make_image(tmpdir, "q.raw", 1 << 20);
    g_autofree char *args = g_strdup_printf(
        "-nodefaults "
        "-drive if=virtio,id=drive0,file=%s,format=raw,cache=writeback,"
        "aio=threads,discard=unmap -drive if=none,id=drive1,"
        "file=null-co://,format=null-co -blockdev node-name=only,"
        "driver=null-co", img);
    QTestState *qts = qtest_init(args);
    json_t *r, *b0, *b1, *ins, *image;

    r = qtest_qmp_assert_success_ref(qts, "{\"execute\": \"query-block\"}");
    g_assert_cmpint(json_array_size(r), ==, 2);
    b0 = json_array_get(r, 0);
    b1 = json_array_get(r, 1);
    g_assert_cmpstr(json_string_value(json_object_get(b0, "device")), ==,
                    "drive0");
    g_assert_cmpstr(json_string_value(json_object_get(b0, "qdev")), ==,
                    "/machine/peripheral-anon/device[0]/virtio-backend");
    g_assert_cmpstr(json_string_value(json_object_get(b0, "io-status")), ==,
                    "ok");
    g_assert(json_is_false(json_object_get(b0, "removable")));
    g_assert(json_is_false(json_object_get(b0, "locked")));
    g_assert_cmpstr(json_string_value(json_object_get(b0, "type")), ==,
                    "unknown");
    ins = json_object_get(b0, "inserted");
    g_assert_cmpstr(json_string_value(json_object_get(ins, "drv")), ==,
                    "raw");
    g_assert_cmpstr(json_string_value(json_object_get(ins, "file")), ==,
                    img);
    g_assert(g_str_has_prefix(json_string_value(
        json_object_get(ins, "node-name")), "#block"));
    g_assert_null(json_object_get(ins, "dirty-bitmaps"));
    image = json_object_get(ins, "image");
    g_assert_cmpint(json_integer_value(json_object_get(image,
                                                       "virtual-size")), ==,
                    1 << 20);
    g_assert(json_is_false(json_object_get(image, "dirty-flag")));

    g_assert_cmpstr(json_string_value(json_object_get(b1, "device")), ==,
                    "drive1");
    g_assert_null(json_object_get(b1, "qdev"));
    g_assert_null(json_object_get(b1, "io-status"));
    g_assert(json_is_true(json_object_get(b1, "removable")));
    ins = json_object_get(b1, "inserted");
    g_assert_cmpstr(json_string_value(json_object_get(ins, "file")), ==,
                    "null-co://");
    image = json_object_get(ins, "image");
    g_assert_cmpint(json_integer_value(json_object_get(image,
                                                       "virtual-size")), ==,
                    1073741824);
    g_assert_cmpint(json_integer_value(json_object_get(image,
                                                       "actual-size")), ==,
                    0);
    g_assert_cmpstr(json_string_value(json_object_get(image, "format")), ==,
                    "null-co");
    g_assert_null(json_object_get(image, "dirty-flag"));
    json_decref(r);
    qtest_quit(qts);
}

/* Line 2 of a qemu-io report, with the timing parts masked. */
static void assert_report(const char *line1, const char *line2,
                          char **lines, int *i)
{
    g_autoptr(GRegex) re = g_regex_new(
        "^(.*), 1 ops; [0-9][0-9]\\.[0-9][0-9] sec \\([0-9.]+ "
        "(bytes|KiB|MiB|GiB|TiB)/sec and [0-9]+\\.[0-9]{4} ops/sec\\)$",
        0, 0, NULL);
    g_autoptr(GMatchInfo) mi = NULL;
    g_autofree char *size = NULL;

    g_assert_cmpstr(lines[*i], ==, line1);
    g_assert(g_regex_match(re, lines[*i + 1], 0, &mi));
    size = g_match_info_fetch(mi, 1);
    g_assert_cmpstr(size, ==, line2);
    *i += 2;
}

/* Quit @qts and return what it printed, line by line. */
static char **quit_log_lines(QTestState *qts)
{
    g_autofree char *log = qtest_get_log(qts);

    qtest_quit(qts);
    return g_strsplit(log, "\n", -1);
}

static void test_qemu_io_output(void)
{
    g_autofree char *img = make_image(tmpdir, "io.raw", 8 << 20);
    g_autofree char *args = g_strdup_printf(
        "-M none -drive if=none,id=drive0,file=%s,format=raw,"
        "discard=unmap -blockdev node-name=n0,driver=null-co,size=1048576",
        img);
    QTestState *qts = qtest_init(args);
    g_auto(GStrv) lines = NULL;
    char *o;
    int i = 0;

    o = qtest_hmp(qts, "qemu-io drive0 \"write 0 65536\"");
    g_assert_cmpstr(o, ==, "");
    g_free(o);
    g_free(qtest_hmp(qts, "qemu-io drive0 \"write -z 65536 512\""));
    g_free(qtest_hmp(qts, "qemu-io drive0 \"discard 5M 1M\""));
    g_free(qtest_hmp(qts, "qemu-io drive0 \"read 0 4k\""));
    g_free(qtest_hmp(qts, "qemu-io drive0 \"write -P 0x11 1G 1\""));
    g_free(qtest_hmp(qts, "qemu-io drive0 \"bogus\""));
    g_free(qtest_hmp(qts, "qemu-io n0 \"write 1048576 512\""));
    g_free(qtest_hmp(qts, "qemu-io n0 \"write 0 1x\""));
    g_free(qtest_hmp(qts, "qemu-io n0 \"write 0 1G\""));
    o = qtest_hmp(qts, "qemu-io nosuch \"write 0 512\"");
    g_assert_cmpstr(o, ==, "Error: Cannot find device='' nor "
                    "node-name='nosuch'\r\n");
    g_free(o);
    o = qtest_hmp(qts, "qemu-io -d drive0 \"write 0 512\"");
    g_assert_cmpstr(o, ==, "Error: Device 'drive0' not found\r\n");
    g_free(o);
    lines = quit_log_lines(qts);
    assert_report("wrote 65536/65536 bytes at offset 0", "64 KiB",
                  lines, &i);
    assert_report("wrote 512/512 bytes at offset 65536", "512 bytes",
                  lines, &i);
    assert_report("discard 1048576/1048576 bytes at offset 5242880", "1 MiB",
                  lines, &i);
    assert_report("read 4096/4096 bytes at offset 0", "4 KiB", lines, &i);
    g_assert_cmpstr(lines[i++], ==, "write failed: Input/output error");
    g_assert_cmpstr(lines[i++], ==, "command \"bogus\" not found");
    g_assert_cmpstr(lines[i++], ==, "write failed: Input/output error");
    g_assert_cmpstr(lines[i++], ==, "Parsing error: non-numeric argument, "
                    "or extraneous/unrecognized suffix -- 1x");
    g_assert_cmpstr(lines[i++], ==, "write failed: Input/output error");
}

/*
 * Sizes and usage complaints as QEMU 7.2's qemu-io prints them, and the
 * timing column once a request takes a second or more (null-co's
 * latency-ns makes it take exactly that long).
 */
static void test_qemu_io_formats(void)
{
    static const char *const cmds[] = {
        "write 0 1536", "write -P 0x20 0 1000", "read -P 5 0 512",
        "length", "write 0 1 2", "discard", "flush 1", "write 0 1T",
        "read 0 1T", "read -x 0 1", "write -P 300 0 1",
        "write -z -P 1 0 1",
    };
    QTestState *qts = qtest_init(
        "-M none -blockdev '{\"driver\": \"null-co\", "
        "\"node-name\": \"n0\", \"read-zeroes\": true}' "
        "-blockdev '{\"driver\": \"null-co\", \"node-name\": \"slow\", "
        "\"latency-ns\": 1000000000}'");
    g_autoptr(GRegex) slow = g_regex_new(
        "^512 bytes, 1 ops; 0:00:[0-5][0-9]\\.[0-9][0-9] "
        "\\([0-9.]+ bytes/sec and 0\\.[0-9]{4} ops/sec\\)$", 0, 0, NULL);
    g_auto(GStrv) lines = NULL;
    size_t n;
    int i = 0;

    for (n = 0; n < ARRAY_SIZE(cmds); n++) {
        g_free(qtest_hmp(qts, "qemu-io n0 \"%s\"", cmds[n]));
    }
    g_free(qtest_hmp(qts, "qemu-io slow \"write 0 512\""));
    lines = quit_log_lines(qts);
    assert_report("wrote 1536/1536 bytes at offset 0", "1.500 KiB",
                  lines, &i);
    assert_report("wrote 1000/1000 bytes at offset 0", "1000 bytes",
                  lines, &i);
    /* A pattern mismatch is reported, and so is the read. */
    g_assert_cmpstr(lines[i++], ==,
                    "Pattern verification failed at offset 0, 512 bytes");
    assert_report("read 512/512 bytes at offset 0", "512 bytes", lines, &i);
    g_assert_cmpstr(lines[i++], ==, "1 GiB");
    g_assert_cmpstr(lines[i++], ==, "write [-bcCfnquz] [-P pattern | "
                    "-s source_file] off len -- writes a number of bytes "
                    "at a specified offset");
    g_assert_cmpstr(lines[i++], ==, "bad argument count 0 to discard, "
                    "expected at least 2 arguments");
    g_assert_cmpstr(lines[i++], ==, "bad argument count 1 to flush, "
                    "expected 0 arguments");
    g_assert_cmpstr(lines[i++], ==, "length cannot exceed 2147483136 "
                    "without -n, given 1T");
    g_assert_cmpstr(lines[i++], ==, "length cannot exceed 2147483136, "
                    "given 1T");
    g_assert_cmpstr(lines[i++], ==, "read: invalid option -- 'x'");
    g_assert_cmpstr(lines[i++], ==, "read [-abCqv] [-P pattern [-s off] "
                    "[-l len]] off len -- reads a number of bytes at a "
                    "specified offset");
    g_assert_cmpstr(lines[i++], ==, "300 is not a valid pattern byte");
    g_assert_cmpstr(lines[i++], ==, "Only one of -z, -P, and -s can be "
                    "specified at the same time");
    g_assert_cmpstr(lines[i++], ==, "wrote 512/512 bytes at offset 0");
    g_assert(g_regex_match(slow, lines[i], 0, NULL));
}

/*
 * Two processes on one image (QEMU's locking): a second read-write
 * device is refused, a drive without a device opens but cannot write.
 */
static void test_two_processes(void)
{
    g_autofree char *img = make_image(tmpdir, "shared.raw", 1 << 20);
    g_autofree char *dev_args = g_strdup_printf(
        "-M pc -nodefaults -display none -drive if=virtio,id=drive0,"
        "file=%s,format=raw", img);
    g_autofree char *none_args = g_strdup_printf(
        "-M none -nodefaults -display none -drive if=none,id=drive0,"
        "file=%s,format=raw", img);
    g_autofree char *prog = progname();
    g_autofree char *want = NULL, *out = NULL, *hint = NULL;
    QTestState *a = qtest_init(dev_args);
    QTestState *b;

    want = g_strdup_printf("%s: -drive if=virtio,id=drive0,file=%s,"
                           "format=raw: Failed to get \"write\" lock\n"
                           "Is another process using the image [%s]?\n",
                           prog, img, img);
    g_assert_cmpint(qtest_run(dev_args, &out), ==, 1);
    g_assert_cmpstr(out, ==, want);

    b = qtest_init(none_args);
    g_free(out);
    out = qtest_hmp(b, "qemu-io drive0 \"write 0 512\"");
    hint = g_strdup_printf("Failed to get \"write\" lock\r\n"
                           "Is another process using the image [%s]?\r\n",
                           img);
    g_assert_cmpstr(out, ==, hint);
    g_free(out);
    out = qtest_hmp(b, "qemu-io drive0 \"read 0 512\"");
    g_assert_cmpstr(out, ==, "");
    qtest_quit(a);

    /* Once the device has gone, the image can be written again. */
    g_free(out);
    out = qtest_hmp(b, "qemu-io drive0 \"write 0 512\"");
    g_assert_cmpstr(out, ==, "");
    qtest_quit(b);
}

static void test_read_only_drive(void)
{
    g_autofree char *img = make_image(tmpdir, "ro.raw", 1 << 20);
    g_autofree char *args = g_strdup_printf(
        "-M none -drive if=none,id=drive0,file=%s,format=raw,read-only=on",
        img);
    QTestState *qts = qtest_init(args);
    g_autofree char *out = qtest_hmp(qts, "qemu-io drive0 \"write 0 512\"");

    g_assert_cmpstr(out, ==, "Block node is read-only\r\n");
    qtest_quit(qts);
}

/* A destination (-incoming) opens its nodes inactive, as QEMU does. */
static void test_incoming_inactive(void)
{
    QTestState *qts = qtest_init("-M none -incoming defer -blockdev "
                                 "driver=null-co,node-name=n0 -drive "
                                 "if=none,id=d0,format=null-co");
    g_autofree char *w = qtest_hmp(qts, "qemu-io n0 \"write 0 512\"");
    g_autofree char *r = qtest_hmp(qts, "qemu-io d0 \"read 0 512\"");

    g_assert_cmpstr(w, ==, "Block node is read-only\r\n");
    g_assert_cmpstr(r, ==, "");
    /* Bitmaps can still be created and changed (migration needs it). */
    qtest_qmp_assert_success(qts, "{\"execute\": \"block-dirty-bitmap-add\","
                             " \"arguments\": {\"node\": \"n0\", "
                             "\"name\": \"b\"}}");
    qtest_qmp_assert_success(qts, "{\"execute\": "
                             "\"block-dirty-bitmap-clear\", \"arguments\": "
                             "{\"node\": \"n0\", \"name\": \"b\"}}");
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("block-cmdline-test-XXXXXX", NULL);

    g_test_add_func("/block-cmdline/drive-errors", test_drive_errors);
    g_test_add_func("/block-cmdline/drive-medium", test_drive_medium);
    g_test_add_func("/block-cmdline/device", test_device);
    g_test_add_func("/block-cmdline/blockdev-errors", test_blockdev_errors);
    g_test_add_func("/block-cmdline/blockdev-add", test_blockdev_add);
    g_test_add_func("/block-cmdline/query-shapes", test_query_shapes);
    g_test_add_func("/block-cmdline/qemu-io-output", test_qemu_io_output);
    g_test_add_func("/block-cmdline/qemu-io-formats", test_qemu_io_formats);
    g_test_add_func("/block-cmdline/two-processes", test_two_processes);
    g_test_add_func("/block-cmdline/read-only-drive", test_read_only_drive);
    g_test_add_func("/block-cmdline/incoming-inactive",
                    test_incoming_inactive);

    ret = g_test_run();
    {
        static const char *const files[] = {
            "d.raw", "q.raw", "io.raw", "shared.raw", "ro.raw",
        };
        size_t i;

        for (i = 0; i < ARRAY_SIZE(files); i++) {
            g_autofree char *p = g_build_filename(tmpdir, files[i], NULL);

            unlink(p);
        }
        rmdir(tmpdir);
    }
    g_free(tmpdir);
    return ret;
}
