/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HMP command handlers and the helpers they use. */
#ifndef HMP_H
#define HMP_H

#include <jansson.h>

/*
 * Each handler gets its parsed arguments as a JSON object (QEMU passes
 * a QDict), see HMPCommand in monitor/monitor-internal.h.  To add a
 * command: declare its handler here, write it, and add one entry to
 * hmp_cmds[] or hmp_info_cmds[] in monitor/hmp-commands.c.
 */

/* Report @err (if set) into the current monitor as "Error: ...", free it. */
void hmp_handle_error(Monitor *mon, Error *err);

/* Argument accessors: the value of @key, or NULL / @def when absent. */
const char *hmp_arg_str(const json_t *qdict, const char *key);
bool hmp_arg_bool(const json_t *qdict, const char *key, bool def);
int64_t hmp_arg_int(const json_t *qdict, const char *key, int64_t def);

void hmp_help(Monitor *mon, const json_t *qdict);
void hmp_info_help(Monitor *mon, const json_t *qdict);
void hmp_info_status(Monitor *mon, const json_t *qdict);
void hmp_info_version(Monitor *mon, const json_t *qdict);
void hmp_info_name(Monitor *mon, const json_t *qdict);
void hmp_quit(Monitor *mon, const json_t *qdict);
void hmp_stop(Monitor *mon, const json_t *qdict);
void hmp_cont(Monitor *mon, const json_t *qdict);

/* monitor/migration-hmp-cmds.c */
void hmp_info_migrate(Monitor *mon, const json_t *qdict);
void hmp_info_migrate_capabilities(Monitor *mon, const json_t *qdict);
void hmp_info_migrate_parameters(Monitor *mon, const json_t *qdict);
void hmp_migrate(Monitor *mon, const json_t *qdict);
void hmp_migrate_cancel(Monitor *mon, const json_t *qdict);
void hmp_migrate_continue(Monitor *mon, const json_t *qdict);
void hmp_migrate_pause(Monitor *mon, const json_t *qdict);
void hmp_migrate_recover(Monitor *mon, const json_t *qdict);
void hmp_migrate_incoming(Monitor *mon, const json_t *qdict);
void hmp_migrate_set_capability(Monitor *mon, const json_t *qdict);
void hmp_migrate_set_parameter(Monitor *mon, const json_t *qdict);
void hmp_migrate_start_postcopy(Monitor *mon, const json_t *qdict);

#endif /* HMP_H */
