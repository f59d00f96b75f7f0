/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stub dirty-bitmap migration hooks for tests built without the module. */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "migration/misc.h"
#include "migration/migration.h"

void __attribute__((weak)) dirty_bitmap_mig_init(void)
{
}

void __attribute__((weak)) dirty_bitmap_mig_before_vm_start(void)
{
}

void __attribute__((weak)) dirty_bitmap_mig_cancel_outgoing(void)
{
}

void __attribute__((weak)) dirty_bitmap_mig_cancel_incoming(void)
{
}

bool __attribute__((weak))
check_dirty_bitmap_mig_alias_map(const BitmapMigrationNodeAliasList *bbm,
                                 Error **errp)
{
    return true;
}
