/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VM run state machine, start/stop, shutdown requests and the main loop. */
#include "qemu/osdep.h"

#include <glib-unix.h>

#include "qapi/error.h"
#include "qapi/qapi-commands-run-state.h"
#include "qapi/qapi-events-run-state.h"
#include "qemu/atomic.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/queue.h"
#include "qemu/thread.h"
#include "sysemu/qtest.h"
#include "sysemu/runstate.h"
#include "sysemu/sysemu.h"
#include "trace.h"

static RunState current_run_state = RUN_STATE_PRELAUNCH;

/* A stop requested from another thread; RUN_STATE__MAX: none. */
static RunState vmstop_requested = RUN_STATE__MAX;
static QemuMutex vmstop_lock;

typedef struct RunStateTransition {
    RunState from;
    RunState to;
} RunStateTransition;

/* QEMU 7.2's table of valid transitions. */
static const RunStateTransition runstate_transitions_def[] = {
    { RUN_STATE_PRELAUNCH, RUN_STATE_INMIGRATE },
    { RUN_STATE_PRELAUNCH, RUN_STATE_RUNNING },
    { RUN_STATE_PRELAUNCH, RUN_STATE_FINISH_MIGRATE },

    { RUN_STATE_DEBUG, RUN_STATE_RUNNING },
    { RUN_STATE_DEBUG, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_DEBUG, RUN_STATE_PRELAUNCH },
    { RUN_STATE_DEBUG, RUN_STATE_SUSPENDED },

    { RUN_STATE_INMIGRATE, RUN_STATE_INTERNAL_ERROR },
    { RUN_STATE_INMIGRATE, RUN_STATE_IO_ERROR },
    { RUN_STATE_INMIGRATE, RUN_STATE_PAUSED },
    { RUN_STATE_INMIGRATE, RUN_STATE_RUNNING },
    { RUN_STATE_INMIGRATE, RUN_STATE_SHUTDOWN },
    { RUN_STATE_INMIGRATE, RUN_STATE_SUSPENDED },
    { RUN_STATE_INMIGRATE, RUN_STATE_WATCHDOG },
    { RUN_STATE_INMIGRATE, RUN_STATE_GUEST_PANICKED },
    { RUN_STATE_INMIGRATE, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_INMIGRATE, RUN_STATE_PRELAUNCH },
    { RUN_STATE_INMIGRATE, RUN_STATE_POSTMIGRATE },
    { RUN_STATE_INMIGRATE, RUN_STATE_COLO },

    { RUN_STATE_INTERNAL_ERROR, RUN_STATE_PAUSED },
    { RUN_STATE_INTERNAL_ERROR, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_INTERNAL_ERROR, RUN_STATE_PRELAUNCH },

    { RUN_STATE_IO_ERROR, RUN_STATE_RUNNING },
    { RUN_STATE_IO_ERROR, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_IO_ERROR, RUN_STATE_PRELAUNCH },

    { RUN_STATE_PAUSED, RUN_STATE_RUNNING },
    { RUN_STATE_PAUSED, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_PAUSED, RUN_STATE_POSTMIGRATE },
    { RUN_STATE_PAUSED, RUN_STATE_PRELAUNCH },
    { RUN_STATE_PAUSED, RUN_STATE_COLO },

    { RUN_STATE_POSTMIGRATE, RUN_STATE_RUNNING },
    { RUN_STATE_POSTMIGRATE, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_POSTMIGRATE, RUN_STATE_PRELAUNCH },

    { RUN_STATE_FINISH_MIGRATE, RUN_STATE_RUNNING },
    { RUN_STATE_FINISH_MIGRATE, RUN_STATE_PAUSED },
    { RUN_STATE_FINISH_MIGRATE, RUN_STATE_POSTMIGRATE },
    { RUN_STATE_FINISH_MIGRATE, RUN_STATE_PRELAUNCH },
    { RUN_STATE_FINISH_MIGRATE, RUN_STATE_COLO },

    { RUN_STATE_RESTORE_VM, RUN_STATE_RUNNING },
    { RUN_STATE_RESTORE_VM, RUN_STATE_PRELAUNCH },

    { RUN_STATE_COLO, RUN_STATE_RUNNING },
    { RUN_STATE_COLO, RUN_STATE_PRELAUNCH },
    { RUN_STATE_COLO, RUN_STATE_SHUTDOWN },

    { RUN_STATE_RUNNING, RUN_STATE_DEBUG },
    { RUN_STATE_RUNNING, RUN_STATE_INTERNAL_ERROR },
    { RUN_STATE_RUNNING, RUN_STATE_IO_ERROR },
    { RUN_STATE_RUNNING, RUN_STATE_PAUSED },
    { RUN_STATE_RUNNING, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_RUNNING, RUN_STATE_RESTORE_VM },
    { RUN_STATE_RUNNING, RUN_STATE_SAVE_VM },
    { RUN_STATE_RUNNING, RUN_STATE_SHUTDOWN },
    { RUN_STATE_RUNNING, RUN_STATE_WATCHDOG },
    { RUN_STATE_RUNNING, RUN_STATE_GUEST_PANICKED },
    { RUN_STATE_RUNNING, RUN_STATE_COLO },
    { RUN_STATE_RUNNING, RUN_STATE_SUSPENDED },

    { RUN_STATE_SAVE_VM, RUN_STATE_RUNNING },

    { RUN_STATE_SHUTDOWN, RUN_STATE_PAUSED },
    { RUN_STATE_SHUTDOWN, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_SHUTDOWN, RUN_STATE_PRELAUNCH },
    { RUN_STATE_SHUTDOWN, RUN_STATE_COLO },

    { RUN_STATE_SUSPENDED, RUN_STATE_RUNNING },
    { RUN_STATE_SUSPENDED, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_SUSPENDED, RUN_STATE_PRELAUNCH },
    { RUN_STATE_SUSPENDED, RUN_STATE_COLO },

    { RUN_STATE_WATCHDOG, RUN_STATE_RUNNING },
    { RUN_STATE_WATCHDOG, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_WATCHDOG, RUN_STATE_PRELAUNCH },
    { RUN_STATE_WATCHDOG, RUN_STATE_COLO },

    { RUN_STATE_GUEST_PANICKED, RUN_STATE_RUNNING },
    { RUN_STATE_GUEST_PANICKED, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_GUEST_PANICKED, RUN_STATE_PRELAUNCH },
};

/* [from][to]: filled from runstate_transitions_def by runstate_init(). */
static bool runstate_valid_transitions[RUN_STATE__MAX][RUN_STATE__MAX];

bool runstate_check(RunState state)
{
    return current_run_state == state;
}

RunState runstate_get(void)
{
    return current_run_state;
}

bool runstate_store(char *str, size_t size)
{
    const char *state = RunState_str(current_run_state);
    size_t len = strlen(state) + 1;

    if (len > size) {
        return false;
    }
    memcpy(str, state, len);
    return true;
}

void runstate_init(void)
{
    size_t i;

    memset(runstate_valid_transitions, 0,
           sizeof(runstate_valid_transitions));
    for (i = 0; i < ARRAY_SIZE(runstate_transitions_def); i++) {
        const RunStateTransition *p = &runstate_transitions_def[i];

        runstate_valid_transitions[p->from][p->to] = true;
    }
    qemu_mutex_init(&vmstop_lock);
}

void runstate_set(RunState new_state)
{
    assert(new_state < RUN_STATE__MAX);

    trace_runstate_set(current_run_state, RunState_str(current_run_state),
                       new_state, RunState_str(new_state));
    if (current_run_state == new_state) {
        return;
    }
    if (!runstate_valid_transitions[current_run_state][new_state]) {
        error_report("invalid runstate transition: '%s' -> '%s'",
                     RunState_str(current_run_state),
                     RunState_str(new_state));
        abort();
    }
    current_run_state = new_state;
}

bool runstate_is_running(void)
{
    return runstate_check(RUN_STATE_RUNNING);
}

bool runstate_needs_reset(void)
{
    return runstate_check(RUN_STATE_INTERNAL_ERROR) ||
        runstate_check(RUN_STATE_SHUTDOWN);
}

StatusInfo *qmp_query_status(Error **errp)
{
    StatusInfo *info = g_new0(StatusInfo, 1);

    info->running = runstate_is_running();
    info->singlestep = false;
    info->status = current_run_state;
    return info;
}

/* Change state handlers */

struct VMChangeStateEntry {
    VMChangeStateHandler *cb;
    void *opaque;
    int priority;               /* ascending order in vm_change_state_head */
    QTAILQ_ENTRY(VMChangeStateEntry) entries;
};

static QTAILQ_HEAD(, VMChangeStateEntry) vm_change_state_head =
    QTAILQ_HEAD_INITIALIZER(vm_change_state_head);

VMChangeStateEntry *qemu_add_vm_change_state_handler_prio(
        VMChangeStateHandler *cb, void *opaque, int priority)
{
    VMChangeStateEntry *e = g_new0(VMChangeStateEntry, 1);
    VMChangeStateEntry *other;

    e->cb = cb;
    e->opaque = opaque;
    e->priority = priority;
    QTAILQ_FOREACH(other, &vm_change_state_head, entries) {
        if (priority < other->priority) {
            QTAILQ_INSERT_BEFORE(other, e, entries);
            return e;
        }
    }
    QTAILQ_INSERT_TAIL(&vm_change_state_head, e, entries);
    return e;
}

VMChangeStateEntry *qemu_add_vm_change_state_handler(VMChangeStateHandler *cb,
                                                     void *opaque)
{
    return qemu_add_vm_change_state_handler_prio(cb, opaque, 0);
}

void qemu_del_vm_change_state_handler(VMChangeStateEntry *e)
{
    QTAILQ_REMOVE(&vm_change_state_head, e, entries);
    g_free(e);
}

void vm_state_notify(bool running, RunState state)
{
    VMChangeStateEntry *e, *next;

    trace_vm_state_notify(running, state, RunState_str(state));
    if (running) {
        QTAILQ_FOREACH_SAFE(e, &vm_change_state_head, entries, next) {
            e->cb(e->opaque, running, state);
        }
    } else {
        QTAILQ_FOREACH_REVERSE_SAFE(e, &vm_change_state_head, entries, next) {
            e->cb(e->opaque, running, state);
        }
    }
}

/* Starting and stopping (QEMU's softmmu/cpus.c; there are no vCPUs) */

static int do_vm_stop(RunState state, bool send_stop)
{
    if (runstate_is_running()) {
        runstate_set(state);
        vm_state_notify(false, state);
        if (send_stop) {
            qapi_event_send_stop();
        }
    }
    return 0;
}

int vm_stop(RunState state)
{
    return do_vm_stop(state, true);
}

int vm_shutdown(void)
{
    return do_vm_stop(RUN_STATE_SHUTDOWN, false);
}

int vm_stop_force_state(RunState state)
{
    if (runstate_is_running()) {
        return vm_stop(state);
    }
    runstate_set(state);
    return 0;
}

int vm_prepare_start(bool step_pending)
{
    RunState requested;

    qemu_vmstop_requested(&requested);
    if (runstate_is_running() && requested == RUN_STATE__MAX) {
        return -1;
    }
    /* A pending stop request still gets its STOP/RESUME pair. */
    if (runstate_is_running()) {
        qapi_event_send_stop();
        qapi_event_send_resume();
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

bool qemu_vmstop_requested(RunState *r)
{
    qemu_mutex_lock(&vmstop_lock);
    *r = vmstop_requested;
    vmstop_requested = RUN_STATE__MAX;
    qemu_mutex_unlock(&vmstop_lock);
    return *r < RUN_STATE__MAX;
}

void qemu_system_vmstop_request_prepare(void)
{
    qemu_mutex_lock(&vmstop_lock);
}

/* Called after qemu_system_vmstop_request_prepare(), which took the lock. */
void qemu_system_vmstop_request(RunState state)
{
    vmstop_requested = state;
    qemu_mutex_unlock(&vmstop_lock);
    qemu_notify_event();
}

/* Shutdown */

static NotifierList shutdown_notifiers =
    NOTIFIER_LIST_INITIALIZER(shutdown_notifiers);
static NotifierList exit_notifiers =
    NOTIFIER_LIST_INITIALIZER(exit_notifiers);

/* These are written from signal handlers and other threads. */
static int shutdown_requested;          /* ShutdownCause, 0: none */
static int shutdown_event_sent;         /* SHUTDOWN emitted for it */
static int shutdown_exit_code;
static int shutdown_signal;
static pid_t shutdown_pid;

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
    return qatomic_read(&shutdown_requested);
}

static void qemu_system_shutdown(ShutdownCause cause)
{
    qapi_event_send_shutdown(shutdown_caused_by_guest(cause), cause);
    notifier_list_notify(&shutdown_notifiers, &cause);
}

void qemu_system_shutdown_request_with_code(ShutdownCause reason,
                                            int exit_code)
{
    trace_qemu_system_shutdown_request(reason);
    qatomic_set(&shutdown_exit_code, exit_code);
    if (qemu_mutex_iothread_locked() &&
        !qatomic_xchg(&shutdown_event_sent, 1)) {
        qemu_system_shutdown(reason);
    }
    qatomic_set(&shutdown_requested, reason);
    qemu_notify_event();
}

void qemu_system_shutdown_request(ShutdownCause reason)
{
    qemu_system_shutdown_request_with_code(reason, 0);
}

/* Async-signal-safe; the signal pipe wakes the main loop. */
void qemu_system_killed(int signal, pid_t pid)
{
    shutdown_signal = signal;
    shutdown_pid = pid;
    qatomic_set(&shutdown_requested, SHUTDOWN_CAUSE_HOST_SIGNAL);
}

/* The first word of /proc/PID/cmdline (QEMU's qemu_get_pid_name()). */
static char *get_pid_name(pid_t pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/cmdline", (int)pid);
    char *name = NULL;

    if (!g_file_get_contents(path, &name, NULL, NULL)) {
        return NULL;
    }
    return name;
}

static void qemu_kill_report(void)
{
    if (!qtest_driver() && shutdown_signal) {
        if (shutdown_pid == 0) {
            /* e.g. ^C at the terminal */
            error_report("terminating on signal %d", shutdown_signal);
        } else {
            g_autofree char *cmd = get_pid_name(shutdown_pid);

            error_report("terminating on signal %d from pid %d (%s)",
                         shutdown_signal, (int)shutdown_pid,
                         cmd ? cmd : "<unknown process>");
        }
        shutdown_signal = 0;
    }
}

static bool main_loop_should_exit(int *status)
{
    ShutdownCause request = qatomic_xchg(&shutdown_requested, 0);
    RunState r;

    if (request) {
        qemu_kill_report();
        if (!qatomic_xchg(&shutdown_event_sent, 1)) {
            qemu_system_shutdown(request);
        }
        *status = qatomic_read(&shutdown_exit_code);
        return true;
    }
    if (qemu_vmstop_requested(&r)) {
        vm_stop(r);
    }
    return false;
}

int qemu_main_loop(void)
{
    int status = 0;

    while (!main_loop_should_exit(&status)) {
        main_loop_wait(false);
    }
    return status;
}

/* Signals: a self-pipe turns SIGTERM/SIGINT/SIGHUP into a main loop wakeup */

static int sigpipe_fds[2] = { -1, -1 };

static void termsig_handler(int signal, siginfo_t *info, void *c)
{
    int saved_errno = errno;
    char byte = 0;

    qemu_system_killed(info->si_signo, info->si_pid);
    if (write(sigpipe_fds[1], &byte, 1) < 0) {
        /* the pipe is full: a wakeup is pending anyway */
    }
    errno = saved_errno;
}

static void sigpipe_read(void *opaque)
{
    char buf[64];

    while (read(sigpipe_fds[0], buf, sizeof(buf)) > 0) {
        /* drain */
    }
}

void os_setup_signal_handling(void)
{
    struct sigaction act;

    if (!g_unix_open_pipe(sigpipe_fds, FD_CLOEXEC, NULL)) {
        error_report("cannot create the signal pipe: %s", strerror(errno));
        exit(1);
    }
    g_unix_set_fd_nonblocking(sigpipe_fds[0], true, NULL);
    g_unix_set_fd_nonblocking(sigpipe_fds[1], true, NULL);
    qemu_set_fd_handler(sigpipe_fds[0], sigpipe_read, NULL, NULL);

    memset(&act, 0, sizeof(act));
    act.sa_sigaction = termsig_handler;
    act.sa_flags = SA_SIGINFO;
    sigaction(SIGINT, &act, NULL);
    sigaction(SIGHUP, &act, NULL);
    sigaction(SIGTERM, &act, NULL);

    /* A vanished monitor client must not kill us: writes get EPIPE. */
    memset(&act, 0, sizeof(act));
    act.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &act, NULL);
}
