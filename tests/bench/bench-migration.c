/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Benchmark: migration stream throughput vs a raw socket copy, same run. */
#include "qemu/osdep.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include "libqtest.h"
#include "migration-helpers.h"

/*
 * Usage: bench-migration [SIZE_GIB] (default 4).
 *
 * raw:      one process writes SIZE bytes into a Unix socketpair in 256 KiB
 *           writes, a forked child reads them in 256 KiB reads.
 * minivmm:  two minivmm processes migrate over unix: with the test-only
 *           'x-test-load' section (MINIVMM_MIGRATION_TEST_LOAD=SIZE), which
 *           streams SIZE bytes through QEMUFile in 256 KiB chunks and checks
 *           the framing of every chunk on the destination; max-bandwidth is
 *           lifted and downtime-limit is 10 ms, so that nearly everything
 *           streams while the VM runs.  Timed from 'migrate' to the
 *           destination's 'completed' event.
 * Each is run REPEAT times and the fastest run is kept.
 */
#define CHUNK (256 * 1024)
#define REPEAT 5

static double now_s(void)
{
    return g_get_monotonic_time() / 1e6;
}

static double raw_copy(uint64_t size)
{
    int sv[2];
    pid_t pid;
    g_autofree uint8_t *buf = g_malloc0(CHUNK);
    double t0, t1;
    uint64_t done = 0;
    int status;

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    t0 = now_s();
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        uint64_t got = 0;

        close(sv[0]);
        while (got < size) {
            ssize_t n = read(sv[1], buf, CHUNK);

            if (n <= 0) {
                _exit(1);
            }
            got += n;
        }
        _exit(0);
    }
    close(sv[1]);
    while (done < size) {
        ssize_t n = write(sv[0], buf, MIN((uint64_t)CHUNK, size - done));

        g_assert_cmpint(n, >, 0);
        done += n;
    }
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    t1 = now_s();
    close(sv[0]);
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return t1 - t0;
}

static double minivmm_migrate(uint64_t size, const char *dir)
{
    g_autofree char *uri = mig_unix_uri(dir, "bench.sock");
    g_autofree char *load = g_strdup_printf("%" PRIu64, size);
    g_autofree char *dst_args = g_strdup_printf("-M none -nodefaults "
                                                "-incoming %s", uri);
    QTestState *src, *dst;
    double t0, t1;

    g_setenv("MINIVMM_MIGRATION_TEST_LOAD", load, true);
    dst = qtest_init(dst_args);
    src = qtest_init("-M none -nodefaults");
    g_unsetenv("MINIVMM_MIGRATION_TEST_LOAD");
    mig_set_caps(dst, "events");
    mig_set_params(src, "\"max-bandwidth\": 1099511627776, "
                   "\"downtime-limit\": 10");
    t0 = now_s();
    mig_migrate_to(src, uri);
    g_free(mig_wait_status(dst, "completed"));
    t1 = now_s();
    qtest_quit(src);
    qtest_quit(dst);
    return t1 - t0;
}

int main(int argc, char **argv)
{
    double gib = argc > 1 ? g_ascii_strtod(argv[1], NULL) : 4;
    uint64_t size = (uint64_t)(gib * (1 << 30)) / CHUNK * CHUNK;
    g_autofree char *dir = g_dir_make_tmp("bench-migration-XXXXXX", NULL);
    double raw = 1e9, mig = 1e9;

    g_test_init(&argc, &argv, NULL);
    qtest_set_default_timeout(600);
    for (int i = 0; i < REPEAT; i++) {
        raw = MIN(raw, raw_copy(size));
        mig = MIN(mig, minivmm_migrate(size, dir));
    }
    rmdir(dir);
    printf("bench-migration: %.2f GiB over a Unix socket, best of %d\n",
           size / (double)(1 << 30), REPEAT);
    printf("raw socket copy (2 processes)      %6.2f GB/s  %8.3f s\n",
           size / raw / 1e9, raw);
    printf("minivmm migration (x-test-load)    %6.2f GB/s  %8.3f s   "
           "raw %6.2f GB/s  ratio %5.2f\n",
           size / mig / 1e9, mig, size / raw / 1e9, raw / mig);
    return 0;
}
