/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Synchronous block I/O: request checks, driver dispatch, bitmap dirtying. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "block/block_int.h"
#include "trace.h"

/* Largest byte offset/length a request may use (QEMU's BDRV_MAX_LENGTH). */
#define BDRV_MAX_LENGTH (QEMU_ALIGN_DOWN(INT64_MAX, 1 << 30))

/* Sanity of a byte range, independent of the node's length. */
static int bdrv_check_request(int64_t offset, int64_t bytes)
{
    if (offset < 0 || bytes < 0) {
        return -EIO;
    }
    if (bytes > BDRV_MAX_LENGTH || offset > BDRV_MAX_LENGTH - bytes) {
        return -EIO;
    }
    return 0;
}

/* Checks shared by writes, zero writes and discards, before the driver. */
static int bdrv_check_write(BlockDriverState *bs, int64_t offset,
                            int64_t bytes)
{
    int ret;

    if (!bs->drv) {
        return -ENOMEDIUM;
    }
    ret = bdrv_check_request(offset, bytes);
    if (ret < 0) {
        return ret;
    }
    if (bs->open_flags & BDRV_O_INACTIVE) {
        /* QEMU asserts here; a stray request must not kill us. */
        return -EPERM;
    }
    if (bdrv_is_read_only(bs)) {
        return -EPERM;
    }
    if (bdrv_has_readonly_bitmaps(bs)) {
        return -EPERM;
    }
    return 0;
}

/*
 * After a write-type request, successful or not: grow the node if the
 * write went past its end, then dirty the enabled bitmaps.
 */
static void bdrv_write_req_finish(BlockDriverState *bs, int64_t offset,
                                  int64_t bytes, bool is_discard, int ret)
{
    int64_t end_sector = DIV_ROUND_UP(offset + bytes, BDRV_SECTOR_SIZE);
    BdrvDirtyBitmap *bm;

    trace_bdrv_write_req(bs, offset, bytes, is_discard, ret);
    if (!is_discard && end_sector > bs->total_sectors) {
        bool can_resize = true;

        FOR_EACH_DIRTY_BITMAP(bs, bm) {
            if (bdrv_dirty_bitmap_check(bm, BDRV_BITMAP_BUSY, NULL) ||
                bdrv_dirty_bitmap_has_successor(bm)) {
                can_resize = false;
            }
        }
        bs->total_sectors = end_sector;
        if (can_resize) {
            bdrv_dirty_bitmap_truncate(bs, end_sector << BDRV_SECTOR_BITS);
        }
    }
    if (bytes) {
        bdrv_set_dirty(bs, offset, bytes);
    }
}

int bdrv_pread(BdrvChild *child, int64_t offset, int64_t bytes, void *buf,
               BdrvRequestFlags flags)
{
    BlockDriverState *bs = child->bs;
    int64_t len, valid;
    int ret;

    if (!bs->drv) {
        return -ENOMEDIUM;
    }
    ret = bdrv_check_request(offset, bytes);
    if (ret < 0) {
        return ret;
    }
    if (!bytes) {
        return 0;
    }
    if (!bs->drv->bdrv_pread) {
        return -ENOTSUP;
    }
    len = bdrv_getlength(bs);
    if (len < 0) {
        return len;
    }
    /* Reads past the end of the node return zeroes. */
    valid = offset >= len ? 0 : MIN(bytes, len - offset);
    if (valid < bytes) {
        memset((uint8_t *)buf + valid, 0, bytes - valid);
    }
    if (!valid) {
        return 0;
    }
    return bs->drv->bdrv_pread(bs, offset, valid, buf, flags);
}

int bdrv_pwrite(BdrvChild *child, int64_t offset, int64_t bytes,
                const void *buf, BdrvRequestFlags flags)
{
    BlockDriverState *bs = child->bs;
    int ret;

    if (flags & BDRV_REQ_ZERO_WRITE) {
        return bdrv_pwrite_zeroes(child, offset, bytes, flags);
    }
    ret = bdrv_check_write(bs, offset, bytes);
    if (ret < 0) {
        return ret;
    }
    if (!bytes) {
        return 0;
    }
    if (!bs->drv->bdrv_pwrite) {
        return -ENOTSUP;
    }
    ret = bs->drv->bdrv_pwrite(bs, offset, bytes, buf, flags);
    bdrv_write_req_finish(bs, offset, bytes, false, ret);
    return ret;
}

/* Without a driver callback, write zeroes through a bounded buffer. */
static int bdrv_pwrite_zeroes_fallback(BlockDriverState *bs, int64_t offset,
                                       int64_t bytes, BdrvRequestFlags flags)
{
    const int64_t max = 1 * MiB;
    g_autofree uint8_t *buf = g_malloc0(MIN(bytes, max));
    int ret = 0;

    while (bytes > 0 && ret >= 0) {
        int64_t num = MIN(bytes, max);

        ret = bs->drv->bdrv_pwrite(bs, offset, num, buf,
                                   flags & ~(BDRV_REQ_ZERO_WRITE |
                                             BDRV_REQ_MAY_UNMAP));
        offset += num;
        bytes -= num;
    }
    return ret;
}

int bdrv_pwrite_zeroes(BdrvChild *child, int64_t offset, int64_t bytes,
                       BdrvRequestFlags flags)
{
    BlockDriverState *bs = child->bs;
    int ret;

    ret = bdrv_check_write(bs, offset, bytes);
    if (ret < 0) {
        return ret;
    }
    if (!bytes) {
        return 0;
    }
    if (!(bs->open_flags & BDRV_O_UNMAP)) {
        flags &= ~BDRV_REQ_MAY_UNMAP;
    }
    flags |= BDRV_REQ_ZERO_WRITE;
    ret = -ENOTSUP;
    if (bs->drv->bdrv_pwrite_zeroes) {
        ret = bs->drv->bdrv_pwrite_zeroes(bs, offset, bytes, flags);
    }
    if (ret == -ENOTSUP && bs->drv->bdrv_pwrite) {
        ret = bdrv_pwrite_zeroes_fallback(bs, offset, bytes, flags);
    }
    bdrv_write_req_finish(bs, offset, bytes, false, ret);
    return ret;
}

int bdrv_pdiscard(BdrvChild *child, int64_t offset, int64_t bytes)
{
    BlockDriverState *bs = child->bs;
    int ret;

    ret = bdrv_check_write(bs, offset, bytes);
    if (ret < 0) {
        return ret;
    }
    /* Do nothing if disabled, or if the driver cannot discard. */
    if (!(bs->open_flags & BDRV_O_UNMAP) || !bs->drv->bdrv_pdiscard ||
        !bytes) {
        return 0;
    }
    ret = bs->drv->bdrv_pdiscard(bs, offset, bytes);
    bdrv_write_req_finish(bs, offset, bytes, true, ret);
    return ret;
}

int bdrv_flush(BlockDriverState *bs)
{
    BdrvChild *child;
    int ret = 0;

    if (!bs || !bs->drv) {
        return 0;
    }
    if ((bs->open_flags & BDRV_O_INACTIVE) || bdrv_is_read_only(bs)) {
        return 0;
    }
    if (bs->drv->bdrv_flush && !(bs->open_flags & BDRV_O_NO_FLUSH)) {
        ret = bs->drv->bdrv_flush(bs);
    }
    QLIST_FOREACH(child, &bs->children, next) {
        int r = bdrv_flush(child->bs);

        if (ret >= 0 && r < 0) {
            ret = r;
        }
    }
    return ret;
}

/* Nodes above @bs whose length follows its length (raw) learn the new one. */
static void bdrv_parent_cb_resize(BlockDriverState *bs)
{
    BdrvChild *c;

    QLIST_FOREACH(c, &bs->parents, next_parent) {
        if (c->klass->parent_is_bds) {
            BlockDriverState *parent = c->opaque;

            bdrv_refresh_total_sectors(parent, parent->total_sectors);
            bdrv_parent_cb_resize(parent);
        }
    }
}

int bdrv_truncate(BdrvChild *child, int64_t offset, bool exact,
                  BdrvRequestFlags flags, Error **errp)
{
    BlockDriverState *bs = child->bs;
    BdrvDirtyBitmap *bm;
    int ret;

    if (!bs->drv) {
        error_setg(errp, "No medium inserted");
        return -ENOMEDIUM;
    }
    if (offset < 0) {
        error_setg(errp, "Image size cannot be negative");
        return -EINVAL;
    }
    if (offset > BDRV_MAX_LENGTH) {
        error_setg(errp, "offset(%" PRId64 ") exceeds maximum(%" PRId64 ")",
                   offset, (int64_t)BDRV_MAX_LENGTH);
        return -EIO;
    }
    if (!bdrv_is_writable(bs)) {
        error_setg(errp, "Image is read-only");
        return -EACCES;
    }
    FOR_EACH_DIRTY_BITMAP(bs, bm) {
        if (bdrv_dirty_bitmap_check(bm, BDRV_BITMAP_BUSY, errp)) {
            return -EBUSY;
        }
        if (bdrv_dirty_bitmap_has_successor(bm)) {
            error_setg(errp, "Bitmap '%s' is currently in use by another "
                       "operation and cannot be used",
                       bdrv_dirty_bitmap_name(bm));
            return -EBUSY;
        }
    }
    if (bs->drv->bdrv_truncate) {
        ret = bs->drv->bdrv_truncate(bs, offset, exact, errp);
    } else if (bs->file && bs->drv->is_filter) {
        ret = bdrv_truncate(bs->file, offset, exact, flags, errp);
    } else {
        error_setg(errp, "Image format driver does not support resize");
        return -ENOTSUP;
    }
    if (ret < 0) {
        return ret;
    }
    ret = bdrv_refresh_total_sectors(bs, DIV_ROUND_UP(offset,
                                                      BDRV_SECTOR_SIZE));
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not refresh total sector count");
        return ret;
    }
    bdrv_dirty_bitmap_truncate(bs, bs->total_sectors * BDRV_SECTOR_SIZE);
    bdrv_parent_cb_resize(bs);
    return 0;
}
