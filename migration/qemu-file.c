/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QEMUFile: buffered stream over an fd or memory, sticky errors, rate limit. */
#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "qapi/error.h"
#include "qemu/atomic.h"
#include "qemu/main-loop.h"
#include "migration/qemu-file.h"

struct QEMUFile {
    int fd;                     /* transport fd, or -1 for memory files */
    bool writable;              /* output file (else input) */
    bool is_socket;             /* fd is a socket: return path, shutdown */
    bool shutdown;              /* qemu_file_shutdown() was called */
    pid_t child_pid;            /* exec: child to reap on close, or 0 */
    int wake_fds[2];            /* non-sockets: shutdown wakes I/O waits */

    const uint8_t *mem_in;      /* memory input: borrowed bytes */
    size_t mem_in_len;          /* memory input: total bytes */
    size_t mem_in_pos;          /* memory input: bytes consumed */
    GByteArray *mem_out;        /* memory output: collected bytes */
    QEMUFile *spill_to;         /* memory output: flushed here past cap */
    size_t spill_cap;           /* bytes collected before spilling */

    int64_t rate_limit_used;    /* bytes put in this window */
    int64_t rate_limit_max;     /* budget per window; <= 0: unlimited */
    uint64_t total_transferred; /* bytes moved over the transport */

    /*
     * Output: buf[0..buf_index) is pending.  Input: buf[buf_index..
     * buf_size) is unread.  Both bounded by IO_BUF_SIZE.
     */
    int buf_index;
    int buf_size;
    uint8_t buf[IO_BUF_SIZE];

    GMutex err_lock;            /* protects last_error{,_obj} */
    int last_error;             /* first error (negative errno) or 0 */
    Error *last_error_obj;      /* its description, may be NULL */
};

static QEMUFile *qemu_file_new_common(int fd, bool writable)
{
    QEMUFile *f = g_new0(QEMUFile, 1);
    int type;
    socklen_t len = sizeof(type);

    f->fd = fd;
    f->writable = writable;
    f->wake_fds[0] = f->wake_fds[1] = -1;
    if (fd >= 0) {
        f->is_socket = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0;
    }
    /*
     * Every transport is non-blocking, so that each wait for the peer
     * goes through qemu_file_wait_io(), which releases the BQL.  For a
     * socket, qemu_file_shutdown()'s shutdown(2) ends the wait; anything
     * else (a pipe) is polled next to a pipe that qemu_file_shutdown()
     * writes to, so a stuck peer cannot hold a thread forever.
     */
    if (fd >= 0) {
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        if (!f->is_socket &&
            pipe2(f->wake_fds, O_CLOEXEC | O_NONBLOCK) < 0) {
            f->wake_fds[0] = f->wake_fds[1] = -1;
        }
    }
    g_mutex_init(&f->err_lock);
    return f;
}

QEMUFile *qemu_file_new_fd_input(int fd)
{
    return qemu_file_new_common(fd, false);
}

QEMUFile *qemu_file_new_fd_output(int fd)
{
    return qemu_file_new_common(fd, true);
}

QEMUFile *qemu_file_new_buffer_input(const uint8_t *data, size_t len)
{
    QEMUFile *f = qemu_file_new_common(-1, false);

    f->mem_in = data;
    f->mem_in_len = len;
    return f;
}

QEMUFile *qemu_file_new_buffer_output(void)
{
    QEMUFile *f = qemu_file_new_common(-1, true);

    f->mem_out = g_byte_array_new();
    return f;
}

void qemu_file_set_spill(QEMUFile *f, QEMUFile *target, size_t cap)
{
    assert(f->mem_out);
    f->spill_to = target;
    f->spill_cap = cap;
}

void qemu_file_set_child_pid(QEMUFile *f, pid_t pid)
{
    f->child_pid = pid;
}

int qemu_file_get_fd(QEMUFile *f)
{
    return f->fd;
}

bool qemu_file_is_writable(QEMUFile *f)
{
    return f->writable;
}

void qemu_file_set_error_obj(QEMUFile *f, int ret, Error *err)
{
    g_mutex_lock(&f->err_lock);
    if (f->last_error == 0 && ret) {
        f->last_error = ret;
        f->last_error_obj = err;
        err = NULL;
    }
    g_mutex_unlock(&f->err_lock);
    if (err) {
        error_free(err);
    }
}

void qemu_file_set_error(QEMUFile *f, int ret)
{
    qemu_file_set_error_obj(f, ret, NULL);
}

int qemu_file_get_error_obj(QEMUFile *f, Error **errp)
{
    int ret;

    g_mutex_lock(&f->err_lock);
    ret = f->last_error;
    if (ret && errp) {
        if (f->last_error_obj) {
            *errp = error_copy(f->last_error_obj);
        } else {
            error_setg_errno(errp, -ret, "Channel error");
        }
    }
    g_mutex_unlock(&f->err_lock);
    return ret;
}

int qemu_file_get_error(QEMUFile *f)
{
    return qatomic_read(&f->last_error);
}

/*
 * Wait until @fd is ready for @events or the file is shut down.  Returns
 * 0, or -EIO after qemu_file_shutdown().
 *
 * A caller that holds the BQL (a section loader, or the source's
 * completion spilling its staged output) lends it out for the wait, as
 * QEMU's incoming coroutine yields to the main loop: the monitor, quit
 * and migrate_cancel must never wait for the peer.  The caller finds
 * the BQL held again, but what it guards may have changed meanwhile.
 */
static int qemu_file_wait_io(QEMUFile *f, short events)
{
    struct pollfd pfd[2] = {
        { .fd = f->fd, .events = events },
        { .fd = f->wake_fds[0], .events = POLLIN },
    };
    bool lend_bql = qemu_mutex_iothread_locked();
    int ret;

    if (lend_bql) {
        qemu_mutex_unlock_iothread();
    }
    for (;;) {
        if (qatomic_read(&f->shutdown)) {
            ret = -EIO;
            break;
        }
        if (poll(pfd, f->wake_fds[0] >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            ret = -errno;
            break;
        }
        if (pfd[1].revents || qatomic_read(&f->shutdown)) {
            ret = -EIO;
            break;
        }
        if (pfd[0].revents) {
            ret = 0;
            break;
        }
    }
    if (lend_bql) {
        qemu_mutex_lock_iothread();
    }
    return ret;
}

/* Write @iov fully to the fd (or memory); returns 0 or a negative errno. */
static int qemu_file_writev_all(QEMUFile *f, struct iovec *iov, int iovcnt)
{
    if (!f->mem_out && f->fd < 0) {
        return -EIO;
    }
    if (f->mem_out) {
        for (int i = 0; i < iovcnt; i++) {
            g_byte_array_append(f->mem_out, iov[i].iov_base, iov[i].iov_len);
            f->total_transferred += iov[i].iov_len;
        }
        if (f->spill_to && f->mem_out->len >= f->spill_cap) {
            qemu_put_buffer(f->spill_to, f->mem_out->data, f->mem_out->len);
            qemu_fflush(f->spill_to);
            g_byte_array_set_size(f->mem_out, 0);
            return qemu_file_get_error(f->spill_to);
        }
        return 0;
    }
    while (iovcnt > 0) {
        ssize_t n = writev(f->fd, iov, iovcnt);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN) {
                int ret = qemu_file_wait_io(f, POLLOUT);

                if (ret < 0) {
                    return ret;
                }
                continue;
            }
            return -errno;
        }
        f->total_transferred += n;
        while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
            n -= iov->iov_len;
            iov++;
            iovcnt--;
        }
        if (iovcnt > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + n;
            iov->iov_len -= n;
        }
    }
    return 0;
}

/* Flush the buffer followed by @extra bytes at @data, without copying. */
static void qemu_file_flush_with(QEMUFile *f, const uint8_t *data,
                                 size_t extra)
{
    struct iovec iov[2];
    int cnt = 0;
    int ret;

    if (!f->writable || qemu_file_get_error(f)) {
        f->buf_index = 0;
        return;
    }
    if (f->buf_index) {
        iov[cnt].iov_base = f->buf;
        iov[cnt].iov_len = f->buf_index;
        cnt++;
    }
    if (extra) {
        iov[cnt].iov_base = (void *)data;
        iov[cnt].iov_len = extra;
        cnt++;
    }
    f->buf_index = 0;
    if (!cnt) {
        return;
    }
    ret = qemu_file_writev_all(f, iov, cnt);
    if (ret < 0) {
        Error *err = NULL;

        error_setg_errno(&err, -ret, "Unable to write to %s",
                         f->is_socket ? "socket" : "file");
        qemu_file_set_error_obj(f, ret, err);
    }
}

void qemu_fflush(QEMUFile *f)
{
    qemu_file_flush_with(f, NULL, 0);
}

void qemu_put_buffer(QEMUFile *f, const uint8_t *buf, size_t size)
{
    if (qemu_file_get_error(f)) {
        return;
    }
    f->rate_limit_used += size;
    /* Large writes go straight to the transport behind the buffer. */
    if (size >= IO_BUF_SIZE / 2) {
        qemu_file_flush_with(f, buf, size);
        return;
    }
    while (size > 0) {
        size_t l = MIN(size, (size_t)(IO_BUF_SIZE - f->buf_index));

        memcpy(f->buf + f->buf_index, buf, l);
        f->buf_index += l;
        buf += l;
        size -= l;
        if (f->buf_index == IO_BUF_SIZE) {
            qemu_fflush(f);
            if (qemu_file_get_error(f)) {
                return;
            }
        }
    }
}

void qemu_put_byte(QEMUFile *f, int v)
{
    if (qemu_file_get_error(f)) {
        return;
    }
    f->buf[f->buf_index++] = v;
    f->rate_limit_used++;
    if (f->buf_index == IO_BUF_SIZE) {
        qemu_fflush(f);
    }
}

/* Integers go out big-endian, as a short buffer. */
void qemu_put_be16(QEMUFile *f, unsigned int v)
{
    uint8_t be[2];

    stw_be_p(be, v);
    qemu_put_buffer(f, be, sizeof(be));
}

void qemu_put_be32(QEMUFile *f, unsigned int v)
{
    uint8_t be[4];

    stl_be_p(be, v);
    qemu_put_buffer(f, be, sizeof(be));
}

void qemu_put_be64(QEMUFile *f, uint64_t v)
{
    uint8_t be[8];

    stq_be_p(be, v);
    qemu_put_buffer(f, be, sizeof(be));
}

void qemu_put_counted_string(QEMUFile *f, const char *str)
{
    size_t len = strlen(str);

    assert(len < 256);
    qemu_put_byte(f, len);
    qemu_put_buffer(f, (const uint8_t *)str, len);
}

/*
 * Read up to the total size of @iov from the transport (memory input fills
 * only the first element).  Returns the count, 0 at end of stream, or a
 * negative errno.
 */
static ssize_t qemu_file_readv_raw(QEMUFile *f, struct iovec *iov,
                                   int iovcnt)
{
    ssize_t n;

    if (f->mem_in || f->fd < 0) {
        /* Memory input: the first iovec only, nothing to save syscalls. */
        n = MIN(iov[0].iov_len, f->mem_in_len - f->mem_in_pos);
        if (n > 0) {
            memcpy(iov[0].iov_base, f->mem_in + f->mem_in_pos, n);
            f->mem_in_pos += n;
        }
        return n;
    }
    for (;;) {
        n = iovcnt == 1 ? read(f->fd, iov[0].iov_base, iov[0].iov_len)
                        : readv(f->fd, iov, iovcnt);
        if (n >= 0) {
            return n;
        }
        if (errno == EAGAIN) {
            int ret = qemu_file_wait_io(f, POLLIN);

            if (ret < 0) {
                return ret;
            }
        } else if (errno != EINTR) {
            return -errno;
        }
    }
}

/* As qemu_file_readv_raw(), into @size bytes at @dst. */
static ssize_t qemu_file_read_raw(QEMUFile *f, uint8_t *dst, size_t size)
{
    struct iovec iov = { .iov_base = dst, .iov_len = size };

    return qemu_file_readv_raw(f, &iov, 1);
}

static void qemu_file_read_failed(QEMUFile *f, ssize_t n)
{
    Error *err = NULL;

    if (n == 0) {
        /* End of stream where more was expected: QEMU reports -EIO. */
        qemu_file_set_error(f, -EIO);
        return;
    }
    error_setg_errno(&err, -n, "Unable to read from %s",
                     f->is_socket ? "socket" : "file");
    qemu_file_set_error_obj(f, n, err);
}

/*
 * Top up the read buffer (compacting it first).  Returns bytes added; on
 * end of stream or error sets the file error and returns <= 0.
 */
static ssize_t qemu_fill_buffer(QEMUFile *f)
{
    int pending = f->buf_size - f->buf_index;
    ssize_t n;

    assert(!f->writable);
    if (qemu_file_get_error(f)) {
        return -1;
    }
    if (pending > 0 && f->buf_index > 0) {
        memmove(f->buf, f->buf + f->buf_index, pending);
    }
    f->buf_index = 0;
    f->buf_size = pending;
    if (pending == IO_BUF_SIZE) {
        return 0;
    }
    /*
     * A loader holding the BQL may go on for long without waiting for
     * the peer (a stream that arrived faster than it loads): lend the
     * BQL at each refill too, so that the monitor is never kept waiting
     * for more than a buffer's worth of loading.
     */
    if (qemu_mutex_iothread_locked()) {
        qemu_mutex_iothread_lend();
    }
    n = qemu_file_read_raw(f, f->buf + pending, IO_BUF_SIZE - pending);
    if (n > 0) {
        f->buf_size += n;
        f->total_transferred += n;
    } else {
        qemu_file_read_failed(f, n);
    }
    return n;
}

size_t qemu_peek_buffer(QEMUFile *f, uint8_t **buf, size_t size,
                        size_t offset)
{
    size_t pending;

    assert(!f->writable);
    assert(offset + size <= IO_BUF_SIZE);
    if (qemu_file_get_error(f)) {
        return 0;
    }
    pending = f->buf_size - f->buf_index;
    while (pending < offset + size) {
        if (qemu_fill_buffer(f) <= 0) {
            break;
        }
        pending = f->buf_size - f->buf_index;
    }
    if (pending <= offset) {
        return 0;
    }
    size = MIN(size, pending - offset);
    *buf = f->buf + f->buf_index + offset;
    return size;
}

int qemu_peek_byte(QEMUFile *f, int offset)
{
    uint8_t *p;

    if (qemu_peek_buffer(f, &p, 1, offset) != 1) {
        return 0;
    }
    return *p;
}

void qemu_file_skip(QEMUFile *f, int size)
{
    if (f->buf_index + size <= f->buf_size) {
        f->buf_index += size;
    }
}

size_t qemu_get_buffer(QEMUFile *f, uint8_t *buf, size_t size)
{
    struct iovec iov[2];
    size_t done = 0;

    assert(!f->writable);
    while (done < size && !qemu_file_get_error(f)) {
        size_t pending = f->buf_size - f->buf_index;
        ssize_t n;

        if (pending) {
            size_t l = MIN(pending, size - done);

            memcpy(buf + done, f->buf + f->buf_index, l);
            f->buf_index += l;
            done += l;
            continue;
        }
        if (size - done < IO_BUF_SIZE) {
            if (qemu_fill_buffer(f) <= 0) {
                break;
            }
            continue;
        }
        /*
         * Big reads bypass the buffer.  The (empty) buffer rides along as
         * a second iovec, so what follows (the next record's header, and
         * often part of its data) comes with the same syscall instead of
         * a read of its own: one read per record fewer than filling the
         * buffer afterwards, for the same bytes copied out of it.  A 4 KiB
         * tail copied less but made 17% more reads (bench-migration).
         */
        iov[0].iov_base = buf + done;
        iov[0].iov_len = size - done;
        iov[1].iov_base = f->buf;
        iov[1].iov_len = IO_BUF_SIZE;
        n = qemu_file_readv_raw(f, iov, 2);
        if (n <= 0) {
            qemu_file_read_failed(f, n);
            break;
        }
        f->total_transferred += n;
        if ((size_t)n > size - done) {
            f->buf_index = 0;
            f->buf_size = n - (size - done);
            n = size - done;
        }
        done += n;
    }
    return done;
}

int qemu_get_byte(QEMUFile *f)
{
    if (qemu_file_get_error(f)) {
        return 0;
    }
    if (f->buf_index >= f->buf_size) {
        if (qemu_fill_buffer(f) <= 0) {
            return 0;
        }
    }
    return f->buf[f->buf_index++];
}

unsigned int qemu_get_be16(QEMUFile *f)
{
    unsigned int v = qemu_get_byte(f) << 8;

    return v | qemu_get_byte(f);
}

unsigned int qemu_get_be32(QEMUFile *f)
{
    unsigned int v = (unsigned int)qemu_get_byte(f) << 24;

    v |= qemu_get_byte(f) << 16;
    v |= qemu_get_byte(f) << 8;
    return v | qemu_get_byte(f);
}

uint64_t qemu_get_be64(QEMUFile *f)
{
    uint64_t v = (uint64_t)qemu_get_be32(f) << 32;

    return v | qemu_get_be32(f);
}

size_t qemu_get_counted_string(QEMUFile *f, char buf[256])
{
    size_t len = qemu_get_byte(f);
    size_t res = qemu_get_buffer(f, (uint8_t *)buf, len);

    buf[res] = 0;
    return res == len ? res : 0;
}

const uint8_t *qemu_file_buffer_contents(QEMUFile *f, size_t *len)
{
    assert(f->mem_out);
    qemu_fflush(f);
    *len = f->mem_out->len;
    return f->mem_out->data;
}

QEMUFile *qemu_file_get_return_path(QEMUFile *f)
{
    int fd;
    QEMUFile *rp;

    if (!f->is_socket) {
        return NULL;
    }
    fd = dup(f->fd);
    if (fd < 0) {
        return NULL;
    }
    rp = qemu_file_new_common(fd, !f->writable);
    return rp;
}

int qemu_file_shutdown(QEMUFile *f)
{
    int ret = 0;

    qatomic_set(&f->shutdown, true);
    if (f->is_socket) {
        if (shutdown(f->fd, SHUT_RDWR) < 0) {
            ret = -errno;
        }
    } else if (f->wake_fds[1] >= 0) {
        if (write(f->wake_fds[1], "", 1) < 0) {
            ret = -errno;
        }
    } else if (f->fd >= 0) {
        ret = -ENOSYS;
    }
    if (f->child_pid > 0) {
        /* exec: children lead their own process group. */
        kill(-f->child_pid, SIGTERM);
    }
    qemu_file_set_error(f, -EIO);
    return ret;
}

/*
 * Reap an exec: child after our end is closed: it normally exits at once
 * (EOF); one that does not within CHILD_EXIT_MS gets SIGTERM, then
 * SIGKILL, as QEMU's command channel does (with a longer grace period
 * so that "cat > FILE" can finish writing).
 */
#define CHILD_EXIT_MS 5000
#define CHILD_POLL_MS 10

static void qemu_file_reap_child(pid_t pid)
{
    int status;

    for (int waited = 0;; waited += CHILD_POLL_MS) {
        pid_t r = waitpid(pid, &status, WNOHANG);

        if (r == pid || (r < 0 && errno != EINTR)) {
            return;
        }
        if (waited == CHILD_EXIT_MS) {
            kill(-pid, SIGTERM);
        } else if (waited == CHILD_EXIT_MS + 1000) {
            kill(-pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
                /* retry */
            }
            return;
        }
        g_usleep(CHILD_POLL_MS * 1000);
    }
}

int qemu_fclose(QEMUFile *f)
{
    int ret;

    if (f->writable) {
        qemu_fflush(f);
    }
    ret = qemu_file_get_error(f);
    if (f->fd >= 0 && close(f->fd) < 0 && ret == 0) {
        ret = -errno;
    }
    if (f->child_pid > 0) {
        qemu_file_reap_child(f->child_pid);
    }
    if (f->wake_fds[0] >= 0) {
        close(f->wake_fds[0]);
        close(f->wake_fds[1]);
    }
    if (f->mem_out) {
        g_byte_array_unref(f->mem_out);
    }
    error_free(f->last_error_obj);
    g_mutex_clear(&f->err_lock);
    g_free(f);
    return ret;
}

void qemu_file_set_rate_limit(QEMUFile *f, int64_t new_rate)
{
    qatomic_set(&f->rate_limit_max, new_rate);
}

int64_t qemu_file_get_rate_limit(QEMUFile *f)
{
    return qatomic_read(&f->rate_limit_max);
}

void qemu_file_reset_rate_limit(QEMUFile *f)
{
    f->rate_limit_used = 0;
}

void qemu_file_credit_transfer(QEMUFile *f, size_t size)
{
    f->rate_limit_used += size;
}

int qemu_file_rate_limit(QEMUFile *f)
{
    int64_t max = qatomic_read(&f->rate_limit_max);

    if (qatomic_read(&f->shutdown)) {
        return 1;
    }
    if (qemu_file_get_error(f)) {
        return 1;
    }
    if (max > 0 && max != INT64_MAX && f->rate_limit_used > max) {
        return 1;
    }
    return 0;
}

uint64_t qemu_file_total_transferred(QEMUFile *f)
{
    if (f->writable) {
        qemu_fflush(f);
    }
    return f->total_transferred;
}

uint64_t qemu_file_total_transferred_fast(QEMUFile *f)
{
    if (f->writable) {
        return f->total_transferred + f->buf_index;
    }
    return f->total_transferred;
}
