/*
 * units.c - exact parsing and printing of values with units.
 *
 * Every parser splits its input the same way (split_input):
 *
 *     [space] digits [ "." digits ] [space] [unit] [space]
 *
 * The number is kept as text: an integer part I and a fraction part F with k
 * digits, trailing zeros of F dropped, so the value is I + F / 10^k. There is
 * no sign, no exponent and no "nan"/"inf"; both sides of a decimal point need
 * at least one digit. The unit is the rest of the string up to trailing white
 * space and must match one of the listed spellings exactly (case-sensitive).
 *
 * Scaling (decimal_scale) is exact integer arithmetic. For a unit worth S
 * target units, the result is I * S + F * S / 10^k. The fractional term must
 * be whole: with g = gcd(S, 10^k), F * S / 10^k is an integer exactly when
 * 10^k / g divides F, and then it equals (F / (10^k / g)) * (S / g), which is
 * below S. So "1.5ms" is 1,500,000 ns and "0.5ns" is rejected. F is held in
 * 128 bits, which bounds k at 38 significant fraction digits; that loses
 * nothing, because a value with more is never whole in any of our units (a
 * whole result needs S to carry k factors of 2 or k factors of 5, and no unit
 * here carries more than 30).
 *
 * Rates are returned as doubles computed from the exact rational
 * (I * 10^k + F) / (10^k * seconds per unit): one rounding to convert the
 * numerator and denominator and one for the division.
 *
 * On failure a parser returns false and leaves *out untouched.
 */
#include "sim/scenario/units.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define UNITS_NS_PER_US UINT64_C(1000)
#define UNITS_NS_PER_MS UINT64_C(1000000)
#define UNITS_NS_PER_S UINT64_C(1000000000)
#define UNITS_PPM_ONE UINT64_C(1000000)
/* 10^38 < 2^128 <= 10^39: the most fraction digits held exactly. */
#define UNITS_FRAC_DIGITS_MAX 38
/* Rates: keep 10^k * 3600 within 128 bits. */
#define UNITS_RATE_FRAC_DIGITS_MAX 30

/* gcc/clang 128-bit integer; __extension__ keeps -Wpedantic quiet. */
__extension__ typedef unsigned __int128 u128_t;

/* A decimal number as text: value = int_digits + frac_digits / 10^frac_len. */
typedef struct decimal {
    const char *int_digits;
    size_t int_len;
    const char *frac_digits;
    size_t frac_len; /* trailing zeros already removed */
    bool has_point;
} decimal_t;

/* A unit spelling and its worth in the target unit. */
typedef struct unit_def {
    const char *name;
    uint64_t scale;
} unit_def_t;

static const unit_def_t duration_units[] = {
    {"ns", 1},
    {"us", UNITS_NS_PER_US},
    {"ms", UNITS_NS_PER_MS},
    {"s", UNITS_NS_PER_S},
    {"m", 60 * UNITS_NS_PER_S},
    {"h", 3600 * UNITS_NS_PER_S},
};

static const unit_def_t size_units[] = {
    {"B", 1},
    {"KB", UINT64_C(1000)},
    {"MB", UINT64_C(1000000)},
    {"GB", UINT64_C(1000000000)},
    {"KiB", UINT64_C(1) << 10},
    {"MiB", UINT64_C(1) << 20},
    {"GiB", UINT64_C(1) << 30},
};

static const unit_def_t bandwidth_units[] = {
    {"bit/s", 1},
    {"kbit/s", UINT64_C(1000)},
    {"Mbit/s", UINT64_C(1000000)},
    {"Gbit/s", UINT64_C(1000000000)},
    {"bps", 1},
    {"kbps", UINT64_C(1000)},
    {"Mbps", UINT64_C(1000000)},
    {"Gbps", UINT64_C(1000000000)},
};

/* Rate units: scale = seconds per unit (the result is divided by it). */
static const unit_def_t rate_units[] = {
    {"/s", 1},
    {"/m", 60},
    {"/h", 3600},
};

/* A bare number is a fraction of one. */
static const unit_def_t ppm_units[] = {
    {"", UNITS_PPM_ONE},
    {"%", UNITS_PPM_ONE / 100},
    {"ppm", 1},
};

static const unit_def_t scale_units[] = {
    {"", UNITS_PPM_ONE},
    {"%", UNITS_PPM_ONE / 100},
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * Splits s into a decimal number and a unit (possibly empty). Returns false if
 * s is NULL or does not start, after white space, with a well-formed number
 * (UNITS_ERR_SYNTAX). The unit is not checked here.
 */
static bool split_input(const char *s, decimal_t *num, const char **unit, size_t *unit_len)
{
    if (s == NULL) {
        return false;
    }
    const char *p = s;
    while (is_space(*p)) {
        p++;
    }

    num->int_digits = p;
    while (is_digit(*p)) {
        p++;
    }
    num->int_len = (size_t)(p - num->int_digits);
    if (num->int_len == 0) {
        return false;
    }

    num->frac_digits = p;
    num->frac_len = 0;
    num->has_point = (*p == '.');
    if (num->has_point) {
        p++;
        num->frac_digits = p;
        while (is_digit(*p)) {
            p++;
        }
        num->frac_len = (size_t)(p - num->frac_digits);
        if (num->frac_len == 0) {
            return false;
        }
        while (num->frac_len > 0 && num->frac_digits[num->frac_len - 1] == '0') {
            num->frac_len--;
        }
    }

    while (is_space(*p)) {
        p++;
    }
    const char *end = p + strlen(p);
    while (end > p && is_space(end[-1])) {
        end--;
    }
    *unit = p;
    *unit_len = (size_t)(end - p);
    return true;
}

/* Looks up the unit spelled by (u, len); false if it is not in the table. */
static bool unit_lookup(const unit_def_t *table, size_t count, const char *u, size_t len,
                        uint64_t *scale)
{
    for (size_t i = 0; i < count; i++) {
        if (strlen(table[i].name) == len && memcmp(table[i].name, u, len) == 0) {
            *scale = table[i].scale;
            return true;
        }
    }
    return false;
}

/* Parses digits[0..len) as an unsigned integer; false on overflow. */
static bool digits_to_u64(const char *digits, size_t len, uint64_t *out)
{
    uint64_t acc = 0;
    for (size_t i = 0; i < len; i++) {
        const uint64_t d = (uint64_t)(digits[i] - '0');
        if (acc > (UINT64_MAX - d) / 10) {
            return false;
        }
        acc = acc * 10 + d;
    }
    *out = acc;
    return true;
}

static u128_t gcd_u128(u128_t a, u128_t b)
{
    while (b != 0) {
        const u128_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static bool decimal_is_zero(const decimal_t *num)
{
    for (size_t i = 0; i < num->int_len; i++) {
        if (num->int_digits[i] != '0') {
            return false;
        }
    }
    return num->frac_len == 0; /* trailing zeros were stripped */
}

/*
 * Computes num * scale exactly into *out. Returns UNITS_ERR_TOO_FINE if the
 * result is not a whole number, UNITS_ERR_TOO_LARGE if it does not fit in 64
 * bits (*out untouched then), else UNITS_OK.
 */
static units_err_t decimal_scale(const decimal_t *num, uint64_t scale, uint64_t *out)
{
    assert(scale > 0);
    if (num->frac_len > UNITS_FRAC_DIGITS_MAX) {
        return UNITS_ERR_TOO_FINE; /* never whole in our units, see the file comment */
    }
    uint64_t whole = 0;
    if (!digits_to_u64(num->int_digits, num->int_len, &whole)) {
        return UNITS_ERR_TOO_LARGE;
    }
    if (whole > UINT64_MAX / scale) {
        return UNITS_ERR_TOO_LARGE;
    }
    uint64_t result = whole * scale;

    if (num->frac_len > 0) {
        u128_t frac = 0;
        u128_t pow10 = 1;
        for (size_t i = 0; i < num->frac_len; i++) {
            frac = frac * 10 + (u128_t)(num->frac_digits[i] - '0');
            pow10 *= 10;
        }
        const u128_t g = gcd_u128(scale, pow10);
        const u128_t den = pow10 / g;
        if (frac % den != 0) {
            return UNITS_ERR_TOO_FINE;
        }
        /* (frac / den) < g and (scale / g) * g == scale: fits in 64 bits. */
        const uint64_t frac_scaled = (uint64_t)((frac / den) * (scale / g));
        if (result > UINT64_MAX - frac_scaled) {
            return UNITS_ERR_TOO_LARGE;
        }
        result += frac_scaled;
    }
    *out = result;
    return UNITS_OK;
}

/* Parses s against one unit table; the empty unit is allowed only if the
 * table lists "". Returns why s is refused (*out untouched) or UNITS_OK. */
static units_err_t parse_scaled(const char *s, const unit_def_t *table, size_t count, uint64_t *out)
{
    decimal_t num;
    const char *unit = NULL;
    size_t unit_len = 0;
    uint64_t scale = 0;

    if (!split_input(s, &num, &unit, &unit_len)) {
        return UNITS_ERR_SYNTAX;
    }
    if (!unit_lookup(table, count, unit, unit_len, &scale)) {
        return UNITS_ERR_UNIT;
    }
    return decimal_scale(&num, scale, out);
}

static units_err_t duration_e(const char *s, uint64_t *out_ns)
{
    decimal_t num;
    const char *unit = NULL;
    size_t unit_len = 0;

    /* A bare zero needs no unit: "0", "0.0". */
    if (split_input(s, &num, &unit, &unit_len) && unit_len == 0) {
        if (!decimal_is_zero(&num)) {
            return UNITS_ERR_UNIT;
        }
        *out_ns = 0;
        return UNITS_OK;
    }
    return parse_scaled(s, duration_units, COUNT_OF(duration_units), out_ns);
}

bool units_parse_duration(const char *s, uint64_t *out_ns)
{
    assert(out_ns != NULL);
    return duration_e(s, out_ns) == UNITS_OK;
}

bool units_parse_size(const char *s, uint64_t *out_bytes)
{
    assert(out_bytes != NULL);
    return parse_scaled(s, size_units, COUNT_OF(size_units), out_bytes) == UNITS_OK;
}

bool units_parse_bandwidth(const char *s, uint64_t *out_bps)
{
    assert(out_bps != NULL);
    return parse_scaled(s, bandwidth_units, COUNT_OF(bandwidth_units), out_bps) == UNITS_OK;
}

static units_err_t rate_e(const char *s, double *out_per_s)
{
    decimal_t num;
    const char *unit = NULL;
    size_t unit_len = 0;
    uint64_t s_per_unit = 0;

    if (!split_input(s, &num, &unit, &unit_len)) {
        return UNITS_ERR_SYNTAX;
    }
    if (!unit_lookup(rate_units, COUNT_OF(rate_units), unit, unit_len, &s_per_unit)) {
        return UNITS_ERR_UNIT;
    }
    if (num.frac_len > UNITS_RATE_FRAC_DIGITS_MAX) {
        return UNITS_ERR_TOO_FINE;
    }

    /* numerator = all significant digits; denominator = 10^k * s_per_unit. */
    const u128_t numer_max = ~(u128_t)0;
    u128_t numer = 0;
    u128_t denom = s_per_unit;
    for (size_t i = 0; i < num.int_len; i++) {
        const unsigned d = (unsigned)(num.int_digits[i] - '0');
        if (numer > (numer_max - d) / 10) {
            return UNITS_ERR_TOO_LARGE;
        }
        numer = numer * 10 + d;
    }
    for (size_t i = 0; i < num.frac_len; i++) {
        const unsigned d = (unsigned)(num.frac_digits[i] - '0');
        if (numer > (numer_max - d) / 10) {
            return UNITS_ERR_TOO_LARGE;
        }
        numer = numer * 10 + d;
        denom *= 10;
    }
    *out_per_s = (double)numer / (double)denom;
    return UNITS_OK;
}

bool units_parse_rate(const char *s, double *out_per_s)
{
    assert(out_per_s != NULL);
    return rate_e(s, out_per_s) == UNITS_OK;
}

static units_err_t ppm_e(const char *s, uint32_t *out_ppm)
{
    uint64_t ppm = 0;
    units_err_t e = parse_scaled(s, ppm_units, COUNT_OF(ppm_units), &ppm);
    if (e != UNITS_OK) {
        return e;
    }
    if (ppm > UNITS_PPM_ONE) {
        return UNITS_ERR_TOO_LARGE;
    }
    *out_ppm = (uint32_t)ppm;
    return UNITS_OK;
}

bool units_parse_ppm(const char *s, uint32_t *out_ppm)
{
    assert(out_ppm != NULL);
    return ppm_e(s, out_ppm) == UNITS_OK;
}

bool units_parse_scale(const char *s, uint64_t *out_ppm)
{
    assert(out_ppm != NULL);
    return parse_scaled(s, scale_units, COUNT_OF(scale_units), out_ppm) == UNITS_OK;
}

static units_err_t uint_e(const char *s, uint64_t *out)
{
    decimal_t num;
    const char *unit = NULL;
    size_t unit_len = 0;

    if (!split_input(s, &num, &unit, &unit_len)) {
        return UNITS_ERR_SYNTAX;
    }
    /* Digits only: no unit and no decimal point. */
    if (unit_len != 0 || num.has_point) {
        return UNITS_ERR_SYNTAX;
    }
    if (!digits_to_u64(num.int_digits, num.int_len, out)) {
        return UNITS_ERR_TOO_LARGE;
    }
    return UNITS_OK;
}

bool units_parse_uint(const char *s, uint64_t *out)
{
    assert(out != NULL);
    uint64_t value = 0;
    if (uint_e(s, &value) != UNITS_OK) {
        return false;
    }
    *out = value;
    return true;
}

units_err_t units_why(units_kind_t kind, const char *s)
{
    uint64_t u = 0;
    uint32_t ppm = 0;
    double d = 0;
    switch (kind) {
    case UNITS_DURATION:
        return duration_e(s, &u);
    case UNITS_SIZE:
        return parse_scaled(s, size_units, COUNT_OF(size_units), &u);
    case UNITS_BANDWIDTH:
        return parse_scaled(s, bandwidth_units, COUNT_OF(bandwidth_units), &u);
    case UNITS_RATE:
        return rate_e(s, &d);
    case UNITS_PPM:
        return ppm_e(s, &ppm);
    case UNITS_SCALE:
        return parse_scaled(s, scale_units, COUNT_OF(scale_units), &u);
    case UNITS_UINT:
        return uint_e(s, &u);
    }
    assert(!"unknown units kind");
    return UNITS_ERR_SYNTAX;
}

/*
 * Prints ns exactly in the largest of s, ms, us, ns that is not larger than
 * the value, with trailing fraction zeros removed: "1.25s", "340ms", "12us",
 * "5ns", "0ns". The output parses back to the same value. Truncates to fit n
 * (snprintf rules); returns buf.
 */
char *units_format_duration(uint64_t ns, char *buf, size_t n)
{
    assert(buf != NULL && n > 0);
    static const struct {
        uint64_t ns;
        int frac_digits;
        const char *suffix;
    } scales[] = {
        {UNITS_NS_PER_S, 9, "s"},
        {UNITS_NS_PER_MS, 6, "ms"},
        {UNITS_NS_PER_US, 3, "us"},
        {1, 0, "ns"},
    };

    size_t i = 0;
    while (i + 1 < COUNT_OF(scales) && ns < scales[i].ns) {
        i++;
    }
    const uint64_t whole = ns / scales[i].ns;
    const uint64_t frac = ns % scales[i].ns;
    if (frac == 0) {
        snprintf(buf, n, "%" PRIu64 "%s", whole, scales[i].suffix);
        return buf;
    }

    char frac_text[16];
    snprintf(frac_text, sizeof frac_text, "%0*" PRIu64, scales[i].frac_digits, frac);
    int frac_len = scales[i].frac_digits;
    while (frac_len > 0 && frac_text[frac_len - 1] == '0') {
        frac_len--;
    }
    snprintf(buf, n, "%" PRIu64 ".%.*s%s", whole, frac_len, frac_text, scales[i].suffix);
    return buf;
}

char *units_human_ns(uint64_t ns, char *buf, size_t n)
{
    if (ns >= 1000000000ull)
        snprintf(buf, n, "%.3f s", (double)ns / 1e9);
    else if (ns >= 1000000ull)
        snprintf(buf, n, "%.1f ms", (double)ns / 1e6);
    else
        snprintf(buf, n, "%.1f us", (double)ns / 1e3);
    return buf;
}
