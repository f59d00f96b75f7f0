/* SPDX-License-Identifier: GPL-2.0-or-later */
/* BdrvDirtyBitmap: which bytes of a node were written, one HBitmap each. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/host-utils.h"
#include "qemu/lockable.h"
#include "block/block_int.h"
#include "qapi/qapi-types-block-core.h"
#include "qapi/util.h"
#include "trace.h"

/*
 * State bits of a bitmap (BdrvDirtyBitmap.flags). The three that
 * bdrv_dirty_bitmap_check() refuses on are the BitmapCheckFlags values
 * themselves, so a caller's mask can be tested against the state directly.
 */
enum {
    BM_BUSY = BDRV_BITMAP_BUSY,         /* owned by an operation */
    BM_READONLY = BDRV_BITMAP_RO,       /* bits frozen: read-only image */
    BM_INCONSISTENT = BDRV_BITMAP_INCONSISTENT, /* image copy unusable */
    BM_DISABLED = 1 << 3,               /* guest writes are not recorded */
    BM_PERSISTENT = 1 << 4,             /* the driver stores it in the image */
    BM_SKIP_STORE = 1 << 5,             /* ...but not at the next store */
};

/*
 * Items of @hb are bytes of the node. Bits and flags change under the
 * node's dirty_bitmap_mutex; list membership changes under the BQL and
 * that mutex, so either one is enough to walk the list.
 */
struct BdrvDirtyBitmap {
    BlockDriverState *bs;       /* the node whose writes this records */
    HBitmap *hb;                /* one bit per granule */
    int64_t size;               /* bytes: node length at create/truncate */
    char *name;                 /* NULL for anonymous (internal) bitmaps */
    unsigned flags;             /* BM_* */
    BdrvDirtyBitmap *successor; /* records writes while this one is frozen */
    int iterators;              /* live BdrvDirtyBitmapIter on this bitmap */
    QLIST_ENTRY(BdrvDirtyBitmap) link;  /* in bs->dirty_bitmaps */
};

struct BdrvDirtyBitmapIter {
    HBitmapIter hbi;
    BdrvDirtyBitmap *bm;
};

/*
 * Most granules one bitmap may have: 2^36, an 8 GiB bottom level (a
 * 32 TiB node at 512 B). HBitmap allows 2^41, but sizes come from QMP and
 * migration streams and an allocation that large would abort.
 */
#define BM_MAX_GRANULES (1ULL << 36)

static QemuMutex *node_mutex(BlockDriverState *bs)
{
    return &bs->dirty_bitmap_mutex;
}

static bool bm_has(const BdrvDirtyBitmap *bm, unsigned flag)
{
    return bm->flags & flag;
}

/* Called with the node's mutex held. */
static void bm_put(BdrvDirtyBitmap *bm, unsigned flag, bool on)
{
    if (on) {
        bm->flags |= flag;
    } else {
        bm->flags &= ~flag;
    }
}

static void bm_change(BdrvDirtyBitmap *bm, unsigned flag, bool on)
{
    QEMU_LOCK_GUARD(node_mutex(bm->bs));
    bm_put(bm, flag, on);
}

void bdrv_dirty_bitmap_lock(BdrvDirtyBitmap *bitmap)
{
    qemu_mutex_lock(node_mutex(bitmap->bs));
}

void bdrv_dirty_bitmap_unlock(BdrvDirtyBitmap *bitmap)
{
    qemu_mutex_unlock(node_mutex(bitmap->bs));
}

/* Lock the mutexes of one or two nodes, @a's first. */
static void lock_nodes(BlockDriverState *a, BlockDriverState *b)
{
    qemu_mutex_lock(node_mutex(a));
    if (b != a) {
        qemu_mutex_lock(node_mutex(b));
    }
}

static void unlock_nodes(BlockDriverState *a, BlockDriverState *b)
{
    if (b != a) {
        qemu_mutex_unlock(node_mutex(b));
    }
    qemu_mutex_unlock(node_mutex(a));
}

/* ---- The node's list: create, find, walk, release ---- */

/* Enter named @bm in its node's name index.  The node's mutex is held. */
static void bm_index_locked(BdrvDirtyBitmap *bm)
{
    BlockDriverState *bs = bm->bs;

    if (!bm->name) {
        return;
    }
    if (!bs->dirty_bitmap_names) {
        bs->dirty_bitmap_names = g_hash_table_new(g_str_hash, g_str_equal);
    }
    /* The key is the bitmap's own string: replaced along with the value. */
    g_hash_table_replace(bs->dirty_bitmap_names, bm->name, bm);
}

static bool bm_may_create(BlockDriverState *bs, uint32_t granularity,
                          const char *name, Error **errp)
{
    /* The granularity may come from a migration stream: refuse, not assert */
    if (granularity < BDRV_SECTOR_SIZE || !is_power_of_2(granularity)) {
        error_setg(errp, "Granularity must be power of 2 and at least 512");
        return false;
    }
    if (!name) {
        return true;
    }
    if (bdrv_find_dirty_bitmap(bs, name)) {
        error_setg(errp, "Bitmap already exists: %s", name);
        return false;
    }
    if (strlen(name) > BDRV_BITMAP_MAX_NAME_SIZE) {
        error_setg(errp, "Bitmap name too long: %s", name);
        return false;
    }
    return true;
}

/* Allocate an enabled, empty bitmap of @size bytes at the list head. */
static BdrvDirtyBitmap *bm_new(BlockDriverState *bs, uint32_t granularity,
                               const char *name, int64_t size)
{
    BdrvDirtyBitmap *bm = g_new0(BdrvDirtyBitmap, 1);

    bm->bs = bs;
    bm->hb = hbitmap_alloc(size, ctz32(granularity));
    bm->size = size;
    bm->name = g_strdup(name);
    WITH_QEMU_LOCK_GUARD(node_mutex(bs)) {
        QLIST_INSERT_HEAD(&bs->dirty_bitmaps, bm, link);
        bm_index_locked(bm);
    }
    trace_bdrv_create_dirty_bitmap(bs, bm, name ?: "", granularity, size);
    return bm;
}

BdrvDirtyBitmap *bdrv_create_dirty_bitmap(BlockDriverState *bs,
                                          uint32_t granularity,
                                          const char *name, Error **errp)
{
    int64_t len;

    if (!bm_may_create(bs, granularity, name, errp)) {
        return NULL;
    }
    len = bdrv_getlength(bs);
    if (len < 0) {
        error_setg_errno(errp, -len, "could not get length of device");
        errno = -len;
        return NULL;
    }
    if (DIV_ROUND_UP((uint64_t)len, granularity) > BM_MAX_GRANULES) {
        error_setg(errp, "Bitmap '%s' would be too large: %" PRId64
                   " bytes at granularity %" PRIu32,
                   name ?: "", len, granularity);
        return NULL;
    }
    return bm_new(bs, granularity, name, len);
}

BdrvDirtyBitmap *bdrv_find_dirty_bitmap(BlockDriverState *bs,
                                        const char *name)
{
    BdrvDirtyBitmap *bm;

    assert(name);
    if (!bs->dirty_bitmap_names) {
        return NULL;
    }
    bm = g_hash_table_lookup(bs->dirty_bitmap_names, name);
    assert(!bm || !strcmp(bm->name, name));
    return bm;
}

BdrvDirtyBitmap *bdrv_dirty_bitmap_first(BlockDriverState *bs)
{
    return QLIST_FIRST(&bs->dirty_bitmaps);
}

BdrvDirtyBitmap *bdrv_dirty_bitmap_next(BdrvDirtyBitmap *bitmap)
{
    return QLIST_NEXT(bitmap, link);
}

bool bdrv_has_named_bitmaps(BlockDriverState *bs)
{
    BdrvDirtyBitmap *bm;

    QLIST_FOREACH(bm, &bs->dirty_bitmaps, link) {
        if (bm->name) {
            return true;
        }
    }
    return false;
}

bool bdrv_has_readonly_bitmaps(BlockDriverState *bs)
{
    BdrvDirtyBitmap *bm;

    QLIST_FOREACH(bm, &bs->dirty_bitmaps, link) {
        if (bm_has(bm, BM_READONLY)) {
            return true;
        }
    }
    return false;
}

/* Called with the node's mutex held. */
static void bm_release_locked(BdrvDirtyBitmap *bm)
{
    /* Whoever still uses it would be left with a dangling pointer. */
    assert(!bm_has(bm, BM_BUSY) && !bm->successor && !bm->iterators);
    trace_bdrv_release_dirty_bitmap(bm, bm->name ?: "");
    QLIST_REMOVE(bm, link);
    if (bm->name) {
        g_hash_table_remove(bm->bs->dirty_bitmap_names, bm->name);
    }
    hbitmap_free(bm->hb);
    g_free(bm->name);
    g_free(bm);
}

void bdrv_release_dirty_bitmap(BdrvDirtyBitmap *bitmap)
{
    QEMU_LOCK_GUARD(node_mutex(bitmap->bs));
    bm_release_locked(bitmap);
}

void bdrv_release_named_dirty_bitmaps(BlockDriverState *bs)
{
    BdrvDirtyBitmap *bm, *next;

    QEMU_LOCK_GUARD(node_mutex(bs));
    QLIST_FOREACH_SAFE(bm, &bs->dirty_bitmaps, link, next) {
        if (bm->name) {
            bm_release_locked(bm);
        }
    }
}

/* The block layer refuses to resize while a bitmap is in use (io.c). */
void bdrv_dirty_bitmap_truncate(BlockDriverState *bs, int64_t bytes)
{
    BdrvDirtyBitmap *bm;

    QEMU_LOCK_GUARD(node_mutex(bs));
    QLIST_FOREACH(bm, &bs->dirty_bitmaps, link) {
        assert(!bm_has(bm, BM_BUSY) && !bm->successor && !bm->iterators);
        hbitmap_truncate(bm->hb, bytes);
        bm->size = bytes;
    }
}

/* ---- State ---- */

const char *bdrv_dirty_bitmap_name(const BdrvDirtyBitmap *bitmap)
{
    return bitmap->name;
}

int64_t bdrv_dirty_bitmap_size(const BdrvDirtyBitmap *bitmap)
{
    return bitmap->size;
}

uint32_t bdrv_dirty_bitmap_granularity(const BdrvDirtyBitmap *bitmap)
{
    return UINT32_C(1) << hbitmap_granularity(bitmap->hb);
}

int64_t bdrv_get_dirty_count(BdrvDirtyBitmap *bitmap)
{
    return hbitmap_count(bitmap->hb);
}

bool bdrv_dirty_bitmap_enabled(BdrvDirtyBitmap *bitmap)
{
    return !bm_has(bitmap, BM_DISABLED);
}

bool bdrv_dirty_bitmap_readonly(const BdrvDirtyBitmap *bitmap)
{
    return bm_has(bitmap, BM_READONLY);
}

bool bdrv_dirty_bitmap_inconsistent(const BdrvDirtyBitmap *bitmap)
{
    return bm_has(bitmap, BM_INCONSISTENT);
}

bool bdrv_dirty_bitmap_get_persistence(BdrvDirtyBitmap *bitmap)
{
    return (bitmap->flags & (BM_PERSISTENT | BM_SKIP_STORE)) == BM_PERSISTENT;
}

/* QEMU 7.2 declares this but never defines it: nothing autoloads. */
bool bdrv_dirty_bitmap_get_autoload(const BdrvDirtyBitmap *bitmap)
{
    return false;
}

bool bdrv_dirty_bitmap_has_successor(BdrvDirtyBitmap *bitmap)
{
    return bitmap->successor != NULL;
}

/* Writes reach it, directly or through its successor. */
static bool bm_recording(const BdrvDirtyBitmap *bm)
{
    const BdrvDirtyBitmap *s = bm->successor;

    return !bm_has(bm, BM_DISABLED) || (s && !bm_has(s, BM_DISABLED));
}

void bdrv_enable_dirty_bitmap_locked(BdrvDirtyBitmap *bitmap)
{
    bm_put(bitmap, BM_DISABLED, false);
}

void bdrv_enable_dirty_bitmap(BdrvDirtyBitmap *bitmap)
{
    bm_change(bitmap, BM_DISABLED, false);
}

void bdrv_disable_dirty_bitmap(BdrvDirtyBitmap *bitmap)
{
    bm_change(bitmap, BM_DISABLED, true);
}

void bdrv_dirty_bitmap_set_busy(BdrvDirtyBitmap *bitmap, bool busy)
{
    bm_change(bitmap, BM_BUSY, busy);
}

void bdrv_dirty_bitmap_set_readonly(BdrvDirtyBitmap *bitmap, bool value)
{
    bm_change(bitmap, BM_READONLY, value);
}

void bdrv_dirty_bitmap_set_persistence(BdrvDirtyBitmap *bitmap,
                                       bool persistent)
{
    bm_change(bitmap, BM_PERSISTENT, persistent);
}

void bdrv_dirty_bitmap_skip_store(BdrvDirtyBitmap *bitmap, bool skip)
{
    bm_change(bitmap, BM_SKIP_STORE, skip);
}

void bdrv_dirty_bitmap_set_inconsistent(BdrvDirtyBitmap *bitmap)
{
    /* Only a driver loading a stored bitmap finds it inconsistent. */
    assert(bm_has(bitmap, BM_PERSISTENT));
    bm_change(bitmap, BM_INCONSISTENT | BM_DISABLED, true);
}

/* What bdrv_dirty_bitmap_check() says for each refused state, in order. */
static const struct {
    unsigned flag;
    const char *why;
} bm_refusals[] = {
    { BM_BUSY, "is currently in use by another operation and cannot be used" },
    { BM_READONLY, "is readonly and cannot be modified" },
    { BM_INCONSISTENT, "is inconsistent and cannot be used" },
};

int bdrv_dirty_bitmap_check(const BdrvDirtyBitmap *bitmap, uint32_t flags,
                            Error **errp)
{
    ERRP_GUARD();
    unsigned refused = bitmap->flags & flags;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(bm_refusals); i++) {
        if (refused & bm_refusals[i].flag) {
            error_setg(errp, "Bitmap '%s' %s",
                       bitmap->name ?: "(null)", bm_refusals[i].why);
            if (bm_refusals[i].flag == BM_INCONSISTENT) {
                error_append_hint(errp, "Try block-dirty-bitmap-remove to "
                                  "delete this bitmap from disk\n");
            }
            return -1;
        }
    }
    return 0;
}

/* ---- Successors: freeze a bitmap while an operation reads it ---- */

int bdrv_dirty_bitmap_create_successor(BdrvDirtyBitmap *bitmap,
                                       Error **errp)
{
    BdrvDirtyBitmap *s;

    if (bdrv_dirty_bitmap_check(bitmap, BDRV_BITMAP_BUSY, errp)) {
        return -1;
    }
    if (bitmap->successor) {
        error_setg(errp, "Cannot create a successor for a bitmap that "
                   "already has one");
        return -1;
    }
    /*
     * Same size as the parent (not the node's current length), so that
     * reclaiming can always merge the two.
     */
    s = bm_new(bitmap->bs, bdrv_dirty_bitmap_granularity(bitmap), NULL,
               bitmap->size);
    /* New writes go where they went before; the parent's bits freeze. */
    WITH_QEMU_LOCK_GUARD(node_mutex(bitmap->bs)) {
        bm_put(s, BM_DISABLED, bm_has(bitmap, BM_DISABLED));
        bm_put(bitmap, BM_DISABLED | BM_BUSY, true);
        bitmap->successor = s;
    }
    trace_bdrv_dirty_bitmap_create_successor(bitmap, s);
    return 0;
}

void bdrv_dirty_bitmap_enable_successor(BdrvDirtyBitmap *bitmap)
{
    BdrvDirtyBitmap *s = bitmap->successor;

    assert(s && s->bs == bitmap->bs);
    bm_change(s, BM_DISABLED, false);
}

BdrvDirtyBitmap *bdrv_dirty_bitmap_abdicate(BdrvDirtyBitmap *bitmap,
                                            Error **errp)
{
    BdrvDirtyBitmap *s = bitmap->successor;

    if (!s) {
        error_setg(errp, "Cannot relinquish control if there's no "
                   "successor present");
        return NULL;
    }
    /* The successor becomes the bitmap; the frozen bits are dropped. */
    QEMU_LOCK_GUARD(node_mutex(bitmap->bs));
    s->name = g_steal_pointer(&bitmap->name);
    bm_index_locked(s);
    bm_put(s, BM_PERSISTENT, bm_has(bitmap, BM_PERSISTENT));
    bm_put(bitmap, BM_PERSISTENT | BM_BUSY, false);
    bitmap->successor = NULL;
    bm_release_locked(bitmap);
    return s;
}

BdrvDirtyBitmap *bdrv_reclaim_dirty_bitmap_locked(BdrvDirtyBitmap *bitmap,
                                                  Error **errp)
{
    BdrvDirtyBitmap *s = bitmap->successor;

    if (!s) {
        error_setg(errp, "Cannot reclaim a successor when none is present");
        return NULL;
    }
    /* Fold what the successor recorded back in; it records no longer. */
    hbitmap_merge(bitmap->hb, s->hb, bitmap->hb);
    bm_put(bitmap, BM_DISABLED, bm_has(s, BM_DISABLED));
    bm_put(bitmap, BM_BUSY, false);
    bitmap->successor = NULL;
    bm_release_locked(s);
    trace_bdrv_reclaim_dirty_bitmap(bitmap, !bm_has(bitmap, BM_DISABLED));
    return bitmap;
}

BdrvDirtyBitmap *bdrv_reclaim_dirty_bitmap(BdrvDirtyBitmap *bitmap,
                                           Error **errp)
{
    QEMU_LOCK_GUARD(node_mutex(bitmap->bs));
    return bdrv_reclaim_dirty_bitmap_locked(bitmap, errp);
}

/* ---- Bits ---- */

bool bdrv_dirty_bitmap_get_locked(BdrvDirtyBitmap *bitmap, int64_t offset)
{
    return hbitmap_get(bitmap->hb, offset);
}

bool bdrv_dirty_bitmap_get(BdrvDirtyBitmap *bitmap, int64_t offset)
{
    QEMU_LOCK_GUARD(node_mutex(bitmap->bs));
    return bdrv_dirty_bitmap_get_locked(bitmap, offset);
}

/* Set (@dirty) or reset a byte range; called with the node's mutex held. */
static void bm_mark_locked(BdrvDirtyBitmap *bm, int64_t offset,
                           int64_t bytes, bool dirty)
{
    assert(!bm_has(bm, BM_READONLY));
    if (dirty) {
        hbitmap_set(bm->hb, offset, bytes);
    } else {
        hbitmap_reset(bm->hb, offset, bytes);
    }
}

void bdrv_set_dirty_bitmap_locked(BdrvDirtyBitmap *bitmap,
                                  int64_t offset, int64_t bytes)
{
    bm_mark_locked(bitmap, offset, bytes, true);
}

void bdrv_reset_dirty_bitmap_locked(BdrvDirtyBitmap *bitmap,
                                    int64_t offset, int64_t bytes)
{
    bm_mark_locked(bitmap, offset, bytes, false);
}

void bdrv_set_dirty_bitmap(BdrvDirtyBitmap *bitmap,
                           int64_t offset, int64_t bytes)
{
    QEMU_LOCK_GUARD(node_mutex(bitmap->bs));
    bm_mark_locked(bitmap, offset, bytes, true);
}

void bdrv_reset_dirty_bitmap(BdrvDirtyBitmap *bitmap,
                             int64_t offset, int64_t bytes)
{
    QEMU_LOCK_GUARD(node_mutex(bitmap->bs));
    bm_mark_locked(bitmap, offset, bytes, false);
}

/* A write or discard of [offset, offset + bytes) finished on @bs. */
void bdrv_set_dirty(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    BdrvDirtyBitmap *bm;

    IO_CODE();

    if (QLIST_EMPTY(&bs->dirty_bitmaps)) {
        return;
    }
    QEMU_LOCK_GUARD(node_mutex(bs));
    QLIST_FOREACH(bm, &bs->dirty_bitmaps, link) {
        if (bm_has(bm, BM_DISABLED)) {
            continue;
        }
        assert(!bm_has(bm, BM_READONLY));
        /* A bitmap not resized with its busy siblings keeps its length. */
        if (offset < bm->size) {
            hbitmap_set(bm->hb, offset, MIN(bytes, bm->size - offset));
        }
    }
}

void bdrv_clear_dirty_bitmap(BdrvDirtyBitmap *bitmap, HBitmap **out)
{
    IO_CODE();
    assert(!bm_has(bitmap, BM_READONLY));
    QEMU_LOCK_GUARD(node_mutex(bitmap->bs));
    if (out) {
        /* Hand the bits to the caller, who may restore them later. */
        *out = bitmap->hb;
        bitmap->hb = hbitmap_alloc(bitmap->size, hbitmap_granularity(*out));
    } else {
        hbitmap_reset_all(bitmap->hb);
    }
}

void bdrv_restore_dirty_bitmap(BdrvDirtyBitmap *bitmap, HBitmap *backup)
{
    HBitmap *current = bitmap->hb;

    GLOBAL_STATE_CODE();

    assert(!bm_has(bitmap, BM_READONLY));
    bitmap->hb = backup;
    hbitmap_free(current);
}

void bdrv_dirty_bitmap_merge_internal(BdrvDirtyBitmap *dest,
                                      const BdrvDirtyBitmap *src,
                                      HBitmap **backup, bool lock)
{
    HBitmap *merged;

    IO_CODE();

    assert(!bm_has(dest, BM_READONLY));
    assert(!bm_has(dest, BM_INCONSISTENT) && !bm_has(src, BM_INCONSISTENT));
    if (lock) {
        lock_nodes(dest->bs, src->bs);
    }
    if (backup) {
        /* Keep the old map whole for bdrv_restore_dirty_bitmap(). */
        merged = hbitmap_alloc(dest->size, hbitmap_granularity(dest->hb));
        hbitmap_merge(dest->hb, src->hb, merged);
        *backup = dest->hb;
        dest->hb = merged;
    } else {
        hbitmap_merge(dest->hb, src->hb, dest->hb);
    }
    if (lock) {
        unlock_nodes(dest->bs, src->bs);
    }
}

bool bdrv_merge_dirty_bitmap(BdrvDirtyBitmap *dest,
                             const BdrvDirtyBitmap *src,
                             HBitmap **backup, Error **errp)
{
    bool ok = false;

    lock_nodes(dest->bs, src->bs);
    if (bdrv_dirty_bitmap_check(dest, BDRV_BITMAP_DEFAULT, errp) ||
        bdrv_dirty_bitmap_check(src, BDRV_BITMAP_ALLOW_RO, errp)) {
        goto out_unlock;
    }
    /* Granularities may differ; the byte ranges must match. */
    if (dest->size != src->size) {
        error_setg(errp, "Bitmaps are of different sizes (destination size "
                   "is %" PRId64 ", source size is %" PRId64 ") and can't "
                   "be merged", dest->size, src->size);
        goto out_unlock;
    }
    bdrv_dirty_bitmap_merge_internal(dest, src, backup, false);
    ok = true;
out_unlock:
    unlock_nodes(dest->bs, src->bs);
    return ok;
}

/* ---- Reading a bitmap: iterators, searches, serialization (bytes) ---- */

BdrvDirtyBitmapIter *bdrv_dirty_iter_new(BdrvDirtyBitmap *bitmap)
{
    BdrvDirtyBitmapIter *it = g_new(BdrvDirtyBitmapIter, 1);

    hbitmap_iter_init(&it->hbi, bitmap->hb, 0);
    it->bm = bitmap;
    bitmap->iterators++;
    return it;
}

void bdrv_dirty_iter_free(BdrvDirtyBitmapIter *iter)
{
    if (iter) {
        assert(iter->bm->iterators > 0);
        iter->bm->iterators--;
        g_free(iter);
    }
}

int64_t bdrv_dirty_iter_next(BdrvDirtyBitmapIter *iter)
{
    return hbitmap_iter_next(&iter->hbi);
}

void bdrv_set_dirty_iter(BdrvDirtyBitmapIter *hbi, int64_t offset)
{
    hbitmap_iter_init(&hbi->hbi, hbi->bm->hb, offset);
}

/*
 * Searches, in bytes. A range that runs past the end stops there, so
 * INT64_MAX means "to the end"; -1 or false means nothing was found.
 */
bool bdrv_dirty_bitmap_next_dirty_area(BdrvDirtyBitmap *bitmap,
        int64_t start, int64_t end, int64_t max_dirty_count,
        int64_t *dirty_start, int64_t *dirty_count)
{
    return hbitmap_next_dirty_area(bitmap->hb, start, end, max_dirty_count,
                                   dirty_start, dirty_count);
}

int64_t bdrv_dirty_bitmap_next_dirty(BdrvDirtyBitmap *bitmap, int64_t offset,
                                     int64_t bytes)
{
    return hbitmap_next_dirty(bitmap->hb, offset, bytes);
}

int64_t bdrv_dirty_bitmap_next_zero(BdrvDirtyBitmap *bitmap, int64_t offset,
                                    int64_t bytes)
{
    return hbitmap_next_zero(bitmap->hb, offset, bytes);
}

char *bdrv_dirty_bitmap_sha256(const BdrvDirtyBitmap *bitmap, Error **errp)
{
    return hbitmap_sha256(bitmap->hb, errp);
}

uint64_t bdrv_dirty_bitmap_serialization_align(const BdrvDirtyBitmap *bitmap)
{
    return hbitmap_serialization_align(bitmap->hb);
}

/* Each serialized byte holds 8 granules. */
uint64_t bdrv_dirty_bitmap_serialization_coverage(int serialized_chunk_size,
        const BdrvDirtyBitmap *bitmap)
{
    assert(serialized_chunk_size % 8 == 0);
    return (uint64_t)serialized_chunk_size * 8 *
           bdrv_dirty_bitmap_granularity(bitmap);
}

uint64_t bdrv_dirty_bitmap_serialization_size(const BdrvDirtyBitmap *bitmap,
                                              uint64_t offset, uint64_t bytes)
{
    return hbitmap_serialization_size(bitmap->hb, offset, bytes);
}

void bdrv_dirty_bitmap_serialize_part(const BdrvDirtyBitmap *bitmap,
                                      uint8_t *buf, uint64_t offset,
                                      uint64_t bytes)
{
    hbitmap_serialize_part(bitmap->hb, buf, offset, bytes);
}

/* How incoming bits arrive: as data, or as a run of zeroes or ones. */
typedef enum BmLoad {
    BM_LOAD_DATA,
    BM_LOAD_ZEROES,
    BM_LOAD_ONES,
} BmLoad;

/*
 * One entry for every chunk a migration stream or an image loads into
 * @bm, so that a trace shows where the bits came from. The chunk rules
 * are HBitmap's (hbitmap_deserialize_part); @finish rebuilds the counts.
 */
static void bm_load(BdrvDirtyBitmap *bm, BmLoad how, uint8_t *buf,
                    uint64_t offset, uint64_t bytes, bool finish)
{
    trace_bdrv_dirty_bitmap_load(bm, how, offset, bytes, finish);
    switch (how) {
    case BM_LOAD_DATA:
        hbitmap_deserialize_part(bm->hb, buf, offset, bytes, finish);
        break;
    case BM_LOAD_ZEROES:
        hbitmap_deserialize_zeroes(bm->hb, offset, bytes, finish);
        break;
    case BM_LOAD_ONES:
        hbitmap_deserialize_ones(bm->hb, offset, bytes, finish);
        break;
    }
}

void bdrv_dirty_bitmap_deserialize_part(BdrvDirtyBitmap *bitmap,
                                        uint8_t *buf, uint64_t offset,
                                        uint64_t bytes, bool finish)
{
    bm_load(bitmap, BM_LOAD_DATA, buf, offset, bytes, finish);
}

void bdrv_dirty_bitmap_deserialize_zeroes(BdrvDirtyBitmap *bitmap,
                                          uint64_t offset, uint64_t bytes,
                                          bool finish)
{
    bm_load(bitmap, BM_LOAD_ZEROES, NULL, offset, bytes, finish);
}

void bdrv_dirty_bitmap_deserialize_ones(BdrvDirtyBitmap *bitmap,
                                        uint64_t offset, uint64_t bytes,
                                        bool finish)
{
    bm_load(bitmap, BM_LOAD_ONES, NULL, offset, bytes, finish);
}

void bdrv_dirty_bitmap_deserialize_finish(BdrvDirtyBitmap *bitmap)
{
    trace_bdrv_dirty_bitmap_load_finish(bitmap);
    hbitmap_deserialize_finish(bitmap->hb);
}

/* ---- Node-level queries and the driver's persistent storage ---- */

static BlockDirtyInfo *bm_info(const BdrvDirtyBitmap *bm)
{
    BlockDirtyInfo *info = g_new0(BlockDirtyInfo, 1);

    info->has_name = bm->name != NULL;
    info->name = g_strdup(bm->name);
    info->count = hbitmap_count(bm->hb);
    info->granularity = bdrv_dirty_bitmap_granularity(bm);
    info->recording = bm_recording(bm);
    info->busy = bm_has(bm, BM_BUSY);
    info->persistent = bm_has(bm, BM_PERSISTENT);   /* skip_store aside */
    info->inconsistent = bm_has(bm, BM_INCONSISTENT);
    info->has_inconsistent = info->inconsistent;
    return info;
}

BlockDirtyInfoList *bdrv_query_dirty_bitmaps(BlockDriverState *bs)
{
    BlockDirtyInfoList *list = NULL, **tail = &list;
    BdrvDirtyBitmap *bm;

    QEMU_LOCK_GUARD(node_mutex(bs));
    QLIST_FOREACH(bm, &bs->dirty_bitmaps, link) {
        QAPI_LIST_APPEND(tail, bm_info(bm));
    }
    return list;
}

/* The cluster size clamped to [4 KiB, 64 KiB]; 64 KiB if there is none. */
uint32_t bdrv_get_default_bitmap_granularity(BlockDriverState *bs)
{
    BlockDriverInfo bdi;

    if (bdrv_get_info(bs, &bdi) < 0 || bdi.cluster_size <= 0) {
        return 64 * KiB;
    }
    return MIN(MAX(bdi.cluster_size, 4 * KiB), 64 * KiB);
}

bool bdrv_supports_persistent_dirty_bitmap(BlockDriverState *bs)
{
    BlockDriver *drv = bs->drv;

    return drv && drv->bdrv_supports_persistent_dirty_bitmap &&
           drv->bdrv_supports_persistent_dirty_bitmap(bs);
}

bool bdrv_can_store_new_dirty_bitmap(BlockDriverState *bs, const char *name,
                                     uint32_t granularity, Error **errp)
{
    BlockDriver *drv = bs->drv;
    int err = !drv ? ENOMEDIUM
              : !drv->bdrv_co_can_store_new_dirty_bitmap ? ENOTSUP : 0;

    IO_CODE();

    if (err) {
        error_setg_errno(errp, err, "Can't store persistent bitmaps to %s",
                         bdrv_get_device_or_node_name(bs));
        return false;
    }
    return drv->bdrv_co_can_store_new_dirty_bitmap(bs, name, granularity,
                                                   errp);
}

/* A bitmap that never reached the image is not an error. */
int bdrv_remove_persistent_dirty_bitmap(BlockDriverState *bs,
                                        const char *name, Error **errp)
{
    BlockDriver *drv = bs->drv;

    if (!drv || !drv->bdrv_co_remove_persistent_dirty_bitmap) {
        return 0;
    }
    return drv->bdrv_co_remove_persistent_dirty_bitmap(bs, name, errp);
}
