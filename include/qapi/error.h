/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Error objects: QEMU 7.2's Error API, its names and its rules. */
#ifndef ERROR_H
#define ERROR_H

/*
 * How errors travel.
 *
 * A function that can fail takes "Error **errp" last and reports failure
 * in its return value too (false, NULL or negative).  The caller picks
 * what happens to the error through @errp:
 *   NULL            nothing, the error is dropped;
 *   &local          it lands in "Error *local = NULL" for the caller;
 *   &error_abort    the program aborts: failing here is a bug;
 *   &error_fatal    it is reported and the program exits with status 1;
 *   &error_warn     it is reported as a warning and dropped.
 * Raising an error where *errp already holds one is a bug.  A function
 * that needs to look at *errp, or to add to the error, starts with
 * ERRP_GUARD().
 */

/* What kind of error it is, for QMP; in QEMU's qapi/error.json order. */
typedef enum ErrorClass {
    ERROR_CLASS_GENERIC_ERROR,
    ERROR_CLASS_COMMAND_NOT_FOUND,
    ERROR_CLASS_DEVICE_NOT_ACTIVE,
    ERROR_CLASS_DEVICE_NOT_FOUND,
    ERROR_CLASS_KVM_MISSING_CAP,
    ERROR_CLASS__MAX,
} ErrorClass;

/* The special destinations described above. */
extern Error *error_abort;
extern Error *error_fatal;
extern Error *error_warn;

/* The class as QMP spells it: "GenericError", "DeviceNotFound", ... */
const char *error_class_name(ErrorClass klass);

/* The message for people, and the class. */
const char *error_get_pretty(const Error *err);
ErrorClass error_get_class(const Error *err);

/*
 * Raising an error.  The macros record where it was raised, which
 * &error_abort prints.
 *
 * error_setg(): a GenericError with a printf-style message.
 * error_setg_errno(): the same, followed by ": " and the text for
 *   @os_error when that is not 0.
 * error_setg_file_open(): "Could not open '<filename>'" plus the errno
 *   text.
 * error_set(): a message of another class.
 * None of them changes errno.
 */
#define error_setg(errp, fmt, ...)                                      \
    error_setg_internal((errp), __FILE__, __LINE__, __func__,           \
                        (fmt), ## __VA_ARGS__)
#define error_setg_errno(errp, os_error, fmt, ...)                      \
    error_setg_errno_internal((errp), __FILE__, __LINE__, __func__,     \
                              (os_error), (fmt), ## __VA_ARGS__)
#define error_setg_file_open(errp, os_errno, filename)                  \
    error_setg_file_open_internal((errp), __FILE__, __LINE__, __func__, \
                                  (os_errno), (filename))
#define error_set(errp, err_class, fmt, ...)                            \
    error_set_internal((errp), __FILE__, __LINE__, __func__,            \
                       (err_class), (fmt), ## __VA_ARGS__)

void error_setg_internal(Error **errp,
                         const char *src, int line, const char *func,
                         const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);
void error_set_internal(Error **errp,
                        const char *src, int line, const char *func,
                        ErrorClass err_class, const char *fmt, ...)
    G_GNUC_PRINTF(6, 7);
void error_setg_errno_internal(Error **errp,
                               const char *fname, int line, const char *func,
                               int os_error, const char *fmt, ...)
    G_GNUC_PRINTF(6, 7);
void error_setg_file_open_internal(Error **errp,
                                   const char *src, int line,
                                   const char *func,
                                   int os_errno, const char *filename);

/*
 * Hand @local_err (if not NULL) on to @dst_errp, which treats it like a
 * freshly raised error; except that an error already in *@dst_errp
 * stays, and @local_err is then freed.
 */
void error_propagate(Error **dst_errp, Error *local_err);

/*
 * error_prepend() on @local_err, then error_propagate().  The text is
 * not made when the error is going to be dropped anyway.
 */
void error_propagate_prepend(Error **dst_errp, Error *local_err,
                             const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/*
 * Put printf-style text in front of the message of the error in
 * *@errp; nothing when @errp is NULL.
 */
void error_prepend(Error *const *errp, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

/*
 * Add printf-style advice for people to the error in *@errp, shown
 * after the message by error_report_err() and friends but not sent over
 * QMP.  The text should end with a newline; hints add up.  Nothing when
 * @errp is NULL; @errp may not be &error_abort nor &error_fatal (use
 * ERRP_GUARD()).
 */
void error_append_hint(Error *const *errp, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

/* A new error equal to @err, hints included. */
Error *error_copy(const Error *err);

/* Free @err, which may be NULL. */
void error_free(Error *err);

/* For tests: *@errp must hold an error, which is freed and cleared. */
void error_free_or_abort(Error **errp);

/*
 * Report @err, then its hints, with error_report() (or warn_report()),
 * and free it.  The "f" variants first put printf-style text in front of
 * the message.
 */
void error_report_err(Error *err);
void warn_report_err(Error *err);
void error_reportf_err(Error *err, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
void warn_reportf_err(Error *err, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

/*
 * ERRP_GUARD(): the first statement of a function that reads *errp or
 * adds to the error there.  When the caller passed NULL, &error_fatal or
 * &error_warn, errp is pointed at an error local to the function, so
 * that *errp shows whether something failed; on leaving the function
 * that error goes on to the caller's destination.
 */
typedef struct ErrorPropagator {
    Error *local_err;   /* the stand-in *errp */
    Error **errp;       /* the caller's destination */
} ErrorPropagator;

static inline void error_propagator_cleanup(ErrorPropagator *prop)
{
    error_propagate(prop->errp, prop->local_err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ErrorPropagator, error_propagator_cleanup);

/* ERRP_GUARD()'s choice: keep the caller's errp, or use the stand-in. */
static inline Error **error_guard_errp(ErrorPropagator *prop)
{
    Error **dst = prop->errp;
    bool can_look = dst && dst != &error_fatal && dst != &error_warn;

    return can_look ? dst : &prop->local_err;
}

#define ERRP_GUARD()                                                    \
    g_auto(ErrorPropagator) errp_guard_ = { .errp = errp };             \
    errp = error_guard_errp(&errp_guard_)

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Error, error_free);

#endif /* ERROR_H */
