/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qcow2: persistent dirty bitmaps: load, store, remove, checks. */

/*
 * The format is described in qcow2-bitmap-dir.c.
 *
 * Life cycle, as QEMU 7.2: a writable open loads every bitmap and marks
 * it IN_USE in the image; store (close, inactivation) writes the
 * persistent ones back with IN_USE clear, on new clusters, switches the
 * header to a new directory and only then frees the old clusters. An
 * entry found IN_USE at open was not stored by its last user: it loads
 * as an inconsistent bitmap with no data.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/host-utils.h"
#include "qapi/error.h"
#include "qcow2.h"

/* Fill @bitmap from the image (the entry was checked already). */
static int load_bitmap_data(BlockDriverState *bs, const Qcow2Bitmap *bm,
                            BdrvDirtyBitmap *bitmap, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t disk_size = bdrv_dirty_bitmap_size(bitmap);
    uint64_t gran = 1ull << bm->granularity_bits;
    uint64_t chunk = (uint64_t)s->cluster_size * 8 * gran;
    g_autofree uint64_t *table = NULL;
    g_autofree uint8_t *buf = NULL;
    uint32_t i;
    int ret;

    if (bm->table_size != qcow2_bitmap_table_size(s, disk_size, gran)) {
        error_setg_errno(errp, EINVAL, "Could not read bitmap '%s' from "
                         "image", bm->name);
        return -EINVAL;
    }
    ret = qcow2_read_bitmap_table(bs, bm, &table);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read bitmap_table table "
                         "from image for bitmap '%s'", bm->name);
        return ret;
    }
    buf = g_malloc(s->cluster_size);
    for (i = 0; i < bm->table_size; i++) {
        uint64_t start = i * chunk;
        uint64_t len = MIN(chunk, disk_size - start);
        uint64_t off = table[i] & QCOW2_OFFSET_MASK;
        uint64_t nbits = DIV_ROUND_UP(len, gran);

        if (!off) {
            if (table[i] & QCOW2_BMT_ALL_ONES) {
                bdrv_dirty_bitmap_deserialize_ones(bitmap, start, len,
                                                   false);
            } else {
                bdrv_dirty_bitmap_deserialize_zeroes(bitmap, start, len,
                                                     false);
            }
            continue;
        }
        ret = bdrv_pread(bs->file, off, s->cluster_size, buf, 0);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not read bitmap '%s' from "
                             "image", bm->name);
            return ret;
        }
        /* Bits past the end of the disk must not reach the bitmap. */
        if (nbits % 8) {
            buf[nbits / 8] &= (1u << (nbits % 8)) - 1;
        }
        memset(buf + DIV_ROUND_UP(nbits, 8), 0,
               s->cluster_size - DIV_ROUND_UP(nbits, 8));
        bdrv_dirty_bitmap_deserialize_part(bitmap, buf, start, len, false);
    }
    bdrv_dirty_bitmap_deserialize_finish(bitmap);
    return 0;
}

/*
 * Write the directory @list, read from the image and changed only in its
 * flags, over the one in the image: same size, same place, one write.
 */
static bool rewrite_flags(BlockDriverState *bs, GPtrArray *list,
                          Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t size;
    g_autofree uint8_t *dir = qcow2_format_bitmap_dir(list, &size);
    int ret;

    /* the entries were read from there: same names, same sizes */
    assert(size == s->bitmap_directory_size);
    ret = qcow2_clear_unknown_autoclear(bs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not update qcow2 header");
        return false;
    }
    ret = bdrv_pwrite(bs->file, s->bitmap_directory_offset, size, dir, 0);
    if (ret >= 0) {
        ret = bdrv_flush(bs->file->bs);
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Can't update bitmap directory");
        return false;
    }
    return true;
}

/*
 * Read the image's directory into @list and call @fn on each entry with
 * the bitmap of its name in memory, or NULL; stop at the first false.
 */
static bool for_each_entry(BlockDriverState *bs, GPtrArray **list,
                           bool (*fn)(Qcow2Bitmap *bm,
                                      BdrvDirtyBitmap *bitmap,
                                      void *opaque, Error **errp),
                           void *opaque, Error **errp)
{
    guint i;

    if (!qcow2_read_bitmap_list(bs, list, errp)) {
        return false;
    }
    for (i = 0; i < (*list)->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(*list, i);

        if (!fn(bm, bdrv_find_dirty_bitmap(bs, bm->name), opaque, errp)) {
            return false;
        }
    }
    return true;
}

static bool mark_entry(Qcow2Bitmap *bm, BdrvDirtyBitmap *bitmap,
                       void *opaque, Error **errp)
{
    bool *mark = opaque;

    if (!(bm->flags & QCOW2_BME_FLAG_IN_USE) && bitmap &&
        bdrv_dirty_bitmap_get_persistence(bitmap) &&
        !bdrv_dirty_bitmap_inconsistent(bitmap)) {
        bm->flags |= QCOW2_BME_FLAG_IN_USE;
        *mark = true;
    }
    return true;
}

bool qcow2_mark_bitmaps_in_use(BlockDriverState *bs, Error **errp)
{
    g_autoptr(GPtrArray) list = NULL;
    bool mark = false;

    if (!for_each_entry(bs, &list, mark_entry, &mark, errp)) {
        return false;
    }
    return !mark || rewrite_flags(bs, list, errp);
}

void qcow2_unload_dirty_bitmaps(GPtrArray *loaded)
{
    guint i;

    for (i = 0; loaded && i < loaded->len; i++) {
        bdrv_release_dirty_bitmap(g_ptr_array_index(loaded, i));
    }
}

bool qcow2_load_dirty_bitmaps(BlockDriverState *bs, GPtrArray **loaded,
                              Error **errp)
{
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(GPtrArray) created = g_ptr_array_new();
    bool writable = (bs->open_flags & BDRV_O_RDWR) &&
                    !(bs->open_flags & BDRV_O_INACTIVE);
    guint i;

    if (!qcow2_read_bitmap_list(bs, &list, errp)) {
        return false;
    }
    for (i = 0; i < list->len; i++) {
        Qcow2Bitmap *bm = g_ptr_array_index(list, i);
        bool in_use = bm->flags & QCOW2_BME_FLAG_IN_USE;
        BdrvDirtyBitmap *bitmap;

        if (in_use && bdrv_find_dirty_bitmap(bs, bm->name)) {
            continue;           /* the copy in memory (migrated) wins */
        }
        bitmap = bdrv_create_dirty_bitmap(bs, 1u << bm->granularity_bits,
                                          bm->name, errp);
        if (!bitmap) {
            goto fail;
        }
        g_ptr_array_add(created, bitmap);
        bdrv_dirty_bitmap_set_persistence(bitmap, true);
        if (in_use) {
            bdrv_dirty_bitmap_set_inconsistent(bitmap);
            continue;
        }
        if (load_bitmap_data(bs, bm, bitmap, errp) < 0) {
            goto fail;
        }
        if (!(bm->flags & QCOW2_BME_FLAG_AUTO)) {
            bdrv_disable_dirty_bitmap(bitmap);
        }
        if (!writable) {
            bdrv_dirty_bitmap_set_readonly(bitmap, true);
        }
    }
    *loaded = g_steal_pointer(&created);
    return true;

fail:
    qcow2_unload_dirty_bitmaps(created);
    return false;
}

/* Resized in memory, stored at their new size: all must be loaded. */
static bool entry_resizable(Qcow2Bitmap *bm, BdrvDirtyBitmap *bitmap,
                            void *opaque, Error **errp)
{
    if (!bitmap) {
        error_setg(errp, "Cannot resize qcow2 with persistent bitmaps "
                   "that were not loaded into memory");
        return false;
    }
    return bdrv_dirty_bitmap_check(bitmap, BDRV_BITMAP_DEFAULT, errp) == 0;
}

bool qcow2_truncate_bitmaps_check(BlockDriverState *bs, Error **errp)
{
    g_autoptr(GPtrArray) list = NULL;

    return for_each_entry(bs, &list, entry_resizable, NULL, errp);
}

/* Write the bits of @bitmap to new clusters; fills @bm's table fields. */
static int write_bitmap(BlockDriverState *bs, BdrvDirtyBitmap *bitmap,
                        Qcow2Bitmap *bm)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t disk_size = bdrv_dirty_bitmap_size(bitmap);
    uint64_t gran = bdrv_dirty_bitmap_granularity(bitmap);
    uint64_t chunk = (uint64_t)s->cluster_size * 8 * gran;
    uint64_t tsize = qcow2_bitmap_table_size(s, disk_size, gran);
    g_autofree uint64_t *table = g_new0(uint64_t, MAX(tsize, 1));
    g_autofree uint8_t *buf = g_malloc(s->cluster_size);
    int64_t table_offset = 0;
    uint64_t i;
    int ret = 0;

    for (i = 0; i < tsize; i++) {
        uint64_t start = i * chunk;
        uint64_t len = MIN(chunk, disk_size - start);
        int64_t off;

        if (bdrv_dirty_bitmap_next_dirty(bitmap, start, len) < 0) {
            continue;
        }
        memset(buf, 0, s->cluster_size);
        bdrv_dirty_bitmap_serialize_part(bitmap, buf, start, len);
        off = qcow2_alloc_clusters(bs, s->cluster_size);
        if (off < 0) {
            ret = off;
            goto fail;
        }
        table[i] = cpu_to_be64(off);
        ret = bdrv_pwrite(bs->file, off, s->cluster_size, buf, 0);
        if (ret < 0) {
            goto fail;
        }
    }
    table_offset = qcow2_alloc_clusters(bs, tsize * 8);
    if (table_offset < 0) {
        ret = table_offset;
        goto fail;
    }
    ret = bdrv_pwrite(bs->file, table_offset, tsize * 8, table, 0);
    if (ret < 0) {
        qcow2_free_clusters(bs, table_offset, qcow2_align_up(s, tsize * 8));
        goto fail;
    }
    bm->table_offset = table_offset;
    bm->table_size = tsize;
    bm->type = QCOW2_BME_TYPE_DIRTY;
    bm->granularity_bits = ctz64(gran);
    bm->flags = (bm->flags & QCOW2_BME_FLAG_EXTRA_COMPAT) |
                (bdrv_dirty_bitmap_enabled(bitmap) ? QCOW2_BME_FLAG_AUTO : 0);
    return 0;

fail:
    for (i = 0; i < tsize; i++) {
        if (table[i]) {
            qcow2_free_clusters(bs, be64_to_cpu(table[i]), s->cluster_size);
        }
    }
    return ret;
}

bool qcow2_store_persistent_dirty_bitmaps(BlockDriverState *bs,
                                          bool release_stored, Error **errp)
{
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(GPtrArray) to_store = g_ptr_array_new();
    g_autoptr(GPtrArray) replaced = g_ptr_array_new_with_free_func(
        qcow2_bitmap_free);
    g_autoptr(GPtrArray) written = g_ptr_array_new();
    bool need_write = false;
    BdrvDirtyBitmap *bitmap;
    guint i;
    int ret;

    FOR_EACH_DIRTY_BITMAP(bs, bitmap) {
        if (bdrv_dirty_bitmap_name(bitmap) &&
            bdrv_dirty_bitmap_get_persistence(bitmap) &&
            !bdrv_dirty_bitmap_inconsistent(bitmap)) {
            g_ptr_array_add(to_store, bitmap);
            need_write |= !bdrv_dirty_bitmap_readonly(bitmap);
        }
    }
    if (!to_store->len) {
        return true;
    }
    if (need_write) {
        if (!(bs->open_flags & BDRV_O_RDWR) ||
            (bs->open_flags & BDRV_O_INACTIVE)) {
            error_setg(errp, "No write access");
            return false;
        }
        if (!qcow2_read_bitmap_list(bs, &list, errp)) {
            return false;
        }
        for (i = 0; i < to_store->len; i++) {
            BdrvDirtyBitmap *b = g_ptr_array_index(to_store, i);
            const char *name = bdrv_dirty_bitmap_name(b);
            Qcow2Bitmap *old = qcow2_find_bitmap(list, name), *bm;

            if (bdrv_dirty_bitmap_readonly(b)) {
                continue;
            }
            if (old && !(old->flags & QCOW2_BME_FLAG_IN_USE)) {
                error_setg(errp, "Bitmap '%s' already exists in the image",
                           name);
                goto fail;
            }
            if (old) {
                Qcow2Bitmap *copy = g_memdup(old, sizeof(*old));

                copy->name = g_strdup(old->name);
                copy->extra_data = g_memdup(old->extra_data,
                                             old->extra_data_size);
                g_ptr_array_add(replaced, copy);
                bm = old;
            } else {
                bm = g_new0(Qcow2Bitmap, 1);
                bm->name = g_strdup(name);
                g_ptr_array_add(list, bm);
            }
            if (!bdrv_dirty_bitmap_size(b)) {
                /* no table for an empty disk; QEMU 7.2 fails likewise */
                error_setg(errp, "No memory");
                goto fail;
            }
            ret = write_bitmap(bs, b, bm);
            if (ret < 0) {
                error_setg_errno(errp, -ret, "Failed to write bitmap '%s' "
                                 "to file", name);
                goto fail;
            }
            g_ptr_array_add(written, bm);
        }
        ret = qcow2_write_bitmap_dir(bs, list);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to update bitmap "
                             "extension");
            goto fail;
        }
        for (i = 0; i < replaced->len; i++) {
            qcow2_free_bitmap_clusters(bs, g_ptr_array_index(replaced, i));
        }
    }
    if (release_stored) {
        for (i = 0; i < to_store->len; i++) {
            bdrv_release_dirty_bitmap(g_ptr_array_index(to_store, i));
        }
    }
    return true;

fail:
    for (i = 0; i < written->len; i++) {
        qcow2_free_bitmap_clusters(bs, g_ptr_array_index(written, i));
    }
    return false;
}

int qcow2_co_remove_persistent_dirty_bitmap(BlockDriverState *bs,
                                            const char *name, Error **errp)
{
    g_autoptr(GPtrArray) list = NULL;
    Qcow2Bitmap *bm;
    guint i;
    int ret;

    if (!qcow2_read_bitmap_list(bs, &list, errp)) {
        return -EINVAL;
    }
    bm = qcow2_find_bitmap(list, name);
    if (!bm) {
        return 0;
    }
    g_ptr_array_find(list, bm, &i);
    if (!(bs->open_flags & BDRV_O_RDWR) ||
        (bs->open_flags & BDRV_O_INACTIVE)) {
        error_setg(errp, "No write access");
        return -EPERM;
    }
    g_ptr_array_steal_index(list, i);
    ret = qcow2_write_bitmap_dir(bs, list);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to update bitmap extension");
        qcow2_bitmap_free(bm);
        return ret;
    }
    qcow2_free_bitmap_clusters(bs, bm);
    qcow2_bitmap_free(bm);
    return 0;
}

bool qcow2_supports_persistent_dirty_bitmap(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    return s->version >= 3;
}

bool qcow2_co_can_store_new_dirty_bitmap(BlockDriverState *bs,
                                         const char *name,
                                         uint32_t granularity,
                                         Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    g_autoptr(GPtrArray) list = NULL;
    uint64_t disk_size = bdrv_getlength(bs), nb, dir_size;
    int gran_bits = ctz32(granularity);
    BdrvDirtyBitmap *bitmap;

    if (s->version < 3) {
        error_setg(errp, "Cannot store dirty bitmaps in qcow2 v2 files");
        goto fail;
    }
    if (!qcow2_read_bitmap_list(bs, &list, errp)) {
        goto fail;
    }
    if (qcow2_find_bitmap(list, name)) {
        error_setg(errp, "Bitmap already exists: %s", name);
        return false;
    }
    if (gran_bits > QCOW2_BME_MAX_GRAN_BITS) {
        error_setg(errp, "Granularity exceeds maximum (%llu bytes)",
                   1ull << QCOW2_BME_MAX_GRAN_BITS);
        goto fail;
    }
    if (gran_bits < QCOW2_BME_MIN_GRAN_BITS) {
        error_setg(errp, "Granularity is under minimum (%llu bytes)",
                   1ull << QCOW2_BME_MIN_GRAN_BITS);
        goto fail;
    }
    if (DIV_ROUND_UP(DIV_ROUND_UP(disk_size, granularity), 8) >
        QCOW2_BME_MAX_PHYS_SIZE ||
        qcow2_bitmap_table_size(s, disk_size, granularity) >
        QCOW2_BME_MAX_TABLE_SIZE) {
        error_setg(errp, "Too much space will be occupied by the bitmap. "
                   "Use larger granularity");
        goto fail;
    }
    if (strlen(name) > QCOW2_BME_MAX_NAME_SIZE) {
        error_setg(errp, "Name length exceeds maximum (%u characters)",
                   QCOW2_BME_MAX_NAME_SIZE);
        goto fail;
    }
    /* What the directory will hold: the image's plus unstored ones. */
    nb = list->len + 1;
    dir_size = s->has_bitmaps ? s->bitmap_directory_size : 0;
    dir_size += qcow2_bitmap_entry_size(0, strlen(name));
    FOR_EACH_DIRTY_BITMAP(bs, bitmap) {
        const char *n = bdrv_dirty_bitmap_name(bitmap);

        if (n && bdrv_dirty_bitmap_get_persistence(bitmap) &&
            !qcow2_find_bitmap(list, n)) {
            nb++;
            dir_size += qcow2_bitmap_entry_size(0, strlen(n));
        }
    }
    if (nb > QCOW2_MAX_BITMAPS) {
        error_setg(errp, "Maximum number of persistent bitmaps is already "
                   "reached");
        goto fail;
    }
    if (dir_size > QCOW2_MAX_BITMAP_DIR) {
        error_setg(errp, "Not enough space in the bitmap directory");
        goto fail;
    }
    return true;

fail:
    error_prepend(errp, "Can't make bitmap '%s' persistent in '%s': ", name,
                  bdrv_get_device_or_node_name(bs));
    return false;
}
