/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP blockdev-reopen: what may change, QEMU 7.2's errors, bitmaps kept. */
#include "qemu/osdep.h"

#include "block-qmp-util.h"

#define REOPEN(opts) \
    "{\"execute\": \"blockdev-reopen\", \"arguments\": {\"options\": [" \
    opts "]}}"

/* How many descriptors of process @pid open @path with access @mode. */
static int fds_on(pid_t pid, const char *path, int mode)
{
    g_autofree char *dirname = g_strdup_printf("/proc/%d/fd", (int)pid);
    g_autoptr(GDir) dir = g_dir_open(dirname, 0, NULL);
    const char *name;
    int n = 0;

    g_assert_nonnull(dir);
    while ((name = g_dir_read_name(dir))) {
        g_autofree char *link = g_strdup_printf("%s/%s", dirname, name);
        g_autofree char *target = g_file_read_link(link, NULL);
        g_autofree char *info = g_strdup_printf("/proc/%d/fdinfo/%s",
                                                (int)pid, name);
        g_autofree char *text = NULL;
        const char *flags;

        if (!target || strcmp(target, path) ||
            !g_file_get_contents(info, &text, NULL, NULL)) {
            continue;
        }
        flags = strstr(text, "flags:");
        g_assert_nonnull(flags);
        n += (strtol(flags + 6, NULL, 8) & O_ACCMODE) == mode;
    }
    return n;
}

static void test_errors(void)
{
    g_autofree char *img = make_image(block_test_dir(), "errors.raw", 1 * MiB);
    QTestState *qts = qtest_init("-M none");

    add_null_node(qts, "n0", 1 * MiB);
    qtest_qmp_assert_success(qts, "{\"execute\": \"blockdev-add\", "
        "\"arguments\": {\"driver\": \"file\", \"node-name\": \"f0\", "
        "\"filename\": \"%s\", \"locking\": \"on\"}}", img);
    qtest_qmp_assert_success(qts, "{\"execute\": \"blockdev-add\", "
        "\"arguments\": {\"driver\": \"raw\", \"node-name\": \"r0\", "
        "\"file\": \"f0\"}}");
    qtest_qmp_assert_success(qts, "{\"execute\": \"blockdev-add\", "
        "\"arguments\": {\"driver\": \"raw\", \"node-name\": \"r1\", "
        "\"file\": {\"driver\": \"file\", \"node-name\": \"fc\", "
        "\"filename\": \"%s\"}}}", img);

    /* QEMU 7.2 aborts on an empty list; there is nothing to do. */
    if (!strstr(qtest_binary(), "qemu-system")) {
        qtest_qmp_assert_success(qts, REOPEN(""));
    }
    qmp_expect_error(qts, "node-name not specified",
                     REOPEN("{\"driver\": \"null-co\"}"));
    qmp_expect_error(qts, "Failed to find node with node-name='nosuch'",
                     REOPEN("{\"driver\": \"null-co\", "
                            "\"node-name\": \"nosuch\"}"));

    /* Driver options: reset, changed, or not changeable. */
    qmp_expect_error(qts, "Option 'size' cannot be reset to its default "
                     "value", REOPEN("{\"driver\": \"null-co\", "
                                     "\"node-name\": \"n0\"}"));
    qmp_expect_error(qts, "Cannot change the option 'size'",
                     REOPEN("{\"driver\": \"null-co\", \"node-name\": "
                            "\"n0\", \"size\": 4096}"));
    qmp_expect_error(qts, "Cannot change the option 'driver'",
                     REOPEN("{\"driver\": \"null-aio\", \"node-name\": "
                            "\"n0\", \"size\": 1048576}"));
    qmp_expect_error(qts, "Cannot change the option 'read-zeroes'",
                     REOPEN("{\"driver\": \"null-co\", \"node-name\": "
                            "\"n0\", \"size\": 1048576, "
                            "\"read-zeroes\": true}"));
    qmp_expect_error(qts, "Cannot change the option 'force-share'",
                     REOPEN("{\"driver\": \"null-co\", \"node-name\": "
                            "\"n0\", \"size\": 1048576, \"read-only\": true, "
                            "\"force-share\": true}"));
    qmp_expect_errorf(qts, "Option 'locking' cannot be reset to its "
                      "default value",
                      REOPEN("{\"driver\": \"file\", \"node-name\": \"f0\", "
                             "\"filename\": \"%s\"}"), img);
    qmp_expect_errorf(qts, "Cannot change the option 'filename'",
                      REOPEN("{\"driver\": \"file\", \"node-name\": \"f0\", "
                             "\"filename\": \"%s.x\", "
                             "\"locking\": \"on\"}"), img);
    qmp_expect_errorf(qts, "Cannot change the option 'locking'",
                      REOPEN("{\"driver\": \"file\", \"node-name\": \"f0\", "
                             "\"filename\": \"%s\", \"locking\": \"off\"}"),
                      img);

    /* raw's window may change, within the file. */
    qmp_expect_error(qts, "Specified size is not multiple of 512",
                     REOPEN("{\"driver\": \"raw\", \"node-name\": \"r0\", "
                            "\"file\": \"f0\", \"size\": 4000}"));
    qmp_expect_error(qts, "Offset (5120000) cannot be greater than size of "
                     "the containing file (1048576)",
                     REOPEN("{\"driver\": \"raw\", \"node-name\": \"r0\", "
                            "\"file\": \"f0\", \"offset\": 5120000}"));
    qmp_expect_error(qts, "The sum of offset (4096) and size (1048576) has "
                     "to be smaller or equal to the  actual size of the "
                     "containing file (1048576)",
                     REOPEN("{\"driver\": \"raw\", \"node-name\": \"r0\", "
                            "\"file\": \"f0\", \"offset\": 4096, "
                            "\"size\": 1048576}"));
    qtest_qmp_assert_success(qts, REOPEN("{\"driver\": \"raw\", "
                             "\"node-name\": \"r0\", \"file\": \"f0\", "
                             "\"offset\": 512, \"size\": 4096}"));
    g_assert_cmpint(node_size(qts, "r0"), ==, 4096);
    qtest_qmp_assert_success(qts, REOPEN("{\"driver\": \"raw\", "
                             "\"node-name\": \"r0\", \"file\": \"f0\"}"));
    g_assert_cmpint(node_size(qts, "r0"), ==, 1 * MiB);

    /* Children: a node r0 did not open keeps its own options. */
    qmp_expect_errorf(qts, "Cannot change the option 'file.driver'",
                      REOPEN("{\"driver\": \"raw\", \"node-name\": \"r0\", "
                             "\"file\": {\"driver\": \"file\", "
                             "\"filename\": \"%s\"}}"), img);
    qmp_expect_errorf(qts, "Cannot change the option 'node-name'",
                      REOPEN("{\"driver\": \"raw\", \"node-name\": \"r1\", "
                             "\"file\": {\"driver\": \"file\", "
                             "\"node-name\": \"zz\", \"filename\": \"%s\"}}"),
                      img);
    qmp_expect_error(qts, "Cannot find device='' nor node-name='nosuch'",
                     REOPEN("{\"driver\": \"raw\", \"node-name\": \"r0\", "
                            "\"file\": \"nosuch\"}"));
    qmp_expect_error(qts, "Making 'r0' a file child of 'r0' would create a "
                     "cycle", REOPEN("{\"driver\": \"raw\", \"node-name\": "
                                     "\"r0\", \"file\": \"r0\"}"));

    /* All or nothing: the first node stays read-write. */
    qmp_expect_error(qts, "Cannot change the option 'size'",
                     REOPEN("{\"driver\": \"raw\", \"node-name\": \"r1\", "
                            "\"file\": \"fc\", \"read-only\": true}, "
                            "{\"driver\": \"null-co\", \"node-name\": \"n0\", "
                            "\"size\": 512}"));
    g_assert_false(node_bool(qts, "r1", "ro"));
    g_assert_false(node_bool(qts, "fc", "ro"));
    g_assert_cmpint(fds_on(qtest_pid(qts), img, O_RDWR), ==, 2);
    qtest_quit(qts);
    unlink(img);
}

/*
 * Read-write, read-only, read-write again: the file descriptor and the
 * node's children follow, writes are refused while read-only, and every
 * bitmap keeps its bits and flags.
 */
static void test_bitmaps_kept(void)
{
    g_autofree char *img = make_image(block_test_dir(), "kept.raw", 1 * MiB);
    g_autofree char *other = make_image(block_test_dir(), "other.raw", 1 * MiB);
    g_autofree char *s0 = NULL, *s1 = NULL, *s2 = NULL;
    QTestState *qts = qtest_init("-M none");
    pid_t pid = qtest_pid(qts);

    qtest_qmp_assert_success(qts, "{\"execute\": \"blockdev-add\", "
        "\"arguments\": {\"driver\": \"raw\", \"node-name\": \"r0\", "
        "\"file\": {\"driver\": \"file\", \"node-name\": \"fc\", "
        "\"filename\": \"%s\"}}}", img);
    qtest_qmp_assert_success(qts, "{\"execute\": \"blockdev-add\", "
        "\"arguments\": {\"driver\": \"file\", \"node-name\": \"f1\", "
        "\"filename\": \"%s\"}}", other);
    qtest_qmp_assert_success(qts, "{\"execute\": \"block-dirty-bitmap-add\","
        " \"arguments\": {\"node\": \"r0\", \"name\": \"b64k\"}}");
    qtest_qmp_assert_success(qts, "{\"execute\": \"block-dirty-bitmap-add\","
        " \"arguments\": {\"node\": \"r0\", \"name\": \"b512\", "
        "\"granularity\": 512}}");
    qemu_io(qts, "r0", "write 0 64k");
    qemu_io(qts, "r0", "write 300000 1000");
    qtest_qmp_assert_success(qts, "{\"execute\": "
        "\"block-dirty-bitmap-disable\", \"arguments\": {\"node\": \"r0\", "
        "\"name\": \"b512\"}}");
    s0 = bitmaps_snapshot(qts);
    g_assert_cmpint(fds_on(pid, img, O_RDWR), ==, 1);

    qtest_qmp_assert_success(qts, REOPEN("{\"driver\": \"raw\", "
                             "\"node-name\": \"r0\", \"file\": \"fc\", "
                             "\"read-only\": true}"));
    g_assert_true(node_bool(qts, "r0", "ro"));
    g_assert_true(node_bool(qts, "fc", "ro"));        /* its own child */
    g_assert_cmpint(fds_on(pid, img, O_RDWR), ==, 0);
    g_assert_cmpint(fds_on(pid, img, O_RDONLY), ==, 1);
    s1 = qtest_hmp(qts, "qemu-io r0 \"write 512k 4k\"");
    g_assert_cmpstr(s1, ==, "Block node is read-only\r\n");
    g_free(s1);
    s1 = bitmaps_snapshot(qts);
    g_assert_cmpstr(s1, ==, s0);
    /* As in QEMU, bitmaps that are not persistent stay writable. */
    qtest_qmp_assert_success(qts, "{\"execute\": \"block-dirty-bitmap-add\","
        " \"arguments\": {\"node\": \"r0\", \"name\": \"tmp\"}}");
    qtest_qmp_assert_success(qts, "{\"execute\": "
        "\"block-dirty-bitmap-merge\", \"arguments\": {\"node\": \"r0\", "
        "\"target\": \"tmp\", \"bitmaps\": [\"b64k\"]}}");
    qtest_qmp_assert_success(qts, "{\"execute\": "
        "\"block-dirty-bitmap-remove\", \"arguments\": {\"node\": \"r0\", "
        "\"name\": \"tmp\"}}");

    /*
     * As in QEMU, a child kept by reference keeps the read-only it
     * inherited unless the parent's options say otherwise.
     */
    qtest_qmp_assert_success(qts, REOPEN("{\"driver\": \"raw\", "
                             "\"node-name\": \"r0\", \"file\": \"fc\"}"));
    g_assert_false(node_bool(qts, "r0", "ro"));
    g_assert_true(node_bool(qts, "fc", "ro"));
    qtest_qmp_assert_success(qts, REOPEN("{\"driver\": \"raw\", "
                             "\"node-name\": \"r0\", \"file\": \"fc\", "
                             "\"read-only\": false}"));
    g_assert_false(node_bool(qts, "fc", "ro"));
    g_assert_cmpint(fds_on(pid, img, O_RDWR), ==, 1);
    s2 = bitmaps_snapshot(qts);
    g_assert_cmpstr(s2, ==, s0);
    qemu_io(qts, "r0", "write 512k 4k");               /* recorded */
    g_free(s2);
    s2 = bitmaps_snapshot(qts);
    g_assert_cmpstr(s2, !=, s0);
    g_assert_true(strstr(s2, "r0/b64k count=196608 ") != NULL);
    g_assert_true(strstr(s2, "r0/b512 count=67072 ") != NULL);

    /* Read-only again, then the file child replaced and put back. */
    qtest_qmp_assert_success(qts, REOPEN("{\"driver\": \"raw\", "
                             "\"node-name\": \"r0\", \"file\": \"fc\", "
                             "\"read-only\": true}"));
    g_free(s1);
    s1 = bitmaps_snapshot(qts);
    g_assert_cmpstr(s1, ==, s2);
    qtest_qmp_assert_success(qts, REOPEN("{\"driver\": \"raw\", "
                             "\"node-name\": \"r0\", \"file\": \"f1\"}"));
    g_assert_cmpint(fds_on(pid, img, O_RDONLY) + fds_on(pid, img, O_RDWR),
                    ==, 0);                             /* fc is gone */
    {
        json_t *info = mig_node_info(qts, "r0");

        g_assert_cmpstr(json_string_value(json_object_get(info, "file")),
                        ==, other);
        json_decref(info);
    }
    g_free(s1);
    s1 = bitmaps_snapshot(qts);
    g_assert_cmpstr(s1, ==, s2);
    qtest_quit(qts);
    unlink(img);
    unlink(other);
}

/* A device writes to the drive: it cannot become read-only. */
static void test_writer(void)
{
    g_autofree char *img = make_image(block_test_dir(), "writer.raw", 1 * MiB);
    QTestState *qts = qtest_initf("-drive if=virtio,file=%s,format=raw,"
                                  "node-name=dn", img);

    qmp_expect_errorf(qts, "Read-only block node 'dn' cannot support "
                      "read-write users",
                      REOPEN("{\"driver\": \"raw\", \"node-name\": \"dn\", "
                             "\"read-only\": true, \"file\": {\"driver\": "
                             "\"file\", \"filename\": \"%s\"}}"), img);
    g_assert_false(node_bool(qts, "dn", "ro"));
    g_assert_cmpint(fds_on(qtest_pid(qts), img, O_RDWR), ==, 1);
    /* other options may change under it */
    qtest_qmp_assert_success(qts, REOPEN("{\"driver\": \"raw\", "
                             "\"node-name\": \"dn\", \"detect-zeroes\": "
                             "\"on\", \"file\": {\"driver\": \"file\", "
                             "\"filename\": \"%s\"}}"), img);
    {
        json_t *info = mig_node_info(qts, "dn");

        g_assert_cmpstr(json_string_value(json_object_get(info,
                        "detect_zeroes")), ==, "on");
        json_decref(info);
    }
    qtest_quit(qts);
    unlink(img);
}

/* qemu-img's view of the bitmaps in @img: "name:flag,flag " each. */
static char *image_bitmaps(const char *img)
{
    g_autofree char *cmd = g_strdup_printf("qemu-img info -U --output=json "
                                           "%s", img);
    g_autofree char *out = NULL;
    GString *res = g_string_new(NULL);
    json_error_t jerr;
    json_t *info, *bm, *flag;
    size_t i, j;
    int status;

    g_assert_true(g_spawn_command_line_sync(cmd, &out, NULL, &status, NULL));
    g_assert_cmpint(status, ==, 0);
    info = json_loads(out, 0, &jerr);
    g_assert_nonnull(info);
    json_array_foreach(json_object_get(json_object_get(json_object_get(info,
                       "format-specific"), "data"), "bitmaps"), i, bm) {
        g_string_append_printf(res, "%s:", json_string_value(
                                   json_object_get(bm, "name")));
        json_array_foreach(json_object_get(bm, "flags"), j, flag) {
            g_string_append_printf(res, "%s%s", j ? "," : "",
                                   json_string_value(flag));
        }
        g_string_append_c(res, ' ');
    }
    json_decref(info);
    return g_string_free(res, false);
}

/*
 * A persistent bitmap in a qcow2 image through read-only and back: the
 * image holds it (not in use) while read-only, where it cannot change;
 * read-write again, it is in use and writable. A reopen that fails
 * after qcow2 stored them leaves them in use, as they were (QEMU 7.2
 * leaves them stored and not in use: docs/qcow2.md).
 */
static void test_qcow2_bitmaps(void)
{
    g_autofree char *img = g_build_filename(block_test_dir(), "bm.qcow2",
                                            NULL);
    g_autofree char *create = g_strdup_printf("qemu-img create -q -f qcow2 "
                                              "%s 1M", img);
    g_autofree char *s0 = NULL, *s1 = NULL, *flags = NULL, *out = NULL;
    QTestState *qts;
    json_t *r = NULL;
    int status;

    if (!g_spawn_command_line_sync(create, NULL, NULL, &status, NULL) ||
        status != 0) {
        g_test_skip("qemu-img is not installed");
        return;
    }
    qts = qtest_initf("-M none -blockdev driver=file,node-name=f0,"
                      "filename=%s -blockdev driver=null-co,node-name=z0",
                      img);
    r = qtest_qmp(qts, "{\"execute\": \"blockdev-add\", \"arguments\": "
                  "{\"driver\": \"qcow2\", \"node-name\": \"q0\", "
                  "\"file\": \"f0\"}}");
    if (json_object_get(r, "error")) {
        g_test_skip("no qcow2 driver");
        goto out;
    }
    g_clear_pointer(&r, json_decref);
    qtest_qmp_assert_success(qts, "{\"execute\": \"block-dirty-bitmap-add\","
        " \"arguments\": {\"node\": \"q0\", \"name\": \"p0\", "
        "\"persistent\": true}}");
    qtest_qmp_assert_success(qts, "{\"execute\": \"block-dirty-bitmap-add\","
        " \"arguments\": {\"node\": \"q0\", \"name\": \"t0\"}}");
    qemu_io(qts, "q0", "write 0 64k");
    s0 = bitmaps_snapshot(qts);

    qmp_expect_error(qts, "Cannot change the option 'size'",
                     REOPEN("{\"driver\": \"qcow2\", \"node-name\": "
                            "\"q0\", \"file\": \"f0\", \"read-only\": "
                            "true}, {\"driver\": \"null-co\", "
                            "\"node-name\": \"z0\", \"size\": 4096}"));
    flags = image_bitmaps(img);
    g_assert_cmpstr(flags, ==, "p0:in-use,auto ");
    s1 = bitmaps_snapshot(qts);
    g_assert_cmpstr(s1, ==, s0);
    g_clear_pointer(&s1, g_free);

    qtest_qmp_assert_success(qts, REOPEN("{\"driver\": \"qcow2\", "
                             "\"node-name\": \"q0\", \"file\": \"f0\", "
                             "\"read-only\": true}"));
    g_free(flags);
    flags = image_bitmaps(img);
    g_assert_cmpstr(flags, ==, "p0:auto ");
    qmp_expect_error(qts, "Bitmap 'p0' is readonly and cannot be modified",
                     "{\"execute\": \"block-dirty-bitmap-clear\", "
                     "\"arguments\": {\"node\": \"q0\", \"name\": \"p0\"}}");
    qmp_expect_error(qts, "Bitmap 'p0' is readonly and cannot be modified",
                     "{\"execute\": \"block-dirty-bitmap-remove\", "
                     "\"arguments\": {\"node\": \"q0\", \"name\": \"p0\"}}");
    out = qtest_hmp(qts, "qemu-io q0 \"write 64k 4k\"");
    g_assert_cmpstr(out, ==, "Block node is read-only\r\n");
    s1 = bitmaps_snapshot(qts);
    g_assert_cmpstr(s1, ==, s0);

    qtest_qmp_assert_success(qts, REOPEN("{\"driver\": \"qcow2\", "
                             "\"node-name\": \"q0\", \"file\": \"f0\"}"));
    g_free(flags);
    flags = image_bitmaps(img);
    g_assert_cmpstr(flags, ==, "p0:in-use,auto ");
    g_free(s1);
    s1 = bitmaps_snapshot(qts);
    g_assert_cmpstr(s1, ==, s0);
    qtest_qmp_assert_success(qts, "{\"execute\": "
        "\"block-dirty-bitmap-clear\", \"arguments\": {\"node\": \"q0\", "
        "\"name\": \"p0\"}}");
    qtest_quit(qts);
    qts = NULL;
    g_free(flags);
    flags = image_bitmaps(img);
    g_assert_cmpstr(flags, ==, "p0:auto ");
    g_free(out);
    out = g_strdup_printf("qemu-img check -q %s", img);
    g_assert_true(g_spawn_command_line_sync(out, NULL, NULL, &status,
                                            NULL));
    g_assert_cmpint(status, ==, 0);
out:
    json_decref(r);
    if (qts) {
        qtest_quit(qts);
    }
    unlink(img);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/block-reopen/errors", test_errors);
    g_test_add_func("/block-reopen/bitmaps-kept", test_bitmaps_kept);
    g_test_add_func("/block-reopen/writer", test_writer);
    g_test_add_func("/block-reopen/qcow2-bitmaps", test_qcow2_bitmaps);

    return g_test_run();
}
