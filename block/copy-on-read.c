/* SPDX-License-Identifier: GPL-2.0-or-later */
/* copy-on-read: a pass-through filter (no backing chain to copy from here). */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "block/block_int.h"

static int cor_open(BlockDriverState *bs, json_t *options, int flags,
                    Error **errp)
{
    const char *bottom;

    if (!bdrv_opt_get_str(options, "bottom", &bottom, errp)) {
        return -EINVAL;
    }
    if (bottom) {
        BlockDriverState *bottom_bs = bdrv_find_node(bottom);

        if (!bottom_bs) {
            error_setg(errp, "Bottom node '%s' not found", bottom);
            return -EINVAL;
        }
        if (bottom_bs->drv && bottom_bs->drv->is_filter) {
            error_setg(errp, "Bottom node '%s' is a filter", bottom);
            return -EINVAL;
        }
        json_object_del(options, "bottom");
    }
    if (!bdrv_open_child(NULL, options, "file", bs,
                         BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY, false,
                         errp)) {
        return -EINVAL;
    }
    return 0;
}

static int64_t cor_getlength(BlockDriverState *bs)
{
    return bdrv_getlength(bs->file->bs);
}

static int cor_pread(BlockDriverState *bs, int64_t offset, int64_t bytes,
                     void *buf, BdrvRequestFlags flags)
{
    return bdrv_pread(bs->file, offset, bytes, buf,
                      flags | BDRV_REQ_COPY_ON_READ);
}

static int cor_pwrite(BlockDriverState *bs, int64_t offset, int64_t bytes,
                      const void *buf, BdrvRequestFlags flags)
{
    return bdrv_pwrite(bs->file, offset, bytes, buf, flags);
}

static int cor_pwrite_zeroes(BlockDriverState *bs, int64_t offset,
                             int64_t bytes, BdrvRequestFlags flags)
{
    return bdrv_pwrite_zeroes(bs->file, offset, bytes, flags);
}

static int cor_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    return bdrv_pdiscard(bs->file, offset, bytes);
}

BlockDriver bdrv_copy_on_read = {
    .format_name = "copy-on-read",
    .instance_size = 0,
    .is_filter = true,

    .bdrv_open = cor_open,
    .bdrv_pread = cor_pread,
    .bdrv_pwrite = cor_pwrite,
    .bdrv_pwrite_zeroes = cor_pwrite_zeroes,
    .bdrv_pdiscard = cor_pdiscard,
    .bdrv_getlength = cor_getlength,
};
