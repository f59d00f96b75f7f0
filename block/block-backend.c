/* SPDX-License-Identifier: GPL-2.0-or-later */
/* BlockBackend: named (-drive) and anonymous users of a root node. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/id.h"
#include "block/block_int.h"
#include "sysemu/block-backend.h"

struct BlockBackend {
    char *name;             /* NULL unless monitor-owned */
    int refcnt;
    BdrvChild *root;        /* NULL when empty */
    uint64_t perm;          /* BLK_PERM_* the user needs */
    uint64_t shared_perm;   /* BLK_PERM_* others may take */
    char *dev_path;         /* QOM path of the attached device, or NULL */
    bool enable_write_cache;    /* cache=writeback semantics */
    bool write_user;            /* the device holds BLK_PERM_WRITE */
    QTAILQ_ENTRY(BlockBackend) link;            /* block_backends */
    QTAILQ_ENTRY(BlockBackend) monitor_link;    /* monitor_block_backends */
};

/* All BlockBackends, oldest first. */
static QTAILQ_HEAD(, BlockBackend) block_backends =
    QTAILQ_HEAD_INITIALIZER(block_backends);

/* Named BlockBackends owned by the monitor, oldest first. */
static QTAILQ_HEAD(, BlockBackend) monitor_block_backends =
    QTAILQ_HEAD_INITIALIZER(monitor_block_backends);

static const char *blk_root_get_name(BdrvChild *child)
{
    BlockBackend *blk = child->opaque;

    return blk->name ?: "";
}

static bool blk_root_writes(BdrvChild *child)
{
    BlockBackend *blk = child->opaque;

    return blk->write_user;
}

static const BdrvChildClass child_root = {
    .parent_is_bds = false,
    .get_name = blk_root_get_name,
    .writes = blk_root_writes,
};

BlockBackend *blk_new(AioContext *ctx, uint64_t perm, uint64_t shared_perm)
{
    BlockBackend *blk = g_new0(BlockBackend, 1);

    GLOBAL_STATE_CODE();

    blk->refcnt = 1;
    blk->enable_write_cache = true;
    blk->perm = perm;
    blk->shared_perm = shared_perm;
    QTAILQ_INSERT_TAIL(&block_backends, blk, link);
    return blk;
}

BlockBackend *blk_new_open(const char *filename, const char *reference,
                           json_t *options, int flags, Error **errp)
{
    BlockBackend *blk;
    BlockDriverState *bs;
    uint64_t perm = BLK_PERM_CONSISTENT_READ;

    GLOBAL_STATE_CODE();

    if (flags & BDRV_O_RDWR) {
        perm |= BLK_PERM_WRITE;
    }
    if (flags & BDRV_O_RESIZE) {
        perm |= BLK_PERM_RESIZE;
    }
    bs = bdrv_open(filename, reference, options, flags, errp);
    if (!bs) {
        return NULL;
    }
    blk = blk_new(NULL, perm, BLK_PERM_ALL);
    if (blk_insert_bs(blk, bs, errp) < 0) {
        blk_unref(blk);
        bdrv_unref(bs);
        return NULL;
    }
    bdrv_unref(bs);
    return blk;
}

static void blk_delete(BlockBackend *blk)
{
    assert(!blk->refcnt);
    assert(!blk->name);
    if (blk->root) {
        blk_remove_bs(blk);
    }
    QTAILQ_REMOVE(&block_backends, blk, link);
    g_free(blk->dev_path);
    g_free(blk);
}

void blk_ref(BlockBackend *blk)
{
    GLOBAL_STATE_CODE();
    assert(blk->refcnt > 0);
    blk->refcnt++;
}

void blk_unref(BlockBackend *blk)
{
    GLOBAL_STATE_CODE();
    if (!blk) {
        return;
    }
    assert(blk->refcnt > 0);
    if (--blk->refcnt == 0) {
        blk_delete(blk);
    }
}

int blk_insert_bs(BlockBackend *blk, BlockDriverState *bs, Error **errp)
{
    GLOBAL_STATE_CODE();
    assert(!blk->root);
    blk->root = bdrv_root_attach_child(bs, "root", &child_root,
                                       BDRV_CHILD_FILTERED |
                                       BDRV_CHILD_PRIMARY, blk, errp);
    return blk->root ? 0 : -EPERM;
}

void blk_remove_bs(BlockBackend *blk)
{
    BdrvChild *root = blk->root;

    GLOBAL_STATE_CODE();

    if (!root) {
        return;
    }
    if (blk->write_user) {
        bdrv_remove_write_user(root->bs);
        blk->write_user = false;
    }
    blk->root = NULL;
    bdrv_root_unref_child(root);
}

BlockDriverState *blk_bs(BlockBackend *blk)
{
    IO_CODE();
    return blk->root ? blk->root->bs : NULL;
}

BlockBackend *blk_all_next(BlockBackend *blk)
{
    GLOBAL_STATE_CODE();
    return blk ? QTAILQ_NEXT(blk, link) : QTAILQ_FIRST(&block_backends);
}

BlockBackend *blk_next(BlockBackend *blk)
{
    GLOBAL_STATE_CODE();
    return blk ? QTAILQ_NEXT(blk, monitor_link)
               : QTAILQ_FIRST(&monitor_block_backends);
}

/* Devices and nodes share one namespace; the first objection wins. */
bool monitor_add_blk(BlockBackend *blk, const char *name, Error **errp)
{
    GLOBAL_STATE_CODE();
    assert(!blk->name && name && name[0]);

    if (!id_wellformed(name)) {
        error_setg(errp, "Invalid device name");
    } else if (blk_by_name(name)) {
        error_setg(errp, "Device with id '%s' already exists", name);
    } else if (bdrv_find_node(name)) {
        error_setg(errp, "Device name '%s' conflicts with an existing node "
                   "name", name);
    } else {
        blk->name = g_strdup(name);
        QTAILQ_INSERT_TAIL(&monitor_block_backends, blk, monitor_link);
        blk_ref(blk);
        return true;
    }
    return false;
}

void monitor_remove_blk(BlockBackend *blk)
{
    GLOBAL_STATE_CODE();
    if (blk->name) {
        QTAILQ_REMOVE(&monitor_block_backends, blk, monitor_link);
        g_clear_pointer(&blk->name, g_free);
        blk_unref(blk);
    }
}

const char *blk_name(const BlockBackend *blk)
{
    IO_CODE();
    return blk->name ?: "";
}

BlockBackend *blk_by_name(const char *name)
{
    BlockBackend *blk;

    GLOBAL_STATE_CODE();
    assert(name);
    for (blk = blk_next(NULL); blk && strcmp(name, blk->name);
         blk = blk_next(blk)) {
        /* look on */
    }
    return blk;
}

BlockBackend *blk_by_public(BlockDriverState *bs)
{
    BlockBackend *blk = NULL;

    GLOBAL_STATE_CODE();

    while ((blk = blk_all_next(blk)) != NULL) {
        if (blk_bs(blk) == bs) {
            return blk;
        }
    }
    return NULL;
}

int blk_attach_dev(BlockBackend *blk, const char *path, Error **errp)
{
    BlockDriverState *bs = blk_bs(blk);

    GLOBAL_STATE_CODE();

    assert(!blk->dev_path);
    if (bs && !bdrv_is_read_only(bs)) {
        int ret = bdrv_add_write_user(bs, errp);

        if (ret < 0) {
            return ret;
        }
        blk->write_user = true;
    }
    blk->dev_path = g_strdup(path);
    return 0;
}

const char *blk_get_dev_path(BlockBackend *blk)
{
    return blk->dev_path;
}

BlockBackend *blk_by_qdev_id(const char *id)
{
    g_autofree char *path = g_strdup_printf("/machine/peripheral/%s/"
                                            "virtio-backend", id);
    BlockBackend *blk = NULL;

    while ((blk = blk_all_next(blk)) != NULL) {
        if (!g_strcmp0(blk->dev_path, path)) {
            return blk;
        }
    }
    return NULL;
}

void blk_set_enable_write_cache(BlockBackend *blk, bool wce)
{
    IO_CODE();
    blk->enable_write_cache = wce;
}

bool blk_enable_write_cache(BlockBackend *blk)
{
    IO_CODE();
    return blk->enable_write_cache;
}

bool blk_is_removable(BlockBackend *blk)
{
    return !blk->dev_path;
}

bool blk_is_inserted(BlockBackend *blk)
{
    BlockDriverState *bs = blk_bs(blk);

    IO_CODE();

    return bs && bs->drv;
}


int64_t blk_getlength(BlockBackend *blk)
{
    IO_CODE();
    if (!blk_is_inserted(blk)) {
        return -ENOMEDIUM;
    }
    return bdrv_getlength(blk_bs(blk));
}

/* 0 if [offset, offset + bytes) lies within the medium, else -errno. */
static int blk_check_byte_request(BlockBackend *blk, int64_t offset,
                                  int64_t bytes)
{
    int64_t len;

    /* A malformed range is an I/O error, medium or not. */
    if (offset < 0 || bytes < 0) {
        return -EIO;
    }
    if (!blk_is_inserted(blk)) {
        return -ENOMEDIUM;
    }
    len = blk_getlength(blk);
    if (len < 0) {
        return len;
    }
    /* bytes <= len - offset cannot overflow where offset + bytes could */
    return offset <= len && bytes <= len - offset ? 0 : -EIO;
}

int blk_pread(BlockBackend *blk, int64_t offset, int64_t bytes, void *buf,
              BdrvRequestFlags flags)
{
    int ret = blk_check_byte_request(blk, offset, bytes);

    if (ret < 0) {
        return ret;
    }
    return bdrv_pread(blk->root, offset, bytes, buf, flags);
}

int blk_pwrite(BlockBackend *blk, int64_t offset, int64_t bytes,
               const void *buf, BdrvRequestFlags flags)
{
    int ret = blk_check_byte_request(blk, offset, bytes);

    if (ret < 0) {
        return ret;
    }
    return bdrv_pwrite(blk->root, offset, bytes, buf, flags);
}

int blk_pwrite_zeroes(BlockBackend *blk, int64_t offset, int64_t bytes,
                      BdrvRequestFlags flags)
{
    int ret = blk_check_byte_request(blk, offset, bytes);

    if (ret < 0) {
        return ret;
    }
    return bdrv_pwrite_zeroes(blk->root, offset, bytes, flags);
}

int blk_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes)
{
    int ret = blk_check_byte_request(blk, offset, bytes);

    if (ret < 0) {
        return ret;
    }
    return bdrv_pdiscard(blk->root, offset, bytes);
}

int blk_truncate(BlockBackend *blk, int64_t offset, bool exact,
                 PreallocMode prealloc, BdrvRequestFlags flags, Error **errp)
{
    if (!blk_is_inserted(blk)) {
        error_setg(errp, "No medium inserted");
        return -ENOMEDIUM;
    }
    if (prealloc != PREALLOC_MODE_OFF) {
        error_setg(errp, "Unsupported preallocation mode '%s'",
                   PreallocMode_str(prealloc));
        return -ENOTSUP;
    }
    return bdrv_truncate(blk->root, offset, exact, flags, errp);
}

int blk_flush(BlockBackend *blk)
{
    if (!blk_is_inserted(blk)) {
        return -ENOMEDIUM;
    }
    return bdrv_flush(blk_bs(blk));
}
