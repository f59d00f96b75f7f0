/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QAPI utilities: enum name tables, boolean and name parsing. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qmp/qerror.h"
#include "qapi/util.h"

const char *qapi_enum_lookup(const QEnumLookup *lookup, int val)
{
    /* an out-of-range value is a bug in the caller, not bad input */
    g_assert((unsigned)val < (unsigned)lookup->size);
    return lookup->array[val];
}

/* The value whose name is @name, or -1. */
static int enum_value_of(const QEnumLookup *lookup, const char *name)
{
    int val = 0;

    while (val < lookup->size && !g_str_equal(lookup->array[val], name)) {
        val++;
    }
    return val < lookup->size ? val : -1;
}

int qapi_enum_parse(const QEnumLookup *lookup, const char *buf,
                    int def, Error **errp)
{
    int val;

    if (!buf) {
        return def;
    }
    val = enum_value_of(lookup, buf);
    if (val < 0) {
        error_setg(errp, "invalid parameter value: %s", buf);
        return def;
    }
    return val;
}

bool qapi_bool_parse(const char *name, const char *value, bool *obj,
                     Error **errp)
{
    /* the spellings QEMU's option parsers take */
    static const char *const yes[] = { "on", "yes", "true", "y", NULL };
    static const char *const no[] = { "off", "no", "false", "n", NULL };
    bool is_yes = g_strv_contains(yes, value);

    if (!is_yes && !g_strv_contains(no, value)) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, name, "'on' or 'off'");
        return false;
    }
    *obj = is_yes;
    return true;
}
