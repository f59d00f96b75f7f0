/* SPDX-License-Identifier: GPL-2.0-or-later */
/* BlockBackend: a device's (or a tool's) handle on the root of a graph. */
#ifndef BLOCK_BACKEND_H
#define BLOCK_BACKEND_H

#include "block/block.h"
#include "qapi/qapi-types-block-core.h"

/**
 * blk_new: a new, empty BlockBackend with one reference
 * @ctx: unused (QEMU's AioContext); @perm, @shared_perm: BLK_PERM_* masks
 */
BlockBackend *blk_new(AioContext *ctx, uint64_t perm, uint64_t shared_perm);
/* Open @options (consumed) as in bdrv_open and insert the root. */
BlockBackend *blk_new_open(const char *filename, const char *reference,
                           json_t *options, int flags, Error **errp);
void blk_ref(BlockBackend *blk);
void blk_unref(BlockBackend *blk);
/* Attach @bs as the root; returns 0 or -errno with @errp set. */
int blk_insert_bs(BlockBackend *blk, BlockDriverState *bs, Error **errp);
void blk_remove_bs(BlockBackend *blk);
BlockDriverState *blk_bs(BlockBackend *blk);

/* Monitor-owned (named) backends, in creation order; NULL gives first. */
BlockBackend *blk_next(BlockBackend *blk);
/* Every backend, named or not; NULL gives the first. */
BlockBackend *blk_all_next(BlockBackend *blk);
/* Give @blk a name and make it monitor-owned (takes a reference). */
bool monitor_add_blk(BlockBackend *blk, const char *name, Error **errp);
void monitor_remove_blk(BlockBackend *blk);
const char *blk_name(const BlockBackend *blk);
BlockBackend *blk_by_name(const char *name);
/* The backend whose root is @bs (the first one), or NULL. */
BlockBackend *blk_by_public(BlockDriverState *bs);

/**
 * blk_attach_dev: attach a (stand-in) device with QOM path @path
 *
 * A read-write device takes the write permission on the node chain.
 */
int blk_attach_dev(BlockBackend *blk, const char *path, Error **errp);
/* The attached device's QOM path, or NULL. */
const char *blk_get_dev_path(BlockBackend *blk);
/* The backend of the device -device ...,id=@id made, or NULL. */
BlockBackend *blk_by_qdev_id(const char *id);
bool blk_is_removable(BlockBackend *blk);
void blk_set_enable_write_cache(BlockBackend *blk, bool wce);
bool blk_enable_write_cache(BlockBackend *blk);

/* Synchronous I/O; 0 or -errno. ENOMEDIUM when empty. */
int blk_pread(BlockBackend *blk, int64_t offset, int64_t bytes, void *buf,
              BdrvRequestFlags flags);
int blk_pwrite(BlockBackend *blk, int64_t offset, int64_t bytes,
               const void *buf, BdrvRequestFlags flags);
int blk_pwrite_zeroes(BlockBackend *blk, int64_t offset, int64_t bytes,
                      BdrvRequestFlags flags);
int blk_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes);
int blk_flush(BlockBackend *blk);
/*
 * Resize the medium to @offset bytes (bitmaps follow); only
 * PREALLOC_MODE_OFF is supported. 0 or -errno with @errp set.
 */
int blk_truncate(BlockBackend *blk, int64_t offset, bool exact,
                 PreallocMode prealloc, BdrvRequestFlags flags, Error **errp);
int64_t blk_getlength(BlockBackend *blk);
bool blk_is_inserted(BlockBackend *blk);

#endif /* BLOCK_BACKEND_H */
