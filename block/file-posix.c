/* SPDX-License-Identifier: GPL-2.0-or-later */
/* file: the POSIX protocol driver, with QEMU-compatible OFD image locking. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "block/block_int.h"
#include <sys/file.h>
#include <linux/falloc.h>

/*
 * Image locking, byte-compatible with QEMU's file-posix.c so that QEMU and
 * minivmm see each other's locks. A holder of permission bit N takes a
 * shared OFD lock on byte RAW_LOCK_PERM_BASE + N; a holder that does not
 * share permission N locks byte RAW_LOCK_SHARED_BASE + N.
 */
#define RAW_LOCK_PERM_BASE   100
#define RAW_LOCK_SHARED_BASE 200
#define RAW_PERM_READ        0   /* BLK_PERM_CONSISTENT_READ */
#define RAW_PERM_WRITE       1   /* BLK_PERM_WRITE */

typedef struct BDRVRawState {
    int fd;                 /* the image, -1 when closed */
    int open_flags;         /* O_* flags used for @fd */
    bool use_lock;          /* locking=on/auto */
    bool write_locked;      /* we hold the write permission locks */
    char *filename;
} BDRVRawState;

static const char *const raw_strong_runtime_opts[] = {
    "filename",
    NULL
};

static int raw_lock_byte(int fd, int64_t byte, int type)
{
    struct flock fl = {
        .l_whence = SEEK_SET,
        .l_start = byte,
        .l_len = 1,
        .l_type = type,
    };

    if (fcntl(fd, F_OFD_SETLK, &fl) == -1) {
        return -errno;
    }
    return 0;
}

/* Would a lock of @type on @byte conflict with another holder? */
static int raw_test_byte(int fd, int64_t byte, int type)
{
    struct flock fl = {
        .l_whence = SEEK_SET,
        .l_start = byte,
        .l_len = 1,
        .l_type = type,
    };

    if (fcntl(fd, F_OFD_GETLK, &fl) == -1) {
        return -errno;
    }
    return fl.l_type == F_UNLCK ? 0 : -EAGAIN;
}

static int raw_take_write_locks(BDRVRawState *s, Error **errp)
{
    if (raw_test_byte(s->fd, RAW_LOCK_SHARED_BASE + RAW_PERM_WRITE,
                      F_WRLCK) < 0) {
        error_setg(errp, "Failed to get \"write\" lock");
        error_append_hint(errp, "Is another process using the image [%s]?\n",
                          s->filename);
        return -EAGAIN;
    }
    if (raw_test_byte(s->fd, RAW_LOCK_PERM_BASE + RAW_PERM_WRITE,
                      F_WRLCK) < 0) {
        error_setg(errp, "Failed to get shared \"write\" lock");
        error_append_hint(errp, "Is another process using the image [%s]?\n",
                          s->filename);
        return -EAGAIN;
    }
    if (raw_lock_byte(s->fd, RAW_LOCK_PERM_BASE + RAW_PERM_WRITE,
                      F_RDLCK) < 0 ||
        raw_lock_byte(s->fd, RAW_LOCK_SHARED_BASE + RAW_PERM_WRITE,
                      F_RDLCK) < 0) {
        error_setg(errp, "Failed to get \"write\" lock");
        error_append_hint(errp, "Is another process using the image [%s]?\n",
                          s->filename);
        return -EAGAIN;
    }
    s->write_locked = true;
    return 0;
}

static void raw_drop_write_locks(BDRVRawState *s)
{
    raw_lock_byte(s->fd, RAW_LOCK_PERM_BASE + RAW_PERM_WRITE, F_UNLCK);
    raw_lock_byte(s->fd, RAW_LOCK_SHARED_BASE + RAW_PERM_WRITE, F_UNLCK);
    s->write_locked = false;
}

/* A writer is attached and another process may not write meanwhile. */
static bool raw_wants_write_lock(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;

    return s->use_lock && bs->write_users > 0 &&
           !(bs->open_flags & BDRV_O_INACTIVE);
}

static bool raw_parse_options(BlockDriverState *bs, json_t *options,
                              bool *use_lock, Error **errp)
{
    const char *aio, *locking, *pr;
    int64_t batch;
    bool b;

    if (!bdrv_opt_get_str(options, "aio", &aio, errp)) {
        return false;
    }
    if (!aio && (bs->open_flags & BDRV_O_NATIVE_AIO)) {
        aio = "native";
    }
    if (aio) {
        if (!strcmp(aio, "native")) {
            if (!(bs->open_flags & BDRV_O_NOCACHE)) {
                error_setg(errp, "aio=native was specified, but it requires "
                           "cache.direct=on, which was not specified.");
                return false;
            }
        } else if (strcmp(aio, "threads") && strcmp(aio, "io_uring")) {
            error_setg(errp, "Parameter 'aio' does not accept value '%s'",
                       aio);
            return false;
        }
        if (json_object_get(options, "aio")) {
            json_object_del(options, "aio");
        }
    }

    if (!bdrv_opt_get_str(options, "locking", &locking, errp)) {
        return false;
    }
    *use_lock = true;
    if (locking) {
        if (!strcmp(locking, "off")) {
            *use_lock = false;
        } else if (strcmp(locking, "on") && strcmp(locking, "auto")) {
            error_setg(errp, "Parameter 'locking' does not accept value "
                       "'%s'", locking);
            return false;
        }
        json_object_del(options, "locking");
    }

    if (!bdrv_opt_get_str(options, "pr-manager", &pr, errp)) {
        return false;
    }
    if (pr) {
        error_setg(errp, "persistent reservation manager '%s' not found",
                   pr);
        return false;
    }
    return bdrv_opt_get_int(options, "aio-max-batch", 0, &batch, errp) &&
           bdrv_opt_get_bool(options, "drop-cache", true, &b, errp) &&
           bdrv_opt_get_bool(options, "x-check-cache-dropped", false, &b,
                             errp);
}

static int raw_open(BlockDriverState *bs, json_t *options, int flags,
                    Error **errp)
{
    BDRVRawState *s = bs->opaque;
    const char *filename;
    int ret;

    s->fd = -1;
    if (!bdrv_opt_get_str(options, "filename", &filename, errp)) {
        return -EINVAL;
    }
    if (!filename) {
        error_setg(errp, "Parameter 'filename' is missing");
        return -EINVAL;
    }
    s->filename = g_strdup(filename);
    json_object_del(options, "filename");
    if (!raw_parse_options(bs, options, &s->use_lock, errp)) {
        return -EINVAL;
    }

    s->open_flags = O_CLOEXEC | ((flags & BDRV_O_RDWR) ? O_RDWR : O_RDONLY);
    if (flags & BDRV_O_NOCACHE) {
        s->open_flags |= O_DIRECT;
    }
    s->fd = open(s->filename, s->open_flags);
    if (s->fd < 0 && errno == EROFS && (flags & BDRV_O_AUTO_RDONLY)) {
        bs->open_flags &= ~BDRV_O_RDWR;
        s->open_flags = (s->open_flags & ~O_RDWR) | O_RDONLY;
        s->fd = open(s->filename, s->open_flags);
    }
    if (s->fd < 0) {
        ret = -errno;
        error_setg_errno(errp, -ret, "Could not open '%s'", s->filename);
        return ret;
    }

    if (s->use_lock) {
        if (raw_lock_byte(s->fd, RAW_LOCK_PERM_BASE + RAW_PERM_READ,
                          F_RDLCK) < 0) {
            /* OFD locks unsupported (e.g. some network file systems). */
            s->use_lock = false;
        }
    }
    pstrcpy(bs->exact_filename, sizeof(bs->exact_filename), s->filename);
    return 0;
}

static void raw_close(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;

    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    g_free(s->filename);
    s->filename = NULL;
}

static void raw_refresh_filename(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;

    pstrcpy(bs->exact_filename, sizeof(bs->exact_filename), s->filename);
}

static int raw_pread(BlockDriverState *bs, int64_t offset, int64_t bytes,
                     void *buf, BdrvRequestFlags flags)
{
    BDRVRawState *s = bs->opaque;
    uint8_t *p = buf;

    while (bytes > 0) {
        ssize_t n = pread(s->fd, p, bytes, offset);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        if (n == 0) {
            /* Short file: the rest reads as zeroes. */
            memset(p, 0, bytes);
            break;
        }
        p += n;
        offset += n;
        bytes -= n;
    }
    return 0;
}

static int raw_pwrite(BlockDriverState *bs, int64_t offset, int64_t bytes,
                      const void *buf, BdrvRequestFlags flags)
{
    BDRVRawState *s = bs->opaque;
    const uint8_t *p = buf;

    while (bytes > 0) {
        ssize_t n = pwrite(s->fd, p, bytes, offset);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        p += n;
        offset += n;
        bytes -= n;
    }
    if (flags & BDRV_REQ_FUA) {
        return fdatasync(s->fd) < 0 ? -errno : 0;
    }
    return 0;
}

static int raw_pwrite_zeroes(BlockDriverState *bs, int64_t offset,
                             int64_t bytes, BdrvRequestFlags flags)
{
    BDRVRawState *s = bs->opaque;
    int mode = FALLOC_FL_ZERO_RANGE;

    if ((flags & BDRV_REQ_MAY_UNMAP) && offset + bytes <= lseek(s->fd, 0,
                                                                SEEK_END)) {
        mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
    }
    if (fallocate(s->fd, mode, offset, bytes) == 0) {
        return 0;
    }
    /* The block layer falls back to writing zeroes. */
    return errno == EOPNOTSUPP || errno == ENOSYS ? -ENOTSUP : -errno;
}

static int raw_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    BDRVRawState *s = bs->opaque;

    if (fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                  offset, bytes) == 0) {
        return 0;
    }
    return errno == EOPNOTSUPP || errno == ENOSYS ? -ENOTSUP : -errno;
}

static int raw_flush(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;

    return fdatasync(s->fd) < 0 ? -errno : 0;
}

static int64_t raw_getlength(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;
    off_t len = lseek(s->fd, 0, SEEK_END);

    return len < 0 ? -errno : len;
}

static int64_t raw_get_allocated_file_size(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;
    struct stat st;

    if (fstat(s->fd, &st) < 0) {
        return -errno;
    }
    return (int64_t)st.st_blocks * 512;
}

static int raw_truncate(BlockDriverState *bs, int64_t offset, bool exact,
                        Error **errp)
{
    BDRVRawState *s = bs->opaque;

    if (ftruncate(s->fd, offset) < 0) {
        error_setg_errno(errp, errno, "Failed to resize file");
        return -errno;
    }
    return 0;
}

static int raw_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    return 0;
}

static int raw_set_perm(BlockDriverState *bs, uint64_t perm, Error **errp)
{
    BDRVRawState *s = bs->opaque;

    if (!s->use_lock) {
        return 0;
    }
    if ((perm & BLK_PERM_WRITE) && !s->write_locked) {
        if (!(bs->open_flags & BDRV_O_RDWR)) {
            error_setg(errp, "Block node is read-only");
            return -EPERM;
        }
        return raw_take_write_locks(s, errp);
    }
    if (!(perm & BLK_PERM_WRITE) && s->write_locked) {
        raw_drop_write_locks(s);
    }
    return 0;
}

/* Another process may write the image now: give up the write locks. */
static int raw_inactivate(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;

    if (s->write_locked) {
        raw_drop_write_locks(s);
    }
    return 0;
}

static void raw_co_invalidate_cache(BlockDriverState *bs, Error **errp)
{
    BDRVRawState *s = bs->opaque;

    if (raw_wants_write_lock(bs) && !s->write_locked) {
        raw_take_write_locks(s, errp);
    }
}

BlockDriver bdrv_file = {
    .format_name = "file",
    .protocol_name = "file",
    .instance_size = sizeof(BDRVRawState),
    .strong_runtime_opts = raw_strong_runtime_opts,

    .bdrv_file_open = raw_open,
    .bdrv_close = raw_close,
    .bdrv_refresh_filename = raw_refresh_filename,
    .bdrv_pread = raw_pread,
    .bdrv_pwrite = raw_pwrite,
    .bdrv_pwrite_zeroes = raw_pwrite_zeroes,
    .bdrv_pdiscard = raw_pdiscard,
    .bdrv_flush = raw_flush,
    .bdrv_getlength = raw_getlength,
    .bdrv_get_allocated_file_size = raw_get_allocated_file_size,
    .bdrv_truncate = raw_truncate,
    .bdrv_get_info = raw_get_info,
    .bdrv_set_perm = raw_set_perm,
    .bdrv_inactivate = raw_inactivate,
    .bdrv_co_invalidate_cache = raw_co_invalidate_cache,
};
