/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Compiler attributes and helper macros, with QEMU 7.2's names. */
#ifndef COMPILER_H
#define COMPILER_H

#define QEMU_NORETURN __attribute__((noreturn))
#define QEMU_WARN_UNUSED_RESULT __attribute__((warn_unused_result))
#define QEMU_SENTINEL __attribute__((sentinel))
#define QEMU_PACKED __attribute__((packed))
#define QEMU_ALIGNED(X) __attribute__((aligned(X)))
#define QEMU_ALWAYS_INLINE __attribute__((always_inline))
#define QEMU_FLATTEN __attribute__((flatten))
#define QEMU_UNUSED_FUNC __attribute__((unused))
#define QEMU_FALLTHROUGH __attribute__((fallthrough))

#ifndef likely
#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

#define glue(x, y) xglue(x, y)
#define xglue(x, y) x ## y
#define stringify(s) tostring(s)
#define tostring(s) #s

#ifndef container_of
#define container_of(ptr, type, member) ({                      \
        const typeof(((type *) 0)->member) *__mptr = (ptr);     \
        (type *) ((char *) __mptr - offsetof(type, member));})
#endif

#define sizeof_field(type, field) sizeof(((type *)0)->field)

/* Size of an array, refusing to compile when given a pointer. */
#define QEMU_IS_ARRAY(x) (!__builtin_types_compatible_p(typeof(x), \
                                                        typeof(&(x)[0])))

#define QEMU_BUILD_BUG_MSG(x, msg) _Static_assert(!(x), msg)
#define QEMU_BUILD_BUG_ON(x) QEMU_BUILD_BUG_MSG(x, "not expecting: " #x)
#define QEMU_BUILD_BUG_ON_STRUCT(x) \
    struct { \
        int:(x) ? -1 : 1; \
    }
/* Zero, or a compile error when x is true; usable inside expressions. */
#define QEMU_BUILD_BUG_ON_ZERO(x) (sizeof(QEMU_BUILD_BUG_ON_STRUCT(x)) - \
                                   sizeof(QEMU_BUILD_BUG_ON_STRUCT(x)))

#define QEMU_FIRST_(a, b) a
#define QEMU_SECOND_(a, b) b

#if defined(__has_attribute) && __has_attribute(nonstring)
# define QEMU_NONSTRING __attribute__((nonstring))
#else
# define QEMU_NONSTRING
#endif

#endif /* COMPILER_H */
