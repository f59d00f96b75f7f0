/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Migration state machine: outgoing thread, incoming side, QMP commands. */
#include "qemu/osdep.h"
#include <sys/eventfd.h>
#include "qapi/error.h"
#include "qapi/clone-visitor.h"
#include "qapi/qapi-commands-migration.h"
#include "qapi/qapi-events-migration.h"
#include "qapi/qapi-visit-sockets.h"
#include "qapi/qmp/qerror.h"
#include "qemu/atomic.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "block/block.h"
#include "monitor/monitor.h"
#include "sysemu/runstate.h"
#include "sysemu/sysemu.h"
#include "migration/misc.h"
#include "migration/dirty-bitmap-ext.h"
#include "migration/global_state.h"
#include "migration.h"
#include "channel.h"
#include "multifd.h"
#include "options.h"
#include "qemu-file.h"
#include "ram.h"
#include "savevm.h"
#include "trace.h"

static MigrationState *current_migration;
static MigrationIncomingState *current_incoming;

/* Posted to cut a rate-limit sleep short (cancel, new bandwidth). */
static QemuSemaphore rate_limit_sem;

typedef enum {
    MIG_ITERATE_RESUME,         /* resume current iteration */
    MIG_ITERATE_SKIP,           /* skip current iteration */
    MIG_ITERATE_BREAK,          /* break the loop */
    MIG_ITERATE_IDLE,           /* every handler sent all it could */
} MigIterateState;

static int64_t now_ms(void)
{
    return qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
}

/*
 * Replaced by migration/test-load.c's definition in the test builds that
 * link it; minivmm itself carries no test section.
 */
void __attribute__((weak)) test_load_mig_init(void)
{
}

void migration_object_init(void)
{
    MigrationState *s;
    MigrationIncomingState *mis;
    int sid;

    assert(!current_migration);
    s = g_new0(MigrationState, 1);
    s->state = MIGRATION_STATUS_NONE;
    s->uri_fd = -1;
    migrate_params_init(&s->parameters);
    multifd_init();
    s->send_configuration = true;
    s->send_section_footer = true;
    s->store_global_state = true;
    s->decompress_error_check = true;
    s->clear_bitmap_shift = 18;
    qemu_mutex_init(&s->qemu_file_lock);
    qemu_mutex_init(&s->error_mutex);
    qemu_sem_init(&s->rp_state.rp_sem, 0);
    qemu_sem_init(&s->postcopy_pause_sem, 0);
    qemu_sem_init(&s->pause_sem, 0);
    s->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (s->cancel_fd < 0) {
        error_report("Failed to create the migration cancel eventfd: %s",
                     strerror(errno));
        exit(EXIT_FAILURE);
    }
    qemu_sem_init(&rate_limit_sem, 0);
    current_migration = s;

    mis = g_new0(MigrationIncomingState, 1);
    mis->state = MIGRATION_STATUS_NONE;
    mis->listen_fd = -1;
    qemu_mutex_init(&mis->rp_mutex);
    qemu_sem_init(&mis->main_thread_load_sem, 0);
    qemu_sem_init(&mis->listen_start_sem, 0);
    qemu_sem_init(&mis->thread_sync_sem, 0);
    qemu_sem_init(&mis->postcopy_pause_sem_dst, 0);
    current_incoming = mis;

    /* Sections, in the order (and so with the ids) of QEMU 7.2 -M none. */
    cpu_timers_mig_init();      /* 0: timer */
    savevm_skip_section_id();   /* 1: QEMU's old 'block' */
    ram_mig_init();             /* 2: ram */
    sid = savevm_peek_section_id();
    dirty_bitmap_mig_init();    /* 3: dirty-bitmap */
    if (savevm_peek_section_id() == sid) {
        savevm_skip_section_id(); /* built without the module */
    }
    register_global_state();    /* 4: globalstate */
    test_load_mig_init();       /* test builds only */
}

MigrationState *migrate_get_current(void)
{
    assert(current_migration);
    return current_migration;
}

/* Events may be sent from any thread; the monitor wants the BQL. */
static void migrate_generate_event(int new_state)
{
    bool locked;

    if (!migrate_use_events()) {
        return;
    }
    locked = qemu_mutex_iothread_locked();
    if (!locked) {
        qemu_mutex_lock_iothread();
    }
    qapi_event_send_migration(new_state);
    if (!locked) {
        qemu_mutex_unlock_iothread();
    }
}

void migrate_set_state(int *state, int old_state, int new_state)
{
    assert(new_state < MIGRATION_STATUS__MAX);
    if (qatomic_cmpxchg(state, old_state, new_state) == old_state) {
        trace_migrate_set_state(MigrationStatus_str(new_state));
        migrate_generate_event(new_state);
    }
}

void migrate_set_error(MigrationState *s, const Error *error)
{
    QEMU_LOCK_GUARD(&s->error_mutex);
    if (!s->error) {
        s->error = error_copy(error);
    }
}

bool migration_is_running(int state)
{
    /* Everything from setup until the migration has ended. */
    switch (state) {
    case MIGRATION_STATUS_NONE:
    case MIGRATION_STATUS_COMPLETED:
    case MIGRATION_STATUS_FAILED:
    case MIGRATION_STATUS_CANCELLED:
        return false;
    default:
        return true;
    }
}

bool migration_is_idle(void)
{
    MigrationState *s = current_migration;

    return !s || !migration_is_running(qatomic_read(&s->state));
}

bool migration_is_active(MigrationState *s)
{
    int state = qatomic_read(&s->state);

    return state == MIGRATION_STATUS_ACTIVE ||
           state == MIGRATION_STATUS_POSTCOPY_ACTIVE;
}

bool migration_in_setup(MigrationState *s)
{
    return qatomic_read(&s->state) == MIGRATION_STATUS_SETUP;
}

bool migration_has_finished(MigrationState *s)
{
    return qatomic_read(&s->state) == MIGRATION_STATUS_COMPLETED;
}

bool migration_has_failed(MigrationState *s)
{
    int state = qatomic_read(&s->state);

    return state == MIGRATION_STATUS_CANCELLED ||
           state == MIGRATION_STATUS_FAILED;
}

bool migration_in_postcopy(void)
{
    return qatomic_read(&migrate_get_current()->state) ==
           MIGRATION_STATUS_POSTCOPY_ACTIVE;
}

bool migration_in_incoming_postcopy(void)
{
    PostcopyState ps = postcopy_state_get();

    return ps >= POSTCOPY_INCOMING_DISCARD && ps < POSTCOPY_INCOMING_END;
}

bool migration_in_bg_snapshot(void)
{
    return false;
}

bool migration_has_all_channels(void)
{
    return true;
}

/*
 * The source takes its disks back after a migration that did not hand
 * them over (failure, cancel): activate them and report, without
 * failing, if that does not work.  Called with the BQL taken.
 */
static void migration_reactivate_disks(MigrationState *s)
{
    Error *local_err = NULL;

    if (s->block_inactive) {
        bdrv_activate_all(&local_err);
        /* Reported, not fatal: the source goes on either way. */
        s->block_inactive = local_err != NULL;
        if (local_err) {
            error_report_err(local_err);
        }
    }
}

void migration_rate_limit_changed(MigrationState *s)
{
    QEMU_LOCK_GUARD(&s->qemu_file_lock);
    if (s->to_dst_file) {
        int64_t bw = migration_in_postcopy() ?
                     s->parameters.max_postcopy_bandwidth :
                     s->parameters.max_bandwidth;

        qemu_file_set_rate_limit(s->to_dst_file,
                                 bw ? bw / XFER_LIMIT_RATIO : INT64_MAX);
        qemu_sem_post(&rate_limit_sem);
    }
}

/* Return path: destination side */

static int migrate_send_rp_message(MigrationIncomingState *mis,
                                   enum mig_rp_message_type message_type,
                                   uint16_t len, void *data)
{
    QEMU_LOCK_GUARD(&mis->rp_mutex);
    if (!mis->to_src_file) {
        return -EIO;
    }
    qemu_put_be16(mis->to_src_file, (unsigned int)message_type);
    qemu_put_be16(mis->to_src_file, len);
    qemu_put_buffer(mis->to_src_file, data, len);
    qemu_fflush(mis->to_src_file);
    return qemu_file_get_error(mis->to_src_file);
}

void migrate_send_rp_shut(MigrationIncomingState *mis, uint32_t value)
{
    uint8_t buf[4] = { value >> 24, value >> 16, value >> 8, value };

    migrate_send_rp_message(mis, MIG_RP_MSG_SHUT, sizeof(buf), buf);
}

void migrate_send_rp_resume_ack(MigrationIncomingState *mis, uint32_t value)
{
    uint8_t buf[4] = { value >> 24, value >> 16, value >> 8, value };

    migrate_send_rp_message(mis, MIG_RP_MSG_RESUME_ACK, sizeof(buf), buf);
}

void migrate_send_rp_pong(MigrationIncomingState *mis, uint32_t value)
{
    uint8_t buf[4] = { value >> 24, value >> 16, value >> 8, value };

    migrate_send_rp_message(mis, MIG_RP_MSG_PONG, sizeof(buf), buf);
}

/* Return path: source side */

static const char *const rp_message_names[MIG_RP_MSG_MAX] = {
    [MIG_RP_MSG_INVALID] = "INVALID",
    [MIG_RP_MSG_SHUT] = "SHUT",
    [MIG_RP_MSG_PONG] = "PONG",
    [MIG_RP_MSG_REQ_PAGES_ID] = "REQ_PAGES_ID",
    [MIG_RP_MSG_REQ_PAGES] = "REQ_PAGES",
    [MIG_RP_MSG_RECV_BITMAP] = "RECV_BITMAP",
    [MIG_RP_MSG_RESUME_ACK] = "RESUME_ACK",
};

/* The payload length a return-path message must have, or -1. */
static int rp_message_fixed_len(unsigned int type)
{
    switch (type) {
    case MIG_RP_MSG_SHUT:
    case MIG_RP_MSG_PONG:
    case MIG_RP_MSG_RESUME_ACK:
        return 4;
    case MIG_RP_MSG_REQ_PAGES:
        return 12;
    default:
        return -1;
    }
}

/*
 * Read one return-path message into @buf: its type and payload length
 * in *@type and *@len.  False on a broken or malformed message (said so
 * unless the path simply ended).
 */
static bool rp_read_message(QEMUFile *rp, unsigned int *type,
                            uint8_t *buf, unsigned int *len)
{
    int want;

    *type = qemu_get_be16(rp);
    *len = qemu_get_be16(rp);
    if (qemu_file_get_error(rp)) {
        return false;
    }
    if (*type == MIG_RP_MSG_INVALID || *type >= MIG_RP_MSG_MAX) {
        error_report("RP: Received invalid message 0x%04x length 0x%04x",
                     *type, *len);
        return false;
    }
    want = rp_message_fixed_len(*type);
    if (*len > MIG_RP_MSG_MAX_LEN || (want >= 0 && *len != want)) {
        error_report("RP: Received '%s' message (0x%04x) with"
                     "incorrect length %d expecting %zu",
                     rp_message_names[*type], *type, *len, (size_t)want);
        return false;
    }
    if (qemu_get_buffer(rp, buf, *len) != *len) {
        error_report("RP: Failed reading data for message 0x%04x"
                     " read %d expected %d", *type,
                     qemu_file_get_error(rp), *len);
        return false;
    }
    return true;
}

/*
 * The source's return-path reader: PONGs are traced, SHUT ends it (an
 * error if non-zero); anything else asks for guest RAM, which we lack.
 */
static void *source_return_path_thread(void *opaque)
{
    MigrationState *ms = opaque;
    uint8_t buf[MIG_RP_MSG_MAX_LEN];
    unsigned int type, len;

    while (rp_read_message(ms->rp_state.from_dst_file, &type, buf, &len)) {
        uint32_t value = len >= 4 ? ldl_be_p(buf) : 0;

        if (type == MIG_RP_MSG_PONG) {
            trace_source_return_path_thread_pong(value);
            continue;
        }
        if (type == MIG_RP_MSG_RESUME_ACK &&
            qatomic_read(&ms->state) == MIGRATION_STATUS_POSTCOPY_RECOVER) {
            if (value != MIGRATION_RESUME_ACK_VALUE) {
                error_report("source_return_path_thread: illegal resume_ack "
                             "value %" PRIu32, value);
                break;
            }
            migrate_set_state(&ms->state, MIGRATION_STATUS_POSTCOPY_RECOVER,
                              MIGRATION_STATUS_POSTCOPY_ACTIVE);
            qemu_sem_post(&ms->rp_state.rp_sem);
            continue;
        }
        if (type == MIG_RP_MSG_SHUT) {
            trace_source_return_path_thread_shut(value);
            if (!value) {
                ms->rp_state.shut_received = true;
                return NULL;
            }
            error_report("RP: Sibling indicated error %d", value);
        } else {
            error_report("RP: Received '%s' message, but there is no "
                         "guest RAM", rp_message_names[type]);
        }
        break;
    }
    ms->rp_state.error = true;
    qemu_sem_post(&ms->rp_state.rp_sem);     /* a resume waits no more */
    return NULL;
}

static int open_return_path_on_source(MigrationState *ms)
{
    ms->rp_state.from_dst_file = qemu_file_get_return_path(ms->to_dst_file);
    if (!ms->rp_state.from_dst_file) {
        return -1;
    }
    ms->rp_state.error = false;
    ms->rp_state.shut_received = false;
    qemu_thread_create(&ms->rp_state.rp_thread, "return path",
                       source_return_path_thread, ms, QEMU_THREAD_JOINABLE);
    ms->rp_state.rp_thread_created = true;
    return 0;
}

/* Wait for SHUT from the destination; returns true on a return-path error. */
static bool await_return_path_close_on_source(MigrationState *ms)
{
    if (!ms->rp_state.rp_thread_created) {
        return false;
    }
    if (qemu_file_get_error(ms->to_dst_file)) {
        qemu_file_shutdown(ms->rp_state.from_dst_file);
    }
    qemu_thread_join(&ms->rp_state.rp_thread);
    ms->rp_state.rp_thread_created = false;
    return ms->rp_state.error || !ms->rp_state.shut_received;
}

static void close_return_path_on_source(MigrationState *ms)
{
    if (ms->rp_state.rp_thread_created) {
        qemu_file_shutdown(ms->rp_state.from_dst_file);
        qemu_thread_join(&ms->rp_state.rp_thread);
        ms->rp_state.rp_thread_created = false;
    }
    if (ms->rp_state.from_dst_file) {
        qemu_fclose(ms->rp_state.from_dst_file);
        ms->rp_state.from_dst_file = NULL;
    }
}

/* Outgoing migration */

/*
 * Once a window (BUFFER_DELAY ms) has passed: the bytes it carried give
 * the throughput, and with it how much could still go within the
 * allowed downtime (threshold_size).  Then a new window and budget.
 */
static void migration_update_counters(MigrationState *s, int64_t now)
{
    int64_t window_ms = now - s->iteration_start_time;
    uint64_t total, sent;
    double bytes_per_ms;

    if (window_ms < BUFFER_DELAY) {
        return;
    }
    total = qemu_file_total_transferred(s->to_dst_file);
    sent = total - s->iteration_initial_bytes;
    bytes_per_ms = (double)sent / window_ms;
    s->threshold_size = bytes_per_ms * s->parameters.downtime_limit;
    s->window_measured = true;
    s->mbps = bytes_per_ms * 8.0 / 1000.0;     /* bits per us: Mbit/s */
    s->iteration_start_time = now;
    s->iteration_initial_bytes = total;
    qemu_file_reset_rate_limit(s->to_dst_file);
}

/* Sleep out the rest of a spent bandwidth window; false if woken early. */
static bool migration_rate_limit(MigrationState *s)
{
    int64_t ms;

    if (!qemu_file_rate_limit(s->to_dst_file) ||
        qemu_file_get_error(s->to_dst_file)) {
        return false;
    }
    ms = s->iteration_start_time + BUFFER_DELAY - now_ms();
    if (ms > 0 && qemu_sem_timedwait(&rate_limit_sem, ms) == 0) {
        return true;
    }
    return false;
}

/*
 * A precopy round in which every handler sent all it could says nothing
 * about the link, and another round right away would only spin (QEMU
 * 7.2 writes tens of thousands of empty 'ram' sections a second there).
 * The first idle round of a window takes max-bandwidth as the bandwidth
 * estimate, if that is above the measured one, and lets the caller check
 * convergence again at once; later idle rounds sleep out the window
 * (migrate-start-postcopy, cancel and new limits wake them).  Not in the
 * migration's first window: as in 7.2, nothing converges before one was
 * measured, so a migrate-start-postcopy sent right after migrate finds
 * the migration still in precopy.  Returns whether to go on at once.
 */
static bool migration_idle(MigrationState *s)
{
    uint64_t per_ms = migrate_max_bandwidth() / 1000;
    uint64_t limit = s->parameters.downtime_limit;
    uint64_t estimate = !limit ? 0 :
                        !per_ms || per_ms > UINT64_MAX / limit ? UINT64_MAX :
                        per_ms * limit;
    int64_t ms;

    if (s->window_measured && s->threshold_size < estimate) {
        s->threshold_size = estimate;
        return true;
    }
    ms = s->iteration_start_time + BUFFER_DELAY - now_ms();
    if (ms > 0) {
        qemu_sem_timedwait(&rate_limit_sem, ms);
    }
    return false;
}

/*
 * Run @fn with the BQL held, writing into a memory file, then copy what it
 * wrote to the real stream with the BQL released: a stalled destination
 * must not freeze the monitor (QEMU holds the BQL across these writes).
 * Output beyond STAGE_MAX is written through with the BQL held, as QEMU
 * does, so memory stays bounded.
 */
#define STAGE_MAX (4 * MiB)

static int migration_write_staged(MigrationState *s,
                                  int (*fn)(MigrationState *s, QEMUFile *f))
{
    QEMUFile *fb = qemu_file_new_buffer_output();
    const uint8_t *data;
    size_t len;
    int ret;

    qemu_file_set_spill(fb, s->to_dst_file, STAGE_MAX);
    qemu_mutex_lock_iothread();
    ret = fn(s, fb);
    qemu_mutex_unlock_iothread();
    if (ret >= 0) {
        ret = qemu_file_get_error(fb);
    }
    if (ret >= 0) {
        data = qemu_file_buffer_contents(fb, &len);
        qemu_put_buffer(s->to_dst_file, data, len);
        qemu_fflush(s->to_dst_file);
        ret = qemu_file_get_error(s->to_dst_file);
    }
    qemu_fclose(fb);
    return ret;
}

/*
 * Stop the VM for the switch-over, remembering how it ran.  Called with
 * the BQL taken.
 */
static int migration_stop_vm_locked(MigrationState *s)
{
    int ret;

    s->downtime_start = now_ms();
    s->vm_was_running = runstate_is_running();
    ret = global_state_store();
    if (ret) {
        return ret;
    }
    return vm_stop_force_state(RUN_STATE_FINISH_MIGRATE);
}

static int migration_stop_vm(MigrationState *s)
{
    int ret;

    qemu_mutex_lock_iothread();
    ret = migration_stop_vm_locked(s);
    qemu_mutex_unlock_iothread();
    return ret;
}

/*
 * pause-before-switchover: with the VM stopped, wait in pre-switchover
 * until migrate-continue (or a cancel) wakes us, then go on in
 * @new_state.  *@cur_state follows the state; a negative return means
 * the migration was cancelled meanwhile.
 */
static int migration_maybe_pause(MigrationState *s, int *cur_state,
                                 int new_state)
{
    if (!migrate_pause_before_switchover()) {
        return 0;
    }
    /* A cancel that came first keeps its state. */
    if (qatomic_read(&s->state) != MIGRATION_STATUS_CANCELLING) {
        migrate_set_state(&s->state, *cur_state,
                          MIGRATION_STATUS_PRE_SWITCHOVER);
        /* Posted by migrate-continue or by a cancel. */
        qemu_sem_wait(&s->pause_sem);
    }
    if (qatomic_cmpxchg(&s->state, MIGRATION_STATUS_PRE_SWITCHOVER,
                        new_state) != MIGRATION_STATUS_PRE_SWITCHOVER) {
        return -ECANCELED;
    }
    trace_migrate_set_state(MigrationStatus_str(new_state));
    migrate_generate_event(new_state);
    *cur_state = new_state;
    return 0;
}

static int complete_precopy_locked(MigrationState *s, QEMUFile *f)
{
    return qemu_savevm_state_complete_precopy(f, false, true);
}

static int complete_postcopy_locked(MigrationState *s, QEMUFile *f)
{
    qemu_savevm_state_complete_postcopy(f);
    return 0;
}

/*
 * Say why the switch-over failed, in query-migrate's error-desc and, at
 * cleanup, the log (QEMU 7.2 says nothing there): @f's error if it has
 * one, else @fmt.  The first reason recorded wins.
 */
static void G_GNUC_PRINTF(3, 4)
migration_fail_reason(MigrationState *s, QEMUFile *f, const char *fmt, ...)
{
    Error *err = NULL;
    va_list ap;

    if (!f || !qemu_file_get_error_obj(f, &err)) {
        g_autofree char *msg = NULL;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        error_setg(&err, "%s", msg);
    }
    migrate_set_error(s, err);
    error_free(err);
}

static void migration_completion(MigrationState *s)
{
    int current_active_state = qatomic_read(&s->state);
    QEMUFile *f;
    int ret;

    if (current_active_state == MIGRATION_STATUS_ACTIVE) {
        qemu_file_set_rate_limit(s->to_dst_file, INT64_MAX);
        ret = migration_stop_vm(s);
        if (ret >= 0) {
            ret = migration_maybe_pause(s, &current_active_state,
                                        MIGRATION_STATUS_DEVICE);
        }
        if (ret >= 0) {
            ret = migration_write_staged(s, complete_precopy_locked);
        }
        if (ret < 0) {
            goto fail_invalidate;
        }
    } else if (current_active_state == MIGRATION_STATUS_POSTCOPY_ACTIVE) {
        ret = migration_write_staged(s, complete_postcopy_locked);
        if (ret < 0) {
            goto fail;
        }
    } else if (current_active_state == MIGRATION_STATUS_CANCELLING) {
        return;     /* cancelled just before: the cancel ends it */
    } else {
        goto fail;
    }

    if (await_return_path_close_on_source(s)) {
        migration_fail_reason(s, NULL, "The destination did not confirm "
                              "the migration on the return path");
        goto fail_invalidate;
    }
    ret = qemu_file_get_error(s->to_dst_file);
    if (ret) {
        goto fail_invalidate;
    }
    /*
     * Close now so that exec:/file: output is complete at 'completed'.
     * Outside the lock: closing waits for an exec: child, and cancel
     * (with the BQL) must not wait with it.
     */
    s->bytes_transferred = qemu_file_total_transferred(s->to_dst_file);
    WITH_QEMU_LOCK_GUARD(&s->qemu_file_lock) {
        f = s->to_dst_file;
        s->to_dst_file = NULL;
    }
    ret = qemu_fclose(f);
    if (ret < 0) {
        migration_fail_reason(s, NULL, "Closing the migration stream "
                              "failed: %s", strerror(-ret));
        goto fail;
    }
    migrate_set_state(&s->state, current_active_state,
                      MIGRATION_STATUS_COMPLETED);
    return;

fail_invalidate:
    /* Not in postcopy: the source keeps the disks. */
    if (qatomic_read(&s->state) == current_active_state &&
        current_active_state != MIGRATION_STATUS_POSTCOPY_ACTIVE) {
        qemu_mutex_lock_iothread();
        migration_reactivate_disks(s);
        qemu_mutex_unlock_iothread();
    }
fail:
    if (qatomic_read(&s->state) == current_active_state) {
        migration_fail_reason(s, s->to_dst_file, "The migration failed "
                              "at its switch-over");
    }
    migrate_set_state(&s->state, current_active_state,
                      MIGRATION_STATUS_FAILED);
}

/*
 * With postcopy-ram, QEMU 7.2 marks the switch with PINGs the destination
 * answers on the return path: 2 before the package, 3 in it before RUN,
 * 4 after it.  There are no RAM discards to send: we have no RAM block.
 */
static void postcopy_ram_ping(QEMUFile *f, uint32_t value)
{
    if (migrate_postcopy_ram()) {
        qemu_savevm_send_ping(f, value);
    }
}

static int postcopy_package_locked(MigrationState *s, QEMUFile *fb)
{
    qemu_savevm_send_postcopy_listen(fb);
    qemu_savevm_state_complete_precopy(fb, false, false);
    postcopy_ram_ping(fb, 3);
    qemu_savevm_send_postcopy_run(fb);
    return qemu_file_get_error(fb);
}

/* The VM is stopped: hand the disks over, end the precopy-only sections. */
static int postcopy_handover_locked(MigrationState *s, QEMUFile *f)
{
    int ret = bdrv_inactivate_all();

    if (ret < 0) {
        return ret;
    }
    s->block_inactive = true;
    /* Non-postcopiable iterative sections end now (ram END). */
    return qemu_savevm_state_complete_precopy(f, true, false);
}

/*
 * Switch to postcopy: stop, send the device state package, go on.  As
 * in QEMU 7.2, postcopy-active comes before the stop unless the switch
 * pauses first (pre-switchover after the stop, then postcopy-active).
 */
static int postcopy_start(MigrationState *ms)
{
    int64_t bandwidth = ms->parameters.max_postcopy_bandwidth;
    int cur_state = MIGRATION_STATUS_ACTIVE;
    QEMUFile *fb = NULL;
    const uint8_t *data;
    size_t len;
    int ret;

    if (!migrate_pause_before_switchover()) {
        migrate_set_state(&ms->state, cur_state,
                          MIGRATION_STATUS_POSTCOPY_ACTIVE);
        cur_state = MIGRATION_STATUS_POSTCOPY_ACTIVE;
    }
    ret = migration_stop_vm(ms);
    if (ret >= 0) {
        ret = migration_maybe_pause(ms, &cur_state,
                                    MIGRATION_STATUS_POSTCOPY_ACTIVE);
        /* The downtime QEMU reports leaves the pause out. */
        ms->downtime_start = now_ms();
    }
    if (ret >= 0) {
        ret = migration_write_staged(ms, postcopy_handover_locked);
    }
    if (ret < 0) {
        goto fail;
    }
    qemu_file_set_rate_limit(ms->to_dst_file,
                             bandwidth ? bandwidth / XFER_LIMIT_RATIO :
                                         INT64_MAX);
    postcopy_ram_ping(ms->to_dst_file, 2);
    fb = qemu_file_new_buffer_output();
    qemu_mutex_lock_iothread();
    ret = postcopy_package_locked(ms, fb);
    qemu_mutex_unlock_iothread();
    if (ret < 0) {
        goto fail;
    }
    ret = qemu_file_get_error(ms->to_dst_file);
    if (ret) {
        error_report("postcopy_start: Migration stream errored (pre package)");
        goto fail;
    }
    /* From here the destination may run: no more disk reactivation. */
    data = qemu_file_buffer_contents(fb, &len);
    ms->postcopy_after_devices = true;
    if (qemu_savevm_send_packaged(ms->to_dst_file, data, len)) {
        ret = -EINVAL;
        goto fail_after_package;
    }
    qemu_fclose(fb);
    ms->downtime = now_ms() - ms->downtime_start;
    postcopy_ram_ping(ms->to_dst_file, 4);
    /*
     * A stream error from here on is the main loop's, which pauses: the
     * destination may run already.  (QEMU 7.2 fails the migration if
     * the error comes before this point, a window migrate-pause can
     * hit.)
     */
    return 0;

fail:
    qemu_mutex_lock_iothread();
    migration_reactivate_disks(ms);
    qemu_mutex_unlock_iothread();
fail_after_package:
    if (fb) {
        qemu_fclose(fb);
    }
    if (qatomic_read(&ms->state) == cur_state) {
        migration_fail_reason(ms, ms->to_dst_file, "Postcopy failed to "
                              "start");
    }
    migrate_set_state(&ms->state, cur_state, MIGRATION_STATUS_FAILED);
    return -1;
}

static MigIterateState migration_iteration_run(MigrationState *s)
{
    uint64_t pre, compat, post, pending;
    bool in_postcopy = qatomic_read(&s->state) ==
                       MIGRATION_STATUS_POSTCOPY_ACTIVE;

    qemu_savevm_state_pending(s->to_dst_file, s->threshold_size, &pre,
                              &compat, &post);
    pending = pre + compat + post;
    trace_migrate_pending(pending, s->threshold_size, pre, compat, post);

    /* What is left fits in the allowed downtime: stop and finish. */
    if (pending == 0 || pending < s->threshold_size) {
        migration_completion(s);
        return MIG_ITERATE_BREAK;
    }
    /* Postcopy was asked for, and what must precede it fits: switch. */
    if (!in_postcopy && qatomic_read(&s->start_postcopy) &&
        pre <= s->threshold_size) {
        if (postcopy_start(s)) {
            error_report("migration_iteration_run: postcopy failed to start");
        }
        return MIG_ITERATE_SKIP;
    }
    if (qemu_savevm_state_iterate(s->to_dst_file, in_postcopy) > 0 &&
        !in_postcopy) {
        return MIG_ITERATE_IDLE;
    }
    return MIG_ITERATE_RESUME;
}

/*
 * Postcopy recovery, on the new channel of migrate resume=true: the
 * return path (postcopy-ram always has one), POSTCOPY_RESUME, and the
 * destination's RESUME_ACK, which takes us back to postcopy-active.
 * With no RAM there are no received-page bitmaps to ask for first.
 * False if the handshake failed: we pause again, as QEMU 7.2 does.
 */
static bool postcopy_do_resume(MigrationState *s)
{
    if (open_return_path_on_source(s)) {
        error_report("Unable to open return-path for postcopy");
        return false;
    }
    qemu_savevm_send_postcopy_resume(s->to_dst_file);
    qemu_fflush(s->to_dst_file);
    while (qatomic_read(&s->state) == MIGRATION_STATUS_POSTCOPY_RECOVER &&
           !s->rp_state.error && !qemu_file_get_error(s->to_dst_file)) {
        qemu_sem_wait(&s->rp_state.rp_sem);
    }
    return qatomic_read(&s->state) == MIGRATION_STATUS_POSTCOPY_ACTIVE;
}

/* Release the broken channel and its return path. */
static void postcopy_release_channel(MigrationState *s)
{
    QEMUFile *file;

    WITH_QEMU_LOCK_GUARD(&s->qemu_file_lock) {
        file = s->to_dst_file;
        s->to_dst_file = NULL;
    }
    if (file) {
        qemu_file_shutdown(file);
        qemu_fclose(file);
    }
    close_return_path_on_source(s);
}

/*
 * migrate resume=true woke us: connect to the new URI.  A connect that
 * fails leaves the migration paused, said in the log, as QEMU does.
 */
static bool postcopy_reconnect(MigrationState *s)
{
    Error *local_err = NULL;
    g_autofree char *text = NULL;
    MigrationURI uri;
    QEMUFile *f = NULL;
    pid_t pid = 0;
    int fd;

    qatomic_set(&s->resume_requested, false);
    WITH_QEMU_LOCK_GUARD(&s->qemu_file_lock) {
        text = g_strdup(s->uri);
        fd = qatomic_xchg(&s->uri_fd, -1);
    }
    if (migration_uri_parse(text, &uri, &local_err)) {
        uri.fd = fd;
        f = migration_channel_connect_uri(&uri, s->cancel_fd, &pid,
                                          &local_err);
        migration_uri_free(&uri);
    } else if (fd >= 0) {
        close(fd);
    }
    if (!f) {
        if (qatomic_read(&s->state) != MIGRATION_STATUS_CANCELLING) {
            error_report_err(local_err);
        } else {
            error_free(local_err);
        }
        return false;
    }
    WITH_QEMU_LOCK_GUARD(&s->qemu_file_lock) {
        s->to_dst_file = f;
        s->exec_pid = pid;
    }
    migration_rate_limit_changed(s);
    migrate_set_state(&s->state, MIGRATION_STATUS_POSTCOPY_PAUSED,
                      MIGRATION_STATUS_POSTCOPY_RECOVER);
    return true;
}

/*
 * The channel broke in postcopy: the destination may already own the
 * disks and run, so nothing is rolled back.  As QEMU 7.2, release the
 * channel, go to postcopy-paused and wait there for migrate resume=true
 * (postcopy-ram only: the destination pauses too and takes a new
 * channel with migrate-recover).  Returns true once the migration goes
 * on in postcopy-active; false if migrate_cancel or quit ended it, and
 * the thread then ends as a postcopy cancel does.
 */
static bool postcopy_pause(MigrationState *s)
{
    int from = MIGRATION_STATUS_POSTCOPY_ACTIVE;

    for (;;) {
        postcopy_release_channel(s);
        /* Said before the event, so that whoever sees it finds the line. */
        error_report("Detected IO failure for postcopy. Migration paused.");
        migrate_set_state(&s->state, from, MIGRATION_STATUS_POSTCOPY_PAUSED);
        while (qatomic_read(&s->state) == MIGRATION_STATUS_POSTCOPY_PAUSED) {
            qemu_sem_wait(&s->postcopy_pause_sem);
            if (qatomic_read(&s->resume_requested) &&
                postcopy_reconnect(s)) {
                break;
            }
        }
        if (qatomic_read(&s->state) != MIGRATION_STATUS_POSTCOPY_RECOVER) {
            return false;
        }
        if (postcopy_do_resume(s)) {
            return true;
        }
        if (qatomic_read(&s->state) != MIGRATION_STATUS_POSTCOPY_RECOVER) {
            return false;   /* cancelled while it waited for RESUME_ACK */
        }
        from = MIGRATION_STATUS_POSTCOPY_RECOVER;
    }
}

/*
 * A stream error fails the migration (unless it is being cancelled);
 * in postcopy it pauses it.
 */
static bool migration_detect_error(MigrationState *s)
{
    Error *local_error = NULL;
    int state;
    int ret;

    ret = qemu_file_get_error_obj(s->to_dst_file, &local_error);
    if (!ret) {
        return false;
    }
    state = qatomic_read(&s->state);
    if (state == MIGRATION_STATUS_CANCELLING) {
        /* The error is the cancel's shutdown(): not a failure. */
        error_free(local_error);
        return true;
    }
    if (local_error) {
        migrate_set_error(s, local_error);
    }
    error_free(local_error);
    if (state == MIGRATION_STATUS_POSTCOPY_ACTIVE) {
        /* Recovered: the loop goes on, on the new channel. */
        return !postcopy_pause(s);
    }
    migrate_set_state(&s->state, state, MIGRATION_STATUS_FAILED);
    return true;
}

/* After the thread: runstate, as QEMU's migration_iteration_finish(). */
static void migration_iteration_finish(MigrationState *s)
{
    qemu_mutex_lock_iothread();
    switch (qatomic_read(&s->state)) {
    case MIGRATION_STATUS_COMPLETED:
        s->total_time = now_ms() - s->start_time;
        if (!s->downtime) {
            s->downtime = now_ms() - s->downtime_start;
        }
        s->transferred = ram_counters.transferred;
        if (s->total_time - s->setup_time > 0) {
            s->mbps = ((double)s->bytes_transferred * 8.0) /
                      (s->total_time - s->setup_time) / 1000;
        }
        runstate_set(RUN_STATE_POSTMIGRATE);
        break;
    case MIGRATION_STATUS_FAILED:
    case MIGRATION_STATUS_CANCELLED:
    case MIGRATION_STATUS_CANCELLING:
        if (s->postcopy_after_devices) {
            /*
             * The destination may run the VM already: never resume it
             * here too.  Stay stopped, as QEMU does; the operator's
             * 'cont' takes the disks back if the destination is gone.
             */
            if (runstate_check(RUN_STATE_FINISH_MIGRATE)) {
                runstate_set(RUN_STATE_POSTMIGRATE);
            }
            break;
        }
        /* Not handed over: take the disks back. */
        migration_reactivate_disks(s);
        if (s->vm_was_running) {
            if (!runstate_check(RUN_STATE_SHUTDOWN)) {
                vm_start();
            }
        } else if (runstate_check(RUN_STATE_FINISH_MIGRATE)) {
            runstate_set(RUN_STATE_POSTMIGRATE);
        }
        break;
    default:
        error_report("%s: Unknown ending state %d", __func__, s->state);
        break;
    }
    qemu_mutex_unlock_iothread();
}

static void migrate_fd_cleanup(MigrationState *s);

static void migrate_fd_cleanup_bh(void *opaque)
{
    MigrationState *s = opaque;

    /*
     * A new migrate may have cleaned up the thread that scheduled us and
     * started another: never join a thread that is still running.
     */
    if (qatomic_read(&s->thread_finished)) {
        migrate_fd_cleanup(s);
    }
}

static void *migration_thread(void *opaque)
{
    MigrationState *s = opaque;
    Error *local_err = NULL;
    MigrationURI uri;
    QEMUFile *f;
    pid_t pid = 0;
    int64_t setup_start = now_ms();
    bool urgent = false;

    if (!migration_uri_parse(s->uri, &uri, &local_err)) {
        goto fail_setup;
    }
    if (!migrate_tls_check(&local_err)) {
        migration_uri_free(&uri);
        goto fail_setup;
    }
    uri.fd = qatomic_xchg(&s->uri_fd, -1);
    f = migration_channel_connect_uri(&uri, s->cancel_fd, &pid, &local_err);
    if (!f) {
        migration_uri_free(&uri);
        goto fail_setup;
    }
    WITH_QEMU_LOCK_GUARD(&s->qemu_file_lock) {
        s->to_dst_file = f;
        s->exec_pid = pid;
    }
    if (!multifd_send_setup(&uri, s->cancel_fd, &local_err)) {
        migration_uri_free(&uri);
        goto fail_setup;
    }
    migration_uri_free(&uri);
    if (qatomic_read(&s->state) != MIGRATION_STATUS_SETUP) {
        goto finish;
    }
    migration_rate_limit_changed(s);

    if (migrate_postcopy_ram() || migrate_use_return_path()) {
        if (open_return_path_on_source(s)) {
            error_setg(&local_err, "Unable to open return-path for postcopy");
            goto fail_setup;
        }
    }
    qemu_savevm_state_header(f);
    if (s->rp_state.rp_thread_created) {
        qemu_savevm_send_open_return_path(f);
        qemu_savevm_send_ping(f, 1);
    }
    if (migrate_postcopy()) {
        /* Tell the destination we might do postcopy later. */
        qemu_savevm_send_postcopy_advise(f);
    }
    qemu_savevm_state_setup(f);
    qemu_fflush(f);
    s->setup_time = now_ms() - setup_start;
    migrate_set_state(&s->state, MIGRATION_STATUS_SETUP,
                      MIGRATION_STATUS_ACTIVE);
    s->iteration_start_time = now_ms();
    s->iteration_initial_bytes = qemu_file_total_transferred(f);
    s->window_measured = false;

    while (migration_is_active(s)) {
        /*
         * Within the rate limit (or woken early), one iteration.  Read
         * the channel from s, not f: a postcopy recovery replaces it.
         */
        MigIterateState it = MIG_ITERATE_RESUME;

        if (urgent || !qemu_file_rate_limit(s->to_dst_file)) {
            it = migration_iteration_run(s);
        }
        if (it == MIG_ITERATE_BREAK) {
            break;
        }
        /* Skipped, or idle and woken by something to do: straight on. */
        if (it == MIG_ITERATE_SKIP ||
            (it == MIG_ITERATE_IDLE && migration_idle(s))) {
            continue;
        }
        if (migration_detect_error(s)) {
            break;
        }
        migration_update_counters(s, now_ms());
        urgent = migration_rate_limit(s);
    }
    goto finish;

fail_setup:
    /* A connect that a cancel cut short is no failure to report. */
    if (local_err && qatomic_read(&s->state) != MIGRATION_STATUS_CANCELLING) {
        migrate_set_error(s, local_err);
    }
    error_free(local_err);
    migrate_set_state(&s->state, MIGRATION_STATUS_SETUP,
                      MIGRATION_STATUS_FAILED);
finish:
    migration_iteration_finish(s);
    qatomic_set(&s->thread_finished, true);
    qemu_bh_schedule_oneshot(migrate_fd_cleanup_bh, s);
    return NULL;
}

/* Join the thread and release the stream; main loop, BQL held. */
static void migrate_fd_cleanup(MigrationState *s)
{
    QEMUFile *tmp;

    if (!s->thread_created) {
        return;
    }
    qemu_mutex_unlock_iothread();
    qemu_thread_join(&s->thread);
    close_return_path_on_source(s);
    qemu_mutex_lock_iothread();
    s->thread_created = false;

    qemu_savevm_state_cleanup();
    if (!s->block_inactive &&
        qatomic_read(&s->state) != MIGRATION_STATUS_COMPLETED) {
        /*
         * The disks stayed ours: the persistent bitmaps the dirty-bitmap
         * module kept from being stored are stored again (QEMU 7.2 loses
         * them at the next close).
         */
        bdrv_skip_store_none();
    }
    WITH_QEMU_LOCK_GUARD(&s->qemu_file_lock) {
        tmp = s->to_dst_file;
        s->to_dst_file = NULL;
    }
    if (tmp) {
        qemu_fclose(tmp);
    }
    multifd_send_cleanup();
    if (qatomic_read(&s->state) == MIGRATION_STATUS_CANCELLING) {
        migrate_set_state(&s->state, MIGRATION_STATUS_CANCELLING,
                          MIGRATION_STATUS_CANCELLED);
    }
    if (s->error) {
        /* Kept for query-migrate's error-desc. */
        error_report_err(error_copy(s->error));
    }
    g_free(s->uri);
    s->uri = NULL;
}

static void migrate_fd_cancel(MigrationState *s)
{
    int old_state;

    do {
        old_state = qatomic_read(&s->state);
        if (!migration_is_running(old_state)) {
            break;
        }
        migrate_set_state(&s->state, old_state, MIGRATION_STATUS_CANCELLING);
    } while (qatomic_read(&s->state) != MIGRATION_STATUS_CANCELLING);

    if (qatomic_read(&s->state) == MIGRATION_STATUS_CANCELLING) {
        /* Unblock a thread stuck in send, connect or a rate-limit sleep. */
        WITH_QEMU_LOCK_GUARD(&s->qemu_file_lock) {
            if (s->to_dst_file) {
                qemu_file_shutdown(s->to_dst_file);
            }
        }
        if (s->rp_state.from_dst_file) {
            qemu_file_shutdown(s->rp_state.from_dst_file);
        }
        multifd_send_shutdown();
        qemu_sem_post(&rate_limit_sem);
        /* Kick a paused postcopy, or a pre-switchover, out of its wait. */
        qemu_sem_post(&s->postcopy_pause_sem);
        qemu_sem_post(&s->pause_sem);
        qemu_sem_post(&s->rp_state.rp_sem);
        /* And a connect still waiting for its peer. */
        eventfd_write(s->cancel_fd, 1);
    }
}

/* Why no outgoing migration may start now, in QEMU's words, or NULL. */
static const char *migrate_start_refusal(MigrationState *s, bool resume)
{
    if (resume) {
        if (qatomic_read(&s->state) != MIGRATION_STATUS_POSTCOPY_PAUSED) {
            return "Cannot resume if there is no paused migration";
        }
        /*
         * Only a postcopy-ram destination pauses and answers the resume;
         * QEMU 7.2 would accept and wait in postcopy-recover for good.
         */
        if (!migrate_postcopy_ram()) {
            return "Postcopy recovery needs the postcopy-ram capability";
        }
        return NULL;
    }
    if (migration_is_running(qatomic_read(&s->state))) {
        return QERR_MIGRATION_ACTIVE;
    }
    switch (runstate_get()) {
    case RUN_STATE_INMIGRATE:
        return "Guest is waiting for an incoming migration";
    case RUN_STATE_POSTMIGRATE:
        return "Can't migrate the vm that was paused due to previous "
               "migration";
    default:
        return NULL;
    }
}

static bool migrate_prepare(MigrationState *s, bool blk, bool blk_inc,
                            bool resume, Error **errp)
{
    const char *refusal = migrate_start_refusal(s, resume);

    if (refusal) {
        error_setg(errp, "%s", refusal);
        return false;
    }
    if (resume) {
        return true;    /* the paused migration goes on as it is */
    }
    if (blk || blk_inc) {
        error_setg(errp, "QEMU compiled without old-style (blk/-b, inc/-i) "
                   "block migration");
        error_append_hint(errp, "Use drive_mirror+NBD instead.\n");
        return false;
    }
    /* A finished thread whose cleanup BH has not run yet. */
    migrate_fd_cleanup(s);

    /* migrate_init() */
    while (qemu_sem_timedwait(&s->pause_sem, 0) == 0) {
        /* a wake-up left over from an earlier cancel */
    }
    eventfd_read(s->cancel_fd, &(eventfd_t){0});
    error_free(s->error);
    s->error = NULL;
    s->start_postcopy = false;
    s->vm_was_running = false;
    s->block_inactive = false;
    s->postcopy_after_devices = false;
    s->total_time = 0;
    s->setup_time = 0;
    s->downtime = 0;
    s->downtime_start = 0;
    s->expected_downtime = s->parameters.downtime_limit;
    s->threshold_size = 0;
    s->mbps = 0.0;
    s->bytes_transferred = 0;
    s->transferred = 0;
    s->rp_state.error = false;
    s->rp_state.shut_received = false;
    ram_counters_reset();
    qatomic_set(&s->state, MIGRATION_STATUS_NONE);
    migrate_set_state(&s->state, MIGRATION_STATUS_NONE,
                      MIGRATION_STATUS_SETUP);
    s->start_time = now_ms();
    return true;
}

/*
 * Parse the URI of an outgoing migration: an unknown scheme gets QEMU's
 * "Parameter 'uri' expects a valid migration protocol", a bad address
 * (tcp:, unix:) the socket layer's message naming it.
 */
static bool migrate_uri_parse(const char *uri, MigrationURI *parsed,
                              Error **errp)
{
    Error *local_err = NULL;

    if (migration_uri_parse(uri, parsed, &local_err)) {
        return true;
    }
    if (parsed->kind != MIGRATION_URI_UNKNOWN) {
        error_propagate(errp, local_err);
        return false;
    }
    error_free(local_err);
    error_setg(errp, QERR_INVALID_PARAMETER_VALUE, "uri",
               "a valid migration protocol");
    return false;
}

/*
 * migrate resume=true: hand the new URI to the paused migration thread,
 * which connects (a failure leaves it paused) and recovers.
 */
static void migrate_resume(MigrationState *s, const char *uri, Error **errp)
{
    MigrationURI parsed;

    if (!migrate_uri_parse(uri, &parsed, errp)) {
        return;
    }
    if (!migration_uri_resolve_fd(&parsed, false, errp)) {
        migration_uri_free(&parsed);
        return;
    }
    /* The thread may be connecting for an earlier resume. */
    WITH_QEMU_LOCK_GUARD(&s->qemu_file_lock) {
        g_free(s->uri);
        s->uri = g_strdup(uri);
        parsed.fd = qatomic_xchg(&s->uri_fd, parsed.fd);
    }
    migration_uri_free(&parsed);    /* an fd: of an unused resume */
    qatomic_set(&s->resume_requested, true);
    qemu_sem_post(&s->postcopy_pause_sem);
}

void qmp_migrate(const char *uri, bool has_blk, bool blk,
                 bool has_inc, bool inc, bool has_detach, bool detach,
                 bool has_resume, bool resume, Error **errp)
{
    MigrationState *s = migrate_get_current();
    Error *local_err = NULL;
    MigrationURI parsed;

    if (!migrate_prepare(s, has_blk && blk, has_inc && inc,
                         has_resume && resume, errp)) {
        return;
    }
    if (has_resume && resume) {
        migrate_resume(s, uri, errp);
        return;
    }
    if (!migrate_uri_parse(uri, &parsed, &local_err)) {
        if (parsed.kind != MIGRATION_URI_UNKNOWN) {
            /* as QEMU: query-migrate names a bad address, not a scheme */
            migrate_set_error(s, local_err);
        }
        error_propagate(errp, local_err);
        migrate_set_state(&s->state, MIGRATION_STATUS_SETUP,
                          MIGRATION_STATUS_FAILED);
        return;
    }
    if (!migration_uri_resolve_fd(&parsed, false, &local_err)) {
        /* Failed at once, as QEMU: query-migrate says why. */
        migrate_set_error(s, local_err);
        error_propagate(errp, local_err);
        migrate_set_state(&s->state, MIGRATION_STATUS_SETUP,
                          MIGRATION_STATUS_FAILED);
        migration_uri_free(&parsed);
        return;
    }
    /* The thread takes the descriptor over. */
    s->uri_fd = parsed.fd;
    parsed.fd = -1;
    migration_uri_free(&parsed);
    s->uri = g_strdup(uri);
    s->thread_created = true;
    qatomic_set(&s->thread_finished, false);
    qemu_thread_create(&s->thread, "live_migration", migration_thread, s,
                       QEMU_THREAD_JOINABLE);
}

void qmp_migrate_start_postcopy(Error **errp)
{
    MigrationState *s = migrate_get_current();
    const char *refusal = NULL;

    /* Either capability makes the source send POSTCOPY_ADVISE. */
    if (!migrate_postcopy()) {
        refusal = "Enable postcopy with migrate_set_capability before the "
                  "start of migration";
    } else if (qatomic_read(&s->state) == MIGRATION_STATUS_NONE) {
        refusal = "Postcopy must be started after migration has been "
                  "started";
    }
    if (refusal) {
        error_setg(errp, "%s", refusal);
        return;
    }
    /* Not an error after the end: that would race with completion. */
    qatomic_set(&s->start_postcopy, true);
    qemu_sem_post(&rate_limit_sem);
}

void qmp_migrate_continue(MigrationStatus state, Error **errp)
{
    MigrationState *s = migrate_get_current();
    int now = qatomic_read(&s->state);

    if (now != state) {
        error_setg(errp, "Migration not in expected state: %s",
                   MigrationStatus_str(now));
        return;
    }
    qemu_sem_post(&s->pause_sem);
}

void qmp_migrate_pause(Error **errp)
{
    MigrationState *s = migrate_get_current();
    MigrationIncomingState *mis = migration_incoming_get_current();
    int ret = -ENOTCONN;

    if (qatomic_read(&s->state) == MIGRATION_STATUS_POSTCOPY_ACTIVE) {
        WITH_QEMU_LOCK_GUARD(&s->qemu_file_lock) {
            if (s->to_dst_file) {
                ret = qemu_file_shutdown(s->to_dst_file);
            }
        }
        if (ret) {
            error_setg(errp, "Failed to pause source migration");
        }
        return;
    }
    if (qatomic_read(&mis->state) == MIGRATION_STATUS_POSTCOPY_ACTIVE) {
        if (mis->from_src_file) {
            ret = qemu_file_shutdown(mis->from_src_file);
        }
        if (ret) {
            error_setg(errp, "Failed to pause destination migration");
        }
        return;
    }
    error_setg(errp, "migrate-pause is currently only supported during "
               "postcopy-active state");
}

void qmp_migrate_cancel(Error **errp)
{
    migrate_fd_cancel(migrate_get_current());
}

static void migration_incoming_shutdown(MigrationIncomingState *mis);

void migration_shutdown(void)
{
    MigrationState *s = current_migration;

    if (!s) {
        return;
    }
    migrate_fd_cancel(s);
    if (s->thread_created) {
        migrate_fd_cleanup(s);
    }
    dirty_bitmap_mig_cancel_outgoing();
    /* The loaders first: they hold the module's lock while they read. */
    migration_incoming_shutdown(current_incoming);
    dirty_bitmap_mig_cancel_incoming();
}

void migration_thread_join_locked(QemuThread *thread, bool *joinable)
{
    if (!*joinable) {
        return;
    }
    *joinable = false;
    qemu_mutex_unlock_iothread();
    qemu_thread_join(thread);
    qemu_mutex_lock_iothread();
}

/* Incoming migration */

MigrationIncomingState *migration_incoming_get_current(void)
{
    assert(current_incoming);
    return current_incoming;
}

/* Stop listening, and forget the address query-migrate showed. */
static void incoming_transport_cleanup(MigrationIncomingState *mis)
{
    if (mis->listen_fd >= 0) {
        qemu_set_fd_handler(mis->listen_fd, NULL, NULL, NULL);
        migration_channel_listen_close(mis->listen_fd);
        mis->listen_fd = -1;
    }
    qapi_free_SocketAddressList(mis->socket_address_list);
    mis->socket_address_list = NULL;
}

void migration_incoming_state_destroy(void)
{
    MigrationIncomingState *mis = migration_incoming_get_current();

    if (mis->to_src_file) {
        /* Tell the source that we are done */
        migrate_send_rp_shut(mis, mis->from_src_file &&
                             qemu_file_get_error(mis->from_src_file) != 0);
        qemu_fclose(mis->to_src_file);
        mis->to_src_file = NULL;
    }
    if (mis->from_src_file) {
        qemu_fclose(mis->from_src_file);
        mis->from_src_file = NULL;
    }
    multifd_recv_cleanup();
    mis->multifd_channels_pending = false;
    incoming_transport_cleanup(mis);
}

/*
 * quit or SIGTERM during an incoming migration.  As in QEMU 7.2 the
 * migration just ends with the process: no 'failed' event after
 * SHUTDOWN, no error message.  But first the threads that read the
 * stream are woken (shutdown of the channel) and joined, so that none
 * loads, or holds the dirty-bitmap module's lock, while the bitmaps are
 * cancelled and the block layer closes.  Called with the BQL held.
 */
static void migration_incoming_shutdown(MigrationIncomingState *mis)
{
    qatomic_set(&mis->quitting, true);
    if (mis->from_src_file) {
        qemu_file_shutdown(mis->from_src_file);
    }
    multifd_recv_shutdown();
    /* A listen thread paused for migrate-recover waits no longer. */
    qemu_sem_post(&mis->postcopy_pause_sem_dst);
    migration_thread_join_locked(&mis->incoming_thread,
                                 &mis->have_incoming_thread);
    postcopy_listen_thread_quit(mis);
}

/* Runstates the 7.2 table allows from inmigrate. */
static bool incoming_runstate_valid(RunState state)
{
    switch (state) {
    case RUN_STATE_INMIGRATE:
    case RUN_STATE_INTERNAL_ERROR:
    case RUN_STATE_IO_ERROR:
    case RUN_STATE_PAUSED:
    case RUN_STATE_RUNNING:
    case RUN_STATE_SHUTDOWN:
    case RUN_STATE_SUSPENDED:
    case RUN_STATE_WATCHDOG:
    case RUN_STATE_GUEST_PANICKED:
    case RUN_STATE_FINISH_MIGRATE:
    case RUN_STATE_PRELAUNCH:
    case RUN_STATE_POSTMIGRATE:
    case RUN_STATE_COLO:
        return true;
    default:
        return false;
    }
}

static void process_incoming_migration_bh(void *opaque)
{
    MigrationIncomingState *mis = opaque;
    Error *local_err = NULL;
    bool run = !global_state_received() ||
               global_state_get_runstate() == RUN_STATE_RUNNING;

    if (mis->quitting) {
        return;
    }
    /* Its last act was to schedule us. */
    migration_thread_join_locked(&mis->incoming_thread,
                                 &mis->have_incoming_thread);
    if (!migrate_late_block_activate() || (autostart && run)) {
        /* Make the images ours before anything may write. */
        bdrv_activate_all(&local_err);
        if (local_err) {
            error_report_err(local_err);
            local_err = NULL;
            autostart = false;
        }
    }
    dirty_bitmap_mig_before_vm_start();
    if (run) {
        if (autostart) {
            vm_start();
        } else {
            runstate_set(RUN_STATE_PAUSED);
        }
    } else if (incoming_runstate_valid(global_state_get_runstate())) {
        runstate_set(global_state_get_runstate());
    } else {
        error_report("invalid runstate transition: '%s' -> '%s'",
                     RunState_str(runstate_get()),
                     RunState_str(global_state_get_runstate()));
        migrate_set_state(&mis->state, MIGRATION_STATUS_ACTIVE,
                          MIGRATION_STATUS_FAILED);
        exit(EXIT_FAILURE);
    }
    migrate_set_state(&mis->state, MIGRATION_STATUS_ACTIVE,
                      MIGRATION_STATUS_COMPLETED);
    migration_incoming_state_destroy();
}

/*
 * The destination's fatal error path: report why, once, keep it for
 * query-migrate's error-desc, and exit with status 1 as QEMU does;
 * unless the process is quitting, which is what broke the stream.
 */
/* What the dirty-bitmap module offers beyond QEMU 7.2 (none: NULL). */
static const DirtyBitmapMigExt *dbm_ext;

void dirty_bitmap_mig_ext_register(const DirtyBitmapMigExt *ext)
{
    dbm_ext = ext;
}

/*
 * x-dirty-bitmaps, minivmm's: the figures of the side whose status
 * query-migrate shows (the source's once this process migrated out).
 */
static void fill_dirty_bitmaps_info(MigrationInfo *info)
{
    bool incoming = qatomic_read(&migrate_get_current()->state) ==
                    MIGRATION_STATUS_NONE;

    if (dbm_ext) {
        info->x_dirty_bitmaps = dbm_ext->query(incoming);
        info->has_x_dirty_bitmaps = info->x_dirty_bitmaps != NULL;
    }
}

/*
 * The incoming stream is over for good: bitmaps still loading will not
 * complete.  Returns whether the migration may complete, as far as the
 * dirty bitmaps go (x-dirty-bitmaps-strict).  BQL held.
 */
static bool incoming_bitmaps_end(Error **errp)
{
    return !dbm_ext || dbm_ext->incoming_end(errp);
}

static void incoming_fail(MigrationIncomingState *mis, int ret, Error *err)
{
    qemu_mutex_lock_iothread();
    if (mis->quitting) {
        qemu_mutex_unlock_iothread();
        error_free(err);
        return;
    }
    error_report_err(error_copy(err));
    error_report("load of migration failed: %s", strerror(-ret));
    mis->error = err;
    migrate_set_state(&mis->state, qatomic_read(&mis->state),
                      MIGRATION_STATUS_FAILED);
    exit(EXIT_FAILURE);
}

static void *process_incoming_migration_thread(void *opaque)
{
    MigrationIncomingState *mis = opaque;
    Error *local_err = NULL;
    PostcopyState ps;
    int ret;

    ret = qemu_loadvm_state(mis->from_src_file, &local_err);
    ps = postcopy_state_get();
    if (ps != POSTCOPY_INCOMING_NONE && ps != POSTCOPY_INCOMING_ADVISE &&
        ret >= 0) {
        /* The listen thread finishes the job. */
        return NULL;
    }
    if (ret >= 0) {
        bool ok;

        qemu_mutex_lock_iothread();
        ok = incoming_bitmaps_end(&local_err);
        qemu_mutex_unlock_iothread();
        if (!ok) {
            ret = -EINVAL;
        }
    }
    if (ret < 0) {
        incoming_fail(mis, ret, local_err);
        return NULL;
    }
    qemu_bh_schedule_oneshot(process_incoming_migration_bh, mis);
    return NULL;
}

bool migration_incoming_postcopy_pause(MigrationIncomingState *mis,
                                       Error **errp)
{
    QEMUFile *from, *to;

    if (!migrate_postcopy_ram() ||
        postcopy_state_get() != POSTCOPY_INCOMING_RUNNING) {
        return false;
    }
    qemu_mutex_lock_iothread();
    if (mis->quitting) {
        /* What broke the stream: end quietly (postcopy_listen_failed). */
        qemu_mutex_unlock_iothread();
        return false;
    }
    error_report_err(*errp);
    *errp = NULL;
    from = mis->from_src_file;
    mis->from_src_file = NULL;
    WITH_QEMU_LOCK_GUARD(&mis->rp_mutex) {
        to = mis->to_src_file;
        mis->to_src_file = NULL;
    }
    mis->recover_triggered = false;
    error_report("Detected IO failure for postcopy. Migration paused.");
    migrate_set_state(&mis->state, MIGRATION_STATUS_POSTCOPY_ACTIVE,
                      MIGRATION_STATUS_POSTCOPY_PAUSED);
    qemu_mutex_unlock_iothread();
    if (to) {
        qemu_fclose(to);
    }
    if (from) {
        qemu_fclose(from);
    }
    while (qatomic_read(&mis->state) == MIGRATION_STATUS_POSTCOPY_PAUSED &&
           !qatomic_read(&mis->quitting)) {
        qemu_sem_wait(&mis->postcopy_pause_sem_dst);
    }
    return !qatomic_read(&mis->quitting) &&
           qatomic_read(&mis->state) == MIGRATION_STATUS_POSTCOPY_RECOVER;
}

void migration_incoming_postcopy_finish(MigrationIncomingState *mis)
{
    Error *err = NULL;

    qemu_mutex_lock_iothread();
    if (mis->quitting) {
        qemu_mutex_unlock_iothread();
        return;
    }
    /* It ended after the package, once it had handed us the stream. */
    migration_thread_join_locked(&mis->incoming_thread,
                                 &mis->have_incoming_thread);
    if (!incoming_bitmaps_end(&err)) {
        /*
         * x-dirty-bitmaps-strict: the migration fails, though the VM
         * runs here already (it has all of its state); the source hears
         * of it with the return path.
         */
        error_report_err(error_copy(err));
        mis->error = err;
        if (mis->from_src_file) {
            qemu_file_set_error(mis->from_src_file, -EINVAL);
        }
        migrate_set_state(&mis->state, MIGRATION_STATUS_POSTCOPY_ACTIVE,
                          MIGRATION_STATUS_FAILED);
    } else {
        migrate_set_state(&mis->state, MIGRATION_STATUS_POSTCOPY_ACTIVE,
                          MIGRATION_STATUS_COMPLETED);
    }
    migration_incoming_state_destroy();
    qemu_loadvm_state_cleanup();
    mis->have_listen_thread = false;
    qemu_mutex_unlock_iothread();
}

static void migration_incoming_process(MigrationIncomingState *mis,
                                       QEMUFile *f)
{
    Error *local_err = NULL;

    /* As QEMU 7.2: the channel is dropped, the destination waits on. */
    if (!migrate_tls_check(&local_err)) {
        error_report_err(local_err);
        qemu_fclose(f);
        return;
    }
    if (qatomic_read(&mis->state) == MIGRATION_STATUS_POSTCOPY_PAUSED) {
        /* migrate-recover's channel: the paused listen thread reads on. */
        mis->from_src_file = f;
        WITH_QEMU_LOCK_GUARD(&mis->rp_mutex) {
            mis->to_src_file = qemu_file_get_return_path(f);
        }
        migrate_set_state(&mis->state, MIGRATION_STATUS_POSTCOPY_PAUSED,
                          MIGRATION_STATUS_POSTCOPY_RECOVER);
        qemu_sem_post(&mis->postcopy_pause_sem_dst);
        return;
    }
    if (migrate_use_multifd() && mis->listen_fd < 0) {
        /* As QEMU 7.2 again; exec:, fd: and file: carry no channels. */
        error_report("multifd is not supported by current protocol");
        qemu_fclose(f);
        return;
    }
    mis->from_src_file = f;
    /* With multifd its channels follow, on the same listening socket. */
    mis->multifd_channels_pending = multifd_recv_setup(mis->listen_fd);
    migrate_set_state(&mis->state, MIGRATION_STATUS_NONE,
                      MIGRATION_STATUS_ACTIVE);
    qemu_thread_create(&mis->incoming_thread, "mig/dst/main",
                       process_incoming_migration_thread, mis,
                       QEMU_THREAD_JOINABLE);
    mis->have_incoming_thread = true;
}

static void socket_accept_incoming_migration(void *opaque)
{
    MigrationIncomingState *mis = opaque;
    Error *local_err = NULL;
    QEMUFile *f;

    f = migration_channel_accept(mis->listen_fd, &local_err);
    if (!f) {
        error_report_err(local_err);
        return;
    }
    if (mis->multifd_channels_pending) {
        mis->multifd_channels_pending = !multifd_recv_new_channel(f);
    } else {
        /* The main channel: as in QEMU 7.2, the first to connect. */
        migration_incoming_process(mis, f);
    }
    if (!mis->multifd_channels_pending && mis->listen_fd >= 0) {
        qemu_set_fd_handler(mis->listen_fd, NULL, NULL, NULL);
        migration_channel_listen_close(mis->listen_fd);
        mis->listen_fd = -1;
    }
}

/* exec: and file: start once the first bytes are there, as QEMU does. */
static QEMUFile *incoming_pending_file;

static void file_incoming_readable(void *opaque)
{
    MigrationIncomingState *mis = opaque;
    QEMUFile *f = incoming_pending_file;

    qemu_set_fd_handler(qemu_file_get_fd(f), NULL, NULL, NULL);
    incoming_pending_file = NULL;
    migration_incoming_process(mis, f);
}

static void qemu_start_incoming_migration(const char *uri, Error **errp)
{
    MigrationIncomingState *mis = migration_incoming_get_current();
    MigrationURI parsed;
    QEMUFile *f;
    pid_t pid;
    bool ok;

    /* QEMU 7.2 sends this one whether or not 'events' is on. */
    qapi_event_send_migration(MIGRATION_STATUS_SETUP);
    if (!migration_uri_parse(uri, &parsed, errp)) {
        return;
    }
    if (!migration_uri_resolve_fd(&parsed, true, errp)) {
        migration_uri_free(&parsed);
        return;
    }
    ok = migration_channel_listen_uri(&parsed, &mis->listen_fd, &f, &pid,
                                      &mis->socket_address_list, errp);
    migration_uri_free(&parsed);
    if (!ok) {
        return;
    }
    mis->exec_pid = pid;
    if (f) {
        incoming_pending_file = f;
        qemu_set_fd_handler(qemu_file_get_fd(f), file_incoming_readable,
                            NULL, mis);
    } else {
        qemu_set_fd_handler(mis->listen_fd, socket_accept_incoming_migration,
                            NULL, mis);
    }
}

void qmp_migrate_incoming(const char *uri, Error **errp)
{
    MigrationIncomingState *mis = migration_incoming_get_current();
    Error *local_err = NULL;

    if (mis->started) {
        error_setg(errp, "The incoming migration has already been started");
        return;
    }
    if (!runstate_check(RUN_STATE_INMIGRATE)) {
        error_setg(errp, "'-incoming' was not specified on the command line");
        return;
    }
    qemu_start_incoming_migration(uri, &local_err);
    if (local_err) {
        error_propagate(errp, local_err);
        return;
    }
    mis->started = true;
}

void qmp_migrate_recover(const char *uri, Error **errp)
{
    MigrationIncomingState *mis = migration_incoming_get_current();
    Error *local_err = NULL;

    if (qatomic_read(&mis->state) != MIGRATION_STATUS_POSTCOPY_PAUSED) {
        error_setg(errp, "Migrate recover can only be run when postcopy is "
                   "paused.");
        return;
    }
    if (mis->recover_triggered) {
        error_setg(errp, "Migrate recovery is triggered already");
        return;
    }
    incoming_transport_cleanup(mis);
    qemu_start_incoming_migration(uri, &local_err);
    if (local_err) {
        error_propagate(errp, local_err);
        return;
    }
    mis->recover_triggered = true;
}

/* query-migrate */

static void populate_time_info(MigrationInfo *info, MigrationState *s)
{
    info->has_status = true;
    info->has_setup_time = true;
    info->setup_time = s->setup_time;
    info->has_total_time = true;
    if (s->state == MIGRATION_STATUS_COMPLETED) {
        info->total_time = s->total_time;
        info->has_downtime = true;
        info->downtime = s->downtime;
    } else {
        info->total_time = now_ms() - s->start_time;
        info->has_expected_downtime = true;
        info->expected_downtime = s->expected_downtime;
    }
}

/*
 * The 'ram' statistics.  There is no guest RAM: page counts, rates and
 * what remains stay 0; the bytes are those of the (empty) ram section.
 */
static void populate_ram_info(MigrationInfo *info, MigrationState *s)
{
    MigrationStats *ram = g_new0(MigrationStats, 1);

    ram->transferred = ram_counters.transferred;
    ram->precopy_bytes = ram_counters.precopy_bytes;
    ram->downtime_bytes = ram_counters.downtime_bytes;
    ram->postcopy_bytes = ram_counters.postcopy_bytes;
    ram->dirty_sync_count = ram_counters.dirty_sync_count;
    ram->multifd_bytes = ram_counters.multifd_bytes;
    ram->mbps = s->mbps;
    ram->page_size = 4096;
    info->has_ram = true;
    info->ram = ram;
}

static void fill_source_migration_info(MigrationInfo *info)
{
    MigrationState *s = migrate_get_current();
    int state = qatomic_read(&s->state);

    if (state == MIGRATION_STATUS_NONE) {
        return;     /* no outgoing migration ever */
    }
    info->has_status = true;
    info->status = state;
    switch (state) {
    case MIGRATION_STATUS_FAILED:
        WITH_QEMU_LOCK_GUARD(&s->error_mutex) {
            info->has_error_desc = s->error != NULL;
            info->error_desc = s->error ?
                               g_strdup(error_get_pretty(s->error)) : NULL;
        }
        return;
    case MIGRATION_STATUS_SETUP:
    case MIGRATION_STATUS_CANCELLED:
    case MIGRATION_STATUS_COLO:
    case MIGRATION_STATUS_WAIT_UNPLUG:
        return;     /* just the status */
    default:
        /* Under way (or completed): times and 'ram' counters. */
        populate_time_info(info, s);
        populate_ram_info(info, s);
    }
}

static void fill_destination_migration_info(MigrationInfo *info)
{
    MigrationIncomingState *mis = migration_incoming_get_current();
    int state = qatomic_read(&mis->state);

    if (mis->socket_address_list) {
        info->has_socket_address = true;
        info->socket_address =
            QAPI_CLONE(SocketAddressList, mis->socket_address_list);
    }
    if (state == MIGRATION_STATUS_NONE) {
        return;
    }
    info->has_status = true;
    info->status = state;
    if (state == MIGRATION_STATUS_FAILED && mis->error) {
        info->has_error_desc = true;
        info->error_desc = g_strdup(error_get_pretty(mis->error));
    }
}

MigrationInfo *qmp_query_migrate(Error **errp)
{
    MigrationInfo *info = g_new0(MigrationInfo, 1);

    fill_destination_migration_info(info);
    fill_source_migration_info(info);
    fill_dirty_bitmaps_info(info);
    return info;
}
