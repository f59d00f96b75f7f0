/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The main loop on GLib's default context: BQL, bottom halves, fd handlers. */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/main-loop.h"
#include "qemu/queue.h"
#include "qemu/atomic.h"
#include "trace.h"

/*
 * Three GSources on the default GMainContext carry our handlers: one for
 * bottom halves, one for fd handlers and one for timers.  Other GSources
 * attached to the default context (g_idle_add(), GIOChannel watches ...)
 * are dispatched by main_loop_wait() too, also with the BQL held.  The
 * sources may recurse: a handler may run main_loop_wait() itself.
 */

/* The big QEMU lock; usable before qemu_init_main_loop(). */
static QemuMutex qemu_global_mutex = QEMU_MUTEX_INITIALIZER;
static __thread bool iothread_locked;

bool qemu_mutex_iothread_locked(void)
{
    return iothread_locked;
}

bool qemu_in_main_thread(void)
{
    return qemu_mutex_iothread_locked();
}

void qemu_global_state_violation(const char *func)
{
    fprintf(stderr, "%s: global-state function called without the BQL "
            "(thread contract violated)\n", func);
    abort();
}

/*
 * Threads blocked in qemu_mutex_lock_iothread(), and how many times the
 * BQL was taken: what qemu_mutex_iothread_lend() looks at.
 */
static unsigned bql_waiters;
static unsigned bql_takes;

void qemu_mutex_lock_iothread_impl(const char *file, int line)
{
    g_assert(!qemu_mutex_iothread_locked());
    if (qemu_mutex_trylock_impl(&qemu_global_mutex, file, line)) {
        qatomic_inc(&bql_waiters);
        qemu_mutex_lock_impl(&qemu_global_mutex, file, line);
        qatomic_dec(&bql_waiters);
    }
    qatomic_inc(&bql_takes);
    iothread_locked = true;
}

bool qemu_mutex_iothread_lend(void)
{
    unsigned takes;
    int tries;

    g_assert(qemu_mutex_iothread_locked());
    if (!qatomic_read(&bql_waiters)) {
        return false;
    }
    takes = qatomic_read(&bql_takes);
    qemu_mutex_unlock_iothread();
    /*
     * A mutex is not fair: taken back at once, it would stay ours.  Let
     * a waiter have it first (a bounded wait, in case it gave up).
     */
    for (tries = 0; qatomic_read(&bql_takes) == takes && tries < 1000;
         tries++) {
        sched_yield();
    }
    qemu_mutex_lock_iothread();
    return true;
}

void qemu_mutex_unlock_iothread(void)
{
    g_assert(qemu_mutex_iothread_locked());
    iothread_locked = false;
    qemu_mutex_unlock(&qemu_global_mutex);
}

void qemu_cond_wait_iothread(QemuCond *cond)
{
    g_assert(qemu_mutex_iothread_locked());
    qemu_cond_wait(cond, &qemu_global_mutex);
}

void qemu_cond_timedwait_iothread(QemuCond *cond, int ms)
{
    g_assert(qemu_mutex_iothread_locked());
    qemu_cond_timedwait(cond, &qemu_global_mutex, ms);
}

void qemu_notify_event(void)
{
    g_main_context_wakeup(NULL);
}

/*
 * Bottom halves
 */

struct QEMUBH {
    QEMUBHFunc *cb;
    void *opaque;
    const char *name;               /* for debugging */
    bool scheduled;                 /* in bh_queue; protected by bh_lock */
    bool oneshot;                   /* free after running once */
    QSIMPLEQ_ENTRY(QEMUBH) next;    /* link in bh_queue */
};

/* Protects bh_queue and every QEMUBH.scheduled. */
static QemuMutex bh_lock = QEMU_MUTEX_INITIALIZER;
/* Scheduled bottom halves, in scheduling order. */
static QSIMPLEQ_HEAD(, QEMUBH) bh_queue = QSIMPLEQ_HEAD_INITIALIZER(bh_queue);

QEMUBH *qemu_bh_new_full(QEMUBHFunc *cb, void *opaque, const char *name)
{
    QEMUBH *bh = g_new0(QEMUBH, 1);

    bh->cb = cb;
    bh->opaque = opaque;
    bh->name = name;
    return bh;
}

void qemu_bh_schedule(QEMUBH *bh)
{
    bool wake = false;

    trace_main_loop_bh_schedule(bh, bh->name);
    qemu_mutex_lock(&bh_lock);
    if (!bh->scheduled) {
        bh->scheduled = true;
        QSIMPLEQ_INSERT_TAIL(&bh_queue, bh, next);
        wake = true;
    }
    qemu_mutex_unlock(&bh_lock);
    if (wake) {
        qemu_notify_event();
    }
}

void qemu_bh_schedule_oneshot(QEMUBHFunc *cb, void *opaque)
{
    QEMUBH *bh = qemu_bh_new_full(cb, opaque, "oneshot");

    bh->oneshot = true;
    qemu_bh_schedule(bh);
}

void qemu_bh_cancel(QEMUBH *bh)
{
    qemu_mutex_lock(&bh_lock);
    if (bh->scheduled) {
        QSIMPLEQ_REMOVE(&bh_queue, bh, QEMUBH, next);
        bh->scheduled = false;
    }
    qemu_mutex_unlock(&bh_lock);
}

void qemu_bh_delete(QEMUBH *bh)
{
    if (!bh) {
        return;
    }
    qemu_bh_cancel(bh);
    g_free(bh);
}

static bool bh_pending(void)
{
    bool pending;

    qemu_mutex_lock(&bh_lock);
    pending = !QSIMPLEQ_EMPTY(&bh_queue);
    qemu_mutex_unlock(&bh_lock);
    return pending;
}

/*
 * Run the bottom halves that were scheduled when we started (a BH that
 * reschedules itself runs again in the next iteration, not forever now).
 */
static void bh_run_all(void)
{
    size_t n = 0;
    QEMUBH *bh;

    qemu_mutex_lock(&bh_lock);
    QSIMPLEQ_FOREACH(bh, &bh_queue, next) {
        n++;
    }
    qemu_mutex_unlock(&bh_lock);

    while (n--) {
        qemu_mutex_lock(&bh_lock);
        bh = QSIMPLEQ_FIRST(&bh_queue);
        if (bh) {
            QSIMPLEQ_REMOVE_HEAD(&bh_queue, next);
            bh->scheduled = false;
        }
        qemu_mutex_unlock(&bh_lock);
        if (!bh) {
            break;
        }
        /* The callback may delete or reschedule @bh: don't touch it after. */
        if (bh->oneshot) {
            QEMUBHFunc *cb = bh->cb;
            void *opaque = bh->opaque;

            g_free(bh);
            cb(opaque);
        } else {
            bh->cb(bh->opaque);
        }
    }
}

static gboolean bh_source_prepare(GSource *source, gint *timeout)
{
    *timeout = -1;
    return bh_pending();
}

static gboolean bh_source_check(GSource *source)
{
    return bh_pending();
}

static gboolean bh_source_dispatch(GSource *source, GSourceFunc callback,
                                   gpointer user_data)
{
    bh_run_all();
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs bh_source_funcs = {
    .prepare = bh_source_prepare,
    .check = bh_source_check,
    .dispatch = bh_source_dispatch,
};

/*
 * File descriptor handlers (main thread only)
 */

typedef struct IOHandlerRecord {
    int fd;
    IOHandler *fd_read;
    IOHandler *fd_write;
    void *opaque;
    GPollFD pfd;                        /* registered with iohandler_source */
    bool deleted;                       /* to be freed when not walking */
    QLIST_ENTRY(IOHandlerRecord) next;
} IOHandlerRecord;

static QLIST_HEAD(, IOHandlerRecord) io_handlers =
    QLIST_HEAD_INITIALIZER(io_handlers);
/* Dispatch depth: records are freed only when nobody walks the list. */
static int io_handlers_walking;
static GSource *iohandler_source;

#define IOH_READ_EVENTS (G_IO_IN | G_IO_HUP | G_IO_ERR | G_IO_NVAL)
#define IOH_WRITE_EVENTS (G_IO_OUT | G_IO_ERR | G_IO_NVAL)

static void io_handlers_reap(void)
{
    IOHandlerRecord *ioh, *tmp;

    if (io_handlers_walking) {
        return;
    }
    QLIST_FOREACH_SAFE(ioh, &io_handlers, next, tmp) {
        if (ioh->deleted) {
            QLIST_REMOVE(ioh, next);
            g_free(ioh);
        }
    }
}

void qemu_set_fd_handler(int fd, IOHandler *fd_read, IOHandler *fd_write,
                         void *opaque)
{
    IOHandlerRecord *ioh;

    assert(fd >= 0);
    assert(iohandler_source);
    trace_main_loop_fd_handler(fd, fd_read != NULL, fd_write != NULL);

    QLIST_FOREACH(ioh, &io_handlers, next) {
        if (ioh->fd == fd && !ioh->deleted) {
            break;
        }
    }

    if (!fd_read && !fd_write) {
        if (ioh) {
            g_source_remove_poll(iohandler_source, &ioh->pfd);
            ioh->deleted = true;
            io_handlers_reap();
        }
        return;
    }

    if (!ioh) {
        ioh = g_new0(IOHandlerRecord, 1);
        ioh->fd = fd;
        ioh->pfd.fd = fd;
        QLIST_INSERT_HEAD(&io_handlers, ioh, next);
        g_source_add_poll(iohandler_source, &ioh->pfd);
    }
    ioh->fd_read = fd_read;
    ioh->fd_write = fd_write;
    ioh->opaque = opaque;
    ioh->pfd.events = (fd_read ? G_IO_IN | G_IO_HUP | G_IO_ERR : 0) |
                      (fd_write ? G_IO_OUT | G_IO_ERR : 0);
    ioh->pfd.revents = 0;
    qemu_notify_event();
}

static gboolean iohandler_source_prepare(GSource *source, gint *timeout)
{
    *timeout = -1;
    return FALSE;
}

static gboolean iohandler_source_check(GSource *source)
{
    IOHandlerRecord *ioh;

    QLIST_FOREACH(ioh, &io_handlers, next) {
        if (!ioh->deleted && (ioh->pfd.revents & (ioh->pfd.events |
                                                  G_IO_NVAL))) {
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean iohandler_source_dispatch(GSource *source,
                                          GSourceFunc callback,
                                          gpointer user_data)
{
    IOHandlerRecord *ioh;

    io_handlers_walking++;
    QLIST_FOREACH(ioh, &io_handlers, next) {
        int revents = ioh->pfd.revents;

        ioh->pfd.revents = 0;
        if (!ioh->deleted && ioh->fd_read && (revents & IOH_READ_EVENTS)) {
            ioh->fd_read(ioh->opaque);
        }
        if (!ioh->deleted && ioh->fd_write &&
            (revents & IOH_WRITE_EVENTS)) {
            ioh->fd_write(ioh->opaque);
        }
    }
    io_handlers_walking--;
    io_handlers_reap();
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs iohandler_source_funcs = {
    .prepare = iohandler_source_prepare,
    .check = iohandler_source_check,
    .dispatch = iohandler_source_dispatch,
};

/*
 * Timers: the source's timeout is the first deadline of any clock.
 */

/* Milliseconds until the first timer deadline (rounded up), -1 if none. */
static gint timers_timeout_ms(void)
{
    int64_t deadline = -1;
    QEMUClockType type;

    for (type = 0; type < QEMU_CLOCK_MAX; type++) {
        int64_t ns = qemu_clock_deadline_ns_all(type, 0);

        if (ns >= 0 && (deadline < 0 || ns < deadline)) {
            deadline = ns;
        }
    }
    if (deadline < 0) {
        return -1;
    }
    return MIN(DIV_ROUND_UP(deadline, SCALE_MS), (int64_t)INT_MAX);
}

static gboolean timer_source_prepare(GSource *source, gint *timeout)
{
    *timeout = timers_timeout_ms();
    return *timeout == 0;
}

static gboolean timer_source_check(GSource *source)
{
    return timers_timeout_ms() == 0;
}

static gboolean timer_source_dispatch(GSource *source, GSourceFunc callback,
                                      gpointer user_data)
{
    qemu_clock_run_all_timers();
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_source_funcs = {
    .prepare = timer_source_prepare,
    .check = timer_source_check,
    .dispatch = timer_source_dispatch,
};

/*
 * The loop
 */

static bool main_loop_initialized;
static GArray *gpollfds;

static void attach_source(GSourceFuncs *funcs, const char *name,
                          GSource **out)
{
    GSource *src = g_source_new(funcs, sizeof(GSource));

    g_source_set_name(src, name);
    g_source_set_can_recurse(src, TRUE);
    g_source_attach(src, NULL);
    if (out) {
        *out = src;
    }
    g_source_unref(src);
}

int qemu_init_main_loop(Error **errp)
{
    struct sigaction act;

    if (main_loop_initialized) {
        return 0;
    }

    memset(&act, 0, sizeof(act));
    act.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &act, NULL) < 0) {
        error_setg_errno(errp, errno, "Failed to ignore SIGPIPE");
        return -errno;
    }

    gpollfds = g_array_new(FALSE, FALSE, sizeof(GPollFD));
    attach_source(&bh_source_funcs, "bottom-halves", NULL);
    attach_source(&iohandler_source_funcs, "io-handlers", &iohandler_source);
    attach_source(&timer_source_funcs, "timers", NULL);
    main_loop_initialized = true;
    return 0;
}

/* One iteration, waiting at most @max_ms milliseconds (-1: no limit). */
static void main_loop_iterate(int max_ms)
{
    GMainContext *ctx = g_main_context_default();
    gint max_priority, timeout, nfds;
    bool drop_bql = qemu_mutex_iothread_locked();

    assert(main_loop_initialized);
    if (!g_main_context_acquire(ctx)) {
        return;
    }

    g_main_context_prepare(ctx, &max_priority);
    for (;;) {
        nfds = g_main_context_query(ctx, max_priority, &timeout,
                                    (GPollFD *)gpollfds->data,
                                    gpollfds->len);
        if (nfds <= (gint)gpollfds->len) {
            break;
        }
        g_array_set_size(gpollfds, nfds);
    }
    if (max_ms >= 0 && (timeout < 0 || timeout > max_ms)) {
        timeout = max_ms;
    }

    if (drop_bql) {
        qemu_mutex_unlock_iothread();
    }
    g_poll((GPollFD *)gpollfds->data, nfds, timeout);
    if (drop_bql) {
        qemu_mutex_lock_iothread();
    }

    if (g_main_context_check(ctx, max_priority,
                             (GPollFD *)gpollfds->data, nfds)) {
        g_main_context_dispatch(ctx);
    }
    g_main_context_release(ctx);
}

void main_loop_wait(int nonblocking)
{
    main_loop_iterate(nonblocking ? 0 : -1);
}

bool main_loop_poll_until(bool (*cond)(void *opaque), void *opaque,
                          int64_t timeout_ms)
{
    int64_t deadline = timeout_ms < 0 ? -1 :
        qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + timeout_ms;

    while (!cond(opaque)) {
        int64_t left = -1;

        if (deadline >= 0) {
            left = deadline - qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
            if (left <= 0) {
                return cond(opaque);
            }
        }
        main_loop_iterate(MIN(left, (int64_t)INT_MAX));
    }
    return true;
}
