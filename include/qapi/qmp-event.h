/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP event helpers used by the generated qapi_event_send_FOO(). */
#ifndef QMP_EVENT_H
#define QMP_EVENT_H

#include <jansson.h>
#include "qapi/qapi-emit-events.h"
#include "qapi/visitor.h"

/**
 * qmp_event_build_dict:
 * Returns a new {"timestamp": {"seconds": S, "microseconds": U},
 * "event": @event_name} object, stamped with the wall-clock time.
 */
json_t *qmp_event_build_dict(const char *event_name);

/**
 * qmp_event_build:
 * Returns the whole event @name: the envelope, plus "data" made by
 * @members from the event's argument struct at @param unless @members
 * is NULL or the data is empty.
 */
json_t *qmp_event_build(const char *name, void *param,
                        VisitMembersFunc *members);

/*
 * Who sends the events that the generated code hands to
 * qapi_event_emit(): the monitor installs its sender when it starts
 * (libqapi sits below the monitor).  Until then, and in programs without
 * a monitor, events are dropped.  @qdict is the whole event, borrowed.
 */
typedef void QAPIEventEmitter(QAPIEvent event, json_t *qdict);
void qapi_event_set_emitter(QAPIEventEmitter *emit);

#endif /* QMP_EVENT_H */
