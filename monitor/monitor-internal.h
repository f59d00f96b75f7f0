/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Monitor internals shared by the QMP and HMP halves of monitor/. */
#ifndef MONITOR_INTERNAL_H
#define MONITOR_INTERNAL_H

#include <jansson.h>

#include "chardev/char-fe.h"
#include "monitor/monitor.h"
#include "qapi/qapi-types-control.h"
#include "qapi/qmp/dispatch.h"
#include "qapi/qmp/json-parser.h"
#include "qemu/atomic.h"
#include "qemu/queue.h"
#include "qemu/thread.h"

/*
 * Bound on the input a QMP client may send without completing a JSON
 * value; below the JSON parser's own bounds (64 MiB), far above any
 * real command.  Beyond it the client gets an error and is
 * disconnected; other clients carry on.
 */
#define QMP_MAX_PENDING_INPUT (16 * 1024 * 1024)
/* Longest HMP input line (QEMU's readline buffer); the rest is dropped. */
#define HMP_MAX_LINE 4095

/*
 * An HMP command: one entry of hmp_cmds[] or hmp_info_cmds[]
 * (monitor/hmp-commands.c), QEMU's hmp-commands.hx in C.
 *
 * @args_type is a comma-separated list of NAME:TYPE, as in QEMU:
 *   s  one word or a "quoted string" (\" \\ \n \r \' escapes)
 *   B  a block device or node name (parsed like s)
 *   F  a file name (parsed like s)
 *   S  the rest of the line, verbatim
 *   i  a 32-bit integer, l  a 64-bit integer
 *   b  on|off
 *   -X a flag: present if the word "-X" comes next (bool)
 * A '?' after TYPE makes the argument optional.  Parsed arguments reach
 * @cmd as a JSON object keyed by NAME (strings, integers, booleans).
 */
typedef struct HMPCommand {
    const char *name;           /* "cont|c": alternatives split by '|' */
    const char *args_type;
    const char *params;         /* shown by help: "[-d] device" */
    const char *help;
    void (*cmd)(Monitor *mon, const json_t *qdict);
    const struct HMPCommand *sub_table;   /* "info": its subcommands */
} HMPCommand;

/* The command tables, each terminated by an entry with a NULL name. */
extern const HMPCommand hmp_cmds[];
extern const HMPCommand hmp_info_cmds[];

struct Monitor {
    CharBackend chr;            /* the client; unattached for a temporary */
    bool is_qmp;
    bool skip_flush;            /* keep output in outbuf (HMP over QMP) */
    int suspend_cnt;            /* > 0: do not read input */
    QemuMutex mon_lock;         /* protects outbuf */
    GString *outbuf;            /* output not yet handed to the chardev */
    GHashTable *fds;            /* getfd's descriptors: name -> fd, or NULL */
    QTAILQ_ENTRY(Monitor) entry;
};

typedef struct MonitorHMP {
    Monitor common;
    bool use_readline;          /* banner and "(qemu) " prompt */
    GString *line;              /* input line being collected */
    bool last_was_cr;           /* swallow the '\n' of a "\r\n" */
    GByteArray *held_input;     /* input read while suspended */
} MonitorHMP;

typedef struct MonitorQMP {
    Monitor common;
    JSONMessageParser parser;
    bool parser_live;           /* parser initialised */
    /* &qmp_cap_negotiation_commands until negotiated, then &qmp_commands */
    const QmpCommandList *commands;
    bool capab_offered[QMP_CAPABILITY__MAX];
    bool capab[QMP_CAPABILITY__MAX];
    size_t pending_input;       /* bytes fed since the last complete value */
    bool closing;               /* over the input bound: disconnect */
    bool pretty;                /* -qmp-pretty, pretty=on: indented JSON */
} MonitorQMP;

extern QmpCommandList qmp_commands;
extern QmpCommandList qmp_cap_negotiation_commands;

typedef QTAILQ_HEAD(MonitorList, Monitor) MonitorList;
/* Every monitor attached to a chardev, in creation order. */
extern MonitorList mon_list;

/* monitor.c */
void monitor_data_init(Monitor *mon, bool is_qmp, bool skip_flush);
/* fds.c: take @fdname from @mon's getfd table (monitor_get_fd()'s half). */
int monitor_fds_take(Monitor *mon, const char *fdname, Error **errp);
void monitor_data_destroy(Monitor *mon);
void monitor_list_append(Monitor *mon);
/* Append @len bytes to @mon's output without "\n" conversion. */
void monitor_write_raw(Monitor *mon, const char *buf, size_t len);

/* qmp.c */
/* Fill qmp_commands and qmp_cap_negotiation_commands. */
void monitor_init_qmp_commands(void);
void monitor_data_destroy_qmp(MonitorQMP *mon);
/* Send @rsp as one line, "\r\n"-terminated (indented lines if pretty). */
void qmp_send_response(MonitorQMP *mon, const json_t *rsp);
/* The QMP text of @obj: one line, ", " and ": " separators, ASCII. */
char *monitor_qmp_to_json(const json_t *obj);

/* hmp.c */
void monitor_data_destroy_hmp(MonitorHMP *mon);
/* The HMP monitor was resumed: prompt, then run any held input. */
void monitor_hmp_resumed(MonitorHMP *mon);
/* Parse and run one HMP command line with @mon as the current monitor. */
void handle_hmp_command(MonitorHMP *mon, const char *cmdline);

#endif /* MONITOR_INTERNAL_H */
