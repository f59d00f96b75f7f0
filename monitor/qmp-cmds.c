/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP commands for the run state, the version, the name, the command list. */
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

/* Why the VM cannot continue in its current state, or NULL. */
static const char *cont_refusal(void)
{
    if (runstate_needs_reset()) {
        return "Resetting the Virtual Machine is required";
    }
    if (runstate_check(RUN_STATE_FINISH_MIGRATE)) {
        return "Migration is not finalized yet";
    }
    return NULL;
}

void qmp_cont(Error **errp)
{
    ERRP_GUARD();
    const char *refusal = cont_refusal();

    if (refusal) {
        error_setg(errp, "%s", refusal);
        return;
    }
    /* a suspended guest wakes up on its own event, not on cont */
    if (runstate_check(RUN_STATE_SUSPENDED)) {
        return;
    }
    /*
     * After an outgoing migration completed, the images belong to the
     * destination (inactive): cont takes them back first.  With every
     * node active this does nothing.
     */
    bdrv_activate_all(errp);
    if (*errp) {
        return;
    }
    /* while an incoming migration runs, cont means "run once it is in" */
    if (runstate_check(RUN_STATE_INMIGRATE)) {
        autostart = 1;
        return;
    }
    vm_start();
}

/* {} without -name, as QEMU 7.2 */
NameInfo *qmp_query_name(Error **errp)
{
    NameInfo *info = g_new0(NameInfo, 1);

    info->has_name = qemu_name != NULL;
    info->name = g_strdup(qemu_name);
    return info;
}

VersionInfo *qmp_query_version(Error **errp)
{
    VersionInfo *info = g_new(VersionInfo, 1);
    VersionTriple *qemu = g_new(VersionTriple, 1);

    /* minivmm answers as the QEMU release whose interfaces it follows */
    *qemu = (VersionTriple) {
        .major = QEMU_VERSION_MAJOR,
        .minor = QEMU_VERSION_MINOR,
        .micro = QEMU_VERSION_MICRO,
    };
    *info = (VersionInfo) {
        .qemu = qemu,
        .package = g_strdup(QEMU_PKGVERSION),
    };
    return info;
}

/* qmp_for_each_command() callback: prepend enabled commands to a list */
static void list_enabled_command(const QmpCommand *cmd, void *opaque)
{
    CommandInfoList **list = opaque;
    CommandInfo *info;

    if (qmp_command_is_enabled(cmd)) {
        info = g_new(CommandInfo, 1);
        *info = (CommandInfo) { .name = g_strdup(qmp_command_name(cmd)) };
        QAPI_LIST_PREPEND(*list, info);
    }
}

CommandInfoList *qmp_query_commands(Error **errp)
{
    Monitor *mon = monitor_cur();
    CommandInfoList *list = NULL;

    /*
     * Before negotiation a QMP client sees what it may run then: only
     * qmp_capabilities.  Prepending gives QEMU's order, newest first.
     */
    qmp_for_each_command(mon && monitor_is_qmp(mon) ?
                         container_of(mon, MonitorQMP, common)->commands :
                         &qmp_commands,
                         list_enabled_command, &list);
    return list;
}
