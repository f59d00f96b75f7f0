/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Block layer query helpers and the QMP bitmap lookup. */
#ifndef BLOCK_QAPI_H
#define BLOCK_QAPI_H

#include "block/block.h"
#include "qapi/qapi-types-block-core.h"

/**
 * bdrv_block_device_info: query-block "inserted" / query-named-block-nodes
 * @blk: the BlockBackend above @bs, or NULL
 * @flat: do not describe the backing chain in image.backing-image
 */
BlockDeviceInfo *bdrv_block_device_info(BlockBackend *blk,
                                        BlockDriverState *bs,
                                        bool flat, Error **errp);
/* One entry per named node, newest first. */
BlockDeviceInfoList *bdrv_named_nodes_list(bool flat, Error **errp);
/* ImageInfo of @bs alone (no backing chain). */
void bdrv_query_image_info(BlockDriverState *bs, ImageInfo **p_info,
                           Error **errp);

/**
 * block_dirty_bitmap_lookup: find bitmap @name on device or node @node
 * @pbs: if not NULL, receives the node
 *
 * Fails with "Node '%s' not found" or "Dirty bitmap '%s' not found".
 */
BdrvDirtyBitmap *block_dirty_bitmap_lookup(const char *node,
                                           const char *name,
                                           BlockDriverState **pbs,
                                           Error **errp);

#endif /* BLOCK_QAPI_H */
