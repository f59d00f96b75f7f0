/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for the qcow2 unit tests: qemu-img as an oracle, image files. */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "qapi/error.h"
#include "qcow2-helpers.h"

char *qcow2_test_dir;

void qcow2_test_init(int *argc, char ***argv, const char *name)
{
    g_autofree char *templ = g_strdup_printf("%s-XXXXXX", name);

    g_test_init(argc, argv, NULL);
    /* The block layer's global state is the BQL holder's, as in QEMU. */
    qemu_mutex_lock_iothread();
    bdrv_init();
    qcow2_test_dir = g_dir_make_tmp(templ, NULL);
    g_assert_nonnull(qcow2_test_dir);
}

static void remove_tree(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;

    if (!d) {
        return;
    }
    while ((name = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, name, NULL);

        unlink(p);
    }
    g_dir_close(d);
    rmdir(dir);
}

int qcow2_test_run(void)
{
    int ret = g_test_run();

    remove_tree(qcow2_test_dir);
    g_free(qcow2_test_dir);
    return ret;
}

char *qcow2_test_path(const char *name)
{
    return g_build_filename(qcow2_test_dir, name, NULL);
}

static int run_tool(const char *tool, char **out, const char *args)
{
    g_autofree char *cmd = g_strdup_printf("%s %s", tool, args);
    g_autofree char *err = NULL;
    char *stdout_text = NULL;
    int status;

    g_assert(g_spawn_command_line_sync(cmd, &stdout_text, &err, &status,
                                       NULL));
    *out = g_strconcat(stdout_text, err, NULL);
    g_free(stdout_text);
    if (g_test_verbose()) {
        g_test_message("%s -> %d: %s", cmd, status, *out);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int qemu_img_rc(char **out, const char *fmt, ...)
{
    g_autofree char *args = NULL;
    va_list ap;

    va_start(ap, fmt);
    args = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return run_tool("qemu-img", out, args);
}

/* Run @tool and fail the test unless it succeeds (and says so). */
static char *run_tool_ok(const char *tool, const char *fmt, va_list ap)
{
    g_autofree char *args = g_strdup_vprintf(fmt, ap);
    char *out;
    int rc = run_tool(tool, &out, args);

    if (rc != 0 || strstr(out, "failed")) {
        g_error("%s %s failed (%d): %s", tool, args, rc, out);
    }
    return out;
}

char *qemu_img(const char *fmt, ...)
{
    va_list ap;
    char *out;

    va_start(ap, fmt);
    out = run_tool_ok("qemu-img", fmt, ap);
    va_end(ap);
    return out;
}

char *qemu_io(const char *fmt, ...)
{
    va_list ap;
    char *out;

    va_start(ap, fmt);
    out = run_tool_ok("qemu-io", fmt, ap);
    va_end(ap);
    return out;
}

json_t *info_bitmap(json_t *info, const char *name)
{
    json_t *bm;
    size_t i;

    json_array_foreach(qimg_info_bitmaps(info), i, bm) {
        if (!strcmp(json_string_value(json_object_get(bm, "name")), name)) {
            return bm;
        }
    }
    return NULL;
}

bool info_bitmap_has_flag(json_t *info, const char *name, const char *flag)
{
    json_t *bm = info_bitmap(info, name), *f;
    size_t i;

    g_assert_nonnull(bm);
    json_array_foreach(json_object_get(bm, "flags"), i, f) {
        if (!strcmp(json_string_value(f), flag)) {
            return true;
        }
    }
    return false;
}

BlockDriverState *qcow2_open_image(const char *path, int flags, Error **errp)
{
    json_t *opts = json_pack("{s:s, s:{s:s, s:s}}", "driver", "qcow2",
                             "file", "driver", "file", "filename", path);

    json_object_set_new(opts, "read-only",
                        json_boolean(!(flags & BDRV_O_RDWR)));
    return bdrv_open(NULL, NULL, opts, flags, errp);
}

GBytes *file_contents(const char *path)
{
    gchar *data;
    gsize len;

    g_assert(g_file_get_contents(path, &data, &len, NULL));
    return g_bytes_new_take(data, len);
}

GBytes *image_guest_data(const char *path, const char *snapshot)
{
    g_autofree char *raw = g_strdup_printf("%s.raw", path);
    g_autofree char *snap = snapshot ?
        g_strdup_printf("-l snapshot.name=%s ", snapshot) : g_strdup("");
    GBytes *b;

    g_free(qemu_img("convert -U -f qcow2 %s-O raw '%s' '%s'", snap, path,
                    raw));
    b = file_contents(raw);

    unlink(raw);
    return b;
}
