/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qtest-style harness: spawn minivmm, talk QMP/HMP/qtest, wait, kill. */
#include "qemu/osdep.h"

#include <poll.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "qemu/queue.h"
#include "libqtest.h"

#define QTEST_DEFAULT_TIMEOUT 60
/* A reply line larger than this fails the test (QEMU's client: 256 KiB). */
#define QTEST_MAX_LINE (64 * 1024 * 1024)

struct QTestConn {
    int fd;
    bool qmp;               /* lines end in "\r\n" and carry JSON */
    bool eof;
    int timeout_s;
    GString *rbuf;          /* received bytes not yet returned */
    GQueue events;          /* json_t * events not yet consumed */
};

struct QTestState {
    pid_t pid;              /* 0 until spawned */
    pid_t owner;            /* getpid() of the process that spawned it */
    int pidfd;              /* -1 when pidfd_open() is unavailable */
    bool exited;            /* reaped: pid may belong to someone else */
    int wstatus;            /* valid when exited */
    int expected_status;
    int timeout_s;
    sigset_t sent;          /* signals sent with qtest_kill() */
    bool keep_tmpdir;       /* $QTEST_KEEP_TMPDIR was set */
    bool live;              /* on live_states */
    char *tmpdir;
    char *log_path;
    char *qmp_path;
    char *qtest_path;
    QTestConn *qmp;
    QTestConn *qtest;
    QLIST_ENTRY(QTestState) next;   /* in live_states */
};

static int default_timeout_s = -1;

int qtest_get_default_timeout(void)
{
    if (default_timeout_s < 0) {
        const char *env = g_getenv("QTEST_TIMEOUT");
        int v = env ? atoi(env) : 0;
        default_timeout_s = v > 0 ? v : QTEST_DEFAULT_TIMEOUT;
    }
    return default_timeout_s;
}

void qtest_set_default_timeout(int seconds)
{
    default_timeout_s = seconds;
}

const char *qtest_binary(void)
{
    const char *b = g_getenv("MINIVMM_BINARY");

    if (!b) {
        b = g_getenv("QTEST_QEMU_BINARY");
    }
#ifdef MINIVMM_TEST_BUILD_BINARY
    /* The test-only migration section is in the test build only. */
    if (!b && g_getenv("MINIVMM_MIGRATION_TEST_LOAD")) {
        b = MINIVMM_TEST_BUILD_BINARY;
    }
#endif
#ifdef MINIVMM_BUILD_BINARY
    if (!b) {
        b = MINIVMM_BUILD_BINARY;
    }
#endif
    if (!b) {
        g_error("libqtest: set MINIVMM_BINARY to the binary under test");
    }
    return b;
}

static gint64 deadline_after(int timeout_s)
{
    return g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;
}

/* Milliseconds left until @deadline (0 when passed), capped for poll(). */
static int ms_left(gint64 deadline)
{
    gint64 left = deadline - g_get_monotonic_time();

    if (left <= 0) {
        return 0;
    }
    return (int)MIN(left / 1000 + 1, (gint64)INT_MAX);
}

/* Wait until @fd is readable; false when @deadline passes. */
static bool wait_readable(int fd, gint64 deadline)
{
    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int ret = poll(&pfd, 1, ms_left(deadline));

        if (ret > 0) {
            return true;
        }
        if (ret == 0) {
            return false;
        }
        if (errno != EINTR) {
            g_error("libqtest: poll: %s", g_strerror(errno));
        }
    }
}

/* Connections */

static QTestConn *conn_new(int fd, bool qmp, int timeout_s)
{
    QTestConn *c = g_new0(QTestConn, 1);

    c->fd = fd;
    c->qmp = qmp;
    c->timeout_s = timeout_s;
    c->rbuf = g_string_new(NULL);
    g_queue_init(&c->events);
    return c;
}

void qtest_conn_free(QTestConn *c)
{
    if (!c) {
        return;
    }
    if (c->fd >= 0) {
        close(c->fd);
    }
    g_string_free(c->rbuf, true);
    g_queue_clear_full(&c->events, (GDestroyNotify)json_decref);
    g_free(c);
}

static int connect_with_deadline(int fd, const struct sockaddr *sa,
                                 socklen_t len, int timeout_s)
{
    gint64 deadline = deadline_after(timeout_s);
    int ret;

    do {
        ret = connect(fd, sa, len);
    } while (ret < 0 && errno == EINTR && ms_left(deadline) > 0);
    return ret;
}

QTestConn *qtest_conn_unix(const char *path, int timeout_s)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd;

    g_assert(strlen(path) < sizeof(sun.sun_path));
    strcpy(sun.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert(fd >= 0);
    if (connect_with_deadline(fd, (struct sockaddr *)&sun, sizeof(sun),
                              timeout_s) < 0) {
        g_error("libqtest: connect to %s: %s", path, g_strerror(errno));
    }
    return conn_new(fd, true, timeout_s);
}

QTestConn *qtest_conn_fd(int fd, int timeout_s)
{
    return conn_new(fd, true, timeout_s);
}

QTestConn *qtest_conn_tcp(const char *host, int port, int timeout_s)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
    struct addrinfo *res, *e;
    g_autofree char *service = g_strdup_printf("%d", port);
    int fd = -1;

    if (getaddrinfo(host, service, &hints, &res) != 0) {
        g_error("libqtest: cannot resolve %s", host);
    }
    for (e = res; e; e = e->ai_next) {
        fd = socket(e->ai_family, e->ai_socktype | SOCK_CLOEXEC,
                    e->ai_protocol);
        if (fd < 0) {
            continue;
        }
        if (connect_with_deadline(fd, e->ai_addr, e->ai_addrlen,
                                  timeout_s) == 0) {
            break;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        g_error("libqtest: connect to %s:%d failed", host, port);
    }
    return conn_new(fd, true, timeout_s);
}

bool qtest_conn_try_send_raw(QTestConn *c, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
            return false;
        }
        if (n < 0) {
            g_error("libqtest: send: %s", g_strerror(errno));
        }
        p += n;
        len -= n;
    }
    return true;
}

void qtest_conn_send_raw(QTestConn *c, const void *buf, size_t len)
{
    if (!qtest_conn_try_send_raw(c, buf, len)) {
        g_error("libqtest: send: %s", g_strerror(errno));
    }
}

static void conn_vsendf(QTestConn *c, const char *fmt, va_list ap)
{
    g_autofree char *s = g_strdup_vprintf(fmt, ap);

    qtest_conn_send_raw(c, s, strlen(s));
}

void qtest_conn_sendf(QTestConn *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    conn_vsendf(c, fmt, ap);
    va_end(ap);
}

/* Read more bytes into c->rbuf; false at EOF. Fails at the deadline. */
static bool conn_fill(QTestConn *c, gint64 deadline)
{
    char buf[65536];
    ssize_t n;

    if (c->eof) {
        return false;
    }
    if (!wait_readable(c->fd, deadline)) {
        g_error("libqtest: timed out after %d s waiting for data",
                c->timeout_s);
    }
    do {
        n = recv(c->fd, buf, sizeof(buf), 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == ECONNRESET) {
        n = 0;
    }
    if (n < 0) {
        g_error("libqtest: recv: %s", g_strerror(errno));
    }
    if (n == 0) {
        c->eof = true;
        return false;
    }
    g_string_append_len(c->rbuf, buf, n);
    if (c->rbuf->len > QTEST_MAX_LINE) {
        g_error("libqtest: line longer than %d bytes", QTEST_MAX_LINE);
    }
    return true;
}

char *qtest_conn_recv_line(QTestConn *c)
{
    gint64 deadline = deadline_after(c->timeout_s);
    char *nl;
    char *line;
    size_t len;

    while (!(nl = memchr(c->rbuf->str, '\n', c->rbuf->len))) {
        if (!conn_fill(c, deadline)) {
            return NULL;
        }
    }
    len = nl - c->rbuf->str;
    if (c->qmp) {
        if (len == 0 || c->rbuf->str[len - 1] != '\r') {
            g_error("libqtest: QMP line not terminated by \\r\\n: %.*s",
                    (int)len, c->rbuf->str);
        }
        line = g_strndup(c->rbuf->str, len - 1);
    } else {
        line = g_strndup(c->rbuf->str, len);
    }
    g_string_erase(c->rbuf, 0, len + 1);
    return line;
}

json_t *qtest_conn_recv_json(QTestConn *c)
{
    g_autofree char *line = qtest_conn_recv_line(c);
    json_error_t jerr;
    json_t *obj;

    if (!line) {
        return NULL;
    }
    obj = json_loads(line, 0, &jerr);
    if (!obj || !json_is_object(obj)) {
        g_error("libqtest: bad QMP message (%s): %s", jerr.text, line);
    }
    return obj;
}

/* The next reply, queueing events on the way; NULL at EOF. */
static json_t *conn_receive_or_eof(QTestConn *c)
{
    for (;;) {
        json_t *msg = qtest_conn_recv_json(c);

        if (!msg || !json_object_get(msg, "event")) {
            return msg;
        }
        g_queue_push_tail(&c->events, msg);
    }
}

json_t *qtest_conn_receive(QTestConn *c)
{
    json_t *msg = conn_receive_or_eof(c);

    if (!msg) {
        g_error("libqtest: connection closed while waiting for a reply");
    }
    return msg;
}

json_t *qtest_conn_qmp(QTestConn *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    conn_vsendf(c, fmt, ap);
    va_end(ap);
    return qtest_conn_receive(c);
}

static bool event_is(json_t *ev, const char *name)
{
    const char *n = json_string_value(json_object_get(ev, "event"));

    return n && !strcmp(n, name);
}

json_t *qtest_conn_event_ref(QTestConn *c, const char *event)
{
    GList *l;

    for (l = c->events.head; l; l = l->next) {
        if (event_is(l->data, event)) {
            json_t *ev = l->data;

            g_queue_delete_link(&c->events, l);
            return ev;
        }
    }
    return NULL;
}

/* Like qtest_conn_eventwait_ref(), but NULL at EOF. */
static json_t *conn_eventwait_or_eof(QTestConn *c, const char *event)
{
    json_t *ev = qtest_conn_event_ref(c, event);

    while (!ev) {
        json_t *msg = qtest_conn_recv_json(c);

        if (!msg) {
            return NULL;
        }
        if (event_is(msg, event)) {
            return msg;
        }
        if (json_object_get(msg, "event")) {
            g_queue_push_tail(&c->events, msg);
        } else {
            g_error("libqtest: unexpected reply while waiting for %s",
                    event);
        }
    }
    return ev;
}

json_t *qtest_conn_eventwait_ref(QTestConn *c, const char *event)
{
    json_t *ev = conn_eventwait_or_eof(c, event);

    if (!ev) {
        g_error("libqtest: connection closed while waiting for event %s",
                event);
    }
    return ev;
}

guint qtest_conn_events_pending(QTestConn *c)
{
    return g_queue_get_length(&c->events);
}

bool qtest_conn_wait_eof(QTestConn *c)
{
    gint64 deadline = deadline_after(c->timeout_s);

    while (!c->eof) {
        if (!wait_readable(c->fd, deadline)) {
            return false;
        }
        c->rbuf->len = 0;
        conn_fill(c, deadline);
    }
    return true;
}

bool qtest_conn_is_eof(QTestConn *c)
{
    return c->eof;
}

json_t *qtest_conn_handshake(QTestConn *c, bool negotiate)
{
    json_t *greeting = qtest_conn_recv_json(c);
    json_t *rsp;

    if (!greeting || !json_is_object(json_object_get(greeting, "QMP"))) {
        g_error("libqtest: no QMP greeting");
    }
    if (negotiate) {
        rsp = qtest_conn_qmp(c, "{\"execute\": \"qmp_capabilities\"}");
        g_assert(json_object_get(rsp, "return"));
        json_decref(rsp);
    }
    return greeting;
}

char *qtest_conn_qtest_cmd(QTestConn *c, const char *cmd)
{
    char *line;

    qtest_conn_sendf(c, "%s\n", cmd);
    line = qtest_conn_recv_line(c);
    if (!line) {
        g_error("libqtest: qtest connection closed");
    }
    return line;
}

/* Sockets for tests that play a peer */

int qtest_listen_unix(const char *path)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_assert(fd >= 0);
    g_assert(strlen(path) < sizeof(sun.sun_path));
    strcpy(sun.sun_path, path);
    if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
        listen(fd, 16) < 0) {
        g_error("libqtest: listen on %s: %s", path, g_strerror(errno));
    }
    return fd;
}

int qtest_free_tcp_port(void)
{
    struct sockaddr_in sin = { .sin_family = AF_INET };
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int port;

    g_assert(fd >= 0);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
        g_error("libqtest: no free TCP port: %s", g_strerror(errno));
    }
    port = ntohs(sin.sin_port);
    close(fd);
    return port;
}

/* Processes */

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
    return syscall(SYS_pidfd_open, pid, 0);
#else
    return -1;
#endif
}

/*
 * Cleanup when the test process dies.  Every QTestState is on
 * live_states from state_new() to state_free().  A SIGABRT handler
 * (failed g_assert() and g_error() abort, except in the children of
 * g_test_trap_subprocess(), which _exit()) and an atexit handler
 * SIGKILL whatever of ours still runs, reap it and remove its temporary
 * directory.  That code only makes system calls, so it is safe in a
 * signal handler.  Spawned processes also get PR_SET_PDEATHSIG: they die
 * with the thread that spawned them however it ends (SIGKILL, _exit()).
 */
static QLIST_HEAD(, QTestState) live_states =
    QLIST_HEAD_INITIALIZER(live_states);
/* Protects live_states against other threads. */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t cleanup_once = PTHREAD_ONCE_INIT;
static struct sigaction old_sigabrt;

/* How long the cleanup waits for a SIGKILLed process to go. */
#define QTEST_CLEANUP_REAP_MS 5000

/* Signal the process itself, never a later user of its pid. */
static int send_signal(QTestState *s, int sig)
{
#ifdef SYS_pidfd_send_signal
    if (s->pidfd >= 0) {
        int ret = syscall(SYS_pidfd_send_signal, s->pidfd, sig, NULL, 0);

        if (ret == 0 || errno != ENOSYS) {
            return ret;
        }
    }
#endif
    return kill(s->pid, sig);
}

/* One record of getdents64(), as the kernel lays it out. */
struct QTestDirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Unlink the entries of @dfd once; true if any was removed. */
static bool remove_entries(int dfd)
{
    uint64_t buf[512];      /* 4 KiB, aligned for the records */
    bool removed = false;
    long n, off;

    while ((n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
        for (off = 0; off < n;) {
            struct QTestDirent64 *d = (void *)((char *)buf + off);

            off += d->d_reclen;
            if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..")) {
                continue;
            }
            if (unlinkat(dfd, d->d_name, 0) == 0 ||
                (errno == EISDIR &&
                 unlinkat(dfd, d->d_name, AT_REMOVEDIR) == 0)) {
                removed = true;
            }
        }
    }
    return removed;
}

/*
 * Remove @dir, its files and its empty subdirectories.  Only system
 * calls: safe in a signal handler.
 */
static void tmpdir_remove(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int pass;

    if (dfd < 0) {
        return;
    }
    /* Removing while reading may skip entries: read again until done. */
    for (pass = 0; pass < 4 && rmdir(dir) < 0 && errno == ENOTEMPTY;
         pass++) {
        lseek(dfd, 0, SEEK_SET);
        if (!remove_entries(dfd)) {
            break;
        }
    }
    close(dfd);
}

/*
 * SIGKILL the live processes this process spawned, reap them, and
 * remove their temporary directories.  Only system calls.
 */
static void kill_live_states(void)
{
    pid_t self = getpid();
    QTestState *s;

    QLIST_FOREACH(s, &live_states, next) {
        if (s->owner == self && s->pid > 0 && !s->exited) {
            send_signal(s, SIGKILL);
        }
    }
    QLIST_FOREACH(s, &live_states, next) {
        if (s->owner != self) {
            continue;
        }
        if (s->pid > 0 && !s->exited) {
            struct pollfd pfd = { .fd = s->pidfd, .events = POLLIN };
            int st = 0;
            pid_t r;

            if (s->pidfd >= 0) {
                poll(&pfd, 1, QTEST_CLEANUP_REAP_MS);
            }
            do {
                r = waitpid(s->pid, &st, s->pidfd >= 0 ? WNOHANG : 0);
            } while (r < 0 && errno == EINTR);
            if (r == 0) {
                /* Still there: its files may still be in use. */
                continue;
            }
            /* r < 0 (ECHILD): someone else reaped it already. */
            s->exited = true;
            s->wstatus = st;
        }
        if (!s->keep_tmpdir) {
            tmpdir_remove(s->tmpdir);
        }
    }
}

/*
 * Take live_lock from a signal handler.  Another thread holds it only
 * for a few instructions; if it is not free within 2 s the lock was
 * interrupted in this thread, and the list is walked anyway (its links
 * are valid at every step of an insertion or removal).
 */
static bool live_lock_for_signal(void)
{
    struct timespec start, now;

    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (pthread_mutex_trylock(&live_lock) == 0) {
            return true;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= 2) {
            return false;
        }
    }
}

static void sigabrt_handler(int sig, siginfo_t *info, void *uc)
{
    int saved_errno = errno;
    bool locked = live_lock_for_signal();

    kill_live_states();
    if (locked) {
        pthread_mutex_unlock(&live_lock);
    }
    errno = saved_errno;
    /* Chain to the handler that was there before us; abort() goes on. */
    if (old_sigabrt.sa_flags & SA_SIGINFO) {
        if (old_sigabrt.sa_sigaction) {
            old_sigabrt.sa_sigaction(sig, info, uc);
        }
    } else if (old_sigabrt.sa_handler != SIG_DFL &&
               old_sigabrt.sa_handler != SIG_IGN) {
        old_sigabrt.sa_handler(sig);
    }
}

static void atexit_handler(void)
{
    pid_t self = getpid();
    QTestState *s;

    pthread_mutex_lock(&live_lock);
    QLIST_FOREACH(s, &live_states, next) {
        if (s->owner == self && s->pid > 0 && !s->exited) {
            fprintf(stderr, "libqtest: killing pid %d at exit "
                    "(qtest_quit() was not called)\n", (int)s->pid);
        }
    }
    kill_live_states();
    pthread_mutex_unlock(&live_lock);
}

static void install_cleanup(void)
{
    struct sigaction sa = {
        .sa_sigaction = sigabrt_handler,
        .sa_flags = SA_SIGINFO,
    };

    sigemptyset(&sa.sa_mask);
    sigaction(SIGABRT, &sa, &old_sigabrt);
    atexit(atexit_handler);
}

static void live_add(QTestState *s)
{
    pthread_once(&cleanup_once, install_cleanup);
    pthread_mutex_lock(&live_lock);
    QLIST_INSERT_HEAD(&live_states, s, next);
    s->live = true;
    pthread_mutex_unlock(&live_lock);
}

static void live_remove(QTestState *s)
{
    pthread_mutex_lock(&live_lock);
    if (s->live) {
        QLIST_REMOVE(s, next);
        s->live = false;
    }
    pthread_mutex_unlock(&live_lock);
}

static void reap(QTestState *s, int flags)
{
    int st;
    pid_t r;

    if (s->exited) {
        return;
    }
    do {
        r = waitpid(s->pid, &st, flags);
    } while (r < 0 && errno == EINTR);
    if (r == s->pid) {
        s->exited = true;
        s->wstatus = st;
    }
}

/*
 * Wait until @fd is readable or the process exits, at most until
 * @deadline.  Returns: 1 readable, 0 timed out, -1 process exited.
 */
static int wait_fd_or_exit(QTestState *s, int fd, gint64 deadline)
{
    for (;;) {
        /* A negative fd is ignored by poll(). */
        struct pollfd pfd[2] = {
            { .fd = fd, .events = POLLIN },
            { .fd = s->pidfd, .events = POLLIN },
        };
        /* Without a pidfd, check the process every 100 ms. */
        int slice = s->pidfd >= 0 ? ms_left(deadline)
                                  : MIN(ms_left(deadline), 100);
        int ret = poll(pfd, 2, slice);

        if (ret < 0 && errno != EINTR) {
            g_error("libqtest: poll: %s", g_strerror(errno));
        }
        if (ret > 0 && fd >= 0 && (pfd[0].revents & (POLLIN | POLLHUP))) {
            return 1;
        }
        reap(s, WNOHANG);
        if (s->exited) {
            return -1;
        }
        if (ms_left(deadline) == 0) {
            return 0;
        }
    }
}

static int accept_from_child(QTestState *s, int lfd, const char *what)
{
    gint64 deadline = deadline_after(s->timeout_s);
    int ret = wait_fd_or_exit(s, lfd, deadline);
    int fd;

    if (ret <= 0) {
        g_autofree char *log = qtest_get_log(s);

        g_error("libqtest: %s: %s %s; log:\n%s", qtest_binary(),
                ret < 0 ? "exited before connecting to" :
                "timed out connecting to", what, log);
    }
    do {
        fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    g_assert(fd >= 0);
    return fd;
}

/* Start @argv with stdin from @stdin_path, stdout and stderr to the log */
static void spawn_stdin(QTestState *s, char **argv, const char *stdin_path)
{
    int logfd = open(s->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                     0600);
    int nullfd = open(stdin_path, O_RDONLY | O_CLOEXEC);
    pid_t parent = getpid();
    pid_t pid;

    g_assert(logfd >= 0 && nullfd >= 0);
    pid = fork();
    g_assert(pid >= 0);
    if (pid == 0) {
        /*
         * Die with the spawning thread, however it ends; if it is gone
         * already, the signal would never come.
         */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
            getppid() != parent) {
            _exit(127);
        }
        dup2(nullfd, 0);
        dup2(logfd, 1);
        dup2(logfd, 2);
        execvp(argv[0], argv);
        fprintf(stderr, "libqtest: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(logfd);
    close(nullfd);
    s->pid = pid;
    s->pidfd = open_pidfd(pid);
}

static void spawn(QTestState *s, char **argv)
{
    spawn_stdin(s, argv, "/dev/null");
}

static char **build_argv(const char *base, const char *prefix,
                         const char *extra)
{
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    const char *parts[] = { base, prefix, extra };
    size_t i;

    g_ptr_array_add(args, g_strdup(qtest_binary()));
    for (i = 0; i < ARRAY_SIZE(parts); i++) {
        g_auto(GStrv) v = NULL;
        g_autoptr(GError) err = NULL;
        char **p;

        if (!parts[i] || strspn(parts[i], " \t\n") == strlen(parts[i])) {
            continue;
        }
        if (!g_shell_parse_argv(parts[i], NULL, &v, &err)) {
            g_error("libqtest: cannot parse arguments '%s': %s",
                    parts[i], err->message);
        }
        for (p = v; *p; p++) {
            g_ptr_array_add(args, g_strdup(*p));
        }
    }
    g_ptr_array_add(args, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&args), false);
}

static QTestState *state_new(void)
{
    QTestState *s = g_new0(QTestState, 1);
    GError *err = NULL;

    s->pidfd = -1;
    s->owner = getpid();
    s->timeout_s = qtest_get_default_timeout();
    sigemptyset(&s->sent);
    s->keep_tmpdir = g_getenv("QTEST_KEEP_TMPDIR") &&
                     *g_getenv("QTEST_KEEP_TMPDIR");
    s->tmpdir = g_dir_make_tmp("minivmm-qtest-XXXXXX", &err);
    if (!s->tmpdir) {
        g_error("libqtest: %s", err->message);
    }
    s->log_path = g_build_filename(s->tmpdir, "log", NULL);
    s->qmp_path = g_build_filename(s->tmpdir, "qmp.sock", NULL);
    s->qtest_path = g_build_filename(s->tmpdir, "qtest.sock", NULL);
    live_add(s);
    return s;
}

QTestState *qtest_init_with_opts(const QTestOptions *opts,
                                 const char *extra_args)
{
    QTestState *s = state_new();
    g_autoptr(GString) prefix = g_string_new(NULL);
    g_auto(GStrv) argv = NULL;
    int qmp_lfd = -1, qtest_lfd = -1;

    if (!opts->no_qmp) {
        qmp_lfd = qtest_listen_unix(s->qmp_path);
        g_string_append_printf(prefix, "-chardev socket,id=qtest-mon,"
                               "path=%s -mon chardev=qtest-mon,mode=control ",
                               s->qmp_path);
    }
    if (opts->with_qtest) {
        qtest_lfd = qtest_listen_unix(s->qtest_path);
        g_string_append_printf(prefix, "-qtest unix:path=%s ",
                               s->qtest_path);
    }
    argv = build_argv(opts->base_args ? opts->base_args
                                      : "-display none -vga none",
                      prefix->str, extra_args);
    spawn(s, argv);
    if (qmp_lfd >= 0) {
        s->qmp = conn_new(accept_from_child(s, qmp_lfd, "the QMP socket"),
                          true, s->timeout_s);
        close(qmp_lfd);
        unlink(s->qmp_path);
    }
    if (qtest_lfd >= 0) {
        s->qtest = conn_new(accept_from_child(s, qtest_lfd,
                                              "the qtest socket"),
                            false, s->timeout_s);
        close(qtest_lfd);
        unlink(s->qtest_path);
    }
    if (s->qmp && opts->qmp_handshake) {
        json_decref(qtest_conn_handshake(s->qmp, true));
    }
    return s;
}

QTestState *qtest_init(const char *extra_args)
{
    QTestOptions opts = { .qmp_handshake = true };

    return qtest_init_with_opts(&opts, extra_args);
}

QTestState *qtest_initf(const char *fmt, ...)
{
    g_autofree char *args = NULL;
    va_list ap;

    va_start(ap, fmt);
    args = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return qtest_init(args);
}

QTestState *qtest_init_without_qmp_handshake(const char *extra_args)
{
    QTestOptions opts = { .qmp_handshake = false };

    return qtest_init_with_opts(&opts, extra_args);
}

void qtest_init_pair(QTestState **a, const char *args_a,
                     QTestState **b, const char *args_b)
{
    *a = qtest_init(args_a);
    *b = qtest_init(args_b);
}

/* Free @s, whose process (if any) has been reaped. */
static void state_free(QTestState *s)
{
    live_remove(s);
    qtest_conn_free(s->qmp);
    qtest_conn_free(s->qtest);
    if (s->pidfd >= 0) {
        close(s->pidfd);
    }
    if (!s->keep_tmpdir) {
        tmpdir_remove(s->tmpdir);
    }
    g_free(s->tmpdir);
    g_free(s->log_path);
    g_free(s->qmp_path);
    g_free(s->qtest_path);
    g_free(s);
}

bool qtest_wait_exit(QTestState *s, int *status)
{
    gint64 deadline = deadline_after(s->timeout_s);

    if (!s->exited) {
        /* With fd -1 this returns only on exit (-1) or the deadline (0) */
        wait_fd_or_exit(s, -1, deadline);
    }
    if (s->exited && status) {
        *status = s->wstatus;
    }
    return s->exited;
}

void qtest_kill(QTestState *s, int sig)
{
    if (!s->exited) {
        sigaddset(&s->sent, sig);
        send_signal(s, sig);
    }
}

pid_t qtest_pid(QTestState *s)
{
    return s->pid;
}

const char *qtest_tmpdir(QTestState *s)
{
    return s->tmpdir;
}

char *qtest_get_log(QTestState *s)
{
    char *text = NULL;

    if (!g_file_get_contents(s->log_path, &text, NULL, NULL)) {
        return g_strdup("");
    }
    return text;
}

void qtest_set_expected_status(QTestState *s, int status)
{
    s->expected_status = status;
}

void qtest_set_timeout(QTestState *s, int seconds)
{
    s->timeout_s = seconds;
    if (s->qmp) {
        s->qmp->timeout_s = seconds;
    }
    if (s->qtest) {
        s->qtest->timeout_s = seconds;
    }
}

/* How @wstatus ended a process, for messages (g_free it). */
static char *describe_status(int wstatus)
{
    if (WIFSIGNALED(wstatus)) {
        return g_strdup_printf("was killed by signal %d (%s)%s",
                               WTERMSIG(wstatus),
                               g_strsignal(WTERMSIG(wstatus)),
                               WCOREDUMP(wstatus) ? ", core dumped" : "");
    }
    return g_strdup_printf("exited with status %d", WEXITSTATUS(wstatus));
}

void qtest_quit(QTestState *s)
{
    static const char quit_cmd[] = "{\"execute\": \"qmp_capabilities\"}"
                                   "{\"execute\": \"quit\"}";
    int status;

    if (!s->exited && s->qmp && !s->qmp->eof) {
        /*
         * Negotiating again is harmless; quit works either way.  A
         * process that is dying already (qtest_kill()) may have closed
         * the connection: then there is nothing to send.
         */
        if (qtest_conn_try_send_raw(s->qmp, quit_cmd, strlen(quit_cmd))) {
            /* Read until EOF: the SHUTDOWN event, the reply, then close. */
            qtest_conn_wait_eof(s->qmp);
        }
    }
    if (!qtest_wait_exit(s, &status)) {
        g_autofree char *log = NULL;

        kill(s->pid, SIGKILL);
        reap(s, 0);
        log = qtest_get_log(s);
        g_error("libqtest: process did not exit in %d s; log:\n%s",
                s->timeout_s, log);
    }
    /* Death by a signal the test sent with qtest_kill() is expected. */
    if (WIFSIGNALED(status) && sigismember(&s->sent, WTERMSIG(status)) != 1) {
        g_autofree char *log = qtest_get_log(s);
        g_autofree char *fate = describe_status(status);

        g_error("libqtest: %s (pid %d) %s, not sent by qtest_kill(); "
                "log:\n%s", qtest_binary(), (int)s->pid, fate, log);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) != s->expected_status) {
        g_autofree char *log = qtest_get_log(s);

        g_error("libqtest: process exited with %d, expected %d; log:\n%s",
                WEXITSTATUS(status), s->expected_status, log);
    }
    state_free(s);
}

int qtest_run(const char *args, char **output)
{
    return qtest_run_stdin(args, NULL, output);
}

int qtest_run_stdin(const char *args, const char *input, char **output)
{
    QTestState *s = state_new();
    g_auto(GStrv) argv = build_argv(NULL, NULL, args);
    g_autofree char *in = g_build_filename(s->tmpdir, "stdin", NULL);
    int status, ret;

    if (input) {
        g_assert_true(g_file_set_contents(in, input, -1, NULL));
    }
    spawn_stdin(s, argv, input ? in : "/dev/null");
    if (!qtest_wait_exit(s, &status)) {
        kill(s->pid, SIGKILL);
        reap(s, 0);
        status = s->wstatus;
    }
    if (output) {
        *output = qtest_get_log(s);
    }
    ret = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    state_free(s);
    return ret;
}

/* QMP on the harness connection */

QTestConn *qtest_qmp_conn(QTestState *s)
{
    g_assert(s->qmp);
    return s->qmp;
}

QTestConn *qtest_qtest_conn(QTestState *s)
{
    g_assert(s->qtest);
    return s->qtest;
}

/*
 * The monitor connection of @s broke while @what: fail the test, saying
 * what became of the process.
 */
static QEMU_NORETURN void fail_dead(QTestState *s, const char *what)
{
    g_autofree char *log = NULL;
    g_autofree char *fate = NULL;
    int status;

    /* EOF usually means the process is going: wait for it to be gone. */
    if (qtest_wait_exit(s, &status)) {
        fate = describe_status(status);
    } else {
        fate = g_strdup("closed its QMP connection without exiting");
    }
    log = qtest_get_log(s);
    g_error("libqtest: %s (pid %d) %s while %s; log:\n%s", qtest_binary(),
            (int)s->pid, fate, what, log);
}

/* Send @text on the harness connection; fails the test if it is gone. */
static void state_send(QTestState *s, const char *text)
{
    if (!qtest_conn_try_send_raw(qtest_qmp_conn(s), text, strlen(text))) {
        g_autofree char *what = g_strdup_printf("sending %.200s", text);

        fail_dead(s, what);
    }
}

/* The next reply; fails the test if the connection ends first. */
static json_t *state_receive(QTestState *s, const char *cmd)
{
    json_t *msg = conn_receive_or_eof(qtest_qmp_conn(s));

    if (!msg) {
        g_autofree char *what = cmd ?
            g_strdup_printf("waiting for the reply to %.200s", cmd) :
            g_strdup("waiting for a reply");

        fail_dead(s, what);
    }
    return msg;
}

json_t *qtest_vqmp(QTestState *s, const char *fmt, va_list ap)
{
    g_autofree char *cmd = g_strdup_vprintf(fmt, ap);

    state_send(s, cmd);
    return state_receive(s, cmd);
}

json_t *qtest_qmp_fds(QTestState *s, const int *fds, size_t nfds,
                      const char *fmt, ...)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * 16)];
    } control = { 0 };
    g_autofree char *cmd = NULL;
    struct iovec iov;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    struct cmsghdr *cmsg;
    va_list ap;
    ssize_t n;

    g_assert_cmpuint(nfds, <=, 16);
    va_start(ap, fmt);
    cmd = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    iov.iov_base = cmd;
    iov.iov_len = strlen(cmd);
    if (nfds) {
        msg.msg_control = &control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
    }
    /* The whole command in one message, the descriptors with it. */
    n = RETRY_ON_EINTR(sendmsg(qtest_qmp_conn(s)->fd, &msg, MSG_NOSIGNAL));
    if (n != (ssize_t)iov.iov_len) {
        fail_dead(s, "sending a command with descriptors");
    }
    return state_receive(s, cmd);
}

json_t *qtest_qmp(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    json_t *rsp;

    va_start(ap, fmt);
    rsp = qtest_vqmp(s, fmt, ap);
    va_end(ap);
    return rsp;
}

void qtest_qmp_send(QTestState *s, const char *fmt, ...)
{
    g_autofree char *cmd = NULL;
    va_list ap;

    va_start(ap, fmt);
    cmd = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    state_send(s, cmd);
}

json_t *qtest_qmp_receive(QTestState *s)
{
    return state_receive(s, NULL);
}

static json_t *assert_success(json_t *rsp)
{
    json_t *ret = json_object_get(rsp, "return");

    if (!ret) {
        g_autofree char *text = json_dumps(rsp, JSON_COMPACT);

        g_error("libqtest: command failed: %s", text);
    }
    json_incref(ret);
    json_decref(rsp);
    return ret;
}

void qtest_qmp_assert_success(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    json_t *rsp;

    va_start(ap, fmt);
    rsp = qtest_vqmp(s, fmt, ap);
    va_end(ap);
    json_decref(assert_success(rsp));
}

json_t *qtest_qmp_assert_success_ref(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    json_t *rsp;

    va_start(ap, fmt);
    rsp = qtest_vqmp(s, fmt, ap);
    va_end(ap);
    return assert_success(rsp);
}

json_t *qtest_qmp_eventwait_ref(QTestState *s, const char *event)
{
    json_t *ev = conn_eventwait_or_eof(qtest_qmp_conn(s), event);

    if (!ev) {
        g_autofree char *what = g_strdup_printf("waiting for event %s",
                                                event);

        fail_dead(s, what);
    }
    return ev;
}

void qtest_qmp_eventwait(QTestState *s, const char *event)
{
    json_decref(qtest_qmp_eventwait_ref(s, event));
}

json_t *qtest_qmp_event_ref(QTestState *s, const char *event)
{
    return qtest_conn_event_ref(qtest_qmp_conn(s), event);
}

char *qtest_hmp(QTestState *s, const char *fmt, ...)
{
    g_autofree char *cmd = NULL;
    json_t *req, *ret;
    char *text, *reqtext;
    va_list ap;

    va_start(ap, fmt);
    cmd = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    req = json_pack("{s:s, s:{s:s}}", "execute", "human-monitor-command",
                    "arguments", "command-line", cmd);
    reqtext = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    ret = qtest_qmp_assert_success_ref(s, "%s", reqtext);
    free(reqtext);
    if (!json_is_string(ret)) {
        g_error("libqtest: human-monitor-command returned a non-string");
    }
    text = g_strdup(json_string_value(ret));
    json_decref(ret);
    return text;
}
