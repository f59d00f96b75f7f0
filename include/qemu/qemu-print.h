/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qemu_printf(): print to the current HMP monitor, else to stdout. */
#ifndef QEMU_PRINT_H
#define QEMU_PRINT_H

/*
 * Print like vprintf() to the current monitor if it is an HMP monitor,
 * else to stdout (to nothing for a QMP monitor, as QEMU).  Returns the
 * number of characters printed, or a negative value.
 */
int qemu_vprintf(const char *fmt, va_list ap) G_GNUC_PRINTF(1, 0);
int qemu_printf(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Like qemu_vprintf() for @stream NULL, else like vfprintf(). */
int qemu_vfprintf(FILE *stream, const char *fmt, va_list ap)
    G_GNUC_PRINTF(2, 0);
int qemu_fprintf(FILE *stream, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#endif /* QEMU_PRINT_H */
