/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The trace event groups linked into minivmm (see trace/control.h). */
#ifndef SYSTEM_TRACE_GROUPS_H
#define SYSTEM_TRACE_GROUPS_H

/*
 * Each directory with a trace-events file defines its register function
 * in its generated trace.c.  A directory that adds trace-events adds one
 * line here and one call in trace_init_groups() (system/vl.c).  The
 * system/ group is declared by system/trace.h.
 */
void trace_util_register_events(void);
void trace_block_register_events(void);
void trace_chardev_register_events(void);
void trace_monitor_register_events(void);
void trace_migration_register_events(void);

#endif /* SYSTEM_TRACE_GROUPS_H */
