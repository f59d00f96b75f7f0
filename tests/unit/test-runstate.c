/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The run state machine: transitions, start/stop, events, handlers. */
#include "qemu/osdep.h"

#include "qapi/error.h"
#include "qapi/qapi-commands-run-state.h"
#include "qapi/qmp-event.h"
#include "qemu/main-loop.h"
#include "sysemu/runstate.h"
#include "sysemu/sysemu.h"

/* Events emitted, by name, "|"-separated (recorded instead of sent). */
static GString *events;
/* Change state handler calls, e.g. "a+ b+ b- a-" */
static GString *calls;

static void record_event(QAPIEvent event, json_t *qdict)
{
    const char *name = json_string_value(json_object_get(qdict, "event"));

    g_string_append_printf(events, "%s%s", events->len ? "|" : "", name);
}

static void handler(void *opaque, bool running, RunState state)
{
    g_string_append_printf(calls, "%s%s%c", calls->len ? " " : "",
                           (const char *)opaque, running ? '+' : '-');
}

static void reset_logs(void)
{
    g_string_truncate(events, 0);
    g_string_truncate(calls, 0);
}

static void test_start_stop(void)
{
    VMChangeStateEntry *a, *b;

    g_assert_true(runstate_check(RUN_STATE_PRELAUNCH));
    b = qemu_add_vm_change_state_handler_prio(handler, (void *)"b", 1);
    a = qemu_add_vm_change_state_handler(handler, (void *)"a");
    reset_logs();

    vm_start();
    g_assert_true(runstate_is_running());
    g_assert_cmpstr(events->str, ==, "RESUME");
    /* Low priority first when starting, last when stopping */
    g_assert_cmpstr(calls->str, ==, "a+ b+");
    reset_logs();

    vm_start();     /* running already: nothing happens */
    g_assert_cmpstr(events->str, ==, "");
    g_assert_cmpstr(calls->str, ==, "");

    vm_stop(RUN_STATE_PAUSED);
    g_assert_true(runstate_check(RUN_STATE_PAUSED));
    g_assert_false(runstate_is_running());
    g_assert_cmpstr(events->str, ==, "STOP");
    g_assert_cmpstr(calls->str, ==, "b- a-");
    reset_logs();

    vm_stop(RUN_STATE_PAUSED);  /* stopped already: silent */
    g_assert_cmpstr(events->str, ==, "");

    /* A stopped VM can still be moved, without events */
    vm_stop_force_state(RUN_STATE_POSTMIGRATE);
    g_assert_true(runstate_check(RUN_STATE_POSTMIGRATE));
    g_assert_cmpstr(events->str, ==, "");
    vm_start();
    g_assert_cmpstr(events->str, ==, "RESUME");

    qemu_del_vm_change_state_handler(a);
    reset_logs();
    vm_stop(RUN_STATE_FINISH_MIGRATE);
    g_assert_cmpstr(calls->str, ==, "b-");
    qemu_del_vm_change_state_handler(b);
    runstate_set(RUN_STATE_POSTMIGRATE);
    g_assert_false(runstate_needs_reset());
}

static void test_store(void)
{
    char buf[32];
    char tiny[4];

    g_assert_true(runstate_store(buf, sizeof(buf)));
    g_assert_cmpstr(buf, ==, RunState_str(runstate_get()));
    g_assert_false(runstate_store(tiny, sizeof(tiny)));
}

static void test_status(void)
{
    StatusInfo *info = qmp_query_status(&error_abort);

    g_assert_cmpint(info->status, ==, runstate_get());
    g_assert_cmpint(info->running, ==, runstate_is_running());
    g_assert_false(info->singlestep);
    qapi_free_StatusInfo(info);
}

/* QEMU aborts on a transition outside its table: a programming error. */
static void test_invalid_transition(void)
{
    if (g_test_subprocess()) {
        runstate_set(RUN_STATE_PRELAUNCH);
        runstate_set(RUN_STATE_SAVE_VM);
        return;
    }
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*invalid runstate transition: 'prelaunch' -> "
                              "'save-vm'*");
}

/* A stop requested from another thread happens in the main loop. */
static void test_vmstop_request(void)
{
    RunState r;

    runstate_set(RUN_STATE_RUNNING);
    g_assert_false(qemu_vmstop_requested(&r));
    qemu_system_vmstop_request_prepare();
    qemu_system_vmstop_request(RUN_STATE_PAUSED);
    g_assert_true(qemu_vmstop_requested(&r));
    g_assert_cmpint(r, ==, RUN_STATE_PAUSED);
    g_assert_false(qemu_vmstop_requested(&r));
}

/* A notifier that counts its calls and keeps the cause it was told. */
typedef struct CountingNotifier {
    Notifier n;
    int calls;
    ShutdownCause cause;    /* shutdown notifiers get one; exit ones none */
} CountingNotifier;

static void count_notify(Notifier *n, void *data)
{
    CountingNotifier *c = container_of(n, CountingNotifier, n);

    c->calls++;
    c->cause = data ? *(ShutdownCause *)data : SHUTDOWN_CAUSE_NONE;
}

/*
 * A shutdown request: SHUTDOWN and the shutdown notifiers once, then the
 * main loop returns; the exit notifiers run when told.  Last: it leaves
 * the process shut down.
 */
static void test_shutdown_and_exit(void)
{
    CountingNotifier down = { .n.notify = count_notify };
    CountingNotifier ex = { .n.notify = count_notify };

    reset_logs();
    qemu_register_shutdown_notifier(&down.n);
    g_assert_cmpint(qemu_shutdown_requested_get(), ==, SHUTDOWN_CAUSE_NONE);
    qemu_system_shutdown_request(SHUTDOWN_CAUSE_HOST_QMP_QUIT);
    g_assert_cmpint(qemu_shutdown_requested_get(), ==,
                    SHUTDOWN_CAUSE_HOST_QMP_QUIT);
    g_assert_cmpstr(events->str, ==, "SHUTDOWN");
    g_assert_cmpint(down.calls, ==, 1);
    g_assert_cmpint(down.cause, ==, SHUTDOWN_CAUSE_HOST_QMP_QUIT);

    g_assert_cmpint(qemu_main_loop(), ==, 0);
    g_assert_cmpint(qemu_shutdown_requested_get(), ==, SHUTDOWN_CAUSE_NONE);
    g_assert_cmpstr(events->str, ==, "SHUTDOWN");
    g_assert_cmpint(down.calls, ==, 1);

    qemu_add_exit_notifier(&ex.n);
    qemu_run_exit_notifiers();
    g_assert_cmpint(ex.calls, ==, 1);
    qemu_remove_exit_notifier(&ex.n);
    qemu_run_exit_notifiers();
    g_assert_cmpint(ex.calls, ==, 1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    events = g_string_new(NULL);
    qapi_event_set_emitter(record_event);
    calls = g_string_new(NULL);
    qemu_init_main_loop(&error_abort);
    qemu_mutex_lock_iothread();
    runstate_init();
    g_test_add_func("/runstate/start-stop", test_start_stop);
    g_test_add_func("/runstate/store", test_store);
    g_test_add_func("/runstate/status", test_status);
    g_test_add_func("/runstate/invalid-transition", test_invalid_transition);
    g_test_add_func("/runstate/vmstop-request", test_vmstop_request);
    g_test_add_func("/runstate/shutdown-and-exit", test_shutdown_and_exit);
    return g_test_run();
}
