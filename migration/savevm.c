/* SPDX-License-Identifier: GPL-2.0-or-later */
/* savevm: the section registry, the stream's framing, and its loader. */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/atomic.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/queue.h"
#include "qemu/thread.h"
#include "block/block.h"
#include "sysemu/runstate.h"
#include "sysemu/sysemu.h"
#include "migration/register.h"
#include "migration/vmstate.h"
#include "migration.h"
#include "migration/dirty-bitmap-ext.h"
#include "qemu-file.h"
#include "savevm.h"
#include "trace.h"

/*
 * The registry
 *
 * Everything that migrates is a section: a live one, whose handlers
 * (SaveVMHandlers) stream it in START, PART and END elements, or a
 * device one (a VMStateDescription) sent whole in a FULL element when
 * the VM has stopped.  Sections are sent in the order they registered
 * in, and numbered in that order: the number is the section id of the
 * stream (migration-stream.md 2), so registration order is wire format.
 */
typedef struct SavevmSection {
    QTAILQ_ENTRY(SavevmSection) link;
    char idstr[256];                /* the name on the wire, NUL-ended */
    uint32_t instance_id;
    int version_id;                 /* the version we send */
    int section_id;                 /* the id we send */
    const SaveVMHandlers *ops;      /* a live section, or NULL */
    const VMStateDescription *vmsd; /* a device section, or NULL */
    void *opaque;
    /* What the streams loaded so far said about this section: */
    bool in_seen;                   /* announced by a START or FULL */
    uint32_t in_section_id;         /* the id they gave it */
    uint32_t in_version_id;         /* the version they announced */
} SavevmSection;

static QTAILQ_HEAD(, SavevmSection) sections =
    QTAILQ_HEAD_INITIALIZER(sections);
static int next_section_id;

static SavevmSection *section_add(const char *idstr, uint32_t instance_id,
                                  int version_id, void *opaque)
{
    SavevmSection *sec = g_new0(SavevmSection, 1);

    assert(strlen(idstr) < sizeof(sec->idstr));
    g_strlcpy(sec->idstr, idstr, sizeof(sec->idstr));
    sec->instance_id = instance_id;
    sec->version_id = version_id;
    sec->section_id = next_section_id++;
    sec->opaque = opaque;
    QTAILQ_INSERT_TAIL(&sections, sec, link);
    return sec;
}

int register_savevm_live(const char *idstr, uint32_t instance_id,
                         int version_id, const SaveVMHandlers *ops,
                         void *opaque)
{
    section_add(idstr, instance_id, version_id, opaque)->ops = ops;
    return 0;
}

int vmstate_register(VMStateIf *obj, uint32_t instance_id,
                     const VMStateDescription *vmsd, void *opaque)
{
    section_add(vmsd->name, instance_id, vmsd->version_id, opaque)->vmsd =
        vmsd;
    return 0;
}

/* Drop every section for which @unwanted(section, @key) holds. */
static void sections_remove(bool (*unwanted)(SavevmSection *sec,
                                             const void *key),
                            const void *key)
{
    SavevmSection *sec, *tmp;

    QTAILQ_FOREACH_SAFE(sec, &sections, link, tmp) {
        if (unwanted(sec, key)) {
            QTAILQ_REMOVE(&sections, sec, link);
            g_free(sec);
        }
    }
}

typedef struct SectionKey {
    const char *idstr;
    const VMStateDescription *vmsd;
    void *opaque;
} SectionKey;

static bool section_has_idstr(SavevmSection *sec, const void *key)
{
    const SectionKey *k = key;

    return sec->opaque == k->opaque && g_str_equal(sec->idstr, k->idstr);
}

static bool section_has_vmsd(SavevmSection *sec, const void *key)
{
    const SectionKey *k = key;

    return sec->opaque == k->opaque && sec->vmsd == k->vmsd;
}

void unregister_savevm(VMStateIf *obj, const char *idstr, void *opaque)
{
    SectionKey key = { .idstr = idstr, .opaque = opaque };

    sections_remove(section_has_idstr, &key);
}

void vmstate_unregister(VMStateIf *obj, const VMStateDescription *vmsd,
                        void *opaque)
{
    SectionKey key = { .vmsd = vmsd, .opaque = opaque };

    sections_remove(section_has_vmsd, &key);
}

void savevm_skip_section_id(void)
{
    next_section_id++;
}

int savevm_peek_section_id(void)
{
    return next_section_id;
}

/* A live section that takes part (is_active, where it has one). */
static bool section_is_live(SavevmSection *sec)
{
    return sec->ops &&
           (!sec->ops->is_active || sec->ops->is_active(sec->opaque));
}

/* A live section that can go on sending after the VM started. */
static bool section_has_postcopy(SavevmSection *sec)
{
    return sec->ops && sec->ops->has_postcopy &&
           sec->ops->has_postcopy(sec->opaque);
}

/*
 * The postcopy state of the destination: written by the loader threads,
 * read by the migration core and the dirty-bitmap module.
 */
static PostcopyState incoming_postcopy_state;

PostcopyState postcopy_state_get(void)
{
    return qatomic_load_acquire(&incoming_postcopy_state);
}

PostcopyState postcopy_state_set(PostcopyState new_state)
{
    return qatomic_xchg(&incoming_postcopy_state, new_state);
}

void savevm_state_reset_for_test(void)
{
    MigrationIncomingState *mis = migration_incoming_get_current();
    SavevmSection *sec;

    QTAILQ_FOREACH(sec, &sections, link) {
        sec->in_seen = false;
        sec->in_section_id = 0;
        sec->in_version_id = 0;
    }
    postcopy_state_set(POSTCOPY_INCOMING_NONE);
    mis->listen_held = false;
    mis->have_listen_thread = false;
}

/*
 * The configuration element
 *
 * After the file header: u8 QEMU_VM_CONFIGURATION, be32 n and n bytes of
 * machine type, then subsections, each u8 QEMU_VM_SUBSECTION, a counted
 * name, be32 version (1) and a payload:
 *   configuration/target-page-bits   be32 bits
 *   configuration/capabilities       be32 n, n counted capability names
 *   configuration/uuid               16 bytes
 * We send the capabilities one when x-ignore-shared is on, as QEMU does,
 * and never the other two: x86_64 has one target page size, and minivmm
 * has no -uuid.  The destination compares what it received with its own
 * setup.
 */
#define CONFIG_SUB_PREFIX   "configuration/"
#define CONFIG_SUB_VERSION  1
#define X86_TARGET_PAGE_BITS 12

/* What a received configuration element said. */
typedef struct ConfigIn {
    uint32_t machine_len;       /* as announced */
    char machine[256];          /* its first 255 bytes, NUL-ended */
    uint32_t page_bits;
    bool ignore_shared;         /* x-ignore-shared among the capabilities */
} ConfigIn;

static void config_put_subsection(QEMUFile *f, const char *name)
{
    qemu_put_byte(f, QEMU_VM_SUBSECTION);
    qemu_put_counted_string(f, name);
    qemu_put_be32(f, CONFIG_SUB_VERSION);
}

static void config_write(QEMUFile *f)
{
    const char *machine = current_machine_type();

    qemu_put_byte(f, QEMU_VM_CONFIGURATION);
    qemu_put_be32(f, strlen(machine));
    qemu_put_buffer(f, (const uint8_t *)machine, strlen(machine));
    if (migrate_ignore_shared()) {
        config_put_subsection(f, CONFIG_SUB_PREFIX "capabilities");
        qemu_put_be32(f, 1);
        qemu_put_counted_string(f, "x-ignore-shared");
    }
}

static int config_read_capabilities(QEMUFile *f, ConfigIn *in, Error **errp)
{
    uint32_t n = qemu_get_be32(f);
    char name[256];

    /* Bounded by the stream: each name takes at least a byte. */
    while (n-- > 0) {
        if (!qemu_get_counted_string(f, name)) {
            error_setg(errp, "Failed to load the configuration's "
                       "capabilities");
            return qemu_file_get_error(f) ?: -EINVAL;
        }
        if (!g_str_equal(name, "x-ignore-shared")) {
            error_setg(errp, "Received unknown capability %s", name);
            return -EINVAL;
        }
        in->ignore_shared = true;
    }
    return 0;
}

/*
 * Read one subsection if the next element is one of ours; *@done tells
 * the caller there was none.
 */
static int config_read_subsection(QEMUFile *f, ConfigIn *in, bool *done,
                                  Error **errp)
{
    uint8_t *peeked;
    char name[256];
    size_t len;
    uint32_t version;

    *done = true;
    if (qemu_peek_byte(f, 0) != QEMU_VM_SUBSECTION) {
        return 0;
    }
    len = qemu_peek_byte(f, 1);
    if (qemu_peek_buffer(f, &peeked, len, 2) != len) {
        return 0;
    }
    memcpy(name, peeked, len);
    name[len] = '\0';
    if (!g_str_has_prefix(name, CONFIG_SUB_PREFIX)) {
        /* Not ours: left for the element loop, which refuses it. */
        return 0;
    }
    *done = false;
    qemu_file_skip(f, 2 + len);
    version = qemu_get_be32(f);
    /* vmstate's messages: every subsection is at version 1. */
    if (version > CONFIG_SUB_VERSION) {
        error_setg(errp, "%s: incoming version_id %" PRIu32 " is too new "
                   "for local version_id %d", name, version,
                   CONFIG_SUB_VERSION);
        return -EINVAL;
    }
    if (version < CONFIG_SUB_VERSION) {
        error_setg(errp, "%s: incoming version_id %" PRIu32 " is too old "
                   "for local minimum version_id  %d", name, version,
                   CONFIG_SUB_VERSION);
        return -EINVAL;
    }
    if (g_str_equal(name, CONFIG_SUB_PREFIX "target-page-bits")) {
        in->page_bits = qemu_get_be32(f);
    } else if (g_str_equal(name, CONFIG_SUB_PREFIX "capabilities")) {
        return config_read_capabilities(f, in, errp);
    } else if (g_str_equal(name, CONFIG_SUB_PREFIX "uuid")) {
        uint8_t u[16];

        qemu_get_buffer(f, u, sizeof(u));
        /* There is no local uuid to compare with: QEMU only warns. */
        warn_report("UUID is received %02x%02x%02x%02x-%02x%02x-%02x%02x-"
                    "%02x%02x-%02x%02x%02x%02x%02x%02x, but local uuid "
                    "isn't set", u[0], u[1], u[2], u[3], u[4], u[5], u[6],
                    u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
                    u[15]);
    } else {
        error_setg(errp, "Unknown configuration subsection '%s'", name);
        return -ENOENT;
    }
    return qemu_file_get_error(f);
}

/* Whether what the source described can run here. */
static int config_check(const ConfigIn *in, Error **errp)
{
    const char *local = current_machine_type();

    /* A prefix compare over the announced length, as in QEMU. */
    if (strncmp(in->machine, local,
                MIN(in->machine_len, (uint32_t)sizeof(in->machine)))) {
        error_setg(errp, "Machine type received is '%.*s' and local is '%s'",
                   (int)MIN(in->machine_len, 255u), in->machine, local);
        return -EINVAL;
    }
    if (in->page_bits != X86_TARGET_PAGE_BITS) {
        error_setg(errp, "Received TARGET_PAGE_BITS is %" PRIu32 " but local "
                   "is %d", in->page_bits, X86_TARGET_PAGE_BITS);
        return -EINVAL;
    }
    if (in->ignore_shared != migrate_ignore_shared()) {
        error_setg(errp, "Capability x-ignore-shared is %s, but received "
                   "capability is %s", migrate_ignore_shared() ? "on" : "off",
                   in->ignore_shared ? "on" : "off");
        return -EINVAL;
    }
    return 0;
}

static int config_read(QEMUFile *f, Error **errp)
{
    ConfigIn in = { .page_bits = X86_TARGET_PAGE_BITS };
    uint32_t keep, rest;
    bool done = false;
    int ret;

    in.machine_len = qemu_get_be32(f);
    keep = MIN(in.machine_len, (uint32_t)sizeof(in.machine) - 1);
    qemu_get_buffer(f, (uint8_t *)in.machine, keep);
    /* Longer names are read and dropped, without a buffer their size. */
    for (rest = in.machine_len - keep; rest && !qemu_file_get_error(f);) {
        uint8_t sink[256];
        uint32_t n = MIN(rest, (uint32_t)sizeof(sink));

        qemu_get_buffer(f, sink, n);
        rest -= n;
    }
    ret = qemu_file_get_error(f);
    if (ret) {
        error_setg_errno(errp, -ret, "Failed to load the configuration");
        return ret;
    }
    while (!done) {
        ret = config_read_subsection(f, &in, &done, errp);
        if (ret) {
            return ret;
        }
    }
    return config_check(&in, errp);
}

/*
 * The source side
 *
 * Each live handler call is framed as one element: a header naming the
 * section, what the handler wrote, a footer repeating its id.
 */

static void section_put_header(QEMUFile *f, SavevmSection *sec, uint8_t type)
{
    qemu_put_byte(f, type);
    qemu_put_be32(f, sec->section_id);
    if (type != QEMU_VM_SECTION_START && type != QEMU_VM_SECTION_FULL) {
        return;
    }
    qemu_put_counted_string(f, sec->idstr);
    qemu_put_be32(f, sec->instance_id);
    qemu_put_be32(f, sec->version_id);
}

static void section_put_footer(QEMUFile *f, SavevmSection *sec)
{
    if (!migrate_get_current()->send_section_footer) {
        return;
    }
    qemu_put_byte(f, QEMU_VM_SECTION_FOOTER);
    qemu_put_be32(f, sec->section_id);
}

typedef int (*LiveStep)(QEMUFile *f, void *opaque);

/* Run one live handler @step of @sec inside an element of @type. */
static int section_run(QEMUFile *f, SavevmSection *sec, uint8_t type,
                       LiveStep step)
{
    int ret;

    trace_savevm_section_start(sec->idstr, sec->section_id);
    section_put_header(f, sec, type);
    ret = step(f, sec->opaque);
    trace_savevm_section_end(sec->idstr, sec->section_id, ret);
    section_put_footer(f, sec);
    return ret;
}

void qemu_savevm_state_header(QEMUFile *f)
{
    qemu_put_be32(f, QEMU_VM_FILE_MAGIC);
    qemu_put_be32(f, QEMU_VM_FILE_VERSION);
    if (migrate_get_current()->send_configuration) {
        config_write(f);
    }
}

void qemu_savevm_state_setup(QEMUFile *f)
{
    SavevmSection *sec;

    QTAILQ_FOREACH(sec, &sections, link) {
        int ret;

        if (!section_is_live(sec) || !sec->ops->save_setup) {
            continue;
        }
        ret = section_run(f, sec, QEMU_VM_SECTION_START,
                          sec->ops->save_setup);
        if (ret < 0) {
            qemu_file_set_error(f, ret);
            return;
        }
    }
}

/* Whether @sec has data to stream now, in precopy or in @postcopy. */
static bool section_wants_iteration(SavevmSection *sec, bool postcopy)
{
    const SaveVMHandlers *ops = sec->ops;

    if (!section_is_live(sec) || !ops->save_live_iterate) {
        return false;
    }
    if (ops->is_active_iterate && !ops->is_active_iterate(sec->opaque)) {
        return false;
    }
    /* The others sent their END when the VM stopped for postcopy. */
    return !postcopy || section_has_postcopy(sec);
}

int qemu_savevm_state_iterate(QEMUFile *f, bool postcopy)
{
    SavevmSection *sec;

    QTAILQ_FOREACH(sec, &sections, link) {
        int ret;

        if (!section_wants_iteration(sec, postcopy)) {
            continue;
        }
        if (qemu_file_rate_limit(f)) {
            return 0;
        }
        ret = section_run(f, sec, QEMU_VM_SECTION_PART,
                          sec->ops->save_live_iterate);
        if (ret < 0) {
            error_report("failed to save SaveStateEntry with id(name): "
                         "%d(%s): %d", sec->section_id, sec->idstr, ret);
            qemu_file_set_error(f, ret);
        }
        /* Stay with a section until it says it is done (1). */
        if (ret <= 0) {
            return ret;
        }
    }
    return 1;
}

void qemu_savevm_state_complete_postcopy(QEMUFile *f)
{
    SavevmSection *sec;

    QTAILQ_FOREACH(sec, &sections, link) {
        int ret;

        if (!section_is_live(sec) || !sec->ops->save_live_complete_postcopy) {
            continue;
        }
        ret = section_run(f, sec, QEMU_VM_SECTION_END,
                          sec->ops->save_live_complete_postcopy);
        if (ret < 0) {
            qemu_file_set_error(f, ret);
            return;
        }
    }
    qemu_put_byte(f, QEMU_VM_EOF);
    qemu_fflush(f);
}

/* END every live section that is finished now (in postcopy: the rest). */
static int complete_live_sections(QEMUFile *f, bool in_postcopy)
{
    SavevmSection *sec;

    QTAILQ_FOREACH(sec, &sections, link) {
        int ret;

        if (!section_is_live(sec) || !sec->ops->save_live_complete_precopy ||
            (in_postcopy && section_has_postcopy(sec))) {
            continue;
        }
        ret = section_run(f, sec, QEMU_VM_SECTION_END,
                          sec->ops->save_live_complete_precopy);
        if (ret < 0) {
            qemu_file_set_error(f, ret);
            return -1;
        }
    }
    return 0;
}

/*
 * The JSON trailer of a precopy stream describes the device sections
 * (QEMU's scripts/analyze-migration.py reads it); the destination skips
 * it.  @desc collects one object per FULL section.
 */
static int put_device_section(QEMUFile *f, SavevmSection *sec,
                              GString *desc, bool first)
{
    int ret = 0;

    g_string_append_printf(desc, "%s{\"name\": \"%s\", \"instance_id\": %"
                           PRIu32 ", ", first ? "" : ", ", sec->idstr,
                           sec->instance_id);
    section_put_header(f, sec, QEMU_VM_SECTION_FULL);
    if (sec->vmsd) {
        ret = vmstate_save_state(f, sec->vmsd, sec->opaque, desc);
    } else {
        sec->ops->save_state(f, sec->opaque);
        g_string_append_printf(desc, "\"vmsd_name\": \"%s\", \"version\": "
                               "%d, \"fields\": []", sec->idstr,
                               sec->version_id);
    }
    g_string_append_c(desc, '}');
    if (ret) {
        qemu_file_set_error(f, ret);
        return ret;
    }
    section_put_footer(f, sec);
    return 0;
}

int qemu_savevm_state_complete_precopy_non_iterable(QEMUFile *f,
                                                    bool in_postcopy,
                                                    bool inactivate_disks)
{
    g_autoptr(GString) desc = g_string_new("{\"page_size\": 4096, "
                                           "\"devices\": [");
    SavevmSection *sec;
    bool first = true;
    int ret;

    QTAILQ_FOREACH(sec, &sections, link) {
        if (sec->vmsd ? !vmstate_save_needed(sec->vmsd, sec->opaque)
                      : !sec->ops || !sec->ops->save_state) {
            continue;
        }
        ret = put_device_section(f, sec, desc, first);
        if (ret) {
            return ret;
        }
        first = false;
    }
    g_string_append(desc, "]}");

    if (inactivate_disks) {
        /* The destination takes the images from here on. */
        ret = bdrv_inactivate_all();
        if (ret) {
            error_report("qemu_savevm_state_complete_precopy_non_iterable: "
                         "bdrv_inactivate_all() failed (%d)", ret);
            qemu_file_set_error(f, ret);
            return ret;
        }
        migrate_get_current()->block_inactive = true;
    }
    /* A postcopy package goes on with the stream: no end, no trailer. */
    if (!in_postcopy) {
        qemu_put_byte(f, QEMU_VM_EOF);
        if (!migration_in_postcopy()) {
            qemu_put_byte(f, QEMU_VM_VMDESCRIPTION);
            qemu_put_be32(f, desc->len);
            qemu_put_buffer(f, (const uint8_t *)desc->str, desc->len);
        }
    }
    return 0;
}

int qemu_savevm_state_complete_precopy(QEMUFile *f, bool iterable_only,
                                       bool inactivate_disks)
{
    bool in_postcopy = migration_in_postcopy();
    int ret = 0;

    if (iterable_only || !in_postcopy) {
        ret = complete_live_sections(f, in_postcopy);
    }
    if (!ret && !iterable_only) {
        ret = qemu_savevm_state_complete_precopy_non_iterable(
            f, in_postcopy, inactivate_disks);
    }
    if (ret) {
        return ret;
    }
    qemu_fflush(f);
    return qemu_file_get_error(f);
}

void qemu_savevm_state_pending(QEMUFile *f, uint64_t threshold_size,
                               uint64_t *res_precopy_only,
                               uint64_t *res_compatible,
                               uint64_t *res_postcopy_only)
{
    SavevmSection *sec;

    *res_precopy_only = *res_compatible = *res_postcopy_only = 0;
    QTAILQ_FOREACH(sec, &sections, link) {
        if (section_is_live(sec) && sec->ops->save_live_pending) {
            sec->ops->save_live_pending(f, sec->opaque, threshold_size,
                                        res_precopy_only, res_compatible,
                                        res_postcopy_only);
        }
    }
}

void qemu_savevm_state_cleanup(void)
{
    SavevmSection *sec;

    QTAILQ_FOREACH(sec, &sections, link) {
        if (sec->ops && sec->ops->save_cleanup) {
            sec->ops->save_cleanup(sec->opaque);
        }
    }
}

/*
 * Commands
 *
 * u8 QEMU_VM_COMMAND, be16 command, be16 payload length, the payload
 * (migration-stream.md 1.9).  The ids are wire format.
 */
enum qemu_vm_cmd {
    MIG_CMD_INVALID = 0,            /* never valid */
    MIG_CMD_OPEN_RETURN_PATH = 1,   /* answer on the reverse direction */
    MIG_CMD_PING = 2,               /* be32, echoed as a PONG */
    MIG_CMD_POSTCOPY_ADVISE = 3,    /* postcopy may follow: 0 or 16 bytes */
    MIG_CMD_POSTCOPY_LISTEN = 4,    /* a listen thread reads on */
    MIG_CMD_POSTCOPY_RUN = 5,       /* start the destination VM */
    MIG_CMD_POSTCOPY_RAM_DISCARD = 6, /* RAM postcopy only */
    MIG_CMD_PACKAGED = 7,           /* be32 n, then n bytes of elements */
    MIG_CMD_ENABLE_COLO = 8,        /* COLO only */
    MIG_CMD_POSTCOPY_RESUME = 9,    /* postcopy recovery only */
    MIG_CMD_RECV_BITMAP = 10,       /* postcopy recovery only */
    MIG_CMD_MAX
};

static const char *const command_names[MIG_CMD_MAX] = {
    [MIG_CMD_INVALID] = "INVALID",
    [MIG_CMD_OPEN_RETURN_PATH] = "OPEN_RETURN_PATH",
    [MIG_CMD_PING] = "PING",
    [MIG_CMD_POSTCOPY_ADVISE] = "POSTCOPY_ADVISE",
    [MIG_CMD_POSTCOPY_LISTEN] = "POSTCOPY_LISTEN",
    [MIG_CMD_POSTCOPY_RUN] = "POSTCOPY_RUN",
    [MIG_CMD_POSTCOPY_RAM_DISCARD] = "POSTCOPY_RAM_DISCARD",
    [MIG_CMD_PACKAGED] = "PACKAGED",
    [MIG_CMD_ENABLE_COLO] = "ENABLE_COLO",
    [MIG_CMD_POSTCOPY_RESUME] = "POSTCOPY_RESUME",
    [MIG_CMD_RECV_BITMAP] = "RECV_BITMAP",
};

/* The payload length @cmd must have, or -1 if it varies. */
static int command_fixed_len(uint16_t cmd)
{
    switch (cmd) {
    case MIG_CMD_PING:
    case MIG_CMD_PACKAGED:
        return 4;
    case MIG_CMD_OPEN_RETURN_PATH:
    case MIG_CMD_POSTCOPY_LISTEN:
    case MIG_CMD_POSTCOPY_RUN:
    case MIG_CMD_ENABLE_COLO:
    case MIG_CMD_POSTCOPY_RESUME:
        return 0;
    default:
        return -1;
    }
}

static void command_put(QEMUFile *f, enum qemu_vm_cmd cmd,
                        const uint8_t *payload, uint16_t len)
{
    qemu_put_byte(f, QEMU_VM_COMMAND);
    qemu_put_be16(f, cmd);
    qemu_put_be16(f, len);
    qemu_put_buffer(f, payload, len);
    qemu_fflush(f);
}

void qemu_savevm_send_ping(QEMUFile *f, uint32_t value)
{
    uint8_t be[4];

    stl_be_p(be, value);
    command_put(f, MIG_CMD_PING, be, sizeof(be));
}

void qemu_savevm_send_open_return_path(QEMUFile *f)
{
    command_put(f, MIG_CMD_OPEN_RETURN_PATH, NULL, 0);
}

int qemu_savevm_send_packaged(QEMUFile *f, const uint8_t *buf, size_t len)
{
    uint8_t be[4];

    if (len > MAX_VM_CMD_PACKAGED_SIZE) {
        error_report("qemu_savevm_send_packaged: Unreasonably large "
                     "packaged state: %zu", len);
        return -1;
    }
    stl_be_p(be, len);
    command_put(f, MIG_CMD_PACKAGED, be, sizeof(be));
    qemu_put_buffer(f, buf, len);
    qemu_fflush(f);
    return 0;
}

/*
 * With postcopy-ram, ADVISE carries the page sizes both sides must agree
 * on: be64 the OR of the RAM blocks' page sizes (0: we have no RAM
 * block) and be64 the target page size.
 */
void qemu_savevm_send_postcopy_advise(QEMUFile *f)
{
    uint8_t sizes[16] = { 0 };

    if (!migrate_postcopy_ram()) {
        command_put(f, MIG_CMD_POSTCOPY_ADVISE, NULL, 0);
        return;
    }
    stq_be_p(sizes + 8, POSTCOPY_TARGET_PAGE_SIZE);
    command_put(f, MIG_CMD_POSTCOPY_ADVISE, sizes, sizeof(sizes));
}

void qemu_savevm_send_postcopy_listen(QEMUFile *f)
{
    command_put(f, MIG_CMD_POSTCOPY_LISTEN, NULL, 0);
}

void qemu_savevm_send_postcopy_run(QEMUFile *f)
{
    command_put(f, MIG_CMD_POSTCOPY_RUN, NULL, 0);
}

void qemu_savevm_send_postcopy_resume(QEMUFile *f)
{
    command_put(f, MIG_CMD_POSTCOPY_RESUME, NULL, 0);
}

/*
 * The loader
 *
 * qemu_loadvm_state() reads the header and the configuration, lets live
 * sections prepare, then runs the element loop, qemu_loadvm_state_main(),
 * which also reads PACKAGED blobs and, in postcopy, the rest of the
 * stream in the listen thread.  A failure is a negative errno together
 * with an Error in QEMU's words; the caller that gives the load up
 * reports it, once.  Section loaders (SaveVMHandlers, vmstate) keep
 * QEMU's int API and print their own details.
 */

/* Set in the postcopy listen thread, which loads without the BQL. */
static __thread bool in_listen_thread;

/*
 * Drop the bitmaps a failed stream was loading.  They are block-layer
 * objects, changed under the BQL: a loader thread that does not hold it
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

/*
 * Run @sec's loader on the element's payload.  It runs with the BQL,
 * taken here unless the caller holds it, except in the listen thread:
 * as in QEMU, that one loads without (the dirty-bitmap module has its
 * own lock), since its reads wait on a rate-limited source while the VM
 * runs and the monitor must not wait with them.
 */
/*
 * Why the load_state handler running in this thread failed, if it said
 * (qemu_loadvm_section_error()); taken by section_load_error().
 */
static __thread Error *handler_err;

void qemu_loadvm_section_error(Error *err)
{
    error_free(handler_err);
    handler_err = err;
}

Error *qemu_loadvm_section_error_take(void)
{
    return g_steal_pointer(&handler_err);
}

/*
 * A section failed to load: @what (the section) with the handler's
 * reason after it, when the handler gave one.
 */
static void G_GNUC_PRINTF(2, 3)
section_load_error(Error **errp, const char *fmt, ...)
{
    g_autofree char *what = NULL;
    Error *why = qemu_loadvm_section_error_take();
    va_list ap;

    va_start(ap, fmt);
    what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (why) {
        error_propagate_prepend(errp, why, "%s: ", what);
    } else {
        error_setg(errp, "%s", what);
    }
}

static int section_load(QEMUFile *f, SavevmSection *sec)
{
    bool take_bql = !in_listen_thread && !qemu_mutex_iothread_locked();
    int ret;

    if (take_bql) {
        qemu_mutex_lock_iothread();
    }
    if (sec->vmsd) {
        ret = vmstate_load_state(f, sec->vmsd, sec->opaque,
                                 sec->in_version_id);
    } else {
        ret = sec->ops->load_state(f, sec->opaque, sec->in_version_id);
    }
    if (take_bql) {
        qemu_mutex_unlock_iothread();
    }
    return ret;
}

static int section_check_footer(QEMUFile *f, SavevmSection *sec,
                                Error **errp)
{
    uint8_t mark;
    uint32_t id;
    int ret;

    if (!migrate_get_current()->send_section_footer) {
        return 0;
    }
    mark = qemu_get_byte(f);
    ret = qemu_file_get_error(f);
    if (ret) {
        error_setg(errp, "check_section_footer: Read section footer "
                   "failed: %d", ret);
        return -EINVAL;
    }
    if (mark != QEMU_VM_SECTION_FOOTER) {
        error_setg(errp, "Missing section footer for %s", sec->idstr);
        return -EINVAL;
    }
    id = qemu_get_be32(f);
    if (id != sec->in_section_id) {
        error_setg(errp, "Mismatched section id in footer for %s - read "
                   "0x%" PRIx32 " expected 0x%" PRIx32, sec->idstr, id,
                   sec->in_section_id);
        return -EINVAL;
    }
    return 0;
}

/* The header of a START or FULL element, after its type byte. */
typedef struct FullHeader {
    uint32_t section_id;
    char idstr[256];
    uint32_t instance_id;
    uint32_t version_id;
} FullHeader;

static int read_full_header(QEMUFile *f, FullHeader *h, Error **errp)
{
    int ret;

    h->section_id = qemu_get_be32(f);
    if (!qemu_get_counted_string(f, h->idstr)) {
        error_setg(errp, "Unable to read ID string for section %" PRIu32,
                   h->section_id);
        return -EINVAL;
    }
    h->instance_id = qemu_get_be32(f);
    h->version_id = qemu_get_be32(f);
    ret = qemu_file_get_error(f);
    if (ret) {
        error_setg(errp, "qemu_loadvm_section_start_full: Failed to read "
                   "instance/version ID: %d", ret);
    }
    return ret;
}

/* START or FULL: the header names the section, which must exist here. */
static int loadvm_section_start(QEMUFile *f, Error **errp)
{
    SavevmSection *sec;
    FullHeader h;
    int ret = read_full_header(f, &h, errp);

    if (ret) {
        return ret;
    }
    QTAILQ_FOREACH(sec, &sections, link) {
        if (sec->instance_id == h.instance_id &&
            g_str_equal(sec->idstr, h.idstr)) {
            break;
        }
    }
    if (!sec) {
        error_setg(errp, "Unknown savevm section or instance '%s' %" PRIu32
                   ". Make sure that your current VM setup matches your "
                   "saved VM setup, including any hotplugged devices",
                   h.idstr, h.instance_id);
        return -EINVAL;
    }
    if (h.version_id > sec->version_id) {
        error_setg(errp, "savevm: unsupported version %" PRIu32 " for '%s' "
                   "v%d", h.version_id, h.idstr, sec->version_id);
        return -EINVAL;
    }
    sec->in_seen = true;
    sec->in_section_id = h.section_id;
    sec->in_version_id = h.version_id;

    ret = section_load(f, sec);
    if (ret < 0) {
        section_load_error(errp, "error while loading state for instance 0x%"
                           PRIx32 " of device '%s'", h.instance_id, h.idstr);
        return ret;
    }
    return section_check_footer(f, sec, errp);
}

/* PART or END: more of a section that a START or FULL announced. */
static int loadvm_section_part(QEMUFile *f, Error **errp)
{
    uint32_t section_id = qemu_get_be32(f);
    SavevmSection *sec;
    int ret = qemu_file_get_error(f);

    if (ret) {
        error_setg(errp, "qemu_loadvm_section_part_end: Failed to read "
                   "section ID: %d", ret);
        return ret;
    }
    QTAILQ_FOREACH(sec, &sections, link) {
        if (sec->in_seen && sec->in_section_id == section_id) {
            break;
        }
    }
    if (!sec) {
        error_setg(errp, "Unknown savevm section %" PRIu32, section_id);
        return -EINVAL;
    }
    ret = section_load(f, sec);
    if (ret < 0) {
        section_load_error(errp, "error while loading state section id %"
                           PRIu32 "(%s)", section_id, sec->idstr);
        return ret;
    }
    return section_check_footer(f, sec, errp);
}

static int loadvm_read_header(QEMUFile *f, Error **errp)
{
    uint32_t magic = qemu_get_be32(f);
    uint32_t version = qemu_get_be32(f);

    if (magic != QEMU_VM_FILE_MAGIC) {
        error_setg(errp, "Not a migration stream");
        return -EINVAL;
    }
    if (version == QEMU_VM_FILE_VERSION_COMPAT) {
        error_setg(errp, "SaveVM v2 format is obsolete and don't work "
                   "anymore");
        return -ENOTSUP;
    }
    if (version != QEMU_VM_FILE_VERSION) {
        error_setg(errp, "Unsupported migration stream version");
        return -ENOTSUP;
    }
    if (!migrate_get_current()->send_configuration) {
        return 0;
    }
    if (qemu_get_byte(f) != QEMU_VM_CONFIGURATION) {
        error_setg(errp, "Configuration section missing");
        return -EINVAL;
    }
    return config_read(f, errp);
}

static int loadvm_setup_sections(QEMUFile *f, Error **errp)
{
    SavevmSection *sec;

    QTAILQ_FOREACH(sec, &sections, link) {
        int ret;

        if (!section_is_live(sec) || !sec->ops->load_setup) {
            continue;
        }
        ret = sec->ops->load_setup(f, sec->opaque);
        if (ret < 0) {
            qemu_file_set_error(f, ret);
            error_setg(errp, "Load state of device %s failed", sec->idstr);
            return ret;
        }
    }
    return 0;
}

void qemu_loadvm_state_cleanup(void)
{
    SavevmSection *sec;

    QTAILQ_FOREACH(sec, &sections, link) {
        if (sec->ops && sec->ops->load_cleanup) {
            sec->ops->load_cleanup(sec->opaque);
        }
    }
}

/*
 * Postcopy on the destination
 *
 * ADVISE announces it.  LISTEN, which must come inside the PACKAGED
 * element that ends precopy, starts the listen thread; RUN schedules the
 * VM start and ends every loader of the main thread (LOADVM_QUIT).  The
 * listen thread is held until that start has happened: until then the
 * main thread owns the bitmaps the stream started (a listen thread that
 * read on at once could find the stream broken and release them while
 * the start walks them, issue 11).  If the package fails instead, its
 * reader tells the listen thread to quit and joins it.
 */

static int loadvm_postcopy_advise(QEMUFile *f, uint16_t len, Error **errp)
{
    PostcopyState was = postcopy_state_set(POSTCOPY_INCOMING_ADVISE);
    uint64_t page_sizes, target_page_size;

    if (was != POSTCOPY_INCOMING_NONE) {
        error_setg(errp, "CMD_POSTCOPY_ADVISE in wrong postcopy state (%d)",
                   was);
        return -1;
    }
    if (len == 0 && migrate_postcopy_ram()) {
        error_setg(errp, "RAM postcopy is enabled but have 0 byte advise");
        return -EINVAL;
    }
    if (len == 0) {
        return 0;
    }
    if (len != 16) {
        error_setg(errp, "CMD_POSTCOPY_ADVISE invalid length (%d)", len);
        return -EINVAL;
    }
    if (!migrate_postcopy_ram()) {
        error_setg(errp, "RAM postcopy is disabled but have 16 byte advise");
        return -EINVAL;
    }
    page_sizes = qemu_get_be64(f);
    target_page_size = qemu_get_be64(f);
    if (qemu_file_get_error(f)) {
        error_setg(errp, "CMD_POSTCOPY_ADVISE: failed to read its page "
                   "sizes");
        return qemu_file_get_error(f);
    }
    /* Our page size summary is 0: there is no RAM block. */
    if (page_sizes != 0) {
        error_setg(errp, "Postcopy needs matching RAM page sizes (s=%" PRIx64
                   " d=0)", page_sizes);
        return -EINVAL;
    }
    if (target_page_size != POSTCOPY_TARGET_PAGE_SIZE) {
        error_setg(errp, "Postcopy needs matching target page sizes (s=%d "
                   "d=%d)", (int)target_page_size, POSTCOPY_TARGET_PAGE_SIZE);
        return -EINVAL;
    }
    return 0;
}

/*
 * A postcopy load that failed after RUN is no reason to give the VM up
 * when bitmaps are all it had left to bring (QEMU 7.2's rule).
 */
static bool postcopy_failure_is_bearable(void)
{
    return postcopy_state_get() == POSTCOPY_INCOMING_RUNNING &&
           !migrate_postcopy_ram() && migrate_dirty_bitmaps();
}

/*
 * The listen thread's load failed with @ret and @err.  Exit with status
 * 1, unless the failure is bearable (then go on: true) or the process is
 * quitting, which is what broke the stream (then end quietly: false).
 * Decided under the BQL, with which quit marks the loaders' end.
 */
static bool postcopy_listen_failed(MigrationIncomingState *mis, int ret,
                                   Error *err)
{
    QEMU_IOTHREAD_LOCK_GUARD();

    if (mis->quitting) {
        error_free(err);
        return false;
    }
    if (err) {
        error_report_err(err);
    }
    if (!postcopy_failure_is_bearable()) {
        error_report("postcopy_ram_listen_thread: loadvm failed: %d", ret);
        migrate_set_state(&mis->state, MIGRATION_STATUS_POSTCOPY_ACTIVE,
                          MIGRATION_STATUS_FAILED);
        exit(EXIT_FAILURE);
    }
    error_report("postcopy_ram_listen_thread: loadvm failed during "
                 "postcopy: %d. All states are migrated except dirty "
                 "bitmaps. Some dirty bitmaps may be lost, and present "
                 "migrated dirty bitmaps are correctly migrated and "
                 "valid.", ret);
    return true;
}

static void *postcopy_ram_listen_thread(void *opaque)
{
    MigrationIncomingState *mis = opaque;
    Error *local_err = NULL;
    int ret;

    in_listen_thread = true;
    migrate_set_state(&mis->state, MIGRATION_STATUS_ACTIVE,
                      MIGRATION_STATUS_POSTCOPY_ACTIVE);
    qemu_sem_post(&mis->thread_sync_sem);

    qemu_sem_wait(&mis->listen_start_sem);
    if (!qatomic_read(&mis->listen_go)) {
        return NULL;
    }
    for (;;) {
        ret = qemu_loadvm_state_main(mis->from_src_file, mis, &local_err);
        if (ret >= 0) {
            break;
        }
        /* postcopy-ram: wait for migrate-recover, then read on. */
        if (!migration_incoming_postcopy_pause(mis, &local_err)) {
            break;
        }
    }
    if (ret < 0 && !postcopy_listen_failed(mis, ret, local_err)) {
        return NULL;
    }
    /* The main loader may still be unwinding from the package. */
    qemu_sem_wait(&mis->main_thread_load_sem);
    migration_incoming_postcopy_finish(mis);
    postcopy_state_set(POSTCOPY_INCOMING_END);
    return NULL;
}

/*
 * Give the main stream to the held listen thread (@go), or tell it to
 * quit and join it.  Called by RUN's bottom half once the VM started,
 * or by the reader of a package that failed.
 */
static void postcopy_listen_thread_release(MigrationIncomingState *mis,
                                           bool go)
{
    QEMU_IOTHREAD_LOCK_GUARD();

    mis->listen_held = false;
    qatomic_set(&mis->listen_go, go);
    qemu_sem_post(&mis->listen_start_sem);
    if (go) {
        return;
    }
    migration_thread_join_locked(&mis->listen_thread,
                                 &mis->listen_thread_joinable);
    mis->have_listen_thread = false;
}

void postcopy_listen_thread_quit(MigrationIncomingState *mis)
{
    if (mis->listen_held) {
        /* RUN's bottom half, which would release it, will not run. */
        postcopy_listen_thread_release(mis, false);
    }
    migration_thread_join_locked(&mis->listen_thread,
                                 &mis->listen_thread_joinable);
}

static int loadvm_postcopy_listen(MigrationIncomingState *mis, QEMUFile *f,
                                  Error **errp)
{
    PostcopyState was = postcopy_state_set(POSTCOPY_INCOMING_LISTENING);
    bool locked;

    if (was != POSTCOPY_INCOMING_ADVISE && was != POSTCOPY_INCOMING_DISCARD) {
        error_setg(errp, "CMD_POSTCOPY_LISTEN in wrong postcopy state (%d)",
                   was);
        return -1;
    }
    /* Outside a package the listen thread would share our stream. */
    if (!mis->from_src_file || f == mis->from_src_file) {
        error_setg(errp, "CMD_POSTCOPY_LISTEN outside of a package");
        return -1;
    }
    mis->have_listen_thread = true;
    mis->listen_held = true;
    mis->listen_thread_joinable = true;
    qatomic_set(&mis->listen_go, false);
    qemu_thread_create(&mis->listen_thread, "postcopy/listen",
                       postcopy_ram_listen_thread, mis, QEMU_THREAD_JOINABLE);
    /*
     * Wait until it is postcopy-active, as QEMU does, so that the event
     * precedes RUN's RESUME; its state change may need the BQL.
     */
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
 * RUN's bottom half, in the main loop with the BQL: take the images, let
 * the bitmaps still loading record through their successors, start the
 * VM, and only then hand the rest of the stream to the listen thread.
 * From there on it loads without the BQL under the module's lock, as in
 * QEMU; bitmaps it gives up are released under the BQL.
 */
static void loadvm_postcopy_handle_run_bh(void *opaque)
{
    MigrationIncomingState *mis = opaque;
    Error *local_err = NULL;

    if (mis->quitting) {
        return;
    }
    bdrv_activate_all(&local_err);
    if (local_err) {
        /* Without its images the VM stays stopped. */
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

static int loadvm_postcopy_run(MigrationIncomingState *mis, Error **errp)
{
    PostcopyState was = postcopy_state_set(POSTCOPY_INCOMING_RUNNING);

    if (was != POSTCOPY_INCOMING_LISTENING) {
        error_setg(errp, "CMD_POSTCOPY_RUN in wrong postcopy state (%d)",
                   was);
        return -1;
    }
    qemu_bh_schedule_oneshot(loadvm_postcopy_handle_run_bh, mis);
    /* The rest of the stream is the listen thread's: stop every loader. */
    return LOADVM_QUIT;
}

/*
 * PACKAGED: read the blob, then load it as a stream of its own.  The
 * buffer grows with the bytes that really arrive, so an announced
 * length costs nothing until data backs it.
 */
static int loadvm_packaged(MigrationIncomingState *mis, QEMUFile *f,
                           Error **errp)
{
    uint32_t length = qemu_get_be32(f);
    g_autoptr(GByteArray) blob = g_byte_array_new();
    QEMUFile *packf;
    int ret = qemu_file_get_error(f);

    if (ret) {
        error_setg_errno(errp, -ret, "CMD_PACKAGED: failed to read its "
                         "length");
        return ret;
    }
    while (blob->len < length) {
        guint have = blob->len;
        size_t want = MIN((size_t)(length - have), (size_t)MiB);
        size_t got;

        g_byte_array_set_size(blob, have + want);
        got = qemu_get_buffer(f, blob->data + have, want);
        if (got != want) {
            error_setg(errp, "CMD_PACKAGED: Buffer receive fail ret=%zu "
                       "length=%" PRIu32, have + got, length);
            return qemu_file_get_error(f) ?: -EAGAIN;
        }
    }
    packf = qemu_file_new_buffer_input(blob->data, blob->len);
    ret = qemu_loadvm_state_main(packf, mis, errp);
    qemu_fclose(packf);
    if (ret == LOADVM_QUIT || !mis->listen_held) {
        /* After RUN, its bottom half holds the listen thread's fate. */
        return ret;
    }
    if (ret == 0) {
        error_setg(errp, "CMD_PACKAGED: POSTCOPY_LISTEN without "
                   "POSTCOPY_RUN");
        ret = -EINVAL;
    }
    postcopy_listen_thread_release(mis, false);
    return ret;
}

static int loadvm_ping(MigrationIncomingState *mis, QEMUFile *f,
                       Error **errp)
{
    uint32_t value = qemu_get_be32(f);

    if (!mis->to_src_file) {
        error_setg(errp, "CMD_PING (0x%" PRIx32 ") received with no return "
                   "path", value);
        return -1;
    }
    migrate_send_rp_pong(mis, value);
    return 0;
}

static int loadvm_open_return_path(MigrationIncomingState *mis,
                                   QEMUFile *f, Error **errp)
{
    if (mis->to_src_file) {
        /* Harmless: QEMU complains and goes on. */
        error_report("CMD_OPEN_RETURN_PATH called when RP already open");
        return 0;
    }
    mis->to_src_file = qemu_file_get_return_path(f);
    if (!mis->to_src_file) {
        error_setg(errp, "CMD_OPEN_RETURN_PATH failed");
        return -1;
    }
    return 0;
}

/*
 * POSTCOPY_RESUME, first on migrate-recover's channel: postcopy-active
 * again, and RESUME_ACK tells the source.  Out of place, QEMU 7.2 only
 * complains.
 */
static int loadvm_postcopy_resume(MigrationIncomingState *mis)
{
    if (qatomic_read(&mis->state) != MIGRATION_STATUS_POSTCOPY_RECOVER) {
        error_report("loadvm_postcopy_handle_resume: illegal resume "
                     "received");
        return 0;
    }
    migrate_set_state(&mis->state, MIGRATION_STATUS_POSTCOPY_RECOVER,
                      MIGRATION_STATUS_POSTCOPY_ACTIVE);
    migrate_send_rp_resume_ack(mis, MIGRATION_RESUME_ACK_VALUE);
    return 0;
}

static int loadvm_command(QEMUFile *f, MigrationIncomingState *mis,
                          Error **errp)
{
    uint16_t cmd = qemu_get_be16(f);
    uint16_t len = qemu_get_be16(f);
    int want, ret = qemu_file_get_error(f);

    if (ret) {
        error_setg_errno(errp, -ret, "Failed to read a command");
        return ret;
    }
    if (cmd == MIG_CMD_INVALID || cmd >= MIG_CMD_MAX) {
        error_setg(errp, "MIG_CMD 0x%x unknown (len 0x%x)", cmd, len);
        return -EINVAL;
    }
    trace_loadvm_process_command(command_names[cmd], len);
    want = command_fixed_len(cmd);
    if (want >= 0 && want != len) {
        error_setg(errp, "%s received with bad length - expecting %d, got %d",
                   command_names[cmd], want, len);
        return -ERANGE;
    }
    switch (cmd) {
    case MIG_CMD_OPEN_RETURN_PATH:
        return loadvm_open_return_path(mis, f, errp);
    case MIG_CMD_PING:
        return loadvm_ping(mis, f, errp);
    case MIG_CMD_POSTCOPY_ADVISE:
        return loadvm_postcopy_advise(f, len, errp);
    case MIG_CMD_POSTCOPY_LISTEN:
        return loadvm_postcopy_listen(mis, f, errp);
    case MIG_CMD_POSTCOPY_RUN:
        return loadvm_postcopy_run(mis, errp);
    case MIG_CMD_PACKAGED:
        return loadvm_packaged(mis, f, errp);
    case MIG_CMD_POSTCOPY_RESUME:
        return loadvm_postcopy_resume(mis);
    default:
        /* RAM discards and bitmaps, COLO: guest RAM or COLO needed. */
        error_setg(errp, "%s is not supported by minivmm",
                   command_names[cmd]);
        return -ENOTSUP;
    }
}

/* One element of type @type; LOADVM_QUIT ends every loop (RUN). */
static int loadvm_element(QEMUFile *f, MigrationIncomingState *mis,
                          uint8_t type, Error **errp)
{
    int ret;

    switch (type) {
    case QEMU_VM_SECTION_START:
    case QEMU_VM_SECTION_FULL:
        return loadvm_section_start(f, errp);
    case QEMU_VM_SECTION_PART:
    case QEMU_VM_SECTION_END:
        return loadvm_section_part(f, errp);
    case QEMU_VM_COMMAND:
        ret = loadvm_command(f, mis, errp);
        trace_qemu_loadvm_state_section_command(ret);
        return ret;
    default:
        error_setg(errp, "Unknown savevm section type %d", type);
        return -EINVAL;
    }
}

int qemu_loadvm_state_main(QEMUFile *f, MigrationIncomingState *mis,
                           Error **errp)
{
    int ret;

    for (;;) {
        uint8_t type = qemu_get_byte(f);

        ret = qemu_file_get_error(f);
        if (ret) {
            error_setg_errno(errp, -ret, "Failed to read the migration "
                             "stream");
            break;
        }
        trace_qemu_loadvm_state_section(type);
        if (type == QEMU_VM_EOF) {
            return 0;
        }
        ret = loadvm_element(f, mis, type, errp);
        if (ret == LOADVM_QUIT) {
            return ret;
        }
        if (ret < 0) {
            break;
        }
    }
    qemu_file_set_error(f, ret);
    loadvm_cancel_bitmaps();
    return ret;
}

/*
 * The JSON trailer after a precopy stream's EOF lets the sender finish
 * writing; we skip it.  Its absence earns a message only, as in QEMU.
 */
static void loadvm_skip_vmdesc(QEMUFile *f)
{
    uint8_t type = qemu_get_byte(f);
    uint32_t left;

    if (type != QEMU_VM_VMDESCRIPTION) {
        error_report("Expected vmdescription section, but got %d", type);
        return;
    }
    for (left = qemu_get_be32(f); left && !qemu_file_get_error(f);) {
        uint8_t sink[4096];
        uint32_t n = MIN(left, (uint32_t)sizeof(sink));

        qemu_get_buffer(f, sink, n);
        left -= n;
    }
}

int qemu_loadvm_state(QEMUFile *f, Error **errp)
{
    MigrationIncomingState *mis = migration_incoming_get_current();
    int ret;

    ret = loadvm_read_header(f, errp);
    if (ret) {
        return ret;
    }
    if (loadvm_setup_sections(f, errp)) {
        return -EINVAL;
    }
    ret = qemu_loadvm_state_main(f, mis, errp);
    if (mis->have_listen_thread) {
        /* The listen thread has the rest of the stream. */
        qemu_sem_post(&mis->main_thread_load_sem);
        return MIN(ret, 0);
    }
    if (ret == 0) {
        ret = qemu_file_get_error(f);
        if (ret) {
            error_setg_errno(errp, -ret, "Failed to read the migration "
                             "stream");
        } else if (!migration_in_postcopy()) {
            loadvm_skip_vmdesc(f);
        }
    }
    qemu_loadvm_state_cleanup();
    return ret;
}
