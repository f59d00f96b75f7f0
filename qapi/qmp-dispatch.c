/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP dispatch: validate a request, run the command, build the response. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qmp/dispatch.h"

/*
 * The members a request may carry (qmp-spec 2.3), what each must be
 * (JSON_NULL: anything) and whether it names the command.
 */
static const struct RequestMember {
    const char *name;
    json_type type;
    const char *type_text;    /* for the error: "must be a string" */
    bool names_command;
    bool oob_only;            /* only where out-of-band is enabled */
} request_members[] = {
    { "execute", JSON_STRING, "a string", true, false },
    { "exec-oob", JSON_STRING, "a string", true, true },
    { "arguments", JSON_OBJECT, "an object", false, false },
    { "id", JSON_NULL, NULL, false, false },
};

static const struct RequestMember *request_member(const char *name,
                                                  bool allow_oob)
{
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(request_members); i++) {
        const struct RequestMember *m = &request_members[i];

        if (g_str_equal(m->name, name) && (allow_oob || !m->oob_only)) {
            return m;
        }
    }
    return NULL;
}

/*
 * Check the members of @req in the order the client sent them.
 * Returns the one naming the command ("execute" or "exec-oob"), or
 * NULL with @errp set.
 */
static const char *request_check(json_t *req, bool allow_oob, Error **errp)
{
    const char *key, *command_key = NULL;
    json_t *val;

    json_object_foreach(req, key, val) {
        const struct RequestMember *m = request_member(key, allow_oob);

        if (!m) {
            error_setg(errp, "QMP input member '%s' is unexpected", key);
            return NULL;
        }
        if (m->type != JSON_NULL && json_typeof(val) != m->type) {
            error_setg(errp, "QMP input member '%s' must be %s", key,
                       m->type_text);
            return NULL;
        }
        if (m->names_command) {
            if (command_key) {
                error_setg(errp, "QMP input member '%s' clashes with '%s'",
                           key, command_key);
                return NULL;
            }
            command_key = key;
        }
    }
    if (!command_key) {
        error_setg(errp, "QMP input lacks member 'execute'");
    }
    return command_key;
}

/* The command @req asks for, if it exists and may run now. */
static const QmpCommand *request_command(const QmpCommandList *cmds,
                                         json_t *req, bool allow_oob,
                                         Error **errp)
{
    const char *key = request_check(req, allow_oob, errp);
    const QmpCommand *cmd;
    const char *name;

    if (!key) {
        return NULL;
    }
    name = json_string_value(json_object_get(req, key));
    cmd = qmp_find_command(cmds, name);
    if (!cmd) {
        error_set(errp, ERROR_CLASS_COMMAND_NOT_FOUND,
                  "The command %s has not been found", name);
    } else if (!cmd->enabled && cmd->disable_reason) {
        error_set(errp, ERROR_CLASS_COMMAND_NOT_FOUND,
                  "Command %s has been disabled: %s", name,
                  cmd->disable_reason);
    } else if (!cmd->enabled) {
        error_set(errp, ERROR_CLASS_COMMAND_NOT_FOUND,
                  "Command %s has been disabled", name);
    } else if (g_str_equal(key, "exec-oob") &&
               !(cmd->options & QCO_ALLOW_OOB)) {
        error_setg(errp, "The command %s does not support OOB", name);
    } else if (qmp_command_available(cmd, errp)) {
        return cmd;
    }
    return NULL;
}

/*
 * Run @cmd with the request's arguments ({} when there are none).
 * Returns its result, {} for a command that returns nothing; NULL with
 * @errp set on failure, or without it for a QCO_NO_SUCCESS_RESP command.
 */
static json_t *run_command(const QmpCommand *cmd, json_t *req, Error **errp)
{
    json_t *args = json_object_get(req, "arguments");
    json_t *ret = NULL;
    Error *err = NULL;

    args = args ? json_incref(args) : json_object();
    cmd->fn(args, &ret, &err);
    json_decref(args);
    if (err) {
        json_decref(ret);
        error_propagate(errp, err);
        return NULL;
    }
    if (!qmp_has_success_response(cmd)) {
        assert(!ret);
        return NULL;
    }
    return ret ?: json_object();
}

json_t *qmp_error_response(Error *err)
{
    const char *desc = error_get_pretty(err);
    /* JSON strings are UTF-8; an error may quote arbitrary input bytes */
    g_autofree char *repaired = g_utf8_validate(desc, -1, NULL) ?
                                NULL : g_utf8_make_valid(desc, -1);
    json_t *body = json_object();

    json_object_set_new(body, "class",
                        json_string(error_class_name(error_get_class(err))));
    json_object_set_new(body, "desc", json_string(repaired ?: desc));
    error_free(err);
    return json_pack("{s:o}", "error", body);
}

bool qmp_is_oob(const json_t *dict)
{
    json_t *req = (json_t *)dict;       /* jansson's getters are not const */

    return !json_object_get(req, "execute") &&
           json_object_get(req, "exec-oob") != NULL;
}

bool qmp_command_available(const QmpCommand *cmd, Error **errp)
{
    /* minivmm has no preconfig state: every command is available */
    return true;
}

json_t *qmp_dispatch(const QmpCommandList *cmds, json_t *request,
                     bool allow_oob, Monitor *cur_mon)
{
    const QmpCommand *cmd = NULL;
    Error *err = NULL;
    json_t *rsp, *ret, *id;

    if (!json_is_object(request)) {
        error_setg(&err, "QMP input must be a JSON object");
    } else {
        cmd = request_command(cmds, request, allow_oob, &err);
    }
    ret = cmd ? run_command(cmd, request, &err) : NULL;

    if (err) {
        rsp = qmp_error_response(err);
    } else if (ret) {
        rsp = json_pack("{s:o}", "return", ret);
    } else {
        return NULL;            /* success, and the command stays silent */
    }
    /* the client's id, whatever it is, ends the response */
    id = json_is_object(request) ? json_object_get(request, "id") : NULL;
    if (id) {
        json_object_set(rsp, "id", id);
    }
    return rsp;
}
