/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP events as JSON: the envelope and the data of the generated events. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qmp-event.h"
#include "qapi/qobject-output-visitor.h"

static QAPIEventEmitter *event_emitter;

void qapi_event_set_emitter(QAPIEventEmitter *emit)
{
    event_emitter = emit;
}

void qapi_event_emit(QAPIEvent event, json_t *qdict)
{
    if (event_emitter) {
        event_emitter(event, qdict);
    }
}

json_t *qmp_event_build_dict(const char *event_name)
{
    int64_t now = g_get_real_time();

    return json_pack("{s: {s: I, s: I}, s: s}",
                     "timestamp",
                     "seconds", (json_int_t)(now / G_USEC_PER_SEC),
                     "microseconds", (json_int_t)(now % G_USEC_PER_SEC),
                     "event", event_name);
}

json_t *qmp_event_build(const char *name, void *param,
                        VisitMembersFunc *members)
{
    json_t *event = qmp_event_build_dict(name);
    json_t *data = NULL;
    Visitor *v;

    if (!members) {
        return event;
    }
    /* an event's own data cannot fail to convert: error_abort */
    v = qobject_output_visitor_new(&data);
    visit_start_struct(v, name, NULL, 0, &error_abort);
    members(v, param, &error_abort);
    visit_check_struct(v, &error_abort);
    visit_end_struct(v, NULL);
    visit_complete(v, &data);
    visit_free(v);
    /* like QEMU, no "data" member when every member was left out */
    if (json_object_size(data)) {
        json_object_set(event, "data", data);
    }
    json_decref(data);
    return event;
}
