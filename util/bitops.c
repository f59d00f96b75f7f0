/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Searching bit arrays: find_next_bit() and friends. */
#include "qemu/osdep.h"
#include "qemu/bitops.h"

unsigned long find_next_bit(const unsigned long *addr, unsigned long size,
                            unsigned long offset)
{
    const unsigned long *p;
    unsigned long word;

    if (offset >= size) {
        return size;
    }
    p = addr + BIT_WORD(offset);
    /* The first word, without the bits below @offset. */
    word = *p & (~0UL << (offset % BITS_PER_LONG));
    offset -= offset % BITS_PER_LONG;
    for (;;) {
        if (word) {
            offset += ctzl(word);
            return offset < size ? offset : size;
        }
        offset += BITS_PER_LONG;
        if (offset >= size) {
            return size;
        }
        word = *++p;
    }
}

unsigned long find_next_zero_bit(const unsigned long *addr,
                                 unsigned long size, unsigned long offset)
{
    const unsigned long *p;
    unsigned long word;

    if (offset >= size) {
        return size;
    }
    p = addr + BIT_WORD(offset);
    /* Inverted, so that zero bits are set; ignore those below @offset. */
    word = ~*p & (~0UL << (offset % BITS_PER_LONG));
    offset -= offset % BITS_PER_LONG;
    for (;;) {
        if (word) {
            offset += ctzl(word);
            return offset < size ? offset : size;
        }
        offset += BITS_PER_LONG;
        if (offset >= size) {
            return size;
        }
        word = ~*++p;
    }
}

unsigned long find_last_bit(const unsigned long *addr, unsigned long size)
{
    unsigned long words, word;

    if (!size) {
        return 0;
    }
    words = BIT_WORD(size - 1);
    /* The last word, without the bits at or above @size. */
    word = addr[words] & (~0UL >> (-size & (BITS_PER_LONG - 1)));
    for (;;) {
        if (word) {
            return words * BITS_PER_LONG + BITS_PER_LONG - 1 - clzl(word);
        }
        if (!words) {
            return size;
        }
        word = addr[--words];
    }
}
