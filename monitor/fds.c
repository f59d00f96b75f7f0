/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Descriptors a QMP client passes over its socket: getfd and closefd. */
#include "qemu/osdep.h"

#include "monitor-internal.h"
#include "monitor/monitor.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-misc.h"
#include "qemu/cutils.h"

static void fd_close_value(gpointer fd)
{
    close(GPOINTER_TO_INT(fd));
}

/* @mon's table of named descriptors, made on first use. */
static GHashTable *monitor_fds(Monitor *mon)
{
    if (!mon->fds) {
        mon->fds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         fd_close_value);
    }
    return mon->fds;
}

void qmp_getfd(const char *fdname, Error **errp)
{
    Monitor *mon = monitor_cur();
    int fd;

    fd = qemu_chr_fe_get_msgfd(&mon->chr);
    if (fd < 0) {
        error_setg(errp, "No file descriptor supplied via SCM_RIGHTS");
        return;
    }
    if (g_ascii_isdigit(fdname[0])) {
        close(fd);
        error_setg(errp, "Parameter 'fdname' expects a name not starting "
                   "with a digit");
        return;
    }
    /* A name given again closes the descriptor it had. */
    g_hash_table_insert(monitor_fds(mon), g_strdup(fdname),
                        GINT_TO_POINTER(fd));
}

void qmp_closefd(const char *fdname, Error **errp)
{
    Monitor *mon = monitor_cur();

    if (!g_hash_table_remove(monitor_fds(mon), fdname)) {
        error_setg(errp, "File descriptor named '%s' not found", fdname);
    }
}

int monitor_fds_take(Monitor *mon, const char *fdname, Error **errp)
{
    gpointer name, fd;

    if (!mon || !g_hash_table_steal_extended(monitor_fds(mon), fdname,
                                             &name, &fd)) {
        error_setg(errp, "File descriptor named '%s' has not been found",
                   fdname);
        return -1;
    }
    g_free(name);
    return GPOINTER_TO_INT(fd);
}

