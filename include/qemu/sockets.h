/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Socket helpers: unix:PATH and tcp:HOST:PORT listen/connect, as QEMU's. */
#ifndef QEMU_SOCKETS_H
#define QEMU_SOCKETS_H

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

/*
 * All fds returned here are close-on-exec and blocking.  Errors use
 * QEMU's messages, e.g. "Failed to connect to '/x.sock': No such file or
 * directory" and "Failed to bind socket to /d/s: No such file or
 * directory".
 */

/* socket() with SOCK_CLOEXEC. */
int qemu_socket(int domain, int type, int protocol);
/* accept() with SOCK_CLOEXEC, retrying on EINTR. */
int qemu_accept(int s, struct sockaddr *addr, socklen_t *addrlen);

/* Whether @fd is a socket. */
bool fd_is_socket(int fd);

/* Blocking mode; the try_ form returns 0 or -errno, the others assert. */
void qemu_socket_set_nonblock(int fd);
int qemu_socket_try_set_nonblock(int fd);
void qemu_socket_set_block(int fd);

/* TCP_CORK on (@v 1) or off, TCP_NODELAY on; 0 or -1 with errno. */
int socket_set_cork(int fd, int v);
int socket_set_nodelay(int fd);
/* SO_REUSEADDR.  Returns 0 or -1 with errno. */
int socket_set_fast_reuse(int fd);

/**
 * unix_listen:
 * Listen on the Unix socket @path (an existing socket file there is
 * replaced).  The socket file gets mode 0600.  Returns the fd or -1.
 */
int unix_listen(const char *path, Error **errp);

/**
 * unix_connect:
 * Connect to the Unix socket @path.  Returns the fd or -1.
 */
int unix_connect(const char *path, Error **errp);

/**
 * inet_listen:
 * Listen on "HOST:PORT" (also "[IPV6]:PORT" and ":PORT" for any address)
 * with SO_REUSEADDR; PORT 0 picks a free port (see socket_local_port()).
 * Returns the fd or -1.
 */
int inet_listen(const char *str, Error **errp);

/**
 * inet_connect:
 * Connect to "HOST:PORT", trying each address getaddrinfo() returns.
 * Returns the fd or -1.
 */
int inet_connect(const char *str, Error **errp);

/* The kind of address a QemuSocketAddr holds. */
typedef enum QemuSocketAddrType {
    QEMU_SOCKET_ADDR_UNIX,      /* "unix:PATH" */
    QEMU_SOCKET_ADDR_INET,      /* "tcp:HOST:PORT" or "HOST:PORT" */
} QemuSocketAddrType;

/*
 * A parsed socket address.  (QEMU uses the QAPI type SocketAddress; this
 * small C struct avoids clashing with it.)
 */
typedef struct QemuSocketAddr {
    QemuSocketAddrType type;
    char *path;     /* UNIX: the socket file */
    char *host;     /* INET: host name or address ("" for any) */
    char *port;     /* INET: port number or service name */
} QemuSocketAddr;

/**
 * qemu_socket_addr_parse:
 * Parse "unix:PATH", "tcp:HOST:PORT" or "HOST:PORT".
 * Returns a new address (free with qemu_socket_addr_free()) or NULL.
 */
QemuSocketAddr *qemu_socket_addr_parse(const char *str, Error **errp);
void qemu_socket_addr_free(QemuSocketAddr *addr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QemuSocketAddr, qemu_socket_addr_free)

/* Formats as parsed: "unix:PATH" or "tcp:HOST:PORT". Caller frees. */
char *qemu_socket_addr_to_str(const QemuSocketAddr *addr);

/* Listen with a backlog of @num (at least 1).  Returns the fd or -1. */
int qemu_socket_addr_listen(const QemuSocketAddr *addr, int num,
                            Error **errp);
/* Connect.  Returns the fd or -1. */
int qemu_socket_addr_connect(const QemuSocketAddr *addr, Error **errp);
/*
 * Connect, giving up as soon as @cancel_fd (-1: none) becomes readable:
 * then -1 with an error whose errno is ECANCELED.  The socket returned
 * is blocking, as qemu_socket_addr_connect()'s.
 */
int qemu_socket_addr_connect_cancellable(const QemuSocketAddr *addr,
                                         int cancel_fd, Error **errp);

/* Parse @str as qemu_socket_addr_parse() and listen / connect. */
int socket_listen_str(const char *str, int num, Error **errp);
int socket_connect_str(const char *str, Error **errp);

/*
 * For a listening unix socket, remove its file (call before close()).
 * Not an error if @fd is not a unix socket.
 */
void socket_listen_cleanup(int fd, Error **errp);

/* Returns: the local TCP/UDP port of @fd, or -1 with @errp set. */
int socket_local_port(int fd, Error **errp);

#endif /* QEMU_SOCKETS_H */
