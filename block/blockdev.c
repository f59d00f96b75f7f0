/* SPDX-License-Identifier: GPL-2.0-or-later */
/* -drive, -blockdev, QMP blockdev-add and blockdev-del. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/id.h"
#include "qemu/option.h"
#include "block/block_int.h"
#include "sysemu/block-backend.h"
#include "sysemu/blockdev.h"
#include "sysemu/runstate.h"
#include "qapi/qapi-commands-block-core.h"
#include "qapi/qapi-commands-job.h"
#include "qapi/qapi-visit-block-core.h"
#include "qapi/qobject-input-visitor.h"
#include "qapi/qobject-output-visitor.h"
#include "qapi/qmp/qjson.h"
#include "trace.h"

/* The if= spelling of each BlockInterfaceType, in the enum's order. */
static const char *const if_name[IF_COUNT] = {
    "none", "ide", "scsi", "floppy", "pflash", "mtd", "sd", "virtio", "xen",
};
G_STATIC_ASSERT(IF_VIRTIO == 7 && IF_COUNT == 9);

/* Legacy -drive keys minivmm accepts and ignores (no emulated bus). */
static const char *const drive_ignored_keys[] = {
    "bus", "unit", "index", "media", "serial", "werror", "rerror", "addr",
    NULL
};

/* Default open flags: read-write, inactive while waiting for a migration. */
static int blockdev_default_flags(void)
{
    int flags = BDRV_O_RDWR;

    if (runstate_check(RUN_STATE_INMIGRATE)) {
        flags |= BDRV_O_INACTIVE;
    }
    return flags;
}

static void bdrv_format_print(void *opaque, const char *name)
{
    printf(" %s", name);
}

/* QEMU's two lines, listing the registered drivers by name. */
void bdrv_print_format_list(void)
{
    printf("Supported formats:");
    bdrv_iterate_format(bdrv_format_print, NULL, false);
    printf("\nSupported formats (read-only):");
    bdrv_iterate_format(bdrv_format_print, NULL, true);
    printf("\n");
}

/* Take string option @key out of @opts (NULL if absent); error if not. */
static bool drive_take_str(json_t *opts, const char *key, char **value,
                           Error **errp)
{
    json_t *v = json_object_get(opts, key);

    *value = NULL;
    if (!v) {
        return true;
    }
    if (!json_is_string(v)) {
        error_setg(errp, "Parameter '%s' expects a string", key);
        return false;
    }
    *value = g_strdup(json_string_value(v));
    json_object_del(opts, key);
    return true;
}

/* cache=MODE into the node's cache.* options and the write cache flag. */
static bool drive_parse_cache(const char *mode, json_t *bs_opts,
                              bool *writethrough, Error **errp)
{
    bool direct = false, no_flush = false;

    *writethrough = false;
    if (!strcmp(mode, "off") || !strcmp(mode, "none")) {
        direct = true;
    } else if (!strcmp(mode, "directsync")) {
        direct = true;
        *writethrough = true;
    } else if (!strcmp(mode, "writeback")) {
        /* the default */
    } else if (!strcmp(mode, "unsafe")) {
        no_flush = true;
    } else if (!strcmp(mode, "writethrough")) {
        *writethrough = true;
    } else {
        error_setg(errp, "invalid cache option");
        return false;
    }
    json_object_set_new(bs_opts, BDRV_OPT_CACHE_DIRECT,
                        json_boolean(direct));
    json_object_set_new(bs_opts, BDRV_OPT_CACHE_NO_FLUSH,
                        json_boolean(no_flush));
    return true;
}

/* Guess the format of an image file: qcow2 by magic, else raw. */
static const char *drive_probe_format(const char *filename)
{
    uint8_t magic[4] = { 0 };
    bool null_protocol = g_str_has_prefix(filename, "null-co://") ||
                         g_str_has_prefix(filename, "null-aio://");
    int fd = null_protocol ? -1 : open(filename, O_RDONLY | O_CLOEXEC);

    /* A null protocol reads as zeroes, so it is probed (as raw) too */
    if (fd < 0 && !null_protocol) {
        /* as QEMU: no probe, no warning; opening it reports the error */
        return "raw";
    }
    if (fd >= 0) {
        if (read(fd, magic, sizeof(magic)) != sizeof(magic)) {
            memset(magic, 0, sizeof(magic));
        }
        close(fd);
    }
    if (!memcmp(magic, "QFI\xfb", 4) && bdrv_find_format("qcow2")) {
        return "qcow2";
    }
    error_printf("WARNING: Image format was not specified for '%s' and "
                 "probing guessed raw.\n", filename);
    error_printf("         Automatically detecting the format is dangerous "
                 "for raw images, write operations on block 0 will be "
                 "restricted.\n"
                 "         Specify the 'raw' format explicitly to remove "
                 "the restrictions.\n");
    return "raw";
}

/*
 * The protocol layer for file=@filename: "null-co://" style names pick
 * that driver, anything else is a host file.
 */
static json_t *drive_protocol_options(const char *filename, json_t *extra)
{
    json_t *file = extra ? json_incref(extra) : json_object();

    if (!json_object_get(file, "driver")) {
        if (g_str_has_prefix(filename, "null-co://")) {
            json_object_set_new(file, "driver", json_string("null-co"));
        } else if (g_str_has_prefix(filename, "null-aio://")) {
            json_object_set_new(file, "driver", json_string("null-aio"));
        } else {
            json_object_set_new(file, "driver", json_string("file"));
        }
    }
    json_object_set_new(file, "filename", json_string(filename));
    return file;
}

/*
 * Does @bs_opts (the node's share of a -drive) ask for a node?  Options
 * that only qualify the medium, such as read-only, do not: with no file,
 * format or driver either, the drive is empty.  Any other option makes a
 * node (with "driver", the node QEMU inserts; else an error).
 */
static bool drive_has_node_options(json_t *bs_opts)
{
    static const char *const medium_only[] = {
        BDRV_OPT_READ_ONLY, "detect-zeroes", "copy-on-read", NULL
    };
    const char *key;
    json_t *value;

    json_object_foreach(bs_opts, key, value) {
        if (!g_strv_contains(medium_only, key)) {
            return true;
        }
    }
    return false;
}

#define NO_PCI_BUS "No 'PCI' bus found for device 'virtio-blk-pci'"

/*
 * Attach @blk to a stand-in virtio-blk-pci device, under
 * /machine/peripheral/@qdev_id, or an anonymous one without an id.
 */
static int virtio_blk_attach(BlockBackend *blk, const char *qdev_id,
                             Error **errp)
{
    static int anon_devices;
    g_autofree char *path = qdev_id ?
        g_strdup_printf("/machine/peripheral/%s/virtio-backend", qdev_id) :
        g_strdup_printf("/machine/peripheral-anon/device[%d]/"
                        "virtio-backend", anon_devices++);

    return blk_attach_dev(blk, path, errp);
}

static bool check_id(const char *id, Error **errp)
{
    if (!id_wellformed(id)) {
        error_setg(errp, "Parameter 'id' expects an identifier");
        error_append_hint(errp, "Identifiers consist of letters, digits, "
                          "'-', '.', '_', starting with a letter.\n");
        return false;
    }
    return true;
}

static BlockBackend *drive_open(json_t *opts, const char *id,
                                BlockInterfaceType type, bool have_pci,
                                Error **errp)
{
    g_autofree char *format = NULL, *cache = NULL, *aio = NULL;
    g_autofree char *file = NULL, *ro = NULL;
    json_t *bs_opts = NULL, *file_extra = NULL;
    BlockBackend *blk = NULL;
    BlockDriverState *bs;
    bool writethrough = false;
    int flags = blockdev_default_flags();
    const char *const *key;

    for (key = drive_ignored_keys; *key; key++) {
        json_object_del(opts, *key);
    }
    if (!drive_take_str(opts, "cache", &cache, errp) ||
        !drive_take_str(opts, "aio", &aio, errp) ||
        !drive_take_str(opts, "format", &format, errp)) {
        return NULL;
    }
    bs_opts = json_deep_copy(opts);
    json_object_del(bs_opts, "file");
    if (!drive_take_str(bs_opts, "readonly", &ro, errp)) {
        goto fail;
    }
    if (ro) {
        json_object_set_new(bs_opts, BDRV_OPT_READ_ONLY, json_string(ro));
    }
    if (cache && !drive_parse_cache(cache, bs_opts, &writethrough, errp)) {
        goto fail;
    }
    if (aio) {
        if (!strcmp(aio, "native")) {
            flags |= BDRV_O_NATIVE_AIO;
        } else if (!strcmp(aio, "io_uring")) {
            flags |= BDRV_O_IO_URING;
        } else if (strcmp(aio, "threads")) {
            error_setg(errp, "invalid aio option");
            goto fail;
        }
    }
    if (format && json_object_get(bs_opts, "driver")) {
        error_setg(errp, "Cannot specify both 'driver' and 'format'");
        goto fail;
    }
    if (format && !bdrv_find_format(format)) {
        error_setg(errp, "'%s' invalid format", format);
        goto fail;
    }

    file_extra = json_object_get(opts, "file");
    if (file_extra && json_is_string(file_extra)) {
        /* file= with nothing after it names no file */
        if (*json_string_value(file_extra)) {
            file = g_strdup(json_string_value(file_extra));
        }
        file_extra = NULL;
    } else if (file_extra && !json_is_object(file_extra)) {
        error_setg(errp, "Parameter 'file' expects a string");
        goto fail;
    }

    blk = blk_new(NULL, 0, BLK_PERM_ALL);
    blk_set_enable_write_cache(blk, !writethrough);
    if (!file && !file_extra && !format && !drive_has_node_options(bs_opts)) {
        /* An empty drive. */
        json_decref(bs_opts);
        return blk;
    }
    if (file && g_str_has_prefix(file, "json:")) {
        json_t *inline_opts = qobject_from_json(file + 5, errp);

        if (!inline_opts) {
            goto fail;
        }
        json_object_update_missing(bs_opts, inline_opts);
        json_decref(inline_opts);
        g_clear_pointer(&file, g_free);
    }

    if (!format && file && json_object_get(bs_opts, "driver") == NULL) {
        /* "null-co://" too: QEMU probes its zeroes and guesses raw */
        format = g_strdup(drive_probe_format(file));
    }
    if (format) {
        BlockDriver *drv = bdrv_find_format(format);

        json_object_set_new(bs_opts, "driver", json_string(format));
        if (drv->bdrv_file_open) {
            if (file) {
                json_object_set_new(bs_opts, "filename", json_string(file));
            }
            if (file_extra) {
                json_object_update(bs_opts, file_extra);
            }
        } else if (file) {
            json_object_set_new(bs_opts, "file",
                                drive_protocol_options(file, file_extra));
        } else if (file_extra) {
            json_object_set(bs_opts, "file", file_extra);
        }
    } else if (file_extra) {
        json_object_set(bs_opts, "file", file_extra);
    }

    bs = bdrv_open(NULL, NULL, bs_opts, flags, errp);
    bs_opts = NULL;
    if (!bs) {
        goto fail;
    }
    blk_insert_bs(blk, bs, &error_abort);
    bdrv_unref(bs);

    if (type == IF_VIRTIO) {
        if (!have_pci) {
            error_setg(errp, NO_PCI_BUS);
            goto fail;
        }
        if (virtio_blk_attach(blk, NULL, errp) < 0) {
            goto fail;
        }
    }
    return blk;

fail:
    json_decref(bs_opts);
    blk_unref(blk);
    return NULL;
}

BlockBackend *drive_new_str(const char *optstr,
                            BlockInterfaceType block_default_type,
                            bool have_pci, Error **errp)
{
    static int unit_ids[IF_COUNT];
    g_autofree char *ifstr = NULL, *id = NULL;
    BlockInterfaceType type = block_default_type;
    BlockBackend *blk;
    json_t *opts;

    opts = keyval_parse(optstr, NULL, NULL, errp);
    if (!opts) {
        return NULL;
    }
    if (!drive_take_str(opts, "if", &ifstr, errp) ||
        !drive_take_str(opts, "id", &id, errp)) {
        goto fail;
    }
    if (ifstr) {
        for (type = 0; type < IF_COUNT; type++) {
            if (!strcmp(ifstr, if_name[type])) {
                break;
            }
        }
        if (type == IF_COUNT) {
            error_setg(errp, "unsupported bus type '%s'", ifstr);
            goto fail;
        }
    }
    if (type == IF_DEFAULT) {
        type = IF_NONE;
    }
    if (type != IF_NONE && type != IF_VIRTIO) {
        error_setg(errp, "Drive interface '%s' is not supported by this "
                   "machine", if_name[type]);
        goto fail;
    }
    if (id) {
        if (!check_id(id, errp)) {
            goto fail;
        }
        if (blk_by_name(id)) {
            error_setg(errp, "Duplicate ID '%s' for drive", id);
            goto fail;
        }
    } else {
        id = g_strdup_printf("%s%d", if_name[type], unit_ids[type]);
    }
    unit_ids[type]++;
    trace_drive_new(id, if_name[type]);

    blk = drive_open(opts, id, type, have_pci, errp);
    if (!blk) {
        goto fail;
    }
    if (!monitor_add_blk(blk, id, errp)) {
        blk_unref(blk);
        goto fail;
    }
    blk_unref(blk);
    json_decref(opts);
    return blk;

fail:
    json_decref(opts);
    return NULL;
}

static BlockDriverState *bds_tree_init(json_t *bs_opts, Error **errp)
{
    GLOBAL_STATE_CODE();
    return bdrv_open(NULL, NULL, bs_opts, blockdev_default_flags(), errp);
}

void qmp_blockdev_add(BlockdevOptions *options, Error **errp)
{
    BlockDriverState *bs;
    json_t *obj = NULL;
    Visitor *v = qobject_output_visitor_new(&obj);

    visit_type_BlockdevOptions(v, NULL, &options, &error_abort);
    visit_complete(v, &obj);
    visit_free(v);

    if (!json_is_string(json_object_get(obj, "node-name"))) {
        error_setg(errp, "'node-name' must be specified for the root node");
        json_decref(obj);
        return;
    }

    bs = bds_tree_init(obj, errp);
    if (!bs) {
        return;
    }
    bdrv_set_monitor_owned(bs);
}

void qmp_blockdev_del(const char *node_name, Error **errp)
{
    BlockDriverState *bs;

    GLOBAL_STATE_CODE();

    bs = bdrv_find_node(node_name);
    if (!bs) {
        error_setg(errp, "Failed to find node with node-name='%s'",
                   node_name);
        return;
    }
    if (blk_by_public(bs)) {
        error_setg(errp, "Node %s is in use", node_name);
        return;
    }
    if (!bdrv_is_monitor_owned(bs)) {
        error_setg(errp, "Node %s is not owned by the monitor",
                   bs->node_name);
        return;
    }
    if (bs->refcnt > 1) {
        error_setg(errp, "Block device %s is in use",
                   bdrv_get_device_or_node_name(bs));
        return;
    }
    trace_qmp_blockdev_del(node_name);
    bdrv_clear_monitor_owned(bs);
    bdrv_unref(bs);
}

bool blockdev_add_str(const char *optstr, Error **errp)
{
    ERRP_GUARD();
    BlockdevOptions *options = NULL;
    Visitor *v;
    json_t *obj;
    bool ok;

    if (optstr[0] == '{') {
        obj = qobject_from_json(optstr, errp);
        if (!obj) {
            return false;
        }
        v = qobject_input_visitor_new(obj);
    } else {
        obj = keyval_parse(optstr, "driver", NULL, errp);
        if (!obj) {
            return false;
        }
        v = qobject_input_visitor_new_keyval(obj);
    }
    json_decref(obj);
    ok = visit_type_BlockdevOptions(v, NULL, &options, errp);
    visit_free(v);
    if (!ok) {
        return false;
    }
    qmp_blockdev_add(options, errp);
    qapi_free_BlockdevOptions(options);
    return !*errp;
}

/*
 * Reopen the nodes with the options given, all or none. Unlike QEMU 7.2,
 * which aborts on an empty list, there is then nothing to do.
 */
void qmp_blockdev_reopen(BlockdevOptionsList *options, Error **errp)
{
    BlockReopenQueue *queue = NULL;
    BlockdevOptionsList *l;

    for (l = options; l; l = l->next) {
        BlockdevOptions *o = l->value;
        BlockDriverState *bs;
        json_t *obj = NULL;
        Visitor *v;

        if (!o->has_node_name) {
            error_setg(errp, "node-name not specified");
            goto fail;
        }
        bs = bdrv_find_node(o->node_name);
        if (!bs) {
            error_setg(errp, "Failed to find node with node-name='%s'",
                       o->node_name);
            goto fail;
        }
        v = qobject_output_visitor_new(&obj);
        visit_type_BlockdevOptions(v, NULL, &o, &error_abort);
        visit_complete(v, &obj);
        visit_free(v);
        queue = bdrv_reopen_queue(queue, bs, obj, false);
    }
    bdrv_reopen_multiple(queue, errp);
    return;

fail:
    bdrv_reopen_queue_free(queue);
}

/* May the monitor resize @bs? Not if a parent's view depends on its size. */
static bool block_resize_shared(BlockDriverState *bs, Error **errp)
{
    BdrvChild *c;

    QLIST_FOREACH(c, &bs->parents, next_parent) {
        BlockDriverState *parent = c->opaque;
        bool unshared;

        if (!c->klass->parent_is_bds) {
            continue;
        }
        unshared = parent->drv->bdrv_child_unshares_resize ?
                   parent->drv->bdrv_child_unshares_resize(parent, c) :
                   !!(c->role & BDRV_CHILD_METADATA);
        if (unshared) {
            error_setg(errp, "Permission conflict on node '%s': permissions "
                       "'resize' are both required by an unnamed block "
                       "device (uses node '%s' as 'root' child) and "
                       "unshared by node '%s' (uses node '%s' as '%s' "
                       "child).", bs->node_name, bs->node_name,
                       parent->node_name, bs->node_name, c->name);
            return false;
        }
    }
    return true;
}

/* Either name may be given; a device name wins, as in bdrv_lookup_bs(). */
void qmp_block_resize(bool has_device, const char *device,
                      bool has_node_name, const char *node_name,
                      int64_t size, Error **errp)
{
    BlockDriverState *bs;
    BlockBackend *blk;

    bs = bdrv_lookup_bs(has_device ? device : NULL,
                        has_node_name ? node_name : NULL, errp);
    if (!bs) {
        return;
    }
    if (size < 0) {
        error_setg(errp, "Parameter 'size' expects a >0 size");
        return;
    }
    if (!block_resize_shared(bs, errp)) {
        return;
    }
    trace_qmp_block_resize(bs->node_name, size);
    /* The monitor resizes through a BlockBackend of its own, as QEMU. */
    blk = blk_new(NULL, BLK_PERM_RESIZE, BLK_PERM_ALL);
    blk_insert_bs(blk, bs, &error_abort);
    blk_truncate(blk, size, false, PREALLOC_MODE_OFF, 0, errp);
    blk_unref(blk);
}

/* No block jobs run here. */
BlockJobInfoList *qmp_query_block_jobs(Error **errp)
{
    return NULL;
}

JobInfoList *qmp_query_jobs(Error **errp)
{
    return NULL;
}

/* -device: the one model minivmm has, a stand-in virtio-blk-pci */

static const char *const virtio_blk_props[] = {
    "driver", "id", "bus", "addr", "drive", NULL
};

static bool device_new_opts(json_t *opts, bool have_pci, Error **errp)
{
    const char *driver, *id, *bus, *drive;
    BlockDriverState *bs;
    BlockBackend *blk;
    const char *key;
    json_t *value;

    json_object_foreach(opts, key, value) {
        if (!json_is_string(value)) {
            error_setg(errp, "Parameter '%s' expects a string", key);
            return false;
        }
    }
    driver = json_string_value(json_object_get(opts, "driver"));
    id = json_string_value(json_object_get(opts, "id"));
    bus = json_string_value(json_object_get(opts, "bus"));
    drive = json_string_value(json_object_get(opts, "drive"));
    if (!driver) {
        error_setg(errp, "Parameter 'driver' is missing");
        return false;
    }
    if (strcmp(driver, "virtio-blk-pci") && strcmp(driver, "virtio-blk")) {
        error_setg(errp, "'%s' is not a valid device model name", driver);
        return false;
    }
    if (id && !check_id(id, errp)) {
        return false;
    }
    /* As QEMU: the bus first, then the properties, then the drive */
    if (bus && (!have_pci || strcmp(bus, "pci.0"))) {
        error_setg(errp, "Bus '%s' not found", bus);
        return false;
    }
    if (!have_pci) {
        error_setg(errp, NO_PCI_BUS);
        return false;
    }
    json_object_foreach(opts, key, value) {
        if (!g_strv_contains(virtio_blk_props, key)) {
            error_setg(errp, "Property 'virtio-blk-pci.%s' not found", key);
            return false;
        }
    }
    if (!drive) {
        error_setg(errp, "drive property not set");
        return false;
    }
    blk = blk_by_name(drive);
    if (!blk) {
        /* a node name: the device gets a BlockBackend of its own */
        bs = bdrv_find_node(drive);
        if (!bs) {
            error_setg(errp, "Property 'virtio-blk-device.drive' can't "
                       "find value '%s'", drive);
            return false;
        }
        if (blk_by_public(bs)) {
            error_setg(errp, "Drive '%s' is already in use by another "
                       "device", drive);
            return false;
        }
        blk = blk_new(NULL, 0, BLK_PERM_ALL);
        if (blk_insert_bs(blk, bs, errp) < 0) {
            blk_unref(blk);
            return false;
        }
    } else if (blk_get_dev_path(blk)) {
        error_setg(errp, "Drive '%s' is already in use by another device",
                   drive);
        return false;
    }
    trace_device_new(driver, id ? id : "", drive);
    /* the device holds its backend for the life of the process */
    return virtio_blk_attach(blk, id, errp) == 0;
}

bool device_new_str(const char *optstr, bool have_pci, Error **errp)
{
    json_t *opts = keyval_parse(optstr, "driver", NULL, errp);
    bool ok = opts && device_new_opts(opts, have_pci, errp);

    json_decref(opts);
    return ok;
}
