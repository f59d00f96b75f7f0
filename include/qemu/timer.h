/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Clocks and main-loop timers (QEMUClockType, QEMUTimer), as QEMU's. */
#ifndef QEMU_TIMER_H
#define QEMU_TIMER_H

/**
 * QEMUClockType:
 * @QEMU_CLOCK_REALTIME: monotonic host time; runs while the VM is stopped.
 * @QEMU_CLOCK_VIRTUAL: guest time; stops while the VM is stopped (see
 *   cpu_disable_ticks()).
 * @QEMU_CLOCK_HOST: the host's wall clock (may jump).
 * @QEMU_CLOCK_VIRTUAL_RT: like QEMU_CLOCK_VIRTUAL here.
 */
typedef enum QEMUClockType {
    QEMU_CLOCK_REALTIME = 0,
    QEMU_CLOCK_VIRTUAL = 1,
    QEMU_CLOCK_HOST = 2,
    QEMU_CLOCK_VIRTUAL_RT = 3,
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

/**
 * qemu_clock_get_ns:
 * Returns: the current value of clock @type in nanoseconds.
 */
int64_t qemu_clock_get_ns(QEMUClockType type);

static inline int64_t qemu_clock_get_ms(QEMUClockType type)
{
    return qemu_clock_get_ns(type) / SCALE_MS;
}

static inline int64_t qemu_clock_get_us(QEMUClockType type)
{
    return qemu_clock_get_ns(type) / SCALE_US;
}

/**
 * qemu_clock_enable:
 * Enable or disable running the timers of clock @type (default: enabled).
 * Disabling waits for running callbacks of that clock to finish.
 */
void qemu_clock_enable(QEMUClockType type, bool enabled);

/* Returns: true if clock @type has pending timers. */
bool qemu_clock_has_timers(QEMUClockType type);

/*
 * Returns: nanoseconds until the first pending timer of clock @type fires
 * (0 if expired), or -1 if none is pending.
 */
int64_t qemu_clock_deadline_ns_all(QEMUClockType type, int attr_mask);

/* Run the expired timers of clock @type; returns true if any ran. */
bool qemu_clock_run_timers(QEMUClockType type);
bool qemu_clock_run_all_timers(void);

/*
 * The virtual clock stops while the VM is stopped: the run state code
 * calls cpu_disable_ticks() in vm_stop() and cpu_enable_ticks() in
 * vm_start() (QEMU declares these in sysemu/cpu-timers.h).  Both are
 * idempotent.  The clock runs from qemu_init_main_loop() until disabled.
 */
void cpu_enable_ticks(void);
void cpu_disable_ticks(void);

/**
 * timer_init:
 * Initialise an embedded timer of clock @type; timer_mod() takes times in
 * units of @scale nanoseconds (SCALE_NS, SCALE_US, SCALE_MS).  Timers run
 * in the main loop with the BQL held.
 */
void timer_init_full(QEMUTimer *ts, void *timer_list_group,
                     QEMUClockType type, int scale, int attributes,
                     QEMUTimerCB *cb, void *opaque);

static inline void timer_init(QEMUTimer *ts, QEMUClockType type, int scale,
                              QEMUTimerCB *cb, void *opaque)
{
    timer_init_full(ts, NULL, type, scale, 0, cb, opaque);
}

static inline void timer_init_ns(QEMUTimer *ts, QEMUClockType type,
                                 QEMUTimerCB *cb, void *opaque)
{
    timer_init(ts, type, SCALE_NS, cb, opaque);
}

static inline void timer_init_us(QEMUTimer *ts, QEMUClockType type,
                                 QEMUTimerCB *cb, void *opaque)
{
    timer_init(ts, type, SCALE_US, cb, opaque);
}

static inline void timer_init_ms(QEMUTimer *ts, QEMUClockType type,
                                 QEMUTimerCB *cb, void *opaque)
{
    timer_init(ts, type, SCALE_MS, cb, opaque);
}

/**
 * timer_new:
 * Allocate and initialise a timer (see timer_init()); free it with
 * timer_free().
 */
static inline QEMUTimer *timer_new_full(void *timer_list_group,
                                        QEMUClockType type,
                                        int scale, int attributes,
                                        QEMUTimerCB *cb, void *opaque)
{
    QEMUTimer *ts = g_new0(QEMUTimer, 1);

    timer_init_full(ts, timer_list_group, type, scale, attributes, cb,
                    opaque);
    return ts;
}

static inline QEMUTimer *timer_new(QEMUClockType type, int scale,
                                   QEMUTimerCB *cb, void *opaque)
{
    return timer_new_full(NULL, type, scale, 0, cb, opaque);
}

static inline QEMUTimer *timer_new_ns(QEMUClockType type, QEMUTimerCB *cb,
                                      void *opaque)
{
    return timer_new(type, SCALE_NS, cb, opaque);
}

static inline QEMUTimer *timer_new_us(QEMUClockType type, QEMUTimerCB *cb,
                                      void *opaque)
{
    return timer_new(type, SCALE_US, cb, opaque);
}

static inline QEMUTimer *timer_new_ms(QEMUClockType type, QEMUTimerCB *cb,
                                      void *opaque)
{
    return timer_new(type, SCALE_MS, cb, opaque);
}

/* Stop @ts: after this returns it is not pending.  Thread-safe. */
void timer_del(QEMUTimer *ts);

/* Delete an embedded timer before its memory goes away. */
void timer_deinit(QEMUTimer *ts);

/* Delete and free a timer made by timer_new*(); NULL is a no-op. */
static inline void timer_free(QEMUTimer *ts)
{
    if (ts) {
        timer_del(ts);
        g_free(ts);
    }
}

/**
 * timer_mod:
 * (Re)arm @ts to fire when its clock reaches @expire_time (in the timer's
 * scale; _ns: in nanoseconds).  Thread-safe; wakes the main loop.
 */
void timer_mod_ns(QEMUTimer *ts, int64_t expire_time);
void timer_mod(QEMUTimer *ts, int64_t expire_time);

/* Like timer_mod(), but only ever moves the expiry time earlier. */
void timer_mod_anticipate_ns(QEMUTimer *ts, int64_t expire_time);
void timer_mod_anticipate(QEMUTimer *ts, int64_t expire_time);

/* Returns: true if @ts is armed. */
bool timer_pending(QEMUTimer *ts);

/* Returns: true if @timer_head is armed to expire at or before @now. */
bool timer_expired(QEMUTimer *timer_head, int64_t current_time);

/* Returns: @ts's expiry time in ns, or -1 if it is not pending. */
uint64_t timer_expire_time_ns(QEMUTimer *ts);

/* The host's wall clock in nanoseconds (QEMU_CLOCK_HOST). */
static inline int64_t get_clock_realtime(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return tv.tv_sec * 1000000000LL + (tv.tv_usec * 1000);
}

/* Monotonic host time in nanoseconds (QEMU_CLOCK_REALTIME). */
static inline int64_t get_clock(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#endif /* QEMU_TIMER_H */
