/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A bitmap migration seen moving: query-migrate and 'info migrate'. */

/*
 * Issue 12: minivmm's query-migrate member x-dirty-bitmaps (unstable,
 * QEMU clients ignore it; QEMU 7.2 has nothing like it) gives each
 * side's figures, and 'info migrate' one line of them when there were
 * bitmaps.  Both sides count the same stream: the source's bytes and
 * BITS chunks sent equal the destination's received.
 *
 * During postcopy query-migrate's ram.transferred does not move, in QEMU
 * 7.2 as here: it counts RAM (the 'ram' section's bytes), and the
 * bitmaps are not RAM (QEMU 7.2's figure stays at what its precopy
 * rounds sent while postcopy moves the bitmaps; ram.mbps, over the whole
 * stream, shows the rate in both).  So 'ram' keeps QEMU's meaning and
 * the bitmaps' bytes move in x-dirty-bitmaps.
 */

#include "qemu/osdep.h"
#include "dbm-common.h"
#include "dbm-xinfo.h"

#define DRIVE "-blockdev driver=null-co,node-name=drive0,size=1073741824"
/* 64 GiB: at 512 B a bitmap has 2^27 granules, postcopy takes seconds. */
#define BIG_DRIVE "-blockdev driver=null-co,node-name=drive0,size=68719476736"

static const struct {
    const char *name;
    uint64_t granularity;
} bitmaps[] = {
    { "b-64k", 65536 }, { "b-4k", 4096 }, { "b-512", 512 },
};

/* A source with the bitmaps, each with data, and a destination. */
static void pair(const char *drive, QTestState **src, QTestState **dst)
{
    *src = dbm_vm_start("%s", drive);
    *dst = dbm_vm_start_incoming("%s", drive);
    for (size_t i = 0; i < G_N_ELEMENTS(bitmaps); i++) {
        mig_bitmap_add(*src, "drive0", bitmaps[i].name,
                       bitmaps[i].granularity, false);
    }
    dbm_write(*src, "drive0", 0, 1 << 20, false);
    dbm_write(*src, "drive0", 512 << 20, 4096, false);
    mig_set_caps(*src, "events,dirty-bitmaps");
    mig_set_caps(*dst, "events,dirty-bitmaps");
}

/* The per-bitmap lines of @x: names, node, granularity, all complete. */
static void assert_bitmap_lines(json_t *x)
{
    uint64_t sum = 0;

    g_assert_cmpuint(json_array_size(json_object_get(x, "bitmaps")), ==,
                     G_N_ELEMENTS(bitmaps));
    for (size_t i = 0; i < G_N_ELEMENTS(bitmaps); i++) {
        json_t *b = xdbm_bitmap(x, bitmaps[i].name);

        g_assert_nonnull(b);
        g_assert_cmpstr(json_string_value(json_object_get(b, "node")), ==,
                        "drive0");
        g_assert_cmpuint(xdbm_uint(b, "granularity"), ==,
                         bitmaps[i].granularity);
        g_assert_true(json_is_true(json_object_get(b, "completed")));
        g_assert_cmpuint(xdbm_uint(b, "chunks"), >, 0);
        sum += xdbm_uint(b, "bytes");
    }
    /* The rest are the EOS bytes that end each section. */
    g_assert_cmpuint(sum, <, xdbm_uint(x, "bytes"));
}

/* 'info migrate' on @s has the line of @x's figures, with @what. */
static void assert_info_line(QTestState *s, json_t *x, const char *what)
{
    g_autofree char *info = qtest_hmp(s, "info migrate");
    g_autofree char *line = g_strdup_printf(
        "\r\ndirty bitmaps: 3 total, 3 started, 3 completed, 0 dropped, "
        "%" PRIu64 " bytes %s, %" PRIu64 " chunks\r\n",
        xdbm_uint(x, "bytes"), what, xdbm_uint(x, "chunks"));

    g_assert_nonnull(strstr(info, line));
}

/*
 * After a precopy: three bitmaps total, started and completed on both
 * sides, nothing pending or dropped, the same bytes and chunks counted
 * by both; 'info migrate' prints them in a line of its own.
 */
static void test_precopy_figures(void)
{
    QTestState *src, *dst;
    json_t *xs, *xd;

    pair(DRIVE, &src, &dst);
    mig_migrate(src, dst);
    g_free(mig_wait_status(src, "completed"));
    g_free(mig_wait_status(dst, "completed"));

    xs = xdbm_query(src);
    xd = xdbm_query(dst);
    g_assert_nonnull(xs);
    g_assert_nonnull(xd);
    g_assert_true(json_is_false(json_object_get(xs, "incoming")));
    g_assert_true(json_is_true(json_object_get(xd, "incoming")));
    for (int side = 0; side < 2; side++) {
        json_t *x = side ? xd : xs;

        g_assert_cmpuint(xdbm_uint(x, "total"), ==, 3);
        g_assert_cmpuint(xdbm_uint(x, "started"), ==, 3);
        g_assert_cmpuint(xdbm_uint(x, "completed"), ==, 3);
        g_assert_cmpuint(xdbm_n_dropped(x), ==, 0);
        assert_bitmap_lines(x);
    }
    g_assert_cmpuint(xdbm_uint(xs, "pending"), ==, 0);
    g_assert_null(json_object_get(xd, "pending"));
    g_assert_cmpuint(xdbm_uint(xs, "bytes"), ==, xdbm_uint(xd, "bytes"));
    g_assert_cmpuint(xdbm_uint(xs, "chunks"), ==, xdbm_uint(xd, "chunks"));
    g_assert_cmpuint(xdbm_uint(xs, "chunks"), >, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(bitmaps); i++) {
        g_assert_cmpuint(xdbm_uint(xdbm_bitmap(xs, bitmaps[i].name),
                                   "bytes"), ==,
                         xdbm_uint(xdbm_bitmap(xd, bitmaps[i].name),
                                   "bytes"));
    }

    assert_info_line(src, xs, "sent, 0 pending");
    assert_info_line(dst, xd, "received");
    json_decref(xs);
    json_decref(xd);
    qtest_quit(src);
    qtest_quit(dst);
}

/*
 * Without bitmaps query-migrate says so (total 0) and 'info migrate'
 * stays QEMU 7.2's; without the dirty-bitmaps capability there is no
 * x-dirty-bitmaps at all.
 */
static void test_no_bitmaps(gconstpointer opaque)
{
    bool cap = GPOINTER_TO_INT(opaque);
    QTestState *src = dbm_vm_start("%s", DRIVE);
    QTestState *dst = dbm_vm_start_incoming("%s", DRIVE);
    g_autofree char *info = NULL;
    json_t *x;

    mig_set_caps(src, cap ? "events,dirty-bitmaps" : "events");
    mig_set_caps(dst, cap ? "events,dirty-bitmaps" : "events");
    mig_migrate(src, dst);
    g_free(mig_wait_status(src, "completed"));
    g_free(mig_wait_status(dst, "completed"));
    x = xdbm_query(src);
    if (cap) {
        g_assert_nonnull(x);
        g_assert_cmpuint(xdbm_uint(x, "total"), ==, 0);
        g_assert_cmpuint(xdbm_n_dropped(x), ==, 0);
    } else {
        g_assert_null(x);
        g_assert_null(xdbm_query(dst));
    }
    json_decref(x);
    info = qtest_hmp(src, "info migrate");
    g_assert_null(strstr(info, "dirty bitmaps"));
    qtest_quit(src);
    qtest_quit(dst);
}

/*
 * A slow postcopy: while it is postcopy-active the bytes grow on both
 * sides from one poll to another, the source's pending shrinks (after
 * rising once, when the switch adds postcopy's full pass to it), the
 * three COMPLETEs go together at the end; ram.transferred keeps counting
 * RAM only.
 */
static void test_postcopy_moves(void)
{
    QTestState *src, *dst;
    uint64_t last_sent = 0, last_rcvd = 0, last_pending = UINT64_MAX;
    int moves = 0, rises = 0;
    json_t *x;

    pair(BIG_DRIVE, &src, &dst);
    xdbm_slow_postcopy(src, dst, 300000, "b-512");
    g_free(mig_wait_status(src, "postcopy-active"));

    for (;;) {
        /* The destination first: it cannot have had more than was sent. */
        json_t *xd = xdbm_query(dst);
        json_t *ret = qtest_qmp_assert_success_ref(src,
            "{\"execute\": \"query-migrate\"}");
        const char *st = json_string_value(json_object_get(ret, "status"));
        json_t *ram = json_object_get(ret, "ram");
        json_t *xs = json_object_get(ret, "x-dirty-bitmaps");
        uint64_t sent, pending, rcvd;

        if (strcmp(st, "postcopy-active")) {
            g_assert_cmpstr(st, ==, "completed");
            json_decref(xd);
            json_decref(ret);
            break;
        }
        g_assert_nonnull(xs);
        sent = xdbm_uint(xs, "bytes");
        pending = xdbm_uint(xs, "pending");
        rcvd = xdbm_uint(xd, "bytes");
        /* The COMPLETEs go together, last, with nothing left pending. */
        g_assert_true(xdbm_uint(xs, "completed") == 0 ||
                      (xdbm_uint(xs, "completed") == 3 && pending == 0));
        g_assert_cmpuint(sent, >=, last_sent);
        /* Once, when postcopy's full pass joins the estimate. */
        rises += pending > last_pending;
        g_assert_cmpint(rises, <=, 1);
        g_assert_cmpuint(json_integer_value(json_object_get(ram,
                                                            "transferred")),
                         <, 1024);
        g_assert_cmpuint(rcvd, >=, last_rcvd);
        g_assert_cmpuint(rcvd, <=, sent);
        if (sent > last_sent && rcvd > last_rcvd && last_sent) {
            moves++;
        }
        last_sent = sent;
        last_rcvd = rcvd;
        last_pending = pending;
        json_decref(xd);
        json_decref(ret);
    }
    g_assert_cmpint(moves, >=, 2);
    g_free(mig_wait_status(dst, "completed"));
    x = xdbm_query(dst);
    g_assert_cmpuint(xdbm_uint(x, "completed"), ==, 3);
    json_decref(x);
    x = xdbm_query(src);
    g_assert_cmpuint(xdbm_uint(x, "completed"), ==, 3);
    g_assert_cmpuint(xdbm_uint(x, "pending"), ==, 0);
    json_decref(x);
    qtest_quit(src);
    qtest_quit(dst);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/dbm-progress/precopy", test_precopy_figures);
    g_test_add_data_func("/dbm-progress/no-bitmaps", GINT_TO_POINTER(true),
                         test_no_bitmaps);
    g_test_add_data_func("/dbm-progress/no-capability",
                         GINT_TO_POINTER(false), test_no_bitmaps);
    g_test_add_func("/dbm-progress/postcopy-moves", test_postcopy_moves);
    return g_test_run();
}
