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
    bool write_unshared;    /* a reader that lets nobody else write */
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

static int raw_lock_error(BDRVRawState *s, const char *what, Error **errp)
{
    error_setg(errp, "Failed to get %s lock", what);
    error_append_hint(errp, "Is another process using the image [%s]?\n",
                      s->filename);
    return -EAGAIN;
}

/* Could we write? Not if another process writes or lets nobody write. */
static int raw_check_write_locks(BDRVRawState *s, Error **errp)
{
    if (raw_test_byte(s->fd, RAW_LOCK_SHARED_BASE + RAW_PERM_WRITE,
                      F_WRLCK) < 0) {
        return raw_lock_error(s, "\"write\"", errp);
    }
    if (raw_test_byte(s->fd, RAW_LOCK_PERM_BASE + RAW_PERM_WRITE,
                      F_WRLCK) < 0) {
        return raw_lock_error(s, "shared \"write\"", errp);
    }
    return 0;
}

/* Hold the write permission's locks on @fd. */
static int raw_lock_write(int fd)
{
    if (raw_lock_byte(fd, RAW_LOCK_PERM_BASE + RAW_PERM_WRITE,
                      F_RDLCK) < 0 ||
        raw_lock_byte(fd, RAW_LOCK_SHARED_BASE + RAW_PERM_WRITE,
                      F_RDLCK) < 0) {
        return -EAGAIN;
    }
    return 0;
}

static int raw_take_write_locks(BDRVRawState *s, Error **errp)
{
    int ret = raw_check_write_locks(s, errp);

    if (ret < 0) {
        return ret;
    }
    if (raw_lock_write(s->fd) < 0) {
        return raw_lock_error(s, "\"write\"", errp);
    }
    s->write_locked = true;
    return 0;
}

static void raw_drop_write_locks(BDRVRawState *s)
{
    raw_lock_byte(s->fd, RAW_LOCK_PERM_BASE + RAW_PERM_WRITE, F_UNLCK);
    if (!s->write_unshared) {
        raw_lock_byte(s->fd, RAW_LOCK_SHARED_BASE + RAW_PERM_WRITE,
                      F_UNLCK);
    }
    s->write_locked = false;
}

/*
 * A format driver's reader (qcow2 read-only) lets no other process write:
 * lock the "write not shared" byte, which fails if someone writes.
 */
static int raw_unshare_write(BlockDriverState *bs, bool unshare,
                             Error **errp)
{
    BDRVRawState *s = bs->opaque;

    if (!s->use_lock || unshare == s->write_unshared) {
        return 0;
    }
    if (!unshare) {
        if (!s->write_locked) {
            raw_lock_byte(s->fd, RAW_LOCK_SHARED_BASE + RAW_PERM_WRITE,
                          F_UNLCK);
        }
        s->write_unshared = false;
        return 0;
    }
    if ((!s->write_locked &&
         raw_test_byte(s->fd, RAW_LOCK_PERM_BASE + RAW_PERM_WRITE,
                       F_WRLCK) < 0) ||
        raw_lock_byte(s->fd, RAW_LOCK_SHARED_BASE + RAW_PERM_WRITE,
                      F_RDLCK) < 0) {
        error_setg(errp, "Failed to get shared \"write\" lock");
        error_append_hint(errp, "Is another process using the image [%s]?\n",
                          s->filename);
        return -EAGAIN;
    }
    s->write_unshared = true;
    return 0;
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

/* open(2) flags for a node with BDRV_O_* @flags. */
static int raw_open_flags(int flags)
{
    return O_CLOEXEC | ((flags & BDRV_O_RDWR) ? O_RDWR : O_RDONLY) |
           ((flags & BDRV_O_NOCACHE) ? O_DIRECT : 0);
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

    s->open_flags = raw_open_flags(flags);
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
    off_t old_len = lseek(s->fd, 0, SEEK_END);

    if (ftruncate(s->fd, offset) < 0) {
        error_setg_errno(errp, errno, "Failed to resize file");
        return -errno;
    }
    /*
     * As QEMU, a file that grows from empty gets its first block written,
     * so that it is allocated (QEMU probes alignment on it; sizes match).
     */
    if (old_len == 0 && offset > 0) {
        static const uint8_t zeroes[4096];

        if (pwrite(s->fd, zeroes, MIN(offset, (int64_t)sizeof(zeroes)),
                   0) < 0) {
            error_setg_errno(errp, errno, "Failed to resize file");
            return -errno;
        }
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
    raw_unshare_write(bs, false, NULL);
    return 0;
}

static void raw_co_invalidate_cache(BlockDriverState *bs, Error **errp)
{
    BDRVRawState *s = bs->opaque;

    if (raw_wants_write_lock(bs) && !s->write_locked) {
        raw_take_write_locks(s, errp);
    }
}

/* Between a reopen's prepare and its commit or abort. */
typedef struct BDRVRawReopenState {
    int fd;                 /* descriptor with the new flags, or -1 */
    int open_flags;         /* its O_* flags */
} BDRVRawReopenState;

/* Page cache options may change; the file, aio and locking may not. */
static const char *const raw_mutable_opts[] = {
    "x-check-cache-dropped",
    NULL
};

/* A descriptor for BDRV_O_* @flags in @rs, unless the current one fits. */
static int raw_reopen_fd(BDRVRawState *s, int flags, BDRVRawReopenState *rs)
{
    rs->open_flags = raw_open_flags(flags);
    rs->fd = -1;
    if (rs->open_flags == s->open_flags) {
        return 0;
    }
    rs->fd = open(s->filename, rs->open_flags);
    return rs->fd < 0 ? -errno : 0;
}

static int raw_reopen_prepare(BDRVReopenState *state,
                              BlockReopenQueue *queue, Error **errp)
{
    BDRVRawState *s = state->bs->opaque;
    BDRVRawReopenState *rs;
    bool b;
    int ret;

    if (!bdrv_opt_get_bool(state->options, "drop-cache", true, &b, errp) ||
        !bdrv_opt_get_bool(state->options, "x-check-cache-dropped", false,
                           &b, errp)) {
        return -EINVAL;
    }
    /* A parent will write: fail now if another process keeps us from it */
    if ((state->perm & BLK_PERM_WRITE) && s->use_lock && !s->write_locked &&
        !(state->flags & BDRV_O_INACTIVE)) {
        ret = raw_check_write_locks(s, errp);
        if (ret < 0) {
            return ret;
        }
    }

    rs = g_new0(BDRVRawReopenState, 1);
    ret = raw_reopen_fd(s, state->flags, rs);
    if ((ret == -EROFS || ret == -EACCES) &&
        (state->flags & BDRV_O_AUTO_RDONLY) &&
        (state->flags & BDRV_O_RDWR)) {
        /* auto-read-only: read-only it is, then */
        state->flags &= ~BDRV_O_RDWR;
        ret = raw_reopen_fd(s, state->flags, rs);
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not reopen file");
        g_free(rs);
        return ret;
    }
    state->opaque = rs;
    return 0;
}

/* The new descriptor takes over the locks the old one holds. */
static void raw_reopen_commit(BDRVReopenState *state)
{
    BDRVRawState *s = state->bs->opaque;
    BDRVRawReopenState *rs = state->opaque;

    if (rs->fd >= 0) {
        if (s->use_lock) {
            raw_lock_byte(rs->fd, RAW_LOCK_PERM_BASE + RAW_PERM_READ,
                          F_RDLCK);
            if (s->write_locked) {
                raw_lock_write(rs->fd);
            }
        }
        close(s->fd);
        s->fd = rs->fd;
    }
    s->open_flags = rs->open_flags;
    g_clear_pointer(&state->opaque, g_free);
}

static void raw_reopen_abort(BDRVReopenState *state)
{
    BDRVRawReopenState *rs = state->opaque;

    if (rs && rs->fd >= 0) {
        close(rs->fd);
    }
    g_clear_pointer(&state->opaque, g_free);
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
    .bdrv_unshare_write = raw_unshare_write,
    .bdrv_inactivate = raw_inactivate,
    .bdrv_co_invalidate_cache = raw_co_invalidate_cache,
    .bdrv_reopen_prepare = raw_reopen_prepare,
    .bdrv_reopen_commit = raw_reopen_commit,
    .bdrv_reopen_abort = raw_reopen_abort,
    .mutable_opts = raw_mutable_opts,
};
