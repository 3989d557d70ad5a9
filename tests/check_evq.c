/*
 * check_evq.c - Check suite for sim/evq (the event queue).
 *
 * Unit tests cover ordering by time, ties in scheduling order, cancellation
 * and stale handles, evq_peek_time over cancelled events, growth (also past
 * the slot field of the heap keys, and through renumbering of their order
 * numbers, both with small limits), a clean failure when the queue cannot
 * grow, heap compaction after mass cancellation, and the abort on pushing
 * into the past.
 * A randomized test drives many thousands of mixed push/pop/cancel
 * operations against a reference model (a flat array scanned linearly for
 * the minimum (time_ns, seq)) and checks every result. Its generator is a
 * local splitmix64 so this suite depends on nothing but the queue.
 */
#include "sim/engine/evq.h"

#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static ev_data_t data_u(uint64_t u)
{
    ev_data_t d = {.a = (uint32_t)u, .b = (uint32_t)(u >> 32), .u = u, .p = NULL};
    return d;
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n) for small n; the modulo bias is irrelevant here. */
static uint64_t below(uint64_t *state, uint64_t n)
{
    return splitmix64(state) % n;
}

START_TEST(test_empty)
{
    evq_t *q = evq_new();
    ev_t ev;
    ck_assert(!evq_pop(q, &ev));
    ck_assert_uint_eq(evq_peek_time(q), UINT64_MAX);
    ck_assert_uint_eq(evq_len(q), 0);
    ck_assert_uint_eq(evq_now(q), 0);
    ck_assert_uint_eq(evq_scheduled(q), 0);
    ck_assert(!evq_cancel(q, 0));
    ck_assert(!evq_cancel(q, UINT64_MAX));
    ck_assert(!evq_cancel(q, 12345));
    evq_free(q);
    evq_free(NULL);
}
END_TEST

START_TEST(test_order_by_time)
{
    static const uint64_t times_ns[] = {50, 10, 40, 30, 20, 60, 0, 45};
    const size_t n = sizeof times_ns / sizeof times_ns[0];
    evq_t *q = evq_new();
    for (size_t i = 0; i < n; i++) {
        ev_handle_t h = evq_push(q, times_ns[i], (uint32_t)i, data_u(i * 7));
        ck_assert_uint_ne(h, 0);
    }
    ck_assert_uint_eq(evq_len(q), n);
    ck_assert_uint_eq(evq_scheduled(q), n);
    ck_assert_uint_eq(evq_peek_time(q), 0);

    uint64_t last_ns = 0;
    ev_t ev;
    for (size_t i = 0; i < n; i++) {
        ck_assert(evq_pop(q, &ev));
        ck_assert_uint_ge(ev.time_ns, last_ns);
        ck_assert_uint_eq(ev.time_ns, times_ns[ev.kind]);
        ck_assert_uint_eq(ev.seq, ev.kind);
        ck_assert_uint_eq(ev.d.u, ev.kind * 7);
        ck_assert_uint_eq(evq_now(q), ev.time_ns);
        last_ns = ev.time_ns;
    }
    ck_assert_uint_eq(last_ns, 60);
    ck_assert(!evq_pop(q, &ev));
    ck_assert_uint_eq(evq_now(q), 60);
    evq_free(q);
}
END_TEST

START_TEST(test_ties_in_scheduling_order)
{
    evq_t *q = evq_new();
    /* Interleave three times; within each time, kinds rise with seq. */
    for (uint32_t i = 0; i < 30; i++)
        evq_push(q, 100 + 10 * (i % 3), i, data_u(i));
    ev_t ev;
    uint64_t last_seq = 0;
    for (int i = 0; i < 30; i++) {
        ck_assert(evq_pop(q, &ev));
        uint64_t expect_time_ns = 100 + 10 * (uint64_t)(i / 10);
        ck_assert_uint_eq(ev.time_ns, expect_time_ns);
        ck_assert_uint_eq(ev.kind % 3, (uint32_t)(i / 10));
        if (i % 10 != 0)
            ck_assert_uint_gt(ev.seq, last_seq);
        ck_assert_uint_eq(ev.seq, ev.kind);
        last_seq = ev.seq;
    }
    /* Pushing at exactly now is allowed and runs after earlier pushes at the
     * same time. */
    evq_push(q, 120, 1, data_u(0));
    evq_push(q, 120, 2, data_u(0));
    ck_assert(evq_pop(q, &ev));
    ck_assert_uint_eq(ev.kind, 1);
    ck_assert(evq_pop(q, &ev));
    ck_assert_uint_eq(ev.kind, 2);
    evq_free(q);
}
END_TEST

START_TEST(test_cancel)
{
    evq_t *q = evq_new();
    ev_handle_t h1 = evq_push(q, 10, 1, data_u(1));
    ev_handle_t h2 = evq_push(q, 20, 2, data_u(2));
    ev_handle_t h3 = evq_push(q, 30, 3, data_u(3));
    ck_assert_uint_eq(evq_len(q), 3);

    ck_assert(evq_cancel(q, h2));
    ck_assert_uint_eq(evq_len(q), 2);
    ck_assert(!evq_cancel(q, h2)); /* double cancel */
    ck_assert_uint_eq(evq_len(q), 2);

    ev_t ev;
    ck_assert(evq_pop(q, &ev));
    ck_assert_uint_eq(ev.kind, 1);
    ck_assert(!evq_cancel(q, h1)); /* already ran */
    ck_assert_uint_eq(evq_len(q), 1);

    ck_assert(evq_pop(q, &ev)); /* skips the cancelled event */
    ck_assert_uint_eq(ev.kind, 3);
    ck_assert_uint_eq(ev.time_ns, 30);
    ck_assert(!evq_cancel(q, h3));
    ck_assert(!evq_pop(q, &ev));
    ck_assert_uint_eq(evq_len(q), 0);

    /* Slots are recycled; old handles must stay stale even when a new event
     * takes their slot. */
    ev_handle_t h4 = evq_push(q, 40, 4, data_u(4));
    ck_assert_uint_ne(h4, h1);
    ck_assert_uint_ne(h4, h2);
    ck_assert_uint_ne(h4, h3);
    ck_assert(!evq_cancel(q, h1));
    ck_assert(!evq_cancel(q, h2));
    ck_assert(!evq_cancel(q, h3));
    ck_assert_uint_eq(evq_len(q), 1);
    ck_assert(evq_cancel(q, h4));
    ck_assert_uint_eq(evq_len(q), 0);
    ck_assert(!evq_pop(q, &ev));
    ck_assert_uint_eq(evq_scheduled(q), 4);
    evq_free(q);
}
END_TEST

START_TEST(test_peek_skips_cancelled)
{
    evq_t *q = evq_new();
    ev_handle_t h1 = evq_push(q, 5, 1, data_u(1));
    ev_handle_t h2 = evq_push(q, 7, 2, data_u(2));
    evq_push(q, 9, 3, data_u(3));
    ck_assert_uint_eq(evq_peek_time(q), 5);
    ck_assert(evq_cancel(q, h1));
    ck_assert_uint_eq(evq_peek_time(q), 7);
    ck_assert(evq_cancel(q, h2));
    ck_assert_uint_eq(evq_peek_time(q), 9);
    ck_assert_uint_eq(evq_len(q), 1);
    /* Peeking does not consume and does not advance time. */
    ck_assert_uint_eq(evq_peek_time(q), 9);
    ck_assert_uint_eq(evq_now(q), 0);
    ev_t ev;
    ck_assert(evq_pop(q, &ev));
    ck_assert_uint_eq(ev.kind, 3);
    ck_assert_uint_eq(evq_peek_time(q), UINT64_MAX);

    ev_handle_t h4 = evq_push(q, 11, 4, data_u(4));
    ck_assert(evq_cancel(q, h4));
    ck_assert_uint_eq(evq_peek_time(q), UINT64_MAX);
    evq_free(q);
}
END_TEST

/* Many pushes in decreasing time force several doublings of pool and heap. */
START_TEST(test_growth)
{
    const uint64_t n = 100000;
    evq_t *q = evq_new();
    for (uint64_t i = 0; i < n; i++)
        evq_push(q, 1000000 - 3 * i, 0, data_u(i));
    ck_assert_uint_eq(evq_len(q), n);
    ev_t ev;
    for (uint64_t i = 0; i < n; i++) {
        ck_assert(evq_pop(q, &ev));
        ck_assert_uint_eq(ev.d.u, n - 1 - i);
        ck_assert_uint_eq(ev.time_ns, 1000000 - 3 * (n - 1 - i));
    }
    ck_assert(!evq_pop(q, &ev));
    evq_free(q);
}
END_TEST

/* Cancelling most events triggers compaction; order and handles survive. */
START_TEST(test_mass_cancel)
{
    enum { N = 5000 };
    static ev_handle_t h[N];
    evq_t *q = evq_new();
    for (uint32_t i = 0; i < N; i++)
        h[i] = evq_push(q, (uint64_t)(i * 7919u % N), i, data_u(i));
    /* Keep every tenth event. */
    for (uint32_t i = 0; i < N; i++)
        if (i % 10 != 0)
            ck_assert(evq_cancel(q, h[i]));
    ck_assert_uint_eq(evq_len(q), N / 10);
    for (uint32_t i = 0; i < N; i++) {
        if (i % 10 != 0)
            ck_assert(!evq_cancel(q, h[i]));
    }
    /* A surviving handle still works after compaction. */
    ck_assert(evq_cancel(q, h[10]));
    ck_assert(!evq_cancel(q, h[10]));

    ev_t ev;
    size_t popped = 0;
    uint64_t last_ns = 0;
    while (evq_pop(q, &ev)) {
        ck_assert_uint_eq(ev.kind % 10, 0);
        ck_assert_uint_ne(ev.kind, 10);
        ck_assert_uint_eq(ev.time_ns, (uint64_t)(ev.kind * 7919u % N));
        ck_assert_uint_ge(ev.time_ns, last_ns);
        last_ns = ev.time_ns;
        popped++;
    }
    ck_assert_uint_eq(popped, N / 10 - 1);
    ck_assert_uint_eq(evq_len(q), 0);
    evq_free(q);
}
END_TEST

/* Compaction rebuilds the heap; check the rebuilt heap over many random
 * shapes by draining it after cancelling a random majority. */
START_TEST(test_compaction_random)
{
    enum { MAX_N = 700 };
    static ev_handle_t h[MAX_N];
    static bool cancelled[MAX_N];
    uint64_t rs = 42;
    for (int trial = 0; trial < 500; trial++) {
        evq_t *q = evq_new();
        size_t n = 256 + (size_t)below(&rs, MAX_N - 256);
        for (size_t i = 0; i < n; i++) {
            h[i] = evq_push(q, below(&rs, 1000000), (uint32_t)i, data_u(i));
            cancelled[i] = false;
        }
        unsigned cancel_pct = 55 + (unsigned)below(&rs, 45);
        size_t live = n;
        for (size_t i = 0; i < n; i++) {
            if (below(&rs, 100) < cancel_pct) {
                ck_assert(evq_cancel(q, h[i]));
                cancelled[i] = true;
                live--;
            }
        }
        ck_assert_uint_eq(evq_len(q), live);
        ev_t ev, prev = {0};
        size_t popped = 0;
        while (evq_pop(q, &ev)) {
            ck_assert(!cancelled[ev.kind]);
            if (popped > 0)
                ck_assert(ev.time_ns > prev.time_ns ||
                          (ev.time_ns == prev.time_ns && ev.seq > prev.seq));
            prev = ev;
            popped++;
        }
        ck_assert_uint_eq(popped, live);
        evq_free(q);
    }
}
END_TEST

/* Reference model for the randomized test. */
enum ref_state { REF_PENDING, REF_CANCELLED, REF_POPPED };

typedef struct ref_ev {
    uint64_t time_ns;
    uint64_t seq;
    uint32_t kind;
    ev_handle_t h;
    enum ref_state state;
    size_t pending_pos; /* index in pending[] while REF_PENDING */
} ref_ev_t;

typedef struct ref {
    ref_ev_t *evs; /* every event ever pushed, indexed by seq */
    size_t n_evs;
    size_t *pending; /* indices into evs of pending events, unordered */
    size_t n_pending;
} ref_t;

static void ref_remove_pending(ref_t *r, size_t idx, enum ref_state state)
{
    ref_ev_t *e = &r->evs[idx];
    size_t pos = e->pending_pos;
    size_t last = r->pending[--r->n_pending];
    r->pending[pos] = last;
    r->evs[last].pending_pos = pos;
    e->state = state;
}

/* Index of the pending event with the smallest (time_ns, seq), or SIZE_MAX. */
static size_t ref_min(const ref_t *r)
{
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < r->n_pending; i++) {
        const ref_ev_t *e = &r->evs[r->pending[i]];
        if (best == SIZE_MAX || e->time_ns < r->evs[best].time_ns ||
            (e->time_ns == r->evs[best].time_ns && e->seq < r->evs[best].seq))
            best = r->pending[i];
    }
    return best;
}

static void check_pop_matches(evq_t *q, ref_t *r)
{
    ev_t ev;
    size_t want = ref_min(r);
    if (want == SIZE_MAX) {
        ck_assert(!evq_pop(q, &ev));
        return;
    }
    ck_assert(evq_pop(q, &ev));
    const ref_ev_t *e = &r->evs[want];
    ck_assert_uint_eq(ev.time_ns, e->time_ns);
    ck_assert_uint_eq(ev.seq, e->seq);
    ck_assert_uint_eq(ev.kind, e->kind);
    ck_assert_uint_eq(ev.d.u, want);
    ck_assert_uint_eq(ev.d.a, (uint32_t)want);
    ck_assert_uint_eq(evq_now(q), e->time_ns);
    ref_remove_pending(r, want, REF_POPPED);
}

/* Phases of the randomized test: percent of push, pop (rest: cancel). */
static const struct {
    unsigned push_pct, pop_pct;
} phases[] = {
    {70, 20}, /* grow */
    {45, 45}, /* steady */
    {30, 10}, /* cancel-heavy: drives compaction */
    {20, 70}, /* drain */
    {60, 30},
    {10, 80},
};

START_TEST(test_randomized_against_reference)
{
    enum { OPS_PER_PHASE = 5000, ROUNDS = 2 };
    const size_t max_evs = OPS_PER_PHASE * ROUNDS *
                           (sizeof phases / sizeof phases[0]);
    uint64_t rs = 0xC0FFEE1234ULL + (uint64_t)_i;
    ref_t r = {0};
    r.evs = calloc(max_evs, sizeof r.evs[0]);
    r.pending = calloc(max_evs, sizeof r.pending[0]);
    ck_assert_ptr_nonnull(r.evs);
    ck_assert_ptr_nonnull(r.pending);
    /* Runs 3 and up start with a narrow slot field and renumber often, so
     * widening and renumbering meet every mix of operations. */
    evq_t *q = evq_new();
    if (_i >= 3) {
        evq_free(q);
        const evq_limits_t lim = { .slot_bits = (unsigned)_i - 1, .renumber_at = 700 * (uint64_t)_i,
                                   .max_pending = EVQ_PENDING_MAX };
        q = evq_new_limited(&lim);
    }

    for (int round = 0; round < ROUNDS; round++) {
        for (size_t ph = 0; ph < sizeof phases / sizeof phases[0]; ph++) {
            for (int op = 0; op < OPS_PER_PHASE; op++) {
                unsigned dice = (unsigned)below(&rs, 100);
                if (dice < phases[ph].push_pct) {
                    /* Small offsets make equal times common. */
                    uint64_t t_ns = evq_now(q) + below(&rs, 48);
                    size_t idx = r.n_evs++;
                    ck_assert_uint_lt(idx, max_evs);
                    ref_ev_t *e = &r.evs[idx];
                    e->time_ns = t_ns;
                    e->seq = idx;
                    e->kind = (uint32_t)below(&rs, 1000);
                    ck_assert_uint_eq(evq_scheduled(q), idx);
                    e->h = evq_push(q, t_ns, e->kind, data_u(idx));
                    ck_assert_uint_ne(e->h, 0);
                    e->state = REF_PENDING;
                    e->pending_pos = r.n_pending;
                    r.pending[r.n_pending++] = idx;
                } else if (dice < phases[ph].push_pct + phases[ph].pop_pct) {
                    check_pop_matches(q, &r);
                } else if (r.n_evs > 0) {
                    /* Half the time a pending event, otherwise any event
                     * ever pushed (often stale). */
                    size_t idx;
                    if (r.n_pending > 0 && below(&rs, 2) == 0)
                        idx = r.pending[below(&rs, r.n_pending)];
                    else
                        idx = (size_t)below(&rs, r.n_evs);
                    bool expect = r.evs[idx].state == REF_PENDING;
                    ck_assert_int_eq(evq_cancel(q, r.evs[idx].h), expect);
                    if (expect)
                        ref_remove_pending(&r, idx, REF_CANCELLED);
                }
                ck_assert_uint_eq(evq_len(q), r.n_pending);
                if (op % 16 == 0) {
                    size_t m = ref_min(&r);
                    uint64_t want_ns =
                        m == SIZE_MAX ? UINT64_MAX : r.evs[m].time_ns;
                    ck_assert_uint_eq(evq_peek_time(q), want_ns);
                }
            }
        }
    }
    /* Drain what is left. */
    while (r.n_pending > 0)
        check_pop_matches(q, &r);
    check_pop_matches(q, &r);
    ck_assert_uint_eq(evq_len(q), 0);
    ck_assert_uint_eq(evq_scheduled(q), r.n_evs);

    evq_free(q);
    free(r.evs);
    free(r.pending);
}
END_TEST

/* The pool outgrows the slot field of the heap keys many times over (from
 * 4 bits, as the default queue outgrows 24 bits past 2^24 pending events),
 * with events pending, cancelled and handles held across every widening:
 * order, seq, payloads and handles all survive. */
START_TEST(test_growth_past_slot_field)
{
    enum { N = 20000 };
    static ev_handle_t h[N];
    static bool cancelled[N];
    const evq_limits_t lim = { .slot_bits = 4, .renumber_at = 0, .max_pending = EVQ_PENDING_MAX };
    evq_t *q = evq_new_limited(&lim);
    uint64_t rs = 7;
    size_t live = 0;
    for (uint32_t i = 0; i < N; i++) {
        /* Few distinct times, so most order comes from ties. */
        h[i] = evq_push(q, 1000 + below(&rs, 50), i, data_u(i));
        ck_assert_uint_ne(h[i], 0);
        live++;
        /* Cancel an event pushed a little or a long time ago, across
         * widenings, through the handle kept since. */
        if (i % 3 == 0) {
            uint32_t victim = (uint32_t)below(&rs, i + 1);
            ck_assert_int_eq(evq_cancel(q, h[victim]), !cancelled[victim]);
            live -= !cancelled[victim];
            cancelled[victim] = true;
        }
    }
    ck_assert_ptr_null(evq_error(q));
    ck_assert_uint_eq(evq_len(q), live);
    ev_t ev, prev = {0};
    size_t popped = 0;
    while (evq_pop(q, &ev)) {
        ck_assert(!cancelled[ev.kind]);
        ck_assert_uint_eq(ev.seq, ev.kind); /* seq is the push index */
        ck_assert_uint_eq(ev.d.u, ev.kind);
        ck_assert(!evq_cancel(q, h[ev.kind]));
        if (popped > 0)
            ck_assert(ev.time_ns > prev.time_ns || (ev.time_ns == prev.time_ns && ev.seq > prev.seq));
        prev = ev;
        popped++;
    }
    ck_assert_uint_eq(popped, live);
    ck_assert_uint_eq(evq_scheduled(q), N);
    evq_free(q);
}
END_TEST

/* The keys' order numbers run out (here every 300 pushes) and are
 * renumbered, many times, with ties pending and the pool growing past the
 * keys' slot field: pop order and seq are those of scheduling. */
START_TEST(test_renumbering_keeps_order)
{
    const evq_limits_t lim = { .slot_bits = 6, .renumber_at = 300, .max_pending = EVQ_PENDING_MAX };
    evq_t *q = evq_new_limited(&lim);
    uint64_t rs = 99, seq = 0, popped = 0;
    ev_t ev, prev = {0};
    for (int round = 0; round < 200; round++) {
        /* Push 150 at a handful of times at or after now, pop 100. */
        for (int i = 0; i < 150; i++) {
            ck_assert_uint_ne(evq_push(q, evq_now(q) + below(&rs, 4), (uint32_t)seq, data_u(seq)), 0);
            seq++;
        }
        for (int i = 0; i < 100; i++) {
            ck_assert(evq_pop(q, &ev));
            ck_assert_uint_eq(ev.seq, ev.kind);
            ck_assert_uint_eq(ev.d.u, ev.seq);
            if (popped++ > 0)
                ck_assert(ev.time_ns > prev.time_ns || (ev.time_ns == prev.time_ns && ev.seq > prev.seq));
            prev = ev;
        }
    }
    while (evq_pop(q, &ev)) {
        ck_assert(ev.time_ns > prev.time_ns || (ev.time_ns == prev.time_ns && ev.seq > prev.seq));
        prev = ev;
        popped++;
    }
    ck_assert_uint_eq(popped, seq);
    evq_free(q);
}
END_TEST

/* When the queue cannot grow (here its limit stands in for memory running
 * out) a push fails cleanly: it returns 0, the queue says why and stops the
 * run loop's pops, and the pending events can still be drained. */
START_TEST(test_full_queue_fails_cleanly)
{
    const evq_limits_t lim = { .slot_bits = 24, .renumber_at = 0, .max_pending = 100 };
    evq_t *q = evq_new_limited(&lim);
    for (uint32_t i = 0; i < 100; i++)
        ck_assert_uint_ne(evq_push(q, 1000 - i, i, data_u(i)), 0);
    ck_assert_ptr_null(evq_error(q));
    ck_assert_uint_eq(evq_push(q, 5, 100, data_u(100)), 0);
    ck_assert_ptr_nonnull(evq_error(q));
    ck_assert_ptr_nonnull(strstr(evq_error(q), "more than 100 pending events"));
    ck_assert_uint_eq(evq_len(q), 100);
    ck_assert_uint_eq(evq_push(q, 5, 101, data_u(101)), 0); /* stays failed */
    ev_t ev;
    ck_assert(!evq_pop_until(q, UINT64_MAX, &ev));
    for (uint32_t i = 0; i < 100; i++) {
        ck_assert(evq_pop(q, &ev));
        ck_assert_uint_eq(ev.kind, 99 - i);
    }
    ck_assert(!evq_pop(q, &ev));
    evq_free(q);
}
END_TEST

START_TEST(test_push_into_past_aborts)
{
    evq_t *q = evq_new();
    evq_push(q, 100, 0, data_u(0));
    ev_t ev;
    ck_assert(evq_pop(q, &ev));
    ck_assert_uint_eq(evq_now(q), 100);
    evq_push(q, 99, 0, data_u(0)); /* must abort */
    ck_abort_msg("push earlier than now did not abort");
}
END_TEST

static Suite *evq_suite(void)
{
    Suite *s = suite_create("evq");

    TCase *tc = tcase_create("basic");
    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_order_by_time);
    tcase_add_test(tc, test_ties_in_scheduling_order);
    tcase_add_test(tc, test_growth);
    tcase_add_test(tc, test_growth_past_slot_field);
    tcase_add_test(tc, test_renumbering_keeps_order);
    tcase_add_test(tc, test_full_queue_fails_cleanly);
    suite_add_tcase(s, tc);

    tc = tcase_create("cancel");
    tcase_add_test(tc, test_cancel);
    tcase_add_test(tc, test_peek_skips_cancelled);
    tcase_add_test(tc, test_mass_cancel);
    tcase_add_test(tc, test_compaction_random);
    suite_add_tcase(s, tc);

    tc = tcase_create("randomized");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_randomized_against_reference, 0, 6);
    suite_add_tcase(s, tc);

    tc = tcase_create("asserts");
    tcase_add_test_raise_signal(tc, test_push_into_past_aborts, SIGABRT);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(evq_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
