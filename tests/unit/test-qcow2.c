/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qcow2 guest I/O against a shadow buffer, checked with qemu-img. */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qapi/error.h"
#include "qcow2-helpers.h"

#define DISK_SIZE (8 * MiB)

/* A disk image and the bytes the guest must read back from it. */
typedef struct Shadow {
    BlockDriverState *bs;
    BdrvChild *child;           /* our handle for I/O on bs */
    uint8_t *data;              /* DISK_SIZE bytes */
    uint8_t *backing;           /* what unallocated clusters show, or NULL */
    int cluster_size;
    bool v3;
    GRand *rand;
} Shadow;

static const BdrvChildClass child_test = {
    .parent_is_bds = false,
};

static void shadow_open(Shadow *sh, const char *path, int cluster_size,
                        bool v3, const uint8_t *backing)
{
    BlockDriverState *bs = qcow2_open_image(path,
                                            BDRV_O_RDWR | BDRV_O_UNMAP,
                                            &error_abort);

    sh->bs = bs;
    sh->child = bdrv_root_attach_child(bs, "root", &child_test, 0, NULL,
                                       &error_abort);
    sh->data = g_malloc0(DISK_SIZE);
    if (backing) {
        memcpy(sh->data, backing, DISK_SIZE);
    }
    sh->backing = backing ? g_memdup(backing, DISK_SIZE) : NULL;
    sh->cluster_size = cluster_size;
    sh->v3 = v3;
    sh->rand = g_rand_new_with_seed(cluster_size ^ (v3 << 20));
}

static void shadow_close(Shadow *sh)
{
    bdrv_root_unref_child(sh->child);
    bdrv_unref(sh->bs);
    g_free(sh->data);
    g_free(sh->backing);
    g_rand_free(sh->rand);
}

static void shadow_write(Shadow *sh, int64_t off, int64_t len)
{
    uint8_t pattern = g_rand_int_range(sh->rand, 1, 256);
    g_autofree uint8_t *buf = g_malloc(len);

    memset(buf, pattern, len);
    g_assert_cmpint(bdrv_pwrite(sh->child, off, len, buf, 0), ==, 0);
    memcpy(sh->data + off, buf, len);
}

static void shadow_zero(Shadow *sh, int64_t off, int64_t len, bool unmap)
{
    g_assert_cmpint(bdrv_pwrite_zeroes(sh->child, off, len,
                                       unmap ? BDRV_REQ_MAY_UNMAP : 0),
                    ==, 0);
    memset(sh->data + off, 0, len);
}

static void shadow_discard(Shadow *sh, int64_t off, int64_t len)
{
    int64_t cs = sh->cluster_size;
    int64_t c = QEMU_ALIGN_UP(off, cs);

    g_assert_cmpint(bdrv_pdiscard(sh->child, off, len), ==, 0);
    /* Whole clusters only: zeroes, or backing data on v2 images. */
    for (; c + cs <= off + len; c += cs) {
        if (sh->backing && !sh->v3) {
            memcpy(sh->data + c, sh->backing + c, cs);
        } else {
            memset(sh->data + c, 0, cs);
        }
    }
}

static void shadow_verify(Shadow *sh)
{
    g_autofree uint8_t *buf = g_malloc(DISK_SIZE);

    g_assert_cmpint(bdrv_pread(sh->child, 0, DISK_SIZE, buf, 0), ==, 0);
    g_assert(memcmp(buf, sh->data, DISK_SIZE) == 0);
}

/* A random mix of writes, zero writes and discards. */
static void shadow_random_ops(Shadow *sh, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        int64_t off = g_rand_int_range(sh->rand, 0, DISK_SIZE);
        int64_t len = g_rand_int_range(sh->rand, 1, 3 * sh->cluster_size +
                                       2);

        len = MIN(len, DISK_SIZE - off);
        if (g_rand_boolean(sh->rand) && g_rand_boolean(sh->rand)) {
            /* whole-cluster aligned, so zero and discard take effect */
            off = QEMU_ALIGN_DOWN(off, sh->cluster_size);
            len = MIN(QEMU_ALIGN_UP(len, sh->cluster_size), DISK_SIZE - off);
        }
        switch (g_rand_int_range(sh->rand, 0, 4)) {
        case 0:
        case 1:
            shadow_write(sh, off, len);
            break;
        case 2:
            shadow_zero(sh, off, len, g_rand_boolean(sh->rand));
            break;
        default:
            shadow_discard(sh, off, len);
            break;
        }
    }
    shadow_verify(sh);
}

static void assert_guest_data(const char *path, const uint8_t *expect)
{
    g_autoptr(GBytes) got = image_guest_data(path, NULL);

    g_assert_cmpuint(g_bytes_get_size(got), ==, DISK_SIZE);
    g_assert(memcmp(g_bytes_get_data(got, NULL), expect, DISK_SIZE) == 0);
}

typedef struct IoCase {
    int cluster_size;
    int refcount_bits;
    bool v3;
    bool lazy;
} IoCase;

/*
 * Random I/O, a full write (which grows small refcount tables), more
 * random I/O; then the image must check clean and read back the same
 * with qemu-img, and open again with the same data.
 */
static void test_io(gconstpointer opaque)
{
    const IoCase *c = opaque;
    g_autofree char *name = g_strdup_printf("io-%d-%d-%d%s.qcow2",
                                            c->cluster_size,
                                            c->refcount_bits, c->v3,
                                            c->lazy ? "-lazy" : "");
    g_autofree char *path = qcow2_test_path(name);
    g_autofree char *out = NULL;
    g_autofree uint8_t *expect = NULL;
    Shadow sh;

    out = qemu_img("create -f qcow2 -o cluster_size=%d,refcount_bits=%d,"
                   "compat=%s,lazy_refcounts=%s '%s' %lld", c->cluster_size,
                   c->refcount_bits, c->v3 ? "1.1" : "0.10",
                   c->lazy ? "on" : "off", path, (long long)DISK_SIZE);
    shadow_open(&sh, path, c->cluster_size, c->v3, NULL);
    shadow_random_ops(&sh, 40);
    shadow_write(&sh, 0, DISK_SIZE);
    shadow_random_ops(&sh, 40);
    expect = g_memdup(sh.data, DISK_SIZE);
    shadow_close(&sh);

    qimg_assert_clean(path);
    assert_guest_data(path, expect);

    shadow_open(&sh, path, c->cluster_size, c->v3, NULL);
    memcpy(sh.data, expect, DISK_SIZE);
    shadow_verify(&sh);
    shadow_close(&sh);
}

/* Writes after an internal snapshot copy shared clusters and L2 tables. */
static void test_snapshot(void)
{
    g_autofree char *path = qcow2_test_path("snap.qcow2");
    g_autofree uint8_t *before = g_malloc(DISK_SIZE);
    g_autoptr(GBytes) snap = NULL;
    g_autofree char *out = NULL;
    Shadow sh;

    g_free(qemu_img("create -f qcow2 '%s' %lld", path,
                    (long long)DISK_SIZE));
    g_free(qemu_io("-f qcow2 -c 'write -P 0x11 0 3M' -c "
                   "'write -z 4M 1M' '%s'", path));
    out = qemu_img("snapshot -c s1 '%s'", path);

    shadow_open(&sh, path, 65536, true, NULL);
    memset(sh.data, 0x11, 3 * MiB);
    memcpy(before, sh.data, DISK_SIZE);
    shadow_write(&sh, 1000, 100);
    shadow_write(&sh, 2 * MiB, 70000);
    shadow_discard(&sh, 128 * KiB, 256 * KiB);
    shadow_zero(&sh, 1 * MiB, 64 * KiB, false);
    shadow_random_ops(&sh, 30);
    shadow_close(&sh);

    qimg_assert_clean(path);
    snap = image_guest_data(path, "s1");
    g_assert(memcmp(g_bytes_get_data(snap, NULL), before, DISK_SIZE) == 0);
}

/* Compressed clusters (qemu-img convert -c) read, and are replaced. */
static void test_compressed(gconstpointer opaque)
{
    int cluster_size = GPOINTER_TO_INT(opaque);
    g_autofree char *raw = g_strdup_printf("%s/src-%d.raw", qcow2_test_dir,
                                           cluster_size);
    g_autofree char *path = g_strdup_printf("%s/comp-%d.qcow2",
                                            qcow2_test_dir, cluster_size);
    g_autofree uint8_t *expect = NULL;
    g_autoptr(GBytes) src = NULL;
    Shadow sh;

    g_free(qemu_img("create -f raw '%s' %lld", raw, (long long)DISK_SIZE));
    g_free(qemu_io("-f raw -c 'write -P 0x61 0 3M' -c 'write -P 0x62 "
                   "3000000 1000000' -c 'write -P 0x63 7M 1M' '%s'", raw));
    g_free(qemu_img("convert -c -f raw -O qcow2 -o cluster_size=%d '%s' "
                    "'%s'", cluster_size, raw, path));
    src = file_contents(raw);

    shadow_open(&sh, path, cluster_size, true, NULL);
    memcpy(sh.data, g_bytes_get_data(src, NULL), DISK_SIZE);
    shadow_verify(&sh);
    shadow_write(&sh, 100, 200);
    shadow_write(&sh, 7 * MiB, cluster_size);
    shadow_zero(&sh, 0, 4 * cluster_size, false);
    shadow_discard(&sh, 2 * MiB, 8 * cluster_size);
    shadow_random_ops(&sh, 40);
    expect = g_memdup(sh.data, DISK_SIZE);
    shadow_close(&sh);

    qimg_assert_clean(path);
    assert_guest_data(path, expect);
}

/*
 * A crash with lazy refcounts leaves the dirty bit and wrong refcounts:
 * a writable open rebuilds them (as QEMU does), a read-only one writes
 * nothing.
 */
static void test_repair(gconstpointer opaque)
{
    int cluster_size = GPOINTER_TO_INT(opaque);
    g_autofree char *path = g_strdup_printf("%s/crashed-%d.qcow2",
                                            qcow2_test_dir, cluster_size);
    g_autoptr(GBytes) before = NULL, after = NULL, data = NULL;
    g_autofree char *cmd = NULL;
    BlockDriverState *bs;
    json_t *info;
    Shadow sh;

    g_free(qemu_img("create -f qcow2 -o cluster_size=%d,lazy_refcounts=on "
                    "'%s' %lld", cluster_size, path, (long long)DISK_SIZE));
    g_free(qemu_img("bitmap --add '%s' b0", path));
    g_free(qemu_io("-f qcow2 -c 'write -P 0x11 0 1M' '%s'", path));
    g_free(qemu_img("snapshot -c s1 '%s'", path));
    /* qemu-io's abort: a crash in the middle of things */
    cmd = g_strdup_printf("qemu-io -f qcow2 -c 'write -P 0x22 512k 1M' "
                          "-c 'write -c 5M 64k' -c abort '%s'", path);
    g_assert(g_spawn_command_line_sync(cmd, NULL, NULL, NULL, NULL));
    info = qimg_info(path, false);
    g_assert(json_is_true(json_object_get(info, "dirty-flag")));
    json_decref(info);
    data = image_guest_data(path, NULL);

    before = file_contents(path);
    bs = qcow2_open_image(path, 0, &error_abort);
    bdrv_unref(bs);
    after = file_contents(path);
    g_assert(g_bytes_equal(before, after));

    shadow_open(&sh, path, cluster_size, true, NULL);
    memcpy(sh.data, g_bytes_get_data(data, NULL), DISK_SIZE);
    shadow_verify(&sh);
    shadow_random_ops(&sh, 30);
    shadow_close(&sh);
    qimg_assert_clean(path);
    info = qimg_info(path, false);
    g_assert(json_is_false(json_object_get(info, "dirty-flag")));
    json_decref(info);
}

typedef struct BackingCase {
    const char *fmt;            /* of the backing file */
    bool v3;                    /* of the overlay */
} BackingCase;

/* An overlay shows its backing file and copies from it on partial writes. */
static void test_backing(gconstpointer opaque)
{
    const BackingCase *c = opaque;
    g_autofree char *base = g_strdup_printf("%s/base-%s-%d", qcow2_test_dir,
                                            c->fmt, c->v3);
    g_autofree char *path = g_strdup_printf("%s.ovl.qcow2", base);
    g_autofree uint8_t *expect = NULL;
    g_autoptr(GBytes) base_data = NULL;
    Shadow sh;

    g_free(qemu_img("create -f %s '%s' %lld", c->fmt, base,
                    (long long)DISK_SIZE));
    g_free(qemu_io("-f %s -c 'write -P 0x33 0 5M' -c 'write -P 0x44 6M 1M' "
                   "'%s'", c->fmt, base));
    g_free(qemu_img("create -f qcow2 -o compat=%s -b '%s' -F %s '%s'",
                    c->v3 ? "1.1" : "0.10", base, c->fmt, path));
    base_data = c->fmt[0] == 'r' ? file_contents(base)
                                 : image_guest_data(base, NULL);

    shadow_open(&sh, path, 65536, c->v3,
                g_bytes_get_data(base_data, NULL));
    g_assert_nonnull(sh.bs->backing);
    shadow_verify(&sh);
    shadow_write(&sh, 100, 200);
    shadow_zero(&sh, 64 * KiB, 64 * KiB, false);
    shadow_discard(&sh, 128 * KiB, 128 * KiB);
    shadow_random_ops(&sh, 40);
    expect = g_memdup(sh.data, DISK_SIZE);
    shadow_close(&sh);

    qimg_assert_clean(path);
    assert_guest_data(path, expect);
}

/* The "backing" option: null for none, or a node to use instead. */
static void test_backing_option(void)
{
    g_autofree char *base = qcow2_test_path("opt-base.raw");
    g_autofree char *other = qcow2_test_path("opt-other.raw");
    g_autofree char *path = qcow2_test_path("opt.qcow2");
    g_autofree uint8_t *buf = g_malloc(4096);
    BlockDriverState *bs, *node;
    BdrvChild *c;

    g_free(qemu_img("create -f raw '%s' 1M", base));
    g_free(qemu_img("create -f raw '%s' 1M", other));
    g_free(qemu_io("-f raw -c 'write -P 0x33 0 1M' '%s'", base));
    g_free(qemu_io("-f raw -c 'write -P 0x44 0 1M' '%s'", other));
    g_free(qemu_img("create -f qcow2 -b '%s' -F raw '%s'", base, path));

    bs = bdrv_open(NULL, NULL, json_pack("{s:s, s:n, s:{s:s, s:s}}",
                                         "driver", "qcow2", "backing",
                                         "file", "driver", "file",
                                         "filename", path),
                   BDRV_O_RDWR, &error_abort);
    g_assert_null(bs->backing);
    c = bdrv_root_attach_child(bs, "root", &child_test, 0, NULL,
                               &error_abort);
    g_assert_cmpint(bdrv_pread(c, 0, 4096, buf, 0), ==, 0);
    g_assert(buffer_is_zero(buf, 4096));
    bdrv_root_unref_child(c);
    bdrv_unref(bs);

    node = bdrv_open(NULL, NULL, json_pack("{s:s, s:s, s:b, s:{s:s, s:s}}",
                                           "driver", "raw", "node-name",
                                           "other", "read-only", 1, "file",
                                           "driver", "file", "filename",
                                           other),
                     0, &error_abort);
    bs = bdrv_open(NULL, NULL, json_pack("{s:s, s:s, s:{s:s, s:s}}",
                                         "driver", "qcow2", "backing",
                                         "other", "file", "driver", "file",
                                         "filename", path),
                   BDRV_O_RDWR, &error_abort);
    g_assert(bs->backing && bs->backing->bs == node);
    c = bdrv_root_attach_child(bs, "root", &child_test, 0, NULL,
                               &error_abort);
    g_assert_cmpint(bdrv_pread(c, 8192, 4096, buf, 0), ==, 0);
    g_assert_cmpint(buf[0], ==, 0x44);
    bdrv_root_unref_child(c);
    bdrv_unref(bs);
    bdrv_unref(node);
    qimg_assert_clean(path);
}

/* A missing backing file fails the open with a clear error. */
static void test_backing_missing(void)
{
    g_autofree char *base = qcow2_test_path("gone.raw");
    g_autofree char *path = qcow2_test_path("orphan.qcow2");
    Error *err = NULL;

    g_free(qemu_img("create -f raw '%s' 1M", base));
    g_free(qemu_img("create -f qcow2 -b '%s' -F raw '%s'", base, path));
    unlink(base);
    g_assert_null(qcow2_open_image(path, BDRV_O_RDWR, &err));
    g_assert_nonnull(strstr(error_get_pretty(err),
                            "Could not open backing file: "));
    error_free(err);
}

int main(int argc, char **argv)
{
    static const int cluster_sizes[] = { 512, 4096, 65536, 2 * MiB };
    static const BackingCase backing[] = {
        { "raw", true }, { "qcow2", true }, { "raw", false },
    };
    size_t i, j;

    qcow2_test_init(&argc, &argv, "test-qcow2");
    for (i = 0; i < ARRAY_SIZE(cluster_sizes); i++) {
        for (j = 0; j <= 6; j++) {
            IoCase *c;
            g_autofree char *name = NULL;

            /* every width on the smallest and the default cluster size */
            if (cluster_sizes[i] != 512 && cluster_sizes[i] != 65536 &&
                j != 4 && j != 6) {
                continue;
            }
            c = g_new0(IoCase, 1);
            c->cluster_size = cluster_sizes[i];
            c->refcount_bits = 1 << j;
            c->v3 = true;
            name = g_strdup_printf("/qcow2/io/v3/cluster-%d/refcount-%d",
                                   c->cluster_size, c->refcount_bits);
            g_test_add_data_func_full(name, c, test_io, g_free);
        }
        {
            IoCase *c = g_new0(IoCase, 1);
            g_autofree char *name = NULL;

            c->cluster_size = cluster_sizes[i];
            c->refcount_bits = 16;
            name = g_strdup_printf("/qcow2/io/v2/cluster-%d",
                                   c->cluster_size);
            g_test_add_data_func_full(name, c, test_io, g_free);
        }
    }
    {
        static const IoCase lazy = { 65536, 16, true, true };

        g_test_add_data_func("/qcow2/io/v3/lazy-refcounts", &lazy, test_io);
    }
    g_test_add_func("/qcow2/snapshot/cow", test_snapshot);
    g_test_add_data_func("/qcow2/repair/cluster-512",
                         GINT_TO_POINTER(512), test_repair);
    g_test_add_data_func("/qcow2/repair/cluster-65536",
                         GINT_TO_POINTER(65536), test_repair);
    g_test_add_data_func("/qcow2/compressed/cluster-4096",
                         GINT_TO_POINTER(4096), test_compressed);
    g_test_add_data_func("/qcow2/compressed/cluster-65536",
                         GINT_TO_POINTER(65536), test_compressed);
    for (i = 0; i < ARRAY_SIZE(backing); i++) {
        g_autofree char *name = g_strdup_printf("/qcow2/backing/%s/%s",
                                                backing[i].fmt,
                                                backing[i].v3 ? "v3" : "v2");

        g_test_add_data_func(name, &backing[i], test_backing);
    }
    g_test_add_func("/qcow2/backing/missing", test_backing_missing);
    g_test_add_func("/qcow2/backing/option", test_backing_option);
    return qcow2_test_run();
}
