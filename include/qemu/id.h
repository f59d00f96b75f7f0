/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Identifiers: checking user ids, making unique internal ones. */
#ifndef QEMU_ID_H
#define QEMU_ID_H

/*
 * Checks a user-chosen id (-drive id=, node-name, ...): it must start
 * with an ASCII letter, the rest being ASCII letters, digits, '-', '.'
 * or '_'.
 */
bool id_wellformed(const char *id);

/*
 * The kinds of object that get generated ids.  ID_SUBSYSTEMS lists each
 * enumerator beside the word it puts into the ids, so that the enum and
 * util/id.c's table of words cannot drift apart.
 */
#define ID_SUBSYSTEMS(X)  \
    X(ID_QDEV, "qdev")    \
    X(ID_BLOCK, "block")  \
    X(ID_CHR, "chr")      \
    X(ID_NET, "net")

#define ID_SUBSYSTEM_ENUMERATOR(name, word) name,
typedef enum IdSubSystems {
    ID_SUBSYSTEMS(ID_SUBSYSTEM_ENUMERATOR)
    ID_MAX      /* how many there are */
} IdSubSystems;
#undef ID_SUBSYSTEM_ENUMERATOR

/*
 * Makes a fresh id for an object of kind @id, in the form
 * "#<word><serial><rr>": <serial> counts up from 0 per kind for the life
 * of the process, <rr> is a random two-digit number, e.g. "#block023".
 * The leading '#' keeps them apart from anything id_wellformed()
 * accepts.  Free the result with g_free().
 */
char *id_generate(IdSubSystems id);

#endif /* QEMU_ID_H */
