/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The qtest protocol server: a line protocol for test drivers (-qtest). */
#include "qemu/osdep.h"

#include "chardev/char-fe.h"
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "sysemu/qtest.h"

/*
 * Protocol: each "\n"-terminated request line gets one response line.
 * minivmm has no guest memory or devices, so it only answers
 *   readb ADDR  ->  OK 0x0000000000000000
 * and every other command with "FAIL Unknown command '<word>'".
 *
 * Log (stderr unless -qtest-log FILE; "none" or /dev/null silences it),
 * exactly as QEMU 7.2 writes it:
 *   [I 0.000001] OPENED           on connection
 *   [R +0.048290] LINE            each received line
 *   [S +0.048372] LINE            each sent line
 *   [I +0.068295] CLOSED          when the driver closes the connection
 */

/* Longest request line; a longer one gets a FAIL reply and is dropped. */
#define QTEST_MAX_LINE 65536

bool qtest_allowed;

static CharBackend qtest_chr;
static bool qtest_chr_ready;        /* qtest_chr is attached */
static bool qtest_opened;           /* a driver is connected */
static FILE *qtest_log_fp;          /* NULL: no log */
static gint64 qtest_start_us;       /* real time of OPENED */
static GString *qtest_inbuf;        /* partial request line */
static bool qtest_discarding;       /* dropping an over-long line */

bool qtest_driver(void)
{
    return qtest_chr_ready;
}

static void qtest_log_time(char kind, bool relative)
{
    gint64 us = g_get_real_time() - qtest_start_us;

    if (us < 0) {
        us = 0;
    }
    fprintf(qtest_log_fp, "[%c %s%" PRId64 ".%06" PRId64 "] ", kind,
            relative ? "+" : "", us / G_USEC_PER_SEC, us % G_USEC_PER_SEC);
}

static void qtest_send(const char *line)
{
    if (qtest_log_fp && qtest_opened) {
        qtest_log_time('S', true);
        fprintf(qtest_log_fp, "%s", line);
        fflush(qtest_log_fp);
    }
    qemu_chr_fe_write_all(&qtest_chr, (const uint8_t *)line, strlen(line));
}

static void qtest_process_command(const char *line)
{
    g_auto(GStrv) words = g_strsplit(line, " ", -1);
    const char *cmd = words[0] ? words[0] : "";
    g_autofree char *reply = NULL;

    if (qtest_log_fp) {
        qtest_log_time('R', true);
        fprintf(qtest_log_fp, "%s\n", line);
        fflush(qtest_log_fp);
    }
    if (!strcmp(cmd, "readb") && words[1]) {
        uint64_t addr;

        if (qemu_strtou64(words[1], NULL, 0, &addr) == 0) {
            reply = g_strdup_printf("OK 0x%016" PRIx64 "\n", (uint64_t)0);
        } else {
            reply = g_strdup_printf("FAIL Invalid address '%s'\n",
                                    words[1]);
        }
    } else {
        reply = g_strdup_printf("FAIL Unknown command '%s'\n", cmd);
    }
    qtest_send(reply);
}

static int qtest_can_read(void *opaque)
{
    return 1024;
}

static void qtest_read(void *opaque, const uint8_t *buf, int size)
{
    int i;

    for (i = 0; i < size; i++) {
        if (buf[i] == '\n') {
            if (qtest_discarding) {
                qtest_discarding = false;
                qtest_send("FAIL Line too long\n");
            } else {
                qtest_process_command(qtest_inbuf->str);
            }
            g_string_truncate(qtest_inbuf, 0);
        } else if (qtest_inbuf->len >= QTEST_MAX_LINE) {
            qtest_discarding = true;
            g_string_truncate(qtest_inbuf, 0);
        } else if (!qtest_discarding) {
            g_string_append_c(qtest_inbuf, buf[i]);
        }
    }
}

static void qtest_event(void *opaque, QEMUChrEvent event)
{
    switch (event) {
    case CHR_EVENT_OPENED:
        qtest_start_us = g_get_real_time() - 1;
        qtest_opened = true;
        g_string_truncate(qtest_inbuf, 0);
        qtest_discarding = false;
        if (qtest_log_fp) {
            qtest_log_time('I', false);
            fprintf(qtest_log_fp, "OPENED\n");
            fflush(qtest_log_fp);
        }
        break;
    case CHR_EVENT_CLOSED:
        qtest_opened = false;
        if (qtest_log_fp) {
            qtest_log_time('I', true);
            fprintf(qtest_log_fp, "CLOSED\n");
            fflush(qtest_log_fp);
        }
        break;
    default:
        break;
    }
}

void qtest_server_init(const char *qtest_chrdev, const char *qtest_log,
                       Error **errp)
{
    Chardev *chr = qemu_chr_new("qtest", qtest_chrdev, NULL);

    if (!chr) {
        error_setg(errp, "Failed to initialize device for qtest: \"%s\"",
                   qtest_chrdev);
        return;
    }
    if (qtest_log) {
        if (strcmp(qtest_log, "none") && strcmp(qtest_log, "/dev/null")) {
            qtest_log_fp = fopen(qtest_log, "w+");
            if (!qtest_log_fp) {
                error_setg_file_open(errp, errno, qtest_log);
                return;
            }
        }
    } else {
        qtest_log_fp = stderr;
    }
    if (!qemu_chr_fe_init(&qtest_chr, chr, errp)) {
        return;
    }
    qtest_inbuf = g_string_new(NULL);
    qemu_chr_fe_set_handlers(&qtest_chr, qtest_can_read, qtest_read,
                             qtest_event, NULL, NULL, NULL, true);
    qtest_chr_ready = true;
}
