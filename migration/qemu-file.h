/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QEMUFile: the buffered migration stream with sticky errors (QEMU 7.2). */
#ifndef MIGRATION_QEMU_FILE_H
#define MIGRATION_QEMU_FILE_H

#include "migration/qemu-file-types.h"

/* Size of the internal buffer, as QEMU's. */
#define IO_BUF_SIZE 32768
/* Most iovec entries collected before a writev, as QEMU's. */
#define MAX_IOV_SIZE MIN_CONST(IOV_MAX, 64)

/*
 * Constructors.  QEMU 7.2 wraps a QIOChannel; minivmm has no io/ layer, so
 * a QEMUFile wraps a file descriptor or a memory buffer directly.  The
 * QEMU-compatible names are the put/get/error/rate-limit functions below.
 */

/*
 * Waiting for the peer.  The transport is made non-blocking; a get or
 * put that must wait polls it with the BQL released if the caller held
 * it (as QEMU's incoming coroutine yields to the main loop), so that the
 * monitor, quit and migrate_cancel never wait for a slow or dead peer.
 * The caller gets the BQL back, but the main loop may have run in
 * between.  So a caller must not hold, across I/O, a lock that the main
 * thread takes with the BQL held, unless the main thread shuts the file
 * down first (quit does so before it cancels the dirty-bitmap module's
 * load, whose lock the loader holds while it reads).
 */

/**
 * qemu_file_new_fd_input / qemu_file_new_fd_output: wrap @fd for reading
 * or writing.  The file owns @fd and closes it in qemu_fclose().  Sockets
 * (detected with getsockopt) also offer a return path and shutdown().
 */
QEMUFile *qemu_file_new_fd_input(int fd);
QEMUFile *qemu_file_new_fd_output(int fd);

/**
 * qemu_file_new_buffer_input: read from @len bytes at @data.  The memory is
 * borrowed: it must stay valid until qemu_fclose().  Reading past the end
 * sets -EIO, as a closed socket would.
 */
QEMUFile *qemu_file_new_buffer_input(const uint8_t *data, size_t len);

/**
 * qemu_file_new_buffer_output: a writable file that collects its bytes in
 * memory; see qemu_file_buffer_contents().
 */
QEMUFile *qemu_file_new_buffer_output(void);

/**
 * qemu_file_buffer_contents: flush @f (a buffer output file) and return its
 * bytes so far; *@len receives the size.  Valid until the next write or
 * qemu_fclose().
 */
const uint8_t *qemu_file_buffer_contents(QEMUFile *f, size_t *len);

/**
 * qemu_file_set_spill: once a buffer output file @f holds @cap bytes, write
 * them to @target and start again (bounded memory for staged output).
 * Errors of @target become errors of @f.
 */
void qemu_file_set_spill(QEMUFile *f, QEMUFile *target, size_t cap);

/**
 * qemu_file_set_child_pid: make qemu_fclose() reap the child process @pid
 * (exec: migration), and qemu_file_shutdown() terminate its process group
 * (the child must lead one).
 */
void qemu_file_set_child_pid(QEMUFile *f, pid_t pid);

/* qemu_file_get_fd: the transport fd, or -1 for memory files. */
int qemu_file_get_fd(QEMUFile *f);

/**
 * qemu_fclose: flush (if writable), close and free @f.  Returns the first
 * error of the file (negative errno) or 0.
 */
int qemu_fclose(QEMUFile *f);

/** qemu_fflush: write out buffered bytes; failures set the file's error. */
void qemu_fflush(QEMUFile *f);

bool qemu_file_is_writable(QEMUFile *f);

/**
 * qemu_file_get_return_path: a file for the opposite direction of the same
 * connection (reading for an output file, writing for an input one), or
 * NULL when the transport has none (pipes, exec:, file:, memory).
 */
QEMUFile *qemu_file_get_return_path(QEMUFile *f);

/**
 * qemu_file_shutdown: make pending and future I/O on @f fail at once
 * (shutdown(2) on sockets); sets -EIO as the error if there was none.
 * Safe to call from another thread while one is blocked in I/O on @f.
 */
int qemu_file_shutdown(QEMUFile *f);

/* Errors: the first error wins and is sticky. */
int qemu_file_get_error(QEMUFile *f);
int qemu_file_get_error_obj(QEMUFile *f, Error **errp);
void qemu_file_set_error(QEMUFile *f, int ret);
/* Takes ownership of @err (freed if an error was already set). */
void qemu_file_set_error_obj(QEMUFile *f, int ret, Error *err);

/*
 * Rate limiting: @new_rate is the byte budget of one accounting window
 * (the migration thread uses max-bandwidth / 10 for its 100 ms window);
 * 0 or INT64_MAX means unlimited.
 */
void qemu_file_set_rate_limit(QEMUFile *f, int64_t new_rate);
int64_t qemu_file_get_rate_limit(QEMUFile *f);
void qemu_file_reset_rate_limit(QEMUFile *f);
/* Account @size bytes sent outside this file against the budget. */
void qemu_file_credit_transfer(QEMUFile *f, size_t size);

/* Bytes written to or read from the transport so far (after flushes). */
uint64_t qemu_file_total_transferred(QEMUFile *f);
/* As above plus what is still buffered: cheap, no flush. */
uint64_t qemu_file_total_transferred_fast(QEMUFile *f);

/**
 * qemu_peek_buffer: make @size bytes at @offset from the read position
 * available without consuming them; *@buf points into the internal buffer.
 * @size + @offset must not exceed IO_BUF_SIZE.  Returns the bytes available.
 */
size_t qemu_peek_buffer(QEMUFile *f, uint8_t **buf, size_t size,
                        size_t offset);
/* qemu_peek_byte: the byte at @offset, or 0 (with the error set) at EOF. */
int qemu_peek_byte(QEMUFile *f, int offset);
/* qemu_file_skip: consume @size peeked bytes. */
void qemu_file_skip(QEMUFile *f, int size);

#endif /* MIGRATION_QEMU_FILE_H */
