/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reopen: the driver hooks' contract, bitmaps, permissions and locks. */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "qapi/error.h"
#include "block/block_int.h"

static char *tmpdir;
static GPtrArray *tmpfiles;     /* paths to unlink at exit */
static GString *calls;          /* hooks called, "hook:node " each */

/*
 * "test-meta": a format driver that writes metadata whenever it is
 * writable, as qcow2 does: it holds a write user on its file child and
 * implements the reopen hooks as block_int.h asks a qcow2-like driver to.
 */
typedef struct MetaState {
    bool write_user;        /* holds a write user on bs->file */
    bool stored;            /* its bitmaps are stored, not in use */
    bool stored_now;        /* ... by the running reopen's prepare */
    bool fail_prepare;      /* make the next prepare fail */
    bool fail_commit_post;  /* make the next commit_post fail */
} MetaState;

static void log_call(const char *hook, BlockDriverState *bs)
{
    g_string_append_printf(calls, "%s:%s ", hook, bs->node_name);
}

static int meta_open(BlockDriverState *bs, json_t *options, int flags,
                     Error **errp)
{
    MetaState *s = bs->opaque;

    if (!bdrv_open_child(NULL, options, "file", bs,
                         BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY, false,
                         errp)) {
        return -EINVAL;
    }
    if (flags & BDRV_O_RDWR) {
        if (bdrv_add_write_user(bs->file->bs, errp) < 0) {
            return -EAGAIN;
        }
        s->write_user = true;
    }
    return 0;
}

static void meta_close(BlockDriverState *bs)
{
    MetaState *s = bs->opaque;

    if (s->write_user) {
        bdrv_remove_write_user(bs->file->bs);
    }
}

static int64_t meta_getlength(BlockDriverState *bs)
{
    return bdrv_getlength(bs->file->bs);
}

static int meta_pwrite(BlockDriverState *bs, int64_t offset, int64_t bytes,
                       const void *buf, BdrvRequestFlags flags)
{
    return bdrv_pwrite(bs->file, offset, bytes, buf, flags);
}

static bool going_ro(BDRVReopenState *st)
{
    return (st->bs->open_flags & BDRV_O_RDWR) && !(st->flags & BDRV_O_RDWR);
}

static int meta_reopen_prepare(BDRVReopenState *st, BlockReopenQueue *q,
                               Error **errp)
{
    MetaState *s = st->bs->opaque;

    log_call("prepare", st->bs);
    if (s->fail_prepare) {
        s->fail_prepare = false;
        error_setg(errp, "prepare refused");
        return -EIO;
    }
    /* the file child is still writable: store the bitmaps now */
    if (going_ro(st)) {
        g_assert_true(bdrv_is_writable(st->bs->file->bs));
        s->stored = s->stored_now = true;
    }
    return 0;
}

static void meta_reopen_commit(BDRVReopenState *st)
{
    MetaState *s = st->bs->opaque;
    BlockDriverState *file = st->bs->file->bs;

    log_call("commit", st->bs);
    /* children commit first: a file reopened with us has its new flags */
    if (file->inherits_from == st->bs) {
        g_assert_cmpint(!!(file->open_flags & BDRV_O_RDWR), ==,
                        !!(st->flags & BDRV_O_RDWR));
    }
    s->stored_now = false;
}

/* The write user follows the node's new flags, and a new file child. */
static int meta_reopen_commit_post(BDRVReopenState *st, Error **errp)
{
    MetaState *s = st->bs->opaque;
    BlockDriverState *file = st->bs->file->bs;

    log_call("commit_post", st->bs);
    g_assert_cmpint(st->bs->open_flags, ==, st->flags);
    if (st->old_file_bs && s->write_user) {
        bdrv_remove_write_user(st->old_file_bs);
        s->write_user = false;
    }
    if ((st->flags & BDRV_O_RDWR) && !s->write_user) {
        g_assert_cmpint(bdrv_add_write_user(file, &error_abort), ==, 0);
        s->write_user = true;
    } else if (!(st->flags & BDRV_O_RDWR) && s->write_user) {
        bdrv_remove_write_user(file);
        s->write_user = false;
    }
    if (s->fail_commit_post) {
        s->fail_commit_post = false;
        error_setg(errp, "No space left for the bitmap directory");
        return -ENOSPC;
    }
    if (st->flags & BDRV_O_RDWR) {
        s->stored = false;      /* in use again */
    }
    return 0;
}

static void meta_reopen_abort(BDRVReopenState *st)
{
    MetaState *s = st->bs->opaque;

    log_call("abort", st->bs);
    if (s->stored_now) {
        s->stored = s->stored_now = false;
    }
}

static BlockDriver bdrv_test_meta = {
    .format_name = "test-meta",
    .instance_size = sizeof(MetaState),
    .bdrv_open = meta_open,
    .bdrv_close = meta_close,
    .bdrv_getlength = meta_getlength,
    .bdrv_pwrite = meta_pwrite,
    .bdrv_reopen_prepare = meta_reopen_prepare,
    .bdrv_reopen_commit = meta_reopen_commit,
    .bdrv_reopen_commit_post = meta_reopen_commit_post,
    .bdrv_reopen_abort = meta_reopen_abort,
};

static char *make_image(const char *name)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, 1 * MiB), ==, 0);
    close(fd);
    g_ptr_array_add(tmpfiles, g_strdup(path));
    return path;
}

/* The JSON text made from @fmt, parsed. */
static json_t *json_vfmt(const char *fmt, va_list ap)
{
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    json_error_t jerr;
    json_t *json = json_loads(text, 0, &jerr);

    g_assert_nonnull(json);
    return json;
}

static json_t *json_fmt(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static json_t *json_fmt(const char *fmt, ...)
{
    json_t *json;
    va_list ap;

    va_start(ap, fmt);
    json = json_vfmt(fmt, ap);
    va_end(ap);
    return json;
}

/* Open the node the JSON text made from @fmt describes. */
static BlockDriverState *open_fmt(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static BlockDriverState *open_fmt(const char *fmt, ...)
{
    json_t *opts;
    va_list ap;

    va_start(ap, fmt);
    opts = json_vfmt(fmt, ap);
    va_end(ap);
    return bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &error_abort);
}

/* How many of our descriptors open @path with access mode @mode. */
static int fds_on(const char *path, int mode)
{
    g_autoptr(GDir) dir = g_dir_open("/proc/self/fd", 0, NULL);
    const char *name;
    int n = 0;

    while ((name = g_dir_read_name(dir))) {
        g_autofree char *link = g_strdup_printf("/proc/self/fd/%s", name);
        g_autofree char *target = g_file_read_link(link, NULL);
        int flags;

        if (target && !strcmp(target, path)) {
            flags = fcntl(atoi(name), F_GETFL);
            n += (flags & O_ACCMODE) == mode;
        }
    }
    return n;
}

/* Another "process": its own open file description of @path. */
static BlockDriverState *other_process(const char *path, const char *name)
{
    return open_fmt("{\"driver\": \"file\", \"node-name\": \"%s\", "
                    "\"filename\": \"%s\"}", name, path);
}

static void assert_calls(const char *expected)
{
    g_assert_cmpstr(calls->str, ==, expected);
    g_string_truncate(calls, 0);
}

static BdrvDirtyBitmap *add_bitmap(BlockDriverState *bs, const char *name,
                                   bool persistent)
{
    BdrvDirtyBitmap *bm = bdrv_create_dirty_bitmap(bs, 65536, name,
                                                   &error_abort);

    bdrv_dirty_bitmap_set_persistence(bm, persistent);
    return bm;
}

/*
 * Read-write to read-only and back, through two stacked metadata nodes:
 * the hooks run in the documented order, the file descriptor and the
 * write users follow, persistent bitmaps are readonly while read-only.
 */
static void test_ro_rw_order_and_bitmaps(void)
{
    g_autofree char *path = make_image("stack.img");
    BlockDriverState *top, *mid, *f, *other;
    BdrvDirtyBitmap *p, *t;
    uint8_t buf[512] = { 0 };
    Error *err = NULL;

    top = open_fmt("{\"driver\": \"test-meta\", \"node-name\": \"top\", "
                   "\"file\": {\"driver\": \"test-meta\", \"node-name\": "
                   "\"mid\", \"file\": {\"driver\": \"file\", "
                   "\"node-name\": \"f\", \"filename\": \"%s\"}}}", path);
    mid = bdrv_find_node("mid");
    f = bdrv_find_node("f");
    p = add_bitmap(top, "p", true);
    t = add_bitmap(top, "t", false);
    /* mid's own, and top's through mid */
    g_assert_cmpint(f->write_users, ==, 2);
    g_assert_cmpint(fds_on(path, O_RDWR), ==, 1);

    g_assert_cmpint(bdrv_reopen_set_read_only(top, true, &error_abort), ==,
                    0);
    assert_calls("prepare:top prepare:mid commit:mid commit:top "
                 "commit_post:top commit_post:mid ");
    g_assert_true(bdrv_is_read_only(top) && bdrv_is_read_only(mid) &&
                  bdrv_is_read_only(f));
    g_assert_true(((MetaState *)top->opaque)->stored);
    g_assert_true(bdrv_dirty_bitmap_readonly(p));
    g_assert_false(bdrv_dirty_bitmap_readonly(t));
    g_assert_cmpint(f->write_users, ==, 0);
    g_assert_cmpint(mid->write_users, ==, 0);
    g_assert_cmpint(fds_on(path, O_RDWR), ==, 0);
    g_assert_cmpint(fds_on(path, O_RDONLY), ==, 1);
    /* no write lock is held: another process may write */
    other = other_process(path, "other");
    g_assert_cmpint(bdrv_add_write_user(other, &error_abort), ==, 0);
    bdrv_remove_write_user(other);
    g_assert_cmpint(bdrv_pwrite(top->file, 0, sizeof(buf), buf, 0), ==,
                    -EPERM);

    g_assert_cmpint(bdrv_reopen_set_read_only(top, false, &error_abort), ==,
                    0);
    assert_calls("prepare:top prepare:mid commit:mid commit:top "
                 "commit_post:top commit_post:mid ");
    g_assert_false(((MetaState *)top->opaque)->stored);
    g_assert_false(bdrv_dirty_bitmap_readonly(p));
    g_assert_cmpint(f->write_users, ==, 2);
    g_assert_cmpint(fds_on(path, O_RDWR), ==, 2);     /* ours and other's */
    /* now the image is ours to write: another writer is refused */
    g_assert_cmpint(bdrv_add_write_user(other, &err), <, 0);
    g_assert_cmpstr(error_get_pretty(err), ==, "Failed to get \"write\" lock");
    error_free(err);
    bdrv_unref(other);
    bdrv_unref(top);
}

/* Another process holds the write lock: the reopen fails, nothing moves. */
static void test_lock_conflict(void)
{
    g_autofree char *path = make_image("locked.img");
    BlockDriverState *meta, *other;
    Error *err = NULL;

    other = other_process(path, "other");
    g_assert_cmpint(bdrv_add_write_user(other, &error_abort), ==, 0);
    meta = open_fmt("{\"driver\": \"test-meta\", \"node-name\": \"m\", "
                    "\"read-only\": true, \"file\": {\"driver\": \"file\", "
                    "\"filename\": \"%s\"}}", path);
    g_assert_cmpint(bdrv_reopen_set_read_only(meta, false, &err), <, 0);
    g_assert_cmpstr(error_get_pretty(err), ==, "Failed to get \"write\" lock");
    error_free(err);
    assert_calls("prepare:m abort:m ");
    g_assert_true(bdrv_is_read_only(meta) && bdrv_is_read_only(meta->file->bs));
    g_assert_cmpint(meta->file->bs->write_users, ==, 0);
    g_assert_cmpint(fds_on(path, O_RDONLY), ==, 1);

    /* Once the other process is gone, it works. */
    bdrv_remove_write_user(other);
    bdrv_unref(other);
    g_assert_cmpint(bdrv_reopen_set_read_only(meta, false, &error_abort), ==,
                    0);
    g_string_truncate(calls, 0);
    g_assert_true(bdrv_is_writable(meta->file->bs));
    bdrv_unref(meta);
}

/* A later node's failure undoes what an earlier node's prepare did. */
static void test_abort_after_prepare(void)
{
    g_autofree char *path = make_image("abort.img");
    BlockDriverState *meta, *null, *file;
    BlockReopenQueue *q;
    BdrvDirtyBitmap *p;
    json_error_t jerr;
    Error *err = NULL;

    meta = open_fmt("{\"driver\": \"test-meta\", \"node-name\": \"m\", "
                    "\"file\": {\"driver\": \"file\", \"node-name\": \"mf\", "
                    "\"filename\": \"%s\"}}", path);
    file = meta->file->bs;
    null = open_fmt("{\"driver\": \"null-co\", \"node-name\": \"n\", "
                    "\"size\": 1048576}");
    p = add_bitmap(meta, "p", true);
    q = bdrv_reopen_queue(NULL, meta, json_loads("{\"read-only\": true}", 0,
                                                 &jerr), true);
    q = bdrv_reopen_queue(q, null, json_loads("{\"driver\": \"null-co\", "
                                              "\"node-name\": \"n\", "
                                              "\"size\": 4096}", 0, &jerr),
                          false);
    g_assert_cmpint(bdrv_reopen_multiple(q, &err), <, 0);
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Cannot change the option 'size'");
    error_free(err);
    err = NULL;
    assert_calls("prepare:m abort:m ");
    g_assert_false(((MetaState *)meta->opaque)->stored);
    g_assert_true(bdrv_is_writable(meta) && bdrv_is_writable(file));
    g_assert_false(bdrv_dirty_bitmap_readonly(p));
    g_assert_cmpint(file->write_users, ==, 1);
    g_assert_cmpint(fds_on(path, O_RDWR), ==, 1);

    /* A driver's own refusal is undone the same way. */
    ((MetaState *)meta->opaque)->fail_prepare = true;
    g_assert_cmpint(bdrv_reopen_set_read_only(meta, true, &err), <, 0);
    g_assert_cmpstr(error_get_pretty(err), ==, "prepare refused");
    error_free(err);
    assert_calls("prepare:m ");
    g_assert_true(bdrv_is_writable(meta) && bdrv_is_writable(file));
    g_assert_cmpint(fds_on(path, O_RDWR), ==, 1);
    bdrv_unref(null);
    bdrv_unref(meta);
}

/* Writers and read-only nodes, with QEMU's two messages. */
static void test_permissions(void)
{
    g_autofree char *path = make_image("perm.img");
    g_autofree char *path2 = make_image("perm2.img");
    BlockDriverState *f, *meta, *f2, *meta2;
    Error *err = NULL;

    /* a read-only file node meta did not open stays read-only */
    f = open_fmt("{\"driver\": \"file\", \"node-name\": \"rof\", "
                 "\"read-only\": true, \"filename\": \"%s\"}", path);
    meta = open_fmt("{\"driver\": \"test-meta\", \"node-name\": \"m\", "
                    "\"read-only\": true, \"file\": \"rof\"}");
    g_assert_cmpint(bdrv_reopen(meta, json_fmt("{\"driver\": \"test-meta\", "
                                               "\"node-name\": \"m\", "
                                               "\"file\": \"rof\"}"),
                                false, &err), <, 0);
    g_assert_cmpstr(error_get_pretty(err), ==, "Block node is read-only");
    error_free(err);
    err = NULL;
    assert_calls("prepare:m abort:m ");
    g_assert_true(bdrv_is_read_only(meta));

    /* a file node under a writable metadata node cannot go read-only */
    f2 = open_fmt("{\"driver\": \"file\", \"node-name\": \"rwf\", "
                  "\"filename\": \"%s\"}", path2);
    meta2 = open_fmt("{\"driver\": \"test-meta\", \"node-name\": \"m2\", "
                     "\"file\": \"rwf\"}");
    g_assert_cmpint(bdrv_reopen(f2, json_fmt("{\"driver\": \"file\", "
                                             "\"node-name\": \"rwf\", "
                                             "\"read-only\": true, "
                                             "\"filename\": \"%s\"}", path2),
                                false, &err), <, 0);
    g_assert_cmpstr(error_get_pretty(err), ==, "Read-only block node 'rwf' "
                    "cannot support read-write users");
    error_free(err);
    g_assert_true(bdrv_is_writable(f2));
    g_assert_cmpint(fds_on(path2, O_RDWR), ==, 1);

    /* both at once is fine */
    g_assert_cmpint(bdrv_reopen_multiple(
        bdrv_reopen_queue(bdrv_reopen_queue(NULL, meta2,
            json_pack("{s:s, s:s, s:b, s:s}", "driver", "test-meta",
                      "node-name", "m2", "read-only", 1, "file", "rwf"),
            false), f2,
            json_pack("{s:s, s:s, s:b, s:s}", "driver", "file",
                      "node-name", "rwf", "read-only", 1, "filename", path2),
            false), &error_abort), ==, 0);
    g_assert_true(bdrv_is_read_only(f2) && bdrv_is_read_only(meta2));
    g_string_truncate(calls, 0);
    bdrv_unref(meta2);
    bdrv_unref(f2);
    bdrv_unref(meta);
    bdrv_unref(f);
}

/* A failed commit_post leaves the bitmaps readonly, the node read-write. */
static void test_commit_post_failure(void)
{
    g_autofree char *path = make_image("post.img");
    BlockDriverState *meta;
    BdrvDirtyBitmap *p;

    meta = open_fmt("{\"driver\": \"test-meta\", \"node-name\": \"m\", "
                    "\"file\": {\"driver\": \"file\", \"filename\": \"%s\"}}",
                    path);
    p = add_bitmap(meta, "p", true);
    g_assert_cmpint(bdrv_reopen_set_read_only(meta, true, &error_abort), ==,
                    0);
    ((MetaState *)meta->opaque)->fail_commit_post = true;
    g_assert_cmpint(bdrv_reopen_set_read_only(meta, false, &error_abort), ==,
                    0);
    g_assert_true(bdrv_is_writable(meta));
    g_assert_true(bdrv_dirty_bitmap_readonly(p));
    g_assert_true(bdrv_has_readonly_bitmaps(meta));
    g_string_truncate(calls, 0);
    bdrv_unref(meta);
}

/* A new file child: write users move to it, the old one is let go. */
static void test_replace_file(void)
{
    g_autofree char *path1 = make_image("one.img");
    g_autofree char *path2 = make_image("two.img");
    BlockDriverState *f1, *f2, *meta;

    f1 = open_fmt("{\"driver\": \"file\", \"node-name\": \"f1\", "
                  "\"filename\": \"%s\"}", path1);
    f2 = open_fmt("{\"driver\": \"file\", \"node-name\": \"f2\", "
                  "\"filename\": \"%s\"}", path2);
    meta = open_fmt("{\"driver\": \"test-meta\", \"node-name\": \"m\", "
                    "\"file\": \"f1\"}");
    /* a device writing to meta */
    g_assert_cmpint(bdrv_add_write_user(meta, &error_abort), ==, 0);
    g_assert_cmpint(f1->write_users, ==, 2);

    g_assert_cmpint(bdrv_reopen(meta, json_fmt("{\"driver\": \"test-meta\", "
                                               "\"node-name\": \"m\", "
                                               "\"file\": \"f2\"}"),
                                false, &error_abort), ==, 0);
    g_assert_true(meta->file->bs == f2);
    g_assert_cmpint(f1->write_users, ==, 0);
    g_assert_cmpint(f2->write_users, ==, 2);
    g_assert_cmpstr(json_string_value(json_object_get(meta->explicit_options,
                                                      "file")), ==, "f2");
    g_assert_cmpstr(meta->filename, ==, path2);

    /* a cycle is refused and nothing moves */
    {
        Error *err = NULL;

        g_assert_cmpint(bdrv_reopen(meta, json_fmt("{\"driver\": "
                                                   "\"test-meta\", "
                                                   "\"node-name\": \"m\", "
                                                   "\"file\": \"m\"}"),
                                    false, &err), <, 0);
        g_assert_cmpstr(error_get_pretty(err), ==,
                        "Making 'm' a file child of 'm' would create a "
                        "cycle");
        error_free(err);
        g_assert_true(meta->file->bs == f2);
        g_assert_cmpint(f2->write_users, ==, 2);
    }
    g_string_truncate(calls, 0);
    bdrv_remove_write_user(meta);
    bdrv_unref(meta);
    bdrv_unref(f1);
    bdrv_unref(f2);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    /* The block layer's global state is the BQL holder's, as in QEMU. */
    qemu_mutex_lock_iothread();
    bdrv_init();
    bdrv_register(&bdrv_test_meta);
    tmpdir = g_dir_make_tmp("test-block-reopen-XXXXXX", NULL);
    tmpfiles = g_ptr_array_new_with_free_func(g_free);
    calls = g_string_new(NULL);
    g_assert_nonnull(tmpdir);

    g_test_add_func("/block/reopen/ro-rw-order-bitmaps",
                    test_ro_rw_order_and_bitmaps);
    g_test_add_func("/block/reopen/lock-conflict", test_lock_conflict);
    g_test_add_func("/block/reopen/abort-after-prepare",
                    test_abort_after_prepare);
    g_test_add_func("/block/reopen/permissions", test_permissions);
    g_test_add_func("/block/reopen/commit-post-failure",
                    test_commit_post_failure);
    g_test_add_func("/block/reopen/replace-file", test_replace_file);

    ret = g_test_run();
    for (guint i = 0; i < tmpfiles->len; i++) {
        unlink(g_ptr_array_index(tmpfiles, i));
    }
    rmdir(tmpdir);
    g_ptr_array_free(tmpfiles, true);
    g_string_free(calls, true);
    g_free(tmpdir);
    return ret;
}
