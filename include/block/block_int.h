/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Block layer internals: BlockDriver, BlockDriverState, BdrvChild. */
#ifndef BLOCK_INT_H
#define BLOCK_INT_H

#include "block/block.h"
#include "qemu/queue.h"
#include "qemu/thread.h"

typedef struct ImageInfoSpecific ImageInfoSpecific;

/* Values of BlockDriverState.detect_zeroes (BlockdevDetectZeroesOptions). */
enum {
    BDRV_DETECT_ZEROES_OFF = 0,
    BDRV_DETECT_ZEROES_ON = 1,
    BDRV_DETECT_ZEROES_UNMAP = 2,
};

/*
 * A block driver. I/O callbacks are synchronous: they return 0 or -errno.
 * Byte ranges passed to them are already checked against the node's length.
 */
struct BlockDriver {
    const char *format_name;    /* "null-co", "file", "raw", ... */
    const char *protocol_name;  /* URL-style prefix, e.g. "null-co" */
    int instance_size;          /* bytes of bs->opaque, zero-initialised */
    bool is_filter;             /* passes I/O to its file/backing child */
    /* Options that identify the data (kept in json: filenames). */
    const char *const *strong_runtime_opts;

    /*
     * Open a format (or filter) node; bs->file may be attached with
     * bdrv_open_child(). Consumed option keys are deleted from @options;
     * keys left over are reported as unsupported.
     */
    int (*bdrv_open)(BlockDriverState *bs, json_t *options, int flags,
                     Error **errp);
    /* Open a protocol node (no children). Same contract as bdrv_open. */
    int (*bdrv_file_open)(BlockDriverState *bs, json_t *options, int flags,
                          Error **errp);
    void (*bdrv_close)(BlockDriverState *bs);
    /* Set bs->exact_filename when the options allow a plain filename. */
    void (*bdrv_refresh_filename)(BlockDriverState *bs);

    int (*bdrv_pread)(BlockDriverState *bs, int64_t offset, int64_t bytes,
                      void *buf, BdrvRequestFlags flags);
    int (*bdrv_pwrite)(BlockDriverState *bs, int64_t offset, int64_t bytes,
                       const void *buf, BdrvRequestFlags flags);
    /* NULL: the block layer writes a zeroed buffer instead. */
    int (*bdrv_pwrite_zeroes)(BlockDriverState *bs, int64_t offset,
                              int64_t bytes, BdrvRequestFlags flags);
    /* NULL: discard does nothing (and dirties nothing). */
    int (*bdrv_pdiscard)(BlockDriverState *bs, int64_t offset,
                         int64_t bytes);
    int (*bdrv_flush)(BlockDriverState *bs);
    int64_t (*bdrv_getlength)(BlockDriverState *bs);
    int64_t (*bdrv_get_allocated_file_size)(BlockDriverState *bs);
    int (*bdrv_truncate)(BlockDriverState *bs, int64_t offset, bool exact,
                         Error **errp);
    int (*bdrv_get_info)(BlockDriverState *bs, BlockDriverInfo *bdi);
    /* image.format-specific of queries (qcow2), or NULL. */
    ImageInfoSpecific *(*bdrv_get_specific_info)(BlockDriverState *bs,
                                                 Error **errp);

    /*
     * Take (@perm has BLK_PERM_WRITE) or give up the write permission on
     * the image, e.g. image locks. Called when the node gets its first
     * writer or loses its last one, and never while it is inactive.
     */
    int (*bdrv_set_perm)(BlockDriverState *bs, uint64_t perm, Error **errp);

    /*
     * Write persistent state and drop locks before another process runs
     * (migration switchover). Parents go before children, so the file
     * child is still active. A driver that keeps bitmaps stores those
     * for which bdrv_dirty_bitmap_get_persistence() is true and that are
     * not inconsistent, then releases them; the others (skip_store while
     * migrating them) stay in memory untouched. bdrv_close() calls
     * bdrv_close only; a driver that must store at close does it there.
     */
    int (*bdrv_inactivate)(BlockDriverState *bs);
    /*
     * Re-read metadata after another process ran (QEMU's co_ variant),
     * on activation: bitmaps the image marks in use and that are already
     * in memory (migrated) are kept, not loaded. Afterwards the block
     * layer clears skip_store on every bitmap of the node.
     */
    void (*bdrv_co_invalidate_cache)(BlockDriverState *bs, Error **errp);

    /*
     * Persistent bitmaps (QMP block-dirty-bitmap-add persistent=true and
     * -remove). Without these, bitmaps live in memory only and
     * persistent=true fails with "Can't store persistent bitmaps to ...".
     */
    bool (*bdrv_supports_persistent_dirty_bitmap)(BlockDriverState *bs);
    /* May a bitmap @name be added to the image? Nothing is written yet. */
    bool (*bdrv_co_can_store_new_dirty_bitmap)(BlockDriverState *bs,
                                               const char *name,
                                               uint32_t granularity,
                                               Error **errp);
    /* Delete @name from the image; absent is not an error. 0 or -errno. */
    int (*bdrv_co_remove_persistent_dirty_bitmap)(BlockDriverState *bs,
                                                  const char *name,
                                                  Error **errp);

    QLIST_ENTRY(BlockDriver) list;  /* in the registered drivers list */
};

/* What a parent of a BdrvChild is: another node or a BlockBackend. */
struct BdrvChildClass {
    bool parent_is_bds;                     /* opaque is a BlockDriverState */
    /* Name of the parent for messages ("" if it has none). */
    const char *(*get_name)(BdrvChild *child);
};

extern const BdrvChildClass child_of_bds;

/* An edge of the node graph. */
struct BdrvChild {
    BlockDriverState *bs;           /* the child node */
    char *name;                     /* "file", "backing", "root" */
    const BdrvChildClass *klass;
    BdrvChildRole role;
    void *opaque;                   /* the parent (node or BlockBackend) */
    QLIST_ENTRY(BdrvChild) next;         /* in the parent's children list */
    QLIST_ENTRY(BdrvChild) next_parent;  /* in bs->parents */
};

/* A node of the block graph. */
struct BlockDriverState {
    int open_flags;             /* BDRV_O_* flags the node was opened with */
    bool encrypted;
    bool force_share;
    bool implicit;              /* created implicitly by a filter job */
    BlockDriver *drv;           /* NULL once closed */
    void *opaque;               /* drv->instance_size bytes */

    char filename[PATH_MAX];        /* for query: file or json:{...} */
    char exact_filename[PATH_MAX];  /* set by bdrv_refresh_filename */
    json_t *full_open_options;      /* strong options for json: names */

    int64_t total_sectors;      /* size in 512-byte sectors, rounded up */
    uint64_t write_threshold_offset;
    int detect_zeroes;          /* BDRV_DETECT_ZEROES_* */

    char node_name[32];         /* "" only while the node is being opened */
    QTAILQ_ENTRY(BlockDriverState) node_list;     /* graph_bdrv_states */
    QTAILQ_ENTRY(BlockDriverState) bs_list;       /* all_bdrv_states */
    QTAILQ_ENTRY(BlockDriverState) monitor_list;  /* blockdev-add'ed */
    bool monitor_owned;         /* on monitor_list, holding a reference */
    int refcnt;
    int write_users;            /* users holding BLK_PERM_WRITE (devices) */

    BdrvChild *backing;         /* the backing child, if any */
    BdrvChild *file;            /* the protocol/filtered child, if any */
    QLIST_HEAD(, BdrvChild) children;
    QLIST_HEAD(, BdrvChild) parents;

    /* Bitmaps, newest first. Writers hold the BQL and the mutex. */
    QLIST_HEAD(, BdrvDirtyBitmap) dirty_bitmaps;
    QemuMutex dirty_bitmap_mutex;
};

/* bs of a BdrvChild, NULL-safe. */
static inline BlockDriverState *child_bs(BdrvChild *child)
{
    return child ? child->bs : NULL;
}

BdrvChild *bdrv_filter_child(BlockDriverState *bs);
BdrvChild *bdrv_filter_or_cow_child(BlockDriverState *bs);

/* The node a filter passes I/O to, or NULL if @bs is not a filter. */
static inline BlockDriverState *bdrv_filter_bs(BlockDriverState *bs)
{
    return child_bs(bdrv_filter_child(bs));
}

/**
 * bdrv_open_child: attach the child given by option @bdref_key of
 * @options (a node-name string or an inline definition object)
 *
 * Returns the new child, or NULL (with @errp set, unless @allow_none and
 * the option is absent, or the option is JSON null: no child wanted).
 */
BdrvChild *bdrv_open_child(const char *filename, json_t *options,
                           const char *bdref_key, BlockDriverState *parent,
                           BdrvChildRole role, bool allow_none,
                           Error **errp);
/* Attach @child_bs under @parent_bs; takes over the caller's reference. */
BdrvChild *bdrv_attach_child(BlockDriverState *parent_bs,
                             BlockDriverState *child_bs,
                             const char *child_name,
                             BdrvChildRole child_role, Error **errp);
/* Detach and drop the child's reference. */
void bdrv_unref_child(BlockDriverState *parent, BdrvChild *child);
/* Attach a non-node parent (a BlockBackend) to @bs; takes a reference. */
BdrvChild *bdrv_root_attach_child(BlockDriverState *child_bs,
                                  const char *child_name,
                                  const BdrvChildClass *child_class,
                                  BdrvChildRole child_role, void *opaque,
                                  Error **errp);
void bdrv_root_unref_child(BdrvChild *child);

/* The monitor's reference (blockdev-add); bdrv_close_all() drops it. */
void bdrv_set_monitor_owned(BlockDriverState *bs);
bool bdrv_is_monitor_owned(BlockDriverState *bs);
void bdrv_clear_monitor_owned(BlockDriverState *bs);

/* Re-read the node's length from the driver into total_sectors. */
int bdrv_refresh_total_sectors(BlockDriverState *bs, int64_t hint);

/* I/O-path bitmap helpers (block_int-io.h in QEMU). */
void bdrv_set_dirty(BlockDriverState *bs, int64_t offset, int64_t bytes);
void bdrv_clear_dirty_bitmap(BdrvDirtyBitmap *bitmap, HBitmap **out);
void bdrv_dirty_bitmap_merge_internal(BdrvDirtyBitmap *dest,
                                      const BdrvDirtyBitmap *src,
                                      HBitmap **backup, bool lock);
/* Global-state helpers (block_int-global-state.h in QEMU). */
void bdrv_restore_dirty_bitmap(BdrvDirtyBitmap *bitmap, HBitmap *backup);
void bdrv_dirty_bitmap_truncate(BlockDriverState *bs, int64_t bytes);

/* Option helpers for drivers; accept typed JSON or keyval strings. */
bool bdrv_opt_get_bool(json_t *options, const char *key, bool def,
                       bool *value, Error **errp);
bool bdrv_opt_get_int(json_t *options, const char *key, int64_t def,
                      int64_t *value, Error **errp);
bool bdrv_opt_get_size(json_t *options, const char *key, uint64_t def,
                       uint64_t *value, Error **errp);
/* A string option, or NULL if absent; error if it is not a string. */
bool bdrv_opt_get_str(json_t *options, const char *key, const char **value,
                      Error **errp);

extern BlockDriver bdrv_null_co;
extern BlockDriver bdrv_null_aio;
extern BlockDriver bdrv_file;
extern BlockDriver bdrv_raw;
extern BlockDriver bdrv_copy_on_read;

#endif /* BLOCK_INT_H */
