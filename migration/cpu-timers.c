/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The 'timer' section (QEMU's cpu-timers vmstate, version 2). */
#include "qemu/osdep.h"
#include "qemu/timer.h"
#include "migration/misc.h"
#include "migration/vmstate.h"

/*
 * A FULL section: be64 cpu_ticks_offset, 8 unused bytes, then (from
 * version 2 on) be64 cpu_clock_offset.  minivmm runs no guest code, so
 * there are no ticks of its own: it sends the virtual clock as both
 * and keeps, unused, what it receives.
 */
typedef struct CpuTimersWire {
    int64_t cpu_ticks_offset;   /* guest TSC ticks while running */
    int64_t cpu_clock_offset;   /* virtual clock, ns */
} CpuTimersWire;

static CpuTimersWire cpu_timers;

static int cpu_timers_pre_save(void *opaque)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    cpu_timers.cpu_ticks_offset = cpu_timers.cpu_clock_offset = now;
    return 0;
}

/* The field names and types appear in the stream's JSON trailer. */
static const VMStateField cpu_timers_fields[] = {
    VMSTATE_INT64(cpu_ticks_offset, CpuTimersWire),
    VMSTATE_UNUSED(8),
    VMSTATE_INT64_V(cpu_clock_offset, CpuTimersWire, 2),
    VMSTATE_END_OF_LIST()
};

static const VMStateDescription cpu_timers_vmsd = {
    .name = "timer",
    .fields = cpu_timers_fields,
    .pre_save = cpu_timers_pre_save,
    .version_id = 2,
    .minimum_version_id = 1,
};

void cpu_timers_mig_init(void)
{
    vmstate_register(NULL, 0, &cpu_timers_vmsd, &cpu_timers);
}
