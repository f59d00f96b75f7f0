/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for the block qtests: expected errors, node and bitmap state. */
#include "qemu/osdep.h"

#include "block-qmp-util.h"

void qmp_expect_errorf(QTestState *qts, const char *desc, const char *fmt,
                       ...)
{
    va_list ap;
    json_t *r, *err;

    va_start(ap, fmt);
    r = qtest_vqmp(qts, fmt, ap);
    va_end(ap);
    err = json_object_get(r, "error");
    if (!err) {
        g_autofree char *s = json_dumps(r, 0);

        g_error("expected the error \"%s\", got %s", desc, s);
    }
    g_assert_cmpstr(json_string_value(json_object_get(err, "class")), ==,
                    "GenericError");
    g_assert_cmpstr(json_string_value(json_object_get(err, "desc")), ==,
                    desc);
    json_decref(r);
}

void qmp_expect_error(QTestState *qts, const char *desc, const char *cmd)
{
    qmp_expect_errorf(qts, desc, "%s", cmd);
}

char *make_image(const char *dir, const char *name, int64_t size)
{
    char *path = g_build_filename(dir, name, NULL);
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, size), ==, 0);
    close(fd);
    return path;
}

static char *test_dir;

static void remove_test_dir(void)
{
    rmdir(test_dir);
    g_free(test_dir);
}

const char *block_test_dir(void)
{
    if (!test_dir) {
        test_dir = g_dir_make_tmp("block-test-XXXXXX", NULL);
        g_assert_nonnull(test_dir);
        atexit(remove_test_dir);
    }
    return test_dir;
}

void add_null_node(QTestState *qts, const char *node, int64_t size)
{
    qtest_qmp_assert_success(qts, "{\"execute\": \"blockdev-add\", "
                             "\"arguments\": {\"driver\": \"null-co\", "
                             "\"node-name\": \"%s\", \"size\": %" PRId64
                             "}}", node, size);
}

/* Member @key of @node's BlockDeviceInfo (json_decref it). */
static json_t *node_member(QTestState *qts, const char *node, const char *key)
{
    json_t *info = mig_node_info(qts, node);
    json_t *v;

    g_assert_nonnull(info);
    v = json_incref(json_object_get(info, key));
    json_decref(info);
    g_assert_nonnull(v);
    return v;
}

int64_t node_int(QTestState *qts, const char *node, const char *key)
{
    json_t *v = node_member(qts, node, key);
    int64_t i;

    g_assert_true(json_is_integer(v));
    i = json_integer_value(v);
    json_decref(v);
    return i;
}

bool node_bool(QTestState *qts, const char *node, const char *key)
{
    json_t *v = node_member(qts, node, key);
    bool b;

    g_assert_true(json_is_boolean(v));
    b = json_is_true(v);
    json_decref(v);
    return b;
}

int64_t node_size(QTestState *qts, const char *node)
{
    json_t *image = node_member(qts, node, "image");
    int64_t v = json_integer_value(json_object_get(image, "virtual-size"));

    json_decref(image);
    return v;
}

char *bitmaps_snapshot(QTestState *qts)
{
    json_t *r = qtest_qmp_assert_success_ref(qts,
        "{\"execute\": \"query-named-block-nodes\", "
        "\"arguments\": {\"flat\": true}}");
    GString *out = g_string_new(NULL);
    json_t *info, *bm;
    size_t i, j;

    json_array_foreach(r, i, info) {
        const char *node = json_string_value(json_object_get(info,
                                                             "node-name"));

        json_array_foreach(json_object_get(info, "dirty-bitmaps"), j, bm) {
            const char *name = json_string_value(json_object_get(bm,
                                                                 "name"));
            g_autofree char *sha = mig_bitmap_sha256(qts, node, name);

            g_string_append_printf(out, "%s/%s count=%" JSON_INTEGER_FORMAT
                " gran=%" JSON_INTEGER_FORMAT " rec=%d busy=%d pers=%d "
                "sha=%s\n", node, name,
                json_integer_value(json_object_get(bm, "count")),
                json_integer_value(json_object_get(bm, "granularity")),
                json_is_true(json_object_get(bm, "recording")),
                json_is_true(json_object_get(bm, "busy")),
                json_is_true(json_object_get(bm, "persistent")), sha);
        }
    }
    json_decref(r);
    return g_string_free(out, false);
}

void qemu_io(QTestState *qts, const char *node, const char *cmd)
{
    g_autofree char *out = qtest_hmp(qts, "qemu-io %s \"%s\"", node, cmd);

    g_assert_cmpstr(out, ==, "");
}
