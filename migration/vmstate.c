/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VMState: save/load of declarative fields and subsections (QEMU 7.2 wire). */
#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "migration/vmstate.h"
#include "migration/qemu-file.h"
#include "savevm.h"

/* Primitive encodings: big-endian integers and raw buffers. */

static int get_bool(QEMUFile *f, void *pv, size_t size,
                    const VMStateField *field)
{
    *(bool *)pv = qemu_get_byte(f) != 0;
    return 0;
}

static int put_bool(QEMUFile *f, void *pv, size_t size,
                    const VMStateField *field)
{
    qemu_put_byte(f, *(bool *)pv);
    return 0;
}

#define VMSTATE_INT_INFO(_name, _type, _get, _put)                        \
static int get_##_name(QEMUFile *f, void *pv, size_t size,              \
                       const VMStateField *field)                       \
{                                                                       \
    *(_type *)pv = (_type)_get(f);                                      \
    return 0;                                                           \
}                                                                       \
static int put_##_name(QEMUFile *f, void *pv, size_t size,              \
                       const VMStateField *field)                       \
{                                                                       \
    _put(f, *(_type *)pv);                                              \
    return 0;                                                           \
}                                                                       \
const VMStateInfo vmstate_info_##_name = {                              \
    .name = stringify(_name),                                           \
    .get = get_##_name,                                                 \
    .put = put_##_name,                                                 \
}

VMSTATE_INT_INFO(int8, int8_t, qemu_get_byte, qemu_put_byte);
VMSTATE_INT_INFO(int16, int16_t, qemu_get_be16, qemu_put_be16);
VMSTATE_INT_INFO(int32, int32_t, qemu_get_be32, qemu_put_be32);
VMSTATE_INT_INFO(int64, int64_t, qemu_get_be64, qemu_put_be64);
VMSTATE_INT_INFO(uint8, uint8_t, qemu_get_byte, qemu_put_byte);
VMSTATE_INT_INFO(uint16, uint16_t, qemu_get_be16, qemu_put_be16);
VMSTATE_INT_INFO(uint32, uint32_t, qemu_get_be32, qemu_put_be32);
VMSTATE_INT_INFO(uint64, uint64_t, qemu_get_be64, qemu_put_be64);

const VMStateInfo vmstate_info_bool = {
    .name = "bool",
    .get = get_bool,
    .put = put_bool,
};

static int get_buffer(QEMUFile *f, void *pv, size_t size,
                      const VMStateField *field)
{
    qemu_get_buffer(f, pv, size);
    return 0;
}

static int put_buffer(QEMUFile *f, void *pv, size_t size,
                      const VMStateField *field)
{
    qemu_put_buffer(f, pv, size);
    return 0;
}

const VMStateInfo vmstate_info_buffer = {
    .name = "buffer",
    .get = get_buffer,
    .put = put_buffer,
};

static int get_unused_buffer(QEMUFile *f, void *pv, size_t size,
                             const VMStateField *field)
{
    uint8_t buf[1024];

    while (size > 0) {
        size_t block = MIN(size, sizeof(buf));

        if (qemu_get_buffer(f, buf, block) != block) {
            return -EIO;
        }
        size -= block;
    }
    return 0;
}

static int put_unused_buffer(QEMUFile *f, void *pv, size_t size,
                             const VMStateField *field)
{
    static const uint8_t zeros[1024];

    while (size > 0) {
        size_t block = MIN(size, sizeof(zeros));

        qemu_put_buffer(f, zeros, block);
        size -= block;
    }
    return 0;
}

const VMStateInfo vmstate_info_unused_buffer = {
    .name = "unused_buffer",
    .get = get_unused_buffer,
    .put = put_unused_buffer,
};

static bool vmstate_field_exists(const VMStateDescription *vmsd,
                                 const VMStateField *field, void *opaque,
                                 int version_id)
{
    if (field->field_exists) {
        return field->field_exists(opaque, version_id);
    }
    return field->version_id <= version_id;
}

static const VMStateDescription *
vmstate_get_subsection(const VMStateDescription **sub, const char *idstr)
{
    while (sub && *sub) {
        if (strcmp(idstr, (*sub)->name) == 0) {
            return *sub;
        }
        sub++;
    }
    return NULL;
}

/*
 * Load the subsections that follow the fields.  A subsection is only
 * consumed when its name starts with "<vmsd name>/"; anything else is left
 * for the next reader, as QEMU does.
 */
static int vmstate_subsection_load(QEMUFile *f,
                                   const VMStateDescription *vmsd,
                                   void *opaque)
{
    size_t prefix = strlen(vmsd->name);

    while (qemu_peek_byte(f, 0) == QEMU_VM_SUBSECTION) {
        char idstr[256];
        uint8_t *peeked;
        uint8_t version_id;
        size_t len = qemu_peek_byte(f, 1);
        const VMStateDescription *sub_vmsd;
        int ret;

        if (len < prefix + 1) {
            return 0;
        }
        if (qemu_peek_buffer(f, &peeked, len, 2) != len) {
            return 0;
        }
        memcpy(idstr, peeked, len);
        idstr[len] = 0;
        if (strncmp(vmsd->name, idstr, prefix) != 0) {
            return 0;
        }
        sub_vmsd = vmstate_get_subsection(vmsd->subsections, idstr);
        if (!sub_vmsd) {
            return -ENOENT;
        }
        qemu_file_skip(f, 1);        /* QEMU_VM_SUBSECTION */
        qemu_file_skip(f, 1);        /* name length */
        qemu_file_skip(f, len);      /* name */
        /* QEMU keeps the subsection version in a uint8_t. */
        version_id = qemu_get_be32(f);
        ret = vmstate_load_state(f, sub_vmsd, opaque, version_id);
        if (ret) {
            return ret;
        }
    }
    return 0;
}

int vmstate_load_state(QEMUFile *f, const VMStateDescription *vmsd,
                       void *opaque, int version_id)
{
    const VMStateField *field;
    int ret = 0;

    if (version_id > vmsd->version_id) {
        error_report("%s: incoming version_id %d is too new "
                     "for local version_id %d",
                     vmsd->name, version_id, vmsd->version_id);
        return -EINVAL;
    }
    if (version_id < vmsd->minimum_version_id) {
        error_report("%s: incoming version_id %d is too old "
                     "for local minimum version_id  %d",
                     vmsd->name, version_id, vmsd->minimum_version_id);
        return -EINVAL;
    }
    if (vmsd->pre_load) {
        ret = vmsd->pre_load(opaque);
        if (ret) {
            return ret;
        }
    }
    for (field = vmsd->fields; field && field->name; field++) {
        if (!vmstate_field_exists(vmsd, field, opaque, version_id)) {
            continue;
        }
        for (int i = 0; i < MAX(field->num, 1); i++) {
            void *pv = (uint8_t *)opaque + field->offset + i * field->size;

            ret = field->info->get(f, pv, field->size, field);
            if (ret >= 0) {
                ret = qemu_file_get_error(f);
            }
            if (ret < 0) {
                qemu_file_set_error(f, ret);
                error_report("Failed to load %s:%s", vmsd->name,
                             field->name);
                return ret;
            }
        }
    }
    ret = vmstate_subsection_load(f, vmsd, opaque);
    if (ret != 0) {
        qemu_file_set_error(f, ret);
        return ret;
    }
    if (vmsd->post_load) {
        ret = vmsd->post_load(opaque, version_id);
    }
    return ret;
}

bool vmstate_save_needed(const VMStateDescription *vmsd, void *opaque)
{
    return !vmsd->needed || vmsd->needed(opaque);
}

static void vmdesc_field(GString *vmdesc, const VMStateField *field,
                         bool first)
{
    g_string_append_printf(vmdesc, "%s{\"name\": \"%s\", \"type\": \"%s\", "
                           "\"size\": %zu",
                           first ? "" : ", ", field->name, field->info->name,
                           field->size);
    if (field->flags & VMS_ARRAY) {
        g_string_append_printf(vmdesc, ", \"array_len\": %d", field->num);
    }
    g_string_append(vmdesc, "}");
}

int vmstate_save_state(QEMUFile *f, const VMStateDescription *vmsd,
                       void *opaque, GString *vmdesc)
{
    const VMStateField *field;
    const VMStateDescription **sub;
    bool first_sub = true;
    int ret = 0;

    if (vmsd->pre_save) {
        ret = vmsd->pre_save(opaque);
        if (ret) {
            error_report("pre-save failed: %s", vmsd->name);
            return ret;
        }
    }
    if (vmdesc) {
        g_string_append_printf(vmdesc, "\"vmsd_name\": \"%s\", "
                               "\"version\": %d, \"fields\": [",
                               vmsd->name, vmsd->version_id);
    }
    for (field = vmsd->fields; field && field->name; field++) {
        if (!vmstate_field_exists(vmsd, field, opaque, vmsd->version_id)) {
            continue;
        }
        for (int i = 0; i < MAX(field->num, 1); i++) {
            void *pv = (uint8_t *)opaque + field->offset + i * field->size;

            ret = field->info->put(f, pv, field->size, field);
            if (ret) {
                error_report("Save of field %s/%s failed", vmsd->name,
                             field->name);
                return ret;
            }
        }
        if (vmdesc) {
            vmdesc_field(vmdesc, field, field == vmsd->fields);
        }
    }
    if (vmdesc) {
        g_string_append(vmdesc, "]");
    }
    for (sub = vmsd->subsections; sub && *sub; sub++) {
        size_t len = strlen((*sub)->name);

        if (!vmstate_save_needed(*sub, opaque)) {
            continue;
        }
        assert(len < 256);
        if (vmdesc) {
            g_string_append_printf(vmdesc, "%s{",
                                   first_sub ? ", \"subsections\": [" :
                                   ", ");
        }
        qemu_put_byte(f, QEMU_VM_SUBSECTION);
        qemu_put_byte(f, len);
        qemu_put_buffer(f, (const uint8_t *)(*sub)->name, len);
        qemu_put_be32(f, (*sub)->version_id);
        ret = vmstate_save_state(f, *sub, opaque, vmdesc);
        if (ret) {
            return ret;
        }
        if (vmdesc) {
            g_string_append(vmdesc, "}");
        }
        first_sub = false;
    }
    if (vmdesc && !first_sub) {
        g_string_append(vmdesc, "]");
    }
    if (vmsd->post_save) {
        ret = vmsd->post_save(opaque);
    }
    return ret;
}
