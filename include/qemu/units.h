/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Binary size units: KiB .. EiB are defined in qemu/osdep.h. */
#ifndef QEMU_UNITS_H
#define QEMU_UNITS_H

#include "qemu/osdep.h"

#endif /* QEMU_UNITS_H */
