/* SPDX-License-Identifier: GPL-2.0-or-later */
/* savevm: section registry, stream framing, commands and the loader. */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/atomic.h"
#include "qemu/cutils.h"
#include "qemu/queue.h"
#include "qemu/thread.h"
#include "block/block.h"
#include "sysemu/runstate.h"
#include "sysemu/sysemu.h"
#include "migration/register.h"
#include "migration/vmstate.h"
#include "migration/global_state.h"
#include "migration.h"
#include "qemu-file.h"
#include "savevm.h"
#include "trace.h"

/* One registered section: live (ops) or vmstate (vmsd). */
typedef struct SaveStateEntry {
    QTAILQ_ENTRY(SaveStateEntry) entry;
    char idstr[256];
    uint32_t instance_id;
    int version_id;                 /* local version */
    int load_version_id;            /* version in the incoming stream */
    int section_id;                 /* id we send */
    int load_section_id;            /* id the incoming stream uses, or 0 */
    const SaveVMHandlers *ops;
    const VMStateDescription *vmsd;
    void *opaque;
} SaveStateEntry;

typedef struct SaveState {
    QTAILQ_HEAD(, SaveStateEntry) handlers;
    int global_section_id;          /* next section id to hand out */
    uint32_t len;                   /* configuration: machine name length */
    char name[256];                 /* configuration: first 255 bytes */
    uint32_t target_page_bits;      /* configuration subsection */
    uint32_t caps_count;            /* configuration subsection */
    bool caps_ignore_shared;        /* x-ignore-shared in received caps */
    uint8_t uuid[16];               /* configuration subsection */
} SaveState;

static SaveState savevm_state = {
    .handlers = QTAILQ_HEAD_INITIALIZER(savevm_state.handlers),
    .global_section_id = 0,
};

/* Target page size of x86_64: 4 KiB. */
#define TARGET_PAGE_BITS 12

static PostcopyState incoming_postcopy_state;

PostcopyState postcopy_state_get(void)
{
    return qatomic_load_acquire(&incoming_postcopy_state);
}

PostcopyState postcopy_state_set(PostcopyState new_state)
{
    return qatomic_xchg(&incoming_postcopy_state, new_state);
}

/* Registry */

static void savevm_state_handler_insert(SaveStateEntry *nse)
{
    QTAILQ_INSERT_TAIL(&savevm_state.handlers, nse, entry);
}

int register_savevm_live(const char *idstr,
                         uint32_t instance_id,
                         int version_id,
                         const SaveVMHandlers *ops,
                         void *opaque)
{
    SaveStateEntry *se = g_new0(SaveStateEntry, 1);

    assert(strlen(idstr) < sizeof(se->idstr));
    pstrcpy(se->idstr, sizeof(se->idstr), idstr);
    se->version_id = version_id;
    se->section_id = savevm_state.global_section_id++;
    se->ops = ops;
    se->opaque = opaque;
    se->instance_id = instance_id;
    savevm_state_handler_insert(se);
    return 0;
}

void unregister_savevm(VMStateIf *obj, const char *idstr, void *opaque)
{
    SaveStateEntry *se, *new_se;

    QTAILQ_FOREACH_SAFE(se, &savevm_state.handlers, entry, new_se) {
        if (strcmp(se->idstr, idstr) == 0 && se->opaque == opaque) {
            QTAILQ_REMOVE(&savevm_state.handlers, se, entry);
            g_free(se);
        }
    }
}

int vmstate_register(VMStateIf *obj, uint32_t instance_id,
                     const VMStateDescription *vmsd, void *opaque)
{
    SaveStateEntry *se = g_new0(SaveStateEntry, 1);

    assert(strlen(vmsd->name) < sizeof(se->idstr));
    pstrcpy(se->idstr, sizeof(se->idstr), vmsd->name);
    se->version_id = vmsd->version_id;
    se->section_id = savevm_state.global_section_id++;
    se->opaque = opaque;
    se->vmsd = vmsd;
    se->instance_id = instance_id;
    savevm_state_handler_insert(se);
    return 0;
}

void vmstate_unregister(VMStateIf *obj, const VMStateDescription *vmsd,
                        void *opaque)
{
    SaveStateEntry *se, *new_se;

    QTAILQ_FOREACH_SAFE(se, &savevm_state.handlers, entry, new_se) {
        if (se->vmsd == vmsd && se->opaque == opaque) {
            QTAILQ_REMOVE(&savevm_state.handlers, se, entry);
            g_free(se);
        }
    }
}

void savevm_skip_section_id(void)
{
    savevm_state.global_section_id++;
}

int savevm_peek_section_id(void)
{
    return savevm_state.global_section_id;
}

void savevm_state_reset_for_test(void)
{
    SaveStateEntry *se;

    MigrationIncomingState *mis = migration_incoming_get_current();

    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        se->load_section_id = 0;
        se->load_version_id = 0;
    }
    postcopy_state_set(POSTCOPY_INCOMING_NONE);
    mis->listen_held = false;
    mis->have_listen_thread = false;
}

/* The configuration element (vmstate "configuration", version 1). */

static int get_machine_name(QEMUFile *f, void *pv, size_t size,
                            const VMStateField *field)
{
    SaveState *s = pv;
    uint32_t keep;
    uint8_t skip[256];
    uint32_t left;

    s->len = qemu_get_be32(f);
    /* Keep at most 255 bytes; longer names are read and dropped. */
    keep = MIN(s->len, (uint32_t)sizeof(s->name) - 1);
    memset(s->name, 0, sizeof(s->name));
    qemu_get_buffer(f, (uint8_t *)s->name, keep);
    left = s->len - keep;
    while (left > 0 && !qemu_file_get_error(f)) {
        uint32_t n = MIN(left, (uint32_t)sizeof(skip));

        qemu_get_buffer(f, skip, n);
        left -= n;
    }
    return qemu_file_get_error(f);
}

static int put_machine_name(QEMUFile *f, void *pv, size_t size,
                            const VMStateField *field)
{
    const char *name = current_machine_type();

    qemu_put_be32(f, strlen(name));
    qemu_put_buffer(f, (const uint8_t *)name, strlen(name));
    return 0;
}

static const VMStateInfo vmstate_info_machine_name = {
    .name = "machine_name",
    .get = get_machine_name,
    .put = put_machine_name,
};

static int configuration_pre_load(void *opaque)
{
    SaveState *state = opaque;

    state->target_page_bits = TARGET_PAGE_BITS;
    state->caps_count = 0;
    state->caps_ignore_shared = false;
    return 0;
}

static int configuration_post_load(void *opaque, int version_id)
{
    SaveState *state = opaque;
    const char *current_name = current_machine_type();
    size_t cmp = MIN(state->len, (uint32_t)sizeof(state->name));

    if (strncmp(state->name, current_name, cmp) != 0) {
        error_report("Machine type received is '%.*s' and local is '%s'",
                     (int)MIN(state->len, 255), state->name, current_name);
        return -EINVAL;
    }
    if (state->target_page_bits != TARGET_PAGE_BITS) {
        error_report("Received TARGET_PAGE_BITS is %d but local is %d",
                     state->target_page_bits, TARGET_PAGE_BITS);
        return -EINVAL;
    }
    if (state->caps_ignore_shared != migrate_ignore_shared()) {
        error_report("Capability %s is %s, but received capability is %s",
                     "x-ignore-shared",
                     migrate_ignore_shared() ? "on" : "off",
                     state->caps_ignore_shared ? "on" : "off");
        return -EINVAL;
    }
    return 0;
}

static int configuration_pre_save(void *opaque)
{
    SaveState *state = opaque;

    state->target_page_bits = TARGET_PAGE_BITS;
    return 0;
}

static bool vmstate_target_page_bits_needed(void *opaque)
{
    /* x86_64 never varies its target page size. */
    return false;
}

static const VMStateDescription vmstate_target_page_bits = {
    .name = "configuration/target-page-bits",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vmstate_target_page_bits_needed,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32(target_page_bits, SaveState),
        VMSTATE_END_OF_LIST()
    }
};

/* Capabilities whose value must match between source and destination. */
static int get_validated_caps(QEMUFile *f, void *pv, size_t size,
                              const VMStateField *field)
{
    SaveState *s = pv;
    char name[256];

    s->caps_count = qemu_get_be32(f);
    /* Bounded: each name is at least one byte, at most 256. */
    for (uint32_t i = 0; i < s->caps_count; i++) {
        if (!qemu_get_counted_string(f, name)) {
            return qemu_file_get_error(f) ?: -EINVAL;
        }
        if (strcmp(name, "x-ignore-shared") == 0) {
            s->caps_ignore_shared = true;
        } else {
            error_report("Received unknown capability %s", name);
            return -EINVAL;
        }
    }
    return 0;
}

static int put_validated_caps(QEMUFile *f, void *pv, size_t size,
                              const VMStateField *field)
{
    qemu_put_be32(f, 1);
    qemu_put_counted_string(f, "x-ignore-shared");
    return 0;
}

static const VMStateInfo vmstate_info_capabilities = {
    .name = "capability",
    .get = get_validated_caps,
    .put = put_validated_caps,
};

static bool vmstate_capabilites_needed(void *opaque)
{
    return migrate_ignore_shared();
}

static const VMStateDescription vmstate_capabilites = {
    .name = "configuration/capabilities",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vmstate_capabilites_needed,
    .fields = (VMStateField[]) {
        {
            .name = "capabilities",
            .info = &vmstate_info_capabilities,
            .flags = VMS_SINGLE,
            .num = 1,
        },
        VMSTATE_END_OF_LIST()
    }
};

static int vmstate_uuid_post_load(void *opaque, int version_id)
{
    SaveState *state = opaque;
    const uint8_t *u = state->uuid;

    /* minivmm has no -uuid: QEMU only warns in that case. */
    warn_report("UUID is received %02x%02x%02x%02x-%02x%02x-%02x%02x-"
                "%02x%02x-%02x%02x%02x%02x%02x%02x, but local uuid isn't set",
                u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
                u[10], u[11], u[12], u[13], u[14], u[15]);
    return 0;
}

static bool vmstate_uuid_needed(void *opaque)
{
    return false;
}

static const VMStateDescription vmstate_uuid = {
    .name = "configuration/uuid",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vmstate_uuid_needed,
    .post_load = vmstate_uuid_post_load,
    .fields = (VMStateField[]) {
        VMSTATE_BUFFER(uuid, SaveState),
        VMSTATE_END_OF_LIST()
    }
};

static const VMStateDescription vmstate_configuration = {
    .name = "configuration",
    .version_id = 1,
    .minimum_version_id = 0,  /* QEMU loads it as version 0 */
    .pre_load = configuration_pre_load,
    .post_load = configuration_post_load,
    .pre_save = configuration_pre_save,
    .fields = (VMStateField[]) {
        {
            .name = "name",
            .info = &vmstate_info_machine_name,
            .flags = VMS_SINGLE,
            .num = 1,
        },
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *[]) {
        &vmstate_target_page_bits,
        &vmstate_capabilites,
        &vmstate_uuid,
        NULL
    }
};

/* Source side */

static void save_section_header(QEMUFile *f, SaveStateEntry *se,
                                uint8_t section_type)
{
    qemu_put_byte(f, section_type);
    qemu_put_be32(f, se->section_id);
    if (section_type == QEMU_VM_SECTION_FULL ||
        section_type == QEMU_VM_SECTION_START) {
        qemu_put_counted_string(f, se->idstr);
        qemu_put_be32(f, se->instance_id);
        qemu_put_be32(f, se->version_id);
    }
}

static void save_section_footer(QEMUFile *f, SaveStateEntry *se)
{
    if (migrate_get_current()->send_section_footer) {
        qemu_put_byte(f, QEMU_VM_SECTION_FOOTER);
        qemu_put_be32(f, se->section_id);
    }
}

static bool se_is_active(SaveStateEntry *se)
{
    return !se->ops || !se->ops->is_active || se->ops->is_active(se->opaque);
}

void qemu_savevm_state_header(QEMUFile *f)
{
    qemu_put_be32(f, QEMU_VM_FILE_MAGIC);
    qemu_put_be32(f, QEMU_VM_FILE_VERSION);
    if (migrate_get_current()->send_configuration) {
        qemu_put_byte(f, QEMU_VM_CONFIGURATION);
        vmstate_save_state(f, &vmstate_configuration, &savevm_state, NULL);
    }
}

void qemu_savevm_state_setup(QEMUFile *f)
{
    SaveStateEntry *se;
    int ret;

    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        if (!se->ops || !se->ops->save_setup || !se_is_active(se)) {
            continue;
        }
        trace_savevm_section_start(se->idstr, se->section_id);
        save_section_header(f, se, QEMU_VM_SECTION_START);
        ret = se->ops->save_setup(f, se->opaque);
        trace_savevm_section_end(se->idstr, se->section_id, ret);
        save_section_footer(f, se);
        if (ret < 0) {
            qemu_file_set_error(f, ret);
            break;
        }
    }
}

int qemu_savevm_state_iterate(QEMUFile *f, bool postcopy)
{
    SaveStateEntry *se;
    int ret = 1;

    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        if (!se->ops || !se->ops->save_live_iterate || !se_is_active(se)) {
            continue;
        }
        if (se->ops->is_active_iterate &&
            !se->ops->is_active_iterate(se->opaque)) {
            continue;
        }
        /*
         * In postcopy, handlers that cannot postcopy already sent their
         * END section at switch-over.
         */
        if (postcopy &&
            !(se->ops->has_postcopy && se->ops->has_postcopy(se->opaque))) {
            continue;
        }
        if (qemu_file_rate_limit(f)) {
            return 0;
        }
        trace_savevm_section_start(se->idstr, se->section_id);
        save_section_header(f, se, QEMU_VM_SECTION_PART);
        ret = se->ops->save_live_iterate(f, se->opaque);
        trace_savevm_section_end(se->idstr, se->section_id, ret);
        save_section_footer(f, se);
        if (ret < 0) {
            error_report("failed to save SaveStateEntry with id(name): "
                         "%d(%s): %d", se->section_id, se->idstr, ret);
            qemu_file_set_error(f, ret);
        }
        if (ret <= 0) {
            /* One handler at a time until it reports completion. */
            break;
        }
    }
    return ret;
}

void qemu_savevm_state_complete_postcopy(QEMUFile *f)
{
    SaveStateEntry *se;
    int ret;

    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        if (!se->ops || !se->ops->save_live_complete_postcopy ||
            !se_is_active(se)) {
            continue;
        }
        qemu_put_byte(f, QEMU_VM_SECTION_END);
        qemu_put_be32(f, se->section_id);
        ret = se->ops->save_live_complete_postcopy(f, se->opaque);
        save_section_footer(f, se);
        if (ret < 0) {
            qemu_file_set_error(f, ret);
            return;
        }
    }
    qemu_put_byte(f, QEMU_VM_EOF);
    qemu_fflush(f);
}

static int qemu_savevm_state_complete_precopy_iterable(QEMUFile *f,
                                                       bool in_postcopy)
{
    SaveStateEntry *se;
    int ret;

    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        if (!se->ops || !se->ops->save_live_complete_precopy ||
            (in_postcopy && se->ops->has_postcopy &&
             se->ops->has_postcopy(se->opaque))) {
            continue;
        }
        if (!se_is_active(se)) {
            continue;
        }
        trace_savevm_section_start(se->idstr, se->section_id);
        save_section_header(f, se, QEMU_VM_SECTION_END);
        ret = se->ops->save_live_complete_precopy(f, se->opaque);
        trace_savevm_section_end(se->idstr, se->section_id, ret);
        save_section_footer(f, se);
        if (ret < 0) {
            qemu_file_set_error(f, ret);
            return -1;
        }
    }
    return 0;
}

/* Postcopy streams and suppress-vmdesc carry no JSON trailer. */
static bool should_send_vmdesc(void)
{
    return !migration_in_postcopy();
}

int qemu_savevm_state_complete_precopy_non_iterable(QEMUFile *f,
                                                    bool in_postcopy,
                                                    bool inactivate_disks)
{
    g_autoptr(GString) vmdesc = g_string_new("{\"page_size\": 4096, "
                                             "\"devices\": [");
    SaveStateEntry *se;
    bool first = true;
    int ret;

    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        if ((!se->ops || !se->ops->save_state) && !se->vmsd) {
            continue;
        }
        if (se->vmsd && !vmstate_save_needed(se->vmsd, se->opaque)) {
            continue;
        }
        g_string_append_printf(vmdesc, "%s{\"name\": \"%s\", "
                               "\"instance_id\": %" PRIu32 ", ",
                               first ? "" : ", ", se->idstr,
                               se->instance_id);
        first = false;
        save_section_header(f, se, QEMU_VM_SECTION_FULL);
        if (se->vmsd) {
            ret = vmstate_save_state(f, se->vmsd, se->opaque, vmdesc);
        } else {
            se->ops->save_state(f, se->opaque);
            g_string_append_printf(vmdesc, "\"vmsd_name\": \"%s\", "
                                   "\"version\": %d, \"fields\": []",
                                   se->idstr, se->version_id);
            ret = 0;
        }
        g_string_append(vmdesc, "}");
        if (ret) {
            qemu_file_set_error(f, ret);
            return ret;
        }
        save_section_footer(f, se);
    }
    g_string_append(vmdesc, "]}");

    if (inactivate_disks) {
        /* Hand block nodes over to the destination. */
        ret = bdrv_inactivate_all();
        if (ret) {
            error_report("%s: bdrv_inactivate_all() failed (%d)",
                         __func__, ret);
            qemu_file_set_error(f, ret);
            return ret;
        }
        migrate_get_current()->block_inactive = true;
    }
    if (!in_postcopy) {
        /* Postcopy streams go on after the package. */
        qemu_put_byte(f, QEMU_VM_EOF);
    }
    if (!in_postcopy && should_send_vmdesc()) {
        qemu_put_byte(f, QEMU_VM_VMDESCRIPTION);
        qemu_put_be32(f, vmdesc->len);
        qemu_put_buffer(f, (const uint8_t *)vmdesc->str, vmdesc->len);
    }
    return 0;
}

int qemu_savevm_state_complete_precopy(QEMUFile *f, bool iterable_only,
                                       bool inactivate_disks)
{
    bool in_postcopy = migration_in_postcopy();
    int ret;

    if (!in_postcopy || iterable_only) {
        ret = qemu_savevm_state_complete_precopy_iterable(f, in_postcopy);
        if (ret) {
            return ret;
        }
    }
    if (!iterable_only) {
        ret = qemu_savevm_state_complete_precopy_non_iterable(
            f, in_postcopy, inactivate_disks);
        if (ret) {
            return ret;
        }
    }
    qemu_fflush(f);
    return qemu_file_get_error(f);
}

void qemu_savevm_state_pending(QEMUFile *f, uint64_t threshold_size,
                               uint64_t *res_precopy_only,
                               uint64_t *res_compatible,
                               uint64_t *res_postcopy_only)
{
    SaveStateEntry *se;

    *res_precopy_only = 0;
    *res_compatible = 0;
    *res_postcopy_only = 0;
    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        if (!se->ops || !se->ops->save_live_pending || !se_is_active(se)) {
            continue;
        }
        se->ops->save_live_pending(f, se->opaque, threshold_size,
                                   res_precopy_only, res_compatible,
                                   res_postcopy_only);
    }
}

void qemu_savevm_state_cleanup(void)
{
    SaveStateEntry *se;

    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        if (se->ops && se->ops->save_cleanup) {
            se->ops->save_cleanup(se->opaque);
        }
    }
}

/* Commands (QEMU_VM_COMMAND) */

enum qemu_vm_cmd {
    MIG_CMD_INVALID = 0,
    MIG_CMD_OPEN_RETURN_PATH,
    MIG_CMD_PING,
    MIG_CMD_POSTCOPY_ADVISE,
    MIG_CMD_POSTCOPY_LISTEN,
    MIG_CMD_POSTCOPY_RUN,
    MIG_CMD_POSTCOPY_RAM_DISCARD,
    MIG_CMD_PACKAGED,
    MIG_CMD_ENABLE_COLO,
    MIG_CMD_POSTCOPY_RESUME,
    MIG_CMD_RECV_BITMAP,
    MIG_CMD_MAX
};

/* Payload length of each command, -1 when variable. */
static const struct {
    int len;
    const char *name;
} mig_cmd_args[] = {
    [MIG_CMD_INVALID] = { .len = -1, .name = "INVALID" },
    [MIG_CMD_OPEN_RETURN_PATH] = { .len = 0, .name = "OPEN_RETURN_PATH" },
    [MIG_CMD_PING] = { .len = sizeof(uint32_t), .name = "PING" },
    [MIG_CMD_POSTCOPY_ADVISE] = { .len = -1, .name = "POSTCOPY_ADVISE" },
    [MIG_CMD_POSTCOPY_LISTEN] = { .len = 0, .name = "POSTCOPY_LISTEN" },
    [MIG_CMD_POSTCOPY_RUN] = { .len = 0, .name = "POSTCOPY_RUN" },
    [MIG_CMD_POSTCOPY_RAM_DISCARD] = {
        .len = -1, .name = "POSTCOPY_RAM_DISCARD" },
    [MIG_CMD_PACKAGED] = { .len = 4, .name = "PACKAGED" },
    [MIG_CMD_ENABLE_COLO] = { .len = 0, .name = "ENABLE_COLO" },
    [MIG_CMD_POSTCOPY_RESUME] = { .len = 0, .name = "POSTCOPY_RESUME" },
    [MIG_CMD_RECV_BITMAP] = { .len = -1, .name = "RECV_BITMAP" },
};

static void qemu_savevm_command_send(QEMUFile *f, enum qemu_vm_cmd command,
                                     uint16_t len, const uint8_t *data)
{
    qemu_put_byte(f, QEMU_VM_COMMAND);
    qemu_put_be16(f, command);
    qemu_put_be16(f, len);
    qemu_put_buffer(f, data, len);
    qemu_fflush(f);
}

void qemu_savevm_send_ping(QEMUFile *f, uint32_t value)
{
    uint8_t buf[4] = { value >> 24, value >> 16, value >> 8, value };

    qemu_savevm_command_send(f, MIG_CMD_PING, sizeof(buf), buf);
}

void qemu_savevm_send_open_return_path(QEMUFile *f)
{
    qemu_savevm_command_send(f, MIG_CMD_OPEN_RETURN_PATH, 0, NULL);
}

int qemu_savevm_send_packaged(QEMUFile *f, const uint8_t *buf, size_t len)
{
    uint8_t lenbuf[4] = { len >> 24, len >> 16, len >> 8, len };

    if (len > MAX_VM_CMD_PACKAGED_SIZE) {
        error_report("%s: Unreasonably large packaged state: %zu",
                     __func__, len);
        return -1;
    }
    qemu_savevm_command_send(f, MIG_CMD_PACKAGED, 4, lenbuf);
    qemu_put_buffer(f, buf, len);
    qemu_fflush(f);
    return 0;
}

void qemu_savevm_send_postcopy_advise(QEMUFile *f)
{
    /* Without postcopy-ram the advise carries no page sizes. */
    qemu_savevm_command_send(f, MIG_CMD_POSTCOPY_ADVISE, 0, NULL);
}

void qemu_savevm_send_postcopy_listen(QEMUFile *f)
{
    qemu_savevm_command_send(f, MIG_CMD_POSTCOPY_LISTEN, 0, NULL);
}

void qemu_savevm_send_postcopy_run(QEMUFile *f)
{
    qemu_savevm_command_send(f, MIG_CMD_POSTCOPY_RUN, 0, NULL);
}

/* Destination side */

static SaveStateEntry *find_se(const char *idstr, uint32_t instance_id)
{
    SaveStateEntry *se;

    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        if (!strcmp(se->idstr, idstr) && se->instance_id == instance_id) {
            return se;
        }
    }
    return NULL;
}

/*
 * Run @se's loader; with the BQL unless the caller holds it already, or
 * is the postcopy listen thread.  As in QEMU, the listen thread loads
 * without the BQL (the dirty-bitmap loader has its own locks): its reads
 * wait on a rate-limited source while the destination VM runs, and the
 * BQL held across them would stall the monitor.
 */
static __thread bool in_listen_thread;

static int vmstate_load(QEMUFile *f, SaveStateEntry *se)
{
    bool lock = !qemu_mutex_iothread_locked() && !in_listen_thread;
    int ret;

    if (lock) {
        qemu_mutex_lock_iothread();
    }
    if (!se->vmsd) {
        ret = se->ops->load_state(f, se->opaque, se->load_version_id);
    } else {
        ret = vmstate_load_state(f, se->vmsd, se->opaque,
                                 se->load_version_id);
    }
    if (lock) {
        qemu_mutex_unlock_iothread();
    }
    return ret;
}

static bool check_section_footer(QEMUFile *f, SaveStateEntry *se)
{
    uint8_t read_mark;
    uint32_t read_section_id;
    int ret;

    if (!migrate_get_current()->send_section_footer) {
        return true;
    }
    read_mark = qemu_get_byte(f);
    ret = qemu_file_get_error(f);
    if (ret) {
        error_report("%s: Read section footer failed: %d", __func__, ret);
        return false;
    }
    if (read_mark != QEMU_VM_SECTION_FOOTER) {
        error_report("Missing section footer for %s", se->idstr);
        return false;
    }
    read_section_id = qemu_get_be32(f);
    if (read_section_id != se->load_section_id) {
        error_report("Mismatched section id in footer for %s -"
                     " read 0x%x expected 0x%x",
                     se->idstr, read_section_id, se->load_section_id);
        return false;
    }
    return true;
}

static int qemu_loadvm_section_start_full(QEMUFile *f,
                                          MigrationIncomingState *mis)
{
    uint32_t instance_id, version_id, section_id;
    SaveStateEntry *se;
    char idstr[256];
    int ret;

    section_id = qemu_get_be32(f);
    if (!qemu_get_counted_string(f, idstr)) {
        error_report("Unable to read ID string for section %u", section_id);
        return -EINVAL;
    }
    instance_id = qemu_get_be32(f);
    version_id = qemu_get_be32(f);
    ret = qemu_file_get_error(f);
    if (ret) {
        error_report("%s: Failed to read instance/version ID: %d",
                     __func__, ret);
        return ret;
    }
    se = find_se(idstr, instance_id);
    if (!se) {
        error_report("Unknown savevm section or instance '%s' %" PRIu32 ". "
                     "Make sure that your current VM setup matches your "
                     "saved VM setup, including any hotplugged devices",
                     idstr, instance_id);
        return -EINVAL;
    }
    if (version_id > se->version_id) {
        error_report("savevm: unsupported version %d for '%s' v%d",
                     version_id, idstr, se->version_id);
        return -EINVAL;
    }
    se->load_version_id = version_id;
    se->load_section_id = section_id;

    ret = vmstate_load(f, se);
    if (ret < 0) {
        error_report("error while loading state for instance 0x%" PRIx32
                     " of device '%s'", instance_id, idstr);
        return ret;
    }
    if (!check_section_footer(f, se)) {
        return -EINVAL;
    }
    return 0;
}

static int qemu_loadvm_section_part_end(QEMUFile *f,
                                        MigrationIncomingState *mis)
{
    uint32_t section_id;
    SaveStateEntry *se;
    int ret;

    section_id = qemu_get_be32(f);
    ret = qemu_file_get_error(f);
    if (ret) {
        error_report("%s: Failed to read section ID: %d", __func__, ret);
        return ret;
    }
    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        if (se->load_section_id == section_id) {
            break;
        }
    }
    if (se == NULL) {
        error_report("Unknown savevm section %d", section_id);
        return -EINVAL;
    }
    ret = vmstate_load(f, se);
    if (ret < 0) {
        error_report("error while loading state section id %d(%s)",
                     section_id, se->idstr);
        return ret;
    }
    if (!check_section_footer(f, se)) {
        return -EINVAL;
    }
    return 0;
}

static int qemu_loadvm_state_header(QEMUFile *f)
{
    unsigned int v;
    int ret;

    v = qemu_get_be32(f);
    if (v != QEMU_VM_FILE_MAGIC) {
        error_report("Not a migration stream");
        return -EINVAL;
    }
    v = qemu_get_be32(f);
    if (v == QEMU_VM_FILE_VERSION_COMPAT) {
        error_report("SaveVM v2 format is obsolete and don't work anymore");
        return -ENOTSUP;
    }
    if (v != QEMU_VM_FILE_VERSION) {
        error_report("Unsupported migration stream version");
        return -ENOTSUP;
    }
    if (migrate_get_current()->send_configuration) {
        if (qemu_get_byte(f) != QEMU_VM_CONFIGURATION) {
            error_report("Configuration section missing");
            return -EINVAL;
        }
        ret = vmstate_load_state(f, &vmstate_configuration, &savevm_state, 0);
        if (ret) {
            return ret;
        }
    }
    return 0;
}

static int qemu_loadvm_state_setup(QEMUFile *f)
{
    SaveStateEntry *se;
    int ret;

    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        if (!se->ops || !se->ops->load_setup || !se_is_active(se)) {
            continue;
        }
        ret = se->ops->load_setup(f, se->opaque);
        if (ret < 0) {
            qemu_file_set_error(f, ret);
            error_report("Load state of device %s failed", se->idstr);
            return ret;
        }
    }
    return 0;
}

void qemu_loadvm_state_cleanup(void)
{
    SaveStateEntry *se;

    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        if (se->ops && se->ops->load_cleanup) {
            se->ops->load_cleanup(se->opaque);
        }
    }
}

/*
 * Drop the bitmaps the stream was loading.  They are block-layer objects,
 * which change under the BQL: a loader thread that does not hold it
 * takes it here.
 */
static void loadvm_cancel_bitmaps(void)
{
    bool locked = qemu_mutex_iothread_locked();

    if (!locked) {
        qemu_mutex_lock_iothread();
    }
    dirty_bitmap_mig_cancel_incoming();
    if (!locked) {
        qemu_mutex_unlock_iothread();
    }
}

static int loadvm_postcopy_handle_advise(MigrationIncomingState *mis,
                                         uint16_t len)
{
    PostcopyState ps = postcopy_state_set(POSTCOPY_INCOMING_ADVISE);

    if (ps != POSTCOPY_INCOMING_NONE) {
        error_report("CMD_POSTCOPY_ADVISE in wrong postcopy state (%d)", ps);
        return -1;
    }
    switch (len) {
    case 0:
        if (migrate_postcopy_ram()) {
            error_report("RAM postcopy is enabled but have 0 byte advise");
            return -EINVAL;
        }
        return 0;
    case 8 + 8:
        if (!migrate_postcopy_ram()) {
            error_report("RAM postcopy is disabled but have 16 byte advise");
            return -EINVAL;
        }
        /* minivmm has no guest RAM: RAM postcopy cannot work. */
        error_report("Postcopy is not supported");
        return -EINVAL;
    default:
        error_report("CMD_POSTCOPY_ADVISE invalid length (%d)", len);
        return -EINVAL;
    }
}

static void *postcopy_ram_listen_thread(void *opaque)
{
    MigrationIncomingState *mis = opaque;
    QEMUFile *f = mis->from_src_file;
    int load_res;

    in_listen_thread = true;
    migrate_set_state(&mis->state, MIGRATION_STATUS_ACTIVE,
                      MIGRATION_STATUS_POSTCOPY_ACTIVE);
    qemu_sem_post(&mis->thread_sync_sem);

    /*
     * The main stream is not ours until the RUN bottom half has started
     * the VM (loadvm_postcopy_handle_run_bh), or the package failed.
     */
    qemu_sem_wait(&mis->listen_start_sem);
    if (!qatomic_read(&mis->listen_go)) {
        return NULL;
    }
    load_res = qemu_loadvm_state_main(f, mis);

    if (load_res < 0) {
        /* qemu_loadvm_state_main() dropped the bitmaps already. */
        if (postcopy_state_get() == POSTCOPY_INCOMING_RUNNING &&
            !migrate_postcopy_ram() && migrate_dirty_bitmaps()) {
            error_report("%s: loadvm failed during postcopy: %d. All states "
                         "are migrated except dirty bitmaps. Some dirty "
                         "bitmaps may be lost, and present migrated dirty "
                         "bitmaps are correctly migrated and valid.",
                         __func__, load_res);
            load_res = 0; /* prevent further exit() */
        } else {
            error_report("%s: loadvm failed: %d", __func__, load_res);
            migrate_set_state(&mis->state, MIGRATION_STATUS_POSTCOPY_ACTIVE,
                              MIGRATION_STATUS_FAILED);
        }
    }
    if (load_res >= 0) {
        /* The main thread may still be unwinding from the package. */
        qemu_sem_wait(&mis->main_thread_load_sem);
    }
    if (load_res < 0) {
        exit(EXIT_FAILURE);
    }
    migration_incoming_postcopy_finish(mis);
    postcopy_state_set(POSTCOPY_INCOMING_END);
    return NULL;
}

/*
 * Hand the main stream to the held listen thread (@go), or make it quit
 * without reading and join it.  @go comes from the RUN bottom half, once
 * the VM started; a quit from the thread that read a package that failed.
 */
static void postcopy_listen_thread_release(MigrationIncomingState *mis,
                                           bool go)
{
    bool locked = qemu_mutex_iothread_locked();

    mis->listen_held = false;
    qatomic_set(&mis->listen_go, go);
    qemu_sem_post(&mis->listen_start_sem);
    if (go) {
        return;
    }
    if (locked) {
        qemu_mutex_unlock_iothread();
    }
    qemu_thread_join(&mis->listen_thread);
    if (locked) {
        qemu_mutex_lock_iothread();
    }
    mis->have_listen_thread = false;
}

static int loadvm_postcopy_handle_listen(MigrationIncomingState *mis,
                                         QEMUFile *f)
{
    PostcopyState ps = postcopy_state_set(POSTCOPY_INCOMING_LISTENING);
    bool locked;

    if (ps != POSTCOPY_INCOMING_ADVISE && ps != POSTCOPY_INCOMING_DISCARD) {
        error_report("CMD_POSTCOPY_LISTEN in wrong postcopy state (%d)", ps);
        return -1;
    }
    /*
     * The listen thread reads the main stream: LISTEN must come from a
     * package, or two threads would read the same stream.
     */
    if (!mis->from_src_file || f == mis->from_src_file) {
        error_report("CMD_POSTCOPY_LISTEN outside of a package");
        return -1;
    }
    /*
     * As QEMU does, start the listen thread now and wait until it is
     * postcopy-active, so that the MIGRATION event precedes RUN's
     * RESUME.  It is held off the main stream until the package ends
     * (loadvm_handle_cmd_packaged): the rest of the package is in memory.
     */
    mis->have_listen_thread = true;
    mis->listen_held = true;
    qatomic_set(&mis->listen_go, false);
    qemu_thread_create(&mis->listen_thread, "postcopy/listen",
                       postcopy_ram_listen_thread, mis,
                       QEMU_THREAD_JOINABLE);
    /* The thread's state change may need the BQL for its event. */
    locked = qemu_mutex_iothread_locked();
    if (locked) {
        qemu_mutex_unlock_iothread();
    }
    qemu_sem_wait(&mis->thread_sync_sem);
    if (locked) {
        qemu_mutex_lock_iothread();
    }
    return 0;
}

/*
 * POSTCOPY_RUN, in the main loop with the BQL: take the images, let the
 * bitmaps still loading record through their successors, start the VM,
 * and only then give the rest of the stream to the listen thread.
 *
 * Until then the bitmaps that the stream started belong to the main
 * thread: a listen thread that read on at once could find the stream
 * broken and release them while this walks them (issue 11).  From the
 * hand-over on, the listen thread loads them without the BQL, under the
 * module's lock, as in QEMU; bitmaps it gives up are released under the
 * BQL (loadvm_cancel_bitmaps()).
 */
static void loadvm_postcopy_handle_run_bh(void *opaque)
{
    MigrationIncomingState *mis = opaque;
    Error *local_err = NULL;

    bdrv_activate_all(&local_err);
    if (local_err) {
        /* On failure leave the VM stopped. */
        error_report_err(local_err);
        autostart = false;
    }
    dirty_bitmap_mig_before_vm_start();
    if (autostart) {
        vm_start();
    } else {
        runstate_set(RUN_STATE_PAUSED);
    }
    postcopy_listen_thread_release(mis, true);
}

static int loadvm_postcopy_handle_run(MigrationIncomingState *mis)
{
    PostcopyState ps = postcopy_state_set(POSTCOPY_INCOMING_RUNNING);

    if (ps != POSTCOPY_INCOMING_LISTENING) {
        error_report("CMD_POSTCOPY_RUN in wrong postcopy state (%d)", ps);
        return -1;
    }
    qemu_bh_schedule_oneshot(loadvm_postcopy_handle_run_bh, mis);
    /*
     * Stop every nested loader: the rest of the stream goes to the
     * listen thread, from the bottom half.
     */
    return LOADVM_QUIT;
}

/*
 * Read a PACKAGED blob.  The buffer grows only as bytes really arrive, so
 * a huge announced length costs nothing until it is backed by data.
 */
static int loadvm_handle_cmd_packaged(MigrationIncomingState *mis,
                                      QEMUFile *f)
{
    uint32_t length = qemu_get_be32(f);
    g_autoptr(GByteArray) blob = g_byte_array_new();
    QEMUFile *packf;
    int ret;

    if (qemu_file_get_error(f)) {
        return qemu_file_get_error(f);
    }
    while (blob->len < length) {
        size_t chunk = MIN((size_t)(length - blob->len), (size_t)MiB);
        size_t old = blob->len;
        size_t got;

        g_byte_array_set_size(blob, old + chunk);
        got = qemu_get_buffer(f, blob->data + old, chunk);
        if (got != chunk) {
            error_report("CMD_PACKAGED: Buffer receive fail ret=%zu "
                         "length=%" PRIu32, old + got, length);
            return qemu_file_get_error(f) ?: -EAGAIN;
        }
    }
    packf = qemu_file_new_buffer_input(blob->data, blob->len);
    ret = qemu_loadvm_state_main(packf, mis);
    qemu_fclose(packf);
    if (ret == LOADVM_QUIT) {
        /* RUN: its bottom half owns the listen thread now. */
        return ret;
    }
    if (mis->listen_held) {
        if (ret == 0) {
            error_report("CMD_PACKAGED: POSTCOPY_LISTEN without "
                         "POSTCOPY_RUN");
            ret = -EINVAL;
        }
        postcopy_listen_thread_release(mis, false);
    }
    return ret;
}

static int loadvm_process_command(QEMUFile *f, MigrationIncomingState *mis)
{
    uint16_t cmd, len;
    uint32_t tmp32;
    int ret;

    cmd = qemu_get_be16(f);
    len = qemu_get_be16(f);
    ret = qemu_file_get_error(f);
    if (ret) {
        return ret;
    }
    if (cmd >= MIG_CMD_MAX || cmd == MIG_CMD_INVALID) {
        error_report("MIG_CMD 0x%x unknown (len 0x%x)", cmd, len);
        return -EINVAL;
    }
    trace_loadvm_process_command(mig_cmd_args[cmd].name, len);
    if (mig_cmd_args[cmd].len != -1 && mig_cmd_args[cmd].len != len) {
        error_report("%s received with bad length - expecting %zu, got %d",
                     mig_cmd_args[cmd].name,
                     (size_t)mig_cmd_args[cmd].len, len);
        return -ERANGE;
    }

    switch (cmd) {
    case MIG_CMD_OPEN_RETURN_PATH:
        if (mis->to_src_file) {
            error_report("CMD_OPEN_RETURN_PATH called when RP already open");
            /* Not really a problem, so don't give up */
            return 0;
        }
        mis->to_src_file = qemu_file_get_return_path(f);
        if (!mis->to_src_file) {
            error_report("CMD_OPEN_RETURN_PATH failed");
            return -1;
        }
        return 0;
    case MIG_CMD_PING:
        tmp32 = qemu_get_be32(f);
        if (!mis->to_src_file) {
            error_report("CMD_PING (0x%x) received with no return path",
                         tmp32);
            return -1;
        }
        migrate_send_rp_pong(mis, tmp32);
        return 0;
    case MIG_CMD_PACKAGED:
        return loadvm_handle_cmd_packaged(mis, f);
    case MIG_CMD_POSTCOPY_ADVISE:
        return loadvm_postcopy_handle_advise(mis, len);
    case MIG_CMD_POSTCOPY_LISTEN:
        return loadvm_postcopy_handle_listen(mis, f);
    case MIG_CMD_POSTCOPY_RUN:
        return loadvm_postcopy_handle_run(mis);
    default:
        /* RAM discard, recovery and COLO need guest RAM or COLO. */
        error_report("%s is not supported by minivmm",
                     mig_cmd_args[cmd].name);
        return -ENOTSUP;
    }
}

int qemu_loadvm_state_main(QEMUFile *f, MigrationIncomingState *mis)
{
    uint8_t section_type;
    int ret = 0;

    while (true) {
        section_type = qemu_get_byte(f);
        ret = qemu_file_get_error(f);
        if (ret) {
            break;
        }
        trace_qemu_loadvm_state_section(section_type);
        switch (section_type) {
        case QEMU_VM_SECTION_START:
        case QEMU_VM_SECTION_FULL:
            ret = qemu_loadvm_section_start_full(f, mis);
            break;
        case QEMU_VM_SECTION_PART:
        case QEMU_VM_SECTION_END:
            ret = qemu_loadvm_section_part_end(f, mis);
            break;
        case QEMU_VM_COMMAND:
            ret = loadvm_process_command(f, mis);
            trace_qemu_loadvm_state_section_command(ret);
            if (ret == LOADVM_QUIT) {
                return ret;
            }
            break;
        case QEMU_VM_EOF:
            return 0;
        default:
            error_report("Unknown savevm section type %d", section_type);
            ret = -EINVAL;
            break;
        }
        if (ret < 0) {
            break;
        }
    }
    if (ret < 0) {
        qemu_file_set_error(f, ret);
        loadvm_cancel_bitmaps();
    }
    return ret;
}

int qemu_loadvm_state(QEMUFile *f)
{
    MigrationIncomingState *mis = migration_incoming_get_current();
    int ret;

    ret = qemu_loadvm_state_header(f);
    if (ret) {
        return ret;
    }
    if (qemu_loadvm_state_setup(f) != 0) {
        return -EINVAL;
    }

    ret = qemu_loadvm_state_main(f, mis);

    if (mis->have_listen_thread) {
        qemu_sem_post(&mis->main_thread_load_sem);
        /* The listen thread owns the rest of the stream. */
        return ret < 0 ? ret : 0;
    }
    if (ret == 0) {
        ret = qemu_file_get_error(f);
    }
    /*
     * Read the JSON trailer so that the sender can finish writing; a
     * missing trailer only earns a message, as in QEMU.
     */
    if (ret == 0 && should_send_vmdesc()) {
        uint8_t section_type = qemu_get_byte(f);

        if (section_type != QEMU_VM_VMDESCRIPTION) {
            error_report("Expected vmdescription section, but got %d",
                         section_type);
        } else {
            uint32_t size = qemu_get_be32(f);
            uint8_t buf[4096];

            while (size > 0 && !qemu_file_get_error(f)) {
                uint32_t n = MIN(size, (uint32_t)sizeof(buf));

                qemu_get_buffer(f, buf, n);
                size -= n;
            }
        }
    }
    qemu_loadvm_state_cleanup();
    return ret;
}
