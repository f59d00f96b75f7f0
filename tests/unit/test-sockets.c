/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for qemu-sockets: unix and tcp listen/connect, error texts. */
#include "qemu/osdep.h"
#include <netinet/tcp.h>
#include "qapi/error.h"
#include "qemu/sockets.h"

typedef struct SocketFixture {
    char *dir;      /* private temporary directory */
    char *path;     /* a socket path inside it */
} SocketFixture;

static void fixture_setup(SocketFixture *f, gconstpointer data)
{
    f->dir = g_dir_make_tmp("test-sockets-XXXXXX", NULL);
    g_assert_nonnull(f->dir);
    f->path = g_build_filename(f->dir, "s.sock", NULL);
}

static void fixture_teardown(SocketFixture *f, gconstpointer data)
{
    unlink(f->path);
    rmdir(f->dir);
    g_free(f->path);
    g_free(f->dir);
}

/* Send a byte from @a and receive it on @b, both ways. */
static void check_connected(int a, int b)
{
    char c = 'x';

    g_assert_cmpint(write(a, &c, 1), ==, 1);
    c = 0;
    g_assert_cmpint(read(b, &c, 1), ==, 1);
    g_assert_cmpint(c, ==, 'x');
    c = 'y';
    g_assert_cmpint(write(b, &c, 1), ==, 1);
    g_assert_cmpint(read(a, &c, 1), ==, 1);
    g_assert_cmpint(c, ==, 'y');
}

static void test_unix_listen_connect(SocketFixture *f, gconstpointer data)
{
    struct stat st;
    int lfd, cfd, afd;

    lfd = unix_listen(f->path, &error_abort);
    g_assert_cmpint(lfd, >=, 0);
    g_assert_true(fd_is_socket(lfd));
    g_assert_cmpint(fcntl(lfd, F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);

    /* The socket file is private to us. */
    g_assert_cmpint(stat(f->path, &st), ==, 0);
    g_assert_true(S_ISSOCK(st.st_mode));
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);

    cfd = unix_connect(f->path, &error_abort);
    g_assert_cmpint(cfd, >=, 0);
    afd = qemu_accept(lfd, NULL, NULL);
    g_assert_cmpint(afd, >=, 0);
    check_connected(cfd, afd);

    /* Listening again replaces the stale socket file. */
    close(lfd);
    lfd = unix_listen(f->path, &error_abort);
    g_assert_cmpint(lfd, >=, 0);

    socket_listen_cleanup(lfd, &error_abort);
    g_assert_cmpint(access(f->path, F_OK), ==, -1);
    close(lfd);
    close(cfd);
    close(afd);
}

static void test_unix_errors(SocketFixture *f, gconstpointer data)
{
    Error *err = NULL;
    g_autofree char *longpath = g_strnfill(200, 'x');
    g_autofree char *bad_dir = g_build_filename(f->dir, "nonexist", "sock",
                                                NULL);
    g_autofree char *msg = NULL;

    /* Nobody listening: QEMU's message (interface contract 1.3). */
    g_assert_cmpint(unix_connect("/x.sock", &err), ==, -1);
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Failed to connect to '/x.sock': "
                    "No such file or directory");
    error_free(err);
    err = NULL;

    g_assert_cmpint(unix_listen(bad_dir, &err), ==, -1);
    msg = g_strdup_printf("Failed to bind socket to %s: "
                          "No such file or directory", bad_dir);
    g_assert_cmpstr(error_get_pretty(err), ==, msg);
    error_free(err);
    err = NULL;

    g_assert_cmpint(unix_connect(longpath, &err), ==, -1);
    g_assert_true(g_str_has_prefix(error_get_pretty(err),
                                   "UNIX socket path '"));
    g_assert_true(g_str_has_suffix(error_get_pretty(err), "' is too long"));
    error_free(err);
    err = NULL;

    g_assert_cmpint(socket_listen_str("unix:", 1, &err), ==, -1);
    g_assert_cmpstr(error_get_pretty(err), ==, "invalid Unix socket address");
    error_free(err);
}

static void test_tcp_listen_connect(void)
{
    g_autofree char *addr = NULL;
    int lfd, cfd, afd, port;

    lfd = inet_listen("127.0.0.1:0", &error_abort);
    g_assert_cmpint(lfd, >=, 0);
    port = socket_local_port(lfd, &error_abort);
    g_assert_cmpint(port, >, 0);

    addr = g_strdup_printf("127.0.0.1:%d", port);
    cfd = inet_connect(addr, &error_abort);
    g_assert_cmpint(cfd, >=, 0);
    afd = qemu_accept(lfd, NULL, NULL);
    g_assert_cmpint(afd, >=, 0);
    check_connected(cfd, afd);
    g_assert_cmpint(socket_set_nodelay(cfd), ==, 0);

    close(cfd);
    close(afd);
    g_free(addr);

    /* The same through the URI-style helpers. */
    addr = g_strdup_printf("tcp:127.0.0.1:%d", port);
    cfd = socket_connect_str(addr, &error_abort);
    g_assert_cmpint(cfd, >=, 0);
    afd = qemu_accept(lfd, NULL, NULL);
    check_connected(cfd, afd);
    close(cfd);
    close(afd);
    close(lfd);
}

static void test_tcp_errors(void)
{
    Error *err = NULL;
    g_autofree char *addr = NULL;
    g_autofree char *msg = NULL;
    int lfd, port;

    /* Find a port nobody listens on: listen, note it, close. */
    lfd = inet_listen("127.0.0.1:0", &error_abort);
    port = socket_local_port(lfd, &error_abort);
    close(lfd);

    addr = g_strdup_printf("127.0.0.1:%d", port);
    g_assert_cmpint(inet_connect(addr, &err), ==, -1);
    msg = g_strdup_printf("Failed to connect to '127.0.0.1:%d': "
                          "Connection refused", port);
    g_assert_cmpstr(error_get_pretty(err), ==, msg);
    error_free(err);
    err = NULL;

    g_assert_cmpint(inet_connect("nocolon", &err), ==, -1);
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "error parsing address 'nocolon'");
    error_free(err);
    err = NULL;

    g_assert_cmpint(inet_connect("[::1", &err), ==, -1);
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "error parsing IPv6 address '[::1'");
    error_free(err);
    err = NULL;

    g_assert_cmpint(inet_listen(":", &err), ==, -1);
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "error parsing port in address ':'");
    error_free(err);
    err = NULL;

    /* An unknown service name fails in getaddrinfo(), without DNS. */
    g_assert_cmpint(inet_connect("127.0.0.1:no-such-service-x", &err), ==,
                    -1);
    g_assert_true(g_str_has_prefix(error_get_pretty(err),
                                   "address resolution failed for "));
    error_free(err);
}

static void test_addr_parse(void)
{
    Error *err = NULL;
    QemuSocketAddr *a;
    g_autofree char *s1 = NULL;
    g_autofree char *s2 = NULL;
    g_autofree char *s3 = NULL;

    a = qemu_socket_addr_parse("unix:/tmp/x.sock", &error_abort);
    g_assert_cmpint(a->type, ==, QEMU_SOCKET_ADDR_UNIX);
    g_assert_cmpstr(a->path, ==, "/tmp/x.sock");
    s1 = qemu_socket_addr_to_str(a);
    g_assert_cmpstr(s1, ==, "unix:/tmp/x.sock");
    qemu_socket_addr_free(a);

    a = qemu_socket_addr_parse("tcp:localhost:4444", &error_abort);
    g_assert_cmpint(a->type, ==, QEMU_SOCKET_ADDR_INET);
    g_assert_cmpstr(a->host, ==, "localhost");
    g_assert_cmpstr(a->port, ==, "4444");
    s2 = qemu_socket_addr_to_str(a);
    g_assert_cmpstr(s2, ==, "tcp:localhost:4444");
    qemu_socket_addr_free(a);

    a = qemu_socket_addr_parse("[::1]:5", &error_abort);
    g_assert_cmpstr(a->host, ==, "::1");
    g_assert_cmpstr(a->port, ==, "5");
    s3 = qemu_socket_addr_to_str(a);
    g_assert_cmpstr(s3, ==, "tcp:[::1]:5");
    qemu_socket_addr_free(a);

    g_assert_null(qemu_socket_addr_parse("tcp:", &err));
    g_assert_nonnull(err);
    error_free(err);
}

static void test_nonblock(void)
{
    int fds[2];

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
    qemu_socket_set_nonblock(fds[0]);
    g_assert_cmpint(fcntl(fds[0], F_GETFL) & O_NONBLOCK, ==, O_NONBLOCK);
    qemu_socket_set_block(fds[0]);
    g_assert_cmpint(fcntl(fds[0], F_GETFL) & O_NONBLOCK, ==, 0);
    g_assert_cmpint(qemu_socket_try_set_nonblock(-1), ==, -EBADF);
    close(fds[0]);
    close(fds[1]);
}

/* Socket options: TCP_CORK both ways, TCP_NODELAY, SO_REUSEADDR. */
static void test_options(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int v;
    socklen_t len = sizeof(v);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(socket_set_cork(fd, 1), ==, 0);
    g_assert_cmpint(getsockopt(fd, IPPROTO_TCP, TCP_CORK, &v, &len), ==, 0);
    g_assert_cmpint(v, ==, 1);
    g_assert_cmpint(socket_set_cork(fd, 0), ==, 0);
    g_assert_cmpint(getsockopt(fd, IPPROTO_TCP, TCP_CORK, &v, &len), ==, 0);
    g_assert_cmpint(v, ==, 0);
    g_assert_cmpint(socket_set_nodelay(fd), ==, 0);
    g_assert_cmpint(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len),
                    ==, 0);
    g_assert_cmpint(v, !=, 0);
    g_assert_cmpint(socket_set_fast_reuse(fd), ==, 0);
    g_assert_cmpint(getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, &len),
                    ==, 0);
    g_assert_cmpint(v, !=, 0);
    close(fd);
    /* Not a socket: -1 and errno, nothing else. */
    g_assert_cmpint(socket_set_cork(-1, 1), ==, -1);
    g_assert_cmpint(errno, ==, EBADF);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add("/sockets/unix/listen-connect", SocketFixture, NULL,
               fixture_setup, test_unix_listen_connect, fixture_teardown);
    g_test_add("/sockets/unix/errors", SocketFixture, NULL,
               fixture_setup, test_unix_errors, fixture_teardown);
    g_test_add_func("/sockets/tcp/listen-connect", test_tcp_listen_connect);
    g_test_add_func("/sockets/tcp/errors", test_tcp_errors);
    g_test_add_func("/sockets/addr-parse", test_addr_parse);
    g_test_add_func("/sockets/nonblock", test_nonblock);
    g_test_add_func("/sockets/options", test_options);

    return g_test_run();
}
