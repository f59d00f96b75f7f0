/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP wire protocol: greeting, negotiation, errors, framing, monitors. */
#include "qemu/osdep.h"

#include <poll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include "libqtest.h"

#define COMMON_ARGS "-M none -nodefaults -S"

/* The error class and desc of @rsp, asserting it is an error reply. */
static void assert_error(json_t *rsp, const char *klass, const char *desc)
{
    json_t *err = json_object_get(rsp, "error");

    g_assert_nonnull(err);
    g_assert_null(json_object_get(rsp, "return"));
    g_assert_cmpstr(json_string_value(json_object_get(err, "class")), ==,
                    klass);
    g_assert_cmpstr(json_string_value(json_object_get(err, "desc")), ==,
                    desc);
}

static void assert_return_empty(json_t *rsp)
{
    json_t *ret = json_object_get(rsp, "return");

    g_assert_true(json_is_object(ret));
    g_assert_cmpint(json_object_size(ret), ==, 0);
}

static void test_greeting(void)
{
    QTestState *qts = qtest_init_without_qmp_handshake(COMMON_ARGS);
    QTestConn *c = qtest_qmp_conn(qts);
    g_autofree char *line = qtest_conn_recv_line(c);

    /* QEMU's exact text, member order included */
    g_assert_cmpstr(line, ==,
                    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, "
                    "\"minor\": 2, \"major\": 7}, \"package\": \"\"}, "
                    "\"capabilities\": [\"oob\"]}}");
    qtest_quit(qts);
}

static void test_negotiation(void)
{
    QTestState *qts = qtest_init_without_qmp_handshake(COMMON_ARGS);
    QTestConn *c = qtest_qmp_conn(qts);
    json_t *rsp;

    json_decref(qtest_conn_handshake(c, false));

    /* Any other command, known or not, before negotiation */
    rsp = qtest_qmp(qts, "{\"execute\": \"query-status\"}");
    assert_error(rsp, "CommandNotFound",
                 "Expecting capabilities negotiation with "
                 "'qmp_capabilities'");
    json_decref(rsp);
    rsp = qtest_qmp(qts, "{\"execute\": \"nosuch\", \"id\": 3}");
    assert_error(rsp, "CommandNotFound",
                 "Expecting capabilities negotiation with "
                 "'qmp_capabilities'");
    g_assert_cmpint(json_integer_value(json_object_get(rsp, "id")), ==, 3);
    json_decref(rsp);

    /* A capability we do not offer is refused; still negotiating */
    rsp = qtest_qmp(qts, "{\"execute\": \"qmp_capabilities\", "
                    "\"arguments\": {\"enable\": [\"nosuch\"]}}");
    g_assert_nonnull(json_object_get(rsp, "error"));
    json_decref(rsp);
    rsp = qtest_qmp(qts, "{\"execute\": \"query-status\"}");
    g_assert_nonnull(json_object_get(rsp, "error"));
    json_decref(rsp);

    rsp = qtest_qmp(qts, "{\"execute\": \"qmp_capabilities\", "
                    "\"arguments\": {\"enable\": [\"oob\"]}}");
    assert_return_empty(rsp);
    json_decref(rsp);

    rsp = qtest_qmp(qts, "{\"execute\": \"qmp_capabilities\"}");
    assert_error(rsp, "CommandNotFound",
                 "Capabilities negotiation is already complete, command "
                 "ignored");
    json_decref(rsp);

    rsp = qtest_qmp(qts, "{\"execute\": \"query-status\"}");
    g_assert_nonnull(json_object_get(rsp, "return"));
    json_decref(rsp);
    qtest_quit(qts);
}

static void test_errors(void)
{
    QTestState *qts = qtest_init(COMMON_ARGS);
    QTestConn *c = qtest_qmp_conn(qts);
    json_t *rsp;

    rsp = qtest_qmp(qts, "{\"execute\": \"nosuch\"}");
    assert_error(rsp, "CommandNotFound",
                 "The command nosuch has not been found");
    json_decref(rsp);

    rsp = qtest_qmp(qts, "{\"execute\": \"query-status\", "
                    "\"arguments\": {\"x\": 1}}");
    assert_error(rsp, "GenericError", "Parameter 'x' is unexpected");
    json_decref(rsp);

    rsp = qtest_qmp(qts, "{\"execute\": \"human-monitor-command\"}");
    assert_error(rsp, "GenericError",
                 "Parameter 'command-line' is missing");
    json_decref(rsp);

    rsp = qtest_qmp(qts, "{\"execute\": \"human-monitor-command\", "
                    "\"arguments\": {\"command-line\": 1}}");
    assert_error(rsp, "GenericError",
                 "Invalid parameter type for 'command-line', expected: "
                 "string");
    json_decref(rsp);

    rsp = qtest_qmp(qts, "{\"execute\": \"query-status\", \"foo\": 1}");
    assert_error(rsp, "GenericError", "QMP input member 'foo' is unexpected");
    json_decref(rsp);

    rsp = qtest_qmp(qts, "[]");
    assert_error(rsp, "GenericError", "QMP input must be a JSON object");
    json_decref(rsp);

    rsp = qtest_qmp(qts, "{\"execute\": 1}");
    assert_error(rsp, "GenericError",
                 "QMP input member 'execute' must be a string");
    json_decref(rsp);

    /* Not JSON: an error without id, and the connection survives */
    rsp = qtest_qmp(qts, "garbage\n");
    assert_error(rsp, "GenericError",
                 "JSON parse error, invalid keyword 'garbage'");
    g_assert_null(json_object_get(rsp, "id"));
    json_decref(rsp);
    rsp = qtest_qmp(qts, "{\"execute\": \"query-status\"}");
    g_assert_nonnull(json_object_get(rsp, "return"));
    json_decref(rsp);

    /* Unbalanced input: errors, then recovery at the next value */
    qtest_conn_sendf(c, "{\"execute\": ]}\n");
    qtest_conn_sendf(c, "{\"execute\": \"query-status\", \"id\": 9}");
    for (;;) {
        rsp = qtest_qmp_receive(qts);
        if (json_object_get(rsp, "id")) {
            break;
        }
        g_assert_nonnull(json_object_get(rsp, "error"));
        json_decref(rsp);
    }
    g_assert_cmpint(json_integer_value(json_object_get(rsp, "id")), ==, 9);
    g_assert_nonnull(json_object_get(rsp, "return"));
    json_decref(rsp);
    qtest_quit(qts);
}

static void test_oob(void)
{
    QTestState *qts = qtest_init_without_qmp_handshake(COMMON_ARGS);
    QTestConn *c = qtest_qmp_conn(qts);
    json_t *rsp;

    json_decref(qtest_conn_handshake(c, false));
    qtest_qmp_assert_success(qts, "{\"execute\": \"qmp_capabilities\", "
                             "\"arguments\": {\"enable\": [\"oob\"]}}");
    rsp = qtest_qmp(qts, "{\"exec-oob\": \"query-status\", \"id\": 7}");
    assert_error(rsp, "GenericError",
                 "The command query-status does not support OOB");
    g_assert_cmpint(json_integer_value(json_object_get(rsp, "id")), ==, 7);
    json_decref(rsp);
    qtest_quit(qts);
}

/* Send @cmd, and check the reply line ends with the same @id text. */
static void check_id_echo(QTestConn *c, const char *id)
{
    g_autofree char *line = NULL;
    g_autofree char *suffix = g_strdup_printf(", \"id\": %s}", id);

    qtest_conn_sendf(c, "{\"execute\": \"query-version\", \"id\": %s}", id);
    line = qtest_conn_recv_line(c);
    g_assert_nonnull(line);
    g_assert_true(g_str_has_prefix(line, "{\"return\": "));
    /* Unchanged, and the last member */
    g_assert_true(g_str_has_suffix(line, suffix));
}

static void test_id(void)
{
    QTestState *qts = qtest_init(COMMON_ARGS);
    QTestConn *c = qtest_qmp_conn(qts);

    check_id_echo(c, "\"__qmp#00001\"");
    check_id_echo(c, "42");
    check_id_echo(c, "-7");
    check_id_echo(c, "{\"a\": [1, \"b\"], \"c\": null}");
    check_id_echo(c, "[true, false]");
    qtest_quit(qts);
}

static void test_framing(void)
{
    QTestState *qts = qtest_init(COMMON_ARGS);
    QTestConn *c = qtest_qmp_conn(qts);
    const char *cmd = "{\"execute\": \"query-status\", \"id\": \"split\"}";
    json_t *rsp;
    size_t i;
    int n;

    /* Several commands in one write, replies in order */
    qtest_conn_sendf(c, "{\"execute\": \"query-status\", \"id\": 1}"
                     "{\"execute\": \"query-version\", \"id\": 2}\n"
                     "  {\"execute\": \"query-status\", \"id\": 3}");
    for (n = 1; n <= 3; n++) {
        rsp = qtest_qmp_receive(qts);
        g_assert_cmpint(json_integer_value(json_object_get(rsp, "id")), ==,
                        n);
        g_assert_nonnull(json_object_get(rsp, "return"));
        json_decref(rsp);
    }

    /* One command in many writes (one byte each) */
    for (i = 0; i < strlen(cmd); i++) {
        qtest_conn_send_raw(c, cmd + i, 1);
    }
    rsp = qtest_qmp_receive(qts);
    g_assert_cmpstr(json_string_value(json_object_get(rsp, "id")), ==,
                    "split");
    json_decref(rsp);

    /* Strings with braces and escapes do not confuse the framing */
    rsp = qtest_qmp(qts, "{\"execute\": \"human-monitor-command\", "
                    "\"arguments\": {\"command-line\": \"}{ \\\" ]\"}}");
    g_assert_cmpstr(json_string_value(json_object_get(rsp, "return")), ==,
                    "unknown command: '}{'\r\n");
    json_decref(rsp);
    qtest_quit(qts);
}

static char *make_sock_dir(void)
{
    GError *err = NULL;
    char *dir = g_dir_make_tmp("minivmm-qmp-XXXXXX", &err);

    g_assert_no_error(err);
    return dir;
}

static void remove_sock_dir(char *dir, const char *sock)
{
    g_autofree char *path = g_build_filename(dir, sock, NULL);

    unlink(path);
    rmdir(dir);
    g_free(dir);
}

static void test_two_monitors(void)
{
    char *dir = make_sock_dir();
    g_autofree char *path = g_build_filename(dir, "m2.sock", NULL);
    QTestState *qts = qtest_initf(COMMON_ARGS
                                  " -qmp unix:%s,server=on,wait=off", path);
    QTestConn *c1 = qtest_qmp_conn(qts);
    QTestConn *c2;
    struct stat st;
    json_t *ev, *rsp;

    /* The listening socket is private to its owner */
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_true(S_ISSOCK(st.st_mode));
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);

    c2 = qtest_conn_unix(path, 60);
    json_decref(qtest_conn_handshake(c2, false));

    /* Not negotiated: c2 gets no events */
    qtest_qmp_assert_success(qts, "{\"execute\": \"cont\"}");
    qtest_qmp_eventwait(qts, "RESUME");
    rsp = qtest_conn_qmp(c2, "{\"execute\": \"qmp_capabilities\"}");
    assert_return_empty(rsp);
    json_decref(rsp);
    g_assert_cmpuint(qtest_conn_events_pending(c2), ==, 0);

    /* Negotiated: both get STOP, each exactly once */
    rsp = qtest_conn_qmp(c2, "{\"execute\": \"stop\"}");
    assert_return_empty(rsp);
    json_decref(rsp);
    ev = qtest_conn_event_ref(c2, "STOP");
    g_assert_nonnull(ev);
    json_decref(ev);
    ev = qtest_conn_eventwait_ref(c1, "STOP");
    g_assert_true(json_is_object(json_object_get(ev, "timestamp")));
    json_decref(ev);

    /* c2 goes away; c1 carries on */
    qtest_conn_free(c2);
    qtest_qmp_assert_success(qts, "{\"execute\": \"cont\"}");
    qtest_qmp_eventwait(qts, "RESUME");

    /* The server socket takes a new client after the first left */
    c2 = qtest_conn_unix(path, 60);
    json_decref(qtest_conn_handshake(c2, true));
    rsp = qtest_conn_qmp(c2, "{\"execute\": \"query-status\"}");
    g_assert_true(json_is_true(json_object_get(json_object_get(rsp, "return"),
                                               "running")));
    json_decref(rsp);
    qtest_conn_free(c2);

    qtest_quit(qts);
    /* The socket file is removed at exit */
    g_assert_cmpint(access(path, F_OK), !=, 0);
    remove_sock_dir(dir, "m2.sock");
}

static void test_tcp(void)
{
    int port = qtest_free_tcp_port();
    QTestState *qts = qtest_initf(COMMON_ARGS
                                  " -qmp tcp:127.0.0.1:%d,server=on,wait=off",
                                  port);
    QTestConn *c = qtest_conn_tcp("127.0.0.1", port, 60);
    json_t *rsp;

    json_decref(qtest_conn_handshake(c, true));
    rsp = qtest_conn_qmp(c, "{\"execute\": \"query-status\"}");
    g_assert_cmpstr(json_string_value(json_object_get(
                        json_object_get(rsp, "return"), "status")), ==,
                    "prelaunch");
    json_decref(rsp);
    qtest_conn_free(c);
    qtest_quit(qts);
}

/* A client sending an endless value is dropped; the others are not. */
static void test_oversize(void)
{
    char *dir = make_sock_dir();
    g_autofree char *path = g_build_filename(dir, "m2.sock", NULL);
    QTestState *qts = qtest_initf(COMMON_ARGS
                                  " -qmp unix:%s,server=on,wait=off", path);
    QTestConn *c2 = qtest_conn_unix(path, 60);
    g_autofree char *chunk = g_malloc(1 << 20);
    const char *start = "{\"execute\": \"human-monitor-command\", "
                        "\"arguments\": {\"command-line\": \"";
    int i;

    json_decref(qtest_conn_handshake(c2, true));
    memset(chunk, 'a', 1 << 20);
    qtest_conn_send_raw(c2, start, strlen(start));
    /* 80 MiB: beyond any bound; the server must cut us off first */
    for (i = 0; i < 80; i++) {
        if (!qtest_conn_try_send_raw(c2, chunk, 1 << 20)) {
            break;
        }
    }
    g_assert_cmpint(i, <, 80);
    g_assert_true(qtest_conn_wait_eof(c2));
    qtest_conn_free(c2);

    /* The process and the other monitor are fine */
    qtest_qmp_assert_success(qts, "{\"execute\": \"query-status\"}");
    qtest_quit(qts);
    remove_sock_dir(dir, "m2.sock");
}

/* A client that never reads must not stall the main loop. */
static void test_slow_client(void)
{
    char *dir = make_sock_dir();
    g_autofree char *path = g_build_filename(dir, "m2.sock", NULL);
    QTestState *qts = qtest_initf(COMMON_ARGS
                                  " -qmp unix:%s,server=on,wait=off", path);
    QTestConn *c2 = qtest_conn_unix(path, 60);
    int i;

    json_decref(qtest_conn_handshake(c2, true));
    /* About 1 MiB of STOP/RESUME events for c2, which reads nothing */
    for (i = 0; i < 6000; i++) {
        json_t *rsp = qtest_qmp(qts, "{\"execute\": \"%s\"}",
                                i % 2 ? "stop" : "cont");

        g_assert_nonnull(json_object_get(rsp, "return"));
        json_decref(rsp);
        json_decref(qtest_qmp_eventwait_ref(qts, i % 2 ? "STOP" : "RESUME"));
    }
    /* It vanishes with output pending */
    qtest_conn_free(c2);
    qtest_qmp_assert_success(qts, "{\"execute\": \"query-status\"}");
    qtest_quit(qts);
    remove_sock_dir(dir, "m2.sock");
}

/* A raw client with a small receive buffer (for a client that lags). */
static int connect_lagging(const char *path)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rcvbuf = 4096;

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
                               sizeof(rcvbuf)), ==, 0);
    g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
    return fd;
}

/* Wait until @fd has @events, failing the test after @deadline. */
static void wait_fd(int fd, short events, gint64 deadline)
{
    struct pollfd pfd = { .fd = fd, .events = events };
    gint64 left = deadline - g_get_monotonic_time();

    g_assert_cmpint(left, >, 0);
    g_assert_cmpint(poll(&pfd, 1, left / 1000 + 1), ==, 1);
}

/*
 * Read from @fd into @buf until it holds a "\r\n" (if @line) or until
 * EOF (otherwise).
 */
static void read_until(int fd, GString *buf, bool line, gint64 deadline)
{
    char chunk[65536];
    ssize_t n;

    while (!line || !strstr(buf->str, "\r\n")) {
        wait_fd(fd, POLLIN, deadline);
        n = recv(fd, chunk, sizeof(chunk), 0);
        g_assert_cmpint(n, >=, 0);
        if (!n) {
            g_assert_false(line);
            return;
        }
        g_string_append_len(buf, chunk, n);
    }
}

/*
 * Send requests with id @id (long ids make long replies cheaply) on the
 * non-blocking @fd for as long as the server takes them, until the log
 * at @log_path contains @needle (watched with inotify: no sleeping).
 * Returns the log.
 */
static char *flood_until_logged(int fd, const char *id,
                                const char *log_path, const char *needle,
                                gint64 deadline)
{
    g_autoptr(GString) batch = g_string_new(NULL);
    int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    bool hung_up = false;
    size_t off = 0;
    char *log = NULL;
    int i;

    g_assert_cmpint(ino, >=, 0);
    g_assert_cmpint(inotify_add_watch(ino, log_path, IN_MODIFY), >=, 0);
    for (i = 0; i < 4; i++) {
        g_string_append_printf(batch, "{\"execute\": \"query-status\", "
                               "\"id\": \"%s\"}\n", id);
    }
    for (;;) {
        struct pollfd pfd[2] = {
            { .fd = hung_up ? -1 : fd, .events = POLLOUT },
            { .fd = ino, .events = POLLIN },
        };
        gint64 left = deadline - g_get_monotonic_time();
        char events[4096];
        ssize_t n;

        g_free(log);
        g_assert_true(g_file_get_contents(log_path, &log, NULL, NULL));
        if (strstr(log, needle)) {
            break;
        }
        g_assert_cmpint(left, >, 0);
        g_assert_cmpint(poll(pfd, 2, left / 1000 + 1), >, 0);
        while (read(ino, events, sizeof(events)) > 0) {
            /* a change: look at the log again */
        }
        if (!hung_up && (pfd[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
            n = send(fd, batch->str + off, batch->len - off,
                     MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0 && errno != EAGAIN) {
                /* the server closed: its output can still be read */
                g_assert_true(errno == EPIPE || errno == ECONNRESET);
                hung_up = true;
            }
            off = n > 0 ? (off + n) % batch->len : off;
        }
    }
    close(ino);
    return log;
}

/*
 * A client that stops reading while its replies pile up is dropped
 * before the reply that would take its backlog past 64 MiB, never in
 * the middle of one: when it reads at last it gets whole replies, then
 * EOF.  The log names the monitor and the reason; the process, its
 * other monitors and the next client on that monitor carry on.
 */
static void test_non_reading_client(void)
{
    char *dir = make_sock_dir();
    g_autofree char *path = g_build_filename(dir, "slow.sock", NULL);
    QTestState *qts = qtest_initf(COMMON_ARGS
                                  " -chardev socket,id=slow,path=%s,"
                                  "server=on,wait=off"
                                  " -mon chardev=slow,mode=control", path);
    g_autofree char *log_path = g_build_filename(qtest_tmpdir(qts), "log",
                                                 NULL);
    g_autoptr(GString) got = g_string_new(NULL);
    gint64 deadline = g_get_monotonic_time() + 120 * G_USEC_PER_SEC;
    char id[32 * 1024] = "";
    g_autofree char *log = NULL;
    g_autofree char *hmp = NULL;
    g_auto(GStrv) lines = NULL;
    QTestConn *next;
    json_t *rsp;
    size_t i;
    int fd;

    /* greeting, negotiation, then only requests */
    fd = connect_lagging(path);
    read_until(fd, got, true, deadline);
    g_assert_nonnull(strstr(got->str, "\"QMP\""));
    g_string_truncate(got, 0);
    g_assert_cmpint(send(fd, "{\"execute\": \"qmp_capabilities\"}\n", 32,
                         MSG_NOSIGNAL), ==, 32);
    read_until(fd, got, true, deadline);
    g_assert_cmpstr(got->str, ==, "{\"return\": {}}\r\n");
    g_string_truncate(got, 0);

    memset(id, 'i', sizeof(id) - 1);
    log = flood_until_logged(fd, id, log_path, "QMP monitor on chardev 'slow': "
                             "the client does not read its output (more "
                             "than 64 MiB pending), dropping it after its "
                             "last complete message", deadline);

    /* It reads at last: replies, each whole, then EOF */
    read_until(fd, got, false, deadline);
    close(fd);
    g_assert_true(g_str_has_suffix(got->str, "\r\n"));
    lines = g_strsplit(got->str, "\r\n", -1);
    for (i = 0; lines[i + 1]; i++) {
        json_t *reply = json_loads(lines[i], 0, NULL);

        g_assert_nonnull(reply);
        g_assert_true(json_is_object(json_object_get(reply, "return")));
        g_assert_cmpstr(json_string_value(json_object_get(reply, "id")), ==,
                        id);
        json_decref(reply);
    }
    g_assert_cmpuint(i, >, 0);
    g_assert_cmpstr(lines[i], ==, "");

    /* The process and its other monitors carry on */
    qtest_qmp_assert_success(qts, "{\"execute\": \"query-status\"}");
    hmp = qtest_hmp(qts, "info status");
    g_assert_cmpstr(hmp, ==, "VM status: paused (prelaunch)\r\n");

    /* The monitor serves the next client */
    next = qtest_conn_unix(path, 60);
    json_decref(qtest_conn_handshake(next, true));
    rsp = qtest_conn_qmp(next, "{\"execute\": \"query-status\"}");
    g_assert_nonnull(json_object_get(rsp, "return"));
    json_decref(rsp);
    qtest_conn_free(next);

    qtest_quit(qts);
    remove_sock_dir(dir, "slow.sock");
}

static void test_query_commands(void)
{
    QTestState *qts = qtest_init(COMMON_ARGS);
    json_t *ret = qtest_qmp_assert_success_ref(
        qts, "{\"execute\": \"query-commands\"}");
    const char *want[] = {
        "qmp_capabilities", "query-version", "query-commands", "quit",
        "query-status", "stop", "cont", "human-monitor-command",
    };
    size_t i, j;

    g_assert_true(json_is_array(ret));
    for (i = 0; i < G_N_ELEMENTS(want); i++) {
        bool found = false;

        for (j = 0; j < json_array_size(ret); j++) {
            const char *name = json_string_value(
                json_object_get(json_array_get(ret, j), "name"));

            found |= !g_strcmp0(name, want[i]);
        }
        g_assert_true(found);
    }
    json_decref(ret);
    ret = qtest_qmp_assert_success_ref(qts, "{\"execute\": "
                                       "\"query-version\"}");
    g_assert_cmpint(json_integer_value(json_object_get(
                        json_object_get(ret, "qemu"), "major")), ==, 7);
    g_assert_cmpint(json_integer_value(json_object_get(
                        json_object_get(ret, "qemu"), "minor")), ==, 2);
    g_assert_cmpstr(json_string_value(json_object_get(ret, "package")), ==,
                    "");
    json_decref(ret);
    qtest_quit(qts);
}

/* query-name: {} without -name, as QEMU 7.2; HMP info name agrees */
static void test_query_name(void)
{
    QTestState *qts = qtest_init(COMMON_ARGS);
    json_t *ret = qtest_qmp_assert_success_ref(qts,
        "{\"execute\": \"query-name\"}");
    g_autofree char *hmp = NULL;

    g_assert_cmpint(json_object_size(ret), ==, 0);
    json_decref(ret);
    hmp = qtest_hmp(qts, "info name");
    g_assert_cmpstr(hmp, ==, "");
    qtest_quit(qts);

    qts = qtest_init(COMMON_ARGS " -name 'a\"b c'");
    ret = qtest_qmp_assert_success_ref(qts,
        "{\"execute\": \"query-name\"}");
    g_assert_cmpint(json_object_size(ret), ==, 1);
    g_assert_cmpstr(json_string_value(json_object_get(ret, "name")), ==,
                    "a\"b c");
    json_decref(ret);
    g_free(hmp);
    hmp = qtest_hmp(qts, "info name");
    g_assert_cmpstr(hmp, ==, "a\"b c\r\n");
    qtest_quit(qts);
}

#define QEMU_BINARY "/usr/bin/qemu-system-x86_64"

/*
 * A -qmp-pretty stdio session of @binary, after its greeting, with the
 * timestamps' digits replaced by N.
 */
static char *pretty_session(const char *binary)
{
    g_autofree char *saved = g_strdup(qtest_binary());
    g_autoptr(GRegex) digits = g_regex_new("(\"(micro)?seconds\": )[0-9]+",
                                           0, 0, NULL);
    g_autofree char *out = NULL;
    const char *end;
    int status;

    g_setenv("MINIVMM_BINARY", binary, true);
    status = qtest_run_stdin("-M none -nodefaults -display none "
                             "-name 'a\"b' -qmp-pretty stdio",
                             "{\"execute\": \"qmp_capabilities\"}\n"
                             "{\"execute\": \"query-name\"}\n"
                             "{\"execute\": \"stop\"}\n"
                             "{\"execute\": \"query-block\"}\n"
                             "{\"execute\": \"human-monitor-command\", "
                             "\"arguments\": {\"command-line\": "
                             "\"info status\"}}\n"
                             "{\"execute\": \"quit\"}\n", &out);
    g_setenv("MINIVMM_BINARY", saved, true);
    g_assert_cmpint(status, ==, 0);
    /* the greeting: its version differs, its shape does not */
    g_assert_true(g_str_has_prefix(out, "{\r\n    \"QMP\": {\r\n"
                                   "        \"version\": {\r\n"));
    end = strstr(out, "\r\n}\r\n");
    g_assert_nonnull(end);
    return g_regex_replace(digits, end + 5, -1, 0, "\\1N", 0, NULL);
}

/* -qmp-pretty: QEMU's layout, byte for byte */
static void test_qmp_pretty(void)
{
    static const char expect[] =
        "{\r\n    \"return\": {\r\n    }\r\n}\r\n"
        "{\r\n    \"return\": {\r\n        \"name\": \"a\\\"b\"\r\n    }\r\n"
        "}\r\n"
        "{\r\n    \"timestamp\": {\r\n        \"seconds\": N,\r\n"
        "        \"microseconds\": N\r\n    },\r\n"
        "    \"event\": \"STOP\"\r\n}\r\n"
        "{\r\n    \"return\": {\r\n    }\r\n}\r\n"
        "{\r\n    \"return\": [\r\n    ]\r\n}\r\n"
        "{\r\n    \"return\": \"VM status: paused\\r\\n\"\r\n}\r\n"
        "{\r\n    \"timestamp\": {\r\n        \"seconds\": N,\r\n"
        "        \"microseconds\": N\r\n    },\r\n"
        "    \"event\": \"SHUTDOWN\",\r\n    \"data\": {\r\n"
        "        \"guest\": false,\r\n"
        "        \"reason\": \"host-qmp-quit\"\r\n    }\r\n}\r\n"
        "{\r\n    \"return\": {\r\n    }\r\n}\r\n";
    g_autofree char *ours = pretty_session(qtest_binary());

    g_assert_cmpstr(ours, ==, expect);
    if (access(QEMU_BINARY, X_OK) == 0) {
        g_autofree char *qemu = pretty_session(QEMU_BINARY);

        g_assert_cmpstr(qemu, ==, expect);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qmp/greeting", test_greeting);
    g_test_add_func("/qmp/negotiation", test_negotiation);
    g_test_add_func("/qmp/errors", test_errors);
    g_test_add_func("/qmp/oob", test_oob);
    g_test_add_func("/qmp/id", test_id);
    g_test_add_func("/qmp/framing", test_framing);
    g_test_add_func("/qmp/two-monitors", test_two_monitors);
    g_test_add_func("/qmp/tcp", test_tcp);
    g_test_add_func("/qmp/oversize", test_oversize);
    g_test_add_func("/qmp/slow-client", test_slow_client);
    g_test_add_func("/qmp/query-commands", test_query_commands);
    g_test_add_func("/qmp/query-name", test_query_name);
    g_test_add_func("/qmp/pretty", test_qmp_pretty);
    g_test_add_func("/qmp/non-reading-client", test_non_reading_client);
    return g_test_run();
}
