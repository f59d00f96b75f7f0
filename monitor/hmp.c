/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HMP: command lookup, argument parsing, help, readline monitors. */
#include "qemu/osdep.h"

#include "monitor-internal.h"
#include "monitor/hmp.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-misc.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "sysemu/sysemu.h"
#include "trace.h"

/* Longest single argument word (QEMU's get_str() buffer is 1024). */
#define HMP_MAX_WORD 1024

/* Argument accessors */

const char *hmp_arg_str(const json_t *qdict, const char *key)
{
    return json_string_value(json_object_get(qdict, key));
}

bool hmp_arg_bool(const json_t *qdict, const char *key, bool def)
{
    json_t *v = json_object_get(qdict, key);

    return json_is_boolean(v) ? json_is_true(v) : def;
}

int64_t hmp_arg_int(const json_t *qdict, const char *key, int64_t def)
{
    json_t *v = json_object_get(qdict, key);

    return json_is_integer(v) ? json_integer_value(v) : def;
}

void hmp_handle_error(Monitor *mon, Error *err)
{
    if (err) {
        error_reportf_err(err, "Error: ");
    }
}

/* Lexing */

static const char *skip_spaces(const char *p)
{
    while (*p && g_ascii_isspace(*p)) {
        p++;
    }
    return p;
}

/*
 * Read one word or "quoted string" at *pp into @out (QEMU's get_str()).
 * Returns: false if there is none, or the quoting is broken.
 */
static bool get_str(GString *out, const char **pp)
{
    const char *p = skip_spaces(*pp);

    g_string_truncate(out, 0);
    if (*p == '\0') {
        *pp = p;
        return false;
    }
    if (*p == '"') {
        p++;
        while (*p != '\0' && *p != '"') {
            char c = *p++;

            if (c == '\\') {
                c = *p++;
                switch (c) {
                case 'n':
                    c = '\n';
                    break;
                case 'r':
                    c = '\r';
                    break;
                case '\\':
                case '\'':
                case '"':
                    break;
                default:
                    /* unsupported escape, or a dangling backslash */
                    *pp = p;
                    return false;
                }
            }
            if (out->len >= HMP_MAX_WORD - 1) {
                *pp = p;
                return false;
            }
            g_string_append_c(out, c);
        }
        if (*p != '"') {
            /* unterminated string */
            *pp = p;
            return false;
        }
        p++;
    } else {
        while (*p != '\0' && !g_ascii_isspace(*p)) {
            if (out->len >= HMP_MAX_WORD - 1) {
                *pp = p;
                return false;
            }
            g_string_append_c(out, *p++);
        }
    }
    *pp = p;
    return true;
}

/* Does @name ("cont|c") contain @word as one of its alternatives? */
static bool compare_cmd(const char *word, const char *name)
{
    size_t len = strlen(word);
    const char *p = name;

    for (;;) {
        const char *end = strchr(p, '|');
        size_t n = end ? (size_t)(end - p) : strlen(p);

        if (n == len && !memcmp(p, word, len)) {
            return true;
        }
        if (!end) {
            return false;
        }
        p = end + 1;
    }
}

static const HMPCommand *search_dispatch_table(const HMPCommand *table,
                                               const char *word)
{
    const HMPCommand *cmd;

    for (cmd = table; cmd->name; cmd++) {
        if (compare_cmd(word, cmd->name)) {
            return cmd;
        }
    }
    return NULL;
}

/* Read the command name at *pp (letters, digits, '_', '-', '.', '?'). */
static bool get_cmd_word(GString *out, const char **pp)
{
    const char *p = skip_spaces(*pp);

    g_string_truncate(out, 0);
    while (*p && !g_ascii_isspace(*p) && out->len < HMP_MAX_WORD - 1) {
        g_string_append_c(out, *p++);
    }
    *pp = p;
    return out->len > 0;
}

/*
 * Find the command for *pp in @table, descending into sub-tables
 * ("info status").  On success *pp points after the command name(s).
 * Prints "unknown command: '...'" itself and returns NULL otherwise.
 */
static const HMPCommand *monitor_parse_command(Monitor *mon,
                                               const char *cmdp_start,
                                               const char **pp,
                                               const HMPCommand *table)
{
    g_autoptr(GString) word = g_string_new(NULL);
    const char *p = *pp;
    const HMPCommand *cmd;

    if (!get_cmd_word(word, &p)) {
        return NULL;
    }
    cmd = search_dispatch_table(table, word->str);
    if (!cmd) {
        monitor_printf(mon, "unknown command: '%.*s'\n",
                       (int)(p - cmdp_start), cmdp_start);
        return NULL;
    }
    *pp = p;
    if (cmd->sub_table && *skip_spaces(p)) {
        return monitor_parse_command(mon, cmdp_start, pp, cmd->sub_table);
    }
    return cmd;
}

/* Parse @cmd's arguments at *pp into a JSON object; NULL on error. */
static json_t *monitor_parse_arguments(Monitor *mon, const char **pp,
                                       const HMPCommand *cmd)
{
    g_autoptr(GString) buf = g_string_new(NULL);
    g_auto(GStrv) specs = g_strsplit(cmd->args_type, ",", -1);
    json_t *qdict = json_object();
    const char *p = *pp;
    char **spec;

    for (spec = specs; *spec && **spec; spec++) {
        const char *colon = strchr(*spec, ':');
        g_autofree char *key = NULL;
        const char *type;
        bool optional;
        char c;

        if (!colon) {
            goto fail;
        }
        key = g_strndup(*spec, colon - *spec);
        type = colon + 1;
        c = type[0];
        optional = type[0] != '-' && type[1] == '?';
        p = skip_spaces(p);

        switch (c) {
        case 's':
        case 'B':
        case 'F': {
            const char *save = p;

            if (optional && *p == '\0') {
                break;
            }
            if (!get_str(buf, &p)) {
                p = save;
                switch (c) {
                case 'F':
                    monitor_printf(mon, "%s: filename expected\n",
                                   cmd->name);
                    break;
                case 'B':
                    monitor_printf(mon, "%s: block device name expected\n",
                                   cmd->name);
                    break;
                default:
                    monitor_printf(mon, "%s: string expected\n", cmd->name);
                    break;
                }
                goto fail;
            }
            json_object_set_new(qdict, key, json_string(buf->str));
            break;
        }
        case 'S':
            if (*p == '\0') {
                if (optional) {
                    break;
                }
                monitor_printf(mon, "%s: string expected\n", cmd->name);
                goto fail;
            }
            json_object_set_new(qdict, key, json_string(p));
            p += strlen(p);
            break;
        case 'i':
        case 'l': {
            char *end;
            long long val;

            if (optional && *p == '\0') {
                break;
            }
            if (!get_str(buf, &p)) {
                monitor_printf(mon, "%s: integer expected\n", cmd->name);
                goto fail;
            }
            errno = 0;
            val = strtoll(buf->str, &end, 0);
            if (errno || *end || end == buf->str ||
                (c == 'i' && (val < INT32_MIN || val > INT32_MAX))) {
                monitor_printf(mon, "%s: invalid integer '%s'\n", cmd->name,
                               buf->str);
                goto fail;
            }
            json_object_set_new(qdict, key, json_integer(val));
            break;
        }
        case 'b':
            if (optional && *p == '\0') {
                break;
            }
            if (!get_str(buf, &p) ||
                (strcmp(buf->str, "on") && strcmp(buf->str, "off"))) {
                monitor_printf(mon, "Expected 'on' or 'off'\n");
                goto fail;
            }
            json_object_set_new(qdict, key,
                                json_boolean(!strcmp(buf->str, "on")));
            break;
        case '-': {
            /* "-X": a flag */
            const char *flag = type + 1;

            if (p[0] == '-' && !strncmp(p + 1, flag, strlen(flag)) &&
                (p[1 + strlen(flag)] == '\0' ||
                 g_ascii_isspace(p[1 + strlen(flag)]))) {
                p += 1 + strlen(flag);
                json_object_set_new(qdict, key, json_true());
            } else if (p[0] == '-' && g_ascii_isalpha(p[1]) &&
                       (p[2] == '\0' || g_ascii_isspace(p[2])) &&
                       !strchr(cmd->args_type, p[1])) {
                monitor_printf(mon, "%s: unsupported option -%c\n",
                               cmd->name, p[1]);
                goto fail;
            }
            break;
        }
        default:
            monitor_printf(mon, "%s: unknown type '%c'\n", cmd->name, c);
            goto fail;
        }
    }
    p = skip_spaces(p);
    if (*p) {
        monitor_printf(mon, "%s: extraneous characters at the end of line\n",
                       cmd->name);
        goto fail;
    }
    *pp = p;
    return qdict;

fail:
    *pp = p;
    json_decref(qdict);
    return NULL;
}

void handle_hmp_command(MonitorHMP *mon, const char *cmdline)
{
    Monitor *old_mon = monitor_set_cur(&mon->common);
    const char *cmd_start = cmdline;
    const char *p = cmdline;
    const HMPCommand *cmd;
    json_t *qdict;

    trace_handle_hmp_command(mon, cmdline);
    cmd = monitor_parse_command(&mon->common, cmd_start, &p, hmp_cmds);
    if (!cmd) {
        goto out;
    }
    if (!cmd->cmd) {
        /* a bare prefix such as "info": list its subcommands */
        hmp_info_help(&mon->common, NULL);
        goto out;
    }
    qdict = monitor_parse_arguments(&mon->common, &p, cmd);
    if (!qdict) {
        /* Point at the command name(s) only, as QEMU does. */
        const char *end = cmd_start;
        const HMPCommand *t = hmp_cmds;
        g_autoptr(GString) w = g_string_new(NULL);

        while (get_cmd_word(w, &end)) {
            const HMPCommand *c = search_dispatch_table(t, w->str);

            if (!c || !c->sub_table) {
                break;
            }
            t = c->sub_table;
        }
        monitor_printf(&mon->common, "Try \"help %.*s\" for more "
                       "information\n", (int)(end - skip_spaces(cmd_start)),
                       skip_spaces(cmd_start));
        goto out;
    }
    cmd->cmd(&mon->common, qdict);
    json_decref(qdict);
out:
    monitor_set_cur(old_mon);
}

/* Help */

static void help_cmd_dump_one(Monitor *mon, const HMPCommand *cmd,
                              const char *prefix)
{
    monitor_printf(mon, "%s%s %s -- %s\n", prefix, cmd->name, cmd->params,
                   cmd->help);
}

static void help_cmd_dump(Monitor *mon, const HMPCommand *table,
                          const char *prefix)
{
    const HMPCommand *cmd;

    for (cmd = table; cmd->name; cmd++) {
        help_cmd_dump_one(mon, cmd, prefix);
    }
}

void hmp_help(Monitor *mon, const json_t *qdict)
{
    const char *name = hmp_arg_str(qdict, "name");
    g_auto(GStrv) words = NULL;
    const HMPCommand *table = hmp_cmds;
    const HMPCommand *cmd = NULL;
    g_autoptr(GString) prefix = g_string_new(NULL);
    char **w;

    if (!name || !*skip_spaces(name)) {
        help_cmd_dump(mon, hmp_cmds, "");
        return;
    }
    words = g_strsplit_set(skip_spaces(name), " \t", -1);
    for (w = words; *w; w++) {
        if (!**w) {
            continue;
        }
        if (!table) {
            break;
        }
        cmd = search_dispatch_table(table, *w);
        if (!cmd) {
            monitor_printf(mon, "unknown command: '%s'\n",
                           skip_spaces(name));
            return;
        }
        if (cmd->sub_table && w[1] && *w[1]) {
            g_string_append_printf(prefix, "%s ", *w);
            table = cmd->sub_table;
            cmd = NULL;
            continue;
        }
        table = NULL;
    }
    if (cmd && cmd->sub_table) {
        g_string_append_printf(prefix, "%s ", cmd->name);
        help_cmd_dump(mon, cmd->sub_table, prefix->str);
    } else if (cmd) {
        help_cmd_dump_one(mon, cmd, prefix->str);
    }
}

void hmp_info_help(Monitor *mon, const json_t *qdict)
{
    help_cmd_dump(mon, hmp_info_cmds, "info ");
}

/* HMP over QMP: human-monitor-command */

char *qmp_human_monitor_command(const char *command_line, bool has_cpu_index,
                                int64_t cpu_index, Error **errp)
{
    MonitorHMP hmp = { 0 };
    char *output;

    if (has_cpu_index && cpu_index != 0) {
        error_setg(errp, "Parameter 'cpu-index' expects a CPU index");
        return NULL;
    }
    monitor_data_init(&hmp.common, false, true);
    handle_hmp_command(&hmp, command_line);
    qemu_mutex_lock(&hmp.common.mon_lock);
    output = g_strdup(hmp.common.outbuf->str);
    qemu_mutex_unlock(&hmp.common.mon_lock);
    monitor_data_destroy(&hmp.common);
    return output;
}

/* HMP monitors on a chardev */

static void monitor_hmp_prompt(MonitorHMP *mon)
{
    if (mon->use_readline) {
        monitor_puts(&mon->common, "(qemu) ");
    }
}

static int monitor_hmp_can_read(void *opaque)
{
    MonitorHMP *mon = opaque;

    return qatomic_read(&mon->common.suspend_cnt) ? 0 : 1024;
}

static bool monitor_hmp_suspended(MonitorHMP *mon)
{
    return qatomic_read(&mon->common.suspend_cnt) > 0;
}

static void monitor_hmp_read(void *opaque, const uint8_t *buf, int size)
{
    MonitorHMP *mon = opaque;
    int i;

    for (i = 0; i < size; i++) {
        char c = buf[i];

        if (monitor_hmp_suspended(mon)) {
            /* A command suspended us (e.g. quit): hold the rest. */
            g_byte_array_append(mon->held_input, buf + i, size - i);
            return;
        }
        if (c == '\n' && mon->last_was_cr) {
            mon->last_was_cr = false;
            continue;
        }
        mon->last_was_cr = c == '\r';
        if (c == '\r' || c == '\n') {
            g_autofree char *line = g_strdup(mon->line->str);

            g_string_truncate(mon->line, 0);
            if (*skip_spaces(line)) {
                handle_hmp_command(mon, line);
            }
            if (!monitor_hmp_suspended(mon)) {
                monitor_hmp_prompt(mon);
            }
            continue;
        }
        if (mon->line->len >= HMP_MAX_LINE) {
            continue;   /* over-long lines are truncated */
        }
        g_string_append_c(mon->line, c);
    }
}

static void monitor_hmp_held_input_bh(void *opaque)
{
    MonitorHMP *mon = opaque;
    g_autoptr(GByteArray) held = mon->held_input;

    mon->held_input = g_byte_array_new();
    monitor_hmp_read(mon, held->data, held->len);
}

void monitor_hmp_resumed(MonitorHMP *mon)
{
    if (!mon->line) {
        /* a temporary monitor (human-monitor-command) */
        return;
    }
    monitor_hmp_prompt(mon);
    if (mon->held_input->len) {
        qemu_bh_schedule_oneshot(monitor_hmp_held_input_bh, mon);
    }
}

static void monitor_hmp_event(void *opaque, QEMUChrEvent event)
{
    MonitorHMP *mon = opaque;

    switch (event) {
    case CHR_EVENT_OPENED:
        g_string_truncate(mon->line, 0);
        if (mon->use_readline) {
            monitor_printf(&mon->common, "QEMU %s monitor - type 'help' for "
                           "more information\n", QEMU_VERSION);
        }
        monitor_hmp_prompt(mon);
        break;
    case CHR_EVENT_CLOSED:
        g_string_truncate(mon->line, 0);
        break;
    default:
        break;
    }
}

void monitor_data_destroy_hmp(MonitorHMP *mon)
{
    if (mon->line) {
        g_string_free(mon->line, true);
        mon->line = NULL;
    }
    if (mon->held_input) {
        g_byte_array_unref(mon->held_input);
        mon->held_input = NULL;
    }
}

void monitor_init_hmp(Chardev *chr, bool use_readline, Error **errp)
{
    MonitorHMP *mon = g_new0(MonitorHMP, 1);

    monitor_data_init(&mon->common, false, false);
    if (!qemu_chr_fe_init(&mon->common.chr, chr, errp)) {
        monitor_data_destroy(&mon->common);
        g_free(mon);
        return;
    }
    mon->use_readline = use_readline;
    mon->line = g_string_new(NULL);
    mon->held_input = g_byte_array_new();
    qemu_chr_fe_set_handlers(&mon->common.chr, monitor_hmp_can_read,
                             monitor_hmp_read, monitor_hmp_event, NULL, mon,
                             NULL, true);
    monitor_list_append(&mon->common);
}
