/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qcow2: block_resize: growing and shrinking the guest disk. */

/*
 * What QEMU 7.2 allows: any size that is a multiple of 512, with or
 * without snapshots on a version 3 image, provided every bitmap of the
 * image is loaded and usable (the block layer then resizes them in
 * memory; they are stored at their new size).
 *
 * Growing gives the L1 table the entries the new size needs: a new table
 * is written and flushed before the header points at it, and the old one
 * is freed afterwards. The new area reads as unallocated.
 *
 * Shrinking unmaps every cluster past the new end (L2 tables left with
 * nothing are freed, the L1 table keeps its size), writes the new size,
 * then cuts the file after its last cluster in use. Bytes between the
 * new end and the end of its cluster stay as they were, as in QEMU.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"
#include "qapi/error.h"
#include "qcow2.h"

/* Write the header from the state; flushed on both sides. */
static int write_header(BlockDriverState *bs)
{
    int ret = bdrv_flush(bs->file->bs);

    if (ret >= 0) {
        ret = qcow2_update_header(bs);
    }
    if (ret >= 0) {
        ret = bdrv_flush(bs->file->bs);
    }
    return ret;
}

/* Give the L1 table @entries entries and the disk @size bytes. */
static int grow_l1_table(BlockDriverState *bs, uint64_t entries,
                         uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t bytes = entries * 8, i;
    uint64_t old_offset = s->l1_table_offset;
    uint32_t old_entries = s->l1_entries;
    uint64_t old_size = s->size;
    g_autofree uint64_t *table = NULL;
    g_autofree uint8_t *buf = NULL;
    int64_t offset;
    int ret;

    if (bytes > QCOW2_MAX_L1_BYTES) {
        return -EFBIG;
    }
    table = g_try_new0(uint64_t, entries);
    buf = g_try_malloc0(qcow2_align_up(s, bytes));
    if (!table || !buf) {
        return -ENOMEM;
    }
    memcpy(table, s->l1_table, (uint64_t)old_entries * 8);
    for (i = 0; i < entries; i++) {
        stq_be_p(buf + 8 * i, table[i]);
    }
    offset = qcow2_alloc_clusters(bs, bytes);
    if (offset < 0) {
        return offset;
    }
    ret = bdrv_pwrite(bs->file, offset, qcow2_align_up(s, bytes), buf, 0);
    if (ret < 0) {
        qcow2_free_clusters(bs, offset, qcow2_align_up(s, bytes));
        return ret;
    }

    s->l1_table_offset = offset;
    s->l1_entries = entries;
    s->size = size;
    ret = write_header(bs);
    if (ret < 0) {
        s->l1_table_offset = old_offset;
        s->l1_entries = old_entries;
        s->size = old_size;
        qcow2_free_clusters(bs, offset, qcow2_align_up(s, bytes));
        return ret;
    }
    g_free(s->l1_table);
    s->l1_table = g_steal_pointer(&table);
    if (old_entries) {
        qcow2_free_clusters(bs, old_offset,
                            qcow2_align_up(s, (uint64_t)old_entries * 8));
    }
    return 0;
}

/* Cut the file after the last cluster with a reference (as QEMU). */
static void trim_file(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t file_len = bdrv_getlength(bs->file->bs);
    Error *local_err = NULL;
    uint64_t c, rc;

    if (file_len < 0) {
        return;
    }
    for (c = qcow2_size_to_clusters(s, file_len); c > 0; c--) {
        if (qcow2_get_refcount(bs, c - 1, &rc) < 0) {
            return;
        }
        if (rc) {
            break;
        }
    }
    if ((c << s->cluster_bits) < (uint64_t)file_len &&
        bdrv_truncate(bs->file, c << s->cluster_bits, false, 0,
                      &local_err) < 0) {
        /* only space is lost: the image is fine */
        warn_reportf_err(local_err, "Failed to truncate the tail of the "
                         "image: ");
    }
}

int qcow2_truncate(BlockDriverState *bs, int64_t offset, bool exact,
                   Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t per_l1 = (uint64_t)s->cluster_size << s->l2_bits;
    uint64_t old_size = s->size;
    int ret;

    if (offset % BDRV_SECTOR_SIZE) {
        error_setg(errp, "The new size must be a multiple of 512");
        return -EINVAL;
    }
    if (!s->exts) {
        error_setg(errp, "Image is not open");
        return -EIO;
    }
    if (s->snapshot_count && s->version < 3) {
        error_setg(errp, "Can't resize a v2 image which has snapshots");
        return -ENOTSUP;
    }
    if (!qcow2_truncate_bitmaps_check(bs, errp)) {
        return -ENOTSUP;
    }
    if ((uint64_t)offset >= old_size) {
        uint64_t entries = DIV_ROUND_UP((uint64_t)offset, per_l1);

        if (entries > s->l1_entries) {
            ret = grow_l1_table(bs, entries, offset);
            if (ret < 0) {
                error_setg_errno(errp, -ret, "Failed to grow the L1 table");
                return ret;
            }
            return 0;
        }
    } else {
        ret = qcow2_unmap_from(bs, qcow2_align_up(s, offset));
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to discard cropped "
                             "clusters");
            return ret;
        }
    }
    s->size = offset;
    ret = write_header(bs);
    if (ret < 0) {
        s->size = old_size;
        error_setg_errno(errp, -ret, "Failed to update the image size");
        return ret;
    }
    if ((uint64_t)offset < old_size) {
        trim_file(bs);
    }
    return 0;
}
