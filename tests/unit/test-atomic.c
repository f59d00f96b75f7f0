/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for qemu/atomic.h: values, types and two racing threads. */
#include "qemu/osdep.h"
#include "qemu/atomic.h"

static void test_values(void)
{
    unsigned long u = 0xf0;
    int i = 5;
    int8_t small = -1;
    volatile uint16_t vol = 7;
    const int constant = 42;
    int *p = &i, *q = NULL;
    uint64_t wide = 0;

    g_assert_cmpuint(qatomic_fetch_or(&u, 0x0f), ==, 0xf0);
    g_assert_cmpuint(qatomic_or_fetch(&u, 0x100), ==, 0x1ff);
    g_assert_cmpuint(qatomic_fetch_and(&u, 0x10f), ==, 0x1ff);
    g_assert_cmpuint(qatomic_and_fetch(&u, 0xf), ==, 0xf);
    g_assert_cmpuint(qatomic_fetch_xor(&u, 0x3), ==, 0xf);
    g_assert_cmpuint(qatomic_xor_fetch(&u, 0x3), ==, 0xf);
    qatomic_and(&u, 0x7);
    qatomic_or(&u, 0x10);
    qatomic_xor(&u, 0x1);
    g_assert_cmpuint(qatomic_read(&u), ==, 0x16);

    g_assert_cmpint(qatomic_fetch_add(&i, 10), ==, 5);
    g_assert_cmpint(qatomic_add_fetch(&i, 10), ==, 25);
    g_assert_cmpint(qatomic_fetch_sub(&i, 5), ==, 25);
    g_assert_cmpint(qatomic_sub_fetch(&i, 5), ==, 15);
    g_assert_cmpint(qatomic_fetch_inc(&i), ==, 15);
    g_assert_cmpint(qatomic_inc_fetch(&i), ==, 17);
    g_assert_cmpint(qatomic_fetch_dec(&i), ==, 17);
    g_assert_cmpint(qatomic_dec_fetch(&i), ==, 15);
    qatomic_inc(&i);
    qatomic_add(&i, 4);
    qatomic_dec(&i);
    qatomic_sub(&i, 2);
    g_assert_cmpint(qatomic_mb_read(&i), ==, 17);

    /* Exchange and compare-and-swap evaluate to the old value. */
    g_assert_cmpint(qatomic_xchg(&i, 3), ==, 17);
    g_assert_cmpint(qatomic_cmpxchg(&i, 4, 9), ==, 3);     /* no swap */
    g_assert_cmpint(i, ==, 3);
    g_assert_cmpint(qatomic_cmpxchg(&i, 3, 9), ==, 3);     /* swap */
    g_assert_cmpint(i, ==, 9);
    g_assert_cmpint(qatomic_cmpxchg(&small, -1, 5), ==, -1);
    g_assert_cmpint(small, ==, 5);
    g_assert_cmpint(qatomic_cmpxchg(&vol, 7, 0xffff), ==, 7);
    g_assert_cmpuint(vol, ==, 0xffff);
    g_assert_true(qatomic_cmpxchg(&q, NULL, p) == NULL);
    g_assert_true(qatomic_xchg(&q, NULL) == p);

    /* Reads of qualified objects; the ordered loads and stores. */
    g_assert_cmpint(qatomic_read(&constant), ==, 42);
    g_assert_cmpint(qatomic_load_acquire(&constant), ==, 42);
    qatomic_set(&i, 1);
    qatomic_store_release(&i, 2);
    g_assert_cmpint(qatomic_load_acquire(&i), ==, 2);
    qatomic_mb_set(&i, 3);
    g_assert_cmpint(qatomic_read__nocheck(&i), ==, 3);
    qatomic_rcu_set(&q, p);
    g_assert_true(qatomic_rcu_read(&q) == p);
    qatomic_set_u64(&wide, 1ULL << 40);
    g_assert_cmpuint(qatomic_read_u64(&wide), ==, 1ULL << 40);
    smp_mb();
    smp_wmb();
    smp_rmb();
    barrier();
}

/* Two threads bump one counter, each way; no update may be lost. */
#define ROUNDS 100000

typedef struct Race {
    unsigned long counter;
    unsigned long cas_counter;
} Race;

static gpointer racer(gpointer opaque)
{
    Race *r = opaque;
    int n;

    for (n = 0; n < ROUNDS; n++) {
        unsigned long seen;

        qatomic_inc(&r->counter);
        do {
            seen = qatomic_read(&r->cas_counter);
        } while (qatomic_cmpxchg(&r->cas_counter, seen, seen + 1) != seen);
    }
    return NULL;
}

static void test_race(void)
{
    Race r = { 0 };
    GThread *t1 = g_thread_new("racer1", racer, &r);
    GThread *t2 = g_thread_new("racer2", racer, &r);

    g_thread_join(t1);
    g_thread_join(t2);
    g_assert_cmpuint(r.counter, ==, 2 * ROUNDS);
    g_assert_cmpuint(r.cas_counter, ==, 2 * ROUNDS);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/atomic/values", test_values);
    g_test_add_func("/atomic/race", test_race);

    return g_test_run();
}
