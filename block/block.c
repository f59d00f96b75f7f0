/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Block graph: drivers, node names, open/close, children, (in)activation. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/util.h"
#include "qemu/cutils.h"
#include "qemu/id.h"
#include "block/block_int.h"
#include "sysemu/block-backend.h"
#include "trace.h"

/* Nodes with a node name (all of them, once opened), oldest first. */
static QTAILQ_HEAD(, BlockDriverState) graph_bdrv_states =
    QTAILQ_HEAD_INITIALIZER(graph_bdrv_states);

/* Every node, named or not, oldest first. */
static QTAILQ_HEAD(, BlockDriverState) all_bdrv_states =
    QTAILQ_HEAD_INITIALIZER(all_bdrv_states);

/* Nodes the monitor holds a reference to (blockdev-add, -blockdev). */
static QTAILQ_HEAD(, BlockDriverState) monitor_bdrv_states =
    QTAILQ_HEAD_INITIALIZER(monitor_bdrv_states);

static QLIST_HEAD(, BlockDriver) bdrv_drivers =
    QLIST_HEAD_INITIALIZER(bdrv_drivers);

static BlockDriverState *bdrv_open_inherit(const char *filename,
                                           const char *reference,
                                           json_t *options, int flags,
                                           Error **errp);

void bdrv_register(BlockDriver *bdrv)
{
    GLOBAL_STATE_CODE();
    QLIST_INSERT_HEAD(&bdrv_drivers, bdrv, list);
}

void bdrv_init(void)
{
    static bool done;

    if (done) {
        return;
    }
    done = true;
    bdrv_register(&bdrv_file);
    bdrv_register(&bdrv_null_co);
    bdrv_register(&bdrv_null_aio);
    bdrv_register(&bdrv_raw);
    bdrv_register(&bdrv_qcow2);
    bdrv_register(&bdrv_copy_on_read);
}

BlockDriver *bdrv_find_format(const char *format_name)
{
    BlockDriver *drv;

    GLOBAL_STATE_CODE();

    bdrv_init();
    QLIST_FOREACH(drv, &bdrv_drivers, list) {
        if (!strcmp(drv->format_name, format_name)) {
            return drv;
        }
    }
    return NULL;
}

static gint bdrv_format_name_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void bdrv_iterate_format(void (*it)(void *opaque, const char *name),
                         void *opaque, bool read_only)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    BlockDriver *drv;
    guint i;

    GLOBAL_STATE_CODE();

    bdrv_init();
    QLIST_FOREACH(drv, &bdrv_drivers, list) {
        g_ptr_array_add(names, (gpointer)drv->format_name);
    }
    g_ptr_array_sort(names, bdrv_format_name_cmp);
    for (i = 0; i < names->len; i++) {
        it(opaque, g_ptr_array_index(names, i));
    }
}

static BlockDriverState *bdrv_new(void)
{
    BlockDriverState *bs = g_new0(BlockDriverState, 1);

    GLOBAL_STATE_CODE();

    QLIST_INIT(&bs->dirty_bitmaps);
    QLIST_INIT(&bs->children);
    QLIST_INIT(&bs->parents);
    qemu_mutex_init(&bs->dirty_bitmap_mutex);
    bs->refcnt = 1;
    QTAILQ_INSERT_TAIL(&all_bdrv_states, bs, bs_list);
    return bs;
}

/* Called with BQL taken. */
static bool bdrv_assign_node_name(BlockDriverState *bs,
                                  const char *node_name, Error **errp)
{
    g_autofree char *gen_node_name = NULL;

    GLOBAL_STATE_CODE();

    if (!node_name) {
        node_name = gen_node_name = id_generate(ID_BLOCK);
    } else if (!id_wellformed(node_name)) {
        /* Generated names start with '#', which users cannot use. */
        error_setg(errp, "Invalid node-name: '%s'", node_name);
        return false;
    }

    /* takes care of avoiding namespaces collisions */
    if (blk_by_name(node_name)) {
        error_setg(errp, "node-name=%s is conflicting with a device id",
                   node_name);
        return false;
    }

    /* takes care of avoiding duplicates node names */
    if (bdrv_find_node(node_name)) {
        error_setg(errp, "Duplicate nodes with node-name='%s'", node_name);
        return false;
    }

    /* Make sure that the node name isn't truncated */
    if (strlen(node_name) >= sizeof(bs->node_name)) {
        error_setg(errp, "Node name too long");
        return false;
    }

    pstrcpy(bs->node_name, sizeof(bs->node_name), node_name);
    QTAILQ_INSERT_TAIL(&graph_bdrv_states, bs, node_list);
    return true;
}

/* ---- option helpers: typed JSON (QMP) or strings (keyval, -drive) ---- */

bool bdrv_opt_get_str(json_t *options, const char *key, const char **value,
                      Error **errp)
{
    json_t *v = json_object_get(options, key);

    *value = NULL;
    if (!v) {
        return true;
    }
    if (!json_is_string(v)) {
        error_setg(errp, "Invalid parameter type for '%s', expected: string",
                   key);
        return false;
    }
    *value = json_string_value(v);
    return true;
}

bool bdrv_opt_get_bool(json_t *options, const char *key, bool def,
                       bool *value, Error **errp)
{
    json_t *v = json_object_get(options, key);

    *value = def;
    if (!v) {
        return true;
    }
    if (json_is_boolean(v)) {
        *value = json_is_true(v);
    } else if (json_is_string(v)) {
        if (!qapi_bool_parse(key, json_string_value(v), value, errp)) {
            return false;
        }
    } else {
        error_setg(errp, "Invalid parameter type for '%s', expected: boolean",
                   key);
        return false;
    }
    json_object_del(options, key);
    return true;
}

bool bdrv_opt_get_int(json_t *options, const char *key, int64_t def,
                      int64_t *value, Error **errp)
{
    json_t *v = json_object_get(options, key);

    *value = def;
    if (!v) {
        return true;
    }
    if (json_is_integer(v)) {
        *value = json_integer_value(v);
    } else if (json_is_string(v)) {
        if (qemu_strtoi64(json_string_value(v), NULL, 0, value) < 0) {
            error_setg(errp, "Parameter '%s' expects integer", key);
            return false;
        }
    } else {
        error_setg(errp, "Invalid parameter type for '%s', expected: integer",
                   key);
        return false;
    }
    json_object_del(options, key);
    return true;
}

bool bdrv_opt_get_size(json_t *options, const char *key, uint64_t def,
                       uint64_t *value, Error **errp)
{
    json_t *v = json_object_get(options, key);

    *value = def;
    if (!v) {
        return true;
    }
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0) {
            error_setg(errp, "Parameter '%s' expects uint64", key);
            return false;
        }
        *value = json_integer_value(v);
    } else if (json_is_string(v)) {
        if (qemu_strtosz(json_string_value(v), NULL, value) < 0) {
            error_setg(errp, "Parameter '%s' expects size", key);
            return false;
        }
    } else {
        error_setg(errp, "Invalid parameter type for '%s', expected: integer",
                   key);
        return false;
    }
    json_object_del(options, key);
    return true;
}

/* ---- children ---- */

static const char *bdrv_child_get_parent_name(BdrvChild *c)
{
    BlockDriverState *parent = c->opaque;

    return bdrv_get_device_or_node_name(parent);
}

const BdrvChildClass child_of_bds = {
    .parent_is_bds = true,
    .get_name = bdrv_child_get_parent_name,
};

static BdrvChild *bdrv_attach_child_common(BlockDriverState *child_bs,
                                           const char *child_name,
                                           const BdrvChildClass *klass,
                                           BdrvChildRole role, void *opaque)
{
    BdrvChild *child = g_new0(BdrvChild, 1);

    GLOBAL_STATE_CODE();

    child->bs = child_bs;
    child->name = g_strdup(child_name);
    child->klass = klass;
    child->role = role;
    child->opaque = opaque;
    QLIST_INSERT_HEAD(&child_bs->parents, child, next_parent);
    return child;
}

BdrvChild *bdrv_root_attach_child(BlockDriverState *child_bs,
                                  const char *child_name,
                                  const BdrvChildClass *child_class,
                                  BdrvChildRole child_role, void *opaque,
                                  Error **errp)
{
    GLOBAL_STATE_CODE();
    bdrv_ref(child_bs);
    return bdrv_attach_child_common(child_bs, child_name, child_class,
                                    child_role, opaque);
}

void bdrv_root_unref_child(BdrvChild *child)
{
    BlockDriverState *bs = child->bs;

    GLOBAL_STATE_CODE();

    QLIST_REMOVE(child, next_parent);
    g_free(child->name);
    g_free(child);
    bdrv_unref(bs);
}

BdrvChild *bdrv_attach_child(BlockDriverState *parent_bs,
                             BlockDriverState *child_bs,
                             const char *child_name,
                             BdrvChildRole child_role, Error **errp)
{
    BdrvChild *child;

    GLOBAL_STATE_CODE();

    child = bdrv_attach_child_common(child_bs, child_name, &child_of_bds,
                                     child_role, parent_bs);
    QLIST_INSERT_HEAD(&parent_bs->children, child, next);
    if (!strcmp(child_name, "file")) {
        parent_bs->file = child;
    } else if (!strcmp(child_name, "backing")) {
        parent_bs->backing = child;
    }
    return child;
}

void bdrv_unref_child(BlockDriverState *parent, BdrvChild *child)
{
    GLOBAL_STATE_CODE();
    if (!child) {
        return;
    }
    if (parent->file == child) {
        parent->file = NULL;
    }
    if (parent->backing == child) {
        parent->backing = NULL;
    }
    if (child->bs->inherits_from == parent) {
        child->bs->inherits_from = NULL;
    }
    QLIST_REMOVE(child, next);
    bdrv_root_unref_child(child);
}

BdrvChild *bdrv_open_child(const char *filename, json_t *options,
                           const char *bdref_key, BlockDriverState *parent,
                           BdrvChildRole role, bool allow_none,
                           Error **errp)
{
    json_t *ref = json_object_get(options, bdref_key);
    BlockDriverState *bs;
    int flags = parent->open_flags & ~BDRV_O_PROTOCOL;

    GLOBAL_STATE_CODE();

    if (json_is_null(ref)) {
        /* "backing": null: explicitly no child */
        json_object_del(options, bdref_key);
        return NULL;
    }
    if (!ref && !filename) {
        if (!allow_none) {
            error_setg(errp, "A block device must be specified for \"%s\"",
                       bdref_key);
        }
        return NULL;
    }

    if (ref && json_is_string(ref)) {
        bs = bdrv_lookup_bs(json_string_value(ref), json_string_value(ref),
                            errp);
        if (!bs) {
            return NULL;
        }
        bdrv_ref(bs);
    } else if (!ref || json_is_object(ref)) {
        json_t *child_opts = ref ? json_deep_copy(ref) : json_object();

        if (!json_object_get(child_opts, "driver")) {
            flags |= BDRV_O_PROTOCOL;
        }
        bs = bdrv_open_inherit(ref ? NULL : filename, NULL, child_opts,
                               flags, errp);
        if (!bs) {
            return NULL;
        }
        bs->inherits_from = parent;
    } else {
        error_setg(errp, "Invalid parameter type for '%s', expected: "
                   "BlockdevRef", bdref_key);
        return NULL;
    }
    json_object_del(options, bdref_key);

    return bdrv_attach_child(parent, bs, bdref_key, role, errp);
}

/* The child a filter passes I/O to: its file child, or else backing. */
BdrvChild *bdrv_filter_child(BlockDriverState *bs)
{
    BdrvChild *c;

    IO_CODE();

    if (!bs || !bs->drv || !bs->drv->is_filter) {
        return NULL;
    }
    /* A filter has one data child; having both would be a driver bug. */
    assert(!bs->file || !bs->backing);
    c = bs->file ?: bs->backing;
    assert(!c || (c->role & BDRV_CHILD_FILTERED));
    return c;
}

BdrvChild *bdrv_filter_or_cow_child(BlockDriverState *bs)
{
    BdrvChild *c = bdrv_filter_child(bs);

    IO_CODE();

    return c ?: (bs ? bs->backing : NULL);
}

BlockDriverState *bdrv_skip_filters(BlockDriverState *bs)
{
    IO_CODE();
    while (bs && bs->drv && bs->drv->is_filter && bdrv_filter_bs(bs)) {
        bs = bdrv_filter_bs(bs);
    }
    return bs;
}

/* ---- open ---- */

bool bdrv_parse_common_options(json_t *options, int *flags,
                                      int *detect_zeroes, bool *force_share,
                                      Error **errp)
{
    const char *str;
    bool ro, auto_ro, direct, no_flush;
    json_t *cache;

    if (!bdrv_opt_get_bool(options, BDRV_OPT_READ_ONLY,
                           !(*flags & BDRV_O_RDWR), &ro, errp) ||
        !bdrv_opt_get_bool(options, BDRV_OPT_AUTO_READ_ONLY,
                           *flags & BDRV_O_AUTO_RDONLY, &auto_ro, errp) ||
        !bdrv_opt_get_bool(options, BDRV_OPT_FORCE_SHARE, false,
                           force_share, errp)) {
        return false;
    }
    *flags = ro ? *flags & ~BDRV_O_RDWR : *flags | BDRV_O_RDWR;
    *flags = auto_ro ? *flags | BDRV_O_AUTO_RDONLY
                     : *flags & ~BDRV_O_AUTO_RDONLY;
    if (*force_share && !ro) {
        error_setg(errp, "force-share=on can only be used with read-only "
                   "images");
        return false;
    }

    if (!bdrv_opt_get_str(options, BDRV_OPT_DISCARD, &str, errp)) {
        return false;
    }
    if (str) {
        if (!strcmp(str, "off") || !strcmp(str, "ignore")) {
            *flags &= ~BDRV_O_UNMAP;
        } else if (!strcmp(str, "on") || !strcmp(str, "unmap")) {
            *flags |= BDRV_O_UNMAP;
        } else {
            error_setg(errp, "Invalid discard option");
            return false;
        }
        json_object_del(options, BDRV_OPT_DISCARD);
    }

    if (!bdrv_opt_get_str(options, "detect-zeroes", &str, errp)) {
        return false;
    }
    if (str) {
        if (!strcmp(str, "off")) {
            *detect_zeroes = BDRV_DETECT_ZEROES_OFF;
        } else if (!strcmp(str, "on")) {
            *detect_zeroes = BDRV_DETECT_ZEROES_ON;
        } else if (!strcmp(str, "unmap")) {
            *detect_zeroes = BDRV_DETECT_ZEROES_UNMAP;
        } else {
            error_setg(errp, "Parameter 'detect-zeroes' does not accept "
                       "value '%s'", str);
            return false;
        }
        json_object_del(options, "detect-zeroes");
    }

    cache = json_object_get(options, "cache");
    if (cache && !json_is_object(cache)) {
        error_setg(errp, "Invalid parameter type for 'cache', expected: "
                   "object");
        return false;
    }
    if (!bdrv_opt_get_bool(cache ?: options, cache ? "direct" :
                           BDRV_OPT_CACHE_DIRECT,
                           *flags & BDRV_O_NOCACHE, &direct, errp) ||
        !bdrv_opt_get_bool(cache ?: options, cache ? "no-flush" :
                           BDRV_OPT_CACHE_NO_FLUSH,
                           *flags & BDRV_O_NO_FLUSH, &no_flush, errp)) {
        return false;
    }
    if (cache) {
        if (json_object_size(cache)) {
            error_setg(errp, "Parameter 'cache.%s' is unexpected",
                       json_object_iter_key(json_object_iter(cache)));
            return false;
        }
        json_object_del(options, "cache");
    }
    *flags = direct ? *flags | BDRV_O_NOCACHE : *flags & ~BDRV_O_NOCACHE;
    *flags = no_flush ? *flags | BDRV_O_NO_FLUSH : *flags & ~BDRV_O_NO_FLUSH;
    if (*detect_zeroes == BDRV_DETECT_ZEROES_UNMAP &&
        !(*flags & BDRV_O_UNMAP)) {
        error_setg(errp, "setting detect-zeroes to unmap is not allowed "
                   "without setting discard operation to unmap");
        return false;
    }
    return true;
}

void bdrv_flags_to_options(json_t *options, int flags)
{
    json_t *cache = json_object_get(options, "cache");

    if (!json_object_get(options, BDRV_OPT_READ_ONLY)) {
        json_object_set_new(options, BDRV_OPT_READ_ONLY,
                            json_boolean(!(flags & BDRV_O_RDWR)));
    }
    if (!json_object_get(options, BDRV_OPT_AUTO_READ_ONLY)) {
        json_object_set_new(options, BDRV_OPT_AUTO_READ_ONLY,
                            json_boolean(flags & BDRV_O_AUTO_RDONLY));
    }
    if (!json_object_get(cache ?: options, cache ? "direct" :
                         BDRV_OPT_CACHE_DIRECT)) {
        json_object_set_new(cache ?: options, cache ? "direct" :
                            BDRV_OPT_CACHE_DIRECT,
                            json_boolean(flags & BDRV_O_NOCACHE));
    }
    if (!json_object_get(cache ?: options, cache ? "no-flush" :
                         BDRV_OPT_CACHE_NO_FLUSH)) {
        json_object_set_new(cache ?: options, cache ? "no-flush" :
                            BDRV_OPT_CACHE_NO_FLUSH,
                            json_boolean(flags & BDRV_O_NO_FLUSH));
    }
}

int bdrv_refresh_total_sectors(BlockDriverState *bs, int64_t hint)
{
    BlockDriver *drv = bs->drv;
    int64_t len;

    if (!drv) {
        return -ENOMEDIUM;
    }
    if (drv->bdrv_getlength) {
        len = drv->bdrv_getlength(bs);
        if (len < 0) {
            return len;
        }
        hint = DIV_ROUND_UP(len, BDRV_SECTOR_SIZE);
    } else if (bs->file) {
        len = bdrv_getlength(bs->file->bs);
        if (len < 0) {
            return len;
        }
        hint = DIV_ROUND_UP(len, BDRV_SECTOR_SIZE);
    }
    bs->total_sectors = hint;
    return 0;
}

/*
 * QEMU prints json: filenames from a QDict, whose iteration order is its
 * hash-bucket order; reproduce it so that names match QEMU's byte for byte.
 */
#define QDICT_BUCKET_MAX 512

static unsigned int qdict_bucket(const char *name)
{
    unsigned int value = 0x238F13AF * strlen(name);
    unsigned int i;

    for (i = 0; name[i]; i++) {
        value = value + (((const unsigned char *)name)[i] << (i * 5 % 24));
    }
    return (1103515243 * value + 12345) % QDICT_BUCKET_MAX;
}

typedef struct QDictKey {
    const char *key;
    unsigned int bucket;
    size_t order;               /* insertion order: later ones come first */
} QDictKey;

static gint qdict_key_cmp(gconstpointer a, gconstpointer b)
{
    const QDictKey *ka = a, *kb = b;

    if (ka->bucket != kb->bucket) {
        return ka->bucket < kb->bucket ? -1 : 1;
    }
    return ka->order > kb->order ? -1 : 1;
}

void bdrv_qdict_order(GPtrArray *keys)
{
    g_autoptr(GArray) order = g_array_new(false, false, sizeof(QDictKey));
    guint i;

    for (i = 0; i < keys->len; i++) {
        const char *key = g_ptr_array_index(keys, i);
        QDictKey k = { key, qdict_bucket(key), i };

        g_array_append_val(order, k);
    }
    g_array_sort(order, qdict_key_cmp);
    for (i = 0; i < keys->len; i++) {
        keys->pdata[i] = (gpointer)g_array_index(order, QDictKey, i).key;
    }
}

static void qdict_order_dump(GString *out, json_t *obj)
{
    g_autoptr(GPtrArray) keys = g_ptr_array_new();
    const char *key;
    json_t *value;
    guint i;

    if (!json_is_object(obj)) {
        g_autofree char *s = json_dumps(obj, JSON_ENCODE_ANY);

        g_string_append(out, s);
        return;
    }
    json_object_foreach(obj, key, value) {
        g_ptr_array_add(keys, (gpointer)key);
    }
    bdrv_qdict_order(keys);
    g_string_append_c(out, '{');
    for (i = 0; i < keys->len; i++) {
        const char *k = g_ptr_array_index(keys, i);
        json_t *jk = json_string(k);
        g_autofree char *name = json_dumps(jk, JSON_ENCODE_ANY);

        json_decref(jk);
        g_string_append_printf(out, "%s%s: ", i ? ", " : "", name);
        qdict_order_dump(out, json_object_get(obj, k));
    }
    g_string_append_c(out, '}');
}

/*
 * The name shown in queries: the protocol's plain name; for a format or
 * filter without strong options of its own, its file child's plain name;
 * otherwise json:{...} of the strong options of the node and its children.
 */
void bdrv_refresh_filename(BlockDriverState *bs)
{
    BlockDriver *drv = bs->drv;
    const char *key;
    json_t *value;
    BdrvChild *child;
    bool own_opts = false;

    GLOBAL_STATE_CODE();

    json_object_foreach(bs->full_open_options, key, value) {
        if (strcmp(key, "driver") && strcmp(key, "file") &&
            strcmp(key, "backing")) {
            own_opts = true;
        }
    }
    QLIST_FOREACH(child, &bs->children, next) {
        json_object_set(bs->full_open_options, child->name,
                        child->bs->full_open_options);
    }

    bs->exact_filename[0] = '\0';
    if (drv->bdrv_refresh_filename) {
        drv->bdrv_refresh_filename(bs);
    } else if (bs->file && !bs->backing && !own_opts) {
        pstrcpy(bs->exact_filename, sizeof(bs->exact_filename),
                bs->file->bs->exact_filename);
    }
    if (bs->exact_filename[0]) {
        pstrcpy(bs->filename, sizeof(bs->filename), bs->exact_filename);
    } else {
        g_autoptr(GString) json = g_string_new("json:");

        qdict_order_dump(json, bs->full_open_options);
        pstrcpy(bs->filename, sizeof(bs->filename), json->str);
    }
}

json_t *bdrv_strong_options(BlockDriver *drv, json_t *options)
{
    json_t *strong = json_object();
    const char *const *p;

    json_object_set_new(strong, "driver", json_string(drv->format_name));
    for (p = drv->strong_runtime_opts; p && *p; p++) {
        json_t *v = json_object_get(options, *p);

        if (v) {
            json_object_set(strong, *p, v);
        }
    }
    return strong;
}

/*
 * Close the driver first: it may still write through its children, e.g.
 * qcow2 storing its persistent bitmaps. What it did not store is lost.
 */
static void bdrv_close(BlockDriverState *bs)
{
    BlockDriver *drv = bs->drv;
    BdrvChild *child, *next;

    GLOBAL_STATE_CODE();

    if (drv && drv->bdrv_close) {
        drv->bdrv_close(bs);
    }
    bs->drv = NULL;
    bdrv_release_named_dirty_bitmaps(bs);
    assert(QLIST_EMPTY(&bs->dirty_bitmaps));
    QLIST_FOREACH_SAFE(child, &bs->children, next, next) {
        bdrv_unref_child(bs, child);
    }
    g_clear_pointer(&bs->opaque, g_free);
    g_clear_pointer(&bs->full_open_options, json_decref);
    g_clear_pointer(&bs->explicit_options, json_decref);
    g_clear_pointer(&bs->options, json_decref);
}

static void bdrv_delete(BlockDriverState *bs)
{
    GLOBAL_STATE_CODE();
    assert(bs->refcnt == 0);
    assert(QLIST_EMPTY(&bs->parents));

    trace_bdrv_delete(bs, bs->node_name);
    bdrv_close(bs);
    if (bs->node_name[0] != '\0') {
        QTAILQ_REMOVE(&graph_bdrv_states, bs, node_list);
    }
    QTAILQ_REMOVE(&all_bdrv_states, bs, bs_list);
    qemu_mutex_destroy(&bs->dirty_bitmap_mutex);
    g_clear_pointer(&bs->dirty_bitmap_names, g_hash_table_destroy);
    g_free(bs);
}

/* Report the first option key the driver left unconsumed. */
static bool bdrv_check_leftover_options(BlockDriver *drv, json_t *options,
                                        Error **errp)
{
    void *it = json_object_iter(options);

    if (!it) {
        return true;
    }
    if (drv->bdrv_file_open) {
        error_setg(errp, "Block protocol '%s' doesn't support the option "
                   "'%s'", drv->format_name, json_object_iter_key(it));
    } else {
        error_setg(errp, "Block format '%s' does not support the option "
                   "'%s'", drv->format_name, json_object_iter_key(it));
    }
    return false;
}

static BlockDriverState *bdrv_open_inherit(const char *filename,
                                           const char *reference,
                                           json_t *options, int flags,
                                           Error **errp)
{
    BlockDriverState *bs;
    BlockDriver *drv;
    const char *drvname, *node_name;
    int detect_zeroes = BDRV_DETECT_ZEROES_OFF;
    bool force_share = false;
    BlockDriverState *file_bs = NULL;
    json_t *strong, *explicit = NULL;
    BdrvChild *child;
    int ret;

    GLOBAL_STATE_CODE();

    if (reference) {
        json_decref(options);
        bs = bdrv_lookup_bs(reference, reference, errp);
        if (bs) {
            bdrv_ref(bs);
        }
        return bs;
    }
    if (!json_is_object(options)) {
        json_decref(options);
        error_setg(errp, "Block options must be an object");
        return NULL;
    }
    if (filename && !json_object_get(options, "filename") &&
        (flags & BDRV_O_PROTOCOL)) {
        json_object_set_new(options, "filename", json_string(filename));
    }

    if (!bdrv_opt_get_str(options, "driver", &drvname, errp)) {
        goto fail_opts;
    }
    if (!drvname) {
        if (flags & BDRV_O_PROTOCOL) {
            drvname = "file";
        } else if (filename || json_object_get(options, "file")) {
            /* Format probing: only raw images are recognised. */
            drvname = "raw";
        } else {
            error_setg(errp, "Must specify either driver or file");
            goto fail_opts;
        }
    }
    drv = bdrv_find_format(drvname);
    if (!drv) {
        error_setg(errp, "Unknown driver '%s'", drvname);
        goto fail_opts;
    }
    strong = bdrv_strong_options(drv, options);
    explicit = json_deep_copy(options);
    json_object_set_new(explicit, "driver", json_string(drv->format_name));
    json_object_del(options, "driver");

    if (!bdrv_parse_common_options(options, &flags, &detect_zeroes,
                                   &force_share, errp) ||
        !bdrv_opt_get_str(options, "node-name", &node_name, errp)) {
        json_decref(strong);
        goto fail_opts;
    }

    /*
     * As QEMU, open an inline "file" child before naming this node, and
     * hand it to the driver as a node-name reference: children are older
     * than their parents in the node list (query-named-block-nodes order).
     */
    if (!drv->bdrv_file_open) {
        json_t *file = json_object_get(options, "file");

        if (json_is_object(file) || (!file && filename)) {
            json_t *child_opts = file ? json_deep_copy(file) : json_object();
            int child_flags = flags & ~BDRV_O_PROTOCOL;

            if (!json_object_get(child_opts, "driver")) {
                child_flags |= BDRV_O_PROTOCOL;
            }
            file_bs = bdrv_open_inherit(file ? NULL : filename, NULL,
                                        child_opts, child_flags, errp);
            if (!file_bs) {
                json_decref(strong);
                goto fail_opts;
            }
            json_object_set_new(options, "file",
                                json_string(file_bs->node_name));
        } else if (json_is_string(file) &&
                   !bdrv_lookup_bs(json_string_value(file),
                                   json_string_value(file), errp)) {
            /* as QEMU, resolved before this node has a name: no cycle */
            json_decref(strong);
            goto fail_opts;
        }
    }

    bs = bdrv_new();
    bs->drv = drv;
    bs->open_flags = flags & ~BDRV_O_PROTOCOL;
    bs->detect_zeroes = detect_zeroes;
    bs->force_share = force_share;
    bs->full_open_options = strong;
    bs->explicit_options = g_steal_pointer(&explicit);
    if (file_bs) {
        file_bs->inherits_from = bs;
    }
    if (!bdrv_assign_node_name(bs, node_name, errp)) {
        bs->drv = NULL;         /* never opened: nothing for it to close */
        goto fail;
    }
    json_object_del(options, "node-name");
    bs->opaque = g_malloc0(drv->instance_size);

    if (drv->bdrv_file_open) {
        ret = drv->bdrv_file_open(bs, options, bs->open_flags, errp);
    } else {
        ret = drv->bdrv_open(bs, options, bs->open_flags, errp);
    }
    if (ret < 0) {
        bdrv_close(bs);
        goto fail;
    }
    if (!bdrv_check_leftover_options(drv, options, errp)) {
        goto fail;
    }
    ret = bdrv_refresh_total_sectors(bs, bs->total_sectors);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not refresh total sector count");
        goto fail;
    }
    /* A reopen names the children it keeps by reference. */
    QLIST_FOREACH(child, &bs->children, next) {
        json_object_set_new(bs->explicit_options, child->name,
                            json_string(child->bs->node_name));
    }
    bs->options = json_deep_copy(bs->explicit_options);
    bdrv_flags_to_options(bs->options, bs->open_flags);
    bdrv_refresh_filename(bs);
    trace_bdrv_open_common(bs, bs->node_name, drv->format_name,
                           bs->open_flags);
    bdrv_unref(file_bs);
    json_decref(options);
    return bs;

fail:
    bs->refcnt = 0;
    bdrv_delete(bs);
    bdrv_unref(file_bs);
fail_opts:
    json_decref(explicit);
    json_decref(options);
    return NULL;
}

BlockDriverState *bdrv_open(const char *filename, const char *reference,
                            json_t *options, int flags, Error **errp)
{
    GLOBAL_STATE_CODE();
    if (!options) {
        options = json_object();
    }
    return bdrv_open_inherit(filename, reference, options, flags, errp);
}

BlockDriverState *bdrv_new_open_driver(BlockDriver *drv,
                                       const char *node_name, int flags,
                                       Error **errp)
{
    json_t *options = json_object();

    GLOBAL_STATE_CODE();

    json_object_set_new(options, "driver", json_string(drv->format_name));
    if (node_name) {
        json_object_set_new(options, "node-name", json_string(node_name));
    }
    json_object_set_new(options, BDRV_OPT_READ_ONLY,
                        json_boolean(!(flags & BDRV_O_RDWR)));
    return bdrv_open_inherit(NULL, NULL, options, flags, errp);
}

void bdrv_ref(BlockDriverState *bs)
{
    GLOBAL_STATE_CODE();
    bs->refcnt++;
}

/* Drop a reference (NULL: none); the last one closes and frees the node. */
void bdrv_unref(BlockDriverState *bs)
{
    GLOBAL_STATE_CODE();
    if (bs) {
        assert(bs->refcnt > 0);
        if (--bs->refcnt == 0) {
            bdrv_delete(bs);
        }
    }
}

/* ---- lookup ---- */

BlockDriverState *bdrv_find_node(const char *node_name)
{
    BlockDriverState *bs;

    GLOBAL_STATE_CODE();

    assert(node_name);
    QTAILQ_FOREACH(bs, &graph_bdrv_states, node_list) {
        if (!strcmp(node_name, bs->node_name)) {
            return bs;
        }
    }
    return NULL;
}

BlockDriverState *bdrv_lookup_bs(const char *device, const char *node_name,
                                 Error **errp)
{
    BlockBackend *blk;
    BlockDriverState *bs;

    GLOBAL_STATE_CODE();

    blk = device ? blk_by_name(device) : NULL;
    /* One namespace: a device name wins over a node of the same name. */
    if (blk) {
        bs = blk_bs(blk);
        if (!bs) {
            error_setg(errp, "Device '%s' has no medium", device);
        }
        return bs;
    }
    bs = node_name ? bdrv_find_node(node_name) : NULL;
    if (!bs) {
        error_setg(errp, "Cannot find device='%s' nor node-name='%s'",
                   device ?: "", node_name ?: "");
    }
    return bs;
}

BlockDriverState *bdrv_next_node(BlockDriverState *bs)
{
    GLOBAL_STATE_CODE();
    return bs ? QTAILQ_NEXT(bs, node_list) : QTAILQ_FIRST(&graph_bdrv_states);
}

BlockDriverState *bdrv_next_all_states(BlockDriverState *bs)
{
    GLOBAL_STATE_CODE();
    return bs ? QTAILQ_NEXT(bs, bs_list) : QTAILQ_FIRST(&all_bdrv_states);
}

const char *bdrv_get_node_name(const BlockDriverState *bs)
{
    IO_CODE();
    return bs->node_name;
}

/* The name of the first non-node parent that has one, or "". */
const char *bdrv_get_device_name(const BlockDriverState *bs)
{
    BdrvChild *c;

    IO_CODE();

    QLIST_FOREACH(c, &bs->parents, next_parent) {
        if (!c->klass->parent_is_bds && c->klass->get_name) {
            const char *name = c->klass->get_name(c);

            if (name && *name) {
                return name;
            }
        }
    }
    return "";
}

const char *bdrv_get_device_or_node_name(const BlockDriverState *bs)
{
    const char *name = bdrv_get_device_name(bs);

    IO_CODE();

    return *name ? name : bs->node_name;
}

const char *bdrv_get_format_name(BlockDriverState *bs)
{
    IO_CODE();
    return bs->drv ? bs->drv->format_name : NULL;
}

bool bdrv_is_read_only(BlockDriverState *bs)
{
    IO_CODE();
    return !(bs->open_flags & BDRV_O_RDWR);
}

bool bdrv_is_writable(BlockDriverState *bs)
{
    IO_CODE();
    return !bdrv_is_read_only(bs) && !(bs->open_flags & BDRV_O_INACTIVE);
}

bool bdrv_has_parents(BlockDriverState *bs)
{
    return !QLIST_EMPTY(&bs->parents);
}

/* ---- sizes and info ---- */

int64_t bdrv_nb_sectors(BlockDriverState *bs)
{
    IO_CODE();
    if (!bs->drv) {
        return -ENOMEDIUM;
    }
    return bs->total_sectors;
}

int64_t bdrv_getlength(BlockDriverState *bs)
{
    int64_t sectors;

    IO_CODE();
    sectors = bdrv_nb_sectors(bs);
    if (sectors < 0) {
        return sectors;
    }
    return sectors > INT64_MAX / BDRV_SECTOR_SIZE ? -EFBIG :
           sectors * BDRV_SECTOR_SIZE;
}

int64_t bdrv_get_allocated_file_size(BlockDriverState *bs)
{
    IO_CODE();
    if (!bs->drv) {
        return -ENOMEDIUM;
    }
    if (bs->drv->bdrv_get_allocated_file_size) {
        return bs->drv->bdrv_get_allocated_file_size(bs);
    }
    if (bs->file) {
        return bdrv_get_allocated_file_size(bs->file->bs);
    }
    return 0;
}

int bdrv_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    BlockDriverState *filtered;

    IO_CODE();

    memset(bdi, 0, sizeof(*bdi));
    if (!bs->drv) {
        return -ENOMEDIUM;
    }
    if (bs->drv->bdrv_get_info) {
        return bs->drv->bdrv_get_info(bs, bdi);
    }
    /* A filter has no clusters of its own: ask what it filters. */
    filtered = bdrv_filter_bs(bs);
    return filtered ? bdrv_get_info(filtered, bdi) : -ENOTSUP;
}

/* ---- write permission ---- */

int bdrv_set_write_perm(BlockDriverState *bs, bool write, Error **errp)
{
    if (!bs->drv || !bs->drv->bdrv_set_perm ||
        (bs->open_flags & BDRV_O_INACTIVE)) {
        return 0;
    }
    return bs->drv->bdrv_set_perm(bs, write ? BLK_PERM_WRITE : 0, errp);
}

int bdrv_add_write_user(BlockDriverState *bs, Error **errp)
{
    BdrvChild *child, *c;
    int ret;

    QLIST_FOREACH(child, &bs->children, next) {
        ret = bdrv_add_write_user(child->bs, errp);
        if (ret < 0) {
            goto fail_children;
        }
    }
    if (bs->write_users++ == 0) {
        ret = bdrv_set_write_perm(bs, true, errp);
        if (ret < 0) {
            bs->write_users--;
            goto fail_children;
        }
    }
    return 0;

fail_children:
    QLIST_FOREACH(c, &bs->children, next) {
        if (c == child) {
            break;
        }
        bdrv_remove_write_user(c->bs);
    }
    return ret;
}

void bdrv_remove_write_user(BlockDriverState *bs)
{
    BdrvChild *child;

    assert(bs->write_users > 0);
    if (--bs->write_users == 0) {
        bdrv_set_write_perm(bs, false, NULL);
    }
    QLIST_FOREACH(child, &bs->children, next) {
        bdrv_remove_write_user(child->bs);
    }
}

/* ---- inactivation ---- */

static bool bdrv_has_bds_parent(BlockDriverState *bs, bool only_active)
{
    BdrvChild *parent;

    GLOBAL_STATE_CODE();
    QLIST_FOREACH(parent, &bs->parents, next_parent) {
        BlockDriverState *above = parent->opaque;

        if (parent->klass->parent_is_bds &&
            (!only_active || !(above->open_flags & BDRV_O_INACTIVE))) {
            return true;
        }
    }
    return false;
}

/*
 * Parents before children: a node goes once no active node is above it,
 * so a format driver's bdrv_inactivate can still write its metadata
 * (persistent bitmaps) through its file child.
 */
static int bdrv_inactivate_recurse(BlockDriverState *bs)
{
    BlockDriver *drv = bs->drv;
    BdrvChild *child;
    int ret;

    GLOBAL_STATE_CODE();

    if (!drv) {
        return -ENOMEDIUM;
    }
    /* Done already, or a parent is still active and will come back. */
    if ((bs->open_flags & BDRV_O_INACTIVE) || bdrv_has_bds_parent(bs, true)) {
        return 0;
    }
    trace_bdrv_inactivate(bs, bs->node_name);
    ret = drv->bdrv_inactivate ? drv->bdrv_inactivate(bs) : 0;
    if (ret < 0) {
        return ret;
    }
    bs->open_flags |= BDRV_O_INACTIVE;
    QLIST_FOREACH(child, &bs->children, next) {
        ret = bdrv_inactivate_recurse(child->bs);
        if (ret < 0) {
            break;
        }
    }
    return ret;
}

int bdrv_inactivate_all(void)
{
    BlockDriverState *bs;
    int ret;

    GLOBAL_STATE_CODE();

    QTAILQ_FOREACH(bs, &all_bdrv_states, bs_list) {
        if (bdrv_has_bds_parent(bs, false)) {
            continue;
        }
        ret = bdrv_inactivate_recurse(bs);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

static void clear_skip_store(BlockDriverState *bs)
{
    BdrvDirtyBitmap *bm;

    FOR_EACH_DIRTY_BITMAP(bs, bm) {
        bdrv_dirty_bitmap_skip_store(bm, false);
    }
}

int bdrv_activate(BlockDriverState *bs, Error **errp)
{
    BdrvChild *child;
    Error *local_err = NULL;
    int ret;

    GLOBAL_STATE_CODE();

    if (!bs->drv) {
        return -ENOMEDIUM;
    }
    QLIST_FOREACH(child, &bs->children, next) {
        ret = bdrv_activate(child->bs, errp);
        if (ret < 0) {
            return ret;
        }
    }
    if (!(bs->open_flags & BDRV_O_INACTIVE)) {
        return 0;
    }
    trace_bdrv_activate(bs, bs->node_name);
    bs->open_flags &= ~BDRV_O_INACTIVE;
    if (bs->drv->bdrv_co_invalidate_cache) {
        bs->drv->bdrv_co_invalidate_cache(bs, &local_err);
        if (local_err) {
            bs->open_flags |= BDRV_O_INACTIVE;
            error_propagate_prepend(errp, local_err,
                                    "Could not reopen qcow2 layer: ");
            return -EINVAL;
        }
    }
    /* Whatever a migration marked skip_store is the driver's to store again */
    clear_skip_store(bs);
    ret = bdrv_refresh_total_sectors(bs, bs->total_sectors);
    if (ret < 0) {
        bs->open_flags |= BDRV_O_INACTIVE;
        error_setg_errno(errp, -ret, "Could not refresh total sector count");
        return ret;
    }
    return 0;
}

void bdrv_skip_store_none(void)
{
    BlockDriverState *bs;

    for (bs = bdrv_next_all_states(NULL); bs; bs = bdrv_next_all_states(bs)) {
        clear_skip_store(bs);
    }
}

void bdrv_activate_all(Error **errp)
{
    BlockDriverState *bs;

    GLOBAL_STATE_CODE();

    QTAILQ_FOREACH(bs, &all_bdrv_states, bs_list) {
        if (bdrv_has_bds_parent(bs, false)) {
            continue;
        }
        if (bdrv_activate(bs, errp) < 0) {
            return;
        }
    }
}

void bdrv_set_monitor_owned(BlockDriverState *bs)
{
    GLOBAL_STATE_CODE();
    QTAILQ_INSERT_TAIL(&monitor_bdrv_states, bs, monitor_list);
    bs->monitor_owned = true;
}

bool bdrv_is_monitor_owned(BlockDriverState *bs)
{
    return bs->monitor_owned;
}

void bdrv_clear_monitor_owned(BlockDriverState *bs)
{
    assert(bs->monitor_owned);
    QTAILQ_REMOVE(&monitor_bdrv_states, bs, monitor_list);
    bs->monitor_owned = false;
}

void bdrv_close_all(void)
{
    BlockBackend *blk = NULL;
    BlockDriverState *bs, *next;

    GLOBAL_STATE_CODE();

    while ((blk = blk_all_next(blk)) != NULL) {
        blk_remove_bs(blk);
    }
    QTAILQ_FOREACH_SAFE(bs, &monitor_bdrv_states, monitor_list, next) {
        bdrv_clear_monitor_owned(bs);
        bdrv_unref(bs);
    }
}
