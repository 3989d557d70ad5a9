/*
 * units.h - parsing and printing of values with units, as used in scenario
 * files and on the command line.
 *
 * Decimal numbers are parsed exactly (integer arithmetic on the digits), never
 * through floating point, so "0.1s" is exactly 100,000,000 ns. Each parser
 * returns false for anything it does not accept entirely (trailing garbage,
 * missing or unknown unit, negative, overflow) and leaves *out untouched.
 * Surrounding white space is allowed; a space between number and unit too.
 *
 *   duration   ns us ms s m h          "600s" "1.5ms" "2h"; bare "0" allowed
 *   size       B KB MB GB (powers of 1000), KiB MiB GiB (powers of 1024)
 *   bandwidth  bit/s kbit/s Mbit/s Gbit/s (also bps kbps Mbps Gbps)
 *   rate       N/s N/m N/h             "7/s" "0.5/s" "30/m" -> per second
 *   ppm        probability or fraction "0.01" "1%" "250ppm" -> parts per million (0..1e6)
 *   scale      non-negative factor     "2" "0.5" "150%" -> parts per million (1.0 = 1e6)
 *
 * units_why says why a value is refused, so that messages can say more than
 * "expected a duration": a value too large for 64 bits (or above 1 for a
 * probability) or finer than the smallest unit ("1.5ns", "0.5B") is named as
 * such.
 */
#ifndef CHAINSIM_UNITS_H
#define CHAINSIM_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why a value is refused. */
typedef enum units_err {
    UNITS_OK = 0,
    UNITS_ERR_SYNTAX,    /* not a plain decimal number (sign, letters, "1.", ".5", empty) */
    UNITS_ERR_UNIT,      /* missing or unknown unit */
    UNITS_ERR_TOO_LARGE, /* beyond 64 bits, or above 1 for a probability */
    UNITS_ERR_TOO_FINE,  /* not a whole number of the smallest unit: "1.5ns", "0.5B", "0.0000001" ppm */
} units_err_t;

typedef enum units_kind {
    UNITS_DURATION,
    UNITS_SIZE,
    UNITS_BANDWIDTH,
    UNITS_RATE,
    UNITS_PPM,
    UNITS_SCALE,
    UNITS_UINT,
} units_kind_t;

/* Why s is refused as a value of `kind`; UNITS_OK when the matching
 * units_parse_* accepts it. A bare number without unit is UNITS_ERR_UNIT for
 * durations (but "0"), sizes, bandwidths and rates. */
units_err_t units_why(units_kind_t kind, const char *s);

bool units_parse_duration(const char *s, uint64_t *out_ns);
bool units_parse_size(const char *s, uint64_t *out_bytes);
bool units_parse_bandwidth(const char *s, uint64_t *out_bps);
bool units_parse_rate(const char *s, double *out_per_s);
bool units_parse_ppm(const char *s, uint32_t *out_ppm);
bool units_parse_scale(const char *s, uint64_t *out_ppm);
/* Plain non-negative integer (decimal digits only, fits in uint64). */
bool units_parse_uint(const char *s, uint64_t *out);

/* Formats a duration for humans ("1.25s", "340ms", "12us", "5ns") into buf
 * of size n; returns buf. */
char *units_format_duration(uint64_t ns, char *buf, size_t n);
/* Formats a duration rounded for reading in summaries ("3.050 s",
 * "824.3 ms", "12.0 us") into buf of size n; returns buf. */
char *units_human_ns(uint64_t ns, char *buf, size_t n);

#endif
