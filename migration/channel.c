/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Migration URIs: unix:, tcp:, exec: and file: transports for both sides. */
#include "qemu/osdep.h"
#include <netdb.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "qapi/qapi-types-sockets.h"
#include "migration.h"
#include "qemu-file.h"
#include "channel.h"

/* Slice of a cancellable connect() wait, in ms. */
#define CONNECT_POLL_MS 100

bool migration_uri_parse(const char *uri, MigrationURI *out, Error **errp)
{
    const char *p;

    memset(out, 0, sizeof(*out));
    if (strstart(uri, "unix:", &p)) {
        if (strlen(p) >= sizeof_field(struct sockaddr_un, sun_path)) {
            error_setg(errp, "UNIX socket path '%s' is too long", p);
            return false;
        }
        out->kind = MIGRATION_URI_UNIX;
        out->path = g_strdup(p);
        return true;
    }
    if (strstart(uri, "tcp:", &p)) {
        const char *colon;

        if (*p == '[') {
            const char *end = strchr(p, ']');

            if (!end || end[1] != ':') {
                error_setg(errp, "error parsing IPv6 address '%s'", p);
                return false;
            }
            out->host = g_strndup(p + 1, end - p - 1);
            colon = end + 1;
        } else {
            colon = strrchr(p, ':');
            if (!colon) {
                error_setg(errp, "error parsing address '%s'", p);
                return false;
            }
            out->host = g_strndup(p, colon - p);
        }
        if (!colon[1]) {
            error_setg(errp, "error parsing address '%s'", p);
            g_free(out->host);
            out->host = NULL;
            return false;
        }
        out->kind = MIGRATION_URI_TCP;
        out->port = g_strdup(colon + 1);
        return true;
    }
    if (strstart(uri, "exec:", &p)) {
        out->kind = MIGRATION_URI_EXEC;
        out->path = g_strdup(p);
        return true;
    }
    if (strstart(uri, "file:", &p)) {
        out->kind = MIGRATION_URI_FILE;
        out->path = g_strdup(p);
        return true;
    }
    error_setg(errp, "unknown migration protocol: %s", uri);
    return false;
}

void migration_uri_free(MigrationURI *u)
{
    g_free(u->path);
    g_free(u->host);
    g_free(u->port);
    memset(u, 0, sizeof(*u));
}

/* Wait for a non-blocking connect(); false on cancel or error (errno). */
static bool wait_connected(int fd, bool (*cancelled)(void *), void *opaque)
{
    struct pollfd pfd = { .fd = fd, .events = POLLOUT };
    int err = 0;
    socklen_t len = sizeof(err);

    for (;;) {
        int r = poll(&pfd, 1, CONNECT_POLL_MS);

        if (r < 0 && errno != EINTR) {
            return false;
        }
        if (r > 0) {
            break;
        }
        if (cancelled && cancelled(opaque)) {
            errno = ECANCELED;
            return false;
        }
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
        return false;
    }
    if (err) {
        errno = err;
        return false;
    }
    return true;
}

static int connect_cancellable(int fd, const struct sockaddr *sa,
                               socklen_t salen,
                               bool (*cancelled)(void *), void *opaque)
{
    int flags = fcntl(fd, F_GETFL);

    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    if (connect(fd, sa, salen) < 0) {
        if (errno != EINPROGRESS && errno != EINTR) {
            return -1;
        }
        if (!wait_connected(fd, cancelled, opaque)) {
            return -1;
        }
    }
    fcntl(fd, F_SETFL, flags);
    return 0;
}

static int unix_connect_path(const char *path, bool (*cancelled)(void *),
                             void *opaque, Error **errp)
{
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        error_setg_errno(errp, errno, "Failed to create socket");
        return -1;
    }
    pstrcpy(un.sun_path, sizeof(un.sun_path), path);
    if (connect_cancellable(fd, (struct sockaddr *)&un, sizeof(un),
                            cancelled, opaque) < 0) {
        error_setg_errno(errp, errno, "Failed to connect to '%s'", path);
        close(fd);
        return -1;
    }
    return fd;
}

static int inet_connect_host(const char *host, const char *port,
                             bool (*cancelled)(void *), void *opaque,
                             Error **errp)
{
    struct addrinfo ai = {
        .ai_flags = AI_ADDRCONFIG, .ai_family = PF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
    };
    struct addrinfo *res, *e;
    int rc, fd = -1, saved_errno = ECONNREFUSED;

    rc = getaddrinfo(host, port, &ai, &res);
    if (rc != 0) {
        error_setg(errp, "address resolution failed for %s:%s: %s",
                   host, port, gai_strerror(rc));
        return -1;
    }
    for (e = res; e; e = e->ai_next) {
        fd = socket(e->ai_family, e->ai_socktype | SOCK_CLOEXEC,
                    e->ai_protocol);
        if (fd < 0) {
            saved_errno = errno;
            continue;
        }
        if (connect_cancellable(fd, e->ai_addr, e->ai_addrlen,
                                cancelled, opaque) == 0) {
            int one = 1;

            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            break;
        }
        saved_errno = errno;
        close(fd);
        fd = -1;
        if (saved_errno == ECANCELED) {
            break;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        error_setg_errno(errp, saved_errno, "Failed to connect to '%s:%s'",
                         host, port);
    }
    return fd;
}

/*
 * Run "/bin/sh -c @cmd" with its stdin (@output) or stdout (!@output)
 * connected to a pipe; returns our end of the pipe, or -1.
 */
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

QEMUFile *migration_channel_connect_uri(const MigrationURI *u, pid_t *pid,
                                        bool (*cancelled)(void *),
                                        void *opaque, Error **errp)
{
    QEMUFile *f;
    int fd = -1;

    *pid = 0;
    switch (u->kind) {
    case MIGRATION_URI_UNIX:
        fd = unix_connect_path(u->path, cancelled, opaque, errp);
        break;
    case MIGRATION_URI_TCP:
        fd = inet_connect_host(u->host, u->port, cancelled, opaque, errp);
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

static SocketAddressList *socket_address_list_one(SocketAddress *addr)
{
    SocketAddressList *list = g_new0(SocketAddressList, 1);

    list->value = addr;
    return list;
}

static int unix_listen_path(const char *path, SocketAddressList **addrs,
                            Error **errp)
{
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    SocketAddress *addr;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        error_setg_errno(errp, errno, "Failed to create Unix socket");
        return -1;
    }
    pstrcpy(un.sun_path, sizeof(un.sun_path), path);
    unlink(path);
    if (bind(fd, (struct sockaddr *)&un, sizeof(un)) < 0) {
        error_setg_errno(errp, errno, "Failed to bind socket to %s", path);
        close(fd);
        return -1;
    }
    if (listen(fd, 1) < 0) {
        error_setg_errno(errp, errno, "Failed to listen on socket");
        close(fd);
        return -1;
    }
    addr = g_new0(SocketAddress, 1);
    addr->type = SOCKET_ADDRESS_TYPE_UNIX;
    addr->u.q_unix.path = g_strdup(path);
    *addrs = socket_address_list_one(addr);
    return fd;
}

static int inet_listen_host(const char *host, const char *port,
                            SocketAddressList **addrs, Error **errp)
{
    struct addrinfo ai = {
        .ai_flags = AI_PASSIVE, .ai_family = PF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
    };
    struct addrinfo *res, *e;
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    char hbuf[NI_MAXHOST], pbuf[NI_MAXSERV];
    SocketAddress *addr;
    int rc, fd = -1, saved_errno = EADDRNOTAVAIL;

    rc = getaddrinfo(*host ? host : NULL, port, &ai, &res);
    if (rc != 0) {
        error_setg(errp, "address resolution failed for %s:%s: %s",
                   host, port, gai_strerror(rc));
        return -1;
    }
    for (e = res; e; e = e->ai_next) {
        int one = 1;

        fd = socket(e->ai_family, e->ai_socktype | SOCK_CLOEXEC,
                    e->ai_protocol);
        if (fd < 0) {
            saved_errno = errno;
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, e->ai_addr, e->ai_addrlen) == 0 && listen(fd, 1) == 0) {
            break;
        }
        saved_errno = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        error_setg_errno(errp, saved_errno, "Failed to bind socket");
        return -1;
    }
    if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0 ||
        getnameinfo((struct sockaddr *)&ss, sslen, hbuf, sizeof(hbuf),
                    pbuf, sizeof(pbuf), NI_NUMERICHOST | NI_NUMERICSERV)) {
        pstrcpy(hbuf, sizeof(hbuf), host);
        pstrcpy(pbuf, sizeof(pbuf), port);
    }
    addr = g_new0(SocketAddress, 1);
    addr->type = SOCKET_ADDRESS_TYPE_INET;
    addr->u.inet.host = g_strdup(hbuf);
    addr->u.inet.port = g_strdup(pbuf);
    *addrs = socket_address_list_one(addr);
    return fd;
}

bool migration_channel_listen_uri(const MigrationURI *u, int *listen_fd,
                                  QEMUFile **file, pid_t *pid,
                                  SocketAddressList **addrs, Error **errp)
{
    int fd;

    *listen_fd = -1;
    *file = NULL;
    *pid = 0;
    *addrs = NULL;
    switch (u->kind) {
    case MIGRATION_URI_UNIX:
        *listen_fd = unix_listen_path(u->path, addrs, errp);
        return *listen_fd >= 0;
    case MIGRATION_URI_TCP:
        *listen_fd = inet_listen_host(u->host, u->port, addrs, errp);
        return *listen_fd >= 0;
    case MIGRATION_URI_EXEC:
        fd = exec_spawn(u->path, pid, errp);
        break;
    case MIGRATION_URI_FILE:
        fd = open(u->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            error_setg_file_open(errp, errno, u->path);
        }
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
    int fd;

    do {
        fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        error_setg_errno(errp, errno, "Failed to accept connection");
        return NULL;
    }
    return qemu_file_new_fd_input(fd);
}
