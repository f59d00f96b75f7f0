/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The qemu-io command subset behind HMP qemu-io: read, write, discard. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "block/block.h"
#include "sysemu/block-backend.h"
#include "qemu-io.h"

/* QEMU's BDRV_REQUEST_MAX_BYTES: the largest single request. */
#define QEMU_IO_MAX_BYTES   (INT_MAX & ~(int64_t)(BDRV_SECTOR_SIZE - 1))
/* Data writes and reads go through a buffer of at most this size. */
#define QEMU_IO_BUF_MAX     (4 * MiB)
#define QEMU_IO_MAX_ARGS    32

typedef int (*CommandFunc)(BlockBackend *blk, int argc, char **argv);

typedef struct CmdInfo {
    const char *name;
    const char *altname;
    CommandFunc cfunc;
    bool needs_write;           /* takes the write permission */
} CmdInfo;

static void print_cvtnum_err(int64_t rc, const char *arg)
{
    switch (rc) {
    case -EINVAL:
        printf("Parsing error: non-numeric argument,"
               " or extraneous/unrecognized suffix -- %s\n", arg);
        break;
    case -ERANGE:
        printf("Parsing error: argument too large -- %s\n", arg);
        break;
    default:
        printf("Parsing error: %s\n", arg);
    }
}

/* A byte count with optional binary suffix (k, M, G, T, P, E, b). */
static int64_t cvtnum(const char *s)
{
    int err;
    uint64_t value;

    err = qemu_strtosz(s, NULL, &value);
    if (err < 0) {
        return err;
    }
    if (value > INT64_MAX) {
        return -ERANGE;
    }
    return value;
}

/* Human-readable size as qemu-io prints it: "64 KiB", "1.500 MiB". */
static void cvtstr(double value, char *str, size_t size)
{
    static const struct {
        double unit;
        const char *suffix;
    } units[] = {
        { 1152921504606846976.0, " EiB" },
        { 1125899906842624.0, " PiB" },
        { 1099511627776.0, " TiB" },
        { 1073741824.0, " GiB" },
        { 1048576.0, " MiB" },
        { 1024.0, " KiB" },
    };
    const char *suffix = " bytes";
    char *trim;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(units); i++) {
        if (value >= units[i].unit) {
            break;
        }
    }
    if (i < ARRAY_SIZE(units)) {
        suffix = units[i].suffix;
        snprintf(str, size - 4, "%.3f", value / units[i].unit);
    } else {
        snprintf(str, size - 6, "%f", value);
    }
    trim = strstr(str, ".000");
    if (trim) {
        strcpy(trim, suffix);
    } else {
        strcat(str, suffix);
    }
}

static struct timespec tsub(struct timespec t1, struct timespec t2)
{
    t1.tv_nsec -= t2.tv_nsec;
    if (t1.tv_nsec < 0) {
        t1.tv_nsec += 1000000000;
        t1.tv_sec--;
    }
    t1.tv_sec -= t2.tv_sec;
    return t1;
}

static double tdiv(double value, struct timespec tv)
{
    double seconds = tv.tv_sec + (tv.tv_nsec / 1e9);

    return value / seconds;
}

#define HOURS(sec)      ((sec) / (60 * 60))
#define MINUTES(sec)    (((sec) % (60 * 60)) / 60)
#define SECONDS(sec)    ((sec) % 60)

static void timestr(struct timespec *tv, char *ts, size_t size)
{
    double frac_sec = tv->tv_nsec / 1e9;

    if (tv->tv_sec) {
        snprintf(ts, size, "%u:%02u:%05.2f",
                 (unsigned int) HOURS(tv->tv_sec),
                 (unsigned int) MINUTES(tv->tv_sec),
                 SECONDS(tv->tv_sec) + frac_sec);
    } else {
        snprintf(ts, size, "%05.2f sec", frac_sec);
    }
}

static void print_report(const char *op, struct timespec *t, int64_t offset,
                         int64_t count, int64_t total, int cnt)
{
    char s1[64], s2[64], ts[64];

    timestr(t, ts, sizeof(ts));
    cvtstr((double)total, s1, sizeof(s1));
    cvtstr(tdiv((double)total, *t), s2, sizeof(s2));
    printf("%s %"PRId64"/%"PRId64" bytes at offset %" PRId64 "\n",
           op, total, count, offset);
    printf("%s, %d ops; %s (%s/sec and %.4f ops/sec)\n",
           s1, cnt, ts, s2, tdiv((double)cnt, *t));
}

/* Parse "OFF LEN" at argv[optind..]; false after printing the error. */
static bool parse_off_len(int argc, char **argv, int optind,
                          int64_t *offset, int64_t *bytes)
{
    if (optind != argc - 2) {
        printf("bad number of arguments\n");
        return false;
    }
    *offset = cvtnum(argv[optind]);
    if (*offset < 0) {
        print_cvtnum_err(*offset, argv[optind]);
        return false;
    }
    *bytes = cvtnum(argv[optind + 1]);
    if (*bytes < 0) {
        print_cvtnum_err(*bytes, argv[optind + 1]);
        return false;
    }
    if (*bytes > QEMU_IO_MAX_BYTES) {
        printf("length cannot exceed %" PRId64 ", given %s\n",
               (int64_t)QEMU_IO_MAX_BYTES, argv[optind + 1]);
        return false;
    }
    return true;
}

/* Minimal getopt: flags from @flags, and "-P N" when @want_pattern. */
static int parse_flags(int argc, char **argv, const char *flags,
                       bool *seen, int *pattern, bool *has_pattern)
{
    int i;

    for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *p;

        for (p = argv[i] + 1; *p; p++) {
            if (*p == 'P' && has_pattern) {
                const char *arg = p[1] ? p + 1 : argv[++i];
                int64_t v;

                if (!arg || qemu_strtoi64(arg, NULL, 0, &v) < 0 ||
                    v < 0 || v > 255) {
                    printf("non-numeric pattern argument -- %s\n",
                           arg ?: "");
                    return -1;
                }
                *pattern = v;
                *has_pattern = true;
                break;
            }
            if (!strchr(flags, *p)) {
                printf("%s: invalid option -- '%c'\n", argv[0], *p);
                return -1;
            }
            seen[(unsigned char)*p] = true;
        }
    }
    return i;
}

static int write_f(BlockBackend *blk, int argc, char **argv)
{
    struct timespec t1, t2;
    bool seen[256] = { false };
    bool has_pattern = false;
    int pattern = 0xcd;
    int64_t offset, count, done = 0;
    BdrvRequestFlags flags = 0;
    int optind, ret = 0;

    optind = parse_flags(argc, argv, "bcCfnpquz", seen, &pattern,
                         &has_pattern);
    if (optind < 0 || !parse_off_len(argc, argv, optind, &offset, &count)) {
        return -EINVAL;
    }
    if (seen['z'] && has_pattern) {
        printf("-z and -P cannot be specified at the same time\n");
        return -EINVAL;
    }
    if (seen['u'] && !seen['z']) {
        printf("-u requires -z to be specified\n");
        return -EINVAL;
    }
    if (seen['f']) {
        flags |= BDRV_REQ_FUA;
    }
    if (seen['u']) {
        flags |= BDRV_REQ_MAY_UNMAP;
    }

    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (seen['z']) {
        ret = blk_pwrite_zeroes(blk, offset, count, flags);
    } else {
        g_autofree uint8_t *buf = g_malloc(MIN(MAX(count, 1),
                                               QEMU_IO_BUF_MAX));

        memset(buf, pattern, MIN(MAX(count, 1), QEMU_IO_BUF_MAX));
        /* One request unless the buffer bound splits it. */
        do {
            int64_t num = MIN(count - done, QEMU_IO_BUF_MAX);

            ret = blk_pwrite(blk, offset + done, num, buf, flags);
            done += num;
        } while (ret >= 0 && done < count);
    }
    clock_gettime(CLOCK_MONOTONIC, &t2);

    if (ret < 0) {
        printf("write failed: %s\n", strerror(-ret));
        return ret;
    }
    if (!seen['q']) {
        t2 = tsub(t2, t1);
        print_report("wrote", &t2, offset, count, count, 1);
    }
    return 0;
}

static int read_f(BlockBackend *blk, int argc, char **argv)
{
    struct timespec t1, t2;
    bool seen[256] = { false };
    bool has_pattern = false;
    int pattern = 0;
    int64_t offset, count, done = 0;
    g_autofree uint8_t *buf = NULL;
    int optind, ret = 0;

    optind = parse_flags(argc, argv, "bCqpv", seen, &pattern, &has_pattern);
    if (optind < 0 || !parse_off_len(argc, argv, optind, &offset, &count)) {
        return -EINVAL;
    }
    buf = g_malloc(MIN(MAX(count, 1), QEMU_IO_BUF_MAX));

    clock_gettime(CLOCK_MONOTONIC, &t1);
    do {
        int64_t num = MIN(count - done, QEMU_IO_BUF_MAX);
        int64_t i;

        ret = blk_pread(blk, offset + done, num, buf, 0);
        if (ret >= 0 && has_pattern) {
            for (i = 0; i < num; i++) {
                if (buf[i] != pattern) {
                    printf("Pattern verification failed at offset %"
                           PRId64 ", %" PRId64 " bytes\n",
                           offset + done, num);
                    ret = -EINVAL;
                    break;
                }
            }
            if (ret < 0) {
                return ret;
            }
        }
        done += num;
    } while (ret >= 0 && done < count);
    clock_gettime(CLOCK_MONOTONIC, &t2);

    if (ret < 0) {
        printf("read failed: %s\n", strerror(-ret));
        return ret;
    }
    if (!seen['q']) {
        t2 = tsub(t2, t1);
        print_report("read", &t2, offset, count, count, 1);
    }
    return 0;
}

static int discard_f(BlockBackend *blk, int argc, char **argv)
{
    struct timespec t1, t2;
    bool seen[256] = { false };
    int64_t offset, bytes;
    int optind, ret;

    optind = parse_flags(argc, argv, "Cq", seen, NULL, NULL);
    if (optind < 0 || !parse_off_len(argc, argv, optind, &offset, &bytes)) {
        return -EINVAL;
    }

    clock_gettime(CLOCK_MONOTONIC, &t1);
    ret = blk_pdiscard(blk, offset, bytes);
    clock_gettime(CLOCK_MONOTONIC, &t2);

    if (ret < 0) {
        printf("discard failed: %s\n", strerror(-ret));
        return ret;
    }
    if (!seen['q']) {
        t2 = tsub(t2, t1);
        print_report("discard", &t2, offset, bytes, bytes, 1);
    }
    return 0;
}

static int flush_f(BlockBackend *blk, int argc, char **argv)
{
    int ret = blk_flush(blk);

    if (ret < 0) {
        printf("flush failed: %s\n", strerror(-ret));
    }
    return ret;
}

static int length_f(BlockBackend *blk, int argc, char **argv)
{
    int64_t size = blk_getlength(blk);
    char s1[64];

    if (size < 0) {
        printf("getlength: %s\n", strerror(-size));
        return size;
    }
    cvtstr(size, s1, sizeof(s1));
    printf("%s\n", s1);
    return 0;
}

static const CmdInfo cmdtab[] = {
    { "read", "r", read_f, false },
    { "write", "w", write_f, true },
    { "discard", "d", discard_f, true },
    { "flush", "f", flush_f, false },
    { "length", "l", length_f, false },
};

static const CmdInfo *find_command(const char *cmd)
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(cmdtab); i++) {
        if (!strcmp(cmdtab[i].name, cmd) ||
            (cmdtab[i].altname && !strcmp(cmdtab[i].altname, cmd))) {
            return &cmdtab[i];
        }
    }
    return NULL;
}

bool qemuio_command(BlockBackend *blk, const char *cmd)
{
    g_auto(GStrv) words = g_strsplit_set(cmd, " \t", -1);
    char *argv[QEMU_IO_MAX_ARGS + 1];
    const CmdInfo *ct;
    int argc = 0;
    size_t i;

    for (i = 0; words[i]; i++) {
        if (!words[i][0]) {
            continue;
        }
        if (argc == QEMU_IO_MAX_ARGS) {
            printf("too many arguments\n");
            fflush(stdout);
            return false;
        }
        argv[argc++] = words[i];
    }
    argv[argc] = NULL;
    if (!argc) {
        return false;
    }

    ct = find_command(argv[0]);
    if (!ct) {
        printf("command \"%s\" not found\n", argv[0]);
        fflush(stdout);
        return false;
    }
    if (ct->needs_write && blk_bs(blk)) {
        BlockDriverState *bs = blk_bs(blk);
        Error *err = NULL;

        /* Like QEMU, take the write permission for the command only. */
        if (!bdrv_is_writable(bs)) {
            error_report("Block node is read-only");
            return false;
        }
        if (bdrv_add_write_user(bs, &err) < 0) {
            error_report_err(err);
            return false;
        }
        ct->cfunc(blk, argc, argv);
        bdrv_remove_write_user(bs);
    } else {
        ct->cfunc(blk, argc, argv);
    }
    fflush(stdout);
    return false;
}
