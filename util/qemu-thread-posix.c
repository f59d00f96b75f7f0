/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QEMU's threads and locks, on GLib's GThread, GMutex, GRecMutex, GCond. */
#include "qemu/osdep.h"
#include "qemu/thread.h"

#include <sys/syscall.h>

/*
 * GLib aborts by itself when the C library fails it underneath, so what
 * is left here is QEMU's API and the "used while initialised" checks.
 */

/* The monotonic time, as GCond counts it, @ms milliseconds from now. */
static gint64 deadline_in(int ms)
{
    return g_get_monotonic_time() + (gint64)ms * G_TIME_SPAN_MILLISECOND;
}

void qemu_mutex_init(QemuMutex *mutex)
{
    g_mutex_init(&mutex->lock);
    mutex->initialized = true;
}

void qemu_mutex_destroy(QemuMutex *mutex)
{
    assert(mutex->initialized);
    g_mutex_clear(&mutex->lock);
    mutex->initialized = false;
}

void qemu_mutex_lock_impl(QemuMutex *mutex, const char *file, const int line)
{
    assert(mutex->initialized);
    g_mutex_lock(&mutex->lock);
}

int qemu_mutex_trylock_impl(QemuMutex *mutex, const char *file,
                            const int line)
{
    assert(mutex->initialized);
    return g_mutex_trylock(&mutex->lock) ? 0 : -EBUSY;
}

void qemu_mutex_unlock_impl(QemuMutex *mutex, const char *file,
                            const int line)
{
    assert(mutex->initialized);
    g_mutex_unlock(&mutex->lock);
}

void qemu_rec_mutex_init(QemuRecMutex *mutex)
{
    g_rec_mutex_init(&mutex->lock);
    mutex->initialized = true;
}

void qemu_rec_mutex_destroy(QemuRecMutex *mutex)
{
    assert(mutex->initialized);
    g_rec_mutex_clear(&mutex->lock);
    mutex->initialized = false;
}

void qemu_rec_mutex_lock_impl(QemuRecMutex *mutex, const char *file,
                              int line)
{
    assert(mutex->initialized);
    g_rec_mutex_lock(&mutex->lock);
}

int qemu_rec_mutex_trylock_impl(QemuRecMutex *mutex, const char *file,
                                int line)
{
    assert(mutex->initialized);
    return g_rec_mutex_trylock(&mutex->lock) ? 0 : -EBUSY;
}

void qemu_rec_mutex_unlock_impl(QemuRecMutex *mutex, const char *file,
                                int line)
{
    assert(mutex->initialized);
    g_rec_mutex_unlock(&mutex->lock);
}

void qemu_cond_init(QemuCond *cond)
{
    g_cond_init(&cond->cond);
    cond->initialized = true;
}

void qemu_cond_destroy(QemuCond *cond)
{
    assert(cond->initialized);
    g_cond_clear(&cond->cond);
    cond->initialized = false;
}

void qemu_cond_signal(QemuCond *cond)
{
    assert(cond->initialized);
    g_cond_signal(&cond->cond);
}

void qemu_cond_broadcast(QemuCond *cond)
{
    assert(cond->initialized);
    g_cond_broadcast(&cond->cond);
}

void qemu_cond_wait_impl(QemuCond *cond, QemuMutex *mutex,
                         const char *file, const int line)
{
    assert(cond->initialized && mutex->initialized);
    g_cond_wait(&cond->cond, &mutex->lock);
}

bool qemu_cond_timedwait_impl(QemuCond *cond, QemuMutex *mutex, int ms,
                              const char *file, const int line)
{
    assert(cond->initialized && mutex->initialized);
    return g_cond_wait_until(&cond->cond, &mutex->lock, deadline_in(ms));
}

/*
 * Semaphores and events are a count or a flag under a GMutex, with a
 * GCond to sleep on until it changes.
 */

void qemu_sem_init(QemuSemaphore *sem, int init)
{
    assert(init >= 0);
    g_mutex_init(&sem->lock);
    g_cond_init(&sem->posted);
    sem->count = init;
    sem->initialized = true;
}

void qemu_sem_destroy(QemuSemaphore *sem)
{
    assert(sem->initialized);
    g_cond_clear(&sem->posted);
    g_mutex_clear(&sem->lock);
    sem->initialized = false;
}

void qemu_sem_post(QemuSemaphore *sem)
{
    assert(sem->initialized);
    g_mutex_lock(&sem->lock);
    assert(sem->count < UINT_MAX);
    sem->count++;
    g_cond_signal(&sem->posted);
    g_mutex_unlock(&sem->lock);
}

/*
 * Take a unit, sleeping until one is posted, or until the monotonic
 * time @deadline (if not 0) passes.  True if a unit was taken.
 */
static bool sem_take(QemuSemaphore *sem, gint64 deadline)
{
    bool took;

    assert(sem->initialized);
    g_mutex_lock(&sem->lock);
    while (sem->count == 0) {
        if (!deadline) {
            g_cond_wait(&sem->posted, &sem->lock);
        } else if (!g_cond_wait_until(&sem->posted, &sem->lock, deadline)) {
            break;
        }
    }
    /* Even after a timeout, a unit posted meanwhile is taken. */
    took = sem->count > 0;
    if (took) {
        sem->count--;
    }
    g_mutex_unlock(&sem->lock);
    return took;
}

void qemu_sem_wait(QemuSemaphore *sem)
{
    sem_take(sem, 0);
}

int qemu_sem_timedwait(QemuSemaphore *sem, int ms)
{
    return sem_take(sem, deadline_in(ms)) ? 0 : -1;
}

void qemu_event_init(QemuEvent *ev, bool init)
{
    g_mutex_init(&ev->lock);
    g_cond_init(&ev->raised);
    ev->is_set = init;
    ev->initialized = true;
}

void qemu_event_destroy(QemuEvent *ev)
{
    assert(ev->initialized);
    g_cond_clear(&ev->raised);
    g_mutex_clear(&ev->lock);
    ev->initialized = false;
}

/* Raise or lower the flag; raising wakes everyone waiting. */
static void event_put(QemuEvent *ev, bool raise)
{
    assert(ev->initialized);
    g_mutex_lock(&ev->lock);
    ev->is_set = raise;
    if (raise) {
        g_cond_broadcast(&ev->raised);
    }
    g_mutex_unlock(&ev->lock);
}

void qemu_event_set(QemuEvent *ev)
{
    event_put(ev, true);
}

void qemu_event_reset(QemuEvent *ev)
{
    event_put(ev, false);
}

void qemu_event_wait(QemuEvent *ev)
{
    assert(ev->initialized);
    g_mutex_lock(&ev->lock);
    while (!ev->is_set) {
        g_cond_wait(&ev->raised, &ev->lock);
    }
    g_mutex_unlock(&ev->lock);
}

int qemu_get_thread_id(void)
{
    return syscall(SYS_gettid);
}

/*
 * Threads.  GThread runs the routine under the name it is given (the
 * kernel takes at most 15 characters of it, so it is cut here) and a new
 * thread inherits its creator's signal mask: blocking every signal but
 * the synchronous ones around the creation leaves signal handling to
 * the main thread.
 */
void qemu_thread_create(QemuThread *thread, const char *name,
                        void *(*start_routine)(void *),
                        void *arg, int mode)
{
    static const int synchronous[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE };
    g_autofree char *short_name = g_strndup(name, 15);
    g_autoptr(GError) err = NULL;
    sigset_t blocked, previous;
    size_t i;

    sigfillset(&blocked);
    for (i = 0; i < ARRAY_SIZE(synchronous); i++) {
        sigdelset(&blocked, synchronous[i]);
    }
    pthread_sigmask(SIG_SETMASK, &blocked, &previous);
    thread->thread = g_thread_try_new(short_name, start_routine, arg, &err);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);

    if (!thread->thread) {
        fprintf(stderr, "qemu_thread_create: %s\n", err->message);
        abort();
    }
    if (mode == QEMU_THREAD_DETACHED) {
        /*
         * Without our reference the thread frees itself when done; the
         * pointer stays only for qemu_thread_is_self() from within.
         */
        g_thread_unref(thread->thread);
    }
}

void *qemu_thread_join(QemuThread *thread)
{
    void *ret = g_thread_join(thread->thread);

    thread->thread = NULL;
    return ret;
}

void qemu_thread_get_self(QemuThread *thread)
{
    thread->thread = g_thread_self();
}

bool qemu_thread_is_self(QemuThread *thread)
{
    return thread->thread == g_thread_self();
}
