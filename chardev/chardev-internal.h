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
    char *fd;           /* socket: an inherited socket's number (fd=N) */
    bool server;        /* socket: listen instead of connect */
    bool wait;          /* socket server: block until a client connects */
} ChardevSpec;

/* Most descriptors one read of a socket peer takes (as QEMU). */
#define CHR_MAX_MSGFDS 16

/*
 * Where a device stands with its peer.  A dropped peer is not cut off
 * in the middle of a message: the device first finishes the output on
 * the wire, then signals the end (shutdown) and waits for the peer to
 * close, so that closing does not reset the connection under output
 * the peer has not read yet.
 */
typedef enum ChrPeerState {
    CHR_PEER_NONE,              /* no peer (a server may be listening) */
    CHR_PEER_UP,                /* connected: reading and writing */
    CHR_PEER_DRAINING,          /* dropped: writing the rest */
    CHR_PEER_HANGUP,            /* dropped, all written: awaiting EOF */
} ChrPeerState;

struct Chardev {
    char *label;
    ChardevKind kind;
    CharBackend *be;            /* the frontend, or NULL */
    char *path;                 /* unix socket path (listen: to unlink) */
    char *addr_str;             /* peer/listen address for messages */
    int listen_fd;              /* listening socket, -1 if none */
    int in_fd;                  /* peer input, -1 when disconnected */
    int out_fd;                 /* peer output, -1 when disconnected */
    ChrPeerState peer;
    bool opened_sent;           /* the frontend saw CHR_EVENT_OPENED */
    bool read_paused;           /* chr_can_read returned 0 */
    bool blocking_out;          /* stdio: write synchronously */
    /*
     * Output not yet written, as the records the frontend wrote (one
     * qemu_chr_fe_write() each, a whole QMP message, say), oldest first.
     */
    GQueue out_records;         /* ChrRecord * */
    size_t out_bytes;           /* their bytes, <= CHR_OUTBUF_MAX */
    size_t out_head_done;       /* bytes of the first already written */
    size_t hangup_discarded;    /* input thrown away in CHR_PEER_HANGUP */
    /*
     * Descriptors the socket peer passed (SCM_RIGHTS) with its latest
     * input that brought any, oldest first, until a frontend takes them
     * (qemu_chr_fe_get_msgfd()); newer ones replace those left over.
     */
    int msgfds[CHR_MAX_MSGFDS];
    int msgfds_num;
    GQueue pending_events;      /* QEMUChrEvent (as pointers) to deliver */
    QEMUBH *event_bh;           /* delivers pending_events */
    QTAILQ_ENTRY(Chardev) next;
};

/* char-socket.c */
bool qemu_chr_socket_open(Chardev *chr, const ChardevSpec *spec,
                          Error **errp);
/*
 * Read up to @len bytes of the socket peer's input into @buf, keeping
 * the descriptors that come with them.  Returns as read(2).
 */
ssize_t qemu_chr_socket_recv(Chardev *chr, uint8_t *buf, size_t len);
/* Close the descriptors no frontend took. */
void qemu_chr_socket_drop_msgfds(Chardev *chr);

/* char.c */
/* Tell the frontend about @event from the main loop, in order. */
void qemu_chr_queue_event(Chardev *chr, QEMUChrEvent event);
/* Unregister, close and free @chr (its frontend must be detached). */
void qemu_chr_free(Chardev *chr);

/* char-io.c */
/* A peer is connected on @in_fd/@out_fd: start I/O and tell the frontend. */
void qemu_chr_attach_peer(Chardev *chr, int in_fd, int out_fd);
/* (Re)register the fd handlers that match @chr's state (e.g. listening). */
void qemu_chr_update_handlers(Chardev *chr);
/* Write queued output until done or @deadline (g_get_monotonic_time()). */
void qemu_chr_flush_until(Chardev *chr, gint64 deadline);
/* Forget the queued output. */
void qemu_chr_discard_output(Chardev *chr);

#endif /* CHARDEV_INTERNAL_H */
