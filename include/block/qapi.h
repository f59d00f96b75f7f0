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

#endif /* BLOCK_QAPI_H */
