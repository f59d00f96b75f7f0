/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HMP block commands: qemu-io on a BlockBackend or a node, block_resize. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "block/block.h"
#include "block/block-hmp-cmds.h"
#include "qemu/cutils.h"
#include "qapi/qapi-commands-block-core.h"
#include "sysemu/block-backend.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"
#include "qemu-io.h"

void hmp_qemu_io(Monitor *mon, const json_t *qdict)
{
    BlockBackend *blk = NULL;
    BlockBackend *local_blk = NULL;
    BlockDriverState *bs;
    bool qdev = hmp_arg_bool(qdict, "qdev", false);
    const char *device = hmp_arg_str(qdict, "device");
    const char *command = hmp_arg_str(qdict, "command");
    Error *err = NULL;

    if (qdev) {
        /* minivmm's devices are anonymous: no qdev id can match. */
        error_setg(&err, "Device '%s' not found", device);
        goto fail;
    }

    blk = blk_by_name(device);
    if (!blk) {
        bs = bdrv_lookup_bs(NULL, device, &err);
        if (!bs) {
            goto fail;
        }
        blk = local_blk = blk_new(NULL, 0, BLK_PERM_ALL);
        if (blk_insert_bs(blk, bs, &err) < 0) {
            goto fail;
        }
    }

    qemuio_command(blk, command);

fail:
    blk_unref(local_blk);
    hmp_handle_error(mon, err);
}

/*
 * block_resize DEVICE SIZE. SIZE is QEMU's HMP size argument (type 'o'):
 * bytes with a k/M/G/T suffix, MiB without one. The parser here has no
 * such type, so the command takes a string and reads it as 'o' would,
 * failing the same way.
 */
void hmp_block_resize(Monitor *mon, const json_t *qdict)
{
    const char *device = hmp_arg_str(qdict, "device");
    const char *size_str = hmp_arg_str(qdict, "size");
    Error *err = NULL;
    uint64_t size;

    if (!size_str || qemu_strtosz_MiB(size_str, NULL, &size) < 0 ||
        size > INT64_MAX) {
        monitor_printf(mon, "invalid size\n"
                       "Try \"help block_resize\" for more information\n");
        return;
    }
    qmp_block_resize(true, device, false, NULL, size, &err);
    hmp_handle_error(mon, err);
}
