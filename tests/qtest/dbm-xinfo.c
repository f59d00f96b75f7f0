/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for minivmm's x-dirty-bitmaps (query-migrate) in the qtests. */
#include "qemu/osdep.h"
#include "dbm-xinfo.h"
#include "migration-helpers.h"
#include "dbm-common.h"

json_t *xdbm_query(QTestState *s)
{
    json_t *ret = qtest_qmp_assert_success_ref(s,
        "{\"execute\": \"query-migrate\"}");
    json_t *x = json_incref(json_object_get(ret, "x-dirty-bitmaps"));

    json_decref(ret);
    return x;
}

uint64_t xdbm_uint(json_t *x, const char *name)
{
    json_t *v = json_object_get(x, name);

    g_assert_true(json_is_integer(v));
    g_assert_cmpint(json_integer_value(v), >=, 0);
    return json_integer_value(v);
}

/* The entry of list @list of @x whose "name" is @name. */
static json_t *xdbm_find(json_t *x, const char *list, const char *name)
{
    json_t *arr = json_object_get(x, list);
    json_t *e;
    size_t i;

    g_assert_true(json_is_array(arr));
    json_array_foreach(arr, i, e) {
        if (!g_strcmp0(json_string_value(json_object_get(e, "name")),
                       name)) {
            return e;
        }
    }
    return NULL;
}

json_t *xdbm_bitmap(json_t *x, const char *name)
{
    return xdbm_find(x, "bitmaps", name);
}

json_t *xdbm_dropped(json_t *x, const char *name)
{
    return xdbm_find(x, "dropped", name);
}

size_t xdbm_n_dropped(json_t *x)
{
    json_t *arr = json_object_get(x, "dropped");

    g_assert_true(json_is_array(arr));
    return json_array_size(arr);
}

void xdbm_assert_dropped(json_t *x, const char *node, const char *name,
                         const char *reason, bool kept, uint64_t dirty_from)
{
    json_t *d = xdbm_dropped(x, name);

    if (!d) {
        g_autofree char *text = json_dumps(x, 0);

        g_error("bitmap '%s' is not listed as dropped: %s", name, text);
    }
    g_assert_cmpstr(json_string_value(json_object_get(d, "node")), ==, node);
    g_assert_cmpstr(json_string_value(json_object_get(d, "reason")), ==,
                    reason);
    g_assert_cmpint(json_is_true(json_object_get(d, "kept")), ==, kept);
    if (kept) {
        g_assert_cmpuint(xdbm_uint(d, "dirty-from"), ==, dirty_from);
    } else {
        g_assert_null(json_object_get(d, "dirty-from"));
    }
}

GByteArray *xdbm_capture(const char *file)
{
    const char *dir = g_getenv("DBM_STREAMS_DIR");
    g_autofree char *path = g_build_filename(dir ? dir : "tests/data/streams",
                                             file, NULL);
    g_autoptr(GError) err = NULL;
    gchar *data;
    gsize len;

    if (!g_file_get_contents(path, &data, &len, &err)) {
        g_autofree char *msg = g_strdup_printf("reference capture %s: %s "
                                               "(DBM_STREAMS_DIR)", path,
                                               err->message);

        g_test_skip(msg);
        return NULL;
    }
    return g_byte_array_new_take((guint8 *)data, len);
}

char *xdbm_tmp_file(QTestState *s, const char *name, const void *data,
                    size_t len)
{
    char *path = g_build_filename(qtest_tmpdir(s), name, NULL);

    g_assert_true(g_file_set_contents(path, data, len, NULL));
    return path;
}

char *xdbm_wait_end(QTestState *s)
{
    gint64 deadline = g_get_monotonic_time() +
                      (gint64)qtest_get_default_timeout() * G_USEC_PER_SEC;

    for (;;) {
        char *st = mig_query_status(s);

        if (!strcmp(st, "completed") || !strcmp(st, "failed")) {
            return st;
        }
        if (g_get_monotonic_time() > deadline) {
            g_error("migration status stays '%s'", st);
        }
        g_free(st);
    }
}

void xdbm_slow_postcopy(QTestState *src, QTestState *dst,
                        uint64_t bandwidth, const char *bitmap)
{
    g_autofree char *params = g_strdup_printf(
        "\"downtime-limit\": 0, \"max-postcopy-bandwidth\": %" PRIu64,
        bandwidth);

    mig_set_params(src, params);
    mig_migrate(src, dst);
    g_free(mig_wait_status(src, "active"));
    dbm_wait_bitmap(dst, "drive0", bitmap);
    qtest_qmp_assert_success(src,
                             "{\"execute\": \"migrate-start-postcopy\"}");
}
