/*
 * check_units.c - Check suite for sim/scenario/units.c.
 *
 * For every parser: accepted spellings with their exact values, then inputs
 * that must be rejected (trailing junk, unknown or missing unit, sign,
 * overflow, non-whole results). Rejections also check that *out is left
 * untouched. units_format_duration is checked for its output and for
 * parsing back to the same value.
 */
#include "sim/scenario/units.h"

#include <check.h>
#include <stdlib.h>

#define SENTINEL_U64 UINT64_C(0xdeadbeefcafe1234)
#define SENTINEL_U32 UINT32_C(0xdeadbeef)

/* Accepted: out must equal expect. */
static void duration_ok(const char *s, uint64_t expect_ns)
{
    uint64_t out = SENTINEL_U64;
    ck_assert_msg(units_parse_duration(s, &out), "duration \"%s\" rejected", s);
    ck_assert_msg(out == expect_ns, "duration \"%s\" = %llu, want %llu", s,
                  (unsigned long long)out, (unsigned long long)expect_ns);
}

/* Rejected: out must be untouched. */
static void duration_bad(const char *s)
{
    uint64_t out = SENTINEL_U64;
    ck_assert_msg(!units_parse_duration(s, &out), "duration \"%s\" accepted", s);
    ck_assert_uint_eq(out, SENTINEL_U64);
}

static void size_ok(const char *s, uint64_t expect_bytes)
{
    uint64_t out = SENTINEL_U64;
    ck_assert_msg(units_parse_size(s, &out), "size \"%s\" rejected", s);
    ck_assert_msg(out == expect_bytes, "size \"%s\" = %llu, want %llu", s,
                  (unsigned long long)out, (unsigned long long)expect_bytes);
}

static void size_bad(const char *s)
{
    uint64_t out = SENTINEL_U64;
    ck_assert_msg(!units_parse_size(s, &out), "size \"%s\" accepted", s);
    ck_assert_uint_eq(out, SENTINEL_U64);
}

static void bandwidth_ok(const char *s, uint64_t expect_bps)
{
    uint64_t out = SENTINEL_U64;
    ck_assert_msg(units_parse_bandwidth(s, &out), "bandwidth \"%s\" rejected", s);
    ck_assert_msg(out == expect_bps, "bandwidth \"%s\" = %llu, want %llu", s,
                  (unsigned long long)out, (unsigned long long)expect_bps);
}

static void bandwidth_bad(const char *s)
{
    uint64_t out = SENTINEL_U64;
    ck_assert_msg(!units_parse_bandwidth(s, &out), "bandwidth \"%s\" accepted", s);
    ck_assert_uint_eq(out, SENTINEL_U64);
}

static void rate_ok(const char *s, double expect_per_s)
{
    double out = -1.0;
    ck_assert_msg(units_parse_rate(s, &out), "rate \"%s\" rejected", s);
    ck_assert_msg(out == expect_per_s, "rate \"%s\" = %.17g, want %.17g", s, out,
                  expect_per_s);
}

static void rate_bad(const char *s)
{
    double out = -1.0;
    ck_assert_msg(!units_parse_rate(s, &out), "rate \"%s\" accepted", s);
    ck_assert_double_eq(out, -1.0);
}

static void ppm_ok(const char *s, uint32_t expect_ppm)
{
    uint32_t out = SENTINEL_U32;
    ck_assert_msg(units_parse_ppm(s, &out), "ppm \"%s\" rejected", s);
    ck_assert_msg(out == expect_ppm, "ppm \"%s\" = %u, want %u", s, (unsigned)out,
                  (unsigned)expect_ppm);
}

static void ppm_bad(const char *s)
{
    uint32_t out = SENTINEL_U32;
    ck_assert_msg(!units_parse_ppm(s, &out), "ppm \"%s\" accepted", s);
    ck_assert_uint_eq(out, SENTINEL_U32);
}

static void scale_ok(const char *s, uint64_t expect_ppm)
{
    uint64_t out = SENTINEL_U64;
    ck_assert_msg(units_parse_scale(s, &out), "scale \"%s\" rejected", s);
    ck_assert_msg(out == expect_ppm, "scale \"%s\" = %llu, want %llu", s,
                  (unsigned long long)out, (unsigned long long)expect_ppm);
}

static void scale_bad(const char *s)
{
    uint64_t out = SENTINEL_U64;
    ck_assert_msg(!units_parse_scale(s, &out), "scale \"%s\" accepted", s);
    ck_assert_uint_eq(out, SENTINEL_U64);
}

static void uint_ok(const char *s, uint64_t expect)
{
    uint64_t out = SENTINEL_U64;
    ck_assert_msg(units_parse_uint(s, &out), "uint \"%s\" rejected", s);
    ck_assert_msg(out == expect, "uint \"%s\" = %llu, want %llu", s,
                  (unsigned long long)out, (unsigned long long)expect);
}

static void uint_bad(const char *s)
{
    uint64_t out = SENTINEL_U64;
    ck_assert_msg(!units_parse_uint(s, &out), "uint \"%s\" accepted", s);
    ck_assert_uint_eq(out, SENTINEL_U64);
}

/* ---- duration --------------------------------------------------------- */

START_TEST(test_duration_good)
{
    duration_ok("5ns", 5);
    duration_ok("12us", 12000);
    duration_ok("1.5ms", 1500000);
    duration_ok("600s", UINT64_C(600000000000));
    duration_ok("2m", UINT64_C(120000000000));
    duration_ok("2h", UINT64_C(7200000000000));
    duration_ok("1.25s", UINT64_C(1250000000));
    duration_ok("0.000000001s", 1);
    duration_ok("0.5us", 500);
    duration_ok("0.001ms", 1000);
    duration_ok("1.000000000000000000000000000000000000000000000s", UINT64_C(1000000000));
    duration_ok("007ms", 7000000);
    duration_ok("0", 0);
    duration_ok("0.0", 0);
    duration_ok("0s", 0);
    duration_ok("0ns", 0);
    /* White space around and between number and unit. */
    duration_ok("  10 ms  ", 10000000);
    duration_ok("\t3s\n", UINT64_C(3000000000));
    /* Largest value: UINT64_MAX ns. */
    duration_ok("18446744073709551615ns", UINT64_MAX);
    duration_ok("18446744073.709551615s", UINT64_MAX);
}
END_TEST

START_TEST(test_duration_exact)
{
    /* Decimal fractions that binary floating point cannot represent. */
    duration_ok("0.1s", UINT64_C(100000000));
    duration_ok("0.3s", UINT64_C(300000000));
    duration_ok("4.35s", UINT64_C(4350000000));
    duration_ok("0.7ms", 700000);
    duration_ok("1.1h", UINT64_C(3960000000000));
    duration_ok("0.1m", UINT64_C(6000000000));
    duration_ok("9007199254740993ns", UINT64_C(9007199254740993)); /* 2^53 + 1 */
}
END_TEST

START_TEST(test_duration_bad)
{
    duration_bad(NULL);
    duration_bad("");
    duration_bad("   ");
    duration_bad("s");
    duration_bad("10");       /* missing unit (only zero may be bare) */
    duration_bad("0.5");
    duration_bad("-1s");
    duration_bad("+1s");
    duration_bad("1sec");     /* unknown unit */
    duration_bad("1 sec");
    duration_bad("1S");       /* case-sensitive */
    duration_bad("1Ms");
    duration_bad("1min");
    duration_bad("1d");
    duration_bad("1s junk");  /* trailing junk */
    duration_bad("1s1");
    duration_bad("1 0s");
    duration_bad("1ss");
    duration_bad("0.5ns");    /* not whole in ns */
    duration_bad("1.0000000001s");
    duration_bad("1.s");      /* malformed decimals */
    duration_bad(".5s");
    duration_bad("1..5s");
    duration_bad("1.5.0s");
    duration_bad("1e3ns");
    duration_bad("0x10ns");
    duration_bad("nan");
    duration_bad("nans");
    duration_bad("inf");
    duration_bad("infs");
    duration_bad("18446744073709551616ns"); /* UINT64_MAX + 1 */
    duration_bad("18446744073.709551616s");
    duration_bad("18446744074s");
    duration_bad("5124096h");
    duration_bad("99999999999999999999999999999999ns");
    duration_bad("0.00000000000000000000000000000000000000001s");
}
END_TEST

/* ---- size ------------------------------------------------------------- */

START_TEST(test_size)
{
    size_ok("0B", 0);
    size_ok("512B", 512);
    size_ok("1KB", 1000);
    size_ok("1.5KB", 1500);
    size_ok("2MB", 2000000);
    size_ok("1GB", UINT64_C(1000000000));
    size_ok("1KiB", 1024);
    size_ok("0.5KiB", 512);
    size_ok("1MiB", UINT64_C(1048576));
    size_ok("1GiB", UINT64_C(1073741824));
    size_ok("0.25GiB", UINT64_C(268435456));
    size_ok("0.000000000931322574615478515625GiB", 1); /* 2^-30 GiB */
    size_ok(" 4 MB ", 4000000);
    size_ok("18446744073709551615B", UINT64_MAX);

    size_bad("");
    size_bad("100");      /* missing unit */
    size_bad("1kb");      /* case-sensitive */
    size_bad("1kB");
    size_bad("1b");
    size_bad("1KIB");
    size_bad("1TB");
    size_bad("1Bytes");
    size_bad("0.5B");     /* not whole */
    size_bad("0.0001KiB");
    size_bad("-1KB");
    size_bad("1KB!");
    size_bad("17179869184GiB"); /* 2^64 bytes */
    size_bad("18446744073709551616B");
}
END_TEST

/* ---- bandwidth -------------------------------------------------------- */

START_TEST(test_bandwidth)
{
    bandwidth_ok("1bit/s", 1);
    bandwidth_ok("100kbit/s", 100000);
    bandwidth_ok("20Mbit/s", 20000000);
    bandwidth_ok("1Gbit/s", UINT64_C(1000000000));
    bandwidth_ok("2.5Gbit/s", UINT64_C(2500000000));
    bandwidth_ok("9600bps", 9600);
    bandwidth_ok("56kbps", 56000);
    bandwidth_ok("0.1Mbps", 100000);
    bandwidth_ok("10 Gbps", UINT64_C(10000000000));
    bandwidth_ok("0bps", 0);

    bandwidth_bad("");
    bandwidth_bad("100");      /* missing unit */
    bandwidth_bad("1Kbit/s");  /* case-sensitive */
    bandwidth_bad("1mbps");
    bandwidth_bad("1MBps");
    bandwidth_bad("1Mbit");
    bandwidth_bad("1Mb/s");
    bandwidth_bad("1 Mbit / s");
    bandwidth_bad("0.5bps");   /* not whole */
    bandwidth_bad("-1Mbps");
    bandwidth_bad("1Mbps x");
    bandwidth_bad("18446744074Gbps");
}
END_TEST

/* ---- rate ------------------------------------------------------------- */

START_TEST(test_rate)
{
    rate_ok("7/s", 7.0);
    rate_ok("0.5/s", 0.5);
    rate_ok("0.1/s", 0.1);
    rate_ok("30/m", 0.5);
    rate_ok("1/m", 1.0 / 60.0);
    rate_ok("3600/h", 1.0);
    rate_ok("1/h", 1.0 / 3600.0);
    rate_ok("0.7/m", 7.0 / 600.0);
    rate_ok("0/s", 0.0);
    rate_ok(" 12 /s ", 12.0);
    rate_ok("1000000/s", 1e6);

    rate_bad("");
    rate_bad("7");        /* missing unit */
    rate_bad("7/sec");
    rate_bad("7/S");
    rate_bad("7 per s");
    rate_bad("7/d");
    rate_bad("/s");
    rate_bad("-1/s");
    rate_bad("1e3/s");
    rate_bad("nan/s");
    rate_bad("inf/s");
    rate_bad("7/s/s");
    rate_bad("1.5.2/s");
    rate_bad("999999999999999999999999999999999999999999/s"); /* > 2^128 */
}
END_TEST

/* ---- ppm -------------------------------------------------------------- */

START_TEST(test_ppm)
{
    ppm_ok("0.01", 10000);
    ppm_ok("1%", 10000);
    ppm_ok("250ppm", 250);
    ppm_ok("0", 0);
    ppm_ok("1", 1000000);
    ppm_ok("1.0", 1000000);
    ppm_ok("0.000001", 1);
    ppm_ok("0.5%", 5000);
    ppm_ok("0.0001%", 1);
    ppm_ok("100%", 1000000);
    ppm_ok("1000000ppm", 1000000);
    ppm_ok(" 25 % ", 250000);

    ppm_bad("");
    ppm_bad("1.5");          /* above one */
    ppm_bad("101%");
    ppm_bad("1000001ppm");
    ppm_bad("4294967296ppm"); /* would wrap a uint32 */
    ppm_bad("0.0000001");    /* not whole in ppm */
    ppm_bad("0.5ppm");
    ppm_bad("0.00001%");
    ppm_bad("-0.1");
    ppm_bad("1 %%");
    ppm_bad("1PPM");
    ppm_bad("1pct");
    ppm_bad("0.1x");
    ppm_bad("99999999999999999999999");
}
END_TEST

/* ---- scale ------------------------------------------------------------ */

START_TEST(test_scale)
{
    scale_ok("2", 2000000);
    scale_ok("0.5", 500000);
    scale_ok("150%", 1500000);
    scale_ok("1", 1000000);
    scale_ok("0", 0);
    scale_ok("0.000001", 1);
    scale_ok("1000", UINT64_C(1000000000));
    scale_ok("2.5%", 25000);
    scale_ok(" 3 ", 3000000);
    scale_ok("18446744073709.551615", UINT64_MAX);

    scale_bad("");
    scale_bad("x2");
    scale_bad("2x");
    scale_bad("-1");
    scale_bad("0.0000001");  /* not whole in ppm */
    scale_bad("250ppm");     /* ppm is not a scale unit */
    scale_bad("18446744073710"); /* overflows in ppm */
    scale_bad("1e2");
}
END_TEST

/* ---- uint ------------------------------------------------------------- */

START_TEST(test_uint)
{
    uint_ok("0", 0);
    uint_ok("42", 42);
    uint_ok("  42  ", 42);
    uint_ok("000123", 123);
    uint_ok("18446744073709551615", UINT64_MAX);

    uint_bad(NULL);
    uint_bad("");
    uint_bad(" ");
    uint_bad("18446744073709551616");
    uint_bad("99999999999999999999999");
    uint_bad("-1");
    uint_bad("+1");
    uint_bad("1.0");
    uint_bad("1.");
    uint_bad("1s");
    uint_bad("1 2");
    uint_bad("0x1f");
    uint_bad("1e3");
}
END_TEST

/* ---- format ----------------------------------------------------------- */

/* units_why agrees with the parsers and names the reason. */
START_TEST(test_why)
{
    static const struct {
        units_kind_t kind;
        const char *s;
        units_err_t why;
    } cases[] = {
        {UNITS_DURATION, "1.5ms", UNITS_OK},
        {UNITS_DURATION, "0", UNITS_OK},
        {UNITS_DURATION, "1.5ns", UNITS_ERR_TOO_FINE},
        {UNITS_DURATION, "0.0000000001s", UNITS_ERR_TOO_FINE},
        {UNITS_DURATION, "1.000000000000000000000000000000000000001s", UNITS_ERR_TOO_FINE},
        {UNITS_DURATION, "99999999999999999999s", UNITS_ERR_TOO_LARGE},
        {UNITS_DURATION, "18446744073709551616ns", UNITS_ERR_TOO_LARGE},
        {UNITS_DURATION, "18446744073709551615ns", UNITS_OK},
        {UNITS_DURATION, "600", UNITS_ERR_UNIT},
        {UNITS_DURATION, "10 parsecs", UNITS_ERR_UNIT},
        {UNITS_DURATION, "-1s", UNITS_ERR_SYNTAX},
        {UNITS_DURATION, "", UNITS_ERR_SYNTAX},
        {UNITS_DURATION, ".5s", UNITS_ERR_SYNTAX},
        {UNITS_SIZE, "0.5B", UNITS_ERR_TOO_FINE},
        {UNITS_SIZE, "1.5KB", UNITS_OK},
        {UNITS_SIZE, "99999999999GB", UNITS_ERR_TOO_LARGE},
        {UNITS_SIZE, "12", UNITS_ERR_UNIT},
        {UNITS_BANDWIDTH, "0.5bit/s", UNITS_ERR_TOO_FINE},
        {UNITS_BANDWIDTH, "20Mbit/s", UNITS_OK},
        {UNITS_RATE, "7/s", UNITS_OK},
        {UNITS_RATE, "0.0000000000000000000000000000001/s", UNITS_ERR_TOO_FINE},
        {UNITS_RATE, "7", UNITS_ERR_UNIT},
        {UNITS_PPM, "0.0000001", UNITS_ERR_TOO_FINE},
        {UNITS_PPM, "2", UNITS_ERR_TOO_LARGE},
        {UNITS_PPM, "101%", UNITS_ERR_TOO_LARGE},
        {UNITS_PPM, "1%", UNITS_OK},
        {UNITS_SCALE, "0.0000005", UNITS_ERR_TOO_FINE},
        {UNITS_SCALE, "150%", UNITS_OK},
        {UNITS_UINT, "99999999999999999999", UNITS_ERR_TOO_LARGE},
        {UNITS_UINT, "18446744073709551615", UNITS_OK},
        {UNITS_UINT, "1.0", UNITS_ERR_SYNTAX},
        {UNITS_UINT, "5s", UNITS_ERR_SYNTAX},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(units_why(cases[i].kind, cases[i].s) == cases[i].why, "units_why(%d, \"%s\") = %d, want %d",
                      (int)cases[i].kind, cases[i].s, (int)units_why(cases[i].kind, cases[i].s), (int)cases[i].why);
}
END_TEST

START_TEST(test_format_duration)
{
    char buf[64];
    ck_assert_str_eq(units_format_duration(UINT64_C(1250000000), buf, sizeof buf), "1.25s");
    ck_assert_str_eq(units_format_duration(340000000, buf, sizeof buf), "340ms");
    ck_assert_str_eq(units_format_duration(12000, buf, sizeof buf), "12us");
    ck_assert_str_eq(units_format_duration(5, buf, sizeof buf), "5ns");
    ck_assert_str_eq(units_format_duration(0, buf, sizeof buf), "0ns");
    ck_assert_str_eq(units_format_duration(999, buf, sizeof buf), "999ns");
    ck_assert_str_eq(units_format_duration(1000, buf, sizeof buf), "1us");
    ck_assert_str_eq(units_format_duration(1500, buf, sizeof buf), "1.5us");
    ck_assert_str_eq(units_format_duration(1000001, buf, sizeof buf), "1.000001ms");
    ck_assert_str_eq(units_format_duration(UINT64_C(1000000000), buf, sizeof buf), "1s");
    ck_assert_str_eq(units_format_duration(UINT64_C(600000000000), buf, sizeof buf), "600s");
    ck_assert_str_eq(units_format_duration(UINT64_C(1000000001), buf, sizeof buf),
                     "1.000000001s");
    ck_assert_str_eq(units_format_duration(UINT64_MAX, buf, sizeof buf),
                     "18446744073.709551615s");

    /* Returns buf, and truncates safely into a small buffer. */
    char small[4];
    ck_assert_ptr_eq(units_format_duration(UINT64_C(1250000000), small, sizeof small), small);
    ck_assert_str_eq(small, "1.2");
}
END_TEST

START_TEST(test_format_roundtrip)
{
    const uint64_t values[] = {
        0, 1, 999, 1000, 1001, 123456, 1000000, 1234567, UINT64_C(999999999),
        UINT64_C(1000000000), UINT64_C(86400000000000), UINT64_C(1234567890123),
        UINT64_MAX - 1, UINT64_MAX,
    };
    char buf[64];
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        uint64_t back = 0;
        units_format_duration(values[i], buf, sizeof buf);
        ck_assert_msg(units_parse_duration(buf, &back), "\"%s\" does not parse", buf);
        ck_assert_uint_eq(back, values[i]);
    }
}
END_TEST

static Suite *units_suite(void)
{
    Suite *s = suite_create("units");

    TCase *tc_parse = tcase_create("parse");
    tcase_add_test(tc_parse, test_duration_good);
    tcase_add_test(tc_parse, test_duration_exact);
    tcase_add_test(tc_parse, test_duration_bad);
    tcase_add_test(tc_parse, test_size);
    tcase_add_test(tc_parse, test_bandwidth);
    tcase_add_test(tc_parse, test_rate);
    tcase_add_test(tc_parse, test_ppm);
    tcase_add_test(tc_parse, test_scale);
    tcase_add_test(tc_parse, test_uint);
    tcase_add_test(tc_parse, test_why);
    suite_add_tcase(s, tc_parse);

    TCase *tc_format = tcase_create("format");
    tcase_add_test(tc_format, test_format_duration);
    tcase_add_test(tc_format, test_format_roundtrip);
    suite_add_tcase(s, tc_format);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(units_suite());
    srunner_run_all(sr, CK_NORMAL);
    const int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
