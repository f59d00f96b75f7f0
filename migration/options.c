/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Migration capabilities and parameters: QMP commands, checks, accessors. */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/clone-visitor.h"
#include "qapi/qapi-commands-migration.h"
#include "qapi/qapi-visit-migration.h"
#include "qapi/qmp/qerror.h"
#include "qemu/atomic.h"
#include "sysemu/runstate.h"
#include "migration/misc.h"
#include "migration.h"
#include "qemu-file.h"
#include "options.h"

/* Largest downtime-limit, in ms; spelled unevaluated in QEMU's message. */
#define MAX_MIGRATE_DOWNTIME_SECONDS 2000
#define MAX_MIGRATE_DOWNTIME (MAX_MIGRATE_DOWNTIME_SECONDS * 1000)

/* Defaults of QEMU 7.2's migration object properties. */
#define DEFAULT_MIGRATE_MAX_BANDWIDTH (128 * MiB)
#define DEFAULT_MIGRATE_SET_DOWNTIME 300
#define DEFAULT_MIGRATE_COMPRESS_LEVEL 1
#define DEFAULT_MIGRATE_COMPRESS_THREAD_COUNT 8
#define DEFAULT_MIGRATE_DECOMPRESS_THREAD_COUNT 2
#define DEFAULT_MIGRATE_THROTTLE_TRIGGER_THRESHOLD 50
#define DEFAULT_MIGRATE_CPU_THROTTLE_INITIAL 20
#define DEFAULT_MIGRATE_CPU_THROTTLE_INCREMENT 10
#define DEFAULT_MIGRATE_MAX_CPU_THROTTLE 99
#define DEFAULT_MIGRATE_X_CHECKPOINT_DELAY (200 * 100)
#define DEFAULT_MIGRATE_MULTIFD_CHANNELS 2
#define DEFAULT_MIGRATE_MULTIFD_ZLIB_LEVEL 1
#define DEFAULT_MIGRATE_MULTIFD_ZSTD_LEVEL 1
#define DEFAULT_MIGRATE_XBZRLE_CACHE_SIZE (64 * MiB)
#define DEFAULT_MIGRATE_ANNOUNCE_INITIAL 50
#define DEFAULT_MIGRATE_ANNOUNCE_MAX 550
#define DEFAULT_MIGRATE_ANNOUNCE_ROUNDS 5
#define DEFAULT_MIGRATE_ANNOUNCE_STEP 100
#define TARGET_PAGE_SIZE 4096

void migrate_params_init(MigrationParameters *params)
{
    memset(params, 0, sizeof(*params));
    params->tls_hostname = g_strdup("");
    params->tls_creds = g_strdup("");
    params->tls_authz = g_strdup("");

    params->has_announce_initial = true;
    params->announce_initial = DEFAULT_MIGRATE_ANNOUNCE_INITIAL;
    params->has_announce_max = true;
    params->announce_max = DEFAULT_MIGRATE_ANNOUNCE_MAX;
    params->has_announce_rounds = true;
    params->announce_rounds = DEFAULT_MIGRATE_ANNOUNCE_ROUNDS;
    params->has_announce_step = true;
    params->announce_step = DEFAULT_MIGRATE_ANNOUNCE_STEP;
    params->has_compress_level = true;
    params->compress_level = DEFAULT_MIGRATE_COMPRESS_LEVEL;
    params->has_compress_threads = true;
    params->compress_threads = DEFAULT_MIGRATE_COMPRESS_THREAD_COUNT;
    params->has_compress_wait_thread = true;
    params->compress_wait_thread = true;
    params->has_decompress_threads = true;
    params->decompress_threads = DEFAULT_MIGRATE_DECOMPRESS_THREAD_COUNT;
    params->has_throttle_trigger_threshold = true;
    params->throttle_trigger_threshold =
        DEFAULT_MIGRATE_THROTTLE_TRIGGER_THRESHOLD;
    params->has_cpu_throttle_initial = true;
    params->cpu_throttle_initial = DEFAULT_MIGRATE_CPU_THROTTLE_INITIAL;
    params->has_cpu_throttle_increment = true;
    params->cpu_throttle_increment = DEFAULT_MIGRATE_CPU_THROTTLE_INCREMENT;
    params->has_cpu_throttle_tailslow = true;
    params->cpu_throttle_tailslow = false;
    params->has_tls_creds = true;
    params->has_tls_hostname = true;
    params->has_tls_authz = true;
    params->has_max_bandwidth = true;
    params->max_bandwidth = DEFAULT_MIGRATE_MAX_BANDWIDTH;
    params->has_downtime_limit = true;
    params->downtime_limit = DEFAULT_MIGRATE_SET_DOWNTIME;
    params->has_x_checkpoint_delay = true;
    params->x_checkpoint_delay = DEFAULT_MIGRATE_X_CHECKPOINT_DELAY;
    params->has_block_incremental = true;
    params->block_incremental = false;
    params->has_multifd_channels = true;
    params->multifd_channels = DEFAULT_MIGRATE_MULTIFD_CHANNELS;
    params->has_xbzrle_cache_size = true;
    params->xbzrle_cache_size = DEFAULT_MIGRATE_XBZRLE_CACHE_SIZE;
    params->has_max_postcopy_bandwidth = true;
    params->max_postcopy_bandwidth = 0;
    params->has_max_cpu_throttle = true;
    params->max_cpu_throttle = DEFAULT_MIGRATE_MAX_CPU_THROTTLE;
    params->has_multifd_compression = true;
    params->multifd_compression = MULTIFD_COMPRESSION_NONE;
    params->has_multifd_zlib_level = true;
    params->multifd_zlib_level = DEFAULT_MIGRATE_MULTIFD_ZLIB_LEVEL;
    params->has_multifd_zstd_level = true;
    params->multifd_zstd_level = DEFAULT_MIGRATE_MULTIFD_ZSTD_LEVEL;
    params->has_block_bitmap_mapping = false;
}

/* Accessors */

static bool migrate_cap(MigrationCapability cap)
{
    return qatomic_read(&migrate_get_current()->enabled_capabilities[cap]);
}

bool migrate_postcopy_ram(void)
{
    return migrate_cap(MIGRATION_CAPABILITY_POSTCOPY_RAM);
}

bool migrate_dirty_bitmaps(void)
{
    return migrate_cap(MIGRATION_CAPABILITY_DIRTY_BITMAPS);
}

bool migrate_postcopy(void)
{
    return migrate_postcopy_ram() || migrate_dirty_bitmaps();
}

bool migrate_use_events(void)
{
    return migrate_cap(MIGRATION_CAPABILITY_EVENTS);
}

bool migrate_use_return_path(void)
{
    return migrate_cap(MIGRATION_CAPABILITY_RETURN_PATH);
}

bool migrate_late_block_activate(void)
{
    return migrate_cap(MIGRATION_CAPABILITY_LATE_BLOCK_ACTIVATE);
}

bool migrate_ignore_shared(void)
{
    return migrate_cap(MIGRATION_CAPABILITY_X_IGNORE_SHARED);
}

bool migrate_validate_uuid(void)
{
    return migrate_cap(MIGRATION_CAPABILITY_VALIDATE_UUID);
}

bool migrate_pause_before_switchover(void)
{
    return migrate_cap(MIGRATION_CAPABILITY_PAUSE_BEFORE_SWITCHOVER);
}

int64_t migrate_max_bandwidth(void)
{
    return migrate_get_current()->parameters.max_bandwidth;
}

/* Capabilities */

/* Capabilities background-snapshot cannot be combined with. */
static const MigrationCapability check_caps_background_snapshot[] = {
    MIGRATION_CAPABILITY_POSTCOPY_RAM,
    MIGRATION_CAPABILITY_DIRTY_BITMAPS,
    MIGRATION_CAPABILITY_POSTCOPY_BLOCKTIME,
    MIGRATION_CAPABILITY_LATE_BLOCK_ACTIVATE,
    MIGRATION_CAPABILITY_RETURN_PATH,
    MIGRATION_CAPABILITY_MULTIFD,
    MIGRATION_CAPABILITY_PAUSE_BEFORE_SWITCHOVER,
    MIGRATION_CAPABILITY_AUTO_CONVERGE,
    MIGRATION_CAPABILITY_RELEASE_RAM,
    MIGRATION_CAPABILITY_RDMA_PIN_ALL,
    MIGRATION_CAPABILITY_COMPRESS,
    MIGRATION_CAPABILITY_XBZRLE,
    MIGRATION_CAPABILITY_X_COLO,
    MIGRATION_CAPABILITY_VALIDATE_UUID,
    MIGRATION_CAPABILITY_ZERO_COPY_SEND,
};

/*
 * Validate the whole new set @new_caps against @old_caps, with QEMU 7.2's
 * messages and in its order.  minivmm has no guest RAM, no old-style
 * block migration, no COLO and no userfaultfd write protection.
 */
static bool migrate_caps_check(const bool *old_caps, const bool *new_caps,
                               Error **errp)
{
    if (new_caps[MIGRATION_CAPABILITY_BLOCK]) {
        error_setg(errp, "QEMU compiled without old-style (blk/-b, inc/-i) "
                   "block migration");
        error_append_hint(errp, "Use drive_mirror+NBD instead.\n");
        return false;
    }
    if (new_caps[MIGRATION_CAPABILITY_X_COLO]) {
        error_setg(errp, "QEMU compiled without replication module"
                   " can't enable COLO");
        error_append_hint(errp, "Please enable replication before COLO.\n");
        return false;
    }
    if (new_caps[MIGRATION_CAPABILITY_POSTCOPY_RAM]) {
        if (new_caps[MIGRATION_CAPABILITY_X_IGNORE_SHARED]) {
            error_setg(errp, "Postcopy is not compatible with ignore-shared");
            return false;
        }
        /* There is no guest RAM to fault in: the host check fails. */
        error_setg(errp, "Postcopy is not supported");
        return false;
    }
    if (new_caps[MIGRATION_CAPABILITY_BACKGROUND_SNAPSHOT]) {
        for (size_t i = 0; i < ARRAY_SIZE(check_caps_background_snapshot);
             i++) {
            MigrationCapability cap = check_caps_background_snapshot[i];

            if (new_caps[cap]) {
                error_setg(errp, "Background-snapshot is not compatible "
                           "with %s", MigrationCapability_str(cap));
                return false;
            }
        }
        error_setg(errp, "Background-snapshot is not supported by host "
                   "kernel");
        return false;
    }
    if (new_caps[MIGRATION_CAPABILITY_ZERO_COPY_SEND]) {
        error_setg(errp, "Zero copy only available for non-compressed "
                   "non-TLS multifd migration");
        return false;
    }
    if (new_caps[MIGRATION_CAPABILITY_POSTCOPY_PREEMPT]) {
        if (!new_caps[MIGRATION_CAPABILITY_POSTCOPY_RAM]) {
            error_setg(errp, "Postcopy preempt requires postcopy-ram");
            return false;
        }
    }
    if (new_caps[MIGRATION_CAPABILITY_MULTIFD] &&
        new_caps[MIGRATION_CAPABILITY_COMPRESS]) {
        error_setg(errp, "Multifd is not compatible with compress");
        return false;
    }
    return true;
}

void qmp_migrate_set_capabilities(MigrationCapabilityStatusList *params,
                                  Error **errp)
{
    MigrationState *s = migrate_get_current();
    MigrationCapabilityStatusList *cap;
    bool new_caps[MIGRATION_CAPABILITY__MAX];

    if (migration_is_running(s->state)) {
        error_setg(errp, QERR_MIGRATION_ACTIVE);
        return;
    }
    memcpy(new_caps, s->enabled_capabilities, sizeof(new_caps));
    for (cap = params; cap; cap = cap->next) {
        new_caps[cap->value->capability] = cap->value->state;
    }
    if (!migrate_caps_check(s->enabled_capabilities, new_caps, errp)) {
        return;
    }
    for (int i = 0; i < MIGRATION_CAPABILITY__MAX; i++) {
        qatomic_set(&s->enabled_capabilities[i], new_caps[i]);
    }
}

MigrationCapabilityStatusList *qmp_query_migrate_capabilities(Error **errp)
{
    MigrationCapabilityStatusList *head = NULL, **tail = &head;
    MigrationState *s = migrate_get_current();

    for (int i = 0; i < MIGRATION_CAPABILITY__MAX; i++) {
        MigrationCapabilityStatus *caps = g_new0(MigrationCapabilityStatus, 1);
        MigrationCapabilityStatusList *entry =
            g_new0(MigrationCapabilityStatusList, 1);

        caps->capability = i;
        caps->state = s->enabled_capabilities[i];
        entry->value = caps;
        *tail = entry;
        tail = &entry->next;
    }
    return head;
}

/* Parameters */

MigrationParameters *qmp_query_migrate_parameters(Error **errp)
{
    MigrationState *s = migrate_get_current();

    return QAPI_CLONE(MigrationParameters, &s->parameters);
}

/* Check the parameter set @params (current values with the request). */
static bool migrate_params_check(MigrationParameters *params, Error **errp)
{
    Error *local_err = NULL;

    if (params->has_compress_level && params->compress_level > 9) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, "compress_level",
                   "a value between 0 and 9");
        return false;
    }
    if (params->has_compress_threads && params->compress_threads < 1) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, "compress_threads",
                   "a value between 1 and 255");
        return false;
    }
    if (params->has_decompress_threads && params->decompress_threads < 1) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, "decompress_threads",
                   "a value between 1 and 255");
        return false;
    }
    if (params->has_throttle_trigger_threshold &&
        (params->throttle_trigger_threshold < 1 ||
         params->throttle_trigger_threshold > 100)) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE,
                   "throttle_trigger_threshold",
                   "an integer in the range of 1 to 100");
        return false;
    }
    if (params->has_cpu_throttle_initial &&
        (params->cpu_throttle_initial < 1 ||
         params->cpu_throttle_initial > 99)) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE,
                   "cpu_throttle_initial",
                   "an integer in the range of 1 to 99");
        return false;
    }
    if (params->has_cpu_throttle_increment &&
        (params->cpu_throttle_increment < 1 ||
         params->cpu_throttle_increment > 99)) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE,
                   "cpu_throttle_increment",
                   "an integer in the range of 1 to 99");
        return false;
    }
    if (params->has_downtime_limit &&
        params->downtime_limit > MAX_MIGRATE_DOWNTIME) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, "downtime_limit",
                   "an integer in the range of 0 to "
                   stringify(MAX_MIGRATE_DOWNTIME)" ms");
        return false;
    }
    if (params->has_multifd_channels && params->multifd_channels < 1) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, "multifd_channels",
                   "a value between 1 and 255");
        return false;
    }
    if (params->has_multifd_zlib_level && params->multifd_zlib_level > 9) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, "multifd_zlib_level",
                   "a value between 0 and 9");
        return false;
    }
    if (params->has_multifd_zstd_level && params->multifd_zstd_level > 20) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, "multifd_zstd_level",
                   "a value between 0 and 20");
        return false;
    }
    if (params->has_xbzrle_cache_size &&
        (params->xbzrle_cache_size < TARGET_PAGE_SIZE ||
         (params->xbzrle_cache_size & (params->xbzrle_cache_size - 1)))) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, "xbzrle_cache_size",
                   "a power of two no less than the target page size");
        return false;
    }
    if (params->has_max_cpu_throttle &&
        (params->max_cpu_throttle < params->cpu_throttle_initial ||
         params->max_cpu_throttle > 99)) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, "max_cpu_throttle",
                   "an integer in the range of cpu_throttle_initial to 99");
        return false;
    }
    if (params->has_announce_initial && params->announce_initial > 100000) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, "announce_initial",
                   "a value between 0 and 100000");
        return false;
    }
    if (params->has_announce_max && params->announce_max > 100000) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, "announce_max",
                   "a value between 0 and 100000");
        return false;
    }
    if (params->has_announce_rounds && params->announce_rounds > 1000) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, "announce_rounds",
                   "a value between 0 and 1000");
        return false;
    }
    if (params->has_announce_step &&
        (params->announce_step < 1 || params->announce_step > 10000)) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, "announce_step",
                   "a value between 0 and 10000");
        return false;
    }
    if (params->has_block_bitmap_mapping &&
        !check_dirty_bitmap_mig_alias_map(params->block_bitmap_mapping,
                                          &local_err)) {
        error_prepend(&local_err, "Invalid mapping given for "
                      "block-bitmap-mapping: ");
        error_propagate(errp, local_err);
        return false;
    }
    return true;
}

/* A tls-* value: null means "" (QEMU resets the string). */
static char *str_or_null_dup(StrOrNull *s)
{
    if (s->type == QTYPE_QNULL) {
        return g_strdup("");
    }
    return g_strdup(s->u.s);
}

/*
 * Copy what @params sets onto @dest.  Strings and the mapping are shared
 * with @params, so @dest must only be read (the apply step deep copies).
 */
static void migrate_params_test_apply(MigrateSetParameters *params,
                                      MigrationParameters *dest)
{
    *dest = migrate_get_current()->parameters;

#define TEST_APPLY(field) do {                   \
        if (params->has_##field) {               \
            dest->field = params->field;         \
        }                                        \
    } while (0)
    TEST_APPLY(compress_level);
    TEST_APPLY(compress_threads);
    TEST_APPLY(compress_wait_thread);
    TEST_APPLY(decompress_threads);
    TEST_APPLY(throttle_trigger_threshold);
    TEST_APPLY(cpu_throttle_initial);
    TEST_APPLY(cpu_throttle_increment);
    TEST_APPLY(cpu_throttle_tailslow);
    TEST_APPLY(max_bandwidth);
    TEST_APPLY(downtime_limit);
    TEST_APPLY(x_checkpoint_delay);
    TEST_APPLY(block_incremental);
    TEST_APPLY(multifd_channels);
    TEST_APPLY(multifd_compression);
    TEST_APPLY(multifd_zlib_level);
    TEST_APPLY(multifd_zstd_level);
    TEST_APPLY(xbzrle_cache_size);
    TEST_APPLY(max_postcopy_bandwidth);
    TEST_APPLY(max_cpu_throttle);
    TEST_APPLY(announce_initial);
    TEST_APPLY(announce_max);
    TEST_APPLY(announce_rounds);
    TEST_APPLY(announce_step);
#undef TEST_APPLY
    if (params->has_block_bitmap_mapping) {
        dest->has_block_bitmap_mapping = true;
        dest->block_bitmap_mapping = params->block_bitmap_mapping;
    }
}

static void migrate_params_apply(MigrateSetParameters *params)
{
    MigrationState *s = migrate_get_current();
    MigrationParameters *p = &s->parameters;

#define APPLY(field) do {                        \
        if (params->has_##field) {               \
            p->field = params->field;            \
        }                                        \
    } while (0)
    APPLY(compress_level);
    APPLY(compress_threads);
    APPLY(compress_wait_thread);
    APPLY(decompress_threads);
    APPLY(throttle_trigger_threshold);
    APPLY(cpu_throttle_initial);
    APPLY(cpu_throttle_increment);
    APPLY(cpu_throttle_tailslow);
    APPLY(downtime_limit);
    APPLY(x_checkpoint_delay);
    APPLY(block_incremental);
    APPLY(multifd_channels);
    APPLY(multifd_compression);
    APPLY(multifd_zlib_level);
    APPLY(multifd_zstd_level);
    APPLY(xbzrle_cache_size);
    APPLY(max_cpu_throttle);
    APPLY(announce_initial);
    APPLY(announce_max);
    APPLY(announce_rounds);
    APPLY(announce_step);
#undef APPLY
    if (params->has_tls_creds) {
        g_free(p->tls_creds);
        p->tls_creds = str_or_null_dup(params->tls_creds);
    }
    if (params->has_tls_hostname) {
        g_free(p->tls_hostname);
        p->tls_hostname = str_or_null_dup(params->tls_hostname);
    }
    if (params->has_tls_authz) {
        g_free(p->tls_authz);
        p->tls_authz = str_or_null_dup(params->tls_authz);
    }
    if (params->has_max_bandwidth) {
        qatomic_set(&p->max_bandwidth, params->max_bandwidth);
        migration_rate_limit_changed(s);
    }
    if (params->has_max_postcopy_bandwidth) {
        qatomic_set(&p->max_postcopy_bandwidth,
                    params->max_postcopy_bandwidth);
        migration_rate_limit_changed(s);
    }
    if (params->has_block_bitmap_mapping) {
        qapi_free_BitmapMigrationNodeAliasList(p->block_bitmap_mapping);
        p->has_block_bitmap_mapping = true;
        p->block_bitmap_mapping =
            QAPI_CLONE(BitmapMigrationNodeAliasList,
                       params->block_bitmap_mapping);
    }
}

void qmp_migrate_set_parameters(MigrateSetParameters *params, Error **errp)
{
    MigrationParameters tmp;

    migrate_params_test_apply(params, &tmp);
    if (!migrate_params_check(&tmp, errp)) {
        return;
    }
    migrate_params_apply(params);
}
