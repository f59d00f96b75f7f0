/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Migration URIs and the transports behind them (unix, tcp, exec, file). */
#ifndef QEMU_MIGRATION_CHANNEL_H
#define QEMU_MIGRATION_CHANNEL_H

#include "qapi/qapi-types-sockets.h"
#include "qemu/sockets.h"

typedef enum MigrationURIKind {
    MIGRATION_URI_UNKNOWN, /* not a scheme minivmm has (a failed parse) */
    MIGRATION_URI_SOCKET, /* unix:PATH, tcp:HOST:PORT (util/qemu-sockets) */
    MIGRATION_URI_EXEC,   /* exec:CMD, run with /bin/sh -c */
    MIGRATION_URI_FILE,   /* file:PATH (QEMU 8.2's scheme) */
    MIGRATION_URI_FD,     /* fd:NAME, a getfd name (or number, incoming) */
} MigrationURIKind;

typedef struct MigrationURI {
    MigrationURIKind kind;
    QemuSocketAddr *sock; /* MIGRATION_URI_SOCKET */
    char *path;           /* exec command, file path or fd name */
    int fd;               /* MIGRATION_URI_FD once resolved, else -1 */
} MigrationURI;

/**
 * migration_uri_parse: split @uri; unknown schemes fail with QEMU's
 * "unknown migration protocol: <uri>" and @out->kind left
 * MIGRATION_URI_UNKNOWN, socket addresses with the socket layer's
 * messages.  Free with migration_uri_free().
 */
bool migration_uri_parse(const char *uri, MigrationURI *out, Error **errp);
void migration_uri_free(MigrationURI *u);

/**
 * migration_uri_resolve_fd: for fd:NAME, take the descriptor into
 * @u->fd (closed by migration_uri_free() unless a channel took it).
 * Outgoing, NAME is a getfd name on the monitor whose command runs;
 * incoming, also a descriptor number (the only form without a monitor:
 * -incoming fd:N).  Other
 * URIs need nothing.  Errors are QEMU's ("File descriptor named '%s'
 * has not been found", "Invalid file descriptor number '%s'").
 */
bool migration_uri_resolve_fd(MigrationURI *u, bool incoming, Error **errp);

/**
 * migration_channel_connect_uri: open the outgoing stream, through the
 * socket layer for unix: and tcp: (the migration thread calls this; a
 * connect that waits gives up as soon as @cancel_fd is readable).
 * *@pid receives an exec: child's pid (0 otherwise).  Errors use QEMU's
 * texts ("Failed to connect to '<path>': <strerror>").
 */
QEMUFile *migration_channel_connect_uri(MigrationURI *u, int cancel_fd,
                                        pid_t *pid, Error **errp);

/**
 * migration_channel_listen_uri: start the incoming side.  unix: and tcp:
 * give a listening socket (*@listen_fd; unix ones are mode 0600) and its
 * address for query-migrate (*@addrs, with the real port for tcp port
 * 0); exec:, file: and a resolved fd: give the stream itself (*@file).
 */
bool migration_channel_listen_uri(MigrationURI *u, int *listen_fd,
                                  QEMUFile **file, pid_t *pid,
                                  SocketAddressList **addrs, Error **errp);

/* migration_channel_accept: accept one connection as an input stream. */
QEMUFile *migration_channel_accept(int listen_fd, Error **errp);

/* Stop listening: a unix socket's file goes too, as in QEMU. */
void migration_channel_listen_close(int listen_fd);

#endif /* QEMU_MIGRATION_CHANNEL_H */
