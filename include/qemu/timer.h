/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Clocks and main-loop timers (QEMUClockType, QEMUTimer), QEMU's API. */
#ifndef QEMU_TIMER_H
#define QEMU_TIMER_H

/*
 * The clocks.  Times are in nanoseconds.
 */
typedef enum QEMUClockType {
    /* Monotonic host time; runs while the VM is stopped. */
    QEMU_CLOCK_REALTIME,
    /* Guest time: stands still while the VM is stopped. */
    QEMU_CLOCK_VIRTUAL,
    /* The host's wall clock, which may jump. */
    QEMU_CLOCK_HOST,
    /* Here the same as QEMU_CLOCK_VIRTUAL. */
    QEMU_CLOCK_VIRTUAL_RT,
    QEMU_CLOCK_MAX
} QEMUClockType;

typedef void QEMUTimerCB(void *opaque);

/*
 * A timer.  Its fields are private to util/qemu-timer.c; it is public so
 * it can be embedded (timer_init_*()).
 */
struct QEMUTimer {
    int64_t expire_time;        /* in nanoseconds; -1 when not pending */
    QEMUClockType type;
    QEMUTimerCB *cb;
    void *opaque;
    QEMUTimer *next;            /* next pending timer of the same clock */
    int scale;                  /* ns per unit of timer_mod()'s argument */
};

/* The time on clock @type now, in ns, us or ms. */
int64_t qemu_clock_get_ns(QEMUClockType type);
#define qemu_clock_get_us(type) (qemu_clock_get_ns(type) / SCALE_US)
#define qemu_clock_get_ms(type) (qemu_clock_get_ns(type) / SCALE_MS)

/*
 * Let the timers of clock @type run, or not (they may by default).
 * Turning them off waits for callbacks of that clock already running.
 */
void qemu_clock_enable(QEMUClockType type, bool enabled);

/* Whether any timer of clock @type is armed. */
bool qemu_clock_has_timers(QEMUClockType type);

/*
 * Nanoseconds until the first armed timer of clock @type is due (0 when
 * it is overdue), or -1 when none is armed.
 */
int64_t qemu_clock_deadline_ns_all(QEMUClockType type, int attr_mask);

/* Run the due timers of clock @type (of all clocks); true if any ran. */
bool qemu_clock_run_timers(QEMUClockType type);
bool qemu_clock_run_all_timers(void);

/*
 * The virtual clock stands still while the VM is stopped: vm_stop()
 * calls cpu_disable_ticks() and vm_start() cpu_enable_ticks() (QEMU
 * declares them in sysemu/cpu-timers.h).  Calling either twice does no
 * harm.  The clock runs from qemu_init_main_loop() on.
 */
void cpu_enable_ticks(void);
void cpu_disable_ticks(void);

/*
 * Timers run their callback in the main loop, with the BQL held, once
 * their clock reaches the expiry time.  That time is given to
 * timer_mod() in units of @scale nanoseconds (SCALE_NS, SCALE_US,
 * SCALE_MS); the _ns, _us and _ms forms below fix the scale.
 *
 * timer_init_full() sets up a timer embedded in another structure;
 * @timer_list_group must be NULL and @attributes 0 here.
 */
void timer_init_full(QEMUTimer *ts, void *timer_list_group,
                     QEMUClockType type, int scale, int attributes,
                     QEMUTimerCB *cb, void *opaque);

#define timer_init(ts, type, scale, cb, opaque) \
    timer_init_full((ts), NULL, (type), (scale), 0, (cb), (opaque))
#define timer_init_ns(ts, type, cb, opaque) \
    timer_init((ts), (type), SCALE_NS, (cb), (opaque))
#define timer_init_us(ts, type, cb, opaque) \
    timer_init((ts), (type), SCALE_US, (cb), (opaque))
#define timer_init_ms(ts, type, cb, opaque) \
    timer_init((ts), (type), SCALE_MS, (cb), (opaque))

/* A timer of its own allocation: timer_free() deletes and frees it. */
static inline QEMUTimer *timer_new_full(void *timer_list_group,
                                        QEMUClockType type,
                                        int scale, int attributes,
                                        QEMUTimerCB *cb, void *opaque)
{
    QEMUTimer *fresh = g_new0(QEMUTimer, 1);

    timer_init_full(fresh, timer_list_group, type, scale, attributes,
                    cb, opaque);
    return fresh;
}

#define timer_new(type, scale, cb, opaque) \
    timer_new_full(NULL, (type), (scale), 0, (cb), (opaque))
#define timer_new_ns(type, cb, opaque) \
    timer_new((type), SCALE_NS, (cb), (opaque))
#define timer_new_us(type, cb, opaque) \
    timer_new((type), SCALE_US, (cb), (opaque))
#define timer_new_ms(type, cb, opaque) \
    timer_new((type), SCALE_MS, (cb), (opaque))

/* Disarm @ts: once this returns, it is not pending.  Thread-safe. */
void timer_del(QEMUTimer *ts);

/* Disarm an embedded timer before its memory goes away. */
void timer_deinit(QEMUTimer *ts);

/* @ts's expiry time in ns, or -1 when it is not armed. */
uint64_t timer_expire_time_ns(QEMUTimer *ts);

/* Whether @ts is armed. */
bool timer_pending(QEMUTimer *ts);

/*
 * (Re)arm @ts to fire when its clock reaches @expire_time, in the
 * timer's scale (_ns: in nanoseconds).  Thread-safe; wakes the main
 * loop.
 */
void timer_mod(QEMUTimer *ts, int64_t expire_time);
void timer_mod_ns(QEMUTimer *ts, int64_t expire_time);

/* Disarm and free a timer from timer_new*(); NULL is fine. */
static inline void timer_free(QEMUTimer *ts)
{
    if (!ts) {
        return;
    }
    timer_del(ts);
    g_free(ts);
}

/* Like timer_mod(), but never moves an armed timer later. */
void timer_mod_anticipate(QEMUTimer *ts, int64_t expire_time);
void timer_mod_anticipate_ns(QEMUTimer *ts, int64_t expire_time);

/* Whether @timer_head is armed to expire by @current_time (in its scale). */
bool timer_expired(QEMUTimer *timer_head, int64_t current_time);

/* The host's wall clock in nanoseconds, to the microsecond. */
static inline int64_t get_clock_realtime(void)
{
    return g_get_real_time() * SCALE_US;
}

/* Monotonic host time in nanoseconds (QEMU_CLOCK_REALTIME). */
static inline int64_t get_clock(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * (int64_t)1000000000 + now.tv_nsec;
}

#endif /* QEMU_TIMER_H */
