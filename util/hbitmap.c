/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hierarchical bitmap (placeholder until the implementation lands). */
#include "qemu/osdep.h"
