/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hierarchical bitmap: levels of words, each bit summarising a word below. */
#include "qemu/osdep.h"
#include "qemu/hbitmap.h"
#include "qemu/host-utils.h"
#include "qemu/bswap.h"
#include <sys/mman.h>

/*
 * Layout.  The bottom level (BOTTOM) is the real bitmap: bit i stands for
 * the group of items [i << granularity, (i + 1) << granularity).  Bit i of
 * level N-1 is set iff word i of level N is non-zero, so a zero word at any
 * level proves that the whole subtree below it is empty, and searches and
 * range operations skip it.  Level 0 is a single word whose top bit is a
 * permanent sentinel: it stops iteration without a bounds check (level 1 has
 * at most 32 words on a 64-bit host, so the sentinel never means a word).
 *
 * Invariants, kept by every function (deserialization included, so
 * hbitmap_deserialize_finish() has nothing left to do):
 * - upper levels are exactly the "non-zero" summary of the level below;
 * - words past a level's size and bits past the bottom level's size are 0
 *   (except the padding bits hbitmap_deserialize_ones() sets in the last
 *   word, which hbitmap_truncate() clears before it can expose them);
 * - count is the number of set bottom bits in [0, size).
 *
 * Memory.  Levels of HB_MMAP_MIN bytes or more are anonymous private mappings,
 * so their pages are zero-filled by the kernel on first touch and a sparse
 * bitmap only costs the pages it really dirtied.  Words that the summaries
 * prove zero are neither written nor read (not every kernel maps reads of
 * untouched pages to the shared zero page), and reset_all gives whole
 * mappings back with MADV_DONTNEED.  Smaller levels come from g_malloc0.
 */

QEMU_BUILD_BUG_MSG(sizeof(unsigned long) != 8,
                   "minivmm's HBitmap supports 64-bit hosts only");

#define BOTTOM          (HBITMAP_LEVELS - 1)
#define BPL             ((uint64_t)BITS_PER_LONG)
#define HB_SENTINEL     (1UL << (BITS_PER_LONG - 1))
#define HB_MMAP_MIN     (64 * KiB)

struct HBitmap {
    /* Number of items covered, as passed to alloc/truncate; <= INT64_MAX. */
    uint64_t orig_size;

    /* Number of bottom-level bits: ceil(orig_size / 2^granularity). */
    uint64_t size;

    /* Number of set bits in [0, size) of the bottom level. */
    uint64_t count;

    /* log2 of the number of items per bit, in [0, 64). */
    int granularity;

    /* The levels; levels[0] is one word, levels[BOTTOM] is the bitmap. */
    unsigned long *levels[HBITMAP_LEVELS];

    /* Number of words in each level, >= 1. */
    uint64_t sizes[HBITMAP_LEVELS];

    /* Bytes mmap'd for each level (a page multiple), or 0 if g_malloc'd. */
    size_t mapped[HBITMAP_LEVELS];
};

/* Level memory */

static size_t hb_page_size(void)
{
    static size_t page_size;

    if (!page_size) {
        page_size = sysconf(_SC_PAGESIZE);
    }
    return page_size;
}

static void *hb_map(size_t bytes)
{
    /*
     * MAP_NORESERVE: pages are only backed when bits are set, so a level
     * for a huge, mostly clean disk must not be refused by the kernel's
     * overcommit heuristic for its full virtual size.
     */
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    if (p == MAP_FAILED) {
        g_error("hbitmap: failed to map %zu bytes: %s", bytes,
                g_strerror(errno));
    }
#ifdef MADV_NOHUGEPAGE
    /*
     * A sparse bitmap would otherwise pay a whole huge page for each dirty
     * bit far from the others.
     */
    madvise(p, bytes, MADV_NOHUGEPAGE);
#endif
    return p;
}

/* Allocate a zeroed level of @words words; set *@mapped as for HBitmap. */
static unsigned long *hb_level_alloc(uint64_t words, size_t *mapped)
{
    size_t bytes = words * sizeof(unsigned long);

    if (bytes < HB_MMAP_MIN) {
        *mapped = 0;
        return g_new0(unsigned long, words);
    }
    *mapped = ROUND_UP(bytes, hb_page_size());
    return hb_map(*mapped);
}

static void hb_level_free(unsigned long *level, size_t mapped)
{
    if (mapped) {
        munmap(level, mapped);
    } else {
        g_free(level);
    }
}

/*
 * Resize level @i to @words words.  New words are zero.  Words dropped by a
 * shrink must already be zero (callers clear them first), which keeps the
 * tail of a mapping's last page zero for a later grow.
 */
static void hb_level_resize(HBitmap *hb, int i, uint64_t words)
{
    uint64_t old_words = hb->sizes[i];
    size_t bytes = words * sizeof(unsigned long);
    unsigned long *p;

    if (hb->mapped[i]) {
        size_t new_mapped = ROUND_UP(bytes, hb_page_size());

        if (new_mapped != hb->mapped[i]) {
            p = mremap(hb->levels[i], hb->mapped[i], new_mapped,
                       MREMAP_MAYMOVE);
            if (p == MAP_FAILED) {
                g_error("hbitmap: failed to remap %zu bytes: %s", new_mapped,
                        g_strerror(errno));
            }
            hb->levels[i] = p;
            hb->mapped[i] = new_mapped;
        }
    } else if (bytes >= HB_MMAP_MIN) {
        size_t new_mapped = ROUND_UP(bytes, hb_page_size());

        p = hb_map(new_mapped);
        memcpy(p, hb->levels[i], old_words * sizeof(unsigned long));
        g_free(hb->levels[i]);
        hb->levels[i] = p;
        hb->mapped[i] = new_mapped;
    } else {
        hb->levels[i] = g_renew(unsigned long, hb->levels[i], words);
        if (words > old_words) {
            memset(&hb->levels[i][old_words], 0,
                   (words - old_words) * sizeof(unsigned long));
        }
    }
    hb->sizes[i] = words;
}

/* Words needed by each level for @bits bottom bits, bottom first. */
static void hb_level_sizes(uint64_t bits, uint64_t sizes[HBITMAP_LEVELS])
{
    int i;

    for (i = BOTTOM; i >= 0; i--) {
        bits = MAX((bits + BPL - 1) >> BITS_PER_LEVEL, 1);
        sizes[i] = bits;
    }
}

/* Mask of the bits of the last bottom word that are inside the bitmap. */
static unsigned long hb_last_word_mask(const HBitmap *hb)
{
    uint64_t valid = hb->size - (hb->sizes[BOTTOM] - 1) * BPL;

    return valid == BPL ? ~0UL : ~(~0UL << valid);
}

/* Set bits of bottom word @index that count (padding bits do not). */
static uint64_t hb_word_count(const HBitmap *hb, uint64_t index,
                              unsigned long word)
{
    if (index == hb->sizes[BOTTOM] - 1) {
        word &= hb_last_word_mask(hb);
    }
    return ctpopl(word);
}

/* Range operations */

/*
 * Return how many words of level @lvl, starting at word @i and ending before
 * @end, the upper levels prove to be zero: 0 or a power of 64 (the largest
 * aligned empty subtree that starts at @i and fits).
 */
static uint64_t hb_zero_span(const HBitmap *hb, int lvl, uint64_t i,
                             uint64_t end)
{
    uint64_t span = 0;
    uint64_t step = BPL;
    int k;

    for (k = lvl - 1; k >= 0; k--) {
        if ((i & (step - 1)) || end - i < step ||
            hb->levels[k][i / step] != 0) {
            break;
        }
        span = step;
        step <<= BITS_PER_LEVEL;
    }
    return span;
}

/* OR @mask into *@w; return the number of bits newly set. */
static uint64_t hb_word_set(unsigned long *w, unsigned long mask, bool *grew)
{
    unsigned long old = *w;

    if ((old & mask) == mask) {
        return 0;
    }
    *w = old | mask;
    if (!old) {
        *grew = true;
        /* Spare the popcount in the common cases (ctpopl may be slow). */
        return mask == ~0UL ? BPL : ctpopl(mask);
    }
    return ctpopl(mask & ~old);
}

/* Clear @mask in *@w without writing if nothing is set; return bits cleared. */
static uint64_t hb_word_clear(unsigned long *w, unsigned long mask)
{
    unsigned long old = *w;

    if (!(old & mask)) {
        return 0;
    }
    *w = old & ~mask;
    return (old & mask) == ~0UL ? BPL : ctpopl(old & mask);
}

/*
 * Loops that count many bits get a clone built for the popcnt instruction,
 * picked at load time, since x86-64's baseline has none.
 */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define HB_POPCNT_CLONES __attribute__((target_clones("popcnt", "default")))
#endif
#endif
#ifndef HB_POPCNT_CLONES
#define HB_POPCNT_CLONES
#endif

/*
 * Fill the @n words at @w with ones; return the bits newly set and set
 * *@grew if one of them was zero.  For word groups that may hold set bits
 * (and so sit on a page that is already resident).
 */
HB_POPCNT_CLONES
static uint64_t hb_fill_words(unsigned long *w, uint64_t n, bool *grew)
{
    uint64_t i, set = 0;

    for (i = 0; i < n; i++) {
        set += BPL - ctpopl(w[i]);
        *grew |= !w[i];
    }
    if (set) {
        memset(w, 0xff, n * sizeof(unsigned long));
    }
    return set;
}

/* Clear the @n words at @w; return the bits cleared.  As hb_fill_words. */
HB_POPCNT_CLONES
static uint64_t hb_clear_words(unsigned long *w, uint64_t n)
{
    uint64_t i, cleared = 0;

    for (i = 0; i < n; i++) {
        cleared += ctpopl(w[i]);
    }
    memset(w, 0, n * sizeof(unsigned long));
    return cleared;
}

/*
 * Set bits [@first, @last] of level @lvl.  Set *@grew if a word was zero
 * before (so the level above needs updating).  Return the bits newly set.
 */
static uint64_t hb_level_set(HBitmap *hb, int lvl, uint64_t first,
                             uint64_t last, bool *grew)
{
    unsigned long *w = hb->levels[lvl];
    uint64_t fw = first / BPL;
    uint64_t lw = last / BPL;
    unsigned long fmask = ~0UL << (first % BPL);
    unsigned long lmask = ~0UL >> (BPL - 1 - last % BPL);
    uint64_t n, i, span;

    if (fw == lw) {
        return hb_word_set(&w[fw], fmask & lmask, grew);
    }
    n = hb_word_set(&w[fw], fmask, grew);
    for (i = fw + 1; i < lw; ) {
        span = hb_zero_span(hb, lvl, i, lw);
        if (span) {
            /* Known-zero words: no need to read them first. */
            memset(&w[i], 0xff, span * sizeof(unsigned long));
            n += span * BPL;
            *grew = true;
            i += span;
        } else if (!(i % BPL) && lw - i >= BPL) {
            n += hb_fill_words(&w[i], BPL, grew);
            i += BPL;
        } else {
            n += hb_word_set(&w[i], ~0UL, grew);
            i++;
        }
    }
    return n + hb_word_set(&w[lw], lmask, grew);
}

/* Set bottom bits [@first, @last] and their summaries; return bits set. */
static uint64_t hb_set_range(HBitmap *hb, uint64_t first, uint64_t last)
{
    uint64_t n = 0;
    int lvl;

    for (lvl = BOTTOM; lvl >= 0; lvl--) {
        bool grew = false;
        uint64_t set = hb_level_set(hb, lvl, first, last, &grew);

        if (lvl == BOTTOM) {
            n = set;
        }
        if (!grew) {
            break;
        }
        first /= BPL;
        last /= BPL;
    }
    return n;
}

/*
 * Clear bits [@first, @last] of level @lvl; return the bits cleared.  Words
 * the level above proves zero are not even read.
 */
static uint64_t hb_level_reset(HBitmap *hb, int lvl, uint64_t first,
                               uint64_t last)
{
    unsigned long *w = hb->levels[lvl];
    uint64_t fw = first / BPL;
    uint64_t lw = last / BPL;
    unsigned long fmask = ~0UL << (first % BPL);
    unsigned long lmask = ~0UL >> (BPL - 1 - last % BPL);
    uint64_t n = 0, i, span;
    unsigned long mask;

    for (i = fw; i <= lw; ) {
        span = hb_zero_span(hb, lvl, i, lw + 1);
        if (span) {
            i += span;
            continue;
        }
        if (i != fw && !(i % BPL) && lw - i >= BPL) {
            n += hb_clear_words(&w[i], BPL);
            i += BPL;
            continue;
        }
        mask = i == fw ? fmask : ~0UL;
        if (i == lw) {
            mask &= lmask;
        }
        n += hb_word_clear(&w[i], mask);
        i++;
    }
    return n;
}

/* Clear bottom bits [@first, @last] and their summaries; return bits reset. */
static uint64_t hb_reset_range(HBitmap *hb, uint64_t first, uint64_t last)
{
    uint64_t n = 0;
    int lvl;

    for (lvl = BOTTOM; lvl >= 0; lvl--) {
        unsigned long *w = hb->levels[lvl];
        uint64_t cleared = hb_level_reset(hb, lvl, first, last);
        uint64_t fw = first / BPL;
        uint64_t lw = last / BPL;

        if (lvl == BOTTOM) {
            n = cleared;
        }
        if (!cleared) {
            break;
        }
        /* Words left non-zero at the edges keep their summary bits. */
        if (fw == lw) {
            if (w[fw]) {
                break;
            }
        } else {
            if (w[fw]) {
                fw++;
            }
            if (w[lw]) {
                lw--;
            }
            if (fw > lw) {
                break;
            }
        }
        first = fw;
        last = lw;
    }
    return n;
}

/*
 * Clear the bits of the last bottom word past the bitmap's size (set only by
 * hbitmap_deserialize_ones() on a final chunk).  They are not in the count.
 */
static void hb_clear_padding(HBitmap *hb)
{
    uint64_t end = hb->sizes[BOTTOM] * BPL;

    if (hb->size < end) {
        hb_reset_range(hb, hb->size, end - 1);
    }
}

/* Walking the set words */

/*
 * Call @fn on every non-zero word of the bottom level under word @word of
 * level @lvl, using the summaries to skip empty subtrees.
 */
typedef void HBWordFn(const HBitmap *hb, uint64_t index, unsigned long word,
                      void *opaque);

static void hb_walk(const HBitmap *hb, int lvl, uint64_t word,
                    HBWordFn *fn, void *opaque)
{
    unsigned long bits = hb->levels[lvl][word];

    if (lvl == BOTTOM) {
        if (bits) {
            fn(hb, word, bits, opaque);
        }
        return;
    }
    if (lvl == 0) {
        bits &= ~HB_SENTINEL;
    }
    while (bits) {
        hb_walk(hb, lvl + 1, word * BPL + ctzl(bits), fn, opaque);
        bits &= bits - 1;
    }
}

static void hb_count_word(const HBitmap *hb, uint64_t index,
                          unsigned long word, void *opaque)
{
    uint64_t *count = opaque;

    *count += hb_word_count(hb, index, word);
}

/* Recount the set bits of a bitmap whose upper levels are up to date. */
static void hb_recount(HBitmap *hb)
{
    uint64_t count = 0;

    hb_walk(hb, 0, 0, hb_count_word, &count);
    hb->count = count;
}

/* Public API: life cycle */

HBitmap *hbitmap_alloc(uint64_t size, int granularity)
{
    HBitmap *hb = g_new0(HBitmap, 1);
    int i;

    assert(size <= INT64_MAX);
    assert(granularity >= 0 && granularity < 64);

    hb->orig_size = size;
    hb->granularity = granularity;
    hb->size = (size + (UINT64_C(1) << granularity) - 1) >> granularity;
    assert(hb->size <= (UINT64_C(1) << HBITMAP_LOG_MAX_SIZE));

    hb_level_sizes(hb->size, hb->sizes);
    for (i = 0; i < HBITMAP_LEVELS; i++) {
        hb->levels[i] = hb_level_alloc(hb->sizes[i], &hb->mapped[i]);
    }
    hb->levels[0][0] |= HB_SENTINEL;
    return hb;
}

int hbitmap_granularity(const HBitmap *hb)
{
    return hb->granularity;
}

void hbitmap_free(HBitmap *hb)
{
    int i;

    if (!hb) {
        return;
    }
    for (i = 0; i < HBITMAP_LEVELS; i++) {
        hb_level_free(hb->levels[i], hb->mapped[i]);
    }
    g_free(hb);
}

void hbitmap_truncate(HBitmap *hb, uint64_t size)
{
    uint64_t bits, old_bits, n;
    uint64_t sizes[HBITMAP_LEVELS];
    int i;

    assert(size <= INT64_MAX);
    hb->orig_size = size;
    bits = (size + (UINT64_C(1) << hb->granularity) - 1) >> hb->granularity;
    assert(bits <= (UINT64_C(1) << HBITMAP_LOG_MAX_SIZE));
    if (bits == hb->size) {
        return;
    }

    /* Padding bits would become real bits on a grow: drop them first. */
    hb_clear_padding(hb);
    old_bits = hb->size;
    if (bits < old_bits) {
        /*
         * Clear everything past the new last group, so that dropped words
         * and their summary bits are zero.  A set group straddling the new
         * end stays set.
         */
        n = hb_reset_range(hb, bits, old_bits - 1);
        hb->count = n > hb->count ? 0 : hb->count - n;
    }

    hb->size = bits;
    hb_level_sizes(bits, sizes);
    for (i = 0; i < HBITMAP_LEVELS; i++) {
        if (sizes[i] != hb->sizes[i]) {
            hb_level_resize(hb, i, sizes[i]);
        }
    }
    hb->levels[0][0] |= HB_SENTINEL;
}

/* Public API: reading and changing bits */

bool hbitmap_get(const HBitmap *hb, uint64_t item)
{
    uint64_t bit = item >> hb->granularity;

    assert(bit < hb->size);
    return test_bit(bit, hb->levels[BOTTOM]);
}

void hbitmap_set(HBitmap *hb, uint64_t start, uint64_t count)
{
    uint64_t last;

    if (count == 0) {
        return;
    }
    assert(count - 1 <= UINT64_MAX - start);
    last = (start + count - 1) >> hb->granularity;
    assert(last < hb->size);
    hb->count += hb_set_range(hb, start >> hb->granularity, last);
}

void hbitmap_reset(HBitmap *hb, uint64_t start, uint64_t count)
{
    uint64_t gran = UINT64_C(1) << hb->granularity;
    uint64_t last, n;

    if (count == 0) {
        return;
    }
    assert(count - 1 <= UINT64_MAX - start);
    assert(QEMU_IS_ALIGNED(start, gran));
    assert(QEMU_IS_ALIGNED(count, gran) || start + count == hb->orig_size);
    last = (start + count - 1) >> hb->granularity;
    assert(last < hb->size);

    n = hb_reset_range(hb, start >> hb->granularity, last);
    hb->count = n > hb->count ? 0 : hb->count - n;
}

void hbitmap_reset_all(HBitmap *hb)
{
    int i;

    if (hb->levels[0][0] == HB_SENTINEL) {
        /* Already empty: do not touch (and so allocate) any page. */
        hb->count = 0;
        return;
    }
    for (i = 0; i < HBITMAP_LEVELS; i++) {
        if (hb->mapped[i]) {
            /* Private anonymous pages read back as zero afterwards. */
            if (madvise(hb->levels[i], hb->mapped[i], MADV_DONTNEED) < 0) {
                memset(hb->levels[i], 0, hb->mapped[i]);
            }
        } else {
            memset(hb->levels[i], 0, hb->sizes[i] * sizeof(unsigned long));
        }
    }
    hb->levels[0][0] = HB_SENTINEL;
    hb->count = 0;
}

/* Totals are kept up to date by every change, in groups. */
uint64_t hbitmap_count(const HBitmap *hb)
{
    return hb->count << hb->granularity;
}

bool hbitmap_empty(const HBitmap *hb)
{
    return !hb->count;
}

/* Public API: merge */

bool hbitmap_can_merge(const HBitmap *a, const HBitmap *b)
{
    return a->orig_size == b->orig_size;
}

/* dst |= src for same-shaped bitmaps, visiting only src's set words. */
static void hb_or_subtree(HBitmap *dst, const HBitmap *src, int lvl,
                          uint64_t word)
{
    unsigned long bits = src->levels[lvl][word];

    dst->levels[lvl][word] |= bits;
    if (lvl == BOTTOM) {
        return;
    }
    if (lvl == 0) {
        bits &= ~HB_SENTINEL;
    }
    while (bits) {
        hb_or_subtree(dst, src, lvl + 1, word * BPL + ctzl(bits));
        bits &= bits - 1;
    }
}

/* dst |= src for any granularities: set src's dirty areas in dst. */
static void hb_sparse_merge(HBitmap *dst, const HBitmap *src)
{
    int64_t offset, count;

    for (offset = 0;
         hbitmap_next_dirty_area(src, offset, src->orig_size, INT64_MAX,
                                 &offset, &count);
         offset += count) {
        hbitmap_set(dst, offset, count);
    }
}

void hbitmap_merge(const HBitmap *a, const HBitmap *b, HBitmap *result)
{
    assert(a->orig_size == result->orig_size);
    assert(b->orig_size == result->orig_size);

    if ((hbitmap_empty(a) && result == b) ||
        (hbitmap_empty(b) && result == a)) {
        return;
    }
    if (a != result && b != result) {
        hbitmap_reset_all(result);
    }
    if (a->granularity != result->granularity ||
        b->granularity != result->granularity) {
        if (a != result) {
            hb_sparse_merge(result, a);
        }
        if (b != result) {
            hb_sparse_merge(result, b);
        }
        return;
    }
    if (a != result) {
        hb_or_subtree(result, a, 0, 0);
    }
    if (b != result) {
        hb_or_subtree(result, b, 0, 0);
    }
    hb_recount(result);
}

/* Public API: iteration and searches */

/*
 * The iterator keeps, per level, the bits of its current word that it has
 * not visited yet, as they were when it loaded that word; they are ANDed
 * with the live word before use, so bits reset meanwhile are skipped.
 */
void hbitmap_iter_init(HBitmapIter *hbi, const HBitmap *hb, uint64_t first)
{
    uint64_t bit = first >> hb->granularity;
    int lvl;

    assert(bit < hb->size);
    hbi->hb = hb;
    hbi->word = bit / BPL;

    /* Bottom: everything from @first's group on is still to visit. */
    hbi->pending[BOTTOM] = hb->levels[BOTTOM][bit / BPL] &
                           (~0UL << (bit % BPL));
    /*
     * Above: bit b of a level stands for word b of the level below.  The
     * word the walk is in is already loaded one level down, so only the
     * bits after it are pending.
     */
    for (lvl = BOTTOM - 1; lvl >= 0; lvl--) {
        bit /= BPL;
        hbi->pending[lvl] = hb->levels[lvl][bit / BPL] &
                            (~1UL << (bit % BPL));
    }
}

int64_t hbitmap_iter_next(HBitmapIter *hbi)
{
    const HBitmap *hb = hbi->hb;
    uint64_t idx = hbi->word;
    unsigned long live;
    int lvl = BOTTOM;

    /* Climb to the nearest level whose current word has bits left. */
    while (!(live = hbi->pending[lvl] & hb->levels[lvl][idx])) {
        lvl--;
        idx /= BPL;
    }
    /* Only the top word's sentinel left: the walk is over (for good). */
    if (lvl == 0 && !(live & ~HB_SENTINEL)) {
        return -1;
    }
    /* Go down along the lowest bits, consuming each one taken. */
    for (;;) {
        uint64_t next = idx * BPL + ctzl(live);

        hbi->pending[lvl] = live & (live - 1);
        if (lvl == BOTTOM) {
            hbi->word = idx;
            return next << hb->granularity;
        }
        lvl++;
        idx = next;
        live = hb->levels[lvl][idx];
    }
}

int64_t hbitmap_next_dirty(const HBitmap *hb, int64_t start, int64_t count)
{
    HBitmapIter hbi;
    int64_t first;
    uint64_t end;

    assert(start >= 0 && count >= 0);
    if ((uint64_t)start >= hb->orig_size || count == 0) {
        return -1;
    }
    end = (uint64_t)count > hb->orig_size - start ? hb->orig_size
                                                  : (uint64_t)start + count;

    hbitmap_iter_init(&hbi, hb, start);
    first = hbitmap_iter_next(&hbi);
    if (first < 0 || (uint64_t)first >= end) {
        return -1;
    }
    return MAX(start, first);
}

int64_t hbitmap_next_zero(const HBitmap *hb, int64_t start, int64_t count)
{
    const unsigned long *w = hb->levels[BOTTOM];
    uint64_t bit, end_bit, pos, res;
    unsigned long cur;

    assert(start >= 0 && count >= 0);
    if ((uint64_t)start >= hb->orig_size || count == 0) {
        return -1;
    }
    if ((uint64_t)count > hb->orig_size - start) {
        end_bit = hb->size;
    } else {
        end_bit = ((uint64_t)(start + count - 1) >> hb->granularity) + 1;
    }

    bit = (uint64_t)start >> hb->granularity;
    pos = bit / BPL;
    cur = w[pos] | ~(~0UL << (bit % BPL));
    while (cur == ~0UL) {
        pos++;
        if (pos * BPL >= end_bit) {
            return -1;
        }
        cur = w[pos];
    }
    res = pos * BPL + ctzl(~cur);
    if (res >= end_bit) {
        return -1;
    }
    res <<= hb->granularity;
    return MAX((uint64_t)start, res);
}

bool hbitmap_status(const HBitmap *hb, int64_t start, int64_t count,
                    int64_t *pnum)
{
    int64_t change;
    bool dirty;

    assert(start >= 0 && count > 0);
    assert((uint64_t)count <= hb->orig_size &&
           (uint64_t)start <= hb->orig_size - count);

    /* The run ends where the opposite state begins, or at @count. */
    dirty = hbitmap_get(hb, start);
    change = dirty ? hbitmap_next_zero(hb, start, count)
                   : hbitmap_next_dirty(hb, start, count);
    *pnum = change < 0 ? count : change - start;
    return dirty;
}

bool hbitmap_next_dirty_area(const HBitmap *hb, int64_t start, int64_t end,
                             int64_t max_dirty_count,
                             int64_t *dirty_start, int64_t *dirty_count)
{
    uint64_t limit;
    int64_t first;

    assert(start >= 0 && end >= 0 && max_dirty_count > 0);
    limit = MIN((uint64_t)end, hb->orig_size);
    if ((uint64_t)start >= limit) {
        return false;
    }
    first = hbitmap_next_dirty(hb, start, limit - start);
    if (first < 0) {
        return false;
    }
    /* From a dirty item, hbitmap_status() measures the dirty run. */
    hbitmap_status(hb, first, MIN(limit - first, (uint64_t)max_dirty_count),
                   dirty_count);
    *dirty_start = first;
    return true;
}

/* Public API: serialization */

bool hbitmap_is_serializable(const HBitmap *hb)
{
    /* 64 << granularity, the alignment, must fit in a uint64_t. */
    return hb->granularity < 58;
}

uint64_t hbitmap_serialization_align(const HBitmap *hb)
{
    assert(hbitmap_is_serializable(hb));
    /* 64 bits per word even where unsigned long is 32 bits wide. */
    return UINT64_C(64) << hb->granularity;
}

/*
 * Check a chunk against the rules of hbitmap_serialization_align() and
 * return the bottom-level words it covers.  Violations are caller bugs.
 */
static void serialization_chunk(const HBitmap *hb,
                                uint64_t start, uint64_t count,
                                uint64_t *first_word, uint64_t *nwords)
{
    uint64_t align = hbitmap_serialization_align(hb);
    uint64_t last;

    assert(count != 0 && count - 1 <= UINT64_MAX - start);
    last = start + count - 1;
    assert((start & (align - 1)) == 0);
    assert((last >> hb->granularity) < hb->size);
    if ((last >> hb->granularity) != hb->size - 1) {
        assert((count & (align - 1)) == 0);
    }
    *first_word = (start >> hb->granularity) / BPL;
    *nwords = (last >> hb->granularity) / BPL - *first_word + 1;
}

uint64_t hbitmap_serialization_size(const HBitmap *hb,
                                    uint64_t start, uint64_t count)
{
    uint64_t first, n;

    if (count == 0) {
        return 0;
    }
    serialization_chunk(hb, start, count, &first, &n);
    return n * sizeof(uint64_t);
}

/*
 * Call @fn on the runs of bottom words [@first, @end): @zero tells whether
 * the summaries prove the run zero (its words are then not read).  Runs of
 * words that may be set end at 64-word boundaries.
 */
typedef void HBRunFn(const unsigned long *words, uint64_t n, bool zero,
                     void *opaque);

static void hb_for_each_run(const HBitmap *hb, uint64_t first, uint64_t end,
                            HBRunFn *fn, void *opaque)
{
    const unsigned long *w = hb->levels[BOTTOM];
    uint64_t i = first, span;

    while (i < end) {
        span = hb_zero_span(hb, BOTTOM, i, end);
        if (span) {
            fn(&w[i], span, true, opaque);
        } else {
            span = MIN(QEMU_ALIGN_DOWN(i, BPL) + BPL, end) - i;
            fn(&w[i], span, false, opaque);
        }
        i += span;
    }
}

static void hb_serialize_run(const unsigned long *words, uint64_t n,
                             bool zero, void *opaque)
{
    uint8_t **out = opaque;
    uint64_t i;

    if (zero) {
        memset(*out, 0, n * sizeof(uint64_t));
    } else if (!HOST_BIG_ENDIAN) {
        memcpy(*out, words, n * sizeof(uint64_t));
    } else {
        for (i = 0; i < n; i++) {
            stq_le_p(*out + i * sizeof(uint64_t), words[i]);
        }
    }
    *out += n * sizeof(uint64_t);
}

void hbitmap_serialize_part(const HBitmap *hb, uint8_t *buf,
                            uint64_t start, uint64_t count)
{
    uint64_t first, n;

    if (count == 0) {
        return;
    }
    serialization_chunk(hb, start, count, &first, &n);
    hb_for_each_run(hb, first, first + n, hb_serialize_run, &buf);
}

/*
 * Word @index of level @lvl went from zero to non-zero or back: update the
 * summary bits above it, as far up as a word's own zero-ness changes.
 */
static void hb_word_flipped(HBitmap *hb, int lvl, uint64_t index,
                            bool nonzero)
{
    for (lvl--; lvl >= 0; lvl--) {
        unsigned long *pw = &hb->levels[lvl][index / BPL];
        unsigned long bit = 1UL << (index % BPL);
        unsigned long old = *pw;

        *pw = nonzero ? old | bit : old & ~bit;
        if (!old == !*pw) {
            break;
        }
        index /= BPL;
    }
}

/*
 * Return the change in set bits (padding included) if the @n bottom words
 * at @w took the little-endian values in @buf.  Reads only.
 */
HB_POPCNT_CLONES
static int64_t hb_words_delta(const unsigned long *w, const uint8_t *buf,
                              uint64_t n)
{
    int64_t delta = 0;
    uint64_t i;

    for (i = 0; i < n; i++) {
        delta += ctpopl(ldq_le_p(buf + i * sizeof(uint64_t)));
        delta -= ctpopl(w[i]);
    }
    return delta;
}

void hbitmap_deserialize_part(HBitmap *hb, uint8_t *buf,
                              uint64_t start, uint64_t count,
                              bool finish)
{
    unsigned long *w = hb->levels[BOTTOM];
    uint64_t first, n, i, last, g, j, pad_old = 0;
    unsigned long padmask = ~hb_last_word_mask(hb);

    if (count == 0) {
        return;
    }
    serialization_chunk(hb, start, count, &first, &n);
    last = first + n - 1;
    /* Unchanged words (typically zeroes over zeroes) are not written. */
    for (i = 0; i < n; i++) {
        if (ldq_le_p(buf + i * sizeof(uint64_t)) != w[first + i]) {
            break;
        }
    }
    if (i == n) {
        goto out;
    }

    if (last == hb->sizes[BOTTOM] - 1) {
        pad_old = ctpopl(w[last] & padmask);
    }
    hb->count += hb_words_delta(&w[first], buf, n);
    if (!HOST_BIG_ENDIAN) {
        memcpy(&w[first], buf, n * sizeof(uint64_t));
    } else {
        for (i = 0; i < n; i++) {
            w[first + i] = ldq_le_p(buf + i * sizeof(uint64_t));
        }
    }
    if (last == hb->sizes[BOTTOM] - 1) {
        hb->count -= ctpopl(w[last] & padmask) - pad_old;
    }

    /* Refresh the summaries of the 64-word groups the chunk overlaps. */
    for (g = first / BPL; g <= last / BPL; g++) {
        unsigned long *pw = &hb->levels[BOTTOM - 1][g];
        unsigned long bits = 0, old = *pw;
        uint64_t end = MIN(g * BPL + BPL, hb->sizes[BOTTOM]);

        for (j = g * BPL; j < end; j++) {
            bits |= (unsigned long)(w[j] != 0) << (j % BPL);
        }
        if (bits == old) {
            continue;
        }
        *pw = bits;
        if (!old != !bits) {
            hb_word_flipped(hb, BOTTOM - 1, g, bits != 0);
        }
    }
out:
    if (finish) {
        hbitmap_deserialize_finish(hb);
    }
}

void hbitmap_deserialize_zeroes(HBitmap *hb, uint64_t start, uint64_t count,
                                bool finish)
{
    uint64_t first, n, last, pad;

    if (count == 0) {
        return;
    }
    serialization_chunk(hb, start, count, &first, &n);
    last = first + n - 1;
    /* Whole words, padding included; only words with set bits are read. */
    pad = last == hb->sizes[BOTTOM] - 1 ?
          ctpopl(hb->levels[BOTTOM][last] & ~hb_last_word_mask(hb)) : 0;
    hb->count -= hb_reset_range(hb, first * BPL, last * BPL + BPL - 1) - pad;
    if (finish) {
        hbitmap_deserialize_finish(hb);
    }
}

void hbitmap_deserialize_ones(HBitmap *hb, uint64_t start, uint64_t count,
                              bool finish)
{
    uint64_t first, n, last, pad = 0;

    if (count == 0) {
        return;
    }
    serialization_chunk(hb, start, count, &first, &n);
    last = first + n - 1;
    /* Whole words: on the final chunk, padding bits get set too. */
    if (last == hb->sizes[BOTTOM] - 1) {
        pad = ctpopl(~hb_last_word_mask(hb) & ~hb->levels[BOTTOM][last]);
    }
    hb->count += hb_set_range(hb, first * BPL, last * BPL + BPL - 1) - pad;
    if (finish) {
        hbitmap_deserialize_finish(hb);
    }
}

void hbitmap_deserialize_finish(HBitmap *hb)
{
    /*
     * The deserialize functions keep the summaries and the count up to date
     * as they go, so there is nothing to repair.  (QEMU 7.2 rebuilds both
     * here, and aborts on a zero-size bitmap; minivmm needs neither.)
     */
}

static void hb_sha256_run(const unsigned long *words, uint64_t n, bool zero,
                          void *opaque)
{
    static const uint64_t zeroes[512];
    GChecksum *sum = opaque;
    uint8_t buf[BITS_PER_LONG * sizeof(uint64_t)];
    uint64_t i, k;

    if (zero) {
        for (; n; n -= k) {
            k = MIN(n, G_N_ELEMENTS(zeroes));
            g_checksum_update(sum, (const guchar *)zeroes,
                              k * sizeof(uint64_t));
        }
    } else if (!HOST_BIG_ENDIAN) {
        g_checksum_update(sum, (const guchar *)words, n * sizeof(uint64_t));
    } else {
        /* Runs that may be set are at most one 64-word group long. */
        for (i = 0; i < n; i++) {
            stq_le_p(buf + i * sizeof(uint64_t), words[i]);
        }
        g_checksum_update(sum, buf, n * sizeof(uint64_t));
    }
}

char *hbitmap_sha256(const HBitmap *bitmap, Error **errp)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);

    hb_for_each_run(bitmap, 0, bitmap->sizes[BOTTOM], hb_sha256_run, sum);
    return g_strdup(g_checksum_get_string(sum));
}
