/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Identifiers: checking user ids, making unique internal ones. */
#include "qemu/osdep.h"
#include "qemu/id.h"

/* What may follow the leading letter of a user id. */
static const char id_tail_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "abcdefghijklmnopqrstuvwxyz"
    "0123456789-._";

bool id_wellformed(const char *id)
{
    if (!g_ascii_isalpha(*id)) {
        return false;
    }
    /* The id is good when the span of allowed bytes reaches its end. */
    return id[1 + strspn(id + 1, id_tail_chars)] == '\0';
}

#define ID_SUBSYSTEM_WORD(name, word) [name] = word,
static const char *const id_words[ID_MAX] = {
    ID_SUBSYSTEMS(ID_SUBSYSTEM_WORD)
};
#undef ID_SUBSYSTEM_WORD

char *id_generate(IdSubSystems id)
{
    static uint64_t serials[ID_MAX];
    uint64_t serial;

    assert((unsigned)id < ID_MAX);
    serial = __atomic_fetch_add(&serials[id], 1, __ATOMIC_RELAXED);
    /* '#' can never start a well-formed user id. */
    return g_strdup_printf("#%s%" PRIu64 "%02d", id_words[id], serial,
                           (int)g_random_int_range(0, 100));
}
