/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VMState: declarative device state sections (the subset minivmm needs). */
#ifndef MIGRATION_VMSTATE_H
#define MIGRATION_VMSTATE_H

#include "migration/qemu-file-types.h"

#ifndef VMSTATE_IF_DEFINED
#define VMSTATE_IF_DEFINED
typedef struct VMStateIf VMStateIf;
#endif

typedef struct VMStateInfo VMStateInfo;
typedef struct VMStateField VMStateField;

/*
 * How one field is encoded.  @get/@put return 0 or a negative errno; they
 * never see more than @size bytes at @pv.  QEMU's @put also takes a JSON
 * writer for the vmdesc trailer; here the savevm core writes the field's
 * vmdesc entry itself from @name and @size.
 */
struct VMStateInfo {
    const char *name;
    int (*get)(QEMUFile *f, void *pv, size_t size, const VMStateField *field);
    int (*put)(QEMUFile *f, void *pv, size_t size, const VMStateField *field);
};

enum VMStateFlags {
    /* A single scalar of @size bytes at @offset. */
    VMS_SINGLE = 0x001,
    /* @num elements of @size bytes each. */
    VMS_ARRAY = 0x004,
    /* A fixed-size byte buffer of @size bytes at @offset. */
    VMS_BUFFER = 0x020,
};

struct VMStateField {
    const char *name;          /* vmdesc name; NULL ends the list */
    size_t offset;             /* byte offset in the opaque state */
    size_t size;               /* bytes per element */
    int num;                   /* elements for VMS_ARRAY, else 1 */
    const VMStateInfo *info;   /* encoding */
    enum VMStateFlags flags;
    int version_id;            /* first section version that has it */
    bool (*field_exists)(void *opaque, int version_id);
};

struct VMStateDescription {
    const char *name;
    int unmigratable;
    int version_id;
    int minimum_version_id;
    int (*pre_load)(void *opaque);
    int (*post_load)(void *opaque, int version_id);
    int (*pre_save)(void *opaque);
    int (*post_save)(void *opaque);
    bool (*needed)(void *opaque);
    const VMStateField *fields;
    const VMStateDescription **subsections;
};

extern const VMStateInfo vmstate_info_bool;
extern const VMStateInfo vmstate_info_int8;
extern const VMStateInfo vmstate_info_int16;
extern const VMStateInfo vmstate_info_int32;
extern const VMStateInfo vmstate_info_int64;
extern const VMStateInfo vmstate_info_uint8;
extern const VMStateInfo vmstate_info_uint16;
extern const VMStateInfo vmstate_info_uint32;
extern const VMStateInfo vmstate_info_uint64;
extern const VMStateInfo vmstate_info_buffer;
extern const VMStateInfo vmstate_info_unused_buffer;

/* Offset of @_field in @_state, refusing a field of a different size. */
#define vmstate_offset_value(_state, _field, _type)                     \
    (offsetof(_state, _field) +                                         \
     QEMU_BUILD_BUG_ON_ZERO(sizeof_field(_state, _field) != sizeof(_type)))

#define VMSTATE_SINGLE_TEST(_field, _state, _test, _version, _info, _type) { \
    .name         = (stringify(_field)),                                 \
    .version_id   = (_version),                                          \
    .field_exists = (_test),                                             \
    .size         = sizeof(_type),                                       \
    .num          = 1,                                                   \
    .info         = &(_info),                                            \
    .flags        = VMS_SINGLE,                                          \
    .offset       = vmstate_offset_value(_state, _field, _type),         \
}

#define VMSTATE_SINGLE(_field, _state, _version, _info, _type)          \
    VMSTATE_SINGLE_TEST(_field, _state, NULL, _version, _info, _type)

#define VMSTATE_BOOL_V(_f, _s, _v)                                      \
    VMSTATE_SINGLE(_f, _s, _v, vmstate_info_bool, bool)
#define VMSTATE_INT8_V(_f, _s, _v)                                      \
    VMSTATE_SINGLE(_f, _s, _v, vmstate_info_int8, int8_t)
#define VMSTATE_INT16_V(_f, _s, _v)                                     \
    VMSTATE_SINGLE(_f, _s, _v, vmstate_info_int16, int16_t)
#define VMSTATE_INT32_V(_f, _s, _v)                                     \
    VMSTATE_SINGLE(_f, _s, _v, vmstate_info_int32, int32_t)
#define VMSTATE_INT64_V(_f, _s, _v)                                     \
    VMSTATE_SINGLE(_f, _s, _v, vmstate_info_int64, int64_t)
#define VMSTATE_UINT8_V(_f, _s, _v)                                     \
    VMSTATE_SINGLE(_f, _s, _v, vmstate_info_uint8, uint8_t)
#define VMSTATE_UINT16_V(_f, _s, _v)                                    \
    VMSTATE_SINGLE(_f, _s, _v, vmstate_info_uint16, uint16_t)
#define VMSTATE_UINT32_V(_f, _s, _v)                                    \
    VMSTATE_SINGLE(_f, _s, _v, vmstate_info_uint32, uint32_t)
#define VMSTATE_UINT64_V(_f, _s, _v)                                    \
    VMSTATE_SINGLE(_f, _s, _v, vmstate_info_uint64, uint64_t)

#define VMSTATE_BOOL(_f, _s)    VMSTATE_BOOL_V(_f, _s, 0)
#define VMSTATE_INT8(_f, _s)    VMSTATE_INT8_V(_f, _s, 0)
#define VMSTATE_INT16(_f, _s)   VMSTATE_INT16_V(_f, _s, 0)
#define VMSTATE_INT32(_f, _s)   VMSTATE_INT32_V(_f, _s, 0)
#define VMSTATE_INT64(_f, _s)   VMSTATE_INT64_V(_f, _s, 0)
#define VMSTATE_UINT8(_f, _s)   VMSTATE_UINT8_V(_f, _s, 0)
#define VMSTATE_UINT16(_f, _s)  VMSTATE_UINT16_V(_f, _s, 0)
#define VMSTATE_UINT32(_f, _s)  VMSTATE_UINT32_V(_f, _s, 0)
#define VMSTATE_UINT64(_f, _s)  VMSTATE_UINT64_V(_f, _s, 0)

/* A fixed-size uint8_t array field sent as raw bytes. */
#define VMSTATE_BUFFER_V(_field, _state, _version) {                     \
    .name       = (stringify(_field)),                                   \
    .version_id = (_version),                                            \
    .size       = sizeof_field(_state, _field),                          \
    .num        = 1,                                                     \
    .info       = &vmstate_info_buffer,                                  \
    .flags      = VMS_BUFFER,                                            \
    .offset     = offsetof(_state, _field),                              \
}
#define VMSTATE_BUFFER(_f, _s) VMSTATE_BUFFER_V(_f, _s, 0)

/* @_size bytes sent as zeros and skipped on load. */
#define VMSTATE_UNUSED_V(_v, _size) {                                    \
    .name       = "unused",                                              \
    .version_id = (_v),                                                  \
    .size       = (_size),                                               \
    .num        = 1,                                                     \
    .info       = &vmstate_info_unused_buffer,                           \
    .flags      = VMS_BUFFER,                                            \
}
#define VMSTATE_UNUSED(_size) VMSTATE_UNUSED_V(0, _size)

#define VMSTATE_END_OF_LIST() {}

/**
 * vmstate_load_state: read the fields of @vmsd (as of @version_id) and its
 * subsections into @opaque.  Returns 0 or a negative errno after printing
 * QEMU's message with error_report().
 */
int vmstate_load_state(QEMUFile *f, const VMStateDescription *vmsd,
                       void *opaque, int version_id);

/**
 * vmstate_save_state: write the fields of @vmsd and its needed subsections.
 * When @vmdesc is non-NULL, append the section's vmdesc JSON object (QEMU's
 * "fields"/"subsections" layout) to it.  Returns 0 or a negative errno.
 */
int vmstate_save_state(QEMUFile *f, const VMStateDescription *vmsd,
                       void *opaque, GString *vmdesc);

/* vmstate_save_needed: false when @vmsd->needed says "don't send". */
bool vmstate_save_needed(const VMStateDescription *vmsd, void *opaque);

/**
 * vmstate_register: register a non-iterative (FULL) section named
 * @vmsd->name.  @obj is unused (pass NULL).  Returns 0.
 */
int vmstate_register(VMStateIf *obj, uint32_t instance_id,
                     const VMStateDescription *vmsd, void *opaque);
void vmstate_unregister(VMStateIf *obj, const VMStateDescription *vmsd,
                        void *opaque);

#endif /* MIGRATION_VMSTATE_H */
