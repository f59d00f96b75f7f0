/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Character device internals shared by the files in chardev/. */
#ifndef CHARDEV_INTERNAL_H
#define CHARDEV_INTERNAL_H

#include "chardev/char-fe.h"
#include "qemu/main-loop.h"
#include "qemu/queue.h"

typedef enum ChardevKind {
    CHARDEV_KIND_SOCKET,
    CHARDEV_KIND_STDIO,
    CHARDEV_KIND_NULL,
} ChardevKind;

/* Parsed -chardev options. */
typedef struct ChardevSpec {
    ChardevKind kind;
    char *id;
    char *path;         /* socket: unix path, or NULL for tcp */
    char *host;         /* socket: tcp host ("" = any) */
    char *port;         /* socket: tcp port */
    bool server;        /* socket: listen instead of connect */
    bool wait;          /* socket server: block until a client connects */
} ChardevSpec;

struct Chardev {
    char *label;
    ChardevKind kind;
    CharBackend *be;            /* the frontend, or NULL */
    char *path;                 /* unix socket path (listen: to unlink) */
    char *addr_str;             /* peer/listen address for messages */
    int listen_fd;              /* listening socket, -1 if none */
    int in_fd;                  /* peer input, -1 when disconnected */
    int out_fd;                 /* peer output, -1 when disconnected */
    bool connected;             /* a peer is attached */
    bool opened_sent;           /* the frontend saw CHR_EVENT_OPENED */
    bool read_paused;           /* chr_can_read returned 0 */
    bool blocking_out;          /* stdio: write synchronously */
    GByteArray *outbuf;         /* queued output, <= CHR_OUTBUF_MAX */
    GQueue pending_events;      /* QEMUChrEvent (as pointers) to deliver */
    QEMUBH *event_bh;           /* delivers pending_events */
    QTAILQ_ENTRY(Chardev) next;
};

/* char-socket.c */
bool qemu_chr_socket_open(Chardev *chr, const ChardevSpec *spec,
                          Error **errp);

/* char.c */
/* A peer is connected on @in_fd/@out_fd: start I/O and tell the frontend. */
void qemu_chr_attach_peer(Chardev *chr, int in_fd, int out_fd);
/* (Re)register the fd handlers that match @chr's state (e.g. listening). */
void qemu_chr_update_handlers(Chardev *chr);

#endif /* CHARDEV_INTERNAL_H */
