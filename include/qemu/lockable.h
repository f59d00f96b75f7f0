/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Polymorphic locks and scoped lock guards (QEMU_LOCK_GUARD), as QEMU's. */
#ifndef QEMU_LOCKABLE_H
#define QEMU_LOCKABLE_H

#include "qemu/thread.h"

typedef void QemuLockUnlockFunc(void *);

/* A lock of any kind, with its lock and unlock functions. */
typedef struct QemuLockable {
    void *object;
    QemuLockUnlockFunc *lock;
    QemuLockUnlockFunc *unlock;
} QemuLockable;

/* The lock functions are macros; give them addresses. */
static inline void qemu_lockable_mutex_lock(void *opaque)
{
    qemu_mutex_lock((QemuMutex *)opaque);
}

static inline void qemu_lockable_mutex_unlock(void *opaque)
{
    qemu_mutex_unlock((QemuMutex *)opaque);
}

static inline void qemu_lockable_rec_mutex_lock(void *opaque)
{
    qemu_rec_mutex_lock((QemuRecMutex *)opaque);
}

static inline void qemu_lockable_rec_mutex_unlock(void *opaque)
{
    qemu_rec_mutex_unlock((QemuRecMutex *)opaque);
}

#define QEMU_LOCK_FUNC(x) ((QemuLockUnlockFunc *)             \
    _Generic((x),                                             \
             QemuMutex *: qemu_lockable_mutex_lock,           \
             QemuRecMutex *: qemu_lockable_rec_mutex_lock))

#define QEMU_UNLOCK_FUNC(x) ((QemuLockUnlockFunc *)           \
    _Generic((x),                                             \
             QemuMutex *: qemu_lockable_mutex_unlock,         \
             QemuRecMutex *: qemu_lockable_rec_mutex_unlock))

static inline __attribute__((__always_inline__)) QemuLockable *
qemu_make_lockable(void *x, QemuLockable *lockable)
{
    /* A NULL lock gives a NULL QemuLockable (no locking). */
    return x ? lockable : NULL;
}

static inline __attribute__((__always_inline__)) QemuLockable *
qemu_null_lockable(void *x)
{
    if (x != NULL) {
        abort();
    }
    return NULL;
}

#define QEMU_MAKE_LOCKABLE_(x) (&(QemuLockable) {     \
        .object = (x),                                \
        .lock = QEMU_LOCK_FUNC(x),                    \
        .unlock = QEMU_UNLOCK_FUNC(x),                \
    })

/*
 * QEMU_MAKE_LOCKABLE - Make a polymorphic QemuLockable
 * @x: a lock object (QemuMutex *, QemuRecMutex *), or NULL.
 * Returns a QemuLockable valid in the enclosing block, or NULL.
 */
#define QEMU_MAKE_LOCKABLE(x)                                 \
    _Generic((x), QemuLockable *: (x),                        \
             void *: qemu_null_lockable(x),                   \
             default: qemu_make_lockable(x, QEMU_MAKE_LOCKABLE_(x)))

/* Like QEMU_MAKE_LOCKABLE(), for an @x that cannot be NULL. */
#define QEMU_MAKE_LOCKABLE_NONNULL(x)                         \
    _Generic((x), QemuLockable *: (x),                        \
             default: QEMU_MAKE_LOCKABLE_(x))

static inline void qemu_lockable_lock(QemuLockable *x)
{
    x->lock(x->object);
}

static inline void qemu_lockable_unlock(QemuLockable *x)
{
    x->unlock(x->object);
}

static inline QemuLockable *qemu_lockable_auto_lock(QemuLockable *x)
{
    if (x) {
        qemu_lockable_lock(x);
    }
    return x;
}

static inline void qemu_lockable_auto_unlock(QemuLockable *x)
{
    if (x) {
        qemu_lockable_unlock(x);
    }
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(QemuLockable, qemu_lockable_auto_unlock)

#define WITH_QEMU_LOCK_GUARD_(x, var)                                   \
    for (g_autoptr(QemuLockable) var =                                  \
                qemu_lockable_auto_lock(QEMU_MAKE_LOCKABLE_NONNULL((x))); \
         var;                                                           \
         qemu_lockable_auto_unlock(var), var = NULL)

/**
 * WITH_QEMU_LOCK_GUARD - Lock a lock object for scope
 * @x: a lock object (see QEMU_MAKE_LOCKABLE)
 *
 * Takes the lock for the statement that follows and releases it when the
 * statement ends, including through break and return:
 *
 *   WITH_QEMU_LOCK_GUARD(&mutex) {
 *       ...
 *       if (error) {
 *           return; <-- mutex is automatically unlocked
 *       }
 *   }
 */
#define WITH_QEMU_LOCK_GUARD(x) \
    WITH_QEMU_LOCK_GUARD_((x), glue(qemu_lockable_auto, __COUNTER__))

/**
 * QEMU_LOCK_GUARD - Lock an object until the end of the scope
 * @x: a lock object (see QEMU_MAKE_LOCKABLE); NULL means no locking
 */
#define QEMU_LOCK_GUARD(x)                                              \
    g_autoptr(QemuLockable)                                             \
    glue(qemu_lockable_auto, __COUNTER__) G_GNUC_UNUSED =               \
            qemu_lockable_auto_lock(QEMU_MAKE_LOCKABLE((x)))

#endif /* QEMU_LOCKABLE_H */
