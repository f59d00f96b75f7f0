/* SPDX-License-Identifier: GPL-2.0-or-later */
/* -drive and -blockdev: block devices from the command line. */
#ifndef BLOCKDEV_H
#define BLOCKDEV_H

#include "block/block.h"

/* -drive if= values (QEMU's); only none and virtio attach to anything. */
typedef enum {
    IF_DEFAULT = -1,    /* no if= given: the caller's default applies */
    IF_NONE = 0,        /* zero, so zero-initialised defaults mean none */
    IF_IDE,
    IF_SCSI,
    IF_FLOPPY,
    IF_PFLASH,
    IF_MTD,
    IF_SD,
    IF_VIRTIO,
    IF_XEN,
    IF_COUNT
} BlockInterfaceType;

/**
 * drive_new_str: create the drive of one -drive option
 * @optstr: the option's argument ("if=none,id=drive0,file=...")
 * @block_default_type: the interface when "if" is absent
 * @have_pci: the machine has a PCI bus (if=virtio needs one)
 *
 * The drive's id names its BlockBackend (monitor-owned). if=virtio also
 * attaches a stand-in virtio-blk-pci device. Errors are QEMU's, without
 * the option location (the caller's Location adds it).
 */
BlockBackend *drive_new_str(const char *optstr,
                            BlockInterfaceType block_default_type,
                            bool have_pci, Error **errp);

/**
 * blockdev_add_str: create the node graph of one -blockdev option
 * @optstr: JSON ('{...}') or dotted keyval ("driver=null-co,node-name=n")
 */
bool blockdev_add_str(const char *optstr, Error **errp);

/**
 * device_new_str: create the device of one -device option
 * @optstr: "virtio-blk-pci,drive=ID[,id=QDEV_ID][,bus=pci.0][,addr=..]"
 *          (or virtio-blk), the only model minivmm has: a stand-in
 *          virtio-blk-pci on the drive or node named ID
 * @have_pci: the machine has a PCI bus
 *
 * The device's qdev path is /machine/peripheral/QDEV_ID/virtio-backend,
 * or an anonymous one.  Errors are QEMU's, without the option location.
 */
bool device_new_str(const char *optstr, bool have_pci, Error **errp);

/* Print "Supported formats: ..." as for -drive format=help. */
void bdrv_print_format_list(void);

#endif /* BLOCKDEV_H */
