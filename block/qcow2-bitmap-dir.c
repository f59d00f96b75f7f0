/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qcow2: the bitmap directory, bitmap tables and the extension. */

/*
 * Bitmaps extension (24 bytes): u32 nb_bitmaps, u32 reserved (0),
 * u64 directory size, u64 directory offset (cluster aligned).
 *
 * Directory entry: u64 table offset, u32 table size (entries),
 * u32 flags (IN_USE, AUTO, EXTRA_DATA_COMPATIBLE), u8 type (1),
 * u8 granularity bits, u16 name size, u32 extra data size, then the extra
 * data, the name (no NUL) and zero padding to 8 bytes.
 *
 * Table entry: host offset of one cluster of bitmap data (bits 9..55), or
 * 0 for a cluster that reads as zeroes (bit 0 clear) or ones (bit 0 set).
 * Bitmap data is the bitmap's bits, least significant bit first.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qapi/error.h"
#include "qapi/qapi-types-block-core.h"
#include "qapi/util.h"
#include "qcow2.h"

#define DIR_ENTRY_HEADER 24

void qcow2_bitmap_free(gpointer p)
{
    Qcow2Bitmap *bm = p;

    g_free(bm->extra_data);
    g_free(bm->name);
    g_free(bm);
}

uint64_t qcow2_bitmap_entry_size(uint64_t extra, uint64_t name_size)
{
    return ROUND_UP(DIR_ENTRY_HEADER + extra + name_size, 8);
}

bool qcow2_parse_bitmaps_ext(BlockDriverState *bs, const uint8_t *data,
                             uint32_t len, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;

    if (len != 24) {
        error_setg(errp, "bitmaps_ext: Invalid extension length");
        return false;
    }
    s->nb_bitmaps = ldl_be_p(data);
    s->bitmap_directory_size = ldq_be_p(data + 8);
    s->bitmap_directory_offset = ldq_be_p(data + 16);
    if (s->nb_bitmaps == 0) {
        error_setg(errp, "found bitmaps extension with zero bitmaps");
        return false;
    }
    if (s->nb_bitmaps > QCOW2_MAX_BITMAPS) {
        error_setg(errp, "bitmaps_ext: Image has %" PRIu32 " bitmaps, "
                   "exceeding the QEMU supported maximum of %d",
                   s->nb_bitmaps, QCOW2_MAX_BITMAPS);
        return false;
    }
    if (ldl_be_p(data + 4) != 0) {
        error_setg(errp, "bitmaps_ext: Reserved field is not zero");
        return false;
    }
    if (s->bitmap_directory_size > QCOW2_MAX_BITMAP_DIR) {
        error_setg(errp, "bitmaps_ext: bitmap directory size (%" PRIu64
                   ") exceeds the maximum supported size (%d)",
                   s->bitmap_directory_size, QCOW2_MAX_BITMAP_DIR);
        return false;
    }
    if (s->bitmap_directory_size == 0) {
        error_setg(errp, "Requested bitmap directory size is zero");
        return false;
    }
    if (!qcow2_range_in_file(bs, s->bitmap_directory_offset,
                             s->bitmap_directory_size)) {
        error_setg(errp, "bitmaps_ext: invalid bitmap directory offset");
        return false;
    }
    s->has_bitmaps = true;
    return true;
}

void qcow2_format_bitmaps_ext(BDRVQcow2State *s, uint8_t *data)
{
    stl_be_p(data, s->nb_bitmaps);
    stl_be_p(data + 4, 0);
    stq_be_p(data + 8, s->bitmap_directory_size);
    stq_be_p(data + 16, s->bitmap_directory_offset);
}

/* Entries of the bitmap table a bitmap of this granularity needs. */
uint64_t qcow2_bitmap_table_size(BDRVQcow2State *s, uint64_t disk_size,
                                 uint32_t granularity)
{
    uint64_t bits = DIV_ROUND_UP(disk_size, granularity);

    return DIV_ROUND_UP(bits, (uint64_t)s->cluster_size * 8);
}

/* Values QEMU refuses to load ("constraints"). */
static bool bitmap_entry_ok(BlockDriverState *bs, const Qcow2Bitmap *bm)
{
    BDRVQcow2State *s = bs->opaque;

    return bm->type == QCOW2_BME_TYPE_DIRTY &&
           bm->granularity_bits >= QCOW2_BME_MIN_GRAN_BITS &&
           bm->granularity_bits <= QCOW2_BME_MAX_GRAN_BITS &&
           !(bm->flags & QCOW2_BME_RESERVED_FLAGS) &&
           (!bm->extra_data_size ||
            (bm->flags & QCOW2_BME_FLAG_EXTRA_COMPAT)) &&
           bm->table_size > 0 &&
           bm->table_size <= QCOW2_BME_MAX_TABLE_SIZE &&
           (uint64_t)bm->table_size * s->cluster_size <=
               QCOW2_BME_MAX_PHYS_SIZE &&
           qcow2_range_in_file(bs, bm->table_offset,
                               (uint64_t)bm->table_size * 8);
}

bool qcow2_read_bitmap_list(BlockDriverState *bs, GPtrArray **list,
                            Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    g_autoptr(GPtrArray) bms = g_ptr_array_new_with_free_func(
        qcow2_bitmap_free);
    g_autofree uint8_t *dir = NULL;
    uint64_t size = s->bitmap_directory_size, pos = 0;
    guint i;
    int ret;

    *list = NULL;
    if (!s->has_bitmaps) {
        *list = g_steal_pointer(&bms);
        return true;
    }
    dir = g_malloc(size);
    ret = bdrv_pread(bs->file, s->bitmap_directory_offset, size, dir, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to read bitmap directory");
        return false;
    }
    while (pos < size) {
        const uint8_t *e = dir + pos;
        Qcow2Bitmap *bm;
        uint64_t esize;
        uint32_t name_size;

        if (size - pos < DIR_ENTRY_HEADER) {
            error_setg(errp, "Broken bitmap directory");
            return false;
        }
        name_size = lduw_be_p(e + 18);
        esize = qcow2_bitmap_entry_size((uint32_t)ldl_be_p(e + 20), name_size);
        /* a NUL in a name would not survive a rewrite of the directory */
        if (name_size == 0 || name_size > QCOW2_BME_MAX_NAME_SIZE ||
            esize > size - pos ||
            memchr(e + DIR_ENTRY_HEADER + (uint32_t)ldl_be_p(e + 20), 0,
                   name_size)) {
            error_setg(errp, "Broken bitmap directory");
            return false;
        }
        bm = g_new0(Qcow2Bitmap, 1);
        bm->table_offset = ldq_be_p(e);
        bm->table_size = ldl_be_p(e + 8);
        bm->flags = ldl_be_p(e + 12);
        bm->type = e[16];
        bm->granularity_bits = e[17];
        bm->extra_data_size = ldl_be_p(e + 20);
        bm->extra_data = g_memdup(e + DIR_ENTRY_HEADER,
                                   bm->extra_data_size);
        bm->name = g_strndup((const char *)e + DIR_ENTRY_HEADER +
                             bm->extra_data_size, name_size);
        g_ptr_array_add(bms, bm);
        pos += esize;
    }
    if (bms->len < s->nb_bitmaps) {
        error_setg(errp, "Less bitmaps found than specified in header "
                   "extension");
        return false;
    }
    if (bms->len > s->nb_bitmaps) {
        error_setg(errp, "More bitmaps found than specified in header "
                   "extension");
        return false;
    }
    for (i = 0; i < bms->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(bms, i);

        if (!bitmap_entry_ok(bs, bm)) {
            error_setg(errp, "Bitmap '%s' doesn't satisfy the constraints",
                       bm->name);
            return false;
        }
    }
    *list = g_steal_pointer(&bms);
    return true;
}

Qcow2Bitmap *qcow2_find_bitmap(GPtrArray *list, const char *name)
{
    guint i;

    for (i = 0; i < list->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(list, i);

        if (!strcmp(bm->name, name)) {
            return bm;
        }
    }
    return NULL;
}

/* Serialise a directory; its size goes to *@size. */
uint8_t *qcow2_format_bitmap_dir(GPtrArray *list, uint64_t *size)
{
    uint64_t total = 0, pos = 0;
    uint8_t *dir;
    guint i;

    for (i = 0; i < list->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(list, i);

        total += qcow2_bitmap_entry_size(bm->extra_data_size, strlen(bm->name));
    }
    dir = g_malloc0(MAX(total, 1));
    for (i = 0; i < list->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(list, i);
        size_t name_size = strlen(bm->name);
        uint8_t *e = dir + pos;

        stq_be_p(e, bm->table_offset);
        stl_be_p(e + 8, bm->table_size);
        stl_be_p(e + 12, bm->flags);
        e[16] = bm->type;
        e[17] = bm->granularity_bits;
        stw_be_p(e + 18, name_size);
        stl_be_p(e + 20, bm->extra_data_size);
        if (bm->extra_data_size) {
            memcpy(e + DIR_ENTRY_HEADER, bm->extra_data,
                   bm->extra_data_size);
        }
        memcpy(e + DIR_ENTRY_HEADER + bm->extra_data_size, bm->name,
               name_size);
        pos += qcow2_bitmap_entry_size(bm->extra_data_size, name_size);
    }
    *size = total;
    return dir;
}

/* Read a bitmap table and check its entries. */
int qcow2_read_bitmap_table(BlockDriverState *bs, const Qcow2Bitmap *bm,
                            uint64_t **table)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t *t = g_new(uint64_t, bm->table_size);
    uint32_t i;
    int ret;

    ret = bdrv_pread(bs->file, bm->table_offset,
                     (uint64_t)bm->table_size * 8, t, 0);
    if (ret < 0) {
        g_free(t);
        return ret;
    }
    for (i = 0; i < bm->table_size; i++) {
        uint64_t off;

        t[i] = be64_to_cpu(t[i]);
        off = t[i] & QCOW2_OFFSET_MASK;
        if ((t[i] & QCOW2_BMT_RESERVED) ||
            (off && ((t[i] & QCOW2_BMT_ALL_ONES) ||
                     qcow2_offset_into_cluster(s, off)))) {
            g_free(t);
            return -EINVAL;
        }
    }
    *table = t;
    return 0;
}

/* Write the directory @list to new clusters and point the header at it. */
int qcow2_write_bitmap_dir(BlockDriverState *bs, GPtrArray *list)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t size, old_offset = s->bitmap_directory_offset;
    uint64_t old_size = s->bitmap_directory_size;
    bool had = s->has_bitmaps;
    g_autofree uint8_t *dir = qcow2_format_bitmap_dir(list, &size);
    int64_t offset = 0;
    int ret;

    if (size > QCOW2_MAX_BITMAP_DIR || list->len > QCOW2_MAX_BITMAPS) {
        return -EFBIG;
    }
    if (list->len) {
        offset = qcow2_alloc_clusters(bs, size);
        if (offset < 0) {
            return offset;
        }
        ret = bdrv_pwrite(bs->file, offset, size, dir, 0);
        if (ret < 0) {
            goto fail;
        }
    }
    ret = bdrv_flush(bs->file->bs);
    if (ret < 0) {
        goto fail;
    }
    s->has_bitmaps = list->len > 0;
    s->nb_bitmaps = list->len;
    s->bitmap_directory_size = size;
    s->bitmap_directory_offset = offset;
    if (s->has_bitmaps) {
        s->autoclear |= QCOW2_AUTOCLEAR_BITMAPS;
    } else {
        s->autoclear &= ~QCOW2_AUTOCLEAR_BITMAPS;
    }
    ret = qcow2_update_header(bs);
    if (ret < 0) {
        s->has_bitmaps = had;
        s->bitmap_directory_size = old_size;
        s->bitmap_directory_offset = old_offset;
        goto fail;
    }
    ret = bdrv_flush(bs->file->bs);
    if (had) {
        qcow2_free_clusters(bs, old_offset, qcow2_align_up(s, old_size));
    }
    return ret;

fail:
    if (offset > 0) {
        qcow2_free_clusters(bs, offset, qcow2_align_up(s, size));
    }
    return ret;
}

/* Release the clusters of a bitmap's table and data. */
void qcow2_free_bitmap_clusters(BlockDriverState *bs, const Qcow2Bitmap *bm)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *table = NULL;
    uint32_t i;

    if (qcow2_read_bitmap_table(bs, bm, &table) < 0) {
        return;     /* a broken table: leak its clusters rather than guess */
    }
    for (i = 0; i < bm->table_size; i++) {
        if (table[i] & QCOW2_OFFSET_MASK) {
            qcow2_free_clusters(bs, table[i] & QCOW2_OFFSET_MASK,
                                s->cluster_size);
        }
    }
    qcow2_free_clusters(bs, bm->table_offset,
                        qcow2_align_up(s, (uint64_t)bm->table_size * 8));
}

bool qcow2_get_bitmap_info_list(BlockDriverState *bs, void **info_list,
                                Error **errp)
{
    g_autoptr(GPtrArray) list = NULL;
    Qcow2BitmapInfoList *head = NULL, **tail = &head;
    guint i;

    *info_list = NULL;
    if (!qcow2_read_bitmap_list(bs, &list, errp)) {
        return false;
    }
    for (i = 0; i < list->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(list, i);
        Qcow2BitmapInfo *info = g_new0(Qcow2BitmapInfo, 1);
        Qcow2BitmapInfoFlagsList **ftail = &info->flags;

        info->name = g_strdup(bm->name);
        info->granularity = 1u << bm->granularity_bits;
        if (bm->flags & QCOW2_BME_FLAG_IN_USE) {
            QAPI_LIST_APPEND(ftail, QCOW2_BITMAP_INFO_FLAGS_IN_USE);
        }
        if (bm->flags & QCOW2_BME_FLAG_AUTO) {
            QAPI_LIST_APPEND(ftail, QCOW2_BITMAP_INFO_FLAGS_AUTO);
        }
        QAPI_LIST_APPEND(tail, info);
    }
    *info_list = head;
    return true;
}
