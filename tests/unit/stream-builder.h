/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hand-made migration streams for the unit tests and the fuzzer. */
#ifndef STREAM_BUILDER_H
#define STREAM_BUILDER_H

#include "migration/savevm.h"     /* QEMU_VM_* element types */

/*
 * Every function appends to a GByteArray, so that a test can write a
 * well-formed stream and then any defect it likes (raw bytes, a wrong
 * length, a missing end marker).  The layout is that of
 * ../shared/reference/migration-stream.md: big-endian integers,
 * one-byte-length strings; element types are migration/savevm.h's.
 */

/* Dirty-bitmap chunk flags (one byte; 0x80 would announce a second). */
enum {
    SB_DBM_EOS = 0x01,
    SB_DBM_ZEROES = 0x02,
    SB_DBM_BITMAP_NAME = 0x04,
    SB_DBM_DEVICE_NAME = 0x08,
    SB_DBM_START = 0x10,
    SB_DBM_COMPLETE = 0x20,
    SB_DBM_BITS = 0x40,
    /* Both names are sent. */
    SB_DBM_NAMES = SB_DBM_DEVICE_NAME | SB_DBM_BITMAP_NAME,
};

/* Flags of a START chunk's bitmap. */
enum {
    SB_DBM_ENABLED = 0x01,
    SB_DBM_PERSISTENT = 0x02,
};

/* Integers, bytes and strings */

void sb_u8(GByteArray *b, uint8_t v);
void sb_be16(GByteArray *b, uint16_t v);
void sb_be32(GByteArray *b, uint32_t v);
void sb_be64(GByteArray *b, uint64_t v);
void sb_bytes(GByteArray *b, const void *data, size_t len);
/* Space-separated hex bytes: "04 00 00 00 09". */
void sb_hex(GByteArray *b, const char *hex);
/* A length byte, then the @len bytes of @s (which may hold a NUL). */
void sb_counted(GByteArray *b, const char *s, size_t len);
/* sb_counted() of a C string. */
void sb_str(GByteArray *b, const char *s);

/* Stream framing */

/* A new stream: magic, version 3, configuration for machine @machine. */
GByteArray *sb_stream_new(const char *machine);
/* START or FULL section header: id, idstr, instance 0, version. */
void sb_section_begin(GByteArray *b, uint8_t type, uint32_t id,
                      const char *idstr, uint32_t version);
/* PART or END section header. */
void sb_section_resume(GByteArray *b, uint8_t type, uint32_t id);
void sb_section_footer(GByteArray *b, uint32_t id);
/* A whole section (START/FULL: version 1): header, @payload, footer. */
void sb_section(GByteArray *b, uint8_t type, uint32_t id,
                const char *idstr, const GByteArray *payload);
void sb_eof(GByteArray *b);

/*
 * Dirty-bitmap chunks.  @flags carries SB_DBM_DEVICE_NAME and
 * SB_DBM_BITMAP_NAME (which names are sent), SB_DBM_EOS and, for BITS,
 * SB_DBM_ZEROES; the chunk's kind is added by each function.
 */

/* The flags byte and the names @flags asks for. */
void sb_dbm_head(GByteArray *b, uint8_t flags, const char *node,
                 const char *bitmap);
void sb_dbm_start(GByteArray *b, uint8_t flags, const char *node,
                  const char *bitmap, uint32_t granularity,
                  uint8_t bitmap_flags);
void sb_dbm_complete(GByteArray *b, uint8_t flags, const char *node,
                     const char *bitmap);
/* A ZEROES chunk: @nr sectors from sector @sector are clear. */
void sb_dbm_zeroes(GByteArray *b, uint8_t flags, const char *node,
                   const char *bitmap, uint64_t sector, uint32_t nr);
/*
 * A BITS chunk announcing @size buffer bytes and carrying @len of them
 * from @buf (@len < @size makes a truncated chunk).
 */
void sb_dbm_bits(GByteArray *b, uint8_t flags, const char *node,
                 const char *bitmap, uint64_t sector, uint32_t nr,
                 uint64_t size, const void *buf, size_t len);

#endif /* STREAM_BUILDER_H */
