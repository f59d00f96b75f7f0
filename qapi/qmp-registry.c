/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP command registry: register, find, enable/disable, iterate. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qmp/dispatch.h"

/*
 * A list holds at most a few hundred commands and is searched once per
 * request: a linear search of a GPtrArray is plenty, and keeps the
 * registration order query-commands reports.
 */

void qmp_command_list_init(QmpCommandList *cmds)
{
    if (cmds->cmds) {
        g_ptr_array_unref(cmds->cmds);
    }
    cmds->cmds = g_ptr_array_new_with_free_func(g_free);
}

static gboolean command_has_name(gconstpointer cmd, gconstpointer name)
{
    return g_str_equal(((const QmpCommand *)cmd)->name, name);
}

static QmpCommand *lookup(const QmpCommandList *cmds, const char *name)
{
    guint i;

    if (!g_ptr_array_find_with_equal_func(cmds->cmds, name,
                                          command_has_name, &i)) {
        return NULL;
    }
    return g_ptr_array_index(cmds->cmds, i);
}

void qmp_register_command(QmpCommandList *cmds, const char *name,
                          QmpCommandFunc *fn, QmpCommandOptions options,
                          unsigned special_features)
{
    QmpCommand *cmd = g_new(QmpCommand, 1);

    /* a coroutine command cannot run out of band */
    assert(!(options & QCO_COROUTINE) || !(options & QCO_ALLOW_OOB));
    assert(!lookup(cmds, name));
    *cmd = (QmpCommand) {
        .name = name,
        .fn = fn,
        .options = options,
        .special_features = special_features,
        .enabled = true,
    };
    g_ptr_array_add(cmds->cmds, cmd);
}

const QmpCommand *qmp_find_command(const QmpCommandList *cmds,
                                   const char *name)
{
    return lookup(cmds, name);
}

void qmp_disable_command(QmpCommandList *cmds, const char *name,
                         const char *disable_reason)
{
    QmpCommand *cmd = lookup(cmds, name);

    if (cmd) {
        cmd->enabled = false;
        cmd->disable_reason = disable_reason;
    }
}

void qmp_enable_command(QmpCommandList *cmds, const char *name)
{
    QmpCommand *cmd = lookup(cmds, name);

    if (cmd) {
        cmd->enabled = true;
        cmd->disable_reason = NULL;
    }
}

void qmp_for_each_command(const QmpCommandList *cmds, qmp_cmd_callback_fn fn,
                          void *opaque)
{
    guint i;

    for (i = 0; i < cmds->cmds->len; i++) {
        fn(g_ptr_array_index(cmds->cmds, i), opaque);
    }
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
    return (cmd->options & QCO_NO_SUCCESS_RESP) == 0;
}
