/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Descriptors passed to a monitor, as every layer may ask for them. */
#include "qemu/osdep.h"
#include "monitor/monitor.h"
#include "qapi/error.h"
#include "qemu/cutils.h"

/* Set by the monitor when it starts; NULL in programs without one. */
static int (*take_named_fd)(Monitor *mon, const char *fdname, Error **errp);

void monitor_fd_set_lookup(int (*take)(Monitor *mon, const char *fdname,
                                       Error **errp))
{
    take_named_fd = take;
}

int monitor_get_fd(Monitor *mon, const char *fdname, Error **errp)
{
    if (!mon || !take_named_fd) {
        error_setg(errp, "File descriptor named '%s' has not been found",
                   fdname);
        return -1;
    }
    return take_named_fd(mon, fdname, errp);
}

int monitor_fd_param(Monitor *mon, const char *fdname, Error **errp)
{
    int fd;

    if (mon && !g_ascii_isdigit(fdname[0])) {
        return monitor_get_fd(mon, fdname, errp);
    }
    if (qemu_strtoi(fdname, NULL, 10, &fd) < 0 || fd < 0) {
        error_setg(errp, "Invalid file descriptor number '%s'", fdname);
        return -1;
    }
    if (fcntl(fd, F_GETFD) < 0) {
        /* QEMU 7.2 takes a closed number and waits on it forever. */
        error_setg_errno(errp, errno, "Invalid file descriptor number '%s'",
                         fdname);
        return -1;
    }
    return fd;
}
