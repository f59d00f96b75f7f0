/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VM run state machine, start/stop, shutdown requests and the main loop. */
#include "qemu/osdep.h"

#include <glib-unix.h>

#include "qapi/error.h"
#include "qapi/qapi-commands-run-state.h"
#include "qapi/qapi-events-run-state.h"
#include "qapi/util.h"
#include "qemu/atomic.h"
#include "qemu/error-report.h"
#include "qemu/lockable.h"
#include "qemu/main-loop.h"
#include "qemu/thread.h"
#include "sysemu/qtest.h"
#include "sysemu/runstate.h"
#include "sysemu/sysemu.h"
#include "trace.h"

/*
 * Run states and the moves between them
 *
 * Each line names a state and the states it may move to, by their QAPI
 * names; this is QEMU 7.2's set of transitions.  runstate_init() turns
 * it into a matrix.  Moving to the current state is always allowed.
 */
static const char *const runstate_moves[] = {
    "prelaunch:      inmigrate running finish-migrate",
    "debug:          running finish-migrate prelaunch suspended",
    "inmigrate:      internal-error io-error paused running shutdown "
                    "suspended watchdog guest-panicked finish-migrate "
                    "prelaunch postmigrate colo",
    "internal-error: paused finish-migrate prelaunch",
    "io-error:       running finish-migrate prelaunch",
    "paused:         running finish-migrate postmigrate prelaunch colo",
    "postmigrate:    running finish-migrate prelaunch",
    "finish-migrate: running paused postmigrate prelaunch colo",
    "restore-vm:     running prelaunch",
    "colo:           running prelaunch shutdown",
    "running:        debug internal-error io-error paused finish-migrate "
                    "restore-vm save-vm shutdown watchdog guest-panicked "
                    "colo suspended",
    "save-vm:        running",
    "shutdown:       paused finish-migrate prelaunch colo",
    "suspended:      running finish-migrate prelaunch colo",
    "watchdog:       running finish-migrate prelaunch colo",
    "guest-panicked: running finish-migrate prelaunch",
};

static bool runstate_may_move[RUN_STATE__MAX][RUN_STATE__MAX];
static RunState current_run_state = RUN_STATE_PRELAUNCH;

static RunState runstate_parse(const char *name)
{
    int state = qapi_enum_parse(&RunState_lookup, name, -1, NULL);

    assert(state >= 0);
    return state;
}

static void runstate_moves_init(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(runstate_moves); i++) {
        g_auto(GStrv) words = g_strsplit_set(runstate_moves[i], ": ", -1);
        RunState from = runstate_parse(words[0]);

        for (char **to = words + 1; *to; to++) {
            if (**to) {
                runstate_may_move[from][runstate_parse(*to)] = true;
            }
        }
    }
}

RunState runstate_get(void)
{
    return current_run_state;
}

bool runstate_check(RunState state)
{
    return runstate_get() == state;
}

bool runstate_is_running(void)
{
    return runstate_check(RUN_STATE_RUNNING);
}

bool runstate_needs_reset(void)
{
    RunState now = runstate_get();

    return now == RUN_STATE_INTERNAL_ERROR || now == RUN_STATE_SHUTDOWN;
}

void runstate_set(RunState new_state)
{
    RunState old = current_run_state;

    assert(new_state < RUN_STATE__MAX);
    trace_runstate_set(old, RunState_str(old), new_state,
                       RunState_str(new_state));
    if (new_state == old) {
        return;
    }
    if (!runstate_may_move[old][new_state]) {
        error_report("invalid runstate transition: '%s' -> '%s'",
                     RunState_str(old), RunState_str(new_state));
        abort();
    }
    current_run_state = new_state;
}

bool runstate_store(char *str, size_t size)
{
    return g_strlcpy(str, RunState_str(runstate_get()), size) < size;
}

StatusInfo *qmp_query_status(Error **errp)
{
    StatusInfo *info = g_new0(StatusInfo, 1);

    info->status = runstate_get();
    info->running = runstate_is_running();
    info->singlestep = false;   /* there are no vCPUs to step */
    return info;
}

/*
 * Change state handlers
 *
 * Kept in ascending priority, and in registration order within one
 * priority; called in that order when the VM starts, in the reverse
 * order when it stops.  A handler may remove itself while called.
 */
struct VMChangeStateEntry {
    VMChangeStateHandler *cb;
    void *opaque;
    int priority;
};

static GList *vm_change_handlers;

/* g_list_insert_sorted() order: after every entry of the same priority. */
static gint handler_order(gconstpointer a, gconstpointer b)
{
    const VMChangeStateEntry *new = a, *old = b;

    return new->priority < old->priority ? -1 : 1;
}

VMChangeStateEntry *qemu_add_vm_change_state_handler_prio(
        VMChangeStateHandler *cb, void *opaque, int priority)
{
    VMChangeStateEntry *e = g_new(VMChangeStateEntry, 1);

    *e = (VMChangeStateEntry) {
        .cb = cb, .opaque = opaque, .priority = priority,
    };
    vm_change_handlers = g_list_insert_sorted(vm_change_handlers, e,
                                              handler_order);
    return e;
}

VMChangeStateEntry *qemu_add_vm_change_state_handler(VMChangeStateHandler *cb,
                                                     void *opaque)
{
    return qemu_add_vm_change_state_handler_prio(cb, opaque, 0);
}

void qemu_del_vm_change_state_handler(VMChangeStateEntry *e)
{
    vm_change_handlers = g_list_remove(vm_change_handlers, e);
    g_free(e);
}

void vm_state_notify(bool running, RunState state)
{
    GList *l = running ? vm_change_handlers : g_list_last(vm_change_handlers);

    trace_vm_state_notify(running, state, RunState_str(state));
    while (l) {
        VMChangeStateEntry *e = l->data;

        /* Step first: the handler may remove itself. */
        l = running ? l->next : l->prev;
        e->cb(e->opaque, running, state);
    }
}

/*
 * Starting and stopping
 *
 * QEMU does this with its vCPUs (softmmu/cpus.c); here there are none,
 * so it is the run state, the handlers and the STOP/RESUME events.
 */

/* A stop another thread asked the main loop for; RUN_STATE__MAX: none. */
static RunState vmstop_requested = RUN_STATE__MAX;
static QemuMutex vmstop_lock;

/* Taken here, released by qemu_system_vmstop_request(). */
void qemu_system_vmstop_request_prepare(void)
{
    qemu_mutex_lock(&vmstop_lock);
}

void qemu_system_vmstop_request(RunState state)
{
    qatomic_set(&vmstop_requested, state);
    qemu_mutex_unlock(&vmstop_lock);
    qemu_notify_event();
}

/* Take the pending stop request, if any, into *@r. */
bool qemu_vmstop_requested(RunState *r)
{
    WITH_QEMU_LOCK_GUARD(&vmstop_lock) {
        *r = vmstop_requested;
        vmstop_requested = RUN_STATE__MAX;
    }
    return *r != RUN_STATE__MAX;
}

/* Leave the running state for @state; @event: emit STOP. */
static int stop_running_vm(RunState state, bool event)
{
    if (!runstate_is_running()) {
        return 0;
    }
    runstate_set(state);
    vm_state_notify(false, state);
    if (event) {
        qapi_event_send_stop();
    }
    return 0;
}

int vm_stop(RunState state)
{
    return stop_running_vm(state, true);
}

int vm_shutdown(void)
{
    return stop_running_vm(RUN_STATE_SHUTDOWN, false);
}

int vm_stop_force_state(RunState state)
{
    if (!runstate_is_running()) {
        runstate_set(state);
        return 0;
    }
    return vm_stop(state);
}

int vm_prepare_start(bool step_pending)
{
    RunState pending;
    bool stop_pending = qemu_vmstop_requested(&pending);

    if (runstate_is_running()) {
        /*
         * Running already.  A stop that was asked for in the meantime
         * is dropped, but its STOP/RESUME pair still goes out.
         */
        if (stop_pending) {
            qapi_event_send_stop();
            qapi_event_send_resume();
        }
        return -1;
    }
    qapi_event_send_resume();
    runstate_set(RUN_STATE_RUNNING);
    vm_state_notify(true, RUN_STATE_RUNNING);
    return 0;
}

void vm_start(void)
{
    vm_prepare_start(false);
}

/*
 * Shutdown
 *
 * A request records its cause; the main loop notices it and returns.
 * The SHUTDOWN event goes out once: right away when the requester holds
 * the BQL (so that it precedes the reply of the 'quit' that caused it),
 * else from the main loop.  Signal handlers only store.
 */
static NotifierList shutdown_notifiers =
    NOTIFIER_LIST_INITIALIZER(shutdown_notifiers);
static NotifierList exit_notifiers =
    NOTIFIER_LIST_INITIALIZER(exit_notifiers);

static int pending_shutdown;        /* a ShutdownCause; 0: none */
static int shutdown_announced;      /* SHUTDOWN went out for it */
static int shutdown_status;         /* the process's exit status */
static int killed_by_signal;        /* set by the signal handler */
static pid_t killed_by_pid;

void qemu_register_shutdown_notifier(Notifier *notifier)
{
    notifier_list_add(&shutdown_notifiers, notifier);
}

void qemu_add_exit_notifier(Notifier *notify)
{
    notifier_list_add(&exit_notifiers, notify);
}

void qemu_remove_exit_notifier(Notifier *notify)
{
    notifier_remove(notify);
}

void qemu_run_exit_notifiers(void)
{
    notifier_list_notify(&exit_notifiers, NULL);
}

ShutdownCause qemu_shutdown_requested_get(void)
{
    return qatomic_read(&pending_shutdown);
}

/* Emit SHUTDOWN and tell the notifiers, unless that was done already. */
static void announce_shutdown(ShutdownCause cause)
{
    if (qatomic_xchg(&shutdown_announced, 1)) {
        return;
    }
    qapi_event_send_shutdown(shutdown_caused_by_guest(cause), cause);
    notifier_list_notify(&shutdown_notifiers, &cause);
}

/* Like qemu_system_shutdown_request(), exiting with @exit_code. */
static void qemu_system_shutdown_request_with_code(ShutdownCause reason,
                                                   int exit_code)
{
    trace_qemu_system_shutdown_request(reason);
    qatomic_set(&shutdown_status, exit_code);
    if (qemu_mutex_iothread_locked()) {
        announce_shutdown(reason);
    }
    qatomic_set(&pending_shutdown, reason);
    qemu_notify_event();
}

void qemu_system_shutdown_request(ShutdownCause reason)
{
    qemu_system_shutdown_request_with_code(reason, 0);
}

void qemu_system_killed(int signal, pid_t pid)
{
    killed_by_signal = signal;
    killed_by_pid = pid;
    qatomic_set(&pending_shutdown, SHUTDOWN_CAUSE_HOST_SIGNAL);
}

/* Say which signal ends us, and who sent it (not under qtest). */
static void report_kill(void)
{
    g_autofree char *cmdline = NULL;
    g_autofree char *path = NULL;

    if (!killed_by_signal || qtest_driver()) {
        return;
    }
    if (!killed_by_pid) {
        /* From the terminal, e.g. ^C. */
        error_report("terminating on signal %d", killed_by_signal);
    } else {
        /* The program name: the first NUL-ended word of its cmdline. */
        path = g_strdup_printf("/proc/%d/cmdline", (int)killed_by_pid);
        if (!g_file_get_contents(path, &cmdline, NULL, NULL)) {
            cmdline = NULL;
        }
        error_report("terminating on signal %d from pid %d (%s)",
                     killed_by_signal, (int)killed_by_pid,
                     cmdline ? cmdline : "<unknown process>");
    }
    killed_by_signal = 0;
}

/* One look at what the main loop was asked to do; true: return @status. */
static bool main_loop_done(int *status)
{
    ShutdownCause cause = qatomic_xchg(&pending_shutdown, 0);
    RunState stop;

    if (cause) {
        report_kill();
        announce_shutdown(cause);
        *status = qatomic_read(&shutdown_status);
        return true;
    }
    if (qemu_vmstop_requested(&stop)) {
        vm_stop(stop);
    }
    return false;
}

int qemu_main_loop(void)
{
    int status = 0;

    while (!main_loop_done(&status)) {
        main_loop_wait(false);
    }
    return status;
}

/*
 * Signals: SIGINT, SIGHUP and SIGTERM request a shutdown; a byte in a
 * pipe wakes the main loop to notice it.  A peer that goes away makes
 * writes fail with EPIPE instead of killing us with SIGPIPE.
 */
static int signal_pipe[2] = { -1, -1 };

static void on_terminating_signal(int sig, siginfo_t *info, void *ctx)
{
    int saved_errno = errno;
    const char wake = 0;

    qemu_system_killed(info->si_signo, info->si_pid);
    /* A full pipe means a wakeup is pending already. */
    if (write(signal_pipe[1], &wake, 1) < 0) {
        /* nothing else to do in a signal handler */
    }
    errno = saved_errno;
}

static void signal_pipe_drain(void *opaque)
{
    char sink[64];

    while (read(signal_pipe[0], sink, sizeof(sink)) > 0) {
        /* the wakeup itself is all that mattered */
    }
}

void os_setup_signal_handling(void)
{
    static const int terminating[] = { SIGINT, SIGHUP, SIGTERM };
    struct sigaction sa = {
        .sa_sigaction = on_terminating_signal,
        .sa_flags = SA_SIGINFO,
    };
    struct sigaction ignore = { .sa_handler = SIG_IGN };

    if (!g_unix_open_pipe(signal_pipe, FD_CLOEXEC, NULL)) {
        error_report("cannot create the signal pipe: %s", strerror(errno));
        exit(1);
    }
    for (int i = 0; i < 2; i++) {
        g_unix_set_fd_nonblocking(signal_pipe[i], true, NULL);
    }
    qemu_set_fd_handler(signal_pipe[0], signal_pipe_drain, NULL, NULL);
    for (size_t i = 0; i < ARRAY_SIZE(terminating); i++) {
        sigaction(terminating[i], &sa, NULL);
    }
    sigaction(SIGPIPE, &ignore, NULL);
}

void runstate_init(void)
{
    memset(runstate_may_move, 0, sizeof(runstate_may_move));
    runstate_moves_init();
    qemu_mutex_init(&vmstop_lock);
}
