/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QNull: the JSON null value, a jansson json_t in minivmm. */
#ifndef QNULL_H
#define QNULL_H

#include <jansson.h>

/*
 * QEMU's QNull is a singleton QObject; ours is jansson's null.  A QNull *
 * holds one reference, dropped with qobject_unref() / json_decref().
 */
typedef struct json_t QNull;

static inline QNull *qnull(void)
{
    return json_null();
}

#endif /* QNULL_H */
