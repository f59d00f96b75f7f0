/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the generated QMP marshallers (qmp_marshal_FOO()) share. */
#ifndef QAPI_QMP_MARSHAL_H
#define QAPI_QMP_MARSHAL_H

#include <jansson.h>
#include "qapi/visitor.h"

/*
 * Visit the C variable at @value (a command's return value of some
 * QAPI type) with that type's visit_type_FOO().
 */
typedef bool VisitValueFunc(Visitor *v, void *value, Error **errp);

/**
 * qmp_marshal_input:
 * Fill the command's argument struct at @arg from @args, the request's
 * "arguments" object, with @members (NULL when the command takes
 * none).  Unknown and mistyped members are errors, in QEMU's words.
 * Whatever the outcome, qmp_marshal_free_input() frees @arg's contents.
 */
bool qmp_marshal_input(json_t *args, void *arg, VisitMembersFunc *members,
                       Error **errp);
void qmp_marshal_free_input(void *arg, VisitMembersFunc *members);

/**
 * qmp_marshal_output:
 * Store the JSON form of the command's result (the variable at @value,
 * visited by @visit) in *@ret, then free the result.
 */
void qmp_marshal_output(void *value, VisitValueFunc *visit, json_t **ret,
                        Error **errp);

#endif /* QAPI_QMP_MARSHAL_H */
