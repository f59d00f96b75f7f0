/* SPDX-License-Identifier: GPL-2.0-or-later */
/* String helpers and QEMU's strict number and size parsers. */
#ifndef QEMU_CUTILS_H
#define QEMU_CUTILS_H

/*
 * qemu_va_format(fmt): inside a variadic function whose last named
 * parameter is the printf format @fmt, the function's own arguments
 * formatted by it, as a new string to g_free().  A statement expression,
 * so that va_start() and va_end() stay in the calling function.
 */
#define qemu_va_format(fmt) ({                              \
            va_list qva_args_;                              \
            char *qva_text_;                                \
                                                            \
            va_start(qva_args_, fmt);                       \
            qva_text_ = g_strdup_vprintf(fmt, qva_args_);   \
            va_end(qva_args_);                              \
            qva_text_;                                      \
        })

/*
 * Fixed-size buffers.  @buf_size counts the whole buffer; sizes of zero
 * or less leave it untouched.
 */

/* strlen(@s), but looking at no more than @max_len bytes. */
int qemu_strnlen(const char *s, int max_len);

/* Copy @str into @buf, cut short to fit, NUL-terminated.  Returns @buf. */
char *pstrcpy(char *buf, int buf_size, const char *str);

/* Append @s to the string in @buf, cut short to fit.  Returns @buf. */
char *pstrcat(char *buf, int buf_size, const char *s);

/* Fill @buf with @str, then @pad to the end; no terminating NUL. */
void strpadcpy(char *buf, int buf_size, const char *str, char pad);

/*
 * Prefix tests: 1 if @str begins with @val, and then *@ptr (unless @ptr
 * is NULL) points just past the prefix; else 0.  stristart() ignores
 * ASCII case.
 */
int strstart(const char *str, const char *val, const char **ptr);
int stristart(const char *str, const char *val, const char **ptr);

/*
 * Number parsers, strict versions of strtol() and friends.
 *
 * @base is as for strtol(): 2 to 36, or 0 for "0x" hex, "0" octal, else
 * decimal.  White space before the number and a sign are accepted; the
 * unsigned parsers negate after a '-' as strtoul() does (qemu_strtoui()
 * only for magnitudes up to 2^31).
 *
 * With @endptr, *@endptr is set to where the number ends; without one
 * the number must fill the whole string.
 *
 * Returns 0; -EINVAL when there is no number (*@endptr = @nptr, *@result
 * 0), when characters are left over and @endptr is NULL, or when @nptr
 * is NULL (*@endptr NULL, *@result untouched); -ERANGE when the value
 * does not fit, *@result being the nearest limit.
 */
int qemu_strtoi(const char *nptr, const char **endptr, int base,
                int *result);
int qemu_strtol(const char *nptr, const char **endptr, int base,
                long *result);
int qemu_strtoi64(const char *nptr, const char **endptr, int base,
                  int64_t *result);
int qemu_strtoui(const char *nptr, const char **endptr, int base,
                 unsigned int *result);
int qemu_strtoul(const char *nptr, const char **endptr, int base,
                 unsigned long *result);
int qemu_strtou64(const char *nptr, const char **endptr, int base,
                  uint64_t *result);

/*
 * The same for a double, with -ERANGE where strtod() reports overflow or
 * underflow.  The _finite variant also refuses infinities and NaN
 * (-EINVAL, *@endptr = @nptr, *@result untouched).
 */
int qemu_strtod(const char *nptr, const char **endptr, double *result);
int qemu_strtod_finite(const char *nptr, const char **endptr,
                       double *result);

/*
 * An unsigned number in @base that may not be negative (-ERANGE, value
 * 0) nor empty (-EINVAL).  *@endptr is where the number ends.  Overflow
 * gives -ERANGE with ULLONG_MAX.  The _full variant wants the whole
 * string to be the number (else -EINVAL, value 0).
 */
int parse_uint(const char *s, unsigned long long *value, char **endptr,
               int base);
int parse_uint_full(const char *s, unsigned long long *value, int base);

/*
 * Sizes in bytes, as the command line and HMP take them: "4096", "64k",
 * "1.5G", "0x1000".  A decimal number (or a hex one, which may not have
 * a fraction) optionally with a fraction, then optionally a unit letter
 * B, K, M, G, T, P or E in either case.  No sign and no exponent.
 *
 * The units are powers of 1024, or of 1000 for qemu_strtosz_metric().
 * Without a unit, qemu_strtosz_MiB() counts in MiB, the others in bytes.
 * A fraction needs a unit bigger than a byte; the result is rounded
 * down to whole bytes.
 *
 * @end as @endptr above.  Returns 0, -EINVAL (not a size) or -ERANGE
 * (above UINT64_MAX); *@result is set only on success.
 */
int qemu_strtosz(const char *nptr, const char **end, uint64_t *result);
int qemu_strtosz_metric(const char *nptr, const char **end,
                        uint64_t *result);
int qemu_strtosz_MiB(const char *nptr, const char **end, uint64_t *result);

/*
 * A byte count for people: three significant digits and a binary unit,
 * e.g. "512 B", "0.977 KiB", "1.5 MiB", "16 EiB".  Free it with g_free().
 */
char *size_to_str(uint64_t val);

/*
 * True when all @len bytes at @buf are zero (so for @len 0).  Fast on
 * large buffers.
 */
bool buffer_is_zero(const void *buf, size_t len);

#endif /* QEMU_CUTILS_H */
