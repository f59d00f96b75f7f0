/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HMP: command lookup, argument parsing, help, readline monitors. */
#include "qemu/osdep.h"

#include "monitor-internal.h"
#include "monitor/hmp.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-misc.h"
#include "qemu/cutils.h"
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

/* Words */

static const char *skip_spaces(const char *p)
{
    while (*p && g_ascii_isspace(*p)) {
        p++;
    }
    return p;
}

/* What the escape \@c in a quoted word stands for; 0 if none. */
static char hmp_unescape(char c)
{
    switch (c) {
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case '"':
    case '\'':
    case '\\':
        return c;
    default:
        return 0;
    }
}

/*
 * Read the argument word at *@pp into @out: a run of non-blanks, or a
 * "double-quoted string" with the escapes hmp_unescape() knows.
 * Returns false if the line is used up, or on a bad escape, a missing
 * closing quote or a word longer than HMP_MAX_WORD - 1 bytes; where *@pp
 * is left then does not matter (the command fails).
 */
static bool read_word(const char **pp, GString *out)
{
    const char *p = skip_spaces(*pp);
    bool quoted = *p == '"';

    g_string_truncate(out, 0);
    if (!*p) {
        *pp = p;
        return false;
    }
    p += quoted;
    for (;;) {
        char c = *p;

        if (!c || (quoted ? c == '"' : g_ascii_isspace(c))) {
            break;
        }
        p++;
        if (quoted && c == '\\') {
            c = hmp_unescape(*p);
            if (!c) {
                break;
            }
            p++;
        }
        if (out->len + 1 >= HMP_MAX_WORD) {
            *pp = p;
            return false;
        }
        g_string_append_c(out, c);
    }
    if (quoted && *p != '"') {
        *pp = p;
        return false;
    }
    *pp = p + quoted;
    return true;
}

/* Commands */

/* Is @word one of the '|'-separated spellings in @names ("cont|c")? */
static bool hmp_name_is(const char *names, const char *word)
{
    g_auto(GStrv) spellings = g_strsplit(names, "|", -1);

    return g_strv_contains((const char *const *)spellings, word);
}

static const HMPCommand *hmp_table_find(const HMPCommand *table,
                                        const char *word)
{
    for (; table->name; table++) {
        if (hmp_name_is(table->name, word)) {
            return table;
        }
    }
    return NULL;
}

/*
 * Read the command name at *@pp: the non-blanks there, at most
 * HMP_MAX_WORD - 1 of them.  Returns false if there is none.
 */
static bool read_command_word(const char **pp, GString *out)
{
    const char *p = skip_spaces(*pp);
    size_t n = 0;

    while (p[n] && !g_ascii_isspace(p[n]) && n + 1 < HMP_MAX_WORD) {
        n++;
    }
    g_string_assign(out, "");
    g_string_append_len(out, p, n);
    *pp = p + n;
    return n > 0;
}

/*
 * Find the command @line starts with, going down into sub-tables ("info
 * status") while more words follow.  On success *@args_start points
 * after the last command word.  An unknown word is reported here.
 */
static const HMPCommand *hmp_resolve(Monitor *mon, const char *line,
                                     const char **args_start)
{
    g_autoptr(GString) word = g_string_new(NULL);
    const HMPCommand *table = hmp_cmds;
    const HMPCommand *cmd;
    const char *p = line;

    do {
        if (!read_command_word(&p, word)) {
            return NULL;
        }
        cmd = hmp_table_find(table, word->str);
        if (!cmd) {
            monitor_printf(mon, "unknown command: '%.*s'\n",
                           (int)(p - line), line);
            return NULL;
        }
        table = cmd->sub_table;
    } while (table && *skip_spaces(p));
    *args_start = p;
    return cmd;
}

/* Arguments */

/* One NAME:TYPE item of an args_type string (see monitor-internal.h) */
typedef struct HMPArgSpec {
    char *key;
    const char *type;         /* into args_type: "s?,...", "-d,..." */
    bool optional;
} HMPArgSpec;

/* What a missing or broken word argument of @type was meant to be */
static const char *hmp_word_kind(char type)
{
    return type == 'F' ? "filename" :
           type == 'B' ? "block device name" : "string";
}

/*
 * A "-X" flag, QEMU's way: only the character after the dash counts
 * ("-dx" is -d, then "x" for the next item), and flags are taken in
 * the order args_type declares them.  A dash that names a flag of a
 * later item is left for that item; any other dash is an error.
 */
static bool parse_flag(Monitor *mon, const HMPCommand *cmd,
                       const HMPArgSpec *spec, const char **pp,
                       json_t *args)
{
    const char *p = *pp;
    const char *later = spec->type + 2;     /* after "-X" */
    char wanted[3] = { '-', 0, 0 };

    if (p[0] != '-') {
        return true;
    }
    if (p[1] == spec->type[1]) {
        json_object_set_new(args, spec->key, json_true());
        *pp = p + 2;
        return true;
    }
    wanted[1] = p[1];
    if (strstr(later, wanted)) {
        return true;
    }
    if (!p[1]) {
        /* QEMU prints the NUL as %c, which ends its line unterminated */
        monitor_printf(mon, "%s: unsupported option -", cmd->name);
    } else {
        monitor_printf(mon, "%s: unsupported option -%c\n", cmd->name,
                       p[1]);
    }
    return false;
}

/* A 32-bit ('i') or 64-bit ('l') integer, C syntax (0x.., 0..). */
static bool parse_integer(Monitor *mon, const HMPCommand *cmd,
                          const HMPArgSpec *spec, const char **pp,
                          GString *word, json_t *args)
{
    int64_t val;

    if (!read_word(pp, word)) {
        monitor_printf(mon, "%s: integer expected\n", cmd->name);
        return false;
    }
    if (qemu_strtoi64(word->str, NULL, 0, &val) < 0 ||
        (spec->type[0] == 'i' && val != (int32_t)val)) {
        monitor_printf(mon, "%s: invalid integer '%s'\n", cmd->name,
                       word->str);
        return false;
    }
    json_object_set_new(args, spec->key, json_integer(val));
    return true;
}

/*
 * Parse the argument @spec describes at *@pp into @args.  Returns false
 * after telling the user what is wrong.
 */
static bool parse_arg(Monitor *mon, const HMPCommand *cmd,
                      const HMPArgSpec *spec, const char **pp,
                      GString *word, json_t *args)
{
    char type = spec->type[0];

    *pp = skip_spaces(*pp);
    if (type == '-') {
        return parse_flag(mon, cmd, spec, pp, args);
    }
    if (!**pp && spec->optional) {
        return true;
    }
    switch (type) {
    case 's':
    case 'B':
    case 'F':
        if (!read_word(pp, word)) {
            monitor_printf(mon, "%s: %s expected\n", cmd->name,
                           hmp_word_kind(type));
            return false;
        }
        json_object_set_new(args, spec->key, json_string(word->str));
        return true;
    case 'S':
        if (!**pp) {
            monitor_printf(mon, "%s: string expected\n", cmd->name);
            return false;
        }
        json_object_set_new(args, spec->key, json_string(*pp));
        *pp += strlen(*pp);
        return true;
    case 'i':
    case 'l':
        return parse_integer(mon, cmd, spec, pp, word, args);
    case 'b':
        if (!read_word(pp, word) ||
            !(g_str_equal(word->str, "on") || g_str_equal(word->str, "off"))) {
            monitor_printf(mon, "Expected 'on' or 'off'\n");
            return false;
        }
        json_object_set_new(args, spec->key,
                            json_boolean(g_str_equal(word->str, "on")));
        return true;
    default:
        monitor_printf(mon, "%s: unknown type '%c'\n", cmd->name, type);
        return false;
    }
}

/*
 * The arguments at @p for @cmd as a JSON object keyed by item name, or
 * NULL (the problem told the user, if it is the user's).
 */
static json_t *hmp_parse_args(Monitor *mon, const HMPCommand *cmd,
                              const char *p)
{
    g_autoptr(GString) word = g_string_new(NULL);
    json_t *args = json_object();
    const char *item = cmd->args_type;

    /* an empty item ends the list (args_type "" has no arguments) */
    while (*item && *item != ',') {
        const char *colon = strchr(item, ':');
        const char *end = strchrnul(item, ',');
        HMPArgSpec spec;
        bool ok;

        if (!colon || colon > end) {
            goto fail;
        }
        spec.key = g_strndup(item, colon - item);
        spec.type = colon + 1;
        spec.optional = spec.type[0] != '-' && spec.type[1] == '?';
        ok = parse_arg(mon, cmd, &spec, &p, word, args);
        g_free(spec.key);
        if (!ok) {
            goto fail;
        }
        item = *end ? end + 1 : end;
    }
    if (!*skip_spaces(p)) {
        return args;
    }
    monitor_printf(mon, "%s: extraneous characters at the end of line\n",
                   cmd->name);
fail:
    json_decref(args);
    return NULL;
}

void handle_hmp_command(MonitorHMP *mon, const char *cmdline)
{
    Monitor *old_mon = monitor_set_cur(&mon->common);
    const char *name = skip_spaces(cmdline);
    const HMPCommand *cmd;
    const char *rest;
    json_t *args;

    trace_handle_hmp_command(mon, cmdline);
    cmd = hmp_resolve(&mon->common, cmdline, &rest);
    if (cmd && !cmd->cmd) {
        /* a bare prefix such as "info": list what may follow it */
        hmp_info_help(&mon->common, NULL);
    } else if (cmd) {
        args = hmp_parse_args(&mon->common, cmd, rest);
        if (args) {
            cmd->cmd(&mon->common, args);
            json_decref(args);
        } else {
            /* QEMU quotes the command words only, not the arguments */
            monitor_printf(&mon->common,
                           "Try \"help %.*s\" for more information\n",
                           (int)(rest - name), name);
        }
    }
    monitor_set_cur(old_mon);
}

/* Help */

/* One help line per command of @table from @first on (@count of them). */
static void hmp_print_help(Monitor *mon, const HMPCommand *first,
                           size_t count, const char *prefix)
{
    const HMPCommand *cmd;

    for (cmd = first; cmd->name && count; cmd++, count--) {
        monitor_printf(mon, "%s%s %s -- %s\n", prefix, cmd->name,
                       cmd->params, cmd->help);
    }
}

void hmp_help(Monitor *mon, const json_t *qdict)
{
    const char *name = skip_spaces(hmp_arg_str(qdict, "name") ?: "");
    g_auto(GStrv) words = g_strsplit_set(name, " \t", -1);
    g_autoptr(GString) prefix = g_string_new(NULL);
    const HMPCommand *table = hmp_cmds;
    const HMPCommand *cmd = NULL;
    char **w;

    /* the words name a command; a word after a plain command is ignored */
    for (w = words; *w && table; w++) {
        if (!**w) {
            continue;
        }
        cmd = hmp_table_find(table, *w);
        if (!cmd) {
            monitor_printf(mon, "unknown command: '%s'\n", name);
            return;
        }
        table = NULL;
        if (cmd->sub_table && w[1] && *w[1]) {
            g_string_append_printf(prefix, "%s ", *w);
            table = cmd->sub_table;
            cmd = NULL;
        }
    }
    if (!cmd) {
        hmp_print_help(mon, hmp_cmds, SIZE_MAX, "");
    } else if (cmd->sub_table) {
        g_string_append_printf(prefix, "%s ", cmd->name);
        hmp_print_help(mon, cmd->sub_table, SIZE_MAX, prefix->str);
    } else {
        hmp_print_help(mon, cmd, 1, prefix->str);
    }
}

void hmp_info_help(Monitor *mon, const json_t *qdict)
{
    hmp_print_help(mon, hmp_info_cmds, SIZE_MAX, "info ");
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
