/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qemu-img and other host commands for tests that check images. */
#ifndef QIMG_COMMON_H
#define QIMG_COMMON_H

#include <jansson.h>

/* Run a shell command line; returns stdout+stderr (g_free), exit 0 only. */
char *qimg_run(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* The same for a command that must fail (exit status not 0). */
char *qimg_run_fails(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* qemu-img info --output=json of @path (-U: an open image). */
json_t *qimg_info(const char *path, bool force_share);
/* The "bitmaps" array of @info (borrowed; NULL without bitmaps). */
json_t *qimg_info_bitmaps(json_t *info);
/* qemu-img check finds no error, leak or corruption in @path. */
void qimg_assert_clean(const char *path);

#endif /* QIMG_COMMON_H */
