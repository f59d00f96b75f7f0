/* SPDX-License-Identifier: GPL-2.0-or-later */
/* String helpers and QEMU's strict number and size parsers. */
#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"

#include <math.h>

/* Bounded strings: thin layers over GLib and POSIX. */

int qemu_strnlen(const char *s, int max_len)
{
    return max_len > 0 ? strnlen(s, max_len) : 0;
}

char *pstrcpy(char *buf, int buf_size, const char *str)
{
    if (buf_size > 0) {
        g_strlcpy(buf, str, buf_size);
    }
    return buf;
}

char *pstrcat(char *buf, int buf_size, const char *s)
{
    int used = qemu_strnlen(buf, buf_size);

    /* No room is left in an unterminated @buf: pstrcpy() does nothing. */
    pstrcpy(buf + used, buf_size - used, s);
    return buf;
}

void strpadcpy(char *buf, int buf_size, const char *str, char pad)
{
    size_t used = qemu_strnlen(str, buf_size);

    if (buf_size <= 0) {
        return;
    }
    memset(buf, pad, buf_size);
    memcpy(buf, str, used);
}

/* Shared by strstart() and stristart(): report what follows the prefix. */
static int prefix_found(const char *str, size_t prefix_len,
                        const char **ptr)
{
    if (ptr) {
        *ptr = str + prefix_len;
    }
    return 1;
}

int strstart(const char *str, const char *val, const char **ptr)
{
    if (!g_str_has_prefix(str, val)) {
        return 0;
    }
    return prefix_found(str, strlen(val), ptr);
}

int stristart(const char *str, const char *val, const char **ptr)
{
    size_t len = strlen(val);

    if (g_ascii_strncasecmp(str, val, len) != 0) {
        return 0;
    }
    return prefix_found(str, len, ptr);
}

/*
 * Integer parsers.  Every qemu_strto*() runs GLib's 64-bit parser (the
 * C locale's strtoll()/strtoull()) and then fits the value into its own
 * type.  A NumScan carries what the parser saw from one step to the
 * next.
 */
typedef struct NumScan {
    const char *stop;   /* first character the parser left alone */
    int err;            /* 0, or ERANGE when the value did not fit */
    uint64_t bits;      /* the value (two's complement when signed) */
} NumScan;

/*
 * A NULL string holds no number: true, having set *@endptr to NULL.
 * The parsers then return -EINVAL and leave their result alone.
 */
static bool num_text_missing(const char *nptr, const char **endptr)
{
    if (nptr) {
        return false;
    }
    if (endptr) {
        *endptr = NULL;
    }
    return true;
}

/* Parse @nptr into @ns; false if there is no @nptr. */
static bool num_scan(const char *nptr, const char **endptr, int base,
                     bool is_signed, NumScan *ns)
{
    char *stop;

    assert(base == 0 || (base >= 2 && base <= 36));
    if (num_text_missing(nptr, endptr)) {
        return false;
    }
    errno = 0;
    if (is_signed) {
        ns->bits = g_ascii_strtoll(nptr, &stop, base);
    } else {
        ns->bits = g_ascii_strtoull(nptr, &stop, base);
    }
    ns->err = errno;
    ns->stop = stop;
    return true;
}

/*
 * The return value every parser shares.  Not a number at all is -EINVAL
 * (the parser then stopped at @nptr), and so is anything left over when
 * the caller did not ask where the number ends; otherwise -ERANGE or 0.
 */
static int num_verdict(const char *nptr, const NumScan *ns,
                       const char **endptr)
{
    bool no_number = ns->stop == nptr && !ns->err;
    bool leftover = !endptr && *ns->stop;

    if (endptr) {
        *endptr = ns->stop;
    }
    return no_number || leftover ? -EINVAL : -ns->err;
}

/* Signed parse whose value must lie in [@lo, @hi]; else -ERANGE, clamped. */
static int strto_signed(const char *nptr, const char **endptr, int base,
                        int64_t lo, int64_t hi, int64_t *value)
{
    NumScan ns;
    int64_t v;

    if (!num_scan(nptr, endptr, base, true, &ns)) {
        return -EINVAL;
    }
    v = ns.bits;
    if (v < lo || v > hi) {
        ns.err = ERANGE;
    }
    *value = CLAMP(v, lo, hi);
    return num_verdict(nptr, &ns, endptr);
}

/*
 * Unsigned parse: like strtoull(), a leading '-' negates modulo 2^64.
 * The value fits when it is at most @max, or when it is such a negated
 * number no smaller than @wrap_floor (the narrow types accept a minus
 * only for magnitudes that fit their signed twin).  Else -ERANGE and
 * @max.
 */
static int strto_unsigned(const char *nptr, const char **endptr, int base,
                          uint64_t max, uint64_t wrap_floor,
                          uint64_t *value)
{
    NumScan ns;

    if (!num_scan(nptr, endptr, base, false, &ns)) {
        return -EINVAL;
    }
    if (ns.err || (ns.bits > max && ns.bits < wrap_floor)) {
        ns.err = ERANGE;
        ns.bits = max;
    }
    *value = ns.bits;
    return num_verdict(nptr, &ns, endptr);
}

/*
 * The public parsers are those two with a type and its limits.  The
 * value is stored whenever there was a string to parse, even when the
 * return value is an error.
 */
#define DEFINE_STRTO(name, type, generic, wide, ...)                    \
    int name(const char *nptr, const char **endptr, int base,           \
             type *result)                                              \
    {                                                                   \
        wide value = 0;                                                 \
        int ret = generic(nptr, endptr, base, __VA_ARGS__, &value);     \
                                                                        \
        if (nptr) {                                                     \
            *result = value;                                            \
        }                                                               \
        return ret;                                                     \
    }

DEFINE_STRTO(qemu_strtoi, int, strto_signed, int64_t, INT_MIN, INT_MAX)
DEFINE_STRTO(qemu_strtol, long, strto_signed, int64_t, LONG_MIN, LONG_MAX)
DEFINE_STRTO(qemu_strtoi64, int64_t, strto_signed, int64_t,
             INT64_MIN, INT64_MAX)
DEFINE_STRTO(qemu_strtoui, unsigned int, strto_unsigned, uint64_t,
             UINT_MAX, (uint64_t)(int64_t)INT_MIN)
DEFINE_STRTO(qemu_strtoul, unsigned long, strto_unsigned, uint64_t,
             ULONG_MAX, -(uint64_t)ULONG_MAX)
DEFINE_STRTO(qemu_strtou64, uint64_t, strto_unsigned, uint64_t,
             UINT64_MAX, 0)

int qemu_strtod(const char *nptr, const char **endptr, double *result)
{
    NumScan ns;
    char *stop;

    if (num_text_missing(nptr, endptr)) {
        return -EINVAL;
    }
    errno = 0;
    *result = g_ascii_strtod(nptr, &stop);
    ns.err = errno;
    ns.stop = stop;
    return num_verdict(nptr, &ns, endptr);
}

int qemu_strtod_finite(const char *nptr, const char **endptr,
                       double *result)
{
    double d;
    int ret = qemu_strtod(nptr, endptr, &d);

    if (ret == 0 && !isfinite(d)) {
        /* "inf" and "nan" parse, but are not numbers here. */
        if (endptr) {
            *endptr = nptr;
        }
        return -EINVAL;
    }
    if (ret != -EINVAL) {
        *result = d;
    }
    return ret;
}

int parse_uint(const char *s, unsigned long long *value, char **endptr,
               int base)
{
    NumScan ns = { .stop = s };
    int ret;

    if (!num_scan(s, NULL, base, false, &ns)) {
        ret = -EINVAL;
        ns.bits = 0;
    } else if (ns.err) {
        ret = -ns.err;
    } else if (ns.stop == s) {
        ret = -EINVAL;
    } else if (s[strspn(s, " \f\n\r\t\v")] == '-') {
        /* strtoull() negates; a minus sign is out of range here. */
        ret = -ERANGE;
        ns.bits = 0;
    } else {
        ret = 0;
    }
    *value = ns.bits;
    *endptr = (char *)ns.stop;
    return ret;
}

int parse_uint_full(const char *s, unsigned long long *value, int base)
{
    char *rest;
    int ret = parse_uint(s, value, &rest, base);

    if (ret == 0 && *rest != '\0') {
        *value = 0;
        ret = -EINVAL;
    }
    return ret;
}

/*
 * Sizes: "<integer>[.<fraction>][<unit>]".  A SizeParse collects the
 * pieces as parse_size() walks the text; every failure says where the
 * caller's @end must point.
 */
typedef struct SizeParse {
    const char *text;       /* the whole input */
    const char *pos;        /* how far the walk got */
    uint64_t whole;         /* the integer part */
    uint64_t frac;          /* fraction digits, as an integer ... */
    uint64_t frac_scale;    /* ... over this power of ten */
    bool hex;               /* the integer part was written 0x... */
} SizeParse;

/* At most this many fraction digits count; 10^19 still fits 64 bits. */
#define SIZE_FRAC_DIGITS 19

/* Units in ascending order; "B" is the unit itself. */
static const char size_units[] = "BKMGTPE";

/* The factor for unit letter @c (either case), or 0 if it is not one. */
static uint64_t size_unit_factor(char c, unsigned base)
{
    const char *u = c ? strchr(size_units, g_ascii_toupper(c)) : NULL;
    uint64_t factor = 1;
    const char *p;

    if (!u) {
        return 0;
    }
    for (p = size_units; p < u; p++) {
        factor *= base;
    }
    return factor;
}

/*
 * The integer part: decimal, or hex after a "0x" (then no fraction may
 * follow).  No minus sign anywhere, even though the parser takes one.
 */
static int size_integer(SizeParse *sp)
{
    int ret = qemu_strtou64(sp->text, &sp->pos, 10, &sp->whole);

    if (ret) {
        return ret;
    }
    if (memchr(sp->text, '-', sp->pos - sp->text)) {
        sp->pos = sp->text;
        return -EINVAL;
    }
    if (sp->whole != 0 || (*sp->pos != 'x' && *sp->pos != 'X')) {
        return 0;
    }
    sp->hex = true;
    ret = qemu_strtou64(sp->text, &sp->pos, 16, &sp->whole);
    if (!ret && *sp->pos == '.') {
        sp->pos = sp->text;
        ret = -EINVAL;
    }
    return ret;
}

/*
 * The fraction after a '.', kept exactly as decimal digits.  "1.k" has
 * an empty one.  An exponent ("1.5e3") is refused, but a lone 'e' after
 * the digits is the exa unit.
 */
static int size_fraction(SizeParse *sp)
{
    const char *p = sp->pos + 1;
    const char *digits = p;

    for (; g_ascii_isdigit(*p); p++) {
        if (p - digits < SIZE_FRAC_DIGITS) {
            sp->frac = sp->frac * 10 + (*p - '0');
            sp->frac_scale *= 10;
        }
    }
    if (p > digits && (*p == 'e' || *p == 'E')) {
        const char *exp = p + 1;

        if (*exp == '+' || *exp == '-') {
            exp++;
        }
        if (g_ascii_isdigit(*exp)) {
            sp->pos = sp->text;
            return -EINVAL;
        }
    }
    sp->pos = p;
    return 0;
}

/*
 * Scale the number by the unit at the walk's position, or by
 * @default_unit when none is written there.
 */
static int size_scale(SizeParse *sp, char default_unit, unsigned base,
                      uint64_t *result)
{
    uint64_t factor = size_unit_factor(*sp->pos, base);
    unsigned __int128 bytes;

    if (factor) {
        if (sp->hex) {
            warn_report("Using a multiplier suffix on hex numbers "
                        "is deprecated: %s", sp->text);
        }
        sp->pos++;
    } else {
        factor = size_unit_factor(default_unit, base);
        assert(factor);
    }
    if (factor == 1 && sp->frac) {
        /* Bytes do not split. */
        sp->pos = sp->text;
        return -EINVAL;
    }
    /* Exact, then rounded to the nearest byte, as qemu-img and qemu-io do. */
    bytes = (unsigned __int128)sp->whole * factor +
            ((unsigned __int128)sp->frac * factor + sp->frac_scale / 2) /
            sp->frac_scale;
    if (bytes > UINT64_MAX) {
        return -ERANGE;
    }
    *result = bytes;
    return 0;
}

static int parse_size(const char *nptr, const char **end, char default_unit,
                      unsigned base, uint64_t *result)
{
    SizeParse sp = { .text = nptr, .pos = nptr, .frac_scale = 1 };
    uint64_t bytes = 0;
    int ret = size_integer(&sp);

    if (!ret && !sp.hex && *sp.pos == '.') {
        ret = size_fraction(&sp);
    }
    if (!ret) {
        ret = size_scale(&sp, default_unit, base, &bytes);
    }
    if (end) {
        *end = sp.pos;
    } else if (sp.pos && *sp.pos) {
        /* (No position at all only for a NULL @nptr, already -EINVAL.) */
        ret = -EINVAL;
    }
    if (!ret) {
        *result = bytes;
    }
    return ret;
}

int qemu_strtosz(const char *nptr, const char **end, uint64_t *result)
{
    return parse_size(nptr, end, 'B', 1024, result);
}

int qemu_strtosz_MiB(const char *nptr, const char **end, uint64_t *result)
{
    return parse_size(nptr, end, 'M', 1024, result);
}

int qemu_strtosz_metric(const char *nptr, const char **end,
                        uint64_t *result)
{
    return parse_size(nptr, end, 'B', 1000, result);
}

char *size_to_str(uint64_t val)
{
    static const char prefixes[][3] = {
        "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"
    };
    double scaled = val;
    size_t i = 0;

    /* Step up a unit once the figure would need four digits. */
    while (scaled >= 1000 && i + 1 < ARRAY_SIZE(prefixes)) {
        scaled /= 1024;
        i++;
    }
    return g_strdup_printf("%0.3g %sB", scaled, prefixes[i]);
}
