/* SPDX-License-Identifier: GPL-2.0-or-later */
/* String helpers and QEMU's strict number and size parsers. */
#ifndef QEMU_CUTILS_H
#define QEMU_CUTILS_H

/**
 * pstrcpy:
 * Copy @str into @buf (of @buf_size bytes), truncating if needed; @buf is
 * always NUL-terminated when @buf_size > 0.  Returns @buf.
 */
char *pstrcpy(char *buf, int buf_size, const char *str);

/**
 * strpadcpy:
 * Copy @str into @buf without a terminating NUL, padding the rest of the
 * @buf_size bytes with @pad.
 */
void strpadcpy(char *buf, int buf_size, const char *str, char pad);

/**
 * pstrcat:
 * Append @s to the string in @buf of @buf_size bytes, truncating if
 * needed.  Returns @buf.
 */
char *pstrcat(char *buf, int buf_size, const char *s);

/**
 * strstart:
 * Returns: 1 if @str starts with @val (and sets *@ptr, if @ptr is not
 * NULL, to the first character after the prefix), else 0.
 */
int strstart(const char *str, const char *val, const char **ptr);

/**
 * stristart:
 * Like strstart(), comparing ASCII letters case-insensitively.
 */
int stristart(const char *str, const char *val, const char **ptr);

/**
 * qemu_strnlen:
 * Returns: strlen(@s) or @max_len, whichever is smaller.
 */
int qemu_strnlen(const char *s, int max_len);

/**
 * qemu_strsep:
 * Portable strsep(): split *@input at the first character in @delim.
 */
char *qemu_strsep(char **input, const char *delim);

/* Returns: a pointer to the first @c in @s, or to its terminating NUL. */
const char *qemu_strchrnul(const char *s, int c);

/* Like mktime(), but @tm is in UTC. */
time_t mktimegm(struct tm *tm);

/*
 * Strict integer parsers.
 *
 * Convert the string at @nptr (in @base, 0 for C-style auto-detection)
 * and store it in *@result.  Leading whitespace is skipped; a sign is
 * accepted, and for the unsigned parsers a '-' negates modulo the type's
 * range, like strtoul() (but "-0x..." values beyond the range fail).
 *
 * If @endptr is NULL, the whole string must be consumed (trailing
 * characters give -EINVAL); otherwise *@endptr is set to the first
 * character not consumed.
 *
 * Returns 0 on success; -EINVAL if @nptr is NULL or contains no number
 * (*@endptr is then set to @nptr and *@result to 0); -ERANGE on
 * overflow, with *@result clamped to the type's minimum or maximum.
 */
int qemu_strtoi(const char *nptr, const char **endptr, int base,
                int *result);
int qemu_strtoui(const char *nptr, const char **endptr, int base,
                 unsigned int *result);
int qemu_strtol(const char *nptr, const char **endptr, int base,
                long *result);
int qemu_strtoul(const char *nptr, const char **endptr, int base,
                 unsigned long *result);
int qemu_strtoi64(const char *nptr, const char **endptr, int base,
                  int64_t *result);
int qemu_strtou64(const char *nptr, const char **endptr, int base,
                  uint64_t *result);
/* Floating point: -ERANGE on overflow/underflow, as strtod() reports. */
int qemu_strtod(const char *nptr, const char **endptr, double *result);
/* Like qemu_strtod(), but NaN and infinity give -EINVAL. */
int qemu_strtod_finite(const char *nptr, const char **endptr,
                       double *result);

/**
 * parse_uint:
 * Parse an unsigned integer in @base: no leading '-', no empty string.
 * *@endptr is set to the first unparsed character.
 * Returns 0, -EINVAL (*@value 0) or -ERANGE (*@value ULLONG_MAX).
 */
int parse_uint(const char *s, unsigned long long *value, char **endptr,
               int base);

/* Like parse_uint(), but the whole string must be consumed. */
int parse_uint_full(const char *s, unsigned long long *value, int base);

/*
 * Size parsers.
 *
 * Parse a size such as "4096", "64k", "1.5G" or "1M" into bytes: an
 * integer or decimal fraction (not hex with a fraction, no exponent, no
 * sign), optionally followed by one of the suffixes B, K, M, G, T, P, E
 * (either case).  qemu_strtosz() and qemu_strtosz_MiB() use binary
 * units (K = 1024), qemu_strtosz_metric() decimal ones (K = 1000).
 * Without a suffix, qemu_strtosz_MiB() takes the number in MiB and the
 * others in bytes.  A fraction is allowed only with a suffix other than
 * B, and the result is rounded down.
 *
 * @end as in qemu_strtoi().  Returns 0, -EINVAL (malformed) or -ERANGE
 * (more than UINT64_MAX bytes); *@result is set to 0 on -EINVAL.
 */
int qemu_strtosz(const char *nptr, const char **end, uint64_t *result);
int qemu_strtosz_MiB(const char *nptr, const char **end, uint64_t *result);
int qemu_strtosz_metric(const char *nptr, const char **end,
                        uint64_t *result);

/**
 * size_to_str:
 * Format a byte count for humans with binary units: "0 B", "512 B",
 * "64 KiB", "1.5 MiB", "4 GiB" (at most 3 significant digits, as QEMU).
 * The caller frees the result.
 */
char *size_to_str(uint64_t val);

/**
 * freq_to_str:
 * Format a frequency with SI units: "100 MHz".  The caller frees it.
 */
char *freq_to_str(uint64_t freq_hz);

/* Unsigned LEB128 for values below 2^14 (at most two bytes). */
int uleb128_encode_small(uint8_t *out, uint32_t n);
int uleb128_decode_small(const uint8_t *in, uint32_t *n);

/* g_strcmp0() for qsort() over arrays of strings. */
int qemu_pstrcmp0(const char **str1, const char **str2);

static inline const char *yes_no(bool b)
{
    return b ? "yes" : "no";
}

/**
 * buffer_is_zero:
 * Returns: true if the @len bytes at @buf are all zero (true for @len 0).
 * Vectorised: runs close to memory bandwidth on large buffers.
 */
bool buffer_is_zero(const void *buf, size_t len);

#endif /* QEMU_CUTILS_H */
