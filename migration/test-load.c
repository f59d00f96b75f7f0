/* SPDX-License-Identifier: GPL-2.0-or-later */
/* 'x-test-load': a test-only live section streaming N bytes of a pattern. */
#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "migration/misc.h"
#include "migration/register.h"
#include "qemu-file.h"

/*
 * Linked into test builds only (tests/qtest/test-build/minivmm), and
 * enabled there by the environment variable MINIVMM_MIGRATION_TEST_LOAD=SIZE
 * (e.g. "64M") on both sides; used by the integration tests and the
 * benchmark to give iteration, pending estimates, rate limiting and
 * postcopy real data to move.  Not a QEMU section.
 *
 * Wire format (section version 1), a list of records ended by END:
 *   u8 1 SIZE: be64 total bytes (START section)
 *   u8 2 DATA: be64 offset, be32 len (<= TEST_LOAD_CHUNK), len bytes
 *   u8 3 DONE: all bytes sent (END section)
 *   u8 0 END
 * Every chunk starts the same pattern (byte i = i * 31 + 7 + i / 4096),
 * so the destination checks the offset, the length and both ends of each
 * chunk: a framing error shows as a mismatch without reading every byte.
 */
#define TEST_LOAD_CHUNK (256 * KiB)
/* Chunks per iteration call, so that pending is re-estimated often. */
#define TEST_LOAD_BURST 64

enum {
    TEST_LOAD_END = 0,
    TEST_LOAD_SIZE = 1,
    TEST_LOAD_DATA = 2,
    TEST_LOAD_DONE = 3,
};

typedef struct TestLoadState {
    uint64_t size;          /* bytes to send (source) / announced (dest) */
    uint64_t sent;          /* source: bytes written so far */
    uint64_t received;      /* destination: bytes received and checked */
    uint8_t *pattern;       /* TEST_LOAD_CHUNK reference bytes */
    uint8_t *buf;           /* destination: receive buffer */
} TestLoadState;

static TestLoadState test_load;

static void test_load_put_data(QEMUFile *f, TestLoadState *s, bool limit)
{
    for (int i = 0; s->sent < s->size; i++) {
        uint32_t len = MIN(s->size - s->sent, (uint64_t)TEST_LOAD_CHUNK);

        if (limit && (i == TEST_LOAD_BURST || qemu_file_rate_limit(f))) {
            break;
        }
        qemu_put_byte(f, TEST_LOAD_DATA);
        qemu_put_be64(f, s->sent);
        qemu_put_be32(f, len);
        qemu_put_buffer(f, s->pattern, len);
        s->sent += len;
    }
}

static int test_load_save_setup(QEMUFile *f, void *opaque)
{
    TestLoadState *s = opaque;

    s->sent = 0;
    qemu_put_byte(f, TEST_LOAD_SIZE);
    qemu_put_be64(f, s->size);
    qemu_put_byte(f, TEST_LOAD_END);
    return 0;
}

static int test_load_save_iterate(QEMUFile *f, void *opaque)
{
    TestLoadState *s = opaque;

    test_load_put_data(f, s, true);
    qemu_put_byte(f, TEST_LOAD_END);
    return s->sent == s->size;
}

static int test_load_save_complete(QEMUFile *f, void *opaque)
{
    TestLoadState *s = opaque;

    test_load_put_data(f, s, false);
    qemu_put_byte(f, TEST_LOAD_DONE);
    qemu_put_byte(f, TEST_LOAD_END);
    return 0;
}

static void test_load_save_pending(QEMUFile *f, void *opaque,
                                   uint64_t threshold_size,
                                   uint64_t *res_precopy_only,
                                   uint64_t *res_compatible,
                                   uint64_t *res_postcopy_only)
{
    TestLoadState *s = opaque;

    *res_compatible += s->size - s->sent;
}

static bool test_load_has_postcopy(void *opaque)
{
    return true;
}

static int test_load_load(QEMUFile *f, void *opaque, int version_id)
{
    TestLoadState *s = opaque;

    if (version_id != 1) {
        return -EINVAL;
    }
    for (;;) {
        int type = qemu_get_byte(f);
        uint64_t offset;
        uint32_t len;

        if (qemu_file_get_error(f)) {
            return qemu_file_get_error(f);
        }
        switch (type) {
        case TEST_LOAD_END:
            return 0;
        case TEST_LOAD_SIZE:
            s->size = qemu_get_be64(f);
            s->received = 0;
            break;
        case TEST_LOAD_DATA:
            offset = qemu_get_be64(f);
            len = qemu_get_be32(f);
            if (offset != s->received || len > TEST_LOAD_CHUNK ||
                len > s->size - s->received) {
                error_report("x-test-load: bad chunk at %" PRIu64
                             " (expected %" PRIu64 "), length %" PRIu32,
                             offset, s->received, len);
                return -EINVAL;
            }
            if (qemu_get_buffer(f, s->buf, len) != len) {
                return qemu_file_get_error(f) ?: -EIO;
            }
            /* Framing errors shift the pattern: ends are enough. */
            if (memcmp(s->buf, s->pattern, MIN(len, 64u)) != 0 ||
                memcmp(s->buf + len - MIN(len, 64u),
                       s->pattern + len - MIN(len, 64u),
                       MIN(len, 64u)) != 0) {
                error_report("x-test-load: corrupted chunk at %" PRIu64,
                             offset);
                return -EINVAL;
            }
            s->received += len;
            break;
        case TEST_LOAD_DONE:
            if (s->received != s->size) {
                error_report("x-test-load: received %" PRIu64 " of %"
                             PRIu64 " bytes", s->received, s->size);
                return -EINVAL;
            }
            break;
        default:
            error_report("x-test-load: unknown record %d", type);
            return -EINVAL;
        }
    }
}

static SaveVMHandlers savevm_test_load_handlers = {
    .save_setup = test_load_save_setup,
    .save_live_iterate = test_load_save_iterate,
    .save_live_complete_precopy = test_load_save_complete,
    .save_live_complete_postcopy = test_load_save_complete,
    .save_live_pending = test_load_save_pending,
    .has_postcopy = test_load_has_postcopy,
    .load_state = test_load_load,
};

void test_load_mig_init(void)
{
    const char *env = g_getenv("MINIVMM_MIGRATION_TEST_LOAD");
    uint64_t size;

    if (!env) {
        return;
    }
    if (qemu_strtosz(env, NULL, &size) < 0) {
        error_report("MINIVMM_MIGRATION_TEST_LOAD: invalid size '%s'", env);
        exit(1);
    }
    test_load.size = size;
    test_load.pattern = g_malloc(TEST_LOAD_CHUNK);
    test_load.buf = g_malloc(TEST_LOAD_CHUNK);
    for (size_t i = 0; i < TEST_LOAD_CHUNK; i++) {
        test_load.pattern[i] = (uint8_t)(i * 31 + 7 + (i >> 12));
    }
    register_savevm_live("x-test-load", 0, 1, &savevm_test_load_handlers,
                         &test_load);
}
