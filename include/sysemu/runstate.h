/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VM run state machine, vm_start/vm_stop and shutdown requests. */
#ifndef SYSEMU_RUNSTATE_H
#define SYSEMU_RUNSTATE_H

#include "qapi/qapi-types-run-state.h"
#include "qemu/notify.h"

RunState runstate_get(void);
/* Is the current run state @state? */
bool runstate_check(RunState state);
/* True only in RUN_STATE_RUNNING. */
bool runstate_is_running(void);
/* True in internal-error and shutdown: 'cont' is refused. */
bool runstate_needs_reset(void);
/* Copy the current state's name into @str; false if @size is too small. */
bool runstate_store(char *str, size_t size);
/*
 * Move to @new_state.  Setting the current state is a no-op; a
 * transition outside QEMU 7.2's table is a programming error (abort).
 */
void runstate_set(RunState new_state);

typedef void VMChangeStateHandler(void *opaque, bool running, RunState state);

/**
 * qemu_add_vm_change_state_handler_prio:
 * @cb: called with the BQL held whenever the VM starts or stops running
 * @opaque: passed to @cb
 * @priority: low priorities run first when the VM starts, last when it
 *            stops
 *
 * Returns: an entry for qemu_del_vm_change_state_handler().
 */
VMChangeStateEntry *qemu_add_vm_change_state_handler_prio(
        VMChangeStateHandler *cb, void *opaque, int priority);
/* The same, at priority 0. */
VMChangeStateEntry *qemu_add_vm_change_state_handler(VMChangeStateHandler *cb,
                                                     void *opaque);
void qemu_del_vm_change_state_handler(VMChangeStateEntry *e);
/* Call every change state handler (in priority order for @running). */
void vm_state_notify(bool running, RunState state);

/*
 * Whether the guest asked for @cause (SHUTDOWN's "guest" member): the
 * QAPI enum lists the host's causes first, the guest's after them.
 */
static inline bool shutdown_caused_by_guest(ShutdownCause cause)
{
    return cause > SHUTDOWN_CAUSE_HOST_UI;
}

/*
 * Start the VM: emit RESUME, go to running and notify handlers.  A
 * running VM is left alone.  Called with the BQL held.
 */
void vm_start(void);
/*
 * The first half of vm_start().  Returns: 0 if the VM was started, -1
 * if it was running already.
 */
int vm_prepare_start(bool step_pending);
/*
 * Stop a running VM: go to @state, notify handlers and emit STOP.  A VM
 * that is not running stays in its state.  Returns: 0.
 */
int vm_stop(RunState state);
/* Like vm_stop(), but also move a stopped VM to @state. */
int vm_stop_force_state(RunState state);
/* Stop the VM for process exit (no STOP event). */
int vm_shutdown(void);

/*
 * Ask the main loop to shut down the process.  The SHUTDOWN event is
 * emitted right away when called with the BQL held (so that it precedes
 * the reply of the 'quit' command that caused it, as in QEMU), else by
 * the main loop.  Safe from any thread.
 */
void qemu_system_shutdown_request(ShutdownCause reason);
void qemu_register_shutdown_notifier(Notifier *notifier);
/* Ask the main loop to stop the VM into @reason (any thread). */
void qemu_system_vmstop_request(RunState reason);
void qemu_system_vmstop_request_prepare(void);
bool qemu_vmstop_requested(RunState *r);
ShutdownCause qemu_shutdown_requested_get(void);
/* Async-signal-safe: record a terminating signal and request shutdown. */
void qemu_system_killed(int signal, pid_t pid);

/* Set up the run state machine and signal handling (once, from vl.c). */
void runstate_init(void);

#endif /* SYSEMU_RUNSTATE_H */
