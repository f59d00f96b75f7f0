/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Persistent bitmaps of qcow2 images across migration, and its failures. */

/*
 * Each case runs two processes on qcow2 images: one image both open
 * (shared storage) or one each (separate storage), and migrates
 * precopy, postcopy (both with the dirty-bitmaps capability) or precopy
 * without it. The source has three bitmaps on node n0:
 *   a  persistent, 64 KiB, recording (added over QMP, or by qemu-img);
 *   b  persistent, 128 KiB, disabled, from the image (qemu-img);
 *   t  transient, 512 B, recording.
 * With the capability they travel in the stream and the source stores
 * nothing: its image keeps b IN_USE; the destination creates a and b
 * persistent, and its image gets them when it stores (at quit). Without
 * it, the source stores a and b at inactivation; on shared storage the
 * destination loads them when it activates, on separate storage nothing
 * reaches it. After a failed or cancelled migration the source has its
 * bitmaps as they were, and its image holds them IN_USE as before.
 * Images are checked with qemu-img (check, info) after every case.
 *
 * QEMU 7.2 passes the success cases too (MINIVMM_BINARY=
 * qemu-system-x86_64): what they assert is its behaviour. Of the
 * failures it passes those after the inactivation and the postcopy
 * cancel; a migration that fails before the inactivation leaves its
 * bitmaps marked skip_store, so it does not store them at quit (minivmm
 * does: migrate_fd_cleanup()), and a cut in postcopy it does not notice.
 */

#include "qemu/osdep.h"

#include "dbm-common.h"
#include "migration-relay.h"
#include "qimg-common.h"

#define NODE_ARGS "-blockdev driver=qcow2,node-name=n0,file.driver=file," \
                  "file.filename=%s"
#define NBITMAPS 3

typedef enum Mode {
    MODE_PRECOPY,               /* dirty-bitmaps, precopy */
    MODE_POSTCOPY,              /* dirty-bitmaps, migrate-start-postcopy */
    MODE_NO_CAP,                /* no dirty-bitmaps capability */
} Mode;

typedef struct Case {
    const char *name;
    bool shared;
    Mode mode;
} Case;

/* The two processes, their images and the source's bitmaps before. */
typedef struct Pair {
    const Case *c;
    QTestState *src;
    QTestState *dst;
    char *src_img;
    char *dst_img;              /* == src_img on shared storage */
    char *sha[NBITMAPS];
} Pair;

static const char *const names[NBITMAPS] = { "a", "b", "t" };
static const uint64_t grans[NBITMAPS] = { 65536, 131072, 512 };
static const bool recording[NBITMAPS] = { true, false, true };
static const bool persistent[NBITMAPS] = { true, true, false };

static char *tmpdir;
static unsigned image_seq;

static char *new_image(void)
{
    char *path = g_strdup_printf("%s/img%u.qcow2", tmpdir, image_seq++);

    g_free(qimg_run("qemu-img create -f qcow2 %s 64M", path));
    return path;
}

static gint cmp_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The bitmaps of @path as qemu-img sees them, sorted by name:
 * "a:in-use,auto b:in-use" ("" without bitmaps).
 */
static char *image_bitmaps(const char *path, bool force_share)
{
    json_t *info = qimg_info(path, force_share), *bm, *f;
    g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) strv = NULL;
    size_t i, j;

    json_array_foreach(qimg_info_bitmaps(info), i, bm) {
        GString *s = g_string_new(json_string_value(json_object_get(bm,
                                                                    "name")));

        g_string_append_c(s, ':');
        json_array_foreach(json_object_get(bm, "flags"), j, f) {
            g_string_append_printf(s, "%s%s", j ? "," : "",
                                   json_string_value(f));
        }
        g_ptr_array_add(list, g_string_free(s, false));
    }
    json_decref(info);
    g_ptr_array_sort(list, cmp_names);
    g_ptr_array_add(list, NULL);
    strv = (char **)g_ptr_array_free(g_steal_pointer(&list), false);
    return g_strjoinv(" ", strv);
}

static void assert_image(const char *path, bool force_share,
                         const char *want)
{
    g_autofree char *got = image_bitmaps(path, force_share);

    g_assert_cmpstr(got, ==, want);
}

/*
 * Both processes with the source's bitmaps; @a_in_image: a comes from
 * the image (qemu-img) rather than from QMP (never stored yet).
 */
static Pair *pair_new(const Case *c, bool a_in_image)
{
    Pair *p = g_new0(Pair, 1);
    int i;

    p->c = c;
    p->src_img = new_image();
    p->dst_img = c->shared ? g_strdup(p->src_img) : new_image();
    g_free(qimg_run("qemu-img bitmap --add -g 128k %s b", p->src_img));
    if (a_in_image) {
        g_free(qimg_run("qemu-img bitmap --add -g 64k %s a", p->src_img));
    }
    g_free(qimg_run("qemu-io -f qcow2 -c 'write 0 1M' %s", p->src_img));
    g_free(qimg_run("qemu-img bitmap --disable %s b", p->src_img));

    p->src = dbm_vm_start(NODE_ARGS, p->src_img);
    if (!a_in_image) {
        qtest_qmp_assert_success(p->src,
            "{\"execute\": \"block-dirty-bitmap-add\", \"arguments\": "
            "{\"node\": \"n0\", \"name\": \"a\", \"persistent\": true}}");
    }
    mig_bitmap_add(p->src, "n0", "t", 512, false);
    dbm_write(p->src, "n0", 1 * MiB, 100000, false);
    dbm_write(p->src, "n0", 30 * MiB, 1, false);
    dbm_write(p->src, "n0", 64 * MiB - 512, 512, false);
    for (i = 0; i < NBITMAPS; i++) {
        p->sha[i] = mig_bitmap_sha256(p->src, "n0", names[i]);
    }
    assert_image(p->src_img, true, a_in_image ? "a:in-use,auto b:in-use"
                                              : "b:in-use");

    p->dst = dbm_vm_start_incoming(NODE_ARGS, p->dst_img);
    dbm_assert_no_bitmap(p->dst, "n0", NULL);
    mig_set_caps(p->src, c->mode == MODE_NO_CAP ? "events"
                                                : "events,dirty-bitmaps");
    mig_set_caps(p->dst, c->mode == MODE_NO_CAP ? "events"
                                                : "events,dirty-bitmaps");
    return p;
}

static void pair_free(Pair *p)
{
    int i;

    for (i = 0; i < NBITMAPS; i++) {
        g_free(p->sha[i]);
    }
    g_free(p->src_img);
    g_free(p->dst_img);
    g_free(p);
}

/* @s has bitmap @i of the source as it was: data, recording, flags. */
static void assert_bitmap_kept(Pair *p, QTestState *s, int i)
{
    g_autofree char *sha = mig_bitmap_sha256(s, "n0", names[i]);

    g_assert_cmpstr(sha, ==, p->sha[i]);
    dbm_assert_bitmap(s, NULL, "n0", names[i], recording[i], false,
                      persistent[i], grans[i]);
}

/*
 * A process opens @path read-only: the persistent bitmaps it stored are
 * what the source had.
 */
static void assert_stored(Pair *p, const char *path)
{
    QTestState *s = dbm_vm_start("-blockdev driver=qcow2,node-name=n0,"
                                 "read-only=on,file.driver=file,"
                                 "file.filename=%s", path);
    int i;

    for (i = 0; i < NBITMAPS; i++) {
        if (persistent[i]) {
            g_autofree char *sha = mig_bitmap_sha256(s, "n0", names[i]);

            g_assert_cmpstr(sha, ==, p->sha[i]);
        }
    }
    dbm_assert_no_bitmap(s, "n0", "t");
    qtest_quit(s);
}

/* Hold precopy until the bitmaps exist on the destination, then switch. */
static void run_postcopy(Pair *p)
{
    g_autofree char *st = NULL;
    int i;

    mig_set_params(p->src, "\"downtime-limit\": 0");
    mig_migrate(p->src, p->dst);
    st = mig_wait_status(p->src, "active");
    for (i = 0; i < NBITMAPS; i++) {
        dbm_wait_bitmap(p->dst, "n0", names[i]);
    }
    qtest_qmp_assert_success(p->src,
                             "{\"execute\": \"migrate-start-postcopy\"}");
}

/* A migration that succeeds, for each storage and mode. */
static void test_success(gconstpointer opaque)
{
    const Case *c = opaque;
    Pair *p = pair_new(c, false);
    bool cap = c->mode != MODE_NO_CAP;
    int i;

    if (c->mode == MODE_POSTCOPY) {
        run_postcopy(p);
    } else {
        mig_migrate(p->src, p->dst);
    }
    g_free(mig_wait_status(p->src, "completed"));
    g_free(mig_wait_status(p->dst, "completed"));
    dbm_wait_not_busy(p->dst, "n0");

    for (i = 0; i < NBITMAPS; i++) {
        if (cap || (c->shared && persistent[i])) {
            assert_bitmap_kept(p, p->dst, i);
        } else {
            dbm_assert_no_bitmap(p->dst, "n0", names[i]);
        }
    }
    if (cap) {
        /* nobody stored: b stays as the source marked it */
        assert_image(p->src_img, true, "b:in-use");
        if (!c->shared) {
            assert_image(p->dst_img, true, "");
        }
    } else if (c->shared) {
        /* stored by the source, loaded by the destination */
        assert_image(p->src_img, true, "a:in-use,auto b:in-use");
    } else {
        assert_image(p->src_img, true, "a:auto b:");
        assert_image(p->dst_img, true, "");
    }
    if (cap || c->shared) {
        /* the destination goes on recording into them */
        dbm_write(p->dst, "n0", 40 * MiB, 4096, false);
        g_free(p->sha[0]);
        p->sha[0] = mig_bitmap_sha256(p->dst, "n0", "a");
    }

    qtest_quit(p->src);
    qtest_quit(p->dst);
    qimg_assert_clean(p->src_img);
    qimg_assert_clean(p->dst_img);
    if (cap || c->shared) {
        assert_image(p->dst_img, false, "a:auto b:");
        assert_stored(p, p->dst_img);
    }
    if (!c->shared) {
        /* the source's image, inactive at quit, is as it left it */
        assert_image(p->src_img, false, cap ? "b:in-use" : "a:auto b:");
        if (!cap) {
            assert_image(p->dst_img, false, "");
            assert_stored(p, p->src_img);
        }
    }
    pair_free(p);
}

static const Case success_cases[] = {
    { "shared/precopy", true, MODE_PRECOPY },
    { "shared/postcopy", true, MODE_POSTCOPY },
    { "shared/no-capability", true, MODE_NO_CAP },
    { "separate/precopy", false, MODE_PRECOPY },
    { "separate/postcopy", false, MODE_POSTCOPY },
    { "separate/no-capability", false, MODE_NO_CAP },
};

/* ---- failures ---- */

typedef enum Fault {
    FAULT_CUT,                  /* the link breaks */
    FAULT_CANCEL,               /* migrate_cancel */
} Fault;

typedef struct FaultCase {
    const char *name;
    bool shared;
    Mode mode;
    Fault fault;
    bool switched;              /* after the source's inactivation */
} FaultCase;

/* Command id of the postcopy package (migration-stream.md 1.9). */
#define MIG_CMD_PACKAGED 7

/*
 * Poll (bounded by the timeout) until qemu-img may open @path: the
 * source let go of its locks, i.e. it inactivated its disk.
 */
static void wait_unlocked(const char *path)
{
    g_autofree char *cmd = g_strdup_printf("qemu-img info %s", path);
    gint64 deadline = g_get_monotonic_time() +
                      (gint64)qtest_get_default_timeout() * G_USEC_PER_SEC;
    int status;

    for (;;) {
        g_autofree char *out = NULL, *err = NULL;

        g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status,
                                                NULL));
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            return;
        }
        if (g_get_monotonic_time() > deadline) {
            g_error("%s stays locked", path);
        }
    }
}

/*
 * Postcopy: the destination gets the package and runs; behind it the
 * link breaks (@f->fault FAULT_CUT), or stalls and the source cancels.
 */
static void break_postcopy(Pair *p, const FaultCase *f, MigRelay *r)
{
    g_autofree char *st = NULL;

    mig_relay_at_cmd(r, MIG_CMD_PACKAGED, true,
                     f->fault == FAULT_CUT ? MIG_RELAY_CUT : MIG_RELAY_STALL);
    mig_set_params(p->src, "\"downtime-limit\": 0");
    mig_migrate_to(p->src, mig_relay_uri(r));
    g_free(mig_wait_status(p->src, "active"));
    qtest_qmp_assert_success(p->src,
                             "{\"execute\": \"migrate-start-postcopy\"}");
    mig_relay_wait(r);
    qtest_qmp_eventwait(p->dst, "RESUME");
    if (f->fault == FAULT_CUT) {
        /* cut while the bitmaps stream: paused; while completing: failed */
        st = mig_wait_status(p->src, "postcopy-paused|failed");
        if (!strcmp(st, "failed")) {
            return;
        }
    }
    qtest_qmp_assert_success(p->src, "{\"execute\": \"migrate_cancel\"}");
    g_free(mig_wait_status(p->src, "cancelled"));
}

/*
 * Precopy: cut or cancel while it is 'active' (@f->switched false), or
 * once the source inactivated its disk and waits for the return path.
 */
static void break_precopy(Pair *p, const FaultCase *f, MigRelay *r)
{
    if (f->switched) {
        /* nothing reaches the destination */
        mig_relay_stall(r, MIG_RELAY_S2D);
        mig_relay_stall(r, MIG_RELAY_D2S);
        /*
         * Converge at once, before the stalled link fills up: a low
         * max-bandwidth keeps the precopy passes from piling bytes into
         * it, and the largest downtime-limit lets what they carried
         * cover the bitmaps left.
         */
        mig_set_params(p->src, "\"downtime-limit\": 2000000, "
                       "\"max-bandwidth\": 10000");
        mig_migrate_to(p->src, mig_relay_uri(r));
        qtest_qmp_eventwait(p->src, "STOP");
        wait_unlocked(p->src_img);
    } else {
        /* precopy 'active', held while the bitmaps are pending */
        mig_set_params(p->src, "\"downtime-limit\": 0");
        mig_migrate_to(p->src, mig_relay_uri(r));
        g_free(mig_wait_status(p->src, "active"));
        dbm_wait_bitmap(p->dst, "n0", "t");
    }
    if (f->fault == FAULT_CUT) {
        mig_relay_cut(r);
        g_free(mig_wait_status(p->src, "failed"));
    } else {
        qtest_qmp_assert_success(p->src, "{\"execute\": \"migrate_cancel\"}");
        g_free(mig_wait_status(p->src, "cancelled"));
        /* what the relay holds back never reaches the destination */
        mig_relay_cut(r);
    }
}

/*
 * A migration that fails or is cancelled: the source's bitmaps are as
 * they were, in memory and in its image (IN_USE as before), and go on
 * recording; the image is clean once it quits.
 */
static void test_failure(gconstpointer opaque)
{
    const FaultCase *f = opaque;
    Case c = { f->name, f->shared, f->mode };
    Pair *p;
    MigRelay *r;
    g_autofree char *rs = NULL;
    int i;

    p = pair_new(&c, true);
    mig_set_caps(p->src, f->mode == MODE_NO_CAP ? "events,return-path"
                 : "events,dirty-bitmaps,return-path");
    mig_set_caps(p->dst, f->mode == MODE_NO_CAP ? "events,return-path"
                 : "events,dirty-bitmaps,return-path");
    r = mig_relay_new_incoming(p->src, p->dst);
    if (f->mode == MODE_POSTCOPY) {
        break_postcopy(p, f, r);
    } else {
        break_precopy(p, f, r);
    }

    if (f->mode == MODE_POSTCOPY) {
        /* stopped with its disk inactive until the operator's cont */
        rs = mig_runstate_leaves(p->src, "finish-migrate");
        g_assert_cmpstr(rs, ==, "postmigrate");
        qtest_qmp_assert_success(p->src, "{\"execute\": \"cont\"}");
    } else {
        rs = mig_runstate_leaves(p->src, "finish-migrate");
        g_assert_cmpstr(rs, ==, "running");
        /* the destination lost its stream */
        mig_wait_exit_status(p->dst, 1);
    }
    dbm_wait_not_busy(p->src, "n0");
    for (i = 0; i < NBITMAPS; i++) {
        assert_bitmap_kept(p, p->src, i);
    }
    assert_image(p->src_img, true, "a:in-use,auto b:in-use");

    dbm_write(p->src, "n0", 40 * MiB, 4096, false);
    g_free(p->sha[0]);
    p->sha[0] = mig_bitmap_sha256(p->src, "n0", "a");
    qtest_quit(p->src);
    qtest_quit(p->dst);
    mig_relay_free(r);
    qimg_assert_clean(p->src_img);
    assert_image(p->src_img, false, "a:auto b:");
    assert_stored(p, p->src_img);
    if (!f->shared) {
        qimg_assert_clean(p->dst_img);
    }
    pair_free(p);
}

static const FaultCase fault_cases[] = {
    { "shared/precopy/cut-active", true, MODE_PRECOPY, FAULT_CUT, false },
    { "shared/precopy/cancel-active", true, MODE_PRECOPY, FAULT_CANCEL,
      false },
    { "shared/precopy/cut-inactive", true, MODE_PRECOPY, FAULT_CUT, true },
    { "shared/precopy/cancel-inactive", true, MODE_PRECOPY, FAULT_CANCEL,
      true },
    { "shared/no-capability/cut-inactive", true, MODE_NO_CAP, FAULT_CUT,
      true },
    { "shared/no-capability/cancel-inactive", true, MODE_NO_CAP,
      FAULT_CANCEL, true },
    { "separate/precopy/cut-inactive", false, MODE_PRECOPY, FAULT_CUT,
      true },
    { "separate/no-capability/cut-inactive", false, MODE_NO_CAP, FAULT_CUT,
      true },
    { "separate/postcopy/cut", false, MODE_POSTCOPY, FAULT_CUT, true },
    { "separate/postcopy/cancel", false, MODE_POSTCOPY, FAULT_CANCEL,
      true },
};

int main(int argc, char **argv)
{
    size_t i;
    int ret;

    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("qcow2-migration-test-XXXXXX", NULL);
    for (i = 0; i < G_N_ELEMENTS(success_cases); i++) {
        g_autofree char *path = g_strdup_printf("/qcow2-migration/%s",
                                                success_cases[i].name);

        g_test_add_data_func(path, &success_cases[i], test_success);
    }
    for (i = 0; i < G_N_ELEMENTS(fault_cases); i++) {
        g_autofree char *path = g_strdup_printf("/qcow2-migration/fail/%s",
                                                fault_cases[i].name);

        g_test_add_data_func(path, &fault_cases[i], test_failure);
    }
    ret = g_test_run();
    g_free(qimg_run("rm -rf %s", tmpdir));
    g_free(tmpdir);
    return ret;
}
