/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Trace event registry: enabling by pattern, -trace option, listing. */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/option.h"
#include "trace/control.h"

/*
 * Registered groups (NULL-terminated TraceEvent * arrays, one per
 * directory) and the patterns enabled so far, in order, to apply to
 * groups registered later.  Registration and enabling happen on the main
 * thread at start-up or from the monitor; the lock makes them safe
 * anywhere.
 */
static GMutex trace_lock;
/* Patterns remembered for later groups; more are applied, not kept. */
#define TRACE_PATTERNS_MAX 1024
static GPtrArray *trace_groups;
static GPtrArray *trace_patterns;

static bool trace_event_is_pattern(const char *str)
{
    return strchr(str, '*') || strchr(str, '?');
}

void trace_event_iter_init_all(TraceEventIter *iter)
{
    iter->group = 0;
    iter->event = 0;
    iter->pattern = NULL;
}

void trace_event_iter_init_pattern(TraceEventIter *iter, const char *pattern)
{
    trace_event_iter_init_all(iter);
    iter->pattern = pattern;
}

TraceEvent *trace_event_iter_next(TraceEventIter *iter)
{
    TraceEvent *ev = NULL;

    g_mutex_lock(&trace_lock);
    while (trace_groups && iter->group < trace_groups->len) {
        TraceEvent **events = g_ptr_array_index(trace_groups, iter->group);

        ev = events[iter->event];
        if (!ev) {
            iter->group++;
            iter->event = 0;
            continue;
        }
        iter->event++;
        if (!iter->pattern ||
            g_pattern_match_simple(iter->pattern, ev->name)) {
            break;
        }
        ev = NULL;
    }
    g_mutex_unlock(&trace_lock);
    return ev;
}

TraceEvent *trace_event_name(const char *name)
{
    TraceEventIter iter;
    TraceEvent *ev;

    trace_event_iter_init_all(&iter);
    while ((ev = trace_event_iter_next(&iter)) != NULL) {
        if (strcmp(ev->name, name) == 0) {
            return ev;
        }
    }
    return NULL;
}

void trace_event_set_state_dynamic(TraceEvent *ev, bool state)
{
    if (!ev->sstate) {
        return;
    }
    __atomic_store_n(ev->dstate, state ? 1 : 0, __ATOMIC_RELAXED);
}

/* Apply one pattern ('-' prefix: disable) to @events. */
static bool apply_pattern(TraceEvent **events, const char *line,
                          bool *not_traceable)
{
    const bool enable = line[0] != '-';
    const char *pattern = enable ? line : line + 1;
    bool found = false;
    size_t i;

    for (i = 0; events[i]; i++) {
        if (!g_pattern_match_simple(pattern, events[i]->name)) {
            continue;
        }
        found = true;
        if (!events[i]->sstate) {
            *not_traceable = true;
            continue;
        }
        trace_event_set_state_dynamic(events[i], enable);
    }
    return found;
}

void trace_event_register_group(TraceEvent **events)
{
    bool not_traceable;
    guint i;

    g_mutex_lock(&trace_lock);
    if (!trace_groups) {
        trace_groups = g_ptr_array_new();
    }
    for (i = 0; i < trace_groups->len; i++) {
        if (g_ptr_array_index(trace_groups, i) == events) {
            /* Registered already. */
            g_mutex_unlock(&trace_lock);
            return;
        }
    }
    g_ptr_array_add(trace_groups, events);
    for (i = 0; trace_patterns && i < trace_patterns->len; i++) {
        apply_pattern(events, g_ptr_array_index(trace_patterns, i),
                      &not_traceable);
    }
    g_mutex_unlock(&trace_lock);
}

void trace_enable_events(const char *line_buf)
{
    const char *name = line_buf[0] == '-' ? line_buf + 1 : line_buf;
    bool found = false, not_traceable = false;
    guint i;

    g_mutex_lock(&trace_lock);
    if (!trace_patterns) {
        trace_patterns = g_ptr_array_new_with_free_func(g_free);
    }
    /* "*" and "-*" override everything before them. */
    if (strcmp(name, "*") == 0) {
        g_ptr_array_set_size(trace_patterns, 0);
    }
    if (trace_patterns->len < TRACE_PATTERNS_MAX) {
        g_ptr_array_add(trace_patterns, g_strdup(line_buf));
    }
    for (i = 0; trace_groups && i < trace_groups->len; i++) {
        found |= apply_pattern(g_ptr_array_index(trace_groups, i), line_buf,
                               &not_traceable);
    }
    g_mutex_unlock(&trace_lock);

    if (!trace_event_is_pattern(name)) {
        if (!found) {
            warn_report("trace event '%s' does not exist", name);
        } else if (not_traceable) {
            warn_report("trace event '%s' is not traceable", name);
        }
    }
}

/* One name a line, in the order the events were registered. */
void trace_list_events(FILE *f)
{
    TraceEventIter all;
    TraceEvent *ev;

    trace_event_iter_init_all(&all);
    for (ev = trace_event_iter_next(&all); ev;
         ev = trace_event_iter_next(&all)) {
        fputs(trace_event_get_name(ev), f);
        fputc('\n', f);
    }
}

/* Enable the patterns listed in @fname, one per line. */
static bool trace_enable_events_file(const char *fname, Error **errp)
{
    g_autofree char *contents = NULL;
    g_auto(GStrv) lines = NULL;
    g_autoptr(GError) gerr = NULL;
    size_t i;

    if (!g_file_get_contents(fname, &contents, NULL, &gerr)) {
        error_setg(errp, "could not open trace events file '%s': %s",
                   fname, gerr->message);
        return false;
    }
    lines = g_strsplit(contents, "\n", -1);
    for (i = 0; lines[i]; i++) {
        char *line = g_strstrip(lines[i]);

        if (line[0] == '\0' || line[0] == '#') {
            continue;
        }
        trace_enable_events(line);
    }
    return true;
}

/* Check the -trace suboptions; returns false with @errp set. */
static bool trace_opts_check(json_t *opts, Error **errp)
{
    const char *key;
    json_t *value;

    json_object_foreach(opts, key, value) {
        if (strcmp(key, "enable") && strcmp(key, "events") &&
            strcmp(key, "file")) {
            error_setg(errp, "Invalid parameter '%s'", key);
            return false;
        }
        if (!json_is_string(value)) {
            error_setg(errp, "Parameter '%s' expects a string", key);
            return false;
        }
    }
    return true;
}

bool trace_opt_parse(const char *optarg, Error **errp)
{
    json_t *opts, *value;
    bool help = false;
    bool ok = false;

    opts = keyval_parse(optarg, "enable", &help, errp);
    if (!opts) {
        return false;
    }
    if (!trace_opts_check(opts, errp)) {
        goto out;
    }

    value = json_object_get(opts, "enable");
    if (help || (value && is_help_option(json_string_value(value)))) {
        trace_list_events(stdout);
        exit(0);
    }

    if (value) {
        trace_enable_events(json_string_value(value));
    }
    value = json_object_get(opts, "events");
    if (value && !trace_enable_events_file(json_string_value(value), errp)) {
        goto out;
    }
    value = json_object_get(opts, "file");
    if (value && !qemu_set_log_filename(json_string_value(value), errp)) {
        goto out;
    }
    ok = true;

out:
    json_decref(opts);
    return ok;
}
