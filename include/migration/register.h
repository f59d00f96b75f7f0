/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SaveVMHandlers: live (iterative) migration sections, as QEMU 7.2. */
#ifndef MIGRATION_REGISTER_H
#define MIGRATION_REGISTER_H

/* QEMU keeps these two in qemu/typedefs.h. */
typedef void SaveStateHandler(QEMUFile *f, void *opaque);
typedef int LoadStateHandler(QEMUFile *f, void *opaque, int version_id);

typedef struct SaveVMHandlers {
    /* Non-iterative state, written in a FULL section.  BQL held. */
    SaveStateHandler *save_state;

    /* After the outgoing migration ends (success or not).  BQL held. */
    void (*save_cleanup)(void *opaque);
    /* Write the END section payload once in postcopy (VM stopped). */
    int (*save_live_complete_postcopy)(QEMUFile *f, void *opaque);
    /* Write the END section payload at precopy completion (VM stopped). */
    int (*save_live_complete_precopy)(QEMUFile *f, void *opaque);

    /* Runs both with and without the BQL. */
    bool (*is_active)(void *opaque);
    bool (*has_postcopy)(void *opaque);

    /*
     * is_active_iterate: when set and false, iteration skips this handler
     * (used by postcopy-only states that send nothing while precopy runs).
     */
    bool (*is_active_iterate)(void *opaque);

    /*
     * Write one PART section payload.  Runs without the BQL in the
     * migration thread: use only data local to the migration or protected
     * by the handler's own locks.  Returns <0 on error, 0 if more work
     * remains, 1 when everything has been sent.
     */
    int (*save_live_iterate)(QEMUFile *f, void *opaque);

    /* Write the START section payload.  Runs without the BQL. */
    int (*save_setup)(QEMUFile *f, void *opaque);

    /*
     * Estimate what is left to send, adding to the three counters:
     * res_precopy_only must go before switch-over, res_postcopy_only can
     * only go in postcopy, res_compatible can go in either.  Runs without
     * the BQL.
     */
    void (*save_live_pending)(QEMUFile *f, void *opaque,
                              uint64_t threshold_size,
                              uint64_t *res_precopy_only,
                              uint64_t *res_compatible,
                              uint64_t *res_postcopy_only);

    /* Read one section payload (START/PART/END/FULL) of @version_id. */
    LoadStateHandler *load_state;
    /* Before the first section is loaded / after the load ends. */
    int (*load_setup)(QEMUFile *f, void *opaque);
    int (*load_cleanup)(void *opaque);
    /* Postcopy recovery; never called by minivmm. */
    int (*resume_prepare)(MigrationState *s, void *opaque);
} SaveVMHandlers;

/**
 * register_savevm_live: register a live section @idstr/@instance_id with
 * the local version @version_id.  Section ids are allocated in registration
 * order.  Returns 0.
 */
int register_savevm_live(const char *idstr,
                         uint32_t instance_id,
                         int version_id,
                         const SaveVMHandlers *ops,
                         void *opaque);

/* VMStateIf is a QOM interface in QEMU; minivmm passes NULL. */
#ifndef VMSTATE_IF_DEFINED
#define VMSTATE_IF_DEFINED
typedef struct VMStateIf VMStateIf;
#endif

void unregister_savevm(VMStateIf *obj, const char *idstr, void *opaque);

#endif /* MIGRATION_REGISTER_H */
