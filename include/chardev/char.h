/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Character devices: socket, stdio and null backends, by id. */
#ifndef QEMU_CHAR_H
#define QEMU_CHAR_H

/* What happened to a character device, as told to its frontend. */
typedef enum QEMUChrEvent {
    CHR_EVENT_BREAK,    /* serial break (unused) */
    CHR_EVENT_OPENED,   /* a peer is connected: input may arrive */
    CHR_EVENT_MUX_IN,   /* unused: no mux */
    CHR_EVENT_MUX_OUT,  /* unused: no mux */
    CHR_EVENT_CLOSED,   /* the peer went away */
} QEMUChrEvent;

/*
 * Most output a character device queues for a peer that does not read
 * it.  Past it the peer is dropped, between two records (see
 * qemu_chr_fe_write()), so that a stalled or vanished client neither
 * blocks the main loop nor makes memory grow without bound.
 */
#define CHR_OUTBUF_MAX (64 * 1024 * 1024)

/**
 * qemu_chr_new_from_opts:
 * @opts: a -chardev argument: BACKEND,id=ID[,key=value...], with BACKEND
 *        one of socket (path=P | host=H,port=N; server=on|off,
 *        wait=on|off), stdio, null
 *
 * Create the character device; a client socket connects now, a server
 * socket listens (and with wait=on blocks until a client connects).
 * Returns: the device, or NULL with @errp set (QEMU's messages, e.g.
 * "Failed to connect to '/x.sock': No such file or directory").
 */
Chardev *qemu_chr_new_from_opts(const char *opts, Error **errp);

/**
 * qemu_chr_parse_compat:
 * @label: the id to give the device
 * @filename: a legacy backend spec as -qmp, -monitor, -serial and -qtest
 *            take: unix:PATH[,opts], unix:path=PATH[,opts],
 *            tcp:HOST:PORT[,opts], stdio, null
 *
 * Returns: the equivalent -chardev option string (g_free it), or NULL
 * with @errp set ("'bogus' is not a valid char driver").
 */
char *qemu_chr_parse_compat(const char *label, const char *filename,
                            Error **errp);

/**
 * qemu_chr_new:
 * Create a device from a legacy spec (see qemu_chr_parse_compat()).
 * Errors are reported with error_report() as QEMU does.  @context must
 * be NULL.
 *
 * Returns: the device, or NULL.
 */
Chardev *qemu_chr_new(const char *label, const char *filename,
                      GMainContext *context);

/* The device with id @name, or NULL. */
Chardev *qemu_chr_find(const char *name);
const char *qemu_chr_get_label(Chardev *chr);
/* Is a peer connected (always true for stdio and null)? */
bool qemu_chr_is_connected(Chardev *chr);

/*
 * Flush every device's pending output (waiting at most @timeout_ms in
 * total for slow peers), then close and free all devices.
 */
void qemu_chr_cleanup(int timeout_ms);

#endif /* QEMU_CHAR_H */
