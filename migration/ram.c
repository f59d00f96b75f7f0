/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The 'ram' live section (version 4) for machines without guest RAM. */
#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "qemu/error-report.h"
#include "qapi/qapi-events-migration.h"
#include "sysemu/runstate.h"
#include "migration/misc.h"
#include "migration/register.h"
#include "migration.h"
#include "qemu-file.h"
#include "ram.h"

/*
 * Wire format (QEMU 7.2 'ram', version 4): a payload is be64 words, each a
 * page address with flags in the low 12 bits, until a word with EOS.  With
 * no RAM blocks: START = MEM_SIZE(total 0), EOS; PART and END = EOS.
 */
#define RAM_SAVE_FLAG_ZERO     0x02
#define RAM_SAVE_FLAG_MEM_SIZE 0x04
#define RAM_SAVE_FLAG_PAGE     0x08
#define RAM_SAVE_FLAG_EOS      0x10
#define RAM_SAVE_FLAG_CONTINUE 0x20
#define RAM_SAVE_FLAG_XBZRLE   0x40
#define RAM_SAVE_FLAG_HOOK     0x80
#define RAM_SAVE_FLAG_COMPRESS 0x100
#define TARGET_PAGE_MASK       (~(uint64_t)0xfff)

RAMCounters ram_counters;

void ram_counters_reset(void)
{
    memset(&ram_counters, 0, sizeof(ram_counters));
}

static void ram_transferred_add(uint64_t bytes)
{
    if (runstate_is_running()) {
        ram_counters.precopy_bytes += bytes;
    } else if (migration_in_postcopy()) {
        ram_counters.postcopy_bytes += bytes;
    } else {
        ram_counters.downtime_bytes += bytes;
    }
    ram_counters.transferred += bytes;
}

void ram_bitmap_sync_precopy(void)
{
    bool locked = qemu_mutex_iothread_locked();

    ram_counters.dirty_sync_count++;
    if (migrate_use_events()) {
        if (!locked) {
            qemu_mutex_lock_iothread();
        }
        qapi_event_send_migration_pass(ram_counters.dirty_sync_count);
        if (!locked) {
            qemu_mutex_unlock_iothread();
        }
    }
}

static void ram_put_word(QEMUFile *f, uint64_t word)
{
    qemu_put_be64(f, word);
    ram_transferred_add(8);
}

static int ram_save_setup(QEMUFile *f, void *opaque)
{
    ram_bitmap_sync_precopy();
    ram_put_word(f, 0 | RAM_SAVE_FLAG_MEM_SIZE);
    ram_put_word(f, RAM_SAVE_FLAG_EOS);
    qemu_fflush(f);
    return 0;
}

static int ram_save_iterate(QEMUFile *f, void *opaque)
{
    ram_put_word(f, RAM_SAVE_FLAG_EOS);
    qemu_fflush(f);
    /* Nothing dirty: this stage is complete. */
    return 1;
}

static int ram_save_complete(QEMUFile *f, void *opaque)
{
    if (!migration_in_postcopy()) {
        ram_bitmap_sync_precopy();
    }
    ram_put_word(f, RAM_SAVE_FLAG_EOS);
    qemu_fflush(f);
    return 0;
}

static void ram_save_pending(QEMUFile *f, void *opaque, uint64_t max_size,
                             uint64_t *res_precopy_only,
                             uint64_t *res_compatible,
                             uint64_t *res_postcopy_only)
{
    /*
     * No guest RAM: nothing is ever dirty.  As QEMU 7.2, an estimate
     * below the threshold (0 remaining < @max_size) syncs the dirty log,
     * which counts a pass: one per loop of a precopy that keeps going.
     */
    if (!migration_in_postcopy() && max_size > 0) {
        ram_bitmap_sync_precopy();
    }
}

static bool ram_has_postcopy(void *opaque)
{
    return migrate_postcopy_ram();
}

static int ram_load(QEMUFile *f, void *opaque, int version_id)
{
    if (version_id != 4) {
        return -EINVAL;
    }
    for (;;) {
        uint64_t word = qemu_get_be64(f);
        uint64_t flags = word & ~TARGET_PAGE_MASK;
        int ret = qemu_file_get_error(f);

        if (ret) {
            return ret;
        }
        if (flags & RAM_SAVE_FLAG_EOS) {
            return 0;
        }
        if (flags == RAM_SAVE_FLAG_MEM_SIZE) {
            if (word & TARGET_PAGE_MASK) {
                /* A RAM block list follows: we have no block to match. */
                char id[256];

                if (qemu_get_counted_string(f, id)) {
                    error_report("Unknown ramblock \"%s\", cannot accept "
                                 "migration", id);
                }
                return -EINVAL;
            }
            continue;
        }
        if (flags & (RAM_SAVE_FLAG_HOOK)) {
            continue;
        }
        error_report("Unknown combination of migration flags: 0x%x",
                     (unsigned)flags);
        return -EINVAL;
    }
}

static SaveVMHandlers savevm_ram_handlers = {
    .save_setup = ram_save_setup,
    .save_live_iterate = ram_save_iterate,
    .save_live_complete_postcopy = ram_save_complete,
    .save_live_complete_precopy = ram_save_complete,
    .has_postcopy = ram_has_postcopy,
    .save_live_pending = ram_save_pending,
    .load_state = ram_load,
};

void ram_mig_init(void)
{
    register_savevm_live("ram", 0, 4, &savevm_ram_handlers, NULL);
}
