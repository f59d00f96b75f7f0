/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hand-made migration streams for the unit tests and the fuzzer. */

#include "qemu/osdep.h"
#include "stream-builder.h"

/* Integers, bytes and strings */

void sb_u8(GByteArray *b, uint8_t v)
{
    g_byte_array_append(b, &v, 1);
}

void sb_be16(GByteArray *b, uint16_t v)
{
    uint16_t be = GUINT16_TO_BE(v);

    g_byte_array_append(b, (const guint8 *)&be, sizeof(be));
}

void sb_be32(GByteArray *b, uint32_t v)
{
    uint32_t be = GUINT32_TO_BE(v);

    g_byte_array_append(b, (const guint8 *)&be, sizeof(be));
}

void sb_be64(GByteArray *b, uint64_t v)
{
    uint64_t be = GUINT64_TO_BE(v);

    g_byte_array_append(b, (const guint8 *)&be, sizeof(be));
}

void sb_bytes(GByteArray *b, const void *data, size_t len)
{
    if (len) {
        g_byte_array_append(b, data, len);
    }
}

void sb_hex(GByteArray *b, const char *hex)
{
    g_auto(GStrv) words = g_strsplit(hex, " ", -1);
    char **w;

    for (w = words; *w; w++) {
        if (**w) {
            sb_u8(b, g_ascii_strtoull(*w, NULL, 16));
        }
    }
}

void sb_counted(GByteArray *b, const char *s, size_t len)
{
    g_assert(len <= UINT8_MAX);
    sb_u8(b, len);
    sb_bytes(b, s, len);
}

void sb_str(GByteArray *b, const char *s)
{
    sb_counted(b, s, strlen(s));
}

/* Stream framing */

GByteArray *sb_stream_new(const char *machine)
{
    GByteArray *b = g_byte_array_new();

    sb_be32(b, QEMU_VM_FILE_MAGIC);
    sb_be32(b, QEMU_VM_FILE_VERSION);
    sb_u8(b, QEMU_VM_CONFIGURATION);
    sb_be32(b, strlen(machine));
    sb_bytes(b, machine, strlen(machine));
    return b;
}

void sb_section_begin(GByteArray *b, uint8_t type, uint32_t id,
                      const char *idstr, uint32_t version)
{
    sb_u8(b, type);
    sb_be32(b, id);
    sb_str(b, idstr);
    sb_be32(b, 0);              /* instance */
    sb_be32(b, version);
}

void sb_section_resume(GByteArray *b, uint8_t type, uint32_t id)
{
    sb_u8(b, type);
    sb_be32(b, id);
}

void sb_section_footer(GByteArray *b, uint32_t id)
{
    sb_u8(b, QEMU_VM_SECTION_FOOTER);
    sb_be32(b, id);
}

void sb_section(GByteArray *b, uint8_t type, uint32_t id,
                const char *idstr, const GByteArray *payload)
{
    if (type == QEMU_VM_SECTION_START || type == QEMU_VM_SECTION_FULL) {
        sb_section_begin(b, type, id, idstr, 1);
    } else {
        sb_section_resume(b, type, id);
    }
    sb_bytes(b, payload->data, payload->len);
    sb_section_footer(b, id);
}

void sb_eof(GByteArray *b)
{
    sb_u8(b, QEMU_VM_EOF);
}

/* Dirty-bitmap chunks */

void sb_dbm_head(GByteArray *b, uint8_t flags, const char *node,
                 const char *bitmap)
{
    sb_u8(b, flags);
    if (flags & SB_DBM_DEVICE_NAME) {
        sb_str(b, node);
    }
    if (flags & SB_DBM_BITMAP_NAME) {
        sb_str(b, bitmap);
    }
}

void sb_dbm_start(GByteArray *b, uint8_t flags, const char *node,
                  const char *bitmap, uint32_t granularity,
                  uint8_t bitmap_flags)
{
    sb_dbm_head(b, flags | SB_DBM_START, node, bitmap);
    sb_be32(b, granularity);
    sb_u8(b, bitmap_flags);
}

void sb_dbm_complete(GByteArray *b, uint8_t flags, const char *node,
                     const char *bitmap)
{
    sb_dbm_head(b, flags | SB_DBM_COMPLETE, node, bitmap);
}

void sb_dbm_zeroes(GByteArray *b, uint8_t flags, const char *node,
                   const char *bitmap, uint64_t sector, uint32_t nr)
{
    sb_dbm_head(b, flags | SB_DBM_BITS | SB_DBM_ZEROES, node, bitmap);
    sb_be64(b, sector);
    sb_be32(b, nr);
}

void sb_dbm_bits(GByteArray *b, uint8_t flags, const char *node,
                 const char *bitmap, uint64_t sector, uint32_t nr,
                 uint64_t size, const void *buf, size_t len)
{
    sb_dbm_head(b, flags | SB_DBM_BITS, node, bitmap);
    sb_be64(b, sector);
    sb_be32(b, nr);
    sb_be64(b, size);
    sb_bytes(b, buf, len);
}
