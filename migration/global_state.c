/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The 'globalstate' section: the source's runstate at switch-over. */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/util.h"
#include "sysemu/runstate.h"
#include "migration/global_state.h"
#include "migration/vmstate.h"
#include "migration.h"

/*
 * A FULL section, version 1: be32 "size" (the name's length plus its NUL,
 * not used on load), then the 100-byte "runstate" buffer holding the
 * QAPI name of the run state the source stopped in, NUL-ended and zero
 * padded.  The destination resumes the VM the way that state says.
 */
typedef struct GlobalStateWire {
    uint32_t size;
    uint8_t runstate[100];
} GlobalStateWire;

static GlobalStateWire gs_wire;     /* sent, or last received */
static bool gs_received;            /* a load carried the section */
static RunState gs_received_state;  /* ... and this state */

static void gs_set(RunState state)
{
    /* Every QAPI run state name fits, with room for its NUL. */
    memset(gs_wire.runstate, 0, sizeof(gs_wire.runstate));
    g_strlcpy((char *)gs_wire.runstate, RunState_str(state),
              sizeof(gs_wire.runstate));
}

int global_state_store(void)
{
    gs_set(runstate_get());
    return 0;
}

void global_state_store_running(void)
{
    gs_set(RUN_STATE_RUNNING);
}

bool global_state_received(void)
{
    return gs_received;
}

RunState global_state_get_runstate(void)
{
    return gs_received_state;
}

/*
 * Sent always, as QEMU does by default (store-global-state); otherwise
 * only when the state is neither of the two a destination assumes.
 */
static bool gs_needed(void *opaque)
{
    const char *name = (const char *)gs_wire.runstate;

    return migrate_get_current()->store_global_state ||
           (g_strcmp0(name, "running") && g_strcmp0(name, "paused"));
}

static int gs_pre_save(void *opaque)
{
    gs_wire.size = strnlen((const char *)gs_wire.runstate,
                           sizeof(gs_wire.runstate)) + 1;
    return 0;
}

static int gs_post_load(void *opaque, int version_id)
{
    Error *err = NULL;
    int state;

    gs_received = true;
    /* A hostile stream may fill all 100 bytes. */
    gs_wire.runstate[sizeof(gs_wire.runstate) - 1] = '\0';
    state = qapi_enum_parse(&RunState_lookup, (const char *)gs_wire.runstate,
                            -1, &err);
    if (state < 0) {
        error_report_err(err);
        return -EINVAL;
    }
    gs_received_state = state;
    return 0;
}

/* The field names and types appear in the stream's JSON trailer. */
static const VMStateField gs_fields[] = {
    VMSTATE_UINT32(size, GlobalStateWire),
    VMSTATE_BUFFER(runstate, GlobalStateWire),
    VMSTATE_END_OF_LIST()
};

static const VMStateDescription gs_vmsd = {
    .name = "globalstate",
    .fields = gs_fields,
    .needed = gs_needed,
    .pre_save = gs_pre_save,
    .post_load = gs_post_load,
    .version_id = 1,
    .minimum_version_id = 1,
};

void register_global_state(void)
{
    memset(gs_wire.runstate, 0, sizeof(gs_wire.runstate));
    gs_received = false;
    vmstate_register(NULL, 0, &gs_vmsd, &gs_wire);
}
