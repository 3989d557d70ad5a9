/*
 * profile.c - the data behind profile.h. Figures from the six-region model of
 * the Bitcoin network (2019 and 2015 measurements).
 */
#include "sim/net/profile.h"

#include <string.h>

#define SIX_REGIONS { "north-america", "europe", "south-america", "asia-pacific", "japan", "australia" }

static const profile_t profiles[] = {
    [PROFILE_BITCOIN_2019] = {
        .name = "bitcoin-2019",
        .nregions = 6,
        .region = SIX_REGIONS,
        .share_ppm = { 331600, 499800, 9000, 117700, 22400, 19500 },
        .latency_ms = {
            { 32, 124, 184, 198, 151, 189 },
            { 124, 11, 227, 237, 252, 294 },
            { 184, 227, 88, 325, 301, 322 },
            { 198, 237, 325, 85, 58, 198 },
            { 151, 252, 301, 58, 12, 126 },
            { 189, 294, 322, 198, 126, 16 },
        },
        .download_bps = { 52000000, 40000000, 18000000, 22800000, 22800000, 29900000 },
        .upload_bps = { 19200000, 20700000, 5800000, 15700000, 10200000, 11300000 },
    },
    [PROFILE_BITCOIN_2015] = {
        .name = "bitcoin-2015",
        .nregions = 6,
        .region = SIX_REGIONS,
        .share_ppm = { 386900, 515900, 11300, 57400, 11900, 16600 },
        .latency_ms = {
            { 36, 119, 255, 310, 154, 208 },
            { 119, 12, 221, 242, 266, 350 },
            { 255, 221, 137, 347, 256, 269 },
            { 310, 242, 347, 99, 172, 278 },
            { 154, 266, 256, 172, 9, 163 },
            { 208, 350, 269, 278, 163, 22 },
        },
        .download_bps = { 25000000, 24000000, 6500000, 10000000, 17500000, 14000000 },
        .upload_bps = { 4700000, 8100000, 1800000, 5300000, 3400000, 5200000 },
    },
    [PROFILE_UNIFORM] = {
        .name = "uniform",
        .nregions = 1,
        .region = { "global" },
        .share_ppm = { 1000000 },
        .latency_ms = { { 100 } },
        .download_bps = { 20000000 },
        .upload_bps = { 20000000 },
    },
};

const double profile_outdegree_2015_cdf[20] = {
    .025, .05, .075, .10, .20, .30, .40, .50, .60, .70,
    .80, .85, .90, .95, .97, .97, .98, .99, .995, 1.0,
};

const profile_t *profile_get(net_profile_t p)
{
    return &profiles[p];
}

int profile_region(const profile_t *p, const char *name)
{
    for (int i = 0; i < p->nregions; i++)
        if (strcmp(p->region[i], name) == 0)
            return i;
    return -1;
}
