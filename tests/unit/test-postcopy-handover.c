/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Postcopy hand-over on the destination: who may drop migrating bitmaps. */

/*
 * QEMU 7.2's postcopy capture (postcopy.s2d.bin), cut right after its
 * PACKAGED element, is loaded through a socket with the dirty-bitmap
 * module and a null-co node "drive0": the stream breaks just when the
 * destination has been told to run (issue 11, defect 1).
 *
 * The linker routes the module's bdrv_release_dirty_bitmap() calls
 * through __wrap_bdrv_release_dirty_bitmap() below, which checks the
 * contract that makes the run bottom half safe: a migrating bitmap is
 * released only under the BQL and only once the VM has been started.
 * When the postcopy listen thread gave the bitmaps up on its own, it
 * raced with the bottom half walking them (a use-after-free); that
 * release broke the contract every time, however the threads ran.
 *
 * Only the module's public entry points and the savevm API are used, so
 * QEMU 7.2's own module passes this test too (scripts/check-module.sh).
 */

#include "qemu/osdep.h"
#include <sys/socket.h>
#include "block/block.h"
#include "block/dirty-bitmap.h"
#include "migration/misc.h"
#include "migration/migration.h"
#include "migration/qemu-file.h"
#include "migration/savevm.h"
#include "migration-test-util.h"
#include "qapi/error.h"
#include "qemu/bswap.h"
#include "qemu/main-loop.h"
#include "sysemu/runstate.h"

/* Every release of a bitmap, as the wrapper saw it. */
static struct {
    int calls;
    int without_bql;
    int before_vm_start;
} releases;

void __real_bdrv_release_dirty_bitmap(BdrvDirtyBitmap *bitmap);
void __wrap_bdrv_release_dirty_bitmap(BdrvDirtyBitmap *bitmap);

void __wrap_bdrv_release_dirty_bitmap(BdrvDirtyBitmap *bitmap)
{
    bool bql = qemu_mutex_iothread_locked();

    qatomic_inc(&releases.calls);
    if (!bql) {
        qatomic_inc(&releases.without_bql);
    } else if (!runstate_is_running()) {
        /* runstate is read under the BQL, where it changes. */
        qatomic_inc(&releases.before_vm_start);
    }
    __real_bdrv_release_dirty_bitmap(bitmap);
}

static const char *streams_dir(void)
{
    const char *dir = g_getenv("DBM_STREAMS_DIR");

    return dir ? dir : SRC_ROOT "/tests/data/streams";
}

/*
 * The length of @data up to the end of its first PACKAGED element (the
 * command, its be32 blob length and the blob, which opens with LISTEN).
 */
static size_t package_end(const uint8_t *data, size_t len)
{
    static const uint8_t packaged[] = { 0x08, 0x00, 0x07, 0x00, 0x04 };
    static const uint8_t listen[] = { 0x08, 0x00, 0x04, 0x00, 0x00 };

    for (size_t i = 0; i + 14 <= len; i++) {
        if (!memcmp(data + i, packaged, 5) &&
            !memcmp(data + i + 9, listen, 5)) {
            uint32_t blob = ldl_be_p(data + i + 5);

            g_assert_cmpuint(i + 9 + blob, <=, len);
            return i + 9 + blob;
        }
    }
    g_assert_not_reached();
}

static void test_cut_after_package(void)
{
    g_autofree char *path = g_build_filename(streams_dir(),
                                             "postcopy.s2d.bin", NULL);
    g_autofree uint8_t *data = NULL;
    MigrationIncomingState *mis;
    BlockDriverState *bs;
    size_t len, cut;
    int sv[2];

    if (!g_test_subprocess()) {
        if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
            g_test_skip("reference captures not found (set DBM_STREAMS_DIR)");
            return;
        }
        /* The module's state lives as long as a process, as in QEMU. */
        g_test_trap_subprocess(NULL, 0, 0);
        g_test_trap_assert_passed();
        return;
    }
    g_assert_true(g_file_get_contents(path, (char **)&data, &len, NULL));
    cut = package_end(data, len);

    mig_test_init_process();
    migrate_get_current()->enabled_capabilities[
        MIGRATION_CAPABILITY_DIRTY_BITMAPS] = true;
    bs = mig_test_open_null("drive0", GiB);
    runstate_set(RUN_STATE_INMIGRATE);

    /* The source's bytes up to the package, then the link is gone. */
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                    ==, 0);
    g_assert_cmpint(write(sv[0], data, cut), ==, cut);
    close(sv[0]);

    mis = migration_incoming_get_current();
    mis->from_src_file = qemu_file_new_fd_input(sv[1]);
    mis->state = MIGRATION_STATUS_ACTIVE;
    g_assert_cmpint(qemu_loadvm_state(mis->from_src_file, &error_abort),
                    ==, 0);
    g_assert_true(mis->have_listen_thread);
    g_assert_cmpint(mig_test_count_named_bitmaps(bs), ==, 2);

    /* The RUN bottom half starts the VM; the listen thread finds EOF. */
    mig_test_finish_postcopy(mis);

    /* Bitmaps-only postcopy ends 'completed' without the bitmaps. */
    g_assert_cmpint(mis->state, ==, MIGRATION_STATUS_COMPLETED);
    g_assert_cmpint(mig_test_count_named_bitmaps(bs), ==, 0);
    g_assert_cmpint(releases.calls, ==, 2);
    g_assert_cmpint(releases.without_bql, ==, 0);
    g_assert_cmpint(releases.before_vm_start, ==, 0);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/dbm/postcopy/handover/cut-after-package",
                    test_cut_after_package);
    return g_test_run();
}
