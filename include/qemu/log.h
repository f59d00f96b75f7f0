/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Debug logging (-d, -D) and the trace log backend's sink, as QEMU's. */
#ifndef QEMU_LOG_H
#define QEMU_LOG_H

/* Log categories (-d), as QEMU's bit numbers. */
#define LOG_GUEST_ERROR    (1 << 11)
#define LOG_UNIMP          (1 << 10)
#define LOG_TRACE          (1 << 15)

/* The enabled categories; LOG_TRACE is set by default. */
extern int qemu_loglevel;

static inline bool qemu_loglevel_mask(int mask)
{
    return (qemu_loglevel & mask) != 0;
}

/* Returns: true if a log file other than stderr is open. */
bool qemu_log_enabled(void);

/*
 * qemu_log:
 * Print to the log (stderr unless qemu_set_log_filename() chose a file)
 * atomically with respect to other qemu_log() calls.
 */
void qemu_log(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Log only if any category in @MASK is enabled. */
#define qemu_log_mask(MASK, FMT, ...)                   \
    do {                                                \
        if (unlikely(qemu_loglevel_mask(MASK))) {       \
            qemu_log(FMT, ## __VA_ARGS__);              \
        }                                               \
    } while (0)

/*
 * Lock the log and return its stream for several writes; NULL if there
 * is no log.  Release with qemu_log_unlock().
 */
FILE *qemu_log_trylock(void);
void qemu_log_unlock(FILE *logfile);

/* Set the enabled categories (replaces them). */
bool qemu_set_log(int log_flags, Error **errp);

/*
 * Send the log to @filename (opened for append); NULL goes back to stderr.
 * Returns false with @errp set if it cannot be opened.
 */
bool qemu_set_log_filename(const char *filename, Error **errp);

#endif /* QEMU_LOG_H */
