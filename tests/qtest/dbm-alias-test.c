/* SPDX-License-Identifier: GPL-2.0-or-later */
/* block-bitmap-mapping: validation, aliases, transforms, alias errors. */

/*
 * The mapping is validated by migrate-set-parameters in both directions
 * (name to alias, then alias to name) on any VM; during migration the
 * source sends only mapped bitmaps under their aliases and the
 * destination accepts only mapped aliases.  Destination-side alias
 * errors are not fatal: the migration completes without bitmaps.
 */

#include "qemu/osdep.h"
#include "dbm-common.h"

#define MIB (UINT64_C(1) << 20)
#define PREFIX "Invalid mapping given for block-bitmap-mapping: "

static QTestState *start_vm(const char *node, bool incoming)
{
    if (incoming) {
        return dbm_vm_start_incoming("-blockdev driver=null-co,"
                                     "node-name=%s,size=%" PRIu64, node,
                                     MIB + 512);
    }
    return dbm_vm_start("-blockdev driver=null-co,node-name=%s,size=%" PRIu64,
                        node, MIB + 512);
}

/* bmA (64 KiB, recording) and bmB (512 B, disabled) with some bits. */
static void make_bitmaps(QTestState *s, const char *node)
{
    mig_bitmap_add(s, node, "bmA", 65536, false);
    mig_bitmap_add(s, node, "bmB", 512, false);
    dbm_write(s, node, 0, 4096, false);
    qtest_qmp_assert_success(s,
        "{\"execute\": \"block-dirty-bitmap-disable\", \"arguments\": "
        "{\"node\": \"%s\", \"name\": \"bmB\"}}", node);
    dbm_write(s, node, 300000, 70000, false);
}

/* The current block-bitmap-mapping as JSON text, or NULL if never set. */
static char *query_mapping(QTestState *s)
{
    json_t *ret = qtest_qmp_assert_success_ref(s,
        "{\"execute\": \"query-migrate-parameters\"}");
    json_t *m = json_object_get(ret, "block-bitmap-mapping");
    char *text = m ? json_dumps(m, JSON_SORT_KEYS | JSON_COMPACT) : NULL;

    json_decref(ret);
    return text;
}

typedef struct BadMapping {
    const char *mapping;    /* printf format, %s: the long string */
    const char *error;      /* after PREFIX, same format */
} BadMapping;

static void test_validation(void)
{
    g_autofree char *a256 = dbm_long_name("a", 256);
    g_autofree char *a255 = dbm_long_name("a", 255);
    g_autofree char *n32 = dbm_long_name("n", 32);
    g_autofree char *n31 = dbm_long_name("n", 31);
    g_autofree char *b1024 = dbm_long_name("b", 1024);
    g_autofree char *b1023 = dbm_long_name("b", 1023);
    const BadMapping bad[] = {
        { "[{\"node-name\": \"n0\", \"alias\": \"123-foo\", \"bitmaps\": []}]",
          "The node alias '123-foo' is not well-formed" },
        { "[{\"node-name\": \"n0\", \"alias\": \"\", \"bitmaps\": []}]",
          "The node alias '' is not well-formed" },
        { "[{\"node-name\": \"n0\", \"alias\": \"%s\", \"bitmaps\": []}]",
          "The node alias '%s' is longer than 255 bytes" },
        { "[{\"node-name\": \"%s\", \"alias\": \"a0\", \"bitmaps\": []}]",
          "The node name '%s' is longer than 31 bytes" },
        { "[{\"node-name\": \"n0\", \"alias\": \"a0\", \"bitmaps\": []}, "
          "{\"node-name\": \"n0\", \"alias\": \"a1\", \"bitmaps\": []}]",
          "The node name 'n0' is mapped twice" },
        { "[{\"node-name\": \"n0\", \"alias\": \"a0\", \"bitmaps\": []}, "
          "{\"node-name\": \"n1\", \"alias\": \"a0\", \"bitmaps\": []}]",
          "The node alias 'a0' is used twice" },
        /*
         * Name-to-alias runs over the whole list first: a duplicate node
         * name is reported even after an earlier duplicate alias.
         */
        { "[{\"node-name\": \"n0\", \"alias\": \"a0\", \"bitmaps\": []}, "
          "{\"node-name\": \"n1\", \"alias\": \"a0\", \"bitmaps\": []}, "
          "{\"node-name\": \"n0\", \"alias\": \"a2\", \"bitmaps\": []}]",
          "The node name 'n0' is mapped twice" },
        { "[{\"node-name\": \"n0\", \"alias\": \"a0\", \"bitmaps\": "
          "[{\"name\": \"b0\", \"alias\": \"%s\"}]}]",
          "The bitmap alias '%s' is longer than 255 bytes" },
        { "[{\"node-name\": \"n0\", \"alias\": \"a0\", \"bitmaps\": "
          "[{\"name\": \"%s\", \"alias\": \"b0\"}]}]",
          "The bitmap name '%s' is longer than 1023 bytes" },
        { "[{\"node-name\": \"n0\", \"alias\": \"a0\", \"bitmaps\": "
          "[{\"name\": \"b0\", \"alias\": \"x\"}, "
          "{\"name\": \"b0\", \"alias\": \"y\"}]}]",
          "The bitmap 'n0'/'b0' is mapped twice" },
        { "[{\"node-name\": \"n0\", \"alias\": \"a0\", \"bitmaps\": "
          "[{\"name\": \"b0\", \"alias\": \"x\"}, "
          "{\"name\": \"b1\", \"alias\": \"x\"}]}]",
          "The bitmap alias 'a0'/'x' is used twice" },
    };
    const char *longs[] = { NULL, NULL, a256, n32, NULL, NULL, NULL, a256,
                            b1024, NULL, NULL };
    /* The longest accepted values, and unknown nodes/bitmaps are fine. */
    g_autofree char *good = g_strdup_printf(
        "\"block-bitmap-mapping\": [{\"node-name\": \"%s\", "
        "\"alias\": \"%s\", \"bitmaps\": [{\"name\": \"%s\", "
        "\"alias\": \"%s\", \"transform\": {\"persistent\": false}}]}, "
        "{\"node-name\": \"nosuch\", \"alias\": \"x.y-z_0\", "
        "\"bitmaps\": []}]", n31, a255, b1023, a255);
    QTestState *vms[2];
    int v;
    size_t i;

    G_STATIC_ASSERT(G_N_ELEMENTS(bad) == G_N_ELEMENTS(longs));
    vms[0] = start_vm("n0", false);
    vms[1] = start_vm("n0", true);
    for (v = 0; v < 2; v++) {
        g_autofree char *before = NULL;
        g_autofree char *after = NULL;

        g_assert_null(query_mapping(vms[v]));
        for (i = 0; i < G_N_ELEMENTS(bad); i++) {
            g_autofree char *map = g_strdup_printf(bad[i].mapping,
                                                   longs[i]);
            g_autofree char *members = g_strdup_printf(
                "\"block-bitmap-mapping\": %s", map);
            g_autofree char *want = g_strdup_printf(bad[i].error, longs[i]);
            g_autofree char *full = g_strconcat(PREFIX, want, NULL);
            g_autofree char *err = mig_set_params_error(vms[v], members);

            g_assert_cmpstr(err, ==, full);
            /* A failing request changes nothing. */
            g_assert_null(query_mapping(vms[v]));
        }
        mig_set_params(vms[v], good);
        before = query_mapping(vms[v]);
        g_assert_nonnull(before);
        g_free(mig_set_params_error(vms[v], "\"block-bitmap-mapping\": "
                                    "[{\"node-name\": \"n0\", \"alias\": "
                                    "\"1\", \"bitmaps\": []}]"));
        after = query_mapping(vms[v]);
        g_assert_cmpstr(before, ==, after);

        /* [] is a mapping of its own: it stays set and lists nothing. */
        mig_set_params(vms[v], "\"block-bitmap-mapping\": []");
        g_free(after);
        after = query_mapping(vms[v]);
        g_assert_cmpstr(after, ==, "[]");
    }
    qtest_quit(vms[0]);
    qtest_quit(vms[1]);
}

/* [] on the source: nothing is sent, nothing is created, no error. */
static void test_empty_source(void)
{
    QTestState *src = start_vm("drive0", false);
    QTestState *dst = start_vm("drive0", true);

    make_bitmaps(src, "drive0");
    mig_set_params(src, "\"block-bitmap-mapping\": []");
    mig_migrate_and_complete(src, dst);
    dbm_assert_no_bitmap(dst, "drive0", NULL);
    dbm_assert_bitmap(src, NULL, "drive0", "bmA", true, false, false, 65536);
    dbm_assert_log_lacks(src, "itmap");
    dbm_assert_log_lacks(dst, "itmap");
    dbm_assert_log_lacks(dst, "alias");
    qtest_quit(src);
    qtest_quit(dst);
}

/* [] on the destination: every node alias is unknown (not fatal). */
static void test_empty_dest(void)
{
    QTestState *src = start_vm("drive0", false);
    QTestState *dst = start_vm("drive0", true);

    make_bitmaps(src, "drive0");
    mig_set_params(dst, "\"block-bitmap-mapping\": []");
    mig_migrate_and_complete(src, dst);
    dbm_assert_no_bitmap(dst, "drive0", NULL);
    dbm_assert_log_has(dst, "Error: Unknown node alias 'drive0'");
    dbm_assert_bitmap(src, NULL, "drive0", "bmA", true, false, false, 65536);
    qtest_quit(src);
    qtest_quit(dst);
}

/* Source-side mapping only: the destination resolves the aliases as is. */
static void test_source_only(void)
{
    QTestState *src = start_vm("src0", false);
    QTestState *dst = start_vm("dst0", true);

    make_bitmaps(src, "src0");
    mig_set_params(src, "\"block-bitmap-mapping\": [{\"node-name\": "
                   "\"src0\", \"alias\": \"dst0\", \"bitmaps\": ["
                   "{\"name\": \"bmA\", \"alias\": \"renamedA\"}, "
                   "{\"name\": \"bmB\", \"alias\": \"renamedB\", "
                   "\"transform\": {\"persistent\": true}}]}]");
    mig_migrate_and_complete(src, dst);
    dbm_assert_bitmap(dst, NULL, "dst0", "renamedA", true, false, false,
                      65536);
    dbm_assert_bitmap(dst, NULL, "dst0", "renamedB", false, false, true,
                      512);
    dbm_assert_no_bitmap(dst, "dst0", "bmA");
    dbm_assert_no_bitmap(dst, "dst0", "bmB");
    dbm_assert_same_sha(src, "src0", "bmA", dst, "dst0", "renamedA");
    dbm_assert_same_sha(src, "src0", "bmB", dst, "dst0", "renamedB");
    dbm_assert_log_lacks(dst, "itmap");
    qtest_quit(src);
    qtest_quit(dst);
}

/* Destination-side mapping only: identity aliases become other names. */
static void test_dest_only(void)
{
    QTestState *src = start_vm("drive0", false);
    QTestState *dst = start_vm("other0", true);

    make_bitmaps(src, "drive0");
    mig_set_params(dst, "\"block-bitmap-mapping\": [{\"node-name\": "
                   "\"other0\", \"alias\": \"drive0\", \"bitmaps\": ["
                   "{\"name\": \"copyA\", \"alias\": \"bmA\", "
                   "\"transform\": {\"persistent\": true}}, "
                   "{\"name\": \"copyB\", \"alias\": \"bmB\"}]}]");
    mig_migrate_and_complete(src, dst);
    dbm_assert_bitmap(dst, NULL, "other0", "copyA", true, false, true,
                      65536);
    dbm_assert_bitmap(dst, NULL, "other0", "copyB", false, false, false,
                      512);
    dbm_assert_same_sha(src, "drive0", "bmA", dst, "other0", "copyA");
    dbm_assert_same_sha(src, "drive0", "bmB", dst, "other0", "copyB");
    dbm_assert_log_lacks(dst, "itmap");
    qtest_quit(src);
    qtest_quit(dst);
}

/* A known node alias with an unmapped bitmap alias cancels all bitmaps. */
static void test_unknown_bitmap_alias(void)
{
    QTestState *src = start_vm("drive0", false);
    QTestState *dst = start_vm("dst0", true);

    make_bitmaps(src, "drive0");
    mig_set_params(dst, "\"block-bitmap-mapping\": [{\"node-name\": "
                   "\"dst0\", \"alias\": \"drive0\", \"bitmaps\": ["
                   "{\"name\": \"bmA\", \"alias\": \"bmA\"}]}]");
    mig_migrate_and_complete(src, dst);
    dbm_assert_log_has(dst, "Error: Unknown bitmap alias 'bmB' on node "
                       "'dst0' (alias 'drive0')");
    dbm_assert_no_bitmap(dst, "dst0", NULL);
    /* The destination runs normally afterwards. */
    mig_bitmap_add(dst, "dst0", "bmB", 512, false);
    dbm_assert_bitmap(dst, NULL, "dst0", "bmB", true, false, false, 512);
    qtest_quit(src);
    qtest_quit(dst);
}

static void test_unknown_node_alias(void)
{
    QTestState *src = start_vm("drive0", false);
    QTestState *dst = start_vm("dst0", true);

    make_bitmaps(src, "drive0");
    mig_set_params(dst, "\"block-bitmap-mapping\": [{\"node-name\": "
                   "\"dst0\", \"alias\": \"n9\", \"bitmaps\": ["
                   "{\"name\": \"bmA\", \"alias\": \"bmA\"}]}]");
    mig_migrate_and_complete(src, dst);
    dbm_assert_log_has(dst, "Error: Unknown node alias 'drive0'");
    dbm_assert_no_bitmap(dst, "dst0", NULL);
    qtest_quit(src);
    qtest_quit(dst);
}

/*
 * The persistent flag across two hops, A -> B -> C.  Hop 1 makes the
 * p1_* bitmaps persistent on B (destination transform).  Hop 2 covers
 * every combination of the source persistence (p0/p1), the source
 * transform (sn: none, st: true, sf: false) and the destination one
 * (dn/dt/df): the destination's wins, then the source's, then the flag.
 */
static void test_persistent_transforms(void)
{
    static const char tf[] = "ntf";
    QTestState *a = start_vm("drive0", false);
    QTestState *b = start_vm("drive0", true);
    QTestState *c = NULL;
    g_autoptr(GString) hop1 = g_string_new(NULL);
    g_autoptr(GString) hop2_src = g_string_new(NULL);
    g_autoptr(GString) hop2_dst = g_string_new(NULL);
    char names[18][16];
    int p, s, d, i = 0;

    for (p = 0; p < 2; p++) {
        for (s = 0; s < 3; s++) {
            for (d = 0; d < 3; d++, i++) {
                const char *sep = i ? ", " : "";

                snprintf(names[i], sizeof(names[i]), "p%d_s%c_d%c", p,
                         tf[s], tf[d]);
                mig_bitmap_add(a, "drive0", names[i], 512 << (i % 4),
                               i % 2);
                g_string_append_printf(hop1, "%s{\"name\": \"%s\", "
                                       "\"alias\": \"%s\"%s}", sep,
                                       names[i], names[i], p ?
                                       ", \"transform\": {\"persistent\":"
                                       " true}" : "");
                g_string_append_printf(hop2_src, "%s{\"name\": \"%s\", "
                                       "\"alias\": \"%s\"%s}", sep,
                                       names[i], names[i],
                                       s == 0 ? "" : s == 1 ?
                                       ", \"transform\": {\"persistent\":"
                                       " true}" :
                                       ", \"transform\": {\"persistent\":"
                                       " false}");
                g_string_append_printf(hop2_dst, "%s{\"name\": \"%s\", "
                                       "\"alias\": \"%s\"%s}", sep,
                                       names[i], names[i],
                                       d == 0 ? "" : d == 1 ?
                                       ", \"transform\": {\"persistent\":"
                                       " true}" :
                                       ", \"transform\": {\"persistent\":"
                                       " false}");
            }
        }
    }
    dbm_write(a, "drive0", 512 * 5, 512 * 9, false);

    qtest_qmp_assert_success(b, "{\"execute\": \"migrate-set-parameters\", "
                             "\"arguments\": {\"block-bitmap-mapping\": "
                             "[{\"node-name\": \"drive0\", \"alias\": "
                             "\"drive0\", \"bitmaps\": [%s]}]}}",
                             hop1->str);
    mig_migrate_and_complete(a, b);
    for (i = 0; i < 18; i++) {
        dbm_assert_bitmap(b, NULL, "drive0", names[i], !(i % 2), false,
                          names[i][1] == '1', 512 << (i % 4));
        dbm_assert_same_sha(a, "drive0", names[i], b, "drive0", names[i]);
    }
    qtest_quit(a);

    c = start_vm("drive0", true);
    qtest_qmp_assert_success(b, "{\"execute\": \"migrate-set-parameters\", "
                             "\"arguments\": {\"block-bitmap-mapping\": "
                             "[{\"node-name\": \"drive0\", \"alias\": "
                             "\"drive0\", \"bitmaps\": [%s]}]}}",
                             hop2_src->str);
    qtest_qmp_assert_success(c, "{\"execute\": \"migrate-set-parameters\", "
                             "\"arguments\": {\"block-bitmap-mapping\": "
                             "[{\"node-name\": \"drive0\", \"alias\": "
                             "\"drive0\", \"bitmaps\": [%s]}]}}",
                             hop2_dst->str);
    mig_migrate_and_complete(b, c);
    for (i = 0; i < 18; i++) {
        char pc = names[i][1], sc = names[i][4], dc = names[i][7];
        bool want = dc != 'n' ? dc == 't' : sc != 'n' ? sc == 't' :
                    pc == '1';

        dbm_assert_bitmap(c, NULL, "drive0", names[i], !(i % 2), false,
                          want, 512 << (i % 4));
        dbm_assert_same_sha(b, "drive0", names[i], c, "drive0", names[i]);
    }
    dbm_assert_log_lacks(b, "itmap");
    dbm_assert_log_lacks(c, "itmap");
    qtest_quit(b);
    qtest_quit(c);
}

/*
 * Names too long for the wire travel under short aliases: 256 and 1023
 * bytes (the bitmap name limit) on the source, mapped back on the
 * destination; a 255-byte name needs no alias.
 */
static void test_long_names(void)
{
    g_autofree char *n255 = dbm_long_name("n", 255);
    g_autofree char *n256 = dbm_long_name("m", 256);
    g_autofree char *n1023 = dbm_long_name("k", 1023);
    QTestState *src = start_vm("drive0", false);
    QTestState *dst = start_vm("drive0", true);

    mig_bitmap_add(src, "drive0", n256, 4096, false);
    mig_bitmap_add(src, "drive0", n1023, 512, true);
    dbm_write(src, "drive0", 8192, 1, false);
    dbm_write(src, "drive0", MIB, 512, false);
    qtest_qmp_assert_success(src, "{\"execute\": \"migrate-set-parameters\", "
                             "\"arguments\": {\"block-bitmap-mapping\": "
                             "[{\"node-name\": \"drive0\", \"alias\": "
                             "\"drive0\", \"bitmaps\": [{\"name\": \"%s\", "
                             "\"alias\": \"b256\"}, {\"name\": \"%s\", "
                             "\"alias\": \"b1023\"}]}]}}", n256, n1023);
    qtest_qmp_assert_success(dst, "{\"execute\": \"migrate-set-parameters\", "
                             "\"arguments\": {\"block-bitmap-mapping\": "
                             "[{\"node-name\": \"drive0\", \"alias\": "
                             "\"drive0\", \"bitmaps\": [{\"name\": \"%s\", "
                             "\"alias\": \"b256\"}, {\"name\": \"%s\", "
                             "\"alias\": \"b1023\"}]}]}}", n256, n1023);
    mig_migrate_and_complete(src, dst);
    dbm_assert_bitmap(dst, NULL, "drive0", n256, true, false, false, 4096);
    dbm_assert_bitmap(dst, NULL, "drive0", n1023, false, false, false, 512);
    dbm_assert_same_sha(src, "drive0", n256, dst, "drive0", n256);
    dbm_assert_same_sha(src, "drive0", n1023, dst, "drive0", n1023);
    qtest_quit(src);

    qtest_quit(dst);

    /* 255 bytes go as they are, without a mapping. */
    src = start_vm("drive0", false);
    dst = start_vm("drive0", true);
    mig_bitmap_add(src, "drive0", n255, 65536, false);
    dbm_write(src, "drive0", 70000, 1, false);
    mig_migrate_and_complete(src, dst);
    dbm_assert_bitmap(dst, NULL, "drive0", n255, true, false, false, 65536);
    dbm_assert_same_sha(src, "drive0", n255, dst, "drive0", n255);
    qtest_quit(src);
    qtest_quit(dst);
}

/* An auto-named node can be migrated when it is mapped to an alias. */
static void test_auto_named_aliased(void)
{
    QTestState *src = dbm_vm_start("-blockdev driver=copy-on-read,"
                                   "node-name=cor0,file.driver=null-co,"
                                   "file.size=%" PRIu64, MIB + 512);
    QTestState *dst = start_vm("dst0", true);
    json_t *nodes = qtest_qmp_assert_success_ref(src,
        "{\"execute\": \"query-named-block-nodes\", "
        "\"arguments\": {\"flat\": true}}");
    g_autofree char *child = NULL;
    json_t *n;
    size_t i;

    json_array_foreach(nodes, i, n) {
        const char *name = json_string_value(json_object_get(n,
                                                             "node-name"));

        if (name[0] == '#') {
            child = g_strdup(name);
        }
    }
    json_decref(nodes);
    g_assert_nonnull(child);

    mig_bitmap_add(src, child, "auto", 512, false);
    dbm_write(src, "cor0", 1024, 100, false);
    qtest_qmp_assert_success(src, "{\"execute\": \"migrate-set-parameters\", "
                             "\"arguments\": {\"block-bitmap-mapping\": "
                             "[{\"node-name\": \"%s\", \"alias\": \"n0\", "
                             "\"bitmaps\": [{\"name\": \"auto\", "
                             "\"alias\": \"auto\"}]}]}}", child);
    mig_set_params(dst, "\"block-bitmap-mapping\": [{\"node-name\": "
                   "\"dst0\", \"alias\": \"n0\", \"bitmaps\": ["
                   "{\"name\": \"auto\", \"alias\": \"auto\"}]}]");
    mig_migrate_and_complete(src, dst);
    dbm_assert_bitmap(dst, NULL, "dst0", "auto", true, false, false, 512);
    dbm_assert_same_sha(src, child, "auto", dst, "dst0", "auto");
    dbm_assert_log_lacks(src, "itmap");
    qtest_quit(src);
    qtest_quit(dst);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/dbm/alias/validation", test_validation);
    g_test_add_func("/dbm/alias/empty/source", test_empty_source);
    g_test_add_func("/dbm/alias/empty/destination", test_empty_dest);
    g_test_add_func("/dbm/alias/source-only", test_source_only);
    g_test_add_func("/dbm/alias/destination-only", test_dest_only);
    g_test_add_func("/dbm/alias/unknown-bitmap-alias",
                    test_unknown_bitmap_alias);
    g_test_add_func("/dbm/alias/unknown-node-alias",
                    test_unknown_node_alias);
    g_test_add_func("/dbm/alias/persistent-transforms",
                    test_persistent_transforms);
    g_test_add_func("/dbm/alias/long-names", test_long_names);
    g_test_add_func("/dbm/alias/auto-named-node", test_auto_named_aliased);
    return g_test_run();
}
