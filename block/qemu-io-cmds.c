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
#define NS_PER_SEC          INT64_C(1000000000)

/*
 * Output is qemu-io's, byte for byte where scripts parse it: iotests
 * filter the timing line with regexes and fail on anything they leave.
 */

/* "512 bytes", "64 KiB", "1.500 MiB": three decimals, ".000" dropped. */
static char *human_size(double value)
{
    static const char *const units[] = {
        "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB",
    };
    unsigned u = 0;
    g_autofree char *num = NULL;
    char *zeros;

    while (value >= 1024 && u + 1 < ARRAY_SIZE(units)) {
        value /= 1024;
        u++;
    }
    /* Plain bytes get %f's six decimals, which qemu-io keeps if not 0 */
    num = g_strdup_printf(u ? "%.3f" : "%f", value);
    zeros = strstr(num, ".000");
    if (zeros) {
        *zeros = '\0';
    }
    return g_strdup_printf("%s %s", num, units[u]);
}

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* "00.42 sec" under a second, else "H:MM:SS.SS" (no unit). */
static char *elapsed(int64_t ns)
{
    int64_t whole = ns / NS_PER_SEC;
    double frac = (double)(ns % NS_PER_SEC) /
                  NS_PER_SEC;

    if (!whole) {
        return g_strdup_printf("%05.2f sec", frac);
    }
    return g_strdup_printf("%u:%02u:%05.2f", (unsigned)(whole / 3600),
                           (unsigned)(whole / 60 % 60), whole % 60 + frac);
}

/*
 * The end of a read, write or discard of @bytes at @offset that started
 * at @start (now_ns()): "<verb> failed: <strerror>", or unless @quiet
 * the two-line report. Returns @ret.
 */
static int io_done(const char *verb, const char *past, int ret, bool quiet,
                   int64_t offset, int64_t bytes, int64_t start)
{
    int64_t ns = now_ns() - start;
    double secs = (double)ns / NS_PER_SEC;
    g_autofree char *size = NULL, *rate = NULL, *took = NULL;

    if (ret < 0) {
        printf("%s failed: %s\n", verb, strerror(-ret));
        return ret;
    }
    if (quiet) {
        return ret;
    }
    size = human_size(bytes);
    rate = human_size(bytes / secs);
    took = elapsed(ns);
    printf("%s %" PRId64 "/%" PRId64 " bytes at offset %" PRId64 "\n",
           past, bytes, bytes, offset);
    printf("%s, 1 ops; %s (%s/sec and %.4f ops/sec)\n",
           size, took, rate, 1 / secs);
    return ret;
}

/* A byte count with an optional binary suffix; prints qemu-io's errors. */
static bool parse_bytes(const char *arg, int64_t *value)
{
    uint64_t v;
    int err = qemu_strtosz(arg, NULL, &v);

    if (!err && v > INT64_MAX) {
        err = -ERANGE;
    }
    if (err == -EINVAL) {
        printf("Parsing error: non-numeric argument, or "
               "extraneous/unrecognized suffix -- %s\n", arg);
    } else if (err == -ERANGE) {
        printf("Parsing error: argument too large -- %s\n", arg);
    } else if (err) {
        printf("Parsing error: %s\n", arg);
    }
    *value = v;
    return !err;
}

/*
 * Parse "OFF LEN" at argv[optind..]; false after printing the error.
 * @usage is printed for a wrong number of operands; @limit_note follows
 * the length limit in its message (write says how to lift it).
 */
static bool parse_off_len(int argc, char **argv, int optind,
                          const char *usage, const char *limit_note,
                          int64_t *offset, int64_t *bytes)
{
    if (optind != argc - 2) {
        printf("%s\n", usage);
        return false;
    }
    if (!parse_bytes(argv[optind], offset) ||
        !parse_bytes(argv[optind + 1], bytes)) {
        return false;
    }
    if (*bytes > QEMU_IO_MAX_BYTES) {
        printf("length cannot exceed %" PRId64 "%s, given %s\n",
               (int64_t)QEMU_IO_MAX_BYTES, limit_note, argv[optind + 1]);
        return false;
    }
    return true;
}

/*
 * Minimal getopt over argv[1..]: letters from @flags set @seen, and with
 * @has_pattern "-P BYTE" fills @pattern. Returns the index of the first
 * operand, or -1 after printing the error (and @usage).
 */
static int parse_flags(int argc, char **argv, const char *flags,
                       const char *usage, bool *seen, int *pattern,
                       bool *has_pattern)
{
    int i;

    for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *p;

        for (p = argv[i] + 1; *p; p++) {
            if (*p == 'P' && has_pattern) {
                const char *arg = p[1] ? p + 1 : argv[++i];
                int64_t v;

                if (!arg) {
                    printf("%s\n", usage);
                    return -1;
                }
                if (qemu_strtoi64(arg, NULL, 0, &v) < 0 || v < 0 ||
                    v > 255) {
                    printf("%s is not a valid pattern byte\n", arg);
                    return -1;
                }
                *pattern = v;
                *has_pattern = true;
                break;
            }
            if (!strchr(flags, *p)) {
                printf("%s: invalid option -- '%c'\n%s\n", argv[0], *p,
                       usage);
                return -1;
            }
            seen[(unsigned char)*p] = true;
        }
    }
    return i;
}

/* A buffer for data requests over @count bytes, at most QEMU_IO_BUF_MAX. */
static uint8_t *io_buffer(int64_t count, int fill)
{
    size_t len = MIN(MAX(count, 1), QEMU_IO_BUF_MAX);
    uint8_t *buf = g_malloc(len);

    memset(buf, fill, len);
    return buf;
}

typedef struct CmdInfo CmdInfo;

/* One option letter of a command and what it does, for "help CMD" */
typedef struct CmdOption {
    char letter;
    const char *text;
} CmdOption;

/* The extended help "help CMD" prints after the usage line */
typedef struct CmdHelp {
    const char *summary;
    const char *example;        /* a command line, then what it does */
    const char *about;          /* lines separated by '\n' */
    CmdOption options[12];      /* in qemu-io's order; ends at letter 0 */
} CmdHelp;

struct CmdInfo {
    const char *name;
    const char *altname;        /* one-letter alias */
    int (*cfunc)(BlockBackend *blk, const CmdInfo *ct, int argc,
                 char **argv);
    int min_args, max_args;     /* words after the name; max -1: no limit */
    bool needs_write;           /* takes the write permission */
    /* "NAME [ARGS] -- one line": help, and wrong operands, print it */
    const char *usage;
    const CmdHelp *help;        /* or NULL */
};

static int write_f(BlockBackend *blk, const CmdInfo *ct, int argc,
                   char **argv)
{
    bool seen[256] = { false };
    bool has_pattern = false;
    int pattern = 0xcd;
    int64_t offset, count, done, start;
    BdrvRequestFlags flags = 0;
    int optind, ret = 0;

    optind = parse_flags(argc, argv, "bcCfnpquz", ct->usage, seen, &pattern,
                         &has_pattern);
    if (optind < 0 ||
        !parse_off_len(argc, argv, optind, ct->usage, " without -n",
                       &offset, &count)) {
        return -EINVAL;
    }
    if (seen['z'] && has_pattern) {
        printf("Only one of -z, -P, and -s can be specified at the same "
               "time\n");
        return -EINVAL;
    }
    if (seen['u'] && !seen['z']) {
        printf("-u requires -z to be specified\n");
        return -EINVAL;
    }
    flags |= seen['f'] ? BDRV_REQ_FUA : 0;
    flags |= seen['u'] ? BDRV_REQ_MAY_UNMAP : 0;

    start = now_ns();
    if (seen['z']) {
        ret = blk_pwrite_zeroes(blk, offset, count, flags);
    } else {
        g_autofree uint8_t *buf = io_buffer(count, pattern);

        /* One request unless the buffer bound splits it. */
        done = 0;
        do {
            int64_t num = MIN(count - done, QEMU_IO_BUF_MAX);

            ret = blk_pwrite(blk, offset + done, num, buf, flags);
            done += num;
        } while (ret >= 0 && done < count);
    }
    return io_done("write", "wrote", ret, seen['q'], offset, count, start);
}

/* With -P, a mismatch is reported but the read still counts as done. */
static void check_pattern(const uint8_t *buf, int64_t len, int pattern,
                          int64_t offset)
{
    int64_t i;

    for (i = 0; i < len; i++) {
        if (buf[i] != pattern) {
            printf("Pattern verification failed at offset %" PRId64
                   ", %" PRId64 " bytes\n", offset, len);
            return;
        }
    }
}

static int read_f(BlockBackend *blk, const CmdInfo *ct, int argc,
                  char **argv)
{
    bool seen[256] = { false };
    bool has_pattern = false;
    int pattern = 0;
    int64_t offset, count, done, start;
    g_autofree uint8_t *buf = NULL;
    int optind, ret = 0;

    optind = parse_flags(argc, argv, "bCqpv", ct->usage, seen, &pattern,
                         &has_pattern);
    if (optind < 0 ||
        !parse_off_len(argc, argv, optind, ct->usage, "", &offset, &count)) {
        return -EINVAL;
    }
    buf = io_buffer(count, 0);

    start = now_ns();
    done = 0;
    do {
        int64_t num = MIN(count - done, QEMU_IO_BUF_MAX);

        ret = blk_pread(blk, offset + done, num, buf, 0);
        if (ret >= 0 && has_pattern) {
            check_pattern(buf, num, pattern, offset + done);
        }
        done += num;
    } while (ret >= 0 && done < count);
    return io_done("read", "read", ret, seen['q'], offset, count, start);
}

static int discard_f(BlockBackend *blk, const CmdInfo *ct, int argc,
                     char **argv)
{
    bool seen[256] = { false };
    int64_t offset, bytes, start;
    int optind;

    optind = parse_flags(argc, argv, "Cq", ct->usage, seen, NULL, NULL);
    if (optind < 0 ||
        !parse_off_len(argc, argv, optind, ct->usage, "", &offset, &bytes)) {
        return -EINVAL;
    }
    start = now_ns();
    return io_done("discard", "discard", blk_pdiscard(blk, offset, bytes),
                   seen['q'], offset, bytes, start);
}

static int flush_f(BlockBackend *blk, const CmdInfo *ct, int argc,
                   char **argv)
{
    int ret = blk_flush(blk);

    if (ret < 0) {
        printf("flush failed: %s\n", strerror(-ret));
    }
    return ret;
}

/* The node's length in human_size() form ("1 GiB"). */
static int length_f(BlockBackend *blk, const CmdInfo *ct, int argc,
                    char **argv)
{
    int64_t len = blk_getlength(blk);
    g_autofree char *text = NULL;

    if (len < 0) {
        printf("getlength: %s\n", strerror(-len));
        return len;
    }
    text = human_size(len);
    printf("%s\n", text);
    return 0;
}

static const CmdHelp read_help = {
    .summary = "reads a range of bytes from the given offset",
    .example = "'read -v 512 1k' - dumps 1 kilobyte read from 512 bytes "
               "into the file",
    .about = "Reads a segment of the currently open file, optionally "
             "dumping it to the\n"
             "standard output stream (with -v option) for subsequent "
             "inspection.",
    .options = {
        { 'b', "read from the VM state rather than the virtual disk" },
        { 'C', "report statistics in a machine parsable format" },
        { 'l', "length for pattern verification (only with -P)" },
        { 'p', "ignored for backwards compatibility" },
        { 'P', "use a pattern to verify read data" },
        { 'q', "quiet mode, do not show I/O statistics" },
        { 's', "start offset for pattern verification (only with -P)" },
        { 'v', "dump buffer to standard output" },
    },
};

static const CmdHelp write_help = {
    .summary = "writes a range of bytes from the given offset",
    .example = "'write 512 1k' - writes 1 kilobyte at 512 bytes into the "
               "open file",
    .about = "Writes into a segment of the currently open file, using a "
             "buffer\n"
             "filled with a set pattern (0xcdcdcdcd).",
    .options = {
        { 'b', "write to the VM state rather than the virtual disk" },
        { 'c', "write compressed data with blk_write_compressed" },
        { 'f', "use Force Unit Access semantics" },
        { 'n', "with -z, don't allow slow fallback" },
        { 'p', "ignored for backwards compatibility" },
        { 'P', "use different pattern to fill file" },
        { 's', "use a pattern file to fill the write buffer" },
        { 'C', "report statistics in a machine parsable format" },
        { 'q', "quiet mode, do not show I/O statistics" },
        { 'u', "with -z, allow unmapping" },
        { 'z', "write zeroes using blk_co_pwrite_zeroes" },
    },
};

static const CmdHelp discard_help = {
    .summary = "discards a range of bytes from the given offset",
    .example = "'discard 512 1k' - discards 1 kilobyte from 512 bytes into "
               "the file",
    .about = "Discards a segment of the currently open file.",
    .options = {
        { 'C', "report statistics in a machine parsable format" },
        { 'q', "quiet mode, do not show I/O statistics" },
    },
};

static int help_f(BlockBackend *blk, const CmdInfo *ct, int argc,
                  char **argv);

/*
 * Names, operand counts and usage lines are qemu-io's; sorted by name,
 * the order in which "help" lists them.
 */
static const CmdInfo cmdtab[] = {
    { "discard", "d", discard_f, 2, -1, true,
      "discard [-Cq] off len -- "
      "discards a number of bytes at a specified offset", &discard_help },
    { "flush", "f", flush_f, 0, 0, false,
      "flush -- flush all in-core file state to disk", NULL },
    { "help", "?", help_f, 0, 1, false,
      "help [command] -- help for one or all commands", NULL },
    { "length", "l", length_f, 0, 0, false,
      "length -- gets the length of the current file", NULL },
    { "read", "r", read_f, 2, -1, false,
      "read [-abCqv] [-P pattern [-s off] [-l len]] off len -- "
      "reads a number of bytes at a specified offset", &read_help },
    { "write", "w", write_f, 2, -1, true,
      "write [-bcCfnquz] [-P pattern | -s source_file] off len -- "
      "writes a number of bytes at a specified offset", &write_help },
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

/*
 * @ct's usage line under the name it was asked for (qemu-io echoes an
 * alias: "help w" starts "w [-bcCfnquz] ..."), then its extended help.
 */
static void help_one(const CmdInfo *ct, const char *asked)
{
    const CmdHelp *h = ct->help;
    g_auto(GStrv) about = NULL;
    const CmdOption *opt;
    char **line;

    printf("%s%s\n", asked, ct->usage + strlen(ct->name));
    if (!h) {
        return;
    }
    printf("\n %s\n\n Example:\n %s\n\n", h->summary, h->example);
    about = g_strsplit(h->about, "\n", -1);
    for (line = about; *line; line++) {
        printf(" %s\n", *line);
    }
    for (opt = h->options; opt->letter; opt++) {
        printf(" -%c, -- %s\n", opt->letter, opt->text);
    }
    printf("\n");
}

static int help_f(BlockBackend *blk, const CmdInfo *ct, int argc,
                  char **argv)
{
    const CmdInfo *cmd;
    size_t i;

    if (argc == 2) {
        cmd = find_command(argv[1]);
        if (!cmd) {
            printf("command %s not found\n", argv[1]);
            return -EINVAL;
        }
        help_one(cmd, argv[1]);
        return 0;
    }
    for (i = 0; i < ARRAY_SIZE(cmdtab); i++) {
        printf("%s\n", cmdtab[i].usage);
    }
    printf("\nUse 'help commandname' for extended help.\n");
    return 0;
}

/* Is the operand count within @ct's bounds? Prints qemu-io's complaint. */
static bool args_ok(const CmdInfo *ct, int argc)
{
    int n = argc - 1;

    if (n >= ct->min_args && (ct->max_args < 0 || n <= ct->max_args)) {
        return true;
    }
    printf("bad argument count %d to %s, expected ", n, ct->name);
    if (ct->max_args < 0) {
        printf("at least %d arguments\n", ct->min_args);
    } else if (ct->min_args == ct->max_args) {
        printf("%d arguments\n", ct->min_args);
    } else {
        printf("between %d and %d arguments\n", ct->min_args,
               ct->max_args);
    }
    return false;
}

/* Run @ct, holding the write permission around it if it needs one. */
static void run_command(BlockBackend *blk, const CmdInfo *ct, int argc,
                        char **argv)
{
    BlockDriverState *bs = blk_bs(blk);
    Error *err = NULL;

    if (!args_ok(ct, argc)) {
        return;
    }
    if (!ct->needs_write || !bs) {
        ct->cfunc(blk, ct, argc, argv);
        return;
    }
    /* Like QEMU, take the write permission for the command only. */
    if (!bdrv_is_writable(bs)) {
        error_report("Block node is read-only");
        return;
    }
    if (bdrv_add_write_user(bs, &err) < 0) {
        error_report_err(err);
        return;
    }
    ct->cfunc(blk, ct, argc, argv);
    bdrv_remove_write_user(bs);
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
            goto out;
        }
        argv[argc++] = words[i];
    }
    argv[argc] = NULL;
    if (!argc) {
        return false;
    }
    ct = find_command(argv[0]);
    if (ct) {
        run_command(blk, ct, argc, argv);
    } else {
        printf("command \"%s\" not found\n", argv[0]);
    }
out:
    fflush(stdout);
    return false;
}
