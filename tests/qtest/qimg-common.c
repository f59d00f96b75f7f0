/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qemu-img and other host commands for tests that check images. */

#include "qemu/osdep.h"
#include "qimg-common.h"

/* Run @cmd; its output, and whether it exited with status 0. */
static char *run_cmdline(const char *cmd, bool *ok)
{
    g_autofree char *out = NULL, *err = NULL;
    int status;

    g_assert(g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
    *ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    return g_strconcat(out, err, NULL);
}

char *qimg_run(const char *fmt, ...)
{
    g_autofree char *cmd = NULL;
    va_list ap;
    char *out;
    bool ok;

    va_start(ap, fmt);
    cmd = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    out = run_cmdline(cmd, &ok);
    if (!ok) {
        g_error("%s: %s", cmd, out);
    }
    return out;
}

char *qimg_run_fails(const char *fmt, ...)
{
    g_autofree char *cmd = NULL;
    va_list ap;
    char *out;
    bool ok;

    va_start(ap, fmt);
    cmd = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    out = run_cmdline(cmd, &ok);
    if (ok) {
        g_error("%s succeeded: %s", cmd, out);
    }
    return out;
}

json_t *qimg_info(const char *path, bool force_share)
{
    g_autofree char *out = qimg_run("qemu-img info %s--output=json %s",
                                    force_share ? "-U " : "", path);
    json_t *r = json_loads(out, 0, NULL);

    g_assert_nonnull(r);
    return r;
}

json_t *qimg_info_bitmaps(json_t *info)
{
    json_t *spec = json_object_get(info, "format-specific");

    return json_object_get(json_object_get(spec, "data"), "bitmaps");
}

void qimg_assert_clean(const char *path)
{
    g_autofree char *out = qimg_run("qemu-img check --output=json %s",
                                    path);
    json_t *r = json_loads(out, 0, NULL);

    g_assert_nonnull(r);
    g_assert_cmpint(json_integer_value(json_object_get(r, "check-errors")),
                    ==, 0);
    g_assert_cmpint(json_integer_value(json_object_get(r, "leaks")), ==, 0);
    g_assert_cmpint(json_integer_value(json_object_get(r, "corruptions")),
                    ==, 0);
    json_decref(r);
}
