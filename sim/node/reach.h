/*
 * reach.h - propagation times from per-node arrival arrays, shared by the
 * block protocol and the broadcast study.
 */
#ifndef CHAINSIM_REACH_H
#define CHAINSIM_REACH_H

#include <stdint.h>

/* Time from created_ns until frac_ppm of all n nodes had it, given
 * arrival_ns[n] (UINT64_MAX = never) of which `reached` are set; UINT64_MAX
 * when fewer nodes got it. */
uint64_t reach_ns(const uint64_t *arrival_ns, uint32_t n, uint32_t reached, uint64_t created_ns, uint32_t frac_ppm);
/* The same for nfrac shares at once, into out[nfrac]. */
void reach_many_ns(const uint64_t *arrival_ns, uint32_t n, uint32_t reached, uint64_t created_ns,
                   const uint32_t *frac_ppm, int nfrac, uint64_t *out);

#endif
