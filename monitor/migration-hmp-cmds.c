/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HMP: migrate and its companion commands, info migrate and friends. */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-migration.h"
#include "qapi/qmp/qerror.h"
#include "qapi/util.h"
#include "qemu/atomic.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qemu/timer.h"
#include "monitor/monitor.h"
#include "monitor/hmp.h"
#include "migration/migration.h"

static const char *on_off(bool b)
{
    return b ? "on" : "off";
}

/* The migration object's properties, as QEMU lists them first. */
static void dump_globals(Monitor *mon)
{
    MigrationState *ms = migrate_get_current();
    const struct {
        const char *name;
        bool value;
    } props[] = {
        { "store-global-state", ms->store_global_state },
        { "only-migratable", ms->only_migratable },
        { "send-configuration", ms->send_configuration },
        { "send-section-footer", ms->send_section_footer },
        { "decompress-error-check", ms->decompress_error_check },
    };

    monitor_printf(mon, "globals:\n");
    for (size_t i = 0; i < ARRAY_SIZE(props); i++) {
        monitor_printf(mon, "%s: %s\n", props[i].name, on_off(props[i].value));
    }
    monitor_printf(mon, "clear-bitmap-shift: %u\n", ms->clear_bitmap_shift);
}

/* "@label: @ms ms", if the member is there. */
static void dump_ms(Monitor *mon, const char *label, bool has, uint64_t ms)
{
    if (has) {
        monitor_printf(mon, "%s: %" PRIu64 " ms\n", label, ms);
    }
}

static void dump_status(Monitor *mon, MigrationInfo *info)
{
    bool why = info->status == MIGRATION_STATUS_FAILED &&
               info->has_error_desc;

    monitor_printf(mon, "Migration status: %s%s%s%s\n",
                   MigrationStatus_str(info->status), why ? " (" : "",
                   why ? info->error_desc : "", why ? ")" : "");
    dump_ms(mon, "total time", true, info->total_time);
    dump_ms(mon, "expected downtime", info->has_expected_downtime,
            info->expected_downtime);
    dump_ms(mon, "downtime", info->has_downtime, info->downtime);
    dump_ms(mon, "setup", info->has_setup_time, info->setup_time);
}

/*
 * One line of 'ram' statistics: "@label: N[ @unit]", N in KiB when
 * @kib.  @always: printed even when 0.
 */
typedef struct RamLine {
    const char *label;
    size_t offset;              /* of the uint64_t in MigrationStats */
    bool kib;
    const char *unit;
    bool always;
} RamLine;

#define RAM_LINE(label, member, kib, unit, always) \
    { label, offsetof(MigrationStats, member), kib, unit, always }

/* In QEMU's order; throughput (a double) goes after the first line. */
static const RamLine ram_lines[] = {
    RAM_LINE("transferred ram", transferred, true, " kbytes", true),
    RAM_LINE("remaining ram", remaining, true, " kbytes", true),
    RAM_LINE("total ram", total, true, " kbytes", true),
    RAM_LINE("duplicate", duplicate, false, " pages", true),
    RAM_LINE("skipped", skipped, false, " pages", true),
    RAM_LINE("normal", normal, false, " pages", true),
    RAM_LINE("normal bytes", normal_bytes, true, " kbytes", true),
    RAM_LINE("dirty sync count", dirty_sync_count, false, "", true),
    RAM_LINE("page size", page_size, true, " kbytes", true),
    RAM_LINE("multifd bytes", multifd_bytes, true, " kbytes", true),
    RAM_LINE("pages-per-second", pages_per_second, false, "", true),
    RAM_LINE("dirty pages rate", dirty_pages_rate, false, " pages", false),
    RAM_LINE("postcopy request count", postcopy_requests, false, "", false),
    RAM_LINE("precopy ram", precopy_bytes, true, " kbytes", false),
    RAM_LINE("downtime ram", downtime_bytes, true, " kbytes", false),
    RAM_LINE("postcopy ram", postcopy_bytes, true, " kbytes", false),
};

static void dump_ram(Monitor *mon, const MigrationStats *ram)
{
    for (size_t i = 0; i < ARRAY_SIZE(ram_lines); i++) {
        const RamLine *l = &ram_lines[i];
        uint64_t v = *(const uint64_t *)((const uint8_t *)ram + l->offset);

        if (v || l->always) {
            monitor_printf(mon, "%s: %" PRIu64 "%s\n", l->label,
                           l->kib ? v >> 10 : v, l->unit);
        }
        if (i == 0) {
            monitor_printf(mon, "throughput: %0.2f mbps\n", ram->mbps);
        }
    }
}

static char *socket_uri(SocketAddress *addr)
{
    switch (addr->type) {
    case SOCKET_ADDRESS_TYPE_INET:
        return g_strdup_printf("tcp:%s:%s", addr->u.inet.host,
                               addr->u.inet.port);
    case SOCKET_ADDRESS_TYPE_UNIX:
        return g_strdup_printf("unix:%s", addr->u.q_unix.path);
    default:
        return g_strdup("unknown");
    }
}

/*
 * minivmm's one line of dirty-bitmap progress, only when bitmaps moved
 * or were dropped (so that the rest stays QEMU 7.2's output).
 */
static void dump_dirty_bitmaps(Monitor *mon,
                               const XDirtyBitmapMigrationInfo *d)
{
    XDirtyBitmapMigrationDroppedList *l;
    uint64_t dropped = d->has_dropped_more ? d->dropped_more : 0;

    for (l = d->dropped; l; l = l->next) {
        dropped++;
    }
    if (!d->total && !dropped) {
        return;
    }
    monitor_printf(mon, "dirty bitmaps: %" PRIu64 " total, %" PRIu64
                   " started, %" PRIu64 " completed, %" PRIu64 " dropped, %"
                   PRIu64
                   " bytes %s", d->total, d->started, d->completed, dropped,
                   d->bytes, d->incoming ? "received" : "sent");
    if (d->has_pending) {
        monitor_printf(mon, ", %" PRIu64 " pending", d->pending);
    }
    monitor_printf(mon, ", %" PRIu64 " chunks\n", d->chunks);
}

void hmp_info_migrate(Monitor *mon, const json_t *qdict)
{
    MigrationInfo *info = qmp_query_migrate(NULL);

    dump_globals(mon);
    if (info->has_status) {
        dump_status(mon, info);
    }
    if (info->has_ram) {
        dump_ram(mon, info->ram);
    }
    if (info->has_x_dirty_bitmaps) {
        dump_dirty_bitmaps(mon, info->x_dirty_bitmaps);
    }
    if (info->has_socket_address) {
        SocketAddressList *addr;

        monitor_printf(mon, "socket address: [\n");
        for (addr = info->socket_address; addr; addr = addr->next) {
            g_autofree char *s = socket_uri(addr->value);

            monitor_printf(mon, "\t%s\n", s);
        }
        monitor_printf(mon, "]\n");
    }
    qapi_free_MigrationInfo(info);
}

void hmp_info_migrate_capabilities(Monitor *mon, const json_t *qdict)
{
    MigrationCapabilityStatusList *caps, *cap;

    caps = qmp_query_migrate_capabilities(NULL);
    for (cap = caps; cap; cap = cap->next) {
        monitor_printf(mon, "%s: %s\n",
                       MigrationCapability_str(cap->value->capability),
                       cap->value->state ? "on" : "off");
    }
    qapi_free_MigrationCapabilityStatusList(caps);
}

/* How one migration parameter is shown by 'info migrate_parameters'. */
typedef enum ParamShow {
    SHOW_U64,                   /* uint64_t */
    SHOW_U32,                   /* uint32_t */
    SHOW_U8,                    /* uint8_t */
    SHOW_BOOL,                  /* bool, as on/off */
    SHOW_STR,                   /* char *, quoted */
    SHOW_COMPRESSION,           /* MultiFDCompression, by name */
} ParamShow;

typedef struct ParamLine {
    const char *name;
    ParamShow show;
    size_t offset;              /* in MigrationParameters */
    const char *unit;           /* after the value, or "" */
} ParamLine;

#define PARAM_LINE(name, show, member, unit) \
    { name, show, offsetof(MigrationParameters, member), unit }

/* QEMU 7.2's lines, in its order. */
static const ParamLine param_lines[] = {
    PARAM_LINE("announce-initial", SHOW_U64, announce_initial, " ms"),
    PARAM_LINE("announce-max", SHOW_U64, announce_max, " ms"),
    PARAM_LINE("announce-rounds", SHOW_U64, announce_rounds, ""),
    PARAM_LINE("announce-step", SHOW_U64, announce_step, " ms"),
    PARAM_LINE("compress-level", SHOW_U8, compress_level, ""),
    PARAM_LINE("compress-threads", SHOW_U8, compress_threads, ""),
    PARAM_LINE("compress-wait-thread", SHOW_BOOL, compress_wait_thread, ""),
    PARAM_LINE("decompress-threads", SHOW_U8, decompress_threads, ""),
    PARAM_LINE("throttle-trigger-threshold", SHOW_U8,
               throttle_trigger_threshold, ""),
    PARAM_LINE("cpu-throttle-initial", SHOW_U8, cpu_throttle_initial, ""),
    PARAM_LINE("cpu-throttle-increment", SHOW_U8, cpu_throttle_increment,
               ""),
    PARAM_LINE("cpu-throttle-tailslow", SHOW_BOOL, cpu_throttle_tailslow,
               ""),
    PARAM_LINE("max-cpu-throttle", SHOW_U8, max_cpu_throttle, ""),
    PARAM_LINE("tls-creds", SHOW_STR, tls_creds, ""),
    PARAM_LINE("tls-hostname", SHOW_STR, tls_hostname, ""),
    PARAM_LINE("max-bandwidth", SHOW_U64, max_bandwidth, " bytes/second"),
    PARAM_LINE("downtime-limit", SHOW_U64, downtime_limit, " ms"),
    PARAM_LINE("x-checkpoint-delay", SHOW_U32, x_checkpoint_delay, " ms"),
    PARAM_LINE("block-incremental", SHOW_BOOL, block_incremental, ""),
    PARAM_LINE("multifd-channels", SHOW_U8, multifd_channels, ""),
    PARAM_LINE("multifd-compression", SHOW_COMPRESSION, multifd_compression,
               ""),
    PARAM_LINE("xbzrle-cache-size", SHOW_U64, xbzrle_cache_size, " bytes"),
    PARAM_LINE("max-postcopy-bandwidth", SHOW_U64, max_postcopy_bandwidth,
               ""),
    PARAM_LINE("tls-authz", SHOW_STR, tls_authz, ""),
};

/* The text of @line's value in @p (g_free it). */
static char *param_text(const MigrationParameters *p, const ParamLine *line)
{
    const void *at = (const uint8_t *)p + line->offset;

    switch (line->show) {
    case SHOW_U64:
        return g_strdup_printf("%" PRIu64, *(const uint64_t *)at);
    case SHOW_U32:
        return g_strdup_printf("%" PRIu32, *(const uint32_t *)at);
    case SHOW_U8:
        return g_strdup_printf("%u", *(const uint8_t *)at);
    case SHOW_BOOL:
        return g_strdup(on_off(*(const bool *)at));
    case SHOW_STR:
        return g_strdup_printf("'%s'", *(char *const *)at);
    case SHOW_COMPRESSION:
        return g_strdup(MultiFDCompression_str(
            *(const MultiFDCompression *)at));
    }
    g_assert_not_reached();
}

void hmp_info_migrate_parameters(Monitor *mon, const json_t *qdict)
{
    MigrationParameters *p = qmp_query_migrate_parameters(NULL);
    BitmapMigrationNodeAliasList *bmnal;

    for (size_t i = 0; i < ARRAY_SIZE(param_lines); i++) {
        g_autofree char *text = param_text(p, &param_lines[i]);

        monitor_printf(mon, "%s: %s%s\n", param_lines[i].name, text,
                       param_lines[i].unit);
    }
    if (p->has_block_bitmap_mapping) {
        monitor_printf(mon, "block-bitmap-mapping:\n");
        for (bmnal = p->block_bitmap_mapping; bmnal; bmnal = bmnal->next) {
            BitmapMigrationNodeAlias *bmna = bmnal->value;
            BitmapMigrationBitmapAliasList *bmbal;

            monitor_printf(mon, "  '%s' -> '%s'\n", bmna->node_name,
                           bmna->alias);
            for (bmbal = bmna->bitmaps; bmbal; bmbal = bmbal->next) {
                BitmapMigrationBitmapAlias *bmba = bmbal->value;

                monitor_printf(mon, "    '%s' -> '%s'\n", bmba->name,
                               bmba->alias);
            }
        }
    }
    /* minivmm's, once set (QEMU 7.2 has none) */
    if (p->has_x_dirty_bitmaps_keep_incomplete) {
        monitor_printf(mon, "x-dirty-bitmaps-keep-incomplete: %s\n",
                       on_off(p->x_dirty_bitmaps_keep_incomplete));
    }
    if (p->has_x_dirty_bitmaps_skip_busy) {
        monitor_printf(mon, "x-dirty-bitmaps-skip-busy: %s\n",
                       on_off(p->x_dirty_bitmaps_skip_busy));
    }
    if (p->has_x_dirty_bitmaps_strict) {
        monitor_printf(mon, "x-dirty-bitmaps-strict: %s\n",
                       on_off(p->x_dirty_bitmaps_strict));
    }
    qapi_free_MigrationParameters(p);
}

/* migrate and its companions */

/* Watches a synchronous HMP migrate until it leaves setup/active. */
typedef struct HMPMigrateWatch {
    Monitor *mon;
    QEMUTimer *timer;
} HMPMigrateWatch;

#define HMP_MIGRATE_POLL_MS 100

static void hmp_migrate_watch_cb(void *opaque)
{
    HMPMigrateWatch *w = opaque;
    MigrationInfo *info;

    switch (qatomic_read(&migrate_get_current()->state)) {
    case MIGRATION_STATUS_NONE:
    case MIGRATION_STATUS_SETUP:
    case MIGRATION_STATUS_ACTIVE:
        timer_mod(w->timer, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) +
                  HMP_MIGRATE_POLL_MS);
        return;
    default:
        break;
    }
    /* As QEMU: the failure goes to stderr, the monitor gets its prompt */
    info = qmp_query_migrate(NULL);
    if (info->has_error_desc) {
        error_report("%s", info->error_desc);
    }
    qapi_free_MigrationInfo(info);
    monitor_resume(w->mon);
    timer_free(w->timer);
    g_free(w);
}

void hmp_migrate(Monitor *mon, const json_t *qdict)
{
    bool detach = hmp_arg_bool(qdict, "detach", false);
    bool blk = hmp_arg_bool(qdict, "blk", false);
    bool inc = hmp_arg_bool(qdict, "inc", false);
    bool resume = hmp_arg_bool(qdict, "resume", false);
    HMPMigrateWatch *w;
    Error *err = NULL;

    qmp_migrate(hmp_arg_str(qdict, "uri"), blk, blk, inc, inc, false, false,
                true, resume, &err);
    if (err) {
        hmp_handle_error(mon, err);
        return;
    }
    if (detach) {
        return;
    }
    /* Without -d the prompt comes back when the migration is over */
    if (monitor_suspend(mon) < 0) {
        monitor_printf(mon, "terminal does not allow synchronous "
                       "migration, continuing detached\n");
        return;
    }
    w = g_new0(HMPMigrateWatch, 1);
    w->mon = mon;
    w->timer = timer_new_ms(QEMU_CLOCK_REALTIME, hmp_migrate_watch_cb, w);
    timer_mod(w->timer, qemu_clock_get_ms(QEMU_CLOCK_REALTIME));
}

void hmp_migrate_incoming(Monitor *mon, const json_t *qdict)
{
    Error *err = NULL;

    qmp_migrate_incoming(hmp_arg_str(qdict, "uri"), &err);
    hmp_handle_error(mon, err);
}

void hmp_migrate_pause(Monitor *mon, const json_t *qdict)
{
    Error *err = NULL;

    qmp_migrate_pause(&err);
    hmp_handle_error(mon, err);
}

void hmp_migrate_recover(Monitor *mon, const json_t *qdict)
{
    Error *err = NULL;

    qmp_migrate_recover(hmp_arg_str(qdict, "uri"), &err);
    hmp_handle_error(mon, err);
}

void hmp_migrate_cancel(Monitor *mon, const json_t *qdict)
{
    qmp_migrate_cancel(NULL);
}

void hmp_migrate_start_postcopy(Monitor *mon, const json_t *qdict)
{
    Error *err = NULL;

    qmp_migrate_start_postcopy(&err);
    hmp_handle_error(mon, err);
}

void hmp_migrate_continue(Monitor *mon, const json_t *qdict)
{
    Error *err = NULL;
    int state = qapi_enum_parse(&MigrationStatus_lookup,
                                hmp_arg_str(qdict, "state"), -1, &err);

    if (state >= 0) {
        qmp_migrate_continue(state, &err);
    }
    hmp_handle_error(mon, err);
}

void hmp_migrate_set_capability(Monitor *mon, const json_t *qdict)
{
    Error *err = NULL;
    int cap = qapi_enum_parse(&MigrationCapability_lookup,
                              hmp_arg_str(qdict, "capability"), -1, &err);
    MigrationCapabilityStatus status = {
        .capability = cap,
        .state = hmp_arg_bool(qdict, "state", false),
    };
    MigrationCapabilityStatusList list = { .value = &status };

    if (cap >= 0) {
        qmp_migrate_set_capabilities(&list, &err);
    }
    hmp_handle_error(mon, err);
}

/* How migrate_set_parameter reads the value of each parameter */
typedef enum HMPParamKind {
    HMP_PARAM_UINT8 = 1,        /* C number (0x.., 0..), at most 255 */
    HMP_PARAM_UINT32,           /* the same, at most UINT32_MAX */
    HMP_PARAM_SIZE,             /* a size, bytes by default */
    HMP_PARAM_SIZE_MIB,         /* a size, MiB by default, < 2^63 */
    HMP_PARAM_BOOL,             /* on/yes/true/y or off/no/false/n */
    HMP_PARAM_STR,
    HMP_PARAM_COMPRESSION,      /* a MultiFDCompression name */
} HMPParamKind;

typedef struct HMPParam {
    HMPParamKind kind;
    size_t has;                 /* offsets into MigrateSetParameters */
    size_t value;
} HMPParam;

#define HMP_PARAM(kind_, field) \
    { HMP_PARAM_##kind_, offsetof(MigrateSetParameters, has_##field), \
      offsetof(MigrateSetParameters, field) }

static const HMPParam hmp_params[MIGRATION_PARAMETER__MAX] = {
    [MIGRATION_PARAMETER_ANNOUNCE_INITIAL] = HMP_PARAM(SIZE,
                                                       announce_initial),
    [MIGRATION_PARAMETER_ANNOUNCE_MAX] = HMP_PARAM(SIZE, announce_max),
    [MIGRATION_PARAMETER_ANNOUNCE_ROUNDS] = HMP_PARAM(SIZE, announce_rounds),
    [MIGRATION_PARAMETER_ANNOUNCE_STEP] = HMP_PARAM(SIZE, announce_step),
    [MIGRATION_PARAMETER_COMPRESS_LEVEL] = HMP_PARAM(UINT8, compress_level),
    [MIGRATION_PARAMETER_COMPRESS_THREADS] = HMP_PARAM(UINT8,
                                                       compress_threads),
    [MIGRATION_PARAMETER_DECOMPRESS_THREADS] = HMP_PARAM(UINT8,
                                                         decompress_threads),
    [MIGRATION_PARAMETER_COMPRESS_WAIT_THREAD] = HMP_PARAM(BOOL,
                                                    compress_wait_thread),
    [MIGRATION_PARAMETER_THROTTLE_TRIGGER_THRESHOLD] =
        HMP_PARAM(UINT8, throttle_trigger_threshold),
    [MIGRATION_PARAMETER_CPU_THROTTLE_INITIAL] = HMP_PARAM(UINT8,
                                                    cpu_throttle_initial),
    [MIGRATION_PARAMETER_CPU_THROTTLE_INCREMENT] = HMP_PARAM(UINT8,
                                                    cpu_throttle_increment),
    [MIGRATION_PARAMETER_CPU_THROTTLE_TAILSLOW] = HMP_PARAM(BOOL,
                                                    cpu_throttle_tailslow),
    [MIGRATION_PARAMETER_TLS_CREDS] = HMP_PARAM(STR, tls_creds),
    [MIGRATION_PARAMETER_TLS_HOSTNAME] = HMP_PARAM(STR, tls_hostname),
    [MIGRATION_PARAMETER_TLS_AUTHZ] = HMP_PARAM(STR, tls_authz),
    [MIGRATION_PARAMETER_MAX_BANDWIDTH] = HMP_PARAM(SIZE_MIB, max_bandwidth),
    [MIGRATION_PARAMETER_DOWNTIME_LIMIT] = HMP_PARAM(SIZE, downtime_limit),
    [MIGRATION_PARAMETER_X_CHECKPOINT_DELAY] = HMP_PARAM(UINT32,
                                                         x_checkpoint_delay),
    [MIGRATION_PARAMETER_BLOCK_INCREMENTAL] = HMP_PARAM(BOOL,
                                                        block_incremental),
    [MIGRATION_PARAMETER_MULTIFD_CHANNELS] = HMP_PARAM(UINT8,
                                                       multifd_channels),
    [MIGRATION_PARAMETER_XBZRLE_CACHE_SIZE] = HMP_PARAM(SIZE,
                                                        xbzrle_cache_size),
    [MIGRATION_PARAMETER_MAX_POSTCOPY_BANDWIDTH] =
        HMP_PARAM(SIZE, max_postcopy_bandwidth),
    [MIGRATION_PARAMETER_MAX_CPU_THROTTLE] = HMP_PARAM(UINT8,
                                                       max_cpu_throttle),
    [MIGRATION_PARAMETER_MULTIFD_COMPRESSION] = HMP_PARAM(COMPRESSION,
                                                    multifd_compression),
    [MIGRATION_PARAMETER_MULTIFD_ZLIB_LEVEL] = HMP_PARAM(UINT8,
                                                         multifd_zlib_level),
    [MIGRATION_PARAMETER_MULTIFD_ZSTD_LEVEL] = HMP_PARAM(UINT8,
                                                         multifd_zstd_level),
    /* block-bitmap-mapping: kind 0, QMP only */
    /* minivmm's, not in QEMU 7.2 */
    [MIGRATION_PARAMETER_X_DIRTY_BITMAPS_KEEP_INCOMPLETE] =
        HMP_PARAM(BOOL, x_dirty_bitmaps_keep_incomplete),
    [MIGRATION_PARAMETER_X_DIRTY_BITMAPS_SKIP_BUSY] =
        HMP_PARAM(BOOL, x_dirty_bitmaps_skip_busy),
    [MIGRATION_PARAMETER_X_DIRTY_BITMAPS_STRICT] =
        HMP_PARAM(BOOL, x_dirty_bitmaps_strict),
};

/* An unsigned C number no bigger than @max, QEMU's string-visitor way */
static bool hmp_param_uint(const char *name, const char *text,
                           uint64_t max, const char *type, uint64_t *v,
                           Error **errp)
{
    if (qemu_strtou64(text, NULL, 0, v) < 0) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, name, "uint64");
        return false;
    }
    if (*v > max) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, name, type);
        return false;
    }
    return true;
}

static bool hmp_param_size(const char *name, const char *text, uint64_t *v,
                           Error **errp)
{
    int ret = qemu_strtosz(text, NULL, v);

    if (ret == -ERANGE) {
        error_setg(errp, "Value '%s' is out of range for parameter '%s'",
                   text, name);
        return false;
    }
    if (ret < 0) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, name,
                   "a non-negative number below 2^64");
        error_append_hint(errp, "Optional suffix k, M, G, T, P or E means "
                          "kilo-, mega-, giga-, tera-, peta-\n"
                          "and exabytes, respectively.\n");
        return false;
    }
    return true;
}

/* Parse @text as parameter @param's value and set it in @p. */
static bool hmp_param_parse(MigrationParameter param, const char *text,
                            MigrateSetParameters *p, Error **errp)
{
    const HMPParam *hp = &hmp_params[param];
    const char *name = MigrationParameter_str(param);
    char *base = (char *)p;
    uint64_t v;
    bool b;
    int e;

    switch (hp->kind) {
    case HMP_PARAM_UINT8:
        if (!hmp_param_uint(name, text, UINT8_MAX, "uint8_t", &v, errp)) {
            return false;
        }
        *(uint8_t *)(base + hp->value) = v;
        break;
    case HMP_PARAM_UINT32:
        if (!hmp_param_uint(name, text, UINT32_MAX, "uint32_t", &v, errp)) {
            return false;
        }
        *(uint32_t *)(base + hp->value) = v;
        break;
    case HMP_PARAM_SIZE:
        if (!hmp_param_size(name, text, &v, errp)) {
            return false;
        }
        *(uint64_t *)(base + hp->value) = v;
        break;
    case HMP_PARAM_SIZE_MIB:
        /* QEMU also refuses what does not fit an int64_t here */
        if (qemu_strtosz_MiB(text, NULL, &v) < 0 || v > INT64_MAX) {
            error_setg(errp, "Invalid size %s", text);
            return false;
        }
        *(uint64_t *)(base + hp->value) = v;
        break;
    case HMP_PARAM_BOOL:
        if (!qapi_bool_parse(name, text, &b, errp)) {
            return false;
        }
        *(bool *)(base + hp->value) = b;
        break;
    case HMP_PARAM_STR: {
        StrOrNull *s = g_new0(StrOrNull, 1);

        s->type = QTYPE_QSTRING;
        s->u.s = g_strdup(text);
        *(StrOrNull **)(base + hp->value) = s;
        break;
    }
    case HMP_PARAM_COMPRESSION:
        e = qapi_enum_parse(&MultiFDCompression_lookup, text, -1, NULL);
        if (e < 0) {
            error_setg(errp, "Parameter '%s' does not accept value '%s'",
                       name, text);
            return false;
        }
        *(MultiFDCompression *)(base + hp->value) = e;
        break;
    default:
        error_setg(errp, "The %s parameter can only be set through QMP",
                   name);
        return false;
    }
    *(bool *)(base + hp->has) = true;
    return true;
}

void hmp_migrate_set_parameter(Monitor *mon, const json_t *qdict)
{
    g_autoptr(MigrateSetParameters) p = g_new0(MigrateSetParameters, 1);
    Error *err = NULL;
    int param = qapi_enum_parse(&MigrationParameter_lookup,
                                hmp_arg_str(qdict, "parameter"), -1, &err);

    if (param >= 0 &&
        hmp_param_parse(param, hmp_arg_str(qdict, "value"), p, &err)) {
        qmp_migrate_set_parameters(p, &err);
    }
    hmp_handle_error(mon, err);
}
