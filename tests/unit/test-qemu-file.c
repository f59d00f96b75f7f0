/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for QEMUFile over pipes, sockets and memory buffers. */
#include "qemu/osdep.h"
#include <sys/socket.h>
#include "qapi/error.h"
#include "migration/qemu-file.h"

/* A writer thread: writes @len pattern bytes in @chunk pieces, closes. */
typedef struct WriterArgs {
    QEMUFile *f;
    size_t len;
    size_t chunk;
} WriterArgs;

static uint8_t pattern_byte(size_t i)
{
    return (uint8_t)(i * 7 + (i >> 13));
}

static gpointer writer_thread(gpointer opaque)
{
    WriterArgs *a = opaque;
    g_autofree uint8_t *buf = g_malloc(a->chunk);
    size_t done = 0;

    while (done < a->len) {
        size_t n = MIN(a->chunk, a->len - done);

        for (size_t i = 0; i < n; i++) {
            buf[i] = pattern_byte(done + i);
        }
        qemu_put_buffer(a->f, buf, n);
        done += n;
    }
    qemu_fflush(a->f);
    return GINT_TO_POINTER(qemu_fclose(a->f));
}

static void test_pipe_primitives(void)
{
    int fds[2];
    QEMUFile *out, *in;
    char str[256];

    g_assert_cmpint(pipe(fds), ==, 0);
    out = qemu_file_new_fd_output(fds[1]);
    in = qemu_file_new_fd_input(fds[0]);

    qemu_put_byte(out, 0xab);
    qemu_put_be16(out, 0x1234);
    qemu_put_be32(out, 0xdeadbeef);
    qemu_put_be64(out, 0x0102030405060708ULL);
    qemu_put_counted_string(out, "dirty-bitmap");
    qemu_put_buffer(out, (const uint8_t *)"xyz", 3);
    g_assert_cmpuint(qemu_file_total_transferred_fast(out), ==,
                     1 + 2 + 4 + 8 + 13 + 3);
    g_assert_cmpint(qemu_fclose(out), ==, 0);

    g_assert_cmpint(qemu_get_byte(in), ==, 0xab);
    g_assert_cmpuint(qemu_get_be16(in), ==, 0x1234);
    g_assert_cmpuint(qemu_get_be32(in), ==, 0xdeadbeef);
    g_assert_cmpuint(qemu_get_be64(in), ==, 0x0102030405060708ULL);
    g_assert_cmpuint(qemu_get_counted_string(in, str), ==, 12);
    g_assert_cmpstr(str, ==, "dirty-bitmap");
    g_assert_cmpint(qemu_peek_byte(in, 0), ==, 'x');
    g_assert_cmpint(qemu_peek_byte(in, 2), ==, 'z');
    qemu_file_skip(in, 1);
    g_assert_cmpint(qemu_get_byte(in), ==, 'y');
    g_assert_cmpint(qemu_get_byte(in), ==, 'z');
    g_assert_cmpint(qemu_file_get_error(in), ==, 0);
    g_assert_cmpuint(qemu_file_total_transferred(in), ==, 31);

    /* Past the end: zeros and a sticky -EIO. */
    g_assert_cmpint(qemu_get_byte(in), ==, 0);
    g_assert_cmpint(qemu_file_get_error(in), ==, -EIO);
    g_assert_cmpuint(qemu_get_be64(in), ==, 0);
    g_assert_cmpint(qemu_fclose(in), ==, -EIO);
}

static void test_truncated_read(void)
{
    static const uint8_t data[] = { 0x11, 0x22, 0x33 };
    QEMUFile *in = qemu_file_new_buffer_input(data, sizeof(data));
    uint8_t buf[8] = { 0 };

    /* A be32 over 3 bytes: the missing byte reads as 0, error set. */
    g_assert_cmpuint(qemu_get_be32(in), ==, 0x11223300);
    g_assert_cmpint(qemu_file_get_error(in), ==, -EIO);
    g_assert_cmpuint(qemu_get_buffer(in, buf, sizeof(buf)), ==, 0);
    qemu_fclose(in);

    in = qemu_file_new_buffer_input(data, sizeof(data));
    g_assert_cmpuint(qemu_get_buffer(in, buf, sizeof(buf)), ==, 3);
    g_assert_cmpmem(buf, 3, data, 3);
    g_assert_cmpint(qemu_file_get_error(in), ==, -EIO);
    qemu_fclose(in);
}

static void test_counted_string_truncated(void)
{
    static const uint8_t data[] = { 10, 'a', 'b', 'c' };
    QEMUFile *in = qemu_file_new_buffer_input(data, sizeof(data));
    char str[256];

    g_assert_cmpuint(qemu_get_counted_string(in, str), ==, 0);
    g_assert_cmpstr(str, ==, "abc");
    g_assert_cmpint(qemu_file_get_error(in), ==, -EIO);
    qemu_fclose(in);
}

static void test_sticky_error(void)
{
    QEMUFile *out = qemu_file_new_buffer_output();
    Error *err = NULL;
    size_t len;

    qemu_put_byte(out, 1);
    qemu_file_set_error(out, -EINVAL);
    error_setg(&err, "second");
    qemu_file_set_error_obj(out, -EIO, err);
    g_assert_cmpint(qemu_file_get_error(out), ==, -EINVAL);
    err = NULL;
    g_assert_cmpint(qemu_file_get_error_obj(out, &err), ==, -EINVAL);
    g_assert_nonnull(err);
    error_free(err);
    qemu_put_be64(out, 42);
    qemu_file_buffer_contents(out, &len);
    g_assert_cmpuint(len, ==, 0);
    g_assert_cmpint(qemu_file_rate_limit(out), ==, 1);
    g_assert_cmpint(qemu_fclose(out), ==, -EINVAL);
}

static void test_rate_limit(void)
{
    QEMUFile *out = qemu_file_new_buffer_output();
    uint8_t buf[60] = { 0 };

    g_assert_cmpint(qemu_file_rate_limit(out), ==, 0);
    qemu_file_set_rate_limit(out, 100);
    g_assert_cmpint(qemu_file_get_rate_limit(out), ==, 100);
    qemu_put_buffer(out, buf, 60);
    g_assert_cmpint(qemu_file_rate_limit(out), ==, 0);
    qemu_put_buffer(out, buf, 60);
    g_assert_cmpint(qemu_file_rate_limit(out), ==, 1);
    qemu_file_reset_rate_limit(out);
    g_assert_cmpint(qemu_file_rate_limit(out), ==, 0);
    qemu_file_credit_transfer(out, 101);
    g_assert_cmpint(qemu_file_rate_limit(out), ==, 1);
    /* 0 means unlimited, as QEMU's max-bandwidth 0. */
    qemu_file_set_rate_limit(out, 0);
    g_assert_cmpint(qemu_file_rate_limit(out), ==, 0);
    qemu_file_shutdown(out);
    g_assert_cmpint(qemu_file_rate_limit(out), ==, 1);
    qemu_fclose(out);
}

static void test_buffer_output(void)
{
    QEMUFile *out = qemu_file_new_buffer_output();
    g_autofree uint8_t *big = g_malloc(3 * IO_BUF_SIZE);
    const uint8_t *data;
    size_t len;

    for (size_t i = 0; i < 3 * IO_BUF_SIZE; i++) {
        big[i] = pattern_byte(i);
    }
    qemu_put_be32(out, 7);
    qemu_put_buffer(out, big, 3 * IO_BUF_SIZE);
    qemu_put_byte(out, 9);
    data = qemu_file_buffer_contents(out, &len);
    g_assert_cmpuint(len, ==, 4 + 3 * IO_BUF_SIZE + 1);
    g_assert_cmpmem(data + 4, 3 * IO_BUF_SIZE, big, 3 * IO_BUF_SIZE);
    g_assert_cmpint(data[len - 1], ==, 9);
    g_assert_cmpuint(qemu_file_total_transferred(out), ==, len);
    g_assert_cmpint(qemu_fclose(out), ==, 0);
}

/* Stream @len bytes through a socketpair with @chunk-sized puts and gets. */
static void do_stream(size_t len, size_t wchunk, size_t rchunk)
{
    int sv[2];
    WriterArgs a;
    GThread *t;
    QEMUFile *in;
    g_autofree uint8_t *buf = g_malloc(rchunk);
    size_t done = 0;

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    a.f = qemu_file_new_fd_output(sv[0]);
    a.len = len;
    a.chunk = wchunk;
    in = qemu_file_new_fd_input(sv[1]);
    t = g_thread_new("writer", writer_thread, &a);
    while (done < len) {
        size_t n = MIN(rchunk, len - done);

        g_assert_cmpuint(qemu_get_buffer(in, buf, n), ==, n);
        for (size_t i = 0; i < n; i++) {
            if (buf[i] != pattern_byte(done + i)) {
                g_assert_cmpuint(buf[i], ==, pattern_byte(done + i));
            }
        }
        done += n;
    }
    g_assert_cmpint(GPOINTER_TO_INT(g_thread_join(t)), ==, 0);
    g_assert_cmpuint(qemu_file_total_transferred(in), ==, len);
    g_assert_cmpint(qemu_file_get_error(in), ==, 0);
    /* The writer closed: the next read fails. */
    qemu_get_byte(in);
    g_assert_cmpint(qemu_file_get_error(in), ==, -EIO);
    qemu_fclose(in);
}

static void test_socket_small_chunks(void)
{
    do_stream(1 * MiB + 3, 13, 7);
}

static void test_socket_big_chunks(void)
{
    do_stream(8 * MiB + 5, 256 * KiB, 100 * KiB);
}

static void test_socket_mixed_chunks(void)
{
    do_stream(4 * MiB, IO_BUF_SIZE / 2, IO_BUF_SIZE + 1);
}

static void test_return_path(void)
{
    int sv[2];
    QEMUFile *out, *rp, *peer_in, *peer_rp, *mem;

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    out = qemu_file_new_fd_output(sv[0]);
    peer_in = qemu_file_new_fd_input(sv[1]);
    rp = qemu_file_get_return_path(out);
    peer_rp = qemu_file_get_return_path(peer_in);
    g_assert_nonnull(rp);
    g_assert_nonnull(peer_rp);
    g_assert_false(qemu_file_is_writable(rp));
    g_assert_true(qemu_file_is_writable(peer_rp));

    qemu_put_be32(out, 0x51455649);
    qemu_fflush(out);
    g_assert_cmpuint(qemu_get_be32(peer_in), ==, 0x51455649);
    qemu_put_be16(peer_rp, 2);
    qemu_put_be16(peer_rp, 4);
    qemu_put_be32(peer_rp, 1);
    qemu_fflush(peer_rp);
    g_assert_cmpuint(qemu_get_be16(rp), ==, 2);
    g_assert_cmpuint(qemu_get_be16(rp), ==, 4);
    g_assert_cmpuint(qemu_get_be32(rp), ==, 1);

    /* Memory files have no return path. */
    mem = qemu_file_new_buffer_output();
    g_assert_null(qemu_file_get_return_path(mem));
    qemu_fclose(mem);
    qemu_fclose(rp);
    qemu_fclose(peer_rp);
    qemu_fclose(out);
    qemu_fclose(peer_in);
}

static gpointer blocked_reader(gpointer opaque)
{
    QEMUFile *in = opaque;

    int v = qemu_get_byte(in);

    return GINT_TO_POINTER(v + 1000 * !!qemu_file_get_error(in));
}

static void test_shutdown_unblocks_reader(void)
{
    int sv[2];
    QEMUFile *in;
    GThread *t;

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    in = qemu_file_new_fd_input(sv[1]);
    t = g_thread_new("reader", blocked_reader, in);
    /* Whether the reader has blocked yet or not, it must fail now. */
    g_assert_cmpint(qemu_file_shutdown(in), ==, 0);
    g_assert_cmpint(GPOINTER_TO_INT(g_thread_join(t)), ==, 1000);
    g_assert_cmpint(qemu_file_get_error(in), ==, -EIO);
    qemu_fclose(in);
    close(sv[0]);
}

static void test_write_to_closed_pipe(void)
{
    int fds[2];
    QEMUFile *out;
    Error *err = NULL;

    g_assert_cmpint(pipe(fds), ==, 0);
    close(fds[0]);
    out = qemu_file_new_fd_output(fds[1]);
    qemu_put_be64(out, 1);
    qemu_fflush(out);
    g_assert_cmpint(qemu_file_get_error_obj(out, &err), ==, -EPIPE);
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(error_get_pretty(err), "Broken pipe"));
    error_free(err);
    /* Later writes are dropped without touching the fd again. */
    qemu_put_buffer(out, (const uint8_t *)"abc", 3);
    g_assert_cmpint(qemu_fclose(out), ==, -EPIPE);
}

static void test_peek_across_refill(void)
{
    g_autofree uint8_t *data = g_malloc(IO_BUF_SIZE + 16);
    QEMUFile *in;
    uint8_t *p;
    uint8_t skip[IO_BUF_SIZE - 4];

    for (size_t i = 0; i < IO_BUF_SIZE + 16; i++) {
        data[i] = pattern_byte(i);
    }
    in = qemu_file_new_buffer_input(data, IO_BUF_SIZE + 16);
    g_assert_cmpuint(qemu_get_buffer(in, skip, sizeof(skip)), ==,
                     sizeof(skip));
    /* 4 bytes left in the buffer; a 10-byte peek needs a refill. */
    g_assert_cmpuint(qemu_peek_buffer(in, &p, 10, 0), ==, 10);
    g_assert_cmpmem(p, 10, data + sizeof(skip), 10);
    g_assert_cmpuint(qemu_peek_buffer(in, &p, 100, 0), ==, 20);
    g_assert_cmpint(qemu_file_get_error(in), ==, -EIO);
    qemu_fclose(in);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qemu-file/pipe/primitives", test_pipe_primitives);
    g_test_add_func("/qemu-file/pipe/closed-reader",
                    test_write_to_closed_pipe);
    g_test_add_func("/qemu-file/buffer/truncated", test_truncated_read);
    g_test_add_func("/qemu-file/buffer/counted-string-truncated",
                    test_counted_string_truncated);
    g_test_add_func("/qemu-file/buffer/output", test_buffer_output);
    g_test_add_func("/qemu-file/buffer/peek-refill", test_peek_across_refill);
    g_test_add_func("/qemu-file/error/sticky", test_sticky_error);
    g_test_add_func("/qemu-file/rate-limit", test_rate_limit);
    g_test_add_func("/qemu-file/socket/small-chunks",
                    test_socket_small_chunks);
    g_test_add_func("/qemu-file/socket/big-chunks", test_socket_big_chunks);
    g_test_add_func("/qemu-file/socket/mixed-chunks",
                    test_socket_mixed_chunks);
    g_test_add_func("/qemu-file/socket/return-path", test_return_path);
    g_test_add_func("/qemu-file/socket/shutdown-unblocks",
                    test_shutdown_unblocks_reader);
    return g_test_run();
}
