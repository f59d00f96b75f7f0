/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Character devices: spec parsing, socket I/O, events, slow peers. */
#include "qemu/osdep.h"

#include <sys/socket.h>
#include <sys/un.h>

#include "chardev/char-fe.h"
#include "qapi/error.h"
#include "qemu/main-loop.h"

#define WAIT_MS 10000

/* A frontend that records what it sees. */
typedef struct TestFe {
    CharBackend be;
    GString *in;            /* bytes received */
    int opened;             /* CHR_EVENT_OPENED count */
    int closed;             /* CHR_EVENT_CLOSED count */
} TestFe;

static int fe_can_read(void *opaque)
{
    return 4096;
}

static void fe_read(void *opaque, const uint8_t *buf, int size)
{
    TestFe *fe = opaque;

    g_string_append_len(fe->in, (const char *)buf, size);
}

static void fe_event(void *opaque, QEMUChrEvent event)
{
    TestFe *fe = opaque;

    if (event == CHR_EVENT_OPENED) {
        fe->opened++;
    } else if (event == CHR_EVENT_CLOSED) {
        fe->closed++;
    }
}

static void fe_attach(TestFe *fe, Chardev *chr)
{
    memset(fe, 0, sizeof(*fe));
    fe->in = g_string_new(NULL);
    g_assert_true(qemu_chr_fe_init(&fe->be, chr, &error_abort));
    qemu_chr_fe_set_handlers(&fe->be, fe_can_read, fe_read, fe_event, NULL,
                             fe, NULL, true);
}

static bool fe_opened_once(void *opaque)
{
    return ((TestFe *)opaque)->opened == 1;
}

static bool fe_closed_once(void *opaque)
{
    return ((TestFe *)opaque)->closed == 1;
}

static bool fe_got_hello(void *opaque)
{
    return !strcmp(((TestFe *)opaque)->in->str, "hello");
}

static void test_parse_compat(void)
{
    static const struct {
        const char *in;
        const char *out;    /* NULL: an error */
    } cases[] = {
        { "unix:/tmp/x.sock", "socket,id=L,path=/tmp/x.sock" },
        { "unix:path=/tmp/x.sock", "socket,id=L,path=/tmp/x.sock" },
        { "unix:/tmp/x,server=on,wait=off",
          "socket,id=L,path=/tmp/x,server=on,wait=off" },
        { "tcp:127.0.0.1:4444,server=on,wait=off",
          "socket,id=L,host=127.0.0.1,port=4444,server=on,wait=off" },
        { "tcp::4444", "socket,id=L,host=,port=4444" },
        { "null", "null,id=L" },
        { "stdio", "stdio,id=L" },
        { "tcp:nohost", NULL },
        { "bogus:x", NULL },
    };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        Error *err = NULL;
        g_autofree char *spec = qemu_chr_parse_compat("L", cases[i].in,
                                                      &err);

        g_assert_cmpstr(spec, ==, cases[i].out);
        if (!cases[i].out) {
            g_autofree char *want = g_strdup_printf(
                "'%s' is not a valid char driver", cases[i].in);

            g_assert_cmpstr(error_get_pretty(err), ==, want);
            error_free(err);
        }
    }
}

static void assert_open_fails(const char *opts, const char *msg)
{
    Error *err = NULL;

    g_assert_null(qemu_chr_new_from_opts(opts, &err));
    g_assert_nonnull(err);
    g_assert_cmpstr(error_get_pretty(err), ==, msg);
    error_free(err);
}

static void test_open_errors(void)
{
    assert_open_fails("bogus,id=c", "'bogus' is not a valid char driver "
                      "name");
    assert_open_fails("socket,path=/x", "chardev: no id specified");
    assert_open_fails("socket,id=c", "chardev: socket: no host given");
    assert_open_fails("socket,id=c,path=/x,server=maybe",
                      "Parameter 'server' expects 'on' or 'off'");
    assert_open_fails("socket,id=c,path=/x,bogus=1",
                      "Invalid parameter 'bogus'");
    assert_open_fails("socket,id=c,path=/nonexistent/x.sock",
                      "Failed to connect to '/nonexistent/x.sock': No such "
                      "file or directory");
    assert_open_fails("socket,id=c,path=/nonexistent/x,server=on,wait=off",
                      "Failed to bind socket to /nonexistent/x: No such file "
                      "or directory");
    /* nothing was left registered */
    g_assert_null(qemu_chr_find("c"));
}

static int connect_unix(const char *path)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_assert_cmpint(fd, >=, 0);
    g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
    return fd;
}

typedef struct ReadState {
    int fd;
    GString *got;
    size_t want;
} ReadState;

/* A condition that reads all there is, until @want bytes arrived. */
static bool read_some(void *opaque)
{
    ReadState *rs = opaque;
    char buf[65536];
    ssize_t n;

    while ((n = recv(rs->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
        g_string_append_len(rs->got, buf, n);
    }
    return rs->got->len >= rs->want;
}

static void test_server_socket(void)
{
    g_autofree char *dir = g_dir_make_tmp("test-char-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "s.sock", NULL);
    g_autofree char *opts = g_strdup_printf("socket,id=srv,path=%s,"
                                            "server=on,wait=off", path);
    const size_t big = 4 * 1024 * 1024;
    g_autofree char *data = g_malloc(big);
    ReadState rs = { .got = g_string_new(NULL), .want = big };
    Chardev *chr = qemu_chr_new_from_opts(opts, &error_abort);
    TestFe fe;
    struct stat st;
    size_t i;
    int fd;

    g_assert_true(chr == qemu_chr_find("srv"));
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);
    fe_attach(&fe, chr);
    g_assert_false(qemu_chr_is_connected(chr));

    /* A client connects: OPENED from the main loop, then its input */
    fd = connect_unix(path);
    g_assert_true(main_loop_poll_until(fe_opened_once, &fe, WAIT_MS));
    g_assert_cmpint(write(fd, "hello", 5), ==, 5);
    g_assert_true(main_loop_poll_until(fe_got_hello, &fe, WAIT_MS));

    /*
     * 4 MiB to a client that reads nothing yet: queued without blocking,
     * then delivered intact, in order.
     */
    for (i = 0; i < big; i++) {
        data[i] = i * 7 + (i >> 12);
    }
    for (i = 0; i < big; i += 65536) {
        g_assert_cmpint(qemu_chr_fe_write(&fe.be, (uint8_t *)data + i,
                                          65536), ==, 65536);
    }
    g_assert_cmpuint(qemu_chr_fe_get_pending(&fe.be), >, 0);
    rs.fd = fd;
    g_assert_true(main_loop_poll_until(read_some, &rs, WAIT_MS));
    g_assert_cmpuint(rs.got->len, ==, big);
    g_assert_true(memcmp(rs.got->str, data, big) == 0);
    g_assert_cmpuint(qemu_chr_fe_get_pending(&fe.be), ==, 0);

    /* It leaves: CLOSED, and a new client is accepted */
    close(fd);
    g_assert_true(main_loop_poll_until(fe_closed_once, &fe, WAIT_MS));
    g_assert_cmpint(qemu_chr_fe_write(&fe.be, (uint8_t *)"x", 1), ==, -1);
    fd = connect_unix(path);
    fe.opened = 0;
    g_assert_true(main_loop_poll_until(fe_opened_once, &fe, WAIT_MS));
    close(fd);

    qemu_chr_fe_deinit(&fe.be, true);
    /* The listening socket file goes with the device */
    g_assert_cmpint(access(path, F_OK), !=, 0);
    g_assert_null(qemu_chr_find("srv"));
    g_string_free(fe.in, true);
    g_string_free(rs.got, true);
    rmdir(dir);
}

/* A peer that vanishes with output pending is dropped, not fatal. */
static void test_vanished_peer(void)
{
    g_autofree char *dir = g_dir_make_tmp("test-char-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "s.sock", NULL);
    g_autofree char *opts = g_strdup_printf("socket,id=srv2,path=%s,"
                                            "server=on,wait=off", path);
    g_autofree char *chunk = g_malloc0(65536);
    Chardev *chr = qemu_chr_new_from_opts(opts, &error_abort);
    TestFe fe;
    int fd, i;

    fe_attach(&fe, chr);
    fd = connect_unix(path);
    g_assert_true(main_loop_poll_until(fe_opened_once, &fe, WAIT_MS));
    for (i = 0; i < 64; i++) {
        qemu_chr_fe_write(&fe.be, (uint8_t *)chunk, 65536);
    }
    close(fd);
    /* The next write hits EPIPE (SIGPIPE is ignored by the caller) */
    for (i = 0; i < 64 && fe.closed == 0; i++) {
        qemu_chr_fe_write(&fe.be, (uint8_t *)chunk, 65536);
        main_loop_wait(true);
    }
    g_assert_true(main_loop_poll_until(fe_closed_once, &fe, WAIT_MS));
    g_assert_false(qemu_chr_is_connected(chr));
    qemu_chr_fe_deinit(&fe.be, true);
    g_string_free(fe.in, true);
    rmdir(dir);
}

/* A condition: read all there is; true once the peer closed. */
static bool read_to_eof(void *opaque)
{
    ReadState *rs = opaque;
    char buf[65536];
    ssize_t n;

    while ((n = recv(rs->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
        g_string_append_len(rs->got, buf, n);
    }
    return n == 0;
}

/* A listening socket device with a frontend, in a directory of its own. */
typedef struct Server {
    char *dir;
    char *path;
    Chardev *chr;
    TestFe fe;
} Server;

static void server_open(Server *srv, const char *id)
{
    g_autofree char *opts = NULL;

    srv->dir = g_dir_make_tmp("test-char-XXXXXX", NULL);
    srv->path = g_build_filename(srv->dir, "s.sock", NULL);
    opts = g_strdup_printf("socket,id=%s,path=%s,server=on,wait=off", id,
                           srv->path);
    srv->chr = qemu_chr_new_from_opts(opts, &error_abort);
    fe_attach(&srv->fe, srv->chr);
}

/* Connect a client and wait until the frontend sees it. */
static int server_connect(Server *srv)
{
    int fd = connect_unix(srv->path);

    srv->fe.opened = 0;
    g_assert_true(main_loop_poll_until(fe_opened_once, &srv->fe, WAIT_MS));
    return fd;
}

static void server_close(Server *srv)
{
    qemu_chr_fe_deinit(&srv->fe.be, true);
    g_string_free(srv->fe.in, true);
    rmdir(srv->dir);
    g_free(srv->dir);
    g_free(srv->path);
}

/* Record @seq: "seq:len:" and filler up to @len bytes, ending in '\n'. */
static GString *backlog_record(unsigned seq)
{
    size_t len = 1000 + (seq * 7919u) % 60000;
    GString *rec = g_string_new(NULL);

    g_string_printf(rec, "%u:%zu:", seq, len);
    while (rec->len < len - 1) {
        g_string_append_c(rec, 'a' + (rec->len + seq) % 26);
    }
    g_string_append_c(rec, '\n');
    return rec;
}

/*
 * A peer that reads nothing while CHR_OUTBUF_MAX bytes pile up is
 * dropped before the record that would pass the bound; when it reads at
 * last it gets records 0, 1, ... whole, then EOF, never part of one.
 * The server then serves the next client.
 */
static void test_backlog_drop(void)
{
    ReadState rs = { .got = g_string_new(NULL) };
    size_t queued = 0, at = 0;
    unsigned sent, seq;
    Server srv;

    server_open(&srv, "srv3");
    rs.fd = server_connect(&srv);

    for (sent = 0;; sent++) {
        g_autoptr(GString) rec = backlog_record(sent);
        int ret = qemu_chr_fe_write(&srv.fe.be, (uint8_t *)rec->str,
                                    rec->len);

        if (ret < 0) {
            g_assert_cmpint(errno, ==, ENOBUFS);
            break;
        }
        g_assert_cmpint(ret, ==, rec->len);
        queued += rec->len;
        g_assert_cmpuint(queued, <, 2 * CHR_OUTBUF_MAX);
    }
    g_assert_cmpuint(qemu_chr_fe_get_pending(&srv.fe.be), <=,
                     CHR_OUTBUF_MAX);
    /* For the frontend the peer is gone at once */
    g_assert_false(qemu_chr_is_connected(srv.chr));
    g_assert_cmpint(qemu_chr_fe_write(&srv.fe.be, (uint8_t *)"x", 1), ==,
                    -1);
    g_assert_cmpint(errno, ==, ENOTCONN);
    g_assert_true(main_loop_poll_until(fe_closed_once, &srv.fe, WAIT_MS));

    /* The peer reads at last: whole records in order, then EOF */
    g_assert_true(main_loop_poll_until(read_to_eof, &rs, WAIT_MS));
    for (seq = 0; at < rs.got->len; seq++) {
        g_autoptr(GString) rec = backlog_record(seq);

        g_assert_cmpuint(rs.got->len - at, >=, rec->len);
        g_assert_true(memcmp(rs.got->str + at, rec->str, rec->len) == 0);
        at += rec->len;
    }
    g_assert_cmpuint(seq, >, 0);
    g_assert_cmpuint(seq, <, sent);
    close(rs.fd);

    /* The next client is accepted and served */
    rs.fd = server_connect(&srv);
    g_assert_cmpint(qemu_chr_fe_write(&srv.fe.be, (uint8_t *)"hi", 2), ==,
                    2);
    close(rs.fd);
    g_string_free(rs.got, true);
    server_close(&srv);
}

/* The frontend hangs up: what it queued before still goes out whole. */
static void test_disconnect_flushes(void)
{
    const size_t big = 2 * 1024 * 1024;
    g_autofree char *data = g_malloc(big);
    ReadState rs = { .got = g_string_new(NULL) };
    Server srv;
    size_t i;

    server_open(&srv, "srv4");
    rs.fd = server_connect(&srv);
    for (i = 0; i < big; i++) {
        data[i] = i % 251;
    }
    g_assert_cmpint(qemu_chr_fe_write(&srv.fe.be, (uint8_t *)data, big), ==,
                    big);
    g_assert_cmpuint(qemu_chr_fe_get_pending(&srv.fe.be), >, 0);
    qemu_chr_fe_disconnect(&srv.fe.be);
    g_assert_false(qemu_chr_is_connected(srv.chr));
    g_assert_true(main_loop_poll_until(fe_closed_once, &srv.fe, WAIT_MS));
    g_assert_true(main_loop_poll_until(read_to_eof, &rs, WAIT_MS));
    g_assert_cmpuint(rs.got->len, ==, big);
    g_assert_true(memcmp(rs.got->str, data, big) == 0);
    close(rs.fd);
    g_string_free(rs.got, true);
    server_close(&srv);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    signal(SIGPIPE, SIG_IGN);
    qemu_init_main_loop(&error_abort);
    qemu_mutex_lock_iothread();
    g_test_add_func("/char/parse-compat", test_parse_compat);
    g_test_add_func("/char/open-errors", test_open_errors);
    g_test_add_func("/char/server-socket", test_server_socket);
    g_test_add_func("/char/vanished-peer", test_vanished_peer);
    g_test_add_func("/char/backlog-drop", test_backlog_drop);
    g_test_add_func("/char/disconnect-flushes", test_disconnect_flushes);
    return g_test_run();
}
