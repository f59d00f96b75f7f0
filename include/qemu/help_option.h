/* SPDX-License-Identifier: GPL-2.0-or-later */
/* is_help_option(): QEMU keeps it here; it lives in qemu/option.h. */
#ifndef QEMU_HELP_OPTION_H
#define QEMU_HELP_OPTION_H

#include "qemu/option.h"

#endif /* QEMU_HELP_OPTION_H */
