/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP command registry and dispatch (QEMU 7.2 API over jansson). */
#ifndef QAPI_QMP_DISPATCH_H
#define QAPI_QMP_DISPATCH_H

#include <jansson.h>

/* A command handler: @args is a JSON object; *@ret gets the result. */
typedef void (QmpCommandFunc)(json_t *args, json_t **ret, Error **errp);

typedef enum QmpCommandOptions {
    QCO_NO_OPTIONS            =  0x0,
    QCO_NO_SUCCESS_RESP       =  (1U << 0),
    QCO_ALLOW_OOB             =  (1U << 1),
    QCO_ALLOW_PRECONFIG       =  (1U << 2),
    QCO_COROUTINE             =  (1U << 3),
} QmpCommandOptions;

/* A registered command; see the accessors below. */
typedef struct QmpCommand {
    const char *name;             /* QMP name, e.g. "query-status" */
    QmpCommandFunc *fn;           /* marshaller */
    QmpCommandOptions options;    /* QCO_* flags */
    unsigned special_features;    /* 1 << QAPI_DEPRECATED etc. */
    bool enabled;                 /* false after qmp_disable_command() */
    const char *disable_reason;   /* NULL or why it is disabled */
} QmpCommand;

/*
 * A set of commands, kept in registration order.  qmp_command_list_init()
 * it before use (the generated qmp_init_marshal() does).
 */
typedef struct QmpCommandList {
    GPtrArray *cmds;              /* QmpCommand *, owned */
} QmpCommandList;

/* Make @cmds an empty list, dropping any commands it held. */
void qmp_command_list_init(QmpCommandList *cmds);

/*
 * Register @fn as command @name (a string that outlives @cmds).  Each
 * name once per list; QCO_COROUTINE excludes QCO_ALLOW_OOB.
 */
void qmp_register_command(QmpCommandList *cmds, const char *name,
                          QmpCommandFunc *fn, QmpCommandOptions options,
                          unsigned special_features);

/* Look @name up; NULL if it is not registered. */
const QmpCommand *qmp_find_command(const QmpCommandList *cmds,
                                   const char *name);

/*
 * Disabled commands stay listed but fail with "Command NAME has been
 * disabled: @err_msg".  An unknown @name is ignored.
 */
void qmp_disable_command(QmpCommandList *cmds, const char *name,
                         const char *err_msg);
void qmp_enable_command(QmpCommandList *cmds, const char *name);

/* Call @fn for each command of @cmds, in registration order. */
typedef void (*qmp_cmd_callback_fn)(const QmpCommand *cmd, void *opaque);
void qmp_for_each_command(const QmpCommandList *cmds, qmp_cmd_callback_fn fn,
                          void *opaque);

/* Accessors */
bool qmp_command_is_enabled(const QmpCommand *cmd);
const char *qmp_command_name(const QmpCommand *cmd);
/* False for QCO_NO_SUCCESS_RESP commands, which answer only errors. */
bool qmp_has_success_response(const QmpCommand *cmd);
/* Whether @cmd may run in the current state (always, here). */
bool qmp_command_available(const QmpCommand *cmd, Error **errp);

/**
 * qmp_error_response:
 * Returns {"error": {"class": ..., "desc": ...}} for @err, and frees it.
 */
json_t *qmp_error_response(Error *err);

/**
 * qmp_dispatch:
 * @request: the parsed request (any JSON value)
 * @allow_oob: whether "exec-oob" is accepted
 * @cur_mon: the requesting monitor (informational; the caller sets the
 *           current monitor with monitor_set_cur() around this call)
 *
 * Runs the command and returns the full response: {"return": ...} or
 * {"error": {...}}, with the request's "id" copied as the last member.
 * Returns NULL for QCO_NO_SUCCESS_RESP commands that succeed.
 */
json_t *qmp_dispatch(const QmpCommandList *cmds, json_t *request,
                     bool allow_oob, Monitor *cur_mon);

/* Whether @dict is an out-of-band request ("exec-oob" member). */
bool qmp_is_oob(const json_t *dict);

#endif /* QAPI_QMP_DISPATCH_H */
