/* SPDX-License-Identifier: GPL-2.0-or-later */
/* minivmm entry point: initialise, run the main loop, clean up. */
#include "qemu/osdep.h"
#include "sysemu/sysemu.h"

int main(int argc, char **argv)
{
    int status;

    qemu_init(argc, argv);
    status = qemu_main_loop();
    qemu_cleanup();
    return status;
}
