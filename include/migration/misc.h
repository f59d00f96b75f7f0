/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Migration functions used outside migration/ (QEMU 7.2's misc.h). */
#ifndef MIGRATION_MISC_H
#define MIGRATION_MISC_H

/* migration/ram.c: the empty 'ram' section of machine 'none'. */
void ram_mig_init(void);

/* migration/cpu-timers.c: the 'timer' section. */
void cpu_timers_mig_init(void);

/*
 * Registers the test-only 'x-test-load' section when
 * MINIVMM_MIGRATION_TEST_LOAD=SIZE is set in the environment.  Test
 * builds link migration/test-load.c for it; in minivmm it does nothing.
 */
void test_load_mig_init(void);

/* migration/migration.c */
/* migration_object_init: create the migration state; registers sections. */
void migration_object_init(void);
/* migration_shutdown: cancel any migration and join its threads (exit). */
void migration_shutdown(void);
bool migration_is_idle(void);
bool migration_is_active(MigrationState *s);
bool migration_in_setup(MigrationState *s);
bool migration_has_finished(MigrationState *s);
bool migration_has_failed(MigrationState *s);
bool migration_in_incoming_postcopy(void);
bool migration_in_bg_snapshot(void);

/* migration/block-dirty-bitmap.c */
void dirty_bitmap_mig_init(void);

/*
 * minivmm only: the dirty-bitmap module may use the extension that
 * migration/dirty-bitmap-ext.h declares (QEMU 7.2 has none).
 */
#define MIGRATION_DIRTY_BITMAP_EXT 1

#endif /* MIGRATION_MISC_H */
