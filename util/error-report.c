/* SPDX-License-Identifier: GPL-2.0-or-later */
/* error_report() and friends: messages for people, with locations. */
#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qemu/qemu-print.h"

bool message_with_timestamp;

/*
 * The location stack, one per thread: what the main thread parses must
 * not prefix other threads' messages.  The bottom entry is built in and
 * names nothing.
 */
static __thread Location loc_bottom;
static __thread Location *loc_top;

static Location *loc_current(void)
{
    return loc_top ? loc_top : &loc_bottom;
}

Location *loc_push_none(Location *loc)
{
    *loc = (Location) { .under = loc_current() };
    loc_top = loc;
    return loc;
}

Location *loc_pop(Location *loc)
{
    assert(loc == loc_current() && loc->under);
    loc_top = loc->under == &loc_bottom ? NULL : loc->under;
    loc->under = NULL;
    return loc;
}

/* Point the current location at @words/@file, keeping its place. */
static void loc_point(char **words, const char *file, int num)
{
    Location *cur = loc_current();

    cur->words = words;
    cur->file = file;
    cur->num = num;
}

void loc_set_none(void)
{
    loc_point(NULL, NULL, 0);
}

void loc_set_cmdline(char **argv, int idx, int cnt)
{
    loc_point(argv + idx, NULL, cnt);
}

void loc_set_file(const char *fname, int lno)
{
    const char *keep = loc_current()->file;

    assert(fname || keep);
    loc_point(NULL, fname ? fname : keep, lno);
}

/*
 * Where error_printf() text goes: the HMP monitor whose command is
 * running, else stderr (so nothing reaches a QMP client this way).
 */
static int error_print_text(const char *text)
{
    Monitor *mon = qemu_print_cur_monitor(true);

    if (mon) {
        return qemu_print_monitor_puts(mon, text);
    }
    return fputs(text, stderr) == EOF ? -1 : (int)strlen(text);
}

int error_vprintf(const char *fmt, va_list ap)
{
    g_autofree char *text = g_strdup_vprintf(fmt, ap);

    return error_print_text(text);
}

int error_printf(const char *fmt, ...)
{
    g_autofree char *text = qemu_va_format(fmt);

    return error_print_text(text);
}

const char *error_get_progname(void)
{
    const char *name = g_get_prgname();

    return name ? name : "minivmm";
}

/*
 * The prefix that names where the message comes from.  Outside a
 * monitor it starts with "<program>:".  Then a file location reads
 * "<file>:[<line>:] " right after that colon; command line words are
 * each preceded by a space (but the very first thing of all), then ": ";
 * no location leaves a single space after the program's colon.
 */
static void add_location(GString *out, const Location *loc, bool outside)
{
    int i;

    if (outside) {
        g_string_append_printf(out, "%s:", error_get_progname());
    }
    if (loc->file) {
        g_string_append_printf(out, "%s:", loc->file);
        if (loc->num) {
            g_string_append_printf(out, "%d:", loc->num);
        }
        g_string_append_c(out, ' ');
    } else if (loc->words) {
        for (i = 0; i < loc->num; i++) {
            if (outside || i > 0) {
                g_string_append_c(out, ' ');
            }
            g_string_append(out, loc->words[i]);
        }
        g_string_append(out, ": ");
    } else if (outside) {
        g_string_append_c(out, ' ');
    }
}

/*
 * Print one message with @label ("", "warning: " or "info: ") before
 * @text.  Built in one buffer and printed with one call, so that
 * messages from different threads do not interleave.
 */
static void report_line(const char *label, const char *text)
{
    g_autoptr(GString) line = g_string_new(NULL);
    bool outside = qemu_print_cur_monitor(false) == NULL;

    if (message_with_timestamp && outside) {
        g_autoptr(GDateTime) now = g_date_time_new_now_utc();
        g_autofree char *stamp = g_date_time_format_iso8601(now);

        g_string_append_printf(line, "%s ", stamp);
    }
    add_location(line, loc_current(), outside);
    g_string_append_printf(line, "%s%s\n", label, text);
    error_print_text(line->str);
}

void error_report(const char *fmt, ...)
{
    g_autofree char *text = qemu_va_format(fmt);

    report_line("", text);
}

void warn_report(const char *fmt, ...)
{
    g_autofree char *text = qemu_va_format(fmt);

    report_line("warning: ", text);
}

void info_report(const char *fmt, ...)
{
    g_autofree char *text = qemu_va_format(fmt);

    report_line("info: ", text);
}

/*
 * GLib's own messages (g_warning(), g_critical(), ...) take the same
 * form as ours, with their log domain in front.  Debug and info
 * messages stay with GLib, which prints them only when G_MESSAGES_DEBUG
 * asks for them.
 */
static void glib_log_to_report(const gchar *domain, GLogLevelFlags level,
                               const gchar *message, gpointer opaque)
{
    g_autofree char *text = NULL;

    if (level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) {
        g_log_default_handler(domain, level, message, opaque);
        return;
    }
    text = domain ? g_strdup_printf("%s: %s", domain, message)
                  : g_strdup(message);
    if (level & G_LOG_LEVEL_MESSAGE) {
        report_line("info: ", text);
    } else if (level & G_LOG_LEVEL_WARNING) {
        report_line("warning: ", text);
    } else {
        report_line("", text);
    }
}

void error_init(const char *argv0)
{
    if (argv0) {
        g_autofree char *name = g_path_get_basename(argv0);

        g_set_prgname(name);
    }
    g_log_set_default_handler(glib_log_to_report, NULL);
}
