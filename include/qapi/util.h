/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QAPI utility functions: enum lookup tables and list helpers. */
#ifndef QAPI_UTIL_H
#define QAPI_UTIL_H

/* Schema features the QAPI code knows by name (bit numbers) */
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
 * QAPI_LIST_PREPEND: put @element in a new first node of @list, a
 * variable of a generated FooList * type.  @element is evaluated once,
 * before @list is read.
 */
#define QAPI_LIST_PREPEND(list, element)                            \
    do {                                                            \
        typeof(list) head_ = g_new0(typeof(*(list)), 1);            \
                                                                    \
        head_->value = (element);                                   \
        head_->next = (list);                                       \
        (list) = head_;                                             \
    } while (0)

/*
 * QAPI_LIST_APPEND: put @element in a new node at *@tail, a FooList **
 * that points at the list's terminating NULL (start with &list), and
 * move @tail on to the new node's @next.  Appending in a loop thus
 * builds the list in order without walking it.
 */
#define QAPI_LIST_APPEND(tail, element)                             \
    do {                                                            \
        typeof(*(tail)) node_ = g_new0(typeof(**(tail)), 1);        \
                                                                    \
        node_->value = (element);                                   \
        *(tail) = node_;                                            \
        (tail) = &node_->next;                                      \
    } while (0)

#endif /* QAPI_UTIL_H */
