/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A migration stream relay for tests: forwards, counts, cuts and stalls. */
#include "qemu/osdep.h"

#include <glib-unix.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "libqtest.h"
#include "migration-relay.h"
#include "migration-relay-parse.h"

/* Bytes buffered per direction; the rest waits in the kernel. */
#define RELAY_BUF MIG_RELAY_BUF_BYTES

/* Command element framing (migration-stream.md 1.9). */
#define ELEM_COMMAND     0x08
#define CMD_HEADER       5          /* 0x08, be16 cmd, be16 len */
#define CMD_LISTEN       4
#define CMD_PACKAGED     7
/* A PACKAGED header, its be32 blob length and the LISTEN opening it. */
#define PACKAGE_PROBE    (CMD_HEADER + 4 + CMD_HEADER)

/* One direction of the connection. */
typedef struct RelayDir {
    int from;               /* index into MigRelay.fd */
    int to;
    uint8_t *buf;           /* RELAY_BUF bytes: [head, tail) pending */
    size_t head;
    size_t tail;
    uint64_t read;          /* bytes taken from @from */
    uint64_t written;       /* bytes given to @to */
    bool eof;               /* @from sent its last byte */
    bool shut;              /* @to was told there is no more */
} RelayDir;

typedef enum TriggerKind {
    TRIGGER_NONE,
    TRIGGER_OFFSET,
    TRIGGER_CMD,
    TRIGGER_MARK,
} TriggerKind;

struct MigRelay {
    char *uri;
    char *dst_path;
    int lfd;                /* listening socket */
    int wake[2];            /* pipe: the test thread wakes the relay */
    GThread *thread;
    int timeout_s;

    GMutex lock;            /* protects everything below */
    GCond cond;             /* signalled on fire, cut and close */
    bool quit;
    int fd[2];              /* 0: source, 1: destination; -1 if none */
    unsigned connections;   /* accepted so far */
    RelayDir dir[2];        /* MIG_RELAY_S2D, MIG_RELAY_D2S */

    TriggerKind kind;
    uint16_t cmd;           /* TRIGGER_CMD: the command, and whether */
    bool after;             /* the point is after it */
    MigRelayMark mark;      /* TRIGGER_MARK: the mark, which one, */
    unsigned nth;           /* how many were seen since arming, and */
    unsigned seen;
    uint64_t back;          /* how far before the point to stop */
    MigRelayAction action;
    bool point_known;
    uint64_t point;         /* main-stream offset of the trigger */
    bool fired;
    uint64_t fired_at;
    bool stalled[2];        /* per direction: carry nothing */
    bool cut_requested;

    uint8_t probe[PACKAGE_PROBE];   /* last bytes of the main stream */
    size_t probe_len;
    MigRelayParser *parser;         /* the main stream's marks */
    GArray *mark_ends[MIG_RELAY_MARK__MAX];     /* uint64_t, ascending */
    uint64_t backlog_want;

    uint64_t rate;          /* bytes per second, 0: unlimited */
    int64_t rate_start;     /* us: when rate_sent began to count */
    uint64_t rate_sent;
};

static uint16_t be16_at(const uint8_t *p)
{
    return p[0] << 8 | p[1];
}

static uint32_t be32_at(const uint8_t *p)
{
    return (uint32_t)be16_at(p) << 16 | be16_at(p + 2);
}

/* The fixed payload lengths a command may carry; false if variable. */
static bool cmd_len_ok(uint16_t cmd, uint16_t len)
{
    switch (cmd) {
    case 1: case 4: case 5: case 8: case 9:     /* no payload */
        return len == 0;
    case 2: case CMD_PACKAGED:                  /* be32 */
        return len == 4;
    case 3:                                     /* ADVISE: 0, or 16 */
        return len == 0 || len == 16;
    default:
        return false;
    }
}

/* Bytes the scanner needs to see before it can name a match. */
static size_t cmd_probe_len(uint16_t cmd)
{
    return cmd == CMD_PACKAGED ? PACKAGE_PROBE : CMD_HEADER;
}

/*
 * Feed one main-stream byte at offset @off to the command scanner; set
 * the trigger's point when the armed command ends at this byte.
 */
static void relay_scan_byte(MigRelay *r, uint8_t byte, uint64_t off)
{
    size_t need = cmd_probe_len(r->cmd);
    const uint8_t *p;
    uint64_t start, end;

    if (r->probe_len == PACKAGE_PROBE) {
        memmove(r->probe, r->probe + 1, PACKAGE_PROBE - 1);
        r->probe_len--;
    }
    r->probe[r->probe_len++] = byte;
    if (r->kind != TRIGGER_CMD || r->fired || r->point_known ||
        r->probe_len < need) {
        return;
    }
    p = r->probe + r->probe_len - need;
    if (p[0] != ELEM_COMMAND || be16_at(p + 1) != r->cmd ||
        !cmd_len_ok(r->cmd, be16_at(p + 3))) {
        return;
    }
    start = off + 1 - need;
    end = start + CMD_HEADER + be16_at(p + 3);
    if (r->cmd == CMD_PACKAGED) {
        const uint8_t *listen = p + CMD_HEADER + 4;

        if (listen[0] != ELEM_COMMAND || be16_at(listen + 1) != CMD_LISTEN ||
            be16_at(listen + 3) != 0) {
            return;
        }
        end += be32_at(p + CMD_HEADER);
    }
    if (start < r->dir[MIG_RELAY_S2D].written) {
        return;     /* already gone by when the trigger was armed */
    }
    r->point = r->after ? end : start;
    r->point_known = true;
}

static void relay_wake(MigRelay *r)
{
    const char c = 0;

    if (write(r->wake[1], &c, 1) < 0 && errno != EAGAIN) {
        g_error("relay: wake: %s", g_strerror(errno));
    }
}

static void relay_close_conn_locked(MigRelay *r)
{
    for (int i = 0; i < 2; i++) {
        if (r->fd[i] >= 0) {
            close(r->fd[i]);
            r->fd[i] = -1;
        }
    }
    g_cond_broadcast(&r->cond);
}

/* Bytes direction @d may hand on now (an offset in its stream). */
static uint64_t relay_limit(MigRelay *r, RelayDir *d)
{
    uint64_t lim = d->read;

    if (r->stalled[d - r->dir]) {
        return d->written;
    }
    if (d != &r->dir[MIG_RELAY_S2D]) {
        return lim;
    }
    if (r->kind != TRIGGER_NONE && !r->fired) {
        if (r->point_known) {
            lim = MIN(lim, MAX(r->point, d->written));
        } else if (r->kind == TRIGGER_CMD && !d->eof) {
            /* Hold back what might be the start of the command. */
            uint64_t hold = cmd_probe_len(r->cmd) - 1;

            lim = d->read > hold ? MAX(d->read - hold, d->written)
                                 : d->written;
        } else if (r->kind == TRIGGER_MARK && !d->eof) {
            /* Hold back the unit that might be the mark. */
            lim = MAX(MIN(lim, mig_relay_parser_unit_start(r->parser)),
                      d->written);
        }
    }
    if (r->rate) {
        int64_t now = g_get_monotonic_time();
        uint64_t burst = MAX(r->rate / 10, 1);
        uint64_t allowed = (uint64_t)(now - r->rate_start) * r->rate /
                           G_USEC_PER_SEC;

        if (allowed > r->rate_sent + burst) {
            /* Idle time does not bank more than a tenth of a second. */
            r->rate_start = now - (int64_t)((r->rate_sent + burst) *
                                            G_USEC_PER_SEC / r->rate);
            allowed = r->rate_sent + burst;
        }
        lim = MIN(lim, d->written + (allowed - r->rate_sent));
    }
    return lim;
}

static void relay_fire_locked(MigRelay *r)
{
    r->fired = true;
    r->fired_at = r->point;
    switch (r->action) {
    case MIG_RELAY_NOTE:
        break;
    case MIG_RELAY_STALL:
        r->stalled[MIG_RELAY_S2D] = r->stalled[MIG_RELAY_D2S] = true;
        break;
    case MIG_RELAY_CUT:
        relay_close_conn_locked(r);
        break;
    }
    g_cond_broadcast(&r->cond);
}

/* Move what can move in direction @d; false if the connection broke. */
static bool relay_pump(MigRelay *r, RelayDir *d)
{
    bool s2d = d == &r->dir[MIG_RELAY_S2D];
    uint64_t lim;
    ssize_t n;

    if (!d->eof && d->tail < RELAY_BUF) {
        n = recv(r->fd[d->from], d->buf + d->tail, RELAY_BUF - d->tail, 0);
        if (n > 0) {
            for (ssize_t i = 0; s2d && i < n; i++) {
                relay_scan_byte(r, d->buf[d->tail + i], d->read + i);
            }
            if (s2d) {
                mig_relay_parser_feed(r->parser, d->buf + d->tail, n);
                g_cond_broadcast(&r->cond);
            }
            d->tail += n;
            d->read += n;
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            d->eof = true;
        }
    }
    lim = relay_limit(r, d);
    if (lim > d->written) {
        n = send(r->fd[d->to], d->buf + d->head, lim - d->written,
                 MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            return false;
        }
        if (n > 0) {
            d->head += n;
            d->written += n;
            if (s2d && r->rate) {
                r->rate_sent += n;
            }
        }
    }
    if (d->head == d->tail) {
        d->head = d->tail = 0;
    } else if (d->tail == RELAY_BUF && d->head > 0) {
        memmove(d->buf, d->buf + d->head, d->tail - d->head);
        d->tail -= d->head;
        d->head = 0;
    }
    if (s2d && r->kind != TRIGGER_NONE && !r->fired && r->point_known &&
        d->written == r->point) {
        relay_fire_locked(r);
        return r->fd[0] >= 0;
    }
    if (d->eof && d->written == d->read && !d->shut) {
        shutdown(r->fd[d->to], SHUT_WR);
        d->shut = true;
    }
    return true;
}

/* The parser found @mark in [@start, @end): record it, match triggers. */
static void relay_on_mark(void *opaque, MigRelayMark mark, uint64_t start,
                          uint64_t end)
{
    MigRelay *r = opaque;
    uint64_t point;

    g_array_append_val(r->mark_ends[mark], end);
    if (r->kind != TRIGGER_MARK || r->fired || r->point_known ||
        r->mark != mark || ++r->seen < r->nth) {
        return;
    }
    point = r->after ? end : start;
    g_assert_cmpuint(r->back, <=, end - start);
    r->point = MAX(point - r->back, r->dir[MIG_RELAY_S2D].written);
    r->point_known = true;
}

static void relay_accept_locked(MigRelay *r)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int src = accept4(r->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    int dst;

    if (src < 0) {
        return;
    }
    dst = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert(dst >= 0);
    g_strlcpy(sun.sun_path, r->dst_path, sizeof(sun.sun_path));
    if (connect(dst, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        g_test_message("relay: connect to %s: %s", r->dst_path,
                       g_strerror(errno));
        close(dst);
        close(src);
        return;
    }
    g_unix_set_fd_nonblocking(dst, true, NULL);
    r->fd[0] = src;
    r->fd[1] = dst;
    r->connections++;
    for (int i = 0; i < 2; i++) {
        RelayDir *d = &r->dir[i];

        d->from = i == MIG_RELAY_S2D ? 0 : 1;
        d->to = 1 - d->from;
        d->head = d->tail = 0;
        d->read = d->written = 0;
        d->eof = d->shut = false;
    }
    r->probe_len = 0;
    mig_relay_parser_free(r->parser);
    r->parser = mig_relay_parser_new(relay_on_mark, r);
    for (int i = 0; i < MIG_RELAY_MARK__MAX; i++) {
        g_array_set_size(r->mark_ends[i], 0);
    }
}

/* One round of I/O on the connection, then the poll set for the next. */
static int relay_step_locked(MigRelay *r, struct pollfd *pfd, int *timeout)
{
    int nfds = 1;

    *timeout = -1;
    if (r->cut_requested) {
        r->cut_requested = false;
        relay_close_conn_locked(r);
    }
    if (r->fd[0] < 0) {
        pfd[nfds++] = (struct pollfd) { .fd = r->lfd, .events = POLLIN };
        return nfds;
    }
    for (int i = 0; i < 2; i++) {
        if (r->fd[0] >= 0 && !relay_pump(r, &r->dir[i])) {
            relay_close_conn_locked(r);
        }
    }
    if (r->fd[0] < 0 ||
        (r->dir[0].shut && r->dir[1].shut)) {
        relay_close_conn_locked(r);
        pfd[nfds++] = (struct pollfd) { .fd = r->lfd, .events = POLLIN };
        return nfds;
    }
    for (int i = 0; i < 2; i++) {
        RelayDir *d = &r->dir[i];
        uint64_t lim = relay_limit(r, d);

        if (!d->eof && d->tail < RELAY_BUF) {
            pfd[nfds++] = (struct pollfd) {
                .fd = r->fd[d->from], .events = POLLIN,
            };
        }
        if (lim > d->written) {
            pfd[nfds++] = (struct pollfd) {
                .fd = r->fd[d->to], .events = POLLOUT,
            };
        } else if (r->rate && !r->stalled[i] && d->read > d->written) {
            *timeout = 10;      /* throttled: look again soon */
        }
    }
    return nfds;
}

static gpointer relay_thread(gpointer opaque)
{
    MigRelay *r = opaque;
    struct pollfd pfd[6];
    int nfds, timeout;
    char drain[64];

    g_mutex_lock(&r->lock);
    while (!r->quit) {
        nfds = relay_step_locked(r, pfd, &timeout);
        pfd[0] = (struct pollfd) { .fd = r->wake[0], .events = POLLIN };
        g_mutex_unlock(&r->lock);
        if (poll(pfd, nfds, timeout) < 0 && errno != EINTR) {
            g_error("relay: poll: %s", g_strerror(errno));
        }
        while (read(r->wake[0], drain, sizeof(drain)) > 0) {
            /* drained */
        }
        g_mutex_lock(&r->lock);
        if (r->fd[0] < 0 && !r->quit) {
            for (int i = 1; i < nfds; i++) {
                if (pfd[i].fd == r->lfd && pfd[i].revents) {
                    relay_accept_locked(r);
                }
            }
        }
    }
    relay_close_conn_locked(r);
    g_mutex_unlock(&r->lock);
    return NULL;
}

MigRelay *mig_relay_new(const char *listen_path, const char *dst_path)
{
    MigRelay *r = g_new0(MigRelay, 1);
    struct sockaddr_un sun = { .sun_family = AF_UNIX };

    g_assert(strlen(listen_path) < sizeof(sun.sun_path));
    g_assert(strlen(dst_path) < sizeof(sun.sun_path));
    r->uri = g_strdup_printf("unix:%s", listen_path);
    r->dst_path = g_strdup(dst_path);
    r->timeout_s = qtest_get_default_timeout();
    r->fd[0] = r->fd[1] = -1;
    for (int i = 0; i < 2; i++) {
        r->dir[i].buf = g_malloc(RELAY_BUF);
    }
    for (int i = 0; i < MIG_RELAY_MARK__MAX; i++) {
        r->mark_ends[i] = g_array_new(false, false, sizeof(uint64_t));
    }
    r->parser = mig_relay_parser_new(relay_on_mark, r);
    g_mutex_init(&r->lock);
    g_cond_init(&r->cond);

    r->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    g_assert(r->lfd >= 0);
    g_strlcpy(sun.sun_path, listen_path, sizeof(sun.sun_path));
    if (bind(r->lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
        listen(r->lfd, 4) < 0) {
        g_error("relay: listen on %s: %s", listen_path, g_strerror(errno));
    }
    g_assert(g_unix_open_pipe(r->wake, FD_CLOEXEC, NULL));
    g_unix_set_fd_nonblocking(r->wake[0], true, NULL);
    g_unix_set_fd_nonblocking(r->wake[1], true, NULL);
    r->thread = g_thread_new("mig-relay", relay_thread, r);
    return r;
}

MigRelay *mig_relay_new_incoming(QTestState *src, QTestState *dst)
{
    g_autofree char *relay_path =
        g_strdup_printf("%s/relay.sock", qtest_tmpdir(src));
    g_autofree char *dst_path =
        g_strdup_printf("%s/mig.sock", qtest_tmpdir(dst));
    MigRelay *r = mig_relay_new(relay_path, dst_path);

    qtest_qmp_assert_success(dst,
        "{\"execute\": \"migrate-incoming\", \"arguments\": "
        "{\"uri\": \"unix:%s\"}}", dst_path);
    return r;
}

void mig_relay_free(MigRelay *r)
{
    g_mutex_lock(&r->lock);
    r->quit = true;
    g_mutex_unlock(&r->lock);
    relay_wake(r);
    g_thread_join(r->thread);
    close(r->lfd);
    close(r->wake[0]);
    close(r->wake[1]);
    for (int i = 0; i < 2; i++) {
        g_free(r->dir[i].buf);
    }
    for (int i = 0; i < MIG_RELAY_MARK__MAX; i++) {
        g_array_free(r->mark_ends[i], true);
    }
    mig_relay_parser_free(r->parser);
    g_mutex_clear(&r->lock);
    g_cond_clear(&r->cond);
    g_free(r->dst_path);
    g_free(r->uri);
    g_free(r);
}

const char *mig_relay_uri(MigRelay *r)
{
    return r->uri;
}

/* The trigger's what and where; for TRIGGER_MARK, see mig_relay_at_mark. */
typedef struct TriggerSpec {
    TriggerKind kind;
    uint16_t cmd;
    MigRelayMark mark;
    unsigned nth;
    uint64_t back;
    bool after;
    uint64_t offset;
} TriggerSpec;

static void relay_arm(MigRelay *r, const TriggerSpec *t,
                      MigRelayAction action)
{
    TriggerKind kind = t->kind;
    uint16_t cmd = t->cmd;
    bool after = t->after;
    uint64_t offset = t->offset;

    g_mutex_lock(&r->lock);
    r->mark = t->mark;
    r->nth = t->nth;
    r->back = t->back;
    r->seen = 0;
    r->kind = kind;
    r->cmd = cmd;
    r->after = after;
    r->action = action;
    r->point = offset;
    r->point_known = kind == TRIGGER_OFFSET;
    r->fired = false;
    if (r->point_known && r->fd[0] >= 0) {
        g_assert_cmpuint(offset, >=, r->dir[MIG_RELAY_S2D].written);
    }
    g_mutex_unlock(&r->lock);
    relay_wake(r);
}

void mig_relay_at_offset(MigRelay *r, uint64_t offset, MigRelayAction action)
{
    TriggerSpec t = { .kind = TRIGGER_OFFSET, .offset = offset };

    relay_arm(r, &t, action);
}

void mig_relay_at_cmd(MigRelay *r, uint16_t cmd, bool after,
                      MigRelayAction action)
{
    /* Only commands of a fixed length can be told from their bytes. */
    TriggerSpec t = { .kind = TRIGGER_CMD, .cmd = cmd, .after = after };

    g_assert_true(cmd_len_ok(cmd, 0) || cmd_len_ok(cmd, 4));
    relay_arm(r, &t, action);
}

void mig_relay_at_mark(MigRelay *r, MigRelayMark mark, unsigned nth,
                       bool after, uint64_t back, MigRelayAction action)
{
    TriggerSpec t = {
        .kind = TRIGGER_MARK, .mark = mark, .nth = nth, .back = back,
        .after = after,
    };

    g_assert_cmpuint(nth, >, 0);
    relay_arm(r, &t, action);
}

/* Wait on r->cond until @done(r) holds; fail the test at the timeout. */
static void relay_wait_until(MigRelay *r, bool (*done)(MigRelay *r),
                             const char *what)
{
    gint64 deadline = g_get_monotonic_time() +
                      (gint64)r->timeout_s * G_USEC_PER_SEC;

    while (!done(r)) {
        if (!g_cond_wait_until(&r->cond, &r->lock, deadline) && !done(r)) {
            g_mutex_unlock(&r->lock);
            g_error("relay: timed out waiting for %s", what);
        }
    }
}

static bool relay_fired(MigRelay *r)
{
    return r->fired;
}

static bool relay_closed(MigRelay *r)
{
    return r->connections > 0 && r->fd[0] < 0 && !r->cut_requested;
}

uint64_t mig_relay_wait(MigRelay *r)
{
    uint64_t at;

    g_mutex_lock(&r->lock);
    g_assert(r->kind != TRIGGER_NONE);
    relay_wait_until(r, relay_fired, "the trigger");
    at = r->fired_at;
    g_mutex_unlock(&r->lock);
    return at;
}

void mig_relay_stall(MigRelay *r, MigRelayDir dir)
{
    g_mutex_lock(&r->lock);
    r->stalled[dir] = true;
    g_mutex_unlock(&r->lock);
    relay_wake(r);
}

void mig_relay_release(MigRelay *r)
{
    g_mutex_lock(&r->lock);
    r->stalled[MIG_RELAY_S2D] = r->stalled[MIG_RELAY_D2S] = false;
    g_mutex_unlock(&r->lock);
    relay_wake(r);
}

void mig_relay_cut(MigRelay *r)
{
    g_mutex_lock(&r->lock);
    r->cut_requested = true;
    g_mutex_unlock(&r->lock);
    relay_wake(r);
    mig_relay_wait_closed(r);
}

void mig_relay_set_rate(MigRelay *r, uint64_t bytes_per_s)
{
    g_mutex_lock(&r->lock);
    r->rate = bytes_per_s;
    r->rate_start = g_get_monotonic_time();
    r->rate_sent = 0;
    g_mutex_unlock(&r->lock);
    relay_wake(r);
}

uint64_t mig_relay_bytes(MigRelay *r, MigRelayDir dir)
{
    uint64_t n;

    g_mutex_lock(&r->lock);
    n = r->dir[dir].written;
    g_mutex_unlock(&r->lock);
    return n;
}

void mig_relay_wait_closed(MigRelay *r)
{
    g_mutex_lock(&r->lock);
    relay_wait_until(r, relay_closed, "the connection to close");
    g_mutex_unlock(&r->lock);
}

unsigned mig_relay_marks(MigRelay *r, MigRelayMark mark, bool forwarded)
{
    GArray *ends;
    unsigned n;

    g_mutex_lock(&r->lock);
    ends = r->mark_ends[mark];
    n = ends->len;
    if (forwarded) {
        uint64_t written = r->dir[MIG_RELAY_S2D].written;

        while (n > 0 && g_array_index(ends, uint64_t, n - 1) > written) {
            n--;
        }
    }
    g_mutex_unlock(&r->lock);
    return n;
}

const char *mig_relay_parse_error(MigRelay *r)
{
    const char *why;

    g_mutex_lock(&r->lock);
    why = mig_relay_parser_lost(r->parser);
    g_mutex_unlock(&r->lock);
    return why;
}

static bool relay_backlog_reached(MigRelay *r)
{
    RelayDir *d = &r->dir[MIG_RELAY_S2D];

    return d->read - d->written >= r->backlog_want;
}

void mig_relay_wait_backlog(MigRelay *r, uint64_t bytes)
{
    g_assert_cmpuint(bytes, <=, RELAY_BUF);
    g_mutex_lock(&r->lock);
    r->backlog_want = bytes;
    relay_wait_until(r, relay_backlog_reached, "the backlog");
    g_mutex_unlock(&r->lock);
}
