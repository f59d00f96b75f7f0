/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QEMUFile primitive accessors (big-endian integers, bytes), as QEMU 7.2. */
#ifndef QEMU_FILE_TYPES_H
#define QEMU_FILE_TYPES_H

/*
 * Writers return nothing: the file keeps its first failure
 * (qemu_file_get_error()) and drops what is written after it.  Readers
 * return 0, and set the error, once the stream has ended or failed.
 * Integers are big-endian on the wire.
 */
void qemu_put_byte(QEMUFile *f, int v);
void qemu_put_be16(QEMUFile *f, unsigned int v);
void qemu_put_be32(QEMUFile *f, unsigned int v);
void qemu_put_be64(QEMUFile *f, uint64_t v);
void qemu_put_buffer(QEMUFile *f, const uint8_t *buf, size_t size);
/** qemu_put_counted_string: write strlen(@name) (must be < 256) and @name. */
void qemu_put_counted_string(QEMUFile *f, const char *name);

int qemu_get_byte(QEMUFile *f);
unsigned int qemu_get_be16(QEMUFile *f);
unsigned int qemu_get_be32(QEMUFile *f);
uint64_t qemu_get_be64(QEMUFile *f);
/* Returns how many of @size bytes arrived. */
size_t qemu_get_buffer(QEMUFile *f, uint8_t *buf, size_t size);
/**
 * qemu_get_counted_string: read a u8 length then that many bytes into @buf
 * and NUL-terminate it.  Returns the length, or 0 on a short read.
 */
size_t qemu_get_counted_string(QEMUFile *f, char buf[256]);

/**
 * qemu_file_rate_limit: non-zero when the caller should stop writing for
 * now: the bandwidth budget of this 100 ms window is spent, or the file has
 * failed or been shut down.
 */
int qemu_file_rate_limit(QEMUFile *f);

#endif /* QEMU_FILE_TYPES_H */
