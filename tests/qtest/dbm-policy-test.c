/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bitmaps that do not migrate: removed, kept, skipped, listed, fatal. */

/*
 * Issue 11's policy (minivmm's x-dirty-bitmaps-* migration parameters,
 * qapi/migration.json) and what query-migrate's x-dirty-bitmaps lists:
 *
 *   - a stream that ends without a bitmap's COMPLETE, or is cut in
 *     postcopy between two COMPLETEs or inside a bitmap's data: QEMU
 *     7.2's captures, cut or edited at exact bytes, loaded with
 *     "migrate-incoming exec:cat";
 *   - a destination block-bitmap-mapping that matches nothing, names a
 *     missing node, or lacks a bitmap alias: live migrations;
 *   - a busy bitmap on the source: a process that is still loading its
 *     bitmaps in postcopy migrates on to a third one.
 *
 * Each case checks both sides' bitmaps, the destination's log and what
 * query-migrate lists.  What QEMU 7.2 does differs where noted: it
 * leaves a bitmap whose COMPLETE never came busy for good (checked
 * against qemu-system-x86_64 when it is installed), drops bitmaps with a
 * line in its log and lists nothing, has no parameter to keep, skip or
 * fail, and fails the whole migration for one busy bitmap.
 */

#include "qemu/osdep.h"
#include "dbm-common.h"
#include "dbm-xinfo.h"

#define DRIVE "-blockdev driver=null-co,node-name=drive0,size=1073741824"

/*
 * Offsets in QEMU 7.2's captures (tests/data/streams/ *.parsed.txt):
 * postcopy.s2d.bin sends bmB's bits, then bmA's in two chunks, then
 * COMPLETE bmB and COMPLETE bmA; precopy_2bitmaps.bin ends with COMPLETE
 * bmB, COMPLETE bmA ("24 03 bmA") in its END section.
 */
#define POSTCOPY_BMA_SECOND_CHUNK   0x1206
#define POSTCOPY_COMPLETE_BMA       0x163d
#define PRECOPY_COMPLETE_BMA        0xb5c3b
#define COMPLETE_BMA_LEN            5

/* bmA's granules set in the captures (bmA: 64 KiB, 16384 granules). */
static const uint64_t bma_bits[] = { 0, 16, 3051, 3052, 3053, 3054, 3055,
                                     3056, 8192, 16383 };

typedef enum Policy {
    POLICY_DEFAULT,         /* parameters off: removed, as QEMU does */
    POLICY_KEEP,            /* x-dirty-bitmaps-keep-incomplete */
    POLICY_STRICT,          /* x-dirty-bitmaps-strict */
} Policy;

static void set_policy(QTestState *s, Policy p)
{
    if (p == POLICY_KEEP) {
        mig_set_params(s, "\"x-dirty-bitmaps-keep-incomplete\": true");
    } else if (p == POLICY_STRICT) {
        mig_set_params(s, "\"x-dirty-bitmaps-strict\": true");
    }
}

/*
 * A destination (@binary, or minivmm if NULL) that loads @stream with
 * policy @p.  It has the dirty-bitmaps capability: a postcopy stream
 * that breaks costs only the bitmaps then (QEMU 7.2's condition).
 */
static QTestState *load_stream(const char *binary, const GByteArray *stream,
                               Policy p)
{
    QTestState *dst;
    g_autofree char *path = NULL;

    if (binary) {
        dst = mig_vm_start_binary(binary, DBM_BASE_ARGS DRIVE
                                  " -incoming defer");
    } else {
        dst = dbm_vm_start_incoming(DRIVE);
    }
    mig_set_caps(dst, "dirty-bitmaps");
    set_policy(dst, p);
    path = xdbm_tmp_file(dst, "stream.bin", stream->data, stream->len);
    qtest_qmp_assert_success(dst, "{\"execute\": \"migrate-incoming\", "
                             "\"arguments\": {\"uri\": \"exec:cat %s\"}}",
                             path);
    return dst;
}

/* bmA as the captures have it, with every granule from @first on set. */
static DBMOracle *bma_from(uint64_t first)
{
    DBMOracle *o = dbm_oracle_new(GiB, 65536, true);

    for (size_t i = 0; i < G_N_ELEMENTS(bma_bits); i++) {
        dbm_oracle_write(o, bma_bits[i] * 65536, 65536, true);
    }
    if (first * 65536 < GiB) {
        dbm_oracle_write(o, first * 65536, GiB - first * 65536, true);
    }
    return o;
}

/* @s's figures: @total STARTs, @started made, @completed COMPLETEs. */
static json_t *assert_figures(QTestState *s, uint64_t total,
                              uint64_t started, uint64_t completed)
{
    json_t *x = xdbm_query(s);

    g_assert_nonnull(x);
    g_assert_true(json_is_true(json_object_get(x, "incoming")));
    g_assert_cmpuint(xdbm_uint(x, "total"), ==, total);
    g_assert_cmpuint(xdbm_uint(x, "started"), ==, started);
    g_assert_cmpuint(xdbm_uint(x, "completed"), ==, completed);
    return x;
}

/* bmA is gone, listed as incomplete, and the log says so. */
static void assert_bma_removed(QTestState *dst, json_t *x)
{
    xdbm_assert_dropped(x, "drive0", "bmA", "incomplete", false, 0);
    dbm_assert_no_bitmap(dst, "drive0", "bmA");
    dbm_assert_log_has(dst, "Bitmap 'bmA' on node 'drive0' did not "
                       "migrate (incomplete)");
}

/*
 * bmA was kept, listed as incomplete, with its granules from @first on
 * set, recording and free again; the log says so.
 */
static void assert_bma_kept(QTestState *dst, json_t *x, uint64_t first)
{
    DBMOracle *o = bma_from(first);
    g_autofree char *line = g_strdup_printf(
        "Migrated bitmap 'bmA' on node 'drive0' did not arrive whole "
        "(incomplete): kept with every bit from byte %" PRIu64 " on set",
        first * 65536);

    xdbm_assert_dropped(x, "drive0", "bmA", "incomplete", true,
                        first * 65536);
    dbm_assert_bitmap(dst, NULL, "drive0", "bmA", true, false, false, 65536);
    dbm_assert_oracle(dst, "drive0", "bmA", o);
    dbm_oracle_free(o);
    dbm_assert_log_has(dst, line);
}

/* ---- The stream ends (precopy) without bmA's COMPLETE ---- */

/* precopy_2bitmaps.bin without the chunk "COMPLETE bmA". */
static GByteArray *precopy_without_complete(void)
{
    GByteArray *a = xdbm_capture("precopy_2bitmaps.bin");

    if (a) {
        g_assert_cmpmem(a->data + PRECOPY_COMPLETE_BMA, COMPLETE_BMA_LEN,
                        "\x24\x03" "bmA", COMPLETE_BMA_LEN);
        g_byte_array_remove_range(a, PRECOPY_COMPLETE_BMA, COMPLETE_BMA_LEN);
    }
    return a;
}

/*
 * The load ends well, bmA never completed: removed (default), or kept
 * with every bit set (precopy data is not final: nothing of it can be
 * trusted), or the migration fails (strict, the process exits as for
 * any failed precopy load).  bmB arrives whole in every case.
 */
static void test_no_complete(gconstpointer opaque)
{
    Policy p = GPOINTER_TO_INT(opaque);
    g_autoptr(GByteArray) stream = precopy_without_complete();
    g_autofree char *st = NULL;
    QTestState *dst;
    json_t *x;

    if (!stream) {
        return;
    }
    dst = load_stream(NULL, stream, p);
    if (p == POLICY_STRICT) {
        mig_wait_exit_status(dst, 1);
        dbm_assert_log_has(dst, "Bitmap 'bmA' on node 'drive0' did not "
                           "migrate (incomplete)");
        dbm_assert_log_has(dst, "x-dirty-bitmaps-strict");
        qtest_quit(dst);
        return;
    }
    st = xdbm_wait_end(dst);
    g_assert_cmpstr(st, ==, "completed");
    g_free(mig_runstate_leaves(dst, "inmigrate"));

    dbm_assert_bitmap(dst, NULL, "drive0", "bmB", false, false, true, 4096);
    g_free(st);
    st = mig_bitmap_sha256(dst, "drive0", "bmB");
    g_assert_cmpstr(st, ==, DBM_SHA_BMB);
    x = assert_figures(dst, 2, 2, 1);
    g_assert_cmpuint(xdbm_n_dropped(x), ==, 1);
    if (p == POLICY_KEEP) {
        assert_bma_kept(dst, x, 0);
    } else {
        assert_bma_removed(dst, x);
    }
    json_decref(x);
    qtest_quit(dst);
}

/* QEMU 7.2 leaves bmA busy (and recording into its successor) for good. */
static void test_no_complete_qemu(void)
{
    g_autoptr(GByteArray) stream = NULL;
    g_autofree char *st = NULL;
    QTestState *dst;

    if (mig_skip_without_qemu_7_2()) {
        return;
    }
    stream = precopy_without_complete();
    if (!stream) {
        return;
    }
    dst = load_stream(mig_qemu_7_2(), stream, POLICY_DEFAULT);
    st = xdbm_wait_end(dst);
    g_assert_cmpstr(st, ==, "completed");
    g_free(mig_runstate_leaves(dst, "inmigrate"));
    dbm_assert_bitmap(dst, NULL, "drive0", "bmA", true, true, false, 65536);
    dbm_assert_busy_remove(dst, "drive0", "bmA");
    qtest_quit(dst);
}

/* ---- Postcopy cut: between the COMPLETEs, or in bmA's data ---- */

/*
 * The stream breaks after COMPLETE bmB, before COMPLETE bmA: bmB is the
 * VM's, the VM runs, and bmA, all of whose data came in postcopy's
 * in-order pass, is removed, or kept exactly as the source had it (its
 * first missing byte is the disk's end), or the migration fails with
 * the VM running.
 */
static void test_cut_between_completes(gconstpointer opaque)
{
    Policy p = GPOINTER_TO_INT(opaque);
    g_autoptr(GByteArray) stream = xdbm_capture("postcopy.s2d.bin");
    g_autofree char *st = NULL;
    g_autofree char *sha = NULL;
    QTestState *dst;
    json_t *x, *ret;

    if (!stream) {
        return;
    }
    g_byte_array_set_size(stream, POSTCOPY_COMPLETE_BMA);
    dst = load_stream(NULL, stream, p);
    st = xdbm_wait_end(dst);
    g_assert_cmpstr(st, ==, p == POLICY_STRICT ? "failed" : "completed");
    g_free(st);
    st = mig_runstate(dst);
    g_assert_cmpstr(st, ==, "running");

    dbm_assert_bitmap(dst, NULL, "drive0", "bmB", false, false, false, 4096);
    sha = mig_bitmap_sha256(dst, "drive0", "bmB");
    g_assert_cmpstr(sha, ==, DBM_SHA_BMB);
    x = assert_figures(dst, 2, 2, 1);
    g_assert_cmpuint(xdbm_n_dropped(x), ==, 1);
    if (p == POLICY_KEEP) {
        /* All of it came, so the oracle is the source's bmA. */
        assert_bma_kept(dst, x, GiB / 65536);
        g_free(sha);
        sha = mig_bitmap_sha256(dst, "drive0", "bmA");
        g_assert_cmpstr(sha, ==, DBM_SHA_BMA);
    } else {
        assert_bma_removed(dst, x);
    }
    if (p == POLICY_STRICT) {
        ret = qtest_qmp_assert_success_ref(dst,
            "{\"execute\": \"query-migrate\"}");
        g_assert_nonnull(strstr(json_string_value(json_object_get(ret,
                                                  "error-desc")),
                                "x-dirty-bitmaps-strict"));
        json_decref(ret);
    }
    json_decref(x);
    qtest_quit(dst);
}

/*
 * The stream breaks after bmA's first chunk (granules 0..8191): bmB's
 * bits all came but not its COMPLETE, so it is kept as it was; bmA is
 * kept with every granule from 8192 on set, a superset of the source's.
 */
static void test_cut_mid_data_keep(void)
{
    g_autoptr(GByteArray) stream = xdbm_capture("postcopy.s2d.bin");
    g_autofree char *st = NULL;
    g_autofree char *sha = NULL;
    QTestState *dst;
    json_t *x;

    if (!stream) {
        return;
    }
    g_byte_array_set_size(stream, POSTCOPY_BMA_SECOND_CHUNK);
    dst = load_stream(NULL, stream, POLICY_KEEP);
    st = xdbm_wait_end(dst);
    g_assert_cmpstr(st, ==, "completed");

    x = assert_figures(dst, 2, 2, 0);
    g_assert_cmpuint(xdbm_n_dropped(x), ==, 2);
    xdbm_assert_dropped(x, "drive0", "bmB", "incomplete", true, GiB);
    dbm_assert_bitmap(dst, NULL, "drive0", "bmB", false, false, false, 4096);
    sha = mig_bitmap_sha256(dst, "drive0", "bmB");
    g_assert_cmpstr(sha, ==, DBM_SHA_BMB);
    assert_bma_kept(dst, x, 8192);
    json_decref(x);
    qtest_quit(dst);
}

/* ---- A destination mapping that leads nowhere ---- */

typedef struct MappingCase {
    const char *mapping;        /* the destination's block-bitmap-mapping */
    const char *reason;         /* of the first bitmap the stream names */
} MappingCase;

/* Nothing for the alias "drive0" the source sends. */
static const MappingCase map_matches_nothing = {
    "[{\"node-name\": \"drive0\", \"alias\": \"elsewhere\", \"bitmaps\": "
    "[{\"name\": \"b0\", \"alias\": \"b0\"}]}]", "no-mapping",
};
/* "drive0" maps to a node the destination does not have. */
static const MappingCase map_missing_node = {
    "[{\"node-name\": \"nosuch\", \"alias\": \"drive0\", \"bitmaps\": "
    "[{\"name\": \"b0\", \"alias\": \"b0\"}]}]", "no-node",
};
/* The node is mapped, none of the source's bitmaps is. */
static const MappingCase map_unknown_alias = {
    "[{\"node-name\": \"drive0\", \"alias\": \"drive0\", \"bitmaps\": "
    "[{\"name\": \"b9\", \"alias\": \"b9\"}]}]", "no-mapping",
};

static const char *const live_names[] = { "b0", "b1", "b2" };

/* A source with three bitmaps that hold data, and a destination. */
static void live_pair(QTestState **src, QTestState **dst, const char *caps)
{
    *src = dbm_vm_start(DRIVE);
    *dst = dbm_vm_start_incoming(DRIVE);
    for (size_t i = 0; i < G_N_ELEMENTS(live_names); i++) {
        mig_bitmap_add(*src, "drive0", live_names[i], 65536, false);
    }
    dbm_write(*src, "drive0", 0, 1 << 20, false);
    mig_set_caps(*src, caps);
    mig_set_caps(*dst, caps);
}

/*
 * Both sides complete without the bitmaps (QEMU does too): the
 * destination lists each, the first for @reason, the others as
 * cancelled with it; the source sent them all and lists none.
 */
static void test_mapping(gconstpointer opaque)
{
    const MappingCase *mc = opaque;
    g_autofree char *mapping = g_strdup_printf("\"block-bitmap-mapping\": "
                                               "%s", mc->mapping);
    QTestState *src, *dst;
    json_t *x;
    size_t cancelled = 0, first = 0;

    live_pair(&src, &dst, "events,dirty-bitmaps");
    mig_set_params(dst, mapping);
    mig_migrate(src, dst);
    g_free(mig_wait_status(src, "completed"));
    g_free(mig_wait_status(dst, "completed"));

    dbm_assert_no_bitmap(dst, "drive0", NULL);
    x = assert_figures(dst, 3, 0, 0);
    g_assert_cmpuint(xdbm_n_dropped(x), ==, 3);
    for (size_t i = 0; i < G_N_ELEMENTS(live_names); i++) {
        json_t *d = xdbm_dropped(x, live_names[i]);
        g_autofree char *line = g_strdup_printf("Bitmap '%s' on node "
                                                "'drive0' did not migrate",
                                                live_names[i]);
        const char *why;

        g_assert_nonnull(d);
        g_assert_cmpstr(json_string_value(json_object_get(d, "node")), ==,
                        "drive0");
        g_assert_true(json_is_false(json_object_get(d, "kept")));
        why = json_string_value(json_object_get(d, "reason"));
        if (!strcmp(why, "cancelled")) {
            cancelled++;
        } else {
            g_assert_cmpstr(why, ==, mc->reason);
            first++;
        }
        dbm_assert_log_has(dst, line);
    }
    g_assert_cmpuint(first, ==, 1);
    g_assert_cmpuint(cancelled, ==, 2);
    json_decref(x);

    x = xdbm_query(src);
    g_assert_true(json_is_false(json_object_get(x, "incoming")));
    g_assert_cmpuint(xdbm_uint(x, "completed"), ==, 3);
    g_assert_cmpuint(xdbm_n_dropped(x), ==, 0);
    json_decref(x);
    qtest_quit(src);
    qtest_quit(dst);
}

/*
 * x-dirty-bitmaps-strict on the destination: the load fails at the
 * first bitmap that leads nowhere, the destination exits as for any
 * failed precopy load, and the source's migration fails with it.
 */
static void test_mapping_strict(void)
{
    g_autofree char *mapping = g_strdup_printf("\"block-bitmap-mapping\": "
                                               "%s",
                                               map_matches_nothing.mapping);
    QTestState *src, *dst;

    live_pair(&src, &dst, "events,dirty-bitmaps,return-path");
    mig_set_params(dst, mapping);
    set_policy(dst, POLICY_STRICT);
    mig_migrate(src, dst);
    mig_wait_exit_status(dst, 1);
    dbm_assert_log_has(dst, "x-dirty-bitmaps-strict");
    g_free(mig_wait_status(src, "failed"));
    dbm_wait_not_busy(src, "drive0");
    qtest_quit(src);
    qtest_quit(dst);
}

/* ---- A busy bitmap on the source ---- */

/* A 64 GiB disk: 2^27 granules at 512 B, postcopy sends for seconds. */
#define BIG_DRIVE "-blockdev driver=null-co,node-name=drive0,size=68719476736"

/*
 * A migrates x and y to B in a slow postcopy; while B still loads them
 * (busy there), B migrates to C with its own bitmap "own".  @opaque:
 * the policy on B: POLICY_KEEP stands for x-dirty-bitmaps-skip-busy
 * here; POLICY_STRICT sets both skip-busy and strict.
 */
static void test_source_busy(gconstpointer opaque)
{
    Policy p = GPOINTER_TO_INT(opaque);
    QTestState *a = dbm_vm_start(BIG_DRIVE);
    QTestState *b = dbm_vm_start_incoming(BIG_DRIVE);
    QTestState *c = dbm_vm_start_incoming(BIG_DRIVE);
    g_autofree char *uri = NULL;
    json_t *x;

    mig_bitmap_add(a, "drive0", "x", 512, false);
    mig_bitmap_add(a, "drive0", "y", 512, false);
    mig_set_caps(a, "events,dirty-bitmaps");
    mig_set_caps(b, "events,dirty-bitmaps");
    mig_set_caps(c, "events,dirty-bitmaps");
    xdbm_slow_postcopy(a, b, 50000, "y");
    g_free(mig_wait_status(b, "postcopy-active"));
    g_free(mig_runstate_leaves(b, "inmigrate"));
    dbm_assert_busy_remove(b, "drive0", "x");
    mig_bitmap_add(b, "drive0", "own", 65536, false);

    if (p != POLICY_DEFAULT) {
        mig_set_params(b, "\"x-dirty-bitmaps-skip-busy\": true");
    }
    set_policy(b, p == POLICY_STRICT ? POLICY_STRICT : POLICY_DEFAULT);
    uri = g_strdup_printf("unix:%s/mig.sock", qtest_tmpdir(c));
    qtest_qmp_assert_success(c, "{\"execute\": \"migrate-incoming\", "
                             "\"arguments\": {\"uri\": \"%s\"}}", uri);
    mig_migrate_to(b, uri);
    if (p != POLICY_KEEP) {
        /* QEMU 7.2's way: one busy bitmap fails the migration. */
        g_free(mig_wait_status(b, "failed"));
        mig_wait_exit_status(c, 1);     /* its load broke off */
        dbm_assert_log_has(b, "Bitmap 'x' is currently in use by another "
                           "operation and cannot be used");
        dbm_assert_log_lacks(b, "x-dirty-bitmaps-skip-busy");
    } else {
        g_free(mig_wait_status(b, "completed"));
        g_free(mig_wait_status(c, "completed"));
        dbm_assert_log_has(b, "Bitmap 'x' on node 'drive0' is not migrated "
                           "(x-dirty-bitmaps-skip-busy)");
        dbm_assert_no_bitmap(c, "drive0", "x");
        dbm_assert_no_bitmap(c, "drive0", "y");
        dbm_assert_same_sha(b, "drive0", "own", c, "drive0", "own");
        x = xdbm_query(b);
        g_assert_true(json_is_false(json_object_get(x, "incoming")));
        g_assert_cmpuint(xdbm_uint(x, "total"), ==, 1);
        g_assert_cmpuint(xdbm_uint(x, "completed"), ==, 1);
        g_assert_cmpuint(xdbm_n_dropped(x), ==, 2);
        xdbm_assert_dropped(x, "drive0", "x", "busy", false, 0);
        xdbm_assert_dropped(x, "drive0", "y", "busy", false, 0);
        g_assert_nonnull(xdbm_bitmap(x, "own"));
        json_decref(x);
    }
    /* B still loads x and y: they are as busy as before. */
    dbm_assert_busy_remove(b, "drive0", "x");
    qtest_quit(a);
    qtest_quit(b);
    qtest_quit(c);
}

/* ---- The parameters ---- */

static const char *const params[] = {
    "x-dirty-bitmaps-keep-incomplete", "x-dirty-bitmaps-skip-busy",
    "x-dirty-bitmaps-strict",
};

/*
 * Off and absent from query-migrate-parameters (so that its answer is
 * QEMU 7.2's) until set; set by QMP or HMP, shown by both.
 */
static void test_params(void)
{
    QTestState *s = dbm_vm_start("%s", "");
    g_autofree char *info = NULL;
    json_t *ret;

    ret = qtest_qmp_assert_success_ref(s,
        "{\"execute\": \"query-migrate-parameters\"}");
    for (size_t i = 0; i < G_N_ELEMENTS(params); i++) {
        g_assert_null(json_object_get(ret, params[i]));
    }
    json_decref(ret);
    info = qtest_hmp(s, "info migrate_parameters");
    g_assert_null(strstr(info, "x-dirty-bitmaps"));

    mig_set_params(s, "\"x-dirty-bitmaps-keep-incomplete\": true");
    g_free(qtest_hmp(s, "migrate_set_parameter x-dirty-bitmaps-skip-busy "
                     "on"));
    mig_set_params(s, "\"x-dirty-bitmaps-strict\": false");
    ret = qtest_qmp_assert_success_ref(s,
        "{\"execute\": \"query-migrate-parameters\"}");
    g_assert_true(json_is_true(json_object_get(ret, params[0])));
    g_assert_true(json_is_true(json_object_get(ret, params[1])));
    g_assert_true(json_is_false(json_object_get(ret, params[2])));
    json_decref(ret);
    g_free(info);
    info = qtest_hmp(s, "info migrate_parameters");
    g_assert_nonnull(strstr(info, "\r\nx-dirty-bitmaps-keep-incomplete: "
                            "on\r\nx-dirty-bitmaps-skip-busy: on\r\n"
                            "x-dirty-bitmaps-strict: off\r\n"));
    g_free(info);
    info = qtest_hmp(s, "migrate_set_parameter x-dirty-bitmaps-strict "
                     "maybe");
    g_assert_nonnull(strstr(info, "x-dirty-bitmaps-strict"));
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/dbm-policy/no-complete/remove",
                         GINT_TO_POINTER(POLICY_DEFAULT), test_no_complete);
    g_test_add_data_func("/dbm-policy/no-complete/keep",
                         GINT_TO_POINTER(POLICY_KEEP), test_no_complete);
    g_test_add_data_func("/dbm-policy/no-complete/strict",
                         GINT_TO_POINTER(POLICY_STRICT), test_no_complete);
    g_test_add_func("/dbm-policy/no-complete/qemu-7.2",
                    test_no_complete_qemu);
    g_test_add_data_func("/dbm-policy/postcopy-cut/between-completes/remove",
                         GINT_TO_POINTER(POLICY_DEFAULT),
                         test_cut_between_completes);
    g_test_add_data_func("/dbm-policy/postcopy-cut/between-completes/keep",
                         GINT_TO_POINTER(POLICY_KEEP),
                         test_cut_between_completes);
    g_test_add_data_func("/dbm-policy/postcopy-cut/between-completes/strict",
                         GINT_TO_POINTER(POLICY_STRICT),
                         test_cut_between_completes);
    g_test_add_func("/dbm-policy/postcopy-cut/mid-data/keep",
                    test_cut_mid_data_keep);
    g_test_add_data_func("/dbm-policy/mapping/matches-nothing",
                         &map_matches_nothing, test_mapping);
    g_test_add_data_func("/dbm-policy/mapping/missing-node",
                         &map_missing_node, test_mapping);
    g_test_add_data_func("/dbm-policy/mapping/unknown-bitmap-alias",
                         &map_unknown_alias, test_mapping);
    g_test_add_func("/dbm-policy/mapping/strict", test_mapping_strict);
    g_test_add_data_func("/dbm-policy/source-busy/fail",
                         GINT_TO_POINTER(POLICY_DEFAULT), test_source_busy);
    g_test_add_data_func("/dbm-policy/source-busy/skip",
                         GINT_TO_POINTER(POLICY_KEEP), test_source_busy);
    g_test_add_data_func("/dbm-policy/source-busy/skip-strict",
                         GINT_TO_POINTER(POLICY_STRICT), test_source_busy);
    g_test_add_func("/dbm-policy/params", test_params);
    return g_test_run();
}
