/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Error API: raising, passing on, annotating and reporting errors. */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"

struct Error {
    GString *msg;           /* error_get_pretty() */
    GString *hint;          /* error_append_hint() text; NULL if none */
    ErrorClass klass;
    /* Where it was raised, for &error_abort (static strings). */
    const char *src;
    const char *func;
    int line;
};

Error *error_abort;
Error *error_fatal;
Error *error_warn;

/*
 * None of the functions here may change errno: callers raise an error
 * and then still look at errno.  KEEP_ERRNO() puts it back when the
 * function it is declared in returns.
 */
static void errno_put_back(const int *saved)
{
    errno = *saved;
}
#define KEEP_ERRNO() \
    int saved_errno_ __attribute__((cleanup(errno_put_back), unused)) = errno

const char *error_class_name(ErrorClass klass)
{
    static const char *const qmp_names[ERROR_CLASS__MAX] = {
        [ERROR_CLASS_GENERIC_ERROR] = "GenericError",
        [ERROR_CLASS_COMMAND_NOT_FOUND] = "CommandNotFound",
        [ERROR_CLASS_DEVICE_NOT_ACTIVE] = "DeviceNotActive",
        [ERROR_CLASS_DEVICE_NOT_FOUND] = "DeviceNotFound",
        [ERROR_CLASS_KVM_MISSING_CAP] = "KVMMissingCap",
    };

    assert((unsigned)klass < ERROR_CLASS__MAX);
    return qmp_names[klass];
}

const char *error_get_pretty(const Error *err)
{
    return err->msg->str;
}

ErrorClass error_get_class(const Error *err)
{
    return err->klass;
}

/* Print @err's message with @report, then its hints as they are. */
static void error_show(const Error *err,
                       void (*report)(const char *fmt, ...))
{
    report("%s", err->msg->str);
    if (err->hint) {
        error_printf("%s", err->hint->str);
    }
}

void error_free(Error *err)
{
    if (!err) {
        return;
    }
    g_string_free(err->msg, true);
    if (err->hint) {
        g_string_free(err->hint, true);
    }
    g_free(err);
}

/*
 * Where an error goes once it exists: raised, or passed on by
 * error_propagate().  The destinations are described in qapi/error.h.
 */
static void error_deliver(Error **errp, Error *err)
{
    if (errp == &error_abort) {
        fprintf(stderr, "Unexpected error in %s() at %s:%d:\n",
                err->func, err->src, err->line);
        error_show(err, error_report);
        abort();
    }
    if (errp == &error_fatal) {
        error_show(err, error_report);
        exit(1);
    }
    if (errp == &error_warn) {
        error_show(err, warn_report);
    } else if (errp && *errp == NULL) {
        *errp = err;
        return;
    }
    /* Dropped: no destination, or one that already holds an error. */
    error_free(err);
}

/* Make an error of @klass with message @msg (taken over) and deliver it. */
static void error_raise(Error **errp, const char *src, int line,
                        const char *func, ErrorClass klass, char *msg)
{
    Error *err = g_new0(Error, 1);

    assert(*errp == NULL);
    err->msg = g_string_new(msg);
    g_free(msg);
    err->klass = klass;
    err->src = src;
    err->func = func;
    err->line = line;
    error_deliver(errp, err);
}

void error_setg_internal(Error **errp,
                         const char *src, int line, const char *func,
                         const char *fmt, ...)
{
    KEEP_ERRNO();

    if (errp) {
        error_raise(errp, src, line, func, ERROR_CLASS_GENERIC_ERROR,
                    qemu_va_format(fmt));
    }
}

void error_set_internal(Error **errp,
                        const char *src, int line, const char *func,
                        ErrorClass err_class, const char *fmt, ...)
{
    KEEP_ERRNO();

    if (errp) {
        error_raise(errp, src, line, func, err_class, qemu_va_format(fmt));
    }
}

void error_setg_errno_internal(Error **errp,
                               const char *src, int line, const char *func,
                               int os_errno, const char *fmt, ...)
{
    KEEP_ERRNO();
    g_autofree char *what = NULL;

    if (!errp) {
        return;
    }
    what = qemu_va_format(fmt);
    error_raise(errp, src, line, func, ERROR_CLASS_GENERIC_ERROR,
                os_errno ? g_strdup_printf("%s: %s", what,
                                           g_strerror(os_errno))
                         : g_steal_pointer(&what));
}

void error_setg_file_open_internal(Error **errp,
                                   const char *src, int line,
                                   const char *func,
                                   int os_errno, const char *filename)
{
    error_setg_errno_internal(errp, src, line, func, os_errno,
                              "Could not open '%s'", filename);
}

void error_propagate(Error **dst_errp, Error *local_err)
{
    if (local_err) {
        error_deliver(dst_errp, local_err);
    }
}

void error_prepend(Error *const *errp, const char *fmt, ...)
{
    g_autofree char *prefix = NULL;

    if (errp) {
        prefix = qemu_va_format(fmt);
        g_string_prepend((*errp)->msg, prefix);
    }
}

void error_propagate_prepend(Error **dst_errp, Error *err,
                             const char *fmt, ...)
{
    g_autofree char *prefix = NULL;

    /* Only an error that will be kept or shown needs the text. */
    if (err && dst_errp && !*dst_errp) {
        prefix = qemu_va_format(fmt);
        g_string_prepend(err->msg, prefix);
    }
    error_propagate(dst_errp, err);
}

void error_append_hint(Error *const *errp, const char *fmt, ...)
{
    KEEP_ERRNO();
    g_autofree char *more = NULL;
    Error *err;

    if (!errp) {
        return;
    }
    assert(errp != &error_abort && errp != &error_fatal);
    err = *errp;
    assert(err);
    more = qemu_va_format(fmt);
    if (err->hint) {
        g_string_append(err->hint, more);
    } else {
        err->hint = g_string_new(more);
    }
}

Error *error_copy(const Error *err)
{
    Error *dup = g_new(Error, 1);

    *dup = *err;
    dup->msg = g_string_new(err->msg->str);
    dup->hint = err->hint ? g_string_new(err->hint->str) : NULL;
    return dup;
}

void error_free_or_abort(Error **errp)
{
    assert(errp && *errp);
    error_free(g_steal_pointer(errp));
}

void error_report_err(Error *err)
{
    error_show(err, error_report);
    error_free(err);
}

void warn_report_err(Error *err)
{
    error_show(err, warn_report);
    error_free(err);
}

void error_reportf_err(Error *err, const char *fmt, ...)
{
    g_autofree char *prefix = qemu_va_format(fmt);

    g_string_prepend(err->msg, prefix);
    error_report_err(err);
}

void warn_reportf_err(Error *err, const char *fmt, ...)
{
    g_autofree char *prefix = qemu_va_format(fmt);

    g_string_prepend(err->msg, prefix);
    warn_report_err(err);
}
