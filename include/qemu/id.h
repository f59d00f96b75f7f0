/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Identifier validation and generation (-drive id=, node names). */
#ifndef QEMU_ID_H
#define QEMU_ID_H

typedef enum IdSubSystems {
    ID_QDEV,
    ID_BLOCK,
    ID_CHR,
    ID_NET,
    ID_MAX      /* last element, used as array size */
} IdSubSystems;

/**
 * id_generate:
 * Returns: a new unique identifier for @id, "#<subsystem><n><rr>": n is a
 * per-process counter of the subsystem (decimal, from 0; all block nodes
 * share ID_BLOCK's), and rr a
 * random number 0-99 as two digits, e.g. "#block023".  Such ids fail
 * id_wellformed(), so they cannot clash with user ids.  The caller frees
 * it.
 */
char *id_generate(IdSubSystems id);

/**
 * id_wellformed:
 * Returns: true if @id is a valid user identifier: an ASCII letter
 * followed by ASCII letters, digits, '-', '.' and '_'.
 */
bool id_wellformed(const char *id);

#endif /* QEMU_ID_H */
