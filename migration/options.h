/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Migration capabilities and parameters (internal to migration/). */
#ifndef QEMU_MIGRATION_OPTIONS_H
#define QEMU_MIGRATION_OPTIONS_H

/* Fill @params with QEMU 7.2's defaults, every has_* set. */
void migrate_params_init(MigrationParameters *params);

/* True in the states where a new migrate or a capability change fails. */
bool migration_is_running(int state);

/* max-bandwidth or max-postcopy-bandwidth changed: apply it now. */
void migration_rate_limit_changed(MigrationState *s);

#endif /* QEMU_MIGRATION_OPTIONS_H */
