/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where a migration stream's elements and bitmap chunks begin and end. */
#include "qemu/osdep.h"

#include "migration-relay-parse.h"

/* The framing of migration-stream.md: element types (1.2) ... */
#define ELEM_EOF            0x00
#define ELEM_START          0x01
#define ELEM_PART           0x02
#define ELEM_END            0x03
#define ELEM_FULL           0x04
#define ELEM_VMDESC         0x06
#define ELEM_CONFIG         0x07
#define ELEM_COMMAND        0x08
#define SECTION_FOOTER      0x7e
#define CMD_PACKAGED        7
/* ... "ram" words without RAM blocks (3.1) ... */
#define RAM_MEM_SIZE        0x04
#define RAM_EOS             0x10
#define RAM_FLAGS_MASK      0xfff
/* ... and dirty-bitmap chunk flags (4.1). */
#define DBM_EOS             0x01
#define DBM_ZEROES          0x02
#define DBM_BITMAP_NAME     0x04
#define DBM_DEVICE_NAME     0x08
#define DBM_START           0x10
#define DBM_COMPLETE        0x20
#define DBM_BITS            0x40
#define DBM_EXTRA_FLAGS     0x80

/* Payload bytes of the FULL sections of machine none (3.2, 3.3). */
#define TIMER_V1_BYTES      16
#define TIMER_V2_BYTES      24
#define GLOBALSTATE_BYTES   104

#define UNIT_MAX            (64 * 1024)
#define MAX_SECTIONS        16

/* What the bytes being gathered in acc[] are. */
typedef enum Step {
    ST_FILE_HEADER,     /* magic, version */
    ST_ELEM,            /* an element's type byte */
    ST_VMDESC_LEN,
    ST_CONFIG_LEN,
    ST_CMD_HEADER,      /* be16 cmd, be16 len */
    ST_PACKAGE_LEN,     /* PACKAGED's be32 blob length */
    ST_SECTION_HEAD,    /* START/FULL: be32 id, u8 idstr length */
    ST_SECTION_IDSTR,   /* idstr, be32 instance, be32 version */
    ST_SECTION_ID,      /* PART/END: be32 id */
    ST_RAM_WORD,
    ST_DBM_FLAGS,       /* a chunk's first flags byte */
    ST_DBM_FLAGS_MORE,  /* its second one */
    ST_DBM_FLAGS_LAST,  /* its be16 */
    ST_DBM_NAME_LEN,
    ST_DBM_NAME,
    ST_DBM_START,       /* be32 granularity, u8 flags */
    ST_DBM_BITS,        /* be64 sector, be32 count */
    ST_DBM_BUF_SIZE,
    ST_FOOTER,
    ST_SKIP,            /* passing p->skip payload bytes */
} Step;

/* What comes once a skipped payload has passed. */
typedef enum AfterSkip {
    AFTER_ELEM,
    AFTER_VMDESC,
    AFTER_PACKAGED,
    AFTER_FOOTER,
    AFTER_BITS,
} AfterSkip;

typedef enum SectionKind {
    SK_OTHER,
    SK_RAM,
    SK_DBM,
    SK_TIMER,
    SK_GLOBALSTATE,
} SectionKind;

struct MigRelayParser {
    MigRelayMarkFn *fn;
    void *opaque;
    const char *lost;

    uint64_t off;               /* bytes fed so far */
    uint64_t unit_start;
    uint64_t elem_start;        /* of the element or chunk being read */
    Step step;
    size_t need;
    uint8_t acc[8 + 255 + 8];   /* the longest: an idstr and its ids */
    size_t acc_len;
    uint64_t skip;
    AfterSkip after;

    struct {
        uint32_t id;
        SectionKind kind;
    } sections[MAX_SECTIONS];
    unsigned nsections;
    uint8_t elem_type;

    uint8_t dbm_flags;          /* the chunk bits (the last flags byte) */
    unsigned names;             /* name strings of the chunk still to read */
};

static uint16_t rd16(const uint8_t *p)
{
    return p[0] << 8 | p[1];
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

static void give_up(MigRelayParser *p, const char *why)
{
    if (!p->lost) {
        p->lost = why;
    }
}

/* Gather @n bytes for @step; the units start at these steps. */
static void expect(MigRelayParser *p, Step step, size_t n)
{
    g_assert(n > 0 && n <= sizeof(p->acc));
    p->step = step;
    p->need = n;
    p->acc_len = 0;
    if (step == ST_ELEM || step == ST_DBM_FLAGS || step == ST_RAM_WORD ||
        step == ST_FOOTER) {
        p->unit_start = p->off;
        p->elem_start = p->off;
    }
}

static void mark(MigRelayParser *p, MigRelayMark m)
{
    p->fn(p->opaque, m, p->elem_start, p->off);
}

/* A chunk without its flags' names and body: EOS ends the payload. */
static void dbm_chunk_done(MigRelayParser *p, int m)
{
    if (m >= 0) {
        mark(p, m);
    }
    if (p->dbm_flags & DBM_EOS) {
        mark(p, MIG_RELAY_MARK_DBM_EOS);
        expect(p, ST_FOOTER, 5);
    } else {
        expect(p, ST_DBM_FLAGS, 1);
    }
}

static void after_skip(MigRelayParser *p)
{
    switch (p->after) {
    case AFTER_VMDESC:
        mark(p, MIG_RELAY_MARK_VMDESC);
        break;
    case AFTER_PACKAGED:
        mark(p, MIG_RELAY_MARK_PACKAGED);
        break;
    case AFTER_FOOTER:
        expect(p, ST_FOOTER, 5);
        return;
    case AFTER_BITS:
        dbm_chunk_done(p, MIG_RELAY_MARK_DBM_BITS);
        return;
    case AFTER_ELEM:
        break;
    }
    expect(p, ST_ELEM, 1);
}

static void skip(MigRelayParser *p, uint64_t n, AfterSkip after)
{
    if (n > UNIT_MAX) {
        give_up(p, "a payload longer than the parser holds back");
        return;
    }
    p->after = after;
    p->skip = n;
    p->step = ST_SKIP;
    if (!n) {
        after_skip(p);
    }
}

/* The names the chunk's flags announce, then its body. */
static void dbm_next(MigRelayParser *p)
{
    if (p->names) {
        p->names &= p->names - 1;
        expect(p, ST_DBM_NAME_LEN, 1);
    } else if (p->dbm_flags & DBM_START) {
        expect(p, ST_DBM_START, 5);
    } else if (p->dbm_flags & DBM_COMPLETE) {
        dbm_chunk_done(p, MIG_RELAY_MARK_DBM_COMPLETE);
    } else if (p->dbm_flags & DBM_BITS) {
        expect(p, ST_DBM_BITS, 12);
    } else {
        dbm_chunk_done(p, -1);
    }
}

static void dbm_flags(MigRelayParser *p, uint8_t last)
{
    p->dbm_flags = last;
    p->names = (last & DBM_DEVICE_NAME ? 1 : 0) |
               (last & DBM_BITMAP_NAME ? 2 : 0);
    dbm_next(p);
}

static void section_payload(MigRelayParser *p, SectionKind kind,
                            uint32_t version)
{
    switch (kind) {
    case SK_RAM:
        expect(p, ST_RAM_WORD, 8);
        break;
    case SK_DBM:
        expect(p, ST_DBM_FLAGS, 1);
        break;
    case SK_TIMER:
        skip(p, version >= 2 ? TIMER_V2_BYTES : TIMER_V1_BYTES,
             AFTER_FOOTER);
        break;
    case SK_GLOBALSTATE:
        skip(p, GLOBALSTATE_BYTES, AFTER_FOOTER);
        break;
    default:
        give_up(p, "a section the parser does not know");
        break;
    }
}

static SectionKind section_kind(const uint8_t *idstr, size_t len)
{
    static const struct {
        const char *idstr;
        SectionKind kind;
    } known[] = {
        { "ram", SK_RAM },
        { "dirty-bitmap", SK_DBM },
        { "timer", SK_TIMER },
        { "globalstate", SK_GLOBALSTATE },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(known); i++) {
        if (strlen(known[i].idstr) == len &&
            !memcmp(known[i].idstr, idstr, len)) {
            return known[i].kind;
        }
    }
    return SK_OTHER;
}

static void element(MigRelayParser *p, uint8_t type)
{
    p->elem_type = type;
    switch (type) {
    case ELEM_EOF:
        mark(p, MIG_RELAY_MARK_EOF);
        expect(p, ST_ELEM, 1);
        break;
    case ELEM_VMDESC:
        expect(p, ST_VMDESC_LEN, 4);
        break;
    case ELEM_CONFIG:
        expect(p, ST_CONFIG_LEN, 4);
        break;
    case ELEM_COMMAND:
        expect(p, ST_CMD_HEADER, 4);
        break;
    case ELEM_START:
    case ELEM_FULL:
        expect(p, ST_SECTION_HEAD, 5);
        break;
    case ELEM_PART:
    case ELEM_END:
        expect(p, ST_SECTION_ID, 4);
        break;
    default:
        give_up(p, "an element type the parser does not know");
        break;
    }
}

/* acc[] holds the p->need bytes of p->step. */
static void decode(MigRelayParser *p)
{
    const uint8_t *a = p->acc;
    uint64_t w;

    switch (p->step) {
    case ST_FILE_HEADER:
        if (rd32(a) != 0x5145564d || rd32(a + 4) != 3) {
            give_up(p, "not a version 3 migration stream");
            return;
        }
        expect(p, ST_ELEM, 1);
        break;
    case ST_ELEM:
        element(p, a[0]);
        break;
    case ST_VMDESC_LEN:
        skip(p, rd32(a), AFTER_VMDESC);
        break;
    case ST_CONFIG_LEN:
        skip(p, rd32(a), AFTER_ELEM);
        break;
    case ST_CMD_HEADER:
        if (rd16(a) == CMD_PACKAGED && rd16(a + 2) == 4) {
            expect(p, ST_PACKAGE_LEN, 4);
        } else {
            skip(p, rd16(a + 2), AFTER_ELEM);
        }
        break;
    case ST_PACKAGE_LEN:
        skip(p, rd32(a), AFTER_PACKAGED);
        break;
    case ST_SECTION_HEAD:
        if (p->nsections == MAX_SECTIONS) {
            give_up(p, "more sections than the parser keeps");
            return;
        }
        p->sections[p->nsections].id = rd32(a);
        expect(p, ST_SECTION_IDSTR, a[4] + 8);
        break;
    case ST_SECTION_IDSTR: {
        SectionKind kind = section_kind(a, p->need - 8);

        p->sections[p->nsections++].kind = kind;
        section_payload(p, kind, rd32(a + p->need - 4));
        break;
    }
    case ST_SECTION_ID:
        w = rd32(a);
        for (unsigned i = p->nsections; i-- > 0;) {
            if (p->sections[i].id == w) {
                section_payload(p, p->sections[i].kind, 0);
                return;
            }
        }
        give_up(p, "a section id no START or FULL announced");
        break;
    case ST_RAM_WORD:
        w = rd64(a);
        if (w & RAM_EOS) {
            expect(p, ST_FOOTER, 5);
        } else if ((w & RAM_FLAGS_MASK) == RAM_MEM_SIZE &&
                   !(w & ~RAM_FLAGS_MASK)) {
            expect(p, ST_RAM_WORD, 8);
        } else {
            give_up(p, "RAM pages or blocks");
        }
        break;
    case ST_DBM_FLAGS:
        if (a[0] & DBM_EXTRA_FLAGS) {
            expect(p, ST_DBM_FLAGS_MORE, 1);
        } else {
            dbm_flags(p, a[0]);
        }
        break;
    case ST_DBM_FLAGS_MORE:
        if (a[0] & DBM_EXTRA_FLAGS) {
            expect(p, ST_DBM_FLAGS_LAST, 2);
        } else {
            dbm_flags(p, a[0]);
        }
        break;
    case ST_DBM_FLAGS_LAST:
        dbm_flags(p, a[1]);
        break;
    case ST_DBM_NAME_LEN:
        if (a[0]) {
            expect(p, ST_DBM_NAME, a[0]);
        } else {
            dbm_next(p);
        }
        break;
    case ST_DBM_NAME:
        dbm_next(p);
        break;
    case ST_DBM_START:
        dbm_chunk_done(p, MIG_RELAY_MARK_DBM_START);
        break;
    case ST_DBM_BITS:
        if (p->dbm_flags & DBM_ZEROES) {
            dbm_chunk_done(p, MIG_RELAY_MARK_DBM_ZEROES);
        } else {
            expect(p, ST_DBM_BUF_SIZE, 8);
        }
        break;
    case ST_DBM_BUF_SIZE:
        w = rd64(a);
        skip(p, w, AFTER_BITS);
        break;
    case ST_FOOTER:
        if (a[0] != SECTION_FOOTER) {
            give_up(p, "a section without its footer");
            return;
        }
        expect(p, ST_ELEM, 1);
        break;
    case ST_SKIP:
        g_assert_not_reached();
    }
}

MigRelayParser *mig_relay_parser_new(MigRelayMarkFn *fn, void *opaque)
{
    MigRelayParser *p = g_new0(MigRelayParser, 1);

    p->fn = fn;
    p->opaque = opaque;
    expect(p, ST_FILE_HEADER, 8);
    return p;
}

void mig_relay_parser_free(MigRelayParser *p)
{
    g_free(p);
}

void mig_relay_parser_feed(MigRelayParser *p, const uint8_t *buf, size_t len)
{
    size_t i = 0;

    while (i < len && !p->lost) {
        if (p->step == ST_SKIP) {
            uint64_t n = MIN(p->skip, len - i);

            p->skip -= n;
            p->off += n;
            i += n;
            if (!p->skip) {
                after_skip(p);
            }
        } else {
            p->acc[p->acc_len++] = buf[i++];
            p->off++;
            if (p->acc_len == p->need) {
                decode(p);
            }
        }
        if (p->off - p->unit_start > UNIT_MAX) {
            give_up(p, "a unit longer than the parser holds back");
        }
    }
    p->off += len - i;
}

uint64_t mig_relay_parser_unit_start(MigRelayParser *p)
{
    return p->lost ? p->off : p->unit_start;
}

const char *mig_relay_parser_lost(MigRelayParser *p)
{
    return p->lost;
}
