/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reopen: change nodes' options in place, all of them or none. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "block/block_int.h"
#include "trace.h"

/*
 * A reopen runs in phases over the queue, so that a failure anywhere
 * leaves every node as it was:
 *   1. generic part, queue order: parse the options all nodes take, swap
 *      the children the options replace (undone on failure);
 *   2. work out which nodes a parent will write to afterwards;
 *   3. the drivers' prepare, queue order, with the option checks around;
 *   4. check that every node that will be written may be;
 *   5. commit, children before parents; 6. commit_post; 7. refresh.
 */
struct BlockReopenQueueEntry {
    BDRVReopenState state;
    json_t *effective;          /* options in effect: bs->options after */
    int old_flags;              /* bs->open_flags before the reopen */
    bool keep_old_opts;         /* options left out keep their value */
    bool parsed;                /* phase 1 done: undo the child swaps */
    bool prepared;              /* the driver's prepare succeeded */
    bool committed;
    BdrvChildRole old_file_role;        /* to put a swapped child back */
    BdrvChildRole old_backing_role;
    bool old_file_inherited;            /* it was bs's own child */
    bool old_backing_inherited;
    QTAILQ_ENTRY(BlockReopenQueueEntry) entry;
};

/* Flags a reopen sets from the options, whatever the node had. */
#define REOPEN_OPTION_FLAGS \
    (BDRV_O_RDWR | BDRV_O_AUTO_RDONLY | BDRV_O_NOCACHE | BDRV_O_NO_FLUSH)

/* Options the block layer itself takes: leaving them out resets them. */
static const char *const reopen_generic_opts[] = {
    BDRV_OPT_READ_ONLY, BDRV_OPT_AUTO_READ_ONLY, BDRV_OPT_DISCARD,
    "detect-zeroes", "cache", BDRV_OPT_CACHE_DIRECT, BDRV_OPT_CACHE_NO_FLUSH,
    NULL
};

/* Options a child opened by its parent takes from it when it lacks them. */
static const char *const reopen_inherited_opts[] = {
    BDRV_OPT_READ_ONLY, BDRV_OPT_AUTO_READ_ONLY, BDRV_OPT_CACHE_DIRECT,
    BDRV_OPT_CACHE_NO_FLUSH, NULL
};

static bool str_in_list(const char *s, const char *const *list)
{
    for (; list && *list; list++) {
        if (!strcmp(s, *list)) {
            return true;
        }
    }
    return false;
}

static BlockReopenQueueEntry *reopen_find(BlockReopenQueue *q,
                                          BlockDriverState *bs)
{
    BlockReopenQueueEntry *e;

    if (q) {
        QTAILQ_FOREACH(e, q, entry) {
            if (e->state.bs == bs) {
                return e;
            }
        }
    }
    return NULL;
}

static BdrvChild *reopen_child_by_name(BlockDriverState *bs,
                                       const char *name)
{
    BdrvChild *c;

    QLIST_FOREACH(c, &bs->children, next) {
        if (!strcmp(c->name, name)) {
            return c;
        }
    }
    return NULL;
}

/*
 * "cache": {"direct": ...} as "cache.direct": ..., so that options from
 * different sources merge key by key (QEMU flattens them all).
 */
static void reopen_flatten_cache(json_t *options)
{
    json_t *cache = json_object_get(options, "cache");
    const char *key;
    json_t *v;

    if (!json_is_object(cache)) {
        return;
    }
    json_object_foreach(cache, key, v) {
        g_autofree char *name = g_strdup_printf("cache.%s", key);

        if (!json_object_get(options, name)) {
            json_object_set(options, name, v);
        }
    }
    json_object_del(options, "cache");
}

/* Add the options of @from that @options lacks. */
static void reopen_merge_missing(json_t *options, json_t *from)
{
    json_t *copy = json_deep_copy(from);

    reopen_flatten_cache(copy);
    json_object_update_missing(options, copy);
    json_decref(copy);
}

/* What the parent's new options say about caching and read-only. */
static void reopen_inherit_options(json_t *child, json_t *parent)
{
    const char *const *key;

    for (key = reopen_inherited_opts; *key; key++) {
        json_t *v = json_object_get(parent, *key);

        if (v && !json_object_get(child, *key)) {
            json_object_set(child, *key, v);
        }
    }
}

static BlockReopenQueue *reopen_queue_child(BlockReopenQueue *q,
                                            BlockDriverState *bs,
                                            json_t *options,
                                            json_t *parent_options,
                                            bool keep_old)
{
    BlockReopenQueueEntry *e;
    BdrvChild *c;

    if (!q) {
        q = g_new0(BlockReopenQueue, 1);
        QTAILQ_INIT(q);
    }
    reopen_flatten_cache(options);
    e = reopen_find(q, bs);
    if (e) {
        /* Listed again: the earlier listing fills in what this one lacks */
        json_object_update_missing(options, e->state.explicit_options);
        json_decref(e->state.explicit_options);
        json_decref(e->state.options);
        json_decref(e->effective);
    } else {
        e = g_new0(BlockReopenQueueEntry, 1);
        e->state.bs = bs;
        e->old_flags = bs->open_flags;
        bdrv_ref(bs);
        QTAILQ_INSERT_TAIL(q, e, entry);
    }
    /*
     * What counts, first to last: the options given, the node's explicit
     * ones if kept, what it inherits from its parent's new options, the
     * options in effect if kept.
     */
    if (keep_old) {
        reopen_merge_missing(options, bs->explicit_options);
        e->keep_old_opts = true;
    }
    e->state.explicit_options = json_deep_copy(options);
    if (parent_options) {
        reopen_inherit_options(options, parent_options);
    }
    if (keep_old) {
        reopen_merge_missing(options, bs->options);
    }
    e->effective = json_deep_copy(options);
    e->state.options = options;

    /*
     * The children bs opened itself come along, with the options given
     * for them, or their own when the options name them.
     */
    QLIST_FOREACH(c, &bs->children, next) {
        json_t *v = json_object_get(options, c->name);
        json_t *child_opts;
        bool child_keep_old = false;

        if (c->bs->inherits_from != bs) {
            continue;
        }
        if (json_is_string(v)) {
            if (strcmp(json_string_value(v), c->bs->node_name)) {
                continue;       /* replaced by another node */
            }
            child_opts = json_object();
            child_keep_old = true;
        } else if (json_is_object(v)) {
            /* from here on, the options name the child it reopens */
            child_opts = json_deep_copy(v);
            json_object_set_new(options, c->name,
                                json_string(c->bs->node_name));
            json_object_set_new(e->state.explicit_options, c->name,
                                json_string(c->bs->node_name));
            json_object_set_new(e->effective, c->name,
                                json_string(c->bs->node_name));
        } else {
            continue;           /* left out or null: not reopened */
        }
        q = reopen_queue_child(q, c->bs, child_opts, options,
                               child_keep_old);
    }
    return q;
}

BlockReopenQueue *bdrv_reopen_queue(BlockReopenQueue *bs_queue,
                                    BlockDriverState *bs, json_t *options,
                                    bool keep_old_opts)
{
    if (!options) {
        options = json_object();
    }
    return reopen_queue_child(bs_queue, bs, options, NULL, keep_old_opts);
}

void bdrv_reopen_queue_free(BlockReopenQueue *bs_queue)
{
    BlockReopenQueueEntry *e, *next;

    if (!bs_queue) {
        return;
    }
    QTAILQ_FOREACH_SAFE(e, bs_queue, entry, next) {
        QTAILQ_REMOVE(bs_queue, e, entry);
        json_decref(e->state.options);
        json_decref(e->state.explicit_options);
        json_decref(e->effective);
        bdrv_unref(e->state.bs);
        g_free(e);
    }
    g_free(bs_queue);
}

/* ---- phase 1: generic options and children ---- */

/* Would making @child a child of @parent close a loop in the graph? */
static bool reopen_would_cycle(BlockDriverState *parent,
                               BlockDriverState *child)
{
    BdrvChild *c;

    if (child == parent) {
        return true;
    }
    QLIST_FOREACH(c, &child->children, next) {
        if (reopen_would_cycle(parent, c->bs)) {
            return true;
        }
    }
    return false;
}

/*
 * Write users above bs reach its children too (bdrv_add_write_user()),
 * so they move from the old child to the new one.
 */
static void reopen_attach(BlockDriverState *bs, BlockDriverState *child,
                          const char *name, BdrvChildRole role)
{
    int i;

    for (i = 0; i < bs->write_users; i++) {
        /* checked by the caller, or given back as it was */
        bdrv_add_write_user(child, NULL);
    }
    bdrv_attach_child(bs, child, name, role, &error_abort);
}

static void reopen_detach(BlockDriverState *bs, BdrvChild *c)
{
    int i;

    for (i = 0; i < bs->write_users; i++) {
        bdrv_remove_write_user(c->bs);
    }
    bdrv_unref_child(bs, c);
}

static bool reopen_swap_child(BlockReopenQueueEntry *e, const char *name,
                              BlockDriverState *new_bs, Error **errp)
{
    BlockDriverState *bs = e->state.bs;
    bool is_file = !strcmp(name, "file");
    BdrvChild *old = is_file ? bs->file : bs->backing;
    BdrvChildRole role = old ? old->role :
                         is_file ? BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY :
                                   BDRV_CHILD_COW;
    int i;

    if (new_bs && reopen_would_cycle(bs, new_bs)) {
        error_setg(errp, "Making '%s' a %s child of '%s' would create a "
                   "cycle", new_bs->node_name, name, bs->node_name);
        return false;
    }
    for (i = 0; new_bs && i < bs->write_users; i++) {
        if (bdrv_add_write_user(new_bs, errp) < 0) {
            while (i--) {
                bdrv_remove_write_user(new_bs);
            }
            return false;
        }
    }
    if (old) {
        BlockDriverState *old_bs = old->bs;

        bdrv_ref(old_bs);       /* kept until commit, for an abort */
        if (is_file) {
            e->state.old_file_bs = old_bs;
            e->old_file_role = role;
            e->old_file_inherited = old_bs->inherits_from == bs;
        } else {
            e->state.old_backing_bs = old_bs;
            e->old_backing_role = role;
            e->old_backing_inherited = old_bs->inherits_from == bs;
        }
        reopen_detach(bs, old);
    } else if (!is_file) {
        e->old_backing_role = role;
    }
    if (new_bs) {
        bdrv_ref(new_bs);
        bdrv_attach_child(bs, new_bs, name, role, &error_abort);
    }
    trace_bdrv_reopen_swap_child(bs, name, new_bs);
    return true;
}

/* A child option: the current child, another node, or null. */
static bool reopen_child_option(BlockReopenQueueEntry *e, const char *name,
                                Error **errp)
{
    BDRVReopenState *st = &e->state;
    BdrvChild *c = reopen_child_by_name(st->bs, name);
    json_t *v = json_object_get(st->options, name);
    BlockDriverState *new_bs = NULL;

    if (!v) {
        if (!strcmp(name, "backing") && c && !e->keep_old_opts) {
            error_setg(errp, "backing is missing for '%s'",
                       st->bs->node_name);
            return false;
        }
        return true;
    }
    if (json_is_object(v)) {
        /* a node bs did not open: its options cannot change from here */
        return true;
    }
    if (json_is_string(v)) {
        new_bs = bdrv_lookup_bs(NULL, json_string_value(v), errp);
        if (!new_bs) {
            return false;
        }
    } else if (!json_is_null(v) || !strcmp(name, "file")) {
        error_setg(errp, "Invalid parameter type for '%s', expected: "
                   "BlockdevRef", name);
        return false;
    }
    json_object_del(st->options, name);
    if (child_bs(c) == new_bs) {
        return true;
    }
    return reopen_swap_child(e, name, new_bs, errp);
}

static bool reopen_parse(BlockReopenQueueEntry *e, Error **errp)
{
    BDRVReopenState *st = &e->state;
    json_t *fs = json_object_get(st->options, BDRV_OPT_FORCE_SHARE);
    bool force_share, ok;

    /* Defaults: read-write, caches on; the rest stays as the node has it */
    st->flags = (st->bs->open_flags & ~REOPEN_OPTION_FLAGS) | BDRV_O_RDWR;
    st->detect_zeroes = BDRV_DETECT_ZEROES_OFF;
    /* force-share cannot change: leave it for the unchanged check */
    json_incref(fs);
    json_object_del(st->options, BDRV_OPT_FORCE_SHARE);
    ok = bdrv_parse_common_options(st->options, &st->flags,
                                   &st->detect_zeroes, &force_share, errp);
    if (fs) {
        json_object_set_new(st->options, BDRV_OPT_FORCE_SHARE, fs);
    }
    return ok && reopen_child_option(e, "backing", errp) &&
           reopen_child_option(e, "file", errp);
}

/* Put back the children phase 1 swapped. */
static void reopen_unswap(BlockReopenQueueEntry *e, const char *name)
{
    BDRVReopenState *st = &e->state;
    bool is_file = !strcmp(name, "file");
    BlockDriverState **old = is_file ? &st->old_file_bs
                                     : &st->old_backing_bs;
    BdrvChild *c = reopen_child_by_name(st->bs, name);
    BdrvChildRole role = is_file ? e->old_file_role : e->old_backing_role;
    bool inherited = is_file ? e->old_file_inherited
                             : e->old_backing_inherited;

    if (!*old && !role) {
        return;                 /* not swapped */
    }
    if (c) {
        reopen_detach(st->bs, c);
    }
    if (*old) {
        reopen_attach(st->bs, *old, name, role);   /* takes our reference */
        if (inherited) {
            (*old)->inherits_from = st->bs;
        }
        *old = NULL;
    }
}

/* ---- phase 2 and 4: permissions ---- */

static bool reopen_writable_after(BlockDriverState *bs, BlockReopenQueue *q)
{
    BlockReopenQueueEntry *e = reopen_find(q, bs);
    int flags = e ? e->state.flags : bs->open_flags;

    return (flags & BDRV_O_RDWR) && !(flags & BDRV_O_INACTIVE);
}

/*
 * Will a parent write to @bs once the queue is reopened? A device does;
 * a writable node does where the child holds its metadata (qcow2's file)
 * or where its own parents write.
 */
static bool reopen_needs_write(BlockDriverState *bs, BlockReopenQueue *q)
{
    BdrvChild *c;

    QLIST_FOREACH(c, &bs->parents, next_parent) {
        BlockDriverState *parent = c->opaque;

        if (!c->klass->parent_is_bds) {
            if (c->klass->writes && c->klass->writes(c)) {
                return true;
            }
            continue;
        }
        if (reopen_writable_after(parent, q) &&
            ((c->role & BDRV_CHILD_METADATA) ||
             reopen_needs_write(parent, q))) {
            return true;
        }
    }
    return false;
}

/*
 * A node that will be written must be writable; one outside the queue
 * that gets its first writer takes the write permission (image locks)
 * now, so that a conflict fails the reopen. @taken lists those.
 */
static bool reopen_check_perm(BlockDriverState *bs, BlockReopenQueue *q,
                              GSList **taken, Error **errp)
{
    bool in_queue = reopen_find(q, bs) != NULL;
    BdrvChild *c;

    if (reopen_needs_write(bs, q)) {
        if (!reopen_writable_after(bs, q)) {
            if (!bdrv_is_writable(bs)) {
                error_setg(errp, "Block node is read-only");
            } else {
                error_setg(errp, "Read-only block node '%s' cannot support "
                           "read-write users", bs->node_name);
            }
            return false;
        }
        if (!in_queue && !bs->write_users) {
            if (bdrv_set_write_perm(bs, true, errp) < 0) {
                return false;
            }
            *taken = g_slist_prepend(*taken, bs);
        }
    }
    QLIST_FOREACH(c, &bs->children, next) {
        if (!reopen_find(q, c->bs) &&
            !reopen_check_perm(c->bs, q, taken, errp)) {
            return false;
        }
    }
    return true;
}

/* Give up write permissions nobody holds any more (or take them). */
static void reopen_settle_perm(BlockDriverState *bs)
{
    Error *local_err = NULL;

    if (bdrv_set_write_perm(bs, bs->write_users > 0, &local_err) < 0) {
        error_report_err(local_err);
    }
}

/* ---- phase 3: the driver's prepare and the option checks ---- */

/* @obj with the members of its object members as "member.key". */
static void reopen_flatten(json_t *obj, const char *prefix, json_t *out,
                           GPtrArray *keys)
{
    const char *key;
    json_t *v;

    json_object_foreach(obj, key, v) {
        g_autofree char *name = prefix ? g_strdup_printf("%s.%s", prefix,
                                                         key)
                                       : g_strdup(key);

        if (json_is_object(v)) {
            reopen_flatten(v, name, out, NULL);
        } else {
            json_object_set(out, name, v);
        }
    }
    if (keys) {
        json_object_foreach(out, key, v) {
            g_ptr_array_add(keys, (gpointer)key);
        }
    }
}

/* The driver's options the old set had and the new one leaves out. */
static bool reopen_check_resets(BDRVReopenState *st, Error **errp)
{
    BlockDriverState *bs = st->bs;
    g_autoptr(GPtrArray) keys = g_ptr_array_new();
    const char *key;
    json_t *v;
    guint i;

    json_object_foreach(bs->explicit_options, key, v) {
        g_ptr_array_add(keys, (gpointer)key);
    }
    bdrv_qdict_order(keys);
    for (i = 0; i < keys->len; i++) {
        key = g_ptr_array_index(keys, i);
        if (json_object_get(st->explicit_options, key) ||
            !strcmp(key, "node-name") ||
            str_in_list(key, reopen_generic_opts) ||
            str_in_list(key, bs->drv->mutable_opts) ||
            reopen_child_by_name(bs, key) ||
            (st->old_file_bs && !strcmp(key, "file")) ||
            (st->old_backing_bs && !strcmp(key, "backing"))) {
            continue;
        }
        error_setg(errp, "Option '%s' cannot be reset to its default value",
                   key);
        return false;
    }
    return true;
}

/* Options nobody took must be what they were. */
static bool reopen_check_unchanged(BDRVReopenState *st, Error **errp)
{
    g_autoptr(GPtrArray) keys = g_ptr_array_new();
    json_t *new = json_object(), *old = json_object();
    bool ok = true;
    guint i;

    reopen_flatten(st->options, NULL, new, keys);
    reopen_flatten(st->bs->explicit_options, NULL, old, NULL);
    bdrv_qdict_order(keys);
    for (i = 0; i < keys->len && ok; i++) {
        const char *key = g_ptr_array_index(keys, i);

        /* As in QEMU, naming force-share at all is a change. */
        if (!strcmp(key, BDRV_OPT_FORCE_SHARE) ||
            !json_equal(json_object_get(new, key),
                        json_object_get(old, key))) {
            error_setg(errp, "Cannot change the option '%s'", key);
            ok = false;
        }
    }
    json_decref(new);
    json_decref(old);
    return ok;
}

static int reopen_prepare(BlockReopenQueueEntry *e, BlockReopenQueue *q,
                          Error **errp)
{
    BDRVReopenState *st = &e->state;
    BlockDriver *drv = st->bs->drv;
    int ret;

    if (!drv->bdrv_reopen_prepare) {
        error_setg(errp, "Block format '%s' used by node '%s' does not "
                   "support reopening files", drv->format_name,
                   bdrv_get_device_or_node_name(st->bs));
        return -ENOTSUP;
    }
    if (!reopen_check_resets(st, errp)) {
        return -EINVAL;
    }
    ret = drv->bdrv_reopen_prepare(st, q, errp);
    if (ret < 0) {
        return ret;
    }
    if (!reopen_check_unchanged(st, errp)) {
        if (drv->bdrv_reopen_abort) {
            drv->bdrv_reopen_abort(st);
        }
        return -EINVAL;
    }
    return 0;
}

/* ---- phases 5 to 7 ---- */

static void reopen_commit(BlockReopenQueueEntry *e, BlockReopenQueue *q)
{
    BDRVReopenState *st = &e->state;
    BlockDriverState *bs = st->bs;
    const char *const *opt;
    BdrvDirtyBitmap *bm;
    BdrvChild *c;

    /* Children first: a parent's commit may use its file's new state. */
    e->committed = true;
    QLIST_FOREACH(c, &bs->children, next) {
        BlockReopenQueueEntry *ce = reopen_find(q, c->bs);

        if (ce && !ce->committed) {
            reopen_commit(ce, q);
        }
    }
    trace_bdrv_reopen_commit(bs, bs->node_name, st->flags);
    if (bs->drv->bdrv_reopen_commit) {
        bs->drv->bdrv_reopen_commit(st);
    }
    bs->open_flags = st->flags;
    bs->detect_zeroes = st->detect_zeroes;
    json_decref(bs->explicit_options);
    bs->explicit_options = g_steal_pointer(&st->explicit_options);
    json_decref(bs->options);
    bs->options = g_steal_pointer(&e->effective);
    for (opt = reopen_inherited_opts; *opt; opt++) {
        json_object_del(bs->options, *opt);   /* as they turned out */
    }
    bdrv_flags_to_options(bs->options, bs->open_flags);
    QLIST_FOREACH(c, &bs->children, next) {
        json_object_set_new(bs->explicit_options, c->name,
                            json_string(c->bs->node_name));
        json_object_set_new(bs->options, c->name,
                            json_string(c->bs->node_name));
    }
    json_decref(bs->full_open_options);
    bs->full_open_options = bdrv_strong_options(bs->drv,
                                                bs->explicit_options);

    /* The driver stored them in prepare; the image has them now. */
    if ((e->old_flags & BDRV_O_RDWR) && !(st->flags & BDRV_O_RDWR)) {
        FOR_EACH_DIRTY_BITMAP(bs, bm) {
            if (bdrv_dirty_bitmap_get_persistence(bm)) {
                bdrv_dirty_bitmap_set_readonly(bm, true);
            }
        }
    }
}

static void reopen_commit_post(BlockReopenQueueEntry *e)
{
    BDRVReopenState *st = &e->state;
    BlockDriverState *bs = st->bs;
    bool to_rw = !(e->old_flags & BDRV_O_RDWR) && (st->flags & BDRV_O_RDWR);
    Error *local_err = NULL;
    BdrvDirtyBitmap *bm;

    if (bs->drv->bdrv_reopen_commit_post &&
        bs->drv->bdrv_reopen_commit_post(st, &local_err) < 0) {
        if (to_rw) {
            /* still not in use in the image: they must not change */
            error_prepend(&local_err, "%s: Failed to make dirty bitmaps "
                          "writable: ", bdrv_get_node_name(bs));
        }
        error_report_err(local_err);
        return;
    }
    if (to_rw) {
        FOR_EACH_DIRTY_BITMAP(bs, bm) {
            if (bdrv_dirty_bitmap_get_persistence(bm)) {
                bdrv_dirty_bitmap_set_readonly(bm, false);
            }
        }
    }
}

/* Children before parents: a json: filename names its children's. */
static void reopen_refresh_filename(BlockDriverState *bs, GHashTable *done)
{
    BdrvChild *c;

    if (!g_hash_table_add(done, bs)) {
        return;
    }
    QLIST_FOREACH(c, &bs->children, next) {
        reopen_refresh_filename(c->bs, done);
    }
    bdrv_refresh_filename(bs);
}

static void reopen_abort_all(BlockReopenQueue *q, GSList *taken)
{
    BlockReopenQueueEntry *e;
    GSList *l;

    for (l = taken; l; l = l->next) {
        reopen_settle_perm(l->data);
    }
    QTAILQ_FOREACH_REVERSE(e, q, entry) {
        if (e->prepared && e->state.bs->drv->bdrv_reopen_abort) {
            e->state.bs->drv->bdrv_reopen_abort(&e->state);
        }
    }
    QTAILQ_FOREACH_REVERSE(e, q, entry) {
        if (e->parsed) {
            reopen_unswap(e, "file");
            reopen_unswap(e, "backing");
        }
    }
}

int bdrv_reopen_multiple(BlockReopenQueue *bs_queue, Error **errp)
{
    g_autoptr(GHashTable) done = NULL;
    BlockReopenQueueEntry *e;
    BlockDriverState *bs;
    GSList *taken = NULL, *l;
    int ret = -EINVAL;

    if (!bs_queue) {
        return 0;
    }
    QTAILQ_FOREACH(e, bs_queue, entry) {
        e->parsed = true;
        if (!reopen_parse(e, errp)) {
            goto abort;
        }
    }
    QTAILQ_FOREACH(e, bs_queue, entry) {
        e->state.perm = reopen_needs_write(e->state.bs, bs_queue) ?
                        BLK_PERM_WRITE : 0;
    }
    QTAILQ_FOREACH(e, bs_queue, entry) {
        ret = reopen_prepare(e, bs_queue, errp);
        if (ret < 0) {
            goto abort;
        }
        e->prepared = true;
    }
    QTAILQ_FOREACH(e, bs_queue, entry) {
        if (!reopen_check_perm(e->state.bs, bs_queue, &taken, errp)) {
            ret = -EPERM;
            goto abort;
        }
    }

    QTAILQ_FOREACH_REVERSE(e, bs_queue, entry) {
        if (!e->committed) {
            reopen_commit(e, bs_queue);
        }
    }
    QTAILQ_FOREACH(e, bs_queue, entry) {
        reopen_commit_post(e);
        /* the children it no longer has: drivers are done with them */
        g_clear_pointer(&e->state.old_file_bs, bdrv_unref);
        g_clear_pointer(&e->state.old_backing_bs, bdrv_unref);
    }
    QTAILQ_FOREACH_REVERSE(e, bs_queue, entry) {
        bs = e->state.bs;
        bdrv_refresh_total_sectors(bs, bs->total_sectors);
        reopen_settle_perm(bs);
    }
    for (l = taken; l; l = l->next) {
        reopen_settle_perm(l->data);
    }
    done = g_hash_table_new(NULL, NULL);
    for (bs = bdrv_next_all_states(NULL); bs; bs = bdrv_next_all_states(bs)) {
        reopen_refresh_filename(bs, done);
    }
    ret = 0;
    goto out;

abort:
    reopen_abort_all(bs_queue, taken);
out:
    g_slist_free(taken);
    bdrv_reopen_queue_free(bs_queue);
    return ret;
}

int bdrv_reopen(BlockDriverState *bs, json_t *opts, bool keep_old_opts,
                Error **errp)
{
    return bdrv_reopen_multiple(bdrv_reopen_queue(NULL, bs, opts,
                                                  keep_old_opts), errp);
}

int bdrv_reopen_set_read_only(BlockDriverState *bs, bool read_only,
                              Error **errp)
{
    json_t *opts = json_object();

    json_object_set_new(opts, BDRV_OPT_READ_ONLY, json_boolean(read_only));
    return bdrv_reopen(bs, opts, true, errp);
}
