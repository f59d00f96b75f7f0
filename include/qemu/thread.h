/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Threads and locks with QEMU's API, built on GLib's GThread and friends. */
#ifndef QEMU_THREAD_H
#define QEMU_THREAD_H

typedef struct QemuMutex QemuMutex;
typedef struct QemuRecMutex QemuRecMutex;
typedef struct QemuCond QemuCond;
typedef struct QemuSemaphore QemuSemaphore;
typedef struct QemuEvent QemuEvent;
typedef struct QemuThread QemuThread;

/*
 * Every lock carries a flag that init sets and destroy clears, so that
 * using one outside its life asserts.  A lock in static storage may
 * instead be initialised with QEMU_MUTEX_INITIALIZER (GLib's locks need
 * no set-up there).
 */
struct QemuMutex {
    GMutex lock;
    bool initialized;
};

#define QEMU_MUTEX_INITIALIZER { .initialized = true }

/* A mutex its owner may take again; each lock needs its unlock. */
struct QemuRecMutex {
    GRecMutex lock;
    bool initialized;
};

/* Waits on a QemuCond time out by the monotonic clock. */
struct QemuCond {
    GCond cond;
    bool initialized;
};

/* A counting semaphore. */
struct QemuSemaphore {
    GMutex lock;
    GCond posted;           /* signalled by each post */
    unsigned int count;     /* units ready to be taken */
    bool initialized;
};

/* A flag threads wait on: once set, every wait returns until a reset. */
struct QemuEvent {
    GMutex lock;
    GCond raised;           /* broadcast when the flag goes up */
    bool is_set;
    bool initialized;
};

struct QemuThread {
    GThread *thread;
};

/* Call @fn with @args..., then the caller's file and line. */
#define QEMU_CALLER_(fn, ...) fn(__VA_ARGS__, __FILE__, __LINE__)

/* qemu_thread_create() modes. */
#define QEMU_THREAD_JOINABLE 0
#define QEMU_THREAD_DETACHED 1

/*
 * Mutexes.  The _impl functions take the caller's place for debugging;
 * use the macros.  trylock returns 0 once it holds the lock, -EBUSY if
 * another thread does.
 */
void qemu_mutex_init(QemuMutex *mutex);
void qemu_mutex_destroy(QemuMutex *mutex);
#define qemu_mutex_lock(mutex) QEMU_CALLER_(qemu_mutex_lock_impl, mutex)
#define qemu_mutex_trylock(mutex) QEMU_CALLER_(qemu_mutex_trylock_impl, mutex)
#define qemu_mutex_unlock(mutex) QEMU_CALLER_(qemu_mutex_unlock_impl, mutex)
void qemu_mutex_lock_impl(QemuMutex *mutex, const char *file, const int line);
int qemu_mutex_trylock_impl(QemuMutex *mutex, const char *file,
                            const int line);
void qemu_mutex_unlock_impl(QemuMutex *mutex, const char *file,
                            const int line);

/* The same for recursive mutexes. */
void qemu_rec_mutex_init(QemuRecMutex *mutex);
void qemu_rec_mutex_destroy(QemuRecMutex *mutex);
#define qemu_rec_mutex_lock(mutex) \
    QEMU_CALLER_(qemu_rec_mutex_lock_impl, mutex)
#define qemu_rec_mutex_trylock(mutex) \
    QEMU_CALLER_(qemu_rec_mutex_trylock_impl, mutex)
#define qemu_rec_mutex_unlock(mutex) \
    QEMU_CALLER_(qemu_rec_mutex_unlock_impl, mutex)
void qemu_rec_mutex_lock_impl(QemuRecMutex *mutex, const char *file,
                              int line);
int qemu_rec_mutex_trylock_impl(QemuRecMutex *mutex, const char *file,
                                int line);
void qemu_rec_mutex_unlock_impl(QemuRecMutex *mutex, const char *file,
                                int line);

/*
 * Condition variables.  Signal and broadcast only while holding the
 * mutex that the waiters use.  A timed wait returns false if @ms
 * milliseconds passed without a wake-up.
 */
void qemu_cond_init(QemuCond *cond);
void qemu_cond_destroy(QemuCond *cond);
void qemu_cond_signal(QemuCond *cond);
void qemu_cond_broadcast(QemuCond *cond);
#define qemu_cond_wait(cond, mutex) \
    QEMU_CALLER_(qemu_cond_wait_impl, cond, mutex)
#define qemu_cond_timedwait(cond, mutex, ms) \
    QEMU_CALLER_(qemu_cond_timedwait_impl, cond, mutex, ms)
void qemu_cond_wait_impl(QemuCond *cond, QemuMutex *mutex,
                         const char *file, const int line);
bool qemu_cond_timedwait_impl(QemuCond *cond, QemuMutex *mutex, int ms,
                              const char *file, const int line);

/*
 * Run @start_routine(@arg) in a new thread called @name (as debuggers
 * show it; the kernel keeps 15 characters), with every signal that may
 * be blocked blocked: the main thread handles signals.  A
 * QEMU_THREAD_JOINABLE thread must be joined, which returns what
 * @start_routine returned; a QEMU_THREAD_DETACHED one cleans up after
 * itself.  Running out of threads aborts.
 */
void qemu_thread_create(QemuThread *thread, const char *name,
                        void *(*start_routine)(void *),
                        void *arg, int mode);
void *qemu_thread_join(QemuThread *thread);

/* The calling thread, and whether @thread is it. */
void qemu_thread_get_self(QemuThread *thread);
bool qemu_thread_is_self(QemuThread *thread);

/*
 * Semaphores: @init units to start with; a timed wait returns 0 once it
 * took a unit, -1 if none came within @ms milliseconds.
 */
void qemu_sem_init(QemuSemaphore *sem, int init);
void qemu_sem_destroy(QemuSemaphore *sem);
void qemu_sem_post(QemuSemaphore *sem);
void qemu_sem_wait(QemuSemaphore *sem);
int qemu_sem_timedwait(QemuSemaphore *sem, int ms);

/* Events: @init is whether the event starts set. */
void qemu_event_init(QemuEvent *ev, bool init);
void qemu_event_destroy(QemuEvent *ev);
void qemu_event_set(QemuEvent *ev);
void qemu_event_reset(QemuEvent *ev);
void qemu_event_wait(QemuEvent *ev);

/* The kernel's id for the calling thread. */
int qemu_get_thread_id(void);

#endif /* QEMU_THREAD_H */
