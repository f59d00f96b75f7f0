/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP dispatch: validate a request, run the command, build the response. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qmp/dispatch.h"

/*
 * Check the request's top-level members: "execute" (or "exec-oob" when
 * @allow_oob) a string, "arguments" an object, "id" anything.
 */
static bool qmp_dispatch_check_obj(json_t *dict, bool allow_oob,
                                   Error **errp)
{
    const char *arg_name;
    json_t *arg_obj;
    const char *exec_key = NULL;

    json_object_foreach(dict, arg_name, arg_obj) {
        if (!strcmp(arg_name, "execute")
            || (!strcmp(arg_name, "exec-oob") && allow_oob)) {
            if (!json_is_string(arg_obj)) {
                error_setg(errp, "QMP input member '%s' must be a string",
                           arg_name);
                return false;
            }
            if (exec_key) {
                error_setg(errp, "QMP input member '%s' clashes with '%s'",
                           arg_name, exec_key);
                return false;
            }
            exec_key = arg_name;
        } else if (!strcmp(arg_name, "arguments")) {
            if (!json_is_object(arg_obj)) {
                error_setg(errp,
                           "QMP input member 'arguments' must be an object");
                return false;
            }
        } else if (!strcmp(arg_name, "id")) {
            continue;
        } else {
            error_setg(errp, "QMP input member '%s' is unexpected",
                       arg_name);
            return false;
        }
    }
    if (!exec_key) {
        error_setg(errp, "QMP input lacks member 'execute'");
        return false;
    }
    return true;
}

json_t *qmp_error_response(Error *err)
{
    json_t *rsp;

    rsp = json_pack("{s: {s: s, s: s}}", "error",
                    "class", error_class_name(error_get_class(err)),
                    "desc", error_get_pretty(err));
    if (!rsp) {
        /* desc was not valid UTF-8 */
        g_autofree char *desc = g_utf8_make_valid(error_get_pretty(err), -1);

        rsp = json_pack("{s: {s: s, s: s}}", "error",
                        "class", error_class_name(error_get_class(err)),
                        "desc", desc);
    }
    error_free(err);
    return rsp;
}

bool qmp_is_oob(const json_t *dict)
{
    json_t *d = (json_t *)dict;

    return json_object_get(d, "exec-oob") && !json_object_get(d, "execute");
}

bool qmp_command_available(const QmpCommand *cmd, Error **errp)
{
    /* minivmm has no preconfig state: every command is available */
    return true;
}

json_t *qmp_dispatch(const QmpCommandList *cmds, json_t *request,
                     bool allow_oob, Monitor *cur_mon)
{
    Error *err = NULL;
    bool oob;
    const char *command;
    json_t *args;
    const QmpCommand *cmd;
    json_t *id = NULL;
    json_t *ret = NULL;
    json_t *rsp = NULL;

    if (!json_is_object(request)) {
        error_setg(&err, "QMP input must be a JSON object");
        goto out;
    }
    id = json_object_get(request, "id");
    if (!qmp_dispatch_check_obj(request, allow_oob, &err)) {
        goto out;
    }
    if (json_object_get(request, "execute")) {
        command = json_string_value(json_object_get(request, "execute"));
        oob = false;
    } else {
        command = json_string_value(json_object_get(request, "exec-oob"));
        oob = true;
    }
    cmd = qmp_find_command(cmds, command);
    if (cmd == NULL) {
        error_set(&err, ERROR_CLASS_COMMAND_NOT_FOUND,
                  "The command %s has not been found", command);
        goto out;
    }
    if (!cmd->enabled) {
        error_set(&err, ERROR_CLASS_COMMAND_NOT_FOUND,
                  "Command %s has been disabled%s%s", command,
                  cmd->disable_reason ? ": " : "",
                  cmd->disable_reason ? cmd->disable_reason : "");
        goto out;
    }
    if (oob && !(cmd->options & QCO_ALLOW_OOB)) {
        error_setg(&err, "The command %s does not support OOB", command);
        goto out;
    }
    if (!qmp_command_available(cmd, &err)) {
        goto out;
    }

    args = json_object_get(request, "arguments");
    args = args ? json_incref(args) : json_object();
    cmd->fn(args, &ret, &err);
    json_decref(args);
    if (err) {
        json_decref(ret);
        goto out;
    }
    if (cmd->options & QCO_NO_SUCCESS_RESP) {
        g_assert(!ret);
        return NULL;
    } else if (!ret) {
        ret = json_object();
    }
    rsp = json_object();
    json_object_set_new(rsp, "return", ret);

out:
    if (err) {
        assert(!rsp);
        rsp = qmp_error_response(err);
    }
    if (rsp && id) {
        json_object_set(rsp, "id", id);
    }
    return rsp;
}
