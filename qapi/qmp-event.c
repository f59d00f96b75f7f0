/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP event envelope: {"timestamp": ..., "event": NAME}. */

#include "qemu/osdep.h"
#include "qapi/qmp-event.h"

json_t *qmp_event_build_dict(const char *event_name)
{
    int64_t now = g_get_real_time();

    return json_pack("{s: {s: I, s: I}, s: s}",
                     "timestamp",
                     "seconds", (json_int_t)(now / G_USEC_PER_SEC),
                     "microseconds", (json_int_t)(now % G_USEC_PER_SEC),
                     "event", event_name);
}
