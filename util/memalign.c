/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Aligned memory allocation: qemu_memalign(), qemu_try_memalign(). */
#include "qemu/osdep.h"
#include "qemu/memalign.h"
#include "qemu/host-utils.h"

void *qemu_try_memalign(size_t alignment, size_t size)
{
    void *ptr;

    if (alignment < sizeof(void *)) {
        alignment = sizeof(void *);
    }
    assert(is_power_of_2(alignment));

    if (size == 0) {
        size = alignment;
    }
    if (posix_memalign(&ptr, alignment, size) != 0) {
        return NULL;
    }
    return ptr;
}

void *qemu_memalign(size_t alignment, size_t size)
{
    void *p = qemu_try_memalign(alignment, size);

    if (p) {
        return p;
    }
    fprintf(stderr, "qemu_memalign: failed to allocate %zu bytes at "
            "alignment %zu: %s\n", size, alignment, strerror(ENOMEM));
    abort();
}

void qemu_vfree(void *ptr)
{
    free(ptr);
}
