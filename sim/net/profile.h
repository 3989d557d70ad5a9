/*
 * profile.h - built-in network profiles: regions, their share of nodes, the
 * mean one-way latency between regions and per-node bandwidth, from published
 * measurements of the Bitcoin network (shared/reference/networks.md), plus a
 * one-region "uniform" profile whose latency and bandwidth come from settings.
 */
#ifndef CHAINSIM_PROFILE_H
#define CHAINSIM_PROFILE_H

#include <stdint.h>

#define PROFILE_MAX_REGIONS 6

typedef enum { PROFILE_BITCOIN_2019, PROFILE_BITCOIN_2015, PROFILE_UNIFORM } net_profile_t;

typedef struct profile {
    const char *name;
    int nregions;
    const char *region[PROFILE_MAX_REGIONS];
    uint32_t share_ppm[PROFILE_MAX_REGIONS];           /* of nodes */
    uint32_t latency_ms[PROFILE_MAX_REGIONS][PROFILE_MAX_REGIONS]; /* mean one-way */
    uint64_t download_bps[PROFILE_MAX_REGIONS];
    uint64_t upload_bps[PROFILE_MAX_REGIONS];
} profile_t;

const profile_t *profile_get(net_profile_t p);

/* Region index by name in profile p, or -1. */
int profile_region(const profile_t *p, const char *name);

/* The 2015 out-degree table of Bitcoin nodes: cumulative probability of at
 * most k outbound peers, k = 1..20 (mean about 8.6). It comes from a 2015
 * measurement; SimBlock names it its Bitcoin 2015 degree distribution and
 * uses it by default, with the 2015 and the 2019 latency and bandwidth
 * tables alike. Scenario value: outdegree_cdf = bitcoin-2015 (old name:
 * bitcoin). */
extern const double profile_outdegree_2015_cdf[20];
/* The old name of the out-degree table. */
#define profile_bitcoin_outdegree_cdf profile_outdegree_2015_cdf

#endif
