/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Output visitor: build JSON values (json_t) from QAPI C objects. */
#ifndef QOBJECT_OUTPUT_VISITOR_H
#define QOBJECT_OUTPUT_VISITOR_H

#include "qapi/visitor.h"

/**
 * qobject_output_visitor_new:
 * @result: where visit_complete() stores the new value (one reference,
 *          owned by the caller)
 *
 * Returns an output visitor.  Members are emitted in visit order, so
 * objects keep QEMU's key order.  A NULL string is emitted as "".
 */
Visitor *qobject_output_visitor_new(json_t **result);

#endif /* QOBJECT_OUTPUT_VISITOR_H */
