/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stub machine globals for tests without system/globals.c: machine 'none'. */
#include "qemu/osdep.h"
#include "sysemu/sysemu.h"

int __attribute__((weak)) autostart = 1;

const char * __attribute__((weak)) current_machine_type(void)
{
    return "none";
}
