/* SPDX-License-Identifier: GPL-2.0-or-later */
/* null-co / null-aio: a disk that drops writes and reads garbage or zeroes. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "block/block_int.h"

#define NULL_OPT_LATENCY "latency-ns"
#define NULL_OPT_ZEROES  "read-zeroes"

typedef struct BDRVNullState {
    int64_t length;         /* bytes, from the "size" option */
    int64_t latency_ns;     /* emulated delay per request */
    bool read_zeroes;       /* reads fill the buffer with zeroes */
} BDRVNullState;

static const char *const null_strong_runtime_opts[] = {
    "size",
    NULL_OPT_ZEROES,
    NULL
};

/* "null-co://" and "null-aio://" filenames carry no options. */
static bool null_check_filename(BlockDriverState *bs, json_t *options,
                                Error **errp)
{
    const char *fmt = bs->drv->format_name;
    const char *filename;
    g_autofree char *prefix = g_strdup_printf("%s://", fmt);

    if (!bdrv_opt_get_str(options, "filename", &filename, errp)) {
        return false;
    }
    if (!filename) {
        return true;
    }
    if (strcmp(filename, prefix)) {
        error_setg(errp, "The only allowed filename for this driver is '%s'",
                   prefix);
        return false;
    }
    json_object_del(options, "filename");
    return true;
}

static int null_file_open(BlockDriverState *bs, json_t *options, int flags,
                          Error **errp)
{
    BDRVNullState *s = bs->opaque;
    uint64_t size;
    int64_t latency;

    if (!null_check_filename(bs, options, errp) ||
        !bdrv_opt_get_size(options, "size", 1 * GiB, &size, errp) ||
        !bdrv_opt_get_int(options, NULL_OPT_LATENCY, 0, &latency, errp) ||
        !bdrv_opt_get_bool(options, NULL_OPT_ZEROES, false,
                           &s->read_zeroes, errp)) {
        return -EINVAL;
    }
    if (size > INT64_MAX - BDRV_SECTOR_SIZE) {
        error_setg(errp, "Parameter 'size' expects a size below 2^63");
        return -EINVAL;
    }
    if (latency < 0) {
        error_setg(errp, "latency-ns is invalid");
        return -EINVAL;
    }
    s->length = size;
    s->latency_ns = latency;
    return 0;
}

static void null_delay(BDRVNullState *s)
{
    if (s->latency_ns) {
        struct timespec ts = {
            .tv_sec = s->latency_ns / 1000000000,
            .tv_nsec = s->latency_ns % 1000000000,
        };

        nanosleep(&ts, NULL);
    }
}

static int null_pread(BlockDriverState *bs, int64_t offset, int64_t bytes,
                      void *buf, BdrvRequestFlags flags)
{
    BDRVNullState *s = bs->opaque;

    if (s->read_zeroes) {
        memset(buf, 0, bytes);
    }
    null_delay(s);
    return 0;
}

static int null_pwrite(BlockDriverState *bs, int64_t offset, int64_t bytes,
                       const void *buf, BdrvRequestFlags flags)
{
    null_delay(bs->opaque);
    return 0;
}

static int null_pwrite_zeroes(BlockDriverState *bs, int64_t offset,
                              int64_t bytes, BdrvRequestFlags flags)
{
    null_delay(bs->opaque);
    return 0;
}

static int null_flush(BlockDriverState *bs)
{
    null_delay(bs->opaque);
    return 0;
}

static int64_t null_getlength(BlockDriverState *bs)
{
    BDRVNullState *s = bs->opaque;

    return s->length;
}

static int64_t null_allocated_file_size(BlockDriverState *bs)
{
    return 0;
}

/* A plain name only if no strong option differs from the default. */
static void null_refresh_filename(BlockDriverState *bs)
{
    const char *key;
    json_t *value;

    json_object_foreach(bs->full_open_options, key, value) {
        if (strcmp(key, "filename") && strcmp(key, "driver") &&
            strcmp(key, NULL_OPT_LATENCY)) {
            return;
        }
    }
    snprintf(bs->exact_filename, sizeof(bs->exact_filename), "%s://",
             bs->drv->format_name);
}

/* Nothing to get ready: size, read-zeroes and latency-ns cannot change. */
static int null_reopen_prepare(BDRVReopenState *state,
                               BlockReopenQueue *queue, Error **errp)
{
    return 0;
}

BlockDriver bdrv_null_co = {
    .format_name = "null-co",
    .protocol_name = "null-co",
    .instance_size = sizeof(BDRVNullState),
    .strong_runtime_opts = null_strong_runtime_opts,

    .bdrv_file_open = null_file_open,
    .bdrv_refresh_filename = null_refresh_filename,
    .bdrv_pread = null_pread,
    .bdrv_pwrite = null_pwrite,
    .bdrv_pwrite_zeroes = null_pwrite_zeroes,
    .bdrv_flush = null_flush,
    .bdrv_getlength = null_getlength,
    .bdrv_get_allocated_file_size = null_allocated_file_size,
    .bdrv_reopen_prepare = null_reopen_prepare,
};

BlockDriver bdrv_null_aio = {
    .format_name = "null-aio",
    .protocol_name = "null-aio",
    .instance_size = sizeof(BDRVNullState),
    .strong_runtime_opts = null_strong_runtime_opts,

    .bdrv_file_open = null_file_open,
    .bdrv_refresh_filename = null_refresh_filename,
    .bdrv_pread = null_pread,
    .bdrv_pwrite = null_pwrite,
    .bdrv_pwrite_zeroes = null_pwrite_zeroes,
    .bdrv_flush = null_flush,
    .bdrv_getlength = null_getlength,
    .bdrv_get_allocated_file_size = null_allocated_file_size,
    .bdrv_reopen_prepare = null_reopen_prepare,
};
