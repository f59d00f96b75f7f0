/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SaveVMHandlers: live (iterative) migration sections, as QEMU 7.2. */
#ifndef MIGRATION_REGISTER_H
#define MIGRATION_REGISTER_H

/* QEMU keeps these two in qemu/typedefs.h. */
typedef void SaveStateHandler(QEMUFile *f, void *opaque);
typedef int LoadStateHandler(QEMUFile *f, void *opaque, int version_id);

/*
 * The callbacks of a live section, in the order a migration calls them.
 * Each may be NULL.  Members are named as in QEMU 7.2, whose modules
 * initialise them by name; their order here is ours.
 */
typedef struct SaveVMHandlers {
    /* Source: the START payload.  Migration thread, without the BQL. */
    int (*save_setup)(QEMUFile *f, void *opaque);
    /* Whether the section takes part at all; with or without the BQL. */
    bool (*is_active)(void *opaque);
    /*
     * Source: add what is left to send to the three sums: what must go
     * before switch-over (@res_precopy_only), what can only go in
     * postcopy (@res_postcopy_only), what can go either way.  Without
     * the BQL.
     */
    void (*save_live_pending)(QEMUFile *f, void *opaque,
                              uint64_t threshold_size,
                              uint64_t *res_precopy_only,
                              uint64_t *res_compatible,
                              uint64_t *res_postcopy_only);
    /*
     * Source: one PART payload, without the BQL (only data of the
     * migration or under the handler's own locks).  Returns <0 on
     * error, 0 while more remains, 1 once everything is sent.
     */
    int (*save_live_iterate)(QEMUFile *f, void *opaque);
    /* When set and false, iteration passes this section by. */
    bool (*is_active_iterate)(void *opaque);
    /* Whether the section may go on after the VM stopped (postcopy). */
    bool (*has_postcopy)(void *opaque);
    /* Source, VM stopped: the END payload of a precopy migration. */
    int (*save_live_complete_precopy)(QEMUFile *f, void *opaque);
    /* Source, after postcopy's bulk: the END payload. */
    int (*save_live_complete_postcopy)(QEMUFile *f, void *opaque);
    /* Source: state that is not live, in a FULL element.  BQL held. */
    SaveStateHandler *save_state;
    /* Source: the migration is over, however it ended.  BQL held. */
    void (*save_cleanup)(void *opaque);

    /* Destination: before the first element of a stream. */
    int (*load_setup)(QEMUFile *f, void *opaque);
    /* Destination: one payload (START/PART/END/FULL) of @version_id. */
    LoadStateHandler *load_state;
    /* Destination: the load is over. */
    int (*load_cleanup)(void *opaque);

    /* Postcopy recovery, which minivmm never does. */
    int (*resume_prepare)(MigrationState *s, void *opaque);
} SaveVMHandlers;

/**
 * register_savevm_live: register a live section @idstr/@instance_id with
 * the local version @version_id.  Section ids are allocated in registration
 * order.  Returns 0.
 */
int register_savevm_live(const char *idstr, uint32_t instance_id,
                         int version_id, const SaveVMHandlers *ops,
                         void *opaque);

/* VMStateIf is a QOM interface in QEMU; minivmm passes NULL. */
#ifndef VMSTATE_IF_DEFINED
#define VMSTATE_IF_DEFINED
typedef struct VMStateIf VMStateIf;
#endif

/* Drop the live section @idstr registered with @opaque. */
void unregister_savevm(VMStateIf *obj, const char *idstr, void *opaque);

#endif /* MIGRATION_REGISTER_H */
