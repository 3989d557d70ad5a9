/*
 * check_rng.c - Check suite for sim/engine/rng.c.
 *
 * Known-answer tests pin splitmix64, xoshiro256** and the stream derivation
 * (stream values are part of every run digest and must never change).
 * Statistical tests use fixed seeds, so they are deterministic; their bounds
 * are about 4 to 7 standard errors wide (the standard deviation is stated
 * next to each), so another seed would almost never fail them, yet a wrong
 * scale, a missing reciprocal or a modulo bias would. Boundary behaviour
 * (off-by-one in rng_below, rng_chance_ppm, rng_weighted) is checked exactly
 * by setting the generator to a state with a chosen next output.
 */
#include "sim/engine/rng.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N_DRAWS 200000
#define SEED_FIXED UINT64_C(20240611)

/* Mean and (population) variance of n samples. */
static void mean_var(const double *x, size_t n, double *mean, double *var)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += x[i];
    }
    const double m = sum / (double)n;
    double sq = 0;
    for (size_t i = 0; i < n; i++) {
        sq += (x[i] - m) * (x[i] - m);
    }
    *mean = m;
    *var = sq / (double)n;
}

static double *samples_alloc(size_t n)
{
    double *x = malloc(n * sizeof *x);
    ck_assert_ptr_nonnull(x);
    return x;
}

/* Multiplicative inverse of an odd a modulo 2^64 (Newton's iteration). */
static uint64_t inverse_odd_u64(uint64_t a)
{
    uint64_t y = a; /* correct to 3 bits; each step doubles that */
    for (int i = 0; i < 5; i++) {
        y *= 2 - a * y;
    }
    return y;
}

/* Sets r to a state whose next xoshiro256** output is exactly x: the output
 * is rotl(s1 * 5, 7) * 9, so s1 = rotr(x / 9, 7) / 5 (mod 2^64). */
static void rng_set_next_output(rng_t *r, uint64_t x)
{
    const uint64_t y = x * inverse_odd_u64(9);
    const uint64_t s1 = ((y >> 7) | (y << 57)) * inverse_odd_u64(5);
    r->s[0] = 0;
    r->s[1] = s1;
    r->s[2] = 0;
    r->s[3] = 1; /* never all zero */
}

__extension__ typedef unsigned __int128 u128_t;

/* The smallest output x with (x * n) >> 64 == k, plus a margin that keeps
 * x * n mod 2^64 away from Lemire's rejection zone. */
static uint64_t output_for_below(uint64_t k, uint64_t n)
{
    const u128_t two64 = (u128_t)1 << 64;
    const u128_t x = (k * two64 + n - 1) / n;
    return (uint64_t)x + 1000;
}

/* ---- known answers ---------------------------------------------------- */

START_TEST(test_splitmix64_known_answer)
{
    uint64_t state = 0;
    ck_assert_uint_eq(rng_splitmix64(&state), UINT64_C(0xe220a8397b1dcdaf));
    ck_assert_uint_eq(rng_splitmix64(&state), UINT64_C(0x6e789e6aa1b965f4));
    ck_assert_uint_eq(rng_splitmix64(&state), UINT64_C(0x06c45d188009454f));
}
END_TEST

START_TEST(test_xoshiro_known_answer)
{
    /* Reference xoshiro256** outputs from state {1, 2, 3, 4}. */
    rng_t r = {{1, 2, 3, 4}};
    ck_assert_uint_eq(rng_next(&r), UINT64_C(11520));
    ck_assert_uint_eq(rng_next(&r), UINT64_C(0));
    ck_assert_uint_eq(rng_next(&r), UINT64_C(1509978240));
    ck_assert_uint_eq(rng_next(&r), UINT64_C(1215971899390074240));
}
END_TEST

START_TEST(test_seed_uses_splitmix)
{
    rng_t r;
    uint64_t sm = 0;
    rng_seed(&r, 0);
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(r.s[i], rng_splitmix64(&sm));
    }
}
END_TEST

START_TEST(test_stream_golden)
{
    /* Pins the derivation: if this changes, every recorded digest changes. */
    rng_t r;
    rng_stream(&r, 42, RNG_NODE, 5);
    ck_assert_uint_eq(rng_next(&r), UINT64_C(0x4830d27b45e7195a));
    ck_assert_uint_eq(rng_next(&r), UINT64_C(0x37e4ff5f9201856f));
}
END_TEST

/* ---- reproducibility and independence --------------------------------- */

START_TEST(test_reproducible)
{
    rng_t a, b;
    rng_stream(&a, SEED_FIXED, RNG_WORKLOAD, 17);
    rng_stream(&b, SEED_FIXED, RNG_WORKLOAD, 17);
    for (int i = 0; i < 10000; i++) {
        ck_assert_uint_eq(rng_next(&a), rng_next(&b));
    }
    rng_seed(&a, 7);
    rng_seed(&b, 7);
    for (int i = 0; i < 10000; i++) {
        ck_assert_uint_eq(rng_next(&a), rng_next(&b));
    }
}
END_TEST

START_TEST(test_state_never_zero)
{
    rng_t r;
    rng_seed(&r, 0);
    ck_assert_uint_ne(r.s[0] | r.s[1] | r.s[2] | r.s[3], 0);
    rng_stream(&r, 0, 0, 0);
    ck_assert_uint_ne(r.s[0] | r.s[1] | r.s[2] | r.s[3], 0);
}
END_TEST

/* True if the first 8 outputs of a and b are all different. */
static bool streams_differ(rng_t *a, rng_t *b)
{
    for (int i = 0; i < 8; i++) {
        if (rng_next(a) == rng_next(b)) {
            return false;
        }
    }
    return true;
}

START_TEST(test_streams_independent)
{
    rng_t a, b;
    /* Different domains, same key. */
    rng_stream(&a, SEED_FIXED, RNG_TOPOLOGY, 0);
    rng_stream(&b, SEED_FIXED, RNG_WORKLOAD, 0);
    ck_assert(streams_differ(&a, &b));
    /* Different keys, same domain. */
    rng_stream(&a, SEED_FIXED, RNG_NODE, 1);
    rng_stream(&b, SEED_FIXED, RNG_NODE, 2);
    ck_assert(streams_differ(&a, &b));
    /* Domain and key are not interchangeable. */
    rng_stream(&a, SEED_FIXED, 1, 2);
    rng_stream(&b, SEED_FIXED, 2, 1);
    ck_assert(streams_differ(&a, &b));
    /* Different run seeds. */
    rng_stream(&a, 1, RNG_NODE, 5);
    rng_stream(&b, 2, RNG_NODE, 5);
    ck_assert(streams_differ(&a, &b));
}
END_TEST

START_TEST(test_stream_no_global_state)
{
    uint64_t expect[64];
    rng_t r;
    rng_stream(&r, SEED_FIXED, RNG_NODE, 5);
    for (int i = 0; i < 64; i++) {
        expect[i] = rng_next(&r);
    }

    /* Derive and use many other streams, then node 5 again. */
    for (uint64_t node = 0; node < 200; node++) {
        rng_t other;
        rng_stream(&other, SEED_FIXED, RNG_NODE, node);
        for (int i = 0; i < 10; i++) {
            (void)rng_next(&other);
        }
    }
    rng_seed(&r, 12345);
    (void)rng_next(&r);

    rng_stream(&r, SEED_FIXED, RNG_NODE, 5);
    for (int i = 0; i < 64; i++) {
        ck_assert_uint_eq(rng_next(&r), expect[i]);
    }
}
END_TEST

START_TEST(test_adjacent_keys_decorrelated)
{
    /* First outputs of streams for keys k and k+1 should differ in about half
     * of their 64 bits: mean 32, sd of the mean over 1000 pairs is 0.13. */
    const int pairs = 1000;
    long bits = 0;
    for (int k = 0; k < pairs; k++) {
        rng_t a, b;
        rng_stream(&a, SEED_FIXED, RNG_NODE, (uint64_t)k);
        rng_stream(&b, SEED_FIXED, RNG_NODE, (uint64_t)k + 1);
        bits += __builtin_popcountll(rng_next(&a) ^ rng_next(&b));
    }
    const double mean_bits = (double)bits / pairs;
    ck_assert_double_gt(mean_bits, 31.0);
    ck_assert_double_lt(mean_bits, 33.0);
}
END_TEST

/* ---- integer draws ---------------------------------------------------- */

START_TEST(test_below_bounds)
{
    rng_t r;
    rng_stream(&r, SEED_FIXED, RNG_TEST, 1);
    for (int i = 0; i < 10000; i++) {
        ck_assert_uint_eq(rng_below(&r, 1), 0);
        ck_assert_uint_lt(rng_below(&r, 7), 7);
        ck_assert_uint_lt(rng_below(&r, UINT64_MAX), UINT64_MAX);
    }
}
END_TEST

START_TEST(test_below_chi_square)
{
    enum { BUCKETS = 10 };
    long count[BUCKETS] = {0};
    rng_t r;
    rng_stream(&r, SEED_FIXED, RNG_TEST, 2);
    for (int i = 0; i < N_DRAWS; i++) {
        count[rng_below(&r, BUCKETS)]++;
    }
    const double expected = (double)N_DRAWS / BUCKETS;
    double chi2 = 0;
    for (int b = 0; b < BUCKETS; b++) {
        const double d = (double)count[b] - expected;
        chi2 += d * d / expected;
    }
    /* 9 degrees of freedom: mean 9, P(chi2 > 40) is about 5e-6. */
    ck_assert_double_lt(chi2, 40.0);
}
END_TEST

START_TEST(test_below_no_modulo_bias)
{
    /* n = 3 * 2^62: unbiased draws land below 2^62 with probability 1/3;
     * naive "x % n" would put them there with probability 1/2.
     * sd of the fraction over 200k draws is 0.0011. */
    const uint64_t n = UINT64_C(3) << 62;
    rng_t r;
    rng_stream(&r, SEED_FIXED, RNG_TEST, 3);
    long low = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        const uint64_t x = rng_below(&r, n);
        ck_assert_uint_lt(x, n);
        low += x < (UINT64_C(1) << 62);
    }
    const double frac = (double)low / N_DRAWS;
    ck_assert_double_gt(frac, 1.0 / 3 - 0.007);
    ck_assert_double_lt(frac, 1.0 / 3 + 0.007);
}
END_TEST

START_TEST(test_range)
{
    rng_t r;
    rng_stream(&r, SEED_FIXED, RNG_TEST, 4);
    bool seen[11] = {false};
    for (int i = 0; i < 10000; i++) {
        const uint64_t x = rng_range(&r, 10, 20);
        ck_assert_uint_ge(x, 10);
        ck_assert_uint_le(x, 20);
        seen[x - 10] = true;
    }
    for (int i = 0; i <= 10; i++) {
        ck_assert(seen[i]);
    }
    ck_assert_uint_eq(rng_range(&r, 5, 5), 5);
    /* The full range must not overflow. */
    (void)rng_range(&r, 0, UINT64_MAX);
    ck_assert_uint_ge(rng_range(&r, UINT64_MAX - 1, UINT64_MAX), UINT64_MAX - 1);
}
END_TEST

START_TEST(test_chance_ppm)
{
    rng_t r;
    rng_stream(&r, SEED_FIXED, RNG_TEST, 5);
    long hits = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        hits += rng_chance_ppm(&r, 250000);
    }
    /* Expected 50000, sd 194: allow 6 sd. */
    ck_assert_int_gt(hits, 50000 - 1200);
    ck_assert_int_lt(hits, 50000 + 1200);

    for (int i = 0; i < 10000; i++) {
        ck_assert(!rng_chance_ppm(&r, 0));
        ck_assert(rng_chance_ppm(&r, 1000000));
    }
}
END_TEST

START_TEST(test_chance_ppm_small)
{
    /* 1000 ppm over 1M draws: expected 1000, sd 32. */
    rng_t r;
    rng_stream(&r, SEED_FIXED, RNG_TEST, 6);
    long hits = 0;
    for (int i = 0; i < 1000000; i++) {
        hits += rng_chance_ppm(&r, 1000);
    }
    ck_assert_int_gt(hits, 1000 - 200);
    ck_assert_int_lt(hits, 1000 + 200);
}
END_TEST

START_TEST(test_weighted)
{
    const uint64_t weights[] = {1, 2, 3, 4, 0};
    long count[5] = {0};
    rng_t r;
    rng_stream(&r, SEED_FIXED, RNG_TEST, 7);
    for (int i = 0; i < N_DRAWS; i++) {
        const size_t k = rng_weighted(&r, weights, 5);
        ck_assert_uint_lt(k, 5);
        count[k]++;
    }
    ck_assert_int_eq(count[4], 0);
    for (int k = 0; k < 4; k++) {
        const double p = (double)weights[k] / 10.0;
        const double expected = p * N_DRAWS;
        const double sd = sqrt(N_DRAWS * p * (1 - p));
        ck_assert_double_lt(fabs((double)count[k] - expected), 6 * sd);
    }

    /* A single non-zero weight is always chosen. */
    const uint64_t one[] = {0, 0, 5, 0};
    for (int i = 0; i < 1000; i++) {
        ck_assert_uint_eq(rng_weighted(&r, one, 4), 2);
    }
    /* Weights near the 64-bit limit. */
    const uint64_t big[] = {UINT64_MAX / 2, UINT64_MAX / 2};
    long first = 0;
    for (int i = 0; i < 10000; i++) {
        first += rng_weighted(&r, big, 2) == 0;
    }
    ck_assert_int_gt(first, 5000 - 300);
    ck_assert_int_lt(first, 5000 + 300);
}
END_TEST

START_TEST(test_shuffle_permutation)
{
    enum { N = 1000 };
    uint32_t v[N];
    bool seen[N] = {false};
    for (uint32_t i = 0; i < N; i++) {
        v[i] = i;
    }
    rng_t r;
    rng_stream(&r, SEED_FIXED, RNG_TEST, 8);
    rng_shuffle_u32(&r, v, N);

    size_t fixed_points = 0;
    for (uint32_t i = 0; i < N; i++) {
        ck_assert_uint_lt(v[i], N);
        ck_assert(!seen[v[i]]);
        seen[v[i]] = true;
        fixed_points += v[i] == i;
    }
    /* Expected number of fixed points of a random permutation is 1. */
    ck_assert_uint_lt(fixed_points, 10);

    /* Degenerate sizes are fine. */
    rng_shuffle_u32(&r, NULL, 0);
    uint32_t single = 42;
    rng_shuffle_u32(&r, &single, 1);
    ck_assert_uint_eq(single, 42);
}
END_TEST

START_TEST(test_shuffle_uniform)
{
    /* All 6 orders of 3 elements, 60k shuffles: expected 10000 each, sd 91. */
    long count[6] = {0};
    rng_t r;
    rng_stream(&r, SEED_FIXED, RNG_TEST, 9);
    for (int i = 0; i < 60000; i++) {
        uint32_t v[3] = {0, 1, 2};
        rng_shuffle_u32(&r, v, 3);
        /* Index of the permutation: first element and order of the rest. */
        const int idx = (int)v[0] * 2 + (v[1] > v[2]);
        count[idx]++;
    }
    for (int k = 0; k < 6; k++) {
        ck_assert_int_gt(count[k], 10000 - 600);
        ck_assert_int_lt(count[k], 10000 + 600);
    }
}
END_TEST

START_TEST(test_crafted_state_helper)
{
    rng_t r;
    const uint64_t want[] = {0, 1, 9, UINT64_C(0x0123456789abcdef), UINT64_MAX};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        rng_set_next_output(&r, want[i]);
        ck_assert_uint_eq(rng_next(&r), want[i]);
    }
}
END_TEST

START_TEST(test_below_exact_mapping)
{
    /* rng_below is the high half of x * n, so it is monotone in x. */
    rng_t r;
    for (uint64_t k = 0; k < 10; k++) {
        rng_set_next_output(&r, output_for_below(k, 10));
        ck_assert_uint_eq(rng_below(&r, 10), k);
    }
    /* Exactly 2^63 would give a low half of 0 and be rejected. */
    rng_set_next_output(&r, (UINT64_C(1) << 63) + 1000);
    ck_assert_uint_eq(rng_below(&r, 10), 5);
    rng_set_next_output(&r, UINT64_MAX);
    ck_assert_uint_eq(rng_below(&r, 1000), 999);
}
END_TEST

START_TEST(test_chance_ppm_boundaries)
{
    /* Draw 0 of 1e6: fires for ppm >= 1 only. */
    rng_t r;
    rng_set_next_output(&r, output_for_below(0, 1000000));
    ck_assert(!rng_chance_ppm(&r, 0));
    rng_set_next_output(&r, output_for_below(0, 1000000));
    ck_assert(rng_chance_ppm(&r, 1));
    /* Draw 999999: fires only for ppm = 1e6. */
    rng_set_next_output(&r, output_for_below(999999, 1000000));
    ck_assert(!rng_chance_ppm(&r, 999999));
    rng_set_next_output(&r, output_for_below(999999, 1000000));
    ck_assert(rng_chance_ppm(&r, 1000000));
}
END_TEST

START_TEST(test_weighted_exact_mapping)
{
    /* Weights 1, 2, 3, 4, 0 (sum 10): draws 0 | 1 2 | 3 4 5 | 6 7 8 9. */
    const uint64_t weights[] = {1, 2, 3, 4, 0};
    const size_t expect[10] = {0, 1, 1, 2, 2, 2, 3, 3, 3, 3};
    rng_t r;
    for (uint64_t k = 0; k < 10; k++) {
        rng_set_next_output(&r, output_for_below(k, 10));
        ck_assert_uint_eq(rng_weighted(&r, weights, 5), expect[k]);
    }
    /* Zero weights in front are skipped. */
    const uint64_t leading_zero[] = {0, 0, 1};
    rng_set_next_output(&r, 0);
    ck_assert_uint_eq(rng_weighted(&r, leading_zero, 3), 2);
}
END_TEST

/* ---- continuous distributions ----------------------------------------- */

START_TEST(test_unit_range_and_mean)
{
    rng_t r;
    rng_stream(&r, SEED_FIXED, RNG_TEST, 10);
    double *x = samples_alloc(N_DRAWS);
    for (int i = 0; i < N_DRAWS; i++) {
        x[i] = rng_unit(&r);
        ck_assert(x[i] >= 0.0 && x[i] < 1.0);
    }
    double mean, var;
    mean_var(x, N_DRAWS, &mean, &var);
    /* Mean 1/2 (sd 0.00065), variance 1/12 (sd 0.00017). */
    ck_assert_double_eq_tol(mean, 0.5, 0.004);
    ck_assert_double_eq_tol(var, 1.0 / 12, 0.001);

    for (int i = 0; i < N_DRAWS; i++) {
        x[i] = rng_unit_open0(&r);
        ck_assert(x[i] > 0.0 && x[i] <= 1.0);
    }
    mean_var(x, N_DRAWS, &mean, &var);
    ck_assert_double_eq_tol(mean, 0.5, 0.004);
    free(x);

    /* Exactly 53 bits: the value times 2^53 is an integer. */
    for (int i = 0; i < 1000; i++) {
        const double u = rng_unit(&r) * 0x1.0p53;
        ck_assert_double_eq(u, floor(u));
    }
}
END_TEST

START_TEST(test_exponential)
{
    rng_t r;
    rng_stream(&r, SEED_FIXED, RNG_TEST, 11);
    double *x = samples_alloc(N_DRAWS);
    for (int i = 0; i < N_DRAWS; i++) {
        x[i] = rng_exponential(&r, 10.0);
        ck_assert(x[i] >= 0.0 && isfinite(x[i]));
    }
    double mean, var;
    mean_var(x, N_DRAWS, &mean, &var);
    /* Mean 10 (sd 0.022), variance 100 (sd 0.63). */
    ck_assert_double_eq_tol(mean, 10.0, 0.09);
    ck_assert_double_eq_tol(var, 100.0, 4.0);
    free(x);
}
END_TEST

START_TEST(test_pareto)
{
    rng_t r;
    rng_stream(&r, SEED_FIXED, RNG_TEST, 12);
    double *x = samples_alloc(N_DRAWS);
    for (int i = 0; i < N_DRAWS; i++) {
        x[i] = rng_pareto(&r, 95.0, 20.0);
        ck_assert(x[i] >= 95.0 && isfinite(x[i]));
    }
    double mean, var;
    mean_var(x, N_DRAWS, &mean, &var);
    /* Mean alpha * xm / (alpha - 1) = 100 (sd 0.012). */
    ck_assert_double_eq_tol(mean, 100.0, 0.08);
    free(x);

    /* Heavier tail: xm = 1, alpha = 3 has mean 1.5 and median 2^(1/3). */
    long below_median = 0;
    const double median = cbrt(2.0);
    for (int i = 0; i < N_DRAWS; i++) {
        below_median += rng_pareto(&r, 1.0, 3.0) < median;
    }
    /* sd of the count is 224. */
    ck_assert_int_gt(below_median, N_DRAWS / 2 - 1400);
    ck_assert_int_lt(below_median, N_DRAWS / 2 + 1400);
}
END_TEST

START_TEST(test_normal)
{
    rng_t r;
    rng_stream(&r, SEED_FIXED, RNG_TEST, 13);
    double *x = samples_alloc(N_DRAWS);
    long within_1sd = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        x[i] = rng_normal(&r);
        ck_assert(isfinite(x[i]));
        within_1sd += fabs(x[i]) < 1.0;
    }
    double mean, var;
    mean_var(x, N_DRAWS, &mean, &var);
    /* Mean 0 (sd 0.0022), variance 1 (sd 0.0032). */
    ck_assert_double_eq_tol(mean, 0.0, 0.015);
    ck_assert_double_eq_tol(var, 1.0, 0.015);
    /* P(|Z| < 1) = 0.6827 (sd of the fraction 0.001). */
    ck_assert_double_eq_tol((double)within_1sd / N_DRAWS, 0.6827, 0.006);
    free(x);
}
END_TEST

START_TEST(test_normal_no_cached_state)
{
    /* Each call consumes the same number of outputs, so the k-th value
     * depends only on the stream and k. Here: two calls use exactly the
     * outputs that two further rng_next calls would skip over. */
    rng_t a, b;
    rng_stream(&a, SEED_FIXED, RNG_TEST, 14);
    rng_stream(&b, SEED_FIXED, RNG_TEST, 14);
    (void)rng_normal(&a);
    (void)rng_next(&b);
    (void)rng_next(&b);
    ck_assert_uint_eq(rng_next(&a), rng_next(&b));

    /* Copies of a generator give the same normals. */
    rng_t c = a;
    for (int i = 0; i < 100; i++) {
        ck_assert_double_eq(rng_normal(&a), rng_normal(&c));
    }
}
END_TEST

START_TEST(test_lognormal)
{
    const double mu = 1.0;
    const double sigma = 0.5;
    rng_t r;
    rng_stream(&r, SEED_FIXED, RNG_TEST, 15);
    double *x = samples_alloc(N_DRAWS);
    for (int i = 0; i < N_DRAWS; i++) {
        x[i] = rng_lognormal(&r, mu, sigma);
        ck_assert(x[i] > 0.0 && isfinite(x[i]));
    }
    double mean, var;
    mean_var(x, N_DRAWS, &mean, &var);
    /* Mean exp(mu + sigma^2 / 2) = 3.080 (sd 0.0037). */
    ck_assert_double_eq_tol(mean, exp(mu + sigma * sigma / 2), 0.02);

    /* The log has mean mu (sd 0.0011) and variance sigma^2 (sd 0.0008). */
    for (int i = 0; i < N_DRAWS; i++) {
        x[i] = log(x[i]);
    }
    mean_var(x, N_DRAWS, &mean, &var);
    ck_assert_double_eq_tol(mean, mu, 0.008);
    ck_assert_double_eq_tol(var, sigma * sigma, 0.005);
    free(x);
}
END_TEST

static Suite *rng_suite(void)
{
    Suite *s = suite_create("rng");

    TCase *tc_kat = tcase_create("known_answer");
    tcase_add_test(tc_kat, test_splitmix64_known_answer);
    tcase_add_test(tc_kat, test_xoshiro_known_answer);
    tcase_add_test(tc_kat, test_seed_uses_splitmix);
    tcase_add_test(tc_kat, test_stream_golden);
    suite_add_tcase(s, tc_kat);

    TCase *tc_streams = tcase_create("streams");
    tcase_add_test(tc_streams, test_reproducible);
    tcase_add_test(tc_streams, test_state_never_zero);
    tcase_add_test(tc_streams, test_streams_independent);
    tcase_add_test(tc_streams, test_stream_no_global_state);
    tcase_add_test(tc_streams, test_adjacent_keys_decorrelated);
    suite_add_tcase(s, tc_streams);

    TCase *tc_int = tcase_create("integer");
    tcase_set_timeout(tc_int, 60);
    tcase_add_test(tc_int, test_below_bounds);
    tcase_add_test(tc_int, test_below_chi_square);
    tcase_add_test(tc_int, test_below_no_modulo_bias);
    tcase_add_test(tc_int, test_crafted_state_helper);
    tcase_add_test(tc_int, test_below_exact_mapping);
    tcase_add_test(tc_int, test_range);
    tcase_add_test(tc_int, test_chance_ppm);
    tcase_add_test(tc_int, test_chance_ppm_small);
    tcase_add_test(tc_int, test_chance_ppm_boundaries);
    tcase_add_test(tc_int, test_weighted);
    tcase_add_test(tc_int, test_weighted_exact_mapping);
    tcase_add_test(tc_int, test_shuffle_permutation);
    tcase_add_test(tc_int, test_shuffle_uniform);
    suite_add_tcase(s, tc_int);

    TCase *tc_cont = tcase_create("continuous");
    tcase_set_timeout(tc_cont, 60);
    tcase_add_test(tc_cont, test_unit_range_and_mean);
    tcase_add_test(tc_cont, test_exponential);
    tcase_add_test(tc_cont, test_pareto);
    tcase_add_test(tc_cont, test_normal);
    tcase_add_test(tc_cont, test_normal_no_cached_state);
    tcase_add_test(tc_cont, test_lognormal);
    suite_add_tcase(s, tc_cont);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(rng_suite());
    srunner_run_all(sr, CK_NORMAL);
    const int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
