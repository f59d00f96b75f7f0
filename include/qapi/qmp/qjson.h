/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON text <-> json_t with QEMU's parser rules and output format. */
#ifndef QJSON_H
#define QJSON_H

#include <jansson.h>

/**
 * qobject_from_json:
 * Parse @string, which must hold at most one JSON value (QEMU's JSON:
 * also single-quoted strings).  Returns a new reference, or NULL with
 * @errp set on error, or NULL without error for empty input.
 */
json_t *qobject_from_json(const char *string, Error **errp);

/**
 * qobject_to_json:
 * Returns @obj as one line of JSON text, QEMU style: ", " and ": "
 * separators, keys in insertion order, non-ASCII escaped as \uXXXX.
 */
GString *qobject_to_json(const json_t *obj);

/*
 * Like qobject_to_json(), or with @pretty indented over several lines
 * ('\n' line ends) as QEMU's -qmp-pretty prints it.
 */
GString *qobject_to_json_pretty(const json_t *obj, bool pretty);

#endif /* QJSON_H */
