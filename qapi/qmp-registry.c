/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP command registry: register, find, enable/disable, iterate. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qmp/dispatch.h"

void qmp_command_list_init(QmpCommandList *cmds)
{
    cmds->first = NULL;
    cmds->last = NULL;
}

void qmp_register_command(QmpCommandList *cmds, const char *name,
                          QmpCommandFunc *fn, QmpCommandOptions options,
                          unsigned special_features)
{
    QmpCommand *cmd = g_new0(QmpCommand, 1);

    /* QCO_COROUTINE and QCO_ALLOW_OOB are incompatible */
    assert(!(options & QCO_COROUTINE && options & QCO_ALLOW_OOB));
    assert(!qmp_find_command(cmds, name));
    cmd->name = name;
    cmd->fn = fn;
    cmd->enabled = true;
    cmd->options = options;
    cmd->special_features = special_features;
    if (cmds->last) {
        cmds->last->next = cmd;
    } else {
        cmds->first = cmd;
    }
    cmds->last = cmd;
}

const QmpCommand *qmp_find_command(const QmpCommandList *cmds,
                                   const char *name)
{
    QmpCommand *cmd;

    for (cmd = cmds->first; cmd; cmd = cmd->next) {
        if (strcmp(cmd->name, name) == 0) {
            return cmd;
        }
    }
    return NULL;
}

static void qmp_toggle_command(QmpCommandList *cmds, const char *name,
                               bool enabled, const char *disable_reason)
{
    QmpCommand *cmd;

    for (cmd = cmds->first; cmd; cmd = cmd->next) {
        if (strcmp(cmd->name, name) == 0) {
            cmd->enabled = enabled;
            cmd->disable_reason = disable_reason;
            return;
        }
    }
}

void qmp_disable_command(QmpCommandList *cmds, const char *name,
                         const char *disable_reason)
{
    qmp_toggle_command(cmds, name, false, disable_reason);
}

void qmp_enable_command(QmpCommandList *cmds, const char *name)
{
    qmp_toggle_command(cmds, name, true, NULL);
}

bool qmp_command_is_enabled(const QmpCommand *cmd)
{
    return cmd->enabled;
}

const char *qmp_command_name(const QmpCommand *cmd)
{
    return cmd->name;
}

bool qmp_has_success_response(const QmpCommand *cmd)
{
    return !(cmd->options & QCO_NO_SUCCESS_RESP);
}

void qmp_for_each_command(const QmpCommandList *cmds, qmp_cmd_callback_fn fn,
                          void *opaque)
{
    const QmpCommand *cmd;

    for (cmd = cmds->first; cmd; cmd = cmd->next) {
        fn(cmd, opaque);
    }
}
