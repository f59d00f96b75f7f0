/* SPDX-License-Identifier: GPL-2.0-or-later */
/* query-block and query-named-block-nodes. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/util.h"
#include "block/block_int.h"
#include "sysemu/block-backend.h"
#include "qapi/qapi-commands-block-core.h"

/* The image behind @bs alone: ImageInfo without backing-image. */
static ImageInfo *image_info(BlockDriverState *bs, Error **errp)
{
    int64_t len = bdrv_getlength(bs);
    BlockDriver *drv = bs->drv;
    BlockDriverInfo bdi;
    ImageInfo *img;
    Error *err = NULL;

    if (len < 0) {
        error_setg_errno(errp, -len, "Can't get image size '%s'",
                         bs->exact_filename);
        return NULL;
    }
    img = g_new(ImageInfo, 1);
    *img = (ImageInfo) {
        .filename = g_strdup(bs->filename),
        .format = g_strdup(bdrv_get_format_name(bs)),
        .virtual_size = len,
        .actual_size = bdrv_get_allocated_file_size(bs),
        /* QEMU leaves "encrypted" out unless it is true. */
        .has_encrypted = bs->encrypted,
        .encrypted = bs->encrypted,
    };
    img->has_actual_size = img->actual_size >= 0;
    if (bdrv_get_info(bs, &bdi) >= 0) {
        img->has_cluster_size = bdi.cluster_size != 0;
        img->cluster_size = bdi.cluster_size;
        img->has_dirty_flag = true;
        img->dirty_flag = bdi.is_dirty;
    }
    if (drv->bdrv_get_specific_info) {
        img->format_specific = drv->bdrv_get_specific_info(bs, &err);
        img->has_format_specific = img->format_specific != NULL;
    }
    if (err) {
        error_propagate(errp, err);
        qapi_free_ImageInfo(img);
        return NULL;
    }
    if (bs->backing) {
        /* No relative names here: both are the backing node's filename. */
        img->has_backing_filename = img->has_full_backing_filename = true;
        img->backing_filename = g_strdup(bs->backing->bs->filename);
        img->full_backing_filename = g_strdup(img->backing_filename);
    }
    return img;
}

/*
 * Fill @dev->image for @bs and, unless @flat, image.backing-image down
 * the backing chain, counting its length in backing_file_depth.
 */
static bool describe_images(BlockDeviceInfo *dev, BlockDriverState *bs,
                            bool flat, Error **errp)
{
    ImageInfo **slot = &dev->image;

    for (;;) {
        ImageInfo *img = image_info(bs, errp);

        if (!img) {
            return false;
        }
        *slot = img;
        if (flat || !bs->drv || !bs->backing) {
            return true;
        }
        bs = bs->backing->bs;
        dev->backing_file_depth++;
        img->has_backing_image = true;
        slot = &img->backing_image;
    }
}

/* @bs as query-block's "inserted" (@blk set) or a named-node entry. */
static BlockDeviceInfo *device_info(BlockBackend *blk, BlockDriverState *bs,
                                    bool flat, Error **errp)
{
    BlockDeviceInfo *dev;

    if (!bs->drv) {
        error_setg(errp, "Block device %s is ejected", bs->node_name);
        return NULL;
    }
    dev = g_new0(BlockDeviceInfo, 1);
    dev->file = g_strdup(bs->filename);
    dev->has_node_name = bs->node_name[0] != '\0';
    dev->node_name = dev->has_node_name ? g_strdup(bs->node_name) : NULL;
    dev->ro = bdrv_is_read_only(bs);
    dev->drv = g_strdup(bs->drv->format_name);
    dev->encrypted = bs->encrypted;
    dev->detect_zeroes = bs->detect_zeroes;
    dev->write_threshold = bs->write_threshold_offset;

    dev->cache = g_new0(BlockdevCacheInfo, 1);
    dev->cache->writeback = !blk || blk_enable_write_cache(blk);
    dev->cache->direct = bs->open_flags & BDRV_O_NOCACHE;
    dev->cache->no_flush = bs->open_flags & BDRV_O_NO_FLUSH;

    /* Test 199 checks that "dirty-bitmaps" is absent on a node without. */
    dev->dirty_bitmaps = bdrv_query_dirty_bitmaps(bs);
    dev->has_dirty_bitmaps = dev->dirty_bitmaps != NULL;
    if (bs->backing) {
        dev->has_backing_file = true;
        dev->backing_file = g_strdup(bs->backing->bs->filename);
    }
    if (!describe_images(dev, bs, flat, errp)) {
        qapi_free_BlockDeviceInfo(dev);
        return NULL;
    }
    return dev;
}

/* One query-block entry: the BlockBackend, and its medium if any. */
static BlockInfo *backend_info(BlockBackend *blk, Error **errp)
{
    BlockDriverState *bs = blk_bs(blk);
    const char *qdev = blk_get_dev_path(blk);
    BlockInfo *info = g_new0(BlockInfo, 1);

    info->device = g_strdup(blk_name(blk));
    info->type = g_strdup("unknown");
    info->removable = blk_is_removable(blk);
    if (qdev) {
        /* Only a device's backend has an I/O status to report. */
        info->has_qdev = info->has_io_status = true;
        info->qdev = g_strdup(qdev);
        info->io_status = BLOCK_DEVICE_IO_STATUS_OK;
    }
    if (bs && bs->drv) {
        info->inserted = device_info(blk, bs, false, errp);
        if (!info->inserted) {
            qapi_free_BlockInfo(info);
            return NULL;
        }
        info->has_inserted = true;
    }
    return info;
}

BlockInfoList *qmp_query_block(Error **errp)
{
    BlockInfoList *list = NULL, **tail = &list;
    BlockBackend *blk = NULL;

    while ((blk = blk_all_next(blk)) != NULL) {
        BlockInfo *info;

        /* Unnamed backends without a device (qemu-io's) are internal. */
        if (!blk_name(blk)[0] && !blk_get_dev_path(blk)) {
            continue;
        }
        info = backend_info(blk, errp);
        if (!info) {
            qapi_free_BlockInfoList(list);
            return NULL;
        }
        QAPI_LIST_APPEND(tail, info);
    }
    return list;
}

/* Named nodes, newest first. */
BlockDeviceInfoList *qmp_query_named_block_nodes(bool has_flat, bool flat,
                                                 Error **errp)
{
    BlockDeviceInfoList *list = NULL;
    BlockDriverState *bs = NULL;

    while ((bs = bdrv_next_node(bs)) != NULL) {
        BlockDeviceInfo *dev = device_info(NULL, bs, has_flat && flat, errp);

        if (!dev) {
            qapi_free_BlockDeviceInfoList(list);
            return NULL;
        }
        QAPI_LIST_PREPEND(list, dev);
    }
    return list;
}
