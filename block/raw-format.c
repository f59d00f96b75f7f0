/* SPDX-License-Identifier: GPL-2.0-or-later */
/* raw: the format driver that maps a window of its file child 1:1. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "block/block_int.h"

typedef struct BDRVRawState {
    uint64_t offset;        /* start of the window in the file child */
    uint64_t size;          /* window length in bytes */
    bool has_size;          /* size was given (else: file length - offset) */
} BDRVRawState;

static const char *const raw_strong_runtime_opts[] = {
    "offset",
    "size",
    NULL
};

/*
 * Read offset and size from @options into @win and check them against
 * the length of @file, with QEMU's messages.
 */
static bool raw_read_window(json_t *options, BlockDriverState *file,
                            BDRVRawState *win, Error **errp)
{
    int64_t file_len;

    win->has_size = json_object_get(options, "size") != NULL;
    if (!bdrv_opt_get_size(options, "offset", 0, &win->offset, errp) ||
        !bdrv_opt_get_size(options, "size", 0, &win->size, errp)) {
        return false;
    }
    file_len = bdrv_getlength(file);
    if (file_len < 0) {
        error_setg_errno(errp, -file_len, "Could not get image size");
        return false;
    }
    if (win->offset > file_len) {
        error_setg(errp, "Offset (%" PRIu64 ") cannot be greater than size "
                   "of the containing file (%" PRId64 ")", win->offset,
                   file_len);
        return false;
    }
    if (win->has_size && file_len - win->offset < win->size) {
        error_setg(errp, "The sum of offset (%" PRIu64 ") and size "
                   "(%" PRIu64 ") has to be smaller or equal to the "
                   " actual size of the containing file (%" PRId64 ")",
                   win->offset, win->size, file_len);
        return false;
    }
    if (win->has_size && !QEMU_IS_ALIGNED(win->size, BDRV_SECTOR_SIZE)) {
        error_setg(errp, "Specified size is not multiple of %llu",
                   (unsigned long long)BDRV_SECTOR_SIZE);
        return false;
    }
    if (!win->has_size) {
        win->size = file_len - win->offset;
    }
    return true;
}

static int raw_open(BlockDriverState *bs, json_t *options, int flags,
                    Error **errp)
{
    if (!bdrv_open_child(NULL, options, "file", bs,
                         BDRV_CHILD_DATA | BDRV_CHILD_PRIMARY |
                         BDRV_CHILD_FILTERED, false, errp)) {
        return -EINVAL;
    }
    return raw_read_window(options, bs->file->bs, bs->opaque, errp) ?
           0 : -EINVAL;
}

/* offset and size may change, or go back to their defaults. */
static const char *const raw_mutable_opts[] = {
    "offset",
    "size",
    NULL
};

static int raw_reopen_prepare(BDRVReopenState *state,
                              BlockReopenQueue *queue, Error **errp)
{
    BDRVRawState *win = g_new0(BDRVRawState, 1);

    /* bs->file is already the file child the reopen gives */
    if (!raw_read_window(state->options, state->bs->file->bs, win, errp)) {
        g_free(win);
        return -EINVAL;
    }
    state->opaque = win;
    return 0;
}

static void raw_reopen_commit(BDRVReopenState *state)
{
    memcpy(state->bs->opaque, state->opaque, sizeof(BDRVRawState));
    g_clear_pointer(&state->opaque, g_free);
}

static void raw_reopen_abort(BDRVReopenState *state)
{
    g_clear_pointer(&state->opaque, g_free);
}

static int64_t raw_getlength(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;
    int64_t len;

    if (s->has_size || !bs->file) {
        return s->size;
    }
    len = bdrv_getlength(bs->file->bs);
    if (len < 0) {
        return len;
    }
    return MAX(0, len - (int64_t)s->offset);
}

static int raw_pread(BlockDriverState *bs, int64_t offset, int64_t bytes,
                     void *buf, BdrvRequestFlags flags)
{
    BDRVRawState *s = bs->opaque;

    return bdrv_pread(bs->file, s->offset + offset, bytes, buf, flags);
}

static int raw_pwrite(BlockDriverState *bs, int64_t offset, int64_t bytes,
                      const void *buf, BdrvRequestFlags flags)
{
    BDRVRawState *s = bs->opaque;

    return bdrv_pwrite(bs->file, s->offset + offset, bytes, buf, flags);
}

static int raw_pwrite_zeroes(BlockDriverState *bs, int64_t offset,
                             int64_t bytes, BdrvRequestFlags flags)
{
    BDRVRawState *s = bs->opaque;

    return bdrv_pwrite_zeroes(bs->file, s->offset + offset, bytes, flags);
}

static int raw_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    BDRVRawState *s = bs->opaque;

    return bdrv_pdiscard(bs->file, s->offset + offset, bytes);
}

static int raw_truncate(BlockDriverState *bs, int64_t offset, bool exact,
                        Error **errp)
{
    BDRVRawState *s = bs->opaque;

    if (s->has_size) {
        error_setg(errp, "Cannot resize fixed-size raw disks");
        return -ENOTSUP;
    }
    return bdrv_truncate(bs->file, s->offset + offset, exact, 0, errp);
}

/* A window that does not simply follow the file's end. */
static bool raw_child_unshares_resize(BlockDriverState *bs, BdrvChild *child)
{
    BDRVRawState *s = bs->opaque;

    return s->offset || s->has_size;
}

static int raw_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    return bdrv_get_info(bs->file->bs, bdi);
}

BlockDriver bdrv_raw = {
    .format_name = "raw",
    .instance_size = sizeof(BDRVRawState),
    .strong_runtime_opts = raw_strong_runtime_opts,

    .bdrv_open = raw_open,
    .bdrv_pread = raw_pread,
    .bdrv_pwrite = raw_pwrite,
    .bdrv_pwrite_zeroes = raw_pwrite_zeroes,
    .bdrv_pdiscard = raw_pdiscard,
    .bdrv_getlength = raw_getlength,
    .bdrv_truncate = raw_truncate,
    .bdrv_get_info = raw_get_info,
    .bdrv_child_unshares_resize = raw_child_unshares_resize,
    .bdrv_reopen_prepare = raw_reopen_prepare,
    .bdrv_reopen_commit = raw_reopen_commit,
    .bdrv_reopen_abort = raw_reopen_abort,
    .mutable_opts = raw_mutable_opts,
};
