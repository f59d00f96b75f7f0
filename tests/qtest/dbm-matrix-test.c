/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Dirty-bitmap migration matrix: modes, bitmap counts, sizes, flags. */

/*
 * Each case migrates the bitmaps of drive "drive0" (node "disk0", a
 * null-co disk) between two VMM processes, in precopy or postcopy,
 * with 1 or 15 bitmaps whose granularities run from 512 B to 1 GiB,
 * half of them disabled, some made persistent through the
 * block-bitmap-mapping transform on the source or on the destination
 * (null-co refuses persistent=true in block-dirty-bitmap-add, as in
 * QEMU's test 300).  Expected contents come from an oracle fed with the
 * same writes; both sides must report its sha256 and count.  The
 * migration is held in its active phase (downtime-limit 0) to check the
 * busy flags on both sides, then released.
 */

#include "qemu/osdep.h"
#include "dbm-common.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (1024 * MIB)
/* The largest request qemu-io accepts, 512-aligned. */
#define IO_MAX 2147483136ULL

typedef enum PersistSide {
    PERSIST_NONE,       /* no mapping at all */
    PERSIST_SOURCE,     /* identity mapping with transforms on the source */
    PERSIST_DEST,       /* identity mapping with transforms on the dest */
} PersistSide;

typedef struct MatrixCase {
    const char *path;
    bool postcopy;
    uint64_t disk_size;
    int nbitmaps;
    int gran_shift;     /* bitmap i: granularity 1 << (gran_shift + i) */
    bool all_disabled;  /* else: odd bitmaps are disabled */
    PersistSide persist;
    uint64_t dense;     /* bytes of the dense run; 0: MIN(size / 7, 4G) */
} MatrixCase;

typedef struct MatrixBitmap {
    char name[16];
    bool enabled;
    bool persistent;
    DBMOracle *oracle;
} MatrixBitmap;

static const MatrixCase cases[] = {
    { "/dbm/matrix/precopy/1/512-odd-size", false, MIB + 512, 1, 9,
      false, PERSIST_NONE },
    { "/dbm/matrix/precopy/1/1G-gran-disabled", false, MIB + 512, 1, 30,
      true, PERSIST_SOURCE },
    { "/dbm/matrix/precopy/15/512-to-8M", false, GIB + 512, 15, 9,
      false, PERSIST_SOURCE },
    { "/dbm/matrix/precopy/15/64K-to-1G-persist-dst", false, 3 * GIB, 15,
      16, false, PERSIST_DEST },
    { "/dbm/matrix/postcopy/1/512-odd-size", true, MIB + 512, 1, 9,
      false, PERSIST_DEST },
    { "/dbm/matrix/postcopy/1/4K-disabled", true, 64 * MIB, 1, 12,
      true, PERSIST_NONE },
    { "/dbm/matrix/postcopy/15/512-to-8M", true, GIB + 512, 15, 9,
      false, PERSIST_DEST },
    { "/dbm/matrix/postcopy/15/64K-to-1G", true, 3 * GIB + 512, 15, 16,
      false, PERSIST_SOURCE },
    /* Run (alone) with -m slow: meson suite 'slow'. */
    { "/dbm/matrix/slow/precopy/15/256G-sparse", false, 256 * GIB, 15, 16,
      false, PERSIST_NONE },
    { "/dbm/matrix/slow/postcopy/15/256G-sparse", true, 256 * GIB, 15, 16,
      false, PERSIST_DEST },
    { "/dbm/matrix/slow/precopy/1/256G-dense-64K", false, 256 * GIB, 1, 16,
      false, PERSIST_NONE, 200 * GIB },
    { "/dbm/matrix/slow/postcopy/1/256G-dense-512", true, 256 * GIB, 1, 9,
      false, PERSIST_SOURCE, 64 * GIB },
};

/* Write on the VM and on every bitmap's oracle. */
static void do_write(QTestState *s, MatrixBitmap *bms, int n, uint64_t off,
                     uint64_t len, bool zero)
{
    uint64_t done;
    int i;

    for (done = 0; done < len; done += IO_MAX) {
        dbm_write(s, "drive0", off + done, MIN(IO_MAX, len - done), zero);
    }
    for (i = 0; i < n; i++) {
        dbm_oracle_write(bms[i].oracle, off, len, false);
    }
}

/* Writes that hit the first and last byte, chunk edges and a dense run. */
static void write_pattern(QTestState *s, MatrixBitmap *bms, int n,
                          uint64_t size, uint64_t dense, int phase)
{
    if (phase == 0) {
        do_write(s, bms, n, 0, 1, false);
        do_write(s, bms, n, size - 1, 1, false);
        do_write(s, bms, n, size / 2 - 700, 1400, false);
        /* Dense: a long zero write (no data buffer needed). */
        if (dense) {
            do_write(s, bms, n, 1536, dense, true);
        } else {
            do_write(s, bms, n, QEMU_ALIGN_DOWN(size / 3, 512) + 512,
                     MIN(size / 7, 4 * GIB), true);
        }
    } else {
        do_write(s, bms, n, size / 5, 4096, false);
        do_write(s, bms, n, size - 65536 - 3, 65536, false);
    }
}

/* An identity block-bitmap-mapping, with the transforms if @transforms */
static char *identity_mapping(MatrixBitmap *bms, int n, bool transforms)
{
    g_autoptr(GString) m = g_string_new("\"block-bitmap-mapping\": "
                                        "[{\"node-name\": \"disk0\", "
                                        "\"alias\": \"drive0\", "
                                        "\"bitmaps\": [");
    int i;

    for (i = 0; i < n; i++) {
        g_string_append_printf(m, "%s{\"name\": \"%s\", \"alias\": \"%s\"",
                               i ? ", " : "", bms[i].name, bms[i].name);
        if (transforms) {
            g_string_append_printf(m, ", \"transform\": {\"persistent\": "
                                   "%s}", bms[i].persistent ? "true" :
                                   "false");
        }
        g_string_append(m, "}");
    }
    g_string_append(m, "]}]");
    return g_string_free(g_steal_pointer(&m), false);
}

static void check_side(QTestState *s, MatrixBitmap *bms, int n, bool busy,
                       bool persistent_flags)
{
    int i;

    for (i = 0; i < n; i++) {
        dbm_assert_bitmap(s, "drive0", "disk0", bms[i].name, bms[i].enabled,
                          busy, persistent_flags && bms[i].persistent,
                          bms[i].oracle->granularity);
        dbm_assert_oracle(s, "drive0", bms[i].name, bms[i].oracle);
    }
}

static void test_matrix(const void *opaque)
{
    const MatrixCase *c = opaque;
    g_autofree char *drive = g_strdup_printf("-drive if=none,id=drive0,"
                                             "format=null-co,size=%" PRIu64
                                             ",node-name=disk0",
                                             c->disk_size);
    QTestState *src = dbm_vm_start("%s", drive);
    QTestState *dst = dbm_vm_start_incoming("%s", drive);
    MatrixBitmap *bms = g_new0(MatrixBitmap, c->nbitmaps);
    g_autofree char *st = NULL;
    int i;

    for (i = 0; i < c->nbitmaps; i++) {
        uint64_t gran = 1ULL << MIN(c->gran_shift + i, 30);

        snprintf(bms[i].name, sizeof(bms[i].name), "bm%02d", i);
        bms[i].enabled = !c->all_disabled && !(i & 1);
        bms[i].persistent = c->persist != PERSIST_NONE && i % 3 == 0;
        bms[i].oracle = dbm_oracle_new(c->disk_size, gran, true);
        mig_bitmap_add(src, "drive0", bms[i].name, gran, false);
    }
    write_pattern(src, bms, c->nbitmaps, c->disk_size, c->dense, 0);
    for (i = 0; i < c->nbitmaps; i++) {
        if (!bms[i].enabled) {
            qtest_qmp_assert_success(src,
                "{\"execute\": \"block-dirty-bitmap-disable\", "
                "\"arguments\": {\"node\": \"drive0\", \"name\": \"%s\"}}",
                bms[i].name);
        }
        bms[i].oracle->enabled = bms[i].enabled;
    }
    write_pattern(src, bms, c->nbitmaps, c->disk_size, c->dense, 1);
    check_side(src, bms, c->nbitmaps, false, false);

    mig_set_caps(src, "events,dirty-bitmaps");
    mig_set_caps(dst, "events,dirty-bitmaps");
    if (c->persist != PERSIST_NONE) {
        g_autofree char *map = identity_mapping(bms, c->nbitmaps, true);
        g_autofree char *plain = identity_mapping(bms, c->nbitmaps, false);

        mig_set_params(c->persist == PERSIST_SOURCE ? src : dst, map);
        mig_set_params(c->persist == PERSIST_SOURCE ? dst : src, plain);
    }
    /* Hold the migration in 'active': bitmaps are pending, limit is 0. */
    mig_set_params(src, "\"downtime-limit\": 0");

    mig_migrate(src, dst);
    st = mig_wait_status(src, "active");
    g_clear_pointer(&st, g_free);
    for (i = 0; i < c->nbitmaps; i++) {
        dbm_assert_bitmap(src, "drive0", "disk0", bms[i].name,
                          bms[i].enabled, true, false,
                          bms[i].oracle->granularity);
    }
    dbm_assert_busy_remove(src, "drive0", bms[0].name);
    /*
     * The destination created the bitmaps at START: busy, and not
     * recording until its VM starts (the successor is still disabled).
     */
    for (i = 0; i < c->nbitmaps; i++) {
        dbm_wait_bitmap(dst, "disk0", bms[i].name);
        dbm_assert_bitmap(dst, "drive0", "disk0", bms[i].name,
                          false, true, bms[i].persistent,
                          bms[i].oracle->granularity);
    }
    dbm_assert_busy_remove(dst, "drive0", bms[0].name);

    if (c->postcopy) {
        qtest_qmp_assert_success(src,
            "{\"execute\": \"migrate-start-postcopy\"}");
    } else {
        mig_set_params(src, "\"downtime-limit\": 2000000");
    }
    st = mig_wait_status(src, "completed");
    g_clear_pointer(&st, g_free);
    st = mig_wait_status(dst, "completed");
    g_clear_pointer(&st, g_free);
    qtest_qmp_eventwait(dst, "RESUME");

    check_side(dst, bms, c->nbitmaps, false, true);
    check_side(src, bms, c->nbitmaps, false, false);
    for (i = 0; i < c->nbitmaps; i++) {
        g_autofree char *a = mig_bitmap_sha256(src, "drive0", bms[i].name);
        g_autofree char *b = mig_bitmap_sha256(dst, "drive0", bms[i].name);

        g_assert_cmpstr(a, ==, b);
    }

    /* The destination goes on recording in its enabled bitmaps only. */
    do_write(dst, bms, c->nbitmaps, c->disk_size / 4 + 1, 3, false);
    do_write(dst, bms, c->nbitmaps, c->disk_size - 512, 512, true);
    check_side(dst, bms, c->nbitmaps, false, true);

    dbm_assert_log_lacks(src, "itmap");
    dbm_assert_log_lacks(dst, "itmap");
    qtest_quit(src);
    qtest_quit(dst);
    for (i = 0; i < c->nbitmaps; i++) {
        dbm_oracle_free(bms[i].oracle);
    }
    g_free(bms);
}

/* The oracle itself must notice a single wrong bit (planted mismatch). */
static void test_oracle_self_check(void)
{
    DBMOracle *o = dbm_oracle_new(GIB, 65536, true);
    g_autofree char *empty = dbm_oracle_sha256(o);
    g_autofree char *one = NULL;

    /* Reference values from interface-contract.md section 4.4 */
    g_assert_cmpstr(empty, ==, "e5a00aa9991ac8a5ee3109844d84a55583bd2057"
                    "2ad3ffcd42792f3c36b183ad");
    dbm_oracle_write(o, 0, 65536, false);
    one = dbm_oracle_sha256(o);
    g_assert_cmpstr(one, ==, "d5990a0fe875a0aa109edb831f0e95b8f0a3a46b9b78"
                    "daeaea9ce05c32c7201f");
    g_assert_cmpuint(dbm_oracle_count(o), ==, 65536);
    dbm_oracle_free(o);

    o = dbm_oracle_new(MIB, 512, true);
    dbm_oracle_write(o, 0, 129 * 512, false);
    g_free(one);
    one = dbm_oracle_sha256(o);
    g_assert_cmpstr(one, ==, "1d07fea6bb5eb14d0d6d3e1b0a1496b505628f2223"
                    "347b6c00e5ecd910ced904");
    dbm_oracle_free(o);

    /* A partial last granule counts whole, as in QEMU. */
    o = dbm_oracle_new(MIB + 512, 65536, true);
    dbm_oracle_write(o, MIB, 1, false);
    g_assert_cmpuint(dbm_oracle_count(o), ==, 65536);
    dbm_oracle_free(o);
}

int main(int argc, char **argv)
{
    size_t i;

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/dbm/matrix/oracle-self-check", test_oracle_self_check);
    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        if (!strstr(cases[i].path, "/slow/") == g_test_slow()) {
            continue;
        }
        g_test_add_data_func(cases[i].path, &cases[i], test_matrix);
    }
    return g_test_run();
}
