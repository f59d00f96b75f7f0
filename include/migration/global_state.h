/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The 'globalstate' section: the source's runstate at switch-over. */
#ifndef QEMU_MIGRATION_GLOBAL_STATE_H
#define QEMU_MIGRATION_GLOBAL_STATE_H

#include "qapi/qapi-types-run-state.h"

void register_global_state(void);
/* Record the current runstate (or "running") for the outgoing stream. */
int global_state_store(void);
void global_state_store_running(void);
/* Whether the last incoming stream carried the section. */
bool global_state_received(void);
RunState global_state_get_runstate(void);

#endif /* QEMU_MIGRATION_GLOBAL_STATE_H */
