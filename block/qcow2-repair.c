/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qcow2: rebuild the refcounts of an image that was not closed cleanly. */

/*
 * With lazy refcounts, QEMU sets the dirty bit while it writes and lets
 * refcount updates lag behind; after a crash the refcounts are wrong. As
 * QEMU does when it opens such an image read-write, the refcounts are
 * rebuilt from what references each cluster:
 *  - the header cluster, the active L1 table, every L2 table each L1
 *    table (active or a snapshot's) points to and every data cluster of
 *    those L2 tables (a compressed one: every cluster its sectors touch),
 *  - the snapshot table and the snapshots' L1 tables,
 *  - the bitmap directory, bitmap tables and bitmap data.
 * A new refcount table and refcount blocks covering the whole file are
 * written after the end of the file, the header is switched to them and
 * the dirty bit cleared; the old refcount structures become free space.
 * Then the COPIED flags of the active tables are set from the new counts.
 *
 * Every reference is checked first (aligned, inside the file); nothing is
 * written unless the whole image could be counted and every count fits
 * the image's refcount width (QEMU 7.2 finds that out while it writes,
 * and leaves the image half rebuilt). The counts take four bytes per
 * cluster of the file.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"
#include "qapi/error.h"
#include "qcow2.h"

/* Clusters of a file that the repair accepts to count in memory. */
#define QCOW2_REPAIR_MAX_CLUSTERS (64 * 1024 * 1024)

typedef struct RefCounts {
    uint32_t *refs;             /* per cluster of the file */
    uint64_t nclusters;         /* clusters in the file */
    uint64_t budget;            /* bytes of metadata still allowed to read */
    uint64_t nblocks;           /* new refcount blocks, after the file */
    uint64_t ntable;            /* clusters of the new table, after those */
} RefCounts;

/*
 * Read metadata for counting, within the budget: tables shared by many
 * snapshots are read once per snapshot, and a hostile image must not
 * make that take forever.
 */
static bool read_meta(BlockDriverState *bs, RefCounts *rc, uint64_t offset,
                      uint64_t len, void *buf, Error **errp)
{
    int ret;

    if (len > rc->budget) {
        error_setg(errp, "Too much metadata to repair here; use 'qemu-img "
                   "check -r all'");
        return false;
    }
    rc->budget -= len;
    ret = bdrv_pread(bs->file, offset, len, buf, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read metadata at %#" PRIx64,
                         offset);
        return false;
    }
    return true;
}

/* One reference to each cluster [offset, offset + len) touches. */
static bool count_range(BDRVQcow2State *s, RefCounts *rc, uint64_t offset,
                        uint64_t len, Error **errp)
{
    uint64_t c, last;

    if (!len) {
        return true;
    }
    last = (offset + len - 1) >> s->cluster_bits;
    if (offset + len < offset || last >= rc->nclusters) {
        error_setg(errp, "Reference to offset %#" PRIx64 " past the end "
                   "of the image", offset);
        return false;
    }
    for (c = offset >> s->cluster_bits; c <= last; c++) {
        if (rc->refs[c] == UINT32_MAX) {
            error_setg(errp, "Too many references to a cluster");
            return false;
        }
        rc->refs[c]++;
    }
    return true;
}

static bool count_aligned(BDRVQcow2State *s, RefCounts *rc, uint64_t offset,
                          uint64_t len, const char *what, Error **errp)
{
    if (qcow2_offset_into_cluster(s, offset)) {
        error_setg(errp, "%s offset %#" PRIx64 " unaligned", what, offset);
        return false;
    }
    return count_range(s, rc, offset, len, errp);
}

/* An L1 table, its L2 tables and their data clusters. */
static bool count_l1(BlockDriverState *bs, RefCounts *rc, uint64_t l1_offset,
                     uint32_t l1_entries, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *l1 = NULL;
    g_autofree uint8_t *l2 = g_malloc(s->cluster_size);
    uint32_t i, j;

    if ((uint64_t)l1_entries * 8 > QCOW2_MAX_L1_BYTES) {
        error_setg(errp, "L1 table too large");
        return false;
    }
    if (!count_aligned(s, rc, l1_offset, (uint64_t)l1_entries * 8,
                       "L1 table", errp)) {
        return false;
    }
    l1 = g_new(uint64_t, MAX(l1_entries, 1));
    if (!read_meta(bs, rc, l1_offset, (uint64_t)l1_entries * 8, l1, errp)) {
        return false;
    }
    for (i = 0; i < l1_entries; i++) {
        uint64_t l2_offset = be64_to_cpu(l1[i]) & QCOW2_OFFSET_MASK;

        if (!l2_offset) {
            continue;
        }
        if (!count_aligned(s, rc, l2_offset, s->cluster_size, "L2 table",
                           errp)) {
            return false;
        }
        if (!read_meta(bs, rc, l2_offset, s->cluster_size, l2, errp)) {
            return false;
        }
        for (j = 0; j < s->cluster_size / 8; j++) {
            uint64_t entry = ldq_be_p(l2 + 8 * j), off, len;

            if (entry & QCOW2_OFLAG_COMPRESSED) {
                qcow2_compressed_range(s, entry, &off, &len);
                if (!count_range(s, rc, off, len, errp)) {
                    return false;
                }
            } else if ((off = entry & QCOW2_OFFSET_MASK) &&
                       !count_aligned(s, rc, off, s->cluster_size,
                                      "Data cluster", errp)) {
                return false;
            }
        }
    }
    return true;
}

/* The snapshot table, and each snapshot's L1 table. */
static bool count_snapshots(BlockDriverState *bs, RefCounts *rc,
                            Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t pos = s->snapshot_table_offset;
    uint8_t fixed[40];
    uint32_t i;

    for (i = 0; i < s->snapshot_count; i++) {
        uint64_t size;

        if (!read_meta(bs, rc, pos, sizeof(fixed), fixed, errp)) {
            return false;
        }
        /* extra data, id and name, padded to 8 bytes */
        size = ROUND_UP(sizeof(fixed) + (uint64_t)ldl_be_p(fixed + 36) +
                        lduw_be_p(fixed + 12) + lduw_be_p(fixed + 14), 8);
        if (pos + size > rc->nclusters << s->cluster_bits) {
            error_setg(errp, "Snapshot table past the end of the image");
            return false;
        }
        if (!count_l1(bs, rc, ldq_be_p(fixed), ldl_be_p(fixed + 8), errp)) {
            error_prepend(errp, "Snapshot %" PRIu32 ": ", i);
            return false;
        }
        pos += size;
    }
    return count_aligned(s, rc, s->snapshot_table_offset,
                         pos - s->snapshot_table_offset, "Snapshot table",
                         errp);
}

/* The bitmap directory, bitmap tables and bitmap data. */
static bool count_bitmaps(BlockDriverState *bs, RefCounts *rc, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    g_autoptr(GPtrArray) list = NULL;
    guint i;
    uint32_t j;

    if (!s->has_bitmaps) {
        return true;
    }
    if (!qcow2_read_bitmap_list(bs, &list, errp) ||
        !count_range(s, rc, s->bitmap_directory_offset,
                     s->bitmap_directory_size, errp)) {
        return false;
    }
    for (i = 0; i < list->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(list, i);
        g_autofree uint64_t *table = NULL;

        if (!count_range(s, rc, bm->table_offset,
                         (uint64_t)bm->table_size * 8, errp)) {
            return false;
        }
        if (qcow2_read_bitmap_table(bs, bm, &table) < 0) {
            error_setg(errp, "Bitmap '%s' has a broken table", bm->name);
            return false;
        }
        for (j = 0; j < bm->table_size; j++) {
            if (!count_range(s, rc, table[j] & QCOW2_OFFSET_MASK,
                             (table[j] & QCOW2_OFFSET_MASK) ?
                             s->cluster_size : 0, errp)) {
                return false;
            }
        }
    }
    return true;
}

/*
 * Size the refcount blocks and table that will hold @rc after the end of
 * the file, and check that every count fits the image's refcount width:
 * a repair that cannot be done must fail before it writes anything.
 */
static int plan_new_refcounts(BDRVQcow2State *s, RefCounts *rc)
{
    uint64_t per_block = 1ull << s->refblock_bits;
    uint64_t per_cluster = s->cluster_size / 8;
    uint64_t base = rc->nclusters, nblocks = 1, nclusters = 1, c;

    for (;;) {
        uint64_t want = DIV_ROUND_UP(base + nblocks + nclusters, per_block);
        uint64_t want_clusters = DIV_ROUND_UP(want, per_cluster);

        if (want <= nblocks && want_clusters <= nclusters) {
            break;
        }
        nblocks = MAX(nblocks, want);
        nclusters = MAX(nclusters, want_clusters);
    }
    if (nclusters * s->cluster_size > QCOW2_MAX_REFTABLE_BYTES) {
        return -EFBIG;
    }
    for (c = 0; c < base; c++) {
        if (rc->refs[c] > s->refcount_max) {
            return -ERANGE;
        }
    }
    rc->nblocks = nblocks;
    rc->ntable = nclusters;
    return 0;
}

/*
 * Write refcount blocks and a table for @rc after the end of the file, as
 * plan_new_refcounts() sized them, and switch the header to them
 * (clearing the dirty bit).
 */
static int write_new_refcounts(BlockDriverState *bs, RefCounts *rc)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t per_block = 1ull << s->refblock_bits;
    uint64_t per_cluster = s->cluster_size / 8;
    uint64_t base = rc->nclusters, nblocks = rc->nblocks;
    uint64_t nclusters = rc->ntable, end, i, c;
    g_autofree uint8_t *blk = g_malloc(s->cluster_size);
    g_autofree uint64_t *table = NULL;
    int start, len, ret;

    end = base + nblocks + nclusters;

    table = g_new0(uint64_t, nclusters * per_cluster);
    for (i = 0; i < nblocks; i++) {
        memset(blk, 0, s->cluster_size);
        for (c = i * per_block; c < MIN((i + 1) * per_block, end); c++) {
            uint64_t value = c < base ? rc->refs[c] : 1;

            qcow2_refblock_set(s, blk, c - i * per_block, value, &start,
                               &len);
        }
        ret = bdrv_pwrite(bs->file, (base + i) << s->cluster_bits,
                          s->cluster_size, blk, 0);
        if (ret < 0) {
            return ret;
        }
        table[i] = cpu_to_be64((base + i) << s->cluster_bits);
    }
    ret = bdrv_pwrite(bs->file, (base + nblocks) << s->cluster_bits,
                      nclusters << s->cluster_bits, table, 0);
    if (ret >= 0) {
        ret = bdrv_flush(bs->file->bs);
    }
    if (ret < 0) {
        return ret;
    }

    for (i = 0; i < nclusters * per_cluster; i++) {
        table[i] = be64_to_cpu(table[i]);
    }
    g_free(s->reftable);
    s->reftable = g_steal_pointer(&table);
    s->reftable_entries = nclusters * per_cluster;
    s->reftable_offset = (base + nblocks) << s->cluster_bits;
    s->reftable_clusters = nclusters;
    s->incompat &= ~QCOW2_INCOMPAT_DIRTY;
    qcow2_cache_destroy(&s->refblock_cache);
    qcow2_cache_init(s, &s->refblock_cache);
    s->free_cluster_index = 0;
    ret = qcow2_update_header(bs);
    if (ret >= 0) {
        ret = bdrv_flush(bs->file->bs);
    }
    return ret;
}

/* Make the COPIED flags of the active L1 and L2 tables match the counts. */
static int fix_copied_flags(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint32_t i, j;
    int ret;

    for (i = 0; i < s->l1_entries; i++) {
        uint64_t l2_offset = s->l1_table[i] & QCOW2_OFFSET_MASK, rc;
        uint64_t want;
        uint8_t buf[8];

        if (!l2_offset) {
            continue;
        }
        ret = qcow2_get_refcount(bs, l2_offset >> s->cluster_bits, &rc);
        if (ret < 0) {
            return ret;
        }
        want = l2_offset | (rc == 1 ? QCOW2_OFLAG_COPIED : 0);
        if (s->l1_table[i] != want) {
            s->l1_table[i] = want;
            stq_be_p(buf, want);
            ret = bdrv_pwrite(bs->file, s->l1_table_offset + 8 * i, 8, buf,
                              0);
            if (ret < 0) {
                return ret;
            }
        }
        for (j = 0; j < s->cluster_size / 8; j++) {
            uint8_t *l2;
            uint64_t entry, host;

            ret = qcow2_cache_get(bs, &s->l2_cache, l2_offset, &l2);
            if (ret < 0) {
                return ret;
            }
            entry = ldq_be_p(l2 + 8 * j);
            host = entry & QCOW2_OFFSET_MASK;
            if ((entry & QCOW2_OFLAG_COMPRESSED) || !host) {
                continue;
            }
            ret = qcow2_get_refcount(bs, host >> s->cluster_bits, &rc);
            if (ret < 0) {
                return ret;
            }
            want = (entry & ~QCOW2_OFLAG_COPIED) |
                   (rc == 1 ? QCOW2_OFLAG_COPIED : 0);
            if (want != entry) {
                ret = qcow2_cache_set_entry64(bs, &s->l2_cache, l2_offset,
                                              j, want);
                if (ret < 0) {
                    return ret;
                }
            }
        }
    }
    return 0;
}

bool qcow2_repair_refcounts(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t file_len = bdrv_getlength(bs->file->bs);
    RefCounts rc = { 0 };
    bool ok;
    int ret;

    if (file_len < 0) {
        error_setg_errno(errp, -file_len, "Could not get the image size");
        return false;
    }
    rc.nclusters = qcow2_size_to_clusters(s, file_len);
    if (rc.nclusters > QCOW2_REPAIR_MAX_CLUSTERS) {
        error_setg(errp, "The image is too large to repair here; use "
                   "'qemu-img check -r all'");
        return false;
    }
    /* a sane image is read about once per snapshot, plus slack */
    rc.budget = ((uint64_t)s->snapshot_count + 2) * file_len + 64 * MiB;
    rc.refs = g_try_new0(uint32_t, MAX(rc.nclusters, 1));
    if (!rc.refs) {
        error_setg(errp, "Not enough memory to repair the image");
        return false;
    }
    ok = count_range(s, &rc, 0, s->cluster_size, errp) &&
         count_l1(bs, &rc, s->l1_table_offset, s->l1_entries, errp) &&
         count_snapshots(bs, &rc, errp) && count_bitmaps(bs, &rc, errp);
    if (ok) {
        ret = plan_new_refcounts(s, &rc);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not repair the refcounts");
            ok = false;
        }
    }
    if (ok) {
        ret = qcow2_clear_unknown_autoclear(bs);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not update qcow2 header");
            g_free(rc.refs);
            return false;
        }
        warn_report("qcow2: image '%s' was not closed cleanly: rebuilding "
                    "its refcounts", bs->file->bs->filename);
        ret = write_new_refcounts(bs, &rc);
        if (ret >= 0) {
            ret = fix_copied_flags(bs);
        }
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not repair the refcounts");
            ok = false;
        }
    }
    g_free(rc.refs);
    if (!ok) {
        error_prepend(errp, "Could not repair dirty image: ");
    }
    return ok;
}
