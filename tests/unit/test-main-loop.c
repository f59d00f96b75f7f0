/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the main loop, BQL, timers, threads and notifiers. */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/main-loop.h"
#include "qemu/notify.h"
#include "qemu/thread.h"
#include "qemu/lockable.h"
#include "qemu/atomic.h"

/* Upper bound for anything we wait for; tests fail rather than hang. */
#define WAIT_MS 10000

static bool flag_is_set(void *opaque)
{
    return qatomic_read((int *)opaque) != 0;
}

/* Bottom halves */

static void bh_count_cb(void *opaque)
{
    int *count = opaque;

    g_assert_true(qemu_mutex_iothread_locked());
    (*count)++;
}

static void test_bh_schedule_cancel(void)
{
    int count = 0;
    QEMUBH *bh = qemu_bh_new(bh_count_cb, &count);

    qemu_bh_schedule(bh);
    qemu_bh_schedule(bh);           /* scheduling twice runs it once */
    main_loop_wait(true);
    g_assert_cmpint(count, ==, 1);
    main_loop_wait(true);
    g_assert_cmpint(count, ==, 1);

    qemu_bh_schedule(bh);
    qemu_bh_cancel(bh);
    main_loop_wait(true);
    g_assert_cmpint(count, ==, 1);

    qemu_bh_schedule(bh);
    qemu_bh_delete(bh);             /* deleting a scheduled BH is fine */
    main_loop_wait(true);
    g_assert_cmpint(count, ==, 1);
}

typedef struct SelfBH {
    QEMUBH *bh;
    int runs;
} SelfBH;

static void bh_self_cb(void *opaque)
{
    SelfBH *s = opaque;

    if (++s->runs < 3) {
        qemu_bh_schedule(s->bh);
    } else {
        qemu_bh_delete(s->bh);      /* deleting from its own callback */
    }
}

static void test_bh_reschedule_self(void)
{
    SelfBH s = { 0 };

    s.bh = qemu_bh_new(bh_self_cb, &s);
    qemu_bh_schedule(s.bh);
    /* One run per iteration: a self-rescheduling BH cannot starve. */
    main_loop_wait(true);
    g_assert_cmpint(s.runs, ==, 1);
    main_loop_wait(true);
    main_loop_wait(true);
    g_assert_cmpint(s.runs, ==, 3);
}

typedef struct ThreadBH {
    QEMUBH *bh;
    int ran;
} ThreadBH;

static void *bh_thread_fn(void *opaque)
{
    ThreadBH *t = opaque;

    g_assert_false(qemu_mutex_iothread_locked());
    qemu_bh_schedule(t->bh);
    return NULL;
}

static void bh_flag_cb(void *opaque)
{
    ThreadBH *t = opaque;

    g_assert_true(qemu_mutex_iothread_locked());
    qatomic_set(&t->ran, 1);
}

static void test_bh_from_thread(void)
{
    ThreadBH t = { 0 };
    QemuThread thread;

    t.bh = qemu_bh_new(bh_flag_cb, &t);
    qemu_thread_create(&thread, "bh-scheduler", bh_thread_fn, &t,
                       QEMU_THREAD_JOINABLE);
    /* The main loop sleeps until the other thread's schedule wakes it. */
    g_assert_true(main_loop_poll_until(flag_is_set, &t.ran, WAIT_MS));
    qemu_thread_join(&thread);
    qemu_bh_delete(t.bh);
}

static void oneshot_cb(void *opaque)
{
    qatomic_inc((int *)opaque);
}

static void *oneshot_thread_fn(void *opaque)
{
    qemu_bh_schedule_oneshot(oneshot_cb, opaque);
    return NULL;
}

static void test_bh_oneshot(void)
{
    int count = 0;
    QemuThread thread;

    qemu_thread_create(&thread, "oneshot", oneshot_thread_fn, &count,
                       QEMU_THREAD_JOINABLE);
    g_assert_true(main_loop_poll_until(flag_is_set, &count, WAIT_MS));
    qemu_thread_join(&thread);
    main_loop_wait(true);
    g_assert_cmpint(count, ==, 1);
}

/* Many threads schedule at once: no BH run may be lost, none doubled. */
#define STRESS_THREADS 4
#define STRESS_PER_THREAD 5000

static int stress_count;

static void stress_cb(void *opaque)
{
    stress_count++;                 /* BQL held: no atomics needed */
}

static void *stress_thread_fn(void *opaque)
{
    int i;

    for (i = 0; i < STRESS_PER_THREAD; i++) {
        qemu_bh_schedule_oneshot(stress_cb, NULL);
        if (i % 64 == 0) {
            g_usleep(0);            /* let the main loop sleep sometimes */
        }
    }
    return NULL;
}

static bool stress_done(void *opaque)
{
    return stress_count == STRESS_THREADS * STRESS_PER_THREAD;
}

static void test_bh_stress(void)
{
    QemuThread threads[STRESS_THREADS];
    int i;

    stress_count = 0;
    for (i = 0; i < STRESS_THREADS; i++) {
        qemu_thread_create(&threads[i], "bh-stress", stress_thread_fn, NULL,
                           QEMU_THREAD_JOINABLE);
    }
    g_assert_true(main_loop_poll_until(stress_done, NULL, WAIT_MS));
    for (i = 0; i < STRESS_THREADS; i++) {
        qemu_thread_join(&threads[i]);
    }
    main_loop_wait(true);
    g_assert_cmpint(stress_count, ==, STRESS_THREADS * STRESS_PER_THREAD);
}

/* BQL */

typedef struct BqlThread {
    bool locked_in_thread;
    bool released_flag_ok;
} BqlThread;

static void *bql_thread_fn(void *opaque)
{
    BqlThread *b = opaque;

    /* The flag is per thread: the main thread's lock is not ours. */
    b->released_flag_ok = !qemu_mutex_iothread_locked();
    qemu_mutex_lock_iothread();
    b->locked_in_thread = qemu_mutex_iothread_locked();
    qemu_mutex_unlock_iothread();
    return NULL;
}

static void test_bql(void)
{
    BqlThread b = { 0 };
    QemuThread thread;

    g_assert_true(qemu_mutex_iothread_locked());
    qemu_thread_create(&thread, "bql", bql_thread_fn, &b,
                       QEMU_THREAD_JOINABLE);
    /* The thread can only take the BQL while we are polling. */
    qemu_mutex_unlock_iothread();
    g_assert_false(qemu_mutex_iothread_locked());
    qemu_thread_join(&thread);
    qemu_mutex_lock_iothread();
    g_assert_true(b.released_flag_ok);
    g_assert_true(b.locked_in_thread);

    {
        QEMU_IOTHREAD_LOCK_GUARD();     /* held already: no-op */
        g_assert_true(qemu_mutex_iothread_locked());
    }
    g_assert_true(qemu_mutex_iothread_locked());
}

/* Timers */

static void timer_cb(void *opaque)
{
    int *fired = opaque;

    g_assert_true(qemu_mutex_iothread_locked());
    qatomic_inc(fired);
}

static void test_timer_fires(void)
{
    int fired = 0;
    QEMUTimer *t = timer_new_ms(QEMU_CLOCK_REALTIME, timer_cb, &fired);
    int64_t start = qemu_clock_get_ms(QEMU_CLOCK_REALTIME);

    g_assert_false(timer_pending(t));
    timer_mod(t, start + 20);
    g_assert_true(timer_pending(t));
    g_assert_true(main_loop_poll_until(flag_is_set, &fired, WAIT_MS));
    g_assert_cmpint(qemu_clock_get_ms(QEMU_CLOCK_REALTIME), >=, start + 20);
    g_assert_false(timer_pending(t));
    g_assert_cmpint(fired, ==, 1);
    timer_free(t);
}

static void test_timer_del_and_order(void)
{
    int a = 0, b = 0;
    QEMUTimer *ta = timer_new_ns(QEMU_CLOCK_REALTIME, timer_cb, &a);
    QEMUTimer *tb = timer_new_ns(QEMU_CLOCK_REALTIME, timer_cb, &b);
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);

    timer_mod_ns(ta, now + 5 * SCALE_MS);
    timer_mod_ns(tb, now + 10 * SCALE_MS);
    timer_del(ta);
    g_assert_false(timer_pending(ta));
    g_assert_true(main_loop_poll_until(flag_is_set, &b, WAIT_MS));
    g_assert_cmpint(a, ==, 0);

    /* An expiry time in the past fires at the next iteration. */
    timer_mod_ns(ta, 0);
    main_loop_wait(true);
    g_assert_cmpint(a, ==, 1);

    /* mod_anticipate only moves a pending timer earlier. */
    timer_mod_ns(ta, now + 1000 * SCALE_MS * 1000LL);
    timer_mod_anticipate_ns(ta, now + 2000 * SCALE_MS * 1000LL);
    g_assert_cmpuint(timer_expire_time_ns(ta), ==,
                     now + 1000 * SCALE_MS * 1000LL);
    timer_free(ta);
    timer_free(tb);
}

static void *timer_mod_thread_fn(void *opaque)
{
    QEMUTimer *t = opaque;

    timer_mod_ns(t, qemu_clock_get_ns(QEMU_CLOCK_REALTIME));
    return NULL;
}

static void test_timer_mod_from_thread(void)
{
    int fired = 0;
    QEMUTimer *t = timer_new_ns(QEMU_CLOCK_REALTIME, timer_cb, &fired);
    QemuThread thread;

    qemu_thread_create(&thread, "timer-mod", timer_mod_thread_fn, t,
                       QEMU_THREAD_JOINABLE);
    g_assert_true(main_loop_poll_until(flag_is_set, &fired, WAIT_MS));
    qemu_thread_join(&thread);
    timer_free(t);
}

static void test_virtual_clock(void)
{
    int fired = 0;
    QEMUTimer *t = timer_new_ns(QEMU_CLOCK_VIRTUAL, timer_cb, &fired);
    int64_t v0, v1;

    cpu_disable_ticks();
    v0 = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    timer_mod_ns(t, v0);            /* due, but the clock is stopped... */
    g_assert_cmpint(qemu_clock_deadline_ns_all(QEMU_CLOCK_VIRTUAL, 0), ==,
                    -1);
    main_loop_wait(true);
    v1 = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    g_assert_cmpint(v0, ==, v1);
    cpu_enable_ticks();             /* ...and runs once it ticks again */
    g_assert_true(main_loop_poll_until(flag_is_set, &fired, WAIT_MS));
    g_assert_cmpint(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), >=, v1);
    timer_free(t);
}

/*
 * An embedded timer on the host clock (no other test arms one there):
 * the clock's timer list, expiry in the timer's scale, anticipation in
 * ms, a disabled clock that runs nothing, and timer_deinit().
 */
static void test_timer_embedded(void)
{
    int fired = 0;
    QEMUTimer t;
    int64_t now = qemu_clock_get_ms(QEMU_CLOCK_HOST);

    timer_init_ms(&t, QEMU_CLOCK_HOST, timer_cb, &fired);
    g_assert_false(qemu_clock_has_timers(QEMU_CLOCK_HOST));
    timer_mod(&t, now + 60000);
    g_assert_true(qemu_clock_has_timers(QEMU_CLOCK_HOST));
    g_assert_false(timer_expired(&t, now + 59999));
    g_assert_true(timer_expired(&t, now + 60000));

    timer_mod_anticipate(&t, now + 120000);
    g_assert_cmpuint(timer_expire_time_ns(&t), ==, (now + 60000) * SCALE_MS);
    timer_mod_anticipate(&t, now);
    g_assert_cmpuint(timer_expire_time_ns(&t), ==, now * SCALE_MS);

    qemu_clock_enable(QEMU_CLOCK_HOST, false);
    main_loop_wait(true);
    g_assert_cmpint(fired, ==, 0);
    g_assert_true(timer_pending(&t));
    qemu_clock_enable(QEMU_CLOCK_HOST, true);
    g_assert_true(main_loop_poll_until(flag_is_set, &fired, WAIT_MS));
    g_assert_false(qemu_clock_has_timers(QEMU_CLOCK_HOST));

    timer_mod(&t, now + 60000);
    timer_deinit(&t);
    g_assert_false(timer_pending(&t));
    g_assert_false(timer_expired(&t, now + 60000));
    g_assert_false(qemu_clock_has_timers(QEMU_CLOCK_HOST));
}

/* fd handlers */

typedef struct FdTest {
    int fds[2];
    int reads;
    char last;
} FdTest;

static void fd_read_cb(void *opaque)
{
    FdTest *f = opaque;

    g_assert_true(qemu_mutex_iothread_locked());
    g_assert_cmpint(read(f->fds[0], &f->last, 1), ==, 1);
    f->reads++;
}

static void test_fd_handler(void)
{
    FdTest f = { .reads = 0 };

    g_assert_cmpint(pipe(f.fds), ==, 0);
    qemu_set_fd_handler(f.fds[0], fd_read_cb, NULL, &f);
    main_loop_wait(true);
    g_assert_cmpint(f.reads, ==, 0);

    g_assert_cmpint(write(f.fds[1], "a", 1), ==, 1);
    g_assert_true(main_loop_poll_until(flag_is_set, &f.reads, WAIT_MS));
    g_assert_cmpint(f.last, ==, 'a');

    qemu_set_fd_handler(f.fds[0], NULL, NULL, NULL);
    g_assert_cmpint(write(f.fds[1], "b", 1), ==, 1);
    main_loop_wait(true);
    g_assert_cmpint(f.reads, ==, 1);
    close(f.fds[0]);
    close(f.fds[1]);
}

/* Other GSources on the default context are dispatched too. */
static gboolean idle_cb(gpointer opaque)
{
    g_assert_true(qemu_mutex_iothread_locked());
    qatomic_set((int *)opaque, 1);
    return G_SOURCE_REMOVE;
}

static void test_glib_source(void)
{
    int ran = 0;

    g_idle_add(idle_cb, &ran);
    g_assert_true(main_loop_poll_until(flag_is_set, &ran, WAIT_MS));
}

/* Threads, locks */

typedef struct Counter {
    QemuMutex lock;
    long value;
} Counter;

static void *counter_fn(void *opaque)
{
    Counter *c = opaque;
    int i;

    for (i = 0; i < 100000; i++) {
        QEMU_LOCK_GUARD(&c->lock);
        c->value++;
    }
    return NULL;
}

static void test_mutex_lock_guard(void)
{
    Counter c = { .value = 0 };
    QemuThread threads[4];
    int i;

    qemu_mutex_init(&c.lock);
    for (i = 0; i < ARRAY_SIZE(threads); i++) {
        qemu_thread_create(&threads[i], "counter", counter_fn, &c,
                           QEMU_THREAD_JOINABLE);
    }
    for (i = 0; i < ARRAY_SIZE(threads); i++) {
        qemu_thread_join(&threads[i]);
    }
    g_assert_cmpint(c.value, ==, 400000);

    WITH_QEMU_LOCK_GUARD(&c.lock) {
        g_assert_cmpint(qemu_mutex_trylock(&c.lock), ==, -EBUSY);
    }
    g_assert_cmpint(qemu_mutex_trylock(&c.lock), ==, 0);
    qemu_mutex_unlock(&c.lock);
    qemu_mutex_destroy(&c.lock);
}

static void test_rec_mutex_and_sem(void)
{
    QemuRecMutex rm;
    QemuSemaphore sem;
    QemuCond cond;
    QemuMutex m;

    qemu_rec_mutex_init(&rm);
    qemu_rec_mutex_lock(&rm);
    WITH_QEMU_LOCK_GUARD(&rm) {
        g_assert_cmpint(qemu_rec_mutex_trylock(&rm), ==, 0);
        qemu_rec_mutex_unlock(&rm);
    }
    qemu_rec_mutex_unlock(&rm);
    qemu_rec_mutex_destroy(&rm);

    qemu_sem_init(&sem, 1);
    g_assert_cmpint(qemu_sem_timedwait(&sem, 0), ==, 0);
    g_assert_cmpint(qemu_sem_timedwait(&sem, 10), ==, -1);
    qemu_sem_post(&sem);
    qemu_sem_wait(&sem);
    qemu_sem_destroy(&sem);

    qemu_mutex_init(&m);
    qemu_cond_init(&cond);
    qemu_mutex_lock(&m);
    g_assert_false(qemu_cond_timedwait(&cond, &m, 10));
    qemu_mutex_unlock(&m);
    qemu_cond_destroy(&cond);
    qemu_mutex_destroy(&m);
}

static void *event_fn(void *opaque)
{
    qemu_event_set(opaque);
    return NULL;
}

static void test_event_and_self(void)
{
    QemuEvent ev;
    QemuThread thread, self;

    qemu_event_init(&ev, false);
    qemu_thread_create(&thread, "event", event_fn, &ev,
                       QEMU_THREAD_JOINABLE);
    qemu_event_wait(&ev);
    g_assert_false(qemu_thread_is_self(&thread));
    qemu_thread_join(&thread);
    qemu_event_reset(&ev);
    qemu_event_destroy(&ev);

    qemu_thread_get_self(&self);
    g_assert_true(qemu_thread_is_self(&self));
    g_assert_cmpint(qemu_get_thread_id(), >, 0);
}

/* A handshake through a cond: the waiter sees the flag the signal set. */
typedef struct Handshake {
    QemuMutex lock;
    QemuCond cond;
    QemuSemaphore units;
    QemuEvent done;
    int ready;
    bool self_seen;
    QemuThread *me;
} Handshake;

static void *handshake_fn(void *opaque)
{
    Handshake *h = opaque;
    int i;

    WITH_QEMU_LOCK_GUARD(&h->lock) {
        h->ready = 1;
        qemu_cond_signal(&h->cond);
    }
    for (i = 0; i < 3; i++) {
        qemu_sem_post(&h->units);
    }
    return NULL;
}

static void *detached_fn(void *opaque)
{
    Handshake *h = opaque;

    /* Wait until the creator has its QemuThread filled in. */
    qemu_sem_wait(&h->units);
    h->self_seen = qemu_thread_is_self(h->me);
    qemu_event_set(&h->done);
    return NULL;
}

static void test_cond_sem_detached(void)
{
    Handshake h = { .ready = 0 };
    QemuThread thread, detached;
    QemuLockable *lk;
    int i;

    qemu_mutex_init(&h.lock);
    qemu_cond_init(&h.cond);
    qemu_sem_init(&h.units, 0);
    qemu_event_init(&h.done, true);
    /* An event that starts set does not block until it is reset. */
    qemu_event_wait(&h.done);
    qemu_event_reset(&h.done);

    qemu_mutex_lock(&h.lock);
    qemu_thread_create(&thread, "handshake", handshake_fn, &h,
                       QEMU_THREAD_JOINABLE);
    while (!h.ready) {
        qemu_cond_wait(&h.cond, &h.lock);
    }
    qemu_mutex_unlock(&h.lock);
    for (i = 0; i < 3; i++) {
        g_assert_cmpint(qemu_sem_timedwait(&h.units, 10000), ==, 0);
    }
    g_assert_cmpint(qemu_sem_timedwait(&h.units, 0), ==, -1);
    g_assert_null(qemu_thread_join(&thread));

    /* A detached thread runs on its own; it is itself inside. */
    h.me = &detached;
    qemu_thread_create(&detached, "a-rather-long-thread-name", detached_fn,
                       &h, QEMU_THREAD_DETACHED);
    qemu_sem_post(&h.units);
    qemu_event_wait(&h.done);
    g_assert_true(h.self_seen);

    /* Guards: NULL takes nothing; break and a QemuLockable release. */
    {
        QEMU_LOCK_GUARD(NULL);
    }
    lk = QEMU_MAKE_LOCKABLE(&h.lock);
    for (i = 0; i < 2; i++) {
        WITH_QEMU_LOCK_GUARD(lk) {
            g_assert_cmpint(qemu_mutex_trylock(&h.lock), ==, -EBUSY);
            break;
        }
        g_assert_cmpint(qemu_mutex_trylock(&h.lock), ==, 0);
        qemu_mutex_unlock(&h.lock);
    }
    {
        QEMU_LOCK_GUARD(lk);
        qemu_cond_broadcast(&h.cond);
        g_assert_false(qemu_cond_timedwait(&h.cond, &h.lock, 1));
    }
    g_assert_cmpint(qemu_mutex_trylock(&h.lock), ==, 0);
    qemu_mutex_unlock(&h.lock);

    qemu_event_destroy(&h.done);
    qemu_sem_destroy(&h.units);
    qemu_cond_destroy(&h.cond);
    qemu_mutex_destroy(&h.lock);
}

/* A condition waited for with the BQL as its mutex. */
typedef struct BqlCond {
    QemuCond cond;
    int set;                /* under the BQL */
} BqlCond;

static void *bql_cond_fn(void *opaque)
{
    BqlCond *bc = opaque;

    qemu_mutex_lock_iothread();
    bc->set = 1;
    qemu_cond_signal(&bc->cond);
    qemu_mutex_unlock_iothread();
    return NULL;
}

static void test_cond_iothread(void)
{
    BqlCond bc = { .set = 0 };
    QemuThread thread;

    qemu_cond_init(&bc.cond);
    /* Nobody signals: it comes back after the timeout, BQL held. */
    qemu_cond_timedwait_iothread(&bc.cond, 1);
    g_assert_true(qemu_mutex_iothread_locked());

    /* The wait lets go of the BQL, or the thread could not set it. */
    qemu_thread_create(&thread, "bql-cond", bql_cond_fn, &bc,
                       QEMU_THREAD_JOINABLE);
    while (!bc.set) {
        qemu_cond_wait_iothread(&bc.cond);
    }
    g_assert_true(qemu_mutex_iothread_locked());
    qemu_mutex_unlock_iothread();
    qemu_thread_join(&thread);
    qemu_mutex_lock_iothread();
    qemu_cond_destroy(&bc.cond);
}

/* Notifiers */

typedef struct TestNotifier {
    Notifier n;
    int calls;
    void *data;
    bool remove_self;
} TestNotifier;

static void test_notify_cb(Notifier *n, void *data)
{
    TestNotifier *t = container_of(n, TestNotifier, n);

    t->calls++;
    t->data = data;
    if (t->remove_self) {
        notifier_remove(n);
    }
}

typedef struct TestRetNotifier {
    NotifierWithReturn n;
    int ret;
    int calls;
} TestRetNotifier;

static int test_ret_cb(NotifierWithReturn *n, void *data)
{
    TestRetNotifier *t = container_of(n, TestRetNotifier, n);

    t->calls++;
    return t->ret;
}

static void test_notifiers(void)
{
    NotifierList list = NOTIFIER_LIST_INITIALIZER(list);
    NotifierList list2;
    NotifierWithReturnList rlist;
    TestNotifier a = { .n.notify = test_notify_cb, .remove_self = true };
    TestNotifier b = { .n.notify = test_notify_cb };
    TestRetNotifier r1 = { .n.notify = test_ret_cb, .ret = 0 };
    TestRetNotifier r2 = { .n.notify = test_ret_cb, .ret = -EIO };
    TestRetNotifier r3 = { .n.notify = test_ret_cb, .ret = 0 };
    int data;

    g_assert_true(notifier_list_empty(&list));
    notifier_list_add(&list, &a.n);
    notifier_list_add(&list, &b.n);
    notifier_list_notify(&list, &data);
    g_assert_cmpint(a.calls, ==, 1);
    g_assert_cmpint(b.calls, ==, 1);
    g_assert_true(b.data == &data);
    notifier_list_notify(&list, NULL);
    g_assert_cmpint(a.calls, ==, 1);    /* removed itself */
    g_assert_cmpint(b.calls, ==, 2);
    notifier_remove(&b.n);
    g_assert_true(notifier_list_empty(&list));

    /* A list set up at run time works as the static one. */
    notifier_list_init(&list2);
    g_assert_true(notifier_list_empty(&list2));
    notifier_list_add(&list2, &b.n);
    notifier_list_notify(&list2, NULL);
    g_assert_cmpint(b.calls, ==, 3);
    notifier_remove(&b.n);
    g_assert_true(notifier_list_empty(&list2));

    notifier_with_return_list_init(&rlist);
    notifier_with_return_list_add(&rlist, &r3.n);
    notifier_with_return_list_add(&rlist, &r2.n);
    notifier_with_return_list_add(&rlist, &r1.n);
    /* Newest first: r1 (ok), r2 (fails) stops before r3. */
    g_assert_cmpint(notifier_with_return_list_notify(&rlist, NULL), ==,
                    -EIO);
    g_assert_cmpint(r1.calls, ==, 1);
    g_assert_cmpint(r2.calls, ==, 1);
    g_assert_cmpint(r3.calls, ==, 0);
    notifier_with_return_remove(&r2.n);
    g_assert_cmpint(notifier_with_return_list_notify(&rlist, NULL), ==, 0);
    g_assert_cmpint(r3.calls, ==, 1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qemu_init_main_loop(&error_abort);
    g_assert_cmpint(qemu_init_main_loop(&error_abort), ==, 0);
    g_assert_false(qemu_mutex_iothread_locked());
    qemu_mutex_lock_iothread();

    g_test_add_func("/main-loop/bh/schedule-cancel", test_bh_schedule_cancel);
    g_test_add_func("/main-loop/bh/reschedule-self", test_bh_reschedule_self);
    g_test_add_func("/main-loop/bh/from-thread", test_bh_from_thread);
    g_test_add_func("/main-loop/bh/oneshot", test_bh_oneshot);
    g_test_add_func("/main-loop/bh/stress", test_bh_stress);
    g_test_add_func("/main-loop/bql", test_bql);
    g_test_add_func("/main-loop/timer/fires", test_timer_fires);
    g_test_add_func("/main-loop/timer/del-order", test_timer_del_and_order);
    g_test_add_func("/main-loop/timer/mod-from-thread",
                    test_timer_mod_from_thread);
    g_test_add_func("/main-loop/timer/virtual-clock", test_virtual_clock);
    g_test_add_func("/main-loop/timer/embedded", test_timer_embedded);
    g_test_add_func("/main-loop/fd-handler", test_fd_handler);
    g_test_add_func("/main-loop/glib-source", test_glib_source);
    g_test_add_func("/thread/mutex-lock-guard", test_mutex_lock_guard);
    g_test_add_func("/thread/rec-mutex-sem-cond", test_rec_mutex_and_sem);
    g_test_add_func("/thread/event-self", test_event_and_self);
    g_test_add_func("/thread/cond-sem-detached", test_cond_sem_detached);
    g_test_add_func("/thread/cond-iothread", test_cond_iothread);
    g_test_add_func("/notify/lists", test_notifiers);

    return g_test_run();
}
