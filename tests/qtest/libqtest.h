/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qtest-style harness: spawn minivmm, talk QMP/HMP/qtest, wait, kill. */
#ifndef LIBQTEST_H
#define LIBQTEST_H

#include <jansson.h>
#include <sys/types.h>

/*
 * Each QTestState is one minivmm process with its own temporary
 * directory.  Before spawning it the harness LISTENS on
 * <tmpdir>/qmp.sock and passes
 *   -chardev socket,id=qtest-mon,path=<tmpdir>/qmp.sock
 *   -mon chardev=qtest-mon,mode=control
 * so the process connects to us (as QEMU's own harness does): there is
 * no race on socket creation.  stdin is /dev/null; stdout and stderr go
 * to <tmpdir>/log (qtest_get_log()).
 *
 * The binary is $MINIVMM_BINARY, else $QTEST_QEMU_BINARY (so that the
 * same tests can run against qemu-system-x86_64 as an oracle), else the
 * build's minivmm (MINIVMM_BUILD_BINARY, passed by meson), or its test
 * build tests/qtest/test-build/minivmm when $MINIVMM_MIGRATION_TEST_LOAD
 * asks for the test-only migration section that only that build has.
 *
 * Nothing sleeps: every wait is a poll() on a socket or process with a
 * deadline (qtest_set_timeout(), default 60 s or $QTEST_TIMEOUT).  A
 * deadline that passes fails the test with g_error() instead of hanging.
 *
 * QMP text: the fmt arguments are printf formats whose expansion is the
 * JSON text sent as is (use double quotes; nothing is escaped for you).
 *
 * If the process dies while qtest_qmp*() waits for it, the test fails
 * with a message that says how it ended (exit status or signal) and
 * shows its log.
 *
 * Nothing outlives the test: until qtest_quit() each QTestState is
 * tracked, and when the test process aborts (failed g_assert(),
 * g_error()) or exits without qtest_quit(), a SIGABRT handler or an
 * atexit handler SIGKILLs the processes, reaps them and removes their
 * temporary directories ($QTEST_KEEP_TMPDIR=1 keeps the directories).
 * Each process is also started with PR_SET_PDEATHSIG = SIGKILL, so it
 * dies when the thread that started it ends in any way (SIGKILL, or the
 * _exit() with which g_test_trap_subprocess() children fail): start
 * processes from a thread that lives as long as they should.
 */

typedef struct QTestState QTestState;

/*
 * A line-oriented connection: the QMP monitor connection, a second QMP
 * monitor, or the qtest socket.  Incoming QMP events are queued per
 * connection while waiting for replies.
 */
typedef struct QTestConn QTestConn;

/* Start options beyond the command line. */
typedef struct QTestOptions {
    /* read the greeting and negotiate capabilities (QMP) */
    bool qmp_handshake;
    /* also listen on <tmpdir>/qtest.sock and pass -qtest unix:path=... */
    bool with_qtest;
    /* no harness monitor at all (qtest_qmp*() must not be used) */
    bool no_qmp;
    /* base arguments before @extra_args; NULL: "-display none -vga none" */
    const char *base_args;
} QTestOptions;

/**
 * qtest_init:
 * @extra_args: shell-quoted arguments, split with g_shell_parse_argv()
 *
 * Start minivmm with the harness monitor and @extra_args, wait for the
 * QMP greeting and negotiate capabilities.  Fails the test if the
 * process exits or does not connect in time.
 */
QTestState *qtest_init(const char *extra_args);
QTestState *qtest_initf(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Like qtest_init(), but leave the greeting unread and unnegotiated. */
QTestState *qtest_init_without_qmp_handshake(const char *extra_args);
QTestState *qtest_init_with_opts(const QTestOptions *opts,
                                 const char *extra_args);

/**
 * qtest_init_pair:
 * Start two VMs (e.g. a migration source and destination), each with
 * its own arguments and temporary directory.
 */
void qtest_init_pair(QTestState **a, const char *args_a,
                     QTestState **b, const char *args_b);

/**
 * qtest_run:
 * @args: shell-quoted arguments (no harness monitor is added)
 * @output: if non-NULL, receives stdout and stderr, interleaved
 *
 * Run minivmm to completion (for command-line tests), killing it at the
 * deadline.  Returns: the exit status (WEXITSTATUS), or -signal number
 * when killed by a signal.
 */
int qtest_run(const char *args, char **output);
/* Like qtest_run(), with @input as the process's stdin (NULL: none). */
int qtest_run_stdin(const char *args, const char *input, char **output);

/**
 * qtest_quit:
 * Send "quit" (if the monitor is still connected), wait for the process
 * to exit (SIGKILL after the deadline), check how it ended, remove the
 * temporary directory and free @s.  An exit status must be the expected
 * one (default 0); death by a signal is accepted only if that signal was
 * sent with qtest_kill() (anything else, e.g. a crash, fails the test).
 * Safe after qtest_wait_exit() and qtest_kill(): a process that exited
 * or was killed already is reaped and freed without error.
 */
void qtest_quit(QTestState *s);
/* The exit status qtest_quit() expects (default 0). */
void qtest_set_expected_status(QTestState *s, int status);
/* Per-state deadline for every wait, in seconds. */
void qtest_set_timeout(QTestState *s, int seconds);
/* Default deadline for new states (also $QTEST_TIMEOUT). */
void qtest_set_default_timeout(int seconds);
int qtest_get_default_timeout(void);

/*
 * Send @sig to the process (nothing once it has been reaped).
 * qtest_quit() then accepts death by @sig.
 */
void qtest_kill(QTestState *s, int sig);
/**
 * qtest_wait_exit:
 * Wait until the process exits, at most the deadline.
 * @status: receives the raw wait status (WIFEXITED()...)
 * Returns: true if it exited in time.
 */
bool qtest_wait_exit(QTestState *s, int *status);
pid_t qtest_pid(QTestState *s);
/* The temporary directory of @s (sockets, log, scratch files). */
const char *qtest_tmpdir(QTestState *s);
/* Everything the process wrote to stdout and stderr so far (g_free it). */
char *qtest_get_log(QTestState *s);

/* The harness monitor connection, and the qtest connection if any. */
QTestConn *qtest_qmp_conn(QTestState *s);
QTestConn *qtest_qtest_conn(QTestState *s);

/**
 * qtest_qmp:
 * Send a command and return its reply (the first message that is not
 * an event; events met on the way are queued).  Caller json_decref()s.
 */
json_t *qtest_qmp(QTestState *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
json_t *qtest_vqmp(QTestState *s, const char *fmt, va_list ap)
    G_GNUC_PRINTF(2, 0);
/* Send without waiting for the reply. */
/*
 * Like qtest_qmp(), sending @nfds (<= 16) descriptors along with the
 * command (SCM_RIGHTS), as a client of getfd does.
 */
json_t *qtest_qmp_fds(QTestState *s, const int *fds, size_t nfds,
                      const char *fmt, ...) G_GNUC_PRINTF(4, 5);
void qtest_qmp_send(QTestState *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* The next reply (non-event message). */
json_t *qtest_qmp_receive(QTestState *s);
/* Send, assert the reply has "return", return it / its "return" value. */
void qtest_qmp_assert_success(QTestState *s, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
json_t *qtest_qmp_assert_success_ref(QTestState *s, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
/* Wait for event @event (queued or new); return it (caller decrefs). */
json_t *qtest_qmp_eventwait_ref(QTestState *s, const char *event);
void qtest_qmp_eventwait(QTestState *s, const char *event);
/* Pop a queued event @event without waiting, or NULL. */
json_t *qtest_qmp_event_ref(QTestState *s, const char *event);

/**
 * qtest_hmp:
 * Run an HMP command through human-monitor-command and return its text
 * (g_free it).  Fails the test on a QMP error.
 */
char *qtest_hmp(QTestState *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/*
 * Connections.  qtest_conn_unix() connects to a listening socket (e.g.
 * one made with -qmp unix:P,server=on,wait=off); the other functions
 * work on any connection.  @deadline_s is the state's timeout.
 */
QTestConn *qtest_conn_unix(const char *path, int timeout_s);
QTestConn *qtest_conn_tcp(const char *host, int port, int timeout_s);
/* A QMP connection over a connected socket @fd (taken over). */
QTestConn *qtest_conn_fd(int fd, int timeout_s);
void qtest_conn_free(QTestConn *c);
/* Read the greeting (returned) and, if @negotiate, qmp_capabilities. */
json_t *qtest_conn_handshake(QTestConn *c, bool negotiate);
void qtest_conn_send_raw(QTestConn *c, const void *buf, size_t len);
/* Like qtest_conn_send_raw(), but return false if the peer is gone. */
bool qtest_conn_try_send_raw(QTestConn *c, const void *buf, size_t len);
void qtest_conn_sendf(QTestConn *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/*
 * The next line without its terminator, or NULL at EOF.  For QMP
 * connections every line must end in "\r\n" (asserted); for qtest in
 * "\n".
 */
char *qtest_conn_recv_line(QTestConn *c);
/* The next QMP message of any kind, or NULL at EOF. */
json_t *qtest_conn_recv_json(QTestConn *c);
json_t *qtest_conn_receive(QTestConn *c);
json_t *qtest_conn_qmp(QTestConn *c, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
json_t *qtest_conn_eventwait_ref(QTestConn *c, const char *event);
json_t *qtest_conn_event_ref(QTestConn *c, const char *event);
/* Number of queued events. */
guint qtest_conn_events_pending(QTestConn *c);
/* Wait for the peer to close: true on EOF (ignores data on the way). */
bool qtest_conn_wait_eof(QTestConn *c);
/* Is the connection known to be closed? */
bool qtest_conn_is_eof(QTestConn *c);
/* One qtest protocol exchange: send @cmd (no newline), return reply. */
char *qtest_conn_qtest_cmd(QTestConn *c, const char *cmd);

/*
 * Sockets for a test that plays a peer: qtest_listen_unix() binds and
 * listens on @path (the test fails if it cannot); qtest_free_tcp_port()
 * returns a port of 127.0.0.1 that was free a moment ago.
 */
int qtest_listen_unix(const char *path);
int qtest_free_tcp_port(void);

/* Path of the binary under test. */
const char *qtest_binary(void);

#endif /* LIBQTEST_H */
