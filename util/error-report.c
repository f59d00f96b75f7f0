/* SPDX-License-Identifier: GPL-2.0-or-later */
/* error_report() and friends: messages for humans, with source locations. */
#include "qemu/osdep.h"
#include "monitor/monitor.h"
#include "qemu/error-report.h"

typedef enum {
    REPORT_TYPE_ERROR,
    REPORT_TYPE_WARNING,
    REPORT_TYPE_INFO,
} report_type;

bool message_with_timestamp;

/*
 * The monitor is optional: in programs that link none (unit tests and
 * tools that only use libqemuutil), these weak references are NULL and
 * everything goes to stderr.  minivmm links the monitor's definitions;
 * stubs/monitor-core.c has explicit stubs.
 */
#pragma weak monitor_cur
#pragma weak monitor_cur_is_qmp
#pragma weak monitor_vprintf

static Monitor *cur_monitor(void)
{
    return monitor_cur ? monitor_cur() : NULL;
}

/*
 * The location stack.  It is per thread: the command line location the
 * main thread sets while parsing options must not prefix the messages of
 * other threads.
 */
static __thread Location std_loc = {
    .kind = LOC_NONE
};
static __thread Location *cur_loc;

static Location *loc_cur(void)
{
    if (!cur_loc) {
        cur_loc = &std_loc;
    }
    return cur_loc;
}

Location *loc_push_restore(Location *loc)
{
    assert(!loc->prev);
    loc->prev = loc_cur();
    cur_loc = loc;
    return loc;
}

Location *loc_push_none(Location *loc)
{
    loc->kind = LOC_NONE;
    loc->prev = NULL;
    return loc_push_restore(loc);
}

Location *loc_pop(Location *loc)
{
    assert(loc_cur() == loc && loc->prev);
    cur_loc = loc->prev;
    loc->prev = NULL;
    return loc;
}

Location *loc_save(Location *loc)
{
    *loc = *loc_cur();
    loc->prev = NULL;
    return loc;
}

void loc_restore(Location *loc)
{
    Location *cur = loc_cur();
    Location *prev = cur->prev;

    assert(!loc->prev);
    *cur = *loc;
    cur->prev = prev;
}

void loc_set_none(void)
{
    loc_cur()->kind = LOC_NONE;
}

void loc_set_cmdline(char **argv, int idx, int cnt)
{
    Location *cur = loc_cur();

    cur->kind = LOC_CMDLINE;
    cur->num = cnt;
    cur->ptr = argv + idx;
}

void loc_set_file(const char *fname, int lno)
{
    Location *cur = loc_cur();

    assert(fname || cur->kind == LOC_FILE);
    cur->kind = LOC_FILE;
    cur->num = lno;
    if (fname) {
        cur->ptr = fname;
    }
}

int error_vprintf(const char *fmt, va_list ap)
{
    Monitor *cur_mon = cur_monitor();

    if (cur_mon && !monitor_cur_is_qmp()) {
        return monitor_vprintf(cur_mon, fmt, ap);
    }
    return vfprintf(stderr, fmt, ap);
}

int error_printf(const char *fmt, ...)
{
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = error_vprintf(fmt, ap);
    va_end(ap);
    return ret;
}

void error_vprintf_unless_qmp(const char *fmt, va_list ap)
{
    Monitor *cur_mon = cur_monitor();

    if (!cur_mon) {
        vfprintf(stderr, fmt, ap);
    } else if (!monitor_cur_is_qmp()) {
        monitor_vprintf(cur_mon, fmt, ap);
    }
}

void error_printf_unless_qmp(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_vprintf_unless_qmp(fmt, ap);
    va_end(ap);
}

const char *error_get_progname(void)
{
    const char *name = g_get_prgname();

    return name ? name : "minivmm";
}

/* Append the current location, as QEMU prints it, to @out. */
static void append_loc(GString *out, bool with_progname)
{
    const Location *loc = loc_cur();
    const char *sep = "";
    const char *const *argp;
    int i;

    if (with_progname) {
        g_string_append_printf(out, "%s:", error_get_progname());
        sep = " ";
    }
    switch (loc->kind) {
    case LOC_CMDLINE:
        argp = loc->ptr;
        for (i = 0; i < loc->num; i++) {
            g_string_append_printf(out, "%s%s", sep, argp[i]);
            sep = " ";
        }
        g_string_append(out, ": ");
        break;
    case LOC_FILE:
        g_string_append_printf(out, "%s:", (const char *)loc->ptr);
        if (loc->num) {
            g_string_append_printf(out, "%d:", loc->num);
        }
        g_string_append(out, " ");
        break;
    default:
        g_string_append(out, sep);
        break;
    }
}

/*
 * Print a message: "[timestamp ]progname: location: [warning: ]msg\n".
 * Built in one buffer and printed with one call, so that messages from
 * different threads do not interleave.
 */
G_GNUC_PRINTF(2, 0)
static void vreport(report_type type, const char *fmt, va_list ap)
{
    g_autoptr(GString) out = g_string_new(NULL);
    bool in_monitor = cur_monitor() != NULL;

    if (message_with_timestamp && !in_monitor) {
        g_autoptr(GDateTime) now = g_date_time_new_now_utc();
        g_autofree char *timestr = g_date_time_format(now,
                                                      "%Y-%m-%dT%H:%M:%S");

        g_string_append_printf(out, "%s.%06dZ ", timestr,
                               g_date_time_get_microsecond(now));
    }

    append_loc(out, !in_monitor);

    switch (type) {
    case REPORT_TYPE_ERROR:
        break;
    case REPORT_TYPE_WARNING:
        g_string_append(out, "warning: ");
        break;
    case REPORT_TYPE_INFO:
        g_string_append(out, "info: ");
        break;
    }

    g_string_append_vprintf(out, fmt, ap);
    g_string_append_c(out, '\n');
    error_printf("%s", out->str);
}

void error_vreport(const char *fmt, va_list ap)
{
    vreport(REPORT_TYPE_ERROR, fmt, ap);
}

void warn_vreport(const char *fmt, va_list ap)
{
    vreport(REPORT_TYPE_WARNING, fmt, ap);
}

void info_vreport(const char *fmt, va_list ap)
{
    vreport(REPORT_TYPE_INFO, fmt, ap);
}

void error_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport(REPORT_TYPE_ERROR, fmt, ap);
    va_end(ap);
}

void warn_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport(REPORT_TYPE_WARNING, fmt, ap);
    va_end(ap);
}

void info_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport(REPORT_TYPE_INFO, fmt, ap);
    va_end(ap);
}

bool error_report_once_cond(bool *printed, const char *fmt, ...)
{
    va_list ap;

    assert(printed);
    if (*printed) {
        return false;
    }
    *printed = true;
    va_start(ap, fmt);
    vreport(REPORT_TYPE_ERROR, fmt, ap);
    va_end(ap);
    return true;
}

bool warn_report_once_cond(bool *printed, const char *fmt, ...)
{
    va_list ap;

    assert(printed);
    if (*printed) {
        return false;
    }
    *printed = true;
    va_start(ap, fmt);
    vreport(REPORT_TYPE_WARNING, fmt, ap);
    va_end(ap);
    return true;
}

/* Route GLib's g_warning()/g_critical() through error_report(). */
static void qemu_log_func(const gchar *log_domain, GLogLevelFlags log_level,
                          const gchar *message, gpointer user_data)
{
    switch (log_level & G_LOG_LEVEL_MASK) {
    case G_LOG_LEVEL_DEBUG:
    case G_LOG_LEVEL_INFO:
        /* Only print when G_MESSAGES_DEBUG asks for it, as GLib does. */
        g_log_default_handler(log_domain, log_level, message, user_data);
        break;
    case G_LOG_LEVEL_MESSAGE:
        info_report("%s%s%s", log_domain ?: "", log_domain ? ": " : "",
                    message);
        break;
    case G_LOG_LEVEL_WARNING:
        warn_report("%s%s%s", log_domain ?: "", log_domain ? ": " : "",
                    message);
        break;
    case G_LOG_LEVEL_CRITICAL:
    case G_LOG_LEVEL_ERROR:
        error_report("%s%s%s", log_domain ?: "", log_domain ? ": " : "",
                     message);
        break;
    }
}

void error_init(const char *argv0)
{
    if (argv0) {
        g_autofree char *name = g_path_get_basename(argv0);

        g_set_prgname(name);
    }
    g_log_set_default_handler(qemu_log_func, NULL);
}
