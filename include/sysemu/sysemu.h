/* SPDX-License-Identifier: GPL-2.0-or-later */
/* System emulator globals and the qemu_init/main loop/cleanup entry points. */
#ifndef SYSEMU_SYSEMU_H
#define SYSEMU_SYSEMU_H

#include "qemu/notify.h"

/* The QEMU release whose interfaces minivmm implements. */
#define QEMU_VERSION "7.2.0"
#define QEMU_VERSION_MAJOR 7
#define QEMU_VERSION_MINOR 2
#define QEMU_VERSION_MICRO 0
/* The "package" of query-version and the QMP greeting. */
#define QEMU_PKGVERSION ""

/* -name: the VM name, or NULL. */
extern const char *qemu_name;
/* Start the VM once initialisation (or incoming migration) completes. */
extern int autostart;
/* -m: guest RAM size in bytes (default 128 MiB; no RAM is allocated). */
extern uint64_t ram_size;

/*
 * The machine chosen with -machine (or the default): its canonical name
 * (aliases resolved, e.g. "pc" -> "pc-i440fx-7.2").  vl.c sets it once it
 * has parsed the command line.
 */
const char *current_machine_type(void);
void current_machine_set_type(const char *name);

/* Notifiers run at process exit (qemu_cleanup()). */
void qemu_add_exit_notifier(Notifier *notify);
void qemu_remove_exit_notifier(Notifier *notify);

/* softmmu/main.c's three steps. */
void qemu_init(int argc, char **argv);
/* Run the main loop until shutdown is requested; returns the exit status. */
int qemu_main_loop(void);
void qemu_cleanup(void);

/* Internal to system/: used by vl.c. */
void qemu_run_exit_notifiers(void);
/* Turn SIGTERM/SIGINT/SIGHUP into a shutdown request; ignore SIGPIPE. */
void os_setup_signal_handling(void);

#endif /* SYSEMU_SYSEMU_H */
