/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Live bitmap data in precopy, its wire variants, and QEMU 7.2 peers. */

/*
 * What our module sends that QEMU 7.2's never did, each checked against
 * a minivmm and a QEMU 7.2 ($DBM_PEER_QEMU, default
 * /usr/bin/qemu-system-x86_64; those cases are skipped if it is absent)
 * destination:
 *   - BITS chunks in precopy PART sections, while the source runs and a
 *     writer dirties the bitmaps; the destination ends with the source's
 *     bitmaps as they were at the switch-over (the source is stopped
 *     after it, so its sha256 is that state);
 *   - a chunk sent again once written after it went, clean chunks left
 *     out, buffers without padding (a stream saved to a file, parsed
 *     here, then loaded by both destinations);
 *   - coalesced ZEROES, one chunk over several 1 KiB chunks, also over a
 *     range sent before with data (a hand-made stream);
 *   - postcopy after part of the data went live.
 * And the migration thread does not spin while precopy cannot converge.
 * QEMU 7.2 as a source is covered by dbm-migration-test and the
 * captures (dbm-streams-test).  Not in suite 'dbm': QEMU 7.2's module
 * sends none of this.
 */

#include "qemu/osdep.h"
#include <glib/gstdio.h>
#include "dbm-common.h"
#include "migration-relay.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define DISK (64 * GIB)
#define DRIVE "-blockdev driver=null-co,node-name=drive0,size=68719476736"
#define MAX_BITMAPS 4

/* Sectors one 1 KiB chunk covers at 64 KiB granularity. */
#define CHUNK_SECTORS_64K (8192 * 128)

typedef struct Bitmap {
    const char *name;
    uint64_t gran;
    bool disabled;
} Bitmap;

/* The bitmaps of the live tests: fine-grained ones make the data. */
static const Bitmap live_bitmaps[] = {
    { "b-64k", 64 * 1024, false },
    { "b-512", 512, false },
    { "b-4k-off", 4096, true },
};

static const char *peer_qemu(void)
{
    const char *peer = g_getenv("DBM_PEER_QEMU");

    return peer ? peer : "/usr/bin/qemu-system-x86_64";
}

static bool peer_missing(void)
{
    if (access(peer_qemu(), X_OK) == 0) {
        return false;
    }
    g_test_skip("QEMU 7.2 not installed (DBM_PEER_QEMU)");
    return true;
}

/* A VM of minivmm, or with @peer of QEMU 7.2. */
static QTestState *vm_start(bool peer, bool incoming)
{
    g_autofree char *saved = g_strdup(g_getenv("MINIVMM_BINARY"));
    QTestState *s;

    if (peer) {
        g_setenv("MINIVMM_BINARY", peer_qemu(), true);
    }
    s = incoming ? dbm_vm_start_incoming(DRIVE) : dbm_vm_start(DRIVE);
    if (saved) {
        g_setenv("MINIVMM_BINARY", saved, true);
    } else {
        g_unsetenv("MINIVMM_BINARY");
    }
    mig_set_caps(s, "events,dirty-bitmaps");
    return s;
}

/* qemu-io write through HMP; false if the node refused it (inactive). */
static bool try_write(QTestState *s, uint64_t off, uint64_t len)
{
    g_autofree char *out = qtest_hmp(s, "qemu-io drive0 \"write -z %"
                                     PRIu64 " %" PRIu64 "\"", off, len);

    return !strstr(out, "error") && !strstr(out, "read-only");
}

static void add_bitmaps(QTestState *s, const Bitmap *b, int n)
{
    for (int i = 0; i < n; i++) {
        mig_bitmap_add(s, "drive0", b[i].name, b[i].gran, false);
    }
}

static void disable_bitmaps(QTestState *s, const Bitmap *b, int n)
{
    for (int i = 0; i < n; i++) {
        if (b[i].disabled) {
            qtest_qmp_assert_success(s, "{\"execute\": "
                "\"block-dirty-bitmap-disable\", \"arguments\": "
                "{\"node\": \"drive0\", \"name\": \"%s\"}}", b[i].name);
        }
    }
}

/* Each bitmap of @dst equals the source's, recording state included. */
static void assert_same_bitmaps(QTestState *src, QTestState *dst,
                                const Bitmap *b, int n)
{
    for (int i = 0; i < n; i++) {
        g_autofree char *want = mig_bitmap_sha256(src, "drive0", b[i].name);
        g_autofree char *got = mig_bitmap_sha256(dst, "drive0", b[i].name);

        g_assert_cmpstr(got, ==, want);
        dbm_assert_bitmap(dst, NULL, "drive0", b[i].name, !b[i].disabled,
                          false, false, b[i].gran);
    }
}

/* The live tests' starting point: 1 GiB dirty, in 1 MiB regions. */
static void dirty_initial(QTestState *s)
{
    for (uint64_t i = 0; i < 1024; i++) {
        g_assert_true(try_write(s, (i * 61 % 4096) * 16 * MIB + 4096 * i,
                                MIB));
    }
}

/*
 * A source with live_bitmaps, dirty, its bandwidth at @bytes_per_s, and a
 * destination (QEMU 7.2 with @peer).  False if that test is skipped.
 */
static bool live_pair(bool peer, uint64_t bytes_per_s, QTestState **src,
                      QTestState **dst)
{
    int n = G_N_ELEMENTS(live_bitmaps);
    g_autofree char *bw = g_strdup_printf("\"max-bandwidth\": %" PRIu64,
                                          bytes_per_s);

    if (peer && peer_missing()) {
        return false;
    }
    *src = vm_start(false, false);
    *dst = vm_start(peer, true);
    add_bitmaps(*src, live_bitmaps, n);
    dirty_initial(*src);
    disable_bitmaps(*src, live_bitmaps, n);
    mig_set_params(*src, bw);
    return true;
}

/*
 * Precopy at the default downtime-limit while this thread keeps writing
 * 4 KiB here and there until the source has stopped.  The bandwidth is
 * held at 4 MiB/s: the live phase lasts a while, and stays above the
 * rate at which HMP writes can dirty the bitmaps (about 60 bytes of
 * bitmap data each), so that precopy converges.  @opaque: QEMU 7.2
 * destination.
 */
static void test_concurrent_writes(gconstpointer opaque)
{
    bool peer = GPOINTER_TO_INT(opaque);
    int n = G_N_ELEMENTS(live_bitmaps);
    QTestState *src, *dst;
    g_autofree char *st = NULL;
    int writes = 0;

    if (!live_pair(peer, 4 * MIB, &src, &dst)) {
        return;
    }

    mig_migrate(src, dst);
    for (uint64_t i = 0; ; i++) {
        g_autofree char *now = mig_query_status(src);

        if (!strcmp(now, "completed") || !strcmp(now, "failed")) {
            break;
        }
        g_assert_cmpuint(i, <, 1000000);
        writes += try_write(src, (i * 7919 % 60000) * MIB + 512 * i,
                            4096);
    }
    st = mig_wait_status(src, "completed");
    g_free(mig_wait_status(dst, "completed"));
    g_assert_cmpint(writes, >, 0);
    assert_same_bitmaps(src, dst, live_bitmaps, n);
    qtest_quit(src);
    qtest_quit(dst);
}

/* ---- A saved stream, parsed ---- */

typedef struct Bits {
    char bitmap[256];
    int section;            /* index among dirty-bitmap sections */
    uint8_t type;           /* START (1), PART (2) or END (3) section */
    uint64_t sector;
    uint32_t nr;
    bool zeroes;
    uint64_t buf_size;
} Bits;

typedef struct Stream {
    uint8_t *data;
    size_t len;
    size_t off;
} Stream;

static uint64_t get_be(Stream *s, int bytes)
{
    uint64_t v = 0;

    g_assert_cmpuint(s->off + bytes, <=, s->len);
    for (int i = 0; i < bytes; i++) {
        v = v << 8 | s->data[s->off++];
    }
    return v;
}

static void get_name(Stream *s, char *buf)
{
    uint8_t len = get_be(s, 1);

    g_assert_cmpuint(s->off + len, <=, s->len);
    memcpy(buf, s->data + s->off, len);
    buf[len] = '\0';
    s->off += len;
}

/* One dirty-bitmap payload: its BITS chunks go to @out. */
static void parse_dbm_payload(Stream *s, int section, uint8_t type,
                              char *cur, GArray *out)
{
    for (;;) {
        uint8_t flags = get_be(s, 1);
        char node[256];

        g_assert_cmpuint(flags & 0x80, ==, 0);
        if (flags & 0x08) {
            get_name(s, node);
        }
        if (flags & 0x04) {
            get_name(s, cur);
        }
        if (flags & 0x10) {
            s->off += 5;
        } else if (flags & 0x20) {
            /* COMPLETE */
        } else if (flags & 0x40) {
            Bits b = { .section = section, .type = type };

            g_strlcpy(b.bitmap, cur, sizeof(b.bitmap));
            b.sector = get_be(s, 8);
            b.nr = get_be(s, 4);
            b.zeroes = flags & 0x02;
            if (!b.zeroes) {
                b.buf_size = get_be(s, 8);
                s->off += b.buf_size;
            }
            g_array_append_val(out, b);
        }
        if (flags & 0x01) {
            return;
        }
    }
}

/*
 * The BITS chunks of the dirty-bitmap sections of the stream in @path
 * (machine none, no RAM: 'ram' payloads are be64 words up to EOS).
 */
static GArray *parse_stream(const char *path)
{
    char *idstr_of[256] = { NULL };
    GArray *out = g_array_new(false, false, sizeof(Bits));
    Stream s = { 0 };
    char cur[256] = "";
    int sections = 0;

    g_assert_true(g_file_get_contents(path, (char **)&s.data, &s.len,
                                      NULL));
    g_assert_cmpuint(get_be(&s, 4), ==, 0x5145564d);
    g_assert_cmpuint(get_be(&s, 4), ==, 3);
    while (s.off < s.len) {
        uint8_t type = get_be(&s, 1);
        uint32_t id;
        char idstr[256];

        if (type == 0x00) {             /* EOF */
            break;
        } else if (type == 0x07) {      /* configuration */
            s.off += get_be(&s, 4);
            continue;
        } else if (type == 0x08) {      /* command */
            get_be(&s, 2);
            s.off += get_be(&s, 2);
            continue;
        }
        id = get_be(&s, 4);
        g_assert_cmpuint(id, <, 256);
        if (type == 0x01 || type == 0x04) {
            get_name(&s, idstr);
            s.off += 8;
            g_free(idstr_of[id]);
            idstr_of[id] = g_strdup(idstr);
        }
        g_assert_nonnull(idstr_of[id]);
        if (!strcmp(idstr_of[id], "dirty-bitmap")) {
            parse_dbm_payload(&s, sections++, type, cur, out);
        } else if (!strcmp(idstr_of[id], "ram")) {
            while (!(get_be(&s, 8) & 0x10)) {
                /* words up to EOS */
            }
        } else if (!strcmp(idstr_of[id], "timer")) {
            s.off += 24;
        } else if (!strcmp(idstr_of[id], "globalstate")) {
            s.off += 104;
        } else {
            g_assert_not_reached();
        }
        g_assert_cmpuint(get_be(&s, 1), ==, 0x7e);
        g_assert_cmpuint(get_be(&s, 4), ==, id);
    }
    g_free(s.data);
    for (int i = 0; i < 256; i++) {
        g_free(idstr_of[i]);
    }
    return out;
}

/* Size of @path, or 0 while it does not exist. */
static uint64_t file_size(const char *path)
{
    GStatBuf st;

    return g_stat(path, &st) == 0 ? st.st_size : 0;
}

/* Load the stream in @path on a fresh destination; compare with @src. */
static void load_file(bool peer, const char *path, QTestState *src,
                      const Bitmap *b, int n)
{
    QTestState *dst;

    if (peer && peer_missing()) {
        return;
    }
    dst = vm_start(peer, true);
    qtest_qmp_assert_success(dst, "{\"execute\": \"migrate-incoming\", "
                             "\"arguments\": {\"uri\": \"exec:cat %s\"}}",
                             path);
    g_free(mig_wait_status(dst, "completed"));
    assert_same_bitmaps(src, dst, b, n);
    qtest_quit(dst);
}

/*
 * A precopy saved to a file with the bandwidth held low: once the first
 * chunk of b-64k has gone, a write lands in it, so it must go again.
 * The file shows BITS in PART sections, that chunk twice, clean chunks
 * left out and unpadded buffers; QEMU 7.2 and minivmm both load it.
 */
static void test_saved_stream(void)
{
    static const Bitmap bm[] = {
        { "b-512", 512, false },
        { "b-64k", 64 * 1024, false },      /* newest: sent first */
    };
    QTestState *src = vm_start(false, false);
    g_autofree char *path = g_strdup_printf("%s/stream.bin",
                                            qtest_tmpdir(src));
    g_autoptr(GArray) bits = NULL;
    uint64_t covered = 0, start_size;
    int first_chunk = 0, in_parts = 0, unpadded = 0;
    gint64 deadline;

    add_bitmaps(src, bm, G_N_ELEMENTS(bm));
    dirty_initial(src);
    mig_set_params(src, "\"max-bandwidth\": 262144");
    qtest_qmp_assert_success(src, "{\"execute\": \"migrate\", \"arguments\": "
                             "{\"uri\": \"exec:cat > %s\"}}", path);

    /* The setup sections and b-64k's first chunks have gone out. */
    start_size = 4096;
    deadline = g_get_monotonic_time() +
               (gint64)qtest_get_default_timeout() * G_USEC_PER_SEC;
    while (file_size(path) < start_size) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_free(mig_query_status(src));
    }
    g_assert_true(try_write(src, 8 * MIB, MIB));
    g_free(mig_wait_status(src, "completed"));

    bits = parse_stream(path);
    for (guint i = 0; i < bits->len; i++) {
        const Bits *b = &g_array_index(bits, Bits, i);

        g_assert_false(b->zeroes);
        covered += (uint64_t)b->nr << 9;
        in_parts += b->type == 2;
        unpadded += b->buf_size % 32 != 0;
        if (!strcmp(b->bitmap, "b-64k") && b->sector < CHUNK_SECTORS_64K) {
            first_chunk++;
        }
    }
    g_assert_cmpint(in_parts, >, 0);
    g_assert_cmpint(first_chunk, >=, 2);
    g_assert_cmpint(unpadded, >, 0);
    /* Only what is dirty: far less than the disks' worth. */
    g_assert_cmpuint(covered, <, DISK / 4);

    load_file(false, path, src, bm, G_N_ELEMENTS(bm));
    load_file(true, path, src, bm, G_N_ELEMENTS(bm));
    qtest_quit(src);
}

/* ---- A hand-made stream with coalesced ZEROES ---- */

static void put_be(GByteArray *a, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--) {
        uint8_t b = v >> (8 * i);

        g_byte_array_append(a, &b, 1);
    }
}

static void put_bytes(GByteArray *a, const char *s, size_t len)
{
    g_byte_array_append(a, (const uint8_t *)s, len);
}

static void put_section(GByteArray *a, uint8_t type, bool named)
{
    put_be(a, type, 1);
    put_be(a, 3, 4);
    if (named) {
        put_bytes(a, "\x0c" "dirty-bitmap", 13);
        put_be(a, 0, 4);
        put_be(a, 1, 4);
    }
}

static void put_footer(GByteArray *a)
{
    put_be(a, 0x7e, 1);
    put_be(a, 3, 4);
}

static void put_bits(GByteArray *a, uint64_t sector, uint32_t nr,
                     bool zeroes, uint8_t fill)
{
    put_be(a, zeroes ? 0x42 : 0x40, 1);
    put_be(a, sector, 8);
    put_be(a, nr, 4);
    if (!zeroes) {
        put_be(a, 1024, 8);
        for (int i = 0; i < 1024; i++) {
            put_be(a, fill, 1);
        }
    }
}

/*
 * bitmap "z" (64 KiB, recording) on 64 GiB: chunks 0 and 2 sent full,
 * then ZEROES over chunks 0-1 at once and over chunks 3 to the end at
 * once.  Only chunk 2 stays set.
 */
static void test_coalesced_zeroes(gconstpointer opaque)
{
    bool peer = GPOINTER_TO_INT(opaque);
    g_autoptr(GByteArray) a = g_byte_array_new();
    const Bitmap z = { "z", 64 * 1024, false };
    DBMOracle *o = dbm_oracle_new(DISK, z.gran, true);
    uint64_t total = DISK >> 9;
    g_autofree char *path = NULL;
    g_autofree char *want = NULL;
    g_autofree char *got = NULL;
    QTestState *dst;

    if (peer && peer_missing()) {
        dbm_oracle_free(o);
        return;
    }
    put_bytes(a, "QEVM\0\0\0\x03" "\x07\0\0\0\x04" "none", 17);
    put_section(a, 0x01, true);
    put_bytes(a, "\x1c\x06" "drive0" "\x01" "z", 10);
    put_be(a, z.gran, 4);
    put_be(a, 1, 1);                    /* ENABLED */
    put_be(a, 0x01, 1);                 /* EOS */
    put_footer(a);
    put_section(a, 0x02, false);
    put_bits(a, 0, CHUNK_SECTORS_64K, false, 0xff);
    put_bits(a, 2 * CHUNK_SECTORS_64K, CHUNK_SECTORS_64K, false, 0xff);
    put_be(a, 0x01, 1);
    put_footer(a);
    put_section(a, 0x03, false);
    put_bits(a, 0, 2 * CHUNK_SECTORS_64K, true, 0);
    put_bits(a, 3 * CHUNK_SECTORS_64K, total - 3 * CHUNK_SECTORS_64K, true,
             0);
    put_be(a, 0x20, 1);                 /* COMPLETE */
    put_be(a, 0x01, 1);
    put_footer(a);
    put_be(a, 0x00, 1);                 /* EOF */

    dbm_oracle_write(o, 2 * 512 * MIB, 512 * MIB, true);
    want = dbm_oracle_sha256(o);
    dst = vm_start(peer, true);
    path = g_strdup_printf("%s/zeroes.bin", qtest_tmpdir(dst));
    g_assert_true(g_file_set_contents(path, (const char *)a->data, a->len,
                                      NULL));
    qtest_qmp_assert_success(dst, "{\"execute\": \"migrate-incoming\", "
                             "\"arguments\": {\"uri\": \"exec:cat %s\"}}",
                             path);
    g_free(mig_wait_status(dst, "completed"));
    got = mig_bitmap_sha256(dst, "drive0", "z");
    g_assert_cmpstr(got, ==, want);
    dbm_assert_bitmap(dst, NULL, "drive0", "z", true, false, false, z.gran);
    dbm_oracle_free(o);
    qtest_quit(dst);
}

/*
 * Postcopy requested once part of the data went live: the rest, and
 * what was written meanwhile, goes after the switch.  @opaque: QEMU 7.2
 * destination.
 */
static void test_postcopy_after_live(gconstpointer opaque)
{
    bool peer = GPOINTER_TO_INT(opaque);
    int n = G_N_ELEMENTS(live_bitmaps);
    g_autofree char *relay_path = NULL;
    g_autofree char *dst_path = NULL;
    QTestState *src, *dst;
    MigRelay *relay;

    if (!live_pair(peer, 256 * 1024, &src, &dst)) {
        return;
    }

    relay_path = g_strdup_printf("%s/relay.sock", qtest_tmpdir(src));
    dst_path = g_strdup_printf("%s/mig.sock", qtest_tmpdir(dst));
    relay = mig_relay_new(relay_path, dst_path);
    qtest_qmp_assert_success(dst, "{\"execute\": \"migrate-incoming\", "
                             "\"arguments\": {\"uri\": \"unix:%s\"}}",
                             dst_path);
    mig_relay_at_offset(relay, 16 * 1024, MIG_RELAY_NOTE);
    qtest_qmp_assert_success(src, "{\"execute\": \"migrate\", "
                             "\"arguments\": {\"uri\": \"%s\"}}",
                             mig_relay_uri(relay));
    mig_relay_wait(relay);
    g_assert_true(try_write(src, 32 * GIB, 4 * MIB));
    qtest_qmp_assert_success(src,
                             "{\"execute\": \"migrate-start-postcopy\"}");
    g_free(mig_wait_status(src, "postcopy-active"));
    g_free(mig_wait_status(src, "completed"));
    g_free(mig_wait_status(dst, "completed"));
    assert_same_bitmaps(src, dst, live_bitmaps, n);
    qtest_quit(src);
    qtest_quit(dst);
    mig_relay_free(relay);
}

/* query-migrate's total-time and ram.dirty-sync-count. */
static void query_progress(QTestState *s, int64_t *total, int64_t *rounds)
{
    json_t *ret = qtest_qmp_assert_success_ref(s,
        "{\"execute\": \"query-migrate\"}");

    *total = json_integer_value(json_object_get(ret, "total-time"));
    *rounds = json_integer_value(json_object_get(
        json_object_get(ret, "ram"), "dirty-sync-count"));
    json_decref(ret);
}

/*
 * downtime-limit 0: precopy cannot converge, and the migration thread
 * waits out each bandwidth window instead of iterating (QEMU 7.2 runs
 * tens of thousands of rounds a second there).  Raising the limit lets
 * it finish at once, with the data moved live.
 */
static void test_no_spin(void)
{
    QTestState *src = vm_start(false, false);
    QTestState *dst = vm_start(false, true);
    int64_t total = 0, rounds = 0;

    add_bitmaps(src, live_bitmaps, 1);
    dirty_initial(src);
    mig_set_params(src, "\"downtime-limit\": 0");
    mig_migrate(src, dst);
    g_free(mig_wait_status(src, "active"));
    while (total < 1000) {
        query_progress(src, &total, &rounds);
    }
    /* About 3 rounds per 100 ms window; spinning would be thousands. */
    g_assert_cmpint(rounds, <, 20 * total / 100);
    mig_set_params(src, "\"downtime-limit\": 300");
    g_free(mig_wait_status(src, "completed"));
    g_free(mig_wait_status(dst, "completed"));
    assert_same_bitmaps(src, dst, live_bitmaps, 1);
    qtest_quit(src);
    qtest_quit(dst);
}

/*
 * A migration that found no bitmap does not keep the next one from
 * sending them (QEMU 7.2's module stays inactive after it).
 */
static void test_second_migration(void)
{
    static const Bitmap bm[] = { { "late", 64 * 1024, false } };
    QTestState *src = vm_start(false, false);
    QTestState *dst1 = vm_start(false, true);
    QTestState *dst2 = vm_start(false, true);
    g_autofree char *uri = g_strdup_printf("unix:%s/mig.sock",
                                           qtest_tmpdir(dst2));

    mig_migrate(src, dst1);
    g_free(mig_wait_status(src, "completed"));
    g_free(mig_wait_status(dst1, "completed"));
    /* 'cont' is refused until the run state leaves finish-migrate */
    g_free(mig_runstate_leaves(src, "finish-migrate"));
    qtest_qmp_assert_success(src, "{\"execute\": \"cont\"}");
    add_bitmaps(src, bm, 1);
    g_assert_true(try_write(src, 5 * GIB, MIB));
    qtest_qmp_assert_success(dst2, "{\"execute\": \"migrate-incoming\", "
                             "\"arguments\": {\"uri\": \"%s\"}}", uri);
    qtest_qmp_assert_success(src, "{\"execute\": \"migrate\", "
                             "\"arguments\": {\"uri\": \"%s\"}}", uri);
    g_free(mig_wait_status(src, "completed"));
    g_free(mig_wait_status(dst2, "completed"));
    assert_same_bitmaps(src, dst2, bm, 1);
    qtest_quit(src);
    qtest_quit(dst1);
    qtest_quit(dst2);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/dbm-live/precopy/concurrent-writes",
                         GINT_TO_POINTER(false), test_concurrent_writes);
    g_test_add_data_func("/dbm-live/precopy/concurrent-writes-to-qemu-7.2",
                         GINT_TO_POINTER(true), test_concurrent_writes);
    g_test_add_func("/dbm-live/stream/resent-chunk-clean-left-out",
                    test_saved_stream);
    g_test_add_data_func("/dbm-live/stream/coalesced-zeroes",
                         GINT_TO_POINTER(false), test_coalesced_zeroes);
    g_test_add_data_func("/dbm-live/stream/coalesced-zeroes-to-qemu-7.2",
                         GINT_TO_POINTER(true), test_coalesced_zeroes);
    g_test_add_data_func("/dbm-live/postcopy/after-live",
                         GINT_TO_POINTER(false), test_postcopy_after_live);
    g_test_add_data_func("/dbm-live/postcopy/after-live-to-qemu-7.2",
                         GINT_TO_POINTER(true), test_postcopy_after_live);
    g_test_add_func("/dbm-live/precopy/no-spin", test_no_spin);
    g_test_add_func("/dbm-live/precopy/second-migration",
                    test_second_migration);
    return g_test_run();
}
