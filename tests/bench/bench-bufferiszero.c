/* SPDX-License-Identifier: GPL-2.0-or-later */
/* buffer_is_zero() benchmark: bandwidth next to memcpy of the same buffer. */
#include "qemu/osdep.h"
#include "qemu/cutils.h"

/*
 * Each measurement runs REPEAT times and keeps the fastest run.  The
 * ratio is buffer_is_zero bandwidth / memcpy bandwidth (memcpy reads and
 * writes, buffer_is_zero only reads; the target is a ratio >= 0.5).
 */
#define REPEAT 7

static volatile bool sink;

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double best_of(void (*fn)(void *, void *, size_t), void *a, void *b,
                      size_t len)
{
    double best = 1e300;
    int i;

    for (i = 0; i < REPEAT; i++) {
        double t0 = now_ns();

        fn(a, b, len);
        best = MIN(best, now_ns() - t0);
    }
    return best;
}

static void do_memcpy(void *a, void *b, size_t len)
{
    memcpy(b, a, len);
    sink = ((volatile uint8_t *)b)[len / 2];
}

static void do_zero_check(void *a, void *b, size_t len)
{
    sink = buffer_is_zero(a, len);
}

/* Many small buffers: per-call overhead (4 KiB pages, 64 B lines). */
static void do_zero_check_chunks(void *a, void *b, size_t len)
{
    size_t chunk = *(size_t *)b;
    size_t i;
    bool all = true;

    for (i = 0; i + chunk <= len; i += chunk) {
        all &= buffer_is_zero((char *)a + i, chunk);
    }
    sink = all;
}

int main(int argc, char **argv)
{
    static const size_t sizes[] = { 64 * KiB, 1 * MiB, 64 * MiB };
    static const size_t chunks[] = { 64, 4096 };
    size_t i;

    printf("%-30s %10s %10s %7s\n", "buffer_is_zero", "GB/s", "memcpy",
           "ratio");
    for (i = 0; i < G_N_ELEMENTS(sizes); i++) {
        size_t len = sizes[i];
        void *a = g_malloc0(len);
        void *b = g_malloc0(len);
        double t_cpy = best_of(do_memcpy, a, b, len);
        double t_zero = best_of(do_zero_check, a, b, len);
        g_autofree char *name = size_to_str(len);

        printf("%-30s %10.2f %10.2f %7.2f\n", name, len / t_zero,
               len / t_cpy, t_cpy / t_zero);
        if (len == 64 * MiB) {
            size_t j;

            for (j = 0; j < G_N_ELEMENTS(chunks); j++) {
                size_t chunk = chunks[j];
                double t = best_of(do_zero_check_chunks, a, &chunk, len);
                g_autofree char *cname =
                    g_strdup_printf("%s in %zu B calls", name, chunk);

                printf("%-30s %10.2f %10.2f %7.2f\n", cname, len / t,
                       len / t_cpy, t_cpy / t);
            }
        }
        g_free(a);
        g_free(b);
    }
    return 0;
}
