/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Monitor core: the monitor list, current monitor, output and events. */
#include "qemu/osdep.h"

#include "monitor-internal.h"
#include "qapi/error.h"
#include "qapi/qmp-event.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/qemu-print.h"
#include "trace.h"

/* How long monitor_cleanup() waits for slow clients to take our output. */
#define MONITOR_CLEANUP_FLUSH_MS 2000

MonitorList mon_list = QTAILQ_HEAD_INITIALIZER(mon_list);

/* The monitor whose command runs in this thread. */
static __thread Monitor *cur_mon;

/*
 * Events emitted without the BQL (e.g. from the migration thread) wait
 * here, as QMP text, until the main loop sends them.  Events emitted
 * with the BQL flush this queue first, so all clients see events in the
 * order they were emitted.
 */
static QemuMutex event_lock;
static GQueue pending_events;       /* json_t *, in order */
static QEMUBH *pending_events_bh;
static bool monitor_globals_ready;

Monitor *monitor_cur(void)
{
    return cur_mon;
}

Monitor *monitor_set_cur(Monitor *mon)
{
    Monitor *old = cur_mon;

    cur_mon = mon;
    return old;
}

bool monitor_is_qmp(const Monitor *mon)
{
    return mon->is_qmp;
}

bool monitor_cur_is_qmp(void)
{
    Monitor *mon = monitor_cur();

    return mon && monitor_is_qmp(mon);
}

void monitor_data_init(Monitor *mon, bool is_qmp, bool skip_flush)
{
    memset(mon, 0, sizeof(*mon));
    qemu_mutex_init(&mon->mon_lock);
    mon->outbuf = g_string_new(NULL);
    mon->is_qmp = is_qmp;
    mon->skip_flush = skip_flush;
}

void monitor_data_destroy(Monitor *mon)
{
    if (mon->chr.chr) {
        qemu_chr_fe_deinit(&mon->chr, false);
    }
    if (monitor_is_qmp(mon)) {
        monitor_data_destroy_qmp(container_of(mon, MonitorQMP, common));
    } else {
        monitor_data_destroy_hmp(container_of(mon, MonitorHMP, common));
    }
    g_string_free(mon->outbuf, true);
    if (mon->fds) {
        g_hash_table_destroy(mon->fds);     /* closes them */
    }
    qemu_mutex_destroy(&mon->mon_lock);
}

void monitor_list_append(Monitor *mon)
{
    QTAILQ_INSERT_TAIL(&mon_list, mon, entry);
}

/*
 * Hand the output to the chardev as one record: a whole QMP message, or
 * the text of one HMP print.  Called with mon->mon_lock held.  Returns
 * true if this write made the chardev drop a client that does not read.
 */
static bool monitor_flush_locked(Monitor *mon)
{
    int ret = 0;

    if (mon->skip_flush || !mon->outbuf->len) {
        return false;
    }
    if (mon->chr.chr) {
        ret = qemu_chr_fe_write(&mon->chr, (const uint8_t *)mon->outbuf->str,
                                mon->outbuf->len);
    }
    g_string_truncate(mon->outbuf, 0);
    return ret < 0 && errno == ENOBUFS;
}

/*
 * Log that @mon dropped its client, on stderr even while an HMP command
 * runs (error_report() would print to that monitor).  Called without
 * mon->mon_lock.
 */
static void monitor_report_dropped(Monitor *mon)
{
    Monitor *cur = monitor_set_cur(NULL);

    warn_report("%s monitor on chardev '%s': the client does not read its "
                "output (more than %d MiB pending), dropping it after its "
                "last complete message", monitor_is_qmp(mon) ? "QMP" : "HMP",
                qemu_chr_get_label(qemu_chr_fe_get_driver(&mon->chr)),
                CHR_OUTBUF_MAX >> 20);
    monitor_set_cur(cur);
}

/* Append @len bytes at @buf, with "\r" before each "\n" if @crlf. */
static void monitor_emit(Monitor *mon, const char *buf, size_t len,
                         bool crlf)
{
    bool dropped;
    size_t i;

    qemu_mutex_lock(&mon->mon_lock);
    for (i = 0; crlf && i < len; i++) {
        if (buf[i] == '\n') {
            g_string_append_c(mon->outbuf, '\r');
        }
        g_string_append_c(mon->outbuf, buf[i]);
    }
    if (!crlf) {
        g_string_append_len(mon->outbuf, buf, len);
    }
    dropped = monitor_flush_locked(mon);
    qemu_mutex_unlock(&mon->mon_lock);
    if (dropped) {
        monitor_report_dropped(mon);
    }
}

void monitor_flush(Monitor *mon)
{
    monitor_emit(mon, "", 0, false);
}

void monitor_write_raw(Monitor *mon, const char *buf, size_t len)
{
    monitor_emit(mon, buf, len, false);
}

int monitor_puts(Monitor *mon, const char *str)
{
    size_t len = strlen(str);

    monitor_emit(mon, str, len, true);
    return len;
}

int monitor_vprintf(Monitor *mon, const char *fmt, va_list ap)
{
    g_autofree char *buf = NULL;

    if (!mon || monitor_is_qmp(mon)) {
        return -1;
    }
    buf = g_strdup_vprintf(fmt, ap);
    return monitor_puts(mon, buf);
}

int monitor_printf(Monitor *mon, const char *fmt, ...)
{
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = monitor_vprintf(mon, fmt, ap);
    va_end(ap);
    return ret;
}

int monitor_suspend(Monitor *mon)
{
    /* HMP over QMP (human-monitor-command) has no input to hold back */
    if (!monitor_is_qmp(mon) &&
        !container_of(mon, MonitorHMP, common)->use_readline) {
        return -ENOTTY;
    }
    qatomic_inc(&mon->suspend_cnt);
    return 0;
}

void monitor_resume(Monitor *mon)
{
    if (qatomic_dec_fetch(&mon->suspend_cnt) == 0 && mon->chr.chr) {
        if (!monitor_is_qmp(mon)) {
            monitor_hmp_resumed(container_of(mon, MonitorHMP, common));
        }
        qemu_chr_fe_accept_input(&mon->chr);
    }
}

/* Events */

static bool monitor_qmp_wants_events(Monitor *mon)
{
    MonitorQMP *qmp_mon;

    if (!monitor_is_qmp(mon)) {
        return false;
    }
    qmp_mon = container_of(mon, MonitorQMP, common);
    /* No events before capabilities negotiation (qmp-spec 4). */
    return qmp_mon->commands == &qmp_commands;
}

/* Each QMP client gets @event in its own form (one line, or pretty). */
static void monitor_broadcast_event(const json_t *event)
{
    Monitor *mon;

    QTAILQ_FOREACH(mon, &mon_list, entry) {
        if (monitor_qmp_wants_events(mon)) {
            qmp_send_response(container_of(mon, MonitorQMP, common), event);
        }
    }
}

/*
 * Flush every monitor's queued events (from threads without the BQL).
 * Called with the BQL held.
 */
static void monitor_flush_pending_events(void)
{
    for (;;) {
        json_t *event;

        qemu_mutex_lock(&event_lock);
        event = g_queue_pop_head(&pending_events);
        qemu_mutex_unlock(&event_lock);
        if (!event) {
            break;
        }
        monitor_broadcast_event(event);
        json_decref(event);
    }
}

static void pending_events_bh_cb(void *opaque)
{
    monitor_flush_pending_events();
}

static void monitor_qapi_event_emit(QAPIEvent event, json_t *qdict)
{
    if (!monitor_globals_ready) {
        return;
    }
    if (trace_event_get_state_backends(TRACE_MONITOR_PROTOCOL_EVENT_EMIT)) {
        g_autofree char *json = monitor_qmp_to_json(qdict);

        trace_monitor_protocol_event_emit(event, json);
    }
    if (qemu_mutex_iothread_locked()) {
        monitor_flush_pending_events();
        monitor_broadcast_event(qdict);
        return;
    }
    qemu_mutex_lock(&event_lock);
    g_queue_push_tail(&pending_events, json_incref(qdict));
    qemu_mutex_unlock(&event_lock);
    qemu_bh_schedule(pending_events_bh);
}

/* Creation from the command line and teardown */

/* How qemu_printf() and error_report() in util/ reach the monitors. */
static const QemuPrintMonitorOps monitor_print_ops = {
    .cur = monitor_cur,
    .is_qmp = monitor_is_qmp,
    .vprintf = monitor_vprintf,
};

void monitor_init_globals(void)
{
    if (monitor_globals_ready) {
        return;
    }
    qemu_print_set_monitor_ops(&monitor_print_ops);
    qapi_event_set_emitter(monitor_qapi_event_emit);
    monitor_fd_set_lookup(monitor_fds_take);
    qemu_mutex_init(&event_lock);
    g_queue_init(&pending_events);
    pending_events_bh = qemu_bh_new(pending_events_bh_cb, NULL);
    monitor_init_qmp_commands();
    monitor_globals_ready = true;
}

bool monitor_init_opts(const char *opts, Error **errp)
{
    ERRP_GUARD();
    g_auto(GStrv) items = g_strsplit(opts, ",", -1);
    const char *chardev = NULL;
    const char *mode = "readline";
    bool pretty = false;
    Chardev *chr;
    char **p;

    for (p = items; *p; p++) {
        char *eq = strchr(*p, '=');
        const char *val = eq ? eq + 1 : "on";

        if (eq) {
            *eq = '\0';
        }
        if (!**p) {
            continue;
        }
        if (!strcmp(*p, "chardev")) {
            chardev = val;
        } else if (!strcmp(*p, "mode")) {
            if (strcmp(val, "control") && strcmp(val, "readline")) {
                error_setg(errp, "Parameter 'mode' does not accept value "
                           "'%s'", val);
                return false;
            }
            mode = val;
        } else if (!strcmp(*p, "pretty")) {
            if (strcmp(val, "on") && strcmp(val, "off")) {
                error_setg(errp, "Parameter 'pretty' expects 'on' or 'off'");
                return false;
            }
            pretty = !strcmp(val, "on");
        } else if (strcmp(*p, "id")) {
            error_setg(errp, "Invalid parameter '%s'", *p);
            return false;
        }
    }
    if (!chardev) {
        error_setg(errp, "Parameter 'chardev' is missing");
        return false;
    }
    chr = qemu_chr_find(chardev);
    if (!chr) {
        error_setg(errp, "chardev \"%s\" not found", chardev);
        return false;
    }
    if (!strcmp(mode, "control")) {
        monitor_init_qmp(chr, pretty, errp);
    } else {
        monitor_init_hmp(chr, true, errp);
    }
    return !*errp;
}

void monitor_cleanup(void)
{
    Monitor *mon, *next;

    if (!monitor_globals_ready) {
        return;
    }
    monitor_flush_pending_events();
    QTAILQ_FOREACH(mon, &mon_list, entry) {
        monitor_flush(mon);
    }
    /* Give clients a bounded time to take what is queued, then close. */
    qemu_chr_cleanup(MONITOR_CLEANUP_FLUSH_MS);
    QTAILQ_FOREACH_SAFE(mon, &mon_list, entry, next) {
        QTAILQ_REMOVE(&mon_list, mon, entry);
        monitor_data_destroy(mon);
        g_free(mon);
    }
    qemu_bh_delete(pending_events_bh);
    pending_events_bh = NULL;
    monitor_globals_ready = false;
}
