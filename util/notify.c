/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Notifier lists: subscribers to an event, called when it fires. */
#include "qemu/osdep.h"
#include "qemu/notify.h"

/*
 * Both list kinds are intrusive QLISTs run from the head, so the latest
 * subscriber hears of an event first.  The walks read a subscriber's
 * successor before calling it, which lets the callback unlink itself.
 */

void notifier_list_notify(NotifierList *list, void *data)
{
    Notifier *cur = QLIST_FIRST(&list->notifiers);

    while (cur) {
        Notifier *after = QLIST_NEXT(cur, node);

        cur->notify(cur, data);
        cur = after;
    }
}

int notifier_with_return_list_notify(NotifierWithReturnList *list,
                                     void *data)
{
    NotifierWithReturn *cur = QLIST_FIRST(&list->notifiers);
    int veto = 0;

    while (cur && !veto) {
        NotifierWithReturn *after = QLIST_NEXT(cur, node);

        veto = cur->notify(cur, data);
        cur = after;
    }
    return veto;
}

void notifier_list_init(NotifierList *list)
{
    *list = (NotifierList)NOTIFIER_LIST_INITIALIZER(*list);
}

void notifier_with_return_list_init(NotifierWithReturnList *list)
{
    *list = (NotifierWithReturnList)
        NOTIFIER_WITH_RETURN_LIST_INITIALIZER(*list);
}

bool notifier_list_empty(NotifierList *list)
{
    return QLIST_FIRST(&list->notifiers) == NULL;
}

void notifier_list_add(NotifierList *list, Notifier *notifier)
{
    QLIST_INSERT_HEAD(&list->notifiers, notifier, node);
}

void notifier_with_return_list_add(NotifierWithReturnList *list,
                                   NotifierWithReturn *notifier)
{
    QLIST_INSERT_HEAD(&list->notifiers, notifier, node);
}

void notifier_remove(Notifier *notifier)
{
    QLIST_REMOVE(notifier, node);
}

void notifier_with_return_remove(NotifierWithReturn *notifier)
{
    QLIST_REMOVE(notifier, node);
}
