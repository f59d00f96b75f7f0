/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The debug log: qemu_log() to stderr or the -D file. */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/log.h"

int qemu_loglevel = LOG_TRACE;

/* Guards log_file and serialises writers. */
static GMutex log_lock;
/* The -D file, or NULL for stderr. */
static FILE *log_file;

bool qemu_log_enabled(void)
{
    return log_file != NULL;
}

FILE *qemu_log_trylock(void)
{
    g_mutex_lock(&log_lock);
    return log_file ? log_file : stderr;
}

void qemu_log_unlock(FILE *logfile)
{
    if (logfile) {
        fflush(logfile);
        g_mutex_unlock(&log_lock);
    }
}

void qemu_log(const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;
    FILE *f;

    /* Format first, so that one line is one write. */
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);

    f = qemu_log_trylock();
    fputs(msg, f);
    qemu_log_unlock(f);
}

bool qemu_set_log(int log_flags, Error **errp)
{
    qemu_loglevel = log_flags;
    return true;
}

bool qemu_set_log_filename(const char *filename, Error **errp)
{
    FILE *f = NULL;

    if (filename) {
        f = fopen(filename, "a");
        if (!f) {
            error_setg_errno(errp, errno, "Error opening logfile %s",
                             filename);
            return false;
        }
        setvbuf(f, NULL, _IOLBF, 0);
    }

    g_mutex_lock(&log_lock);
    if (log_file) {
        fclose(log_file);
    }
    log_file = f;
    g_mutex_unlock(&log_lock);
    return true;
}
