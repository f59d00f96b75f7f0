/* SPDX-License-Identifier: GPL-2.0-or-later */
/* savevm: the migration stream framing and the section registry (QEMU 7.2). */
#ifndef MIGRATION_SAVEVM_H
#define MIGRATION_SAVEVM_H

/*
 * Stream layout (QEMU 7.2, all integers big-endian, nothing aligned):
 *
 *   be32 QEMU_VM_FILE_MAGIC, be32 QEMU_VM_FILE_VERSION
 *   u8 QEMU_VM_CONFIGURATION, be32 len, len bytes machine type,
 *      then "configuration/..." subsections (u8 0x05, cstr name, be32 ver)
 *   elements until QEMU_VM_EOF:
 *     START/FULL: u8 type, be32 section_id, cstr idstr, be32 instance_id,
 *                 be32 version_id, payload, u8 0x7e, be32 section_id
 *     PART/END:   u8 type, be32 section_id, payload, u8 0x7e, be32 id
 *     COMMAND:    u8 0x08, be16 cmd, be16 len, len bytes (PACKAGED: be32 n
 *                 then an n-byte blob of elements, not counted in len)
 *   u8 QEMU_VM_EOF
 *   precopy only: u8 QEMU_VM_VMDESCRIPTION, be32 len, len bytes of JSON
 */
#define QEMU_VM_FILE_MAGIC           0x5145564d     /* "QEVM" */
#define QEMU_VM_FILE_VERSION_COMPAT  0x00000002     /* refused */
#define QEMU_VM_FILE_VERSION         0x00000003

/* The first byte of each element. */
#define QEMU_VM_EOF                  0x00
#define QEMU_VM_SECTION_START        0x01   /* a live section begins */
#define QEMU_VM_SECTION_PART         0x02   /* ... goes on */
#define QEMU_VM_SECTION_END          0x03   /* ... ends */
#define QEMU_VM_SECTION_FULL         0x04   /* a device section, whole */
#define QEMU_VM_SUBSECTION           0x05   /* inside a vmstate payload */
#define QEMU_VM_VMDESCRIPTION        0x06   /* the JSON trailer */
#define QEMU_VM_CONFIGURATION        0x07
#define QEMU_VM_COMMAND              0x08
#define QEMU_VM_SECTION_FOOTER       0x7e

/* Return-path message types (destination to source). */
enum mig_rp_message_type {
    MIG_RP_MSG_INVALID = 0,
    MIG_RP_MSG_SHUT,          /* be32: 0 = OK, else error */
    MIG_RP_MSG_PONG,          /* be32: echo of a PING */
    MIG_RP_MSG_REQ_PAGES_ID,  /* RAM postcopy only */
    MIG_RP_MSG_REQ_PAGES,     /* RAM postcopy only */
    MIG_RP_MSG_RECV_BITMAP,   /* recovery only */
    MIG_RP_MSG_RESUME_ACK,    /* recovery only */
    MIG_RP_MSG_MAX
};
/* RESUME_ACK's payload: the destination is back in postcopy-active. */
#define MIGRATION_RESUME_ACK_VALUE 1

/* Largest return-path payload the source accepts. */
#define MIG_RP_MSG_MAX_LEN 512

/* Largest PACKAGED blob (QEMU's limit; read incrementally). */
#define MAX_VM_CMD_PACKAGED_SIZE UINT32_MAX

/* Returned by loaders to stop every nested load loop (POSTCOPY_RUN). */
#define LOADVM_QUIT 1

/*
 * The source side, called by the migration thread: the header and
 * configuration, then the live sections' START elements (setup), their
 * PART elements (iterate, until rate-limited or a section has more to
 * say; 1 once all are done), and at the end their END elements and the
 * device sections (complete_*), or in postcopy the package first.
 */
void qemu_savevm_state_header(QEMUFile *f);
void qemu_savevm_state_setup(QEMUFile *f);
/* Sum what the live sections still have to send, by kind. */
void qemu_savevm_state_pending(QEMUFile *f, uint64_t max_size,
                               uint64_t *res_precopy_only,
                               uint64_t *res_compatible,
                               uint64_t *res_postcopy_only);
int qemu_savevm_state_iterate(QEMUFile *f, bool postcopy);
/*
 * END the live sections (only those that cannot postcopy, in postcopy)
 * and, unless @iterable_only, send the device sections, EOF and the
 * JSON trailer; @inactivate_disks hands the images over on the way.
 */
int qemu_savevm_state_complete_precopy(QEMUFile *f, bool iterable_only,
                                       bool inactivate_disks);
/* The device-section half of qemu_savevm_state_complete_precopy(). */
int qemu_savevm_state_complete_precopy_non_iterable(QEMUFile *f,
                                                    bool in_postcopy,
                                                    bool inactivate_disks);
/* After postcopy: END for the postcopiable sections, then EOF. */
void qemu_savevm_state_complete_postcopy(QEMUFile *f);
/* Let every live handler drop what it kept for the migration. */
void qemu_savevm_state_cleanup(void);

/* Command elements (each is flushed), in the order a stream has them. */
void qemu_savevm_send_open_return_path(QEMUFile *f);
void qemu_savevm_send_ping(QEMUFile *f, uint32_t value);
/* x86's target page size, which a postcopy-ram ADVISE carries. */
#define POSTCOPY_TARGET_PAGE_SIZE 4096

void qemu_savevm_send_postcopy_advise(QEMUFile *f);
/* Returns: 0, or -1 if @len does not fit the be32 length. */
int qemu_savevm_send_packaged(QEMUFile *f, const uint8_t *buf, size_t len);
/* These two go inside the package. */
void qemu_savevm_send_postcopy_listen(QEMUFile *f);
void qemu_savevm_send_postcopy_run(QEMUFile *f);
/* Postcopy recovery: the source is back on a new channel. */
void qemu_savevm_send_postcopy_resume(QEMUFile *f);

/*
 * qemu_loadvm_state: load a whole stream on the destination.
 *
 * Returns: 0 once it ended (or went over to the postcopy listen thread),
 * else a negative errno with @errp set in QEMU's words.  Messages of the
 * section loaders themselves are printed where they arise.
 */
int qemu_loadvm_state(QEMUFile *f, Error **errp);
/*
 * The element loop of qemu_loadvm_state(), up to EOF; also used for
 * PACKAGED blobs and by the listen thread.  LOADVM_QUIT after RUN.  On
 * failure the bitmaps being loaded are dropped.
 */
int qemu_loadvm_state_main(QEMUFile *f, MigrationIncomingState *mis,
                           Error **errp);
/* Let every live handler drop what it kept for loading. */
void qemu_loadvm_state_cleanup(void);

/*
 * savevm_skip_section_id: leave one section id unused, where QEMU 7.2
 * registers its old 'block' section (keeps our ids equal to QEMU's).
 */
void savevm_skip_section_id(void);
/* The id the next registered section will get. */
int savevm_peek_section_id(void);

/*
 * savevm_state_reset_for_test: forget the streamed section ids and the
 * postcopy state of the last load (unit tests run several loads).
 */
void savevm_state_reset_for_test(void);

/*
 * The reason the last load_state handler that failed in this thread gave
 * (qemu_loadvm_section_error()), or NULL; the caller owns it.  The loader
 * takes it itself: for code that calls a handler directly.
 */
Error *qemu_loadvm_section_error_take(void);

#endif /* MIGRATION_SAVEVM_H */
