/* SPDX-License-Identifier: GPL-2.0-or-later */
/* String helpers and QEMU's strict number and size parsers. */
#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qemu/ctype.h"
#include "qemu/host-utils.h"
#include "qemu/error-report.h"

#include <math.h>

void strpadcpy(char *buf, int buf_size, const char *str, char pad)
{
    int len = qemu_strnlen(str, buf_size);

    memcpy(buf, str, len);
    memset(buf + len, pad, buf_size - len);
}

char *pstrcpy(char *buf, int buf_size, const char *str)
{
    int len;

    if (buf_size <= 0) {
        return buf;
    }
    len = qemu_strnlen(str, buf_size - 1);
    memcpy(buf, str, len);
    buf[len] = '\0';
    return buf;
}

char *pstrcat(char *buf, int buf_size, const char *s)
{
    int len = qemu_strnlen(buf, buf_size);

    if (len < buf_size) {
        pstrcpy(buf + len, buf_size - len, s);
    }
    return buf;
}

int strstart(const char *str, const char *val, const char **ptr)
{
    size_t len = strlen(val);

    if (strncmp(str, val, len) != 0) {
        return 0;
    }
    if (ptr) {
        *ptr = str + len;
    }
    return 1;
}

int stristart(const char *str, const char *val, const char **ptr)
{
    const char *p = str;
    const char *q = val;

    for (; *q; p++, q++) {
        if (qemu_toupper(*p) != qemu_toupper(*q)) {
            return 0;
        }
    }
    if (ptr) {
        *ptr = p;
    }
    return 1;
}

int qemu_strnlen(const char *s, int max_len)
{
    const char *end;

    if (max_len <= 0) {
        return 0;
    }
    end = memchr(s, '\0', max_len);
    return end ? end - s : max_len;
}

char *qemu_strsep(char **input, const char *delim)
{
    char *result = *input;
    char *p;

    if (result == NULL) {
        return NULL;
    }
    p = result + strcspn(result, delim);
    if (*p == '\0') {
        *input = NULL;
    } else {
        *p = '\0';
        *input = p + 1;
    }
    return result;
}

const char *qemu_strchrnul(const char *s, int c)
{
    return strchrnul(s, c);
}

time_t mktimegm(struct tm *tm)
{
    return timegm(tm);
}

/*
 * Common tail of the integer parsers.  @ep is where libc stopped,
 * @libc_errno its errno.
 */
static int check_strtox_error(const char *nptr, char *ep,
                              const char **endptr, int libc_errno)
{
    assert(ep >= nptr);

    if (endptr) {
        *endptr = ep;
    }

    /* Turn "no conversion" into an error */
    if (libc_errno == 0 && ep == nptr) {
        return -EINVAL;
    }

    /* Fail when we're expected to consume the string, but didn't */
    if (!endptr && *ep) {
        return -EINVAL;
    }

    return -libc_errno;
}

/* A NULL string: no conversion. */
static int strtox_null(const char **endptr)
{
    if (endptr) {
        *endptr = NULL;
    }
    return -EINVAL;
}

int qemu_strtoi(const char *nptr, const char **endptr, int base,
                int *result)
{
    char *ep;
    long long lresult;

    assert((unsigned) base <= 36 && base != 1);
    if (!nptr) {
        return strtox_null(endptr);
    }

    errno = 0;
    lresult = strtoll(nptr, &ep, base);
    if (lresult < INT_MIN) {
        *result = INT_MIN;
        errno = ERANGE;
    } else if (lresult > INT_MAX) {
        *result = INT_MAX;
        errno = ERANGE;
    } else {
        *result = lresult;
    }
    return check_strtox_error(nptr, ep, endptr, errno);
}

int qemu_strtoui(const char *nptr, const char **endptr, int base,
                 unsigned int *result)
{
    char *ep;
    long long lresult;

    assert((unsigned) base <= 36 && base != 1);
    if (!nptr) {
        return strtox_null(endptr);
    }

    errno = 0;
    lresult = strtoull(nptr, &ep, base);

    if (errno == ERANGE) {
        *result = -1;
    } else {
        /*
         * A negative number wraps modulo 2^32 as strtoul() would, as long
         * as its magnitude fits in 32 bits.
         */
        if (lresult > UINT_MAX) {
            *result = UINT_MAX;
            errno = ERANGE;
        } else if (lresult < INT_MIN) {
            *result = UINT_MAX;
            errno = ERANGE;
        } else {
            *result = lresult;
        }
    }
    return check_strtox_error(nptr, ep, endptr, errno);
}

int qemu_strtol(const char *nptr, const char **endptr, int base,
                long *result)
{
    char *ep;

    assert((unsigned) base <= 36 && base != 1);
    if (!nptr) {
        return strtox_null(endptr);
    }

    errno = 0;
    *result = strtol(nptr, &ep, base);
    return check_strtox_error(nptr, ep, endptr, errno);
}

int qemu_strtoul(const char *nptr, const char **endptr, int base,
                 unsigned long *result)
{
    char *ep;

    assert((unsigned) base <= 36 && base != 1);
    if (!nptr) {
        return strtox_null(endptr);
    }

    errno = 0;
    *result = strtoul(nptr, &ep, base);
    if (errno == ERANGE) {
        *result = -1;
    }
    return check_strtox_error(nptr, ep, endptr, errno);
}

int qemu_strtoi64(const char *nptr, const char **endptr, int base,
                  int64_t *result)
{
    char *ep;

    assert((unsigned) base <= 36 && base != 1);
    if (!nptr) {
        return strtox_null(endptr);
    }

    QEMU_BUILD_BUG_ON(sizeof(int64_t) != sizeof(long long));
    errno = 0;
    *result = strtoll(nptr, &ep, base);
    return check_strtox_error(nptr, ep, endptr, errno);
}

int qemu_strtou64(const char *nptr, const char **endptr, int base,
                  uint64_t *result)
{
    char *ep;

    assert((unsigned) base <= 36 && base != 1);
    if (!nptr) {
        return strtox_null(endptr);
    }

    QEMU_BUILD_BUG_ON(sizeof(uint64_t) != sizeof(unsigned long long));
    errno = 0;
    *result = strtoull(nptr, &ep, base);
    if (errno == ERANGE) {
        *result = -1;
    }
    return check_strtox_error(nptr, ep, endptr, errno);
}

int qemu_strtod(const char *nptr, const char **endptr, double *result)
{
    char *ep;

    if (!nptr) {
        return strtox_null(endptr);
    }

    errno = 0;
    *result = strtod(nptr, &ep);
    return check_strtox_error(nptr, ep, endptr, errno);
}

int qemu_strtod_finite(const char *nptr, const char **endptr,
                       double *result)
{
    double tmp;
    int ret;

    ret = qemu_strtod(nptr, endptr, &tmp);
    if (!ret && !isfinite(tmp)) {
        if (endptr) {
            *endptr = nptr;
        }
        ret = -EINVAL;
    }

    if (ret != -EINVAL) {
        *result = tmp;
    }
    return ret;
}

int parse_uint(const char *s, unsigned long long *value, char **endptr,
               int base)
{
    int r = 0;
    char *endp = (char *)s;
    unsigned long long val = 0;

    if (!s) {
        r = -EINVAL;
        goto out;
    }

    errno = 0;
    val = strtoull(s, &endp, base);
    if (errno) {
        r = -errno;
        goto out;
    }

    if (endp == s) {
        r = -EINVAL;
        goto out;
    }

    /* make sure we reject negative numbers: */
    while (qemu_isspace(*s)) {
        s++;
    }
    if (*s == '-') {
        val = 0;
        r = -ERANGE;
        goto out;
    }

out:
    *value = val;
    *endptr = endp;
    return r;
}

int parse_uint_full(const char *s, unsigned long long *value, int base)
{
    char *endp;
    int r;

    r = parse_uint(s, value, &endp, base);
    if (r < 0) {
        return r;
    }
    if (*endp) {
        *value = 0;
        return -EINVAL;
    }

    return 0;
}

/* The multiplier for a size suffix, or -1 if @suffix is not one. */
static int64_t suffix_mul(char suffix, int64_t unit)
{
    switch (qemu_toupper(suffix)) {
    case 'B':
        return 1;
    case 'K':
        return unit;
    case 'M':
        return unit * unit;
    case 'G':
        return unit * unit * unit;
    case 'T':
        return unit * unit * unit * unit;
    case 'P':
        return unit * unit * unit * unit * unit;
    case 'E':
        return unit * unit * unit * unit * unit * unit;
    }
    return -1;
}

/*
 * Parse the decimal fraction digits at @s (after the '.') as an exact
 * fixed-point value: *@num / 10^*@digits, keeping up to 18 digits (later
 * ones are consumed but cannot change a result that is rounded down to
 * whole bytes for any suffix up to E).  Returns the end of the digits.
 */
static const char *parse_fraction(const char *s, uint64_t *num,
                                  int *digits)
{
    *num = 0;
    *digits = 0;
    for (; qemu_isdigit(*s); s++) {
        if (*digits < 18) {
            *num = *num * 10 + (*s - '0');
            (*digits)++;
        }
    }
    return s;
}

/*
 * Parse a size: decimal integer (or 0x hex, without fraction), optional
 * decimal fraction, optional suffix, as QEMU 7.2's do_strtosz().
 */
static int do_strtosz(const char *nptr, const char **end,
                      const char default_suffix, int64_t unit,
                      uint64_t *result)
{
    int retval;
    const char *endptr;
    bool hex = false;
    uint64_t val, fnum = 0;
    int fdigits = 0;
    int64_t mul;
    unsigned __int128 total;

    /* Parse integral portion as decimal. */
    retval = qemu_strtou64(nptr, &endptr, 10, &val);
    if (retval) {
        goto out;
    }
    if (memchr(nptr, '-', endptr - nptr) != NULL) {
        endptr = nptr;
        retval = -EINVAL;
        goto out;
    }
    if (val == 0 && (*endptr == 'x' || *endptr == 'X')) {
        /* Input looks like hex: reparse, and insist on no fraction. */
        retval = qemu_strtou64(nptr, &endptr, 16, &val);
        if (retval) {
            goto out;
        }
        if (*endptr == '.') {
            endptr = nptr;
            retval = -EINVAL;
            goto out;
        }
        hex = true;
    } else if (*endptr == '.') {
        /*
         * A fraction.  "1.k" works without fractional digits; an
         * exponent makes the whole input invalid.
         */
        endptr = parse_fraction(endptr + 1, &fnum, &fdigits);
        if (fdigits && (*endptr == 'e' || *endptr == 'E')) {
            if (qemu_isdigit(endptr[1]) ||
                ((endptr[1] == '+' || endptr[1] == '-') &&
                 qemu_isdigit(endptr[2]))) {
                endptr = nptr;
                retval = -EINVAL;
                goto out;
            }
        }
    }

    mul = suffix_mul(*endptr, unit);
    if (mul > 0) {
        if (hex) {
            warn_report("Using a multiplier suffix on hex numbers "
                        "is deprecated: %s", nptr);
        }
        endptr++;
    } else {
        mul = suffix_mul(default_suffix, unit);
        assert(mul > 0);
    }
    if (mul == 1 && fnum != 0) {
        /* A fraction needs a scale. */
        endptr = nptr;
        retval = -EINVAL;
        goto out;
    }

    total = (unsigned __int128)val * (uint64_t)mul;
    if (fnum) {
        unsigned __int128 pow10 = 1;
        int i;

        for (i = 0; i < fdigits; i++) {
            pow10 *= 10;
        }
        total += (unsigned __int128)fnum * (uint64_t)mul / pow10;
    }
    if (total > UINT64_MAX) {
        retval = -ERANGE;
        goto out;
    }
    *result = total;
    retval = 0;

out:
    if (end) {
        *end = endptr;
    } else if (*endptr) {
        retval = -EINVAL;
    }

    return retval;
}

int qemu_strtosz(const char *nptr, const char **end, uint64_t *result)
{
    return do_strtosz(nptr, end, 'B', 1024, result);
}

int qemu_strtosz_MiB(const char *nptr, const char **end, uint64_t *result)
{
    return do_strtosz(nptr, end, 'M', 1024, result);
}

int qemu_strtosz_metric(const char *nptr, const char **end,
                        uint64_t *result)
{
    return do_strtosz(nptr, end, 'B', 1000, result);
}

char *size_to_str(uint64_t val)
{
    static const char *const suffixes[] = {
        "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"
    };
    uint64_t div = 1;
    int i = 0;

    /*
     * Use the largest unit in which the value is at least 1000/1024 of
     * one: switch to the next unit once the number would reach 1000.
     */
    while (i < ARRAY_SIZE(suffixes) - 1 && val / 1000 >= div) {
        div <<= 10;
        i++;
    }

    return g_strdup_printf("%0.3g %sB", (double)val / div, suffixes[i]);
}

char *freq_to_str(uint64_t freq_hz)
{
    static const char *const suffixes[] = { "", "K", "M", "G", "T", "P", "E" };
    double freq = freq_hz;
    size_t idx = 0;

    while (freq >= 1000.0 && idx < ARRAY_SIZE(suffixes) - 1) {
        freq /= 1000.0;
        idx++;
    }

    return g_strdup_printf("%0.3g %sHz", freq, suffixes[idx]);
}

int uleb128_encode_small(uint8_t *out, uint32_t n)
{
    assert(n <= 0x3fff);
    if (n < 0x80) {
        *out = n;
        return 1;
    }
    out[0] = (n & 0x7f) | 0x80;
    out[1] = n >> 7;
    return 2;
}

int uleb128_decode_small(const uint8_t *in, uint32_t *n)
{
    if (!(in[0] & 0x80)) {
        *n = in[0];
        return 1;
    }
    *n = in[0] & 0x7f;
    /* we exceed 14 bit number */
    if (in[1] & 0x80) {
        return -1;
    }
    *n |= in[1] << 7;
    return 2;
}

int qemu_pstrcmp0(const char **str1, const char **str2)
{
    return g_strcmp0(*str1, *str2);
}
