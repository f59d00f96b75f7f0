/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The main loop: BQL, bottom halves, fd handlers (QEMU 7.2 names). */
#ifndef QEMU_MAIN_LOOP_H
#define QEMU_MAIN_LOOP_H

#include "qemu/thread.h"
#include "qemu/lockable.h"
#include "qemu/timer.h"

/*
 * The main loop runs on GLib's default GMainContext in the main thread.
 * Every handler it runs (bottom halves, fd handlers, timers, GSources
 * attached to the default context) runs with the BQL held; the BQL is
 * dropped only while main_loop_wait() polls.
 */

/**
 * qemu_init_main_loop:
 * Set up the main loop; call from the main thread before any other main
 * loop function (later calls do nothing).  It does not take the BQL: call
 * qemu_mutex_lock_iothread() next, as QEMU's qemu_init() does.  Also sets
 * SIGPIPE to be ignored (writes to closed sockets fail with EPIPE).
 * Returns 0, or a negative errno with @errp set.
 */
int qemu_init_main_loop(Error **errp);

/**
 * main_loop_wait:
 * Wait (with the BQL dropped) until an fd is ready, a bottom half is
 * scheduled, a timer expires or qemu_notify_event() is called; then run
 * the ready handlers with the BQL held.  @nonblocking: do not wait.
 */
void main_loop_wait(int nonblocking);

/**
 * qemu_notify_event:
 * Wake main_loop_wait() up from any thread.
 */
void qemu_notify_event(void);

/**
 * qemu_mutex_iothread_locked:
 * Returns: true if the calling thread holds the BQL.
 */
bool qemu_mutex_iothread_locked(void);

/**
 * qemu_in_main_thread:
 * Returns: true if the calling thread may use the block layer's global
 * state.  In an emulator (minivmm is one) that is the thread holding the
 * BQL, whichever thread it is.
 */
bool qemu_in_main_thread(void);

/*
 * Thread contracts, as QEMU 7.2 marks them (see block/block.h): a
 * function of the global-state API starts with GLOBAL_STATE_CODE() and
 * aborts, naming itself, when called without the BQL; IO_CODE() and
 * IO_OR_GS_CODE() mark functions any thread may call and check nothing.
 */
void qemu_global_state_violation(const char *func) G_GNUC_NORETURN;
#define GLOBAL_STATE_CODE() \
    (qemu_in_main_thread() ? (void)0 : qemu_global_state_violation(__func__))
#define IO_CODE() ((void)0)
#define IO_OR_GS_CODE() ((void)0)

/**
 * qemu_mutex_lock_iothread:
 * Take the big QEMU lock (BQL).  It is not recursive: the caller must not
 * hold it already.
 */
void qemu_mutex_lock_iothread_impl(const char *file, int line);
#define qemu_mutex_lock_iothread() \
    qemu_mutex_lock_iothread_impl(__FILE__, __LINE__)

/**
 * qemu_mutex_unlock_iothread: Release the BQL (held by the caller).
 */
void qemu_mutex_unlock_iothread(void);

/**
 * qemu_mutex_iothread_lend: minivmm's (not in QEMU 7.2).  If a thread
 * waits for the BQL, which the caller holds, let it have it and take it
 * back once it is done: a long job under the BQL (a migration section
 * that loads for long) calls it now and then so that the monitor
 * answers meanwhile.  What the BQL guards may have changed on return.
 * Returns whether it was lent.
 */
bool qemu_mutex_iothread_lend(void);

/* Like qemu_cond_wait()/timedwait() with the BQL as the mutex. */
void qemu_cond_wait_iothread(QemuCond *cond);
void qemu_cond_timedwait_iothread(QemuCond *cond, int ms);

/* Take the BQL unless already held, for the rest of the scope. */
#define QEMU_IOTHREAD_LOCK_GUARD()                                      \
    g_autoptr(IOThreadLockAuto) _iothread_lock_auto G_GNUC_UNUSED =     \
        qemu_iothread_auto_lock(__FILE__, __LINE__)

typedef struct IOThreadLockAuto IOThreadLockAuto;

static inline IOThreadLockAuto *qemu_iothread_auto_lock(const char *file,
                                                        int line)
{
    if (qemu_mutex_iothread_locked()) {
        return NULL;
    }
    qemu_mutex_lock_iothread_impl(file, line);
    /* Anything non-NULL causes the cleanup function to be called */
    return (IOThreadLockAuto *)(uintptr_t)1;
}

static inline void qemu_iothread_auto_unlock(IOThreadLockAuto *l)
{
    qemu_mutex_unlock_iothread();
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(IOThreadLockAuto, qemu_iothread_auto_unlock)

/*
 * Bottom halves: callbacks scheduled to run once, soon, in the main loop
 * (with the BQL held).  qemu_bh_schedule() may be called from any thread.
 */
typedef void QEMUBHFunc(void *opaque);

/* Create a bottom half; @name is for debugging (the callback's name). */
QEMUBH *qemu_bh_new_full(QEMUBHFunc *cb, void *opaque, const char *name);
#define qemu_bh_new(cb, opaque) \
    qemu_bh_new_full((cb), (opaque), (stringify(cb)))

/*
 * Schedule @bh to run once in the main loop.  Scheduling an already
 * scheduled BH has no effect.  Thread-safe; wakes the main loop.
 */
void qemu_bh_schedule(QEMUBH *bh);

/*
 * Unschedule @bh if scheduled.  Only call this from the main thread: from
 * another thread, the callback may already be running.
 */
void qemu_bh_cancel(QEMUBH *bh);

/* Cancel and free @bh (main thread only; may be called from its callback). */
void qemu_bh_delete(QEMUBH *bh);

/*
 * Run @cb(@opaque) once in the main loop, like a BH that deletes itself
 * (QEMU's aio_bh_schedule_oneshot on the main context).  Thread-safe.
 */
void qemu_bh_schedule_oneshot(QEMUBHFunc *cb, void *opaque);

/*
 * File descriptor handlers.
 */
typedef void IOHandler(void *opaque);

/**
 * qemu_set_fd_handler:
 * Call @fd_read(@opaque) whenever @fd is readable (or at EOF/error) and
 * @fd_write(@opaque) whenever it is writable, from the main loop with the
 * BQL held.  Calling it again for the same @fd replaces the handlers; two
 * NULL handlers remove them.  Main thread only (or with the BQL held).
 */
void qemu_set_fd_handler(int fd, IOHandler *fd_read, IOHandler *fd_write,
                         void *opaque);

/*
 * Poll the main loop until @cond(@opaque) is true or @timeout_ms passes
 * (negative: no timeout).  Call with the BQL held, from the main thread.
 * Returns true if @cond became true.  For tests and shutdown paths.
 */
bool main_loop_poll_until(bool (*cond)(void *opaque), void *opaque,
                          int64_t timeout_ms);

#endif /* QEMU_MAIN_LOOP_H */
