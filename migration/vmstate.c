/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VMState: save/load of declarative fields and subsections (QEMU 7.2 wire). */
#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "migration/vmstate.h"
#include "migration/qemu-file.h"
#include "savevm.h"

/*
 * Encodings
 *
 * Integers are big-endian, of their C size; a bool is one byte.  Each
 * integer encoding is one reader and one writer, generated below.
 */
#define VMSTATE_INT_ENCODING(kind, ctype, read, write)                      \
    static int kind##_get(QEMUFile *f, void *pv, size_t size,               \
                          const VMStateField *field)                        \
    {                                                                       \
        *(ctype *)pv = (ctype)read(f);                                      \
        return 0;                                                           \
    }                                                                       \
    static int kind##_put(QEMUFile *f, void *pv, size_t size,               \
                          const VMStateField *field)                        \
    {                                                                       \
        write(f, *(ctype *)pv);                                             \
        return 0;                                                           \
    }                                                                       \
    const VMStateInfo vmstate_info_##kind = {                               \
        .name = #kind, .get = kind##_get, .put = kind##_put,                \
    }

VMSTATE_INT_ENCODING(int8, int8_t, qemu_get_byte, qemu_put_byte);
VMSTATE_INT_ENCODING(uint8, uint8_t, qemu_get_byte, qemu_put_byte);
VMSTATE_INT_ENCODING(int16, int16_t, qemu_get_be16, qemu_put_be16);
VMSTATE_INT_ENCODING(uint16, uint16_t, qemu_get_be16, qemu_put_be16);
VMSTATE_INT_ENCODING(int32, int32_t, qemu_get_be32, qemu_put_be32);
VMSTATE_INT_ENCODING(uint32, uint32_t, qemu_get_be32, qemu_put_be32);
VMSTATE_INT_ENCODING(int64, int64_t, qemu_get_be64, qemu_put_be64);
VMSTATE_INT_ENCODING(uint64, uint64_t, qemu_get_be64, qemu_put_be64);

static int bool_get(QEMUFile *f, void *pv, size_t size,
                    const VMStateField *field)
{
    *(bool *)pv = !!qemu_get_byte(f);
    return 0;
}

static int bool_put(QEMUFile *f, void *pv, size_t size,
                    const VMStateField *field)
{
    qemu_put_byte(f, *(bool *)pv ? 1 : 0);
    return 0;
}

const VMStateInfo vmstate_info_bool = {
    .name = "bool", .get = bool_get, .put = bool_put,
};

static int bytes_get(QEMUFile *f, void *pv, size_t size,
                     const VMStateField *field)
{
    qemu_get_buffer(f, pv, size);
    return 0;
}

static int bytes_put(QEMUFile *f, void *pv, size_t size,
                     const VMStateField *field)
{
    qemu_put_buffer(f, pv, size);
    return 0;
}

const VMStateInfo vmstate_info_buffer = {
    .name = "buffer", .get = bytes_get, .put = bytes_put,
};

/* Unused bytes: read into a scratch block and dropped, sent as zeros. */
#define UNUSED_BLOCK 1024

static int unused_get(QEMUFile *f, void *pv, size_t size,
                      const VMStateField *field)
{
    uint8_t scratch[UNUSED_BLOCK];

    for (size_t done = 0; done < size;) {
        size_t n = MIN(size - done, sizeof(scratch));

        if (qemu_get_buffer(f, scratch, n) != n) {
            return -EIO;
        }
        done += n;
    }
    return 0;
}

static int unused_put(QEMUFile *f, void *pv, size_t size,
                      const VMStateField *field)
{
    static const uint8_t zeros[UNUSED_BLOCK];

    for (size_t done = 0; done < size;) {
        size_t n = MIN(size - done, sizeof(zeros));

        qemu_put_buffer(f, zeros, n);
        done += n;
    }
    return 0;
}

const VMStateInfo vmstate_info_unused_buffer = {
    .name = "unused_buffer", .get = unused_get, .put = unused_put,
};

/* Whether @field is in the section as of version @version. */
static bool field_present(const VMStateField *field, void *opaque,
                          int version)
{
    return field->field_exists ? field->field_exists(opaque, version)
                               : field->version_id <= version;
}

/* The address of element @i of @field in @opaque. */
static void *field_element(const VMStateField *field, void *opaque, int i)
{
    return (uint8_t *)opaque + field->offset + (size_t)i * field->size;
}

static int field_count(const VMStateField *field)
{
    return field->num > 1 ? field->num : 1;
}

/*
 * Loading
 */

/* Read element @i of @field; a short read counts as the file's error. */
static int load_element(QEMUFile *f, const VMStateField *field,
                        void *opaque, int i)
{
    int ret = field->info->get(f, field_element(field, opaque, i),
                               field->size, field);

    return ret < 0 ? ret : qemu_file_get_error(f);
}

static int load_fields(QEMUFile *f, const VMStateDescription *vmsd,
                       void *opaque, int version)
{
    for (const VMStateField *field = vmsd->fields; field && field->name;
         field++) {
        int ret = 0;

        if (!field_present(field, opaque, version)) {
            continue;
        }
        for (int i = 0; i < field_count(field) && !ret; i++) {
            ret = load_element(f, field, opaque, i);
        }
        if (ret) {
            qemu_file_set_error(f, ret);
            error_report("Failed to load %s:%s", vmsd->name, field->name);
            return ret;
        }
    }
    return 0;
}

static const VMStateDescription *find_subsection(
    const VMStateDescription *vmsd, const char *name)
{
    for (const VMStateDescription **sub = vmsd->subsections; sub && *sub;
         sub++) {
        if (g_str_equal((*sub)->name, name)) {
            return *sub;
        }
    }
    return NULL;
}

/*
 * The subsections after @vmsd's fields.  One is taken only if its name
 * begins with @vmsd's: anything else is left for whoever reads next, as
 * in QEMU.  A subsection of ours we do not know fails the load.
 */
static int load_subsections(QEMUFile *f, const VMStateDescription *vmsd,
                            void *opaque)
{
    size_t parent_len = strlen(vmsd->name);

    while (qemu_peek_byte(f, 0) == QEMU_VM_SUBSECTION) {
        size_t len = qemu_peek_byte(f, 1);
        const VMStateDescription *sub;
        uint8_t *peeked;
        char name[256];
        int ret;

        if (len <= parent_len ||
            qemu_peek_buffer(f, &peeked, len, 2) != len) {
            return 0;
        }
        memcpy(name, peeked, len);
        name[len] = '\0';
        if (strncmp(name, vmsd->name, parent_len)) {
            return 0;
        }
        sub = find_subsection(vmsd, name);
        if (!sub) {
            return -ENOENT;
        }
        qemu_file_skip(f, 2 + len);
        /* QEMU reads the be32 version into a byte: keep its low 8 bits. */
        ret = vmstate_load_state(f, sub, opaque,
                                 (uint8_t)qemu_get_be32(f));
        if (ret) {
            return ret;
        }
    }
    return 0;
}

int vmstate_load_state(QEMUFile *f, const VMStateDescription *vmsd,
                       void *opaque, int version_id)
{
    int ret;

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
    ret = vmsd->pre_load ? vmsd->pre_load(opaque) : 0;
    if (!ret) {
        ret = load_fields(f, vmsd, opaque, version_id);
    }
    if (!ret) {
        ret = load_subsections(f, vmsd, opaque);
        if (ret) {
            qemu_file_set_error(f, ret);
        }
    }
    if (!ret && vmsd->post_load) {
        ret = vmsd->post_load(opaque, version_id);
    }
    return ret;
}

/*
 * Saving, and the JSON trailer
 *
 * For the trailer each section is described as
 *   "vmsd_name": N, "version": V, "fields": [{"name": ..., "type": ...,
 *   "size": ...[, "array_len": ...]}, ...][, "subsections": [{...}, ...]]
 * which the caller wraps in braces.
 */

bool vmstate_save_needed(const VMStateDescription *vmsd, void *opaque)
{
    return !vmsd->needed || vmsd->needed(opaque);
}

static void describe_field(GString *desc, const VMStateField *field,
                           bool first)
{
    if (!first) {
        g_string_append(desc, ", ");
    }
    g_string_append_printf(desc, "{\"name\": \"%s\", \"type\": \"%s\", "
                           "\"size\": %zu", field->name, field->info->name,
                           field->size);
    if (field->flags & VMS_ARRAY) {
        g_string_append_printf(desc, ", \"array_len\": %d", field->num);
    }
    g_string_append_c(desc, '}');
}

static int save_fields(QEMUFile *f, const VMStateDescription *vmsd,
                       void *opaque, GString *desc)
{
    bool first = true;

    for (const VMStateField *field = vmsd->fields; field && field->name;
         field++) {
        if (!field_present(field, opaque, vmsd->version_id)) {
            continue;
        }
        for (int i = 0; i < field_count(field); i++) {
            int ret = field->info->put(f, field_element(field, opaque, i),
                                       field->size, field);

            if (ret) {
                error_report("Save of field %s/%s failed", vmsd->name,
                             field->name);
                return ret;
            }
        }
        if (desc) {
            describe_field(desc, field, first);
        }
        first = false;
    }
    return 0;
}

static int save_subsections(QEMUFile *f, const VMStateDescription *vmsd,
                            void *opaque, GString *desc)
{
    bool any = false;

    for (const VMStateDescription **sub = vmsd->subsections; sub && *sub;
         sub++) {
        int ret;

        if (!vmstate_save_needed(*sub, opaque)) {
            continue;
        }
        if (desc) {
            g_string_append(desc, any ? ", {" : ", \"subsections\": [{");
        }
        any = true;
        qemu_put_byte(f, QEMU_VM_SUBSECTION);
        qemu_put_counted_string(f, (*sub)->name);
        qemu_put_be32(f, (*sub)->version_id);
        ret = vmstate_save_state(f, *sub, opaque, desc);
        if (ret) {
            return ret;
        }
        if (desc) {
            g_string_append_c(desc, '}');
        }
    }
    if (desc && any) {
        g_string_append_c(desc, ']');
    }
    return 0;
}

int vmstate_save_state(QEMUFile *f, const VMStateDescription *vmsd,
                       void *opaque, GString *vmdesc)
{
    int ret = vmsd->pre_save ? vmsd->pre_save(opaque) : 0;

    if (ret) {
        error_report("pre-save failed: %s", vmsd->name);
        return ret;
    }
    if (vmdesc) {
        g_string_append_printf(vmdesc, "\"vmsd_name\": \"%s\", \"version\": "
                               "%d, \"fields\": [", vmsd->name,
                               vmsd->version_id);
    }
    ret = save_fields(f, vmsd, opaque, vmdesc);
    if (ret) {
        return ret;
    }
    if (vmdesc) {
        g_string_append_c(vmdesc, ']');
    }
    ret = save_subsections(f, vmsd, opaque, vmdesc);
    if (ret) {
        return ret;
    }
    return vmsd->post_save ? vmsd->post_save(opaque) : 0;
}
