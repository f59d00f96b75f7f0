/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Error reporting objects: the Error API with QEMU 7.2's names and rules. */
#ifndef ERROR_H
#define ERROR_H

/*
 * Rules (as in QEMU):
 * - Functions that can fail take "Error **errp" as their last argument and
 *   return a bool (true on success) or a pointer (NULL on failure).
 * - @errp may be NULL (ignore errors), &error_abort (abort on error),
 *   &error_fatal (report and exit(1)), &error_warn (report as a warning
 *   and go on), or the address of a NULL Error *.
 * - Setting an error when *errp is already set is a programming error.
 * - Use ERRP_GUARD() in a function that dereferences errp or calls
 *   error_prepend()/error_append_hint() on it.
 */

/*
 * The error classes QMP can report (QEMU's QapiErrorClass).  The order
 * matches QEMU's qapi/error.json.
 */
typedef enum ErrorClass {
    ERROR_CLASS_GENERIC_ERROR,
    ERROR_CLASS_COMMAND_NOT_FOUND,
    ERROR_CLASS_DEVICE_NOT_ACTIVE,
    ERROR_CLASS_DEVICE_NOT_FOUND,
    ERROR_CLASS_KVM_MISSING_CAP,
    ERROR_CLASS__MAX,
} ErrorClass;

/**
 * error_class_name:
 * @klass: an error class
 *
 * Returns: the QMP name of @klass ("GenericError", "CommandNotFound",
 * "DeviceNotActive", "DeviceNotFound", "KVMMissingCap").
 */
const char *error_class_name(ErrorClass klass);

/**
 * error_get_pretty:
 * Returns: @err's human-readable message.
 */
const char *error_get_pretty(const Error *err);

/**
 * error_get_class:
 * Returns: @err's error class.
 */
ErrorClass error_get_class(const Error *err);

/*
 * Create a new error object and assign it to *@errp.
 * If @errp is NULL, the error is ignored.  @errp must not point to an
 * already set error.  With &error_abort, abort(); with &error_fatal,
 * report the error and exit(1).
 */
#define error_setg(errp, fmt, ...)                              \
    error_setg_internal((errp), __FILE__, __LINE__, __func__,   \
                        (fmt), ## __VA_ARGS__)
void error_setg_internal(Error **errp,
                         const char *src, int line, const char *func,
                         const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);

/*
 * Just like error_setg(), with @os_error info added to the message:
 * ": " followed by strerror(@os_error).
 */
#define error_setg_errno(errp, os_error, fmt, ...)                      \
    error_setg_errno_internal((errp), __FILE__, __LINE__, __func__,     \
                              (os_error), (fmt), ## __VA_ARGS__)
void error_setg_errno_internal(Error **errp,
                               const char *fname, int line, const char *func,
                               int os_error, const char *fmt, ...)
    G_GNUC_PRINTF(6, 7);

/*
 * Convenience function to report open() failure:
 * "Could not open '<filename>': <strerror(os_errno)>".
 */
#define error_setg_file_open(errp, os_errno, filename)                  \
    error_setg_file_open_internal((errp), __FILE__, __LINE__, __func__, \
                                  (os_errno), (filename))
void error_setg_file_open_internal(Error **errp,
                                   const char *src, int line,
                                   const char *func,
                                   int os_errno, const char *filename);

/*
 * Like error_setg(), with an explicit error class.
 */
#define error_set(errp, err_class, fmt, ...)                    \
    error_set_internal((errp), __FILE__, __LINE__, __func__,    \
                       (err_class), (fmt), ## __VA_ARGS__)
void error_set_internal(Error **errp,
                        const char *src, int line, const char *func,
                        ErrorClass err_class, const char *fmt, ...)
    G_GNUC_PRINTF(6, 7);

/*
 * Like error_setg(), with a va_list.
 */
void error_vsetg_internal(Error **errp,
                          const char *src, int line, const char *func,
                          const char *fmt, va_list ap)
    G_GNUC_PRINTF(5, 0);

/*
 * Propagate error object (if any) from @local_err to @dst_errp.
 * If @local_err is NULL, do nothing.  If @dst_errp is NULL, free the
 * error.  If @dst_errp is &error_abort/&error_fatal, abort/exit.
 * If *@dst_errp is already set, @local_err is freed (first error wins).
 */
void error_propagate(Error **dst_errp, Error *local_err);

/*
 * Propagate error object (if any) with some text prepended.
 * Behaves like error_prepend(&local_err, fmt, ...) + error_propagate().
 */
void error_propagate_prepend(Error **dst_errp, Error *local_err,
                             const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/*
 * Prepend some text to @errp's human-readable error message.
 * The text is made by formatting @fmt, @ap like vprintf().
 */
void error_vprepend(Error *const *errp, const char *fmt, va_list ap)
    G_GNUC_PRINTF(2, 0);

/*
 * Prepend some text to @errp's human-readable error message.
 * The text is made by formatting @fmt, ... like printf().
 */
void error_prepend(Error *const *errp, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

/*
 * Append a printf-style human-readable explanation to an existing error.
 * If the error is later reported to a human user with
 * error_report_err() or warn_report_err(), the hints will be shown too.
 * If it's reported via QMP, the hints will be ignored.
 * Intended use is adding helpful hints on the human user interface,
 * e.g. a list of valid values.  It's not for clarifying a confusing
 * error message.
 * @errp may be NULL, but not &error_fatal or &error_abort.
 * Trivially the case if you call it only after error_setg() or
 * error_propagate().
 * May be called multiple times.  The resulting hint should end with a
 * newline.
 */
void error_append_hint(Error *const *errp, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

/*
 * Return an exact copy of @err.
 */
Error *error_copy(const Error *err);

/*
 * Free @err.  @err may be NULL.
 */
void error_free(Error *err);

/*
 * Convenience function to assert that *@errp is set, then silently free it.
 */
void error_free_or_abort(Error **errp);

/*
 * Convenience function to warn_report() and free @err.
 * The report includes hints added with error_append_hint().
 */
void warn_report_err(Error *err);

/*
 * Convenience function to error_report() and free @err.
 * The report includes hints added with error_append_hint().
 */
void error_report_err(Error *err);

/*
 * Convenience function to error_prepend(), warn_report() and free @err.
 */
void warn_reportf_err(Error *err, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

/*
 * Convenience function to error_prepend(), error_report() and free @err.
 */
void error_reportf_err(Error *err, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

/*
 * Special error destination to abort on error.
 * See error_setg() and error_propagate() for details.
 */
extern Error *error_abort;

/*
 * Special error destination to exit(1) on error.
 * See error_setg() and error_propagate() for details.
 */
extern Error *error_fatal;

/*
 * Special error destination to warn on error: the error is reported with
 * warn_report_err() and then ignored.
 */
extern Error *error_warn;

/*
 * ERRP_GUARD
 *
 * This macro is for use in functions that take an Error **errp
 * parameter and need to dereference it (check *errp) or pass it to
 * error_prepend(), error_vprepend() or error_append_hint().
 *
 * If errp is NULL, &error_fatal or &error_warn, it is rewritten to point
 * to a local Error variable, which is propagated to the original errp on
 * function exit.  Use it as the first statement of the function.
 */
typedef struct ErrorPropagator {
    Error *local_err;   /* error collected while errp is redirected */
    Error **errp;       /* the caller's errp, restored on scope exit */
} ErrorPropagator;

static inline void error_propagator_cleanup(ErrorPropagator *prop)
{
    error_propagate(prop->errp, prop->local_err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ErrorPropagator, error_propagator_cleanup);

#define ERRP_GUARD()                                            \
    g_auto(ErrorPropagator) _auto_errp_prop = {.errp = errp};   \
    do {                                                        \
        if (!errp || errp == &error_fatal ||                    \
            errp == &error_warn) {                              \
            errp = &_auto_errp_prop.local_err;                  \
        }                                                       \
    } while (0)

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Error, error_free);

#endif /* ERROR_H */
