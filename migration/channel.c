/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Migration URIs: unix:, tcp:, exec: and file: transports for both sides. */
#include "qemu/osdep.h"
#include "qemu/qemu-print.h"
#include <netdb.h>
#include <spawn.h>
#include "qapi/error.h"
#include "qapi/qapi-visit-sockets.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qemu/sockets.h"
#include "monitor/monitor.h"
#include "migration.h"
#include "qemu-file.h"
#include "channel.h"

bool migration_uri_parse(const char *uri, MigrationURI *out, Error **errp)
{
    const char *rest;

    memset(out, 0, sizeof(*out));
    out->fd = -1;
    if (g_str_has_prefix(uri, "unix:") || g_str_has_prefix(uri, "tcp:")) {
        out->kind = MIGRATION_URI_SOCKET;
        out->sock = qemu_socket_addr_parse(uri, errp);
        return out->sock != NULL;
    }
    if (strstart(uri, "exec:", &rest)) {
        out->kind = MIGRATION_URI_EXEC;
    } else if (strstart(uri, "file:", &rest)) {
        out->kind = MIGRATION_URI_FILE;
    } else if (strstart(uri, "fd:", &rest)) {
        out->kind = MIGRATION_URI_FD;
    } else {
        error_setg(errp, "unknown migration protocol: %s", uri);
        return false;
    }
    out->path = g_strdup(rest);
    return true;
}

void migration_uri_free(MigrationURI *u)
{
    qemu_socket_addr_free(u->sock);
    g_free(u->path);
    if (u->fd >= 0) {
        close(u->fd);
    }
    memset(u, 0, sizeof(*u));
    u->fd = -1;
}

bool migration_uri_resolve_fd(MigrationURI *u, bool incoming, Error **errp)
{
    /* The monitor whose command (migrate, migrate-incoming) runs, if any. */
    Monitor *mon = qemu_print_cur_monitor(false);

    if (u->kind != MIGRATION_URI_FD || u->fd >= 0) {
        return true;
    }
    u->fd = incoming ? monitor_fd_param(mon, u->path, errp)
                     : monitor_get_fd(mon, u->path, errp);
    if (u->fd >= 0) {
        /* An inherited one must not reach exec: children either. */
        fcntl(u->fd, F_SETFD, FD_CLOEXEC);
    }
    return u->fd >= 0;
}

/* Hand a resolved fd: over to a channel. */
static int uri_take_fd(MigrationURI *u)
{
    int fd = u->fd;

    assert(fd >= 0);
    u->fd = -1;
    return fd;
}

/*
 * Run /bin/sh -c @cmd with one end of a socketpair as both its stdin and
 * its stdout, and return the other end.  Like QEMU's two-way command
 * channel, this carries the stream one way and a return path the other
 * (an incoming "exec:cat FILE" with OPEN_RETURN_PATH writes PONG/SHUT
 * into cat's stdin, which cat never reads), and it can be shut down to
 * unblock a reader on cancel.
 */
static int exec_spawn(const char *cmd, pid_t *pid, Error **errp)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    char *argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)cmd, NULL };
    int fds[2];
    int rc;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
        error_setg_errno(errp, errno, "Failed to create socket pair");
        return -1;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    /* Own process group: cancel kills the shell and what it started. */
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    rc = posix_spawn(pid, "/bin/sh", &fa, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        error_setg_errno(errp, rc, "cannot execute '%s'", cmd);
        close(fds[0]);
        return -1;
    }
    return fds[0];
}

QEMUFile *migration_channel_connect_uri(MigrationURI *u, int cancel_fd,
                                        pid_t *pid, Error **errp)
{
    QEMUFile *f;
    int fd = -1;

    *pid = 0;
    switch (u->kind) {
    case MIGRATION_URI_SOCKET:
        fd = qemu_socket_addr_connect_cancellable(u->sock, cancel_fd, errp);
        if (fd >= 0 && u->sock->type == QEMU_SOCKET_ADDR_INET) {
            socket_set_nodelay(fd);
        }
        break;
    case MIGRATION_URI_EXEC:
        fd = exec_spawn(u->path, pid, errp);
        break;
    case MIGRATION_URI_FILE:
        fd = open(u->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd < 0) {
            error_setg_file_open(errp, errno, u->path);
        }
        break;
    case MIGRATION_URI_FD:
        fd = uri_take_fd(u);
        break;
    case MIGRATION_URI_UNKNOWN:
        g_assert_not_reached();
    }
    if (fd < 0) {
        return NULL;
    }
    f = qemu_file_new_fd_output(fd);
    if (*pid) {
        qemu_file_set_child_pid(f, *pid);
    }
    return f;
}

/* The address query-migrate shows for a listening socket. */
static SocketAddressList *listen_address(const QemuSocketAddr *sa, int fd,
                                         Error **errp)
{
    SocketAddress *addr = g_new0(SocketAddress, 1);
    SocketAddressList *list = g_new0(SocketAddressList, 1);

    list->value = addr;
    if (sa->type == QEMU_SOCKET_ADDR_UNIX) {
        addr->type = SOCKET_ADDRESS_TYPE_UNIX;
        addr->u.q_unix.path = g_strdup(sa->path);
    } else {
        /* Numeric, and the real port where port 0 asked for a free one. */
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        char host[NI_MAXHOST], port[NI_MAXSERV];

        if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
            getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host),
                        port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV)) {
            error_setg(errp, "Unable to query local socket address");
            qapi_free_SocketAddressList(list);
            return NULL;
        }
        addr->type = SOCKET_ADDRESS_TYPE_INET;
        addr->u.inet.host = g_strdup(host);
        addr->u.inet.port = g_strdup(port);
    }
    return list;
}

bool migration_channel_listen_uri(MigrationURI *u, int *listen_fd,
                                  QEMUFile **file, pid_t *pid,
                                  SocketAddressList **addrs, Error **errp)
{
    int fd;

    *listen_fd = -1;
    *file = NULL;
    *pid = 0;
    *addrs = NULL;
    switch (u->kind) {
    case MIGRATION_URI_SOCKET:
        fd = qemu_socket_addr_listen(u->sock, 1, errp);
        if (fd < 0) {
            return false;
        }
        *addrs = listen_address(u->sock, fd, errp);
        if (!*addrs) {
            migration_channel_listen_close(fd);
            return false;
        }
        *listen_fd = fd;
        return true;
    case MIGRATION_URI_EXEC:
        fd = exec_spawn(u->path, pid, errp);
        break;
    case MIGRATION_URI_FILE:
        fd = open(u->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            error_setg_file_open(errp, errno, u->path);
        }
        break;
    case MIGRATION_URI_FD:
        fd = uri_take_fd(u);
        break;
    default:
        g_assert_not_reached();
    }
    if (fd < 0) {
        return false;
    }
    *file = qemu_file_new_fd_input(fd);
    if (*pid) {
        qemu_file_set_child_pid(*file, *pid);
    }
    return true;
}

QEMUFile *migration_channel_accept(int listen_fd, Error **errp)
{
    int fd = qemu_accept(listen_fd, NULL, NULL);

    if (fd < 0) {
        error_setg_errno(errp, errno, "Failed to accept connection");
        return NULL;
    }
    return qemu_file_new_fd_input(fd);
}

void migration_channel_listen_close(int listen_fd)
{
    Error *local_err = NULL;

    socket_listen_cleanup(listen_fd, &local_err);
    if (local_err) {
        warn_report_err(local_err);
    }
    close(listen_fd);
}
