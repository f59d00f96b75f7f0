/* SPDX-License-Identifier: GPL-2.0-or-later */
/* minivmm's extension of dirty-bitmap migration: policy and progress. */
#ifndef MIGRATION_DIRTY_BITMAP_EXT_H
#define MIGRATION_DIRTY_BITMAP_EXT_H

/*
 * Not in QEMU 7.2.  migration/block-dirty-bitmap.c uses this header only
 * where migration/misc.h defines MIGRATION_DIRTY_BITMAP_EXT, so that the
 * module still builds inside QEMU 7.2 (without it); and the migration
 * core does without a module that registers nothing (QEMU 7.2's own,
 * built here by scripts/check-module.sh).
 */

#include "qapi/qapi-types-migration.h"

/*
 * The x-dirty-bitmaps-* migration parameters (qapi/migration.json), all
 * off by default, read by the module on the side that sets them.
 */
bool migrate_x_dirty_bitmaps_keep_incomplete(void);
bool migrate_x_dirty_bitmaps_skip_busy(void);
bool migrate_x_dirty_bitmaps_strict(void);

/**
 * DirtyBitmapMigExt: what the module offers the migration core.
 * @query: the figures of the last migration in one direction (the
 *   destination's if @incoming), or NULL if there was none with bitmaps;
 *   BQL held.
 * @incoming_end: the incoming stream is over for good (the load ended,
 *   well or not): a bitmap still loading will not complete (QEMU 7.2
 *   leaves it busy).  Returns whether the incoming migration may
 *   complete: false, with @errp set, when a bitmap did not migrate under
 *   x-dirty-bitmaps-strict.  BQL held.
 */
typedef struct DirtyBitmapMigExt {
    XDirtyBitmapMigrationInfo *(*query)(bool incoming);
    bool (*incoming_end)(Error **errp);
} DirtyBitmapMigExt;

/**
 * dirty_bitmap_mig_ext_register: called once by dirty_bitmap_mig_init().
 * @ext: static, lives as long as the process.
 */
void dirty_bitmap_mig_ext_register(const DirtyBitmapMigExt *ext);

/**
 * qemu_loadvm_section_error: why the load_state handler that is about to
 * fail did.  QEMU 7.2's load_state has no Error **errp, so the module
 * hands its Error over this way (inside QEMU 7.2 it reports it itself);
 * the loader makes it the reason of the section's failure: reported once,
 * and the destination's error-desc.  Takes ownership of @err; call it
 * from the thread that runs the handler.
 */
void qemu_loadvm_section_error(Error *err);

#endif /* MIGRATION_DIRTY_BITMAP_EXT_H */
