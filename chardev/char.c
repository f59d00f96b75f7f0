/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Character devices: option parsing, registry, buffered non-blocking I/O. */
#include "qemu/osdep.h"

#include <poll.h>

#include "chardev-internal.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/sockets.h"
#include "trace.h"

/* Largest read handed to a frontend at once. */
#define CHR_READ_BUF_LEN 4096

static QTAILQ_HEAD(, Chardev) chardevs = QTAILQ_HEAD_INITIALIZER(chardevs);


/* Option parsing */

static void spec_free(ChardevSpec *spec)
{
    g_free(spec->id);
    g_free(spec->path);
    g_free(spec->host);
    g_free(spec->port);
}

static bool parse_bool(const char *name, const char *value, bool *out,
                       Error **errp)
{
    if (!strcmp(value, "on") || !strcmp(value, "yes") ||
        !strcmp(value, "true") || !strcmp(value, "y")) {
        *out = true;
    } else if (!strcmp(value, "off") || !strcmp(value, "no") ||
               !strcmp(value, "false") || !strcmp(value, "n")) {
        *out = false;
    } else {
        error_setg(errp, "Parameter '%s' expects 'on' or 'off'", name);
        return false;
    }
    return true;
}

/*
 * Split QemuOpts syntax: comma-separated key=value, ",," is a literal
 * comma, the first item may be a bare value for @implied.  A bare item
 * elsewhere is a boolean set to "on" ("server", legacy "nowait" means
 * wait=off).  Returns: key/value pairs in order (later ones win).
 */
static GPtrArray *split_opts(const char *str, const char *implied,
                             Error **errp)
{
    g_autoptr(GPtrArray) kv = g_ptr_array_new_with_free_func(g_free);
    const char *p = str;
    bool first = true;

    while (*p) {
        g_autoptr(GString) item = g_string_new(NULL);
        char *eq;

        for (; *p; p++) {
            if (*p == ',') {
                if (p[1] != ',') {
                    break;
                }
                p++;
            }
            g_string_append_c(item, *p);
        }
        if (*p == ',') {
            p++;
        }
        eq = strchr(item->str, '=');
        if (eq) {
            *eq = '\0';
            if (!*item->str) {
                error_setg(errp, "Invalid parameter ''");
                return NULL;
            }
            g_ptr_array_add(kv, g_strdup(item->str));
            g_ptr_array_add(kv, g_strdup(eq + 1));
        } else if (first && implied) {
            g_ptr_array_add(kv, g_strdup(implied));
            g_ptr_array_add(kv, g_strdup(item->str));
        } else if (!strcmp(item->str, "nowait")) {
            g_ptr_array_add(kv, g_strdup("wait"));
            g_ptr_array_add(kv, g_strdup("off"));
        } else if (*item->str) {
            g_ptr_array_add(kv, g_strdup(item->str));
            g_ptr_array_add(kv, g_strdup("on"));
        }
        first = false;
    }
    return g_steal_pointer(&kv);
}

/* Fill @spec from -chardev syntax.  @spec->kind must be preset. */
static bool parse_chardev_opts(const char *opts, ChardevSpec *spec,
                               Error **errp)
{
    g_autoptr(GPtrArray) kv = split_opts(opts, "backend", errp);
    const char *backend = NULL;
    guint i;

    if (!kv) {
        return false;
    }
    spec->wait = true;
    for (i = 0; i < kv->len; i += 2) {
        const char *key = kv->pdata[i];
        const char *val = kv->pdata[i + 1];

        if (!strcmp(key, "backend")) {
            backend = val;
        } else if (!strcmp(key, "id")) {
            g_free(spec->id);
            spec->id = g_strdup(val);
        } else if (!strcmp(key, "path")) {
            g_free(spec->path);
            spec->path = g_strdup(val);
        } else if (!strcmp(key, "host")) {
            g_free(spec->host);
            spec->host = g_strdup(val);
        } else if (!strcmp(key, "port")) {
            g_free(spec->port);
            spec->port = g_strdup(val);
        } else if (!strcmp(key, "server")) {
            if (!parse_bool(key, val, &spec->server, errp)) {
                return false;
            }
        } else if (!strcmp(key, "wait")) {
            if (!parse_bool(key, val, &spec->wait, errp)) {
                return false;
            }
        } else if (!strcmp(key, "telnet") || !strcmp(key, "nodelay") ||
                   !strcmp(key, "signal") || !strcmp(key, "mux") ||
                   !strcmp(key, "logappend") || !strcmp(key, "ipv4") ||
                   !strcmp(key, "ipv6")) {
            bool ignored;

            if (!parse_bool(key, val, &ignored, errp)) {
                return false;
            }
            if (ignored && (!strcmp(key, "telnet") || !strcmp(key, "mux"))) {
                error_setg(errp, "Parameter '%s' is not supported", key);
                return false;
            }
        } else {
            error_setg(errp, "Invalid parameter '%s'", key);
            return false;
        }
    }
    if (!backend || !*backend) {
        error_setg(errp, "chardev: \"%s\" missing backend",
                   spec->id ? spec->id : "");
        return false;
    }
    if (!strcmp(backend, "socket")) {
        spec->kind = CHARDEV_KIND_SOCKET;
        if (!spec->path && !spec->host) {
            error_setg(errp, "chardev: socket: no host given");
            return false;
        }
        if (!spec->path && !spec->port) {
            error_setg(errp, "chardev: socket: no port given");
            return false;
        }
    } else if (!strcmp(backend, "stdio")) {
        spec->kind = CHARDEV_KIND_STDIO;
    } else if (!strcmp(backend, "null")) {
        spec->kind = CHARDEV_KIND_NULL;
    } else {
        error_setg(errp, "'%s' is not a valid char driver name", backend);
        return false;
    }
    if (!spec->id) {
        error_setg(errp, "chardev: no id specified");
        return false;
    }
    return true;
}

char *qemu_chr_parse_compat(const char *label, const char *filename,
                            Error **errp)
{
    const char *rest;

    if (!strcmp(filename, "null") || !strcmp(filename, "stdio")) {
        return g_strdup_printf("%s,id=%s", filename, label);
    }
    if (g_str_has_prefix(filename, "unix:")) {
        rest = filename + strlen("unix:");
        if (g_str_has_prefix(rest, "path=")) {
            return g_strdup_printf("socket,id=%s,%s", label, rest);
        }
        return g_strdup_printf("socket,id=%s,path=%s", label, rest);
    }
    if (g_str_has_prefix(filename, "tcp:")) {
        const char *colon, *comma;
        g_autofree char *host = NULL;
        g_autofree char *port = NULL;

        rest = filename + strlen("tcp:");
        colon = strrchr(rest, ':');
        comma = strchr(rest, ',');
        if (colon && comma && colon > comma) {
            colon = memrchr(rest, ':', comma - rest);
        }
        if (colon) {
            host = g_strndup(rest, colon - rest);
            port = comma ? g_strndup(colon + 1, comma - colon - 1)
                         : g_strdup(colon + 1);
        }
        if (!colon || !*port) {
            error_setg(errp, "'%s' is not a valid char driver", filename);
            return NULL;
        }
        return g_strdup_printf("socket,id=%s,host=%s,port=%s%s%s", label,
                               host, port, comma ? "," : "",
                               comma ? comma + 1 : "");
    }
    error_setg(errp, "'%s' is not a valid char driver", filename);
    return NULL;
}

/* Registry */

Chardev *qemu_chr_find(const char *name)
{
    Chardev *chr;

    QTAILQ_FOREACH(chr, &chardevs, next) {
        if (!strcmp(chr->label, name)) {
            return chr;
        }
    }
    return NULL;
}

const char *qemu_chr_get_label(Chardev *chr)
{
    return chr->label;
}

bool qemu_chr_is_connected(Chardev *chr)
{
    return chr->connected;
}

bool qemu_chr_has_frontend(Chardev *chr)
{
    return chr->be != NULL;
}

static void chr_event_bh(void *opaque);

Chardev *qemu_chr_new_from_opts(const char *opts, Error **errp)
{
    ChardevSpec spec = { 0 };
    Chardev *chr = NULL;

    if (!parse_chardev_opts(opts, &spec, errp)) {
        goto out;
    }
    if (qemu_chr_find(spec.id)) {
        error_setg(errp, "attempt to add duplicate property '%s' to object "
                   "(type 'container')", spec.id);
        goto out;
    }
    chr = g_new0(Chardev, 1);
    chr->label = g_strdup(spec.id);
    chr->kind = spec.kind;
    chr->listen_fd = chr->in_fd = chr->out_fd = -1;
    chr->outbuf = g_byte_array_new();
    g_queue_init(&chr->pending_events);
    chr->event_bh = qemu_bh_new(chr_event_bh, chr);

    switch (spec.kind) {
    case CHARDEV_KIND_SOCKET:
        if (!qemu_chr_socket_open(chr, &spec, errp)) {
            qemu_bh_delete(chr->event_bh);
            g_byte_array_unref(chr->outbuf);
            g_free(chr->label);
            g_free(chr->path);
            g_free(chr->addr_str);
            g_free(chr);
            chr = NULL;
            goto out;
        }
        break;
    case CHARDEV_KIND_STDIO:
        chr->blocking_out = true;
        qemu_chr_attach_peer(chr, STDIN_FILENO, STDOUT_FILENO);
        break;
    case CHARDEV_KIND_NULL:
        chr->connected = true;
        break;
    }
    QTAILQ_INSERT_TAIL(&chardevs, chr, next);
out:
    spec_free(&spec);
    return chr;
}

Chardev *qemu_chr_new(const char *label, const char *filename,
                      GMainContext *context)
{
    Error *err = NULL;
    g_autofree char *opts = qemu_chr_parse_compat(label, filename, &err);
    Chardev *chr = NULL;

    if (opts) {
        chr = qemu_chr_new_from_opts(opts, &err);
    }
    if (!chr) {
        error_report_err(err);
    }
    return chr;
}

/* Events */

static void chr_queue_event(Chardev *chr, QEMUChrEvent event)
{
    g_queue_push_tail(&chr->pending_events, GINT_TO_POINTER(event));
    qemu_bh_schedule(chr->event_bh);
}

/* Deliver queued events in order; reading starts once OPENED is seen. */
static void chr_event_bh(void *opaque)
{
    Chardev *chr = opaque;

    while (!g_queue_is_empty(&chr->pending_events)) {
        QEMUChrEvent ev = GPOINTER_TO_INT(
            g_queue_pop_head(&chr->pending_events));

        if (ev == CHR_EVENT_OPENED) {
            if (!chr->connected || !chr->be) {
                continue;
            }
            chr->opened_sent = true;
            qemu_chr_update_handlers(chr);
        } else if (ev == CHR_EVENT_CLOSED) {
            if (!chr->opened_sent) {
                continue;
            }
            chr->opened_sent = false;
        }
        if (chr->be && chr->be->chr_event) {
            chr->be->chr_event(chr->be->opaque, ev);
        }
    }
}

/* I/O */

static void chr_disconnect(Chardev *chr);

static void chr_read_ready(void *opaque)
{
    Chardev *chr = opaque;
    uint8_t buf[CHR_READ_BUF_LEN];
    int len = sizeof(buf);
    ssize_t n;

    if (chr->be && chr->be->chr_can_read) {
        len = MIN(len, chr->be->chr_can_read(chr->be->opaque));
        if (len <= 0) {
            chr->read_paused = true;
            qemu_chr_update_handlers(chr);
            return;
        }
    }
    n = RETRY_ON_EINTR(read(chr->in_fd, buf, len));
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
    }
    if (n <= 0) {
        chr_disconnect(chr);
        return;
    }
    if (chr->be && chr->be->chr_read) {
        chr->be->chr_read(chr->be->opaque, buf, n);
    }
}

/* Write as much of the queue as the peer takes now. */
static void chr_flush(Chardev *chr)
{
    while (chr->outbuf->len > 0 && chr->out_fd >= 0) {
        ssize_t n = RETRY_ON_EINTR(write(chr->out_fd, chr->outbuf->data,
                                         chr->outbuf->len));

        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!chr->blocking_out) {
                return;
            } else {
                struct pollfd pfd = { .fd = chr->out_fd, .events = POLLOUT };

                poll(&pfd, 1, -1);
                continue;
            }
        }
        if (n <= 0) {
            /* EPIPE, ECONNRESET...: the peer is gone */
            chr_disconnect(chr);
            return;
        }
        g_byte_array_remove_range(chr->outbuf, 0, n);
    }
}

static void chr_write_ready(void *opaque)
{
    Chardev *chr = opaque;

    chr_flush(chr);
    qemu_chr_update_handlers(chr);
}

static void chr_accept_ready(void *opaque);

void qemu_chr_update_handlers(Chardev *chr)
{
    bool reading = chr->connected && chr->opened_sent && !chr->read_paused &&
                   chr->in_fd >= 0;
    bool writing = chr->connected && chr->out_fd >= 0 &&
                   chr->outbuf->len > 0;

    if (chr->in_fd >= 0 && chr->in_fd == chr->out_fd) {
        qemu_set_fd_handler(chr->in_fd, reading ? chr_read_ready : NULL,
                            writing ? chr_write_ready : NULL, chr);
    } else {
        if (chr->in_fd >= 0) {
            qemu_set_fd_handler(chr->in_fd,
                                reading ? chr_read_ready : NULL, NULL, chr);
        }
        if (chr->out_fd >= 0) {
            qemu_set_fd_handler(chr->out_fd, NULL,
                                writing ? chr_write_ready : NULL, chr);
        }
    }
    if (chr->listen_fd >= 0) {
        qemu_set_fd_handler(chr->listen_fd,
                            chr->connected ? NULL : chr_accept_ready,
                            NULL, chr);
    }
}

void qemu_chr_attach_peer(Chardev *chr, int in_fd, int out_fd)
{
    trace_chr_peer_connected(chr->label);
    chr->in_fd = in_fd;
    chr->out_fd = out_fd;
    chr->connected = true;
    chr->read_paused = false;
    qemu_chr_update_handlers(chr);
    chr_queue_event(chr, CHR_EVENT_OPENED);
}

/* Drop the peer; CHR_EVENT_CLOSED follows from the main loop. */
static void chr_disconnect(Chardev *chr)
{
    if (!chr->connected || chr->kind == CHARDEV_KIND_NULL) {
        return;
    }
    if (chr->kind == CHARDEV_KIND_STDIO) {
        /* stdin ended or stdout failed: stop reading, the process goes on */
        if (chr->in_fd >= 0) {
            trace_chr_peer_disconnected(chr->label);
            qemu_set_fd_handler(chr->in_fd, NULL, NULL, NULL);
            chr->in_fd = -1;
            chr_queue_event(chr, CHR_EVENT_CLOSED);
        }
        g_byte_array_set_size(chr->outbuf, 0);
        return;
    }
    trace_chr_peer_disconnected(chr->label);
    qemu_set_fd_handler(chr->in_fd, NULL, NULL, NULL);
    close(chr->in_fd);
    chr->in_fd = chr->out_fd = -1;
    chr->connected = false;
    g_byte_array_set_size(chr->outbuf, 0);
    /* A server listens again */
    qemu_chr_update_handlers(chr);
    chr_queue_event(chr, CHR_EVENT_CLOSED);
}

static void chr_accept_ready(void *opaque)
{
    Chardev *chr = opaque;
    int fd;

    if (chr->connected) {
        return;
    }
    fd = qemu_accept(chr->listen_fd, NULL, NULL);
    if (fd < 0) {
        return;
    }
    qemu_socket_set_nonblock(fd);
    qemu_chr_attach_peer(chr, fd, fd);
}

/* Frontend API */

bool qemu_chr_fe_init(CharBackend *b, Chardev *s, Error **errp)
{
    if (s->be) {
        error_setg(errp, "Device '%s' is in use", s->label);
        return false;
    }
    memset(b, 0, sizeof(*b));
    b->chr = s;
    s->be = b;
    return true;
}

static void chr_free(Chardev *chr)
{
    QTAILQ_REMOVE(&chardevs, chr, next);
    if (chr->in_fd >= 0) {
        qemu_set_fd_handler(chr->in_fd, NULL, NULL, NULL);
    }
    if (chr->out_fd >= 0) {
        qemu_set_fd_handler(chr->out_fd, NULL, NULL, NULL);
    }
    if (chr->kind == CHARDEV_KIND_SOCKET && chr->in_fd >= 0) {
        close(chr->in_fd);
    }
    if (chr->listen_fd >= 0) {
        qemu_set_fd_handler(chr->listen_fd, NULL, NULL, NULL);
        close(chr->listen_fd);
        if (chr->path) {
            unlink(chr->path);
        }
    }
    qemu_bh_delete(chr->event_bh);
    g_queue_clear(&chr->pending_events);
    g_byte_array_unref(chr->outbuf);
    g_free(chr->label);
    g_free(chr->path);
    g_free(chr->addr_str);
    g_free(chr);
}

void qemu_chr_fe_deinit(CharBackend *b, bool del)
{
    Chardev *chr = b->chr;

    if (!chr) {
        return;
    }
    chr->be = NULL;
    b->chr = NULL;
    if (del) {
        chr_free(chr);
    }
}

void qemu_chr_fe_set_handlers(CharBackend *b,
                              IOCanReadHandler *fd_can_read,
                              IOReadHandler *fd_read,
                              IOEventHandler *fd_event,
                              BackendChangeHandler *be_change,
                              void *opaque,
                              GMainContext *context,
                              bool set_open)
{
    Chardev *chr = b->chr;

    assert(!be_change && !context);
    b->chr_can_read = fd_can_read;
    b->chr_read = fd_read;
    b->chr_event = fd_event;
    b->opaque = opaque;
    if (chr && chr->connected && !chr->opened_sent &&
        chr->kind != CHARDEV_KIND_NULL &&
        !g_queue_find(&chr->pending_events,
                      GINT_TO_POINTER(CHR_EVENT_OPENED))) {
        chr_queue_event(chr, CHR_EVENT_OPENED);
    }
}

int qemu_chr_fe_write(CharBackend *be, const uint8_t *buf, int len)
{
    Chardev *chr = be->chr;

    if (!chr || !chr->connected) {
        return -1;
    }
    if (chr->kind == CHARDEV_KIND_NULL) {
        return len;
    }
    if (chr->outbuf->len + len > CHR_OUTBUF_MAX) {
        /* The peer does not read: drop it rather than grow without bound. */
        trace_chr_outbuf_overflow(chr->label, chr->outbuf->len);
        chr_disconnect(chr);
        return -1;
    }
    g_byte_array_append(chr->outbuf, buf, len);
    chr_flush(chr);
    if (chr->connected) {
        qemu_chr_update_handlers(chr);
    }
    return len;
}

int qemu_chr_fe_write_all(CharBackend *be, const uint8_t *buf, int len)
{
    return qemu_chr_fe_write(be, buf, len);
}

void qemu_chr_fe_accept_input(CharBackend *be)
{
    Chardev *chr = be->chr;

    if (chr && chr->read_paused) {
        chr->read_paused = false;
        qemu_chr_update_handlers(chr);
    }
}

void qemu_chr_fe_disconnect(CharBackend *be)
{
    if (be->chr) {
        chr_disconnect(be->chr);
    }
}

Chardev *qemu_chr_fe_get_driver(CharBackend *be)
{
    return be->chr;
}

size_t qemu_chr_fe_get_pending(CharBackend *be)
{
    return be->chr ? be->chr->outbuf->len : 0;
}

void qemu_chr_cleanup(int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    Chardev *chr, *next;

    QTAILQ_FOREACH(chr, &chardevs, next) {
        while (chr->connected && chr->out_fd >= 0 && chr->outbuf->len) {
            struct pollfd pfd = { .fd = chr->out_fd, .events = POLLOUT };
            gint64 left = deadline - g_get_monotonic_time();

            if (left <= 0 || poll(&pfd, 1, left / 1000 + 1) <= 0) {
                break;
            }
            chr_flush(chr);
        }
    }
    QTAILQ_FOREACH_SAFE(chr, &chardevs, next, next) {
        if (chr->be) {
            chr->be->chr = NULL;
        }
        chr_free(chr);
    }
}
