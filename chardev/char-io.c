/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Character device I/O: peer input, the output queue, dropping a peer. */
#include "qemu/osdep.h"

#include <poll.h>
#include <sys/uio.h>

#include "chardev-internal.h"
#include "qapi/error.h"
#include "qemu/sockets.h"
#include "trace.h"

/* Largest read handed to a frontend at once. */
#define CHR_READ_BUF_LEN 4096
/* Records handed to one writev() */
#define CHR_WRITE_IOV 64

/*
 * Output is queued as records, one per qemu_chr_fe_write() call, and
 * written in order without blocking.  A record is queued whole or not
 * at all, and a peer is only ever dropped between records: what it
 * has received when the connection ends stops where a record ends.
 *
 * A peer that lets more than CHR_OUTBUF_MAX bytes pile up is dropped
 * before the record that would pass the bound: the device stops reading
 * from it, throws away the records not yet started and finishes the one
 * under way (CHR_PEER_DRAINING); then it shuts the connection down for
 * writing, so the peer reads an end of file after that record, and
 * waits for the peer to close (CHR_PEER_HANGUP), discarding what it
 * still sends, up to CHR_HANGUP_DISCARD_MAX.  Closing with input
 * unread would reset the connection and could lose output still in the
 * kernel.  The frontend hears CHR_EVENT_CLOSED as soon as the peer is
 * dropped and cannot write to it any more; a listening server accepts
 * the next client once the old connection is closed.
 */
/* Input a dropped peer may still send before we close on it */
#define CHR_HANGUP_DISCARD_MAX (1024 * 1024)

typedef struct ChrRecord {
    size_t len;
    uint8_t data[];
} ChrRecord;

static void chr_close_peer(Chardev *chr);
static void chr_hang_up(Chardev *chr);
static void chr_accept_ready(void *opaque);

void qemu_chr_discard_output(Chardev *chr)
{
    g_queue_clear_full(&chr->out_records, g_free);
    chr->out_bytes = 0;
    chr->out_head_done = 0;
}

/* Keep only the record being written, if one is under way. */
static void chr_discard_unstarted(Chardev *chr)
{
    size_t done = chr->out_head_done;
    ChrRecord *under_way = done ? g_queue_pop_head(&chr->out_records) : NULL;

    qemu_chr_discard_output(chr);
    if (under_way) {
        g_queue_push_head(&chr->out_records, under_way);
        chr->out_bytes = under_way->len;
        chr->out_head_done = done;
    }
}

/* Account for @n more bytes written: complete records go. */
static void chr_consume(Chardev *chr, size_t n)
{
    while (n) {
        ChrRecord *head = g_queue_peek_head(&chr->out_records);
        size_t step = MIN(n, head->len - chr->out_head_done);

        chr->out_head_done += step;
        n -= step;
        if (chr->out_head_done == head->len) {
            g_queue_pop_head(&chr->out_records);
            chr->out_bytes -= head->len;
            chr->out_head_done = 0;
            g_free(head);
        }
    }
}

/* The oldest queued bytes as an iovec; returns the number of entries. */
static int chr_pending_iov(Chardev *chr, struct iovec *iov, int max)
{
    GList *l = chr->out_records.head;
    size_t skip = chr->out_head_done;
    int n = 0;

    for (; l && n < max; l = l->next, n++) {
        ChrRecord *rec = l->data;

        iov[n].iov_base = rec->data + skip;
        iov[n].iov_len = rec->len - skip;
        skip = 0;
    }
    return n;
}

/*
 * Write what the peer takes now (stdio: all of it, blocking).  A failed
 * write means the peer is gone.  A dropped peer is hung up on once its
 * output is complete.
 */
static void chr_flush(Chardev *chr)
{
    while (chr->out_fd >= 0 && !g_queue_is_empty(&chr->out_records)) {
        struct iovec iov[CHR_WRITE_IOV];
        int cnt = chr_pending_iov(chr, iov, CHR_WRITE_IOV);
        ssize_t n = RETRY_ON_EINTR(writev(chr->out_fd, iov, cnt));

        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = { .fd = chr->out_fd, .events = POLLOUT };

            if (!chr->blocking_out) {
                return;
            }
            poll(&pfd, 1, -1);
            continue;
        }
        if (n <= 0) {
            /* EPIPE, ECONNRESET...: nobody is there any more */
            chr_close_peer(chr);
            return;
        }
        chr_consume(chr, n);
    }
    if (chr->peer == CHR_PEER_DRAINING &&
        g_queue_is_empty(&chr->out_records)) {
        chr_hang_up(chr);
    }
}

static void chr_read_ready(void *opaque)
{
    Chardev *chr = opaque;
    uint8_t buf[CHR_READ_BUF_LEN];
    int want = sizeof(buf);
    ssize_t n;

    if (chr->be && chr->be->chr_can_read) {
        want = MIN(want, chr->be->chr_can_read(chr->be->opaque));
        if (want <= 0) {
            chr->read_paused = true;
            qemu_chr_update_handlers(chr);
            return;
        }
    }
    n = chr->kind == CHARDEV_KIND_SOCKET ?
        qemu_chr_socket_recv(chr, buf, want) :
        RETRY_ON_EINTR(read(chr->in_fd, buf, want));
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
    }
    if (n <= 0) {
        chr_close_peer(chr);
        return;
    }
    if (chr->be && chr->be->chr_read) {
        chr->be->chr_read(chr->be->opaque, buf, n);
    }
}

static void chr_write_ready(void *opaque)
{
    Chardev *chr = opaque;

    chr_flush(chr);
    qemu_chr_update_handlers(chr);
}

/* CHR_PEER_HANGUP: swallow input until the peer closes. */
static void chr_hangup_ready(void *opaque)
{
    Chardev *chr = opaque;
    uint8_t buf[CHR_READ_BUF_LEN];
    ssize_t n = RETRY_ON_EINTR(read(chr->in_fd, buf, sizeof(buf)));

    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
    }
    if (n > 0) {
        chr->hangup_discarded += n;
    }
    if (n <= 0 || chr->hangup_discarded > CHR_HANGUP_DISCARD_MAX) {
        chr_close_peer(chr);
    }
}

void qemu_chr_update_handlers(Chardev *chr)
{
    IOHandler *on_in = NULL, *on_out = NULL;

    switch (chr->peer) {
    case CHR_PEER_UP:
        if (chr->opened_sent && !chr->read_paused) {
            on_in = chr_read_ready;
        }
        /* fall through */
    case CHR_PEER_DRAINING:
        if (!g_queue_is_empty(&chr->out_records)) {
            on_out = chr_write_ready;
        }
        break;
    case CHR_PEER_HANGUP:
        on_in = chr_hangup_ready;
        break;
    case CHR_PEER_NONE:
        break;
    }
    if (chr->in_fd >= 0 && chr->in_fd == chr->out_fd) {
        qemu_set_fd_handler(chr->in_fd, on_in, on_out, chr);
    } else {
        if (chr->in_fd >= 0) {
            qemu_set_fd_handler(chr->in_fd, on_in, NULL, chr);
        }
        if (chr->out_fd >= 0) {
            qemu_set_fd_handler(chr->out_fd, NULL, on_out, chr);
        }
    }
    if (chr->listen_fd >= 0) {
        /* one client at a time: the next waits until this one is gone */
        qemu_set_fd_handler(chr->listen_fd,
                            chr->peer == CHR_PEER_NONE ?
                            chr_accept_ready : NULL, NULL, chr);
    }
}

void qemu_chr_attach_peer(Chardev *chr, int in_fd, int out_fd)
{
    trace_chr_peer_connected(chr->label);
    chr->in_fd = in_fd;
    chr->out_fd = out_fd;
    chr->peer = CHR_PEER_UP;
    chr->read_paused = false;
    qemu_chr_update_handlers(chr);
    qemu_chr_queue_event(chr, CHR_EVENT_OPENED);
}

/* Close the connection now; the frontend hears CLOSED if it did not. */
static void chr_close_peer(Chardev *chr)
{
    bool was_up = chr->peer == CHR_PEER_UP;

    if (chr->peer == CHR_PEER_NONE || chr->kind == CHARDEV_KIND_NULL) {
        return;
    }
    trace_chr_peer_disconnected(chr->label);
    qemu_chr_discard_output(chr);
    if (chr->kind == CHARDEV_KIND_STDIO) {
        /* stdin ended or stdout failed: stop reading, the process goes on */
        if (chr->in_fd >= 0) {
            qemu_set_fd_handler(chr->in_fd, NULL, NULL, NULL);
            chr->in_fd = -1;
            qemu_chr_queue_event(chr, CHR_EVENT_CLOSED);
        }
        return;
    }
    qemu_set_fd_handler(chr->in_fd, NULL, NULL, NULL);
    close(chr->in_fd);
    chr->in_fd = chr->out_fd = -1;
    qemu_chr_socket_drop_msgfds(chr);   /* they came from this peer */
    chr->peer = CHR_PEER_NONE;
    qemu_chr_update_handlers(chr);      /* a server listens again */
    if (was_up) {
        qemu_chr_queue_event(chr, CHR_EVENT_CLOSED);
    }
}

/* The output of a dropped socket peer is complete: signal the end. */
static void chr_hang_up(Chardev *chr)
{
    shutdown(chr->out_fd, SHUT_WR);
    chr->peer = CHR_PEER_HANGUP;
    chr->hangup_discarded = 0;
    qemu_chr_update_handlers(chr);
}

/*
 * Drop the peer between two records: with @keep_queued the records
 * queued so far still go out, else only the one under way.
 */
static void chr_drop_peer(Chardev *chr, bool keep_queued)
{
    if (chr->peer == CHR_PEER_DRAINING || chr->peer == CHR_PEER_HANGUP) {
        return;                 /* on its way out already */
    }
    if (chr->peer != CHR_PEER_UP || chr->kind != CHARDEV_KIND_SOCKET) {
        chr_close_peer(chr);
        return;
    }
    if (!keep_queued) {
        chr_discard_unstarted(chr);
    }
    chr->peer = CHR_PEER_DRAINING;
    qemu_chr_queue_event(chr, CHR_EVENT_CLOSED);
    chr_flush(chr);
    qemu_chr_update_handlers(chr);
}

static void chr_accept_ready(void *opaque)
{
    Chardev *chr = opaque;
    int fd;

    if (chr->peer != CHR_PEER_NONE) {
        return;
    }
    fd = qemu_accept(chr->listen_fd, NULL, NULL);
    if (fd < 0) {
        return;
    }
    qemu_socket_set_nonblock(fd);
    qemu_chr_attach_peer(chr, fd, fd);
}

void qemu_chr_flush_until(Chardev *chr, gint64 deadline)
{
    while ((chr->peer == CHR_PEER_UP || chr->peer == CHR_PEER_DRAINING) &&
           chr->out_fd >= 0 &&
           !g_queue_is_empty(&chr->out_records)) {
        struct pollfd pfd = { .fd = chr->out_fd, .events = POLLOUT };
        gint64 left = deadline - g_get_monotonic_time();

        if (left <= 0 || poll(&pfd, 1, left / 1000 + 1) <= 0) {
            return;
        }
        chr_flush(chr);
    }
}

/* Frontend API */

bool qemu_chr_fe_init(CharBackend *b, Chardev *s, Error **errp)
{
    if (s->be) {
        error_setg(errp, "Device '%s' is in use", s->label);
        return false;
    }
    *b = (CharBackend) { .chr = s };
    s->be = b;
    return true;
}

void qemu_chr_fe_deinit(CharBackend *b, bool del)
{
    Chardev *chr = b->chr;

    if (chr) {
        chr->be = NULL;
        b->chr = NULL;
        if (del) {
            qemu_chr_free(chr);
        }
    }
}

void qemu_chr_fe_set_handlers(CharBackend *be, IOCanReadHandler *can_read,
                              IOReadHandler *on_read, IOEventHandler *on_event,
                              BackendChangeHandler *be_change, void *opaque,
                              GMainContext *context, bool set_open)
{
    Chardev *chr = be->chr;
    bool opened_due;

    assert(!be_change && !context);
    be->chr_can_read = can_read;
    be->chr_read = on_read;
    be->chr_event = on_event;
    be->opaque = opaque;
    if (!chr || chr->kind == CHARDEV_KIND_NULL) {
        return;
    }
    /* a peer that came before the frontend still gets announced */
    opened_due = chr->peer == CHR_PEER_UP && !chr->opened_sent &&
                 !g_queue_find(&chr->pending_events,
                               GINT_TO_POINTER(CHR_EVENT_OPENED));
    if (opened_due) {
        qemu_chr_queue_event(chr, CHR_EVENT_OPENED);
    }
}

int qemu_chr_fe_write(CharBackend *be, const uint8_t *buf, int len)
{
    Chardev *chr = be->chr;
    ChrRecord *rec;

    if (!chr || chr->peer != CHR_PEER_UP) {
        errno = ENOTCONN;
        return -1;
    }
    if (chr->kind == CHARDEV_KIND_NULL || len <= 0) {
        return MAX(len, 0);
    }
    if (chr->out_bytes + len > CHR_OUTBUF_MAX) {
        trace_chr_output_overflow(chr->label, chr->out_bytes, len);
        chr_drop_peer(chr, false);
        errno = ENOBUFS;
        return -1;
    }
    rec = g_malloc(sizeof(*rec) + len);
    rec->len = len;
    memcpy(rec->data, buf, len);
    g_queue_push_tail(&chr->out_records, rec);
    chr->out_bytes += len;
    chr_flush(chr);
    if (chr->peer != CHR_PEER_NONE) {
        qemu_chr_update_handlers(chr);
    }
    return len;
}

int qemu_chr_fe_write_all(CharBackend *be, const uint8_t *buf, int len)
{
    return qemu_chr_fe_write(be, buf, len);
}

void qemu_chr_fe_accept_input(CharBackend *be)
{
    Chardev *chr = be->chr;

    if (chr && chr->read_paused) {
        chr->read_paused = false;
        qemu_chr_update_handlers(chr);
    }
}

void qemu_chr_fe_disconnect(CharBackend *be)
{
    if (be->chr) {
        chr_drop_peer(be->chr, true);
    }
}

Chardev *qemu_chr_fe_get_driver(CharBackend *be)
{
    return be->chr;
}

size_t qemu_chr_fe_get_pending(CharBackend *be)
{
    return be->chr ? be->chr->out_bytes - be->chr->out_head_done : 0;
}
