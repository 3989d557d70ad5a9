/*
 * fuzz_units.c - libFuzzer driver for the value parsers of
 * sim/scenario/units.c.
 *
 * Input: one byte choosing the parser, then the text. Properties: a parser
 * accepts exactly when units_why says UNITS_OK, leaves its output untouched
 * when it refuses, and a parsed duration prints (units_format_duration) to a
 * text that parses back to the same value.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scenario/units.h"

static void fail(const char *what, const char *s)
{
    fprintf(stderr, "fuzz_units: property broken: %s: \"%s\"\n", what, s);
    abort();
}

#define SENTINEL UINT64_C(0xdeadbeefcafe1234)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    units_kind_t kind = (units_kind_t)(data[0] % 7);
    char *s = malloc(size);
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    uint64_t u = SENTINEL;
    uint32_t u32 = 0xdeadbeefu;
    double d = -1.0;
    bool ok = false;
    switch (kind) {
    case UNITS_DURATION: ok = units_parse_duration(s, &u); break;
    case UNITS_SIZE: ok = units_parse_size(s, &u); break;
    case UNITS_BANDWIDTH: ok = units_parse_bandwidth(s, &u); break;
    case UNITS_RATE: ok = units_parse_rate(s, &d); break;
    case UNITS_PPM: ok = units_parse_ppm(s, &u32); break;
    case UNITS_SCALE: ok = units_parse_scale(s, &u); break;
    case UNITS_UINT: ok = units_parse_uint(s, &u); break;
    }
    if (ok != (units_why(kind, s) == UNITS_OK))
        fail("the parser and units_why disagree", s);
    if (!ok && (u != SENTINEL || u32 != 0xdeadbeefu || d != -1.0))
        fail("a refused value wrote its output", s);
    if (ok && kind == UNITS_PPM && u32 > 1000000)
        fail("a probability above 1", s);
    if (ok && kind == UNITS_RATE && !(d >= 0))
        fail("a negative or NaN rate", s);
    if (ok && kind == UNITS_DURATION) {
        char buf[64];
        uint64_t back = 0;
        units_format_duration(u, buf, sizeof buf);
        if (!units_parse_duration(buf, &back) || back != u)
            fail("a duration does not print and parse back", s);
    }
    free(s);
    return 0;
}
