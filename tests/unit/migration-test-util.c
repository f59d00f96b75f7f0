/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the migration unit tests. */
#include "qemu/osdep.h"
#include <jansson.h>
#include "block/dirty-bitmap.h"
#include "qapi/error.h"
#include "qemu/main-loop.h"
#include "sysemu/runstate.h"
#include "migration-test-util.h"

/* Upper bound for the postcopy bottom half to run, in microseconds. */
#define RUN_WAIT_US (20 * G_USEC_PER_SEC)

void mig_test_init_process(void)
{
    qemu_init_main_loop(&error_abort);
    qemu_mutex_lock_iothread();
    bdrv_init();
    migration_object_init();
}

BlockDriverState *mig_test_open_null(const char *name, int64_t size)
{
    json_t *opts = json_pack("{s:s, s:s, s:I}", "driver", "null-co",
                             "node-name", name, "size", (json_int_t)size);

    return bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &error_abort);
}

int mig_test_count_named_bitmaps(BlockDriverState *bs)
{
    BdrvDirtyBitmap *bm;
    int n = 0;

    FOR_EACH_DIRTY_BITMAP(bs, bm) {
        n += bdrv_dirty_bitmap_name(bm) != NULL;
    }
    return n;
}

void mig_test_finish_postcopy(MigrationIncomingState *mis)
{
    gint64 deadline = g_get_monotonic_time() + RUN_WAIT_US;

    g_assert_true(mis->have_listen_thread);
    while (!runstate_check(RUN_STATE_RUNNING) &&
           g_get_monotonic_time() < deadline) {
        main_loop_wait(false);
    }
    g_assert_true(runstate_check(RUN_STATE_RUNNING));
    qemu_mutex_unlock_iothread();
    qemu_thread_join(&mis->listen_thread);
    qemu_mutex_lock_iothread();
}
