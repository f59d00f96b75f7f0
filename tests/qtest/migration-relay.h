/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A migration stream relay for tests: forwards, counts, cuts and stalls. */
#ifndef MIGRATION_RELAY_H
#define MIGRATION_RELAY_H

/*
 * A MigRelay stands between a migration source and its destination:
 * the source migrates to mig_relay_uri(), and for each connection it
 * accepts the relay connects to the destination's unix socket and
 * forwards both directions (the main stream, and the return path that
 * flows back on the same socket), counting bytes.
 *
 * One trigger at a time can be armed on the main stream: a byte offset,
 * or the position just before or just after a MIG_CMD_* command element
 * (for PACKAGED, after its whole blob).  Nothing beyond the trigger's
 * point is forwarded before the trigger fires, so the point is exact
 * whatever the socket timing.  When it fires, the action is taken and
 * mig_relay_wait() returns.
 *
 * Commands are recognised by their framing bytes (migration-stream.md
 * 1.9: 0x08, be16 cmd, be16 len with the command's fixed length); a
 * PACKAGED element must also carry POSTCOPY_LISTEN at the start of its
 * blob, as every postcopy package does.  Bitmap data that mimicked these
 * bytes could fool the match; the streams of the tests do not.
 *
 * Marks are found by following the stream's framing instead
 * (migration-relay-parse.h): dirty-bitmap chunks by kind, the postcopy
 * package, EOF and the VMDESCRIPTION trailer, in streams of machine
 * none without RAM, as minivmm and QEMU 7.2 send them.  While a mark
 * trigger is armed, the relay holds back the chunk or element it is in
 * the middle of reading, so that the point is exact here too.
 *
 * All functions are called from the test's thread; the relay has its
 * own thread.  Waits are bounded by the harness timeout and fail the
 * test when it passes.
 */

#include <stdbool.h>
#include <stdint.h>

typedef struct MigRelay MigRelay;

typedef enum MigRelayDir {
    MIG_RELAY_S2D,      /* main stream, source to destination */
    MIG_RELAY_D2S,      /* return path, destination to source */
} MigRelayDir;

typedef enum MigRelayAction {
    MIG_RELAY_NOTE,     /* only record that the point was reached */
    MIG_RELAY_STALL,    /* carry nothing either way until released */
    MIG_RELAY_CUT,      /* close both sides of the connection */
} MigRelayAction;

/* Points of the main stream that the relay's parser recognises. */
typedef enum MigRelayMark {
    MIG_RELAY_MARK_DBM_START,       /* a dirty-bitmap START chunk */
    MIG_RELAY_MARK_DBM_BITS,        /* a BITS chunk with a buffer */
    MIG_RELAY_MARK_DBM_ZEROES,      /* a BITS chunk with ZEROES */
    MIG_RELAY_MARK_DBM_COMPLETE,    /* a COMPLETE chunk */
    MIG_RELAY_MARK_DBM_EOS,         /* the chunk ending a section payload */
    MIG_RELAY_MARK_PACKAGED,        /* the postcopy package, blob and all */
    MIG_RELAY_MARK_EOF,             /* an EOF element (not in a package) */
    MIG_RELAY_MARK_VMDESC,          /* the VMDESCRIPTION trailer */
    MIG_RELAY_MARK__MAX,
} MigRelayMark;

/* Listen on @listen_path; relay each connection to @dst_path. */
MigRelay *mig_relay_new(const char *listen_path, const char *dst_path);
/*
 * A relay in front of the incoming migration of @dst: it listens in the
 * temporary directory of @src, and @dst gets "migrate-incoming" on a unix
 * socket in its own (QTestState is libqtest.h's).
 */
typedef struct QTestState QTestState;
MigRelay *mig_relay_new_incoming(QTestState *src, QTestState *dst);
/* Stop the relay thread and close every socket. */
void mig_relay_free(MigRelay *r);
/* "unix:<listen_path>", for the source's migrate command. */
const char *mig_relay_uri(MigRelay *r);

/* Arm @action for the main stream reaching @offset bytes. */
void mig_relay_at_offset(MigRelay *r, uint64_t offset,
                         MigRelayAction action);
/* Arm @action for the point before (or @after) command element @cmd. */
void mig_relay_at_cmd(MigRelay *r, uint16_t cmd, bool after,
                      MigRelayAction action);
/*
 * Arm @action for the point before (or @after) the @nth (from 1) @mark
 * that the relay reads from now on, moved @back bytes earlier (at most
 * the mark's length: @back 1 after a mark is its last byte's offset).
 */
void mig_relay_at_mark(MigRelay *r, MigRelayMark mark, unsigned nth,
                       bool after, uint64_t back, MigRelayAction action);
/* Wait until the armed trigger fires; return its main-stream offset. */
uint64_t mig_relay_wait(MigRelay *r);

/* Stop carrying direction @dir now (bytes wait in the relay). */
void mig_relay_stall(MigRelay *r, MigRelayDir dir);
/* Let a stalled relay carry bytes again, both ways. */
void mig_relay_release(MigRelay *r);
/* Cut the connection now. */
void mig_relay_cut(MigRelay *r);
/* Carry at most @bytes_per_s of main stream (0: no limit). */
void mig_relay_set_rate(MigRelay *r, uint64_t bytes_per_s);

/* Bytes forwarded so far in direction @dir, on the current connection. */
uint64_t mig_relay_bytes(MigRelay *r, MigRelayDir dir);
/*
 * How many @mark the relay has read on the current connection; with
 * @forwarded, only those whose last byte went on to the destination.
 */
unsigned mig_relay_marks(MigRelay *r, MigRelayMark mark, bool forwarded);
/* Why the parser lost the current connection's stream, or NULL. */
const char *mig_relay_parse_error(MigRelay *r);
/*
 * Wait until at least @bytes (at most MIG_RELAY_BUF_BYTES) of main stream
 * wait in the relay: when it holds that many it stops reading, and the
 * source's socket fills up.
 */
#define MIG_RELAY_BUF_BYTES (256 * 1024)
void mig_relay_wait_backlog(MigRelay *r, uint64_t bytes);
/* Wait until the current connection is over (closed or cut). */
void mig_relay_wait_closed(MigRelay *r);

#endif /* MIGRATION_RELAY_H */
