/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HMP qemu-io: run a qemu-io command on a BlockBackend or a node. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "block/block.h"
#include "block/block-hmp-cmds.h"
#include "sysemu/block-backend.h"
#include "monitor/hmp.h"
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
