/* SPDX-License-Identifier: GPL-2.0-or-later */
/* System emulator settings that the layers read and vl.c's options set. */
#include "qemu/osdep.h"
#include "sysemu/sysemu.h"

const char *qemu_name;
int autostart = 1;

/* The canonical name of the -machine in use; "none" until vl.c picks one. */
static const char *machine_type = "none";

const char *current_machine_type(void)
{
    return machine_type;
}

void current_machine_set_type(const char *name)
{
    machine_type = name;
}
