/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the savevm framing: QEMU 7.2 streams, round trips, errors. */
#include "qemu/osdep.h"
#include <sys/socket.h>
#include "qapi/error.h"
#include "qemu/main-loop.h"
#include "sysemu/runstate.h"
#include "migration/misc.h"
#include "migration/register.h"
#include "migration/vmstate.h"
#include "migration/global_state.h"
#include "migration/migration.h"
#include "migration/qemu-file.h"
#include "migration/savevm.h"
#include "migration-test-util.h"
#include "stream-builder.h"

/* Reference streams captured from QEMU 7.2 (tests/data/streams). */
#define STREAMS_DIR SRC_ROOT "/tests/data/streams"

/*
 * A checker that stands in for the dirty-bitmap module when it is not
 * linked: it parses the section grammar (migration-stream.md section 4)
 * and counts chunks, so that the framing of every real stream is walked.
 */
typedef struct DbmCounts {
    int sections;
    int start;
    int bits;
    int complete;
} DbmCounts;

static DbmCounts dbm_counts;
static bool dbm_checker_used;

static int dbm_checker_load(QEMUFile *f, void *opaque, int version_id)
{
    char name[256];
    uint32_t flags;

    dbm_checker_used = true;
    if (version_id != 1) {
        return -EINVAL;
    }
    dbm_counts.sections++;
    do {
        flags = qemu_get_byte(f);
        if (flags & 0x80) {
            flags = flags << 8 | qemu_get_byte(f);
            if (flags & 0x80) {
                flags = flags << 16 | qemu_get_be16(f);
            }
        }
        if ((flags & 0x08) && !qemu_get_counted_string(f, name)) {
            return -EINVAL;
        }
        if ((flags & 0x04) && !qemu_get_counted_string(f, name)) {
            return -EINVAL;
        }
        if (flags & 0x10) {
            qemu_get_be32(f);
            qemu_get_byte(f);
            dbm_counts.start++;
        } else if (flags & 0x20) {
            dbm_counts.complete++;
        } else if (flags & 0x40) {
            qemu_get_be64(f);
            qemu_get_be32(f);
            if (!(flags & 0x02)) {
                uint64_t size = qemu_get_be64(f);
                uint8_t buf[1024];

                if (size > 10240) {
                    return -EINVAL;
                }
                while (size > 0 && !qemu_file_get_error(f)) {
                    size_t n = MIN(size, sizeof(buf));

                    qemu_get_buffer(f, buf, n);
                    size -= n;
                }
            }
            dbm_counts.bits++;
        }
        if (qemu_file_get_error(f)) {
            return qemu_file_get_error(f);
        }
    } while (!(flags & 0x01));
    return 0;
}

static bool dbm_checker_has_postcopy(void *opaque)
{
    return true;
}

static SaveVMHandlers dbm_checker_handlers = {
    .load_state = dbm_checker_load,
    .has_postcopy = dbm_checker_has_postcopy,
};

static char *stream_path(const char *name)
{
    return g_build_filename(STREAMS_DIR, name, NULL);
}

static bool streams_available(void)
{
    g_autofree char *p = stream_path("CAPTURES.txt");

    if (!g_file_test(p, G_FILE_TEST_EXISTS)) {
        g_test_skip("reference streams not found at " STREAMS_DIR);
        return false;
    }
    return true;
}

/* Feeds a stream into a socket, then collects the return path. */
typedef struct Feeder {
    int fd;
    const uint8_t *data;
    size_t len;
    GByteArray *reply;
} Feeder;

static gpointer feeder_thread(gpointer opaque)
{
    Feeder *fd = opaque;
    size_t done = 0;
    uint8_t buf[4096];
    ssize_t n;

    while (done < fd->len) {
        n = write(fd->fd, fd->data + done, fd->len - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        done += n;
    }
    shutdown(fd->fd, SHUT_WR);
    while ((n = read(fd->fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            break;
        }
        g_byte_array_append(fd->reply, buf, n);
    }
    close(fd->fd);
    return NULL;
}

static void reset_incoming(void)
{
    MigrationIncomingState *mis = migration_incoming_get_current();

    savevm_state_reset_for_test();
    mis->state = MIGRATION_STATUS_NONE;
    mis->have_listen_thread = false;
    memset(&dbm_counts, 0, sizeof(dbm_counts));
    runstate_set(RUN_STATE_INMIGRATE);
}

/*
 * Load @len bytes through a socket as the destination does (main loader,
 * then the postcopy listen thread and the RUN bottom half if the stream
 * switches to postcopy).  Returns the loader's result; *@reply receives
 * what the destination sent back on the return path.
 */
/* The message of the last failed load_stream(), or NULL. */
static char *last_load_error;

static int load_stream(const uint8_t *data, size_t len, GByteArray **reply)
{
    MigrationIncomingState *mis = migration_incoming_get_current();
    Error *err = NULL;
    int sv[2];
    Feeder feeder;
    GThread *t;
    QEMUFile *f;
    int ret;

    reset_incoming();
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                    ==, 0);
    feeder = (Feeder) {
        .fd = sv[0], .data = data, .len = len, .reply = g_byte_array_new(),
    };
    t = g_thread_new("feeder", feeder_thread, &feeder);
    f = qemu_file_new_fd_input(sv[1]);
    mis->from_src_file = f;
    mis->state = MIGRATION_STATUS_ACTIVE;

    ret = qemu_loadvm_state(f, &err);
    /* Every failure, and only a failure, comes with its Error. */
    g_assert_cmpint(ret < 0, ==, err != NULL);
    g_free(last_load_error);
    last_load_error = err ? g_strdup(error_get_pretty(err)) : NULL;
    error_free(err);
    if (mis->have_listen_thread) {
        g_assert_cmpint(ret, >=, 0);
        mig_test_finish_postcopy(mis);
        g_assert_cmpint(mis->state, ==, MIGRATION_STATUS_COMPLETED);
        g_assert_null(mis->from_src_file);
    } else {
        migration_incoming_state_destroy();
    }
    g_thread_join(t);
    if (reply) {
        *reply = feeder.reply;
    } else {
        g_byte_array_unref(feeder.reply);
    }
    return ret;
}

static int load_file(const char *name, GByteArray **reply)
{
    g_autofree char *path = stream_path(name);
    g_autofree char *data = NULL;
    gsize len;

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    return load_stream((const uint8_t *)data, len, reply);
}

static void check_dbm_counts(int sections, int start, int bits, int complete)
{
    if (!dbm_checker_used) {
        return; /* the real module loaded the section */
    }
    g_assert_cmpint(dbm_counts.sections, ==, sections);
    g_assert_cmpint(dbm_counts.start, ==, start);
    g_assert_cmpint(dbm_counts.bits, ==, bits);
    g_assert_cmpint(dbm_counts.complete, ==, complete);
}

static void test_walk_precopy_2bitmaps(void)
{
    if (!streams_available()) {
        return;
    }
    g_assert_cmpint(load_file("precopy_2bitmaps.bin", NULL), ==, 0);
    check_dbm_counts(2, 2, 34, 2);
    g_assert_true(global_state_received());
    g_assert_cmpint(global_state_get_runstate(), ==, RUN_STATE_RUNNING);
}

static void test_walk_precopy_odd_size(void)
{
    if (!streams_available()) {
        return;
    }
    g_assert_cmpint(load_file("precopy_odd_size.bin", NULL), ==, 0);
    check_dbm_counts(2, 1, 1, 1);
}

static void test_walk_precopy_nobitmaps(void)
{
    if (!streams_available()) {
        return;
    }
    g_assert_cmpint(load_file("precopy_nobitmaps.bin", NULL), ==, 0);
    check_dbm_counts(1, 0, 0, 0);
}

static void test_walk_precopy_cfgsubs(void)
{
    MigrationState *s = migrate_get_current();

    if (!streams_available()) {
        return;
    }
    /* The source validated x-ignore-shared: it must match here. */
    g_assert_cmpint(load_file("precopy_cfgsubs.bin", NULL), ==, -EINVAL);
    s->enabled_capabilities[MIGRATION_CAPABILITY_X_IGNORE_SHARED] = true;
    g_assert_cmpint(load_file("precopy_cfgsubs.bin", NULL), ==, 0);
    s->enabled_capabilities[MIGRATION_CAPABILITY_X_IGNORE_SHARED] = false;
}

static void test_walk_postcopy(void)
{
    GByteArray *reply;

    if (!streams_available()) {
        return;
    }
    /* The module handles one incoming VM start per process. */
    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, 0);
        g_test_trap_assert_passed();
        return;
    }
    migrate_get_current()->enabled_capabilities[
        MIGRATION_CAPABILITY_DIRTY_BITMAPS] = true;
    g_assert_cmpint(load_file("postcopy.s2d.bin", &reply), >=, 0);
    check_dbm_counts(3, 2, 34, 2);
    /* No return path without the return-path capability. */
    g_assert_cmpuint(reply->len, ==, 0);
    g_byte_array_unref(reply);
}

static void test_walk_postcopy_rp(void)
{
    static const uint8_t expect[] = {
        0x00, 0x02, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01,   /* PONG 1 */
        0x00, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,   /* SHUT 0 */
    };
    GByteArray *reply;

    if (!streams_available()) {
        return;
    }
    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, 0);
        g_test_trap_assert_passed();
        return;
    }
    g_assert_cmpint(load_file("postcopy_rp.s2d.bin", &reply), >=, 0);
    check_dbm_counts(3, 2, 34, 2);
    /* Byte for byte what QEMU 7.2 answered (postcopy_rp.d2s.bin). */
    g_assert_cmpmem(reply->data, reply->len, expect, sizeof(expect));
    g_byte_array_unref(reply);
}

/* Round trip with a live handler and a vmstate device. */

typedef struct TestLive {
    uint32_t chunks_left;    /* PARTs still to send */
    uint32_t loaded;         /* payload words received */
    bool setup_seen;
    bool complete_seen;
} TestLive;

static TestLive test_live_src, test_live_dst;

static int test_live_save_setup(QEMUFile *f, void *opaque)
{
    TestLive *t = opaque;

    qemu_put_be32(f, 0x5e7u);
    t->chunks_left = 3;
    return 0;
}

static int test_live_save_iterate(QEMUFile *f, void *opaque)
{
    TestLive *t = opaque;

    qemu_put_be32(f, t->chunks_left);
    t->chunks_left--;
    return t->chunks_left == 0;
}

static int test_live_save_complete(QEMUFile *f, void *opaque)
{
    qemu_put_be32(f, 0xe4du);
    return 0;
}

static void test_live_save_pending(QEMUFile *f, void *opaque,
                                   uint64_t threshold_size,
                                   uint64_t *res_precopy_only,
                                   uint64_t *res_compatible,
                                   uint64_t *res_postcopy_only)
{
    TestLive *t = opaque;

    *res_precopy_only += t->chunks_left;
}

static int test_live_load(QEMUFile *f, void *opaque, int version_id)
{
    TestLive *t = opaque;
    uint32_t v = qemu_get_be32(f);

    if (version_id != 7) {
        return -EINVAL;
    }
    if (v == 0x5e7u) {
        t->setup_seen = true;
    } else if (v == 0xe4du) {
        t->complete_seen = true;
    } else {
        t->loaded++;
    }
    return qemu_file_get_error(f);
}

static SaveVMHandlers test_live_handlers = {
    .save_setup = test_live_save_setup,
    .save_live_iterate = test_live_save_iterate,
    .save_live_complete_precopy = test_live_save_complete,
    .save_live_pending = test_live_save_pending,
    .load_state = test_live_load,
};

typedef struct TestDev {
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int64_t i64;
    bool b;
    uint8_t buf[5];
    uint32_t sub_value;   /* in subsection "test-dev/sub" */
    bool sub_needed;
} TestDev;

static TestDev test_dev;

static bool test_dev_sub_needed(void *opaque)
{
    return ((TestDev *)opaque)->sub_needed;
}

static const VMStateDescription vmstate_test_dev_sub = {
    .name = "test-dev/sub",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = test_dev_sub_needed,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32(sub_value, TestDev),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_test_dev = {
    .name = "test-dev",
    .version_id = 3,
    .minimum_version_id = 2,
    .fields = (VMStateField[]) {
        VMSTATE_UINT8(u8, TestDev),
        VMSTATE_UINT16(u16, TestDev),
        VMSTATE_UINT32(u32, TestDev),
        VMSTATE_UINT64_V(u64, TestDev, 3),
        VMSTATE_INT64(i64, TestDev),
        VMSTATE_BOOL(b, TestDev),
        VMSTATE_BUFFER(buf, TestDev),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *[]) {
        &vmstate_test_dev_sub,
        NULL
    },
};

/* Write a whole precopy stream as the migration thread does. */
static GByteArray *save_precopy_stream(void)
{
    QEMUFile *f = qemu_file_new_buffer_output();
    uint64_t pre, compat, post;
    const uint8_t *data;
    size_t len;
    GByteArray *out = g_byte_array_new();

    runstate_set(RUN_STATE_RUNNING);
    global_state_store();
    qemu_savevm_state_header(f);
    qemu_savevm_state_setup(f);
    for (int i = 0; i < 100; i++) {
        qemu_savevm_state_pending(f, 0, &pre, &compat, &post);
        if (!(pre + compat + post)) {
            break;
        }
        qemu_savevm_state_iterate(f, false);
    }
    g_assert_cmpint(qemu_savevm_state_complete_precopy(f, false, false), ==,
                    0);
    data = qemu_file_buffer_contents(f, &len);
    g_byte_array_append(out, data, len);
    qemu_fclose(f);
    qemu_savevm_state_cleanup();
    return out;
}

static void test_roundtrip(void)
{
    GByteArray *stream;
    uint8_t *vmdesc;
    size_t eof_pos;

    register_savevm_live("test-live", 0, 7, &test_live_handlers,
                         &test_live_src);
    vmstate_register(NULL, 0, &vmstate_test_dev, &test_dev);
    test_dev = (TestDev) {
        .u8 = 0x12, .u16 = 0x3456, .u32 = 0x789abcde,
        .u64 = 0x0102030405060708ULL, .i64 = -5, .b = true,
        .buf = { 1, 2, 3, 4, 5 }, .sub_value = 0xfeedu, .sub_needed = true,
    };
    stream = save_precopy_stream();
    g_assert_nonnull(memmem(stream->data, stream->len, "test-dev/sub", 12));

    /* Load into the same registry with the "destination" view. */
    unregister_savevm(NULL, "test-live", &test_live_src);
    register_savevm_live("test-live", 0, 7, &test_live_handlers,
                         &test_live_dst);
    memset(&test_dev, 0, sizeof(test_dev));
    g_assert_cmpint(load_stream(stream->data, stream->len, NULL), ==, 0);
    g_assert_true(test_live_dst.setup_seen);
    g_assert_true(test_live_dst.complete_seen);
    g_assert_cmpuint(test_live_dst.loaded, ==, 3);
    g_assert_cmpuint(test_dev.u8, ==, 0x12);
    g_assert_cmpuint(test_dev.u16, ==, 0x3456);
    g_assert_cmpuint(test_dev.u32, ==, 0x789abcde);
    g_assert_cmpuint(test_dev.u64, ==, 0x0102030405060708ULL);
    g_assert_cmpint(test_dev.i64, ==, -5);
    g_assert_true(test_dev.b);
    g_assert_cmpuint(test_dev.buf[4], ==, 5);
    g_assert_cmpuint(test_dev.sub_value, ==, 0xfeedu);

    /*
     * Every truncation fails cleanly; every single-byte corruption either
     * loads or fails, never crashes or hangs.
     */
    vmdesc = memmem(stream->data, stream->len, "{\"page_size\"", 12);
    g_assert_nonnull(vmdesc);
    /* EOF, then 0x06 and a be32 length before the JSON. */
    eof_pos = vmdesc - stream->data - 6;
    g_assert_cmpuint(stream->data[eof_pos], ==, 0);
    g_assert_cmpuint(stream->data[eof_pos + 1], ==, 0x06);
    for (size_t cut = 0; cut < stream->len; cut += 1 + cut / 64) {
        if (cut <= eof_pos) {
            g_assert_cmpint(load_stream(stream->data, cut, NULL), <, 0);
        } else {
            /* A damaged trailer only earns a message, as in QEMU. */
            g_assert_cmpint(load_stream(stream->data, cut, NULL), ==, 0);
        }
    }
    for (size_t pos = 0; pos < stream->len; pos += 1 + pos / 128) {
        uint8_t saved = stream->data[pos];

        stream->data[pos] ^= 0xa5;
        load_stream(stream->data, stream->len, NULL);
        stream->data[pos] = saved;
    }
    g_byte_array_unref(stream);
    unregister_savevm(NULL, "test-live", &test_live_dst);
    vmstate_unregister(NULL, &vmstate_test_dev, &test_dev);
}

/*
 * Our machine-'none' stream matches QEMU 7.2's precopy_nobitmaps.bin
 * byte for byte, except the timer values.
 */
static void test_compat_nobitmaps(void)
{
    g_autofree char *path = NULL;
    g_autofree char *ref = NULL;
    GByteArray *ours;
    QEMUFile *f;
    const uint8_t *data;
    size_t len, timer_at;
    gsize ref_len;
    bool have_dbm;
    GByteArray *expect;
    /* The dirty-bitmap START section with no bitmap, and timer's header. */
    g_autoptr(GByteArray) dbm_start = g_byte_array_new();
    g_autoptr(GByteArray) timer_hdr = g_byte_array_new();

    sb_section_begin(dbm_start, QEMU_VM_SECTION_START, 3, "dirty-bitmap", 1);
    sb_u8(dbm_start, SB_DBM_EOS);
    sb_section_footer(dbm_start, 3);
    sb_section_begin(timer_hdr, QEMU_VM_SECTION_FULL, 0, "timer", 2);

    if (!streams_available()) {
        return;
    }
    path = stream_path("precopy_nobitmaps.bin");
    g_assert_true(g_file_get_contents(path, &ref, &ref_len, NULL));

    migrate_get_current()->enabled_capabilities[
        MIGRATION_CAPABILITY_DIRTY_BITMAPS] = true;
    runstate_set(RUN_STATE_RUNNING);
    global_state_store();
    f = qemu_file_new_buffer_output();
    /* The module's save_setup takes the BQL itself. */
    qemu_mutex_unlock_iothread();
    qemu_savevm_state_header(f);
    qemu_savevm_send_postcopy_advise(f);
    qemu_savevm_state_setup(f);
    qemu_mutex_lock_iothread();
    g_assert_cmpint(qemu_savevm_state_complete_precopy(f, false, false), ==,
                    0);
    data = qemu_file_buffer_contents(f, &len);
    ours = g_byte_array_new();
    g_byte_array_append(ours, data, len);
    qemu_fclose(f);
    qemu_mutex_unlock_iothread();
    qemu_savevm_state_cleanup();
    qemu_mutex_lock_iothread();

    /* Without the module linked there is no dirty-bitmap section. */
    have_dbm = memmem(ours->data, ours->len, "dirty-bitmap", 12) != NULL;
    expect = g_byte_array_new();
    g_byte_array_append(expect, (uint8_t *)ref, ref_len);
    if (!have_dbm) {
        uint8_t *p = memmem(expect->data, expect->len, dbm_start->data,
                            dbm_start->len);

        g_assert_nonnull(p);
        g_byte_array_remove_range(expect, p - expect->data, dbm_start->len);
    }
    g_assert_cmpuint(ours->len, ==, expect->len);
    /* Copy our 24 timer payload bytes over the reference's. */
    timer_at = (uint8_t *)memmem(expect->data, expect->len, timer_hdr->data,
                                 timer_hdr->len) - expect->data;
    g_assert_cmpmem(ours->data + timer_at, timer_hdr->len,
                    timer_hdr->data, timer_hdr->len);
    memcpy(expect->data + timer_at + timer_hdr->len,
           ours->data + timer_at + timer_hdr->len, 24);
    g_assert_cmpmem(ours->data, ours->len, expect->data, expect->len);
    g_byte_array_unref(ours);
    g_byte_array_unref(expect);
    migrate_get_current()->enabled_capabilities[
        MIGRATION_CAPABILITY_DIRTY_BITMAPS] = false;
}

/* Hand-made streams with one defect each (migration-stream.md 6). */

static int load_hex(const char *machine, const char *hex)
{
    g_autoptr(GByteArray) b = sb_stream_new(machine);

    sb_hex(b, hex);
    return load_stream(b->data, b->len, NULL);
}

static void test_errors_header(void)
{
    static const uint8_t bad_magic[] = { 'Q', 'E', 'V', 'X', 0, 0, 0, 3 };
    static const uint8_t v2[] = { 'Q', 'E', 'V', 'M', 0, 0, 0, 2 };
    static const uint8_t v4[] = { 'Q', 'E', 'V', 'M', 0, 0, 0, 4 };
    static const uint8_t nocfg[] = { 'Q', 'E', 'V', 'M', 0, 0, 0, 3, 0 };

    g_assert_cmpint(load_stream(bad_magic, sizeof(bad_magic), NULL), ==,
                    -EINVAL);
    g_assert_cmpint(load_stream(v2, sizeof(v2), NULL), ==, -ENOTSUP);
    g_assert_cmpint(load_stream(v4, sizeof(v4), NULL), ==, -ENOTSUP);
    g_assert_cmpint(load_stream(nocfg, sizeof(nocfg), NULL), ==, -EINVAL);
    g_assert_cmpint(load_stream(NULL, 0, NULL), <, 0);
    /* Machine names: prefix compare, as QEMU 7.2. */
    g_assert_cmpint(load_hex("pc", "00"), ==, -EINVAL);
    g_assert_cmpint(load_hex("no", "00"), ==, 0);
    g_assert_cmpint(load_hex("", "00"), ==, 0);
    g_assert_cmpint(load_hex("none", "00"), ==, 0);
}

static void test_errors_sections(void)
{
    GByteArray *b;

    /* Unknown idstr. */
    b = sb_stream_new("none");
    sb_section_begin(b, QEMU_VM_SECTION_FULL, 9, "nosuchdevice", 1);
    sb_section_footer(b, 9);
    sb_eof(b);
    g_assert_cmpint(load_stream(b->data, b->len, NULL), ==, -EINVAL);
    g_byte_array_unref(b);

    /* globalstate version 2 > 1. */
    b = sb_stream_new("none");
    sb_section_begin(b, QEMU_VM_SECTION_FULL, 4, "globalstate", 2);
    g_assert_cmpint(load_stream(b->data, b->len, NULL), ==, -EINVAL);
    g_byte_array_unref(b);

    /* timer version 0 < minimum 1. */
    b = sb_stream_new("none");
    sb_section_begin(b, QEMU_VM_SECTION_FULL, 0, "timer", 0);
    g_assert_cmpint(load_stream(b->data, b->len, NULL), ==, -EINVAL);
    g_byte_array_unref(b);

    /* timer version 1 (16 bytes) accepted; then footer missing. */
    b = sb_stream_new("none");
    sb_section_begin(b, QEMU_VM_SECTION_FULL, 0, "timer", 1);
    sb_hex(b, "00 00 00 00 00 00 00 05 00 00 00 00 00 00 00 00");
    sb_section_footer(b, 0);
    sb_eof(b);
    g_assert_cmpint(load_stream(b->data, b->len, NULL), ==, 0);
    b->data[b->len - 6] = 0x7d;
    g_assert_cmpint(load_stream(b->data, b->len, NULL), ==, -EINVAL);
    /* Mismatched footer id. */
    b->data[b->len - 6] = 0x7e;
    b->data[b->len - 2] = 0x01;
    g_assert_cmpint(load_stream(b->data, b->len, NULL), ==, -EINVAL);
    g_byte_array_unref(b);

    /* PART for a section never started: id 7 matches nothing. */
    g_assert_cmpint(load_hex("none", "02 00 00 00 07 00"), ==, -EINVAL);
    /* Unknown element types, including subsection at top level. */
    g_assert_cmpint(load_hex("none", "09"), ==, -EINVAL);
    g_assert_cmpint(load_hex("none", "05 00"), ==, -EINVAL);
    g_assert_cmpint(load_hex("none", "7e"), ==, -EINVAL);
    /* globalstate with an unknown runstate. */
    b = sb_stream_new("none");
    sb_section_begin(b, QEMU_VM_SECTION_FULL, 4, "globalstate", 1);
    sb_hex(b, "00 00 00 07");
    sb_bytes(b, "flying", 6);
    for (int i = 6; i < 100; i++) {
        sb_hex(b, "00");
    }
    sb_section_footer(b, 4);
    sb_eof(b);
    g_assert_cmpint(load_stream(b->data, b->len, NULL), ==, -EINVAL);
    /* ... and a name with no NUL at all. */
    memset(b->data + b->len - 106, 'x', 100);
    g_assert_cmpint(load_stream(b->data, b->len, NULL), ==, -EINVAL);
    g_byte_array_unref(b);
}

static void assert_load_error(const char *text);

static void test_errors_commands(void)
{
    /* Unknown command, bad lengths, PING without return path. */
    g_assert_cmpint(load_hex("none", "08 00 0b 00 00 00"), ==, -EINVAL);
    g_assert_cmpint(load_hex("none", "08 00 00 00 00 00"), ==, -EINVAL);
    g_assert_cmpint(load_hex("none", "08 00 04 00 02 00 00 00"), ==,
                    -ERANGE);
    g_assert_cmpint(load_hex("none", "08 00 02 00 04 00 00 00 07 00"), ==,
                    -1);
    /* ADVISE: 0 bytes is fine (even twice is refused), 16 needs RAM. */
    g_assert_cmpint(load_hex("none", "08 00 03 00 00 00"), ==, 0);
    g_assert_cmpint(load_hex("none", "08 00 03 00 00 08 00 03 00 00 00"),
                    ==, -1);
    g_assert_cmpint(load_hex("none", "08 00 03 00 10 "
                             "00 00 00 00 00 00 10 00 "
                             "00 00 00 00 00 00 10 00 00"), ==, -EINVAL);
    /* With postcopy-ram: 16 bytes, sizes as ours (0, 4096); not 0 bytes. */
    migrate_get_current()->enabled_capabilities[
        MIGRATION_CAPABILITY_POSTCOPY_RAM] = true;
    g_assert_cmpint(load_hex("none", "08 00 03 00 10 "
                             "00 00 00 00 00 00 00 00 "
                             "00 00 00 00 00 00 10 00 00"), ==, 0);
    g_assert_cmpint(load_hex("none", "08 00 03 00 00 00"), ==, -EINVAL);
    assert_load_error("RAM postcopy is enabled but have 0 byte advise");
    g_assert_cmpint(load_hex("none", "08 00 03 00 10 "
                             "00 00 00 00 00 00 10 00 "
                             "00 00 00 00 00 00 10 00 00"), ==, -EINVAL);
    assert_load_error("Postcopy needs matching RAM page sizes (s=1000 d=0)");
    g_assert_cmpint(load_hex("none", "08 00 03 00 10 "
                             "00 00 00 00 00 00 00 00 "
                             "00 00 00 00 00 01 00 00 00"), ==, -EINVAL);
    assert_load_error("Postcopy needs matching target page sizes "
                      "(s=65536 d=4096)");
    g_assert_cmpint(load_hex("none", "08 00 03 00 10 00 00 00"), <, 0);
    migrate_get_current()->enabled_capabilities[
        MIGRATION_CAPABILITY_POSTCOPY_RAM] = false;
    /* LISTEN and RUN out of order or outside a package. */
    g_assert_cmpint(load_hex("none", "08 00 04 00 00 00"), ==, -1);
    g_assert_cmpint(load_hex("none", "08 00 03 00 00 08 00 04 00 00 00"),
                    ==, -1);
    g_assert_cmpint(load_hex("none", "08 00 05 00 00 00"), ==, -1);
    /* A package announcing 4 GiB with 3 bytes behind it. */
    g_assert_cmpint(load_hex("none", "08 00 07 00 04 ff ff ff ff 00 00 00"),
                    <, 0);
    /* A package whose content is broken, and one that is fine. */
    g_assert_cmpint(load_hex("none", "08 00 07 00 04 00 00 00 01 09 00"),
                    ==, -EINVAL);
    g_assert_cmpint(load_hex("none", "08 00 07 00 04 00 00 00 01 00 00"),
                    ==, 0);
    /* A package with LISTEN but no RUN may not give the stream away. */
    g_assert_cmpint(load_hex("none", "08 00 03 00 00 "
                             "08 00 07 00 04 00 00 00 05 08 00 04 00 00 00"),
                    <, 0);
    /* Unsupported RAM/COLO/recovery commands. */
    g_assert_cmpint(load_hex("none", "08 00 06 00 00 00"), <, 0);
    g_assert_cmpint(load_hex("none", "08 00 08 00 00 00"), <, 0);
}

/* Assert that the last load failed with a message holding @text. */
static void assert_load_error(const char *text)
{
    g_assert_nonnull(last_load_error);
    if (!strstr(last_load_error, text)) {
        g_error("load error '%s' lacks '%s'", last_load_error, text);
    }
}

static void test_errors_messages(void)
{
    GByteArray *b = sb_stream_new("none");

    sb_section_begin(b, QEMU_VM_SECTION_FULL, 9, "nosuchdevice", 1);
    load_stream(b->data, b->len, NULL);
    assert_load_error("Unknown savevm section or instance 'nosuchdevice' 0. "
                      "Make sure that your current VM setup matches your "
                      "saved VM setup, including any hotplugged devices");
    g_byte_array_unref(b);
    load_hex("pc", "00");
    assert_load_error("Machine type received is 'pc' and local is 'none'");
    load_hex("none", "08 00 0b 00 00 00");
    assert_load_error("MIG_CMD 0xb unknown (len 0x0)");
    load_hex("none", "08 00 04 00 02 00 00 00");
    assert_load_error("POSTCOPY_LISTEN received with bad length - "
                      "expecting 0, got 2");
    load_hex("none", "08 00 02 00 04 00 00 00 07 00");
    assert_load_error("CMD_PING (0x7) received with no return path");
    b = sb_stream_new("none");
    sb_section_begin(b, QEMU_VM_SECTION_FULL, 0, "timer", 1);
    sb_hex(b, "00 00 00 00 00 00 00 05 00 00 00 00 00 00 00 00");
    sb_eof(b);          /* where the footer belongs */
    load_stream(b->data, b->len, NULL);
    assert_load_error("Missing section footer for timer");
    g_byte_array_unref(b);
}

static void test_vmdesc_missing(void)
{
    if (g_test_subprocess()) {
        /* EOF and nothing after it: accepted with a message. */
        g_assert_cmpint(load_hex("none", "00"), ==, 0);
        return;
    }
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("*Expected vmdescription section, but got 0*");
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    g_test_init(&argc, &argv, NULL);
    qemu_init_main_loop(&error_abort);
    qemu_mutex_lock_iothread();
    migration_object_init();
    /* After the module's registration: a no-op if it is linked. */
    register_savevm_live("dirty-bitmap", 0, 1, &dbm_checker_handlers, NULL);

    g_test_add_func("/savevm/compat/nobitmaps", test_compat_nobitmaps);
    g_test_add_func("/savevm/stream/precopy-2bitmaps",
                    test_walk_precopy_2bitmaps);
    g_test_add_func("/savevm/stream/precopy-odd-size",
                    test_walk_precopy_odd_size);
    g_test_add_func("/savevm/stream/precopy-nobitmaps",
                    test_walk_precopy_nobitmaps);
    g_test_add_func("/savevm/stream/precopy-cfgsubs",
                    test_walk_precopy_cfgsubs);
    g_test_add_func("/savevm/stream/postcopy", test_walk_postcopy);
    g_test_add_func("/savevm/stream/postcopy-rp", test_walk_postcopy_rp);
    g_test_add_func("/savevm/errors/header", test_errors_header);
    g_test_add_func("/savevm/errors/sections", test_errors_sections);
    g_test_add_func("/savevm/errors/commands", test_errors_commands);
    g_test_add_func("/savevm/errors/messages", test_errors_messages);
    g_test_add_func("/savevm/errors/vmdesc-missing", test_vmdesc_missing);
    g_test_add_func("/savevm/roundtrip/precopy", test_roundtrip);
    return g_test_run();
}
