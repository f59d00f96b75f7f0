/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The 'ram' live section (version 4) for machines without guest RAM. */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/atomic.h"
#include "qemu/main-loop.h"
#include "qemu/error-report.h"
#include "qapi/qapi-events-migration.h"
#include "sysemu/runstate.h"
#include "migration/misc.h"
#include "migration/register.h"
#include "migration.h"
#include "multifd.h"
#include "qemu-file.h"
#include "ram.h"

/*
 * QEMU 7.2's 'ram' payload is a run of be64 words, each a page address
 * with flags in its low 12 bits, ended by a word with EOS.  Without RAM
 * blocks, START is MEM_SIZE (a total of 0 bytes) then EOS, and every
 * PART and END is a lone EOS.  What we accept: those, and HOOK words,
 * which carry nothing.
 */
enum {
    RAM_FLAG_MEM_SIZE = 0x04,
    RAM_FLAG_EOS = 0x10,
    RAM_FLAG_HOOK = 0x80,
};
#define RAM_FLAGS_BITS 12
#define RAM_FLAGS_MASK ((UINT64_C(1) << RAM_FLAGS_BITS) - 1)
#define RAM_SECTION_VERSION 4

RAMCounters ram_counters;

void ram_counters_reset(void)
{
    ram_counters = (RAMCounters) { 0 };
}

/* The phase the migration is in decides which counter @bytes go to. */
static uint64_t *ram_phase_counter(void)
{
    if (runstate_is_running()) {
        return &ram_counters.precopy_bytes;
    }
    return migration_in_postcopy() ? &ram_counters.postcopy_bytes
                                   : &ram_counters.downtime_bytes;
}

/*
 * A dirty log sync (counts a pass and emits MIGRATION_PASS when the
 * events capability is on).  Without guest RAM it only keeps the pass
 * count and events in QEMU's order.
 */
static void ram_bitmap_sync_precopy(void)
{
    bool need_bql;

    ram_counters.dirty_sync_count++;
    if (!migrate_use_events()) {
        return;
    }
    need_bql = !qemu_mutex_iothread_locked();
    if (need_bql) {
        qemu_mutex_lock_iothread();
    }
    qapi_event_send_migration_pass(ram_counters.dirty_sync_count);
    if (need_bql) {
        qemu_mutex_unlock_iothread();
    }
}

/* One payload word, counted, then flushed as QEMU flushes each part. */
static void ram_send(QEMUFile *f, uint64_t word)
{
    qemu_put_be64(f, word);
    *ram_phase_counter() += 8;
    ram_counters.transferred += 8;
}

/* The end of a part: multifd channels sync first, as in QEMU 7.2. */
static int ram_send_eos(QEMUFile *f)
{
    int ret = multifd_send_sync_main(f);

    if (ret < 0) {
        return ret;
    }
    ram_send(f, RAM_FLAG_EOS);
    qemu_fflush(f);
    return 0;
}

static int ram_start(QEMUFile *f, void *opaque)
{
    ram_bitmap_sync_precopy();
    ram_send(f, RAM_FLAG_MEM_SIZE);     /* total: 0 bytes of RAM */
    return ram_send_eos(f);
}

static int ram_part(QEMUFile *f, void *opaque)
{
    int ret = ram_send_eos(f);

    /* Nothing can be dirty: this round is complete. */
    return ret < 0 ? ret : 1;
}

static int ram_end(QEMUFile *f, void *opaque)
{
    if (!migration_in_postcopy()) {
        ram_bitmap_sync_precopy();
    }
    return ram_send_eos(f);
}

/*
 * Nothing ever remains.  Like QEMU 7.2, a remainder (0) below the
 * threshold still syncs the dirty log and so counts a pass: one per
 * loop of a precopy that goes on.
 */
static void ram_pending(QEMUFile *f, void *opaque, uint64_t max_size,
                        uint64_t *res_precopy_only, uint64_t *res_compatible,
                        uint64_t *res_postcopy_only)
{
    if (max_size > 0 && !migration_in_postcopy()) {
        ram_bitmap_sync_precopy();
    }
}

static bool ram_postcopiable(void *opaque)
{
    return migrate_postcopy_ram();
}

/* MEM_SIZE with a non-zero total: a block list follows, none can match. */
static int ram_refuse_blocks(QEMUFile *f)
{
    char id[256];

    if (qemu_get_counted_string(f, id)) {
        error_report("Unknown ramblock \"%s\", cannot accept migration", id);
    }
    return -EINVAL;
}

/*
 * At the end of a part, the multifd channels' syncs.  Without the BQL
 * while waiting: the main loop accepts the channels.
 */
static int ram_receive_sync(QEMUFile *f)
{
    bool locked = qemu_mutex_iothread_locked();
    Error *err = NULL;
    bool ok;

    if (locked) {
        qemu_mutex_unlock_iothread();
    }
    ok = multifd_recv_sync_main(qemu_file_get_fd(f), &err);
    if (locked) {
        qemu_mutex_lock_iothread();
    }
    if (!ok) {
        /* On quit, the migration ends with the process, quietly. */
        if (qatomic_read(&migration_incoming_get_current()->quitting)) {
            error_free(err);
        } else {
            error_report_err(err);
        }
        return -EINVAL;
    }
    return 0;
}

static int ram_receive(QEMUFile *f, void *opaque, int version_id)
{
    if (version_id != RAM_SECTION_VERSION) {
        return -EINVAL;
    }
    for (;;) {
        uint64_t word = qemu_get_be64(f);
        uint64_t flags = word & RAM_FLAGS_MASK;
        int err = qemu_file_get_error(f);

        if (err) {
            return err;
        }
        if (flags & RAM_FLAG_EOS) {
            return ram_receive_sync(f);
        }
        if (flags == RAM_FLAG_MEM_SIZE && (word & ~RAM_FLAGS_MASK)) {
            return ram_refuse_blocks(f);
        }
        if (flags != RAM_FLAG_MEM_SIZE && !(flags & RAM_FLAG_HOOK)) {
            error_report("Unknown combination of migration flags: 0x%x",
                         (unsigned)flags);
            return -EINVAL;
        }
    }
}

static SaveVMHandlers ram_handlers = {
    .save_setup = ram_start,
    .save_live_pending = ram_pending,
    .save_live_iterate = ram_part,
    .save_live_complete_precopy = ram_end,
    .save_live_complete_postcopy = ram_end,
    .has_postcopy = ram_postcopiable,
    .load_state = ram_receive,
};

void ram_mig_init(void)
{
    register_savevm_live("ram", 0, RAM_SECTION_VERSION, &ram_handlers, NULL);
}
