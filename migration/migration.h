/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Migration state machine: MigrationState, MigrationIncomingState (7.2). */
#ifndef QEMU_MIGRATION_H
#define QEMU_MIGRATION_H

#include "qemu/thread.h"
#include "qapi/qapi-types-migration.h"
#include "qapi/qapi-types-sockets.h"
#include "migration/misc.h"

/* Length of one rate-limit / bandwidth accounting window, in ms. */
#define BUFFER_DELAY     100
#define XFER_LIMIT_RATIO (1000 / BUFFER_DELAY)

/* Incoming postcopy progress (QEMU's migration/postcopy-ram.h). */
typedef enum {
    POSTCOPY_INCOMING_NONE = 0,  /* initial state */
    POSTCOPY_INCOMING_ADVISE,    /* POSTCOPY_ADVISE received */
    POSTCOPY_INCOMING_DISCARD,   /* RAM discards (unused here) */
    POSTCOPY_INCOMING_LISTENING, /* listen thread reads the stream */
    POSTCOPY_INCOMING_RUNNING,   /* destination VM started */
    POSTCOPY_INCOMING_END        /* cleaned up */
} PostcopyState;

PostcopyState postcopy_state_get(void);
/* Set the state, returning the previous one. */
PostcopyState postcopy_state_set(PostcopyState new_state);

/* State of the incoming (destination) side; one per process. */
struct MigrationIncomingState {
    QEMUFile *from_src_file;        /* the main stream */
    QEMUFile *to_src_file;          /* return path, once opened */
    QemuMutex rp_mutex;             /* serialises writes to to_src_file */
    QemuThread incoming_thread;     /* reads the stream (QEMU: coroutine) */
    bool have_incoming_thread;      /* created, not joined yet (BQL) */
    QemuThread listen_thread;       /* postcopy: reads after LISTEN */
    bool have_listen_thread;        /* it owns the rest of the stream */
    bool listen_thread_joinable;    /* created, not joined yet (BQL) */
    /*
     * quit or SIGTERM: the threads above end without a word, touching
     * no state, so that the main thread can join them and close down.
     * Set under the BQL; they look at it under the BQL.
     */
    bool quitting;
    /*
     * The listen thread is started at LISTEN, as in QEMU, but does not
     * read the main stream until RUN's bottom half has started the VM:
     * listen_held is true while it waits on listen_start_sem, listen_go
     * tells it whether to read (true) or to quit (false).
     */
    bool listen_held;
    bool listen_go;
    QemuSemaphore listen_start_sem;
    QemuSemaphore thread_sync_sem;  /* listen thread is postcopy-active */
    QemuSemaphore main_thread_load_sem; /* posted when the main load ends */
    int state;                      /* MigrationStatus */
    int listen_fd;                  /* listening socket, or -1 */
    bool multifd_channels_pending;  /* listening on for channels (BQL) */
    pid_t exec_pid;                 /* exec: child, or 0 */
    SocketAddressList *socket_address_list; /* for query-migrate */
    Error *error;                   /* why the load failed, or NULL */
    bool started;                   /* incoming already started once */
    QemuSemaphore postcopy_pause_sem_dst; /* wakes a paused listen thread */
    bool recover_triggered;         /* migrate-recover ran for this pause */
};

MigrationIncomingState *migration_incoming_get_current(void);
void migration_incoming_state_destroy(void);
/*
 * Join @thread if *@joinable, and clear it: whoever clears the flag
 * joins.  Called with the BQL held, which is released for the wait,
 * since the thread may need it to finish.
 */
void migration_thread_join_locked(QemuThread *thread, bool *joinable);
/* savevm.c: at quit, end a postcopy listen thread (held or reading). */
void postcopy_listen_thread_quit(MigrationIncomingState *mis);
/*
 * The postcopy stream broke with postcopy-ram (listen thread): release
 * it, report *@errp (and clear it), wait in postcopy-paused for
 * migrate-recover's new channel.  True when loading goes on from
 * mis->from_src_file; false, leaving *@errp, if there is no way to
 * recover (no postcopy-ram, not yet running, or the process quits).
 */
bool migration_incoming_postcopy_pause(MigrationIncomingState *mis,
                                       Error **errp);
/* End of a successful postcopy load (listen thread): completed. */
void migration_incoming_postcopy_finish(MigrationIncomingState *mis);
/* Send a return-path message (no-op without a return path). */
void migrate_send_rp_shut(MigrationIncomingState *mis, uint32_t value);
void migrate_send_rp_pong(MigrationIncomingState *mis, uint32_t value);
void migrate_send_rp_resume_ack(MigrationIncomingState *mis, uint32_t value);

/* State of the outgoing (source) side; one per process. */
struct MigrationState {
    QemuThread thread;             /* the migration thread */
    bool thread_created;           /* not joined yet */
    bool thread_finished;          /* it has ended; its cleanup may run */
    char *uri;                     /* URI of the running migration */
    int uri_fd;                    /* fd: its descriptor, until the thread
                                      takes it; else -1 */
    QEMUBH *cleanup_bh;            /* joins the thread on the main loop */
    QEMUFile *to_dst_file;         /* the outgoing stream */
    QemuMutex qemu_file_lock;      /* protects to_dst_file against cancel */
    pid_t exec_pid;                /* exec: child, or 0 */

    MigrationParameters parameters; /* every has_* set, see 7.2 */
    bool enabled_capabilities[MIGRATION_CAPABILITY__MAX];

    int state;                     /* MigrationStatus, atomic */

    struct {
        QEMUFile *from_dst_file;   /* return path */
        QemuThread rp_thread;
        bool rp_thread_created;
        bool error;                /* set by the rp thread on failure */
        bool shut_received;        /* destination sent SHUT 0 */
        QemuSemaphore rp_sem;      /* posted at RESUME_ACK or rp exit */
    } rp_state;

    int64_t start_time;            /* ms, realtime, when migrate ran */
    int64_t total_time;            /* ms, once finished */
    int64_t setup_time;            /* ms spent in setup */
    int64_t downtime;              /* ms the VM was stopped */
    int64_t downtime_start;        /* ms, realtime */
    int64_t expected_downtime;     /* ms */
    int64_t iteration_start_time;  /* ms, start of bandwidth window */
    uint64_t iteration_initial_bytes; /* transferred at window start */
    uint64_t threshold_size;       /* bytes sendable within downtime */
    bool window_measured;          /* a whole window set threshold_size */
    double mbps;                   /* last measured throughput */
    uint64_t dirty_sync_count;     /* passes (MIGRATION_PASS) */
    uint64_t transferred;          /* 'ram' bytes, at the end */
    uint64_t bytes_transferred;    /* stream bytes, at the end */

    bool start_postcopy;           /* migrate-start-postcopy issued */
    bool resume_requested;         /* migrate resume=true: s->uri is new */
    QemuSemaphore postcopy_pause_sem; /* wakes a postcopy-paused thread */
    QemuSemaphore pause_sem;       /* wakes a pre-switchover thread */
    int cancel_fd;                 /* eventfd, readable once cancelled */
    bool vm_was_running;           /* source ran when the VM stopped */
    bool block_inactive;           /* we inactivated block nodes */
    bool postcopy_after_devices;   /* package sent: dst may own the disks */

    /* Migration object properties, all on by default in 7.2. */
    bool send_configuration;
    bool send_section_footer;
    bool store_global_state;
    bool only_migratable;
    bool decompress_error_check;
    uint8_t clear_bitmap_shift;

    QemuMutex error_mutex;         /* protects error */
    Error *error;                  /* first failure, for error-desc */
};

MigrationState *migrate_get_current(void);
void migrate_set_state(int *state, int old_state, int new_state);
void migrate_set_error(MigrationState *s, const Error *error);

/* Capabilities, as QEMU 7.2 names its accessors. */
bool migrate_postcopy(void);
bool migrate_postcopy_ram(void);
bool migrate_dirty_bitmaps(void);
bool migrate_use_events(void);
bool migrate_use_multifd(void);
int migrate_multifd_channels(void);
bool migrate_use_return_path(void);
bool migrate_late_block_activate(void);
bool migrate_ignore_shared(void);
bool migrate_validate_uuid(void);
bool migrate_pause_before_switchover(void);
int64_t migrate_max_bandwidth(void);
/*
 * Whether a migration may use its channel: false (QEMU 7.2's error) when
 * tls-creds names credentials, which minivmm never has.  Any thread.
 */
bool migrate_tls_check(Error **errp);

bool migration_in_postcopy(void);
bool migration_has_all_channels(void);

/* migration/block-dirty-bitmap.c (the module) and its stubs. */
void dirty_bitmap_mig_before_vm_start(void);
void dirty_bitmap_mig_cancel_outgoing(void);
void dirty_bitmap_mig_cancel_incoming(void);
bool check_dirty_bitmap_mig_alias_map(const BitmapMigrationNodeAliasList *bbm,
                                      Error **errp);

#endif /* QEMU_MIGRATION_H */
