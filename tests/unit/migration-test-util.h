/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the migration unit tests. */
#ifndef MIGRATION_TEST_UTIL_H
#define MIGRATION_TEST_UTIL_H

#include "block/block.h"
#include "migration/migration.h"

/*
 * Start the main loop, take the BQL (held from here on, as the main
 * thread holds it), and set up the block layer and the migration
 * objects (which registers the dirty-bitmap section).
 */
void mig_test_init_process(void);

/* Open a read-write null-co node @name of @size bytes. */
BlockDriverState *mig_test_open_null(const char *name, int64_t size);

/* The number of named bitmaps on @bs. */
int mig_test_count_named_bitmaps(BlockDriverState *bs);

/*
 * After qemu_loadvm_state() went over to postcopy: run the main loop
 * until POSTCOPY_RUN's bottom half has started the VM, then wait for the
 * listen thread to end (with the BQL dropped, as it needs it to finish).
 * Called with the BQL held.
 */
void mig_test_finish_postcopy(MigrationIncomingState *mis);

#endif /* MIGRATION_TEST_UTIL_H */
