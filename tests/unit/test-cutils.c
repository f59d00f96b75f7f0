/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for cutils (parsers, buffer_is_zero, ids), aligned memory. */
#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qemu/id.h"
#include "qemu/memalign.h"
#include "qemu/units.h"

/* qemu_strtoi */

static void test_strtoi_simple(void)
{
    const char *end = NULL;
    int res = 999;

    g_assert_cmpint(qemu_strtoi("  -12345xyz", &end, 0, &res), ==, 0);
    g_assert_cmpint(res, ==, -12345);
    g_assert_cmpstr(end, ==, "xyz");

    g_assert_cmpint(qemu_strtoi("0x1f", NULL, 0, &res), ==, 0);
    g_assert_cmpint(res, ==, 31);
    g_assert_cmpint(qemu_strtoi("017", NULL, 0, &res), ==, 0);
    g_assert_cmpint(res, ==, 15);
    g_assert_cmpint(qemu_strtoi("017", NULL, 10, &res), ==, 0);
    g_assert_cmpint(res, ==, 17);
}

static void test_strtoi_errors(void)
{
    const char *str = "  xyz";
    const char *end = NULL;
    int res = 999;

    /* No conversion: -EINVAL, *endptr = nptr. */
    g_assert_cmpint(qemu_strtoi(str, &end, 0, &res), ==, -EINVAL);
    g_assert_true(end == str);
    g_assert_cmpint(qemu_strtoi("", &end, 0, &res), ==, -EINVAL);

    /* NULL string. */
    end = str;
    g_assert_cmpint(qemu_strtoi(NULL, &end, 0, &res), ==, -EINVAL);
    g_assert_null(end);

    /* Trailing garbage without endptr. */
    g_assert_cmpint(qemu_strtoi("123 ", NULL, 0, &res), ==, -EINVAL);

    /* Range. */
    g_assert_cmpint(qemu_strtoi("2147483647", NULL, 0, &res), ==, 0);
    g_assert_cmpint(res, ==, INT_MAX);
    g_assert_cmpint(qemu_strtoi("2147483648", NULL, 0, &res), ==, -ERANGE);
    g_assert_cmpint(res, ==, INT_MAX);
    g_assert_cmpint(qemu_strtoi("-2147483648", NULL, 0, &res), ==, 0);
    g_assert_cmpint(res, ==, INT_MIN);
    g_assert_cmpint(qemu_strtoi("-2147483649", &end, 0, &res), ==, -ERANGE);
    g_assert_cmpint(res, ==, INT_MIN);
    g_assert_cmpint(*end, ==, '\0');
    g_assert_cmpint(qemu_strtoi("99999999999999999999999", NULL, 0, &res),
                    ==, -ERANGE);
    g_assert_cmpint(res, ==, INT_MAX);
}

static void test_strtoui(void)
{
    unsigned int res = 0;
    const char *end;

    g_assert_cmpint(qemu_strtoui("4294967295", NULL, 0, &res), ==, 0);
    g_assert_cmpuint(res, ==, UINT_MAX);
    g_assert_cmpint(qemu_strtoui("4294967296", NULL, 0, &res), ==, -ERANGE);
    g_assert_cmpuint(res, ==, UINT_MAX);
    /* Negative numbers wrap as strtoul() does... */
    g_assert_cmpint(qemu_strtoui(" \t -321", NULL, 0, &res), ==, 0);
    g_assert_cmpuint(res, ==, (unsigned int)-321);
    g_assert_cmpint(qemu_strtoui("-2147483648", NULL, 0, &res), ==, 0);
    g_assert_cmpuint(res, ==, 2147483648u);
    /* ...unless they are too large in magnitude. */
    g_assert_cmpint(qemu_strtoui("-4294967297", &end, 0, &res), ==, -ERANGE);
    g_assert_cmpuint(res, ==, UINT_MAX);
    g_assert_cmpint(qemu_strtoui("-", &end, 0, &res), ==, -EINVAL);
}

static void test_strtol_strtoul(void)
{
    long l;
    unsigned long ul;
    const char *end;

    g_assert_cmpint(qemu_strtol("9223372036854775807", NULL, 0, &l), ==, 0);
    g_assert_cmpint(l, ==, LONG_MAX);
    g_assert_cmpint(qemu_strtol("9223372036854775808", NULL, 0, &l), ==,
                    -ERANGE);
    g_assert_cmpint(l, ==, LONG_MAX);
    g_assert_cmpint(qemu_strtol("-9223372036854775809", NULL, 0, &l), ==,
                    -ERANGE);
    g_assert_cmpint(l, ==, LONG_MIN);

    g_assert_cmpint(qemu_strtoul("18446744073709551615", NULL, 0, &ul), ==,
                    0);
    g_assert_cmpuint(ul, ==, ULONG_MAX);
    g_assert_cmpint(qemu_strtoul("18446744073709551616", &end, 0, &ul), ==,
                    -ERANGE);
    g_assert_cmpuint(ul, ==, ULONG_MAX);
    g_assert_cmpint(*end, ==, '\0');
    g_assert_cmpint(qemu_strtoul("-18446744073709551616", NULL, 0, &ul), ==,
                    -ERANGE);
    g_assert_cmpuint(ul, ==, ULONG_MAX);
    g_assert_cmpint(qemu_strtoul("-1", NULL, 0, &ul), ==, 0);
    g_assert_cmpuint(ul, ==, ULONG_MAX);
    g_assert_cmpint(qemu_strtoul("0xffz", &end, 16, &ul), ==, 0);
    g_assert_cmpuint(ul, ==, 255);
    g_assert_cmpstr(end, ==, "z");
}

static void test_strtoi64_u64(void)
{
    int64_t i;
    uint64_t u;
    const char *end;

    g_assert_cmpint(qemu_strtoi64("-9223372036854775808", NULL, 0, &i), ==,
                    0);
    g_assert_cmpint(i, ==, INT64_MIN);
    g_assert_cmpint(qemu_strtoi64("9223372036854775808", NULL, 0, &i), ==,
                    -ERANGE);
    g_assert_cmpint(i, ==, INT64_MAX);
    g_assert_cmpint(qemu_strtoi64("12 34", &end, 10, &i), ==, 0);
    g_assert_cmpint(i, ==, 12);
    g_assert_cmpstr(end, ==, " 34");
    g_assert_cmpint(qemu_strtoi64("12 34", NULL, 10, &i), ==, -EINVAL);

    g_assert_cmpint(qemu_strtou64("18446744073709551615", NULL, 0, &u), ==,
                    0);
    g_assert_cmpuint(u, ==, UINT64_MAX);
    g_assert_cmpint(qemu_strtou64("18446744073709551616", NULL, 0, &u), ==,
                    -ERANGE);
    g_assert_cmpuint(u, ==, UINT64_MAX);
    g_assert_cmpint(qemu_strtou64("-18446744073709551615", NULL, 0, &u), ==,
                    0);
    g_assert_cmpuint(u, ==, 1);
    g_assert_cmpint(qemu_strtou64("0x", &end, 0, &u), ==, 0);
    g_assert_cmpuint(u, ==, 0);
    g_assert_cmpstr(end, ==, "x");
    g_assert_cmpint(qemu_strtou64(NULL, NULL, 0, &u), ==, -EINVAL);
}

static void test_strtod(void)
{
    double d;
    const char *end;

    g_assert_cmpint(qemu_strtod("1.5x", &end, &d), ==, 0);
    g_assert_cmpfloat(d, ==, 1.5);
    g_assert_cmpstr(end, ==, "x");
    g_assert_cmpint(qemu_strtod("1e999", NULL, &d), ==, -ERANGE);
    g_assert_cmpint(qemu_strtod_finite("inf", &end, &d), ==, -EINVAL);
    g_assert_cmpint(qemu_strtod_finite("nan", NULL, &d), ==, -EINVAL);
    g_assert_cmpint(qemu_strtod_finite("2.25", NULL, &d), ==, 0);
    g_assert_cmpfloat(d, ==, 2.25);
}

static void test_parse_uint(void)
{
    unsigned long long v;
    char *end;

    g_assert_cmpint(parse_uint("  42rest", &v, &end, 0), ==, 0);
    g_assert_cmpuint(v, ==, 42);
    g_assert_cmpstr(end, ==, "rest");
    g_assert_cmpint(parse_uint(" -1", &v, &end, 0), ==, -ERANGE);
    g_assert_cmpuint(v, ==, 0);
    g_assert_cmpint(parse_uint("99999999999999999999", &v, &end, 0), ==,
                    -ERANGE);
    g_assert_cmpuint(v, ==, ULLONG_MAX);
    g_assert_cmpint(parse_uint("", &v, &end, 0), ==, -EINVAL);

    g_assert_cmpint(parse_uint_full("123", &v, 0), ==, 0);
    g_assert_cmpuint(v, ==, 123);
    g_assert_cmpint(parse_uint_full("123x", &v, 0), ==, -EINVAL);
    g_assert_cmpuint(v, ==, 0);
    g_assert_cmpint(parse_uint_full(NULL, &v, 0), ==, -EINVAL);
}

/* qemu_strtosz */

static void check_sz(const char *str, int ret, uint64_t expect)
{
    uint64_t res = 0xbaadf00d;
    int r = qemu_strtosz(str, NULL, &res);

    if (r != ret) {
        g_test_message("qemu_strtosz(\"%s\") returned %d", str, r);
    }
    g_assert_cmpint(r, ==, ret);
    if (ret == 0) {
        g_assert_cmpuint(res, ==, expect);
    }
}

static void test_strtosz_suffixes(void)
{
    check_sz("0", 0, 0);
    check_sz("12345", 0, 12345);
    check_sz("1B", 0, 1);
    check_sz("1b", 0, 1);
    check_sz("64k", 0, 64 * KiB);
    check_sz("64K", 0, 64 * KiB);
    check_sz("1M", 0, MiB);
    check_sz("2G", 0, 2 * GiB);
    check_sz("3T", 0, 3 * TiB);
    check_sz("4P", 0, 4 * PiB);
    check_sz("8E", 0, 8 * (uint64_t)EiB);
    check_sz("1.5M", 0, MiB + MiB / 2);
    check_sz("1.k", 0, KiB);
    check_sz("0.5", -EINVAL, 0);          /* fraction needs a scale */
    check_sz("0.5B", -EINVAL, 0);
    check_sz("0.1M", 0, 104858);          /* nearest, as QEMU 7.2 */
    check_sz("0.4K", 0, 410);
    check_sz("12.345M", 0, 12944671);
    check_sz("0.0001K", 0, 0);
    check_sz("0x20", 0, 32);
    check_sz("0x1.8k", -EINVAL, 0);
    check_sz("1.5e1k", -EINVAL, 0);       /* no exponents */
    check_sz("-1", -EINVAL, 0);
    check_sz(" -0", -EINVAL, 0);
    check_sz("", -EINVAL, 0);
    check_sz("k", -EINVAL, 0);
    check_sz("12x", -EINVAL, 0);
    check_sz("1KiB", -EINVAL, 0);
    check_sz("16E", -ERANGE, 0);
    check_sz("18446744073709551615", 0, UINT64_MAX);
    check_sz("18446744073709551616", -ERANGE, 0);
    check_sz("17179869184G", -ERANGE, 0);
    check_sz("15.5E", 0, 17870283321406128128ULL);
    check_sz("0.0000001K", 0, 0);
}

static void test_strtosz_end(void)
{
    const char *str = "12kB rest";
    const char *end = NULL;
    uint64_t res;

    g_assert_cmpint(qemu_strtosz(str, &end, &res), ==, 0);
    g_assert_cmpuint(res, ==, 12 * KiB);
    g_assert_cmpstr(end, ==, "B rest");

    str = "-5";
    g_assert_cmpint(qemu_strtosz(str, &end, &res), ==, -EINVAL);
    g_assert_true(end == str);

    g_assert_cmpint(qemu_strtosz_MiB("8", NULL, &res), ==, 0);
    g_assert_cmpuint(res, ==, 8 * MiB);
    g_assert_cmpint(qemu_strtosz_MiB("8k", NULL, &res), ==, 0);
    g_assert_cmpuint(res, ==, 8 * KiB);
    g_assert_cmpint(qemu_strtosz_metric("8k", NULL, &res), ==, 0);
    g_assert_cmpuint(res, ==, 8000);
    g_assert_cmpint(qemu_strtosz_metric("1.5M", NULL, &res), ==, 0);
    g_assert_cmpuint(res, ==, 1500000);
}

/* Random input: never a crash; end within the string; result consistent. */
static void test_strtosz_random(void)
{
    /* No "x": hex with a suffix prints a deprecation warning. */
    static const char alphabet[] = "0123456789.eE+- kKmMgGtTpPbB\xff";
    GRand *r = g_rand_new_with_seed(99);
    char buf[40];
    int iter;

    for (iter = 0; iter < 50000; iter++) {
        int len = g_rand_int_range(r, 0, sizeof(buf));
        const char *end = NULL;
        uint64_t res = 0, res2 = 0;
        int i, ret, ret2;

        for (i = 0; i < len; i++) {
            buf[i] = alphabet[g_rand_int_range(r, 0, sizeof(alphabet) - 1)];
        }
        buf[len] = '\0';
        ret = qemu_strtosz(buf, &end, &res);
        g_assert_true(ret == 0 || ret == -EINVAL || ret == -ERANGE);
        g_assert_true(end >= buf && end <= buf + len);
        /* Without @end, success means the whole string was consumed. */
        ret2 = qemu_strtosz(buf, NULL, &res2);
        if (ret2 == 0) {
            g_assert_cmpint(ret, ==, 0);
            g_assert_cmpint(*end, ==, '\0');
            g_assert_cmpuint(res, ==, res2);
        }
    }
    g_rand_free(r);
}

/* Corners of the parsers that the cases above leave open. */
static void test_parse_corners(void)
{
    const char *end = "unset";
    uint64_t sz = 7;
    unsigned int ui = 7;
    unsigned long long ull = 7;
    char *uend = NULL;
    int i = 7;

    /* A fraction of zero is fine on bytes; an empty fraction too. */
    g_assert_cmpint(qemu_strtosz("1.0B", NULL, &sz), ==, 0);
    g_assert_cmpuint(sz, ==, 1);
    g_assert_cmpint(qemu_strtosz("1.e", NULL, &sz), ==, 0);
    g_assert_cmpuint(sz, ==, EiB);
    g_assert_cmpint(qemu_strtosz("1.5e+k", &end, &sz), ==, 0);
    g_assert_cmpstr(end, ==, "+k");
    /* Failures leave the result alone. */
    sz = 7;
    g_assert_cmpint(qemu_strtosz("1.5e-3k", &end, &sz), ==, -EINVAL);
    g_assert_cmpuint(sz, ==, 7);
    g_assert_cmpint(qemu_strtosz(NULL, &end, &sz), ==, -EINVAL);
    g_assert_null(end);
    g_assert_cmpint(qemu_strtosz(NULL, NULL, &sz), ==, -EINVAL);
    g_assert_cmpuint(sz, ==, 7);
    /* Too large, then leftovers: without @end the leftovers win. */
    g_assert_cmpint(qemu_strtosz("99999999999999999999k", &end, &sz), ==,
                    -ERANGE);
    g_assert_cmpstr(end, ==, "k");
    g_assert_cmpint(qemu_strtosz("99999999999999999999k", NULL, &sz), ==,
                    -EINVAL);

    /* A NULL string leaves the result alone. */
    g_assert_cmpint(qemu_strtoi(NULL, NULL, 0, &i), ==, -EINVAL);
    g_assert_cmpint(i, ==, 7);
    /* Trailing garbage still stores the value. */
    g_assert_cmpint(qemu_strtoi("42z", NULL, 0, &i), ==, -EINVAL);
    g_assert_cmpint(i, ==, 42);
    /* qemu_strtoui() takes a minus only up to 2^31. */
    g_assert_cmpint(qemu_strtoui("-2147483649", NULL, 0, &ui), ==,
                    -ERANGE);
    g_assert_cmpuint(ui, ==, UINT_MAX);
    g_assert_cmpint(qemu_strtoui("0x7fffffff", NULL, 0, &ui), ==, 0);
    g_assert_cmpuint(ui, ==, INT_MAX);

    g_assert_cmpint(parse_uint(NULL, &ull, &uend, 0), ==, -EINVAL);
    g_assert_cmpuint(ull, ==, 0);
    g_assert_null(uend);
    g_assert_cmpint(parse_uint("x", &ull, &uend, 0), ==, -EINVAL);
    g_assert_cmpstr(uend, ==, "x");
}

static void test_size_to_str(void)
{
    static const struct {
        uint64_t val;
        const char *str;
    } cases[] = {
        { 0, "0 B" },
        { 512, "512 B" },
        { 999, "999 B" },
        { 1000, "0.977 KiB" },
        { 64 * KiB, "64 KiB" },
        { 1536 * KiB, "1.5 MiB" },
        { 4 * GiB, "4 GiB" },
        { UINT64_MAX, "16 EiB" },
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        g_autofree char *s = size_to_str(cases[i].val);

        g_assert_cmpstr(s, ==, cases[i].str);
    }
}

static void test_strings(void)
{
    char buf[8];
    const char *rest;

    g_assert_cmpstr(pstrcpy(buf, sizeof(buf), "abcdefghij"), ==, "abcdefg");
    g_assert_cmpstr(pstrcpy(buf, sizeof(buf), "ab"), ==, "ab");
    g_assert_cmpstr(pstrcat(buf, sizeof(buf), "cdefghij"), ==, "abcdefg");
    strpadcpy(buf, sizeof(buf), "xy", ' ');
    g_assert_cmpmem(buf, 8, "xy      ", 8);

    g_assert_true(strstart("unix:/tmp/x", "unix:", &rest));
    g_assert_cmpstr(rest, ==, "/tmp/x");
    g_assert_false(strstart("tcp:x", "unix:", &rest));
    g_assert_true(stristart("UNIX:x", "unix:", &rest));
    g_assert_cmpstr(rest, ==, "x");
    g_assert_cmpint(qemu_strnlen("abc", 2), ==, 2);
    g_assert_cmpint(qemu_strnlen("abc", 10), ==, 3);
    g_assert_cmpint(qemu_strnlen("abc", 0), ==, 0);
    g_assert_false(stristart("UN", "unix:", &rest));

    /* Zero-sized buffers are left alone. */
    buf[0] = 'q';
    pstrcpy(buf, 0, "abc");
    pstrcat(buf, 0, "abc");
    strpadcpy(buf, 0, "abc", ' ');
    g_assert_cmpint(buf[0], ==, 'q');
    /* A full buffer takes nothing more. */
    pstrcpy(buf, 4, "abc");
    g_assert_cmpstr(pstrcat(buf, 4, "d"), ==, "abc");
}

/* buffer_is_zero */

static void test_buffer_is_zero_exhaustive(void)
{
    /* Room for every offset 0..63 and length 0..300, plus guard bytes. */
    enum { MAXLEN = 300, MAXOFS = 64, GUARD = 64 };
    g_autofree uint8_t *mem = g_malloc(GUARD + MAXOFS + MAXLEN + GUARD);
    uint8_t *base = mem + GUARD;
    size_t ofs, len, pos;

    /* Non-zero bytes around the buffer must not be looked at. */
    memset(mem, 0xff, GUARD + MAXOFS + MAXLEN + GUARD);
    for (ofs = 0; ofs < MAXOFS; ofs++) {
        for (len = 0; len <= MAXLEN; len++) {
            uint8_t *buf = base + ofs;

            memset(buf, 0, len);
            g_assert_true(buffer_is_zero(buf, len));
            for (pos = 0; pos < len; pos++) {
                buf[pos] = 1 << (pos % 8);
                if (buffer_is_zero(buf, len)) {
                    g_test_message("ofs %zu len %zu pos %zu", ofs, len, pos);
                    g_assert_not_reached();
                }
                buf[pos] = 0;
            }
            memset(buf, 0xff, len);
        }
    }
}

static void test_buffer_is_zero_large(void)
{
    size_t len = 8 * MiB + 24;
    g_autofree uint8_t *buf = g_malloc0(len + 1);
    size_t positions[] = { 0, 1, 4095, 4096, len / 2, len - 33, len - 1 };
    size_t i;

    g_assert_true(buffer_is_zero(buf + 1, len));
    for (i = 0; i < ARRAY_SIZE(positions); i++) {
        buf[1 + positions[i]] = 0x80;
        g_assert_false(buffer_is_zero(buf + 1, len));
        buf[1 + positions[i]] = 0;
    }
    g_assert_true(buffer_is_zero(buf + 1, len));
}

/* ids */

static void test_id_wellformed(void)
{
    g_assert_true(id_wellformed("a"));
    g_assert_true(id_wellformed("node0"));
    g_assert_true(id_wellformed("Drive-0.x_y"));
    g_assert_false(id_wellformed(""));
    g_assert_false(id_wellformed("0abc"));
    g_assert_false(id_wellformed("-abc"));
    g_assert_false(id_wellformed("#block123"));
    g_assert_false(id_wellformed("a b"));
    g_assert_false(id_wellformed("a,b"));
    g_assert_false(id_wellformed("a\xc3\xa9"));
    g_assert_false(id_wellformed("\xc3\xa9"));
}

static void test_id_generate(void)
{
    int i;

    for (i = 0; i < 120; i++) {
        g_autofree char *id = id_generate(ID_BLOCK);
        g_autofree char *prefix = g_strdup_printf("#block%d", i);
        const char *p = id + strlen(prefix);

        /* Counter from 0, then exactly two random digits. */
        g_assert_true(g_str_has_prefix(id, prefix));
        g_assert_cmpint(strlen(p), ==, 2);
        g_assert_true(g_ascii_isdigit(p[0]) && g_ascii_isdigit(p[1]));
        g_assert_true(g_regex_match_simple("^#block[0-9]+$", id, 0, 0));
        g_assert_false(id_wellformed(id));
    }
}

/* qemu_memalign() and friends: aligned, usable, freed by qemu_vfree(). */
static void test_memalign(void)
{
    size_t align;

    for (align = 1; align <= 64 * KiB; align <<= 1) {
        uint8_t *p = qemu_memalign(align, 3 * align);
        uint8_t *q = qemu_try_memalign(align, 0);

        g_assert_cmpuint((uintptr_t)p % MAX(align, sizeof(void *)), ==, 0);
        g_assert_nonnull(q);
        g_assert_cmpuint((uintptr_t)q % MAX(align, sizeof(void *)), ==, 0);
        memset(p, 0xa5, 3 * align);
        g_assert_cmpuint(p[3 * align - 1], ==, 0xa5);
        qemu_vfree(p);
        qemu_vfree(q);
    }
    qemu_vfree(NULL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/cutils/strtoi/simple", test_strtoi_simple);
    g_test_add_func("/cutils/strtoi/errors", test_strtoi_errors);
    g_test_add_func("/cutils/strtoui", test_strtoui);
    g_test_add_func("/cutils/strtol-strtoul", test_strtol_strtoul);
    g_test_add_func("/cutils/strtoi64-strtou64", test_strtoi64_u64);
    g_test_add_func("/cutils/strtod", test_strtod);
    g_test_add_func("/cutils/parse-uint", test_parse_uint);
    g_test_add_func("/cutils/strtosz/suffixes", test_strtosz_suffixes);
    g_test_add_func("/cutils/strtosz/end", test_strtosz_end);
    g_test_add_func("/cutils/strtosz/random", test_strtosz_random);
    g_test_add_func("/cutils/parse-corners", test_parse_corners);
    g_test_add_func("/cutils/size-to-str", test_size_to_str);
    g_test_add_func("/cutils/strings", test_strings);
    g_test_add_func("/cutils/buffer-is-zero/exhaustive",
                    test_buffer_is_zero_exhaustive);
    g_test_add_func("/cutils/buffer-is-zero/large",
                    test_buffer_is_zero_large);
    g_test_add_func("/cutils/id/wellformed", test_id_wellformed);
    g_test_add_func("/cutils/id/generate", test_id_generate);
    g_test_add_func("/memalign", test_memalign);

    return g_test_run();
}
