/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command line and start-up/tear-down of the minivmm process. */
#include "qemu/osdep.h"

#include "block/block.h"
#include "chardev/char.h"
#include "migration/misc.h"
#include "monitor/monitor.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-migration.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/queue.h"
#include "sysemu/qtest.h"
#include "sysemu/blockdev.h"  /* block area */
#include "sysemu/runstate.h"
#include "sysemu/sysemu.h"
#include "system/trace-groups.h"
#include "trace/control.h"

/*
 * Options are looked up in qemu_options[] (QEMU's qemu-options.def) and
 * handled by the switch in qemu_init().  Options that create things
 * (chardevs, monitors, block nodes...) are queued as CmdlineOpt in
 * command line order and created after parsing, each with its option
 * as the error location, so errors read
 *   "minivmm: -chardev socket,id=m,path=/x: Failed to connect to ..."
 *
 * Extending: add the QEMU_OPTION_ value and the qemu_options[] entry,
 * queue the option in the switch with cmdline_opt_add(), and create it
 * in qemu_init() as create_block_devices() does.
 */

#define HAS_ARG 0x0001

enum {
    QEMU_OPTION_h,
    QEMU_OPTION_version,
    QEMU_OPTION_machine,
    QEMU_OPTION_accel,
    QEMU_OPTION_nodefaults,
    QEMU_OPTION_no_user_config,
    QEMU_OPTION_display,
    QEMU_OPTION_vga,
    QEMU_OPTION_nographic,
    QEMU_OPTION_S,
    QEMU_OPTION_name,
    QEMU_OPTION_m,
    QEMU_OPTION_trace,
    QEMU_OPTION_msg,
    QEMU_OPTION_chardev,
    QEMU_OPTION_mon,
    QEMU_OPTION_qmp,
    QEMU_OPTION_qmp_pretty,
    QEMU_OPTION_monitor,
    QEMU_OPTION_serial,
    QEMU_OPTION_qtest,
    QEMU_OPTION_qtest_log,
    QEMU_OPTION_daemonize,
    QEMU_OPTION_device,
    QEMU_OPTION_object,
    QEMU_OPTION_drive,
    QEMU_OPTION_blockdev,
    QEMU_OPTION_incoming,
};

typedef struct QEMUOption {
    const char *name;
    int flags;
    int index;
} QEMUOption;

static const QEMUOption qemu_options[] = {
    { "h",              0,       QEMU_OPTION_h },
    { "help",           0,       QEMU_OPTION_h },
    { "version",        0,       QEMU_OPTION_version },
    { "machine",        HAS_ARG, QEMU_OPTION_machine },
    { "M",              HAS_ARG, QEMU_OPTION_machine },
    { "accel",          HAS_ARG, QEMU_OPTION_accel },
    { "nodefaults",     0,       QEMU_OPTION_nodefaults },
    { "no-user-config", 0,       QEMU_OPTION_no_user_config },
    { "display",        HAS_ARG, QEMU_OPTION_display },
    { "vga",            HAS_ARG, QEMU_OPTION_vga },
    { "nographic",      0,       QEMU_OPTION_nographic },
    { "S",              0,       QEMU_OPTION_S },
    { "name",           HAS_ARG, QEMU_OPTION_name },
    { "m",              HAS_ARG, QEMU_OPTION_m },
    { "trace",          HAS_ARG, QEMU_OPTION_trace },
    { "msg",            HAS_ARG, QEMU_OPTION_msg },
    { "chardev",        HAS_ARG, QEMU_OPTION_chardev },
    { "mon",            HAS_ARG, QEMU_OPTION_mon },
    { "qmp",            HAS_ARG, QEMU_OPTION_qmp },
    { "qmp-pretty",     HAS_ARG, QEMU_OPTION_qmp_pretty },
    { "monitor",        HAS_ARG, QEMU_OPTION_monitor },
    { "serial",         HAS_ARG, QEMU_OPTION_serial },
    { "qtest",          HAS_ARG, QEMU_OPTION_qtest },
    { "qtest-log",      HAS_ARG, QEMU_OPTION_qtest_log },
    { "daemonize",      0,       QEMU_OPTION_daemonize },
    { "device",         HAS_ARG, QEMU_OPTION_device },
    { "object",         HAS_ARG, QEMU_OPTION_object },
    { "drive",          HAS_ARG, QEMU_OPTION_drive },
    { "blockdev",       HAS_ARG, QEMU_OPTION_blockdev },
    { "incoming",       HAS_ARG, QEMU_OPTION_incoming },
    { NULL },
};

/* The machines of interface-contract 2.2; the first one is the default. */
typedef struct MachineInfo {
    const char *name;
    const char *alias;      /* or NULL */
    const char *desc;
    bool has_pci;
} MachineInfo;

static const MachineInfo machines[] = {
    { "pc-i440fx-7.2", "pc", "Standard PC (i440FX + PIIX, 1996)", true },
    { "pc-q35-7.2", "q35", "Standard PC (Q35 + ICH9, 2009)", true },
    { "none", NULL, "empty machine", false },
};

/* An option whose effect is created after parsing, in command line order. */
typedef struct CmdlineOpt {
    int index;              /* QEMU_OPTION_* */
    int argv_idx;           /* where it is in argv, for the Location */
    char *arg;              /* its argument (or a derived spec) */
    QTAILQ_ENTRY(CmdlineOpt) next;
} CmdlineOpt;

static QTAILQ_HEAD(, CmdlineOpt) cmdline_opts =
    QTAILQ_HEAD_INITIALIZER(cmdline_opts);

uint64_t ram_size = 128 * MiB;

static const MachineInfo *current_machine;
static char **saved_argv;
static const char *qtest_chrdev;
static const char *qtest_log;
static int compat_monitor_count;

/* Whether the machine has a PCI bus (machine "none" has none). */
static bool current_machine_has_pci(void)
{
    return current_machine ? current_machine->has_pci : true;
}

static void cmdline_opt_add(int index, int argv_idx, const char *arg)
{
    CmdlineOpt *o = g_new0(CmdlineOpt, 1);

    o->index = index;
    o->argv_idx = argv_idx;
    o->arg = g_strdup(arg);
    QTAILQ_INSERT_TAIL(&cmdline_opts, o, next);
}

/* Make @o's option the error location. */
static void cmdline_opt_set_loc(const CmdlineOpt *o)
{
    loc_set_cmdline(saved_argv, o->argv_idx, 2);
}

static const QEMUOption *lookup_opt(int argc, char **argv,
                                    const char **poptarg, int *poptind)
{
    const QEMUOption *popt;
    int optind = *poptind;
    char *r = argv[optind];

    loc_set_cmdline(argv, optind, 1);
    optind++;
    /* --foo means -foo */
    if (r[1] == '-') {
        r++;
    }
    for (popt = qemu_options; popt->name; popt++) {
        if (!strcmp(popt->name, r + 1)) {
            break;
        }
    }
    if (!popt->name) {
        error_report("invalid option");
        exit(1);
    }
    if (popt->flags & HAS_ARG) {
        if (optind >= argc) {
            error_report("requires an argument");
            exit(1);
        }
        *poptarg = argv[optind++];
        loc_set_cmdline(argv, optind - 2, 2);
    } else {
        *poptarg = NULL;
    }
    *poptind = optind;
    return popt;
}

static void version(void)
{
    printf("QEMU emulator version " QEMU_VERSION " (minivmm)\n"
           "minivmm: a small VMM with QEMU 7.2's interfaces; "
           "GPL-2.0-or-later\n");
}

static void help(void)
{
    version();
    printf("usage: %s [options]\n\n"
           "-machine|-M TYPE[,accel=A] select the machine "
           "(-machine help lists them)\n"
           "-accel tcg|qtest         select the accelerator\n"
           "-nodefaults              create no default devices\n"
           "-display none            no display\n"
           "-vga none                no VGA card\n"
           "-S                       do not start the VM (runstate prelaunch)"
           "\n"
           "-name NAME               name the VM\n"
           "-m SIZE                  guest RAM size (default 128M)\n"
           "-trace [enable=]PATTERN  enable trace events\n"
           "-chardev socket,id=ID,path=P|host=H,port=N[,server=on,wait=off]"
           "\n"
           "                         a character device (connects, or "
           "listens with server=on)\n"
           "-mon chardev=ID,mode=control|readline\n"
           "                         a QMP or HMP monitor on chardev ID\n"
           "-qmp unix:P,server=on,wait=off | tcp:H:N,server=on,wait=off\n"
           "                         a QMP monitor on a listening socket\n"
           "-qmp-pretty dev          like -qmp but uses pretty JSON "
           "formatting\n"
           "-monitor stdio|null|unix:P,server=on,wait=off\n"
           "                         an HMP monitor\n"
           "-qtest unix:path=P       connect to a qtest driver at P\n"
           "-qtest-log FILE          log qtest traffic to FILE "
           "(default stderr)\n"
           "-device virtio-blk-pci,drive=ID[,id=ID]\n"
           "                         a virtio disk on drive (or node) ID\n"
           "-device help             list devices\n"
           "-drive [file=file][,if=none|virtio][,id=name][,format=f]\n"
           "       [,cache=writethrough|writeback|none|directsync|unsafe]\n"
           "       [,aio=threads|native|io_uring][,readonly=on|off]\n"
           "       [,discard=ignore|unmap][,detect-zeroes=on|off|unmap]\n"
           "       [,node-name=N][,driver=d][,driver specific parameters...]\n"
           "                         a drive (a BlockBackend named id)\n"
           "-drive format=help       list block formats\n"
           "-blockdev [driver=]driver[,node-name=N][,discard=ignore|unmap]\n"
           "          [,cache.direct=on|off][,cache.no-flush=on|off]\n"
           "          [,read-only=on|off][,auto-read-only=on|off]\n"
           "          [,force-share=on|off][,detect-zeroes=on|off|unmap]\n"
           "          [,driver specific parameters...]\n"
           "                         configure a block backend "
           "(or JSON: '{...}')\n"
           "-incoming tcp:host:port\n"
           "-incoming unix:socketpath\n"
           "                         prepare for incoming migration, listen "
           "on\n"
           "                         specified protocol and socket address\n"
           "-incoming exec:cmdline   accept incoming migration from given "
           "external command\n"
           "-incoming defer          wait for the URI to be specified via "
           "migrate_incoming\n"
           "-version                 print the version\n"
           "-h                       print this help\n",
           error_get_progname());
}

static void machine_help(void)
{
    size_t i;

    printf("Supported machines are:\n");
    for (i = 0; i < ARRAY_SIZE(machines); i++) {
        if (machines[i].alias) {
            printf("%-20s %s (alias of %s)\n", machines[i].alias,
                   machines[i].desc, machines[i].name);
        }
        printf("%-20s %s%s\n", machines[i].name, machines[i].desc,
               i == 0 ? " (default)" : "");
    }
}

static const MachineInfo *find_machine(const char *name)
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(machines); i++) {
        if (!strcmp(machines[i].name, name) ||
            (machines[i].alias && !strcmp(machines[i].alias, name))) {
            return &machines[i];
        }
    }
    return NULL;
}

/* Split "VALUE,key=val,..." and return the implied first value or @key. */
static char *opt_get(const char *arg, const char *implied, const char *key)
{
    g_auto(GStrv) items = g_strsplit(arg, ",", -1);
    char *found = NULL;
    char **p;

    for (p = items; *p; p++) {
        char *eq = strchr(*p, '=');

        if (!eq) {
            if (p == items && implied && !strcmp(implied, key)) {
                g_free(found);
                found = g_strdup(*p);
            }
            continue;
        }
        if (!strncmp(*p, key, eq - *p) && strlen(key) == (size_t)(eq - *p)) {
            g_free(found);
            found = g_strdup(eq + 1);
        }
    }
    return found;
}

/*
 * Reject -machine properties no machine has (QEMU's wording); the common
 * ones QEMU's machines know are accepted and ignored.
 */
static void machine_check_props(const char *arg, const MachineInfo *m)
{
    static const char *const known[] = {
        "type", "accel", "usb", "graphics", "dump-guest-core", "mem-merge",
        "memory-backend", "kernel-irqchip", "suppress-vmdesc", "smm",
        "vmport", "hpet", "sata", "pit", "pic", "nvdimm", "i8042",
        "max-ram-below-4g", "confidential-guest-support", "kernel",
        "initrd", "append", "firmware", "dtb", "dumpdtb", "phandle-start",
        "dt-compatible", "memory-encryption", "hmat", "acpi", "smbus",
        "default-bus-bypass-iommu", "x-oem-id", "x-oem-table-id",
    };
    g_auto(GStrv) items = g_strsplit(arg, ",", -1);
    char **p;
    size_t i;

    for (p = items; *p; p++) {
        g_autofree char *key = g_strndup(*p, strcspn(*p, "="));

        if (p == items && !strchr(*p, '=')) {
            continue;           /* the implied type */
        }
        for (i = 0; i < ARRAY_SIZE(known); i++) {
            if (!strcmp(key, known[i])) {
                break;
            }
        }
        if (i == ARRAY_SIZE(known)) {
            error_report("Property '%s-machine.%s' not found", m->name, key);
            exit(1);
        }
    }
}

static bool is_help_arg(const char *s)
{
    return s && (!strcmp(s, "help") || !strcmp(s, "?"));
}

static void device_help(void)
{
    printf("Storage devices:\n"
           "name \"virtio-blk-pci\", bus PCI, alias \"virtio-blk\"\n");
}

static void accel_help(void)
{
    printf("Accelerators supported in QEMU binary:\ntcg\nqtest\n");
}

/* -accel NAME[,opts] */
static void parse_accel(const char *arg, bool *help_requested)
{
    g_autofree char *name = opt_get(arg, "accel", "accel");

    if (is_help_arg(name)) {
        *help_requested = true;
    } else if (name && !strcmp(name, "qtest")) {
        qtest_allowed = true;
    } else if (!name || strcmp(name, "tcg")) {
        error_report("invalid accelerator %s", name ? name : "");
        exit(1);
    }
}

/* -m [size=]SIZE (default unit MiB; 0 keeps the default) */
static void parse_memory(const char *arg)
{
    g_autofree char *size = opt_get(arg, "size", "size");
    uint64_t sz;
    int ret = size ? qemu_strtosz_MiB(size, NULL, &sz) : -EINVAL;

    if (ret == -ERANGE) {
        error_report("Value '%s' is out of range for parameter 'size'", size);
        exit(1);
    }
    if (ret < 0) {
        error_report("Parameter 'size' expects a non-negative number "
                     "below 2^64");
        error_printf("Optional suffix k, M, G, T, P or E means kilo-, "
                     "mega-, giga-, tera-, peta-\n"
                     "and exabytes, respectively.\n");
        exit(1);
    }
    if (sz) {
        ram_size = sz;
    }
}

/* -qmp / -monitor: a compat chardev plus a monitor on it. */
/* @mode: "readline" (HMP), "control" (QMP) or "pretty" (QMP, indented) */
static void add_compat_monitor(int argv_idx, const char *arg,
                               const char *mode)
{
    g_autofree char *label = g_strdup_printf("compat_monitor%d",
                                             compat_monitor_count++);
    Error *err = NULL;
    g_autofree char *spec = qemu_chr_parse_compat(label, arg, &err);
    g_autofree char *mon = NULL;

    if (!spec) {
        error_report_err(err);
        error_report("parse error: %s", arg);
        exit(1);
    }
    mon = g_strdup_printf("chardev=%s,mode=%s", label,
                          !strcmp(mode, "pretty") ?
                          "control,pretty=on" : mode);
    cmdline_opt_add(QEMU_OPTION_chardev, argv_idx, spec);
    cmdline_opt_add(QEMU_OPTION_mon, argv_idx, mon);
}

static void create_chardevs(void)
{
    CmdlineOpt *o;

    QTAILQ_FOREACH(o, &cmdline_opts, next) {
        if (o->index == QEMU_OPTION_chardev) {
            Error *err = NULL;

            cmdline_opt_set_loc(o);
            if (!qemu_chr_new_from_opts(o->arg, &err)) {
                error_report_err(err);
                exit(1);
            }
        }
    }
    loc_set_none();
}

/* block area: -blockdev first, then -drive, as QEMU's configure_blockdev */
static void create_block_devices(void)
{
    static const int order[] = { QEMU_OPTION_blockdev, QEMU_OPTION_drive };
    CmdlineOpt *o;
    size_t i;

    /*
     * QEMU enters 'inmigrate' while parsing -incoming, so that the nodes
     * of a destination open inactive (no image locks, no bitmap loading).
     */
    QTAILQ_FOREACH(o, &cmdline_opts, next) {
        if (o->index == QEMU_OPTION_incoming) {
            runstate_set(RUN_STATE_INMIGRATE);
        }
    }
    for (i = 0; i < ARRAY_SIZE(order); i++) {
        QTAILQ_FOREACH(o, &cmdline_opts, next) {
            Error *err = NULL;
            bool ok;

            if (o->index != order[i]) {
                continue;
            }
            cmdline_opt_set_loc(o);
            if (o->index == QEMU_OPTION_blockdev) {
                ok = blockdev_add_str(o->arg, &err);
            } else {
                ok = !!drive_new_str(o->arg, IF_DEFAULT,
                                     current_machine_has_pci(), &err);
            }
            if (!ok) {
                error_report_err(err);
                exit(1);
            }
        }
    }
    loc_set_none();
}

/* -device, after the drives they attach to, in command line order */
static void create_devices(void)
{
    CmdlineOpt *o;

    QTAILQ_FOREACH(o, &cmdline_opts, next) {
        Error *err = NULL;

        if (o->index != QEMU_OPTION_device) {
            continue;
        }
        cmdline_opt_set_loc(o);
        if (!device_new_str(o->arg, current_machine_has_pci(), &err)) {
            error_report_err(err);
            exit(1);
        }
    }
    loc_set_none();
}

static void create_monitors(void)
{
    CmdlineOpt *o;

    QTAILQ_FOREACH(o, &cmdline_opts, next) {
        if (o->index == QEMU_OPTION_mon) {
            Error *err = NULL;

            cmdline_opt_set_loc(o);
            if (!monitor_init_opts(o->arg, &err)) {
                error_report_err(err);
                exit(1);
            }
        }
    }
    loc_set_none();
}

/*
 * -incoming URI: the VM waits in 'inmigrate'; "defer" waits for QMP
 * migrate-incoming.  Returns whether -incoming was given.
 */
static bool start_incoming_migration(void)
{
    CmdlineOpt *o, *incoming = NULL;
    Error *err = NULL;

    QTAILQ_FOREACH(o, &cmdline_opts, next) {
        if (o->index == QEMU_OPTION_incoming) {
            incoming = o;
        }
    }
    if (!incoming) {
        return false;
    }
    runstate_set(RUN_STATE_INMIGRATE);
    if (strcmp(incoming->arg, "defer") != 0) {
        cmdline_opt_set_loc(incoming);
        qmp_migrate_incoming(incoming->arg, &err);
        if (err) {
            error_report_err(err);
            exit(1);
        }
        loc_set_none();
    }
    return true;
}

static void cmdline_opts_free(void)
{
    CmdlineOpt *o, *next;

    QTAILQ_FOREACH_SAFE(o, &cmdline_opts, next, next) {
        QTAILQ_REMOVE(&cmdline_opts, o, next);
        g_free(o->arg);
        g_free(o);
    }
}

void qemu_init(int argc, char **argv)
{
    g_autoptr(GHashTable) device_ids = g_hash_table_new_full(g_str_hash,
                                                             g_str_equal,
                                                             g_free, NULL);
    const char *machine_arg = NULL;
    bool machine_help_requested = false;
    bool device_help_requested = false;
    bool drive_help_requested = false;
    bool accel_help_requested = false;
    bool incoming;              /* -incoming given (migration area) */
    Location loc;
    int optind = 1;

    error_init(argv[0]);
    saved_argv = argv;
    trace_init_groups();
    qemu_init_main_loop(&error_fatal);
    /* The main thread holds the BQL except while polling. */
    qemu_mutex_lock_iothread();
    runstate_init();
    monitor_init_globals();
    bdrv_init();

    loc_push_none(&loc);
    while (optind < argc) {
        const QEMUOption *popt;
        const char *optarg;
        int opt_idx = optind;

        if (argv[optind][0] != '-' || !argv[optind][1]) {
            /* QEMU: a disk image for the first hard disk */
            loc_set_cmdline(argv, optind, 1);
            error_report("disk image arguments are not supported, "
                         "use -drive or -blockdev");
            exit(1);
        }
        popt = lookup_opt(argc, argv, &optarg, &optind);
        switch (popt->index) {
        case QEMU_OPTION_h:
            help();
            exit(0);
        case QEMU_OPTION_version:
            version();
            exit(0);
        case QEMU_OPTION_machine: {
            g_autofree char *type = opt_get(optarg, "type", "type");
            g_autofree char *accel = opt_get(optarg, "type", "accel");

            if (is_help_arg(type)) {
                machine_help_requested = true;
            } else if (type) {
                machine_arg = optarg;
            }
            if (accel) {
                parse_accel(accel, &accel_help_requested);
            }
            break;
        }
        case QEMU_OPTION_accel:
            parse_accel(optarg, &accel_help_requested);
            break;
        case QEMU_OPTION_nodefaults:
        case QEMU_OPTION_no_user_config:
        case QEMU_OPTION_nographic:
            break;
        case QEMU_OPTION_display: {
            g_autofree char *type = opt_get(optarg, "type", "type");

            if (!type || strcmp(type, "none")) {
                error_report("Parameter 'type' does not accept value '%s'",
                             type ? type : "");
                exit(1);
            }
            break;
        }
        case QEMU_OPTION_vga:
            if (strcmp(optarg, "none")) {
                loc_set_none();
                error_report("unknown vga type: %s", optarg);
                exit(1);
            }
            break;
        case QEMU_OPTION_S:
            autostart = 0;
            break;
        case QEMU_OPTION_name:
            qemu_name = opt_get(optarg, "guest", "guest");
            break;
        case QEMU_OPTION_m:
            parse_memory(optarg);
            break;
        case QEMU_OPTION_trace: {
            Error *err = NULL;

            if (!trace_opt_parse(optarg, &err)) {
                error_report_err(err);
                exit(1);
            }
            break;
        }
        case QEMU_OPTION_msg: {
            g_autofree char *ts = opt_get(optarg, NULL, "timestamp");

            message_with_timestamp = ts && !strcmp(ts, "on");
            break;
        }
        case QEMU_OPTION_chardev:
            cmdline_opt_add(QEMU_OPTION_chardev, opt_idx, optarg);
            break;
        case QEMU_OPTION_mon:
            cmdline_opt_add(QEMU_OPTION_mon, opt_idx, optarg);
            break;
        case QEMU_OPTION_qmp:
            add_compat_monitor(opt_idx, optarg, "control");
            break;
        case QEMU_OPTION_qmp_pretty:
            add_compat_monitor(opt_idx, optarg, "pretty");
            break;
        case QEMU_OPTION_monitor:
            if (strcmp(optarg, "none")) {
                add_compat_monitor(opt_idx, optarg, "readline");
            }
            break;
        case QEMU_OPTION_serial:
            if (strcmp(optarg, "null") && strcmp(optarg, "none")) {
                error_report("serial devices are not supported, only "
                             "-serial null");
                exit(1);
            }
            break;
        case QEMU_OPTION_qtest_log:
            /* Where the qtest server logs; see system/qtest.c. */
            qtest_log = optarg;
            break;
        case QEMU_OPTION_qtest:
            qtest_chrdev = optarg;
            break;
        case QEMU_OPTION_daemonize:
            error_report("option not supported");
            exit(1);
        case QEMU_OPTION_device: {
            g_autofree char *drv = opt_get(optarg, "driver", "driver");
            char *id = opt_get(optarg, NULL, "id");

            if (is_help_arg(drv)) {
                device_help_requested = true;
                g_free(id);
                break;
            }
            /* as QEMU: device ids clash while the line is parsed */
            if (id && !g_hash_table_add(device_ids, id)) {
                error_report("Duplicate ID '%s' for device", id);
                exit(1);
            }
            cmdline_opt_add(QEMU_OPTION_device, opt_idx, optarg);
            break;
        }
        case QEMU_OPTION_object: {
            g_autofree char *type = opt_get(optarg, "qom-type", "qom-type");

            error_report("invalid object type: %s", type ? type : "");
            exit(1);
        }
        case QEMU_OPTION_drive: {
            g_autofree char *fmt = opt_get(optarg, NULL, "format");

            if (is_help_arg(fmt)) {
                drive_help_requested = true;
                break;
            }
            /* block area: created in create_block_devices() */
            cmdline_opt_add(QEMU_OPTION_drive, opt_idx, optarg);
            break;
        }
        case QEMU_OPTION_blockdev:
            /* block area: created in create_block_devices() */
            cmdline_opt_add(QEMU_OPTION_blockdev, opt_idx, optarg);
            break;
        case QEMU_OPTION_incoming:
            /* Migration area: started once everything else exists. */
            cmdline_opt_add(QEMU_OPTION_incoming, opt_idx, optarg);
            break;
        default:
            error_report("invalid option");
            exit(1);
        }
    }
    loc_set_none();

    /* Informational invocations: print and exit 0. */
    if (machine_help_requested || device_help_requested ||
        drive_help_requested || accel_help_requested) {
        if (machine_help_requested) {
            machine_help();
        }
        if (accel_help_requested) {
            accel_help();
        }
        if (device_help_requested) {
            device_help();
        }
        if (drive_help_requested) {
            bdrv_print_format_list();
        }
        exit(0);
    }

    if (machine_arg) {
        g_autofree char *type = opt_get(machine_arg, "type", "type");

        current_machine = find_machine(type);
        if (!current_machine) {
            error_report("unsupported machine type");
            error_printf("Use -machine help to list supported machines\n");
            exit(1);
        }
        machine_check_props(machine_arg, current_machine);
    } else {
        current_machine = &machines[0];
    }
    current_machine_set_type(current_machine->name);

    os_setup_signal_handling();
    create_chardevs();
    create_monitors();
    if (qtest_chrdev) {
        qtest_server_init(qtest_chrdev, qtest_log, &error_fatal);
    }

    create_block_devices();     /* block area */
    create_devices();

    /* Migration area: sections and state, then -incoming (the last). */
    migration_object_init();
    incoming = start_incoming_migration();

    loc_pop(&loc);
    cmdline_opts_free();
    if (autostart && !incoming) {
        vm_start();
    }
}

void qemu_cleanup(void)
{
    /* Cancel any migration first so that it stops using devices. */
    migration_shutdown();
    vm_shutdown();
    bdrv_close_all();
    monitor_cleanup();
    qemu_run_exit_notifiers();
}
