/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where a migration stream's elements and bitmap chunks begin and end. */
#ifndef MIGRATION_RELAY_PARSE_H
#define MIGRATION_RELAY_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "migration-relay.h"

/*
 * An incremental reader of a main migration stream (file header,
 * configuration, commands, sections, EOF, VMDESCRIPTION) as the streams
 * of the tests carry them (migration-stream.md): it knows the payloads
 * of "ram" without RAM blocks, "dirty-bitmap", "timer" and "globalstate",
 * skips the blob of a PACKAGED command whole, and reports each MigRelayMark
 * with its first offset and the offset just past it.  Anything else (an
 * unknown section, a configuration subsection, bytes that break the
 * framing) makes it give up: it reports nothing more.
 *
 * A mark is reported when its last byte has been fed, never earlier; the
 * element or chunk being read started at mig_relay_parser_unit_start(),
 * so a relay that forwards nothing at or past that offset can still stop
 * right before (or inside) the next mark.  A unit is at most one chunk,
 * command or trailer: never more than 64 KiB for the streams of the
 * tests, else the parser gives up.
 */

typedef struct MigRelayParser MigRelayParser;
typedef void MigRelayMarkFn(void *opaque, MigRelayMark mark, uint64_t start,
                            uint64_t end);

MigRelayParser *mig_relay_parser_new(MigRelayMarkFn *fn, void *opaque);
void mig_relay_parser_free(MigRelayParser *p);
/* Feed the next @len bytes of the stream. */
void mig_relay_parser_feed(MigRelayParser *p, const uint8_t *buf,
                           size_t len);
/* The first offset of the unit being read (or the next one). */
uint64_t mig_relay_parser_unit_start(MigRelayParser *p);
/* Why the parser gave up, or NULL while it follows the stream. */
const char *mig_relay_parser_lost(MigRelayParser *p);

#endif /* MIGRATION_RELAY_PARSE_H */
