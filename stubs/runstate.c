/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stub run state machine for tests without system/: a plain variable. */
#include "qemu/osdep.h"
#include "sysemu/runstate.h"

static RunState stub_runstate = RUN_STATE_RUNNING;

bool __attribute__((weak)) runstate_check(RunState state)
{
    return stub_runstate == state;
}

void __attribute__((weak)) runstate_set(RunState new_state)
{
    stub_runstate = new_state;
}

RunState __attribute__((weak)) runstate_get(void)
{
    return stub_runstate;
}

bool __attribute__((weak)) runstate_is_running(void)
{
    return stub_runstate == RUN_STATE_RUNNING;
}

void __attribute__((weak)) vm_start(void)
{
    stub_runstate = RUN_STATE_RUNNING;
}

int __attribute__((weak)) vm_stop_force_state(RunState state)
{
    stub_runstate = state;
    return 0;
}
