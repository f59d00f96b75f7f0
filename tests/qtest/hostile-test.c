/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hostile input to QMP, HMP and the command line: nothing may crash. */
#include "qemu/osdep.h"

#include "libqtest.h"

/*
 * One deterministic stream of random cases per test.  The seed is printed;
 * HOSTILE_SEED=<n> replays it, HOSTILE_CASES=<n> runs longer.
 */
#define COMMON_ARGS "-M none -nodefaults -S"
#define DEFAULT_CASES 400

typedef struct Hostile {
    GRand *rand;            /* the case generator */
    QTestState *qts;        /* the process under attack */
    char *imgpath;          /* a 1 MiB scratch file behind node "file0" */
} Hostile;

static guint32 hostile_seed(void)
{
    const char *s = g_getenv("HOSTILE_SEED");

    return s ? (guint32)g_ascii_strtoull(s, NULL, 0) : 0x16161616;
}

static int hostile_cases(void)
{
    const char *s = g_getenv("HOSTILE_CASES");

    return s ? (int)g_ascii_strtoll(s, NULL, 0) : DEFAULT_CASES;
}

static int rnd(Hostile *h, int n)
{
    return g_rand_int_range(h->rand, 0, n);
}

static bool chance(Hostile *h, int percent)
{
    return rnd(h, 100) < percent;
}

#define PICK(h, tbl) ((tbl)[rnd((h), G_N_ELEMENTS(tbl))])

/* Integers as JSON text: edges of every width, plus junk numbers. */
static const char *const ints[] = {
    "0", "-1", "1", "3", "511", "512", "1000", "65536", "1048576",
    "2147483648", "4294967295", "4294967296", "-4294967296",
    "9223372036854775807", "-9223372036854775808", "9223372036854775808",
    "18446744073709551615", "18446744073709551616", "1e300", "1.5", "-0",
    "0.0", "-1e-300", "100000000000000000000000000000",
};

static void gen_int(Hostile *h, GString *out)
{
    if (chance(h, 20)) {
        g_string_append_printf(out, "%" PRId64,
                               (gint64)((guint64)g_rand_int(h->rand) <<
                                        rnd(h, 33)));
    } else {
        g_string_append(out, PICK(h, ints));
    }
}

/* Names a node or bitmap may be called, including the auto-generated form */
static const char *const names[] = {
    "null0", "file0", "raw0", "cor0", "bitmap0", "bitmap1", "b", "",
    "#block123", "#block0", "#", "drive0", "nonexistent", "a b", "-x",
    "\\u0000", "bitmap\\u0000x", "\\u00ff\\u1234", "..", "null0/x",
    "0abc", "_x", "x.y",
};

static void gen_chars(Hostile *h, GString *out, size_t len)
{
    static const char alphabet[] = "abcXYZ019_-.#/ ,=:";
    size_t i;

    for (i = 0; i < len; i++) {
        g_string_append_c(out, alphabet[rnd(h, sizeof(alphabet) - 1)]);
    }
}

static void gen_str(Hostile *h, GString *out)
{
    static const size_t lens[] = { 0, 1, 127, 128, 300, 1023, 1100, 70000 };

    g_string_append_c(out, '"');
    if (chance(h, 60)) {
        g_string_append(out, PICK(h, names));
    } else {
        gen_chars(h, out, PICK(h, lens));
    }
    g_string_append_c(out, '"');
}

static void gen_value(Hostile *h, GString *out, int depth);

static void gen_nested(Hostile *h, GString *out)
{
    static const int depths[] = { 10, 100, 1000, 1024, 1025, 1100 };
    int d = PICK(h, depths);
    int i;

    for (i = 0; i < d; i++) {
        g_string_append_c(out, '[');
    }
    for (i = 0; i < d; i++) {
        g_string_append_c(out, ']');
    }
}

static void gen_value(Hostile *h, GString *out, int depth)
{
    int i, n;

    switch (rnd(h, depth > 3 ? 5 : 8)) {
    case 0:
        gen_int(h, out);
        break;
    case 1:
    case 2:
        gen_str(h, out);
        break;
    case 3:
        g_string_append(out, chance(h, 50) ? "true" : "false");
        break;
    case 4:
        g_string_append(out, "null");
        break;
    case 5:
        n = rnd(h, 4);
        g_string_append_c(out, '[');
        for (i = 0; i < n; i++) {
            g_string_append(out, i ? "," : "");
            gen_value(h, out, depth + 1);
        }
        g_string_append_c(out, ']');
        break;
    case 6:
        n = rnd(h, 4);
        g_string_append_c(out, '{');
        for (i = 0; i < n; i++) {
            g_string_append_printf(out, "%s\"%s\":", i ? "," : "",
                                   PICK(h, names));
            gen_value(h, out, depth + 1);
        }
        g_string_append_c(out, '}');
        break;
    default:
        /* over-deep input gets one error per fragment: keep it rare */
        if (chance(h, 25)) {
            gen_nested(h, out);
        } else {
            gen_str(h, out);
        }
        break;
    }
}

/* A member: usually a plausible value, sometimes anything at all. */
static void member(Hostile *h, GString *out, const char *key,
                   void (*good)(Hostile *, GString *))
{
    if (chance(h, 10)) {
        return;                 /* missing */
    }
    if (out->str[out->len - 1] != '{') {
        g_string_append_c(out, ',');
    }
    g_string_append_printf(out, "\"%s\":", key);
    if (good && chance(h, 75)) {
        good(h, out);
    } else {
        gen_value(h, out, 0);
    }
}

static void good_name(Hostile *h, GString *out)
{
    g_string_append_printf(out, "\"%s\"", PICK(h, names));
}

static void good_bool(Hostile *h, GString *out)
{
    g_string_append(out, chance(h, 50) ? "true" : "false");
}

static void good_gran(Hostile *h, GString *out)
{
    static const char *const g[] = {
        "0", "1", "511", "512", "65536", "65537", "2147483648",
        "4294967296", "9223372036854775808", "-1", "-512", "1073741824",
    };

    g_string_append(out, PICK(h, g));
}

static void good_size(Hostile *h, GString *out)
{
    static const char *const s[] = {
        "0", "-1", "512", "1048576", "9223372036854775807",
        "-9223372036854775808", "9223372036854775296", "1099511627776",
        "17592186044416", "18446744073709551615", "511",
    };

    g_string_append(out, PICK(h, s));
}

static void good_bitmap_list(Hostile *h, GString *out)
{
    int i, n = rnd(h, 4);

    g_string_append_c(out, '[');
    for (i = 0; i < n; i++) {
        g_string_append(out, i ? "," : "");
        if (chance(h, 50)) {
            good_name(h, out);
        } else {
            g_string_append(out, "{");
            member(h, out, "node", good_name);
            member(h, out, "name", good_name);
            g_string_append(out, "}");
        }
    }
    g_string_append_c(out, ']');
}

static void extra_members(Hostile *h, GString *out)
{
    if (chance(h, 10)) {
        g_string_append(out, out->str[out->len - 1] == '{' ? "" : ",");
        g_string_append(out, "\"bogus-member\":");
        gen_value(h, out, 0);
    }
}

static void gen_blockdev(Hostile *h, GString *out, int depth);

static void good_blockref(Hostile *h, GString *out)
{
    if (chance(h, 50)) {
        good_name(h, out);
    } else {
        gen_blockdev(h, out, 1);
    }
}

static void good_filename(Hostile *h, GString *out)
{
    static const char *const f[] = {
        "", "/nonexistent/x", "/", "/dev/null", "/proc/self/mem",
        "relative-file-that-does-not-exist", "/tmp",
    };

    if (chance(h, 80)) {
        g_string_append_printf(out, "\"%s\"", PICK(h, f));
    } else {
        gen_str(h, out);
    }
}

static void good_driver(Hostile *h, GString *out)
{
    static const char *const d[] = {
        "null-co", "null-aio", "file", "raw", "copy-on-read", "qcow2",
        "vvfat", "bogus", "", "nbd",
    };

    g_string_append_printf(out, "\"%s\"", PICK(h, d));
}

/* blockdev-add options (the command's arguments, or a nested child). */
static void gen_blockdev(Hostile *h, GString *out, int depth)
{
    static const char *const drivers[] = {
        "null-co", "null-aio", "file", "raw", "copy-on-read", "qcow2",
    };
    const char *drv = PICK(h, drivers);

    g_string_append_printf(out, "{\"driver\":\"%s\"", drv);
    if (chance(h, 10)) {
        member(h, out, "driver", good_driver);
    }
    if (chance(h, 85)) {
        member(h, out, "node-name", good_name);
    }
    if (chance(h, 20)) {
        member(h, out, "read-only", good_bool);
    }
    if (chance(h, 10)) {
        member(h, out, "detect-zeroes", NULL);
    }
    if (chance(h, 10)) {
        member(h, out, "cache", NULL);
    }
    if (g_str_has_prefix(drv, "null")) {
        member(h, out, "size", good_size);
        if (chance(h, 20)) {
            member(h, out, "latency-ns", good_size);
        }
        if (chance(h, 20)) {
            member(h, out, "read-zeroes", good_bool);
        }
    } else if (!strcmp(drv, "file")) {
        member(h, out, "filename", good_filename);
        if (chance(h, 20)) {
            member(h, out, "locking", NULL);
        }
        if (chance(h, 20)) {
            member(h, out, "aio", NULL);
        }
    } else if (depth < 3) {
        if (!strcmp(drv, "copy-on-read") && chance(h, 30)) {
            /* a child that refers to the node itself */
            g_string_append(out, ",\"node-name\":\"self0\","
                            "\"file\":\"self0\"");
        } else {
            member(h, out, "file", good_blockref);
        }
        if (!strcmp(drv, "raw")) {
            if (chance(h, 40)) {
                member(h, out, "offset", good_size);
            }
            if (chance(h, 40)) {
                member(h, out, "size", good_size);
            }
        } else if (!strcmp(drv, "copy-on-read") && chance(h, 30)) {
            member(h, out, "bottom", good_name);
        } else if (!strcmp(drv, "qcow2") && chance(h, 30)) {
            member(h, out, "backing", good_blockref);
        }
    }
    extra_members(h, out);
    g_string_append_c(out, '}');
}

static void good_uri(Hostile *h, GString *out)
{
    static const char *const u[] = {
        "", "bogus", "bogus:", "tcp:", "tcp:127.0.0.1", "tcp:127.0.0.1:1",
        "tcp:256.256.256.256:1", "tcp:[::1", "tcp:127.0.0.1:99999",
        "tcp:127.0.0.1:-1", "unix:", "unix:/nonexistent/sock",
        "file:/nonexistent/dir/x", "file:", "fd:bogus", "fd:", "rdma:x:1",
        "exec:", "exec:false", "exec:cat >/dev/null", "defer",
        "tcp:localhost:0", "unix:/dev/null",
    };

    if (chance(h, 90)) {
        g_string_append_printf(out, "\"%s\"", PICK(h, u));
    } else {
        /* random text: no "exec:" prefix is possible from gen_chars() */
        g_string_append(out, "\"tcp:");
        gen_chars(h, out, rnd(h, 300));
        g_string_append_c(out, '"');
    }
}

static void good_caps(Hostile *h, GString *out)
{
    static const char *const c[] = {
        "dirty-bitmaps", "postcopy-ram", "events", "late-block-activate",
        "pause-before-switchover", "xbzrle", "bogus", "",
        "return-path", "zero-blocks",
    };
    int i, n = rnd(h, 4);

    g_string_append_c(out, '[');
    for (i = 0; i < n; i++) {
        g_string_append(out, i ? "," : "");
        if (chance(h, 85)) {
            g_string_append_printf(out, "{\"capability\":\"%s\"",
                                   PICK(h, c));
            member(h, out, "state", good_bool);
            extra_members(h, out);
            g_string_append_c(out, '}');
        } else {
            gen_value(h, out, 1);
        }
    }
    g_string_append_c(out, ']');
}

static void good_bitmap_alias(Hostile *h, GString *out)
{
    g_string_append_c(out, '{');
    member(h, out, "name", good_name);
    member(h, out, "alias", good_name);
    if (chance(h, 30)) {
        g_string_append(out, ",\"transform\":{");
        if (chance(h, 50)) {
            member(h, out, "persistent", good_bool);
        }
        extra_members(h, out);
        g_string_append_c(out, '}');
    }
    g_string_append_c(out, '}');
}

static void good_alias_list(Hostile *h, GString *out)
{
    int i, n = rnd(h, 4);

    g_string_append_c(out, '[');
    for (i = 0; i < n; i++) {
        g_string_append(out, i ? "," : "");
        good_bitmap_alias(h, out);
    }
    g_string_append_c(out, ']');
}

static void good_mapping(Hostile *h, GString *out)
{
    int i, n = rnd(h, 4);

    g_string_append_c(out, '[');
    for (i = 0; i < n; i++) {
        g_string_append(out, i ? "," : "");
        g_string_append_c(out, '{');
        member(h, out, "node-name", good_name);
        member(h, out, "alias", good_name);
        member(h, out, "bitmaps", good_alias_list);
        extra_members(h, out);
        g_string_append_c(out, '}');
    }
    g_string_append_c(out, ']');
}

static void gen_set_parameters(Hostile *h, GString *out)
{
    static const char *const params[] = {
        "announce-initial", "compress-level", "max-bandwidth",
        "downtime-limit", "multifd-channels", "xbzrle-cache-size",
        "max-postcopy-bandwidth", "tls-creds", "multifd-compression",
        "cpu-throttle-initial", "x-checkpoint-delay",
    };
    int i, n = rnd(h, 3);

    g_string_append_c(out, '{');
    if (chance(h, 60)) {
        member(h, out, "block-bitmap-mapping", good_mapping);
    }
    for (i = 0; i < n; i++) {
        member(h, out, PICK(h, params), chance(h, 50) ? good_size : NULL);
    }
    extra_members(h, out);
    g_string_append_c(out, '}');
}

/* qemu-io command text for a device: odd offsets, lengths and quoting. */
static void gen_qemu_io(Hostile *h, GString *out)
{
    static const char *const ops[] = {
        "read", "write", "write -z", "write -P 0xff", "write -P 300",
        "discard", "read -v", "help", "bogus", "read -P 0", "write -c",
        "aio_read", "flush", "length", "info", "",
    };
    static const char *const nums[] = {
        "0", "-1", "512", "1k", "1M", "64k", "1048575", "1048576",
        "99999999999T", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "18446744073709551615", "1.5G", "0x10",
        "1E", "16E", "8E", "abc", "", "1e3", "4294967296", "1P",
    };

    g_string_append(out, PICK(h, ops));
    if (chance(h, 90)) {
        g_string_append_printf(out, " %s", PICK(h, nums));
    }
    if (chance(h, 90)) {
        g_string_append_printf(out, " %s", PICK(h, nums));
    }
    if (chance(h, 5)) {
        g_string_append(out, " extra");
    }
}

/* A human monitor command line (never quit, never exec:). */
static void gen_hmp(Hostile *h, GString *out)
{
    static const char *const cmds[] = {
        "info", "info status", "info version", "info name", "info migrate",
        "info migrate_capabilities", "info migrate_parameters", "info bogus",
        "help", "help info", "?", "help bogus", "stop", "cont", "c", "s",
        "qemu-io", "qemu-io -d", "qemu-io -d null0", "bogus", "", " ",
        "info block", "info \\\"", "qemu-io \\\"", "migrate", "-d",
        "info block -v", "info block -n", "migrate_set_capability events",
        "migrate_set_parameter downtime-limit",
        "migrate_set_parameter max-bandwidth", "migrate_continue",
        "migrate_cancel", "migrate_start_postcopy", "migrate -d -r",
    };
    static const char *const devs[] = {
        "null0", "raw0", "file0", "#block0", "nonexistent", "\\\"", "''",
        "", "cor0",
    };
    static const char *const junk[] = {
        "\\\"", "'", "\\\\", "\\\"unterminated", "'unterminated", "a b c",
        "\\t", "\\u0000", "{", "}", "%s%s%s%n",
    };
    int k = rnd(h, 10);

    if (k < 5) {
        /* well-formed qemu-io with odd numbers */
        g_string_append_printf(out, "qemu-io %s%s \\\"", chance(h, 10) ?
                               "-d " : "", PICK(h, devs));
        gen_qemu_io(h, out);
        g_string_append(out, chance(h, 90) ? "\\\"" : "");
    } else if (k < 6) {
        /* a very long line */
        g_string_append(out, chance(h, 50) ? "qemu-io null0 \\\"read " :
                        "info ");
        gen_chars(h, out, chance(h, 50) ? 5000 : 70000);
    } else {
        g_string_append(out, PICK(h, cmds));
        while (chance(h, 40)) {
            g_string_append_printf(out, " %s", PICK(h, junk));
        }
    }
}

/* Arguments for @cmd (an object, usually; sometimes not even that). */
static void gen_args(Hostile *h, const char *cmd, GString *out)
{
    if (chance(h, 4)) {
        gen_value(h, out, 0);
        return;
    }
    if (!strcmp(cmd, "blockdev-add")) {
        gen_blockdev(h, out, 0);
        return;
    }
    if (!strcmp(cmd, "migrate-set-parameters")) {
        gen_set_parameters(h, out);
        return;
    }
    g_string_append_c(out, '{');
    if (g_str_has_prefix(cmd, "block-dirty-bitmap-")) {
        member(h, out, "node", good_name);
        if (!strcmp(cmd, "block-dirty-bitmap-merge")) {
            member(h, out, "target", good_name);
            member(h, out, "bitmaps", good_bitmap_list);
        } else {
            member(h, out, "name", good_name);
        }
        if (!strcmp(cmd, "block-dirty-bitmap-add")) {
            member(h, out, "granularity", good_gran);
            if (chance(h, 50)) {
                member(h, out, "persistent", good_bool);
            }
            if (chance(h, 50)) {
                member(h, out, "disabled", good_bool);
            }
        }
    } else if (!strcmp(cmd, "blockdev-del")) {
        member(h, out, "node-name", good_name);
    } else if (!strcmp(cmd, "migrate") ||
               !strcmp(cmd, "migrate-incoming")) {
        member(h, out, "uri", good_uri);
        if (chance(h, 20)) {
            member(h, out, "blk", good_bool);
        }
        if (chance(h, 20)) {
            member(h, out, "detach", good_bool);
        }
        if (chance(h, 10)) {
            member(h, out, "resume", good_bool);
        }
    } else if (!strcmp(cmd, "migrate-set-capabilities")) {
        member(h, out, "capabilities", good_caps);
    } else if (!strcmp(cmd, "human-monitor-command")) {
        if (chance(h, 95)) {
            g_string_append(out, "\"command-line\":\"");
            gen_hmp(h, out);
            g_string_append_c(out, '"');
        } else {
            member(h, out, "command-line", NULL);
        }
        if (chance(h, 20)) {
            member(h, out, "cpu-index", NULL);
        }
    } else if (!strcmp(cmd, "qmp_capabilities")) {
        if (chance(h, 50)) {
            member(h, out, "enable", NULL);
        }
    } else if (!strcmp(cmd, "query-block") ||
               !strcmp(cmd, "query-named-block-nodes")) {
        if (chance(h, 30)) {
            member(h, out, "flat", good_bool);
        }
    }
    extra_members(h, out);
    g_string_append_c(out, '}');
}

/*
 * The process must still answer, and be in a state QEMU knows.  Garbage
 * such as over-deep nesting gets one error per fragment (as QEMU), so
 * skip replies up to the one tagged with our id.
 */
static void assert_alive(Hostile *h)
{
    static unsigned serial;
    g_autofree char *id = g_strdup_printf("alive-%u", ++serial);
    json_t *rsp;
    int skipped;

    qtest_qmp_send(h->qts,
                   "{\"execute\":\"query-status\",\"id\":\"%s\"}", id);
    for (skipped = 0; ; skipped++) {
        const char *rid;

        rsp = qtest_qmp_receive(h->qts);
        rid = json_string_value(json_object_get(rsp, "id"));
        if (rid && !strcmp(rid, id)) {
            break;
        }
        g_assert_cmpint(skipped, <, 100000);
        json_decref(rsp);
    }
    if (!json_string_value(json_object_get(json_object_get(rsp, "return"),
                                           "status"))) {
        g_autofree char *t = json_dumps(rsp, JSON_COMPACT);

        g_error("query-status after a case: %s", t);
    }
    json_decref(rsp);
}

/* A reply is a "return" or an "error" with a class and a description. */
static void check_reply(json_t *rsp, const char *cmd)
{
    json_t *err = json_object_get(rsp, "error");

    if (json_object_get(rsp, "return")) {
        return;
    }
    if (!err || !json_string_value(json_object_get(err, "class")) ||
        !json_string_value(json_object_get(err, "desc")) ||
        !*json_string_value(json_object_get(err, "desc"))) {
        g_autofree char *t = json_dumps(rsp, JSON_COMPACT);

        g_error("bad reply to %.300s: %s", cmd, t);
    }
}

static void hostile_setup(Hostile *h, guint32 seed)
{
    g_autofree char *args = NULL;
    int fd;

    h->rand = g_rand_new_with_seed(seed);
    h->imgpath = g_strdup_printf("%s/hostile-img.XXXXXX", g_get_tmp_dir());
    fd = g_mkstemp(h->imgpath);
    g_assert(fd >= 0);
    g_assert(ftruncate(fd, 1024 * 1024) == 0);
    close(fd);
    args = g_strdup_printf(COMMON_ARGS
        " -blockdev null-co,node-name=null0,size=16777216"
        " -blockdev file,node-name=file0,filename=%s"
        " -blockdev raw,node-name=raw0,file=file0", h->imgpath);
    h->qts = qtest_init(args);
    qtest_set_timeout(h->qts, 60);
}

static void hostile_teardown(Hostile *h)
{
    json_t *rsp;

    /* Whatever happened, the process still quits cleanly. */
    rsp = qtest_qmp(h->qts, "{'execute':'migrate_cancel'}");
    json_decref(rsp);
    qtest_quit(h->qts);
    unlink(h->imgpath);
    g_free(h->imgpath);
    g_rand_free(h->rand);
}

static GPtrArray *list_commands(Hostile *h)
{
    json_t *rsp = qtest_qmp(h->qts, "{'execute':'query-commands'}");
    json_t *ret = json_object_get(rsp, "return");
    GPtrArray *cmds = g_ptr_array_new_with_free_func(g_free);
    json_t *c;
    size_t i;

    g_assert_true(json_is_array(ret));
    json_array_foreach(ret, i, c) {
        const char *name = json_string_value(json_object_get(c, "name"));

        g_assert_nonnull(name);
        if (strcmp(name, "quit")) {
            g_ptr_array_add(cmds, g_strdup(name));
        }
    }
    json_decref(rsp);
    g_assert_cmpint(cmds->len, >, 5);
    return cmds;
}

/* Send one command built by the generator; the reply must be well-formed. */
static void run_case(Hostile *h, const char *cmd, const char *args)
{
    g_autofree char *text = NULL;
    json_t *rsp;

    if (args) {
        text = g_strdup_printf("{\"execute\":\"%s\",\"arguments\":%s}",
                               cmd, args);
    } else {
        text = g_strdup_printf("{\"execute\":\"%s\"}", cmd);
    }
    if (g_test_verbose()) {
        g_test_message("case: %.400s", text);
    }
    rsp = qtest_qmp(h->qts, "%s", text);
    check_reply(rsp, text);
    json_decref(rsp);
    assert_alive(h);
}

static void test_qmp_random(void)
{
    Hostile h;
    guint32 seed = hostile_seed();
    g_autoptr(GPtrArray) cmds = NULL;
    int i, n = hostile_cases();

    g_test_message("seed 0x%08" PRIx32 " (HOSTILE_SEED), %d cases", seed, n);
    hostile_setup(&h, seed);
    cmds = list_commands(&h);
    for (i = 0; i < n; i++) {
        const char *cmd = g_ptr_array_index(cmds, rnd(&h, cmds->len));
        g_autoptr(GString) args = g_string_new(NULL);

        /* the bitmap commands and blockdev-add get extra weight */
        if (chance(&h, 40)) {
            static const char *const hot[] = {
                "block-dirty-bitmap-add", "block-dirty-bitmap-remove",
                "block-dirty-bitmap-merge", "block-dirty-bitmap-enable",
                "block-dirty-bitmap-disable", "block-dirty-bitmap-clear",
                "blockdev-add", "blockdev-del", "human-monitor-command",
                "migrate", "migrate_cancel", "migrate-set-parameters",
            };
            cmd = PICK(&h, hot);
        }
        if (chance(&h, 5)) {
            run_case(&h, cmd, NULL);
            continue;
        }
        gen_args(&h, cmd, args);
        run_case(&h, cmd, args->str);
    }
    hostile_teardown(&h);
}

/* Requests that are not even commands. */
static void test_qmp_malformed(void)
{
    static const char *const reqs[] = {
        "{}", "[]", "1", "\"x\"", "null",
        "{\"execute\":1}", "{\"execute\":\"\"}", "{\"execute\":null}",
        "{\"execute\":\"query-status\",\"arguments\":[]}",
        "{\"execute\":\"query-status\",\"arguments\":1}",
        "{\"execute\":\"query-status\",\"id\":{\"a\":[1,2]}}",
        "{\"execute\":\"query-status\",\"bogus\":1}",
        "{\"exec-oob\":\"query-status\"}",
        "{\"execute\":\"query-status\",\"exec-oob\":\"query-status\"}",
        "{\"execute\":\"query-status\\u0000\"}",
        "{\"execute\":\"qmp_capabilities\"}",
        "{\"execute\":\"block-dirty-bitmap-add\",\"arguments\":"
        "{\"node\":\"null0\",\"name\":\"b\",\"name\":\"c\"}}",
    };
    Hostile h;
    size_t i;

    hostile_setup(&h, hostile_seed());
    for (i = 0; i < G_N_ELEMENTS(reqs); i++) {
        /* a newline ends a bare number for the JSON streamer */
        json_t *rsp = qtest_qmp(h.qts, "%s\n", reqs[i]);

        check_reply(rsp, reqs[i]);
        json_decref(rsp);
        assert_alive(&h);
    }
    hostile_teardown(&h);
}

/* Ordered bitmap life cycles mixed with migration to nowhere. */
static void test_bitmap_sequences(void)
{
    static const char *const steps[] = {
        "{'execute':'block-dirty-bitmap-add','arguments':"
        "{'node':'%s','name':'%s'}}",
        "{'execute':'block-dirty-bitmap-add','arguments':"
        "{'node':'%s','name':'%s','granularity':65536,'disabled':true}}",
        "{'execute':'block-dirty-bitmap-add','arguments':"
        "{'node':'%s','name':'%s','persistent':true}}",
        "{'execute':'block-dirty-bitmap-remove','arguments':"
        "{'node':'%s','name':'%s'}}",
        "{'execute':'block-dirty-bitmap-enable','arguments':"
        "{'node':'%s','name':'%s'}}",
        "{'execute':'block-dirty-bitmap-disable','arguments':"
        "{'node':'%s','name':'%s'}}",
        "{'execute':'block-dirty-bitmap-clear','arguments':"
        "{'node':'%s','name':'%s'}}",
        "{'execute':'block-dirty-bitmap-merge','arguments':"
        "{'node':'%s','target':'%s','bitmaps':['b0','b1',"
        "{'node':'raw0','name':'b2'}]}}",
        "{'execute':'human-monitor-command','arguments':"
        "{'command-line':'qemu-io %s \"write -P 1 %s 4k\"'}}",
    };
    static const char *const others[] = {
        "{'execute':'migrate','arguments':{'uri':'exec:cat >/dev/null'}}",
        "{'execute':'migrate','arguments':{'uri':'tcp:127.0.0.1:1'}}",
        "{'execute':'migrate_cancel'}",
        "{'execute':'cont'}",
        "{'execute':'stop'}",
        "{'execute':'migrate-set-capabilities','arguments':{'capabilities':"
        "[{'capability':'dirty-bitmaps','state':true}]}}",
        "{'execute':'migrate-set-parameters','arguments':"
        "{'block-bitmap-mapping':[{'node-name':'null0','alias':'n',"
        "'bitmaps':[{'name':'b0','alias':'b0'}]}]}}",
        "{'execute':'migrate-set-parameters','arguments':"
        "{'block-bitmap-mapping':[]}}",
        "{'execute':'blockdev-del','arguments':{'node-name':'raw0'}}",
        "{'execute':'blockdev-add','arguments':{'driver':'raw',"
        "'node-name':'raw0','file':'file0'}}",
        "{'execute':'blockdev-add','arguments':{'driver':'null-co',"
        "'node-name':'big0','size':9223372036854775296}}",
        "{'execute':'blockdev-del','arguments':{'node-name':'big0'}}",
    };
    static const char *const nodes[] = { "null0", "raw0", "file0", "big0" };
    static const char *const bnames[] = { "b0", "b1", "b2", "bitmap0" };
    static const char *const offs[] = { "0", "1M", "15M", "-512", "16E" };
    Hostile h;
    guint32 seed = hostile_seed() + 1;
    int i, n = hostile_cases();

    g_test_message("seed 0x%08" PRIx32 " (HOSTILE_SEED + 1)", seed);
    hostile_setup(&h, seed);
    for (i = 0; i < n; i++) {
        g_autofree char *text = NULL;
        int k = rnd(&h, G_N_ELEMENTS(steps) + G_N_ELEMENTS(others));
        json_t *rsp;

        if (k < (int)G_N_ELEMENTS(steps)) {
            text = g_strdup_printf(steps[k], PICK(&h, nodes),
                                   k == 8 ? PICK(&h, offs) :
                                   PICK(&h, bnames));
        } else {
            text = g_strdup(others[k - G_N_ELEMENTS(steps)]);
        }
        if (g_test_verbose()) {
            g_test_message("case: %s", text);
        }
        rsp = qtest_qmp(h.qts, "%s", text);
        check_reply(rsp, text);
        json_decref(rsp);
        assert_alive(&h);
    }
    hostile_teardown(&h);
}

/* Broken command lines: exit status 1 with an error line, never a signal */
static void test_cmdline(void)
{
    static const char *const argss[] = {
        "-blockdev '{'",
        "-blockdev '{\"driver\":\"null-co\"'",
        "-blockdev '{\"driver\":1}'",
        "-blockdev '{\"driver\":\"null-co\",\"size\":-1}'",
        "-blockdev '[]'",
        "-blockdev ''",
        "-blockdev driver=null-co,size=99999999999999999999999",
        "-blockdev driver=null-co,size=-1,node-name=a",
        "-blockdev driver=null-co,cache.direct=maybe",
        "-blockdev driver=raw,file.driver=raw,file.file.driver=bogus",
        "-blockdev driver=raw,file=nonexistent",
        "-blockdev driver=copy-on-read,node-name=c,file=c",
        "-blockdev driver=file,filename=/nonexistent/x",
        "-blockdev driver=file",
        "-blockdev driver=null-co,node-name=#block1",
        "-blockdev driver=null-co,node-name=",
        "-blockdev driver=null-co,a.b.c.d=1",
        "-blockdev driver=null-co,a..b=1",
        "-blockdev driver=null-co,.=1",
        "-blockdev driver=null-co,,",
        "-blockdev driver=null-co,node-name=a -blockdev driver=null-co,"
        "node-name=a",
        "-drive junk",
        "-drive if=none,format=bogus,file=/dev/null",
        "-drive if=none,id=",
        "-drive if=none,file=/nonexistent/x",
        "-drive ,,,",
        "-chardev junk",
        "-chardev socket",
        "-chardev socket,id=c,path=/nonexistent/dir/s,server=on,wait=off",
        "-chardev bogus,id=x",
        "-chardev socket,id=c,host=localhost,port=99999",
        "-mon junk",
        "-mon chardev=nonexistent",
        "-mon chardev=c,mode=bogus",
        "-qmp junk",
        "-qmp unix:",
        "-qmp tcp:256.1.1.1:1",
        "-qmp unix:/nonexistent/dir/s,server=on,wait=off",
        "-incoming junk",
        "-incoming ''",
        "-incoming tcp:",
        "-incoming unix:/nonexistent/dir/s",
        "-trace junk=1",
        "-trace events=/nonexistent/x",
        "-trace file=/nonexistent/dir/x",
        "-M junk",
        "-M none,bogus=1",
        "-machine type=",
        "-m -1",
        "-m 99999999999T",
        "-S -S -S -bogus",
        "-global junk",
    };
    g_autofree char *prog = g_path_get_basename(qtest_binary());
    g_autofree char *prefix = g_strdup_printf("%s: ", prog);
    size_t i;

    qtest_set_default_timeout(30);
    for (i = 0; i < G_N_ELEMENTS(argss); i++) {
        g_autofree char *out = NULL;
        g_autofree char *args = g_strdup_printf("-M none -nodefaults %s",
                                                argss[i]);
        int status = qtest_run(args, &out);
        g_auto(GStrv) lines = NULL;

        if (g_test_verbose()) {
            g_test_message("%s -> %d: %s", args, status, out);
        }
        if (status != 1) {
            g_error("'%s' exited with %d (want 1): %s", args, status, out);
        }
        lines = g_strsplit(out, "\n", -1);
        /* one error line (QEMU adds up to two hint lines) and a newline */
        if (!g_str_has_prefix(out, prefix) || !g_str_has_suffix(out, "\n") ||
            g_strv_length(lines) > 4) {
            g_error("'%s': want one error line, got: %s", args, out);
        }
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hostile/cmdline", test_cmdline);
    g_test_add_func("/hostile/qmp/malformed", test_qmp_malformed);
    g_test_add_func("/hostile/qmp/random", test_qmp_random);
    g_test_add_func("/hostile/qmp/bitmap-sequences", test_bitmap_sequences);
    return g_test_run();
}
