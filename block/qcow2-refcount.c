/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qcow2: host cluster reference counts, allocation and freeing. */

/*
 * Every write here goes straight to the image (the caches are
 * write-through), in an order that leaves the image consistent, or at
 * worst leaking clusters, between any two writes:
 *  - a new refcount block counts itself before the table points at it;
 *  - a grown refcount table is complete on disk before the header points
 *    at it, and the old one is freed only afterwards.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qcow2.h"

/* Entry @i of the refcount block @blk. */
static uint64_t refblock_get(BDRVQcow2State *s, const uint8_t *blk,
                             uint64_t i)
{
    switch (s->refcount_order) {
    case 3:
        return blk[i];
    case 4:
        return lduw_be_p(blk + 2 * i);
    case 5:
        return (uint32_t)ldl_be_p(blk + 4 * i);
    case 6:
        return ldq_be_p(blk + 8 * i);
    default: {
        /* 1, 2 or 4 bits; entry 0 is in the low bits of byte 0 */
        uint64_t bit = i << s->refcount_order;

        return (blk[bit / 8] >> (bit % 8)) & s->refcount_max;
    }
    }
}

void qcow2_refblock_set(BDRVQcow2State *s, uint8_t *blk, uint64_t i,
                        uint64_t value, int *start, int *len)
{
    if (s->refcount_order < 3) {
        uint64_t bit = i << s->refcount_order;
        uint8_t mask = s->refcount_max << (bit % 8);

        blk[bit / 8] = (blk[bit / 8] & ~mask) | (value << (bit % 8));
        *start = bit / 8;
        *len = 1;
        return;
    }
    *len = s->refcount_bits / 8;
    *start = i * *len;
    switch (s->refcount_order) {
    case 3:
        blk[i] = value;
        break;
    case 4:
        stw_be_p(blk + *start, value);
        break;
    case 5:
        stl_be_p(blk + *start, value);
        break;
    default:
        stq_be_p(blk + *start, value);
        break;
    }
}

bool qcow2_range_in_file(BlockDriverState *bs, uint64_t offset, uint64_t len)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t file_len = bdrv_getlength(bs->file->bs);

    return file_len >= 0 && offset >= s->cluster_size &&
           !qcow2_offset_into_cluster(s, offset) &&
           len <= (uint64_t)file_len && offset <= (uint64_t)file_len - len;
}

static bool ranges_overlap64(uint64_t a, uint64_t alen, uint64_t b,
                             uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

int qcow2_check_metadata_overlap(BlockDriverState *bs, uint64_t offset,
                                 uint64_t len)
{
    BDRVQcow2State *s = bs->opaque;
    const char *what = NULL;

    if (ranges_overlap64(offset, len, 0, s->cluster_size)) {
        what = "qcow2_header";
    } else if (ranges_overlap64(offset, len, s->l1_table_offset,
                                (uint64_t)s->l1_entries * 8)) {
        what = "active L1 table";
    } else if (ranges_overlap64(offset, len, s->reftable_offset,
                                (uint64_t)s->reftable_clusters <<
                                s->cluster_bits)) {
        what = "refcount table";
    } else if (s->has_bitmaps &&
               ranges_overlap64(offset, len, s->bitmap_directory_offset,
                                s->bitmap_directory_size)) {
        what = "bitmap directory";
    }
    if (what) {
        error_report("qcow2: Preventing invalid write on metadata (overlaps "
                     "with %s) at offset %#" PRIx64, what, offset);
        return -EIO;
    }
    return 0;
}

/* The refcount block covering @cluster_index, or 0 if it has none yet. */
static int refblock_offset(BlockDriverState *bs, uint64_t cluster_index,
                           uint64_t *offset)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t rt_index = cluster_index >> s->refblock_bits;

    *offset = 0;
    if (rt_index >= s->reftable_entries) {
        return 0;
    }
    *offset = s->reftable[rt_index] & QCOW2_OFFSET_MASK;
    if (qcow2_offset_into_cluster(s, *offset)) {
        return -EIO;
    }
    return 0;
}

int qcow2_get_refcount(BlockDriverState *bs, uint64_t cluster_index,
                       uint64_t *refcount)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t blk_off;
    uint8_t *blk;
    int ret;

    *refcount = 0;
    ret = refblock_offset(bs, cluster_index, &blk_off);
    if (ret < 0 || !blk_off) {
        return ret;
    }
    ret = qcow2_cache_get(bs, &s->refblock_cache, blk_off, &blk);
    if (ret < 0) {
        return ret;
    }
    *refcount = refblock_get(s, blk, cluster_index &
                             ((1ull << s->refblock_bits) - 1));
    return 0;
}

/* Write the refcount table entries [first, first + n) to the image. */
static int write_reftable_entries(BlockDriverState *bs, uint64_t first,
                                  uint64_t n)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *buf = g_new(uint64_t, n);
    uint64_t i;

    for (i = 0; i < n; i++) {
        buf[i] = cpu_to_be64(s->reftable[first + i]);
    }
    return bdrv_pwrite(bs->file, s->reftable_offset + first * 8,
                       n * 8, buf, 0);
}

/*
 * Grow the refcount table to at least @min_entries. The new table and the
 * refcount blocks that count it go past everything the old table covers,
 * where every cluster is free.
 */
static int grow_refcount_table(BlockDriverState *bs, uint64_t min_entries)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t per_block = 1ull << s->refblock_bits;
    uint64_t per_cluster = s->cluster_size / 8;
    uint64_t base = (uint64_t)s->reftable_entries << s->refblock_bits;
    uint64_t nblocks = 1, nclusters = 1, entries, want, i;
    uint64_t old_offset = s->reftable_offset;
    uint64_t old_clusters = s->reftable_clusters;
    g_autofree uint8_t *blk = g_malloc(s->cluster_size);
    g_autofree uint64_t *table = NULL;
    uint8_t hdr[12];
    int ret;

    for (;;) {
        want = MAX(MAX(min_entries, (base >> s->refblock_bits) + nblocks),
                   DIV_ROUND_UP(base + nblocks + nclusters, per_block));
        entries = QEMU_ALIGN_UP(want + want / 2, per_cluster);
        if (entries / per_cluster == nclusters &&
            DIV_ROUND_UP(nblocks + nclusters, per_block) <= nblocks) {
            break;
        }
        nclusters = entries / per_cluster;
        nblocks = DIV_ROUND_UP(nblocks + nclusters, per_block);
    }
    if (entries * 8 > QCOW2_MAX_REFTABLE_BYTES) {
        return -EFBIG;
    }
    ret = qcow2_check_metadata_overlap(bs, base << s->cluster_bits,
                                       (nblocks + nclusters) <<
                                       s->cluster_bits);
    if (ret < 0) {
        return ret;
    }

    /* Refcount blocks: block m sits at base + m and covers its range. */
    for (i = 0; i < nblocks; i++) {
        uint64_t first = base + i * per_block, c;
        int start, len;

        memset(blk, 0, s->cluster_size);
        for (c = first; c < first + per_block &&
                        c < base + nblocks + nclusters; c++) {
            qcow2_refblock_set(s, blk, c - first, 1, &start, &len);
        }
        ret = bdrv_pwrite(bs->file, (base + i) << s->cluster_bits,
                          s->cluster_size, blk, 0);
        if (ret < 0) {
            return ret;
        }
    }

    table = g_new0(uint64_t, entries);
    for (i = 0; i < s->reftable_entries; i++) {
        table[i] = cpu_to_be64(s->reftable[i]);
    }
    for (i = 0; i < nblocks; i++) {
        table[(base >> s->refblock_bits) + i] =
            cpu_to_be64((base + i) << s->cluster_bits);
    }
    ret = bdrv_pwrite(bs->file, (base + nblocks) << s->cluster_bits,
                      entries * 8, table, 0);
    if (ret < 0) {
        return ret;
    }
    ret = bdrv_flush(bs->file->bs);
    if (ret < 0) {
        return ret;
    }

    /* reftable_offset and reftable_clusters are adjacent */
    stq_be_p(hdr, (base + nblocks) << s->cluster_bits);
    stl_be_p(hdr + 8, nclusters);
    ret = bdrv_pwrite(bs->file, 48, sizeof(hdr), hdr, 0);
    if (ret < 0) {
        return ret;
    }
    ret = bdrv_flush(bs->file->bs);
    if (ret < 0) {
        return ret;
    }

    for (i = 0; i < entries; i++) {
        table[i] = be64_to_cpu(table[i]);
    }
    g_free(s->reftable);
    s->reftable = g_steal_pointer(&table);
    s->reftable_entries = entries;
    s->reftable_offset = (base + nblocks) << s->cluster_bits;
    s->reftable_clusters = nclusters;

    return qcow2_update_refcount(bs, old_offset,
                                 old_clusters << s->cluster_bits, -1);
}

/*
 * Give refcount blocks to the ranges of table entries [first, last] that
 * have none. Such a range is free, so the new blocks go together at the
 * start of the first one, whose block counts them all; ranges beyond one
 * block's worth of them wait for the next call. An entry whose offset
 * bits are clear has none, whatever its reserved bits say (they are
 * overwritten, as QEMU does).
 */
static int create_refblocks(BlockDriverState *bs, uint64_t first,
                            uint64_t last)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t per_block = 1ull << s->refblock_bits;
    g_autofree uint8_t *blk = g_malloc(s->cluster_size);
    g_autoptr(GArray) missing = g_array_new(false, false, sizeof(uint64_t));
    uint64_t rt, base, j;
    int start, len, ret;

    if (last >= s->reftable_entries) {
        ret = grow_refcount_table(bs, last + 1);
        if (ret < 0) {
            return ret;
        }
    }
    for (rt = first; rt <= last && missing->len < per_block; rt++) {
        if (!(s->reftable[rt] & QCOW2_OFFSET_MASK)) {
            g_array_append_val(missing, rt);
        }
    }
    if (!missing->len) {
        return 0;
    }
    base = g_array_index(missing, uint64_t, 0) << s->refblock_bits;
    ret = qcow2_check_metadata_overlap(bs, base << s->cluster_bits,
                                       (uint64_t)missing->len <<
                                       s->cluster_bits);
    if (ret < 0) {
        return ret;     /* the refcounts say free what is in use */
    }
    for (j = 0; j < missing->len; j++) {
        uint64_t offset = (base + j) << s->cluster_bits;
        uint64_t i;

        memset(blk, 0, s->cluster_size);
        for (i = 0; j == 0 && i < missing->len; i++) {
            qcow2_refblock_set(s, blk, i, 1, &start, &len);
        }
        ret = bdrv_pwrite(bs->file, offset, s->cluster_size, blk, 0);
        if (ret < 0) {
            return ret;
        }
        qcow2_cache_forget(&s->refblock_cache, offset);
        qcow2_cache_forget(&s->l2_cache, offset);
    }
    for (j = 0; j < missing->len; j++) {
        uint64_t old;

        rt = g_array_index(missing, uint64_t, j);
        old = s->reftable[rt];
        s->reftable[rt] = (base + j) << s->cluster_bits;
        ret = write_reftable_entries(bs, rt, 1);
        if (ret < 0) {
            s->reftable[rt] = old;
            return ret;
        }
    }
    return 0;
}

int qcow2_update_refcount(BlockDriverState *bs, uint64_t offset,
                          uint64_t len, int delta)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t first = offset >> s->cluster_bits;
    uint64_t end = qcow2_size_to_clusters(s, offset + len);
    uint64_t mask = (1ull << s->refblock_bits) - 1;
    uint64_t c;

    for (c = first; c < end; c++) {
        uint64_t blk_off, value;
        uint8_t *blk;
        int start, n, ret;

        ret = refblock_offset(bs, c, &blk_off);
        if (ret < 0) {
            return ret;
        }
        if (!blk_off) {
            if (delta < 0) {
                return -EIO;    /* freeing a cluster that has no count */
            }
            ret = create_refblocks(bs, c >> s->refblock_bits,
                                   c >> s->refblock_bits);
            if (ret < 0) {
                return ret;
            }
            ret = refblock_offset(bs, c, &blk_off);
            if (ret < 0) {
                return ret;
            }
            if (!blk_off) {
                return -EIO;    /* never loop on a table we cannot fix */
            }
        }
        ret = qcow2_cache_get(bs, &s->refblock_cache, blk_off, &blk);
        if (ret < 0) {
            return ret;
        }
        value = refblock_get(s, blk, c & mask);
        if ((delta < 0 && value < (uint64_t)-delta) ||
            (delta > 0 && value > s->refcount_max - delta)) {
            return -ERANGE;
        }
        value += delta;
        qcow2_refblock_set(s, blk, c & mask, value, &start, &n);
        ret = qcow2_cache_write(bs, &s->refblock_cache, blk_off, start, n);
        if (ret < 0) {
            return ret;
        }
        if (value == 0) {
            s->free_cluster_index = MIN(s->free_cluster_index, c);
            qcow2_cache_forget(&s->l2_cache, c << s->cluster_bits);
            qcow2_cache_forget(&s->refblock_cache, c << s->cluster_bits);
        }
    }
    return 0;
}

/*
 * First cluster >= @start that begins a run of @n free clusters, and in
 * *@first_free the first free cluster seen on the way.
 */
static int find_free_run(BlockDriverState *bs, uint64_t start, uint64_t n,
                         uint64_t *found, uint64_t *first_free)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t file_len = bdrv_getlength(bs->file->bs);
    uint64_t c = start, run = 0, limit;

    if (file_len < 0) {
        return file_len;
    }
    /*
     * Every cluster past the end of the file is free in a sane image:
     * a run must start by then, or the refcounts are lying.
     */
    limit = qcow2_size_to_clusters(s, file_len) + 1;
    *first_free = UINT64_MAX;
    while (run < n) {
        uint64_t rc;
        int ret = qcow2_get_refcount(bs, c, &rc);

        if (ret < 0) {
            return ret;
        }
        if (rc) {
            run = 0;
            start = c + 1;
        } else {
            *first_free = MIN(*first_free, c);
            run++;
        }
        c++;
        if (c > (QCOW2_OFFSET_MASK >> s->cluster_bits)) {
            return -EFBIG;
        }
        if (start > limit) {
            error_report("qcow2: refcounts claim clusters past the end of "
                         "the image; repair it with 'qemu-img check -r "
                         "all'");
            return -EIO;
        }
    }
    *found = start;
    return 0;
}

int64_t qcow2_alloc_clusters(BlockDriverState *bs, uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t n = qcow2_size_to_clusters(s, size);
    uint64_t start = 0, first_free = 0, c;
    int ret;

    assert(n > 0);
retry:
    ret = find_free_run(bs, s->free_cluster_index, n, &start, &first_free);
    if (ret < 0) {
        return ret;
    }
    /* Counting the run may need new refcount blocks; they may land in it. */
    for (c = start; c < start + n; c++) {
        uint64_t blk_off;

        ret = refblock_offset(bs, c, &blk_off);
        if (ret < 0) {
            return ret;
        }
        if (!blk_off) {
            /*
             * At once, every range the run can reach: it may start after
             * the new blocks, at the start of the range of @c.
             */
            uint64_t first = c >> s->refblock_bits;
            uint64_t reach = (first << s->refblock_bits) + n +
                             (n >> s->refblock_bits) + 2;

            ret = create_refblocks(bs, first, reach >> s->refblock_bits);
            if (ret < 0) {
                return ret;
            }
            /* It gave @c's range a block, or the next try would loop. */
            ret = refblock_offset(bs, c, &blk_off);
            if (ret < 0) {
                return ret;
            }
            if (!blk_off) {
                return -EIO;
            }
            goto retry;
        }
    }
    ret = qcow2_check_metadata_overlap(bs, start << s->cluster_bits,
                                       n << s->cluster_bits);
    if (ret < 0) {
        return ret;     /* the refcounts say free what is in use */
    }
    ret = qcow2_update_refcount(bs, start << s->cluster_bits,
                                n << s->cluster_bits, 1);
    if (ret < 0) {
        return ret;
    }
    s->free_cluster_index = first_free == start ? start + n : first_free;
    return start << s->cluster_bits;
}

void qcow2_free_clusters(BlockDriverState *bs, uint64_t offset, uint64_t len)
{
    int ret = qcow2_update_refcount(bs, offset, len, -1);

    if (ret < 0) {
        /* The clusters stay allocated: a leak, which check can repair. */
        warn_report("qcow2_free_clusters failed: %s", strerror(-ret));
    }
}
