/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Migration and bitmap helpers shared by the qtests (QMP only). */

#include "qemu/osdep.h"

#include <sys/wait.h>

#include "migration-helpers.h"

/* Processes */

const char *mig_qemu_7_2(void)
{
    const char *peer = g_getenv("DBM_PEER_QEMU");

    return peer ? peer : "/usr/bin/qemu-system-x86_64";
}

bool mig_skip_without_qemu_7_2(void)
{
    g_autofree char *msg = NULL;

    if (g_file_test(mig_qemu_7_2(), G_FILE_TEST_IS_EXECUTABLE)) {
        return false;
    }
    msg = g_strdup_printf("QEMU 7.2 (%s) not found (set DBM_PEER_QEMU)",
                          mig_qemu_7_2());
    g_test_skip(msg);
    return true;
}

QTestState *mig_vm_start_binary(const char *binary, const char *args)
{
    g_autofree char *saved = g_strdup(g_getenv("MINIVMM_BINARY"));
    QTestState *s;

    g_setenv("MINIVMM_BINARY", binary, true);
    s = qtest_init(args);
    if (saved) {
        g_setenv("MINIVMM_BINARY", saved, true);
    } else {
        g_unsetenv("MINIVMM_BINARY");
    }
    return s;
}

void mig_wait_exit_status(QTestState *s, int status)
{
    int wstatus;

    g_assert_true(qtest_wait_exit(s, &wstatus));
    g_assert_true(WIFEXITED(wstatus));
    g_assert_cmpint(WEXITSTATUS(wstatus), ==, status);
    qtest_set_expected_status(s, status);
}

/* QMP queries and settings */

char *mig_qmp_error(QTestState *s, const char *cmd, const char *args)
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

/* The string @key of @cmd's return value, or NULL (g_free it). */
static char *query_string(QTestState *s, const char *cmd, const char *key)
{
    json_t *ret = qtest_qmp_assert_success_ref(s, "{\"execute\": \"%s\"}",
                                               cmd);
    char *value = g_strdup(json_string_value(json_object_get(ret, key)));

    json_decref(ret);
    return value;
}

char *mig_query_status(QTestState *s)
{
    char *st = query_string(s, "query-migrate", "status");

    return st ? st : g_strdup("");
}

uint64_t mig_ram_stat(QTestState *s, const char *name)
{
    json_t *ret = qtest_qmp_assert_success_ref(s, "{\"execute\": "
                                               "\"query-migrate\"}");
    uint64_t n = json_integer_value(json_object_get(
        json_object_get(ret, "ram"), name));

    json_decref(ret);
    return n;
}

char *mig_runstate(QTestState *s)
{
    char *st = query_string(s, "query-status", "status");

    g_assert_nonnull(st);
    return st;
}

char *mig_runstate_leaves(QTestState *s, const char *transient)
{
    gint64 deadline = g_get_monotonic_time() +
                      MIG_POLL_SECONDS * G_USEC_PER_SEC;

    /* Each round trip lets the VM's main loop run. */
    for (;;) {
        char *st = mig_runstate(s);

        if (strcmp(st, transient)) {
            return st;
        }
        g_free(st);
        if (g_get_monotonic_time() > deadline) {
            g_error("run state stays '%s'", transient);
        }
    }
}

void mig_set_caps(QTestState *s, const char *caps)
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

char *mig_set_params_error(QTestState *s, const char *members)
{
    g_autofree char *args = g_strdup_printf("{%s}", members);

    return mig_qmp_error(s, "migrate-set-parameters", args);
}

void mig_set_params(QTestState *s, const char *members)
{
    g_autofree char *err = mig_set_params_error(s, members);

    g_assert_null(err);
}

/* Migrating */

char *mig_unix_uri(const char *dir, const char *name)
{
    return g_strdup_printf("unix:%s/%s", dir, name);
}

void mig_migrate_to(QTestState *src, const char *uri)
{
    qtest_qmp_assert_success(src, "{\"execute\": \"migrate\", "
                             "\"arguments\": {\"uri\": \"%s\"}}", uri);
}

void mig_migrate(QTestState *src, QTestState *dst)
{
    g_autofree char *uri = mig_unix_uri(qtest_tmpdir(dst), "mig.sock");

    qtest_qmp_assert_success(dst,
        "{\"execute\": \"migrate-incoming\", \"arguments\": "
        "{\"uri\": \"%s\"}}", uri);
    mig_migrate_to(src, uri);
}

void mig_migrate_and_complete(QTestState *src, QTestState *dst)
{
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;

    mig_set_caps(src, "events,dirty-bitmaps");
    mig_set_caps(dst, "events,dirty-bitmaps");
    mig_migrate(src, dst);
    a = mig_wait_status(src, "completed");
    b = mig_wait_status(dst, "completed");
}

json_t *mig_wait_event(QTestState *s, const char *statuses, GString *seen)
{
    g_auto(GStrv) want = g_strsplit(statuses, "|", -1);

    for (;;) {
        json_t *ev = qtest_qmp_eventwait_ref(s, "MIGRATION");
        const char *st = json_string_value(
            json_object_get(json_object_get(ev, "data"), "status"));

        g_assert_nonnull(st);
        if (seen) {
            g_string_append_printf(seen, "%s%s", seen->len ? "|" : "", st);
        }
        if (g_strv_contains((const char * const *)want, st)) {
            return ev;
        }
        g_assert_cmpstr(st, !=, "failed");
        json_decref(ev);
    }
}

char *mig_wait_status(QTestState *s, const char *statuses)
{
    json_t *ev = mig_wait_event(s, statuses, NULL);
    char *st = g_strdup(json_string_value(
        json_object_get(json_object_get(ev, "data"), "status")));

    json_decref(ev);
    return st;
}

/* Dirty bitmaps */

void mig_bitmap_add(QTestState *s, const char *node, const char *name,
                    uint64_t granularity, bool disabled)
{
    g_autofree char *gran = granularity ?
        g_strdup_printf(", \"granularity\": %" PRIu64, granularity) :
        g_strdup("");

    qtest_qmp_assert_success(s,
        "{\"execute\": \"block-dirty-bitmap-add\", \"arguments\": "
        "{\"node\": \"%s\", \"name\": \"%s\"%s, \"disabled\": %s}}",
        node, name, gran, disabled ? "true" : "false");
}

char *mig_bitmap_sha256(QTestState *s, const char *node, const char *name)
{
    json_t *ret = qtest_qmp_assert_success_ref(s,
        "{\"execute\": \"x-debug-block-dirty-bitmap-sha256\", "
        "\"arguments\": {\"node\": \"%s\", \"name\": \"%s\"}}", node, name);
    char *sha = g_strdup(json_string_value(json_object_get(ret, "sha256")));

    json_decref(ret);
    g_assert_nonnull(sha);
    return sha;
}

/* The member of the array @list whose string @key is @value, or NULL. */
static json_t *find_by(json_t *list, const char *key, const char *value)
{
    json_t *e;
    size_t i;

    json_array_foreach(list, i, e) {
        if (!g_strcmp0(json_string_value(json_object_get(e, key)), value)) {
            return e;
        }
    }
    return NULL;
}

json_t *mig_node_info(QTestState *s, const char *node)
{
    json_t *nodes = qtest_qmp_assert_success_ref(s,
        "{\"execute\": \"query-named-block-nodes\", "
        "\"arguments\": {\"flat\": true}}");
    json_t *found = json_incref(find_by(nodes, "node-name", node));

    json_decref(nodes);
    if (found) {
        return found;
    }
    nodes = qtest_qmp_assert_success_ref(s, "{\"execute\": \"query-block\"}");
    found = json_incref(json_object_get(find_by(nodes, "device", node),
                                        "inserted"));
    json_decref(nodes);
    return found;
}

json_t *mig_find_bitmap(json_t *bitmaps, const char *name)
{
    return find_by(bitmaps, "name", name);
}

json_t *mig_node_bitmaps(QTestState *s, const char *node)
{
    json_t *n = mig_node_info(s, node);
    json_t *bitmaps;

    g_assert_nonnull(n);
    bitmaps = json_incref(json_object_get(n, "dirty-bitmaps"));
    json_decref(n);
    return bitmaps;
}

json_t *mig_bitmap_info(QTestState *s, const char *node, const char *name)
{
    json_t *bitmaps = mig_node_bitmaps(s, node);
    json_t *bm = json_incref(mig_find_bitmap(bitmaps, name));

    json_decref(bitmaps);
    return bm;
}
