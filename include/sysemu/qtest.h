/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The qtest protocol server (-qtest, -accel qtest). */
#ifndef SYSEMU_QTEST_H
#define SYSEMU_QTEST_H

/* -accel qtest was given. */
extern bool qtest_allowed;

static inline bool qtest_enabled(void)
{
    return qtest_allowed;
}

/* A qtest client (-qtest) is attached. */
bool qtest_driver(void);

/**
 * qtest_server_init:
 * @qtest_chrdev: the -qtest argument, e.g. "unix:path=/tmp/q.sock"
 * @qtest_log: the -qtest-log file, or NULL for stderr
 *
 * Connect to the qtest client and serve the protocol from the main loop.
 */
void qtest_server_init(const char *qtest_chrdev, const char *qtest_log,
                       Error **errp);

#endif /* SYSEMU_QTEST_H */
