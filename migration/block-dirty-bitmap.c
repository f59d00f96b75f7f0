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
 *   postcopy-only and waits for the switch, as in 7.2.  Pending is the
 *   bytes still to send (an upper bound), plus in precopy the END
 *   section's few bytes, so that downtime-limit 0 never converges.
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
 * Threads and locks
 *   Source: setup, completion and cleanup run with the BQL; iterate and
 *   pending run in the migration thread without it and touch bitmaps
 *   only under the node's bitmap mutex.
 *   Destination: chunks load in the main incoming thread with the BQL,
 *   or in the postcopy listen thread without it.  A chunk is read first,
 *   with no lock, then applied under DBMIn.lock; what needs the block
 *   layer's global state (node lookups, node references, making and
 *   dropping bitmaps) runs with the BQL, taken first when the thread does
 *   not hold it.  Order: BQL, DBMIn.lock, node bitmap mutex.
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
 * node (its name going out, its alias coming in) to a private copy of
 * the mapping entry.  Bitmaps are found by walking the entry's list.
 */
static GHashTable *dbm_map_new(const BitmapMigrationNodeAliasList *list,
                               bool out, Error **errp)
{
    const size_t node_name_max = sizeof_field(BlockDriverState,
                                              node_name) - 1;
    g_autoptr(GHashTable) nodes = g_hash_table_new_full(
        g_str_hash, g_str_equal, NULL,
        (GDestroyNotify)qapi_free_BitmapMigrationNodeAlias);

    for (; list; list = list->next) {
        const BitmapMigrationNodeAlias *n = list->value;
        const BitmapMigrationBitmapAliasList *bl;
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash,
                                                      g_str_equal);
        BitmapMigrationNodeAlias *copy;

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

        for (bl = n->bitmaps; bl; bl = bl->next) {
            const BitmapMigrationBitmapAlias *b = bl->value;
            const char *key = out ? b->name : b->alias;

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
            if (!g_hash_table_add(seen, (gpointer)key)) {
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

        copy = QAPI_CLONE(BitmapMigrationNodeAlias, n);
        g_hash_table_insert(nodes, out ? copy->node_name : copy->alias,
                            copy);
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

/* The bitmap entry of @n whose name (@out) or alias is @key, or NULL. */
static const BitmapMigrationBitmapAlias *
dbm_map_bitmap(const BitmapMigrationNodeAlias *n, const char *key, bool out)
{
    const BitmapMigrationBitmapAliasList *bl;

    for (bl = n->bitmaps; bl; bl = bl->next) {
        if (!strcmp(out ? bl->value->name : bl->value->alias, key)) {
            return bl->value;
        }
    }
    return NULL;
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
} DBMOutBitmap;

typedef struct DBMOut {
    GPtrArray *bitmaps;         /* DBMOutBitmap, in START order */
    bool nothing;               /* setup found no bitmap to send */
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
    bool enabled;               /* START said ENABLED */
    bool complete;              /* COMPLETE seen: not busy any more */
} DBMInBitmap;

typedef struct DBMIn {
    QemuMutex lock;             /* everything below */
    GPtrArray *owned;           /* DBMInBitmap not handed to the VM yet */
    GPtrArray *dropped;         /* given up, to release with the BQL */
    bool cancelled;             /* ignore bitmap chunks from now on */
    bool vm_started;            /* dirty_bitmap_mig_before_vm_start ran */
    /* The node and bitmap the stream talks about, names as sent. */
    char node_alias[256];
    char bitmap_alias[256];
    char bitmap_name[BDRV_BITMAP_MAX_NAME_SIZE + 1];   /* local name */
    BlockDriverState *bs;
    BdrvDirtyBitmap *bitmap;
} DBMIn;

/* One chunk as read from the stream. */
typedef struct DBMChunk {
    uint32_t flags;             /* the chunk bits */
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
} DBMState;

static DBMState dbm;

/* ---- Source: what goes out ---- */

/* Whether bitmap data may go on the wire now. */
static bool dbm_out_may_send(void)
{
    MigrationState *ms = migrate_get_current();

    if (migration_in_postcopy()) {
        return true;
    }
    /*
     * In precopy only while precopy can still converge: not once postcopy
     * was asked for (the rest waits for the switch, so that it happens at
     * once), and not with downtime-limit 0.
     */
    return !qatomic_read(&ms->start_postcopy) &&
           qatomic_read(&ms->parameters.downtime_limit) > 0;
}

static void dbm_out_put_names(QEMUFile *f, DBMOut *s, DBMOutBitmap *b,
                              uint8_t flags)
{
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
    }
    if (flags & DBM_BITMAP_NAME) {
        qemu_put_counted_string(f, b->bitmap_alias);
    }
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

    trace_send_bitmap_bits(flags, sector, nr, len);
    dbm_out_put_names(f, s, b, flags);
    qemu_put_buffer(f, (uint8_t *)&body,
                    data ? sizeof(body) : offsetof(typeof(body), len));
    if (data) {
        qemu_put_buffer(f, data, len);
    }
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

/*
 * Queue the named bitmaps of @bs, known on the wire as @name unless
 * @map (the outgoing mapping) says otherwise.  Returns -1 after
 * reporting why the migration cannot go on.  BQL held.
 */
static int dbm_out_add_node(DBMOut *s, BlockDriverState *bs,
                            const char *name, GHashTable *map)
{
    const BitmapMigrationNodeAlias *entry = NULL;
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
        alias = entry->alias;
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
            error_report_err(err);
            return -1;
        }
        if (entry) {
            const BitmapMigrationBitmapAlias *ba =
                dbm_map_bitmap(entry, bm_name, true);

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
    if (dbm_out_collect(s) < 0) {
        qemu_mutex_unlock_iothread();
        return -1;
    }
    for (i = 0; i < s->bitmaps->len; i++) {
        DBMOutBitmap *b = g_ptr_array_index(s->bitmaps, i);

        dbm_out_put_names(f, s, b, DBM_START);
        qemu_put_be32(f, bdrv_dirty_bitmap_granularity(b->bitmap));
        qemu_put_byte(f, b->start_flags);
    }
    qemu_put_byte(f, DBM_EOS);
    qemu_mutex_unlock_iothread();
    return 0;
}

/* Migration thread, no BQL: send what is dirty and not sent yet. */
static int dirty_bitmap_save_iterate(QEMUFile *f, void *opaque)
{
    DBMOut *s = &((DBMState *)opaque)->out;
    bool done = true;

    trace_dirty_bitmap_save_iterate(migration_in_postcopy());
    if (dbm_out_may_send()) {
        done = dbm_out_send_todo(f, s, true);
    }
    qemu_put_byte(f, DBM_EOS);
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
        dbm_out_put_names(f, s, g_ptr_array_index(s->bitmaps, i),
                          DBM_COMPLETE);
    }
    qemu_put_byte(f, DBM_EOS);
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
    } else if (dbm_out_may_send()) {
        bytes += s->end_bytes;
        *res_compatible += bytes;
    } else {
        bytes += s->end_bytes;
        *res_postcopy_only += bytes;
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

    if (!dirty_bitmap_is_active(opaque) || !dbm_out_may_send()) {
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

/* A name; false (reported) if it is empty or has a NUL inside. */
static bool dbm_in_read_name(QEMUFile *f, char *buf, const char *what)
{
    size_t len = qemu_get_counted_string(f, buf);

    if (len == 0 || strlen(buf) != len) {
        error_report("Unable to read %s string", what);
        return false;
    }
    return true;
}

/*
 * Flags in any of the three forms: the chunk bits in the low 7 bits, the
 * forms' 0x80 markers above them.
 */
static uint32_t dbm_in_read_flags(QEMUFile *f)
{
    uint32_t v = qemu_get_byte(f);

    if (v & DBM_MORE_FLAGS) {
        v = (v << 8) | qemu_get_byte(f);
        if (v & DBM_MORE_FLAGS) {
            v = (v << 16) | qemu_get_be16(f);
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
 * Read one chunk into @c without looking at any state.  Returns 0, or an
 * error for a stream that cannot be read on.
 */
static int dbm_in_read_chunk(QEMUFile *f, DBMChunk *c)
{
    uint32_t v = dbm_in_read_flags(f);

    trace_dirty_bitmap_load_header(v);
    if (qemu_file_get_error(f)) {
        return qemu_file_get_error(f);
    }
    if (!dbm_in_flags_known(v)) {
        error_report("Unknown flags in migrated dirty bitmap chunk: 0x%"
                     PRIx32, v);
        return -EINVAL;
    }
    c->flags = v & DBM_CHUNK_BITS_MASK;

    if ((c->flags & DBM_DEVICE_NAME) &&
        !dbm_in_read_name(f, c->node_alias, "node alias")) {
        return -EINVAL;
    }
    if ((c->flags & DBM_BITMAP_NAME) &&
        !dbm_in_read_name(f, c->bitmap_alias, "bitmap alias")) {
        return -EINVAL;
    }

    if (c->flags & DBM_START) {
        c->granularity = qemu_get_be32(f);
        c->bitmap_flags = qemu_get_byte(f);
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
        trace_dirty_bitmap_load_bits_enter(c->sector, c->nr_sectors);
        c->buf_size = 0;
        if (c->flags & DBM_ZEROES) {
            trace_dirty_bitmap_load_bits_zeroes();
        } else {
            /* Bounded before reading: a sender never needs this much. */
            c->buf_size = qemu_get_be64(f);
            if (c->buf_size > DBM_MAX_BUF) {
                error_report("Bitmap migration stream buffer allocation "
                             "request is too large");
                return -EIO;
            }
            if (qemu_get_buffer(f, c->buf, c->buf_size) != c->buf_size) {
                error_report("Failed to read bitmap bits");
                return -EIO;
            }
        }
    }
    return qemu_file_get_error(f);
}

/* ---- Destination: bitmaps this migration owns ---- */

static DBMInBitmap *dbm_in_owned(DBMIn *s, BdrvDirtyBitmap *bitmap)
{
    guint i;

    for (i = 0; bitmap && i < s->owned->len; i++) {
        DBMInBitmap *e = g_ptr_array_index(s->owned, i);

        if (e->bitmap == bitmap) {
            return e;
        }
    }
    return NULL;
}

/* Whether @e's bitmap is still on its node (QMP may remove a complete one). */
static bool dbm_in_still_there(DBMInBitmap *e)
{
    BdrvDirtyBitmap *bm;

    FOR_EACH_DIRTY_BITMAP(e->bs, bm) {
        if (bm == e->bitmap) {
            return true;
        }
    }
    return false;
}

/*
 * Stop owning @e (handed over or released).  The node may go once we let
 * it go, so the stream's current node is forgotten unless we still own
 * one of its bitmaps.  BQL held.
 */
static void dbm_in_forget(DBMIn *s, DBMInBitmap *e)
{
    guint i;

    if (s->bitmap == e->bitmap) {
        s->bitmap = NULL;
    }
    if (s->bs == e->bs) {
        s->bs = NULL;
        for (i = 0; i < s->owned->len; i++) {
            DBMInBitmap *o = g_ptr_array_index(s->owned, i);

            if (o->bs == e->bs) {
                s->bs = e->bs;
            }
        }
    }
    bdrv_unref(e->bs);
    g_free(e);
}

/*
 * Give bitmap migration up: what this migration owns is to be released
 * (dbm_in_release_dropped(), with the BQL) and later chunks are ignored.
 * Under s->lock.
 */
static void dbm_in_cancel_locked(DBMIn *s)
{
    if (s->cancelled) {
        return;
    }
    s->cancelled = true;
    s->bs = NULL;
    s->bitmap = NULL;
    while (s->owned->len) {
        g_ptr_array_add(s->dropped, g_ptr_array_remove_index(s->owned, 0));
    }
}

/* Release the bitmaps given up.  BQL and s->lock held. */
static void dbm_in_release_dropped(DBMIn *s)
{
    while (s->dropped->len) {
        DBMInBitmap *e = g_ptr_array_remove_index(s->dropped, 0);

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
    dbm_in_cancel_locked(s);
}

/* ---- Destination: applying a chunk ---- */

/*
 * The node @alias names, reporting why when there is none.  With @map,
 * also its mapping entry in @entry.  BQL held.
 */
static BlockDriverState *dbm_in_find_node(const char *alias, GHashTable *map,
                                          BitmapMigrationNodeAlias **entry)
{
    BlockDriverState *bs = NULL;
    Error *err = NULL;

    if (!map) {
        bs = bdrv_lookup_bs(alias, alias, &err);
    } else {
        *entry = g_hash_table_lookup(map, alias);
        if (*entry) {
            bs = bdrv_lookup_bs(NULL, (*entry)->node_name, &err);
        } else {
            error_setg(&err, "Error: Unknown node alias '%s'", alias);
        }
    }
    if (!bs) {
        error_report_err(err);
    }
    return bs;
}

/* The bitmap @name of @bs: one of ours first, then any. */
static BdrvDirtyBitmap *dbm_in_find_bitmap(DBMIn *s, BlockDriverState *bs,
                                           const char *name)
{
    guint i;

    for (i = 0; i < s->owned->len; i++) {
        DBMInBitmap *e = g_ptr_array_index(s->owned, i);

        if (e->bs == bs && !strcmp(bdrv_dirty_bitmap_name(e->bitmap), name)) {
            return e->bitmap;
        }
    }
    return bdrv_find_dirty_bitmap(bs, name);
}

/*
 * Follow the chunk's names to the node and bitmap it is about (s->bs,
 * s->bitmap).  Names that lead nowhere cancel bitmap migration.  Returns
 * the mapping entry of the bitmap when the chunk named it.
 */
static const BitmapMigrationBitmapAlias *
dbm_in_follow_names(DBMIn *s, const DBMChunk *c, GHashTable *map)
{
    const BitmapMigrationBitmapAlias *bentry = NULL;
    BitmapMigrationNodeAlias *nentry = NULL;
    bool about_nothing = !(c->flags & ~DBM_EOS);
    const char *name;

    if (c->flags & DBM_DEVICE_NAME) {
        g_strlcpy(s->node_alias, c->node_alias, sizeof(s->node_alias));
        s->bitmap = NULL;       /* a new node: the bitmap is named anew */
        if (!s->cancelled) {
            s->bs = dbm_in_find_node(s->node_alias, map, &nentry);
            if (!s->bs) {
                dbm_in_cancel_locked(s);
            }
        }
    } else if (s->bs && !s->cancelled) {
        if (map) {
            /* Only differs from the last section's if the mapping did. */
            nentry = g_hash_table_lookup(map, s->node_alias);
            if (!nentry) {
                error_report("Error: Unknown node alias '%s'",
                             s->node_alias);
                dbm_in_cancel_locked(s);
            }
        }
    } else if (!about_nothing && !s->cancelled) {
        error_report("Error: block device name is not set");
        dbm_in_cancel_locked(s);
    }

    if (!(c->flags & DBM_BITMAP_NAME)) {
        if (!s->bitmap && !about_nothing && !s->cancelled) {
            error_report("Error: block device name is not set");
            dbm_in_cancel_locked(s);
        }
        return NULL;
    }

    g_strlcpy(s->bitmap_alias, c->bitmap_alias, sizeof(s->bitmap_alias));
    name = s->bitmap_alias;
    if (!s->cancelled && map) {
        bentry = dbm_map_bitmap(nentry, s->bitmap_alias, false);
        if (!bentry) {
            error_report("Error: Unknown bitmap alias '%s' on node '%s' "
                         "(alias '%s')", s->bitmap_alias,
                         bdrv_get_node_name(s->bs), s->node_alias);
            dbm_in_cancel_locked(s);
            return NULL;
        }
        name = bentry->name;
    }
    if (!s->cancelled) {
        g_strlcpy(s->bitmap_name, name, sizeof(s->bitmap_name));
        s->bitmap = dbm_in_find_bitmap(s, s->bs, s->bitmap_name);
        /* Only a START may name a bitmap that is not there yet. */
        if (!s->bitmap && !(c->flags & DBM_START)) {
            error_report("Error: unknown dirty bitmap '%s' for block "
                         "device '%s'", s->bitmap_name,
                         bdrv_get_node_name(s->bs));
            dbm_in_cancel_locked(s);
        }
    }
    return bentry;
}

/* START: make the bitmap, frozen until its COMPLETE.  BQL held. */
static int dbm_in_start(DBMIn *s, const DBMChunk *c,
                        const BitmapMigrationBitmapAlias *bentry)
{
    bool enabled = c->bitmap_flags & DBM_BM_ENABLED;
    bool persistent = c->bitmap_flags & DBM_BM_PERSISTENT;
    BdrvDirtyBitmap *bm;
    Error *err = NULL;
    DBMInBitmap *e;

    if (s->cancelled) {
        return 0;
    }
    if (s->bitmap) {
        error_report("Bitmap with the same name ('%s') already exists on "
                     "destination", s->bitmap_name);
        return -EINVAL;
    }
    if (c->bitmap_flags & DBM_BM_RESERVED) {
        error_report("Unknown flags in migrated dirty bitmap header: %x",
                     c->bitmap_flags);
        return -EINVAL;
    }
    if (c->granularity < BDRV_SECTOR_SIZE ||
        !is_power_of_2(c->granularity)) {
        dbm_in_give_up(s, "granularity %" PRIu32 " is not a power of 2 of "
                       "at least 512", c->granularity);
        return 0;
    }

    bm = bdrv_create_dirty_bitmap(s->bs, c->granularity, s->bitmap_name,
                                  &err);
    if (!bm) {
        error_report_err(err);
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
     * The bits stay still until COMPLETE.  An enabled bitmap gets a
     * successor to record the guest's writes meanwhile; a disabled one
     * only needs to be kept away from QMP.
     */
    bdrv_disable_dirty_bitmap(bm);
    if (!enabled) {
        bdrv_dirty_bitmap_set_busy(bm, true);
    } else if (bdrv_dirty_bitmap_create_successor(bm, &err) < 0) {
        error_report_err(err);
        bdrv_release_dirty_bitmap(bm);
        return -EINVAL;
    }

    bdrv_ref(s->bs);
    e = g_new0(DBMInBitmap, 1);
    e->bs = s->bs;
    e->bitmap = bm;
    e->enabled = enabled;
    g_ptr_array_add(s->owned, e);
    s->bitmap = bm;
    return 0;
}

/*
 * The bitmap in hand if this migration started it and it is not complete
 * yet; else cancels and returns NULL.
 */
static DBMInBitmap *dbm_in_loading(DBMIn *s)
{
    DBMInBitmap *e = dbm_in_owned(s, s->bitmap);

    if (!e) {
        dbm_in_give_up(s, "not started by this migration");
    } else if (e->complete) {
        dbm_in_give_up(s, "already complete");
        e = NULL;
    }
    return e;
}

/* The bitmap's successor folds back in and it becomes the VM's. */
static void dbm_in_hand_over(DBMIn *s, DBMInBitmap *e)
{
    g_ptr_array_remove_fast(s->owned, e);
    dbm_in_forget(s, e);
}

/* COMPLETE: the bits are all there.  BQL held. */
static void dbm_in_complete(DBMIn *s)
{
    DBMInBitmap *e;

    trace_dirty_bitmap_load_complete();
    if (s->cancelled || !(e = dbm_in_loading(s))) {
        return;
    }
    /* An empty bitmap has nothing to finish. */
    if (bdrv_dirty_bitmap_size(e->bitmap) > 0) {
        bdrv_dirty_bitmap_deserialize_finish(e->bitmap);
    }
    if (bdrv_dirty_bitmap_has_successor(e->bitmap)) {
        bdrv_reclaim_dirty_bitmap(e->bitmap, &error_abort);
    } else {
        bdrv_dirty_bitmap_set_busy(e->bitmap, false);
    }
    e->complete = true;
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

    if (s->cancelled || !dbm_in_loading(s) ||
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
            dbm_in_cancel_locked(s);
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
}

/*
 * Apply one chunk.  Chunks that may reach the block layer's global state
 * (names to resolve, bitmaps to make or hand over) run with the BQL;
 * bitmaps given up are released with it afterwards.
 */
static int dbm_in_apply(DBMIn *s, const DBMChunk *c, GHashTable *map)
{
    bool bql = false;
    bool release;
    int ret = 0;

    if (c->flags & (DBM_START | DBM_COMPLETE | DBM_DEVICE_NAME)) {
        bql = dbm_bql_get();
    }
    qemu_mutex_lock(&s->lock);
    {
        const BitmapMigrationBitmapAlias *bentry =
            dbm_in_follow_names(s, c, map);

        if (c->flags & DBM_START) {
            ret = dbm_in_start(s, c, bentry);
        } else if (c->flags & DBM_COMPLETE) {
            dbm_in_complete(s);
        } else if (c->flags & DBM_BITS) {
            dbm_in_bits(s, c);
        }
    }
    if (ret < 0) {
        dbm_in_cancel_locked(s);
    }
    release = s->dropped->len > 0;
    qemu_mutex_unlock(&s->lock);

    if (release) {
        bool taken = dbm_bql_get();

        WITH_QEMU_LOCK_GUARD(&s->lock) {
            dbm_in_release_dropped(s);
        }
        dbm_bql_put(taken);
    }
    dbm_bql_put(bql);
    return ret;
}

void dirty_bitmap_mig_cancel_incoming(void)
{
    DBMIn *s = &dbm.in;
    bool taken = dbm_bql_get();

    WITH_QEMU_LOCK_GUARD(&s->lock) {
        dbm_in_cancel_locked(s);
        dbm_in_release_dropped(s);
    }
    dbm_bql_put(taken);
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
    int ret;

    trace_dirty_bitmap_load_enter();
    if (version_id != 1) {
        dirty_bitmap_mig_cancel_incoming();
        return -EINVAL;
    }
    map = dbm_map_current(false);
    c = g_new(DBMChunk, 1);
    do {
        ret = dbm_in_read_chunk(f, c);
        if (!ret) {
            ret = dbm_in_apply(s, c, map);
        }
        if (ret) {
            dirty_bitmap_mig_cancel_incoming();
            return ret;
        }
    } while (!(c->flags & DBM_EOS));
    trace_dirty_bitmap_load_success();
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
    guint i = 0;

    QEMU_LOCK_GUARD(&s->lock);
    assert(!s->vm_started);
    while (i < s->owned->len) {
        DBMInBitmap *e = g_ptr_array_index(s->owned, i);

        if (!e->complete) {
            if (e->enabled) {
                bdrv_dirty_bitmap_enable_successor(e->bitmap);
            }
            i++;
            continue;
        }
        if (e->enabled && dbm_in_still_there(e)) {
            bdrv_enable_dirty_bitmap(e->bitmap);
        }
        dbm_in_hand_over(s, e);
    }
    s->vm_started = true;
}

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
    .load_state = dirty_bitmap_load,
};

void dirty_bitmap_mig_init(void)
{
    dbm.out.bitmaps = g_ptr_array_new();
    dbm.in.owned = g_ptr_array_new();
    dbm.in.dropped = g_ptr_array_new();
    qemu_mutex_init(&dbm.in.lock);
    register_savevm_live("dirty-bitmap", 0, 1, &dbm_handlers, &dbm);
}
