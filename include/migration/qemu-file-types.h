/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QEMUFile primitive accessors (big-endian integers, bytes), as QEMU 7.2. */
#ifndef QEMU_FILE_TYPES_H
#define QEMU_FILE_TYPES_H

/*
 * All put functions are void: the first failure is kept in the file
 * (qemu_file_get_error()) and later writes are dropped.  All get functions
 * return 0 once the stream has ended or failed, and set the error.
 */
void qemu_put_byte(QEMUFile *f, int v);
void qemu_put_be16(QEMUFile *f, unsigned int v);
void qemu_put_be32(QEMUFile *f, unsigned int v);
void qemu_put_be64(QEMUFile *f, uint64_t v);
void qemu_put_buffer(QEMUFile *f, const uint8_t *buf, size_t size);

int qemu_get_byte(QEMUFile *f);
unsigned int qemu_get_be16(QEMUFile *f);
unsigned int qemu_get_be32(QEMUFile *f);
uint64_t qemu_get_be64(QEMUFile *f);
size_t qemu_get_buffer(QEMUFile *f, uint8_t *buf, size_t size);

static inline void qemu_put_ubyte(QEMUFile *f, unsigned int v)
{
    qemu_put_byte(f, (int)v);
}

#define qemu_put_sbyte qemu_put_byte

static inline unsigned int qemu_get_ubyte(QEMUFile *f)
{
    return (unsigned int)qemu_get_byte(f);
}

#define qemu_get_sbyte qemu_get_byte

static inline void qemu_put_be64s(QEMUFile *f, const uint64_t *pv)
{
    qemu_put_be64(f, *pv);
}

static inline void qemu_put_be32s(QEMUFile *f, const uint32_t *pv)
{
    qemu_put_be32(f, *pv);
}

static inline void qemu_put_be16s(QEMUFile *f, const uint16_t *pv)
{
    qemu_put_be16(f, *pv);
}

static inline void qemu_put_8s(QEMUFile *f, const uint8_t *pv)
{
    qemu_put_byte(f, *pv);
}

static inline void qemu_get_be64s(QEMUFile *f, uint64_t *pv)
{
    *pv = qemu_get_be64(f);
}

static inline void qemu_get_be32s(QEMUFile *f, uint32_t *pv)
{
    *pv = qemu_get_be32(f);
}

static inline void qemu_get_be16s(QEMUFile *f, uint16_t *pv)
{
    *pv = qemu_get_be16(f);
}

static inline void qemu_get_8s(QEMUFile *f, uint8_t *pv)
{
    *pv = qemu_get_byte(f);
}

/**
 * qemu_get_counted_string: read a u8 length then that many bytes into @buf
 * and NUL-terminate it.  Returns the length, or 0 on a short read.
 */
size_t qemu_get_counted_string(QEMUFile *f, char buf[256]);

/** qemu_put_counted_string: write strlen(@name) (must be < 256) and @name. */
void qemu_put_counted_string(QEMUFile *f, const char *name);

/**
 * qemu_file_rate_limit: non-zero when the caller should stop writing for
 * now: the bandwidth budget of this 100 ms window is spent, or the file has
 * failed or been shut down.
 */
int qemu_file_rate_limit(QEMUFile *f);

#endif /* QEMU_FILE_TYPES_H */
