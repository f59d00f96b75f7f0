/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qcow2 bitmaps: images one of minivmm, QEMU 7.2 and qemu-img wrote. */

/*
 * Whoever writes the image, minivmm and QEMU 7.2 must then load the same
 * bits (x-debug-block-dirty-bitmap-sha256), the same granularity and
 * recording state, and qemu-img must find the image clean and show the
 * flags minivmm reported.
 */

#include "qemu/osdep.h"

#include "libqtest.h"
#include "qimg-common.h"

#define QEMU_BINARY "/usr/bin/qemu-system-x86_64"

static char *tmpdir;
static const char *minivmm_binary;

/* Writes a guest makes, as qemu-io commands. */
static const char *const io_cmds[] = {
    "write 0 64k",
    "write 1000 1",
    "write -z 1M 128k",
    "write -P 0x55 3M 100k",
    "discard 8M 1M",
    "write 100M 3M",
    "write 268435455 1",
};

typedef struct BitmapState {
    char *sha;
    int64_t granularity;
    bool recording;
} BitmapState;

static QTestState *start(const char *binary, const char *image, bool rw)
{
    g_setenv("MINIVMM_BINARY", binary, true);
    return qtest_initf("-M none -nodefaults -blockdev driver=qcow2,"
                       "node-name=n0,read-only=%s,discard=unmap,"
                       "file.driver=file,file.filename=%s",
                       rw ? "off" : "on", image);
}

/* The state of bitmap @name on node n0 of @qts. */
static BitmapState bitmap_state(QTestState *qts, const char *name)
{
    BitmapState st = { NULL };
    json_t *r, *node, *bm;
    size_t i, j;

    r = qtest_qmp_assert_success_ref(qts,
        "{\"execute\": \"x-debug-block-dirty-bitmap-sha256\", "
        "\"arguments\": {\"node\": \"n0\", \"name\": \"%s\"}}", name);
    st.sha = g_strdup(json_string_value(json_object_get(r, "sha256")));
    json_decref(r);

    r = qtest_qmp_assert_success_ref(qts,
        "{\"execute\": \"query-named-block-nodes\"}");
    json_array_foreach(r, i, node) {
        if (strcmp(json_string_value(json_object_get(node, "node-name")),
                   "n0")) {
            continue;
        }
        json_array_foreach(json_object_get(node, "dirty-bitmaps"), j, bm) {
            if (!strcmp(json_string_value(json_object_get(bm, "name")),
                        name)) {
                st.granularity = json_integer_value(
                    json_object_get(bm, "granularity"));
                st.recording = json_is_true(json_object_get(bm,
                                                            "recording"));
                g_assert(json_is_true(json_object_get(bm, "persistent")));
            }
        }
    }
    json_decref(r);
    g_assert_cmpint(st.granularity, >, 0);
    return st;
}

static void assert_same(const BitmapState *a, const BitmapState *b)
{
    g_assert_cmpstr(a->sha, ==, b->sha);
    g_assert_cmpint(a->granularity, ==, b->granularity);
    g_assert_cmpint(a->recording, ==, b->recording);
}

/* What @binary loads from @image for @names, read-only or not. */
static void load_states(const char *binary, const char *image, bool rw,
                        const char *const *names, size_t n,
                        BitmapState *out)
{
    QTestState *qts = start(binary, image, rw);
    size_t i;

    for (i = 0; i < n; i++) {
        out[i] = bitmap_state(qts, names[i]);
    }
    qtest_quit(qts);
}

static void free_states(BitmapState *st, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        g_free(st[i].sha);
    }
}

/* qemu-img info shows @st's granularity and flags, and no IN_USE. */
static void assert_info(const char *image, const char *name,
                        const BitmapState *st)
{
    json_t *r = qimg_info(image, false), *bm, *flag;
    bool found = false, is_auto = false;
    size_t i, j;

    json_array_foreach(qimg_info_bitmaps(r), i, bm) {
        if (strcmp(json_string_value(json_object_get(bm, "name")), name)) {
            continue;
        }
        found = true;
        g_assert_cmpint(json_integer_value(json_object_get(bm,
                        "granularity")), ==, st->granularity);
        json_array_foreach(json_object_get(bm, "flags"), j, flag) {
            g_assert_cmpstr(json_string_value(flag), !=, "in-use");
            is_auto |= !strcmp(json_string_value(flag), "auto");
        }
    }
    g_assert(found);
    g_assert_cmpint(is_auto, ==, st->recording);
    json_decref(r);
}

static bool have_qemu(void)
{
    if (access(QEMU_BINARY, X_OK) != 0) {
        g_test_skip("QEMU 7.2 (" QEMU_BINARY ") is not installed");
        return false;
    }
    return true;
}

/* Bitmaps qemu-img made and qemu-io wrote load the same in both. */
static void test_qemu_img_image(void)
{
    static const char *const names[] = { "a", "b", "c", "d" };
    g_autofree char *image = g_build_filename(tmpdir, "img.qcow2", NULL);
    g_autofree char *cmds = NULL;
    BitmapState qemu[4], ours[4], ours_rw[4];
    GString *s = g_string_new(NULL);
    size_t i;

    if (!have_qemu()) {
        return;
    }
    for (i = 0; i < ARRAY_SIZE(io_cmds); i++) {
        g_string_append_printf(s, " -c '%s'", io_cmds[i]);
    }
    cmds = g_string_free(s, false);
    g_free(qimg_run("qemu-img create -f qcow2 %s 256M", image));
    g_free(qimg_run("qemu-img bitmap --add %s a", image));
    g_free(qimg_run("qemu-img bitmap --add -g 512 %s b", image));
    g_free(qimg_run("qemu-img bitmap --add -g 2M %s c", image));
    g_free(qimg_run("qemu-io -f qcow2 -c 'write 5M 1M' %s", image));
    g_free(qimg_run("qemu-img bitmap --disable %s c", image));
    g_free(qimg_run("qemu-img bitmap --add --disable %s d", image));
    g_free(qimg_run("qemu-io -f qcow2%s %s", cmds, image));
    g_free(qimg_run("qemu-img bitmap --enable %s d", image));
    g_free(qimg_run("qemu-io -f qcow2 -c 'write 200M 70k' %s", image));

    load_states(QEMU_BINARY, image, false, names, 4, qemu);
    load_states(minivmm_binary, image, false, names, 4, ours);
    load_states(minivmm_binary, image, true, names, 4, ours_rw);
    for (i = 0; i < 4; i++) {
        assert_same(&ours[i], &qemu[i]);
        assert_same(&ours_rw[i], &qemu[i]);
    }
    g_assert_cmpstr(qemu[0].sha, !=, qemu[3].sha);
    g_assert_cmpstr(qemu[2].sha, !=, qemu[1].sha);
    g_assert(qemu[3].recording && !qemu[2].recording);
    qimg_assert_clean(image);
    free_states(qemu, 4);
    free_states(ours, 4);
    free_states(ours_rw, 4);
    unlink(image);
}

/* Make persistent bitmaps in @binary and write; return their states. */
static void write_bitmaps(const char *binary, const char *image,
                          BitmapState *out)
{
    QTestState *qts = start(binary, image, true);
    size_t i;

    qtest_qmp_assert_success(qts, "{\"execute\": \"block-dirty-bitmap-add\","
                             " \"arguments\": {\"node\": \"n0\", \"name\": "
                             "\"a\", \"persistent\": true}}");
    qtest_qmp_assert_success(qts, "{\"execute\": \"block-dirty-bitmap-add\","
                             " \"arguments\": {\"node\": \"n0\", \"name\": "
                             "\"b\", \"persistent\": true, \"granularity\":"
                             " 4096}}");
    qtest_qmp_assert_success(qts, "{\"execute\": \"block-dirty-bitmap-add\","
                             " \"arguments\": {\"node\": \"n0\", \"name\": "
                             "\"c\", \"persistent\": true, \"granularity\":"
                             " 1048576}}");
    for (i = 0; i < ARRAY_SIZE(io_cmds); i++) {
        if (i == 3) {
            qtest_qmp_assert_success(qts, "{\"execute\": "
                                     "\"block-dirty-bitmap-disable\", "
                                     "\"arguments\": {\"node\": \"n0\", "
                                     "\"name\": \"b\"}}");
        }
        g_free(qtest_hmp(qts, "qemu-io n0 \"%s\"", io_cmds[i]));
    }
    out[0] = bitmap_state(qts, "a");
    out[1] = bitmap_state(qts, "b");
    out[2] = bitmap_state(qts, "c");
    qtest_quit(qts);
}

/* What minivmm stores, qemu-img checks and QEMU loads. */
static void test_minivmm_writes(void)
{
    static const char *const names[] = { "a", "b", "c" };
    g_autofree char *image = g_build_filename(tmpdir, "ours.qcow2", NULL);
    BitmapState ours[3], qemu[3];
    size_t i;

    if (!have_qemu()) {
        return;
    }
    g_free(qimg_run("qemu-img create -f qcow2 %s 256M", image));
    write_bitmaps(minivmm_binary, image, ours);
    qimg_assert_clean(image);
    for (i = 0; i < 3; i++) {
        assert_info(image, names[i], &ours[i]);
    }
    load_states(QEMU_BINARY, image, false, names, 3, qemu);
    for (i = 0; i < 3; i++) {
        assert_same(&qemu[i], &ours[i]);
    }

    /* qemu-img edits what minivmm wrote; minivmm reads the result */
    g_free(qimg_run("qemu-img bitmap --remove %s a", image));
    g_free(qimg_run("qemu-img bitmap --merge b %s c", image));
    qimg_assert_clean(image);
    free_states(qemu, 3);
    load_states(QEMU_BINARY, image, false, names + 1, 2, qemu);
    free_states(ours, 3);
    load_states(minivmm_binary, image, true, names + 1, 2, ours);
    for (i = 0; i < 2; i++) {
        assert_same(&ours[i], &qemu[i]);
    }
    qimg_assert_clean(image);
    free_states(ours, 2);
    free_states(qemu, 2);
    unlink(image);
}

/* What QEMU stores, minivmm loads (and stores back unchanged). */
static void test_qemu_writes(void)
{
    static const char *const names[] = { "a", "b", "c" };
    g_autofree char *image = g_build_filename(tmpdir, "qemu.qcow2", NULL);
    BitmapState qemu[3], ours[3], again[3];
    size_t i;

    if (!have_qemu()) {
        return;
    }
    g_free(qimg_run("qemu-img create -f qcow2 -o cluster_size=4096 %s 256M",
                   image));
    write_bitmaps(QEMU_BINARY, image, qemu);
    load_states(minivmm_binary, image, true, names, 3, ours);
    qimg_assert_clean(image);
    load_states(QEMU_BINARY, image, false, names, 3, again);
    for (i = 0; i < 3; i++) {
        assert_same(&ours[i], &qemu[i]);
        assert_same(&again[i], &qemu[i]);
    }
    free_states(qemu, 3);
    free_states(ours, 3);
    free_states(again, 3);
    unlink(image);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    minivmm_binary = g_strdup(qtest_binary());
    tmpdir = g_dir_make_tmp("qcow2-interop-XXXXXX", NULL);

    g_test_add_func("/interop/qcow2/qemu-img-image", test_qemu_img_image);
    g_test_add_func("/interop/qcow2/minivmm-writes", test_minivmm_writes);
    g_test_add_func("/interop/qcow2/qemu-writes", test_qemu_writes);

    ret = g_test_run();
    rmdir(tmpdir);
    g_free(tmpdir);
    return ret;
}
