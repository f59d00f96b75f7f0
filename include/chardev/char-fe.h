/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The frontend side of a character device (monitor, qtest). */
#ifndef QEMU_CHAR_FE_H
#define QEMU_CHAR_FE_H

#include "chardev/char.h"

/* How many bytes the frontend can take now (0: stop reading). */
typedef int IOCanReadHandler(void *opaque);
typedef void IOReadHandler(void *opaque, const uint8_t *buf, int size);
typedef void IOEventHandler(void *opaque, QEMUChrEvent event);
typedef int BackendChangeHandler(void *opaque);

/* A frontend's handle on its character device. */
struct CharBackend {
    Chardev *chr;                   /* NULL when not attached */
    IOEventHandler *chr_event;
    IOCanReadHandler *chr_can_read;
    IOReadHandler *chr_read;
    void *opaque;                   /* passed to the handlers */
};

/*
 * Attach @b to @s.  A device takes one frontend only.
 * Returns: false with @errp set if @s is in use.
 */
bool qemu_chr_fe_init(CharBackend *b, Chardev *s, Error **errp);
/* Detach; with @del also close and free the device. */
void qemu_chr_fe_deinit(CharBackend *b, bool del);

/**
 * qemu_chr_fe_set_handlers:
 * Set the frontend's callbacks, called from the main loop with the BQL
 * held, with @opaque.  If a peer is connected already, CHR_EVENT_OPENED
 * follows from the main loop (never from inside this call), so that a
 * monitor greets only once it is fully set up.  @be_change and @context
 * exist for QEMU compatibility and must be NULL.
 */
void qemu_chr_fe_set_handlers(CharBackend *be, IOCanReadHandler *can_read,
                              IOReadHandler *on_read, IOEventHandler *on_event,
                              BackendChangeHandler *be_change, void *opaque,
                              GMainContext *context, bool set_open);

/*
 * Queue @len bytes for the peer, as one record, without blocking.  The
 * record goes out whole unless the peer goes away.
 * Returns: @len; or -1 with errno ENOTCONN when there is no peer (the
 * data is dropped), ENOBUFS when the record would take the output
 * queued for a peer that does not read past CHR_OUTBUF_MAX: the peer is
 * then dropped after the record it is receiving (CHR_EVENT_CLOSED from
 * the main loop).  A peer whose socket fails (EPIPE) is dropped at once.
 */
int qemu_chr_fe_write(CharBackend *be, const uint8_t *buf, int len);
/* Same as qemu_chr_fe_write(): output is always buffered, never lost. */
int qemu_chr_fe_write_all(CharBackend *be, const uint8_t *buf, int len);
/* Resume reading after chr_can_read returned 0. */
void qemu_chr_fe_accept_input(CharBackend *be);
/*
 * Drop the current peer once the output queued for it is written (a
 * server then listens again).  The frontend hears CHR_EVENT_CLOSED at
 * once and cannot write any more.
 */
void qemu_chr_fe_disconnect(CharBackend *be);
Chardev *qemu_chr_fe_get_driver(CharBackend *be);
/* Bytes queued for the peer and not yet written. */
size_t qemu_chr_fe_get_pending(CharBackend *be);
/*
 * Take the oldest descriptor a socket peer passed with its input
 * (SCM_RIGHTS), now the caller's to close; -1 if there is none.
 */
int qemu_chr_fe_get_msgfd(CharBackend *be);

#endif /* QEMU_CHAR_FE_H */
