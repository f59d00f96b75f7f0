/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Atomic accesses and memory barriers: QEMU's qatomic_*() over __atomic. */
#ifndef QEMU_ATOMIC_H
#define QEMU_ATOMIC_H

/*
 * Memory orders used below:
 * - qatomic_read/qatomic_set: atomic, but relaxed (no ordering at all);
 * - acquire loads and release stores, and the RCU pair (consume/release);
 * - everything that reads and writes (xchg, cmpxchg, arithmetic) and the
 *   qatomic_mb_* accesses: sequentially consistent.
 *
 * Accesses wider than a pointer may not be lock-free (they would need
 * libatomic), so the checked forms refuse them at compile time; the
 * __nocheck forms and the _i64/_u64 forms do not check, which is fine on
 * the 64-bit hosts minivmm supports.
 */
#define ATOMIC_REG_SIZE  sizeof(void *)

#define qatomic_check_size_(ptr) \
    QEMU_BUILD_BUG_ON(sizeof(*(ptr)) > ATOMIC_REG_SIZE)

/*
 * The type of *@ptr without const/volatile, for a temporary: the value of
 * an atomic load is an rvalue, and typeof() does not evaluate it.
 */
#define qatomic_value_type_(ptr) \
    typeof(__atomic_load_n(ptr, __ATOMIC_RELAXED))

/* Checked load and store with an explicit memory order. */
#define qatomic_load_(ptr, order) ({                                    \
        qatomic_check_size_(ptr);                                       \
        __atomic_load_n(ptr, order);                                    \
    })

#define qatomic_store_(ptr, val, order) do {                            \
        qatomic_check_size_(ptr);                                       \
        __atomic_store_n(ptr, val, order);                              \
    } while (0)

/*
 * Barriers.  barrier() only stops the compiler from moving memory accesses
 * across it; the smp_*() fences also order them for other CPUs.  A fence
 * is a compiler barrier too.
 */
#define barrier()                   ({ asm volatile("" ::: "memory"); })
#define smp_mb()                    __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_mb_release()            __atomic_thread_fence(__ATOMIC_RELEASE)
#define smp_mb_acquire()            __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb()                   smp_mb_release()
#define smp_rmb()                   smp_mb_acquire()
#define smp_read_barrier_depends()  barrier()
#define smp_mb__before_rmw()        smp_mb()
#define smp_mb__after_rmw()         smp_mb()

/* Plain atomic loads and stores. */
#define qatomic_read__nocheck(ptr)      __atomic_load_n(ptr, __ATOMIC_RELAXED)
#define qatomic_set__nocheck(ptr, i)    \
    __atomic_store_n(ptr, i, __ATOMIC_RELAXED)
#define qatomic_read(ptr)               qatomic_load_(ptr, __ATOMIC_RELAXED)
#define qatomic_set(ptr, i)             qatomic_store_(ptr, i, __ATOMIC_RELAXED)

/* Publication: a release store pairs with an acquire (or consume) load. */
#define qatomic_load_acquire(ptr)       qatomic_load_(ptr, __ATOMIC_ACQUIRE)
#define qatomic_store_release(ptr, i)   qatomic_store_(ptr, i, __ATOMIC_RELEASE)
#define qatomic_rcu_read(ptr)           qatomic_load_(ptr, __ATOMIC_CONSUME)
#define qatomic_rcu_set(ptr, i)         qatomic_store_(ptr, i, __ATOMIC_RELEASE)

/* Sequentially consistent load and store. */
#define qatomic_mb_read(ptr)            qatomic_load_(ptr, __ATOMIC_SEQ_CST)
#define qatomic_mb_set(ptr, i)          qatomic_store_(ptr, i, __ATOMIC_SEQ_CST)

/* Exchange: store @i, evaluate to the previous value. */
#define qatomic_xchg__nocheck(ptr, i)   \
    __atomic_exchange_n(ptr, i, __ATOMIC_SEQ_CST)
#define qatomic_xchg(ptr, i) ({                                         \
        qatomic_check_size_(ptr);                                       \
        qatomic_xchg__nocheck(ptr, i);                                  \
    })

/*
 * Compare and swap: store @new if *@ptr equals @old.  Evaluates to the
 * value found in *@ptr, so the swap happened exactly when that equals @old.
 * (The builtin writes the value it found into its "expected" operand.)
 */
#define qatomic_cmpxchg__nocheck(ptr, old, new) ({                      \
        qatomic_value_type_(ptr) qatomic_found_ = (old);                \
        __atomic_compare_exchange_n(ptr, &qatomic_found_, new, false,   \
                                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
        qatomic_found_;                                                 \
    })
#define qatomic_cmpxchg(ptr, old, new) ({                               \
        qatomic_check_size_(ptr);                                       \
        qatomic_cmpxchg__nocheck(ptr, old, new);                        \
    })

/*
 * Read-modify-write arithmetic in three spellings: qatomic_fetch_OP()
 * evaluates to the old value, qatomic_OP_fetch() to the new one, and
 * qatomic_OP() to nothing.  inc and dec are add and sub of 1.
 */
#define qatomic_fetch_op_(op, ptr, n) \
    __atomic_fetch_##op(ptr, n, __ATOMIC_SEQ_CST)
#define qatomic_op_fetch_(op, ptr, n) \
    __atomic_##op##_fetch(ptr, n, __ATOMIC_SEQ_CST)

#define qatomic_fetch_add(ptr, n)   qatomic_fetch_op_(add, ptr, n)
#define qatomic_fetch_sub(ptr, n)   qatomic_fetch_op_(sub, ptr, n)
#define qatomic_fetch_and(ptr, n)   qatomic_fetch_op_(and, ptr, n)
#define qatomic_fetch_or(ptr, n)    qatomic_fetch_op_(or, ptr, n)
#define qatomic_fetch_xor(ptr, n)   qatomic_fetch_op_(xor, ptr, n)
#define qatomic_fetch_inc(ptr)      qatomic_fetch_add(ptr, 1)
#define qatomic_fetch_dec(ptr)      qatomic_fetch_sub(ptr, 1)

#define qatomic_add_fetch(ptr, n)   qatomic_op_fetch_(add, ptr, n)
#define qatomic_sub_fetch(ptr, n)   qatomic_op_fetch_(sub, ptr, n)
#define qatomic_and_fetch(ptr, n)   qatomic_op_fetch_(and, ptr, n)
#define qatomic_or_fetch(ptr, n)    qatomic_op_fetch_(or, ptr, n)
#define qatomic_xor_fetch(ptr, n)   qatomic_op_fetch_(xor, ptr, n)
#define qatomic_inc_fetch(ptr)      qatomic_add_fetch(ptr, 1)
#define qatomic_dec_fetch(ptr)      qatomic_sub_fetch(ptr, 1)

#define qatomic_add(ptr, n)         ((void)qatomic_fetch_add(ptr, n))
#define qatomic_sub(ptr, n)         ((void)qatomic_fetch_sub(ptr, n))
#define qatomic_and(ptr, n)         ((void)qatomic_fetch_and(ptr, n))
#define qatomic_or(ptr, n)          ((void)qatomic_fetch_or(ptr, n))
#define qatomic_xor(ptr, n)         ((void)qatomic_fetch_xor(ptr, n))
#define qatomic_inc(ptr)            qatomic_add(ptr, 1)
#define qatomic_dec(ptr)            qatomic_sub(ptr, 1)

/* 64-bit values: plain relaxed accesses (64-bit hosts only). */
#define qatomic_read_i64(ptr)       qatomic_read__nocheck(ptr)
#define qatomic_read_u64(ptr)       qatomic_read__nocheck(ptr)
#define qatomic_set_i64(ptr, v)     qatomic_set__nocheck(ptr, v)
#define qatomic_set_u64(ptr, v)     qatomic_set__nocheck(ptr, v)

#endif /* QEMU_ATOMIC_H */
