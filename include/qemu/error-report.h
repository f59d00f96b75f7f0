/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Messages for people: error_report() and the location it names. */
#ifndef QEMU_ERROR_REPORT_H
#define QEMU_ERROR_REPORT_H

/*
 * Where the input that a message is about came from, e.g. the command
 * line option being parsed.  Each thread has a stack of them; the one on
 * top prefixes that thread's messages.  Push one with loc_push_none(),
 * point it somewhere with loc_set_*(), and loc_pop() it when done.
 */
typedef struct Location {
    /* Private to util/error-report.c. */
    char **words;           /* command line words, or NULL */
    const char *file;       /* file name, or NULL */
    int num;                /* how many words; the file's line (0: none) */
    struct Location *under; /* the location this one covers */
} Location;

Location *loc_push_none(Location *loc);
Location *loc_pop(Location *loc);

/* The current location names nothing. */
void loc_set_none(void);
/* The current location is @cnt words of @argv from index @idx on. */
void loc_set_cmdline(char **argv, int idx, int cnt);
/*
 * The current location is line @lno (0: no line) of file @fname; a NULL
 * @fname keeps the file the location already names.
 */
void loc_set_file(const char *fname, int lno);

/*
 * Plain text to the HMP monitor whose command is running, else to
 * stderr.  Returns what vfprintf() would.
 */
int error_vprintf(const char *fmt, va_list ap) G_GNUC_PRINTF(1, 0);
int error_printf(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/*
 * One line for people, where error_printf() prints:
 *   "[<time> ]<program>: <location>: [warning: |info: ]<message>\n"
 * The program name is left out inside a monitor, and so is the time
 * (-msg timestamp=on turns it on); see the code for the location's form.
 */
void error_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void warn_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void info_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/*
 * Set the program name to the last part of @argv0 (NULL: keep it) and
 * send GLib's own warnings through error_report().
 */
void error_init(const char *argv0);

/* The program name that messages start with ("minivmm" by default). */
const char *error_get_progname(void);

/* -msg timestamp=on: messages start with an ISO 8601 UTC time. */
extern bool message_with_timestamp;

#endif /* QEMU_ERROR_REPORT_H */
