/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Multifd channels of a machine without guest RAM: init and sync packets. */
#ifndef QEMU_MIGRATION_MULTIFD_H
#define QEMU_MIGRATION_MULTIFD_H

#include "channel.h"

/* Called once, from migration_object_init(). */
void multifd_init(void);

/* Source (the migration thread, unless said otherwise) */

/**
 * multifd_send_setup: with the multifd capability on, open the
 * multifd-channels extra connections to the address of @uri and send
 * each its init packet.  Only unix: and tcp: carry channels; others fail
 * with QEMU 7.2's "multifd is not supported by current protocol".  A
 * connect gives up when @cancel_fd is readable.  Without the capability
 * it does nothing.
 */
bool multifd_send_setup(MigrationURI *uri, int cancel_fd, Error **errp);

/**
 * multifd_send_sync_main: one sync packet on every channel (before each
 * end of a 'ram' section part).  Counts them in ram_counters and against
 * the rate limit of @main_file.  On a channel that fails, sets the
 * migration's error and returns -EIO.
 */
int multifd_send_sync_main(QEMUFile *main_file);

/* multifd_send_shutdown: unblock I/O on the channels.  Any thread. */
void multifd_send_shutdown(void);

/* multifd_send_cleanup: close the channels.  Main loop, thread joined. */
void multifd_send_cleanup(void);

/* Destination */

/**
 * multifd_recv_setup: the main channel arrived on @listen_fd; if the
 * multifd capability is on, from now on the next multifd-channels
 * connections are channels.  Returns whether channels are expected.
 * Main loop.
 */
bool multifd_recv_setup(int listen_fd);

/**
 * multifd_recv_new_channel: take @f as the next channel; a thread reads
 * its init packet, then its packets.  Returns true when every expected
 * channel is connected (stop listening).  Main loop.
 */
bool multifd_recv_new_channel(QEMUFile *f);

/**
 * multifd_recv_sync_main: wait until every channel has sent a sync
 * packet, then let them read on (at each end of a 'ram' section part).
 * Fails with the first channel's error, when a channel ends, when the
 * source closes @main_fd (-1: not watched) before all channels came,
 * or on multifd_recv_shutdown().  Without channels, returns true.
 */
bool multifd_recv_sync_main(int main_fd, Error **errp);

/* multifd_recv_shutdown: wake and fail every wait.  Any thread. */
void multifd_recv_shutdown(void);

/* multifd_recv_cleanup: shut down, join and free the channels. */
void multifd_recv_cleanup(void);

#endif /* QEMU_MIGRATION_MULTIFD_H */
