/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HMP commands of the block layer. */
#ifndef BLOCK_HMP_CMDS_H
#define BLOCK_HMP_CMDS_H

#include <jansson.h>

/* qemu-io [-d] DEVICE "COMMAND": run a qemu-io command on a drive/node. */
void hmp_qemu_io(Monitor *mon, const json_t *qdict);

/* block_resize DEVICE SIZE: resize a drive (SIZE in MiB without suffix). */
void hmp_block_resize(Monitor *mon, const json_t *qdict);

/* info block [-n] [-v] [device]: backends (or with -n, named nodes). */
void hmp_info_block(Monitor *mon, const json_t *qdict);

#endif /* BLOCK_HMP_CMDS_H */
