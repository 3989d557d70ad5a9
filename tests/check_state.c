/*
 * check_state.c - Check suite for core/state (versioned account state).
 *
 * Unit tests cover genesis (repeated addresses add up, totals, the genesis
 * delta), child versions (they see their parent, their own changes, and
 * leave the parent untouched), deltas (sorted, with before/after, no-op
 * writes dropped), zeroed accounts, reference counting and the assertions on
 * misuse.
 *
 * Snapshot spacing: busy versions (a quarter of the accounts changed each)
 * are at most one delta from a snapshot, quiet ones fewer than
 * STATE_SNAPSHOT_EVERY.
 *
 * The randomized test builds a chain of 300 versions (several snapshots) and a fork branching off the middle of
 * it, and compares every version against a reference model: a plain table of
 * account values per depth for a fixed set of addresses. At each new version
 * it checks every address, the delta, the total and the account count, and
 * looks up every address at a few random earlier versions too, since old
 * versions stay valid. At the end it checks every version of both branches
 * again. The generator is a local splitmix64 with a fixed seed per loop
 * iteration.
 */
#include "core/state.h"

#include <check.h>
#include <glib.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t *state, uint64_t n)
{
    return splitmix64(state) % n;
}

/* A structured address: many share long prefixes, so the hash function and
 * the sorted order both get exercised. */
static addr_t mkaddr(uint32_t i)
{
    addr_t a;
    memset(a.b, 0, ADDR_BYTES);
    a.b[0] = (uint8_t)(i % 3);
    a.b[ADDR_BYTES - 1] = (uint8_t)i;
    a.b[ADDR_BYTES - 2] = (uint8_t)(i >> 8);
    return a;
}

static account_t acct(uint64_t balance, uint64_t nonce)
{
    account_t a = {balance, nonce};
    return a;
}

static bool acct_eq(account_t a, account_t b)
{
    return a.balance == b.balance && a.nonce == b.nonce;
}

static void assert_acct(account_t got, uint64_t balance, uint64_t nonce)
{
    ck_assert_uint_eq(got.balance, balance);
    ck_assert_uint_eq(got.nonce, nonce);
}

START_TEST(test_genesis)
{
    addr_t addrs[4] = {mkaddr(5), mkaddr(1), mkaddr(5), mkaddr(9)};
    uint64_t balances[4] = {100, 20, 3, 0};
    state_t *g = state_genesis(addrs, balances, 4);
    ck_assert_uint_eq(state_depth(g), 0);
    ck_assert_ptr_null(state_parent(g));
    ck_assert_uint_eq(state_total(g), 123);
    /* mkaddr(9) got 0: it does not exist. */
    ck_assert_uint_eq(state_accounts(g), 2);
    assert_acct(state_get(g, &addrs[0]), 103, 0);
    assert_acct(state_get(g, &addrs[1]), 20, 0);
    assert_acct(state_get(g, &addrs[3]), 0, 0);
    addr_t never = mkaddr(77);
    assert_acct(state_get(g, &never), 0, 0);

    /* The genesis delta lists the allocations, sorted, from zero. */
    size_t n;
    const state_change_t *d = state_delta(g, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_lt(addr_cmp(&d[0].addr, &d[1].addr), 0);
    for (size_t i = 0; i < n; i++) {
        assert_acct(d[i].before, 0, 0);
        ck_assert(acct_eq(d[i].after, state_get(g, &d[i].addr)));
    }
    state_unref(g);

    /* An empty genesis. */
    g = state_genesis(NULL, NULL, 0);
    ck_assert_uint_eq(state_total(g), 0);
    ck_assert_uint_eq(state_accounts(g), 0);
    d = state_delta(g, &n);
    ck_assert_uint_eq(n, 0);
    assert_acct(state_get(g, &never), 0, 0);
    state_unref(g);
}
END_TEST

START_TEST(test_child)
{
    addr_t a = mkaddr(1), b = mkaddr(2), c = mkaddr(3), z = mkaddr(4);
    addr_t addrs[2] = {a, b};
    uint64_t balances[2] = {1000, 500};
    state_t *g = state_genesis(addrs, balances, 2);

    state_t *s = state_child(g);
    ck_assert_uint_eq(state_depth(s), 1);
    ck_assert_ptr_eq(state_parent(s), g);
    /* Sees the parent before any change. */
    assert_acct(state_get(s, &a), 1000, 0);
    state_set(s, &a, acct(900, 1));
    state_set(s, &c, acct(100, 0));
    /* Reads its own writes while mutable, totals follow. */
    assert_acct(state_get(s, &a), 900, 1);
    assert_acct(state_get(s, &c), 100, 0);
    assert_acct(state_get(s, &b), 500, 0);
    ck_assert_uint_eq(state_total(s), 1500);
    ck_assert_uint_eq(state_accounts(s), 3);
    /* Overwrite, and a no-op write that must not show in the delta. */
    state_set(s, &c, acct(60, 0));
    state_set(s, &a, acct(940, 1));
    state_set(s, &b, acct(500, 0));
    state_set(s, &z, acct(0, 0));
    state_seal(s);

    /* The parent is untouched. */
    assert_acct(state_get(g, &a), 1000, 0);
    assert_acct(state_get(g, &c), 0, 0);
    ck_assert_uint_eq(state_total(g), 1500);
    ck_assert_uint_eq(state_accounts(g), 2);

    assert_acct(state_get(s, &a), 940, 1);
    assert_acct(state_get(s, &b), 500, 0);
    assert_acct(state_get(s, &c), 60, 0);
    ck_assert_uint_eq(state_total(s), 1500);
    ck_assert_uint_eq(state_accounts(s), 3);

    /* mkaddr(3) starts with byte 0 and mkaddr(1) with byte 1: c sorts
     * before a, whatever order they were written in. */
    ck_assert_int_lt(addr_cmp(&c, &a), 0);
    ck_assert_int_lt(addr_cmp(&a, &b), 0);
    size_t n;
    const state_change_t *d = state_delta(s, &n);
    ck_assert_uint_eq(n, 2); /* c and a; b and z were no-ops */
    ck_assert(addr_equal(&d[0].addr, &c));
    assert_acct(d[0].before, 0, 0);
    assert_acct(d[0].after, 60, 0);
    ck_assert(addr_equal(&d[1].addr, &a));
    assert_acct(d[1].before, 1000, 0);
    assert_acct(d[1].after, 940, 1);

    /* A grandchild that empties an account. */
    state_t *s2 = state_child(s);
    state_set(s2, &c, acct(0, 0));
    state_set(s2, &b, acct(560, 0));
    state_seal(s2);
    ck_assert_uint_eq(state_depth(s2), 2);
    ck_assert_uint_eq(state_accounts(s2), 2);
    ck_assert_uint_eq(state_total(s2), 1500);
    assert_acct(state_get(s2, &c), 0, 0);
    assert_acct(state_get(s2, &a), 940, 1);
    d = state_delta(s2, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert(addr_equal(&d[0].addr, &c));
    assert_acct(d[0].before, 60, 0);
    assert_acct(d[0].after, 0, 0);
    ck_assert(addr_equal(&d[1].addr, &b));
    assert_acct(d[1].before, 500, 0);
    assert_acct(d[1].after, 560, 0);

    /* An empty version: no delta, same values. */
    state_t *s3 = state_child(s2);
    state_seal(s3);
    d = state_delta(s3, &n);
    ck_assert_uint_eq(n, 0);
    assert_acct(state_get(s3, &b), 560, 0);

    state_unref(s3);
    state_unref(s2);
    state_unref(s);
    state_unref(g);
}
END_TEST

START_TEST(test_siblings)
{
    addr_t a = mkaddr(1), b = mkaddr(2);
    uint64_t bal = 100;
    state_t *g = state_genesis(&a, &bal, 1);
    state_t *x = state_child(g);
    state_t *y = state_child(g);
    state_set(x, &a, acct(40, 1));
    state_set(x, &b, acct(60, 0));
    state_set(y, &a, acct(70, 1));
    state_seal(y);
    state_seal(x);
    assert_acct(state_get(x, &a), 40, 1);
    assert_acct(state_get(y, &a), 70, 1);
    assert_acct(state_get(y, &b), 0, 0);
    assert_acct(state_get(g, &a), 100, 0);
    ck_assert_uint_eq(state_total(y), 70);
    ck_assert_uint_eq(state_total(x), 100);
    state_unref(x);
    state_unref(g); /* y still holds g */
    assert_acct(state_get(y, &a), 70, 1);
    ck_assert_uint_eq(state_depth(state_parent(y)), 0);
    state_unref(y);
}
END_TEST

START_TEST(test_refcounts)
{
    addr_t a = mkaddr(1);
    uint64_t bal = 10;
    state_t *g = state_genesis(&a, &bal, 1);
    ck_assert_ptr_eq(state_ref(g), g);
    state_unref(g);
    /* A long chain released from its tip alone (iteratively). */
    state_t *tip = state_ref(g);
    for (int i = 0; i < 5000; i++) {
        state_t *c = state_child(tip);
        state_set(c, &a, acct(10, (uint64_t)i + 1));
        state_seal(c);
        state_unref(tip); /* the child holds its parent */
        tip = c;
    }
    assert_acct(state_get(tip, &a), 10, 5000);
    assert_acct(state_get(g, &a), 10, 0);
    state_unref(tip);
    /* g still has the caller's reference. */
    assert_acct(state_get(g, &a), 10, 0);

    /* An abandoned mutable version is freed with its pending changes. */
    state_t *m = state_child(g);
    state_set(m, &a, acct(1, 1));
    state_unref(m);
    assert_acct(state_get(g, &a), 10, 0);
    state_unref(g);
}
END_TEST

/* Snapshots follow the changes: when every version changes a quarter of the
 * accounts or more, a lookup searches at most one delta before a snapshot;
 * with one change per version, at most STATE_SNAPSHOT_EVERY - 1. Values
 * stay right either way. */
START_TEST(test_snapshot_spacing)
{
    enum { N = 400, VERSIONS = 200 };
    addr_t *addrs = g_new(addr_t, N);
    uint64_t *bal = g_new(uint64_t, N);
    for (uint32_t i = 0; i < N; i++) {
        addrs[i] = mkaddr(i);
        bal[i] = 1000;
    }
    state_t *g = state_genesis(addrs, bal, N);
    ck_assert_uint_eq(state_snapshot_distance(g), 0);

    /* Busy versions: each one changes N / 4 accounts. */
    state_t *tip = state_ref(g);
    for (uint32_t v = 1; v <= VERSIONS; v++) {
        state_t *c = state_child(tip);
        for (uint32_t k = 0; k < N / 4; k++) {
            uint32_t i = (v * 7 + k * 4) % N;
            state_set(c, &addrs[i], acct(1000 + v, v));
        }
        state_seal(c);
        state_unref(tip);
        tip = c;
        ck_assert_uint_le(state_snapshot_distance(tip), 1);
    }
    /* Quiet versions: one change each. */
    uint32_t most = 0;
    for (uint32_t v = 1; v <= VERSIONS; v++) {
        state_t *c = state_child(tip);
        state_set(c, &addrs[v % N], acct(5, v));
        state_seal(c);
        state_unref(tip);
        tip = c;
        uint32_t d = state_snapshot_distance(tip);
        ck_assert_uint_lt(d, STATE_SNAPSHOT_EVERY);
        most = d > most ? d : most;
        assert_acct(state_get(tip, &addrs[v % N]), 5, v);
    }
    ck_assert_uint_eq(most, STATE_SNAPSHOT_EVERY - 1);
    /* Accounts last set by the busy versions, read through the quiet ones:
     * the latest busy version v that set them wrote (1000 + v, v). */
    for (uint32_t i = VERSIONS + 1; i < N; i++) {
        uint32_t last = 0;
        for (uint32_t v = 1; v <= VERSIONS; v++)
            for (uint32_t k = 0; k < N / 4; k++)
                if ((v * 7 + k * 4) % N == i)
                    last = v;
        ck_assert_uint_gt(last, 0);
        assert_acct(state_get(tip, &addrs[i]), 1000 + last, last);
    }
    state_unref(tip);
    state_unref(g);
    g_free(addrs);
    g_free(bal);
}
END_TEST

/* The reference model: values of K addresses at each depth of a branch. */
enum { K = 48, DEPTH = 300, FORK_AT = 100, FORK_LEN = 200 };

typedef struct branch {
    state_t *v[DEPTH + FORK_LEN + 1]; /* borrowed except the tip */
    account_t ref[DEPTH + FORK_LEN + 1][K];
    uint32_t len;                     /* versions 0..len-1 */
} branch_t;

static void ref_totals(const account_t *vals, uint64_t *total, size_t *accounts)
{
    *total = 0;
    *accounts = 0;
    for (int k = 0; k < K; k++) {
        *total += vals[k].balance;
        *accounts += vals[k].balance != 0 || vals[k].nonce != 0;
    }
}

static void check_version(const state_t *s, const account_t *vals, const addr_t *addrs)
{
    for (int k = 0; k < K; k++) {
        account_t got = state_get(s, &addrs[k]);
        ck_assert_msg(acct_eq(got, vals[k]), "depth %u addr %d: got %llu/%llu want %llu/%llu", state_depth(s), k,
                      (unsigned long long)got.balance, (unsigned long long)got.nonce,
                      (unsigned long long)vals[k].balance, (unsigned long long)vals[k].nonce);
    }
    uint64_t total;
    size_t accounts;
    ref_totals(vals, &total, &accounts);
    ck_assert_uint_eq(state_total(s), total);
    ck_assert_uint_eq(state_accounts(s), accounts);
}

/* Extends branch br by one random version on top of its last one. */
static void grow(branch_t *br, const addr_t *addrs, uint64_t *rng)
{
    uint32_t d = br->len;
    state_t *parent = br->v[d - 1];
    state_t *s = state_child(parent);
    memcpy(br->ref[d], br->ref[d - 1], sizeof br->ref[d]);
    /* Some versions change nothing at all. */
    int nset = below(rng, 5) == 0 ? 0 : (int)below(rng, 10);
    for (int j = 0; j < nset; j++) {
        int k = (int)below(rng, K);
        account_t a;
        switch (below(rng, 4)) {
        case 0: /* delete */
            a = acct(0, 0);
            break;
        case 1: /* no-op */
            a = br->ref[d][k];
            break;
        default:
            a = acct(below(rng, 1000000000000ULL), below(rng, 1000));
        }
        state_set(s, &addrs[k], a);
        br->ref[d][k] = a;
    }
    state_seal(s);
    ck_assert_uint_eq(state_depth(s), d);
    ck_assert_ptr_eq(state_parent(s), parent);

    /* The delta is exactly the reference difference, sorted. */
    size_t n;
    const state_change_t *delta = state_delta(s, &n);
    size_t expect = 0;
    for (int k = 0; k < K; k++)
        expect += !acct_eq(br->ref[d][k], br->ref[d - 1][k]);
    ck_assert_uint_eq(n, expect);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            ck_assert_int_lt(addr_cmp(&delta[i - 1].addr, &delta[i].addr), 0);
        int k = -1;
        for (int j = 0; j < K; j++)
            if (addr_equal(&addrs[j], &delta[i].addr))
                k = j;
        ck_assert_int_ge(k, 0);
        ck_assert(acct_eq(delta[i].before, br->ref[d - 1][k]));
        ck_assert(acct_eq(delta[i].after, br->ref[d][k]));
    }

    /* The branch keeps one reference, on its tip. */
    if (d - 1 > 0 && parent != NULL)
        state_unref(parent);
    br->v[d] = s;
    br->len = d + 1;
    check_version(s, br->ref[d], addrs);
    /* Old versions stay valid. */
    for (int j = 0; j < 3; j++) {
        uint32_t e = (uint32_t)below(rng, d + 1);
        check_version(br->v[e], br->ref[e], addrs);
    }
}

START_TEST(test_against_reference)
{
    uint64_t rng = 0xC0FFEE00u + (uint64_t)_i;
    addr_t addrs[K];
    for (int k = 0; k < K; k++)
        addrs[k] = mkaddr((uint32_t)(k * 37 + 11));

    branch_t *main_br = g_new0(branch_t, 1);
    uint64_t balances[K];
    for (int k = 0; k < K; k++) {
        balances[k] = k % 4 == 0 ? 0 : below(&rng, 1000000);
        main_br->ref[0][k] = acct(balances[k], 0);
    }
    state_t *g = state_genesis(addrs, balances, K);
    main_br->v[0] = g; /* the test's own reference on genesis */
    main_br->len = 1;
    check_version(g, main_br->ref[0], addrs);
    for (int d = 1; d <= DEPTH; d++)
        grow(main_br, addrs, &rng);

    /* A fork off the middle, long enough to cross snapshots of its own. */
    branch_t *fork = g_new0(branch_t, 1);
    for (uint32_t d = 0; d <= FORK_AT; d++) {
        fork->v[d] = main_br->v[d];
        memcpy(fork->ref[d], main_br->ref[d], sizeof fork->ref[d]);
    }
    state_ref(fork->v[FORK_AT]); /* the fork's own reference */
    fork->len = FORK_AT + 1;
    for (int i = 0; i < FORK_LEN; i++)
        grow(fork, addrs, &rng);
    /* grow() dropped the fork's reference on FORK_AT when it moved on. */

    /* Every version of both branches, once more. */
    for (uint32_t d = 0; d < main_br->len; d++)
        check_version(main_br->v[d], main_br->ref[d], addrs);
    for (uint32_t d = 0; d < fork->len; d++)
        check_version(fork->v[d], fork->ref[d], addrs);

    /* Release: the main tip goes first; the fork keeps the shared prefix. */
    state_unref(main_br->v[main_br->len - 1]);
    for (uint32_t d = 0; d < fork->len; d += 7)
        check_version(fork->v[d], fork->ref[d], addrs);
    state_unref(fork->v[fork->len - 1]);
    check_version(g, main_br->ref[0], addrs);
    state_unref(g);
    g_free(main_br);
    g_free(fork);
}
END_TEST

START_TEST(test_set_after_seal_aborts)
{
    addr_t a = mkaddr(1);
    uint64_t bal = 1;
    state_t *g = state_genesis(&a, &bal, 1);
    state_set(g, &a, acct(2, 0));
}
END_TEST

START_TEST(test_child_of_mutable_aborts)
{
    addr_t a = mkaddr(1);
    uint64_t bal = 1;
    state_t *g = state_genesis(&a, &bal, 1);
    state_t *m = state_child(g);
    state_child(m);
}
END_TEST

START_TEST(test_genesis_overflow_aborts)
{
    addr_t addrs[2] = {mkaddr(1), mkaddr(2)};
    uint64_t balances[2] = {UINT64_MAX, 1};
    state_genesis(addrs, balances, 2);
}
END_TEST

static Suite *state_suite(void)
{
    Suite *s = suite_create("state");

    TCase *tc = tcase_create("basic");
    tcase_add_test(tc, test_genesis);
    tcase_add_test(tc, test_child);
    tcase_add_test(tc, test_siblings);
    tcase_add_test(tc, test_refcounts);
    tcase_add_test(tc, test_snapshot_spacing);
    suite_add_tcase(s, tc);

    tc = tcase_create("reference");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_against_reference, 0, 3);
    suite_add_tcase(s, tc);

    tc = tcase_create("asserts");
    tcase_add_test_raise_signal(tc, test_set_after_seal_aborts, SIGABRT);
    tcase_add_test_raise_signal(tc, test_child_of_mutable_aborts, SIGABRT);
    tcase_add_test_raise_signal(tc, test_genesis_overflow_aborts, SIGABRT);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(state_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
