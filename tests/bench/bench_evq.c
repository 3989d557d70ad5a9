/*
 * bench_evq.c - the classic hold model over the event queue.
 *
 * For each queue size N the queue is filled with N events whose times are
 * exponentially distributed increments (mean 1 ms) from time 0; then M hold
 * operations are timed, each popping the earliest event and pushing one at
 * the popped time plus a fresh increment, so the queue size stays N. Each
 * size gets one queue, a warm-up, then REPS timed runs of M operations; one
 * line per size reports the median, minimum and maximum rate:
 *
 *   evq hold: pending=N ops=M median=X Mops/s (min A max B)
 *
 * Increments come from a local xorshift64* generator through a precomputed
 * table, so the timed loop measures the queue and not log(). The run is
 * deterministic apart from the timings.
 */
#include "sim/engine/evq.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define REPS 5
#define MEAN_INCREMENT_NS 1000000.0 /* 1 ms */
#define INCR_TABLE_LEN (1u << 16)   /* power of two */

static uint64_t incr_ns[INCR_TABLE_LEN];

/* Keeps the timed loop from being optimised away. */
static volatile uint64_t sink;

static uint64_t xorshift64s(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static void fill_incr_table(uint64_t seed)
{
    uint64_t st = seed;
    for (size_t i = 0; i < INCR_TABLE_LEN; i++) {
        /* u in (0, 1]: 53 random bits, never 0 so log(u) is finite. */
        double u = (double)((xorshift64s(&st) >> 11) + 1) * 0x1.0p-53;
        incr_ns[i] = (uint64_t)llround(-log(u) * MEAN_INCREMENT_NS);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t next_incr_ns(uint64_t *st)
{
    return incr_ns[xorshift64s(st) & (INCR_TABLE_LEN - 1)];
}

/* m hold operations on q: pop the earliest event, push it again one
 * increment later. */
static void hold(evq_t *q, size_t m, uint64_t *st)
{
    ev_t ev;
    uint64_t check = 0;
    for (size_t i = 0; i < m; i++) {
        evq_pop(q, &ev);
        check += ev.d.u;
        evq_push(q, ev.time_ns + next_incr_ns(st), ev.kind, ev.d);
    }
    sink += check;
}

/* Fills a fresh queue with n events, warms it up with min(n, m) untimed
 * hold operations (the fill leaves every event within a few increments of 0,
 * which is not the steady state), then times REPS runs of m hold operations
 * each, storing millions of operations per second in mops[]. */
static void bench_size(size_t n, size_t m, double mops[REPS])
{
    uint64_t st = 0x243F6A8885A308D3ULL ^ n;
    evq_t *q = evq_new();
    ev_data_t d = {0};
    for (size_t i = 0; i < n; i++) {
        d.u = i;
        evq_push(q, next_incr_ns(&st), 1, d);
    }
    hold(q, n < m ? n : m, &st);

    for (int r = 0; r < REPS; r++) {
        double t0 = now_s();
        hold(q, m, &st);
        double t1 = now_s();
        mops[r] = (double)m / (t1 - t0) * 1e-6;
    }
    if (evq_len(q) != n) {
        fprintf(stderr, "bench_evq: queue lost events\n");
        exit(EXIT_FAILURE);
    }
    evq_free(q);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    static const struct {
        size_t pending;
        size_t ops;
    } sizes[] = {
        {1000, 2000000},
        {100000, 1000000},
        {1000000, 400000},
    };

    fill_incr_table(0x9E3779B97F4A7C15ULL);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        double mops[REPS];
        bench_size(sizes[s].pending, sizes[s].ops, mops);
        qsort(mops, REPS, sizeof mops[0], cmp_double);
        printf("evq hold: pending=%zu ops=%zu median=%.2f Mops/s "
               "(min %.2f max %.2f)\n",
               sizes[s].pending, sizes[s].ops, mops[REPS / 2], mops[0],
               mops[REPS - 1]);
        fflush(stdout);
    }
    return 0;
}
