/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Atomic operations and memory barriers (QEMU's qatomic_* over __atomic). */
#ifndef QEMU_ATOMIC_H
#define QEMU_ATOMIC_H

/*
 * The type of @expr without qualifiers (const, volatile), for temporaries.
 * Types narrower than int are kept as they are; others go through "+ 0",
 * which yields an unqualified rvalue of the same type.
 */
#define typeof_strip_qual_is_(expr, type)                               \
    (__builtin_types_compatible_p(typeof(expr), type) ||                \
     __builtin_types_compatible_p(typeof(expr), const type) ||          \
     __builtin_types_compatible_p(typeof(expr), volatile type) ||       \
     __builtin_types_compatible_p(typeof(expr), const volatile type))

#define typeof_strip_qual(expr)                                         \
    typeof(                                                             \
    __builtin_choose_expr(typeof_strip_qual_is_(expr, bool),            \
        (bool)1,                                                        \
    __builtin_choose_expr(typeof_strip_qual_is_(expr, signed char),     \
        (signed char)1,                                                 \
    __builtin_choose_expr(typeof_strip_qual_is_(expr, unsigned char),   \
        (unsigned char)1,                                               \
    __builtin_choose_expr(typeof_strip_qual_is_(expr, char),            \
        (char)1,                                                        \
    __builtin_choose_expr(typeof_strip_qual_is_(expr, signed short),    \
        (signed short)1,                                                \
    __builtin_choose_expr(typeof_strip_qual_is_(expr, unsigned short),  \
        (unsigned short)1,                                              \
      (expr) + 0)))))))

/* Compiler barrier */
#define barrier()   ({ asm volatile("" ::: "memory"); (void)0; })

/* Full memory barrier and its read/write halves. */
#define smp_mb()    ({ barrier(); __atomic_thread_fence(__ATOMIC_SEQ_CST); })
#define smp_mb_release() \
    ({ barrier(); __atomic_thread_fence(__ATOMIC_RELEASE); })
#define smp_mb_acquire() \
    ({ barrier(); __atomic_thread_fence(__ATOMIC_ACQUIRE); })
#define smp_wmb()   smp_mb_release()
#define smp_rmb()   smp_mb_acquire()
#define smp_read_barrier_depends()   barrier()
#define smp_mb__before_rmw() smp_mb()
#define smp_mb__after_rmw()  smp_mb()

/* Operands larger than a pointer are not guaranteed lock-free. */
#define ATOMIC_REG_SIZE  sizeof(void *)

#define qatomic_read__nocheck(ptr) \
    __atomic_load_n(ptr, __ATOMIC_RELAXED)

#define qatomic_read(ptr)                              \
    ({                                                 \
    QEMU_BUILD_BUG_ON(sizeof(*ptr) > ATOMIC_REG_SIZE); \
    qatomic_read__nocheck(ptr);                        \
    })

#define qatomic_set__nocheck(ptr, i) \
    __atomic_store_n(ptr, i, __ATOMIC_RELAXED)

#define qatomic_set(ptr, i)  do {                      \
    QEMU_BUILD_BUG_ON(sizeof(*ptr) > ATOMIC_REG_SIZE); \
    qatomic_set__nocheck(ptr, i);                      \
} while (0)

/* Pointer publication: consume on read, release on write. */
#define qatomic_rcu_read(ptr)                          \
    ({                                                 \
    QEMU_BUILD_BUG_ON(sizeof(*ptr) > ATOMIC_REG_SIZE); \
    typeof_strip_qual(*ptr) _val;                      \
    __atomic_load(ptr, &_val, __ATOMIC_CONSUME);       \
    _val;                                              \
    })

#define qatomic_rcu_set(ptr, i) do {                   \
    QEMU_BUILD_BUG_ON(sizeof(*ptr) > ATOMIC_REG_SIZE); \
    __atomic_store_n(ptr, i, __ATOMIC_RELEASE);        \
} while (0)

#define qatomic_load_acquire(ptr)                      \
    ({                                                 \
    QEMU_BUILD_BUG_ON(sizeof(*ptr) > ATOMIC_REG_SIZE); \
    typeof_strip_qual(*ptr) _val;                      \
    __atomic_load(ptr, &_val, __ATOMIC_ACQUIRE);       \
    _val;                                              \
    })

#define qatomic_store_release(ptr, i)  do {            \
    QEMU_BUILD_BUG_ON(sizeof(*ptr) > ATOMIC_REG_SIZE); \
    __atomic_store_n(ptr, i, __ATOMIC_RELEASE);        \
} while (0)

/* Sequentially consistent read and write. */
#define qatomic_mb_read(ptr)                             \
    ({                                                   \
    QEMU_BUILD_BUG_ON(sizeof(*ptr) > ATOMIC_REG_SIZE);   \
    __atomic_load_n(ptr, __ATOMIC_SEQ_CST);              \
    })

#define qatomic_mb_set(ptr, i)  do {                     \
    QEMU_BUILD_BUG_ON(sizeof(*ptr) > ATOMIC_REG_SIZE);   \
    __atomic_store_n(ptr, i, __ATOMIC_SEQ_CST);          \
} while (0)

/* All the remaining operations are fully sequentially consistent. */
#define qatomic_xchg__nocheck(ptr, i)    ({                     \
    __atomic_exchange_n(ptr, (i), __ATOMIC_SEQ_CST);            \
})

#define qatomic_xchg(ptr, i)    ({                              \
    QEMU_BUILD_BUG_ON(sizeof(*ptr) > ATOMIC_REG_SIZE);          \
    qatomic_xchg__nocheck(ptr, i);                              \
})

/* Returns the old value of '*ptr' (whether the cmpxchg failed or not). */
#define qatomic_cmpxchg__nocheck(ptr, old, new)    ({           \
    typeof_strip_qual(*ptr) _old = (old);                       \
    (void)__atomic_compare_exchange_n(ptr, &_old, new, false,   \
                              __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
    _old;                                                       \
})

#define qatomic_cmpxchg(ptr, old, new)    ({                    \
    QEMU_BUILD_BUG_ON(sizeof(*ptr) > ATOMIC_REG_SIZE);          \
    qatomic_cmpxchg__nocheck(ptr, old, new);                    \
})

/* Provide shorter names for GCC atomic builtins, return old value */
#define qatomic_fetch_inc(ptr)  __atomic_fetch_add(ptr, 1, __ATOMIC_SEQ_CST)
#define qatomic_fetch_dec(ptr)  __atomic_fetch_sub(ptr, 1, __ATOMIC_SEQ_CST)

#define qatomic_fetch_add(ptr, n) __atomic_fetch_add(ptr, n, __ATOMIC_SEQ_CST)
#define qatomic_fetch_sub(ptr, n) __atomic_fetch_sub(ptr, n, __ATOMIC_SEQ_CST)
#define qatomic_fetch_and(ptr, n) __atomic_fetch_and(ptr, n, __ATOMIC_SEQ_CST)
#define qatomic_fetch_or(ptr, n)  __atomic_fetch_or(ptr, n, __ATOMIC_SEQ_CST)
#define qatomic_fetch_xor(ptr, n) __atomic_fetch_xor(ptr, n, __ATOMIC_SEQ_CST)

/* ... and the new value */
#define qatomic_inc_fetch(ptr)    __atomic_add_fetch(ptr, 1, __ATOMIC_SEQ_CST)
#define qatomic_dec_fetch(ptr)    __atomic_sub_fetch(ptr, 1, __ATOMIC_SEQ_CST)
#define qatomic_add_fetch(ptr, n) __atomic_add_fetch(ptr, n, __ATOMIC_SEQ_CST)
#define qatomic_sub_fetch(ptr, n) __atomic_sub_fetch(ptr, n, __ATOMIC_SEQ_CST)
#define qatomic_and_fetch(ptr, n) __atomic_and_fetch(ptr, n, __ATOMIC_SEQ_CST)
#define qatomic_or_fetch(ptr, n)  __atomic_or_fetch(ptr, n, __ATOMIC_SEQ_CST)
#define qatomic_xor_fetch(ptr, n) __atomic_xor_fetch(ptr, n, __ATOMIC_SEQ_CST)

/* And even shorter names that return void. */
#define qatomic_inc(ptr) \
    ((void) __atomic_fetch_add(ptr, 1, __ATOMIC_SEQ_CST))
#define qatomic_dec(ptr) \
    ((void) __atomic_fetch_sub(ptr, 1, __ATOMIC_SEQ_CST))
#define qatomic_add(ptr, n) \
    ((void) __atomic_fetch_add(ptr, n, __ATOMIC_SEQ_CST))
#define qatomic_sub(ptr, n) \
    ((void) __atomic_fetch_sub(ptr, n, __ATOMIC_SEQ_CST))
#define qatomic_and(ptr, n) \
    ((void) __atomic_fetch_and(ptr, n, __ATOMIC_SEQ_CST))
#define qatomic_or(ptr, n) \
    ((void) __atomic_fetch_or(ptr, n, __ATOMIC_SEQ_CST))
#define qatomic_xor(ptr, n) \
    ((void) __atomic_fetch_xor(ptr, n, __ATOMIC_SEQ_CST))

/*
 * 64-bit accesses that are atomic on 64-bit hosts (all we support).
 */
#define qatomic_read_i64(ptr)     qatomic_read__nocheck(ptr)
#define qatomic_read_u64(ptr)     qatomic_read__nocheck(ptr)
#define qatomic_set_i64(ptr, v)   qatomic_set__nocheck(ptr, v)
#define qatomic_set_u64(ptr, v)   qatomic_set__nocheck(ptr, v)

#endif /* QEMU_ATOMIC_H */
