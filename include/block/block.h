/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Block layer public API: nodes, lookup, synchronous I/O, (in)activation. */
#ifndef BLOCK_H
#define BLOCK_H

#include <jansson.h>
#include "qemu/queue.h"
#include "block/dirty-bitmap.h"
#include "qemu/main-loop.h"

typedef struct BlockDriver BlockDriver;
typedef struct BdrvChild BdrvChild;
typedef struct BdrvChildClass BdrvChildClass;

/* Filled in by bdrv_get_info(); zero means "unknown". */
typedef struct BlockDriverInfo {
    int cluster_size;           /* in bytes, 0 = no clusters */
    int64_t vm_state_offset;    /* offset of the VM state, unused here */
    bool is_dirty;              /* the image was not closed cleanly */
} BlockDriverInfo;

/* Request flags (QEMU's values); the ones the drivers here look at. */
typedef enum {
    BDRV_REQ_COPY_ON_READ       = 0x1,  /* a read that copy-on-read issued */
    BDRV_REQ_ZERO_WRITE         = 0x2,  /* write zeroes, no buffer */
    BDRV_REQ_MAY_UNMAP          = 0x4,  /* with ZERO_WRITE: may deallocate */
    BDRV_REQ_FUA                = 0x10, /* on stable storage on return */
} BdrvRequestFlags;

#define BDRV_O_NO_SHARE    0x0001  /* don't share permissions */
#define BDRV_O_RDWR        0x0002
#define BDRV_O_RESIZE      0x0004  /* request permission for resizing */
#define BDRV_O_SNAPSHOT    0x0008  /* open a temporary snapshot */
#define BDRV_O_TEMPORARY   0x0010  /* delete the file after use */
#define BDRV_O_NOCACHE     0x0020  /* host page cache bypass (O_DIRECT) */
#define BDRV_O_NATIVE_AIO  0x0080  /* aio=native */
#define BDRV_O_NO_BACKING  0x0100  /* don't open the backing file */
#define BDRV_O_NO_FLUSH    0x0200  /* disable flushing on this disk */
#define BDRV_O_COPY_ON_READ 0x0400 /* copy read backing sectors into image */
#define BDRV_O_INACTIVE    0x0800  /* another process owns the image */
#define BDRV_O_CHECK       0x1000  /* open solely for consistency check */
#define BDRV_O_ALLOW_RDWR  0x2000  /* allow reopen to change to r/w */
#define BDRV_O_UNMAP       0x4000  /* execute guest UNMAP/TRIM operations */
#define BDRV_O_PROTOCOL    0x8000  /* if no driver, use the protocol layer */
#define BDRV_O_NO_IO       0x10000 /* don't initialise for I/O */
#define BDRV_O_AUTO_RDONLY 0x20000 /* read-only if opening r/w fails */
#define BDRV_O_IO_URING    0x40000 /* aio=io_uring */

#define BDRV_O_CACHE_MASK  (BDRV_O_NOCACHE | BDRV_O_NO_FLUSH)

#define BDRV_OPT_CACHE_WB       "cache.writeback"
#define BDRV_OPT_CACHE_DIRECT   "cache.direct"
#define BDRV_OPT_CACHE_NO_FLUSH "cache.no-flush"
#define BDRV_OPT_READ_ONLY      "read-only"
#define BDRV_OPT_AUTO_READ_ONLY "auto-read-only"
#define BDRV_OPT_DISCARD        "discard"
#define BDRV_OPT_FORCE_SHARE    "force-share"

/* Permissions a parent takes on a child (QEMU's BLK_PERM_*). */
enum {
    BLK_PERM_CONSISTENT_READ    = 0x01,
    BLK_PERM_WRITE              = 0x02,
    BLK_PERM_WRITE_UNCHANGED    = 0x04,
    BLK_PERM_RESIZE             = 0x08,
    BLK_PERM_ALL                = 0x0f,
};

/* Role of a child, as BdrvChildRole in QEMU. */
typedef enum BdrvChildRoleBits {
    BDRV_CHILD_DATA         = (1 << 0),
    BDRV_CHILD_METADATA     = (1 << 1),
    BDRV_CHILD_FILTERED     = (1 << 2),
    BDRV_CHILD_COW          = (1 << 3),
    BDRV_CHILD_PRIMARY      = (1 << 4),
    BDRV_CHILD_IMAGE        = BDRV_CHILD_DATA | BDRV_CHILD_METADATA,
} BdrvChildRoleBits;
typedef unsigned int BdrvChildRole;

/* Global state (called with BQL taken). */

/**
 * bdrv_open: open a node graph from options
 * @filename: a filename or NULL; @reference: must be NULL here
 * @options: a JSON object of blockdev options (QEMU's QDict); consumed
 * @flags: BDRV_O_* flags
 *
 * Children given as strings are node-name references; as objects they are
 * opened inline. Returns a new reference to the root node or NULL.
 */
BlockDriverState *bdrv_open(const char *filename, const char *reference,
                            json_t *options, int flags, Error **errp);
/* Open a node with driver @drv and no child, named @node_name (or auto). */
BlockDriverState *bdrv_new_open_driver(BlockDriver *drv,
                                       const char *node_name, int flags,
                                       Error **errp);
BlockDriver *bdrv_find_format(const char *format_name);
/* Call @it on each registered format name, sorted (@read_only: unused). */
void bdrv_iterate_format(void (*it)(void *opaque, const char *name),
                         void *opaque, bool read_only);
/* Register a driver (explicitly, from bdrv_init()). */
void bdrv_register(BlockDriver *bdrv);
/* Register the built-in drivers. Idempotent. */
void bdrv_init(void);

void bdrv_ref(BlockDriverState *bs);
void bdrv_unref(BlockDriverState *bs);
/* Close every node that has no parent and no BlockBackend reference. */
void bdrv_close_all(void);

/**
 * bdrv_lookup_bs: find a node by BlockBackend name, then by node name
 *
 * Fails with "Device '%s' has no medium" or
 * "Cannot find device='%s' nor node-name='%s'".
 */
BlockDriverState *bdrv_lookup_bs(const char *device, const char *node_name,
                                 Error **errp);
BlockDriverState *bdrv_find_node(const char *node_name);
/* Iterate over named nodes (graph order); NULL gives the first. */
BlockDriverState *bdrv_next_node(BlockDriverState *bs);
/* Iterate over every node, named or not; NULL gives the first. */
BlockDriverState *bdrv_next_all_states(BlockDriverState *bs);
const char *bdrv_get_node_name(const BlockDriverState *bs);
const char *bdrv_get_device_name(const BlockDriverState *bs);
const char *bdrv_get_device_or_node_name(const BlockDriverState *bs);
const char *bdrv_get_format_name(BlockDriverState *bs);
bool bdrv_is_read_only(BlockDriverState *bs);
bool bdrv_is_writable(BlockDriverState *bs);
/* True if the node has a parent (another node or a BlockBackend). */
bool bdrv_has_parents(BlockDriverState *bs);

/**
 * bdrv_add_write_user: a user (device, qemu-io) takes BLK_PERM_WRITE
 *
 * Applies to @bs and its children; the first writer makes protocol
 * drivers take their image locks, which fails with QEMU's
 * 'Failed to get "write" lock' if another process writes the image.
 */
int bdrv_add_write_user(BlockDriverState *bs, Error **errp);
void bdrv_remove_write_user(BlockDriverState *bs);

/*
 * Reopen: change the options of nodes in place, all or none
 * (blockdev-reopen). A queue holds the nodes and their new options.
 */
typedef struct BlockReopenQueueEntry BlockReopenQueueEntry;
typedef QTAILQ_HEAD(BlockReopenQueue, BlockReopenQueueEntry) BlockReopenQueue;

/**
 * bdrv_reopen_queue: add @bs with @options (taken over) to @bs_queue
 * (NULL: a new queue), and the children it opened itself with the
 * options @options gives them.
 *
 * @keep_old_opts: options @options leaves out keep their current value
 * (else they go back to their defaults, as blockdev-reopen wants).
 */
BlockReopenQueue *bdrv_reopen_queue(BlockReopenQueue *bs_queue,
                                    BlockDriverState *bs, json_t *options,
                                    bool keep_old_opts);
void bdrv_reopen_queue_free(BlockReopenQueue *bs_queue);
/* Reopen every node of @bs_queue or none; frees the queue. 0 or -errno. */
int bdrv_reopen_multiple(BlockReopenQueue *bs_queue, Error **errp);
/* Reopen @bs (and its own children) with @opts (taken over). */
int bdrv_reopen(BlockDriverState *bs, json_t *opts, bool keep_old_opts,
                Error **errp);
/* Reopen @bs read-only or read-write, keeping its other options. */
int bdrv_reopen_set_read_only(BlockDriverState *bs, bool read_only,
                              Error **errp);

int bdrv_inactivate_all(void);
/* Activate @bs and its children if inactive. */
int bdrv_activate(BlockDriverState *bs, Error **errp);
void bdrv_activate_all(Error **errp);
/*
 * A source that keeps its disks after a migration that failed or was
 * cancelled before they were inactivated: the bitmaps the migration
 * marked skip_store are stored again when their node is (minivmm).
 */
void bdrv_skip_store_none(void);

/* I/O (synchronous; called with BQL taken or from the I/O owner). */
int64_t bdrv_nb_sectors(BlockDriverState *bs);
int64_t bdrv_getlength(BlockDriverState *bs);
int64_t bdrv_get_allocated_file_size(BlockDriverState *bs);
int bdrv_get_info(BlockDriverState *bs, BlockDriverInfo *bdi);
int bdrv_truncate(BdrvChild *child, int64_t offset, bool exact,
                  BdrvRequestFlags flags, Error **errp);

/* Return 0 or -errno. Every write/zero/discard dirties enabled bitmaps. */
int bdrv_pread(BdrvChild *child, int64_t offset, int64_t bytes, void *buf,
               BdrvRequestFlags flags);
int bdrv_pwrite(BdrvChild *child, int64_t offset, int64_t bytes,
                const void *buf, BdrvRequestFlags flags);
int bdrv_pwrite_zeroes(BdrvChild *child, int64_t offset, int64_t bytes,
                       BdrvRequestFlags flags);
int bdrv_pdiscard(BdrvChild *child, int64_t offset, int64_t bytes);
int bdrv_flush(BlockDriverState *bs);

/**
 * bdrv_can_store_new_dirty_bitmap: may a persistent bitmap be added?
 *
 * Fails with "Can't store persistent bitmaps to %s" + the driver's reason.
 */
bool bdrv_can_store_new_dirty_bitmap(BlockDriverState *bs, const char *name,
                                     uint32_t granularity, Error **errp);

/* Filters: the filtered child's node, or @bs itself when not a filter. */
BlockDriverState *bdrv_skip_filters(BlockDriverState *bs);

#endif /* BLOCK_H */
