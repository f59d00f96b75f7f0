/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Searching bit arrays: find_next_bit() and friends (see qemu/bitops.h). */
#include "qemu/osdep.h"
#include "qemu/bitops.h"

/*
 * The first bit in [@offset, @size) that differs from @background (0 to
 * look for ones, ~0UL to look for zeros), or @size.  XOR-ing each word
 * with @background turns both searches into a search for a one.
 */
static unsigned long find_next_unlike(const unsigned long *addr,
                                      unsigned long size,
                                      unsigned long offset,
                                      unsigned long background)
{
    unsigned long nwords = BITS_TO_LONGS(size);
    unsigned long w = BIT_WORD(offset);
    unsigned long pending;
    unsigned long found;

    if (offset >= size) {
        return size;
    }
    /* Bits of the first word below @offset are not candidates. */
    pending = (addr[w] ^ background) & (~0UL << (offset % BITS_PER_LONG));
    while (!pending) {
        if (++w == nwords) {
            return size;
        }
        pending = addr[w] ^ background;
    }
    /* The hit may be in the last word's unused bits, past @size. */
    found = w * BITS_PER_LONG + ctzl(pending);
    return MIN(found, size);
}

unsigned long find_next_bit(const unsigned long *addr, unsigned long size,
                            unsigned long offset)
{
    return find_next_unlike(addr, size, offset, 0);
}

unsigned long find_next_zero_bit(const unsigned long *addr,
                                 unsigned long size, unsigned long offset)
{
    return find_next_unlike(addr, size, offset, ~0UL);
}

unsigned long find_last_bit(const unsigned long *addr, unsigned long size)
{
    unsigned long w = BITS_TO_LONGS(size);
    unsigned long tail = size % BITS_PER_LONG;
    unsigned long word;

    /* Walk down from the last word, whose bits at or past @size are out. */
    while (w-- > 0) {
        word = addr[w];
        if (tail && w == BIT_WORD(size)) {
            word &= (1UL << tail) - 1;
        }
        if (word) {
            return w * BITS_PER_LONG + BITS_PER_LONG - 1 - clzl(word);
        }
    }
    return size;
}
