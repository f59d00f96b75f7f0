/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Block dirty bitmap migration: the "dirty-bitmap" live section (QEMU 7.2). */

/*
 * What moves: every named bitmap of every node that has a usable name (a
 * BlockBackend name for nodes under a named backend, else the node name),
 * or, when the block-bitmap-mapping parameter is set, exactly the listed
 * node/bitmap pairs under their aliases.  The destination creates each
 * bitmap with the same name (or the mapped name) and granularity; a name
 * that already exists there fails the migration.
 *
 * Wire format of one section payload (START, PART and END sections alike):
 * a run of chunks, the last of which has EOS in its flags.  All integers
 * are big-endian and unaligned.
 *
 *   flags       1 byte if bit 0x80 is clear.  Otherwise a second byte
 *               follows, and if that one has 0x80 set too, a be16 follows:
 *               flags = b0 << 8 | b1, or (b0 << 8 | b1) << 16 | be16.  The
 *               chunk bits below always sit in the last byte.  We only
 *               ever send the 1-byte form.
 *                 0x01 EOS          last chunk of this payload
 *                 0x02 ZEROES       with BITS: the range is clear, no buffer
 *                 0x04 BITMAP_NAME  a bitmap alias follows
 *                 0x08 DEVICE_NAME  a node alias follows
 *                 0x10 START        body: be32 granularity, u8 bitmap flags
 *                 0x20 COMPLETE     no body
 *                 0x40 BITS         body: be64 start sector, be32 sector
 *                                   count, then unless ZEROES: be64 buffer
 *                                   size and that many bytes
 *   node alias  if DEVICE_NAME: u8 length (1..255), then the bytes, no NUL
 *   bitmap alias
 *               if BITMAP_NAME: u8 length (1..255), then the bytes
 *   body        chosen by START, else COMPLETE, else BITS
 *
 * A chunk without DEVICE_NAME/BITMAP_NAME refers to the node/bitmap of the
 * chunk before it; both sides keep that state across the START, PART and
 * END sections of one migration.  A lone EOS needs no names.
 *
 * START body: the granularity is be32 (QEMU's own format comment says be64;
 * the code and every 7.2 stream use be32), a power of two >= 512 bytes.  The
 * bitmap flags byte: 0x01 enabled, 0x02 persistent, 0x04 ignored (was
 * "autoload"), 0xf8 reserved and must be clear.
 *
 * BITS body: sectors are 512-byte units whatever the granularity.  The
 * sender walks each bitmap in chunks of CHUNK_SIZE * 8 granules.  The
 * buffer is the bitmap's serialization (bdrv_dirty_bitmap_serialize_part:
 * little-endian 64-bit words, bit g of the bitmap is bit g % 64 of word
 * g / 64) of the range, zero-padded to a multiple of 4 * sizeof(long); an
 * all-zero buffer is sent as ZEROES instead.  The receiver takes a buffer
 * size only between the exact serialization size and that rounded up to
 * 32, and fails the load above 10 * CHUNK_SIZE, as 7.2 does.
 *
 * Example, a 7.2 precopy of node drive0 (1 GiB) with bitmaps bmB (4 KiB,
 * persistent) and bmA (64 KiB, enabled), in hex:
 *   START section: 1c 06 "drive0" 03 "bmB" 00001000 02
 *                  14 03 "bmA" 00010000 01
 *                  01
 *   END section:   44 03 "bmB" 0000000000000000 00010000
 *                     0000000000000400 <1024 bytes>
 *                  42 0000000000010000 00010000          (ZEROES)
 *                  ... (32 chunks of 65536 sectors for bmB, then bmA)
 *                  24 03 "bmB"  24 03 "bmA"               (COMPLETE)
 *                  01
 *
 * Who sends what: setup sends one START per bitmap then EOS; iterate sends
 * the bulk BITS chunks only once the source VM is stopped in postcopy
 * (EOS alone otherwise); completion sends the BITS chunks left, one
 * COMPLETE per bitmap, then EOS.
 *
 * The sender differs from 7.2 in one corner only: with a granularity of
 * 256 MiB or more on a disk of 2 TiB or more, 7.2's BITS sector count
 * overflows its be32 and the migration never ends; we send smaller
 * (still 64-granule aligned) chunks there.
 *
 * Where this loader is stricter than QEMU 7.2 (every stream 7.2 produces
 * is accepted and gives the same bitmaps):
 *   - flags bits outside the 1/2/4-byte form's defined set fail the load;
 *   - a name string with an embedded NUL fails the load;
 *   - a START granularity that is not a power of two >= 512 cancels bitmap
 *     migration (7.2 asserts); reserved START flags fail the load before
 *     any bitmap is created (7.2 leaves the new bitmap behind);
 *   - BITS and COMPLETE must name a bitmap that a START of this migration
 *     created and that is not complete yet (7.2 would write into any
 *     existing destination bitmap); a DEVICE_NAME chunk must also carry
 *     BITMAP_NAME; otherwise bitmap migration is cancelled;
 *   - a BITS range must lie within the bitmap, start on a serialization
 *     boundary and be whole unless it ends in the last granule (7.2
 *     asserts), else bitmap migration is cancelled;
 *   - a block-bitmap-mapping changed in the middle of an incoming
 *     migration cancels bitmap migration instead of asserting;
 *   - bitmaps (or nodes) that vanished before the VM started (removed
 *     over QMP after COMPLETE) are skipped rather than touched at VM
 *     start or on cancel.
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
#include "qemu/id.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-migration.h"
#include "qapi/qapi-visit-migration.h"
#include "qapi/clone-visitor.h"
#include "trace.h"

/* Bytes of serialized bitmap per BITS chunk (so 8192 granules). */
#define CHUNK_SIZE     (1 << 10)

#define DIRTY_BITMAP_MIG_FLAG_EOS           0x01
#define DIRTY_BITMAP_MIG_FLAG_ZEROES        0x02
#define DIRTY_BITMAP_MIG_FLAG_BITMAP_NAME   0x04
#define DIRTY_BITMAP_MIG_FLAG_DEVICE_NAME   0x08
#define DIRTY_BITMAP_MIG_FLAG_START         0x10
#define DIRTY_BITMAP_MIG_FLAG_COMPLETE      0x20
#define DIRTY_BITMAP_MIG_FLAG_BITS          0x40

/* In the first byte (and second byte): more flag bytes follow. */
#define DIRTY_BITMAP_MIG_EXTRA_FLAGS        0x80

/* The chunk bits, all in the last flags byte. */
#define DIRTY_BITMAP_MIG_FLAGS_MASK         0x7f

#define DIRTY_BITMAP_MIG_START_FLAG_ENABLED          0x01
#define DIRTY_BITMAP_MIG_START_FLAG_PERSISTENT       0x02
/* 0x04: "autoload" in old streams; accepted and ignored. */
#define DIRTY_BITMAP_MIG_START_FLAG_RESERVED_MASK    0xf8

/* Source side: one bitmap being sent. */
typedef struct SaveBitmapState {
    /* Set at setup, constant afterwards. */
    BlockDriverState *bs;         /* its node; we hold a reference */
    char *node_alias;             /* node name on the wire, 1..255 bytes */
    char *bitmap_alias;           /* bitmap name on the wire, 1..255 bytes */
    BdrvDirtyBitmap *bitmap;      /* busy while we send it */
    uint64_t total_sectors;       /* node length in 512-byte sectors */
    /* CHUNK_SIZE * 8 granules in sectors (less if be32 overflows) */
    uint64_t sectors_per_chunk;
    QSIMPLEQ_ENTRY(SaveBitmapState) entry;
    uint8_t flags;                /* START bitmap flags (ENABLED, PERSISTENT) */

    /* Bulk phase progress. */
    bool bulk_completed;          /* every BITS chunk has been sent */
    uint64_t cur_sector;          /* first sector not sent yet */
} SaveBitmapState;

/* Source side: the whole outgoing dirty bitmap migration (DBM). */
typedef struct DBMSaveState {
    QSIMPLEQ_HEAD(, SaveBitmapState) dbms_list;  /* in START order */

    bool bulk_completed;          /* all bitmaps' BITS are sent */
    bool no_bitmaps;              /* setup found nothing to send */

    /* Name elision: node and bitmap of the previous chunk sent. */
    BlockDriverState *prev_bs;
    BdrvDirtyBitmap *prev_bitmap;
} DBMSaveState;

/* Destination side: one bitmap created by a START of this migration. */
typedef struct LoadBitmapState {
    BlockDriverState *bs;         /* its node */
    BdrvDirtyBitmap *bitmap;
    bool migrated;                /* COMPLETE was received */
    bool enabled;                 /* START said ENABLED */
} LoadBitmapState;

/* Destination side: the whole incoming dirty bitmap migration. */
typedef struct DBMLoadState {
    uint32_t flags;               /* chunk bits of the current chunk */
    char node_alias[256];         /* last node alias read, NUL-terminated */
    char bitmap_alias[256];       /* last bitmap alias read */
    char bitmap_name[BDRV_BITMAP_MAX_NAME_SIZE + 1]; /* its local name */
    BlockDriverState *bs;         /* current node, NULL if none */
    BdrvDirtyBitmap *bitmap;      /* current bitmap, NULL if none */

    bool before_vm_start_handled; /* dirty_bitmap_mig_before_vm_start ran */
    /* Mapping entry of the current bitmap; valid within one load_state. */
    BitmapMigrationBitmapAlias *bmap_inner;

    /*
     * Set once anything goes wrong that does not break the stream itself:
     * the bitmaps of this migration are dropped and every later chunk is
     * still parsed, so that the other sections load, but then ignored.
     */
    bool cancelled;

    GSList *bitmaps;              /* LoadBitmapState, newest first */
    QemuMutex lock;               /* protects bitmaps and the state above */
} DBMLoadState;

typedef struct DBMState {
    DBMSaveState save;
    DBMLoadState load;
} DBMState;

static DBMState dbm_state;

/* Value of the alias maps: a node's alias (or name) and its bitmaps' map. */
typedef struct AliasMapInnerNode {
    char *string;
    /* bitmap name (or alias) -> BitmapMigrationBitmapAlias */
    GHashTable *subtree;
} AliasMapInnerNode;

static void free_alias_map_inner_node(void *amin_ptr)
{
    AliasMapInnerNode *amin = amin_ptr;

    g_free(amin->string);
    g_hash_table_unref(amin->subtree);
    g_free(amin);
}

/*
 * Build a lookup table from the block-bitmap-mapping parameter @bbm.
 *
 * With @name_to_alias (outgoing), keys are node names and each value's
 * subtree maps bitmap names; otherwise (incoming) keys are node aliases and
 * subtrees map bitmap aliases.  The subtree values are copies of the
 * mapping's BitmapMigrationBitmapAlias entries.  Returns NULL with @errp
 * set if the mapping is invalid in that direction.
 */
static GHashTable *construct_alias_map(const BitmapMigrationNodeAliasList *bbm,
                                       bool name_to_alias,
                                       Error **errp)
{
    size_t max_node_name_len = sizeof_field(BlockDriverState, node_name) - 1;
    g_autoptr(GHashTable) alias_map = NULL;

    alias_map = g_hash_table_new_full(g_str_hash, g_str_equal,
                                      g_free, free_alias_map_inner_node);

    for (; bbm; bbm = bbm->next) {
        const BitmapMigrationNodeAlias *bmna = bbm->value;
        const BitmapMigrationBitmapAliasList *bmbal;
        const char *node_key, *node_value;
        AliasMapInnerNode *amin;
        GHashTable *bitmaps_map;

        if (!id_wellformed(bmna->alias)) {
            error_setg(errp, "The node alias '%s' is not well-formed",
                       bmna->alias);
            return NULL;
        }
        if (strlen(bmna->alias) > UINT8_MAX) {
            error_setg(errp, "The node alias '%s' is longer than %u bytes",
                       bmna->alias, UINT8_MAX);
            return NULL;
        }
        if (strlen(bmna->node_name) > max_node_name_len) {
            error_setg(errp, "The node name '%s' is longer than %zu bytes",
                       bmna->node_name, max_node_name_len);
            return NULL;
        }

        node_key = name_to_alias ? bmna->node_name : bmna->alias;
        node_value = name_to_alias ? bmna->alias : bmna->node_name;
        if (g_hash_table_contains(alias_map, node_key)) {
            if (name_to_alias) {
                error_setg(errp, "The node name '%s' is mapped twice",
                           bmna->node_name);
            } else {
                error_setg(errp, "The node alias '%s' is used twice",
                           bmna->alias);
            }
            return NULL;
        }

        bitmaps_map = g_hash_table_new_full(
            g_str_hash, g_str_equal, g_free,
            (GDestroyNotify)qapi_free_BitmapMigrationBitmapAlias);
        amin = g_new(AliasMapInnerNode, 1);
        amin->string = g_strdup(node_value);
        amin->subtree = bitmaps_map;
        g_hash_table_insert(alias_map, g_strdup(node_key), amin);

        for (bmbal = bmna->bitmaps; bmbal; bmbal = bmbal->next) {
            const BitmapMigrationBitmapAlias *bmba = bmbal->value;
            const char *bitmap_key;

            if (strlen(bmba->alias) > UINT8_MAX) {
                error_setg(errp,
                           "The bitmap alias '%s' is longer than %u bytes",
                           bmba->alias, UINT8_MAX);
                return NULL;
            }
            if (strlen(bmba->name) > BDRV_BITMAP_MAX_NAME_SIZE) {
                error_setg(errp, "The bitmap name '%s' is longer than %d bytes",
                           bmba->name, BDRV_BITMAP_MAX_NAME_SIZE);
                return NULL;
            }

            bitmap_key = name_to_alias ? bmba->name : bmba->alias;
            if (g_hash_table_contains(bitmaps_map, bitmap_key)) {
                if (name_to_alias) {
                    error_setg(errp, "The bitmap '%s'/'%s' is mapped twice",
                               bmna->node_name, bmba->name);
                } else {
                    error_setg(errp,
                               "The bitmap alias '%s'/'%s' is used twice",
                               bmna->alias, bmba->alias);
                }
                return NULL;
            }
            g_hash_table_insert(bitmaps_map, g_strdup(bitmap_key),
                                QAPI_CLONE(BitmapMigrationBitmapAlias, bmba));
        }
    }

    return g_steal_pointer(&alias_map);
}

/*
 * Validate a block-bitmap-mapping in both directions (names must be unique
 * going out, aliases coming in).  Used by migrate-set-parameters.
 */
bool check_dirty_bitmap_mig_alias_map(const BitmapMigrationNodeAliasList *bbm,
                                      Error **errp)
{
    GHashTable *alias_map;

    alias_map = construct_alias_map(bbm, true, errp);
    if (!alias_map) {
        return false;
    }
    g_hash_table_destroy(alias_map);

    alias_map = construct_alias_map(bbm, false, errp);
    if (!alias_map) {
        return false;
    }
    g_hash_table_destroy(alias_map);

    return true;
}

/*
 * Read chunk flags in any of the three forms and return them whole: the
 * chunk bits in the low byte, the form's 0x80 markers above them.
 */
static uint32_t qemu_get_bitmap_flags(QEMUFile *f)
{
    uint32_t flags = qemu_get_byte(f);

    if (flags & DIRTY_BITMAP_MIG_EXTRA_FLAGS) {
        flags = flags << 8 | qemu_get_byte(f);
        if (flags & DIRTY_BITMAP_MIG_EXTRA_FLAGS) {
            flags = flags << 16 | qemu_get_be16(f);
        }
    }

    return flags;
}

/*
 * True if @flags, as qemu_get_bitmap_flags() returns them, use no bit that
 * is undefined: beyond the chunk bits only the markers of the 2-byte form
 * (0x80 0x??) or the 4-byte form (0x80 0x80 0x00 0x??) may be set.
 */
static bool dirty_bitmap_flags_known(uint32_t flags)
{
    uint32_t markers = flags & ~(uint32_t)DIRTY_BITMAP_MIG_FLAGS_MASK;

    return markers == 0 ||
           markers == DIRTY_BITMAP_MIG_EXTRA_FLAGS << 8 ||
           markers == ((uint32_t)DIRTY_BITMAP_MIG_EXTRA_FLAGS << 24 |
                       DIRTY_BITMAP_MIG_EXTRA_FLAGS << 16);
}

static void qemu_put_bitmap_flags(QEMUFile *f, uint32_t flags)
{
    /* We only produce the 1-byte form. */
    assert(!(flags & ~(uint32_t)DIRTY_BITMAP_MIG_FLAGS_MASK));

    qemu_put_byte(f, flags);
}

static void send_bitmap_header(QEMUFile *f, DBMSaveState *s,
                               SaveBitmapState *dbms, uint32_t additional_flags)
{
    uint32_t flags = additional_flags;

    trace_send_bitmap_header_enter();

    if (dbms->bs != s->prev_bs) {
        s->prev_bs = dbms->bs;
        flags |= DIRTY_BITMAP_MIG_FLAG_DEVICE_NAME;
    }
    if (dbms->bitmap != s->prev_bitmap) {
        s->prev_bitmap = dbms->bitmap;
        flags |= DIRTY_BITMAP_MIG_FLAG_BITMAP_NAME;
    }

    qemu_put_bitmap_flags(f, flags);
    if (flags & DIRTY_BITMAP_MIG_FLAG_DEVICE_NAME) {
        qemu_put_counted_string(f, dbms->node_alias);
    }
    if (flags & DIRTY_BITMAP_MIG_FLAG_BITMAP_NAME) {
        qemu_put_counted_string(f, dbms->bitmap_alias);
    }
}

static void send_bitmap_start(QEMUFile *f, DBMSaveState *s,
                              SaveBitmapState *dbms)
{
    send_bitmap_header(f, s, dbms, DIRTY_BITMAP_MIG_FLAG_START);
    qemu_put_be32(f, bdrv_dirty_bitmap_granularity(dbms->bitmap));
    qemu_put_byte(f, dbms->flags);
}

static void send_bitmap_complete(QEMUFile *f, DBMSaveState *s,
                                 SaveBitmapState *dbms)
{
    send_bitmap_header(f, s, dbms, DIRTY_BITMAP_MIG_FLAG_COMPLETE);
}

static void send_bitmap_bits(QEMUFile *f, DBMSaveState *s,
                             SaveBitmapState *dbms,
                             uint64_t start_sector, uint32_t nr_sectors)
{
    /* The padding unit; also what buffer_is_zero() likes best. */
    uint64_t align = 4 * sizeof(long);
    uint64_t offset = start_sector << BDRV_SECTOR_BITS;
    uint64_t bytes = (uint64_t)nr_sectors << BDRV_SECTOR_BITS;
    uint64_t buf_size = QEMU_ALIGN_UP(
        bdrv_dirty_bitmap_serialization_size(dbms->bitmap, offset, bytes),
        align);
    g_autofree uint8_t *buf = g_malloc0(buf_size);
    uint32_t flags = DIRTY_BITMAP_MIG_FLAG_BITS;

    bdrv_dirty_bitmap_serialize_part(dbms->bitmap, buf, offset, bytes);
    if (buffer_is_zero(buf, buf_size)) {
        flags |= DIRTY_BITMAP_MIG_FLAG_ZEROES;
    }

    trace_send_bitmap_bits(flags, start_sector, nr_sectors, buf_size);

    send_bitmap_header(f, s, dbms, flags);
    qemu_put_be64(f, start_sector);
    qemu_put_be32(f, nr_sectors);

    /*
     * QEMU 7.2 flushes the stream after every ZEROES chunk (a habit from
     * block migration, where the disk was slower than the network).  For
     * bitmaps nothing is waiting on storage, and a flush per 13-byte chunk
     * made a mostly clean 256 GiB bitmap cost a million tiny writes; the
     * chunks now fill the QEMUFile buffer like any other data.  The bytes
     * on the wire are the same.
     */
    if (!(flags & DIRTY_BITMAP_MIG_FLAG_ZEROES)) {
        qemu_put_be64(f, buf_size);
        qemu_put_buffer(f, buf, buf_size);
    }
}

/* Drop every SaveBitmapState.  Called with the BQL taken. */
static void dirty_bitmap_do_save_cleanup(DBMSaveState *s)
{
    SaveBitmapState *dbms;

    while ((dbms = QSIMPLEQ_FIRST(&s->dbms_list)) != NULL) {
        QSIMPLEQ_REMOVE_HEAD(&s->dbms_list, entry);
        bdrv_dirty_bitmap_set_busy(dbms->bitmap, false);
        bdrv_unref(dbms->bs);
        g_free(dbms->node_alias);
        g_free(dbms->bitmap_alias);
        g_free(dbms);
    }
}

/*
 * Queue the named bitmaps of @bs, which goes on the wire as @bs_name (or
 * under its alias in @alias_map, keyed by node name).  Returns 0, or -1
 * after reporting why the migration cannot go on.  Called with the BQL
 * taken.
 */
static int add_bitmaps_to_list(DBMSaveState *s, BlockDriverState *bs,
                               const char *bs_name, GHashTable *alias_map)
{
    BdrvDirtyBitmap *bitmap;
    GHashTable *bitmap_aliases = NULL;
    const char *node_alias, *bitmap_name;
    int64_t nb_sectors;
    Error *local_err = NULL;

    assert(!alias_map || !strcmp(bs_name, bdrv_get_node_name(bs)));

    FOR_EACH_DIRTY_BITMAP(bs, bitmap) {
        if (bdrv_dirty_bitmap_name(bitmap)) {
            break;
        }
    }
    if (!bitmap) {
        return 0;
    }
    bitmap_name = bdrv_dirty_bitmap_name(bitmap);

    if (!bs_name || bs_name[0] == '\0') {
        error_report("Bitmap '%s' in unnamed node can't be migrated",
                     bitmap_name);
        return -1;
    }

    if (alias_map) {
        const AliasMapInnerNode *amin = g_hash_table_lookup(alias_map,
                                                            bs_name);
        if (!amin) {
            /* Not in the mapping: its bitmaps stay here. */
            return 0;
        }
        node_alias = amin->string;
        bitmap_aliases = amin->subtree;
    } else {
        node_alias = bs_name;
    }

    if (node_alias[0] == '#') {
        error_report("Bitmap '%s' in a node with auto-generated "
                     "name '%s' can't be migrated",
                     bitmap_name, node_alias);
        return -1;
    }

    nb_sectors = bdrv_nb_sectors(bs);
    if (nb_sectors < 0) {
        error_report("Cannot migrate bitmap '%s' on node '%s': "
                     "could not get the node's length: %s",
                     bitmap_name, bs_name, strerror(-nb_sectors));
        return -1;
    }

    FOR_EACH_DIRTY_BITMAP(bs, bitmap) {
        const BitmapMigrationBitmapAliasTransform *transform = NULL;
        const char *bitmap_alias;
        SaveBitmapState *dbms;
        uint64_t gran_sectors;

        bitmap_name = bdrv_dirty_bitmap_name(bitmap);
        if (!bitmap_name) {
            continue;
        }

        if (bdrv_dirty_bitmap_check(bitmap, BDRV_BITMAP_DEFAULT, &local_err)) {
            error_report_err(local_err);
            return -1;
        }

        if (bitmap_aliases) {
            const BitmapMigrationBitmapAlias *bmap_inner =
                g_hash_table_lookup(bitmap_aliases, bitmap_name);

            if (!bmap_inner) {
                /* Not in the mapping: stays here. */
                continue;
            }
            bitmap_alias = bmap_inner->alias;
            if (bmap_inner->has_transform) {
                transform = bmap_inner->transform;
            }
        } else {
            if (strlen(bitmap_name) > UINT8_MAX) {
                error_report("Cannot migrate bitmap '%s' on node '%s': "
                             "Name is longer than %u bytes",
                             bitmap_name, bs_name, UINT8_MAX);
                return -1;
            }
            bitmap_alias = bitmap_name;
        }

        bdrv_ref(bs);
        bdrv_dirty_bitmap_set_busy(bitmap, true);

        dbms = g_new0(SaveBitmapState, 1);
        dbms->bs = bs;
        dbms->node_alias = g_strdup(node_alias);
        dbms->bitmap_alias = g_strdup(bitmap_alias);
        dbms->bitmap = bitmap;
        dbms->total_sectors = nb_sectors;
        gran_sectors =
            bdrv_dirty_bitmap_granularity(bitmap) >> BDRV_SECTOR_BITS;
        dbms->sectors_per_chunk = CHUNK_SIZE * 8LLU * gran_sectors;
        /*
         * The count is be32 on the wire: for granularities of 256 MiB and
         * up, use the largest whole number of 64-granule units that fits
         * (7.2 truncates the count and never finishes).
         */
        if (dbms->sectors_per_chunk > UINT32_MAX) {
            dbms->sectors_per_chunk = QEMU_ALIGN_DOWN(UINT32_MAX,
                                                      64 * gran_sectors);
        }
        assert(dbms->sectors_per_chunk != 0);

        if (bdrv_dirty_bitmap_enabled(bitmap)) {
            dbms->flags |= DIRTY_BITMAP_MIG_START_FLAG_ENABLED;
        }
        if (transform && transform->has_persistent) {
            if (transform->persistent) {
                dbms->flags |= DIRTY_BITMAP_MIG_START_FLAG_PERSISTENT;
            }
        } else if (bdrv_dirty_bitmap_get_persistence(bitmap)) {
            dbms->flags |= DIRTY_BITMAP_MIG_START_FLAG_PERSISTENT;
        }

        QSIMPLEQ_INSERT_TAIL(&s->dbms_list, dbms, entry);
    }

    return 0;
}

/* Collect the bitmaps to send.  Called with the BQL taken. */
static int init_dirty_bitmap_migration(DBMSaveState *s)
{
    const MigrationParameters *mig_params =
        &migrate_get_current()->parameters;
    g_autoptr(GHashTable) handled_by_blk = g_hash_table_new(NULL, NULL);
    g_autoptr(GHashTable) alias_map = NULL;
    BlockDriverState *bs;
    SaveBitmapState *dbms;
    BlockBackend *blk;

    if (mig_params->has_block_bitmap_mapping) {
        /* migrate-set-parameters validated it. */
        alias_map = construct_alias_map(mig_params->block_bitmap_mapping,
                                        true, &error_abort);
    }

    s->bulk_completed = false;
    s->prev_bs = NULL;
    s->prev_bitmap = NULL;
    s->no_bitmaps = false;

    if (!alias_map) {
        /*
         * Nodes under a named backend travel under the backend's name; go
         * down through filters unless the filter has bitmaps of its own.
         */
        for (blk = blk_next(NULL); blk; blk = blk_next(blk)) {
            const char *name = blk_name(blk);

            if (!name || name[0] == '\0') {
                continue;
            }

            bs = blk_bs(blk);
            while (bs && bs->drv && bs->drv->is_filter &&
                   !bdrv_has_named_bitmaps(bs)) {
                bs = bdrv_filter_bs(bs);
            }

            if (bs && bs->drv && !bs->drv->is_filter) {
                if (add_bitmaps_to_list(s, bs, name, NULL)) {
                    goto fail;
                }
                g_hash_table_add(handled_by_blk, bs);
            }
        }
    }

    for (bs = bdrv_next_all_states(NULL); bs; bs = bdrv_next_all_states(bs)) {
        if (g_hash_table_contains(handled_by_blk, bs)) {
            continue;
        }
        if (add_bitmaps_to_list(s, bs, bdrv_get_node_name(bs), alias_map)) {
            goto fail;
        }
    }

    /*
     * Inactivation must neither store nor free these bitmaps while we send
     * them (in postcopy that happens after inactivation).  Only done once
     * nothing can fail any more, as it is not rolled back.
     */
    QSIMPLEQ_FOREACH(dbms, &s->dbms_list, entry) {
        bdrv_dirty_bitmap_skip_store(dbms->bitmap, true);
    }

    s->no_bitmaps = QSIMPLEQ_EMPTY(&s->dbms_list);
    return 0;

fail:
    dirty_bitmap_do_save_cleanup(s);
    return -1;
}

/* Send the next BITS chunk of @dbms.  Called with no lock taken. */
static void bulk_phase_send_chunk(QEMUFile *f, DBMSaveState *s,
                                  SaveBitmapState *dbms)
{
    uint32_t nr_sectors = MIN(dbms->total_sectors - dbms->cur_sector,
                              dbms->sectors_per_chunk);

    send_bitmap_bits(f, s, dbms, dbms->cur_sector, nr_sectors);

    dbms->cur_sector += nr_sectors;
    if (dbms->cur_sector >= dbms->total_sectors) {
        dbms->bulk_completed = true;
    }
}

/*
 * Send the BITS chunks not sent yet, bitmap by bitmap; with @limit, stop
 * as soon as the rate limit is reached.  Called with no lock taken.
 */
static void bulk_phase(QEMUFile *f, DBMSaveState *s, bool limit)
{
    SaveBitmapState *dbms;

    QSIMPLEQ_FOREACH(dbms, &s->dbms_list, entry) {
        while (!dbms->bulk_completed) {
            bulk_phase_send_chunk(f, s, dbms);
            if (limit && qemu_file_rate_limit(f)) {
                return;
            }
        }
    }

    s->bulk_completed = true;
}

static void dirty_bitmap_save_cleanup(void *opaque)
{
    DBMSaveState *s = &((DBMState *)opaque)->save;

    dirty_bitmap_do_save_cleanup(s);
}

static int dirty_bitmap_save_iterate(QEMUFile *f, void *opaque)
{
    DBMSaveState *s = &((DBMState *)opaque)->save;

    trace_dirty_bitmap_save_iterate(migration_in_postcopy());

    /* Bits only move once the VM is stopped in postcopy. */
    if (migration_in_postcopy() && !s->bulk_completed) {
        bulk_phase(f, s, true);
    }

    qemu_put_bitmap_flags(f, DIRTY_BITMAP_MIG_FLAG_EOS);

    return s->bulk_completed;
}

/* Precopy and postcopy completion alike.  Called with the BQL taken. */
static int dirty_bitmap_save_complete(QEMUFile *f, void *opaque)
{
    DBMSaveState *s = &((DBMState *)opaque)->save;
    SaveBitmapState *dbms;

    trace_dirty_bitmap_save_complete_enter();

    if (!s->bulk_completed) {
        bulk_phase(f, s, false);
    }

    QSIMPLEQ_FOREACH(dbms, &s->dbms_list, entry) {
        send_bitmap_complete(f, s, dbms);
    }

    qemu_put_bitmap_flags(f, DIRTY_BITMAP_MIG_FLAG_EOS);

    trace_dirty_bitmap_save_complete_finish();

    dirty_bitmap_save_cleanup(opaque);
    return 0;
}

/* Everything left is postcopy-able: the granules not sent yet. */
static void dirty_bitmap_save_pending(QEMUFile *f, void *opaque,
                                      uint64_t max_size,
                                      uint64_t *res_precopy_only,
                                      uint64_t *res_compatible,
                                      uint64_t *res_postcopy_only)
{
    DBMSaveState *s = &((DBMState *)opaque)->save;
    SaveBitmapState *dbms;
    uint64_t pending = 0;

    qemu_mutex_lock_iothread();

    QSIMPLEQ_FOREACH(dbms, &s->dbms_list, entry) {
        uint64_t gran = bdrv_dirty_bitmap_granularity(dbms->bitmap);
        uint64_t sectors = dbms->bulk_completed ? 0 :
                           dbms->total_sectors - dbms->cur_sector;

        pending += DIV_ROUND_UP(sectors * BDRV_SECTOR_SIZE, gran);
    }

    qemu_mutex_unlock_iothread();

    trace_dirty_bitmap_save_pending(pending, max_size);

    *res_postcopy_only += pending;
}

/* The entry of s->bitmaps for @bitmap, or NULL.  Called with s->lock. */
static LoadBitmapState *load_bitmap_state_find(DBMLoadState *s,
                                               BdrvDirtyBitmap *bitmap)
{
    GSList *item;

    for (item = s->bitmaps; item; item = g_slist_next(item)) {
        LoadBitmapState *b = item->data;

        if (b->bitmap == bitmap) {
            return b;
        }
    }
    return NULL;
}

/*
 * Whether @b's node and bitmap still exist.  After COMPLETE the bitmap is
 * no longer busy, so QMP may remove it (or its node) before the VM starts.
 * Only looks, so that it needs no lock beyond what the loader holds.
 */
static bool load_bitmap_state_alive(LoadBitmapState *b)
{
    BlockDriverState *bs;
    BdrvDirtyBitmap *bitmap;

    for (bs = bdrv_next_all_states(NULL); bs; bs = bdrv_next_all_states(bs)) {
        if (bs == b->bs) {
            break;
        }
    }
    if (!bs) {
        return false;
    }
    FOR_EACH_DIRTY_BITMAP(bs, bitmap) {
        if (bitmap == b->bitmap) {
            return true;
        }
    }
    return false;
}

/*
 * Stop loading bitmaps: drop the ones this migration created and not yet
 * handed over to the VM, and ignore every chunk from now on.  Called with
 * s->lock held.
 */
static void cancel_incoming_locked(DBMLoadState *s)
{
    GSList *item;

    if (s->cancelled) {
        return;
    }

    s->cancelled = true;
    s->bs = NULL;
    s->bitmap = NULL;

    for (item = s->bitmaps; item; item = g_slist_next(item)) {
        LoadBitmapState *b = item->data;

        /* Once the VM started, complete bitmaps left the list. */
        assert(!s->before_vm_start_handled || !b->migrated);
        if (!load_bitmap_state_alive(b)) {
            continue;
        }
        if (bdrv_dirty_bitmap_has_successor(b->bitmap)) {
            bdrv_reclaim_dirty_bitmap(b->bitmap, &error_abort);
        } else {
            bdrv_dirty_bitmap_set_busy(b->bitmap, false);
        }
        bdrv_release_dirty_bitmap(b->bitmap);
    }

    g_slist_free_full(s->bitmaps, g_free);
    s->bitmaps = NULL;
}

/*
 * Cancel bitmap migration for a reason worth a message that names the
 * bitmap in hand.  Called with s->lock held.
 */
static void G_GNUC_PRINTF(2, 3)
cancel_incoming_bitmap_locked(DBMLoadState *s, const char *fmt, ...)
{
    g_autofree char *why = NULL;
    va_list ap;

    va_start(ap, fmt);
    why = g_strdup_vprintf(fmt, ap);
    va_end(ap);

    error_report("Migrated bitmap '%s' on node '%s': %s; "
                 "cancelling bitmap migration",
                 s->bitmap_name, s->bs ? s->bs->node_name : "", why);
    cancel_incoming_locked(s);
}

/* START: create the bitmap (it must not exist yet). */
static int dirty_bitmap_load_start(QEMUFile *f, DBMLoadState *s)
{
    Error *local_err = NULL;
    uint32_t granularity = qemu_get_be32(f);
    uint8_t flags = qemu_get_byte(f);
    BdrvDirtyBitmap *bitmap;
    LoadBitmapState *b;
    bool persistent;

    if (s->cancelled || qemu_file_get_error(f)) {
        return 0;
    }

    if (s->bitmap) {
        error_report("Bitmap with the same name ('%s') already exists on "
                     "destination", bdrv_dirty_bitmap_name(s->bitmap));
        return -EINVAL;
    }

    if (flags & DIRTY_BITMAP_MIG_START_FLAG_RESERVED_MASK) {
        error_report("Unknown flags in migrated dirty bitmap header: %x",
                     flags);
        return -EINVAL;
    }

    if (granularity < BDRV_SECTOR_SIZE || (granularity & (granularity - 1))) {
        cancel_incoming_bitmap_locked(s, "granularity %" PRIu32 " is not "
                                      "a power of 2 of at least 512",
                                      granularity);
        return 0;
    }

    bitmap = bdrv_create_dirty_bitmap(s->bs, granularity, s->bitmap_name,
                                      &local_err);
    if (!bitmap) {
        error_report_err(local_err);
        return -EINVAL;
    }

    if (s->bmap_inner && s->bmap_inner->has_transform &&
        s->bmap_inner->transform->has_persistent) {
        persistent = s->bmap_inner->transform->persistent;
    } else {
        persistent = flags & DIRTY_BITMAP_MIG_START_FLAG_PERSISTENT;
    }
    if (persistent) {
        bdrv_dirty_bitmap_set_persistence(bitmap, true);
    }

    /*
     * Keep the bitmap still until COMPLETE: an enabled one gets a
     * successor that records guest writes meanwhile, a disabled one is
     * just busy.
     */
    bdrv_disable_dirty_bitmap(bitmap);
    if (flags & DIRTY_BITMAP_MIG_START_FLAG_ENABLED) {
        if (bdrv_dirty_bitmap_create_successor(bitmap, &local_err) < 0) {
            error_report_err(local_err);
            bdrv_release_dirty_bitmap(bitmap);
            return -EINVAL;
        }
    } else {
        bdrv_dirty_bitmap_set_busy(bitmap, true);
    }

    s->bitmap = bitmap;

    b = g_new(LoadBitmapState, 1);
    b->bs = s->bs;
    b->bitmap = bitmap;
    b->migrated = false;
    b->enabled = flags & DIRTY_BITMAP_MIG_START_FLAG_ENABLED;
    s->bitmaps = g_slist_prepend(s->bitmaps, b);

    return 0;
}

/*
 * Whether the current bitmap is one this migration started and has not
 * completed; cancels bitmap migration if not.  Called with s->lock held.
 */
static bool dirty_bitmap_load_check_started(DBMLoadState *s)
{
    LoadBitmapState *b = load_bitmap_state_find(s, s->bitmap);

    if (!b || b->migrated) {
        cancel_incoming_bitmap_locked(s, "%s", b ? "already complete" :
                                      "not started by this migration");
        return false;
    }
    return true;
}

/* g_slist_foreach() callback: @item is a LoadBitmapState, @opaque s. */
static void before_vm_start_handle_item(void *item, void *opaque)
{
    DBMLoadState *s = opaque;
    LoadBitmapState *b = item;

    if (b->enabled && load_bitmap_state_alive(b)) {
        if (b->migrated) {
            bdrv_enable_dirty_bitmap(b->bitmap);
        } else {
            /* Still loading (postcopy): let the successor record writes. */
            bdrv_dirty_bitmap_enable_successor(b->bitmap);
        }
    }

    if (b->migrated) {
        s->bitmaps = g_slist_remove(s->bitmaps, b);
        g_free(b);
    }
}

/* Called once, with the BQL taken, right before the destination VM runs. */
void dirty_bitmap_mig_before_vm_start(void)
{
    DBMLoadState *s = &dbm_state.load;

    QEMU_LOCK_GUARD(&s->lock);

    assert(!s->before_vm_start_handled);
    g_slist_foreach(s->bitmaps, before_vm_start_handle_item, s);
    s->before_vm_start_handled = true;
}

void dirty_bitmap_mig_cancel_outgoing(void)
{
    dirty_bitmap_do_save_cleanup(&dbm_state.save);
}

void dirty_bitmap_mig_cancel_incoming(void)
{
    DBMLoadState *s = &dbm_state.load;

    QEMU_LOCK_GUARD(&s->lock);
    cancel_incoming_locked(s);
}

/* COMPLETE: the bitmap is whole; fold in its successor.  Under s->lock. */
static void dirty_bitmap_load_complete(QEMUFile *f, DBMLoadState *s)
{
    LoadBitmapState *b;

    trace_dirty_bitmap_load_complete();

    if (s->cancelled || !dirty_bitmap_load_check_started(s)) {
        return;
    }

    /* (7.2 asserts on an empty bitmap here; it has nothing to finish.) */
    if (bdrv_dirty_bitmap_size(s->bitmap) > 0) {
        bdrv_dirty_bitmap_deserialize_finish(s->bitmap);
    }

    if (bdrv_dirty_bitmap_has_successor(s->bitmap)) {
        bdrv_reclaim_dirty_bitmap(s->bitmap, &error_abort);
    } else {
        bdrv_dirty_bitmap_set_busy(s->bitmap, false);
    }

    b = load_bitmap_state_find(s, s->bitmap);
    b->migrated = true;
    if (s->before_vm_start_handled) {
        s->bitmaps = g_slist_remove(s->bitmaps, b);
        g_free(b);
    }
}

/*
 * Check that the BITS range [@first_byte, +@nr_bytes) can be deserialized
 * into the current bitmap: inside it, starting on a serialization boundary
 * and whole unless it ends in the last granule.  @start_sector is the
 * sector number from the stream.  Cancels bitmap migration if not.
 */
static bool dirty_bitmap_load_check_range(DBMLoadState *s,
                                          uint64_t start_sector,
                                          uint64_t nr_bytes)
{
    uint64_t size = bdrv_dirty_bitmap_size(s->bitmap);
    uint64_t gran = bdrv_dirty_bitmap_granularity(s->bitmap);
    uint64_t align = bdrv_dirty_bitmap_serialization_align(s->bitmap);
    uint64_t nb_granules = DIV_ROUND_UP(size, gran);
    uint64_t first_byte, end;

    if (start_sector > size >> BDRV_SECTOR_BITS) {
        goto out_of_range;
    }
    first_byte = start_sector << BDRV_SECTOR_BITS;
    end = first_byte + nr_bytes;      /* <= 2^63 + 2^41: no wrap */
    if (end > nb_granules * gran) {
        goto out_of_range;
    }
    if (nr_bytes == 0) {
        return true;                  /* 7.2 sends this for empty nodes */
    }
    if (first_byte % align) {
        cancel_incoming_bitmap_locked(s, "chunk at sector %" PRIu64
                                      " is not aligned to %" PRIu64
                                      " bytes", start_sector, align);
        return false;
    }
    if ((end - 1) / gran != nb_granules - 1 && nr_bytes % align) {
        cancel_incoming_bitmap_locked(s, "chunk at sector %" PRIu64
                                      " of %" PRIu64 " bytes is not a "
                                      "multiple of %" PRIu64 " bytes",
                                      start_sector, nr_bytes, align);
        return false;
    }
    return true;

out_of_range:
    cancel_incoming_bitmap_locked(s, "chunk at sector %" PRIu64 " of %"
                                  PRIu64 " sectors is beyond its %" PRIu64
                                  " bytes", start_sector,
                                  nr_bytes >> BDRV_SECTOR_BITS, size);
    return false;
}

/* BITS: a range of the bitmap, as data or ZEROES.  Under s->lock. */
static int dirty_bitmap_load_bits(QEMUFile *f, DBMLoadState *s)
{
    uint64_t start_sector = qemu_get_be64(f);
    uint64_t nr_bytes = (uint64_t)qemu_get_be32(f) << BDRV_SECTOR_BITS;
    g_autofree uint8_t *buf = NULL;
    uint64_t buf_size = 0;
    uint64_t first_byte;

    trace_dirty_bitmap_load_bits_enter(start_sector,
                                       nr_bytes >> BDRV_SECTOR_BITS);

    if (s->flags & DIRTY_BITMAP_MIG_FLAG_ZEROES) {
        trace_dirty_bitmap_load_bits_zeroes();
    } else {
        /*
         * Read the buffer even when cancelled, to stay in step with the
         * stream.  A sender never needs more than CHUNK_SIZE plus padding;
         * anything much larger is a broken stream, not worth allocating.
         */
        buf_size = qemu_get_be64(f);
        if (buf_size > 10 * CHUNK_SIZE) {
            error_report("Bitmap migration stream buffer allocation request "
                         "is too large");
            return -EIO;
        }
        buf = g_malloc(buf_size);
        if (qemu_get_buffer(f, buf, buf_size) != buf_size) {
            error_report("Failed to read bitmap bits");
            return -EIO;
        }
    }

    if (s->cancelled || qemu_file_get_error(f) ||
        !dirty_bitmap_load_check_started(s) ||
        !dirty_bitmap_load_check_range(s, start_sector, nr_bytes)) {
        return 0;
    }
    first_byte = start_sector << BDRV_SECTOR_BITS;

    if (s->flags & DIRTY_BITMAP_MIG_FLAG_ZEROES) {
        if (nr_bytes) {
            bdrv_dirty_bitmap_deserialize_zeroes(s->bitmap, first_byte,
                                                 nr_bytes, false);
        }
    } else {
        uint64_t needed_size = !nr_bytes ? 0 :
            bdrv_dirty_bitmap_serialization_size(s->bitmap, first_byte,
                                                 nr_bytes);

        /* Exactly what send_bitmap_bits() would have sent, padding and all */
        if (needed_size > buf_size ||
            buf_size > QEMU_ALIGN_UP(needed_size, 4 * sizeof(long))) {
            error_report("Migrated bitmap granularity doesn't "
                         "match the destination bitmap '%s' granularity",
                         bdrv_dirty_bitmap_name(s->bitmap));
            cancel_incoming_locked(s);
            return 0;
        }

        if (nr_bytes) {
            bdrv_dirty_bitmap_deserialize_part(s->bitmap, buf, first_byte,
                                               nr_bytes, false);
        }
    }

    return 0;
}

/*
 * Read a name; false (after reporting @what) if it is missing, empty or
 * has a NUL inside.
 */
static bool dirty_bitmap_load_name(QEMUFile *f, char buf[256],
                                   const char *what)
{
    size_t len = qemu_get_counted_string(f, buf);

    if (!len || strlen(buf) != len) {
        error_report("Unable to read %s string", what);
        return false;
    }
    return true;
}

/*
 * Read flags and names of a chunk and resolve the node and bitmap they
 * refer to.  Returns -EINVAL if the stream cannot be parsed on; a name
 * that does not resolve only cancels bitmap migration.  Called with
 * s->lock held.
 */
static int dirty_bitmap_load_header(QEMUFile *f, DBMLoadState *s,
                                    GHashTable *alias_map)
{
    GHashTable *bitmap_alias_map = NULL;
    Error *local_err = NULL;
    uint32_t flags;
    bool nothing;

    flags = qemu_get_bitmap_flags(f);
    trace_dirty_bitmap_load_header(flags);
    if (qemu_file_get_error(f)) {
        return qemu_file_get_error(f);
    }
    if (!dirty_bitmap_flags_known(flags)) {
        error_report("Unknown flags in migrated dirty bitmap chunk: 0x%"
                     PRIx32, flags);
        return -EINVAL;
    }
    s->flags = flags & DIRTY_BITMAP_MIG_FLAGS_MASK;

    /* A lone EOS refers to nothing and needs no names. */
    nothing = s->flags == (s->flags & DIRTY_BITMAP_MIG_FLAG_EOS);

    if (s->flags & DIRTY_BITMAP_MIG_FLAG_DEVICE_NAME) {
        if (!dirty_bitmap_load_name(f, s->node_alias, "node alias")) {
            return -EINVAL;
        }
        /* A new node: the bitmap must be named again. */
        s->bitmap = NULL;
        s->bmap_inner = NULL;

        if (!s->cancelled) {
            if (alias_map) {
                const AliasMapInnerNode *amin =
                    g_hash_table_lookup(alias_map, s->node_alias);

                if (!amin) {
                    error_setg(&local_err, "Error: Unknown node alias '%s'",
                               s->node_alias);
                    s->bs = NULL;
                } else {
                    bitmap_alias_map = amin->subtree;
                    s->bs = bdrv_lookup_bs(NULL, amin->string, &local_err);
                }
            } else {
                s->bs = bdrv_lookup_bs(s->node_alias, s->node_alias,
                                       &local_err);
            }
            if (!s->bs) {
                error_report_err(local_err);
                cancel_incoming_locked(s);
            }
        }
    } else if (s->bs && !s->cancelled) {
        if (alias_map) {
            const AliasMapInnerNode *amin =
                g_hash_table_lookup(alias_map, s->node_alias);

            /* Only if the mapping changed since this node was named. */
            if (!amin) {
                error_report("Error: Unknown node alias '%s'", s->node_alias);
                cancel_incoming_locked(s);
            } else {
                bitmap_alias_map = amin->subtree;
            }
        }
    } else if (!nothing && !s->cancelled) {
        error_report("Error: block device name is not set");
        cancel_incoming_locked(s);
    }

    if (s->flags & DIRTY_BITMAP_MIG_FLAG_BITMAP_NAME) {
        const char *bitmap_name = s->bitmap_alias;

        if (!dirty_bitmap_load_name(f, s->bitmap_alias, "bitmap alias")) {
            return -EINVAL;
        }

        s->bmap_inner = NULL;
        if (!s->cancelled && alias_map) {
            BitmapMigrationBitmapAlias *bmap_inner =
                g_hash_table_lookup(bitmap_alias_map, s->bitmap_alias);

            if (!bmap_inner) {
                error_report("Error: Unknown bitmap alias '%s' on node "
                             "'%s' (alias '%s')", s->bitmap_alias,
                             s->bs->node_name, s->node_alias);
                cancel_incoming_locked(s);
            } else {
                bitmap_name = bmap_inner->name;
                s->bmap_inner = bmap_inner;
            }
        }

        if (!s->cancelled) {
            g_strlcpy(s->bitmap_name, bitmap_name, sizeof(s->bitmap_name));
            s->bitmap = bdrv_find_dirty_bitmap(s->bs, s->bitmap_name);

            /* Only a START may name a bitmap that does not exist yet. */
            if (!s->bitmap && !(s->flags & DIRTY_BITMAP_MIG_FLAG_START)) {
                error_report("Error: unknown dirty bitmap "
                             "'%s' for block device '%s'",
                             s->bitmap_name, s->bs->node_name);
                cancel_incoming_locked(s);
            }
        }
    } else if (!s->bitmap && !nothing && !s->cancelled) {
        error_report("Error: block device name is not set");
        cancel_incoming_locked(s);
    }

    return 0;
}

/*
 * load_state handler: read chunks up to EOS.  A broken stream (or one
 * that 7.2 also refuses) returns an error; any other problem cancels
 * bitmap migration and reads on, so the rest of the migration proceeds.
 */
static int dirty_bitmap_load(QEMUFile *f, void *opaque, int version_id)
{
    const MigrationParameters *mig_params =
        &migrate_get_current()->parameters;
    DBMLoadState *s = &((DBMState *)opaque)->load;
    g_autoptr(GHashTable) alias_map = NULL;
    int ret = 0;

    trace_dirty_bitmap_load_enter();

    if (version_id != 1) {
        QEMU_LOCK_GUARD(&s->lock);
        cancel_incoming_locked(s);
        return -EINVAL;
    }

    if (mig_params->has_block_bitmap_mapping) {
        /* migrate-set-parameters validated it. */
        alias_map = construct_alias_map(mig_params->block_bitmap_mapping,
                                        false, &error_abort);
    }

    do {
        QEMU_LOCK_GUARD(&s->lock);

        ret = dirty_bitmap_load_header(f, s, alias_map);
        if (!ret) {
            if (s->flags & DIRTY_BITMAP_MIG_FLAG_START) {
                ret = dirty_bitmap_load_start(f, s);
            } else if (s->flags & DIRTY_BITMAP_MIG_FLAG_COMPLETE) {
                dirty_bitmap_load_complete(f, s);
            } else if (s->flags & DIRTY_BITMAP_MIG_FLAG_BITS) {
                ret = dirty_bitmap_load_bits(f, s);
            }
        }
        if (!ret) {
            ret = qemu_file_get_error(f);
        }
        /* The mapping entries die with alias_map. */
        s->bmap_inner = NULL;

        if (ret) {
            cancel_incoming_locked(s);
            return ret;
        }
    } while (!(s->flags & DIRTY_BITMAP_MIG_FLAG_EOS));

    trace_dirty_bitmap_load_success();
    return 0;
}

static int dirty_bitmap_save_setup(QEMUFile *f, void *opaque)
{
    DBMSaveState *s = &((DBMState *)opaque)->save;
    SaveBitmapState *dbms;

    qemu_mutex_lock_iothread();
    if (init_dirty_bitmap_migration(s) < 0) {
        qemu_mutex_unlock_iothread();
        return -1;
    }

    QSIMPLEQ_FOREACH(dbms, &s->dbms_list, entry) {
        send_bitmap_start(f, s, dbms);
    }
    qemu_put_bitmap_flags(f, DIRTY_BITMAP_MIG_FLAG_EOS);
    qemu_mutex_unlock_iothread();
    return 0;
}

static bool dirty_bitmap_is_active(void *opaque)
{
    DBMSaveState *s = &((DBMState *)opaque)->save;

    return migrate_dirty_bitmaps() && !s->no_bitmaps;
}

static bool dirty_bitmap_is_active_iterate(void *opaque)
{
    return dirty_bitmap_is_active(opaque) && !runstate_is_running();
}

static bool dirty_bitmap_has_postcopy(void *opaque)
{
    return true;
}

static SaveVMHandlers savevm_dirty_bitmap_handlers = {
    .save_setup = dirty_bitmap_save_setup,
    .save_live_complete_postcopy = dirty_bitmap_save_complete,
    .save_live_complete_precopy = dirty_bitmap_save_complete,
    .has_postcopy = dirty_bitmap_has_postcopy,
    .save_live_pending = dirty_bitmap_save_pending,
    .save_live_iterate = dirty_bitmap_save_iterate,
    .is_active_iterate = dirty_bitmap_is_active_iterate,
    .load_state = dirty_bitmap_load,
    .save_cleanup = dirty_bitmap_save_cleanup,
    .is_active = dirty_bitmap_is_active,
};

void dirty_bitmap_mig_init(void)
{
    QSIMPLEQ_INIT(&dbm_state.save.dbms_list);
    qemu_mutex_init(&dbm_state.load.lock);

    register_savevm_live("dirty-bitmap", 0, 1,
                         &savevm_dirty_bitmap_handlers,
                         &dbm_state);
}
