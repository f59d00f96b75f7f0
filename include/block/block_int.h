/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Block layer internals: BlockDriver, BlockDriverState, BdrvChild. */
#ifndef BLOCK_INT_H
#define BLOCK_INT_H

#include "block/block.h"
#include "qemu/queue.h"
#include "qemu/thread.h"

typedef struct ImageInfoSpecific ImageInfoSpecific;
typedef struct BDRVReopenState BDRVReopenState;

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
     * A reader that shares no write permission with other processes
     * (@unshare), or stops doing so: QEMU's qcow2 on a read-only image.
     */
    int (*bdrv_unshare_write)(BlockDriverState *bs, bool unshare,
                              Error **errp);

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

    /*
     * Reopen (blockdev-reopen, bdrv_reopen_set_read_only()): change a
     * node's options in place, all nodes of a BlockReopenQueue or none.
     * A driver without bdrv_reopen_prepare cannot be reopened.
     *
     * The block layer first does the generic part for every node of the
     * queue, parents before children: it parses the options every node
     * takes (read-only, cache, discard, detect-zeroes) into
     * @reopen_state->flags and ->detect_zeroes, swaps children the
     * options replace, and works out ->perm (whether some parent will
     * write to the node). Then, per node in queue order:
     *
     * bdrv_reopen_prepare: check the new options and get ready; nothing
     *   that another process or the guest can see may change yet, except
     *   what bdrv_reopen_abort undoes. Delete from ->options each key the
     *   driver takes (it may change them); the keys left must equal the
     *   node's current ones ("Cannot change the option '%s'"). Options the
     *   old set had and the new one lacks are refused before the call
     *   ("Option '%s' cannot be reset to its default value") unless they
     *   are in @mutable_opts. Keep what commit needs in ->opaque.
     *   Going read-write to read-only (->flags lacks BDRV_O_RDWR), a
     *   driver that stores bitmaps stores every bitmap for which
     *   bdrv_dirty_bitmap_get_persistence() is true and that is not
     *   inconsistent, without releasing it, and clears IN_USE in the
     *   image: the bitmaps stay loaded, and a failure fails the reopen.
     *   It also flushes its metadata. The file child is still writable.
     *
     * bdrv_reopen_commit: make the new state current; cannot fail.
     *   Children are committed before their parents, so bs->file already
     *   has its new flags (and file-posix its new descriptor); bs itself
     *   still has its old bs->open_flags, which the block layer sets
     *   after the call. When the node became read-only, the block layer
     *   then marks each bitmap with get_persistence() readonly.
     *
     * bdrv_reopen_commit_post: after every node committed, with
     *   bs->open_flags == ->flags. A driver that writes metadata whenever
     *   it is writable (qcow2) holds a write user on its file child
     *   (bdrv_add_write_user()): it takes it here when the node became
     *   writable and drops it when it became read-only (the block layer
     *   checked in prepare that the child may be written, ->perm of the
     *   child, and file-posix tested its image locks then). If the file
     *   child was replaced (->old_file_bs), its write user moves to the
     *   new one. Going read-only to read-write, it then marks the
     *   persistent bitmaps IN_USE in the image. Return 0, or -errno with
     *   @errp set: the block layer clears the readonly flag of the
     *   node's persistent bitmaps only on success and reports the error
     *   as QEMU does ("<node>: Failed to make dirty bitmaps writable:
     *   ..."); the reopen stands. (QEMU's hook returns void and clears
     *   the flag itself; its permissions are the block layer's.)
     *
     * bdrv_reopen_abort: undo bdrv_reopen_prepare (called only for nodes
     *   whose prepare succeeded, in reverse order), e.g. mark the bitmaps
     *   stored in prepare IN_USE again: the node stays as it was.
     */
    int (*bdrv_reopen_prepare)(BDRVReopenState *reopen_state,
                               BlockReopenQueue *queue, Error **errp);
    void (*bdrv_reopen_commit)(BDRVReopenState *reopen_state);
    int (*bdrv_reopen_commit_post)(BDRVReopenState *reopen_state,
                                   Error **errp);
    void (*bdrv_reopen_abort)(BDRVReopenState *reopen_state);
    /*
     * Would resizing @child through another user change what @bs shows?
     * Then @bs does not share BLK_PERM_RESIZE on it, as in QEMU, and
     * block_resize of the child fails. NULL: only a child that holds
     * metadata (BDRV_CHILD_METADATA) may not be resized.
     */
    bool (*bdrv_child_unshares_resize)(BlockDriverState *bs,
                                       BdrvChild *child);

    /* Driver options a reopen may leave out (they go to their default). */
    const char *const *mutable_opts;

    QLIST_ENTRY(BlockDriver) list;  /* in the registered drivers list */
};

/* One node of a reopen, as its driver's hooks see it. */
struct BDRVReopenState {
    BlockDriverState *bs;
    int flags;                  /* BDRV_O_* the node will have */
    int detect_zeroes;          /* BDRV_DETECT_ZEROES_* it will have */
    uint64_t perm;              /* BLK_PERM_WRITE if a parent will write */
    json_t *options;            /* driver options left to take or check */
    json_t *explicit_options;   /* every option given: bs's after commit */
    BlockDriverState *old_file_bs;      /* file child replaced, or NULL */
    BlockDriverState *old_backing_bs;   /* backing child replaced, or NULL */
    void *opaque;               /* the driver's, from prepare to commit */
};

/* What a parent of a BdrvChild is: another node or a BlockBackend. */
struct BdrvChildClass {
    bool parent_is_bds;                     /* opaque is a BlockDriverState */
    /* Name of the parent for messages ("" if it has none). */
    const char *(*get_name)(BdrvChild *child);
    /*
     * A parent that is no node: does it hold BLK_PERM_WRITE on the child
     * (a device attached to a BlockBackend)? NULL: never.
     */
    bool (*writes)(BdrvChild *child);
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

    /*
     * The options the node was opened (or last reopened) with, as given:
     * children appear as node-name references. A reopen that leaves out
     * one of the driver's options resets it, which most drivers refuse.
     */
    json_t *explicit_options;
    /*
     * The options in effect: the explicit ones, plus read-only,
     * auto-read-only and cache.* as the node has them (given, inherited
     * from the parent that opened it, or defaults). A reopen that keeps
     * old options falls back on these last, as QEMU's bs->options.
     */
    json_t *options;
    /*
     * The parent that opened this node from its own options (an inline
     * child definition), or NULL: a reopen of that parent reopens this
     * node too, which inherits options the reopen leaves out of it.
     */
    BlockDriverState *inherits_from;

    /* Bitmaps, newest first. Writers hold the BQL and the mutex. */
    QLIST_HEAD(, BdrvDirtyBitmap) dirty_bitmaps;
    /*
     * The named ones by name (owned by the bitmaps), so that a lookup
     * costs the same with ten thousand bitmaps as with one.  Changed
     * with the list; created with the first named bitmap.
     */
    GHashTable *dirty_bitmap_names;
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

/* ---- block.c internals that block/reopen.c shares ---- */

/*
 * Parse (and delete from @options) the options every node takes:
 * read-only, auto-read-only, force-share, discard, detect-zeroes, cache.
 * *@flags holds the defaults on entry and the result on return.
 */
bool bdrv_parse_common_options(json_t *options, int *flags,
                               int *detect_zeroes, bool *force_share,
                               Error **errp);
/* The options that identify the node's data, for json: filenames. */
json_t *bdrv_strong_options(BlockDriver *drv, json_t *options);
/* Recompute bs->filename from its options and its children's names. */
void bdrv_refresh_filename(BlockDriverState *bs);
/*
 * Sort @keys (option names, in the order they were added) into the
 * order QEMU's QDict iterates them: messages that name the first
 * offending option name the one QEMU names.
 */
void bdrv_qdict_order(GPtrArray *keys);
/*
 * Add to @options the read-only, auto-read-only and cache.* options that
 * BDRV_O_* @flags mean, where @options does not have them.
 */
void bdrv_flags_to_options(json_t *options, int flags);
/* Take or give up the write permission through the driver's hook. */
int bdrv_set_write_perm(BlockDriverState *bs, bool write, Error **errp);

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
extern BlockDriver bdrv_qcow2;
extern BlockDriver bdrv_copy_on_read;

#endif /* BLOCK_INT_H */
