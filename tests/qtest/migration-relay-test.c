/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The migration relay itself, between two plain sockets of the test. */

/*
 * The test plays both ends: it listens where the relay connects to (the
 * "destination") and connects to the relay (the "source").  Every check
 * is on bytes that have arrived; a trigger's point is exact because the
 * relay forwards nothing past it before it fires.
 */

#include "qemu/osdep.h"
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "libqtest.h"
#include "migration-relay.h"

#define MIG_CMD_PACKAGED 7

typedef struct Ends {
    char *dir;
    MigRelay *relay;
    int src;                    /* our "source" end */
    int dst;                    /* our accepted "destination" end */
} Ends;

static int unix_socket_at(const char *path, bool listening)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_assert_cmpint(fd, >=, 0);
    g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
    if (listening) {
        g_assert_cmpint(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), ==,
                        0);
        g_assert_cmpint(listen(fd, 1), ==, 0);
    } else {
        g_assert_cmpint(connect(fd, (struct sockaddr *)&sun, sizeof(sun)),
                        ==, 0);
    }
    return fd;
}

static Ends *ends_new(void)
{
    Ends *e = g_new0(Ends, 1);
    g_autofree char *dst_path = NULL;
    g_autofree char *relay_path = NULL;
    int lfd;

    e->dir = g_dir_make_tmp("relay-test-XXXXXX", NULL);
    g_assert_nonnull(e->dir);
    dst_path = g_build_filename(e->dir, "dst.sock", NULL);
    relay_path = g_build_filename(e->dir, "relay.sock", NULL);
    lfd = unix_socket_at(dst_path, true);
    e->relay = mig_relay_new(relay_path, dst_path);
    e->src = unix_socket_at(relay_path, false);
    e->dst = accept(lfd, NULL, NULL);
    g_assert_cmpint(e->dst, >=, 0);
    close(lfd);
    return e;
}

static void ends_free(Ends *e)
{
    g_autofree char *d = g_build_filename(e->dir, "dst.sock", NULL);
    g_autofree char *r = g_build_filename(e->dir, "relay.sock", NULL);

    mig_relay_free(e->relay);
    close(e->src);
    close(e->dst);
    unlink(d);
    unlink(r);
    rmdir(e->dir);
    g_free(e->dir);
    g_free(e);
}

static void send_all(int fd, const void *buf, size_t len)
{
    g_assert_cmpint(send(fd, buf, len, MSG_NOSIGNAL), ==, len);
}

/* What @fd holds right now, without waiting for more. */
static GByteArray *drain_now(int fd)
{
    GByteArray *got = g_byte_array_new();
    uint8_t buf[4096];
    ssize_t n;

    while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
        g_byte_array_append(got, buf, n);
    }
    return got;
}

/* Read exactly @len bytes from @fd (bounded by a poll timeout). */
static void recv_exactly(int fd, uint8_t *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        ssize_t n;

        g_assert_cmpint(poll(&pfd, 1, qtest_get_default_timeout() * 1000),
                        ==, 1);
        n = recv(fd, buf + done, len - done, 0);
        g_assert_cmpint(n, >, 0);
        done += n;
    }
}

/* A stream: 100 filler bytes, PACKAGED{LISTEN, 5 bytes}, 50 more. */
static GByteArray *packaged_stream(void)
{
    static const uint8_t package[] = {
        0x08, 0x00, 0x07, 0x00, 0x04, 0x00, 0x00, 0x00, 0x0a,
        0x08, 0x00, 0x04, 0x00, 0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
    };
    GByteArray *s = g_byte_array_new();
    uint8_t fill[100];

    memset(fill, 0xff, sizeof(fill));
    g_byte_array_append(s, fill, 100);
    g_byte_array_append(s, package, sizeof(package));
    g_byte_array_append(s, fill, 50);
    return s;
}

/* A cut at an offset: the destination gets exactly that much, then EOF. */
static void test_cut_at_offset(void)
{
    Ends *e = ends_new();
    uint8_t data[5000], got[1000], extra;

    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = i * 7;
    }
    mig_relay_at_offset(e->relay, 1000, MIG_RELAY_CUT);
    send_all(e->src, data, sizeof(data));
    g_assert_cmpuint(mig_relay_wait(e->relay), ==, 1000);
    recv_exactly(e->dst, got, sizeof(got));
    g_assert_cmpmem(got, sizeof(got), data, 1000);
    g_assert_cmpint(recv(e->dst, &extra, 1, 0), ==, 0);     /* EOF */
    mig_relay_wait_closed(e->relay);
    g_assert_cmpuint(mig_relay_bytes(e->relay, MIG_RELAY_S2D), ==, 1000);
    ends_free(e);
}

/* Stall right after a package, then release the rest. */
static void test_stall_after_package(void)
{
    g_autoptr(GByteArray) stream = packaged_stream();
    g_autoptr(GByteArray) first = NULL;
    Ends *e = ends_new();
    uint8_t rest[50], eof;

    mig_relay_at_cmd(e->relay, MIG_CMD_PACKAGED, true, MIG_RELAY_STALL);
    send_all(e->src, stream->data, stream->len);
    g_assert_cmpuint(mig_relay_wait(e->relay), ==, 100 + 19);
    first = drain_now(e->dst);
    g_assert_cmpmem(first->data, first->len, stream->data, 119);

    mig_relay_release(e->relay);
    recv_exactly(e->dst, rest, sizeof(rest));
    g_assert_cmpmem(rest, sizeof(rest), stream->data + 119, 50);
    shutdown(e->src, SHUT_WR);
    g_assert_cmpint(recv(e->dst, &eof, 1, 0), ==, 0);
    g_assert_cmpuint(mig_relay_bytes(e->relay, MIG_RELAY_S2D), ==,
                     stream->len);
    ends_free(e);
}

/* Before a command: the point is the command's first byte. */
static void test_note_before_package(void)
{
    g_autoptr(GByteArray) stream = packaged_stream();
    Ends *e = ends_new();
    uint8_t *all = g_malloc(stream->len);

    mig_relay_at_cmd(e->relay, MIG_CMD_PACKAGED, false, MIG_RELAY_NOTE);
    send_all(e->src, stream->data, stream->len);
    g_assert_cmpuint(mig_relay_wait(e->relay), ==, 100);
    /* A note holds nothing back. */
    recv_exactly(e->dst, all, stream->len);
    g_assert_cmpmem(all, stream->len, stream->data, stream->len);
    g_free(all);
    ends_free(e);
}

/* The return path flows back, and stalls on its own. */
static void test_return_path(void)
{
    Ends *e = ends_new();
    const uint8_t shut[] = { 0, 1, 0, 4, 0, 0, 0, 0 };
    g_autoptr(GByteArray) held = NULL;
    uint8_t got[8];

    send_all(e->dst, shut, 4);
    recv_exactly(e->src, got, 4);
    g_assert_cmpmem(got, 4, shut, 4);
    g_assert_cmpuint(mig_relay_bytes(e->relay, MIG_RELAY_D2S), ==, 4);

    mig_relay_stall(e->relay, MIG_RELAY_D2S);
    send_all(e->dst, shut + 4, 4);
    /* Main stream still flows while the return path is held. */
    send_all(e->src, "x", 1);
    recv_exactly(e->dst, got, 1);
    held = drain_now(e->src);
    g_assert_cmpuint(held->len, ==, 0);
    g_assert_cmpuint(mig_relay_bytes(e->relay, MIG_RELAY_D2S), ==, 4);
    mig_relay_release(e->relay);
    recv_exactly(e->src, got, 4);
    g_assert_cmpmem(got, 4, shut + 4, 4);
    ends_free(e);
}

/* A rate limit cannot make a transfer faster than the rate allows. */
static void test_rate(void)
{
    Ends *e = ends_new();
    uint8_t data[30000] = { 0 }, got[30000];
    gint64 t0;

    mig_relay_set_rate(e->relay, 100000);
    t0 = g_get_monotonic_time();
    send_all(e->src, data, sizeof(data));
    recv_exactly(e->dst, got, sizeof(got));
    /* 30000 bytes at 100000/s, with at most 10000 banked: >= 200 ms. */
    g_assert_cmpint(g_get_monotonic_time() - t0, >=, 200 * 1000 - 20000);
    ends_free(e);
}

/* A captured stream of QEMU 7.2 (tests/data/streams). */
static GBytes *capture(const char *name)
{
    const char *dir = g_getenv("DBM_STREAMS_DIR");
    g_autofree char *path = NULL;
    char *data;
    gsize len;

    g_assert_nonnull(dir);
    path = g_build_filename(dir, name, NULL);
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    return g_bytes_new_take(data, len);
}

typedef struct Sender {
    int fd;
    GBytes *data;
} Sender;

/* Writes the whole stream, then closes (a thread: the relay may hold it). */
static gpointer sender_thread(gpointer opaque)
{
    Sender *snd = opaque;
    gsize len;
    const uint8_t *p = g_bytes_get_data(snd->data, &len);

    while (len > 0) {
        ssize_t n = send(snd->fd, p, len, MSG_NOSIGNAL);

        if (n <= 0) {
            break;          /* cut */
        }
        p += n;
        len -= n;
    }
    shutdown(snd->fd, SHUT_WR);
    return NULL;
}

/* Everything @fd gets until EOF (bounded by poll timeouts). */
static GByteArray *recv_to_eof(int fd)
{
    GByteArray *got = g_byte_array_new();
    uint8_t buf[65536];

    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        ssize_t n;

        g_assert_cmpint(poll(&pfd, 1, qtest_get_default_timeout() * 1000),
                        ==, 1);
        n = recv(fd, buf, sizeof(buf), 0);
        g_assert_cmpint(n, >=, 0);
        if (!n) {
            return got;
        }
        g_byte_array_append(got, buf, n);
    }
}

/*
 * Send capture @name with @action armed at a mark; return what the
 * destination got.  The trigger's offset goes to @at.
 */
static GByteArray *relay_capture(Ends *e, const char *name, uint64_t *at)
{
    Sender snd = { .fd = e->src, .data = capture(name) };
    GThread *t = g_thread_new("sender", sender_thread, &snd);
    GByteArray *got;

    /* Read first: the relay holds what the destination does not take. */
    got = recv_to_eof(e->dst);
    *at = mig_relay_wait(e->relay);
    g_thread_join(t);
    g_bytes_unref(snd.data);
    return got;
}

/*
 * Cut QEMU 7.2's precopy capture at a mark: the destination gets the
 * stream up to the trigger's offset, which is returned.
 */
static uint64_t cut_precopy_at(Ends *e, MigRelayMark mark, unsigned nth,
                               bool after, uint64_t back)
{
    g_autoptr(GBytes) whole = capture("precopy_2bitmaps.bin");
    g_autoptr(GByteArray) got = NULL;
    uint64_t at;

    mig_relay_at_mark(e->relay, mark, nth, after, back, MIG_RELAY_CUT);
    got = relay_capture(e, "precopy_2bitmaps.bin", &at);
    g_assert_cmpuint(got->len, ==, at);
    g_assert_cmpmem(got->data, got->len, g_bytes_get_data(whole, NULL), at);
    g_assert_null(mig_relay_parse_error(e->relay));
    return at;
}

/*
 * Marks in the precopy capture (migration-stream.md 5.1): a cut right
 * before the second COMPLETE, and what the parser counted.
 */
static void test_marks_precopy(void)
{
    Ends *e = ends_new();

    g_assert_cmpuint(cut_precopy_at(e, MIG_RELAY_MARK_DBM_COMPLETE, 2,
                                    false, 0), ==, 0xb5c3b);
    g_assert_cmpuint(mig_relay_marks(e->relay, MIG_RELAY_MARK_DBM_START,
                                     true), ==, 2);
    g_assert_cmpuint(mig_relay_marks(e->relay, MIG_RELAY_MARK_DBM_COMPLETE,
                                     true), ==, 1);
    g_assert_cmpuint(mig_relay_marks(e->relay, MIG_RELAY_MARK_DBM_COMPLETE,
                                     false), ==, 2);
    ends_free(e);
}

/* The last byte of the stream, through the VMDESCRIPTION mark. */
static void test_marks_last_byte(void)
{
    Ends *e = ends_new();

    g_assert_cmpuint(cut_precopy_at(e, MIG_RELAY_MARK_VMDESC, 1, true, 1),
                     ==, 0xb5ee8 - 1);
    g_assert_cmpuint(mig_relay_marks(e->relay, MIG_RELAY_MARK_EOF, true),
                     ==, 1);
    g_assert_cmpuint(mig_relay_marks(e->relay, MIG_RELAY_MARK_DBM_EOS,
                                     true), ==, 2);
    ends_free(e);
}

/*
 * The package mark of QEMU 7.2's postcopy capture ends where the command
 * scanner's does; a note holds nothing back.
 */
static void test_marks_package(void)
{
    Ends *e = ends_new();
    Ends *e2 = ends_new();
    g_autoptr(GBytes) whole = capture("postcopy.s2d.bin");
    g_autoptr(GByteArray) got = NULL;
    g_autoptr(GByteArray) got2 = NULL;
    uint64_t at, at2;

    mig_relay_at_mark(e->relay, MIG_RELAY_MARK_PACKAGED, 1, true, 0,
                      MIG_RELAY_NOTE);
    got = relay_capture(e, "postcopy.s2d.bin", &at);
    mig_relay_at_cmd(e2->relay, MIG_CMD_PACKAGED, true, MIG_RELAY_NOTE);
    got2 = relay_capture(e2, "postcopy.s2d.bin", &at2);
    g_assert_cmpuint(at, ==, at2);
    g_assert_cmpmem(got->data, got->len, g_bytes_get_data(whole, NULL),
                    g_bytes_get_size(whole));
    g_assert_null(mig_relay_parse_error(e->relay));
    g_assert_cmpuint(mig_relay_marks(e->relay, MIG_RELAY_MARK_EOF, true),
                     ==, 1);
    g_assert_cmpuint(mig_relay_marks(e->relay, MIG_RELAY_MARK_VMDESC, true),
                     ==, 0);
    ends_free(e2);
    ends_free(e);
}

/* Bytes that are no migration stream: no mark, nothing held back. */
static void test_marks_not_a_stream(void)
{
    g_autoptr(GByteArray) stream = packaged_stream();
    Ends *e = ends_new();
    uint8_t *all = g_malloc(stream->len);

    mig_relay_at_mark(e->relay, MIG_RELAY_MARK_EOF, 1, false, 0,
                      MIG_RELAY_CUT);
    send_all(e->src, stream->data, stream->len);
    recv_exactly(e->dst, all, stream->len);
    g_assert_cmpmem(all, stream->len, stream->data, stream->len);
    g_assert_nonnull(mig_relay_parse_error(e->relay));
    g_free(all);
    ends_free(e);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    signal(SIGPIPE, SIG_IGN);

    g_test_add_func("/relay/cut-at-offset", test_cut_at_offset);
    g_test_add_func("/relay/stall-after-package", test_stall_after_package);
    g_test_add_func("/relay/note-before-package", test_note_before_package);
    g_test_add_func("/relay/return-path", test_return_path);
    g_test_add_func("/relay/rate", test_rate);
    g_test_add_func("/relay/marks/precopy", test_marks_precopy);
    g_test_add_func("/relay/marks/last-byte", test_marks_last_byte);
    g_test_add_func("/relay/marks/package", test_marks_package);
    g_test_add_func("/relay/marks/not-a-stream", test_marks_not_a_stream);
    return g_test_run();
}
