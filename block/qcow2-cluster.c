/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qcow2: guest-to-host mapping through L1/L2 tables, and guest I/O. */

/*
 * Guest requests are split at cluster boundaries. A write to a cluster
 * that is not exclusively ours (unallocated, zero, or shared with a
 * snapshot) gets a new host cluster, filled from the old contents, before
 * the L2 entry is switched to it; the old cluster is released last. An
 * L2 table shared with a snapshot is copied the same way.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"
#include "qcow2.h"

/* ---- table cache ---- */

void qcow2_cache_init(BDRVQcow2State *s, Qcow2Cache *c)
{
    int i;

    memset(c, 0, sizeof(*c));
    for (i = 0; i < QCOW2_CACHE_ENTRIES; i++) {
        c->buf[i] = g_malloc(s->cluster_size);
    }
}

void qcow2_cache_destroy(Qcow2Cache *c)
{
    int i;

    for (i = 0; i < QCOW2_CACHE_ENTRIES; i++) {
        g_free(c->buf[i]);
        c->buf[i] = NULL;
        c->offset[i] = 0;
    }
}

void qcow2_cache_forget(Qcow2Cache *c, uint64_t offset)
{
    int i;

    for (i = 0; i < QCOW2_CACHE_ENTRIES; i++) {
        if (c->offset[i] == offset) {
            c->offset[i] = 0;
        }
    }
}

static int cache_find(Qcow2Cache *c, uint64_t offset)
{
    int i;

    for (i = 0; i < QCOW2_CACHE_ENTRIES; i++) {
        if (c->offset[i] == offset) {
            return i;
        }
    }
    return -1;
}

int qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                    uint8_t **table)
{
    BDRVQcow2State *s = bs->opaque;
    int i, victim = 0, ret;

    if (!offset || qcow2_offset_into_cluster(s, offset)) {
        return -EIO;
    }
    i = cache_find(c, offset);
    if (i < 0) {
        for (i = 1; i < QCOW2_CACHE_ENTRIES; i++) {
            if (c->used[i] < c->used[victim]) {
                victim = i;
            }
        }
        i = victim;
        c->offset[i] = 0;
        ret = bdrv_pread(bs->file, offset, s->cluster_size, c->buf[i], 0);
        if (ret < 0) {
            return ret;
        }
        c->offset[i] = offset;
    }
    c->used[i] = ++c->clock;
    *table = c->buf[i];
    return 0;
}

int qcow2_cache_write(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                      int start, int len)
{
    int i = cache_find(c, offset);
    int ret = qcow2_check_metadata_overlap(bs, offset + start, len);

    assert(i >= 0);
    if (ret < 0) {
        return ret;
    }
    return bdrv_pwrite(bs->file, offset + start, len, c->buf[i] + start, 0);
}

int qcow2_cache_set_entry64(BlockDriverState *bs, Qcow2Cache *c,
                            uint64_t offset, int index, uint64_t value)
{
    uint8_t *table;
    int ret = qcow2_cache_get(bs, c, offset, &table);

    if (ret < 0) {
        return ret;
    }
    stq_be_p(table + index * 8, value);
    return qcow2_cache_write(bs, c, offset, index * 8, 8);
}

/* ---- mapping ---- */

static uint64_t l1_index(BDRVQcow2State *s, uint64_t guest_offset)
{
    return guest_offset >> (s->cluster_bits + s->l2_bits);
}

static int l2_index(BDRVQcow2State *s, uint64_t guest_offset)
{
    return (guest_offset >> s->cluster_bits) & ((1u << s->l2_bits) - 1);
}

/* The raw L2 entry for @guest_offset (0 if it has no L2 table). */
static int get_l2_entry(BlockDriverState *bs, uint64_t guest_offset,
                        uint64_t *entry)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l1i = l1_index(s, guest_offset), l2_offset;
    uint8_t *table;
    int ret;

    *entry = 0;
    if (l1i >= s->l1_entries) {
        return 0;
    }
    l2_offset = s->l1_table[l1i] & QCOW2_OFFSET_MASK;
    if (!l2_offset) {
        return 0;
    }
    ret = qcow2_cache_get(bs, &s->l2_cache, l2_offset, &table);
    if (ret < 0) {
        return ret;
    }
    *entry = ldq_be_p(table + 8 * l2_index(s, guest_offset));
    return 0;
}

static int decode_l2_entry(BDRVQcow2State *s, uint64_t entry,
                           uint64_t *host_offset, Qcow2ClusterType *type)
{
    *host_offset = entry & QCOW2_OFFSET_MASK;
    if (entry & QCOW2_OFLAG_COMPRESSED) {
        *host_offset = 0;
        *type = QCOW2_CLUSTER_COMPRESSED;
        return 0;
    }
    if ((entry & QCOW2_OFLAG_ZERO) && s->version >= 3) {
        *type = *host_offset ? QCOW2_CLUSTER_ZERO_ALLOC
                             : QCOW2_CLUSTER_ZERO_PLAIN;
    } else {
        *type = *host_offset ? QCOW2_CLUSTER_NORMAL
                             : QCOW2_CLUSTER_UNALLOCATED;
    }
    if (qcow2_offset_into_cluster(s, *host_offset)) {
        return -EIO;
    }
    return 0;
}

int qcow2_get_cluster(BlockDriverState *bs, uint64_t guest_offset,
                      uint64_t *host_offset, Qcow2ClusterType *type)
{
    uint64_t entry;
    int ret = get_l2_entry(bs, guest_offset, &entry);

    if (ret < 0) {
        return ret;
    }
    return decode_l2_entry(bs->opaque, entry, host_offset, type);
}

static int write_l1_entry(BlockDriverState *bs, uint64_t l1i)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t buf[8];

    stq_be_p(buf, s->l1_table[l1i]);
    return bdrv_pwrite(bs->file, s->l1_table_offset + 8 * l1i, 8, buf, 0);
}

/* Make the L2 table for @guest_offset exist and be ours alone. */
static int get_writable_l2(BlockDriverState *bs, uint64_t guest_offset,
                           uint64_t *l2_offset)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l1i = l1_index(s, guest_offset);
    uint64_t old, old_offset, rc = 0;
    g_autofree uint8_t *copy = NULL;
    int64_t new_offset;
    uint8_t *table;
    int ret;

    if (l1i >= s->l1_entries) {
        return -EIO;
    }
    old = s->l1_table[l1i];
    old_offset = old & QCOW2_OFFSET_MASK;
    if (old_offset && qcow2_offset_into_cluster(s, old_offset)) {
        return -EIO;
    }
    if (old_offset && (old & QCOW2_OFLAG_COPIED)) {
        *l2_offset = old_offset;
        return 0;
    }
    if (old_offset) {
        ret = qcow2_get_refcount(bs, old_offset >> s->cluster_bits, &rc);
        if (ret < 0) {
            return ret;
        }
    }
    if (rc == 1) {
        s->l1_table[l1i] = old_offset | QCOW2_OFLAG_COPIED;
        *l2_offset = old_offset;
        return write_l1_entry(bs, l1i);
    }

    copy = g_malloc0(s->cluster_size);
    if (old_offset) {
        ret = qcow2_cache_get(bs, &s->l2_cache, old_offset, &table);
        if (ret < 0) {
            return ret;
        }
        memcpy(copy, table, s->cluster_size);
    }
    new_offset = qcow2_alloc_clusters(bs, s->cluster_size);
    if (new_offset < 0) {
        return new_offset;
    }
    qcow2_cache_forget(&s->l2_cache, new_offset);
    ret = bdrv_pwrite(bs->file, new_offset, s->cluster_size, copy, 0);
    if (ret < 0) {
        qcow2_free_clusters(bs, new_offset, s->cluster_size);
        return ret;
    }
    s->l1_table[l1i] = new_offset | QCOW2_OFLAG_COPIED;
    ret = write_l1_entry(bs, l1i);
    if (ret < 0) {
        s->l1_table[l1i] = old;
        qcow2_free_clusters(bs, new_offset, s->cluster_size);
        return ret;
    }
    if (old_offset) {
        qcow2_free_clusters(bs, old_offset, s->cluster_size);
    }
    *l2_offset = new_offset;
    return 0;
}

static int set_l2_entry(BlockDriverState *bs, uint64_t l2_offset,
                        uint64_t guest_offset, uint64_t entry)
{
    BDRVQcow2State *s = bs->opaque;

    return qcow2_cache_set_entry64(bs, &s->l2_cache, l2_offset,
                                   l2_index(s, guest_offset), entry);
}

/* Release the host cluster an L2 entry held, if it held one. */
static void release_entry_cluster(BlockDriverState *bs, uint64_t entry,
                                  bool pass_discard)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t host = entry & QCOW2_OFFSET_MASK, rc, len;

    if (entry & QCOW2_OFLAG_COMPRESSED) {
        /* one reference on each cluster its sectors touch */
        qcow2_compressed_range(s, entry, &host, &len);
        qcow2_free_clusters(bs, QEMU_ALIGN_DOWN(host, s->cluster_size),
                            qcow2_offset_into_cluster(s, host) + len);
        return;
    }
    if (!host) {
        return;
    }
    qcow2_free_clusters(bs, host, s->cluster_size);
    if (pass_discard && qcow2_get_refcount(bs, host >> s->cluster_bits,
                                           &rc) == 0 && rc == 0) {
        bdrv_pdiscard(bs->file, host, s->cluster_size);
    }
}

/* ---- guest I/O ---- */

/* Read the guest view of [offset, offset + bytes) within one cluster. */
static int read_cluster_part(BlockDriverState *bs, uint64_t offset,
                             uint64_t bytes, uint8_t *buf)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2ClusterType type;
    uint64_t host;
    int ret = qcow2_get_cluster(bs, offset, &host, &type);

    if (ret < 0) {
        return ret;
    }
    switch (type) {
    case QCOW2_CLUSTER_UNALLOCATED:
        if (bs->backing) {
            return bdrv_pread(bs->backing, offset, bytes, buf, 0);
        }
        /* fall through */
    case QCOW2_CLUSTER_ZERO_PLAIN:
    case QCOW2_CLUSTER_ZERO_ALLOC:
        memset(buf, 0, bytes);
        return 0;
    case QCOW2_CLUSTER_NORMAL:
        return bdrv_pread(bs->file, host + qcow2_offset_into_cluster(s,
                                                                     offset),
                          bytes, buf, 0);
    default: {
        g_autofree uint8_t *cluster = g_malloc(s->cluster_size);
        uint64_t entry;

        ret = get_l2_entry(bs, offset, &entry);
        if (ret >= 0) {
            ret = qcow2_read_compressed(bs, entry, cluster);
        }
        if (ret >= 0) {
            memcpy(buf, cluster + qcow2_offset_into_cluster(s, offset),
                   bytes);
        }
        return ret;
    }
    }
}

int qcow2_co_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                    void *buf)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t *p = buf;

    while (bytes > 0) {
        uint64_t n = MIN((uint64_t)bytes, s->cluster_size -
                         qcow2_offset_into_cluster(s, offset));
        int ret = read_cluster_part(bs, offset, n, p);

        if (ret < 0) {
            return ret;
        }
        offset += n;
        bytes -= n;
        p += n;
    }
    return 0;
}

/*
 * Write @bytes of @buf (NULL: zeroes) at @offset within one cluster,
 * allocating a host cluster when the current one is not ours alone.
 */
static int write_cluster_part(BlockDriverState *bs, uint64_t offset,
                              uint64_t bytes, const uint8_t *buf)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t in_cluster = qcow2_offset_into_cluster(s, offset);
    uint64_t cluster_start = offset - in_cluster;
    uint64_t entry, host, l2_offset, rc;
    g_autofree uint8_t *data = NULL;
    Qcow2ClusterType type;
    int64_t new_host;
    int ret;

    ret = get_l2_entry(bs, offset, &entry);
    if (ret < 0) {
        return ret;
    }
    ret = decode_l2_entry(s, entry, &host, &type);
    if (ret < 0) {
        return ret;
    }
    if (type == QCOW2_CLUSTER_NORMAL && !(entry & QCOW2_OFLAG_COPIED)) {
        ret = qcow2_get_refcount(bs, host >> s->cluster_bits, &rc);
        if (ret < 0) {
            return ret;
        }
        if (rc == 1) {
            ret = get_writable_l2(bs, offset, &l2_offset);
            if (ret < 0) {
                return ret;
            }
            entry |= QCOW2_OFLAG_COPIED;
            ret = set_l2_entry(bs, l2_offset, offset, entry);
            if (ret < 0) {
                return ret;
            }
        }
    }
    if (type == QCOW2_CLUSTER_NORMAL && (entry & QCOW2_OFLAG_COPIED)) {
        ret = qcow2_check_metadata_overlap(bs, host, s->cluster_size);
        if (ret < 0) {
            return ret;
        }
        if (!buf) {
            data = g_malloc0(bytes);
        }
        return bdrv_pwrite(bs->file, host + in_cluster, bytes,
                           buf ?: data, 0);
    }

    /* A whole new cluster: the old guest view, then the new bytes. */
    data = g_malloc0(s->cluster_size);
    if (bytes < s->cluster_size && type != QCOW2_CLUSTER_ZERO_ALLOC &&
        type != QCOW2_CLUSTER_ZERO_PLAIN) {
        ret = read_cluster_part(bs, cluster_start, s->cluster_size, data);
        if (ret < 0) {
            return ret;
        }
    }
    if (buf) {
        memcpy(data + in_cluster, buf, bytes);
    } else {
        memset(data + in_cluster, 0, bytes);
    }
    ret = get_writable_l2(bs, offset, &l2_offset);
    if (ret < 0) {
        return ret;
    }
    if (type == QCOW2_CLUSTER_ZERO_ALLOC && (entry & QCOW2_OFLAG_COPIED)) {
        new_host = host;        /* preallocated and ours: reuse it */
        ret = qcow2_check_metadata_overlap(bs, host, s->cluster_size);
        if (ret < 0) {
            return ret;
        }
    } else {
        new_host = qcow2_alloc_clusters(bs, s->cluster_size);
        if (new_host < 0) {
            return new_host;
        }
    }
    ret = bdrv_pwrite(bs->file, new_host, s->cluster_size, data, 0);
    if (ret >= 0) {
        ret = set_l2_entry(bs, l2_offset, offset,
                           new_host | QCOW2_OFLAG_COPIED);
    }
    if (ret < 0) {
        if ((uint64_t)new_host != host) {
            qcow2_free_clusters(bs, new_host, s->cluster_size);
        }
        return ret;
    }
    if ((uint64_t)new_host != host) {
        release_entry_cluster(bs, entry, false);
    }
    return 0;
}

/* Split [offset, offset + bytes) at cluster boundaries and write each. */
static int write_clusters(BlockDriverState *bs, int64_t offset,
                          int64_t bytes, const uint8_t *buf,
                          int (*fn)(BlockDriverState *bs, uint64_t offset,
                                    uint64_t bytes, const uint8_t *buf,
                                    BdrvRequestFlags flags),
                          BdrvRequestFlags flags)
{
    BDRVQcow2State *s = bs->opaque;

    while (bytes > 0) {
        uint64_t n = MIN((uint64_t)bytes, s->cluster_size -
                         qcow2_offset_into_cluster(s, offset));
        int ret = fn(bs, offset, n, buf, flags);

        if (ret < 0) {
            return ret;
        }
        offset += n;
        bytes -= n;
        if (buf) {
            buf += n;
        }
    }
    return 0;
}

static int write_data_fn(BlockDriverState *bs, uint64_t offset,
                         uint64_t bytes, const uint8_t *buf,
                         BdrvRequestFlags flags)
{
    return write_cluster_part(bs, offset, bytes, buf);
}

int qcow2_co_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                     const void *buf)
{
    return write_clusters(bs, offset, bytes, buf, write_data_fn, 0);
}

/*
 * Replace the L2 entry of a whole cluster by @new_entry (a zero or an
 * unallocated entry), releasing the host cluster it held.
 */
static int replace_entry(BlockDriverState *bs, uint64_t offset,
                         uint64_t new_entry, bool pass_discard)
{
    uint64_t entry, l2_offset;
    int ret = get_l2_entry(bs, offset, &entry);

    if (ret < 0 || entry == new_entry) {
        return ret;
    }
    ret = get_writable_l2(bs, offset, &l2_offset);
    if (ret < 0) {
        return ret;
    }
    ret = set_l2_entry(bs, l2_offset, offset, new_entry);
    if (ret < 0) {
        return ret;
    }
    if ((entry & QCOW2_OFFSET_MASK) != (new_entry & QCOW2_OFFSET_MASK)) {
        release_entry_cluster(bs, entry, pass_discard);
    }
    return 0;
}

static int zero_cluster_fn(BlockDriverState *bs, uint64_t offset,
                           uint64_t bytes, const uint8_t *buf,
                           BdrvRequestFlags flags)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2ClusterType type;
    uint64_t entry, host;
    int ret = get_l2_entry(bs, offset, &entry);

    if (ret < 0) {
        return ret;
    }
    ret = decode_l2_entry(s, entry, &host, &type);
    if (ret < 0) {
        return ret;
    }
    /* Already reads as zeroes? */
    if (type == QCOW2_CLUSTER_ZERO_PLAIN ||
        (type == QCOW2_CLUSTER_ZERO_ALLOC &&
         (bytes < s->cluster_size || !(flags & BDRV_REQ_MAY_UNMAP))) ||
        (type == QCOW2_CLUSTER_UNALLOCATED && !bs->backing &&
         (bytes < s->cluster_size || s->version < 3))) {
        return 0;
    }
    if (bytes < s->cluster_size) {
        return write_cluster_part(bs, offset, bytes, NULL);
    }
    if (s->version < 3) {
        if (bs->backing) {
            return write_cluster_part(bs, offset, bytes, NULL);
        }
        return replace_entry(bs, offset, 0, false);
    }
    if (!(flags & BDRV_REQ_MAY_UNMAP) && host &&
        type != QCOW2_CLUSTER_COMPRESSED && (entry & QCOW2_OFLAG_COPIED)) {
        /* keep the allocation, as a preallocated zero cluster */
        return replace_entry(bs, offset, host | QCOW2_OFLAG_ZERO |
                             QCOW2_OFLAG_COPIED, false);
    }
    return replace_entry(bs, offset, QCOW2_OFLAG_ZERO, false);
}

int qcow2_co_pwrite_zeroes(BlockDriverState *bs, int64_t offset,
                           int64_t bytes, BdrvRequestFlags flags)
{
    return write_clusters(bs, offset, bytes, NULL, zero_cluster_fn, flags);
}

static int discard_cluster_fn(BlockDriverState *bs, uint64_t offset,
                              uint64_t bytes, const uint8_t *buf,
                              BdrvRequestFlags flags)
{
    BDRVQcow2State *s = bs->opaque;

    if (bytes < s->cluster_size) {
        return 0;               /* only whole clusters are discarded */
    }
    /* With a backing file, a zero entry keeps its data from showing. */
    return replace_entry(bs, offset, s->version >= 3 && bs->backing ?
                         QCOW2_OFLAG_ZERO : 0, true);
}

int qcow2_co_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    return write_clusters(bs, offset, bytes, NULL, discard_cluster_fn, 0);
}

/* ---- shrinking ---- */

/*
 * Drop the L2 table of L1 entry @l1i and every cluster it maps (only our
 * reference, if a snapshot shares the table): unlinked first, then freed.
 */
static int drop_l2_table(BlockDriverState *bs, uint64_t l1i)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t old = s->l1_table[l1i], l2_offset = old & QCOW2_OFFSET_MASK;
    g_autofree uint8_t *copy = NULL;
    uint64_t rc = 0, i;
    uint8_t *table;
    int ret;

    if (!l2_offset) {
        return 0;
    }
    if (qcow2_offset_into_cluster(s, l2_offset) ||
        !qcow2_range_in_file(bs, l2_offset, s->cluster_size)) {
        return -EIO;
    }
    /* a hostile L1 entry must not make us free the image's metadata */
    ret = qcow2_check_metadata_overlap(bs, l2_offset, s->cluster_size);
    if (ret < 0) {
        return ret;
    }
    ret = qcow2_get_refcount(bs, l2_offset >> s->cluster_bits, &rc);
    if (ret < 0) {
        return ret;
    }
    if (rc == 1) {
        ret = qcow2_cache_get(bs, &s->l2_cache, l2_offset, &table);
        if (ret < 0) {
            return ret;
        }
        copy = g_memdup(table, s->cluster_size);
    }
    s->l1_table[l1i] = 0;
    ret = write_l1_entry(bs, l1i);
    if (ret < 0) {
        s->l1_table[l1i] = old;
        return ret;
    }
    for (i = 0; copy && i < (1ull << s->l2_bits); i++) {
        release_entry_cluster(bs, ldq_be_p(copy + 8 * i), true);
    }
    qcow2_free_clusters(bs, l2_offset, s->cluster_size);
    return 0;
}

int qcow2_unmap_from(BlockDriverState *bs, uint64_t start)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t per_l2 = (uint64_t)s->cluster_size << s->l2_bits;
    uint64_t end = QEMU_ALIGN_UP(start, per_l2), off, l1i;
    int ret;

    assert(!qcow2_offset_into_cluster(s, start));
    /* the clusters past @start in the L2 table that maps it */
    for (off = start; off < end && l1_index(s, off) < s->l1_entries;
         off += s->cluster_size) {
        ret = replace_entry(bs, off, 0, true);
        if (ret < 0) {
            return ret;
        }
    }
    for (l1i = end / per_l2; l1i < s->l1_entries; l1i++) {
        ret = drop_l2_table(bs, l1i);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}
