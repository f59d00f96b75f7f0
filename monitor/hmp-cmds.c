/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HMP handlers for run state control and general information. */
#include "qemu/osdep.h"

#include "monitor-internal.h"
#include "monitor/hmp.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-control.h"
#include "qapi/qapi-commands-misc.h"
#include "qapi/qapi-commands-run-state.h"
#include "sysemu/sysemu.h"

void hmp_info_status(Monitor *mon, const json_t *qdict)
{
    StatusInfo *info = qmp_query_status(NULL);
    g_autoptr(GString) line = g_string_new("VM status: ");

    g_string_append(line, info->running ? "running" : "paused");
    if (info->singlestep) {
        g_string_append(line, " (single step mode)");
    }
    /* a stopped VM says why, unless it was merely paused */
    if (!info->running && info->status != RUN_STATE_PAUSED) {
        g_string_append_printf(line, " (%s)", RunState_str(info->status));
    }
    monitor_printf(mon, "%s\n", line->str);
    qapi_free_StatusInfo(info);
}

void hmp_info_version(Monitor *mon, const json_t *qdict)
{
    VersionInfo *info = qmp_query_version(NULL);

    monitor_printf(mon, "%" PRId64 ".%" PRId64 ".%" PRId64 "%s\n",
                   info->qemu->major, info->qemu->minor, info->qemu->micro,
                   info->package);
    qapi_free_VersionInfo(info);
}

void hmp_info_name(Monitor *mon, const json_t *qdict)
{
    NameInfo *info = qmp_query_name(NULL);

    if (info->has_name) {
        monitor_printf(mon, "%s\n", info->name);
    }
    qapi_free_NameInfo(info);
}

void hmp_quit(Monitor *mon, const json_t *qdict)
{
    monitor_suspend(mon);
    qmp_quit(NULL);
}

void hmp_stop(Monitor *mon, const json_t *qdict)
{
    qmp_stop(NULL);
}

void hmp_cont(Monitor *mon, const json_t *qdict)
{
    Error *err = NULL;

    qmp_cont(&err);
    hmp_handle_error(mon, err);
}
