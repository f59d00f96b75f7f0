/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Option strings: keyval parsing into jansson objects (QEMU's keyval.c). */
#ifndef QEMU_OPTION_H
#define QEMU_OPTION_H

#include <jansson.h>

/*
 * QEMU's keyval syntax (see util/keyval.c for the grammar):
 *
 *   key-vals     = [ key-val { ',' key-val } [ ',' ] ]
 *   key-val      = key '=' val | help
 *   key          = key-fragment { '.' key-fragment }
 *   key-fragment = qapi-name | index      (index: digits, for lists)
 *   val          = { val-char | ',,' }    (',,' stands for one ',')
 *
 * The first key-val may omit "key=" when @implied_key is given.
 * Where QEMU returns a QDict, we return a jansson object: each leaf is a
 * JSON string; dotted keys make nested objects, and an object whose keys
 * are all indexes becomes an array, as in QEMU ("a.0=x,a.1=y" gives
 * {"a": ["x", "y"]}; a gap is an error: "a.1=y" alone gives
 * "Parameter 'a.0' missing").
 * If several key-vals set the same leaf, the last one wins.
 */

/**
 * keyval_parse:
 * Parse @params into a new object.  If @help is non-NULL, "help" and "?"
 * are accepted as a key-val and set *@help to true (false if absent);
 * otherwise they are an error.  Returns the object (decref it) or NULL
 * with @errp set, e.g. "Invalid parameter 'x..y'",
 * "Expected '=' after parameter 'foo'",
 * "Parameters 'a.*' used inconsistently" (QEMU's texts).
 */
json_t *keyval_parse(const char *params, const char *implied_key,
                     bool *help, Error **errp);

/**
 * keyval_parse_into:
 * Like keyval_parse(), adding to the existing object @qdict (steals no
 * reference).  Returns @qdict, or NULL with @errp set (@qdict may then
 * hold some of the keys).
 */
json_t *keyval_parse_into(json_t *qdict, const char *params,
                          const char *implied_key, bool *p_help,
                          Error **errp);

/**
 * keyval_merge:
 * Merge @new into @old: leaves of @new replace those of @old, nested
 * objects are merged recursively.  Errors if a key is an object on one
 * side and a string on the other: "Parameter '%s' used inconsistently".
 */
void keyval_merge(json_t *old, const json_t *new, Error **errp);

/* Returns: true if @name is "help" or "?". */
static inline bool is_help_option(const char *name)
{
    return name && (!strcmp(name, "?") || !strcmp(name, "help"));
}

/*
 * has_help_option:
 * Returns: true if the comma-separated @param (with ',,' escapes)
 * contains an element "help" or "?".
 */
bool has_help_option(const char *param);

/*
 * get_opt_value:
 * Copy the value at @p, up to the next ',' not doubled, into a new string
 * *@value (',,' becomes ','), and return a pointer to the terminating ','
 * or NUL.  For simple "-opt a=b,c=d" scanners.
 */
const char *get_opt_value(const char *p, char **value);

#endif /* QEMU_OPTION_H */
