/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP block-dirty-bitmap-* and x-debug-block-dirty-bitmap-sha256. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/host-utils.h"
#include "block/block_int.h"
#include "block/qapi.h"
#include "qapi/qapi-commands-block-core.h"

/* Bitmap @name of @bs, or NULL with the message QMP clients expect. */
static BdrvDirtyBitmap *find_named(BlockDriverState *bs, const char *name,
                                   Error **errp)
{
    BdrvDirtyBitmap *bm = bdrv_find_dirty_bitmap(bs, name);

    if (!bm) {
        error_setg(errp, "Dirty bitmap '%s' not found", name);
    }
    return bm;
}

/*
 * Every command but add names its bitmap by node (a BlockBackend or node
 * name) and bitmap name, both mandatory QAPI members. The messages and
 * the order they are checked in are QEMU 7.2's.
 */
BdrvDirtyBitmap *block_dirty_bitmap_lookup(const char *node,
                                           const char *name,
                                           BlockDriverState **pbs,
                                           Error **errp)
{
    GLOBAL_STATE_CODE();
    /* bdrv_lookup_bs()'s own message is not the one QEMU gives here */
    BlockDriverState *bs = bdrv_lookup_bs(node, node, NULL);

    if (!bs) {
        error_setg(errp, "Node '%s' not found", node);
        return NULL;
    }
    if (pbs) {
        *pbs = bs;
    }
    return find_named(bs, name, errp);
}

/* The bitmap, if it exists and is in none of the states in @refuse. */
static BdrvDirtyBitmap *usable_bitmap(const char *node, const char *name,
                                      uint32_t refuse, BlockDriverState **pbs,
                                      Error **errp)
{
    BdrvDirtyBitmap *bm = block_dirty_bitmap_lookup(node, name, pbs, errp);

    if (bm && bdrv_dirty_bitmap_check(bm, refuse, errp) < 0) {
        return NULL;
    }
    return bm;
}

void qmp_block_dirty_bitmap_add(const char *node, const char *name,
                                bool has_granularity, uint32_t granularity,
                                bool has_persistent, bool persistent,
                                bool has_disabled, bool disabled,
                                Error **errp)
{
    BdrvDirtyBitmap *bm;
    BlockDriverState *bs;

    if (!name || !*name) {
        error_setg(errp, "Bitmap name cannot be empty");
        return;
    }
    bs = bdrv_lookup_bs(node, node, errp);
    if (!bs) {
        return;
    }
    if (!has_granularity) {
        granularity = bdrv_get_default_bitmap_granularity(bs);
    } else if (granularity < BDRV_SECTOR_SIZE ||
               !is_power_of_2(granularity)) {
        /* Before the driver's persistence checks, which assume it valid */
        error_setg(errp, "Granularity must be power of 2 and at least 512");
        return;
    }
    persistent = has_persistent && persistent;
    if (persistent &&
        !bdrv_can_store_new_dirty_bitmap(bs, name, granularity, errp)) {
        return;
    }
    bm = bdrv_create_dirty_bitmap(bs, granularity, name, errp);
    if (!bm) {
        return;
    }
    if (has_disabled && disabled) {
        bdrv_disable_dirty_bitmap(bm);
    }
    /* The image gets it when the driver next stores its bitmaps. */
    bdrv_dirty_bitmap_set_persistence(bm, persistent);
}

/* Inconsistent bitmaps can be removed: that is their only way out. */
BdrvDirtyBitmap *block_dirty_bitmap_remove(const char *node,
                                           const char *name, bool release,
                                           BlockDriverState **bitmap_bs,
                                           Error **errp)
{
    BlockDriverState *bs;
    BdrvDirtyBitmap *bm;

    GLOBAL_STATE_CODE();

    bm = usable_bitmap(node, name, BDRV_BITMAP_BUSY | BDRV_BITMAP_RO, &bs,
                       errp);
    if (!bm) {
        return NULL;
    }
    if (bdrv_dirty_bitmap_get_persistence(bm) &&
        bdrv_remove_persistent_dirty_bitmap(bs, name, errp) < 0) {
        return NULL;
    }
    if (bitmap_bs) {
        *bitmap_bs = bs;
    }
    if (release) {
        bdrv_release_dirty_bitmap(bm);
    }
    return bm;
}

void qmp_block_dirty_bitmap_remove(const char *node, const char *name,
                                   Error **errp)
{
    block_dirty_bitmap_remove(node, name, true, NULL, errp);
}

void qmp_block_dirty_bitmap_clear(const char *node, const char *name,
                                  Error **errp)
{
    BdrvDirtyBitmap *bm;

    bm = usable_bitmap(node, name, BDRV_BITMAP_DEFAULT, NULL, errp);
    if (bm) {
        bdrv_clear_dirty_bitmap(bm, NULL);
    }
}

/* Whether a bitmap records changes no bits, so readonly ones may toggle. */
static void set_recording(const char *node, const char *name, bool on,
                          Error **errp)
{
    BdrvDirtyBitmap *bm;

    bm = usable_bitmap(node, name, BDRV_BITMAP_ALLOW_RO, NULL, errp);
    if (!bm) {
        return;
    }
    if (on) {
        bdrv_enable_dirty_bitmap(bm);
    } else {
        bdrv_disable_dirty_bitmap(bm);
    }
}

void qmp_block_dirty_bitmap_enable(const char *node, const char *name,
                                   Error **errp)
{
    set_recording(node, name, true, errp);
}

void qmp_block_dirty_bitmap_disable(const char *node, const char *name,
                                    Error **errp)
{
    set_recording(node, name, false, errp);
}

/* A merge source: a bare name means a bitmap on the target's node. */
static BdrvDirtyBitmap *merge_source(BlockDriverState *target_bs,
                                     const BlockDirtyBitmapOrStr *src,
                                     Error **errp)
{
    if (src->type == QTYPE_QSTRING) {
        return find_named(target_bs, src->u.local, errp);
    }
    return block_dirty_bitmap_lookup(src->u.external.node,
                                     src->u.external.name, NULL, errp);
}

/*
 * Sources are merged one by one, each checked as it comes; if one fails,
 * the target gets back the bits it had before the first.
 */
BdrvDirtyBitmap *block_dirty_bitmap_merge(const char *node,
                                          const char *target,
                                          BlockDirtyBitmapOrStrList *bms,
                                          HBitmap **backup, Error **errp)
{
    BlockDriverState *bs;
    BdrvDirtyBitmap *dst, *src;
    HBitmap *orig = NULL;
    BlockDirtyBitmapOrStrList *l;

    GLOBAL_STATE_CODE();

    dst = block_dirty_bitmap_lookup(node, target, &bs, errp);
    if (!dst) {
        return NULL;
    }
    for (l = bms; l; l = l->next) {
        src = merge_source(bs, l->value, errp);
        if (!src ||
            !bdrv_merge_dirty_bitmap(dst, src, orig ? NULL : &orig, errp)) {
            if (orig) {
                bdrv_restore_dirty_bitmap(dst, orig);
            }
            return NULL;
        }
    }
    if (backup) {
        *backup = orig;
    } else if (orig) {
        hbitmap_free(orig);
    }
    return dst;
}

void qmp_block_dirty_bitmap_merge(const char *node, const char *target,
                                  BlockDirtyBitmapOrStrList *bitmaps,
                                  Error **errp)
{
    block_dirty_bitmap_merge(node, target, bitmaps, NULL, errp);
}

BlockDirtyBitmapSha256 *qmp_x_debug_block_dirty_bitmap_sha256(
    const char *node, const char *name, Error **errp)
{
    BdrvDirtyBitmap *bm = block_dirty_bitmap_lookup(node, name, NULL, errp);
    BlockDirtyBitmapSha256 *res;
    char *hex;

    /* A debugging aid: no busy or readonly check, any bitmap may be read */
    hex = bm ? bdrv_dirty_bitmap_sha256(bm, errp) : NULL;
    if (!hex) {
        return NULL;
    }
    res = g_new0(BlockDirtyBitmapSha256, 1);
    res->sha256 = hex;
    return res;
}
