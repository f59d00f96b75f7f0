/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The 'globalstate' section: the source's runstate at switch-over. */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/util.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "sysemu/runstate.h"
#include "migration/global_state.h"
#include "migration/vmstate.h"
#include "migration.h"

/*
 * Wire format (version 1): be32 size (strlen + 1, informational), then
 * 100 bytes: the NUL-terminated RunState name, zero padded.
 */
typedef struct {
    uint32_t size;
    uint8_t runstate[100];
    RunState state;      /* parsed runstate of the last load */
    bool received;       /* the last incoming stream had the section */
} GlobalState;

static GlobalState global_state;

static void global_state_do_store(RunState state)
{
    const char *state_str = RunState_str(state);

    assert(strlen(state_str) < sizeof(global_state.runstate));
    memset(global_state.runstate, 0, sizeof(global_state.runstate));
    memcpy(global_state.runstate, state_str, strlen(state_str));
}

int global_state_store(void)
{
    global_state_do_store(runstate_get());
    return 0;
}

void global_state_store_running(void)
{
    global_state_do_store(RUN_STATE_RUNNING);
}

bool global_state_received(void)
{
    return global_state.received;
}

RunState global_state_get_runstate(void)
{
    return global_state.state;
}

static bool global_state_needed(void *opaque)
{
    GlobalState *s = opaque;
    char *runstate = (char *)s->runstate;

    if (migrate_get_current()->store_global_state) {
        return true;
    }
    /* Running and paused are the defaults a destination assumes. */
    return strcmp(runstate, "running") != 0 && strcmp(runstate, "paused") != 0;
}

static int global_state_post_load(void *opaque, int version_id)
{
    GlobalState *s = opaque;
    Error *local_err = NULL;
    int r;
    char *runstate = (char *)s->runstate;

    s->received = true;
    /* A hostile stream may leave no NUL in the buffer. */
    s->runstate[sizeof(s->runstate) - 1] = '\0';
    r = qapi_enum_parse(&RunState_lookup, runstate, -1, &local_err);
    if (r == -1) {
        if (local_err) {
            error_report_err(local_err);
        }
        return -EINVAL;
    }
    s->state = r;
    return 0;
}

static int global_state_pre_save(void *opaque)
{
    GlobalState *s = opaque;

    s->size = strnlen((char *)s->runstate, sizeof(s->runstate)) + 1;
    return 0;
}

static const VMStateDescription vmstate_globalstate = {
    .name = "globalstate",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = global_state_post_load,
    .pre_save = global_state_pre_save,
    .needed = global_state_needed,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32(size, GlobalState),
        VMSTATE_BUFFER(runstate, GlobalState),
        VMSTATE_END_OF_LIST()
    },
};

void register_global_state(void)
{
    memset(global_state.runstate, 0, sizeof(global_state.runstate));
    global_state.received = false;
    vmstate_register(NULL, 0, &vmstate_globalstate, &global_state);
}
