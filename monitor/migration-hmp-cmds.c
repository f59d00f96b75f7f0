/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HMP: info migrate, info migrate_parameters, info migrate_capabilities. */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-migration.h"
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
    qapi_free_MigrationParameters(p);
}
