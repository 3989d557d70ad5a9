/*
 * rng.c - xoshiro256** streams seeded through splitmix64.
 *
 * Generator: xoshiro256** (Blackman and Vigna). 256 bits of state, period
 * 2^256 - 1; the only forbidden state is all zero, which rng_seed never
 * produces (see seed_from_splitmix).
 *
 * Seeding: rng_seed runs splitmix64 from the given value and takes four
 * consecutive outputs as the state. splitmix64's output function is a
 * bijection of its (distinct) counter values, so four consecutive outputs can
 * never all be zero; the check is kept anyway as an assertion of intent.
 *
 * Stream tree: rng_stream(seed, domain, key) folds the three inputs into one
 * 64-bit stream seed with the splitmix64 finaliser (a bijection):
 *     h = mix(seed ^ C_SEED); h = mix(h ^ domain * C_DOMAIN);
 *     h = mix(h ^ key * C_KEY)
 * with distinct odd constants, then seeds xoshiro from h as rng_seed does.
 * For a fixed (seed, domain) every key gives a distinct h. The derivation is
 * a pure function of its arguments: there is no global state, so deriving
 * the stream of node 5 gives the same result whatever else was derived
 * before. These constants are part of every digest; never change them.
 *
 * Draws:
 *   rng_below     Lemire's nearly-divisionless method: the high half of the
 *                 128-bit product x * n, rejecting the few low halves below
 *                 2^64 mod n, so the result is exactly uniform.
 *   rng_unit      top 53 bits of one output times 2^-53, in [0, 1).
 *   rng_normal    Box-Muller from two uniforms, returning only the cosine
 *                 branch; nothing is cached, so every call consumes exactly
 *                 two outputs and the stream position never depends on call
 *                 history.
 *   rng_weighted  rng_below(sum of weights) and a linear scan; integer exact.
 *
 * Invalid arguments (n == 0, mean <= 0, weights summing to 0, ...) are bugs in
 * the caller and trip an assertion.
 */
#include "sim/engine/rng.h"

#include <assert.h>
#include <math.h>

/* 2^-53 as a double: the spacing of 53-bit fractions in [0, 1). */
#define RNG_UNIT_SCALE 0x1.0p-53
#define RNG_TWO_PI 6.283185307179586476925286766559

/* Odd constants separating the three inputs of a stream derivation. */
#define RNG_C_SEED UINT64_C(0x243f6a8885a308d3)   /* pi */
#define RNG_C_DOMAIN UINT64_C(0xb7e151628aed2a6b) /* e */
#define RNG_C_KEY UINT64_C(0x9e3779b97f4a7c15)    /* golden ratio */

#define RNG_PPM_ONE 1000000u

/* gcc/clang 128-bit integer; __extension__ keeps -Wpedantic quiet. */
__extension__ typedef unsigned __int128 rng_u128_t;

static inline uint64_t rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* The splitmix64 output function: a bijection on 64-bit values. */
static uint64_t splitmix_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint64_t rng_splitmix64(uint64_t *state)
{
    assert(state != NULL);
    *state += UINT64_C(0x9e3779b97f4a7c15);
    return splitmix_mix(*state);
}

/* Fills r->s with four consecutive splitmix64 outputs starting from seed. */
static void seed_from_splitmix(rng_t *r, uint64_t seed)
{
    uint64_t sm = seed;
    for (int i = 0; i < 4; i++) {
        r->s[i] = rng_splitmix64(&sm);
    }
    /* Cannot happen (the four outputs are distinct), but an all-zero state
     * would make xoshiro emit zeros forever. */
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0) {
        r->s[0] = RNG_C_KEY;
    }
    assert((r->s[0] | r->s[1] | r->s[2] | r->s[3]) != 0);
}

void rng_seed(rng_t *r, uint64_t seed)
{
    assert(r != NULL);
    seed_from_splitmix(r, seed);
}

void rng_stream(rng_t *r, uint64_t seed, uint32_t domain, uint64_t key)
{
    assert(r != NULL);
    uint64_t h = splitmix_mix(seed ^ RNG_C_SEED);
    h = splitmix_mix(h ^ ((uint64_t)domain * RNG_C_DOMAIN));
    h = splitmix_mix(h ^ (key * RNG_C_KEY));
    seed_from_splitmix(r, h);
}

uint64_t rng_next(rng_t *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl64(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

uint64_t rng_below(rng_t *r, uint64_t n)
{
    assert(n > 0);
    rng_u128_t m = (rng_u128_t)rng_next(r) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        /* threshold = 2^64 mod n; low halves below it are over-represented. */
        const uint64_t threshold = (0 - n) % n;
        while (low < threshold) {
            m = (rng_u128_t)rng_next(r) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

uint64_t rng_range(rng_t *r, uint64_t lo, uint64_t hi)
{
    assert(lo <= hi);
    const uint64_t span = hi - lo;
    if (span == UINT64_MAX) {
        return rng_next(r);
    }
    return lo + rng_below(r, span + 1);
}

bool rng_chance_ppm(rng_t *r, uint32_t ppm)
{
    assert(ppm <= RNG_PPM_ONE);
    /* Always one draw, even for 0 and 1e6, so the stream position does not
     * depend on the probability. */
    return rng_below(r, RNG_PPM_ONE) < ppm;
}

double rng_unit(rng_t *r)
{
    return (double)(rng_next(r) >> 11) * RNG_UNIT_SCALE;
}

double rng_unit_open0(rng_t *r)
{
    return (double)((rng_next(r) >> 11) + 1) * RNG_UNIT_SCALE;
}

double rng_exponential(rng_t *r, double mean)
{
    assert(mean > 0 && isfinite(mean));
    return -mean * log(rng_unit_open0(r));
}

double rng_pareto(rng_t *r, double xm, double alpha)
{
    assert(xm > 0 && isfinite(xm));
    assert(alpha > 0 && isfinite(alpha));
    return xm / pow(rng_unit_open0(r), 1.0 / alpha);
}

double rng_normal(rng_t *r)
{
    const double u1 = rng_unit_open0(r); /* (0, 1]: log is finite */
    const double u2 = rng_unit(r);
    return sqrt(-2.0 * log(u1)) * cos(RNG_TWO_PI * u2);
}

double rng_lognormal(rng_t *r, double mu, double sigma)
{
    assert(isfinite(mu));
    assert(sigma >= 0 && isfinite(sigma));
    return exp(mu + sigma * rng_normal(r));
}

size_t rng_weighted(rng_t *r, const uint64_t *weights, size_t n)
{
    assert(n > 0);
    assert(weights != NULL);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        assert(weights[i] <= UINT64_MAX - sum); /* sum fits in 64 bits */
        sum += weights[i];
    }
    assert(sum > 0);

    uint64_t x = rng_below(r, sum);
    for (size_t i = 0; i < n; i++) {
        if (x < weights[i]) {
            return i;
        }
        x -= weights[i];
    }
    assert(!"rng_weighted: scan ran past the end");
    return n - 1;
}

void rng_shuffle_u32(rng_t *r, uint32_t *v, size_t n)
{
    assert(v != NULL || n == 0);
    for (size_t i = n; i > 1; i--) {
        const size_t j = (size_t)rng_below(r, i);
        const uint32_t tmp = v[i - 1];
        v[i - 1] = v[j];
        v[j] = tmp;
    }
}
