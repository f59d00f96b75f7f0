/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The migration state's predicates, option accessors and globalstate. */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-migration.h"
#include "migration/global_state.h"
#include "migration/misc.h"
#include "migration/options.h"
#include "migration/qemu-file.h"
#include "migration/savevm.h"
#include "sysemu/runstate.h"
#include "migration-test-util.h"

/* Each status, and what the predicates say of a MigrationState in it. */
static const struct {
    MigrationStatus status;
    bool idle, setup, active, finished, failed;
} statuses[] = {
    { MIGRATION_STATUS_NONE, true, false, false, false, false },
    { MIGRATION_STATUS_SETUP, false, true, false, false, false },
    { MIGRATION_STATUS_ACTIVE, false, false, true, false, false },
    { MIGRATION_STATUS_POSTCOPY_ACTIVE, false, false, true, false, false },
    { MIGRATION_STATUS_PRE_SWITCHOVER, false, false, false, false, false },
    { MIGRATION_STATUS_DEVICE, false, false, false, false, false },
    { MIGRATION_STATUS_CANCELLING, false, false, false, false, false },
    { MIGRATION_STATUS_COMPLETED, true, false, false, true, false },
    { MIGRATION_STATUS_FAILED, true, false, false, false, true },
    { MIGRATION_STATUS_CANCELLED, true, false, false, false, true },
};

static void test_predicates(void)
{
    MigrationState *s = migrate_get_current();
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(statuses); i++) {
        s->state = statuses[i].status;
        g_test_message("%s", MigrationStatus_str(s->state));
        g_assert_cmpint(migration_is_idle(), ==, statuses[i].idle);
        g_assert_cmpint(migration_in_setup(s), ==, statuses[i].setup);
        g_assert_cmpint(migration_is_active(s), ==, statuses[i].active);
        g_assert_cmpint(migration_has_finished(s), ==,
                        statuses[i].finished);
        g_assert_cmpint(migration_has_failed(s), ==, statuses[i].failed);
    }
    s->state = MIGRATION_STATUS_NONE;

    /* One channel, no background snapshots: constant answers. */
    g_assert_true(migration_has_all_channels());
    g_assert_false(migration_in_bg_snapshot());

    /* The destination is in postcopy from DISCARD until the end. */
    g_assert_false(migration_in_incoming_postcopy());
    postcopy_state_set(POSTCOPY_INCOMING_ADVISE);
    g_assert_false(migration_in_incoming_postcopy());
    postcopy_state_set(POSTCOPY_INCOMING_DISCARD);
    g_assert_true(migration_in_incoming_postcopy());
    postcopy_state_set(POSTCOPY_INCOMING_RUNNING);
    g_assert_true(migration_in_incoming_postcopy());
    postcopy_state_set(POSTCOPY_INCOMING_END);
    g_assert_false(migration_in_incoming_postcopy());
    postcopy_state_set(POSTCOPY_INCOMING_NONE);
}

/* What migrate-set-capabilities/-parameters set, the accessors read. */
static void test_option_accessors(void)
{
    MigrationCapabilityStatus pause = {
        .capability = MIGRATION_CAPABILITY_PAUSE_BEFORE_SWITCHOVER,
        .state = true,
    };
    MigrationCapabilityStatus uuid = {
        .capability = MIGRATION_CAPABILITY_VALIDATE_UUID,
        .state = true,
    };
    MigrationCapabilityStatusList caps_uuid = { .value = &uuid };
    MigrationCapabilityStatusList caps = {
        .value = &pause, .next = &caps_uuid,
    };
    MigrateSetParameters params = {
        .has_max_bandwidth = true,
        .max_bandwidth = 12345678,
    };

    g_assert_false(migrate_pause_before_switchover());
    g_assert_false(migrate_validate_uuid());
    qmp_migrate_set_capabilities(&caps, &error_abort);
    g_assert_true(migrate_pause_before_switchover());
    g_assert_true(migrate_validate_uuid());
    pause.state = uuid.state = false;
    qmp_migrate_set_capabilities(&caps, &error_abort);
    g_assert_false(migrate_pause_before_switchover());
    g_assert_false(migrate_validate_uuid());

    qmp_migrate_set_parameters(&params, &error_abort);
    g_assert_cmpint(migrate_max_bandwidth(), ==, 12345678);
}

/* The device sections of a stream saved now, as text for memmem(). */
static GByteArray *save_device_sections(void)
{
    QEMUFile *f = qemu_file_new_buffer_output();
    GByteArray *out = g_byte_array_new();
    const uint8_t *data;
    size_t len;

    g_assert_cmpint(qemu_savevm_state_complete_precopy_non_iterable(
                        f, false, false), ==, 0);
    data = qemu_file_buffer_contents(f, &len);
    g_byte_array_append(out, data, len);
    qemu_fclose(f);
    return out;
}

static bool stream_has(GByteArray *stream, const char *text)
{
    return memmem(stream->data, stream->len, text, strlen(text)) != NULL;
}

/*
 * The globalstate section carries what global_state_store() took from
 * the run state, or "running" after global_state_store_running().
 */
static void test_global_state(void)
{
    g_autoptr(GByteArray) stored = NULL;
    g_autoptr(GByteArray) running = NULL;

    runstate_set(RUN_STATE_PAUSED);
    global_state_store();
    stored = save_device_sections();
    g_assert_true(stream_has(stored, "globalstate"));
    g_assert_true(stream_has(stored, "paused"));
    g_assert_false(stream_has(stored, "running"));

    global_state_store_running();
    running = save_device_sections();
    g_assert_true(stream_has(running, "running"));
    g_assert_false(stream_has(running, "paused"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    mig_test_init_process();
    g_test_add_func("/migration/state/predicates", test_predicates);
    g_test_add_func("/migration/options/accessors", test_option_accessors);
    g_test_add_func("/migration/global-state", test_global_state);
    return g_test_run();
}
