/* SPDX-License-Identifier: GPL-2.0-or-later */
/* query-block and query-named-block-nodes. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/util.h"
#include "block/block_int.h"
#include "block/qapi.h"
#include "sysemu/block-backend.h"
#include "qapi/qapi-commands-block-core.h"

void bdrv_query_image_info(BlockDriverState *bs, ImageInfo **p_info,
                           Error **errp)
{
    int64_t size;
    BlockDriverInfo bdi;
    ImageInfo *info;

    *p_info = NULL;
    size = bdrv_getlength(bs);
    if (size < 0) {
        error_setg_errno(errp, -size, "Can't get image size '%s'",
                         bs->exact_filename);
        return;
    }

    info = g_new0(ImageInfo, 1);
    info->filename = g_strdup(bs->filename);
    info->format = g_strdup(bdrv_get_format_name(bs));
    info->virtual_size = size;
    info->actual_size = bdrv_get_allocated_file_size(bs);
    info->has_actual_size = info->actual_size >= 0;
    if (bs->encrypted) {
        info->encrypted = true;
        info->has_encrypted = true;
    }
    if (bdrv_get_info(bs, &bdi) >= 0) {
        if (bdi.cluster_size != 0) {
            info->cluster_size = bdi.cluster_size;
            info->has_cluster_size = true;
        }
        info->dirty_flag = bdi.is_dirty;
        info->has_dirty_flag = true;
    }
    if (bs->drv->bdrv_get_specific_info) {
        Error *err = NULL;

        info->format_specific = bs->drv->bdrv_get_specific_info(bs, &err);
        if (err) {
            error_propagate(errp, err);
            qapi_free_ImageInfo(info);
            return;
        }
        info->has_format_specific = info->format_specific != NULL;
    }
    if (bs->backing) {
        info->backing_filename = g_strdup(bs->backing->bs->filename);
        info->has_backing_filename = true;
        info->full_backing_filename = g_strdup(bs->backing->bs->filename);
        info->has_full_backing_filename = true;
    }
    *p_info = info;
}

BlockDeviceInfo *bdrv_block_device_info(BlockBackend *blk,
                                        BlockDriverState *bs,
                                        bool flat, Error **errp)
{
    ImageInfo **p_image_info;
    BlockDriverState *bs0;
    BlockDeviceInfo *info;
    Error *err = NULL;

    if (!bs->drv) {
        error_setg(errp, "Block device %s is ejected", bs->node_name);
        return NULL;
    }

    info = g_new0(BlockDeviceInfo, 1);
    info->file = g_strdup(bs->filename);
    info->ro = bdrv_is_read_only(bs);
    info->drv = g_strdup(bs->drv->format_name);
    info->encrypted = bs->encrypted;

    info->cache = g_new(BlockdevCacheInfo, 1);
    *info->cache = (BlockdevCacheInfo) {
        .writeback = blk ? blk_enable_write_cache(blk) : true,
        .direct = !!(bs->open_flags & BDRV_O_NOCACHE),
        .no_flush = !!(bs->open_flags & BDRV_O_NO_FLUSH),
    };

    if (bs->node_name[0]) {
        info->has_node_name = true;
        info->node_name = g_strdup(bs->node_name);
    }

    info->dirty_bitmaps = bdrv_query_dirty_bitmaps(bs);
    info->has_dirty_bitmaps = info->dirty_bitmaps != NULL;

    if (bs->backing) {
        info->has_backing_file = true;
        info->backing_file = g_strdup(bs->backing->bs->filename);
    }

    info->detect_zeroes = bs->detect_zeroes;
    info->write_threshold = bs->write_threshold_offset;

    bs0 = bs;
    p_image_info = &info->image;
    info->backing_file_depth = 0;
    while (1) {
        bdrv_query_image_info(bs0, p_image_info, &err);
        if (err) {
            error_propagate(errp, err);
            qapi_free_BlockDeviceInfo(info);
            return NULL;
        }
        if (!flat && bs0->drv && bs0->backing) {
            info->backing_file_depth++;
            bs0 = bs0->backing->bs;
            (*p_image_info)->has_backing_image = true;
            p_image_info = &((*p_image_info)->backing_image);
        } else {
            break;
        }
    }

    return info;
}

BlockDeviceInfoList *bdrv_named_nodes_list(bool flat, Error **errp)
{
    BlockDeviceInfoList *list = NULL;
    BlockDriverState *bs = NULL;

    while ((bs = bdrv_next_node(bs)) != NULL) {
        BlockDeviceInfo *info = bdrv_block_device_info(NULL, bs, flat, errp);

        if (!info) {
            qapi_free_BlockDeviceInfoList(list);
            return NULL;
        }
        QAPI_LIST_PREPEND(list, info);
    }

    return list;
}

static void bdrv_query_info(BlockBackend *blk, BlockInfo **p_info,
                            Error **errp)
{
    BlockInfo *info = g_new0(BlockInfo, 1);
    BlockDriverState *bs = blk_bs(blk);
    const char *qdev = blk_get_dev_path(blk);

    info->device = g_strdup(blk_name(blk));
    info->type = g_strdup("unknown");
    info->locked = false;
    info->removable = blk_is_removable(blk);

    if (qdev) {
        info->has_qdev = true;
        info->qdev = g_strdup(qdev);
        /* Devices with error reporting keep an I/O status. */
        info->has_io_status = true;
        info->io_status = BLOCK_DEVICE_IO_STATUS_OK;
    }

    if (bs && bs->drv) {
        info->has_inserted = true;
        info->inserted = bdrv_block_device_info(blk, bs, false, errp);
        if (info->inserted == NULL) {
            qapi_free_BlockInfo(info);
            *p_info = NULL;
            return;
        }
    }

    *p_info = info;
}

BlockInfoList *qmp_query_block(Error **errp)
{
    BlockInfoList *head = NULL, **p_next = &head;
    BlockBackend *blk;
    Error *local_err = NULL;

    for (blk = blk_all_next(NULL); blk; blk = blk_all_next(blk)) {
        BlockInfoList *info;

        if (!*blk_name(blk) && !blk_get_dev_path(blk)) {
            continue;
        }

        info = g_new0(BlockInfoList, 1);
        bdrv_query_info(blk, &info->value, &local_err);
        if (local_err) {
            error_propagate(errp, local_err);
            g_free(info);
            qapi_free_BlockInfoList(head);
            return NULL;
        }

        *p_next = info;
        p_next = &info->next;
    }

    return head;
}

BlockDeviceInfoList *qmp_query_named_block_nodes(bool has_flat, bool flat,
                                                 Error **errp)
{
    bool return_flat = has_flat && flat;

    return bdrv_named_nodes_list(return_flat, errp);
}
