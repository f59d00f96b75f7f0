/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Benchmark: dirty-bitmap migration, minivmm and QEMU 7.2 side by side. */

/*
 * Every cell of the result table is one migration between two fresh
 * processes of one implementation (-M none, one null-co node "drive0"),
 * spawned by the qtest harness:
 *
 *   source --unix--> relay (this process, counts bytes) --unix--> dest
 *
 * Each process connects to a QMP monitor of ours (not the harness's):
 * it is read with poll() and a deadline, so that a migration that never
 * converges ends the cell ("did not complete in N s") instead of failing
 * at the harness's fatal timeout, and the source's MIGRATION_PASS events
 * (one per precopy iteration) are dropped as they come.  Measured:
 *   total     migrate command sent -> destination MIGRATION completed
 *             (event timestamp; both are wall-clock times of this host)
 *   downtime  source STOP -> destination RESUME (event timestamps)
 *   stream    bytes source -> destination through the relay
 *   HWM       destination VmHWM (/proc/PID/status) before the migration
 *             and right after the completed event
 *   CPU       user + system time (/proc/PID/stat, 10 ms ticks) each
 *             process spent from the migrate command to its completed
 *             event
 *   sha256    x-debug-block-dirty-bitmap-sha256 of every bitmap, source
 *             against destination, and minivmm against QEMU
 *   QMP max   (scenarios that probe it) the longest query-status round
 *             trip on a second monitor of the destination, one every
 *             10 ms from the migrate command to the completed event
 */

#include "qemu/osdep.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "libqtest.h"

#define QEMU_BINARY     "/usr/bin/qemu-system-x86_64"
#define NODE            "drive0"
#define MAX_BITMAPS     10000
#define PROBE_PERIOD_US 10000
#define NR_SCENARIOS    6
#define RELAY_BUF       (256 * KiB)
#define SEED            20261127

typedef enum MigMode {
    MODE_PRECOPY = 1,
    MODE_POSTCOPY = 2,
    MODE_PRECOPY_MAXDT = 4,     /* precopy, downtime-limit 2000 s */
} MigMode;

typedef struct Scenario {
    const char *title;
    uint64_t disk_size;         /* bytes */
    uint32_t granularity;       /* bytes per bit */
    int nr_bitmaps;             /* 1..MAX_BITMAPS, named bm0, bm1, ... */
    int nr_regions;             /* random region_size regions made dirty */
    uint64_t region_size;       /* bytes, a multiple of 1 MiB */
    bool dirty_half;            /* dirty every other GiB: half the clusters */
    int writer_hz;              /* 1 MiB writes a second during migration */
    bool probe_qmp;             /* time the destination's QMP throughout */
    unsigned modes;             /* MigMode bits to run */
    unsigned qemu_modes;        /* of those, the ones QEMU runs too */
} Scenario;

typedef struct Impl {
    const char *name;
    const char *binary;
} Impl;

typedef struct Cell {
    bool completed;
    char *failure;              /* why not completed */
    double setup_s;             /* adding bitmaps and dirtying regions */
    double total_ms;
    double downtime_ms;
    uint64_t bytes_fwd;         /* source -> destination */
    uint64_t bytes_back;        /* destination -> source (return path) */
    uint64_t hwm_before_kib;
    uint64_t hwm_after_kib;
    double cpu_src_ms;          /* CPU time during the migration */
    double cpu_dst_ms;
    int writes;                 /* the writer's writes the source took */
    int sha_agree;              /* bitmaps whose sha256 match src vs dst */
    int sha_total;
    char **sha;                 /* destination's sha256 of each bitmap */
    double qmp_max_ms;          /* longest probe round trip, if probed */
} Cell;

/* Our QMP connection to one process (the harness monitor is not used). */
typedef struct Mon {
    int fd;
    bool eof;
    int nr_replies;             /* non-event messages seen (greeting too) */
    json_t *reply;              /* the last of them */
    GString *buf;               /* bytes received, not yet a full line */
    GPtrArray *events;          /* json_t *: MIGRATION, STOP, RESUME */
} Mon;

typedef struct Vm {
    QTestState *qts;            /* the process (spawned by libqtest) */
    Mon mon;
    Mon wmon;                   /* the writer's or prober's monitor */
} Vm;

/* A thread that writes 1 MiB regions into the source at a steady rate. */
typedef struct Writer {
    Mon *mon;
    const Scenario *sc;
    GThread *thread;
    gint stop;                  /* atomic */
    int writes;                 /* taken by the source */
} Writer;

/* A thread that times QMP round trips on the destination. */
typedef struct Prober {
    Mon *mon;
    GThread *thread;
    gint stop;                  /* atomic */
    gint64 max_us;              /* owned by the thread until joined */
} Prober;

typedef struct Relay {
    int lfd;                    /* the source connects here */
    char *dst_path;             /* the destination's incoming socket */
    int stop[2];                /* pipe: a byte on stop[1] ends the thread */
    GThread *thread;
    uint64_t bytes_fwd;         /* owned by the thread until joined */
    uint64_t bytes_back;
    char *error;
} Relay;

/* Processes to kill if the benchmark aborts (g_error()); 0 = free slot. */
static volatile pid_t live_pids[4];

static int opt_timeout = 60;
static int opt_repeat = 3;
static gboolean opt_quick;
static gboolean opt_no_qemu;
static gboolean opt_check;
static gboolean opt_direct;
static int opt_only;
static char *opt_qemu;

/* Sockets */

static int unix_connect(const char *path)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_assert(fd >= 0);
    g_assert(strlen(path) < sizeof(sun.sun_path));
    strcpy(sun.sun_path, path);
    if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Milliseconds until @deadline (monotonic, us), at least 0. */
static int ms_until(gint64 deadline)
{
    gint64 left = deadline - g_get_monotonic_time();

    return left <= 0 ? 0 : (int)MIN(left / 1000 + 1, 1000);
}

static bool write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        buf += n;
        len -= n;
    }
    return true;
}

/* QMP monitor */

static void mon_parse_lines(Mon *m)
{
    char *nl;

    while ((nl = memchr(m->buf->str, '\n', m->buf->len))) {
        size_t len = nl - m->buf->str;
        json_t *msg = json_loadb(m->buf->str, len, 0, NULL);
        const char *ev = json_string_value(json_object_get(msg, "event"));

        if (!ev) {
            m->nr_replies++;
            json_decref(m->reply);
            m->reply = msg;
        } else if (!strcmp(ev, "MIGRATION") || !strcmp(ev, "STOP") ||
                   !strcmp(ev, "RESUME")) {
            g_ptr_array_add(m->events, msg);
        } else {
            /* MIGRATION_PASS comes once per iteration: thousands */
            json_decref(msg);
        }
        g_string_erase(m->buf, 0, len + 1);
    }
}

/* Read what is there (after poll() said so); false at EOF. */
static bool mon_read(Mon *m)
{
    char chunk[65536];
    ssize_t n;

    do {
        n = read(m->fd, chunk, sizeof(chunk));
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        m->eof = true;
        return false;
    }
    g_string_append_len(m->buf, chunk, n);
    mon_parse_lines(m);
    return true;
}

/* Read until @m has seen @replies replies; false on EOF or deadline. */
static bool mon_wait_replies(Mon *m, int replies, gint64 deadline)
{
    while (m->nr_replies < replies) {
        struct pollfd pfd = { .fd = m->fd, .events = POLLIN };

        if (g_get_monotonic_time() >= deadline) {
            return false;
        }
        if (poll(&pfd, 1, ms_until(deadline)) > 0 && !mon_read(m)) {
            return false;
        }
    }
    return true;
}

/* Accept the VMM's connection on @lfd and negotiate QMP. */
static bool mon_open(Mon *m, int lfd)
{
    gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    struct pollfd pfd = { .fd = lfd, .events = POLLIN };
    static const char caps[] = "{\"execute\": \"qmp_capabilities\"}\r\n";

    memset(m, 0, sizeof(*m));
    m->fd = -1;
    m->buf = g_string_new(NULL);
    m->events = g_ptr_array_new_with_free_func((GDestroyNotify)json_decref);
    if (poll(&pfd, 1, 30000) <= 0) {
        return false;
    }
    m->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    return m->fd >= 0 && mon_wait_replies(m, 1, deadline) &&
           write_all(m->fd, caps, strlen(caps)) &&
           mon_wait_replies(m, 2, deadline);
}

static void mon_close(Mon *m)
{
    if (m->fd >= 0) {
        close(m->fd);
    }
    json_decref(m->reply);
    g_string_free(m->buf, true);
    g_ptr_array_free(m->events, true);
}

/*
 * Run a QMP command (@fmt expands to its JSON text) and return its
 * "return" value (caller decrefs).  A failing command is a bug in the
 * benchmark: fatal.
 */
static json_t *G_GNUC_PRINTF(2, 3) mon_cmd(Mon *m, const char *fmt, ...)
{
    gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
    g_autofree char *text = NULL;
    json_t *ret;
    va_list ap;

    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (!write_all(m->fd, text, strlen(text)) ||
        !mon_wait_replies(m, m->nr_replies + 1, deadline)) {
        g_error("bench: no reply to %s", text);
    }
    ret = json_object_get(m->reply, "return");
    if (!ret) {
        g_autofree char *err = json_dumps(m->reply, JSON_COMPACT);

        g_error("bench: %s failed: %s", text, err);
    }
    return json_incref(ret);
}

/* The first event @name (with data.status @status if non-NULL). */
static json_t *mon_find(Mon *m, const char *name, const char *status)
{
    guint i;

    for (i = 0; i < m->events->len; i++) {
        json_t *ev = g_ptr_array_index(m->events, i);
        const char *st = json_string_value(
            json_object_get(json_object_get(ev, "data"), "status"));

        if (!strcmp(json_string_value(json_object_get(ev, "event")), name) &&
            (!status || !g_strcmp0(st, status))) {
            return ev;
        }
    }
    return NULL;
}

/* An event's timestamp in microseconds of wall-clock time. */
static gint64 event_time(json_t *ev)
{
    json_t *ts = json_object_get(ev, "timestamp");

    return json_integer_value(json_object_get(ts, "seconds")) *
           G_USEC_PER_SEC +
           json_integer_value(json_object_get(ts, "microseconds"));
}

/* Read from both monitors until one of them has something, or @deadline. */
static void mon_pump(Mon *a, Mon *b, gint64 deadline)
{
    struct pollfd pfd[2] = {
        { .fd = a->eof ? -1 : a->fd, .events = POLLIN },
        { .fd = b->eof ? -1 : b->fd, .events = POLLIN },
    };

    if (poll(pfd, 2, ms_until(deadline)) <= 0) {
        return;
    }
    if (pfd[0].revents) {
        mon_read(a);
    }
    if (pfd[1].revents) {
        mon_read(b);
    }
}

/* Relay */

static gpointer relay_thread(gpointer opaque)
{
    Relay *r = opaque;
    g_autofree char *buf = g_malloc(RELAY_BUF);
    struct pollfd pfd[2] = {
        { .fd = r->lfd, .events = POLLIN },
        { .fd = r->stop[0], .events = POLLIN },
    };
    int src, dst;

    if (poll(pfd, 2, -1) <= 0 || pfd[1].revents) {
        return NULL;
    }
    src = accept4(r->lfd, NULL, NULL, SOCK_CLOEXEC);
    dst = unix_connect(r->dst_path);
    if (src < 0 || dst < 0) {
        r->error = g_strdup_printf("relay: %s", g_strerror(errno));
        goto out_close;
    }
    for (;;) {
        struct pollfd io[3] = {
            { .fd = src, .events = POLLIN },
            { .fd = dst, .events = POLLIN },
            { .fd = r->stop[0], .events = POLLIN },
        };
        int i;

        if (poll(io, 3, -1) < 0 && errno != EINTR) {
            break;
        }
        if (io[2].revents) {
            break;
        }
        for (i = 0; i < 2; i++) {
            int from = i ? dst : src, to = i ? src : dst;
            ssize_t n;

            if (!io[i].revents || from < 0) {
                continue;
            }
            n = read(from, buf, RELAY_BUF);
            if (n <= 0) {
                /* one side is done: pass its end of stream on */
                shutdown(to, SHUT_WR);
                if (i) {
                    close(dst);
                    dst = -1;
                } else {
                    close(src);
                    src = -1;
                }
                continue;
            }
            if (!write_all(to, buf, n)) {
                continue;
            }
            *(i ? &r->bytes_back : &r->bytes_fwd) += n;
        }
        if (src < 0 && dst < 0) {
            break;
        }
    }
out_close:
    if (src >= 0) {
        close(src);
    }
    if (dst >= 0) {
        close(dst);
    }
    return NULL;
}

static void relay_start(Relay *r, const char *listen_path,
                        const char *dst_path)
{
    memset(r, 0, sizeof(*r));
    r->lfd = qtest_listen_unix(listen_path);
    r->dst_path = g_strdup(dst_path);
    g_assert(pipe2(r->stop, O_CLOEXEC) == 0);
    r->thread = g_thread_new("relay", relay_thread, r);
}

static void relay_stop(Relay *r)
{
    g_assert(write(r->stop[1], "x", 1) == 1);
    g_thread_join(r->thread);
    close(r->lfd);
    close(r->stop[0]);
    close(r->stop[1]);
    g_free(r->dst_path);
}

/* VMs */

static void kill_live_pids(int sig)
{
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(live_pids); i++) {
        if (live_pids[i] > 0) {
            kill(live_pids[i], SIGKILL);
        }
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void track_pid(pid_t old, pid_t new)
{
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(live_pids); i++) {
        if (live_pids[i] == old) {
            live_pids[i] = new;
            return;
        }
    }
    g_assert_not_reached();
}

static uint64_t vm_hwm_kib(Vm *vm)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status",
                                            (int)qtest_pid(vm->qts));
    g_autofree char *text = NULL;
    const char *p;

    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        return 0;
    }
    p = strstr(text, "VmHWM:");
    return p ? g_ascii_strtoull(p + strlen("VmHWM:"), NULL, 10) : 0;
}

static void vm_start(Vm *vm, const Impl *impl, const Scenario *sc,
                     const char *mon_path, bool incoming)
{
    QTestOptions opts = { .no_qmp = true };
    bool writer = incoming ? sc->probe_qmp : sc->writer_hz;
    g_autofree char *wpath = g_strconcat(mon_path, "-w", NULL);
    g_autofree char *wargs = g_strdup_printf(
        " -chardev socket,id=bench-w,path=%s -mon chardev=bench-w,"
        "mode=control", wpath);
    g_autofree char *args = g_strdup_printf(
        "-M none -nodefaults "
        "-blockdev driver=null-co,node-name=%s,size=%" PRIu64
        " -chardev socket,id=bench-mon,path=%s "
        "-mon chardev=bench-mon,mode=control%s%s",
        NODE, sc->disk_size, mon_path, writer ? wargs : "",
        incoming ? " -incoming defer" : "");
    int lfd = qtest_listen_unix(mon_path);
    int wfd = writer ? qtest_listen_unix(wpath) : -1;

    g_setenv("MINIVMM_BINARY", impl->binary, true);
    vm->qts = qtest_init_with_opts(&opts, args);
    track_pid(0, qtest_pid(vm->qts));
    if (!mon_open(&vm->mon, lfd)) {
        g_autofree char *log = qtest_get_log(vm->qts);

        g_error("bench: %s did not connect its monitor; log:\n%s",
                impl->binary, log);
    }
    close(lfd);
    unlink(mon_path);
    vm->wmon.fd = -1;
    if (writer) {
        if (!mon_open(&vm->wmon, wfd)) {
            g_error("bench: %s did not connect its second monitor",
                    impl->binary);
        }
        close(wfd);
        unlink(wpath);
    }
}

/* Stop @vm whatever state it is in (it may have exited already). */
static void vm_end(Vm *vm)
{
    QTestState *s = vm->qts;
    int status;

    mon_close(&vm->mon);
    if (vm->wmon.fd >= 0) {
        mon_close(&vm->wmon);
    }
    track_pid(qtest_pid(s), 0);
    qtest_kill(s, SIGTERM);
    if (!qtest_wait_exit(s, &status) || !WIFEXITED(status)) {
        qtest_kill(s, SIGKILL);
        qtest_wait_exit(s, &status);
        fprintf(stderr, "bench: pid %d did not exit cleanly; left %s\n",
                (int)qtest_pid(s), qtest_tmpdir(s));
        return;
    }
    qtest_set_expected_status(s, WEXITSTATUS(status));
    qtest_quit(s);
}

static void vm_cmd(Vm *vm, const char *cmd)
{
    json_decref(mon_cmd(&vm->mon, "%s", cmd));
}

static void hmp_io(Vm *vm, const char *cmd, uint64_t off, uint64_t len)
{
    g_autofree char *line = g_strdup_printf("qemu-io %s \"%s %" PRIu64
                                            " %" PRIu64 "\"", NODE, cmd,
                                            off, len);
    json_t *req = json_pack("{s:s, s:{s:s}}", "execute",
                            "human-monitor-command", "arguments",
                            "command-line", line);
    g_autofree char *text = json_dumps(req, JSON_COMPACT);
    json_t *out = mon_cmd(&vm->mon, "%s", text);

    if (strstr(json_string_value(out) ?: "", "rror")) {
        g_error("bench: %s: %s", line, json_string_value(out));
    }
    json_decref(out);
    json_decref(req);
}

static uint64_t rand64(GRand *r)
{
    return ((uint64_t)g_rand_int(r) << 32) | g_rand_int(r);
}

/*
 * Add the bitmaps and make the scenario's regions dirty (every impl
 * gets the same regions: the generator restarts from SEED).
 */
static void make_bitmaps(Vm *vm, const Scenario *sc)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(SEED);
    uint64_t slots = sc->region_size ? sc->disk_size / sc->region_size : 0;
    int i;

    for (i = 0; i < sc->nr_bitmaps; i++) {
        json_decref(mon_cmd(&vm->mon,
            "{\"execute\": \"block-dirty-bitmap-add\", \"arguments\": "
            "{\"node\": \"%s\", \"name\": \"bm%d\", \"granularity\": %"
            PRIu32 ", \"persistent\": false}}", NODE, i, sc->granularity));
    }
    for (i = 0; i < sc->nr_regions; i++) {
        hmp_io(vm, "write -z", rand64(r) % slots * sc->region_size,
               sc->region_size);
    }
    if (sc->dirty_half) {
        uint64_t off;

        for (off = 0; off < sc->disk_size; off += 2 * GiB) {
            hmp_io(vm, "write -z", off, MIN(1 * GiB, sc->disk_size - off));
        }
    }
}

/* User + system CPU time of @vm so far, in milliseconds. */
static double vm_cpu_ms(Vm *vm)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat",
                                            (int)qtest_pid(vm->qts));
    g_autofree char *text = NULL;
    g_auto(GStrv) f = NULL;
    const char *p;

    /* Fields after the command name (in parentheses): utime is 14th. */
    if (!g_file_get_contents(path, &text, NULL, NULL) ||
        !(p = strrchr(text, ')'))) {
        return 0;
    }
    f = g_strsplit(p + 2, " ", 16);
    if (g_strv_length(f) < 14) {
        return 0;
    }
    return (g_ascii_strtod(f[11], NULL) + g_ascii_strtod(f[12], NULL)) *
           1000.0 / sysconf(_SC_CLK_TCK);
}

static gpointer writer_thread(gpointer opaque)
{
    Writer *w = opaque;
    g_autoptr(GRand) r = g_rand_new_with_seed(SEED + 1);
    uint64_t slots = w->sc->disk_size / MiB;
    gulong period = G_USEC_PER_SEC / w->sc->writer_hz;
    gint64 next = g_get_monotonic_time();

    while (!g_atomic_int_get(&w->stop)) {
        g_autofree char *line = g_strdup_printf(
            "qemu-io %s \"write -z %" PRIu64 " %" PRIu64 "\"", NODE,
            rand64(r) % slots * MiB, (uint64_t)MiB);
        json_t *req = json_pack("{s:s, s:{s:s}}", "execute",
                                "human-monitor-command", "arguments",
                                "command-line", line);
        g_autofree char *text = json_dumps(req, JSON_COMPACT);
        json_t *out = mon_cmd(w->mon, "%s", text);

        /* After the switch-over the node is inactive: writes fail. */
        w->writes += !strstr(json_string_value(out) ?: "", "rror") &&
                     !strstr(json_string_value(out) ?: "", "read-only");
        json_decref(out);
        json_decref(req);
        next += period;
        if (next > g_get_monotonic_time()) {
            g_usleep(next - g_get_monotonic_time());
        }
    }
    return NULL;
}

static gpointer prober_thread(gpointer opaque)
{
    Prober *p = opaque;

    while (!g_atomic_int_get(&p->stop)) {
        gint64 t = g_get_monotonic_time();

        json_decref(mon_cmd(p->mon, "{\"execute\": \"query-status\"}"));
        t = g_get_monotonic_time() - t;
        p->max_us = MAX(p->max_us, t);
        if (t < PROBE_PERIOD_US) {
            g_usleep(PROBE_PERIOD_US - t);
        }
    }
    return NULL;
}

static void set_caps(Vm *vm, MigMode mode)
{
    vm_cmd(vm, "{\"execute\": \"migrate-set-capabilities\", \"arguments\": "
           "{\"capabilities\": [{\"capability\": \"events\", \"state\": "
           "true}, {\"capability\": \"dirty-bitmaps\", \"state\": true}]}}");
    if (mode == MODE_POSTCOPY) {
        /* stay in precopy until migrate-start-postcopy, as test 199 */
        vm_cmd(vm, "{\"execute\": \"migrate-set-parameters\", "
               "\"arguments\": {\"downtime-limit\": 0}}");
    } else if (mode == MODE_PRECOPY_MAXDT) {
        vm_cmd(vm, "{\"execute\": \"migrate-set-parameters\", "
               "\"arguments\": {\"downtime-limit\": 2000000}}");
    }
}

static char *bitmap_sha256(Vm *vm, int i)
{
    json_t *ret = mon_cmd(&vm->mon,
        "{\"execute\": \"x-debug-block-dirty-bitmap-sha256\", "
        "\"arguments\": {\"node\": \"%s\", \"name\": \"bm%d\"}}", NODE, i);
    char *sha = g_strdup(json_string_value(json_object_get(ret, "sha256")));

    json_decref(ret);
    return sha;
}

/*
 * Wait for the destination's MIGRATION completed; then for the source's
 * STOP and completed.  Returns NULL on success, else why not.
 */
static char *wait_migration(Mon *src, Mon *dst, gint64 deadline)
{
    while (!mon_find(dst, "MIGRATION", "completed")) {
        if (mon_find(dst, "MIGRATION", "failed") ||
            mon_find(src, "MIGRATION", "failed")) {
            return g_strdup("failed");
        }
        if (dst->eof) {
            return g_strdup("failed (destination exited)");
        }
        if (g_get_monotonic_time() >= deadline) {
            return g_strdup_printf("did not complete in %d s", opt_timeout);
        }
        mon_pump(src, dst, deadline);
    }
    deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    while (!mon_find(src, "MIGRATION", "completed") ||
           !mon_find(src, "STOP", NULL)) {
        if (src->eof || g_get_monotonic_time() >= deadline ||
            mon_find(src, "MIGRATION", "failed")) {
            return g_strdup("source did not report completion");
        }
        mon_pump(src, dst, deadline);
    }
    return NULL;
}

static void run_cell(const Scenario *sc, const Impl *impl, MigMode mode,
                     Cell *c)
{
    g_autofree char *dir = g_dir_make_tmp("bench-dbm-XXXXXX", NULL);
    g_autofree char *src_mon = g_build_filename(dir, "src-mon.sock", NULL);
    g_autofree char *dst_mon = g_build_filename(dir, "dst-mon.sock", NULL);
    g_autofree char *relay_path = g_build_filename(dir, "relay.sock", NULL);
    g_autofree char *dst_path = g_build_filename(dir, "dst-mig.sock", NULL);
    Vm src, dst;
    Relay relay;
    Writer writer;
    Prober prober;
    gint64 t0, t_setup;
    json_t *done, *stop, *resume;
    int i;

    memset(c, 0, sizeof(*c));
    vm_start(&src, impl, sc, src_mon, false);
    vm_start(&dst, impl, sc, dst_mon, true);

    t_setup = g_get_monotonic_time();
    make_bitmaps(&src, sc);
    c->setup_s = (g_get_monotonic_time() - t_setup) / 1e6;
    set_caps(&src, mode);
    set_caps(&dst, mode);

    json_decref(mon_cmd(&dst.mon,
        "{\"execute\": \"migrate-incoming\", \"arguments\": "
        "{\"uri\": \"unix:%s\"}}", dst_path));
    if (!opt_direct) {
        relay_start(&relay, relay_path, dst_path);
    }
    c->hwm_before_kib = vm_hwm_kib(&dst);
    if (sc->writer_hz) {
        writer = (Writer) { .mon = &src.wmon, .sc = sc };
        writer.thread = g_thread_new("writer", writer_thread, &writer);
    }
    if (sc->probe_qmp) {
        prober = (Prober) { .mon = &dst.wmon };
        prober.thread = g_thread_new("prober", prober_thread, &prober);
    }
    c->cpu_src_ms = -vm_cpu_ms(&src);
    c->cpu_dst_ms = -vm_cpu_ms(&dst);

    t0 = g_get_real_time();
    json_decref(mon_cmd(&src.mon,
        "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"unix:%s\"}}",
        opt_direct ? dst_path : relay_path));
    if (mode == MODE_POSTCOPY) {
        vm_cmd(&src, "{\"execute\": \"migrate-start-postcopy\"}");
    }
    c->failure = wait_migration(&src.mon, &dst.mon, g_get_monotonic_time() +
                                (gint64)opt_timeout * G_USEC_PER_SEC);
    c->cpu_src_ms += vm_cpu_ms(&src);
    c->cpu_dst_ms += vm_cpu_ms(&dst);
    if (sc->writer_hz) {
        g_atomic_int_set(&writer.stop, true);
        g_thread_join(writer.thread);
        c->writes = writer.writes;
    }
    if (sc->probe_qmp) {
        g_atomic_int_set(&prober.stop, true);
        g_thread_join(prober.thread);
        c->qmp_max_ms = prober.max_us / 1e3;
    }
    done = mon_find(&dst.mon, "MIGRATION", "completed");
    if (done) {
        c->hwm_after_kib = vm_hwm_kib(&dst);
        c->total_ms = (event_time(done) - t0) / 1e3;
    }
    stop = mon_find(&src.mon, "STOP", NULL);
    resume = mon_find(&dst.mon, "RESUME", NULL);
    if (stop && resume) {
        c->downtime_ms = (event_time(resume) - event_time(stop)) / 1e3;
    }
    if (!c->failure) {
        c->completed = true;
        c->sha_total = sc->nr_bitmaps;
        c->sha = g_new0(char *, sc->nr_bitmaps);
        for (i = 0; i < sc->nr_bitmaps; i++) {
            g_autofree char *s_sha = bitmap_sha256(&src, i);

            c->sha[i] = bitmap_sha256(&dst, i);
            c->sha_agree += !g_strcmp0(s_sha, c->sha[i]);
        }
    } else if (!src.mon.eof) {
        vm_cmd(&src, "{\"execute\": \"migrate_cancel\"}");
    }

    if (!opt_direct) {
        relay_stop(&relay);
        c->bytes_fwd = relay.bytes_fwd;
        c->bytes_back = relay.bytes_back;
        if (relay.error && !c->failure) {
            c->failure = g_steal_pointer(&relay.error);
            c->completed = false;
        }
        g_free(relay.error);
    }
    vm_end(&src);
    vm_end(&dst);
    unlink(relay_path);
    unlink(dst_path);
    rmdir(dir);
}

static void cell_free(Cell *c)
{
    int i;

    g_free(c->failure);
    for (i = 0; c->sha && i < c->sha_total; i++) {
        g_free(c->sha[i]);
    }
    g_free(c->sha);
}

/*
 * Run a cell --repeat times and keep the run with the shortest total
 * time; a cell that does not complete is not repeated.
 */
static void run_best(const Scenario *sc, const Impl *impl, MigMode mode,
                     Cell *best)
{
    int n;

    run_cell(sc, impl, mode, best);
    for (n = 1; n < opt_repeat && best->completed; n++) {
        Cell c;

        run_cell(sc, impl, mode, &c);
        if (!c.completed || c.sha_agree < best->sha_agree ||
            c.total_ms < best->total_ms) {
            /* keep a failure or a mismatch: it must show */
            cell_free(best);
            *best = c;
        } else {
            cell_free(&c);
        }
    }
}

/* Output */

static const char *mode_name(MigMode mode)
{
    return mode == MODE_POSTCOPY ? "postcopy" :
           mode == MODE_PRECOPY_MAXDT ? "pre-maxdt" : "precopy";
}

static void print_cell(MigMode mode, const Impl *impl, const Cell *c)
{
    printf("%-9s %-9s %8.2f", mode_name(mode), impl->name, c->setup_s);
    if (!c->completed) {
        printf("  %s (stream %" PRIu64 " bytes so far)\n",
               c->failure, c->bytes_fwd);
        return;
    }
    printf(" %10.1f %11.1f %13" PRIu64 " %6" PRIu64 " %8.1f %8.1f %8.0f"
           " %8.0f  %d/%d", c->total_ms, c->downtime_ms, c->bytes_fwd,
           c->bytes_back, c->hwm_before_kib / 1024.0,
           c->hwm_after_kib / 1024.0, c->cpu_src_ms, c->cpu_dst_ms,
           c->sha_agree, c->sha_total);
    if (c->writes) {
        printf("  (%d writes while migrating)", c->writes);
    }
    if (c->qmp_max_ms) {
        printf("  (destination QMP max %.1f ms)", c->qmp_max_ms);
    }
    printf("\n");
}

/* a / b, unless b is below @floor (too small to divide by). */
static void print_ratio(const char *what, double a, double b, double floor)
{
    if (b >= floor) {
        printf("  %s %.2f", what, a / b);
    } else {
        printf("  %s n/a", what);
    }
}

/* minivmm / QEMU for one mode; returns false if the sha256s differ. */
static bool print_ratios(const Scenario *sc, MigMode mode, const Cell *m,
                         const Cell *q)
{
    bool same = true;
    int i;

    printf("ratio minivmm/QEMU, %s:", mode_name(mode));
    if (!m->completed || !q->completed) {
        printf("  n/a (%s did not complete)\n",
               m->completed ? "QEMU" : "minivmm");
        return true;
    }
    print_ratio("total", m->total_ms, q->total_ms, 0.1);
    print_ratio("downtime", m->downtime_ms, q->downtime_ms, 0.1);
    print_ratio("stream", m->bytes_fwd, q->bytes_fwd, 1);
    print_ratio("dst HWM", m->hwm_after_kib, q->hwm_after_kib, 1);
    /* growth below 1 MiB is page-fault noise */
    print_ratio("HWM growth", (double)m->hwm_after_kib - m->hwm_before_kib,
                (double)q->hwm_after_kib - q->hwm_before_kib, 1024);
    print_ratio("CPU src", m->cpu_src_ms, q->cpu_src_ms, 10);
    print_ratio("CPU dst", m->cpu_dst_ms, q->cpu_dst_ms, 10);
    if (m->qmp_max_ms && q->qmp_max_ms) {
        print_ratio("QMP max", m->qmp_max_ms, q->qmp_max_ms, 0.1);
    }
    for (i = 0; i < sc->nr_bitmaps; i++) {
        same &= !g_strcmp0(m->sha[i], q->sha[i]);
    }
    printf("; sha256 minivmm == QEMU: %s\n", same ? "yes" : "NO");
    return same;
}

static bool run_scenario(int nr, const Scenario *sc, const Impl *impls,
                         int nr_impls)
{
    static const MigMode modes[] = {
        MODE_PRECOPY, MODE_PRECOPY_MAXDT, MODE_POSTCOPY
    };
    bool ok = true;
    size_t m;
    int i, n;

    printf("\n== (%d) %s\n", nr, sc->title);
    printf("%-9s %-9s %8s %10s %11s %13s %6s %8s %8s %8s %8s  %s\n", "mode",
           "impl", "setup s", "total ms", "downtime ms", "stream bytes",
           "back", "HWM0 MiB", "HWM MiB", "CPU src", "CPU dst",
           "sha256 src=dst");
    for (m = 0; m < G_N_ELEMENTS(modes); m++) {
        Cell cells[2];

        if (!(sc->modes & modes[m])) {
            continue;
        }
        n = sc->qemu_modes & modes[m] ? nr_impls : 1;
        for (i = 0; i < n; i++) {
            run_best(sc, &impls[i], modes[m], &cells[i]);
            print_cell(modes[m], &impls[i], &cells[i]);
            fflush(stdout);
        }
        if (n < nr_impls) {
            printf("%-9s %-9s  not run: QEMU 7.2's precopy does not "
                   "converge at its default parameters\n",
                   mode_name(modes[m]), impls[1].name);
        }
        /*
         * impls[0] is minivmm: its migrations must complete, precopy at
         * the default parameters included, with the bitmaps intact.
         * QEMU 7.2's precopy does not converge there.
         */
        ok &= cells[0].completed && cells[0].sha_agree == sc->nr_bitmaps;
        if (n > 1) {
            ok &= print_ratios(sc, modes[m], &cells[0], &cells[1]);
        }
        for (i = 0; i < n; i++) {
            cell_free(&cells[i]);
        }
    }
    return ok;
}

static char *size_str(uint64_t bytes)
{
    return bytes >= TiB ? g_strdup_printf("%" PRIu64 " TiB", bytes / TiB) :
                          g_strdup_printf("%" PRIu64 " GiB", bytes / GiB);
}

static void init_scenarios(Scenario *sc)
{
    uint64_t big = opt_quick ? 1 * TiB : 16 * TiB;
    uint64_t many = opt_quick ? 16 * GiB : 256 * GiB;
    uint64_t half = opt_quick ? 4 * GiB : 64 * GiB;
    int regions = opt_quick ? 100 : 1000;
    int nr_many = opt_quick ? 4 : 15;
    int regions_many = opt_quick ? 128 : 2048;
    int nr_lots = opt_quick ? 1000 : MAX_BITMAPS;
    g_autofree char *s_big = size_str(big);
    g_autofree char *s_many = size_str(many);
    g_autofree char *s_half = size_str(half);

    sc[0] = (Scenario) {
        .title = g_strdup_printf("%s null-co, 1 bitmap at 64 KiB, empty",
                                 s_big),
        .disk_size = big, .granularity = 64 * KiB, .nr_bitmaps = 1,
        .modes = MODE_PRECOPY | MODE_POSTCOPY,
        .qemu_modes = MODE_PRECOPY | MODE_POSTCOPY,
    };
    sc[1] = (Scenario) {
        .title = g_strdup_printf("%s null-co, 1 bitmap at 64 KiB, %d random "
                                 "1 MiB regions dirty", s_big, regions),
        .disk_size = big, .granularity = 64 * KiB, .nr_bitmaps = 1,
        .nr_regions = regions, .region_size = 1 * MiB,
        .modes = MODE_PRECOPY | MODE_POSTCOPY,
        .qemu_modes = MODE_PRECOPY | MODE_POSTCOPY,
    };
    sc[2] = (Scenario) {
        .title = g_strdup_printf("%s null-co, %d bitmaps at 512 B, %d random "
                                 "1 MiB regions dirty (%d MiB)",
                                 s_many, nr_many, regions_many,
                                 regions_many),
        .disk_size = many, .granularity = 512, .nr_bitmaps = nr_many,
        .nr_regions = regions_many, .region_size = 1 * MiB,
        .modes = MODE_PRECOPY | MODE_POSTCOPY,
        .qemu_modes = MODE_PRECOPY | MODE_POSTCOPY,
    };
    sc[3] = (Scenario) {
        .title = g_strdup_printf("%s null-co, 1 bitmap at 64 KiB, half the "
                                 "clusters dirty (every other GiB)", s_half),
        .disk_size = half, .granularity = 64 * KiB, .nr_bitmaps = 1,
        .dirty_half = true, .modes = MODE_PRECOPY | MODE_POSTCOPY,
        .qemu_modes = MODE_PRECOPY | MODE_POSTCOPY,
    };
    sc[4] = sc[2];
    sc[4].title = g_strdup_printf("%s null-co, %d bitmaps at 512 B, %d "
                                  "random 1 MiB regions dirty, while a "
                                  "writer dirties 1 MiB regions at 200/s",
                                  s_many, nr_many, regions_many);
    sc[4].writer_hz = 200;
    sc[4].modes = MODE_PRECOPY;
    sc[5] = (Scenario) {
        .title = g_strdup_printf("1 GiB null-co, %d bitmaps at 64 KiB, 16 "
                                 "random 1 MiB regions dirty", nr_lots),
        .disk_size = 1 * GiB, .granularity = 64 * KiB,
        .nr_bitmaps = nr_lots, .nr_regions = 16, .region_size = 1 * MiB,
        .probe_qmp = true, .modes = MODE_PRECOPY | MODE_PRECOPY_MAXDT,
        .qemu_modes = MODE_PRECOPY_MAXDT,
    };
}

static const GOptionEntry options[] = {
    { "quick", 0, 0, G_OPTION_ARG_NONE, &opt_quick,
      "Smaller disks and fewer regions (smoke run)", NULL },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout,
      "Seconds before a migration counts as not completing (60)", "S" },
    { "repeat", 0, 0, G_OPTION_ARG_INT, &opt_repeat,
      "Runs of each completing cell; the fastest is kept (3)", "N" },
    { "no-qemu", 0, 0, G_OPTION_ARG_NONE, &opt_no_qemu,
      "Do not run QEMU even if it is installed", NULL },
    { "qemu", 0, 0, G_OPTION_ARG_FILENAME, &opt_qemu,
      "QEMU binary (default " QEMU_BINARY ")", "PATH" },
    { "direct", 0, 0, G_OPTION_ARG_NONE, &opt_direct,
      "Migrate straight to the destination, without the relay (no byte "
      "counts)", NULL },
    { "only", 0, 0, G_OPTION_ARG_INT, &opt_only,
      "Run only scenario N (1-6)", "N" },
    { "check", 0, 0, G_OPTION_ARG_NONE, &opt_check,
      "Exit 1 unless every minivmm migration completes with matching "
      "sha256 (for the smoke test)", NULL },
    { NULL }
};

int main(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("- dirty-bitmap migration benchmark");
    g_autoptr(GError) err = NULL;
    Scenario sc[NR_SCENARIOS];
    Impl impls[2] = { { "minivmm", BENCH_MINIVMM_BINARY } };
    const char *env = g_getenv("MINIVMM_BINARY");
    int nr_impls = 1, i;
    bool ok = true;

    g_option_context_add_main_entries(ctx, options, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "bench-bitmap-migration: %s\n", err->message);
        return 2;
    }
    if (opt_timeout <= 0) {
        opt_timeout = 60;
    }
    if (env && *env) {
        impls[0].binary = env;
    }
    impls[1] = (Impl) { "QEMU", opt_qemu ? opt_qemu : QEMU_BINARY };
    if (!opt_no_qemu && access(impls[1].binary, X_OK) == 0) {
        nr_impls = 2;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGABRT, kill_live_pids);
    signal(SIGINT, kill_live_pids);
    signal(SIGTERM, kill_live_pids);
    init_scenarios(sc);

    printf("bench-bitmap-migration%s: minivmm = %s\n",
           opt_quick ? " --quick" : "", impls[0].binary);
    printf("  QEMU = %s\n", nr_impls > 1 ? impls[1].binary :
           "(not run: not installed or --no-qemu)");
    printf("  each cell: fresh source and destination, -M none, null-co "
           "node; timeout %d s; best of %d by total time\n", opt_timeout,
           opt_repeat);
    printf("  total = migrate -> destination MIGRATION completed; "
           "downtime = source STOP -> destination RESUME\n"
           "  stream/back = bytes through the relay (0 with --direct); "
           "HWM0/HWM = destination "
           "VmHWM before / after\n");
    for (i = 0; i < NR_SCENARIOS; i++) {
        if (!opt_only || opt_only == i + 1) {
            ok &= run_scenario(i + 1, &sc[i], impls, nr_impls);
        }
        g_free((char *)sc[i].title);
    }
    g_free(opt_qemu);
    if (opt_check && !ok) {
        fprintf(stderr, "bench-bitmap-migration: a minivmm migration failed "
                "or its bitmaps differ\n");
        return 1;
    }
    return 0;
}
