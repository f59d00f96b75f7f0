/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qemu-img and other host commands for tests that check images. */

#include "qemu/osdep.h"
#include "qimg-common.h"

/* Run the command line; it must exit with status 0 or not (@want_ok). */
static char *run_cmdline(bool want_ok, const char *fmt, va_list ap)
{
    g_autofree char *cmd = g_strdup_vprintf(fmt, ap);
    g_autofree char *out = NULL, *err = NULL;
    int status;
    bool ok;

    g_assert(g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
    ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (ok != want_ok) {
        g_error("%s: %s%s", cmd, out, err);
    }
    return g_strconcat(out, err, NULL);
}

char *qimg_run(const char *fmt, ...)
{
    va_list ap;
    char *out;

    va_start(ap, fmt);
    out = run_cmdline(true, fmt, ap);
    va_end(ap);
    return out;
}

char *qimg_run_fails(const char *fmt, ...)
{
    va_list ap;
    char *out;

    va_start(ap, fmt);
    out = run_cmdline(false, fmt, ap);
    va_end(ap);
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
