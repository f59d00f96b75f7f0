/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Trace events: descriptors, enabling by pattern, -trace option parsing. */
#ifndef TRACE_CONTROL_H
#define TRACE_CONTROL_H

/*
 * Each directory's trace-events file is turned by scripts/tracetool.py
 * into that directory's trace.h (one static inline trace_NAME() per
 * event) and trace.c (the event descriptors and
 * trace_<group>_register_events(), where <group> is the directory path
 * with '/' as '_', e.g. trace_util_register_events()).  A program calls
 * the register functions of the directories it links once at start-up;
 * patterns enabled earlier apply to groups registered later.
 *
 * An enabled event prints, through qemu_log():
 *   "<tid>@<sec>.<usec>:<name> <formatted arguments>\n"
 */

/* The descriptor of one event (defined in a generated trace.c). */
typedef struct TraceEvent {
    const char *name;           /* unique across the program */
    bool sstate;                /* false: "disable" property, compiled out */
    uint16_t *dstate;           /* non-zero while enabled */
} TraceEvent;

/*
 * trace_event_get_state:
 * @id: the event's identifier, TRACE_<NAME in upper case>
 *
 * Returns: true if the event is compiled in and enabled, e.g.
 * if (trace_event_get_state(TRACE_DIRTY_BITMAP_LOAD_ENTER)) { ... }
 */
#define trace_event_get_state(id) \
    ((id ## _ENABLED) && trace_event_get_state_dynamic_by_id(id))
#define trace_event_get_state_dynamic_by_id(id) (unlikely(_ ## id ## _DSTATE))
#define trace_event_get_state_backends(id) \
    trace_event_get_state_dynamic_by_id(id)

/* Iterate over registered events, all or those matching a glob pattern. */
typedef struct TraceEventIter {
    size_t group;               /* index of the current group */
    size_t event;               /* index within the group */
    const char *pattern;        /* NULL: all events */
} TraceEventIter;

void trace_event_iter_init_all(TraceEventIter *iter);
void trace_event_iter_init_pattern(TraceEventIter *iter, const char *pattern);
/* Returns: the next event, or NULL at the end. */
TraceEvent *trace_event_iter_next(TraceEventIter *iter);

/* Register a NULL-terminated array of events (generated code calls it). */
void trace_event_register_group(TraceEvent **events);

/* Returns: the event called @name, or NULL. */
TraceEvent *trace_event_name(const char *name);

static inline const char *trace_event_get_name(TraceEvent *ev)
{
    return ev->name;
}

/* false if the event has the "disable" property (compiled out). */
static inline bool trace_event_get_state_static(TraceEvent *ev)
{
    return ev->sstate;
}

static inline bool trace_event_get_state_dynamic(TraceEvent *ev)
{
    return *ev->dstate != 0;
}

/* Enable or disable @ev (no-op for statically disabled events). */
void trace_event_set_state_dynamic(TraceEvent *ev, bool state);

/*
 * trace_enable_events:
 * Enable the events matching the glob @line_buf ('*' and '?'); a leading
 * '-' disables them instead.  The pattern is also remembered and applied
 * to groups registered later.  A plain name that matches no registered
 * event gives a warning: "trace event 'NAME' does not exist".
 */
void trace_enable_events(const char *line_buf);

/*
 * trace_opt_parse:
 * Handle "-trace [enable=]PATTERN[,events=FILE][,file=FILE]":
 * enable PATTERN, each pattern line of FILE ('#' comments and blank lines
 * ignored), and log to FILE.  "help" (or enable=help) lists the events on
 * stdout and exits with status 0, as QEMU does; register every group
 * before parsing options.  Returns false with @errp set on a malformed
 * option or an unreadable file.
 */
bool trace_opt_parse(const char *optarg, Error **errp);

/* Print the names of all registered events, one per line. */
void trace_list_events(FILE *f);

#endif /* TRACE_CONTROL_H */
