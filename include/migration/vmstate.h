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
 * A device section is described, not coded: a VMStateDescription names
 * it and lists its fields, each with an offset into the device's state
 * and an encoding (VMStateInfo).  Loading and saving walk the list.  On
 * the wire a section is its fields back to back, then its subsections,
 * each u8 0x05, counted name, be32 version and the subsection's fields.
 */

/*
 * One encoding.  @get and @put move @size bytes at @pv and return 0 or a
 * negative errno.  (QEMU's @put also takes the JSON writer of the
 * stream's trailer; here the core writes a field's entry from its
 * name, @name and size.)
 */
struct VMStateInfo {
    const char *name;
    int (*get)(QEMUFile *f, void *pv, size_t size, const VMStateField *field);
    int (*put)(QEMUFile *f, void *pv, size_t size, const VMStateField *field);
};

/* The shapes of field this subset knows. */
enum VMStateFlags {
    VMS_SINGLE = 0x001,         /* one scalar of @size bytes */
    VMS_ARRAY = 0x004,          /* @num elements of @size bytes */
    VMS_BUFFER = 0x020,         /* @size raw bytes */
};

struct VMStateField {
    const char *name;           /* in the trailer; NULL ends a list */
    const VMStateInfo *info;
    enum VMStateFlags flags;
    size_t offset;              /* bytes into the device's state */
    size_t size;                /* bytes of one element */
    int num;                    /* elements (VMS_ARRAY), else 1 */
    int version_id;             /* the first section version with it */
    /* If set, decides instead of @version_id whether the field is sent. */
    bool (*field_exists)(void *opaque, int version_id);
};

struct VMStateDescription {
    const char *name;           /* the section's (or subsection's) name */
    int version_id;             /* what we send */
    int minimum_version_id;     /* the oldest we load */
    const VMStateField *fields;
    const VMStateDescription **subsections;     /* NULL-ended, or NULL */
    bool (*needed)(void *opaque);               /* NULL: always sent */
    int (*pre_save)(void *opaque);
    int (*post_save)(void *opaque);
    int (*pre_load)(void *opaque);
    int (*post_load)(void *opaque, int version_id);
    int unmigratable;           /* unused: every device here migrates */
};

extern const VMStateInfo vmstate_info_bool;
extern const VMStateInfo vmstate_info_int8;
extern const VMStateInfo vmstate_info_uint8;
extern const VMStateInfo vmstate_info_int16;
extern const VMStateInfo vmstate_info_uint16;
extern const VMStateInfo vmstate_info_int32;
extern const VMStateInfo vmstate_info_uint32;
extern const VMStateInfo vmstate_info_int64;
extern const VMStateInfo vmstate_info_uint64;
extern const VMStateInfo vmstate_info_buffer;          /* raw bytes */
extern const VMStateInfo vmstate_info_unused_buffer;   /* zeros, skipped */

/* Where @_field is in @_state; refuses a field that is not a @_type. */
#define vmstate_offset_value(_state, _field, _type)                     \
    (offsetof(_state, _field) +                                         \
     QEMU_BUILD_BUG_ON_ZERO(sizeof_field(_state, _field) != sizeof(_type)))

/*
 * A scalar @fld of @st, of C type @ctype, encoded by vmstate_info_@enc,
 * present from section version @ver on.
 */
#define VMSTATE_SCALAR_(fld, st, ver, enc, ctype)                        \
    {   .name = stringify(fld), .info = &vmstate_info_##enc,             \
        .flags = VMS_SINGLE, .num = 1, .size = sizeof(ctype),            \
        .offset = vmstate_offset_value(st, fld, ctype),                  \
        .version_id = (ver) }

/* The scalars minivmm's sections and tests use; add more alike. */
#define VMSTATE_INT64_V(fld, st, ver) \
    VMSTATE_SCALAR_(fld, st, ver, int64, int64_t)
#define VMSTATE_UINT64_V(fld, st, ver) \
    VMSTATE_SCALAR_(fld, st, ver, uint64, uint64_t)
/* Present in every version. */
#define VMSTATE_BOOL(fld, st)           VMSTATE_SCALAR_(fld, st, 0, bool, bool)
#define VMSTATE_UINT8(fld, st) \
    VMSTATE_SCALAR_(fld, st, 0, uint8, uint8_t)
#define VMSTATE_UINT16(fld, st) \
    VMSTATE_SCALAR_(fld, st, 0, uint16, uint16_t)
#define VMSTATE_UINT32(fld, st) \
    VMSTATE_SCALAR_(fld, st, 0, uint32, uint32_t)
#define VMSTATE_INT64(fld, st) \
    VMSTATE_SCALAR_(fld, st, 0, int64, int64_t)

/* A uint8_t array @fld of @st, as raw bytes, from version @ver on. */
#define VMSTATE_BUFFER_V(fld, st, ver)                                   \
    {   .name = stringify(fld), .info = &vmstate_info_buffer,            \
        .flags = VMS_BUFFER, .num = 1, .size = sizeof_field(st, fld),    \
        .offset = offsetof(st, fld), .version_id = (ver) }
#define VMSTATE_BUFFER(fld, st)         VMSTATE_BUFFER_V(fld, st, 0)

/* @len bytes that are sent as zeros and skipped on load. */
#define VMSTATE_UNUSED_V(ver, len)                                       \
    {   .name = "unused", .info = &vmstate_info_unused_buffer,           \
        .flags = VMS_BUFFER, .num = 1, .size = (len),                    \
        .version_id = (ver) }
#define VMSTATE_UNUSED(len)             VMSTATE_UNUSED_V(0, len)

/* Ends a field list. */
#define VMSTATE_END_OF_LIST()           { .name = NULL }

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
/* Drop the section registered with @vmsd and @opaque. */
void vmstate_unregister(VMStateIf *obj, const VMStateDescription *vmsd,
                        void *opaque);

#endif /* MIGRATION_VMSTATE_H */
