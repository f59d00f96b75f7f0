/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The 'ram' section of a machine without guest RAM, and its counters. */
#ifndef QEMU_MIGRATION_RAM_H
#define QEMU_MIGRATION_RAM_H

/* QEMU's ram_counters subset that query-migrate reports. */
typedef struct RAMCounters {
    uint64_t transferred;       /* bytes of 'ram' payload sent */
    uint64_t precopy_bytes;     /* ... while the VM ran */
    uint64_t downtime_bytes;    /* ... while it was stopped (precopy) */
    uint64_t postcopy_bytes;    /* ... after switch-over to postcopy */
    uint64_t dirty_sync_count;  /* dirty log syncs (MIGRATION_PASS) */
    uint64_t multifd_bytes;     /* multifd sync packets sent */
} RAMCounters;

extern RAMCounters ram_counters;

/* Reset the counters at the start of an outgoing migration. */
void ram_counters_reset(void);

#endif /* QEMU_MIGRATION_RAM_H */
