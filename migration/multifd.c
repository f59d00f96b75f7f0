/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Multifd channels of a machine without guest RAM: init and sync packets. */
#include "qemu/osdep.h"
#include <poll.h>
#include <sys/eventfd.h>
#include "qapi/error.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"
#include "qemu/lockable.h"
#include "qemu/thread.h"
#include "migration/qemu-file-types.h"
#include "migration.h"
#include "qemu-file.h"
#include "ram.h"
#include "multifd.h"
#include "trace.h"

/*
 * Wire format (QEMU 7.2's, all integers big endian).  Each channel is a
 * connection of its own to the migration address, opened after the
 * main one.  It starts with a 64-byte init packet:
 *
 *   0  u32 magic 0x11223344
 *   4  u32 version 1
 *   8  16 bytes: the VM's UUID (all zeros: minivmm has none)
 *  24  u8 channel id, 0 .. multifd-channels - 1
 *  25  39 bytes reserved, zero
 *
 * then carries packets of 1344 bytes:
 *
 *   0  u32 magic, 4 u32 version (as above)
 *   8  u32 flags: bit 0 SYNC; bits 1-3 the compression of the pages
 *  12  u32 pages_alloc: room for offsets, at most 128 (512 KiB of 4 KiB
 *      pages)
 *  16  u32 normal_pages: offsets used, at most pages_alloc
 *  20  u32 next_packet_size: bytes of page data after the packet
 *  24  u64 packet_num: a counter over all channels
 *  32  32 bytes reserved
 *  64  256 bytes: RAM block name, NUL padded
 * 320  128 u64 page offsets
 *
 * Without guest RAM the only packets are syncs: SYNC, room for 128
 * offsets, none used, no name, whatever the compression.  The source
 * sends one on every channel before each end of a 'ram' section part
 * (setup, iteration, completion); the destination, on reading that end,
 * waits for all of them.  A packet with pages names a RAM block, which
 * cannot exist here: the migration fails as QEMU fails for an unknown
 * block.
 */
#define MULTIFD_MAGIC 0x11223344U
#define MULTIFD_VERSION 1
#define MULTIFD_FLAG_SYNC 0x1
#define MULTIFD_INIT_SIZE 64
#define MULTIFD_PAGE_COUNT (512 * 1024 / 4096)
#define MULTIFD_HEADER_SIZE 320
#define MULTIFD_PACKET_LEN (MULTIFD_HEADER_SIZE + MULTIFD_PAGE_COUNT * 8)
#define MULTIFD_NAME_OFFSET 64
#define MULTIFD_NAME_SIZE 256
#define MULTIFD_UUID_SIZE 16

/* Source */

typedef struct MultiFDSend {
    QemuMutex lock;         /* protects files against shutdown */
    QEMUFile **files;       /* the channels by id, NULL until connected */
    unsigned count;         /* entries of @files */
    uint64_t packet_num;    /* next packet's number (migration thread) */
} MultiFDSend;

static MultiFDSend send_state;

bool multifd_send_setup(MigrationURI *uri, int cancel_fd, Error **errp)
{
    uint8_t init[MULTIFD_INIT_SIZE] = { 0 };
    unsigned i;

    if (!migrate_use_multifd()) {
        return true;
    }
    if (uri->kind != MIGRATION_URI_SOCKET) {
        error_setg(errp, "multifd is not supported by current protocol");
        return false;
    }
    assert(!send_state.files);
    WITH_QEMU_LOCK_GUARD(&send_state.lock) {
        send_state.count = migrate_multifd_channels();
        send_state.files = g_new0(QEMUFile *, send_state.count);
        send_state.packet_num = 0;
    }
    stl_be_p(init, MULTIFD_MAGIC);
    stl_be_p(init + 4, MULTIFD_VERSION);
    for (i = 0; i < send_state.count; i++) {
        pid_t pid;
        QEMUFile *f = migration_channel_connect_uri(uri, cancel_fd, &pid,
                                                    errp);

        if (!f) {
            return false;
        }
        WITH_QEMU_LOCK_GUARD(&send_state.lock) {
            send_state.files[i] = f;
        }
        init[24] = i;
        qemu_put_buffer(f, init, sizeof(init));
        qemu_fflush(f);
        if (qemu_file_get_error_obj(f, errp)) {
            error_prepend(errp, "multifd channel %u: ", i);
            return false;
        }
    }
    return true;
}

int multifd_send_sync_main(QEMUFile *main_file)
{
    uint8_t packet[MULTIFD_PACKET_LEN] = { 0 };
    unsigned i;

    if (!send_state.files) {
        return 0;
    }
    stl_be_p(packet, MULTIFD_MAGIC);
    stl_be_p(packet + 4, MULTIFD_VERSION);
    stl_be_p(packet + 8, MULTIFD_FLAG_SYNC);
    stl_be_p(packet + 12, MULTIFD_PAGE_COUNT);
    trace_multifd_send_sync_main(send_state.count, send_state.packet_num);
    for (i = 0; i < send_state.count; i++) {
        QEMUFile *f = send_state.files[i];
        Error *err = NULL;

        stq_be_p(packet + 24, send_state.packet_num++);
        qemu_put_buffer(f, packet, sizeof(packet));
        qemu_fflush(f);
        if (qemu_file_get_error_obj(f, &err)) {
            error_prepend(&err, "multifd_send_sync_main: channel %u: ", i);
            migrate_set_error(migrate_get_current(), err);
            error_free(err);
            return -EIO;
        }
        /* As QEMU 7.2: multifd bytes, in no phase, within the limit. */
        ram_counters.multifd_bytes += sizeof(packet);
        ram_counters.transferred += sizeof(packet);
        qemu_file_credit_transfer(main_file, sizeof(packet));
    }
    return 0;
}

void multifd_send_shutdown(void)
{
    unsigned i;

    QEMU_LOCK_GUARD(&send_state.lock);
    for (i = 0; send_state.files && i < send_state.count; i++) {
        if (send_state.files[i]) {
            qemu_file_shutdown(send_state.files[i]);
        }
    }
}

void multifd_send_cleanup(void)
{
    QEMUFile **files;
    unsigned i, count;

    WITH_QEMU_LOCK_GUARD(&send_state.lock) {
        files = send_state.files;
        count = send_state.count;
        send_state.files = NULL;
        send_state.count = 0;
    }
    for (i = 0; files && i < count; i++) {
        if (files[i]) {
            qemu_fclose(files[i]);
        }
    }
    g_free(files);
}

/* Destination */

typedef struct MultiFDRecvChannel {
    QEMUFile *f;
    QemuThread thread;
    unsigned index;         /* order of arrival, from 0 */
    bool synced;            /* read a sync, waits for the main thread */
    bool ended;             /* its thread is done reading */
} MultiFDRecvChannel;

/*
 * One incoming migration's channels.  Channel threads and the thread
 * that loads the main stream meet under @lock: a channel that read a
 * sync waits on @cond until multifd_recv_sync_main() saw a sync from
 * every channel and lets them all go.  @wake_fd wakes that wait too
 * (it also watches the main stream and the listening socket).
 */
typedef struct MultiFDRecv {
    QemuMutex lock;
    QemuCond cond;
    int wake_fd;                /* eventfd: a channel's state changed */
    bool active;                /* channels are expected */
    unsigned expected;          /* multifd-channels */
    unsigned accepted;          /* connections taken, <= expected */
    int listen_fd;              /* until all accepted, else -1 */
    MultiFDRecvChannel **chans; /* by order of arrival */
    MultiFDRecvChannel **by_id; /* by id, once the init packet checked */
    Error *error;               /* first failure of a channel */
    bool quit;                  /* multifd_recv_shutdown() */
} MultiFDRecv;

static MultiFDRecv recv_state;

void multifd_init(void)
{
    qemu_mutex_init(&send_state.lock);
    qemu_mutex_init(&recv_state.lock);
    qemu_cond_init(&recv_state.cond);
    recv_state.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    assert(recv_state.wake_fd >= 0);
    recv_state.listen_fd = -1;
}

/* A channel's state changed: wake the waiters.  Called with the lock. */
static void multifd_recv_kick_locked(void)
{
    qemu_cond_broadcast(&recv_state.cond);
    eventfd_write(recv_state.wake_fd, 1);
}

/* Keep the first error (takes @err).  Called with the lock. */
static void multifd_recv_fail_locked(Error *err)
{
    if (recv_state.error) {
        error_free(err);
    } else {
        recv_state.error = err;
    }
    multifd_recv_kick_locked();
}

static char *multifd_uuid_str(const uint8_t *u)
{
    return g_strdup_printf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                           "%02x%02x%02x%02x%02x%02x",
                           u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
                           u[8], u[9], u[10], u[11], u[12], u[13], u[14],
                           u[15]);
}

/* Check an init packet; the channel id, or -1 with @errp set. */
static int multifd_check_init(const uint8_t *init, Error **errp)
{
    static const uint8_t no_uuid[MULTIFD_UUID_SIZE];
    uint32_t magic = ldl_be_p(init);
    uint32_t version = ldl_be_p(init + 4);
    uint8_t id = init[24];

    if (magic != MULTIFD_MAGIC) {
        error_setg(errp, "multifd: received packet magic %x expected %x",
                   magic, MULTIFD_MAGIC);
        return -1;
    }
    if (version != MULTIFD_VERSION) {
        error_setg(errp, "multifd: received packet version %u expected %u",
                   version, MULTIFD_VERSION);
        return -1;
    }
    if (memcmp(init + 8, no_uuid, sizeof(no_uuid))) {
        g_autofree char *got = multifd_uuid_str(init + 8);
        g_autofree char *want = multifd_uuid_str(no_uuid);

        error_setg(errp, "multifd: received uuid '%s' and expected uuid "
                   "'%s' for channel %hhd", got, want, id);
        return -1;
    }
    if (id >= recv_state.expected) {
        error_setg(errp, "multifd: received channel id %u is greater than "
                   "number of channels %u", id, recv_state.expected);
        return -1;
    }
    return id;
}

/* Check a packet; false with @errp set.  *@sync: it is a sync. */
static bool multifd_check_packet(const uint8_t *p, bool *sync, Error **errp)
{
    uint32_t magic = ldl_be_p(p);
    uint32_t version = ldl_be_p(p + 4);
    uint32_t pages_alloc = ldl_be_p(p + 12);
    uint32_t normal = ldl_be_p(p + 16);
    char name[MULTIFD_NAME_SIZE];

    if (magic != MULTIFD_MAGIC) {
        error_setg(errp, "multifd: received packet magic %x and expected "
                   "magic %x", magic, MULTIFD_MAGIC);
        return false;
    }
    if (version != MULTIFD_VERSION) {
        error_setg(errp, "multifd: received packet version %u and expected "
                   "version %u", version, MULTIFD_VERSION);
        return false;
    }
    if (pages_alloc > MULTIFD_PAGE_COUNT) {
        error_setg(errp, "multifd: received packet with size %u and expected "
                   "a size of %u", pages_alloc, MULTIFD_PAGE_COUNT);
        return false;
    }
    if (normal > pages_alloc) {
        error_setg(errp, "multifd: received packet with %u pages and "
                   "expected maximum pages are %u", normal, pages_alloc);
        return false;
    }
    if (normal) {
        /* There are no RAM blocks: every name is unknown. */
        memcpy(name, p + MULTIFD_NAME_OFFSET, sizeof(name));
        name[sizeof(name) - 1] = '\0';
        error_setg(errp, "multifd: unknown ram block %s", name);
        return false;
    }
    *sync = ldl_be_p(p + 8) & MULTIFD_FLAG_SYNC;
    return true;
}

/* Read exactly @len bytes of a channel; false with @errp set. */
static bool multifd_read(MultiFDRecvChannel *c, uint8_t *buf, size_t len,
                         Error **errp)
{
    Error *err = NULL;

    if (qemu_get_buffer(c->f, buf, len) == len) {
        return true;
    }
    qemu_file_get_error_obj(c->f, &err);
    if (!err) {
        error_setg(&err, "multifd: channel %u: end of stream in a packet",
                   c->index);
    }
    error_propagate(errp, err);
    return false;
}

/* Read the init packet and take the channel's id slot. */
static bool multifd_recv_init(MultiFDRecvChannel *c, Error **errp)
{
    uint8_t init[MULTIFD_INIT_SIZE];
    int id;

    if (!multifd_read(c, init, sizeof(init), errp)) {
        error_prepend(errp, "failed to receive packet via multifd channel "
                      "%u: ", c->index);
        return false;
    }
    QEMU_LOCK_GUARD(&recv_state.lock);
    id = multifd_check_init(init, errp);
    if (id < 0) {
        error_prepend(errp, "failed to receive packet via multifd channel "
                      "%u: ", c->index);
        return false;
    }
    if (recv_state.by_id[id]) {
        error_setg(errp, "multifd: received id '%d' already setup'", id);
        return false;
    }
    recv_state.by_id[id] = c;
    trace_multifd_recv_new_channel(c->index, id);
    multifd_recv_kick_locked();
    return true;
}

/*
 * A channel's thread: the init packet, then packets until the source
 * closes the channel between packets.  After a sync it waits until the
 * main thread has one from every channel.
 */
static void *multifd_recv_thread(void *opaque)
{
    MultiFDRecvChannel *c = opaque;
    uint8_t *packet = g_malloc(MULTIFD_PACKET_LEN);
    Error *err = NULL;

    if (!multifd_recv_init(c, &err)) {
        goto out;
    }
    for (;;) {
        uint8_t *peek;
        bool sync;

        if (!qemu_peek_buffer(c->f, &peek, 1, 0)) {
            break;  /* end of stream between packets: the channel is done */
        }
        if (!multifd_read(c, packet, MULTIFD_PACKET_LEN, &err) ||
            !multifd_check_packet(packet, &sync, &err)) {
            break;
        }
        trace_multifd_recv_packet(c->index, ldq_be_p(packet + 24), sync);
        if (!sync) {
            continue;
        }
        QEMU_LOCK_GUARD(&recv_state.lock);
        c->synced = true;
        multifd_recv_kick_locked();
        while (c->synced && !recv_state.quit && !recv_state.error) {
            qemu_cond_wait(&recv_state.cond, &recv_state.lock);
        }
        if (recv_state.quit || recv_state.error) {
            break;
        }
    }
out:
    g_free(packet);
    WITH_QEMU_LOCK_GUARD(&recv_state.lock) {
        c->ended = true;
        if (err && !recv_state.quit) {
            multifd_recv_fail_locked(err);
            err = NULL;
        }
        multifd_recv_kick_locked();
    }
    error_free(err);
    return NULL;
}

bool multifd_recv_setup(int listen_fd)
{
    unsigned n = migrate_multifd_channels();

    if (!migrate_use_multifd() || listen_fd < 0) {
        return false;
    }
    multifd_recv_cleanup();
    QEMU_LOCK_GUARD(&recv_state.lock);
    recv_state.active = true;
    recv_state.expected = n;
    recv_state.accepted = 0;
    recv_state.listen_fd = listen_fd;
    recv_state.chans = g_new0(MultiFDRecvChannel *, n);
    recv_state.by_id = g_new0(MultiFDRecvChannel *, n);
    recv_state.quit = false;
    return true;
}

bool multifd_recv_new_channel(QEMUFile *f)
{
    MultiFDRecvChannel *c = g_new0(MultiFDRecvChannel, 1);
    g_autofree char *name = NULL;

    QEMU_LOCK_GUARD(&recv_state.lock);
    assert(recv_state.active && recv_state.accepted < recv_state.expected);
    c->f = f;
    c->index = recv_state.accepted;
    recv_state.chans[recv_state.accepted++] = c;
    name = g_strdup_printf("mig/dst/recv_%u", c->index);
    qemu_thread_create(&c->thread, name, multifd_recv_thread, c,
                       QEMU_THREAD_JOINABLE);
    if (recv_state.accepted < recv_state.expected) {
        return false;
    }
    recv_state.listen_fd = -1;
    return true;
}

/*
 * Whether every channel sent a sync: then let them all go on.  False
 * with @errp set when one never can.  Called with the lock.
 */
static bool multifd_recv_all_synced_locked(bool *done, Error **errp)
{
    unsigned i;

    *done = false;
    if (recv_state.error) {
        error_propagate(errp, error_copy(recv_state.error));
        return false;
    }
    if (recv_state.quit) {
        error_setg(errp, "multifd: migration cancelled");
        return false;
    }
    for (i = 0; i < recv_state.expected; i++) {
        MultiFDRecvChannel *c = recv_state.by_id[i];

        if (c && !c->synced && c->ended) {
            error_setg(errp, "multifd: channel %u closed before its sync", i);
            return false;
        }
        if (!c || !c->synced) {
            return true;
        }
    }
    for (i = 0; i < recv_state.expected; i++) {
        recv_state.by_id[i]->synced = false;
    }
    trace_multifd_recv_sync_main(recv_state.expected);
    qemu_cond_broadcast(&recv_state.cond);
    *done = true;
    return true;
}

/*
 * The main stream ended while channels are still missing: they can come
 * only if they are waiting to be accepted.  Called with the lock.
 */
static bool multifd_recv_channels_lost_locked(void)
{
    struct pollfd pfd = { .fd = recv_state.listen_fd, .events = POLLIN };
    unsigned i;

    for (i = 0; i < recv_state.accepted; i++) {
        if (!recv_state.chans[i]->ended) {
            return false;   /* still reading its init packet */
        }
    }
    if (recv_state.accepted == recv_state.expected) {
        return false;       /* the missing ids show as ended channels */
    }
    return recv_state.listen_fd < 0 || poll(&pfd, 1, 0) == 0;
}

bool multifd_recv_sync_main(int main_fd, Error **errp)
{
    struct pollfd pfds[2] = {
        { .fd = recv_state.wake_fd, .events = POLLIN },
        { .fd = main_fd, .events = POLLRDHUP },
    };
    bool done = false;
    bool main_gone = false;

    if (!recv_state.active) {
        return true;
    }
    for (;;) {
        eventfd_t unused;

        WITH_QEMU_LOCK_GUARD(&recv_state.lock) {
            if (!multifd_recv_all_synced_locked(&done, errp)) {
                return false;
            }
            if (done) {
                return true;
            }
            if (main_gone && multifd_recv_channels_lost_locked()) {
                error_setg(errp, "multifd: the source closed the migration "
                           "stream before opening all channels");
                return false;
            }
        }
        if (poll(pfds, 2, -1) < 0 && errno != EINTR) {
            error_setg_errno(errp, errno, "multifd: poll failed");
            return false;
        }
        if (pfds[0].revents) {
            eventfd_read(recv_state.wake_fd, &unused);
        }
        if (pfds[1].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) {
            /* Syncs may still be on their way: stop watching, judge. */
            pfds[1].fd = -1;
            main_gone = true;
        }
    }
}

void multifd_recv_shutdown(void)
{
    unsigned i;

    QEMU_LOCK_GUARD(&recv_state.lock);
    if (!recv_state.active) {
        return;
    }
    recv_state.quit = true;
    for (i = 0; i < recv_state.accepted; i++) {
        qemu_file_shutdown(recv_state.chans[i]->f);
    }
    multifd_recv_kick_locked();
}

void multifd_recv_cleanup(void)
{
    MultiFDRecvChannel **chans;
    unsigned i, n;

    multifd_recv_shutdown();
    WITH_QEMU_LOCK_GUARD(&recv_state.lock) {
        chans = recv_state.chans;
        n = recv_state.accepted;
    }
    /* No new channel comes meanwhile: the main loop calls both. */
    for (i = 0; i < n; i++) {
        qemu_thread_join(&chans[i]->thread);
    }
    WITH_QEMU_LOCK_GUARD(&recv_state.lock) {
        recv_state.chans = NULL;
        recv_state.accepted = 0;
        recv_state.active = false;
        recv_state.listen_fd = -1;
        g_free(recv_state.by_id);
        recv_state.by_id = NULL;
        error_free(recv_state.error);
        recv_state.error = NULL;
    }
    for (i = 0; i < n; i++) {
        qemu_fclose(chans[i]->f);
        g_free(chans[i]);
    }
    g_free(chans);
}
