/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Forward declarations of the common opaque types, as QEMU 7.2 names them. */
#ifndef QEMU_TYPEDEFS_H
#define QEMU_TYPEDEFS_H

typedef struct AioContext AioContext;
typedef struct BdrvDirtyBitmap BdrvDirtyBitmap;
typedef struct BdrvDirtyBitmapIter BdrvDirtyBitmapIter;
typedef struct BlockBackend BlockBackend;
typedef struct BlockDriverState BlockDriverState;
typedef struct CharBackend CharBackend;
typedef struct Chardev Chardev;
typedef struct Error Error;
typedef struct HBitmap HBitmap;
typedef struct HBitmapIter HBitmapIter;
typedef struct MigrationIncomingState MigrationIncomingState;
typedef struct MigrationState MigrationState;
typedef struct Monitor Monitor;
typedef struct Notifier Notifier;
typedef struct NotifierList NotifierList;
typedef struct QEMUBH QEMUBH;
typedef struct QEMUFile QEMUFile;
typedef struct QEMUTimer QEMUTimer;
typedef struct QemuOpts QemuOpts;
typedef struct Visitor Visitor;
typedef struct VMChangeStateEntry VMChangeStateEntry;
typedef struct VMStateDescription VMStateDescription;

#endif /* QEMU_TYPEDEFS_H */
