/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Socket helpers: parse, listen on and connect to unix: and tcp: addresses. */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/sockets.h"
#include "qemu/cutils.h"
#include "trace.h"

#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>

int qemu_socket(int domain, int type, int protocol)
{
    return socket(domain, type | SOCK_CLOEXEC, protocol);
}

int qemu_accept(int s, struct sockaddr *addr, socklen_t *addrlen)
{
    return RETRY_ON_EINTR(accept4(s, addr, addrlen, SOCK_CLOEXEC));
}

bool fd_is_socket(int fd)
{
    int optval;
    socklen_t optlen = sizeof(optval);

    return !getsockopt(fd, SOL_SOCKET, SO_TYPE, &optval, &optlen);
}

int socket_set_cork(int fd, int v)
{
    return setsockopt(fd, IPPROTO_TCP, TCP_CORK, &v, sizeof(v));
}

int socket_set_nodelay(int fd)
{
    int v = 1;

    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v));
}

int socket_set_fast_reuse(int fd)
{
    int val = 1;

    return setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &val, sizeof(val));
}

/* Set or clear O_NONBLOCK; returns 0 or -errno. */
static int set_nonblock(int fd, bool nonblock)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0) {
        return -errno;
    }
    flags = nonblock ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    if (fcntl(fd, F_SETFL, flags) < 0) {
        return -errno;
    }
    return 0;
}

void qemu_socket_set_block(int fd)
{
    g_assert(set_nonblock(fd, false) == 0);
}

int qemu_socket_try_set_nonblock(int fd)
{
    return set_nonblock(fd, true);
}

void qemu_socket_set_nonblock(int fd)
{
    g_assert(set_nonblock(fd, true) == 0);
}

/*
 * Unix sockets
 */

/* Fill @un for @path; false with @errp set if it does not fit. */
static bool unix_sockaddr(struct sockaddr_un *un, const char *path,
                          Error **errp)
{
    size_t pathlen = strlen(path);

    if (pathlen > sizeof(un->sun_path)) {
        error_setg(errp, "UNIX socket path '%s' is too long", path);
        error_append_hint(errp, "Path must be less than %zu bytes\n",
                          sizeof(un->sun_path));
        return false;
    }
    memset(un, 0, sizeof(*un));
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path, path, pathlen);
    return true;
}

static int unix_listen_path(const char *path, int num, Error **errp)
{
    struct sockaddr_un un;
    int sock;

    if (!path || !*path) {
        error_setg(errp, "invalid Unix socket address");
        return -1;
    }

    sock = qemu_socket(PF_UNIX, SOCK_STREAM, 0);
    if (sock < 0) {
        error_setg_errno(errp, errno, "Failed to create Unix socket");
        return -1;
    }

    if (!unix_sockaddr(&un, path, errp)) {
        goto err;
    }

    if (unlink(path) < 0 && errno != ENOENT) {
        error_setg_errno(errp, errno, "Failed to unlink socket %s", path);
        goto err;
    }

    /*
     * On Linux, bind() creates the socket file with the socket inode's
     * mode (minus the umask): set it first so that the file is never
     * accessible to others, without touching the process-wide umask.
     */
    if (fchmod(sock, 0600) < 0) {
        error_setg_errno(errp, errno, "Failed to set socket mode");
        goto err;
    }
    if (bind(sock, (struct sockaddr *)&un, sizeof(un)) < 0) {
        error_setg_errno(errp, errno, "Failed to bind socket to %s", path);
        goto err;
    }
    if (chmod(path, 0600) < 0) {
        error_setg_errno(errp, errno, "Failed to set mode of socket %s",
                         path);
        unlink(path);
        goto err;
    }
    if (listen(sock, num) < 0) {
        error_setg_errno(errp, errno, "Failed to listen on socket");
        unlink(path);
        goto err;
    }
    return sock;

err:
    close(sock);
    return -1;
}

int unix_listen(const char *path, Error **errp)
{
    return unix_listen_path(path, 1, errp);
}

/*
 * Wait until @sock is writable (a connect finished) or @cancel_fd is
 * readable (-1: never).  Returns 0, or -ECANCELED when cancelled, or
 * -errno.  With @timeout_ms >= 0, -ETIMEDOUT once it passed.
 */
static int connect_wait(int sock, int cancel_fd, int timeout_ms)
{
    struct pollfd pfd[2] = {
        { .fd = sock, .events = POLLOUT },
        { .fd = cancel_fd, .events = POLLIN },
    };
    int n;

    do {
        n = poll(pfd, 2, timeout_ms);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return -errno;
    }
    if (pfd[1].revents) {
        return -ECANCELED;
    }
    return n == 0 ? -ETIMEDOUT : 0;
}

/*
 * connect() @sock, non-blocking so that @cancel_fd can end the wait.
 * Returns 0 or -errno (-ECANCELED when cancelled).  A unix socket whose
 * listener's backlog is full says EAGAIN and cannot be waited for: try
 * again every CONNECT_RETRY_MS (a blocking connect would wait as long).
 */
#define CONNECT_RETRY_MS 20

static int connect_cancellable(int sock, const struct sockaddr *sa,
                               socklen_t len, int cancel_fd)
{
    socklen_t optlen = sizeof(int);
    int err, rc;

    if (qemu_socket_try_set_nonblock(sock) < 0) {
        return -errno;
    }
    for (;;) {
        rc = connect(sock, sa, len) < 0 ? -errno : 0;
        if (rc == -EINTR) {
            continue;
        }
        if (rc == -EAGAIN) {
            rc = connect_wait(-1, cancel_fd, CONNECT_RETRY_MS);
            if (rc == -ETIMEDOUT) {
                continue;
            }
        } else if (rc == -EINPROGRESS) {
            rc = connect_wait(sock, cancel_fd, -1);
            if (rc == 0 &&
                getsockopt(sock, SOL_SOCKET, SO_ERROR, &err, &optlen) == 0) {
                rc = -err;
            }
        }
        break;
    }
    qemu_socket_set_block(sock);
    return rc;
}

static int unix_connect_cancellable(const char *path, int cancel_fd,
                                    Error **errp)
{
    struct sockaddr_un un;
    int sock = -1;
    int rc;

    if (!path) {
        error_setg(errp, "unix connect: no path specified");
    } else if ((sock = qemu_socket(PF_UNIX, SOCK_STREAM, 0)) < 0) {
        error_setg_errno(errp, errno, "Failed to create socket");
    } else if (!unix_sockaddr(&un, path, errp)) {
        close(sock);
        sock = -1;
    } else if ((rc = connect_cancellable(sock, (struct sockaddr *)&un,
                                         sizeof(un), cancel_fd)) < 0) {
        error_setg_errno(errp, -rc, "Failed to connect to '%s'", path);
        close(sock);
        sock = -1;
    }
    return sock;
}

int unix_connect(const char *path, Error **errp)
{
    return unix_connect_cancellable(path, -1, errp);
}

/*
 * TCP sockets
 */

/*
 * Split "HOST:PORT", "[IPV6]:PORT" or ":PORT" into @host and @port
 * (QEMU's inet_parse() without the ",option" suffixes).
 */
static bool inet_parse_str(const char *str, char **host, char **port,
                           Error **errp)
{
    const char *colon;

    if (str[0] == '[') {
        const char *close = strchr(str, ']');

        if (!close || close == str + 1 || close[1] != ':' || !close[2] ||
            strchr(close + 2, ',')) {
            error_setg(errp, "error parsing IPv6 address '%s'", str);
            return false;
        }
        *host = g_strndup(str + 1, close - str - 1);
        *port = g_strdup(close + 2);
        return true;
    }

    colon = strrchr(str, ':');
    if (str[0] == ':') {
        if (!str[1] || strchr(str + 1, ':') || strchr(str, ',')) {
            error_setg(errp, "error parsing port in address '%s'", str);
            return false;
        }
    } else if (!colon || !colon[1] || strchr(str, ',') ||
               memchr(str, ':', colon - str)) {
        error_setg(errp, "error parsing address '%s'", str);
        return false;
    }
    *host = g_strndup(str, colon - str);
    *port = g_strdup(colon + 1);
    return true;
}

static int inet_listen_hostport(const char *host, const char *port, int num,
                                Error **errp)
{
    struct addrinfo ai, *res, *e;
    int rc, slisten = -1, saved_errno = 0;
    bool socket_created = false;

    memset(&ai, 0, sizeof(ai));
    ai.ai_flags = AI_PASSIVE;
    ai.ai_socktype = SOCK_STREAM;
    ai.ai_family = PF_UNSPEC;

    rc = getaddrinfo(*host ? host : NULL, *port ? port : NULL, &ai, &res);
    if (rc != 0) {
        error_setg(errp, "address resolution failed for %s:%s: %s",
                   host, port, gai_strerror(rc));
        return -1;
    }

    for (e = res; e != NULL; e = e->ai_next) {
        slisten = qemu_socket(e->ai_family, e->ai_socktype, e->ai_protocol);
        if (slisten < 0) {
            saved_errno = errno;
            continue;
        }
        socket_created = true;
        socket_set_fast_reuse(slisten);
        if (e->ai_family == PF_INET6) {
            int v6only = 0;

            setsockopt(slisten, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
                       sizeof(v6only));
        }
        if (bind(slisten, e->ai_addr, e->ai_addrlen) < 0) {
            saved_errno = errno;
            close(slisten);
            slisten = -1;
            if (saved_errno == EADDRINUSE) {
                continue;
            }
            error_setg_errno(errp, saved_errno, "Failed to bind socket");
            freeaddrinfo(res);
            return -1;
        }
        if (listen(slisten, num) < 0) {
            saved_errno = errno;
            close(slisten);
            slisten = -1;
            if (saved_errno == EADDRINUSE) {
                continue;
            }
            error_setg_errno(errp, saved_errno, "Failed to listen on socket");
            freeaddrinfo(res);
            return -1;
        }
        freeaddrinfo(res);
        return slisten;
    }
    freeaddrinfo(res);
    error_setg_errno(errp, saved_errno,
                     socket_created ?
                     "Failed to find an available port" :
                     "Failed to create a socket");
    return -1;
}

static int inet_connect_hostport(const char *host, const char *port,
                                 int cancel_fd, Error **errp)
{
    struct addrinfo ai, *res, *e;
    Error *local_err = NULL;
    int rc, sock = -1;

    if (!*host || !*port) {
        error_setg(errp, "host and/or port not specified");
        return -1;
    }

    memset(&ai, 0, sizeof(ai));
    ai.ai_flags = AI_CANONNAME | AI_ADDRCONFIG | AI_V4MAPPED;
    ai.ai_socktype = SOCK_STREAM;
    ai.ai_family = PF_UNSPEC;

    rc = getaddrinfo(host, port, &ai, &res);
    if (rc != 0) {
        error_setg(errp, "address resolution failed for %s:%s: %s",
                   host, port, gai_strerror(rc));
        return -1;
    }

    for (e = res; e != NULL; e = e->ai_next) {
        error_free(local_err);
        local_err = NULL;

        sock = qemu_socket(e->ai_family, e->ai_socktype, e->ai_protocol);
        if (sock < 0) {
            error_setg_errno(&local_err, errno,
                             "Failed to create socket family %d",
                             e->ai_family);
            continue;
        }
        rc = connect_cancellable(sock, e->ai_addr, e->ai_addrlen,
                                 cancel_fd);
        if (rc == 0) {
            break;
        }
        error_setg_errno(&local_err, -rc, "Failed to connect to '%s:%s'",
                         host, port);
        close(sock);
        sock = -1;
        if (rc == -ECANCELED) {
            break;
        }
    }
    freeaddrinfo(res);

    if (sock < 0) {
        error_propagate(errp, local_err);
        return -1;
    }
    error_free(local_err);
    return sock;
}

int inet_listen(const char *str, Error **errp)
{
    g_autofree char *host = NULL;
    g_autofree char *port = NULL;

    if (!inet_parse_str(str, &host, &port, errp)) {
        return -1;
    }
    return inet_listen_hostport(host, port, 1, errp);
}

int inet_connect(const char *str, Error **errp)
{
    g_autofree char *host = NULL;
    g_autofree char *port = NULL;

    if (!inet_parse_str(str, &host, &port, errp)) {
        return -1;
    }
    return inet_connect_hostport(host, port, -1, errp);
}

/*
 * Parsed addresses
 */

QemuSocketAddr *qemu_socket_addr_parse(const char *str, Error **errp)
{
    g_autoptr(QemuSocketAddr) addr = g_new0(QemuSocketAddr, 1);
    const char *rest;

    if (strstart(str, "unix:", &rest)) {
        if (!*rest) {
            error_setg(errp, "invalid Unix socket address");
            return NULL;
        }
        addr->type = QEMU_SOCKET_ADDR_UNIX;
        addr->path = g_strdup(rest);
        return g_steal_pointer(&addr);
    }

    if (!strstart(str, "tcp:", &rest)) {
        rest = str;
    }
    addr->type = QEMU_SOCKET_ADDR_INET;
    if (!inet_parse_str(rest, &addr->host, &addr->port, errp)) {
        return NULL;
    }
    return g_steal_pointer(&addr);
}

void qemu_socket_addr_free(QemuSocketAddr *addr)
{
    if (addr) {
        g_free(addr->path);
        g_free(addr->host);
        g_free(addr->port);
        g_free(addr);
    }
}

char *qemu_socket_addr_to_str(const QemuSocketAddr *addr)
{
    if (addr->type == QEMU_SOCKET_ADDR_UNIX) {
        return g_strdup_printf("unix:%s", addr->path);
    }
    if (strchr(addr->host, ':')) {
        return g_strdup_printf("tcp:[%s]:%s", addr->host, addr->port);
    }
    return g_strdup_printf("tcp:%s:%s", addr->host, addr->port);
}

int qemu_socket_addr_listen(const QemuSocketAddr *addr, int num,
                            Error **errp)
{
    num = MAX(num, 1);
    if (addr->type == QEMU_SOCKET_ADDR_UNIX) {
        return unix_listen_path(addr->path, num, errp);
    }
    return inet_listen_hostport(addr->host, addr->port, num, errp);
}

int qemu_socket_addr_connect(const QemuSocketAddr *addr, Error **errp)
{
    return qemu_socket_addr_connect_cancellable(addr, -1, errp);
}

int qemu_socket_addr_connect_cancellable(const QemuSocketAddr *addr,
                                         int cancel_fd, Error **errp)
{
    if (addr->type == QEMU_SOCKET_ADDR_UNIX) {
        return unix_connect_cancellable(addr->path, cancel_fd, errp);
    }
    return inet_connect_hostport(addr->host, addr->port, cancel_fd, errp);
}

int socket_listen_str(const char *str, int num, Error **errp)
{
    g_autoptr(QemuSocketAddr) addr = NULL;

    trace_socket_listen(str, num);
    addr = qemu_socket_addr_parse(str, errp);

    if (!addr) {
        return -1;
    }
    return qemu_socket_addr_listen(addr, num, errp);
}

int socket_connect_str(const char *str, Error **errp)
{
    g_autoptr(QemuSocketAddr) addr = NULL;

    trace_socket_connect(str);
    addr = qemu_socket_addr_parse(str, errp);

    if (!addr) {
        return -1;
    }
    return qemu_socket_addr_connect(addr, errp);
}

void socket_listen_cleanup(int fd, Error **errp)
{
    struct sockaddr_storage ss;
    struct sockaddr_un *su = (struct sockaddr_un *)&ss;
    socklen_t sslen = sizeof(ss);
    g_autofree char *path = NULL;

    if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) {
        error_setg_errno(errp, errno, "%s",
                         "Unable to query local socket address");
        return;
    }
    if (ss.ss_family != AF_UNIX ||
        sslen <= offsetof(struct sockaddr_un, sun_path) ||
        !su->sun_path[0]) {
        return;
    }
    path = g_strndup(su->sun_path,
                     sslen - offsetof(struct sockaddr_un, sun_path));
    if (unlink(path) < 0 && errno != ENOENT) {
        error_setg_errno(errp, errno, "Failed to unlink socket %s", path);
    }
}

int socket_local_port(int fd, Error **errp)
{
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) {
        error_setg_errno(errp, errno, "%s",
                         "Unable to query local socket address");
        return -1;
    }
    switch (ss.ss_family) {
    case AF_INET:
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    case AF_INET6:
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    default:
        error_setg(errp, "socket family %d unsupported", ss.ss_family);
        return -1;
    }
}
