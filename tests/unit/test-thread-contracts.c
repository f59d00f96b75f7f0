/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Thread contracts: global-state block functions need the BQL. */

/*
 * QEMU 7.2 asserts qemu_in_main_thread() (in an emulator: the BQL is
 * held) at the top of its global-state block functions; minivmm does the
 * same, so that a module calling them from the wrong thread fails here
 * as it would inside QEMU.  The case that motivated it: walking the node
 * list with bdrv_next_all_states() from the postcopy listen thread,
 * which runs without the BQL.  Each violation runs in a subprocess and
 * must abort naming the function.
 */

#include "qemu/osdep.h"
#include <jansson.h>
#include "block/block.h"
#include "block/block_int.h"
#include "block/dirty-bitmap.h"
#include "qapi/error.h"
#include "qemu/main-loop.h"
#include "qemu/thread.h"

typedef void ContractFn(void);

static BlockDriverState *drive0;

/* Calls made without the BQL, one per case. */
static void call_next_all_states(void)
{
    bdrv_next_all_states(NULL);
}

static void call_lookup_bs(void)
{
    bdrv_lookup_bs("drive0", "drive0", NULL);
}

static void call_unref(void)
{
    bdrv_unref(drive0);
}

static void *run_in_thread(void *opaque)
{
    ContractFn *fn = opaque;

    g_assert_false(qemu_mutex_iothread_locked());
    g_assert_false(qemu_in_main_thread());
    fn();
    return NULL;
}

/* The process state every case starts from: one node, BQL held. */
static void setup(void)
{
    json_t *opts = json_pack("{s:s, s:s, s:I}", "driver", "null-co",
                             "node-name", "drive0", "size",
                             (json_int_t)GiB);

    qemu_init_main_loop(&error_abort);
    qemu_mutex_lock_iothread();
    bdrv_init();
    drive0 = bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &error_abort);
    g_assert_true(qemu_in_main_thread());
}

/* @fn from a thread of its own, as the postcopy listen thread calls. */
static void test_other_thread(gconstpointer opaque)
{
    const char *name = opaque;
    g_autofree char *pattern = NULL;
    ContractFn *fn;
    QemuThread t;

    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, 0);
        g_test_trap_assert_failed();
        pattern = g_strdup_printf("*%s: global-state function called "
                                  "without the BQL*", name);
        g_test_trap_assert_stderr(pattern);
        return;
    }
    setup();
    fn = !strcmp(name, "bdrv_next_all_states") ? call_next_all_states :
         !strcmp(name, "bdrv_lookup_bs") ? call_lookup_bs : call_unref;
    qemu_thread_create(&t, "no-bql", run_in_thread, fn,
                       QEMU_THREAD_JOINABLE);
    qemu_thread_join(&t);
}

/* The main thread without the BQL is no better: it is the lock that counts. */
static void test_main_thread_unlocked(void)
{
    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, 0);
        g_test_trap_assert_failed();
        g_test_trap_assert_stderr("*bdrv_next_all_states: global-state "
                                  "function called without the BQL*");
        return;
    }
    setup();
    qemu_mutex_unlock_iothread();
    bdrv_next_all_states(NULL);
}

static void *run_with_bql(void *opaque)
{
    BlockDriverState *bs;
    int n = 0;

    qemu_mutex_lock_iothread();
    g_assert_true(qemu_in_main_thread());
    for (bs = bdrv_next_all_states(NULL); bs; bs = bdrv_next_all_states(bs)) {
        n++;
    }
    qemu_mutex_unlock_iothread();
    return GINT_TO_POINTER(n);
}

/*
 * Any thread that takes the BQL may (QEMU's emulator rule), and I/O
 * functions need no lock at all.
 */
static void test_thread_with_bql(void)
{
    QemuThread t;

    setup();
    qemu_mutex_unlock_iothread();
    g_assert_cmpint(bdrv_nb_sectors(drive0), ==, GiB >> BDRV_SECTOR_BITS);
    g_assert_cmpstr(bdrv_get_node_name(drive0), ==, "drive0");
    qemu_thread_create(&t, "bql", run_with_bql, NULL, QEMU_THREAD_JOINABLE);
    g_assert_cmpint(GPOINTER_TO_INT(qemu_thread_join(&t)), ==, 1);
}

int main(int argc, char **argv)
{
    static const char *const gs[] = {
        "bdrv_next_all_states", "bdrv_lookup_bs", "bdrv_unref",
    };
    size_t i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < G_N_ELEMENTS(gs); i++) {
        g_autofree char *path = g_strdup_printf("/contracts/gs/%s/other-thread",
                                                gs[i]);

        g_test_add_data_func(path, gs[i], test_other_thread);
    }
    g_test_add_func("/contracts/gs/main-thread-unlocked",
                    test_main_thread_unlocked);
    g_test_add_func("/contracts/gs/thread-with-bql", test_thread_with_bql);
    return g_test_run();
}
