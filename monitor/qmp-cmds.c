/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP commands for the run state, the version and the command list. */
#include "qemu/osdep.h"

#include "block/block.h"
#include "monitor-internal.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-control.h"
#include "qapi/qapi-commands-misc.h"
#include "qapi/qapi-commands-run-state.h"
#include "qapi/util.h"
#include "sysemu/runstate.h"
#include "sysemu/sysemu.h"

void qmp_quit(Error **errp)
{
    qemu_system_shutdown_request(SHUTDOWN_CAUSE_HOST_QMP_QUIT);
}

void qmp_stop(Error **errp)
{
    if (runstate_check(RUN_STATE_INMIGRATE)) {
        autostart = 0;
    } else {
        vm_stop(RUN_STATE_PAUSED);
    }
}

void qmp_cont(Error **errp)
{
    Error *local_err = NULL;

    if (runstate_needs_reset()) {
        error_setg(errp, "Resetting the Virtual Machine is required");
        return;
    } else if (runstate_check(RUN_STATE_SUSPENDED)) {
        return;
    } else if (runstate_check(RUN_STATE_FINISH_MIGRATE)) {
        error_setg(errp, "Migration is not finalized yet");
        return;
    }
    /*
     * Continuing after a completed outgoing migration: the images were
     * inactivated for the destination; take them back.  Without
     * inactive nodes this does nothing.
     */
    bdrv_activate_all(&local_err);
    if (local_err) {
        error_propagate(errp, local_err);
        return;
    }
    if (runstate_check(RUN_STATE_INMIGRATE)) {
        autostart = 1;
    } else {
        vm_start();
    }
}

VersionInfo *qmp_query_version(Error **errp)
{
    VersionInfo *info = g_new0(VersionInfo, 1);

    info->qemu = g_new0(VersionTriple, 1);
    info->qemu->major = QEMU_VERSION_MAJOR;
    info->qemu->minor = QEMU_VERSION_MINOR;
    info->qemu->micro = QEMU_VERSION_MICRO;
    info->package = g_strdup(QEMU_PKGVERSION);
    return info;
}

static void query_commands_cb(const QmpCommand *cmd, void *opaque)
{
    CommandInfoList **list = opaque;
    CommandInfo *info;

    if (!qmp_command_is_enabled(cmd)) {
        return;
    }
    info = g_new0(CommandInfo, 1);
    info->name = g_strdup(qmp_command_name(cmd));
    QAPI_LIST_PREPEND(*list, info);
}

CommandInfoList *qmp_query_commands(Error **errp)
{
    Monitor *cur_mon = monitor_cur();
    const QmpCommandList *cmds = &qmp_commands;
    CommandInfoList *list = NULL;

    if (cur_mon && monitor_is_qmp(cur_mon)) {
        cmds = container_of(cur_mon, MonitorQMP, common)->commands;
    }
    qmp_for_each_command(cmds, query_commands_cb, &list);
    return list;
}
