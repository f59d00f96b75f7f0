/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP transaction: bitmap actions applied all or nothing. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "block/block_int.h"
#include "block/qapi.h"
#include "qapi/qapi-commands-transaction.h"
#include "trace.h"

/*
 * Each action prepares in list order and its effect is visible to the
 * actions after it. If one fails, every action that began, the failing
 * one included, is aborted in reverse order: each abort undoes its own
 * prepare (and copes with a prepare that stopped half-way). Otherwise
 * all commit in list order.
 */
typedef struct TxnAction TxnAction;

typedef struct TxnActionOps {
    void (*prepare)(TxnAction *a, Error **errp);
    void (*commit)(TxnAction *a);
    void (*abort)(TxnAction *a);
} TxnActionOps;

struct TxnAction {
    TransactionAction *action;
    TransactionProperties *props;
    const TxnActionOps *ops;
    BdrvDirtyBitmap *bitmap;    /* the bitmap prepare changed, or NULL */
    HBitmap *backup;            /* its bits before (clear, merge) */
    bool was_enabled;           /* enable, disable: its state before */
};

static const char *txn_action_name(TxnAction *a)
{
    return TransactionActionKind_str(a->action->type);
}

/* Bitmap actions and snapshots act at once: there is no group to wait. */
static bool txn_check_completion_mode(TxnAction *a, Error **errp)
{
    if (a->props->completion_mode != ACTION_COMPLETION_MODE_INDIVIDUAL) {
        error_setg(errp, "Action '%s' does not support Transaction property "
                   "completion-mode = %s", txn_action_name(a),
                   ActionCompletionMode_str(a->props->completion_mode));
        return false;
    }
    return true;
}

/* ---- abort ---- */

static void abort_prepare(TxnAction *a, Error **errp)
{
    error_setg(errp, "Transaction aborted using Abort action");
}

/* ---- block-dirty-bitmap-add: abort removes the new bitmap ---- */

static void bitmap_add_prepare(TxnAction *a, Error **errp)
{
    ERRP_GUARD();
    BlockDirtyBitmapAdd *add = a->action->u.block_dirty_bitmap_add.data;

    if (!txn_check_completion_mode(a, errp)) {
        return;
    }
    qmp_block_dirty_bitmap_add(add->node, add->name, add->has_granularity,
                               add->granularity, add->has_persistent,
                               add->persistent, add->has_disabled,
                               add->disabled, errp);
    if (!*errp) {
        a->bitmap = block_dirty_bitmap_lookup(add->node, add->name, NULL,
                                              &error_abort);
    }
}

static void bitmap_add_abort(TxnAction *a)
{
    if (a->bitmap) {
        bdrv_release_dirty_bitmap(a->bitmap);
    }
}

/*
 * ---- block-dirty-bitmap-remove ----
 * Prepare removes it from the image and keeps it busy, so that no later
 * action uses it; commit frees it, abort gives it back (the image gets
 * it again at the next store).
 */
static void bitmap_remove_prepare(TxnAction *a, Error **errp)
{
    BlockDirtyBitmap *bm = a->action->u.block_dirty_bitmap_remove.data;

    if (!txn_check_completion_mode(a, errp)) {
        return;
    }
    a->bitmap = block_dirty_bitmap_remove(bm->node, bm->name, false, NULL,
                                          errp);
    if (a->bitmap) {
        bdrv_dirty_bitmap_skip_store(a->bitmap, true);
        bdrv_dirty_bitmap_set_busy(a->bitmap, true);
    }
}

static void bitmap_remove_commit(TxnAction *a)
{
    bdrv_dirty_bitmap_set_busy(a->bitmap, false);
    bdrv_release_dirty_bitmap(a->bitmap);
}

static void bitmap_remove_abort(TxnAction *a)
{
    if (a->bitmap) {
        bdrv_dirty_bitmap_skip_store(a->bitmap, false);
        bdrv_dirty_bitmap_set_busy(a->bitmap, false);
    }
}

/* ---- block-dirty-bitmap-clear and -merge: abort puts the bits back ---- */

static void bitmap_clear_prepare(TxnAction *a, Error **errp)
{
    BlockDirtyBitmap *arg = a->action->u.block_dirty_bitmap_clear.data;
    BdrvDirtyBitmap *bm;

    if (!txn_check_completion_mode(a, errp)) {
        return;
    }
    bm = block_dirty_bitmap_lookup(arg->node, arg->name, NULL, errp);
    if (!bm || bdrv_dirty_bitmap_check(bm, BDRV_BITMAP_DEFAULT, errp)) {
        return;
    }
    bdrv_clear_dirty_bitmap(bm, &a->backup);
    a->bitmap = bm;
}

static void bitmap_merge_prepare(TxnAction *a, Error **errp)
{
    BlockDirtyBitmapMerge *arg = a->action->u.block_dirty_bitmap_merge.data;

    if (!txn_check_completion_mode(a, errp)) {
        return;
    }
    a->bitmap = block_dirty_bitmap_merge(arg->node, arg->target,
                                         arg->bitmaps, &a->backup, errp);
}

static void bitmap_backup_commit(TxnAction *a)
{
    g_clear_pointer(&a->backup, hbitmap_free);
}

static void bitmap_backup_abort(TxnAction *a)
{
    if (a->backup) {
        bdrv_restore_dirty_bitmap(a->bitmap, g_steal_pointer(&a->backup));
    }
}

/* ---- block-dirty-bitmap-enable and -disable ---- */

static void bitmap_set_recording(TxnAction *a, BlockDirtyBitmap *arg,
                                 bool enable, Error **errp)
{
    BdrvDirtyBitmap *bm;

    if (!txn_check_completion_mode(a, errp)) {
        return;
    }
    bm = block_dirty_bitmap_lookup(arg->node, arg->name, NULL, errp);
    if (!bm || bdrv_dirty_bitmap_check(bm, BDRV_BITMAP_ALLOW_RO, errp)) {
        return;
    }
    a->was_enabled = bdrv_dirty_bitmap_enabled(bm);
    if (enable) {
        bdrv_enable_dirty_bitmap(bm);
    } else {
        bdrv_disable_dirty_bitmap(bm);
    }
    a->bitmap = bm;
}

static void bitmap_enable_prepare(TxnAction *a, Error **errp)
{
    bitmap_set_recording(a, a->action->u.block_dirty_bitmap_enable.data,
                         true, errp);
}

static void bitmap_disable_prepare(TxnAction *a, Error **errp)
{
    bitmap_set_recording(a, a->action->u.block_dirty_bitmap_disable.data,
                         false, errp);
}

static void bitmap_recording_abort(TxnAction *a)
{
    if (!a->bitmap) {
        return;
    }
    if (a->was_enabled) {
        bdrv_enable_dirty_bitmap(a->bitmap);
    } else {
        bdrv_disable_dirty_bitmap(a->bitmap);
    }
}

/*
 * ---- snapshots and backups ----
 * Not implemented: the nodes are looked up as QEMU does, so a wrong name
 * gets QEMU's error, and then the action is refused.
 */
static void unsupported_prepare(TxnAction *a, Error **errp)
{
    TransactionAction *act = a->action;
    const char *device = NULL, *node = NULL, *target = NULL;

    switch (act->type) {
    case TRANSACTION_ACTION_KIND_BLOCKDEV_SNAPSHOT_SYNC: {
        BlockdevSnapshotSync *s = act->u.blockdev_snapshot_sync.data;

        device = s->has_device ? s->device : NULL;
        node = s->has_node_name ? s->node_name : NULL;
        break;
    }
    case TRANSACTION_ACTION_KIND_BLOCKDEV_SNAPSHOT:
        device = node = act->u.blockdev_snapshot.data->node;
        target = act->u.blockdev_snapshot.data->overlay;
        break;
    case TRANSACTION_ACTION_KIND_BLOCKDEV_SNAPSHOT_INTERNAL_SYNC:
        device = node = act->u.blockdev_snapshot_internal_sync.data->device;
        break;
    case TRANSACTION_ACTION_KIND_DRIVE_BACKUP:
        device = node = act->u.drive_backup.data->device;
        break;
    case TRANSACTION_ACTION_KIND_BLOCKDEV_BACKUP:
        device = node = act->u.blockdev_backup.data->device;
        target = act->u.blockdev_backup.data->target;
        break;
    default:
        g_assert_not_reached();
    }
    /* Backups run as jobs and may complete as a group; snapshots not. */
    if (act->type != TRANSACTION_ACTION_KIND_DRIVE_BACKUP &&
        act->type != TRANSACTION_ACTION_KIND_BLOCKDEV_BACKUP &&
        !txn_check_completion_mode(a, errp)) {
        return;
    }
    if (!bdrv_lookup_bs(device, node, errp) ||
        (target && !bdrv_lookup_bs(target, target, errp))) {
        return;
    }
    error_setg(errp, "Action '%s' is not supported", txn_action_name(a));
}

static void nothing_to_undo(TxnAction *a)
{
}

static const TxnActionOps txn_ops[TRANSACTION_ACTION_KIND__MAX] = {
    [TRANSACTION_ACTION_KIND_ABORT] = {
        .prepare = abort_prepare,
    },
    [TRANSACTION_ACTION_KIND_BLOCK_DIRTY_BITMAP_ADD] = {
        .prepare = bitmap_add_prepare,
        .abort = bitmap_add_abort,
    },
    [TRANSACTION_ACTION_KIND_BLOCK_DIRTY_BITMAP_REMOVE] = {
        .prepare = bitmap_remove_prepare,
        .commit = bitmap_remove_commit,
        .abort = bitmap_remove_abort,
    },
    [TRANSACTION_ACTION_KIND_BLOCK_DIRTY_BITMAP_CLEAR] = {
        .prepare = bitmap_clear_prepare,
        .commit = bitmap_backup_commit,
        .abort = bitmap_backup_abort,
    },
    [TRANSACTION_ACTION_KIND_BLOCK_DIRTY_BITMAP_ENABLE] = {
        .prepare = bitmap_enable_prepare,
        .abort = bitmap_recording_abort,
    },
    [TRANSACTION_ACTION_KIND_BLOCK_DIRTY_BITMAP_DISABLE] = {
        .prepare = bitmap_disable_prepare,
        .abort = bitmap_recording_abort,
    },
    [TRANSACTION_ACTION_KIND_BLOCK_DIRTY_BITMAP_MERGE] = {
        .prepare = bitmap_merge_prepare,
        .commit = bitmap_backup_commit,
        .abort = bitmap_backup_abort,
    },
    [TRANSACTION_ACTION_KIND_BLOCKDEV_BACKUP] = {
        .prepare = unsupported_prepare,
    },
    [TRANSACTION_ACTION_KIND_BLOCKDEV_SNAPSHOT] = {
        .prepare = unsupported_prepare,
    },
    [TRANSACTION_ACTION_KIND_BLOCKDEV_SNAPSHOT_INTERNAL_SYNC] = {
        .prepare = unsupported_prepare,
    },
    [TRANSACTION_ACTION_KIND_BLOCKDEV_SNAPSHOT_SYNC] = {
        .prepare = unsupported_prepare,
    },
    [TRANSACTION_ACTION_KIND_DRIVE_BACKUP] = {
        .prepare = unsupported_prepare,
    },
};

void qmp_transaction(TransactionActionList *actions,
                     bool has_properties,
                     TransactionProperties *properties, Error **errp)
{
    ERRP_GUARD();
    g_autofree TransactionProperties *dflt = NULL;
    g_autoptr(GArray) txn = g_array_new(false, true, sizeof(TxnAction));
    TransactionActionList *l;
    guint i;

    if (!has_properties) {
        properties = dflt = g_new0(TransactionProperties, 1);
    }
    if (!properties->has_completion_mode) {
        properties->completion_mode = ACTION_COMPLETION_MODE_INDIVIDUAL;
    }

    for (l = actions; l; l = l->next) {
        TxnAction a = {
            .action = l->value,
            .props = properties,
            .ops = &txn_ops[l->value->type],
        };

        trace_qmp_transaction_action(txn->len, txn_action_name(&a));
        g_array_append_val(txn, a);
        a.ops->prepare(&g_array_index(txn, TxnAction, txn->len - 1), errp);
        if (*errp) {
            for (i = txn->len; i-- > 0;) {
                TxnAction *p = &g_array_index(txn, TxnAction, i);

                (p->ops->abort ?: nothing_to_undo)(p);
            }
            return;
        }
    }
    for (i = 0; i < txn->len; i++) {
        TxnAction *p = &g_array_index(txn, TxnAction, i);

        (p->ops->commit ?: nothing_to_undo)(p);
    }
}
