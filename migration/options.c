/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Migration capabilities and parameters: QMP commands, checks, accessors. */
#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "qapi/error.h"
#include "qapi/clone-visitor.h"
#include "qapi/qapi-commands-migration.h"
#include "qapi/qapi-visit-migration.h"
#include "qapi/qmp/qerror.h"
#include "qapi/util.h"
#include "qemu/atomic.h"
#include "qemu/host-utils.h"
#include "sysemu/runstate.h"
#include "migration/misc.h"
#include "migration/dirty-bitmap-ext.h"
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
    /*
     * minivmm's x-dirty-bitmaps-* are off, and left out of
     * query-migrate-parameters (QEMU 7.2's answer) until set.
     */
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

bool migrate_use_multifd(void)
{
    return migrate_cap(MIGRATION_CAPABILITY_MULTIFD);
}

int migrate_multifd_channels(void)
{
    return migrate_get_current()->parameters.multifd_channels;
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

bool migrate_x_dirty_bitmaps_keep_incomplete(void)
{
    MigrationParameters *p = &migrate_get_current()->parameters;

    return qatomic_read(&p->x_dirty_bitmaps_keep_incomplete);
}

bool migrate_x_dirty_bitmaps_skip_busy(void)
{
    MigrationParameters *p = &migrate_get_current()->parameters;

    return qatomic_read(&p->x_dirty_bitmaps_skip_busy);
}

bool migrate_x_dirty_bitmaps_strict(void)
{
    MigrationParameters *p = &migrate_get_current()->parameters;

    return qatomic_read(&p->x_dirty_bitmaps_strict);
}

bool migrate_tls_check(Error **errp)
{
    bool take_bql = !qemu_mutex_iothread_locked();
    g_autofree char *creds = NULL;

    if (take_bql) {
        qemu_mutex_lock_iothread();
    }
    creds = g_strdup(migrate_get_current()->parameters.tls_creds);
    if (take_bql) {
        qemu_mutex_unlock_iothread();
    }
    /* minivmm makes no TLS credentials objects: none can be found. */
    if (creds && *creds) {
        error_setg(errp, "No TLS credentials with id '%s'", creds);
        return false;
    }
    return true;
}

int64_t migrate_max_bandwidth(void)
{
    return migrate_get_current()->parameters.max_bandwidth;
}

/* Capabilities */

/*
 * The capabilities background-snapshot cannot be combined with, by their
 * QAPI names, in the order QEMU 7.2 checks (and so names) them.
 */
static const char background_snapshot_conflicts[] =
    "postcopy-ram dirty-bitmaps postcopy-blocktime late-block-activate "
    "return-path multifd pause-before-switchover auto-converge release-ram "
    "rdma-pin-all compress xbzrle x-colo validate-uuid zero-copy-send";

/* The first capability of @caps that background-snapshot excludes. */
static bool background_snapshot_conflict(const bool *caps,
                                         MigrationCapability *which)
{
    g_auto(GStrv) names = g_strsplit(background_snapshot_conflicts, " ", -1);

    for (char **n = names; *n; n++) {
        int cap = qapi_enum_parse(&MigrationCapability_lookup, *n, -1, NULL);

        assert(cap >= 0);
        if (caps[cap]) {
            *which = cap;
            return true;
        }
    }
    return false;
}

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
    /* With no guest RAM, postcopy-ram has no page to fault in. */
    if (new_caps[MIGRATION_CAPABILITY_POSTCOPY_RAM] &&
        new_caps[MIGRATION_CAPABILITY_X_IGNORE_SHARED]) {
        error_setg(errp, "Postcopy is not compatible with ignore-shared");
        return false;
    }
    if (new_caps[MIGRATION_CAPABILITY_BACKGROUND_SNAPSHOT]) {
        MigrationCapability other;

        if (background_snapshot_conflict(new_caps, &other)) {
            error_setg(errp, "Background-snapshot is not compatible with %s",
                       MigrationCapability_str(other));
        } else {
            /* It needs userfaultfd write protection of guest RAM. */
            error_setg(errp, "Background-snapshot is not supported by host "
                       "kernel");
        }
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
        /* Its second channel carries RAM pages, which we do not have. */
        error_setg(errp, "Postcopy preempt is not supported");
        return false;
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

/*
 * The numeric parameters QEMU 7.2 range-checks, in the order it checks
 * them, with the range as its message words it.  @valid, when set, is
 * the whole check; else the value must lie in [@min, @max].
 */
typedef struct ParamRule {
    const char *name;           /* as the message spells it */
    size_t has;                 /* offsetof the has_ flag */
    size_t value;               /* offsetof the value */
    size_t width;               /* its size: 1, 4 or 8 bytes */
    uint64_t min;
    uint64_t max;
    bool (*valid)(const MigrationParameters *p);
    const char *expects;
} ParamRule;

static bool xbzrle_cache_size_valid(const MigrationParameters *p)
{
    return p->xbzrle_cache_size >= TARGET_PAGE_SIZE &&
           is_power_of_2(p->xbzrle_cache_size);
}

static bool max_cpu_throttle_valid(const MigrationParameters *p)
{
    return p->max_cpu_throttle >= p->cpu_throttle_initial &&
           p->max_cpu_throttle <= 99;
}

#define PARAM_RULE(field, lo, hi, check, text)                          \
    { stringify(field), offsetof(MigrationParameters, has_##field),     \
      offsetof(MigrationParameters, field),                             \
      sizeof_field(MigrationParameters, field), lo, hi, check, text }

static const ParamRule param_rules[] = {
    PARAM_RULE(compress_level, 0, 9, NULL, "a value between 0 and 9"),
    PARAM_RULE(compress_threads, 1, UINT64_MAX, NULL,
               "a value between 1 and 255"),
    PARAM_RULE(decompress_threads, 1, UINT64_MAX, NULL,
               "a value between 1 and 255"),
    PARAM_RULE(throttle_trigger_threshold, 1, 100, NULL,
               "an integer in the range of 1 to 100"),
    PARAM_RULE(cpu_throttle_initial, 1, 99, NULL,
               "an integer in the range of 1 to 99"),
    PARAM_RULE(cpu_throttle_increment, 1, 99, NULL,
               "an integer in the range of 1 to 99"),
    PARAM_RULE(downtime_limit, 0, MAX_MIGRATE_DOWNTIME, NULL,
               "an integer in the range of 0 to "
               stringify(MAX_MIGRATE_DOWNTIME) " ms"),
    PARAM_RULE(multifd_channels, 1, UINT64_MAX, NULL,
               "a value between 1 and 255"),
    PARAM_RULE(multifd_zlib_level, 0, 9, NULL, "a value between 0 and 9"),
    PARAM_RULE(multifd_zstd_level, 0, 20, NULL,
               "a value between 0 and 20"),
    PARAM_RULE(xbzrle_cache_size, 0, 0, xbzrle_cache_size_valid,
               "a power of two no less than the target page size"),
    PARAM_RULE(max_cpu_throttle, 0, 0, max_cpu_throttle_valid,
               "an integer in the range of cpu_throttle_initial to 99"),
    PARAM_RULE(announce_initial, 0, 100000, NULL,
               "a value between 0 and 100000"),
    PARAM_RULE(announce_max, 0, 100000, NULL,
               "a value between 0 and 100000"),
    PARAM_RULE(announce_rounds, 0, 1000, NULL,
               "a value between 0 and 1000"),
    /* (QEMU's message says 0 where the check says 1.) */
    PARAM_RULE(announce_step, 1, 10000, NULL,
               "a value between 0 and 10000"),
};

/* The unsigned value a rule looks at in @p. */
static uint64_t param_value(const MigrationParameters *p,
                            const ParamRule *rule)
{
    const uint8_t *at = (const uint8_t *)p + rule->value;

    switch (rule->width) {
    case 1:
        return *at;
    case 4:
        return *(const uint32_t *)at;
    default:
        assert(rule->width == 8);
        return *(const uint64_t *)at;
    }
}

static bool param_rule_holds(const MigrationParameters *p,
                             const ParamRule *rule)
{
    uint64_t v;

    if (!*(const bool *)((const uint8_t *)p + rule->has)) {
        return true;
    }
    if (rule->valid) {
        return rule->valid(p);
    }
    v = param_value(p, rule);
    return v >= rule->min && v <= rule->max;
}

/* Check the parameter set @params (current values with the request). */
static bool migrate_params_check(MigrationParameters *params, Error **errp)
{
    ERRP_GUARD();

    for (size_t i = 0; i < ARRAY_SIZE(param_rules); i++) {
        const ParamRule *rule = &param_rules[i];

        if (!param_rule_holds(params, rule)) {
            error_setg(errp, QERR_INVALID_PARAMETER_VALUE, rule->name,
                       rule->expects);
            return false;
        }
    }
    if (params->has_block_bitmap_mapping &&
        !check_dirty_bitmap_mig_alias_map(params->block_bitmap_mapping,
                                          errp)) {
        error_prepend(errp, "Invalid mapping given for "
                      "block-bitmap-mapping: ");
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
    TEST_APPLY(x_dirty_bitmaps_keep_incomplete);
    TEST_APPLY(x_dirty_bitmaps_skip_busy);
    TEST_APPLY(x_dirty_bitmaps_strict);
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
#define APPLY_SHOWN(field) do {                  \
        if (params->has_##field) {               \
            qatomic_set(&p->field, params->field); \
            p->has_##field = true;               \
        }                                        \
    } while (0)
    APPLY_SHOWN(x_dirty_bitmaps_keep_incomplete);
    APPLY_SHOWN(x_dirty_bitmaps_skip_busy);
    APPLY_SHOWN(x_dirty_bitmaps_strict);
#undef APPLY_SHOWN
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
