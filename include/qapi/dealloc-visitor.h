/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Dealloc visitor: free QAPI C objects (behind qapi_free_FOO()). */
#ifndef QAPI_DEALLOC_VISITOR_H
#define QAPI_DEALLOC_VISITOR_H

#include "qapi/visitor.h"

/*
 * The dealloc visitor frees everything it is walked over: strings,
 * structs, lists, alternates and JSON references.  It never fails and
 * accepts partially built objects (NULL pointers anywhere).
 */
Visitor *qapi_dealloc_visitor_new(void);

#endif /* QAPI_DEALLOC_VISITOR_H */
