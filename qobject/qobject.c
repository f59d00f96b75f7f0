/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QObject helpers over jansson: the QType of a JSON value. */

#include "qemu/osdep.h"
#include "qapi/qmp/qobject.h"

QType qobject_type(const json_t *obj)
{
    if (!obj) {
        return QTYPE_NONE;
    }
    switch (json_typeof(obj)) {
    case JSON_OBJECT:
        return QTYPE_QDICT;
    case JSON_ARRAY:
        return QTYPE_QLIST;
    case JSON_STRING:
        return QTYPE_QSTRING;
    case JSON_INTEGER:
    case JSON_REAL:
        return QTYPE_QNUM;
    case JSON_TRUE:
    case JSON_FALSE:
        return QTYPE_QBOOL;
    case JSON_NULL:
        return QTYPE_QNULL;
    }
    abort();
}
