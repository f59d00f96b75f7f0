/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Registering the trace event groups linked into minivmm. */
#ifndef SYSTEM_TRACE_GROUPS_H
#define SYSTEM_TRACE_GROUPS_H

/*
 * Register every trace event group, so that -trace can enable them.
 * Generated (scripts/tracetool.py --register-all) from meson's
 * trace_groups list, which each directory with a trace-events file
 * joins; it is linked into the minivmm executable.
 */
void trace_init_groups(void);

#endif /* SYSTEM_TRACE_GROUPS_H */
