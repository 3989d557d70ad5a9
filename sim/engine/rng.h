/*
 * rng.h - the simulator's only source of randomness.
 *
 * xoshiro256** generators seeded through splitmix64. A run seed derives a tree
 * of independent streams: one per component (topology, workload, faults, ...)
 * and one per node, keyed by a stable id, so adding a node or a fault never
 * perturbs another stream. Decisions use integer-exact draws (rng_below,
 * rng_chance_ppm, rng_weighted); floating point appears only in the continuous
 * distributions used for delays and sizes.
 */
#ifndef CHAINSIM_RNG_H
#define CHAINSIM_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rng {
    uint64_t s[4];
} rng_t;

/* Stream domains: the first level of the seed tree. Values are stable forever
 * (they are part of every digest); append, never renumber. */
enum rng_domain {
    RNG_TOPOLOGY = 1,
    RNG_PLACEMENT = 2,
    RNG_WORKLOAD = 3,
    RNG_FAULTS = 4,
    RNG_NODE = 5,      /* key = node id */
    RNG_CONSENSUS = 6,
    RNG_ACCOUNTS = 7,
    RNG_TEST = 99,
};

/* One step of splitmix64 over *state; returns the next output. */
uint64_t rng_splitmix64(uint64_t *state);

/* Seeds r from a single 64-bit value through splitmix64. */
void rng_seed(rng_t *r, uint64_t seed);

/* Derives the stream (seed, domain, key) into r. Streams with different
 * (domain, key) pairs are independent; the same triple always gives the same
 * stream. */
void rng_stream(rng_t *r, uint64_t seed, uint32_t domain, uint64_t key);

uint64_t rng_next(rng_t *r);

/* Uniform integer in [0, n); n > 0. Exact (no modulo bias, Lemire's method). */
uint64_t rng_below(rng_t *r, uint64_t n);

/* Uniform integer in [lo, hi] inclusive; lo <= hi. */
uint64_t rng_range(rng_t *r, uint64_t lo, uint64_t hi);

/* True with probability ppm / 1,000,000 (integer decision). */
bool rng_chance_ppm(rng_t *r, uint32_t ppm);

/* Uniform double in [0, 1) with 53 random bits. */
double rng_unit(rng_t *r);

/* Uniform double in (0, 1]; never 0, safe for log(). */
double rng_unit_open0(rng_t *r);

/* Exponential with the given mean (> 0). */
double rng_exponential(rng_t *r, double mean);

/* Pareto with scale xm > 0 and shape alpha > 0: xm / U^(1/alpha). */
double rng_pareto(rng_t *r, double xm, double alpha);

/* Standard normal (Box-Muller; one value per call, deterministic). */
double rng_normal(rng_t *r);

/* Lognormal whose underlying normal has parameters mu and sigma. */
double rng_lognormal(rng_t *r, double mu, double sigma);

/* Index in [0, n) chosen with probability weights[i] / sum(weights).
 * Integer-exact; the sum must be > 0 and fit in 64 bits. */
size_t rng_weighted(rng_t *r, const uint64_t *weights, size_t n);

/* Fisher-Yates shuffle of n uint32 values. */
void rng_shuffle_u32(rng_t *r, uint32_t *v, size_t n);

#endif
