/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Threads and synchronisation primitives over pthreads, as QEMU's. */
#ifndef QEMU_THREAD_H
#define QEMU_THREAD_H

#include <pthread.h>

typedef struct QemuMutex QemuMutex;
typedef struct QemuRecMutex QemuRecMutex;
typedef struct QemuCond QemuCond;
typedef struct QemuSemaphore QemuSemaphore;
typedef struct QemuEvent QemuEvent;
typedef struct QemuThread QemuThread;

struct QemuMutex {
    pthread_mutex_t lock;
    bool initialized;       /* between qemu_mutex_init() and _destroy() */
};

/* A mutex the owning thread may lock again (counted). */
struct QemuRecMutex {
    pthread_mutex_t lock;
    bool initialized;
};

struct QemuCond {
    pthread_cond_t cond;    /* uses CLOCK_MONOTONIC for timed waits */
    bool initialized;
};

struct QemuSemaphore {
    QemuMutex mutex;
    QemuCond cond;
    unsigned int count;     /* available units */
};

/* A manual-reset event: set wakes all waiters until reset. */
struct QemuEvent {
    QemuMutex lock;
    QemuCond cond;
    bool value;             /* true while set */
    bool initialized;
};

struct QemuThread {
    pthread_t thread;
};

#define QEMU_THREAD_JOINABLE 0
#define QEMU_THREAD_DETACHED 1

/*
 * Mutexes.  Errors from pthreads (other than EBUSY from trylock) are
 * programming errors: they print "qemu: <function>: <strerror>" and abort.
 */
void qemu_mutex_init(QemuMutex *mutex);
void qemu_mutex_destroy(QemuMutex *mutex);
void qemu_mutex_lock_impl(QemuMutex *mutex, const char *file, const int line);
/* Returns 0 if locked, -EBUSY if another thread holds it. */
int qemu_mutex_trylock_impl(QemuMutex *mutex, const char *file,
                            const int line);
void qemu_mutex_unlock_impl(QemuMutex *mutex, const char *file,
                            const int line);

#define qemu_mutex_lock(mutex) \
    qemu_mutex_lock_impl(mutex, __FILE__, __LINE__)
#define qemu_mutex_trylock(mutex) \
    qemu_mutex_trylock_impl(mutex, __FILE__, __LINE__)
#define qemu_mutex_unlock(mutex) \
    qemu_mutex_unlock_impl(mutex, __FILE__, __LINE__)

void qemu_rec_mutex_init(QemuRecMutex *mutex);
void qemu_rec_mutex_destroy(QemuRecMutex *mutex);
void qemu_rec_mutex_lock_impl(QemuRecMutex *mutex, const char *file,
                              int line);
int qemu_rec_mutex_trylock_impl(QemuRecMutex *mutex, const char *file,
                                int line);
void qemu_rec_mutex_unlock_impl(QemuRecMutex *mutex, const char *file,
                                int line);

#define qemu_rec_mutex_lock(mutex) \
    qemu_rec_mutex_lock_impl(mutex, __FILE__, __LINE__)
#define qemu_rec_mutex_trylock(mutex) \
    qemu_rec_mutex_trylock_impl(mutex, __FILE__, __LINE__)
#define qemu_rec_mutex_unlock(mutex) \
    qemu_rec_mutex_unlock_impl(mutex, __FILE__, __LINE__)

/* Condition variables. */
void qemu_cond_init(QemuCond *cond);
void qemu_cond_destroy(QemuCond *cond);

/*
 * IMPORTANT: The implementation does not guarantee that pthread_cond_signal
 * and pthread_cond_broadcast can be called except while the same mutex is
 * held as in the corresponding pthread_cond_wait calls!
 */
void qemu_cond_signal(QemuCond *cond);
void qemu_cond_broadcast(QemuCond *cond);
void qemu_cond_wait_impl(QemuCond *cond, QemuMutex *mutex,
                         const char *file, const int line);
/* Returns false on timeout (after @ms milliseconds), true otherwise. */
bool qemu_cond_timedwait_impl(QemuCond *cond, QemuMutex *mutex, int ms,
                              const char *file, const int line);

#define qemu_cond_wait(cond, mutex) \
    qemu_cond_wait_impl(cond, mutex, __FILE__, __LINE__)
#define qemu_cond_timedwait(cond, mutex, ms) \
    qemu_cond_timedwait_impl(cond, mutex, ms, __FILE__, __LINE__)

/* Semaphores. */
void qemu_sem_init(QemuSemaphore *sem, int init);
void qemu_sem_post(QemuSemaphore *sem);
void qemu_sem_wait(QemuSemaphore *sem);
/* Returns 0 if a unit was taken, -1 on timeout after @ms milliseconds. */
int qemu_sem_timedwait(QemuSemaphore *sem, int ms);
void qemu_sem_destroy(QemuSemaphore *sem);

/* Events. */
void qemu_event_init(QemuEvent *ev, bool init);
void qemu_event_set(QemuEvent *ev);
void qemu_event_reset(QemuEvent *ev);
void qemu_event_wait(QemuEvent *ev);
void qemu_event_destroy(QemuEvent *ev);

/*
 * qemu_thread_create:
 * Start @start_routine(@arg) in a new thread named @name (shown by
 * debuggers; truncated to 15 characters).  @mode is
 * QEMU_THREAD_JOINABLE or QEMU_THREAD_DETACHED.  All signals are
 * blocked in the new thread.  Failure to create a thread aborts.
 */
void qemu_thread_create(QemuThread *thread, const char *name,
                        void *(*start_routine)(void *),
                        void *arg, int mode);
/* Wait for a joinable thread to finish; returns its result. */
void *qemu_thread_join(QemuThread *thread);
void qemu_thread_get_self(QemuThread *thread);
bool qemu_thread_is_self(QemuThread *thread);
G_NORETURN void qemu_thread_exit(void *retval);
/* Give threads names (default: on). */
void qemu_thread_naming(bool enable);

/* The kernel's id of the calling thread (gettid()). */
int qemu_get_thread_id(void);

#endif /* QEMU_THREAD_H */
