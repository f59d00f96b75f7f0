/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HMP: info migrate, info migrate_parameters, info migrate_capabilities. */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-migration.h"
#include "monitor/monitor.h"
#include "monitor/hmp.h"
#include "migration.h"

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
        MigrationStats *ram = info->ram;

        monitor_printf(mon, "transferred ram: %" PRIu64 " kbytes\n",
                       ram->transferred >> 10);
        monitor_printf(mon, "throughput: %0.2f mbps\n", ram->mbps);
        monitor_printf(mon, "remaining ram: %" PRIu64 " kbytes\n",
                       ram->remaining >> 10);
        monitor_printf(mon, "total ram: %" PRIu64 " kbytes\n",
                       ram->total >> 10);
        monitor_printf(mon, "duplicate: %" PRIu64 " pages\n",
                       ram->duplicate);
        monitor_printf(mon, "skipped: %" PRIu64 " pages\n", ram->skipped);
        monitor_printf(mon, "normal: %" PRIu64 " pages\n", ram->normal);
        monitor_printf(mon, "normal bytes: %" PRIu64 " kbytes\n",
                       ram->normal_bytes >> 10);
        monitor_printf(mon, "dirty sync count: %" PRIu64 "\n",
                       ram->dirty_sync_count);
        monitor_printf(mon, "page size: %" PRIu64 " kbytes\n",
                       ram->page_size >> 10);
        monitor_printf(mon, "multifd bytes: %" PRIu64 " kbytes\n",
                       ram->multifd_bytes >> 10);
        monitor_printf(mon, "pages-per-second: %" PRIu64 "\n",
                       ram->pages_per_second);
        if (ram->dirty_pages_rate) {
            monitor_printf(mon, "dirty pages rate: %" PRIu64 " pages\n",
                           ram->dirty_pages_rate);
        }
        if (ram->postcopy_requests) {
            monitor_printf(mon, "postcopy request count: %" PRIu64 "\n",
                           ram->postcopy_requests);
        }
        if (ram->precopy_bytes) {
            monitor_printf(mon, "precopy ram: %" PRIu64 " kbytes\n",
                           ram->precopy_bytes >> 10);
        }
        if (ram->downtime_bytes) {
            monitor_printf(mon, "downtime ram: %" PRIu64 " kbytes\n",
                           ram->downtime_bytes >> 10);
        }
        if (ram->postcopy_bytes) {
            monitor_printf(mon, "postcopy ram: %" PRIu64 " kbytes\n",
                           ram->postcopy_bytes >> 10);
        }
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

void hmp_info_migrate_parameters(Monitor *mon, const json_t *qdict)
{
    MigrationParameters *p = qmp_query_migrate_parameters(NULL);
    BitmapMigrationNodeAliasList *bmnal;

    monitor_printf(mon, "announce-initial: %" PRIu64 " ms\n",
                   p->announce_initial);
    monitor_printf(mon, "announce-max: %" PRIu64 " ms\n", p->announce_max);
    monitor_printf(mon, "announce-rounds: %" PRIu64 "\n",
                   p->announce_rounds);
    monitor_printf(mon, "announce-step: %" PRIu64 " ms\n", p->announce_step);
    monitor_printf(mon, "compress-level: %u\n", p->compress_level);
    monitor_printf(mon, "compress-threads: %u\n", p->compress_threads);
    monitor_printf(mon, "compress-wait-thread: %s\n",
                   p->compress_wait_thread ? "on" : "off");
    monitor_printf(mon, "decompress-threads: %u\n", p->decompress_threads);
    monitor_printf(mon, "throttle-trigger-threshold: %u\n",
                   p->throttle_trigger_threshold);
    monitor_printf(mon, "cpu-throttle-initial: %u\n",
                   p->cpu_throttle_initial);
    monitor_printf(mon, "cpu-throttle-increment: %u\n",
                   p->cpu_throttle_increment);
    monitor_printf(mon, "cpu-throttle-tailslow: %s\n",
                   p->cpu_throttle_tailslow ? "on" : "off");
    monitor_printf(mon, "max-cpu-throttle: %u\n", p->max_cpu_throttle);
    monitor_printf(mon, "tls-creds: '%s'\n", p->tls_creds);
    monitor_printf(mon, "tls-hostname: '%s'\n", p->tls_hostname);
    monitor_printf(mon, "max-bandwidth: %" PRIu64 " bytes/second\n",
                   p->max_bandwidth);
    monitor_printf(mon, "downtime-limit: %" PRIu64 " ms\n",
                   p->downtime_limit);
    monitor_printf(mon, "x-checkpoint-delay: %u ms\n",
                   p->x_checkpoint_delay);
    monitor_printf(mon, "block-incremental: %s\n",
                   p->block_incremental ? "on" : "off");
    monitor_printf(mon, "multifd-channels: %u\n", p->multifd_channels);
    monitor_printf(mon, "multifd-compression: %s\n",
                   MultiFDCompression_str(p->multifd_compression));
    monitor_printf(mon, "xbzrle-cache-size: %" PRIu64 " bytes\n",
                   p->xbzrle_cache_size);
    monitor_printf(mon, "max-postcopy-bandwidth: %" PRIu64 "\n",
                   p->max_postcopy_bandwidth);
    monitor_printf(mon, "tls-authz: '%s'\n", p->tls_authz);
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
