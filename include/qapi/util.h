/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QAPI utility functions: enum lookup tables and list helpers. */
#ifndef QAPI_UTIL_H
#define QAPI_UTIL_H

typedef enum {
    QAPI_DEPRECATED,
    QAPI_UNSTABLE,
} QapiSpecialFeature;

/* An enum's string table: array[value] is the name of value. */
typedef struct QEnumLookup {
    const char *const *array;          /* @size names, indexed by value */
    const unsigned char *const special_features; /* unused, may be NULL */
    const int size;                    /* number of values (FOO__MAX) */
} QEnumLookup;

/**
 * qapi_enum_lookup:
 * Returns the name of @val; asserts that 0 <= @val < @lookup->size.
 */
const char *qapi_enum_lookup(const QEnumLookup *lookup, int val);

/**
 * qapi_enum_parse:
 * Returns the value named @buf, or @def when @buf is NULL; when @buf names
 * no value, sets @errp ("invalid parameter value: BUF") and returns @def.
 */
int qapi_enum_parse(const QEnumLookup *lookup, const char *buf,
                    int def, Error **errp);

/**
 * qapi_bool_parse:
 * Parses on/yes/true/y and off/no/false/n into @obj.  On failure sets
 * @errp ("Parameter 'NAME' expects 'on' or 'off'") and returns false.
 */
bool qapi_bool_parse(const char *name, const char *value, bool *obj,
                     Error **errp);

/**
 * parse_qapi_name:
 * Returns the length of the QAPI name at the start of @name, or -1 if
 * there is none; with @complete, -1 unless all of @name is a name.
 */
int parse_qapi_name(const char *name, bool complete);

/*
 * For any GenericList @list, insert @element at the front.
 *
 * Note that this macro evaluates @element exactly once, so it is safe
 * to have side-effects with that argument.
 */
#define QAPI_LIST_PREPEND(list, element) do { \
    typeof(list) _tmp = g_malloc(sizeof(*(list))); \
    _tmp->value = (element); \
    _tmp->next = (list); \
    (list) = _tmp; \
} while (0)

/*
 * For any pointer to a GenericList @tail (usually the 'next' member of a
 * list element), insert @element at the back and update the tail.
 */
#define QAPI_LIST_APPEND(tail, element) do { \
    *(tail) = g_malloc0(sizeof(**(tail))); \
    (*(tail))->value = (element); \
    (tail) = &(*(tail))->next; \
} while (0)

#endif /* QAPI_UTIL_H */
