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

/*
 * The monitor's part in the output functions of util/ (qemu_printf(),
 * error_printf(), error_report()).  util/ sits below the monitor, so the
 * monitor hands these in when it starts (monitor_init_globals()); until
 * then, and in programs without a monitor, no thread runs a monitor
 * command and all output goes to stdout or stderr.
 */
typedef struct QemuPrintMonitorOps {
    /* The monitor whose command the calling thread runs, or NULL. */
    Monitor *(*cur)(void);
    /* Whether @mon is a QMP monitor (which takes no printed text). */
    bool (*is_qmp)(const Monitor *mon);
    /* Print to @mon; returns the length printed, -1 for QMP. */
    int (*vprintf)(Monitor *mon, const char *fmt, va_list ap);
} QemuPrintMonitorOps;

void qemu_print_set_monitor_ops(const QemuPrintMonitorOps *ops);

/*
 * For util/'s output functions: the monitor whose command the calling
 * thread runs (NULL if none, and with @hmp_only also for QMP), and
 * printing @text to it.
 */
Monitor *qemu_print_cur_monitor(bool hmp_only);
int qemu_print_monitor_puts(Monitor *mon, const char *text);

#endif /* QEMU_PRINT_H */
