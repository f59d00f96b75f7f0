/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Locks of any kind behind one interface, and scoped lock guards. */
#ifndef QEMU_LOCKABLE_H
#define QEMU_LOCKABLE_H

#include "qemu/thread.h"

typedef void QemuLockUnlockFunc(void *);

/* A lock object together with the functions that take and drop it. */
typedef struct QemuLockable {
    void *object;
    QemuLockUnlockFunc *lock;
    QemuLockUnlockFunc *unlock;
} QemuLockable;

/*
 * One describer per kind of lock.  The lock functions themselves are
 * macros, hence the small functions with addresses.
 */
static inline void qemu_lockable_take_mutex_(void *m)
{
    qemu_mutex_lock((QemuMutex *)m);
}

static inline void qemu_lockable_drop_mutex_(void *m)
{
    qemu_mutex_unlock((QemuMutex *)m);
}

static inline void qemu_lockable_take_rec_mutex_(void *m)
{
    qemu_rec_mutex_lock((QemuRecMutex *)m);
}

static inline void qemu_lockable_drop_rec_mutex_(void *m)
{
    qemu_rec_mutex_unlock((QemuRecMutex *)m);
}

static inline QemuLockable qemu_lockable_of_mutex_(QemuMutex *m)
{
    return (QemuLockable) { m, qemu_lockable_take_mutex_,
                            qemu_lockable_drop_mutex_ };
}

static inline QemuLockable qemu_lockable_of_rec_mutex_(QemuRecMutex *m)
{
    return (QemuLockable) { m, qemu_lockable_take_rec_mutex_,
                            qemu_lockable_drop_rec_mutex_ };
}

/* A QemuLockable passed in is copied; a NULL one gives "no lock". */
static inline QemuLockable qemu_lockable_of_lockable_(QemuLockable *l)
{
    return l ? *l : (QemuLockable) { NULL };
}

/* A literal NULL means "no lock"; any other void pointer is a bug. */
static inline QemuLockable qemu_lockable_of_nothing_(void *p)
{
    if (p) {
        abort();
    }
    return (QemuLockable) { NULL };
}

#define QEMU_LOCKABLE_OF_(x)                                    \
    _Generic((x),                                               \
             QemuMutex *: qemu_lockable_of_mutex_,              \
             QemuRecMutex *: qemu_lockable_of_rec_mutex_,       \
             QemuLockable *: qemu_lockable_of_lockable_,        \
             void *: qemu_lockable_of_nothing_)(x)

/*
 * QEMU_MAKE_LOCKABLE_NONNULL(x): a QemuLockable * for the lock @x (a
 * QemuMutex *, QemuRecMutex * or QemuLockable *), valid to the end of
 * the enclosing block.
 */
#define QEMU_MAKE_LOCKABLE_NONNULL(x) \
    ((QemuLockable[1]) { QEMU_LOCKABLE_OF_(x) })

/* NULL when @x is NULL (or a literal NULL); else a describer of @x. */
static inline QemuLockable *qemu_lockable_or_null_(QemuLockable *l)
{
    return l->object ? l : NULL;
}

/* Like QEMU_MAKE_LOCKABLE_NONNULL(), but NULL locks give NULL. */
#define QEMU_MAKE_LOCKABLE(x) \
    qemu_lockable_or_null_(QEMU_MAKE_LOCKABLE_NONNULL(x))

static inline void qemu_lockable_lock(QemuLockable *x)
{
    x->lock(x->object);
}

static inline void qemu_lockable_unlock(QemuLockable *x)
{
    x->unlock(x->object);
}

/*
 * Guards.  A guard is a QemuLockable pointer whose cleanup drops the
 * lock; a NULL guard holds nothing.
 */
static inline QemuLockable *qemu_lockable_guard_take_(QemuLockable *x)
{
    if (x) {
        qemu_lockable_lock(x);
    }
    return x;
}

/* Drops what @x holds; returns NULL to put in the guard afterwards. */
static inline QemuLockable *qemu_lockable_guard_drop_(QemuLockable *x)
{
    if (x) {
        qemu_lockable_unlock(x);
    }
    return NULL;
}

/* (g_autoptr() calls it only for a guard that is not NULL.) */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QemuLockable, qemu_lockable_unlock)

/*
 * WITH_QEMU_LOCK_GUARD(x) { ... }: hold lock @x (not NULL) for the
 * statement that follows.  However control leaves it (end, break,
 * return, goto), the lock is dropped.
 */
#define WITH_QEMU_LOCK_GUARD(x) \
    WITH_QEMU_LOCK_GUARD_((x), glue(qemu_lock_guard_, __COUNTER__))

/* The loop runs once: its step drops the lock and ends it. */
#define WITH_QEMU_LOCK_GUARD_(x, guard)                                 \
    for (g_autoptr(QemuLockable) guard =                                \
             qemu_lockable_guard_take_(QEMU_MAKE_LOCKABLE_NONNULL(x));  \
         guard != NULL;                                                 \
         guard = qemu_lockable_guard_drop_(guard))

/*
 * QEMU_LOCK_GUARD(x): hold lock @x until the end of the enclosing
 * block.  A NULL @x takes no lock.
 */
#define QEMU_LOCK_GUARD(x)                                              \
    g_autoptr(QemuLockable) glue(qemu_lock_guard_, __COUNTER__)         \
        G_GNUC_UNUSED = qemu_lockable_guard_take_(QEMU_MAKE_LOCKABLE(x))

#endif /* QEMU_LOCKABLE_H */
