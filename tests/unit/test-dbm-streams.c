/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Dirty-bitmap migration against the QEMU 7.2 reference captures. */

/*
 * Load: the dirty-bitmap sections of each capture in
 * tests/data/streams (DBM_STREAMS_DIR) are cut out, framed as a
 * stream of their own and fed through savevm's loader into a null-co node
 * "drive0"; the bitmaps must come out with the granularity, state and
 * sha256 that QEMU 7.2 reported (streams/CAPTURES.txt).
 * Save: the same bitmaps built on a source node must produce, through the
 * savevm handlers, the START section QEMU 7.2 sent byte for byte, and
 * sections that describe the same bitmaps: the same bits, COMPLETEs in
 * the same order.  How the bits are cut into BITS chunks is the
 * sender's choice (7.2 sends every 1 KiB chunk, clean ones as ZEROES;
 * ours sends only the runs of set words).
 *
 * Each case runs in a subprocess: the module's state lives as long as a
 * process, as it does in QEMU.  Only the module's public entry points and
 * the savevm API are used, so QEMU 7.2's own module passes this test too
 * (scripts/check-module.sh).
 */

#include "qemu/osdep.h"
#include <jansson.h>
#include "block/block.h"
#include "block/block_int.h"
#include "block/dirty-bitmap.h"
#include "migration/misc.h"
#include "migration/migration.h"
#include "migration/qemu-file.h"
#include "migration/savevm.h"
#include "migration-test-util.h"
#include "qapi/error.h"
#include "qapi/qapi-types-migration.h"
#include "qapi/util.h"
#include "qemu/main-loop.h"
#include "sysemu/runstate.h"
#include "stream-builder.h"

#define SHA_EMPTY_64K \
    "e5a00aa9991ac8a5ee3109844d84a55583bd20572ad3ffcd42792f3c36b183ad"
#define SHA_BMA \
    "46c6ec8ea1782b34c09bbcf6dba3194b22bf826e48f964b5408a9c94956298d5"
#define SHA_BMB \
    "653e36a4f85d6516f3960a5c8f1d20eda0996acdab5d356c6742c23d5fab60bf"
#define SHA_ODD \
    "45230ae80494a2d95857308e02cbb6e9dd79d0ac4cb752ea6679157d83b16f27"

typedef struct ExpectedBitmap {
    const char *name;
    uint32_t granularity;
    bool enabled;
    bool persistent;
    const char *sha256;
} ExpectedBitmap;

typedef struct StreamCase {
    const char *file;
    int64_t disk_size;
    bool postcopy;          /* bits arrive after the VM started */
    ExpectedBitmap bitmaps[3];
} StreamCase;

static const StreamCase cases[] = {
    {
        .file = "precopy_2bitmaps.bin", .disk_size = 1 * GiB,
        .bitmaps = {
            { "bmA", 65536, true, false, SHA_BMA },
            /* transform.persistent was set on the source */
            { "bmB", 4096, false, true, SHA_BMB },
        },
    }, {
        .file = "precopy_odd_size.bin", .disk_size = 104858112,
        .bitmaps = { { "odd", 65536, true, false, SHA_ODD } },
    }, {
        .file = "precopy_nobitmaps.bin", .disk_size = 1 * GiB,
    }, {
        .file = "postcopy.s2d.bin", .disk_size = 1 * GiB, .postcopy = true,
        .bitmaps = {
            { "bmA", 65536, true, false, SHA_BMA },
            { "bmB", 4096, false, false, SHA_BMB },
        },
    }, {
        .file = "postcopy_rp.s2d.bin", .disk_size = 1 * GiB,
        .postcopy = true,
        .bitmaps = {
            { "bmA", 65536, true, false, SHA_BMA },
            { "bmB", 4096, false, false, SHA_BMB },
        },
    },
};

/* One dirty-bitmap section cut out of a capture. */
typedef struct Section {
    uint8_t type;           /* QEMU_VM_SECTION_START/PART/END */
    size_t header_off;      /* its first byte in the capture */
    size_t payload_off;     /* first byte of the payload */
    size_t end;             /* one past its footer */
} Section;

typedef struct Capture {
    uint8_t *data;
    size_t len;
    GArray *sections;       /* Section, dirty-bitmap only, in stream order */
} Capture;

static const char *streams_dir(void)
{
    const char *dir = getenv("DBM_STREAMS_DIR");

    return dir ? dir : "tests/data/streams";
}

static void skip_missing(const char *path)
{
    g_autofree char *msg = g_strdup_printf("reference capture %s not found "
                                           "(DBM_STREAMS_DIR)", path);

    g_test_skip(msg);
}

static uint32_t get_be32(const Capture *c, size_t off)
{
    g_assert_cmpuint(off + 4, <=, c->len);
    return (uint32_t)c->data[off] << 24 | c->data[off + 1] << 16 |
           c->data[off + 2] << 8 | c->data[off + 3];
}

static uint64_t get_be64(const Capture *c, size_t off)
{
    return (uint64_t)get_be32(c, off) << 32 | get_be32(c, off + 4);
}

/* Offset after the dirty-bitmap payload that starts at @off. */
static size_t dbm_payload_end(const Capture *c, size_t off)
{
    for (;;) {
        uint8_t flags;

        g_assert_cmpuint(off, <, c->len);
        flags = c->data[off++];
        g_assert_cmpuint(flags & 0x80, ==, 0);
        if (flags & SB_DBM_DEVICE_NAME) {
            off += 1 + c->data[off];
        }
        if (flags & SB_DBM_BITMAP_NAME) {
            off += 1 + c->data[off];
        }
        if (flags & SB_DBM_START) {
            off += 5;
        } else if (flags & SB_DBM_COMPLETE) {
            /* no body */
        } else if (flags & SB_DBM_BITS) {
            off += 12;
            if (!(flags & SB_DBM_ZEROES)) {
                off += 8 + get_be64(c, off);
            }
        }
        if (flags & SB_DBM_EOS) {
            return off;
        }
    }
}

/* Offset after the payload of a non-dirty-bitmap section. */
static size_t other_payload_end(const Capture *c, const char *idstr,
                                size_t off)
{
    if (!strcmp(idstr, "ram")) {
        /* be64 words until one has RAM_SAVE_FLAG_EOS (no RAM blocks) */
        while (!(get_be64(c, off) & 0x10)) {
            off += 8;
        }
        return off + 8;
    } else if (!strcmp(idstr, "timer")) {
        return off + 24;
    } else if (!strcmp(idstr, "globalstate")) {
        return off + 104;
    }
    g_assert_not_reached();
}

/* Walk the elements in [@off, @end) (a stream body or a PACKAGED blob). */
static void walk_elements(Capture *c, size_t off, size_t end,
                          GHashTable *ids)
{
    while (off < end) {
        uint8_t type = c->data[off];
        size_t start = off++;
        const char *idstr;
        g_autofree char *name = NULL;
        uint32_t id;

        switch (type) {
        case QEMU_VM_EOF:
            return;
        case QEMU_VM_CONFIGURATION:
            off += 4 + get_be32(c, off);
            g_assert_cmpuint(c->data[off], !=, QEMU_VM_SUBSECTION);
            continue;
        case QEMU_VM_COMMAND: {
            uint16_t cmd = c->data[off] << 8 | c->data[off + 1];
            uint16_t len = c->data[off + 2] << 8 | c->data[off + 3];

            off += 4;
            if (cmd == 7) {             /* MIG_CMD_PACKAGED */
                uint32_t n = get_be32(c, off);

                walk_elements(c, off + 4, off + 4 + n, ids);
                off += 4 + n;
            } else {
                off += len;
            }
            continue;
        }
        case QEMU_VM_SECTION_START:
        case QEMU_VM_SECTION_FULL:
            id = get_be32(c, off);
            name = g_strndup((char *)c->data + off + 5, c->data[off + 4]);
            off += 5 + c->data[off + 4] + 8;
            if (!strcmp(name, "dirty-bitmap")) {
                g_hash_table_add(ids, GUINT_TO_POINTER(id));
            }
            idstr = name;
            break;
        case QEMU_VM_SECTION_PART:
        case QEMU_VM_SECTION_END:
            id = get_be32(c, off);
            off += 4;
            idstr = g_hash_table_contains(ids, GUINT_TO_POINTER(id)) ?
                    "dirty-bitmap" : "ram";
            break;
        default:
            g_assert_not_reached();
        }

        if (!strcmp(idstr, "dirty-bitmap")) {
            Section s = { .type = type, .header_off = start,
                          .payload_off = off };

            off = dbm_payload_end(c, off);
            s.end = off + 5;
            g_array_append_val(c->sections, s);
        } else {
            off = other_payload_end(c, idstr, off);
        }
        g_assert_cmpuint(c->data[off], ==, QEMU_VM_SECTION_FOOTER);
        g_assert_cmpuint(get_be32(c, off + 1), ==, id);
        off += 5;
    }
}

/*
 * Each test runs in a subprocess, for a fresh block layer and module
 * state.  In the parent, run the child (or skip when @file is absent: a
 * skip inside the child would read as a failure) and return true; in the
 * child, return false so that the test body runs.
 */
static bool run_as_subprocess(const char *file)
{
    g_autofree char *path = NULL;

    if (g_test_subprocess()) {
        return false;
    }
    path = g_build_filename(streams_dir(), file, NULL);
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        skip_missing(path);
        return true;
    }
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_passed();
    return true;
}

/* Load a capture, or skip the test (returns false) if it is absent. */
static bool capture_load(Capture *c, const char *file)
{
    g_autofree char *path = g_build_filename(streams_dir(), file, NULL);
    g_autoptr(GHashTable) ids = g_hash_table_new(NULL, NULL);

    if (!g_file_get_contents(path, (char **)&c->data, &c->len, NULL)) {
        skip_missing(path);
        return false;
    }
    g_assert_cmpuint(c->len, >=, 8);
    g_assert_cmpuint(get_be32(c, 0), ==, QEMU_VM_FILE_MAGIC);
    c->sections = g_array_new(false, false, sizeof(Section));
    walk_elements(c, 8, c->len, ids);
    return true;
}

static void capture_free(Capture *c)
{
    g_free(c->data);
    g_array_free(c->sections, true);
}

/*
 * A stream of its own: header, configuration "none", the sections
 * [@first, @last) of @c verbatim, EOF.
 */
static GByteArray *make_stream(const Capture *c, guint first, guint last)
{
    GByteArray *out = sb_stream_new("none");
    guint i;

    for (i = first; i < last; i++) {
        const Section *s = &g_array_index(c->sections, Section, i);

        sb_bytes(out, c->data + s->header_off, s->end - s->header_off);
    }
    sb_eof(out);
    return out;
}

static void load_stream(GByteArray *stream)
{
    QEMUFile *f = qemu_file_new_buffer_input(stream->data, stream->len);
    int ret = qemu_loadvm_state(f, &error_abort);

    g_assert_cmpint(ret, ==, 0);
    qemu_fclose(f);
}

static void check_bitmap(BlockDriverState *bs, const ExpectedBitmap *e)
{
    BdrvDirtyBitmap *bm = bdrv_find_dirty_bitmap(bs, e->name);
    g_autofree char *sha = NULL;

    g_assert_nonnull(bm);
    g_assert_cmpuint(bdrv_dirty_bitmap_granularity(bm), ==, e->granularity);
    g_assert_cmpint(bdrv_dirty_bitmap_enabled(bm), ==, e->enabled);
    g_assert_cmpint(bdrv_dirty_bitmap_get_persistence(bm), ==,
                    e->persistent);
    g_assert_false(bdrv_dirty_bitmap_has_successor(bm));
    g_assert_cmpint(bdrv_dirty_bitmap_check(bm, BDRV_BITMAP_DEFAULT, NULL),
                    ==, 0);
    sha = bdrv_dirty_bitmap_sha256(bm, &error_abort);
    g_assert_cmpstr(sha, ==, e->sha256);
}

static void test_load(gconstpointer opaque)
{
    const StreamCase *tc = opaque;
    BlockDriverState *bs;
    Capture c;
    int i, n = 0;

    if (run_as_subprocess(tc->file)) {
        return;
    }
    if (!capture_load(&c, tc->file)) {
        return;
    }
    mig_test_init_process();
    bs = mig_test_open_null("drive0", tc->disk_size);

    if (tc->postcopy) {
        g_autoptr(GByteArray) a = NULL;
        g_autoptr(GByteArray) b = NULL;
        BdrvDirtyBitmap *bm;

        /* The START section arrives before RUN, the bits after it. */
        g_assert_cmpuint(c.sections->len, >=, 2);
        a = make_stream(&c, 0, 1);
        load_stream(a);
        FOR_EACH_DIRTY_BITMAP(bs, bm) {
            if (bdrv_dirty_bitmap_name(bm)) {
                g_assert_cmpint(bdrv_dirty_bitmap_check(bm, BDRV_BITMAP_BUSY,
                                                        NULL), ==, -1);
            }
        }
        dirty_bitmap_mig_before_vm_start();
        b = make_stream(&c, 1, c.sections->len);
        load_stream(b);
    } else {
        g_autoptr(GByteArray) all = make_stream(&c, 0, c.sections->len);

        load_stream(all);
        dirty_bitmap_mig_before_vm_start();
    }

    for (i = 0; i < G_N_ELEMENTS(tc->bitmaps) && tc->bitmaps[i].name; i++) {
        check_bitmap(bs, &tc->bitmaps[i]);
        n++;
    }
    g_assert_cmpint(mig_test_count_named_bitmaps(bs), ==, n);
    capture_free(&c);
}

/* Build CAPTURES.txt's source bitmaps on @bs (bmA then bmB). */
static void make_source_bitmaps(BlockDriverState *bs)
{
    static const struct {
        int64_t off, len;
        bool bmb;
    } writes[] = {
        { 0, 4096, true },
        { 1048576, 65536, true },
        { 536870912, 1, true },
        { 1073676288, 65536, false },
        { 200000000, 300000, false },
    };
    BdrvDirtyBitmap *bma, *bmb;
    g_autofree char *sha_a = NULL;
    g_autofree char *sha_b = NULL;
    size_t i;

    bma = bdrv_create_dirty_bitmap(bs, 65536, "bmA", &error_abort);
    bmb = bdrv_create_dirty_bitmap(bs, 4096, "bmB", &error_abort);
    for (i = 0; i < G_N_ELEMENTS(writes); i++) {
        bdrv_set_dirty_bitmap(bma, writes[i].off, writes[i].len);
        if (writes[i].bmb) {
            bdrv_set_dirty_bitmap(bmb, writes[i].off, writes[i].len);
        }
    }
    bdrv_disable_dirty_bitmap(bmb);

    sha_a = bdrv_dirty_bitmap_sha256(bma, &error_abort);
    sha_b = bdrv_dirty_bitmap_sha256(bmb, &error_abort);
    g_assert_cmpstr(sha_a, ==, SHA_BMA);
    g_assert_cmpstr(sha_b, ==, SHA_BMB);
}

/* Set transform.persistent on bmB, as the capture's source did. */
static void set_persistent_mapping(void)
{
    MigrationParameters *p = &migrate_get_current()->parameters;
    BitmapMigrationNodeAlias *n = g_new0(BitmapMigrationNodeAlias, 1);
    BitmapMigrationBitmapAlias *a = g_new0(BitmapMigrationBitmapAlias, 1);
    BitmapMigrationBitmapAlias *b = g_new0(BitmapMigrationBitmapAlias, 1);

    n->node_name = g_strdup("drive0");
    n->alias = g_strdup("drive0");
    a->name = g_strdup("bmA");
    a->alias = g_strdup("bmA");
    b->name = g_strdup("bmB");
    b->alias = g_strdup("bmB");
    b->has_transform = true;
    b->transform = g_new0(BitmapMigrationBitmapAliasTransform, 1);
    b->transform->has_persistent = true;
    b->transform->persistent = true;
    QAPI_LIST_PREPEND(n->bitmaps, a);
    QAPI_LIST_PREPEND(n->bitmaps, b);
    QAPI_LIST_PREPEND(p->block_bitmap_mapping, n);
    p->has_block_bitmap_mapping = true;
}

/* What a run of dirty-bitmap payloads says about the bitmaps. */
typedef struct Decoded {
    GHashTable *images;     /* bitmap name -> GByteArray, whole bitmap */
    GString *events;        /* "S:name;" per START, "C:name;" per COMPLETE */
} Decoded;

static void decoded_init(Decoded *d)
{
    d->images = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify)g_byte_array_unref);
    d->events = g_string_new("");
}

static void decoded_free(Decoded *d)
{
    g_hash_table_destroy(d->images);
    g_string_free(d->events, true);
}

/*
 * Decode the payload at @off of @c into @d: START makes a zeroed image of
 * the bitmap (@disk_size bytes at its granularity, in 64-bit words),
 * BITS writes a buffer or zeroes into it.  Returns the offset after EOS.
 */
static size_t decode_payload(const Capture *c, size_t off, int64_t disk_size,
                             Decoded *d, GHashTable *grans, char *cur)
{
    for (;;) {
        uint8_t flags = c->data[off++];
        GByteArray *img;
        uint64_t gran;

        if (flags & SB_DBM_DEVICE_NAME) {
            off += 1 + c->data[off];
        }
        if (flags & SB_DBM_BITMAP_NAME) {
            memcpy(cur, c->data + off + 1, c->data[off]);
            cur[c->data[off]] = '\0';
            off += 1 + c->data[off];
        }
        img = g_hash_table_lookup(d->images, cur);
        if (flags & SB_DBM_START) {
            uint64_t nbits;

            gran = get_be32(c, off);
            nbits = DIV_ROUND_UP(disk_size, gran);
            g_assert_null(img);
            img = g_byte_array_new();
            g_byte_array_set_size(img, DIV_ROUND_UP(nbits, 64) * 8);
            memset(img->data, 0, img->len);
            g_hash_table_insert(d->images, g_strdup(cur), img);
            g_hash_table_insert(grans, g_strdup(cur),
                                GUINT_TO_POINTER((guint)gran));
            g_string_append_printf(d->events, "S:%s;", cur);
            off += 5;
        } else if (flags & SB_DBM_COMPLETE) {
            g_string_append_printf(d->events, "C:%s;", cur);
        } else if (flags & SB_DBM_BITS) {
            uint64_t sector = get_be64(c, off);
            uint64_t nr = get_be32(c, off + 8);
            uint64_t first, len, i;

            g_assert_nonnull(img);
            gran = GPOINTER_TO_UINT(g_hash_table_lookup(grans, cur));
            first = sector * 512 / gran;
            g_assert_cmpuint(first % 64, ==, 0);
            len = MIN(DIV_ROUND_UP(nr * 512, gran * 64) * 8,
                      img->len - first / 8);
            off += 12;
            if (flags & SB_DBM_ZEROES) {
                memset(img->data + first / 8, 0, len);
            } else {
                uint64_t size = get_be64(c, off);

                g_assert_cmpuint(size, >=, len);
                memcpy(img->data + first / 8, c->data + off + 8, len);
                for (i = len; i < size; i++) {
                    g_assert_cmpuint(c->data[off + 8 + i], ==, 0);
                }
                off += 8 + size;
            }
        }
        if (flags & SB_DBM_EOS) {
            return off;
        }
    }
}

static void decode_sections(const Capture *c, int64_t disk_size, Decoded *d)
{
    g_autoptr(GHashTable) grans = g_hash_table_new_full(g_str_hash,
                                                        g_str_equal,
                                                        g_free, NULL);
    char cur[256] = "";
    guint i;

    decoded_init(d);
    for (i = 0; i < c->sections->len; i++) {
        const Section *s = &g_array_index(c->sections, Section, i);

        g_assert_cmpuint(decode_payload(c, s->payload_off, disk_size, d,
                                        grans, cur), ==, s->end - 5);
    }
}

/*
 * The sections our handlers wrote into @data must say what the capture's
 * say: the same START section, bitmaps and COMPLETE order.
 */
static void compare_payloads(const Capture *cap, const uint8_t *data,
                             size_t len, int64_t disk_size)
{
    Capture out = { .data = (uint8_t *)data, .len = len };
    g_autoptr(GHashTable) ids = g_hash_table_new(NULL, NULL);
    const Section *ws, *gs;
    Decoded want, got;
    GHashTableIter iter;
    gpointer name, img;

    out.sections = g_array_new(false, false, sizeof(Section));
    walk_elements(&out, 0, len, ids);
    g_assert_cmpuint(out.sections->len, >=, 2);

    ws = &g_array_index(cap->sections, Section, 0);
    gs = &g_array_index(out.sections, Section, 0);
    g_assert_cmpint(gs->type, ==, QEMU_VM_SECTION_START);
    g_assert_cmpmem(data + gs->payload_off, gs->end - gs->payload_off,
                    cap->data + ws->payload_off, ws->end - ws->payload_off);

    decode_sections(cap, disk_size, &want);
    decode_sections(&out, disk_size, &got);
    g_assert_cmpstr(got.events->str, ==, want.events->str);
    g_assert_cmpuint(g_hash_table_size(got.images), ==,
                     g_hash_table_size(want.images));
    g_hash_table_iter_init(&iter, want.images);
    while (g_hash_table_iter_next(&iter, &name, &img)) {
        GByteArray *w = img;
        GByteArray *g = g_hash_table_lookup(got.images, name);

        g_assert_nonnull(g);
        g_assert_cmpmem(g->data, g->len, w->data, w->len);
    }
    decoded_free(&want);
    decoded_free(&got);
    g_array_free(out.sections, true);
}

/*
 * Precopy source: START at setup, everything else at completion; the
 * same bitmaps as QEMU 7.2 sent in precopy_2bitmaps.bin.
 */
static void test_save_precopy(void)
{
    MigrationState *ms;
    BlockDriverState *bs;
    QEMUFile *f;
    const uint8_t *data;
    size_t len;
    Capture cap;

    if (run_as_subprocess("precopy_2bitmaps.bin")) {
        return;
    }
    if (!capture_load(&cap, "precopy_2bitmaps.bin")) {
        return;
    }
    mig_test_init_process();
    bs = mig_test_open_null("drive0", 1 * GiB);
    make_source_bitmaps(bs);
    ms = migrate_get_current();
    ms->enabled_capabilities[MIGRATION_CAPABILITY_DIRTY_BITMAPS] = true;
    set_persistent_mapping();

    f = qemu_file_new_buffer_output();
    qemu_mutex_unlock_iothread();
    qemu_savevm_state_setup(f);
    qemu_mutex_lock_iothread();
    g_assert_cmpint(qemu_file_get_error(f), ==, 0);
    /* While migrating, the source bitmaps are busy. */
    g_assert_cmpint(bdrv_dirty_bitmap_check(bdrv_find_dirty_bitmap(bs, "bmA"),
                                            BDRV_BITMAP_BUSY, NULL), ==, -1);
    g_assert_cmpint(qemu_savevm_state_complete_precopy(f, true, false), ==,
                    0);
    qemu_fflush(f);
    g_assert_cmpint(qemu_file_get_error(f), ==, 0);

    data = qemu_file_buffer_contents(f, &len);
    compare_payloads(&cap, data, len, 1 * GiB);

    /* Afterwards they are free again. */
    g_assert_cmpint(bdrv_dirty_bitmap_check(bdrv_find_dirty_bitmap(bs, "bmA"),
                                            BDRV_BITMAP_DEFAULT, NULL), ==, 0);
    qemu_fclose(f);
    capture_free(&cap);
}

/* Called without the BQL, as the migration thread does. */
static uint64_t postcopy_pending(QEMUFile *f)
{
    uint64_t pre, compat, post;

    qemu_savevm_state_pending(f, 0, &pre, &compat, &post);
    return pre + compat + post;
}

/*
 * Postcopy source: START at setup, the bits in PART sections once the VM
 * is stopped in postcopy, COMPLETEs at the end: the same bitmaps as
 * postcopy.s2d.bin, in one PART when unlimited; under a rate limit the
 * bits spread over more PARTs.  The pending estimate falls to 0.
 */
static void test_save_postcopy(gconstpointer opaque)
{
    bool rate_limited = GPOINTER_TO_INT(opaque);
    g_autoptr(GHashTable) ids = g_hash_table_new(NULL, NULL);
    Capture cap, out = { 0 };
    BlockDriverState *bs;
    uint64_t pending, last;
    QEMUFile *f;
    int ret, parts = 0;

    if (run_as_subprocess("postcopy.s2d.bin")) {
        return;
    }
    if (!capture_load(&cap, "postcopy.s2d.bin")) {
        return;
    }
    mig_test_init_process();
    bs = mig_test_open_null("drive0", 1 * GiB);
    make_source_bitmaps(bs);
    migrate_get_current()->enabled_capabilities[
        MIGRATION_CAPABILITY_DIRTY_BITMAPS] = true;

    f = qemu_file_new_buffer_output();
    qemu_mutex_unlock_iothread();
    qemu_savevm_state_setup(f);
    /* Something is pending: 7.2 counts granules, we count bytes. */
    last = postcopy_pending(f);
    g_assert_cmpuint(last, >, 0);
    qemu_mutex_lock_iothread();

    /* Switch-over: the VM stops, postcopy begins. */
    runstate_set(RUN_STATE_FINISH_MIGRATE);
    qatomic_set(&migrate_get_current()->state,
                MIGRATION_STATUS_POSTCOPY_ACTIVE);
    if (rate_limited) {
        qemu_file_set_rate_limit(f, 16);
    }
    qemu_mutex_unlock_iothread();
    do {
        qemu_file_reset_rate_limit(f);
        ret = qemu_savevm_state_iterate(f, true);
        g_assert_cmpint(ret, >=, 0);
        pending = postcopy_pending(f);
        g_assert_cmpuint(pending, <=, last);
        last = pending;
        g_assert_cmpint(++parts, <, 1000);
    } while (ret == 0);
    qemu_mutex_lock_iothread();
    g_assert_cmpuint(pending, ==, 0);
    if (rate_limited) {
        g_assert_cmpint(parts, >, 2);
    } else {
        g_assert_cmpint(parts, ==, 1);
    }

    qemu_savevm_state_complete_postcopy(f);
    qemu_fflush(f);
    g_assert_cmpint(qemu_file_get_error(f), ==, 0);

    out.data = (uint8_t *)qemu_file_buffer_contents(f, &out.len);
    out.sections = g_array_new(false, false, sizeof(Section));
    walk_elements(&out, 0, out.len, ids);
    compare_payloads(&cap, out.data, out.len, 1 * GiB);
    /*
     * START, a PART per iteration that had bits to send (ours skips the
     * last one when nothing is left), END.
     */
    g_assert_cmpuint(out.sections->len, >=, cap.sections->len + parts - 2);
    g_assert_cmpuint(out.sections->len, <=, cap.sections->len + parts - 1);
    for (guint i = 0; i < out.sections->len; i++) {
        const Section *s = &g_array_index(out.sections, Section, i);

        g_assert_cmpint(s->type, ==,
                        i == 0 ? QEMU_VM_SECTION_START :
                        i + 1 == out.sections->len ? QEMU_VM_SECTION_END :
                        QEMU_VM_SECTION_PART);
    }

    g_assert_cmpint(bdrv_dirty_bitmap_check(bdrv_find_dirty_bitmap(bs, "bmB"),
                                            BDRV_BITMAP_BUSY, NULL), ==, 0);
    g_array_free(out.sections, true);
    qemu_fclose(f);
    capture_free(&cap);
}

int main(int argc, char **argv)
{
    size_t i;

    g_test_init(&argc, &argv, NULL);

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/dbm/streams/load/%s",
                                                cases[i].file);

        g_test_add_data_func(path, &cases[i], test_load);
    }
    g_test_add_func("/dbm/streams/save/precopy-2bitmaps", test_save_precopy);
    g_test_add_data_func("/dbm/streams/save/postcopy", GINT_TO_POINTER(0),
                         test_save_postcopy);
    g_test_add_data_func("/dbm/streams/save/postcopy-rate-limited",
                         GINT_TO_POINTER(1), test_save_postcopy);

    return g_test_run();
}
