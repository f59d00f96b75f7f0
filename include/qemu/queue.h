/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Intrusive lists and queues: QLIST, QSLIST, QSIMPLEQ and QTAILQ. */
#ifndef QEMU_SYS_QUEUE_H
#define QEMU_SYS_QUEUE_H

/*
 * The element type embeds a link field made with the family's *_ENTRY()
 * macro; a head made with *_HEAD() anchors the chain.  Macros name the
 * link field, so one element can sit in several chains at once.
 *
 *            head holds      element links        O(1) removal of
 *   QSLIST   first           next                 the first element
 *   QSIMPLEQ first, tail     next                 the first element
 *   QLIST    first           next, slot           any element
 *   QTAILQ   first, last     next, slot, prev     any element
 *
 * QSIMPLEQ and QTAILQ append in O(1); QTAILQ also walks backwards.  "slot"
 * is the address of the pointer that points at the element (the head's
 * q_first or the previous element's q_next): through it an element can
 * unlink itself without the head, and it is NULL while the element is in
 * no chain.  Removing an element clears its links.
 *
 * An all-zero head is a valid empty one, and no head points into itself,
 * so heads may be copied while empty (or moved at any time for QSLIST and
 * QSIMPLEQ).  Arguments may be evaluated more than once; pass plain
 * lvalues.  The
 * *_SAFE walks fetch the next element before the body runs, so the body
 * may remove (and free) the current one.
 */

/* Walks shared by all four families; @link is q_next or q_prev. */
#define QUEUE_WALK_(var, start, field, link)                            \
    for ((var) = (start); (var) != NULL; (var) = (var)->field.link)

#define QUEUE_WALK_SAFE_(var, start, field, link, tmp)                  \
    for ((var) = (start);                                               \
         (var) != NULL && ((tmp) = (var)->field.link, true);            \
         (var) = (tmp))

/*
 * Singly linked chains: make the pointer that points at @elm skip it,
 * searching from the head.  Declares @slot, left pointing at the pointer
 * that now holds @elm's successor.  @elm must be in the chain.
 */
#define QUEUE_SKIP_(head, elm, type, field, slot)                       \
    struct type **slot = &(head)->q_first;                              \
    while (*slot != (elm)) {                                            \
        slot = &(*slot)->field.q_next;                                  \
    }                                                                   \
    *slot = (elm)->field.q_next;                                        \
    (elm)->field.q_next = NULL

/*
 * Doubly linked chains: put @elm where *@at points now (so before that
 * element, or at the end when it is NULL), and unlink @elm again.
 */
#define QUEUE_LINK_AT_(at, elm, field) do {                             \
        typeof(at) queue_at_ = (at);                                    \
                                                                        \
        (elm)->field.q_next = *queue_at_;                               \
        if ((elm)->field.q_next != NULL) {                              \
            (elm)->field.q_next->field.q_slot = &(elm)->field.q_next;   \
        }                                                               \
        (elm)->field.q_slot = queue_at_;                                \
        *queue_at_ = (elm);                                             \
    } while (0)

#define QUEUE_UNLINK_(elm, field) do {                                  \
        *(elm)->field.q_slot = (elm)->field.q_next;                     \
        if ((elm)->field.q_next != NULL) {                              \
            (elm)->field.q_next->field.q_slot = (elm)->field.q_slot;    \
        }                                                               \
        (elm)->field.q_slot = NULL;                                     \
        (elm)->field.q_next = NULL;                                     \
    } while (0)


/* QLIST: doubly linked list. */
#define QLIST_HEAD(name, type)                                          \
    struct name {                                                       \
        struct type *q_first;                                           \
    }

#define QLIST_ENTRY(type)                                               \
    struct {                                                            \
        struct type *q_next;                                            \
        struct type **q_slot;                                           \
    }

#define QLIST_HEAD_INITIALIZER(head)    { NULL }
#define QLIST_INIT(head)                ((head)->q_first = NULL)
#define QLIST_EMPTY(head)               ((head)->q_first == NULL)
#define QLIST_FIRST(head)               ((head)->q_first)
#define QLIST_NEXT(elm, field)          ((elm)->field.q_next)
#define QLIST_IS_INSERTED(elm, field)   ((elm)->field.q_slot != NULL)

#define QLIST_INSERT_HEAD(head, elm, field) \
    QUEUE_LINK_AT_(&(head)->q_first, elm, field)
#define QLIST_INSERT_AFTER(listelm, elm, field) \
    QUEUE_LINK_AT_(&(listelm)->field.q_next, elm, field)
#define QLIST_INSERT_BEFORE(listelm, elm, field) \
    QUEUE_LINK_AT_((listelm)->field.q_slot, elm, field)
#define QLIST_REMOVE(elm, field) \
    QUEUE_UNLINK_(elm, field)

/* QLIST_REMOVE(), doing nothing when @elm is in no list. */
#define QLIST_SAFE_REMOVE(elm, field) do {                              \
        if (QLIST_IS_INSERTED(elm, field)) {                            \
            QUEUE_UNLINK_(elm, field);                                  \
        }                                                               \
    } while (0)

/* Exchange the contents of two lists. */
#define QLIST_SWAP(dstlist, srclist, field) do {                        \
        typeof((dstlist)->q_first) qlist_swap_ = (dstlist)->q_first;    \
                                                                        \
        (dstlist)->q_first = (srclist)->q_first;                        \
        (srclist)->q_first = qlist_swap_;                               \
        if ((dstlist)->q_first != NULL) {                               \
            (dstlist)->q_first->field.q_slot = &(dstlist)->q_first;     \
        }                                                               \
        if ((srclist)->q_first != NULL) {                               \
            (srclist)->q_first->field.q_slot = &(srclist)->q_first;     \
        }                                                               \
    } while (0)

#define QLIST_FOREACH(var, head, field) \
    QUEUE_WALK_(var, (head)->q_first, field, q_next)
#define QLIST_FOREACH_SAFE(var, head, field, next_var) \
    QUEUE_WALK_SAFE_(var, (head)->q_first, field, q_next, next_var)


/* QSLIST: singly linked list. */
#define QSLIST_HEAD(name, type)                                         \
    struct name {                                                       \
        struct type *q_first;                                           \
    }

#define QSLIST_ENTRY(type)                                              \
    struct {                                                            \
        struct type *q_next;                                            \
    }

#define QSLIST_HEAD_INITIALIZER(head)   { NULL }
#define QSLIST_INIT(head)               ((head)->q_first = NULL)
#define QSLIST_EMPTY(head)              ((head)->q_first == NULL)
#define QSLIST_FIRST(head)              ((head)->q_first)
#define QSLIST_NEXT(elm, field)         ((elm)->field.q_next)

#define QSLIST_INSERT_HEAD(head, elm, field) do {                       \
        (elm)->field.q_next = (head)->q_first;                          \
        (head)->q_first = (elm);                                        \
    } while (0)

#define QSLIST_INSERT_AFTER(slistelm, elm, field) do {                  \
        (elm)->field.q_next = (slistelm)->field.q_next;                 \
        (slistelm)->field.q_next = (elm);                               \
    } while (0)

/* Unlink the element after @slistelm, which must exist. */
#define QSLIST_REMOVE_AFTER(slistelm, field) do {                       \
        typeof((slistelm)->field.q_next) qslist_gone_ =                 \
            (slistelm)->field.q_next;                                   \
                                                                        \
        (slistelm)->field.q_next = qslist_gone_->field.q_next;          \
        qslist_gone_->field.q_next = NULL;                              \
    } while (0)

/* Unlink the first element; the list must not be empty. */
#define QSLIST_REMOVE_HEAD(head, field) do {                            \
        typeof((head)->q_first) qslist_gone_ = (head)->q_first;         \
                                                                        \
        (head)->q_first = qslist_gone_->field.q_next;                   \
        qslist_gone_->field.q_next = NULL;                              \
    } while (0)

/* Unlink @elm, which must be in the list: O(position). */
#define QSLIST_REMOVE(head, elm, type, field) do {                      \
        QUEUE_SKIP_(head, elm, type, field, qslist_slot_);              \
    } while (0)

#define QSLIST_FOREACH(var, head, field) \
    QUEUE_WALK_(var, (head)->q_first, field, q_next)
#define QSLIST_FOREACH_SAFE(var, head, field, tvar) \
    QUEUE_WALK_SAFE_(var, (head)->q_first, field, q_next, tvar)


/*
 * QSIMPLEQ: singly linked queue.  Instead of the last element the head
 * keeps q_tail, the address of the last element's q_next (NULL while the
 * queue is empty): appending needs no link field name that way, which
 * QSIMPLEQ_CONCAT() and QSIMPLEQ_PREPEND() are not given.
 */
#define QSIMPLEQ_HEAD(name, type)                                       \
    struct name {                                                       \
        struct type *q_first;                                           \
        struct type **q_tail;                                           \
    }

#define QSIMPLEQ_ENTRY(type)                                            \
    struct {                                                            \
        struct type *q_next;                                            \
    }

#define QSIMPLEQ_HEAD_INITIALIZER(head) { NULL, NULL }
#define QSIMPLEQ_EMPTY(head)            ((head)->q_first == NULL)
#define QSIMPLEQ_FIRST(head)            ((head)->q_first)
#define QSIMPLEQ_NEXT(elm, field)       ((elm)->field.q_next)
/* Emptiness check that may race with a writer holding the queue's lock. */
#define QSIMPLEQ_EMPTY_ATOMIC(head) \
    (__atomic_load_n(&(head)->q_first, __ATOMIC_RELAXED) == NULL)

/* The pointer an appended element must be stored in. */
#define QSIMPLEQ_APPEND_AT_(head) \
    ((head)->q_tail != NULL ? (head)->q_tail : &(head)->q_first)

#define QSIMPLEQ_LAST(head, type, field)                                \
    ((head)->q_tail == NULL ? NULL :                                    \
     container_of((head)->q_tail, struct type, field.q_next))

#define QSIMPLEQ_INIT(head) do {                                        \
        (head)->q_first = NULL;                                         \
        (head)->q_tail = NULL;                                          \
    } while (0)

#define QSIMPLEQ_INSERT_HEAD(head, elm, field) do {                     \
        (elm)->field.q_next = (head)->q_first;                          \
        (head)->q_first = (elm);                                        \
        if ((head)->q_tail == NULL) {                                   \
            (head)->q_tail = &(elm)->field.q_next;                      \
        }                                                               \
    } while (0)

#define QSIMPLEQ_INSERT_TAIL(head, elm, field) do {                     \
        (elm)->field.q_next = NULL;                                     \
        *QSIMPLEQ_APPEND_AT_(head) = (elm);                             \
        (head)->q_tail = &(elm)->field.q_next;                          \
    } while (0)

#define QSIMPLEQ_INSERT_AFTER(head, listelm, elm, field) do {           \
        (elm)->field.q_next = (listelm)->field.q_next;                  \
        (listelm)->field.q_next = (elm);                                \
        if ((head)->q_tail == &(listelm)->field.q_next) {               \
            (head)->q_tail = &(elm)->field.q_next;                      \
        }                                                               \
    } while (0)

/* Unlink the first element; the queue must not be empty. */
#define QSIMPLEQ_REMOVE_HEAD(head, field) do {                          \
        typeof((head)->q_first) qsimpleq_gone_ = (head)->q_first;       \
                                                                        \
        (head)->q_first = qsimpleq_gone_->field.q_next;                 \
        if ((head)->q_first == NULL) {                                  \
            (head)->q_tail = NULL;                                      \
        }                                                               \
        qsimpleq_gone_->field.q_next = NULL;                            \
    } while (0)

/*
 * Unlink @elm, which must be in the queue: O(position).  When it was the
 * last element, the pointer that skipped it becomes the tail.
 */
#define QSIMPLEQ_REMOVE(head, elm, type, field) do {                    \
        QUEUE_SKIP_(head, elm, type, field, qsimpleq_slot_);            \
        if ((head)->q_tail == &(elm)->field.q_next) {                   \
            (head)->q_tail = qsimpleq_slot_ == &(head)->q_first ?       \
                             NULL : qsimpleq_slot_;                     \
        }                                                               \
    } while (0)

/*
 * Cut @head after @elm: the elements from the first to @elm move to
 * @removed (which is overwritten), the rest stay in @head.
 */
#define QSIMPLEQ_SPLIT_AFTER(head, elm, field, removed) do {            \
        QSIMPLEQ_INIT(removed);                                         \
        if (!QSIMPLEQ_EMPTY(head)) {                                    \
            (removed)->q_first = (head)->q_first;                       \
            (removed)->q_tail = &(elm)->field.q_next;                   \
            (head)->q_first = (elm)->field.q_next;                      \
            if ((head)->q_first == NULL) {                              \
                (head)->q_tail = NULL;                                  \
            }                                                           \
            (elm)->field.q_next = NULL;                                 \
        }                                                               \
    } while (0)

/* Move all of @head2 to the end of @head1; @head2 ends up empty. */
#define QSIMPLEQ_CONCAT(head1, head2) do {                              \
        if (!QSIMPLEQ_EMPTY(head2)) {                                   \
            *QSIMPLEQ_APPEND_AT_(head1) = (head2)->q_first;             \
            (head1)->q_tail = (head2)->q_tail;                          \
            QSIMPLEQ_INIT(head2);                                       \
        }                                                               \
    } while (0)

/* Move all of @head2 to the front of @head1; @head2 ends up empty. */
#define QSIMPLEQ_PREPEND(head1, head2) do {                             \
        if (!QSIMPLEQ_EMPTY(head2)) {                                   \
            *(head2)->q_tail = (head1)->q_first;                        \
            if ((head1)->q_tail == NULL) {                              \
                (head1)->q_tail = (head2)->q_tail;                      \
            }                                                           \
            (head1)->q_first = (head2)->q_first;                        \
            QSIMPLEQ_INIT(head2);                                       \
        }                                                               \
    } while (0)

#define QSIMPLEQ_FOREACH(var, head, field) \
    QUEUE_WALK_(var, (head)->q_first, field, q_next)
#define QSIMPLEQ_FOREACH_SAFE(var, head, field, next) \
    QUEUE_WALK_SAFE_(var, (head)->q_first, field, q_next, next)


/* QTAILQ: doubly linked queue that also knows its last element. */
#define QTAILQ_HEAD(name, type)                                         \
    struct name {                                                       \
        struct type *q_first;                                           \
        struct type *q_last;                                            \
    }

#define QTAILQ_ENTRY(type)                                              \
    struct {                                                            \
        struct type *q_next;                                            \
        struct type **q_slot;                                           \
        struct type *q_prev;                                            \
    }

#define QTAILQ_HEAD_INITIALIZER(head)   { NULL, NULL }
#define QTAILQ_EMPTY(head)              ((head)->q_first == NULL)
#define QTAILQ_FIRST(head)              ((head)->q_first)
#define QTAILQ_LAST(head)               ((head)->q_last)
#define QTAILQ_NEXT(elm, field)         ((elm)->field.q_next)
#define QTAILQ_PREV(elm, field)         ((elm)->field.q_prev)
#define QTAILQ_IN_USE(elm, field)       ((elm)->field.q_slot != NULL)

#define QTAILQ_INIT(head) do {                                          \
        (head)->q_first = NULL;                                         \
        (head)->q_last = NULL;                                          \
    } while (0)

/*
 * Once @elm is linked in after @prev (NULL: at the front), point it back
 * at @prev and point its successor, or the head's q_last, back at it.
 */
#define QTAILQ_LINK_BACK_(head, elm, prev, field) do {                  \
        (elm)->field.q_prev = (prev);                                   \
        if ((elm)->field.q_next != NULL) {                              \
            (elm)->field.q_next->field.q_prev = (elm);                  \
        } else {                                                        \
            (head)->q_last = (elm);                                     \
        }                                                               \
    } while (0)

#define QTAILQ_INSERT_HEAD(head, elm, field) do {                       \
        QUEUE_LINK_AT_(&(head)->q_first, elm, field);                   \
        QTAILQ_LINK_BACK_(head, elm, NULL, field);                      \
    } while (0)

#define QTAILQ_INSERT_TAIL(head, elm, field) do {                       \
        typeof((head)->q_last) qtailq_prev_ = (head)->q_last;           \
                                                                        \
        QUEUE_LINK_AT_(qtailq_prev_ != NULL ?                           \
                       &qtailq_prev_->field.q_next : &(head)->q_first,  \
                       elm, field);                                     \
        QTAILQ_LINK_BACK_(head, elm, qtailq_prev_, field);              \
    } while (0)

#define QTAILQ_INSERT_AFTER(head, listelm, elm, field) do {             \
        QUEUE_LINK_AT_(&(listelm)->field.q_next, elm, field);           \
        QTAILQ_LINK_BACK_(head, elm, listelm, field);                   \
    } while (0)

/* No head needed: inserting before an element never changes the last. */
#define QTAILQ_INSERT_BEFORE(listelm, elm, field) do {                  \
        QUEUE_LINK_AT_((listelm)->field.q_slot, elm, field);            \
        (elm)->field.q_prev = (listelm)->field.q_prev;                  \
        (listelm)->field.q_prev = (elm);                                \
    } while (0)

#define QTAILQ_REMOVE(head, elm, field) do {                            \
        if ((elm)->field.q_next != NULL) {                              \
            (elm)->field.q_next->field.q_prev = (elm)->field.q_prev;    \
        } else {                                                        \
            (head)->q_last = (elm)->field.q_prev;                       \
        }                                                               \
        QUEUE_UNLINK_(elm, field);                                      \
        (elm)->field.q_prev = NULL;                                     \
    } while (0)

#define QTAILQ_FOREACH(var, head, field) \
    QUEUE_WALK_(var, (head)->q_first, field, q_next)
#define QTAILQ_FOREACH_SAFE(var, head, field, next_var) \
    QUEUE_WALK_SAFE_(var, (head)->q_first, field, q_next, next_var)
#define QTAILQ_FOREACH_REVERSE(var, head, field) \
    QUEUE_WALK_(var, (head)->q_last, field, q_prev)
#define QTAILQ_FOREACH_REVERSE_SAFE(var, head, field, prev_var) \
    QUEUE_WALK_SAFE_(var, (head)->q_last, field, q_prev, prev_var)

#endif /* QEMU_SYS_QUEUE_H */
