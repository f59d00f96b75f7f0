/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Dirty-bitmap migration: how the destination treats bad streams. */

/*
 * Each case frames a dirty-bitmap START section (and optionally an END
 * section) around hand-made chunks, loads it with qemu_loadvm_state() in
 * a subprocess with null-co node "drive0" (1 GiB, bitmap "existing"), and
 * checks the outcome: whether the load fails, what stderr says and which
 * bitmaps are left.
 *
 * /dbm/load/compat/... behave as QEMU 7.2's module does (suite dbm, so
 * scripts/check-module.sh runs them on the upstream file too);
 * /dbm/load/strict/... are where ours is stricter (7.2 aborts or accepts).
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
#include "qapi/error.h"
#include "qapi/qapi-types-migration.h"
#include "qapi/util.h"
#include "qemu/main-loop.h"
#include "stream-builder.h"
#include "qemu/thread.h"
#include "migration/dirty-bitmap-ext.h"

#define GRAN_64K    65536
#define NAMED       SB_DBM_BITMAP_NAME      /* the bitmap name only */

/* Writes a section payload. */
/*
 * Whether the module registered minivmm's extension (ours does, QEMU
 * 7.2's does not): the linker sends the call here (--wrap).
 */
static bool module_has_ext;
static const DirtyBitmapMigExt *module_ext;

void __real_dirty_bitmap_mig_ext_register(const DirtyBitmapMigExt *ext);
void __wrap_dirty_bitmap_mig_ext_register(const DirtyBitmapMigExt *ext);

void __wrap_dirty_bitmap_mig_ext_register(const DirtyBitmapMigExt *ext)
{
    module_has_ext = true;
    module_ext = ext;
    __real_dirty_bitmap_mig_ext_register(ext);
}

typedef void PayloadFn(GByteArray *b);

typedef struct LoadCase {
    const char *path;
    PayloadFn *start;           /* START section payload */
    PayloadFn *end;             /* END section payload, or NULL */
    bool mapping;               /* drive0 as "d0": bm0 -> "b0" */
    bool fails;                 /* qemu_loadvm_state() must fail */
    const char *stderr_pattern;
    const char *bitmaps;        /* named bitmaps left on drive0, sorted */
} LoadCase;

/* START drive0/bm0 (64 KiB, enabled), EOS. */
static void start_bm0(GByteArray *b)
{
    sb_dbm_start(b, SB_DBM_NAMES, "drive0", "bm0", GRAN_64K,
                 SB_DBM_ENABLED);
    sb_u8(b, SB_DBM_EOS);
}

/* START drive0/bm0 and drive0/bm1 (64 KiB, bm1 with @bm1_flags), EOS. */
static void start_bm0_bm1(GByteArray *b, uint8_t bm1_flags)
{
    sb_dbm_start(b, SB_DBM_NAMES, "drive0", "bm0", GRAN_64K,
                 SB_DBM_ENABLED);
    sb_dbm_start(b, SB_DBM_NAMES, "drive0", "bm1", GRAN_64K, bm1_flags);
    sb_u8(b, SB_DBM_EOS);
}

/* COMPLETE for the current bitmap, EOS. */
static void end_complete(GByteArray *b)
{
    sb_dbm_complete(b, 0, NULL, NULL);
    sb_u8(b, SB_DBM_EOS);
}

/* ZEROES for bm0's first 512 MiB, COMPLETE, EOS. */
static void good_end(GByteArray *b)
{
    sb_dbm_zeroes(b, NAMED, NULL, "bm0", 0, 0x100000);
    end_complete(b);
}

static void unknown_node_start(GByteArray *b)
{
    sb_dbm_start(b, SB_DBM_NAMES, "nosuchnode", "bm0", GRAN_64K,
                 SB_DBM_ENABLED);
    sb_u8(b, SB_DBM_EOS);
}

static void name_exists_start(GByteArray *b)
{
    sb_dbm_start(b, SB_DBM_NAMES, "drive0", "existing", GRAN_64K, 0);
    sb_u8(b, SB_DBM_EOS);
}

/* Bitmap flags 0x09: enabled and a reserved bit. */
static void reserved_flags_start(GByteArray *b)
{
    sb_dbm_start(b, SB_DBM_NAMES, "drive0", "bm0", GRAN_64K, 0x09);
    sb_u8(b, SB_DBM_EOS);
}

/* A BITS chunk announcing a 10241-byte buffer, and nothing after it. */
static void huge_buffer_end(GByteArray *b)
{
    sb_dbm_bits(b, NAMED, NULL, "bm0", 0, 0x100000, 0x2801, NULL, 0);
}

static void size_mismatch_start(GByteArray *b)
{
    start_bm0_bm1(b, 0);
}

/* 64 granules need 8 bytes (32 with padding), not 64. */
static void size_mismatch_end(GByteArray *b)
{
    uint8_t buf[64] = { 0x01 };

    sb_dbm_bits(b, NAMED, NULL, "bm0", 0, 0x2000, sizeof(buf), buf,
                sizeof(buf));
    end_complete(b);
}

static void unknown_bitmap_end(GByteArray *b)
{
    sb_dbm_zeroes(b, NAMED, NULL, "nosuch", 0, 0x2000);
    end_complete(b);
}

static void alias_d0_bm0_start(GByteArray *b)
{
    sb_dbm_start(b, SB_DBM_NAMES, "d0", "bm0", GRAN_64K, SB_DBM_ENABLED);
    sb_u8(b, SB_DBM_EOS);
}

static void alias_d0_b0_start(GByteArray *b)
{
    sb_dbm_start(b, SB_DBM_NAMES, "d0", "b0", GRAN_64K, 0);
    sb_u8(b, SB_DBM_EOS);
}

static void empty_node_alias_start(GByteArray *b)
{
    sb_dbm_start(b, SB_DBM_NAMES, "", "bm0", GRAN_64K, SB_DBM_ENABLED);
    sb_u8(b, SB_DBM_EOS);
}

static void missing_eos_start(GByteArray *b)
{
    sb_dbm_start(b, SB_DBM_NAMES, "drive0", "bm0", GRAN_64K,
                 SB_DBM_ENABLED);
}

static void gran_1000_start(GByteArray *b)
{
    sb_dbm_start(b, SB_DBM_NAMES, "drive0", "bm0", 1000, SB_DBM_ENABLED);
    sb_u8(b, SB_DBM_EOS);
}

static void gran_1000_end(GByteArray *b)
{
    sb_dbm_complete(b, NAMED, NULL, "bm0");
    sb_u8(b, SB_DBM_EOS);
}

static void misaligned_start(GByteArray *b)
{
    start_bm0_bm1(b, SB_DBM_ENABLED);
}

/* Sector 128 is half a 64 KiB granule. */
static void misaligned_end(GByteArray *b)
{
    sb_dbm_zeroes(b, NAMED, NULL, "bm0", 0x80, 0x2000);
    end_complete(b);
}

/* From sector 2097152: the end of the 1 GiB node. */
static void past_end_end(GByteArray *b)
{
    sb_dbm_zeroes(b, NAMED, NULL, "bm0", 0x200000, 0x2000);
    end_complete(b);
}

/* BITS into "existing", which this migration never started. */
static void into_existing_start(GByteArray *b)
{
    uint8_t buf[32] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

    sb_dbm_bits(b, SB_DBM_NAMES, "drive0", "existing", 0, 0x2000,
                sizeof(buf), buf, sizeof(buf));
    sb_u8(b, SB_DBM_EOS);
}

/* Flags 0x81, then a second flags byte: bits no chunk kind defines. */
static void unknown_flag_bits_start(GByteArray *b)
{
    sb_u8(b, 0x81);
    sb_u8(b, 0x01);
}

static void nul_in_name_start(GByteArray *b)
{
    sb_u8(b, SB_DBM_START | SB_DBM_NAMES);
    sb_str(b, "drive0");
    sb_counted(b, "b\0z", 3);
    sb_be32(b, GRAN_64K);
    sb_u8(b, SB_DBM_ENABLED);
    sb_u8(b, SB_DBM_EOS);
}

/* A COMPLETE that changes the node but names no bitmap. */
static void node_change_end(GByteArray *b)
{
    sb_dbm_complete(b, SB_DBM_DEVICE_NAME, "drive0", NULL);
    sb_u8(b, SB_DBM_EOS);
}

static const LoadCase cases[] = {
    {
        .path = "/dbm/load/compat/good",
        .start = start_bm0, .end = good_end,
        .bitmaps = "bm0,existing",
    }, {
        .path = "/dbm/load/compat/unknown-node",
        .start = unknown_node_start, .end = end_complete,
        .stderr_pattern = "*Cannot find device='nosuchnode' nor "
                          "node-name='nosuchnode'*",
        .bitmaps = "existing",
    }, {
        .path = "/dbm/load/compat/name-exists",
        .start = name_exists_start,
        .fails = true,
        .stderr_pattern = "*Bitmap with the same name ('existing') already "
                          "exists on destination*",
    }, {
        .path = "/dbm/load/compat/reserved-start-flags",
        .start = reserved_flags_start,
        .fails = true,
        .stderr_pattern = "*Unknown flags in migrated dirty bitmap header: "
                          "9*",
    }, {
        .path = "/dbm/load/compat/huge-buffer",
        .start = start_bm0, .end = huge_buffer_end,
        .fails = true,
        .stderr_pattern = "*Bitmap migration stream buffer allocation "
                          "request is too large*",
    }, {
        .path = "/dbm/load/compat/buffer-size-mismatch",
        .start = size_mismatch_start, .end = size_mismatch_end,
        .stderr_pattern = "*Migrated bitmap granularity doesn't match the "
                          "destination bitmap 'bm0' granularity*",
        .bitmaps = "existing",
    }, {
        .path = "/dbm/load/compat/unknown-bitmap",
        .start = start_bm0, .end = unknown_bitmap_end,
        .stderr_pattern = "*Error: unknown dirty bitmap 'nosuch' for block "
                          "device 'drive0'*",
        .bitmaps = "existing",
    }, {
        .path = "/dbm/load/compat/mapping-unknown-node-alias",
        .start = start_bm0,
        .mapping = true,
        .stderr_pattern = "*Error: Unknown node alias 'drive0'*",
        .bitmaps = "existing",
    }, {
        .path = "/dbm/load/compat/mapping-unknown-bitmap-alias",
        .start = alias_d0_bm0_start,
        .mapping = true,
        .stderr_pattern = "*Error: Unknown bitmap alias 'bm0' on node "
                          "'drive0' (alias 'd0')*",
        .bitmaps = "existing",
    }, {
        .path = "/dbm/load/compat/mapping-good",
        .start = alias_d0_b0_start, .end = end_complete,
        .mapping = true,
        .bitmaps = "bm0,existing",
    }, {
        .path = "/dbm/load/compat/empty-node-alias",
        .start = empty_node_alias_start,
        .fails = true,
        .stderr_pattern = "*Unable to read node alias string*",
    }, {
        /* The footer's 0x7e reads as chunk flags with an empty name. */
        .path = "/dbm/load/compat/missing-eos",
        .start = missing_eos_start,
        .fails = true,
        .stderr_pattern = "*Unable to read node alias string*",
    }, {
        .path = "/dbm/load/strict/granularity-1000",
        .start = gran_1000_start, .end = gran_1000_end,
        .stderr_pattern = "*'bm0'*granularity 1000*",
        .bitmaps = "existing",
    }, {
        .path = "/dbm/load/strict/misaligned-chunk",
        .start = misaligned_start, .end = misaligned_end,
        .stderr_pattern = "*'bm0'*not aligned*",
        .bitmaps = "existing",
    }, {
        .path = "/dbm/load/strict/chunk-past-end",
        .start = start_bm0, .end = past_end_end,
        .stderr_pattern = "*'bm0'*beyond*",
        .bitmaps = "existing",
    }, {
        .path = "/dbm/load/strict/bits-into-existing",
        .start = into_existing_start,
        .stderr_pattern = "*'existing'*not started*",
        .bitmaps = "existing",
    }, {
        .path = "/dbm/load/strict/unknown-flag-bits",
        .start = unknown_flag_bits_start,
        .fails = true,
        .stderr_pattern = "*Unknown flags in migrated dirty bitmap chunk*",
    }, {
        .path = "/dbm/load/strict/nul-in-name",
        .start = nul_in_name_start,
        .fails = true,
        .stderr_pattern = "*Unable to read bitmap alias string*",
    }, {
        .path = "/dbm/load/strict/node-change-needs-bitmap-name",
        .start = start_bm0, .end = node_change_end,
        .stderr_pattern = "*block device name is not set*",
        .bitmaps = "existing",
    },
};

/* Header, configuration, START (id 3) [, END], EOF. */
static GByteArray *make_stream(const LoadCase *tc)
{
    GByteArray *s = sb_stream_new("none");
    g_autoptr(GByteArray) payload = g_byte_array_new();

    tc->start(payload);
    sb_section(s, QEMU_VM_SECTION_START, 3, "dirty-bitmap", payload);
    if (tc->end) {
        g_byte_array_set_size(payload, 0);
        tc->end(payload);
        sb_section(s, QEMU_VM_SECTION_END, 3, NULL, payload);
    }
    sb_eof(s);
    return s;
}

/* drive0 is known as "d0", its bitmap bm0 as "b0". */
static void set_mapping(void)
{
    MigrationParameters *p = &migrate_get_current()->parameters;
    BitmapMigrationNodeAlias *n = g_new0(BitmapMigrationNodeAlias, 1);
    BitmapMigrationBitmapAlias *b = g_new0(BitmapMigrationBitmapAlias, 1);

    n->node_name = g_strdup("drive0");
    n->alias = g_strdup("d0");
    b->name = g_strdup("bm0");
    b->alias = g_strdup("b0");
    QAPI_LIST_PREPEND(n->bitmaps, b);
    QAPI_LIST_PREPEND(p->block_bitmap_mapping, n);
    p->has_block_bitmap_mapping = true;
}

static gint compare_str(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

/* "a,b,c": the named bitmaps of @bs, sorted; checks none is busy. */
static char *named_bitmaps(BlockDriverState *bs)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    BdrvDirtyBitmap *bm;

    FOR_EACH_DIRTY_BITMAP(bs, bm) {
        if (bdrv_dirty_bitmap_name(bm)) {
            g_assert_cmpint(bdrv_dirty_bitmap_check(bm, BDRV_BITMAP_BUSY,
                                                    NULL), ==, 0);
            g_ptr_array_add(names, (char *)bdrv_dirty_bitmap_name(bm));
        }
    }
    g_ptr_array_sort(names, compare_str);
    g_ptr_array_add(names, NULL);
    return g_strjoinv(",", (char **)names->pdata);
}

static void run_case(const LoadCase *tc)
{
    g_autoptr(GByteArray) stream = make_stream(tc);
    BlockDriverState *bs;
    BdrvDirtyBitmap *existing;
    g_autofree char *sha_before = NULL;
    g_autofree char *sha_after = NULL;
    g_autofree char *left = NULL;
    json_t *opts;
    Error *err = NULL;
    QEMUFile *f;
    int ret;

    qemu_init_main_loop(&error_abort);
    qemu_mutex_lock_iothread();
    bdrv_init();
    migration_object_init();    /* registers the dirty-bitmap section */
    opts = json_pack("{s:s, s:s, s:I}", "driver", "null-co", "node-name",
                     "drive0", "size", (json_int_t)GiB);
    bs = bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &error_abort);
    existing = bdrv_create_dirty_bitmap(bs, 65536, "existing", &error_abort);
    bdrv_set_dirty_bitmap(existing, 65536, 1);
    sha_before = bdrv_dirty_bitmap_sha256(existing, &error_abort);
    if (tc->mapping) {
        set_mapping();
    }

    f = qemu_file_new_buffer_input(stream->data, stream->len);
    ret = qemu_loadvm_state(f, &err);
    qemu_fclose(f);

    if (tc->fails) {
        g_assert_cmpint(ret, <, 0);
        g_assert_nonnull(err);
        /* Ours hands the reason over in the Error; stderr gets it here. */
        if (module_has_ext && tc->stderr_pattern) {
            g_assert_true(g_pattern_match_simple(tc->stderr_pattern,
                                                 error_get_pretty(err)));
        }
        error_report_err(err);
        /* What the incoming side does when the load fails. */
        dirty_bitmap_mig_cancel_incoming();
    } else {
        g_assert_cmpint(ret, ==, 0);
        g_assert_null(err);
        dirty_bitmap_mig_before_vm_start();
    }

    if (tc->bitmaps) {
        left = named_bitmaps(bs);
        g_assert_cmpstr(left, ==, tc->bitmaps);
    }
    sha_after = bdrv_dirty_bitmap_sha256(existing, &error_abort);
    g_assert_cmpstr(sha_after, ==, sha_before);
    g_assert_true(bdrv_dirty_bitmap_enabled(existing));
}

static void test_case(gconstpointer opaque)
{
    const LoadCase *tc = opaque;

    if (g_test_subprocess()) {
        run_case(tc);
        return;
    }
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_passed();
    if (tc->stderr_pattern) {
        g_test_trap_assert_stderr(tc->stderr_pattern);
    } else if (!tc->fails) {
        g_test_trap_assert_stderr_unmatched("*itmap*");
    }
}

static void *cancel_thread(void *opaque)
{
    g_assert_false(qemu_mutex_iothread_locked());
    dirty_bitmap_mig_cancel_incoming();
    return NULL;
}

/*
 * QEMU 7.2's postcopy listen thread gives the bitmaps up without the BQL
 * (dirty_bitmap_mig_cancel_incoming() after a failed load).  That must
 * not trip a thread contract (a module that walks the node list there
 * aborts in QEMU) and must leave nothing behind.
 */
static void test_cancel_without_bql(void)
{
    static const LoadCase tc = {
        .start = size_mismatch_start,       /* bm0 enabled, bm1 not */
    };
    g_autoptr(GByteArray) stream = NULL;
    g_autofree char *left = NULL;
    BlockDriverState *bs;
    QemuThread t;
    json_t *opts;
    QEMUFile *f;
    int refcnt;

    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, 0);
        g_test_trap_assert_passed();
        return;
    }
    qemu_init_main_loop(&error_abort);
    qemu_mutex_lock_iothread();
    bdrv_init();
    migration_object_init();
    opts = json_pack("{s:s, s:s, s:I}", "driver", "null-co", "node-name",
                     "drive0", "size", (json_int_t)GiB);
    bs = bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &error_abort);
    refcnt = bs->refcnt;

    stream = make_stream(&tc);
    f = qemu_file_new_buffer_input(stream->data, stream->len);
    g_assert_cmpint(qemu_loadvm_state(f, &error_abort), ==, 0);
    qemu_fclose(f);
    g_assert_nonnull(bdrv_find_dirty_bitmap(bs, "bm0"));

    qemu_mutex_unlock_iothread();
    qemu_thread_create(&t, "listen", cancel_thread, NULL,
                       QEMU_THREAD_JOINABLE);
    qemu_thread_join(&t);
    qemu_mutex_lock_iothread();

    left = named_bitmaps(bs);
    g_assert_cmpstr(left, ==, "");
    g_assert_cmpint(bs->refcnt, ==, refcnt);
}

#define MANY_DROPPED 1500

/* STARTs of MANY_DROPPED bitmaps on a node that is not there, EOS. */
static void many_unknown_starts(GByteArray *b)
{
    int i;

    for (i = 0; i < MANY_DROPPED; i++) {
        g_autofree char *name = g_strdup_printf("bm%d", i);

        sb_dbm_start(b, SB_DBM_NAMES, "nosuchnode", name, GRAN_64K, 0);
    }
    sb_u8(b, SB_DBM_EOS);
}

/*
 * However many bitmaps a stream announces in vain, query-migrate lists
 * the first 1000 that did not migrate and counts the rest, and the log
 * does not grow a line per bitmap.
 */
static void test_many_dropped(void)
{
    static const LoadCase tc = { .start = many_unknown_starts };
    g_autoptr(GByteArray) stream = NULL;
    XDirtyBitmapMigrationInfo *info;
    XDirtyBitmapMigrationDroppedList *l;
    unsigned listed = 0;
    QEMUFile *f;

    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, 0);
        g_test_trap_assert_passed();
        /* not a line per bitmap */
        g_test_trap_assert_stderr_unmatched("*'bm1499'*");
        return;
    }
    qemu_init_main_loop(&error_abort);
    qemu_mutex_lock_iothread();
    bdrv_init();
    migration_object_init();
    if (!module_has_ext) {
        return;     /* QEMU 7.2's module keeps no list of them */
    }
    stream = make_stream(&tc);
    f = qemu_file_new_buffer_input(stream->data, stream->len);
    g_assert_cmpint(qemu_loadvm_state(f, &error_abort), ==, 0);
    qemu_fclose(f);
    info = module_ext->query(true);
    g_assert_nonnull(info);
    for (l = info->dropped; l; l = l->next) {
        listed++;
    }
    g_assert_cmpuint(listed, ==, 1000);
    g_assert_true(info->has_dropped_more);
    g_assert_cmpuint(info->dropped_more, ==, MANY_DROPPED - 1000);
    g_assert_cmpuint(info->total, ==, MANY_DROPPED);
    qapi_free_XDirtyBitmapMigrationInfo(info);
}

int main(int argc, char **argv)
{
    size_t i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_add_data_func(cases[i].path, &cases[i], test_case);
    }
    g_test_add_func("/dbm/load/compat/cancel-without-bql",
                    test_cancel_without_bql);
    g_test_add_func("/dbm/load/compat/many-dropped", test_many_dropped);
    return g_test_run();
}
