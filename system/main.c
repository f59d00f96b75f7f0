/* SPDX-License-Identifier: GPL-2.0-or-later */
/* minivmm entry point: initialise, run the main loop, clean up. */
#include "qemu/osdep.h"

int main(int argc, char **argv)
{
    fprintf(stderr, "minivmm: not yet built\n");
    return 1;
}
