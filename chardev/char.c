/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Character devices: option parsing, registry, buffered non-blocking I/O. */
#include "qemu/osdep.h"

#include "chardev-internal.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/sockets.h"
#include "trace.h"

static QTAILQ_HEAD(, Chardev) chardevs = QTAILQ_HEAD_INITIALIZER(chardevs);


/* Option parsing */

static void spec_free(ChardevSpec *spec)
{
    g_free(spec->id);
    g_free(spec->path);
    g_free(spec->host);
    g_free(spec->port);
    g_free(spec->fd);
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
        } else if (!strcmp(key, "fd")) {
            g_free(spec->fd);
            spec->fd = g_strdup(val);
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
        if (spec->fd && (spec->path || spec->host)) {
            error_setg(errp, "None or one of 'path', 'fd' or 'host' option "
                       "required.");
            return false;
        }
        if (!spec->fd && !spec->path && !spec->host) {
            error_setg(errp, "chardev: socket: no host given");
            return false;
        }
        if (!spec->fd && !spec->path && !spec->port) {
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
    return chr->peer == CHR_PEER_UP;
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
    g_queue_init(&chr->out_records);
    g_queue_init(&chr->pending_events);
    chr->event_bh = qemu_bh_new(chr_event_bh, chr);

    switch (spec.kind) {
    case CHARDEV_KIND_SOCKET:
        if (!qemu_chr_socket_open(chr, &spec, errp)) {
            qemu_bh_delete(chr->event_bh);
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
        chr->peer = CHR_PEER_UP;
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

void qemu_chr_queue_event(Chardev *chr, QEMUChrEvent event)
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
            if (chr->peer != CHR_PEER_UP || !chr->be) {
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

/* Teardown */

void qemu_chr_free(Chardev *chr)
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
    qemu_chr_socket_drop_msgfds(chr);
    if (chr->listen_fd >= 0) {
        qemu_set_fd_handler(chr->listen_fd, NULL, NULL, NULL);
        close(chr->listen_fd);
        if (chr->path) {
            unlink(chr->path);
        }
    }
    qemu_bh_delete(chr->event_bh);
    g_queue_clear(&chr->pending_events);
    qemu_chr_discard_output(chr);
    g_free(chr->label);
    g_free(chr->path);
    g_free(chr->addr_str);
    g_free(chr);
}

void qemu_chr_cleanup(int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    Chardev *chr, *next;

    QTAILQ_FOREACH(chr, &chardevs, next) {
        qemu_chr_flush_until(chr, deadline);
    }
    QTAILQ_FOREACH_SAFE(chr, &chardevs, next, next) {
        if (chr->be) {
            chr->be->chr = NULL;
        }
        qemu_chr_free(chr);
    }
}
