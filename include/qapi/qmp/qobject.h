/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QObject over jansson: the JSON value type of QMP, args and results. */
#ifndef QOBJECT_H
#define QOBJECT_H

#include <jansson.h>
#include "qapi/qmp/qnull.h"
#include "qapi/qapi-builtin-types.h"

/*
 * minivmm uses jansson's json_t wherever QEMU uses QObject, QDict, QList,
 * QString, QNum and QBool.
 *
 * Integers: JSON integers in [INT64_MIN, INT64_MAX] are json_integer.
 * Integers in (INT64_MAX, UINT64_MAX] (which QEMU keeps as unsigned QNum)
 * are stored as json_integer holding the same 64 bits, i.e. the value
 * minus 2^64; uint64 visitors get the exact value back, as QEMU's do
 * (QEMU also accepts negative numbers for uint64 members), and
 * qobject_to_json() prints them as negative numbers.  Anything larger
 * becomes a json_real, so uint64 visitors reject it ("expects uint64").
 */

/**
 * qobject_type:
 * @obj: a JSON value, or NULL
 *
 * Returns the QType of @obj (QTYPE_NONE for NULL).
 */
QType qobject_type(const json_t *obj);

/* Drop a reference, like QEMU's qobject_unref(); NULL is fine. */
#define qobject_unref(obj) json_decref(obj)
/* Take a reference, like QEMU's qobject_ref(); returns @obj. */
#define qobject_ref(obj) json_incref(obj)

#endif /* QOBJECT_H */
