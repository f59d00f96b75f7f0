/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Input visitor: build QAPI C objects from JSON values (json_t). */
#ifndef QOBJECT_INPUT_VISITOR_H
#define QOBJECT_INPUT_VISITOR_H

#include "qapi/visitor.h"

/**
 * qobject_input_visitor_new:
 * @obj: the JSON value to visit; the visitor takes its own reference
 *
 * Returns an input visitor.  Type mismatches, missing and unexpected
 * members fail with QEMU's QMP texts ("Invalid parameter type for 'x',
 * expected: string", "Parameter 'x' is missing", "Parameter 'x' is
 * unexpected", "Parameter 'x' expects uint64").
 */
Visitor *qobject_input_visitor_new(json_t *obj);

/**
 * qobject_input_visitor_new_keyval:
 * @obj: a JSON value as keyval_parse() makes it: every scalar is a string
 *
 * Like qobject_input_visitor_new(), but numbers, sizes and booleans are
 * parsed from their string form (booleans: on/off/yes/no/true/false).
 */
Visitor *qobject_input_visitor_new_keyval(json_t *obj);

/**
 * qobject_input_visitor_new_str:
 * @str: a JSON object ("{...}") or keyval text ("driver=file,node-name=a")
 * @implied_key: key for a leading value without "key=", or NULL
 *
 * Returns a visitor for what @str holds (a keyval visitor for keyval
 * text), as QEMU's -blockdev parsing uses, or NULL with @errp set.
 */
Visitor *qobject_input_visitor_new_str(const char *str,
                                       const char *implied_key,
                                       Error **errp);

#endif /* QOBJECT_INPUT_VISITOR_H */
