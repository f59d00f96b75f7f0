/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stub qapi_event_emit(): tests without a monitor drop events. */

#include "qemu/osdep.h"
#include "qapi/qapi-emit-events.h"

/* Weak: the monitor's real qapi_event_emit() wins when linked. */
__attribute__((weak)) void qapi_event_emit(QAPIEvent event, json_t *qdict)
{
}
