/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qemu-io commands (the subset HMP's qemu-io runs). */
#ifndef QEMU_IO_H
#define QEMU_IO_H

/**
 * qemuio_command: run one qemu-io command line on @blk
 *
 * Output goes to stdout in qemu-io's format ("wrote N/N bytes at offset
 * O" plus a timing line); errors as "write failed: <strerror>".
 * Returns true if the command asked to quit (never, here).
 */
bool qemuio_command(BlockBackend *blk, const char *cmd);

#endif /* QEMU_IO_H */
