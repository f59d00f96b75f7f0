/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for qemu/queue.h: random operations against an array model. */
#include "qemu/osdep.h"
#include "qemu/queue.h"

#define NELEMS 24
#define ROUNDS 4000

typedef struct Node {
    int id;
    QLIST_ENTRY(Node) l;
    QSLIST_ENTRY(Node) sl;
    QSIMPLEQ_ENTRY(Node) sq;
    QTAILQ_ENTRY(Node) tq;
} Node;

typedef QLIST_HEAD(NodeList, Node) NodeList;
typedef QSLIST_HEAD(NodeSList, Node) NodeSList;
typedef QSIMPLEQ_HEAD(NodeSimpleQ, Node) NodeSimpleQ;
typedef QTAILQ_HEAD(NodeTailQ, Node) NodeTailQ;

static Node nodes[NELEMS];

/*
 * The model is a GPtrArray holding the chain's elements in order; after
 * each operation the chain, walked every way it can be, must match it.
 */
static void model_insert(GPtrArray *m, guint index, Node *n)
{
    g_ptr_array_insert(m, index, n);
}

static guint model_index(GPtrArray *m, Node *n)
{
    guint i;

    g_assert_true(g_ptr_array_find(m, n, &i));
    return i;
}

/* A node that is (@inside true) or is not in the model, or NULL. */
static Node *pick(GRand *r, GPtrArray *m, bool inside)
{
    int start = g_rand_int_range(r, 0, NELEMS);
    int i;

    for (i = 0; i < NELEMS; i++) {
        Node *n = &nodes[(start + i) % NELEMS];
        guint unused;

        if (g_ptr_array_find(m, n, &unused) == inside) {
            return n;
        }
    }
    return NULL;
}

static void check_list(NodeList *h, GPtrArray *m)
{
    Node *n, *next;
    guint i = 0;

    g_assert_cmpint(QLIST_EMPTY(h), ==, m->len == 0);
    QLIST_FOREACH(n, h, l) {
        g_assert_true(n == g_ptr_array_index(m, i));
        g_assert_true(QLIST_IS_INSERTED(n, l));
        i++;
    }
    g_assert_cmpuint(i, ==, m->len);
    i = 0;
    QLIST_FOREACH_SAFE(n, h, l, next) {
        g_assert_true(QLIST_NEXT(n, l) == next);
        i++;
    }
    g_assert_cmpuint(i, ==, m->len);
    g_assert_true(QLIST_FIRST(h) == (m->len ? m->pdata[0] : NULL));
}

static void test_qlist(void)
{
    GRand *r = g_rand_new_with_seed(1);
    g_autoptr(GPtrArray) m = g_ptr_array_new();
    g_autoptr(GPtrArray) m2 = g_ptr_array_new();
    NodeList h = QLIST_HEAD_INITIALIZER(h);
    NodeList other;
    int round;

    QLIST_INIT(&other);
    for (round = 0; round < ROUNDS; round++) {
        Node *in = pick(r, m, true), *out = pick(r, m, false);

        switch (g_rand_int_range(r, 0, 6)) {
        case 0:
            if (out) {
                QLIST_INSERT_HEAD(&h, out, l);
                model_insert(m, 0, out);
            }
            break;
        case 1:
            if (in && out) {
                QLIST_INSERT_AFTER(in, out, l);
                model_insert(m, model_index(m, in) + 1, out);
            }
            break;
        case 2:
            if (in && out) {
                QLIST_INSERT_BEFORE(in, out, l);
                model_insert(m, model_index(m, in), out);
            }
            break;
        case 3:
            if (in) {
                QLIST_REMOVE(in, l);
                g_ptr_array_remove(m, in);
                g_assert_false(QLIST_IS_INSERTED(in, l));
            }
            break;
        case 4:
            if (in) {
                QLIST_SAFE_REMOVE(in, l);
                QLIST_SAFE_REMOVE(in, l);      /* not in a list: no-op */
                g_ptr_array_remove(m, in);
            }
            break;
        case 5:
            /* Swap with a second list, then back again. */
            QLIST_SWAP(&other, &h, l);
            check_list(&other, m);
            check_list(&h, m2);
            QLIST_SWAP(&h, &other, l);
            break;
        }
        check_list(&h, m);
    }
    g_rand_free(r);
}

static void check_slist(NodeSList *h, GPtrArray *m)
{
    Node *n, *next;
    guint i = 0;

    g_assert_cmpint(QSLIST_EMPTY(h), ==, m->len == 0);
    QSLIST_FOREACH(n, h, sl) {
        g_assert_true(n == g_ptr_array_index(m, i));
        i++;
    }
    g_assert_cmpuint(i, ==, m->len);
    i = 0;
    QSLIST_FOREACH_SAFE(n, h, sl, next) {
        g_assert_true(QSLIST_NEXT(n, sl) == next);
        i++;
    }
    g_assert_cmpuint(i, ==, m->len);
    g_assert_true(QSLIST_FIRST(h) == (m->len ? m->pdata[0] : NULL));
}

static void test_qslist(void)
{
    GRand *r = g_rand_new_with_seed(2);
    g_autoptr(GPtrArray) m = g_ptr_array_new();
    NodeSList h;
    int round;

    QSLIST_INIT(&h);
    for (round = 0; round < ROUNDS; round++) {
        Node *in = pick(r, m, true), *out = pick(r, m, false);
        guint at;

        switch (g_rand_int_range(r, 0, 5)) {
        case 0:
            if (out) {
                QSLIST_INSERT_HEAD(&h, out, sl);
                model_insert(m, 0, out);
            }
            break;
        case 1:
            if (in && out) {
                QSLIST_INSERT_AFTER(in, out, sl);
                model_insert(m, model_index(m, in) + 1, out);
            }
            break;
        case 2:
            if (m->len) {
                QSLIST_REMOVE_HEAD(&h, sl);
                g_ptr_array_remove_index(m, 0);
            }
            break;
        case 3:
            if (in && (at = model_index(m, in)) + 1 < m->len) {
                QSLIST_REMOVE_AFTER(in, sl);
                g_ptr_array_remove_index(m, at + 1);
            }
            break;
        case 4:
            if (in) {
                QSLIST_REMOVE(&h, in, Node, sl);
                g_ptr_array_remove(m, in);
                g_assert_null(QSLIST_NEXT(in, sl));
            }
            break;
        }
        check_slist(&h, m);
    }
    g_rand_free(r);
}

static void check_simpleq(NodeSimpleQ *h, GPtrArray *m)
{
    Node *n, *next;
    guint i = 0;

    g_assert_cmpint(QSIMPLEQ_EMPTY(h), ==, m->len == 0);
    g_assert_cmpint(QSIMPLEQ_EMPTY_ATOMIC(h), ==, m->len == 0);
    QSIMPLEQ_FOREACH(n, h, sq) {
        g_assert_true(n == g_ptr_array_index(m, i));
        i++;
    }
    g_assert_cmpuint(i, ==, m->len);
    i = 0;
    QSIMPLEQ_FOREACH_SAFE(n, h, sq, next) {
        g_assert_true(QSIMPLEQ_NEXT(n, sq) == next);
        i++;
    }
    g_assert_cmpuint(i, ==, m->len);
    g_assert_true(QSIMPLEQ_FIRST(h) == (m->len ? m->pdata[0] : NULL));
    g_assert_true(QSIMPLEQ_LAST(h, Node, sq) ==
                  (m->len ? m->pdata[m->len - 1] : NULL));
}

static void test_qsimpleq(void)
{
    GRand *r = g_rand_new_with_seed(3);
    g_autoptr(GPtrArray) m = g_ptr_array_new();
    NodeSimpleQ h = QSIMPLEQ_HEAD_INITIALIZER(h);
    NodeSimpleQ part;
    int round;

    for (round = 0; round < ROUNDS; round++) {
        Node *in = pick(r, m, true), *out = pick(r, m, false);
        Node *n;
        guint at, i;

        switch (g_rand_int_range(r, 0, 7)) {
        case 0:
            if (out) {
                QSIMPLEQ_INSERT_HEAD(&h, out, sq);
                model_insert(m, 0, out);
            }
            break;
        case 1:
            if (out) {
                QSIMPLEQ_INSERT_TAIL(&h, out, sq);
                g_ptr_array_add(m, out);
            }
            break;
        case 2:
            if (in && out) {
                QSIMPLEQ_INSERT_AFTER(&h, in, out, sq);
                model_insert(m, model_index(m, in) + 1, out);
            }
            break;
        case 3:
            if (m->len) {
                QSIMPLEQ_REMOVE_HEAD(&h, sq);
                g_ptr_array_remove_index(m, 0);
            }
            break;
        case 4:
            if (in) {
                QSIMPLEQ_REMOVE(&h, in, Node, sq);
                g_ptr_array_remove(m, in);
            }
            break;
        case 5:
            /* Split after a node, then put the front part back. */
            if (in) {
                at = model_index(m, in);
                QSIMPLEQ_SPLIT_AFTER(&h, in, sq, &part);
                i = 0;
                QSIMPLEQ_FOREACH(n, &part, sq) {
                    g_assert_true(n == m->pdata[i++]);
                }
                g_assert_cmpuint(i, ==, at + 1);
                g_assert_true(QSIMPLEQ_LAST(&part, Node, sq) == in);
                g_assert_true(QSIMPLEQ_FIRST(&h) ==
                              (at + 1 < m->len ? m->pdata[at + 1] : NULL));
                if (g_rand_boolean(r)) {
                    QSIMPLEQ_PREPEND(&h, &part);
                } else {
                    /* Same order via CONCAT: front part, then the rest. */
                    QSIMPLEQ_CONCAT(&part, &h);
                    QSIMPLEQ_CONCAT(&h, &part);
                }
                g_assert_true(QSIMPLEQ_EMPTY(&part));
            }
            break;
        case 6:
            /* An empty source leaves the destination alone. */
            QSIMPLEQ_INIT(&part);
            QSIMPLEQ_CONCAT(&h, &part);
            QSIMPLEQ_PREPEND(&h, &part);
            break;
        }
        check_simpleq(&h, m);
    }
    g_rand_free(r);
}

static void check_tailq(NodeTailQ *h, GPtrArray *m)
{
    Node *n, *other;
    guint i = 0;

    g_assert_cmpint(QTAILQ_EMPTY(h), ==, m->len == 0);
    QTAILQ_FOREACH(n, h, tq) {
        g_assert_true(n == g_ptr_array_index(m, i));
        g_assert_true(QTAILQ_IN_USE(n, tq));
        g_assert_true(QTAILQ_PREV(n, tq) == (i ? m->pdata[i - 1] : NULL));
        i++;
    }
    g_assert_cmpuint(i, ==, m->len);
    QTAILQ_FOREACH_REVERSE(n, h, tq) {
        g_assert_true(n == g_ptr_array_index(m, --i));
    }
    g_assert_cmpuint(i, ==, 0);
    QTAILQ_FOREACH_SAFE(n, h, tq, other) {
        g_assert_true(QTAILQ_NEXT(n, tq) == other);
        i++;
    }
    QTAILQ_FOREACH_REVERSE_SAFE(n, h, tq, other) {
        g_assert_true(QTAILQ_PREV(n, tq) == other);
        i--;
    }
    g_assert_cmpuint(i, ==, 0);
    g_assert_true(QTAILQ_FIRST(h) == (m->len ? m->pdata[0] : NULL));
    g_assert_true(QTAILQ_LAST(h) == (m->len ? m->pdata[m->len - 1] : NULL));
}

static void test_qtailq(void)
{
    GRand *r = g_rand_new_with_seed(4);
    g_autoptr(GPtrArray) m = g_ptr_array_new();
    NodeTailQ h;
    int round;

    QTAILQ_INIT(&h);
    for (round = 0; round < ROUNDS; round++) {
        Node *in = pick(r, m, true), *out = pick(r, m, false);

        switch (g_rand_int_range(r, 0, 5)) {
        case 0:
            if (out) {
                QTAILQ_INSERT_HEAD(&h, out, tq);
                model_insert(m, 0, out);
            }
            break;
        case 1:
            if (out) {
                QTAILQ_INSERT_TAIL(&h, out, tq);
                g_ptr_array_add(m, out);
            }
            break;
        case 2:
            if (in && out) {
                QTAILQ_INSERT_AFTER(&h, in, out, tq);
                model_insert(m, model_index(m, in) + 1, out);
            }
            break;
        case 3:
            if (in && out) {
                QTAILQ_INSERT_BEFORE(in, out, tq);
                model_insert(m, model_index(m, in), out);
            }
            break;
        case 4:
            if (in) {
                QTAILQ_REMOVE(&h, in, tq);
                g_ptr_array_remove(m, in);
                g_assert_false(QTAILQ_IN_USE(in, tq));
            }
            break;
        }
        check_tailq(&h, m);
    }
    g_rand_free(r);
}

/* Removing every element from inside the *_SAFE walks. */
static void test_safe_walks(void)
{
    NodeList l = QLIST_HEAD_INITIALIZER(l);
    NodeSList sl = QSLIST_HEAD_INITIALIZER(sl);
    NodeSimpleQ sq = QSIMPLEQ_HEAD_INITIALIZER(sq);
    NodeTailQ tq = QTAILQ_HEAD_INITIALIZER(tq);
    NodeTailQ tq2 = QTAILQ_HEAD_INITIALIZER(tq2);
    Node *n, *tmp;
    int i, seen;

    for (i = 0; i < NELEMS; i++) {
        QLIST_INSERT_HEAD(&l, &nodes[i], l);
        QSLIST_INSERT_HEAD(&sl, &nodes[i], sl);
        QSIMPLEQ_INSERT_TAIL(&sq, &nodes[i], sq);
        QTAILQ_INSERT_TAIL(&tq, &nodes[i], tq);
    }
    seen = 0;
    QLIST_FOREACH_SAFE(n, &l, l, tmp) {
        QLIST_REMOVE(n, l);
        seen++;
    }
    QSLIST_FOREACH_SAFE(n, &sl, sl, tmp) {
        QSLIST_REMOVE(&sl, n, Node, sl);
        seen++;
    }
    QSIMPLEQ_FOREACH_SAFE(n, &sq, sq, tmp) {
        QSIMPLEQ_REMOVE(&sq, n, Node, sq);
        seen++;
    }
    QTAILQ_FOREACH_REVERSE_SAFE(n, &tq, tq, tmp) {
        QTAILQ_REMOVE(&tq, n, tq);
        QTAILQ_INSERT_HEAD(&tq2, n, tq);    /* keeps the original order */
        seen++;
    }
    g_assert_cmpint(seen, ==, 4 * NELEMS);
    g_assert_true(QLIST_EMPTY(&l) && QSLIST_EMPTY(&sl));
    g_assert_true(QSIMPLEQ_EMPTY(&sq) && QTAILQ_EMPTY(&tq));
    g_assert_null(QTAILQ_LAST(&tq));
    g_assert_null(QSIMPLEQ_LAST(&sq, Node, sq));
    i = 0;
    QTAILQ_FOREACH(n, &tq2, tq) {
        g_assert_cmpint(n->id, ==, i++);
    }
    g_assert_cmpint(i, ==, NELEMS);
}

int main(int argc, char **argv)
{
    int i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < NELEMS; i++) {
        nodes[i].id = i;
    }

    g_test_add_func("/queue/qlist", test_qlist);
    g_test_add_func("/queue/qslist", test_qslist);
    g_test_add_func("/queue/qsimpleq", test_qsimpleq);
    g_test_add_func("/queue/qtailq", test_qtailq);
    g_test_add_func("/queue/safe-walks", test_safe_walks);

    return g_test_run();
}
