/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reporting errors to the human user: error_report() and source locations. */
#ifndef QEMU_ERROR_REPORT_H
#define QEMU_ERROR_REPORT_H

/*
 * A source location that error_report() prefixes to its message, e.g.
 * the command line option being parsed.  Locations form a stack; the
 * top one is the current location.
 */
typedef struct Location {
    /* all members are private to util/error-report.c */
    enum { LOC_NONE, LOC_CMDLINE, LOC_FILE } kind;
    int num;                /* LOC_CMDLINE: arg count; LOC_FILE: line */
    const void *ptr;        /* LOC_CMDLINE: argv + idx; LOC_FILE: name */
    struct Location *prev;  /* next location down the stack */
} Location;

/* Push a copy of @loc (its contents are restored) and make it current. */
Location *loc_push_restore(Location *loc);
/* Push @loc, set to "no location", and make it current. */
Location *loc_push_none(Location *loc);
/* Pop @loc, which must be the current location; returns it. */
Location *loc_pop(Location *loc);
/* Save the current location's contents in @loc. */
Location *loc_save(Location *loc);
/* Change the current location's contents to those of @loc. */
void loc_restore(Location *loc);
/* Set the current location to "none". */
void loc_set_none(void);
/* Set the current location to @cnt words of @argv starting at @idx. */
void loc_set_cmdline(char **argv, int idx, int cnt);
/* Set the current location to line @lno of file @fname (@lno 0: none). */
void loc_set_file(const char *fname, int lno);

/*
 * Print to the current HMP monitor if there is one, else to stderr.
 * Return the number of characters printed, or a negative value.
 */
int error_vprintf(const char *fmt, va_list ap) G_GNUC_PRINTF(1, 0);
int error_printf(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Like error_vprintf(), but print nothing when the monitor is QMP. */
void error_vprintf_unless_qmp(const char *fmt, va_list ap)
    G_GNUC_PRINTF(1, 0);
void error_printf_unless_qmp(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/*
 * Print an error message to the current monitor or stderr, formatted as
 * "<progname>: <location>: <message>\n" (no progname when printing to an
 * HMP monitor; no location when there is none).  warn_report() adds
 * "warning: " and info_report() "info: " before the message.
 */
void error_vreport(const char *fmt, va_list ap) G_GNUC_PRINTF(1, 0);
void warn_vreport(const char *fmt, va_list ap) G_GNUC_PRINTF(1, 0);
void info_vreport(const char *fmt, va_list ap) G_GNUC_PRINTF(1, 0);

void error_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void warn_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void info_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/*
 * Report once: print only if *@printed is false, then set it.
 * Return true if the message was printed.
 */
bool error_report_once_cond(bool *printed, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
bool warn_report_once_cond(bool *printed, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

#define error_report_once(fmt, ...)                                     \
    ({                                                                  \
        static bool print_once_;                                        \
        error_report_once_cond(&print_once_, fmt, ##__VA_ARGS__);       \
    })

#define warn_report_once(fmt, ...)                                      \
    ({                                                                  \
        static bool print_once_;                                        \
        warn_report_once_cond(&print_once_, fmt, ##__VA_ARGS__);        \
    })

/*
 * Initialise error reporting: the program name is the basename of
 * @argv0 (NULL: keep the default, "minivmm").
 */
void error_init(const char *argv0);

/* Returns: the program name used as the error message prefix. */
const char *error_get_progname(void);

/* Prefix messages with an ISO 8601 timestamp (-msg timestamp=on). */
extern bool message_with_timestamp;

#endif /* QEMU_ERROR_REPORT_H */
