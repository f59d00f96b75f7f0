/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Clocks and timers: per-clock sorted lists, run by the main loop. */
#include "qemu/osdep.h"
#include "qemu/timer.h"
#include "qemu/main-loop.h"
#include "qemu/atomic.h"

/* The pending timers of one clock, sorted by expiry time. */
typedef struct QEMUClock {
    QEMUTimer *active_timers;   /* protected by timers_lock */
    bool enabled;               /* run timers? (qemu_clock_enable) */
} QEMUClock;

/* Protects every clock's active_timers and each timer's list fields. */
static QemuMutex timers_lock = QEMU_MUTEX_INITIALIZER;
static QEMUClock qemu_clocks[QEMU_CLOCK_MAX] = {
    [QEMU_CLOCK_REALTIME] = { .enabled = true },
    [QEMU_CLOCK_VIRTUAL] = { .enabled = true },
    [QEMU_CLOCK_HOST] = { .enabled = true },
    [QEMU_CLOCK_VIRTUAL_RT] = { .enabled = true },
};

/*
 * The virtual clock: host monotonic time plus an offset while ticking,
 * frozen while the VM is stopped.  It starts at 0 when first read.
 */
static QemuMutex vclock_lock = QEMU_MUTEX_INITIALIZER;
static bool vclock_started;     /* offset initialised */
static bool vclock_ticking = true;
static int64_t vclock_offset;   /* virtual = get_clock() + offset */
static int64_t vclock_frozen;   /* the value while not ticking */

static void vclock_start_locked(void)
{
    if (!vclock_started) {
        vclock_offset = -get_clock();
        vclock_started = true;
    }
}

static int64_t vclock_get_ns(void)
{
    int64_t ns;

    qemu_mutex_lock(&vclock_lock);
    vclock_start_locked();
    ns = vclock_ticking ? get_clock() + vclock_offset : vclock_frozen;
    qemu_mutex_unlock(&vclock_lock);
    return ns;
}

void cpu_enable_ticks(void)
{
    qemu_mutex_lock(&vclock_lock);
    vclock_start_locked();
    if (!vclock_ticking) {
        vclock_offset = vclock_frozen - get_clock();
        vclock_ticking = true;
    }
    qemu_mutex_unlock(&vclock_lock);
    /* Virtual timers may be due now. */
    qemu_notify_event();
}

void cpu_disable_ticks(void)
{
    qemu_mutex_lock(&vclock_lock);
    vclock_start_locked();
    if (vclock_ticking) {
        vclock_frozen = get_clock() + vclock_offset;
        vclock_ticking = false;
    }
    qemu_mutex_unlock(&vclock_lock);
}

static bool vclock_is_ticking(void)
{
    bool ticking;

    qemu_mutex_lock(&vclock_lock);
    ticking = vclock_ticking;
    qemu_mutex_unlock(&vclock_lock);
    return ticking;
}

int64_t qemu_clock_get_ns(QEMUClockType type)
{
    switch (type) {
    case QEMU_CLOCK_REALTIME:
        return get_clock();
    case QEMU_CLOCK_VIRTUAL:
    case QEMU_CLOCK_VIRTUAL_RT:
        return vclock_get_ns();
    case QEMU_CLOCK_HOST:
        return get_clock_realtime();
    default:
        abort();
    }
}

static bool is_virtual(QEMUClockType type)
{
    return type == QEMU_CLOCK_VIRTUAL || type == QEMU_CLOCK_VIRTUAL_RT;
}

void qemu_clock_enable(QEMUClockType type, bool enabled)
{
    assert(type >= 0 && type < QEMU_CLOCK_MAX);
    qatomic_set(&qemu_clocks[type].enabled, enabled);
    if (enabled) {
        qemu_notify_event();
    }
}

bool qemu_clock_has_timers(QEMUClockType type)
{
    bool has;

    qemu_mutex_lock(&timers_lock);
    has = qemu_clocks[type].active_timers != NULL;
    qemu_mutex_unlock(&timers_lock);
    return has;
}

int64_t qemu_clock_deadline_ns_all(QEMUClockType type, int attr_mask)
{
    int64_t expire, now;

    if (!qatomic_read(&qemu_clocks[type].enabled)) {
        return -1;
    }
    if (is_virtual(type) && !vclock_is_ticking()) {
        /* A frozen clock never reaches a deadline. */
        return -1;
    }

    qemu_mutex_lock(&timers_lock);
    if (!qemu_clocks[type].active_timers) {
        qemu_mutex_unlock(&timers_lock);
        return -1;
    }
    expire = qemu_clocks[type].active_timers->expire_time;
    qemu_mutex_unlock(&timers_lock);

    now = qemu_clock_get_ns(type);
    return expire <= now ? 0 : expire - now;
}

bool qemu_clock_run_timers(QEMUClockType type)
{
    QEMUClock *clock = &qemu_clocks[type];
    bool progress = false;
    int64_t now;

    if (!qatomic_read(&clock->enabled)) {
        return false;
    }
    if (is_virtual(type) && !vclock_is_ticking()) {
        /* Guest timers do not run while the VM is stopped. */
        return false;
    }

    now = qemu_clock_get_ns(type);
    for (;;) {
        QEMUTimer *ts;
        QEMUTimerCB *cb;
        void *opaque;

        qemu_mutex_lock(&timers_lock);
        ts = clock->active_timers;
        if (!ts || ts->expire_time > now) {
            qemu_mutex_unlock(&timers_lock);
            break;
        }
        /* Remove it before the callback, which may re-arm it. */
        clock->active_timers = ts->next;
        ts->next = NULL;
        ts->expire_time = -1;
        cb = ts->cb;
        opaque = ts->opaque;
        qemu_mutex_unlock(&timers_lock);

        cb(opaque);
        progress = true;
    }
    return progress;
}

bool qemu_clock_run_all_timers(void)
{
    bool progress = false;
    QEMUClockType type;

    for (type = 0; type < QEMU_CLOCK_MAX; type++) {
        progress |= qemu_clock_run_timers(type);
    }
    return progress;
}

void timer_init_full(QEMUTimer *ts, void *timer_list_group,
                     QEMUClockType type, int scale, int attributes,
                     QEMUTimerCB *cb, void *opaque)
{
    assert(type >= 0 && type < QEMU_CLOCK_MAX);
    assert(scale > 0);
    ts->type = type;
    ts->cb = cb;
    ts->opaque = opaque;
    ts->scale = scale;
    ts->next = NULL;
    ts->expire_time = -1;
}

/* Unlink @ts from its clock's list, if pending.  Called with timers_lock. */
static void timer_del_locked(QEMUTimer *ts)
{
    QEMUTimer **pt;

    if (ts->expire_time < 0) {
        return;
    }
    for (pt = &qemu_clocks[ts->type].active_timers; *pt; pt = &(*pt)->next) {
        if (*pt == ts) {
            *pt = ts->next;
            break;
        }
    }
    ts->next = NULL;
    ts->expire_time = -1;
}

/* Insert @ts sorted; returns true if it became the first. timers_lock. */
static bool timer_insert_locked(QEMUTimer *ts, int64_t expire_time)
{
    QEMUTimer **pt = &qemu_clocks[ts->type].active_timers;

    ts->expire_time = MAX(expire_time, 0);
    while (*pt && (*pt)->expire_time <= ts->expire_time) {
        pt = &(*pt)->next;
    }
    ts->next = *pt;
    *pt = ts;
    return pt == &qemu_clocks[ts->type].active_timers;
}

void timer_del(QEMUTimer *ts)
{
    qemu_mutex_lock(&timers_lock);
    timer_del_locked(ts);
    qemu_mutex_unlock(&timers_lock);
}

void timer_deinit(QEMUTimer *ts)
{
    timer_del(ts);
}

void timer_mod_ns(QEMUTimer *ts, int64_t expire_time)
{
    bool first;

    qemu_mutex_lock(&timers_lock);
    timer_del_locked(ts);
    first = timer_insert_locked(ts, expire_time);
    qemu_mutex_unlock(&timers_lock);

    if (first) {
        /* The main loop may be sleeping with a later deadline. */
        qemu_notify_event();
    }
}

void timer_mod_anticipate_ns(QEMUTimer *ts, int64_t expire_time)
{
    bool first = false;

    qemu_mutex_lock(&timers_lock);
    if (ts->expire_time < 0 || ts->expire_time > expire_time) {
        timer_del_locked(ts);
        first = timer_insert_locked(ts, expire_time);
    }
    qemu_mutex_unlock(&timers_lock);

    if (first) {
        qemu_notify_event();
    }
}

/* @expire_time in @ts's scale, in ns, saturating instead of overflowing. */
static int64_t timer_scaled_ns(QEMUTimer *ts, int64_t expire_time)
{
    int64_t ns;

    if (__builtin_mul_overflow(expire_time, (int64_t)ts->scale, &ns)) {
        return expire_time < 0 ? 0 : INT64_MAX;
    }
    return ns;
}

void timer_mod(QEMUTimer *ts, int64_t expire_time)
{
    timer_mod_ns(ts, timer_scaled_ns(ts, expire_time));
}

void timer_mod_anticipate(QEMUTimer *ts, int64_t expire_time)
{
    timer_mod_anticipate_ns(ts, timer_scaled_ns(ts, expire_time));
}

bool timer_pending(QEMUTimer *ts)
{
    return qatomic_read(&ts->expire_time) >= 0;
}

bool timer_expired(QEMUTimer *timer_head, int64_t current_time)
{
    int64_t expire = qatomic_read(&timer_head->expire_time);

    return expire >= 0 && expire <= current_time * timer_head->scale;
}

uint64_t timer_expire_time_ns(QEMUTimer *ts)
{
    return timer_pending(ts) ? ts->expire_time : -1;
}
