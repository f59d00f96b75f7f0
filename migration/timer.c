/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The 'timer' section (QEMU's cpu-timers vmstate, version 2). */
#include "qemu/osdep.h"
#include "qemu/timer.h"
#include "migration/misc.h"
#include "migration/vmstate.h"

/*
 * Wire format: be64 cpu_ticks_offset, 8 unused bytes, be64
 * cpu_clock_offset (version 2 only).  minivmm runs no guest code: it
 * sends the virtual clock for both and keeps what it receives.
 */
typedef struct TimersState {
    int64_t cpu_ticks_offset;   /* guest TSC ticks while running */
    int64_t cpu_clock_offset;   /* virtual clock, ns */
} TimersState;

static TimersState timers_state;

static int cpu_timers_pre_save(void *opaque)
{
    TimersState *s = opaque;

    s->cpu_clock_offset = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    s->cpu_ticks_offset = s->cpu_clock_offset;
    return 0;
}

static const VMStateDescription vmstate_timers = {
    .name = "timer",
    .version_id = 2,
    .minimum_version_id = 1,
    .pre_save = cpu_timers_pre_save,
    .fields = (VMStateField[]) {
        VMSTATE_INT64(cpu_ticks_offset, TimersState),
        VMSTATE_UNUSED(8),
        VMSTATE_INT64_V(cpu_clock_offset, TimersState, 2),
        VMSTATE_END_OF_LIST()
    },
};

void cpu_timers_mig_init(void)
{
    vmstate_register(NULL, 0, &vmstate_timers, &timers_state);
}
