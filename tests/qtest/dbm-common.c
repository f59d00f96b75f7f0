/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared helpers for the dirty-bitmap migration integration suite. */

#include "qemu/osdep.h"
#include "dbm-common.h"

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

void dbm_write(QTestState *s, const char *node, uint64_t off, uint64_t len,
               bool zero)
{
    g_autofree char *out = qtest_hmp(s, "qemu-io %s \"write %s%" PRIu64
                                     " %" PRIu64 "\"", node,
                                     zero ? "-z " : "", off, len);

    g_assert_cmpstr(out, ==, "");
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
    json_t *bm = mig_bitmap_info(s, node, name);

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
        bbm = mig_find_bitmap(json_object_get(inserted, "dirty-bitmaps"),
                              name);
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
    json_t *n = mig_node_info(s, node);

    g_assert_nonnull(n);
    if (name) {
        g_assert_null(mig_find_bitmap(json_object_get(n, "dirty-bitmaps"),
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
    g_autofree char *sha = mig_bitmap_sha256(s, node, name);
    json_t *bm = mig_bitmap_info(s, node, name);

    g_assert_nonnull(bm);
    g_assert_cmpstr(sha, ==, want);
    g_assert_cmpuint(json_integer_value(json_object_get(bm, "count")), ==,
                     dbm_oracle_count(o));
    json_decref(bm);
}

void dbm_assert_same_sha(QTestState *src, const char *src_node,
                         const char *src_name, QTestState *dst,
                         const char *dst_node, const char *dst_name)
{
    g_autofree char *a = mig_bitmap_sha256(src, src_node, src_name);
    g_autofree char *b = mig_bitmap_sha256(dst, dst_node, dst_name);

    g_assert_cmpstr(a, ==, b);
}

void dbm_assert_busy_remove(QTestState *s, const char *node,
                            const char *name)
{
    g_autofree char *args = g_strdup_printf("{\"node\": \"%s\", "
                                            "\"name\": \"%s\"}", node, name);
    g_autofree char *err = mig_qmp_error(s, "block-dirty-bitmap-remove",
                                         args);
    g_autofree char *want = g_strdup_printf(
        "Bitmap '%s' is currently in use by another operation and cannot "
        "be used", name);

    g_assert_cmpstr(err, ==, want);
}

void dbm_wait_bitmap(QTestState *s, const char *node, const char *name)
{
    gint64 deadline = g_get_monotonic_time() +
                      MIG_POLL_SECONDS * G_USEC_PER_SEC;

    for (;;) {
        json_t *bm = mig_bitmap_info(s, node, name);

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
                      MIG_POLL_SECONDS * G_USEC_PER_SEC;

    for (;;) {
        json_t *bitmaps = mig_node_bitmaps(s, node);
        json_t *bm;
        bool busy = false;
        size_t i;

        json_array_foreach(bitmaps, i, bm) {
            busy |= json_is_true(json_object_get(bm, "busy"));
        }
        json_decref(bitmaps);
        if (!busy) {
            return;
        }
        if (g_get_monotonic_time() > deadline) {
            g_error("bitmaps of %s stay busy", node);
        }
    }
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
