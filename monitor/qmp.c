/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP monitors: greeting, negotiation, JSON framing, dispatch, replies. */
#include "qemu/osdep.h"

#include "monitor-internal.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-control.h"
#include "qapi/qapi-init-commands.h"
#include "qapi/qmp/qjson.h"
#include "qemu/error-report.h"
#include "trace.h"

/* Every command, and the only one allowed before negotiation. */
QmpCommandList qmp_commands;
QmpCommandList qmp_cap_negotiation_commands;

/* Largest chunk of input taken from the chardev at a time. */
#define QMP_READ_CHUNK 4096

void monitor_init_qmp_commands(void)
{
    qmp_command_list_init(&qmp_commands);
    qmp_init_marshal(&qmp_commands);

    qmp_command_list_init(&qmp_cap_negotiation_commands);
    qmp_register_command(&qmp_cap_negotiation_commands, "qmp_capabilities",
                         qmp_marshal_qmp_capabilities, QCO_ALLOW_PRECONFIG,
                         0);
}

char *monitor_qmp_to_json(const json_t *obj)
{
    GString *json = qobject_to_json(obj);

    return g_string_free(json, false);
}

void qmp_send_response(MonitorQMP *mon, const json_t *rsp)
{
    g_autofree char *json = monitor_qmp_to_json(rsp);
    g_autofree char *line = NULL;

    trace_monitor_qmp_respond(mon, json);
    if (mon->pretty) {
        g_autoptr(GString) text = qobject_to_json_pretty(rsp, true);
        g_auto(GStrv) lines = g_strsplit(text->str, "\n", -1);
        g_autofree char *joined = g_strjoinv("\r\n", lines);

        /* every line ends in "\r\n", as QEMU's monitor output does */
        line = g_strconcat(joined, "\r\n", NULL);
    } else {
        line = g_strconcat(json, "\r\n", NULL);
    }
    monitor_write_raw(&mon->common, line, strlen(line));
}

static void monitor_qmp_caps_reset(MonitorQMP *mon)
{
    memset(mon->capab_offered, 0, sizeof(mon->capab_offered));
    memset(mon->capab, 0, sizeof(mon->capab));
    /* Commands run in order, so out-of-band is trivially satisfiable. */
    mon->capab_offered[QMP_CAPABILITY_OOB] = true;
}

static bool qmp_oob_enabled(MonitorQMP *mon)
{
    return mon->capab[QMP_CAPABILITY_OOB];
}

/* Accept the capabilities in @list, all or none. */
static bool qmp_caps_accept(MonitorQMP *mon, QMPCapabilityList *list,
                            Error **errp)
{
    bool capab[QMP_CAPABILITY__MAX] = { 0 };

    for (; list; list = list->next) {
        if (!mon->capab_offered[list->value]) {
            error_setg(errp, "Capability '%s' not available",
                       QMPCapability_str(list->value));
            return false;
        }
        capab[list->value] = true;
    }
    memcpy(mon->capab, capab, sizeof(capab));
    return true;
}

/* The QMP monitor whose command is running (commands run on one). */
static MonitorQMP *qmp_running_monitor(void)
{
    Monitor *cur = monitor_cur();

    assert(cur && monitor_is_qmp(cur));
    return container_of(cur, MonitorQMP, common);
}

void qmp_qmp_capabilities(bool has_enable, QMPCapabilityList *enable,
                          Error **errp)
{
    MonitorQMP *mon = qmp_running_monitor();

    /* Once negotiated, QEMU answers as if the command did not exist. */
    if (mon->commands != &qmp_cap_negotiation_commands) {
        error_set(errp, ERROR_CLASS_COMMAND_NOT_FOUND, "%s",
                  "Capabilities negotiation is already complete, "
                  "command ignored");
    } else if (qmp_caps_accept(mon, has_enable ? enable : NULL, errp)) {
        mon->commands = &qmp_commands;
    }
}

static json_t *qmp_greeting(MonitorQMP *mon)
{
    VersionInfo *info = qmp_query_version(NULL);
    json_t *caps = json_array();
    json_t *greeting;
    int i;

    for (i = 0; i < QMP_CAPABILITY__MAX; i++) {
        if (mon->capab_offered[i]) {
            json_array_append_new(caps, json_string(QMPCapability_str(i)));
        }
    }
    /* QEMU's member order */
    greeting = json_pack("{s:{s:{s:{s:I, s:I, s:I}, s:s}, s:o}}",
                         "QMP", "version", "qemu",
                         "micro", (json_int_t)info->qemu->micro,
                         "minor", (json_int_t)info->qemu->minor,
                         "major", (json_int_t)info->qemu->major,
                         "package", info->package,
                         "capabilities", caps);
    qapi_free_VersionInfo(info);
    return greeting;
}

static void monitor_qmp_dispatch(MonitorQMP *mon, json_t *req)
{
    Monitor *old_mon;
    json_t *rsp, *error;

    /* No nested input while a command runs (it may poll the main loop). */
    monitor_suspend(&mon->common);
    old_mon = monitor_set_cur(&mon->common);
    rsp = qmp_dispatch(mon->commands, req, qmp_oob_enabled(mon),
                       &mon->common);
    monitor_set_cur(old_mon);

    if (mon->commands == &qmp_cap_negotiation_commands) {
        error = json_object_get(rsp, "error");
        if (error && !g_strcmp0(json_string_value(
                                    json_object_get(error, "class")),
                                error_class_name(
                                    ERROR_CLASS_COMMAND_NOT_FOUND))) {
            /* A more useful message than "The command x has not been found" */
            json_object_set_new(error, "desc", json_string(
                "Expecting capabilities negotiation with "
                "'qmp_capabilities'"));
        }
    }
    if (rsp) {
        qmp_send_response(mon, rsp);
        json_decref(rsp);
    }
    monitor_resume(&mon->common);
}

/* JSONMessageParser callback: one complete value, or a syntax error. */
static void handle_qmp_command(void *opaque, json_t *req, Error *err)
{
    MonitorQMP *mon = opaque;

    mon->pending_input = 0;
    if (err) {
        /* A syntax error: the reply has no id (qmp-spec 2.4.2) */
        json_t *rsp = qmp_error_response(err);

        qmp_send_response(mon, rsp);
        json_decref(rsp);
        return;
    }
    if (mon->closing) {
        json_decref(req);
        return;
    }
    if (trace_event_get_state_backends(TRACE_HANDLE_QMP_COMMAND)) {
        g_autofree char *text = monitor_qmp_to_json(req);

        trace_handle_qmp_command(mon, text);
    }
    monitor_qmp_dispatch(mon, req);
    json_decref(req);
}

static int monitor_qmp_can_read(void *opaque)
{
    MonitorQMP *mon = opaque;

    return qatomic_read(&mon->common.suspend_cnt) || mon->closing
           ? 0 : QMP_READ_CHUNK;
}

static void monitor_qmp_read(void *opaque, const uint8_t *buf, int size)
{
    MonitorQMP *mon = opaque;

    mon->pending_input += size;
    if (mon->pending_input > QMP_MAX_PENDING_INPUT) {
        json_t *rsp = json_pack("{s:{s:s, s:s}}", "error",
                                "class", "GenericError",
                                "desc", "JSON message size limit exceeded");

        /* Only this client is affected: tell it and drop it. */
        trace_monitor_qmp_input_overflow(mon, mon->pending_input);
        qmp_send_response(mon, rsp);
        json_decref(rsp);
        mon->closing = true;
        qemu_chr_fe_disconnect(&mon->common.chr);
        return;
    }
    json_message_parser_feed(&mon->parser, (const char *)buf, size);
}

static void monitor_qmp_parser_reset(MonitorQMP *mon)
{
    if (mon->parser_live) {
        json_message_parser_destroy(&mon->parser);
    }
    json_message_parser_init(&mon->parser, handle_qmp_command, mon);
    mon->parser_live = true;
    mon->pending_input = 0;
}

static void monitor_qmp_event(void *opaque, QEMUChrEvent event)
{
    MonitorQMP *mon = opaque;
    json_t *greeting;

    switch (event) {
    case CHR_EVENT_OPENED:
        mon->commands = &qmp_cap_negotiation_commands;
        mon->closing = false;
        monitor_qmp_caps_reset(mon);
        monitor_qmp_parser_reset(mon);
        greeting = qmp_greeting(mon);
        qmp_send_response(mon, greeting);
        json_decref(greeting);
        break;
    case CHR_EVENT_CLOSED:
        /* A new client starts from scratch; no events meanwhile. */
        mon->commands = &qmp_cap_negotiation_commands;
        monitor_qmp_parser_reset(mon);
        mon->closing = false;
        break;
    default:
        break;
    }
}

void monitor_data_destroy_qmp(MonitorQMP *mon)
{
    if (mon->parser_live) {
        json_message_parser_destroy(&mon->parser);
        mon->parser_live = false;
    }
}

void monitor_init_qmp(Chardev *chr, bool pretty, Error **errp)
{
    MonitorQMP *mon = g_new0(MonitorQMP, 1);

    monitor_data_init(&mon->common, true, false);
    if (!qemu_chr_fe_init(&mon->common.chr, chr, errp)) {
        monitor_data_destroy(&mon->common);
        g_free(mon);
        return;
    }
    mon->commands = &qmp_cap_negotiation_commands;
    mon->pretty = pretty;
    monitor_qmp_caps_reset(mon);
    monitor_qmp_parser_reset(mon);
    qemu_chr_fe_set_handlers(&mon->common.chr, monitor_qmp_can_read,
                             monitor_qmp_read, monitor_qmp_event, NULL, mon,
                             NULL, true);
    monitor_list_append(&mon->common);
}
