/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for the qcow2 unit tests: qemu-img as an oracle, image files. */
#ifndef TESTS_UNIT_QCOW2_HELPERS_H
#define TESTS_UNIT_QCOW2_HELPERS_H

#include "block/block_int.h"
#include "qimg-common.h"

/* The directory the tests make their images in (removed at exit). */
extern char *qcow2_test_dir;

/* Set up the block layer and the scratch directory. */
void qcow2_test_init(int *argc, char ***argv, const char *name);
/* Run the tests, then remove the scratch directory. */
int qcow2_test_run(void);

/* A path in the scratch directory (owned by the caller). */
char *qcow2_test_path(const char *name);

/* Run qemu-img with @args (a shell-quoted string); asserts exit 0. */
char *qemu_img(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Same, returning the exit status and stdout+stderr in *@out. */
int qemu_img_rc(char **out, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Same for qemu-io. */
char *qemu_io(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* The bitmap @name in @info, or NULL (borrowed). */
json_t *info_bitmap(json_t *info, const char *name);
/* Does bitmap @name in @info have flag @flag ("in-use", "auto")? */
bool info_bitmap_has_flag(json_t *info, const char *name, const char *flag);

/* Open @path as qcow2 with @flags (BDRV_O_RDWR, BDRV_O_INACTIVE...). */
BlockDriverState *qcow2_open_image(const char *path, int flags,
                                   Error **errp);
/* The whole file, for before/after comparisons. */
GBytes *file_contents(const char *path);
/* Read the guest view of a qcow2 image with qemu-img convert. */
GBytes *image_guest_data(const char *path, const char *snapshot);

#endif /* TESTS_UNIT_QCOW2_HELPERS_H */
