/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Benchmark: guest-write cost of 15 dirty bitmaps on a 256 GiB node. */

#include "qemu/osdep.h"
#include <math.h>
#include "qapi/error.h"
#include "block/block_int.h"
#include "sysemu/block-backend.h"

#define NODE_SIZE       (256 * GiB)
#define GRANULARITY     512
#define NR_BITMAPS      15
#define NR_WRITES       (1 << 18)
#define WRITE_SIZE      4096
#define ZERO_SIZE       (1 * GiB)
#define BEST_OF         3       /* warm measurements keep the fastest */

static double now_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static BlockBackend *open_node(void)
{
    json_t *opts = json_pack("{s:s, s:s, s:I}", "driver", "null-co",
                             "node-name", "bench", "size",
                             (json_int_t)NODE_SIZE);
    BlockDriverState *bs = bdrv_open(NULL, NULL, opts, BDRV_O_RDWR,
                                     &error_abort);
    BlockBackend *blk = blk_new(NULL, BLK_PERM_ALL, BLK_PERM_ALL);

    blk_insert_bs(blk, bs, &error_abort);
    bdrv_unref(bs);
    return blk;
}

/* Random 4 KiB writes; the offsets are precomputed outside the timing. */
static double bench_random_writes(BlockBackend *blk, const int64_t *offs,
                                  const uint8_t *buf)
{
    double t0 = now_sec();
    int i;

    for (i = 0; i < NR_WRITES; i++) {
        if (blk_pwrite(blk, offs[i], WRITE_SIZE, buf, 0) < 0) {
            abort();
        }
    }
    return (now_sec() - t0) * 1e9 / NR_WRITES;
}

/*
 * Memory-latency baseline: OR one byte at the same random positions into
 * NR_BITMAPS plain arrays of a bitmap's size (what the bitmaps must touch).
 */
static double bench_plain_arrays(const int64_t *offs)
{
    size_t len = NODE_SIZE / GRANULARITY / 8;
    uint8_t *arr[NR_BITMAPS];
    double t0, ns;
    int i, j;

    for (j = 0; j < NR_BITMAPS; j++) {
        arr[j] = g_malloc0(len);
    }
    for (i = 0; i < NR_WRITES; i++) {         /* fault pages in */
        for (j = 0; j < NR_BITMAPS; j++) {
            arr[j][offs[i] / GRANULARITY / 8] |= 1;
        }
    }
    t0 = now_sec();
    for (i = 0; i < NR_WRITES; i++) {
        for (j = 0; j < NR_BITMAPS; j++) {
            arr[j][offs[i] / GRANULARITY / 8] |= 0xff;
        }
    }
    ns = (now_sec() - t0) * 1e9 / NR_WRITES;
    for (j = 0; j < NR_BITMAPS; j++) {
        g_free(arr[j]);
    }
    return ns;
}

static double bench_zero_write(BlockBackend *blk, BdrvDirtyBitmap **bms)
{
    double t0, t;
    int i;

    t0 = now_sec();
    if (blk_pwrite_zeroes(blk, 0, ZERO_SIZE, 0) < 0) {
        abort();
    }
    t = now_sec() - t0;
    for (i = 0; i < NR_BITMAPS; i++) {
        g_assert_cmpint(bdrv_get_dirty_count(bms[i]), ==, ZERO_SIZE);
    }
    return t;
}

int main(int argc, char **argv)
{
    BlockBackend *blk;
    BdrvDirtyBitmap *bms[NR_BITMAPS];
    g_autofree int64_t *offs = g_new(int64_t, NR_WRITES);
    g_autofree uint8_t *buf = g_malloc0(WRITE_SIZE);
    /* Bytes of bitmap one 1 GiB write-zeroes updates, all bitmaps. */
    size_t bm_bytes = (size_t)ZERO_SIZE / GRANULARITY / 8 * NR_BITMAPS;
    uint8_t *membuf;
    double ns_none, ns_cold, ns_bitmaps, ns_plain, t0, t_cold, t_warm;
    double m_cold, m_warm;
    GRand *rand = g_rand_new_with_seed(42);
    char name[16];
    int i;

    bdrv_init();
    blk = open_node();
    for (i = 0; i < NR_WRITES; i++) {
        offs[i] = (int64_t)g_rand_int_range(rand, 0, NODE_SIZE / WRITE_SIZE)
                  * WRITE_SIZE;
    }

    ns_none = INFINITY;
    for (i = 0; i < BEST_OF; i++) {
        ns_none = MIN(ns_none, bench_random_writes(blk, offs, buf));
    }
    for (i = 0; i < NR_BITMAPS; i++) {
        snprintf(name, sizeof(name), "bm%d", i);
        bms[i] = bdrv_create_dirty_bitmap(blk_bs(blk), GRANULARITY, name,
                                          &error_abort);
    }

    /* 1 GiB write-zeroes into fresh bitmaps: pages fault in. */
    t_cold = bench_zero_write(blk, bms);
    /* Again after a range reset that keeps the pages. */
    for (i = 0; i < NR_BITMAPS; i++) {
        bdrv_reset_dirty_bitmap(bms[i], 0, ZERO_SIZE);
    }
    t_warm = bench_zero_write(blk, bms);

    membuf = g_malloc(bm_bytes);            /* fresh pages */
    t0 = now_sec();
    memset(membuf, 0xff, bm_bytes);
    m_cold = now_sec() - t0;
    t0 = now_sec();
    memset(membuf, 0x00, bm_bytes);
    m_warm = now_sec() - t0;
    g_free(membuf);

    /*
     * Random writes: the first pass faults bitmap pages in (each 4 KiB
     * page of a bitmap covers 16 MiB of disk); the second pass rewrites
     * the same offsets with every page resident.
     */
    ns_cold = bench_random_writes(blk, offs, buf);
    ns_bitmaps = INFINITY;
    ns_plain = INFINITY;
    for (i = 0; i < BEST_OF; i++) {
        ns_bitmaps = MIN(ns_bitmaps, bench_random_writes(blk, offs, buf));
        ns_plain = MIN(ns_plain, bench_plain_arrays(offs));
    }

    printf("block bitmaps: %d x %d B granularity on a %" PRId64 " GiB "
           "null-co node, %d random %d B writes\n", NR_BITMAPS, GRANULARITY,
           NODE_SIZE / GiB, NR_WRITES, WRITE_SIZE);
    printf("random write, no bitmaps:       %9.1f ns/write\n", ns_none);
    printf("random write, %d bitmaps, cold: %9.1f ns/write (page faults)\n",
           NR_BITMAPS, ns_cold);
    printf("random write, %d bitmaps, warm: %9.1f ns/write\n",
           NR_BITMAPS, ns_bitmaps);
    printf("baseline: OR into %d plain %" PRId64 " MiB arrays at the same "
           "offsets: %.1f ns/write; ratio %.2f\n", NR_BITMAPS,
           NODE_SIZE / GRANULARITY / 8 / MiB, ns_plain,
           ns_plain / (ns_bitmaps - ns_none));
    printf("1 GiB write-zeroes, %zu KiB of bitmap: cold %.3f ms = %.2f GB/s,"
           " warm %.3f ms = %.2f GB/s\n", bm_bytes / 1024, t_cold * 1e3,
           bm_bytes / t_cold / 1e9, t_warm * 1e3, bm_bytes / t_warm / 1e9);
    printf("baseline: memset of the same bytes: cold %.3f ms = %.2f GB/s, "
           "warm %.3f ms = %.2f GB/s; ratio cold %.2f, warm %.2f\n",
           m_cold * 1e3, bm_bytes / m_cold / 1e9, m_warm * 1e3,
           bm_bytes / m_warm / 1e9, m_cold / t_cold, m_warm / t_warm);

    for (i = 0; i < NR_BITMAPS; i++) {
        bdrv_release_dirty_bitmap(bms[i]);
    }
    blk_unref(blk);
    g_rand_free(rand);
    return 0;
}
