/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Identifiers: validating user ids and generating unique internal ones. */
#include "qemu/osdep.h"
#include "qemu/id.h"

/* Generated ids start with this; user ids cannot (see id_wellformed()). */
#define ID_SPECIAL_CHAR '#'

bool id_wellformed(const char *id)
{
    size_t i;

    if (!g_ascii_isalpha(id[0])) {
        return false;
    }
    for (i = 1; id[i]; i++) {
        if (!g_ascii_isalnum(id[i]) && !strchr("-._", id[i])) {
            return false;
        }
    }
    return true;
}

static const char *const id_subsys_str[ID_MAX] = {
    [ID_QDEV]  = "qdev",
    [ID_BLOCK] = "block",
    [ID_CHR] = "chr",
    [ID_NET] = "net",
};

char *id_generate(IdSubSystems id)
{
    static uint64_t id_counters[ID_MAX];
    uint64_t n;
    int32_t rnd;

    assert(id < ARRAY_SIZE(id_subsys_str));
    assert(id_subsys_str[id]);

    n = __atomic_fetch_add(&id_counters[id], 1, __ATOMIC_RELAXED);
    rnd = g_random_int_range(0, 100);

    return g_strdup_printf("%c%s%" PRIu64 "%02" PRId32, ID_SPECIAL_CHAR,
                           id_subsys_str[id], n, rnd);
}
