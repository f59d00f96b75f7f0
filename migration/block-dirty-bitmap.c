/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Block dirty bitmap migration: the "dirty-bitmap" live section. */

/*
 * Which bitmaps travel
 *   Every named bitmap of every node that has a usable name on the wire:
 *   the BlockBackend's name for the node under a named backend (filters
 *   without bitmaps of their own are looked through), else the node name.
 *   With the block-bitmap-mapping parameter, exactly the node/bitmap pairs
 *   it lists, under their aliases.  The destination creates each bitmap
 *   under the same (or mapped) name and granularity; a name that exists
 *   there already fails the migration.
 *
 * The stream (QEMU 7.2's, see ../shared/reference/migration-stream.md)
 *   Each START, PART and END payload of the section is a run of chunks
 *   that ends with a chunk whose flags hold EOS.  Integers are big-endian
 *   and unaligned.  A chunk is
 *     flags          one byte; if it has 0x80 set a second byte follows,
 *                    and if that one has 0x80 set too, a be16.  The value
 *                    is the bytes read so far shifted together; the chunk
 *                    bits are always in the last byte.  We send one byte.
 *     node alias     u8 length (1..255) and the bytes, if DEVICE_NAME
 *     bitmap alias   the same, if BITMAP_NAME
 *     body           START:    be32 granularity, u8 bitmap flags
 *                    COMPLETE: nothing
 *                    BITS:     be64 first sector, be32 sector count and,
 *                              unless ZEROES, be64 buffer size + buffer
 *   (START wins over COMPLETE, COMPLETE over BITS.)  Names may be left
 *   out when they are those of the chunk before, across sections too.
 *   Sectors are 512 bytes whatever the granularity.  A BITS buffer is the
 *   bitmap's serialization of the range: little-endian 64-bit words, bit
 *   g of word w standing for granule 64 * w + g.  A range starts on a
 *   64-granule boundary and spans whole words unless it ends at the
 *   bitmap's end; the buffer may be zero-padded to a multiple of
 *   4 * sizeof(long), never beyond, and holds at most 10 KiB.
 *
 *   Example, a 7.2 source with bitmaps bmB (4 KiB granularity, persistent)
 *   and bmA (64 KiB, recording) on node drive0:
 *     START section  1c 06"drive0" 03"bmB" 00001000 02   14 03"bmA"
 *                    00010000 01   01
 *     END section    44 03"bmB" <sector 0> <65536> <1024> <1024 bytes>
 *                    42 <sector 65536> <65536>    (ZEROES, no buffer)
 *                    ... bmB's other chunks, then bmA's ...
 *                    24 03"bmB"  24 03"bmA"  01   (COMPLETE, EOS)
 *
 * How this sender uses the format
 *   START section: one START chunk per bitmap.  Then the bitmap data moves
 *   while the source runs ("live"): each PART section carries BITS for
 *   the parts of the bitmaps that are dirty and not yet sent.  A chunk is
 *   the range 8192 granules (1 KiB of serialization) cover; inside it
 *   only the runs of non-zero words go, each as one BITS chunk with an
 *   unpadded buffer, and clean ranges are not sent at all (the
 *   destination's new bitmap is clear).  A hidden "to do" bitmap per
 *   migrated bitmap, one bit per chunk, tells which chunks are still to
 *   send: it starts with the chunks that hold dirty bits and records the
 *   node's writes while the bitmap does, and a chunk's bit is cleared in
 *   the same critical section (the node's bitmap mutex) that copies the
 *   chunk, so a write that lands after the copy sends the chunk again.
 *   END section: the chunks still to do, one COMPLETE per bitmap, EOS.
 *   After a switch to postcopy the rest goes as 7.2 sends it: every chunk
 *   once, in disk order, clean ones as ZEROES.  That costs what 7.2's
 *   postcopy costs, and keeps the bitmaps in flight for as long as QEMU's
 *   own migrate-bitmaps-postcopy-test expects them to be.
 *
 *   Data moves live only while precopy can end by itself: once postcopy
 *   is requested, or with downtime-limit 0, what is left is reported as
 *   postcopy-only and waits for the switch, as in 7.2.  Nor in the first
 *   100 ms, 7.2's first bandwidth window, in which it cannot converge.
 *   Pending is the bytes still to send (an upper bound), plus in precopy
 *   the END section's few bytes, so that downtime-limit 0 never
 *   converges.
 *
 *   A QEMU 7.2 destination takes all of this: it accepts any aligned BITS
 *   range in any section, a range sent twice (the later copy wins), no
 *   range at all for clean parts, and buffers padded to anything from the
 *   exact size up.
 *
 * The loader is stricter than 7.2's, and reads every stream 7.2 writes:
 *   - flag bits outside the 1/2/4-byte forms fail the load, and so do a
 *     name with a NUL inside, reserved START flags (before any bitmap is
 *     made) and a buffer over 10 KiB;
 *   - a START granularity that is not a power of two >= 512 cancels
 *     bitmap migration (7.2 asserts);
 *   - BITS and COMPLETE must name a bitmap a START of this migration made
 *     and that is not complete yet (7.2 writes into any bitmap); a chunk
 *     with DEVICE_NAME must carry BITMAP_NAME too; a BITS range must lie
 *     in the bitmap, start on a word boundary and span whole words unless
 *     it ends in the last granule (7.2 asserts); else bitmap migration is
 *     cancelled;
 *   - a block-bitmap-mapping changed in the middle of a migration cancels
 *     bitmap migration;
 *   - a bitmap removed over QMP between its COMPLETE and the VM start is
 *     left alone, and the node of each bitmap loading is referenced until
 *     the bitmap is handed over.
 * "Cancel" drops the bitmaps this migration made and not yet handed to
 * the VM, and ignores the rest of the bitmap chunks; the other sections
 * go on loading.
 *
 * What did not migrate (minivmm's policy; built into QEMU 7.2 the module
 * behaves as with every x-dirty-bitmaps-* parameter off)
 *   Destination: a bitmap that did not arrive whole (bitmap migration
 *   cancelled, the stream cut, or the stream over without its COMPLETE:
 *   the core says so with incoming_end, where 7.2 leaves it busy) is
 *   removed, as 7.2 does; with x-dirty-bitmaps-keep-incomplete it is
 *   kept, with every bit set from the first byte that data sent after
 *   the source stopped (postcopy's pass, in disk order) had not covered:
 *   a superset of the source's.  Either way the log names it.
 *   Source: with x-dirty-bitmaps-skip-busy a bitmap that
 *   bdrv_dirty_bitmap_check() refuses is left behind with a warning
 *   instead of failing the migration.
 *   Both: each side lists what did not migrate, and why, in minivmm's
 *   query-migrate (x-dirty-bitmaps), with the progress of the rest; with
 *   x-dirty-bitmaps-strict any such bitmap fails the migration (the
 *   source then skips nothing; the destination fails its load, or at the
 *   end of a postcopy reports failed with the VM running).
 *
 * Cost: linear in the number of bitmaps.  Mappings and the bitmaps a
 * migration owns are hash tables.
 *
 * Threads and locks
 *   Source: setup, completion and cleanup run with the BQL; iterate and
 *   pending run in the migration thread without it and touch bitmaps
 *   only under the node's bitmap mutex.
 *   Destination: chunks load in the main incoming thread with the BQL,
 *   or in the postcopy listen thread without it.  A chunk is read first,
 *   with no lock, then applied under DBMIn.lock; what needs the block
 *   layer's global state (node lookups, making and dropping bitmaps,
 *   naming a bitmap that is not one of ours still loading: a complete
 *   one may have been removed over QMP, only the node's list can tell)
 *   runs with the BQL, taken first when the thread does not hold it;
 *   BITS and COMPLETE of our bitmaps still loading do not need it, and
 *   the nodes of bitmaps handed over are unreferenced with it once per
 *   section.  Order: BQL, DBMIn.lock, node bitmap mutex, stats_lock.
 */

#include "qemu/osdep.h"
#include "block/block.h"
#include "block/block_int.h"
#include "sysemu/block-backend.h"
#include "sysemu/runstate.h"
#include "qemu/main-loop.h"
#include "qemu/error-report.h"
#include "migration/misc.h"
#include "migration/migration.h"
#include "qemu-file.h"
#include "migration/vmstate.h"
#include "migration/register.h"
#include "qemu/hbitmap.h"
#include "qemu/cutils.h"
#include "qemu/host-utils.h"
#include "qemu/id.h"
#include "qemu/lockable.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-migration.h"
#include "qapi/qapi-visit-migration.h"
#include "qapi/clone-visitor.h"
#include "trace.h"
#ifdef MIGRATION_DIRTY_BITMAP_EXT
#include "migration/dirty-bitmap-ext.h"
#endif

/* Chunk flags (the last flags byte). */
enum {
    DBM_EOS         = 0x01,
    DBM_ZEROES      = 0x02,
    DBM_BITMAP_NAME = 0x04,
    DBM_DEVICE_NAME = 0x08,
    DBM_START       = 0x10,
    DBM_COMPLETE    = 0x20,
    DBM_BITS        = 0x40,
    DBM_MORE_FLAGS  = 0x80,     /* another flags byte follows */
};
#define DBM_CHUNK_BITS_MASK 0x7f

/* The START chunk's bitmap flags; 0x04 ("autoload") is read and ignored. */
enum {
    DBM_BM_ENABLED    = 0x01,
    DBM_BM_PERSISTENT = 0x02,
    DBM_BM_RESERVED   = 0xf8,
};

/* Serialized bytes per chunk: 8192 granules, as 7.2 cuts them. */
#define DBM_CHUNK_BYTES 1024
/* No live data in the migration's first bandwidth window (see below). */
#define DBM_FIRST_WINDOW_MS 100
/* The largest buffer a loader accepts (7.2's limit). */
#define DBM_MAX_BUF (10 * DBM_CHUNK_BYTES)
/* Serialized bytes per 64 granules, the unit BITS ranges are made of. */
#define DBM_WORD 8
/* Flags, first sector, sector count, buffer size: a BITS chunk's cost. */
#define DBM_BITS_HEADER (1 + 8 + 4 + 8)
/* Zero words cheaper to send inside a run than a second chunk header. */
#define DBM_GAP_WORDS (DBM_BITS_HEADER / DBM_WORD)
/* The largest granularity a (to do) bitmap may have. */
#define DBM_MAX_GRANULARITY (UINT32_C(1) << 31)

/* ---- block-bitmap-mapping ---- */

/*
 * The mapping for one direction: a hash table from this side's key of a
 * node (its name going out, its alias coming in) to a DBMMapNode, which
 * holds a private copy of the entry and its bitmaps by this side's key
 * (name going out, alias coming in), so that ten thousand bitmaps cost
 * ten thousand lookups, not a walk of the list each.
 */
typedef struct DBMMapNode {
    BitmapMigrationNodeAlias *entry;
    GHashTable *bitmaps;        /* key -> BitmapMigrationBitmapAlias */
} DBMMapNode;

static void dbm_map_node_free(gpointer p)
{
    DBMMapNode *m = p;

    g_hash_table_destroy(m->bitmaps);
    qapi_free_BitmapMigrationNodeAlias(m->entry);
    g_free(m);
}

static GHashTable *dbm_map_new(const BitmapMigrationNodeAliasList *list,
                               bool out, Error **errp)
{
    const size_t node_name_max = sizeof_field(BlockDriverState,
                                              node_name) - 1;
    g_autoptr(GHashTable) nodes = g_hash_table_new_full(
        g_str_hash, g_str_equal, NULL, dbm_map_node_free);

    for (; list; list = list->next) {
        const BitmapMigrationNodeAlias *n = list->value;
        const BitmapMigrationBitmapAliasList *bl;
        DBMMapNode *m;

        if (!id_wellformed(n->alias)) {
            error_setg(errp, "The node alias '%s' is not well-formed",
                       n->alias);
            return NULL;
        }
        if (strlen(n->alias) > UINT8_MAX) {
            error_setg(errp, "The node alias '%s' is longer than %u bytes",
                       n->alias, UINT8_MAX);
            return NULL;
        }
        if (strlen(n->node_name) > node_name_max) {
            error_setg(errp, "The node name '%s' is longer than %zu bytes",
                       n->node_name, node_name_max);
            return NULL;
        }
        if (g_hash_table_contains(nodes, out ? n->node_name : n->alias)) {
            if (out) {
                error_setg(errp, "The node name '%s' is mapped twice",
                           n->node_name);
            } else {
                error_setg(errp, "The node alias '%s' is used twice",
                           n->alias);
            }
            return NULL;
        }

        m = g_new0(DBMMapNode, 1);
        m->entry = QAPI_CLONE(BitmapMigrationNodeAlias, n);
        m->bitmaps = g_hash_table_new(g_str_hash, g_str_equal);
        g_hash_table_insert(nodes, out ? m->entry->node_name
                                       : m->entry->alias, m);

        for (bl = m->entry->bitmaps; bl; bl = bl->next) {
            BitmapMigrationBitmapAlias *b = bl->value;

            if (strlen(b->alias) > UINT8_MAX) {
                error_setg(errp,
                           "The bitmap alias '%s' is longer than %u bytes",
                           b->alias, UINT8_MAX);
                return NULL;
            }
            if (strlen(b->name) > BDRV_BITMAP_MAX_NAME_SIZE) {
                error_setg(errp, "The bitmap name '%s' is longer than %d "
                           "bytes", b->name, BDRV_BITMAP_MAX_NAME_SIZE);
                return NULL;
            }
            if (!g_hash_table_insert(m->bitmaps, out ? b->name : b->alias,
                                     b)) {
                if (out) {
                    error_setg(errp, "The bitmap '%s'/'%s' is mapped twice",
                               n->node_name, b->name);
                } else {
                    error_setg(errp,
                               "The bitmap alias '%s'/'%s' is used twice",
                               n->alias, b->alias);
                }
                return NULL;
            }
        }
    }
    return g_steal_pointer(&nodes);
}

/* The current mapping for one direction, or NULL when none is set. */
static GHashTable *dbm_map_current(bool out)
{
    const MigrationParameters *p = &migrate_get_current()->parameters;

    if (!p->has_block_bitmap_mapping) {
        return NULL;
    }
    /* migrate-set-parameters checked it in both directions. */
    return dbm_map_new(p->block_bitmap_mapping, out, &error_abort);
}

/* The bitmap entry of @m under this side's @key, or NULL. */
static const BitmapMigrationBitmapAlias *
dbm_map_bitmap(const DBMMapNode *m, const char *key)
{
    return g_hash_table_lookup(m->bitmaps, key);
}

/* migrate-set-parameters: the mapping must work both ways. */
bool check_dirty_bitmap_mig_alias_map(const BitmapMigrationNodeAliasList *bbm,
                                      Error **errp)
{
    GHashTable *map;
    int dir;

    for (dir = 0; dir < 2; dir++) {
        map = dbm_map_new(bbm, dir == 0, errp);
        if (!map) {
            return false;
        }
        g_hash_table_destroy(map);
    }
    return true;
}

/* ---- Both sides ---- */

/* Take the BQL unless this thread holds it; true if it was taken. */
static bool dbm_bql_get(void)
{
    if (qemu_mutex_iothread_locked()) {
        return false;
    }
    qemu_mutex_lock_iothread();
    return true;
}

static void dbm_bql_put(bool taken)
{
    if (taken) {
        qemu_mutex_unlock_iothread();
    }
}

/* ---- Progress, and what did not migrate ---- */

/*
 * Each side keeps the figures of its last migration with bitmaps until
 * the next one: minivmm's query-migrate shows them (x-dirty-bitmaps),
 * the log names every bitmap that did not migrate.  Counters change per
 * chunk in the migration, loader or listen thread; everything here is
 * under DBMState.stats_lock, which nests inside every other lock.
 */

/* Why a bitmap did not migrate (XDirtyBitmapDropReason, same order). */
typedef enum DBMDrop {
    DBM_DROP_BUSY,              /* source: skipped, in use */
    DBM_DROP_READONLY,          /* source: skipped, read-only */
    DBM_DROP_INCONSISTENT,      /* source: skipped, inconsistent */
    DBM_DROP_NO_MAPPING,        /* no mapping entry for its alias */
    DBM_DROP_NO_NODE,           /* no node of its node's name */
    DBM_DROP_INVALID,           /* its chunks broke the rules */
    DBM_DROP_INCOMPLETE,        /* its COMPLETE never came */
    DBM_DROP_CANCELLED,         /* given up with another bitmap */
} DBMDrop;

static const char *const dbm_drop_why[] = {
    [DBM_DROP_BUSY] = "busy",
    [DBM_DROP_READONLY] = "read-only",
    [DBM_DROP_INCONSISTENT] = "inconsistent",
    [DBM_DROP_NO_MAPPING] = "not in block-bitmap-mapping",
    [DBM_DROP_NO_NODE] = "no such node",
    [DBM_DROP_INVALID] = "invalid",
    [DBM_DROP_INCOMPLETE] = "incomplete",
    [DBM_DROP_CANCELLED] = "bitmap migration cancelled",
};

/* One bitmap that migrates: this side's names, and what moved for it. */
typedef struct DBMStatBitmap {
    char *node;
    char *name;
    uint32_t granularity;
    uint64_t bytes;             /* stream bytes sent or received for it */
    uint64_t chunks;            /* its BITS chunks */
    bool completed;             /* COMPLETE sent or applied */
} DBMStatBitmap;

/* One bitmap that did not migrate. */
typedef struct DBMStatDrop {
    char *node;                 /* this side's names, else the stream's */
    char *name;
    DBMDrop reason;
    bool kept;                  /* kept, set from byte dirty_from on */
    uint64_t dirty_from;
} DBMStatDrop;

/* One direction's figures. */
typedef struct DBMStats {
    bool used;                  /* a migration in this direction began */
    uint64_t total;             /* bitmaps to send / STARTs received */
    uint64_t started;           /* STARTs sent / bitmaps STARTs made */
    uint64_t completed;         /* COMPLETEs sent / applied */
    uint64_t bytes;             /* the section's stream bytes */
    uint64_t chunks;            /* BITS chunks */
    uint64_t pending;           /* source: last estimate of what is left */
    GPtrArray *bitmaps;         /* DBMStatBitmap */
    GPtrArray *dropped;         /* DBMStatDrop, at most DBM_DROPPED_MAX */
    uint64_t dropped_more;      /* and how many more did not migrate */
} DBMStats;

/*
 * Bitmaps that did not migrate, listed one by one; past that many only
 * counted, and logged once: a stream may announce any number of them.
 */
#define DBM_DROPPED_MAX 1000

static void dbm_stat_bitmap_free(gpointer p)
{
    DBMStatBitmap *sb = p;

    g_free(sb->node);
    g_free(sb->name);
    g_free(sb);
}

static void dbm_stat_drop_free(gpointer p)
{
    DBMStatDrop *sd = p;

    g_free(sd->node);
    g_free(sd->name);
    g_free(sd);
}

static void dbm_stats_init(DBMStats *st)
{
    st->bitmaps = g_ptr_array_new_with_free_func(dbm_stat_bitmap_free);
    st->dropped = g_ptr_array_new_with_free_func(dbm_stat_drop_free);
}

/* Start a new migration's figures.  Under stats_lock. */
static void dbm_stats_reset_locked(DBMStats *st)
{
    g_ptr_array_set_size(st->bitmaps, 0);
    g_ptr_array_set_size(st->dropped, 0);
    st->dropped_more = 0;
    st->used = true;
    st->total = st->started = st->completed = 0;
    st->bytes = st->chunks = st->pending = 0;
}

/* A bitmap's line; it lives as long as @st's figures.  Under stats_lock. */
static DBMStatBitmap *dbm_stat_bitmap_locked(DBMStats *st, const char *node,
                                             const char *name,
                                             uint32_t granularity)
{
    DBMStatBitmap *sb = g_new0(DBMStatBitmap, 1);

    sb->node = g_strdup(node);
    sb->name = g_strdup(name);
    sb->granularity = granularity;
    g_ptr_array_add(st->bitmaps, sb);
    return sb;
}

/*
 * Record a bitmap that did not migrate; false if the list is full and it
 * is only counted.  Under stats_lock.
 */
static bool dbm_stat_drop_locked(DBMStats *st, const char *node,
                                 const char *name, DBMDrop reason,
                                 bool kept, uint64_t dirty_from)
{
    DBMStatDrop *sd;

    if (st->dropped->len >= DBM_DROPPED_MAX) {
        st->dropped_more++;
        return false;
    }
    sd = g_new0(DBMStatDrop, 1);

    sd->node = g_strdup(node);
    sd->name = g_strdup(name);
    sd->reason = reason;
    sd->kept = kept;
    sd->dirty_from = dirty_from;
    g_ptr_array_add(st->dropped, sd);
    return true;
}

/* Count @bytes of stream for @sb (may be NULL), one BITS chunk if @bits. */
static void dbm_stat_add_locked(DBMStats *st, DBMStatBitmap *sb,
                                uint64_t bytes, bool bits)
{
    st->bytes += bytes;
    st->chunks += bits;
    if (sb) {
        sb->bytes += bytes;
        sb->chunks += bits;
    }
}

/* ---- Source ---- */

/* One bitmap going out. */
typedef struct DBMOutBitmap {
    BlockDriverState *bs;       /* referenced until cleanup */
    BdrvDirtyBitmap *bitmap;    /* busy until cleanup */
    BdrvDirtyBitmap *todo;      /* anonymous: one bit per chunk to send */
    char *node_alias;           /* the names on the wire */
    char *bitmap_alias;
    uint64_t word_span;         /* disk bytes one serialized word covers */
    uint64_t chunk_span;        /* disk bytes one chunk covers */
    uint64_t todo_span;         /* disk bytes one bit of todo covers */
    uint64_t cursor;            /* where the next search for work starts */
    uint64_t sweep;             /* postcopy: next chunk of the full pass */
    uint64_t sweep_dirty;       /* first dirty byte at or after it, or more */
    uint8_t start_flags;        /* ENABLED, PERSISTENT */
    DBMStatBitmap *stat;        /* its progress line */
} DBMOutBitmap;

typedef struct DBMOut {
    GPtrArray *bitmaps;         /* DBMOutBitmap, in START order */
    bool nothing;               /* setup found no bitmap to send */
    int64_t live_from;          /* realtime ms: no live data before */
    uint64_t end_bytes;         /* at most what the END section adds */
    /* Name elision: node and bitmap of the last chunk written. */
    BlockDriverState *last_bs;
    BdrvDirtyBitmap *last_bitmap;
    uint8_t buf[DBM_CHUNK_BYTES];
} DBMOut;

/* ---- Destination ---- */

/* One bitmap that a START of this migration made. */
typedef struct DBMInBitmap {
    BlockDriverState *bs;       /* referenced while we own the bitmap */
    BdrvDirtyBitmap *bitmap;
    char *name;                 /* its name: with bs, its by_name key */
    bool enabled;               /* START said ENABLED */
    bool complete;              /* COMPLETE seen: not busy any more */
    DBMDrop drop;               /* in DBMIn.dropped: why */
    /*
     * Disk bytes from 0 that data sent after the source stopped covered.
     * Once stopped, a source sends every chunk of a bitmap once, in disk
     * order (postcopy): all before this is final, which is all that an
     * incomplete bitmap kept may trust.
     */
    uint64_t final_end;
    DBMStatBitmap *stat;        /* its progress line */
    QTAILQ_ENTRY(DBMInBitmap) link;     /* in DBMIn.owned or .dropped */
} DBMInBitmap;

typedef struct DBMIn {
    QemuMutex lock;             /* everything below */
    QTAILQ_HEAD(, DBMInBitmap) owned;   /* not handed to the VM yet */
    QTAILQ_HEAD(, DBMInBitmap) dropped; /* given up, release with the BQL */
    GHashTable *by_name;        /* the owned still loading, by name */
    GHashTable *nodes;          /* node -> how many owned are on it */
    GPtrArray *unref;           /* nodes let go of, to unref with the BQL */
    bool cancelled;             /* ignore bitmap chunks from now on */
    bool vm_started;            /* dirty_bitmap_mig_before_vm_start ran */
    bool failed;                /* a drop under x-dirty-bitmaps-strict */
    DBMDrop why;                /* what cancelled, for the chunk that did */
    /* The node and bitmap the stream talks about, names as sent. */
    char node_alias[256];
    char bitmap_alias[256];
    char bitmap_name[BDRV_BITMAP_MAX_NAME_SIZE + 1];   /* local name */
    BlockDriverState *bs;
    BdrvDirtyBitmap *bitmap;    /* what the names lead to, maybe not ours */
    DBMInBitmap *cur;           /* s->bitmap if it is one of ours */
} DBMIn;

/* One chunk as read from the stream. */
typedef struct DBMChunk {
    uint32_t flags;             /* the chunk bits */
    uint32_t wire_bytes;        /* its length in the stream */
    char node_alias[256];       /* if DEVICE_NAME */
    char bitmap_alias[256];     /* if BITMAP_NAME */
    uint32_t granularity;       /* START */
    uint8_t bitmap_flags;       /* START */
    uint64_t sector;            /* BITS */
    uint32_t nr_sectors;        /* BITS */
    uint64_t buf_size;          /* BITS without ZEROES */
    uint8_t buf[DBM_MAX_BUF];
} DBMChunk;

typedef struct DBMState {
    DBMOut out;
    DBMIn in;
    QemuMutex stats_lock;       /* out_stats and in_stats */
    DBMStats out_stats;
    DBMStats in_stats;
} DBMState;

static DBMState dbm;

/* ---- minivmm's policy parameters ---- */

/*
 * QEMU 7.2 has no x-dirty-bitmaps-* parameter: built there, the module
 * behaves as with all of them off (migration/misc.h of minivmm defines
 * MIGRATION_DIRTY_BITMAP_EXT).
 */
#ifdef MIGRATION_DIRTY_BITMAP_EXT
static bool dbm_keep_incomplete(void)
{
    return migrate_x_dirty_bitmaps_keep_incomplete();
}

static bool dbm_skip_busy(void)
{
    return migrate_x_dirty_bitmaps_skip_busy();
}

static bool dbm_strict(void)
{
    return migrate_x_dirty_bitmaps_strict();
}
#else
static bool dbm_keep_incomplete(void)
{
    return false;
}

static bool dbm_skip_busy(void)
{
    return false;
}

static bool dbm_strict(void)
{
    return false;
}
#endif

/* ---- Source: what goes out ---- */

/* Whether bitmap data may go on the wire now. */
static bool dbm_out_may_send(DBMOut *s)
{
    MigrationState *ms = migrate_get_current();

    if (migration_in_postcopy()) {
        return true;
    }
    /*
     * In precopy only while precopy can still converge: not once postcopy
     * was asked for (the rest waits for the switch, so that it happens at
     * once), and not with downtime-limit 0.  Nor in the first bandwidth
     * window, before the migration thread could converge in 7.2 either: a
     * migrate-start-postcopy right after migrate (QEMU's own
     * migrate-bitmaps-postcopy-test) still finds every bit to send.
     */
    return !qatomic_read(&ms->start_postcopy) &&
           qatomic_read(&ms->parameters.downtime_limit) > 0 &&
           qemu_clock_get_ms(QEMU_CLOCK_REALTIME) >= s->live_from;
}

/* A chunk's flags and names; returns the bytes written. */
static size_t dbm_out_put_names(QEMUFile *f, DBMOut *s, DBMOutBitmap *b,
                                uint8_t flags)
{
    size_t bytes = 1;

    trace_send_bitmap_header_enter();

    if (b->bs != s->last_bs) {
        flags |= DBM_DEVICE_NAME;
    }
    if (b->bitmap != s->last_bitmap) {
        flags |= DBM_BITMAP_NAME;
    }
    s->last_bs = b->bs;
    s->last_bitmap = b->bitmap;

    qemu_put_byte(f, flags);
    if (flags & DBM_DEVICE_NAME) {
        qemu_put_counted_string(f, b->node_alias);
        bytes += 1 + strlen(b->node_alias);
    }
    if (flags & DBM_BITMAP_NAME) {
        qemu_put_counted_string(f, b->bitmap_alias);
        bytes += 1 + strlen(b->bitmap_alias);
    }
    return bytes;
}

/* Account a chunk of @bytes for @b (NULL: the EOS), a BITS one if @bits. */
static void dbm_out_count(DBMOutBitmap *b, size_t bytes, bool bits)
{
    WITH_QEMU_LOCK_GUARD(&dbm.stats_lock) {
        dbm_stat_add_locked(&dbm.out_stats, b ? b->stat : NULL, bytes, bits);
    }
}

static void dbm_out_put_eos(QEMUFile *f)
{
    qemu_put_byte(f, DBM_EOS);
    dbm_out_count(NULL, 1, false);
}

/*
 * One BITS chunk: disk bytes [@start, @end), their @len serialized bytes,
 * or ZEROES when @data is NULL.
 */
static void dbm_out_put_bits(QEMUFile *f, DBMOut *s, DBMOutBitmap *b,
                             uint64_t start, uint64_t end,
                             const uint8_t *data, size_t len)
{
    uint8_t flags = data ? DBM_BITS : DBM_BITS | DBM_ZEROES;
    uint64_t sector = start >> BDRV_SECTOR_BITS;
    uint32_t nr = DIV_ROUND_UP(end - start, BDRV_SECTOR_SIZE);
    /* The body's integers in one put: a postcopy pass writes a million. */
    struct QEMU_PACKED {
        uint64_t sector;
        uint32_t nr;
        uint64_t len;
    } body = {
        GUINT64_TO_BE(sector), GUINT32_TO_BE(nr), GUINT64_TO_BE(len)
    };
    size_t body_len = data ? sizeof(body) : offsetof(typeof(body), len);
    size_t bytes;

    trace_send_bitmap_bits(flags, sector, nr, len);
    bytes = dbm_out_put_names(f, s, b, flags);
    qemu_put_buffer(f, (uint8_t *)&body, body_len);
    if (data) {
        qemu_put_buffer(f, data, len);
    }
    dbm_out_count(b, bytes + body_len + len, true);
}

static bool dbm_word_set(const uint8_t *buf, size_t i)
{
    uint64_t w;

    memcpy(&w, buf + i * DBM_WORD, DBM_WORD);
    return w != 0;
}

/*
 * Send the serialization @buf of the chunk [@start, @end) of @b: each run
 * of non-zero words (zero gaps shorter than a header included) as one
 * BITS chunk, nothing for the rest; a clean chunk as one ZEROES chunk if
 * @cover.
 */
static void dbm_out_put_chunk(QEMUFile *f, DBMOut *s, DBMOutBitmap *b,
                              uint64_t start, uint64_t end,
                              const uint8_t *buf, bool cover)
{
    size_t words = DIV_ROUND_UP(end - start, b->word_span);
    size_t i = 0;

    if (buffer_is_zero(buf, words * DBM_WORD)) {
        if (cover) {
            dbm_out_put_bits(f, s, b, start, end, NULL, 0);
        }
        return;
    }
    while (i < words) {
        size_t last, j;

        if (!dbm_word_set(buf, i)) {
            i++;
            continue;
        }
        last = i;
        for (j = i + 1; j < words && j <= last + DBM_GAP_WORDS + 1; j++) {
            if (dbm_word_set(buf, j)) {
                last = j;
            }
        }
        dbm_out_put_bits(f, s, b, start + i * b->word_span,
                         MIN(start + (last + 1) * b->word_span, end),
                         buf + i * DBM_WORD, (last + 1 - i) * DBM_WORD);
        i = last + 1;
    }
}

/*
 * Copy the chunk of @b that holds @off into s->buf and clear its todo bit;
 * the caller holds the node's bitmap mutex, so that a write after the copy
 * marks the chunk again.
 */
static void dbm_out_copy_chunk_locked(DBMOut *s, DBMOutBitmap *b,
                                      uint64_t off, uint64_t size,
                                      uint64_t *start, uint64_t *end)
{
    *start = QEMU_ALIGN_DOWN(off, b->chunk_span);
    *end = MIN(*start + b->chunk_span, size);
    bdrv_reset_dirty_bitmap_locked(b->todo, *start, *end - *start);
    bdrv_dirty_bitmap_serialize_part(b->bitmap, s->buf, *start,
                                     *end - *start);
}

/* Take the next chunk of @b still to do; false when there is none. */
static bool dbm_out_take_chunk(DBMOut *s, DBMOutBitmap *b,
                               uint64_t *start, uint64_t *end)
{
    int64_t size, off = -1;

    bdrv_dirty_bitmap_lock(b->bitmap);
    size = bdrv_dirty_bitmap_size(b->bitmap);
    if (b->cursor < size) {
        off = bdrv_dirty_bitmap_next_dirty(b->todo, b->cursor,
                                           size - b->cursor);
    }
    if (off < 0 && b->cursor > 0) {
        off = bdrv_dirty_bitmap_next_dirty(b->todo, 0,
                                           MIN(b->cursor, size));
    }
    if (off >= 0) {
        dbm_out_copy_chunk_locked(s, b, off, size, start, end);
        b->cursor = *end < size ? *end : 0;
    }
    bdrv_dirty_bitmap_unlock(b->bitmap);
    return off >= 0;
}

/*
 * Postcopy's full pass: take the next chunk of @b in disk order.  A clean
 * one is not copied: *@clean says so.
 */
static bool dbm_out_sweep_chunk(DBMOut *s, DBMOutBitmap *b,
                                uint64_t *start, uint64_t *end, bool *clean)
{
    int64_t size;
    bool more;

    bdrv_dirty_bitmap_lock(b->bitmap);
    size = bdrv_dirty_bitmap_size(b->bitmap);
    more = b->sweep < size;
    if (more) {
        *start = b->sweep;
        *end = MIN(*start + b->chunk_span, size);
        /*
         * One search per dirty run: the chunks up to the next dirty byte
         * are clean without reading them (the VM is stopped).
         */
        if (b->sweep_dirty < *start) {
            int64_t next = bdrv_dirty_bitmap_next_dirty(b->bitmap, *start,
                                                        size - *start);

            b->sweep_dirty = next < 0 ? size : next;
        }
        *clean = b->sweep_dirty >= *end;
        if (!*clean) {
            dbm_out_copy_chunk_locked(s, b, *start, size, start, end);
        }
        b->sweep = *end;
    }
    bdrv_dirty_bitmap_unlock(b->bitmap);
    return more;
}

/*
 * Send what is left, bitmap by bitmap: in precopy the chunks still to do;
 * in postcopy, as QEMU 7.2 does, every chunk once, clean ones as ZEROES
 * each flushed on its own.  That pace is what QEMU's own
 * migrate-bitmaps-postcopy-test relies on: it checks that the bitmaps
 * are still in flight a few QMP commands after the destination resumed,
 * and that the postcopy phase lasts ten times the downtime (about 50 ms
 * there); a postcopy that sent only what is dirty, or did not flush,
 * fails it.  With @limit, stop once the rate limit is reached.  True when
 * nothing was left to send.
 */
static bool dbm_out_send_todo(QEMUFile *f, DBMOut *s, bool limit)
{
    bool sweep = migration_in_postcopy();
    bool clean = false;
    uint64_t start, end;
    guint i;

    for (i = 0; i < s->bitmaps->len; i++) {
        DBMOutBitmap *b = g_ptr_array_index(s->bitmaps, i);

        while (b->todo &&
               (sweep ? dbm_out_sweep_chunk(s, b, &start, &end, &clean)
                      : dbm_out_take_chunk(s, b, &start, &end))) {
            if (clean) {
                dbm_out_put_bits(f, s, b, start, end, NULL, 0);
                /* 7.2's pace, see above. */
                qemu_fflush(f);
            } else {
                dbm_out_put_chunk(f, s, b, start, end, s->buf, sweep);
            }
            if (limit && qemu_file_rate_limit(f)) {
                return false;
            }
        }
    }
    return true;
}

/*
 * Upper bound of the bytes the chunks still to do of @b will take, and in
 * postcopy of the ZEROES for the clean chunks of its full pass.
 */
static uint64_t dbm_out_todo_bytes(DBMOutBitmap *b)
{
    uint64_t per_bit = MIN(DBM_CHUNK_BYTES,
                           MAX(DBM_WORD,
                               b->todo_span / b->word_span * DBM_WORD));
    uint64_t bytes = 0;
    int64_t count, size;

    if (!b->todo) {
        return 0;
    }
    bdrv_dirty_bitmap_lock(b->bitmap);
    count = bdrv_get_dirty_count(b->todo);
    size = bdrv_dirty_bitmap_size(b->bitmap);
    bdrv_dirty_bitmap_unlock(b->bitmap);
    if (migration_in_postcopy() && b->sweep < size) {
        bytes = DIV_ROUND_UP(size - b->sweep, b->chunk_span) *
                (DBM_BITS_HEADER - 8);
    }
    return bytes + DIV_ROUND_UP(count, b->todo_span) *
                   (per_bit + DBM_BITS_HEADER);
}

/*
 * Free everything of the outgoing side, ready for another migration
 * (7.2 stays inactive for good after one that found no bitmap).  BQL held.
 */
static void dbm_out_cleanup(DBMOut *s)
{
    guint i;

    s->nothing = false;
    for (i = 0; i < s->bitmaps->len; i++) {
        DBMOutBitmap *b = g_ptr_array_index(s->bitmaps, i);

        if (b->todo) {
            bdrv_release_dirty_bitmap(b->todo);
        }
        bdrv_dirty_bitmap_set_busy(b->bitmap, false);
        bdrv_unref(b->bs);
        g_free(b->node_alias);
        g_free(b->bitmap_alias);
        g_free(b);
    }
    g_ptr_array_set_size(s->bitmaps, 0);
}

/*
 * Chunk geometry of @b.  A chunk is 8192 granules, fewer when its sector
 * count would not fit the be32 of a BITS chunk (granularities from 256
 * MiB up: 7.2 wraps the count there and never finishes).
 */
static void dbm_out_geometry(DBMOutBitmap *b)
{
    uint64_t words = DBM_CHUNK_BYTES / DBM_WORD;
    uint64_t fit;

    /* 64 granules, whose serialization is 8 bytes on any host. */
    b->word_span = bdrv_dirty_bitmap_serialization_align(b->bitmap);
    fit = UINT32_MAX / (b->word_span >> BDRV_SECTOR_BITS);
    b->chunk_span = MIN(words, fit) * b->word_span;
    b->todo_span = pow2floor(MIN(b->chunk_span, DBM_MAX_GRANULARITY));
}

/*
 * Make @b's todo bitmap: recording while the bitmap records, and marking
 * from the start every chunk that holds a dirty bit.  BQL held.
 */
static int dbm_out_make_todo(DBMOutBitmap *b)
{
    Error *err = NULL;
    int64_t size, off;

    b->todo = bdrv_create_dirty_bitmap(b->bs, b->todo_span, NULL, &err);
    if (!b->todo) {
        error_report_err(err);
        return -1;
    }
    if (!bdrv_dirty_bitmap_enabled(b->bitmap)) {
        bdrv_disable_dirty_bitmap(b->todo);
    }

    bdrv_dirty_bitmap_lock(b->bitmap);
    size = bdrv_dirty_bitmap_size(b->bitmap);
    for (off = 0; off < size; ) {
        uint64_t start, end;

        off = bdrv_dirty_bitmap_next_dirty(b->bitmap, off, size - off);
        if (off < 0) {
            break;
        }
        start = QEMU_ALIGN_DOWN(off, b->chunk_span);
        end = MIN(start + b->chunk_span, size);
        bdrv_set_dirty_bitmap_locked(b->todo, start, end - start);
        off = end;
    }
    bdrv_dirty_bitmap_unlock(b->bitmap);
    return 0;
}

/* Why bdrv_dirty_bitmap_check() refuses @bm. */
static DBMDrop dbm_out_refusal(BdrvDirtyBitmap *bm)
{
    if (bdrv_dirty_bitmap_check(bm, BDRV_BITMAP_BUSY, NULL)) {
        return DBM_DROP_BUSY;
    }
    if (bdrv_dirty_bitmap_check(bm, BDRV_BITMAP_RO, NULL)) {
        return DBM_DROP_READONLY;
    }
    return DBM_DROP_INCONSISTENT;
}

/*
 * @bm, that the migration would send, cannot go (@err says why): fail
 * as QEMU 7.2 does (-1), or with x-dirty-bitmaps-skip-busy leave it
 * behind with a warning (0).  BQL held.
 */
static int dbm_out_refused(BlockDriverState *bs, BdrvDirtyBitmap *bm,
                           Error *err)
{
    const char *bm_name = bdrv_dirty_bitmap_name(bm);
    DBMDrop why = dbm_out_refusal(bm);

    if (!dbm_skip_busy() || dbm_strict()) {
        error_report_err(err);
        return -1;
    }
    warn_reportf_err(err, "Bitmap '%s' on node '%s' is not migrated "
                     "(x-dirty-bitmaps-skip-busy): ", bm_name,
                     bdrv_get_node_name(bs));
    WITH_QEMU_LOCK_GUARD(&dbm.stats_lock) {
        dbm_stat_drop_locked(&dbm.out_stats, bdrv_get_node_name(bs),
                             bm_name, why, false, 0);
    }
    return 0;
}

/*
 * Queue the named bitmaps of @bs, known on the wire as @name unless
 * @map (the outgoing mapping) says otherwise.  Returns -1 after
 * reporting why the migration cannot go on.  BQL held.
 */
static int dbm_out_add_node(DBMOut *s, BlockDriverState *bs,
                            const char *name, GHashTable *map)
{
    const DBMMapNode *entry = NULL;
    const char *alias = name;
    BdrvDirtyBitmap *bm, *first = NULL;
    Error *err = NULL;
    int64_t sectors;

    FOR_EACH_DIRTY_BITMAP(bs, bm) {
        if (bdrv_dirty_bitmap_name(bm)) {
            first = bm;
            break;
        }
    }
    if (!first) {
        return 0;
    }
    if (!name || !*name) {
        error_report("Bitmap '%s' in unnamed node can't be migrated",
                     bdrv_dirty_bitmap_name(first));
        return -1;
    }
    if (map) {
        entry = g_hash_table_lookup(map, name);
        if (!entry) {
            return 0;       /* not in the mapping: its bitmaps stay */
        }
        alias = entry->entry->alias;
    }
    if (alias[0] == '#') {
        error_report("Bitmap '%s' in a node with auto-generated name '%s' "
                     "can't be migrated", bdrv_dirty_bitmap_name(first),
                     alias);
        return -1;
    }
    sectors = bdrv_nb_sectors(bs);
    if (sectors < 0) {
        error_report("Cannot migrate bitmap '%s' on node '%s': could not "
                     "get the node's length: %s",
                     bdrv_dirty_bitmap_name(first), name,
                     strerror(-sectors));
        return -1;
    }

    FOR_EACH_DIRTY_BITMAP(bs, bm) {
        const char *bm_name = bdrv_dirty_bitmap_name(bm);
        const char *bm_alias = bm_name;
        bool persistent = bdrv_dirty_bitmap_get_persistence(bm);
        DBMOutBitmap *b;

        if (!bm_name) {
            continue;
        }
        if (bdrv_dirty_bitmap_check(bm, BDRV_BITMAP_DEFAULT, &err)) {
            /* Left out by the mapping anyway: no loss to report. */
            if (dbm_skip_busy() && entry && !dbm_map_bitmap(entry, bm_name)) {
                error_free(err);
                err = NULL;
                continue;
            }
            if (dbm_out_refused(bs, bm, err) < 0) {
                return -1;
            }
            err = NULL;
            continue;
        }
        if (entry) {
            const BitmapMigrationBitmapAlias *ba =
                dbm_map_bitmap(entry, bm_name);

            if (!ba) {
                continue;
            }
            bm_alias = ba->alias;
            if (ba->has_transform && ba->transform->has_persistent) {
                persistent = ba->transform->persistent;
            }
        } else if (strlen(bm_name) > UINT8_MAX) {
            error_report("Cannot migrate bitmap '%s' on node '%s': Name is "
                         "longer than %u bytes", bm_name, name, UINT8_MAX);
            return -1;
        }

        bdrv_ref(bs);
        bdrv_dirty_bitmap_set_busy(bm, true);
        b = g_new0(DBMOutBitmap, 1);
        b->bs = bs;
        b->bitmap = bm;
        b->node_alias = g_strdup(alias);
        b->bitmap_alias = g_strdup(bm_alias);
        b->start_flags = (bdrv_dirty_bitmap_enabled(bm) ? DBM_BM_ENABLED : 0) |
                         (persistent ? DBM_BM_PERSISTENT : 0);
        dbm_out_geometry(b);
        g_ptr_array_add(s->bitmaps, b);
        /* COMPLETE with both names, and the EOS after the last one. */
        s->end_bytes += 3 + strlen(alias) + strlen(bm_alias);
    }
    return 0;
}

/*
 * The node below @bs that a backend's name stands for: filters without
 * named bitmaps of their own are looked through.  NULL if it ends in a
 * filter or nowhere.
 */
static BlockDriverState *dbm_out_below_filters(BlockDriverState *bs)
{
    while (bs && bs->drv && bs->drv->is_filter &&
           !bdrv_has_named_bitmaps(bs)) {
        bs = bdrv_filter_bs(bs);
    }
    return bs && bs->drv && !bs->drv->is_filter ? bs : NULL;
}

/* Choose the bitmaps to send, in START order.  BQL held. */
static int dbm_out_collect(DBMOut *s)
{
    g_autoptr(GHashTable) map = dbm_map_current(true);
    g_autoptr(GHashTable) by_backend = g_hash_table_new(NULL, NULL);
    BlockDriverState *bs;
    BlockBackend *blk;
    guint i;

    s->last_bs = NULL;
    s->last_bitmap = NULL;
    s->end_bytes = 1;

    /* Without a mapping, nodes under a named backend go by its name. */
    for (blk = map ? NULL : blk_next(NULL); blk; blk = blk_next(blk)) {
        const char *name = blk_name(blk);

        bs = name && name[0] ? dbm_out_below_filters(blk_bs(blk)) : NULL;
        if (bs) {
            if (dbm_out_add_node(s, bs, name, NULL) < 0) {
                goto fail;
            }
            g_hash_table_add(by_backend, bs);
        }
    }
    for (bs = bdrv_next_all_states(NULL); bs; bs = bdrv_next_all_states(bs)) {
        if (!g_hash_table_contains(by_backend, bs) &&
            dbm_out_add_node(s, bs, bdrv_get_node_name(bs), map) < 0) {
            goto fail;
        }
    }
    for (i = 0; i < s->bitmaps->len; i++) {
        if (dbm_out_make_todo(g_ptr_array_index(s->bitmaps, i)) < 0) {
            goto fail;
        }
    }

    /*
     * Nothing fails from here on.  Inactivation at the switch must neither
     * store nor drop the bitmaps we are sending (postcopy sends after it).
     */
    for (i = 0; i < s->bitmaps->len; i++) {
        DBMOutBitmap *b = g_ptr_array_index(s->bitmaps, i);

        bdrv_dirty_bitmap_skip_store(b->bitmap, true);
    }
    WITH_QEMU_LOCK_GUARD(&dbm.stats_lock) {
        dbm.out_stats.total = s->bitmaps->len;
        for (i = 0; i < s->bitmaps->len; i++) {
            DBMOutBitmap *b = g_ptr_array_index(s->bitmaps, i);

            b->stat = dbm_stat_bitmap_locked(
                &dbm.out_stats, bdrv_get_node_name(b->bs),
                bdrv_dirty_bitmap_name(b->bitmap),
                bdrv_dirty_bitmap_granularity(b->bitmap));
        }
    }
    s->nothing = s->bitmaps->len == 0;
    return 0;

fail:
    dbm_out_cleanup(s);
    return -1;
}

static int dirty_bitmap_save_setup(QEMUFile *f, void *opaque)
{
    DBMOut *s = &((DBMState *)opaque)->out;
    guint i;

    qemu_mutex_lock_iothread();
    WITH_QEMU_LOCK_GUARD(&dbm.stats_lock) {
        dbm_stats_reset_locked(&dbm.out_stats);
    }
    if (dbm_out_collect(s) < 0) {
        qemu_mutex_unlock_iothread();
        return -1;
    }
    s->live_from = qemu_clock_get_ms(QEMU_CLOCK_REALTIME) +
                   DBM_FIRST_WINDOW_MS;
    for (i = 0; i < s->bitmaps->len; i++) {
        DBMOutBitmap *b = g_ptr_array_index(s->bitmaps, i);
        size_t bytes = dbm_out_put_names(f, s, b, DBM_START);

        qemu_put_be32(f, bdrv_dirty_bitmap_granularity(b->bitmap));
        qemu_put_byte(f, b->start_flags);
        dbm_out_count(b, bytes + 5, false);
    }
    WITH_QEMU_LOCK_GUARD(&dbm.stats_lock) {
        dbm.out_stats.started = s->bitmaps->len;
    }
    dbm_out_put_eos(f);
    qemu_mutex_unlock_iothread();
    return 0;
}

/* Migration thread, no BQL: send what is dirty and not sent yet. */
static int dirty_bitmap_save_iterate(QEMUFile *f, void *opaque)
{
    DBMOut *s = &((DBMState *)opaque)->out;
    bool done = true;

    trace_dirty_bitmap_save_iterate(migration_in_postcopy());
    if (dbm_out_may_send(s)) {
        done = dbm_out_send_todo(f, s, true);
    }
    dbm_out_put_eos(f);
    return done;
}

/* End of precopy or of postcopy; the VM is stopped and the BQL held. */
static int dirty_bitmap_save_complete(QEMUFile *f, void *opaque)
{
    DBMOut *s = &((DBMState *)opaque)->out;
    guint i;

    trace_dirty_bitmap_save_complete_enter();
    dbm_out_send_todo(f, s, false);
    for (i = 0; i < s->bitmaps->len; i++) {
        DBMOutBitmap *b = g_ptr_array_index(s->bitmaps, i);

        dbm_out_count(b, dbm_out_put_names(f, s, b, DBM_COMPLETE), false);
        WITH_QEMU_LOCK_GUARD(&dbm.stats_lock) {
            b->stat->completed = true;
            dbm.out_stats.completed++;
        }
    }
    dbm_out_put_eos(f);
    WITH_QEMU_LOCK_GUARD(&dbm.stats_lock) {
        dbm.out_stats.pending = 0;
    }
    trace_dirty_bitmap_save_complete_finish();

    /* Before 'completed': the todo bitmaps must be gone by then. */
    dbm_out_cleanup(s);
    return 0;
}

static void dirty_bitmap_save_cleanup(void *opaque)
{
    dbm_out_cleanup(&((DBMState *)opaque)->out);
}

/* Migration thread, no BQL. */
static void dirty_bitmap_save_pending(QEMUFile *f, void *opaque,
                                      uint64_t max_size,
                                      uint64_t *res_precopy_only,
                                      uint64_t *res_compatible,
                                      uint64_t *res_postcopy_only)
{
    DBMOut *s = &((DBMState *)opaque)->out;
    uint64_t bytes = 0;
    guint i;

    for (i = 0; i < s->bitmaps->len; i++) {
        bytes += dbm_out_todo_bytes(g_ptr_array_index(s->bitmaps, i));
    }
    if (migration_in_postcopy()) {
        *res_compatible += bytes;
    } else if (dbm_out_may_send(s)) {
        bytes += s->end_bytes;
        *res_compatible += bytes;
    } else {
        bytes += s->end_bytes;
        *res_postcopy_only += bytes;
    }
    WITH_QEMU_LOCK_GUARD(&dbm.stats_lock) {
        dbm.out_stats.pending = bytes;
    }
    trace_dirty_bitmap_save_pending(bytes, max_size);
}

static bool dirty_bitmap_is_active(void *opaque)
{
    DBMOut *s = &((DBMState *)opaque)->out;

    return migrate_dirty_bitmaps() && !s->nothing;
}

/* Iterate only with something to send and leave to send it. */
static bool dirty_bitmap_is_active_iterate(void *opaque)
{
    DBMOut *s = &((DBMState *)opaque)->out;
    guint i;

    if (!dirty_bitmap_is_active(opaque) || !dbm_out_may_send(s)) {
        return false;
    }
    for (i = 0; i < s->bitmaps->len; i++) {
        if (dbm_out_todo_bytes(g_ptr_array_index(s->bitmaps, i))) {
            return true;
        }
    }
    return false;
}

static bool dirty_bitmap_has_postcopy(void *opaque)
{
    return true;
}

void dirty_bitmap_mig_cancel_outgoing(void)
{
    dbm_out_cleanup(&dbm.out);
}

/* ---- Destination: reading a chunk ---- */

/* A name; false (@errp set) if it is empty or has a NUL inside. */
static bool dbm_in_read_name(QEMUFile *f, char *buf, const char *what,
                             Error **errp)
{
    size_t len = qemu_get_counted_string(f, buf);

    if (len == 0 || strlen(buf) != len) {
        error_setg(errp, "Unable to read %s string", what);
        return false;
    }
    return true;
}

/*
 * Flags in any of the three forms: the chunk bits in the low 7 bits, the
 * forms' 0x80 markers above them.  *@len: the form's bytes.
 */
static uint32_t dbm_in_read_flags(QEMUFile *f, uint32_t *len)
{
    uint32_t v = qemu_get_byte(f);

    *len = 1;
    if (v & DBM_MORE_FLAGS) {
        v = (v << 8) | qemu_get_byte(f);
        *len = 2;
        if (v & DBM_MORE_FLAGS) {
            v = (v << 16) | qemu_get_be16(f);
            *len = 4;
        }
    }
    return v;
}

/* Only the markers of the 2-byte and 4-byte forms may sit above bit 6. */
static bool dbm_in_flags_known(uint32_t v)
{
    switch (v & ~(uint32_t)DBM_CHUNK_BITS_MASK) {
    case 0:
    case DBM_MORE_FLAGS << 8:
    case (uint32_t)DBM_MORE_FLAGS << 24 | DBM_MORE_FLAGS << 16:
        return true;
    default:
        return false;
    }
}

/*
 * Read one chunk into @c without looking at any state.  Returns 0, or a
 * negative errno for a stream that cannot be read on (with @errp set,
 * unless the stream itself failed: its error says why).
 */
static int dbm_in_read_chunk(QEMUFile *f, DBMChunk *c, Error **errp)
{
    uint32_t v = dbm_in_read_flags(f, &c->wire_bytes);

    trace_dirty_bitmap_load_header(v);
    if (qemu_file_get_error(f)) {
        return qemu_file_get_error(f);
    }
    if (!dbm_in_flags_known(v)) {
        error_setg(errp, "Unknown flags in migrated dirty bitmap chunk: 0x%"
                   PRIx32, v);
        return -EINVAL;
    }
    c->flags = v & DBM_CHUNK_BITS_MASK;

    if (c->flags & DBM_DEVICE_NAME) {
        if (!dbm_in_read_name(f, c->node_alias, "node alias", errp)) {
            return -EINVAL;
        }
        c->wire_bytes += 1 + strlen(c->node_alias);
    }
    if (c->flags & DBM_BITMAP_NAME) {
        if (!dbm_in_read_name(f, c->bitmap_alias, "bitmap alias", errp)) {
            return -EINVAL;
        }
        c->wire_bytes += 1 + strlen(c->bitmap_alias);
    }

    if (c->flags & DBM_START) {
        c->granularity = qemu_get_be32(f);
        c->bitmap_flags = qemu_get_byte(f);
        c->wire_bytes += 5;
    } else if (c->flags & DBM_COMPLETE) {
        /* no body */
    } else if (c->flags & DBM_BITS) {
        struct QEMU_PACKED {
            uint64_t sector;
            uint32_t nr;
        } body = { 0 };

        qemu_get_buffer(f, (uint8_t *)&body, sizeof(body));
        c->sector = GUINT64_FROM_BE(body.sector);
        c->nr_sectors = GUINT32_FROM_BE(body.nr);
        c->wire_bytes += sizeof(body);
        trace_dirty_bitmap_load_bits_enter(c->sector, c->nr_sectors);
        c->buf_size = 0;
        if (c->flags & DBM_ZEROES) {
            trace_dirty_bitmap_load_bits_zeroes();
        } else {
            /* Bounded before reading: a sender never needs this much. */
            c->buf_size = qemu_get_be64(f);
            if (c->buf_size > DBM_MAX_BUF) {
                error_setg(errp, "Bitmap migration stream buffer allocation "
                           "request is too large");
                return -EIO;
            }
            if (qemu_get_buffer(f, c->buf, c->buf_size) != c->buf_size) {
                error_setg(errp, "Failed to read bitmap bits");
                return -EIO;
            }
            c->wire_bytes += 8 + c->buf_size;
        }
    }
    return qemu_file_get_error(f);
}

/* ---- Destination: bitmaps this migration owns ---- */

/*
 * by_name: an owned bitmap still loading is found by its node and its
 * name.  A complete one leaves it: QMP may remove it (it is not busy) and
 * a START may make another of that name, so only the node's list, read
 * with the BQL, can tell what its name leads to.
 */
static guint dbm_in_key_hash(gconstpointer p)
{
    const DBMInBitmap *e = p;

    return g_str_hash(e->name) ^ g_direct_hash(e->bs);
}

static gboolean dbm_in_key_equal(gconstpointer a, gconstpointer b)
{
    const DBMInBitmap *x = a, *y = b;

    return x->bs == y->bs && !strcmp(x->name, y->name);
}

/* Our bitmap @name on @bs still loading, or NULL.  Under s->lock. */
static DBMInBitmap *dbm_in_lookup(DBMIn *s, BlockDriverState *bs,
                                  const char *name)
{
    DBMInBitmap key = { .bs = bs, .name = (char *)name };

    return g_hash_table_lookup(s->by_name, &key);
}

static guint dbm_in_node_count(DBMIn *s, BlockDriverState *bs)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(s->nodes, bs));
}

/* Own @e, which a START just made.  Under s->lock. */
static void dbm_in_own(DBMIn *s, DBMInBitmap *e)
{
    QTAILQ_INSERT_TAIL(&s->owned, e, link);
    g_hash_table_add(s->by_name, e);
    g_hash_table_insert(s->nodes, e->bs,
                        GUINT_TO_POINTER(dbm_in_node_count(s, e->bs) + 1));
}

/*
 * @e leaves the owned list.  Its node may go once we let it go, so the
 * stream's current node is forgotten unless we still own one of its
 * bitmaps.  Under s->lock.
 */
static void dbm_in_disown(DBMIn *s, DBMInBitmap *e)
{
    guint n = dbm_in_node_count(s, e->bs);

    QTAILQ_REMOVE(&s->owned, e, link);
    if (!e->complete) {
        g_hash_table_remove(s->by_name, e);
    }
    if (s->cur == e) {
        s->cur = NULL;
        s->bitmap = NULL;
    }
    if (n > 1) {
        g_hash_table_insert(s->nodes, e->bs, GUINT_TO_POINTER(n - 1));
    } else {
        g_hash_table_remove(s->nodes, e->bs);
        if (s->bs == e->bs) {
            s->bs = NULL;
        }
    }
}

/* Free @e; its node is unreferenced by dbm_in_settle().  Under s->lock. */
static void dbm_in_forget(DBMIn *s, DBMInBitmap *e)
{
    g_ptr_array_add(s->unref, e->bs);
    g_free(e->name);
    g_free(e);
}

/* The bitmap is the VM's from now on. */
static void dbm_in_hand_over(DBMIn *s, DBMInBitmap *e)
{
    dbm_in_disown(s, e);
    dbm_in_forget(s, e);
}

/*
 * Whether @e's bitmap is still on its node (QMP may remove a complete
 * one before the VM starts).  BQL held.
 */
static bool dbm_in_still_there(DBMInBitmap *e)
{
    return bdrv_find_dirty_bitmap(e->bs, e->name) == e->bitmap;
}

/*
 * With the BQL: release the bitmaps given up and unreference the nodes
 * let go of.  Under s->lock too.
 */
static void dbm_in_settle(DBMIn *s)
{
    DBMInBitmap *e;
    guint i;

    while ((e = QTAILQ_FIRST(&s->dropped))) {
        QTAILQ_REMOVE(&s->dropped, e, link);
        /* Incomplete ones are busy or frozen: only complete ones can go. */
        if (!e->complete || dbm_in_still_there(e)) {
            if (bdrv_dirty_bitmap_has_successor(e->bitmap)) {
                bdrv_reclaim_dirty_bitmap(e->bitmap, &error_abort);
            } else {
                bdrv_dirty_bitmap_set_busy(e->bitmap, false);
            }
            bdrv_release_dirty_bitmap(e->bitmap);
        }
        dbm_in_forget(s, e);
    }
    for (i = 0; i < s->unref->len; i++) {
        bdrv_unref(g_ptr_array_index(s->unref, i));
    }
    g_ptr_array_set_size(s->unref, 0);
}

/*
 * A bitmap did not migrate: say so in the log and the progress report;
 * under x-dirty-bitmaps-strict the migration is to fail.  @node, @name:
 * this side's names, or the stream's where they lead nowhere.  @kept:
 * kept, every bit from byte @from on set.  Under s->lock.
 */
static void dbm_in_note_drop(DBMIn *s, const char *node, const char *name,
                             DBMDrop why, bool kept, uint64_t from)
{
    bool listed;
    uint64_t more;

    WITH_QEMU_LOCK_GUARD(&dbm.stats_lock) {
        listed = dbm_stat_drop_locked(&dbm.in_stats, node, name, why, kept,
                                      from);
        more = dbm.in_stats.dropped_more;
    }
    if (dbm_strict()) {
        s->failed = true;
    }
    if (!listed) {
        if (more == 1) {
            warn_report("More than %d bitmaps did not migrate: the rest "
                        "are only counted", DBM_DROPPED_MAX);
        }
        return;
    }
    if (kept) {
        warn_report("Migrated bitmap '%s' on node '%s' did not arrive "
                    "whole (%s): kept with every bit from byte %" PRIu64
                    " on set (x-dirty-bitmaps-keep-incomplete)",
                    name, node, dbm_drop_why[why], from);
    } else {
        warn_report("Bitmap '%s' on node '%s' did not migrate (%s)",
                    name, node, dbm_drop_why[why]);
    }
}

/*
 * The bits of @e are all there (or as many as will come): it records
 * again, through its successor if it has one, and is no longer found by
 * name.  Under s->lock.
 */
static void dbm_in_finish(DBMIn *s, DBMInBitmap *e)
{
    /* An empty bitmap has nothing to finish. */
    if (bdrv_dirty_bitmap_size(e->bitmap) > 0) {
        bdrv_dirty_bitmap_deserialize_finish(e->bitmap);
    }
    if (bdrv_dirty_bitmap_has_successor(e->bitmap)) {
        bdrv_reclaim_dirty_bitmap(e->bitmap, &error_abort);
    } else {
        bdrv_dirty_bitmap_set_busy(e->bitmap, false);
    }
    g_hash_table_remove(s->by_name, e);
    e->complete = true;
}

/*
 * @e did not arrive whole (@why).  By default it is removed (released
 * with the BQL, by dbm_in_settle()), as QEMU 7.2 does; with
 * x-dirty-bitmaps-keep-incomplete it is finished as if its COMPLETE had
 * come, with every bit from its first byte not known final on set: a
 * superset of the source's bitmap, so that an incremental backup from
 * it is right, only larger.  Under s->lock.
 */
static void dbm_in_drop(DBMIn *s, DBMInBitmap *e, DBMDrop why)
{
    const char *node = bdrv_get_node_name(e->bs);

    if (!e->complete && dbm_keep_incomplete()) {
        int64_t size = bdrv_dirty_bitmap_size(e->bitmap);
        uint64_t from = MIN(e->final_end, size);

        dbm_in_note_drop(s, node, e->name, why, true, from);
        dbm_in_finish(s, e);
        if (from < size) {
            bdrv_set_dirty_bitmap(e->bitmap, from, size - from);
        }
        if (s->vm_started) {
            dbm_in_hand_over(s, e);
        }
        return;
    }
    dbm_in_note_drop(s, node, e->name, why, false, 0);
    dbm_in_disown(s, e);
    QTAILQ_INSERT_TAIL(&s->dropped, e, link);
}

/*
 * Give bitmap migration up: later chunks are ignored, and the bitmaps
 * this migration owns did not arrive whole.  @why is the reason of the
 * bitmap in hand (whose chunk made us give up); the others are
 * DBM_DROP_CANCELLED, unless @why is DBM_DROP_INCOMPLETE (the stream
 * broke or ended).  Complete ones stay with x-dirty-bitmaps-keep-
 * incomplete; without it they are released too, as 7.2 does.  Under
 * s->lock; what is to be released waits for dbm_in_settle().
 */
static void dbm_in_cancel_locked(DBMIn *s, DBMDrop why)
{
    DBMInBitmap *e, *next;

    if (s->cancelled) {
        return;
    }
    s->cancelled = true;
    s->why = why;
    QTAILQ_FOREACH_SAFE(e, &s->owned, link, next) {
        DBMDrop r = e == s->cur || why == DBM_DROP_INCOMPLETE
                    ? why : DBM_DROP_CANCELLED;

        if (e->complete) {
            if (!dbm_keep_incomplete()) {
                dbm_in_drop(s, e, DBM_DROP_CANCELLED);
            }
            continue;
        }
        dbm_in_drop(s, e, r);
    }
    s->bs = NULL;
    s->bitmap = NULL;
    s->cur = NULL;
}

/* Cancel with a message that names the bitmap in hand.  Under s->lock. */
static void G_GNUC_PRINTF(2, 3)
dbm_in_give_up(DBMIn *s, const char *fmt, ...)
{
    g_autofree char *why = NULL;
    va_list ap;

    va_start(ap, fmt);
    why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    error_report("Migrated bitmap '%s' on node '%s': %s; cancelling bitmap "
                 "migration", s->bitmap_name,
                 s->bs ? bdrv_get_node_name(s->bs) : "", why);
    dbm_in_cancel_locked(s, DBM_DROP_INVALID);
}

/* ---- Destination: applying a chunk ---- */

/* dbm_in_follow_names(): the BQL is needed to resolve the names. */
#define DBM_NEED_BQL 1

/*
 * The node @alias names, reporting why when there is none (*@why).  With
 * @map, also its mapping entry in @entry.  BQL held.
 */
static BlockDriverState *dbm_in_find_node(const char *alias, GHashTable *map,
                                          DBMMapNode **entry, DBMDrop *why)
{
    BlockDriverState *bs = NULL;
    Error *err = NULL;

    *why = DBM_DROP_NO_NODE;
    if (!map) {
        bs = bdrv_lookup_bs(alias, alias, &err);
    } else {
        *entry = g_hash_table_lookup(map, alias);
        if (*entry) {
            bs = bdrv_lookup_bs(NULL, (*entry)->entry->node_name, &err);
        } else {
            error_setg(&err, "Error: Unknown node alias '%s'", alias);
            *why = DBM_DROP_NO_MAPPING;
        }
    }
    if (!bs) {
        error_report_err(err);
    }
    return bs;
}

/*
 * Follow the chunk's names to the node and bitmap it is about (s->bs,
 * s->bitmap, and s->cur if the bitmap is ours).  Names that lead nowhere
 * cancel bitmap migration.  Stores the mapping entry of the bitmap in
 * *@bentry when the chunk named it.  Returns DBM_NEED_BQL, having
 * changed nothing that a second call with the BQL would not redo, when
 * a bitmap that is not one of ours still loading must be looked up
 * without @bql.
 */
static int dbm_in_follow_names(DBMIn *s, const DBMChunk *c, GHashTable *map,
                               bool bql,
                               const BitmapMigrationBitmapAlias **bentry)
{
    DBMMapNode *nentry = NULL;
    bool about_nothing = !(c->flags & ~DBM_EOS);
    const char *name;
    DBMDrop why;

    *bentry = NULL;
    if (c->flags & DBM_DEVICE_NAME) {
        assert(bql);
        g_strlcpy(s->node_alias, c->node_alias, sizeof(s->node_alias));
        s->bitmap = NULL;       /* a new node: the bitmap is named anew */
        s->cur = NULL;
        if (!s->cancelled) {
            s->bs = dbm_in_find_node(s->node_alias, map, &nentry, &why);
            if (!s->bs) {
                dbm_in_cancel_locked(s, why);
            }
        }
    } else if (s->bs && !s->cancelled) {
        if (map) {
            /* Only differs from the last section's if the mapping did. */
            nentry = g_hash_table_lookup(map, s->node_alias);
            if (!nentry) {
                error_report("Error: Unknown node alias '%s'",
                             s->node_alias);
                dbm_in_cancel_locked(s, DBM_DROP_NO_MAPPING);
            }
        }
    } else if (!about_nothing && !s->cancelled) {
        error_report("Error: block device name is not set");
        dbm_in_cancel_locked(s, DBM_DROP_INVALID);
    }

    if (!(c->flags & DBM_BITMAP_NAME)) {
        if (!s->bitmap && !about_nothing && !s->cancelled) {
            error_report("Error: block device name is not set");
            dbm_in_cancel_locked(s, DBM_DROP_INVALID);
        }
        return 0;
    }

    g_strlcpy(s->bitmap_alias, c->bitmap_alias, sizeof(s->bitmap_alias));
    name = s->bitmap_alias;
    if (!s->cancelled && map) {
        *bentry = dbm_map_bitmap(nentry, s->bitmap_alias);
        if (!*bentry) {
            error_report("Error: Unknown bitmap alias '%s' on node '%s' "
                         "(alias '%s')", s->bitmap_alias,
                         bdrv_get_node_name(s->bs), s->node_alias);
            dbm_in_cancel_locked(s, DBM_DROP_NO_MAPPING);
            return 0;
        }
        name = (*bentry)->name;
    }
    if (s->cancelled) {
        return 0;
    }
    g_strlcpy(s->bitmap_name, name, sizeof(s->bitmap_name));
    /* BITS and COMPLETE of ours still loading: no block layer needed. */
    s->cur = c->flags & DBM_START ? NULL
             : dbm_in_lookup(s, s->bs, s->bitmap_name);
    if (s->cur) {
        s->bitmap = s->cur->bitmap;
        return 0;
    }
    if (!bql) {
        return DBM_NEED_BQL;
    }
    s->bitmap = bdrv_find_dirty_bitmap(s->bs, s->bitmap_name);
    /* Only a START may name a bitmap that is not there yet. */
    if (!s->bitmap && !(c->flags & DBM_START)) {
        error_report("Error: unknown dirty bitmap '%s' for block "
                     "device '%s'", s->bitmap_name,
                     bdrv_get_node_name(s->bs));
        dbm_in_cancel_locked(s, DBM_DROP_INVALID);
    }
    return 0;
}

/*
 * START refused: note its bitmap as @why (DBM_DROP_INVALID: a stream
 * 7.2 refuses too, that fails the load) and give up.  Under s->lock.
 */
static void dbm_in_start_refused(DBMIn *s, DBMDrop why)
{
    dbm_in_note_drop(s, bdrv_get_node_name(s->bs), s->bitmap_name, why,
                     false, 0);
    dbm_in_cancel_locked(s, why);
}

/*
 * START: make the bitmap, frozen until its COMPLETE.  A negative errno
 * (@errp set) fails the load.  BQL held.
 */
static int dbm_in_start(DBMIn *s, const DBMChunk *c,
                        const BitmapMigrationBitmapAlias *bentry,
                        Error **errp)
{
    bool enabled = c->bitmap_flags & DBM_BM_ENABLED;
    bool persistent = c->bitmap_flags & DBM_BM_PERSISTENT;
    BdrvDirtyBitmap *bm;
    DBMInBitmap *e;

    if (s->bitmap) {
        error_setg(errp, "Bitmap with the same name ('%s') already exists "
                   "on destination", s->bitmap_name);
        dbm_in_start_refused(s, DBM_DROP_INVALID);
        return -EINVAL;
    }
    if (c->bitmap_flags & DBM_BM_RESERVED) {
        error_setg(errp, "Unknown flags in migrated dirty bitmap header: %x",
                   c->bitmap_flags);
        dbm_in_start_refused(s, DBM_DROP_INVALID);
        return -EINVAL;
    }
    if (c->granularity < BDRV_SECTOR_SIZE ||
        !is_power_of_2(c->granularity)) {
        dbm_in_note_drop(s, bdrv_get_node_name(s->bs), s->bitmap_name,
                         DBM_DROP_INVALID, false, 0);
        dbm_in_give_up(s, "granularity %" PRIu32 " is not a power of 2 of "
                       "at least 512", c->granularity);
        return 0;
    }

    bm = bdrv_create_dirty_bitmap(s->bs, c->granularity, s->bitmap_name,
                                  errp);
    if (!bm) {
        dbm_in_start_refused(s, DBM_DROP_INVALID);
        return -EINVAL;
    }
    if (bentry && bentry->has_transform &&
        bentry->transform->has_persistent) {
        persistent = bentry->transform->persistent;
    }
    if (persistent) {
        bdrv_dirty_bitmap_set_persistence(bm, true);
    }
    /*
     * The bits stay still until COMPLETE, kept away from QMP.  An enabled
     * bitmap gets its successor now, disabled: it records the guest's
     * writes if the VM starts first (postcopy).  Not made at VM start:
     * that is the switch-over, and a successor of a large bitmap costs
     * there (QEMU's iotests run with MALLOC_PERTURB_, which turns each
     * zeroed allocation into a memset: 0.6 s of downtime in
     * migrate-bitmaps-postcopy-test).
     */
    bdrv_disable_dirty_bitmap(bm);
    if (enabled) {
        bdrv_dirty_bitmap_create_successor(bm, &error_abort);
    } else {
        bdrv_dirty_bitmap_set_busy(bm, true);
    }

    bdrv_ref(s->bs);
    e = g_new0(DBMInBitmap, 1);
    e->bs = s->bs;
    e->bitmap = bm;
    e->name = g_strdup(s->bitmap_name);
    e->enabled = enabled;
    WITH_QEMU_LOCK_GUARD(&dbm.stats_lock) {
        e->stat = dbm_stat_bitmap_locked(&dbm.in_stats,
                                         bdrv_get_node_name(s->bs),
                                         e->name, c->granularity);
        dbm.in_stats.started++;
    }
    dbm_in_own(s, e);
    s->bitmap = bm;
    s->cur = e;
    return 0;
}

/*
 * The bitmap in hand if this migration started it and it is not complete
 * yet; else cancels and returns NULL.  A chunk that names a complete one
 * finds no bitmap of ours (see by_name); one that names none keeps the
 * bitmap in hand, complete or not.
 */
static DBMInBitmap *dbm_in_loading(DBMIn *s)
{
    DBMInBitmap *e = s->cur;

    if (!e) {
        dbm_in_give_up(s, "not started by this migration, or already "
                       "complete");
    } else if (e->complete) {
        dbm_in_give_up(s, "already complete");
        e = NULL;
    }
    return e;
}

/* COMPLETE: the bits are all there. */
static void dbm_in_complete(DBMIn *s)
{
    DBMInBitmap *e;

    trace_dirty_bitmap_load_complete();
    if (s->cancelled || !(e = dbm_in_loading(s))) {
        return;
    }
    dbm_in_finish(s, e);
    WITH_QEMU_LOCK_GUARD(&dbm.stats_lock) {
        e->stat->completed = true;
        dbm.in_stats.completed++;
    }
    if (s->vm_started) {
        dbm_in_hand_over(s, e);
    }
}

/*
 * Whether the BITS range [@start, +@bytes) fits the bitmap in hand: inside
 * it, on a serialization boundary, whole words unless it ends in the last
 * granule.  Cancels if not.
 */
static bool dbm_in_range_ok(DBMIn *s, uint64_t sector, uint64_t bytes)
{
    uint64_t size = bdrv_dirty_bitmap_size(s->bitmap);
    uint64_t gran = bdrv_dirty_bitmap_granularity(s->bitmap);
    uint64_t word = bdrv_dirty_bitmap_serialization_align(s->bitmap);
    uint64_t limit = ROUND_UP(size, gran);
    /* Both fit 64 bits once the sector is below the size's. */
    uint64_t start = MIN(sector, size >> BDRV_SECTOR_BITS) << BDRV_SECTOR_BITS;
    uint64_t end = start + bytes;

    if (sector > size >> BDRV_SECTOR_BITS || end > limit) {
        dbm_in_give_up(s, "chunk at sector %" PRIu64 " of %" PRIu64
                       " sectors is beyond its %" PRIu64 " bytes", sector,
                       bytes >> BDRV_SECTOR_BITS, size);
        return false;
    }
    if (bytes == 0) {
        return true;            /* 7.2 sends these for empty nodes */
    }
    if (start % word) {
        dbm_in_give_up(s, "chunk at sector %" PRIu64 " is not aligned to %"
                       PRIu64 " bytes", sector, word);
        return false;
    }
    if (bytes % word && end < limit - gran + 1) {
        dbm_in_give_up(s, "chunk at sector %" PRIu64 " of %" PRIu64
                       " bytes is not a multiple of %" PRIu64 " bytes",
                       sector, bytes, word);
        return false;
    }
    return true;
}

/* BITS: a range of the bitmap, as data or ZEROES. */
static void dbm_in_bits(DBMIn *s, const DBMChunk *c)
{
    uint64_t bytes = (uint64_t)c->nr_sectors << BDRV_SECTOR_BITS;
    uint64_t start = c->sector << BDRV_SECTOR_BITS;
    uint64_t needed;
    DBMInBitmap *e;

    if (s->cancelled || !(e = dbm_in_loading(s)) ||
        !dbm_in_range_ok(s, c->sector, bytes)) {
        return;
    }
    if (!(c->flags & DBM_ZEROES)) {
        needed = bytes ? bdrv_dirty_bitmap_serialization_size(s->bitmap,
                                                              start, bytes)
                       : 0;
        /* What a sender may send: the exact size up to its padding. */
        if (c->buf_size < needed ||
            c->buf_size > ROUND_UP(needed, 4 * sizeof(long))) {
            error_report("Migrated bitmap granularity doesn't match the "
                         "destination bitmap '%s' granularity",
                         bdrv_dirty_bitmap_name(s->bitmap));
            dbm_in_cancel_locked(s, DBM_DROP_INVALID);
            return;
        }
    }
    if (bytes == 0) {
        return;
    }
    bdrv_dirty_bitmap_lock(s->bitmap);
    if (c->flags & DBM_ZEROES) {
        bdrv_dirty_bitmap_deserialize_zeroes(s->bitmap, start, bytes, false);
    } else {
        bdrv_dirty_bitmap_deserialize_part(s->bitmap, (uint8_t *)c->buf,
                                           start, bytes, false);
    }
    bdrv_dirty_bitmap_unlock(s->bitmap);
    /* Once the source is stopped, what comes is final and in order. */
    if (migration_in_incoming_postcopy()) {
        e->final_end = MAX(e->final_end, start + bytes);
    }
}


/*
 * Apply one chunk under s->lock.  Returns 0, a negative errno that
 * fails the load (@errp set), or DBM_NEED_BQL when it must be applied
 * again with the BQL.
 */
static int dbm_in_apply_locked(DBMIn *s, const DBMChunk *c, GHashTable *map,
                               bool bql, Error **errp)
{
    const BitmapMigrationBitmapAlias *bentry;
    bool was_cancelled = s->cancelled;
    DBMStatBitmap *sb;
    int ret;

    ret = dbm_in_follow_names(s, c, map, bql, &bentry);
    if (ret == DBM_NEED_BQL) {
        return ret;
    }
    /* An EOS alone is about no bitmap (the sender counts it so too). */
    sb = s->cur && (c->flags & ~DBM_EOS) ? s->cur->stat : NULL;
    if (c->flags & DBM_START) {
        WITH_QEMU_LOCK_GUARD(&dbm.stats_lock) {
            dbm.in_stats.used = true;
            dbm.in_stats.total++;
        }
        if (s->cancelled) {
            /* The names lead nowhere here: the stream's are reported. */
            dbm_in_note_drop(s, s->node_alias, s->bitmap_alias,
                             was_cancelled ? DBM_DROP_CANCELLED
                                           : s->why,
                             false, 0);
        } else {
            ret = dbm_in_start(s, c, bentry, errp);
            sb = s->cur ? s->cur->stat : NULL;
        }
    } else if (c->flags & DBM_COMPLETE) {
        dbm_in_complete(s);
    } else if (c->flags & DBM_BITS) {
        dbm_in_bits(s, c);
    }
    WITH_QEMU_LOCK_GUARD(&dbm.stats_lock) {
        dbm_stat_add_locked(&dbm.in_stats, sb, c->wire_bytes,
                            (c->flags & (DBM_START | DBM_COMPLETE |
                                         DBM_BITS)) == DBM_BITS);
    }
    if (!ret && s->failed) {
        error_setg(errp, "Dirty bitmaps did not migrate and "
                   "x-dirty-bitmaps-strict is set: failing the migration");
        ret = -EINVAL;
    }
    return ret;
}

/*
 * Apply one chunk.  Chunks that may reach the block layer's global state
 * (a node to find, a bitmap to make, a bitmap not ours to find) run with
 * the BQL; bitmaps given up are released with it afterwards.
 */
static int dbm_in_apply(DBMIn *s, const DBMChunk *c, GHashTable *map,
                        Error **errp)
{
    bool bql = false;
    bool settle;
    int ret;

    if (c->flags & (DBM_START | DBM_DEVICE_NAME)) {
        bql = dbm_bql_get();
    }
    for (;;) {
        qemu_mutex_lock(&s->lock);
        ret = dbm_in_apply_locked(s, c, map, qemu_mutex_iothread_locked(),
                                  errp);
        if (ret != DBM_NEED_BQL) {
            break;
        }
        qemu_mutex_unlock(&s->lock);
        bql = dbm_bql_get();
    }
    settle = !QTAILQ_EMPTY(&s->dropped);
    qemu_mutex_unlock(&s->lock);

    if (settle) {
        bool taken = dbm_bql_get();

        WITH_QEMU_LOCK_GUARD(&s->lock) {
            dbm_in_settle(s);
        }
        dbm_bql_put(taken);
    }
    dbm_bql_put(bql);
    return ret;
}

/* Settle what is pending (nodes to unreference, bitmaps to release). */
static void dbm_in_settle_pending(DBMIn *s)
{
    bool pending, taken;

    WITH_QEMU_LOCK_GUARD(&s->lock) {
        pending = s->unref->len || !QTAILQ_EMPTY(&s->dropped);
    }
    if (!pending) {
        return;
    }
    taken = dbm_bql_get();
    WITH_QEMU_LOCK_GUARD(&s->lock) {
        dbm_in_settle(s);
    }
    dbm_bql_put(taken);
}

void dirty_bitmap_mig_cancel_incoming(void)
{
    DBMIn *s = &dbm.in;
    bool taken = dbm_bql_get();

    WITH_QEMU_LOCK_GUARD(&s->lock) {
        dbm_in_cancel_locked(s, DBM_DROP_INCOMPLETE);
        dbm_in_settle(s);
    }
    dbm_bql_put(taken);
}

/*
 * Why the load fails, said once: by the migration core with the section
 * it was loading where minivmm's core takes it, else here.
 */
static void dbm_in_load_failed(Error *err)
{
    if (!err) {
        return;     /* the stream's own error */
    }
#ifdef MIGRATION_DIRTY_BITMAP_EXT
    qemu_loadvm_section_error(err);
#else
    error_report_err(err);
#endif
}

/*
 * load_state: chunks up to EOS.  A broken stream (or one 7.2 refuses too)
 * fails the load; anything else only cancels bitmap migration.
 */
static int dirty_bitmap_load(QEMUFile *f, void *opaque, int version_id)
{
    DBMIn *s = &((DBMState *)opaque)->in;
    g_autoptr(GHashTable) map = NULL;
    g_autofree DBMChunk *c = NULL;
    Error *err = NULL;
    int ret;

    trace_dirty_bitmap_load_enter();
    if (version_id != 1) {
        dirty_bitmap_mig_cancel_incoming();
        return -EINVAL;
    }
    map = dbm_map_current(false);
    c = g_new(DBMChunk, 1);
    do {
        ret = dbm_in_read_chunk(f, c, &err);
        if (!ret) {
            ret = dbm_in_apply(s, c, map, &err);
        }
        if (ret) {
            dirty_bitmap_mig_cancel_incoming();
            dbm_in_load_failed(err);
            return ret;
        }
    } while (!(c->flags & DBM_EOS));
    /* Nodes of bitmaps handed over meanwhile: one BQL per section. */
    dbm_in_settle_pending(s);
    trace_dirty_bitmap_load_success();
    return 0;
}

/* A new incoming migration: its figures start from zero. */
static int dirty_bitmap_load_setup(QEMUFile *f, void *opaque)
{
    WITH_QEMU_LOCK_GUARD(&dbm.stats_lock) {
        dbm_stats_reset_locked(&dbm.in_stats);
    }
    return 0;
}

/*
 * The destination VM is about to run (BQL held): complete bitmaps become
 * the VM's, enabled again if they were; incomplete enabled ones let their
 * successor record the VM's writes until their COMPLETE.
 */
void dirty_bitmap_mig_before_vm_start(void)
{
    DBMIn *s = &dbm.in;
    DBMInBitmap *e, *next;

    QEMU_LOCK_GUARD(&s->lock);
    assert(!s->vm_started);
    QTAILQ_FOREACH_SAFE(e, &s->owned, link, next) {
        if (!e->complete) {
            if (e->enabled) {
                bdrv_dirty_bitmap_enable_successor(e->bitmap);
            }
            continue;
        }
        if (e->enabled && dbm_in_still_there(e)) {
            bdrv_enable_dirty_bitmap(e->bitmap);
        }
        dbm_in_hand_over(s, e);
    }
    s->vm_started = true;
    dbm_in_settle(s);
}

/* ---- minivmm's query-migrate member x-dirty-bitmaps ---- */

#ifdef MIGRATION_DIRTY_BITMAP_EXT
static const XDirtyBitmapDropReason dbm_drop_qapi[] = {
    [DBM_DROP_BUSY] = X_DIRTY_BITMAP_DROP_REASON_BUSY,
    [DBM_DROP_READONLY] = X_DIRTY_BITMAP_DROP_REASON_READONLY,
    [DBM_DROP_INCONSISTENT] = X_DIRTY_BITMAP_DROP_REASON_INCONSISTENT,
    [DBM_DROP_NO_MAPPING] = X_DIRTY_BITMAP_DROP_REASON_NO_MAPPING,
    [DBM_DROP_NO_NODE] = X_DIRTY_BITMAP_DROP_REASON_NO_NODE,
    [DBM_DROP_INVALID] = X_DIRTY_BITMAP_DROP_REASON_INVALID,
    [DBM_DROP_INCOMPLETE] = X_DIRTY_BITMAP_DROP_REASON_INCOMPLETE,
    [DBM_DROP_CANCELLED] = X_DIRTY_BITMAP_DROP_REASON_CANCELLED,
};

/* The figures of @st as QAPI, or NULL if that direction never ran. */
static XDirtyBitmapMigrationInfo *dbm_stats_info(DBMStats *st,
                                                 bool incoming)
{
    XDirtyBitmapMigrationInfo *info;
    XDirtyBitmapMigrationBitmapList **bt;
    XDirtyBitmapMigrationDroppedList **dt;
    guint i;

    QEMU_LOCK_GUARD(&dbm.stats_lock);
    if (!st->used) {
        return NULL;
    }
    info = g_new0(XDirtyBitmapMigrationInfo, 1);
    info->incoming = incoming;
    info->total = st->total;
    info->started = st->started;
    info->completed = st->completed;
    info->bytes = st->bytes;
    info->has_pending = !incoming;
    info->pending = st->pending;
    info->chunks = st->chunks;
    bt = &info->bitmaps;
    for (i = 0; i < st->bitmaps->len; i++) {
        const DBMStatBitmap *sb = g_ptr_array_index(st->bitmaps, i);
        XDirtyBitmapMigrationBitmap *b = g_new0(XDirtyBitmapMigrationBitmap,
                                                1);

        b->node = g_strdup(sb->node);
        b->name = g_strdup(sb->name);
        b->granularity = sb->granularity;
        b->bytes = sb->bytes;
        b->chunks = sb->chunks;
        b->completed = sb->completed;
        QAPI_LIST_APPEND(bt, b);
    }
    dt = &info->dropped;
    for (i = 0; i < st->dropped->len; i++) {
        const DBMStatDrop *sd = g_ptr_array_index(st->dropped, i);
        XDirtyBitmapMigrationDropped *d = g_new0(XDirtyBitmapMigrationDropped,
                                                 1);

        d->node = g_strdup(sd->node);
        d->name = g_strdup(sd->name);
        d->reason = dbm_drop_qapi[sd->reason];
        d->kept = sd->kept;
        d->has_dirty_from = sd->kept;
        d->dirty_from = sd->dirty_from;
        QAPI_LIST_APPEND(dt, d);
    }
    info->has_dropped_more = st->dropped_more > 0;
    info->dropped_more = st->dropped_more;
    return info;
}

/* BQL held. */
static XDirtyBitmapMigrationInfo *dirty_bitmap_mig_query(bool incoming)
{
    return dbm_stats_info(incoming ? &dbm.in_stats : &dbm.out_stats,
                          incoming);
}

/*
 * The stream is over: a bitmap whose COMPLETE has not come will not get
 * it.  Then whether the incoming migration may complete.  BQL held.
 */
static bool dirty_bitmap_mig_incoming_end(Error **errp)
{
    DBMIn *s = &dbm.in;
    DBMInBitmap *e, *next;
    uint64_t n;

    QEMU_LOCK_GUARD(&s->lock);
    QTAILQ_FOREACH_SAFE(e, &s->owned, link, next) {
        if (!e->complete) {
            dbm_in_drop(s, e, DBM_DROP_INCOMPLETE);
        }
    }
    dbm_in_settle(s);
    if (!s->failed) {
        return true;
    }
    WITH_QEMU_LOCK_GUARD(&dbm.stats_lock) {
        n = dbm.in_stats.dropped->len + dbm.in_stats.dropped_more;
    }
    error_setg(errp, "%" PRIu64 " dirty bitmap(s) did not migrate and "
               "x-dirty-bitmaps-strict is set", n);
    return false;
}

static const DirtyBitmapMigExt dbm_ext = {
    .query = dirty_bitmap_mig_query,
    .incoming_end = dirty_bitmap_mig_incoming_end,
};
#endif

/* ---- Registration ---- */

static SaveVMHandlers dbm_handlers = {
    .save_setup = dirty_bitmap_save_setup,
    .save_live_iterate = dirty_bitmap_save_iterate,
    .save_live_complete_precopy = dirty_bitmap_save_complete,
    .save_live_complete_postcopy = dirty_bitmap_save_complete,
    .save_live_pending = dirty_bitmap_save_pending,
    .save_cleanup = dirty_bitmap_save_cleanup,
    .has_postcopy = dirty_bitmap_has_postcopy,
    .is_active = dirty_bitmap_is_active,
    .is_active_iterate = dirty_bitmap_is_active_iterate,
    .load_setup = dirty_bitmap_load_setup,
    .load_state = dirty_bitmap_load,
};

void dirty_bitmap_mig_init(void)
{
    dbm.out.bitmaps = g_ptr_array_new();
    QTAILQ_INIT(&dbm.in.owned);
    QTAILQ_INIT(&dbm.in.dropped);
    dbm.in.by_name = g_hash_table_new(dbm_in_key_hash, dbm_in_key_equal);
    dbm.in.nodes = g_hash_table_new(NULL, NULL);
    dbm.in.unref = g_ptr_array_new();
    qemu_mutex_init(&dbm.in.lock);
    qemu_mutex_init(&dbm.stats_lock);
    dbm_stats_init(&dbm.out_stats);
    dbm_stats_init(&dbm.in_stats);
    register_savevm_live("dirty-bitmap", 0, 1, &dbm_handlers, &dbm);
#ifdef MIGRATION_DIRTY_BITMAP_EXT
    dirty_bitmap_mig_ext_register(&dbm_ext);
#endif
}
