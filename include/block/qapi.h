/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bitmap lookup shared by the QMP block commands. */
#ifndef BLOCK_QAPI_H
#define BLOCK_QAPI_H

#include "block/block.h"
#include "qapi/qapi-types-block-core.h"

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

/**
 * block_dirty_bitmap_merge: merge the bitmaps @bms into @target of @node
 * @backup: if not NULL, receives the target's bits from before (NULL if
 * nothing was merged): bdrv_restore_dirty_bitmap() undoes the merge.
 *
 * Returns the target, or NULL with the target unchanged.
 */
BdrvDirtyBitmap *block_dirty_bitmap_merge(const char *node,
                                          const char *target,
                                          BlockDirtyBitmapOrStrList *bms,
                                          HBitmap **backup, Error **errp);

/**
 * block_dirty_bitmap_remove: remove bitmap @name of @node, from the image
 * too if it is persistent
 * @release: also free it (then the result only says success: non-NULL)
 * @bitmap_bs: if not NULL, receives the node
 *
 * Busy and readonly bitmaps are refused. Returns NULL on error.
 */
BdrvDirtyBitmap *block_dirty_bitmap_remove(const char *node,
                                           const char *name, bool release,
                                           BlockDriverState **bitmap_bs,
                                           Error **errp);

#endif /* BLOCK_QAPI_H */
