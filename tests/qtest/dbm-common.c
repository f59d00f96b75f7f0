/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared helpers for the dirty-bitmap migration integration suite. */

#include "qemu/osdep.h"
#include "dbm-common.h"

/* Upper bound for polling loops (QMP round trips, no sleeping). */
#define DBM_POLL_SECONDS 60

DBMOracle *dbm_oracle_new(uint64_t disk_size, uint64_t granularity,
                          bool enabled)
{
    DBMOracle *o = g_new0(DBMOracle, 1);

    o->disk_size = disk_size;
    o->granularity = granularity;
    o->nbits = DIV_ROUND_UP(disk_size, granularity);
    o->enabled = enabled;
    o->bits = g_malloc0(DIV_ROUND_UP(o->nbits, 64) * 8);
    return o;
}

void dbm_oracle_free(DBMOracle *o)
{
    if (o) {
        g_free(o->bits);
        g_free(o);
    }
}

void dbm_oracle_write(DBMOracle *o, uint64_t off, uint64_t len, bool force)
{
    uint64_t g, last;

    if ((!o->enabled && !force) || !len) {
        return;
    }
    g_assert_cmpuint(off + len, <=, o->disk_size);
    last = (off + len - 1) / o->granularity;
    for (g = off / o->granularity; g <= last; g++) {
        o->bits[g / 8] |= 1u << (g % 8);
    }
}

uint64_t dbm_oracle_count(const DBMOracle *o)
{
    uint64_t g, count = 0;

    for (g = 0; g < o->nbits; g++) {
        if (o->bits[g / 8] & (1u << (g % 8))) {
            count += o->granularity;
        }
    }
    return count;
}

char *dbm_oracle_sha256(const DBMOracle *o)
{
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, o->bits,
                                       DIV_ROUND_UP(o->nbits, 64) * 8);
}

static QTestState *vm_start(const char *extra, const char *fmt, va_list ap)
{
    g_autofree char *args = g_strdup_vprintf(fmt, ap);

    return qtest_initf(DBM_BASE_ARGS "%s%s", args, extra);
}

QTestState *dbm_vm_start(const char *fmt, ...)
{
    QTestState *s;
    va_list ap;

    va_start(ap, fmt);
    s = vm_start("", fmt, ap);
    va_end(ap);
    return s;
}

QTestState *dbm_vm_start_incoming(const char *fmt, ...)
{
    QTestState *s;
    va_list ap;

    va_start(ap, fmt);
    s = vm_start(" -incoming defer", fmt, ap);
    va_end(ap);
    return s;
}

void dbm_set_caps(QTestState *s, const char *caps)
{
    g_auto(GStrv) names = g_strsplit(caps, ",", -1);
    g_autoptr(GString) list = g_string_new(NULL);
    char **n;

    for (n = names; *n; n++) {
        g_string_append_printf(list, "%s{\"capability\": \"%s\", "
                               "\"state\": true}", list->len ? ", " : "",
                               *n);
    }
    qtest_qmp_assert_success(s, "{\"execute\": \"migrate-set-capabilities\","
                             " \"arguments\": {\"capabilities\": [%s]}}",
                             list->str);
}

char *dbm_qmp_error(QTestState *s, const char *cmd, const char *args)
{
    json_t *rsp = qtest_qmp(s, "{\"execute\": \"%s\"%s%s}", cmd,
                            args ? ", \"arguments\": " : "",
                            args ? args : "");
    json_t *err = json_object_get(rsp, "error");
    char *desc = NULL;

    if (err) {
        desc = g_strdup(json_string_value(json_object_get(err, "desc")));
        g_assert_nonnull(desc);
    } else {
        g_assert_nonnull(json_object_get(rsp, "return"));
    }
    json_decref(rsp);
    return desc;
}

char *dbm_set_params_error(QTestState *s, const char *members)
{
    g_autofree char *args = g_strdup_printf("{%s}", members);

    return dbm_qmp_error(s, "migrate-set-parameters", args);
}

void dbm_set_params(QTestState *s, const char *members)
{
    g_autofree char *err = dbm_set_params_error(s, members);

    g_assert_null(err);
}

void dbm_bitmap_add(QTestState *s, const char *node, const char *name,
                    uint64_t granularity, bool disabled)
{
    qtest_qmp_assert_success(s,
        "{\"execute\": \"block-dirty-bitmap-add\", \"arguments\": "
        "{\"node\": \"%s\", \"name\": \"%s\", \"granularity\": %" PRIu64
        ", \"disabled\": %s}}", node, name, granularity,
        disabled ? "true" : "false");
}

void dbm_write(QTestState *s, const char *node, uint64_t off, uint64_t len,
               bool zero)
{
    g_autofree char *out = qtest_hmp(s, "qemu-io %s \"write %s%" PRIu64
                                     " %" PRIu64 "\"", node,
                                     zero ? "-z " : "", off, len);

    g_assert_cmpstr(out, ==, "");
}

char *dbm_sha256(QTestState *s, const char *node, const char *name)
{
    json_t *ret = qtest_qmp_assert_success_ref(s,
        "{\"execute\": \"x-debug-block-dirty-bitmap-sha256\", "
        "\"arguments\": {\"node\": \"%s\", \"name\": \"%s\"}}", node, name);
    char *sha = g_strdup(json_string_value(json_object_get(ret, "sha256")));

    json_decref(ret);
    g_assert_nonnull(sha);
    return sha;
}

static json_t *find_bitmap(json_t *bitmaps, const char *name)
{
    json_t *bm;
    size_t i;

    json_array_foreach(bitmaps, i, bm) {
        if (!g_strcmp0(json_string_value(json_object_get(bm, "name")),
                       name)) {
            return bm;
        }
    }
    return NULL;
}

/*
 * @node's entry in query-named-block-nodes, else the "inserted" entry of
 * the query-block device @node (caller decrefs), or NULL.
 */
static json_t *node_info(QTestState *s, const char *node)
{
    json_t *nodes = qtest_qmp_assert_success_ref(s,
        "{\"execute\": \"query-named-block-nodes\", "
        "\"arguments\": {\"flat\": true}}");
    json_t *found = NULL;
    json_t *n;
    size_t i;

    json_array_foreach(nodes, i, n) {
        if (!g_strcmp0(json_string_value(json_object_get(n, "node-name")),
                       node)) {
            found = json_incref(n);
        }
    }
    json_decref(nodes);
    if (found) {
        return found;
    }
    nodes = qtest_qmp_assert_success_ref(s,
                                         "{\"execute\": \"query-block\"}");
    json_array_foreach(nodes, i, n) {
        if (!g_strcmp0(json_string_value(json_object_get(n, "device")),
                       node)) {
            found = json_incref(json_object_get(n, "inserted"));
        }
    }
    json_decref(nodes);
    return found;
}

json_t *dbm_bitmap_info(QTestState *s, const char *node, const char *name)
{
    json_t *n = node_info(s, node);
    json_t *bm;

    g_assert_nonnull(n);
    bm = find_bitmap(json_object_get(n, "dirty-bitmaps"), name);
    if (bm) {
        json_incref(bm);
    }
    json_decref(n);
    return bm;
}

static void check_flags(json_t *bm, bool recording, bool busy,
                        bool persistent, uint64_t granularity)
{
    g_assert_nonnull(bm);
    g_assert_cmpint(json_is_true(json_object_get(bm, "recording")), ==,
                    recording);
    g_assert_cmpint(json_is_true(json_object_get(bm, "busy")), ==, busy);
    g_assert_cmpint(json_is_true(json_object_get(bm, "persistent")), ==,
                    persistent);
    g_assert_cmpuint(json_integer_value(json_object_get(bm, "granularity")),
                     ==, granularity);
    g_assert_null(json_object_get(bm, "inconsistent"));
}

void dbm_assert_bitmap(QTestState *s, const char *device, const char *node,
                       const char *name, bool recording, bool busy,
                       bool persistent, uint64_t granularity)
{
    json_t *bm = dbm_bitmap_info(s, node, name);

    check_flags(bm, recording, busy, persistent, granularity);
    if (device) {
        json_t *blocks = qtest_qmp_assert_success_ref(s,
            "{\"execute\": \"query-block\"}");
        json_t *blk, *inserted = NULL;
        json_t *bbm;
        size_t i;

        json_array_foreach(blocks, i, blk) {
            if (!g_strcmp0(json_string_value(json_object_get(blk, "device")),
                           device)) {
                inserted = json_object_get(blk, "inserted");
            }
        }
        g_assert_nonnull(inserted);
        g_assert_cmpstr(json_string_value(json_object_get(inserted,
                                                          "node-name")),
                        ==, node);
        bbm = find_bitmap(json_object_get(inserted, "dirty-bitmaps"), name);
        check_flags(bbm, recording, busy, persistent, granularity);
        g_assert_cmpint(json_integer_value(json_object_get(bbm, "count")),
                        ==,
                        json_integer_value(json_object_get(bm, "count")));
        json_decref(blocks);
    }
    json_decref(bm);
}

void dbm_assert_no_bitmap(QTestState *s, const char *node, const char *name)
{
    json_t *n = node_info(s, node);

    g_assert_nonnull(n);
    if (name) {
        g_assert_null(find_bitmap(json_object_get(n, "dirty-bitmaps"),
                                  name));
    } else {
        /* No bitmaps: the member is absent (test 199 relies on it). */
        g_assert_null(json_object_get(n, "dirty-bitmaps"));
    }
    json_decref(n);
}

void dbm_assert_oracle(QTestState *s, const char *node, const char *name,
                       const DBMOracle *o)
{
    g_autofree char *want = dbm_oracle_sha256(o);
    g_autofree char *sha = dbm_sha256(s, node, name);
    json_t *bm = dbm_bitmap_info(s, node, name);

    g_assert_nonnull(bm);
    g_assert_cmpstr(sha, ==, want);
    g_assert_cmpuint(json_integer_value(json_object_get(bm, "count")), ==,
                     dbm_oracle_count(o));
    json_decref(bm);
}

void dbm_assert_busy_remove(QTestState *s, const char *node,
                            const char *name)
{
    g_autofree char *args = g_strdup_printf("{\"node\": \"%s\", "
                                            "\"name\": \"%s\"}", node, name);
    g_autofree char *err = dbm_qmp_error(s, "block-dirty-bitmap-remove",
                                         args);
    g_autofree char *want = g_strdup_printf(
        "Bitmap '%s' is currently in use by another operation and cannot "
        "be used", name);

    g_assert_cmpstr(err, ==, want);
}

void dbm_wait_bitmap(QTestState *s, const char *node, const char *name)
{
    gint64 deadline = g_get_monotonic_time() +
                      DBM_POLL_SECONDS * G_USEC_PER_SEC;

    for (;;) {
        json_t *bm = dbm_bitmap_info(s, node, name);

        if (bm) {
            json_decref(bm);
            return;
        }
        if (g_get_monotonic_time() > deadline) {
            g_error("bitmap %s/%s did not appear", node, name);
        }
    }
}

void dbm_wait_not_busy(QTestState *s, const char *node)
{
    gint64 deadline = g_get_monotonic_time() +
                      DBM_POLL_SECONDS * G_USEC_PER_SEC;

    for (;;) {
        json_t *n = node_info(s, node);
        json_t *bm;
        bool busy = false;
        size_t i;

        g_assert_nonnull(n);
        json_array_foreach(json_object_get(n, "dirty-bitmaps"), i, bm) {
            busy |= json_is_true(json_object_get(bm, "busy"));
        }
        json_decref(n);
        if (!busy) {
            return;
        }
        if (g_get_monotonic_time() > deadline) {
            g_error("bitmaps of %s stay busy", node);
        }
    }
}

char *dbm_wait_status(QTestState *s, const char *statuses)
{
    g_auto(GStrv) want = g_strsplit(statuses, "|", -1);

    for (;;) {
        json_t *ev = qtest_qmp_eventwait_ref(s, "MIGRATION");
        const char *st = json_string_value(
            json_object_get(json_object_get(ev, "data"), "status"));
        char *found = NULL;

        g_assert_nonnull(st);
        if (g_strv_contains((const char * const *)want, st)) {
            found = g_strdup(st);
        } else {
            g_assert_cmpstr(st, !=, "failed");
        }
        json_decref(ev);
        if (found) {
            return found;
        }
    }
}

char *dbm_query_migrate_status(QTestState *s)
{
    json_t *ret = qtest_qmp_assert_success_ref(s,
        "{\"execute\": \"query-migrate\"}");
    const char *st = json_string_value(json_object_get(ret, "status"));
    char *copy = g_strdup(st ? st : "");

    json_decref(ret);
    return copy;
}

void dbm_migrate(QTestState *src, QTestState *dst)
{
    g_autofree char *uri = g_strdup_printf("unix:%s/mig.sock",
                                           qtest_tmpdir(dst));

    qtest_qmp_assert_success(dst,
        "{\"execute\": \"migrate-incoming\", \"arguments\": "
        "{\"uri\": \"%s\"}}", uri);
    qtest_qmp_assert_success(src,
        "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"%s\"}}", uri);
}

void dbm_migrate_and_complete(QTestState *src, QTestState *dst)
{
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;

    dbm_set_caps(src, "events,dirty-bitmaps");
    dbm_set_caps(dst, "events,dirty-bitmaps");
    dbm_migrate(src, dst);
    a = dbm_wait_status(src, "completed");
    b = dbm_wait_status(dst, "completed");
}

void dbm_wait_exit_status(QTestState *s, int status)
{
    int wstatus;

    g_assert_true(qtest_wait_exit(s, &wstatus));
    g_assert_true(WIFEXITED(wstatus));
    g_assert_cmpint(WEXITSTATUS(wstatus), ==, status);
    qtest_set_expected_status(s, status);
}

void dbm_assert_log_has(QTestState *s, const char *text)
{
    g_autofree char *log = qtest_get_log(s);

    if (!strstr(log, text)) {
        g_error("log lacks '%s':\n%s", text, log);
    }
}

void dbm_assert_log_lacks(QTestState *s, const char *text)
{
    g_autofree char *log = qtest_get_log(s);

    if (strstr(log, text)) {
        g_error("log has '%s':\n%s", text, log);
    }
}

char *dbm_long_name(const char *prefix, size_t len)
{
    char *s = g_malloc(len + 1);
    size_t plen = strlen(prefix);

    g_assert_cmpuint(plen, <=, len);
    memcpy(s, prefix, plen);
    memset(s + plen, 'x', len - plen);
    s[len] = '\0';
    return s;
}
