/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Benchmark: opening and storing qcow2 bitmaps, minivmm next to QEMU 7.2. */

/*
 * One image made by qemu-img: a 1 TiB qcow2 disk (64 KiB clusters) with
 * 64 persistent bitmaps at 64 KiB granularity (2 MiB of bits each), all
 * of which recorded the same scattered writes (qemu-io), so that every
 * cluster of every bitmap's data holds set bits.
 *
 * For each implementation, on a fresh copy of the image each time:
 *   open   spawning the process with -blockdev qcow2 (read-write: the
 *          bitmaps load and are marked IN_USE) until its QMP monitor
 *          answers, less the same for a process with a null-co node
 *   store  quit until the process has exited (the bitmaps are written
 *          back to new clusters and the old ones freed), less the same
 *          for the null-co process
 * Best of --repeat runs. The sha256 of every bitmap must be the same in
 * both implementations, and qemu-img check must find the stored image
 * clean.
 */

#include "qemu/osdep.h"

#include "libqtest.h"
#include "qimg-common.h"

#define QEMU_BINARY "/usr/bin/qemu-system-x86_64"
#define NR_BITMAPS  64
#define NR_WRITES   2048

typedef struct Timing {
    double open_ms;
    double store_ms;
    char *sha[NR_BITMAPS];
} Timing;

static double now_ms(void)
{
    return g_get_monotonic_time() / 1000.0;
}

/* Start @binary with @args, and quit it; the two durations in ms. */
static QTestState *start(const char *binary, const char *args,
                         double *open_ms)
{
    double t0 = now_ms();
    QTestState *qts;

    g_setenv("MINIVMM_BINARY", binary, true);
    qts = qtest_initf("-M none -nodefaults %s", args);
    *open_ms = now_ms() - t0;
    return qts;
}

static double quit(QTestState *qts)
{
    double t0 = now_ms();

    qtest_quit(qts);
    return now_ms() - t0;
}

static char *bitmap_sha(QTestState *qts, int i)
{
    json_t *r = qtest_qmp_assert_success_ref(qts,
        "{\"execute\": \"x-debug-block-dirty-bitmap-sha256\", "
        "\"arguments\": {\"node\": \"n0\", \"name\": \"bm%02d\"}}", i);
    char *sha = g_strdup(json_string_value(json_object_get(r, "sha256")));

    json_decref(r);
    return sha;
}

/* One run of @binary on a fresh copy of @image. */
static void run_once(const char *binary, const char *image,
                     const char *copy, Timing *t, bool keep_sha)
{
    g_autofree char *args = g_strdup_printf(
        "-blockdev driver=qcow2,node-name=n0,file.driver=file,"
        "file.filename=%s", copy);
    double base_open, base_store, open_ms, store_ms;
    QTestState *qts;
    int i;

    qts = start(binary, "-blockdev driver=null-co,node-name=n0", &base_open);
    base_store = quit(qts);

    g_free(qimg_run("cp --sparse=always %s %s", image, copy));
    qts = start(binary, args, &open_ms);
    for (i = 0; keep_sha && i < NR_BITMAPS; i++) {
        t->sha[i] = bitmap_sha(qts, i);
    }
    store_ms = quit(qts);
    t->open_ms = MIN(t->open_ms, open_ms - base_open);
    t->store_ms = MIN(t->store_ms, store_ms - base_store);
}

static void make_image(const char *image)
{
    GString *io = g_string_new("qemu-io -f qcow2");
    GRand *rand = g_rand_new_with_seed(20261204);
    int i;

    g_free(qimg_run("qemu-img create -f qcow2 %s 1T", image));
    for (i = 0; i < NR_BITMAPS; i++) {
        g_free(qimg_run("qemu-img bitmap --add %s bm%02d", image, i));
    }
    for (i = 0; i < NR_WRITES; i++) {
        uint64_t off = (uint64_t)g_rand_int_range(rand, 0, 1 << 24) << 16;

        g_string_append_printf(io, " -c 'write %" PRIu64 " 4k'", off);
    }
    g_string_append_printf(io, " %s", image);
    g_free(qimg_run("%s", io->str));
    g_string_free(io, true);
    g_rand_free(rand);
}

int main(int argc, char **argv)
{
    static const char *const names[] = { "minivmm", "QEMU 7.2" };
    const char *binaries[] = { qtest_binary(), QEMU_BINARY };
    int repeat = argc > 2 && !strcmp(argv[1], "--repeat") ?
                 atoi(argv[2]) : 3;
    g_autofree char *dir = g_dir_make_tmp("bench-qcow2-XXXXXX", NULL);
    g_autofree char *image = g_build_filename(dir, "img.qcow2", NULL);
    g_autofree char *copy = g_build_filename(dir, "copy.qcow2", NULL);
    Timing t[2] = { { G_MAXDOUBLE, G_MAXDOUBLE }, { G_MAXDOUBLE,
                                                    G_MAXDOUBLE } };
    int n = access(QEMU_BINARY, X_OK) == 0 ? 2 : 1;
    int impl, r, i, same = 0;

    make_image(image);
    for (impl = 0; impl < n; impl++) {
        for (r = 0; r < MAX(repeat, 1); r++) {
            run_once(binaries[impl], image, copy, &t[impl], r == 0);
        }
        qimg_assert_clean(copy);
    }
    printf("bench-qcow2-bitmaps: 1 TiB qcow2, %d bitmaps at 64 KiB, "
           "%d scattered writes; best of %d\n", NR_BITMAPS, NR_WRITES,
           MAX(repeat, 1));
    for (impl = 0; impl < n; impl++) {
        printf("%-10s open (load + mark IN_USE) %8.1f ms   "
               "quit (store) %8.1f ms\n", names[impl], t[impl].open_ms,
               t[impl].store_ms);
    }
    for (i = 0; n == 2 && i < NR_BITMAPS; i++) {
        same += !strcmp(t[0].sha[i], t[1].sha[i]);
    }
    if (n == 2) {
        printf("sha256 of the loaded bitmaps: %d of %d the same\n", same,
               NR_BITMAPS);
    }
    for (impl = 0; impl < n; impl++) {
        for (i = 0; i < NR_BITMAPS; i++) {
            g_free(t[impl].sha[i]);
        }
    }
    unlink(image);
    unlink(copy);
    rmdir(dir);
    return n == 2 && same != NR_BITMAPS;
}
