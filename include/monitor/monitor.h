/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Monitors (QMP and HMP): creation, the current monitor, output. */
#ifndef MONITOR_H
#define MONITOR_H

#include "chardev/char.h"

/*
 * The monitor whose command is running in this thread, or NULL.  Set
 * around QMP dispatch and HMP command execution; error_vprintf() prints
 * into it when it is an HMP monitor.
 */
Monitor *monitor_cur(void);
/* Make @mon the current monitor of this thread; returns the previous one. */
Monitor *monitor_set_cur(Monitor *mon);
/* Is the current monitor a QMP monitor? (false when there is none) */
bool monitor_cur_is_qmp(void);
bool monitor_is_qmp(const Monitor *mon);

/* Set up the monitor globals (command lists); once, before monitors. */
void monitor_init_globals(void);

/**
 * monitor_init_qmp:
 * Run a QMP monitor on @chr: greeting on connection, capabilities
 * negotiation, commands, events.  @pretty is accepted and ignored
 * (output is always one line per message).
 */
void monitor_init_qmp(Chardev *chr, bool pretty, Error **errp);
/* Run an HMP monitor on @chr ("(qemu) " prompt when @use_readline). */
void monitor_init_hmp(Chardev *chr, bool use_readline, Error **errp);

/**
 * monitor_init_opts:
 * @opts: a -mon argument: chardev=ID[,mode=control|readline][,pretty=on|off]
 *
 * Errors as QEMU: "chardev \"x\" not found", "Parameter 'mode' does not
 * accept value 'bogus'".
 */
bool monitor_init_opts(const char *opts, Error **errp);

/* Flush pending output to clients (bounded wait), free all monitors. */
void monitor_cleanup(void);

/*
 * Output to an HMP monitor ("\n" becomes "\r\n").  On a QMP monitor or
 * NULL, monitor_vprintf() and monitor_printf() print nothing and return
 * -1.  Returns: the number of characters written.
 */
int monitor_puts(Monitor *mon, const char *str);
int monitor_vprintf(Monitor *mon, const char *fmt, va_list ap)
    G_GNUC_PRINTF(2, 0);
int monitor_printf(Monitor *mon, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void monitor_flush(Monitor *mon);

/*
 * monitor_get_fd: take the descriptor getfd named @fdname on @mon (the
 * caller closes it), or fail with QEMU's "File descriptor named '%s'
 * has not been found".
 */
int monitor_get_fd(Monitor *mon, const char *fdname, Error **errp);
/*
 * monitor_fd_param: @fdname as a descriptor: a getfd name on @mon, or,
 * when it starts with a digit or there is no monitor (the command
 * line), a descriptor number that must be open.
 */
int monitor_fd_param(Monitor *mon, const char *fdname, Error **errp);
/*
 * The two above live in util/, below the monitor, so that any layer may
 * call them; the monitor hands in how to take a named descriptor from
 * @mon's table when it starts (monitor_init_globals()).
 */
void monitor_fd_set_lookup(int (*take)(Monitor *mon, const char *fdname,
                                       Error **errp));

/*
 * Stop / resume reading input from @mon's client (nests).  Suspending
 * fails with -ENOTTY on a monitor without a client of its own (HMP run
 * by human-monitor-command).
 */
int monitor_suspend(Monitor *mon);
void monitor_resume(Monitor *mon);

#endif /* MONITOR_H */
