/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HBitmap benchmark: bitmap operations next to memcpy/memset baselines. */
#include "qemu/osdep.h"
#include "qemu/hbitmap.h"
#include "qemu/cutils.h"

/*
 * Every measurement runs REPEAT times and keeps the fastest run, so that
 * page faults and cache warm-up of the first run do not count.  Bandwidth
 * is bytes of bitmap (or buffer) processed per second.
 */
#define BITS        (UINT64_C(1) << 28)     /* 2^28 groups: 32 MiB of bitmap */
#define MAP_BYTES   (BITS / 8)
#define CHUNK_BITS  8192                    /* CHUNK_SIZE of the migration */
#define REPEAT      5

typedef struct Baseline {
    double memcpy_ns;   /* memcpy of MAP_BYTES */
    double memset_ns;   /* memset of MAP_BYTES */
} Baseline;

static volatile uint64_t sink;

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void report(const char *name, double ns, uint64_t bytes, uint64_t ops,
                   double base_ns, const char *base_name)
{
    double gbs = bytes / ns;

    printf("%-34s %8.2f GB/s %12.1f ns/op", name, gbs, ns / ops);
    if (base_ns > 0) {
        printf("   %-6s %6.2f GB/s  ratio %5.2f", base_name,
               bytes / base_ns, base_ns / ns);
    }
    printf("\n");
}

#define MEASURE(best, body) do {                        \
        int rep_;                                       \
        (best) = 1e300;                                 \
        for (rep_ = 0; rep_ < REPEAT; rep_++) {         \
            double t0_ = now_ns();                      \
            body;                                       \
            (best) = MIN((best), now_ns() - t0_);       \
        }                                               \
    } while (0)

static Baseline measure_baselines(void)
{
    uint8_t *a = g_malloc(MAP_BYTES);
    uint8_t *b = g_malloc(MAP_BYTES);
    Baseline base;

    memset(a, 1, MAP_BYTES);
    memset(b, 2, MAP_BYTES);
    MEASURE(base.memcpy_ns, memcpy(b, a, MAP_BYTES); sink += b[12345]);
    MEASURE(base.memset_ns, memset(a, 0xff, MAP_BYTES); sink += a[777]);
    report("memcpy 32 MiB", base.memcpy_ns, MAP_BYTES, 1, 0, NULL);
    report("memset 32 MiB", base.memset_ns, MAP_BYTES, 1, 0, NULL);
    g_free(a);
    g_free(b);
    return base;
}

static void bench_set_reset(const Baseline *base)
{
    HBitmap *hb = hbitmap_alloc(BITS, 0);
    uint64_t i, n = 4096, len = 1 * MiB;
    double ns, best_set, best_reset;

    /* Fault the pages in once; reset keeps them. */
    hbitmap_set(hb, 0, BITS);
    hbitmap_reset(hb, 0, BITS);

    best_set = best_reset = 1e300;
    for (i = 0; i < REPEAT; i++) {
        double t0 = now_ns();

        hbitmap_set(hb, 0, BITS);
        best_set = MIN(best_set, now_ns() - t0);
        t0 = now_ns();
        hbitmap_reset(hb, 0, BITS);
        best_reset = MIN(best_reset, now_ns() - t0);
    }
    report("set whole map (from empty)", best_set, MAP_BYTES, 1,
           base->memset_ns, "memset");
    report("reset whole map (from full)", best_reset, MAP_BYTES, 1,
           base->memset_ns, "memset");

    /* Random 1 Mi-bit ranges, as a burst of large guest writes. */
    MEASURE(ns, for (i = 0; i < n; i++) {
                    hbitmap_set(hb, (i * 2654435761u) % (BITS - len), len);
                });
    report("set 1 Mi-bit ranges", ns, n * len / 8, n,
           base->memset_ns * (n * len / 8) / MAP_BYTES, "memset");
    hbitmap_free(hb);
}

static void bench_next_dirty(void)
{
    HBitmap *hb = hbitmap_alloc(BITS, 0);
    int64_t pos, found;
    uint64_t i, calls;
    double ns;

    /* Sparse: one dirty bit per 64 Ki bits. */
    for (i = 0; i < BITS; i += 65536) {
        hbitmap_set(hb, i + 77, 1);
    }
    calls = 0;
    MEASURE(ns, calls = 0;
                for (pos = 0; (found = hbitmap_next_dirty(hb, pos,
                                                          INT64_MAX)) >= 0;
                     pos = found + 1) {
                    calls++;
                });
    report("next_dirty walk, sparse 1/64Ki", ns, MAP_BYTES, calls, 0, NULL);

    /* Empty map: a single search. */
    hbitmap_reset_all(hb);
    MEASURE(ns, for (i = 0; i < 1000; i++) {
                    sink += hbitmap_next_dirty(hb, i * 1000, INT64_MAX);
                });
    report("next_dirty, empty map", ns, 0, 1000, 0, NULL);

    /* Dense: every other bit. */
    for (i = 0; i < BITS; i += 2) {
        hbitmap_set(hb, i, 1);
    }
    MEASURE(ns, for (i = 0; i < 1000000; i++) {
                    sink += hbitmap_next_dirty(hb, (i * 268435399) % BITS,
                                               INT64_MAX);
                });
    report("next_dirty, dense 1/2 (random start)", ns, 0, 1000000, 0, NULL);
    hbitmap_free(hb);
}

static void fill_dense(HBitmap *hb)
{
    uint64_t i;

    for (i = 0; i < BITS; i += 64 * 1024) {
        /* A pattern with every word non-zero and varying. */
        hbitmap_set(hb, i, 1 + (i / 1024) % 60000);
    }
    for (i = 0; i < BITS; i += 64) {
        hbitmap_set(hb, i + (i / 64) % 64, 1);
    }
}

static void hash_once(const HBitmap *hb)
{
    g_autofree char *hash = hbitmap_sha256(hb, NULL);

    sink += hash[0];
}

static void bench_serialize(const Baseline *base)
{
    HBitmap *hb = hbitmap_alloc(BITS, 0);
    HBitmap *dst = hbitmap_alloc(BITS, 0);
    uint8_t *buf = g_malloc(MAP_BYTES);
    uint64_t size = hbitmap_serialization_size(hb, 0, BITS);
    uint64_t start, nchunks = BITS / CHUNK_BITS;
    double ns;

    g_assert(size == MAP_BYTES);
    fill_dense(hb);

    MEASURE(ns, hbitmap_serialize_part(hb, buf, 0, BITS); sink += buf[5]);
    report("serialize_part whole map (dense)", ns, MAP_BYTES, 1,
           base->memcpy_ns, "memcpy");

    MEASURE(ns, for (start = 0; start < BITS; start += CHUNK_BITS) {
                    hbitmap_serialize_part(hb, buf + start / 8, start,
                                           CHUNK_BITS);
                });
    report("serialize_part 1 KiB chunks (dense)", ns, MAP_BYTES, nchunks,
           base->memcpy_ns, "memcpy");

    /* Fault dst in, then measure deserialization of the dense image. */
    hbitmap_deserialize_part(dst, buf, 0, BITS, true);
    hbitmap_reset_all(dst);
    hbitmap_set(dst, 0, BITS);
    MEASURE(ns, hbitmap_reset(dst, 0, BITS);
                for (start = 0; start < BITS; start += CHUNK_BITS) {
                    hbitmap_deserialize_part(dst, buf + start / 8, start,
                                             CHUNK_BITS, false);
                }
                hbitmap_deserialize_finish(dst));
    report("reset + deserialize_part 1 KiB chunks", ns, MAP_BYTES, nchunks,
           base->memcpy_ns, "memcpy");
    g_assert(hbitmap_count(dst) == hbitmap_count(hb));

    /* Sparse map: zero runs come from the summaries, not from memory. */
    hbitmap_reset_all(hb);
    hbitmap_set(hb, BITS / 2, 1);
    MEASURE(ns, hbitmap_serialize_part(hb, buf, 0, BITS); sink += buf[5]);
    report("serialize_part whole map (sparse)", ns, MAP_BYTES, 1,
           base->memcpy_ns, "memcpy");

    MEASURE(ns, for (start = 0; start < BITS; start += CHUNK_BITS) {
                    hbitmap_deserialize_zeroes(dst, start, CHUNK_BITS, false);
                }
                hbitmap_deserialize_finish(dst));
    report("deserialize_zeroes 1 KiB chunks", ns, MAP_BYTES, nchunks,
           base->memset_ns, "memset");

    hbitmap_set(dst, 0, BITS);
    MEASURE(ns, hash_once(hb));
    report("sha256 whole map (sparse)", ns, MAP_BYTES, 1, 0, NULL);
    MEASURE(ns, hash_once(dst));
    report("sha256 whole map (full)", ns, MAP_BYTES, 1, 0, NULL);

    g_free(buf);
    hbitmap_free(hb);
    hbitmap_free(dst);
}

static void bench_buffer_is_zero(const Baseline *base)
{
    uint8_t *buf = g_malloc0(MAP_BYTES);
    double ns;

    memset(buf, 0, MAP_BYTES);
    MEASURE(ns, sink += buffer_is_zero(buf, MAP_BYTES));
    report("buffer_is_zero 32 MiB", ns, MAP_BYTES, 1, base->memcpy_ns,
           "memcpy");
    g_free(buf);
}

int main(int argc, char **argv)
{
    Baseline base;

    printf("bench-hbitmap: 2^28-bit bitmaps (%" PRIu64 " MiB), best of %d\n",
           MAP_BYTES / MiB, REPEAT);
    base = measure_baselines();
    bench_set_reset(&base);
    bench_next_dirty();
    bench_serialize(&base);
    bench_buffer_is_zero(&base);
    return 0;
}
