/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Notifier lists: callbacks registered for an event, as QEMU's. */
#ifndef QEMU_NOTIFY_H
#define QEMU_NOTIFY_H

#include "qemu/queue.h"

struct Notifier {
    void (*notify)(Notifier *notifier, void *data);
    QLIST_ENTRY(Notifier) node;
};

struct NotifierList {
    QLIST_HEAD(, Notifier) notifiers;
};

#define NOTIFIER_LIST_INITIALIZER(head) \
    { QLIST_HEAD_INITIALIZER((head).notifiers) }

void notifier_list_init(NotifierList *list);

/* Add @notifier at the head: notifiers run newest first. */
void notifier_list_add(NotifierList *list, Notifier *notifier);

/* Remove @notifier from its list; it must be in one. */
void notifier_remove(Notifier *notifier);

/*
 * Call every notifier with @data.  A notifier may remove itself while it
 * runs.
 */
void notifier_list_notify(NotifierList *list, void *data);

bool notifier_list_empty(NotifierList *list);

/* Notifiers that can fail: notification stops at the first non-zero. */
typedef struct NotifierWithReturn NotifierWithReturn;

struct NotifierWithReturn {
    /* Returns: 0 on success, next notifier will be invoked; else stop. */
    int (*notify)(NotifierWithReturn *notifier, void *data);
    QLIST_ENTRY(NotifierWithReturn) node;
};

typedef struct NotifierWithReturnList {
    QLIST_HEAD(, NotifierWithReturn) notifiers;
} NotifierWithReturnList;

#define NOTIFIER_WITH_RETURN_LIST_INITIALIZER(head) \
    { QLIST_HEAD_INITIALIZER((head).notifiers) }

void notifier_with_return_list_init(NotifierWithReturnList *list);
void notifier_with_return_list_add(NotifierWithReturnList *list,
                                   NotifierWithReturn *notifier);
void notifier_with_return_remove(NotifierWithReturn *notifier);
/* Returns: the first non-zero value a notifier returned, or 0. */
int notifier_with_return_list_notify(NotifierWithReturnList *list,
                                     void *data);

#endif /* QEMU_NOTIFY_H */
