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

#define EOS         "\x01"
#define F_START_N   "\x1c"      /* START | DEVICE_NAME | BITMAP_NAME */
#define F_BITS_N    "\x4c"      /* BITS | DEVICE_NAME | BITMAP_NAME */
#define F_ZEROES_B  "\x46"      /* BITS | ZEROES | BITMAP_NAME */
#define F_BITS_B    "\x44"      /* BITS | BITMAP_NAME */
#define F_COMPL_B   "\x24"      /* COMPLETE | BITMAP_NAME */
#define DRIVE0      "\x06" "drive0"
#define BM0         "\x03" "bm0"
#define BM1         "\x03" "bm1"
#define GRAN_64K    "\x00\x01\x00\x00"
#define SEC(x)      "\x00\x00\x00\x00\x00" x    /* be64 sector, 3 low bytes */
#define NR(x)       "\x00" x                    /* be32 count, 3 low bytes */

typedef struct LoadCase {
    const char *path;
    const char *start;          /* START section payload */
    size_t start_len;
    const char *end;            /* END section payload, or NULL */
    size_t end_len;
    bool mapping;               /* drive0 as "d0": bm0 -> "b0" */
    bool fails;                 /* qemu_loadvm_state() must fail */
    const char *stderr_pattern;
    const char *bitmaps;        /* named bitmaps left on drive0, sorted */
} LoadCase;

#define PAYLOAD(field, s) .field = s, .field##_len = sizeof(s) - 1

static const LoadCase cases[] = {
    {
        .path = "/dbm/load/compat/good",
        PAYLOAD(start, F_START_N DRIVE0 BM0 GRAN_64K "\x01" EOS),
        PAYLOAD(end, F_ZEROES_B BM0 SEC("\x00\x00\x00") NR("\x10\x00\x00")
                "\x20" EOS),
        .bitmaps = "bm0,existing",
    }, {
        .path = "/dbm/load/compat/unknown-node",
        PAYLOAD(start, F_START_N "\x0a" "nosuchnode" BM0 GRAN_64K "\x01"
                EOS),
        PAYLOAD(end, "\x20" EOS),
        .stderr_pattern = "*Cannot find device='nosuchnode' nor "
                          "node-name='nosuchnode'*",
        .bitmaps = "existing",
    }, {
        .path = "/dbm/load/compat/name-exists",
        PAYLOAD(start, F_START_N DRIVE0 "\x08" "existing" GRAN_64K "\x00"
                EOS),
        .fails = true,
        .stderr_pattern = "*Bitmap with the same name ('existing') already "
                          "exists on destination*",
    }, {
        .path = "/dbm/load/compat/reserved-start-flags",
        PAYLOAD(start, F_START_N DRIVE0 BM0 GRAN_64K "\x09" EOS),
        .fails = true,
        .stderr_pattern = "*Unknown flags in migrated dirty bitmap header: "
                          "9*",
    }, {
        .path = "/dbm/load/compat/huge-buffer",
        PAYLOAD(start, F_START_N DRIVE0 BM0 GRAN_64K "\x01" EOS),
        PAYLOAD(end, F_BITS_B BM0 SEC("\x00\x00\x00") NR("\x10\x00\x00")
                "\x00\x00\x00\x00\x00\x00\x28\x01"),
        .fails = true,
        .stderr_pattern = "*Bitmap migration stream buffer allocation "
                          "request is too large*",
    }, {
        .path = "/dbm/load/compat/buffer-size-mismatch",
        PAYLOAD(start, F_START_N DRIVE0 BM0 GRAN_64K "\x01"
                F_START_N DRIVE0 BM1 GRAN_64K "\x00" EOS),
        /* 64 granules need 8 bytes (32 with padding), not 64 */
        PAYLOAD(end, F_BITS_B BM0 SEC("\x00\x00\x00") NR("\x00\x20\x00")
                "\x00\x00\x00\x00\x00\x00\x00\x40"
                "\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                "\x00\x00\x00\x00\x00\x00\x00\x00"
                "\x20" EOS),
        .stderr_pattern = "*Migrated bitmap granularity doesn't match the "
                          "destination bitmap 'bm0' granularity*",
        .bitmaps = "existing",
    }, {
        .path = "/dbm/load/compat/unknown-bitmap",
        PAYLOAD(start, F_START_N DRIVE0 BM0 GRAN_64K "\x01" EOS),
        PAYLOAD(end, F_ZEROES_B "\x06" "nosuch" SEC("\x00\x00\x00")
                NR("\x00\x20\x00") "\x20" EOS),
        .stderr_pattern = "*Error: unknown dirty bitmap 'nosuch' for block "
                          "device 'drive0'*",
        .bitmaps = "existing",
    }, {
        .path = "/dbm/load/compat/mapping-unknown-node-alias",
        PAYLOAD(start, F_START_N DRIVE0 BM0 GRAN_64K "\x01" EOS),
        .mapping = true,
        .stderr_pattern = "*Error: Unknown node alias 'drive0'*",
        .bitmaps = "existing",
    }, {
        .path = "/dbm/load/compat/mapping-unknown-bitmap-alias",
        PAYLOAD(start, F_START_N "\x02" "d0" BM0 GRAN_64K "\x01" EOS),
        .mapping = true,
        .stderr_pattern = "*Error: Unknown bitmap alias 'bm0' on node "
                          "'drive0' (alias 'd0')*",
        .bitmaps = "existing",
    }, {
        .path = "/dbm/load/compat/mapping-good",
        PAYLOAD(start, F_START_N "\x02" "d0" "\x02" "b0" GRAN_64K "\x00"
                EOS),
        PAYLOAD(end, "\x20" EOS),
        .mapping = true,
        .bitmaps = "bm0,existing",
    }, {
        .path = "/dbm/load/compat/empty-node-alias",
        PAYLOAD(start, F_START_N "\x00" BM0 GRAN_64K "\x01" EOS),
        .fails = true,
        .stderr_pattern = "*Unable to read node alias string*",
    }, {
        /* The footer's 0x7e reads as chunk flags with an empty name. */
        .path = "/dbm/load/compat/missing-eos",
        PAYLOAD(start, F_START_N DRIVE0 BM0 GRAN_64K "\x01"),
        .fails = true,
        .stderr_pattern = "*Unable to read node alias string*",
    }, {
        .path = "/dbm/load/strict/granularity-1000",
        PAYLOAD(start, F_START_N DRIVE0 BM0 "\x00\x00\x03\xe8" "\x01" EOS),
        PAYLOAD(end, F_COMPL_B BM0 EOS),
        .stderr_pattern = "*'bm0'*granularity 1000*",
        .bitmaps = "existing",
    }, {
        .path = "/dbm/load/strict/misaligned-chunk",
        PAYLOAD(start, F_START_N DRIVE0 BM0 GRAN_64K "\x01"
                F_START_N DRIVE0 BM1 GRAN_64K "\x01" EOS),
        PAYLOAD(end, F_ZEROES_B BM0 SEC("\x00\x00\x80") NR("\x00\x20\x00")
                "\x20" EOS),
        .stderr_pattern = "*'bm0'*not aligned*",
        .bitmaps = "existing",
    }, {
        .path = "/dbm/load/strict/chunk-past-end",
        PAYLOAD(start, F_START_N DRIVE0 BM0 GRAN_64K "\x01" EOS),
        PAYLOAD(end, F_ZEROES_B BM0 SEC("\x20\x00\x00") NR("\x00\x20\x00")
                "\x20" EOS),
        .stderr_pattern = "*'bm0'*beyond*",
        .bitmaps = "existing",
    }, {
        .path = "/dbm/load/strict/bits-into-existing",
        PAYLOAD(start, F_BITS_N DRIVE0 "\x08" "existing"
                SEC("\x00\x00\x00") NR("\x00\x20\x00")
                "\x00\x00\x00\x00\x00\x00\x00\x20"
                "\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00"
                "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                "\x00\x00\x00\x00" EOS),
        .stderr_pattern = "*'existing'*not started*",
        .bitmaps = "existing",
    }, {
        .path = "/dbm/load/strict/unknown-flag-bits",
        PAYLOAD(start, "\x81\x01"),
        .fails = true,
        .stderr_pattern = "*Unknown flags in migrated dirty bitmap chunk*",
    }, {
        .path = "/dbm/load/strict/nul-in-name",
        PAYLOAD(start, F_START_N DRIVE0 "\x03" "b\x00z" GRAN_64K "\x01"
                EOS),
        .fails = true,
        .stderr_pattern = "*Unable to read bitmap alias string*",
    }, {
        .path = "/dbm/load/strict/node-change-needs-bitmap-name",
        PAYLOAD(start, F_START_N DRIVE0 BM0 GRAN_64K "\x01" EOS),
        PAYLOAD(end, "\x28" "\x06" "drive0" EOS),
        .stderr_pattern = "*block device name is not set*",
        .bitmaps = "existing",
    },
};

static const uint8_t stream_head[] = {
    0x51, 0x45, 0x56, 0x4d, 0x00, 0x00, 0x00, 0x03,
    QEMU_VM_CONFIGURATION, 0x00, 0x00, 0x00, 0x04, 'n', 'o', 'n', 'e',
};

static void append_be32(GByteArray *a, uint32_t v)
{
    uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v };

    g_byte_array_append(a, b, 4);
}

/* Header, configuration, START (id 3) [, END], EOF. */
static GByteArray *make_stream(const LoadCase *tc)
{
    static const uint8_t idstr[] = "\x0c" "dirty-bitmap";
    GByteArray *s = g_byte_array_new();
    uint8_t byte;

    g_byte_array_append(s, stream_head, sizeof(stream_head));
    byte = QEMU_VM_SECTION_START;
    g_byte_array_append(s, &byte, 1);
    append_be32(s, 3);
    g_byte_array_append(s, idstr, sizeof(idstr) - 1);
    append_be32(s, 0);
    append_be32(s, 1);
    g_byte_array_append(s, (const uint8_t *)tc->start, tc->start_len);
    byte = QEMU_VM_SECTION_FOOTER;
    g_byte_array_append(s, &byte, 1);
    append_be32(s, 3);
    if (tc->end) {
        byte = QEMU_VM_SECTION_END;
        g_byte_array_append(s, &byte, 1);
        append_be32(s, 3);
        g_byte_array_append(s, (const uint8_t *)tc->end, tc->end_len);
        byte = QEMU_VM_SECTION_FOOTER;
        g_byte_array_append(s, &byte, 1);
        append_be32(s, 3);
    }
    byte = QEMU_VM_EOF;
    g_byte_array_append(s, &byte, 1);
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
    ret = qemu_loadvm_state(f);
    qemu_fclose(f);

    if (tc->fails) {
        g_assert_cmpint(ret, <, 0);
        /* What the incoming side does when the load fails. */
        dirty_bitmap_mig_cancel_incoming();
    } else {
        g_assert_cmpint(ret, ==, 0);
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

int main(int argc, char **argv)
{
    size_t i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_add_data_func(cases[i].path, &cases[i], test_case);
    }
    return g_test_run();
}
