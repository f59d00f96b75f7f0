/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qcow2: the format driver: open/close, activation, locks, queries. */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"
#include "qapi/error.h"
#include "qapi/qapi-types-block-core.h"
#include "qcow2.h"

static const char *const qcow2_strong_runtime_opts[] = {
    "data-file",
    NULL
};

/* ---- open ---- */

/* False after a failed activation left no metadata to work with. */
static bool qcow2_loaded(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    return s->exts != NULL;
}

static bool read_tables(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint32_t i;
    int ret;

    s->reftable_entries = (uint64_t)s->reftable_clusters <<
                             (s->cluster_bits - 3);
    s->reftable = g_try_new(uint64_t, s->reftable_entries);
    s->l1_table = g_try_new0(uint64_t, MAX(s->l1_entries, 1));
    if (!s->reftable || !s->l1_table) {
        error_setg(errp, "Could not allocate the metadata tables");
        return false;
    }
    ret = bdrv_pread(bs->file, s->reftable_offset,
                     (int64_t)s->reftable_entries * 8, s->reftable,
                     0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read refcount table");
        return false;
    }
    for (i = 0; i < s->reftable_entries; i++) {
        be64_to_cpus(&s->reftable[i]);
    }
    if (s->l1_entries) {
        ret = bdrv_pread(bs->file, s->l1_table_offset,
                         (int64_t)s->l1_entries * 8, s->l1_table, 0);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not read L1 table");
            return false;
        }
        for (i = 0; i < s->l1_entries; i++) {
            be64_to_cpus(&s->l1_table[i]);
        }
    }
    return true;
}

/* Free everything read from the image (the state can be reloaded). */
static void qcow2_free_state(BDRVQcow2State *s)
{
    g_free(s->header_raw);
    g_free(s->backing_file);
    g_free(s->backing_format);
    g_free(s->l1_table);
    g_free(s->reftable);
    if (s->exts) {
        g_ptr_array_free(s->exts, true);
    }
    qcow2_cache_destroy(&s->l2_cache);
    qcow2_cache_destroy(&s->refblock_cache);
    memset(s, 0, offsetof(BDRVQcow2State, write_user));
}

static bool writable(BlockDriverState *bs)
{
    return (bs->open_flags & BDRV_O_RDWR) &&
           !(bs->open_flags & BDRV_O_INACTIVE);
}

/*
 * Hold the image as QEMU's qcow2 does, or let go of it (@hold false): a
 * writer takes BLK_PERM_WRITE on its file (the write locks); a reader
 * lets nobody else write unless force-share is on; an inactive node
 * holds nothing.
 */
static bool qcow2_hold_image(BlockDriverState *bs, bool hold, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    BlockDriverState *file = child_bs(bs->file);
    bool write = hold && writable(bs);
    bool reader = hold && !write && !bs->force_share &&
                  !(bs->open_flags & BDRV_O_INACTIVE);

    if (!file) {
        return !hold;           /* an open that failed early */
    }
    if (file->drv && file->drv->bdrv_unshare_write &&
        file->drv->bdrv_unshare_write(file, reader, errp) < 0) {
        return false;
    }
    if (write && !s->write_user) {
        if (bdrv_add_write_user(file, errp) < 0) {
            return false;
        }
        s->write_user = true;
    } else if (!write && s->write_user) {
        bdrv_remove_write_user(file);
        s->write_user = false;
    }
    return true;
}

/* Read the header and the tables; writes nothing. */
static bool qcow2_read_metadata(BlockDriverState *bs, int flags,
                                Error **errp)
{
    BDRVQcow2State *s = bs->opaque;

    if (!qcow2_read_header(bs, flags, errp) || !read_tables(bs, errp)) {
        return false;
    }
    qcow2_cache_init(s, &s->l2_cache);
    qcow2_cache_init(s, &s->refblock_cache);
    s->free_cluster_index = 0;
    /* bitmaps are created with the node's length */
    bs->total_sectors = DIV_ROUND_UP(s->size, BDRV_SECTOR_SIZE);
    return true;
}

/*
 * Take the image when this process owns it (active): load the bitmaps,
 * repair a dirty image, mark the bitmaps in use. Everything a hostile
 * image can fail is read and checked before the first write.
 */
static bool qcow2_take_ownership(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    g_autoptr(GPtrArray) loaded = NULL;
    int ret;

    if (bs->open_flags & BDRV_O_INACTIVE) {
        return true;
    }
    if (!qcow2_load_dirty_bitmaps(bs, &loaded, errp)) {
        return false;
    }
    if (!writable(bs)) {
        return true;
    }
    if (((s->incompat & QCOW2_INCOMPAT_DIRTY) &&
         !qcow2_repair_refcounts(bs, errp)) ||
        !qcow2_mark_bitmaps_in_use(bs, errp)) {
        goto fail;
    }
    ret = qcow2_clear_unknown_autoclear(bs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not update qcow2 header");
        goto fail;
    }
    return true;

fail:
    qcow2_unload_dirty_bitmaps(loaded);
    return false;
}

/* Open the backing file named in the header, or the "backing" option. */
static bool qcow2_open_backing(BlockDriverState *bs, json_t *options,
                               int flags, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree char *path = NULL;
    json_t *opts, *file;
    const char *fmt;
    char magic[4] = "";

    if (json_object_get(options, "backing") || (flags & BDRV_O_NO_BACKING) ||
        !s->backing_file) {
        Error *local_err = NULL;

        bdrv_open_child(NULL, options, "backing", bs, BDRV_CHILD_COW, true,
                        &local_err);
        if (local_err) {
            error_propagate(errp, local_err);
            return false;
        }
        return true;
    }
    if (g_path_is_absolute(s->backing_file) ||
        !bs->file->bs->exact_filename[0]) {
        path = g_strdup(s->backing_file);
    } else {
        g_autofree char *dir = g_path_get_dirname(
            bs->file->bs->exact_filename);

        path = g_build_filename(dir, s->backing_file, NULL);
    }
    fmt = s->backing_format;
    if (!fmt) {
        FILE *f = fopen(path, "rb");

        if (f) {
            if (fread(magic, 1, sizeof(magic), f) != sizeof(magic)) {
                memset(magic, 0, sizeof(magic));
            }
            fclose(f);
        }
        fmt = memcmp(magic, "QFI\xfb", 4) ? "raw" : "qcow2";
    }
    opts = json_object();
    file = json_object();
    json_object_set_new(file, "driver", json_string("file"));
    json_object_set_new(file, "filename", json_string(path));
    json_object_set_new(opts, "driver", json_string(fmt));
    json_object_set_new(opts, "file", file);
    json_object_set_new(opts, BDRV_OPT_READ_ONLY, json_true());
    json_object_set_new(options, "backing", opts);
    if (!bdrv_open_child(NULL, options, "backing", bs, BDRV_CHILD_COW, false,
                         errp)) {
        error_prepend(errp, "Could not open backing file: ");
        return false;
    }
    return true;
}

/*
 * Options QEMU's qcow2 takes that tune its caches or discards: accepted,
 * and a reopen may leave them out. The first QCOW2_BOOL_OPTS are
 * booleans, the others sizes.
 */
static const char *const qcow2_mutable_opts[] = {
    "lazy-refcounts", "pass-discard-request", "pass-discard-snapshot",
    "pass-discard-other",
    "cache-size", "l2-cache-size", "l2-cache-entry-size",
    "refcount-cache-size", "cache-clean-interval",
    NULL
};
#define QCOW2_BOOL_OPTS 4

static bool qcow2_take_tuning_options(json_t *options, Error **errp)
{
    size_t i;
    uint64_t size;
    bool b;

    for (i = 0; qcow2_mutable_opts[i]; i++) {
        const char *name = qcow2_mutable_opts[i];

        if (i < QCOW2_BOOL_OPTS ?
            !bdrv_opt_get_bool(options, name, false, &b, errp) :
            !bdrv_opt_get_size(options, name, 0, &size, errp)) {
            return false;
        }
        json_object_del(options, name);
    }
    if (json_object_get(options, "data-file")) {
        error_setg(errp, "'data-file' can only be set for images with an "
                   "external data file");
        return false;
    }
    return true;
}

static int qcow2_open(BlockDriverState *bs, json_t *options, int flags,
                      Error **errp)
{
    ERRP_GUARD();
    BDRVQcow2State *s = bs->opaque;

    if (!qcow2_take_tuning_options(options, errp)) {
        return -EINVAL;
    }
    if (!bdrv_open_child(NULL, options, "file", bs,
                         BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY, false,
                         errp)) {
        return -EINVAL;
    }
    if (!qcow2_hold_image(bs, true, errp)) {
        return -EAGAIN;
    }
    if (!qcow2_read_metadata(bs, flags, errp) ||
        !qcow2_open_backing(bs, options, flags, errp) ||
        !qcow2_take_ownership(bs, errp)) {
        qcow2_free_state(s);
        qcow2_hold_image(bs, false, NULL);
        return -EINVAL;
    }
    return 0;
}

/* Store the bitmaps (releasing them) and let go of the image. */
static int qcow2_inactivate(BlockDriverState *bs)
{
    Error *local_err = NULL;
    int ret = 0;

    if (qcow2_loaded(bs) &&
        !qcow2_store_persistent_dirty_bitmaps(bs, true, &local_err)) {
        error_reportf_err(local_err, "Lost persistent bitmaps during "
                          "inactivation of node '%s': ",
                          bdrv_get_device_or_node_name(bs));
        ret = -EINVAL;
    }
    if (writable(bs) && bs->file) {
        bdrv_flush(bs->file->bs);
    }
    if (ret == 0) {
        /* a failed inactivation leaves the node active, and ours */
        qcow2_hold_image(bs, false, NULL);
    }
    return ret;
}

static void qcow2_close(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    if (!(bs->open_flags & BDRV_O_INACTIVE)) {
        qcow2_inactivate(bs);
    }
    qcow2_hold_image(bs, false, NULL);
    qcow2_free_state(s);
}

/* Another process may have changed the image: read it all again. */
static void qcow2_co_invalidate_cache(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;

    qcow2_free_state(s);
    if (!qcow2_hold_image(bs, true, errp)) {
        return;
    }
    if (!qcow2_read_metadata(bs, bs->open_flags, errp) ||
        !qcow2_take_ownership(bs, errp)) {
        qcow2_hold_image(bs, false, NULL);
    }
}

/* ---- reopen ---- */

/* What a reopen's prepare saw and did, until commit_post or abort. */
typedef struct Qcow2ReopenState {
    bool to_rw;                 /* an active node becomes writable */
    bool stored;                /* bitmaps stored, IN_USE cleared */
} Qcow2ReopenState;

/*
 * Prepare and abort write the image through bs->file, which a reopen that
 * replaces it has already switched to the new child, not written yet:
 * lend it a write user meanwhile (its locks tell another user).
 */
static bool borrow_new_file(BDRVReopenState *st, bool borrow, Error **errp)
{
    BlockDriverState *file = child_bs(st->bs->file);

    if (!st->old_file_bs || st->old_file_bs == file) {
        return true;
    }
    if (!borrow) {
        bdrv_remove_write_user(file);
        return true;
    }
    return bdrv_add_write_user(file, errp) == 0;
}

static void qcow2_reopen_abort(BDRVReopenState *st)
{
    Qcow2ReopenState *rs = st->opaque;
    Error *local_err = NULL;

    if (rs && rs->stored) {
        /* stored and consistent in the image: only the mark is missing */
        if (!borrow_new_file(st, true, &local_err) ||
            !qcow2_mark_bitmaps_in_use(st->bs, &local_err)) {
            warn_reportf_err(local_err, "%s: ",
                             bdrv_get_device_or_node_name(st->bs));
        } else {
            borrow_new_file(st, false, NULL);
        }
    }
    g_clear_pointer(&st->opaque, g_free);
}

static int qcow2_reopen_prepare(BDRVReopenState *st, BlockReopenQueue *q,
                                Error **errp)
{
    BlockDriverState *bs = st->bs;
    bool active = qcow2_loaded(bs) &&
                  !(bs->open_flags & BDRV_O_INACTIVE);
    Qcow2ReopenState *rs;
    int ret = 0;

    if (!qcow2_take_tuning_options(st->options, errp)) {
        return -EINVAL;
    }
    rs = g_new0(Qcow2ReopenState, 1);
    st->opaque = rs;
    rs->to_rw = active && !(bs->open_flags & BDRV_O_RDWR) &&
                (st->flags & BDRV_O_RDWR);
    if (!active || !writable(bs) || (st->flags & BDRV_O_RDWR)) {
        return 0;
    }
    /* To read-only: the bitmaps stay loaded, the image holds them. */
    if (!borrow_new_file(st, true, errp)) {
        g_clear_pointer(&st->opaque, g_free);
        return -EPERM;
    }
    if (!qcow2_store_persistent_dirty_bitmaps(bs, false, errp)) {
        ret = -EINVAL;
    } else {
        rs->stored = true;
        ret = bdrv_flush(bs->file->bs);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not flush qcow2 metadata");
        }
    }
    borrow_new_file(st, false, NULL);
    if (ret < 0) {
        qcow2_reopen_abort(st);
    }
    return ret;
}

static int qcow2_reopen_commit_post(BDRVReopenState *st, Error **errp)
{
    BlockDriverState *bs = st->bs;
    BDRVQcow2State *s = bs->opaque;
    BlockDriverState *old = st->old_file_bs;
    g_autofree Qcow2ReopenState *rs = g_steal_pointer(&st->opaque);

    if (old && old != child_bs(bs->file)) {
        /* what we held on the old file moves to the new one */
        if (s->write_user) {
            bdrv_remove_write_user(old);
            s->write_user = false;
        }
        if (old->drv && old->drv->bdrv_unshare_write) {
            old->drv->bdrv_unshare_write(old, false, NULL);
        }
    }
    if (!qcow2_hold_image(bs, true, errp)) {
        return -EPERM;
    }
    if (!rs || !rs->to_rw) {
        return 0;
    }
    /* A dirty image opened read-only was left as it was: repair it now. */
    if ((s->incompat & QCOW2_INCOMPAT_DIRTY) &&
        !qcow2_repair_refcounts(bs, errp)) {
        return -EIO;
    }
    return qcow2_mark_bitmaps_in_use(bs, errp) ? 0 : -EIO;
}

/* ---- I/O and queries ---- */

static int qcow2_pread(BlockDriverState *bs, int64_t offset, int64_t bytes,
                       void *buf, BdrvRequestFlags flags)
{
    if (!qcow2_loaded(bs)) {
        return -EIO;
    }
    return qcow2_co_preadv(bs, offset, bytes, buf);
}

static int qcow2_pwrite(BlockDriverState *bs, int64_t offset, int64_t bytes,
                        const void *buf, BdrvRequestFlags flags)
{
    if (!qcow2_loaded(bs)) {
        return -EIO;
    }
    return qcow2_co_pwritev(bs, offset, bytes, buf);
}

static int qcow2_pwrite_zeroes(BlockDriverState *bs, int64_t offset,
                               int64_t bytes, BdrvRequestFlags flags)
{
    if (!qcow2_loaded(bs)) {
        return -EIO;
    }
    return qcow2_co_pwrite_zeroes(bs, offset, bytes, flags);
}

static int qcow2_pdiscard(BlockDriverState *bs, int64_t offset,
                          int64_t bytes)
{
    if (!qcow2_loaded(bs)) {
        return -EIO;
    }
    return qcow2_co_pdiscard(bs, offset, bytes);
}

static int qcow2_flush(BlockDriverState *bs)
{
    return 0;   /* metadata is written through; the file child flushes */
}

static int64_t qcow2_getlength(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    return s->size;
}

static int qcow2_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    BDRVQcow2State *s = bs->opaque;

    bdi->cluster_size = s->cluster_size;
    bdi->is_dirty = s->incompat & QCOW2_INCOMPAT_DIRTY;
    return 0;
}

static ImageInfoSpecific *qcow2_get_specific_info(BlockDriverState *bs,
                                                  Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    ImageInfoSpecific *spec = g_new0(ImageInfoSpecific, 1);
    ImageInfoSpecificQCow2 *q = g_new0(ImageInfoSpecificQCow2, 1);
    void *bitmaps = NULL;

    spec->type = IMAGE_INFO_SPECIFIC_KIND_QCOW2;
    spec->u.qcow2.data = q;
    q->refcount_bits = s->refcount_bits;
    q->compression_type = QCOW2_COMPRESSION_TYPE_ZLIB;
    if (s->version == 2) {
        q->compat = g_strdup("0.10");
        return spec;
    }
    q->compat = g_strdup("1.1");
    q->has_lazy_refcounts = true;
    q->lazy_refcounts = s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS;
    q->has_corrupt = true;
    q->corrupt = s->incompat & QCOW2_INCOMPAT_CORRUPT;
    q->has_extended_l2 = true;
    if (!qcow2_get_bitmap_info_list(bs, &bitmaps, errp)) {
        qapi_free_ImageInfoSpecific(spec);
        return NULL;
    }
    q->bitmaps = bitmaps;
    q->has_bitmaps = bitmaps != NULL;
    return spec;
}

BlockDriver bdrv_qcow2 = {
    .format_name = "qcow2",
    .instance_size = sizeof(BDRVQcow2State),
    .strong_runtime_opts = qcow2_strong_runtime_opts,
    .mutable_opts = qcow2_mutable_opts,

    .bdrv_open = qcow2_open,
    .bdrv_close = qcow2_close,
    .bdrv_pread = qcow2_pread,
    .bdrv_pwrite = qcow2_pwrite,
    .bdrv_pwrite_zeroes = qcow2_pwrite_zeroes,
    .bdrv_pdiscard = qcow2_pdiscard,
    .bdrv_flush = qcow2_flush,
    .bdrv_getlength = qcow2_getlength,
    .bdrv_truncate = qcow2_truncate,
    .bdrv_get_info = qcow2_get_info,
    .bdrv_get_specific_info = qcow2_get_specific_info,

    .bdrv_reopen_prepare = qcow2_reopen_prepare,
    .bdrv_reopen_commit_post = qcow2_reopen_commit_post,
    .bdrv_reopen_abort = qcow2_reopen_abort,

    .bdrv_inactivate = qcow2_inactivate,
    .bdrv_co_invalidate_cache = qcow2_co_invalidate_cache,

    .bdrv_supports_persistent_dirty_bitmap =
        qcow2_supports_persistent_dirty_bitmap,
    .bdrv_co_can_store_new_dirty_bitmap = qcow2_co_can_store_new_dirty_bitmap,
    .bdrv_co_remove_persistent_dirty_bitmap =
        qcow2_co_remove_persistent_dirty_bitmap,
};
