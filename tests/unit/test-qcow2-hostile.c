/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hostile qcow2 images: QEMU 7.2's errors, no crash, the image untouched. */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qapi/error.h"
#include "qcow2-helpers.h"

/* Where a patch goes: relative to a structure found in the base image. */
typedef enum Base {
    HDR,            /* file offset 0 */
    BM_EXT,         /* the bitmaps extension's data */
    BM_DIR,         /* the first bitmap directory entry */
    BM_TABLE,       /* the first bitmap's table */
    L1,             /* the L1 table */
    L2,             /* the first L2 table */
    REFTABLE,       /* the refcount table */
} Base;

typedef struct Patch {
    Base base;
    int offset;
    int width;                  /* 1, 2, 4 or 8 bytes, big endian */
    uint64_t value;
} Patch;

typedef struct HostileCase {
    const char *name;
    Patch patch[2];
    /* QEMU 7.2's message for the failed open, or NULL if it opens. */
    const char *error;
} HostileCase;

/*
 * The messages are what qemu-io of QEMU 7.2 prints for the same images
 * (where minivmm is stricter than QEMU, the comment says so).
 */
static const HostileCase cases[] = {
    { "magic", { { HDR, 0, 4, 0x12345678 } },
      "Image is not in qcow2 format" },
    { "version-4", { { HDR, 4, 4, 4 } }, "Unsupported qcow2 version 4" },
    { "version-1", { { HDR, 4, 4, 1 } }, "Unsupported qcow2 version 1" },
    { "cluster-bits-8", { { HDR, 20, 4, 8 } },
      "Unsupported cluster size: 2^8" },
    { "cluster-bits-22", { { HDR, 20, 4, 22 } },
      "Unsupported cluster size: 2^22" },
    { "header-short", { { HDR, 100, 4, 96 } }, "qcow2 header too short" },
    { "header-long", { { HDR, 100, 4, 0x20000 } },
      "qcow2 header exceeds cluster size" },
    { "backing-name-long", { { HDR, 8, 8, 0x200 }, { HDR, 16, 4, 1024 } },
      "Header extension too large" },
    { "backing-name-1024", { { HDR, 8, 8, 0x400 }, { HDR, 16, 4, 1024 } },
      "Backing file name too long" },
    { "backing-outside", { { HDR, 8, 8, 0x10000 }, { HDR, 16, 4, 10 } },
      "Backing file name too long" },
    { "incompatible-unknown", { { HDR, 72, 8, 1ull << 20 } },
      "Unsupported qcow2 feature(s): Unknown incompatible feature: 100000" },
    { "external-data", { { HDR, 72, 8, 1 << 2 } },
      "'data-file' is required for this image" },
    { "corrupt", { { HDR, 72, 8, 1 << 1 } },
      "qcow2: Image is corrupt; cannot be opened read/write" },
    { "refcount-order", { { HDR, 96, 4, 7 } },
      "Reference count entry width too large; may not exceed 64 bits" },
    { "crypt-3", { { HDR, 32, 4, 3 } }, "Unsupported encryption method 3" },
    { "reftable-huge", { { HDR, 56, 4, 0x100000 } },
      "Reference count table too large" },
    { "reftable-none", { { HDR, 56, 4, 0 } },
      "Image does not contain a reference count table" },
    { "reftable-unaligned", { { HDR, 48, 8, 0x12345 } },
      "Reference count table offset invalid" },
    { "snapshots-many", { { HDR, 60, 4, 70000 } },
      "Snapshot table too large" },
    { "snapshots-unaligned", { { HDR, 60, 4, 1 }, { HDR, 64, 8, 0x123 } },
      "Snapshot table offset invalid" },
    { "l1-huge", { { HDR, 36, 4, 0x1000000 } }, "Active L1 table too large" },
    { "l1-small", { { HDR, 36, 4, 0 } }, "L1 table is too small" },
    { "l1-unaligned", { { HDR, 40, 8, 0x30001 } },
      "Active L1 table offset invalid" },
    { "size-huge", { { HDR, 24, 8, 1ull << 62 } }, "Image is too big" },
    { "bitmaps-none", { { BM_EXT, 0, 4, 0 } },
      "found bitmaps extension with zero bitmaps" },
    { "bitmaps-many", { { BM_EXT, 0, 4, 70000 } },
      "bitmaps_ext: Image has 70000 bitmaps, exceeding the QEMU supported "
      "maximum of 65535" },
    { "bitmaps-reserved", { { BM_EXT, 4, 4, 1 } },
      "bitmaps_ext: Reserved field is not zero" },
    { "bitmap-dir-huge", { { BM_EXT, 8, 8, 0x10000000 } },
      "bitmaps_ext: bitmap directory size (268435456) exceeds the maximum "
      "supported size (67107840)" },
    { "bitmap-dir-empty", { { BM_EXT, 8, 8, 0 } },
      "Requested bitmap directory size is zero" },
    { "bitmap-dir-unaligned", { { BM_EXT, 16, 8, 0x1d0001 } },
      "bitmaps_ext: invalid bitmap directory offset" },
    /* QEMU reads zeroes past the end; minivmm refuses to */
    { "bitmap-dir-outside", { { BM_EXT, 16, 8, 0x1000000000ull } },
      "bitmaps_ext: invalid bitmap directory offset" },
    { "bitmap-dir-short", { { BM_EXT, 8, 8, 16 } },
      "Broken bitmap directory" },
    { "bitmap-dir-long", { { BM_EXT, 8, 8, 40 } },
      "Broken bitmap directory" },
    { "bitmaps-missing", { { BM_EXT, 0, 4, 2 } },
      "Less bitmaps found than specified in header extension" },
    { "bitmap-table-unaligned", { { BM_DIR, 0, 8, 0x40200 } },
      "Bitmap 'b1' doesn't satisfy the constraints" },
    { "bitmap-table-empty", { { BM_DIR, 8, 4, 0 } },
      "Bitmap 'b1' doesn't satisfy the constraints" },
    /* QEMU reads zeroes past the end; minivmm refuses to */
    { "bitmap-table-outside", { { BM_DIR, 0, 8, 0x1000000000ull } },
      "Bitmap 'b1' doesn't satisfy the constraints" },
    { "bitmap-table-size", { { BM_DIR, 8, 4, 2 } },
      "Could not read bitmap 'b1' from image: Invalid argument" },
    { "bitmap-flags", { { BM_DIR, 12, 4, 0x12 } },
      "Bitmap 'b1' doesn't satisfy the constraints" },
    { "bitmap-type", { { BM_DIR, 16, 1, 2 } },
      "Bitmap 'b1' doesn't satisfy the constraints" },
    { "bitmap-granularity-8", { { BM_DIR, 17, 1, 8 } },
      "Bitmap 'b1' doesn't satisfy the constraints" },
    { "bitmap-granularity-32", { { BM_DIR, 17, 1, 32 } },
      "Bitmap 'b1' doesn't satisfy the constraints" },
    { "bitmap-name-empty", { { BM_DIR, 18, 2, 0 } },
      "Broken bitmap directory" },
    { "bitmap-name-long", { { BM_DIR, 18, 2, 1024 } },
      "Broken bitmap directory" },
    { "bitmap-extra", { { BM_DIR, 20, 4, 8 } }, "Broken bitmap directory" },
    /* found by the fuzzer; QEMU would load the name cut at the NUL */
    { "bitmap-name-nul", { { BM_DIR, 24, 1, 0 } },
      "Broken bitmap directory" },
    { "bitmap-entry-reserved", { { BM_TABLE, 0, 8, 0x50002 } },
      "Could not read bitmap_table table from image for bitmap 'b1': "
      "Invalid argument" },
    { "bitmap-entry-unaligned", { { BM_TABLE, 0, 8, 0x50200 } },
      "Could not read bitmap_table table from image for bitmap 'b1': "
      "Invalid argument" },
    { "bitmap-entry-high", { { BM_TABLE, 0, 8, (1ull << 60) | 0x50000 } },
      "Could not read bitmap_table table from image for bitmap 'b1': "
      "Invalid argument" },
    /*
     * Dirty images are repaired, unless a reference is wrong (QEMU
     * repairs the first one by dropping the reference; minivmm refuses).
     */
    { "dirty-data-outside", { { HDR, 72, 8, 1 },
                              { L2, 8, 8, 0x8000100000000000ull } },
      "Could not repair dirty image: Reference to offset "
      "0x100000000000 past the end of the image" },
    { "dirty-l2-unaligned", { { HDR, 72, 8, 1 },
                              { L1, 0, 8, 0x8000000000030200ull } },
      "Could not repair dirty image: L2 table offset 0x30200 "
      "unaligned" },
    { "dirty", { { HDR, 72, 8, 1 } }, NULL },
    /* These open in QEMU too; I/O must not crash. */
    { "bitmap-in-use", { { BM_DIR, 12, 4, 3 } }, NULL },
    { "bitmap-entry-ones", { { BM_TABLE, 0, 8, 1 } }, NULL },
    { "bitmap-entry-outside", { { BM_TABLE, 0, 8, 0x100000000ull } }, NULL },
    { "l1-outside", { { HDR, 40, 8, 0x100000000000ull } }, NULL },
    { "reftable-outside", { { HDR, 48, 8, 0x100000000ull } }, NULL },
    { "l2-unaligned", { { L1, 0, 8, 0x8000000000030200ull } }, NULL },
    { "l2-on-header", { { L1, 0, 8, 0 | (1ull << 63) } }, NULL },
    { "l2-on-reftable", { { L1, 8, 8, 0x8000000000010000ull } }, NULL },
    { "data-on-l1", { { L2, 0, 8, 0x8000000000030000ull } }, NULL },
    { "data-outside", { { L2, 8, 8, 0x8000100000000000ull } }, NULL },
    { "data-compressed", { { L2, 16, 8, 0x4000000000001234ull } }, NULL },
    { "refblock-on-l1", { { REFTABLE, 0, 8, 0x30000 } }, NULL },
    { "refblock-unaligned", { { REFTABLE, 0, 8, 0x20010 } }, NULL },
};

static char *base_image;

/* File offset of a structure of the base image. */
static uint64_t base_offset(const uint8_t *img, size_t len, Base base)
{
    uint32_t hdr_len = ldl_be_p(img + 100);
    uint64_t pos = hdr_len, dir;

    switch (base) {
    case HDR:
        return 0;
    case L1:
        return ldq_be_p(img + 40);
    case L2:
        return ldq_be_p(img + ldq_be_p(img + 40)) & 0x00fffffffffffe00ull;
    case REFTABLE:
        return ldq_be_p(img + 48);
    default:
        break;
    }
    while (ldl_be_p(img + pos) != 0x23852875) {
        g_assert(ldl_be_p(img + pos) != 0);
        pos += 8 + ROUND_UP(ldl_be_p(img + pos + 4), 8);
    }
    if (base == BM_EXT) {
        return pos + 8;
    }
    dir = ldq_be_p(img + pos + 8 + 16);
    if (base == BM_DIR) {
        return dir;
    }
    g_assert(dir + 8 <= len);
    return ldq_be_p(img + dir);
}

static void test_hostile(gconstpointer opaque)
{
    const HostileCase *c = opaque;
    g_autofree char *path = g_strdup_printf("%s/%s.qcow2", qcow2_test_dir,
                                            c->name);
    g_autoptr(GBytes) orig = file_contents(base_image);
    g_autoptr(GBytes) before = NULL, after = NULL;
    gsize len;
    uint8_t *img = g_bytes_unref_to_data(g_bytes_ref(orig), &len);
    g_autofree uint8_t *buf = g_malloc(1 * MiB);
    BlockDriverState *bs;
    Error *err = NULL;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(c->patch) && c->patch[i].width; i++) {
        const Patch *p = &c->patch[i];
        uint64_t at = base_offset(img, len, p->base) + p->offset;

        g_assert(at + p->width <= len);
        switch (p->width) {
        case 1:
            img[at] = p->value;
            break;
        case 2:
            stw_be_p(img + at, p->value);
            break;
        case 4:
            stl_be_p(img + at, p->value);
            break;
        default:
            stq_be_p(img + at, p->value);
            break;
        }
    }
    g_assert(g_file_set_contents(path, (char *)img, len, NULL));
    g_free(img);

    before = file_contents(path);
    bs = qcow2_open_image(path, BDRV_O_RDWR, &err);
    if (c->error) {
        g_assert_null(bs);
        g_assert_nonnull(err);
        g_assert_cmpstr(error_get_pretty(err), ==, c->error);
        error_free(err);
        after = file_contents(path);
        g_assert(g_bytes_equal(before, after));
        return;
    }

    /* It opens: reads and writes fail or succeed, but do not crash. */
    g_assert_nonnull(bs);
    {
        BdrvChild *child = bdrv_root_attach_child(bs, "root", NULL, 0,
                                                  NULL, &error_abort);

        bdrv_pread(child, 0, 1 * MiB, buf, 0);
        memset(buf, 0xa5, 1 * MiB);
        bdrv_pwrite(child, 0, 1 * MiB, buf, 0);
        bdrv_pwrite(child, 32 * MiB + 512, 1000, buf, 0);
        bdrv_pwrite_zeroes(child, 0, 128 * KiB, BDRV_REQ_MAY_UNMAP);
        bdrv_pread(child, 0, 1 * MiB, buf, 0);
        bdrv_root_unref_child(child);
    }
    bdrv_unref(bs);
}

/*
 * A dirty image whose bitmaps cannot load (two named alike): the open,
 * and an activation after an inactive open, fail before the repair
 * writes anything. Found by the fuzzer: the repair ran first.
 */
static void test_dirty_bitmap_name_twice(void)
{
    g_autofree char *path = qcow2_test_path("name-twice.qcow2");
    g_autoptr(GBytes) before = NULL, after = NULL;
    g_autofree uint8_t *img = NULL;
    BlockDriverState *bs;
    Error *err = NULL;
    gsize len, at;

    g_free(qemu_img("create -f qcow2 '%s' 64M", path));
    g_free(qemu_img("bitmap --add '%s' b0", path));
    g_free(qemu_img("bitmap --add '%s' b1", path));
    before = file_contents(path);
    img = g_bytes_unref_to_data(g_steal_pointer(&before), &len);
    /* the directory's second name, "b1", becomes "b0" */
    for (at = len - 2; at > 0 && memcmp(img + at, "b1", 2); at--) {
        continue;
    }
    g_assert_cmpuint(at, >, 0);
    img[at + 1] = '0';
    stq_be_p(img + 72, ldq_be_p(img + 72) | 1);     /* dirty */
    g_assert(g_file_set_contents(path, (char *)img, len, NULL));

    before = file_contents(path);
    bs = qcow2_open_image(path, BDRV_O_RDWR, &err);
    g_assert_null(bs);
    g_assert_cmpstr(error_get_pretty(err), ==, "Bitmap already exists: b0");
    g_clear_pointer(&err, error_free);
    after = file_contents(path);
    g_assert(g_bytes_equal(before, after));
    g_clear_pointer(&after, g_bytes_unref);

    bs = qcow2_open_image(path, BDRV_O_RDWR | BDRV_O_INACTIVE, &error_abort);
    g_assert_cmpint(bdrv_activate(bs, &err), <, 0);
    g_assert_nonnull(strstr(error_get_pretty(err),
                            "Bitmap already exists: b0"));
    error_free(err);
    bdrv_unref(bs);
    after = file_contents(path);
    g_assert(g_bytes_equal(before, after));
}

int main(int argc, char **argv)
{
    size_t i;

    qcow2_test_init(&argc, &argv, "test-qcow2-hostile");
    base_image = qcow2_test_path("base.qcow2");
    g_free(qemu_img("create -f qcow2 '%s' 64M", base_image));
    g_free(qemu_img("bitmap --add '%s' b1", base_image));
    g_free(qemu_io("-f qcow2 -c 'write -P 0x11 0 192k' '%s'", base_image));
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        g_autofree char *name = g_strdup_printf("/qcow2/hostile/%s",
                                                cases[i].name);

        g_test_add_data_func(name, &cases[i], test_hostile);
    }
    g_test_add_func("/qcow2/hostile/dirty-bitmap-name-twice",
                    test_dirty_bitmap_name_twice);
    i = qcow2_test_run();
    g_free(base_image);
    return i;
}
