/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HMP block commands: qemu-io, block_resize and info block. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-block-core.h"
#include "qapi/qapi-visit-block-core.h"
#include "qapi/qobject-output-visitor.h"
#include "qapi/visitor.h"
#include "qemu/cutils.h"
#include "monitor/monitor.h"
#include "block/block.h"
#include "block/block-hmp-cmds.h"
#include "sysemu/block-backend.h"
#include "monitor/hmp.h"
#include "qemu-io.h"

void hmp_qemu_io(Monitor *mon, const json_t *qdict)
{
    BlockBackend *blk = NULL;
    BlockBackend *local_blk = NULL;
    BlockDriverState *bs;
    bool qdev = hmp_arg_bool(qdict, "qdev", false);
    const char *device = hmp_arg_str(qdict, "device");
    const char *command = hmp_arg_str(qdict, "command");
    Error *err = NULL;

    if (qdev) {
        /*
         * -device ids name virtio-blk-pci devices, whose backend QEMU
         * keeps on an inner device: QEMU 7.2 finds none through them.
         */
        if (blk_by_qdev_id(device)) {
            error_setg(&err, "Device does not have a block device backend");
        } else {
            error_setg(&err, "Device '%s' not found", device);
        }
        goto fail;
    }

    blk = blk_by_name(device);
    if (!blk) {
        bs = bdrv_lookup_bs(NULL, device, &err);
        if (!bs) {
            goto fail;
        }
        blk = local_blk = blk_new(NULL, 0, BLK_PERM_ALL);
        if (blk_insert_bs(blk, bs, &err) < 0) {
            goto fail;
        }
    }

    qemuio_command(blk, command);

fail:
    blk_unref(local_blk);
    hmp_handle_error(mon, err);
}

/*
 * block_resize DEVICE SIZE. SIZE is QEMU's HMP size argument (type 'o'):
 * bytes with a k/M/G/T suffix, MiB without one. The parser here has no
 * such type, so the command takes a string and reads it as 'o' would,
 * failing the same way.
 */
void hmp_block_resize(Monitor *mon, const json_t *qdict)
{
    const char *device = hmp_arg_str(qdict, "device");
    const char *size_str = hmp_arg_str(qdict, "size");
    Error *err = NULL;
    uint64_t size;

    if (!size_str || qemu_strtosz_MiB(size_str, NULL, &size) < 0 ||
        size > INT64_MAX) {
        monitor_printf(mon, "invalid size\n"
                       "Try \"help block_resize\" for more information\n");
        return;
    }
    qmp_block_resize(true, device, false, NULL, size, &err);
    hmp_handle_error(mon, err);
}

/* info block */

/*
 * The order in which QEMU 7.2 lists the members of format-specific
 * information (its dictionary's iteration order, not the schema's):
 * ImageInfoSpecificQCow2, then Qcow2BitmapInfo.  Members missing here
 * follow in schema order.
 */
static const char *const spec_member_order[] = {
    "compat", "compression-type", "lazy-refcounts", "bitmaps",
    "refcount-bits", "data-file", "data-file-raw", "corrupt",
    "extended-l2",
    "flags", "name", "granularity",
    NULL,
};

static void dump_spec_value(Monitor *mon, const char *label, json_t *value,
                            int depth);

/* The members of @obj, one per line, QEMU's order, at @depth. */
static void dump_spec_object(Monitor *mon, json_t *obj, int depth)
{
    g_autoptr(GPtrArray) keys = g_ptr_array_new();
    const char *key;
    json_t *value;
    size_t i;

    for (i = 0; spec_member_order[i]; i++) {
        if (json_object_get(obj, spec_member_order[i])) {
            g_ptr_array_add(keys, (gpointer)spec_member_order[i]);
        }
    }
    json_object_foreach(obj, key, value) {
        if (!g_strv_contains(spec_member_order, key)) {
            g_ptr_array_add(keys, (gpointer)key);
        }
    }
    for (i = 0; i < keys->len; i++) {
        const char *name = g_ptr_array_index(keys, i);
        g_autofree char *label = g_strdelimit(g_strdup(name), "-", ' ');

        dump_spec_value(mon, label, json_object_get(obj, name), depth);
    }
}

static void dump_spec_value(Monitor *mon, const char *label, json_t *value,
                            int depth)
{
    int indent = depth * 4;
    json_t *elem;
    size_t i;

    switch (json_typeof(value)) {
    case JSON_OBJECT:
        monitor_printf(mon, "%*s%s:\n", indent, "", label);
        dump_spec_object(mon, value, depth + 1);
        break;
    case JSON_ARRAY:
        monitor_printf(mon, "%*s%s:\n", indent, "", label);
        json_array_foreach(value, i, elem) {
            g_autofree char *item = g_strdup_printf("[%zu]", i);

            dump_spec_value(mon, item, elem, depth + 1);
        }
        break;
    case JSON_STRING:
        monitor_printf(mon, "%*s%s: %s\n", indent, "", label,
                       json_string_value(value));
        break;
    case JSON_INTEGER:
        monitor_printf(mon, "%*s%s: %" JSON_INTEGER_FORMAT "\n", indent, "",
                       label, json_integer_value(value));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        monitor_printf(mon, "%*s%s: %s\n", indent, "", label,
                       json_is_true(value) ? "true" : "false");
        break;
    default:
        break;
    }
}

static void dump_format_specific(Monitor *mon, ImageInfoSpecific *spec)
{
    json_t *obj = NULL;
    Visitor *v = qobject_output_visitor_new(&obj);

    visit_type_ImageInfoSpecific(v, NULL, &spec, &error_abort);
    visit_complete(v, &obj);
    visit_free(v);
    monitor_printf(mon, "Format specific information:\n");
    /* the union's members sit in "data", under its "type" tag */
    dump_spec_object(mon, json_object_get(obj, "data"), 1);
    json_decref(obj);
}

/* One image of a backing chain, as qemu-img info prints it. */
static void dump_image(Monitor *mon, ImageInfo *img)
{
    g_autofree char *vsize = size_to_str(img->virtual_size);
    g_autofree char *dsize = img->has_actual_size ?
                             size_to_str(img->actual_size) :
                             g_strdup("unavailable");

    monitor_printf(mon, "image: %s\nfile format: %s\n"
                   "virtual size: %s (%" PRId64 " bytes)\n"
                   "disk size: %s\n",
                   img->filename, img->format, vsize, img->virtual_size,
                   dsize);
    if (img->has_encrypted && img->encrypted) {
        monitor_printf(mon, "encrypted: yes\n");
    }
    if (img->has_cluster_size) {
        monitor_printf(mon, "cluster_size: %" PRId64 "\n",
                       img->cluster_size);
    }
    if (img->has_dirty_flag && img->dirty_flag) {
        monitor_printf(mon, "cleanly shut down: no\n");
    }
    if (img->has_backing_filename) {
        monitor_printf(mon, "backing file: %s", img->backing_filename);
        if (img->has_full_backing_filename &&
            strcmp(img->backing_filename, img->full_backing_filename)) {
            monitor_printf(mon, " (actual path: %s)",
                           img->full_backing_filename);
        }
        monitor_printf(mon, "\n");
        if (img->has_backing_filename_format) {
            monitor_printf(mon, "backing file format: %s\n",
                           img->backing_filename_format);
        }
    }
    if (img->has_format_specific) {
        dump_format_specific(mon, img->format_specific);
    }
}

/*
 * One entry: a BlockBackend (@info, and @dev if a medium is inserted)
 * or a named node (@info NULL).
 */
static void print_block_entry(Monitor *mon, BlockInfo *info,
                              BlockDeviceInfo *dev, bool verbose)
{
    ImageInfo *img;

    if (info && *info->device) {
        monitor_printf(mon, "%s", info->device);
        if (dev && dev->has_node_name) {
            monitor_printf(mon, " (%s)", dev->node_name);
        }
    } else {
        /* a named node, or the nameless backend of a -device */
        monitor_printf(mon, "%s", dev ? dev->node_name : "");
    }
    monitor_printf(mon, ": ");
    if (dev) {
        monitor_printf(mon, "%s (%s%s%s)\n", dev->file, dev->drv,
                       dev->ro ? ", read-only" : "",
                       dev->encrypted ? ", encrypted" : "");
    } else {
        monitor_printf(mon, "[not inserted]\n");
    }
    if (info && info->has_qdev) {
        monitor_printf(mon, "    Attached to:      %s\n", info->qdev);
    }
    if (info && info->removable) {
        monitor_printf(mon, "    Removable device: %slocked, tray %s\n",
                       info->locked ? "" : "not ",
                       info->has_tray_open && info->tray_open ?
                       "open" : "closed");
    }
    if (!dev) {
        return;
    }
    monitor_printf(mon, "    Cache mode:       %s%s%s\n",
                   dev->cache->writeback ? "writeback" : "writethrough",
                   dev->cache->direct ? ", direct" : "",
                   dev->cache->no_flush ? ", ignore flushes" : "");
    if (dev->has_backing_file) {
        monitor_printf(mon, "    Backing file:     %s (chain depth: %"
                       PRId64 ")\n", dev->backing_file,
                       dev->backing_file_depth);
    }
    if (dev->detect_zeroes != BLOCKDEV_DETECT_ZEROES_OPTIONS_OFF) {
        monitor_printf(mon, "    Detect zeroes:    %s\n",
                       BlockdevDetectZeroesOptions_str(dev->detect_zeroes));
    }
    if (verbose) {
        monitor_printf(mon, "\nImages:\n");
        for (img = dev->image; img;
             img = img->has_backing_image ? img->backing_image : NULL) {
            dump_image(mon, img);
        }
    }
}

void hmp_info_block(Monitor *mon, const json_t *qdict)
{
    bool nodes = hmp_arg_bool(qdict, "nodes", false);
    bool verbose = hmp_arg_bool(qdict, "verbose", false);
    const char *device = hmp_arg_str(qdict, "device");
    BlockDeviceInfoList *node_list, *n;
    BlockInfoList *list, *l;

    /*
     * As QEMU, an entry is preceded by a blank line unless it is the
     * first of its list, even when the entries before it were skipped.
     */
    if (!nodes) {
        list = qmp_query_block(NULL);
        for (l = list; l; l = l->next) {
            if (device && strcmp(device, l->value->device)) {
                continue;
            }
            if (l != list) {
                monitor_printf(mon, "\n");
            }
            print_block_entry(mon, l->value, l->value->has_inserted ?
                              l->value->inserted : NULL, verbose);
        }
        qapi_free_BlockInfoList(list);
    }
    /* named nodes with -n, or the one named like @device */
    if (!nodes && !device) {
        return;
    }
    node_list = qmp_query_named_block_nodes(false, false, NULL);
    for (n = node_list; n; n = n->next) {
        if (device && strcmp(device, n->value->node_name)) {
            continue;
        }
        if (n != node_list) {
            monitor_printf(mon, "\n");
        }
        print_block_entry(mon, NULL, n->value, verbose);
    }
    qapi_free_BlockDeviceInfoList(node_list);
}
