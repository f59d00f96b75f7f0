/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Notifier lists: callbacks that subscribe to an event, QEMU's API. */
#ifndef QEMU_NOTIFY_H
#define QEMU_NOTIFY_H

#include "qemu/queue.h"

/*
 * A subscriber embeds a Notifier and fills in @notify; container_of()
 * gets back to the subscriber inside the callback.  @node links it into
 * one list at a time.
 */
struct Notifier {
    void (*notify)(Notifier *notifier, void *data);
    QLIST_ENTRY(Notifier) node;
};

struct NotifierList {
    QLIST_HEAD(, Notifier) notifiers;
};

/* Static initialiser for a NotifierList called @head: an empty list. */
#define NOTIFIER_LIST_INITIALIZER(head) \
    { .notifiers = { NULL } }

/* True when nobody is subscribed to @list. */
bool notifier_list_empty(NotifierList *list);

/*
 * Run every subscriber of @list, passing @data.  A callback may
 * unsubscribe its own notifier.
 */
void notifier_list_notify(NotifierList *list, void *data);

/* Subscribe @notifier to @list.  The newest subscriber is called first. */
void notifier_list_add(NotifierList *list, Notifier *notifier);

/* Unsubscribe @notifier from whatever list holds it. */
void notifier_remove(Notifier *notifier);

void notifier_list_init(NotifierList *list);

/*
 * The same for callbacks that can veto: a non-zero return value ends
 * the run early and is handed back to whoever fired the event.
 */
typedef struct NotifierWithReturnList NotifierWithReturnList;
typedef struct NotifierWithReturn NotifierWithReturn;

struct NotifierWithReturnList {
    QLIST_HEAD(, NotifierWithReturn) notifiers;
};

struct NotifierWithReturn {
    int (*notify)(NotifierWithReturn *notifier, void *data);
    QLIST_ENTRY(NotifierWithReturn) node;
};

#define NOTIFIER_WITH_RETURN_LIST_INITIALIZER(head) \
    { .notifiers = { NULL } }

/* Returns: 0 if every callback returned 0, else the first veto. */
int notifier_with_return_list_notify(NotifierWithReturnList *list,
                                     void *data);
void notifier_with_return_list_add(NotifierWithReturnList *list,
                                   NotifierWithReturn *notifier);
void notifier_with_return_remove(NotifierWithReturn *notifier);
void notifier_with_return_list_init(NotifierWithReturnList *list);

#endif /* QEMU_NOTIFY_H */
