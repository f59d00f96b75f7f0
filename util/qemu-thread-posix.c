/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QemuMutex, QemuCond, QemuSemaphore, QemuEvent, QemuThread over pthreads. */
#include "qemu/osdep.h"
#include "qemu/thread.h"

#include <sys/syscall.h>

static bool name_threads = true;

void qemu_thread_naming(bool enable)
{
    name_threads = enable;
}

/* A failed pthread call is a programming error (or out of resources). */
G_NORETURN static void error_exit(int err, const char *msg)
{
    fprintf(stderr, "qemu: %s: %s\n", msg, strerror(err));
    abort();
}

/* The absolute CLOCK_MONOTONIC time @ms milliseconds from now. */
static void compute_abs_deadline(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_nsec += (ms % 1000) * 1000000L;
    ts->tv_sec += ms / 1000;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

void qemu_mutex_init(QemuMutex *mutex)
{
    int err;

    err = pthread_mutex_init(&mutex->lock, NULL);
    if (err) {
        error_exit(err, __func__);
    }
    mutex->initialized = true;
}

void qemu_mutex_destroy(QemuMutex *mutex)
{
    int err;

    assert(mutex->initialized);
    mutex->initialized = false;
    err = pthread_mutex_destroy(&mutex->lock);
    if (err) {
        error_exit(err, __func__);
    }
}

void qemu_mutex_lock_impl(QemuMutex *mutex, const char *file, const int line)
{
    int err;

    assert(mutex->initialized);
    err = pthread_mutex_lock(&mutex->lock);
    if (err) {
        error_exit(err, __func__);
    }
}

int qemu_mutex_trylock_impl(QemuMutex *mutex, const char *file,
                            const int line)
{
    int err;

    assert(mutex->initialized);
    err = pthread_mutex_trylock(&mutex->lock);
    if (err == 0) {
        return 0;
    }
    if (err != EBUSY) {
        error_exit(err, __func__);
    }
    return -EBUSY;
}

void qemu_mutex_unlock_impl(QemuMutex *mutex, const char *file,
                            const int line)
{
    int err;

    assert(mutex->initialized);
    err = pthread_mutex_unlock(&mutex->lock);
    if (err) {
        error_exit(err, __func__);
    }
}

void qemu_rec_mutex_init(QemuRecMutex *mutex)
{
    int err;
    pthread_mutexattr_t attr;

    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    err = pthread_mutex_init(&mutex->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    if (err) {
        error_exit(err, __func__);
    }
    mutex->initialized = true;
}

void qemu_rec_mutex_destroy(QemuRecMutex *mutex)
{
    int err;

    assert(mutex->initialized);
    mutex->initialized = false;
    err = pthread_mutex_destroy(&mutex->lock);
    if (err) {
        error_exit(err, __func__);
    }
}

void qemu_rec_mutex_lock_impl(QemuRecMutex *mutex, const char *file,
                              int line)
{
    int err;

    assert(mutex->initialized);
    err = pthread_mutex_lock(&mutex->lock);
    if (err) {
        error_exit(err, __func__);
    }
}

int qemu_rec_mutex_trylock_impl(QemuRecMutex *mutex, const char *file,
                                int line)
{
    int err;

    assert(mutex->initialized);
    err = pthread_mutex_trylock(&mutex->lock);
    if (err == 0) {
        return 0;
    }
    if (err != EBUSY) {
        error_exit(err, __func__);
    }
    return -EBUSY;
}

void qemu_rec_mutex_unlock_impl(QemuRecMutex *mutex, const char *file,
                                int line)
{
    int err;

    assert(mutex->initialized);
    err = pthread_mutex_unlock(&mutex->lock);
    if (err) {
        error_exit(err, __func__);
    }
}

void qemu_cond_init(QemuCond *cond)
{
    pthread_condattr_t attr;
    int err;

    err = pthread_condattr_init(&attr);
    if (err) {
        error_exit(err, __func__);
    }
    err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (err) {
        error_exit(err, __func__);
    }
    err = pthread_cond_init(&cond->cond, &attr);
    if (err) {
        error_exit(err, __func__);
    }
    pthread_condattr_destroy(&attr);
    cond->initialized = true;
}

void qemu_cond_destroy(QemuCond *cond)
{
    int err;

    assert(cond->initialized);
    cond->initialized = false;
    err = pthread_cond_destroy(&cond->cond);
    if (err) {
        error_exit(err, __func__);
    }
}

void qemu_cond_signal(QemuCond *cond)
{
    int err;

    assert(cond->initialized);
    err = pthread_cond_signal(&cond->cond);
    if (err) {
        error_exit(err, __func__);
    }
}

void qemu_cond_broadcast(QemuCond *cond)
{
    int err;

    assert(cond->initialized);
    err = pthread_cond_broadcast(&cond->cond);
    if (err) {
        error_exit(err, __func__);
    }
}

void qemu_cond_wait_impl(QemuCond *cond, QemuMutex *mutex,
                         const char *file, const int line)
{
    int err;

    assert(cond->initialized);
    err = pthread_cond_wait(&cond->cond, &mutex->lock);
    if (err) {
        error_exit(err, __func__);
    }
}

bool qemu_cond_timedwait_impl(QemuCond *cond, QemuMutex *mutex, int ms,
                              const char *file, const int line)
{
    struct timespec ts;
    int err;

    assert(cond->initialized);
    compute_abs_deadline(&ts, ms);
    err = pthread_cond_timedwait(&cond->cond, &mutex->lock, &ts);
    if (err && err != ETIMEDOUT) {
        error_exit(err, __func__);
    }
    return err != ETIMEDOUT;
}

void qemu_sem_init(QemuSemaphore *sem, int init)
{
    assert(init >= 0);
    qemu_mutex_init(&sem->mutex);
    qemu_cond_init(&sem->cond);
    sem->count = init;
}

void qemu_sem_destroy(QemuSemaphore *sem)
{
    qemu_cond_destroy(&sem->cond);
    qemu_mutex_destroy(&sem->mutex);
}

void qemu_sem_post(QemuSemaphore *sem)
{
    qemu_mutex_lock(&sem->mutex);
    if (sem->count == UINT_MAX) {
        error_exit(EINVAL, __func__);
    }
    sem->count++;
    qemu_cond_signal(&sem->cond);
    qemu_mutex_unlock(&sem->mutex);
}

int qemu_sem_timedwait(QemuSemaphore *sem, int ms)
{
    struct timespec ts;
    int err = 0;

    compute_abs_deadline(&ts, ms);
    qemu_mutex_lock(&sem->mutex);
    while (sem->count == 0) {
        err = pthread_cond_timedwait(&sem->cond.cond, &sem->mutex.lock, &ts);
        if (err == ETIMEDOUT) {
            break;
        }
        if (err) {
            error_exit(err, __func__);
        }
    }
    if (sem->count > 0) {
        sem->count--;
        err = 0;
    }
    qemu_mutex_unlock(&sem->mutex);
    return err == ETIMEDOUT ? -1 : 0;
}

void qemu_sem_wait(QemuSemaphore *sem)
{
    qemu_mutex_lock(&sem->mutex);
    while (sem->count == 0) {
        qemu_cond_wait(&sem->cond, &sem->mutex);
    }
    sem->count--;
    qemu_mutex_unlock(&sem->mutex);
}

void qemu_event_init(QemuEvent *ev, bool init)
{
    qemu_mutex_init(&ev->lock);
    qemu_cond_init(&ev->cond);
    ev->value = init;
    ev->initialized = true;
}

void qemu_event_destroy(QemuEvent *ev)
{
    assert(ev->initialized);
    ev->initialized = false;
    qemu_cond_destroy(&ev->cond);
    qemu_mutex_destroy(&ev->lock);
}

void qemu_event_set(QemuEvent *ev)
{
    assert(ev->initialized);
    qemu_mutex_lock(&ev->lock);
    ev->value = true;
    qemu_cond_broadcast(&ev->cond);
    qemu_mutex_unlock(&ev->lock);
}

void qemu_event_reset(QemuEvent *ev)
{
    assert(ev->initialized);
    qemu_mutex_lock(&ev->lock);
    ev->value = false;
    qemu_mutex_unlock(&ev->lock);
}

void qemu_event_wait(QemuEvent *ev)
{
    assert(ev->initialized);
    qemu_mutex_lock(&ev->lock);
    while (!ev->value) {
        qemu_cond_wait(&ev->cond, &ev->lock);
    }
    qemu_mutex_unlock(&ev->lock);
}

int qemu_get_thread_id(void)
{
    return syscall(SYS_gettid);
}

/* What the new thread needs to start. */
typedef struct QemuThreadArgs {
    void *(*start_routine)(void *);
    void *arg;
    char *name;
} QemuThreadArgs;

static void *qemu_thread_start(void *args)
{
    QemuThreadArgs *qemu_thread_args = args;
    void *(*start_routine)(void *) = qemu_thread_args->start_routine;
    void *arg = qemu_thread_args->arg;
    void *r;

    if (qemu_thread_args->name) {
        /* The kernel limits names to 15 characters. */
        char name[16];

        g_strlcpy(name, qemu_thread_args->name, sizeof(name));
        pthread_setname_np(pthread_self(), name);
    }
    g_free(qemu_thread_args->name);
    g_free(qemu_thread_args);

    r = start_routine(arg);
    return r;
}

void qemu_thread_create(QemuThread *thread, const char *name,
                        void *(*start_routine)(void *),
                        void *arg, int mode)
{
    sigset_t set, oldset;
    int err;
    pthread_attr_t attr;
    QemuThreadArgs *qemu_thread_args;

    err = pthread_attr_init(&attr);
    if (err) {
        error_exit(err, __func__);
    }

    if (mode == QEMU_THREAD_DETACHED) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    }

    /* Leave signal handling to the main thread. */
    sigfillset(&set);
    /* Blocking the signals can result in undefined behaviour. */
    sigdelset(&set, SIGSEGV);
    sigdelset(&set, SIGFPE);
    sigdelset(&set, SIGILL);
    sigdelset(&set, SIGBUS);
    pthread_sigmask(SIG_SETMASK, &set, &oldset);

    qemu_thread_args = g_new0(QemuThreadArgs, 1);
    qemu_thread_args->name = name_threads ? g_strdup(name) : NULL;
    qemu_thread_args->start_routine = start_routine;
    qemu_thread_args->arg = arg;

    err = pthread_create(&thread->thread, &attr,
                         qemu_thread_start, qemu_thread_args);
    if (err) {
        error_exit(err, __func__);
    }

    pthread_sigmask(SIG_SETMASK, &oldset, NULL);
    pthread_attr_destroy(&attr);
}

void qemu_thread_get_self(QemuThread *thread)
{
    thread->thread = pthread_self();
}

bool qemu_thread_is_self(QemuThread *thread)
{
    return pthread_equal(pthread_self(), thread->thread);
}

void qemu_thread_exit(void *retval)
{
    pthread_exit(retval);
}

void *qemu_thread_join(QemuThread *thread)
{
    int err;
    void *ret;

    err = pthread_join(thread->thread, &ret);
    if (err) {
        error_exit(err, __func__);
    }
    return ret;
}
