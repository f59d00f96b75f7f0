/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Aligned allocation (qemu_memalign/qemu_vfree), as QEMU's. */
#ifndef QEMU_MEMALIGN_H
#define QEMU_MEMALIGN_H

/*
 * Allocate @size bytes aligned to @alignment (a power of two; smaller
 * values are raised to sizeof(void *)).  qemu_try_memalign() returns
 * NULL on failure; qemu_memalign() aborts.  Free with qemu_vfree().
 * A zero @size gives a valid pointer.
 */
void *qemu_try_memalign(size_t alignment, size_t size);
void *qemu_memalign(size_t alignment, size_t size);
void qemu_vfree(void *ptr);

#endif /* QEMU_MEMALIGN_H */
